/* METADATA annotations: the YAML comment blocks the parser cut out of each
 * module (meta_block) become OPA's annotation objects, attached to the
 * package or rule that follows them, and answer rego.metadata.chain() and
 * rego.metadata.rule(), which OPA's compiler also replaces by constants.
 *
 * OPA's rules, followed here:
 *  - a block belongs to the first statement (package, import, rule) on a
 *    later line; without `scope:` it is "rule" on a rule ("document" when
 *    it says `entrypoint: true`) and "package" on a package;
 *  - "rule" and "document" need a rule, "package" and "subpackages" a
 *    package; anything else is a parse error at the block;
 *  - the chain of a rule: its "rule" blocks, closest first (or one entry
 *    with only the path when it has none), the "document" block of its
 *    path (from any module), the "package" block of its package (from any
 *    module), then "subpackages" blocks from its package up to the root.
 */
#include <stdio.h>
#include <string.h>

#include "compiler.h"

static const char scope_rule[] = "rule", scope_document[] = "document", scope_package[] = "package",
                  scope_subpackages[] = "subpackages";

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const val *str_val(pol_compiler *cc, const char *s, size_t n)
{
    return v_str(cc->pmem, s, n);
}

/* s[0..n) without leading and trailing blanks. */
static const val *trimmed(pol_compiler *cc, const char *s, size_t n)
{
    while (n && is_blank(*s)) {
        s++;
        n--;
    }
    while (n && is_blank(s[n - 1]))
        n--;
    return str_val(cc, s, n);
}

static const val *get_str(const val *obj, const char *key)
{
    const val *v = val_obj_get_str(obj, key, strlen(key));
    return v && v->type == V_STR ? v : NULL;
}

static bool put(pol_compiler *cc, vbuild *b, const char *key, const val *v)
{
    const val *k = str_val(cc, key, strlen(key));
    return k && v && vb_put(b, k, v);
}

/* OPA's parseAuthorString: the words of s; a last word in <...> is the
 * email, the rest (joined by single spaces) the name. */
static const val *author_from_string(pol_compiler *cc, const val *s)
{
    char *words = arena_alloc(cc->pmem, (size_t)s->len + 1);
    if (!words)
        return NULL;
    size_t n = 0, last = 0;
    for (size_t i = 0; i < s->len;) {
        while (i < s->len && is_blank(s->u.s[i]))
            i++;
        if (i == s->len)
            break;
        if (n)
            words[n++] = ' ';
        last = n;
        while (i < s->len && !is_blank(s->u.s[i]))
            words[n++] = s->u.s[i++];
    }
    if (n == 0)
        return NULL;
    vbuild b;
    vb_init(&b, cc->pmem);
    size_t wl = n - last;
    bool email = wl >= 2 && words[last] == '<' && words[n - 1] == '>';
    size_t name_len = email ? (last ? last - 1 : 0) : n;
    if (name_len && !put(cc, &b, "name", str_val(cc, words, name_len)))
        return NULL;
    if (email && wl > 2 && !put(cc, &b, "email", str_val(cc, words + last + 1, wl - 2)))
        return NULL;
    return vb_finish_object(&b, NULL);
}

static const val *author(pol_compiler *cc, const val *a)
{
    if (a->type == V_STR)
        return author_from_string(cc, a);
    if (a->type != V_OBJ)
        return NULL;
    const val *name = get_str(a, "name"), *email = get_str(a, "email");
    name = name ? trimmed(cc, name->u.s, name->len) : NULL;
    email = email ? trimmed(cc, email->u.s, email->len) : NULL;
    if ((!name || !name->len) && (!email || !email->len))
        return NULL;
    vbuild b;
    vb_init(&b, cc->pmem);
    if (name && name->len && !put(cc, &b, "name", name))
        return NULL;
    if (email && email->len && !put(cc, &b, "email", email))
        return NULL;
    return vb_finish_object(&b, NULL);
}

