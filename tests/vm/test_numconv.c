/* numconv against libc as the oracle: glibc's printf and strtod/strtold
 * are correctly rounded, so the shortest digits they find by search and
 * the values they parse are the exact answers the fast paths must give.
 * Values come from a fixed-seed generator (reproducible) and from the
 * edges of each fast path's range. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "vm/numconv.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

/* Digits (trailing zeros dropped) and point of printf's "d.ddde±x". */
static void digits_of_e_text(const char *e, char *digits, int *point)
{
    int n = 0;
    const char *c = e;
    for (; *c && *c != 'e'; c++)
        if (*c >= '0' && *c <= '9')
            digits[n++] = *c;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *point = atoi(c + 1) + 1;
}

/* The shortest digits by plain search, from one digit up. */
static void ref_shortest_double(double a, char *digits, int *point)
{
    char buf[40];
    for (int p = 0; p <= 16; p++) {
        snprintf(buf, sizeof buf, "%.*e", p, a);
        if (p == 16 || strtod(buf, NULL) == a)
            break;
    }
    digits_of_e_text(buf, digits, point);
}

static void ref_shortest_ldouble(long double a, char *digits, int *point)
{
    char buf[64];
    for (int p = 0; p < 24; p++) {
        snprintf(buf, sizeof buf, "%.*Le", p, a);
        if (strtold(buf, NULL) == a)
            break;
    }
    digits_of_e_text(buf, digits, point);
}

static const char *dec_str(const num_decimal *d, char *buf)
{
    memcpy(buf, d->digits, (size_t)d->ndigits);
    buf[d->ndigits] = '\0';
    return buf;
}

/* Mismatch counters report the first few cases, then just count. */
static int report(int *bad, const char *what, const char *detail)
{
    if ((*bad)++ < 5)
        fprintf(stderr, "mismatch (%s): %s\n", what, detail);
    return 0;
}

static void check_double(double x, int *bad)
{
    char want[40], got[40], msg[200];
    int want_point;
    num_decimal d;
    ref_shortest_double(fabs(x), want, &want_point);
    num_shortest_double(x, &d);
    dec_str(&d, got);
    uint64_t mant = 0;
    for (int i = 0; i < d.ndigits && d.ndigits <= 19; i++)
        mant = mant * 10 + (uint64_t)(d.digits[i] - '0');
    if (strcmp(want, got) != 0 || want_point != d.point || (d.ndigits <= 19 && mant != d.mant)) {
        snprintf(msg, sizeof msg, "%.17g: want %s p%d, got %s p%d", x, want, want_point, got, d.point);
        report(bad, "double", msg);
    }
}

static void check_ldouble(long double x, int *bad)
{
    char want[40], got[40], msg[200];
    int want_point;
    num_decimal d;
    ref_shortest_ldouble(fabsl(x), want, &want_point);
    num_shortest_ldouble(x, &d);
    dec_str(&d, got);
    if (strcmp(want, got) != 0 || want_point != d.point) {
        snprintf(msg, sizeof msg, "%.21Lg: want %s p%d, got %s p%d", x, want, want_point, got, d.point);
        report(bad, "long double", msg);
    }
}

/* A fast-path parse must equal libc's; declining is always allowed. */
static void check_parse(const char *text, int *bad, int *fast)
{
    char msg[200];
    double d;
    long double ld;
    if (num_text_to_double(text, strlen(text), &d)) {
        ++*fast;
        double want = strtod(text, NULL);
        if (memcmp(&d, &want, sizeof d) != 0) {
            snprintf(msg, sizeof msg, "strtod(%s) = %.17g, fast %.17g", text, want, d);
            report(bad, "parse double", msg);
        }
    }
    if (num_text_to_ldouble(text, strlen(text), &ld)) {
        long double want = strtold(text, NULL);
        if (want != ld || signbit(want) != signbit(ld)) {
            snprintf(msg, sizeof msg, "strtold(%s) = %.21Lg, fast %.21Lg", text, want, ld);
            report(bad, "parse long double", msg);
        }
    }
}

/* A random decimal text with up to 19 significant digits. */
static void random_decimal(char *buf, size_t cap)
{
    int nd = 1 + (int)(rng() % 19);
    uint64_t m = rng() % 10000000000000000000ull;
    char digs[24];
    int n = snprintf(digs, sizeof digs, "%019llu", (unsigned long long)m);
    (void)n;
    digs[nd] = '\0';
    if (digs[0] == '0')
        digs[0] = (char)('1' + rng() % 9);
    int shape = (int)(rng() % 3);
    int e = (int)(rng() % 61) - 30;
    const char *sign = rng() % 4 == 0 ? "-" : "";
    if (shape == 0)
        snprintf(buf, cap, "%s%se%d", sign, digs, e);
    else if (shape == 1 && nd > 1)
        snprintf(buf, cap, "%s%.*s.%s", sign, (int)(rng() % (unsigned)nd), digs, digs + rng() % (unsigned)nd);
    else
        snprintf(buf, cap, "%s0.%s", sign, digs);
}

/* A random decimal of 1..9 significant digits and a small exponent, the
 * kind of number policies hold (amounts, ratios, durations). */
