/* Reading GraphQL AST objects supplied by policies, the way OPA reads
 * them (JSON into gqlparser's Go structs, then back to values and
 * through OPA's pruner), and removing the positions our own trees carry.
 */
#include "bi_graphql_internal.h"

#include <string.h>
#include <strings.h>

/* ======================================================================
 * Reading user-supplied AST objects (OPA: JSON into gqlparser's structs,
 * then back through InterfaceToValue and the pruner)
 * ====================================================================== */

enum fkind { F_STR, F_BOOL, F_INT, F_OBJ, F_LIST, F_STRS, F_SELSET };

typedef enum sid {
    S_QUERYDOC,
    S_OPDEF,
    S_VARDEF,
    S_TYPE,
    S_VALUE,
    S_CHILD,
    S_DIRECTIVE,
    S_ARG,
    S_FIELD,
    S_SPREAD,
    S_INLINE,
    S_FRAGDEF,
    S_SCHEMADOC,
    S_SCHEMADEF,
    S_OPTYPE,
    S_DEF,
    S_FIELDDEF,
    S_ARGDEF,
    S_ENUMVAL,
    S_DIRDEF,
} sid;

typedef struct fspec {
    const char *name;
    uint8_t kind; /* fkind */
    uint8_t sub;  /* sid of F_OBJ / F_LIST elements */
} fspec;

typedef struct sspec {
    const char *go_name;
    bool exact_keys; /* gqlparser's hand-written UnmarshalJSON: exact key match */
    uint8_t n;
    fspec f[9];
} sspec;

/* gqlparser's AST structs: the fields that survive OPA's round trip
 * (positions, comments and validator back-pointers are dropped). */
static const sspec structs[] = {
    [S_QUERYDOC] = {"QueryDocument",
                    false,
                    2,
                    {{"Operations", F_LIST, S_OPDEF}, {"Fragments", F_LIST, S_FRAGDEF}}},
    [S_OPDEF] = {"OperationDefinition",
                 true,
                 5,
                 {{"Operation", F_STR, 0},
                  {"Name", F_STR, 0},
                  {"VariableDefinitions", F_LIST, S_VARDEF},
                  {"Directives", F_LIST, S_DIRECTIVE},
                  {"SelectionSet", F_SELSET, 0}}},
    [S_VARDEF] = {"VariableDefinition",
                  false,
                  5,
                  {{"Variable", F_STR, 0},
                   {"Type", F_OBJ, S_TYPE},
                   {"DefaultValue", F_OBJ, S_VALUE},
                   {"Directives", F_LIST, S_DIRECTIVE},
                   {"Used", F_BOOL, 0}}},
    [S_TYPE] = {"Type", false, 3, {{"NamedType", F_STR, 0}, {"Elem", F_OBJ, S_TYPE}, {"NonNull", F_BOOL, 0}}},
    [S_VALUE] = {"Value",
                 false,
                 4,
                 {{"Raw", F_STR, 0},
                  {"Children", F_LIST, S_CHILD},
                  {"Kind", F_INT, 0},
                  {"ExpectedTypeHasDefault", F_BOOL, 0}}},
    [S_CHILD] = {"ChildValue", false, 2, {{"Name", F_STR, 0}, {"Value", F_OBJ, S_VALUE}}},
    [S_DIRECTIVE] = {"Directive",
                     false,
                     3,
                     {{"Name", F_STR, 0}, {"Arguments", F_LIST, S_ARG}, {"Location", F_STR, 0}}},
    [S_ARG] = {"Argument", false, 2, {{"Name", F_STR, 0}, {"Value", F_OBJ, S_VALUE}}},
    [S_FIELD] = {"Field",
                 true,
                 5,
                 {{"Alias", F_STR, 0},
                  {"Name", F_STR, 0},
                  {"Arguments", F_LIST, S_ARG},
                  {"Directives", F_LIST, S_DIRECTIVE},
                  {"SelectionSet", F_SELSET, 0}}},
    [S_SPREAD] = {"FragmentSpread", false, 2, {{"Name", F_STR, 0}, {"Directives", F_LIST, S_DIRECTIVE}}},
    [S_INLINE] = {"InlineFragment",
                  true,
                  3,
                  {{"TypeCondition", F_STR, 0},
                   {"Directives", F_LIST, S_DIRECTIVE},
                   {"SelectionSet", F_SELSET, 0}}},
    [S_FRAGDEF] = {"FragmentDefinition",
                   true,
                   5,
                   {{"Name", F_STR, 0},
                    {"VariableDefinition", F_LIST, S_VARDEF},
                    {"TypeCondition", F_STR, 0},
                    {"Directives", F_LIST, S_DIRECTIVE},
                    {"SelectionSet", F_SELSET, 0}}},
    [S_SCHEMADOC] = {"SchemaDocument",
                     false,
                     5,
                     {{"Schema", F_LIST, S_SCHEMADEF},
                      {"SchemaExtension", F_LIST, S_SCHEMADEF},
                      {"Directives", F_LIST, S_DIRDEF},
                      {"Definitions", F_LIST, S_DEF},
                      {"Extensions", F_LIST, S_DEF}}},
    [S_SCHEMADEF] = {"SchemaDefinition",
                     false,
                     3,
                     {{"Description", F_STR, 0},
                      {"Directives", F_LIST, S_DIRECTIVE},
                      {"OperationTypes", F_LIST, S_OPTYPE}}},
    [S_OPTYPE] = {"OperationTypeDefinition", false, 2, {{"Operation", F_STR, 0}, {"Type", F_STR, 0}}},
    [S_DEF] = {"Definition",
               false,
               9,
               {{"Kind", F_STR, 0},
                {"Description", F_STR, 0},
                {"Name", F_STR, 0},
                {"Directives", F_LIST, S_DIRECTIVE},
                {"Interfaces", F_STRS, 0},
                {"Fields", F_LIST, S_FIELDDEF},
                {"Types", F_STRS, 0},
                {"EnumValues", F_LIST, S_ENUMVAL},
                {"BuiltIn", F_BOOL, 0}}},
    [S_FIELDDEF] = {"FieldDefinition",
                    false,
                    6,
                    {{"Description", F_STR, 0},
                     {"Name", F_STR, 0},
                     {"Arguments", F_LIST, S_ARGDEF},
                     {"DefaultValue", F_OBJ, S_VALUE},
                     {"Type", F_OBJ, S_TYPE},
                     {"Directives", F_LIST, S_DIRECTIVE}}},
    [S_ARGDEF] = {"ArgumentDefinition",
                  false,
                  5,
                  {{"Description", F_STR, 0},
                   {"Name", F_STR, 0},
                   {"DefaultValue", F_OBJ, S_VALUE},
                   {"Type", F_OBJ, S_TYPE},
                   {"Directives", F_LIST, S_DIRECTIVE}}},
    [S_ENUMVAL] = {"EnumValueDefinition",
                   false,
                   3,
                   {{"Description", F_STR, 0}, {"Name", F_STR, 0}, {"Directives", F_LIST, S_DIRECTIVE}}},
    [S_DIRDEF] = {"DirectiveDefinition",
                  false,
                  5,
                  {{"Description", F_STR, 0},
                   {"Name", F_STR, 0},
                   {"Arguments", F_LIST, S_ARGDEF},
                   {"Locations", F_STRS, 0},
                   {"IsRepeatable", F_BOOL, 0}}},
};

