/* Code generation and checking: the bytecode emitted for small policies
 * (each listing was checked instruction by instruction against the
 * semantics it implements, see the comments), the rule index, and the
 * compile-time errors with their OPA codes and positions. */
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "policy.h"

static pol_bundle *build(const char *src, const char *entry, pol_error *err)
{
    pol_compiler *c = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (pol_compiler_add_module(c, "t.rego", src, strlen(src), err) == POL_OK &&
        pol_compiler_add_entrypoint(c, entry, err) == POL_OK)
        b = pol_compiler_build(c, err);
    pol_compiler_free(c);
    return b;
}

/* The listing of the first procedure (the rule itself; the entrypoint
 * wrapper follows it). */
static char *first_proc(pol_bundle *b)
{
    size_t n = pol_bundle_disassemble(b, NULL, 0);
    char *buf = malloc(n + 1);
    pol_bundle_disassemble(b, buf, n + 1);
    char *next = strstr(buf + 1, "\nproc 1 ");
    if (next)
        next[1] = 0;
    return buf;
}

static void check_listing(const char *src, const char *entry, const char *want)
{
    pol_error err;
    pol_bundle *b = build(src, entry, &err);
    CHECK(b != NULL);
    if (!b) {
        fprintf(stderr, "compile: %s\n", err.message);
        return;
    }
    char *got = first_proc(b);
    CHECK_STR(got, want);
    free(got);
    pol_bundle_release(b);
}

static void test_listings(void)
{
    /* A boolean rule: the comparison jumps to the end (6) on failure; the
     * single definition's value is the constant true, so the first success
     * returns at once (5). With no default, 6-8 return undefined. */
    check_listing("package t\nallow if input.role == \"admin\"\n", "data.t.allow",
                  "proc 0 data.t.allow regs=4 slots=0 params=0\n"
                  "    0 INPUT   r1 ->6\n"
                  "    1 DOTK    r2 r1 k0=\"role\" ->6\n"
                  "    2 EQK     r2 k1=\"admin\" ->6\n"
                  "    3 LOADK   r3 k2=true\n"
                  "    4 SETRES  r0 r3 0\n"
                  "    5 RET     r0\n"
                  "    6 JUNDEF  r0 ->8\n"
                  "    7 RET     r0\n"
                  "    8 RET     r0\n");
    /* A partial set: `some u in` is a scan whose NEXT (4) is where every
     * later failure goes (a user without a name skips to the next user),
     * and where the success path loops back (7) after adding the element.
     * The scan is value-only, so the index register r3 is never written. */
    check_listing("package t\nnames contains n if { some u in input.users; n := u.name }\n", "data.t.names",
                  "proc 0 data.t.names regs=6 slots=1 params=0\n"
                  "    0 SETNEW  r0\n"
                  "    1 INPUT   r1 ->8\n"
                  "    2 DOTK    r2 r1 k0=\"users\" ->8\n"
                  "    3 ITER    s0 r2 ->8\n"
                  "    4 NEXT    s0 r2 r3 ->8\n"
                  "    5 DOTK    r5 r4 k1=\"name\" ->4\n"
                  "    6 PUSH    r0 r5\n"
                  "    7 JMP     ->4\n"
                  "    8 FINISH  r0\n"
                  "    9 RET     r0\n");
    /* Negation: every failure inside `not` (0-2) lands on 4, where the
     * body continues; success inside it jumps to the definition's failure
     * exit (7), which falls back to the default value 0. */
    check_listing("package t\ndefault p := 0\np := 1 if not input.x\n", "data.t.p",
                  "proc 0 data.t.p regs=4 slots=0 params=0\n"
                  "    0 INPUT   r1 ->4\n"
                  "    1 DOTK    r2 r1 k0=\"x\" ->4\n"
                  "    2 TRUTHY  r2 ->4\n"
                  "    3 JMP     ->7\n"
                  "    4 LOADK   r3 k1=1\n"
                  "    5 SETRES  r0 r3 0\n"
                  "    6 RET     r0\n"
                  "    7 JUNDEF  r0 ->9\n"
                  "    8 RET     r0\n"
                  "    9 LOADK   r0 k2=0\n"
                  "   10 RET     r0\n");
}

/* Many definitions keyed on input constants get a rule index; few do not. */
static void test_rule_index(void)
{
    char src[4096] = "package t\n";
    const char *methods[] = {"GET", "PUT", "POST", "DELETE"};
    for (int i = 0; i < 12; i++) {
        char line[160];
        snprintf(line, sizeof line, "allow if { input.method == \"%s\"; input.path = [\"r%d\", _] }\n",
                 methods[i % 4], i);
        strcat(src, line);
    }
    pol_error err;
    pol_bundle *b = build(src, "data.t.allow", &err);
    CHECK(b != NULL);
    if (b) {
        char *l = first_proc(b);
        CHECK(strstr(l, " INDEX ") != NULL);
        CHECK(strstr(l, " DISPATCH ") != NULL);
        free(l);
        pol_bundle_release(b);
    }
    b = build("package t\nallow if input.method == \"GET\"\nallow if input.method == \"PUT\"\n",
              "data.t.allow", &err);
    CHECK(b != NULL);
    if (b) {
        char *l = first_proc(b);
        CHECK(strstr(l, " INDEX ") == NULL); /* two definitions: not worth an index */
        free(l);
        pol_bundle_release(b);
    }
}

