/* The builtin function table: one row per builtin, expanded from the
 * per-area lists below into the id enum, the name/arity/flags table the
 * compiler resolves against, and the function pointers the VM calls.
 *
 * A row: X(ID, "rego.name", arity, flags, fn)
 *   arity  number of operands (the result is not counted)
 *   flags  BIF_* below
 *   fn     bi_status fn(bi_ctx *ctx, const val *const *args, const val **out)
 *
 * A builtin writes only into ctx->arena, never keeps state between calls,
 * and reports failure through bi_fail/bi_type_fail so the VM can decide
 * (strict mode or not) what the failure means.
 */
#ifndef POL_STDLIB_BUILTINS_H
#define POL_STDLIB_BUILTINS_H

#include "../vm/kstr.h"
#include "../vm/value.h"

typedef enum bi_status {
    BI_OK,    /* *out is the result */
    BI_UNDEF, /* no result; the expression is undefined (not an error) */
    BI_ERR,   /* ctx->err_code and ctx->err_msg describe the failure */
} bi_status;

/* What a builtin sees of the evaluation. Owned by the VM context. */
typedef struct bi_ctx {
    arena *arena;
    pol_status err_code; /* set by bi_fail*: POL_EVAL_TYPE, POL_EVAL_BUILTIN, POL_LIMIT_* or POL_NOMEM */
    char err_msg[384];   /* "count: operand 1 must be ..." — the builtin's name first, as OPA prints */
    int64_t now_ns;      /* the evaluation's clock; 0 until first read: use bi_now_ns() */
    uint64_t seed; /* per-evaluation randomness for rand.intn / uuid; 0 until first read: use bi_seed() */
    uint32_t regex_match_limit, regex_depth_limit;
    void *pcre_gctx;           /* pcre2_general_context* allocating from the arena, or NULL */
    struct rx_cache *rx_cache; /* compiled patterns kept for the context's lifetime, or NULL */
    /* Artifacts prepared from the bundle's constant strings (see kstr.h):
     * prep[id * BI_PREP_KINDS + kind] for a string of id `id`, NULL until
     * the first call that prepares it. The context's own (filled during
     * evaluation, never freed before the context); kstr is the bundle's,
     * shared and read-only. prep_mem holds what a kind needs beyond what
     * it points into (sprintf plans). All NULL: nothing is kept; prep is
     * set only together with kstr (a table kstr_build built). */
    const kstr_table *kstr;
    const void **prep;
    arena *prep_mem;
    /* net.cidr_contains' last address operand (bi_net.c): its text of
     * len (1..16; 0: none) bytes, zero padded, and the address read */
    struct {
        uint64_t text[2], hi, lo;
        uint32_t len;
    } addr_memo;
} bi_ctx;

typedef enum bi_prep_kind {
    BI_PREP_REGEX,
    BI_PREP_GLOB,
    BI_PREP_SPRINTF,
    BI_PREP_CIDR, /* net.cidr_contains' network operand */
    BI_PREP_KINDS
} bi_prep_kind;

/* The context's artifact slot of kind `kind` for string s (V_STR), or
 * NULL when s is not one of the bundle's constants. O(1), no text read. */
static inline const void **bi_prep_slot(bi_ctx *ctx, const val *s, bi_prep_kind kind)
{
    if (!ctx->prep)
        return NULL;
    uint32_t id = kstr_id(ctx->kstr, s);
    if (id == KSTR_NONE)
        return NULL;
    return &ctx->prep[(size_t)id * BI_PREP_KINDS + kind];
}

/* The compiled-pattern cache of a context: lives in a fixed block the
 * context allocates once, so a constant pattern is compiled (and JIT
 * compiled) on first use and then only looked up; nothing is allocated
 * once it is warm. Full cache: patterns compile per call into the arena. */
typedef struct rx_cache rx_cache;
rx_cache *rx_cache_init(void *mem, size_t bytes, uint32_t match_limit, uint32_t depth_limit);
void rx_cache_release(rx_cache *c); /* frees JIT code; the block is the caller's */

typedef bi_status (*bi_fn)(bi_ctx *ctx, const val *const *args, const val **out);

enum bi_flags {
    BIF_NONE = 0,
    BIF_NONDET = 1u << 0,   /* result may differ between calls with equal args (time, rand, uuid, http) */
    BIF_RELATION = 1u << 1, /* returns an array of outputs, each a solution (walk) */
    BIF_INFIX = 1u << 2,    /* an operator (==, +, …): OPA omits the name from some messages */
    BIF_TEST = 1u << 3,     /* OPA test-harness only: resolved with POL_COMPILE_TEST_BUILTINS */
    /* Reads more than its operands: the evaluation's clock, the machine's
     * time-zone database, or the context's regex match limits. Stable
     * within an evaluation (so not BIF_NONDET, which marks decisions the
     * cache must not keep), but its result is only known at run time: the
     * compiler never folds it into a constant. */
    BIF_ENV = 1u << 4,
};

/* bi_fail(ctx, code, fmt, ...): records an error and returns BI_ERR. */
bi_status bi_fail(bi_ctx *ctx, pol_status code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* OPA's operand type error:
 *   "<name>: operand <n> must be <expected> but got <vtype_name(got)>"
 * n is 1-based; expected is e.g. "string", "one of {string, set, array}". */
bi_status bi_type_fail(bi_ctx *ctx, const char *name, int n, const char *expected, const val *got);
/* The evaluation's clock and random seed: read on first use (most
 * decisions never need them, so evaluation does not pay for a clock read),
 * then fixed for the rest of the evaluation, as OPA fixes time.now_ns. */
int64_t bi_now_ns(bi_ctx *ctx);
uint64_t bi_seed(bi_ctx *ctx);
/* The arena is full: records POL_LIMIT_ARENA and returns BI_ERR. */
bi_status bi_oom(bi_ctx *ctx);

/* Area lists, each owned by one source file. */
#include "bi_core.h" /* operators, comparison, aggregates, numbers, types, arrays, objects, sets, json, encoding, walk */
#include "bi_crypto.h"   /* crypto hashes and HMAC, x509, io.jwt, providers.aws */
#include "bi_graphql.h"  /* graphql.*, json.match_schema, json.verify_schema */
#include "bi_net_time.h" /* net, time, uuid, rand, semver */
#include "bi_strings.h"  /* strings, sprintf, regex, glob, units */

#define POL_BUILTINS(X)                                                                                      \
    BI_LIST_CORE(X) BI_LIST_STRINGS(X) BI_LIST_NET_TIME(X) BI_LIST_CRYPTO(X) BI_LIST_GRAPHQL(X)

typedef enum bi_id {
#define BI_ENUM(id, name, arity, flags, fn) BI_##id,
    POL_BUILTINS(BI_ENUM)
#undef BI_ENUM
        BI_COUNT
} bi_id;

typedef struct bi_info {
    const char *name;
    uint8_t arity;
    uint8_t flags;
    bi_fn fn;
} bi_info;

extern const bi_info bi_table[BI_COUNT];

/* Index by exact Rego name, or -1. */
int bi_lookup(const char *name, size_t len);

#endif
