/* Code generation: Rego bodies become straight-line register code with
 * explicit scan loops.
 *
 * The one idea: every generator takes the current *failure label* — where
 * to go when this literal has no (more) solutions — and returns the new
 * one. A literal that iterates (a ref with an unbound variable, `some x in`)
 * emits ITER/NEXT and returns its NEXT as the failure label, so later
 * literals backtrack into it. A body's success code runs inside all of its
 * loops and ends with a jump to the innermost failure label, which is how
 * every solution is enumerated without a general backtracking machine.
 *
 * Literals are generated in a safe order (OPA's reordering): at each step
 * the first literal whose inputs are bound goes next; if none can, the
 * first unbound variable is reported as unsafe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../stdlib/builtins.h"
#include "../vm/vm.h"
#include "compiler.h"

#define NO_REG UINT32_MAX
#define MAX_REGS 65535u

typedef struct lvar {
    const char *name;
    uint32_t len;
    uint32_t reg; /* NO_REG until bound */
    bool bound;
} lvar;

typedef struct pgen {
    pol_compiler *cc;
    insn *code;
    srcloc *locs;
    uint32_t ncode, capcode;
    uint32_t caplocs; /* apart from capcode: one of the two grows can fail */
    uint32_t *labels;
    uint32_t nlabels, caplabels;
    uint32_t nreg, maxreg, nslot, maxslot;
    lvar *vars;
    uint32_t nvars, capvars;
    module *mod; /* name resolution context; NULL for queries */
    rnode *pkg;  /* the module's package node */
    srcpos pos;
    /* the body being ordered, for closure-variable checks */
    body *ctx_body;
    const bool *ctx_placed;
    /* The top level of a query body: like `opa eval`, a bare term there
     * (a ref, var or value, not a call) reports its value, false included,
     * instead of testing it; calls and comparisons still filter. */
    body *query_top;
    /* the definition whose body is being generated (rego.metadata.*) */
    const cdef *cur_def;
    /* DISPATCH instructions whose jump tables are resolved by proc_finish */
    struct pending_dispatch {
        uint32_t insn;
        uint32_t *labels;
        uint32_t n;
    } dispatches[8];
    uint32_t ndispatch;
    /* comprehension hoisting: where the current rule (or query) body's code
     * starts, and the register floor that keeps hoisted results alive */
    uint32_t hoist_floor, hoist_pin;
    uint32_t comp_depth; /* comprehensions being generated: their bodies are not rule bodies */
} pgen;

static bool failed(pgen *g)
{
    return g->cc->failed;
}

static bool gerr(pgen *g, pol_status code, srcpos pos, const char *fmt, const char *a)
{
    return cc_error(g->cc, code, pos, fmt, a);
}

static bool grow(pgen *g, void **v, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint32_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *nv = pa_realloc(g->cc->al, *v, (size_t)*cap * elem, (size_t)ncap * elem);
    if (!nv) {
        srcpos none = {0};
        return cc_error(g->cc, POL_NOMEM, none, "%s", "out of memory");
    }
    *v = nv;
    *cap = ncap;
    return true;
}

/* ---- emission ---------------------------------------------------------- */

static uint32_t emit(pgen *g, opcode op, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    if (!grow(g, (void **)&g->code, &g->capcode, g->ncode + 1, sizeof *g->code))
        return 0;
    if (!grow(g, (void **)&g->locs, &g->caplocs, g->ncode + 1, sizeof *g->locs))
        return 0;
    insn *in = &g->code[g->ncode];
    in->op = (uint8_t)op;
    in->x = 0;
    in->a = (uint16_t)a;
    in->b = b;
    in->c = c;
    in->d = d;
    g->locs[g->ncode].file = g->pos.file;
    g->locs[g->ncode].line = g->pos.line;
    g->locs[g->ncode].col = g->pos.col;
    return g->ncode++;
}

static uint32_t label_new(pgen *g)
{
    if (!grow(g, (void **)&g->labels, &g->caplabels, g->nlabels + 1, sizeof *g->labels))
        return 0;
    g->labels[g->nlabels] = UINT32_MAX;
    return g->nlabels++;
}

static void label_here(pgen *g, uint32_t l)
{
    /* label_new returns 0 without a label when out of memory */
    if (l < g->nlabels)
        g->labels[l] = g->ncode;
}

static uint32_t reg_new(pgen *g)
{
    if (g->nreg >= MAX_REGS) {
        gerr(g, POL_COMPILE, g->pos, "%s", "rule too large: more than 65535 registers");
        return 0;
    }
    uint32_t r = g->nreg++;
    if (g->nreg > g->maxreg)
        g->maxreg = g->nreg;
    return r;
}

static uint32_t regs_new(pgen *g, uint32_t n)
{
    uint32_t first = g->nreg;
    for (uint32_t i = 0; i < n; i++)
        reg_new(g);
    if (n == 0 && g->nreg >= g->maxreg) {
        /* an empty block still needs a valid register index */
        g->maxreg = g->nreg + 1;
    }
    return first;
}

static uint32_t slot_new(pgen *g)
{
    uint32_t s = g->nslot++;
    if (g->nslot > g->maxslot)
        g->maxslot = g->nslot;
    return s;
}

static uint32_t konst(pgen *g, const val *v)
{
    if (!v) {
        gerr(g, POL_NOMEM, g->pos, "%s", "out of memory");
        return 0;
    }
    return cc_const(g->cc, v);
}

static uint32_t load_const(pgen *g, const val *v)
{
    uint32_t r = reg_new(g);
    emit(g, OP_LOADK, r, konst(g, v), 0, 0);
    return r;
}

/* The constant index of scalar v, which the caller built in the program
 * arena after `mark` and holds nowhere else: when cc_const finds an equal
 * constant, v is given back, so a key or literal repeated in thousands of
 * rules occupies the program arena once. Only within the chunk the mark
 * is in: rolling back across a chunk boundary would free and allocate a
 * chunk per constant. */
static uint32_t konst_since(pgen *g, arena_mark mark, const val *v)
{
    uint32_t k = konst(g, v);
    arena *pm = g->cc->pmem;
    if (v && k < g->cc->consts.n && g->cc->consts.v[k] != v && arena_save(pm).chunks == mark.chunks)
        arena_restore(pm, mark);
    return k;
}

static uint32_t konst_term(pgen *g, const term *t) /* a scalar literal */
{
    arena_mark m = arena_save(g->cc->pmem);
    return konst_since(g, m, cc_const_term(g->cc, t));
}

static uint32_t konst_int(pgen *g, int64_t i)
{
    arena_mark m = arena_save(g->cc->pmem);
    return konst_since(g, m, v_int(g->cc->pmem, i));
}

static uint32_t konst_str(pgen *g, const char *s, uint32_t n)
{
    arena_mark m = arena_save(g->cc->pmem);
    return konst_since(g, m, v_str(g->cc->pmem, s, n));
}

static uint32_t load_konst(pgen *g, uint32_t k)
{
    uint32_t r = reg_new(g);
    emit(g, OP_LOADK, r, k, 0, 0);
    return r;
}

/* Compile-time scratch from the AST arena; running out is reported (the
 * caller only has to stop), so no allocation failure goes unnoticed. */
static void *ast_alloc(pgen *g, size_t n)
{
    void *p = arena_alloc(&g->cc->ast, n);
    if (!p)
        gerr(g, POL_NOMEM, g->pos, "%s", "out of memory");
    return p;
}

/* ---- variables and scopes ---------------------------------------------- */

typedef struct scope_mark {
    uint32_t nvars, nreg, nslot;
    uint8_t *bound;
} scope_mark;

static scope_mark scope_save(pgen *g, bool keep_regs)
{
    scope_mark m = {g->nvars, keep_regs ? UINT32_MAX : g->nreg, g->nslot, NULL};
    if (g->nvars) {
        m.bound = ast_alloc(g, g->nvars);
        if (m.bound)
            for (uint32_t i = 0; i < g->nvars; i++)
                m.bound[i] = (uint8_t)(g->vars[i].bound | (g->vars[i].reg == NO_REG ? 2 : 0));
    }
    return m;
}

static void scope_restore(pgen *g, scope_mark m)
{
    g->nvars = m.nvars;
    if (m.bound)
        for (uint32_t i = 0; i < m.nvars; i++) {
            g->vars[i].bound = m.bound[i] & 1;
            if (m.bound[i] & 2)
                g->vars[i].reg = NO_REG;
        }
    if (m.nreg != UINT32_MAX)
        g->nreg = m.nreg > g->hoist_pin ? m.nreg : g->hoist_pin; /* a hoisted result outlives the scope */
    g->nslot = m.nslot;
}

static bool name_is(const term *t, const char *s)
{
    return t->kind == T_VAR && t->u.str.len == strlen(s) && memcmp(t->u.str.s, s, t->u.str.len) == 0;
}

static lvar *var_find(pgen *g, const char *name, uint32_t len)
{
    for (uint32_t i = g->nvars; i-- > 0;)
        if (g->vars[i].len == len && memcmp(g->vars[i].name, name, len) == 0)
            return &g->vars[i];
    return NULL;
}

static lvar *var_declare(pgen *g, const char *name, uint32_t len)
{
    if (!grow(g, (void **)&g->vars, &g->capvars, g->nvars + 1, sizeof *g->vars))
        return NULL;
    lvar *v = &g->vars[g->nvars++];
    v->name = name;
    v->len = len;
    v->reg = NO_REG;
    v->bound = false;
    return v;
}

typedef enum name_kind {
    NK_LOCAL, /* a declared local (bound or not) */
    NK_FREE,  /* not declared anywhere: an implicit local, unbound */
    NK_INPUT,
    NK_DATA,
    NK_IMPORT, /* replaced by an import's path */
    NK_RULE,   /* a rule of the current package */
} name_kind;

static import_decl *find_import(pgen *g, const char *name, uint32_t len)
{
    if (!g->mod)
        return NULL;
    for (uint32_t i = 0; i < g->mod->nimports; i++) {
        import_decl *im = &g->mod->imports[i];
        const char *an;
        uint32_t alen;
        if (im->alias) {
            an = im->alias;
            alen = (uint32_t)strlen(an);
        } else {
            term *p = im->path;
            term *last = p->kind == T_REF ? p->u.ref.items[p->u.ref.n - 1] : p;
            an = last->u.str.s;
            alen = last->u.str.len;
        }
        if (alen == len && memcmp(an, name, len) == 0) {
            term *h = im->path->kind == T_REF ? im->path->u.ref.items[0] : im->path;
            if (name_is(h, "data") || name_is(h, "input"))
                return im;
        }
    }
    return NULL;
}

static name_kind resolve(pgen *g, const term *v, lvar **out, import_decl **imp)
{
    const char *s = v->u.str.s;
    uint32_t n = v->u.str.len;
    lvar *lv = var_find(g, s, n);
    if (lv) {
        *out = lv;
        return NK_LOCAL;
    }
    if (name_is(v, "input"))
        return NK_INPUT;
    if (name_is(v, "data"))
        return NK_DATA;
    import_decl *im = find_import(g, s, n);
    if (im) {
        *imp = im;
        return NK_IMPORT;
    }
    if (g->pkg && rnode_child(g->pkg, s, n))
        return NK_RULE;
    return NK_FREE;
}

static bool is_bound_var(pgen *g, const term *v)
{
    lvar *lv = NULL;
    import_decl *im = NULL;
    name_kind k = resolve(g, v, &lv, &im);
    return k == NK_LOCAL ? lv->bound : k != NK_FREE;
}

/* ---- readiness (safety) ------------------------------------------------ */

static bool term_ready(pgen *g, const term *t);
static bool pattern_ok(pgen *g, const term *p);
static bool bound_by_sibling(pgen *g, const term *call, uint32_t i);
static bool body_closure_ready(pgen *g, const body *b, const term *extra1, const term *extra2);

static bool var_occurs(const term *t, const char *name, uint32_t len);

static bool body_var_occurs(const body *b, const char *name, uint32_t len)
{
    for (uint32_t i = 0; b && i < b->n; i++) {
        const literal *l = b->lits[i];
        const expr *e = l->expr;
        if ((e->lhs && var_occurs(e->lhs, name, len)) || (e->rhs && var_occurs(e->rhs, name, len)) ||
            (e->key && var_occurs(e->key, name, len)) || (e->value && var_occurs(e->value, name, len)) ||
            (e->coll && var_occurs(e->coll, name, len)) || (e->body && body_var_occurs(e->body, name, len)))
            return true;
        for (uint32_t j = 0; j < e->nvars; j++)
            if (var_occurs(e->vars[j], name, len))
                return true;
        for (uint32_t j = 0; j < l->nwith; j++)
            if (var_occurs(l->withs[j].value, name, len))
                return true;
    }
    return false;
}

/* Calls visit(ctx, child) on each direct sub-term of t, stopping when it
 * returns false (then returns false). The function name of a call is not a
 * sub-term, and neither are comprehension parts: a comprehension has its
 * own scope, which each walker treats in its own way. */
static bool each_child(const term *t, bool (*visit)(void *ctx, const term *child), void *ctx)
{
    switch (t->kind) {
    case T_REF:
        for (uint32_t i = 0; i < t->u.ref.n; i++)
            if (!visit(ctx, t->u.ref.items[i]))
                return false;
        return true;
    case T_ARRAY:
    case T_SET:
        for (uint32_t i = 0; i < t->u.coll.n; i++)
            if (!visit(ctx, t->u.coll.items[i]))
                return false;
        return true;
    case T_OBJECT:
        for (uint32_t i = 0; i < t->u.obj.n; i++)
            if (!visit(ctx, t->u.obj.keys[i]) || !visit(ctx, t->u.obj.vals[i]))
                return false;
        return true;
    case T_CALL:
        for (uint32_t i = 0; i < t->u.call.nargs; i++)
            if (!visit(ctx, t->u.call.args[i]))
                return false;
        return true;
    case T_TEMPLATE:
        for (uint32_t i = 0; i < t->u.tmpl.n; i++)
            if (!visit(ctx, t->u.tmpl.parts[i]))
                return false;
        return true;
    default: return true;
    }
}

static bool is_comprehension(const term *t)
{
    return t->kind == T_ARRCOMP || t->kind == T_SETCOMP || t->kind == T_OBJCOMP;
}

typedef struct var_query {
    const char *name;
    uint32_t len;
    bool deep;
} var_query;

static bool var_in(const term *t, const char *name, uint32_t len, bool deep);

static bool var_absent(void *q, const term *child)
{
    const var_query *vq = q;
    return !var_in(child, vq->name, vq->len, vq->deep);
}

/* Does variable `name` occur in t? With deep=false, comprehension bodies
 * (which have their own scope) are not searched. */
static bool var_in(const term *t, const char *name, uint32_t len, bool deep)
{
    if (!t)
        return false;
    if (t->kind == T_VAR)
        return t->u.str.len == len && memcmp(t->u.str.s, name, len) == 0;
    if (is_comprehension(t))
        return deep && (var_in(t->u.comp.key, name, len, deep) || var_in(t->u.comp.head, name, len, deep) ||
                        body_var_occurs(t->u.comp.body, name, len));
    var_query q = {name, len, deep};
    return !each_child(t, var_absent, &q);
}

static bool var_occurs(const term *t, const char *name, uint32_t len)
{
    return var_in(t, name, len, true);
}

/* Does the literal mention v outside its own nested bodies (comprehensions,
 * every), where v could be bound for the enclosing body? A `:=` of v starts
 * a new variable, which a closure cannot see. */
static bool var_occurs_shallow(const term *t, const char *name, uint32_t len)
{
    return var_in(t, name, len, false);
}

static bool literal_may_bind(const literal *l, const char *name, uint32_t len)
{
    const expr *e = l->expr;
    if (l->negated)
        return false;
    if (e->kind == E_ASSIGN && var_occurs_shallow(e->lhs, name, len))
        return false;
    if (e->kind == E_SOME || e->kind == E_EVERY)
        return false;
    return var_occurs_shallow(e->lhs, name, len) || var_occurs_shallow(e->rhs, name, len) ||
           var_occurs_shallow(e->key, name, len) || var_occurs_shallow(e->value, name, len) ||
           var_occurs_shallow(e->coll, name, len);
}

/* A closure variable of a nested body must wait for the enclosing body to
 * bind it when another, not yet placed, literal of that body can bind it. */
static bool closure_var_ok(pgen *g, const term *v)
{
    lvar *lv = NULL;
    import_decl *im = NULL;
    name_kind k = resolve(g, v, &lv, &im);
    if (k == NK_LOCAL)
        return lv->bound || lv->reg == NO_REG;
    if (k != NK_FREE || !g->ctx_body)
        return true;
    for (uint32_t i = 0; i < g->ctx_body->n; i++) {
        /* the literal being tested is excluded by the caller setting its
         * placed flag transiently */
        if (!g->ctx_placed[i] && literal_may_bind(g->ctx_body->lits[i], v->u.str.s, v->u.str.len))
            return false;
    }
    return true;
}

static bool closure_ready_term(pgen *g, const term *t);

static bool closure_child_ready(void *g, const term *child)
{
    return closure_ready_term(g, child);
}

static bool closure_ready_term(pgen *g, const term *t)
{
    if (!t)
        return true;
    if (t->kind == T_VAR)
        return closure_var_ok(g, t);
    if (is_comprehension(t))
        return body_closure_ready(g, t->u.comp.body, t->u.comp.key, t->u.comp.head);
    return each_child(t, closure_child_ready, g);
}

static bool body_closure_ready(pgen *g, const body *b, const term *extra1, const term *extra2)
{
    if (!closure_ready_term(g, extra1) || !closure_ready_term(g, extra2))
        return false;
    for (uint32_t i = 0; b && i < b->n; i++) {
        const literal *l = b->lits[i];
        const expr *e = l->expr;
        if (!closure_ready_term(g, e->lhs) || !closure_ready_term(g, e->rhs) ||
            !closure_ready_term(g, e->key) || !closure_ready_term(g, e->value) ||
            !closure_ready_term(g, e->coll))
            return false;
        if (e->body && !body_closure_ready(g, e->body, NULL, NULL))
            return false;
        for (uint32_t j = 0; j < l->nwith; j++)
            if (!closure_ready_term(g, l->withs[j].value))
                return false;
    }
    return true;
}

static bool is_scalar(const term *t)
{
    return t->kind == T_NULL || t->kind == T_BOOL || t->kind == T_NUM || t->kind == T_STR;
}

static bool term_child_ready(void *g, const term *child)
{
    return term_ready(g, child);
}

static bool term_ready(pgen *g, const term *t)
{
    switch (t->kind) {
    case T_NULL:
    case T_BOOL:
    case T_NUM:
    case T_STR: return true;
    case T_VAR: return is_bound_var(g, t);
    case T_REF: {
        const term *h = t->u.ref.items[0];
        if (h->kind == T_VAR ? !is_bound_var(g, h) : !term_ready(g, h))
            return false;
        for (uint32_t i = 1; i < t->u.ref.n; i++) {
            const term *c = t->u.ref.items[i];
            if (c->kind == T_VAR || is_scalar(c))
                continue; /* unbound vars are outputs: the ref scans */
            if (!term_ready(g, c) && !pattern_ok(g, c))
                return false;
        }
        return true;
    }
    case T_ARRAY:
    case T_SET:
    case T_OBJECT:
    case T_TEMPLATE: return each_child(t, term_child_ready, g);
    case T_CALL:
        for (uint32_t i = 0; i < t->u.call.nargs; i++)
            if (!term_ready(g, t->u.call.args[i]) && !bound_by_sibling(g, t, i))
                return false;
        return true;
    case T_ARRCOMP:
    case T_SETCOMP:
    case T_OBJCOMP: return body_closure_ready(g, t->u.comp.body, t->u.comp.key, t->u.comp.head);
    }
    return false;
}

/* An unbound variable argument that another argument's ref binds by
 * scanning (`foo == input.foos[foo]`): ready once that argument runs. */
static bool bound_by_sibling(pgen *g, const term *call, uint32_t i)
{
    const term *a = call->u.call.args[i];
    if (a->kind != T_VAR)
        return false;
    for (uint32_t j = 0; j < call->u.call.nargs; j++) {
        const term *b = call->u.call.args[j];
        if (j != i && b->kind == T_REF && term_ready(g, b) && var_occurs(b, a->u.str.s, a->u.str.len))
            return true;
    }
    return false;
}

/* Can p be unified against a value (binding its unbound variables)? */
static bool pattern_ok(pgen *g, const term *p)
{
    switch (p->kind) {
    case T_VAR: return true;
    case T_ARRAY:
        for (uint32_t i = 0; i < p->u.coll.n; i++)
            if (!pattern_ok(g, p->u.coll.items[i]))
                return false;
        return true;
    case T_OBJECT:
        for (uint32_t i = 0; i < p->u.obj.n; i++)
            if (!term_ready(g, p->u.obj.keys[i]) || !pattern_ok(g, p->u.obj.vals[i]))
                return false;
        return true;
    default: return term_ready(g, p);
    }
}

/* The value term of object literal o under a constant key equal to k's. */
static const term *object_value_for(pgen *g, const term *o, const term *k)
{
    const val *kv = cc_const_term(g->cc, k);
    if (!kv)
        return NULL;
    for (uint32_t i = 0; i < o->u.obj.n; i++) {
        const val *ov = cc_const_term(g->cc, o->u.obj.keys[i]);
        if (ov && val_equal(ov, kv))
            return o->u.obj.vals[i];
    }
    return NULL;
}

