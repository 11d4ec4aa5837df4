/* The decision cache: a fixed array of slots, each guarded by a sequence
 * lock, holding (key, result image).
 *
 * Invariants:
 *  - Nothing is allocated after pol_cache_new; a result that does not fit
 *    a slot is simply not cached (counted as skipped).
 *  - Readers never block: they copy a slot and retry-free compare the
 *    sequence number before and after; a torn read is a miss.
 *  - Writers claim a slot by moving its sequence from even to odd with a
 *    CAS; a writer that loses the race skips its insert.
 *  - Slot words are accessed with relaxed atomics, ordered by the
 *    sequence's acquire/release, so the protocol is data-race free in the
 *    C11 model (and ThreadSanitizer agrees).
 *  - A result is stored as its *image*: the val structs, element/key/value
 *    pointer arrays and string bytes it occupies in an arena, laid out in
 *    one block, with pointers into the block stored as byte offsets from
 *    its start and a list of the words that hold them (see "images"
 *    below). A hit copies the block into the caller's arena and adds the
 *    copy's address to the listed words: no sorting, hashing, per-node
 *    work or allocation, and the result never points into the slot (which
 *    may be overwritten as soon as the copy is validated). Sets stay sets,
 *    numbers keep their kind (NUM_BIG its text), null, booleans and empty
 *    strings/collections come back as the shared constants (VAL_NULL,
 *    VAL_TRUE, VAL_FALSE, val_empty_*_c), and the bundle's own values
 *    (constants, base document) by address, as evaluation returns them.
 *  - max_result_bytes bounds the image: exactly the bytes the result will
 *    occupy in the context's arena on a hit (before the arena rounds the
 *    block up to 16). Constants and the bundle's values take no bytes (a
 *    result that is one of the latter takes its val), so a boolean or
 *    undefined decision always fits. A slot also has room for the
 *    relocation list: 2 bytes per pointer-sized unit of max_result_bytes.
 *  - Keys are a 128-bit XXH3 hash of the input keyed with a per-cache
 *    secret read from getrandom() in pol_cache_new (a fixed secret if that
 *    fails), so knowing the hash function does not let anyone craft an
 *    input whose key collides with a cached decision; plus a tweak word
 *    (entrypoint, decision-changing flags, JSON text or value input)
 *    compared exactly. Distinct inputs share a key with probability about
 *    2^-128 per pair; the public header promises the weaker 2^-64.
 */
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
#ifdef POL_HAVE_XXH_DISPATCH
#define XXH_DISPATCH_DISABLE_REPLACE
#include <xxh_x86dispatch.h>
#endif
#ifdef POL_HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include <stdatomic.h>
#include <string.h>
#if defined(POL_HAVE_XXH_AVX512) || defined(POL_HAVE_XXH_AVX2)
#include <cpuid.h>
#endif

#include "cache.h"
#include "cache_xxh.h"

/* Inputs past XXH3's 240-byte "midsize" bound take its vector loop, which
 * pol_cache_new points at the widest build the CPU runs: cache_xxh.c
 * compiled for AVX-512 or AVX2 (abac's 1005-byte input: ~12 and ~20 ns),
 * else the library's runtime-dispatched entry point where it has one,
 * else its baseline build (~27 ns on the bench host, where the dispatched
 * one was no faster). Shorter inputs run the same scalar code on every
 * build, so they take the library's directly. All compute the same
 * function. */
#ifdef POL_HAVE_XXH_DISPATCH
#define cache_xxh128_long XXH3_128bits_withSecret_dispatch
#define cache_xxh128_update XXH3_128bits_update_dispatch
#else
#define cache_xxh128_long XXH3_128bits_withSecret
#define cache_xxh128_update XXH3_128bits_update
#endif
enum { XXH3_SHORT_INPUT = 240 };

static void cache_xxh128_lib(const void *p, size_t n, const unsigned char *secret, uint64_t out[2])
{
    XXH128_hash_t h = cache_xxh128_long(p, n, secret, XXH3_SECRET_DEFAULT_SIZE);
    out[0] = h.low64;
    out[1] = h.high64;
}

#if defined(POL_HAVE_XXH_AVX512) || defined(POL_HAVE_XXH_AVX2)
/* The widest vectors (512, 256 or 0 bits) that both the CPU runs and the
 * OS saves across context switches (XCR0: XMM and YMM state; for 512
 * also the opmask and both ZMM halves). Read from CPUID and XGETBV
 * directly: __builtin_cpu_supports keeps its answers in libgcc's
 * writable globals, which would be linked into this library
 * (perf/no_writable_globals). */
static unsigned cache_cpu_vector_bits(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
        return 0;
    uint32_t xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0x6) != 0x6 || !__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    if ((b & bit_AVX512F) && (xcr0_lo & 0xe6) == 0xe6)
        return 512;
    return b & bit_AVX2 ? 256 : 0;
}
#endif

