/* Arena, constructors, builders, OPA's total order, equality, hashing and
 * lookups. Expected values come from Rego's documented semantics: the type
 * order null < boolean < number < string < array < object < set, numbers
 * compared by value whatever their representation, sets and objects
 * canonical. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "vm/numconv.h"
#include "vm/value.h"

static unsigned char mem[1 << 20];

/* A NUM_FLOAT built by hand: constructors would normalise 1.0 to NUM_INT,
 * but values of either kind must still compare and hash as one number. */
static val raw_float(double d)
{
    val v;
    memset(&v, 0, sizeof v);
    v.type = V_NUM;
    v.nk = NUM_FLOAT;
    v.u.d = d;
    return v;
}

static const val *num(arena *a, const char *text)
{
    return v_num_text(a, text, strlen(text));
}

static const val *arr2(arena *a, const val *x, const val *y)
{
    vbuild b;
    vb_init(&b, a);
    vb_push(&b, x);
    if (y)
        vb_push(&b, y);
    return vb_finish_array(&b);
}

static const val *set_of(arena *a, const val *const *xs, size_t n)
{
    vbuild b;
    vb_init(&b, a);
    for (size_t i = 0; i < n; i++)
        vb_push(&b, xs[i]);
    return vb_finish_set(&b);
}

static const val *obj1(arena *a, const char *k, const val *v)
{
    vbuild b;
    vb_init(&b, a);
    vb_put(&b, v_cstr(a, k), v);
    return vb_finish_object(&b, NULL);
}

/* ---- arena ---------------------------------------------------------------- */

typedef struct counting {
    int mallocs, frees;
    size_t live;
} counting;

static void *c_malloc(void *u, size_t n)
{
    counting *c = u;
    c->mallocs++;
    c->live += n;
    return malloc(n);
}

static void *c_realloc(void *u, void *p, size_t o, size_t n)
{
    counting *c = u;
    c->live += n - o;
    return realloc(p, n);
}

static void c_free(void *u, void *p, size_t n)
{
    counting *c = u;
    c->frees++;
    c->live -= n;
    free(p);
}

static int cmp_val_ptrs(const void *x, const void *y)
{
    return val_compare(*(const val *const *)x, *(const val *const *)y);
}

static void test_arena_fixed(void)
{
    _Alignas(16) unsigned char buf[256 + 16];
    arena a;
    /* Deliberately misaligned start: the arena aligns itself. */
    arena_init_fixed(&a, buf + 1, 256);
    void *p1 = arena_alloc(&a, 1);
    void *p2 = arena_alloc(&a, 17);
    CHECK(p1 != NULL && p2 != NULL);
    CHECK(((uintptr_t)p1 & 15) == 0);
    CHECK(((uintptr_t)p2 & 15) == 0);
    CHECK((unsigned char *)p2 - (unsigned char *)p1 == 16);
    CHECK(arena_high_water(&a) == 48);

    arena_mark m = arena_save(&a);
    void *p3 = arena_alloc(&a, 64);
    CHECK(p3 != NULL);
    arena_restore(&a, m);
    CHECK(arena_alloc(&a, 64) == p3); /* restore gave the space back */
    CHECK(arena_high_water(&a) == 112);

    /* Exhaustion: NULL, and the arena stays usable for smaller requests. */
    CHECK(arena_alloc(&a, 1000) == NULL);
    CHECK(arena_alloc(&a, (size_t)-1) == NULL);
    int got = 0;
    while (arena_alloc(&a, 16))
        got++;
    CHECK(got == (240 - 112) / 16);
    CHECK(v_int(&a, 1000) == NULL);
    CHECK(v_int(&a, 1) != NULL && v_int(&a, 1)->u.i == 1); /* small ints are shared constants */
    CHECK(v_str(&a, "abc", 3) == NULL);
    CHECK(v_str(&a, "", 0) == &val_empty_str_c); /* the empty string needs no memory */

    arena_reset(&a);
    CHECK(arena_alloc(&a, 16) == p1);

    arena none;
    arena_init_fixed(&none, NULL, 0);
    CHECK(arena_alloc(&none, 1) == NULL);
}

static void test_arena_growable(void)
{
    counting c = {0};
    pol_alloc al = {c_malloc, c_realloc, c_free, &c};
    arena a;
    arena_init_growable(&a, &al);
    CHECK(c.mallocs == 0); /* lazy: nothing until the first allocation */
    void *first = arena_alloc(&a, 100);
    CHECK(first != NULL && ((uintptr_t)first & 15) == 0);
    CHECK(c.mallocs == 1);
    arena_mark m = arena_save(&a);
    for (int i = 0; i < 100; i++)
        CHECK(arena_alloc(&a, 4000) != NULL);
    void *big = arena_alloc(&a, 10u << 20); /* larger than any chunk size */
    CHECK(big != NULL);
    memset(big, 1, 10u << 20);
    CHECK(c.mallocs > 2);
    CHECK(arena_high_water(&a) >= 100 * 4000 + (10u << 20));
    arena_restore(&a, m);
    CHECK(c.mallocs - c.frees == 1); /* back to the first chunk */
    CHECK(arena_alloc(&a, 16) == (unsigned char *)first + 112);
    for (int i = 0; i < 50; i++)
        arena_alloc(&a, 8000);
    arena_reset(&a);
    CHECK(c.mallocs - c.frees == 1);
    CHECK(arena_alloc(&a, 16) == first);
    arena_free(&a);
    CHECK(c.mallocs == c.frees);
    CHECK(c.live == 0);

    /* NULL allocator = libc; chunks of 2 MB and more are mapped (with their
     * pages present) and unmapped on release: many of them, one bigger than
     * the chunk size, written to the end, kept across a restore to a mark
     * inside them, then dropped by reset and free (ASan and LeakSanitizer
     * watch the ordinary chunks; a wrong unmap would fault). */
    arena b;
    arena_init_growable(&b, NULL);
    CHECK(arena_alloc(&b, 1 << 20) != NULL);
    CHECK(v_cstr(&b, "x") != NULL);
    unsigned char *blocks[40];
    arena_mark mid = {0};
    for (int i = 0; i < 40; i++) {
        size_t n = i == 20 ? (9u << 20) : (512u << 10);
        blocks[i] = arena_alloc(&b, n);
        CHECK(blocks[i] != NULL && ((uintptr_t)blocks[i] & 15) == 0);
        if (blocks[i])
            memset(blocks[i], i, n);
        if (i == 10)
            mid = arena_save(&b);
    }
    CHECK(blocks[39] && blocks[39][(512u << 10) - 1] == 39 && blocks[20] && blocks[20][(9u << 20) - 1] == 20);
    CHECK(arena_high_water(&b) >= (40u * (512u << 10)) + (9u << 20));
    arena_restore(&b, mid);
    CHECK(blocks[10][0] == 10 && blocks[5][0] == 5); /* what came before the mark stays */
    CHECK(arena_alloc(&b, 3u << 20) != NULL);
    arena_reset(&b);
    CHECK(arena_alloc(&b, 64) != NULL);
    arena_free(&b);

    void *p = pa_malloc(NULL, 10);
    p = pa_realloc(NULL, p, 10, 20);
    CHECK(p != NULL);
    pa_free(NULL, p, 20);
    pa_free(&al, NULL, 0);
    CHECK(c.frees == c.mallocs);
}

