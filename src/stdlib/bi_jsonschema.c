/* json.verify_schema and json.match_schema: JSON Schema (drafts 4, 6 and
 * 7, mixed as gojsonschema's hybrid mode accepts them) with gojsonschema's
 * error kinds, descriptions and field paths, which OPA returns verbatim.
 *
 * A schema is first checked as gojsonschema's loader checks it (keyword
 * types, valid type names, regexes); validation then follows
 * gojsonschema's order: combinators (allOf, anyOf, oneOf, not,
 * dependencies, if/then/else), the type-specific keywords, const/enum, and
 * for objects the "properties" children last.
 *
 * Not covered: "format" (accepted, not checked), remote or file $refs
 * (only references into the schema itself resolve).
 */
#include "builtins.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

/* $ref chains and nesting are followed at most this deep: a schema
 * referring to itself ("$ref": "#") must not recurse forever. */
enum { JS_MAX_DEPTH = 200 };

static const char *const type_names[] = {"array", "boolean", "integer", "number", "null", "object", "string"};

typedef struct jpath {
    const struct jpath *up;
    const char *s;
    size_t n;
} jpath;

typedef struct js {
    bi_ctx *bc;
    const val *root;
    pcre2_general_context *g;
    int depth;
    bool hard;     /* stop: memory ran out, or a limit error is recorded */
    bool reported; /* ... and it was recorded with bi_fail */
    char msg[256]; /* schema problem found by the checker */
} js;

static void *js_malloc(size_t n, void *data)
{
    return arena_alloc((arena *)data, n);
}

static void js_free(void *p, void *data)
{
    (void)p; /* the arena owns it */
    (void)data;
}

static const val *key(const val *schema, const char *k)
{
    return schema && schema->type == V_OBJ ? val_obj_get_str(schema, k, strlen(k)) : NULL;
}

static bool is_schema(const val *v)
{
    return v->type == V_OBJ || v->type == V_BOOL;
}

static bool is_seq(const val *v)
{
    return v->type == V_ARR || v->type == V_SET;
}

static bool set_msg(js *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool set_msg(js *j, const char *fmt, ...)
{
    if (j->msg[0])
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->msg, sizeof j->msg, fmt, ap);
    va_end(ap);
    return false;
}

/* ======================================================================
 * Regexes (ECMA 262 in the spec; PCRE2 is close enough for the patterns
 * schemas use)
 * ====================================================================== */

static pcre2_code *js_regex(js *j, const val *pat)
{
    if (!j->g)
        j->g = pcre2_general_context_create(js_malloc, js_free, j->bc->arena);
    pcre2_compile_context *cc = j->g ? pcre2_compile_context_create(j->g) : NULL;
    if (!cc)
        return NULL;
    int err;
    PCRE2_SIZE off;
    return pcre2_compile((PCRE2_SPTR)pat->u.s, pat->len, PCRE2_UTF, &err, &off, cc);
}

/* 1 match, 0 no match, -1 failure (memory or limits). */
static int js_search(js *j, const val *pat, const val *subject)
{
    pcre2_code *code = js_regex(j, pat);
    if (!code)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, j->g);
    pcre2_match_context *mc = pcre2_match_context_create(j->g);
    if (!md || !mc)
        return -1;
    if (j->bc->regex_match_limit)
        pcre2_set_match_limit(mc, j->bc->regex_match_limit);
    if (j->bc->regex_depth_limit)
        pcre2_set_depth_limit(mc, j->bc->regex_depth_limit);
    int rc = pcre2_match(code, (PCRE2_SPTR)subject->u.s, subject->len, 0, 0, md, mc);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT) {
        bi_fail(j->bc, POL_EVAL_BUILTIN, "json.match_schema: regular expression match limit exceeded");
        j->reported = true;
    }
    return rc < 0 ? -1 : 1;
}

/* ======================================================================
 * Schema checking (gojsonschema's parse errors)
 * ====================================================================== */

static const val *resolve_ref(js *j, const val *ref);
static bool check_schema(js *j, const val *s, const char *name);

static bool check_int_kw(js *j, const val *s, const char *kw)
{
    const val *v = key(s, kw);
    int64_t i;
    if (!v)
        return true;
    if (v->type != V_NUM || !val_is_int(v, &i))
        return set_msg(j, "%s must be of an integer", kw);
    if (i < 0)
        return set_msg(j, "%s must be greater than or equal to 0", kw);
    return true;
}