static cache_xxh_fn *cache_xxh_pick(void)
{
#if defined(POL_HAVE_XXH_AVX512) || defined(POL_HAVE_XXH_AVX2)
    unsigned bits = cache_cpu_vector_bits();
#endif
#ifdef POL_HAVE_XXH_AVX512
    if (bits >= 512)
        return cache_xxh128_avx512;
#endif
#ifdef POL_HAVE_XXH_AVX2
    if (bits >= 256)
        return cache_xxh128_avx2;
#endif
    return cache_xxh128_lib;
}

enum {
    DEFAULT_ENTRIES = 4096,
    /* Images are about 3x the compact typed encoding this cache used
     * before (abac's allowed decision: 408 bytes, was 137); 512 caches
     * every bench decision that encoding's default of 256 did. */
    DEFAULT_RESULT_BYTES = 512,
    /* Insert lays the image out in the context arena, not on the stack,
     * so this only bounds slot memory; 4x the old limit of 4096, like the
     * images. */
    MAX_RESULT_BYTES = 16384,
    MAX_ENTRIES = 1 << 24,
    /* Deeper value inputs are not hashed (recursion bound); json_parse
     * never builds deeper than 1000. */
    KEY_MAX_DEPTH = 1024,
};

/* Used only when getrandom() is unavailable or fails. */
#define FALLBACK_SEED 0x6c69627075726c21ull
/* Set in the tweak of keys computed from a value, so a JSON text can never
 * be made to hash like a value's serialisation. */
#define TWEAK_FROM_VALUE (1ull << 48)

typedef struct slot {
    _Atomic uint32_t seq;   /* odd while being written */
    _Atomic uint32_t len;   /* image bytes */
    _Atomic uint64_t shape; /* 0 = empty; else see shape_pack */
    _Atomic uint64_t key_lo, key_hi, key_tweak;
    /* followed by the image (payload_words words), then its relocation
     * list (reloc_words words of four 16-bit unit indexes, low first) */
} slot;

struct pol_cache {
    pol_bundle *bundle;
    const pol_alloc *alloc;
    uint32_t mask;
    size_t max_bytes;
    size_t payload_words; /* image room per slot */
    size_t max_relocs;    /* relocation list room per slot: one entry per image unit */
    size_t reloc_words;
    size_t slot_bytes;
    unsigned char *slots;
    unsigned char secret[XXH3_SECRET_DEFAULT_SIZE];
    cache_xxh_fn *xxh_long; /* for inputs past XXH3_SHORT_INPUT, see cache_xxh_pick */
    /* keeps the counters, written on every lookup by every thread, off the
     * read-only fields' cache line */
    unsigned char pad[64];
    _Atomic uint64_t hits, misses, inserts, evictions, skipped;
};

/* The key hash of p[0..n) under c's secret. */
static void cache_xxh128(const pol_cache *c, const void *p, size_t n, uint64_t out[2])
{
    if (n > XXH3_SHORT_INPUT) {
        c->xxh_long(p, n, c->secret, out);
        return;
    }
    XXH128_hash_t h = XXH3_128bits_withSecret(p, n, c->secret, XXH3_SECRET_DEFAULT_SIZE);
    out[0] = h.low64;
    out[1] = h.high64;
}

static slot *slot_for(const pol_cache *c, const cache_key *k)
{
    /* the same input under another entrypoint lands elsewhere */
    uint64_t t = k->tweak * 0x9E3779B97F4A7C15ull;
    uint64_t h = k->lo ^ t ^ (t >> 32);
    return (slot *)(void *)(c->slots + (size_t)(h & c->mask) * c->slot_bytes);
}

static _Atomic uint64_t *payload(slot *s)
{
    return (_Atomic uint64_t *)(void *)(s + 1);
}

static _Atomic uint64_t *reloc_list(const pol_cache *c, slot *s)
{
    return payload(s) + c->payload_words;
}

/* ---- keys ---------------------------------------------------------------- */

/* Keys travel by pointer (see cache_key for the field order). */
void cache_key_json(const pol_cache *c, const char *text, size_t len, uint64_t tweak, cache_key *out)
{
    uint64_t h[2];
    cache_xxh128(c, len ? text : "", len, h);
    out->lo = h[0];
    out->hi = h[1];
    out->tweak = tweak;
}

