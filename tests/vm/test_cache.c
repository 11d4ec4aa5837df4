/* The decision cache's result images and keys (src/vm/cache.c), driven
 * through its internal interface: every value kind survives insert and
 * lookup with its exact representation, the size limit is the result's
 * arena footprint, a full arena misses cleanly, and keys tell apart what
 * must be told apart. Values are built with the arena constructors, so the
 * expected results are the inputs themselves. */
#include <stdlib.h>
#include <string.h>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "../test.h"
#include "cache_test_util.h"
#include "policy.h"
#include "vm/cache.h"
#include "vm/cache_xxh.h"
#include "vm/value.h"

static pol_bundle *tiny_bundle(void)
{
    return bundle_of("package t\np := input");
}

static pol_cache *new_cache(pol_bundle *b, size_t max_result_bytes)
{
    pol_cache_options o;
    memset(&o, 0, sizeof o);
    o.entries = 64;
    o.max_result_bytes = max_result_bytes;
    pol_error err;
    return pol_cache_new(b, &o, &err);
}

static bool inside(const void *p, const arena *a)
{
    return (const unsigned char *)p >= a->base && (const unsigned char *)p < a->end;
}

static bool same_repr_shared(const val *x, const val *y, const arena *in, const arena *shared);

/* Same representation, not just the same value: kind, number kind,
 * NUM_BIG text and double bits, strings NUL-terminated; everything that
 * is not a shared constant lives in arena `in`. */
static bool same_repr(const val *x, const val *y, const arena *in)
{
    return same_repr_shared(x, y, in, NULL);
}

/* same_repr, except that a value x that lives in arena `shared` (a
 * bundle's) must come back as x itself: the cache points at the bundle's
 * values instead of copying them. */
/* null, booleans and empty strings and collections: the cache returns the
 * shared constants for them wherever they came from */
static bool const_kind(const val *x)
{
    return x->type == V_NULL || x->type == V_BOOL || (x->type != V_NUM && x->len == 0);
}

static bool same_repr_shared(const val *x, const val *y, const arena *in, const arena *shared)
{
    if (shared && !const_kind(x) && arena_owns(shared, x))
        return y == x;
    if (x->type != y->type || x->len != y->len)
        return false;
    switch ((vtype)x->type) {
    case V_NULL: return y == VAL_NULL;
    case V_BOOL: return y == VAL_BOOL(x->u.b);
    case V_NUM:
        if (x->nk != y->nk || !inside(y, in))
            return false;
        if (x->nk == NUM_INT)
            return x->u.i == y->u.i;
        if (x->nk == NUM_FLOAT) /* the bits, and the decimal hint (len, checked above, and flags) */
            return memcmp(&x->u.d, &y->u.d, sizeof x->u.d) == 0 && x->flags == y->flags;
        return inside(y->u.s, in) && memcmp(x->u.s, y->u.s, x->len) == 0 && y->u.s[y->len] == 0;
    case V_STR:
        if (x->len == 0)
            return y == &val_empty_str_c;
        return inside(y, in) && inside(y->u.s, in) && memcmp(x->u.s, y->u.s, x->len) == 0 &&
               y->u.s[y->len] == 0;
    case V_ARR:
    case V_SET:
        if (x->len == 0)
            return y == (x->type == V_ARR ? &val_empty_arr_c : &val_empty_set_c);
        if (!inside(y, in) || !inside(y->u.a, in))
            return false;
        for (uint32_t i = 0; i < x->len; i++)
            if (!same_repr_shared(x->u.a[i], y->u.a[i], in, shared))
                return false;
        return true;
    case V_OBJ:
        if (x->len == 0)
            return y == &val_empty_obj_c;
        if (!inside(y, in) || !inside(y->u.o.k, in) || !inside(y->u.o.v, in))
            return false;
        for (uint32_t i = 0; i < x->len; i++)
            if (!same_repr_shared(x->u.o.k[i], y->u.o.k[i], in, shared) ||
                !same_repr_shared(x->u.o.v[i], y->u.o.v[i], in, shared))
                return false;
        return true;
    }
    return false;
}

/* A key as an lvalue the internal API can point at. */
#define KP(k) (&(cache_key[1]){k}[0])

static cache_key key_n(uint64_t n)
{
    cache_key k = {.lo = n * 0x9E3779B97F4A7C15ull, .hi = ~n, .tweak = 0};
    return k;
}

/* A value using every kind: nested objects, sets and arrays, the three
 * number kinds, strings with NULs, empty collections of each type. */
