/* The evaluation context and the interpreter entry point.
 *
 * Invariants:
 *  - Everything an evaluation allocates comes from ctx->arena, reset at the
 *    start of each evaluation; registers, slots, memo tables and the
 *    override stack are sized when the context is created. The evaluation
 *    path therefore never calls the allocator.
 *  - A context is used by one thread at a time; the bundle it points to is
 *    shared and never written.
 */
#ifndef POL_VM_VM_H
#define POL_VM_VM_H

#include "../stdlib/builtins.h"
#include "program.h"

struct pol_bundle {
    program prog;
    pol_alloc alloc;
    bool has_alloc;
    int refs; /* atomic */
};

/* A with-modifier in force. */
typedef struct override {
    uint8_t kind;     /* WITH_* or 0x80|WITHFN_* */
    uint32_t target;  /* proc or builtin id */
    uint32_t repl;    /* replacement proc or builtin id (function overrides) */
    const val *value; /* replacement value (value overrides) */
    bool busy;        /* its replacement is running: calls inside reach the original */
} override;

/* What WITHPOP restores. */
typedef struct with_frame {
    const val *input, *data;
    const val **memo; /* snapshot of the memo table (arena) */
    uint8_t *memo_state;
    uint32_t nover; /* override stack height before the push */
} with_frame;

enum { MEMO_NONE = 0, MEMO_BUSY = 1, MEMO_DONE = 2 };

/* Frames are zeroed in blocks of this many registers (frame_enter): the
 * register stack has this many past its capacity so the last block of
 * the topmost frame stays inside the allocation. */
#define VM_REG_BLOCK 8

/* A rule evaluated in its caller's dispatch loop (see vm_call): what its
 * RET restores. */
typedef struct rule_frame {
    const insn *call; /* the caller's RULE or RULEK */
    const proc *pr;   /* the caller's procedure */
    const val **R;
    uint32_t *S;
    uint32_t nwith_entry; /* the caller's */
} rule_frame;

#define POL_MAX_WITH 128

struct pol_ctx {
    pol_bundle *bundle;
    const program *prog;
    pol_ctx_options opt;
    const pol_alloc *alloc;

    void *arena_buf;
    arena arena;
    void *rx_buf; /* the compiled-pattern cache's block (RX_CACHE_BYTES) */
    /* bi.prep's slots for the bundle's constant strings, then the block of
     * prep_arena (bi.prep_mem); prep_bytes in all */
    void *prep_buf;
    size_t prep_bytes;
    arena prep_arena;
    bi_ctx bi;

    const val **regs;
    uint32_t nregs_cap, sp;
    uint32_t *slots;
    uint32_t nslots_cap, slot_sp;

    const val **memo;
    uint8_t *memo_state;
    /* opt.max_depth entries: frames[d] belongs to the rule that runs at
     * depth d + 1 without a C call of its own */
    rule_frame *frames;
    /* Per instruction (ncode bytes): where a DOTK last found its key in a
     * small object. Objects read at one place mostly share a shape, so the
     * next read checks that position before scanning. Only a guess: any
     * value is safe, a wrong one costs the scan. */
    uint8_t *field_hint;

    pol_cache *cache; /* optional decision cache (same bundle) */

    /* pol_eval_value keeps the caller's input in the arena, so it cannot
     * reset it; instead each evaluation rewinds to where the previous one
     * started, unless values were built since (they would be lost). */
    arena_mark eval_mark;
    bool have_eval_mark;
    bool built_since_eval;

    const val *input; /* NULL: undefined */
    const val *data;  /* the base document in force (with data overrides applied) */

    override over[POL_MAX_WITH];
    uint32_t nover;
    with_frame withs[POL_MAX_WITH];
    uint32_t nwith;

    /* Function mocks below this override-stack height are off: a mock's body
     * sees none of the mocks in force where it was called, only those its own
     * `with`s push (OPA pushes an empty mock frame around a mock call). */
    uint32_t mock_floor;
    uint64_t budget; /* instructions left on back-edges and calls */
    uint32_t depth;
    bool strict;

    /* Strict mode's first builtin error. As in OPA, evaluation goes on with
     * the failing expression undefined and the error is returned at the
     * end (errmsg/errloc describe it); a later error that unwinds is
     * reported as this one, as OPA's runner prefers the builtin error. */
    pol_status deferred;
    /* The first error; evaluation unwinds as soon as it is set. */
    pol_status status;
    char errmsg[384];
    srcloc errloc;
};

/* Runs procedure `proc` with `args` (nparams values) and stores its result
 * (NULL = undefined). Returns POL_OK or the error (details in ctx). */
pol_status vm_call(pol_ctx *ctx, uint32_t proc, const val *const *args, const val **result);

/* Indexing into base data: like val_index, but a number indexing an object
 * names the key spelled as that number (data is JSON: data[2] is data["2"]). */
const val *val_index_data(const val *coll, const val *key);

/* Copy-on-write update: root with the value at `path` (an array of keys)
 * replaced by x, creating objects along the way. NULL when out of memory. */
const val *val_with_path(arena *a, const val *root, const val *path, uint32_t depth, const val *x);

#endif
