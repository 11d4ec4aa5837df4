/* Unit tests for the text builtins (bi_strings.c, bi_format.c, bi_regex.c).
 * Expected values come from OPA's conformance cases (folders strings,
 * units, regex*, glob*, sprintf, rendertemplate, stringinterpolation, trim*,
 * replacen) and OPA's builtin documentation / Go's fmt rules. */
#include "../test.h"
#include "stdlib/bi_text.h"
#include "stdlib/builtins.h"

#include <math.h>
#include <stdlib.h>

static unsigned char mem[1 << 23];
static arena A;
static bi_ctx C;

static const val *J(const char *json)
{
    json_error e;
    const val *v = json_parse(&A, json, strlen(json), &e);
    if (!v)
        fprintf(stderr, "bad test JSON: %s (%s)\n", json, e.msg);
    return v;
}

/* ---- sprintf: prepared formats against the general path ---------------- */

/* Calls that compared a prepared format's result with the general path's,
 * how many of those formats got a plan, and the disagreements. */
static int sprintf_compared, sprintf_planned, sprintf_plan_mismatches;

/* sprintf(argv[0], argv[1]) as a call with a non-constant format (the
 * general path), then twice more with the format made a bundle constant
 * (a one-string id table and fresh prep slots): the first of those
 * prepares the format's plan, the second runs the kept plan. All three
 * must agree in status, result text and error. Returns the general
 * path's answer. */
static bi_status sprintf_both(const val *const *argv, const val **out)
{
    bi_fn fn = bi_table[bi_lookup("sprintf", 7)].fn;
    C.err_code = POL_OK;
    C.err_msg[0] = '\0';
    *out = NULL;
    bi_status st = fn(&C, argv, out);
    if (argv[0]->type != V_STR || argv[1]->type != V_ARR)
        return st;
    pol_status code = C.err_code;
    char msg[sizeof C.err_msg];
    memcpy(msg, C.err_msg, sizeof msg);
    static unsigned char table_mem[1 << 12], plan_mem[1 << 14];
    arena ta, pa;
    arena_init_fixed(&ta, table_mem, sizeof table_mem);
    arena_init_fixed(&pa, plan_mem, sizeof plan_mem);
    kstr_table t;
    CHECK(kstr_build(&t, &ta, NULL, argv, 1, NULL, 0) && kstr_id(&t, argv[0]) != KSTR_NONE);
    const void *slots[BI_PREP_KINDS] = {0};
    C.kstr = &t;
    C.prep = slots;
    C.prep_mem = &pa;
    for (int round = 0; round < 2; round++) {
        const val *o = NULL;
        C.err_code = POL_OK;
        C.err_msg[0] = '\0';
        bi_status ps = fn(&C, argv, &o);
        bool same = ps == st && (st == BI_OK ? o && *out && val_equal(o, *out)
                                             : C.err_code == code && strcmp(C.err_msg, msg) == 0);
        if (!same && sprintf_plan_mismatches++ < 10)
            fprintf(stderr, "  sprintf(\"%.*s\") planned (round %d): \"%.*s\" (%s), general \"%.*s\" (%s)\n",
                    (int)argv[0]->len, argv[0]->u.s, round, o ? (int)o->len : 0, o ? o->u.s : "", C.err_msg,
                    *out ? (int)(*out)->len : 0, *out ? (*out)->u.s : "", msg);
    }
    CHECK(slots[BI_PREP_SPRINTF] != NULL); /* prepared on the first call, plan or not */
    sprintf_compared++;
    sprintf_planned += fmt_test_planned(&pa, argv[0]->u.s, argv[0]->len);
    C.kstr = NULL;
    C.prep = NULL;
    C.prep_mem = NULL;
    C.err_code = code;
    memcpy(C.err_msg, msg, sizeof msg);
    return st;
}

/* Calls builtin `name` with the elements of the JSON array `args`. */
static bi_status call(const char *name, const char *args, const val **out)
{
    int id = bi_lookup(name, strlen(name));
    if (id < 0) {
        fprintf(stderr, "no builtin %s\n", name);
        return BI_ERR;
    }
    const val *a = J(args);
    if (!a || a->type != V_ARR || a->len != bi_table[id].arity) {
        fprintf(stderr, "bad args for %s: %s\n", name, args);
        return BI_ERR;
    }
    if (strcmp(name, "sprintf") == 0)
        return sprintf_both(a->u.a, out);
    C.err_code = POL_OK;
    C.err_msg[0] = '\0';
    *out = NULL;
    return bi_table[id].fn(&C, a->u.a, out);
}

static void show(const val *v)
{
    char buf[512];
    sbuf b;
    sb_init(&b, buf, sizeof buf - 1);
    json_write(&b, v, 0);
    buf[b.len < sizeof buf - 1 ? b.len : sizeof buf - 1] = '\0';
    fprintf(stderr, "    got %s\n", buf);
}

static void expect(int line, const char *name, const char *args, const char *want)
{
    const val *o;
    bi_status st = call(name, args, &o);
    const val *w = J(want);
    bool ok = st == BI_OK && o && w && val_equal(o, w);
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  line %d: %s(%s) want %s (status %d: %s)\n", line, name, args, want, st, C.err_msg);
        if (st == BI_OK && o)
            show(o);
    }
}

static void expect_err(int line, const char *name, const char *args, pol_status code, const char *msg)
{
    const val *o;
    bi_status st = call(name, args, &o);
    bool ok = st == BI_ERR && C.err_code == code && strstr(C.err_msg, msg) != NULL;
    CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  line %d: %s(%s) want error %d containing \"%s\"; got status %d code %d \"%s\"\n",
                line, name, args, code, msg, st, C.err_code, C.err_msg);
        if (st == BI_OK && o)
            show(o);
    }
}

#define EXPECT(name, args, want) expect(__LINE__, name, args, want)
#define EXPECT_ERR(name, args, code, msg) expect_err(__LINE__, name, args, code, msg)
#define EXPECT_TYPE_ERR(name, args, msg) expect_err(__LINE__, name, args, POL_EVAL_TYPE, msg)
#define EXPECT_BI_ERR(name, args, msg) expect_err(__LINE__, name, args, POL_EVAL_BUILTIN, msg)

static void test_basic_strings(void)
{
    EXPECT("concat", "[\"/\", [\"\", \"foo\", \"bar\", \"0\", \"baz\"]]", "\"/foo/bar/0/baz\"");
    EXPECT("concat", "[\",\", []]", "\"\"");
    EXPECT("concat", "[\",\", [\"a\"]]", "\"a\"");
    EXPECT_TYPE_ERR("concat", "[\",\", [\"a\", 1]]",
                    "concat: operand 2 must be array of strings but got array containing number");
    EXPECT_TYPE_ERR("concat", "[\",\", \"ab\"]",
                    "concat: operand 2 must be one of {set, array} but got string");
    EXPECT_TYPE_ERR("concat", "[1, []]", "concat: operand 1 must be string but got number");

    EXPECT("contains", "[\"abcdefgh\", \"defg\"]", "true");
    EXPECT("contains", "[\"abcdefgh\", \"ac\"]", "false");
    EXPECT("contains", "[\"fireplace\", \"\"]", "true");
    EXPECT_TYPE_ERR("contains", "[\"a\", 1]", "contains: operand 2 must be string but got number");
    EXPECT("startswith", "[\"abcdefgh\", \"abcd\"]", "true");
    EXPECT("startswith", "[\"abcdefgh\", \"bcd\"]", "false");
    EXPECT("endswith", "[\"abcdefgh\", \"fgh\"]", "true");
    EXPECT("endswith", "[\"abcdefgh\", \"fg\"]", "false");
    EXPECT("lower", "[\"AbCdEf\"]", "\"abcdef\"");
    EXPECT("upper", "[\"AbCdEf\"]", "\"ABCDEF\"");
    EXPECT("upper", "[\"åäö straße\"]", "\"ÅÄÖ STRAßE\""); /* Go: no simple upper mapping for ß */
    EXPECT("lower", "[\"ÅÄÖ\"]", "\"åäö\"");

    EXPECT("split", "[\"\", \".\"]", "[\"\"]");
    EXPECT("split", "[\"test\", \"\"]", "[\"t\", \"e\", \"s\", \"t\"]");
    EXPECT("split", "[\"\", \"\"]", "[]");
    EXPECT("split", "[\"foo\", \".\"]", "[\"foo\"]");
    EXPECT("split", "[\"foo.bar.baz\", \".\"]", "[\"foo\", \"bar\", \"baz\"]");
    EXPECT("split", "[\"a..b.\", \".\"]", "[\"a\", \"\", \"b\", \"\"]");
    EXPECT("split", "[\"hi, my name is foo\", \"i\"]", "[\"h\", \", my name \", \"s foo\"]");
    EXPECT("split", "[\"åäö\", \"\"]", "[\"å\", \"ä\", \"ö\"]");
    EXPECT("strings.split_n", "[\"a,b,c\", \",\", 2]", "[\"a\", \"b,c\"]");
    EXPECT("strings.split_n", "[\"a,b,c\", \",\", -1]", "[\"a\", \"b\", \"c\"]");
    EXPECT("strings.split_n", "[\"a,b,c\", \",\", 0]", "[]");
    EXPECT("strings.split_n", "[\"abc\", \"\", 2]", "[\"a\", \"bc\"]");

    EXPECT("replace", "[\"\", \"hi\", \"bye\"]", "\"\"");
    EXPECT("replace", "[\"foo.bar\", \".\", \",\"]", "\"foo,bar\"");
    EXPECT("replace", "[\"foo.bar.baz\", \".\", \",\"]", "\"foo,bar,baz\"");
    EXPECT("replace", "[\"foo...bar\", \"..\", \",,\"]", "\"foo,,.bar\"");
    EXPECT("replace", "[\"abc\", \"\", \"-\"]", "\"-a-b-c-\"");

    EXPECT("strings.replace_n", "[{\"<\": \"&lt;\", \">\": \"&gt;\"}, \"This is <b>HTML</b>!\"]",
           "\"This is &lt;b&gt;HTML&lt;/b&gt;!\"");
    EXPECT("strings.replace_n", "[{\"f\": \"x\", \"foo\": \"xxx\"}, \"foobar\"]", "\"xoobar\"");
    EXPECT("strings.replace_n", "[{\"old1\": \"new1\", \"old2\": \"new2\"}, \"Everything is new1, new2\"]",
           "\"Everything is new1, new2\"");
    EXPECT_TYPE_ERR("strings.replace_n", "[{\"f\": 100}, \"foo\"]",
                    "strings.replace_n: operand 1 non-string value found in pattern object");
    EXPECT_TYPE_ERR("strings.replace_n", "[{\"foo\": \"baz\"}, 100]",
                    "strings.replace_n: operand 2 must be string but got number");
    EXPECT_TYPE_ERR("strings.replace_n", "[[], \"x\"]",
                    "strings.replace_n: operand 1 must be object but got array");
}

static void test_trim(void)
{
    EXPECT("trim", "[\"\", \".\"]", "\"\"");
    EXPECT("trim", "[\"foo.bar...\", \".\"]", "\"foo.bar\"");
    EXPECT("trim", "[\"...foo.bar\", \".\"]", "\"foo.bar\"");
    EXPECT("trim", "[\"...foo.bar...\", \".fr\"]", "\"oo.ba\"");
    EXPECT("trim", "[\"...foo.bar...\", \".o\"]", "\"foo.bar\"");
    EXPECT("trim", "[\"¡¡¡foo, bar!!!\", \"!¡\"]", "\"foo, bar\"");
    EXPECT("trim", "[\"¡¡¡foo, bar!!!\", \"i\"]", "\"¡¡¡foo, bar!!!\"");
    EXPECT("trim", "[\"hih\", \"h o\"]", "\"i\"");
    EXPECT("trim_left", "[\"¡¡¡foo, bar!!!\", \"!¡\"]", "\"foo, bar!!!\"");
    EXPECT("trim_left", "[\"!!!foo, bar¡¡¡\", \"¡\"]", "\"!!!foo, bar¡¡¡\"");
    EXPECT("trim_right", "[\"¡¡¡foo, bar!!!\", \"!¡\"]", "\"¡¡¡foo, bar\"");
    EXPECT("trim_right", "[\"!!!foo, bar¡¡¡\", \"!\"]", "\"!!!foo, bar¡¡¡\"");
    EXPECT("trim_prefix", "[\"¡¡¡foo, bar!!!\", \"¡¡¡foo\"]", "\", bar!!!\"");
    EXPECT("trim_prefix", "[\"¡¡¡foo, bar!!!\", \"¡¡¡bar\"]", "\"¡¡¡foo, bar!!!\"");
    EXPECT("trim_suffix", "[\"¡¡¡foo, bar!!!\", \", bar!!!\"]", "\"¡¡¡foo\"");
    EXPECT("trim_suffix", "[\"¡¡¡foo, bar!!!\", \", foo!!!\"]", "\"¡¡¡foo, bar!!!\"");
    EXPECT("trim_space", "[\" \\t\\n foo, bar \\n\\t\\r\\n\"]", "\"foo, bar\"");
    EXPECT("trim_space", "[\"foo, bar\"]", "\"foo, bar\"");
    EXPECT("trim_space", "[\"\\u00a0\\u3000x\\u2003\"]", "\"x\"");
    EXPECT_TYPE_ERR("trim", "[\"x\", 1]", "trim: operand 2 must be string but got number");
}

static void test_positions(void)
{
    EXPECT("substring", "[\"abcdefgh\", 2, 3]", "\"cde\"");
    EXPECT("substring", "[\"åäö\", 0, 2]", "\"åä\"");
    EXPECT("substring", "[\"abcdefgh\", 2, -1]", "\"cdefgh\"");
    EXPECT("substring", "[\"aåäö\", 2, -1]", "\"äö\"");
    EXPECT("substring", "[\"abcdefgh\", 2, 10000]", "\"cdefgh\"");
    EXPECT("substring", "[\"abcdefghåäö\", 2, 10000]", "\"cdefghåäö\"");
    EXPECT("substring", "[\"aaa\", 3, -1]", "\"\"");
    EXPECT("substring", "[\"åäö\", 4, -1]", "\"\"");
    EXPECT_BI_ERR("substring", "[\"aaa\", -1, -1]", "negative offset");
    EXPECT_BI_ERR("substring", "[\"åäö\", -1, -1]", "negative offset");
    EXPECT_TYPE_ERR("substring", "[\"aaa\", 1.5, 1]",
                    "substring: operand 2 must be integer number but got floating-point number");
    EXPECT_TYPE_ERR("substring", "[\"aaa\", 1, \"x\"]", "substring: operand 3 must be number but got string");

    EXPECT("indexof", "[\"abcdefgh\", \"cde\"]", "2");
    EXPECT("indexof", "[\"abcabcabcdefgh\", \"cde\"]", "8");
    EXPECT("indexof", "[\"abcdefgh\", \"xyz\"]", "-1");
    EXPECT("indexof", "[\"μx\", \"x\"]", "1");
    EXPECT("indexof", "[\"μ\", \"μμ\"]", "-1");
    EXPECT("indexof", "[\"skön var våren\", \"vår\"]", "9");
    EXPECT("indexof", "[\"🍧🍨🧁🍰🍮\", \"🍮\"]", "4");
    EXPECT("indexof", "[\"🍧🍨🧁🍰🍮\", \"🍧🍨🧁🍰🍮\"]", "0");
    EXPECT_BI_ERR("indexof", "[\"abc\", \"\"]", "indexof: empty search character");

    EXPECT("indexof_n", "[\"dogcat\", \"cat\"]", "[3]");
    EXPECT("indexof_n", "[\"dogcatdogcat\", \"cat\"]", "[3, 9]");
    EXPECT("indexof_n", "[\"dogcat\", \"rabbit\"]", "[]");
    EXPECT("indexof_n", "[\"😇😀😇😀😇😀\", \"😀\"]", "[1, 3, 5]");
    EXPECT("indexof_n", "[\"😇😀😇😀😇😀\", \"😂\"]", "[]");
    EXPECT("indexof_n", "[\"aaa\", \"aa\"]", "[0, 1]");

    EXPECT("strings.count", "[\"cheese\", \"e\"]", "3");
    EXPECT("strings.count", "[\"hello hello hello world\", \"hello\"]", "3");
    EXPECT("strings.count", "[\"dummy\", \"x\"]", "0");
    EXPECT("strings.count", "[\"dummy\", \"\"]", "6");
    EXPECT("strings.count", "[\"\", \"\"]", "1");
    EXPECT("strings.count", "[\"\", \"x\"]", "0");
    EXPECT("strings.count", "[\"11111\", \"11\"]", "2");
    EXPECT("strings.count", "[\"11111\", \"11111\"]", "1");

    EXPECT("strings.reverse", "[\"bar\"]", "\"rab\"");
    EXPECT("strings.reverse", "[\"2\\ufe0f\\u20e3\"]", "\"\\u20e3\\ufe0f2\"");
    EXPECT("strings.reverse", "[\"1\\ud83d\\ude00\\ud835\\udefe\"]", "\"\\ud835\\udefe\\ud83d\\ude001\"");
    EXPECT("strings.reverse", "[\"\"]", "\"\"");
    EXPECT_TYPE_ERR("strings.reverse", "[123]", "reverse: operand 1 must be string but got number");
    EXPECT_TYPE_ERR("strings.reverse", "[{\"bar\": \"baz\"}]",
                    "reverse: operand 1 must be string but got object");
}