static bool check_min_max(js *j, const val *s, const char *lo, const char *hi)
{
    const val *a = key(s, lo), *b = key(s, hi);
    if (a && b && val_to_double(a) > val_to_double(b))
        return set_msg(j, "%s cannot be greater than %s", lo, hi);
    return true;
}

static bool check_unique_strings(js *j, const val *arr, const char *kw)
{
    for (uint32_t i = 0; i < arr->len; i++)
        for (uint32_t k = 0; k < i; k++)
            if (val_equal(arr->u.a[i], arr->u.a[k]))
                return set_msg(j, "%s items must be unique", kw);
    return true;
}

static bool valid_type_name(const val *t)
{
    for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
        if (t->len == strlen(type_names[i]) && memcmp(t->u.s, type_names[i], t->len) == 0)
            return true;
    return false;
}

static bool check_type_kw(js *j, const val *t)
{
    if (t->type == V_STR) {
        if (!valid_type_name(t))
            return set_msg(
                j,
                "has a primitive type that is NOT VALID -- given: /%.*s/ Expected valid values are:[array "
                "boolean integer number null object string]",
                (int)t->len, t->u.s);
        return true;
    }
    if (!is_seq(t))
        return set_msg(j, "Invalid type. Expected: string/array of strings, given: type");
    for (uint32_t i = 0; i < t->len; i++) {
        const val *e = t->u.a[i];
        if (e->type != V_STR)
            return set_msg(j, "Invalid type. Expected: string, given: type");
        if (!check_type_kw(j, e))
            return false;
        for (uint32_t k = 0; k < i; k++)
            if (val_equal(e, t->u.a[k]))
                return set_msg(j, "%.*s type is duplicated", (int)e->len, e->u.s);
    }
    return true;
}

static bool check_schema_map(js *j, const val *m, const char *kw)
{
    if (m->type != V_OBJ)
        return set_msg(j, "Invalid type. Expected: object, given: %s", kw);
    for (uint32_t i = 0; i < m->len; i++)
        if (!check_schema(j, m->u.o.v[i], kw))
            return false;
    return true;
}

static bool check_schema_list(js *j, const val *l, const char *kw)
{
    if (!is_seq(l))
        return set_msg(j, "Invalid type. Expected: array, given: %s", kw);
    if (l->len == 0)
        return set_msg(j, "%s must be of an array with at least one element", kw);
    for (uint32_t i = 0; i < l->len; i++)
        if (!check_schema(j, l->u.a[i], kw))
            return false;
    return true;
}

