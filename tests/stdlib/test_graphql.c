/* Unit tests for graphql.* and json.match_schema / json.verify_schema.
 * Expected ASTs, messages and results come from OPA's conformance cases
 * (folders graphql and jsonschema) and gqlparser's documented rules. */
#include "stdlib/builtins.h"
#include "test.h"

static unsigned char arena_mem[1 << 23];
static arena A;
static bi_ctx C;

static const val *J(const char *s)
{
    json_error e;
    const val *v = json_parse(&A, s, strlen(s), &e);
    if (!v)
        fprintf(stderr, "test: bad JSON %s: %s\n", s, e.msg);
    return v;
}

static const val *STR(const char *s)
{
    return v_cstr(&A, s);
}

static const char *render(const val *v)
{
    static char buf[16384];
    sbuf sb;
    if (!v)
        return "(undefined)";
    sb_init(&sb, buf, sizeof buf - 1);
    json_write(&sb, v, 0);
    buf[sb.len < sizeof buf - 1 ? sb.len : sizeof buf - 1] = '\0';
    return buf;
}

static bi_status call(const char *name, const val *a0, const val *a1, const val **out)
{
    int id = bi_lookup(name, strlen(name));
    *out = NULL;
    C.err_code = POL_OK;
    C.err_msg[0] = 0;
    if (id < 0) {
        fprintf(stderr, "test: no builtin %s\n", name);
        return BI_ERR;
    }
    const val *args[2] = {a0, a1};
    return bi_table[id].fn(&C, args, out);
}

/* The builtin returns exactly the JSON value want. */
#define CHECK_RESULT(name, a0, a1, want)                                                                     \
    do {                                                                                                     \
        const val *out_;                                                                                     \
        bi_status st_ = call(name, a0, a1, &out_);                                                           \
        const val *want_ = J(want);                                                                          \
        CHECK(st_ == BI_OK);                                                                                 \
        if (st_ != BI_OK)                                                                                    \
            fprintf(stderr, "  error: %s\n", C.err_msg);                                                     \
        else if (!(out_ && want_ && val_equal(out_, want_)))                                                 \
            CHECK_STR(render(out_), want);                                                                   \
    } while (0)

/* The builtin fails with exactly this message. */
#define CHECK_ERROR(name, a0, a1, msg)                                                                       \
    do {                                                                                                     \
        const val *out_;                                                                                     \
        bi_status st_ = call(name, a0, a1, &out_);                                                           \
        CHECK(st_ == BI_ERR);                                                                                \
        CHECK_STR(C.err_msg, msg);                                                                           \
    } while (0)