static bool unify_ready(pgen *g, const term *a, const term *b)
{
    if (term_ready(g, a) && pattern_ok(g, b))
        return true;
    if (term_ready(g, b) && pattern_ok(g, a))
        return true;
    if (a->kind == T_ARRAY && b->kind == T_ARRAY && a->u.coll.n == b->u.coll.n) {
        for (uint32_t i = 0; i < a->u.coll.n; i++)
            if (!unify_ready(g, a->u.coll.items[i], b->u.coll.items[i]))
                return false;
        return true;
    }
    if (a->kind == T_OBJECT && b->kind == T_OBJECT && a->u.obj.n == b->u.obj.n) {
        for (uint32_t i = 0; i < a->u.obj.n; i++) {
            const term *bv = object_value_for(g, b, a->u.obj.keys[i]);
            if (!bv || !unify_ready(g, a->u.obj.vals[i], bv))
                return false;
        }
        return true;
    }
    return false;
}

/* ---- function resolution ----------------------------------------------- */

typedef struct fnref {
    bool builtin;
    int bid;
    group *grp;
    char name[256];
} fnref;

/* Joins a function-name ref ("net.cidr_contains") into buf. */
static bool fn_name(const term *fn, char *buf, size_t cap)
{
    size_t n = 0;
    const term *const *items = fn->kind == T_REF ? (const term *const *)fn->u.ref.items : &fn;
    uint32_t count = fn->kind == T_REF ? fn->u.ref.n : 1;
    for (uint32_t i = 0; i < count; i++) {
        const term *p = items[i];
        if (p->kind != T_VAR && p->kind != T_STR)
            return false;
        if (n + p->u.str.len + 2 >= cap)
            return false;
        if (i)
            buf[n++] = '.';
        memcpy(buf + n, p->u.str.s, p->u.str.len);
        n += p->u.str.len;
    }
    buf[n] = 0;
    return true;
}

/* Looks up a dotted path (segments after "data") in the rule tree. */
static group *tree_group(pol_compiler *cc, rnode *from, const char *path)
{
    rnode *n = from;
    const char *p = path;
    while (n && *p) {
        const char *dot = strchr(p, '.');
        uint32_t len = dot ? (uint32_t)(dot - p) : (uint32_t)strlen(p);
        n = rnode_child(n, p, len);
        p += len;
        if (*p == '.')
            p++;
    }
    (void)cc;
    return n ? n->grp : NULL;
}

/* A builtin by name, or -1. Test-harness builtins exist only when the
 * compiler was asked for them, as OPA registers them only in its runner. */
static int builtin_lookup(const pgen *g, const char *name, size_t len)
{
    int bid = bi_lookup(name, len);
    if (bid >= 0 && (bi_table[bid].flags & BIF_TEST) && !(g->cc->flags & POL_COMPILE_TEST_BUILTINS))
        return -1;
    return bid;
}

static bool resolve_fn(pgen *g, const term *fn, fnref *out)
{
    memset(out, 0, sizeof *out);
    out->bid = -1;
    if (!fn_name(fn, out->name, sizeof out->name))
        return gerr(g, POL_TYPE, fn->pos, "%s", "invalid function name");
    const term *head = fn->kind == T_REF ? fn->u.ref.items[0] : fn;
    const char *rest = strchr(out->name, '.');
    if (name_is(head, "data") && rest) {
        out->grp = tree_group(g->cc, g->cc->root, rest + 1);
    } else if (head->kind == T_VAR && !var_find(g, head->u.str.s, head->u.str.len)) {
        import_decl *im = find_import(g, head->u.str.s, head->u.str.len);
        if (im && im->path->kind == T_REF && name_is(im->path->u.ref.items[0], "data")) {
            char full[512];
            size_t n = 0;
            for (uint32_t i = 1; i < im->path->u.ref.n && n + 1 < sizeof full; i++)
                n += (size_t)snprintf(full + n, sizeof full - n, "%s%s", i > 1 ? "." : "",
                                      im->path->u.ref.items[i]->u.str.s);
            if (rest && n + 1 < sizeof full)
                snprintf(full + n, sizeof full - n, "%s", rest);
            out->grp = tree_group(g->cc, g->cc->root, full);
        } else if (g->pkg) {
            out->grp = tree_group(g->cc, g->pkg, out->name);
        }
    }
    if (out->grp) {
        if (out->grp->kind != G_FUNC)
            return gerr(g, POL_TYPE, fn->pos, "%s is not a function", out->grp->path);
        return true;
    }
    out->bid = builtin_lookup(g, out->name, strlen(out->name));
    if (out->bid < 0)
        return gerr(g, POL_TYPE, fn->pos, "undefined function %s", out->name);
    out->builtin = true;
    return true;
}

/* ---- constant folding -------------------------------------------------
 *
 * A term built only from constants and calls of foldable builtins on them
 * (`count([1, 2]) + 1`, `{"a": lower("X")}`) is evaluated here and loaded
 * as one constant. fold.c decides which builtins may run now and runs
 * them; anything it declines (an error, undefined, a mocked or
 * non-deterministic builtin) keeps its run-time code, so folding never
 * changes what an evaluation returns or reports.
 */

static const val *fold_term(pgen *g, const term *t);

/* Resolves a call's function without reporting: a name that does not
 * resolve is reported when the call itself is generated. */
static bool resolve_fn_quiet(pgen *g, const term *fn, fnref *out)
{
    bool saved = g->cc->failed;
    pol_error *saved_err = g->cc->err;
    pol_error scratch;
    g->cc->err = &scratch;
    bool ok = resolve_fn(g, fn, out);
    g->cc->failed = saved;
    g->cc->err = saved_err;
    return ok;
}

static const val *fold_oom(pgen *g, srcpos pos)
{
    gerr(g, POL_NOMEM, pos, "%s", "out of memory");
    return NULL;
}

/* The value of builtin call t (builtin bid, already resolved) when every
 * argument folds, or NULL. */
static const val *fold_call(pgen *g, int bid, const term *t)
{
    uint32_t n = t->u.call.nargs;
    if (n > 16 || n != bi_table[bid].arity || !fold_builtin_allowed(g->cc, bid))
        return NULL;
    const val *args[16];
    arena_mark m = arena_save(g->cc->pmem);
    const val *v = NULL;
    uint32_t i = 0;
    while (i < n && (args[i] = fold_term(g, t->u.call.args[i])))
        i++;
    if (i == n)
        v = fold_builtin(g->cc, bid, args);
    if (!v && !failed(g))
        arena_restore(g->cc->pmem, m); /* nothing refers to the partial work */
    return v;
}

/* NULL: an element is not constant, or an object's keys conflict (both
 * left to run time), or memory ran out (reported). */
static const val *fold_collection(pgen *g, const term *t)
{
    vbuild b;
    vb_init(&b, g->cc->pmem);
    uint32_t n = t->kind == T_OBJECT ? t->u.obj.n : t->u.coll.n;
    for (uint32_t i = 0; i < n; i++) {
        if (t->kind == T_OBJECT) {
            const val *k = fold_term(g, t->u.obj.keys[i]);
            const val *v = k ? fold_term(g, t->u.obj.vals[i]) : NULL;
            if (!v)
                return NULL;
            if (!vb_put(&b, k, v))
                return fold_oom(g, t->pos);
        } else {
            const val *x = fold_term(g, t->u.coll.items[i]);
            if (!x)
                return NULL;
            if (!vb_push(&b, x))
                return fold_oom(g, t->pos);
        }
    }
    const val *v;
    if (t->kind == T_OBJECT) {
        bool conflict = false;
        v = vb_finish_object(&b, &conflict);
        if (!v && conflict)
            return NULL;
    } else {
        v = t->kind == T_ARRAY ? vb_finish_array(&b) : vb_finish_set(&b);
    }
    return v ? v : fold_oom(g, t->pos);
}

/* The constant value of t, folding builtin calls; NULL when t is not
 * constant (or memory ran out, which is reported). */
static const val *fold_term(pgen *g, const term *t)
{
    if (failed(g))
        return NULL;
    switch (t->kind) {
    case T_NULL:
    case T_BOOL:
    case T_NUM:
    case T_STR: {
        const val *v = cc_const_term(g->cc, t);
        return v ? v : fold_oom(g, t->pos);
    }
    case T_ARRAY:
    case T_SET:
    case T_OBJECT: {
        arena_mark m = arena_save(g->cc->pmem);
        const val *v = fold_collection(g, t);
        if (!v && !failed(g))
            arena_restore(g->cc->pmem, m);
        return v;
    }
    case T_CALL: {
        fnref f;
        if (!resolve_fn_quiet(g, t->u.call.fn, &f) || !f.builtin)
            return NULL;
        return fold_call(g, f.bid, t);
    }
    default: return NULL;
    }
}

/* ---- terms ------------------------------------------------------------- */

static uint32_t gen_term(pgen *g, term *t, uint32_t *fail);
static bool gen_match(pgen *g, term *p, uint32_t r, uint32_t *fail);
static uint32_t gen_body(pgen *g, body *b, uint32_t fail, uint32_t *valregs);
static uint32_t gen_call(pgen *g, term *t, uint32_t *fail, bool literal);