static long double random_short(char *buf, size_t cap)
{
    uint64_t m = 1 + rng() % 999999999ull;
    m /= (uint64_t)1 << (rng() % 24); /* fewer digits, often */
    int e = (int)(rng() % 25) - 14;
    snprintf(buf, cap, "%s%llue%d", rng() % 5 == 0 ? "-" : "", (unsigned long long)(m ? m : 7), e);
    return strtold(buf, NULL);
}

int main(void)
{
    char buf[64];
    num_decimal d;

    /* Known digits, derived by hand from the values. */
    num_shortest_double(0.1, &d);
    CHECK_STR(dec_str(&d, buf), "1");
    CHECK(d.point == 0 && d.mant == 1);
    num_shortest_double(0.1 + 0.2, &d);
    CHECK_STR(dec_str(&d, buf), "30000000000000004");
    CHECK(d.point == 0);
    num_shortest_double(-123.456, &d);
    CHECK_STR(dec_str(&d, buf), "123456");
    CHECK(d.point == 3 && d.mant == 123456);
    num_shortest_double(1e21, &d);
    CHECK_STR(dec_str(&d, buf), "1");
    CHECK(d.point == 22);
    num_shortest_double(5e-324, &d);
    CHECK_STR(dec_str(&d, buf), "5");
    CHECK(d.point == -323);
    num_shortest_double(9007199254740992.0, &d);
    CHECK_STR(dec_str(&d, buf), "9007199254740992");
    CHECK(d.point == 16);
    num_shortest_double(DBL_MAX, &d);
    CHECK_STR(dec_str(&d, buf), "17976931348623157");
    CHECK(d.point == 309);
    num_shortest_double(9.5, &d); /* one digit rounds to 10, which does not read back */
    CHECK_STR(dec_str(&d, buf), "95");
    CHECK(d.point == 1);
    num_shortest_double(99999.99999999999, &d);
    CHECK_STR(dec_str(&d, buf), "9999999999999999");
    CHECK(d.point == 5);

    /* OPA's abac example: 12500.5 + 30000 + 9999.99 + 4200 + 750.25 at
     * big.Float's 64-bit precision is not 57450.74 exactly; its shortest
     * digits at that precision are 20 long, and as a float64 they are the
     * 57450.74 of shared/bench's expected.json. */
    long double sum = 0;
    const char *amounts[] = {"12500.5", "30000", "9999.99", "4200", "750.25"};
    for (int i = 0; i < 5; i++) {
        long double v;
        CHECK(num_text_to_ldouble(amounts[i], strlen(amounts[i]), &v));
        CHECK(v == strtold(amounts[i], NULL));
        sum += v;
    }
    num_shortest_ldouble(sum, &d);
    CHECK_STR(dec_str(&d, buf), "57450740000000000002");
    CHECK(d.point == 5);
    CHECK(strtod("57450.740000000000002", NULL) == 57450.74);
    /* 1/3 needs 20 digits at 64-bit precision: the libc route. */
    num_shortest_ldouble(1.0L / 3.0L, &d);
    CHECK_STR(dec_str(&d, buf), "33333333333333333334");
    CHECK(d.point == 0);

    /* Parsing: the exact midpoint 2^53 + 1 rounds to even (2^53). */
    double x;
    /* 2^53 + 1 lies exactly halfway between two doubles: the fast path
     * leaves it to strtod, which rounds to even (2^53) */
    CHECK(!num_text_to_double("9007199254740993", 16, &x));
    CHECK(strtod("9007199254740993", NULL) == 9007199254740992.0);
    CHECK(num_text_to_double("12500.5", 7, &x) && x == 12500.5);
    CHECK(num_text_to_double("-0.0", 4, &x) && x == 0 && signbit(x));
    CHECK(num_text_to_double("1e22", 4, &x) && x == 1e22);
    /* 20 digits: between two 19-digit bounds that round alike */
    CHECK(num_text_to_double("12345678901234567891", 20, &x) && x == 12345678901234567891.0);
    CHECK(num_text_to_double("1234567890123456789000", 22, &x) && x == 1234567890123456789000.0);
    CHECK(!num_text_to_double("1.2.3", 5, &x));
    CHECK(!num_text_to_double("e5", 2, &x));
    CHECK(!num_text_to_double("1e", 2, &x));
    bool neg;
    uint64_t m;
    int e;
    CHECK(num_text_scaled("-0.00125e3", 10, &neg, &m, &e) && neg && m == 125 && e == -2);
    CHECK(num_text_scaled("1500", 4, &neg, &m, &e) && !neg && m == 1500 && e == 0);

    /* Short decimals with |exponent| <= 22 always take the fast path. */
    int bad_parse = 0, fast = 0;
    for (int i = 1; i <= 15; i++)
        for (int k = -22; k <= 22; k++) {
            snprintf(buf, sizeof buf, "%.*se%d", i, "123456789012345", k);
            int before = fast;
            check_parse(buf, &bad_parse, &fast);
            CHECK(fast == before + 1);
        }

    /* Differential runs. */
    int bad_d = 0, bad_ld = 0;
    for (int i = 0; i < 40000; i++) {
        uint64_t bits = rng();
        double v;
        memcpy(&v, &bits, sizeof v);
        if (isfinite(v) && v != 0)
            check_double(v, &bad_d);
    }
    for (int i = 0; i < 40000; i++) {
        random_decimal(buf, sizeof buf);
        check_parse(buf, &bad_parse, &fast);
        double v = strtod(buf, NULL);
        if (isfinite(v) && v != 0)
            check_double(v, &bad_d);
        long double lv = strtold(buf, NULL);
        if (lv != 0)
            check_ldouble(lv, &bad_ld);
    }
    /* Texts longer than 19 digits: the fast path brackets them. */
    for (int i = 0; i < 20000; i++) {
        char t1[64];
        random_decimal(t1, sizeof t1);
        size_t len = strlen(t1);
        if (strchr(t1, 'e') || len > 40)
            continue;
        if (!strchr(t1, '.'))
            t1[len++] = '.';
        for (int k = 0; k < 12; k++)
            t1[len++] = (char)('0' + rng() % 10);
        t1[len] = '\0';
        check_parse(t1, &bad_parse, &fast);
    }
    /* Results of arithmetic at long double precision, as the arithmetic
     * builtins produce them. */
    for (int i = 0; i < 20000; i++) {
        char t1[64], t2[64];
        random_decimal(t1, sizeof t1);
        random_decimal(t2, sizeof t2);
        long double a = strtold(t1, NULL), b = strtold(t2, NULL);
        long double r[4] = {a + b, a - b, a * b, b != 0 ? a / b : a};
        for (int k = 0; k < 4; k++)
            if (r[k] != 0 && isfinite(r[k]))
                check_ldouble(r[k], &bad_ld);
    }
    /* What the arithmetic builtins meet most: sums, differences, products
     * and quotients of short decimals, and their values as doubles. The
     * one-probe and interval paths answer nearly all of these; libc's
     * search is the reference. */
    for (int i = 0; i < 30000; i++) {
        char t1[64], t2[64];
        long double a = random_short(t1, sizeof t1), b = random_short(t2, sizeof t2);
        long double acc = a;
        for (int k = 0; k < (int)(rng() % 5); k++)
            acc += random_short(t2, sizeof t2);
        long double r[5] = {a + b, a - b, a * b, a / b, acc};
        for (int k = 0; k < 5; k++) {
            if (r[k] != 0 && isfinite(r[k])) {
                check_ldouble(r[k], &bad_ld);
                check_ldouble(nextafterl(r[k], INFINITY), &bad_ld);
                double d = (double)r[k];
                if (d != 0 && isfinite(d))
                    check_double(d, &bad_d);
            }
        }
    }
    /* Integers and halves where a long double's unit is 1/2 to 4: the
     * interval holds several candidates of the shortest length. */
    for (int i = 0; i < 20000; i++) {
        int k = 61 + (int)(rng() % 6);
        long double v = ldexpl((long double)(rng() | (1ull << 63)), k - 64);
        check_ldouble(v, &bad_ld);
        double dv = (double)v;
        check_double(dv, &bad_d);
        check_double(nextafter(dv, 0), &bad_d);
    }
    /* Long double powers of two (narrower below) and their neighbours. */
    for (int k = -300; k <= 300; k++) {
        long double p = ldexpl(1.0L, k);
        check_ldouble(p, &bad_ld);
        check_ldouble(nextafterl(p, 0), &bad_ld);
        check_ldouble(nextafterl(p, INFINITY), &bad_ld);
    }
    /* Powers of two and ten, and their neighbours, across the range. */
    for (int k = -1074; k <= 1023; k++) {
        double p = ldexp(1.0, k);
        check_double(p, &bad_d);
        check_double(nextafter(p, 0), &bad_d);
        check_double(nextafter(p, INFINITY), &bad_d);
    }
    for (int k = -40; k <= 40; k++) {
        snprintf(buf, sizeof buf, "1e%d", k);
        check_parse(buf, &bad_parse, &fast);
        double p = strtod(buf, NULL);
        check_double(p, &bad_d);
        check_double(nextafter(p, 0), &bad_d);
        check_double(nextafter(p, INFINITY), &bad_d);
        long double lp = strtold(buf, NULL);
        check_ldouble(lp, &bad_ld);
        check_ldouble(nextafterl(lp, 0), &bad_ld);
        check_ldouble(nextafterl(lp, INFINITY), &bad_ld);
    }
    /* Halfway cases between adjacent doubles, written out exactly. */
    for (int i = 0; i < 20000; i++) {
        double lo = (double)(rng() % (1ull << 53)) * ldexp(1.0, (int)(rng() % 40) - 20);
        long double mid = ((long double)lo + (long double)nextafter(lo, INFINITY)) / 2;
        snprintf(buf, sizeof buf, "%.25Lg", mid);
        check_parse(buf, &bad_parse, &fast);
    }
    CHECK(bad_d == 0);
    CHECK(bad_ld == 0);
    CHECK(bad_parse == 0);
    return TEST_SUMMARY();
}
