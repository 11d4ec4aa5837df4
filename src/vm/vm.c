/* The interpreter: one dispatch loop over fixed-width instructions.
 *
 * Control flow is only "fall through", JMP, and jump-on-failure (operand
 * d), so a procedure's frame is just registers and iterator slots. A rule's
 * first read runs the rule in the same loop (c->frames); function calls
 * and overridden reads recurse through vm_call on the C stack. Both are
 * bounded by opt.max_depth. Slow paths (calls, with-overrides, errors) live in static
 * functions so the loop's cases stay short.
 */
#include "vm.h"

#include <stdio.h>
#include <string.h>

/* Builders are arena objects that masquerade as values in registers until
 * FINISH publishes the real value; the flag tells them apart so a stray
 * builder (a compiler bug or a hostile bundle) is an error, not a crash. */
enum { VF_BUILDER = 0x8000, VF_SETLEAF = 0x4000 };
enum { BK_ARRAY, BK_SET, BK_OBJECT, BK_OBJRULE };

typedef struct builder {
    val v; /* first: a builder pointer is also a val pointer */
    uint8_t kind;
    vbuild b;
} builder;

#define SMALL_INTS 64
#define I1(n)                                                                                                \
    {                                                                                                        \
        .type = V_NUM, .nk = NUM_INT, .u.i = (n)                                                             \
    }
#define I4(n) I1(n), I1(n + 1), I1(n + 2), I1(n + 3)
#define I16(n) I4(n), I4(n + 4), I4(n + 8), I4(n + 12)
/* The dispatch loop in vm_call is one large function: every path that
 * stays in it competes for the registers of the hot handlers. Error
 * reporting, overrides, with-modifiers and the rarer instructions live
 * out of line (VM_COLD); so do helpers of warm handlers whose inlined
 * bodies cost the loop more than their call (VM_NOINLINE). */
#if defined(__GNUC__)
#define VM_COLD __attribute__((noinline, cold))
#define VM_NOINLINE __attribute__((noinline))
#else
#define VM_COLD
#define VM_NOINLINE
#endif

static const val small_ints[SMALL_INTS] = {I16(0), I16(16), I16(32), I16(48)};

static const val *int_val(pol_ctx *c, int64_t i)
{
    if (i >= 0 && i < SMALL_INTS)
        return &small_ints[i];
    return v_int(&c->arena, i);
}

VM_COLD static pol_status set_error(pol_ctx *c, pol_status code, const srcloc *loc, const char *fmt,
                                    const char *arg)
{
    if (c->status != POL_OK)
        return c->status;
    if (c->deferred != POL_OK)
        return c->status = c->deferred; /* keeps the builtin error's message */
    c->status = code;
    snprintf(c->errmsg, sizeof c->errmsg, fmt, arg);
    if (loc)
        c->errloc = *loc;
    else
        memset(&c->errloc, 0, sizeof c->errloc);
    return code;
}

VM_COLD static const srcloc *loc_of(const pol_ctx *c, uint32_t pc)
{
    return c->prog->loc ? &c->prog->loc[pc] : NULL;
}

VM_COLD static pol_status oom(pol_ctx *c, uint32_t pc)
{
    return set_error(c, POL_LIMIT_ARENA, loc_of(c, pc), "%s",
                     "evaluation arena exhausted (raise pol_ctx_options.arena_bytes)");
}

/* ---- builders ---------------------------------------------------------- */

/* Room for a first few members comes in the builder's own block: most
 * comprehensions and partial rules collect a handful. */
enum { BUILDER_FIRST_CAP = 8 };

static inline void coll_set(val *v, vtype t, uint16_t flags, uint32_t len, const val *const *first,
                            const val *const *second);

static const val *builder_new(pol_ctx *c, uint8_t kind)
{
    bool pairs = kind != BK_ARRAY && kind != BK_SET;
    builder *b =
        arena_alloc(&c->arena, sizeof *b + sizeof(const val *) * BUILDER_FIRST_CAP * (pairs ? 2 : 1));
    if (!b)
        return NULL;
    coll_set(&b->v, kind == BK_ARRAY ? V_ARR : kind == BK_SET ? V_SET : V_OBJ, VF_BUILDER, 0, NULL, NULL);
    b->kind = kind;
    vb_init_room(&b->b, &c->arena, (const val **)(void *)(b + 1), BUILDER_FIRST_CAP, pairs);
    return &b->v;
}

/* OPA's merge of a base document into the virtual one read at the same
 * path (topdown's mergeObjects with base first): where both hold a key,
 * two objects merge recursively and otherwise the base value wins. NULL
 * when the arena is full. Depth is bounded by the values' own nesting. */
VM_COLD static const val *merge_base_obj(arena *a, const val *base, const val *virt)
{
    vbuild out;
    vb_init(&out, a);
    uint32_t i = 0, j = 0;
    while (i < base->len || j < virt->len) {
        int cmp = i == base->len ? 1 : j == virt->len ? -1 : val_compare(base->u.o.k[i], virt->u.o.k[j]);
        const val *k, *v;
        if (cmp < 0) {
            k = base->u.o.k[i];
            v = base->u.o.v[i++];
        } else if (cmp > 0) {
            k = virt->u.o.k[j];
            v = virt->u.o.v[j++];
        } else {
            k = base->u.o.k[i];
            v = base->u.o.v[i];
            if (v->type == V_OBJ && virt->u.o.v[j]->type == V_OBJ &&
                !(v = merge_base_obj(a, v, virt->u.o.v[j])))
                return NULL;
            i++;
            j++;
        }
        if (!vb_put(&out, k, v))
            return NULL;
    }
    return vb_finish_object(&out, NULL);
}

/* PUTALL: merges base object o into the namespace builder nb (unsorted,
 * unique keys) with merge_base_obj's rule. False when the arena is full. */
VM_COLD static bool put_base(arena *a, vbuild *nb, const val *o)
{
    uint32_t have = nb->n;
    for (uint32_t i = 0; i < o->len; i++) {
        uint32_t j = 0;
        while (j < have && !val_equal(nb->k[j], o->u.o.k[i]))
            j++;
        if (j == have) {
            if (!vb_put(nb, o->u.o.k[i], o->u.o.v[i]))
                return false;
        } else if (o->u.o.v[i]->type == V_OBJ && nb->v[j]->type == V_OBJ) {
            const val *m = merge_base_obj(a, o->u.o.v[i], nb->v[j]);
            if (!m)
                return false;
            nb->v[j] = m;
        } else {
            nb->v[j] = o->u.o.v[i];
        }
    }
    return true;
}

static builder *as_builder(const val *v)
{
    return v && (v->flags & VF_BUILDER) ? (builder *)(uintptr_t)v : NULL;
}

/* Object rules with ref heads insert at key paths; this folds the sorted
 * (path, value) pairs into nested objects, reporting conflicts. */