static bool check_schema(js *j, const val *s, const char *name)
{
    if (s->type == V_BOOL)
        return true;
    if (s->type != V_OBJ)
        return set_msg(j, "Invalid type. Expected: object, given: %s", name);
    if (++j->depth > JS_MAX_DEPTH) {
        j->depth--;
        return set_msg(j, "schema nested too deeply");
    }
    bool ok = true;
    const val *v;
    if ((v = key(s, "$ref"))) {
        if (v->type != V_STR)
            ok = set_msg(j, "Invalid type. Expected: string, given: $ref");
        else if (!resolve_ref(j, v))
            ok = set_msg(j, "Reference %.*s not found", (int)v->len, v->u.s);
    }
    if (ok && (v = key(s, "type")))
        ok = check_type_kw(j, v);
    if (ok && (v = key(s, "properties")))
        ok = check_schema_map(j, v, "properties");
    if (ok && (v = key(s, "patternProperties"))) {
        ok = check_schema_map(j, v, "patternProperties");
        for (uint32_t i = 0; ok && i < v->len; i++)
            if (v->u.o.k[i]->type != V_STR || !js_regex(j, v->u.o.k[i]))
                ok = set_msg(j, "patternProperties must be a valid regex");
    }
    if (ok && (v = key(s, "definitions")))
        ok = check_schema_map(j, v, "definitions");
    if (ok && (v = key(s, "required"))) {
        if (!is_seq(v))
            ok = set_msg(j, "Invalid type. Expected: array of strings, given: required");
        for (uint32_t i = 0; ok && i < v->len; i++)
            if (v->u.a[i]->type != V_STR)
                ok = set_msg(j, "Invalid type. Expected: array of strings, given: required");
        ok = ok && check_unique_strings(j, v, "required");
    }
    if (ok && (v = key(s, "items"))) {
        if (is_seq(v)) {
            for (uint32_t i = 0; ok && i < v->len; i++)
                ok = check_schema(j, v->u.a[i], "items");
        } else if (is_schema(v)) {
            ok = check_schema(j, v, "items");
        } else {
            ok = set_msg(j, "Invalid type. Expected: object/array, given: items");
        }
    }
    static const char *const single[] = {
        "additionalProperties", "additionalItems", "not", "contains", "propertyNames", "if", "then", "else"};
    for (size_t i = 0; ok && i < sizeof single / sizeof *single; i++)
        if ((v = key(s, single[i]))) {
            if (!is_schema(v))
                ok = set_msg(j, "Invalid type. Expected: boolean/valid schema, given: %s", single[i]);
            else
                ok = check_schema(j, v, single[i]);
        }
    static const char *const lists[] = {"allOf", "anyOf", "oneOf"};
    for (size_t i = 0; ok && i < 3; i++)
        if ((v = key(s, lists[i])))
            ok = check_schema_list(j, v, lists[i]);
    if (ok && (v = key(s, "dependencies"))) {
        if (v->type != V_OBJ)
            ok = set_msg(j, "Invalid type. Expected: object, given: dependencies");
        for (uint32_t i = 0; ok && i < v->len; i++) {
            const val *d = v->u.o.v[i];
            if (is_seq(d)) {
                for (uint32_t k = 0; ok && k < d->len; k++)
                    if (d->u.a[k]->type != V_STR)
                        ok = set_msg(j, "Invalid type. Expected: array of strings, given: dependencies");
            } else {
                ok = check_schema(j, d, "dependencies");
            }
        }
    }
    static const char *const ints[] = {"minLength", "maxLength",     "minItems",
                                       "maxItems",  "minProperties", "maxProperties"};
    for (size_t i = 0; ok && i < sizeof ints / sizeof *ints; i++)
        ok = check_int_kw(j, s, ints[i]);
    ok = ok && check_min_max(j, s, "minLength", "maxLength") && check_min_max(j, s, "minItems", "maxItems") &&
         check_min_max(j, s, "minProperties", "maxProperties");
    static const char *const nums[] = {"minimum", "maximum", "multipleOf"};
    for (size_t i = 0; ok && i < 3; i++)
        if ((v = key(s, nums[i])) && v->type != V_NUM)
            ok = set_msg(j, "%s must be of a number", nums[i]);
    if (ok && (v = key(s, "multipleOf")) && val_to_double(v) <= 0)
        ok = set_msg(j, "multipleOf must be strictly greater than 0");
    static const char *const excl[] = {"exclusiveMinimum", "exclusiveMaximum"};
    for (size_t i = 0; ok && i < 2; i++)
        if ((v = key(s, excl[i])) && v->type != V_NUM && v->type != V_BOOL)
            ok = set_msg(j, "%s must be of a number", excl[i]);
    if (ok && (v = key(s, "pattern"))) {
        if (v->type != V_STR)
            ok = set_msg(j, "pattern must be of a string");
        else if (!js_regex(j, v))
            ok = set_msg(j, "pattern must be a valid regex");
    }
    if (ok && (v = key(s, "enum"))) {
        if (!is_seq(v))
            ok = set_msg(j, "enum must be of an array");
        else if (v->len == 0)
            ok = set_msg(j, "enum must have at least one item");
        else
            ok = check_unique_strings(j, v, "enum");
    }
    j->depth--;
    return ok;
}

/* "#", "#/a/b" (JSON pointer into the root schema, ~0 and ~1 escapes). */
static const val *resolve_ref(js *j, const val *ref)
{
    const char *p = ref->u.s, *end = p + ref->len;
    if (p == end || *p != '#')
        return NULL;
    p++;
    const val *cur = j->root;
    while (p < end) {
        if (*p != '/')
            return NULL;
        p++;
        char seg[256];
        size_t n = 0;
        while (p < end && *p != '/' && n < sizeof seg) {
            if (*p == '~' && p + 1 < end && (p[1] == '0' || p[1] == '1')) {
                seg[n++] = p[1] == '0' ? '~' : '/';
                p += 2;
            } else {
                seg[n++] = *p++;
            }
        }
        if (cur->type == V_OBJ) {
            cur = val_obj_get_str(cur, seg, n);
        } else if (is_seq(cur)) {
            size_t idx = 0;
            for (size_t i = 0; i < n; i++)
                idx = idx * 10 + (size_t)(seg[i] - '0');
            cur = n && idx < cur->len ? cur->u.a[idx] : NULL;
        } else {
            cur = NULL;
        }
        if (!cur)
            return NULL;
    }
    return is_schema(cur) ? cur : NULL;
}

/* ======================================================================
 * Validation
 * ====================================================================== */