static term *mkterm(pgen *g, term_kind k, srcpos pos)
{
    term *t = arena_alloc(&g->cc->ast, sizeof *t);
    if (!t) {
        gerr(g, POL_NOMEM, pos, "%s", "out of memory");
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->kind = k;
    t->pos = pos;
    return t;
}

/* prefix items (a ref or a single var) followed by rest[0..nrest) */
static term *ref_concat(pgen *g, term *prefix, term *const *rest, uint32_t nrest, srcpos pos)
{
    uint32_t np = prefix->kind == T_REF ? prefix->u.ref.n : 1;
    term *t = mkterm(g, T_REF, pos);
    if (!t)
        return NULL;
    t->u.ref.items = ast_alloc(g, sizeof(term *) * (np + nrest));
    if (!t->u.ref.items)
        return NULL;
    for (uint32_t i = 0; i < np; i++)
        t->u.ref.items[i] = prefix->kind == T_REF ? prefix->u.ref.items[i] : prefix;
    for (uint32_t i = 0; i < nrest; i++)
        t->u.ref.items[np + i] = rest[i];
    t->u.ref.n = np + nrest;
    return t;
}

/* rule name `p` in the current package → ref data.<pkg>.p */
static term *package_ref(pgen *g, term *var, term *const *rest, uint32_t nrest)
{
    uint32_t depth = 0;
    for (rnode *n = g->pkg; n && n->parent; n = n->parent)
        depth++;
    term *t = mkterm(g, T_REF, var->pos);
    if (!t)
        return NULL;
    uint32_t total = 1 + depth + 1 + nrest;
    t->u.ref.items = ast_alloc(g, sizeof(term *) * total);
    if (!t->u.ref.items)
        return NULL;
    term *d = mkterm(g, T_VAR, var->pos);
    if (!d)
        return NULL;
    d->u.str.s = "data";
    d->u.str.len = 4;
    t->u.ref.items[0] = d;
    uint32_t i = depth;
    for (rnode *n = g->pkg; n && n->parent; n = n->parent) {
        term *s = mkterm(g, T_STR, var->pos);
        if (!s)
            return NULL;
        s->u.str.s = n->key;
        s->u.str.len = n->keylen;
        t->u.ref.items[i--] = s;
    }
    term *s = mkterm(g, T_STR, var->pos);
    if (!s)
        return NULL;
    s->u.str.s = var->u.str.s;
    s->u.str.len = var->u.str.len;
    t->u.ref.items[1 + depth] = s;
    for (uint32_t j = 0; j < nrest; j++)
        t->u.ref.items[2 + depth + j] = rest[j];
    t->u.ref.n = total;
    return t;
}

/* Applies the rest of a ref to the value in r: constants index directly,
 * bound terms index by value, anything with unbound variables scans. */
static uint32_t gen_ref_tail(pgen *g, uint32_t r, term *const *comps, uint32_t n, uint32_t *fail)
{
    for (uint32_t i = 0; i < n && !failed(g); i++) {
        term *c = comps[i];
        if (is_scalar(c)) {
            uint32_t nr = reg_new(g);
            emit(g, OP_DOTK, nr, r, konst_term(g, c), *fail);
            r = nr;
        } else if (term_ready(g, c)) {
            uint32_t kr = gen_term(g, c, fail);
            uint32_t nr = reg_new(g);
            emit(g, OP_DOT, nr, r, kr, *fail);
            r = nr;
        } else {
            uint32_t s = slot_new(g);
            emit(g, OP_ITER, s, r, 0, *fail);
            uint32_t kv = regs_new(g, 2);
            uint32_t l = label_new(g);
            label_here(g, l);
            emit(g, OP_NEXT, s, r, kv, *fail);
            *fail = l;
            gen_match(g, c, kv, fail);
            r = kv + 1;
        }
    }
    return r;
}

static const val *data_path_value(pol_compiler *cc, const val *path)
{
    const val *v = cc->data;
    for (uint32_t i = 0; v && i < path->len; i++)
        v = val_index_data(v, path->u.a[i]);
    return v;
}

/* The path of rule-tree node n as an array of strings (program arena). */
static const val *node_path(pgen *g, const rnode *n, term *const *extra, uint32_t nextra)
{
    uint32_t depth = 0;
    for (const rnode *p = n; p && p->parent; p = p->parent)
        depth++;
    vbuild b;
    vb_init(&b, g->cc->pmem);
    const val **tmp = ast_alloc(g, sizeof *tmp * (depth + 1));
    if (!tmp)
        return NULL;
    uint32_t i = depth;
    for (const rnode *p = n; p && p->parent; p = p->parent)
        tmp[--i] = v_str(g->cc->pmem, p->key, p->keylen);
    for (i = 0; i < depth; i++)
        if (!tmp[i] || !vb_push(&b, tmp[i]))
            return NULL;
    for (i = 0; i < nextra; i++) {
        const val *k = cc_const_term(g->cc, extra[i]);
        if (!k || !vb_push(&b, k))
            return NULL;
    }
    return vb_finish_array(&b);
}

static uint32_t group_proc(pgen *g, group *grp, srcpos pos);
static void use_module(pgen *g, module *m);
static uint32_t plan_namespace_matching(pol_compiler *cc, rnode *n, term *const *pat, uint32_t npat);

/* A rule that only names base data (`cfg := data.config`: one definition,
 * no body, no default, no else) stands for that data: a reference through
 * it, `cfg.limits.max`, is the data reference `data.config.limits.max`,
 * read from the bundle's precomputed value instead of calling the rule and
 * indexing its result. Only when no `with` can replace the rule or data
 * (input and builtin mocks cannot reach it), and when no rule lives at or
 * under the named path (the value is base data alone, so the rewrite cannot
 * loop). Returns the rewritten reference, or NULL to keep the rule. */
static term *data_alias_ref(pgen *g, const group *grp, term *const *rest, uint32_t nrest, srcpos pos)
{
    if (g->cc->with_beyond_input || grp->kind != G_COMPLETE || grp->ndefs != 1 || grp->deflt.r)
        return NULL;
    const rule *r = grp->defs[0].r;
    const term *v = r->value;
    if (r->body || r->els || r->kind != R_COMPLETE || !v || v->kind != T_REF || v->u.ref.n < 2)
        return NULL;
    const term *h = v->u.ref.items[0];
    if (h->kind != T_VAR || h->u.str.len != 4 || memcmp(h->u.str.s, "data", 4) != 0)
        return NULL;
    const rnode *node = g->cc->root;
    for (uint32_t i = 1; i < v->u.ref.n; i++) {
        const term *k = v->u.ref.items[i];
        if (k->kind != T_STR)
            return NULL;
        if (node && (node = rnode_child(node, k->u.str.s, k->u.str.len)) != NULL)
            return NULL; /* rules at or under this path: a virtual document */
    }
    return ref_concat(g, (term *)v, rest, nrest, pos);
}

static uint32_t gen_data_ref(pgen *g, term *t, uint32_t *fail)
{
    term **it = t->u.ref.items;
    uint32_t n = t->u.ref.n;
    rnode *node = g->cc->root;
    uint32_t i = 1;
    while (i < n && it[i]->kind == T_STR && !node->grp) {
        rnode *c = rnode_child(node, it[i]->u.str.s, it[i]->u.str.len);
        if (!c)
            break;
        node = c;
        i++;
    }
    uint32_t r = reg_new(g);
    if (node->grp) {
        if (node->grp->kind == G_FUNC) {
            gerr(g, POL_TYPE, t->pos, "function %s used as a value", node->grp->path);
            return r;
        }
        term *alias = data_alias_ref(g, node->grp, it + i, n - i, t->pos);
        if (alias)
            return gen_data_ref(g, alias, fail);
        uint32_t p = group_proc(g, node->grp, t->pos);
        emit(g, OP_RULE, r, p, 0, *fail);
        return gen_ref_tail(g, r, it + i, n - i, fail);
    }
    if (i < n && is_scalar(it[i])) {
        uint32_t j = i;
        while (j < n && is_scalar(it[j]))
            j++;
        const val *path = node_path(g, node, it + i, j - i);
        if (!path) {
            gerr(g, POL_NOMEM, t->pos, "%s", "out of memory");
            return r;
        }
        const val *sub = data_path_value(g->cc, path);
        emit(g, OP_DATA, r, konst(g, path), sub ? konst(g, sub) : K_NONE, *fail);
        return gen_ref_tail(g, r, it + j, n - j, fail);
    }
    uint32_t p = plan_namespace_matching(g->cc, node, it + i, n - i);
    emit(g, OP_RULE, r, p, 0, *fail);
    return gen_ref_tail(g, r, it + i, n - i, fail);
}

static uint32_t gen_ref(pgen *g, term *t, uint32_t *fail)
{
    term **it = t->u.ref.items;
    uint32_t n = t->u.ref.n;
    term *h = it[0];
    if (h->kind == T_VAR) {
        lvar *lv = NULL;
        import_decl *im = NULL;
        switch (resolve(g, h, &lv, &im)) {
        case NK_INPUT: {
            uint32_t r = reg_new(g);
            emit(g, OP_INPUT, r, 0, 0, *fail);
            return gen_ref_tail(g, r, it + 1, n - 1, fail);
        }
        case NK_DATA: return gen_data_ref(g, t, fail);
        case NK_IMPORT: {
            term *full = ref_concat(g, im->path, it + 1, n - 1, t->pos);
            return full ? gen_ref(g, full, fail) : 0;
        }
        case NK_RULE: {
            term *full = package_ref(g, h, it + 1, n - 1);
            return full ? gen_data_ref(g, full, fail) : 0;
        }
        case NK_LOCAL:
            if (lv->bound)
                return gen_ref_tail(g, lv->reg, it + 1, n - 1, fail);
            /* fall through */
        case NK_FREE: gerr(g, POL_UNSAFE_VAR, h->pos, "var %s is unsafe", h->u.str.s); return 0;
        }
    }
    uint32_t r = gen_term(g, h, fail);
    return gen_ref_tail(g, r, it + 1, n - 1, fail);
}

/* An object literal whose keys are distinct scalar literals has its pairs
 * placed in key order (slot_of[i]: the sorted position of pair i), so the
 * run-time build finds them sorted and only confirms it. The values are
 * still computed in source order. False: some key is not a literal, two
 * are equal (the run time's last-wins rule applies), or there are more
 * than LITERAL_KEYS_MAX pairs. */
enum { LITERAL_KEYS_MAX = 32 };

static bool sort_literal_keys(pgen *g, const term *t, uint32_t slot_of[LITERAL_KEYS_MAX],
                              const val *sorted[LITERAL_KEYS_MAX])
{
    uint32_t n = t->u.obj.n;
    const val *keys[LITERAL_KEYS_MAX];
    if (n < 2 || n > LITERAL_KEYS_MAX)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (!is_scalar(t->u.obj.keys[i]) || !(keys[i] = cc_const_term(g->cc, t->u.obj.keys[i])))
            return false;
    /* a key's place is the number of keys below it (n is small) */
    for (uint32_t i = 0; i < n; i++) {
        uint32_t below = 0;
        for (uint32_t j = 0; j < n; j++) {
            int c = j == i ? 1 : val_compare(keys[j], keys[i]);
            if (c == 0)
                return false;
            below += c < 0;
        }
        slot_of[i] = below;
        sorted[below] = keys[i];
    }
    return true;
}

/* The constant array of an object literal's sorted keys, for MKOBJK. */
static uint32_t sorted_keys_const(pgen *g, const val *const *sorted, uint32_t n)
{
    vbuild b;
    vb_init_cap(&b, g->cc->pmem, n, false);
    for (uint32_t i = 0; i < n; i++)
        vb_push(&b, sorted[i]);
    return konst(g, b.oom ? NULL : vb_finish_array(&b));
}

static uint32_t gen_collection(pgen *g, term *t, uint32_t *fail)
{
    uint32_t n = t->kind == T_OBJECT ? t->u.obj.n * 2 : t->u.coll.n;
    uint32_t tmp[64];
    uint32_t *regs = n <= 64 ? tmp : arena_alloc(&g->cc->ast, sizeof *regs * n);
    if (!regs)
        return gerr(g, POL_NOMEM, t->pos, "%s", "out of memory"), 0;
    uint32_t slot_of[LITERAL_KEYS_MAX];
    const val *sorted[LITERAL_KEYS_MAX];
    if (t->kind == T_OBJECT && sort_literal_keys(g, t, slot_of, sorted)) {
        /* constant keys: only the values are computed (in source order)
         * and placed in key order; the keys are one constant */
        uint32_t pairs = t->u.obj.n;
        for (uint32_t i = 0; i < pairs && !failed(g); i++)
            regs[i] = gen_term(g, t->u.obj.vals[i], fail);
        uint32_t block = regs_new(g, pairs);
        for (uint32_t i = 0; i < pairs; i++)
            emit(g, OP_MOVE, block + slot_of[i], regs[i], 0, 0);
        uint32_t keys = sorted_keys_const(g, sorted, pairs);
        uint32_t r = reg_new(g);
        emit(g, OP_MKOBJK, r, block, pairs, keys);
        return r;
    }
    for (uint32_t i = 0; i < n && !failed(g); i++) {
        term *x =
            t->kind == T_OBJECT ? (i % 2 ? t->u.obj.vals[i / 2] : t->u.obj.keys[i / 2]) : t->u.coll.items[i];
        regs[i] = gen_term(g, x, fail);
    }
    uint32_t block = regs_new(g, n);
    for (uint32_t i = 0; i < n; i++)
        emit(g, OP_MOVE, block + i, regs[i], 0, 0);
    uint32_t r = reg_new(g);
    opcode op = t->kind == T_ARRAY ? OP_MKARR : t->kind == T_SET ? OP_MKSET : OP_MKOBJ;
    emit(g, op, r, block, t->kind == T_OBJECT ? n / 2 : n, 0);
    return r;
}

static uint32_t gen_comprehension(pgen *g, term *t)
{
    uint32_t res = reg_new(g);
    opcode op = t->kind == T_ARRCOMP ? OP_ARRNEW : t->kind == T_SETCOMP ? OP_SETNEW : OP_OBJNEW;
    emit(g, op, res, 0, 0, 0);
    scope_mark m = scope_save(g, false);
    uint32_t done = label_new(g);
    uint32_t f = gen_body(g, t->u.comp.body, done, NULL);
    if (t->kind == T_OBJCOMP) {
        uint32_t k = gen_term(g, t->u.comp.key, &f);
        uint32_t v = gen_term(g, t->u.comp.head, &f);
        emit(g, OP_PUT, res, k, v, 0);
    } else {
        uint32_t v = gen_term(g, t->u.comp.head, &f);
        emit(g, OP_PUSH, res, v, 0, 0);
    }
    emit(g, OP_JMP, 0, 0, 0, f);
    label_here(g, done);
    emit(g, OP_FINISH, res, 0, 0, 0);
    scope_restore(g, m);
    return res;
}

/* ---- comprehension hoisting ----------------------------------------------
 *
 * A comprehension inside a loop that mentions no variable the loop binds
 * has the same value on every iteration. It is computed once and kept in
 * a register of its own, H, which is cleared where its inputs last change
 * (after the last write of any variable it mentions, or where the rule
 * body starts):
 *
 *        CLEAR  H               inserted at that point, before the loop
 *        ...                    loop heads
 *        JDEF   H ->skip        inserted before the comprehension's code
 *        <comprehension>        into res
 *        MOVE   H res
 *   skip:                       the comprehension's value is H
 *
 * The value is computed lazily, where the original program computed it and
 * only if it got there: a loop that runs zero times never evaluates it, so
 * an error inside it surfaces exactly when it did before, and no rule
 * about which builtins may fail is needed. Later iterations reuse a value
 * that re-evaluation would have reproduced, provided that
 *  - nothing it depends on changes between the CLEAR and its use: locals
 *    (each variable it mentions, found by scanning back for the last write
 *    of the variable's register), input, data and rules (fixed, except
 *    under `with`: no with-modifier may be pushed or popped in between);
 *  - evaluating it twice gives the same value: its code (and any function
 *    it calls, transitively) calls no BIF_NONDET builtin and no builtin
 *    some `with` replaces;
 *  - H is not written by anything else while it holds the value: it is a
 *    register no code before it used, and hoist_pin keeps scopes that close
 *    later from handing it out again within the rule body.
 * Registers start undefined in every frame, so a CLEAR placed where the
 * body starts also covers the first iteration.
 */

/* Called where a rule's (or query's) outermost body starts: hoisted values
 * never live across bodies, which run one after the other. */
static void hoist_body_start(pgen *g)
{
    g->hoist_floor = g->ncode;
    g->hoist_pin = 0;
}

/* ---- registers an instruction reads and writes ----------------------------
 * One table of every opcode's register operands, for comprehension hoisting
 * and the MOVE peephole below. */

/* The registers instruction `in` reads (up to three ranges [lo, lo+n))
 * and writes (up to two). A read-modify-write register is in both. */
typedef struct reg_use {
    uint32_t rd_lo[3], rd_n[3];
    uint32_t wr_lo[2], wr_n[2];
} reg_use;

static uint32_t callf_arity(const pol_compiler *cc, uint32_t pi)
{
    /* A function not generated yet has no parameter count: assume the
     * most a call may pass, which only blocks optimisation. */
    if (pi < cc->procs.n && cc->procs.v[pi].ncode > 0)
        return cc->procs.v[pi].nparams;
    return 16;
}

static reg_use insn_regs(const pol_compiler *cc, const insn *in)
{
    _Static_assert(OP_COUNT == 51, "a new opcode: say here which registers it reads and writes");
    reg_use u;
    memset(&u, 0, sizeof u);
#define RD(i, lo, n) (u.rd_lo[i] = (lo), u.rd_n[i] = (n))
#define WR(i, lo, n) (u.wr_lo[i] = (lo), u.wr_n[i] = (n))
    switch ((opcode)in->op) {
    case OP_NOP:
    case OP_JMP:
    case OP_WITHFN:
    case OP_WITHPOP:
    case OP_HALT: break;
    case OP_LOADK:
    case OP_CLEAR:
    case OP_INPUT:
    case OP_DATA:
    case OP_RULE:
    case OP_ARRNEW:
    case OP_SETNEW:
    case OP_OBJNEW:
    case OP_INDEX:
    case OP_RULEK:
    case OP_RULEM:
    case OP_INPUTK: WR(0, in->a, 1); break;
    case OP_MOVE:
    case OP_DOTK:
        WR(0, in->a, 1);
        RD(0, in->b, 1);
        break;
    case OP_DOT:
        WR(0, in->a, 1);
        RD(0, in->b, 1);
        RD(1, in->c, 1);
        break;
    case OP_JDEF:
    case OP_JUNDEF:
    case OP_TRUTHY:
    case OP_ISARR:
    case OP_ISOBJ:
    case OP_RET:
    case OP_RULEPUT: RD(0, in->a, 1); break;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        RD(0, in->b, 1);
        RD(1, in->c, 1);
        break;
    case OP_EQK: RD(0, in->b, 1); break;
    case OP_CALL:
    case OP_CALLT:
        WR(0, in->a, 1);
        RD(0, in->c, in->b < BI_COUNT ? bi_table[in->b].arity : 16);
        break;
    case OP_CALLF:
        WR(0, in->a, 1);
        RD(0, in->c, callf_arity(cc, in->b));
        break;
    case OP_ITER:
    case OP_DISPATCH: RD(0, in->b, 1); break;
    case OP_NEXT:
        RD(0, in->b, 1);
        /* value-only scans write the value alone */
        if (in->x == 1)
            WR(0, in->c + 1, 1);
        else
            WR(0, in->c, 2);
        break;
    case OP_PUSH:
    case OP_PUTALL:
    case OP_SETRES:
        RD(0, in->a, 1);
        WR(0, in->a, 1);
        RD(1, in->b, 1);
        break;
    case OP_PUT:
    case OP_PUTPATH:
        RD(0, in->a, 1);
        WR(0, in->a, 1);
        RD(1, in->b, 1);
        RD(2, in->c, 1);
        break;
    case OP_FINISH:
        RD(0, in->a, 1);
        WR(0, in->a, 1);
        break;
    case OP_MKARR:
    case OP_MKSET:
        WR(0, in->a, 1);
        RD(0, in->b, in->c);
        break;
    case OP_MKOBJ:
        WR(0, in->a, 1);
        RD(0, in->b, 2 * in->c);
        break;
    case OP_MKOBJK:
        WR(0, in->a, 1);
        RD(0, in->b, in->c);
        break;
    case OP_WITH: RD(0, in->c, 1); break;
    case OP_COUNT: break;
    }
#undef RD
#undef WR
    return u;
}

static bool reads_reg(const reg_use *u, uint32_t r)
{
    for (int k = 0; k < 3; k++)
        if (r >= u->rd_lo[k] && r - u->rd_lo[k] < u->rd_n[k])
            return true;
    return false;
}

static bool writes_reg(const reg_use *u, uint32_t r)
{
    for (int k = 0; k < 2; k++)
        if (r >= u->wr_lo[k] && r - u->wr_lo[k] < u->wr_n[k])
            return true;
    return false;
}

/* Whether instruction `in` writes register r. Reads do not count: the
 * point after a read may lie inside a nested loop that ran zero times. */
static bool insn_writes(const pol_compiler *cc, const insn *in, uint32_t r)
{
    reg_use u = insn_regs(cc, in);
    return writes_reg(&u, r);
}

/* Where comprehension t's inputs are last set before code position
 * `start`: just after the last write of a register holding a variable it
 * mentions, or the body's start. */
static uint32_t hoist_point(pgen *g, const term *t, uint32_t start)
{
    uint32_t at = g->hoist_floor;
    for (uint32_t i = 0; i < g->nvars; i++) {
        const lvar *lv = &g->vars[i];
        if (!lv->bound || lv->reg == NO_REG || !var_occurs(t, lv->name, lv->len))
            continue;
        for (uint32_t p = start; p-- > at;)
            if (insn_writes(g->cc, &g->code[p], lv->reg)) {
                at = p + 1;
                break;
            }
    }
    return at;
}

/* A with-modifier's push or pop: rules read across one may change value. */
static bool is_with_op(uint8_t op)
{
    return op == OP_WITH || op == OP_WITHFN || op == OP_WITHPOP;
}

/* Is code [from, to) worth hoisting across (it holds a loop head) and
 * free of with-modifiers? */
static bool hoist_span_ok(const pgen *g, uint32_t from, uint32_t to)
{
    bool loop = false;
    for (uint32_t p = from; p < to; p++) {
        opcode op = (opcode)g->code[p].op;
        if (is_with_op(op))
            return false;
        loop |= op == OP_NEXT;
    }
    return loop;
}

static bool builtin_repeatable(const pol_compiler *cc, uint32_t bid)
{
    return bid < BI_COUNT && !(bi_table[bid].flags & BIF_NONDET) && !cc->bi_mocked[bid];
}

/* Does code[from, to) (and every function it calls) give the same result
 * when run twice in one evaluation? seen: one flag per procedure. */
static bool code_repeatable(const pol_compiler *cc, const insn *code, uint32_t from, uint32_t to,
                            uint8_t *seen);

static bool proc_repeatable(const pol_compiler *cc, uint32_t pi, uint8_t *seen)
{
    if (pi >= cc->procs.n)
        return false;
    if (seen[pi])
        return true;
    seen[pi] = 1;
    const proc *p = &cc->procs.v[pi];
    if (p->ncode == 0)
        return false; /* not generated yet: unknown */
    return code_repeatable(cc, cc->code.v, p->code, p->code + p->ncode, seen);
}

static bool code_repeatable(const pol_compiler *cc, const insn *code, uint32_t from, uint32_t to,
                            uint8_t *seen)
{
    for (uint32_t i = from; i < to; i++) {
        const insn *in = &code[i];
        switch ((opcode)in->op) {
        case OP_CALL:
            if (!builtin_repeatable(cc, in->b))
                return false;
            break;
        case OP_CALLF:
            if (!proc_repeatable(cc, in->b, seen))
                return false;
            break;
        case OP_WITHFN:
            if (in->a == WITHFN_BUILTIN_BY_BUILTIN || in->a == WITHFN_PROC_BY_BUILTIN
                    ? !builtin_repeatable(cc, in->d)
                    : !proc_repeatable(cc, in->d, seen))
                return false;
            break;
        default: break;
        }
    }
    return true;
}

/* Inserts one instruction at code position `at`. Labels after `at` move
 * with their instructions; a label placed exactly at `at` now names the
 * inserted one, so every jump that reached position `at` runs it. */
static void insert_insn(pgen *g, uint32_t at, opcode op, uint32_t a, uint32_t d)
{
    uint32_t n = g->ncode;
    if (at > n)
        return;
    emit(g, OP_NOP, 0, 0, 0, 0); /* room, and a location to overwrite */
    if (failed(g))
        return;
    memmove(&g->code[at + 1], &g->code[at], sizeof *g->code * (n - at));
    memmove(&g->locs[at + 1], &g->locs[at], sizeof *g->locs * (n - at));
    insn *in = &g->code[at];
    memset(in, 0, sizeof *in);
    in->op = (uint8_t)op;
    in->a = (uint16_t)a;
    in->d = d;
    for (uint32_t l = 0; l < g->nlabels; l++)
        if (g->labels[l] != UINT32_MAX && g->labels[l] > at)
            g->labels[l]++;
    for (uint32_t k = 0; k < g->ndispatch; k++)
        if (g->dispatches[k].insn >= at)
            g->dispatches[k].insn++;
    if (g->hoist_floor > at)
        g->hoist_floor++;
}

/* Keeps the value res computed by code [start, ncode) in a register of its
 * own, H: CLEAR H at `at`, JDEF H over that code at `start`, MOVE H res
 * after it (see above). Returns H. */
static uint32_t hoist_keep(pgen *g, uint32_t at, uint32_t start, uint32_t res)
{
    g->nreg = g->maxreg; /* a register no code so far has used */
    uint32_t h = reg_new(g);
    g->hoist_pin = g->nreg;
    uint32_t skip = label_new(g);
    insert_insn(g, start, OP_JDEF, h, skip);
    insert_insn(g, at, OP_CLEAR, h, 0);
    emit(g, OP_MOVE, h, res, 0, 0);
    label_here(g, skip);
    return h;
}

static uint32_t gen_comprehension_hoisted(pgen *g, term *t)
{
    /* start and at are held as labels: a comprehension nested in this one
     * may insert its own CLEAR before them, which moves them */
    uint32_t start_label = label_new(g), at_label = label_new(g);
    if (failed(g))
        return 0;
    label_here(g, start_label);
    g->labels[at_label] = g->hoist_floor <= g->ncode ? hoist_point(g, t, g->ncode) : g->ncode;
    g->comp_depth++;
    uint32_t res = gen_comprehension(g, t);
    g->comp_depth--;
    if (failed(g))
        return res;
    uint32_t start = g->labels[start_label], at = g->labels[at_label];
    if (at >= start || g->maxreg >= MAX_REGS - 1 || !hoist_span_ok(g, at, start))
        return res;
    uint8_t *seen = ast_alloc(g, g->cc->procs.n + 1);
    if (!seen)
        return res;
    memset(seen, 0, g->cc->procs.n + 1);
    if (!code_repeatable(g->cc, g->code, start, g->ncode, seen))
        return res;
    return hoist_keep(g, at, start, res);
}

/* A read of a rule (data.pkg.r, or a field of it through constant keys:
 * `subject.ip`) inside a loop, through ref term t, hoisted as
 * comprehensions are (above): the same conditions make it safe, and the
 * rule's value is memoised, so a second read can only give the first
 * one's value. An undefined read fails as before and leaves H undefined,
 * so the next iteration tries again. Only where it pays: a rule read
 * (JDEF and the caller's MOVE of H, two cheap instructions, stand in for
 * a memo lookup and field read; input and constant reads cost less than
 * that pair) that every iteration reaches (nothing between the loop's
 * NEXT and the read can fail first: a read that runs once would only pay
 * for the CLEAR, JDEF and MOVEs). Not inside a comprehension's code (its
 * own hoisting covers the common case). */
static uint32_t gen_ref_hoisted(pgen *g, term *t, uint32_t *fail)
{
    /* a name that may stand for a rule (input and locals never do, and
     * they are most refs: no scan of the body for them), and constant
     * keys only (a variable in the ref iterates, or is a loop's) */
    const term *head = t->u.ref.items[0];
    lvar *lv = NULL;
    import_decl *im = NULL;
    name_kind nk = head->kind == T_VAR ? resolve(g, head, &lv, &im) : NK_LOCAL;
    bool candidate = nk == NK_DATA || nk == NK_RULE || nk == NK_IMPORT;
    for (uint32_t i = 1; i < t->u.ref.n && candidate; i++)
        candidate = is_scalar(t->u.ref.items[i]);
    if (!candidate || g->comp_depth || g->hoist_floor > g->ncode ||
        !hoist_span_ok(g, g->hoist_floor, g->ncode))
        return gen_ref(g, t, fail);
    uint32_t start_label = label_new(g), at_label = label_new(g);
    if (failed(g))
        return 0;
    label_here(g, start_label);
    g->labels[at_label] = hoist_point(g, t, g->ncode);
    uint32_t res = gen_ref(g, t, fail);
    if (failed(g))
        return res;
    uint32_t start = g->labels[start_label], at = g->labels[at_label];
    /* the two positions are labels only while the read is generated (as
     * in gen_comprehension_hoisted, an insertion then moves them); placed
     * no longer, they hold back none of the peepholes that stop at labels */
    g->labels[start_label] = g->labels[at_label] = UINT32_MAX;
    /* plain reads, one of them a rule's */
    bool rule_read = false, reads_only = true;
    for (uint32_t p = start; p < g->ncode; p++) {
        opcode op = (opcode)g->code[p].op;
        rule_read |= op == OP_RULE || op == OP_RULEK;
        reads_only = reads_only && (op == OP_RULE || op == OP_RULEK || op == OP_DOTK || op == OP_DATA ||
                                    op == OP_INPUT || op == OP_LOADK);
    }
    /* reached by every iteration: nothing that can fail after the loop's NEXT */
    uint32_t last_next = start;
    while (last_next > at && g->code[last_next - 1].op != OP_NEXT)
        last_next--;
    bool every_iteration = true;
    for (uint32_t p = last_next; p < start && every_iteration; p++)
        every_iteration = opcode_formats[g->code[p].op][3] != 'J';
    if (!rule_read || !reads_only || !every_iteration || at >= start || g->maxreg >= MAX_REGS - 1 ||
        !hoist_span_ok(g, at, start))
        return res;
    return hoist_keep(g, at, start, res);
}

static uint32_t gen_template(pgen *g, term *t, uint32_t *fail)
{
    int bid = bi_lookup("internal.template_string", strlen("internal.template_string"));
    if (bid < 0)
        return gerr(g, POL_TYPE, t->pos, "%s", "template strings are not supported"), 0;
    uint32_t n = t->u.tmpl.n;
    uint32_t *regs = ast_alloc(g, sizeof *regs * (n + 1));
    if (!regs)
        return 0;
    for (uint32_t i = 0; i < n && !failed(g); i++) {
        term *p = t->u.tmpl.parts[i];
        if (p->kind == T_STR) {
            regs[i] = load_konst(g, konst_term(g, p));
            continue;
        }
        if (p->kind == T_SETCOMP && p->u.comp.head->kind == T_VAR && p->u.comp.head->u.str.len &&
            p->u.comp.head->u.str.s[0] == '$') {
            /* the parser lowered a part carrying `with` to the set of its values */
            regs[i] = gen_term(g, p, fail);
            continue;
        }
        /* each expression contributes the set of its values, so undefined
         * and multi-valued expressions can be told apart by the builtin */
        uint32_t s = reg_new(g);
        emit(g, OP_SETNEW, s, 0, 0, 0);
        scope_mark m = scope_save(g, false);
        uint32_t done = label_new(g);
        uint32_t f = done;
        uint32_t v = gen_term(g, p, &f);
        emit(g, OP_PUSH, s, v, 0, 0);
        emit(g, OP_JMP, 0, 0, 0, f);
        label_here(g, done);
        emit(g, OP_FINISH, s, 0, 0, 0);
        scope_restore(g, m);
        regs[i] = s;
    }
    uint32_t block = regs_new(g, n);
    for (uint32_t i = 0; i < n; i++)
        emit(g, OP_MOVE, block + i, regs[i], 0, 0);
    uint32_t arr = reg_new(g);
    emit(g, OP_MKARR, arr, block, n, 0);
    uint32_t r = reg_new(g);
    emit(g, OP_CALL, r, (uint32_t)bid, arr, *fail);
    return r;
}

static uint32_t gen_term(pgen *g, term *t, uint32_t *fail)
{
    if (failed(g))
        return 0;
    srcpos saved = g->pos;
    uint32_t r = 0;
    switch (t->kind) {
    case T_NULL:
    case T_BOOL:
    case T_NUM:
    case T_STR: r = load_konst(g, konst_term(g, t)); break;
    case T_VAR: {
        lvar *lv = NULL;
        import_decl *im = NULL;
        switch (resolve(g, t, &lv, &im)) {
        case NK_LOCAL:
            if (lv->bound) {
                r = lv->reg;
                break;
            }
            /* fall through */
        case NK_FREE: gerr(g, POL_UNSAFE_VAR, t->pos, "var %s is unsafe", t->u.str.s); break;
        case NK_INPUT:
            r = reg_new(g);
            emit(g, OP_INPUT, r, 0, 0, *fail);
            break;
        case NK_DATA: {
            term *ref = ref_concat(g, t, NULL, 0, t->pos);
            r = ref ? gen_data_ref(g, ref, fail) : 0;
            break;
        }
        case NK_IMPORT: {
            term *ref = ref_concat(g, im->path, NULL, 0, t->pos);
            r = ref ? gen_ref(g, ref, fail) : 0;
            break;
        }
        case NK_RULE: {
            term *ref = package_ref(g, t, NULL, 0);
            r = ref ? gen_ref_hoisted(g, ref, fail) : 0;
            break;
        }
        }
        break;
    }
    case T_REF: r = gen_ref_hoisted(g, t, fail); break;
    case T_ARRAY:
    case T_SET:
    case T_OBJECT: {
        const val *k = fold_term(g, t);
        r = k ? load_const(g, k) : gen_collection(g, t, fail);
        break;
    }
    case T_CALL: r = gen_call(g, t, fail, false); break;
    case T_ARRCOMP:
    case T_SETCOMP:
    case T_OBJCOMP: r = gen_comprehension_hoisted(g, t); break;
    case T_TEMPLATE: r = gen_template(g, t, fail); break;
    }
    g->pos = saved;
    return r;
}

/* ---- unification ------------------------------------------------------- */

static bool bind_var(pgen *g, term *v, uint32_t r)
{
    lvar *lv = NULL;
    import_decl *im = NULL;
    name_kind k = resolve(g, v, &lv, &im);
    if (k == NK_FREE) {
        lv = var_declare(g, v->u.str.s, v->u.str.len);
        if (!lv)
            return false;
    }
    if (lv->reg == NO_REG) {
        lv->reg = r; /* registers are never reused within a body: aliasing is safe */
    } else {
        emit(g, OP_MOVE, lv->reg, r, 0, 0);
    }
    lv->bound = true;
    return true;
}

static bool gen_match(pgen *g, term *p, uint32_t r, uint32_t *fail)
{
    if (failed(g))
        return false;
    switch (p->kind) {
    case T_VAR: {
        lvar *lv = NULL;
        import_decl *im = NULL;
        name_kind k = resolve(g, p, &lv, &im);
        if (k == NK_FREE || (k == NK_LOCAL && !lv->bound))
            return bind_var(g, p, r);
        uint32_t x = gen_term(g, p, fail);
        emit(g, OP_EQ, 0, r, x, *fail);
        return true;
    }
    case T_NULL:
    case T_BOOL:
    case T_NUM:
    case T_STR: emit(g, OP_EQK, 0, r, konst_term(g, p), *fail); return true;
    case T_ARRAY:
        if (!term_ready(g, p)) {
            emit(g, OP_ISARR, r, p->u.coll.n, 0, *fail);
            for (uint32_t i = 0; i < p->u.coll.n && !failed(g); i++) {
                uint32_t e = reg_new(g);
                emit(g, OP_DOTK, e, r, konst_int(g, i), *fail);
                gen_match(g, p->u.coll.items[i], e, fail);
            }
            return true;
        }
        break;
    case T_OBJECT:
        if (!term_ready(g, p)) {
            emit(g, OP_ISOBJ, r, p->u.obj.n, 0, *fail);
            for (uint32_t i = 0; i < p->u.obj.n && !failed(g); i++) {
                uint32_t k = gen_term(g, p->u.obj.keys[i], fail);
                uint32_t e = reg_new(g);
                emit(g, OP_DOT, e, r, k, *fail);
                gen_match(g, p->u.obj.vals[i], e, fail);
            }
            return true;
        }
        break;
    default: break;
    }
    if (!term_ready(g, p)) {
        /* a ref or call on the pattern side with unbound parts */
        uint32_t x = gen_term(g, p, fail);
        emit(g, OP_EQ, 0, r, x, *fail);
        return true;
    }
    const val *k = cc_const_term(g->cc, p);
    if (k) {
        emit(g, OP_EQK, 0, r, konst(g, k), *fail);
        return true;
    }
    uint32_t x = gen_term(g, p, fail);
    emit(g, OP_EQ, 0, r, x, *fail);
    return true;
}

static const term *first_unsafe(pgen *g, const term *t);

static bool gen_unify(pgen *g, term *a, term *b, uint32_t *fail)
{
    if (failed(g))
        return false;
    if (term_ready(g, a) && pattern_ok(g, b)) {
        uint32_t r = gen_term(g, a, fail);
        return gen_match(g, b, r, fail);
    }
    if (term_ready(g, b) && pattern_ok(g, a)) {
        uint32_t r = gen_term(g, b, fail);
        return gen_match(g, a, r, fail);
    }
    if (a->kind == T_ARRAY && b->kind == T_ARRAY) {
        if (a->u.coll.n != b->u.coll.n) {
            emit(g, OP_JMP, 0, 0, 0, *fail);
            return true;
        }
        uint32_t n = a->u.coll.n;
        bool *done = ast_alloc(g, n + 1);
        if (!done)
            return false;
        memset(done, 0, n + 1);
        for (uint32_t left = n; left > 0;) {
            bool progress = false;
            for (uint32_t i = 0; i < n; i++) {
                if (done[i] || !unify_ready(g, a->u.coll.items[i], b->u.coll.items[i]))
                    continue;
                gen_unify(g, a->u.coll.items[i], b->u.coll.items[i], fail);
                done[i] = true;
                left--;
                progress = true;
            }
            if (!progress)
                break;
        }
        for (uint32_t i = 0; i < n; i++)
            if (!done[i]) {
                const term *u = first_unsafe(g, a->u.coll.items[i]);
                if (!u)
                    u = first_unsafe(g, b->u.coll.items[i]);
                return gerr(g, POL_UNSAFE_VAR, u ? u->pos : a->pos, "var %s is unsafe", u ? u->u.str.s : "?");
            }
        return true;
    }
    if (a->kind == T_OBJECT && b->kind == T_OBJECT && a->u.obj.n == b->u.obj.n) {
        uint32_t n = a->u.obj.n;
        for (uint32_t i = 0; i < n; i++)
            if (!object_value_for(g, b, a->u.obj.keys[i])) {
                emit(g, OP_JMP, 0, 0, 0, *fail); /* different key sets never unify */
                return true;
            }
        bool *done = ast_alloc(g, n + 1);
        if (!done)
            return false;
        memset(done, 0, n + 1);
        for (bool progress = true; progress;) {
            progress = false;
            for (uint32_t i = 0; i < n; i++) {
                term *bv = (term *)object_value_for(g, b, a->u.obj.keys[i]);
                if (done[i] || !unify_ready(g, a->u.obj.vals[i], bv))
                    continue;
                gen_unify(g, a->u.obj.vals[i], bv, fail);
                done[i] = progress = true;
            }
        }
        for (uint32_t i = 0; i < n; i++)
            if (!done[i]) {
                const term *u = first_unsafe(g, a->u.obj.vals[i]);
                return gerr(g, POL_UNSAFE_VAR, u ? u->pos : a->pos, "var %s is unsafe", u ? u->u.str.s : "?");
            }
        return true;
    }
    const term *u = first_unsafe(g, a);
    if (!u)
        u = first_unsafe(g, b);
    return gerr(g, POL_UNSAFE_VAR, u ? u->pos : a->pos, "var %s is unsafe", u ? u->u.str.s : "?");
}

/* ---- calls ------------------------------------------------------------- */

static const struct {
    const char *name;
    opcode op;
} inline_cmp[] = {
    {"equal", OP_EQ}, {"neq", OP_NE}, {"lt", OP_LT}, {"lte", OP_LE}, {"gt", OP_GT}, {"gte", OP_GE},
};

/* rego.metadata.chain() and rego.metadata.rule(): constants of the rule
 * being compiled, as OPA's compiler rewrites them. Returns false when t is
 * not such a call; *out is then untouched. */
static bool is_metadata_call(const term *t)
{
    char name[64];
    return t->kind == T_CALL && fn_name(t->u.call.fn, name, sizeof name) &&
           (strcmp(name, "rego.metadata.chain") == 0 || strcmp(name, "rego.metadata.rule") == 0);
}

static bool gen_metadata_call(pgen *g, term *t, uint32_t *fail, bool literal, uint32_t *out)
{
    char name[64];
    if (!is_metadata_call(t) || !fn_name(t->u.call.fn, name, sizeof name))
        return false;
    bool chain = strcmp(name, "rego.metadata.chain") == 0;
    uint32_t nargs = t->u.call.nargs;
    *out = 0;
    if (nargs > (literal ? 1u : 0u)) {
        gerr(g, POL_TYPE, t->pos, "%s: arity mismatch: has too many arguments, wants 0", name);
        return true;
    }
    if (!g->cur_def) {
        gerr(g, POL_TYPE, t->pos, "%s can only be called inside a rule", name);
        return true;
    }
    const val *v =
        chain ? annot_chain(g->cc, g->cur_def->m, g->cur_def->r) : annot_rule(g->cc, g->cur_def->r);
    if (!v) {
        gerr(g, POL_NOMEM, t->pos, "%s", "out of memory");
        return true;
    }
    uint32_t r = load_const(g, v);
    if (nargs == 1) {
        gen_match(g, t->u.call.args[0], r, fail);
        *out = NO_REG;
    } else {
        *out = r;
    }
    return true;
}

static uint32_t gen_call(pgen *g, term *t, uint32_t *fail, bool literal)
{
    uint32_t meta;
    if (gen_metadata_call(g, t, fail, literal, &meta))
        return meta;
    fnref f;
    if (!resolve_fn(g, t->u.call.fn, &f))
        return 0;
    uint32_t arity = f.builtin ? bi_table[f.bid].arity : f.grp->arity;
    uint32_t nargs = t->u.call.nargs;
    bool out_form = literal && nargs == arity + 1;
    if (nargs != arity && !out_form) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s: arity mismatch: has %u arguments, wants %u", f.name, nargs, arity);
        gerr(g, POL_TYPE, t->pos, "%s", msg);
        return 0;
    }
    bool relation = f.builtin && (bi_table[f.bid].flags & BIF_RELATION);
    if (f.builtin && !out_form) {
        const val *k = fold_call(g, f.bid, t);
        if (k)
            return load_const(g, k); /* as a literal, TRUTHY tests it as it would the call's result */
    }
    if (f.builtin && literal && !out_form && nargs == 2) {
        for (size_t i = 0; i < sizeof inline_cmp / sizeof inline_cmp[0]; i++) {
            if (strcmp(f.name, inline_cmp[i].name) != 0)
                continue;
            term *x = t->u.call.args[0], *y = t->u.call.args[1];
            if (inline_cmp[i].op == OP_EQ && is_scalar(x) && !is_scalar(y)) {
                term *tmp = x;
                x = y;
                y = tmp;
            }
            if (inline_cmp[i].op == OP_EQ && is_scalar(y)) {
                uint32_t a = gen_term(g, x, fail);
                emit(g, OP_EQK, 0, a, konst_term(g, y), *fail);
            } else {
                /* a ref that binds the other side's variable goes first */
                bool swap = !term_ready(g, x);
                uint32_t first = gen_term(g, swap ? y : x, fail);
                uint32_t second = gen_term(g, swap ? x : y, fail);
                emit(g, inline_cmp[i].op, 0, swap ? second : first, swap ? first : second, *fail);
            }
            return NO_REG; /* a test, not a value */
        }
    }
    uint32_t tmp[16];
    /* an unbound variable argument waits for a sibling's scan to bind it */
    bool later[16] = {false};
    for (uint32_t i = 0; i < arity && i < 16; i++)
        later[i] = t->u.call.args[i]->kind == T_VAR && !term_ready(g, t->u.call.args[i]);
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < arity && i < 16 && !failed(g); i++)
            if (later[i] == (pass == 1))
                tmp[i] = gen_term(g, t->u.call.args[i], fail);
    if (arity > 16)
        return gerr(g, POL_TYPE, t->pos, "%s", "too many arguments"), 0;
    uint32_t block = regs_new(g, arity);
    for (uint32_t i = 0; i < arity; i++)
        emit(g, OP_MOVE, block + i, tmp[i], 0, 0);
    uint32_t r = reg_new(g);
    if (f.builtin) {
        emit(g, OP_CALL, r, (uint32_t)f.bid, block, *fail);
    } else {
        uint32_t p = group_proc(g, f.grp, t->pos);
        emit(g, OP_CALLF, r, p, block, *fail);
    }
    if (relation) {
        /* A relation's builtin returns all its solutions as an array; each
         * is one binding of the output, so iterate it like `some v in`. As
         * a term (`[p, v] := walk(x)`), the call's value is the current
         * solution and the enclosing literal backtracks into the scan. */
        uint32_t s = slot_new(g);
        emit(g, OP_ITER, s, r, 0, *fail);
        uint32_t kv = regs_new(g, 2);
        uint32_t l = label_new(g);
        label_here(g, l);
        emit(g, OP_NEXT, s, r, kv, *fail);
        *fail = l;
        if (!out_form)
            return kv + 1;
        gen_match(g, t->u.call.args[nargs - 1], kv + 1, fail);
        return NO_REG;
    }
    if (!out_form)
        return r;
    gen_match(g, t->u.call.args[nargs - 1], r, fail);
    return NO_REG; /* the output form is a test, not a value */
}

