/* Constant folding: a builtin call whose operands are all constants is run
 * at compile time and replaced by its value (plan.c decides which terms
 * are constant; this file decides whether a builtin may run now, runs it
 * and keeps the result).
 *
 * Folding must not change what an evaluation returns or reports, so a call
 * is folded only when all of these hold:
 *  - the builtin reads nothing but its operands: not BIF_NONDET (clock,
 *    randomness, I/O) and not BIF_ENV (time zones, regex limits, the
 *    evaluation's clock), and not a relation (walk);
 *  - no `with` anywhere in the policy names it. A function mock applies to
 *    every call the modified literal reaches, through any number of rules
 *    and functions, so "replaced somewhere" is the only test that is
 *    exact without whole-program analysis;
 *  - the call succeeds now. An error or an undefined result is left to run
 *    time, which reports it as it always did, in strict mode or not (OPA's
 *    conformance cases expect `1 / 0` and friends to fail when evaluated);
 *  - it fits in FOLD_SCRATCH_BYTES. A call that needs more work space or
 *    produces a larger value (numbers.range(1, 1e9)) is left to run time,
 *    which bounds compile time and keeps large constants out of the bundle.
 */
#include <string.h>

#include "../stdlib/builtins.h"
#include "compiler.h"

/* Scratch for one compile-time builtin call, reused by the next. 256 KiB
 * holds any result worth embedding (about 10 000 small values). */
#define FOLD_SCRATCH_BYTES (256u * 1024u)

/* ---- which builtins a `with` replaces -------------------------------------- */

static void mock_scan_body(pol_compiler *cc, const body *b);

static void mock_scan_term(pol_compiler *cc, const term *t)
{
    if (!t)
        return;
    switch (t->kind) {
    case T_REF:
        for (uint32_t i = 0; i < t->u.ref.n; i++)
            mock_scan_term(cc, t->u.ref.items[i]);
        break;
    case T_ARRAY:
    case T_SET:
        for (uint32_t i = 0; i < t->u.coll.n; i++)
            mock_scan_term(cc, t->u.coll.items[i]);
        break;
    case T_OBJECT:
        for (uint32_t i = 0; i < t->u.obj.n; i++) {
            mock_scan_term(cc, t->u.obj.keys[i]);
            mock_scan_term(cc, t->u.obj.vals[i]);
        }
        break;
    case T_CALL:
        for (uint32_t i = 0; i < t->u.call.nargs; i++)
            mock_scan_term(cc, t->u.call.args[i]);
        break;
    case T_ARRCOMP:
    case T_SETCOMP:
    case T_OBJCOMP:
        mock_scan_term(cc, t->u.comp.key);
        mock_scan_term(cc, t->u.comp.head);
        mock_scan_body(cc, t->u.comp.body);
        break;
    case T_TEMPLATE:
        for (uint32_t i = 0; i < t->u.tmpl.n; i++)
            mock_scan_term(cc, t->u.tmpl.parts[i]);
        break;
    default: break;
    }
}

/* Marks the builtin a with-target names (`count`, `time.now_ns`). A target
 * that is not a plain dotted name, or names no builtin, replaces input,
 * data, a rule or a user function: nothing to mark. */
static void mock_mark_target(pol_compiler *cc, const term *target)
{
    char name[256];
    size_t n = 0;
    const term *const *items = target->kind == T_REF ? (const term *const *)target->u.ref.items : &target;
    uint32_t count = target->kind == T_REF ? target->u.ref.n : 1;
    for (uint32_t i = 0; i < count; i++) {
        const term *p = items[i];
        if ((p->kind != T_VAR && p->kind != T_STR) || n + p->u.str.len + 2 > sizeof name) {
            cc->with_beyond_input |= !(i > 0 && items[0]->kind == T_VAR && items[0]->u.str.len == 5 &&
                                       memcmp(items[0]->u.str.s, "input", 5) == 0);
            return;
        }
        if (i)
            name[n++] = '.';
        memcpy(name + n, p->u.str.s, p->u.str.len);
        n += p->u.str.len;
    }
    int bid = bi_lookup(name, n);
    if (bid >= 0)
        cc->bi_mocked[bid] = 1;
    else if (!(n >= 5 && memcmp(name, "input", 5) == 0 && (n == 5 || name[5] == '.')))
        cc->with_beyond_input = true; /* data, a rule or a function */
}