VM_COLD static const val *objrule_build(pol_ctx *c, const val *const *paths, const val *const *vals,
                                        uint32_t n, uint32_t depth, bool *conflict)
{
    vbuild out;
    vb_init(&out, &c->arena);
    uint32_t i = 0;
    while (i < n) {
        const val *key = paths[i]->u.a[depth];
        uint32_t j = i + 1;
        while (j < n && val_equal(paths[j]->u.a[depth], key))
            j++;
        const val *v;
        bool leaf = paths[i]->len == depth + 1;
        if (leaf && (vals[i]->flags & VF_SETLEAF)) {
            /* a set leaf: the union of every element put there */
            vbuild set;
            vb_init(&set, &c->arena);
            for (uint32_t q = i; q < j; q++) {
                if (paths[q]->len != depth + 1 || !(vals[q]->flags & VF_SETLEAF)) {
                    *conflict = true;
                    return NULL;
                }
                if (!vb_push(&set, vals[q]->u.a[0]))
                    return NULL;
            }
            v = vb_finish_set(&set);
            if (!v)
                return NULL;
        } else if (leaf) {
            /* all pairs in [i, j) must be leaves with one value */
            v = vals[i];
            for (uint32_t q = i + 1; q < j; q++) {
                if (paths[q]->len != depth + 1 || !val_equal(vals[q], v)) {
                    *conflict = true;
                    return NULL;
                }
            }
        } else {
            for (uint32_t q = i; q < j; q++) {
                if (paths[q]->len == depth + 1) {
                    *conflict = true;
                    return NULL;
                }
            }
            v = objrule_build(c, paths + i, vals + i, j - i, depth + 1, conflict);
            if (!v)
                return NULL;
        }
        if (!vb_put(&out, key, v))
            return NULL;
        i = j;
    }
    return vb_finish_object(&out, conflict);
}

typedef struct path_pair {
    const val *path, *value;
} path_pair;

static int cmp_path_pair(const void *x, const void *y);

VM_NOINLINE static const val *builder_finish(pol_ctx *c, builder *b, bool *conflict)
{
    switch (b->kind) {
    case BK_ARRAY: return vb_finish_array(&b->b);
    case BK_SET: return vb_finish_set(&b->b);
    case BK_OBJECT: return vb_finish_object(&b->b, conflict);
    default: {
        /* (path, value) pairs sorted by path, so equal prefixes are adjacent */
        uint32_t n = b->b.n;
        if (n == 0)
            return &val_empty_obj_c;
        path_pair *pairs = arena_alloc(&c->arena, sizeof *pairs * n);
        const val **k = b->b.k, **v = b->b.v;
        if (!pairs)
            return NULL;
        for (uint32_t i = 0; i < n; i++) {
            pairs[i].path = b->b.k[i];
            pairs[i].value = b->b.v[i];
        }
        pol_sort(pairs, n, sizeof *pairs, cmp_path_pair);
        for (uint32_t i = 0; i < n; i++) {
            k[i] = pairs[i].path;
            v[i] = pairs[i].value;
        }
        return objrule_build(c, k, v, n, 0, conflict);
    }
    }
}

static int cmp_path_pair(const void *x, const void *y)
{
    const val *a = ((const path_pair *)x)->path, *b = ((const path_pair *)y)->path;
    uint32_t n = a->len < b->len ? a->len : b->len;
    for (uint32_t i = 0; i < n; i++) {
        int r = val_compare(a->u.a[i], b->u.a[i]);
        if (r)
            return r;
    }
    return (int)a->len - (int)b->len;
}

const val *val_index_data(const val *coll, const val *key)
{
    const val *v = val_index(coll, key);
    if (v || coll->type != V_OBJ || key->type != V_NUM)
        return v;
    char text[64];
    sbuf b;
    sb_init(&b, text, sizeof text);
    json_write_number(&b, key);
    return sb_ok(&b) ? val_obj_get_str(coll, text, b.len) : NULL;
}

/* ---- with-overrides ---------------------------------------------------- */

const val *val_with_path(arena *a, const val *root, const val *path, uint32_t depth, const val *x)
{
    if (depth >= path->len)
        return x;
    const val *key = path->u.a[depth];
    const val *child = (root && root->type == V_OBJ) ? val_obj_get(root, key) : NULL;
    const val *nv = val_with_path(a, child, path, depth + 1, x);
    if (!nv)
        return NULL;
    vbuild b;
    vb_init(&b, a);
    if (root && root->type == V_OBJ) {
        for (uint32_t i = 0; i < root->len; i++)
            if (!val_equal(root->u.o.k[i], key) && !vb_put(&b, root->u.o.k[i], root->u.o.v[i]))
                return NULL;
    }
    if (!vb_put(&b, key, nv))
        return NULL;
    return vb_finish_object(&b, NULL);
}

VM_COLD static pol_status with_push(pol_ctx *c, const insn *in, const val *value, uint32_t pc)
{
    if (c->nwith >= POL_MAX_WITH || c->nover >= POL_MAX_WITH)
        return set_error(c, POL_LIMIT_DEPTH, loc_of(c, pc), "%s", "too many nested with modifiers");
    uint32_t np = c->prog->nprocs;
    with_frame *f = &c->withs[c->nwith];
    f->input = c->input;
    f->data = c->data;
    f->nover = c->nover;
    f->memo = arena_alloc(&c->arena, sizeof *f->memo * (np ? np : 1));
    f->memo_state = arena_alloc(&c->arena, np ? np : 1);
    if (!f->memo || !f->memo_state)
        return oom(c, pc);
    memcpy(f->memo, c->memo, sizeof *f->memo * np);
    memcpy(f->memo_state, c->memo_state, np);
    /* Memoised rule values may depend on what is being replaced: forget
     * them for the scope of the modifier (restored on pop). */
    memset(c->memo_state, MEMO_NONE, np);
    c->nwith++;
    if (in->op == OP_WITHFN) {
        override *o = &c->over[c->nover++];
        o->kind = (uint8_t)(0x80 | in->a);
        o->target = in->b;
        o->repl = in->d;
        o->value = NULL;
        o->busy = false;
        return POL_OK;
    }
    switch (in->a) {
    case WITH_INPUT:
    case WITH_DATA: {
        const val *path = c->prog->k[in->b];
        const val *base = in->a == WITH_INPUT ? c->input : c->data;
        const val *nv = val_with_path(&c->arena, base, path, 0, value);
        if (!nv)
            return oom(c, pc);
        if (in->a == WITH_INPUT)
            c->input = nv;
        else
            c->data = nv;
        return POL_OK;
    }
    default: {
        override *o = &c->over[c->nover++];
        o->kind = (uint8_t)in->a;
        o->target = in->d;
        o->repl = 0;
        o->value = value;
        o->busy = false;
        return POL_OK;
    }
    }
}

