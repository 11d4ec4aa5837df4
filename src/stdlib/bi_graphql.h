/* Builtin rows owned by the GraphQL and JSON Schema area: graphql.* in
 * bi_graphql.c (lexer, parser, builtins), bi_graphql_ast.c (reading AST
 * objects) and bi_graphql_validate.c (schema and query validation);
 * json.match_schema and json.verify_schema in bi_jsonschema.c. See
 * builtins.h for the row format. */
#ifndef POL_STDLIB_BI_GRAPHQL_H
#define POL_STDLIB_BI_GRAPHQL_H

#define BI_LIST_GRAPHQL(X)                                                                                   \
    X(GRAPHQL_PARSE, "graphql.parse", 2, BIF_NONE, bi_graphql_parse)                                         \
    X(GRAPHQL_PARSE_AND_VERIFY, "graphql.parse_and_verify", 2, BIF_NONE, bi_graphql_parse_and_verify)        \
    X(GRAPHQL_PARSE_QUERY, "graphql.parse_query", 1, BIF_NONE, bi_graphql_parse_query)                       \
    X(GRAPHQL_PARSE_SCHEMA, "graphql.parse_schema", 1, BIF_NONE, bi_graphql_parse_schema)                    \
    X(GRAPHQL_IS_VALID, "graphql.is_valid", 2, BIF_NONE, bi_graphql_is_valid)                                \
    X(GRAPHQL_SCHEMA_IS_VALID, "graphql.schema_is_valid", 1, BIF_NONE, bi_graphql_schema_is_valid)           \
    X(JSON_MATCH_SCHEMA, "json.match_schema", 2, BIF_ENV, bi_json_match_schema)                              \
    X(JSON_VERIFY_SCHEMA, "json.verify_schema", 1, BIF_ENV, bi_json_verify_schema)

#endif