/* ---- constructors ---------------------------------------------------------- */

static void test_numbers(arena *a)
{
    const val *x = v_float(a, 3.0);
    CHECK(x->type == V_NUM && x->nk == NUM_INT && x->u.i == 3);
    x = v_float(a, -0.0);
    CHECK(x->nk == NUM_INT && x->u.i == 0);
    x = v_float(a, 2.5);
    CHECK(x->nk == NUM_FLOAT && x->u.d == 2.5);
    x = v_float(a, 1e19); /* integral but beyond int64 */
    CHECK(x->nk == NUM_FLOAT);
    x = v_float(a, -9223372036854775808.0);
    CHECK(x->nk == NUM_INT && x->u.i == INT64_MIN);

    x = num(a, "18446744073709551614");
    CHECK(x->nk == NUM_BIG && x->len == 20 && strcmp(x->u.s, "18446744073709551614") == 0);
    x = num(a, "9223372036854775807");
    CHECK(x->nk == NUM_INT && x->u.i == INT64_MAX);
    x = num(a, "-9223372036854775808");
    CHECK(x->nk == NUM_INT && x->u.i == INT64_MIN);
    x = num(a, "9223372036854775808");
    CHECK(x->nk == NUM_BIG);
    x = num(a, "1.0");
    CHECK(x->nk == NUM_INT && x->u.i == 1);
    x = num(a, "1e2");
    CHECK(x->nk == NUM_INT && x->u.i == 100);
    x = num(a, "100e-2");
    CHECK(x->nk == NUM_INT && x->u.i == 1);
    x = num(a, "-0.0");
    CHECK(x->nk == NUM_INT && x->u.i == 0);
    x = num(a, "0.1");
    CHECK(x->nk == NUM_FLOAT && x->u.d == 0.1);
    x = num(a, "2.5e-3");
    CHECK(x->nk == NUM_FLOAT && x->u.d == 0.0025);
    /* More digits than a double holds: the text is kept. */
    x = num(a, "3.14159265358979323846");
    CHECK(x->nk == NUM_BIG && strcmp(x->u.s, "3.14159265358979323846") == 0);
    /* 17 digits that are exactly a double's shortest form stay a double. */
    x = num(a, "0.30000000000000004");
    CHECK(x->nk == NUM_FLOAT && x->u.d == 0.1 + 0.2);
    x = num(a, "1e400"); /* overflows a double */
    CHECK(x->nk == NUM_BIG);
    x = num(a, "1e-400"); /* underflows to 0 */
    CHECK(x->nk == NUM_BIG);
    CHECK(num(a, "01") == NULL);
    CHECK(num(a, "1.") == NULL);
    CHECK(num(a, "+1") == NULL);
    CHECK(num(a, "abc") == NULL);
    CHECK(num(a, "") == NULL);
    CHECK(v_num_text(a, "12", 1)->u.i == 1); /* bounded by n, not by NUL */

    int64_t i;
    CHECK(val_is_int(num(a, "42"), &i) && i == 42);
    CHECK(!val_is_int(num(a, "42.5"), &i));
    CHECK(!val_is_int(num(a, "18446744073709551614"), &i));
    val f2 = raw_float(2.0), f25 = raw_float(2.5);
    CHECK(val_is_int(&f2, &i) && i == 2);
    CHECK(!val_is_int(&f25, &i));
    CHECK(!val_is_int(VAL_TRUE, &i));
    CHECK(!val_is_int(v_cstr(a, "1"), &i));

    CHECK(val_to_double(num(a, "7")) == 7.0);
    CHECK(val_to_double(num(a, "0.5")) == 0.5);
    CHECK(val_to_double(num(a, "18446744073709551614")) == 18446744073709551614.0);
    CHECK(isnan(val_to_double(VAL_NULL)));
}

static void test_strings(arena *a)
{
    char src[] = "hello";
    const val *s = v_str(a, src, 5);
    src[0] = 'j';
    CHECK(s->type == V_STR && s->len == 5 && strcmp(s->u.s, "hello") == 0); /* copied, NUL-terminated */
    const val *r = v_str_ref(a, src, 5);
    CHECK(r->u.s == src);
    const val *z = v_str(a, "a\0b", 3);
    CHECK(z->len == 3 && memcmp(z->u.s, "a\0b", 4) == 0);
    CHECK(v_cstr(a, "") == &val_empty_str_c);
    CHECK(v_cstr(a, NULL) == NULL);
}

/* ---- order ------------------------------------------------------------------- */

static void test_type_order(arena *a)
{
    const val *null_only[] = {VAL_NULL};
    const val *order[] = {
        VAL_NULL,
        VAL_FALSE,
        VAL_TRUE,
        v_int(a, -5),
        v_int(a, 0),
        num(a, "0.5"),
        num(a, "18446744073709551614"),
        &val_empty_str_c,
        v_cstr(a, "a"),
        &val_empty_arr_c,
        arr2(a, VAL_NULL, NULL),
        &val_empty_obj_c,
        obj1(a, "a", VAL_NULL),
        &val_empty_set_c,
        set_of(a, null_only, 1),
    };
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int c = val_compare(order[i], order[j]);
            int want = i < j ? -1 : i > j ? 1 : 0;
            if ((c < 0 ? -1 : c > 0) != want) {
                fprintf(stderr, "order mismatch at %zu vs %zu\n", i, j);
                CHECK(0);
            }
        }
    }
    CHECK(strcmp(vtype_name(V_NULL), "null") == 0);
    CHECK(strcmp(vtype_name(V_BOOL), "boolean") == 0);
    CHECK(strcmp(vtype_name(V_NUM), "number") == 0);
    CHECK(strcmp(vtype_name(V_STR), "string") == 0);
    CHECK(strcmp(vtype_name(V_ARR), "array") == 0);
    CHECK(strcmp(vtype_name(V_OBJ), "object") == 0);
    CHECK(strcmp(vtype_name(V_SET), "set") == 0);
}