/* ---- literals ---------------------------------------------------------- */

static bool declare_pattern_vars(pgen *g, const term *t)
{
    switch (t->kind) {
    case T_VAR: return var_declare(g, t->u.str.s, t->u.str.len) != NULL;
    case T_ARRAY:
        for (uint32_t i = 0; i < t->u.coll.n; i++)
            if (!declare_pattern_vars(g, t->u.coll.items[i]))
                return false;
        return true;
    case T_OBJECT:
        for (uint32_t i = 0; i < t->u.obj.n; i++)
            if (!declare_pattern_vars(g, t->u.obj.vals[i]))
                return false;
        return true;
    default: return true;
    }
}

static uint32_t gen_expr(pgen *g, expr *e, uint32_t fail, uint32_t *valreg)
{
    uint32_t vr = NO_REG;
    bool report_value = g->query_top && g->ctx_body == g->query_top;
    switch (e->kind) {
    case E_TERM:
        if (report_value && e->lhs->kind != T_CALL) {
            vr = gen_term(g, e->lhs, &fail);
        } else if (e->lhs->kind == T_CALL) {
            vr = gen_call(g, e->lhs, &fail, true);
            /* a call used as a condition must not be false; comparisons and
             * the output form are tests already (NO_REG) */
            if (!failed(g) && vr != NO_REG)
                emit(g, OP_TRUTHY, vr, 0, 0, fail);
        } else {
            vr = gen_term(g, e->lhs, &fail);
            emit(g, OP_TRUTHY, vr, 0, 0, fail);
        }
        break;
    case E_UNIFY: gen_unify(g, e->lhs, e->rhs, &fail); break;
    case E_ASSIGN:
        if (!declare_pattern_vars(g, e->lhs))
            return fail;
        gen_unify(g, e->lhs, e->rhs, &fail);
        break;
    case E_SOME:
        for (uint32_t i = 0; i < e->nvars; i++)
            if (e->vars[i]->kind == T_VAR)
                var_declare(g, e->vars[i]->u.str.s, e->vars[i]->u.str.len);
        break;
    case E_SOME_IN: {
        uint32_t c = gen_term(g, e->coll, &fail);
        if (e->key)
            declare_pattern_vars(g, e->key);
        declare_pattern_vars(g, e->value);
        uint32_t s = slot_new(g);
        emit(g, OP_ITER, s, c, 0, fail);
        uint32_t kv = regs_new(g, 2);
        uint32_t l = label_new(g);
        label_here(g, l);
        uint32_t nx = emit(g, OP_NEXT, s, c, kv, fail);
        if (!e->key && !failed(g))
            g->code[nx].x = 1;
        fail = l;
        if (e->key)
            gen_match(g, e->key, kv, &fail);
        gen_match(g, e->value, kv + 1, &fail);
        break;
    }
    case E_EVERY: {
        uint32_t c = gen_term(g, e->coll, &fail);
        uint32_t s = slot_new(g);
        emit(g, OP_ITER, s, c, 0, fail);
        uint32_t kv = regs_new(g, 2);
        uint32_t next = label_new(g), bad = label_new(g), done = label_new(g);
        label_here(g, next);
        uint32_t nx = emit(g, OP_NEXT, s, c, kv, done);
        if (!e->key && !failed(g))
            g->code[nx].x = 1;
        scope_mark m = scope_save(g, true);
        if (e->key)
            declare_pattern_vars(g, e->key);
        declare_pattern_vars(g, e->value);
        uint32_t f = bad;
        if (e->key)
            gen_match(g, e->key, kv, &f);
        gen_match(g, e->value, kv + 1, &f);
        gen_body(g, e->body, f, NULL);
        emit(g, OP_JMP, 0, 0, 0, next);
        label_here(g, bad);
        emit(g, OP_JMP, 0, 0, 0, fail);
        scope_restore(g, m);
        label_here(g, done);
        break;
    }
    }
    if (valreg)
        *valreg = vr;
    return fail;
}

/* Overrides every rule and namespace at or beneath rule-tree node n with
 * the matching part of the value in register v (undefined where the value
 * has nothing). Returns the number of overrides pushed. */
static uint32_t override_subtree(pgen *g, rnode *n, uint32_t v, const with_mod *w)
{
    if (n->grp) {
        if (n->grp->kind == G_FUNC)
            return 0;
        emit(g, OP_WITH, WITH_RULE, 0, v, group_proc(g, n->grp, w->pos));
        return 1;
    }
    emit(g, OP_WITH, WITH_RULE, 0, v, plan_namespace(g->cc, n));
    uint32_t pushes = 1;
    for (uint32_t i = 0; i < n->nkids && !failed(g); i++) {
        rnode *c = n->kids[i];
        uint32_t sub = reg_new(g);
        uint32_t missing = label_new(g), next = label_new(g);
        emit(g, OP_DOTK, sub, v, konst_str(g, c->key, c->keylen), missing);
        emit(g, OP_JMP, 0, 0, 0, next);
        label_here(g, missing);
        emit(g, OP_CLEAR, sub, 0, 0, 0); /* the rule becomes undefined */
        label_here(g, next);
        pushes += override_subtree(g, c, sub, w);
    }
    return pushes;
}

/* with-modifier targets */
/* Pushes the overrides of one modifier; returns how many (0 on error). */
static uint32_t gen_with(pgen *g, with_mod *w, uint32_t *fail)
{
    term *t = w->target;
    term *h = t->kind == T_REF ? t->u.ref.items[0] : t;
    term *const *rest = t->kind == T_REF ? t->u.ref.items + 1 : NULL;
    uint32_t nrest = t->kind == T_REF ? t->u.ref.n - 1 : 0;
    for (uint32_t i = 0; i < nrest; i++)
        if (!is_scalar(rest[i]))
            return gerr(g, POL_COMPILE, w->pos, "%s", "with target paths must be constant"), 0;
    if (name_is(h, "input")) {
        vbuild b;
        vb_init(&b, g->cc->pmem);
        for (uint32_t i = 0; i < nrest; i++)
            vb_push(&b, cc_const_term(g->cc, rest[i]));
        uint32_t v = gen_term(g, w->value, fail);
        emit(g, OP_WITH, WITH_INPUT, konst(g, vb_finish_array(&b)), v, 0);
        return 1;
    }
    /* data paths: a rule, a function, or base data */
    group *grp = NULL;
    const val *path = NULL;
    if (name_is(h, "data")) {
        rnode *n = g->cc->root;
        uint32_t i = 0;
        while (n && i < nrest && rest[i]->kind == T_STR && !n->grp) {
            n = rnode_child(n, rest[i]->u.str.s, rest[i]->u.str.len);
            i++;
        }
        if (n && n->grp && i == nrest)
            grp = n->grp;
        if (!grp) {
            vbuild b;
            vb_init(&b, g->cc->pmem);
            for (uint32_t j = 0; j < nrest; j++)
                vb_push(&b, cc_const_term(g->cc, rest[j]));
            path = vb_finish_array(&b);
        }
    } else {
        /* a function or rule name: resolve like a call */
        fnref f;
        lvar *lv = NULL;
        import_decl *im = NULL;
        if (t->kind == T_VAR && resolve(g, t, &lv, &im) == NK_RULE) {
            term *full = package_ref(g, t, NULL, 0);
            w->target = full;
            return full ? gen_with(g, w, fail) : 0;
        }
        if (!resolve_fn(g, t, &f))
            return 0;
        /* replacement: another function, or a value */
        fnref rf;
        bool fn_value = false;
        term *v = w->value;
        if (v->kind == T_VAR || v->kind == T_REF) {
            char nm[256];
            if (fn_name(v, nm, sizeof nm) && !(v->kind == T_VAR && var_find(g, v->u.str.s, v->u.str.len))) {
                int bid = builtin_lookup(g, nm, strlen(nm));
                bool saved = g->cc->failed;
                pol_error *saved_err = g->cc->err;
                pol_error scratch;
                g->cc->err = &scratch;
                bool ok = resolve_fn(g, v, &rf);
                g->cc->failed = saved;
                g->cc->err = saved_err;
                fn_value = ok && (rf.grp || bid >= 0);
            }
        }
        if (fn_value) {
            uint32_t kind, tgt, repl;
            tgt = f.builtin ? (uint32_t)f.bid : group_proc(g, f.grp, w->pos);
            repl = rf.builtin ? (uint32_t)rf.bid : group_proc(g, rf.grp, w->pos);
            if (f.builtin)
                kind = rf.builtin ? WITHFN_BUILTIN_BY_BUILTIN : WITHFN_BUILTIN_BY_PROC;
            else
                kind = rf.builtin ? WITHFN_PROC_BY_BUILTIN : WITHFN_PROC_BY_PROC;
            emit(g, OP_WITHFN, kind, tgt, 0, repl);
            return 1;
        }
        uint32_t r = gen_term(g, v, fail);
        if (f.builtin)
            emit(g, OP_WITH, WITH_BUILTIN_VALUE, 0, r, (uint32_t)f.bid);
        else
            emit(g, OP_WITH, WITH_PROC_VALUE, 0, r, group_proc(g, f.grp, w->pos));
        return 1;
    }
    uint32_t v = gen_term(g, w->value, fail);
    if (grp) {
        if (grp->kind == G_FUNC) {
            emit(g, OP_WITH, WITH_PROC_VALUE, 0, v, group_proc(g, grp, w->pos));
        } else {
            emit(g, OP_WITH, WITH_RULE, 0, v, group_proc(g, grp, w->pos));
        }
        return 1;
    }
    emit(g, OP_WITH, WITH_DATA, konst(g, path), v, 0);
    /* rules beneath the replaced path take their part of the new value */
    rnode *n = g->cc->root;
    for (uint32_t i = 0; n && i < nrest; i++)
        n = rest[i]->kind == T_STR ? rnode_child(n, rest[i]->u.str.s, rest[i]->u.str.len) : NULL;
    return 1 + (n ? override_subtree(g, n, v, w) : 0);
}

