/* Unit tests for the core builtins (bi_core.c). Expected values come from
 * OPA's conformance cases (folder named in the comments) and OPA's builtin
 * documentation; each call goes through the builtin table by name. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "stdlib/bi_text.h"
#include "stdlib/builtins.h"
#include "vm/numconv.h"

typedef struct tctx {
    arena a;
    bi_ctx c;
} tctx;

static tctx T;

/* Parses JSON test input; aborts the test run on a typo in the test. */
static const val *J(const char *s)
{
    json_error e;
    const val *v = json_parse(&T.a, s, strlen(s), &e);
    if (!v) {
        fprintf(stderr, "bad test JSON: %s (%s)\n", s, e.msg);
        exit(2);
    }
    return v;
}

/* A set from a JSON array. */
static const val *S(const char *arr)
{
    const val *a = J(arr);
    vbuild b;
    vb_init(&b, &T.a);
    for (uint32_t i = 0; i < a->len; i++)
        vb_push(&b, a->u.a[i]);
    return vb_finish_set(&b);
}

/* A set of sets from a JSON array of arrays. */
static const val *SS(const char *arr)
{
    const val *a = J(arr);
    vbuild b;
    vb_init(&b, &T.a);
    for (uint32_t i = 0; i < a->len; i++) {
        vbuild e;
        vb_init(&e, &T.a);
        for (uint32_t j = 0; j < a->u.a[i]->len; j++)
            vb_push(&e, a->u.a[i]->u.a[j]);
        vb_push(&b, vb_finish_set(&e));
    }
    return vb_finish_set(&b);
}

static const char *text(const val *v)
{
    static char buf[4096];
    sbuf b;
    sb_init(&b, buf, sizeof buf);
    if (v)
        rego_write(&b, v);
    else
        sb_puts(&b, "<undefined>");
    buf[b.len < sizeof buf ? b.len : sizeof buf - 1] = '\0';
    return buf;
}

static bi_status call(int line, const char *name, const val *const *args, int argc, const val **out)
{
    int id = bi_lookup(name, strlen(name));
    if (id < 0) {
        fprintf(stderr, "test_core.c:%d: no builtin %s\n", line, name);
        return BI_ERR;
    }
    if (bi_table[id].arity != argc)
        fprintf(stderr, "test_core.c:%d: %s takes %d operands, test passes %d\n", line, name,
                bi_table[id].arity, argc);
    T.c.err_msg[0] = '\0';
    T.c.err_code = POL_OK;
    *out = NULL;
    return bi_table[id].fn(&T.c, args, out);
}

static void expect_ok(int line, const char *name, const val *want, const val *const *args, int argc)
{
    const val *out;
    bi_status st = call(line, name, args, argc, &out);
    if (st == BI_OK && out && val_equal(out, want)) {
        test_st.passed++;
        return;
    }
    test_st.failed++;
    fprintf(stderr, "test_core.c:%d: %s: status %d (%s) got %s", line, name, st, T.c.err_msg, text(out));
    fprintf(stderr, " want %s\n", text(want));
}

/* The result printed as JSON (checks number spelling, string bytes). */
static void expect_json(int line, const char *name, const char *want, const val *const *args, int argc)
{
    const val *out;
    bi_status st = call(line, name, args, argc, &out);
    char buf[4096];
    sbuf b;
    sb_init(&b, buf, sizeof buf);
    if (st == BI_OK && out)
        json_write(&b, out, 0);
    buf[b.len < sizeof buf ? b.len : sizeof buf - 1] = '\0';
    if (st == BI_OK && strcmp(buf, want) == 0) {
        test_st.passed++;
        return;
    }
    test_st.failed++;
    fprintf(stderr, "test_core.c:%d: %s: status %d (%s) got %s want %s\n", line, name, st, T.c.err_msg, buf,
            want);
}

static void expect_err(int line, const char *name, pol_status code, const char *msg, const val *const *args,
                       int argc)
{
    const val *out;
    bi_status st = call(line, name, args, argc, &out);
    if (st == BI_ERR && T.c.err_code == code && strstr(T.c.err_msg, msg)) {
        test_st.passed++;
        return;
    }
    test_st.failed++;
    fprintf(stderr,
            "test_core.c:%d: %s: status %d code %d msg \"%s\" result %s; want error %d containing \"%s\"\n",
            line, name, st, T.c.err_code, T.c.err_msg, text(out), code, msg);
}

static void expect_undef(int line, const char *name, const val *const *args, int argc)
{
    const val *out;
    bi_status st = call(line, name, args, argc, &out);
    if (st == BI_UNDEF) {
        test_st.passed++;
        return;
    }
    test_st.failed++;
    fprintf(stderr, "test_core.c:%d: %s: want undefined, got status %d (%s) %s\n", line, name, st,
            T.c.err_msg, text(out));
}

#define ARGV(...) ((const val *const[]){__VA_ARGS__})
#define ARGC(...) ((int)(sizeof((const val *const[]){__VA_ARGS__}) / sizeof(const val *)))
#define OK(name, want, ...) expect_ok(__LINE__, name, want, ARGV(__VA_ARGS__), ARGC(__VA_ARGS__))
#define OKJ(name, want, ...) expect_json(__LINE__, name, want, ARGV(__VA_ARGS__), ARGC(__VA_ARGS__))
#define ERR(name, code, msg, ...) expect_err(__LINE__, name, code, msg, ARGV(__VA_ARGS__), ARGC(__VA_ARGS__))
#define TERR(name, msg, ...) ERR(name, POL_EVAL_TYPE, msg, __VA_ARGS__)
#define BERR(name, msg, ...) ERR(name, POL_EVAL_BUILTIN, msg, __VA_ARGS__)
#define UNDEF(name, ...) expect_undef(__LINE__, name, ARGV(__VA_ARGS__), ARGC(__VA_ARGS__))

static const val *TRUE_(void)
{
    return VAL_TRUE;
}
static const val *FALSE_(void)
{
    return VAL_FALSE;
}
#define T_ TRUE_()

static const val *A1(const val *x)
{
    vbuild b;
    vb_init(&b, &T.a);
    vb_push(&b, x);
    return vb_finish_array(&b);
}

static const val *A2(const val *x, const val *y)
{
    vbuild b;
    vb_init(&b, &T.a);
    vb_push(&b, x);
    vb_push(&b, y);
    return vb_finish_array(&b);
}
#define F_ FALSE_()

/* ---------------------------------------------------------------------- */

static void test_table(void)
{
    /* Arities from capabilities.json. */
    static const struct {
        const char *name;
        int arity;
    } rows[] = {
        {"plus", 2},
        {"minus", 2},
        {"mul", 2},
        {"div", 2},
        {"rem", 2},
        {"and", 2},
        {"or", 2},
        {"equal", 2},
        {"neq", 2},
        {"lt", 2},
        {"lte", 2},
        {"gt", 2},
        {"gte", 2},
        {"internal.member_2", 2},
        {"internal.member_3", 3},
        {"count", 1},
        {"sum", 1},
        {"product", 1},
        {"max", 1},
        {"min", 1},
        {"sort", 1},
        {"abs", 1},
        {"round", 1},
        {"ceil", 1},
        {"floor", 1},
        {"numbers.range", 2},
        {"numbers.range_step", 3},
        {"to_number", 1},
        {"format_int", 2},
        {"bits.and", 2},
        {"bits.or", 2},
        {"bits.xor", 2},
        {"bits.negate", 1},
        {"bits.lsh", 2},
        {"bits.rsh", 2},
        {"is_number", 1},
        {"is_string", 1},
        {"is_boolean", 1},
        {"is_array", 1},
        {"is_set", 1},
        {"is_object", 1},
        {"is_null", 1},
        {"type_name", 1},
        {"array.concat", 2},
        {"array.slice", 3},
        {"array.reverse", 1},
        {"array.flatten", 1},
        {"object.get", 3},
        {"object.keys", 1},
        {"object.union", 2},
        {"object.union_n", 1},
        {"object.remove", 2},
        {"object.filter", 2},
        {"object.subset", 2},
        {"json.remove", 2},
        {"json.filter", 2},
        {"json.patch", 2},
        {"intersection", 1},
        {"union", 1},
        {"json.marshal", 1},
        {"json.marshal_with_options", 2},
        {"json.unmarshal", 1},
        {"json.is_valid", 1},
        {"yaml.marshal", 1},
        {"yaml.unmarshal", 1},
        {"yaml.is_valid", 1},
        {"base64.encode", 1},
        {"base64.decode", 1},
        {"base64.is_valid", 1},
        {"base64url.encode", 1},
        {"base64url.encode_no_pad", 1},
        {"base64url.decode", 1},
        {"hex.encode", 1},
        {"hex.decode", 1},
        {"urlquery.encode", 1},
        {"urlquery.decode", 1},
        {"urlquery.encode_object", 1},
        {"urlquery.decode_object", 1},
        {"walk", 1},
        {"graph.reachable", 2},
        {"graph.reachable_paths", 2},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int id = bi_lookup(rows[i].name, strlen(rows[i].name));
        CHECK(id >= 0 && bi_table[id].arity == rows[i].arity);
    }
    int w = bi_lookup("walk", 4);
    CHECK(w >= 0 && (bi_table[w].flags & BIF_RELATION));
    int p = bi_lookup("plus", 4);
    CHECK(p >= 0 && (bi_table[p].flags & BIF_INFIX));
}

static void test_arithmetic(void)
{
    /* arithmetic/ */
    OK("plus", J("3"), J("1"), J("2"));
    OK("minus", J("-1"), J("0"), J("1"));
    OK("mul", J("12"), J("3"), J("4"));
    OK("plus", J("49649733058"), J("49649733057"), J("1")); /* bug 2469 - precision */
    OK("rem", J("3"), J("7"), J("4"));
    BERR("rem", "rem: modulo by zero", J("7"), J("0"));
    BERR("rem", "rem: modulo on floating-point number", J("1.1"), J("1"));
    BERR("div", "div: divide by zero", J("1"), J("0"));
    BERR("div", "div: divide by zero", J("1.5"), J("0.0"));
    OK("div", J("0.5"), J("1"), J("2"));
    OK("div", J("2"), J("4"), J("2"));
    OK("rem", J("-1"), J("-7"), J("2")); /* truncated, sign of the dividend (Go) */
    TERR("plus", "plus: operand 1 must be number but got string", J("\"a\""), J("1"));
    TERR("mul", "mul: operand 2 must be number but got null", J("1"), J("null"));
    /* minus: set difference and the two type errors of the conformance case */
    OK("minus", S("[2,4]"), S("[1,2,3,4]"), S("[1,3]"));
    OK("minus", S("[2]"), S("[1,2,\"c\"]"), S("[\"c\",1]"));
    TERR("minus", "minus: operand 2 must be set but got number", S("[1]"), J("1"));
    TERR("minus", "minus: operand 2 must be number but got set", J("1"), S("[1]"));
    TERR("minus", "minus: operand 1 must be one of {number, set} but got string", J("\"x\""), J("1"));
    /* OPA's float arithmetic carries a 64-bit mantissa: 0.1 + 0.2 is 0.3. */
    OKJ("plus", "0.3", J("0.1"), J("0.2"));
    /* Rounded at 64 bits, as big.Float does (checked with exact rationals). */
    OKJ("mul", "3.3000000000000000002", J("1.1"), J("3"));
    OKJ("div", "0.33333333333333333334", J("1"), J("3"));
    OKJ("div", "1000000000", J("1e109"), J("1e100")); /* jsonbuiltins/marshal large integers */
    OKJ("mul", "2000000", J("1e6"), J("2"));
    OKJ("plus", "1234567890", J("1234500000"), J("67890"));
    /* Exact beyond int64. */
    OKJ("plus", "9223372036854775808", J("9223372036854775807"), J("1"));
    OKJ("mul", "85070591730234615847396907784232501249", J("9223372036854775807"), J("9223372036854775807"));
    OKJ("minus", "28857836529306024611912", J("28857836529306024611913"), J("1"));
    OK("neq", T_, J("28857836529306024611913"), J("28857836529306024611912")); /* arithmetic/big_int */
    /* abs, round, ceil, floor (arithmetic/) */
    OK("abs", J("10"), J("-10"));
    OK("abs", J("1.5"), J("-1.5"));
    OKJ("abs", "9223372036854775808", J("-9223372036854775808"));
    OK("round", J("1"), J("0.5")); /* half away from zero */
    OK("round", J("-1"), J("-0.5"));
    OK("round", J("2"), J("1.5"));
    OK("round", J("1"), J("1.4"));
    OK("ceil", J("2"), J("1.01"));
    OK("ceil", J("2223"), J("2222.2222222222"));
    OK("ceil", J("1"), J("1"));
    OK("ceil", J("-1"), J("-1.99999"));
    OK("floor", J("1"), J("1.5"));
    OK("floor", J("99"), J("99.99999"));
    OK("floor", J("-2"), J("-1.001"));
    TERR("abs", "abs: operand 1 must be number but got string", J("\"1\""));
}

/* ---- float results against libc -------------------------------------------- */

static uint64_t arith_rng = 0x853c49e6748fea9bull;

static uint64_t arand(void)
{
    arith_rng ^= arith_rng << 13;
    arith_rng ^= arith_rng >> 7;
    arith_rng ^= arith_rng << 17;
    return arith_rng;
}

/* What OPA's FloatToNumber makes of a result r at 64-bit precision,
 * derived with libc only: the shortest digits that strtold reads back as
 * r (printf's correctly rounded %.*Le, shortest first), spelt as
 * big.Float's Text('g', -1) (plain for exponents -4..5, else d.ddde±XX)
 * or 'f' for integers, then made a value by v_num_text as OPA's Number. */