static void test_number_order(arena *a)
{
    val f1 = raw_float(1.0), f15 = raw_float(1.5), fbig = raw_float(1e20);
    const val *one = v_int(a, 1), *two = v_int(a, 2);
    CHECK(val_compare(one, &f1) == 0);
    CHECK(val_equal(one, &f1));
    CHECK(val_hash(one, 7) == val_hash(&f1, 7));
    CHECK(val_compare(one, &f15) < 0);
    CHECK(val_compare(&f15, two) < 0);
    CHECK(val_compare(v_int(a, -1), v_int(a, 0)) < 0);
    CHECK(val_compare(v_int(a, INT64_MIN), v_int(a, INT64_MAX)) < 0);

    const val *big = num(a, "18446744073709551614");
    const val *nbig = num(a, "-18446744073709551614");
    CHECK(val_compare(big, v_int(a, INT64_MAX)) > 0);
    CHECK(val_compare(nbig, v_int(a, INT64_MIN)) < 0);
    CHECK(val_compare(nbig, big) < 0);
    CHECK(val_compare(big, num(a, "18446744073709551615")) < 0);
    CHECK(val_compare(big, num(a, "118446744073709551614")) < 0);
    CHECK(val_equal(big, num(a, "18446744073709551614")));
    CHECK(val_hash(big, 1) == val_hash(num(a, "18446744073709551614"), 1));
    CHECK(!val_equal(big, num(a, "18446744073709551615")));

    /* Big integer texts against a double: exact. */
    CHECK(val_compare(num(a, "100000000000000000001"), &fbig) > 0);
    CHECK(val_compare(num(a, "99999999999999999999"), &fbig) < 0);
    const val *e20 = num(a, "100000000000000000000");
    CHECK(e20->nk == NUM_BIG);
    CHECK(val_equal(e20, &fbig));
    CHECK(val_hash(e20, 3) == val_hash(&fbig, 3));
    CHECK(val_equal(num(a, "1e20"), e20));

    /* Long decimal text vs the nearby double: ordered by exact value. */
    const val *pi_text = num(a, "3.14159265358979323846");
    val pi = raw_float(3.141592653589793);
    CHECK(val_compare(&pi, pi_text) < 0);
    CHECK(val_compare(pi_text, v_int(a, 4)) < 0);
    CHECK(val_compare(pi_text, v_int(a, 3)) > 0);
    CHECK(val_equal(pi_text, num(a, "3.141592653589793238460")));
    CHECK(val_hash(pi_text, 0) == val_hash(num(a, "3.141592653589793238460"), 0));
    CHECK(val_compare(num(a, "1e400"), &fbig) > 0);
    CHECK(val_compare(num(a, "-1e400"), v_int(a, INT64_MIN)) < 0);

    /* Sorting a set merges equal numbers of different kinds. */
    const val *xs[] = {&f1, two, one, &f15};
    const val *s = set_of(a, xs, 4);
    CHECK(s->len == 3);
    CHECK(val_compare(s->u.a[0], one) == 0 && val_compare(s->u.a[1], &f15) == 0 && s->u.a[2] == two);
}

static void test_composite_order(arena *a)
{
    const val *one = v_int(a, 1), *two = v_int(a, 2), *three = v_int(a, 3);
    CHECK(val_compare(v_cstr(a, "a"), v_cstr(a, "ab")) < 0);
    CHECK(val_compare(v_cstr(a, "ab"), v_cstr(a, "b")) < 0);
    CHECK(val_compare(v_cstr(a, "\xc3\xa9"), v_cstr(a, "z")) > 0); /* bytes, not code points or locale */
    CHECK(val_compare(v_str(a, "a\0", 2), v_cstr(a, "a")) > 0);

    CHECK(val_compare(arr2(a, one, two), arr2(a, one, three)) < 0);
    CHECK(val_compare(arr2(a, one, NULL), arr2(a, one, two)) < 0);
    CHECK(val_compare(arr2(a, two, NULL), arr2(a, one, three)) > 0);
    CHECK(val_equal(arr2(a, one, two), arr2(a, v_int(a, 1), v_int(a, 2))));

    CHECK(val_compare(obj1(a, "a", one), obj1(a, "a", two)) < 0);
    CHECK(val_compare(obj1(a, "a", three), obj1(a, "b", one)) < 0); /* key first */
    vbuild b;
    vb_init(&b, a);
    vb_put(&b, v_cstr(a, "b"), one);
    vb_put(&b, v_cstr(a, "a"), one);
    const val *ab = vb_finish_object(&b, NULL);
    CHECK(val_compare(obj1(a, "a", one), ab) < 0); /* prefix, then length */
    CHECK(val_compare(ab, obj1(a, "b", one)) < 0); /* key "a" < "b" at index 0 */

    const val *s12[] = {one, two}, *s13[] = {one, three}, *s1[] = {one};
    CHECK(val_compare(set_of(a, s12, 2), set_of(a, s13, 2)) < 0);
    CHECK(val_compare(set_of(a, s1, 1), set_of(a, s12, 2)) < 0);
}

/* ---- builders ------------------------------------------------------------------ */