/* A value input is hashed as an unambiguous serialisation of its exact
 * representation, pre-order: each node is an 8-byte head word (type,
 * number kind, boolean value, length), then an integer's or double's 8
 * bytes, a string's or NUM_BIG's bytes, or the children (an object's as
 * key, value pairs). The head says what follows, so distinct values
 * serialise differently. Equal values with different representations (a
 * NUM_BIG and the double it equals) get different keys: a miss, never a
 * wrong hit, and a policy that prints a number's text cannot see another
 * input's.
 *
 * The walk, not XXH3, is the cost (≈5 ns a node with a switch per node
 * and a call per leaf): leaves are written inline by their parent with
 * one room check, unconditional stores and computed advances; bytes go
 * to a buffer hashed in one XXH3 call when it fits, streamed otherwise
 * (XXH3 streaming gives the same hash). */
enum { KEYBUF_BYTES = 4096, KEY_LEAF_MAX = 16 /* head + number word */ };

typedef struct key_writer {
    const pol_cache *c;
    bool streaming;
    XXH3_state_t st; /* used once buf has overflowed */
    unsigned char buf[KEYBUF_BYTES];
} key_writer;

/* Hashes buf[0..n) into the stream (started on first use); returns the
 * new fill, 0. */
static size_t kw_flush(key_writer *w, size_t n)
{
    if (!w->streaming) {
        XXH3_128bits_reset_withSecret(&w->st, w->c->secret, sizeof w->c->secret);
        w->streaming = true;
    }
    cache_xxh128_update(&w->st, w->buf, n);
    return 0;
}

static uint64_t kw_head(const val *v)
{
    uint64_t nk = v->type == V_NUM ? v->nk : 0;
    uint64_t b = v->type == V_BOOL && v->u.b;
    uint64_t len = v->type == V_NUM && v->nk == NUM_FLOAT ? 0 : v->len; /* a float's len is its hint */
    return (uint64_t)v->type | nk << 8 | b << 16 | len << 32;
}

/* Short strings (most keys and values) are copied with fixed-size moves
 * the compiler inlines, never reading past the source. */
static inline void kw_copy(unsigned char *d, const char *s, size_t n)
{
    if (n > 32) {
        memcpy(d, s, n);
    } else if (n > 16) {
        memcpy(d, s, 16);
        memcpy(d + n - 16, s + n - 16, 16);
    } else if (n >= 8) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n) {
        d[0] = (unsigned char)s[0];
        d[n / 2] = (unsigned char)s[n / 2];
        d[n - 1] = (unsigned char)s[n - 1];
    }
}

/* Any scalar (null, boolean, number, string), written at buf[n]; returns
 * the new fill. The fill travels in a local, not in *w, so the byte
 * stores (which may alias anything) do not force reloads. */
static inline size_t kw_leaf(key_writer *w, size_t n, const val *v)
{
    bool has_bytes = v->type == V_STR || (v->type == V_NUM && v->nk == NUM_BIG);
    bool has_word = v->type == V_NUM && v->nk != NUM_BIG;
    size_t nbytes = has_bytes ? v->len : 0;
    uint64_t head = kw_head(v), word = 0;
    if (has_word)
        memcpy(&word, &v->u, 8); /* the int64 or the double's bits */
    if (KEY_LEAF_MAX > KEYBUF_BYTES - n)
        n = kw_flush(w, n);
    memcpy(w->buf + n, &head, 8);
    memcpy(w->buf + n + 8, &word, 8);
    n += has_word ? 16 : 8;
    if (!nbytes)
        return n;
    if (nbytes > KEYBUF_BYTES - n) {
        n = kw_flush(w, n);
        if (nbytes >= KEYBUF_BYTES) {
            cache_xxh128_update(&w->st, v->u.s, nbytes);
            return n;
        }
    }
    kw_copy(w->buf + n, v->u.s, nbytes);
    return n + nbytes;
}

/* An array, set or object; returns the new fill, or SIZE_MAX when the
 * value is nested deeper than KEY_MAX_DEPTH. Leaves are written inline,
 * so there is one call per collection, not per node. */
static size_t kw_collection(key_writer *w, size_t n, const val *v, int depth)
{
    if (depth > KEY_MAX_DEPTH)
        return SIZE_MAX;
    uint64_t head = kw_head(v);
    if (8 > KEYBUF_BYTES - n)
        n = kw_flush(w, n);
    memcpy(w->buf + n, &head, 8);
    n += 8;
    bool obj = v->type == V_OBJ;
    uint32_t len = v->len;
    for (uint32_t i = 0; i < len && n != SIZE_MAX; i++) {
        for (int part = 0; part <= (int)obj && n != SIZE_MAX; part++) {
            const val *x = !obj ? v->u.a[i] : part ? v->u.o.v[i] : v->u.o.k[i];
            n = x->type < V_ARR ? kw_leaf(w, n, x) : kw_collection(w, n, x, depth + 1);
        }
    }
    return n;
}