VM_COLD static void with_pop(pol_ctx *c, uint32_t n)
{
    while (n-- && c->nwith) {
        with_frame *f = &c->withs[--c->nwith];
        c->input = f->input;
        c->data = f->data;
        c->nover = f->nover;
        memcpy(c->memo, f->memo, sizeof *c->memo * c->prog->nprocs);
        memcpy(c->memo_state, f->memo_state, c->prog->nprocs);
    }
}

/* The innermost override for a builtin or proc, or NULL. */
VM_COLD static const override *find_override(const pol_ctx *c, bool builtin, uint32_t id)
{
    for (uint32_t i = c->nover; i-- > 0;) {
        const override *o = &c->over[i];
        bool ob;
        if (o->busy)
            continue;
        bool fn_kind = (o->kind & 0x80) || o->kind == WITH_BUILTIN_VALUE || o->kind == WITH_PROC_VALUE;
        if (fn_kind && i < c->mock_floor)
            continue;
        if (o->kind & 0x80) {
            uint8_t k = o->kind & 0x7f;
            ob = k == WITHFN_BUILTIN_BY_PROC || k == WITHFN_BUILTIN_BY_BUILTIN;
        } else if (o->kind == WITH_BUILTIN_VALUE) {
            ob = true;
        } else if (o->kind == WITH_PROC_VALUE || o->kind == WITH_RULE) {
            ob = false;
        } else {
            continue;
        }
        if (ob == builtin && o->target == id)
            return o;
    }
    return NULL;
}

/* ---- calls ------------------------------------------------------------- */

/* What a builtin's status means for the call: its value, undefined, or an
 * error (fatal, deferred in strict mode, or else undefined). */
VM_COLD static pol_status builtin_outcome(pol_ctx *c, bi_status st, const val **out, uint32_t pc)
{
    if (st == BI_OK)
        return *out ? POL_OK : POL_UNDEFINED;
    *out = NULL;
    if (st == BI_UNDEF)
        return POL_UNDEFINED;
    pol_status code = c->bi.err_code ? c->bi.err_code : POL_EVAL_BUILTIN;
    bool fatal = code == POL_LIMIT_ARENA || code == POL_NOMEM || code == POL_LIMIT_INSTRUCTIONS ||
                 code == POL_LIMIT_DEPTH || code == POL_EVAL_CONFLICT;
    if (fatal)
        return set_error(c, code, loc_of(c, pc), "%s", c->bi.err_msg);
    if (c->strict && c->deferred == POL_OK) {
        set_error(c, code, loc_of(c, pc), "%s", c->bi.err_msg);
        c->deferred = code;
        c->status = POL_OK;
    }
    return POL_UNDEFINED;
}

VM_COLD static pol_status call_builtin_raw(pol_ctx *c, uint32_t id, const val *const *args, const val **out,
                                           uint32_t pc)
{
    c->bi.err_code = POL_OK;
    return builtin_outcome(c, bi_table[id].fn(&c->bi, args, out), out, pc);
}

static pol_status call_proc(pol_ctx *c, uint32_t proc, const val *const *args, const val **out, uint32_t pc);

/* A mock runs with its own override switched off, so a mock that calls
 * the function it replaces reaches the original (as OPA does). */
VM_COLD static pol_status call_replacement(pol_ctx *c, override *o, const val *const *args, const val **out,
                                           uint32_t pc)
{
    (void)pc;
    uint32_t saved_floor = c->mock_floor;
    o->busy = true;
    c->mock_floor = c->nover;
    pol_status st = vm_call(c, o->repl, args, out);
    c->mock_floor = saved_floor;
    o->busy = false;
    if (st != POL_OK)
        return st;
    return *out ? POL_OK : POL_UNDEFINED;
}

VM_COLD static pol_status call_builtin(pol_ctx *c, uint32_t id, const val *const *args, const val **out,
                                       uint32_t pc)
{
    if (c->nover) {
        const override *o = find_override(c, true, id);
        if (o) {
            /* A value override (the kind tells, not the value: a hostile
             * bundle can give an undefined one, which makes the call
             * undefined rather than a call of a replacement it has none of) */
            if (!(o->kind & 0x80)) {
                *out = o->value;
                return o->value ? POL_OK : POL_UNDEFINED;
            }
            uint8_t k = o->kind & 0x7f;
            if (k == WITHFN_BUILTIN_BY_PROC)
                return call_replacement(c, (override *)(uintptr_t)o, args, out, pc);
            id = o->repl;
        }
    }
    return call_builtin_raw(c, id, args, out, pc);
}

static pol_status call_proc(pol_ctx *c, uint32_t proc, const val *const *args, const val **out, uint32_t pc)
{
    if (c->nover) {
        const override *o = find_override(c, false, proc);
        if (o && o->kind != WITH_RULE) {
            if (!(o->kind & 0x80)) { /* a value override, as in call_builtin */
                *out = o->value;
                return o->value ? POL_OK : POL_UNDEFINED;
            }
            uint8_t k = o->kind & 0x7f;
            if (k == WITHFN_PROC_BY_BUILTIN)
                return call_builtin_raw(c, o->repl, args, out, pc);
            return call_replacement(c, (override *)(uintptr_t)o, args, out, pc);
        }
    }
    pol_status st = vm_call(c, proc, args, out);
    if (st != POL_OK)
        return st;
    return *out ? POL_OK : POL_UNDEFINED;
}

VM_COLD static pol_status eval_rule(pol_ctx *c, uint32_t proc, const val **out, uint32_t pc)
{
    if (c->nover) {
        const override *o = find_override(c, false, proc);
        if (o && o->kind == WITH_RULE) {
            *out = o->value; /* NULL: the replacement has nothing at this rule's path */
            return o->value ? POL_OK : POL_UNDEFINED;
        }
    }
    switch (c->memo_state[proc]) {
    case MEMO_DONE: *out = c->memo[proc]; return *out ? POL_OK : POL_UNDEFINED;
    case MEMO_BUSY:
        return set_error(c, POL_RECURSION, loc_of(c, pc), "rule %s depends on itself",
                         c->prog->procs[proc].name);
    default: break;
    }
    c->memo_state[proc] = MEMO_BUSY;
    const val *v = NULL;
    uint32_t nwith = c->nwith;
    pol_status st = vm_call(c, proc, NULL, &v);
    if (st != POL_OK)
        return st;
    /* a with-modifier pushed inside the rule has been popped by now; only
     * memoise when the memo table is the one we marked */
    if (c->nwith == nwith) {
        c->memo[proc] = v;
        c->memo_state[proc] = MEMO_DONE;
    }
    *out = v;
    return v ? POL_OK : POL_UNDEFINED;
}

/* eval_rule for the loop's rule reads, its outcome in registers (an
 * output argument would keep a stack slot live in the hot handlers):
 * undefined is POL_OK with v NULL. */