static void test_parse_query(void)
{
    CHECK_RESULT("graphql.parse_query", STR("{hero {name}}"), NULL,
                 "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": "
                 "[{\"Alias\": \"hero\", "
                 "\"Name\": \"hero\", \"SelectionSet\": [{\"Alias\": \"name\", \"Name\": \"name\"}]}]}]}");
    CHECK_RESULT(
        "graphql.parse_query", STR("query ($string: String, $notnull: [Arr!]!) { f }"), NULL,
        "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"f\", "
        "\"Name\": \"f\"}], \"VariableDefinitions\": [{\"Type\": {\"NamedType\": \"String\", \"NonNull\": "
        "false}, \"Used\": false, \"Variable\": \"string\"}, {\"Type\": {\"Elem\": {\"NamedType\": \"Arr\", "
        "\"NonNull\": true}, \"NamedType\": \"\", \"NonNull\": true}, \"Used\": false, \"Variable\": "
        "\"notnull\"}]}]}");
    CHECK_RESULT(
        "graphql.parse_query", STR("{ f(long: \"\"\"long\"\"\", short: \"short\", id: [1,2], n: null) }"),
        NULL,
        "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"f\", "
        "\"Arguments\": [{\"Name\": \"long\", \"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 4, "
        "\"Raw\": \"long\"}}, {\"Name\": \"short\", \"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": "
        "3, \"Raw\": \"short\"}}, {\"Name\": \"id\", \"Value\": {\"Children\": [{\"Name\": \"\", \"Value\": "
        "{\"ExpectedTypeHasDefault\": false, \"Kind\": 1, \"Raw\": \"1\"}}, {\"Name\": \"\", \"Value\": "
        "{\"ExpectedTypeHasDefault\": false, \"Kind\": 1, \"Raw\": \"2\"}}], \"ExpectedTypeHasDefault\": "
        "false, \"Kind\": 8, \"Raw\": \"\"}}, {\"Name\": \"n\", \"Value\": {\"ExpectedTypeHasDefault\": "
        "false, \"Kind\": 6, \"Raw\": \"null\"}}], \"Name\": \"f\"}]}]}");
    /* fragments, spreads, inline fragments and a directive */
    CHECK_RESULT(
        "graphql.parse_query",
        STR("query on { ... a ... on on { field } } fragment a on Type { on @on(on: on) }"), NULL,
        "{\"Fragments\": [{\"Name\": \"a\", \"SelectionSet\": [{\"Alias\": \"on\", \"Directives\": "
        "[{\"Arguments\": [{\"Name\": \"on\", \"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 7, "
        "\"Raw\": \"on\"}}], \"Location\": \"\", \"Name\": \"on\"}], \"Name\": \"on\"}], \"TypeCondition\": "
        "\"Type\"}], \"Operations\": [{\"Name\": \"on\", \"Operation\": \"query\", \"SelectionSet\": "
        "[{\"Name\": \"a\"}, {\"SelectionSet\": [{\"Alias\": \"field\", \"Name\": \"field\"}], "
        "\"TypeCondition\": \"on\"}]}]}");
    /* block strings lose their common indentation and escaped quotes */
    CHECK_RESULT(
        "graphql.parse_query", STR("{ f(b: \"\"\"\n    block \\\"\"\"\n  \"\"\") }"), NULL,
        "{\"Operations\": [{\"Name\": \"\", \"Operation\": \"query\", \"SelectionSet\": [{\"Alias\": \"f\", "
        "\"Arguments\": [{\"Name\": \"b\", \"Value\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 4, "
        "\"Raw\": \"block \\\"\\\"\\\"\"}}], \"Name\": \"f\"}]}]}");
    CHECK_RESULT("graphql.parse_query", STR(""), NULL, "{}");

    CHECK_ERROR("graphql.parse_query", STR("{"), NULL,
                "graphql.parse_query: Expected Name, found <EOF> in GraphQL string at location 1:2");
    CHECK_ERROR(
        "graphql.parse_query", STR("\n  { ...MissingOn }\n  fragment MissingOn Type\n"), NULL,
        "graphql.parse_query: Expected \"on\", found Name \"Type\" in GraphQL string at location 3:22");
    CHECK_ERROR("graphql.parse_query", STR("{ field: {} }"), NULL,
                "graphql.parse_query: Expected Name, found { in GraphQL string at location 1:10");
    CHECK_ERROR("graphql.parse_query", STR("notanoperation Foo { field }"), NULL,
                "graphql.parse_query: Unexpected Name \"notanoperation\" in GraphQL string at location 1:1");
    CHECK_ERROR("graphql.parse_query", STR("..."), NULL,
                "graphql.parse_query: Unexpected ... in GraphQL string at location 1:1");
    CHECK_ERROR("graphql.parse_query", STR("query Foo($x: Complex = { a: { b: [ $var ] } }) { field }"), NULL,
                "graphql.parse_query: Unexpected $ in GraphQL string at location 1:37");
    CHECK_ERROR("graphql.parse_query", STR("fragment on on on { on }"), NULL,
                "graphql.parse_query: Unexpected Name \"on\" in GraphQL string at location 1:10");
    CHECK_ERROR("graphql.parse_query", STR("{__typename{...}}"), NULL,
                "graphql.parse_query: Expected {, found } in GraphQL string at location 1:16");
    CHECK_ERROR(
        "graphql.parse_query", STR("{...{__typename{...{}}}}"), NULL,
        "graphql.parse_query: expected at least one definition, found } in GraphQL string at location 1:21");
    /* a bad token rejected before it is consumed is "<Invalid>", placed
     * where the lexer gave up (gqlparser's peek/next discipline) */
    CHECK_ERROR("graphql.parse_query", STR("{ f(a: \"open) }"), NULL,
                "graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:16");
    CHECK_ERROR("graphql.parse_query", STR("{ f(a: 00) }"), NULL,
                "graphql.parse_query: Unexpected <Invalid> in GraphQL string at location 1:9");
    CHECK_ERROR("graphql.parse_query", J("1"), NULL,
                "graphql.parse_query: operand 1 must be string but got number");
    /* hostile nesting is bounded, not a crash */
    {
        static char deep[4000];
        size_t n = 0;
        deep[n++] = '{';
        deep[n++] = 'f';
        deep[n++] = '(';
        deep[n++] = 'a';
        deep[n++] = ':';
        for (int i = 0; i < 1500; i++)
            deep[n++] = '[';
        deep[n] = 0;
        const val *out;
        CHECK(call("graphql.parse_query", STR(deep), NULL, &out) == BI_ERR);
    }
}

