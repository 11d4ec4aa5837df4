/* Exact binary <-> decimal conversions without libc on the common path.
 *
 * The fast paths rest on two facts:
 *  - r × 10^k and r / 10^k, with r < 2^64 and 0 <= k <= 27, are one IEEE
 *    operation on exact long double operands (10^27 = 2^27 · 5^27 and
 *    5^27 < 2^63 fit a 64-bit mantissa), so the result is the correctly
 *    rounded long double; with r <= 2^53 and k <= 22 the same holds in
 *    double (Clinger's fast path).
 *  - Rounding that long double to double gives the correctly rounded
 *    double of the exact value unless the long double lies exactly halfway
 *    between two doubles: any double midpoint between the exact value and
 *    its nearest long double would itself be a nearer long double. The
 *    halfway case is detected and left to libc.
 * Digits are produced from exact integer arithmetic (128-bit): x = M·2^E
 * scaled by 10^s and rounded half-to-even, which is what a correctly
 * rounded printf("%.*e") does. The shortest search tries 1, 2, ...
 * digits and keeps the first that reads back as x; the correctly rounded
 * p-digit decimal is the nearest one, so if any p-digit decimal reads
 * back, it does.
 * Values whose scaling leaves that range (|decimal exponent| beyond ~27,
 * subnormals, more than 19 digits) take the libc route, which is exact
 * and slow.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/numconv.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

/* The fast paths need a long double with at least a 64-bit mantissa and
 * double arithmetic evaluated in double (no x87 excess precision). */
#if LDBL_MANT_DIG >= 64
#define NUMCONV_LD_EXACT 1
#else
#define NUMCONV_LD_EXACT 0
#endif
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
#define NUMCONV_DBL_CLINGER 1
#else
#define NUMCONV_DBL_CLINGER 0
#endif

/* Largest power of ten exact in the scaling: 5^27 < 2^63. */
enum { SCALE_MAX = NUM_LD_SCALE_MAX, DBL_CLINGER_MAX = 22 };

static const uint64_t pow5[SCALE_MAX + 1] = {1ull,
                                             5ull,
                                             25ull,
                                             125ull,
                                             625ull,
                                             3125ull,
                                             15625ull,
                                             78125ull,
                                             390625ull,
                                             1953125ull,
                                             9765625ull,
                                             48828125ull,
                                             244140625ull,
                                             1220703125ull,
                                             6103515625ull,
                                             30517578125ull,
                                             152587890625ull,
                                             762939453125ull,
                                             3814697265625ull,
                                             19073486328125ull,
                                             95367431640625ull,
                                             476837158203125ull,
                                             2384185791015625ull,
                                             11920928955078125ull,
                                             59604644775390625ull,
                                             298023223876953125ull,
                                             1490116119384765625ull,
                                             7450580596923828125ull};

const uint64_t num_pow10_u64[20] = {1ull,
                                    10ull,
                                    100ull,
                                    1000ull,
                                    10000ull,
                                    100000ull,
                                    1000000ull,
                                    10000000ull,
                                    100000000ull,
                                    1000000000ull,
                                    10000000000ull,
                                    100000000000ull,
                                    1000000000000ull,
                                    10000000000000ull,
                                    100000000000000ull,
                                    1000000000000000ull,
                                    10000000000000000ull,
                                    100000000000000000ull,
                                    1000000000000000000ull,
                                    10000000000000000000ull};

static const double pow10_dbl[DBL_CLINGER_MAX + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                                      1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                                      1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

const long double num_pow10_ldbl[NUM_LD_SCALE_MAX + 1] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,  1e10L, 1e11L, 1e12L, 1e13L,
    1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L};

static int bitlen64(uint64_t v)
{
    return v ? 64 - __builtin_clzll(v) : 0;
}

static int bitlen128(u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? 64 + bitlen64(hi) : bitlen64((uint64_t)v);
}

/* ---- decimal -> binary ----------------------------------------------------- */

/* Where y, a long double in the double normal range, lies between the
 * two doubles around it, in its own units: a double's 53-bit mantissa
 * ends 11 bits above a 64-bit one, so y = D + t·u with D a double, u the
 * long double unit at y, 0 <= t < 2048, and t == 1024 exactly halfway.
 * -1 when the layout is not x87's (the caller then measures with
 * nextafter). */
static int ld_double_offset(long double y)
{
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
    uint64_t mant;
    memcpy(&mant, &y, sizeof mant);
    return (int)(mant & 0x7ff);
#else
    (void)y;
    return -1;
#endif
}

/* (double)y, false when y is exactly halfway between two doubles (or out
 * of the double normal range), where rounding y again may not round the
 * value y approximates. */
static bool ld_to_double_unless_halfway(long double y, double *out)
{
    double d = (double)y;
    if (!isfinite(d) || fabsl(y) < DBL_MIN)
        return false; /* overflow or subnormal: libc decides */
    int t = ld_double_offset(y);
    if (t == 1024)
        return false;
    if (t < 0 && (long double)d != y) {
        double other = nextafter(d, y > (long double)d ? INFINITY : -INFINITY);
        /* the sum of two adjacent doubles is exact in long double */
        if ((long double)d + (long double)other == 2 * y)
            return false;
    }
    *out = d;
    return true;
}

bool num_scaled_to_ldouble(uint64_t mant, int exp10, long double *out)
{
#if NUMCONV_LD_EXACT
    if (exp10 < -SCALE_MAX || exp10 > SCALE_MAX)
        return false;
    long double m = (long double)mant;
    *out = exp10 >= 0 ? m * num_pow10_ldbl[exp10] : m / num_pow10_ldbl[-exp10];
    return true;
#else
    (void)mant, (void)exp10, (void)out;
    return false;
#endif
}

/* The exact error lo = a·b - hi of hi = RN(a·b) (Dekker's product with
 * Veltkamp's split, valid far from overflow and underflow). Not fma: an
 * emulator may round that twice (valgrind's does here), and the
 * separate statements keep a compiler from contracting into one. */
static double product_error(double a, double b, double hi)
{
    const double split = 134217729.0; /* 2^27 + 1 */
    double ta = split * a;
    double ah = ta - (ta - a);
    double al = a - ah;
    double tb = split * b;
    double bh = tb - (tb - b);
    double bl = b - bh;
    double hh = ah * bh;
    double hl = ah * bl;
    double lh = al * bh;
    double ll = al * bl;
    return (((hh - hi) + hl) + lh) + ll;
}