static const val *every_kind(arena *a)
{
    vbuild set, arr, inner, obj;
    vb_init(&set, a);
    vb_push(&set, v_str(a, "zeta", 4));
    vb_push(&set, v_str(a, "a\0b", 3));
    vb_push(&set, v_int(a, -7));
    vb_push(&set, VAL_NULL);
    vb_init(&arr, a);
    vb_push(&arr, v_float(a, 2.5));
    vb_push(&arr, v_float(a, -0.125));
    vb_push(&arr, v_float(a, 9999.99));                                 /* a hint with a negative exponent */
    vb_push(&arr, v_float(a, 0.1 + 0.2));                               /* 17 digits: no hint */
    vb_push(&arr, v_num_text(a, "123456789012345678901234567890", 30)); /* beyond int64: NUM_BIG */
    vb_push(&arr, v_num_text(a, "1e400", 5));                           /* beyond double: NUM_BIG */
    vb_push(&arr, v_int(a, INT64_MIN));
    vb_push(&arr, v_int(a, 3)); /* a shared small-int constant in the source */
    vb_push(&arr, VAL_TRUE);
    vb_push(&arr, VAL_FALSE);
    vb_push(&arr, &val_empty_arr_c);
    vb_push(&arr, &val_empty_set_c);
    vb_push(&arr, &val_empty_obj_c);
    vb_push(&arr, &val_empty_str_c);
    vb_init(&inner, a);
    vb_put(&inner, v_str(a, "deep", 4), vb_finish_set(&set));
    vb_put(&inner, v_int(a, 1), v_str(a, "number key", 10));
    vb_init(&obj, a);
    vb_put(&obj, v_str(a, "arr", 3), vb_finish_array(&arr));
    vb_put(&obj, v_str(a, "obj", 3), vb_finish_object(&inner, NULL));
    vb_put(&obj, v_str(a, "nul\0key", 7), v_str(a, "\0\0", 2));
    return vb_finish_object(&obj, NULL);
}

static void test_round_trip(pol_bundle *b)
{
    static unsigned char src_buf[1 << 16], dst_buf[1 << 16];
    arena src, dst;
    arena_init_fixed(&src, src_buf, sizeof src_buf);
    arena_init_fixed(&dst, dst_buf, sizeof dst_buf);
    pol_cache *c = new_cache(b, 4096);
    CHECK(c != NULL);
    if (!c)
        return;
    const val *v = every_kind(&src);
    CHECK(v != NULL && v->type == V_OBJ && v->len == 3);
    if (!v)
        return;
    /* values that are their own image root as well as the whole */
    const val *cases[] = {v,
                          val_obj_get_str(v, "arr", 3),
                          val_obj_get_str(val_obj_get_str(v, "obj", 3), "deep", 4),
                          v_str(&src, "x\0y", 3),
                          v_int(&src, 42),
                          v_float(&src, 1e300),
                          v_num_text(&src, "1e400", 5),
                          VAL_NULL,
                          VAL_TRUE,
                          VAL_FALSE,
                          &val_empty_str_c,
                          &val_empty_arr_c,
                          &val_empty_obj_c,
                          &val_empty_set_c};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const val *x = cases[i];
        CHECK(x != NULL);
        if (!x)
            continue;
        cache_insert(c, KP(key_n(i)), x, &src);
        arena_reset(&dst);
        const val *got = NULL;
        bool defined = false;
        CHECK(cache_lookup(c, KP(key_n(i)), &dst, &got, &defined));
        CHECK(defined && got != NULL);
        if (!got)
            continue;
        CHECK(same_repr(x, got, &dst));
        CHECK(val_compare(x, got) == 0);
        /* a second hit gets its own copy */
        const val *again = NULL;
        CHECK(cache_lookup(c, KP(key_n(i)), &dst, &again, &defined));
        CHECK(again != NULL && same_repr(x, again, &dst));
        if (x->type >= V_STR && x->len > 0)
            CHECK(again != got);
    }
    /* the image is the arena footprint: the set of the fixture, looked up
     * into an empty arena, takes exactly its rounded image */
    const val *set = cases[2];
    /* the set's val, -7 and two strings; null is a shared constant */
    size_t image = 4 * sizeof(val) + 4 * sizeof(const val *) + (3 + 1) + (4 + 1);
    arena_reset(&dst);
    const val *got = NULL;
    bool defined = false;
    CHECK(cache_lookup(c, KP(key_n(2)), &dst, &got, &defined));
    CHECK((size_t)(dst.ptr - dst.base) == (image + 15) / 16 * 16);
    CHECK(got != NULL && got->type == V_SET && val_set_has(got, VAL_NULL));
    (void)set;

    /* undefined is a cached decision too */
    cache_insert(c, KP(key_n(100)), NULL, &src);
    got = VAL_TRUE;
    defined = true;
    CHECK(cache_lookup(c, KP(key_n(100)), &dst, &got, &defined));
    CHECK(got == NULL && !defined);

    /* insert gives back the scratch room it used */
    unsigned char *before = src.ptr;
    cache_insert(c, KP(key_n(101)), v, &src);
    CHECK(src.ptr == before);

    pol_cache_stats st;
    pol_cache_stats_get(c, &st);
    CHECK(st.skipped == 0);
    pol_cache_free(c);
}

