/* Compiler internals shared by compiler.c (API, rule tree, resolution) and
 * plan.c (code generation).
 *
 * The rule tree mirrors `data`: one node per path segment that leads to a
 * rule. A node holds at most one rule group — every definition (from any
 * module) that produces the document at that path. Paths that only hold
 * base data are not in the tree; they are found in `data` itself.
 */
#ifndef POL_COMPILER_COMPILER_H
#define POL_COMPILER_COMPILER_H

#include "../vm/program.h"
#include "ast.h"

typedef enum group_kind {
    G_COMPLETE, /* one value: p := v, p if …, else chains, defaults */
    G_SET,      /* p contains x */
    G_OBJECT,   /* p[k] := v, ref heads with variables: built from (key path, value) pairs */
    G_FUNC,     /* f(x) := v */
} group_kind;

typedef struct rnode rnode;

typedef struct cdef {
    rule *r;
    module *m;
    uint32_t keypath_from; /* G_OBJECT: index in r->head where the key path starts */
    bool set_leaf;         /* G_OBJECT: a `contains` rule: the leaf is a set of its elements */
} cdef;

typedef struct group {
    group_kind kind;
    const char *path; /* "data.a.b" */
    rnode *node;
    cdef *defs;
    uint32_t ndefs, cap;
    cdef deflt; /* deflt.r == NULL: no default */
    uint32_t arity;
    uint32_t proc;
    uint8_t state; /* 0 not compiled, 1 compiling, 2 done */
} group;

struct rnode {
    const char *key;
    uint32_t keylen;
    rnode *parent;
    rnode **kids;
    uint32_t nkids, cap;
    group *grp;
    const char *path; /* "data.a.b" */
    uint32_t ns_proc; /* UINT32_MAX until a namespace procedure is needed */
    uint8_t ns_state;
};

typedef struct cquery {
    const char *name;
    const char *text; /* source text, for expression "text" */
    body *body;
} cquery;

typedef struct centry {
    const char *name; /* normalised "data.a.b" */
    term *ref;        /* the parsed ref */
} centry;

#define VEC(T)                                                                                               \
    struct {                                                                                                 \
        T *v;                                                                                                \
        uint32_t n, cap;                                                                                     \
    }

/* A METADATA block, parsed and attached (annotations.c). */
typedef struct annot {
    const val *obj;    /* OPA's annotation object (program arena) */
    const char *scope; /* one of the four scope strings of annotations.c (compared by pointer) */
    srcpos pos;        /* of its `# METADATA` line */
    module *m;
    rule *r; /* the rule it is attached to; NULL for a package */
} annot;

struct pol_compiler {
    pol_alloc alloc;
    bool has_alloc;
    const pol_alloc *al; /* &alloc or NULL */
    arena ast;           /* AST and compile-time scratch; freed with the compiler */
    arena *pmem;         /* the program's arena, handed to the bundle by build */
    bool built;

    VEC(module *) mods;
    VEC(cquery) queries;
    VEC(centry) entries;
    const val *data; /* merged base document (program arena) */

    rnode *root;

    /* program under construction */
    VEC(const val *) consts;
    /* Scalar constants by value (see cc_const): open addressing, at most
     * half full; a slot is (hash high half << 32) | (constant index + 1),
     * 0 when empty. Holds the newest constant of each distinct scalar. */
    uint64_t *const_slots;
    uint32_t const_mask; /* slot count - 1; 0 before the first scalar */
    uint32_t const_used;
    VEC(insn) code;
    VEC(srcloc) locs;
    VEC(proc) procs;
    VEC(entrypoint) eps;

    /* groups being compiled, outermost first: a reference back into this
     * stack is a recursion, reported with the cycle it closes */
    group *compiling[1024];
    uint32_t ncompiling;

    annot *annots; /* every module's, in module and source order (ast arena) */
    uint32_t nannots;

    unsigned flags; /* POL_COMPILE_* */

    /* constant folding (fold.c), set up by fold_init before planning */
    uint8_t *bi_mocked;          /* [BI_COUNT]: some `with` in the policy replaces this builtin */
    bool with_beyond_input;      /* some `with` replaces something other than input or a builtin */
    unsigned char *fold_scratch; /* FOLD_SCRATCH_BYTES for builtins run at compile time */

    pol_error *err;
    bool failed;
};

/* Records the first compile error (later ones are dropped). Returns false. */
bool cc_error(pol_compiler *cc, pol_status code, srcpos pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Value of a term that is a constant (scalars and collections of
 * constants), allocated in the program arena, or NULL. */
const val *cc_const_term(pol_compiler *cc, const term *t);

/* Adds a constant (deduplicated for scalars); returns its index. */
uint32_t cc_const(pol_compiler *cc, const val *v);

/* The rule-tree child of n named key, or NULL. */
rnode *rnode_child(const rnode *n, const char *key, uint32_t len);

/* Annotations (annotations.c). annot_collect parses and checks every
 * module's METADATA blocks (rego_parse_error at the block); the others
 * return OPA's rego.metadata.chain() / rego.metadata.rule() value for rule
 * r of module m as a program-arena constant (NULL: out of memory). */
bool annot_collect(pol_compiler *cc);
const val *annot_chain(pol_compiler *cc, const module *m, const rule *r);
const val *annot_rule(pol_compiler *cc, const rule *r);

/* Constant folding (fold.c). fold_init scans every module and query for
 * `with` targets (a builtin replaced anywhere is never folded) and sets up
 * the scratch arena; false (and a compile error) when memory runs out. */
bool fold_init(pol_compiler *cc);
/* The value of builtin bid applied to constant operands (program arena),
 * or NULL when the call must be left to run time: the builtin is not
 * foldable (see fold.c) or is undefined or fails on these operands. */
const val *fold_builtin(pol_compiler *cc, int bid, const val *const *args);
/* Whether builtin bid may run at compile time (the same test as
 * fold_builtin, without running it). */
bool fold_builtin_allowed(const pol_compiler *cc, int bid);

/* Code generation (plan.c). */
bool plan_all(pol_compiler *cc);
bool plan_group(pol_compiler *cc, group *g);
uint32_t plan_namespace(pol_compiler *cc, rnode *n);

/* The compiler's open-addressed tables of 64-bit entries: a non-zero
 * entry keeps its key's hash in bits 32-63 (its home slot) and its payload
 * below. Moves every entry of old (mask old_mask; NULL: none) into the
 * zeroed table ns (mask nmask, larger), by linear probing. */
static inline void hash64_reinsert(uint64_t *ns, uint32_t nmask, const uint64_t *old, uint32_t old_mask)
{
    for (uint32_t i = 0; old && i <= old_mask; i++) {
        uint64_t e = old[i];
        if (!e)
            continue;
        uint32_t j = (uint32_t)(e >> 32) & nmask;
        while (ns[j])
            j = (j + 1) & nmask;
        ns[j] = e;
    }
}

#endif