static uint32_t gen_literal_core(pgen *g, literal *lit, uint32_t fail, uint32_t *valreg)
{
    if (!lit->negated)
        return gen_expr(g, lit->expr, fail, valreg);
    uint32_t ok = label_new(g);
    scope_mark m = scope_save(g, true);
    gen_expr(g, lit->expr, ok, NULL);
    emit(g, OP_JMP, 0, 0, 0, fail);
    scope_restore(g, m);
    label_here(g, ok);
    if (valreg)
        *valreg = NO_REG;
    return fail;
}

static uint32_t gen_literal(pgen *g, literal *lit, uint32_t fail, uint32_t *valreg)
{
    g->pos = lit->pos;
    if (lit->nwith == 0)
        return gen_literal_core(g, lit, fail, valreg);
    uint32_t pushes = 0;
    for (uint32_t i = 0; i < lit->nwith && !failed(g); i++)
        pushes += gen_with(g, &lit->withs[i], &fail);
    /* The modifiers hold for this literal only, but the rest of the body
     * runs inside its loops. So every solution is collected (as the values
     * of the variables the literal binds) while the modifiers are in
     * force, they are popped, and the collection is iterated instead. */
    uint32_t nvars_before = g->nvars;
    uint8_t *was_bound = ast_alloc(g, nvars_before + 1);
    if (!was_bound)
        return fail;
    for (uint32_t i = 0; i < nvars_before; i++)
        was_bound[i] = g->vars[i].bound;
    uint32_t rows = reg_new(g);
    emit(g, OP_ARRNEW, rows, 0, 0, 0);
    uint32_t done = label_new(g);
    uint32_t f = gen_literal_core(g, lit, done, valreg);
    uint32_t nbound = 0;
    uint32_t *bound = ast_alloc(g, sizeof *bound * (g->nvars + 1));
    if (!bound)
        return fail;
    for (uint32_t i = 0; i < g->nvars; i++)
        if (g->vars[i].bound && (i >= nvars_before || !was_bound[i]))
            bound[nbound++] = i;
    uint32_t vr = valreg && *valreg != NO_REG ? *valreg : NO_REG;
    uint32_t width = nbound + (vr != NO_REG);
    uint32_t block = regs_new(g, width);
    for (uint32_t i = 0; i < nbound; i++)
        emit(g, OP_MOVE, block + i, g->vars[bound[i]].reg, 0, 0);
    if (vr != NO_REG)
        emit(g, OP_MOVE, block + nbound, vr, 0, 0);
    uint32_t row = reg_new(g);
    emit(g, OP_MKARR, row, block, width, 0);
    emit(g, OP_PUSH, rows, row, 0, 0);
    emit(g, nbound || vr != NO_REG ? OP_JMP : OP_NOP, 0, 0, 0, nbound || vr != NO_REG ? f : 0);
    label_here(g, done);
    emit(g, OP_WITHPOP, pushes, 0, 0, 0);
    emit(g, OP_FINISH, rows, 0, 0, 0);
    uint32_t s = slot_new(g);
    emit(g, OP_ITER, s, rows, 0, fail);
    uint32_t kv = regs_new(g, 2);
    uint32_t l = label_new(g);
    label_here(g, l);
    emit(g, OP_NEXT, s, rows, kv, fail);
    for (uint32_t i = 0; i < nbound; i++) {
        lvar *v = &g->vars[bound[i]];
        uint32_t r = reg_new(g);
        emit(g, OP_DOTK, r, kv + 1, konst_int(g, i), l);
        v->reg = r;
    }
    if (vr != NO_REG) {
        uint32_t r = reg_new(g);
        emit(g, OP_DOTK, r, kv + 1, konst_int(g, nbound), l);
        *valreg = r;
    }
    return l;
}

static bool with_ready(pgen *g, const literal *l)
{
    for (uint32_t i = 0; i < l->nwith; i++) {
        const term *v = l->withs[i].value;
        if (v->kind == T_VAR || v->kind == T_REF) {
            char nm[256];
            if (fn_name(v, nm, sizeof nm) && builtin_lookup(g, nm, strlen(nm)) >= 0)
                continue;
        }
        if (!term_ready(g, v))
            return false;
    }
    return true;
}

static bool lit_ready(pgen *g, const literal *l)
{
    const expr *e = l->expr;
    if (!with_ready(g, l))
        return false;
    switch (e->kind) {
    case E_TERM: {
        const term *t = e->lhs;
        if (t->kind == T_CALL) {
            /* the output form leaves its last argument unbound */
            fnref f;
            bool saved = g->cc->failed;
            pol_error *saved_err = g->cc->err;
            pol_error scratch;
            g->cc->err = &scratch;
            bool ok = resolve_fn(g, t->u.call.fn, &f);
            g->cc->failed = saved;
            g->cc->err = saved_err;
            uint32_t n = t->u.call.nargs;
            if (!l->negated && n == 1 && is_metadata_call(t))
                return pattern_ok(g, t->u.call.args[0]);
            if (ok && !l->negated) {
                uint32_t ar = f.builtin ? bi_table[f.bid].arity : f.grp->arity;
                if (n == ar + 1) {
                    for (uint32_t i = 0; i < ar; i++)
                        if (!term_ready(g, t->u.call.args[i]))
                            return false;
                    return pattern_ok(g, t->u.call.args[ar]);
                }
            }
        }
        return term_ready(g, t);
    }
    case E_UNIFY: return unify_ready(g, e->lhs, e->rhs);
    case E_ASSIGN: return term_ready(g, e->rhs);
    case E_SOME: return true;
    case E_SOME_IN: return term_ready(g, e->coll);
    case E_EVERY: return term_ready(g, e->coll) && body_closure_ready(g, e->body, NULL, NULL);
    }
    return false;
}

typedef struct unsafe_search {
    pgen *g;
    const term *found;
} unsafe_search;

static bool no_unsafe_child(void *search, const term *child)
{
    unsafe_search *us = search;
    us->found = first_unsafe(us->g, child);
    return us->found == NULL;
}

/* The first variable in t that is not bound (comprehensions bind their own). */
static const term *first_unsafe(pgen *g, const term *t)
{
    if (!t || is_comprehension(t))
        return NULL;
    if (t->kind == T_VAR)
        return is_bound_var(g, t) ? NULL : t;
    unsafe_search us = {g, NULL};
    each_child(t, no_unsafe_child, &us);
    return us.found;
}

static void report_unsafe(pgen *g, const literal *l)
{
    const expr *e = l->expr;
    const term *cands[] = {e->lhs, e->rhs, e->coll};
    for (size_t i = 0; i < 3; i++) {
        const term *u = first_unsafe(g, cands[i]);
        if (u) {
            gerr(g, POL_UNSAFE_VAR, u->pos, "var %s is unsafe", u->u.str.s);
            return;
        }
    }
    for (uint32_t i = 0; i < l->nwith; i++) {
        const term *u = first_unsafe(g, l->withs[i].value);
        if (u) {
            gerr(g, POL_UNSAFE_VAR, u->pos, "var %s is unsafe", u->u.str.s);
            return;
        }
    }
    gerr(g, POL_UNSAFE_VAR, l->pos, "%s", "expression is unsafe");
}

/* Generates a body in a safe order; valregs (optional, one per literal in
 * source order) receives each literal's value register. */
static uint32_t gen_body(pgen *g, body *b, uint32_t fail, uint32_t *valregs)
{
    if (!g->ctx_body && !g->comp_depth)
        hoist_body_start(g);
    if (!b)
        return fail;
    bool *placed = ast_alloc(g, b->n + 1);
    if (!placed)
        return fail;
    memset(placed, 0, b->n + 1);
    body *saved_body = g->ctx_body;
    const bool *saved_placed = g->ctx_placed;
    g->ctx_body = b;
    g->ctx_placed = placed;
    for (uint32_t step = 0; step < b->n && !failed(g); step++) {
        uint32_t pick = UINT32_MAX;
        for (uint32_t i = 0; i < b->n && pick == UINT32_MAX; i++) {
            if (placed[i])
                continue;
            placed[i] = true; /* a literal's own variables do not block it */
            bool ready = lit_ready(g, b->lits[i]);
            placed[i] = false;
            if (ready)
                pick = i;
        }
        if (pick == UINT32_MAX) {
            for (uint32_t i = 0; i < b->n; i++)
                if (!placed[i]) {
                    report_unsafe(g, b->lits[i]);
                    break;
                }
            break;
        }
        placed[pick] = true;
        fail = gen_literal(g, b->lits[pick], fail, valregs ? &valregs[pick] : NULL);
    }
    g->ctx_body = saved_body;
    g->ctx_placed = saved_placed;
    return fail;
}

/* ---- procedures -------------------------------------------------------- */

static pgen *pgen_new(pol_compiler *cc)
{
    pgen *g = pa_malloc(cc->al, sizeof *g);
    if (!g) {
        srcpos none = {0};
        cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
        return NULL;
    }
    memset(g, 0, sizeof *g);
    g->cc = cc;
    return g;
}

static void pgen_free(pgen *g)
{
    const pol_alloc *al = g->cc->al;
    pa_free(al, g->code, sizeof *g->code * g->capcode);
    pa_free(al, g->locs, sizeof *g->locs * g->caplocs);
    pa_free(al, g->labels, sizeof *g->labels * g->caplabels);
    pa_free(al, g->vars, sizeof *g->vars * g->capvars);
    pa_free(al, g, sizeof *g);
}

#define CC_PUSH(vec, item)                                                                                   \
    ((vec).n < (vec).cap || proc_vec_grow(cc, (void **)&(vec).v, &(vec).cap, sizeof *(vec).v)                \
         ? ((vec).v[(vec).n++] = (item), true)                                                               \
         : false)

static bool proc_vec_grow(pol_compiler *cc, void **v, uint32_t *cap, size_t elem)
{
    uint32_t ncap = *cap ? *cap * 2 : 64;
    void *nv = pa_realloc(cc->al, *v, (size_t)*cap * elem, (size_t)ncap * elem);
    if (!nv) {
        srcpos none = {0};
        return cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
    }
    *v = nv;
    *cap = ncap;
    return true;
}

/* Room for `need` elements, grown by doubling in one step (one copy). */
static bool vec_reserve(pol_compiler *cc, void **v, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint32_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap = ncap > UINT32_MAX / 2 ? UINT32_MAX : ncap * 2;
    void *nv = pa_realloc(cc->al, *v, (size_t)*cap * elem, (size_t)ncap * elem);
    if (!nv) {
        srcpos none = {0};
        return cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
    }
    *v = nv;
    *cap = ncap;
    return true;
}

static uint32_t proc_reserve(pol_compiler *cc, const char *name, proc_kind kind)
{
    proc p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.kind = (uint8_t)kind;
    if (!CC_PUSH(cc->procs, p))
        return 0;
    return cc->procs.n - 1;
}

/* ---- peephole: values computed straight into argument blocks ------------
 *
 * Calls and collection constructors read their operands from a block of
 * consecutive registers, so generation computes each operand into a
 * temporary and then MOVEs it into the block. When the temporary's
 * producer q reaches the MOVE p in a straight line that touches neither
 * register, the temporary is dead after p, and the block register is dead
 * wherever that line can be left early (failure jumps), q can write the
 * block register itself and p goes away: every read sees the value it saw
 * before. Liveness is a bounded forward search over the procedure's
 * control flow; when the bound is hit the register counts as live. */

/* Instructions whose only effect is writing R[a] (besides a failure jump):
 * they can write another register instead. */
static bool writes_only_a(opcode op)
{
    switch (op) {
    case OP_LOADK:
    case OP_MOVE:
    case OP_INPUT:
    case OP_DATA:
    case OP_DOT:
    case OP_DOTK:
    case OP_CALL:
    case OP_CALLT:
    case OP_CALLF:
    case OP_RULE:
    case OP_RULEK:
    case OP_MKARR:
    case OP_MKSET:
    case OP_MKOBJ:
    case OP_MKOBJK:
    case OP_INDEX:
    case OP_INPUTK: return true;
    default: return false;
    }
}

typedef struct peep {
    pgen *g;
    uint32_t n;
    uint32_t *seen; /* per instruction: the query that visited it */
    uint32_t query;
    uint32_t *stack;
    uint32_t stack_cap; /* the search's bound on pending positions (allocated: see fold_block_moves) */
    /* per position: the first and last instruction that jumps there (none:
     * UINT32_MAX and 0; a jump table's entry: 0 and UINT32_MAX) */
    uint32_t *jump_lo, *jump_hi;
} peep;

enum { PEEP_VISIT_LIMIT = 128 };

/* A search pops one position per visit and pushes at most two successors,
 * or a jump table whose entries count as visits: it never holds more than
 * this many positions, so the stack needs no more room than that. */
enum { PEEP_STACK_ROOM = 3 * (PEEP_VISIT_LIMIT + 2) };

/* The pending DISPATCH at instruction i, or NULL (at most 8 per procedure). */
static const struct pending_dispatch *dispatch_at(const pgen *g, uint32_t i)
{
    for (uint32_t k = 0; k < g->ndispatch; k++)
        if (g->dispatches[k].insn == i)
            return &g->dispatches[k];
    return NULL;
}

static uint32_t label_pos(const pgen *g, uint32_t l)
{
    return l < g->nlabels ? g->labels[l] : UINT32_MAX;
}

/* May register r be read, starting at instruction `from`, before it is
 * written? A write counts only on the fall-through edge (NEXT writes
 * nothing when exhausted). Unknown (limit reached) is "yes". */
static bool reg_live_at(peep *pp, uint32_t r, uint32_t from)
{
    const pgen *g = pp->g;
    uint32_t sp = 0, visits = 0;
    pp->query++;
    pp->stack[sp++] = from;
    while (sp > 0) {
        uint32_t i = pp->stack[--sp];
        if (i >= pp->n)
            return true; /* not a position of this code: be safe */
        if (pp->seen[i] == pp->query)
            continue;
        pp->seen[i] = pp->query;
        if (++visits > PEEP_VISIT_LIMIT)
            return true;
        const insn *in = &g->code[i];
        reg_use u = insn_regs(g->cc, in);
        if (reads_reg(&u, r))
            return true;
        bool killed = writes_reg(&u, r);
        opcode op = (opcode)in->op;
        uint32_t succ[2];
        uint32_t nsucc = 0;
        if (op == OP_RULEM || op == OP_RULEPUT)
            return true; /* inlined rules come later (inline_rule_reads): not searched */
        if (op == OP_RET || op == OP_HALT)
            continue;
        if (op == OP_DISPATCH) {
            const struct pending_dispatch *pd = dispatch_at(g, i);
            if (!pd)
                return true;
            /* each table entry counts as a visit and takes a stack slot:
             * a table that would pass either bound ends the search at once */
            if (pd->n > PEEP_VISIT_LIMIT - visits || pd->n > pp->stack_cap - sp)
                return true;
            visits += pd->n;
            for (uint32_t t = 0; t < pd->n; t++)
                pp->stack[sp++] = label_pos(g, pd->labels[t]);
        }
        if (opcode_formats[op][3] == 'J')
            succ[nsucc++] = label_pos(g, in->d);
        if (op != OP_JMP && op != OP_DISPATCH && !killed)
            succ[nsucc++] = i + 1;
        for (uint32_t t = 0; t < nsucc; t++) {
            if (sp >= pp->stack_cap)
                return true;
            pp->stack[sp++] = succ[t];
        }
    }
    return false;
}

/* Tries to remove MOVE p by retargeting its operand's producer. */
static bool fold_one_move(peep *pp, const bool *target, uint32_t p)
{
    pgen *g = pp->g;
    const insn *mv = &g->code[p];
    uint32_t dst = mv->a, src = mv->b;
    if (dst == src)
        return false;
    /* Labels on the way back from p to the producer q are fine when every
     * jump to them starts in [q, p): control then still reaches p only
     * through q (a hoisted read's JDEF over its own code is such a jump). */
    uint32_t enter_lo = UINT32_MAX, enter_hi = 0;
    if (target[p]) {
        enter_lo = pp->jump_lo[p];
        enter_hi = pp->jump_hi[p];
    }
    uint32_t q = p;
    for (uint32_t steps = 0; q > 0 && steps < 64; steps++) {
        uint32_t i = q - 1;
        reg_use u = insn_regs(g->cc, &g->code[i]);
        if (reads_reg(&u, dst) || writes_reg(&u, dst) || reads_reg(&u, src))
            return false;
        if (writes_reg(&u, src)) {
            q = i;
            break;
        }
        if (target[i]) {
            enter_lo = pp->jump_lo[i] < enter_lo ? pp->jump_lo[i] : enter_lo;
            enter_hi = pp->jump_hi[i] > enter_hi ? pp->jump_hi[i] : enter_hi;
        }
        q = i;
    }
    if (enter_lo <= enter_hi && (enter_lo < q || enter_hi >= p))
        return false; /* control can enter the line without passing q */
    const insn *in = &g->code[q];
    /* a value-only NEXT writes R[c+1] alone: its c can move too */
    bool next_value = in->op == OP_NEXT && in->x == 1 && in->c + 1 == src && dst >= 1;
    if (q == p || (!next_value && (!writes_only_a((opcode)in->op) || in->a != src)))
        return false;
    if (reg_live_at(pp, src, p + 1))
        return false;
    /* leaving the line early now leaves dst written: it must not matter */
    for (uint32_t i = q; i < p; i++) {
        const insn *x = &g->code[i];
        if (x->op == OP_JMP || x->op == OP_DISPATCH || x->op == OP_RET || x->op == OP_HALT)
            return false;
        if (opcode_formats[x->op][3] == 'J' && reg_live_at(pp, dst, label_pos(g, x->d)))
            return false;
    }
    if (next_value)
        g->code[q].c = dst - 1;
    else
        g->code[q].a = (uint16_t)dst;
    g->code[p].op = OP_NOP; /* dropped below; a NOP to the searches meanwhile */
    return true;
}

/* The next instruction after i that compaction keeps (n: none), and
 * whether a label lands anywhere in between or on it (control can then
 * reach it without passing i). */
static uint32_t next_kept(const bool *drop, const bool *target, uint32_t n, uint32_t i, bool *entered)
{
    uint32_t j = i + 1;
    *entered = false;
    while (j < n && drop[j])
        *entered |= target[j++];
    *entered |= j <= n && target[j];
    return j;
}

/* The first kept, non-NOP instruction at or after position i. */
static uint32_t settle(const pgen *g, const bool *drop, uint32_t i)
{
    while (i < g->ncode && (drop[i] || g->code[i].op == OP_NOP))
        i++;
    return i;
}

/* Whether instruction i is the only one of the procedure that writes r. */
static bool sole_writer(const pgen *g, const bool *drop, uint32_t i, uint32_t r)
{
    for (uint32_t k = 0; k < g->ncode; k++) {
        if (k == i || drop[k])
            continue;
        reg_use u = insn_regs(g->cc, &g->code[k]);
        if (writes_reg(&u, r))
            return false;
    }
    return true;
}

/* Superinstructions and jump threading, after the MOVE peephole (dropped
 * positions are NOPs in drop[]):
 *  - CALL r, then TRUTHY r failing to the same place: one CALLT.
 *  - RULE r, then DOTK s r k failing to the same place, where r is read by
 *    nothing after (nor at the failure target): one RULEK s; INPUT r, then
 *    such a DOTK: one INPUTK s.
 *  - A JMP to `RET r`, or to `JUNDEF r ->M; RET r` with M at `RET r`,
 *    returns R[r] in place (both paths return it as it is); a JMP to the
 *    next instruction goes.
 *  - `SETRES r s; RET r` where nothing else writes r: `RET s`.
 * Each saves a dispatch; none changes what a path computes. */