/* max_result_bytes is the image size: a string of n bytes takes
 * sizeof(val) + n + 1; an array of k such strings adds a val and k
 * pointers. Exactly at the limit is cached, one byte over is not. */
static void test_size_limit(pol_bundle *b)
{
    static unsigned char src_buf[1 << 16], dst_buf[1 << 16];
    arena src, dst;
    arena_init_fixed(&src, src_buf, sizeof src_buf);
    arena_init_fixed(&dst, dst_buf, sizeof dst_buf);
    static char text[1100];
    memset(text, 'q', sizeof text);
    const size_t limits[] = {256, 512, 1000, 1001}; /* 1001: not a whole number of words */
    for (size_t li = 0; li < sizeof limits / sizeof *limits; li++) {
        size_t limit = limits[li];
        pol_cache *c = new_cache(b, limit);
        CHECK(c != NULL);
        if (!c)
            continue;
        size_t fit = limit - sizeof(val) - 1;
        const val *at = v_str(&src, text, fit), *over = v_str(&src, text, fit + 1);
        cache_insert(c, KP(key_n(1)), at, &src);
        cache_insert(c, KP(key_n(2)), over, &src);
        pol_cache_stats st;
        pol_cache_stats_get(c, &st);
        CHECK(st.inserts == 1 && st.skipped == 1);
        const val *got = NULL;
        bool defined = false;
        CHECK(cache_lookup(c, KP(key_n(1)), &dst, &got, &defined));
        CHECK(got != NULL && same_repr(at, got, &dst));
        CHECK(!cache_lookup(c, KP(key_n(2)), &dst, &got, &defined));

        /* the same for an array of two strings */
        size_t both = limit - 3 * sizeof(val) - 2 * sizeof(const val *) - 2, first = both / 2;
        for (size_t extra = 0; extra < 2; extra++) {
            vbuild ab;
            vb_init(&ab, &src);
            vb_push(&ab, v_str(&src, text, first));
            vb_push(&ab, v_str(&src, text, both - first + extra));
            const val *arr = vb_finish_array(&ab);
            CHECK(arr != NULL && arr->len == 2);
            cache_insert(c, KP(key_n(3 + extra)), arr, &src);
            got = NULL;
            bool hit = cache_lookup(c, KP(key_n(3 + extra)), &dst, &got, &defined);
            CHECK(hit == (extra == 0));
            if (hit)
                CHECK(got != NULL && same_repr(arr, got, &dst));
        }
        pol_cache_stats_get(c, &st);
        CHECK(st.inserts == 2 && st.skipped == 2);
        pol_cache_free(c);
    }
}

/* A hit needs room in the caller's arena; without it the lookup is a miss
 * that leaves the arena as it was, and the caller evaluates normally. */
static void test_full_arena(pol_bundle *b)
{
    static unsigned char src_buf[1 << 14], small_buf[64];
    arena src, small;
    arena_init_fixed(&src, src_buf, sizeof src_buf);
    arena_init_fixed(&small, small_buf, sizeof small_buf);
    pol_cache *c = new_cache(b, 1024);
    CHECK(c != NULL);
    if (!c)
        return;
    const val *v = every_kind(&src);
    const char *text = "a string of more than sixty-four bytes, so its image needs 96 B or more";
    const val *s = v_str(&src, text, strlen(text));
    cache_insert(c, KP(key_n(1)), v, &src);
    cache_insert(c, KP(key_n(2)), s, &src);
    cache_insert(c, KP(key_n(3)), VAL_TRUE, &src);
    for (int fill = 0; fill < 2; fill++) {
        arena_reset(&small);
        if (fill)
            CHECK(arena_alloc(&small, 48) != NULL); /* 16 bytes left */
        unsigned char *before = small.ptr;
        const val *got = VAL_NULL;
        bool defined = true;
        CHECK(!cache_lookup(c, KP(key_n(1)), &small, &got, &defined));
        CHECK(!cache_lookup(c, KP(key_n(2)), &small, &got, &defined));
        CHECK(small.ptr == before);
        /* a constant needs no room */
        CHECK(cache_lookup(c, KP(key_n(3)), &small, &got, &defined) && got == VAL_TRUE && defined);
    }
    pol_cache_stats st;
    pol_cache_stats_get(c, &st);
    CHECK(st.inserts == 3 && st.misses == 4 && st.hits == 2);
    pol_cache_free(c);
}

static cache_key value_key(const pol_cache *c, const val *v, uint64_t tweak)
{
    cache_key k = {.lo = 0, .hi = 0, .tweak = 0};
    CHECK(cache_key_value(c, v, tweak, &k));
    return k;
}

static cache_key json_key(const pol_cache *c, const char *text, uint64_t tweak)
{
    cache_key k;
    cache_key_json(c, text, strlen(text), tweak, &k);
    return k;
}

