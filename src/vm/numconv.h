/* Exact, fast conversions between binary floats and decimal digits.
 *
 * OPA prints a float64 as its shortest round-trip decimal (Go's strconv
 * 'g' with precision -1) and computes float arithmetic with big.Float at
 * 64-bit precision, which this engine carries as a long double. Both
 * conversions are therefore on the evaluation path of any policy that
 * sums, divides or formats numbers; libc's exact routines cost
 * microseconds there. The functions below give the same answers as
 * correctly rounded printf/strtod (a test compares them on millions of
 * values) from integer arithmetic, falling back to libc only for values
 * outside their fast range.
 */
#ifndef POL_VM_NUMCONV_H
#define POL_VM_NUMCONV_H

#include <float.h> /* LDBL_MANT_DIG for num_fraction_to_ldouble */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h> /* memcpy for num_digits_back */

/* 10^k for 0 <= k <= NUM_LD_SCALE_MAX, each exact in a long double with
 * a 64-bit mantissa (10^27 = 2^27·5^27 and 5^27 < 2^63), so that
 * m / 10^k (m < 2^64) is one correctly rounded operation. */
enum { NUM_LD_SCALE_MAX = 27 };
/* 10^0 .. 10^19, every power of ten a uint64_t holds. */
extern const uint64_t num_pow10_u64[20];

/* "00" "01" ... "99": two decimal digits per division. */
extern const char num_digit_pairs[201];

/* The decimal digits of u (at least one: "0" for 0) written backwards so
 * that they end just before `end`; returns the first. Two digits per
 * division, each pair one 2-byte store. */
static inline char *num_digits_back(char *end, uint64_t u)
{
    while (u >= 100) {
        uint64_t q = u / 100;
        end -= 2;
        memcpy(end, num_digit_pairs + 2 * (u - q * 100), 2);
        u = q;
    }
    if (u >= 10) {
        end -= 2;
        memcpy(end, num_digit_pairs + 2 * u, 2);
    } else {
        *--end = (char)('0' + u);
    }
    return end;
}

/* The value of eight decimal digits packed in a word, the first (most
 * significant) in the lowest byte, each byte's low nibble the digit
 * (ASCII '0'..'9' or 0..9): pairs, then quads, then all eight, each step
 * one multiply that adds a lane times its weight to its neighbour. */
static inline uint64_t num_eight_digits(uint64_t w)
{
    w = (w & UINT64_C(0x0F0F0F0F0F0F0F0F)) * (10 * 256 + 1) >> 8;
    w = (w & UINT64_C(0x00FF00FF00FF00FF)) * (100 * 65536 + 1) >> 16;
    return (w & UINT64_C(0x0000FFFF0000FFFF)) * (UINT64_C(10000) << 32 | 1) >> 32;
}

extern const long double num_pow10_ldbl[NUM_LD_SCALE_MAX + 1];

/* A positive decimal 0.d1d2...dn × 10^point with d1 != 0 and dn != 0
 * (no leading or trailing zeros). */
typedef struct num_decimal {
    char digits[40]; /* ASCII, not NUL-terminated; 21 at most, with room for two 64-bit halves */
    int ndigits;     /* 1..24 (libc fallback for wide long doubles) */
    int point;
    uint64_t mant; /* the digits as an integer when ndigits <= 19, else 0 */
} num_decimal;

/* Shortest digits that read back (correctly rounded) as |x|; among
 * equally short candidates, the one nearest |x|. x is finite and nonzero.
 * Go's strconv.FormatFloat(x, 'e', -1, 64) digits. */
void num_shortest_double(double x, num_decimal *out);

/* The cheap common case of num_shortest_double: when x's shortest digits
 * number at most 15 (DBL_DIG), x = ±mant·10^exp10 with exactly those
 * digits (mant may end in zeros). False otherwise, including for zero,
 * infinities and subnormals. */
bool num_double_short_scaled(double x, uint64_t *mant, int *exp10);

/* The same for a long double whose shortest digits (at long double
 * precision) number at most 18. */
bool num_ldouble_short_scaled(long double x, uint64_t *mant, int *exp10);

/* Whether the finite x is an integer; if so *fits tells whether it is
 * within int64, and *out is then its value. On x87 read from the
 * encoding: truncl and integer conversions switch the FPU's control word
 * twice each, which costs more than the arithmetic around them. */
bool num_ldouble_integral(long double x, bool *fits, int64_t *out);

/* Removes mant's trailing decimal zeros into exp10 (mant > 0). Scaled
 * decimals from probes and long division often end in a dozen zeros:
 * they go four at a time. */
static inline void num_strip_zeros(uint64_t *mant, int *exp10)
{
    while (*mant % 10000 == 0) {
        *mant /= 10000;
        *exp10 += 4;
    }
    if (*mant % 100 == 0) {
        *mant /= 100;
        *exp10 += 2;
    }
    if (*mant % 10 == 0) {
        *mant /= 10;
        *exp10 += 1;
    }
}

/* mant·10^exp10 (mant > 0, trailing zeros allowed) as a num_decimal. */
void num_decimal_from_scaled(uint64_t mant, int exp10, num_decimal *out);