static void test_affix_match(void)
{
    const char *P = "strings.any_prefix_match", *S = "strings.any_suffix_match";
    EXPECT(P, "[[\"a/b/c\", \"a/b/d\", \"e/f/g\"], [\"a/\", \"d/\"]]", "true");
    EXPECT(P, "[[\"a/b/c\", \"a/b/d\", \"e/f/g\"], [\"f/\", \"d/\"]]", "false");
    EXPECT(P, "[[\"a/b/c\", \"a/b/d\", \"e/f/g\"], [\"d/\", \"e/f/g\"]]", "true");
    EXPECT(P, "[[\"aa/bb/cc\"], [\"a/b\", \"e/f\"]]", "false");
    EXPECT(P, "[[], [\"a/b\"]]", "false");
    EXPECT(P, "[[\"a/b/c\"], []]", "false");
    EXPECT(P, "[[\"a/b/c\", \"a/b/d\"], \"a/\"]", "true");
    EXPECT(P, "[\"a/b/c\", [\"g/\", \"d/\"]]", "false");
    EXPECT_TYPE_ERR(
        P, "[[1, 2, 3], [\"f/\"]]",
        "strings.any_prefix_match: operand 1 must be array of strings but got array containing number");
    EXPECT_TYPE_ERR(P, "[1, [\"f/\"]]",
                    "strings.any_prefix_match: operand 1 must be one of {string, set, array} but got number");
    EXPECT_TYPE_ERR(
        P, "[[\"a\"], [1, 2]]",
        "strings.any_prefix_match: operand 2 must be array of strings but got array containing number");
    EXPECT_TYPE_ERR(P, "[[\"a\"], 1]",
                    "strings.any_prefix_match: operand 2 must be one of {string, set, array} but got number");
    EXPECT(S, "[[\"a/b/c\", \"a/b/d\", \"e/f/g\"], [\"/c\", \"/a\"]]", "true");
    EXPECT(S, "[[\"a/b/c\", \"a/b/d\", \"e/f/g\"], [\"/f\", \"/a\"]]", "false");
    EXPECT(S, "[[\"aa/bb/cc\", \"aa/bb/dd\", \"ee/ff/gg\"], [\"b/cc\", \"f/g\"]]", "true");
    EXPECT(S, "[[\"aa/bb/cc\"], [\"aa/b\"]]", "false");
    EXPECT(S, "[[\"a/b/c\"], \"/h\"]", "false");
    EXPECT(S, "[\"a/b/c\", [\"/c\", \"/a\"]]", "true");
    EXPECT_TYPE_ERR(S, "[[\"a\"], 1]",
                    "strings.any_suffix_match: operand 2 must be one of {string, set, array} but got number");
}

static void test_units(void)
{
    const char *U = "units.parse", *B = "units.parse_bytes";
    EXPECT(U, "[\"500m\"]", "0.5");
    EXPECT(U, "[\"0.0005K\"]", "0.5");
    EXPECT(U, "[\"0.0000005M\"]", "0.5");
    EXPECT(U, "[\"1024\"]", "1024");
    EXPECT(U, "[\"1Ki\"]", "1024");
    EXPECT(U, "[\"2Mi\"]", "2097152");
    EXPECT(U, "[\"128Gi\"]", "137438953472");
    EXPECT(U, "[\"\\\"100TI\\\"\"]", "109951162777600");
    EXPECT(U, "[\"0\"]", "0");
    EXPECT(U, "[\"0.0\"]", "0");
    EXPECT(U, "[\".0\"]", "0");
    EXPECT(U, "[\"10K\"]", "10000");
    EXPECT(U, "[\"10KI\"]", "10240");
    EXPECT(U, "[\"10k\"]", "10000");
    EXPECT(U, "[\"200M\"]", "200000000");
    EXPECT(U, "[\"300Gi\"]", "322122547200");
    EXPECT(U, "[\"1.1K\"]", "1100");
    EXPECT(U, "[\"1.1Ki\"]", "1126.4");
    EXPECT(U, "[\".5K\"]", "500");
    EXPECT(U, "[\"100ki\"]", "102400");
    EXPECT(U, "[\"100m\"]", "0.1");
    EXPECT(U, "[\"100mi\"]", "104857600");
    EXPECT(U, "[\"100t\"]", "100000000000000");
    EXPECT(U, "[\"100Ti\"]", "109951162777600");
    EXPECT(U, "[\"100P\"]", "100000000000000000");
    EXPECT(U, "[\"100pi\"]", "112589990684262400");
    EXPECT(U, "[\"10e\"]", "10000000000000000000");
    EXPECT(U, "[\"10E\"]", "10000000000000000000");
    EXPECT(U, "[\"10Ei\"]", "11529215046068469760");
    EXPECT(U, "[\"1e10\"]", "10000000000");
    EXPECT(U, "[\"3.2E4\"]", "32000");
    EXPECT(U, "[\"2.5e3K\"]", "2500000");
    EXPECT(U, "[\"5e1Gi\"]", "53687091200");
    EXPECT(U, "[\"1e-2\"]", "0.01");
    EXPECT(U, "[\"7.8E-1\"]", "0.78");
    EXPECT(U, "[\"6e3Mi\"]", "6291456000");
    EXPECT(U, "[\"5E\"]", "5000000000000000000");
    EXPECT(U, "[\"42\"]", "42");
    EXPECT(U, "[\"-3.5E2m\"]", "-0.35");
    EXPECT(U, "[\"1G\"]", "1000000000");
    EXPECT_BI_ERR(U, "[\"\"]", "units.parse: no amount provided");
    EXPECT_BI_ERR(U, "[\"G\"]", "units.parse: no amount provided");
    EXPECT_BI_ERR(U, "[\"foo\"]", "units.parse: no amount provided");
    EXPECT_BI_ERR(U, "[\"0.0.0\"]", "units.parse: could not parse amount to a number");
    EXPECT_BI_ERR(U, "[\".5.2\"]", "units.parse: could not parse amount to a number");
    EXPECT_BI_ERR(U, "[\"100 k\"]", "units.parse: spaces not allowed in resource strings");
    EXPECT_BI_ERR(U, "[\" 327Mi \"]", "units.parse: spaces not allowed in resource strings");
    EXPECT_BI_ERR(U, "[\"10x\"]", "units.parse: unit x not recognized");
    EXPECT_BI_ERR(U, "[\"1e1234567\"]", "units.parse: exponent too large");
    EXPECT_TYPE_ERR(U, "[1]", "units.parse: operand 1 must be string but got number");

    EXPECT(B, "[\"1024\"]", "1024");
    EXPECT(B, "[\"1KiB\"]", "1024");
    EXPECT(B, "[\"2MiB\"]", "2097152");
    EXPECT(B, "[\"2Mi\"]", "2097152");
    EXPECT(B, "[\"\\\"100TIB\\\"\"]", "109951162777600");
    EXPECT(B, "[\"0.0\"]", "0");
    EXPECT(B, "[\"12345\"]", "12345");
    EXPECT(B, "[\"10KB\"]", "10000");
    EXPECT(B, "[\"10KIB\"]", "10240");
    EXPECT(B, "[\"200mb\"]", "200000000");
    EXPECT(B, "[\"300GiB\"]", "322122547200");
    EXPECT(B, "[\"1.1KB\"]", "1100");
    EXPECT(B, "[\"1.1KiB\"]", "1126");
    EXPECT(B, "[\".5KB\"]", "500");
    EXPECT(B, "[\"100m\"]", "100000000");
    EXPECT(B, "[\"100mi\"]", "104857600");
    EXPECT(B, "[\"100tb\"]", "100000000000000");
    EXPECT(B, "[\"100pib\"]", "112589990684262400");
    EXPECT(B, "[\"10e\"]", "10000000000000000000");
    EXPECT(B, "[\"10eib\"]", "11529215046068469760");
    EXPECT(B, "[\"1e3KB\"]", "1000000");
    EXPECT(B, "[\"3.2E2MiB\"]", "335544320");
    EXPECT(B, "[\"4.5e1GiB\"]", "48318382080");
    EXPECT(B, "[\"5e6\"]", "5000000");
    EXPECT(B, "[\"1e-2KB\"]", "10");
    EXPECT(B, "[\"6.4E1GB\"]", "64000000000");
    EXPECT(B, "[\"7.5e1TiB\"]", "82463372083200");
    EXPECT(B, "[\"5E\"]", "5000000000000000000");
    EXPECT(B, "[\"2e2GiB\"]", "214748364800");
    EXPECT(B, "[\"1KB\"]", "1000");
    EXPECT_BI_ERR(B, "[\"\"]", "units.parse_bytes: no byte amount provided");
    EXPECT_BI_ERR(B, "[\"GB\"]", "units.parse_bytes: no byte amount provided");
    EXPECT_BI_ERR(B, "[\"foo\"]", "units.parse_bytes: no byte amount provided");
    EXPECT_BI_ERR(B, "[\"0.0.0\"]", "units.parse_bytes: could not parse byte amount to a number");
    EXPECT_BI_ERR(B, "[\".5.2\"]", "units.parse_bytes: could not parse byte amount to a number");
    EXPECT_BI_ERR(B, "[\"100 kb\"]", "units.parse_bytes: spaces not allowed in resource strings");
    EXPECT_BI_ERR(B, "[\" 327MiB \"]", "units.parse_bytes: spaces not allowed in resource strings");
    EXPECT_BI_ERR(B, "[\"1xb\"]", "units.parse_bytes: byte unit xb not recognized");
}

static void test_template_string(void)
{
    const char *T = "internal.template_string";
    EXPECT(T, "[[]]", "\"\"");
    EXPECT(T, "[[\"foo \", 42, \" \", true]]", "\"foo 42 true\"");
    /* Interpolated values arrive as sets, which JSON cannot express: see
     * test_template_string_sets. Arrays are not a valid part. */
    EXPECT_ERR(T, "[[\"foo \", [\"bar\"]]]", POL_INTERNAL, "illegal argument type: array");
}

/* internal.template_string needs set operands: build them directly. */
static const val *set_of(const char *json_array)
{
    const val *a = J(json_array);
    vbuild b;
    vb_init(&b, &A);
    for (uint32_t i = 0; i < a->len; i++)
        vb_push(&b, a->u.a[i]);
    return vb_finish_set(&b);
}

static void test_template_string_sets(void)
{
    int id = bi_lookup("internal.template_string", strlen("internal.template_string"));
    CHECK(id >= 0);
    if (id < 0)
        return;
    const val *parts[] = {
        J("\"\""),   set_of("[42]"),
        J("\", \""), set_of("[13.37]"),
        J("\", \""), set_of("[true]"),
        J("\", \""), set_of("[\"foo\"]"),
        J("\", \""), set_of("[null]"),
        J("\", \""), set_of("[]"),
        J("\", \""), set_of("[[42, 13.37, true, \"foo\", null]]"),
        J("\", \""), set_of("[{\"a\": \"b\"}]"),
        J("\", \""), set_of("[[]]"),
    };
    vbuild b;
    vb_init(&b, &A);
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        vb_push(&b, parts[i]);
    const val *arr = vb_finish_array(&b);
    const val *o = NULL;
    bi_status st = bi_table[id].fn(&C, &arr, &o);
    CHECK(st == BI_OK);
    CHECK(o &&
          val_equal(o, J("\"42, 13.37, true, foo, null, <undefined>, [42, 13.37, true, \\\"foo\\\", null], "
                         "{\\\"a\\\": \\\"b\\\"}, []\"")));

    /* a set value and an empty set printed in Rego syntax */
    vb_init(&b, &A);
    vb_push(&b, set_of("[[]]"));
    const val *inner = set_of("[]");
    vbuild sb;
    vb_init(&sb, &A);
    vb_push(&sb, inner);
    vb_push(&b, J("\" \""));
    vb_push(&b, vb_finish_set(&sb));
    arr = vb_finish_array(&b);
    st = bi_table[id].fn(&C, &arr, &o);
    CHECK(st == BI_OK && o && val_equal(o, J("\"[] set()\"")));

    /* two values for one expression: conflict */
    vb_init(&b, &A);
    vb_push(&b, set_of("[1, 2]"));
    arr = vb_finish_array(&b);
    st = bi_table[id].fn(&C, &arr, &o);
    CHECK(st == BI_ERR && C.err_code == POL_EVAL_CONFLICT &&
          strstr(C.err_msg, "template-strings must not produce multiple outputs"));
}