static bool same_key(cache_key x, cache_key y)
{
    return x.lo == y.lo && x.hi == y.hi && x.tweak == y.tweak;
}

static void test_keys(pol_bundle *b)
{
    static unsigned char buf[1 << 20];
    arena a;
    arena_init_fixed(&a, buf, sizeof buf);
    pol_cache *c = new_cache(b, 0), *c2 = new_cache(b, 0);
    CHECK(c != NULL && c2 != NULL);
    if (!c || !c2) {
        pol_cache_free(c);
        pol_cache_free(c2);
        return;
    }
    /* the same value built twice has one key; an entrypoint or flag
     * change (the tweak) makes another */
    const val *v1 = every_kind(&a), *v2 = every_kind(&a);
    CHECK(same_key(value_key(c, v1, 1 << 8), value_key(c, v2, 1 << 8)));
    CHECK(!same_key(value_key(c, v1, 1 << 8), value_key(c, v1, 2 << 8)));
    /* a float's decimal hint is a cache of its digits, not part of the
     * value: with or without it, one key */
    val bare;
    memset(&bare, 0, sizeof bare);
    bare.type = V_NUM;
    bare.nk = NUM_FLOAT;
    bare.u.d = 9999.99;
    const val *hinted = v_float(&a, 9999.99);
    CHECK(hinted->len != 0);
    CHECK(same_key(value_key(c, hinted, 0), value_key(c, &bare, 0)));
    /* no input differs from every input, null included */
    CHECK(!same_key(value_key(c, NULL, 0), value_key(c, VAL_NULL, 0)));
    CHECK(!same_key(value_key(c, &val_empty_arr_c, 0), value_key(c, &val_empty_set_c, 0)));
    CHECK(!same_key(value_key(c, &val_empty_str_c, 0), value_key(c, &val_empty_obj_c, 0)));
    CHECK(!same_key(value_key(c, VAL_TRUE, 0), value_key(c, VAL_FALSE, 0)));
    /* an array and the set of the same elements */
    vbuild x, y;
    vb_init(&x, &a);
    vb_init(&y, &a);
    vb_push(&x, v_int(&a, 1));
    vb_push(&y, v_int(&a, 1));
    CHECK(!same_key(value_key(c, vb_finish_array(&x), 0), value_key(c, vb_finish_set(&y), 0)));
    /* bytes after a NUL count */
    CHECK(!same_key(value_key(c, v_str(&a, "a\0b", 3), 0), value_key(c, v_str(&a, "a\0c", 3), 0)));
    /* ["ab"] and ["a", "b"]: lengths delimit strings */
    vb_init(&x, &a);
    vb_init(&y, &a);
    vb_push(&x, v_str(&a, "ab", 2));
    vb_push(&y, v_str(&a, "a", 1));
    vb_push(&y, v_str(&a, "b", 1));
    CHECK(!same_key(value_key(c, vb_finish_array(&x), 0), value_key(c, vb_finish_array(&y), 0)));
    /* the number kinds: 1 and 1.5; and two texts of one NUM_BIG value,
     * which Rego calls equal but a policy can print differently */
    CHECK(!same_key(value_key(c, v_int(&a, 1), 0), value_key(c, v_float(&a, 1.5), 0)));
    const val *big1 = v_num_text(&a, "1e30", 4),
              *big2 = v_num_text(&a, "1000000000000000000000000000000", 31);
    CHECK(big1 && big2 && big1->nk == NUM_BIG && big2->nk == NUM_BIG && val_equal(big1, big2));
    CHECK(!same_key(value_key(c, big1, 0), value_key(c, big2, 0)));
    /* a JSON text never shares a key with a value */
    cache_key kj = json_key(c, "null", 0), kv = value_key(c, VAL_NULL, 0);
    CHECK(kj.tweak != kv.tweak);
    CHECK(same_key(kj, json_key(c, "null", 0)));
    CHECK(!same_key(kj, json_key(c, "null ", 0)));
#ifdef POL_HAVE_GETRANDOM
    /* each cache draws its own secret */
    CHECK(!same_key(kj, json_key(c2, "null", 0)));
    CHECK(!same_key(kv, value_key(c2, VAL_NULL, 0)));
#endif

    /* past the key buffer (4 KiB) the hash streams: still deterministic,
     * and the last byte still counts, for one long string and for many
     * small leaves */
    static char big[9000];
    memset(big, 'k', sizeof big);
    const val *s1 = v_str(&a, big, sizeof big);
    big[sizeof big - 1] = 'K';
    const val *s2 = v_str(&a, big, sizeof big);
    CHECK(same_key(value_key(c, s1, 0), value_key(c, s1, 0)));
    CHECK(!same_key(value_key(c, s1, 0), value_key(c, s2, 0)));
    vb_init(&x, &a);
    vb_init(&y, &a);
    for (int i = 0; i < 1000; i++) {
        vb_push(&x, v_int(&a, i));
        vb_push(&y, v_int(&a, i == 999 ? -1 : i));
    }
    const val *many1 = vb_finish_array(&x), *many2 = vb_finish_array(&y);
    CHECK(same_key(value_key(c, many1, 0), value_key(c, many1, 0)));
    CHECK(!same_key(value_key(c, many1, 0), value_key(c, many2, 0)));

    /* nesting past the key's depth bound: no key (the cache is bypassed),
     * not a crash; the bound itself is fine */
    const val *deep = v_int(&a, 0);
    for (int d = 1; d <= 1100 && deep; d++) {
        vb_init(&x, &a);
        vb_push(&x, deep);
        deep = vb_finish_array(&x);
        if (d == 1000) {
            cache_key k;
            CHECK(cache_key_value(c, deep, 0, &k));
        }
    }
    cache_key k;
    CHECK(deep != NULL && !cache_key_value(c, deep, 0, &k));
    pol_cache_free(c);
    pol_cache_free(c2);
}

