/* Parser unit tests: each construct of Rego v1 against a hand-written
 * S-expression (format documented in src/compiler/ast_dump.c), each error
 * path against its exact file:line:col and message, and robustness
 * (truncations, garbage, deep nesting, backtracking blow-ups).
 *
 * With an argument (the shared directory, see tests/compiler/meson.build)
 * it also parses every module, query and input_term of the OPA
 * conformance suite and every benchmark policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../test.h"
#include "compiler/ast.h"

static char out[1 << 16];

typedef enum { AS_MODULE, AS_QUERY, AS_TERM } parse_as;

/* Parses src and returns its dump, or "ERR <line>:<col>: <message>". */
static const char *run(parse_as as, const char *src, size_t len)
{
    arena a;
    arena_init_growable(&a, NULL);
    pol_error err;
    memset(&err, 0, sizeof err);
    sbuf b;
    sb_init(&b, out, sizeof out);
    bool ok = false;
    if (as == AS_MODULE) {
        module *m = parse_module(&a, "t.rego", src, len, &err);
        if ((ok = m != NULL))
            ast_dump_module(&b, m);
    } else if (as == AS_QUERY) {
        body *q = parse_query(&a, "q", src, len, &err);
        if ((ok = q != NULL))
            ast_dump_body(&b, q);
    } else {
        term *t = parse_term(&a, "t", src, len, &err);
        if ((ok = t != NULL))
            ast_dump_term(&b, t);
    }
    if (ok) {
        sb_putc(&b, '\0');
    } else if (err.code == POL_PARSE) {
        snprintf(out, sizeof out, "ERR %u:%u: %s", err.line, err.col, err.message);
    } else {
        snprintf(out, sizeof out, "ERR code %d", (int)err.code);
    }
    arena_free(&a);
    return out;
}

static const char *mod(const char *src)
{
    return run(AS_MODULE, src, strlen(src));
}
static const char *qry(const char *src)
{
    return run(AS_QUERY, src, strlen(src));
}
static const char *trm(const char *src)
{
    return run(AS_TERM, src, strlen(src));
}

/* Module "package t\n<rules>": the dump without the package prefix. */
static const char *rules(const char *body_src)
{
    char src[4096];
    snprintf(src, sizeof src, "package t\n%s", body_src);
    const char *d = mod(src);
    static const char prefix[] = "(module (package (ref (var data) (str \"t\"))) ";
    if (strncmp(d, prefix, sizeof prefix - 1) == 0) {
        size_t n = strlen(d);
        memmove(out, d + sizeof prefix - 1, n - (sizeof prefix - 1) + 1);
        out[strlen(out) - 1] = '\0'; /* the module's closing paren */
    }
    return out;
}

#define EQ "(ref (var equal))"
#define IN_X "(ref (var input) (str \"x\"))"

static void test_package_and_imports(void)
{
    CHECK_STR(mod("package a"), "(module (package (ref (var data) (str \"a\"))))");
    CHECK_STR(mod("package a.b[\"c d\"].e"),
              "(module (package (ref (var data) (str \"a\") (str \"b\") (str \"c d\") (str \"e\"))))");
    CHECK_STR(mod("package foo.if.else"),
              "(module (package (ref (var data) (str \"foo\") (str \"if\") (str \"else\"))))");
    CHECK_STR(
        mod("package a\nimport data.x.y\nimport input.z as q\nimport rego.v1\nimport future.keywords\n"
            "import future.keywords.in\nimport data.foo.as as al\nimport input"),
        "(module (package (ref (var data) (str \"a\"))) (import (ref (var data) (str \"x\") (str \"y\"))) "
        "(import (ref (var input) (str \"z\")) as q) (import (ref (var rego) (str \"v1\"))) "
        "(import (ref (var future) (str \"keywords\"))) "
        "(import (ref (var future) (str \"keywords\") (str \"in\"))) "
        "(import (ref (var data) (str \"foo\") (str \"as\")) as al) (import (ref (var input))))");
    /* comments and blank lines anywhere */
    CHECK_STR(mod("# header\n\npackage a # trailing\n# done\n"),
              "(module (package (ref (var data) (str \"a\"))))");
}