static void test_builders(arena *a)
{
    arena *outer = a;
    const val *xs[] = {v_int(a, 3), v_int(a, 1), v_int(a, 3), v_int(a, 2), v_int(a, 1)};
    const val *s = set_of(a, xs, 5);
    CHECK(s->type == V_SET && s->len == 3);
    CHECK(s->u.a[0]->u.i == 1 && s->u.a[1]->u.i == 2 && s->u.a[2]->u.i == 3);
    CHECK(set_of(a, xs, 0) == &val_empty_set_c);

    vbuild b;
    vb_init(&b, a);
    for (int i = 0; i < 100; i++) /* crosses several capacity doublings */
        CHECK(vb_push(&b, v_int(a, i)));
    const val *arr = vb_finish_array(&b);
    CHECK(arr->type == V_ARR && arr->len == 100 && arr->u.a[99]->u.i == 99 && arr->u.a[0]->u.i == 0);
    vb_init(&b, a);
    CHECK(vb_finish_array(&b) == &val_empty_arr_c);

    bool conflict = true;
    vb_init(&b, a);
    vb_put(&b, v_cstr(a, "z"), v_int(a, 1));
    vb_put(&b, v_cstr(a, "a"), v_int(a, 2));
    vb_put(&b, v_int(a, 5), v_int(a, 3));
    vb_put(&b, v_cstr(a, "z"), v_int(a, 1)); /* identical pair collapses */
    const val *o = vb_finish_object(&b, &conflict);
    CHECK(o && !conflict && o->len == 3);
    CHECK(o->u.o.k[0]->type == V_NUM && o->u.o.k[1]->u.s[0] == 'a' && o->u.o.k[2]->u.s[0] == 'z');
    CHECK(o->u.o.v[2]->u.i == 1);

    vb_init(&b, a);
    vb_put(&b, v_cstr(a, "k"), v_int(a, 1));
    vb_put(&b, v_cstr(a, "k"), v_int(a, 2));
    CHECK(vb_finish_object(&b, &conflict) == NULL && conflict);
    vb_init(&b, a);
    CHECK(vb_finish_object(&b, &conflict) == &val_empty_obj_c && !conflict);

    /* 1 and 1.0 are the same key. */
    val f1 = raw_float(1.0);
    vb_init(&b, a);
    vb_put(&b, v_int(a, 1), v_cstr(a, "x"));
    vb_put(&b, &f1, v_cstr(a, "x"));
    o = vb_finish_object(&b, &conflict);
    CHECK(o && o->len == 1);

    /* Sets and objects of every size from 1 to 40 (insertion sort up to 16,
     * introsort above) from pseudo-random keys with many duplicates: the
     * result is strictly ascending and holds exactly the distinct keys; an
     * object whose duplicate keys disagree on the value conflicts. */
    arena grow;
    arena_init_growable(&grow, NULL);
    a = &grow;
    uint32_t seed = 12345;
    for (uint32_t n = 1; n <= 40; n++) {
        for (int round = 0; round < 20; round++) {
            bool seen[16] = {false};
            uint32_t distinct = 0;
            vbuild sb, ob;
            vb_init(&sb, a);
            vb_init(&ob, a);
            bool disagree = round % 5 == 4 && n > 1;
            for (uint32_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                uint32_t key = (seed >> 16) % 16;
                distinct += !seen[key];
                seen[key] = true;
                const val *k = key % 2 ? v_int(a, key) : v_str(a, &"abcdefghijklmnop"[key], 1);
                vb_push(&sb, k);
                /* the value is a function of the key unless this round makes
                 * the last pair disagree with an earlier one */
                vb_put(&ob, disagree && i == n - 1 ? ob.k[0] : k,
                       v_int(a, disagree && i == n - 1 ? 99 : (int64_t)key));
            }
            const val *set = vb_finish_set(&sb);
            CHECK(set && set->len == distinct);
            for (uint32_t i = 1; set && i < set->len; i++)
                CHECK(val_compare(set->u.a[i - 1], set->u.a[i]) < 0);
            bool conflict = false;
            const val *obj = vb_finish_object(&ob, &conflict);
            CHECK(disagree ? obj == NULL && conflict : obj != NULL && !conflict);
            for (uint32_t i = 0; obj && i < obj->len; i++) {
                CHECK(i == 0 || val_compare(obj->u.o.k[i - 1], obj->u.o.k[i]) < 0);
                const val *k = obj->u.o.k[i];
                int64_t want = k->type == V_NUM ? k->u.i : k->u.s[0] - 'a';
                CHECK(obj->u.o.v[i]->u.i == want);
            }
            CHECK(!obj || obj->len == distinct);
        }
    }
    arena_free(&grow);
    a = outer;

    /* Strings that share a first byte, or are prefixes of each other, sort
     * by their bytes and then by length. */
    const val *ws[] = {v_cstr(a, "abc"), v_cstr(a, "b"),  v_cstr(a, "ab"),
                       v_cstr(a, "abd"), v_cstr(a, "ab"), v_cstr(a, "a")};
    s = set_of(a, ws, 6);
    CHECK(s->len == 5);
    const char *want_order[] = {"a", "ab", "abc", "abd", "b"};
    for (uint32_t i = 0; i < 5 && i < s->len; i++)
        CHECK_STR(s->u.a[i]->u.s, want_order[i]);

    /* Sets of strings only, of every size up to 20, against qsort by
     * val_compare and a pass that drops repeats: strings that differ in
     * their first eight bytes (sorted by their keys alone), and ones that
     * do not: shared long prefixes, prefixes of each other, embedded NUL
     * bytes (a NUL ties with the short key's padding), bytes above 0x7f
     * (unsigned order), the empty string and repeats. */
    static const struct {
        const char *s;
        size_t n;
    } pool[] = {
        {"source address is outside", 25},
        {"MFA verification is old", 23},
        {"clearance is below", 18},
        {"action requires ownership", 25},
        {"pending total exceeds", 21},
        {"transaction malformed", 21},
        {"transaction has a malformed IBAN", 32},
        {"transactioo", 11},
        {"transact", 8},
        {"transac", 7},
        {"trans\0ction", 11},
        {"trans", 5},
        {"trans\0", 6},
        {"\xe2\x82\xac euro", 8},
        {"\x7f del", 5},
        {"", 0},
        {"a", 1},
        {"ab", 2},
        {"abcdefgh", 8},
        {"abcdefghi", 9},
        {"abcdefgg", 8},
        {"\xc3\xa9t\xc3\xa9", 6},
    };
    enum { POOL = sizeof pool / sizeof pool[0] };
    arena_init_growable(&grow, NULL);
    a = &grow;
    for (uint32_t n = 1; n <= 20; n++) {
        for (int round = 0; round < 200; round++) {
            vbuild sb;
            vb_init(&sb, a);
            const val *want[20];
            /* up to six members, half the rounds take the first six in a
             * random order: all keys distinct */
            uint32_t perm[6] = {0, 1, 2, 3, 4, 5};
            for (uint32_t i = 5; i > 0; i--) {
                seed = seed * 1103515245u + 12345u;
                uint32_t j = (seed >> 16) % (i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            for (uint32_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                uint32_t at = n <= 6 && round % 2 == 0 ? perm[i] : (seed >> 16) % POOL;
                want[i] = v_str(a, pool[at].s, pool[at].n);
                vb_push(&sb, want[i]);
            }
            qsort(want, n, sizeof want[0], cmp_val_ptrs);
            uint32_t distinct = n ? 1 : 0;
            for (uint32_t i = 1; i < n; i++)
                if (val_compare(want[distinct - 1], want[i]) != 0)
                    want[distinct++] = want[i];
            const val *set = vb_finish_set(&sb);
            CHECK(set && set->len == distinct);
            for (uint32_t i = 0; set && i < set->len && i < distinct; i++)
                CHECK(val_equal(set->u.a[i], want[i]));
        }
    }
    arena_free(&grow);
    a = outer;

    /* A presized builder takes its capacity without growing (its arrays
     * stay where they were), then grows past it as any other. */
    vb_init_cap(&b, a, 4, true);
    CHECK(!b.oom && b.cap == 4 && b.k && b.v);
    const val **first_keys = b.k;
    for (int i = 0; i < 4; i++)
        CHECK(vb_put(&b, v_int(a, 4 - i), VAL_TRUE));
    CHECK(b.k == first_keys);
    CHECK(vb_put(&b, v_int(a, 0), VAL_NULL));
    o = vb_finish_object(&b, &conflict);
    CHECK(o && o->len == 5 && o->u.o.k[0]->u.i == 0 && o->u.o.v[0] == VAL_NULL);
    vb_init_cap(&b, a, 0, false);
    CHECK(!b.oom && b.cap == 0 && vb_finish_array(&b) == &val_empty_arr_c);

    /* A NULL element (a failed constructor) poisons the builder. */
    vb_init(&b, a);
    CHECK(!vb_push(&b, NULL));
    CHECK(!vb_push(&b, VAL_NULL));
    CHECK(vb_finish_array(&b) == NULL);

    /* Builder growth failing in a full arena. */
    unsigned char small[512];
    arena t;
    arena_init_fixed(&t, small, sizeof small);
    vb_init(&b, &t);
    bool ok = true;
    for (int i = 0; i < 200 && ok; i++)
        ok = vb_push(&b, VAL_TRUE);
    CHECK(!ok && b.oom);
    CHECK(vb_finish_array(&b) == NULL);
    /* ... and a presized builder that does not fit is poisoned at once */
    arena_init_fixed(&t, small, sizeof small);
    vb_init_cap(&b, &t, 1000, false);
    CHECK(b.oom && !vb_push(&b, VAL_TRUE) && vb_finish_array(&b) == NULL);
}

/* ---- lookups -------------------------------------------------------------------- */

static void test_lookups(arena *a)
{
    const val *ten = v_int(a, 10), *twenty = v_int(a, 20), *thirty = v_int(a, 30);
    vbuild b;
    vb_init(&b, a);
    vb_push(&b, ten);
    vb_push(&b, twenty);
    vb_push(&b, thirty);
    const val *arr = vb_finish_array(&b);
    val f1 = raw_float(1.0), f15 = raw_float(1.5);
    CHECK(val_index(arr, v_int(a, 1)) == twenty);
    CHECK(val_index(arr, &f1) == twenty);
    CHECK(val_index(arr, &f15) == NULL);
    CHECK(val_index(arr, v_int(a, -1)) == NULL);
    CHECK(val_index(arr, v_int(a, 3)) == NULL);
    CHECK(val_index(arr, v_cstr(a, "1")) == NULL);
    CHECK(val_index(arr, num(a, "18446744073709551614")) == NULL);

    vb_init(&b, a);
    vb_put(&b, v_int(a, 1), v_cstr(a, "num"));
    vb_put(&b, v_cstr(a, "1"), v_cstr(a, "str"));
    vb_put(&b, v_cstr(a, "b"), twenty);
    vb_put(&b, arr, thirty);
    vb_put(&b, VAL_TRUE, ten);
    const val *o = vb_finish_object(&b, NULL);
    CHECK(val_obj_get(o, v_int(a, 1)) && strcmp(val_obj_get(o, v_int(a, 1))->u.s, "num") == 0);
    CHECK(val_obj_get(o, &f1) && strcmp(val_obj_get(o, &f1)->u.s, "num") == 0);
    CHECK(strcmp(val_obj_get_str(o, "1", 1)->u.s, "str") == 0);
    CHECK(val_obj_get_str(o, "b", 1) == twenty);
    CHECK(val_obj_get_str(o, "c", 1) == NULL);
    CHECK(val_obj_get_str(o, "", 0) == NULL);
    CHECK(val_obj_get(o, arr2(a, ten, twenty)) == NULL);
    CHECK(val_index(o, arr) == thirty);
    CHECK(val_index(o, VAL_TRUE) == ten);
    CHECK(val_index(o, VAL_FALSE) == NULL);
    CHECK(val_obj_get_str(arr, "b", 1) == NULL);

    /* Small objects are scanned with an inline byte comparison: keys of
     * every length up to 20 that differ from the probe in exactly one byte
     * (each position in turn, so every word and tail case sees the
     * difference) are not found; the equal key is. */
    for (size_t len = 1; len <= 20; len++) {
        char probe[21];
        for (size_t i = 0; i < len; i++)
            probe[i] = (char)('a' + (i * 7) % 26);
        for (size_t at = 0; at < len; at++) {
            char near[21];
            memcpy(near, probe, len);
            near[at] ^= 0x20; /* another letter's case */
            vb_init(&b, a);
            vb_put(&b, v_str(a, near, len), ten);
            vb_put(&b, v_str(a, probe, len - 1), twenty); /* a prefix of the probe */
            const val *obj = vb_finish_object(&b, NULL);
            CHECK(val_obj_get_str(obj, probe, len) == NULL);
            vb_init(&b, a);
            vb_put(&b, v_str(a, near, len), ten);
            vb_put(&b, v_str(a, probe, len), thirty);
            obj = vb_finish_object(&b, NULL);
            CHECK(val_obj_get_str(obj, probe, len) == thirty);
            CHECK(val_obj_get_str(obj, near, len) == ten);
        }
    }

    const val *xs[] = {v_cstr(a, "x"), ten, VAL_NULL};
    const val *s = set_of(a, xs, 3);
    val f10 = raw_float(10.0);
    CHECK(val_set_has(s, ten));
    CHECK(val_set_has(s, &f10));
    CHECK(val_set_has(s, VAL_NULL));
    CHECK(!val_set_has(s, twenty));
    CHECK(val_index(s, v_cstr(a, "x")) == xs[0]); /* membership yields the element */
    CHECK(val_index(s, v_cstr(a, "y")) == NULL);
    CHECK(val_index(v_cstr(a, "abc"), v_int(a, 0)) == NULL);
    CHECK(val_index(VAL_NULL, VAL_NULL) == NULL);
    CHECK(!val_set_has(arr, ten));
}

/* ---- hashing -------------------------------------------------------------------- */

static void test_hash(arena *a)
{
    const val *one = v_int(a, 1), *two = v_int(a, 2);
    /* Sets and objects built in different orders are the same value. */
    const val *xs[] = {one, two, v_cstr(a, "s")}, *ys[] = {v_cstr(a, "s"), two, v_int(a, 1)};
    const val *s1 = set_of(a, xs, 3), *s2 = set_of(a, ys, 3);
    CHECK(val_equal(s1, s2));
    CHECK(val_hash(s1, 42) == val_hash(s2, 42));

    vbuild b;
    vb_init(&b, a);
    vb_put(&b, v_cstr(a, "x"), one);
    vb_put(&b, v_cstr(a, "y"), s1);
    const val *o1 = vb_finish_object(&b, NULL);
    vb_init(&b, a);
    vb_put(&b, v_cstr(a, "y"), s2);
    vb_put(&b, v_cstr(a, "x"), one);
    const val *o2 = vb_finish_object(&b, NULL);
    CHECK(val_equal(o1, o2));
    CHECK(val_hash(o1, 0) == val_hash(o2, 0));

    /* Distinct values: these would collide only if the hash ignored
     * content or type. */
    CHECK(val_hash(one, 0) != val_hash(two, 0));
    CHECK(val_hash(one, 0) != val_hash(v_cstr(a, "1"), 0));
    CHECK(val_hash(VAL_TRUE, 0) != val_hash(VAL_FALSE, 0));
    CHECK(val_hash(&val_empty_arr_c, 0) != val_hash(&val_empty_set_c, 0));
    CHECK(val_hash(arr2(a, one, two), 0) != val_hash(arr2(a, two, one), 0));
    CHECK(val_hash(one, 0) != val_hash(one, 1)); /* the seed matters */
    val f15 = raw_float(1.5);
    CHECK(val_hash(&f15, 0) == val_hash(num(a, "1.50"), 0));
    CHECK(val_hash(&f15, 0) != val_hash(one, 0));
    CHECK(!val_equal(v_cstr(a, "ab"), v_cstr(a, "ac")));
    CHECK(!val_equal(VAL_NULL, VAL_FALSE));
    CHECK(val_equal(VAL_NULL, VAL_NULL));
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* pol_sort: sorted output, same multiset, on the shapes that break naive
 * quicksorts (sorted, reversed, all equal, organ pipe) and random data. */
static void test_pol_sort(void)
{
    static int a[5000];
    static long count[64];
    uint64_t seed = 12345;
    for (int shape = 0; shape < 5; shape++) {
        for (size_t n = 0; n <= 5000; n = n < 40 ? n + 1 : n * 3) {
            memset(count, 0, sizeof count);
            for (size_t i = 0; i < n; i++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                a[i] = shape == 0   ? (int)(seed >> 58)
                       : shape == 1 ? (int)(i % 64)
                       : shape == 2 ? (int)((n - i) % 64)
                       : shape == 3 ? 7
                                    : (int)((i < n / 2 ? i : n - i) % 64);
                count[a[i]]++;
            }
            pol_sort(a, n, sizeof a[0], cmp_int);
            bool sorted = true;
            for (size_t i = 1; i < n; i++)
                sorted &= a[i - 1] <= a[i];
            for (size_t i = 0; i < n; i++)
                count[a[i]]--;
            bool same = true;
            for (int k = 0; k < 64; k++)
                same &= count[k] == 0;
            CHECK(sorted && same);
        }
    }
}

/* Large objects get a hash index of their string keys: every key is
 * still found (and only those), non-string keys still go through the
 * ordered search, shared subobjects are indexed once, and the object
 * reads, compares and prints exactly as before. */
static void test_hash_index(arena *a)
{
    enum { N = 300 };
    vbuild b;
    vb_init(&b, a);
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "user-%04d", i * 7);
        CHECK(vb_put(&b, v_str(a, key, strlen(key)), v_int(a, i)));
    }
    CHECK(vb_put(&b, v_int(a, 42), v_str(a, "number key", 10)));
    CHECK(vb_put(&b, v_str(a, "", 0), v_str(a, "empty key", 9)));
    vbuild sb1;
    vb_init(&sb1, a);
    CHECK(vb_put(&sb1, v_str(a, "a", 1), v_int(a, 1)));
    const val *small = vb_finish_object(&sb1, NULL);
    CHECK(vb_put(&b, v_str(a, "small", 5), small));
    const val *obj = vb_finish_object(&b, NULL);
    CHECK(obj && obj->len == N + 3);
    if (!obj)
        return;
    char before[1 << 14];
    sbuf sb;
    sb_init(&sb, before, sizeof before);
    json_write(&sb, obj, 0);
    CHECK(val_build_hash_indexes(a, obj));
    CHECK(obj->flags & VF_HASHED);
    CHECK(!(small->flags & VF_HASHED)); /* below the threshold */
    const val *const *keys_once = obj->u.o.k;
    CHECK(val_build_hash_indexes(a, obj)); /* a second walk changes nothing */
    CHECK(obj->u.o.k == keys_once);
    int found = 0, wrong = 0;
    for (int i = 0; i < N * 7; i++) {
        snprintf(key, sizeof key, "user-%04d", i);
        const val *v = val_obj_get_str(obj, key, strlen(key));
        int64_t n;
        if (i % 7 == 0)
            found += v && val_is_int(v, &n) && n == i / 7;
        else
            wrong += v != NULL;
    }
    CHECK(found == N);
    CHECK(wrong == 0);
    CHECK(val_obj_get_str(obj, "user-000", 8) == NULL);    /* a prefix of a key */
    CHECK(val_obj_get_str(obj, "user-00000", 10) == NULL); /* a key extended */
    const val *e = val_obj_get_str(obj, "", 0);
    CHECK(e && e->type == V_STR && e->len == 9);
    const val *nk = val_obj_get(obj, v_int(a, 42));
    CHECK(nk && nk->type == V_STR && nk->len == 10);
    CHECK(val_obj_get(obj, v_int(a, 43)) == NULL);
    CHECK(val_obj_get_str(obj, "small", 5) == small);
    char after[1 << 14];
    sb_init(&sb, after, sizeof after);
    json_write(&sb, obj, 0);
    CHECK_STR(after, before);

    /* sets: string elements by hash, the others by order */
    vbuild sb2;
    vb_init(&sb2, a);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "role-%d", i * 3);
        CHECK(vb_push(&sb2, v_str(a, key, strlen(key))));
    }
    CHECK(vb_push(&sb2, v_int(a, 7)));
    const val *set = vb_finish_set(&sb2);
    CHECK(set && set->len == N + 1 && val_build_hash_indexes(a, set) && (set->flags & VF_HASHED));
    if (!set)
        return;
    int members = 0, strays = 0;
    for (int i = 0; i < N * 3; i++) {
        snprintf(key, sizeof key, "role-%d", i);
        bool has = val_set_has(set, v_str(a, key, strlen(key)));
        if (i % 3 == 0)
            members += has;
        else
            strays += has;
    }
    CHECK(members == N);
    CHECK(strays == 0);
    CHECK(val_set_has(set, v_int(a, 7)));
    CHECK(!val_set_has(set, v_int(a, 8)));
    const val *same = val_index(set, v_str(a, "role-30", 7));
    CHECK(same && same->type == V_STR && same->len == 7);
}