static void test_sprintf(void)
{
    const char *F = "sprintf";
    EXPECT(F, "[\"hi\", []]", "\"hi\"");
    EXPECT(F, "[\"hi %s\", [\"there\"]]", "\"hi there\"");
    EXPECT(F, "[\"hi %02d\", [5]]", "\"hi 05\"");
    EXPECT(F, "[\"hi %02X.%02X\", [127, 1]]", "\"hi 7F.01\"");
    EXPECT(F, "[\"hi %.2f\", [3.1415]]", "\"hi 3.14\"");
    EXPECT(F, "[\"hi %s\", [true]]", "\"hi true\"");
    EXPECT(F, "[\"hi %v\", [[\"there\", 5, 3.14]]]", "\"hi [\\\"there\\\", 5, 3.14]\"");
    EXPECT(F, "[\"%s\", [123456789123456789123]]", "\"123456789123456789123\"");
    EXPECT(F, "[\"%s\", [1208925819614629174706175]]", "\"1208925819614629174706175\"");
    EXPECT(F, "[\"%d\", [1208925819614629174706175]]", "\"1208925819614629174706175\"");
    EXPECT(F, "[\"%x\", [1208925819614629174706175]]", "\"ffffffffffffffffffff\"");
    EXPECT(F, "[\"%s/%d\", [\"a\", 0]]", "\"a/0\"");
    /* Go's fmt error notations */
    EXPECT(F, "[\"%d\", [\"x\"]]", "\"%!d(string=x)\"");
    EXPECT(F, "[\"%s\", [5]]", "\"%!s(int=5)\"");
    EXPECT(F, "[\"%d\", [1.5]]", "\"%!d(float64=1.5)\"");
    EXPECT(F, "[\"%d %d\", [1]]", "\"1 %!d(MISSING)\"");
    EXPECT(F, "[\"%d\", [1, \"a\"]]", "\"1%!(EXTRA string=a)\"");
    EXPECT(F, "[\"%\", []]", "\"%!(NOVERB)\"");
    EXPECT(F, "[\"100%%\", []]", "\"100%\"");
    /* widths, flags, verbs */
    EXPECT(F, "[\"[%5s|%-5s|%.2s]\", [\"ab\", \"ab\", \"abc\"]]", "\"[   ab|ab   |ab]\"");
    EXPECT(F, "[\"[%5d|%-5d|%+d|% d|%05d]\", [42, 42, 42, 42, -42]]", "\"[   42|42   |+42| 42|-0042]\"");
    EXPECT(F, "[\"%x %X %o %b %#x %#o %O\", [255, 255, 8, 5, 255, 8, 8]]", "\"ff FF 10 101 0xff 010 0o10\"");
    EXPECT(F, "[\"%c%c %U\", [72, 105, 65]]", "\"Hi U+0041\"");
    EXPECT(F, "[\"%q\", [\"a\\\"b\\n\"]]", "\"\\\"a\\\\\\\"b\\\\n\\\"\"");
    /* runs of plain ASCII around escapes (Go's strconv.Quote) */
    EXPECT(F, "[\"%q\", [\"ab\\\\c\\\"d xyz\"]]", "\"\\\"ab\\\\\\\\c\\\\\\\"d xyz\\\"\"");
    EXPECT(F, "[\"%q\", [\"x\\ty\\u007f\"]]", "\"\\\"x\\\\ty\\\\x7f\\\"\"");
    EXPECT(F, "[\"%q\", [\"caf\\u00e9 \\u0085\"]]", "\"\\\"café \\\\u0085\\\"\"");
    EXPECT(F, "[\"%+q\", [\"café\"]]", "\"\\\"caf\\\\u00e9\\\"\"");
    EXPECT(F, "[\"[%q]\", [\"\"]]", "\"[\\\"\\\"]\"");
    EXPECT(F, "[\"%v %v %v\", [1.5, 1e21, 0.000001]]", "\"1.5 1e+21 1e-06\"");
    EXPECT(F, "[\"%v\", [100000.5]]", "\"100000.5\"");
    EXPECT(F, "[\"%e %E\", [1234.5678, 0.5]]", "\"1.234568e+03 5.000000E-01\"");
    EXPECT(F, "[\"%g %.3g %g\", [1234.5678, 1234.5678, 0.00001234]]", "\"1234.5678 1.23e+03 1.234e-05\"");
    EXPECT(F, "[\"%8.3f|%-8.2f|%08.3f\", [3.14159, 2.5, -3.14159]]", "\"   3.142|2.50    |-003.142\"");
    EXPECT(F, "[\"%[2]d %[1]d\", [1, 2]]", "\"2 1\"");
    EXPECT(F, "[\"%*d\", [4, 7]]", "\"   7\"");
    EXPECT(F, "[\"%v %v\", [null, {\"a\": [1]}]]", "\"null {\\\"a\\\": [1]}\"");
    EXPECT(F, "[\"%x\", [\"hi\"]]", "\"6869\"");
    EXPECT(F, "[\"%t\", [true]]", "\"%!t(string=true)\"");
    EXPECT_TYPE_ERR(F, "[\"%s\", \"x\"]", "sprintf: operand 2 must be array but got string");
    EXPECT_TYPE_ERR(F, "[1, []]", "sprintf: operand 1 must be string but got number");
}

/* ---- sprintf: fast path against general path, and against oracles ----- */

/* sprintf(fmt[0..n), args) where args is a JSON array; NULL on error. */
static const val *sprintf_of(const char *fmt, size_t n, const char *args_json)
{
    const val *argv[2] = {v_str(&A, fmt, n), J(args_json)};
    const val *o = NULL;
    if (!argv[0] || !argv[1])
        return NULL;
    if (sprintf_both(argv, &o) != BI_OK || !o || o->type != V_STR)
        return NULL;
    return o;
}

static bool str_is(const val *v, const char *want, size_t n)
{
    return v && v->type == V_STR && v->len == n && memcmp(v->u.s, want, n) == 0;
}

static void expect_sprintf(int line, const char *fmt, const char *args, const char *want, size_t want_len)
{
    const val *o = sprintf_of(fmt, strlen(fmt), args);
    bool ok = str_is(o, want, want_len);
    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  line %d: sprintf(\"%s\", %s) = \"%.*s\", want \"%.*s\"\n", line, fmt, args,
                o ? (int)o->len : 6, o ? o->u.s : "(null)", (int)want_len, want);
}
#define EXPECT_SPRINTF(fmt, args, want) expect_sprintf(__LINE__, fmt, args, want, strlen(want))

/* Go's strconv.Quote of one ASCII byte (c in 1..127), written from the
 * strconv documentation: named escapes, \x for other controls and DEL. */
static size_t go_quote_ascii(unsigned char c, char *out)
{
    const char *named = strchr("\a\b\f\n\r\t\v", c);
    if (c == '"' || c == '\\') {
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    }
    if (c && named) {
        out[0] = '\\';
        out[1] = "abfnrtv"[named - "\a\b\f\n\r\t\v"];
        return 2;
    }
    if (c < 0x20 || c == 0x7F)
        return (size_t)snprintf(out, 8, "\\x%02x", c);
    out[0] = (char)c;
    return 1;
}

/* JSON text of the string s[0..n) (control bytes as \u00XX). */
static size_t json_quote(const char *s, size_t n, char *out)
{
    size_t k = 0;
    out[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[k++] = '\\';
            out[k++] = (char)c;
        } else if (c < 0x20) {
            k += (size_t)snprintf(out + k, 8, "\\u%04x", c);
        } else {
            out[k++] = (char)c;
        }
    }
    out[k++] = '"';
    out[k] = '\0';
    return k;
}

static uint64_t rng_next(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return x;
}

/* Formats built from literal runs and verbs, with operands of every Go
 * type OPA passes, each printed twice: as generated, and with a '-' flag
 * after every '%' that directly precedes a verb letter. Without a width
 * '-' changes nothing in Go, but it sends the verb down the general path
 * (flags parsed, fmt_arg_verb) where the plain form may take the fast
 * path; the two outputs must agree byte for byte. */
static void test_sprintf_fast_matches_general(void)
{
    static const char *const lits[] = {
        "",
        "a",
        "hello ",
        " (level ",
        "caf\xc3\xa9 \xe2\x98\x83 ",
        "exactly sixteen!",
        "a run of literal text that is longer than thirty-two bytes ",
        "tab\there",
        "q\"b\\",
        "100%% ",
    };
    static const char *const verbs[] = {
        "%s",   "%v",  "%d",  "%q",    "%x",  "%X",   "%f", "%e",        "%g",  "%t",
        "%c",   "%b",  "%o",  "%U",    "%T",  "%p",   "%w", "%%",        "%5s", "%-8d",
        "%.2f", "%+q", "%#v", "%[1]s", "%*d", "%.1s", "%!", "%\xc3\xa9",
    };
    static const char *const operands[] = {
        "\"abc\"",
        "\"\"",
        "\"say \\\"hi\\\" \\\\ bye\"",
        "\"tab\\tnew\\nline\"",
        "\"caf\\u00e9 \\u2603 \\ud834\\udd1e\"",
        "\"\\u0001ctl\\u007f\"",
        "\"the quick brown fox jumps over the lazy dog\"",
        "\"50% off\"",
        "0",
        "-7",
        "42",
        "9223372036854775807",
        "-9223372036854775808",
        "123456789012345678901234567890",
        "-98765432109876543210",
        "1.5",
        "-0.25",
        "57450.740000000000002",
        "1e21",
        "1e-7",
        "123456.789",
        "true",
        "null",
        "[1, \"a\"]",
        "{\"k\": 2}",
    };
    const size_t nl = sizeof lits / sizeof *lits, nv = sizeof verbs / sizeof *verbs,
                 no = sizeof operands / sizeof *operands;
    uint64_t rng = 0x9E3779B97F4A7C15u;
    int mismatches = 0;
    for (int iter = 0; iter < 20000; iter++) {
        arena_mark m = arena_save(&A);
        char fmt[512], slow[600], args[1024];
        size_t fl = 0;
        int pieces = 1 + (int)(rng_next(&rng) % 6);
        for (int p = 0; p < pieces; p++) {
            const char *piece = rng_next(&rng) % 2 ? lits[rng_next(&rng) % nl] : verbs[rng_next(&rng) % nv];
            size_t pl = strlen(piece);
            memcpy(fmt + fl, piece, pl);
            fl += pl;
        }
        if (rng_next(&rng) % 8 == 0)
            fmt[fl++] = '%'; /* a '%' with no verb at the end */
        fmt[fl] = '\0';
        size_t sl = 0;
        for (size_t i = 0; i < fl; i++) {
            slow[sl++] = fmt[i];
            if (fmt[i] == '%' && i + 1 < fl && ((fmt[i + 1] | 0x20) >= 'a' && (fmt[i + 1] | 0x20) <= 'z'))
                slow[sl++] = '-';
            else if (fmt[i] == '%' && i + 1 < fl)
                slow[sl++] = fmt[++i]; /* "%%" and flagged verbs stay as they are */
        }
        int nargs = (int)(rng_next(&rng) % 5);
        size_t al = 0;
        args[al++] = '[';
        for (int k = 0; k < nargs; k++) {
            al += (size_t)snprintf(args + al, sizeof args - al, "%s%s", k ? ", " : "",
                                   operands[rng_next(&rng) % no]);
        }
        args[al++] = ']';
        args[al] = '\0';
        const val *fast = sprintf_of(fmt, fl, args), *general = sprintf_of(slow, sl, args);
        bool ok = fast && general && val_equal(fast, general);
        if (!ok && mismatches++ < 10)
            fprintf(stderr, "  sprintf(\"%s\" vs \"%.*s\", %s):\n    \"%.*s\"\n    \"%.*s\"\n", fmt, (int)sl,
                    slow, args, fast ? (int)fast->len : 0, fast ? fast->u.s : "",
                    general ? (int)general->len : 0, general ? general->u.s : "");
        arena_restore(&A, m);
    }
    CHECK(mismatches == 0);
}

/* The prepared-format path against the general one: every sprintf call
 * of the tests above and below ran both (sprintf_both); here the abac
 * bench's formats, pinned, and the coverage of the generated formats. */
static void test_sprintf_planned(void)
{
    int before = sprintf_planned, compared = sprintf_compared;
    EXPECT_SPRINTF("source address %s is outside the trusted networks", "[\"203.0.113.45\"]",
                   "source address 203.0.113.45 is outside the trusted networks");
    EXPECT_SPRINTF("MFA verification is %d seconds old (limit %d)", "[5087, 3600]",
                   "MFA verification is 5087 seconds old (limit 3600)");
    EXPECT_SPRINTF("clearance %q (level %d) is below classification %q (level %d)",
                   "[\"confidential\", 2, \"restricted\", 3]",
                   "clearance \"confidential\" (level 2) is below classification \"restricted\" (level 3)");
    EXPECT_SPRINTF(
        "action %q on %s requires ownership or membership of %q",
        "[\"approve_payment\", \"/payments/batches/2024-05-01\", \"finance-writers\"]",
        "action \"approve_payment\" on /payments/batches/2024-05-01 requires ownership or membership of "
        "\"finance-writers\"");
    EXPECT_SPRINTF("pending total %v exceeds the %s approval limit %v", "[57450.74, \"finance\", 50000]",
                   "pending total 57450.74 exceeds the finance approval limit 50000");
    /* the direct writer's edges: ints at their widest, quotes that are not
     * plain, too few and too many operands, %% beside verbs, empty text */
    EXPECT_SPRINTF("%d|%v", "[-9223372036854775808, 9223372036854775807]",
                   "-9223372036854775808|9223372036854775807");
    EXPECT_SPRINTF("%q", "[\"tab\\there\"]", "\"tab\\there\"");
    EXPECT_SPRINTF("%s and %s", "[\"a\"]", "a and %!s(MISSING)");
    EXPECT_SPRINTF("%s", "[\"a\", 1]", "a%!(EXTRA int=1)");
    EXPECT_SPRINTF("%%%s%%%d%%", "[\"x\", 7]", "%x%7%");
    EXPECT_SPRINTF("%s%s", "[\"\", \"\"]", "");
    EXPECT_SPRINTF("%x %s", "[255, \"b\"]", "ff b");
    EXPECT_SPRINTF("%d %s", "[\"a\", \"b\"]", "%!d(string=a) b");
    CHECK(sprintf_planned - before == 13);
    CHECK(sprintf_compared - compared == 13);
    /* the generated formats: most are plannable */
    CHECK(sprintf_compared > 40000 && sprintf_planned > sprintf_compared / 4);
    CHECK(sprintf_plan_mismatches == 0);
}

/* sprintf of NUM_BIG operands (what sum and other exact decimal
 * arithmetic return, e.g. "57450.740000000000002"): OPA hands a big
 * integer to fmt as a *big.Int (printed as its digits) and anything else
 * as the nearest float64 (printed by %v in its shortest form). The
 * direct writer reads the shortest digits off the text where it can
 * prove them; here it must take the abac bench's call, and on a large
 * generated set (short and long decimals, texts a hair off a 15-digit
 * decimal, exact midpoints between doubles, runs of nines that carry,
 * exponents, junk) every call it takes must print what the general
 * path prints. */
static uint64_t xorshift64(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static const val *big_args(const char *text)
{
    const val *el[1] = {v_num_big(&A, text, strlen(text))};
    vbuild b;
    vb_init(&b, &A);
    vb_push(&b, el[0]);
    return vb_finish_array(&b);
}

/* sprintf(fmt, arr) through the general path (no prepared format). */
static const val *sprintf_general(const char *fmt, const val *arr)
{
    const val *argv[2] = {v_str(&A, fmt, strlen(fmt)), arr};
    const val *o = NULL;
    C.err_code = POL_OK;
    if (!argv[0] || !arr || bi_table[bi_lookup("sprintf", 7)].fn(&C, argv, &o) != BI_OK)
        return NULL;
    return o;
}

/* %d and %v of int64s written in place by the direct writer: every
 * length, each side of every power of ten, both signs and the extremes,
 * against libc's %lld (an oracle independent of fmt_i64_text). */
static void test_sprintf_int_lengths(void)
{
    int64_t vals[512];
    size_t n = 0;
    vals[n++] = 0;
    vals[n++] = INT64_MAX;
    vals[n++] = INT64_MIN;
    vals[n++] = INT64_MIN + 1;
    for (int64_t p = 1; n + 6 <= sizeof vals / sizeof vals[0]; p *= 10) {
        vals[n++] = p;
        vals[n++] = p - 1;
        vals[n++] = p + 1;
        vals[n++] = -p;
        vals[n++] = -(p - 1);
        vals[n++] = -(p + 1);
        if (p > INT64_MAX / 10)
            break;
    }
    /* each side of every power of two (the length is read off the bit count) */
    for (int k = 0; k < 63; k++) {
        int64_t p = (int64_t)1 << k;
        vals[n++] = p;
        vals[n++] = p - 1;
        vals[n++] = -p;
        vals[n++] = -p + 1;
    }
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        arena_mark m = arena_save(&A);
        vbuild b;
        vb_init(&b, &A);
        vb_push(&b, v_int(&A, vals[i]));
        vb_push(&b, v_int(&A, vals[i]));
        const val *arr = vb_finish_array(&b), *o = NULL;
        char want[64];
        snprintf(want, sizeof want, "<%lld|%lld>", (long long)vals[i], (long long)vals[i]);
        if (fmt_test_direct(&A, "<%d|%v>", 7, arr, &o) != 1 || !str_is(o, want, strlen(want))) {
            if (bad++ < 5)
                fprintf(stderr, "  %s: direct %s\n", want, o ? o->u.s : "(declined)");
        }
        arena_restore(&A, m);
    }
    CHECK(bad == 0);
}