bool num_same_double(uint64_t m, long e, double delta_lo, double delta_hi)
{
#if NUMCONV_DBL_CLINGER
    if (e < -DBL_CLINGER_MAX || e > DBL_CLINGER_MAX)
        return false;
    double dm = (double)m, p = pow10_dbl[e < 0 ? -e : e];
    double d, err, unit; /* err = D - d; unit = 10^e, the size of delta's unit */
    if (e < 0) {
        d = dm / p;
        /* the remainder m - d·p of a rounded quotient is a double: with
         * d·p = hi + lo, m - hi is exact (Sterbenz) and so is the rest */
        double hi = d * p;
        err = ((dm - hi) - product_error(d, p, hi)) / p;
        unit = 1 / p;
    } else {
        d = dm * p;
        err = product_error(dm, p, d);
        unit = p;
    }
    /* half the gap to the double below d: below a power of two the gap
     * halves, so this is the narrower half of d's rounding interval */
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    if (!(d > 0) || bits <= 1)
        return false;
    bits--;
    double below;
    memcpy(&below, &bits, sizeof below);
    double bound = (d - below) / 2 * (1 - 1.0 / 16);
    return err + delta_lo * unit > -bound && err + delta_hi * unit < bound;
#else
    (void)m;
    (void)e;
    (void)delta_lo;
    (void)delta_hi;
    return false;
#endif
}

bool num_scaled_to_double(uint64_t mant, int exp10, double *out)
{
#if NUMCONV_DBL_CLINGER
    if (mant <= (1ull << 53) && exp10 >= -DBL_CLINGER_MAX && exp10 <= DBL_CLINGER_MAX) {
        double m = (double)mant;
        *out = exp10 >= 0 ? m * pow10_dbl[exp10] : m / pow10_dbl[-exp10];
        return true;
    }
#endif
#if NUMCONV_LD_EXACT
    long double y;
    return num_scaled_to_ldouble(mant, exp10, &y) && ld_to_double_unless_halfway(y, out);
#else
    return false;
#endif
}

/* The text as mant·10^exp10 from its first 19 significant digits;
 * *truncated tells whether nonzero digits followed them (the value is
 * then strictly between mant and mant + 1, scaled). */
static bool text_scaled(const char *s, size_t n, bool *neg, uint64_t *mant, int *exp10, bool *truncated)
{
    size_t i = 0;
    *neg = false;
    *truncated = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        *neg = s[i++] == '-';
    uint64_t m = 0;
    int nd = 0; /* significant digits taken into m */
    long e = 0; /* decimal exponent of m */
    size_t begin = i;
    while (i < n && s[i] == '0')
        i++;
    for (; i < n && (unsigned)(s[i] - '0') < 10; i++) {
        if (nd < 19) {
            m = m * 10 + (uint64_t)(s[i] - '0');
            nd++;
        } else {
            e++; /* a digit past the 19th only scales m */
            *truncated |= s[i] != '0';
        }
    }
    bool any = i > begin;
    if (i < n && s[i] == '.') {
        begin = ++i;
        if (nd == 0)
            for (; i < n && s[i] == '0'; i++)
                e--;
        for (; i < n && (unsigned)(s[i] - '0') < 10; i++) {
            if (nd < 19) {
                m = m * 10 + (uint64_t)(s[i] - '0');
                nd++;
                e--;
            } else {
                *truncated |= s[i] != '0';
            }
        }
        any |= i > begin;
    }
    if (!any)
        return false;
    if (i < n) {
        if (s[i] != 'e' && s[i] != 'E')
            return false;
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        if (i >= n)
            return false;
        long x = 0;
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            if (x < 100000)
                x = x * 10 + (s[i] - '0');
        }
        e += eneg ? -x : x;
    }
    if (m == 0)
        e = 0;
    if (e < -100000 || e > 100000)
        return false;
    *mant = m;
    *exp10 = (int)e;
    return true;
}

bool num_text_scaled(const char *s, size_t n, bool *neg, uint64_t *mant, int *exp10)
{
    bool truncated;
    return text_scaled(s, n, neg, mant, exp10, &truncated) && !truncated;
}

/* The double nearest a value v strictly between L = m·10^e and L + 10^e,
 * m of 19 digits, from y = L rounded to long double, when that decides.
 * With u the long double unit at y: |y - L| <= u/2 (correct rounding),
 * and 10^e = L/m <= L/10^18 < 2^(64+ey)/10^18 = 18.45u (L < 2^(ey+1),
 * ey the binary exponent of y), so v lies in [y - u/2, y + 19u]. Writing
 * y = D + t·u (ld_double_offset), the only double midpoint that interval
 * can reach is D + 1024u, and only when 1005 <= t <= 1024; otherwise the
 * whole interval, v included, rounds to the double y rounds to. The
 * midpoints farther away (D - 512u or less, D + 3072u) are out of reach,
 * also across a binade above y. False for t in the margin (about 1% of
 * texts), for other layouts and out of the double normal range. */
static bool truncated_to_double(uint64_t m, int e, double *out)
{
#if NUMCONV_LD_EXACT
    long double y;
    if (m < num_pow10_u64[18] || !num_scaled_to_ldouble(m, e, &y))
        return false;
    int t = ld_double_offset(y);
    if (t < 0 || (t >= 1000 && t <= 1024))
        return false;
    double d = (double)y;
    if (!isfinite(d) || y < DBL_MIN)
        return false;
    *out = d;
    return true;
#else
    (void)m, (void)e, (void)out;
    return false;
#endif
}

/* A text with more than 19 significant digits lies strictly between
 * m·10^e and (m+1)·10^e; when both ends round to the same value, so does
 * everything between them (rounding is monotonic). */
bool num_text_to_double(const char *s, size_t n, double *out)
{
    bool neg, truncated;
    uint64_t m;
    int e;
    double d, hi;
    if (!text_scaled(s, n, &neg, &m, &e, &truncated))
        return false;
    if (m == 0)
        d = 0;
    else if (truncated && truncated_to_double(m, e, &d))
        truncated = false; /* settled with one rounding */
    else if (!num_scaled_to_double(m, e, &d))
        return false;
    if (truncated && (!num_scaled_to_double(m + 1, e, &hi) || hi != d))
        return false;
    *out = neg ? -d : d;
    return true;
}