static void mock_scan_body(pol_compiler *cc, const body *b)
{
    for (uint32_t i = 0; b && i < b->n; i++) {
        const literal *l = b->lits[i];
        for (uint32_t j = 0; j < l->nwith; j++) {
            mock_mark_target(cc, l->withs[j].target);
            mock_scan_term(cc, l->withs[j].value);
        }
        const expr *e = l->expr;
        mock_scan_term(cc, e->lhs);
        mock_scan_term(cc, e->rhs);
        mock_scan_term(cc, e->key);
        mock_scan_term(cc, e->value);
        mock_scan_term(cc, e->coll);
        mock_scan_body(cc, e->body);
    }
}

static void mock_scan_rule(pol_compiler *cc, const rule *r)
{
    for (; r; r = r->els) {
        mock_scan_term(cc, r->head);
        for (uint32_t i = 0; i < r->nargs; i++)
            mock_scan_term(cc, r->args[i]);
        mock_scan_term(cc, r->value);
        mock_scan_term(cc, r->key);
        mock_scan_body(cc, r->body);
    }
}

bool fold_init(pol_compiler *cc)
{
    cc->bi_mocked = arena_alloc(&cc->ast, BI_COUNT);
    cc->fold_scratch = arena_alloc(&cc->ast, FOLD_SCRATCH_BYTES);
    if (!cc->bi_mocked || !cc->fold_scratch) {
        srcpos none = {0};
        return cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
    }
    memset(cc->bi_mocked, 0, BI_COUNT);
    cc->with_beyond_input = false;
    for (uint32_t i = 0; i < cc->mods.n; i++)
        for (uint32_t j = 0; j < cc->mods.v[i]->nrules; j++)
            mock_scan_rule(cc, cc->mods.v[i]->rules[j]);
    for (uint32_t i = 0; i < cc->queries.n; i++)
        mock_scan_body(cc, cc->queries.v[i].body);
    return true;
}

/* ---- running a builtin at compile time -------------------------------------- */

bool fold_builtin_allowed(const pol_compiler *cc, int bid)
{
    if (bid < 0 || bid >= BI_COUNT || !cc->bi_mocked || cc->bi_mocked[bid])
        return false;
    return (bi_table[bid].flags & (BIF_NONDET | BIF_ENV | BIF_RELATION | BIF_TEST)) == 0;
}

/* A deep copy of x into a (the builtin's result lives in the scratch,
 * which the next fold reuses). */
static const val *copy_value(arena *a, const val *x)
{
    switch (x->type) {
    case V_NULL: return VAL_NULL;
    case V_BOOL: return VAL_BOOL(x->u.b);
    case V_STR: return v_str(a, x->u.s, x->len);
    case V_NUM: {
        val *n = arena_alloc(a, sizeof *n);
        if (!n)
            return NULL;
        *n = *x;
        if (x->nk == NUM_BIG) {
            char *text = arena_alloc(a, (size_t)x->len + 1);
            if (!text)
                return NULL;
            memcpy(text, x->u.s, x->len);
            text[x->len] = 0;
            n->u.s = text;
        }
        return n;
    }
    case V_ARR:
    case V_SET:
    case V_OBJ: {
        /* elements (and keys) are already in canonical order: copied as is */
        val *c = arena_alloc(a, sizeof *c);
        const val **k = arena_alloc(a, sizeof *k * ((size_t)x->len + 1));
        const val **v = x->type == V_OBJ ? arena_alloc(a, sizeof *v * ((size_t)x->len + 1)) : NULL;
        if (!c || !k || (x->type == V_OBJ && !v))
            return NULL;
        *c = *x;
        const val *const *from = x->type == V_OBJ ? x->u.o.k : x->u.a;
        for (uint32_t i = 0; i < x->len; i++) {
            if (!(k[i] = copy_value(a, from[i])))
                return NULL;
            if (v && !(v[i] = copy_value(a, x->u.o.v[i])))
                return NULL;
        }
        if (x->type == V_OBJ) {
            c->u.o.k = k;
            c->u.o.v = v;
        } else {
            c->u.a = k;
        }
        return c;
    }
    default: return NULL;
    }
}

const val *fold_builtin(pol_compiler *cc, int bid, const val *const *args)
{
    if (!fold_builtin_allowed(cc, bid))
        return NULL;
    arena scratch;
    arena_init_fixed(&scratch, cc->fold_scratch, FOLD_SCRATCH_BYTES);
    bi_ctx bc;
    memset(&bc, 0, sizeof bc);
    bc.arena = &scratch;
    const val *out = NULL;
    if (bi_table[bid].fn(&bc, args, &out) != BI_OK || !out)
        return NULL;
    const val *kept = copy_value(cc->pmem, out);
    if (!kept) {
        srcpos none = {0};
        cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
    }
    return kept;
}