/* ---- decimal hints on floats ------------------------------------------------ */

static uint64_t hint_rng = 0x2545f4914f6cdd1dull;

static uint64_t hrand(void)
{
    hint_rng ^= hint_rng << 13;
    hint_rng ^= hint_rng >> 7;
    hint_rng ^= hint_rng << 17;
    return hint_rng;
}

/* The invariant of value.h: a hint, when present, is exactly the double's
 * shortest digits (num_shortest_double, itself checked against libc in
 * vm/numconv). Counts hints seen in *present. */
static bool hint_ok(const val *x, int *present)
{
    uint64_t mant;
    int e10;
    if (x->type != V_NUM || !val_float_hint(x, &mant, &e10))
        return true;
    ++*present;
    num_decimal nd;
    num_shortest_double(x->u.d, &nd);
    char got[24];
    int n = snprintf(got, sizeof got, "%llu", (unsigned long long)mant);
    return mant % 10 != 0 && n == nd.ndigits && memcmp(got, nd.digits, (size_t)n) == 0 &&
           e10 == nd.point - nd.ndigits;
}

static void test_float_hints(arena *a)
{
    int bad = 0, present = 0, expected = 0;
    char buf[64];
    for (int i = 0; i < 20000; i++) {
        arena_mark m = arena_save(a);
        /* 1 to 17 significant digits, exponents either side of the point */
        int nd = 1 + (int)(hrand() % 17), e = (int)(hrand() % 41) - 20;
        uint64_t digits = 1 + hrand() % 99999999999999999ull;
        char ds[24];
        snprintf(ds, sizeof ds, "%017llu", (unsigned long long)digits);
        ds[nd] = '\0';
        if (ds[0] == '0')
            ds[0] = '7';
        snprintf(buf, sizeof buf, "%s%se%d", hrand() % 3 ? "" : "-", ds, e);
        const val *t = num(a, buf), *f = v_float(a, strtod(buf, NULL));
        bad += !hint_ok(t, &present) + !hint_ok(f, &present);
        /* where the digits are short and the exponent modest, every
         * constructor sets the hint */
        num_decimal sd;
        double d = strtod(buf, NULL);
        num_shortest_double(d, &sd);
        if (t->nk == NUM_FLOAT && sd.ndigits <= 9 && sd.point >= -9 && sd.point <= 20) {
            uint64_t mt, mf;
            int et, ef;
            expected++;
            bad += !val_float_hint(t, &mt, &et) || !val_float_hint(f, &mf, &ef) || mt != mf || et != ef;
        }
        /* arbitrary doubles: rarely a hint, never a wrong one */
        uint64_t bits = hrand();
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d))
            bad += !hint_ok(v_float(a, d), &present);
        arena_restore(a, m);
    }
    CHECK(bad == 0);
    CHECK(expected > 2000 && present >= 2 * expected);
    /* known digits */
    uint64_t mant;
    int e10;
    const val *x = num(a, "9999.99");
    CHECK(val_float_hint(x, &mant, &e10) && mant == 999999 && e10 == -2);
    x = num(a, "-1250.500");
    CHECK(val_float_hint(x, &mant, &e10) && mant == 12505 && e10 == -1 && x->u.d == -1250.5);
    x = v_float(a, 0.1 + 0.2); /* 17 digits: no hint */
    CHECK(x->nk == NUM_FLOAT && !val_float_hint(x, &mant, &e10));
    x = num(a, "0.30000000000000004");
    CHECK(x->nk == NUM_FLOAT && !val_float_hint(x, &mant, &e10));
    x = v_float(a, 1e19);
    CHECK(val_float_hint(x, &mant, &e10) && mant == 1 && e10 == 19);
    x = v_float(a, 5e-324); /* subnormal: no hint, printing still exact */
    CHECK(!val_float_hint(x, &mant, &e10));
    x = v_float_dec(a, 57450.74, 5745074000, -5); /* trailing zeros are dropped */
    CHECK(val_float_hint(x, &mant, &e10) && mant == 5745074 && e10 == -2);
    /* the hint and its absence print the same */
    val plain = raw_float(57450.74);
    char t1[64], t2[64];
    sbuf b1, b2;
    sb_init(&b1, t1, sizeof t1);
    sb_init(&b2, t2, sizeof t2);
    json_write_number(&b1, x);
    json_write_number(&b2, &plain);
    sb_putc(&b1, 0);
    sb_putc(&b2, 0);
    CHECK_STR(t1, "57450.74");
    CHECK_STR(t2, "57450.74");
    /* and compare, hash alike */
    CHECK(val_compare(x, &plain) == 0 && val_hash(x, 1) == val_hash(&plain, 1));
    /* a float filled in place gets its hint computed */
    val slot = raw_float(-0.0025);
    val_float_set_hint(&slot);
    CHECK(val_float_hint(&slot, &mant, &e10) && mant == 25 && e10 == -4);
}