static void test_rules(void)
{
    CHECK_STR(rules("p := 1"), "(rule complete assign (ref (var p)) (value (num 1)))");
    CHECK_STR(rules("p = \"s\""), "(rule complete (ref (var p)) (value (str \"s\")))");
    CHECK_STR(rules("p if input.x == 1"),
              "(rule complete (ref (var p)) (value true) (body (lit (call " EQ " " IN_X " (num 1)))))");
    CHECK_STR(rules("p := v if { v := 2 }"),
              "(rule complete assign (ref (var p)) (value (var v)) (body (lit (assign (var v) (num 2)))))");
    CHECK_STR(rules("p if {\n  a\n  b; c\n}"),
              "(rule complete (ref (var p)) (value true) (body (lit (var a)) (lit (var b)) (lit (var c))))");
    /* `p if { x }`: the braces are the body, not a one-element set */
    CHECK_STR(rules("p if { x }"), "(rule complete (ref (var p)) (value true) (body (lit (var x))))");
    /* ... but an object or a set used in an expression is a literal */
    CHECK_STR(rules("p if {\"a\": 1}.a"), "(rule complete (ref (var p)) (value true) (body (lit (ref (object "
                                          "((str \"a\") (num 1))) (str \"a\")))))");
    CHECK_STR(rules("p if {1} == {1}"), "(rule complete (ref (var p)) (value true) (body (lit (call " EQ
                                        " (set (num 1)) (set (num 1))))))");
    CHECK_STR(rules("default p := false"), "(rule complete default assign (ref (var p)) (value false))");
    CHECK_STR(rules("default p = 1"), "(rule complete default (ref (var p)) (value (num 1)))");
    CHECK_STR(rules("default f(_, y) := [1, {\"a\": [x | x := 1]}]"),
              "(rule func default assign (ref (var f)) (args (var _$0) (var y)) (value (array (num 1) "
              "(object ((str "
              "\"a\") (arraycomp (var x) (body (lit (assign (var x) (num 1))))))))))");
    CHECK_STR(rules("p contains x if some x in input.xs"),
              "(rule contains (ref (var p)) (key (var x)) (body (lit (some-in (var x) (ref (var input) (str "
              "\"xs\"))))))");
    CHECK_STR(rules("p contains \"a\""), "(rule contains (ref (var p)) (key (str \"a\")))");
    CHECK_STR(rules("a.b[x] contains y if { y := x }"),
              "(rule contains (ref (var a) (str \"b\") (var x)) (key (var y)) (body (lit (assign (var y) "
              "(var x)))))");
    CHECK_STR(
        rules("p[k] := v if { k := 1; v := 2 }"),
        "(rule complete assign (ref (var p) (var k)) (value (var v)) (body (lit (assign (var k) (num 1))) "
        "(lit (assign (var v) (num 2)))))");
    CHECK_STR(rules("p[x] if x := 1"),
              "(rule complete (ref (var p) (var x)) (value true) (body (lit (assign (var x) (num 1)))))");
    CHECK_STR(rules("a.b.c := 1"),
              "(rule complete assign (ref (var a) (str \"b\") (str \"c\")) (value (num 1)))");
    CHECK_STR(rules("a.b[\"c\"][1] := 1"),
              "(rule complete assign (ref (var a) (str \"b\") (str \"c\") (num 1)) (value (num 1)))");
    CHECK_STR(rules("f(x) := y if y := x"), "(rule func assign (ref (var f)) (args (var x)) (value (var y)) "
                                            "(body (lit (assign (var y) (var x)))))");
    CHECK_STR(
        rules("f(x, [a, b]) if a == b"),
        "(rule func (ref (var f)) (args (var x) (array (var a) (var b))) (value true) (body (lit (call " EQ
        " (var a) (var b)))))");
    CHECK_STR(rules("f(1) := \"one\""),
              "(rule func assign (ref (var f)) (args (num 1)) (value (str \"one\")))");
    CHECK_STR(rules("a.b.f(x) := x"),
              "(rule func assign (ref (var a) (str \"b\") (str \"f\")) (args (var x)) (value (var x)))");
    /* keywords as rule names when they start a ref (OPA's keywords-in-refs) */
    CHECK_STR(rules("else.foo := 1\nfoo.not contains \"a\"\ndefault default.f(_) := 2"),
              "(rule complete assign (ref (var else) (str \"foo\")) (value (num 1))) "
              "(rule contains (ref (var foo) (str \"not\")) (key (str \"a\"))) "
              "(rule func default assign (ref (var default) (str \"f\")) (args (var _$0)) (value (num 2)))");
    /* several rules on one line need no separator (OPA) */
    CHECK_STR(rules("p := 1 q := 2"), "(rule complete assign (ref (var p)) (value (num 1))) (rule complete "
                                      "assign (ref (var q)) (value (num 2)))");
    /* chained bodies define more rules with the same head */
    CHECK_STR(rules("p if { a } { b }"), "(rule complete (ref (var p)) (value true) (body (lit (var a)))) "
                                         "(rule complete (ref (var p)) (value true) (body (lit (var b))))");
}

static void test_else(void)
{
    CHECK_STR(rules("p := 1 if { a } else := 2 if { b } else := 3"),
              "(rule complete assign (ref (var p)) (value (num 1)) (body (lit (var a))) "
              "(else assign (value (num 2)) (body (lit (var b)))) (else assign (value (num 3))))");
    CHECK_STR(rules("p if a else = false"),
              "(rule complete (ref (var p)) (value true) (body (lit (var a))) (else (value false)))");
    CHECK_STR(rules("p := 1 if a else if { b }"), "(rule complete assign (ref (var p)) (value (num 1)) (body "
                                                  "(lit (var a))) (else (value true) (body (lit "
                                                  "(var b)))))");
    CHECK_STR(
        rules("f(x) := 1 if x > 0\nelse := 2 if x < 0 else := 3"),
        "(rule func assign (ref (var f)) (args (var x)) (value (num 1)) (body (lit (call (ref (var gt)) (var "
        "x) "
        "(num 0)))) (else assign (value (num 2)) (body (lit (call (ref (var lt)) (var x) (num 0))))) (else "
        "assign (value (num 3))))");
    /* `else.foo` on the next line is a new rule, not an else branch */
    CHECK_STR(rules("p := 1 if a\nelse.foo := 2"), "(rule complete assign (ref (var p)) (value (num 1)) "
                                                   "(body (lit (var a)))) (rule complete assign (ref "
                                                   "(var else) (str \"foo\")) (value (num 2)))");
}

