/* GraphQL validation as OPA does it with gqlparser: the prelude (built-in
 * scalars, directives and introspection types) merged with the user's
 * schema document, ValidateSchemaDocument's checks, then the query
 * validator's walk and rules.
 *
 * Both halves work on AST values (see bi_graphql_internal.h). The walk
 * visits nodes in gqlparser's order and runs the rules' observers in their
 * registration order (alphabetical by rule), so the first error reported —
 * the one OPA puts in its message — is the same. Fragment bodies are walked
 * once per operation that spreads them and once more as definitions, which
 * is why gqlparser can report a finding twice; we do the same.
 *
 * Not reproduced: OverlappingFieldsCanBeMerged, and the "Did you mean"
 * suggestions some messages append.
 */
#include "bi_graphql_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The part of gqlparser's prelude.graphql that validation depends on
 * (descriptions omitted: they are not observable through validation). */
static const char prelude_sdl[] =
    "scalar Int\nscalar Float\nscalar String\nscalar Boolean\nscalar ID\n"
    "directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT\n"
    "directive @deprecated(reason: String = \"No longer supported\") on FIELD_DEFINITION | "
    "ARGUMENT_DEFINITION"
    " | INPUT_FIELD_DEFINITION | ENUM_VALUE\n"
    "directive @specifiedBy(url: String!) on SCALAR\n"
    "type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type"
    " subscriptionType: __Type directives: [__Directive!]! }\n"
    "type __Type { kind: __TypeKind! name: String description: String"
    " fields(includeDeprecated: Boolean = false): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!]"
    " enumValues(includeDeprecated: Boolean = false): [__EnumValue!] inputFields: [__InputValue!]"
    " ofType: __Type specifiedByURL: String }\n"
    "type __Field { name: String! description: String args: [__InputValue!]! type: __Type!"
    " isDeprecated: Boolean! deprecationReason: String }\n"
    "type __InputValue { name: String! description: String type: __Type! defaultValue: String }\n"
    "type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String "
    "}\n"
    "enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }\n"
    "type __Directive { name: String! description: String locations: [__DirectiveLocation!]!"
    " args: [__InputValue!]! isRepeatable: Boolean! }\n"
    "enum __DirectiveLocation { QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD"
    " INLINE_FRAGMENT VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE"
    " UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION }\n";

/* Fields the validator adds to the query root, and the one it invents for
 * __typename. */
static const char introspection_fields_json[] =
    "[{\"Description\":\"\",\"Name\":\"__schema\",\"Type\":{\"NamedType\":\"__Schema\",\"NonNull\":true}},"
    "{\"Description\":\"\",\"Name\":\"__type\",\"Type\":{\"NamedType\":\"__Type\",\"NonNull\":false},"
    "\"Arguments\":[{\"Description\":\"\",\"Name\":\"name\",\"Type\":{\"NamedType\":\"String\",\"NonNull\":"
    "true}}]}]";
static const char typename_field_json[] =
    "{\"Description\":\"\",\"Name\":\"__typename\",\"Type\":{\"NamedType\":\"String\",\"NonNull\":false}}";

/* ======================================================================
 * Small utilities
 * ====================================================================== */

typedef struct vlist {
    const val **v;
    uint32_t n, cap;
} vlist;

static bool vl_push(arena *a, vlist *l, const val *x)
{
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        const val **nv = arena_alloc(a, cap * sizeof *nv);
        if (!nv)
            return false;
        if (l->n)
            memcpy(nv, l->v, l->n * sizeof *nv);
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = x;
    return true;
}

static bool vl_append_array(arena *a, vlist *l, const val *arr)
{
    if (!arr || arr->type != V_ARR)
        return true;
    for (uint32_t i = 0; i < arr->len; i++)
        if (!vl_push(a, l, arr->u.a[i]))
            return false;
    return true;
}

/* The string under key, or "" (Go's zero value). */
static const val *str_of(const val *node, const char *key)
{
    const val *v = gql_get(node, key);
    return v && v->type == V_STR ? v : &val_empty_str_c;
}

static bool same_str(const val *a, const val *b)
{
    return a && b && a->type == V_STR && b->type == V_STR && a->len == b->len &&
           memcmp(a->u.s, b->u.s, a->len) == 0;
}

static int str_cmp(const val *a, const char *s, size_t n)
{
    size_t m = a->len < n ? a->len : n;
    int c = memcmp(a->u.s, s, m);
    if (c)
        return c;
    return a->len < n ? -1 : a->len > n ? 1 : 0;
}

/* ForName over an array or list of named nodes: the first match. */
static const val *arr_for_name(const val *arr, const val *name)
{
    if (!arr || arr->type != V_ARR)
        return NULL;
    for (uint32_t i = 0; i < arr->len; i++)
        if (same_str(str_of(arr->u.a[i], "Name"), name))
            return arr->u.a[i];
    return NULL;
}

static const val *vl_for_name(const vlist *l, const val *name)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (same_str(str_of(l->v[i], "Name"), name))
            return l->v[i];
    return NULL;
}

static uint32_t arr_len(const val *arr)
{
    return arr && arr->type == V_ARR ? arr->len : 0;
}

static const val *arr_at(const val *arr, uint32_t i)
{
    return arr->u.a[i];
}

static bool bool_of(const val *node, const char *key)
{
    const val *v = gql_get(node, key);
    return v && v->type == V_BOOL && v->u.b;
}

/* Type.Name(): the innermost named type. */
static const val *type_name(const val *t)
{
    for (int guard = 0; t && guard < 1000; guard++) {
        const val *n = str_of(t, "NamedType");
        if (n->len)
            return n;
        t = gql_get(t, "Elem");
    }
    return &val_empty_str_c;
}

/* Type.String(): "[Elem]!" notation. */
static void type_string(sbuf *b, const val *t, int depth)
{
    if (!t || depth > 1000)
        return;
    const val *n = str_of(t, "NamedType");
    if (n->len) {
        sb_put(b, n->u.s, n->len);
    } else {
        sb_putc(b, '[');
        type_string(b, gql_get(t, "Elem"), depth + 1);
        sb_putc(b, ']');
    }
    if (bool_of(t, "NonNull"))
        sb_putc(b, '!');
}

/* A Type rendered into a small arena string for messages. */
static const char *type_text(arena *a, const val *t)
{
    char tmp[256];
    sbuf b;
    sb_init(&b, tmp, sizeof tmp - 1);
    type_string(&b, t, 0);
    size_t n = b.len < sizeof tmp - 1 ? b.len : sizeof tmp - 1;
    char *s = arena_alloc(a, n + 1);
    if (!s)
        return "";
    memcpy(s, tmp, n);
    s[n] = 0;
    return s;
}

/* ======================================================================
 * The schema
 * ====================================================================== */

typedef struct gtype gtype;
struct gtype {
    const val *name, *kind, *pos;
    bool builtin;
    vlist directives, interfaces, fields, types, enum_values;
    gtype **possible; /* gqlparser's PossibleTypes[name] */
    uint32_t npossible, cap_possible;
};

typedef struct schema {
    arena *a;
    gql_err *err;
    gtype **sorted; /* by name (bytewise, as Go sorts strings) */
    uint32_t ntypes;
    vlist dirs; /* DirectiveDefinition nodes, names unique, later ones replace earlier */
    gtype *query, *mutation, *subscription;
} schema;

/* Writes gqlerror's "input:L:C: msg" (or "input: msg" without a
 * position) into err, the text OPA later splits apart. */
static void report(gql_err *err, const val *pos, const char *fmt, va_list ap)
{
    if (err->status != GQL_OK)
        return;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    gql_err_set(err, pos, "%s", msg);
    if (err->has_pos)
        snprintf(err->msg, sizeof err->msg, "input:%u:%u: %s", err->line, err->col, msg);
    else
        snprintf(err->msg, sizeof err->msg, "input: %s", msg);
}