static void test_parse_schema(void)
{
    CHECK_RESULT(
        "graphql.parse_schema",
        STR("\n\"Description\"\ntype Hello {\n  world(flag: Boolean = true): String\n}\n"), NULL,
        "{\"Definitions\": [{\"BuiltIn\": false, \"Description\": \"Description\", \"Fields\": "
        "[{\"Arguments\": "
        "[{\"DefaultValue\": {\"ExpectedTypeHasDefault\": false, \"Kind\": 5, \"Raw\": \"true\"}, "
        "\"Description\": \"\", \"Name\": \"flag\", \"Type\": {\"NamedType\": \"Boolean\", \"NonNull\": "
        "false}}], \"Description\": \"\", \"Name\": \"world\", \"Type\": {\"NamedType\": \"String\", "
        "\"NonNull\": false}}], \"Kind\": \"OBJECT\", \"Name\": \"Hello\"}]}");
    CHECK_RESULT(
        "graphql.parse_schema", STR("extend type Hello implements Greeting"), NULL,
        "{\"Extensions\": [{\"BuiltIn\": false, \"Description\": \"\", \"Interfaces\": [\"Greeting\"], "
        "\"Kind\": \"OBJECT\", \"Name\": \"Hello\"}]}");
    CHECK_RESULT(
        "graphql.parse_schema", STR("schema { query: Query }"), NULL,
        "{\"Schema\": [{\"Description\": \"\", \"OperationTypes\": [{\"Operation\": \"query\", \"Type\": "
        "\"Query\"}]}]}");
    CHECK_RESULT(
        "graphql.parse_schema", STR("extend schema @directive"), NULL,
        "{\"SchemaExtension\": [{\"Description\": \"\", \"Directives\": [{\"Location\": \"\", \"Name\": "
        "\"directive\"}]}]}");
    CHECK_RESULT(
        "graphql.parse_schema", STR("type Hello implements & Wo & rld { field: String }"), NULL,
        "{\"Definitions\": [{\"BuiltIn\": false, \"Description\": \"\", \"Fields\": [{\"Description\": \"\", "
        "\"Name\": \"field\", \"Type\": {\"NamedType\": \"String\", \"NonNull\": false}}], \"Interfaces\": "
        "[\"Wo\", \"rld\"], \"Kind\": \"OBJECT\", \"Name\": \"Hello\"}]}");
    CHECK_RESULT(
        "graphql.parse_schema", STR("union Hello = | Wo | Rld enum E { A, B } scalar S"), NULL,
        "{\"Definitions\": [{\"BuiltIn\": false, \"Description\": \"\", \"Kind\": \"UNION\", \"Name\": "
        "\"Hello\", \"Types\": [\"Wo\", \"Rld\"]}, {\"BuiltIn\": false, \"Description\": \"\", "
        "\"EnumValues\": [{\"Description\": \"\", \"Name\": \"A\"}, {\"Description\": \"\", \"Name\": "
        "\"B\"}], \"Kind\": \"ENUM\", \"Name\": \"E\"}, {\"BuiltIn\": false, \"Description\": \"\", "
        "\"Kind\": \"SCALAR\", \"Name\": \"S\"}]}");
    CHECK_RESULT(
        "graphql.parse_schema", STR("directive @foo repeatable on FIELD"), NULL,
        "{\"Directives\": [{\"Description\": \"\", \"IsRepeatable\": true, \"Locations\": [\"FIELD\"], "
        "\"Name\": \"foo\"}]}");

    CHECK_ERROR(
        "graphql.parse_schema", STR("type Hello {}"), NULL,
        "graphql.parse_schema: expected at least one definition, found } in GraphQL string at location 1:13");
    CHECK_ERROR("graphql.parse_schema", STR("extend type Hello"), NULL,
                "graphql.parse_schema: Unexpected <EOF> in GraphQL string at location 1:18");
    CHECK_ERROR("graphql.parse_schema", STR("\n  \"Description\"\n  extend type Hello { world: String }"),
                NULL,
                "graphql.parse_schema: Unexpected String \"Description\" in GraphQL string at location 2:4");
    CHECK_ERROR("graphql.parse_schema", STR("extend schema"), NULL,
                "graphql.parse_schema: Unexpected <EOF> in GraphQL string at location 1:14");
    CHECK_ERROR("graphql.parse_schema", STR("union Hello = Wo || Rld"), NULL,
                "graphql.parse_schema: Expected Name, found | in GraphQL string at location 1:19");
    CHECK_ERROR("graphql.parse_schema", STR("input Hello {\n  world(foo: Int): String\n}"), NULL,
                "graphql.parse_schema: Expected :, found ( in GraphQL string at location 2:8");
    CHECK_ERROR(
        "graphql.parse_schema", STR("directive @foo on FIELD | INCORRECT_LOCATION"), NULL,
        "graphql.parse_schema: Unexpected Name \"INCORRECT_LOCATION\" in GraphQL string at location 1:27");
    CHECK_ERROR("graphql.parse_schema", STR("type o{d(g:["), NULL,
                "graphql.parse_schema: Expected Name, found <EOF> in GraphQL string at location 1:13");
    CHECK_ERROR("graphql.parse_schema", STR("\"\"\"\r"), NULL,
                "graphql.parse_schema: Unexpected <Invalid> in GraphQL string at location 2:1");
}