/* Through the public API: pol_eval_value hits return the same decision
 * (a set stays a set) and count as hits. */
static void test_value_api(void)
{
    pol_error err;
    pol_bundle *b = bundle_of("package t\np contains x if { some x in input.xs; x > 1 }");
    CHECK(b != NULL);
    if (!b)
        return;
    pol_cache *c = pol_cache_new(b, NULL, &err);
    pol_ctx *ctx = pol_ctx_new(b, NULL, &err);
    CHECK(c && ctx && pol_ctx_set_cache(ctx, c) == POL_OK);
    int ep = pol_bundle_entrypoint(b, "data.t.p");
    for (int round = 0; round < 3; round++) {
        pol_ctx_reset(ctx);
        pol_builder xs, obj;
        pol_array_begin(ctx, &xs);
        pol_array_push(&xs, pol_make_int(ctx, 3));
        pol_array_push(&xs, pol_make_int(ctx, 1));
        pol_array_push(&xs, pol_make_int(ctx, round == 2 ? 5 : 2));
        pol_object_begin(ctx, &obj);
        pol_object_put(&obj, "xs", 2, pol_array_end(&xs));
        const pol_value *in = pol_object_end(&obj);
        pol_result r;
        char json[64];
        CHECK(pol_eval_value(ctx, ep, in, POL_EVAL_USE_CACHE, &r, &err) == POL_OK);
        CHECK(pol_value_type(r.value) == POL_SET);
        pol_value_to_json(r.value, 0, json, sizeof json);
        CHECK_STR(json, round == 2 ? "[3,5]" : "[2,3]");
    }
    pol_cache_stats st;
    pol_cache_stats_get(c, &st);
    CHECK(st.hits == 1 && st.misses == 2 && st.inserts == 2);
    pol_ctx_free(ctx);
    pol_cache_free(c);
    pol_bundle_release(b);
}

/* A result holding an object with a hash index (a bundle's large data
 * object returned as is) comes back from the cache without the index:
 * the image has no room for it, so the copy must not claim one. */
static void test_hashed_object(pol_bundle *b)
{
    static unsigned char src_buf[1 << 17], dst_buf[1 << 17];
    arena src, dst;
    arena_init_fixed(&src, src_buf, sizeof src_buf);
    arena_init_fixed(&dst, dst_buf, sizeof dst_buf);
    pol_cache *c = new_cache(b, 16384);
    CHECK(c != NULL);
    if (!c)
        return;
    vbuild ob;
    vb_init(&ob, &src);
    char key[16];
    for (int i = 0; i < 2 * VAL_HASH_INDEX_MIN_KEYS; i++) {
        snprintf(key, sizeof key, "k%03d", i);
        vb_put(&ob, v_str(&src, key, strlen(key)), v_int(&src, i));
    }
    const val *obj = vb_finish_object(&ob, NULL);
    CHECK(obj && val_build_hash_indexes(&src, obj) && (obj->flags & VF_HASHED));
    if (!obj)
        return;
    cache_insert(c, KP(key_n(7)), obj, &src);
    const val *got = NULL;
    bool defined = false;
    CHECK(cache_lookup(c, KP(key_n(7)), &dst, &got, &defined) && defined && got);
    if (got) {
        CHECK(!(got->flags & (VF_HASHED | VF_WALKED)));
        CHECK(same_repr(obj, got, &dst));
        const val *v = val_obj_get_str(got, "k100", 4);
        int64_t n;
        CHECK(v && val_is_int(v, &n) && n == 100);
    }
    pol_cache_free(c);
}

/* A bundle whose base document holds values of every kind, one object
 * large enough for a hash index. */