static const val *ref_float_to_number(long double r)
{
    if (r == 0)
        return v_int(&T.a, 0);
    if (r == truncl(r) && r >= -9223372036854775808.0L && r < 9223372036854775808.0L)
        return v_int(&T.a, (int64_t)r);
    char e[64], dig[32], txt[128];
    long double a = fabsl(r);
    for (int p = 0; p < 24; p++) {
        snprintf(e, sizeof e, "%.*Le", p, a);
        if (strtold(e, NULL) == a)
            break;
    }
    int nd = 0;
    const char *c = e;
    for (; *c != 'e'; c++)
        if (*c != '.')
            dig[nd++] = *c;
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    int x = atoi(c + 1), point = x + 1, n = 0;
    if (r < 0)
        txt[n++] = '-';
    if (r == truncl(r)) {
        for (int i = 0; i < point; i++)
            txt[n++] = i < nd ? dig[i] : '0';
    } else if (x < -4 || x >= 6) {
        txt[n++] = dig[0];
        if (nd > 1) {
            txt[n++] = '.';
            memcpy(txt + n, dig + 1, (size_t)nd - 1);
            n += nd - 1;
        }
        n += snprintf(txt + n, sizeof txt - (size_t)n, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
    } else if (point <= 0) {
        txt[n++] = '0';
        txt[n++] = '.';
        for (int i = 0; i < -point; i++)
            txt[n++] = '0';
        memcpy(txt + n, dig, (size_t)nd);
        n += nd;
    } else {
        for (int i = 0; i < nd || i < point; i++) {
            if (i == point)
                txt[n++] = '.';
            txt[n++] = i < nd ? dig[i] : '0';
        }
    }
    return v_num_text(&T.a, txt, (size_t)n);
}

/* The same representation: kind, int value, double bits and a correct
 * decimal hint, or NUM_BIG text. */
static bool same_number(const val *got, const val *want)
{
    if (!got || !want || got->type != V_NUM || got->nk != want->nk)
        return false;
    if (got->nk == NUM_INT)
        return got->u.i == want->u.i;
    if (got->nk == NUM_BIG)
        return got->len == want->len && memcmp(got->u.s, want->u.s, got->len) == 0;
    if (memcmp(&got->u.d, &want->u.d, sizeof got->u.d) != 0)
        return false;
    uint64_t mant;
    int e10;
    if (!val_float_hint(got, &mant, &e10))
        return true;
    num_decimal nd;
    num_shortest_double(got->u.d, &nd);
    char m[24];
    int n = snprintf(m, sizeof m, "%llu", (unsigned long long)mant);
    return n == nd.ndigits && memcmp(m, nd.digits, (size_t)n) == 0 && e10 == nd.point - nd.ndigits;
}

/* A decimal of 1..9 significant digits, as policies hold them. */
static const val *random_short(long double *ld)
{
    char t[48];
    uint64_t m = 1 + arand() % 999999999ull;
    m >>= arand() % 28;
    int e = (int)(arand() % 17) - 8;
    snprintf(t, sizeof t, "%s%llue%d", arand() % 4 ? "" : "-", (unsigned long long)(m ? m : 3), e);
    *ld = strtold(t, NULL);
    return v_num_text(&T.a, t, strlen(t));
}

static void test_float_results(void)
{
    static const char *const ops[] = {"plus", "minus", "mul", "div"};
    int bad = 0;
    for (int i = 0; i < 40000; i++) {
        arena_mark mark = arena_save(&T.a);
        long double x, y;
        const val *a = random_short(&x), *b = random_short(&y), *out = NULL;
        int op = (int)(arand() % 4);
        long double r = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
        const val *args[2] = {a, b};
        if (call(__LINE__, ops[op], args, 2, &out) != BI_OK || !same_number(out, ref_float_to_number(r))) {
            if (bad++ < 5) { /* text() reuses one buffer: a call per operand */
                fprintf(stderr, "%s(%s, ", ops[op], text(a));
                fprintf(stderr, "%s) = ", text(b));
                fprintf(stderr, "%s, want %.21Lg\n", text(out), r);
            }
        }
        /* and what floor, ceil and round make of a fractional result */
        static const char *const un[] = {"floor", "ceil", "round", "abs"};
        int u = (int)(arand() % 4);
        if (out && out->nk == NUM_FLOAT) {
            long double v = strtold(text(out), NULL); /* the float's shortest digits at 64 bits */
            long double w = u == 0 ? floorl(v) : u == 1 ? ceill(v) : u == 2 ? roundl(v) : fabsl(v);
            const val *res = NULL, *arg[1] = {out};
            if (call(__LINE__, un[u], arg, 1, &res) != BI_OK || !same_number(res, ref_float_to_number(w)))
                if (bad++ < 5) {
                    fprintf(stderr, "%s(%s) = ", un[u], text(out));
                    fprintf(stderr, "%s\n", text(res));
                }
        }
        arena_restore(&T.a, mark);
    }
    /* sums of a few amounts, accumulated left to right as OPA does */
    for (int i = 0; i < 20000; i++) {
        arena_mark mark = arena_save(&T.a);
        vbuild v;
        vb_init(&v, &T.a);
        long double acc = 0, x;
        int n = 1 + (int)(arand() % 6);
        for (int k = 0; k < n; k++) {
            vb_push(&v, random_short(&x));
            acc += x;
        }
        const val *arr = vb_finish_array(&v), *out = NULL, *args[1] = {arr};
        bool all_int = true;
        for (uint32_t k = 0; k < arr->len; k++)
            all_int &= arr->u.a[k]->nk == NUM_INT;
        if (!all_int &&
            (call(__LINE__, "sum", args, 1, &out) != BI_OK || !same_number(out, ref_float_to_number(acc))))
            if (bad++ < 5) {
                fprintf(stderr, "sum(%s) = ", text(arr));
                fprintf(stderr, "%s, want %.21Lg\n", text(out), acc);
            }
        arena_restore(&T.a, mark);
    }
    /* wide operands, one of them fractional (two integers add exactly):
     * results of 18 to 21 digits, integers beyond int64 (written as text
     * without a second parse) and tiny fractions */
    for (int i = 0; i < 20000; i++) {
        arena_mark mark = arena_save(&T.a);
        char t[2][48];
        const val *ops2[2];
        long double v[2];
        for (int k = 0; k < 2; k++) {
            snprintf(
                t[k], sizeof t[k], "%s%llu.%llue%d", arand() % 3 ? "" : "-",
                (unsigned long long)(arand() % 100000000000ull), (unsigned long long)(1 + arand() % 99999),
                k == 0 ? (int)(arand() % 41) - 20 : -6 - (int)(arand() % 20)); /* the second is no integer */
            v[k] = strtold(t[k], NULL);
            ops2[k] = v_num_text(&T.a, t[k], strlen(t[k]));
        }
        int op = (int)(arand() % 3);
        long double r = op == 0 ? v[0] + v[1] : op == 1 ? v[0] - v[1] : v[0] * v[1];
        const val *out = NULL;
        if (isfinite(r) &&
            (call(__LINE__, ops[op], ops2, 2, &out) != BI_OK || !same_number(out, ref_float_to_number(r))))
            if (bad++ < 5) {
                fprintf(stderr, "%s(%s, ", ops[op], text(ops2[0]));
                fprintf(stderr, "%s) = ", text(ops2[1]));
                fprintf(stderr, "%s, want %.21Lg\n", text(out), r);
            }
        arena_restore(&T.a, mark);
    }
    CHECK(bad == 0);
    OKJ("mul", "15000000000000000000000", J("1.5e12"), J("1e10"));
    OKJ("mul", "-15000000000000000000000", J("-1.5e12"), J("1e10"));
    OKJ("plus", "9223372036854775808", J("9223372036854775807.5"), J("0.5"));
    /* the abac workload's numbers */
    OKJ("sum", "57450.740000000000002", J("[12500.5, 30000, 9999.99, 4200, 750.25]"));
    OKJ("div", "5087.5", J("5087500000000"), J("1000000000"));
    OKJ("floor", "5087", J("5087.5"));
    OK("gt", T_, J("57450.740000000000002"), J("50000"));
    OK("lt", F_, J("57450.740000000000002"), J("57450"));
}

/* Identical results: the same status, error text and representation
 * (kind, int value, double bits, decimal hint fields, big text). */
static bool same_outcome(bi_status st1, const val *a, const char *msg1, bi_status st2, const val *b,
                         const char *msg2)
{
    if (st1 != st2 || strcmp(msg1, msg2) != 0)
        return false;
    if (st1 != BI_OK)
        return true;
    /* a NUM_BIG's digits hint is the fast path's alone (checked by
     * big_digits_hint_right) */
    return same_number(a, b) && a->len == b->len && (a->flags == b->flags || a->nk == NUM_BIG);
}

/* An int64 operand for div: small values, powers of 2 and 5 times small
 * ones (quotients that end), their neighbours, and the int64 bounds. */
static int64_t random_div_operand(void)
{
    static const int64_t edges[] = {INT64_MIN,
                                    INT64_MIN + 1,
                                    INT64_MAX,
                                    INT64_MAX - 1,
                                    0,
                                    1,
                                    -1,
                                    3,
                                    7,
                                    1000000000,
                                    -1000000000,
                                    1844674407370955161,  /* UINT64_MAX / 10: the last divisor taken */
                                    1844674407370955162,  /* one more: the float path */
                                    -1844674407370955162, /* and negated */
                                    100000000000000,      /* 10^14 */
                                    999999999999999,      /* 15 digits */
                                    1234567890123456,     /* 16 digits */
                                    5087500000000,
                                    1152921504606846976}; /* 2^60 */
    uint64_t r = arand();
    int64_t v;
    switch (r % 6) {
    case 0: return edges[(r >> 8) % (sizeof edges / sizeof edges[0])];
    case 1: v = (int64_t)((r >> 8) % 2001) - 1000; break;
    case 2: { /* 2^a·5^b·small */
        uint64_t u = 1 + (r >> 8) % 99;
        int a = (int)((r >> 16) % 40), b = (int)((r >> 24) % 20);
        for (int i = 0; i < a && u < (1ull << 58); i++)
            u *= 2;
        for (int i = 0; i < b && u < (1ull << 58); i++)
            u *= 5;
        v = (int64_t)u;
        break;
    }
    case 3: v = (int64_t)(arand() >> (arand() % 64)); break;
    case 4: { /* a power of ten, times a digit, plus a little */
        int64_t p = 1;
        for (int i = (int)((r >> 8) % 19); i > 0; i--)
            p *= 10;
        v = p * (int64_t)(1 + (r >> 16) % 9) + (int64_t)((r >> 24) % 3) - 1;
        break;
    }
    default: v = (int64_t)arand(); break;
    }
    return (r >> 60) & 1 ? -v : v;
}

/* A float as policies and arithmetic make them: 1 to 17 significant
 * digits at any scale, or a double's bits. */
static const val *random_float_operand(void)
{
    char t[64];
    uint64_t r = arand();
    if (r % 5 == 0) {
        uint64_t bits = arand();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d))
            d = 0.5;
        return v_float(&T.a, d);
    }
    static const uint64_t span[] = {10ull, 1000ull, 1000000ull, 1000000000ull, 100000000000000000ull};
    uint64_t m = 1 + (r >> 8) % span[(r >> 4) % 5];
    int e = (int)((r >> 40) % 50) - 35;
    if ((r >> 50) % 4 == 0) /* exact halves: 0.5, 2.5, -7.5 */
        snprintf(t, sizeof t, "%s%llu.5", (r >> 61) & 1 ? "-" : "", (unsigned long long)(m % 100));
    else
        snprintf(t, sizeof t, "%s%llue%d", (r >> 61) & 1 ? "-" : "", (unsigned long long)m, e);
    return v_num_text(&T.a, t, strlen(t));
}

/* div's integer fast path and floor/ceil/round's decimal-hint fast path
 * against the float paths they stand in for (bi_div_general,
 * bi_rounding_general): identical results over generated operands and
 * the edges (int64 bounds, the divisor limit, 15- and 16-digit
 * quotients, quotients that never end, halves, tiny fractions). */
