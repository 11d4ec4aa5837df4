/* The compiler's public API: collecting modules, data, entrypoints and
 * queries; building the rule tree; handing the finished program to a
 * bundle. Code generation itself is in plan.c. */
#include "compiler.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../stdlib/builtins.h"
#include "../vm/vm.h"

bool cc_error(pol_compiler *cc, pol_status code, srcpos pos, const char *fmt, ...)
{
    if (cc->failed)
        return false;
    cc->failed = true;
    pol_error *e = cc->err;
    if (!e)
        return false;
    memset(e, 0, sizeof *e);
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    if (pos.file) {
        snprintf(e->file, sizeof e->file, "%s", pos.file);
        e->line = pos.line;
        e->col = pos.col;
    }
    return false;
}

static bool oom(pol_compiler *cc)
{
    srcpos none = {0};
    return cc_error(cc, POL_NOMEM, none, "out of memory");
}

#define VEC_PUSH(cc, vec, item)                                                                              \
    ((vec).n < (vec).cap || vec_grow((cc), (void **)&(vec).v, &(vec).cap, sizeof *(vec).v)                   \
         ? ((vec).v[(vec).n++] = (item), true)                                                               \
         : oom(cc))

static bool vec_grow(pol_compiler *cc, void **v, uint32_t *cap, size_t elem)
{
    uint32_t ncap = *cap ? *cap * 2 : 16;
    void *nv = pa_realloc(cc->al, *v, (size_t)*cap * elem, (size_t)ncap * elem);
    if (!nv)
        return false;
    *v = nv;
    *cap = ncap;
    return true;
}

/* ---- constants --------------------------------------------------------- */

/* A scalar is shared with an equal constant among the newest
 * CONST_SHARE_WINDOW entries only: sharing further back would change which
 * index the code refers to, and the emitted program is kept exactly as the
 * original linear probe over that window made it. The newest equal constant
 * is the one such a probe found first, so the index remembers only it. */
enum { CONST_SHARE_WINDOW = 256, CONST_INDEX_MIN = 1024 };

static bool const_index_grow(pol_compiler *cc)
{
    uint32_t ncap = cc->const_mask ? (cc->const_mask + 1) * 2 : CONST_INDEX_MIN;
    if (ncap == 0 || ncap > UINT32_MAX / 2)
        return false;
    uint64_t *ns = pa_malloc(cc->al, (size_t)ncap * sizeof *ns);
    if (!ns)
        return false;
    memset(ns, 0, (size_t)ncap * sizeof *ns);
    uint32_t nmask = ncap - 1;
    if (cc->const_mask) {
        hash64_reinsert(ns, nmask, cc->const_slots, cc->const_mask);
        pa_free(cc->al, cc->const_slots, (size_t)(cc->const_mask + 1) * sizeof *cc->const_slots);
    }
    cc->const_slots = ns;
    cc->const_mask = nmask;
    return true;
}

uint32_t cc_const(pol_compiler *cc, const val *v)
{
    if (v->type == V_ARR || v->type == V_OBJ || v->type == V_SET) {
        if (!VEC_PUSH(cc, cc->consts, v))
            return 0;
        return cc->consts.n - 1;
    }
    if ((cc->const_used + 1) * 2 > cc->const_mask + 1 && !const_index_grow(cc)) {
        oom(cc);
        return 0;
    }
    uint32_t tag = (uint32_t)(val_hash(v, 0) >> 32);
    uint32_t j = tag & cc->const_mask;
    for (; cc->const_slots[j]; j = (j + 1) & cc->const_mask) {
        uint64_t e = cc->const_slots[j];
        uint32_t idx = (uint32_t)e - 1;
        if ((uint32_t)(e >> 32) == tag && val_equal(cc->consts.v[idx], v)) {
            if (cc->consts.n - idx <= CONST_SHARE_WINDOW)
                return idx;
            break; /* too far back: a new constant replaces it in the slot */
        }
    }
    if (!VEC_PUSH(cc, cc->consts, v))
        return 0;
    if (!cc->const_slots[j])
        cc->const_used++;
    cc->const_slots[j] = ((uint64_t)tag << 32) | cc->consts.n;
    return cc->consts.n - 1;
}