static pol_bundle *data_bundle(void)
{
    char json[4096];
    size_t n = (size_t)snprintf(json, sizeof json, "{\"big\": {");
    for (int i = 0; i < 2 * VAL_HASH_INDEX_MIN_KEYS; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "%s\"k%03d\": %d", i ? ", " : "", i, i);
    n += (size_t)snprintf(json + n, sizeof json - n,
                          "}, \"list\": [\"x\", \"yy\", 3, 2.5, {\"z\": null, \"e\": \"\"}, []],"
                          " \"s\": \"shared string\", \"n\": 12345678901234567890123, \"f\": 0.1}");
    const char *src = "package t\np := input";
    pol_error err;
    pol_compiler *cc = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (n < sizeof json && pol_compiler_add_module(cc, "t.rego", src, strlen(src), &err) == POL_OK &&
        pol_compiler_add_data_json(cc, NULL, "data.json", json, n, &err) == POL_OK &&
        pol_compiler_add_entrypoint(cc, "data.t.p", &err) == POL_OK)
        b = pol_compiler_build(cc, &err);
    pol_compiler_free(cc);
    return b;
}

static bool same_json(const val *x, const val *y)
{
    static char bx[1 << 16], by[1 << 16];
    size_t nx = json_of(x, bx, sizeof bx), ny = json_of(y, by, sizeof by);
    return nx == ny && nx <= sizeof bx && memcmp(bx, by, nx) == 0;
}

/* The bundle's own values are not copied into the image: a hit points at
 * them (so they cost the hit nothing), and a result that is one of them
 * comes back as a copy of its val alone, its arrays the bundle's (a hash
 * index included). Values built during evaluation around them are copied
 * as before, and the footprint counts only those. */
static void test_bundle_values(void)
{
    static unsigned char src_buf[1 << 16], dst_buf[1 << 16];
    arena src, dst;
    arena_init_fixed(&src, src_buf, sizeof src_buf);
    arena_init_fixed(&dst, dst_buf, sizeof dst_buf);
    pol_bundle *b = data_bundle();
    CHECK(b != NULL);
    if (!b)
        return;
    pol_cache *c = new_cache(b, 4096);
    const val *data = b->prog.data;
    const val *big = val_obj_get_str(data, "big", 3), *list = val_obj_get_str(data, "list", 4);
    const val *s = val_obj_get_str(data, "s", 1), *n = val_obj_get_str(data, "n", 1);
    CHECK(c && big && list && s && n && (big->flags & VF_HASHED) && n->type == V_NUM && n->nk == NUM_BIG);
    if (!c || !big || !list || !s || !n) {
        pol_cache_free(c);
        pol_bundle_release(b);
        return;
    }
    const arena *bundle_mem = &b->prog.mem;
    const val *got = NULL;
    bool defined = false;

    /* roots that are the bundle's own: their val is copied, nothing else */
    const val *roots[] = {list, big, s, n, data};
    for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
        const val *x = roots[i];
        cache_insert(c, KP(key_n(i)), x, &src);
        arena_reset(&dst);
        CHECK(cache_lookup(c, KP(key_n(i)), &dst, &got, &defined) && defined && got);
        if (!got)
            continue;
        CHECK(got != x && inside(got, &dst));
        CHECK((size_t)(dst.ptr - dst.base) == (sizeof(val) + 15) / 16 * 16);
        CHECK(memcmp(got, x, sizeof *x) == 0); /* type, flags (the index), len and the bundle's pointers */
        CHECK(val_compare(got, x) == 0 && same_json(got, x));
    }
    arena_reset(&dst);
    CHECK(cache_lookup(c, KP(key_n(1)), &dst, &got, &defined) && got);
    if (got) { /* the hash index is the bundle's and still answers */
        const val *v = val_obj_get_str(got, "k100", 4);
        int64_t k;
        CHECK(v && val_is_int(v, &k) && k == 100);
    }

    /* {"a": s, "b": [list, "own"], "n": n, s: big}: the object, keys "a",
     * "b" and "n", the array and "own" are held; s, list, n and big are
     * pointed at */
    vbuild arr, obj;
    vb_init(&arr, &src);
    vb_push(&arr, list);
    vb_push(&arr, v_str(&src, "own", 3));
    vb_init(&obj, &src);
    vb_put(&obj, v_str(&src, "a", 1), s);
    vb_put(&obj, v_str(&src, "b", 1), vb_finish_array(&arr));
    vb_put(&obj, v_str(&src, "n", 1), n);
    vb_put(&obj, s, big);
    const val *mixed = vb_finish_object(&obj, NULL);
    CHECK(mixed != NULL && mixed->len == 4);
    if (mixed) {
        cache_insert(c, KP(key_n(10)), mixed, &src);
        arena_reset(&dst);
        CHECK(cache_lookup(c, KP(key_n(10)), &dst, &got, &defined) && got);
        if (got) {
            CHECK(same_repr_shared(mixed, got, &dst, bundle_mem));
            CHECK(val_compare(mixed, got) == 0 && same_json(mixed, got));
            CHECK(val_obj_get_str(got, "a", 1) == s && val_obj_get(got, s) == big);
            size_t image = 6 * sizeof(val) + (2 * 4 + 2) * sizeof(const val *) + 3 * 2 + 4;
            CHECK((size_t)(dst.ptr - dst.base) == (image + 15) / 16 * 16);
        }
    }
    pol_cache_stats st;
    pol_cache_stats_get(c, &st);
    CHECK(st.skipped == 0);
    pol_cache_free(c);

    /* a limit below one val: even the bundle's own value is not cached */
    c = new_cache(b, sizeof(val) - 8);
    CHECK(c != NULL);
    if (c) {
        cache_insert(c, KP(key_n(1)), list, &src);
        pol_cache_stats_get(c, &st);
        CHECK(st.inserts == 0 && st.skipped == 1);
        CHECK(!cache_lookup(c, KP(key_n(1)), &dst, &got, &defined));
        pol_cache_free(c);
    }
    pol_bundle_release(b);
}