typedef struct rule_read {
    const val *v;
    pol_status st;
} rule_read;

VM_COLD static rule_read rule_read_slow(pol_ctx *c, uint32_t proc, uint32_t pc)
{
    rule_read r = {NULL, eval_rule(c, proc, &r.v, pc)};
    if (r.st == POL_UNDEFINED)
        r = (rule_read){NULL, POL_OK};
    return r;
}

/* ---- field reads -------------------------------------------------------- */

/* Whether v is true for TRUTHY: defined and not false. */
static inline bool val_truthy(const val *v)
{
    return v && v != VAL_FALSE && !(v->type == V_BOOL && !v->u.b);
}

/* o[key] for DOTK and RULEK, NULL when undefined. An object is first
 * tried at *hint, where this instruction last found its key: input keys
 * are mostly this very value (see json_keyset), and a key found by address
 * is the answer in any object, small or indexed. Otherwise a small object
 * is scanned (and the hint moved), a large one searched. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline const val *
read_field(const val *o, const val *key, uint8_t *hint)
{
    if (!o)
        return NULL;
    if (o->type == V_OBJ) {
        uint32_t at = *hint;
        if (at < o->len && o->u.o.k[at] == key)
            return o->u.o.v[at];
        if (key->type == V_STR && o->len <= VAL_SMALL_OBJECT && !(o->flags & VF_HASHED)) {
            /* keys equal by text, not address: objects of data, or of
             * input built without the bundle's names */
            if (at < o->len && val_key_is(o->u.o.k[at], key->u.s, key->len))
                return o->u.o.v[at];
            at = val_small_obj_find_str(o, key->u.s, key->len);
            if (at == UINT32_MAX)
                return NULL;
            *hint = (uint8_t)at;
            return o->u.o.v[at];
        }
    }
    return val_index(o, key);
}

/* ---- iteration --------------------------------------------------------- */

/* Advances iterator `slot` over coll; false when exhausted. */
VM_NOINLINE static bool next_kv(pol_ctx *c, const val *coll, uint32_t *slot, const val **k, const val **v,
                                bool value_only)
{
    uint32_t i = *slot;
    if (!coll || i >= coll->len)
        return false;
    *slot = i + 1;
    switch (coll->type) {
    case V_ARR:
        /* value-only scans (`some x in arr`) never read the index, so do not
         * spend arena on it */
        *k = value_only ? VAL_NULL : int_val(c, i);
        *v = coll->u.a[i];
        return *k != NULL;
    case V_SET: *k = *v = coll->u.a[i]; return true;
    case V_OBJ:
        *k = coll->u.o.k[i];
        *v = coll->u.o.v[i];
        return true;
    default: return false;
    }
}

/* ---- rule index -------------------------------------------------------- */

/* Walks a rule-index tree (built by the compiler, see plan.c) over the
 * input. A node is {"p": path, "m": {value: node}, "a": node}; a leaf is
 * the sorted array of candidate definition numbers. A malformed tree (only
 * possible in a hostile bundle) yields an empty list, never a crash. */
VM_COLD static const val *index_walk(const pol_ctx *c, const val *node)
{
    static const val k_p = {.type = V_STR, .len = 1, .u.s = "p"};
    static const val k_m = {.type = V_STR, .len = 1, .u.s = "m"};
    static const val k_a = {.type = V_STR, .len = 1, .u.s = "a"};
    for (int depth = 0; node && node->type == V_OBJ && depth < 64; depth++) {
        const val *path = val_obj_get(node, &k_p);
        const val *map = val_obj_get(node, &k_m);
        const val *v = c->input;
        if (!path || path->type != V_ARR || !map)
            return &val_empty_arr_c;
        for (uint32_t i = 0; v && i < path->len; i++)
            v = val_index(v, path->u.a[i]);
        const val *next = v ? val_index(map, v) : NULL;
        node = next ? next : val_obj_get(node, &k_a);
    }
    return node && node->type == V_ARR ? node : &val_empty_arr_c;
}

/* Sets a collection value field by field (u.o.k is also u.a). A
 * compound-literal assignment or memset of a val compiles to `rep stos`
 * in this function, which is slow to start: one per array literal. */
static inline void coll_set(val *v, vtype t, uint16_t flags, uint32_t len, const val *const *first,
                            const val *const *second)
{
    v->type = (uint8_t)t;
    v->nk = 0;
    v->flags = flags;
    v->len = len;
    v->u.o.k = first;
    v->u.o.v = second;
}

/* A value with the n registers from R[b] copied after it, in one block
 * (array literals, MKOBJK's values). NULL with *st set when the arena is
 * full or a register is undefined (hostile code only). */
static inline val *val_and_regs(pol_ctx *c, const val *const *R, uint32_t b, uint32_t n, uint32_t pc,
                                pol_status *st)
{
    val *v = arena_alloc(&c->arena, sizeof *v + sizeof(const val *) * n);
    if (!v) {
        *st = oom(c, pc);
        return NULL;
    }
    const val **items = (const val **)(v + 1);
    for (uint32_t i = 0; i < n; i++) {
        if (!(items[i] = R[b + i])) {
            *st = set_error(c, POL_INTERNAL, loc_of(c, pc), "%s", "collection element undefined");
            return NULL;
        }
    }
    return v;
}

/* ---- the loop ---------------------------------------------------------- */

VM_COLD static pol_status budget_exceeded(pol_ctx *c, uint32_t pc)
{
    return set_error(c, POL_LIMIT_INSTRUCTIONS, loc_of(c, pc), "%s",
                     "instruction budget exhausted (raise pol_ctx_options.max_instructions)");
}

static const char *const conflict_msgs[] = {
    "complete rules must not produce multiple outputs",
    "functions must not produce multiple outputs for same inputs",
    "object keys must be unique",
};

/* Why a procedure cannot get a frame: NULL when it can. */
static const char *frame_refused(const pol_ctx *c, const proc *pr)
{
    if (c->depth >= c->opt.max_depth)
        return "call depth limit exceeded in %s";
    if (c->sp + pr->nregs > c->nregs_cap || c->slot_sp + pr->nslots > c->nslots_cap)
        return "register stack exhausted in %s";
    return NULL;
}

/* A frame for pr (frame_refused said it fits): its registers, undefined,
 * on top of the register stack. */
static inline const val **frame_enter(pol_ctx *c, const proc *pr)
{
    const val **R = c->regs + c->sp;
    /* in blocks of VM_REG_BLOCK registers, inline (a libc memset call
     * costs more for frames this small); the last block may run past the
     * frame into the stack's slack (see vm.h), which no frame owns yet */
    static const val *const zero_block[VM_REG_BLOCK];
    for (uint32_t i = 0; i < pr->nregs; i += VM_REG_BLOCK)
        memcpy(R + i, zero_block, sizeof zero_block);
    c->sp += pr->nregs;
    c->slot_sp += pr->nslots;
    c->depth++;
    return R;
}