/* The same for a long double read back at long double precision (the
 * digits of OPA's big.Float.Text('g', -1) at 64-bit precision). */
void num_shortest_ldouble(long double x, num_decimal *out);

/* Both of the above from one probe, for callers that want the short
 * shape when there is one: true with |x| = mant·10^exp10 as
 * num_ldouble_short_scaled gives it (out untouched), else false with
 * num_shortest_ldouble's digits in out. x finite and nonzero. */
bool num_shortest_ldouble_scaled(long double x, uint64_t *mant, int *exp10, num_decimal *out);

/* num_scaled_to_ldouble for a fraction's scale (-NUM_LD_SCALE_MAX <=
 * exp10 < 0), inline and with the same operations, hence the same
 * value: in a loop that keeps a long double accumulator, a call spills
 * the x87 register stack to memory and back every iteration. */
static inline bool num_fraction_to_ldouble(uint64_t mant, int exp10, long double *out)
{
#if LDBL_MANT_DIG >= 64
    if (exp10 >= 0 || exp10 < -NUM_LD_SCALE_MAX)
        return false;
    *out = (long double)mant / num_pow10_ldbl[-exp10];
    return true;
#else
    (void)mant, (void)exp10, (void)out;
    return false;
#endif
}

/* num_shortest_ldouble without its first step, a probe for digits of
 * at most 18: for callers that know the digits are very likely longer. */
void num_shortest_ldouble_long(long double x, num_decimal *out);

/* Whether the decimal ±mant·10^exp10 (mant > 0, -27 <= exp10 <= 0) lies
 * in x's rounding interval at long double precision (64-bit mantissa),
 * i.e. would read back as x, from exact integer arithmetic on x's
 * encoding (whatever the FPU's precision setting). False when it does
 * not, and whenever that cannot be settled: other long double formats,
 * arguments outside those ranges, x zero, subnormal or not finite.
 * When mant has at most 18 digits and this is true, mant·10^exp10 is the
 * only decimal of at most 18 digits in that interval (which is narrower
 * than their spacing), so it is x's shortest (num_shortest_ldouble). */
bool num_ldouble_reads_as(long double x, bool neg, uint64_t mant, int exp10);

/* What a sum of decimals needs of its long double result x and exact
 * decimal D = ±mant·10^exp10, from one reading of x (a long double
 * argument passes through memory; each read of its bytes costs a store
 * forwarding stall): 1 when D reads back as x (num_ldouble_reads_as);
 * else 0 with x's shortest digits in out (num_shortest_ldouble_long)
 * when x is not an integer; -1 when it is one, is zero, or is not a
 * normal long double with a 64-bit mantissa (the caller's general path
 * then decides); and 2 when x's shortest digits are those of
 * D + j·10^(exp10 - t) (1 <= t <= 19, 0 < |j| < 10^t, j no multiple of
 * 10: the digits of mant·10^t + j), the common case of a sum whose
 * additions rounded (x a few ulps from D). */
int num_ldouble_sum_shortest(long double x, bool neg, uint64_t mant, int exp10, int64_t *j, int *t,
                             num_decimal *out);

/* The digits of mant·10^-k + j·10^-(k+t) (num_ldouble_sum_shortest's
 * answer 2, k = -exp10) into out. False when mant is 1 and j < 0, whose
 * digits start inside j's part. */
bool num_decimal_from_offset(uint64_t mant, int k, int64_t j, int t, num_decimal *out);

/* mant × 10^exp10 correctly rounded, when that can be computed exactly
 * without libc; false means "use strtod/strtold" (nothing is written). */
bool num_scaled_to_double(uint64_t mant, int exp10, double *out);
bool num_scaled_to_ldouble(uint64_t mant, int exp10, long double *out);

/* Whether every text (m + delta)·10^e with delta in [delta_lo, delta_hi]
 * (m < 10^15, |delta| <= 1) rounds to the same double as m·10^e. That
 * double d is computed exactly rounded (Clinger: |e| <= 22, one IEEE
 * operation) and so is the error of that operation; a text's distance
 * from d is that error plus delta, and it must stay inside the narrower
 * half of d's rounding interval with a margin of 1/16 of it, far more
 * than the few roundings of this test can move it. Needs one rounding per
 * operation (FLT_EVAL_METHOD 0); elsewhere always false. With m of at
 * most 15 digits (DBL_DIG), m's digits are then the shortest digits of
 * the text's double (bi_format.c explains why). */
bool num_same_double(uint64_t m, long e, double delta_lo, double delta_hi);

/* A decimal text [+-]digits[.digits][(e|E)[+-]digits] as mant × 10^exp10
 * when its significant digits fit 19 decimal digits. False for anything
 * else, including malformed text (callers have validated the grammar and
 * fall back to libc). */
bool num_text_scaled(const char *s, size_t n, bool *neg, uint64_t *mant, int *exp10);

/* Correctly rounded value of a decimal text; false when only libc can
 * tell (the caller then uses strtod/strtold on a NUL-terminated copy). */
bool num_text_to_double(const char *s, size_t n, double *out);
bool num_text_to_ldouble(const char *s, size_t n, long double *out);

#endif