static void test_sprintf_big_numbers(void)
{
    /* the abac bench's call */
    {
        const char *fmt = "pending total %v exceeds the %s approval limit %v";
        const val *el[3] = {v_num_big(&A, "57450.740000000000002", 21), v_str(&A, "finance", 7),
                            v_int(&A, 50000)};
        vbuild b;
        vb_init(&b, &A);
        for (int i = 0; i < 3; i++)
            vb_push(&b, el[i]);
        const val *arr = vb_finish_array(&b), *o = NULL;
        const char *want = "pending total 57450.74 exceeds the finance approval limit 50000";
        CHECK(fmt_test_direct(&A, fmt, strlen(fmt), arr, &o) == 1 && str_is(o, want, strlen(want)));
        o = sprintf_general(fmt, arr);
        CHECK(o && str_is(o, want, strlen(want)));
    }
    /* Go's %v of a float64 (strconv's 'g' at the shortest precision: %e
     * when the exponent is below -4 or at least 6) and a big.Int's %d, %v
     * and %s, as Go prints them */
    static const struct {
        const char *fmt, *text, *want;
    } pins[] = {
        {"%v", "57450.740000000000002", "57450.74"},
        {"%v", "0.000001", "1e-06"},
        {"%v", "0.0001", "0.0001"},
        {"%v", "123456.7", "123456.7"},
        {"%v", "1234567.8", "1.2345678e+06"},
        {"%v", "-2.5e-7", "-2.5e-07"},
        {"%v", "1e21", "1e+21"},
        {"%v", "9.99999999999999999999", "10"},
        {"%v", "0.1000000000000000055511151231257827", "0.1"},
        {"%d", "123456789012345678901234567890", "123456789012345678901234567890"},
        {"%v", "-123456789012345678901234567890", "-123456789012345678901234567890"},
        {"%s", "123456789012345678901234567890", "123456789012345678901234567890"},
    };
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        const val *arr = big_args(pins[i].text), *o = sprintf_general(pins[i].fmt, arr);
        bool ok = o && str_is(o, pins[i].want, strlen(pins[i].want));
        const val *d = NULL;
        int took = fmt_test_direct(&A, pins[i].fmt, strlen(pins[i].fmt), arr, &d);
        ok = ok && took == 1 && str_is(d, pins[i].want, strlen(pins[i].want));
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  sprintf(%s, [%s]): general \"%s\", direct %d \"%s\"\n", pins[i].fmt,
                    pins[i].text, o ? o->u.s : "?", took, d ? d->u.s : "?");
    }

    uint64_t rng = 0x243F6A8885A308D3ull;
#define NEXT() xorshift64(&rng)
    static const char *const fmts[] = {"%v", "<%v>", "%d", "%s", "%v %v"};
    int compared = 0, taken = 0, long_taken = 0, mismatches = 0;
    for (int iter = 0; iter < 60000; iter++) {
        char text[160];
        size_t n = 0;
        int kind = (int)(NEXT() % 6);
        if (NEXT() % 4 == 0)
            text[n++] = '-';
        if (kind == 0 || kind == 1) {
            /* digits with a point somewhere, maybe an exponent; kind 1:
             * a 15-digit decimal with a tail of zeros or nines and a
             * last digit (a hair off it), or nines that carry */
            int before = (int)(NEXT() % 8), after = 1 + (int)(NEXT() % 30);
            char digs[80];
            int nd = before + after;
            for (int k = 0; k < nd; k++)
                digs[k] = (char)('0' + NEXT() % 10);
            if (kind == 1 && nd > 17) {
                char fill = NEXT() % 3 == 0 ? '0' : '9';
                int from = 15 - (int)(NEXT() % 3) - (NEXT() % 5 == 0 ? 14 : 0);
                if (from < 1)
                    from = 1;
                for (int k = from; k < nd - 1; k++)
                    digs[k] = fill;
            }
            for (int k = 0; k < before; k++)
                text[n++] = digs[k];
            if (before == 0)
                text[n++] = '0';
            text[n++] = '.';
            for (int k = before; k < nd; k++)
                text[n++] = digs[k];
            if (NEXT() % 4 == 0)
                n += (size_t)snprintf(text + n, sizeof text - n, "e%s%d", NEXT() % 2 ? "-" : "+",
                                      (int)(NEXT() % 40));
        } else if (kind == 2 || kind == 3) {
            /* a double's neighbourhood: its exact midpoint with the next
             * double up (a tie), or the double itself, at 17 to 40 digits */
            double d = (double)(NEXT() >> 11) / (double)(1ull << (NEXT() % 60));
            if (!(d > 0))
                continue;
            long double x = kind == 2 ? ((long double)d + (long double)nextafter(d, INFINITY)) / 2 : d;
            n += (size_t)snprintf(text + n, sizeof text - n, "%.*Le", 16 + (int)(NEXT() % 24), x);
        } else if (kind == 4) {
            /* a big integer */
            int nd = 19 + (int)(NEXT() % 20);
            text[n++] = (char)('1' + NEXT() % 9);
            for (int k = 1; k < nd; k++)
                text[n++] = (char)('0' + NEXT() % 10);
        } else {
            /* junk from number characters */
            int len = (int)(NEXT() % 10);
            for (int k = 0; k < len; k++)
                text[n++] = "0123456789..eE+-"[NEXT() % 16];
        }
        text[n] = '\0';
        arena_mark m = arena_save(&A);
        const char *fmt = fmts[NEXT() % (sizeof fmts / sizeof fmts[0])];
        const val *el = n ? v_num_big(&A, text, n) : NULL;
        if (!el) {
            arena_restore(&A, m);
            continue;
        }
        vbuild b;
        vb_init(&b, &A);
        vb_push(&b, el);
        if (strcmp(fmt, "%v %v") == 0)
            vb_push(&b, el);
        const val *arr = vb_finish_array(&b), *general = sprintf_general(fmt, arr), *direct = NULL;
        int took = fmt_test_direct(&A, fmt, strlen(fmt), arr, &direct);
        compared++;
        if (took == 1) {
            taken++;
            long_taken += kind != 4 && n > 20;
            if (!general || !val_equal(direct, general)) {
                if (mismatches++ < 10)
                    fprintf(stderr, "  sprintf(\"%s\", [%s]): direct \"%s\", general \"%s\"\n", fmt, text,
                            direct->u.s, general ? general->u.s : "(error)");
            }
        }
        arena_restore(&A, m);
    }
#undef NEXT
    CHECK(mismatches == 0);
    /* the generator must reach the direct writer in bulk, long texts too */
    CHECK(taken > compared / 4);
    CHECK(long_taken > compared / 20);
}

/* The word-at-a-time reader of short plain decimals against the full
 * reader, over texts shaped like sum's results: up to 32 characters,
 * tails of zeros or nines (carries, midpoints), junk in the middle. Both
 * only accept digits they prove, so where both decide they must agree
 * digit for digit; the fast one must decide the usual shape, and the
 * NUM_BIG %v output is also compared with the general path. */
static void test_sprintf_decimal_reader(void)
{
    static const struct {
        const char *text, *digits;
        int dp;
    } pins[] = {
        {"57450.740000000000002", "5745074", 5},
        {"-2.50000000000000000001", "25", 1},
        {"9999.9999999999999999", "1", 5},
        {"0.000123400000000000000001", "1234", -3},
        {"12500.5", "125005", 5},
    };
    for (size_t i = 0; i < sizeof pins / sizeof pins[0]; i++) {
        char dig[32];
        size_t nd = 0;
        int dp = 0;
        int kind = fmt_test_number_text(pins[i].text, strlen(pins[i].text), true, dig, &nd, &dp);
        bool ok = kind == 2 && nd == strlen(pins[i].digits) && memcmp(dig, pins[i].digits, nd) == 0 &&
                  dp == pins[i].dp;
        CHECK(ok);
        if (!ok)
            fprintf(stderr, "  %s: %d %.*s/%d\n", pins[i].text, kind, (int)nd, dig, dp);
    }
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    int both = 0, fast_only = 0, full_only = 0, differ = 0, shaped = 0, out_differ = 0;
    for (int iter = 0; iter < 200000; iter++) {
        char text[48];
        size_t n = 0;
        if (xorshift64(&rng) % 3 == 0)
            text[n++] = '-';
        int before = 1 + (int)(xorshift64(&rng) % 12), after = 1 + (int)(xorshift64(&rng) % 24);
        if ((size_t)(before + after + 1) + n > 32 + (xorshift64(&rng) % 4 == 0 ? 2 : 0))
            after = 32 - (int)n - before - 1 > 0 ? 32 - (int)n - before - 1 : 1;
        char digs[48];
        int nd_all = before + after;
        for (int k = 0; k < nd_all; k++)
            digs[k] = (char)('0' + xorshift64(&rng) % 10);
        if (xorshift64(&rng) % 2 && nd_all > 8) {
            char fill = xorshift64(&rng) % 2 ? '0' : '9';
            int from = 1 + (int)(xorshift64(&rng) % (uint64_t)(nd_all - 2));
            for (int k = from; k < nd_all - 1; k++)
                digs[k] = fill;
        }
        if (xorshift64(&rng) % 5 == 0)
            digs[0] = '0';
        for (int k = 0; k < before; k++)
            text[n++] = digs[k];
        text[n++] = '.';
        for (int k = before; k < nd_all; k++)
            text[n++] = digs[k];
        if (xorshift64(&rng) % 20 == 0)
            text[xorshift64(&rng) % n] = "e.-+x"[xorshift64(&rng) % 5];
        text[n] = '\0';
        char d1[32], d2[32];
        size_t n1 = 0, n2 = 0;
        int p1 = 0, p2 = 0;
        int k1 = fmt_test_number_text(text, n, true, d1, &n1, &p1);
        int k2 = fmt_test_number_text(text, n, false, d2, &n2, &p2);
        shaped += n <= 32;
        if (k1 >= 0 && k2 == 2) {
            both++;
            if (k1 != k2 || n1 != n2 || p1 != p2 || memcmp(d1, d2, n1) != 0) {
                if (differ++ < 5)
                    fprintf(stderr, "  %s: fast %d %.*s/%d, full %d %.*s/%d\n", text, k1, (int)n1, d1, p1, k2,
                            (int)n2, d2, p2);
            }
        } else if (k1 >= 0) {
            fast_only++;
        } else if (k2 == 2 && n <= 32 && !strpbrk(text, "eE") && text[text[0] == '-'] != '.') {
            if (full_only++ < 5)
                fprintf(stderr, "  full only: %s\n", text);
        }
        if (iter % 8 == 0) {
            arena_mark m = arena_save(&A);
            const val *arr = big_args(text), *o = sprintf_general("<%v>", arr), *d = NULL;
            int took = fmt_test_direct(&A, "<%v>", 4, arr, &d);
            if (took == 1 && (!o || !val_equal(o, d)) && out_differ++ < 5)
                fprintf(stderr, "  sprintf(<%%v>, %s): direct %s, general %s\n", text, d->u.s,
                        o ? o->u.s : "(error)");
            arena_restore(&A, m);
        }
    }
    CHECK(differ == 0);
    CHECK(out_differ == 0);
    /* a text one reader vouches for and the other not would need its
     * 17th or 18th digit to decide the rounding margin: none expected;
     * and the fast reader must take every short plain decimal (texts
     * with an exponent or no integer digits are the full reader's) */
    CHECK(fast_only == 0);
    CHECK(both > shaped / 2);
    CHECK(full_only == 0);
}

/* Literal runs of every length 0..40 around one verb, and a "%%" at every
 * position of a run: the scan that copies literals works in 16- and
 * 8-byte steps, so each boundary case is a different path. */
static void test_sprintf_literal_runs(void)
{
    const char *text = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
    int bad = 0;
    for (size_t pre = 0; pre <= 40; pre++) {
        for (size_t post = 0; post <= 40; post += (post < 20 ? 1 : 7)) {
            arena_mark m = arena_save(&A);
            char fmt[128], want[128];
            memcpy(fmt, text, pre);
            memcpy(fmt + pre, "%s", 2);
            memcpy(fmt + pre + 2, text + 3, post);
            memcpy(want, text, pre);
            memcpy(want + pre, "<x>", 3);
            memcpy(want + pre + 3, text + 3, post);
            const val *o = sprintf_of(fmt, pre + 2 + post, "[\"<x>\"]");
            if (!str_is(o, want, pre + 3 + post) && bad++ < 5)
                fprintf(stderr, "  literal run %zu/%zu wrong\n", pre, post);
            arena_restore(&A, m);
        }
    }
    for (size_t len = 0; len <= 40; len++) {
        for (size_t at = 0; at <= len; at++) {
            arena_mark m = arena_save(&A);
            char fmt[64], want[64];
            /* fmt: text[0..at) "%%" text[at..len); want: the same with one '%' */
            memcpy(fmt, text, at);
            memcpy(fmt + at, "%%", 2);
            memcpy(fmt + at + 2, text + at, len - at);
            memcpy(want, text, at);
            want[at] = '%';
            memcpy(want + at + 1, text + at, len - at);
            const val *o = sprintf_of(fmt, len + 2, "[]");
            if (!str_is(o, want, len + 1) && bad++ < 5)
                fprintf(stderr, "  %%%% at %zu of %zu wrong: \"%.*s\"\n", at, len, o ? (int)o->len : 0,
                        o ? o->u.s : "");
            arena_restore(&A, m);
        }
    }
    CHECK(bad == 0);
}

/* %d and %v of int64 against libc's %lld. */
static void test_sprintf_ints(void)
{
    int64_t vals[64];
    size_t nv = 0;
    int64_t p10 = 1;
    for (int k = 0; k <= 18; k++) {
        vals[nv++] = p10;
        vals[nv++] = p10 - 1;
        vals[nv++] = -p10;
        if (k < 18)
            p10 *= 10; /* 10^18 is the last power of ten in int64 */
    }
    vals[nv++] = INT64_MAX;
    vals[nv++] = INT64_MIN;
    vals[nv++] = INT64_MIN + 1;
    vals[nv++] = 5087;
    int bad = 0;
    for (size_t i = 0; i < nv; i++) {
        arena_mark m = arena_save(&A);
        char args[64], want[128];
        snprintf(args, sizeof args, "[%lld, %lld]", (long long)vals[i], (long long)vals[i]);
        int wl = snprintf(want, sizeof want, "<%lld|%lld>", (long long)vals[i], (long long)vals[i]);
        const val *o = sprintf_of("<%d|%v>", 7, args);
        if (!str_is(o, want, (size_t)wl) && bad++ < 5)
            fprintf(stderr, "  %%d of %lld: \"%.*s\"\n", (long long)vals[i], o ? (int)o->len : 0,
                    o ? o->u.s : "");
        arena_restore(&A, m);
    }
    CHECK(bad == 0);
}

/* %q of every ASCII byte at every position of strings of 1..20 bytes (the
 * printable-ASCII check reads 8 bytes at a time), against strconv.Quote's
 * rules; and %q / %s of the same operand in one format. */
static void test_sprintf_quote_ascii(void)
{
    int bad = 0;
    for (unsigned c = 1; c < 0x80; c++) {
        for (size_t len = 1; len <= 20; len++) {
            for (size_t at = 0; at < len; at += (len > 10 ? 3 : 1)) {
                arena_mark m = arena_save(&A);
                char raw[32], args[160], want[128];
                for (size_t i = 0; i < len; i++)
                    raw[i] = (char)('a' + i);
                raw[at] = (char)c;
                size_t al = 0;
                args[al++] = '[';
                al += json_quote(raw, len, args + al);
                args[al++] = ']';
                args[al] = '\0';
                size_t wl = 0;
                want[wl++] = '"';
                for (size_t i = 0; i < len; i++)
                    wl += go_quote_ascii((unsigned char)raw[i], want + wl);
                want[wl++] = '"';
                const val *o = sprintf_of("%q", 2, args);
                if (!str_is(o, want, wl) && bad++ < 5)
                    fprintf(stderr, "  %%q of byte 0x%02x at %zu of %zu: \"%.*s\"\n", c, at, len,
                            o ? (int)o->len : 0, o ? o->u.s : "");
                arena_restore(&A, m);
            }
        }
    }
    CHECK(bad == 0);
}

/* %q of strings of 1..20 bytes holding one non-ASCII character (é, which
 * strconv.Quote keeps as is), a byte >= 0x80 at every position of the
 * plain-ASCII test's blocks; and the direct writer in a fixed arena of
 * every size around its need, where it must write the general path's
 * text or leave the call to it, never past the arena (ASan checks). */