bool cache_key_value(const pol_cache *c, const val *input, uint64_t tweak, cache_key *out)
{
    key_writer w;
    w.c = c;
    w.streaming = false;
    size_t n = 0;
    if (input)
        n = input->type < V_ARR ? kw_leaf(&w, 0, input) : kw_collection(&w, 0, input, 1);
    if (n == SIZE_MAX)
        return false;
    uint64_t h[2];
    if (w.streaming) {
        cache_xxh128_update(&w.st, w.buf, n);
        XXH128_hash_t d = XXH3_128bits_digest(&w.st);
        h[0] = d.low64;
        h[1] = d.high64;
    } else {
        cache_xxh128(c, w.buf, n, h);
    }
    out->lo = h[0];
    out->hi = h[1];
    out->tweak = tweak | TWEAK_FROM_VALUE;
    return true;
}

/* ---- images ------------------------------------------------------------- */

/* An image is  [val × nval][const val * × nptr][string bytes]:
 *  - vals[0] is the root (unless the root is a constant, see shape_pack);
 *  - a V_STR's or NUM_BIG's u.s holds the offset of its bytes, which are
 *    followed by a NUL (value.h's string invariant);
 *  - a collection's u.a (u.o.k, u.o.v) holds the offset of its run of
 *    pointer words;
 *  - each pointer word holds the offset of a val in vals[], or the address
 *    of a shared constant (VAL_NULL, …): the cache lives in the process
 *    that wrote it, so the constant's address is the same for the reader.
 * Offsets sit in the pointer fields as uintptr_t representations, and the
 * slot's relocation list names every pointer-sized unit that holds one
 * (entry i: bytes [i, i + 1) × sizeof(uintptr_t) of the image). A hit adds
 * the copy's address to the listed units and touches nothing else: the
 * image was laid out by cache_insert in this process and the sequence lock
 * proves the copy is exactly what it wrote, so there is nothing to
 * validate. This replaced a pass that switched on and bounds-checked every
 * val and pointer word: cache_lookup on abac's hit (the CLI's result-set
 * image) went from 1,930 instructions to ~1,270, and to ~720 once the
 * bundle's values were shared (image_shares). A bitmap of the units in
 * place of the list ran ~75 more instructions and ~2 ns more per hit. Vals
 * come first so that pointer words stay aligned without padding; string
 * bytes need none. */
_Static_assert(sizeof(uintptr_t) == sizeof(const val *), "offsets are stored in pointer fields");
_Static_assert(sizeof(uintptr_t) == sizeof(const char *), "offsets are stored in pointer fields");
_Static_assert(sizeof(val) % sizeof(const val *) == 0, "pointer words follow the vals unpadded");
_Static_assert(offsetof(val, u) % sizeof(uintptr_t) == 0, "pointer fields are whole units");
_Static_assert(offsetof(val, u.o.v) % sizeof(uintptr_t) == 0, "pointer fields are whole units");

enum {
    PTR_BYTES = sizeof(uintptr_t), /* the unit of relocation */
    RELOCS_PER_WORD = 4,           /* 16-bit entries */
};
/* Entries are unit indexes of at most 16 bits. */
_Static_assert(MAX_RESULT_BYTES / sizeof(uint32_t) <= 0xffff, "unit indexes fit 16 bits");

/* An image's units: each holds at most one pointer, so also a bound on
 * its relocation entries. */
static size_t image_units(size_t len)
{
    return (len + PTR_BYTES - 1) / PTR_BYTES;
}

/* Root refs (shape_pack): odd codes naming a shared constant, or 0 for
 * vals[0]. Inside the image constants are stored by address. */
enum {
    REF_NULL = 1,
    REF_TRUE = 3,
    REF_FALSE = 5,
    REF_EMPTY_STR = 7,
    REF_EMPTY_ARR = 9,
    REF_EMPTY_OBJ = 11,
    REF_EMPTY_SET = 13,
    REF_UNDEFINED = 15, /* the root only */
};

/* The constant standing for v, or 0 when v needs a place in the image.
 * Any null/boolean/empty value maps to its shared constant, which is what
 * the constructors return for them anyway. */
static uintptr_t const_ref(const val *v)
{
    switch ((vtype)v->type) {
    case V_NULL: return REF_NULL;
    case V_BOOL: return v->u.b ? REF_TRUE : REF_FALSE;
    case V_NUM: return 0;
    case V_STR: return v->len ? 0 : REF_EMPTY_STR;
    case V_ARR: return v->len ? 0 : REF_EMPTY_ARR;
    case V_OBJ: return v->len ? 0 : REF_EMPTY_OBJ;
    case V_SET: return v->len ? 0 : REF_EMPTY_SET;
    }
    return 0;
}

/* Indexed by ref >> 1 of the odd refs (REF_UNDEFINED is not a value). */
static const val *const image_consts[] = {
    VAL_NULL, VAL_TRUE, VAL_FALSE, &val_empty_str_c, &val_empty_arr_c, &val_empty_obj_c, &val_empty_set_c};