static void fuse_pairs(peep *pp, const bool *target, bool *drop)
{
    pgen *g = pp->g;
    uint32_t n = g->ncode;
    for (uint32_t i = 0; i < n; i++) {
        if (drop[i])
            continue;
        insn *x = &g->code[i];
        if (x->op == OP_JMP) {
            uint32_t l = settle(g, drop, label_pos(g, x->d));
            if (l >= n)
                continue;
            const insn *t = &g->code[l];
            uint32_t r = t->a;
            bool returns = t->op == OP_RET;
            if (!returns && t->op == OP_JUNDEF) {
                uint32_t next = settle(g, drop, l + 1), m = settle(g, drop, label_pos(g, t->d));
                returns = next < n && m < n && g->code[next].op == OP_RET && g->code[next].a == r &&
                          g->code[m].op == OP_RET && g->code[m].a == r;
            }
            if (returns)
                *x = (insn){.op = OP_RET, .a = (uint16_t)r};
            else if (l > i && l == settle(g, drop, i + 1))
                drop[i] = true; /* to where it would fall through anyway */
        }
    }
    /* then the pairs, which may now end in those returns */
    for (uint32_t i = 0; i < n; i++) {
        if (drop[i])
            continue;
        insn *x = &g->code[i];
        if (x->op == OP_SETRES) {
            /* the only write of R[a], so R[a] is undefined here and SETRES
             * copies; the RET right after returns the copy (the cheap test
             * first: the writer search scans the procedure) */
            uint32_t j = settle(g, drop, i + 1);
            if (j < n && g->code[j].op == OP_RET && g->code[j].a == x->a && sole_writer(g, drop, i, x->a))
                *x = (insn){.op = OP_RET, .a = (uint16_t)x->b};
            continue;
        }
        if (x->op != OP_CALL && x->op != OP_RULE && x->op != OP_INPUT)
            continue;
        bool entered;
        uint32_t j = next_kept(drop, target, n, i, &entered);
        if (j >= n || entered)
            continue;
        insn *y = &g->code[j];
        if (y->d != x->d)
            continue;
        if (x->op == OP_CALL && y->op == OP_TRUTHY && y->a == x->a) {
            x->op = OP_CALLT;
            y->op = OP_NOP;
            drop[j] = true;
        } else if ((x->op == OP_RULE || x->op == OP_INPUT) && y->op == OP_DOTK && y->b == x->a &&
                   !reg_live_at(pp, x->a, j + 1) && !reg_live_at(pp, x->a, label_pos(g, x->d))) {
            x->op = x->op == OP_RULE ? OP_RULEK : OP_INPUTK;
            x->a = y->a;
            x->c = y->c;
            y->op = OP_NOP;
            drop[j] = true;
        }
    }
    /* code after a return or jump that no label reaches is dead */
    bool dead = false;
    for (uint32_t i = 0; i < n; i++) {
        if (target[i])
            dead = false;
        if (drop[i])
            continue;
        if (dead) {
            g->code[i].op = OP_NOP;
            drop[i] = true;
            continue;
        }
        uint8_t op = g->code[i].op;
        dead = op == OP_RET || op == OP_JMP || op == OP_HALT;
    }
}

/* A read repeated in a straight line (no label in between, so the first
 * ran and succeeded on every way to the second) whose operands nothing in
 * between rewrote: the second copies the first's register. Rule reads are
 * memoised and input and data fields are the same fields, unless a with-modifier
 * comes between, which ends the search. Run after fuse_pairs (RULEK and
 * INPUTK are reads too). */
static void share_reads(peep *pp, const bool *target, bool *drop)
{
    pgen *g = pp->g;
    uint32_t n = g->ncode;
    for (uint32_t i = 0; i < n; i++) {
        const insn x = g->code[i];
        if (drop[i] ||
            (x.op != OP_RULE && x.op != OP_RULEK && x.op != OP_INPUTK && x.op != OP_DOTK && x.op != OP_DATA))
            continue;
        for (uint32_t j = i + 1, steps = 0; j < n && steps < PEEP_VISIT_LIMIT && !target[j]; j++, steps++) {
            if (drop[j])
                continue;
            insn *y = &g->code[j];
            if (is_with_op(y->op) || y->op == OP_JMP || y->op == OP_RET || y->op == OP_HALT ||
                y->op == OP_DISPATCH)
                break;
            if (y->op == x.op && y->b == x.b && y->c == x.c) {
                if (y->a == x.a) {
                    y->op = OP_NOP;
                    drop[j] = true;
                    continue;
                }
                *y = (insn){.op = OP_MOVE, .a = y->a, .b = x.a};
            }
            reg_use u = insn_regs(g->cc, y);
            if (writes_reg(&u, x.a) || (x.op == OP_DOTK && writes_reg(&u, x.b)))
                break;
        }
    }
}

static void fold_block_moves(pgen *g)
{
    pol_compiler *cc = g->cc;
    uint32_t n = g->ncode;
    if (n == 0)
        return;
    /* each visited instruction pushes at most two successors, plus the
     * jump tables of DISPATCH: a full stack ends the search as "live" */
    peep pp = {g, n, NULL, 0, NULL, 2 * n + 16, NULL, NULL};
    size_t stack_room = pp.stack_cap < PEEP_STACK_ROOM ? pp.stack_cap : PEEP_STACK_ROOM;
    bool *target = pa_malloc(cc->al, n + 1);
    bool *drop = pa_malloc(cc->al, n);
    pp.seen = pa_malloc(cc->al, sizeof(uint32_t) * n);
    pp.stack = pa_malloc(cc->al, sizeof(uint32_t) * stack_room);
    pp.jump_lo = pa_malloc(cc->al, sizeof(uint32_t) * (n + 1));
    pp.jump_hi = pa_malloc(cc->al, sizeof(uint32_t) * (n + 1));
    uint32_t *newpos = NULL;
    if (!target || !drop || !pp.seen || !pp.stack || !pp.jump_lo || !pp.jump_hi) {
        srcpos none = {0};
        cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
    } else {
        memset(target, 0, n + 1);
        memset(drop, 0, n);
        memset(pp.seen, 0, sizeof(uint32_t) * n);
        for (uint32_t l = 0; l < g->nlabels; l++)
            if (g->labels[l] <= n)
                target[g->labels[l]] = true;
        for (uint32_t t = 0; t <= n; t++) {
            pp.jump_lo[t] = UINT32_MAX;
            pp.jump_hi[t] = 0;
        }
        for (uint32_t i = 0; i < n; i++) {
            uint32_t t = opcode_formats[g->code[i].op][3] == 'J' ? label_pos(g, g->code[i].d) : UINT32_MAX;
            if (t <= n) {
                pp.jump_lo[t] = i < pp.jump_lo[t] ? i : pp.jump_lo[t];
                pp.jump_hi[t] = i > pp.jump_hi[t] ? i : pp.jump_hi[t];
            }
        }
        for (uint32_t k = 0; k < g->ndispatch; k++)
            for (uint32_t e = 0; e < g->dispatches[k].n; e++) {
                uint32_t t = label_pos(g, g->dispatches[k].labels[e]);
                if (t <= n) {
                    pp.jump_lo[t] = 0;
                    pp.jump_hi[t] = UINT32_MAX;
                }
            }
        for (uint32_t p = 0; p < n; p++)
            if (g->code[p].op == OP_MOVE && fold_one_move(&pp, target, p))
                drop[p] = true;
        fuse_pairs(&pp, target, drop);
        share_reads(&pp, target, drop);
        bool any = false;
        for (uint32_t p = 0; p < n && !any; p++)
            any = drop[p];
        /* the searches' scratch goes before the renumbering's is taken */
        pa_free(cc->al, pp.seen, sizeof(uint32_t) * n);
        pp.seen = NULL;
        if (any)
            newpos = pa_malloc(cc->al, sizeof(uint32_t) * (n + 1));
        if (any && !newpos) {
            srcpos none = {0};
            cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
        } else if (any) {
            uint32_t kept = 0;
            for (uint32_t i = 0; i < n; i++) {
                newpos[i] = kept;
                if (!drop[i]) {
                    g->code[kept] = g->code[i];
                    g->locs[kept] = g->locs[i];
                    kept++;
                }
            }
            newpos[n] = kept;
            for (uint32_t l = 0; l < g->nlabels; l++)
                if (g->labels[l] <= n)
                    g->labels[l] = newpos[g->labels[l]];
            for (uint32_t k = 0; k < g->ndispatch; k++)
                g->dispatches[k].insn = newpos[g->dispatches[k].insn];
            g->ncode = kept;
        }
    }
    pa_free(cc->al, target, n + 1);
    pa_free(cc->al, drop, n);
    if (newpos)
        pa_free(cc->al, newpos, sizeof(uint32_t) * (n + 1));
    pa_free(cc->al, pp.seen, sizeof(uint32_t) * n);
    pa_free(cc->al, pp.stack, sizeof(uint32_t) * stack_room);
    pa_free(cc->al, pp.jump_lo, sizeof(uint32_t) * (n + 1));
    pa_free(cc->al, pp.jump_hi, sizeof(uint32_t) * (n + 1));
}

/* ---- small rules inlined where they are read ----------------------------
 *
 * A rule's first read runs the rule in a frame of its own (vm.c's rule
 * frames), which costs more than a small rule's body: a short field read
 * or a builtin call. Where a procedure reads a small rule, the read
 * becomes RULEM followed by a copy of the rule's code, renumbered into
 * registers and slots of the reader's frame and with each RET made a
 * RULEPUT: the first read runs the copy in place and memoises its value,
 * a memoised read skips the copy, and an override or a busy rule takes
 * eval_rule as RULE does. The rule's own procedure stays for every other
 * way in.
 *
 * The copy of one rule has one window of registers and slots per reader,
 * shared by the reader's sites of that rule: the copy runs at most once
 * per frame of the reader, because the rule's memo only goes from unset
 * to set while the frame lives (with-modifiers are what reset it, and a
 * reader that has any is left alone). The window starts undefined as the
 * rule's own frame would: the reader's frame is zeroed on entry. */
/* 24 instructions: on abac_builtins, 48 inlined rules that themselves
 * hold copies (larger frames to set up, for reads that were memo hits)
 * and measured slower in one binary with only this limit changed. */
enum { INLINE_MAX_CODE = 24, INLINE_MAX_REGS = 32, INLINE_MAX_WINDOWS = 16 };
/* Only a rule's first read runs its copy, so copies past the first few
 * sites of one rule, or past a reader's growth budget, buy nothing but
 * code: a rule read by 10,000 bodies is inlined at the first sites only
 * (the others stay RULE reads and find its memo). */
enum { INLINE_MAX_SITES = 8, INLINE_MAX_GROWTH = 1024 };

static bool inlinable_rule(const pol_compiler *cc, uint32_t self, uint32_t q)
{
    if (q == self || q >= cc->procs.n)
        return false;
    const proc *pq = &cc->procs.v[q];
    /* ncode 0: not finished (a rule being planned further up) */
    if (pq->ncode == 0 || pq->ncode > INLINE_MAX_CODE || pq->nparams || pq->nregs > INLINE_MAX_REGS)
        return false;
    for (uint32_t i = 0; i < pq->ncode; i++) {
        uint8_t op = cc->code.v[pq->code + i].op;
        /* with-modifiers reset memos (see above); DISPATCH's jump tables
         * are constants of absolute positions */
        if (is_with_op(op) || op == OP_DISPATCH)
            return false;
    }
    return true;
}

typedef struct inline_window {
    uint32_t proc, reg, slot, sites;
} inline_window;

/* The copy of rule q's instruction `in` (one of q's finished code) into
 * a window at registers reg.. and slots slot..: its jumps become labels of
 * this procedure at body + offset, its RET a RULEPUT naming the RULEM at
 * label `site`. false when out of labels. */
static bool inline_copy(pgen *g, const proc *pq, insn *in, uint32_t body, uint32_t reg, uint32_t slot,
                        uint32_t site)
{
    const char *fmt = opcode_formats[in->op];
    uint32_t *field[4] = {NULL, &in->b, &in->c, &in->d};
    for (int s = 0; s < 4; s++) {
        char kind = fmt[s];
        if (s == 0) {
            if (kind == 'R' || kind == 'S')
                in->a = (uint16_t)(in->a + (kind == 'R' ? reg : slot));
            continue;
        }
        if (kind == 'R')
            *field[s] += reg;
        else if (kind == 'S')
            *field[s] += slot;
        else if (kind == 'J' || kind == 'M') {
            /* absolute in q's finished code; RULEPUT's d names its RULEM */
            uint32_t l = label_new(g);
            if (failed(g))
                return false;
            g->labels[l] = body + (*field[s] - pq->code);
            *field[s] = l;
        }
    }
    if (in->op == OP_RET)
        *in = (insn){.op = OP_RULEPUT, .a = in->a, .d = site};
    return true;
}

static void inline_rule_reads(pgen *g, uint32_t self)
{
    pol_compiler *cc = g->cc;
    uint32_t n = g->ncode, extra = 0;
    for (uint32_t i = 0; i < n; i++) {
        const insn *in = &g->code[i];
        if ((in->op == OP_RULE || in->op == OP_RULEK) && inlinable_rule(cc, self, in->b))
            extra += cc->procs.v[in->b].ncode;
    }
    if (extra == 0)
        return;
    if (extra > INLINE_MAX_GROWTH)
        extra = INLINE_MAX_GROWTH; /* the most the copies below may add */
    for (uint32_t i = 0; i < n; i++) {
        if (is_with_op(g->code[i].op))
            return;
    }
    insn *old = pa_malloc(cc->al, sizeof *old * n);
    srcloc *oldloc = pa_malloc(cc->al, sizeof *oldloc * n);
    uint32_t *newpos = pa_malloc(cc->al, sizeof *newpos * (n + 1));
    srcpos none = {0};
    if (!old || !oldloc || !newpos || !grow(g, (void **)&g->code, &g->capcode, n + extra, sizeof *g->code) ||
        !grow(g, (void **)&g->locs, &g->caplocs, n + extra, sizeof *g->locs)) {
        if (!failed(g))
            cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
        goto done;
    }
    memcpy(old, g->code, sizeof *old * n);
    memcpy(oldloc, g->locs, sizeof *oldloc * n);
    uint32_t nlabels_before = g->nlabels;
    inline_window win[INLINE_MAX_WINDOWS];
    uint32_t nwin = 0, out = 0;
    for (uint32_t i = 0; i < n; i++) {
        newpos[i] = out;
        insn in = old[i];
        const proc *pq = NULL;
        if ((in.op == OP_RULE || in.op == OP_RULEK) && inlinable_rule(cc, self, in.b))
            pq = &cc->procs.v[in.b];
        uint32_t w = 0;
        while (pq && w < nwin && win[w].proc != in.b)
            w++;
        if (pq && (out - i + pq->ncode > extra || (w < nwin && win[w].sites == INLINE_MAX_SITES)))
            pq = NULL; /* the growth budget or the rule's sites used up */
        if (pq && w == nwin) {
            /* a window of its own for each rule (see above), while the
             * frame stays within its register limit */
            if (nwin == INLINE_MAX_WINDOWS || g->maxreg + pq->nregs > MAX_REGS ||
                g->maxslot + pq->nslots > MAX_REGS) {
                pq = NULL;
            } else {
                win[nwin++] = (inline_window){in.b, g->maxreg, g->maxslot, 0};
                g->maxreg += pq->nregs;
                g->maxslot += pq->nslots;
            }
        }
        if (!pq) {
            g->code[out] = in;
            g->locs[out++] = oldloc[i];
            continue;
        }
        win[w].sites++;
        uint32_t site = label_new(g);
        if (failed(g))
            goto done;
        g->labels[site] = out;
        g->code[out] = (insn){.op = OP_RULEM,
                              .x = (uint8_t)pq->ncode,
                              .a = in.a,
                              .b = in.b,
                              .c = in.op == OP_RULEK ? in.c : K_NONE,
                              .d = in.d};
        g->locs[out++] = oldloc[i];
        uint32_t body = out;
        for (uint32_t k = 0; k < pq->ncode; k++) {
            insn x = cc->code.v[pq->code + k];
            if (!inline_copy(g, pq, &x, body, win[w].reg, win[w].slot, site))
                goto done;
            g->code[out] = x;
            g->locs[out++] = cc->locs.v[pq->code + k];
        }
    }
    newpos[n] = out;
    for (uint32_t l = 0; l < nlabels_before; l++)
        if (g->labels[l] <= n)
            g->labels[l] = newpos[g->labels[l]];
    for (uint32_t k = 0; k < g->ndispatch; k++)
        g->dispatches[k].insn = newpos[g->dispatches[k].insn];
    g->ncode = out;
done:
    pa_free(cc->al, old, sizeof *old * n);
    pa_free(cc->al, oldloc, sizeof *oldloc * n);
    pa_free(cc->al, newpos, sizeof *newpos * (n + 1));
}

/* Resolves labels and appends the procedure's code to the program. */
static bool proc_finish(pgen *g, uint32_t pi, uint32_t nparams)
{
    pol_compiler *cc = g->cc;
    if (failed(g))
        return false;
    fold_block_moves(g);
    if (!failed(g))
        inline_rule_reads(g, pi);
    if (failed(g))
        return false;
    uint32_t base = cc->code.n;
    for (uint32_t k = 0; k < g->ndispatch; k++) {
        struct pending_dispatch *pd = &g->dispatches[k];
        vbuild jt;
        vb_init(&jt, cc->pmem);
        for (uint32_t i = 0; i < pd->n; i++)
            vb_push(&jt, v_int(cc->pmem, (int64_t)base + g->labels[pd->labels[i]]));
        const val *table = vb_finish_array(&jt);
        if (!table) {
            srcpos none = {0};
            return cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
        }
        g->code[pd->insn].c = cc_const(cc, table);
    }
    if (g->ncode > UINT32_MAX - base) {
        srcpos none = {0};
        return cc_error(cc, POL_COMPILE, none, "%s", "program too large");
    }
    if (!vec_reserve(cc, (void **)&cc->code.v, &cc->code.cap, base + g->ncode, sizeof *cc->code.v) ||
        !vec_reserve(cc, (void **)&cc->locs.v, &cc->locs.cap, base + g->ncode, sizeof *cc->locs.v))
        return false;
    for (uint32_t i = 0; i < g->ncode; i++) {
        insn in = g->code[i];
        if (opcode_formats[in.op][3] == 'J' || opcode_formats[in.op][3] == 'M') {
            if (in.d >= g->nlabels || g->labels[in.d] == UINT32_MAX) {
                srcpos none = {0};
                return cc_error(cc, POL_INTERNAL, none, "%s", "unplaced label");
            }
            in.d = base + g->labels[in.d];
        }
        cc->code.v[base + i] = in;
    }
    if (g->ncode)
        memcpy(&cc->locs.v[base], g->locs, sizeof *g->locs * g->ncode);
    cc->code.n = base + g->ncode;
    cc->locs.n = base + g->ncode;
    proc *p = &cc->procs.v[pi];
    p->code = base;
    p->ncode = g->ncode;
    p->nregs = (uint16_t)(g->maxreg ? g->maxreg : 1);
    p->nslots = (uint16_t)g->maxslot;
    p->nparams = (uint16_t)nparams;
    return true;
}

static rnode *package_node(pol_compiler *cc, module *m)
{
    rnode *n = cc->root;
    term *pkg = m->package;
    for (uint32_t i = 1; n && i < pkg->u.ref.n; i++)
        n = rnode_child(n, pkg->u.ref.items[i]->u.str.s, pkg->u.ref.items[i]->u.str.len);
    return n;
}

static void use_module(pgen *g, module *m)
{
    g->mod = m;
    g->pkg = m ? package_node(g->cc, m) : NULL;
    g->nvars = 0;
}

static uint32_t group_proc(pgen *g, group *grp, srcpos pos)
{
    pol_compiler *cc = g->cc;
    if (grp->state == 1) {
        /* OPA names the cycle from the rule back to itself, at the rule */
        char cycle[400];
        size_t n = 0;
        uint32_t from = 0;
        while (from < cc->ncompiling && cc->compiling[from] != grp)
            from++;
        for (uint32_t i = from; i < cc->ncompiling && n < sizeof cycle; i++)
            n += (size_t)snprintf(cycle + n, sizeof cycle - n, "%s -> ", cc->compiling[i]->path);
        if (n < sizeof cycle)
            snprintf(cycle + n, sizeof cycle - n, "%s", grp->path);
        srcpos at = grp->ndefs ? grp->defs[0].r->pos : pos;
        cc_error(cc, POL_RECURSION, at, "rule %s is recursive: %s", grp->path, cycle);
        return 0;
    }
    if (grp->state == 0)
        plan_group(cc, grp);
    return grp->proc;
}

/* ---- rule index ---------------------------------------------------------
 *
 * A rule with many definitions usually tests the input against constants
 * first (`input.method == "GET"`, `input.path = ["v1", "orders", _]`). The
 * index is a decision tree over those tests, built here as a constant value
 * and walked by one INDEX instruction: at each node the value at an input
 * path selects a child; definitions that do not test that path are in every
 * child. A leaf lists the candidate definitions in source order, and
 * DISPATCH jumps to each in turn. The index only prunes: every candidate
 * still runs its whole body, so a missed or partial test costs time, never
 * correctness.
 */

#define INDEX_MIN_DEFS 8
#define INDEX_MAX_DEPTH 8
#define INDEX_MAX_TESTS 16

/* The tree builder compares only small integers. Every scalar a test
 * mentions (a path key or a tested value) is interned once: equal ids mean
 * val_equal, and a tested value's rank is its place in val_compare order.
 * A path is interned as its sequence of key ids. All of it lives in a
 * scratch arena freed once the tree is built; only the paths and values the
 * tree keeps are built in the program arena, one copy each. */
typedef struct ipath {
    uint32_t first, n; /* key ids: keys[first .. first+n) */
} ipath;

/* One test `ref == src`, or `ref[index] == src` for an array element. The
 * tree keeps program-arena copies built from the terms of the test the
 * original scan met first, so the values in it are exactly those terms'. */
typedef struct itest {
    uint32_t path;  /* ipath id */
    uint32_t value; /* scalar id while extracting, then its rank */
    uint32_t index; /* array position, when elem */
    bool elem;
    const term *ref; /* the input path */
    const term *src; /* the scalar literal */
} itest;

typedef struct idef {
    uint32_t first, n; /* tests[first .. first+n) */
} idef;

/* Open-addressing slot: (hash high half << 32) | (id + 1); 0 when empty.
 * Tables stay at most half full. */
typedef struct islots {
    uint64_t *s;
    uint32_t mask, used;
} islots;

typedef struct itable {
    pgen *g;
    arena scratch;
    const val **sc; /* scalar id -> its scratch value */
    uint32_t nsc, capsc;
    islots sc_slots;
    ipath *paths;
    uint32_t npaths, cappaths;
    islots path_slots;
    uint32_t *keys;
    uint32_t nkeys, capkeys;
    itest *tests;
    uint32_t ntests, captests;
    uint32_t nranks;
} itable;