static void test_sprintf_quote_wide_and_room(void)
{
    int bad = 0;
    for (size_t len = 2; len <= 20; len++) {
        for (size_t at = 0; at + 2 <= len; at++) {
            arena_mark m = arena_save(&A);
            char raw[32], args[64], want[64];
            for (size_t i = 0; i < len; i++)
                raw[i] = (char)('a' + i);
            memcpy(raw + at, "\xc3\xa9", 2);
            int al = snprintf(args, sizeof args, "[\"%.*s\"]", (int)len, raw);
            int wl = snprintf(want, sizeof want, "<\"%.*s\">", (int)len, raw);
            const val *o = sprintf_of("<%q>", 4, args);
            if ((al < 0 || !str_is(o, want, (size_t)wl)) && bad++ < 5)
                fprintf(stderr, "  %%q of é at %zu of %zu: \"%.*s\"\n", at, len, o ? (int)o->len : 0,
                        o ? o->u.s : "");
            arena_restore(&A, m);
        }
    }
    CHECK(bad == 0);

    const char *fmt = "action %q on %s requires ownership or membership of %q (%d, %v)";
    const char *want = "action \"approve_payment\" on /payments/batches/2024-05-01 requires ownership or "
                       "membership of \"finance-writers\" (42, 57450.74)";
    static unsigned char mem[4096];
    int wrote = 0, left = 0;
    for (size_t size = 64; size <= 1024; size++) {
        arena fa;
        arena_init_fixed(&fa, mem, size);
        /* the operands live in A; the plan and the text in fa */
        arena_mark m = arena_save(&A);
        const val *el[5] = {v_str(&A, "approve_payment", 15), v_str(&A, "/payments/batches/2024-05-01", 28),
                            v_str(&A, "finance-writers", 15), v_int(&A, 42),
                            v_num_big(&A, "57450.740000000000002", 21)};
        vbuild b;
        vb_init(&b, &A);
        for (int i = 0; i < 5; i++)
            vb_push(&b, el[i]);
        const val *arr = vb_finish_array(&b), *o = NULL;
        int took = fmt_test_direct(&fa, fmt, strlen(fmt), arr, &o);
        if (took == 1) {
            wrote++;
            if (!str_is(o, want, strlen(want)) && bad++ < 5)
                fprintf(stderr, "  direct writer in %zu bytes: \"%s\"\n", size, o->u.s);
        } else {
            left++;
        }
        arena_restore(&A, m);
    }
    CHECK(bad == 0);
    CHECK(wrote > 0 && left > 0); /* both sides of the room test were reached */
}

/* Floats: %v is Go's %g with the shortest digits, which switches to %e
 * when the exponent is below -4 or at least 6 (strconv's eprec for
 * shortest); checked on values whose Go output is known. %.Ng and %e are
 * checked against libc, which formats finite doubles the same way. */
static void test_sprintf_floats(void)
{
    EXPECT_SPRINTF("%v|%v|%v|%v", "[0.1, 1.5, -2.5, 123.456]", "0.1|1.5|-2.5|123.456");
    EXPECT_SPRINTF("%v|%v|%v", "[1234567.891, 0.000123456, 0.0000123]",
                   "1.234567891e+06|0.000123456|1.23e-05");
    EXPECT_SPRINTF("%v|%v|%v", "[1e-7, 5e-324, 1.7976931348623157e308]",
                   "1e-07|5e-324|1.7976931348623157e+308");
    EXPECT_SPRINTF("%v|%v|%v", "[100000.5, 999999.5, 1000000.5]", "100000.5|999999.5|1.0000005e+06");
    EXPECT_SPRINTF("%v|%v|%v", "[57450.740000000000002, 1e100, 1.5e-300]", "57450.74|1e+100|1.5e-300");
    EXPECT_SPRINTF("%v|%v", "[0.3, 2.5e-5]", "0.3|2.5e-05");
    EXPECT_SPRINTF("%g|%G|%e", "[1e-7, 1e-7, 1e100]", "1e-07|1E-07|1.000000e+100");
    static const double vals[] = {0.1,           1.5,      123.456,       1234567.891, 0.000123456,
                                  0.5,           -2.5,     9.87654321e-5, 3.14159e21,  2.5e-300,
                                  6.02214076e23, 0.015625, 99.9999,       0.000099999, 1.25e-5};
    /* verb and precision (-1: none, libc's default 6 for %e) */
    static const struct {
        char verb;
        int prec;
    } cases[] = {{'g', 1}, {'g', 2},  {'g', 3}, {'g', 6}, {'g', 10}, {'g', 17},
                 {'g', 0}, {'e', -1}, {'e', 3}, {'e', 0}, {'E', -1}, {'E', 12}};
    int bad = 0;
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        for (size_t f = 0; f < sizeof cases / sizeof *cases; f++) {
            arena_mark m = arena_save(&A);
            char fmt[16], args[64], want[96];
            int prec = cases[f].prec < 0 ? 6 : cases[f].prec;
            if (cases[f].prec < 0)
                snprintf(fmt, sizeof fmt, "%%%c", cases[f].verb);
            else
                snprintf(fmt, sizeof fmt, "%%.%d%c", cases[f].prec, cases[f].verb);
            snprintf(args, sizeof args, "[%.17g]", vals[i]);
            int wl = cases[f].verb == 'g'   ? snprintf(want, sizeof want, "%.*g", prec, vals[i])
                     : cases[f].verb == 'e' ? snprintf(want, sizeof want, "%.*e", prec, vals[i])
                                            : snprintf(want, sizeof want, "%.*E", prec, vals[i]);
            const val *o = sprintf_of(fmt, strlen(fmt), args);
            if (!str_is(o, want, (size_t)wl) && bad++ < 5)
                fprintf(stderr, "  %s of %.17g: \"%.*s\", libc \"%s\"\n", fmt, vals[i], o ? (int)o->len : 0,
                        o ? o->u.s : "", want);
            arena_restore(&A, m);
        }
    }
    CHECK(bad == 0);
}

/* sprintf of one operand array built from vals (not JSON text). */
static const val *sprintf_vals(const char *fmt, const val *const *xs, uint32_t n)
{
    vbuild vb;
    vb_init(&vb, &A);
    for (uint32_t i = 0; i < n; i++)
        vb_push(&vb, xs[i]);
    const val *argv[2] = {v_str(&A, fmt, strlen(fmt)), vb_finish_array(&vb)};
    const val *o = NULL;
    if (!argv[0] || !argv[1] || sprintf_both(argv, &o) != BI_OK || !o || o->type != V_STR)
        return NULL;
    return o;
}

/* libc as the oracle of shortest digits: the fewest significant digits
 * p for which "%.{p-1}e" reads back as d. */
static int libc_shortest_digits(double d)
{
    char t[64];
    for (int p = 1; p <= 17; p++) {
        snprintf(t, sizeof t, "%.*e", p - 1, d);
        if (strtod(t, NULL) == d)
            return p;
    }
    return 17;
}

/* %v of a float whose value carries its decimal hint prints from the
 * hint's digits; the same double without a hint goes through the
 * shortest-digit search, and "%-v" through the general path. All three
 * must agree, read back as d, and have libc's shortest digit count. */
static void test_sprintf_float_hint(void)
{
    uint64_t rng = 0xD1B54A32D192ED03u;
    int bad = 0, hinted = 0;
    for (int iter = 0; iter < 30000; iter++) {
        arena_mark m = arena_save(&A);
        /* short decimals mant·10^e over the %e/%f switch and far out */
        uint64_t mant = 1 + rng_next(&rng) % (iter % 3 == 0 ? 999u : 999999999u);
        int e10 = (int)(rng_next(&rng) % 61) - 40;
        if (iter % 7 == 0)
            e10 = (int)(rng_next(&rng) % 600) - 320;
        char text[48];
        snprintf(text, sizeof text, "%s%llue%d", rng_next(&rng) % 4 == 0 ? "-" : "", (unsigned long long)mant,
                 e10);
        double d = strtod(text, NULL);
        const val *with = v_float(&A, d);
        if (!with || d == 0 || !isfinite(d) || with->nk != NUM_FLOAT) {
            arena_restore(&A, m);
            continue;
        }
        val bare = *with;
        bare.len = 0;
        bare.flags = 0;
        hinted += with->len != 0;
        const val *xw[1] = {with}, *xb[1] = {&bare};
        const val *a = sprintf_vals("%v", xw, 1), *b = sprintf_vals("%v", xb, 1),
                  *g = sprintf_vals("%-v", xw, 1);
        bool ok = a && b && g && val_equal(a, b) && val_equal(a, g);
        if (ok) {
            char back[64];
            snprintf(back, sizeof back, "%.*s", (int)a->len, a->u.s);
            int digits = 0;
            for (const char *c = back; *c && *c != 'e'; c++)
                digits += *c >= '0' && *c <= '9';
            /* leading zeros of 0.000ddd are not significant */
            for (const char *c = back + (back[0] == '-'); *c == '0' || *c == '.'; c++)
                digits -= *c == '0';
            ok = strtod(back, NULL) == d && digits == libc_shortest_digits(d);
        }
        if (!ok && bad++ < 5)
            fprintf(stderr, "  %%v of %.17g (hint %u): \"%.*s\" / \"%.*s\" / \"%.*s\"\n", d, with->len,
                    a ? (int)a->len : 0, a ? a->u.s : "", b ? (int)b->len : 0, b ? b->u.s : "",
                    g ? (int)g->len : 0, g ? g->u.s : "");
        arena_restore(&A, m);
    }
    CHECK(bad == 0);
    CHECK(hinted > 10000); /* the hinted path was exercised (integers and subnormals have none) */
    EXPECT_SPRINTF("%v|%v|%v|%v", "[57450.74, 100000.5, 1000000.5, 0.0001]",
                   "57450.74|100000.5|1.0000005e+06|0.0001");
}

/* Edge cases of the format string and operand list (Go's fmt notations). */
static void test_sprintf_edges(void)
{
    EXPECT_SPRINTF("abc%", "[]", "abc%!(NOVERB)");
    EXPECT_SPRINTF("%-", "[1]", "%!(NOVERB)%!(EXTRA int=1)");
    EXPECT_SPRINTF("%%|%d%%", "[5]", "%|5%");
    EXPECT_SPRINTF("%s and %q", "[\"a\"]", "a and %!q(MISSING)");
    EXPECT_SPRINTF("%s", "[\"a\", 1, 2.5]", "a%!(EXTRA int=1, float64=2.5)");
    EXPECT_SPRINTF("%d|%q|%s|%z", "[\"x\", 1.5, 3, \"y\"]",
                   "%!d(string=x)|%!q(float64=1.5)|%!s(int=3)|%!z(string=y)");
    EXPECT_SPRINTF("%6.2f|%-6s|%06d|%x|%.3s|%8q", "[3.14159, \"ab\", -42, \"hi\", \"abcdef\", \"q\"]",
                   "  3.14|ab    |-00042|6869|abc|     \"q\"");
    EXPECT_SPRINTF("%v|%s|%d",
                   "[123456789012345678901234567890, -98765432109876543210, 12345678901234567890]",
                   "123456789012345678901234567890|-98765432109876543210|12345678901234567890");
    EXPECT_SPRINTF("%q|%q", "[\"caf\\u00e9 \\u2603\", \"\\u0001\"]",
                   "\"caf\xc3\xa9 \xe2\x98\x83\"|\"\\x01\"");
    EXPECT_SPRINTF("%s", "[\"\"]", "");
    EXPECT_SPRINTF("[%s][%q][%v]", "[\"\", \"\", \"\"]", "[][\"\"][]");
    EXPECT_SPRINTF("%v %v %v", "[true, null, [1, \"a\"]]", "true null [1, \"a\"]");
    EXPECT_SPRINTF("%d %v", "[-9223372036854775808, 9223372036854775807]",
                   "-9223372036854775808 9223372036854775807");
    /* %T: fmt prints the Go type OPA converted the operand to */
    EXPECT_SPRINTF("%T %T %T %T %T", "[\"a\", 1, 1.5, 123456789012345678901234567890, true]",
                   "string int float64 *big.Int string");
    EXPECT_SPRINTF("[%8T|%-7T|%.3T]", "[1, 1.5, \"s\"]", "[     int|float64|str]");
    /* operands whose text holds '%' are copied, not interpreted */
    EXPECT_SPRINTF("%s|%q|%v", "[\"50%\", \"%d\", \"%%\"]", "50%|\"%d\"|%%");
}

static void test_render_template(void)
{
    const char *R = "strings.render_template";
    EXPECT(R, "[\"{{.test}}\", {\"test\": \"hello world\"}]", "\"hello world\"");
    EXPECT(R, "[\"{{.test}}\", {\"test\": 2023}]", "\"2023\"");
    EXPECT(R,
           "[\"{{range $i, $name := .hellonames}}{{if $i}},{{end}}hello {{$name}}{{end}}\", "
           "{\"hellonames\": [\"rohan\", \"john doe\"]}]",
           "\"hello rohan,hello john doe\"");
    EXPECT(R, "[\"{{.testvarnotprovided}}\", {\"test\": \"hello world\"}]", "\"<undefined>\"");
    EXPECT(R, "[\"test {{.foo}} {{.bar}} {{.baz}}\", {\"baz\": 1}]", "\"test <undefined> <undefined> 1\"");
    EXPECT(R, "[\"{{if .a}}yes{{else}}no{{end}}\", {\"a\": false}]", "\"no\"");
    EXPECT(R, "[\"{{if .a}}A{{else if .b}}B{{else}}C{{end}}\", {\"a\": \"\", \"b\": [1]}]", "\"B\"");
    EXPECT(R, "[\"{{range .xs}}[{{.}}]{{else}}none{{end}}\", {\"xs\": []}]", "\"none\"");
    EXPECT(R, "[\"{{range .xs}}[{{.}}]{{end}}\", {\"xs\": [1, \"a\", true]}]", "\"[1][a][true]\"");
    EXPECT(R, "[\"{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}\", {\"m\": {\"b\": 2, \"a\": 1}}]",
           "\"a=1;b=2;\"");
    EXPECT(R, "[\"{{with .u}}{{.name}}{{end}}\", {\"u\": {\"name\": \"bob\"}}]", "\"bob\"");
    EXPECT(R, "[\"a {{- /* c */ -}} b {{- .x }}\", {\"x\": \"!\"}]", "\"ab!\"");
    EXPECT(R, "[\"{{$x := .a}}{{$x}}{{$x = \\\"z\\\"}}{{$x}}\", {\"a\": \"y\"}]", "\"yz\"");
    EXPECT(R, "[\"{{.a}} {{.b}} {{.c}}\", {\"a\": [1, \"x\"], \"b\": {\"k\": null}, \"c\": null}]",
           "\"[1 x] map[k:<nil>] <nil>\"");
    EXPECT_BI_ERR(R, "[\"{{if .a}}x\", {\"a\": true}]", "strings.render_template: template:");
    EXPECT_BI_ERR(R, "[\"{{.a\", {}]", "unclosed action");
    EXPECT_TYPE_ERR(R, "[\"x\", []]", "strings.render_template: operand 2 must be object but got array");
}