enum { N_IMAGE_CONSTS = sizeof image_consts / sizeof *image_consts };

static const val *const_val(uintptr_t ref)
{
    return (ref & 1) && ref >> 1 < N_IMAGE_CONSTS ? image_consts[ref >> 1] : NULL;
}

typedef struct image_size {
    size_t vals, ptrs, bytes;
} image_size;

static size_t image_total(const image_size *n)
{
    return n->vals * sizeof(val) + n->ptrs * sizeof(const val *) + n->bytes;
}

/* A value the image can point at instead of holding: one of the bundle's
 * own (constants, the base document). The bundle is immutable, keeps all
 * its values in its arena and outlives the cache (which holds a reference
 * to it) and every context that can take a hit from it, so the address
 * stays valid and the value unchanged for as long as a hit's result can
 * be read; evaluation returns such values by address too. A hit then
 * copies and relocates nothing for the value or its subtree (abac's field
 * names and matched patterns). */
static bool image_shares(const pol_cache *c, const val *v)
{
    return arena_owns(&c->bundle->prog.mem, v);
}

/* Whether element v takes room in the image: not a shared constant nor one
 * of the bundle's values. */
static bool image_holds(const pol_cache *c, const val *v)
{
    return !const_ref(v) && !image_shares(c, v);
}

/* Adds v's val and the subtree the image holds for it to n; false once
 * the total passes limit. Each level adds a val before descending, so
 * recursion is at most limit/sizeof(val) deep whatever the value's depth,
 * and the walk costs O(limit). */
static bool image_measure(const pol_cache *c, const val *v, image_size *n, size_t limit)
{
    n->vals++;
    switch ((vtype)v->type) {
    case V_NUM:
        if (v->nk != NUM_BIG)
            break;
        /* fall through */
    case V_STR:
        if (v->len > limit)
            return false;
        n->bytes += (size_t)v->len + 1;
        break;
    case V_ARR:
    case V_SET:
    case V_OBJ: {
        bool obj = v->type == V_OBJ;
        if (v->len > limit)
            return false;
        n->ptrs += (obj ? 2 : 1) * (size_t)v->len;
        if (image_total(n) > limit)
            return false;
        for (uint32_t i = 0; i < v->len; i++) {
            const val *x = obj ? v->u.o.k[i] : v->u.a[i];
            if (image_holds(c, x) && !image_measure(c, x, n, limit))
                return false;
            if (obj && image_holds(c, v->u.o.v[i]) && !image_measure(c, v->u.o.v[i], n, limit))
                return false;
        }
        break;
    }
    case V_NULL:
    case V_BOOL: break;
    }
    return image_total(n) <= limit;
}

typedef struct image_writer {
    const pol_cache *c;
    unsigned char *base;
    uint16_t *relocs; /* image_units(image bytes) of room */
    size_t nrelocs;
    size_t val_at, ptr_at, byte_at; /* next free offset in each region */
} image_writer;

/* Stores an in-image offset (u) at base + at and marks it for relocation. */
static void put_offset(image_writer *w, size_t at, size_t off)
{
    uintptr_t u = (uintptr_t)off;
    memcpy(w->base + at, &u, sizeof u);
    w->relocs[w->nrelocs++] = (uint16_t)(at / PTR_BYTES);
}

static size_t image_place(image_writer *w, const val *v);

/* Stores element x at base + at: the address of a shared constant or of
 * one of the bundle's values, else the offset of its placed val. */
static void put_element(image_writer *w, size_t at, const val *x)
{
    uintptr_t r = const_ref(x);
    if (r || image_shares(w->c, x)) {
        uintptr_t u = (uintptr_t)(r ? image_consts[r >> 1] : x);
        memcpy(w->base + at, &u, sizeof u);
    } else {
        put_offset(w, at, image_place(w, x));
    }
}

static size_t place_bytes(image_writer *w, const char *s, uint32_t n)
{
    size_t at = w->byte_at;
    memcpy(w->base + at, s, n);
    w->base[at + n] = 0;
    w->byte_at += (size_t)n + 1;
    return at;
}

/* Lays v out (pre-order, so the first call's val is vals[0]) in the room
 * image_measure counted; returns the offset of v's val. */