static bool itab_oom(itable *t)
{
    srcpos none = {0};
    return gerr(t->g, POL_NOMEM, none, "%s", "out of memory");
}

/* Grows a scratch vector to hold `need` elements (old storage is left to
 * the arena, which is freed as a whole). */
static bool itab_reserve(itable *t, void **v, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    uint32_t ncap = *cap ? *cap : 64;
    while (ncap < need) {
        if (ncap > UINT32_MAX / 2)
            return itab_oom(t);
        ncap *= 2;
    }
    void *nv = arena_alloc(&t->scratch, (size_t)ncap * elem);
    if (!nv)
        return itab_oom(t);
    if (*cap)
        memcpy(nv, *v, (size_t)*cap * elem);
    *v = nv;
    *cap = ncap;
    return true;
}

static bool islots_grow(itable *t, islots *sl)
{
    uint32_t ncap = sl->mask ? (sl->mask + 1) * 2 : 256;
    if (ncap == 0 || ncap > UINT32_MAX / 2)
        return itab_oom(t);
    uint64_t *ns = arena_alloc(&t->scratch, (size_t)ncap * sizeof *ns);
    if (!ns)
        return itab_oom(t);
    memset(ns, 0, (size_t)ncap * sizeof *ns);
    uint32_t nmask = ncap - 1;
    hash64_reinsert(ns, nmask, sl->mask ? sl->s : NULL, sl->mask);
    sl->s = ns;
    sl->mask = nmask;
    return true;
}

/* The id of scalar v (a scratch value); UINT32_MAX when memory ran out. */
static uint32_t intern_scalar(itable *t, const val *v)
{
    if (!v) {
        itab_oom(t);
        return UINT32_MAX;
    }
    islots *sl = &t->sc_slots;
    if ((sl->used + 1) * 2 > sl->mask + 1 && !islots_grow(t, sl))
        return UINT32_MAX;
    uint32_t tag = (uint32_t)(val_hash(v, 0) >> 32);
    uint32_t j = tag & sl->mask;
    for (; sl->s[j]; j = (j + 1) & sl->mask) {
        uint64_t e = sl->s[j];
        uint32_t id = (uint32_t)e - 1;
        if ((uint32_t)(e >> 32) == tag && val_equal(t->sc[id], v))
            return id;
    }
    if (!itab_reserve(t, (void **)&t->sc, &t->capsc, t->nsc + 1, sizeof *t->sc))
        return UINT32_MAX;
    t->sc[t->nsc] = v;
    sl->s[j] = ((uint64_t)tag << 32) | (t->nsc + 1);
    sl->used++;
    return t->nsc++;
}

/* The id of the path with key ids keys[0..n); UINT32_MAX when memory ran out. */
static uint32_t intern_path(itable *t, const uint32_t *keys, uint32_t n)
{
    islots *sl = &t->path_slots;
    if ((sl->used + 1) * 2 > sl->mask + 1 && !islots_grow(t, sl))
        return UINT32_MAX;
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (uint32_t i = 0; i < n; i++)
        h = (h ^ keys[i]) * 0xFF51AFD7ED558CCDull;
    h ^= h >> 29;
    uint32_t tag = (uint32_t)(h >> 32);
    uint32_t j = tag & sl->mask;
    for (; sl->s[j]; j = (j + 1) & sl->mask) {
        uint64_t e = sl->s[j];
        uint32_t id = (uint32_t)e - 1;
        const ipath *p = &t->paths[id];
        if ((uint32_t)(e >> 32) == tag && p->n == n &&
            (n == 0 || memcmp(&t->keys[p->first], keys, sizeof *keys * n) == 0))
            return id;
    }
    if (!itab_reserve(t, (void **)&t->paths, &t->cappaths, t->npaths + 1, sizeof *t->paths) ||
        !itab_reserve(t, (void **)&t->keys, &t->capkeys, t->nkeys + n, sizeof *t->keys))
        return UINT32_MAX;
    ipath *p = &t->paths[t->npaths];
    p->first = t->nkeys;
    p->n = n;
    if (n)
        memcpy(&t->keys[t->nkeys], keys, sizeof *keys * n);
    t->nkeys += n;
    sl->s[j] = ((uint64_t)tag << 32) | (t->npaths + 1);
    sl->used++;
    return t->npaths++;
}

/* A scalar literal's value in the scratch arena (as cc_const_term builds
 * it in the program arena). */
static const val *scalar_scratch(itable *t, const term *k)
{
    switch (k->kind) {
    case T_NULL: return VAL_NULL;
    case T_BOOL: return VAL_BOOL(k->u.b);
    case T_NUM: return v_num_text(&t->scratch, k->u.num.text, k->u.num.len);
    case T_STR: return v_str_ref(&t->scratch, k->u.str.s, k->u.str.len);
    default: return NULL;
    }
}

/* Is t `input.a.b[0]` with constant keys (and input not a local)? */
static bool is_input_path(pgen *g, const term *t)
{
    if (t->kind != T_REF || !name_is(t->u.ref.items[0], "input"))
        return false;
    if (var_find(g, "input", 5))
        return false;
    for (uint32_t i = 1; i < t->u.ref.n; i++)
        if (t->u.ref.items[i]->kind != T_STR && t->u.ref.items[i]->kind != T_NUM)
            return false;
    return true;
}

static void add_test(itable *t, idef *d, uint32_t path, const term *ref, const term *k, bool elem,
                     uint32_t index)
{
    if (path == UINT32_MAX)
        return;
    uint32_t value = intern_scalar(t, scalar_scratch(t, k));
    if (value == UINT32_MAX ||
        !itab_reserve(t, (void **)&t->tests, &t->captests, t->ntests + 1, sizeof *t->tests))
        return;
    itest *x = &t->tests[t->ntests++];
    x->path = path;
    x->value = value;
    x->index = index;
    x->elem = elem;
    x->ref = ref;
    x->src = k;
    d->n++;
}

/* Tests r == k where r is an input path: `input.a.b == "x"` tests path
 * ["a", "b"]; `input.p = ["v1", x]` tests ["p", 0] == "v1". */
static void tests_from_pair(itable *t, idef *d, const term *a, const term *b)
{
    for (int side = 0; side < 2 && !failed(t->g); side++) {
        const term *r = side ? b : a, *k = side ? a : b;
        if (!is_input_path(t->g, r) || d->n >= INDEX_MAX_TESTS)
            continue;
        bool whole = is_scalar(k);
        if (!whole && k->kind != T_ARRAY)
            continue;
        uint32_t nkeys = r->u.ref.n - 1;
        uint32_t *keys = arena_alloc(&t->scratch, sizeof *keys * (nkeys + 1));
        if (!keys) {
            itab_oom(t);
            return;
        }
        for (uint32_t i = 0; i < nkeys; i++) {
            const term *key = r->u.ref.items[i + 1];
            keys[i] = intern_scalar(t, scalar_scratch(t, key));
            if (keys[i] == UINT32_MAX)
                return;
        }
        if (whole) {
            add_test(t, d, intern_path(t, keys, nkeys), r, k, false, 0);
            continue;
        }
        for (uint32_t i = 0; i < k->u.coll.n && d->n < INDEX_MAX_TESTS && !failed(t->g); i++) {
            if (!is_scalar(k->u.coll.items[i]))
                continue;
            keys[nkeys] = intern_scalar(t, v_int(&t->scratch, i));
            if (keys[nkeys] != UINT32_MAX)
                add_test(t, d, intern_path(t, keys, nkeys + 1), r, k->u.coll.items[i], true, i);
        }
    }
}

static void extract_tests(itable *t, const cdef *cd, idef *d)
{
    d->first = t->ntests;
    d->n = 0;
    const rule *r = cd->r;
    if (r->els || !r->body || r->nargs)
        return; /* else chains run in order; their later links are not guarded */
    for (uint32_t i = 0; i < r->body->n && !failed(t->g); i++) {
        const literal *l = r->body->lits[i];
        const expr *e = l->expr;
        if (l->negated || l->nwith)
            continue;
        if (e->kind == E_UNIFY) {
            tests_from_pair(t, d, e->lhs, e->rhs);
        } else if (e->kind == E_TERM && e->lhs->kind == T_CALL && e->lhs->u.call.nargs == 2) {
            const term *fn = e->lhs->u.call.fn;
            const term *h = fn->kind == T_REF ? fn->u.ref.items[0] : fn;
            if ((fn->kind != T_REF || fn->u.ref.n == 1) && name_is(h, "equal"))
                tests_from_pair(t, d, e->lhs->u.call.args[0], e->lhs->u.call.args[1]);
        }
    }
}

typedef struct iranked {
    const val *v;
    uint32_t id;
} iranked;

static int iranked_cmp(const void *x, const void *y)
{
    return val_compare(((const iranked *)x)->v, ((const iranked *)y)->v);
}

/* Replaces each test's value id by its rank in val_compare order (distinct
 * ids are distinct values, so equal ranks mean equal values). */
static bool rank_values(itable *t)
{
    uint32_t *rank = arena_alloc(&t->scratch, sizeof *rank * (t->nsc + 1));
    iranked *order = arena_alloc(&t->scratch, sizeof *order * (t->nsc + 1));
    if (!rank || !order)
        return itab_oom(t);
    memset(rank, 0xff, sizeof *rank * t->nsc);
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->ntests; i++) {
        uint32_t id = t->tests[i].value;
        if (rank[id] == UINT32_MAX) {
            rank[id] = 0;
            order[n].v = t->sc[id];
            order[n].id = id;
            n++;
        }
    }
    pol_sort(order, n, sizeof *order, iranked_cmp);
    for (uint32_t r = 0; r < n; r++)
        rank[order[r].id] = r;
    t->nranks = n;
    for (uint32_t i = 0; i < t->ntests; i++)
        t->tests[i].value = rank[t->tests[i].value];
    return true;
}

/* Program-arena copies of what test x compares: its path as an array of
 * keys, and its value. */
static const val *kept_path(itable *t, const itest *x)
{
    vbuild b;
    vb_init(&b, t->g->cc->pmem);
    for (uint32_t i = 1; i < x->ref->u.ref.n; i++)
        if (!vb_push(&b, cc_const_term(t->g->cc, x->ref->u.ref.items[i])))
            return NULL;
    if (x->elem && !vb_push(&b, v_int(t->g->cc->pmem, x->index)))
        return NULL;
    return vb_finish_array(&b);
}

/* Definition d's first test on path, or NULL. */
static const itest *test_on(const itable *t, const idef *d, uint32_t path)
{
    for (uint32_t i = 0; i < d->n; i++)
        if (t->tests[d->first + i].path == path)
            return &t->tests[d->first + i];
    return NULL;
}

static const val *index_leaf(pgen *g, const uint32_t *ids, uint32_t n)
{
    vbuild b;
    vb_init(&b, g->cc->pmem);
    for (uint32_t i = 0; i < n; i++)
        if (!vb_push(&b, v_int(g->cc->pmem, ids[i])))
            return NULL;
    return vb_finish_array(&b);
}

/* (value rank << 32 | definition) pairs for one path, sorted, so counting
 * values and partitioning into buckets are linear scans. ids ascend, so a
 * stable sort on the rank alone gives that order: an LSD radix sort over
 * the rank's bytes (insertion sort for short runs). tmp: room for n. */