static void test_regex(void)
{
    EXPECT("regex.match", "[\"^[a-z]+\\\\[[0-9]+\\\\]$\", \"foo[1]\"]", "true");
    EXPECT("regex.match", "[\"^$\", \"\"]", "true");
    EXPECT("regex.match", "[\"\", \"\"]", "true");
    EXPECT("regex.match", "[\"\", \"x\"]", "true");
    EXPECT("regex.match", "[\"^$\", \"something\"]", "false");
    EXPECT("regex.match", "[\"a$\", \"a\\n\"]", "false"); /* RE2: $ only at the very end */
    EXPECT_BI_ERR("regex.match", "[\"$^[[[\", \"something\"]", "regex.match: error parsing regexp:");
    EXPECT("re_match", "[\"^a\", \"abc\"]", "true");
    EXPECT("regex.is_valid", "[10]", "false");
    EXPECT("regex.is_valid", "[\"++\"]", "false");
    EXPECT("regex.is_valid", "[\".+\"]", "true");

    EXPECT("regex.find_n", "[\"a.\", \"paranormal\", -1]", "[\"ar\", \"an\", \"al\"]");
    EXPECT("regex.find_n", "[\"a.\", \"paranormal\", 2]", "[\"ar\", \"an\"]");
    EXPECT("regex.find_n", "[\"a.\", \"paranormal\", 0]", "[]");
    EXPECT("regex.find_n", "[\"^a.\", \"abacadaeaf\", -1]", "[\"ab\"]");
    EXPECT("regex.find_n", "[\".$\", \"abacadaeaf\", -1]", "[\"f\"]");
    EXPECT("regex.find_n", "[\"[abcdef]{2}\", \"abacadaeaf\", -1]",
           "[\"ab\", \"ac\", \"ad\", \"ae\", \"af\"]");
    EXPECT("regex.find_n", "[\"bork\", \"paranormal\", -1]", "[]");
    EXPECT("regex.find_n", "[\"a*\", \"baaab\", -1]", "[\"\", \"aaa\", \"\"]"); /* Go's empty-match rules */
    EXPECT_TYPE_ERR("regex.find_n", "[\"a\", \"a\", 1.5]",
                    "regex.find_n: operand 3 must be integer number but got floating-point number");

    const char *SM = "regex.find_all_string_submatch_n";
    EXPECT(SM, "[\"a(x*)b\", \"-\", -1]", "[]");
    EXPECT(SM, "[\"a(x*)b\", \"-ab-\", -1]", "[[\"ab\", \"\"]]");
    EXPECT(SM, "[\"a(x*)b\", \"-axxb-\", -1]", "[[\"axxb\", \"xx\"]]");
    EXPECT(SM, "[\"a(x*)b\", \"-ab-axb-\", -1]", "[[\"ab\", \"\"], [\"axb\", \"x\"]]");
    EXPECT(SM, "[\"a(x*)b\", \"-axxb-ab-\", -1]", "[[\"axxb\", \"xx\"], [\"ab\", \"\"]]");
    EXPECT(SM, "[\"[^aouiye]([aouiye])([^aouiye])?\", \"somestri\", -1]",
           "[[\"som\", \"o\", \"m\"], [\"ri\", \"i\", \"\"]]");
    EXPECT(SM, "[\"[^aouiye]([aouiye])([^aouiye])?\", \"somestri\", 1]", "[[\"som\", \"o\", \"m\"]]");
    EXPECT(SM, "[\"^.*$\", \"aaaaaaaaaabc\", -1]", "[[\"aaaaaaaaaabc\"]]");

    EXPECT("regex.split", "[\"^[a-z]+\\\\[[0-9]+\\\\]$\", \"\"]", "[\"\"]");
    EXPECT("regex.split", "[\"^[a-z]+\", \"foobar baz\"]", "[\"\", \" baz\"]");
    EXPECT("regex.split", "[\"[a-z]+$\", \"foobar baz\"]", "[\"foobar \", \"\"]");
    EXPECT("regex.split", "[\"^[a-z]+$\", \"foobar baz\"]", "[\"foobar baz\"]");
    EXPECT("regex.split", "[\"^[a-z ]+$\", \"foobar baz\"]", "[\"\", \"\"]");
    EXPECT("regex.split", "[\"a\", \"banana\"]", "[\"b\", \"n\", \"n\", \"\"]");
    EXPECT("regex.split", "[\"z+\", \"pizza\"]", "[\"pi\", \"a\"]");

    EXPECT("regex.replace", "[\"-wy-wxxy-\", \"w(x*)y\", \"0\"]", "\"-0-0-\"");
    EXPECT("regex.replace", "[\"foo\", \"(foo)\", \"$1$1\"]", "\"foofoo\"");
    EXPECT_BI_ERR("regex.replace", "[\"foo\", \"[\", \"$1\"]", "regex.replace: error parsing regexp:");
    EXPECT("regex.replace", "[\"foo\", \"^[a-z]\", \"F\"]", "\"Foo\"");
    EXPECT("regex.replace", "[\"foo\", \"^[a-z]$\", \"F\"]", "\"foo\"");
    EXPECT("regex.replace", "[\"foo\", \"^[a-z]+$\", \"M\"]", "\"M\"");
    EXPECT("regex.replace", "[\"foo\", \"[a-z]$\", \"F\"]", "\"foF\"");
    EXPECT("regex.replace", "[\"foo\", \"x[a-z]$\", \"F\"]", "\"foo\"");
    EXPECT("regex.replace", "[\"foo bar\", \"[a-z]\", \"_\"]", "\"___ ___\"");
    EXPECT("regex.replace", "[\"foo barx\", \"[a-z]{3}\", \"_\"]", "\"_ _x\"");
    EXPECT("regex.replace", "[\"foo barx\", \"[a-z]{2}\", \"_\"]", "\"_o __\"");
    EXPECT("regex.replace", "[\"abc\", \"x*\", \"-\"]", "\"-a-b-c-\"");
    EXPECT("regex.replace", "[\"ab\", \"(?P<first>a)\", \"[${first}]$$\"]", "\"[a]$b\"");

    const char *TM = "regex.template_match";
    EXPECT(TM, "[\"urn:foo:{.*}\", \"urn:foo:bar:baz\", \"{\", \"}\"]", "true");
    EXPECT(TM, "[\"urn:foo:<.*>\", \"urn:foo:bar:baz\", \"<\", \">\"]", "true");
    EXPECT(TM, "[\"urn:foo.bar:<[0-9]{2}>\", \"urn:fooxbar:12\", \"<\", \">\"]", "false");
    EXPECT(TM, "[\"urn:foo.bar:<[0-9]{2}>\", \"urn:foo.bar:12\", \"<\", \">\"]", "true");
    EXPECT_BI_ERR(TM, "[\"urn:{.*\", \"x\", \"{\", \"}\"]", "unbalanced braces");
    EXPECT_BI_ERR(TM, "[\"x\", \"x\", \"{{\", \"}\"]",
                  "start delimiter has to be exactly one character long but is 2 long");
}

static void test_regex_limits(void)
{
    /* Catastrophic backtracking must stop at the match limit, as an error. */
    C.regex_match_limit = 10000;
    EXPECT_BI_ERR("regex.match", "[\"^(a+)+$\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"]",
                  "regex.match: regular expression match limit exceeded");
    C.regex_match_limit = 0;
}

static void test_glob(void)
{
    const char *G = "glob.match";
    EXPECT(G, "[\"*.github.com\", [\".\"], \"api.github.com\"]", "true");
    EXPECT(G, "[\"api.**.com\", [\".\"], \"api.github.com\"]", "true");
    EXPECT(G, "[\"api.**.com\", [\".\"], \"api.cdn.github.com\"]", "true");
    EXPECT(G, "[\"*:github:com\", [\":\"], \"api:github:com\"]", "true");
    EXPECT(G, "[\"*.github.com\", [\".\"], \"api.not-github.com\"]", "false");
    EXPECT(G, "[\"[abc]at\", [], \"cat\"]", "true");
    EXPECT(G, "[\"[abc]at\", [], \"fat\"]", "false");
    EXPECT(G, "[\"[!abc]at\", [], \"fat\"]", "true");
    EXPECT(G, "[\"[!abc]at\", [], \"cat\"]", "false");
    EXPECT(G, "[\"[a-c]at\", [], \"bat\"]", "true");
    EXPECT(G, "[\"[a-c]at\", [], \"fat\"]", "false");
    EXPECT(G, "[\"[!a-c]at\", [], \"bat\"]", "false");
    EXPECT(G, "[\"[!a-c]at\", [], \"fat\"]", "true");
    EXPECT(G, "[\"?at\", [], \"fat\"]", "true");
    EXPECT(G, "[\"?at\", [], \"at\"]", "false");
    EXPECT(G, "[\"?at\", [\"f\"], \"bat\"]", "true");
    EXPECT(G, "[\"?at\", [\"f\"], \"fat\"]", "false");
    EXPECT(G, "[\"{cat,bat,[fr]at}\", [], \"cat\"]", "true");
    EXPECT(G, "[\"{cat,bat,[fr]at}\", [], \"bat\"]", "true");
    EXPECT(G, "[\"{cat,bat,[fr]at}\", [], \"fat\"]", "true");
    EXPECT(G, "[\"{cat,bat,[fr]at}\", [], \"rat\"]", "true");
    EXPECT(G, "[\"{cat,bat,[fr]at}\", [], \"at\"]", "false");
    EXPECT(G, "[\"*\", [\".\"], \"foo\"]", "true");
    EXPECT(G, "[\"*\", [], \"foo\"]", "true");
    EXPECT(G, "[\"*\", [\".\"], \"foo.bar\"]", "false");
    EXPECT(G, "[\"*\", [], \"foo.bar\"]", "false");
    EXPECT(G, "[\"*\", null, \"foo.bar\"]", "true");
    EXPECT(G, "[\"foo*\", null, \"foo.bar\"]", "true");
    EXPECT(G, "[\"*.github.com\", [\".\"], \"api.example.com\"]", "false");
    EXPECT(G, "[\"a{b,{c,d}e}f\", [], \"adef\"]", "true");
    EXPECT(G, "[\"a\\\\*b\", [], \"a*b\"]", "true");
    EXPECT(G, "[\"a\\\\*b\", [], \"axb\"]", "false");
    EXPECT(G, "[\"**/*.go\", [\"/\"], \"src/a/b.go\"]", "true");
    EXPECT(G, "[\"ä?ö\", [], \"äåö\"]", "true");
    /* pathological backtracking pattern stays linear */
    EXPECT(G, "[\"*a*a*a*a*a*a*a*a*a*a*a*a*b\", null, \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]",
           "false");
    EXPECT_BI_ERR(G, "[\"{a,b\", [], \"a\"]", "glob.match: unexpected end of input");
    EXPECT_BI_ERR(G, "[\"[a-cx]\", [], \"a\"]", "glob.match: expected close range character");
    EXPECT_TYPE_ERR(G, "[\"*\", [1], \"a\"]",
                    "glob.match: operand 2 must be array of strings but got array containing number");
    EXPECT_TYPE_ERR(G, "[\"*\", [\"ab\"], \"a\"]",
                    "glob.match: operand 2 must be array of runes but got array containing string");
    EXPECT_TYPE_ERR(G, "[\"*\", \".\", \"a\"]",
                    "glob.match: operand 2 must be one of {array, null} but got string");
    EXPECT_TYPE_ERR(G, "[\"*\", [], 1]", "glob.match: operand 3 must be string but got number");

    EXPECT("glob.quote_meta", "[\"*.github.com\"]", "\"\\\\*.github.com\"");
    EXPECT("glob.quote_meta", "[\"{a,b}[c]?\\\\\"]", "\"\\\\{a,b\\\\}\\\\[c\\\\]\\\\?\\\\\\\\\"");

    const char *GS = "regex.globs_match";
    EXPECT(GS, "[\"a.a.[0-9]+z\", \".b.b2359825792*594823z\"]", "true");
    EXPECT(GS, "[\"[a-z]+\", \"[0-9]*\"]", "false");
    EXPECT(GS, "[\"b.*\", \"bar\"]", "true");
    EXPECT(GS, "[\"b.*\", \"baz\"]", "true");
    EXPECT(GS, "[\"[a-z]+\\\\[[0-9]+\\\\]\", \"foo\\\\[1\\\\]\"]", "true");
    EXPECT(GS, "[\"[a-z]+\\\\[[0-9]+\\\\]\", \"foo[\\\"bar\\\"]\"]", "false");
    EXPECT(GS, "[\"a*\", \"\"]", "true");
    EXPECT(GS, "[\"a+\", \"\"]", "false");
    EXPECT_BI_ERR(GS, "[\"pqrs]\", \"[a-b]+\"]",
                  "input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid");
    EXPECT_BI_ERR(GS, "[\"*a\", \"a\"]", "flag '*' must be preceded by a non-flag");
    EXPECT_BI_ERR(GS, "[\"[ab\", \"a\"]", "found [ without matching ]");
}

/* The same glob cases through the per-context pattern cache: compiled on
 * first use, then hits, then with the cache full (later patterns compile
 * per call); syntax errors are reported every time, never cached. */
static void test_glob_cached(void)
{
    static unsigned char rx_mem[1 << 20];
    C.rx_cache = rx_cache_init(rx_mem, sizeof rx_mem, 0, 0);
    CHECK(C.rx_cache != NULL);
    test_glob();
    test_glob();
    char args[96];
    for (int i = 0; i < 100; i++) {
        snprintf(args, sizeof args, "[\"p%d*\", [], \"p%dx\"]", i, i);
        expect(__LINE__, "glob.match", args, "true");
        snprintf(args, sizeof args, "[\"p%d*\", [], \"q%dx\"]", i, i);
        expect(__LINE__, "glob.match", args, "false");
    }
    test_glob();
    rx_cache_release(C.rx_cache);
    C.rx_cache = NULL;
}

/* Calls a two-string builtin on raw bytes (JSON would replace invalid
 * UTF-8 by U+FFFD). */
static bi_fn regex_match_fn(void)
{
    return bi_table[bi_lookup("regex.match", strlen("regex.match"))].fn;
}

static bi_status call_raw2(bi_fn fn, const char *a, size_t an, const char *b, size_t bn, const val **out)
{
    val va = {.type = V_STR, .len = (uint32_t)an, .u.s = a};
    val vb = {.type = V_STR, .len = (uint32_t)bn, .u.s = b};
    const val *args[2] = {&va, &vb};
    C.err_code = POL_OK;
    C.err_msg[0] = '\0';
    *out = NULL;
    return fn(&C, args, out);
}

static void expect_raw_match(int line, const char *pat, const char *subj, size_t sn, int want)
{
    const val *o;
    bi_status st = call_raw2(regex_match_fn(), pat, strlen(pat), subj, sn, &o);
    int got = st != BI_OK ? -1 : o == VAL_TRUE ? 1 : 0;
    CHECK(got == want);
    if (got != want)
        fprintf(stderr, "  line %d: regex.match(%s, <%zu bytes>) want %d got %d (%s)\n", line, pat, sn, want,
                got, C.err_msg);
}
#define EXPECT_RAW_MATCH(pat, subj, want) expect_raw_match(__LINE__, pat, subj, sizeof subj - 1, want)

/* Subjects are checked for valid UTF-8 by us, then run without PCRE2's
 * own check (pcre2_jit_match when JIT-compiled): valid multi-byte text
 * matches by code point, invalid text is still PCRE2's UTF-8 error (a
 * match without the check would be undefined behaviour). */
static void test_regex_subjects(void)
{
    EXPECT_RAW_MATCH("^.$", "\xc3\xa9", 1);
    EXPECT_RAW_MATCH("^..$", "\xc3\xa9", 0);
    EXPECT_RAW_MATCH("^.{3}$", "a\xe2\x82\xac\xf0\x9d\x84\x9e", 1);
    EXPECT_RAW_MATCH("\xe2\x82\xac$", "abcdefghijklmnop\xe2\x82\xac", 1);
    EXPECT_RAW_MATCH("^[^a]$", "\xef\xbf\xbd", 1); /* a real U+FFFD is valid */
    EXPECT_RAW_MATCH("^[a-z]+$", "abcdefghijklmnopqrstuvwxyz", 1);
    EXPECT_RAW_MATCH("^[a-z]+$", "abcdefghijklmnopqrstuvwxyZ", 0);
    /* invalid after a run of ASCII words, overlong, surrogate, truncated, stray continuation */
    EXPECT_RAW_MATCH(".", "abcdefghij\xff", -1);
    EXPECT_RAW_MATCH(".", "abcdefgh\xc0\xaf", -1);
    EXPECT_RAW_MATCH(".", "\xed\xa0\x80", -1);
    EXPECT_RAW_MATCH(".", "abc\xe2\x82", -1);
    EXPECT_RAW_MATCH(".",
                     "\x80"
                     "abc",
                     -1);
    CHECK(strstr(C.err_msg, "regex.match: UTF-8 error") != NULL);
}

/* The regex cases again through the per-context cache (JIT-compiled, run
 * by pcre2_jit_match): the match limit still stops catastrophic
 * backtracking; a pattern's address is only a hint (an arena may put a
 * different pattern at the same address); more patterns than the cache
 * holds still match. */