static const val *related_resource(pol_compiler *cc, const val *r)
{
    vbuild b;
    vb_init(&b, cc->pmem);
    if (r->type == V_STR) {
        if (!r->len)
            return NULL;
        return put(cc, &b, "ref", r) ? vb_finish_object(&b, NULL) : NULL;
    }
    if (r->type != V_OBJ)
        return NULL;
    const val *ref = get_str(r, "ref"), *desc = get_str(r, "description");
    ref = ref ? trimmed(cc, ref->u.s, ref->len) : NULL;
    desc = desc ? trimmed(cc, desc->u.s, desc->len) : NULL;
    if (!ref || !ref->len || !put(cc, &b, "ref", ref))
        return NULL;
    if (desc && desc->len && !put(cc, &b, "description", desc))
        return NULL;
    return vb_finish_object(&b, NULL);
}

/* A schema path or reference ("input.x", "schema.y") as OPA's Ref.toArray:
 * variables by name, other parts as values. NULL when not a ref. */
static const val *ref_array(pol_compiler *cc, const val *s)
{
    pol_error err;
    term *t = parse_term(&cc->ast, "", s->u.s, s->len, &err);
    if (!t || (t->kind != T_REF && t->kind != T_VAR))
        return NULL;
    term *const *items = t->kind == T_REF ? t->u.ref.items : &t;
    uint32_t n = t->kind == T_REF ? t->u.ref.n : 1;
    vbuild b;
    vb_init(&b, cc->pmem);
    for (uint32_t i = 0; i < n; i++) {
        const term *x = items[i];
        const val *v = x->kind == T_VAR ? str_val(cc, x->u.str.s, x->u.str.len) : cc_const_term(cc, x);
        if (!v || !vb_push(&b, v))
            return NULL;
    }
    return vb_finish_array(&b);
}

static const val *schema(pol_compiler *cc, const val *pair)
{
    if (pair->type != V_OBJ || pair->len != 1 || pair->u.o.k[0]->type != V_STR)
        return NULL;
    const val *path = ref_array(cc, pair->u.o.k[0]), *v = pair->u.o.v[0];
    if (!path)
        return NULL;
    vbuild b;
    vb_init(&b, cc->pmem);
    if (!put(cc, &b, "path", path))
        return NULL;
    if (v->type == V_STR) {
        const val *ref = ref_array(cc, v);
        if (!ref || ref->len == 0 || ref->u.a[0]->type != V_STR || ref->u.a[0]->len != 6 ||
            memcmp(ref->u.a[0]->u.s, "schema", 6) != 0 || !put(cc, &b, "schema", ref))
            return NULL;
    } else if (v->type == V_OBJ) {
        if (!put(cc, &b, "definition", v))
            return NULL;
    } else {
        return NULL;
    }
    return vb_finish_object(&b, NULL);
}

typedef const val *(*item_fn)(pol_compiler *cc, const val *x);

/* The list under key, each element converted by fn; *bad names the key
 * when an element does not convert. Absent or empty: NULL, not an error. */
static const val *list_of(pol_compiler *cc, const val *raw, const char *key, item_fn fn, const char **bad)
{
    const val *l = val_obj_get_str(raw, key, strlen(key));
    if (!l || l->type == V_NULL)
        return NULL;
    if (l->type != V_ARR) {
        *bad = key;
        return NULL;
    }
    vbuild b;
    vb_init(&b, cc->pmem);
    for (uint32_t i = 0; i < l->len; i++) {
        const val *x = fn ? fn(cc, l->u.a[i]) : (l->u.a[i]->type == V_STR ? l->u.a[i] : NULL);
        if (!x || !vb_push(&b, x)) {
            *bad = key;
            return NULL;
        }
    }
    return l->len ? vb_finish_array(&b) : NULL;
}