bool num_text_to_ldouble(const char *s, size_t n, long double *out)
{
    bool neg, truncated;
    uint64_t m;
    int e;
    long double d, hi;
    if (!text_scaled(s, n, &neg, &m, &e, &truncated))
        return false;
    if (m == 0)
        d = 0;
    else if (!num_scaled_to_ldouble(m, e, &d))
        return false;
    if (truncated && (!num_scaled_to_ldouble(m + 1, e, &hi) || hi != d))
        return false;
    *out = neg ? -d : d;
    return true;
}

/* ---- binary -> shortest decimal ------------------------------------------- */

/* x·10^s for x = M·2^E, exactly, as q + rem/den, with the spacing of
 * x's neighbours (one ulp, scaled the same way) as ulp/den. */
typedef struct scaled {
    u128 q, rem, den, ulp;
} scaled;

/* Denominators stay below 2^124 so that 4·rem cannot overflow. */
enum { DEN_BITS_MAX = 124 };

static bool scale_exact(uint64_t M, int E, int s, scaled *out)
{
    if (s > SCALE_MAX || s < -SCALE_MAX)
        return false;
    if (s >= 0) {
        u128 p = (u128)M * pow5[s]; /* < 2^127; x·10^s = p·2^(E+s) */
        int t = E + s;
        if (t >= 0) {
            if (bitlen128(p) + t > 127)
                return false;
            *out = (scaled){p << t, 0, 1, (u128)pow5[s] << t};
            return true;
        }
        if (-t > DEN_BITS_MAX)
            return false;
        u128 den = (u128)1 << -t;
        *out = (scaled){p >> -t, p & (den - 1), den, pow5[s]};
        return true;
    }
    /* x·10^s = M·2^E / (5^t·2^t): powers of two cancel into the side that
     * has them */
    int t = -s, twos = t - E;
    u128 num = M, den = pow5[t], ulp = 1;
    if (twos >= 0) {
        if (bitlen128(den) + twos > DEN_BITS_MAX)
            return false;
        den <<= twos;
    } else {
        if (bitlen64(M) - twos > 127)
            return false;
        num <<= -twos;
        ulp <<= -twos;
    }
    if ((num >> 64) == 0 && (den >> 64) == 0) { /* the common case: a 64-bit division */
        uint64_t n64 = (uint64_t)num, d64 = (uint64_t)den;
        *out = (scaled){n64 / d64, n64 % d64, den, ulp};
    } else {
        *out = (scaled){num / den, num % den, den, ulp};
    }
    return true;
}

/* floor(log10(2^e)) for |e| well below 1650 (Ryu's bound for this
 * multiplier); the callers verify the result exactly. */
static int floor_log10_pow2(int e)
{
    int64_t p = (int64_t)e * 78913;
    return (int)(p >= 0 ? p >> 18 : -((-p + (1 << 18) - 1) >> 18));
}

const char num_digit_pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* Decimal digits of v, most significant first; returns the count. With
 * width > 0, left-padded with zeros to exactly width digits. */
static int u64_digits(uint64_t v, int width, char *out)
{
    /* the digit count from the bit length: 1233/4096 is just above
     * log10(2), so the estimate is the count or one less */
    int n = (bitlen64(v) * 1233) >> 12;
    n += n < 20 && v >= num_pow10_u64[n];
    n += n == 0;
    if (n < width)
        n = width;
    int i = n;
    while (v >= 100) {
        uint64_t q = v / 100;
        i -= 2;
        memcpy(out + i, num_digit_pairs + 2 * (v - q * 100), 2);
        v = q;
    }
    if (v >= 10) {
        i -= 2;
        memcpy(out + i, num_digit_pairs + 2 * v, 2);
    } else {
        out[--i] = (char)('0' + v);
    }
    while (i > 0)
        out[--i] = '0';
    return n;
}

/* r / 10^19 and r % 10^19 for r < 2^83 without a 128-bit division (a
 * library call): 10^19 = 2^19·5^19, floor(floor(r/2^19)/5^19) is
 * floor(r/10^19), and r >> 19 fits 64 bits. The values the shortest
 * searches split have at most 22 digits (< 2^74). */
static bool split_1e19(u128 r, uint64_t *hi, uint64_t *lo)
{
    if (r >> 83)
        return false;
    uint64_t q = (uint64_t)(r >> 19) / 19073486328125ull; /* 5^19 */
    *hi = q;
    *lo = (uint64_t)(r - (u128)q * num_pow10_u64[19]);
    return true;
}

/* The digits of r > 0 into out (trailing zeros dropped, mant set; the
 * caller sets point). Returns r's digit count before the drop. */
static int decimal_digits_u128(u128 r, num_decimal *out)
{
    int n;
    if (r <= UINT64_MAX) {
        n = u64_digits((uint64_t)r, 0, out->digits);
    } else {
        uint64_t hi, lo;
        if (!split_1e19(r, &hi, &lo)) {
            hi = (uint64_t)(r / num_pow10_u64[19]);
            lo = (uint64_t)(r % num_pow10_u64[19]);
        }
        n = u64_digits(hi, 0, out->digits);
        n += u64_digits(lo, 19, out->digits + n);
    }
    int total = n;
    while (out->digits[n - 1] == '0')
        n--;
    out->ndigits = n;
    out->mant = 0;
    if (n <= 19)
        for (int i = 0; i < n; i++)
            out->mant = out->mant * 10 + (uint64_t)(out->digits[i] - '0');
    return total;
}

static void decimal_from_u128(u128 r, int point, num_decimal *out)
{
    decimal_digits_u128(r, out);
    out->point = point;
}

/* ---- short answers first ------------------------------------------------ */

/* m·10^exp10 (m > 0) as a num_decimal without trailing zeros. */
static void decimal_from_u64(uint64_t m, int exp10, num_decimal *out)
{
    num_strip_zeros(&m, &exp10);
    int n = u64_digits(m, 0, out->digits);
    out->ndigits = n;
    out->point = n + exp10;
    out->mant = m;
}

/* t (0 <= t < 2^63) rounded to an integer. On x87 a float-to-integer
 * conversion rounds by switching the FPU's control word twice, which
 * costs more than the rest of a probe; adding 2^63 instead leaves the
 * sum's unit at 1, so the FPU's own rounding (to nearest) makes it an
 * integer, read from the mantissa bits. Ties may round either way: every
 * caller verifies the candidate it gets. */
