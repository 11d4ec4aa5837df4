/* Values, the arena they live in, and the operations every layer shares.
 *
 * Invariants:
 *  - A value is immutable once published (built values are finished by
 *    vb_finish_* before anyone else sees them).
 *  - Objects keep keys sorted by val_compare and unique; sets keep elements
 *    sorted and unique. Canonical order therefore costs nothing to print,
 *    and lookup is a binary search.
 *  - NULL (the C pointer) is *undefined*, which is not a value.
 *  - Strings are UTF-8 byte sequences of `len` bytes followed by a NUL that
 *    is not part of the string (so C APIs can read them directly).
 */
#ifndef POL_VM_VALUE_H
#define POL_VM_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy.h"

/* Type tags in Rego's sort order: comparing tags first gives OPA's total
 * order across types. */
typedef enum vtype { V_NULL, V_BOOL, V_NUM, V_STR, V_ARR, V_OBJ, V_SET } vtype;

/* Number representations. Integers that fit are exact int64; literals or
 * results that do not fit keep their decimal text (NUM_BIG) so large
 * numbers survive a round trip; everything else is a double. */
typedef enum numkind { NUM_INT, NUM_FLOAT, NUM_BIG } numkind;

typedef struct val val;
struct val {
    uint8_t type;   /* vtype */
    uint8_t nk;     /* numkind, for V_NUM */
    uint16_t flags; /* VF_*; NUM_FLOAT: the decimal hint's exponent (below) */
    uint32_t len;   /* V_STR: bytes; V_ARR/V_SET/V_OBJ: element count; NUM_BIG: text bytes;
                       NUM_FLOAT: the decimal hint's significand, 0 for none */
    union {
        bool b;
        int64_t i;
        double d;
        const char *s;       /* V_STR bytes; NUM_BIG decimal text */
        const val *const *a; /* V_ARR elements; V_SET elements (sorted) */
        struct {
            const val *const *k; /* sorted keys */
            const val *const *v; /* values, parallel to k */
        } o;
    } u;
};

/* The public opaque type is this struct. */
struct pol_value {
    val v;
};

/* VF_HASHED: a large object or set of the bundle's data or constants
 * carries a hash index of its string members after its keys or elements
 * array (at [len]; see val_build_hash_indexes). Only values in a bundle's
 * memory have it; code that copies a val must not copy this flag.
 * VF_WALKED: the index builder has visited this container (shared
 * subtrees are visited once). */
enum { VF_NONE = 0, VF_HASHED = 1, VF_WALKED = 2 };

/* The decimal hint of a NUM_FLOAT: when len != 0, the double's shortest
 * round-trip digits (num_shortest_double) are exactly len × 10^e with
 * e = (flags >> VAL_HINT_SHIFT) - VAL_HINT_BIAS, len having 1 to 9
 * digits and no trailing zero. It spares the costly binary-to-decimal
 * step wherever a float is read at OPA's precision or printed. Every
 * NUM_FLOAT built by the constructors carries it when the digits are that
 * short; code that builds or copies a NUM_FLOAT val by hand must copy both
 * fields, call val_float_set_hint, or leave len and flags zero — never
 * leave a stale hint. The exponent sits clear of the low VF_* bits and of
 * the bits the VM uses on its own containers, so a stray flags test on a
 * number cannot misfire. */
enum { VAL_HINT_SHIFT = 2, VAL_HINT_BIAS = 128, VAL_HINT_MANT_MAX = 999999999 };

static inline bool val_float_hint(const val *x, uint64_t *mant, int *exp10)
{
    if (x->nk != NUM_FLOAT || x->len == 0)
        return false;
    *mant = x->len;
    *exp10 = (int)((x->flags >> VAL_HINT_SHIFT) & 0xff) - VAL_HINT_BIAS;
    return true;
}