static const char *const employee_schema =
    "type Employee { id: String! salary: Int! }\nschema { query: Query }\n"
    "type Query { employeeByID(id: String): Employee }";

static void test_validation(void)
{
    const char *enum_schema = "extend type Query { myAction(myEnum: Locale!): SomeResult! }\n"
                              "type SomeResult { id: String }\nenum Locale { EN LT DE }";
    CHECK_RESULT("graphql.is_valid",
                 STR("query SomeOperation ($locale: Locale! = DE) { myAction(myEnum: $locale) { id } }"),
                 STR(enum_schema), "true");
    CHECK_RESULT("graphql.is_valid", STR("query SomeOperation {\n  myAction { id } }"), STR(enum_schema),
                 "false");
    CHECK_ERROR(
        "graphql.parse", STR("query SomeOperation {\n  # comment\n    myAction { id } }"), STR(enum_schema),
        "graphql.parse: Field \"myAction\" argument \"myEnum\" of type \"Locale!\" is required, but it was "
        "not provided in GraphQL string at location 3:5");
    /* extensions may stand in for missing types; unions take them */
    CHECK_RESULT(
        "graphql.is_valid", STR("{ entity { ... on User { id } } }"),
        STR("extend type User { id: ID! }\nextend type Product { upc: String! }\nunion _Entity = Product | "
            "User\nextend type Query { entity: _Entity }"),
        "true");
    /* variables used through a fragment count as used */
    CHECK_RESULT(
        "graphql.is_valid",
        STR("query Foo($flag: Boolean!) { ...Bar } fragment Bar on Query { bar @include(if: $flag) }"),
        STR("type Query { bar: String! }"), "true");
    CHECK_RESULT("graphql.is_valid", STR("query Foo($flag: Boolean!) { bar }"),
                 STR("type Query { bar: String! }"), "false");
    CHECK_RESULT("graphql.is_valid", STR("mutation{x(a:b)}"),
                 STR("type Query { bar: String! } type Mutation { x: String! }"), "false");
    CHECK_RESULT("graphql.is_valid", STR("{ nope }"), STR("type Query { bar: String! }"), "false");
    CHECK_RESULT("graphql.is_valid", STR("{ bar { x } }"), STR("type Query { bar: String! }"), "false");
    CHECK_RESULT("graphql.is_valid", STR("{ __typename bar }"), STR("type Query { bar: String! }"), "true");
    CHECK_RESULT("graphql.is_valid", STR("{ bar }"), STR("type Query { bar: String! }"), "true");
    CHECK_RESULT("graphql.is_valid", STR(""), STR("type DeprecatedType { f: String @deprecated }"), "true");
    CHECK_RESULT("graphql.is_valid", STR("{ bar }"), J("1"), "false");
    CHECK_RESULT("graphql.is_valid", STR("{"), STR("type Query { bar: String! }"), "false");
    CHECK_ERROR(
        "graphql.parse", STR("{ nope }"), STR("type Query { bar: String! }"),
        "graphql.parse: Cannot query field \"nope\" on type \"Query\" in GraphQL string at location 1:3");
    CHECK_ERROR("graphql.parse", J("1"), STR("type Query { bar: String! }"),
                "graphql.parse: operand 0 must be one of {string, object} but got number");

    /* AST objects round-trip through the validator */
    const val *q_ast, *s_ast;
    CHECK(call("graphql.parse_schema", STR(employee_schema), NULL, &s_ast) == BI_OK);
    const val *s_keep = s_ast;
    CHECK(call("graphql.parse_query", STR("query { employeeByID(id: \"alice\") { salary }}"), NULL, &q_ast) ==
          BI_OK);
    const val *q_keep = q_ast, *out;
    CHECK(call("graphql.parse", q_keep, s_keep, &out) == BI_OK);
    CHECK(out && out->type == V_ARR && out->len == 2 && val_equal(out->u.a[0], q_keep) &&
          val_equal(out->u.a[1], s_keep));
    CHECK(call("graphql.parse_and_verify", q_keep, s_keep, &out) == BI_OK);
    CHECK(out && out->len == 3 && out->u.a[0] == VAL_TRUE && val_equal(out->u.a[1], q_keep));
    CHECK_RESULT("graphql.schema_is_valid", s_keep, NULL, "true");
    CHECK_RESULT("graphql.parse_and_verify", STR("{ nope }"), STR("type Query { bar: String! }"),
                 "[false, {}, {}]");
    /* hand-written ASTs: missing scalars default, unknown argument found */
    CHECK_RESULT(
        "graphql.is_valid",
        J("{\"Operations\": [{\"Name\": \"\", \"Operation\": \"mutation\", \"SelectionSet\": [{\"Alias\": "
          "\"x\", \"Arguments\": [{\"Name\": \"a\", \"Value\": {\"Kind\": 7, \"Raw\": \"b\"}}], \"Name\": "
          "\"x\"}]}]}"),
        J("{\"Definitions\": [{\"Fields\": [{\"Name\": \"bar\", \"Type\": {\"NamedType\": \"String\", "
          "\"NonNull\": true}}], \"Kind\": \"OBJECT\", \"Name\": \"Query\"}, {\"Fields\": [{\"Name\": \"x\", "
          "\"Type\": {\"NamedType\": \"String\", \"NonNull\": true}}], \"Kind\": \"OBJECT\", \"Name\": "
          "\"Mutation\"}]}"),
        "false");
    CHECK_RESULT("graphql.is_valid", J("{\"Operations\": \"nope\"}"), STR("type Query { bar: String! }"),
                 "false");
}