static bool s_fail(schema *s, const val *pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool s_fail(schema *s, const val *pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(s->err, pos, fmt, ap);
    va_end(ap);
    return false;
}

static bool s_oom(schema *s)
{
    if (s->err->status == GQL_OK)
        s->err->status = GQL_NOMEM;
    return false;
}

#define S(v) (int)(v)->len, (v)->u.s

static gtype *find_type_n(const schema *s, const char *name, size_t n)
{
    uint32_t lo = 0, hi = s->ntypes;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = str_cmp(s->sorted[mid]->name, name, n);
        if (c == 0)
            return s->sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static gtype *find_type(const schema *s, const val *name)
{
    return name && name->type == V_STR ? find_type_n(s, name->u.s, name->len) : NULL;
}

/* Inserts t keeping the index sorted; false (nothing inserted) when the
 * name is taken. */
static bool insert_type(schema *s, gtype *t)
{
    uint32_t lo = 0, hi = s->ntypes;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = str_cmp(s->sorted[mid]->name, t->name->u.s, t->name->len);
        if (c == 0)
            return false;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(s->sorted + lo + 1, s->sorted + lo, (s->ntypes - lo) * sizeof *s->sorted);
    s->sorted[lo] = t;
    s->ntypes++;
    return true;
}

static const val *find_dir(const schema *s, const val *name)
{
    return vl_for_name(&s->dirs, name);
}

static bool add_possible(schema *s, gtype *to, gtype *t)
{
    if (!to || !t)
        return true;
    if (to->npossible == to->cap_possible) {
        uint32_t cap = to->cap_possible ? to->cap_possible * 2 : 4;
        gtype **np = arena_alloc(s->a, cap * sizeof *np);
        if (!np)
            return s_oom(s);
        if (to->npossible)
            memcpy(np, to->possible, to->npossible * sizeof *np);
        to->possible = np;
        to->cap_possible = cap;
    }
    to->possible[to->npossible++] = t;
    return true;
}

static bool kind_is(const val *kind, const char *k)
{
    return gql_str_is(kind, k);
}

static bool is_composite(const gtype *t)
{
    return kind_is(t->kind, "OBJECT") || kind_is(t->kind, "INTERFACE") || kind_is(t->kind, "UNION");
}

static bool is_leaf(const gtype *t)
{
    return kind_is(t->kind, "ENUM") || kind_is(t->kind, "SCALAR");
}

static bool is_input_type(const gtype *t)
{
    return kind_is(t->kind, "SCALAR") || kind_is(t->kind, "ENUM") || kind_is(t->kind, "INPUT_OBJECT");
}

static bool validate_name(schema *s, const val *pos, const val *name)
{
    if (name->len >= 2 && name->u.s[0] == '_' && name->u.s[1] == '_')
        return s_fail(s, pos,
                      "Name \"%.*s\" must not begin with \"__\", which is reserved by GraphQL introspection.",
                      S(name));
    return true;
}

static bool validate_type_ref(schema *s, const val *t)
{
    if (!find_type(s, type_name(t))) {
        const val *n = type_name(t);
        return s_fail(s, gql_get(t, "Position"), "Undefined type %.*s.", S(n));
    }
    return true;
}

static bool validate_directive_items(schema *s, const val *const *items, uint32_t n, const char *location,
                                     const val *current)
{
    for (uint32_t i = 0; i < n; i++) {
        const val *d = items[i], *name = str_of(d, "Name"), *pos = gql_get(d, "Position");
        if (!validate_name(s, pos, name))
            return false;
        if (current && same_str(name, str_of(current, "Name")))
            return s_fail(s, pos, "Directive %.*s cannot refer to itself.", S(name));
        const val *def = find_dir(s, name);
        if (!def)
            return s_fail(s, pos, "Undefined directive %.*s.", S(name));
        const val *locs = gql_list(def, "Locations");
        bool ok = false;
        for (uint32_t j = 0; j < arr_len(locs); j++)
            ok = ok || gql_str_is(arr_at(locs, j), location);
        if (!ok)
            return s_fail(s, pos, "Directive %.*s is not applicable on %s.", S(name), location);
    }
    return true;
}

static bool validate_directives(schema *s, const val *dirs, const char *location, const val *current)
{
    if (!dirs || dirs->type != V_ARR)
        return true;
    return validate_directive_items(s, dirs->u.a, dirs->len, location, current);
}

static bool validate_args(schema *s, const val *args, const val *current)
{
    for (uint32_t i = 0; i < arr_len(args); i++) {
        const val *arg = arr_at(args, i), *pos = gql_get(arg, "Position"), *name = str_of(arg, "Name");
        const val *t = gql_get(arg, "Type");
        if (!validate_name(s, pos, name) || !validate_type_ref(s, t))
            return false;
        const gtype *def = find_type(s, type_name(t));
        if (!is_input_type(def))
            return s_fail(s, pos, "cannot use %s as argument %.*s because %.*s is not a valid input type",
                          type_text(s->a, t), S(name), S(def->kind));
        if (!validate_directives(s, gql_list(arg, "Directives"), "ARGUMENT_DEFINITION", current))
            return false;
    }
    return true;
}

static bool list_has_str(const vlist *l, const val *x)
{
    for (uint32_t i = 0; i < l->n; i++)
        if (same_str(l->v[i], x))
            return true;
    return false;
}

static bool is_covariant(const schema *s, const val *req, const val *act, int depth)
{
    if (!req || !act || depth > 1000)
        return false;
    if (bool_of(req, "NonNull") && !bool_of(act, "NonNull"))
        return false;
    const val *rn = str_of(req, "NamedType");
    if (rn->len) {
        const val *an = str_of(act, "NamedType");
        if (same_str(rn, an))
            return true;
        const gtype *rt = find_type(s, rn);
        for (uint32_t i = 0; rt && i < rt->npossible; i++)
            if (same_str(rt->possible[i]->name, an))
                return true;
        return false;
    }
    if (gql_get(req, "Elem") && !gql_get(act, "Elem"))
        return false;
    return is_covariant(s, gql_get(req, "Elem"), gql_get(act, "Elem"), depth + 1);
}

/* Type.IsCompatible: other_nonnull overrides other's top-level NonNull
 * (VariablesInAllowedPosition relaxes it for defaulted positions). */
static bool is_compatible(const val *t, const val *other, bool other_nonnull, int depth)
{
    if (!t || !other || depth > 1000)
        return false;
    if (!same_str(str_of(t, "NamedType"), str_of(other, "NamedType")))
        return false;
    const val *te = gql_get(t, "Elem"), *oe = gql_get(other, "Elem");
    if (te && !oe)
        return false;
    if (te && !is_compatible(te, oe, bool_of(oe, "NonNull"), depth + 1))
        return false;
    if (other_nonnull)
        return bool_of(t, "NonNull");
    return true;
}

static bool validate_implements(schema *s, const gtype *def, const val *iname)
{
    const gtype *intf = find_type(s, iname);
    if (!intf)
        return s_fail(s, def->pos, "Undefined type \"%.*s\".", S(iname));
    if (!kind_is(intf->kind, "INTERFACE"))
        return s_fail(s, def->pos, "\"%.*s\" is a non interface type %.*s.", S(iname), S(intf->kind));
    for (uint32_t i = 0; i < intf->fields.n; i++) {
        const val *req = intf->fields.v[i], *rname = str_of(req, "Name");
        const val *found = vl_for_name(&def->fields, rname);
        if (!found)
            return s_fail(s, def->pos, "For %.*s to implement %.*s it must have a field called %.*s.",
                          S(def->name), S(intf->name), S(rname));
        if (!is_covariant(s, gql_get(req, "Type"), gql_get(found, "Type"), 0))
            return s_fail(s, gql_get(found, "Position"),
                          "For %.*s to implement %.*s the field %.*s must have type %s.", S(def->name),
                          S(intf->name), S(rname), type_text(s->a, gql_get(req, "Type")));
        const val *rargs = gql_list(req, "Arguments"), *fargs = gql_list(found, "Arguments");
        for (uint32_t j = 0; j < arr_len(rargs); j++) {
            const val *ra = arr_at(rargs, j), *aname = str_of(ra, "Name");
            const val *fa = arr_for_name(fargs, aname);
            if (!fa)
                return s_fail(
                    s, gql_get(found, "Position"),
                    "For %.*s to implement %.*s the field %.*s must have the same arguments but it is "
                    "missing %.*s.",
                    S(def->name), S(intf->name), S(rname), S(aname));
            const val *fat = gql_get(fa, "Type");
            if (!is_compatible(gql_get(ra, "Type"), fat, bool_of(fat, "NonNull"), 0))
                return s_fail(
                    s, gql_get(fa, "Position"),
                    "For %.*s to implement %.*s the field %.*s must have the same arguments but %.*s has "
                    "the wrong type.",
                    S(def->name), S(intf->name), S(rname), S(aname));
        }
        for (uint32_t j = 0; j < arr_len(fargs); j++) {
            const val *fa = arr_at(fargs, j), *aname = str_of(fa, "Name");
            if (!arr_for_name(rargs, aname) && bool_of(gql_get(fa, "Type"), "NonNull") &&
                !gql_get(fa, "DefaultValue"))
                return s_fail(
                    s, gql_get(fa, "Position"),
                    "For %.*s to implement %.*s any additional arguments on %.*s must be optional or have a "
                    "default value but %.*s is required.",
                    S(def->name), S(intf->name), S(str_of(found, "Name")), S(aname));
        }
    }
    for (uint32_t i = 0; i < intf->interfaces.n; i++) {
        const val *tr = intf->interfaces.v[i];
        if (!list_has_str(&def->interfaces, tr)) {
            if (same_str(tr, def->name))
                return s_fail(s, def->pos,
                              "Type %.*s cannot implement %.*s because it would create a circular reference.",
                              S(def->name), S(iname));
            return s_fail(s, def->pos, "Type %.*s must implement %.*s because it is implemented by %.*s.",
                          S(def->name), S(tr), S(iname));
        }
    }
    return true;
}

static bool validate_definition(schema *s, const gtype *def)
{
    bool input = kind_is(def->kind, "INPUT_OBJECT");
    for (uint32_t i = 0; i < def->fields.n; i++) {
        const val *f = def->fields.v[i];
        if (!validate_name(s, gql_get(f, "Position"), str_of(f, "Name")) ||
            !validate_type_ref(s, gql_get(f, "Type")) || !validate_args(s, gql_list(f, "Arguments"), NULL) ||
            !validate_directives(s, gql_list(f, "Directives"),
                                 input ? "INPUT_FIELD_DEFINITION" : "FIELD_DEFINITION", NULL))
            return false;
    }
    for (uint32_t i = 0; i < def->types.n; i++) {
        const gtype *t = find_type(s, def->types.v[i]);
        if (!t)
            return s_fail(s, def->pos, "Undefined type \"%.*s\".", S(def->types.v[i]));
        if (!kind_is(t->kind, "OBJECT"))
            return s_fail(s, def->pos, "%.*s type \"%.*s\" must be OBJECT.", S(def->kind),
                          S(def->types.v[i]));
    }
    for (uint32_t i = 0; i < def->interfaces.n; i++)
        if (!validate_implements(s, def, def->interfaces.v[i]))
            return false;
    if (kind_is(def->kind, "OBJECT") || kind_is(def->kind, "INTERFACE")) {
        if (def->fields.n == 0)
            return s_fail(s, def->pos, "%.*s %.*s: must define one or more fields.", S(def->kind),
                          S(def->name));
        for (uint32_t i = 0; i < def->fields.n; i++) {
            const gtype *t = find_type(s, type_name(gql_get(def->fields.v[i], "Type")));
            if (t && !(is_composite(t) || is_leaf(t)))
                return s_fail(s, gql_get(def->fields.v[i], "Position"),
                              "%.*s %.*s: field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.",
                              S(def->kind), S(def->name));
        }
    } else if (kind_is(def->kind, "ENUM")) {
        if (def->enum_values.n == 0)
            return s_fail(s, def->pos, "%.*s %.*s: must define one or more unique enum values.", S(def->kind),
                          S(def->name));
        for (uint32_t i = 0; i < def->enum_values.n; i++) {
            const val *n = str_of(def->enum_values.v[i], "Name");
            if (gql_str_is(n, "true") || gql_str_is(n, "false") || gql_str_is(n, "null"))
                return s_fail(s, def->pos, "%.*s %.*s: non-enum value %.*s.", S(def->kind), S(def->name),
                              S(n));
        }
    } else if (input) {
        if (def->fields.n == 0)
            return s_fail(s, def->pos, "%.*s %.*s: must define one or more input fields.", S(def->kind),
                          S(def->name));
        for (uint32_t i = 0; i < def->fields.n; i++) {
            const val *f = def->fields.v[i];
            const gtype *t = find_type(s, type_name(gql_get(f, "Type")));
            if (t && !is_input_type(t))
                return s_fail(s, gql_get(f, "Position"),
                              "%.*s %.*s: field must be one of SCALAR, ENUM, INPUT_OBJECT.", S(t->kind),
                              S(str_of(f, "Name")));
        }
    }
    for (uint32_t i = 0; i < def->fields.n; i++)
        for (uint32_t j = i + 1; j < def->fields.n; j++)
            if (same_str(str_of(def->fields.v[i], "Name"), str_of(def->fields.v[j], "Name")))
                return s_fail(s, gql_get(def->fields.v[j], "Position"),
                              "Field %.*s.%.*s can only be defined once.", S(def->name),
                              S(str_of(def->fields.v[j], "Name")));
    if (!def->builtin && !validate_name(s, def->pos, def->name))
        return false;
    char loc[32];
    snprintf(loc, sizeof loc, "%.*s", S(def->kind));
    return validate_directive_items(s, def->directives.v, def->directives.n, loc, NULL);
}

/* Concatenation of the same list from the prelude and the user's document
 * (gqlparser's SchemaDocument.Merge). */
static bool merged(arena *a, vlist *out, const val *prelude, const val *user, const char *key)
{
    memset(out, 0, sizeof *out);
    return vl_append_array(a, out, gql_list(prelude, key)) && vl_append_array(a, out, gql_list(user, key));
}

static gtype *new_type(schema *s, const val *node, const val *name, const val *kind)
{
    gtype *t = arena_alloc(s->a, sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->name = name;
    t->kind = kind;
    t->pos = gql_get(node, "Position");
    return t;
}

/* Appends an extension's (or the definition's own) lists to t. */
static bool absorb(schema *s, gtype *t, const val *node)
{
    return vl_append_array(s->a, &t->directives, gql_list(node, "Directives")) &&
           vl_append_array(s->a, &t->interfaces, gql_list(node, "Interfaces")) &&
           vl_append_array(s->a, &t->fields, gql_list(node, "Fields")) &&
           vl_append_array(s->a, &t->types, gql_list(node, "Types")) &&
           vl_append_array(s->a, &t->enum_values, gql_list(node, "EnumValues"));
}

static bool set_roots(schema *s, const val *schema_def)
{
    const val *ops = gql_list(schema_def, "OperationTypes");
    for (uint32_t i = 0; i < arr_len(ops); i++) {
        const val *op = arr_at(ops, i), *opname = str_of(op, "Operation"), *tname = str_of(op, "Type");
        gtype *t = find_type(s, tname);
        if (!t)
            return s_fail(s, gql_get(op, "Position"),
                          "Schema root %.*s refers to a type %.*s that does not exist.", S(opname), S(tname));
        if (gql_str_is(opname, "query"))
            s->query = t;
        else if (gql_str_is(opname, "mutation"))
            s->mutation = t;
        else if (gql_str_is(opname, "subscription"))
            s->subscription = t;
    }
    return true;
}

/* gqlparser's ValidateSchemaDocument over prelude + user document. */
static bool build_schema(schema *s, const val *user)
{
    gql_err perr;
    const val *prelude = gql_parse_schema(s->a, prelude_sdl, sizeof prelude_sdl - 1, true, &perr);
    if (!prelude)
        return s_oom(s);
    vlist defs, exts, dirs, sdefs, sexts;
    if (!merged(s->a, &defs, prelude, user, "Definitions") ||
        !merged(s->a, &exts, prelude, user, "Extensions") ||
        !merged(s->a, &dirs, prelude, user, "Directives") || !merged(s->a, &sdefs, prelude, user, "Schema") ||
        !merged(s->a, &sexts, prelude, user, "SchemaExtension"))
        return s_oom(s);
    uint32_t cap = defs.n + exts.n + 1;
    s->sorted = arena_alloc(s->a, cap * sizeof *s->sorted);
    gtype **order = arena_alloc(s->a, cap * sizeof *order);
    if (!s->sorted || !order)
        return s_oom(s);
    uint32_t norder = 0;
    for (uint32_t i = 0; i < defs.n; i++) {
        const val *d = defs.v[i], *name = str_of(d, "Name");
        if (find_type(s, name))
            return s_fail(s, gql_get(d, "Position"), "Cannot redeclare type %.*s.", S(name));
        gtype *t = new_type(s, d, name, str_of(d, "Kind"));
        if (!t || !absorb(s, t, d))
            return s_oom(s);
        t->builtin = bool_of(d, "BuiltIn");
        insert_type(s, t);
        order[norder++] = t;
    }
    for (uint32_t i = 0; i < exts.n; i++) {
        const val *e = exts.v[i], *name = str_of(e, "Name"), *kind = str_of(e, "Kind");
        gtype *t = find_type(s, name);
        if (!t) {
            /* gqlparser lets an extension stand in for a missing type
             * (federation schemas rely on it). */
            if (!(t = new_type(s, e, name, kind)))
                return s_oom(s);
            insert_type(s, t);
            order[norder++] = t;
        }
        if (!same_str(t->kind, kind))
            return s_fail(s, gql_get(e, "Position"),
                          "Cannot extend type %.*s because the base type is a %.*s, not %.*s.", S(name),
                          S(t->kind), S(kind));
        if (!absorb(s, t, e))
            return s_oom(s);
    }
    for (uint32_t i = 0; i < norder; i++) {
        gtype *t = order[i];
        if (kind_is(t->kind, "UNION")) {
            for (uint32_t j = 0; j < t->types.n; j++)
                if (!add_possible(s, t, find_type(s, t->types.v[j])))
                    return false;
        } else if (kind_is(t->kind, "INPUT_OBJECT") || kind_is(t->kind, "OBJECT") ||
                   kind_is(t->kind, "INTERFACE")) {
            for (uint32_t j = 0; j < t->interfaces.n; j++)
                if (!add_possible(s, find_type(s, t->interfaces.v[j]), t))
                    return false;
            if (!kind_is(t->kind, "INTERFACE") && !add_possible(s, t, t))
                return false;
        }
    }
    for (uint32_t i = 0; i < dirs.n; i++) {
        const val *d = dirs.v[i], *name = str_of(d, "Name");
        bool replaced = false;
        for (uint32_t j = 0; j < s->dirs.n; j++) {
            if (!same_str(str_of(s->dirs.v[j], "Name"), name))
                continue;
            if (!gql_str_is(name, "include") && !gql_str_is(name, "skip") &&
                !gql_str_is(name, "deprecated") && !gql_str_is(name, "specifiedBy"))
                return s_fail(s, gql_get(d, "Position"), "Cannot redeclare directive %.*s.", S(name));
            s->dirs.v[j] = d;
            replaced = true;
        }
        if (!replaced && !vl_push(s->a, &s->dirs, d))
            return s_oom(s);
    }
    if (sdefs.n > 1)
        return s_fail(s, gql_get(sdefs.v[1], "Position"),
                      "Cannot have multiple schema entry points, consider schema extensions instead.");
    if (sdefs.n == 1 && !set_roots(s, sdefs.v[0]))
        return false;
    for (uint32_t i = 0; i < sexts.n; i++)
        if (!set_roots(s, sexts.v[i]))
            return false;
    for (uint32_t i = 0; i < s->ntypes; i++)
        if (!validate_definition(s, s->sorted[i]))
            return false;
    /* Directive definitions in name order, as gqlparser sorts them. */
    vlist byname = {0};
    for (uint32_t i = 0; i < s->dirs.n; i++) {
        if (!vl_push(s->a, &byname, s->dirs.v[i]))
            return s_oom(s);
        for (uint32_t j = byname.n - 1; j > 0; j--) {
            const val *a = str_of(byname.v[j - 1], "Name"), *b = str_of(byname.v[j], "Name");
            if (str_cmp(a, b->u.s, b->len) <= 0)
                break;
            const val *tmp = byname.v[j - 1];
            byname.v[j - 1] = byname.v[j];
            byname.v[j] = tmp;
        }
    }
    for (uint32_t i = 0; i < byname.n; i++) {
        const val *d = byname.v[i];
        if (!validate_name(s, gql_get(d, "Position"), str_of(d, "Name")) ||
            !validate_args(s, gql_list(d, "Arguments"), d))
            return false;
    }
    if (sdefs.n == 0) {
        if (!s->query)
            s->query = find_type_n(s, "Query", 5);
        if (!s->mutation)
            s->mutation = find_type_n(s, "Mutation", 8);
        if (!s->subscription)
            s->subscription = find_type_n(s, "Subscription", 12);
    }
    if (s->query) {
        json_error je;
        const val *extra =
            json_parse(s->a, introspection_fields_json, sizeof introspection_fields_json - 1, &je);
        if (!extra || !vl_append_array(s->a, &s->query->fields, extra))
            return s_oom(s);
    }
    return true;
}

/* ======================================================================
 * The query walk and its rules
 * ====================================================================== */

typedef struct walker {
    schema *s;
    arena *a;
    const val *frags;    /* the document's Fragments array, or NULL */
    const val *ops;      /* its Operations array, or NULL */
    const val *cur_op;   /* operation being walked, NULL while walking fragment definitions */
    const val *cur_vars; /* its VariableDefinitions */
    bool *var_used;      /* VariableDefinition.Used, per cur_vars index */
    bool *frag_walked;   /* validatedFragmentSpreads, per fragment index */
    bool *frag_used;     /* NoUnusedFragments, per fragment index */
    bool in_fragment_definition;
    vlist bad_dirs; /* KnownDirectives: positions already reported (name, position pairs) */
    const val *typename_def;
    int depth;
    /* the findings, in gqlerror.List's text form */
    sbuf out;
    char *text;
    uint32_t nerrors;
    bool oom;
} walker;

static void w_error(walker *w, const val *pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void w_error(walker *w, const val *pos, const char *fmt, ...)
{
    gql_err e = {0};
    va_list ap;
    va_start(ap, fmt);
    report(&e, pos, fmt, ap);
    va_end(ap);
    sb_puts(&w->out, e.msg);
    sb_putc(&w->out, '\n');
    w->nerrors++;
}

static int frag_index(const walker *w, const val *name)
{
    for (uint32_t i = 0; i < arr_len(w->frags); i++)
        if (same_str(str_of(arr_at(w->frags, i), "Name"), name))
            return (int)i;
    return -1;
}

static const val *find_var(const walker *w, const val *name, int *index)
{
    for (uint32_t i = 0; i < arr_len(w->cur_vars); i++)
        if (same_str(str_of(arr_at(w->cur_vars, i), "Variable"), name)) {
            *index = (int)i;
            return arr_at(w->cur_vars, i);
        }
    return NULL;
}

static int64_t value_kind(const val *v)
{
    const val *k = gql_get(v, "Kind");
    int64_t i = -1;
    if (k && k->type == V_NUM)
        val_is_int(k, &i);
    return i;
}

/* Value.String(). */
static void value_string(sbuf *b, const val *v, int depth)
{
    if (!v || depth > 100) {
        sb_puts(b, "<nil>");
        return;
    }
    const val *raw = str_of(v, "Raw"), *ch = gql_list(v, "Children");
    switch (value_kind(v)) {
    case GQL_VARIABLE:
        sb_putc(b, '$');
        sb_put(b, raw->u.s, raw->len);
        break;
    case GQL_STRING:
    case GQL_BLOCK:
        sb_putc(b, '"');
        for (uint32_t i = 0; i < raw->len; i++) {
            unsigned char c = (unsigned char)raw->u.s[i];
            char esc[8];
            if (c == '"' || c == '\\') {
                sb_putc(b, '\\');
                sb_putc(b, (char)c);
            } else if (c == '\n') {
                sb_puts(b, "\\n");
            } else if (c == '\t') {
                sb_puts(b, "\\t");
            } else if (c == '\r') {
                sb_puts(b, "\\r");
            } else if (c < 0x20 || c == 0x7f) {
                snprintf(esc, sizeof esc, "\\x%02x", c);
                sb_puts(b, esc);
            } else {
                sb_putc(b, (char)c);
            }
        }
        sb_putc(b, '"');
        break;
    case GQL_LIST:
        sb_putc(b, '[');
        for (uint32_t i = 0; i < arr_len(ch); i++) {
            if (i)
                sb_putc(b, ',');
            value_string(b, gql_get(arr_at(ch, i), "Value"), depth + 1);
        }
        sb_putc(b, ']');
        break;
    case GQL_OBJECT:
        sb_putc(b, '{');
        for (uint32_t i = 0; i < arr_len(ch); i++) {
            const val *n = str_of(arr_at(ch, i), "Name");
            if (i)
                sb_putc(b, ',');
            sb_put(b, n->u.s, n->len);
            sb_putc(b, ':');
            value_string(b, gql_get(arr_at(ch, i), "Value"), depth + 1);
        }
        sb_putc(b, '}');
        break;
    default: sb_put(b, raw->u.s, raw->len); break;
    }
}

static const char *value_text(walker *w, const val *v)
{
    char tmp[200];
    sbuf b;
    sb_init(&b, tmp, sizeof tmp - 1);
    value_string(&b, v, 0);
    size_t n = b.len < sizeof tmp - 1 ? b.len : sizeof tmp - 1;
    char *s = arena_alloc(w->a, n + 1);
    if (!s) {
        w->oom = true;
        return "";
    }
    memcpy(s, tmp, n);
    s[n] = 0;
    return s;
}

static bool one_of(const gtype *t, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (gql_str_is(t->name, names[i]))
            return true;
    return false;
}

#define ONE_OF(t, ...)                                                                                       \
    one_of((t), (const char *const[]){__VA_ARGS__},                                                          \
           sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static void unexpected_type(walker *w, const val *v, const val *exp, const gtype *def)
{
    const char *ts = type_text(w->a, exp), *vs = value_text(w, v);
    const val *pos = gql_get(v, "Position");
    if (!strcmp(ts, "Int") || !strcmp(ts, "Int!")) {
        /* ParseInt(raw, 10, 32) can only fail by range for an Int literal */
        bool range = value_kind(v) == GQL_INT;
        if (range)
            w_error(w, pos, "Int cannot represent non 32-bit signed integer value: %s", vs);
        else
            w_error(w, pos, "Int cannot represent non-integer value: %s", vs);
    } else if (!strcmp(ts, "String") || !strcmp(ts, "String!") || !strcmp(ts, "[String]")) {
        w_error(w, pos, "String cannot represent a non string value: %s", vs);
    } else if (!strcmp(ts, "Boolean") || !strcmp(ts, "Boolean!")) {
        w_error(w, pos, "Boolean cannot represent a non boolean value: %s", vs);
    } else if (!strcmp(ts, "Float") || !strcmp(ts, "Float!")) {
        w_error(w, pos, "Float cannot represent non numeric value: %s", vs);
    } else if (!strcmp(ts, "ID") || !strcmp(ts, "ID!")) {
        w_error(w, pos, "ID cannot represent a non-string and non-integer value: %s", vs);
    } else if (kind_is(def->kind, "ENUM")) {
        w_error(w, pos, "Enum \"%s\" cannot represent non-enum value: %s.", ts, vs);
    } else {
        w_error(w, pos, "Expected value of type \"%s\", found %s.", ts, vs);
    }
}

/* Value.Value(nil) fails only for integer literals outside int64
 * (strconv.ParseInt), which ValuesOfCorrectType reports. */
static bool literal_unparseable(const val *v, int depth)
{
    if (depth > 100)
        return false;
    if (value_kind(v) == GQL_INT) {
        const val *raw = str_of(v, "Raw");
        char buf[32];
        if (raw->len == 0 || raw->len >= sizeof buf)
            return true;
        snprintf(buf, sizeof buf, "%.*s", S(raw));
        char *end;
        errno = 0;
        (void)strtoll(buf, &end, 10);
        return *end != 0 || errno == ERANGE;
    }
    const val *ch = gql_list(v, "Children");
    for (uint32_t i = 0; i < arr_len(ch); i++)
        if (literal_unparseable(gql_get(arr_at(ch, i), "Value"), depth + 1))
            return true;
    return false;
}

/* ValuesOfCorrectType for one value. */
static void check_value_type(walker *w, const val *v, const val *exp, const gtype *def)
{
    if (!def || !exp)
        return;
    int64_t kind = value_kind(v);
    const val *pos = gql_get(v, "Position");
    if (kind == GQL_NULL && bool_of(exp, "NonNull"))
        w_error(w, pos, "Expected value of type \"%s\", found %s.", type_text(w->a, exp), value_text(w, v));
    if (kind_is(def->kind, "SCALAR") && !ONE_OF(def, "Int", "Float", "String", "Boolean", "ID"))
        return;
    if (literal_unparseable(v, 0))
        unexpected_type(w, v, exp, def);
    switch (kind) {
    case GQL_NULL: return;
    case GQL_LIST:
        if (!gql_get(exp, "Elem"))
            unexpected_type(w, v, exp, def);
        return;
    case GQL_INT:
        if (!ONE_OF(def, "Int", "Float", "ID"))
            unexpected_type(w, v, exp, def);
        return;
    case GQL_FLOAT:
        if (!ONE_OF(def, "Float"))
            unexpected_type(w, v, exp, def);
        return;
    case GQL_STRING:
    case GQL_BLOCK:
        if (kind_is(def->kind, "ENUM"))
            w_error(w, pos, "Enum \"%s\" cannot represent non-enum value: %s.", type_text(w->a, exp),
                    value_text(w, v));
        else if (!ONE_OF(def, "String", "ID"))
            unexpected_type(w, v, exp, def);
        return;
    case GQL_ENUM:
        if (!kind_is(def->kind, "ENUM"))
            unexpected_type(w, v, exp, def);
        else if (!vl_for_name(&def->enum_values, str_of(v, "Raw")))
            w_error(w, pos, "Value \"%s\" does not exist in \"%s\" enum.", value_text(w, v),
                    type_text(w->a, exp));
        return;
    case GQL_BOOLEAN:
        if (!ONE_OF(def, "Boolean"))
            unexpected_type(w, v, exp, def);
        return;
    case GQL_OBJECT: {
        const val *ch = gql_list(v, "Children");
        for (uint32_t i = 0; i < def->fields.n; i++) {
            const val *f = def->fields.v[i], *ft = gql_get(f, "Type");
            if (bool_of(ft, "NonNull") && !arr_for_name(ch, str_of(f, "Name")) && !gql_get(f, "DefaultValue"))
                w_error(w, pos, "Field \"%.*s.%.*s\" of required type \"%s\" was not provided.", S(def->name),
                        S(str_of(f, "Name")), type_text(w->a, ft));
        }
        for (uint32_t i = 0; i < arr_len(ch); i++) {
            const val *c = arr_at(ch, i), *cn = str_of(c, "Name");
            if (!vl_for_name(&def->fields, cn))
                w_error(w, gql_get(c, "Position"), "Field \"%.*s\" is not defined by type \"%.*s\".", S(cn),
                        S(def->name));
        }
        return;
    }
    default: return;
    }
}

/* walkValue with the annotations gqlparser stores on the node passed as
 * arguments: the expected type, its definition and whether the argument
 * position has a default. */
static void walk_value(walker *w, const val *v, const val *exp, const gtype *def, bool has_default)
{
    if (!v || ++w->depth > 512) {
        w->depth -= v ? 1 : 0;
        return;
    }
    int64_t kind = value_kind(v);
    const val *vardef = NULL;
    if (kind == GQL_VARIABLE && w->cur_op) {
        int idx = -1;
        vardef = find_var(w, str_of(v, "Raw"), &idx);
        if (vardef)
            w->var_used[idx] = true;
    }
    const val *ch = gql_list(v, "Children");
    if (kind == GQL_OBJECT) {
        for (uint32_t i = 0; i < arr_len(ch); i++) {
            const val *c = arr_at(ch, i), *fexp = NULL;
            const gtype *fdef = NULL;
            if (def) {
                const val *fd = vl_for_name(&def->fields, str_of(c, "Name"));
                if (fd) {
                    fexp = gql_get(fd, "Type");
                    fdef = find_type(w->s, type_name(fexp));
                }
            }
            walk_value(w, gql_get(c, "Value"), fexp, fdef, false);
        }
    }
    if (kind == GQL_LIST) {
        const val *elem = exp ? gql_get(exp, "Elem") : NULL;
        for (uint32_t i = 0; i < arr_len(ch); i++)
            walk_value(w, gql_get(arr_at(ch, i), "Value"), elem, elem ? def : NULL, false);
    }
    const val *pos = gql_get(v, "Position");
    /* NoUndefinedVariables */
    if (w->cur_op && kind == GQL_VARIABLE && !vardef) {
        const val *opname = str_of(w->cur_op, "Name");
        if (opname->len)
            w_error(w, pos, "Variable \"%s\" is not defined by operation \"%.*s\".", value_text(w, v),
                    S(opname));
        else
            w_error(w, pos, "Variable \"%s\" is not defined.", value_text(w, v));
    }
    /* UniqueInputFieldNames */
    if (kind == GQL_OBJECT)
        for (uint32_t i = 0; i < arr_len(ch); i++)
            for (uint32_t j = 0; j < i; j++)
                if (same_str(str_of(arr_at(ch, i), "Name"), str_of(arr_at(ch, j), "Name"))) {
                    w_error(w, gql_get(arr_at(ch, i), "Position"),
                            "There can be only one input field named \"%.*s\".",
                            S(str_of(arr_at(ch, i), "Name")));
                    break;
                }
    check_value_type(w, v, exp, def);
    /* VariablesInAllowedPosition */
    if (kind == GQL_VARIABLE && exp && vardef && w->cur_op) {
        bool nonnull = bool_of(exp, "NonNull");
        const val *dv = gql_get(vardef, "DefaultValue");
        if (((dv && value_kind(dv) != GQL_NULL) || has_default) && nonnull)
            nonnull = false;
        const val *vt = gql_get(vardef, "Type");
        if (!is_compatible(vt, exp, nonnull, 0))
            w_error(w, pos, "Variable \"%s\" of type \"%s\" used in position expecting type \"%s\".",
                    value_text(w, v), type_text(w->a, vt), type_text(w->a, exp));
    }
    w->depth--;
}

static void walk_argument(walker *w, const val *argdef, const val *arg)
{
    const val *exp = argdef ? gql_get(argdef, "Type") : NULL;
    const gtype *def = exp ? find_type(w->s, type_name(exp)) : NULL;
    const val *dv = argdef ? gql_get(argdef, "DefaultValue") : NULL;
    walk_value(w, gql_get(arg, "Value"), exp, def, dv && value_kind(dv) != GQL_NULL);
}

/* UniqueArgumentNames */
static void unique_args(walker *w, const val *args)
{
    for (uint32_t i = 0; i < arr_len(args); i++) {
        uint32_t seen = 0;
        for (uint32_t j = 0; j < i; j++)
            seen += same_str(str_of(arr_at(args, j), "Name"), str_of(arr_at(args, i), "Name"));
        if (seen == 1)
            w_error(w, gql_get(arr_at(args, i), "Position"), "There can be only one argument named \"%.*s\".",
                    S(str_of(arr_at(args, i), "Name")));
    }
}

/* ProvidedRequiredArguments over a definition's argument list. */
static void required_args(walker *w, const val *defargs, const val *args, const val *pos, bool directive,
                          const val *name)
{
    for (uint32_t i = 0; i < arr_len(defargs); i++) {
        const val *ad = arr_at(defargs, i), *t = gql_get(ad, "Type");
        if (!bool_of(t, "NonNull") || gql_get(ad, "DefaultValue") || arr_for_name(args, str_of(ad, "Name")))
            continue;
        if (directive)
            w_error(
                w, pos,
                "Directive \"@%.*s\" argument \"%.*s\" of type \"%s\" is required, but it was not provided.",
                S(name), S(str_of(ad, "Name")), type_text(w->a, t));
        else
            w_error(w, pos,
                    "Field \"%.*s\" argument \"%.*s\" of type \"%s\" is required, but it was not provided.",
                    S(name), S(str_of(ad, "Name")), type_text(w->a, t));
    }
}

static bool same_pos(const val *a, const val *b)
{
    return (!a && !b) || (a && b && val_equal(a, b));
}

static void walk_directives(walker *w, const val *dirs, const char *location)
{
    for (uint32_t i = 0; i < arr_len(dirs); i++) {
        const val *d = arr_at(dirs, i), *name = str_of(d, "Name"), *pos = gql_get(d, "Position");
        const val *def = find_dir(w->s, name), *args = gql_list(d, "Arguments");
        const val *defargs = def ? gql_list(def, "Arguments") : NULL;
        for (uint32_t j = 0; j < arr_len(args); j++)
            walk_argument(w, def ? arr_for_name(defargs, str_of(arr_at(args, j), "Name")) : NULL,
                          arr_at(args, j));
        /* KnownArgumentNames */
        for (uint32_t j = 0; def && j < arr_len(args); j++)
            if (!arr_for_name(defargs, str_of(arr_at(args, j), "Name")))
                w_error(w, pos, "Unknown argument \"%.*s\" on directive \"@%.*s\".",
                        S(str_of(arr_at(args, j), "Name")), S(name));
        /* KnownDirectives: each misplaced directive node once */
        if (!def) {
            w_error(w, pos, "Unknown directive \"@%.*s\".", S(name));
        } else {
            const val *locs = gql_list(def, "Locations");
            bool ok = false;
            for (uint32_t j = 0; j < arr_len(locs); j++)
                ok = ok || gql_str_is(arr_at(locs, j), location);
            bool seen = false;
            for (uint32_t j = 0; !ok && j + 1 < w->bad_dirs.n; j += 2)
                seen = seen || (same_str(w->bad_dirs.v[j], name) && same_pos(w->bad_dirs.v[j + 1], pos));
            if (!ok && !seen) {
                w_error(w, pos, "Directive \"@%.*s\" may not be used on %s.", S(name), location);
                if (!vl_push(w->a, &w->bad_dirs, name) || !vl_push(w->a, &w->bad_dirs, pos))
                    w->oom = true;
            }
        }
        if (def)
            required_args(w, defargs, args, pos, true, str_of(def, "Name"));
        unique_args(w, args);
    }
    /* UniqueDirectivesPerLocation */
    for (uint32_t i = 0; i < arr_len(dirs); i++) {
        const val *name = str_of(arr_at(dirs, i), "Name");
        if (gql_str_is(name, "repeatable"))
            continue;
        for (uint32_t j = 0; j < i; j++)
            if (same_str(str_of(arr_at(dirs, j), "Name"), name)) {
                w_error(w, gql_get(arr_at(dirs, i), "Position"),
                        "The directive \"@%.*s\" can only be used once at this location.", S(name));
                break;
            }
    }
}

/* PossibleFragmentSpreads: false when no object type can be both. */
static bool spread_possible(walker *w, const gtype *parent, const val *frag_type)
{
    if (!parent)
        return true;
    gtype *const *pdefs;
    uint32_t np;
    const gtype *single[1] = {parent};
    if (kind_is(parent->kind, "OBJECT")) {
        pdefs = (gtype *const *)single;
        np = 1;
    } else if (kind_is(parent->kind, "INTERFACE") || kind_is(parent->kind, "UNION")) {
        pdefs = parent->possible;
        np = parent->npossible;
    } else {
        return true;
    }
    const gtype *ft = find_type(w->s, frag_type);
    if (!ft || !is_composite(ft))
        return true;
    for (uint32_t i = 0; i < ft->npossible; i++)
        for (uint32_t j = 0; j < np; j++)
            if (same_str(ft->possible[i]->name, pdefs[j]->name))
                return true;
    return false;
}

static void walk_selection_set(walker *w, const gtype *parent, const val *set);

static void walk_field(walker *w, const gtype *parent, const val *f)
{
    const val *name = str_of(f, "Name"), *pos = gql_get(f, "Position");
    const val *def = NULL;
    if (gql_str_is(name, "__typename"))
        def = w->typename_def;
    else if (parent)
        def = vl_for_name(&parent->fields, name);
    const gtype *next_parent = def ? find_type(w->s, type_name(gql_get(def, "Type"))) : NULL;
    const val *args = gql_list(f, "Arguments"), *defargs = def ? gql_list(def, "Arguments") : NULL;
    for (uint32_t i = 0; i < arr_len(args); i++)
        walk_argument(w, def ? arr_for_name(defargs, str_of(arr_at(args, i), "Name")) : NULL,
                      arr_at(args, i));
    walk_directives(w, gql_list(f, "Directives"), "FIELD");
    const val *set = gql_list(f, "SelectionSet");
    walk_selection_set(w, next_parent, set);
    /* FieldsOnCorrectType */
    if (parent && !def)
        w_error(w, pos, "Cannot query field \"%.*s\" on type \"%.*s\".", S(name), S(parent->name));
    /* KnownArgumentNames */
    for (uint32_t i = 0; def && parent && i < arr_len(args); i++)
        if (!arr_for_name(defargs, str_of(arr_at(args, i), "Name")))
            w_error(w, pos, "Unknown argument \"%.*s\" on field \"%.*s.%.*s\".",
                    S(str_of(arr_at(args, i), "Name")), S(parent->name), S(name));
    if (def) {
        required_args(w, defargs, args, pos, false, name);
        /* ScalarLeafs */
        const val *ft = gql_get(def, "Type");
        const gtype *t = find_type(w->s, type_name(ft));
        if (t && is_leaf(t) && arr_len(set) > 0)
            w_error(w, pos, "Field \"%.*s\" must not have a selection since type \"%.*s\" has no subfields.",
                    S(name), S(t->name));
        if (t && !is_leaf(t) && arr_len(set) == 0)
            w_error(w, pos,
                    "Field \"%.*s\" of type \"%s\" must have a selection of subfields. Did you mean \"%.*s { "
                    "... }\"?",
                    S(name), type_text(w->a, ft), S(name));
    }
    unique_args(w, args);
}

static void walk_inline_fragment(walker *w, const gtype *parent, const val *f)
{
    const val *cond = str_of(f, "TypeCondition"), *pos = gql_get(f, "Position");
    const gtype *next_parent = parent;
    if (cond->len)
        next_parent = find_type(w->s, cond);
    walk_directives(w, gql_list(f, "Directives"), "INLINE_FRAGMENT");
    walk_selection_set(w, next_parent, gql_list(f, "SelectionSet"));
    const gtype *ct = find_type(w->s, cond);
    /* FragmentsOnCompositeTypes */
    if (ct && !is_composite(ct))
        w_error(w, pos, "Fragment cannot condition on non composite type \"%.*s\".", S(cond));
    /* KnownTypeNames */
    if (cond->len && !ct)
        w_error(w, pos, "Unknown type \"%.*s\".", S(cond));
    if (!spread_possible(w, parent, cond))
        w_error(w, pos,
                "Fragment cannot be spread here as objects of type \"%.*s\" can never be of type \"%.*s\".",
                S(parent->name), S(cond));
}

static void walk_spread(walker *w, const gtype *parent, const val *f)
{
    const val *name = str_of(f, "Name"), *pos = gql_get(f, "Position");
    int fi = frag_index(w, name);
    const val *fdef = fi >= 0 ? arr_at(w->frags, (uint32_t)fi) : NULL;
    const val *cond = fdef ? str_of(fdef, "TypeCondition") : NULL;
    const gtype *next_parent = fdef ? find_type(w->s, cond) : NULL;
    walk_directives(w, gql_list(f, "Directives"), "FRAGMENT_SPREAD");
    if (fdef && !w->frag_walked[fi]) {
        w->frag_walked[fi] = true;
        walk_selection_set(w, next_parent, gql_list(fdef, "SelectionSet"));
    }
    /* KnownFragmentNames */
    if (!fdef)
        w_error(w, pos, "Unknown fragment \"%.*s\".", S(name));
    /* NoUnusedFragments */
    if (fdef && !w->in_fragment_definition)
        w->frag_used[fi] = true;
    if (fdef && !spread_possible(w, parent, cond))
        w_error(w, pos,
                "Fragment \"%.*s\" cannot be spread here as objects of type \"%.*s\" can never be of type "
                "\"%.*s\".",
                S(name), S(parent->name), S(cond));
}

static void walk_selection_set(walker *w, const gtype *parent, const val *set)
{
    if (++w->depth > 512) {
        w->depth--;
        return;
    }
    for (uint32_t i = 0; i < arr_len(set); i++) {
        const val *sel = arr_at(set, i);
        if (gql_get(sel, "TypeCondition"))
            walk_inline_fragment(w, parent, sel);
        else if (gql_get(sel, "Alias"))
            walk_field(w, parent, sel);
        else
            walk_spread(w, parent, sel);
    }
    w->depth--;
}

/* SingleFieldSubscriptions' field collection (retrieveTopFieldNames). */
static void top_fields(walker *w, const val *set, vlist *out, bool *in_frag, int depth)
{
    if (depth > 512)
        return;
    for (uint32_t i = 0; i < arr_len(set); i++) {
        const val *sel = arr_at(set, i);
        if (gql_get(sel, "TypeCondition")) {
            top_fields(w, gql_list(sel, "SelectionSet"), out, in_frag, depth + 1);
        } else if (gql_get(sel, "Alias")) {
            if (!vl_push(w->a, out, sel))
                w->oom = true;
        } else {
            int fi = frag_index(w, str_of(sel, "Name"));
            if (fi < 0)
                return;
            if (!in_frag[fi]) {
                in_frag[fi] = true;
                top_fields(w, gql_list(arr_at(w->frags, (uint32_t)fi), "SelectionSet"), out, in_frag,
                           depth + 1);
            }
        }
    }
}

static void *zalloc(walker *w, size_t n)
{
    void *p = arena_alloc(w->a, n ? n : 1);
    if (!p)
        w->oom = true;
    else
        memset(p, 0, n ? n : 1);
    return p;
}

static void walk_operation(walker *w, const val *op, uint32_t op_index)
{
    const val *vars = gql_list(op, "VariableDefinitions");
    w->cur_op = op;
    w->cur_vars = vars;
    w->var_used = zalloc(w, arr_len(vars) * sizeof(bool));
    memset(w->frag_walked, 0, (arr_len(w->frags) + 1) * sizeof(bool));
    if (!w->var_used)
        return;
    const val *optype = str_of(op, "Operation"), *opname = str_of(op, "Name"), *pos = gql_get(op, "Position");
    const gtype *def = NULL;
    const char *loc = "";
    if (gql_str_is(optype, "query") || optype->len == 0) {
        def = w->s->query;
        loc = "QUERY";
    } else if (gql_str_is(optype, "mutation")) {
        def = w->s->mutation;
        loc = "MUTATION";
    } else if (gql_str_is(optype, "subscription")) {
        def = w->s->subscription;
        loc = "SUBSCRIPTION";
    }
    walk_directives(w, gql_list(op, "Directives"), loc);
    for (uint32_t i = 0; i < arr_len(vars); i++) {
        const val *vd = arr_at(vars, i), *t = gql_get(vd, "Type");
        const val *dv = gql_get(vd, "DefaultValue");
        if (dv)
            walk_value(w, dv, t, find_type(w->s, type_name(t)), false);
        walk_directives(w, gql_list(vd, "Directives"), "VARIABLE_DEFINITION");
    }
    walk_selection_set(w, def, gql_list(op, "SelectionSet"));

    /* KnownRootType */
    if (!def)
        w_error(w, pos, "Schema does not support operation type \"%.*s\"", S(optype));
    /* KnownTypeNames */
    for (uint32_t i = 0; i < arr_len(vars); i++) {
        const val *tn = type_name(gql_get(arr_at(vars, i), "Type"));
        if (!find_type(w->s, tn))
            w_error(w, gql_get(arr_at(vars, i), "Position"), "Unknown type \"%.*s\".", S(tn));
    }
    /* LoneAnonymousOperation */
    if (opname->len == 0 && arr_len(w->ops) > 1)
        w_error(w, pos, "This anonymous operation must be the only defined operation.");
    /* NoUnusedVariables */
    for (uint32_t i = 0; i < arr_len(vars); i++) {
        if (w->var_used[i])
            continue;
        const val *vn = str_of(arr_at(vars, i), "Variable"), *vp = gql_get(arr_at(vars, i), "Position");
        if (opname->len)
            w_error(w, vp, "Variable \"$%.*s\" is never used in operation \"%.*s\".", S(vn), S(opname));
        else
            w_error(w, vp, "Variable \"$%.*s\" is never used.", S(vn));
    }
    /* SingleFieldSubscriptions */
    if (w->s->subscription && gql_str_is(optype, "subscription")) {
        vlist all = {0}, uniq = {0};
        bool *in_frag = zalloc(w, (arr_len(w->frags) + 1) * sizeof(bool));
        if (in_frag)
            top_fields(w, gql_list(op, "SelectionSet"), &all, in_frag, 0);
        for (uint32_t i = 0; i < all.n; i++) {
            bool dup = false;
            for (uint32_t j = 0; j < i; j++)
                dup = dup || same_str(str_of(all.v[i], "Name"), str_of(all.v[j], "Name"));
            if (!dup && !vl_push(w->a, &uniq, all.v[i]))
                w->oom = true;
        }
        char who[160];
        if (opname->len)
            snprintf(who, sizeof who, "Subscription \"%.*s\"", S(opname));
        else
            snprintf(who, sizeof who, "Anonymous Subscription");
        if (uniq.n > 1)
            w_error(w, gql_get(uniq.v[1], "Position"), "%s must select only one top level field.", who);
        for (uint32_t i = 0; i < uniq.n; i++) {
            const val *fn = str_of(uniq.v[i], "Name");
            if (fn->len >= 2 && fn->u.s[0] == '_' && fn->u.s[1] == '_')
                w_error(w, gql_get(uniq.v[i], "Position"),
                        "%s must not select an introspection top level field.", who);
        }
    }
    /* UniqueOperationNames */
    for (uint32_t j = 0; j < op_index; j++)
        if (same_str(str_of(arr_at(w->ops, j), "Name"), opname)) {
            w_error(w, pos, "There can be only one operation named \"%.*s\".", S(opname));
            break;
        }
    /* UniqueVariableNames */
    for (uint32_t i = 0; i < arr_len(vars); i++) {
        uint32_t seen = 0;
        for (uint32_t j = 0; j < i; j++)
            seen += same_str(str_of(arr_at(vars, j), "Variable"), str_of(arr_at(vars, i), "Variable"));
        if (seen == 1)
            w_error(w, gql_get(arr_at(vars, i), "Position"),
                    "There can be only one variable named \"$%.*s\".",
                    S(str_of(arr_at(vars, i), "Variable")));
    }
    /* VariablesAreInputTypes */
    for (uint32_t i = 0; i < arr_len(vars); i++) {
        const val *t = gql_get(arr_at(vars, i), "Type");
        const gtype *vt = find_type(w->s, type_name(t));
        if (vt && !is_input_type(vt))
            w_error(w, gql_get(arr_at(vars, i), "Position"),
                    "Variable \"$%.*s\" cannot be non-input type \"%s\".",
                    S(str_of(arr_at(vars, i), "Variable")), type_text(w->a, t));
    }
    w->cur_op = NULL;
    w->cur_vars = NULL;
}

/* NoFragmentCycles' spread collection: a stack of selection sets, last
 * pushed visited first, as gqlparser's getFragmentSpreads does. */
static void fragment_spreads(walker *w, const val *set, vlist *out)
{
    vlist stack = {0};
    if (set && !vl_push(w->a, &stack, set)) {
        w->oom = true;
        return;
    }
    while (stack.n && !w->oom) {
        const val *cur = stack.v[--stack.n];
        for (uint32_t i = 0; i < arr_len(cur); i++) {
            const val *sel = arr_at(cur, i), *sub = gql_list(sel, "SelectionSet");
            bool ok = true;
            if (gql_get(sel, "TypeCondition") || gql_get(sel, "Alias")) {
                if (sub)
                    ok = vl_push(w->a, &stack, sub);
            } else {
                ok = vl_push(w->a, out, sel);
            }
            if (!ok)
                w->oom = true;
        }
    }
}

typedef struct cycle_state {
    bool *visited;
    int *path_index; /* per fragment: index into path while on it, or -1 */
    vlist path;      /* FragmentSpread nodes */
} cycle_state;

static void detect_cycles(walker *w, cycle_state *cs, uint32_t fi, int depth)
{
    if (cs->visited[fi] || depth > 512 || w->oom)
        return;
    cs->visited[fi] = true;
    vlist spreads = {0};
    fragment_spreads(w, gql_list(arr_at(w->frags, fi), "SelectionSet"), &spreads);
    if (spreads.n == 0)
        return;
    cs->path_index[fi] = (int)cs->path.n;
    for (uint32_t i = 0; i < spreads.n && !w->oom; i++) {
        const val *sp = spreads.v[i], *sname = str_of(sp, "Name");
        int target = frag_index(w, sname);
        int cycle_at = target >= 0 ? cs->path_index[target] : -1;
        if (!vl_push(w->a, &cs->path, sp)) {
            w->oom = true;
            return;
        }
        if (cycle_at < 0) {
            if (target >= 0)
                detect_cycles(w, cs, (uint32_t)target, depth + 1);
        } else {
            char via[200];
            sbuf b;
            sb_init(&b, via, sizeof via - 1);
            for (uint32_t k = (uint32_t)cycle_at; k + 1 < cs->path.n; k++) {
                const val *n = str_of(cs->path.v[k], "Name");
                sb_puts(&b, k == (uint32_t)cycle_at ? " via \"" : ", \"");
                sb_put(&b, n->u.s, n->len);
                sb_putc(&b, '"');
            }
            via[b.len < sizeof via - 1 ? b.len : sizeof via - 1] = 0;
            w_error(w, gql_get(sp, "Position"), "Cannot spread fragment \"%.*s\" within itself%s.", S(sname),
                    via);
        }
        cs->path.n--;
    }
    cs->path_index[fi] = -1;
}

static void walk_fragment(walker *w, uint32_t fi)
{
    const val *f = arr_at(w->frags, fi), *name = str_of(f, "Name"), *cond = str_of(f, "TypeCondition");
    const val *pos = gql_get(f, "Position");
    memset(w->frag_walked, 0, (arr_len(w->frags) + 1) * sizeof(bool));
    const gtype *def = find_type(w->s, cond);
    walk_directives(w, gql_list(f, "Directives"), "FRAGMENT_DEFINITION");
    walk_selection_set(w, def, gql_list(f, "SelectionSet"));
    /* FragmentsOnCompositeTypes */
    if (def && cond->len && !is_composite(def))
        w_error(w, pos, "Fragment \"%.*s\" cannot condition on non composite type \"%.*s\".", S(name),
                S(cond));
    /* KnownTypeNames */
    if (!def)
        w_error(w, pos, "Unknown type \"%.*s\".", S(cond));
    /* NoFragmentCycles */
    uint32_t nf = arr_len(w->frags);
    cycle_state cs = {zalloc(w, nf * sizeof(bool)), zalloc(w, nf * sizeof(int)), {0}};
    if (cs.visited && cs.path_index) {
        for (uint32_t i = 0; i < nf; i++)
            cs.path_index[i] = -1;
        detect_cycles(w, &cs, fi, 0);
    }
    /* NoUnusedFragments */
    w->in_fragment_definition = true;
    int first = frag_index(w, name);
    if (first >= 0 && !w->frag_used[first])
        w_error(w, pos, "Fragment \"%.*s\" is never used.", S(name));
    /* UniqueFragmentNames */
    if (first >= 0 && (uint32_t)first < fi)
        w_error(w, pos, "There can be only one fragment named \"%.*s\".", S(name));
}

int gql_validate(arena *a, const val *schema_doc, const val *query_doc, bool *schema_failed, gql_err *err)
{
    memset(err, 0, sizeof *err);
    *schema_failed = false;
    schema s = {.a = a, .err = err};
    if (!build_schema(&s, schema_doc)) {
        *schema_failed = err->status == GQL_FAIL;
        return err->status == GQL_NOMEM ? GQL_NOMEM : GQL_FAIL;
    }
    if (!query_doc)
        return GQL_OK;
    walker w = {.s = &s, .a = a};
    w.frags = gql_list(query_doc, "Fragments");
    w.ops = gql_list(query_doc, "Operations");
    size_t cap = sizeof err->msg + 64;
    w.text = arena_alloc(a, cap);
    json_error je;
    w.typename_def = json_parse(a, typename_field_json, sizeof typename_field_json - 1, &je);
    w.frag_walked = zalloc(&w, (arr_len(w.frags) + 1) * sizeof(bool));
    w.frag_used = zalloc(&w, (arr_len(w.frags) + 1) * sizeof(bool));
    if (!w.text || !w.typename_def || w.oom)
        return GQL_NOMEM;
    sb_init(&w.out, w.text, cap);
    for (uint32_t i = 0; i < arr_len(w.ops) && !w.oom; i++)
        walk_operation(&w, arr_at(w.ops, i), i);
    for (uint32_t i = 0; i < arr_len(w.frags) && !w.oom; i++)
        walk_fragment(&w, i);
    if (w.oom)
        return GQL_NOMEM;
    if (w.nerrors == 0)
        return GQL_OK;
    /* gqlerror.List.Error() with OPA's TrimSuffix(".\n") applied. */
    size_t n = w.out.len < cap ? w.out.len : cap - 1;
    w.text[n] = 0;
    if (w.out.len <= cap && n >= 2 && w.text[n - 2] == '.' && w.text[n - 1] == '\n')
        w.text[n - 2] = 0;
    err->status = GQL_FAIL;
    snprintf(err->msg, sizeof err->msg, "%s", w.text);
    return GQL_FAIL;
}