/* The digits hint of a NUM_BIG decimal ("57450.740000000000002", sum's
 * exact results): when nd = (flags >> VAL_HINT_SHIFT) & 0xf is nonzero,
 * the double nearest the text has as its shortest digits the text's first
 * nd significant digits, and its decimal point lies dp = ((flags >>
 * VAL_BIG_DP_SHIFT) & 0x1f) - VAL_BIG_DP_BIAS places after the first of
 * them. Only a constructor that has proven it (v_num_big_digits) sets it;
 * the text and the hint travel together in every copy, so it cannot go
 * stale. Same bits as a NUM_FLOAT's hint, clear of the VF_* bits. */
enum { VAL_BIG_DP_SHIFT = VAL_HINT_SHIFT + 4, VAL_BIG_DP_BIAS = 16 };

static inline bool val_big_digits(const val *x, size_t *nd, int *dp)
{
    unsigned h = x->flags >> VAL_HINT_SHIFT;
    if (x->nk != NUM_BIG || (h & 0xf) == 0)
        return false;
    *nd = h & 0xf;
    *dp = (int)((x->flags >> VAL_BIG_DP_SHIFT) & 0x1f) - VAL_BIG_DP_BIAS;
    return true;
}

extern const val val_null_c, val_true_c, val_false_c, val_empty_str_c, val_empty_arr_c, val_empty_obj_c,
    val_empty_set_c;
#define VAL_NULL (&val_null_c)
#define VAL_TRUE (&val_true_c)
#define VAL_FALSE (&val_false_c)
#define VAL_BOOL(x) ((x) ? VAL_TRUE : VAL_FALSE)

/* ---- arena ------------------------------------------------------------- */

/* Bump allocator. Fixed arenas (contexts) never call the allocator after
 * init and fail with NULL when full; growable arenas (compiler, bundle)
 * chain chunks from `alloc`. Alignment is 16 bytes. */
typedef struct arena_chunk arena_chunk;
typedef struct arena {
    unsigned char *base, *ptr, *end;
    arena_chunk *chunks; /* growable only: chain of owned chunks */
    const pol_alloc *alloc;
    bool growable;
    /* max bytes in use before the last reset, restore or new chunk (the
     * current use is added by arena_high_water) */
    size_t high_water;
} arena;

void arena_init_fixed(arena *a, void *buf, size_t size);
void arena_init_growable(arena *a, const pol_alloc *alloc);
void *arena_alloc_slow(arena *a, size_t n); /* arena_alloc when the block does not fit the current chunk */
/* NULL when exhausted. Every block is a distinct, 16-byte aligned, non-NULL
 * pointer (n == 0 included). Inline: evaluation allocates every value
 * here, so the common case is a compare and a bump. */
static inline void *arena_alloc(arena *a, size_t n)
{
    size_t rounded = (n + 15) & ~(size_t)15;
    if (n - 1 < ((size_t)1 << 30) && a->ptr && rounded <= (size_t)(a->end - a->ptr)) {
        void *p = a->ptr;
        a->ptr += rounded;
        return p;
    }
    return arena_alloc_slow(a, n);
}
size_t arena_high_water(const arena *a); /* max bytes in use since init */
void arena_reset(arena *a);              /* fixed: back to empty; growable: frees all but first chunk */
void arena_free(arena *a);               /* growable: releases chunks */
/* Whether p points into memory the arena owns (any chunk of a growable
 * arena, the buffer of a fixed one), used or not. A walk of the chunks,
 * so meant for an arena that no longer grows (a bundle's). */
bool arena_owns(const arena *a, const void *p);
typedef struct arena_mark {
    unsigned char *ptr;
    arena_chunk *chunks;
} arena_mark;
arena_mark arena_save(const arena *a);
void arena_restore(arena *a, arena_mark m); /* frees everything allocated after m */

/* libc-backed default allocator helpers (alloc may be NULL = libc). */
void *pa_malloc(const pol_alloc *alloc, size_t n);
void *pa_realloc(const pol_alloc *alloc, void *p, size_t old_n, size_t new_n);
void pa_free(const pol_alloc *alloc, void *p, size_t n);

/* ---- constructors (all return NULL when the arena is full) -------------- */