typedef struct err_case {
    const char *name, *src;
    pol_status code;
    uint32_t line, col;
    const char *msg; /* substring */
} err_case;

/* Positions are OPA's: the unsafe variable's first occurrence, the rule for
 * recursion, the call for function errors, the offending token for parse
 * errors. */
static const err_case errs[] = {
    {"unsafe var", "package t\np if {\n\tx > 1\n}\n", POL_UNSAFE_VAR, 3, 2, "var x is unsafe"},
    {"unsafe in head", "package t\np := y if input.a\n", POL_UNSAFE_VAR, 2, 6, "var y is unsafe"},
    {"recursion", "package t\np if q\nq if p\n", POL_RECURSION, 2, 1,
     "rule data.t.p is recursive: data.t.p -> data.t.q -> data.t.p"},
    {"undefined function", "package t\np := foo(1)\n", POL_TYPE, 2, 6, "undefined function foo"},
    {"arity", "package t\np := count(1, 2, 3)\n", POL_TYPE, 2, 6, "count: arity mismatch"},
    {"conflicting kinds", "package t\np := 1\np contains 2\n", POL_TYPE, 3, 1,
     "conflicting rules data.t.p found"},
    {"two defaults", "package t\ndefault p := 1\ndefault p := 2\n", POL_TYPE, 3, 1,
     "multiple default rules data.t.p"},
    {"parse", "package t\np := [1, 2\n", POL_PARSE, 0, 0, ""},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        const err_case *c = &errs[i];
        pol_error err;
        pol_bundle *b = build(c->src, "data.t.p", &err);
        CHECK(b == NULL);
        if (b) {
            pol_bundle_release(b);
            continue;
        }
        if (err.code != c->code || (c->line && (err.line != c->line || err.col != c->col)) ||
            !strstr(err.message, c->msg))
            fprintf(stderr, "%s: got %s %s:%u:%u %s\n", c->name, pol_status_name(err.code), err.file,
                    err.line, err.col, err.message);
        CHECK(err.code == c->code);
        CHECK(strcmp(err.file, "t.rego") == 0);
        CHECK(!c->line || (err.line == c->line && err.col == c->col));
        CHECK(strstr(err.message, c->msg) != NULL);
    }
}

/* Evaluates `entry` of a one-module policy; the canonical JSON result,
 * "undefined", or the error code's name. */
static void eval_entry(const char *src, const char *entry, char *got, size_t cap)
{
    pol_error err;
    pol_bundle *b = build(src, entry, &err);
    if (!b) {
        snprintf(got, cap, "%s: %s", pol_status_name(err.code), err.message);
        return;
    }
    pol_ctx *ctx = pol_ctx_new(b, NULL, &err);
    pol_result res;
    pol_status st =
        ctx ? pol_eval_json(ctx, pol_bundle_entrypoint(b, entry), "", 0, POL_EVAL_NO_INPUT, &res, &err)
            : err.code;
    if (st == POL_OK)
        pol_value_to_json(res.value, 0, got, cap);
    else
        snprintf(got, cap, "%s", st == POL_UNDEFINED ? "undefined" : pol_status_name(st));
    pol_ctx_free(ctx);
    pol_bundle_release(b);
}

/* Constructs whose compilation used to be wrong, checked by their value. */
static void test_compiled_semantics(void)
{
    char got[1024];
    /* A relation called as a term enumerates its solutions (OPA issue
     * 7656): walk({"a": [1]}) yields [[], x], [["a"], [1]], [["a", 0], 1]. */
    eval_entry("package t\nx := {\"a\": [1]}\np := [path | [path, v] := walk(x)]\n", "data.t.p", got,
               sizeof got);
    CHECK_STR(got, "[[],[\"a\"],[\"a\",0]]");
    eval_entry("package t\np := count([1 | walk([[1], 2])])\n", "data.t.p", got, sizeof got);
    CHECK_STR(got, "4");
    eval_entry("package t\np := {v | [_, v] := walk([[1], 2]); is_number(v)}\n", "data.t.p", got, sizeof got);
    CHECK_STR(got, "[1,2]");
    /* data[k].r.s cannot select data.t.p (key p is not r), so p does not
     * depend on itself (OPA issue 7399)... */
    eval_entry("package t\np := data[k].r.s if k := \"t\"\nr.s := 1\nr.u := 2\n", "data.t.p", got,
               sizeof got);
    CHECK_STR(got, "1");
    eval_entry("package t\np := [k | data[k].r.s == 1]\nr.s := 1\n", "data.t.p", got, sizeof got);
    CHECK_STR(got, "[\"t\"]");
    /* ...but data[k].p can, and that is recursion */
    eval_entry("package t\np := data[k].p if k := \"t\"\n", "data.t.p", got, sizeof got);
    CHECK(strncmp(got, "rego_recursion_error", 20) == 0);
}

