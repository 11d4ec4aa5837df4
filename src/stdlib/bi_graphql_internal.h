/* Shared between the GraphQL parser (bi_graphql.c) and validator
 * (bi_graphql_validate.c).
 *
 * An AST is a tree of values shaped exactly like OPA's output: gqlparser's
 * Go structs marshalled to JSON, with null and empty fields dropped. While
 * in our hands a node may also carry "Position": [line, column] (1-based,
 * columns in code points, as gqlparser counts them) so validation errors can
 * say where they are; gql_prune removes those before a tree is returned.
 */
#ifndef POL_STDLIB_BI_GRAPHQL_INTERNAL_H
#define POL_STDLIB_BI_GRAPHQL_INTERNAL_H

#include "builtins.h"

/* Lists, objects and types nest through recursion; gqlparser has no
 * limit, but 256 levels is far beyond any real document and keeps the
 * stack small. */
enum { GQL_MAX_DEPTH = 256 };

enum gql_status {
    GQL_OK,
    GQL_FAIL, /* err.msg, err.line, err.col describe it */
    GQL_NOMEM,
};

/* The first failure of a parse, decode or validation. For a validation
 * with several findings, msg holds them all in gqlparser's list format
 * (see gql_validate) and line/col are the first one's. */
typedef struct gql_err {
    int status; /* gql_status */
    bool has_pos;
    uint32_t line, col;
    char msg[320];
} gql_err;

/* gqlparser's Value kinds, as the AST's "Kind" numbers. */
enum gql_value_kind {
    GQL_VARIABLE,
    GQL_INT,
    GQL_FLOAT,
    GQL_STRING,
    GQL_BLOCK,
    GQL_BOOLEAN,
    GQL_NULL,
    GQL_ENUM,
    GQL_LIST,
    GQL_OBJECT,
};

/* Executable document -> QueryDocument tree (with positions). */
const val *gql_parse_query(arena *a, const char *src, size_t n, gql_err *err);
/* SDL -> SchemaDocument tree (with positions). builtin marks every type
 * definition "BuiltIn": true, as gqlparser does for its prelude. */
const val *gql_parse_schema(arena *a, const char *src, size_t n, bool builtin, gql_err *err);

/* A user-supplied AST object, read the way OPA reads it (JSON into
 * gqlparser's structs and back): unknown keys dropped, missing scalars
 * defaulted, every selection read as a Field. GQL_FAIL on a type clash. */
const val *gql_decode_query(arena *a, const val *obj, gql_err *err);
const val *gql_decode_schema(arena *a, const val *obj, gql_err *err);

/* The tree without "Position" keys. NULL when the arena is full. */
const val *gql_prune(arena *a, const val *ast);

/* Builds the schema (prelude + schema_doc, gqlparser's
 * ValidateSchemaDocument) and, when query_doc is not NULL, validates the
 * query against it with gqlparser's rules.
 * Returns GQL_OK; GQL_FAIL with *schema_failed telling which half failed;
 * or GQL_NOMEM. */
int gql_validate(arena *a, const val *schema_doc, const val *query_doc, bool *schema_failed, gql_err *err);

/* Helpers over AST nodes. */
const val *gql_get(const val *node, const char *key);  /* NULL unless node is an object holding key */
const val *gql_list(const val *node, const char *key); /* the array under key, or NULL */
bool gql_str_is(const val *s, const char *text);       /* s is the string text */
void gql_err_set(gql_err *err, const val *pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