static void test_literals(void)
{
    CHECK_STR(
        qry("some x, y; some k, v in xs; some v in [1]"),
        "(body (lit (some (var x) (var y))) (lit (some-in (var k) (var v) (var xs))) (lit (some-in (var v) "
        "(array (num 1)))))");
    CHECK_STR(qry("some [a, b] in pairs"), "(body (lit (some-in (array (var a) (var b)) (var pairs))))");
    CHECK_STR(qry("every x in xs { x > 0 }"),
              "(body (lit (every (var x) (var xs) (body (lit (call (ref (var gt)) (var x) (num 0)))))))");
    CHECK_STR(qry("every k, v in {\"a\": 1} { k != v }"),
              "(body (lit (every (var k) (var v) (object ((str \"a\") (num 1))) (body (lit (call (ref (var "
              "neq)) (var "
              "k) (var v)))))))");
    CHECK_STR(qry("not input.x"), "(body (lit not " IN_X "))");
    CHECK_STR(qry("x = y; x := [1]"),
              "(body (lit (unify (var x) (var y))) (lit (assign (var x) (array (num 1)))))");
    CHECK_STR(qry("f(x) with input as {} with data.a.b as 1 with count as g"),
              "(body (lit (call (ref (var f)) (var x)) (with (ref (var input)) (object)) (with (ref (var "
              "data) (str "
              "\"a\") (str \"b\")) (num 1)) (with (ref (var count)) (var g))))");
    /* `with` may continue on the next lines */
    CHECK_STR(qry("x := y\n  with input.a as 1\n  with input.b as 2"),
              "(body (lit (assign (var x) (var y)) (with (ref (var input) (str \"a\")) (num 1)) (with (ref "
              "(var input) "
              "(str \"b\")) (num 2))))");
    CHECK_STR(qry("not x with input as 1"), "(body (lit not (var x) (with (ref (var input)) (num 1))))");
    /* the query parser: literals separated by `;` or newlines */
    CHECK_STR(qry("a\nb;c\n\n  d"), "(body (lit (var a)) (lit (var b)) (lit (var c)) (lit (var d)))");
    /* a literal continues across a newline while an operator wants more */
    CHECK_STR(qry("x := 1 +\n2"), "(body (lit (assign (var x) (call (ref (var plus)) (num 1) (num 2)))))");
    /* `contains` outside rule heads is just a name (the builtin) */
    CHECK_STR(qry("contains(\"abc\", \"b\")"),
              "(body (lit (call (ref (var contains)) (str \"abc\") (str \"b\"))))");
    /* `_` is a fresh variable every time */
    CHECK_STR(qry("x[_] = y[_]"), "(body (lit (unify (ref (var x) (var _$0)) (ref (var y) (var _$1)))))");
    CHECK_STR(qry("not.x == 1"), "(body (lit (call " EQ " (ref (var not) (str \"x\")) (num 1))))");
}

static void test_terms(void)
{
    CHECK_STR(trm("null"), "null");
    CHECK_STR(trm("[true, false]"), "(array true false)");
    CHECK_STR(trm("12345678901234567890123456789"), "(num 12345678901234567890123456789)");
    CHECK_STR(trm("-1.5e3"), "(num -1.5e3)");
    CHECK_STR(trm("- 2"), "(num -2)");
    CHECK_STR(trm(".5"), "(num 0.5)");
    CHECK_STR(trm("-.25"), "(num -0.25)");
    CHECK_STR(trm("0.5"), "(num 0.5)");
    CHECK_STR(trm("0e5"), "(num 0e5)");
    CHECK_STR(trm("-x"), "(call (ref (var minus)) (num 0) (var x))");
    CHECK_STR(trm("\"a\\u0041\\n\""), "(str \"aA\\n\")");
    CHECK_STR(trm("`a\\b`"), "(str \"a\\\\b\")");
    CHECK_STR(trm("input"), "(var input)");
    CHECK_STR(trm("a.b[c][\"d\"][0].e"), "(ref (var a) (str \"b\") (var c) (str \"d\") (num 0) (str \"e\"))");
    CHECK_STR(trm("data.p[x]"), "(ref (var data) (str \"p\") (var x))");
    CHECK_STR(trm("input.if.else"), "(ref (var input) (str \"if\") (str \"else\"))");
    CHECK_STR(trm("f(x).y"), "(ref (call (ref (var f)) (var x)) (str \"y\"))");
    CHECK_STR(trm("f(x)[0](1)"), "ERR 1:8: illegal call (operator must be a function name or a dotted path)");
    CHECK_STR(trm("[1,2][0]"), "(ref (array (num 1) (num 2)) (num 0))");
    CHECK_STR(trm("{\"a\":1}.a"), "(ref (object ((str \"a\") (num 1))) (str \"a\"))");
    CHECK_STR(trm("net.cidr_contains(a, b)"),
              "(call (ref (var net) (str \"cidr_contains\")) (var a) (var b))");
    CHECK_STR(trm("data.lib.f(x,)"), "(call (ref (var data) (str \"lib\") (str \"f\")) (var x))");
    CHECK_STR(trm("now()"), "(call (ref (var now)))");
    CHECK_STR(trm("set()"), "(set)");
    CHECK_STR(trm("{}"), "(object)");
    CHECK_STR(trm("{1, 2,}"), "(set (num 1) (num 2))");
    CHECK_STR(trm("{[1]: 2, 3: 4}"), "(object ((array (num 1)) (num 2)) ((num 3) (num 4)))");
    CHECK_STR(trm("[1, [2], {3}]"), "(array (num 1) (array (num 2)) (set (num 3)))");
    CHECK_STR(trm("[x | x := 1]"), "(arraycomp (var x) (body (lit (assign (var x) (num 1)))))");
    CHECK_STR(trm("{x | x := 1; true}"),
              "(setcomp (var x) (body (lit (assign (var x) (num 1))) (lit true)))");
    CHECK_STR(
        trm("{k: v | k := 1\n v := 2}"),
        "(objcomp (var k) (var v) (body (lit (assign (var k) (num 1))) (lit (assign (var v) (num 2)))))");
    CHECK_STR(trm("{a + 1: b | true}"),
              "(objcomp (call (ref (var plus)) (var a) (num 1)) (var b) (body (lit true)))");
    /* `|` after the head is a comprehension unless its body fails at a comma */
    CHECK_STR(trm("[a | b, c]"), "(array (call (ref (var or)) (var a) (var b)) (var c))");
    CHECK_STR(trm("{a | b, c}"), "(set (call (ref (var or)) (var a) (var b)) (var c))");
    /* infix comprehension heads: rejected by OPA (issue #4215), accepted
     * here only where OPA's grammar fails, so OPA's readings stand */
    CHECK_STR(trm("[x * 2 | some x in xs]"),
              "(arraycomp (call (ref (var mul)) (var x) (num 2)) (body (lit (some-in (var x) (var xs)))))");
    CHECK_STR(trm("{x + 1 | x := 1}"),
              "(setcomp (call (ref (var plus)) (var x) (num 1)) (body (lit (assign (var x) (num 1)))))");
    CHECK_STR(
        trm("{k: v - 1 | v := 1; k := 2}"),
        "(objcomp (var k) (call (ref (var minus)) (var v) (num 1)) (body (lit (assign (var v) (num 1))) (lit "
        "(assign (var k) (num 2)))))");
    CHECK_STR(trm("[x + 1 | y]"),
              "(array (call (ref (var or)) (call (ref (var plus)) (var x) (num 1)) (var y)))");
    CHECK_STR(trm("{k: v | y, 2: 3}"),
              "(object ((var k) (call (ref (var or)) (var v) (var y))) ((num 2) (num 3)))");
    CHECK_STR(trm("[x * 2 | some x in]"), "ERR 1:10: unexpected some keyword: expected term");
    CHECK_STR(trm("[, 1]"), "(array (num 1))");
    CHECK_STR(trm("[, a | b]"), "(array (call (ref (var or)) (var a) (var b)))");
    CHECK_STR(trm("(1 + 2) * 3"), "(call (ref (var mul)) (call (ref (var plus)) (num 1) (num 2)) (num 3))");
    CHECK_STR(trm("(x).y"), "(ref (var x) (str \"y\"))");
}