#if NUMCONV_LD_EXACT
static uint64_t round_to_u64(long double t)
{
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
    long double r = t + 0x1p63L;
    uint64_t bits;
    memcpy(&bits, &r, sizeof bits); /* explicit integer bit set: r in [2^63, 2^64) */
    return bits - ((uint64_t)1 << 63);
#else
    return (uint64_t)(t + 0.5L);
#endif
}
#endif

/* The shortest digits of a = x > 0 (binary exponent be: 2^be <= a <
 * 2^(be+1)) when they number at most `digits`, found with one probe.
 *
 * Why one probe suffices: the rounding interval of a float with a p-bit
 * mantissa is at most 2^(1-p) of its value wide, and when that is narrower
 * than the spacing of `digits`-digit decimals (10^(1-digits) relative: 15
 * digits for p = 53, 18 for p = 64) at most one decimal of that many
 * digits or fewer reads back. So if the shortest has at most `digits`
 * digits, it is the only candidate, and it is the nearest integer to
 * a·10^k, with k chosen to give a·10^k `digits` digits: it lies within
 * half the interval (0.12 units at most) of the exact product, and the
 * long double product is within 10^digits·2^-64 (0.06 units at most) of
 * exact, so rounding the computed product finds it (a rounding boundary
 * is 0.5 away). The exact read-back then proves it; when it fails the
 * shortest is longer and the caller searches. */
#if NUMCONV_LD_EXACT
static bool probe_candidate(long double a, int be, int digits, uint64_t *m, int *k)
{
    /* floor(log10(a)) is est or est + 1 */
    int est = floor_log10_pow2(be);
    int kk = digits - 1 - est;
    if (kk > SCALE_MAX || kk < -SCALE_MAX)
        return false;
    long double top = num_pow10_ldbl[digits], t = kk >= 0 ? a * num_pow10_ldbl[kk] : a / num_pow10_ldbl[-kk];
    if (t + 0.5L > top) { /* est was one low: one digit too many */
        if (--kk < -SCALE_MAX)
            return false;
        t = kk >= 0 ? a * num_pow10_ldbl[kk] : a / num_pow10_ldbl[-kk];
    }
    *m = round_to_u64(t);
    *k = kk;
    return *m != 0;
}
#endif

/* a = M·2^E > 0, normal: M has its top bit at 52 (double) or 63 (long
 * double). Read from the encoding: frexp and ldexp are library calls that
 * cost more than the rest of a short conversion. */
static void double_parts(double a, uint64_t *M, int *E)
{
    uint64_t bits;
    memcpy(&bits, &a, sizeof bits);
    *M = (bits & (((uint64_t)1 << 52) - 1)) | (uint64_t)1 << 52;
    *E = (int)((bits >> 52) & 0x7ff) - 1075;
}

#if LDBL_MANT_DIG == 64
static void ldouble_parts(long double a, uint64_t *M, int *E);

/* |x| = M·2^E with M's top bit set, when x is a normal long double (not
 * zero, subnormal, infinite or NaN). On x87 from the encoding alone:
 * comparing against LDBL_MIN and LDBL_MAX loads both from memory. */
static bool ldouble_normal_parts(long double x, uint64_t *M, int *E)
{
#if defined(__x86_64__) || defined(__i386__)
    ldouble_parts(x, M, E);
    int biased = *E + 16383 + 63;
    return biased >= 1 && biased <= 0x7ffe && (*M >> 63);
#else
    long double a = fabsl(x);
    if (!(a >= LDBL_MIN) || a > LDBL_MAX)
        return false;
    ldouble_parts(a, M, E);
    return true;
#endif
}

static void ldouble_parts(long double a, uint64_t *M, int *E)
{
#if defined(__x86_64__) || defined(__i386__)
    /* x87 extended: 64-bit mantissa with an explicit integer bit, then
     * sign and a 15-bit exponent biased by 16383 */
    unsigned char b[sizeof a];
    uint16_t se;
    memcpy(b, &a, sizeof a);
    memcpy(M, b, 8);
    memcpy(&se, b + 8, 2);
    *E = (int)(se & 0x7fff) - 16383 - 63;
#else
    int e;
    *M = (uint64_t)ldexpl(frexpl(a, &e), 64);
    *E = e - 64;
#endif
}
#endif

void num_decimal_from_scaled(uint64_t mant, int exp10, num_decimal *out)
{
    decimal_from_u64(mant, exp10, out);
}

/* The same one-probe answer in exact integer arithmetic, for x = M·2^E
 * (P-bit mantissa, top bit set; narrow_below when x's lower neighbour is
 * half as far, at a power of two) and a scale 10^kk with 0 <= kk <= 26
 * that gives x `digits` integer digits. x·10^kk = p/2^g with
 * p = M·5^kk < 2^125 and g = -(E + kk); the candidate c is p/2^g rounded,
 * and it reads back as x when it lies in x's rounding interval, which at
 * this scale reaches 5^kk/2 units of 2^-g either side (5^kk/4 below when
 * narrow) and owns its ends when M is even. No floating point: on x87
 * the long double probe's stores, loads and divisions cost several times
 * this. 1 with the candidate; 0 when it does not read back, which proves
 * the shortest longer than `digits` (a decimal that short reading back
 * would be this nearest integer: see probe_candidate); -1 when the scale
 * leaves that range (the caller then probes in long double). */
static int probe_exact(uint64_t M, int E, int P, bool narrow_below, int digits, uint64_t *m, int *k)
{
    int kk = digits - 1 - floor_log10_pow2(E + P - 1); /* x·10^kk < 10^(digits+1) */
    for (int tries = 0; tries < 2; tries++, kk--) {
        int g = -(E + kk);
        if (kk < 0 || kk > 26 || g < 1 || g > 120)
            return -1;
        u128 p = (u128)M * pow5[kk], half = (u128)1 << (g - 1), r = p & ((half << 1) - 1);
        u128 q = p >> g;
        bool up = r >= half;
        if (q + up > num_pow10_u64[digits] || (tries == 0 && q + up == num_pow10_u64[digits]))
            continue; /* floor(log10(x)) was one above the estimate: one digit too many */
        u128 dist = up ? (half << 1) - r : r; /* |c - x·10^kk| in units of 2^-g */
        u128 reach = !up && dist && narrow_below ? 4 * dist : 2 * dist, f = pow5[kk];
        if (q + up == 0)
            return -1;
        if (reach > f || (reach == f && (M & 1)))
            return 0;
        *m = (uint64_t)(q + up);
        *k = kk;
        return 1;
    }
    return -1;
}