const val *cc_const_term(pol_compiler *cc, const term *t)
{
    arena *a = cc->pmem;
    switch (t->kind) {
    case T_NULL: return VAL_NULL;
    case T_BOOL: return VAL_BOOL(t->u.b);
    case T_NUM: return v_num_text(a, t->u.num.text, t->u.num.len);
    case T_STR: return v_str(a, t->u.str.s, t->u.str.len);
    case T_ARRAY:
    case T_SET: {
        vbuild b;
        vb_init(&b, a);
        for (uint32_t i = 0; i < t->u.coll.n; i++) {
            const val *x = cc_const_term(cc, t->u.coll.items[i]);
            if (!x || !vb_push(&b, x))
                return NULL;
        }
        return t->kind == T_ARRAY ? vb_finish_array(&b) : vb_finish_set(&b);
    }
    case T_OBJECT: {
        vbuild b;
        vb_init(&b, a);
        for (uint32_t i = 0; i < t->u.obj.n; i++) {
            const val *k = cc_const_term(cc, t->u.obj.keys[i]);
            const val *x = k ? cc_const_term(cc, t->u.obj.vals[i]) : NULL;
            if (!x || !vb_put(&b, k, x))
                return NULL;
        }
        bool conflict = false;
        return vb_finish_object(&b, &conflict);
    }
    default: return NULL;
    }
}

/* ---- lifecycle --------------------------------------------------------- */

POL_EXPORT pol_compiler *pol_compiler_new(const pol_alloc *alloc)
{
    pol_compiler *cc = pa_malloc(alloc, sizeof *cc);
    if (!cc)
        return NULL;
    memset(cc, 0, sizeof *cc);
    if (alloc) {
        cc->alloc = *alloc;
        cc->has_alloc = true;
        cc->al = &cc->alloc;
    }
    arena_init_growable(&cc->ast, cc->al);
    cc->pmem = pa_malloc(cc->al, sizeof *cc->pmem);
    if (!cc->pmem) {
        arena_free(&cc->ast);
        pa_free(alloc, cc, sizeof *cc);
        return NULL;
    }
    arena_init_growable(cc->pmem, cc->al);
    cc->data = &val_empty_obj_c;
    return cc;
}

POL_EXPORT void pol_compiler_set_flags(pol_compiler *cc, unsigned flags)
{
    if (cc)
        cc->flags = flags;
}

#define VEC_FREE(cc, vec) pa_free((cc)->al, (vec).v, (size_t)(vec).cap * sizeof *(vec).v)

POL_EXPORT void pol_compiler_free(pol_compiler *cc)
{
    if (!cc)
        return;
    VEC_FREE(cc, cc->mods);
    VEC_FREE(cc, cc->queries);
    VEC_FREE(cc, cc->entries);
    VEC_FREE(cc, cc->consts);
    if (cc->const_mask)
        pa_free(cc->al, cc->const_slots, (size_t)(cc->const_mask + 1) * sizeof *cc->const_slots);
    VEC_FREE(cc, cc->code);
    VEC_FREE(cc, cc->locs);
    VEC_FREE(cc, cc->procs);
    VEC_FREE(cc, cc->eps);
    arena_free(&cc->ast);
    if (cc->pmem) {
        arena_free(cc->pmem);
        pa_free(cc->al, cc->pmem, sizeof *cc->pmem);
    }
    const pol_alloc *al = cc->al;
    pol_alloc copy = cc->alloc;
    pa_free(al ? &copy : NULL, cc, sizeof *cc);
}

static bool begin(pol_compiler *cc, pol_error *err)
{
    cc->err = err;
    if (err)
        memset(err, 0, sizeof *err);
    if (cc->built) {
        srcpos none = {0};
        return cc_error(cc, POL_INVALID_ARGUMENT, none, "the compiler has already built its bundle");
    }
    cc->failed = false;
    return true;
}