static size_t image_place(image_writer *w, const val *v)
{
    size_t at = w->val_at;
    w->val_at += sizeof(val);
    val out;
    memset(&out, 0, sizeof out); /* no stray padding bytes in the image */
    out.type = v->type;
    out.nk = v->nk;
    out.flags = v->flags & ~(VF_HASHED | VF_WALKED); /* the image has no index */
    out.len = v->len;
    if (v->type == V_NUM && v->nk == NUM_INT)
        out.u.i = v->u.i;
    else if (v->type == V_NUM && v->nk == NUM_FLOAT)
        out.u.d = v->u.d;
    memcpy(w->base + at, &out, sizeof out);
    const size_t field = at + offsetof(val, u), field_v = at + offsetof(val, u.o.v);
    switch ((vtype)v->type) {
    case V_NUM:
        if (v->nk != NUM_BIG)
            break;
        /* fall through */
    case V_STR: put_offset(w, field, place_bytes(w, v->u.s, v->len)); break;
    case V_ARR:
    case V_SET: {
        size_t arr = w->ptr_at;
        w->ptr_at += (size_t)v->len * sizeof(const val *);
        put_offset(w, field, arr);
        for (uint32_t i = 0; i < v->len; i++)
            put_element(w, arr + i * sizeof(const val *), v->u.a[i]);
        break;
    }
    case V_OBJ: {
        size_t ks = w->ptr_at, vs = ks + (size_t)v->len * sizeof(const val *);
        w->ptr_at = vs + (size_t)v->len * sizeof(const val *);
        put_offset(w, field, ks);
        put_offset(w, field_v, vs);
        for (uint32_t i = 0; i < v->len; i++) {
            put_element(w, ks + i * sizeof(const val *), v->u.o.k[i]);
            put_element(w, vs + i * sizeof(const val *), v->u.o.v[i]);
        }
        break;
    }
    case V_NULL:
    case V_BOOL: break; /* constants, never placed */
    }
    return at;
}

/* Adds the copy's address to unit i of it; a unit index past the copy
 * (only a torn list, see image_relocate) is taken as unit 0. */
static inline void relocate_unit(unsigned char *img, size_t units, size_t i)
{
    unsigned char *p = img + (i < units ? i : 0) * PTR_BYTES;
    uintptr_t u;
    memcpy(&u, p, sizeof u);
    u += (uintptr_t)img;
    memcpy(p, &u, sizeof u);
}

/* Adds img's address to the n units of the image named in the slot's
 * relocation list. Runs before the sequence check, on words that may be
 * torn: only units inside the copy are touched whatever the list holds, so
 * a torn list garbles a copy that is about to be discarded and never
 * anything else. */
static void image_relocate(unsigned char *img, size_t len, const _Atomic uint64_t *list, size_t n)
{
    size_t units = image_units(len), k = 0;
    for (; k + RELOCS_PER_WORD <= n; k += RELOCS_PER_WORD) {
        uint64_t w = atomic_load_explicit(&list[k / RELOCS_PER_WORD], memory_order_relaxed);
        relocate_unit(img, units, (size_t)(w & 0xffff));
        relocate_unit(img, units, (size_t)(w >> 16 & 0xffff));
        relocate_unit(img, units, (size_t)(w >> 32 & 0xffff));
        relocate_unit(img, units, (size_t)(w >> 48));
    }
    if (k < n) {
        uint64_t w = atomic_load_explicit(&list[k / RELOCS_PER_WORD], memory_order_relaxed);
        for (; k < n; k++, w >>= 16)
            relocate_unit(img, units, (size_t)(w & 0xffff));
    }
}

/* shape: bit 63 set (so a used slot's shape is never 0), the root ref in
 * bits 32-47 (0: vals[0]), the number of relocation entries in 0-15. */
#define SHAPE_USED (1ull << 63)

static uint64_t shape_pack(uintptr_t root, size_t nrelocs)
{
    return SHAPE_USED | (uint64_t)root << 32 | (uint64_t)nrelocs;
}

/* ---- API --------------------------------------------------------------- */

/* The key secret: random per cache, so collisions cannot be precomputed. */
static void secret_init(unsigned char *secret, size_t n)
{
#ifdef POL_HAVE_GETRANDOM
    /* GRND_NONBLOCK: a cache created before the kernel's pool is ready
     * falls back instead of blocking. Reads of up to 256 bytes are never
     * partial once the pool is ready. */
    if (getrandom(secret, n, GRND_NONBLOCK) == (ssize_t)n)
        return;
#endif
    (void)n;
    XXH3_generateSecret_fromSeed(secret, FALLBACK_SEED);
}