/* Integers 0 .. VAL_SMALL_INT_LIMIT - 1 are shared constants (no arena
 * space); others take one val. Inline: builtins return ints on their
 * hot paths (count, arithmetic, time), and the call cost more than the
 * work. The val is written whole with two stores (len and flags zero:
 * no hint, no VF_* bits). */
enum { VAL_SMALL_INT_LIMIT = 256 };
extern const val val_small_ints[VAL_SMALL_INT_LIMIT];
static inline const val *v_int(arena *a, int64_t i)
{
    if ((uint64_t)i < VAL_SMALL_INT_LIMIT)
        return &val_small_ints[i];
    val *v = arena_alloc(a, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = V_NUM;
        v->nk = NUM_INT;
        v->u.i = i;
    }
    return v;
}
const val *v_float(arena *a, double d); /* integral doubles within int64 become NUM_INT */
/* v_float for a d whose shortest digits the caller knows: mant·10^exp10
 * (trailing zeros allowed) must be exactly num_shortest_double(|d|);
 * mant 0 means unknown (computed here, as v_float does). */
const val *v_float_dec(arena *a, double d, uint64_t mant, int exp10);
/* Computes the hint of a NUM_FLOAT filled in place (len and flags). */
void val_float_set_hint(val *x);
const val *v_num_text(arena *a, const char *s, size_t n); /* JSON number text -> best representation */
/* A NUM_BIG of s[0..n) as is, for a caller that wrote the text itself and
 * knows v_num_text would keep it as text: JSON number grammar, and an
 * integer beyond int64 or a fraction of more than DBL_DECIMAL_DIG
 * significant digits. Spares parsing it again. */
const val *v_num_big(arena *a, const char *s, size_t n);
/* v_num_big with the digits hint (val_big_digits): nd in 1..15 and dp
 * within +-15, else no hint. */
const val *v_num_big_digits(arena *a, const char *s, size_t n, size_t nd, int dp);
const val *v_str(arena *a, const char *s, size_t n); /* copies */
const val *v_str_ref(arena *a, const char *s,
                     size_t n); /* no copy: s must outlive the value and be NUL-terminated */
const val *v_cstr(arena *a, const char *s);

/* ---- builders ---------------------------------------------------------- */

/* Grows inside the arena (doubling; old storage is abandoned to the arena).
 * vb_finish_* sorts/dedups as the type requires. */
typedef struct vbuild {
    arena *a;
    const val **k; /* keys (objects) or elements */
    const val **v; /* values (objects only) */
    uint32_t n, cap;
    bool oom;
} vbuild;

void vb_init(vbuild *b, arena *a);
/* vb_init with room for `cap` members reserved up front (pairs when
 * with_values): a builder whose size is known never grows. Poisoned when
 * the arena is full. */
void vb_init_cap(vbuild *b, arena *a, uint32_t cap, bool with_values);
/* vb_init_cap over room the caller allocated: `cap` members at room, and
 * with_values their values after them (room holds 2 * cap then). */
static inline void vb_init_room(vbuild *b, arena *a, const val **room, uint32_t cap, bool with_values)
{
    *b = (vbuild){.a = a, .k = room, .v = with_values ? room + cap : NULL, .n = 0, .cap = cap, .oom = false};
}
bool vb_push_slow(vbuild *b, const val *x); /* vb_push when full, poisoned or x is NULL */
/* Appends an array/set element; false (and the builder poisoned) when x is
 * NULL or the arena is full. Inline: the common case is a store. */
static inline bool vb_push(vbuild *b, const val *x)
{
    if (x && b->n < b->cap && !b->oom) {
        b->k[b->n++] = x;
        return true;
    }
    return vb_push_slow(b, x);
}
bool vb_put(vbuild *b, const val *k, const val *x); /* object pair */
const val *vb_finish_array(vbuild *b);
const val *vb_finish_set(vbuild *b); /* sorts, removes duplicates */
/* Sorts by key. Duplicate keys with equal values collapse; with different
 * values returns NULL and sets *conflict (when conflict != NULL). */
const val *vb_finish_object(vbuild *b, bool *conflict);