typedef struct decoder {
    arena *a;
    gql_err *err;
    int depth;
} decoder;

static const char *json_kind(const val *v)
{
    switch (v->type) {
    case V_BOOL: return "bool";
    case V_NUM: return "number";
    case V_STR: return "string";
    case V_ARR:
    case V_SET: return "array";
    case V_OBJ: return "object";
    default: return "null";
    }
}

static bool dec_type_error(decoder *d, const val *got, const sspec *s, const char *field, const char *go_type)
{
    gql_err_set(d->err, NULL, "json: cannot unmarshal %s into Go struct field %s.%s of type %s",
                json_kind(got), s->go_name, field, go_type);
    return false;
}

/* Go's encoding/json field lookup: exact key, else a case-insensitive one
 * (unless the struct decodes itself, matching keys exactly). */
static const val *dec_lookup(const val *obj, const sspec *s, const char *name)
{
    const val *v = val_obj_get_str(obj, name, strlen(name));
    if (v || s->exact_keys)
        return v;
    size_t n = strlen(name);
    for (uint32_t i = 0; i < obj->len; i++) {
        const val *k = obj->u.o.k[i];
        if (k->type == V_STR && k->len == n && strncasecmp(k->u.s, name, n) == 0)
            return obj->u.o.v[i];
    }
    return NULL;
}

static const val *decode_struct(decoder *d, const val *obj, sid id);

static bool dec_oom(decoder *d)
{
    if (d->err->status == GQL_OK)
        d->err->status = GQL_NOMEM;
    return false;
}

/* Arrays and sets both arrive as JSON arrays once OPA serialises them. */
static bool is_seq(const val *v)
{
    return v->type == V_ARR || v->type == V_SET;
}

static const val *decode_selection(decoder *d, const val *item)
{
    static const sid tries[] = {S_FIELD, S_SPREAD, S_INLINE};
    for (size_t i = 0; i < 3; i++) {
        gql_err local = {0};
        decoder sub = {d->a, &local, d->depth};
        const val *v = decode_struct(&sub, item, tries[i]);
        if (local.status == GQL_NOMEM)
            return dec_oom(d), NULL;
        if (local.status == GQL_OK)
            return v;
    }
    return NULL; /* gqlparser drops a selection nothing can read */
}