/* One pattern and subject through the DFA (its answer want, -3 for
 * PCRE2's error), its chain test (chain: 1 a chain, 0 not) and PCRE2
 * itself, the oracle (an error is -1 there). */
static void check_chain_case(const char *pt, const char *sj, int chain, int want)
{
    static unsigned char dmem[1 << 16];
    arena da;
    arena_init_fixed(&da, dmem, sizeof dmem);
    CHECK(rx_test_dfa(&da, pt, strlen(pt), sj, strlen(sj)) == want);
    arena_init_fixed(&da, dmem, sizeof dmem);
    CHECK(rx_test_dfa_chain(&da, pt, strlen(pt)) == chain);
    expect_raw_match(__LINE__, pt, sj, strlen(sj), want < 0 ? -1 : want);
}

static void test_regex_cached(void)
{
    static unsigned char rx_mem[1 << 20];
    C.rx_cache = rx_cache_init(rx_mem, sizeof rx_mem, 10000, 0);
    CHECK(C.rx_cache != NULL);
    test_regex();
    test_regex();
    test_regex_subjects();
    /* pcre2_jit_match keeps the match limit (find_n never takes the DFA) */
    EXPECT_BI_ERR("regex.find_n", "[\"^(a+)+$\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\", 1]",
                  "regex.find_n: regular expression match limit exceeded");
    /* regex.match's DFA is linear-time, so it answers as Go's RE2 does */
    EXPECT("regex.match", "[\"^(a+)+$\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"]", "false");
    EXPECT("regex.match", "[\"^(a+)+$\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]", "true");

    /* the abac bench's patterns: they take the DFA, and answer as the
     * IBAN and employee-id formats say */
    static const struct {
        const char *pat, *subj;
        int want;
    } dfa_cases[] = {
        {"^emp-[0-9]{6}$", "emp-004211", 1},
        {"^emp-[0-9]{6}$", "emp-04211", 0},
        {"^emp-[0-9]{6}$", "emp-0042111", 0},
        {"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "DE89370400440532013000", 1},
        {"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "FR1420041010050500013M02606", 1},
        {"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "nl91abna0417164300", 0},
        {"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "DE8937040044053", 1}, /* 11 after the check digits */
        {"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "DE893704004405", 0},  /* 10 */
        {"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "DE89123456789012345678901234567890", 1},  /* 30 */
        {"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$", "DE891234567890123456789012345678901", 0}, /* 31 */
    };
    for (size_t i = 0; i < sizeof dfa_cases / sizeof *dfa_cases; i++) /* both are chains */
        check_chain_case(dfa_cases[i].pat, dfa_cases[i].subj, 1, dfa_cases[i].want);

    /* chains of up to 64 links (the most 64 positions make) get tables;
     * the subject's ASCII test comes before the tables' */
    static const struct {
        const char *pat, *subj;
        int chain, want;
    } run_cases[] = {
        {"^abcdefghijklmnopq$", "abcdefghijklmnopq", 1, 1},
        {"^abcdefghijklmnopq$", "abcdefghijklmnopp", 1, 0},
        {"^a{32}b{32}$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1, 1},
        {"^a{32}b{32}$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbba", 1, 0},
        {"^a{32}b{31}$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 1, 0},
        {"^[0-9]{3}$", "1\xc3\xa9", 1, 0}, /* non-ASCII: the full path decides */
        {"^[0-9]{3}$", "12\xc3", 1, -3},   /* invalid UTF-8: PCRE2's error */
    };
    for (size_t i = 0; i < sizeof run_cases / sizeof *run_cases; i++)
        check_chain_case(run_cases[i].pat, run_cases[i].subj, run_cases[i].chain, run_cases[i].want);

    char pat[8];
    const val *o;
    memcpy(pat, "^a+$", 5);
    CHECK(call_raw2(regex_match_fn(), pat, 4, "aaa", 3, &o) == BI_OK && o == VAL_TRUE);
    memcpy(pat, "^b+$", 5);
    CHECK(call_raw2(regex_match_fn(), pat, 4, "aaa", 3, &o) == BI_OK && o == VAL_FALSE);
    CHECK(call_raw2(regex_match_fn(), pat, 4, "bb", 2, &o) == BI_OK && o == VAL_TRUE);

    char args[96];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 200; i++) {
            /* the test arena is never reset: give each round's values back */
            arena_mark m = arena_save(&A);
            snprintf(args, sizeof args, "[\"^p%d$\", \"p%d\"]", i, i);
            expect(__LINE__, "regex.match", args, "true");
            snprintf(args, sizeof args, "[\"^p%d$\", \"p%dx\"]", i, i);
            expect(__LINE__, "regex.match", args, "false");
            snprintf(args, sizeof args, "[\"p%d*\", [], \"p%dx\"]", i, i);
            expect(__LINE__, "glob.match", args, "true");
            arena_restore(&A, m);
        }
    }
    test_regex();
    rx_cache_release(C.rx_cache);
    C.rx_cache = NULL;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static const char *const glob_pieces[] = {"a", "b", "/", ".", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9d\x84\x9e"};
static const char *const glob_text_junk[] = {"\xff", "\x80", "\xc0\xaf", "\xe2\x82", "\xef\xbf\xbd"};

static void put_piece(char *b, size_t *n, const char *esc)
{
    /* pieces are written with \xNN escapes for readability; decode them */
    for (const char *q = esc; *q;) {
        if (q[0] == '\\' && q[1] == 'x') {
            unsigned v;
            sscanf(q + 2, "%2x", &v);
            b[(*n)++] = (char)v;
            q += 4;
        } else {
            b[(*n)++] = *q++;
        }
    }
}

/* glob.match with one ASCII delimiter (its usual call: a cached glob run
 * directly) against the same delimiter listed twice (the general path,
 * which reads the list; a delimiter set either way), on random globs
 * (some outside the direct matcher, some invalid) and texts. */
static void test_glob_one_delimiter(void)
{
    static unsigned char rx_mem[1 << 20];
    C.rx_cache = rx_cache_init(rx_mem, sizeof rx_mem, 0, 0);
    CHECK(C.rx_cache != NULL);
    static const char *const pieces[] = {"a", "b",  "/",   ".",    "*",     "**",
                                         "?", "ab", "\\*", "[ab]", "{a,b}", "\xc3\xa9"};
    static const char *const text_pieces[] = {"a", "b", "/", ".", "ab", ":", "*", "\xc3\xa9", "\xff"};
    bi_fn fn = bi_table[bi_lookup("glob.match", 10)].fn;
    int bad = 0, runs = 0, trues = 0;
    for (int g = 0; g < 3000; g++) {
        char pat[64], txt[64];
        size_t pn = 0, tn = 0;
        for (int k = (int)rnd(5); k >= 0; k--)
            put_piece(pat, &pn, pieces[rnd(sizeof pieces / sizeof *pieces)]);
        for (int k = (int)rnd(7); k >= 0; k--)
            put_piece(txt, &tn, text_pieces[rnd(sizeof text_pieces / sizeof *text_pieces)]);
        const char *d = &"/.:"[rnd(3)];
        val vp = {.type = V_STR, .len = (uint32_t)pn, .u.s = pat},
            vt = {.type = V_STR, .len = (uint32_t)tn, .u.s = txt};
        val vd = {.type = V_STR, .len = 1, .u.s = d};
        const val *one[1] = {&vd}, *two[2] = {&vd, &vd};
        val l1 = {.type = V_ARR, .len = 1, .u.a = one}, l2 = {.type = V_ARR, .len = 2, .u.a = two};
        const val *a1[3] = {&vp, &l1, &vt}, *a2[3] = {&vp, &l2, &vt}, *o1 = NULL, *o2 = NULL;
        C.err_code = POL_OK;
        bi_status s1 = fn(&C, a1, &o1);
        char m1[sizeof C.err_msg];
        memcpy(m1, C.err_msg, sizeof m1);
        C.err_code = POL_OK;
        bi_status s2 = fn(&C, a2, &o2);
        runs++;
        trues += s1 == BI_OK && o1 == VAL_TRUE;
        if ((s1 != s2 || (s1 == BI_OK ? o1 != o2 : strcmp(m1, C.err_msg) != 0)) && bad++ < 5)
            fprintf(stderr, "  glob one delimiter: \"%.*s\" '%c' \"%.*s\": %d/%s, listed twice %d/%s\n",
                    (int)pn, pat, *d, (int)tn, txt, s1, o1 == VAL_TRUE ? "true" : "false", s2,
                    o2 == VAL_TRUE ? "true" : "false");
    }
    CHECK(bad == 0);
    CHECK(trues > runs / 20 && trues < runs - runs / 20);
    rx_cache_release(C.rx_cache);
    C.rx_cache = NULL;
}

/* regex.match's DFA against PCRE2 (the builtin without the pattern
 * cache, which never takes the DFA): generated patterns of the DFA's
 * subset — literals, escapes, classes, `.`, groups, `|`, every quantifier
 * form, lazy or not, anchors — and some just outside it, against random
 * subjects with '\n' and multi-byte code points. */
static void gen_rx_alt(char *b, size_t *n, int depth);

static void gen_rx_atom(char *b, size_t *n, int depth)
{
    static const char *const atoms[] = {"a",      "b",         "0",     "-",     "_",        ".",
                                        "\\.",    "\\-",       "\\d",   "\\w",   "\\D",      "\\W",
                                        "[ab]",   "[^a]",      "[a-c]", "[0-9]", "[\\d]",    "[a-]",
                                        "[\\w.]", "[^\\d\\n]", "\\s",   "\\n",   "\xc3\xa9", "[^b-z]"};
    uint32_t r = rnd(depth < 2 ? 30 : 24);
    if (r >= 24) {
        const char *open = r % 2 ? "(" : "(?:";
        memcpy(b + *n, open, strlen(open));
        *n += strlen(open);
        gen_rx_alt(b, n, depth + 1);
        b[(*n)++] = ')';
        return;
    }
    put_piece(b, n, atoms[r]);
}

static void gen_rx_seq(char *b, size_t *n, int depth)
{
    static const char *const quants[] = {"*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}", "{0}", "{3,5}"};
    int items = 1 + (int)rnd(4);
    for (int i = 0; i < items; i++) {
        gen_rx_atom(b, n, depth);
        if (rnd(2)) {
            const char *q = quants[rnd(sizeof quants / sizeof *quants)];
            memcpy(b + *n, q, strlen(q));
            *n += strlen(q);
            if (rnd(5) == 0)
                b[(*n)++] = '?';
        }
    }
}

static void gen_rx_alt(char *b, size_t *n, int depth)
{
    gen_rx_seq(b, n, depth);
    while (rnd(4) == 0) {
        b[(*n)++] = '|';
        gen_rx_seq(b, n, depth);
    }
}

/* One subject through regex.match's DFA and through PCRE2 (the builtin
 * without the pattern cache, which never takes the DFA): false when the
 * DFA does not take the subject; else the two answers (PCRE2's -1 for an
 * error). da is reset onto dmem for the DFA's build. */
static bool dfa_and_pcre2(arena *da, unsigned char *dmem, size_t dcap, const char *pat, size_t pn,
                          const char *subj, size_t sn, int *fast, int *want)
{
    arena_init_fixed(da, dmem, dcap);
    *fast = rx_test_dfa(da, pat, pn, subj, sn);
    if (*fast == -3)
        return false;
    arena_mark m = arena_save(&A);
    const val *o;
    bi_status st = call_raw2(regex_match_fn(), pat, pn, subj, sn, &o);
    *want = st == BI_OK ? o == VAL_TRUE : -1;
    arena_restore(&A, m);
    return true;
}

/* Chains (patterns anchored at both ends whose DFA has one live path, see
 * rx_dfa in bi_regex.c) against PCRE2: sequences of single-byte classes
 * under fixed and counted repetitions, some with an optional or
 * alternative piece (which may or may not keep the chain form), on
 * subjects spelled from the pattern's own pieces so that many match, then
 * damaged by one byte or one length. */
static void test_regex_dfa_chain_differential(void)
{
    static unsigned char dmem[1 << 20];
    static const struct {
        const char *rx, *sample; /* a class and bytes it or its neighbours hold */
    } pieces[] = {{"[A-Z]", "AQZa"}, {"[0-9]", "059x"}, {"[A-Z0-9]", "K7_k"},
                  {"-", "-+"},       {"a", "ab"},       {"\\d", "38d"},
                  {"\\w", "w_9-"},   {"[^b]", "ab\n"},  {"(?:ab|cd)", "abcdac"}};
    static const char *const counts[] = {"", "{2}", "{1,3}", "{0,2}", "?", "{3,5}"};
    arena da;
    long runs = 0, trues = 0, chains = 0, mismatches = 0, invalids = 0;
    for (int g = 0; g < 3000; g++) {
        char pat[256];
        size_t pn = 0;
        int item[6], cnt[6], items = 1 + (int)rnd(5);
        pat[pn++] = '^';
        for (int i = 0; i < items; i++) {
            item[i] = (int)rnd(sizeof pieces / sizeof *pieces);
            cnt[i] = (int)rnd(sizeof counts / sizeof *counts);
            pn += (size_t)snprintf(pat + pn, sizeof pat - pn, "%s%s", pieces[item[i]].rx, counts[cnt[i]]);
        }
        pat[pn++] = '$';
        pat[pn] = '\0';
        arena_init_fixed(&da, dmem, sizeof dmem);
        int chain = rx_test_dfa_chain(&da, pat, pn);
        if (chain != 1)
            continue;
        chains++;
        for (int k = 0; k < 30; k++) {
            char subj[128];
            size_t sn = 0;
            for (int i = 0; i < items; i++) {
                int reps = 1 + (int)rnd(4);
                for (int r = 0; r < reps && sn + 2 < sizeof subj; r++) {
                    const char *smp = pieces[item[i]].sample;
                    size_t take = item[i] == 8 ? 2 : 1, at = rnd((uint32_t)(strlen(smp) - take + 1));
                    memcpy(subj + sn, smp + at, take);
                    sn += take;
                }
            }
            /* damaged: a byte, the length, a valid non-ASCII character
             * (which no chain link allows), a byte of invalid UTF-8 (an
             * error from PCRE2: the chain must leave it undecided) */
            bool invalid = false;
            if (k % 5 == 1 && sn)
                subj[rnd((uint32_t)sn)] = "aZ5-_"[rnd(5)];
            if (k % 5 == 2 && sn)
                sn -= 1 + rnd((uint32_t)sn);
            if (k % 5 == 3 && sn + 2 <= sizeof subj) {
                size_t at = rnd((uint32_t)sn + 1);
                memmove(subj + at + 2, subj + at, sn - at);
                memcpy(subj + at, "\xc3\xa9", 2);
                sn += 2;
            }
            if (k % 5 == 4 && sn) {
                subj[rnd((uint32_t)sn)] = (char)"\xff\x80\xc3"[rnd(3)];
                invalid = true;
            }
            int fast, want;
            if (!dfa_and_pcre2(&da, dmem, sizeof dmem, pat, pn, subj, sn, &fast, &want)) {
                invalids += invalid;
                continue;
            }
            CHECK(!invalid); /* decided without the UTF-8 check */
            runs++;
            trues += want == 1;
            if (want != fast && mismatches++ < 10)
                fprintf(stderr, "  regex chain differential: /%s/ on \"%.*s\": pcre2 %d, dfa %d\n", pat,
                        (int)sn, subj, want, fast);
        }
    }
    CHECK(mismatches == 0);
    CHECK(chains > 500);
    CHECK(invalids > chains);
    CHECK(trues > runs / 20 && trues < runs - runs / 20);
}

/* Long chains (ID and account-number formats, 8 bytes and more) through
 * the link ranges, 16 bytes at a time (below 16, the first and last 8),
 * against the link tables, a byte at
 * a time, and against PCRE2: classes of one to three ranges and literals
 * under long counted repetitions, subjects spelled from the pieces and
 * then damaged by one byte (ASCII or not) or one length. */
static void test_regex_chain_ranges_differential(void)
{
    static unsigned char dmem[1 << 20];
    static const struct {
        const char *rx, *sample;
    } pieces[] = {{"[A-Z]", "AQZa@["}, {"[0-9]", "059x/:"},      {"[A-Z0-9]", "K7_k"}, {"-", "-+"},
                  {"x", "xy"},         {"[a-fA-F0-9]", "0fAGg"}, {"[^b]", "ab"},       {"[ -~]", "~ \x7f"}};
    static const struct {
        const char *rx;
        int lo, hi;
    } counts[] = {{"", 1, 1},        {"{2}", 2, 2},     {"{5,9}", 5, 9},
                  {"{8,20}", 8, 20}, {"{0,12}", 0, 12}, {"{16}", 16, 16}};
    arena da;
    long ranged = 0, ranged_true = 0, mismatches = 0, runs = 0;
    for (int g = 0; g < 2000; g++) {
        char pat[256];
        size_t pn = 0;
        int item[5], cnt[5], items = 1 + (int)rnd(5);
        pat[pn++] = '^';
        for (int i = 0; i < items; i++) {
            item[i] = (int)rnd(sizeof pieces / sizeof *pieces);
            cnt[i] = (int)rnd(sizeof counts / sizeof *counts);
            pn += (size_t)snprintf(pat + pn, sizeof pat - pn, "%s%s", pieces[item[i]].rx, counts[cnt[i]].rx);
        }
        pat[pn++] = '$';
        pat[pn] = '\0';
        for (int k = 0; k < 20; k++) {
            char subj[160];
            size_t sn = 0;
            for (int i = 0; i < items; i++) {
                int reps =
                    counts[cnt[i]].lo + (int)rnd((uint32_t)(counts[cnt[i]].hi - counts[cnt[i]].lo + 1));
                const char *smp = pieces[item[i]].sample;
                for (int r = 0; r < reps; r++)
                    subj[sn++] = rnd(8) ? smp[0] : smp[rnd((uint32_t)strlen(smp))];
            }
            if (k % 4 == 1 && sn)
                subj[rnd((uint32_t)sn)] = "aZ5-_~"[rnd(6)];
            if (k % 4 == 2 && sn)
                subj[rnd((uint32_t)sn)] = (char)"\xff\x80\xc3"[rnd(3)];
            if (k % 4 == 3 && sn)
                sn -= rnd(2);
            int tables = -9, ranges = -9;
            arena_init_fixed(&da, dmem, sizeof dmem);
            if (rx_test_chain_paths(&da, pat, pn, subj, sn, &tables, &ranges) != 1)
                continue;
            ranged++;
            ranged_true += ranges == 1;
            if (tables != ranges && mismatches++ < 10)
                fprintf(stderr, "  regex chain ranges: /%s/ on \"%.*s\": tables %d, ranges %d\n", pat,
                        (int)sn, subj, tables, ranges);
            int fast, want;
            if (ranges >= 0 && dfa_and_pcre2(&da, dmem, sizeof dmem, pat, pn, subj, sn, &fast, &want)) {
                runs++;
                if ((fast != ranges || want != ranges) && mismatches++ < 10)
                    fprintf(stderr, "  regex chain ranges: /%s/ on \"%.*s\": pcre2 %d, dfa %d, ranges %d\n",
                            pat, (int)sn, subj, want, fast, ranges);
            }
        }
    }
    CHECK(mismatches == 0);
    CHECK(ranged > 5000 && runs > ranged / 2);
    CHECK(ranged_true > ranged / 10 && ranged_true < ranged - ranged / 10);
}

static void test_regex_dfa_differential(void)
{
    static unsigned char dmem[1 << 20];
    arena da;
    static const char *const subj_pieces[] = {"a", "b", "c", "0", "5",  "-",
                                              ".", "_", "Z", " ", "\n", "\xc3\xa9"};
    long runs = 0, trues = 0, mismatches = 0, with_dfa = 0, patterns = 0;
    for (int g = 0; g < 4000; g++) {
        char pat[512];
        size_t pn = 0;
        if (rnd(5) < 2)
            pat[pn++] = '^';
        gen_rx_alt(pat, &pn, 0);
        if (rnd(5) < 2)
            pat[pn++] = '$';
        pat[pn] = '\0';
        arena_init_fixed(&da, dmem, sizeof dmem);
        if (rx_test_dfa(&da, pat, pn, "", 0) == -2)
            continue; /* outside the subset (or PCRE2 would reject it) */
        patterns++;
        for (int k = 0; k < 40; k++) {
            char subj[64];
            size_t sn = 0;
            int len = (int)rnd(9);
            for (int i = 0; i < len; i++)
                put_piece(subj, &sn, subj_pieces[rnd(sizeof subj_pieces / sizeof *subj_pieces)]);
            int fast, want;
            if (!dfa_and_pcre2(&da, dmem, sizeof dmem, pat, pn, subj, sn, &fast, &want))
                continue;
            runs++;
            with_dfa++;
            trues += want == 1;
            if (want != fast && mismatches++ < 10)
                fprintf(stderr, "  regex dfa differential: /%s/ on \"%.*s\": pcre2 %d, dfa %d (%s)\n", pat,
                        (int)sn, subj, want, fast, C.err_msg);
        }
    }
    CHECK(mismatches == 0);
    CHECK(patterns > 1000);
    CHECK(trues > runs / 10 && trues < runs - runs / 10);
    (void)with_dfa;
}

/* The direct glob matcher against the Pike VM: generated globs of
 * literals (ASCII, 2-, 3- and 4-byte UTF-8, delimiters), `?`, `*`, `**`
 * and escapes, each against texts made to match it (then sometimes
 * mutated) and random texts with invalid and overlong UTF-8, under
 * delimiter sets that include none, multi-byte runes and U+FFFD. */
static void test_glob_differential(void)
{
    static unsigned char gmem[1 << 20];
    arena ga;
    arena_init_fixed(&ga, gmem, sizeof gmem);
    static const int32_t delim_sets[][3] = {
        {0}, {'/'}, {'.'}, {'/', '.'}, {0xE9}, {0x20AC, '/'}, {0x1D11E}, {0xFFFD}, {'a', 'b'},
    };
    static const uint32_t delim_counts[] = {0, 1, 1, 2, 1, 2, 1, 1, 2};
    const int NSETS = (int)(sizeof delim_counts / sizeof delim_counts[0]);
    long runs = 0, matches = 0, mismatches = 0;
    for (int g = 0; g < 3000; g++) {
        char pat[64];
        size_t pn = 0;
        /* token kinds: 0 literal piece, 1 '?', 2 '*', 3 '**', 4 escaped star */
        int kinds[12], which[12];
        int nt = 1 + (int)rnd(8);
        for (int t = 0; t < nt; t++) {
            uint32_t r = rnd(10);
            kinds[t] = r < 5 ? 0 : r < 6 ? 1 : r < 8 ? 2 : r < 9 ? 3 : 4;
            which[t] = (int)rnd(sizeof glob_pieces / sizeof *glob_pieces);
            if (kinds[t] == 0)
                put_piece(pat, &pn, glob_pieces[which[t]]);
            else if (kinds[t] == 1)
                pat[pn++] = '?';
            else if (kinds[t] == 2)
                pat[pn++] = '*';
            else if (kinds[t] == 3)
                pat[pn++] = '*', pat[pn++] = '*';
            else
                pat[pn++] = '\\', pat[pn++] = '*';
        }
        for (int k = 0; k < 30; k++) {
            char txt[96];
            size_t tn = 0;
            if (k % 2 == 0) { /* an instance of the glob */
                for (int t = 0; t < nt; t++) {
                    int reps = kinds[t] == 1   ? 1
                               : kinds[t] == 2 ? (int)rnd(3)
                               : kinds[t] == 3 ? (int)rnd(5)
                                               : 0;
                    if (kinds[t] == 0)
                        put_piece(txt, &tn, glob_pieces[which[t]]);
                    else if (kinds[t] == 4)
                        txt[tn++] = '*';
                    for (int r = 0; r < reps; r++)
                        put_piece(txt, &tn, glob_pieces[rnd(sizeof glob_pieces / sizeof *glob_pieces)]);
                }
                if (rnd(3) == 0 && tn > 0) /* mutate one byte */
                    txt[rnd((uint32_t)tn)] = "ab/.\x80"[rnd(5)];
            } else {
                int len = (int)rnd(9);
                for (int i = 0; i < len; i++) {
                    if (rnd(6) == 0)
                        put_piece(txt, &tn,
                                  glob_text_junk[rnd(sizeof glob_text_junk / sizeof *glob_text_junk)]);
                    else
                        put_piece(txt, &tn, glob_pieces[rnd(sizeof glob_pieces / sizeof *glob_pieces)]);
                }
            }
            for (int d = 0; d < NSETS; d++) {
                arena_reset(&ga);
                int slow = glob_test_match(&ga, pat, pn, delim_sets[d], delim_counts[d], txt, tn, false);
                int fast = glob_test_match(&ga, pat, pn, delim_sets[d], delim_counts[d], txt, tn, true);
                runs++;
                matches += slow == 1;
                if (slow < 0 || fast != slow) {
                    if (mismatches++ < 10)
                        fprintf(stderr,
                                "  glob differential: \"%.*s\" delims#%d text \"%.*s\": pike %d, direct %d\n",
                                (int)pn, pat, d, (int)tn, txt, slow, fast);
                }
            }
        }
    }
    CHECK(mismatches == 0);
    /* the generator must exercise both outcomes substantially */
    CHECK(matches > runs / 10 && matches < runs - runs / 10);
}

/* startswith and endswith with affixes of every length 0..40, each with
 * one byte changed at every position, against memcmp as the oracle (the
 * comparison is inline, by words and overlapping words). */
static void test_affix_lengths(void)
{
    const char *text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
    size_t tn = strlen(text);
    int bad = 0;
    for (size_t len = 0; len <= 40; len++) {
        for (size_t at = 0; at <= len; at++) {
            arena_mark m = arena_save(&A);
            char pre[48], suf[48];
            memcpy(pre, text, len);
            memcpy(suf, text + tn - len, len);
            if (at < len)
                pre[at] = suf[at] = '#';
            const val *s = v_str(&A, text, tn);
            const val *pa[2] = {s, v_str(&A, pre, len)}, *sa[2] = {s, v_str(&A, suf, len)};
            const val *po = NULL, *so = NULL;
            CHECK(bi_table[bi_lookup("startswith", 10)].fn(&C, pa, &po) == BI_OK);
            CHECK(bi_table[bi_lookup("endswith", 8)].fn(&C, sa, &so) == BI_OK);
            bool want_p = memcmp(text, pre, len) == 0, want_s = memcmp(text + tn - len, suf, len) == 0;
            if ((po != VAL_BOOL(want_p) || so != VAL_BOOL(want_s)) && bad++ < 5)
                fprintf(stderr, "  affix of %zu, byte %zu changed: startswith/endswith wrong\n", len, at);
            arena_restore(&A, m);
        }
    }
    CHECK(bad == 0);
}

/* A literal glob of every length 1..40 (and one with a final '*' after
 * it) against the same text with one byte changed at each position, and
 * a prefix one byte short: the direct matcher compares short literals by
 * overlapping words, so a difference at any byte must be seen. Oracle:
 * memcmp, and the Pike VM. */
static void test_glob_literal_lengths(void)
{
    static unsigned char gmem[1 << 16];
    arena ga;
    arena_init_fixed(&ga, gmem, sizeof gmem);
    const char *text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
    int bad = 0;
    for (size_t len = 1; len <= 40; len++) {
        char pat[48], txt[48];
        memcpy(pat, text, len);
        pat[len] = '*';
        for (size_t at = 0; at <= len; at++) {
            memcpy(txt, text, len);
            if (at < len)
                txt[at] = '#';
            bool want = at == len;
            for (int star = 0; star < 2; star++) {
                arena_reset(&ga);
                int fast = glob_test_match(&ga, pat, len + (size_t)star, NULL, 0, txt, len, true);
                int slow = glob_test_match(&ga, pat, len + (size_t)star, NULL, 0, txt, len, false);
                if ((fast != want || slow != want) && bad++ < 5)
                    fprintf(stderr, "  glob literal of %zu, byte %zu changed: direct %d, pike %d\n", len, at,
                            fast, slow);
            }
        }
        /* the text one byte short of the literal */
        arena_reset(&ga);
        if (glob_test_match(&ga, pat, len, NULL, 0, text, len - 1, true) != 0 && bad++ < 5)
            fprintf(stderr, "  glob literal of %zu matched a shorter text\n", len);
    }
    CHECK(bad == 0);
}

/* OPA's documented glob.match examples and path-shaped globs like those
 * of the abac bench, each through both matchers. */
static void test_glob_pinned(void)
{
    static unsigned char gmem[1 << 16];
    arena ga;
    arena_init_fixed(&ga, gmem, sizeof gmem);
    static const struct {
        const char *pat, *txt;
        int32_t delim; /* -1: null delimiters */
        int want;
    } cases[] = {
        {"*.github.com", "api.github.com", '.', 1},
        {"*.github.com", "api.cdn.github.com", '.', 0},
        {"*hub.com", "api.cdn.github.com", -1, 1},
        {"*:github:com", "api:github:com", ':', 1},
        {"api.**.com", "api.github.com", '.', 1},
        {"api.**.com", "api.cdn.github.com", '.', 1},
        {"?at", "cat", '.', 1},
        {"?at", "at", '.', 0},
        {"/finance/**", "/payments/batches/2024-05-01", '/', 0},
        {"/shared/*/reports/**", "/payments/batches/2024-05-01", '/', 0},
        {"/payments/batches/*", "/payments/batches/2024-05-01", '/', 1},
        {"/payments/batches/*", "/payments/batches/2024/05", '/', 0},
        {"/payments/**", "/payments/batches/2024/05", '/', 1},
        {"/shared/*/reports/**", "/shared/x/reports/q1/a", '/', 1},
        {"/shared/*/reports/**", "/shared/x/y/reports/q1", '/', 0},
        {"**/*.go", "src/a/b.go", '/', 1},
        {"**/*.go", "b.go", '/', 0},
        {"**.go", "b.go", '/', 1},
        {"a*b*c", "a/b/c", '/', 0},
        {"a**b*c", "a/b/c", '/', 0},
        {"a**b*c", "a/x/bxc", '/', 1},
        {"a**b*c", "a/bx/b/xc", '/', 0},
        {"a*/b", "ab/b", '/', 1},
        {"", "", '/', 1},
        {"", "a", '/', 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int32_t d = cases[i].delim;
        uint32_t nd = d < 0 ? 0 : 1;
        for (int fast = 0; fast < 2; fast++) {
            arena_reset(&ga);
            int got = glob_test_match(&ga, cases[i].pat, strlen(cases[i].pat), &d, nd, cases[i].txt,
                                      strlen(cases[i].txt), fast);
            CHECK(got == cases[i].want);
            if (got != cases[i].want)
                fprintf(stderr, "  glob.match(%s, %s): %s got %d\n", cases[i].pat, cases[i].txt,
                        fast ? "direct" : "pike", got);
        }
    }
}

int main(void)
{
    arena_init_fixed(&A, mem, sizeof mem);
    memset(&C, 0, sizeof C);
    C.arena = &A;
    test_basic_strings();
    test_trim();
    test_positions();
    test_affix_match();
    test_units();
    test_template_string();
    test_template_string_sets();
    test_sprintf();
    test_sprintf_fast_matches_general();
    test_sprintf_literal_runs();
    test_sprintf_ints();
    test_sprintf_quote_ascii();
    test_sprintf_quote_wide_and_room();
    test_sprintf_floats();
    test_sprintf_float_hint();
    test_sprintf_edges();
    test_sprintf_planned();
    test_sprintf_int_lengths();
    test_sprintf_big_numbers();
    test_sprintf_decimal_reader();
    test_render_template();
    test_regex();
    test_regex_limits();
    test_glob();
    test_glob_cached();
    test_glob_one_delimiter();
    test_glob_pinned();
    test_regex_subjects();
    test_regex_cached();
    test_regex_dfa_differential();
    test_regex_dfa_chain_differential();
    test_regex_chain_ranges_differential();
    test_glob_differential();
    test_glob_literal_lengths();
    test_affix_lengths();
    return TEST_SUMMARY();
}