typedef struct results {
    vbuild errs;
    uint32_t score; /* checks passed, gojsonschema's tie-breaker for anyOf/oneOf */
} results;

static void res_init(js *j, results *r)
{
    vb_init(&r->errs, j->bc->arena);
    r->score = 0;
}

static void path_string(sbuf *b, const jpath *p)
{
    if (!p) {
        sb_puts(b, "(root)");
        return;
    }
    path_string(b, p->up);
    sb_putc(b, '.');
    sb_put(b, p->s, p->n);
}

static const val *arena_text(js *j, const char *s, size_t n)
{
    const val *v = v_str(j->bc->arena, s, n);
    if (!v)
        j->hard = true;
    return v;
}

static void add_error(js *j, results *r, const jpath *at, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void add_error(js *j, results *r, const jpath *at, const char *type, const char *fmt, ...)
{
    char field[512], desc[512], whole[1100];
    sbuf b;
    sb_init(&b, field, sizeof field - 1);
    path_string(&b, at);
    size_t fl = b.len < sizeof field - 1 ? b.len : sizeof field - 1;
    field[fl] = 0;
    const char *f = field;
    if (strncmp(f, "(root).", 7) == 0)
        f += 7;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(desc, sizeof desc, fmt, ap);
    va_end(ap);
    snprintf(whole, sizeof whole, "%s: %s", f, desc);
    /* messages may name the field: "{{.field}}" is written as "%F" */
    vbuild o;
    vb_init(&o, j->bc->arena);
    const val *ks[4] = {arena_text(j, "desc", 4), arena_text(j, "error", 5), arena_text(j, "field", 5),
                        arena_text(j, "type", 4)};
    const val *vs[4] = {arena_text(j, desc, strlen(desc)), arena_text(j, whole, strlen(whole)),
                        arena_text(j, f, strlen(f)), arena_text(j, type, strlen(type))};
    for (int i = 0; i < 4; i++)
        if (!ks[i] || !vs[i] || !vb_put(&o, ks[i], vs[i]))
            j->hard = true;
    const val *obj = j->hard ? NULL : vb_finish_object(&o, NULL);
    if (!obj || !vb_push(&r->errs, obj))
        j->hard = true;
}

static void merge(js *j, results *into, const results *from)
{
    for (uint32_t i = 0; i < from->errs.n; i++)
        if (!vb_push(&into->errs, from->errs.k[i]))
            j->hard = true;
    into->score += from->score;
}

/* The field name as gojsonschema's {{.field}} detail renders it. */
static void field_text(const jpath *at, char *buf, size_t cap)
{
    sbuf b;
    sb_init(&b, buf, cap - 1);
    path_string(&b, at);
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    buf[n] = 0;
    if (strncmp(buf, "(root).", 7) == 0)
        memmove(buf, buf + 7, n - 7 + 1);
}

static void json_text(const val *v, char *buf, size_t cap)
{
    sbuf b;
    sb_init(&b, buf, cap - 1);
    json_write(&b, v, 0);
    buf[b.len < cap - 1 ? b.len : cap - 1] = 0;
}

/* Numbers in messages as big.Float prints them ('g', 10 digits). */
static void num_text(const val *v, char *buf, size_t cap)
{
    int64_t i;
    if (val_is_int(v, &i))
        snprintf(buf, cap, "%lld", (long long)i);
    else
        snprintf(buf, cap, "%.10g", val_to_double(v));
}

static const char *node_type(const val *v)
{
    int64_t i;
    switch (v->type) {
    case V_NULL: return "null";
    case V_BOOL: return "boolean";
    case V_NUM:
        if (v->nk == NUM_BIG || val_is_int(v, &i))
            return "integer";
        return fmod(val_to_double(v), 1.0) == 0.0 ? "integer" : "number";
    case V_STR: return "string";
    case V_ARR:
    case V_SET: return "array";
    default: return "object";
    }
}

static bool type_allows(const val *types, const char *t)
{
    if (types->type == V_STR)
        return (types->len == strlen(t) && memcmp(types->u.s, t, types->len) == 0) ||
               (!strcmp(t, "integer") && types->len == 6 && memcmp(types->u.s, "number", 6) == 0);
    for (uint32_t i = 0; i < types->len; i++)
        if (type_allows(types->u.a[i], t))
            return true;
    return false;
}

static void validate(js *j, const val *s, const val *v, const jpath *at, results *r);

static void sub_validate(js *j, const val *s, const val *v, const jpath *at, results *out)
{
    res_init(j, out);
    validate(j, s, v, at, out);
}

static void validate_combinators(js *j, const val *s, const val *v, const jpath *at, results *r)
{
    const val *l;
    if ((l = key(s, "anyOf")) && is_seq(l) && l->len) {
        bool any = false;
        results best = {0};
        bool have_best = false;
        for (uint32_t i = 0; i < l->len && !any; i++) {
            results sub;
            sub_validate(j, l->u.a[i], v, at, &sub);
            if (sub.errs.n == 0)
                any = true;
            else if (!have_best || sub.score > best.score)
                best = sub, have_best = true;
        }
        if (!any) {
            add_error(j, r, at, "number_any_of", "Must validate at least one schema (anyOf)");
            if (have_best)
                merge(j, r, &best);
        }
    }
    if ((l = key(s, "oneOf")) && is_seq(l) && l->len) {
        uint32_t ok = 0;
        results best = {0};
        bool have_best = false;
        for (uint32_t i = 0; i < l->len; i++) {
            results sub;
            sub_validate(j, l->u.a[i], v, at, &sub);
            if (sub.errs.n == 0)
                ok++;
            else if (!have_best || sub.score > best.score)
                best = sub, have_best = true;
        }
        if (ok != 1) {
            add_error(j, r, at, "number_one_of", "Must validate one and only one schema (oneOf)");
            if (ok == 0 && have_best)
                merge(j, r, &best);
        }
    }
    if ((l = key(s, "allOf")) && is_seq(l) && l->len) {
        uint32_t ok = 0;
        for (uint32_t i = 0; i < l->len; i++) {
            results sub;
            sub_validate(j, l->u.a[i], v, at, &sub);
            ok += sub.errs.n == 0;
            merge(j, r, &sub);
        }
        if (ok != l->len)
            add_error(j, r, at, "number_all_of", "Must validate all the schemas (allOf)");
    }
    if ((l = key(s, "not"))) {
        results sub;
        sub_validate(j, l, v, at, &sub);
        if (sub.errs.n == 0)
            add_error(j, r, at, "number_not", "Must not validate the schema (not)");
    }
    if ((l = key(s, "dependencies")) && l->type == V_OBJ && v->type == V_OBJ) {
        for (uint32_t i = 0; i < l->len; i++) {
            const val *k = l->u.o.k[i], *d = l->u.o.v[i];
            if (!val_obj_get(v, k))
                continue;
            if (is_seq(d)) {
                for (uint32_t q = 0; q < d->len; q++)
                    if (!val_obj_get(v, d->u.a[q]))
                        add_error(j, r, at, "missing_dependency", "Has a dependency on %.*s",
                                  (int)d->u.a[q]->len, d->u.a[q]->u.s);
            } else {
                results sub;
                sub_validate(j, d, v, at, &sub);
                merge(j, r, &sub);
            }
        }
    }
    if ((l = key(s, "if"))) {
        results cond;
        sub_validate(j, l, v, at, &cond);
        const val *branch = key(s, cond.errs.n == 0 ? "then" : "else");
        if (branch) {
            results sub;
            sub_validate(j, branch, v, at, &sub);
            if (sub.errs.n) {
                merge(j, r, &sub);
                if (cond.errs.n == 0)
                    add_error(j, r, at, "condition_then", "Must validate \"then\" as \"if\" was valid");
                else
                    add_error(j, r, at, "condition_else", "Must validate \"else\" as \"if\" was not valid");
            }
        }
    }
}

static void validate_number(js *j, const val *s, const val *v, const jpath *at, results *r)
{
    double x = val_to_double(v);
    char t[64];
    const val *k;
    if ((k = key(s, "multipleOf")) && k->type == V_NUM) {
        double m = val_to_double(k), q = x / m;
        if (m != 0 && fabs(q - nearbyint(q)) > 1e-9 * fmax(1.0, fabs(q))) {
            num_text(k, t, sizeof t);
            add_error(j, r, at, "multiple_of", "Must be a multiple of %s", t);
        }
    }
    const val *emax = key(s, "exclusiveMaximum"), *emin = key(s, "exclusiveMinimum");
    if ((k = key(s, "maximum")) && k->type == V_NUM) {
        num_text(k, t, sizeof t);
        if (emax && emax->type == V_BOOL && emax->u.b) {
            if (x >= val_to_double(k))
                add_error(j, r, at, "number_lt", "Must be less than %s", t);
        } else if (x > val_to_double(k)) {
            add_error(j, r, at, "number_lte", "Must be less than or equal to %s", t);
        }
    }
    if (emax && emax->type == V_NUM && x >= val_to_double(emax)) {
        num_text(emax, t, sizeof t);
        add_error(j, r, at, "number_lt", "Must be less than %s", t);
    }
    if ((k = key(s, "minimum")) && k->type == V_NUM) {
        num_text(k, t, sizeof t);
        if (emin && emin->type == V_BOOL && emin->u.b) {
            if (x <= val_to_double(k))
                add_error(j, r, at, "number_gt", "Must be greater than %s", t);
        } else if (x < val_to_double(k)) {
            add_error(j, r, at, "number_gte", "Must be greater than or equal to %s", t);
        }
    }
    if (emin && emin->type == V_NUM && x <= val_to_double(emin)) {
        num_text(emin, t, sizeof t);
        add_error(j, r, at, "number_gt", "Must be greater than %s", t);
    }
}

static void validate_string(js *j, const val *s, const val *v, const jpath *at, results *r)
{
    int64_t lim;
    const val *k;
    size_t runes = 0;
    for (uint32_t i = 0; i < v->len; i++)
        runes += ((unsigned char)v->u.s[i] & 0xc0) != 0x80;
    if ((k = key(s, "minLength")) && val_is_int(k, &lim) && (int64_t)runes < lim)
        add_error(j, r, at, "string_gte", "String length must be greater than or equal to %lld",
                  (long long)lim);
    if ((k = key(s, "maxLength")) && val_is_int(k, &lim) && (int64_t)runes > lim)
        add_error(j, r, at, "string_lte", "String length must be less than or equal to %lld", (long long)lim);
    if ((k = key(s, "pattern")) && k->type == V_STR) {
        int m = js_search(j, k, v);
        if (m < 0)
            j->hard = true;
        else if (m == 0)
            add_error(j, r, at, "pattern", "Does not match pattern '%.*s'", (int)k->len, k->u.s);
    }
}

static void validate_array(js *j, const val *s, const val *v, const jpath *at, results *r)
{
    const val *items = key(s, "items");
    char idx[24];
    if (items && is_schema(items)) {
        for (uint32_t i = 0; i < v->len; i++) {
            int n = snprintf(idx, sizeof idx, "%u", i);
            jpath p = {at, idx, (size_t)n};
            results sub;
            sub_validate(j, items, v->u.a[i], &p, &sub);
            merge(j, r, &sub);
        }
    } else if (items && is_seq(items)) {
        uint32_t n = items->len < v->len ? items->len : v->len;
        for (uint32_t i = 0; i < n; i++) {
            int w = snprintf(idx, sizeof idx, "%u", i);
            jpath p = {at, idx, (size_t)w};
            results sub;
            sub_validate(j, items->u.a[i], v->u.a[i], &p, &sub);
            merge(j, r, &sub);
        }
        const val *extra = key(s, "additionalItems");
        if (items->len < v->len && extra) {
            if (extra->type == V_BOOL && !extra->u.b) {
                add_error(j, r, at, "array_no_additional_items", "No additional items allowed on array");
            } else if (extra->type == V_OBJ) {
                for (uint32_t i = items->len; i < v->len; i++) {
                    int w = snprintf(idx, sizeof idx, "%u", i);
                    jpath p = {at, idx, (size_t)w};
                    results sub;
                    sub_validate(j, extra, v->u.a[i], &p, &sub);
                    merge(j, r, &sub);
                }
            }
        }
    }
    int64_t lim;
    const val *k;
    if ((k = key(s, "minItems")) && val_is_int(k, &lim) && (int64_t)v->len < lim)
        add_error(j, r, at, "array_min_items", "Array must have at least %lld items", (long long)lim);
    if ((k = key(s, "maxItems")) && val_is_int(k, &lim) && (int64_t)v->len > lim)
        add_error(j, r, at, "array_max_items", "Array must have at most %lld items", (long long)lim);
    if ((k = key(s, "uniqueItems")) && k->type == V_BOOL && k->u.b) {
        for (uint32_t b = 1; b < v->len; b++)
            for (uint32_t a = 0; a < b; a++)
                if (val_equal(v->u.a[a], v->u.a[b])) {
                    add_error(j, r, at, "unique", "array items[%u,%u] must be unique", a, b);
                    break;
                }
    }
    if ((k = key(s, "contains"))) {
        bool found = false;
        for (uint32_t i = 0; i < v->len && !found; i++) {
            results sub;
            sub_validate(j, k, v->u.a[i], at, &sub);
            found = sub.errs.n == 0;
        }
        if (!found)
            add_error(j, r, at, "contains", "At least one of the items must match");
    }
}

static void validate_object(js *j, const val *s, const val *v, const jpath *at, results *r)
{
    int64_t lim;
    const val *k;
    if ((k = key(s, "minProperties")) && val_is_int(k, &lim) && (int64_t)v->len < lim)
        add_error(j, r, at, "array_min_properties", "Must have at least %lld properties", (long long)lim);
    if ((k = key(s, "maxProperties")) && val_is_int(k, &lim) && (int64_t)v->len > lim)
        add_error(j, r, at, "array_max_properties", "Must have at most %lld properties", (long long)lim);
    if ((k = key(s, "required")) && is_seq(k)) {
        for (uint32_t i = 0; i < k->len; i++) {
            const val *name = k->u.a[i];
            if (val_obj_get(v, name))
                r->score++;
            else if (name->type == V_STR)
                add_error(j, r, at, "required", "%.*s is required", (int)name->len, name->u.s);
        }
    }
    const val *props = key(s, "properties"), *pats = key(s, "patternProperties"),
              *extra = key(s, "additionalProperties");
    for (uint32_t i = 0; i < v->len; i++) {
        const val *pk = v->u.o.k[i], *pv = v->u.o.v[i];
        if (pk->type != V_STR)
            continue;
        jpath p = {at, pk->u.s, pk->len};
        bool described = props && props->type == V_OBJ && val_obj_get(props, pk);
        bool matched = false;
        for (uint32_t q = 0; pats && pats->type == V_OBJ && q < pats->len; q++) {
            int m = js_search(j, pats->u.o.k[q], pk);
            if (m < 0) {
                j->hard = true;
                return;
            }
            if (m) {
                matched = true;
                results sub;
                sub_validate(j, pats->u.o.v[q], pv, &p, &sub);
                merge(j, r, &sub);
            }
        }
        if (described || matched || !extra)
            continue;
        if (extra->type == V_BOOL && !extra->u.b) {
            add_error(j, r, at, "additional_property_not_allowed", "Additional property %.*s is not allowed",
                      (int)pk->len, pk->u.s);
        } else if (extra->type == V_OBJ) {
            results sub;
            sub_validate(j, extra, pv, &p, &sub);
            merge(j, r, &sub);
        }
    }
    if ((k = key(s, "propertyNames"))) {
        for (uint32_t i = 0; i < v->len; i++) {
            results sub;
            sub_validate(j, k, v->u.o.k[i], at, &sub);
            if (sub.errs.n)
                add_error(j, r, at, "invalid_property_name", "Property \"%.*s\" does not match pattern",
                          v->u.o.k[i]->type == V_STR ? (int)v->u.o.k[i]->len : 0,
                          v->u.o.k[i]->type == V_STR ? v->u.o.k[i]->u.s : "");
        }
    }
}

static void validate_common(js *j, const val *s, const val *v, const jpath *at, results *r)
{
    char field[256], allowed[512];
    const val *k;
    if ((k = key(s, "const")) && !val_equal(k, v)) {
        field_text(at, field, sizeof field);
        json_text(k, allowed, sizeof allowed);
        add_error(j, r, at, "const", "%s does not match: %s", field, allowed);
    }
    if ((k = key(s, "enum")) && is_seq(k)) {
        bool found = false;
        for (uint32_t i = 0; i < k->len && !found; i++)
            found = val_equal(k->u.a[i], v);
        if (!found) {
            field_text(at, field, sizeof field);
            sbuf b;
            sb_init(&b, allowed, sizeof allowed - 1);
            for (uint32_t i = 0; i < k->len; i++) {
                if (i)
                    sb_puts(&b, ", ");
                json_write(&b, k->u.a[i], 0);
            }
            allowed[b.len < sizeof allowed - 1 ? b.len : sizeof allowed - 1] = 0;
            add_error(j, r, at, "enum", "%s must be one of the following: %s", field, allowed);
        }
    }
}

static void validate(js *j, const val *s, const val *v, const jpath *at, results *r)
{
    if (j->hard)
        return;
    if (s->type == V_BOOL) {
        if (!s->u.b)
            add_error(j, r, at, "false", "False always fails validation");
        return;
    }
    if (s->type != V_OBJ)
        return;
    if (++j->depth > JS_MAX_DEPTH) {
        j->hard = j->reported = true;
        bi_fail(j->bc, POL_EVAL_BUILTIN, "json.match_schema: schema references nest too deeply");
        return;
    }
    const val *ref = key(s, "$ref");
    if (ref && ref->type == V_STR) {
        const val *target = resolve_ref(j, ref);
        if (target)
            validate(j, target, v, at, r);
        j->depth--;
        return;
    }
    const val *types = key(s, "type");
    const char *given = node_type(v);
    if (types && !type_allows(types, given)) {
        char expected[128];
        if (types->type == V_STR) {
            snprintf(expected, sizeof expected, "%.*s", (int)types->len, types->u.s);
        } else {
            sbuf b;
            sb_init(&b, expected, sizeof expected - 1);
            sb_putc(&b, '[');
            for (uint32_t i = 0; i < types->len; i++) {
                if (i)
                    sb_putc(&b, ',');
                sb_put(&b, types->u.a[i]->u.s, types->u.a[i]->len);
            }
            sb_putc(&b, ']');
            expected[b.len < sizeof expected - 1 ? b.len : sizeof expected - 1] = 0;
        }
        add_error(j, r, at, "invalid_type", "Invalid type. Expected: %s, given: %s", expected, given);
        j->depth--;
        return;
    }
    if (types)
        r->score++;
    validate_combinators(j, s, v, at, r);
    switch (v->type) {
    case V_NUM: validate_number(j, s, v, at, r); break;
    case V_STR: validate_string(j, s, v, at, r); break;
    case V_ARR:
    case V_SET: validate_array(j, s, v, at, r); break;
    case V_OBJ: validate_object(j, s, v, at, r); break;
    default: break;
    }
    validate_common(j, s, v, at, r);
    const val *props = key(s, "properties");
    if (v->type == V_OBJ && props && props->type == V_OBJ) {
        for (uint32_t i = 0; i < props->len; i++) {
            const val *pk = props->u.o.k[i], *pv = pk->type == V_STR ? val_obj_get(v, pk) : NULL;
            if (!pv)
                continue;
            jpath p = {at, pk->u.s, pk->len};
            validate(j, props->u.o.v[i], pv, &p, r);
        }
    }
    j->depth--;
}

/* ======================================================================
 * Builtins
 * ====================================================================== */

/* A document or schema operand: JSON text, or an object/array value. */
static const char *load_operand(bi_ctx *ctx, const val *arg, const val **out)
{
    if (arg->type == V_STR) {
        json_error je;
        *out = json_parse(ctx->arena, arg->u.s, arg->len, &je);
        return *out ? NULL : "invalid JSON string";
    }
    if (arg->type == V_OBJ || arg->type == V_ARR) {
        *out = arg;
        return NULL;
    }
    return "wrong type, expected string or object";
}

static bi_status pair(bi_ctx *ctx, const val *a, const val *b, const val **out)
{
    vbuild r;
    vb_init(&r, ctx->arena);
    vb_push(&r, a);
    vb_push(&r, b);
    if (!a || !b || r.oom || !(*out = vb_finish_array(&r)))
        return bi_oom(ctx);
    return BI_OK;
}

bi_status bi_json_verify_schema(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *schema = NULL;
    const char *bad = load_operand(ctx, args[0], &schema);
    char msg[300];
    if (bad) {
        snprintf(msg, sizeof msg, "jsonschema: %s", bad);
        return pair(ctx, VAL_FALSE, v_cstr(ctx->arena, msg), out);
    }
    js j = {.bc = ctx, .root = schema};
    if (!check_schema(&j, schema, "schema")) {
        snprintf(msg, sizeof msg, "jsonschema: %s", j.msg);
        return pair(ctx, VAL_FALSE, v_cstr(ctx->arena, msg), out);
    }
    return pair(ctx, VAL_TRUE, VAL_NULL, out);
}

bi_status bi_json_match_schema(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char *const name = "json.match_schema";
    const val *doc = NULL, *schema = NULL;
    const char *bad = load_operand(ctx, args[0], &doc);
    if (bad)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name, bad);
    if ((bad = load_operand(ctx, args[1], &schema)))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name, bad);
    js j = {.bc = ctx, .root = schema};
    if (!check_schema(&j, schema, "schema"))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name, j.msg);
    results r;
    res_init(&j, &r);
    validate(&j, schema, doc, NULL, &r);
    if (j.hard)
        return j.reported ? BI_ERR : bi_oom(ctx);
    bool valid = r.errs.n == 0;
    const val *errs = r.errs.oom ? NULL : vb_finish_array(&r.errs);
    if (!errs)
        return bi_oom(ctx);
    return pair(ctx, VAL_BOOL(valid), errs, out);
}
