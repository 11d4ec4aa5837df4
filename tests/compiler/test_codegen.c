/* Code generation and checking: the bytecode emitted for small policies
 * (each listing was checked instruction by instruction against the
 * semantics it implements, see the comments), the rule index, and the
 * compile-time errors with their OPA codes and positions. */
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "policy.h"

/* Compiles module t.rego with base data (JSON text, or none when NULL). */
static pol_bundle *build_with_data(const char *src, const char *data, const char *entry, pol_error *err)
{
    pol_compiler *c = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (pol_compiler_add_module(c, "t.rego", src, strlen(src), err) == POL_OK &&
        (!data || pol_compiler_add_data_json(c, NULL, "data.json", data, strlen(data), err) == POL_OK) &&
        pol_compiler_add_entrypoint(c, entry, err) == POL_OK)
        b = pol_compiler_build(c, err);
    pol_compiler_free(c);
    return b;
}

static pol_bundle *build(const char *src, const char *entry, pol_error *err)
{
    return build_with_data(src, NULL, entry, err);
}

/* The whole listing of b (malloc'd), or NULL. */
static char *listing_of(pol_bundle *b)
{
    size_t n = pol_bundle_disassemble(b, NULL, 0);
    char *buf = malloc(n + 1);
    if (buf)
        pol_bundle_disassemble(b, buf, n + 1);
    return buf;
}

/* The listing of the first procedure (the rule itself; the entrypoint
 * wrapper follows it). */
static char *first_proc(pol_bundle *b)
{
    char *buf = listing_of(b);
    char *next = buf ? strstr(buf + 1, "\nproc 1 ") : NULL;
    if (next)
        next[1] = 0;
    return buf;
}

/* The listing of the procedure named `name` (its "proc" line through the
 * line before the next procedure's), or NULL. */
static char *proc_named(pol_bundle *b, const char *name)
{
    char *buf = listing_of(b);
    if (!buf)
        return NULL;
    char want[128];
    snprintf(want, sizeof want, " %s regs=", name);
    char *at = strstr(buf, want);
    char *start = at;
    while (start && start > buf && start[-1] != '\n')
        start--;
    char *out = NULL;
    if (start) {
        char *end = strstr(at, "\nproc ");
        size_t len = end ? (size_t)(end + 1 - start) : strlen(start);
        out = malloc(len + 1);
        if (out) {
            memcpy(out, start, len);
            out[len] = 0;
        }
    }
    free(buf);
    return out;
}

/* Fails when the entrypoint's procedure of src holds a JDEF: nothing in
 * it was hoisted. */