static void test_schema_validation(void)
{
    CHECK_RESULT("graphql.schema_is_valid", STR("type Hello { world: String }"), NULL, "true");
    CHECK_RESULT("graphql.schema_is_valid", STR("type Hello {}"), NULL, "false");
    CHECK_RESULT("graphql.schema_is_valid", STR("extend type Hello implements Greeting"), NULL, "false");
    CHECK_RESULT("graphql.schema_is_valid", STR("type Hello implements World { field: String }"), NULL,
                 "false");
    CHECK_RESULT("graphql.schema_is_valid",
                 STR("interface IA { id: ID! } interface IIA implements IA { id: ID! } type A implements IIA "
                     "{ id: ID! }"),
                 NULL, "false");
    CHECK_RESULT("graphql.schema_is_valid",
                 STR("interface IA { id: ID! } interface IIA implements IA { id: ID! } type A implements IIA "
                     "& IA { id: ID! }"),
                 NULL, "true");
    CHECK_RESULT("graphql.schema_is_valid", STR("union Hello = World"), NULL, "false");
    CHECK_RESULT("graphql.schema_is_valid", STR("type World { a: Int } union Hello = World"), NULL, "true");
    CHECK_RESULT("graphql.schema_is_valid", STR("enum Hello { WO, RLD }"), NULL, "true");
    CHECK_RESULT("graphql.schema_is_valid",
                 STR("directive @directive(a: String = \"b\") on SCHEMA\nextend schema @directive"), NULL,
                 "true");
    CHECK_RESULT(
        "graphql.schema_is_valid",
        STR("type Pupil { friends: [Pupil!]! } input PupilInput { friends: [Pupil] } type Query { p(x: "
            "PupilInput): Pupil }"),
        NULL, "false");
    CHECK_RESULT("graphql.schema_is_valid", STR("scalar String"), NULL, "false");
    CHECK_RESULT("graphql.schema_is_valid", STR("type Q { f: String @nope }"), NULL, "false");
    CHECK_RESULT("graphql.schema_is_valid", STR("type __Q { f: String }"), NULL, "false");
    CHECK_RESULT("graphql.schema_is_valid", J("[1]"), NULL, "false");
}