static void test_operators(void)
{
    /* loosest first: in < relational < | < & < + - < * / % < unary minus */
    CHECK_STR(trm("a == b | c & d + e * f"),
              "(call " EQ
              " (var a) (call (ref (var or)) (var b) (call (ref (var and)) (var c) (call (ref (var plus)) "
              "(var d) (call (ref (var mul)) (var e) (var f))))))");
    CHECK_STR(trm("a * b + c"), "(call (ref (var plus)) (call (ref (var mul)) (var a) (var b)) (var c))");
    CHECK_STR(trm("a - b - c"), "(call (ref (var minus)) (call (ref (var minus)) (var a) (var b)) (var c))");
    CHECK_STR(trm("a / b % c"), "(call (ref (var rem)) (call (ref (var div)) (var a) (var b)) (var c))");
    CHECK_STR(trm("a < b <= c"), "(call (ref (var lte)) (call (ref (var lt)) (var a) (var b)) (var c))");
    CHECK_STR(trm("a > b != c >= d"), "(call (ref (var gte)) (call (ref (var neq)) (call (ref (var gt)) (var "
                                      "a) (var b)) (var c)) (var d))");
    CHECK_STR(trm("a | b | c"), "(call (ref (var or)) (call (ref (var or)) (var a) (var b)) (var c))");
    CHECK_STR(trm("1 - -1"), "(call (ref (var minus)) (num 1) (num -1))");
    CHECK_STR(trm("-a * b"), "(call (ref (var mul)) (call (ref (var minus)) (num 0) (var a)) (var b))");
    CHECK_STR(trm("x in xs"), "(call (ref (var internal) (str \"member_2\")) (var x) (var xs))");
    CHECK_STR(trm("a == b in c"),
              "(call (ref (var internal) (str \"member_2\")) (call " EQ " (var a) (var b)) (var c))");
    CHECK_STR(
        trm("a in b in c"),
        "(call (ref (var internal) (str \"member_2\")) (call (ref (var internal) (str \"member_2\")) (var a) "
        "(var b)) (var c))");
    /* `k, v in c` only where a whole expression is expected, not in lists */
    CHECK_STR(qry("k, v in c"),
              "(body (lit (call (ref (var internal) (str \"member_3\")) (var k) (var v) (var c))))");
    CHECK_STR(trm("[k, v in c]"),
              "(array (var k) (call (ref (var internal) (str \"member_2\")) (var v) (var c)))");
    CHECK_STR(trm("f(k, v in c)"),
              "(call (ref (var f)) (var k) (call (ref (var internal) (str \"member_2\")) (var v) (var c)))");
    CHECK_STR(qry("x := (k, v in c)"), "(body (lit (assign (var x) (call (ref (var internal) (str "
                                       "\"member_3\")) (var k) (var v) (var c)))))");
}

static void test_templates(void)
{
    CHECK_STR(trm("$\"\""), "(template)");
    CHECK_STR(trm("$\"a{x}b{1}c\""), "(template (str \"a\") (var x) (str \"b\") (num 1) (str \"c\"))");
    CHECK_STR(trm("$\"\\{x} {{1}}\""), "(template (str \"{x} \") (set (num 1)))");
    CHECK_STR(trm("$\"{$\"{y}\"}!\""), "(template (template (var y)) (str \"!\"))");
    CHECK_STR(trm("$`line1\n{input.x}`"), "(template (str \"line1\\n\") " IN_X ")");
    CHECK_STR(trm("$\"{[x | some x in a]}\""),
              "(template (arraycomp (var x) (body (lit (some-in (var x) (var a))))))");
    /* a part with `with` is lowered to the set comprehension OPA uses */
    CHECK_STR(trm("$\"{a with input as 1}\""), "(template (setcomp (var $tmpl0) (body (lit (unify (var "
                                               "$tmpl0) (var a)) (with (ref (var input)) (num "
                                               "1))))))");
    CHECK_STR(trm("$\"{x := 1}\""), "ERR 1:4: unexpected assignment (':=') in template-string expression");
    CHECK_STR(trm("$\"{x = 1}\""), "ERR 1:4: unexpected unification ('=') in template-string expression");
    CHECK_STR(trm("$\"{not x}\""), "ERR 1:4: unexpected negation ('not') in template-string expression");
    CHECK_STR(trm("$\"{some x in y}\""), "ERR 1:4: unexpected 'some' in template-string expression");
    CHECK_STR(trm("$\"{x y}\""), "ERR 1:6: expected } to end template string expression");
    CHECK_STR(trm("$\"{}\""), "ERR 1:4: unexpected template-string-end token: expected term");
}