/* An in-place sort that never allocates (glibc's qsort may call malloc
 * for large arrays, which the evaluation path must not). Not stable;
 * O(n log n) worst case. Elements of at most 256 bytes. */
void pol_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* ---- accessors and operations ------------------------------------------ */

int val_compare(const val *x, const val *y); /* Rego total order; <0, 0, >0 */
bool val_equal(const val *x, const val *y);
uint64_t val_hash(const val *x, uint64_t seed); /* XXH3 over a canonical encoding; equal values hash equal */

/* Objects and sets with at least this many members get a hash index:
 * below it a binary search touches few enough cache lines to be as fast. */
#define VAL_HASH_INDEX_MIN_KEYS 64

/* Gives every object and set under root with at least
 * VAL_HASH_INDEX_MIN_KEYS members a hash index of its string keys or
 * elements, so that looking a string up (`data.x[k]`, `k in data.s`) is one
 * or two probes instead of a binary search over scattered members.
 * Mutates the values in place: only for a bundle's own values, before the
 * bundle is shared. False when the arena is full (the values stay valid,
 * some without an index). */
bool val_build_hash_indexes(arena *a, const val *root);

const val *val_obj_get(const val *obj, const val *key);                /* NULL if absent */
const val *val_obj_get_str(const val *obj, const char *key, size_t n); /* NULL if absent */
bool val_set_has(const val *set, const val *x);
/* Rego's `x[k]` on any collection: object by key, array by integral
 * number index, set membership (returns the element). NULL otherwise. */
const val *val_index_any(const val *coll, const val *key); /* every case of val_index */
/* Whether all eight bytes of w are ASCII digits: each has the high nibble
 * 3, and adding 6 leaves it there (no byte of 0x30..0x3f carries into the
 * next). */
static inline bool word_all_digits(uint64_t w)
{
    const uint64_t threes = 0x3030303030303030ull, high = 0xf0f0f0f0f0f0f0f0ull,
                   sixes = 0x0606060606060606ull;
    return (w & high) == threes && ((w + sixes) & high) == threes;
}

/* Equality of two n-byte strings without a library call: keys are short,
 * and the call costs more than the comparison. Reads stay within the n
 * bytes of each (8-byte words through memcpy, which compiles to a load). */
static inline bool val_same_bytes(const char *a, const char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
        a += 8;
        b += 8;
        n -= 8;
    }
    if (n >= 4) {
        uint32_t x, y, x2, y2;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&x2, a + n - 4, 4);
        memcpy(&y2, b + n - 4, 4);
        return x == y && x2 == y2;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Objects of up to VAL_SMALL_OBJECT keys (most of an input document) are
 * scanned: comparing lengths first rejects almost every other key without
 * touching its bytes, which beats a binary search's dependent byte
 * comparisons. obj is an object without a hash index. */
#define VAL_SMALL_OBJECT 8
static inline bool val_key_is(const val *k, const char *key, size_t n)
{
    return k->len == n && k->type == V_STR && val_same_bytes(k->u.s, key, n);
}
/* The position of string key[0..n) among obj's keys, or UINT32_MAX. */
static inline uint32_t val_small_obj_find_str(const val *obj, const char *key, size_t n)
{
    const val *const *k = obj->u.o.k;
    for (uint32_t i = 0; i < obj->len; i++)
        if (val_key_is(k[i], key, n))
            return i;
    return UINT32_MAX;
}
static inline const val *val_small_obj_get_str(const val *obj, const char *key, size_t n)
{
    uint32_t i = val_small_obj_find_str(obj, key, n);
    return i == UINT32_MAX ? NULL : obj->u.o.v[i];
}

/* A string key into an object is the hot case (every `x.name`): inline,
 * small objects scanned in place, larger ones to the string lookup. */
static inline const val *val_index(const val *coll, const val *key)
{
    if (coll && key && coll->type == V_OBJ && key->type == V_STR) {
        if (coll->len <= VAL_SMALL_OBJECT && !(coll->flags & VF_HASHED))
            return val_small_obj_get_str(coll, key->u.s, key->len);
        return val_obj_get_str(coll, key->u.s, key->len);
    }
    return val_index_any(coll, key);
}

