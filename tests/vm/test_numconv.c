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

static uint64_t pow10_of(int k)
{
    uint64_t p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
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

/* num_shortest_ldouble_long gives libc's digits too, short ones included
 * (it skips only the probe for them). */
static void check_ldouble_long(long double x, int *bad)
{
    char want[40], got[40], msg[200];
    int want_point;
    num_decimal d;
    ref_shortest_ldouble(fabsl(x), want, &want_point);
    num_shortest_ldouble_long(x, &d);
    dec_str(&d, got);
    if (strcmp(want, got) != 0 || want_point != d.point) {
        snprintf(msg, sizeof msg, "%.21Lg: want %s p%d, got %s p%d", x, want, want_point, got, d.point);
        report(bad, "long double, long search", msg);
    }
}

/* num_ldouble_sum_shortest with answer 2's digits written out (as the sum
 * builtin would): 1, -1, or 0 with x's shortest digits in out. */
static int shortest_near(long double x, bool neg, uint64_t mant, int exp10, num_decimal *out)
{
    int64_t j = 0;
    int t = 0;
    int r = num_ldouble_sum_shortest(x, neg, mant, exp10, &j, &t, out);
    if (r != 2)
        return r;
    if (!num_decimal_from_offset(mant, -exp10, j, t, out))
        num_shortest_ldouble_long(x, out);
    return 0;
}

/* num_ldouble_reads_as against strtold: ±mant·10^exp10 reads back as x
 * exactly when strtold of its text is x. Returns the answer. */
static bool check_reads_as(long double x, bool neg, uint64_t mant, int exp10, int *bad)
{
    char t[64], msg[200];
    snprintf(t, sizeof t, "%s%llue%d", neg ? "-" : "", (unsigned long long)mant, exp10);
    bool want = strtold(t, NULL) == x, got = num_ldouble_reads_as(x, neg, mant, exp10);
    if (want != got) {
        snprintf(msg, sizeof msg, "%s as %.21Lg: want %d, got %d", t, x, want, got);
        report(bad, "reads_as", msg);
    }
    /* and the one-call form: the same answer, else integral or digits */
    num_decimal d;
    int near = shortest_near(x, neg, mant, exp10, &d);
    int want_near = x == 0 ? -1 : want ? 1 : x == truncl(x) ? -1 : 0;
    char ref[40], got_digits[40];
    int ref_point;
    if (near == 0) {
        ref_shortest_ldouble(fabsl(x), ref, &ref_point);
        dec_str(&d, got_digits);
    }
    if (near != want_near || (near == 0 && (strcmp(ref, got_digits) != 0 || ref_point != d.point))) {
        snprintf(msg, sizeof msg, "%s near %.21Lg: want %d, got %d", t, x, want_near, near);
        report(bad, "shortest_near", msg);
    }
    return got;
}

/* num_ldouble_sum_shortest on a sum as the sum builtin forms it: terms
 * ±m·10^-e read as long doubles (strtold rounds each as num_ld does)
 * and added in order, beside their exact decimal total D. Every answer
 * is checked against the libc oracle: 1 means D's own digits, 2 the
 * digits of D plus the offset, 0 the digits in out. Counts the answers
 * in found[0..2]. */
static void check_sum_shortest(int nterms, int max_scale, int *bad, int found[3])
{
    char t[64], msg[240];
    long double x = 0;
    int64_t dsum = 0; /* at the scale 10^-9 */
    for (int i = 0; i < nterms; i++) {
        int e = (int)(rng() % (unsigned)(max_scale + 1));
        int64_t m = (int64_t)(rng() % 100000000);
        if (rng() % 4 == 0)
            m %= 1000;
        bool neg = rng() % 6 == 0;
        snprintf(t, sizeof t, "%s%llde-%d", neg ? "-" : "", (long long)m, e);
        x += strtold(t, NULL);
        int64_t scaled = m;
        for (int k = e; k < 9; k++)
            scaled *= 10;
        dsum += neg ? -scaled : scaled;
    }
    if (dsum == 0)
        return;
    bool neg = dsum < 0;
    uint64_t mant = neg ? 0 - (uint64_t)dsum : (uint64_t)dsum;
    int exp10 = -9;
    num_strip_zeros(&mant, &exp10);
    if (exp10 >= 0)
        return;
    num_decimal d;
    int64_t j = 0;
    int tt = 0;
    int r = num_ldouble_sum_shortest(x, neg, mant, exp10, &j, &tt, &d);
    if (r < 0 || x == 0)
        return;
    found[r]++;
    if (r == 1)
        num_decimal_from_scaled(mant, exp10, &d);
    else if (r == 2 && !num_decimal_from_offset(mant, -exp10, j, tt, &d))
        num_shortest_ldouble_long(x, &d);
    char want[40], got[40];
    int want_point;
    ref_shortest_ldouble(fabsl(x), want, &want_point);
    dec_str(&d, got);
    if (strcmp(want, got) != 0 || want_point != d.point || (r == 2 && (j % 10 == 0 || tt < 1 || tt > 19))) {
        snprintf(msg, sizeof msg, "%.21Lg from %s%llue%d: answer %d, want %s p%d, got %s p%d", x,
                 neg ? "-" : "", (unsigned long long)mant, exp10, r, want, want_point, got, d.point);
        report(bad, "sum_shortest", msg);
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

/* The split entry point against the oracle: the short shape exactly when
 * the shortest has at most 18 digits (mant·10^exp10 being those digits
 * padded with zeros), else the digits themselves. */
static void check_ldouble_scaled(long double x, int *bad)
{
    char want[40], got[40], msg[200];
    int want_point;
    num_decimal d;
    uint64_t m;
    int e10;
    ref_shortest_ldouble(fabsl(x), want, &want_point);
    if (num_shortest_ldouble_scaled(x, &m, &e10, &d))
        num_decimal_from_scaled(m, e10, &d);
    else if (strlen(want) <= 18 && fabsl(x) >= 1e-9L && fabsl(x) < 1e17L && *bad == 0)
        report(bad, "long double short probe declined", want); /* the exact probe answers these */
    dec_str(&d, got);
    if (strcmp(want, got) != 0 || want_point != d.point) {
        snprintf(msg, sizeof msg, "%.21Lg: want %s p%d, got %s p%d", x, want, want_point, got, d.point);
        report(bad, "long double scaled", msg);
    }
    bool short_ok = num_ldouble_short_scaled(x, &m, &e10);
    if (short_ok) {
        num_decimal_from_scaled(m, e10, &d);
        dec_str(&d, got);
        if (strcmp(want, got) != 0 || want_point != d.point) {
            snprintf(msg, sizeof msg, "%.21Lg: want %s p%d, probe %s p%d", x, want, want_point, got, d.point);
            report(bad, "long double probe", msg);
        }
    }
}

/* The one-probe double path against the oracle, and that it answers
 * every normal double of at most 15 digits in the range it covers. */
static void check_double_scaled(double x, int *bad)
{
    char want[40], got[40], msg[200];
    int want_point;
    num_decimal d;
    uint64_t m;
    int e10;
    ref_shortest_double(fabs(x), want, &want_point);
    if (num_double_short_scaled(x, &m, &e10)) {
        num_decimal_from_scaled(m, e10, &d);
        dec_str(&d, got);
        if (strcmp(want, got) != 0 || want_point != d.point) {
            snprintf(msg, sizeof msg, "%.17g: want %s p%d, probe %s p%d", x, want, want_point, got, d.point);
            report(bad, "double probe", msg);
        }
    } else if (strlen(want) <= 15 && fabs(x) >= 1e-9 && fabs(x) < 1e14) {
        snprintf(msg, sizeof msg, "%.17g (%s) declined", x, want);
        report(bad, "double probe", msg);
    }
}

/* num_ldouble_integral against truncl and the int64 range. */
static void check_integral(long double x, int *bad)
{
    if (!isfinite(x))
        return; /* outside the contract */
    bool fits = false;
    int64_t v = 0;
    bool integral = num_ldouble_integral(x, &fits, &v);
    bool want = x == truncl(x);
    bool want_fits = want && x >= -9223372036854775808.0L && x < 9223372036854775808.0L;
    if (integral != want || (want && fits != want_fits) || (want_fits && v != (int64_t)x)) {
        char msg[100];
        snprintf(msg, sizeof msg, "%.21Lg: integral %d fits %d value %lld", x, integral, fits, (long long)v);
        report(bad, "integral", msg);
    }
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

    /* The exact one-probe paths and the split entry point: short sums
     * (the 20-digit abac total among them), ties at the 18-digit scale
     * (n + 1/2 with n of 17-18 digits, exact in long double), 19, 20 and
     * 21-digit values, powers of two, negatives, subnormals, extremes. */
    int bad_scaled = 0;
    check_ldouble_scaled(sum, &bad_scaled);
    check_ldouble_scaled(-sum, &bad_scaled);
    for (int i = 0; i < 30000; i++) {
        char t1[64];
        long double acc = random_short(t1, sizeof t1);
        for (int k = 0; k < (int)(rng() % 6); k++)
            acc += random_short(t1, sizeof t1);
        if (acc != 0) {
            check_ldouble_scaled(acc, &bad_scaled);
            check_ldouble_scaled(nextafterl(acc, 0), &bad_scaled);
            check_double_scaled((double)acc, &bad_scaled);
        }
        uint64_t n = rng() % 1000000000000000000ull;
        long double tie = (long double)n + 0.5L;
        int sh = (int)(rng() % 40);
        check_ldouble_scaled(ldexpl(tie, -sh), &bad_scaled);
        check_ldouble_scaled(-ldexpl(tie, -sh), &bad_scaled);
        double dtie = (double)(rng() % (1ull << 52)) + 0.5;
        check_double_scaled(ldexp(dtie, -(int)(rng() % 40)), &bad_scaled);
        uint64_t bits = rng();
        long double wide = ldexpl((long double)(bits | 1ull << 63), (int)(rng() % 200) - 164);
        check_ldouble_scaled(wide, &bad_scaled);
        double dw;
        memcpy(&dw, &bits, sizeof dw);
        if (isfinite(dw) && dw != 0)
            check_double_scaled(dw, &bad_scaled);
    }
    for (int nd = 17; nd <= 21; nd++) /* values of exactly nd digits */
        for (int i = 0; i < 2000; i++) {
            char t[64];
            uint64_t m = rng() % 1000000000000000000ull;
            snprintf(t, sizeof t, "%s%llu%0*llue%d", rng() % 2 ? "-" : "",
                     (unsigned long long)(1 + rng() % 9), nd - 1,
                     (unsigned long long)(m % (nd - 1 >= 19 ? m + 1 : pow10_of(nd - 1))),
                     (int)(rng() % 41) - 30);
            check_ldouble_scaled(strtold(t, NULL), &bad_scaled);
        }
    for (int k = -16445; k <= 16383; k += 7) {
        long double p = ldexpl(1.0L, k);
        check_ldouble_scaled(p, &bad_scaled);
        check_ldouble_scaled(nextafterl(p, 0), &bad_scaled);
        check_ldouble_scaled(-nextafterl(p, INFINITY), &bad_scaled);
    }
    check_ldouble_scaled(LDBL_MIN, &bad_scaled);
    check_ldouble_scaled(LDBL_MAX, &bad_scaled);
    check_ldouble_scaled(LDBL_TRUE_MIN, &bad_scaled);
    check_double_scaled(DBL_MIN, &bad_scaled);
    check_double_scaled(DBL_MAX, &bad_scaled);
    CHECK(bad_scaled == 0);

    /* Digit counts at every power of ten and its neighbours. */
    for (int k = 0; k <= 19; k++) {
        uint64_t p = pow10_of(k);
        uint64_t vs[3] = {p - 1, p, p + 1};
        for (int j = 0; j < 3; j++) {
            if (vs[j] == 0)
                continue;
            char want[32], got[40];
            int len = snprintf(want, sizeof want, "%llu", (unsigned long long)vs[j]);
            num_decimal_from_scaled(vs[j], 0, &d);
            size_t n = (size_t)len;
            while (n > 1 && want[n - 1] == '0')
                n--;
            want[n] = '\0';
            CHECK_STR(dec_str(&d, got), want);
            CHECK(d.point == len);
        }
    }

    /* Integrality from the encoding against truncl. */
    int bad_int = 0;
    long double edges[] = {0.0L,
                           -0.0L,
                           0.5L,
                           -0.5L,
                           1.0L,
                           -1.0L,
                           1.5L,
                           LDBL_TRUE_MIN,
                           LDBL_MIN,
                           LDBL_MAX,
                           -LDBL_MAX,
                           9223372036854775807.0L,
                           -9223372036854775808.0L,
                           9223372036854775808.0L,
                           -9223372036854775809.0L,
                           18446744073709551615.0L,
                           4611686018427387903.5L,
                           -4611686018427387903.5L,
                           1e30L,
                           -1e-30L};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        check_integral(edges[i], &bad_int);
        check_integral(nextafterl(edges[i], INFINITY), &bad_int);
        check_integral(nextafterl(edges[i], -INFINITY), &bad_int);
    }
    for (int i = 0; i < 200000; i++) {
        uint64_t mant = rng() | 1ull << 63;
        if (rng() % 2)
            mant &= ~(uint64_t)0 << (rng() % 64); /* trailing zero bits: integers more often */
        long double v = ldexpl((long double)mant, (int)(rng() % 140) - 127);
        check_integral(rng() % 2 ? -v : v, &bad_int);
    }
    CHECK(bad_int == 0);

    /* Texts of 20 to 22 digits around double midpoints (the one-rounding
     * path of truncated texts and its margin), and the shortest long
     * double texts of short sums (what sprintf's %v converts). */
    int fast_before;
    for (int i = 0; i < 30000; i++) {
        double lo = (double)(rng() % (1ull << 53)) * ldexp(1.0, (int)(rng() % 60) - 30);
        if (lo == 0)
            continue;
        long double mid = ((long double)lo + (long double)nextafter(lo, INFINITY)) / 2;
        char full[80];
        snprintf(full, sizeof full, "%.30Le", mid);
        int keep = 20 + (int)(rng() % 3); /* significant digits kept */
        char t[96];
        int n = 0;
        const char *c = full;
        for (int dg = 0; *c && *c != 'e'; c++) {
            if (*c == '.')
                continue;
            if (dg < keep)
                t[n++] = *c;
            dg++;
        }
        int x = atoi(c + 1);
        int bump = (int)(rng() % 3) - 1; /* the last digit one down, as is, one up */
        for (int j = n - 1; bump != 0 && j >= 0; j--) {
            int dgt = t[j] - '0' + bump;
            if (dgt >= 0 && dgt <= 9) {
                t[j] = (char)('0' + dgt);
                break;
            }
            t[j] = bump > 0 ? '0' : '9';
        }
        snprintf(t + n, sizeof t - (size_t)n, "e%d", x - keep + 1);
        check_parse(t, &bad_parse, &fast);
    }
    fast_before = fast; /* midpoints are mostly left to strtod; these are not */
    for (int i = 0; i < 20000; i++) {
        char t1[64];
        long double acc = random_short(t1, sizeof t1);
        for (int k = 0; k < 1 + (int)(rng() % 5); k++)
            acc += random_short(t1, sizeof t1);
        if (acc == 0)
            continue;
        num_shortest_ldouble(acc, &d);
        char t[64];
        snprintf(t, sizeof t, "%s0.%.*se%d", acc < 0 ? "-" : "", d.ndigits, d.digits, d.point);
        check_parse(t, &bad_parse, &fast);
    }
    CHECK(fast - fast_before > 19000); /* the fast paths answer nearly all of them */
    CHECK(num_text_to_double("57450.740000000000002", 21, &x) && x == 57450.74);
    CHECK(num_text_to_double("-57450.740000000000002", 22, &x) && x == -57450.74);

    /* sum's fast path: a decimal against the long double it should read
     * back as, that value's neighbours a few units away, powers of two
     * (narrower below) with decimals just inside and outside their
     * interval, every scale up to 10^-27, 1 to 19 digits. */
    int bad_reads = 0, reads_yes = 0, reads_no = 0;
    for (int i = 0; i < 200000; i++) {
        uint64_t mant = rng() >> (rng() % 64);
        if (mant == 0)
            mant = 1;
        int e10 = -(int)(rng() % 28);
        bool neg = rng() % 4 == 0;
        char t[64];
        snprintf(t, sizeof t, "%s%llue%d", neg ? "-" : "", (unsigned long long)mant, e10);
        long double x = strtold(t, NULL);
        for (int k = (int)(rng() % 4); k > 0; k--)
            x = nextafterl(x, rng() % 2 ? INFINITY : -INFINITY);
        if (rng() % 8 == 0)
            x = -x; /* the wrong sign */
        if (check_reads_as(x, neg, mant, e10, &bad_reads))
            reads_yes++;
        else
            reads_no++;
    }
    for (int k = -80; k <= 120; k++) {
        long double p = ldexpl(1.0L, k);
        char full[80];
        snprintf(full, sizeof full, "%.19Le", p); /* 20 digits: the interval holds a few */
        char digs[24];
        int nd = 0;
        const char *c = full;
        for (; *c && *c != 'e'; c++)
            if (*c != '.')
                digs[nd++] = *c;
        digs[nd] = '\0';
        int x10 = atoi(c + 1);
        uint64_t m0 = strtoull(digs, NULL, 10) / 10; /* 19 digits, below 2^64 */
        int e10 = x10 - 18;
        if (e10 > 0 || e10 < -27)
            continue;
        for (int64_t dm = -30; dm <= 30; dm++) {
            check_reads_as(p, false, m0 + (uint64_t)dm, e10, &bad_reads);
            check_reads_as(nextafterl(p, 0), false, m0 + (uint64_t)dm, e10, &bad_reads);
        }
    }
    CHECK(!num_ldouble_reads_as(0.0L, false, 1, 0));
    CHECK(!num_ldouble_reads_as(1.0L, false, 1, 1));     /* exp10 > 0: not settled here */
    CHECK(!num_ldouble_reads_as(1e-28L, false, 1, -28)); /* beyond 10^-27 */
    CHECK(num_ldouble_reads_as(57450.74L, false, 574507400, -4));
    CHECK(!num_ldouble_reads_as(sum, false, 5745074, -2)); /* the abac total is one unit above */
    CHECK(num_ldouble_reads_as(-0.3L, true, 3, -1));
    CHECK(bad_reads == 0);
    CHECK(reads_yes > 20000 && reads_no > 20000);

    /* the sum's answers, from money-like amounts to long sums of
     * fine fractions; the offset answer (2) is the common one for sums
     * whose additions rounded */
    int bad_sums = 0, sum_found[3] = {0, 0, 0};
    for (int i = 0; i < 100000; i++)
        check_sum_shortest(2 + (int)(rng() % (i % 10 == 0 ? 60 : 6)), i % 3 == 0 ? 2 : 9, &bad_sums,
                           sum_found);
    CHECK(bad_sums == 0);
    CHECK(sum_found[1] > 10000 && sum_found[2] > 10000);
    /* the abac total: 57450.74 + 2·10^-15 */
    {
        long double abac = 12500.5L;
        abac += 30000;
        abac += strtold("9999.99", NULL);
        abac += 4200;
        abac += strtold("750.25", NULL);
        int64_t j = 0;
        int tt = 0;
        CHECK(num_ldouble_sum_shortest(abac, false, 5745074, -2, &j, &tt, &d) ==
              (LDBL_MANT_DIG == 64 ? 2 : -1));
        if (LDBL_MANT_DIG == 64) {
            CHECK(j == 2 && tt == 13);
            CHECK(num_decimal_from_offset(5745074, 2, j, tt, &d));
            CHECK_STR(dec_str(&d, buf), "57450740000000000002");
            CHECK(d.point == 5);
        }
        /* a borrow through zeros, and one that removes the leading digit */
        CHECK(num_decimal_from_offset(1001, 3, -3, 4, &d)); /* 1.001 - 0.0000003 */
        CHECK_STR(dec_str(&d, buf), "10009997");
        CHECK(d.point == 1 && d.mant == 10009997);
        CHECK(num_decimal_from_offset(2, 1, -13, 5, &d)); /* 0.2 - 0.0000013 */
        CHECK_STR(dec_str(&d, buf), "199987");
        CHECK(d.point == 0);
        CHECK(!num_decimal_from_offset(1, 1, -13, 5, &d)); /* 0.1 - 0.0000013 = 0.0999987 */
    }

    /* the inline reading is the out-of-line one (and is available where
     * the fast paths are: a 64-bit mantissa) */
    long double inl, outl;
    CHECK(num_fraction_to_ldouble(999999999, -27, &inl) == (LDBL_MANT_DIG >= 64));
    for (int i = 0; i < 2000 && LDBL_MANT_DIG >= 64; i++) {
        uint64_t mant = rng() >> (rng() % 64);
        int e10 = -1 - (int)(rng() % 27);
        CHECK(num_fraction_to_ldouble(mant, e10, &inl) && num_scaled_to_ldouble(mant, e10, &outl) &&
              inl == outl);
    }
    CHECK(!num_fraction_to_ldouble(5, 0, &inl) && !num_fraction_to_ldouble(5, -28, &inl));

    int bad_long = 0;
    check_ldouble_long(sum, &bad_long);
    for (int i = 0; i < 30000; i++) {
        char t1[64];
        long double acc = random_short(t1, sizeof t1);
        for (int k = 0; k < (int)(rng() % 6); k++)
            acc += random_short(t1, sizeof t1);
        if (acc != 0)
            check_ldouble_long(acc, &bad_long);
    }
    CHECK(bad_long == 0);

    CHECK(bad_d == 0);
    CHECK(bad_ld == 0);
    CHECK(bad_parse == 0);
    return TEST_SUMMARY();
}