static bool fail_at(pol_compiler *cc, const meta_block *mb, const char *fmt, const char *a, const char *b,
                    const char *c)
{
    char msg[400];
    snprintf(msg, sizeof msg, fmt, a, b, c);
    return cc_error(cc, POL_PARSE, mb->pos, "%s", msg);
}

/* The statement a block belongs to: the first one on a later line. */
static const char *block_target(const module *m, const meta_block *mb, rule **r)
{
    uint32_t best = UINT32_MAX;
    const char *kind = NULL;
    *r = NULL;
    if (m->pos.line > mb->pos.line) {
        best = m->pos.line;
        kind = "package";
    }
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].pos.line > mb->pos.line && m->imports[i].pos.line < best) {
            best = m->imports[i].pos.line;
            kind = "import";
        }
    for (uint32_t i = 0; i < m->nrules; i++)
        if (m->rules[i]->pos.line > mb->pos.line && m->rules[i]->pos.line < best) {
            best = m->rules[i]->pos.line;
            kind = "rule";
            *r = m->rules[i];
        }
    return kind;
}

/* Parses one block into an annot (OPA's metadataParser.Parse, then the
 * attachment checks of attachAnnotationsNodes). */
static bool parse_block(pol_compiler *cc, module *m, const meta_block *mb, annot *out)
{
    size_t k = 0;
    while (k < mb->len && is_blank(mb->yaml[k]))
        k++;
    if (k == mb->len)
        return fail_at(cc, mb, "%sexpected METADATA block, found whitespace", "", "", "");
    json_error je;
    memset(&je, 0, sizeof je);
    const val *raw = yaml_parse(cc->pmem, mb->yaml, mb->len, &je);
    if (!raw) {
        if (je.oom)
            return cc_error(cc, POL_NOMEM, mb->pos, "%s", "out of memory");
        return fail_at(cc, mb, "%s%s%s", strncmp(je.msg, "yaml:", 5) == 0 ? "" : "yaml: ", je.msg, "");
    }
    if (raw->type == V_NULL)
        raw = &val_empty_obj_c;
    if (raw->type != V_OBJ)
        return fail_at(cc, mb, "yaml: unmarshal errors: cannot unmarshal %s into annotations%s%s",
                       vtype_name((vtype)raw->type), "", "");

    rule *r;
    const char *kind = block_target(m, mb, &r);
    const val *entry = val_obj_get_str(raw, "entrypoint", 10);
    bool entrypoint = entry && entry->type == V_BOOL && entry->u.b;
    const val *sv = get_str(raw, "scope");
    const char *scope;
    if (sv && sv->len) {
        scope = sv->u.s;
    } else if (kind && strcmp(kind, "rule") == 0) {
        scope = entrypoint ? scope_document : scope_rule;
    } else if (kind && strcmp(kind, "package") == 0) {
        scope = scope_package;
    } else {
        scope = kind ? kind : "";
    }
    bool wants_rule = strcmp(scope, scope_rule) == 0 || strcmp(scope, scope_document) == 0;
    bool wants_pkg = strcmp(scope, scope_package) == 0 || strcmp(scope, scope_subpackages) == 0;
    if (!wants_rule && !wants_pkg)
        return fail_at(cc, mb,
                       "invalid annotation scope '%s'. Use one of 'rule', 'document', 'package', or "
                       "'subpackages'%s%s",
                       scope, "", "");
    const char *want = wants_rule ? "rule" : "package";
    if (!kind || strcmp(kind, want) != 0) {
        char have[32] = "";
        if (kind)
            snprintf(have, sizeof have, " (have %s)", kind);
        return fail_at(cc, mb, "annotation scope '%s' must be applied to %s%s", scope, want, have);
    }
    if (entrypoint && strcmp(scope, scope_document) != 0 && strcmp(scope, scope_package) != 0)
        return fail_at(cc, mb, "annotation entrypoint applied to non-document or package scope '%s'%s%s",
                       scope, "", "");

    const char *bad = NULL;
    const val *orgs = list_of(cc, raw, "organizations", NULL, &bad);
    const val *rrs = list_of(cc, raw, "related_resources", related_resource, &bad);
    const val *authors = list_of(cc, raw, "authors", author, &bad);
    const val *schemas = list_of(cc, raw, "schemas", schema, &bad);
    if (bad)
        return fail_at(cc, mb, "invalid %s annotation%s%s", bad, "", "");
    const val *custom = val_obj_get_str(raw, "custom", 6);
    if (custom && custom->type != V_OBJ && custom->type != V_NULL)
        return fail_at(cc, mb, "invalid custom annotation%s%s%s", "", "", "");

    vbuild b;
    vb_init(&b, cc->pmem);
    const val *title = get_str(raw, "title"), *desc = get_str(raw, "description");
    bool ok = put(cc, &b, "scope", str_val(cc, scope, strlen(scope)));
    if (ok && title && title->len)
        ok = put(cc, &b, "title", title);
    if (ok && desc && desc->len)
        ok = put(cc, &b, "description", desc);
    if (ok && entrypoint)
        ok = put(cc, &b, "entrypoint", VAL_TRUE);
    if (ok && orgs)
        ok = put(cc, &b, "organizations", orgs);
    if (ok && rrs)
        ok = put(cc, &b, "related_resources", rrs);
    if (ok && authors)
        ok = put(cc, &b, "authors", authors);
    if (ok && schemas)
        ok = put(cc, &b, "schemas", schemas);
    if (ok && custom && custom->type == V_OBJ && custom->len)
        ok = put(cc, &b, "custom", custom);
    const val *obj = ok ? vb_finish_object(&b, NULL) : NULL;
    if (!obj)
        return cc_error(cc, POL_NOMEM, mb->pos, "%s", "out of memory");
    out->obj = obj;
    out->scope = wants_rule ? (strcmp(scope, scope_rule) == 0 ? scope_rule : scope_document)
                            : (strcmp(scope, scope_package) == 0 ? scope_package : scope_subpackages);
    out->pos = mb->pos;
    out->m = m;
    out->r = r;
    return true;
}