static bool double_short_scaled(double a, uint64_t M, int E, uint64_t *m, int *exp10)
{
    int k, found = probe_exact(M, E, 53, a > DBL_MIN && M == (uint64_t)1 << 52, DBL_DIG, m, &k);
    if (found > 0)
        *exp10 = -k;
    if (found >= 0)
        return found > 0;
#if NUMCONV_LD_EXACT
    double back;
    if (!probe_candidate(a, E + 52, DBL_DIG, m, &k) || !num_scaled_to_double(*m, -k, &back) || back != a)
        return false;
    *exp10 = -k;
    return true;
#else
    return false;
#endif
}

bool num_double_short_scaled(double x, uint64_t *mant, int *exp10)
{
    double a = fabs(x);
    if (!(a >= DBL_MIN) || a > DBL_MAX)
        return false;
    uint64_t M;
    int E;
    double_parts(a, &M, &E);
    return double_short_scaled(a, M, E, mant, exp10);
}

/* The exponent of LDBL_MIN (2^-16382) in ldouble_parts' M·2^E form. */
enum { LDBL_MIN_E = -16382 - 63 };

static bool ldouble_short_scaled(long double a, uint64_t M, int E, uint64_t *m, int *exp10)
{
#if NUMCONV_LD_EXACT && LDBL_MANT_DIG == 64
    int k, found = probe_exact(M, E, 64, E > LDBL_MIN_E && M == (uint64_t)1 << 63, 18, m, &k);
    if (found > 0)
        *exp10 = -k;
    if (found >= 0)
        return found > 0;
    long double back;
    if (!probe_candidate(a, E + 63, 18, m, &k) || !num_scaled_to_ldouble(*m, -k, &back) || back != a)
        return false;
    *exp10 = -k;
    return true;
#else
    (void)a, (void)M, (void)E, (void)m, (void)exp10;
    return false;
#endif
}

bool num_ldouble_integral(long double x, bool *fits, int64_t *out)
{
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
    uint64_t M;
    int E;
    if (!ldouble_normal_parts(x, &M, &E)) { /* zero and subnormals (infinities and NaN are excluded) */
        *fits = true;
        *out = 0;
        return M == 0;
    }
    bool neg = signbit(x);
    if (E >= 0) { /* |x| >= 2^63: only -2^63 fits */
        *fits = neg && E == 0 && M == (uint64_t)1 << 63;
        *out = INT64_MIN;
        return true;
    }
    if (E <= -64)
        return false; /* 0 < |x| < 1 */
    if (M & (((uint64_t)1 << -E) - 1))
        return false;
    uint64_t mag = M >> -E; /* < 2^63 */
    *fits = true;
    *out = neg ? -(int64_t)mag : (int64_t)mag;
    return true;
#else
    if (x != truncl(x))
        return false;
    *fits = x >= -9223372036854775808.0L && x < 9223372036854775808.0L;
    *out = *fits ? (int64_t)x : 0;
    return true;
#endif
}

bool num_ldouble_short_scaled(long double x, uint64_t *mant, int *exp10)
{
#if LDBL_MANT_DIG == 64
    uint64_t M;
    int E;
    return ldouble_normal_parts(x, &M, &E) && ldouble_short_scaled(fabsl(x), M, E, mant, exp10);
#else
    (void)x, (void)mant, (void)exp10;
    return false;
#endif
}

static u128 pow10_u128(int j)
{
    return j <= 19 ? (u128)num_pow10_u64[j] : (u128)num_pow10_u64[19] * num_pow10_u64[j - 19];
}

/* Shortest digits of x = M·2^E (P-bit mantissa, top bit set) read off its
 * rounding interval, the way Go's roundShortest walks it.
 *
 * At a scale 10^s that gives x max_digits or max_digits + 1 integer
 * digits, [A, B] are the integers inside the interval (which is then at
 * least one unit wide, so A <= B). The shortest decimals are the
 * multiples of the largest 10^j that has a multiple in [A, B]; B - (B mod
 * 10^j) is one, and the answer is whichever of the two multiples around x
 * (the truncation and the round-up of its digits) is in the interval,
 * the nearer when both are. Everything is exact integer arithmetic in 128
 * bits (v·5^s < 2^127 for s <= 26). Declines (false) outside that range
 * and on an exact tie between the two nearest, which the caller's search
 * settles. */
static bool shortest_interval(uint64_t M, int E, int P, bool narrow_below, int max_digits, num_decimal *out)
{
    int s = max_digits - 1 - floor_log10_pow2(E + P - 1);
    if (s < 0 || s > 26)
        return false;
    bool even = (M & 1) == 0;
    /* x and its interval's ends in units of 2^(E-2), times 5^s; the value
     * at the scale is that times 2^t */
    u128 f5 = pow5[s], vx = (u128)M << 2;
    u128 nx = vx * f5, nlo = (vx - (narrow_below ? 1 : 2)) * f5, nhi = (vx + 2) * f5;
    int t = E - 2 + s;
    u128 q, rem = 0, A, B;
    int g = 0; /* x·10^s = q + rem/2^g */
    if (t >= 0) {
        if (bitlen128(nhi) + t > 127)
            return false;
        q = nx << t;
        A = (nlo << t) + (even ? 0 : 1);
        B = (nhi << t) - (even ? 0 : 1);
    } else {
        g = -t;
        if (g > 120)
            return false;
        u128 mask = ((u128)1 << g) - 1;
        q = nx >> g;
        rem = nx & mask;
        A = (nlo >> g) + ((nlo & mask) != 0 || !even ? 1 : 0);
        B = (nhi >> g) - ((nhi & mask) == 0 && !even ? 1 : 0);
    }
    if (A > B || B - A > UINT64_MAX / 4 || q > B || q + 1 < A)
        return false;
    u128 w = B - A;
    /* the largest j with B mod 10^j <= w; m = B mod 10^j */
    uint64_t r, b_hi;
    if (B <= UINT64_MAX)
        r = (uint64_t)B % num_pow10_u64[19];
    else if (!split_1e19(B, &b_hi, &r))
        r = (uint64_t)(B % num_pow10_u64[19]);
    uint64_t p = 1;
    u128 m = 0;
    int j = 0;
    while (j < 19) {
        u128 next = m + (u128)(r % 10) * p;
        if (next > w)
            break;
        m = next;
        r /= 10;
        p *= 10;
        j++;
    }
    while (j >= 19 && j < 38) {
        u128 next = B % pow10_u128(j + 1);
        if (next > w)
            break;
        m = next;
        j++;
    }
    u128 p10 = pow10_u128(j), bq = B - q, a; /* a = q mod 10^j; B - q <= w + 1 */
    if (bq <= m) {
        a = m - bq;
    } else {
        u128 d = bq - m, dm = d < p10 ? d : (u128)((uint64_t)d % (uint64_t)p10);
        a = dm ? p10 - dm : 0;
    }
    u128 down = q - a, up = down + p10;
    /* compare the distances x - down = a + f and up - x = 10^j - a - f,
     * f = rem/2^g in [0, 1): down is nearer when 2a + 2f < 10^j */
    int nearer; /* < 0: down, > 0: up, 0: tie */
    if (2 * a + 1 < p10)
        nearer = -1;
    else if (2 * a > p10)
        nearer = 1;
    else if (2 * a == p10)
        nearer = rem ? 1 : 0;
    else /* 2a = 10^j - 1: compare 2f with 1 */
        nearer = g == 0 || rem < ((u128)1 << (g - 1)) ? -1 : rem > ((u128)1 << (g - 1)) ? 1 : 0;
    if (nearer == 0)
        return false;
    u128 c = nearer < 0 ? down : up;
    if (c < A || c > B) {
        c = nearer < 0 ? up : down;
        if (c < A || c > B)
            return false;
    }
    out->point = decimal_digits_u128(c, out) - s;
    return true;
}