POL_EXPORT pol_cache *pol_cache_new(pol_bundle *b, const pol_cache_options *options, pol_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!b) {
        if (err) {
            err->code = POL_INVALID_ARGUMENT;
            snprintf(err->message, sizeof err->message, "pol_cache_new: bundle is NULL");
        }
        return NULL;
    }
    size_t entries = options && options->entries ? options->entries : DEFAULT_ENTRIES;
    size_t max_bytes =
        options && options->max_result_bytes ? options->max_result_bytes : DEFAULT_RESULT_BYTES;
    if (entries > MAX_ENTRIES || max_bytes > MAX_RESULT_BYTES) {
        if (err) {
            err->code = POL_INVALID_ARGUMENT;
            snprintf(err->message, sizeof err->message,
                     "pol_cache_new: at most 16M entries of at most 16 KiB each");
        }
        return NULL;
    }
    size_t n = 1;
    while (n < entries)
        n <<= 1;
    const pol_alloc *al = b->has_alloc ? &b->alloc : NULL;
    pol_cache *c = pa_malloc(al, sizeof *c);
    if (!c)
        goto nomem;
    memset(c, 0, sizeof *c);
    c->alloc = al;
    c->mask = (uint32_t)(n - 1);
    c->max_bytes = max_bytes;
    c->payload_words = (max_bytes + 7) / 8;
    c->max_relocs = image_units(c->payload_words * 8);
    c->reloc_words = (c->max_relocs + RELOCS_PER_WORD - 1) / RELOCS_PER_WORD;
    c->slot_bytes = sizeof(slot) + (c->reloc_words + c->payload_words) * 8;
    c->slots = pa_malloc(al, n * c->slot_bytes);
    if (!c->slots) {
        pa_free(al, c, sizeof *c);
        goto nomem;
    }
    memset(c->slots, 0, n * c->slot_bytes);
    secret_init(c->secret, sizeof c->secret);
    c->xxh_long = cache_xxh_pick();
    c->bundle = b;
    pol_bundle_retain(b);
    return c;
nomem:
    if (err) {
        err->code = POL_NOMEM;
        snprintf(err->message, sizeof err->message, "pol_cache_new: out of memory");
    }
    return NULL;
}

POL_EXPORT void pol_cache_free(pol_cache *c)
{
    if (!c)
        return;
    const pol_alloc *al = c->alloc;
    pol_bundle *b = c->bundle;
    pa_free(al, c->slots, (size_t)(c->mask + 1) * c->slot_bytes);
    pa_free(al, c, sizeof *c);
    pol_bundle_release(b);
}

POL_EXPORT void pol_cache_stats_get(const pol_cache *c, pol_cache_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!c)
        return;
    pol_cache *m = (pol_cache *)(uintptr_t)c;
    out->hits = atomic_load_explicit(&m->hits, memory_order_relaxed);
    out->misses = atomic_load_explicit(&m->misses, memory_order_relaxed);
    out->inserts = atomic_load_explicit(&m->inserts, memory_order_relaxed);
    out->evictions = atomic_load_explicit(&m->evictions, memory_order_relaxed);
    out->skipped = atomic_load_explicit(&m->skipped, memory_order_relaxed);
}

const pol_bundle *cache_bundle(const pol_cache *c)
{
    return c->bundle;
}

static bool miss(pol_cache *c)
{
    atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);
    return false;
}

bool cache_lookup(pol_cache *c, const cache_key *k, arena *a, const val **out, bool *defined)
{
    slot *s = slot_for(c, k);
    uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
    uint64_t shape = atomic_load_explicit(&s->shape, memory_order_relaxed);
    uint32_t len = atomic_load_explicit(&s->len, memory_order_relaxed);
    if ((seq & 1) || shape == 0 || atomic_load_explicit(&s->key_lo, memory_order_relaxed) != k->lo ||
        atomic_load_explicit(&s->key_hi, memory_order_relaxed) != k->hi ||
        atomic_load_explicit(&s->key_tweak, memory_order_relaxed) != k->tweak)
        return miss(c);
    /* a torn len or count is caught by the sequence check below, but must
     * not overrun the slot before that */
    size_t nrelocs = (size_t)(shape & 0xffff);
    if (len > c->payload_words * 8 || nrelocs > c->max_relocs)
        return miss(c);
    arena_mark mark = arena_save(a);
    unsigned char *img = NULL;
    if (len) {
        img = arena_alloc(a, len); /* 16-aligned, rounded up to 16 */
        if (!img)
            return miss(c); /* the arena is full: evaluate normally */
        /* eight words a round: the loop's own count and compare were a
         * third of the copy's instructions at one word a round */
        _Atomic uint64_t *p = payload(s);
        size_t nw = ((size_t)len + 7) / 8, i = 0;
        for (; i + 8 <= nw; i += 8) {
            uint64_t w0 = atomic_load_explicit(&p[i], memory_order_relaxed);
            uint64_t w1 = atomic_load_explicit(&p[i + 1], memory_order_relaxed);
            uint64_t w2 = atomic_load_explicit(&p[i + 2], memory_order_relaxed);
            uint64_t w3 = atomic_load_explicit(&p[i + 3], memory_order_relaxed);
            uint64_t w4 = atomic_load_explicit(&p[i + 4], memory_order_relaxed);
            uint64_t w5 = atomic_load_explicit(&p[i + 5], memory_order_relaxed);
            uint64_t w6 = atomic_load_explicit(&p[i + 6], memory_order_relaxed);
            uint64_t w7 = atomic_load_explicit(&p[i + 7], memory_order_relaxed);
            unsigned char *d = img + i * 8;
            memcpy(d, &w0, 8);
            memcpy(d + 8, &w1, 8);
            memcpy(d + 16, &w2, 8);
            memcpy(d + 24, &w3, 8);
            memcpy(d + 32, &w4, 8);
            memcpy(d + 40, &w5, 8);
            memcpy(d + 48, &w6, 8);
            memcpy(d + 56, &w7, 8);
        }
        for (; i < nw; i++) {
            uint64_t w = atomic_load_explicit(&p[i], memory_order_relaxed);
            memcpy(img + i * 8, &w, 8);
        }
        image_relocate(img, len, reloc_list(c, s), nrelocs);
    }
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->seq, memory_order_relaxed) != seq) {
        arena_restore(a, mark);
        return miss(c);
    }
    /* From here the copy is exactly what cache_insert wrote: a root of 0
     * is vals[0] of a non-empty image, an odd one a constant. */
    uintptr_t root = (uintptr_t)(shape >> 32 & 0xffff);
    const val *v = root & 1 ? const_val(root) : (const val *)(void *)img;
    *out = v;
    *defined = v != NULL;
    atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
    return true;
}