typedef struct err_case {
    const char *src;
    const char *want; /* "ERR line:col: message" */
} err_case;

static void test_errors(void)
{
    static const err_case cases[] = {
        /* module structure */
        {"", "ERR 0:0: empty module"},
        {"# nothing\n", "ERR 0:0: empty module"},
        {"p := 1", "ERR 1:1: package expected"},
        {"package", "ERR 1:8: unexpected eof token: expected ident"},
        {"package a\npackage b",
         "ERR 2:1: unexpected package keyword: only one package declaration is allowed per module"},
        {"package a[x]", "ERR 1:11: unexpected var token: expecting string"},
        /* a call inside the path made a ref headed by a call, which the rule
         * tree then read as a string (fuzz_eval crash) */
        {"package a.keys({}).b\np := 1", "ERR 1:9: unexpected call token: expected path"},
        {"package a\nimport data.a.keys({}).b\np := 1", "ERR 2:8: unexpected call token: expected path"},
        {"package a\n1 == 1", "ERR 2:1: unexpected number token: expected rule"},
        /* v0 syntax is rejected */
        {"package a\np { true }", "ERR 2:1: `if` keyword is required before rule body"},
        {"package a\nf(x) = 1 { true }", "ERR 2:1: `if` keyword is required before function body"},
        {"package a\np[x] { x := 1 }", "ERR 2:1: `if` keyword is required before rule body"},
        {"package a\n\np[x]", "ERR 3:1: `contains` keyword is required for partial set rules"},
        {"package a\np", "ERR 2:1: rule must have value assignment and/or body declaration"},
        {"package a\nf(x)", "ERR 2:1: function must have value assignment and/or body declaration"},
        /* rule heads */
        {"package a\nf(x) contains 1",
         "ERR 2:6: unexpected contains keyword: the contains keyword can only be used with "
         "multi-value rule definitions (e.g., f contains <VALUE> { ... })"},
        {"package a\np+1", "ERR 2:2: unexpected plus token"},
        {"package a\ndefault p := input.x", "ERR 2:1: illegal default rule (value cannot contain ref)"},
        {"package a\ndefault p := [x]", "ERR 2:1: illegal default rule (value cannot contain var)"},
        {"package a\ndefault p := f(1)", "ERR 2:1: illegal default rule (value cannot contain call)"},
        {"package a\ndefault f(1) := 1", "ERR 2:1: illegal default rule (arguments cannot contain number)"},
        {"package a\ndefault f(x, x) := 1", "ERR 2:1: illegal default rule (arguments cannot be repeated x)"},
        {"package a\ndefault p contains 1", "ERR 2:1: illegal default rule (must have a value)"},
        {"package a\ndefault 1", "ERR 2:9: unexpected number token: expected rule head name"},
        {"package a\np := 1 if x else",
         "ERR 2:17: unexpected eof token: expected else value term or rule body"},
        {"package a\np := 1 if x else := 2 if", "ERR 2:25: unexpected eof token: rule body expected"},
        {"package a\np contains 1 if { x } else := 1",
         "ERR 2:23: else keyword cannot be used on multi-value rules"},
        {"package a\np[x] := 1 if { x } else := 2",
         "ERR 2:20: else keyword cannot be used on rules with variables in head"},
        {"package a\np := 1 if x else := 2 { y }", NULL}, /* OPA accepts a braced else body without `if` */
        {"package a\np if { a } else { b } { c }", "ERR 2:23: expected else keyword"},
        /* imports */
        {"package a\nimport foo.bar", "ERR 2:8: unexpected import path, must begin with one of: {data, "
                                      "future, input, rego}, got: foo (hint: if "
                                      "this is unexpected, try updating OPA)"},
        {"package a\nimport data.x[y]", "ERR 2:15: unexpected var token: expecting string"},
        {"package a\nimport data.foo.if",
         "ERR 2:17: unexpected import path, must not end with a keyword, got: if"},
        {"package a\nimport data.x as 1", "ERR 2:18: unexpected number token: expected var"},
        {"package a\nimport future.foo", "ERR 2:8: invalid import, must be `future.keywords`"},
        {"package a\nimport future.keywords.foo",
         "ERR 2:8: unexpected keyword, must be one of [contains every if in]"},
        {"package a\nimport future.keywords as k", "ERR 2:8: `future` imports cannot be aliased"},
        {"package a\nimport rego.v2", "ERR 2:8: invalid import `rego.v2`, must be `rego.v1`"},
        /* bodies and literals */
        {"package a\np if {\n  x y\n}", "ERR 3:5: unexpected ident token: expected \\n or ; or }"},
        {"package a\np if { }", NULL}, /* `{}` is an empty object literal: valid, as in OPA */
        {"package a\np if {\n}\n", NULL},
        {"package a\np if { x; }", "ERR 2:11: unexpected } token: expected term"},
        {"package a\np := }", "ERR 2:6: unexpected } token: expected term"},
        {"package a\np if not some x in y", "ERR 2:10: unexpected some keyword: illegal negation of 'some'"},
        {"package a\np if not every x in y { x }",
         "ERR 2:10: unexpected every keyword: illegal negation of 'every'"},
        {"package a\np if some 1", "ERR 2:11: unexpected number token: expected var"},
        {"package a\np if some x == y",
         "ERR 2:17: unexpected eof token: expected `x in xs` or `x, y in xs` expression"},
        {"package a\np if every x in y", "ERR 2:18: unexpected eof token: missing body"},
        {"package a\np if every [x] in y { x }",
         "ERR 2:21: unexpected { token: expected value to be a variable"},
        {"package a\np if every 1, x in y { x }",
         "ERR 2:22: unexpected { token: expected key to be a variable"},
        {"package a\np if every x { x }",
         "ERR 2:14: unexpected { token: expected `x[, y] in xs { ... }` expression"},
        {"package a\np if { every x in y {} }", "ERR 2:22: found empty body"},
        {"package a\np if x with 1 as 2", "ERR 2:13: unexpected number token: expected ident"},
        {"package a\np if x with input 2", "ERR 2:19: unexpected number token: expected as keyword"},
        {"package a\np if x with [1] as 2", "ERR 2:13: unexpected [ token: expected ident"},
        /* terms */
        {"package a\nx := [1, 2 3]", "ERR 2:12: unexpected number token: expected \",\" or \"]\""},
        {"package a\nx := f(1 2)", "ERR 2:10: unexpected number token: expected \",\" or \")\""},
        {"package a\nx := {1: 2, 3}", "ERR 2:14: unexpected } token: expected \":\""},
        {"package a\nx := {1: 2 3}", "ERR 2:12: unexpected number token: non-terminated object"},
        {"package a\nx := {1 2}", "ERR 2:9: unexpected number token: non-terminated set"},
        /* errors met again after backtracking (`p if lit` is retried as a
         * literal after the set reading fails) keep their text and position */
        {"package a\np if x := {1 2}", "ERR 2:14: unexpected number token: non-terminated set"},
        {"package a\np if x := [1, 2 3]", "ERR 2:17: unexpected number token: expected \",\" or \"]\""},
        {"package a\np if x := 1e99999", "ERR 2:11: number too big"},
        {"package a\np if x := @", "ERR 2:11: illegal token"},
        {"package a\nx := (1 + 2", "ERR 2:12: non-terminated expression"},
        {"package a\nx := a. b", "ERR 2:8: unexpected whitespace token: expected ident"},
        {"package a\nx := a.1", "ERR 2:7: unexpected number token: expected rule"},
        {"package a\nx := a[1", "ERR 2:9: unexpected eof token: expected ]"},
        {"package a\nx := 1.foo", "ERR 2:6: expected fraction"},
        {"package a\nx := 1[0]", "ERR 2:6: illegal ref (head cannot be number)"},
        {"package a\nx := \"s\"[0]", "ERR 2:6: illegal ref (head cannot be string)"},
        {"package a\nx := 01", "ERR 2:6: unexpected number token: expected number without leading zero"},
        {"package a\nx := 1e99999", "ERR 2:6: number too big"},
        {"package a\nx := 1e30102", NULL},
        /* lexical errors surface at the offending token */
        {"package a\nx := \"abc", "ERR 2:6: non-terminated string"},
        {"package a\nx := \"a\\qb\"", "ERR 2:6: illegal escape sequence"},
        {"package a\nx := 1.", "ERR 2:6: expected fraction"},
        {"package a\nx := 1a", "ERR 2:6: illegal number format"},
        {"package a\nx := @", "ERR 2:6: illegal token"},
        {"package a\nx := !y", "ERR 2:6: illegal ! character"},
        {"package a\nx := $y", "ERR 2:6: illegal $ character"},
        {"package a\n\tx := \"\\uZZZZ\"", "ERR 2:7: illegal string literal: \"\\uZZZZ\""},
        {"package a # \xff", "ERR 1:11: illegal utf-8 character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = mod(cases[i].src);
        if (cases[i].want) {
            CHECK_STR(got, cases[i].want);
        } else if (strncmp(got, "ERR", 3) == 0) {
            CHECK_STR(got, "(a successful parse)");
        } else {
            CHECK(1);
        }
    }
    /* errors in queries and terms */
    CHECK_STR(qry(""), "ERR 1:1: empty query");
    CHECK_STR(qry("x y"), "ERR 1:3: unexpected ident token: expected \\n or ; or eof");
    CHECK_STR(trm("1 2"), "ERR 1:3: unexpected number token: expected end of term");
    CHECK_STR(trm("x = 1"), "ERR 1:3: unexpected eq token: expected end of term");
    CHECK_STR(trm(""), "ERR 1:1: unexpected eof token: expected term");
    /* the file name is reported */
    arena a;
    arena_init_growable(&a, NULL);
    pol_error err;
    memset(&err, 0, sizeof err);
    CHECK(parse_module(&a, "dir/policy.rego", "package a\np {", 13, &err) == NULL);
    CHECK(err.code == POL_PARSE);
    CHECK_STR(err.file, "dir/policy.rego");
    CHECK(err.line == 2 && err.col == 4);
    CHECK(parse_term(&a, NULL, "[", 1, &err) == NULL && err.code == POL_PARSE && err.file[0] == '\0');
    arena_free(&a);
}

/* Positions of nodes: 1-based line, byte column (a tab is one column). */
static void test_positions(void)
{
    arena a;
    arena_init_growable(&a, NULL);
    pol_error err;
    const char *src = "package a\n\np := 1 if {\n\tinput.x == [1]\n} else := 2\n";
    module *m = parse_module(&a, "f.rego", src, strlen(src), &err);
    CHECK(m != NULL);
    if (m) {
        CHECK_STR(m->file, "f.rego");
        CHECK(m->pos.line == 1 && m->pos.col == 1);
        CHECK(m->package->pos.line == 1 && m->package->pos.col == 9);
        const rule *r = m->rules[0];
        CHECK(r->pos.line == 3 && r->pos.col == 1);
        CHECK(r->value->pos.line == 3 && r->value->pos.col == 6);
        const literal *l = r->body->lits[0];
        CHECK(l->pos.line == 4 && l->pos.col == 2);
        const term *call = l->expr->lhs;
        CHECK(call->kind == T_CALL && call->pos.line == 4 && call->pos.col == 2);
        CHECK(call->u.call.args[1]->pos.col == 13);
        CHECK(call->u.call.args[0]->u.ref.items[1]->pos.col == 8);
        CHECK(r->els && r->els->pos.line == 5 && r->els->pos.col == 3);
        CHECK_STR(r->value->pos.file, "f.rego");
    }
    arena_free(&a);
}

/* METADATA blocks as OPA's parser cuts them: the opening comment may sit
 * anywhere; it continues only with comments on the very next lines in
 * column 1, each less one leading space. A `#` inside a string is not a
 * comment. */
static void test_meta_blocks(void)
{
    arena a;
    arena_init_growable(&a, NULL);
    pol_error err;
    const char *src = "# METADATA\n# title: t\n#  indented: 1\n  # not column 1\npackage a\n\n"
                      "p := \"# METADATA\"\n"
                      "  #   METADATA  \n#a: 1\n\n# b: 2\nq := 1 # METADATA\n";
    module *m = parse_module(&a, "f.rego", src, strlen(src), &err);
    CHECK(m != NULL);
    if (m) {
        CHECK(m->nmetas == 3);
        if (m->nmetas == 3) {
            CHECK(m->metas[0].pos.line == 1 && m->metas[0].pos.col == 1);
            CHECK_STR(m->metas[0].yaml, "title: t\n indented: 1\n");
            CHECK(m->metas[1].pos.line == 8 && m->metas[1].pos.col == 3);
            CHECK_STR(m->metas[1].yaml, "a: 1\n");
            CHECK(m->metas[2].pos.line == 12 && m->metas[2].pos.col == 8);
            CHECK(m->metas[2].len == 0);
        }
    }
    arena_free(&a);
}

/* Truncating a policy anywhere, and feeding bytes it was never meant to
 * see, must give a parse or a clean error, never a crash. */
static void test_robustness(void)
{
    static const char policy[] =
        "package x.y\nimport data.lib as l\nimport rego.v1\n\n"
        "default allow := false\n"
        "allow if {\n\tsome i, r in input.roles\n\tr == \"admin\"; not deny[i]\n\tevery k, v in input.m { k "
        "!= v }\n}\n"
        "deny contains msg if { msg := $\"bad {input.user} \\{x}\" }\n"
        "f(x, [_, b]) := {k: v | some k, v in x} if b > -1.5e3 else := set()\n"
        "q[k] := `raw\nstr` if k := [a | a := l.v[_]; a != {1, 2}][0] with input as {\"a\": null}\n";
    size_t n = sizeof policy - 1;
    CHECK(strncmp(mod(policy), "(module", 7) == 0);
    int crashes_avoided = 0;
    for (size_t k = 0; k <= n; k++) {
        char *copy = malloc(k ? k : 1); /* exact size so sanitizers catch over-reads */
        memcpy(copy, policy, k);
        const char *d = run(AS_MODULE, copy, k);
        crashes_avoided += d[0] == '(' || strncmp(d, "ERR ", 4) == 0;
        run(AS_QUERY, copy, k);
        run(AS_TERM, copy, k);
        free(copy);
    }
    CHECK(crashes_avoided == (int)n + 1);
    /* every byte value at every position of a short policy */
    char buf[32];
    const char *base = "package a\np if x[0] == \"s\"";
    size_t bn = strlen(base);
    int ok = 0;
    for (size_t pos = 0; pos < bn; pos++) {
        for (int c = 0; c < 256; c++) {
            memcpy(buf, base, bn);
            buf[pos] = (char)c;
            const char *d = run(AS_MODULE, buf, bn);
            ok += d[0] == '(' || strncmp(d, "ERR ", 4) == 0;
        }
    }
    CHECK(ok == (int)bn * 256);
}

static char *repeat(const char *pre, const char *open, const char *mid, const char *close, const char *post,
                    int n)
{
    size_t cap = strlen(pre) + strlen(mid) + strlen(post) + (strlen(open) + strlen(close)) * (size_t)n + 1;
    char *s = malloc(cap);
    size_t o = 0;
    o += (size_t)sprintf(s + o, "%s", pre);
    for (int i = 0; i < n; i++)
        o += (size_t)sprintf(s + o, "%s", open);
    o += (size_t)sprintf(s + o, "%s", mid);
    for (int i = 0; i < n; i++)
        o += (size_t)sprintf(s + o, "%s", close);
    sprintf(s + o, "%s", post);
    return s;
}

static bool parses(const char *src)
{
    return mod(src)[0] == '(';
}

static bool too_deep(const char *src)
{
    return strstr(mod(src), "max parsing recursion depth exceeded") != NULL;
}

static void test_nesting_limits(void)
{
    static const struct {
        const char *open, *mid, *close;
    } shapes[] = {
        {"[", "1", "]"},        {"{\"k\": ", "1", "}"}, {"(", "1", ")"},           {"-", "x", ""},
        {"a[", "1", "]"},       {"f(", "1", ")"},       {"$\"{", "1", "}\""},      {"[y | y := ", "1", "]"},
        {"{a | ", "b", ", c}"}, {"[a | ", "b", ", c]"}, {"{k: a | ", "b", ", c}"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char *ok = repeat("package a\nx := ", shapes[i].open, shapes[i].mid, shapes[i].close, "\n", 900);
        char *deep = repeat("package a\nx := ", shapes[i].open, shapes[i].mid, shapes[i].close, "\n", 1100);
        char *huge = repeat("package a\nx := ", shapes[i].open, shapes[i].mid, shapes[i].close, "\n", 20000);
        bool invalid = i == 10; /* `{k: a | b, c}` is not an object: `c` has no value */
        if (invalid) {
            /* the innermost `{k: a | b, c}`: "x := " + 900 * "{k: a | " + "b, c", then the `}` */
            char want[128];
            snprintf(want, sizeof want, "ERR 2:%d: unexpected } token: expected \":\"", 5 + 8 * 900 + 4 + 1);
            CHECK_STR(mod(ok), want);
        } else {
            CHECK(parses(ok));
        }
        CHECK(too_deep(deep));
        CHECK(too_deep(huge));
        free(ok);
        free(deep);
        free(huge);
    }
    char *every = repeat("package a\np if {", "every x in y {", "true", "}", "}\n", 900);
    CHECK(parses(every));
    free(every);
    every = repeat("package a\np if {", "every x in y {", "true", "}", "}\n", 20000);
    CHECK(too_deep(every));
    free(every);
    /* long but flat structures are not nesting */
    char *chain = repeat("package a\np := 1 if { a }", " else := 1 if { a }", "", "", "\n", 100000);
    CHECK(parses(chain));
    free(chain);
    /* an operator chain is flat text but a deep tree: it counts as nesting */
    char *sum = repeat("package a\nx := 1", " + 1", "", "", "\n", 900);
    CHECK(parses(sum));
    free(sum);
    sum = repeat("package a\nx := 1", " + 1", "", "", "\n", 100000);
    CHECK(too_deep(sum));
    free(sum);
    sum = repeat("package a\nx := 1", " in 1", "", "", "\n", 100000);
    CHECK(too_deep(sum));
    free(sum);
    /* backtracking stays linear: 2^2000 without memoisation */
    clock_t t0 = clock();
    char *bt = repeat("package a\nx := ", "[a | ", "b", ", c]", "\n", 1000);
    CHECK(too_deep(bt));
    free(bt);
    bt = repeat("package a\nx := ", "[a | ", "b", ", c]", "\n", 500);
    CHECK(parses(bt));
    free(bt);
    CHECK((clock() - t0) / CLOCKS_PER_SEC < 20);
}

/* ---- the conformance suite and the benchmarks ------------------------- */

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    *n = fread(buf, 1, (size_t)len, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static bool parse_one(parse_as as, const val *s, const char *where)
{
    if (!s || s->type != V_STR)
        return false;
    const char *d = run(as, s->u.s, s->len);
    if (strncmp(d, "ERR", 3) == 0) {
        fprintf(stderr, "%s: %s\n", where, d);
        return false;
    }
    return true;
}

static void test_conformance_suite(const char *shared)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/conformance/opa/v1-cases.json", shared);
    size_t n = 0;
    char *json = slurp(path, &n);
    CHECK(json != NULL);
    if (!json)
        return;
    arena a;
    arena_init_growable(&a, NULL);
    json_error jerr;
    const val *files = json_parse(&a, json, n, &jerr);
    CHECK(files && files->type == V_ARR);
    int counts[3] = {0}, ok[3] = {0};
    for (uint32_t f = 0; files && f < files->len; f++) {
        const val *file = files->u.a[f];
        const val *name = val_obj_get_str(file, "file", 4);
        const val *cases = val_obj_get_str(file, "cases", 5);
        for (uint32_t c = 0; cases && c < cases->len; c++) {
            const val *kase = cases->u.a[c];
            char where[512];
            snprintf(where, sizeof where, "%.*s#%u", name ? (int)name->len : 0, name ? name->u.s : "", c);
            const val *mods = val_obj_get_str(kase, "modules", 7);
            for (uint32_t m = 0; mods && m < mods->len; m++) {
                counts[0]++;
                ok[0] += parse_one(AS_MODULE, mods->u.a[m], where);
            }
            counts[1]++;
            ok[1] += parse_one(AS_QUERY, val_obj_get_str(kase, "query", 5), where);
            const val *input_term = val_obj_get_str(kase, "input_term", 10);
            if (input_term) {
                counts[2]++;
                ok[2] += parse_one(AS_TERM, input_term, where);
            }
        }
    }
    printf("conformance suite: %d/%d modules, %d/%d queries, %d/%d input_terms parse\n", ok[0], counts[0],
           ok[1], counts[1], ok[2], counts[2]);
    CHECK(counts[0] == 2465 && ok[0] == counts[0]);
    CHECK(counts[1] == 2067 && ok[1] == counts[1]);
    CHECK(counts[2] == 86 && ok[2] == counts[2]);
    arena_free(&a);
    free(json);

    static const char *const benches[] = {"abac_builtins", "http_api", "k8s_admission", "rbac",
                                          "terraform_plan"};
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++) {
        snprintf(path, sizeof path, "%s/bench/%s/policy.rego", shared, benches[i]);
        char *src = slurp(path, &n);
        CHECK(src != NULL);
        if (!src)
            continue;
        const char *d = run(AS_MODULE, src, n);
        if (strncmp(d, "ERR", 3) == 0)
            fprintf(stderr, "%s: %s\n", path, d);
        CHECK(strncmp(d, "(module", 7) == 0);
        free(src);
    }
}

int main(int argc, char **argv)
{
    test_package_and_imports();
    test_rules();
    test_else();
    test_literals();
    test_terms();
    test_operators();
    test_templates();
    test_errors();
    test_positions();
    test_meta_blocks();
    test_robustness();
    test_nesting_limits();
    if (argc > 1)
        test_conformance_suite(argv[1]);
    return TEST_SUMMARY();
}