/* rego.metadata.chain() / rule(): OPA's annotation objects and scoping
 * (the shapes of OPA's regometadata* conformance cases and its
 * annotations documentation). */
static void test_metadata(void)
{
    char got[2048];
    static const char src[] = "# METADATA\n# description: pkg\npackage t\n\n"
                              "# METADATA\n# scope: document\n# title: doc\n\n"
                              "# METADATA\n# title: mine\n# authors:\n# - Jane Roe <jane@x.org>\n"
                              "# - name: Bob\n# custom:\n#   level: 2\n"
                              "p := rego.metadata.chain()\n\n"
                              "p := 1 if false\n\n"
                              "r := rego.metadata.rule()\n"
                              "s if rego.metadata.rule(x)\n";
    eval_entry(src, "data.t.p", got, sizeof got);
    CHECK_STR(got, "[{\"annotations\":{\"authors\":[{\"email\":\"jane@x.org\",\"name\":\"Jane Roe\"},"
                   "{\"name\":\"Bob\"}],\"custom\":{\"level\":2},\"scope\":\"rule\",\"title\":\"mine\"},"
                   "\"path\":[\"t\",\"p\"]},"
                   "{\"annotations\":{\"scope\":\"document\",\"title\":\"doc\"},\"path\":[\"t\",\"p\"]},"
                   "{\"annotations\":{\"description\":\"pkg\",\"scope\":\"package\"},\"path\":[\"t\"]}]");
    eval_entry(src, "data.t.r", got, sizeof got);
    CHECK_STR(got, "{}"); /* no rule-scope block above r */
    eval_entry(src, "data.t.s", got, sizeof got);
    CHECK_STR(got, "true"); /* the output form binds x */
    /* a rule with nothing declared still leads its chain with its path */
    eval_entry("package a.b\nx.y[z] := rego.metadata.chain() if z := 1\n", "data.a.b.x", got, sizeof got);
    CHECK_STR(got, "{\"y\":{\"1\":[{\"path\":[\"a\",\"b\",\"x\",\"y\"]}]}}");
    /* blocks whose scope does not fit what follows them are parse errors */
    eval_entry("# METADATA\n# scope: rule\npackage t\np := 1\n", "data.t.p", got, sizeof got);
    CHECK_STR(got, "rego_parse_error: annotation scope 'rule' must be applied to rule (have package)");
    eval_entry("package t\n# METADATA\n# scope: subpackages\np := 1\n", "data.t.p", got, sizeof got);
    CHECK_STR(got, "rego_parse_error: annotation scope 'subpackages' must be applied to package (have rule)");
    eval_entry("package t\n# METADATA\n\np := 1\n", "data.t.p", got, sizeof got);
    CHECK_STR(got, "rego_parse_error: expected METADATA block, found whitespace");
}

/* test.sleep exists only with POL_COMPILE_TEST_BUILTINS, as OPA knows it
 * only inside its own test runner. */
static void test_test_builtins(void)
{
    static const char src[] = "package t\np if test.sleep(\"1ns\")\n";
    for (int enabled = 0; enabled < 2; enabled++) {
        pol_error err;
        pol_compiler *c = pol_compiler_new(NULL);
        pol_compiler_set_flags(c, enabled ? POL_COMPILE_TEST_BUILTINS : 0u);
        pol_bundle *b = NULL;
        if (pol_compiler_add_module(c, "t.rego", src, strlen(src), &err) == POL_OK &&
            pol_compiler_add_entrypoint(c, "data.t.p", &err) == POL_OK)
            b = pol_compiler_build(c, &err);
        pol_compiler_free(c);
        CHECK((b != NULL) == (enabled == 1));
        if (!b) {
            CHECK(err.code == POL_TYPE);
            CHECK_STR(err.message, "undefined function test.sleep");
            continue;
        }
        pol_ctx *ctx = pol_ctx_new(b, NULL, &err);
        pol_result res;
        CHECK(pol_eval_json(ctx, pol_bundle_entrypoint(b, "data.t.p"), "", 0, POL_EVAL_NO_INPUT, &res,
                            &err) == POL_OK);
        pol_ctx_free(ctx);
        pol_bundle_release(b);
    }
}

int main(void)
{
    test_listings();
    test_rule_index();
    test_errors();
    test_compiled_semantics();
    test_test_builtins();
    test_metadata();
    return TEST_SUMMARY();
}