/* A NUM_BIG against an int64, decided by the integer part when it can be:
 * the expected order follows from how each text is built. */
static void test_big_vs_int(arena *a)
{
    struct {
        const char *big;
        int64_t i;
        int want;
    } cases[] = {
        {"57450.740000000000002", 50000, 1},
        {"57450.740000000000002", 57450, 1},
        {"57450.740000000000002", 57451, -1},
        {"-57450.740000000000002", -57450, -1},
        {"-57450.740000000000002", -57451, 1},
        {"-57450.740000000000002", 0, -1},
        {"0.100000000000000000001", 0, 1},
        {"-0.100000000000000000001", 0, -1},
        {"-0.100000000000000000001", -1, 1},
        {"18446744073709551616", INT64_MAX, 1}, /* integer part beyond 64 bits: exact path */
        {"9223372036854775808", INT64_MAX, 1},
        {"-9223372036854775809", INT64_MIN, -1},
        {"9223372036854775807.5", INT64_MAX, 1},
        {"-9223372036854775808.5", INT64_MIN, -1},
        {"1.00000000000000000001e3", 1000, 1}, /* exponent: exact path */
        {"1.00000000000000000001e3", 1001, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const val *b = num(a, cases[i].big), *n = v_int(a, cases[i].i);
        CHECK(b->nk == NUM_BIG);
        CHECK(val_compare(b, n) == cases[i].want);
        CHECK(val_compare(n, b) == -cases[i].want);
        CHECK(!val_equal(b, n));
    }
    /* i + f against i - 1, i, i + 1, for fractions far below a double's
     * resolution */
    char buf[64];
    for (int k = 0; k < 2000; k++) {
        int64_t base = (int64_t)(hrand() % 2000000001ull) - 1000000000;
        snprintf(buf, sizeof buf, "%lld.%019llu", (long long)base, (unsigned long long)(1 + hrand() % 999));
        const val *b = num(a, buf);
        /* the fraction's sign follows the integer part's; "-0.000…" is below 0 */
        bool neg = buf[0] == '-';
        CHECK(b->nk == NUM_BIG);
        CHECK(val_compare(b, v_int(a, base)) == (neg ? -1 : 1));
        CHECK(val_compare(b, v_int(a, base + 1)) == (neg ? -1 : -1));
        CHECK(val_compare(b, v_int(a, base - 1)) == 1);
    }
    /* The integer against the same big text compared as two texts (the
     * double and decimal path, which does not read the text's integer
     * part on its own): fractions of 0 to 40 digits, zeros among them,
     * so whole words and tails of the digit scan are reached. */
    for (int k = 0; k < 20000; k++) {
        arena_mark mark = arena_save(a);
        int64_t base = (int64_t)(hrand() % 200001ull) - 100000;
        int nf = (int)(hrand() % 41);
        char t[96];
        int n = snprintf(t, sizeof t, "%lld", (long long)base);
        if (nf)
            t[n++] = '.';
        for (int j = 0; j < nf; j++)
            t[n++] = hrand() % 4 ? '0' : (char)('0' + hrand() % 10);
        const val *b = v_num_big(a, t, (size_t)n);
        int64_t other = base + (int64_t)(hrand() % 3) - 1;
        char o[32];
        int on = snprintf(o, sizeof o, "%lld", (long long)other);
        CHECK(val_compare(b, v_int(a, other)) == val_compare(b, v_num_big(a, o, (size_t)on)));
        arena_restore(a, mark);
    }
    /* Integer parts of 1 to 20 digits (odd and even counts for the
     * two-digit steps, 19 digits the longest taken, 20 beyond int64)
     * against ints near them and at the ends of int64, again against the
     * two-text path. */
    for (int k = 0; k < 20000; k++) {
        arena_mark mark = arena_save(a);
        char t[64];
        int nd = 1 + (int)(hrand() % 20), n = 0;
        if (hrand() % 2)
            t[n++] = '-';
        t[n++] = (char)('1' + hrand() % 9);
        for (int j = 1; j < nd; j++)
            t[n++] = (char)('0' + hrand() % 10);
        if (hrand() % 2) {
            t[n++] = '.';
            t[n++] = (char)('0' + hrand() % 10);
            t[n++] = '1';
        }
        const val *b = v_num_big(a, t, (size_t)n);
        int64_t other;
        switch (hrand() % 3) {
        case 0: { /* strtoll saturates at the ends; the step stays inside */
            int64_t near = strtoll(t, NULL, 10), step = (int64_t)(hrand() % 3) - 1;
            other = (step > 0 && near == INT64_MAX) || (step < 0 && near == INT64_MIN) ? near : near + step;
            break;
        }
        case 1: other = hrand() % 2 ? INT64_MAX : INT64_MIN; break;
        default: other = (int64_t)hrand(); break;
        }
        char o[32];
        int on = snprintf(o, sizeof o, "%lld", (long long)other);
        CHECK(val_compare(b, v_int(a, other)) == val_compare(b, v_num_big(a, o, (size_t)on)));
        CHECK(val_compare(v_int(a, other), b) == -val_compare(b, v_int(a, other)));
        arena_restore(a, mark);
    }
    /* Texts that are not plain decimals leave the integer shortcut: an
     * exponent, a stray byte inside a word of fraction digits or in its
     * tail, bytes that would carry into their neighbour. */
    const char *odd[] = {"5.00000000000000000000x",
                         "5.0000000x00000000000",
                         ("5.000\xfa"
                          "0000000000"),
                         "5.0e1",
                         "5.00000000:00000000000",
                         "5.0000000/"};
    for (size_t k = 0; k < sizeof odd / sizeof *odd; k++) {
        const val *b = v_num_big(a, odd[k], strlen(odd[k]));
        int c = val_compare(b, v_int(a, 7)); /* whatever the fallback says, it says it consistently */
        CHECK(c == -val_compare(v_int(a, 7), b));
    }
    CHECK(val_compare(v_num_big(a, "5.0e1", 5), v_int(a, 49)) > 0);
    /* The integer part read a word at a time (leading_digits8): 1 to 9
     * digits followed by each byte that ends it (bytes that are digits
     * plus or minus one, or carry out of their byte, sometimes followed
     * by a '.'), with at least eight bytes from the first digit on;
     * against the two-text path, which a text the shortcut declines
     * takes too. */
    static const char enders[] = {'.', 'e',        'E',        ':',        '/',
                                  ' ', (char)0x80, (char)0x8a, (char)0xfa, (char)0xff};
    for (int k = 0; k < 20000; k++) {
        arena_mark mark = arena_save(a);
        char t[64];
        int nd = 1 + (int)(hrand() % 9), n = 0;
        if (hrand() % 4 == 0)
            t[n++] = '-';
        for (int j = 0; j < nd; j++)
            t[n++] = (char)((j == 0 ? '1' : '0') + hrand() % (j == 0 ? 9 : 10));
        char end = enders[hrand() % sizeof enders];
        t[n++] = end;
        if (end != '.' && hrand() % 2)
            t[n++] = '.';
        else if (end == 'e' || end == 'E')
            t[n++] = hrand() % 2 ? '-' : '+';
        while (n < 12 + (int)(hrand() % 8))
            t[n++] = (char)('0' + (end == 'e' || end == 'E' ? hrand() % 2 : hrand() % 10));
        const val *b = v_num_big(a, t, (size_t)n);
        int64_t other = strtoll(t, NULL, 10) + (int64_t)(hrand() % 3) - 1;
        int c = val_compare(b, v_int(a, other));
        CHECK(c == -val_compare(v_int(a, other), b));
        char o[32];
        int on = snprintf(o, sizeof o, "%lld", (long long)other);
        CHECK(c == val_compare(b, v_num_big(a, o, (size_t)on)));
        arena_restore(a, mark);
    }
    CHECK(val_compare(v_num_big(a, "5.00000000000000000000000", 25), v_int(a, 5)) == 0);
    CHECK(val_compare(v_num_big(a, "-5.00000000000000000000001", 26), v_int(a, -5)) < 0);
}

/* An int64 against a double: both are exact in a long double with a
 * 64-bit mantissa, which is the oracle (around ±2^53, where the int stops
 * being a double, and far from it). */
static void test_int_vs_double(arena *a)
{
    int bad = 0;
    for (int k = 0; k < 200000; k++) {
        int64_t i;
        switch (k % 4) {
        case 0: i = (int64_t)(hrand() % 2001) - 1000; break;
        case 1: i = ((int64_t)1 << 53) + (int64_t)(hrand() % 9) - 4; break;
        case 2: i = -((int64_t)1 << 53) + (int64_t)(hrand() % 9) - 4; break;
        default: i = (int64_t)hrand(); break;
        }
        double d;
        switch (hrand() % 3) {
        case 0: d = (double)i; break;
        case 1: d = (double)i + ((double)(hrand() % 5) - 2) * 0.25; break;
        default: d = nextafter((double)i, hrand() % 2 ? INFINITY : -INFINITY); break;
        }
        arena_mark mark = arena_save(a);
        val f = raw_float(d);
        long double li = (long double)i, ld = (long double)d;
        int want = li < ld ? -1 : li > ld;
        bad += val_compare(v_int(a, i), &f) != want || val_compare(&f, v_int(a, i)) != -want;
        arena_restore(a, mark);
    }
    CHECK(bad == 0);
}

/* v_int (inline in value.h): shared constants exactly below
 * VAL_SMALL_INT_LIMIT, an arena val with no hint or flags elsewhere; and
 * val_compare's int pair shortcut against two oracles: C's own comparison
 * and the NUM_BIG path (the same integer written "<i>.0", which
 * cmp_big_int decides from its integer part). */
static int sign_of(int c)
{
    return (c > 0) - (c < 0);
}

static const val *int_as_big_text(arena *a, int64_t i)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld.0", (long long)i);
    char *text = arena_alloc(a, (size_t)n + 1);
    val *v = arena_alloc(a, sizeof *v);
    if (!text || !v)
        return NULL;
    memcpy(text, buf, (size_t)n + 1);
    memset(v, 0, sizeof *v);
    v->type = V_NUM;
    v->nk = NUM_BIG;
    v->u.s = text;
    v->len = (uint32_t)n;
    return v;
}