static bool decode_field(decoder *d, vbuild *out, const val *obj, const sspec *s, const fspec *f)
{
    const val *v = dec_lookup(obj, s, f->name);
    const val *res = NULL;
    bool is_null = !v || v->type == V_NULL;
    switch (f->kind) {
    case F_STR:
        if (!is_null && v->type != V_STR)
            return dec_type_error(d, v, s, f->name, "string");
        res = is_null ? &val_empty_str_c : v;
        break;
    case F_BOOL:
        if (!is_null && v->type != V_BOOL)
            return dec_type_error(d, v, s, f->name, "bool");
        res = is_null ? VAL_FALSE : v;
        break;
    case F_INT: {
        int64_t i = 0;
        if (!is_null && (v->type != V_NUM || !val_is_int(v, &i)))
            return dec_type_error(d, v, s, f->name, "int");
        res = is_null ? v_int(d->a, 0) : v;
        break;
    }
    case F_OBJ:
        if (is_null)
            return true;
        if (v->type != V_OBJ)
            return dec_type_error(d, v, s, f->name, "object");
        res = decode_struct(d, v, (sid)f->sub);
        if (!res)
            return d->err->status == GQL_OK;
        break;
    case F_STRS:
    case F_LIST:
    case F_SELSET: {
        if (is_null)
            return true;
        if (!is_seq(v))
            return dec_type_error(d, v, s, f->name, "array");
        vbuild b;
        vb_init(&b, d->a);
        for (uint32_t i = 0; i < v->len; i++) {
            const val *item = v->u.a[i], *got = NULL;
            if (f->kind == F_STRS) {
                if (item->type != V_NULL && item->type != V_STR)
                    return dec_type_error(d, item, s, f->name, "[]string");
                got = item->type == V_NULL ? &val_empty_str_c : item;
            } else if (f->kind == F_SELSET) {
                got = item->type == V_NULL ? decode_struct(d, &val_empty_obj_c, S_FIELD)
                                           : decode_selection(d, item);
            } else if (item->type != V_NULL) {
                if (item->type != V_OBJ)
                    return dec_type_error(d, item, s, f->name, "object");
                got = decode_struct(d, item, (sid)f->sub);
            }
            if (d->err->status != GQL_OK)
                return false;
            if (got && !vb_push(&b, got))
                return dec_oom(d);
        }
        if (b.oom)
            return dec_oom(d);
        if (b.n == 0)
            return true;
        res = vb_finish_array(&b);
        break;
    }
    }
    if (!res)
        return dec_oom(d);
    const val *k = v_str_ref(d->a, f->name, strlen(f->name));
    if (!k || !vb_put(out, k, res))
        return dec_oom(d);
    return true;
}

static const val *decode_struct(decoder *d, const val *obj, sid id)
{
    const sspec *s = &structs[id];
    if (obj->type != V_OBJ) {
        gql_err_set(d->err, NULL, "json: cannot unmarshal %s into Go value of type ast.%s", json_kind(obj),
                    s->go_name);
        return NULL;
    }
    if (++d->depth > 4 * GQL_MAX_DEPTH) {
        gql_err_set(d->err, NULL, "GraphQL AST nested too deeply");
        return NULL;
    }
    vbuild b;
    vb_init(&b, d->a);
    for (uint8_t i = 0; i < s->n; i++)
        if (!decode_field(d, &b, obj, s, &s->f[i]))
            return NULL;
    d->depth--;
    if (b.oom)
        return dec_oom(d), NULL;
    const val *v = vb_finish_object(&b, NULL);
    if (!v)
        dec_oom(d);
    return v;
}

const val *gql_decode_query(arena *a, const val *obj, gql_err *err)
{
    memset(err, 0, sizeof *err);
    decoder d = {a, err, 0};
    return decode_struct(&d, obj, S_QUERYDOC);
}

const val *gql_decode_schema(arena *a, const val *obj, gql_err *err)
{
    memset(err, 0, sizeof *err);
    decoder d = {a, err, 0};
    return decode_struct(&d, obj, S_SCHEMADOC);
}

/* ======================================================================
 * Pruning positions
 * ====================================================================== */

static const val *prune(arena *a, const val *v, int depth)
{
    if (depth > 8 * GQL_MAX_DEPTH)
        return NULL;
    if (v->type == V_ARR) {
        vbuild b;
        vb_init(&b, a);
        for (uint32_t i = 0; i < v->len; i++) {
            const val *x = prune(a, v->u.a[i], depth + 1);
            if (!x || !vb_push(&b, x))
                return NULL;
        }
        return b.oom ? NULL : vb_finish_array(&b);
    }
    if (v->type != V_OBJ)
        return v;
    vbuild b;
    vb_init(&b, a);
    for (uint32_t i = 0; i < v->len; i++) {
        if (gql_str_is(v->u.o.k[i], "Position"))
            continue;
        const val *x = prune(a, v->u.o.v[i], depth + 1);
        if (!x || !vb_put(&b, v->u.o.k[i], x))
            return NULL;
    }
    return b.oom ? NULL : vb_finish_object(&b, NULL);
}

const val *gql_prune(arena *a, const val *ast)
{
    return prune(a, ast, 0);
}