void cache_insert(pol_cache *c, const cache_key *k, const val *v, arena *scratch)
{
    uintptr_t root = v ? const_ref(v) : REF_UNDEFINED;
    /* one of the bundle's values is stored as its val, pointers and all */
    bool verbatim = !root && image_shares(c, v);
    image_size n = {verbatim ? 1 : 0, 0, 0};
    if (image_total(&n) > c->max_bytes || (!root && !verbatim && !image_measure(c, v, &n, c->max_bytes))) {
        atomic_fetch_add_explicit(&c->skipped, 1, memory_order_relaxed);
        return;
    }
    size_t len = image_total(&n), nw = (len + 7) / 8;
    arena_mark mark = arena_save(scratch);
    unsigned char *img = NULL;
    image_writer w = {c, NULL, NULL, 0, 0, 0, 0};
    if (len) {
        img = arena_alloc(scratch, nw * 8);
        w.relocs = arena_alloc(scratch, image_units(len) * sizeof *w.relocs);
        if (!img || !w.relocs) {
            arena_restore(scratch, mark);
            atomic_fetch_add_explicit(&c->skipped, 1, memory_order_relaxed);
            return;
        }
        memset(img + len, 0, nw * 8 - len);
        w.base = img;
        w.ptr_at = n.vals * sizeof(val);
        w.byte_at = w.ptr_at + n.ptrs * sizeof(const val *);
        if (verbatim)
            memcpy(img, v, sizeof *v); /* flags too: a hash index is the bundle's, after the same arrays */
        else
            image_place(&w, v);
    }
    slot *s = slot_for(c, k);
    uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    if ((seq & 1) || !atomic_compare_exchange_strong_explicit(&s->seq, &seq, seq + 1, memory_order_acquire,
                                                              memory_order_relaxed)) {
        atomic_fetch_add_explicit(&c->skipped, 1, memory_order_relaxed);
        arena_restore(scratch, mark);
        return;
    }
    /* orders the odd sequence before the stores below for any reader that
     * sees one of them (its acquire fence pairs with this) */
    atomic_thread_fence(memory_order_release);
    if (atomic_load_explicit(&s->shape, memory_order_relaxed) != 0)
        atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
    atomic_store_explicit(&s->key_lo, k->lo, memory_order_relaxed);
    atomic_store_explicit(&s->key_hi, k->hi, memory_order_relaxed);
    atomic_store_explicit(&s->key_tweak, k->tweak, memory_order_relaxed);
    atomic_store_explicit(&s->len, (uint32_t)len, memory_order_relaxed);
    atomic_store_explicit(&s->shape, shape_pack(root, w.nrelocs), memory_order_relaxed);
    _Atomic uint64_t *p = payload(s), *list = reloc_list(c, s);
    for (size_t i = 0; i < nw; i++) {
        uint64_t w;
        memcpy(&w, img + i * 8, 8);
        atomic_store_explicit(&p[i], w, memory_order_relaxed);
    }
    for (size_t k = 0; k < w.nrelocs; k += RELOCS_PER_WORD) {
        uint64_t word = 0;
        for (size_t j = 0; j < RELOCS_PER_WORD && k + j < w.nrelocs; j++)
            word |= (uint64_t)w.relocs[k + j] << (16 * j);
        atomic_store_explicit(&list[k / RELOCS_PER_WORD], word, memory_order_relaxed);
    }
    atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
    atomic_fetch_add_explicit(&c->inserts, 1, memory_order_relaxed);
    arena_restore(scratch, mark);
}