bool annot_collect(pol_compiler *cc)
{
    size_t total = 0;
    for (uint32_t i = 0; i < cc->mods.n; i++)
        total += cc->mods.v[i]->nmetas;
    cc->nannots = 0;
    if (total == 0)
        return true;
    cc->annots = arena_alloc(&cc->ast, total * sizeof *cc->annots);
    if (!cc->annots) {
        srcpos none = {0};
        return cc_error(cc, POL_NOMEM, none, "%s", "out of memory");
    }
    for (uint32_t i = 0; i < cc->mods.n; i++) {
        module *m = cc->mods.v[i];
        for (uint32_t j = 0; j < m->nmetas; j++)
            if (!parse_block(cc, m, &m->metas[j], &cc->annots[cc->nannots++]))
                return false;
    }
    return true;
}

/* Starts b with the package path without `data`, as strings; false when
 * the arena is full. */
static bool package_path(pol_compiler *cc, const module *m, vbuild *b)
{
    vb_init(b, cc->pmem);
    const term *p = m->package;
    for (uint32_t i = 1; p && p->kind == T_REF && i < p->u.ref.n; i++) {
        const term *x = p->u.ref.items[i];
        const val *v = x->kind == T_STR || x->kind == T_VAR ? str_val(cc, x->u.str.s, x->u.str.len) : NULL;
        if (!v || !vb_push(b, v))
            return false;
    }
    return true;
}

static const val *pkg_path_value(pol_compiler *cc, const module *m)
{
    vbuild b;
    return package_path(cc, m, &b) ? vb_finish_array(&b) : NULL;
}