/* The decimal of p digits nearest x = M·2^E (k its decimal exponent),
 * rounded half to even as printf does, and whether it reads back as x:
 * whether it lies inside x's rounding interval, which reaches half an ulp
 * either side (a quarter below when x is a power of two, whose lower
 * neighbour is closer) and owns its ends when x's mantissa is even (ties
 * read back to even). *ok is false when the arithmetic leaves 128 bits. */
typedef struct candidate {
    uint64_t M;
    int E, k;
    bool even, narrow_below;
} candidate;

static bool reads_back(const candidate *c, int p, u128 *r, bool *ok)
{
    scaled sc;
    *ok = scale_exact(c->M, c->E, p - 1 - c->k, &sc);
    if (!*ok)
        return false;
    u128 twice = 2 * sc.rem;
    bool up = twice > sc.den || (twice == sc.den && (sc.q & 1));
    u128 dist = up ? sc.den - sc.rem : sc.rem; /* |r - x·10^s|, in 1/den */
    u128 reach = !up && c->narrow_below ? 4 * dist : 2 * dist;
    *r = sc.q + up;
    return reach < sc.ulp || (reach == sc.ulp && c->even);
}

/* Shortest digits of x = M·2^E > 0 with a P-bit mantissa. Reading back
 * is monotonic in the length (a p-digit decimal is also a (p+1)-digit
 * one, and the nearest of those is no farther), so the shortest length
 * is found by bisection; max_digits always reads back (17 for a double,
 * 21 for a 64-bit mantissa), and is checked only when nothing shorter does. */
static bool shortest_fast(uint64_t M, int E, int P, bool above_min_normal, int max_digits, num_decimal *out)
{
    scaled sc;
    candidate c = {M, E, floor_log10_pow2(E + bitlen64(M) - 1), (M & 1) == 0, false};
    c.narrow_below = above_min_normal && M == (uint64_t)1 << (P - 1);
    /* exact decimal exponent: 10^k <= x < 10^(k+1) */
    for (int tries = 0;; tries++) {
        if (tries == 3 || !scale_exact(M, E, -c.k, &sc))
            return false;
        if (sc.q >= 10)
            c.k++;
        else if (sc.q == 0)
            c.k--;
        else
            break;
    }
    u128 r, best = 0;
    bool ok, found = false;
    int lo = 1, hi = max_digits; /* the answer is in [lo, hi] */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (reads_back(&c, mid, &r, &ok)) {
            hi = mid;
            best = r;
            found = true;
        } else if (!ok) {
            return false;
        } else {
            lo = mid + 1;
        }
    }
    if (!found && !reads_back(&c, hi, &best, &ok))
        return false;
    if (hi < 1 || hi > SCALE_MAX) /* max_digits is at most 21: never, but it bounds pow5[hi] */
        return false;
    /* best is in [10^(hi-1), 10^hi]; 10^hi means x rounded up to 10^(k+1) */
    decimal_from_u128(best, c.k + 1 + (best == (u128)pow5[hi] << hi ? 1 : 0), out);
    return true;
}

/* "[-]d.ddde[+-]x" from printf into a num_decimal. */
static void decimal_from_e_text(const char *e, num_decimal *out)
{
    const char *p = e;
    if (*p == '-')
        p++;
    int n = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && n < (int)sizeof out->digits)
            out->digits[n++] = *p;
    long x = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
    while (n > 1 && out->digits[n - 1] == '0')
        n--;
    out->ndigits = n;
    out->point = (int)x + 1;
    out->mant = 0;
    if (n <= 19)
        for (int i = 0; i < n; i++)
            out->mant = out->mant * 10 + (uint64_t)(out->digits[i] - '0');
}

void num_shortest_double(double x, num_decimal *out)
{
    double a = fabs(x);
    if (a >= DBL_MIN && a <= DBL_MAX) {
        uint64_t M, m;
        int E, e10;
        double_parts(a, &M, &E);
        if (double_short_scaled(a, M, E, &m, &e10)) {
            decimal_from_u64(m, e10, out);
            return;
        }
        bool narrow = a > DBL_MIN && M == (uint64_t)1 << 52;
        if (shortest_interval(M, E, 53, narrow, 17, out) || shortest_fast(M, E, 53, a > DBL_MIN, 17, out))
            return;
    }
    /* libc: 17 significant digits always read back. For a normal double,
     * when 15 digits read back, dropping their trailing zeros gives the
     * shortest; subnormals carry fewer digits, so their search starts at
     * one. printf's precision is the digit count less one. */
    char buf[40];
    int first = a < DBL_MIN ? 0 : DBL_DIG - 1;
    for (int p = first; p <= 16; p++) {
        snprintf(buf, sizeof buf, "%.*e", p, a);
        if (p == 16 || strtod(buf, NULL) == a)
            break;
    }
    decimal_from_e_text(buf, out);
}