static const char *pstrdup(arena *a, const char *s)
{
    size_t n = strlen(s);
    char *d = arena_alloc(a, n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

POL_EXPORT pol_status pol_compiler_add_module(pol_compiler *cc, const char *filename, const char *src,
                                              size_t len, pol_error *err)
{
    if (!cc || !src)
        return POL_INVALID_ARGUMENT;
    if (!begin(cc, err))
        return POL_INVALID_ARGUMENT;
    const char *file = pstrdup(cc->pmem, filename ? filename : "module.rego");
    if (!file)
        return oom(cc), POL_NOMEM;
    module *m = parse_module(&cc->ast, file, src, len, err);
    if (!m) {
        cc->failed = true;
        return err ? err->code : POL_PARSE;
    }
    if (!VEC_PUSH(cc, cc->mods, m))
        return POL_NOMEM;
    return POL_OK;
}

/* Deep merge of objects; elsewhere the newer value wins. */
static const val *merge(arena *a, const val *old, const val *nw)
{
    if (!old || old->type != V_OBJ || nw->type != V_OBJ)
        return nw;
    vbuild b;
    vb_init(&b, a);
    uint32_t i = 0, j = 0;
    while (i < old->len || j < nw->len) {
        int c = i >= old->len ? 1 : j >= nw->len ? -1 : val_compare(old->u.o.k[i], nw->u.o.k[j]);
        bool ok;
        if (c < 0) {
            ok = vb_put(&b, old->u.o.k[i], old->u.o.v[i]);
            i++;
        } else if (c > 0) {
            ok = vb_put(&b, nw->u.o.k[j], nw->u.o.v[j]);
            j++;
        } else {
            const val *m = merge(a, old->u.o.v[i], nw->u.o.v[j]);
            ok = m && vb_put(&b, old->u.o.k[i], m);
            i++;
            j++;
        }
        if (!ok)
            return NULL;
    }
    return vb_finish_object(&b, NULL);
}

static pol_status add_data(pol_compiler *cc, const char *path, const val *doc)
{
    /* wrap doc in objects for each path segment, innermost first */
    const val *v = doc;
    if (path && *path) {
        const char *end = path + strlen(path);
        while (end > path) {
            const char *seg = end;
            while (seg > path && seg[-1] != '.')
                seg--;
            vbuild b;
            vb_init(&b, cc->pmem);
            const val *k = v_str(cc->pmem, seg, (size_t)(end - seg));
            if (!k || !vb_put(&b, k, v) || !(v = vb_finish_object(&b, NULL)))
                return oom(cc), POL_NOMEM;
            end = seg > path ? seg - 1 : seg;
        }
    }
    if (v->type != V_OBJ) {
        srcpos none = {0};
        cc_error(cc, POL_JSON, none, "data must be a JSON object at the root");
        return POL_JSON;
    }
    const val *m = merge(cc->pmem, cc->data, v);
    if (!m)
        return oom(cc), POL_NOMEM;
    cc->data = m;
    return POL_OK;
}

static pol_status add_data_doc(pol_compiler *cc, const char *path, const char *filename, const char *text,
                               size_t len, bool yaml, pol_error *err)
{
    if (!cc || !text)
        return POL_INVALID_ARGUMENT;
    if (!begin(cc, err))
        return POL_INVALID_ARGUMENT;
    json_error je;
    memset(&je, 0, sizeof je);
    const val *doc = yaml ? yaml_parse(cc->pmem, text, len, &je) : json_parse(cc->pmem, text, len, &je);
    if (!doc) {
        if (je.oom)
            return oom(cc), POL_NOMEM;
        srcpos pos = {filename ? filename : (yaml ? "data.yaml" : "data.json"), je.line, je.col};
        cc_error(cc, POL_JSON, pos, "%s", je.msg[0] ? je.msg : "invalid document");
        return POL_JSON;
    }
    pol_status st = add_data(cc, path, doc);
    if (st == POL_JSON && err)
        snprintf(err->file, sizeof err->file, "%s", filename ? filename : "");
    return st;
}

POL_EXPORT pol_status pol_compiler_add_data_json(pol_compiler *cc, const char *path, const char *filename,
                                                 const char *json, size_t len, pol_error *err)
{
    return add_data_doc(cc, path, filename, json, len, false, err);
}

POL_EXPORT pol_status pol_compiler_add_data_yaml(pol_compiler *cc, const char *path, const char *filename,
                                                 const char *yaml, size_t len, pol_error *err)
{
    return add_data_doc(cc, path, filename, yaml, len, true, err);
}

POL_EXPORT pol_status pol_compiler_add_entrypoint(pol_compiler *cc, const char *ref, pol_error *err)
{
    if (!cc || !ref)
        return POL_INVALID_ARGUMENT;
    if (!begin(cc, err))
        return POL_INVALID_ARGUMENT;
    char norm[512];
    size_t n = 0;
    if (strncmp(ref, "data.", 5) != 0 && strcmp(ref, "data") != 0) {
        memcpy(norm, "data.", 5);
        n = 5;
    }
    for (const char *p = ref; *p && n + 1 < sizeof norm; p++)
        norm[n++] = *p == '/' ? '.' : *p;
    norm[n] = 0;
    const char *name = pstrdup(cc->pmem, norm);
    if (!name)
        return oom(cc), POL_NOMEM;
    term *t = parse_term(&cc->ast, "entrypoint", name, strlen(name), err);
    if (!t || (t->kind != T_REF && t->kind != T_VAR)) {
        if (t) {
            srcpos none = {0};
            cc_error(cc, POL_INVALID_ARGUMENT, none, "entrypoint %s is not a reference", ref);
        }
        cc->failed = true;
        return err ? err->code : POL_PARSE;
    }
    centry e = {name, t};
    if (!VEC_PUSH(cc, cc->entries, e))
        return POL_NOMEM;
    return POL_OK;
}

POL_EXPORT pol_status pol_compiler_add_query(pol_compiler *cc, const char *name, const char *query,
                                             size_t len, pol_error *err)
{
    if (!cc || !name || !query)
        return POL_INVALID_ARGUMENT;
    if (!begin(cc, err))
        return POL_INVALID_ARGUMENT;
    char *text = arena_alloc(cc->pmem, len + 1);
    const char *nm = pstrdup(cc->pmem, name);
    if (!text || !nm)
        return oom(cc), POL_NOMEM;
    memcpy(text, query, len);
    text[len] = 0;
    body *b = parse_query(&cc->ast, "query", text, len, err);
    if (!b) {
        cc->failed = true;
        return err ? err->code : POL_PARSE;
    }
    cquery q = {nm, text, b};
    if (!VEC_PUSH(cc, cc->queries, q))
        return POL_NOMEM;
    return POL_OK;
}

/* ---- the rule tree ----------------------------------------------------- */

rnode *rnode_child(const rnode *n, const char *key, uint32_t len)
{
    for (uint32_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->keylen == len && memcmp(n->kids[i]->key, key, len) == 0)
            return n->kids[i];
    return NULL;
}

static rnode *rnode_new(pol_compiler *cc, rnode *parent, const char *key, uint32_t len)
{
    rnode *n = arena_alloc(&cc->ast, sizeof *n);
    if (!n)
        return NULL;
    memset(n, 0, sizeof *n);
    n->key = key;
    n->keylen = len;
    n->parent = parent;
    n->ns_proc = UINT32_MAX;
    size_t plen = parent ? strlen(parent->path) + 1 + len : 4;
    char *path = arena_alloc(cc->pmem, plen + 1);
    if (!path)
        return NULL;
    if (parent)
        snprintf(path, plen + 1, "%s.%.*s", parent->path, (int)len, key);
    else
        memcpy(path, "data", 5);
    n->path = path;
    if (parent) {
        if (parent->nkids == parent->cap) {
            uint32_t ncap = parent->cap ? parent->cap * 2 : 4;
            rnode **nk = arena_alloc(&cc->ast, sizeof *nk * ncap);
            if (!nk)
                return NULL;
            if (parent->nkids)
                memcpy(nk, parent->kids, sizeof *nk * parent->nkids);
            parent->kids = nk;
            parent->cap = ncap;
        }
        parent->kids[parent->nkids++] = n;
    }
    return n;
}

static rnode *rnode_get(pol_compiler *cc, rnode *n, const char *key, uint32_t len)
{
    rnode *c = rnode_child(n, key, len);
    return c ? c : rnode_new(cc, n, key, len);
}

static const char *kind_name(group_kind k)
{
    switch (k) {
    case G_COMPLETE: return "complete";
    case G_SET: return "partial set";
    case G_OBJECT: return "partial object";
    default: return "function";
    }
}

static bool add_def(pol_compiler *cc, rnode *n, group_kind kind, rule *r, module *m, uint32_t keyfrom,
                    bool set_leaf)
{
    group *g = n->grp;
    if (!g) {
        g = arena_alloc(&cc->ast, sizeof *g);
        if (!g)
            return oom(cc);
        memset(g, 0, sizeof *g);
        g->kind = kind;
        g->node = n;
        g->path = n->path;
        g->arity = r->nargs;
        g->proc = UINT32_MAX;
        n->grp = g;
    }
    if (g->kind != kind) {
        return cc_error(cc, POL_TYPE, r->pos, "conflicting rules %s found (%s and %s definitions)", g->path,
                        kind_name(g->kind), kind_name(kind));
    }
    if (kind == G_FUNC && g->arity != r->nargs)
        return cc_error(cc, POL_TYPE, r->pos, "conflicting rules %s found (functions of different arity)",
                        g->path);
    cdef d = {r, m, keyfrom, set_leaf};
    if (r->is_default) {
        if (g->deflt.r)
            return cc_error(cc, POL_TYPE, r->pos, "multiple default rules %s found", g->path);
        if (kind == G_SET || kind == G_OBJECT)
            return cc_error(cc, POL_TYPE, r->pos, "default rules must not be multi-value: %s", g->path);
        g->deflt = d;
        return true;
    }
    if (g->ndefs == g->cap) {
        uint32_t ncap = g->cap ? g->cap * 2 : 4;
        cdef *nd = arena_alloc(&cc->ast, sizeof *nd * ncap);
        if (!nd)
            return oom(cc);
        if (g->ndefs)
            memcpy(nd, g->defs, sizeof *nd * g->ndefs);
        g->defs = nd;
        g->cap = ncap;
    }
    g->defs[g->ndefs++] = d;
    return true;
}

/* Walks the package path then the constant string prefix of the head;
 * returns the node and how many head items were consumed. */
static rnode *head_node(pol_compiler *cc, module *m, rule *r, uint32_t *consumed)
{
    rnode *n = cc->root;
    term *pkg = m->package;
    for (uint32_t i = 1; i < pkg->u.ref.n; i++) {
        term *s = pkg->u.ref.items[i];
        n = rnode_get(cc, n, s->u.str.s, s->u.str.len);
        if (!n)
            return NULL;
    }
    term *h = r->head;
    term **items = h->kind == T_REF ? h->u.ref.items : &r->head;
    uint32_t nitems = h->kind == T_REF ? h->u.ref.n : 1;
    n = rnode_get(cc, n, items[0]->u.str.s, items[0]->u.str.len);
    uint32_t i = 1;
    for (; n && i < nitems && items[i]->kind == T_STR; i++)
        n = rnode_get(cc, n, items[i]->u.str.s, items[i]->u.str.len);
    *consumed = i;
    return n;
}

static bool build_tree(pol_compiler *cc)
{
    cc->root = rnode_new(cc, NULL, "data", 4);
    if (!cc->root)
        return oom(cc);
    /* every package is a document, even one without rules: data.a.b = {} */
    for (uint32_t mi = 0; mi < cc->mods.n; mi++) {
        rnode *n = cc->root;
        term *pkg = cc->mods.v[mi]->package;
        for (uint32_t i = 1; n && i < pkg->u.ref.n; i++)
            n = rnode_get(cc, n, pkg->u.ref.items[i]->u.str.s, pkg->u.ref.items[i]->u.str.len);
        if (!n)
            return oom(cc);
    }
    /* object groups first, so rules beneath them join the group; nested
     * object rules (obj[x] and obj.sub[y]) join the topmost one */
    typedef struct pending {
        rnode *n;
        rule *r;
        module *m;
        uint32_t used;
    } pending;
    pending *objs = NULL;
    uint32_t nobjs = 0, capobjs = 0;
    for (uint32_t mi = 0; mi < cc->mods.n; mi++) {
        module *m = cc->mods.v[mi];
        for (uint32_t ri = 0; ri < m->nrules; ri++) {
            rule *r = m->rules[ri];
            uint32_t nitems = r->head->kind == T_REF ? r->head->u.ref.n : 1;
            uint32_t used = 0;
            rnode *n = head_node(cc, m, r, &used);
            if (!n)
                return oom(cc);
            if (used >= nitems)
                continue;
            if (nobjs == capobjs) {
                uint32_t ncap = capobjs ? capobjs * 2 : 16;
                pending *np = arena_alloc(&cc->ast, sizeof *np * ncap);
                if (!np)
                    return oom(cc);
                if (nobjs)
                    memcpy(np, objs, sizeof *np * nobjs);
                objs = np;
                capobjs = ncap;
            }
            objs[nobjs++] = (pending){n, r, m, used};
            n->ns_state = 1; /* marks "an object group is rooted here" until assigned */
        }
    }
    for (uint32_t i = 0; i < nobjs; i++) {
        rnode *top = objs[i].n;
        uint32_t up = 0, depth = 0;
        for (rnode *a = objs[i].n; a; a = a->parent, depth++)
            if (a->ns_state == 1 || (a->grp && a->grp->kind == G_OBJECT)) {
                top = a;
                up = depth;
            }
        if (up >= objs[i].used)
            return cc_error(cc, POL_COMPILE, objs[i].r->pos,
                            "rule head nests into another package's object rule");
        if (!add_def(cc, top, G_OBJECT, objs[i].r, objs[i].m, objs[i].used - up,
                     objs[i].r->kind == R_CONTAINS))
            return false;
    }
    for (uint32_t i = 0; i < nobjs; i++)
        objs[i].n->ns_state = 0;
    for (uint32_t mi = 0; mi < cc->mods.n; mi++) {
        module *m = cc->mods.v[mi];
        for (uint32_t ri = 0; ri < m->nrules; ri++) {
            rule *r = m->rules[ri];
            uint32_t nitems = r->head->kind == T_REF ? r->head->u.ref.n : 1;
            uint32_t used = 0;
            rnode *n = head_node(cc, m, r, &used);
            if (!n)
                return oom(cc);
            if (used < nitems)
                continue;
            /* a constant path beneath an object group becomes one of its keys */
            rnode *anc = n->parent;
            uint32_t depth = 1;
            while (anc && !(anc->grp && anc->grp->kind == G_OBJECT)) {
                anc = anc->parent;
                depth++;
            }
            if (anc && r->kind != R_FUNC && !r->is_default) {
                /* the last `depth` head items are the key path below the group
                 * (for `contains`, the set's own path) */
                if (!add_def(cc, anc, G_OBJECT, r, m, nitems - depth, r->kind == R_CONTAINS))
                    return false;
                continue;
            }
            group_kind k = r->kind == R_FUNC ? G_FUNC : r->kind == R_CONTAINS ? G_SET : G_COMPLETE;
            if (!add_def(cc, n, k, r, m, used, false))
                return false;
        }
    }
    return true;
}

/* ---- build ------------------------------------------------------------- */

/* A procedure is non-deterministic when it calls a BIF_NONDET builtin, or
 * calls, reads or is overridden by one that is: a fixed point over the call
 * graph. Only deterministic entrypoints may use the decision cache. */
static void mark_nondeterministic(program *p)
{
    for (bool changed = true; changed;) {
        changed = false;
        for (uint32_t pi = 0; pi < p->nprocs; pi++) {
            proc *pr = &p->procs[pi];
            if (pr->nondet)
                continue;
            for (uint32_t i = 0; i < pr->ncode && !pr->nondet; i++) {
                const insn *in = &p->code[pr->code + i];
                switch (in->op) {
                case OP_CALL:
                case OP_CALLT: pr->nondet = (bi_table[in->b].flags & BIF_NONDET) != 0; break;
                case OP_CALLF:
                case OP_RULE:
                case OP_RULEK:
                case OP_RULEM: pr->nondet = p->procs[in->b].nondet; break;
                case OP_WITHFN:
                    if (in->a == WITHFN_BUILTIN_BY_BUILTIN || in->a == WITHFN_PROC_BY_BUILTIN)
                        pr->nondet = (bi_table[in->d].flags & BIF_NONDET) != 0;
                    else
                        pr->nondet = p->procs[in->d].nondet;
                    break;
                default: break;
                }
            }
            changed |= pr->nondet;
        }
    }
}

/* Without a `with data…` anywhere the base document is the bundle's in
 * every evaluation (with-modifiers are the only way to replace it), so a
 * DATA whose value the compiler found is a LOADK of that value. */
static void data_reads_as_constants(program *p)
{
    for (uint32_t i = 0; i < p->ncode; i++)
        if (p->code[i].op == OP_WITH && p->code[i].a == WITH_DATA)
            return;
    for (uint32_t i = 0; i < p->ncode; i++) {
        insn *in = &p->code[i];
        if (in->op == OP_DATA && in->c != K_NONE)
            *in = (insn){.op = OP_LOADK, .a = in->a, .b = in->c};
    }
}

POL_EXPORT pol_bundle *pol_compiler_build(pol_compiler *cc, pol_error *err)
{
    if (!cc)
        return NULL;
    if (!begin(cc, err))
        return NULL;
    if (!build_tree(cc) || !annot_collect(cc) || !plan_all(cc))
        return NULL;

    pol_bundle *b = pa_malloc(cc->al, sizeof *b);
    if (!b) {
        oom(cc);
        return NULL;
    }
    memset(b, 0, sizeof *b);
    b->refs = 1;
    if (cc->has_alloc) {
        b->alloc = cc->alloc;
        b->has_alloc = true;
    }
    program *p = &b->prog;
    /* copy the vectors into the program arena so the bundle owns one block */
    arena *pm = cc->pmem;
    p->k = arena_alloc(pm, sizeof *p->k * (cc->consts.n + 1));
    p->code = arena_alloc(pm, sizeof *p->code * (cc->code.n + 1));
    p->loc = arena_alloc(pm, sizeof *p->loc * (cc->locs.n + 1));
    p->procs = arena_alloc(pm, sizeof *p->procs * (cc->procs.n + 1));
    p->eps = arena_alloc(pm, sizeof *p->eps * (cc->eps.n + 1));
    if (!p->k || !p->code || !p->loc || !p->procs || !p->eps) {
        pa_free(cc->al, b, sizeof *b);
        oom(cc);
        return NULL;
    }
    if (cc->consts.n)
        memcpy(p->k, cc->consts.v, sizeof *p->k * cc->consts.n);
    if (cc->code.n)
        memcpy(p->code, cc->code.v, sizeof *p->code * cc->code.n);
    if (cc->locs.n)
        memcpy(p->loc, cc->locs.v, sizeof *p->loc * cc->locs.n);
    if (cc->procs.n)
        memcpy(p->procs, cc->procs.v, sizeof *p->procs * cc->procs.n);
    if (cc->eps.n)
        memcpy(p->eps, cc->eps.v, sizeof *p->eps * cc->eps.n);
    p->nk = cc->consts.n;
    p->ncode = cc->code.n;
    p->nprocs = cc->procs.n;
    p->neps = cc->eps.n;
    p->data = cc->data;
    mark_nondeterministic(p);
    data_reads_as_constants(p);
    for (uint32_t i = 0; i < p->nprocs; i++) {
        if (p->procs[i].nregs > p->max_regs)
            p->max_regs = p->procs[i].nregs;
        if (p->procs[i].nslots > p->max_slots)
            p->max_slots = p->procs[i].nslots;
    }
    /* the compiler's output goes through the same verifier as a loaded bundle */
    char why[256];
    if (!program_verify(p, why, sizeof why)) {
        srcpos none = {0};
        cc_error(cc, POL_INTERNAL, none, "generated code failed verification: %s", why);
        pa_free(cc->al, b, sizeof *b);
        return NULL;
    }
    p->mem = *pm; /* the indexes are allocated where the values live */
    if (!program_build_indexes(p)) {
        *pm = p->mem;
        oom(cc);
        pa_free(cc->al, b, sizeof *b);
        return NULL;
    }
    *pm = p->mem;
    p->mem = *pm;
    /* the arena remembers its allocator; the compiler's copy dies with it */
    p->mem.alloc = b->has_alloc ? &b->alloc : NULL;
    pa_free(cc->al, cc->pmem, sizeof *cc->pmem);
    cc->pmem = NULL;
    cc->built = true;
    return b;
}