/* The exact value of an __int128 as decimal text. */
static void i128_text(__int128 v, char *buf, size_t size)
{
    char tmp[48];
    size_t n = 0;
    unsigned __int128 m = v < 0 ? -(unsigned __int128)v : (unsigned __int128)v;
    do {
        tmp[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    size_t k = 0;
    if (v < 0 && k + 1 < size)
        buf[k++] = '-';
    while (n && k + 1 < size)
        buf[k++] = tmp[--n];
    buf[k] = '\0';
}

/* plus, minus and mul answer an int pair in the builtin itself (arith_int)
 * and leave an overflow to arith: both against exact 128-bit arithmetic,
 * over small operands, full-range ones and the ends of int64. */
static void test_int_arith_matches_exact(void)
{
    static const int64_t edges[] = {INT64_MIN, INT64_MIN + 1, -1, 0, 1, 255, 256, INT64_MAX - 1, INT64_MAX};
    static const char *const names[] = {"plus", "minus", "mul"};
    int bad = 0;
    for (int i = 0; i < 60000; i++) {
        arena_mark mark = arena_save(&T.a);
        int64_t xy[2];
        for (int k = 0; k < 2; k++) {
            uint64_t r = arand();
            xy[k] = r % 4 == 0   ? edges[(r >> 8) % (sizeof edges / sizeof edges[0])]
                    : r % 4 == 1 ? (int64_t)((r >> 8) % 2001) - 1000
                    : r % 4 == 2 ? (int64_t)(arand() >> (32 + (r >> 8) % 32)) * ((r >> 40) & 1 ? -1 : 1)
                                 : (int64_t)arand();
        }
        int op = i % 3;
        __int128 want = op == 0   ? (__int128)xy[0] + xy[1]
                        : op == 1 ? (__int128)xy[0] - xy[1]
                                  : (__int128)xy[0] * xy[1];
        char w[48];
        i128_text(want, w, sizeof w);
        const val *args[2] = {v_int(&T.a, xy[0]), v_int(&T.a, xy[1])}, *out = NULL;
        bi_status st = call(__LINE__, names[op], args, 2, &out);
        if ((st != BI_OK || !out || !val_equal(out, J(w))) && bad++ < 5)
            fprintf(stderr, "%s(%lld, %lld): got %s, want %s\n", names[op], (long long)xy[0],
                    (long long)xy[1], text(out), w);
        arena_restore(&T.a, mark);
    }
    CHECK(bad == 0);
}

/* "x in coll" for a string x (scanned inline, by length first) and count
 * of collections (the shared small ints below 256) against val_equal and
 * the collection's length as oracles: strings that differ in one byte,
 * in length, or are equal with other bytes, among numbers, null and
 * containers; counts on each side of 256. */
static void test_member_count_fast_paths(void)
{
    static const char *const words[] = {"",
                                        "a",
                                        "b",
                                        "employees",
                                        "employeez",
                                        "finance-writers",
                                        "finance-writer",
                                        "finance-writers!",
                                        "finance-analysts",
                                        "0123456789abcdefX",
                                        "0123456789abcdefY"};
    const size_t nwords = sizeof words / sizeof *words;
    int bad = 0, found = 0, runs = 0;
    for (int i = 0; i < 20000; i++) {
        arena_mark mark = arena_save(&T.a);
        uint32_t n = (uint32_t)(arand() % 6);
        vbuild arr, obj;
        vb_init(&arr, &T.a);
        vb_init(&obj, &T.a);
        for (uint32_t k = 0; k < n; k++) {
            uint64_t r = arand() % 10;
            const char *w = words[arand() % nwords];
            /* a copy, so equal strings never share their bytes */
            const val *e = r == 0   ? v_int(&T.a, (int64_t)strlen(w))
                           : r == 1 ? VAL_NULL
                           : r == 2 ? vb_finish_array(&(vbuild){.a = &T.a})
                                    : v_str(&T.a, w, strlen(w));
            vb_push(&arr, e);
            char key[16]; /* room for any uint32_t: gcc checks the format */
            snprintf(key, sizeof key, "k%u", k);
            vb_put(&obj, v_str(&T.a, key, strlen(key)), e);
        }
        const val *a = vb_finish_array(&arr), *o = vb_finish_object(&obj, NULL);
        const char *xw = words[arand() % nwords];
        const val *x = v_str(&T.a, xw, strlen(xw));
        const val *colls[2] = {a, o};
        for (int c = 0; c < 2; c++) {
            bool want = false;
            for (uint32_t k = 0; k < colls[c]->len; k++)
                want = want || val_equal(c ? colls[c]->u.o.v[k] : colls[c]->u.a[k], x);
            const val *args[2] = {x, colls[c]}, *got = NULL;
            bi_status st = call(__LINE__, "internal.member_2", args, 2, &got);
            runs++;
            found += want;
            if ((st != BI_OK || got != VAL_BOOL(want)) && bad++ < 5)
                fprintf(stderr, "  member_2(\"%s\", %s): want %d\n", xw, text(colls[c]), want);
        }
        arena_restore(&T.a, mark);
    }
    CHECK(bad == 0);
    CHECK(found > runs / 10 && found < runs - runs / 10);
    for (uint32_t n = 250; n < 262; n++) {
        arena_mark mark = arena_save(&T.a);
        vbuild b;
        vb_init(&b, &T.a);
        for (uint32_t k = 0; k < n; k++)
            vb_push(&b, v_int(&T.a, k));
        const val *args[1] = {vb_finish_array(&b)}, *got = NULL;
        CHECK(call(__LINE__, "count", args, 1, &got) == BI_OK && got && got->type == V_NUM &&
              got->nk == NUM_INT && got->u.i == (int64_t)n);
        arena_restore(&T.a, mark);
    }
}

static void test_fast_paths_match_general(void)
{
    int bad = 0, short_quotients = 0;
    char msg[sizeof T.c.err_msg];
    for (int i = 0; i < 200000; i++) {
        arena_mark mark = arena_save(&T.a);
        const val *args[2] = {v_int(&T.a, random_div_operand()), v_int(&T.a, random_div_operand())};
        const val *fast = NULL, *general = NULL;
        bi_status st_fast = call(__LINE__, "div", args, 2, &fast);
        snprintf(msg, sizeof msg, "%s", T.c.err_msg);
        T.c.err_msg[0] = '\0';
        bi_status st_general = bi_div_general(&T.c, args, &general);
        short_quotients += st_fast == BI_OK && fast->nk == NUM_FLOAT;
        if (!same_outcome(st_fast, fast, msg, st_general, general, T.c.err_msg) && bad++ < 5) {
            fprintf(stderr, "div(%lld, %lld): fast %s, ", (long long)args[0]->u.i, (long long)args[1]->u.i,
                    text(fast));
            fprintf(stderr, "general %s\n", text(general));
        }
        arena_restore(&T.a, mark);
    }
    static const char *const modes[] = {"floor", "ceil", "round"};
    for (int i = 0; i < 200000; i++) {
        arena_mark mark = arena_save(&T.a);
        const char *m = modes[i % 3];
        const val *x = random_float_operand(), *fast = NULL, *general = NULL, *args[1] = {x};
        bi_status st_fast = call(__LINE__, m, args, 1, &fast);
        snprintf(msg, sizeof msg, "%s", T.c.err_msg);
        T.c.err_msg[0] = '\0';
        bi_status st_general = bi_rounding_general(&T.c, m, x, &general);
        if (!same_outcome(st_fast, fast, msg, st_general, general, T.c.err_msg) && bad++ < 5) {
            fprintf(stderr, "%s(%s): fast ", m, text(x));
            fprintf(stderr, "%s, ", text(fast));
            fprintf(stderr, "general %s\n", text(general));
        }
        arena_restore(&T.a, mark);
    }
    CHECK(bad == 0);
    CHECK(short_quotients > 10000); /* the generator reaches the fast path */
    /* values worked by hand from OPA's rules */
    OKJ("div", "0.125", J("1"), J("8"));
    OKJ("div", "-0.125", J("-1"), J("8"));
    OKJ("div", "-0.125", J("1"), J("-8"));
    OKJ("div", "1e-18", J("1"), J("1000000000000000000")); /* 'g' below 1e-4 */
    OKJ("div", "99999999999999.9", J("999999999999999"), J("10"));
    OKJ("div", "123456789012345.6", J("1234567890123456"), J("10"));
    OKJ("div", "0.33333333333333333334", J("1"), J("3")); /* 64-bit mantissa */
    OKJ("div", "-4611686018427387904", J("-9223372036854775808"), J("2"));
    OKJ("div", "9223372036854775808", J("-9223372036854775808"), J("-1"));
    OKJ("div", "-0.5", J("-9223372036854775808"), J("18446744073709551616"));
    OKJ("floor", "-1", J("-0.5"));
    OKJ("ceil", "0", J("-0.5"));
    OKJ("round", "-1", J("-0.5"));
    OKJ("round", "3", J("2.5"));
    OKJ("round", "2", J("2.4999999"));
    OKJ("floor", "0", J("1e-30"));
    OKJ("floor", "-1", J("-1e-30"));
    OKJ("ceil", "1", J("1e-30"));
    OKJ("ceil", "-999999999", J("-999999999.9"));
}

/* An element for sum: mostly what sum_fast takes (ints, floats of 1 to 9
 * digits at scales 10^-1 .. 10^-27, money amounts, halves), with its
 * edges (int64 bounds, scales past 10^-18 and 10^-27, floats beyond
 * int64, longer floats without a hint, NUM_BIG texts) mixed in. *ld is
 * the element at 64-bit precision (strtold, as OPA's SetString reads it)
 * and *big tells a NUM_BIG. */
static const val *random_sum_element(long double *ld, bool *big)
{
    static const char *const bigs[] = {"123456789012345678901234.5", "1e400", "-98765432109876543210",
                                       "0.12345678901234567890123"};
    char t[64];
    uint64_t r = arand();
    *big = false;
    switch (r % 10) {
    case 0: { /* ints, small and large */
        int64_t v = (r >> 8) % 3 ? (int64_t)((r >> 12) % 2001) - 1000 : (int64_t)(arand() >> (arand() % 64));
        if ((r >> 7) % 50 == 0)
            v = (r >> 20) & 1 ? INT64_MAX : INT64_MIN;
        snprintf(t, sizeof t, "%lld", (long long)v);
        break;
    }
    case 1:
    case 2:
    case 3: /* money: two decimals */
        snprintf(t, sizeof t, "%s%llu.%02llu", (r >> 60) & 1 ? "-" : "",
                 (unsigned long long)((r >> 8) % 100000), (unsigned long long)((r >> 30) % 100));
        break;
    case 4: /* halves and quarters */
        snprintf(t, sizeof t, "%s%llu.%s", (r >> 60) & 1 ? "-" : "", (unsigned long long)((r >> 8) % 1000),
                 (r >> 30) & 1 ? "5" : "25");
        break;
    case 5: { /* 1 to 9 digits at scales down to 10^-30 */
        uint64_t m = 1 + (r >> 8) % 999999999ull;
        m >>= (r >> 40) % 28;
        snprintf(t, sizeof t, "%s%llue%d", (r >> 60) & 1 ? "-" : "", (unsigned long long)(m ? m : 7),
                 -(int)((r >> 48) % 31));
        break;
    }
    case 6: /* 10 to 15 digits: no hint */
        snprintf(t, sizeof t, "%s%llu.%06llu", (r >> 60) & 1 ? "-" : "",
                 (unsigned long long)(1000 + (r >> 8) % 1000000000ull),
                 (unsigned long long)((r >> 40) % 1000000));
        break;
    case 7: /* beyond int64, integral: NUM_BIG from text, a hinted NUM_FLOAT from arithmetic */
        if ((r >> 8) & 1) {
            const val *f = v_float(&T.a, (double)(1 + (r >> 9) % 999) * 1e19 * ((r >> 60) & 1 ? -1 : 1));
            *ld = strtold(text(f), NULL); /* OPA reads its text, not the double */
            return f;
        }
        snprintf(t, sizeof t, "%s%llue%d", (r >> 60) & 1 ? "-" : "", (unsigned long long)(1 + (r >> 8) % 999),
                 19 + (int)((r >> 30) % 5));
        break;
    case 8: /* NUM_BIG now and then, else a small fraction */
        if ((r >> 8) % 8 == 0) {
            const char *b = bigs[(r >> 12) % 4];
            *big = true;
            *ld = strtold(b, NULL);
            return v_num_text(&T.a, b, strlen(b));
        }
        snprintf(t, sizeof t, "0.%03llu", (unsigned long long)(1 + (r >> 16) % 999));
        break;
    default: /* tenths, hundredths, thousandths of small values */
        snprintf(t, sizeof t, "%s%llu.%llu", (r >> 60) & 1 ? "-" : "", (unsigned long long)((r >> 8) % 100),
                 (unsigned long long)(1 + (r >> 16) % 999));
        break;
    }
    *ld = strtold(t, NULL);
    return v_num_text(&T.a, t, strlen(t));
}

/* A NUM_BIG's digits hint (val_big_digits) against libc: the shortest
 * %.*e digits that strtod reads back as the text's double must be the
 * text's first nd significant digits, the point dp after the first; and
 * sprintf's %v of the hinted value must print what it prints for the
 * same text without the hint. True when v has no hint. */
static bool big_digits_hint_right(const val *v)
{
    size_t nd;
    int dp;
    if (v->type != V_NUM || !val_big_digits(v, &nd, &dp))
        return true;
    double d = strtod(v->u.s, NULL);
    char e[40];
    int p = 1;
    for (; p <= 17; p++) {
        snprintf(e, sizeof e, "%.*e", p - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    /* e: [-]d.ddde±x; its digits without the point and trailing zeros */
    char want[24];
    size_t wn = 0;
    const char *q = e + (e[0] == '-');
    for (; *q != 'e'; q++)
        if (*q != '.')
            want[wn++] = *q;
    while (wn > 1 && want[wn - 1] == '0')
        wn--;
    int want_dp = atoi(q + 1) + 1;
    char got[24];
    size_t gn = 0;
    for (const char *t = v->u.s + (v->u.s[0] == '-'); *t && gn < nd; t++)
        if (*t != '.' && (gn > 0 || *t != '0'))
            got[gn++] = *t;
    if (gn != nd || nd != wn || memcmp(got, want, wn) != 0 || dp != want_dp)
        return false;
    const val *plain = v_num_big(&T.a, v->u.s, v->len);
    vbuild b1, b2;
    vb_init(&b1, &T.a);
    vb_push(&b1, v);
    vb_init(&b2, &T.a);
    vb_push(&b2, plain);
    const val *with = NULL, *without = NULL;
    return fmt_test_direct(&T.a, "<%v>", 4, vb_finish_array(&b1), &with) >= 0 &&
           fmt_test_direct(&T.a, "<%v>", 4, vb_finish_array(&b2), &without) >= 0 && with && without &&
           val_equal(with, without);
}

/* sum's fast path (sum_fast) against the general path, and the results
 * for collections with a fraction against libc: the long double sum of
 * the elements read by strtold, printed by ref_float_to_number. The
 * lists include exact cancellations (x and -x) and sums that come out
 * integral; most money sums are not the 64-bit value nearest their exact
 * decimal (the abac workload's is one ulp above), the case where the
 * result's digits are long. */
static void test_sum_fast_matches_general(void)
{
    int bad = 0, floats = 0, bigs = 0, hinted = 0;
    char msg[sizeof T.c.err_msg];
    for (int i = 0; i < 100000; i++) {
        arena_mark mark = arena_save(&T.a);
        vbuild v;
        vb_init(&v, &T.a);
        long double acc = 0;
        bool any_big = false, any_frac = false;
        int n = (int)(arand() % 8);
        if (i % 10 == 0)
            n = 20 + (int)(arand() % 30);
        for (int k = 0; k < n; k++) {
            long double x;
            bool big;
            const val *e = random_sum_element(&x, &big);
            if (arand() % 16 == 0 && e->nk != NUM_BIG && x != 0) { /* its negation, to cancel */
                const char *t = text(e);                           /* a number's text: short */
                char u[80];
                int un = snprintf(u, sizeof u, "%s%.64s", t[0] == '-' ? "" : "-", t[0] == '-' ? t + 1 : t);
                vb_push(&v, e);
                acc += x;
                e = v_num_text(&T.a, u, (size_t)un);
                x = -x;
            }
            vb_push(&v, e);
            acc += x;
            any_big |= big;
            any_frac |= x != truncl(x);
        }
        const val *arr = vb_finish_array(&v), *fast = NULL, *general = NULL, *args[1] = {arr};
        bi_status st_fast = call(__LINE__, "sum", args, 1, &fast);
        snprintf(msg, sizeof msg, "%s", T.c.err_msg);
        T.c.err_msg[0] = '\0';
        bi_status st_general = bi_sum_general(&T.c, arr, &general);
        bool ok = same_outcome(st_fast, fast, msg, st_general, general, T.c.err_msg);
        if (ok && any_frac && !any_big && isfinite(acc))
            ok = st_fast == BI_OK && same_number(fast, ref_float_to_number(acc));
        if (ok && st_fast == BI_OK) {
            size_t nd;
            int dp;
            hinted += val_big_digits(fast, &nd, &dp);
            ok = big_digits_hint_right(fast);
        }
        if (!ok && bad++ < 5) {
            fprintf(stderr, "sum(%s): fast ", text(arr));
            fprintf(stderr, "%s, ", text(fast));
            fprintf(stderr, "general %s, ", text(general));
            fprintf(stderr, "libc %.21Lg\n", acc);
        }
        floats += st_fast == BI_OK && fast->nk == NUM_FLOAT;
        bigs += st_fast == BI_OK && fast->nk == NUM_BIG && !any_big;
        arena_restore(&T.a, mark);
    }
    CHECK(bad == 0);
    CHECK(floats > 10000); /* short results: D read back as x */
    CHECK(bigs > 10000);   /* long results: x off its decimal */
    CHECK(hinted > 1000);  /* of those, D's digits proven the double's */
    /* values derived from the long double sums (libc) and OPA's printing */
    OKJ("sum", "57450.740000000000002", J("[12500.5, 30000, 9999.99, 4200, 750.25]"));
    OKJ("sum", "0.3", J("[0.1, 0.2]"));
    OKJ("sum", "3.3000000000000000002", J("[1.1, 2.2]"));
    OKJ("sum", "0", J("[4.35, 0.1, -4.45]"));
    OKJ("sum", "0", J("[0.1, -0.1]"));
    OKJ("sum", "1", J("[0.25, 0.75]"));
    OKJ("sum", "-2.5", J("[-1.25, -1.25]"));
    OKJ("sum", "100.01", J("[100, 0.01]"));
    OKJ("sum", "1e-27", J("[1e-27]"));
    OKJ("sum", "9.2233720368547758075e+18", J("[9223372036854775807, 0.5]"));
    OKJ("sum", "18446744073709551614", J("[9223372036854775807, 9223372036854775807]"));
}

static void test_sets_and_compare(void)
{
    /* sets/ */
    OK("and", S("[3]"), S("[3,2]"), S("[3,4]"));
    OK("or", S("[2,3,4]"), S("[3,2]"), S("[3,4]"));
    OK("and", S("[]"), S("[1]"), S("[]"));
    TERR("and", "and: operand 1 must be set but got array", J("[1]"), S("[1]"));
    TERR("or", "or: operand 2 must be set but got number", S("[1]"), J("1"));
    /* comparison: Rego's total order across types */
    OK("equal", T_, J("1"), J("1.0"));
    OK("equal", F_, J("1"), J("\"1\""));
    OK("equal", T_, J("{\"a\":[1,2]}"), J("{\"a\":[1,2]}"));
    OK("neq", T_, J("[1]"), J("[2]"));
    OK("lt", T_, J("1"), J("2"));
    OK("lt", T_, J("null"), J("false"));
    OK("lt", T_, J("false"), J("0"));
    OK("lt", T_, J("100"), J("\"a\""));
    OK("lt", T_, J("\"z\""), J("[]"));
    OK("lt", T_, J("[1]"), J("{}"));
    OK("lt", T_, J("{}"), S("[]"));
    OK("lte", T_, J("2"), J("2"));
    OK("gt", F_, J("2"), J("2"));
    OK("gte", T_, J("\"b\""), J("\"a\""));
    /* aggregates/member* */
    OK("internal.member_2", T_, J("1"), S("[1]"));
    OK("internal.member_2", T_, J("1"), J("[1]"));
    OK("internal.member_2", T_, J("1"), J("{\"foo\":1}"));
    OK("internal.member_2", F_, J("1"), S("[2]"));
    OK("internal.member_2", F_, J("1"), J("[2]"));
    OK("internal.member_2", F_, J("1"), J("{\"foo\":2}"));
    OK("internal.member_2", F_, J("\"foo\""), J("{\"foo\":2}")); /* keys are not members */
    OK("internal.member_2", F_, J("1"), J("\"foo\""));
    OK("internal.member_2", F_, J("\"foo\""), J("1"));
    OK("internal.member_2", T_, J("{\"foo\":{\"baz\":2000}}"), J("[{\"foo\":{\"baz\":2000}}]"));
    OK("internal.member_3", T_, J("\"foo\""), J("1"), J("{\"foo\":1}"));
    OK("internal.member_3", T_, J("1"), J("\"two\""), J("[\"one\",\"two\",\"three\"]"));
    OK("internal.member_3", F_, J("1"), J("\"one\""), J("[\"one\",\"two\"]"));
    OK("internal.member_3", F_, J("5"), J("\"one\""), J("[\"one\"]"));
    OK("internal.member_3", F_, J("1"), J("\"foo\""), J("1"));
    OK("internal.member_3", T_, J("2"), J("2"), S("[2]"));
    OK("internal.member_3", F_, J("2"), J("3"), S("[2,3]"));
}

static void test_aggregates(void)
{
    /* aggregates/ */
    OK("count", J("4"), J("[1,2,3,4]"));
    OK("count", J("2"), J("{\"v1\":\"hello\",\"v2\":\"goodbye\"}"));
    OK("count", J("4"), S("[1,2,3,4]"));
    OK("count", J("5"), J("\"abcde\""));
    OK("count", J("3"), J("\"\xc3\xa5\xc3\xa4\xc3\xb6\"")); /* "åäö" */
    {
        /* Invalid UTF-8 counts one per bad byte, like Go's []rune. */
        const val *s = v_str(&T.a,
                             "a\xff\xfe"
                             "b",
                             4);
        OK("count", J("4"), s);
    }
    /* around VAL_SMALL_INT_LIMIT: shared constants below it, an arena int from it on */
    static const uint32_t sizes[] = {0, 1, 255, 256, 257, 300};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        vbuild b;
        vb_init(&b, &T.a);
        for (uint32_t i = 0; i < sizes[k]; i++)
            vb_push(&b, v_int(&T.a, i));
        const val *arr = vb_finish_array(&b);
        char want[16];
        snprintf(want, sizeof want, "%u", sizes[k]);
        OK("count", J(want), arr);
    }
    TERR("count", "count: operand 1 must be one of {array, object, set, string} but got null", J("null"));
    TERR("count", "operand 1 must be one of {array, object, set, string} but got number", J("5"));
    OK("sum", J("10"), J("[1,2,3,4]"));
    OK("sum", J("10"), S("[1,2,3,4]"));
    OK("sum", J("0"), J("[]"));
    OK("sum", J("49649733058"), J("[49649733057,1]"));
    OKJ("sum", "3.5", J("[1,2.5]"));
    OKJ("sum", "0.6", J("[0.1,0.2,0.3]"));
    OKJ("sum", "18446744073709551614", J("[9223372036854775807,9223372036854775807]"));
    TERR("sum", "sum: operand 1 must be array of numbers but got array containing string", J("[1,\"a\"]"));
    /* the fast path checks element types as it goes: a late non-number still fails */
    TERR("sum", "sum: operand 1 must be array of numbers but got array containing null",
         J("[1.5, 2.25, null]"));
    TERR("sum", "sum: operand 1 must be set of numbers but got set containing boolean", S("[1, 2.5, true]"));
    TERR("sum", "sum: operand 1 must be one of {set, array} but got object", J("{}"));
    OK("product", J("24"), J("[1,2,3,4]"));
    OK("product", J("24"), S("[1,2,3,4]"));
    OK("product", J("1"), J("[]"));
    TERR("product", "product: operand 1 must be set of numbers but got set containing boolean", S("[true]"));
    OK("max", J("4"), J("[1,2,3,4]"));
    OK("max", J("4"), S("[1,2,3,4]"));
    OK("max", J("\"a\""), J("[1,\"a\",null]"));
    UNDEF("max", J("[]"));
    UNDEF("max", S("[]"));
    OK("min", J("1"), J("[1,2,1,3,4]"));
    OK("min", J("-7"), J("[3,2,1,4,6,-7,10]"));
    OK("min", J("1"), S("[1,2,3,4]"));
    UNDEF("min", J("[]"));
    TERR("min", "min: operand 1 must be one of {set, array} but got string", J("\"x\""));
    OK("sort", J("[1,2,3,4]"), J("[4,3,2,1]"));
    OK("sort", J("[1,2,3,4]"), S("[1,2,3,4]"));
    OK("sort", J("[null,false,1,\"a\",[],{}]"), J("[{},\"a\",[],1,false,null]"));
    TERR("sort", "sort: operand 1 must be one of {set, array} but got object", J("{}"));
}

static void test_numbers(void)
{
    /* numbersrange/ */
    OK("numbers.range", J("[0]"), J("0"), J("0"));
    OK("numbers.range", J("[-2,-1,0,1,2,3]"), J("-2"), J("3"));
    OK("numbers.range", J("[2,1,0,-1,-2,-3]"), J("2"), J("-3"));
    OK("numbers.range", J("[49649733057,49649733058,49649733059,49649733060]"), J("49649733057"),
       J("49649733060"));
    TERR("numbers.range", "numbers.range: operand 1 must be integer number but got floating-point number",
         J("3.14"), J("4"));
    TERR("numbers.range", "numbers.range: operand 2 must be integer number but got floating-point number",
         J("3"), J("3.14"));
    TERR("numbers.range", "numbers.range: operand 1 must be integer but got string", J("\"1\""), J("4"));
    /* numbersrangestep/ */
    OK("numbers.range_step", J("[0,2,4,6,8,10]"), J("0"), J("10"), J("2"));
    OK("numbers.range_step", J("[0,-2,-4,-6,-8,-10]"), J("0"), J("-10"), J("2"));
    OK("numbers.range_step", J("[10,8,6,4]"), J("10"), J("3"), J("2"));
    OK("numbers.range_step", J("[1024,2048,3072,4096]"), J("1024"), J("4096"), J("1024"));
    OK("numbers.range_step", J("[2]"), J("2"), J("2"), J("2"));
    OK("numbers.range_step", J("[2,4]"), J("2"), J("5"), J("2"));
    OK("numbers.range_step", J("[0]"), J("0"), J("10"), J("99999999999999999999"));
    BERR("numbers.range_step", "numbers.range_step: step must be a positive integer", J("0"), J("10"),
         J("-2"));
    BERR("numbers.range_step", "numbers.range_step: step must be a positive integer", J("0"), J("10"),
         J("0"));
    /* casts/ */
    OK("to_number", J("-42"), J("\"-42.0\""));
    OK("to_number", J("0"), J("false"));
    OK("to_number", J("1"), J("true"));
    OK("to_number", J("0"), J("null"));
    OK("to_number", J("100.1"), J("100.1"));
    OK("to_number", J("3"), J("\"3\""));
    OK("to_number", J("5"), J("\"+5\""));
    OK("to_number", J("0.25"), J("\"0x1p-2\"")); /* Go accepts hex floats */
    OK("to_number", J("0.5"), J("\".5\""));
    BERR("to_number", "to_number: strconv.ParseFloat: parsing \"broken\": invalid syntax", J("\"broken\""));
    BERR("to_number", "invalid syntax", J("\"\""));
    BERR("to_number", "invalid syntax", J("\" 1\""));
    BERR("to_number", "invalid syntax", J("\"0x10\""));
    BERR("to_number", "to_number: strconv.ParseFloat: parsing \"1e400\": value out of range", J("\"1e400\""));
    static const char *const nonfinite[] = {"nan",       "inf",  "-inf", "Infinity",
                                            "-Infinity", "-nan", "-NaN", "iNf"};
    for (size_t i = 0; i < sizeof nonfinite / sizeof nonfinite[0]; i++)
        TERR("to_number", "to_number: operand 1 must be valid number string but got string",
             v_cstr(&T.a, nonfinite[i]));
    TERR("to_number", "to_number: operand 1 must be one of {null, boolean, number, string} but got array",
         J("[]"));
    /* strings/format_int */
    OK("format_int", J("\"101\""), J("5"), J("2"));
    OK("format_int", J("\"17\""), J("15"), J("8"));
    OK("format_int", J("\"ff\""), J("255"), J("16"));
    OK("format_int", J("\"-ff\""), J("-255"), J("16"));
    OK("format_int", J("\"4\""), J("4.9"), J("10")); /* truncates */
    OK("format_int", J("\"-4\""), J("-4.9"), J("10"));
    TERR("format_int", "format_int: operand 2 must be one of {2, 8, 10, 16}", J("4.1"), J("199"));
    TERR("format_int", "format_int: operand 1 must be number but got string", J("\"4\""), J("10"));
    /* bits*/
    OK("bits.and", J("1"), J("7"), J("9"));
    OK("bits.and", J("0"), J("50"), J("0"));
    OK("bits.or", J("15"), J("7"), J("9"));
    OK("bits.or", J("50"), J("50"), J("0"));
    OK("bits.xor", J("41"), J("42"), J("3"));
    OK("bits.xor", J("0"), J("42"), J("42"));
    OK("bits.negate", J("-43"), J("42"));
    OK("bits.lsh", J("8"), J("1"), J("3"));
    OK("bits.lsh", J("4294967294"), J("2147483647"), J("1"));
    OKJ("bits.lsh", "18446744073709551614", J("9223372036854775807"), J("1"));
    OK("bits.rsh", J("1"), J("8"), J("3"));
    OK("bits.rsh", J("-1"), J("-1"), J("10"));
    TERR("bits.and", "bits.and: operand 1 must be integer number but got floating-point number", J("7.2"),
         J("42"));
    TERR("bits.or", "bits.or: operand 1 must be integer number but got floating-point number", J("7.2"),
         J("42"));
    TERR("bits.xor", "bits.xor: operand 1 must be integer number but got floating-point number", J("7.2"),
         J("42"));
    TERR("bits.negate", "bits.negate: operand 1 must be integer number but got floating-point number",
         J("7.2"));
    TERR("bits.lsh", "bits.lsh: operand 1 must be integer number but got floating-point number", J("7.2"),
         J("42"));
    TERR("bits.lsh", "bits.lsh: operand 2 must be an unsigned integer number but got a negative integer",
         J("7"), J("-1"));
    TERR("bits.rsh", "bits.rsh: operand 2 must be an unsigned integer number but got a negative integer",
         J("7"), J("-1"));
    TERR("bits.and", "bits.and: operand 2 must be integer but got string", J("1"), J("\"1\""));
}

static void test_types(void)
{
    /* typebuiltin/, typenamebuiltin/: false, not undefined, for other types */
    OK("is_number", T_, J("-42.0"));
    OK("is_number", F_, J("null"));
    OK("is_string", T_, J("\"Hello\""));
    OK("is_string", F_, J("false"));
    OK("is_boolean", T_, J("false"));
    OK("is_boolean", F_, J("\"Hello\""));
    OK("is_array", T_, J("[1,2,3]"));
    OK("is_array", F_, S("[1,2,3]"));
    OK("is_set", T_, S("[1,2,3]"));
    OK("is_set", F_, J("[1,2,3]"));
    OK("is_object", T_, J("{\"foo\":1}"));
    OK("is_object", F_, J("\"foo\""));
    OK("is_null", T_, J("null"));
    OK("is_null", F_, J("true"));
    OK("type_name", J("\"null\""), J("null"));
    OK("type_name", J("\"boolean\""), J("true"));
    OK("type_name", J("\"number\""), J("100"));
    OK("type_name", J("\"string\""), J("\"Hello\""));
    OK("type_name", J("\"array\""), J("[1,2,3]"));
    OK("type_name", J("\"set\""), S("[1,2,3]"));
    OK("type_name", J("\"object\""), J("{\"foo\":1}"));
}

static void test_arrays(void)
{
    /* array/ */
    OK("array.concat", J("[1,2,3,4]"), J("[1,2]"), J("[3,4]"));
    OK("array.concat", J("[1]"), J("[]"), J("[1]"));
    TERR("array.concat", "array.concat: operand 1 must be array but got object", J("{\"v1\":\"hello\"}"),
         J("[3]"));
    TERR("array.concat", "array.concat: operand 2 must be array but got object", J("[1]"),
         J("{\"v1\":\"hello\"}"));
    OK("array.slice", J("[2,3]"), J("[1,2,3,4,5]"), J("1"), J("3"));
    OK("array.slice", J("[]"), J("[1,2,3]"), J("0"), J("0"));
    OK("array.slice", J("[]"), J("[1,2,3,4,5]"), J("-4"), J("-1"));
    OK("array.slice", J("[]"), J("[1,2,3,4,5]"), J("4"), J("1"));
    OK("array.slice", J("[1,2]"), J("[1,2,3,4,5]"), J("-1"), J("2"));
    OK("array.slice", J("[4,5]"), J("[1,2,3,4,5]"), J("3"), J("6"));
    OK("array.slice", J("[]"), J("[]"), J("1000"), J("2000"));
    OK("array.slice", J("[]"), J("[1,2,3]"), J("1000"), J("2000"));
    TERR("array.slice", "array.slice: operand 2 must be integer number but got floating-point number",
         J("[1]"), J("0.5"), J("1"));
    OK("array.reverse", J("[3,2,1]"), J("[1,2,3]"));
    OK("array.reverse", J("[]"), J("[]"));
    TERR("array.reverse", "array.reverse: operand 1 must be array but got object", J("{\"bar\":\"baz\"}"));
    OK("array.flatten", J("[]"), J("[]"));
    OK("array.flatten", J("[1,2,3,4,5]"), J("[[1,2],[3,4],[5]]"));
    OK("array.flatten", J("[1,2,3]"), J("[1,2,[3]]"));
    OK("array.flatten", J("[[1],[2,3,[]],[4,5]]"), J("[[[1],[2,3,[]]],[[4,5]]]"));
    OK("array.flatten", J("[1,2,\"string\",3,{\"a\":\"b\"},4.5,6,[7,8]]"),
       J("[[1,2],\"string\",[3,{\"a\":\"b\"}],4.5,[6,[7,8]]]"));
    TERR("array.flatten", "array.flatten: operand 1 must be array but got number", J("42"));
}

static void test_objects(void)
{
    /* objectget/ */
    OK("object.get", J("\"b\""), J("{\"a\":\"b\"}"), J("\"a\""), J("\"c\""));
    OK("object.get", J("\"c\""), J("{\"a\":\"b\"}"), J("\"c\""), J("\"c\""));
    OK("object.get", J("{\"a\":1}"), J("{\"a\":1}"), J("[]"), J("2"));
    OK("object.get", J("1"), J("{\"a\":{\"b\":{\"c\":1}}}"), J("[\"a\",\"b\",\"c\"]"), J("2"));
    OK("object.get", J("2"), J("{\"a\":{\"b\":{\"c\":1}}}"), J("[\"a\",\"b\",\"a\"]"), J("2"));
    OK("object.get", J("2"), J("{\"a\":{\"b\":[1,2,3]}}"), J("[\"a\",\"b\",\"a\"]"), J("2"));
    OK("object.get", J("1"), J("{\"a\":{\"b\":[{\"c\":1}]}}"), J("[\"a\",\"b\",0,\"c\"]"), J("2"));
    OK("object.get", J("2"), J("{\"a\":1}"), J("[\"a\",\"b\"]"), J("2"));
    TERR("object.get", "object.get: operand 1 must be object but got string", J("\"x\""), J("\"a\""), J("1"));
    /* objectkeys/ */
    OK("object.keys", S("[\"a\",\"b\"]"), J("{\"a\":1,\"b\":2}"));
    OK("object.keys", S("[]"), J("{}"));
    TERR("object.keys", "object.keys: operand 1 must be object but got string", J("\"a\""));
    /* objectunion/ */
    OK("object.union", J("{}"), J("{}"), J("{}"));
    OK("object.union", J("{\"a\":1,\"b\":2}"), J("{\"a\":1}"), J("{\"b\":2}"));
    OK("object.union", J("{\"a\":{\"b\":{\"c\":1}},\"b\":2}"), J("{\"b\":2}"),
       J("{\"a\":{\"b\":{\"c\":1}}}"));
    OK("object.union", J("{\"a\":2}"), J("{\"a\":1}"), J("{\"a\":2}"));
    OK("object.union", J("{\"a\":{\"b\":{\"c\":1}},\"d\":7}"), J("{\"a\":1}"),
       J("{\"a\":{\"b\":{\"c\":1}},\"d\":7}"));
    OK("object.union", J("{\"a\":{\"b\":\"foo\",\"b1\":\"bar\"},\"d\":7,\"e\":17}"),
       J("{\"a\":{\"b\":{\"c\":1}},\"e\":1}"), J("{\"a\":{\"b\":\"foo\",\"b1\":\"bar\"},\"d\":7,\"e\":17}"));
    TERR("object.union", "object.union: operand 1 must be object but got array", J("[]"), J("{}"));
    TERR("object.union", "object.union: operand 2 must be object but got array", J("{\"a\":1}"),
         J("[1,2,3]"));
    /* objectunionn/ */
    OK("object.union_n", J("{}"), J("[{}]"));
    OK("object.union_n", J("{\"foo\":\"baz\"}"), J("[{\"foo\":\"bar\"},{\"foo\":\"baz\"}]"));
    OK("object.union_n", J("{\"a\":\"final A!\",\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"foo\":\"baz\"}"),
       J("[{\"a\":1,\"b\":2,\"c\":3},{\"foo\":\"baz\",\"a\":\"a\",\"b\":2,\"d\":4},{\"a\":\"final "
         "A!\",\"e\":5.0}]"));
    OK("object.union_n", J("{\"a\":{\"c\":3}}"), J("[{\"a\":{\"b\":2}},{\"a\":4},{\"a\":{\"c\":3}}]"));
    TERR("object.union_n",
         "object.union_n: operand 1 must be array of objects but got array containing string",
         J("[{\"foo\":1},{\"bar\":2},\"baz\"]"));
    /* objectremove/ */
    OK("object.remove", J("{\"b\":{\"c\":3}}"), J("{\"a\":1,\"b\":{\"c\":3}}"), S("[\"a\"]"));
    OK("object.remove", J("{\"a\":1}"), J("{\"a\":1,\"b\":{\"c\":3},\"d\":4}"), J("[\"d\",\"b\"]"));
    OK("object.remove", J("{\"a\":1}"), J("{\"a\":1,\"b\":{\"c\":3},\"d\":4}"), J("{\"b\":1,\"d\":\"\"}"));
    OK("object.remove", J("{\"x\":123}"), J("{\"a\":{\"b\":{\"c\":2}},\"x\":123}"),
       J("{\"a\":{\"b\":{\"foo\":1}}}"));
    OK("object.remove", J("{\"a\":1}"), J("{\"a\":1,\"b\":2}"), S("[\"b\",\"z\"]"));
    TERR("object.remove", "object.remove: operand 1 must be object but got null", J("null"), S("[\"a\"]"));
    TERR("object.remove", "object.remove: operand 2 must be one of {object, set, array} but got string",
         J("{\"a\":1}"), J("\"a\""));
    /* objectfilter/ */
    OK("object.filter", J("{\"a\":{\"b\":{\"c\":7,\"d\":8}}}"),
       J("{\"a\":{\"b\":{\"c\":7,\"d\":8}},\"e\":9}"), S("[\"a\"]"));
    OK("object.filter", J("{\"a\":1,\"e\":9}"), J("{\"a\":1,\"b\":2,\"c\":3,\"e\":9}"), J("[\"a\",\"e\"]"));
    OK("object.filter", J("{\"a\":1,\"e\":9}"), J("{\"a\":1,\"b\":2,\"c\":3,\"e\":9}"),
       J("{\"a\":\"foo\",\"e\":\"\"}"));
    OK("object.filter", J("{}"), J("{\"a\":7}"), S("[]"));
    TERR("object.filter", "object.filter: operand 2 must be one of {object, set, array} but got null",
         J("{}"), J("null"));
    {
        /* objectfilternonstringkey/, objectremovenonstringkey/: {"a": 1, [[7]]: 2} */
        vbuild b;
        vb_init(&b, &T.a);
        vb_put(&b, J("\"a\""), J("1"));
        vb_put(&b, J("[[7]]"), J("2"));
        const val *obj = vb_finish_object(&b, NULL);
        vb_init(&b, &T.a);
        vb_put(&b, J("[[7]]"), J("2"));
        const val *want = vb_finish_object(&b, NULL);
        OK("object.filter", want, obj, S("[[[7]]]"));
        OK("object.remove", J("{\"a\":1}"), obj, S("[[[7]]]"));
    }
    /* subset/ */
    OK("object.subset", T_, J("{\"a\":5,\"b\":7,\"c\":15}"), J("{\"a\":5}"));
    OK("object.subset", F_, J("{\"a\":5}"), J("{\"a\":5,\"b\":7,\"c\":15}"));
    OK("object.subset", F_, J("{\"a\":5,\"b\":7,\"c\":15}"), J("{\"a\":5,\"b\":10}"));
    OK("object.subset", T_, J("{\"a\":5,\"n\":{\"x\":10,\"y\":15,\"z\":20}}"),
       J("{\"n\":{\"x\":10,\"y\":15}}"));
    OK("object.subset", T_, J("{\"n\":{\"arr\":[6,7,8,9]}}"), J("{\"n\":{\"arr\":[6,7]}}"));
    OK("object.subset", T_, S("[1,2,3]"), S("[3,2]"));
    OK("object.subset", F_, S("[3,2]"), S("[1,2,3]"));
    OK("object.subset", F_, SS("[[1,2,3],[4]]"), SS("[[1,2]]")); /* nested sets are not matched up */
    OK("object.subset", T_, J("[1,2,3,4,5,6]"), J("[3,4,5]"));
    OK("object.subset", T_, J("[1,2,3,4,5,6]"), J("[1,2,3]"));
    OK("object.subset", T_, J("[1,2,3,4,5,6]"), J("[4,5,6]"));
    OK("object.subset", T_, J("[1,2,3,4,5,6]"), J("[1,2,3,4,5,6]"));
    OK("object.subset", F_, J("[1,2,3,4,5,6]"), J("[4,5,6,8]"));
    OK("object.subset", F_, J("[1,2,3,4,5,6]"), J("[1,3]"));
    OK("object.subset", T_, J("[1,2,3,4,5,6]"), S("[4,3,2]"));
    OK("object.subset", F_, J("[1,2,3,4,5,6]"), S("[9,8,7]"));
    TERR("object.subset",
         "object.subset: both arguments object.subset must be of the same type or array and set",
         S("[4,3,2]"), J("[1,2,3,4,5,6]"));
    /* intersection/, union/ */
    OK("intersection", S("[]"), S("[]"));
    OK("intersection", S("[]"), SS("[[],[1,2]]"));
    OK("intersection", S("[2]"), SS("[[1,2,3],[2]]"));
    OK("intersection", S("[]"), SS("[[1,2,3],[2,3,4],[4,5,6]]"));
    OK("intersection", S("[\"d\"]"),
       SS("[[\"a\",\"b\",\"c\",\"d\"],[\"b\",\"c\",\"d\"],[\"c\",\"d\"],[\"d\"]]"));
    OK("union", S("[]"), S("[]"));
    OK("union", S("[1,2]"), SS("[[],[1,2]]"));
    OK("union", S("[1,2,3,4,5,6]"), SS("[[1,2,3],[2,3,4],[4,5,6]]"));
    TERR("union", "union: operand 1 must be set but got array", J("[]"));
    TERR("intersection", "intersection: operand 1 must be set but got number", S("[1]"));
}

static void test_json_docs(void)
{
    const val *doc = J("{\"a\":{\"b\":{\"c\":7,\"d\":8}},\"e\":9}");
    /* jsonfilter/ */
    OK("json.filter", J("{\"a\":{\"b\":{\"c\":7}}}"), doc, S("[\"a/b/c\"]"));
    OK("json.filter", J("{\"a\":{\"b\":{\"c\":7}},\"e\":9}"), doc, S("[\"a/b/c\",\"e\"]"));
    OK("json.filter", J("{\"a\":{\"b\":{\"c\":7}},\"e\":9}"), doc, J("[\"a/b/c\",\"e\"]"));
    OK("json.filter", J("{\"a\":{\"b\":{\"c\":7},\"e\":9}}"), J("{\"a\":{\"b\":{\"c\":7,\"d\":8},\"e\":9}}"),
       S("[\"a/b/c\",\"a/e\"]"));
    OK("json.filter", J("{\"a\":{\"b\":7}}"), J("{\"a\":{\"b\":7}}"), S("[\"a\",\"a/b\"]"));
    OK("json.filter", J("{}"), J("{\"a\":7}"), S("[]"));
    OK("json.filter", J("{}"), J("{}"), S("[\"a/b\"]"));
    OK("json.filter", J("{\"a\":[{\"b\":7},{\"d\":9}]}"), J("{\"a\":[{\"b\":7,\"c\":8},{\"d\":9}]}"),
       S("[\"a/0/b\",\"a/1\"]"));
    OK("json.filter", J("{\"a\":[{\"1\":[\"d\"]}]}"),
       J("{\"a\":[{\"1\":[\"b\",\"c\",\"d\"]},{\"x\":\"y\"}]}"), S("[\"a/0/1/2\"]"));
    OK("json.filter", J("{\"a\":{\"b\":{\"c\":7}},\"e\":9}"), doc, S("[[\"a\",\"b\",\"c\"],[\"e\"]]"));
    OK("json.filter", J("{\"a\":{\"b\":{\"c\":7,\"d\":8}}}"),
       J("{\"a\":{\"b\":{\"c\":7,\"d\":8,\"x\":0}},\"e\":9}"), J("[\"a/b/d\",[\"a\",\"b\",\"c\"]]"));
    OK("json.filter", J("{\"a/b\":1}"), J("{\"a/b\":1,\"c\":2}"), J("[\"/a~1b\"]"));
    TERR("json.filter", "json.filter: operand 1 must be object but got array", J("[]"), J("[]"));
    /* jsonremove/ */
    OK("json.remove", J("{\"a\":{\"b\":{\"d\":8}},\"e\":9}"), doc, S("[\"a/b/c\"]"));
    OK("json.remove", J("{\"a\":{\"b\":{\"d\":8}}}"), doc, S("[\"a/b/c\",\"e\"]"));
    OK("json.remove", J("{\"a\":{\"b\":{\"d\":8}}}"), doc, J("[\"a/b/c\",\"e\"]"));
    OK("json.remove", J("{\"a\":{\"b\":{\"d\":8}}}"), J("{\"a\":{\"b\":{\"c\":7,\"d\":8},\"e\":9}}"),
       S("[\"a/b/c\",\"a/e\"]"));
    OK("json.remove", J("{\"c\":1}"), J("{\"a\":{\"b\":7},\"c\":1}"), S("[\"a\",\"a/b\"]"));
    OK("json.remove", J("{\"a\":7}"), J("{\"a\":7}"), S("[]"));
    OK("json.remove", J("{}"), J("{\"a\":{\"b\":7},\"c\":1}"), S("[\"a\",\"c\"]"));
    OK("json.remove", J("{\"a\":{}}"), J("{\"a\":{\"b\":7},\"c\":1}"), S("[\"a/b\",\"c\"]"));
    OK("json.remove", J("{\"a\":[{\"c\":8}]}"), J("{\"a\":[{\"b\":7,\"c\":8},{\"d\":9}]}"),
       S("[\"a/0/b\",\"a/1\"]"));
    OK("json.remove", J("{\"a\":[{\"1\":[\"b\",\"c\"]},{\"x\":\"y\"}]}"),
       J("{\"a\":[{\"1\":[\"b\",\"c\",\"d\"]},{\"x\":\"y\"}]}"), S("[\"a/0/1/2\"]"));
    OK("json.remove", J("{\"a\":{\"b\":{\"x\":0}},\"e\":9}"),
       J("{\"a\":{\"b\":{\"c\":7,\"d\":8,\"x\":0}},\"e\":9}"), J("[\"a/b/d\",[\"a\",\"b\",\"c\"]]"));
    TERR("json.remove", "json.remove: operand 1 must be object but got string", J("\"a\""), S("[]"));
    TERR("json.remove", "json.remove: operand 2 must be one of {set, array} but got string", J("{}"),
         J("\"foo\""));
    TERR("json.remove", "json.remove: operand 2 must be one of {set, array} but got object", J("{}"),
         J("{\"y\":123}"));
    TERR("json.remove",
         "json.remove: operand 2 must be one of {set, array} containing string paths or array of path "
         "segments but "
         "got number",
         J("{}"), J("[\"a\",1,2,3]"));
    TERR("json.remove",
         "json.remove: operand 2 must be one of {set, array} containing string paths or array of path "
         "segments but "
         "got object",
         J("{}"), S("[\"a\",{\"x\":1}]"));
}

static const char patch_cases_json[] =
    "[{\"comment\":\"4.1. add with missing "
    "object\",\"doc\":{\"q\":{\"bar\":2}},\"patch\":[{\"op\":\"add\",\"path\":\"/a/b\","
    "\"value\":1}],\"error\":\"path /a does not exist -- missing objects are not created "
    "recursively\"},{\"comme"
    "nt\":\"A.1.  Adding an Object "
    "Member\",\"doc\":{\"foo\":\"bar\"},\"patch\":[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\""
    "qux\"}],\"expected\":{\"baz\":\"qux\",\"foo\":\"bar\"}},{\"comment\":\"A.2.  Adding an Array "
    "Element\",\"doc\":{\"foo\""
    ":[\"bar\",\"baz\"]},\"patch\":[{\"op\":\"add\",\"path\":\"/foo/"
    "1\",\"value\":\"qux\"}],\"expected\":{\"foo\":[\"bar\",\"qux\","
    "\"baz\"]}},{\"comment\":\"A.3.  Removing an Object "
    "Member\",\"doc\":{\"baz\":\"qux\",\"foo\":\"bar\"},\"patch\":[{\"op\""
    ":\"remove\",\"path\":\"/baz\"}],\"expected\":{\"foo\":\"bar\"}},{\"comment\":\"A.4.  Removing an Array "
    "Element\",\"do"
    "c\":{\"foo\":[\"bar\",\"qux\",\"baz\"]},\"patch\":[{\"op\":\"remove\",\"path\":\"/foo/"
    "1\"}],\"expected\":{\"foo\":[\"bar\",\"b"
    "az\"]}},{\"comment\":\"A.5.  Replacing a "
    "Value\",\"doc\":{\"baz\":\"qux\",\"foo\":\"bar\"},\"patch\":[{\"op\":\"replace\""
    ",\"path\":\"/"
    "baz\",\"value\":\"boo\"}],\"expected\":{\"baz\":\"boo\",\"foo\":\"bar\"}},{\"comment\":\"A.6.  Moving a "
    "Valu"
    "e\",\"doc\":{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}},\"patch\":[{"
    "\"op\":\"move\",\"from\":"
    "\"/foo/waldo\",\"path\":\"/qux/"
    "thud\"}],\"expected\":{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fr"
    "ed\"}}},{\"comment\":\"A.7.  Moving an Array "
    "Element\",\"doc\":{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]},\"patch\""
    ":[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/"
    "3\"}],\"expected\":{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}},{\""
    "comment\":\"A.8.  Testing a Value: "
    "Success\",\"doc\":{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]},\"patch\":[{\"op\":\"test"
    "\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/"
    "1\",\"value\":2}],\"expected\":{\"baz\":\"qux\",\"foo"
    "\":[\"a\",2,\"c\"]}},{\"comment\":\"A.9.  Testing a Value: "
    "Error\",\"doc\":{\"baz\":\"qux\"},\"patch\":[{\"op\":\"test\","
    "\"path\":\"/baz\",\"value\":\"bar\"}],\"error\":\"string not equivalent\"},{\"comment\":\"A.10.  Adding "
    "a nested Me"
    "mber "
    "Object\",\"doc\":{\"foo\":\"bar\"},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "child\",\"value\":{\"grandchild\":{}}}],\"e"
    "xpected\":{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}},{\"comment\":\"A.11.  Ignoring Unrecognized "
    "Elements\""
    ",\"doc\":{\"foo\":\"bar\"},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "baz\",\"value\":\"qux\",\"xyz\":123}],\"expected\":{\"foo\":"
    "\"bar\",\"baz\":\"qux\"}},{\"comment\":\"A.12.  Adding to a Non-existent "
    "Target\",\"doc\":{\"foo\":\"bar\"},\"patch\":"
    "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}],\"error\":\"add to a non-existent "
    "target\"},{\"comment\":\"A"
    ".13 Invalid JSON Patch "
    "Document\",\"doc\":{\"foo\":\"bar\"},\"patch\":[{\"op\":\"remove\",\"path\":\"/baz\",\"value\":\""
    "qux\"}],\"error\":\"operation has two 'op' members\"},{\"comment\":\"A.14. ~ Escape "
    "Ordering\",\"doc\":{\"/\":9,\""
    "~1\":10},\"patch\":[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}],\"expected\":{\"/"
    "\":9,\"~1\":10}},{\"comment\":\"A.1"
    "5. Comparing Strings and "
    "Numbers\",\"doc\":{\"/\":9,\"~1\":10},\"patch\":[{\"op\":\"test\",\"path\":\"/~01\",\"value\":"
    "\"10\"}],\"error\":\"number is not equal to string\"},{\"comment\":\"A.16. Adding an Array "
    "Value\",\"doc\":{\"foo"
    "\":[\"bar\"]},\"patch\":[{\"op\":\"add\",\"path\":\"/foo/"
    "-\",\"value\":[\"abc\",\"def\"]}],\"expected\":{\"foo\":[\"bar\",[\"a"
    "bc\",\"def\"]]}},{\"comment\":\"empty list, empty "
    "docs\",\"doc\":{},\"patch\":[],\"expected\":{}},{\"comment\":\"emp"
    "ty patch "
    "list\",\"doc\":{\"foo\":1},\"patch\":[],\"expected\":{\"foo\":1}},{\"comment\":\"rearrangements "
    "OK?\",\"doc"
    "\":{\"foo\":1,\"bar\":2},\"patch\":[],\"expected\":{\"bar\":2,\"foo\":1}},{\"comment\":\"rearrangements "
    "OK?  How abo"
    "ut one level down ... "
    "array\",\"doc\":[{\"foo\":1,\"bar\":2}],\"patch\":[],\"expected\":[{\"bar\":2,\"foo\":1}]},{\""
    "comment\":\"rearrangements OK?  How about one level "
    "down...\",\"doc\":{\"foo\":{\"foo\":1,\"bar\":2}},\"patch\":["
    "],\"expected\":{\"foo\":{\"bar\":2,\"foo\":1}}},{\"comment\":\"add replaces any existing "
    "field\",\"doc\":{\"foo\":nu"
    "ll},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "foo\",\"value\":1}],\"expected\":{\"foo\":1}},{\"comment\":\"toplevel array\""
    ",\"doc\":[],\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "0\",\"value\":\"foo\"}],\"expected\":[\"foo\"]},{\"comment\":\"toplevel "
    "array, no change\",\"doc\":[\"foo\"],\"patch\":[],\"expected\":[\"foo\"]},{\"comment\":\"toplevel "
    "object, numeric "
    "string\",\"doc\":{},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "foo\",\"value\":\"1\"}],\"expected\":{\"foo\":\"1\"}},{\"comment\""
    ":\"toplevel object, "
    "integer\",\"doc\":{},\"patch\":[{\"op\":\"add\",\"path\":\"/foo\",\"value\":1}],\"expected\":{\"foo"
    "\":1}},{\"comment\":\"Toplevel scalar values "
    "OK?\",\"doc\":\"foo\",\"patch\":[{\"op\":\"replace\",\"path\":\"\",\"value\""
    ":\"bar\"}],\"expected\":\"bar\"},{\"comment\":\"replace object document with array "
    "document?\",\"doc\":{},\"patch"
    "\":[{\"op\":\"add\",\"path\":\"\",\"value\":[]}],\"expected\":[]},{\"comment\":\"replace array document "
    "with object "
    "document?\",\"doc\":[],\"patch\":[{\"op\":\"add\",\"path\":\"\",\"value\":{}}],\"expected\":{}},{"
    "\"comment\":\"append to"
    " root array "
    "document?\",\"doc\":[],\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "-\",\"value\":\"hi\"}],\"expected\":[\"hi\"]},{"
    "\"comment\":\"Add, / "
    "target\",\"doc\":{},\"patch\":[{\"op\":\"add\",\"path\":\"/\",\"value\":1}],\"expected\":{\"\":1}},{\""
    "comment\":\"Add, /foo/ deep target (trailing "
    "slash)\",\"doc\":{\"foo\":{}},\"patch\":[{\"op\":\"add\",\"path\":\"/fo"
    "o/\",\"value\":1}],\"expected\":{\"foo\":{\"\":1}}},{\"comment\":\"Add composite value at top "
    "level\",\"doc\":{\"foo"
    "\":1},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "bar\",\"value\":[1,2]}],\"expected\":{\"foo\":1,\"bar\":[1,2]}},{\"comment\""
    ":\"Add into composite "
    "value\",\"doc\":{\"foo\":1,\"baz\":[{\"qux\":\"hello\"}]},\"patch\":[{\"op\":\"add\",\"path\":\"/ba"
    "z/0/"
    "foo\",\"value\":\"world\"}],\"expected\":{\"foo\":1,\"baz\":[{\"qux\":\"hello\",\"foo\":\"world\"}]}},{"
    "\"doc\":{\"bar\""
    ":[1,2]},\"patch\":[{\"op\":\"add\",\"path\":\"/bar/8\",\"value\":\"5\"}],\"error\":\"Out of bounds "
    "(upper)\"},{\"doc\":{"
    "\"bar\":[1,2]},\"patch\":[{\"op\":\"add\",\"path\":\"/bar/-1\",\"value\":\"5\"}],\"error\":\"Out of "
    "bounds (lower)\"},{\""
    "doc\":{\"foo\":1},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "bar\",\"value\":true}],\"expected\":{\"foo\":1,\"bar\":true}},{\""
    "doc\":{\"foo\":1},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "bar\",\"value\":false}],\"expected\":{\"foo\":1,\"bar\":false}},"
    "{\"doc\":{\"foo\":1},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "bar\",\"value\":null}],\"expected\":{\"foo\":1,\"bar\":null}},"
    "{\"comment\":\"0 can be an array index or object element "
    "name\",\"doc\":{\"foo\":1},\"patch\":[{\"op\":\"add\",\"pa"
    "th\":\"/"
    "0\",\"value\":\"bar\"}],\"expected\":{\"foo\":1,\"0\":\"bar\"}},{\"doc\":[\"foo\"],\"patch\":[{\"op\":"
    "\"add\",\"path\":"
    "\"/"
    "1\",\"value\":\"bar\"}],\"expected\":[\"foo\",\"bar\"]},{\"doc\":[\"foo\",\"sil\"],\"patch\":[{\"op\":"
    "\"add\",\"path\":\"/1\""
    ",\"value\":\"bar\"}],\"expected\":[\"foo\",\"bar\",\"sil\"]},{\"doc\":[\"foo\",\"sil\"],\"patch\":[{"
    "\"op\":\"add\",\"path\":\"/"
    "0\",\"value\":\"bar\"}],\"expected\":[\"bar\",\"foo\",\"sil\"]},{\"comment\":\"push item to array via "
    "last index + 1"
    "\",\"doc\":[\"foo\",\"sil\"],\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "2\",\"value\":\"bar\"}],\"expected\":[\"foo\",\"sil\",\"bar\""
    "]},{\"comment\":\"add item to array at index > length should "
    "fail\",\"doc\":[\"foo\",\"sil\"],\"patch\":[{\"op\":\""
    "add\",\"path\":\"/3\",\"value\":\"bar\"}],\"error\":\"index is greater than number of items in "
    "array\"},{\"comment"
    "\":\"test against implementation-specific numeric "
    "parsing\",\"doc\":{\"1e0\":\"foo\"},\"patch\":[{\"op\":\"test\",\""
    "path\":\"/1e0\",\"value\":\"foo\"}],\"expected\":{\"1e0\":\"foo\"}},{\"comment\":\"test with bad number "
    "should fail\""
    ",\"doc\":[\"foo\",\"bar\"],\"patch\":[{\"op\":\"test\",\"path\":\"/"
    "1e0\",\"value\":\"bar\"}],\"error\":\"test op shouldn't "
    "get array element "
    "1\"},{\"doc\":[\"foo\",\"sil\"],\"patch\":[{\"op\":\"add\",\"path\":\"/bar\",\"value\":42}],\"error\":\""
    "Object operation on array target\"},{\"comment\":\"value in array add not "
    "flattened\",\"doc\":[\"foo\",\"sil\"]"
    ",\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "1\",\"value\":[\"bar\",\"baz\"]}],\"expected\":[\"foo\",[\"bar\",\"baz\"],\"sil\"]},{\""
    "doc\":{\"foo\":1,\"bar\":[1,2,3,4]},\"patch\":[{\"op\":\"remove\",\"path\":\"/"
    "bar\"}],\"expected\":{\"foo\":1}},{\"doc\":"
    "{\"foo\":1,\"baz\":[{\"qux\":\"hello\"}]},\"patch\":[{\"op\":\"remove\",\"path\":\"/baz/0/"
    "qux\"}],\"expected\":{\"foo\":1,"
    "\"baz\":[{}]}},{\"doc\":{\"foo\":1,\"baz\":[{\"qux\":\"hello\"}]},\"patch\":[{\"op\":\"replace\","
    "\"path\":\"/foo\",\"value\""
    ":[1,2,3,4]}],\"expected\":{\"foo\":[1,2,3,4],\"baz\":[{\"qux\":\"hello\"}]}},{\"doc\":{\"foo\":[1,2,3,4]"
    ",\"baz\":[{\""
    "qux\":\"hello\"}]},\"patch\":[{\"op\":\"replace\",\"path\":\"/baz/0/"
    "qux\",\"value\":\"world\"}],\"expected\":{\"foo\":[1,"
    "2,3,4],\"baz\":[{\"qux\":\"world\"}]}},{\"doc\":[\"foo\"],\"patch\":[{\"op\":\"replace\",\"path\":\"/"
    "0\",\"value\":\"bar\"}]"
    ",\"expected\":[\"bar\"]},{\"doc\":[\"\"],\"patch\":[{\"op\":\"replace\",\"path\":\"/"
    "0\",\"value\":0}],\"expected\":[0]},{\""
    "doc\":[\"\"],\"patch\":[{\"op\":\"replace\",\"path\":\"/"
    "0\",\"value\":true}],\"expected\":[true]},{\"doc\":[\"\"],\"patch\""
    ":[{\"op\":\"replace\",\"path\":\"/"
    "0\",\"value\":false}],\"expected\":[false]},{\"doc\":[\"\"],\"patch\":[{\"op\":\"replac"
    "e\",\"path\":\"/0\",\"value\":null}],\"expected\":[null]},{\"comment\":\"value in array replace not "
    "flattened\",\""
    "doc\":[\"foo\",\"sil\"],\"patch\":[{\"op\":\"replace\",\"path\":\"/"
    "1\",\"value\":[\"bar\",\"baz\"]}],\"expected\":[\"foo\",[\""
    "bar\",\"baz\"]]},{\"comment\":\"replace whole "
    "document\",\"doc\":{\"foo\":\"bar\"},\"patch\":[{\"op\":\"replace\",\"path"
    "\":\"\",\"value\":{\"baz\":\"qux\"}}],\"expected\":{\"baz\":\"qux\"}},{\"comment\":\"test replace with "
    "missing parent "
    "key should "
    "fail\",\"doc\":{\"bar\":\"baz\"},\"patch\":[{\"op\":\"replace\",\"path\":\"/foo/"
    "bar\",\"value\":false}],\"err"
    "or\":\"replace op should fail with missing parent key\"},{\"comment\":\"spurious patch "
    "properties\",\"doc\":{"
    "\"foo\":1},\"patch\":[{\"op\":\"test\",\"path\":\"/"
    "foo\",\"value\":1,\"spurious\":1}],\"expected\":{\"foo\":1}},{\"commen"
    "t\":\"null value should be valid obj "
    "property\",\"doc\":{\"foo\":null},\"patch\":[{\"op\":\"test\",\"path\":\"/foo\","
    "\"value\":null}],\"expected\":{\"foo\":null}},{\"comment\":\"null value should be valid obj property to "
    "be re"
    "placed with something "
    "truthy\",\"doc\":{\"foo\":null},\"patch\":[{\"op\":\"replace\",\"path\":\"/foo\",\"value\":\"tru"
    "thy\"}],\"expected\":{\"foo\":\"truthy\"}},{\"comment\":\"null value should be valid obj property to be "
    "moved\""
    ",\"doc\":{\"foo\":null},\"patch\":[{\"op\":\"move\",\"from\":\"/foo\",\"path\":\"/"
    "bar\"}],\"expected\":{\"bar\":null}},{\"c"
    "omment\":\"null value should be valid obj property to be "
    "copied\",\"doc\":{\"foo\":null},\"patch\":[{\"op\":\"co"
    "py\",\"from\":\"/foo\",\"path\":\"/"
    "bar\"}],\"expected\":{\"foo\":null,\"bar\":null}},{\"comment\":\"null value should "
    "be valid obj property to be "
    "removed\",\"doc\":{\"foo\":null},\"patch\":[{\"op\":\"remove\",\"path\":\"/foo\"}],\"exp"
    "ected\":{}},{\"comment\":\"null value should still be valid obj property replace other "
    "value\",\"doc\":{\"fo"
    "o\":\"bar\"},\"patch\":[{\"op\":\"replace\",\"path\":\"/"
    "foo\",\"value\":null}],\"expected\":{\"foo\":null}},{\"comment\":"
    "\"test should pass despite "
    "rearrangement\",\"doc\":{\"foo\":{\"foo\":1,\"bar\":2}},\"patch\":[{\"op\":\"test\",\"path"
    "\":\"/"
    "foo\",\"value\":{\"bar\":2,\"foo\":1}}],\"expected\":{\"foo\":{\"foo\":1,\"bar\":2}}},{\"comment\":"
    "\"test should p"
    "ass despite (nested) "
    "rearrangement\",\"doc\":{\"foo\":[{\"foo\":1,\"bar\":2}]},\"patch\":[{\"op\":\"test\",\"path\":\""
    "/foo\",\"value\":[{\"bar\":2,\"foo\":1}]}],\"expected\":{\"foo\":[{\"foo\":1,\"bar\":2}]}},{\"comment\":"
    "\"test should "
    "pass - no "
    "error\",\"doc\":{\"foo\":{\"bar\":[1,2,5,4]}},\"patch\":[{\"op\":\"test\",\"path\":\"/"
    "foo\",\"value\":{\"bar\":"
    "[1,2,5,4]}}],\"expected\":{\"foo\":{\"bar\":[1,2,5,4]}}},{\"doc\":{\"foo\":{\"bar\":[1,2,5,4]}},"
    "\"patch\":[{\"op\":\""
    "test\",\"path\":\"/foo\",\"value\":[1,2]}],\"error\":\"test op should fail\"},{\"comment\":\"Whole "
    "document\",\"doc\""
    ":{\"foo\":1},\"patch\":[{\"op\":\"test\",\"path\":\"\",\"value\":{\"foo\":1}}]},{\"comment\":\"Empty-"
    "string element\",\"d"
    "oc\":{\"\":1},\"patch\":[{\"op\":\"test\",\"path\":\"/"
    "\",\"value\":1}],\"expected\":{\"\":1}},{\"doc\":{\"foo\":[\"bar\",\"baz"
    "\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,\"i\\\\j\":5,\"k\\\"l\":6,\" "
    "\":7,\"m~n\":8},\"patch\":[{\"op\":\"test\",\"path"
    "\":\"/foo\",\"value\":[\"bar\",\"baz\"]},{\"op\":\"test\",\"path\":\"/foo/"
    "0\",\"value\":\"bar\"},{\"op\":\"test\",\"path\":\"/\","
    "\"value\":0},{\"op\":\"test\",\"path\":\"/a~1b\",\"value\":1},{\"op\":\"test\",\"path\":\"/"
    "c%d\",\"value\":2},{\"op\":\"test\""
    ",\"path\":\"/e^f\",\"value\":3},{\"op\":\"test\",\"path\":\"/"
    "g|h\",\"value\":4},{\"op\":\"test\",\"path\":\"/i\\\\j\",\"value\":"
    "5},{\"op\":\"test\",\"path\":\"/k\\\"l\",\"value\":6},{\"op\":\"test\",\"path\":\"/ "
    "\",\"value\":7},{\"op\":\"test\",\"path\":\"/"
    "m~0n\",\"value\":8}],\"expected\":{\"\":0,\" "
    "\":7,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"foo\":[\"bar\",\"baz\"],\"g|h\":4,\"i\\\\j\":"
    "5,\"k\\\"l\":6,\"m~n\":8}},{\"comment\":\"Move to same location has no "
    "effect\",\"doc\":{\"foo\":1},\"patch\":[{\"op\""
    ":\"move\",\"from\":\"/foo\",\"path\":\"/"
    "foo\"}],\"expected\":{\"foo\":1}},{\"doc\":{\"foo\":1,\"baz\":[{\"qux\":\"hello\"}]}"
    ",\"patch\":[{\"op\":\"move\",\"from\":\"/foo\",\"path\":\"/"
    "bar\"}],\"expected\":{\"baz\":[{\"qux\":\"hello\"}],\"bar\":1}},{"
    "\"doc\":{\"baz\":[{\"qux\":\"hello\"}],\"bar\":1},\"patch\":[{\"op\":\"move\",\"from\":\"/baz/0/"
    "qux\",\"path\":\"/baz/1\"}],"
    "\"expected\":{\"baz\":[{},\"hello\"],\"bar\":1}},{\"doc\":{\"baz\":[{\"qux\":\"hello\"}],\"bar\":1},"
    "\"patch\":[{\"op\":\"co"
    "py\",\"from\":\"/baz/0\",\"path\":\"/"
    "boo\"}],\"expected\":{\"baz\":[{\"qux\":\"hello\"}],\"bar\":1,\"boo\":{\"qux\":\"hello\""
    "}}},{\"comment\":\"replacing the root of the document is possible with "
    "add\",\"doc\":{\"foo\":\"bar\"},\"patch\""
    ":[{\"op\":\"add\",\"path\":\"\",\"value\":{\"baz\":\"qux\"}}],\"expected\":{\"baz\":\"qux\"}},{"
    "\"comment\":\"Adding to \\\"/-"
    "\\\" adds to the end of the "
    "array\",\"doc\":[1,2],\"patch\":[{\"op\":\"add\",\"path\":\"/-\",\"value\":{\"foo\":[\"bar\","
    "\"baz\"]}}],\"expected\":[1,2,{\"foo\":[\"bar\",\"baz\"]}]},{\"comment\":\"Adding to \\\"/-\\\" adds to "
    "the end of th"
    "e array, even n levels "
    "down\",\"doc\":[1,2,[3,[4,5]]],\"patch\":[{\"op\":\"add\",\"path\":\"/2/1/-\",\"value\":{\"fo"
    "o\":[\"bar\",\"baz\"]}}],\"expected\":[1,2,[3,[4,5,{\"foo\":[\"bar\",\"baz\"]}]]]},{\"comment\":\"test "
    "remove with b"
    "ad number should "
    "fail\",\"doc\":{\"foo\":1,\"baz\":[{\"qux\":\"hello\"}]},\"patch\":[{\"op\":\"remove\",\"path\":\"/baz/"
    "1e0/qux\"}],\"error\":\"remove op shouldn't remove from array with bad number\"},{\"comment\":\"test "
    "remove "
    "on "
    "array\",\"doc\":[1,2,3,4],\"patch\":[{\"op\":\"remove\",\"path\":\"/"
    "0\"}],\"expected\":[2,3,4]},{\"comment\":\"test"
    " repeated "
    "removes\",\"doc\":[1,2,3,4],\"patch\":[{\"op\":\"remove\",\"path\":\"/"
    "1\"},{\"op\":\"remove\",\"path\":\"/2\"}]"
    ",\"expected\":[1,3]},{\"comment\":\"test remove with bad index should "
    "fail\",\"doc\":[1,2,3,4],\"patch\":[{\"op"
    "\":\"remove\",\"path\":\"/1e0\"}],\"error\":\"remove op shouldn't remove from array with bad "
    "number\"},{\"commen"
    "t\":\"test replace with bad number should "
    "fail\",\"doc\":[\"\"],\"patch\":[{\"op\":\"replace\",\"path\":\"/1e0\",\"val"
    "ue\":false}],\"error\":\"replace op shouldn't replace in array with bad number\"},{\"comment\":\"test "
    "copy w"
    "ith bad number should "
    "fail\",\"doc\":{\"baz\":[1,2,3],\"bar\":1},\"patch\":[{\"op\":\"copy\",\"from\":\"/baz/1e0\",\"p"
    "ath\":\"/boo\"}],\"error\":\"copy op shouldn't work with bad number\"},{\"comment\":\"test move with "
    "bad numbe"
    "r should "
    "fail\",\"doc\":{\"foo\":1,\"baz\":[1,2,3,4]},\"patch\":[{\"op\":\"move\",\"from\":\"/baz/"
    "1e0\",\"path\":\"/foo\""
    "}],\"error\":\"move op shouldn't work with bad number\"},{\"comment\":\"test add with bad number should "
    "fai"
    "l\",\"doc\":[\"foo\",\"sil\"],\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "1e0\",\"value\":\"bar\"}],\"error\":\"add op shouldn't "
    "add to array with bad number\"},{\"comment\":\"missing 'path' "
    "parameter\",\"doc\":{},\"patch\":[{\"op\":\"add\",\""
    "value\":\"bar\"}],\"error\":\"missing 'path' parameter\"},{\"comment\":\"'path' parameter with null "
    "value\",\"do"
    "c\":{},\"patch\":[{\"op\":\"add\",\"path\":null,\"value\":\"bar\"}],\"error\":\"null is not valid value "
    "for 'path'\"}"
    ",{\"comment\":\"invalid JSON Pointer "
    "token\",\"doc\":{},\"patch\":[{\"op\":\"add\",\"path\":\"foo\",\"value\":\"bar\"}],"
    "\"error\":\"JSON Pointer should start with a slash\",\"opa_disabled\":true},{\"comment\":\"missing "
    "'value' pa"
    "rameter to add\",\"doc\":[1],\"patch\":[{\"op\":\"add\",\"path\":\"/-\"}],\"error\":\"missing 'value' "
    "parameter\"},{\""
    "comment\":\"missing 'value' parameter to "
    "replace\",\"doc\":[1],\"patch\":[{\"op\":\"replace\",\"path\":\"/0\"}],\"er"
    "ror\":\"missing 'value' parameter\"},{\"comment\":\"missing 'value' parameter to "
    "test\",\"doc\":[null],\"patch"
    "\":[{\"op\":\"test\",\"path\":\"/0\"}],\"error\":\"missing 'value' parameter\"},{\"comment\":\"missing "
    "value paramet"
    "er to test - where undef is "
    "falsy\",\"doc\":[false],\"patch\":[{\"op\":\"test\",\"path\":\"/0\"}],\"error\":\"missin"
    "g 'value' parameter\"},{\"comment\":\"missing from parameter to "
    "copy\",\"doc\":[1],\"patch\":[{\"op\":\"copy\",\"p"
    "ath\":\"/-\"}],\"error\":\"missing 'from' parameter\"},{\"comment\":\"missing from location to "
    "copy\",\"doc\":{\"f"
    "oo\":1},\"patch\":[{\"op\":\"copy\",\"from\":\"/bar\",\"path\":\"/foo\"}],\"error\":\"missing 'from' "
    "location\"},{\"comm"
    "ent\":\"missing from parameter to "
    "move\",\"doc\":{\"foo\":1},\"patch\":[{\"op\":\"move\",\"path\":\"\"}],\"error\":\"mis"
    "sing 'from' parameter\"},{\"comment\":\"missing from location to "
    "move\",\"doc\":{\"foo\":1},\"patch\":[{\"op\":\"m"
    "ove\",\"from\":\"/bar\",\"path\":\"/foo\"}],\"error\":\"missing 'from' "
    "location\"},{\"comment\":\"duplicate ops\",\"do"
    "c\":{\"foo\":\"bar\"},\"patch\":[{\"op\":\"move\",\"path\":\"/baz\",\"value\":\"qux\",\"from\":\"/"
    "foo\"}],\"error\":\"patch ha"
    "s two 'op' members\",\"opa_disabled\":true},{\"comment\":\"unrecognized op should "
    "fail\",\"doc\":{\"foo\":1},\"p"
    "atch\":[{\"op\":\"spam\",\"path\":\"/foo\",\"value\":1}],\"error\":\"Unrecognized op "
    "'spam'\"},{\"comment\":\"test wit"
    "h bad array number that has leading "
    "zeros\",\"doc\":[\"foo\",\"bar\"],\"patch\":[{\"op\":\"test\",\"path\":\"/00\",\"v"
    "alue\":\"foo\"}],\"error\":\"test op should reject the array value, it has leading "
    "zeros\"},{\"comment\":\"tes"
    "t with bad array number that has leading "
    "zeros\",\"doc\":[\"foo\",\"bar\"],\"patch\":[{\"op\":\"test\",\"path\":\"/0"
    "1\",\"value\":\"bar\"}],\"error\":\"test op should reject the array value, it has leading "
    "zeros\"},{\"comment\""
    ":\"Removing nonexistent "
    "field\",\"doc\":{\"foo\":\"bar\"},\"patch\":[{\"op\":\"remove\",\"path\":\"/baz\"}],\"error\":\"r"
    "emoving a nonexistent field should fail\"},{\"comment\":\"Removing deep nonexistent "
    "path\",\"doc\":{\"foo\":\""
    "bar\"},\"patch\":[{\"op\":\"remove\",\"path\":\"/missing1/missing2\"}],\"error\":\"removing a "
    "nonexistent field sh"
    "ould fail\"},{\"comment\":\"Removing nonexistent "
    "index\",\"doc\":[\"foo\",\"bar\"],\"patch\":[{\"op\":\"remove\",\"pat"
    "h\":\"/2\"}],\"error\":\"removing a nonexistent index should fail\"},{\"comment\":\"Patch with "
    "different capit"
    "alisation than "
    "doc\",\"doc\":{\"foo\":\"bar\"},\"patch\":[{\"op\":\"add\",\"path\":\"/"
    "FOO\",\"value\":\"BAR\"}],\"expected"
    "\":{\"foo\":\"bar\",\"FOO\":\"BAR\"}}]";

/* jsonpatch/json-patch-tests: the RFC 6902 suite as OPA's policy runs it:
 * "expected" must equal the result, "error" cases must be undefined,
 * others must simply produce a result. */
static void test_json_patch(void)
{
    const val *cases = J(patch_cases_json);
    CHECK(cases->len > 100);
    for (uint32_t i = 0; i < cases->len; i++) {
        const val *c = cases->u.a[i];
        if (val_obj_get_str(c, "opa_disabled", 12))
            continue;
        const val *doc = val_obj_get_str(c, "doc", 3), *patch = val_obj_get_str(c, "patch", 5),
                  *expected = val_obj_get_str(c, "expected", 8), *error = val_obj_get_str(c, "error", 5),
                  *comment = val_obj_get_str(c, "comment", 7);
        const val *args[2] = {doc, patch}, *out;
        bi_status st = call(__LINE__, "json.patch", args, 2, &out);
        bool ok = expected ? st == BI_OK && val_equal(out, expected) : error ? st == BI_UNDEF : st == BI_OK;
        if (ok) {
            test_st.passed++;
        } else {
            test_st.failed++;
            fprintf(stderr, "json.patch case %u (%s): status %d got %s\n", i, comment ? comment->u.s : "", st,
                    text(out));
        }
    }
    /* jsonpatch/set.yaml */
    {
        vbuild b;
        vb_init(&b, &T.a);
        vb_put(&b, J("\"foo\""), S("[\"a\",\"b\",\"c\"]"));
        const val *doc = vb_finish_object(&b, NULL);
        vb_init(&b, &T.a);
        vb_put(&b, J("\"foo\""), S("[\"a\",\"c\"]"));
        OK("json.patch", vb_finish_object(&b, NULL), doc, J("[{\"op\":\"remove\",\"path\":\"foo/b\"}]"));
        vb_init(&b, &T.a);
        vb_put(&b, J("\"foo\""), S("[\"a\",\"b\",\"c\",\"d\"]"));
        OK("json.patch", vb_finish_object(&b, NULL), doc,
           J("[{\"op\":\"add\",\"path\":\"foo/d\",\"value\":\"d\"}]"));
        UNDEF("json.patch", doc, J("[{\"op\":\"add\",\"path\":\"foo/d\",\"value\":\"e\"}]"));
        vb_init(&b, &T.a);
        vb_put(&b, J("\"foo\""), S("[\"a\",\"b\"]"));
        vb_put(&b, J("\"bar\""), S("[\"c\",\"d\"]"));
        const val *doc2 = vb_finish_object(&b, NULL);
        vb_init(&b, &T.a);
        vb_put(&b, J("\"foo\""), S("[\"b\"]"));
        vb_put(&b, J("\"bar\""), S("[\"a\",\"c\",\"d\"]"));
        OK("json.patch", vb_finish_object(&b, NULL), doc2,
           J("[{\"op\":\"move\",\"from\":\"foo/a\",\"path\":\"bar/a\"}]"));
        OK("json.patch", S("[[1,2]]"), S("[[1]]"), J("[{\"op\":\"add\",\"path\":[[1],1],\"value\":2}]"));
        UNDEF("json.patch", J("[1,2,3]"), J("[{\"op\":\"add\",\"path\":\"1.2\",\"value\":\"foo\"}]"));
    }
    TERR("json.patch", "json.patch: operand 2 must be array but got object", J("{}"), J("{}"));
}

static void test_encoding(void)
{
    /* jsonbuiltins/ */
    OK("json.marshal", J("\"[{\\\"foo\\\":[1,2,3]}]\""), J("[{\"foo\":[1,2,3]}]"));
    {
        vbuild b;
        vb_init(&b, &T.a);
        vb_put(&b, J("\"foo\""), S("[1,2,3]"));
        const val *o = vb_finish_object(&b, NULL);
        OK("json.marshal", J("\"{\\\"foo\\\":[1,2,3]}\""), o);
    }
    /* Go's encoding/json escapes <, > and & (HTML safety). */
    OK("json.marshal", J("\"\\\"\\\\u003ca\\\\u0026b\\\\u003e\\\"\""), J("\"<a&b>\""));
    const val *nums = J("[1234567890,2000000,1000000000]");
    OK("json.marshal_with_options", J("\"[\\n  1234567890,\\n  2000000,\\n  1000000000\\n]\""), nums,
       J("{\"indent\":\"  \"}"));
    OK("json.marshal_with_options", J("\"[1234567890,2000000,1000000000]\""), nums, J("{}"));
    OK("json.marshal_with_options", J("\"[\\n\\t1234567890,\\n\\t2000000,\\n\\t1000000000\\n]\""), nums,
       J("{\"pretty\":true}"));
    OK("json.marshal_with_options", J("\"[1234567890,2000000,1000000000]\""), nums,
       J("{\"pretty\":false,\"prefix\":\"NO!\",\"indent\":\"BAD!\"}"));
    OK("json.marshal_with_options",
       J("\"JSON => [\\nJSON => \\t1234567890,\\nJSON => \\t2000000,\\nJSON => \\t1000000000\\nJSON => ]\""),
       nums, J("{\"prefix\":\"JSON => \"}"));
    OK("json.marshal_with_options",
       J("\"JSON => {\\nJSON => \\t\\\"bar\\\": \\\"baz\\\",\\nJSON => \\t\\\"foo\\\": \\\"bar\\\"\\nJSON => "
         "}\""),
       J("{\"foo\":\"bar\",\"bar\":\"baz\"}"), J("{\"prefix\":\"JSON => \"}"));
    OK("json.marshal_with_options", J("\"---[]\""), J("[]"), J("{\"indent\":\"    \",\"prefix\":\"---\"}"));
    OK("json.marshal_with_options", J("\"[\\n    [\\n        [\\n            []\\n        ]\\n    ]\\n]\""),
       J("[[[[]]]]"), J("{\"indent\":\"    \"}"));
    TERR("json.marshal_with_options", "object contained unknown key \"include_winning_lottery_numbers\"",
         J("[]"), J("{\"indent\":\"    \",\"include_winning_lottery_numbers\":true}"));
    OK("json.unmarshal", J("[{\"foo\":[1,2,3]}]"), J("\"[{\\\"foo\\\":[1,2,3]}]\""));
    TERR("json.unmarshal", "json.unmarshal: operand 1 must be string but got number", J("1"));
    BERR("json.unmarshal", "json.unmarshal: ", J("\"{\""));
    OK("json.is_valid", F_, J("\"plainstring\""));
    OK("json.is_valid", F_, J("\"{\""));
    OK("json.is_valid", T_, J("\"{\\\"json\\\": \\\"ok\\\"}\""));
    OK("json.is_valid", F_, J("1"));
    OK("yaml.is_valid", T_, J("\"foo:\\n  - qux: bar\\n  - baz: 2\""));
    OK("yaml.is_valid", F_, J("\"foo:\\n  - qux: bar\\n  - baz: {\""));
    OK("yaml.is_valid", T_, J("\"{\\\"json\\\": \\\"ok\\\"}\""));
    OK("yaml.is_valid", F_, J("1"));
    OK("yaml.unmarshal", J("{\"foo\":[{\"qux\":\"bar\"},{\"baz\":2}]}"),
       J("\"foo:\\n  - qux: bar\\n  - baz: 2\""));
    BERR("yaml.unmarshal", "yaml: line 1: did not find", J("\"[1,2,3\""));
    {
        /* jsonbuiltins/yaml round-trip */
        vbuild b;
        vb_init(&b, &T.a);
        vb_put(&b, J("\"foo\""), S("[1,2,3]"));
        const val *doc = A1(vb_finish_object(&b, NULL));
        const val *y;
        const val *args[1] = {doc};
        CHECK(call(__LINE__, "yaml.marshal", args, 1, &y) == BI_OK && y && y->type == V_STR);
        if (y && y->type == V_STR)
            OK("yaml.unmarshal", J("[{\"foo\":[1,2,3]}]"), y);
    }
    /* base64builtins/, base64urlbuiltins/ */
    OK("base64.encode", J("\"aGVsbG8=\""), J("\"hello\""));
    OK("base64.encode", J("\"dGhlcmU=\""), J("\"there\""));
    OK("base64.encode", J("\"c3ViamVjdHM/X2Q=\""), J("\"subjects?_d\""));
    OK("base64.encode", J("\"\""), J("\"\""));
    OK("base64.decode", J("\"hello\""), J("\"aGVsbG8=\""));
    OK("base64.decode", J("\"subjects?_d\""), J("\"c3ViamVjdHM/X2Q=\""));
    OK("base64.decode", J("\"hello\""), J("\"aGVs\\nbG8=\"")); /* Go skips CR/LF */
    BERR("base64.decode", "base64.decode: illegal base64 data at input byte 4", J("\"aGVsbG8\""));
    BERR("base64.decode", "base64.decode: illegal base64 data at input byte 0", J("\"{'not':'base64'}\""));
    BERR("base64.decode", "base64.decode: illegal base64 data at input byte 8", J("\"aGVsbG8=x\""));
    OK("base64.is_valid", T_, J("\"aGVsbG8=\""));
    OK("base64.is_valid", F_, J("\"{'not':'base64'}\""));
    OK("base64.is_valid", F_, J("1"));
    OK("base64url.encode", J("\"aGVsbG8=\""), J("\"hello\""));
    OK("base64url.encode", J("\"Pz8_\""), J("\"???\""));
    OK("base64url.encode_no_pad", J("\"aGVsbG8\""), J("\"hello\""));
    OK("base64url.encode_no_pad", J("\"dGhlcmU\""), J("\"there\""));
    OK("base64url.decode", J("\"hello\""), J("\"aGVsbG8=\""));
    OK("base64url.decode", J("\"hello\""), J("\"aGVsbG8\""));
    OK("base64url.decode", J("\"???\""), J("\"Pz8_\""));
    BERR("base64url.decode", "base64url.decode: illegal base64url string: abcde", J("\"abcde\""));
    /* hexbuiltins/ */
    OK("hex.encode", J("\"6c6f72656d20697073756d\""), J("\"lorem ipsum\""));
    OK("hex.decode", J("\"lorem ipsum\""), J("\"6c6f72656d20697073756d\""));
    OK("hex.decode", J("\"lorem ipsum\""), J("\"6C6F72656D20697073756D\""));
    BERR("hex.decode", "hex.decode: encoding/hex: invalid byte: U+0067 'g'", J("\"fghijkl\""));
    BERR("hex.decode", "hex.decode: encoding/hex: odd length hex string", J("\"abc\""));
    TERR("hex.encode", "hex.encode: operand 1 must be string but got number", J("1"));
    /* urlbuiltins/ */
    OK("urlquery.encode", J("\"a%3Db%2B1\""), J("\"a=b+1\""));
    OK("urlquery.encode", J("\"\""), J("\"\""));
    OK("urlquery.encode", J("\"a+b~c\""), J("\"a b~c\""));
    OK("urlquery.decode", J("\"a=b+1\""), J("\"a%3Db%2B1\""));
    OK("urlquery.decode", J("\"a b\""), J("\"a+b\""));
    BERR("urlquery.decode", "urlquery.decode: invalid URL escape \"%zz\"", J("\"a%zz\""));
    OK("urlquery.encode_object", J("\"\""), J("{}"));
    OK("urlquery.encode_object", J("\"a=b&c=d\""), J("{\"a\":\"b\",\"c\":\"d\"}"));
    OK("urlquery.encode_object", J("\"a=c%3Db%2B1\""), J("{\"a\":\"c=b+1\"}"));
    OK("urlquery.encode_object", J("\"a=b%2B1&a=c%2B2\""), J("{\"a\":[\"b+1\",\"c+2\"]}"));
    {
        vbuild b;
        vb_init(&b, &T.a);
        vb_put(&b, J("\"a\""), S("[\"b+1\"]"));
        OK("urlquery.encode_object", J("\"a=b%2B1\""), vb_finish_object(&b, NULL));
    }
    TERR("urlquery.encode_object",
         "urlquery.encode_object: operand 1 values must be string, array[string], or set[string]",
         J("{\"a\":1}"));
    OK("urlquery.decode_object", J("{\"a\":[\"value_a1\",\"value_a2\"],\"b\":[\"value_b\"]}"),
       J("\"a=value_a1&b=value_b&a=value_a2\""));
    OK("urlquery.decode_object", J("{\"a\":[\"value_a1\"],\"b\":[\"\"]}"), J("\"a=value_a1&b\""));
    OK("urlquery.decode_object", J("{}"), J("\"\""));
    BERR("urlquery.decode_object", "invalid semicolon separator in query", J("\"a=1;b=2\""));
}

static void test_walk_graph(void)
{
    /* walkbuiltin/ */
    OK("walk", J("[[[],1]]"), J("1"));
    OK("walk", J("[[[],[1,2,3,4]],[[0],1],[[1],2],[[2],3],[[3],4]]"), J("[1,2,3,4]"));
    OK("walk", J("[[[],{\"v1\":\"hello\",\"v2\":\"goodbye\"}],[[\"v1\"],\"hello\"],[[\"v2\"],\"goodbye\"]]"),
       J("{\"v1\":\"hello\",\"v2\":\"goodbye\"}"));
    {
        const val *q = SS("[[1,2,3]]"), *inner = S("[1,2,3]");
        vbuild b, p;
        vb_init(&b, &T.a);
        vb_push(&b, A2(J("[]"), q));
        vb_init(&p, &T.a);
        vb_push(&p, inner);
        vb_push(&b, A2(vb_finish_array(&p), inner));
        for (int i = 1; i <= 3; i++) {
            vb_init(&p, &T.a);
            vb_push(&p, inner);
            vb_push(&p, v_int(&T.a, i));
            vb_push(&b, A2(vb_finish_array(&p), v_int(&T.a, i)));
        }
        OK("walk", vb_finish_array(&b), q);
    }
    OK("walk",
       J("[[[],{\"a\":[{\"b\":1}]}],[[\"a\"],[{\"b\":1}]],[[\"a\",0],{\"b\":1}],[[\"a\",0,\"b\"],1]]"),
       J("{\"a\":[{\"b\":1}]}"));
    /* reachable/ */
    OK("graph.reachable", S("[]"), J("{}"), S("[\"a\"]"));
    OK("graph.reachable", S("[\"a\",\"b\",\"c\"]"), J("{\"a\":[\"b\"],\"b\":[\"c\"],\"c\":[\"a\"]}"),
       J("[\"a\"]"));
    {
        vbuild b;
        vb_init(&b, &T.a);
        vb_put(&b, J("\"a\""), S("[\"b\",\"c\"]"));
        vb_put(&b, J("\"b\""), S("[\"d\"]"));
        vb_put(&b, J("\"c\""), S("[\"d\"]"));
        vb_put(&b, J("\"d\""), S("[]"));
        vb_put(&b, J("\"e\""), S("[\"f\"]"));
        vb_put(&b, J("\"f\""), S("[\"e\"]"));
        vb_put(&b, J("\"x\""), S("[\"x\"]"));
        const val *g = vb_finish_object(&b, NULL);
        OK("graph.reachable", S("[\"b\",\"d\",\"e\",\"f\"]"), g, S("[\"b\",\"e\"]"));
        OK("graph.reachable_paths", S("[]"), J("{}"), S("[\"a\"]"));
        OK("graph.reachable_paths", S("[[\"b\",\"d\"],[\"e\",\"f\"]]"), g, S("[\"b\",\"e\"]"));
        OK("graph.reachable_paths", S("[[\"x\",\"x\"]]"), g, S("[\"x\"]"));
    }
    OK("graph.reachable", S("[\"a\"]"), J("{\"a\":null}"), J("[\"a\"]"));
    TERR("graph.reachable", "graph.reachable: operand 1 must be object but got number", J("1"), J("[1]"));
    TERR("graph.reachable", "graph.reachable: operand 2 must be {array, set} but got string", J("{\"a\":[]}"),
         J("\"a\""));
    /* reachable_paths/ */
    OK("graph.reachable_paths", S("[[\"a\",\"b\",\"c\"]]"), J("{\"a\":[\"b\"],\"b\":[\"c\"],\"c\":[\"a\"]}"),
       J("[\"a\"]"));
    OK("graph.reachable_paths", S("[[\"a\"]]"), J("{\"a\":null}"), J("[\"a\"]"));
    OK("graph.reachable_paths", S("[[\"a\",\"b\",\"c\"],[\"a\",\"c\"]]"),
       J("{\"a\":[\"b\",\"c\"],\"b\":[\"c\"],\"c\":[]}"), S("[\"a\"]"));
    OK("graph.reachable_paths", S("[[\"a\",\"b\"],[\"b\"]]"), J("{\"a\":[\"b\"],\"b\":[\"nonexistent\"]}"),
       S("[\"a\",\"b\"]"));
    OK("graph.reachable_paths",
       S("[[\"one\",\"five\",\"seven\",\"eight\"],[\"one\",\"five\",\"six\",\"nine\"],[\"one\",\"two\","
         "\"four\","
         "\"three\"]]"),
       J("{\"one\":[\"two\",\"five\"],\"two\":[\"four\"],\"three\":[\"\"],\"four\":[\"three\"],\"five\":["
         "\"seven\","
         "\"six\"],\"six\":[\"nine\"],\"seven\":[\"eight\"],\"eight\":[\"\"],\"nine\":[\"\"]}"),
       S("[\"one\"]"));
    /* reachable_paths/cycle_1022_3: a node reached from one branch ends
     * the path of another. */
    OK("graph.reachable_paths",
       S("[[\"one\",\"five\",\"seven\",\"eight\",\"three\"],[\"one\",\"five\",\"six\"],[\"one\",\"five\","
         "\"six\",\"nine\"],[\"one\",\"two\",\"four\",\"three\"]]"),
       J("{\"one\":[\"two\",\"five\"],\"two\":[\"four\"],\"three\":[\"\"],\"four\":[\"three\"],\"five\":["
         "\"seven\","
         "\"six\"],\"six\":[\"nine\",\"seven\"],\"seven\":[\"eight\"],\"eight\":[\"three\"],\"nine\":[\"\"]"
         "}"),
       S("[\"one\"]"));
    TERR("graph.reachable_paths", "graph.reachable_paths: operand 2 must be {array, set} but got string",
         J("{\"a\":[]}"), J("\"a\""));
}

static void test_oom(void)
{
    /* A full arena is reported, never a crash or a wrong result. */
    static unsigned char small[256];
    arena tiny;
    arena_init_fixed(&tiny, small, sizeof small);
    bi_ctx c = T.c;
    c.arena = &tiny;
    const val *args[2] = {J("-1000000"), J("1000000")}, *out = NULL;
    int id = bi_lookup("numbers.range", 13);
    CHECK(bi_table[id].fn(&c, args, &out) == BI_ERR && c.err_code == POL_LIMIT_ARENA);
    const val *margs[1] = {
        J("[1,2,3,[4,5,{\"a\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}]]")};
    id = bi_lookup("json.marshal", 12);
    CHECK(bi_table[id].fn(&c, margs, &out) == BI_ERR && c.err_code == POL_LIMIT_ARENA);
    id = bi_lookup("walk", 4);
    CHECK(bi_table[id].fn(&c, margs, &out) == BI_ERR && c.err_code == POL_LIMIT_ARENA);
}

int main(void)
{
    size_t size = (size_t)64 << 20;
    void *mem = malloc(size);
    if (!mem)
        return 2;
    arena_init_fixed(&T.a, mem, size);
    memset(&T.c, 0, sizeof T.c);
    T.c.arena = &T.a;
    test_table();
    test_arithmetic();
    test_float_results();
    test_fast_paths_match_general();
    test_member_count_fast_paths();
    test_int_arith_matches_exact();
    test_sum_fast_matches_general();
    test_sets_and_compare();
    test_aggregates();
    test_numbers();
    test_types();
    test_arrays();
    test_objects();
    test_json_docs();
    test_json_patch();
    test_encoding();
    test_walk_graph();
    test_oom();
    free(mem);
    return TEST_SUMMARY();
}