bool val_is_int(const val *x, int64_t *out); /* exact integer in int64 range */
double val_to_double(const val *x);          /* V_NUM only */
const char *vtype_name(vtype t);             /* "null","boolean","number","string","array","object","set" */

/* ---- JSON -------------------------------------------------------------- */

typedef struct json_error {
    size_t offset; /* byte offset of the problem */
    uint32_t line, col;
    bool oom; /* the arena (or libyaml's allocator) ran out, the text may be fine */
    char msg[128];
} json_error;

/* Parses one JSON document (RFC 8259; duplicate keys: last wins) into
 * arena values. Objects come out sorted. Depth is limited to 1000. */
const val *json_parse(arena *a, const char *s, size_t n, json_error *err);

/* A bundle's field names (the string keys its code reads with DOTK and RULEK), so
 * that input built for it uses those very values as object keys: a field
 * read then matches its key by address. Only an optimisation: a name the
 * set lacks (a slot collision, a name over 32 bytes) is copied as usual. */
enum { JSON_KEYSET_MAX_BITS = 16 };
typedef struct json_keyset {
    const val **slots; /* 1 << bits, direct-mapped by the parser's key hash; NULL: empty */
    uint32_t bits;
} json_keyset;
bool json_keyset_build(arena *a, json_keyset *ks, const val *const *names,
                       uint32_t n);                                          /* false: out of memory */
const val *json_keyset_find(const json_keyset *ks, const char *s, size_t n); /* NULL: not a name */
/* json_parse whose object keys are, where they can be, names of the set. */
const val *json_parse_named(arena *a, const json_keyset *names, const char *s, size_t n, json_error *err);

/* A sticky output buffer: after the first overflow further writes only
 * count, so callers measure then allocate (or report the size needed). */
typedef struct sbuf {
    char *buf;
    size_t cap, len; /* len counts everything written, even past cap */
} sbuf;
void sb_init(sbuf *b, char *buf, size_t cap);
void sb_putc(sbuf *b, char c);
void sb_put(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
bool sb_ok(const sbuf *b); /* everything fitted */

/* Canonical JSON (OPA's): sets as sorted arrays, non-string object keys
 * written as their JSON text in a string, numbers as OPA prints them.
 * indent > 0 pretty-prints with that many spaces per level. */
void json_write(sbuf *b, const val *x, int indent);
/* Go's json.Marshal / MarshalIndent: prefix and indent strings (the first
 * line gets no prefix, as in Go); escape_html escapes <, > and & as Go's
 * encoder does by default. */
void json_write_ex(sbuf *b, const val *x, bool pretty, const char *prefix, const char *indent,
                   bool escape_html);
/* Number text as OPA prints it (shortest round-trip for doubles). */
void json_write_number(sbuf *b, const val *x);
/* ±0.D × 10^point (numconv.h) as text: plain notation when the exponent
 * of its first digit is in [plain_lo, plain_hi), else d.ddde±x with at
 * least exp_digits exponent digits. The layouts of Go's strconv that OPA
 * prints with are instances: encoding/json (-6, 21, 1), 'g' -1 (-4, 6, 2). */
struct num_decimal;
void num_write_decimal(sbuf *b, const struct num_decimal *d, bool neg, int plain_lo, int plain_hi,
                       int exp_digits);
/* Rego term syntax (sets as {1, 2}, set() for the empty set); used by
 * sprintf %v and error messages. */
void rego_write(sbuf *b, const val *x);

/* ---- YAML (libyaml) ----------------------------------------------------- */

/* Parses one YAML document (YAML 1.2 core schema scalars: null, booleans,
 * ints, floats, strings; mappings become objects, sequences arrays).
 * Errors use json_error with the YAML line/col. */
const val *yaml_parse(arena *a, const char *s, size_t n, json_error *err);
/* Writes x as a YAML document (for yaml.marshal). */
void yaml_write(sbuf *b, const val *x);

#endif