/* num_shortest_ldouble past the one-probe answer: the interval walk, the
 * bisection, then libc. normal: x = ±M·2^E (ldouble_normal_parts). */
static void shortest_ldouble_search(long double x, bool normal, uint64_t M, int E, num_decimal *out)
{
#if LDBL_MANT_DIG == 64
    if (normal) {
        bool above_min = E > LDBL_MIN_E || M != (uint64_t)1 << 63;
        bool narrow = above_min && M == (uint64_t)1 << 63;
        if (shortest_interval(M, E, 64, narrow, 21, out) || shortest_fast(M, E, 64, above_min, 21, out))
            return;
    }
#else
    (void)normal, (void)M, (void)E;
#endif
    /* 21 significant digits always read back a 64-bit mantissa; wider
     * long doubles need more, hence the bound of 24 */
    long double a = fabsl(x);
    char buf[64];
    for (int p = 0; p < 24; p++) {
        snprintf(buf, sizeof buf, "%.*Le", p, a);
        if (strtold(buf, NULL) == a)
            break;
    }
    decimal_from_e_text(buf, out);
}

void num_shortest_ldouble_long(long double x, num_decimal *out)
{
    uint64_t M = 0;
    int E = 0;
#if LDBL_MANT_DIG == 64
    bool normal = ldouble_normal_parts(x, &M, &E);
#else
    bool normal = false;
#endif
    shortest_ldouble_search(x, normal, M, E, out);
}

void num_shortest_ldouble(long double x, num_decimal *out)
{
    uint64_t m;
    int e10;
    if (num_ldouble_short_scaled(x, &m, &e10))
        decimal_from_u64(m, e10, out);
    else
        num_shortest_ldouble_long(x, out);
}

bool num_shortest_ldouble_scaled(long double x, uint64_t *mant, int *exp10, num_decimal *out)
{
    if (num_ldouble_short_scaled(x, mant, exp10))
        return true;
    num_shortest_ldouble_long(x, out);
    return false;
}

/* x = M·2^E and D = mant/10^k are compared at the scale 10^k·2^g,
 * g = -(E + k) > 0, where x is p = M·5^k (< 2^127: 5^27 < 2^63) and D is
 * mant·2^g; x's rounding interval reaches 5^k/2 units either side (5^k/4
 * below a power of two, whose lower neighbour is half as far) and owns
 * its ends when M is even (ties round to even). When g <= 0 both sides
 * are integers at the scale 10^k: x·10^k = p·2^-g, the reach 5^k·2^-g/2.
 * An operand that would not fit 128 bits is beyond 2^128, far above the
 * other (below 2^127 and 2^64) plus the reach (at most p/2^63).
 * x = M·2^E is a normal long double with a 64-bit mantissa. */
static bool reads_as_parts(uint64_t M, int E, uint64_t mant, int exp10)
{
    int k = -exp10;
    if (mant == 0 || k < 0 || k > SCALE_MAX)
        return false;
    bool narrow = E > LDBL_MIN_E && M == (uint64_t)1 << 63;
    u128 p = (u128)M * pow5[k], d = mant, reach = pow5[k];
    int g = -(E + k);
    if (g > 0) {
        if (bitlen64(mant) + g > 128)
            return false;
        d <<= g;
    } else {
        if (bitlen128(p) - g > 128)
            return false;
        p <<= -g;
        reach <<= -g; /* reach <= p */
    }
    bool below = d < p;
    u128 dist = below ? p - d : d - p;
    if (dist > reach) /* also keeps 4·dist within 128 bits */
        return false;
    u128 scaled = below && narrow ? 4 * dist : 2 * dist;
    return scaled < reach || (scaled == reach && (M & 1) == 0);
}

bool num_ldouble_reads_as(long double x, bool neg, uint64_t mant, int exp10)
{
#if LDBL_MANT_DIG == 64
    uint64_t M;
    int E;
    return neg == (bool)signbit(x) && ldouble_normal_parts(x, &M, &E) && reads_as_parts(M, E, mant, exp10);
#else
    (void)x, (void)neg, (void)mant, (void)exp10;
    return false;
#endif
}

/* floor(v·p / 2^s) for |v|·p < 2^(s+62), 0 < s < 128, and whether the
 * division is exact. */
static int64_t mul_shift_floor(int64_t v, uint64_t p, int s, bool *exact)
{
    u128 mag = (u128)(v < 0 ? 0 - (uint64_t)v : (uint64_t)v) * p;
    *exact = (mag & (((u128)1 << s) - 1)) == 0;
    int64_t q = (int64_t)(mag >> s);
    return v < 0 ? -q - !*exact : q;
}

/* Floor of v / d for d > 0. */
static int64_t floor_div(int64_t v, int64_t d)
{
    int64_t q = v / d;
    return q * d > v ? q - 1 : q;
}

/* x's shortest digits when x = M·2^E lies near the decimal
 * D = mant·10^-k (the exact sum the caller carried, 1 <= k <= 18, mant
 * below 10^18 without trailing zeros): 1 when D reads back as x
 * (reads_as_parts), 2 when x's shortest digits are D + j·10^-(k+t) with
 * 1 <= t <= 19 and 0 < |j| < 10^t, j no multiple of 10; 0 when neither
 * can be settled here (the caller's general steps then decide).
 *
 * Units: as in reads_as_parts, values times 10^k·2^g (g = -(E + k) > 0),
 * then times 4 so that the interval's ends are integers: x is 4P
 * (P = M·5^k), D is 4·mant·2^g, the interval reaches 2·5^k above x and
 * 2·5^k below (5^k below a power of two), ends included when M is even.
 * x is taken up to 2^16 ulps from D (a long sum's rounding errors, or
 * x87 arithmetic emulated at double precision, as under valgrind), so
 * the distance, the ends and the width fit 64 bits. D outside the
 * interval, every decimal inside lies on one side of D; those of the
 * form D + j·10^-(k+t) with t >= 1 and |j| < 10^t are mant·10^t + j
 * scaled, all with the same number of leading digits, so the fewest
 * digits are at the coarsest t. At the first t where the interval is
 * more than one unit 10^-(k+t) wide, [A, B] are the j inside it (below
 * 2^22 in magnitude); the coarsest unit is the largest power of ten with
 * a multiple in [A, B]. Declined: a coarsest unit of 10^-k or above (a
 * multiple of D's own unit inside), or |j| >= 10^t. Among the
 * candidates at the coarsest unit, the answer is the one of x's two
 * neighbours that is inside, the nearer when both are (as
 * shortest_interval and Go's roundShortest pick); an exact tie declines. */