static void test_jsonschema(void)
{
    const char *schema = "{\"properties\": {\"id\": {\"type\": \"integer\"}}, \"required\": [\"id\"]}";
    CHECK_RESULT("json.match_schema", J("{\"id\": 5}"), J(schema), "[true, []]");
    CHECK_RESULT("json.match_schema", STR("{\"id\": 5}"), J(schema), "[true, []]");
    CHECK_RESULT("json.match_schema", J("{\"id\": 5}"), STR(schema), "[true, []]");
    CHECK_RESULT(
        "json.match_schema", J("{\"id\": \"foo\"}"), J(schema),
        "[false, [{\"desc\": \"Invalid type. Expected: integer, given: string\", \"error\": \"id: Invalid "
        "type. Expected: integer, given: string\", \"field\": \"id\", \"type\": \"invalid_type\"}]]");
    CHECK_RESULT("json.match_schema", J("{}"), J(schema),
                 "[false, [{\"desc\": \"id is required\", \"error\": \"(root): id is required\", \"field\": "
                 "\"(root)\", \"type\": \"required\"}]]");
    CHECK_ERROR(
        "json.match_schema", J("{\"id\": \"foo\"}"), J("{\"properties\": {\"id\": {\"type\": \"unknown\"}}}"),
        "json.match_schema: has a primitive type that is NOT VALID -- given: /unknown/ Expected valid values "
        "are:[array boolean integer number null object string]");
    CHECK_ERROR("json.match_schema", J("1"), J("{}"),
                "json.match_schema: wrong type, expected string or object");
    CHECK_ERROR("json.match_schema", STR("{"), J("{}"), "json.match_schema: invalid JSON string");
    CHECK_RESULT(
        "json.match_schema", J("{\"a\": [1, 2, 2], \"b\": \"xy\", \"c\": 7, \"d\": true}"),
        J("{\"additionalProperties\": false, \"properties\": {\"a\": {\"items\": {\"type\": \"integer\", "
          "\"maximum\": 1}, \"uniqueItems\": true}, \"b\": {\"minLength\": 3, \"pattern\": \"^z\"}, \"c\": "
          "{\"enum\": [1, \"x\"]}}}"),
        "[false, [{\"desc\": \"Additional property d is not allowed\", \"error\": \"(root): Additional "
        "property d is not allowed\", \"field\": \"(root)\", \"type\": \"additional_property_not_allowed\"}, "
        "{\"desc\": \"Must be less than or equal to 1\", \"error\": \"a.1: Must be less than or equal to "
        "1\", "
        "\"field\": \"a.1\", \"type\": \"number_lte\"}, {\"desc\": \"Must be less than or equal to 1\", "
        "\"error\": \"a.2: Must be less than or equal to 1\", \"field\": \"a.2\", \"type\": \"number_lte\"}, "
        "{\"desc\": \"array items[1,2] must be unique\", \"error\": \"a: array items[1,2] must be unique\", "
        "\"field\": \"a\", \"type\": \"unique\"}, {\"desc\": \"String length must be greater than or equal "
        "to 3\", \"error\": \"b: String length must be greater than or equal to 3\", \"field\": \"b\", "
        "\"type\": \"string_gte\"}, {\"desc\": \"Does not match pattern '^z'\", \"error\": \"b: Does not "
        "match pattern '^z'\", \"field\": \"b\", \"type\": \"pattern\"}, {\"desc\": \"c must be one of the "
        "following: 1, \\\"x\\\"\", \"error\": \"c: c must be one of the following: 1, \\\"x\\\"\", "
        "\"field\": \"c\", \"type\": \"enum\"}]]");
    CHECK_RESULT(
        "json.match_schema", STR("5"),
        J("{\"definitions\": {\"s\": {\"type\": \"string\"}}, \"anyOf\": [{\"$ref\": \"#/definitions/s\"}, "
          "{\"type\": \"integer\"}]}"),
        "[true, []]");
    CHECK_RESULT(
        "json.match_schema", J("{}"), J("{\"not\": {}}"),
        "[false, [{\"desc\": \"Must not validate the schema (not)\", \"error\": \"(root): Must not validate "
        "the schema (not)\", \"field\": \"(root)\", \"type\": \"number_not\"}]]");
    CHECK_ERROR("json.match_schema", J("{}"), J("{\"$ref\": \"#\"}"),
                "json.match_schema: schema references nest too deeply");

    CHECK_RESULT("json.verify_schema", STR("{\"type\": \"boolean\"}"), NULL, "[true, null]");
    CHECK_RESULT("json.verify_schema", J("{\"type\": \"boolean\"}"), NULL, "[true, null]");
    CHECK_RESULT("json.verify_schema", J("{\"type\": \"unknown_type\"}"), NULL,
                 "[false, \"jsonschema: has a primitive type that is NOT VALID -- given: /unknown_type/ "
                 "Expected valid "
                 "values are:[array boolean integer number null object string]\"]");
    CHECK_RESULT("json.verify_schema", J("{\"minLength\": -1}"), NULL,
                 "[false, \"jsonschema: minLength must be greater than or equal to 0\"]");
    CHECK_RESULT("json.verify_schema", J("{\"pattern\": \"(\"}"), NULL,
                 "[false, \"jsonschema: pattern must be a valid regex\"]");
    CHECK_RESULT("json.verify_schema", J("1"), NULL,
                 "[false, \"jsonschema: wrong type, expected string or object\"]");
}

int main(void)
{
    arena_init_fixed(&A, arena_mem, sizeof arena_mem);
    C.arena = &A;
    test_parse_query();
    test_parse_schema();
    test_validation();
    test_schema_validation();
    test_jsonschema();
    return TEST_SUMMARY();
}