/* Leaves pr's frame, dropping the with-overrides pushed inside it. */
static inline void frame_leave(pol_ctx *c, const proc *pr, uint32_t nwith_entry)
{
    if (c->nwith > nwith_entry)
        with_pop(c, c->nwith - nwith_entry);
    c->sp -= pr->nregs;
    c->slot_sp -= pr->nslots;
    c->depth--;
}

/* gcc keeps the register window R in a stack slot and reloads it in
 * nearly every handler; naming a callee-saved register for it keeps it in
 * one (measured: 3% fewer instructions per decision). x86-64 gcc only;
 * elsewhere R is an ordinary variable. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define VM_REGISTER register
#define VM_PINNED(reg) __asm__(reg)
#else
#define VM_REGISTER
#define VM_PINNED(reg)
#endif

/* Handlers too rare to share the dispatch loop's registers (each register
 * a cold path keeps live in vm_call costs the hot handlers a reload):
 * PUT and PUTPATH, and the collection literals MKARR (with no elements),
 * MKSET and MKOBJ build through a vbuild out of line. */
VM_COLD static pol_status op_put(pol_ctx *c, const val **R, const insn *in, uint32_t pc)
{
    builder *b = as_builder(R[in->a]);
    /* a builder of another kind would be finished with storage it never
     * filled (hostile bundles only) */
    if (!b || !R[in->b] || !R[in->c] ||
        (in->op == OP_PUTPATH ? b->kind != BK_OBJRULE || R[in->b]->type != V_ARR || R[in->b]->len == 0
                              : b->kind != BK_OBJECT))
        return set_error(c, POL_INTERNAL, loc_of(c, pc), "%s", "PUT without a builder");
    if (in->op == OP_PUT && in->d == 0) {
        /* object comprehensions: a later identical key must agree */
        for (uint32_t i = 0; i < b->b.n; i++) {
            if (val_equal(b->b.k[i], R[in->b])) {
                if (!val_equal(b->b.v[i], R[in->c]))
                    return set_error(c, POL_EVAL_CONFLICT, loc_of(c, pc), "%s", conflict_msgs[2]);
                return POL_OK;
            }
        }
    }
    const val *item = R[in->c];
    if (in->op == OP_PUTPATH && in->x == 1) {
        /* an element of a set leaf: marked so the build unions them */
        val *one = arena_alloc(&c->arena, sizeof *one);
        const val **elems = arena_alloc(&c->arena, sizeof *elems);
        if (!one || !elems)
            return oom(c, pc);
        elems[0] = item;
        coll_set(one, V_SET, VF_SETLEAF, 1, elems, NULL);
        item = one;
    }
    return vb_put(&b->b, R[in->b], item) ? POL_OK : oom(c, pc);
}

VM_COLD static pol_status op_make(pol_ctx *c, const val **R, const insn *in, uint32_t pc)
{
    vbuild b;
    vb_init_cap(&b, &c->arena, in->c, in->op == OP_MKOBJ);
    bool ok = !b.oom;
    if (in->op == OP_MKOBJ) {
        for (uint32_t i = 0; i < in->c && ok; i++)
            ok = R[in->b + 2 * i] && R[in->b + 2 * i + 1] &&
                 vb_put(&b, R[in->b + 2 * i], R[in->b + 2 * i + 1]);
    } else {
        for (uint32_t i = 0; i < in->c && ok; i++)
            ok = R[in->b + i] && vb_push(&b, R[in->b + i]);
    }
    if (!ok && !b.oom)
        return set_error(c, POL_INTERNAL, loc_of(c, pc), "%s", "collection element undefined");
    bool conflict = false;
    const val *v = !ok                  ? NULL
                   : in->op == OP_MKARR ? vb_finish_array(&b)
                   : in->op == OP_MKSET ? vb_finish_set(&b)
                                        : vb_finish_object(&b, &conflict);
    if (!v && conflict) {
        /* duplicate literal keys with different values: last wins */
        b.n = 0;
        for (uint32_t i = in->c; i-- > 0;) {
            bool seen = false;
            for (uint32_t j = 0; j < b.n && !seen; j++)
                seen = val_equal(b.k[j], R[in->b + 2 * i]);
            if (!seen)
                vb_put(&b, R[in->b + 2 * i], R[in->b + 2 * i + 1]);
        }
        v = vb_finish_object(&b, NULL);
    }
    if (!v)
        return oom(c, pc);
    R[in->a] = v;
    return POL_OK;
}

/* Runs procedure pi. A rule it reads that is not memoised yet runs in this
 * same loop when no override is in force (the common case): its frame is
 * pushed on c->frames and its RET resumes the reading instruction, which
 * saves a C call and eval_rule per rule. Functions, overridden rules and
 * rules under a with-override of a rule or function go through eval_rule
 * and call_proc, which recurse into vm_call. `inline_depth` counts this
 * call's own pushed frames; an error unwinds them all. */