static int near_offset(uint64_t M, int E, uint64_t mant, int k, int64_t *j_out, int *t_out)
{
    enum { NEAR_T_MAX = 19, NEAR_ULPS_LOG2 = 16 };
    int g = -(E + k);
    if (k < 1 || k > 18 || mant == 0 || mant >= num_pow10_u64[18] || g <= 3 || g > 100 ||
        bitlen64(mant) + g > 127)
        return 0;
    uint64_t f5 = pow5[k];                      /* < 2^42 */
    if (g < 64 && (f5 << 3) > (uint64_t)1 << g) /* the ulp within an eighth of D's unit */
        return 0;
    u128 P = (u128)M * f5, Dg = (u128)mant << g;
    bool x_above = P >= Dg;
    u128 dist_wide = x_above ? P - Dg : Dg - P;
    if (dist_wide > (u128)f5 << NEAR_ULPS_LOG2)
        return 0;
    uint64_t dist = (uint64_t)dist_wide; /* < 2^58 */
    bool narrow = E > LDBL_MIN_E && M == (uint64_t)1 << 63, even = (M & 1) == 0;
    uint64_t twice = (x_above && narrow ? 4 : 2) * dist;
    if (twice < f5 || (twice == f5 && even))
        return 1;
    int64_t d4 = x_above ? (int64_t)(4 * dist) : -(int64_t)(4 * dist);
    int64_t lo = d4 - (int64_t)(narrow ? f5 : 2 * f5), hi = d4 + (int64_t)(2 * f5);
    uint64_t width = (uint64_t)(hi - lo);
    int S = g + 2;
    u128 two_s = (u128)1 << S;
    /* the first t with 10^t·width > 2^S, from a lower estimate */
    int t = floor_log10_pow2(S - bitlen64(width));
    if (t < 1)
        t = 1;
    while (t <= NEAR_T_MAX && (u128)num_pow10_u64[t] * width <= two_s)
        t++;
    if (t > NEAR_T_MAX)
        return 0;
    /* |lo|, |hi|, |d4| < 2^(NEAR_ULPS_LOG2 + 3)·5^k, width >= 3·5^k and
     * 10^t <= max(10, 10·2^S/width): products below 2^(S+21) */
    uint64_t p10 = num_pow10_u64[t];
    bool exact_lo, exact_hi, exact_x;
    int64_t A = mul_shift_floor(lo, p10, S, &exact_lo), B = mul_shift_floor(hi, p10, S, &exact_hi);
    if (!exact_lo || !even)
        A++;
    if (exact_hi && !even)
        B--;
    if (A > B)
        return 0;
    int64_t unit = 1; /* the coarsest unit with a multiple inside */
    while (unit <= INT64_MAX / 10 && floor_div(B, 10 * unit) * 10 * unit >= A)
        unit *= 10, t--;
    if (t < 1)
        return 0;
    if (unit > 1) {
        A = -floor_div(-A, unit);
        B = floor_div(B, unit);
        p10 = num_pow10_u64[t];
    }
    /* x's position in units of 10^-(k+t) from D: fl + frac */
    int64_t fl = mul_shift_floor(d4, p10, S, &exact_x), c = fl;
    if (!exact_x) {
        u128 mag = (u128)(d4 < 0 ? 0 - (uint64_t)d4 : (uint64_t)d4) * p10;
        u128 rem = mag & (two_s - 1), half = two_s >> 1; /* frac = rem/2^S, or 1 - that when d4 < 0 */
        if (rem == half)
            return 0;
        c = (rem < half) == (d4 >= 0) ? fl : fl + 1;
        if (c < A || c > B)
            c = c == fl ? fl + 1 : fl;
    }
    if (c < A || c > B || c == 0 || c % 10 == 0 || (uint64_t)(c < 0 ? -c : c) >= p10)
        return 0;
    *j_out = c;
    *t_out = t;
    return 2;
}

/* mant's followed by t digits of j, or, when j < 0, mant's less one unit
 * followed by 10^t - |j| = (10^t - 1) - (|j| - 1). */
bool num_decimal_from_offset(uint64_t mant, int k, int64_t j, int t, num_decimal *out)
{
    uint64_t head = j < 0 ? mant - 1 : mant, tail = j < 0 ? (uint64_t)-j - 1 : (uint64_t)j;
    if (head == 0)
        return false;
    char buf[24];
    int n = u64_digits(head, 0, out->digits), nt = u64_digits(tail, 0, buf);
    memset(out->digits + n, '0', (size_t)(t - nt));
    memcpy(out->digits + n + t - nt, buf, (size_t)nt);
    if (j < 0)
        for (int i = n; i < n + t; i++)
            out->digits[i] = (char)('0' + '9' - out->digits[i]);
    out->ndigits = n + t;
    out->point = n - k;
    out->mant = 0;
    if (out->ndigits <= 19)
        for (int i = 0; i < out->ndigits; i++)
            out->mant = out->mant * 10 + (uint64_t)(out->digits[i] - '0');
    return true;
}

int num_ldouble_sum_shortest(long double x, bool neg, uint64_t mant, int exp10, int64_t *j, int *t,
                             num_decimal *out)
{
#if LDBL_MANT_DIG == 64
    uint64_t M;
    int E;
    if (!ldouble_normal_parts(x, &M, &E))
        return -1;
    int near = neg == (x < 0) ? near_offset(M, E, mant, -exp10, j, t) : 0;
    if (near)
        return near;
    if (neg == (x < 0) && reads_as_parts(M, E, mant, exp10))
        return 1;
    /* x = M·2^E is an integer when its fraction bits are zero; below
     * 2^-64 · 2^64 = 1 it has no integer bits at all */
    if (E >= 0 || (E > -64 && (M & (((uint64_t)1 << -E) - 1)) == 0))
        return -1;
    shortest_ldouble_search(x, true, M, E, out);
    return 0;
#else
    (void)x, (void)neg, (void)mant, (void)exp10, (void)j, (void)t, (void)out;
    return -1;
#endif
}
