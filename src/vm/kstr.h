/* Constant-string ids: which strings are a bundle's own, found by address.
 *
 * A builtin that prepares something from a string operand (a compiled
 * regex, a glob program, a parsed sprintf format) wants to do it once per
 * constant, not once per call, and to find it again without hashing or
 * comparing the text. A bundle's strings (the constant table K and the
 * base document) never move or change while any context uses the bundle,
 * so the address and length of a string's bytes name its text exactly:
 * two strings with the same (bytes, len) have the same text. The table
 * maps each such pair to a dense id; a context keeps its prepared
 * artifacts in an array indexed by that id (bi_ctx.prep).
 *
 * Why no false hit is possible: a key's bytes lie in memory the bundle
 * owns and keeps alive and unchanged for as long as a context evaluates
 * it. An evaluation-time string (arena, input) whose bytes pointer equals a
 * key's therefore points at those same immutable bytes, and with the same
 * length it is the same text, so the artifact fits it too. Nothing is ever
 * compared but two words.
 *
 * Immutable once built (before the bundle is shared); read by any number
 * of threads. */
#ifndef POL_VM_KSTR_H
#define POL_VM_KSTR_H

#include "value.h"

#define KSTR_NONE UINT32_MAX

/* Strings below the top level of K (array elements, object keys and
 * values, set elements of constants and of the base document) get ids
 * shallowest first, up to this many: a pattern list in the data is
 * usually near the top, and a context spends BI_PREP_KINDS pointers per
 * id. The containers walked are bounded too, so building stays linear in
 * a bounded prefix of a large document. Every top-level string of K gets
 * an id regardless (their number is bounded by the code). */
enum { KSTR_MAX_NESTED = 4096, KSTR_MAX_CONTAINERS = 1 << 16 };

/* An empty slot has s == NULL, len == 0 and id == KSTR_NONE, so a lookup
 * that reaches it (or a string with a NULL pointer) yields KSTR_NONE. */
typedef struct kstr_slot {
    const char *s;
    uint32_t len, id;
} kstr_slot;

/* Built by kstr_build, which always leaves a table to probe: with no
 * strings (or on failure) a static one of two empty slots, so a lookup
 * tests neither a NULL table nor a zero count. */
typedef struct kstr_table {
    const kstr_slot *slots; /* mask + 1 = 2^(64 - shift) slots, at most half of them used */
    uint32_t mask;
    uint32_t n; /* ids 0 .. n-1 */
    uint32_t shift;
} kstr_table;

/* Fibonacci hashing of the bytes' address: the top bits mix all of it. */
static inline uint32_t kstr_home(const kstr_table *t, const char *s)
{
    return (uint32_t)(((uint64_t)(uintptr_t)s * 0x9E3779B97F4A7C15ull) >> t->shift);
}

/* The id of string x (V_STR) when it is one of the table's constants,
 * else KSTR_NONE. t is a table kstr_build built. Linear probing at load
 * <= 1/2 ends at an empty slot. */
static inline uint32_t kstr_id(const kstr_table *t, const val *x)
{
    for (uint32_t i = kstr_home(t, x->u.s);; i = (i + 1) & t->mask) {
        const kstr_slot *e = &t->slots[i];
        if (e->s == x->u.s && e->len == x->len)
            return e->id;
        if (!e->s)
            return KSTR_NONE;
    }
}

/* Builds t in `mem` over the strings among top[0..ntop) (all of them) and
 * those below top[] and roots[0..nroots) (breadth first, within the
 * limits above). Scratch memory comes from `tmp` (NULL = libc) and is
 * freed before returning. False: out of memory (t is then empty). */
bool kstr_build(kstr_table *t, arena *mem, const pol_alloc *tmp, const val *const *top, uint32_t ntop,
                const val *const *roots, uint32_t nroots);

#endif