static void sort_pairs(uint64_t *p, uint64_t *tmp, uint32_t n, uint32_t nranks)
{
    if (n < 32) {
        for (uint32_t i = 1; i < n; i++) {
            uint64_t x = p[i];
            uint32_t j = i;
            for (; j > 0 && p[j - 1] > x; j--)
                p[j] = p[j - 1];
            p[j] = x;
        }
        return;
    }
    for (uint32_t shift = 32; shift < 64 && (shift == 32 || (nranks >> (shift - 32)) != 0); shift += 8) {
        uint32_t count[257];
        memset(count, 0, sizeof count);
        for (uint32_t i = 0; i < n; i++)
            count[((p[i] >> shift) & 0xff) + 1]++;
        for (uint32_t b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (uint32_t i = 0; i < n; i++)
            tmp[count[(p[i] >> shift) & 0xff]++] = p[i];
        memcpy(p, tmp, sizeof *p * n);
    }
}

static uint32_t collect_pairs(const itable *t, const idef *defs, const uint32_t *ids, uint32_t n,
                              uint32_t path, uint64_t *out, uint64_t *tmp)
{
    uint32_t np = 0;
    for (uint32_t j = 0; j < n; j++) {
        const itest *x = test_on(t, &defs[ids[j]], path);
        if (x)
            out[np++] = (uint64_t)x->value << 32 | ids[j];
    }
    sort_pairs(out, tmp, np, t->nranks);
    return np;
}

#define PAIR_RANK(p) ((uint32_t)((p) >> 32))
#define PAIR_DEF(p) ((uint32_t)(p))

/* Builds the tree for definitions ids[0..n) (ascending). O(n log n) per
 * level: the greedy choice sorts each candidate path's pairs once. */
static const val *index_node(itable *t, const idef *defs, const uint32_t *ids, uint32_t n,
                             const uint32_t *used, uint32_t nused)
{
    pgen *g = t->g;
    if (n < 2 || nused >= INDEX_MAX_DEPTH)
        return index_leaf(g, ids, n);
    arena *scratch = &t->scratch;
    /* the distinct paths tested here (few: a handful per rule shape) */
    /* with the test that named each first: the tree keeps its path */
    uint32_t paths[64];
    const itest *path_first[64];
    uint32_t npaths = 0;
    for (uint32_t i = 0; i < n && npaths < 64; i++) {
        const idef *d = &defs[ids[i]];
        for (uint32_t k = 0; k < d->n && npaths < 64; k++) {
            const itest *x = &t->tests[d->first + k];
            bool seen = false;
            for (uint32_t u = 0; u < nused && !seen; u++)
                seen = used[u] == x->path;
            for (uint32_t u = 0; u < npaths && !seen; u++)
                seen = paths[u] == x->path;
            if (!seen) {
                path_first[npaths] = x;
                paths[npaths++] = x->path;
            }
        }
    }
    /* the best candidate's sorted pairs are kept (swapped into
     * best_pairs), so they are not collected and sorted a second time */
    uint64_t *pairs = arena_alloc(scratch, sizeof *pairs * n);
    uint64_t *best_pairs = arena_alloc(scratch, sizeof *best_pairs * n);
    uint64_t *tmp = arena_alloc(scratch, sizeof *tmp * n);
    if (!pairs || !best_pairs || !tmp)
        return NULL;
    uint32_t best = UINT32_MAX, best_count = 0, best_distinct = 0;
    const itest *best_first = NULL;
    for (uint32_t k = 0; k < npaths; k++) {
        uint32_t np = collect_pairs(t, defs, ids, n, paths[k], pairs, tmp);
        uint32_t distinct = 0;
        for (uint32_t j = 0; j < np; j++)
            distinct += j == 0 || PAIR_RANK(pairs[j - 1]) != PAIR_RANK(pairs[j]);
        if (distinct >= 2 && (np > best_count || (np == best_count && distinct > best_distinct))) {
            best = paths[k];
            best_first = path_first[k];
            best_count = np;
            best_distinct = distinct;
            uint64_t *swap = best_pairs;
            best_pairs = pairs;
            pairs = swap;
        }
    }
    if (best == UINT32_MAX)
        return index_leaf(g, ids, n);
    uint32_t *nu = arena_alloc(scratch, sizeof *nu * (nused + 1));
    uint32_t *any = arena_alloc(scratch, sizeof *any * n);
    uint32_t *bucket = arena_alloc(scratch, sizeof *bucket * n);
    if (!nu || !any || !bucket)
        return NULL;
    if (nused)
        memcpy(nu, used, sizeof *nu * nused);
    nu[nused] = best;
    uint32_t np = best_count;
    pairs = best_pairs;
    uint32_t nany = 0;
    for (uint32_t j = 0; j < n; j++)
        if (!test_on(t, &defs[ids[j]], best))
            any[nany++] = ids[j];
    vbuild map;
    vb_init(&map, g->cc->pmem);
    for (uint32_t lo = 0; lo < np;) {
        uint32_t hi = lo + 1;
        while (hi < np && PAIR_RANK(pairs[hi]) == PAIR_RANK(pairs[lo]))
            hi++;
        /* this value's definitions merged with the ones that do not test
         * the path, both ascending, so the bucket stays in source order */
        uint32_t nb = 0, a = 0, v = lo;
        while (a < nany || v < hi)
            bucket[nb++] =
                (v >= hi || (a < nany && any[a] < PAIR_DEF(pairs[v]))) ? any[a++] : PAIR_DEF(pairs[v++]);
        const val *child = index_node(t, defs, bucket, nb, nu, nused + 1);
        /* the key as the value's first definition here wrote it */
        const itest *x = test_on(t, &defs[PAIR_DEF(pairs[lo])], best);
        if (!child || !vb_put(&map, cc_const_term(g->cc, x->src), child))
            return NULL;
        lo = hi;
    }
    const val *m = vb_finish_object(&map, NULL);
    const val *a = index_node(t, defs, any, nany, nu, nused + 1);
    if (!m || !a)
        return NULL;
    vbuild node;
    vb_init(&node, g->cc->pmem);
    vb_put(&node, v_str(g->cc->pmem, "a", 1), a);
    vb_put(&node, v_str(g->cc->pmem, "m", 1), m);
    vb_put(&node, v_str(g->cc->pmem, "p", 1), kept_path(t, best_first));
    return vb_finish_object(&node, NULL);
}

/* The decision tree over the group's definitions (program arena): an
 * object node or, when nothing discriminates, a leaf array; NULL (with a
 * compile error) when memory ran out. */
static const val *index_tree(pgen *g, const group *grp)
{
    itable t;
    memset(&t, 0, sizeof t);
    t.g = g;
    arena_init_growable(&t.scratch, g->cc->al);
    const val *tree = NULL;
    idef *defs = arena_alloc(&t.scratch, sizeof *defs * grp->ndefs);
    uint32_t *ids = arena_alloc(&t.scratch, sizeof *ids * grp->ndefs);
    if (!defs || !ids) {
        itab_oom(&t);
    } else {
        for (uint32_t i = 0; i < grp->ndefs && !failed(g); i++) {
            use_module(g, grp->defs[i].m);
            extract_tests(&t, &grp->defs[i], &defs[i]);
            ids[i] = i;
        }
        if (!failed(g) && rank_values(&t)) {
            tree = index_node(&t, defs, ids, grp->ndefs, NULL, 0);
            /* index_node fails only when memory runs out: say so, rather
             * than quietly compiling without the index */
            if (!tree)
                itab_oom(&t);
        }
    }
    arena_free(&t.scratch);
    return failed(g) ? NULL : tree;
}

typedef struct dispatch {
    bool on;
    uint32_t disp, done;
    uint32_t *def_labels;
} dispatch;

/* Emits the index lookup for a group when it pays off; the caller then
 * places def_labels[i] at definition i and makes `disp` every definition's
 * exit, and places `done` after the last one. */
static void dispatch_begin(pgen *g, const group *grp, dispatch *ds)
{
    memset(ds, 0, sizeof *ds);
    if (grp->ndefs < INDEX_MIN_DEFS || g->ndispatch >= sizeof g->dispatches / sizeof g->dispatches[0])
        return;
    srcpos none = {0};
    const val *tree = index_tree(g, grp);
    if (!tree || tree->type != V_OBJ)
        return; /* out of memory (reported), or nothing to discriminate on */
    /* on only with def_labels: callers index it whenever on is set */
    ds->def_labels = arena_alloc(&g->cc->ast, sizeof *ds->def_labels * grp->ndefs);
    if (!ds->def_labels) {
        gerr(g, POL_NOMEM, none, "%s", "out of memory");
        return;
    }
    ds->on = true;
    for (uint32_t i = 0; i < grp->ndefs; i++)
        ds->def_labels[i] = label_new(g);
    uint32_t list = reg_new(g);
    uint32_t slot = slot_new(g);
    ds->disp = label_new(g);
    ds->done = label_new(g);
    emit(g, OP_INDEX, list, konst(g, tree), 0, 0);
    emit(g, OP_ITER, slot, list, 0, ds->done);
    label_here(g, ds->disp);
    uint32_t at = emit(g, OP_DISPATCH, slot, list, 0, ds->done);
    struct pending_dispatch *pd = &g->dispatches[g->ndispatch++];
    pd->insn = at;
    pd->labels = ds->def_labels;
    pd->n = grp->ndefs;
}

/* Every definition's value is the same constant: the first success decides
 * (no conflict is possible), so the procedure can return at once. */
static bool same_constant_values(pol_compiler *cc, group *grp)
{
    const val *first = NULL;
    for (uint32_t i = 0; i < grp->ndefs; i++) {
        for (rule *r = grp->defs[i].r; r; r = r->els) {
            const val *v = r->value ? cc_const_term(cc, r->value) : VAL_TRUE;
            if (!v)
                return false;
            if (!first)
                first = v;
            else if (!val_equal(first, v))
                return false;
        }
    }
    return true;
}

/* Function parameters that are patterns bind at entry; any other term
 * (a template string, a call) may need the body's variables, so it is
 * compared with its argument after the body, as OPA does. */
static void gen_params(pgen *g, rule *r, bool after_body, uint32_t *fail)
{
    for (uint32_t a = 0; a < r->nargs && !failed(g); a++) {
        term *p = r->args[a];
        bool pattern =
            p->kind == T_VAR || is_scalar(p) || p->kind == T_ARRAY || p->kind == T_OBJECT || term_ready(g, p);
        if (pattern == after_body)
            continue;
        if (pattern) {
            declare_pattern_vars(g, p);
            gen_match(g, p, a, fail);
        } else {
            uint32_t x = gen_term(g, p, fail);
            emit(g, OP_EQ, 0, a, x, *fail);
        }
    }
}

static void gen_value_def(pgen *g, rule *r, uint32_t res, uint32_t fail, bool early, uint32_t conflict_kind)
{
    uint32_t f = gen_body(g, r->body, fail, NULL);
    gen_params(g, r, true, &f);
    uint32_t v = r->value ? gen_term(g, r->value, &f) : load_const(g, VAL_TRUE);
    emit(g, OP_SETRES, res, v, conflict_kind, 0);
    if (early)
        emit(g, OP_RET, res, 0, 0, 0);
    else
        emit(g, OP_JMP, 0, 0, 0, f);
}

static void gen_complete_like(pgen *g, group *grp, uint32_t res, uint32_t conflict_kind)
{
    bool early = same_constant_values(g->cc, grp);
    dispatch ds;
    dispatch_begin(g, grp, &ds);
    uint32_t base_reg = g->nreg, base_slot = g->nslot;
    for (uint32_t i = 0; i < grp->ndefs && !failed(g); i++) {
        cdef *d = &grp->defs[i];
        use_module(g, d->m);
        g->cur_def = d;
        g->nreg = base_reg;
        g->nslot = base_slot;
        g->pos = d->r->pos;
        if (ds.on)
            label_here(g, ds.def_labels[i]);
        uint32_t next = ds.on ? ds.disp : label_new(g);
        if (!d->r->els) {
            uint32_t f = next;
            gen_params(g, d->r, false, &f);
            gen_value_def(g, d->r, res, f, early, conflict_kind);
        } else {
            /* an else chain: the first link with a solution decides */
            uint32_t chain = reg_new(g);
            uint32_t chain_base = g->nreg;
            emit(g, OP_CLEAR, chain, 0, 0, 0);
            uint32_t done = label_new(g);
            for (rule *r = d->r; r && !failed(g); r = r->els) {
                g->nvars = 0;
                g->nreg = chain_base;
                uint32_t link_next = label_new(g);
                uint32_t f = link_next;
                r->args = d->r->args; /* else links share the head's parameters */
                r->nargs = d->r->nargs;
                gen_params(g, r, false, &f);
                gen_value_def(g, r, chain, f, false, conflict_kind);
                label_here(g, link_next);
                emit(g, OP_JDEF, chain, 0, 0, done);
            }
            label_here(g, done);
            emit(g, OP_JUNDEF, chain, 0, 0, next);
            emit(g, OP_SETRES, res, chain, conflict_kind, 0);
            if (early)
                emit(g, OP_RET, res, 0, 0, 0);
        }
        if (ds.on)
            emit(g, OP_JMP, 0, 0, 0, next);
        else
            label_here(g, next);
    }
    if (ds.on)
        label_here(g, ds.done);
    uint32_t nodef = label_new(g);
    emit(g, OP_JUNDEF, res, 0, 0, nodef);
    emit(g, OP_RET, res, 0, 0, 0);
    label_here(g, nodef);
    if (grp->deflt.r && grp->deflt.r->value) {
        use_module(g, grp->deflt.m);
        g->pos = grp->deflt.r->pos;
        const val *k = cc_const_term(g->cc, grp->deflt.r->value);
        if (k) {
            emit(g, OP_LOADK, res, konst(g, k), 0, 0);
        } else {
            uint32_t f = label_new(g);
            uint32_t v = gen_term(g, grp->deflt.r->value, &f);
            emit(g, OP_MOVE, res, v, 0, 0);
            label_here(g, f);
        }
    } else if (grp->deflt.r) {
        emit(g, OP_LOADK, res, konst(g, VAL_TRUE), 0, 0);
    }
    emit(g, OP_RET, res, 0, 0, 0);
}

/* The key path of an object-group definition as terms. */
static uint32_t gen_keypath(pgen *g, cdef *d, uint32_t *fail)
{
    term *h = d->r->head;
    uint32_t nitems = h->kind == T_REF ? h->u.ref.n : 1;
    uint32_t from = d->keypath_from;
    uint32_t n = nitems > from ? nitems - from : 0;
    uint32_t tmp[32];
    if (n == 0 || n > 32) {
        gerr(g, POL_COMPILE, d->r->pos, "%s", "unsupported rule head");
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        term *k = h->kind == T_REF ? h->u.ref.items[from + i] : h;
        if (from + i == 0 && k->kind == T_VAR)
            tmp[i] = load_konst(g, konst_str(g, k->u.str.s, k->u.str.len));
        else
            tmp[i] = gen_term(g, k, fail);
    }
    uint32_t block = regs_new(g, n);
    for (uint32_t i = 0; i < n; i++)
        emit(g, OP_MOVE, block + i, tmp[i], 0, 0);
    uint32_t r = reg_new(g);
    emit(g, OP_MKARR, r, block, n, 0);
    return r;
}

bool plan_group(pol_compiler *cc, group *grp)
{
    if (grp->state == 2 || cc->failed)
        return !cc->failed;
    if (grp->proc == UINT32_MAX)
        grp->proc = proc_reserve(cc, grp->path, grp->kind == G_FUNC ? PROC_FUNC : PROC_RULE);
    if (cc->failed)
        return false;
    grp->state = 1;
    if (cc->ncompiling >= sizeof cc->compiling / sizeof cc->compiling[0]) {
        return cc_error(cc, POL_COMPILE, grp->ndefs ? grp->defs[0].r->pos : (srcpos){0},
                        "rule dependencies nested deeper than %zu",
                        sizeof cc->compiling / sizeof cc->compiling[0]);
    }
    cc->compiling[cc->ncompiling++] = grp;
    pgen *g = pgen_new(cc);
    if (!g)
        return false;
    uint32_t nparams = grp->kind == G_FUNC ? grp->arity : 0;
    g->nreg = g->maxreg = nparams;
    uint32_t res = reg_new(g);
    switch (grp->kind) {
    case G_COMPLETE: gen_complete_like(g, grp, res, CONFLICT_COMPLETE); break;
    case G_FUNC: gen_complete_like(g, grp, res, CONFLICT_FUNCTION); break;
    case G_SET:
    case G_OBJECT: {
        emit(g, grp->kind == G_SET ? OP_SETNEW : OP_OBJNEW, res, grp->kind == G_OBJECT ? 1 : 0, 0, 0);
        dispatch ds;
        dispatch_begin(g, grp, &ds);
        uint32_t base_reg = g->nreg, base_slot = g->nslot;
        for (uint32_t i = 0; i < grp->ndefs && !failed(g); i++) {
            cdef *d = &grp->defs[i];
            use_module(g, d->m);
            g->cur_def = d;
            g->nreg = base_reg;
            g->nslot = base_slot;
            g->pos = d->r->pos;
            if (ds.on)
                label_here(g, ds.def_labels[i]);
            uint32_t next = ds.on ? ds.disp : label_new(g);
            uint32_t f = gen_body(g, d->r->body, next, NULL);
            if (grp->kind == G_SET) {
                uint32_t k = d->r->key ? gen_term(g, d->r->key, &f) : load_const(g, VAL_TRUE);
                emit(g, OP_PUSH, res, k, 0, 0);
            } else {
                uint32_t path = gen_keypath(g, d, &f);
                uint32_t v = d->set_leaf   ? gen_term(g, d->r->key, &f)
                             : d->r->value ? gen_term(g, d->r->value, &f)
                                           : load_const(g, VAL_TRUE);
                uint32_t at = emit(g, OP_PUTPATH, res, path, v, 0);
                if (d->set_leaf && !failed(g))
                    g->code[at].x = 1;
            }
            emit(g, OP_JMP, 0, 0, 0, f);
            if (!ds.on)
                label_here(g, next);
        }
        if (ds.on)
            label_here(g, ds.done);
        emit(g, OP_FINISH, res, 0, 0, 0);
        emit(g, OP_RET, res, 0, 0, 0);
        break;
    }
    }
    bool ok = proc_finish(g, grp->proc, nparams);
    pgen_free(g);
    grp->state = 2;
    cc->ncompiling--;
    return ok;
}

static bool has_str(term *const *pat, uint32_t npat)
{
    for (uint32_t i = 0; i < npat; i++)
        if (pat[i]->kind == T_STR)
            return true;
    return false;
}

/* The document at rule-tree node n: an object of its children's values
 * with the base data at its path merged in. pat (npat terms) is the rest
 * of the ref that will look into it, pat[0] keying n's children: a child
 * whose key differs from a constant string there cannot be selected, so it
 * is left out rather than evaluated. That is what keeps
 * `data[x].allow.see` in package test from depending on data.test.p (and
 * from being reported recursive), as OPA's ref-unifying dependency check. */
static void namespace_body(pgen *g, rnode *n, term *const *pat, uint32_t npat, uint32_t pi)
{
    pol_compiler *cc = g->cc;
    uint32_t res = reg_new(g);
    emit(g, OP_OBJNEW, res, 0, 0, 0);
    for (uint32_t i = 0; i < n->nkids && !failed(g); i++) {
        rnode *c = n->kids[i];
        if (c->grp && c->grp->kind == G_FUNC)
            continue;
        if (npat > 0 && pat[0]->kind == T_STR &&
            (pat[0]->u.str.len != c->keylen || memcmp(pat[0]->u.str.s, c->key, c->keylen) != 0))
            continue;
        uint32_t skip = label_new(g);
        uint32_t vr = reg_new(g);
        uint32_t p;
        if (c->grp)
            p = group_proc(g, c->grp, c->grp->defs ? c->grp->defs[0].r->pos : g->pos);
        else if (npat > 0)
            p = plan_namespace_matching(cc, c, pat + 1, npat - 1);
        else
            p = plan_namespace(cc, c);
        emit(g, OP_RULE, vr, p, 0, skip);
        uint32_t kr = load_konst(g, konst_str(g, c->key, c->keylen));
        emit(g, OP_PUT, res, kr, vr, 1);
        label_here(g, skip);
    }
    /* base data at this path, read at run time so `with data…` shows; keys
     * the rules above produced win (a child namespace merges its own base) */
    const val *path = node_path(g, n, NULL, 0);
    if (!path)
        gerr(g, POL_NOMEM, g->pos, "%s", "out of memory");
    if (path) {
        const val *base = data_path_value(cc, path);
        uint32_t br = reg_new(g);
        uint32_t skip = label_new(g);
        emit(g, OP_DATA, br, konst(g, path), base ? konst(g, base) : K_NONE, skip);
        emit(g, OP_PUTALL, res, br, 0, 0);
        label_here(g, skip);
    }
    emit(g, OP_FINISH, res, 0, 0, 0);
    emit(g, OP_RET, res, 0, 0, 0);
    proc_finish(g, pi, 0);
}

uint32_t plan_namespace(pol_compiler *cc, rnode *n)
{
    if (n->ns_proc != UINT32_MAX)
        return n->ns_proc;
    n->ns_proc = proc_reserve(cc, n->path, PROC_RULE);
    uint32_t pi = n->ns_proc;
    pgen *g = pgen_new(cc);
    if (!g)
        return pi;
    namespace_body(g, n, NULL, 0, pi);
    pgen_free(g);
    return pi;
}

/* n's document for a ref that continues with pat: pruned to the children
 * the ref can select when pat names any key, else the whole (shared) one. */
static uint32_t plan_namespace_matching(pol_compiler *cc, rnode *n, term *const *pat, uint32_t npat)
{
    if (!has_str(pat, npat))
        return plan_namespace(cc, n);
    uint32_t pi = proc_reserve(cc, n->path, PROC_RULE);
    pgen *g = pgen_new(cc);
    if (!g)
        return pi;
    namespace_body(g, n, pat, npat, pi);
    pgen_free(g);
    return pi;
}

/* ---- entrypoints and queries ------------------------------------------- */

static bool plan_entry(pol_compiler *cc, centry *e)
{
    uint32_t pi = proc_reserve(cc, e->name, PROC_RULE);
    pgen *g = pgen_new(cc);
    if (!g)
        return false;
    use_module(g, NULL);
    g->pos = e->ref->pos;
    uint32_t undef = label_new(g);
    uint32_t f = undef;
    uint32_t r = gen_term(g, e->ref, &f);
    emit(g, OP_RET, r, 0, 0, 0);
    label_here(g, undef);
    uint32_t u = reg_new(g);
    emit(g, OP_CLEAR, u, 0, 0, 0);
    emit(g, OP_RET, u, 0, 0, 0);
    bool ok = proc_finish(g, pi, 0);
    pgen_free(g);
    entrypoint ep = {e->name, pi, false};
    return ok && CC_PUSH(cc->eps, ep);
}

static const val *str_const(pol_compiler *cc, const char *s)
{
    return v_str(cc->pmem, s, strlen(s));
}

/* Byte offset of line:col in text (1-based). */
static size_t offset_of(const char *text, uint32_t line, uint32_t col)
{
    size_t off = 0;
    for (uint32_t l = 1; l < line && text[off]; off++)
        if (text[off] == '\n')
            l++;
    return off + (col ? col - 1 : 0);
}

static const val *literal_text(pol_compiler *cc, const cquery *q, uint32_t i)
{
    const body *b = q->body;
    size_t len = strlen(q->text);
    size_t from = offset_of(q->text, b->lits[i]->pos.line, b->lits[i]->pos.col);
    size_t to = i + 1 < b->n ? offset_of(q->text, b->lits[i + 1]->pos.line, b->lits[i + 1]->pos.col) : len;
    if (from > len)
        from = len;
    if (to > len || to < from)
        to = len;
    while (to > from && (q->text[to - 1] == ' ' || q->text[to - 1] == '\t' || q->text[to - 1] == '\n' ||
                         q->text[to - 1] == ';' || q->text[to - 1] == '\r'))
        to--;
    return v_str(cc->pmem, q->text + from, to - from);
}

typedef struct qvar {
    const char *name;
    uint32_t len;
} qvar;

static void collect_query_vars(const term *t, qvar *out, uint32_t *n, uint32_t cap);

static void collect_body_vars(const body *b, qvar *out, uint32_t *n, uint32_t cap)
{
    for (uint32_t i = 0; b && i < b->n; i++) {
        const expr *e = b->lits[i]->expr;
        if (b->lits[i]->negated)
            continue;
        const term *ts[] = {e->lhs, e->rhs, e->key, e->value};
        for (size_t j = 0; j < 4; j++)
            if (ts[j])
                collect_query_vars(ts[j], out, n, cap);
        for (uint32_t j = 0; j < e->nvars; j++)
            collect_query_vars(e->vars[j], out, n, cap);
    }
}

typedef struct qvar_set {
    qvar *out;
    uint32_t *n, cap;
} qvar_set;

static bool collect_child(void *set, const term *child)
{
    qvar_set *qs = set;
    collect_query_vars(child, qs->out, qs->n, qs->cap);
    return true;
}

/* The user's variables in t, in order of appearance (comprehension
 * variables are local to them, generated ones are not reported). */
static void collect_query_vars(const term *t, qvar *out, uint32_t *n, uint32_t cap)
{
    if (is_comprehension(t))
        return;
    if (t->kind != T_VAR) {
        qvar_set qs = {out, n, cap};
        each_child(t, collect_child, &qs);
        return;
    }
    const char *s = t->u.str.s;
    uint32_t len = t->u.str.len;
    if ((len >= 2 && s[0] == '_' && s[1] == '$') || (len == 1 && s[0] == '_') ||
        (len >= 8 && memcmp(s, "__localq", 8) == 0) || name_is(t, "input") || name_is(t, "data"))
        return;
    for (uint32_t i = 0; i < *n; i++)
        if (out[i].len == len && memcmp(out[i].name, s, len) == 0)
            return;
    if (*n < cap) {
        out[*n].name = s;
        out[*n].len = len;
        (*n)++;
    }
}

static int qvar_cmp(const void *a, const void *b)
{
    const qvar *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    return c ? c : (int)x->len - (int)y->len;
}

static bool plan_query(pol_compiler *cc, cquery *q)
{
    uint32_t pi = proc_reserve(cc, q->name, PROC_QUERY);
    pgen *g = pgen_new(cc);
    if (!g)
        return false;
    use_module(g, NULL);
    body *b = q->body;
    g->pos = b->pos;
    uint32_t rows = reg_new(g);
    emit(g, OP_ARRNEW, rows, 0, 0, 0);
    uint32_t done = label_new(g);
    uint32_t *valregs = ast_alloc(g, sizeof *valregs * (b->n + 1));
    if (!valregs) {
        pgen_free(g);
        return false;
    }
    for (uint32_t i = 0; i <= b->n; i++)
        valregs[i] = NO_REG;
    g->query_top = b;
    uint32_t f = gen_body(g, b, done, valregs);
    g->query_top = NULL;

    /* one row per solution: expressions (value, text, location), bindings */
    uint32_t nexpr = b->n;
    uint32_t *exprs = ast_alloc(g, sizeof *exprs * (nexpr + 1));
    for (uint32_t i = 0; exprs && i < nexpr && !failed(g); i++) {
        const literal *l = b->lits[i];
        uint32_t blk = regs_new(g, 6);
        emit(g, OP_LOADK, blk, konst(g, str_const(cc, "location")), 0, 0);
        vbuild lb;
        vb_init(&lb, cc->pmem);
        vb_put(&lb, str_const(cc, "col"), v_int(cc->pmem, l->pos.col));
        vb_put(&lb, str_const(cc, "row"), v_int(cc->pmem, l->pos.line));
        emit(g, OP_LOADK, blk + 1, konst(g, vb_finish_object(&lb, NULL)), 0, 0);
        emit(g, OP_LOADK, blk + 2, konst(g, str_const(cc, "text")), 0, 0);
        emit(g, OP_LOADK, blk + 3, konst(g, literal_text(cc, q, i)), 0, 0);
        emit(g, OP_LOADK, blk + 4, konst(g, str_const(cc, "value")), 0, 0);
        if (valregs[i] != NO_REG)
            emit(g, OP_MOVE, blk + 5, valregs[i], 0, 0);
        else
            emit(g, OP_LOADK, blk + 5, konst(g, VAL_TRUE), 0, 0);
        exprs[i] = reg_new(g);
        emit(g, OP_MKOBJ, exprs[i], blk, 3, 0);
    }
    uint32_t eblk = regs_new(g, nexpr);
    for (uint32_t i = 0; exprs && i < nexpr; i++)
        emit(g, OP_MOVE, eblk + i, exprs[i], 0, 0);
    uint32_t earr = reg_new(g);
    emit(g, OP_MKARR, earr, eblk, nexpr, 0);

    qvar vars[256];
    uint32_t nv = 0;
    collect_body_vars(b, vars, &nv, 256);
    qsort(vars, nv, sizeof *vars, qvar_cmp);
    uint32_t nbound = 0;
    uint32_t *vregs = ast_alloc(g, sizeof *vregs * (nv + 1));
    const val **vnames = ast_alloc(g, sizeof *vnames * (nv + 1));
    for (uint32_t i = 0; vregs && vnames && i < nv; i++) {
        lvar *lv = var_find(g, vars[i].name, vars[i].len);
        if (lv && lv->bound) {
            vregs[nbound] = lv->reg;
            vnames[nbound++] = v_str(cc->pmem, vars[i].name, vars[i].len);
        }
    }
    uint32_t row_pairs = nbound ? 2 : 1;
    uint32_t rblk = regs_new(g, 2 * row_pairs);
    uint32_t k = 0;
    if (nbound) {
        uint32_t bblk = regs_new(g, 2 * nbound);
        for (uint32_t i = 0; i < nbound; i++) {
            emit(g, OP_LOADK, bblk + 2 * i, konst(g, vnames[i]), 0, 0);
            emit(g, OP_MOVE, bblk + 2 * i + 1, vregs[i], 0, 0);
        }
        uint32_t bobj = reg_new(g);
        emit(g, OP_MKOBJ, bobj, bblk, nbound, 0);
        emit(g, OP_LOADK, rblk, konst(g, str_const(cc, "bindings")), 0, 0);
        emit(g, OP_MOVE, rblk + 1, bobj, 0, 0);
        k = 2;
    }
    emit(g, OP_LOADK, rblk + k, konst(g, str_const(cc, "expressions")), 0, 0);
    emit(g, OP_MOVE, rblk + k + 1, earr, 0, 0);
    uint32_t row = reg_new(g);
    emit(g, OP_MKOBJ, row, rblk, row_pairs, 0);
    emit(g, OP_PUSH, rows, row, 0, 0);
    emit(g, OP_JMP, 0, 0, 0, f);
    label_here(g, done);
    emit(g, OP_FINISH, rows, 0, 0, 0);
    emit(g, OP_RET, rows, 0, 0, 0);
    bool ok = proc_finish(g, pi, 0);
    pgen_free(g);
    entrypoint ep = {q->name, pi, true};
    return ok && CC_PUSH(cc->eps, ep);
}

static bool plan_tree(pol_compiler *cc, rnode *n)
{
    if (n->grp && !plan_group(cc, n->grp))
        return false;
    for (uint32_t i = 0; i < n->nkids; i++)
        if (!plan_tree(cc, n->kids[i]))
            return false;
    return true;
}

bool plan_all(pol_compiler *cc)
{
    if (!fold_init(cc) || !plan_tree(cc, cc->root))
        return false;
    for (uint32_t i = 0; i < cc->entries.n; i++)
        if (!plan_entry(cc, &cc->entries.v[i]))
            return false;
    for (uint32_t i = 0; i < cc->queries.n; i++)
        if (!plan_query(cc, &cc->queries.v[i]))
            return false;
    return !cc->failed;
}