static void check_not_hoisted(const char *src, const char *entry)
{
    pol_error err;
    pol_bundle *b = build(src, entry, &err);
    CHECK(b != NULL);
    if (!b)
        return;
    char *l = proc_named(b, entry);
    CHECK(l && strstr(l, " JDEF ") == NULL);
    if (l && strstr(l, " JDEF "))
        fprintf(stderr, "hoisted: %s\n%s", src, l);
    free(l);
    pol_bundle_release(b);
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
    /* A boolean rule: the input read and the comparison jump to the end
     * (4) on failure; the single definition's value is the constant true,
     * so the first success returns it at once (3: nothing else writes the
     * result register r0, so its SETRES and RET are one RET). With no
     * default, 4-6 return undefined. */
    check_listing("package t\nallow if input.role == \"admin\"\n", "data.t.allow",
                  "proc 0 data.t.allow regs=4 slots=0 params=0\n"
                  "    0 INPUTK  r2 k0=\"role\" ->4\n"
                  "    1 EQK     r2 k1=\"admin\" ->4\n"
                  "    2 LOADK   r3 k2=true\n"
                  "    3 RET     r3\n"
                  "    4 JUNDEF  r0 ->6\n"
                  "    5 RET     r0\n"
                  "    6 RET     r0\n");
    /* A partial set: `some u in` is a scan whose NEXT (3) is where every
     * later failure goes (a user without a name skips to the next user),
     * and where the success path loops back (6) after adding the element.
     * The scan is value-only, so the index register r3 is never written. */
    check_listing("package t\nnames contains n if { some u in input.users; n := u.name }\n", "data.t.names",
                  "proc 0 data.t.names regs=6 slots=1 params=0\n"
                  "    0 SETNEW  r0\n"
                  "    1 INPUTK  r2 k0=\"users\" ->7\n"
                  "    2 ITER    s0 r2 ->7\n"
                  "    3 NEXT    s0 r2 r3 ->7\n"
                  "    4 DOTK    r5 r4 k1=\"name\" ->3\n"
                  "    5 PUSH    r0 r5\n"
                  "    6 JMP     ->3\n"
                  "    7 FINISH  r0\n"
                  "    8 RET     r0\n");
    /* Negation: every failure inside `not` (0-1) lands on 3, where the
     * body continues; success inside it jumps to the definition's failure
     * exit (6), which falls back to the default value 0. */
    check_listing("package t\ndefault p := 0\np := 1 if not input.x\n", "data.t.p",
                  "proc 0 data.t.p regs=4 slots=0 params=0\n"
                  "    0 INPUTK  r2 k0=\"x\" ->3\n"
                  "    1 TRUTHY  r2 ->3\n"
                  "    2 JMP     ->6\n"
                  "    3 LOADK   r3 k1=1\n"
                  "    4 SETRES  r0 r3 0\n"
                  "    5 RET     r0\n"
                  "    6 JUNDEF  r0 ->8\n"
                  "    7 RET     r0\n"
                  "    8 LOADK   r0 k2=0\n"
                  "    9 RET     r0\n");
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

/* The index groups tests by value and by path as Rego compares them: 1 and
 * 1.0 are one value, and input.p[0] is the path that `input.p = [x, _]`
 * tests at position 0. Each candidate set below is what the bodies
 * themselves select (OPA evaluates every body; the index may only prune). */
/* Evaluates entry of b (and releases b): the result as JSON, "undefined" or an error code name. */
static void eval_bundle(pol_bundle *b, const char *entry, const char *input, char *got, size_t cap);

static void test_rule_index_keys(void)
{
    const char *src = "package t\n"
                      "s contains \"a\" if input.p[0] == 1\n"
                      "s contains \"b\" if input.p = [1.0, _]\n"
                      "s contains \"c\" if input.p[0] == 2\n"
                      "s contains \"d\" if input.p = [2, \"x\"]\n"
                      "s contains \"e\" if input.p[1] == \"x\"\n"
                      "s contains \"f\" if { input.m == \"GET\"; input.p[0] == 10e-1 }\n"
                      "s contains \"g\" if input.m == \"PUT\"\n"
                      "s contains \"h\" if input.q == 1\n"
                      "s contains \"i\" if input.p = [3, _]\n";
    static const struct {
        const char *input, *want;
    } cases[] = {
        {"{\"p\": [1, \"y\"]}", "[\"a\",\"b\"]"},
        {"{\"p\": [1.0, \"x\"], \"m\": \"GET\"}", "[\"a\",\"b\",\"e\",\"f\"]"},
        {"{\"p\": [2, \"x\"], \"m\": \"PUT\", \"q\": 1}", "[\"c\",\"d\",\"e\",\"g\",\"h\"]"},
        {"{\"p\": [3, 4]}", "[\"i\"]"},
        {"{\"p\": [4]}", "[]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pol_error err;
        pol_bundle *b = build(src, "data.t.s", &err);
        CHECK(b != NULL);
        if (!b)
            return;
        char *l = first_proc(b);
        CHECK(strstr(l, " INDEX ") != NULL);
        free(l);
        char got[256];
        eval_bundle(b, "data.t.s", cases[i].input, got, sizeof got);
        CHECK_STR(got, cases[i].want);
    }
}

/* Calls of deterministic builtins on constants are evaluated at compile
 * time; anything whose value the run time must decide keeps its CALL. */
/* An object literal with distinct literal keys: the values are computed in
 * source order ("b" first, into r7), each into its key's sorted place in
 * the block ("a" r6, "b" r7, "c" r8), and the keys are one constant that
 * MKOBJK makes the object's own. */
static void test_object_literal_order(void)
{
    check_listing("package t\np := {\"b\": input.b, \"a\": input.a, \"c\": 1}\n", "data.t.p",
                  "proc 0 data.t.p regs=10 slots=0 params=0\n"
                  "    0 INPUTK  r7 k0=\"b\" ->5\n"
                  "    1 INPUTK  r6 k1=\"a\" ->5\n"
                  "    2 LOADK   r8 k2=1\n"
                  "    3 MKOBJK  r9 r6 3 k3=[\"a\", \"b\", \"c\"]\n"
                  "    4 RET     r9\n"
                  "    5 JUNDEF  r0 ->7\n"
                  "    6 RET     r0\n"
                  "    7 RET     r0\n");
    /* equal keys keep source order: the run time's last-wins rule decides */
    const char *dup = "package t\np := {\"b\": 1, \"a\": input.a, \"b\": 2}\n";
    pol_error err;
    pol_bundle *b = build(dup, "data.t.p", &err);
    CHECK(b != NULL);
    if (b) {
        char *got = first_proc(b);
        CHECK(strstr(got, "LOADK   r8 k0=\"b\"") && strstr(got, "LOADK   r10 k2=\"a\"") &&
              strstr(got, "LOADK   r12 k0=\"b\""));
        free(got);
        pol_bundle_release(b);
    }
}

/* Superinstructions: a rule read whose value is only indexed once reads
 * the field in the same instruction (RULEK, here the RULEM of an inlined
 * t.s with the key k1), and so does a read of input (INPUTK); a builtin
 * call whose result is only tested is one CALLT (t.q), and the scan's
 * value lands in its argument block (NEXT's value register r6, with no
 * MOVE: a value-only scan writes nothing at r5); a jump to the
 * return sequence returns at once (every listing's RET at the end of a
 * body). When the rule's value is read again (the MOVE at 7 in t.v), the
 * read and the DOTK stay apart. */
static void test_superinstructions(void)
{
    const char *src = "package t\ns := input.subject\np if s.role == \"admin\"\n"
                      "q if { some g in input.groups; startswith(g, \"ad\") }\n"
                      "v := [y, x] if { x := s; y := x.a }\n";
    check_listing(src, "data.t.p",
                  "proc 0 data.t.s regs=3 slots=0 params=0\n"
                  "    0 INPUTK  r2 k0=\"subject\" ->2\n"
                  "    1 RET     r2\n"
                  "    2 JUNDEF  r0 ->4\n"
                  "    3 RET     r0\n"
                  "    4 RET     r0\n");
    static const struct {
        const char *entry, *want, *absent;
    } cases[] = {
        {"data.t.p",
         "proc 1 data.t.p regs=7 slots=0 params=0\n"
         "    0 RULEM   r2 p0(data.t.s) k1=\"role\" ->9 (inlined: 5 after)\n",
         NULL},
        {"data.t.q",
         "    2 NEXT    s0 r2 r5 ->7\n"
         "    3 LOADK   r7 k5=\"ad\"\n"
         "    4 CALLT   r8 startswith r6 ->2\n"
         "    5 LOADK   r9 k3=true\n",
         "TRUTHY"},
        {"data.t.v",
         "    0 RULEM   r1 p0(data.t.s) k- ->10 (inlined: 5 after)\n"
         "    1 INPUTK  r8 k0=\"subject\" ->3\n"
         "    2 RULEPUT r8 @0\n"
         "    3 JUNDEF  r6 ->5\n"
         "    4 RULEPUT r6 @0\n"
         "    5 RULEPUT r6 @0\n"
         "    6 DOTK    r3 r1 k6=\"a\" ->10\n"
         "    7 MOVE    r4 r1\n",
         NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pol_error err;
        pol_bundle *b = build(src, cases[i].entry, &err);
        CHECK(b != NULL);
        if (!b)
            continue;
        size_t n = pol_bundle_disassemble(b, NULL, 0);
        char *all = malloc(n + 1);
        pol_bundle_disassemble(b, all, n + 1);
        CHECK(strstr(all, cases[i].want) != NULL);
        CHECK(!cases[i].absent || strstr(all, cases[i].absent) == NULL);
        free(all);
        pol_bundle_release(b);
    }
}

static void test_folding(void)
{
    /* count([1, 2]) + 1 folds inside out to the single constant 3 */
    check_listing("package t\nx := count([1, 2]) + 1\n", "data.t.x",
                  "proc 0 data.t.x regs=2 slots=0 params=0\n"
                  "    0 LOADK   r1 k0=3\n"
                  "    1 RET     r1\n"
                  "    2 JUNDEF  r0 ->4\n"
                  "    3 RET     r0\n"
                  "    4 RET     r0\n");
    /* collections holding folded calls are constants too */
    check_listing("package t\ny := {\"a\": lower(\"X\"), \"b\": [1 + 1, 3]}\n", "data.t.y",
                  "proc 0 data.t.y regs=2 slots=0 params=0\n"
                  "    0 LOADK   r1 k0={\"a\": \"x\", \"b\": [2, 3]}\n"
                  "    1 RET     r1\n"
                  "    2 JUNDEF  r0 ->4\n"
                  "    3 RET     r0\n"
                  "    4 RET     r0\n");
    /* 1 / 0 fails: the call stays, so evaluation reports it as before
     * (undefined, or eval_builtin_error when strict) */
    check_listing("package t\nz := 1 / 0\n", "data.t.z",
                  "proc 0 data.t.z regs=6 slots=0 params=0\n"
                  "    0 LOADK   r3 k0=1\n"
                  "    1 LOADK   r4 k1=0\n"
                  "    2 CALL    r5 div r3 ->4\n"
                  "    3 RET     r5\n"
                  "    4 JUNDEF  r0 ->6\n"
                  "    5 RET     r0\n"
                  "    6 RET     r0\n");
    /* a `with` elsewhere replaces count, which then reaches n too: no fold */
    check_listing("package t\nn := count([1, 2])\np := x if x := n with count as 0\n", "data.t.n",
                  "proc 0 data.t.n regs=4 slots=0 params=0\n"
                  "    0 LOADK   r2 k0=[1, 2]\n"
                  "    1 CALL    r3 count r2 ->3\n"
                  "    2 RET     r3\n"
                  "    3 JUNDEF  r0 ->5\n"
                  "    4 RET     r0\n"
                  "    5 RET     r0\n");
    /* Operands are computed straight into the argument block: upper's
     * result lands in r7, the array's third element, with no MOVE; x (r2)
     * is read again after each copy, so its two MOVEs stay. */
    check_listing("package t\np := [x, x, upper(x)] if x := input.a\n", "data.t.p",
                  "proc 0 data.t.p regs=9 slots=0 params=0\n"
                  "    0 INPUTK  r2 k0=\"a\" ->7\n"
                  "    1 MOVE    r3 r2\n"
                  "    2 CALL    r7 upper r3 ->7\n"
                  "    3 MOVE    r5 r2\n"
                  "    4 MOVE    r6 r2\n"
                  "    5 MKARR   r8 r5 3\n"
                  "    6 RET     r8\n"
                  "    7 JUNDEF  r0 ->9\n"
                  "    8 RET     r0\n"
                  "    9 RET     r0\n");
    /* non-deterministic (the clock) and environment-dependent (time zones,
     * regex limits) builtins are never folded */
    const char *kept[][2] = {
        {"package t\nt := time.now_ns()\n", " CALL    r1 time.now_ns "},
        {"package t\nt := time.clock([0, \"UTC\"])\n", " CALL    r3 time.clock "},
        {"package t\nt := regex.match(\"a+\", \"aaa\")\n", " CALL    r5 regex.match "},
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        pol_error err;
        pol_bundle *b = build(kept[i][0], "data.t.t", &err);
        CHECK(b != NULL);
        if (!b)
            continue;
        char *l = first_proc(b);
        if (!strstr(l, kept[i][1]))
            fprintf(stderr, "not kept: %s\n%s", kept[i][0], l);
        CHECK(strstr(l, kept[i][1]) != NULL);
        free(l);
        pol_bundle_release(b);
    }
}

/* A comprehension in a loop that does not depend on the loop is computed
 * on first use and kept in a register (JDEF skips it afterwards); the
 * register is cleared where the comprehension's inputs last change. */
static void test_hoisting(void)
{
    /* depends on u only: cleared (2) after u is bound (1), before the scan
     * over xs; the first iteration computes it (7-15), later ones jump
     * from 6 to 16 */
    check_listing("package t\nq contains v if {\n\tu := input.u\n\tsome v in input.xs\n"
                  "\tv in {w | some w in data.allowed[u]}\n}\n",
                  "data.t.q",
                  "proc 0 data.t.q regs=16 slots=2 params=0\n"
                  "    0 SETNEW  r0\n"
                  "    1 INPUTK  r2 k0=\"u\" ->21\n"
                  "    2 CLEAR   r12\n"
                  "    3 INPUTK  r4 k1=\"xs\" ->21\n"
                  "    4 ITER    s0 r4 ->21\n"
                  "    5 NEXT    s0 r4 r5 ->21\n"
                  "    6 JDEF    r12 ->16\n"
                  "    7 SETNEW  r7\n"
                  "    8 DATA    r8 k2=[\"allowed\"] k- ->14\n"
                  "    9 DOT     r9 r8 r2 ->14\n"
                  "   10 ITER    s1 r9 ->14\n"
                  "   11 NEXT    s1 r9 r10 ->14\n"
                  "   12 PUSH    r7 r11\n"
                  "   13 JMP     ->11\n"
                  "   14 FINISH  r7\n"
                  "   15 MOVE    r12 r7\n"
                  "   16 MOVE    r13 r6\n"
                  "   17 MOVE    r14 r12\n"
                  "   18 CALLT   r15 internal.member_2 r13 ->5\n"
                  "   19 PUSH    r0 r6\n"
                  "   20 JMP     ->5\n"
                  "   21 FINISH  r0\n"
                  "   22 RET     r0\n");
    /* depends on the outer loop's a, not the inner loop's b: cleared once
     * per a (4, right after NEXT 3 binds a), reused across b */
    check_listing("package t\np contains [a, n] if {\n\tsome a in input.as\n\tsome b in input.bs\n"
                  "\tn := count({x | some x in input.xs; x > a})\n}\n",
                  "data.t.p",
                  "proc 0 data.t.p regs=20 slots=3 params=0\n"
                  "    0 SETNEW  r0\n"
                  "    1 INPUTK  r2 k0=\"as\" ->24\n"
                  "    2 ITER    s0 r2 ->24\n"
                  "    3 NEXT    s0 r2 r3 ->24\n"
                  "    4 CLEAR   r14\n"
                  "    5 INPUTK  r6 k1=\"bs\" ->3\n"
                  "    6 ITER    s1 r6 ->3\n"
                  "    7 NEXT    s1 r6 r7 ->3\n"
                  "    8 JDEF    r14 ->18\n"
                  "    9 SETNEW  r9\n"
                  "   10 INPUTK  r11 k2=\"xs\" ->16\n"
                  "   11 ITER    s2 r11 ->16\n"
                  "   12 NEXT    s2 r11 r12 ->16\n"
                  "   13 GT      r13 r4 ->12\n"
                  "   14 PUSH    r9 r13\n"
                  "   15 JMP     ->12\n"
                  "   16 FINISH  r9\n"
                  "   17 MOVE    r14 r9\n"
                  "   18 MOVE    r15 r14\n"
                  "   19 CALL    r18 count r15 ->7\n"
                  "   20 MOVE    r17 r4\n"
                  "   21 MKARR   r19 r17 2\n"
                  "   22 PUSH    r0 r19\n"
                  "   23 JMP     ->7\n"
                  "   24 FINISH  r0\n"
                  "   25 RET     r0\n");
    /* in an every body: cleared where the body starts (0), computed by the
     * first y of the first x (8-14), reused by every later one; 1 / 0 runs
     * (and, when strict, fails) only if the loops reach it, as before */
    check_listing("package t\ne if {\n\tsome x in input.es\n\tevery y in input.ys { count([z | z := 1 / 0]) "
                  "== y }\n}\n",
                  "data.t.e",
                  "proc 0 data.t.e regs=19 slots=2 params=0\n"
                  "    0 CLEAR   r15\n"
                  "    1 INPUTK  r2 k0=\"es\" ->22\n"
                  "    2 ITER    s0 r2 ->22\n"
                  "    3 NEXT    s0 r2 r3 ->22\n"
                  "    4 INPUTK  r6 k1=\"ys\" ->3\n"
                  "    5 ITER    s1 r6 ->3\n"
                  "    6 NEXT    s1 r6 r7 ->20\n"
                  "    7 JDEF    r15 ->15\n"
                  "    8 ARRNEW  r9\n"
                  "    9 LOADK   r12 k2=1\n"
                  "   10 LOADK   r13 k3=0\n"
                  "   11 CALL    r14 div r12 ->13\n"
                  "   12 PUSH    r9 r14\n"
                  "   13 FINISH  r9\n"
                  "   14 MOVE    r15 r9\n"
                  "   15 MOVE    r16 r15\n"
                  "   16 CALL    r17 count r16 ->19\n"
                  "   17 EQ      r17 r8 ->19\n"
                  "   18 JMP     ->6\n"
                  "   19 JMP     ->3\n"
                  "   20 LOADK   r18 k4=true\n"
                  "   21 RET     r18\n"
                  "   22 JUNDEF  r0 ->24\n"
                  "   23 RET     r0\n"
                  "   24 RET     r0\n");
    /* nested: both are invariant; the inner one, generated first, clears
     * r14 at the body start (2), the outer one then puts its own CLEAR
     * (1) and JDEF (6) around code that has moved by one */
    check_listing("package t\np contains x if {\n\tsome x in input.xs\n"
                  "\tx in {y | some y in input.ys; y in {z | some z in data.zs}}\n}\n",
                  "data.t.p",
                  "proc 0 data.t.p regs=22 slots=3 params=0\n"
                  "    0 SETNEW  r0\n"
                  "    1 CLEAR   r18\n"
                  "    2 CLEAR   r14\n"
                  "    3 INPUTK  r2 k0=\"xs\" ->32\n"
                  "    4 ITER    s0 r2 ->32\n"
                  "    5 NEXT    s0 r2 r3 ->32\n"
                  "    6 JDEF    r18 ->27\n"
                  "    7 SETNEW  r5\n"
                  "    8 INPUTK  r7 k1=\"ys\" ->25\n"
                  "    9 ITER    s1 r7 ->25\n"
                  "   10 NEXT    s1 r7 r8 ->25\n"
                  "   11 JDEF    r14 ->20\n"
                  "   12 SETNEW  r10\n"
                  "   13 DATA    r11 k2=[\"zs\"] k- ->18\n"
                  "   14 ITER    s2 r11 ->18\n"
                  "   15 NEXT    s2 r11 r12 ->18\n"
                  "   16 PUSH    r10 r13\n"
                  "   17 JMP     ->15\n"
                  "   18 FINISH  r10\n"
                  "   19 MOVE    r14 r10\n"
                  "   20 MOVE    r15 r9\n"
                  "   21 MOVE    r16 r14\n"
                  "   22 CALLT   r17 internal.member_2 r15 ->10\n"
                  "   23 PUSH    r5 r9\n"
                  "   24 JMP     ->10\n"
                  "   25 FINISH  r5\n"
                  "   26 MOVE    r18 r5\n"
                  "   27 MOVE    r19 r4\n"
                  "   28 MOVE    r20 r18\n"
                  "   29 CALLT   r21 internal.member_2 r19 ->5\n"
                  "   30 PUSH    r0 r4\n"
                  "   31 JMP     ->5\n"
                  "   32 FINISH  r0\n"
                  "   33 RET     r0\n");
    /* not hoisted: it depends on the loop's v; a with-modifier inside the
     * loop may change what it reads; it calls a non-deterministic builtin */
    const char *kept[] = {
        "package t\nr contains v if {\n\tsome v in input.xs\n\tcount([w | some w in input.xs; w > v]) > "
        "0\n}\n",
        "package t\nr contains y if {\n\tsome x in input.xs\n\ty := [a | a := input.q] with input.q as "
        "x\n}\n",
        "package t\nr contains v if {\n\tsome v in input.xs\n\tcount([t | t := time.now_ns()]) > v\n}\n",
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        check_not_hoisted(kept[i], "data.t.r");
}

/* Rule reads in loops (gen_ref_hoisted): a read of a rule's field that
 * every iteration reaches is kept in a register of its own, cleared where
 * the body starts (0), read by the first iteration (5-11; the RULEM's
 * inlined copy is 6-10) and skipped by later ones (JDEF 4). The value-only
 * NEXT writes the call's first operand r7 (its c, r6, is the kept
 * register, which it leaves alone). */
static void test_rule_read_hoisting(void)
{
    const char *src = "package t\ns := input.s\np if {\n\tsome c in [\"10.0.0.0/8\", \"192.168.0.0/16\"]\n"
                      "\tnet.cidr_contains(c, s.ip)\n}\n";
    pol_error err;
    pol_bundle *b = build(src, "data.t.p", &err);
    CHECK(b != NULL);
    char *l = b ? proc_named(b, "data.t.p") : NULL;
    CHECK_STR(l ? l : "", "proc 1 data.t.p regs=14 slots=1 params=0\n"
                          "    0 CLEAR   r6\n"
                          "    1 LOADK   r1 k1=[\"10.0.0.0/8\", \"192.168.0.0/16\"]\n"
                          "    2 ITER    s0 r1 ->16\n"
                          "    3 NEXT    s0 r1 r6 ->16\n"
                          "    4 JDEF    r6 ->12\n"
                          "    5 RULEM   r5 p0(data.t.s) k2=\"ip\" ->3 (inlined: 5 after)\n"
                          "    6 INPUTK  r13 k0=\"s\" ->8\n"
                          "    7 RULEPUT r13 @5\n"
                          "    8 JUNDEF  r11 ->10\n"
                          "    9 RULEPUT r11 @5\n"
                          "   10 RULEPUT r11 @5\n"
                          "   11 MOVE    r6 r5\n"
                          "   12 MOVE    r8 r6\n"
                          "   13 CALLT   r9 net.cidr_contains r7 ->3\n"
                          "   14 LOADK   r10 k3=true\n"
                          "   15 RET     r10\n"
                          "   16 JUNDEF  r0 ->18\n"
                          "   17 RET     r0\n"
                          "   18 RET     r0\n");
    free(l);
    if (b)
        pol_bundle_release(b);
    /* not hoisted: a test before it may fail the iteration (the read may
     * run once); a key that is a variable; no loop; a with-modifier */
    const char *kept[] = {
        "package t\ns := input.s\np contains c if {\n\tsome c in input.cs\n\tc > 1\n\tc == s.v\n}\n",
        "package t\ns := input.s\np contains c if {\n\tsome c in input.cs\n\ts[c] == 1\n}\n",
        "package t\ns := input.s\np if {\n\tstartswith(s.name, \"a\")\n}\n",
        "package t\ns := input.s\np contains y if {\n\tsome x in input.xs\n\ty := s.v with input.s as x\n}\n",
    };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        check_not_hoisted(kept[i], "data.t.p");
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

/* Evaluates `entry` of bundle b (then released) with the JSON text input,
 * or no input when NULL; the canonical JSON result, "undefined", or the
 * error code's name. */
static void eval_bundle(pol_bundle *b, const char *entry, const char *input, char *got, size_t cap)
{
    pol_error err;
    pol_ctx *ctx = pol_ctx_new(b, NULL, &err);
    pol_result res;
    pol_status st = ctx ? pol_eval_json(ctx, pol_bundle_entrypoint(b, entry), input ? input : "",
                                        input ? strlen(input) : 0, input ? 0 : POL_EVAL_NO_INPUT, &res, &err)
                        : err.code;
    if (st == POL_OK)
        pol_value_to_json(res.value, 0, got, cap);
    else
        snprintf(got, cap, "%s", st == POL_UNDEFINED ? "undefined" : pol_status_name(st));
    pol_ctx_free(ctx);
    pol_bundle_release(b);
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
    eval_bundle(b, entry, NULL, got, cap);
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

/* A rule that only names base data is read as that data where it is used
 * (`cfg.limit` becomes data.config.limit, one precomputed DATA), unless a
 * `with` could replace the rule or the data, or rules live under the
 * path. Each case checks the listing and the value against the plain rule
 * semantics. */
static const char alias_data[] = "{\"config\": {\"limit\": 5, \"names\": {\"a\": 1}}}";

static void eval_with_data(const char *src, const char *entry, const char *input, char *got, size_t cap,
                           bool *uses_rule)
{
    pol_error err;
    pol_bundle *b = build_with_data(src, alias_data, entry, &err);
    if (!b) {
        snprintf(got, cap, "%s: %s", pol_status_name(err.code), err.message);
        return;
    }
    size_t n = pol_bundle_disassemble(b, NULL, 0);
    char *listing = malloc(n + 1);
    pol_bundle_disassemble(b, listing, n + 1);
    *uses_rule = strstr(listing, "(data.t.cfg)") != NULL;
    free(listing);
    eval_bundle(b, entry, input, got, cap);
}

static uint32_t count_of(const char *hay, const char *needle);

/* A small rule read at many sites of one reader is inlined at the first
 * eight (only the first read runs a copy); the rest stay RULEK reads of
 * its memo, and every site reads the same value. */
static void test_inline_site_limit(void)
{
    const char *src = "package t\ns := input.s\n"
                      "p := [s.a, s.b, s.c, s.d, s.e, s.f, s.g, s.h, s.i, s.j, s.k, s.l]\n";
    pol_error err;
    pol_bundle *b = build(src, "data.t.p", &err);
    CHECK(b != NULL);
    if (!b)
        return;
    char *p = proc_named(b, "data.t.p");
    CHECK(p != NULL);
    CHECK(p && count_of(p, " RULEM ") == 8 && count_of(p, " RULEK ") == 4);
    free(p);
    char got[128];
    eval_bundle(b, "data.t.p",
                "{\"s\": {\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4, \"e\": 5, \"f\": 6, \"g\": 7, \"h\": 8, "
                "\"i\": 9, \"j\": 10, \"k\": 11, \"l\": 12}}",
                got, sizeof got);
    CHECK_STR(got, "[1,2,3,4,5,6,7,8,9,10,11,12]"); /* eval_bundle released b */
}

/* A read of base data whose value the compiler knows is a LOADK when no
 * `with data…` appears anywhere in the program (nothing can replace the
 * base document then); with one anywhere, every such read stays a DATA,
 * which sees the replacement. */
static void test_data_reads(void)
{
    const char *plain = "package t\np := data.config.limit\n";
    pol_error err;
    pol_bundle *b = build_with_data(plain, alias_data, "data.t.p", &err);
    CHECK(b != NULL);
    if (b) {
        char *l = first_proc(b);
        CHECK(l && strstr(l, " LOADK ") && strstr(l, "=5\n") && !strstr(l, " DATA "));
        free(l);
        char got[64];
        eval_bundle(b, "data.t.p", "{}", got, sizeof got); /* releases b */
        CHECK_STR(got, "5");
    }
    const char *replaced =
        "package t\np := data.config.limit\nq := x if x := p with data.config as {\"limit\": 9}\n";
    b = build_with_data(replaced, alias_data, "data.t.q", &err);
    CHECK(b != NULL);
    if (b) {
        char *l = first_proc(b);
        CHECK(l && strstr(l, " DATA ") != NULL);
        free(l);
        char got[64];
        eval_bundle(b, "data.t.q", "{}", got, sizeof got); /* releases b */
        CHECK_STR(got, "9");
    }
}

static void test_data_aliases(void)
{
    char got[1024];
    bool rule = true;
    eval_with_data("package t\ncfg := data.config\np := [cfg.limit, cfg.names.a, cfg]\n", "data.t.p", "{}",
                   got, sizeof got, &rule);
    CHECK_STR(got, "[5,1,{\"limit\":5,\"names\":{\"a\":1}}]");
    CHECK(!rule);
    /* a missing member is undefined either way */
    eval_with_data("package t\ncfg := data.config\np := cfg.nothing\n", "data.t.p", "{}", got, sizeof got,
                   &rule);
    CHECK_STR(got, "undefined");
    CHECK(!rule);
    eval_with_data("package t\ncfg := data.nothing\np := 1 if cfg\nq := 2 if not cfg\n", "data.t.q", "{}",
                   got, sizeof got, &rule);
    CHECK_STR(got, "2");
    /* `with` on data, or on the rule itself: the rule stays and the
     * replacement is seen */
    eval_with_data("package t\ncfg := data.config\np := cfg.limit\nq := x if x := p with data.config as "
                   "{\"limit\": 9}\n",
                   "data.t.q", "{}", got, sizeof got, &rule);
    CHECK_STR(got, "9");
    CHECK(rule);
    eval_with_data(
        "package t\ncfg := data.config\np := cfg.limit\nq := x if x := p with data.t.cfg as {\"limit\": 7}\n",
        "data.t.q", "{}", got, sizeof got, &rule);
    CHECK_STR(got, "7");
    CHECK(rule);
    /* a `with` on input only: still folded */
    eval_with_data(
        "package t\ncfg := data.config\np := cfg.limit + input.x\nq := x if x := p with input.x as 1\n",
        "data.t.q", "{\"x\": 100}", got, sizeof got, &rule);
    CHECK_STR(got, "6");
    CHECK(!rule);
    /* rules under the named path make it a virtual document: kept */
    eval_with_data("package t\ncfg := data.t.sub\nsub.limit := 3\np := cfg.limit\n", "data.t.p", "{}", got,
                   sizeof got, &rule);
    CHECK_STR(got, "3");
    CHECK(rule);
    /* a body, an else or a default: a rule like any other */
    eval_with_data("package t\ncfg := data.config if input.on\np := cfg.limit\n", "data.t.p",
                   "{\"on\": false}", got, sizeof got, &rule);
    CHECK_STR(got, "undefined");
    CHECK(rule);
    eval_with_data("package t\ndefault cfg := {\"limit\": 0}\ncfg := data.config\np := cfg.limit\n",
                   "data.t.p", "{}", got, sizeof got, &rule);
    CHECK_STR(got, "5");
    CHECK(rule);
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

/* Scalar constants are shared with an equal one among the newest 256
 * entries of the constant table, never further back: the constant index
 * an instruction names depends on it, so the bundle bytes do too. The
 * policy is `input.a == "s0"` (k0="a", k1="s0"), then `gap` literals
 * `input.x<i>` that each add one new constant, then `input.a == "s0"`
 * again. The expectations are the listings of the original compiler, which
 * probed the newest 256 entries linearly. */
static char *listing_after_gap(uint32_t gap)
{
    size_t cap = 64 + (size_t)gap * 32;
    char *src = malloc(cap);
    size_t n = (size_t)snprintf(src, cap, "package t\n\np if {\n\tinput.a == \"s0\"\n");
    for (uint32_t i = 0; i < gap; i++)
        n += (size_t)snprintf(src + n, cap - n, "\tinput.x%u\n", i);
    snprintf(src + n, cap - n, "\tinput.a == \"s0\"\n}\n");
    pol_error err;
    pol_bundle *b = build(src, "t.p", &err);
    free(src);
    CHECK(b != NULL);
    if (!b)
        return NULL;
    /* the whole listing: the entrypoint wrapper after the rule names no
     * constants */
    size_t len = pol_bundle_disassemble(b, NULL, 0);
    char *got = malloc(len + 1);
    if (got)
        pol_bundle_disassemble(b, got, len + 1);
    pol_bundle_release(b);
    return got;
}

static uint32_t count_of(const char *hay, const char *needle)
{
    uint32_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_constant_sharing_window(void)
{
    /* gap 254: 256 entries when "a" and "s0" come back, both within reach */
    char *near = listing_after_gap(254);
    CHECK(near && count_of(near, "k0=\"a\"") == 2 && count_of(near, "k1=\"s0\"") == 2);
    CHECK(near && strstr(near, "k256=true"));
    free(near);
    /* gap 255: "a" (k0) is 257 entries back, so it is added again as k257,
     * which puts "s0" (k1) out of reach too: k258 */
    char *far = listing_after_gap(255);
    CHECK(far && count_of(far, "k1=\"s0\"") == 1 && count_of(far, "k257=\"a\"") == 1);
    CHECK(far && count_of(far, "k258=\"s0\"") == 1 && strstr(far, "k259=true"));
    free(far);
    /* equal numbers of different spellings share one constant (1 == 1.0 in
     * Rego), as the table always compared values, not spellings (and the
     * second read of input.a copies the first, 2: share_reads) */
    check_listing("package t\n\np if {\n\tinput.a == 1\n\tinput.a == 1.0\n}\n", "t.p",
                  "proc 0 data.t.p regs=6 slots=0 params=0\n"
                  "    0 INPUTK  r2 k0=\"a\" ->6\n"
                  "    1 EQK     r2 k1=1 ->6\n"
                  "    2 MOVE    r4 r2\n"
                  "    3 EQK     r4 k1=1 ->6\n"
                  "    4 LOADK   r5 k2=true\n"
                  "    5 RET     r5\n"
                  "    6 JUNDEF  r0 ->8\n"
                  "    7 RET     r0\n"
                  "    8 RET     r0\n");
}

int main(void)
{
    test_listings();
    test_rule_index();
    test_rule_index_keys();
    test_folding();
    test_object_literal_order();
    test_superinstructions();
    test_hoisting();
    test_rule_read_hoisting();
    test_errors();
    test_compiled_semantics();
    test_inline_site_limit();
    test_data_reads();
    test_data_aliases();
    test_test_builtins();
    test_metadata();
    test_constant_sharing_window();
    return TEST_SUMMARY();
}