pol_status vm_call(pol_ctx *c, uint32_t pi, const val *const *args, const val **result)
{
    const program *p = c->prog;
    const proc *pr = &p->procs[pi];
    *result = NULL;
    const char *refused = frame_refused(c, pr);
    if (refused)
        return set_error(c, POL_LIMIT_DEPTH, NULL, refused, pr->name);

    uint32_t *S = c->slots + c->slot_sp;
    VM_REGISTER const val **R VM_PINNED("r14") = frame_enter(c, pr);
    for (uint32_t i = 0; i < pr->nparams; i++)
        R[i] = args[i];
    uint32_t nwith_entry = c->nwith;
    uint32_t inline_depth = 0;

    const insn *code = p->code;
    const val *const *K = p->k;
    pol_status st = POL_OK;

/* Dispatch: with GNU C, each handler jumps straight to the next one's
 * label (one indirect branch per handler, which predicts far better than
 * the switch's single shared branch); elsewhere, the switch. Every handler
 * starts with HANDLER(name), its threaded-dispatch label. Opcodes are
 * below OP_COUNT (the compiler emits no others, the bundle verifier
 * rejects them); the table covers every byte anyway, so even a corrupted
 * word lands on the invalid-opcode handler. POL_VM_SWITCH_DISPATCH forces the switch (to test it). */
#if defined(__GNUC__) && !defined(POL_VM_SWITCH_DISPATCH)
    static const void *const op_labels[256] = {
#define OP_LABEL(name, fmt, meaning) [OP_##name] = &&op_##name,
        POL_OPCODES(OP_LABEL)
#undef OP_LABEL
            [OP_COUNT... 255] = &&op_invalid,
    };
#define DISPATCH() goto *op_labels[in->op]
#define HANDLER(name) op_##name : (void)0
#else
#define DISPATCH() goto dispatch
#define HANDLER(name) (void)0
#endif
#define FAIL_TO(target)                                                                                      \
    do {                                                                                                     \
        in = code + (target);                                                                                \
        DISPATCH();                                                                                          \
    } while (0)
/* After a call into a builtin, function or rule: undefined fails the
 * instruction, an error ends the procedure, a value lands in R[a]. */
#define CALL_RESULT(value)                                                                                   \
    do {                                                                                                     \
        if (st == POL_UNDEFINED) {                                                                           \
            st = POL_OK;                                                                                     \
            FAIL_TO(in->d);                                                                                  \
        }                                                                                                    \
        if (st != POL_OK)                                                                                    \
            goto out;                                                                                        \
        R[in->a] = (value);                                                                                  \
        NEXT_INSN();                                                                                         \
    } while (0)
#define NEXT_INSN()                                                                                          \
    do {                                                                                                     \
        in++;                                                                                                \
        DISPATCH();                                                                                          \
    } while (0)
/* A RULE's or RULEK's read done: the rule's value (RULEK: its field K[c])
 * to R[a], or the failure jump when undefined. */
#define RULE_READ_DONE(value)                                                                                \
    do {                                                                                                     \
        const val *read_ = (value);                                                                          \
        if (read_ && in->op == OP_RULEK)                                                                     \
            read_ = read_field(read_, K[in->c], &c->field_hint[PC]);                                         \
        if (!read_)                                                                                          \
            FAIL_TO(in->d);                                                                                  \
        R[in->a] = read_;                                                                                    \
        NEXT_INSN();                                                                                         \
    } while (0)

    /* the instruction being run; its index, for messages, is PC */
    const insn *in = code + pr->code;
#define PC ((uint32_t)(in - code))
#if !defined(__GNUC__) || defined(POL_VM_SWITCH_DISPATCH)
dispatch:
#endif
    for (;;) {
        switch ((opcode)in->op) {
        case OP_NOP: HANDLER(NOP); NEXT_INSN();
        case OP_JMP:
            HANDLER(JMP);
            /* back-edges and forward jumps both count: cheap and bounds loops */
            if (--c->budget == 0) {
                st = budget_exceeded(c, PC);
                goto out;
            }
            FAIL_TO(in->d);
        case OP_LOADK:
            HANDLER(LOADK);
            R[in->a] = K[in->b];
            NEXT_INSN();
        case OP_MOVE:
            HANDLER(MOVE);
            R[in->a] = R[in->b];
            NEXT_INSN();
        case OP_CLEAR:
            HANDLER(CLEAR);
            R[in->a] = NULL;
            NEXT_INSN();
        case OP_JDEF:
            HANDLER(JDEF);
            if (R[in->a])
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_JUNDEF:
            HANDLER(JUNDEF);
            if (!R[in->a])
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_INPUT:
            HANDLER(INPUT);
            if (!c->input)
                FAIL_TO(in->d);
            R[in->a] = c->input;
            NEXT_INSN();
        case OP_INPUTK:
            HANDLER(INPUTK);
            {
                const val *v = read_field(c->input, K[in->c], &c->field_hint[PC]);
                if (!v)
                    FAIL_TO(in->d);
                R[in->a] = v;
                NEXT_INSN();
            }
        case OP_DATA:
            HANDLER(DATA);
            {
                const val *v;
                if (c->data == p->data) {
                    v = in->c == K_NONE ? NULL : K[in->c];
                } else {
                    const val *path = K[in->b];
                    v = c->data;
                    for (uint32_t i = 0; v && i < path->len; i++)
                        v = val_index_data(v, path->u.a[i]);
                }
                if (!v)
                    FAIL_TO(in->d);
                R[in->a] = v;
                NEXT_INSN();
            }
        case OP_DOT:
            HANDLER(DOT);
            {
                const val *v = (R[in->b] && R[in->c]) ? val_index(R[in->b], R[in->c]) : NULL;
                if (!v)
                    FAIL_TO(in->d);
                R[in->a] = v;
                NEXT_INSN();
            }
        case OP_DOTK:
            HANDLER(DOTK);
            {
                const val *v = read_field(R[in->b], K[in->c], &c->field_hint[PC]);
                if (!v)
                    FAIL_TO(in->d);
                R[in->a] = v;
                NEXT_INSN();
            }
        case OP_TRUTHY:
            HANDLER(TRUTHY);
            if (R[in->a] != VAL_TRUE && !val_truthy(R[in->a]))
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_EQ:
            HANDLER(EQ);
            if (!R[in->b] || !R[in->c] || !val_equal(R[in->b], R[in->c]))
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_EQK:
            HANDLER(EQK);
            if (!R[in->b] || !val_equal(R[in->b], K[in->c]))
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_NE:
            HANDLER(NE);
            if (!R[in->b] || !R[in->c] || val_equal(R[in->b], R[in->c]))
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_LT:
            HANDLER(LT);
            if (!R[in->b] || !R[in->c] || !(val_compare(R[in->b], R[in->c]) < 0))
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_LE:
            HANDLER(LE);
            if (!R[in->b] || !R[in->c] || !(val_compare(R[in->b], R[in->c]) <= 0))
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_GT:
            HANDLER(GT);
            if (!R[in->b] || !R[in->c] || !(val_compare(R[in->b], R[in->c]) > 0))
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_GE:
            HANDLER(GE);
            if (!R[in->b] || !R[in->c] || !(val_compare(R[in->b], R[in->c]) >= 0))
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_ISARR:
            HANDLER(ISARR);
            if (!R[in->a] || R[in->a]->type != V_ARR || R[in->a]->len != in->b)
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_ISOBJ:
            HANDLER(ISOBJ);
            if (!R[in->a] || R[in->a]->type != V_OBJ || R[in->a]->len != in->b)
                FAIL_TO(in->d);
            NEXT_INSN();
        case OP_CALL:
        case OP_CALLT:
            HANDLER(CALL);
            HANDLER(CALLT);
            {
                /* the operands are in place (the verifier checked c + arity
                 * against the frame) */
                const val *const *argv = R + in->c;
                const bi_info *bi = &bi_table[in->b];
                switch (bi->arity) {
                case 0: break;
                case 1:
                    if (!argv[0])
                        FAIL_TO(in->d);
                    break;
                case 2:
                    if (!argv[0] || !argv[1])
                        FAIL_TO(in->d);
                    break;
                case 3:
                    if (!argv[0] || !argv[1] || !argv[2])
                        FAIL_TO(in->d);
                    break;
                default:
                    for (uint32_t i = 0; i < bi->arity; i++)
                        if (!argv[i])
                            FAIL_TO(in->d);
                }
                const val *out = NULL;
                if (c->nover) {
                    st = call_builtin(c, in->b, argv, &out, PC);
                } else {
                    c->bi.err_code = POL_OK;
                    bi_status bs = bi->fn(&c->bi, argv, &out);
                    if (bs == BI_OK && out) {
                        /* the common case; CALLT's test as TRUTHY makes it */
                        R[in->a] = out;
                        if (in->op == OP_CALL || out == VAL_TRUE || val_truthy(out))
                            NEXT_INSN();
                        FAIL_TO(in->d);
                    }
                    st = builtin_outcome(c, bs, &out, PC);
                }
                if (st == POL_OK && in->op == OP_CALLT && !val_truthy(out)) {
                    R[in->a] = out; /* as CALL then TRUTHY leave it */
                    st = POL_UNDEFINED;
                }
                CALL_RESULT(out);
            }
        case OP_CALLF:
            HANDLER(CALLF);
            {
                if (--c->budget == 0) {
                    st = budget_exceeded(c, PC);
                    goto out;
                }
                const val *out = NULL;
                uint32_t np = p->procs[in->b].nparams;
                for (uint32_t i = 0; i < np; i++)
                    if (!R[in->c + i])
                        FAIL_TO(in->d);
                st = call_proc(c, in->b, R + in->c, &out, PC);
                CALL_RESULT(out);
            }
        case OP_RULE:
        case OP_RULEK:
            HANDLER(RULE);
            HANDLER(RULEK);
            {
                const val *out = NULL;
                uint8_t memo = c->memo_state[in->b];
                if (memo == MEMO_DONE) {
                    /* memoised: most references. Never so for a rule that a
                     * with-modifier overrides: each push clears every state
                     * (with_push), and while overrides are active only
                     * eval_rule runs a rule, which memoises none it
                     * overrides. */
                    out = c->memo[in->b];
                    if (!out)
                        FAIL_TO(in->d);
                    if (in->op == OP_RULEK && !(out = read_field(out, K[in->c], &c->field_hint[PC])))
                        FAIL_TO(in->d);
                    R[in->a] = out;
                    NEXT_INSN();
                }
                if (memo == MEMO_NONE && !c->nover) {
                    /* first read: the rule runs here, RET comes back */
                    const proc *callee = &p->procs[in->b];
                    if ((refused = frame_refused(c, callee))) {
                        st = set_error(c, POL_LIMIT_DEPTH, NULL, refused, callee->name);
                        goto out;
                    }
                    c->frames[c->depth] =
                        (rule_frame){.call = in, .pr = pr, .R = R, .S = S, .nwith_entry = nwith_entry};
                    c->memo_state[in->b] = MEMO_BUSY;
                    S = c->slots + c->slot_sp;
                    R = frame_enter(c, callee);
                    nwith_entry = c->nwith;
                    inline_depth++;
                    pr = callee;
                    in = code + callee->code;
                    DISPATCH();
                }
                rule_read rr = rule_read_slow(c, in->b, PC);
                if ((st = rr.st) != POL_OK)
                    goto out;
                RULE_READ_DONE(rr.v);
            }
        case OP_ITER:
            HANDLER(ITER);
            {
                const val *coll = R[in->b];
                if (!coll || (coll->type != V_ARR && coll->type != V_OBJ && coll->type != V_SET))
                    FAIL_TO(in->d);
                S[in->a] = 0;
                NEXT_INSN();
            }
        case OP_NEXT:
            HANDLER(NEXT);
            {
                if (--c->budget == 0) {
                    st = budget_exceeded(c, PC);
                    goto out;
                }
                const val *coll = R[in->b], *k, *v;
                if (in->x == 1 && coll && coll->type == V_ARR) {
                    /* `some x in arr`, the usual scan: no index value */
                    uint32_t i = S[in->a];
                    if (i >= coll->len)
                        FAIL_TO(in->d);
                    S[in->a] = i + 1;
                    R[in->c + 1] = coll->u.a[i];
                    NEXT_INSN();
                }
                if (!next_kv(c, coll, &S[in->a], &k, &v, in->x == 1)) {
                    if (c->arena.ptr == c->arena.end && R[in->b] && R[in->b]->type == V_ARR &&
                        S[in->a] < R[in->b]->len) {
                        st = oom(c, PC);
                        goto out;
                    }
                    FAIL_TO(in->d);
                }
                /* a value-only scan leaves R[c] alone: the compiler may
                 * have put another value there (fold_one_move) */
                if (in->x != 1)
                    R[in->c] = k;
                R[in->c + 1] = v;
                NEXT_INSN();
            }
        case OP_ARRNEW:
        case OP_SETNEW:
        case OP_OBJNEW:
            HANDLER(ARRNEW);
            HANDLER(SETNEW);
            HANDLER(OBJNEW);
            {
                uint8_t kind = in->op == OP_ARRNEW ? BK_ARRAY : in->op == OP_SETNEW ? BK_SET : BK_OBJECT;
                if (in->op == OP_OBJNEW && in->b == 1)
                    kind = BK_OBJRULE;
                const val *b = builder_new(c, kind);
                if (!b) {
                    st = oom(c, PC);
                    goto out;
                }
                R[in->a] = b;
                NEXT_INSN();
            }
        case OP_PUSH:
            HANDLER(PUSH);
            {
                builder *b = as_builder(R[in->a]);
                if (!b || !R[in->b] || (b->kind != BK_ARRAY && b->kind != BK_SET)) {
                    st = set_error(c, POL_INTERNAL, loc_of(c, PC), "%s", "PUSH without a builder");
                    goto out;
                }
                if (!vb_push(&b->b, R[in->b])) {
                    st = oom(c, PC);
                    goto out;
                }
                NEXT_INSN();
            }
        case OP_PUT:
        case OP_PUTPATH:
            HANDLER(PUT);
            HANDLER(PUTPATH);
            st = op_put(c, R, in, PC);
            if (st != POL_OK)
                goto out;
            NEXT_INSN();
        case OP_PUTALL:
            HANDLER(PUTALL);
            {
                builder *b = as_builder(R[in->a]);
                const val *o = R[in->b];
                if (!b || !o || o->type != V_OBJ) {
                    st =
                        set_error(c, POL_INTERNAL, loc_of(c, PC), "%s", "PUTALL without a builder or object");
                    goto out;
                }
                if (!put_base(&c->arena, &b->b, o)) {
                    st = oom(c, PC);
                    goto out;
                }
                NEXT_INSN();
            }
        case OP_FINISH:
            HANDLER(FINISH);
            {
                builder *b = as_builder(R[in->a]);
                if (!b) {
                    st = set_error(c, POL_INTERNAL, loc_of(c, PC), "%s", "FINISH without a builder");
                    goto out;
                }
                bool conflict = false;
                const val *v = builder_finish(c, b, &conflict);
                if (!v) {
                    st = conflict ? set_error(c, POL_EVAL_CONFLICT, loc_of(c, PC), "%s", conflict_msgs[2])
                                  : oom(c, PC);
                    goto out;
                }
                R[in->a] = v;
                NEXT_INSN();
            }
        case OP_MKARR:
        case OP_MKSET:
        case OP_MKOBJ:
            HANDLER(MKARR);
            HANDLER(MKSET);
            HANDLER(MKOBJ);
            {
                if (in->op == OP_MKARR && in->c > 0) {
                    /* an array literal: the value and its elements in one
                     * block, no builder */
                    val *arr = val_and_regs(c, R, in->b, in->c, PC, &st);
                    if (!arr)
                        goto out;
                    coll_set(arr, V_ARR, 0, in->c, (const val **)(arr + 1), NULL);
                    R[in->a] = arr;
                    NEXT_INSN();
                }
                st = op_make(c, R, in, PC);
                if (st != POL_OK)
                    goto out;
                NEXT_INSN();
            }
        case OP_MKOBJK:
            HANDLER(MKOBJK);
            {
                /* the keys are the constant's own array (the verifier saw
                 * them ascending); the values one block after the value */
                val *obj = val_and_regs(c, R, in->b, in->c, PC, &st);
                if (!obj)
                    goto out;
                coll_set(obj, V_OBJ, 0, in->c, K[in->d]->u.a, (const val **)(obj + 1));
                R[in->a] = obj;
                NEXT_INSN();
            }
        case OP_RULEM:
            HANDLER(RULEM);
            {
                /* a rule read whose rule is inlined in the x instructions
                 * after (plan.c's inline_rule_reads); those run only on the
                 * first read, and their RULEPUT finishes this instruction */
                const val *out = NULL;
                uint8_t memo = c->memo_state[in->b];
                if (memo == MEMO_NONE && !c->nover) {
                    c->memo_state[in->b] = MEMO_BUSY;
                    NEXT_INSN();
                }
                if (memo == MEMO_DONE) { /* as in RULE */
                    out = c->memo[in->b];
                } else {
                    rule_read rr = rule_read_slow(c, in->b, PC);
                    if ((st = rr.st) != POL_OK)
                        goto out;
                    out = rr.v;
                }
                if (out && in->c != K_NONE)
                    out = read_field(out, K[in->c], &c->field_hint[PC]);
                if (!out)
                    FAIL_TO(in->d);
                R[in->a] = out;
                in += 1 + in->x;
                DISPATCH();
            }
        case OP_RULEPUT:
            HANDLER(RULEPUT);
            {
                /* the verifier saw d name a RULEM whose copy holds this */
                const insn *m = code + in->d;
                const val *v = R[in->a];
                c->memo[m->b] = v;
                c->memo_state[m->b] = MEMO_DONE;
                if (v && m->c != K_NONE)
                    v = read_field(v, K[m->c], &c->field_hint[in->d]);
                if (!v)
                    FAIL_TO(m->d);
                R[m->a] = v;
                in = m + 1 + m->x;
                DISPATCH();
            }
        case OP_SETRES:
            HANDLER(SETRES);
            if (!R[in->a]) {
                R[in->a] = R[in->b];
            } else if (R[in->b] && !val_equal(R[in->a], R[in->b])) {
                st = set_error(c, POL_EVAL_CONFLICT, loc_of(c, PC), "%s",
                               conflict_msgs[in->c < 3 ? in->c : 0]);
                goto out;
            }
            NEXT_INSN();
        case OP_RET:
            HANDLER(RET);
            if (inline_depth) {
                /* a rule run by a RULE of this loop: eval_rule's and the
                 * epilogue's work, then the RULE's own */
                const val *v = R[in->a];
                if (c->status != POL_OK) {
                    st = c->status;
                    goto out;
                }
                frame_leave(c, pr, nwith_entry);
                const rule_frame *f = &c->frames[c->depth];
                inline_depth--;
                in = f->call;
                /* with-overrides popped below the entry (hostile code
                 * only): the memo table is not the one marked busy */
                if (c->nwith == nwith_entry) {
                    c->memo[in->b] = v;
                    c->memo_state[in->b] = MEMO_DONE;
                }
                pr = f->pr;
                R = f->R;
                S = f->S;
                nwith_entry = f->nwith_entry;
                RULE_READ_DONE(v);
            }
            *result = R[in->a];
            goto out;
        case OP_WITH:
            HANDLER(WITH);
            st = with_push(c, in, R[in->c], PC);
            if (st != POL_OK)
                goto out;
            NEXT_INSN();
        case OP_WITHFN:
            HANDLER(WITHFN);
            st = with_push(c, in, NULL, PC);
            if (st != POL_OK)
                goto out;
            NEXT_INSN();
        case OP_WITHPOP:
            HANDLER(WITHPOP);
            with_pop(c, in->a);
            NEXT_INSN();
        case OP_INDEX:
            HANDLER(INDEX);
            R[in->a] = index_walk(c, K[in->b]);
            NEXT_INSN();
        case OP_DISPATCH:
            HANDLER(DISPATCH);
            {
                /* charged before the exhausted exit too: the verifier counts
                 * DISPATCH as a back-edge charge (program.c) */
                if (--c->budget == 0) {
                    st = budget_exceeded(c, PC);
                    goto out;
                }
                const val *list = R[in->b], *jt = K[in->c];
                int64_t def, target;
                for (;;) {
                    if (!list || list->type != V_ARR || S[in->a] >= list->len)
                        FAIL_TO(in->d);
                    const val *x = list->u.a[S[in->a]++];
                    if (val_is_int(x, &def) && def >= 0 && def < jt->len && val_is_int(jt->u.a[def], &target))
                        break;
                }
                FAIL_TO((uint32_t)target);
            }
        case OP_HALT:
            HANDLER(HALT);
            st = set_error(c, POL_EVAL_BUILTIN, loc_of(c, PC), "%s",
                           K[in->b]->type == V_STR ? K[in->b]->u.s : "halted");
            goto out;
        case OP_COUNT:
        default:
            HANDLER(invalid);
            st = set_error(c, POL_INTERNAL, loc_of(c, PC), "%s", "invalid opcode");
            goto out;
        }
    }
out:
    if (c->status != POL_OK)
        st = c->status;
    /* only errors leave with rule frames of this loop still pushed (their
     * RETs come back into the loop) */
    for (; inline_depth; inline_depth--) {
        frame_leave(c, pr, nwith_entry);
        const rule_frame *f = &c->frames[c->depth];
        pr = f->pr;
        nwith_entry = f->nwith_entry;
        if (st == POL_OK)
            st = set_error(c, POL_INTERNAL, NULL, "%s", "rule frame left without RET");
    }
    frame_leave(c, pr, nwith_entry);
    return st;
#undef FAIL_TO
#undef NEXT_INSN
#undef CALL_RESULT
#undef RULE_READ_DONE
#undef PC
#undef DISPATCH
#undef HANDLER
}