/* same_repr_shared for a whole result: a root that is the bundle's own
 * comes back as a copy of its val in `in`, pointers and flags as they were. */
static bool same_result(const val *x, const val *y, const arena *in, const arena *shared)
{
    if (!const_kind(x) && arena_owns(shared, x))
        return inside(y, in) && memcmp(x, y, sizeof *x) == 0;
    return same_repr_shared(x, y, in, shared);
}

/* Deterministic pseudo-random values (xorshift64*). */
typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(rng_next(r) % n);
}

/* A random value of depth at most `depth`: every kind, NUM_BIG, floats
 * with and without a decimal hint, strings with NULs, non-string keys,
 * empty collections and, now and then, one of the pool's (bundle) values. */
static const val *random_value(arena *a, rng *r, int depth, const val *const *pool, size_t npool)
{
    char text[48];
    uint32_t kind = rng_below(r, depth > 0 ? 13 : 9);
    switch (kind) {
    case 0: return VAL_NULL;
    case 1: return VAL_BOOL(rng_below(r, 2));
    case 2: return v_int(a, (int64_t)rng_next(r) >> rng_below(r, 64));
    case 3: return v_float(a, (double)(int64_t)(rng_next(r) >> 40) / (double)(1 + rng_below(r, 1000)));
    case 4: {
        size_t n = 20 + rng_below(r, 20);
        for (size_t i = 0; i < n; i++)
            text[i] = (char)('1' + rng_below(r, 9));
        return v_num_text(a, text, n); /* beyond int64: NUM_BIG */
    }
    case 5:
    case 6: {
        size_t n = rng_below(r, sizeof text);
        for (size_t i = 0; i < n; i++)
            text[i] = (char)rng_below(r, 128); /* NULs included */
        return v_str(a, text, n);
    }
    case 7:
    case 8: return pool[rng_below(r, (uint32_t)npool)];
    default: {
        vbuild vb;
        vb_init(&vb, a);
        uint32_t n = rng_below(r, 6);
        for (uint32_t i = 0; i < n; i++) {
            if (kind == 11 || kind == 12)
                vb_put(&vb, random_value(a, r, depth - 1, pool, npool),
                       random_value(a, r, depth - 1, pool, npool));
            else
                vb_push(&vb, random_value(a, r, depth - 1, pool, npool));
        }
        bool conflict = false;
        const val *v = kind == 9    ? vb_finish_array(&vb)
                       : kind == 10 ? vb_finish_set(&vb)
                                    : vb_finish_object(&vb, &conflict);
        return v ? v : VAL_NULL; /* a key given two values */
    }
    }
}

/* Random values of every kind and nesting round-trip through the cache
 * with their exact representation and JSON text, bundle values by
 * address; one that does not fit is skipped and then misses. */