static void test_int_fast_paths(arena *a)
{
    static const int64_t edges[] = {INT64_MIN, INT64_MIN + 1, -257, -256, -255,          -1,       0, 1, 254,
                                    255,       256,           257,  1000, INT64_MAX - 1, INT64_MAX};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        arena_mark m = arena_save(a);
        const val *v = v_int(a, edges[i]);
        bool shared = edges[i] >= 0 && edges[i] < VAL_SMALL_INT_LIMIT;
        CHECK(v && v->type == V_NUM && v->nk == NUM_INT && v->u.i == edges[i] && v->len == 0 &&
              v->flags == 0);
        CHECK((arena_save(a).ptr == m.ptr) == shared);
        CHECK(shared == (v == v_int(a, edges[i])));
        arena_restore(a, m);
    }
    int64_t xs[64];
    size_t nx = 0;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        xs[nx++] = edges[i];
    int mismatches = 0;
    for (int round = 0; round < 20000; round++) {
        arena_mark m = arena_save(a);
        uint64_t r = hrand();
        /* mix full-range values, small ones and near neighbours */
        int64_t x = round % 3 == 0 ? (int64_t)r : round % 3 == 1 ? (int64_t)(r % 600) - 300 : xs[r % nx];
        int64_t y = (r >> 7) % 4 == 0 ? x : (r >> 9) % 2 ? (int64_t)hrand() : (int64_t)(hrand() % 600) - 300;
        if ((r >> 11) % 8 == 0 && y != INT64_MAX)
            y = x + ((r >> 14) % 2 ? 1 : -1) * (x != INT64_MIN && x != INT64_MAX);
        int want = x < y ? -1 : x > y;
        const val *vx = v_int(a, x), *vy = v_int(a, y), *by = int_as_big_text(a, y);
        if (!vx || !vy || !by || sign_of(val_compare(vx, vy)) != want ||
            sign_of(val_compare(vx, by)) != want || val_equal(vx, vy) != (x == y))
            mismatches++;
        arena_restore(a, m);
    }
    CHECK(mismatches == 0);
}

int main(void)
{
    test_pol_sort();
    arena a;
    arena_init_fixed(&a, mem, sizeof mem);
    test_arena_fixed();
    test_arena_growable();
    test_numbers(&a);
    test_strings(&a);
    test_type_order(&a);
    test_number_order(&a);
    test_composite_order(&a);
    test_builders(&a);
    test_lookups(&a);
    test_hash(&a);
    test_hash_index(&a);
    test_float_hints(&a);
    test_big_vs_int(&a);
    test_int_vs_double(&a);
    test_int_fast_paths(&a);
    return TEST_SUMMARY();
}