/* OPA's rule.Ref().GroundPrefix() under the package, without `data`. */
static const val *rule_path(pol_compiler *cc, const module *m, const rule *r)
{
    vbuild b;
    if (!package_path(cc, m, &b))
        return NULL;
    const term *h = r->head;
    term *const *items = h && h->kind == T_REF ? h->u.ref.items : NULL;
    uint32_t n = h && h->kind == T_REF ? h->u.ref.n : 0;
    for (uint32_t i = 0; i < n; i++) {
        const term *x = items[i];
        const val *v;
        if (i == 0 && x->kind == T_VAR)
            v = str_val(cc, x->u.str.s, x->u.str.len);
        else if (x->kind == T_STR || x->kind == T_NUM || x->kind == T_BOOL || x->kind == T_NULL)
            v = cc_const_term(cc, x);
        else
            break;
        if (!v || !vb_push(&b, v))
            return NULL;
    }
    return vb_finish_array(&b);
}

static const val *chain_entry(pol_compiler *cc, const val *path, const val *annotations)
{
    vbuild b;
    vb_init(&b, cc->pmem);
    if (!put(cc, &b, "path", path) || (annotations && !put(cc, &b, "annotations", annotations)))
        return NULL;
    return vb_finish_object(&b, NULL);
}

/* Whether package path p (strings) is a prefix of q. */
static bool path_prefix(const val *p, const val *q)
{
    if (p->len > q->len)
        return false;
    for (uint32_t i = 0; i < p->len; i++)
        if (!val_equal(p->u.a[i], q->u.a[i]))
            return false;
    return true;
}

const val *annot_chain(pol_compiler *cc, const module *m, const rule *r)
{
    const val *path = rule_path(cc, m, r), *pkg = pkg_path_value(cc, m);
    if (!path || !pkg)
        return NULL;
    vbuild b;
    vb_init(&b, cc->pmem);
    bool any_rule = false;
    /* annots are in module and source order: walking back gives the
     * closest block first */
    for (uint32_t i = cc->nannots; i-- > 0;) {
        const annot *a = &cc->annots[i];
        if (a->r == r && a->scope == scope_rule) {
            const val *e = chain_entry(cc, path, a->obj);
            if (!e || !vb_push(&b, e))
                return NULL;
            any_rule = true;
        }
    }
    if (!any_rule) {
        const val *e = chain_entry(cc, path, NULL);
        if (!e || !vb_push(&b, e))
            return NULL;
    }
    for (uint32_t i = 0; i < cc->nannots; i++) {
        const annot *a = &cc->annots[i];
        if (a->scope != scope_document)
            continue;
        const val *ap = rule_path(cc, a->m, a->r);
        if (ap && val_equal(ap, path)) {
            const val *e = chain_entry(cc, path, a->obj);
            if (!e || !vb_push(&b, e))
                return NULL;
            break;
        }
    }
    for (uint32_t i = 0; i < cc->nannots; i++) {
        const annot *a = &cc->annots[i];
        if (a->scope != scope_package)
            continue;
        const val *ap = pkg_path_value(cc, a->m);
        if (ap && val_equal(ap, pkg)) {
            const val *e = chain_entry(cc, pkg, a->obj);
            if (!e || !vb_push(&b, e))
                return NULL;
            break;
        }
    }
    /* subpackages: from the package itself up to the root, one per path */
    for (uint32_t len = pkg->len + 1; len-- > 0;) {
        for (uint32_t i = 0; i < cc->nannots; i++) {
            const annot *a = &cc->annots[i];
            if (a->scope != scope_subpackages)
                continue;
            const val *ap = pkg_path_value(cc, a->m);
            if (ap && ap->len == len && path_prefix(ap, pkg)) {
                const val *e = chain_entry(cc, ap, a->obj);
                if (!e || !vb_push(&b, e))
                    return NULL;
                break;
            }
        }
    }
    return vb_finish_array(&b);
}

const val *annot_rule(pol_compiler *cc, const rule *r)
{
    for (uint32_t i = cc->nannots; i-- > 0;) {
        const annot *a = &cc->annots[i];
        if (a->r == r && a->scope == scope_rule)
            return a->obj;
    }
    return &val_empty_obj_c;
}