static void test_random_round_trip(void)
{
    static unsigned char src_buf[1 << 20], dst_buf[1 << 16];
    arena src, dst;
    arena_init_fixed(&src, src_buf, sizeof src_buf);
    arena_init_fixed(&dst, dst_buf, sizeof dst_buf);
    pol_bundle *b = data_bundle();
    pol_cache *c = b ? new_cache(b, 2048) : NULL;
    CHECK(c != NULL);
    if (!c) {
        pol_bundle_release(b);
        return;
    }
    const val *data = b->prog.data, *list = val_obj_get_str(data, "list", 4);
    const val *pool[] = {data,
                         val_obj_get_str(data, "big", 3),
                         list,
                         list->u.a[0],
                         list->u.a[2],
                         list->u.a[3],
                         list->u.a[4],
                         val_obj_get_str(data, "s", 1),
                         val_obj_get_str(data, "n", 1),
                         val_obj_get_str(data, "f", 1)};
    rng r = {0x9E3779B97F4A7C15ull};
    int cached = 0, skipped = 0, bad = 0;
    for (int i = 0; i < 3000; i++) {
        arena_reset(&src);
        const val *v = random_value(&src, &r, 1 + i % 5, pool, sizeof pool / sizeof *pool);
        pol_cache_stats before, after;
        pol_cache_stats_get(c, &before);
        cache_insert(c, KP(key_n((uint64_t)i)), v, &src);
        pol_cache_stats_get(c, &after);
        arena_reset(&dst);
        const val *got = NULL;
        bool defined = false;
        bool hit = cache_lookup(c, KP(key_n((uint64_t)i)), &dst, &got, &defined);
        if (after.inserts > before.inserts) {
            cached++;
            if (!hit || !got || !defined || !same_result(v, got, &dst, &b->prog.mem) ||
                val_compare(v, got) != 0 || !same_json(v, got))
                bad++;
        } else {
            skipped++;
            if (hit)
                bad++;
        }
    }
    CHECK(bad == 0);
    CHECK(cached > 1000 && skipped > 10); /* both paths taken */
    pol_cache_free(c);
    pol_bundle_release(b);
}

/* An image all of pointers: objects nested one key deep fill a slot of
 * the largest size with more relocation entries than any other shape
 * per byte; they round-trip, one level more does not fit. */
static void test_dense_pointers(pol_bundle *b)
{
    static unsigned char src_buf[1 << 18], dst_buf[1 << 16];
    arena src, dst;
    arena_init_fixed(&src, src_buf, sizeof src_buf);
    arena_init_fixed(&dst, dst_buf, sizeof dst_buf);
    const size_t limit = 16384;
    pol_cache *c = new_cache(b, limit);
    CHECK(c != NULL);
    if (!c)
        return;
    /* a level: the object's val, its key and value words, the key's val
     * and its bytes "k\0" */
    const size_t level = 2 * sizeof(val) + 2 * sizeof(const val *) + 2;
    const size_t fit = (limit - sizeof(val)) / level; /* the innermost value is an int */
    for (size_t extra = 0; extra < 2; extra++) {
        arena_reset(&src);
        const val *v = v_int(&src, 1000);
        for (size_t d = 0; d < fit + extra && v; d++) {
            vbuild ob;
            vb_init(&ob, &src);
            vb_put(&ob, v_str(&src, "k", 1), v);
            v = vb_finish_object(&ob, NULL);
        }
        CHECK(v != NULL);
        if (!v)
            continue;
        cache_insert(c, KP(key_n(extra)), v, &src);
        arena_reset(&dst);
        const val *got = NULL;
        bool defined = false;
        bool hit = cache_lookup(c, KP(key_n(extra)), &dst, &got, &defined);
        CHECK(hit == (extra == 0));
        if (hit)
            CHECK(got && same_repr(v, got, &dst) && same_json(v, got));
    }
    pol_cache_free(c);
}

/* The key hash compiled for AVX2 and AVX-512 (cache_xxh.c) is the
 * library's XXH3-128, checked against the library's own build on every
 * length up to past XXH3's block size and a few alignments, where this
 * CPU runs them. */
static void check_xxh_variant(cache_xxh_fn *fn)
{
    static unsigned char in[4200];
    unsigned char secret[XXH3_SECRET_DEFAULT_SIZE];
    rng r = {42};
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)rng_next(&r);
    for (size_t i = 0; i < sizeof secret; i++)
        secret[i] = (unsigned char)rng_next(&r);
    int bad = 0;
    for (size_t n = 0; n + 3 <= sizeof in; n += n < 300 ? 1 : 7) {
        for (size_t at = 0; at < 3; at++) {
            XXH128_hash_t want = XXH3_128bits_withSecret(in + at, n, secret, sizeof secret);
            uint64_t got[2] = {0, 0};
            fn(in + at, n, secret, got);
            bad += got[0] != want.low64 || got[1] != want.high64;
        }
    }
    CHECK(bad == 0);
}

static void test_xxh_variants(void)
{
    __builtin_cpu_init();
#ifdef POL_HAVE_XXH_AVX2
    if (__builtin_cpu_supports("avx2"))
        check_xxh_variant(cache_xxh128_avx2);
#endif
#ifdef POL_HAVE_XXH_AVX512
    if (__builtin_cpu_supports("avx512f"))
        check_xxh_variant(cache_xxh128_avx512);
#endif
}

int main(void)
{
    pol_bundle *b = tiny_bundle();
    CHECK(b != NULL);
    if (b) {
        test_round_trip(b);
        test_size_limit(b);
        test_full_arena(b);
        test_keys(b);
        test_hashed_object(b);
        test_dense_pointers(b);
    }
    pol_bundle_release(b);
    test_value_api();
    test_bundle_values();
    test_random_round_trip();
    test_xxh_variants();
    return TEST_SUMMARY();
}
