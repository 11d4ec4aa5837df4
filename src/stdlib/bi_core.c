/* Core builtins: operators, comparison, aggregates, numbers, types, arrays,
 * objects and sets, JSON documents (filter/remove/patch), encodings and
 * traversal (walk, graph.*).
 *
 * Numbers follow OPA's arithmetic: integers stay exact (int64, then 128-bit
 * for intermediate results and literals of up to 38 digits); anything else
 * is computed in a binary float with a 64-bit mantissa, which is what OPA's
 * big.Float default precision is. On x86-64 `long double` is exactly that
 * (x87 extended precision), so 0.1 + 0.2 is 0.3 as in OPA; where long double
 * is plain double the results differ only in the last digit. A float result
 * is handed to the value layer as its shortest decimal text at that
 * precision, the way OPA's FloatToNumber prints it.
 *
 * Nothing here allocates except from ctx->arena; recursion over values is
 * bounded by the value depth limits of the parsers (1000) or by explicit
 * limits below.
 */
#include "builtins.h"
#include "vm/numconv.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

/* ======================================================================
 * Shared helpers
 * ====================================================================== */

static bi_status ret_val(bi_ctx *ctx, const val **out, const val *v)
{
    if (!v)
        return bi_oom(ctx);
    *out = v;
    return BI_OK;
}

static bi_status ret_bool(const val **out, bool b)
{
    *out = VAL_BOOL(b);
    return BI_OK;
}

/* Arena copy of n bytes plus a terminating NUL (for strtold and friends). */
static char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Go's []rune(s) length: every byte of an invalid sequence counts as one
 * code point (U+FFFD), which is what OPA's count/length report. */
static size_t utf8_count(const char *s, size_t n)
{
    size_t i = 0, count = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t w =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        i += w > 0 ? (size_t)w : 1;
        count++;
    }
    return count;
}

static int cmp_val_ptr(const void *a, const void *b)
{
    return val_compare(*(const val *const *)a, *(const val *const *)b);
}

/* A copy of the array's element pointers, for builders that reorder. */
static const val **elems_copy(arena *a, const val *arr)
{
    const val **e = arena_alloc(a, (arr->len ? arr->len : 1) * sizeof *e);
    if (e && arr->len)
        memcpy(e, arr->u.a, arr->len * sizeof *e);
    return e;
}

static const val *make_array(arena *a, const val *const *e, uint32_t n)
{
    vbuild b;
    vb_init(&b, a);
    for (uint32_t i = 0; i < n; i++)
        vb_push(&b, e[i]);
    return vb_finish_array(&b);
}

/* ======================================================================
 * Numbers
 * ====================================================================== */

/* The number's decimal text as OPA holds it (shortest round-trip for
 * doubles). Returns the length; the text is NUL-terminated in buf when it
 * fits (cap bytes). */
static size_t num_text(const val *x, char *buf, size_t cap)
{
    sbuf b;
    sb_init(&b, buf, cap);
    json_write_number(&b, x);
    if (b.len < cap)
        buf[b.len] = '\0';
    else if (cap)
        buf[cap - 1] = '\0';
    return b.len;
}

/* Exact value of decimal text when it is an integer of at most 38 digits
 * (so it fits i128 with room for one more operation's overflow check). */
static bool dec_to_i128(const char *s, size_t n, i128 *out)
{
    size_t i = 0;
    bool neg = false, in_frac = false, seen = false;
    char dig[40];
    size_t nd = 0;
    long exp10 = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    for (; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            seen = true;
            if (in_frac)
                exp10--;
            if (nd == 0 && c == '0')
                continue;
            if (nd == sizeof dig)
                return false;
            dig[nd++] = c;
        } else if (c == '.' && !in_frac) {
            in_frac = true;
        } else if (c == 'e' || c == 'E') {
            break;
        } else {
            return false;
        }
    }
    if (!seen)
        return false;
    if (i < n) {
        i++;
        bool eneg = false, edig = false;
        long e = 0;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return false;
            edig = true;
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        }
        if (!edig)
            return false;
        exp10 += eneg ? -e : e;
    }
    while (nd > 0 && dig[nd - 1] == '0') {
        nd--;
        exp10++;
    }
    if (nd == 0) {
        *out = 0;
        return true;
    }
    if (exp10 < 0 || (long)nd + exp10 > 38)
        return false;
    i128 v = 0;
    for (size_t k = 0; k < nd; k++)
        v = v * 10 + (dig[k] - '0');
    for (long k = 0; k < exp10; k++)
        v *= 10;
    *out = neg ? -v : v;
    return true;
}

/* Exact integer value of a number, when it is integral and small enough. */
static bool num_i128(const val *x, i128 *out)
{
    if (x->nk == NUM_INT) {
        *out = x->u.i;
        return true;
    }
    if (x->nk == NUM_BIG)
        return dec_to_i128(x->u.s, x->len, out);
    if (!isfinite(x->u.d) || x->u.d != trunc(x->u.d))
        return false;
    char buf[64];
    size_t n = num_text(x, buf, sizeof buf);
    return n < sizeof buf && dec_to_i128(buf, n, out);
}

/* Whether a number is mathematically an integer (any size). */
static bool num_integral(const val *x)
{
    if (x->nk == NUM_INT)
        return true;
    if (x->nk == NUM_FLOAT)
        return isfinite(x->u.d) && x->u.d == trunc(x->u.d);
    for (uint32_t i = 0; i < x->len; i++) {
        char c = x->u.s[i];
        if (c == '.' || c == 'e' || c == 'E') {
            i128 v;
            return dec_to_i128(x->u.s, x->len, &v);
        }
    }
    return true;
}

/* The number at OPA's float precision: parsed from its decimal text, so a
 * double literal such as 1e109 is the 64-bit-mantissa value nearest 10^109
 * and not the (different) double widened. */
static long double num_ld(arena *a, const val *x)
{
    if (x->nk == NUM_INT)
        return (long double)x->u.i;
    long double v;
    if (x->nk == NUM_BIG) {
        if (num_text_to_ldouble(x->u.s, x->len, &v))
            return v;
        char *t = arena_strndup(a, x->u.s, x->len);
        return t ? strtold(t, NULL) : (long double)strtod(x->u.s, NULL);
    }
    /* the double's shortest digits, read at long double precision */
    if (x->u.d == 0 || !isfinite(x->u.d))
        return (long double)x->u.d;
    uint64_t m;
    int e10;
    if ((val_float_hint(x, &m, &e10) || num_double_short_scaled(x->u.d, &m, &e10)) &&
        num_scaled_to_ldouble(m, e10, &v))
        return x->u.d < 0 ? -v : v;
    num_decimal nd;
    num_shortest_double(x->u.d, &nd);
    if (nd.ndigits <= 19 && num_scaled_to_ldouble(nd.mant, nd.point - nd.ndigits, &v))
        return x->u.d < 0 ? -v : v;
    char buf[64];
    size_t n = num_text(x, buf, sizeof buf);
    return n < sizeof buf ? strtold(buf, NULL) : (long double)x->u.d;
}

static const val *num_from_i128(arena *a, i128 v)
{
    if (v >= INT64_MIN && v <= INT64_MAX)
        return v_int(a, (int64_t)v);
    char buf[48];
    size_t n = sizeof buf;
    u128 mag = v < 0 ? (u128)0 - (u128)v : (u128)v;
    do {
        buf[--n] = (char)('0' + (int)(mag % 10));
        mag /= 10;
    } while (mag);
    if (v < 0)
        buf[--n] = '-';
    return v_num_text(a, buf + n, sizeof buf - n);
}

/* A float result from its shortest digits at OPA's precision (see
 * num_from_ld): integers in 'f' form (shortest digits padded with zeros),
 * others in 'g' form, which switches to an exponent below 1e-4 or from
 * 1e6 up. The value layer keeps the text when no double holds it, so the
 * digits must be OPA's. */
static const val *num_from_digits(arena *a, bool neg, bool integral, const num_decimal *sd)
{
    double d;
    /* v_num_text's rule for a fraction of at most DBL_DIG digits in the
     * normal range (a double holds it exactly as written), without writing
     * the text and reading it back */
    if (!integral && sd->ndigits <= DBL_DIG && num_scaled_to_double(sd->mant, sd->point - sd->ndigits, &d) &&
        isfinite(d) && d >= DBL_MIN)
        return v_float_dec(a, neg ? -d : d, sd->mant, sd->point - sd->ndigits);
    long ex = sd->point - 1;
    size_t cap = (size_t)sd->ndigits + (size_t)(ex < 0 ? -ex : ex) + 16;
    char small[64]; /* the text is copied into the value: usually no arena scratch */
    char *buf = cap <= sizeof small ? small : arena_alloc(a, cap);
    if (!buf)
        return NULL;
    sbuf b;
    sb_init(&b, buf, cap);
    if (integral)
        num_write_decimal(&b, sd, neg, INT_MIN, INT_MAX, 2); /* 'f': always plain */
    else
        num_write_decimal(&b, sd, neg, -4, 6, 2);
    if (!sb_ok(&b))
        return NULL;
    /* An integer here is beyond int64, and a fraction of more than
     * DBL_DECIMAL_DIG digits is no double's shortest text: both are what
     * v_num_text keeps as text, without parsing it again. */
    if (integral || sd->ndigits > DBL_DECIMAL_DIG)
        return v_num_big(a, buf, b.len);
    return v_num_text(a, buf, b.len);
}

/* Decimals below it have at most DBL_DIG (15) significant digits, which
 * come back from their nearest double as themselves: num_from_ld's
 * short-fraction rule, div's fast path and sum's digits hint. */
#define SHORT_DECIMAL_LIMIT 1000000000000000ull

/* 10^k for 0 <= k <= POW10_I64_MAX, the powers of ten within int64. */
enum { POW10_I64_MAX = 18 };
static inline int64_t pow10_i64(int k)
{
    return (int64_t)num_pow10_u64[k];
}

/* A sum's long-double result whose shortest digits are
 * D + j·10^-(k+t), D = ±mant·10^-k (num_ldouble_sum_shortest's answer
 * 2): the digits of mant·10^t + j, which are mant's followed by t digits
 * of j, or, when j < 0, mant's less one unit followed by 10^t - |j| (9s
 * less the digits of |j| - 1). In the common shape, more than
 * DBL_DECIMAL_DIG digits in 'g' form's plain range, num_from_digits
 * would write D's integer part, '.', D's k fraction digits and the t
 * digits and keep that as text: it is written here directly, from the
 * right; other shapes go through num_from_digits. */
static const val *num_from_offset(arena *a, bool neg, uint64_t mant, int k, int64_t j, int t)
{
    uint64_t head = j < 0 ? mant - 1 : mant, tail = j < 0 ? (uint64_t)-j - 1 : (uint64_t)j;
    uint64_t ip = head / num_pow10_u64[k], fr = head - ip * num_pow10_u64[k];
    char buf[64]; /* t <= 19, k <= 18 and, when written, an integer part of at most 6 digits */
    char *end = buf + sizeof buf, *p = num_digits_back(end, tail);
    if (j < 0)
        for (char *q = p; q < end; q++)
            *q = (char)('0' + '9' - *q);
    memset(end - t, j < 0 ? '9' : '0', (size_t)(t - (end - p)));
    p = end - t;
    char *frac_end = p;
    p = num_digits_back(p, fr);
    int frac_digits = (int)(frac_end - p), ndigits, point;
    p = frac_end - k;
    memset(p, '0', (size_t)(k - frac_digits));
    *--p = '.';
    if (ip) {
        char *dot = p;
        p = num_digits_back(p, ip);
        point = (int)(dot - p);
        ndigits = point + k + t;
    } else {
        *--p = '0';
        point = frac_digits - k;
        ndigits = frac_digits + t;
    }
    if (head == 0 || ndigits <= DBL_DECIMAL_DIG || point < -3 || point > 6) {
        num_decimal sd;
        if (!num_decimal_from_offset(mant, k, j, t, &sd))
            return NULL;
        return num_from_digits(a, neg, false, &sd);
    }
    if (neg)
        *--p = '-';
    /* The text is D plus j units of its (k+t)th fraction digit. When D has
     * at most 15 digits and every such text rounds to D's double, D's
     * digits are that double's shortest ones (numconv.h): what sprintf's
     * %v prints, now without reading the text. For j < 0 the text does
     * not start with D's digits: no hint. */
    double delta;
    if (j > 0 && mant < SHORT_DECIMAL_LIMIT && num_scaled_to_double((uint64_t)j, -t, &delta) &&
        num_same_double(mant, -k, delta, delta))
        return v_num_big_digits(a, p, (size_t)(end - p), (size_t)(point + k), point);
    return v_num_big(a, p, (size_t)(end - p));
}

/* The same for a fraction whose shortest digits are m·10^e10 (m > 0,
 * trailing zeros allowed): the common case, a short fraction, without
 * producing digits. */
static const val *num_from_short_fraction(arena *a, bool neg, uint64_t m, int e10)
{
    double d;
    num_strip_zeros(&m, &e10);
    if (m < SHORT_DECIMAL_LIMIT && num_scaled_to_double(m, e10, &d) && isfinite(d) && d >= DBL_MIN)
        return v_float_dec(a, neg ? -d : d, m, e10);
    num_decimal sd;
    num_decimal_from_scaled(m, e10, &sd);
    return num_from_digits(a, neg, false, &sd);
}

/* A float result as OPA's FloatToNumber prints it: big.Float.Text with
 * shortest precision, see num_from_digits. */
static const val *num_from_ld(arena *a, long double x)
{
    bool fits;
    int64_t iv;
    bool integral = num_ldouble_integral(x, &fits, &iv);
    if (integral && fits)
        return v_int(a, iv);
    bool neg = x < 0;
    uint64_t m;
    int e10;
    num_decimal sd;
    if (num_shortest_ldouble_scaled(x, &m, &e10, &sd)) {
        if (!integral)
            return num_from_short_fraction(a, neg, m, e10);
        num_decimal_from_scaled(m, e10, &sd);
    }
    return num_from_digits(a, neg, integral, &sd);
}

static bi_status ret_ld(bi_ctx *ctx, const char *name, const val **out, long double x)
{
    if (!isfinite(x))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: result out of range", name);
    return ret_val(ctx, out, num_from_ld(ctx->arena, x));
}

/* OPA's IntOperand: an int64, or the "integer number" errors. */
static bi_status int_operand(bi_ctx *ctx, const char *name, int n, const val *x, int64_t *out)
{
    if (x->type != V_NUM)
        return bi_type_fail(ctx, name, n, "number", x);
    if (!val_is_int(x, out))
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "%s: operand %d must be integer number but got floating-point number", name, n);
    return BI_OK;
}

/* OPA's BigIntOperand, limited to what fits 128 bits. */
static bi_status bigint_operand(bi_ctx *ctx, const char *name, int n, const val *x, i128 *out)
{
    if (x->type != V_NUM)
        return bi_type_fail(ctx, name, n, "integer", x);
    if (!num_integral(x))
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "%s: operand %d must be integer number but got floating-point number", name, n);
    if (!num_i128(x, out))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: operand %d is too large", name, n);
    return BI_OK;
}

/* ======================================================================
 * Arithmetic operators
 * ====================================================================== */

typedef enum arith_op { OP_ADD, OP_SUB, OP_MUL } arith_op;

static bi_status arith(bi_ctx *ctx, const char *name, arith_op op, const val *x, const val *y,
                       const val **out)
{
    if (x->type != V_NUM)
        return bi_type_fail(ctx, name, 1, "number", x);
    if (y->type != V_NUM)
        return bi_type_fail(ctx, name, 2, "number", y);
    if (x->nk == NUM_INT && y->nk == NUM_INT) {
        int64_t r;
        bool ovf = op == OP_ADD   ? __builtin_add_overflow(x->u.i, y->u.i, &r)
                   : op == OP_SUB ? __builtin_sub_overflow(x->u.i, y->u.i, &r)
                                  : __builtin_mul_overflow(x->u.i, y->u.i, &r);
        if (!ovf)
            return ret_val(ctx, out, v_int(ctx->arena, r));
    }
    i128 a, b, r;
    if (num_i128(x, &a) && num_i128(y, &b)) {
        bool ovf = op == OP_ADD   ? __builtin_add_overflow(a, b, &r)
                   : op == OP_SUB ? __builtin_sub_overflow(a, b, &r)
                                  : __builtin_mul_overflow(a, b, &r);
        if (!ovf)
            return ret_val(ctx, out, num_from_i128(ctx->arena, r));
    }
    long double p = num_ld(ctx->arena, x), q = num_ld(ctx->arena, y);
    return ret_ld(ctx, name, out, op == OP_ADD ? p + q : op == OP_SUB ? p - q : p * q);
}

/* The int pair whose result fits (counts, offsets, nanoseconds), in the
 * builtin itself: arith's wider paths, inlined, would have every call save
 * their registers. False leaves the call to arith. */
static inline bool arith_int(bi_ctx *ctx, arith_op op, const val *x, const val *y, const val **out)
{
    int64_t r;
    if (x->type != V_NUM || y->type != V_NUM || x->nk != NUM_INT || y->nk != NUM_INT)
        return false;
    bool ovf = op == OP_ADD   ? __builtin_add_overflow(x->u.i, y->u.i, &r)
               : op == OP_SUB ? __builtin_sub_overflow(x->u.i, y->u.i, &r)
                              : __builtin_mul_overflow(x->u.i, y->u.i, &r);
    const val *v = ovf ? NULL : v_int(ctx->arena, r);
    if (!v)
        return false; /* arith reports a full arena */
    *out = v;
    return true;
}

static __attribute__((noinline)) bi_status arith_call(bi_ctx *ctx, const char *name, arith_op op,
                                                      const val *x, const val *y, const val **out)
{
    return arith(ctx, name, op, x, y, out);
}

bi_status bi_plus(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (arith_int(ctx, OP_ADD, args[0], args[1], out))
        return BI_OK;
    return arith_call(ctx, "plus", OP_ADD, args[0], args[1], out);
}

bi_status bi_mul(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (arith_int(ctx, OP_MUL, args[0], args[1], out))
        return BI_OK;
    return arith_call(ctx, "mul", OP_MUL, args[0], args[1], out);
}

/* Set algebra on the sorted element arrays: keep elements of x that are
 * (want_in) or are not (!want_in) in y. */
static const val *set_filter(arena *a, const val *x, const val *y, bool want_in)
{
    vbuild b;
    vb_init(&b, a);
    uint32_t j = 0;
    for (uint32_t i = 0; i < x->len; i++) {
        while (j < y->len && val_compare(y->u.a[j], x->u.a[i]) < 0)
            j++;
        bool in = j < y->len && val_compare(y->u.a[j], x->u.a[i]) == 0;
        if (in == want_in)
            vb_push(&b, x->u.a[i]);
    }
    return vb_finish_set(&b);
}

static const val *set_union2(arena *a, const val *x, const val *y)
{
    if (x->len == 0)
        return y;
    if (y->len == 0)
        return x;
    vbuild b;
    vb_init(&b, a);
    for (uint32_t i = 0; i < x->len; i++)
        vb_push(&b, x->u.a[i]);
    for (uint32_t i = 0; i < y->len; i++)
        vb_push(&b, y->u.a[i]);
    return vb_finish_set(&b);
}

static __attribute__((noinline)) bi_status minus_general(bi_ctx *ctx, const val *x, const val *y,
                                                         const val **out)
{
    if (x->type == V_NUM && y->type == V_NUM)
        return arith(ctx, "minus", OP_SUB, x, y, out);
    if (x->type == V_SET && y->type == V_SET)
        return ret_val(ctx, out, set_filter(ctx->arena, x, y, false));
    if (x->type != V_NUM && x->type != V_SET)
        return bi_type_fail(ctx, "minus", 1, "one of {number, set}", x);
    return bi_type_fail(ctx, "minus", 2, x->type == V_SET ? "set" : "number", y);
}

bi_status bi_minus(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (arith_int(ctx, OP_SUB, args[0], args[1], out))
        return BI_OK;
    return minus_general(ctx, args[0], args[1], out);
}

static bool num_is_zero(arena *a, const val *x)
{
    if (x->nk == NUM_INT)
        return x->u.i == 0;
    return num_ld(a, x) == 0;
}

/* x / y for int64 operands whose quotient is an int64, or a decimal of at
 * most DBL_DIG significant digits read off by long division in integers.
 * False leaves the quotient to the general path.
 *
 * Why it is that path's answer: OPA (and div_general) round the exact
 * quotient q = m·10^-k to a 64-bit mantissa and print its shortest
 * digits. Any other decimal of at most as many digits as m is at least
 * 10^-k from q, 1/m > 10^-15 of q, while the rounding interval is 2^-63
 * of q wide: so m·10^-k is the only candidate that short, and it reads
 * back. The float path then holds it as the double nearest m·10^-k with
 * m as the decimal hint; so does this one. Long doubles narrower than 64
 * bits round differently: the float path alone speaks for them. */
static bool div_int_exact(arena *a, int64_t x, int64_t y, const val **res)
{
    uint64_t ux = x < 0 ? 0 - (uint64_t)x : (uint64_t)x, uy = y < 0 ? 0 - (uint64_t)y : (uint64_t)y;
    if (uy == 0 || uy > UINT64_MAX / 10) /* rem * 10 below must not wrap */
        return false;
    /* one division for both (each costs tens of cycles) */
    uint64_t m = ux / uy, rem = ux - m * uy;
    bool neg = (x < 0) != (y < 0);
    if (rem == 0) {
        /* an integer quotient; INT64_MIN / -1 (2^63) is the general path's */
        if (m > (uint64_t)INT64_MAX)
            return false;
        *res = v_int(a, neg ? -(int64_t)m : (int64_t)m);
        return true;
    }
#if LDBL_MANT_DIG >= 64
    int k = 0;
    /* Each step appends one digit; a digit string that reaches 15 digits
     * (or a quotient that never ends) stops it. Leading zeros of a
     * quotient below 1 take at most 19 steps, so k stays below 35. */
    while (rem != 0) {
        if (m >= SHORT_DECIMAL_LIMIT / 10)
            return false;
        rem *= 10;
        m = m * 10 + rem / uy;
        rem %= uy;
        k++;
    }
    double d;
    if (!num_scaled_to_double(m, -k, &d))
        return false;
    *res = v_float_dec(a, neg ? -d : d, m, -k);
    return true;
#else
    return false;
#endif
}

bi_status bi_div_general(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0], *y = args[1];
    if (x->type != V_NUM)
        return bi_type_fail(ctx, "div", 1, "number", x);
    if (y->type != V_NUM)
        return bi_type_fail(ctx, "div", 2, "number", y);
    if (num_is_zero(ctx->arena, y))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "div: divide by zero");
    if (x->nk == NUM_INT && y->nk == NUM_INT && x->u.i != 0 && !(x->u.i == INT64_MIN && y->u.i == -1) &&
        x->u.i % y->u.i == 0)
        return ret_val(ctx, out, v_int(ctx->arena, x->u.i / y->u.i));
    return ret_ld(ctx, "div", out, num_ld(ctx->arena, x) / num_ld(ctx->arena, y));
}

bi_status bi_div(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0], *y = args[1];
    if (x->type == V_NUM && y->type == V_NUM && x->nk == NUM_INT && y->nk == NUM_INT && y->u.i != 0) {
        const val *q;
        if (div_int_exact(ctx->arena, x->u.i, y->u.i, &q))
            return ret_val(ctx, out, q);
    }
    return bi_div_general(ctx, args, out);
}

bi_status bi_rem(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0], *y = args[1];
    if (x->type != V_NUM)
        return bi_type_fail(ctx, "rem", 1, "number", x);
    if (y->type != V_NUM)
        return bi_type_fail(ctx, "rem", 2, "number", y);
    i128 a, b;
    if (num_i128(x, &a) && num_i128(y, &b)) {
        if (b == 0)
            return bi_fail(ctx, POL_EVAL_BUILTIN, "rem: modulo by zero");
        return ret_val(ctx, out, num_from_i128(ctx->arena, a % b));
    }
    if (!num_integral(x) || !num_integral(y))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "rem: modulo on floating-point number");
    /* Integers beyond 38 digits: the float remainder is the best we hold. */
    long double q = num_ld(ctx->arena, y);
    if (q == 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "rem: modulo by zero");
    return ret_ld(ctx, "rem", out, fmodl(num_ld(ctx->arena, x), q));
}

bi_status bi_and(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_SET)
        return bi_type_fail(ctx, "and", 1, "set", args[0]);
    if (args[1]->type != V_SET)
        return bi_type_fail(ctx, "and", 2, "set", args[1]);
    return ret_val(ctx, out, set_filter(ctx->arena, args[0], args[1], true));
}

bi_status bi_or(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_SET)
        return bi_type_fail(ctx, "or", 1, "set", args[0]);
    if (args[1]->type != V_SET)
        return bi_type_fail(ctx, "or", 2, "set", args[1]);
    return ret_val(ctx, out, set_union2(ctx->arena, args[0], args[1]));
}

/* ======================================================================
 * Comparison and membership
 * ====================================================================== */

bi_status bi_equal(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    return ret_bool(out, val_equal(args[0], args[1]));
}

bi_status bi_neq(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    return ret_bool(out, !val_equal(args[0], args[1]));
}

bi_status bi_lt(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    return ret_bool(out, val_compare(args[0], args[1]) < 0);
}

bi_status bi_lte(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    return ret_bool(out, val_compare(args[0], args[1]) <= 0);
}

bi_status bi_gt(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    return ret_bool(out, val_compare(args[0], args[1]) > 0);
}

bi_status bi_gte(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    return ret_bool(out, val_compare(args[0], args[1]) >= 0);
}

/* Whether string x is among elems[0..n): val_equal of a string, inline
 * (a string equals only a string of the same bytes), so a list of group
 * names is scanned by length first with no call per element. */
static inline bool member_str(const val *const *elems, uint32_t n, const val *x)
{
    for (uint32_t i = 0; i < n; i++) {
        const val *e = elems[i];
        if (e->len == x->len && e->type == V_STR && val_same_bytes(e->u.s, x->u.s, x->len))
            return true;
    }
    return false;
}

/* x in coll: array elements, set members, object values; false for
 * anything that is not a collection. */
bi_status bi_member_2(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    const val *x = args[0], *c = args[1];
    switch ((vtype)c->type) {
    case V_SET: return ret_bool(out, val_set_has(c, x));
    case V_ARR:
        if (x->type == V_STR)
            return ret_bool(out, member_str(c->u.a, c->len, x));
        for (uint32_t i = 0; i < c->len; i++)
            if (val_equal(c->u.a[i], x))
                return ret_bool(out, true);
        return ret_bool(out, false);
    case V_OBJ:
        if (x->type == V_STR)
            return ret_bool(out, member_str(c->u.o.v, c->len, x));
        for (uint32_t i = 0; i < c->len; i++)
            if (val_equal(c->u.o.v[i], x))
                return ret_bool(out, true);
        return ret_bool(out, false);
    default: return ret_bool(out, false);
    }
}

/* k, v in coll: coll[k] == v for arrays and objects; for sets the key is
 * the member, so k == v and k in coll. */
bi_status bi_member_3(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    const val *k = args[0], *v = args[1], *c = args[2];
    switch ((vtype)c->type) {
    case V_SET: return ret_bool(out, val_set_has(c, k) && val_equal(k, v));
    case V_ARR:
    case V_OBJ: {
        const val *got = val_index(c, k);
        return ret_bool(out, got && val_equal(got, v));
    }
    default: return ret_bool(out, false);
    }
}

/* ======================================================================
 * Aggregates
 * ====================================================================== */

/* count of a string, or of a value count does not take. */
static __attribute__((noinline)) bi_status count_other(bi_ctx *ctx, const val *x, const val **out)
{
    if (x->type == V_ARR || x->type == V_OBJ || x->type == V_SET)
        return ret_val(ctx, out, v_int(ctx->arena, x->len));
    if (x->type == V_STR)
        return ret_val(ctx, out, v_int(ctx->arena, (int64_t)utf8_count(x->u.s, x->len)));
    return bi_type_fail(ctx, "count", 1, "one of {array, object, set, string}", x);
}

/* A collection's count in the builtin itself (v_int answers the small
 * ones, nearly every count a policy tests, with a shared constant);
 * strings and type errors in count_other. */
bi_status bi_count(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0];
    /* v_int's shared small ints, with no register saves for its arena path */
    if ((x->type == V_ARR || x->type == V_OBJ || x->type == V_SET) && x->len < VAL_SMALL_INT_LIMIT) {
        *out = &val_small_ints[x->len];
        return BI_OK;
    }
    return count_other(ctx, x, out);
}

/* 10^18: mantissas below it have at most 18 digits, the most that are
 * unique in a 64-bit mantissa's rounding interval (numconv.h). */
#define SUM_SHORT_LIMIT 1000000000000000000ull

/* sum over ints and floats with a decimal hint, the common case (amounts,
 * scores), without the general path's per-element conversions and its
 * one-probe search. Computes the same long double x as the general path
 * (each element as num_ld reads it, added in the same order) and beside
 * it the exact decimal sum D = Σ ±m_i·10^e_i in int64 at the finest scale
 * seen. When D has at most 18 digits and reads back as x, D is x's
 * shortest decimal (num_ldouble_reads_as): the result is built from it
 * as num_from_ld builds one from the digits it finds. When D does not
 * read back as x (the additions rounded: 0.1 + 0.2 at 64 bits is not
 * 0.3's nearest), x's digits are almost always D's followed by a short
 * offset (num_ldouble_sum_shortest), else they are searched for.
 * Anything else (an overflow of D, D integral or 19 digits long) goes to
 * num_from_ld. False (nothing written, no arena use) when an element is
 * not a number (accumulate then reports it), or neither an int nor a
 * float hinted at a scale num_ld reads it with one division: the
 * collection is then the general path's. */
static bool sum_fast(bi_ctx *ctx, const val *coll, bi_status *st, const val **out)
{
    long double x = 0;
    int64_t dsum = 0;
    int scale = 0; /* D = dsum·10^-scale, 0 <= scale <= POW10_I64_MAX */
    bool d_exact = true, any_float = false;
    for (uint32_t i = 0; i < coll->len; i++) {
        const val *e = coll->u.a[i];
        uint64_t m;
        int e10;
        if (e->type != V_NUM)
            return false;
        if (e->nk == NUM_INT) {
            int64_t term;
            x += (long double)e->u.i;
            d_exact = d_exact && !__builtin_mul_overflow(e->u.i, pow10_i64(scale), &term) &&
                      !__builtin_add_overflow(dsum, term, &dsum);
            continue;
        }
        /* num_ld reads a hinted fraction with one division by 10^1..10^27,
         * which num_fraction_to_ldouble repeats; it declines other scales:
         * finer ones, and a non-negative exponent (an integer beyond int64,
         * which the general path sums exactly: a fraction's hint has no
         * trailing zero, so its exponent is negative) */
        long double v;
        if (!val_float_hint(e, &m, &e10) || !num_fraction_to_ldouble(m, e10, &v))
            return false;
        bool neg = e->u.d < 0;
        x += neg ? -v : v;
        any_float = true;
        if (!d_exact || -e10 > POW10_I64_MAX) {
            d_exact = false;
            continue;
        }
        if (-e10 > scale) {
            d_exact = !__builtin_mul_overflow(dsum, pow10_i64(-e10 - scale), &dsum);
            scale = -e10;
        }
        int64_t term; /* m <= VAL_HINT_MANT_MAX */
        d_exact = d_exact && !__builtin_mul_overflow((int64_t)m, pow10_i64(scale + e10), &term) &&
                  !__builtin_add_overflow(dsum, neg ? -term : term, &dsum);
    }
    if (!any_float) /* ints only, the scale 0: exact while int64 holds the sum */
        return d_exact ? (*st = ret_val(ctx, out, v_int(ctx->arena, dsum)), true) : false;
    if (!isfinite(x)) {
        *st = ret_ld(ctx, "sum", out, x);
        return true;
    }
    bool neg = dsum < 0;
    uint64_t m = neg ? 0 - (uint64_t)dsum : (uint64_t)dsum;
    int e10 = -scale;
    if (d_exact && m != 0) {
        num_strip_zeros(&m, &e10);
        num_decimal sd;
        int64_t j;
        int t;
        int near =
            e10 < 0 && m < SUM_SHORT_LIMIT ? num_ldouble_sum_shortest(x, neg, m, e10, &j, &t, &sd) : -1;
        if (near == 2) {
            *st = ret_val(ctx, out, num_from_offset(ctx->arena, neg, m, -e10, j, t));
            return true;
        }
        if (near == 1) {
            *st = ret_val(ctx, out, num_from_short_fraction(ctx->arena, neg, m, e10));
            return true;
        }
        if (near == 0) {
            *st = ret_val(ctx, out, num_from_digits(ctx->arena, x < 0, false, &sd));
            return true;
        }
    }
    *st = ret_ld(ctx, "sum", out, x);
    return true;
}

/* sum and product: exact while every element is an integer that fits,
 * then OPA's float accumulation. fast: sum may take sum_fast. */
static bi_status accumulate(bi_ctx *ctx, const char *name, bool mul, bool fast, const val *coll,
                            const val **out)
{
    if (coll->type != V_ARR && coll->type != V_SET)
        return bi_type_fail(ctx, name, 1, "one of {set, array}", coll);
    bi_status st;
    if (fast && !mul && sum_fast(ctx, coll, &st, out)) /* which checks the element types itself */
        return st;
    const char *tname = coll->type == V_ARR ? "array" : "set";
    for (uint32_t i = 0; i < coll->len; i++) {
        if (coll->u.a[i]->type != V_NUM)
            return bi_fail(ctx, POL_EVAL_TYPE, "%s: operand 1 must be %s of numbers but got %s containing %s",
                           name, tname, tname, vtype_name((vtype)coll->u.a[i]->type));
    }
    i128 acc = mul ? 1 : 0;
    bool exact = true;
    for (uint32_t i = 0; i < coll->len && exact; i++) {
        i128 v;
        if (!num_i128(coll->u.a[i], &v))
            exact = false;
        else if (mul ? __builtin_mul_overflow(acc, v, &acc) : __builtin_add_overflow(acc, v, &acc))
            exact = false;
    }
    if (exact)
        return ret_val(ctx, out, num_from_i128(ctx->arena, acc));
    long double f = mul ? 1 : 0;
    for (uint32_t i = 0; i < coll->len; i++) {
        long double v = num_ld(ctx->arena, coll->u.a[i]);
        f = mul ? f * v : f + v;
    }
    return ret_ld(ctx, name, out, f);
}

bi_status bi_sum(bi_ctx *ctx, const val *const *args, const val **out)
{
    return accumulate(ctx, "sum", false, true, args[0], out);
}

bi_status bi_sum_general(bi_ctx *ctx, const val *coll, const val **out)
{
    return accumulate(ctx, "sum", false, false, coll, out);
}

bi_status bi_product(bi_ctx *ctx, const val *const *args, const val **out)
{
    return accumulate(ctx, "product", true, false, args[0], out);
}

/* max/min of an empty collection are undefined. For arrays OPA keeps the
 * last of equal extremes (1 and 1.0 compare equal but print differently). */
static bi_status extreme(bi_ctx *ctx, const char *name, bool want_max, const val *coll, const val **out)
{
    if (coll->type != V_ARR && coll->type != V_SET)
        return bi_type_fail(ctx, name, 1, "one of {set, array}", coll);
    if (coll->len == 0)
        return BI_UNDEF;
    if (coll->type == V_SET) {
        *out = want_max ? coll->u.a[coll->len - 1] : coll->u.a[0];
        return BI_OK;
    }
    const val *best = coll->u.a[0];
    for (uint32_t i = 1; i < coll->len; i++) {
        int c = val_compare(best, coll->u.a[i]);
        if (want_max ? c <= 0 : c >= 0)
            best = coll->u.a[i];
    }
    *out = best;
    return BI_OK;
}

bi_status bi_max(bi_ctx *ctx, const val *const *args, const val **out)
{
    return extreme(ctx, "max", true, args[0], out);
}

bi_status bi_min(bi_ctx *ctx, const val *const *args, const val **out)
{
    return extreme(ctx, "min", false, args[0], out);
}

bi_status bi_sort(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0];
    if (x->type != V_ARR && x->type != V_SET)
        return bi_type_fail(ctx, "sort", 1, "one of {set, array}", x);
    const val **e = elems_copy(ctx->arena, x);
    if (!e)
        return bi_oom(ctx);
    if (x->type == V_ARR && x->len > 1)
        pol_sort(e, x->len, sizeof *e, cmp_val_ptr);
    return ret_val(ctx, out, make_array(ctx->arena, e, x->len));
}

/* ======================================================================
 * Number functions
 * ====================================================================== */

typedef enum round_mode { RM_ABS, RM_ROUND, RM_CEIL, RM_FLOOR } round_mode;

/* 10^k for the fraction digits of a decimal hint (at most 9 of them). */
static const uint32_t hint_pow10[10] = {1,      10,      100,      1000,      10000,
                                        100000, 1000000, 10000000, 100000000, 1000000000};

/* floor, ceil and round of a float with a fraction in its decimal hint
 * (value = ±mant·10^e, e < 0), in integers. False leaves it to the float
 * path (no hint, no fraction, or abs).
 *
 * Why it is that path's answer: the float path rounds the long double
 * nearest mant·10^e. That value is no integer and no half-integer, and
 * is at least 10^e/2 from every one, which is 1/(2·mant) > 10^-9.3 of it
 * relative; the long double is within 2^-64 of it relative. So it lies
 * strictly between the same integers and on the same side of the half
 * as the exact decimal, which is what is rounded here. */
static bool round_hinted(const val *x, round_mode m, int64_t *res)
{
    uint64_t mant;
    int e;
    if (m == RM_ABS || !val_float_hint(x, &mant, &e) || e >= 0)
        return false;
    /* mant < 10^9: with ten or more fraction digits |x| < 0.1 */
    uint64_t unit = e >= -9 ? hint_pow10[-e] : 0;
    uint64_t whole = unit ? mant / unit : 0, frac = unit ? mant % unit : mant;
    bool neg = x->u.d < 0, away;
    switch (m) {
    case RM_FLOOR: away = neg && frac != 0; break;
    case RM_CEIL: away = !neg && frac != 0; break;
    default: away = unit && frac >= unit - frac; break; /* halves away from zero */
    }
    whole += away;
    *res = neg ? -(int64_t)whole : (int64_t)whole;
    return true;
}

static bi_status unary_num_general(bi_ctx *ctx, const char *name, round_mode m, const val *x, const val **out)
{
    if (x->type != V_NUM)
        return bi_type_fail(ctx, name, 1, "number", x);
    if (x->nk == NUM_INT) {
        if (m != RM_ABS || x->u.i >= 0) {
            *out = x;
            return BI_OK;
        }
        return ret_val(ctx, out, num_from_i128(ctx->arena, -(i128)x->u.i));
    }
    if (x->nk == NUM_BIG && num_integral(x)) {
        if (m != RM_ABS || x->len == 0 || x->u.s[0] != '-') {
            *out = x;
            return BI_OK;
        }
        return ret_val(ctx, out, v_num_text(ctx->arena, x->u.s + 1, x->len - 1));
    }
    long double v = num_ld(ctx->arena, x);
    switch (m) {
    case RM_ABS: v = fabsl(v); break;
    case RM_ROUND:
        v = roundl(v); /* halves away from zero, as OPA */
        break;
    case RM_CEIL: v = ceill(v); break;
    case RM_FLOOR: v = floorl(v); break;
    }
    return ret_ld(ctx, name, out, v);
}

static bi_status unary_num(bi_ctx *ctx, const char *name, round_mode m, const val *x, const val **out)
{
    int64_t r;
    if (x->type == V_NUM && round_hinted(x, m, &r))
        return ret_val(ctx, out, v_int(ctx->arena, r));
    return unary_num_general(ctx, name, m, x, out);
}

bi_status bi_rounding_general(bi_ctx *ctx, const char *name, const val *x, const val **out)
{
    round_mode m = strcmp(name, "floor") == 0 ? RM_FLOOR : strcmp(name, "ceil") == 0 ? RM_CEIL : RM_ROUND;
    return unary_num_general(ctx, name, m, x, out);
}

bi_status bi_abs(bi_ctx *ctx, const val *const *args, const val **out)
{
    return unary_num(ctx, "abs", RM_ABS, args[0], out);
}

bi_status bi_round(bi_ctx *ctx, const val *const *args, const val **out)
{
    return unary_num(ctx, "round", RM_ROUND, args[0], out);
}

bi_status bi_ceil(bi_ctx *ctx, const val *const *args, const val **out)
{
    return unary_num(ctx, "ceil", RM_CEIL, args[0], out);
}

bi_status bi_floor(bi_ctx *ctx, const val *const *args, const val **out)
{
    return unary_num(ctx, "floor", RM_FLOOR, args[0], out);
}

/* Arrays are indexed by uint32_t, so no range can be longer; the arena
 * normally runs out long before. */
#define RANGE_MAX_ELEMS ((i128)UINT32_MAX - 1)

static bi_status gen_range(bi_ctx *ctx, i128 from, i128 to, i128 step, const val **out)
{
    /* Unsigned differences: operands are below 10^38 in magnitude, so the
     * span and every partial k*step fit 128 bits exactly. */
    bool up = from <= to;
    u128 span = up ? (u128)to - (u128)from : (u128)from - (u128)to;
    u128 count = span / (u128)step + 1;
    if (count > (u128)RANGE_MAX_ELEMS)
        return bi_oom(ctx);
    vbuild b;
    vb_init(&b, ctx->arena);
    for (u128 k = 0; k < count; k++) {
        u128 off = k * (u128)step;
        i128 v = (i128)(up ? (u128)from + off : (u128)from - off);
        const val *e = num_from_i128(ctx->arena, v);
        if (!e || !vb_push(&b, e))
            return bi_oom(ctx);
    }
    return ret_val(ctx, out, vb_finish_array(&b));
}

bi_status bi_numbers_range(bi_ctx *ctx, const val *const *args, const val **out)
{
    i128 a, b;
    bi_status st;
    if ((st = bigint_operand(ctx, "numbers.range", 1, args[0], &a)) != BI_OK)
        return st;
    if ((st = bigint_operand(ctx, "numbers.range", 2, args[1], &b)) != BI_OK)
        return st;
    return gen_range(ctx, a, b, 1, out);
}

bi_status bi_numbers_range_step(bi_ctx *ctx, const val *const *args, const val **out)
{
    i128 a, b, step;
    bi_status st;
    if ((st = bigint_operand(ctx, "numbers.range_step", 1, args[0], &a)) != BI_OK)
        return st;
    if ((st = bigint_operand(ctx, "numbers.range_step", 2, args[1], &b)) != BI_OK)
        return st;
    if (args[2]->type != V_NUM)
        return bi_type_fail(ctx, "numbers.range_step", 3, "integer", args[2]);
    if (!num_integral(args[2]))
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "numbers.range_step: operand 3 must be integer number but got floating-point number");
    if (!num_i128(args[2], &step)) {
        /* A step beyond 38 digits: positive ones only ever yield the start. */
        if (args[2]->nk == NUM_BIG && args[2]->len && args[2]->u.s[0] == '-')
            return bi_fail(ctx, POL_EVAL_BUILTIN, "numbers.range_step: step must be a positive integer");
        step = (i128)1 << 126;
    }
    if (step <= 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "numbers.range_step: step must be a positive integer");
    return gen_range(ctx, a, b, step, out);
}

/* Go's strconv.ParseFloat syntax (decimal or hex float; no spaces, no
 * underscores without a base prefix). inf/nan are rejected by the caller
 * before this is asked. */
static bool go_float_syntax(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    bool hex = i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
    if (hex)
        i += 2;
    size_t digits = 0;
    bool dot = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !dot)
            dot = true;
        else if ((c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))))
            digits++;
        else if (hex && c == '_')
            continue;
        else
            break;
    }
    if (digits == 0)
        return false;
    if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t ed = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            ed++;
        }
        if (ed == 0)
            return false;
    } else if (hex) {
        return false; /* Go: a hex mantissa needs a 'p' exponent */
    }
    return i == n;
}

/* Whether text is a JSON number (so the value layer can take it verbatim). */
static bool json_number_syntax(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        i++;
        size_t d = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            d++;
        }
        if (!d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            d++;
        }
        if (!d)
            return false;
    }
    return i == n;
}

static bool ascii_ieq(const char *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

bi_status bi_to_number(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0];
    switch ((vtype)x->type) {
    case V_NULL: return ret_val(ctx, out, v_int(ctx->arena, 0));
    case V_BOOL: return ret_val(ctx, out, v_int(ctx->arena, x->u.b ? 1 : 0));
    case V_NUM: *out = x; return BI_OK;
    case V_STR: {
        const char *s = x->u.s;
        size_t n = x->len, t = 0;
        while (t < n && (s[t] == '+' || s[t] == '-'))
            t++;
        if (ascii_ieq(s + t, n - t, "inf") || ascii_ieq(s + t, n - t, "infinity") ||
            ascii_ieq(s + t, n - t, "nan"))
            return bi_type_fail(ctx, "to_number", 1, "valid number string", x);
        if (!go_float_syntax(s, n))
            return bi_fail(ctx, POL_EVAL_BUILTIN,
                           "to_number: strconv.ParseFloat: parsing \"%.*s\": invalid syntax",
                           (int)(n > 200 ? 200 : n), s);
        char *z = arena_strndup(ctx->arena, s, n);
        if (!z)
            return bi_oom(ctx);
        for (size_t i = 0, j = 0; i <= n; i++) /* hex floats may carry '_' */
            if (z[i] != '_')
                z[j++] = z[i];
        double d = strtod(z, NULL);
        if (!isfinite(d))
            return bi_fail(ctx, POL_EVAL_BUILTIN,
                           "to_number: strconv.ParseFloat: parsing \"%.*s\": value out of range",
                           (int)(n > 200 ? 200 : n), s);
        if (json_number_syntax(s, n))
            return ret_val(ctx, out, v_num_text(ctx->arena, s, n));
        if (s[0] == '+' && json_number_syntax(s + 1, n - 1))
            return ret_val(ctx, out, v_num_text(ctx->arena, s + 1, n - 1));
        return ret_val(ctx, out, v_float(ctx->arena, d));
    }
    default: return bi_type_fail(ctx, "to_number", 1, "one of {null, boolean, number, string}", x);
    }
}

bi_status bi_format_int(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0], *base = args[1];
    if (x->type != V_NUM)
        return bi_type_fail(ctx, "format_int", 1, "number", x);
    if (base->type != V_NUM)
        return bi_type_fail(ctx, "format_int", 2, "number", base);
    int64_t b;
    if (!val_is_int(base, &b) || (b != 2 && b != 8 && b != 10 && b != 16))
        return bi_fail(ctx, POL_EVAL_TYPE, "format_int: operand 2 must be one of {2, 8, 10, 16}");
    i128 v;
    if (!num_i128(x, &v)) {
        long double t = truncl(num_ld(ctx->arena, x)); /* OPA truncates toward zero */
        if (!(fabsl(t) < 1e38L))
            return bi_fail(ctx, POL_EVAL_BUILTIN, "format_int: operand 1 is too large");
        v = (i128)t;
    }
    char buf[140];
    size_t n = sizeof buf;
    u128 mag = v < 0 ? (u128)0 - (u128)v : (u128)v;
    do {
        buf[--n] = "0123456789abcdef"[(int)(mag % (u128)b)];
        mag /= (u128)b;
    } while (mag);
    if (v < 0)
        buf[--n] = '-';
    return ret_val(ctx, out, v_str(ctx->arena, buf + n, sizeof buf - n));
}

typedef enum bits_op { BO_AND, BO_OR, BO_XOR } bits_op;

static bi_status bits2(bi_ctx *ctx, const char *name, bits_op op, const val *const *args, const val **out)
{
    i128 a, b;
    bi_status st;
    if ((st = bigint_operand(ctx, name, 1, args[0], &a)) != BI_OK)
        return st;
    if ((st = bigint_operand(ctx, name, 2, args[1], &b)) != BI_OK)
        return st;
    i128 r = op == BO_AND ? (a & b) : op == BO_OR ? (a | b) : (a ^ b);
    return ret_val(ctx, out, num_from_i128(ctx->arena, r));
}

bi_status bi_bits_and(bi_ctx *ctx, const val *const *args, const val **out)
{
    return bits2(ctx, "bits.and", BO_AND, args, out);
}

bi_status bi_bits_or(bi_ctx *ctx, const val *const *args, const val **out)
{
    return bits2(ctx, "bits.or", BO_OR, args, out);
}

bi_status bi_bits_xor(bi_ctx *ctx, const val *const *args, const val **out)
{
    return bits2(ctx, "bits.xor", BO_XOR, args, out);
}

bi_status bi_bits_negate(bi_ctx *ctx, const val *const *args, const val **out)
{
    i128 a;
    bi_status st = bigint_operand(ctx, "bits.negate", 1, args[0], &a);
    if (st != BI_OK)
        return st;
    return ret_val(ctx, out, num_from_i128(ctx->arena, ~a));
}

static bi_status shift_operands(bi_ctx *ctx, const char *name, const val *const *args, i128 *a, int64_t *n)
{
    bi_status st = bigint_operand(ctx, name, 1, args[0], a);
    if (st != BI_OK)
        return st;
    if ((st = int_operand(ctx, name, 2, args[1], n)) != BI_OK)
        return st;
    if (*n < 0)
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "%s: operand 2 must be an unsigned integer number but got a negative integer", name);
    return BI_OK;
}

bi_status bi_bits_lsh(bi_ctx *ctx, const val *const *args, const val **out)
{
    i128 a;
    int64_t n;
    bi_status st = shift_operands(ctx, "bits.lsh", args, &a, &n);
    if (st != BI_OK)
        return st;
    if (a == 0)
        return ret_val(ctx, out, v_int(ctx->arena, 0));
    /* Exact while the result stays within 126 bits of magnitude. */
    u128 mag = a < 0 ? (u128)0 - (u128)a : (u128)a;
    int bits = 0;
    while (mag >> bits)
        bits++;
    if (n > 126 - bits)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "bits.lsh: result too large");
    return ret_val(ctx, out, num_from_i128(ctx->arena, (i128)((u128)a << n)));
}

bi_status bi_bits_rsh(bi_ctx *ctx, const val *const *args, const val **out)
{
    i128 a;
    int64_t n;
    bi_status st = shift_operands(ctx, "bits.rsh", args, &a, &n);
    if (st != BI_OK)
        return st;
    /* Arithmetic shift (floor), as big.Int.Rsh on negatives. */
    i128 r = n >= 127 ? (a < 0 ? -1 : 0) : a >> n;
    return ret_val(ctx, out, num_from_i128(ctx->arena, r));
}

/* ======================================================================
 * Types
 * ====================================================================== */

/* is_<type>: true or false (never undefined), one definition per type */
#define BI_IS_TYPE(fn, vt)                                                                                   \
    bi_status fn(bi_ctx *ctx, const val *const *args, const val **out)                                       \
    {                                                                                                        \
        (void)ctx;                                                                                           \
        return ret_bool(out, args[0]->type == (vt));                                                         \
    }
BI_IS_TYPE(bi_is_number, V_NUM)
BI_IS_TYPE(bi_is_string, V_STR)
BI_IS_TYPE(bi_is_boolean, V_BOOL)
BI_IS_TYPE(bi_is_array, V_ARR)
BI_IS_TYPE(bi_is_set, V_SET)
BI_IS_TYPE(bi_is_object, V_OBJ)
BI_IS_TYPE(bi_is_null, V_NULL)
#undef BI_IS_TYPE

bi_status bi_type_name(bi_ctx *ctx, const val *const *args, const val **out)
{
    return ret_val(ctx, out, v_cstr(ctx->arena, vtype_name((vtype)args[0]->type)));
}

/* ======================================================================
 * Arrays
 * ====================================================================== */

bi_status bi_array_concat(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0], *y = args[1];
    if (x->type != V_ARR)
        return bi_type_fail(ctx, "array.concat", 1, "array", x);
    if (y->type != V_ARR)
        return bi_type_fail(ctx, "array.concat", 2, "array", y);
    if (y->len == 0) {
        *out = x;
        return BI_OK;
    }
    if (x->len == 0) {
        *out = y;
        return BI_OK;
    }
    vbuild b;
    vb_init(&b, ctx->arena);
    for (uint32_t i = 0; i < x->len; i++)
        vb_push(&b, x->u.a[i]);
    for (uint32_t i = 0; i < y->len; i++)
        vb_push(&b, y->u.a[i]);
    return ret_val(ctx, out, vb_finish_array(&b));
}

bi_status bi_array_slice(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0];
    int64_t start, stop;
    bi_status st;
    if (x->type != V_ARR)
        return bi_type_fail(ctx, "array.slice", 1, "array", x);
    if ((st = int_operand(ctx, "array.slice", 2, args[1], &start)) != BI_OK)
        return st;
    if ((st = int_operand(ctx, "array.slice", 3, args[2], &stop)) != BI_OK)
        return st;
    /* OPA clamps: stop into [0, len], then start into [0, stop]. */
    if (stop < 0)
        stop = 0;
    else if (stop > (int64_t)x->len)
        stop = x->len;
    if (start < 0)
        start = 0;
    else if (start > stop)
        start = stop;
    if (stop == start) {
        *out = &val_empty_arr_c;
        return BI_OK;
    }
    return ret_val(ctx, out, make_array(ctx->arena, x->u.a + start, (uint32_t)(stop - start)));
}

bi_status bi_array_reverse(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0];
    if (x->type != V_ARR)
        return bi_type_fail(ctx, "array.reverse", 1, "array", x);
    vbuild b;
    vb_init(&b, ctx->arena);
    for (uint32_t i = x->len; i > 0; i--)
        vb_push(&b, x->u.a[i - 1]);
    return ret_val(ctx, out, vb_finish_array(&b));
}

/* One level only: nested arrays inside the inner arrays stay. */
bi_status bi_array_flatten(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *x = args[0];
    if (x->type != V_ARR)
        return bi_type_fail(ctx, "array.flatten", 1, "array", x);
    vbuild b;
    vb_init(&b, ctx->arena);
    for (uint32_t i = 0; i < x->len; i++) {
        const val *e = x->u.a[i];
        if (e->type == V_ARR)
            for (uint32_t j = 0; j < e->len; j++)
                vb_push(&b, e->u.a[j]);
        else
            vb_push(&b, e);
    }
    return ret_val(ctx, out, vb_finish_array(&b));
}

/* ======================================================================
 * Objects and sets
 * ====================================================================== */

/* object.get's path form: objects by key, arrays by integer index, sets by
 * member; anything else along the way means "not found". Out of line so
 * the common string-key call does not pay this loop's register saves. */
static __attribute__((noinline)) const val *object_get_path(const val *obj, const val *path)
{
    const val *cur = obj;
    for (uint32_t i = 0; i < path->len && cur; i++)
        cur = val_index(cur, path->u.a[i]);
    return cur;
}

bi_status bi_object_get(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *obj = args[0], *key = args[1], *dflt = args[2];
    if (obj->type != V_OBJ)
        return bi_type_fail(ctx, "object.get", 1, "object", obj);
    /* val_index scans a small object in place for a string key (the
     * common case) and does a plain lookup for any other non-array key,
     * which is object.get's single-key rule. */
    const val *v = key->type == V_ARR ? object_get_path(obj, key) : val_index(obj, key);
    *out = v ? v : dflt;
    return BI_OK;
}

bi_status bi_object_keys(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *obj = args[0];
    if (obj->type != V_OBJ)
        return bi_type_fail(ctx, "object.keys", 1, "object", obj);
    vbuild b;
    vb_init(&b, ctx->arena);
    for (uint32_t i = 0; i < obj->len; i++)
        vb_push(&b, obj->u.o.k[i]);
    return ret_val(ctx, out, vb_finish_set(&b));
}

/* Recursive merge; on a shared key two objects merge, anything else takes
 * the right-hand value. Keys are sorted, so this is a merge walk. */
static const val *obj_merge(arena *a, const val *x, const val *y)
{
    if (x->len == 0)
        return y;
    if (y->len == 0)
        return x;
    vbuild b;
    vb_init(&b, a);
    uint32_t i = 0, j = 0;
    while (i < x->len || j < y->len) {
        int c = i == x->len ? 1 : j == y->len ? -1 : val_compare(x->u.o.k[i], y->u.o.k[j]);
        if (c < 0) {
            vb_put(&b, x->u.o.k[i], x->u.o.v[i]);
            i++;
        } else if (c > 0) {
            vb_put(&b, y->u.o.k[j], y->u.o.v[j]);
            j++;
        } else {
            const val *xv = x->u.o.v[i], *yv = y->u.o.v[j];
            const val *m = xv->type == V_OBJ && yv->type == V_OBJ ? obj_merge(a, xv, yv) : yv;
            if (!m)
                return NULL;
            vb_put(&b, y->u.o.k[j], m);
            i++;
            j++;
        }
    }
    return vb_finish_object(&b, NULL);
}

bi_status bi_object_union(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_OBJ)
        return bi_type_fail(ctx, "object.union", 1, "object", args[0]);
    if (args[1]->type != V_OBJ)
        return bi_type_fail(ctx, "object.union", 2, "object", args[1]);
    return ret_val(ctx, out, obj_merge(ctx->arena, args[0], args[1]));
}

/* A left fold of object.union: the same "last wins, objects merge" result
 * OPA computes back to front with frozen keys. */
bi_status bi_object_union_n(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *arr = args[0];
    if (arr->type != V_ARR)
        return bi_type_fail(ctx, "object.union_n", 1, "array", arr);
    for (uint32_t i = 0; i < arr->len; i++)
        if (arr->u.a[i]->type != V_OBJ)
            return bi_fail(ctx, POL_EVAL_TYPE,
                           "object.union_n: operand 1 must be array of objects but got array containing %s",
                           vtype_name((vtype)arr->u.a[i]->type));
    const val *acc = &val_empty_obj_c;
    for (uint32_t i = 0; i < arr->len; i++) {
        acc = obj_merge(ctx->arena, acc, arr->u.a[i]);
        if (!acc)
            return bi_oom(ctx);
    }
    *out = acc;
    return BI_OK;
}

/* The keys named by object.remove/object.filter's second operand, as a set
 * (or the object itself, whose keys are looked up directly). */
static bi_status keys_param(bi_ctx *ctx, const char *name, const val *p, const val **keys)
{
    switch ((vtype)p->type) {
    case V_SET:
    case V_OBJ: *keys = p; return BI_OK;
    case V_ARR: {
        vbuild b;
        vb_init(&b, ctx->arena);
        for (uint32_t i = 0; i < p->len; i++)
            vb_push(&b, p->u.a[i]);
        *keys = vb_finish_set(&b);
        return *keys ? BI_OK : bi_oom(ctx);
    }
    default: return bi_type_fail(ctx, name, 2, "one of {object, set, array}", p);
    }
}

static bool keys_has(const val *keys, const val *k)
{
    return keys->type == V_OBJ ? val_obj_get(keys, k) != NULL : val_set_has(keys, k);
}

static bi_status obj_select(bi_ctx *ctx, const char *name, const val *const *args, bool keep_listed,
                            const val **out)
{
    const val *obj = args[0], *keys;
    if (obj->type != V_OBJ)
        return bi_type_fail(ctx, name, 1, "object", obj);
    bi_status st = keys_param(ctx, name, args[1], &keys);
    if (st != BI_OK)
        return st;
    vbuild b;
    vb_init(&b, ctx->arena);
    for (uint32_t i = 0; i < obj->len; i++)
        if (keys_has(keys, obj->u.o.k[i]) == keep_listed)
            vb_put(&b, obj->u.o.k[i], obj->u.o.v[i]);
    return ret_val(ctx, out, vb_finish_object(&b, NULL));
}

bi_status bi_object_remove(bi_ctx *ctx, const val *const *args, const val **out)
{
    return obj_select(ctx, "object.remove", args, false, out);
}

bi_status bi_object_filter(bi_ctx *ctx, const val *const *args, const val **out)
{
    return obj_select(ctx, "object.filter", args, true, out);
}

static bool set_subset(const val *super, const val *sub)
{
    for (uint32_t i = 0; i < sub->len; i++)
        if (!val_set_has(super, sub->u.a[i]))
            return false;
    return true;
}

/* sub appears as a contiguous run in super. */
static bool array_subset(const val *super, const val *sub)
{
    if (sub->len > super->len)
        return false;
    for (uint32_t s = 0; s + sub->len <= super->len; s++) {
        uint32_t k = 0;
        while (k < sub->len && val_compare(super->u.a[s + k], sub->u.a[k]) == 0)
            k++;
        if (k == sub->len)
            return true;
    }
    return false;
}

static bool obj_subset(const val *super, const val *sub)
{
    for (uint32_t i = 0; i < sub->len; i++) {
        const val *sv = val_obj_get(super, sub->u.o.k[i]), *bv = sub->u.o.v[i];
        if (!sv)
            return false;
        if (val_equal(sv, bv))
            continue;
        if (sv->type == V_OBJ && bv->type == V_OBJ) {
            if (!obj_subset(sv, bv))
                return false;
        } else if (sv->type == V_SET && bv->type == V_SET) {
            if (!set_subset(sv, bv))
                return false;
        } else if (sv->type == V_ARR && bv->type == V_ARR) {
            if (!array_subset(sv, bv))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* Every member of the set occurs in the array. As in OPA, each array
 * element found in the set counts (repeats too), and the loop stops at the
 * element that completes the count, so an empty set is a subset only of a
 * non-empty array. */
static bool array_set_subset(const val *super, const val *sub)
{
    uint32_t unmatched = sub->len;
    for (uint32_t i = 0; i < super->len; i++) {
        if (val_set_has(sub, super->u.a[i]))
            unmatched--;
        if (unmatched == 0)
            return true;
    }
    return false;
}

bi_status bi_object_subset(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *super = args[0], *sub = args[1];
    if (super->type == V_OBJ && sub->type == V_OBJ)
        return ret_bool(out, obj_subset(super, sub));
    if (super->type == V_SET && sub->type == V_SET)
        return ret_bool(out, set_subset(super, sub));
    if (super->type == V_ARR && sub->type == V_ARR)
        return ret_bool(out, array_subset(super, sub));
    if (super->type == V_ARR && sub->type == V_SET)
        return ret_bool(out, array_set_subset(super, sub));
    return bi_fail(ctx, POL_EVAL_TYPE,
                   "object.subset: both arguments object.subset must be of the same type or array and set");
}

bi_status bi_intersection(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (s->type != V_SET)
        return bi_type_fail(ctx, "intersection", 1, "set", s);
    for (uint32_t i = 0; i < s->len; i++)
        if (s->u.a[i]->type != V_SET)
            return bi_type_fail(ctx, "intersection", 1, "set", s->u.a[i]);
    if (s->len == 0) {
        *out = &val_empty_set_c;
        return BI_OK;
    }
    const val *acc = s->u.a[0];
    for (uint32_t i = 1; i < s->len && acc->len; i++) {
        acc = set_filter(ctx->arena, acc, s->u.a[i], true);
        if (!acc)
            return bi_oom(ctx);
    }
    *out = acc;
    return BI_OK;
}

bi_status bi_union(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (s->type != V_SET)
        return bi_type_fail(ctx, "union", 1, "set", s);
    vbuild b;
    vb_init(&b, ctx->arena);
    for (uint32_t i = 0; i < s->len; i++) {
        const val *e = s->u.a[i];
        if (e->type != V_SET)
            return bi_type_fail(ctx, "union", 1, "set", e);
        for (uint32_t j = 0; j < e->len; j++)
            vb_push(&b, e->u.a[j]);
    }
    return ret_val(ctx, out, vb_finish_set(&b));
}

/* ======================================================================
 * JSON documents: json.filter, json.remove, json.patch
 * ====================================================================== */

/* A path is a list of keys: "a/b/c" (JSON-pointer-like, ~1 and ~0
 * unescaped) or an array of arbitrary keys. */
typedef struct jpath {
    const val *const *seg;
    uint32_t n;
} jpath;

static bi_status parse_path(bi_ctx *ctx, const char *name, const val *p, jpath *out)
{
    out->seg = NULL;
    out->n = 0;
    if (p->type == V_ARR) {
        out->seg = p->u.a;
        out->n = p->len;
        return BI_OK;
    }
    if (p->type != V_STR)
        return bi_fail(
            ctx, POL_EVAL_TYPE,
            "%s: operand 2 must be one of {set, array} containing string paths or array of path segments "
            "but got %s",
            name, vtype_name((vtype)p->type));
    if (p->len == 0)
        return BI_OK;
    const char *s = p->u.s, *end = s + p->len;
    while (s < end && *s == '/')
        s++;
    uint32_t parts = 1;
    for (const char *q = s; q < end; q++)
        parts += *q == '/';
    const val **segs = arena_alloc(ctx->arena, parts * sizeof *segs);
    if (!segs)
        return bi_oom(ctx);
    out->seg = segs;
    for (;;) {
        const char *slash = memchr(s, '/', (size_t)(end - s));
        const char *e = slash ? slash : end;
        char *buf = arena_alloc(ctx->arena, (size_t)(e - s) + 1);
        if (!buf)
            return bi_oom(ctx);
        size_t n = 0;
        /* "~1" -> "/" first, then "~0" -> "~", as OPA's two ReplaceAll. */
        for (const char *q = s; q < e; q++) {
            if (q[0] == '~' && q + 1 < e && q[1] == '1') {
                buf[n++] = '/';
                q++;
            } else {
                buf[n++] = *q;
            }
        }
        size_t m = 0;
        for (size_t k = 0; k < n; k++) {
            if (buf[k] == '~' && k + 1 < n && buf[k + 1] == '0') {
                buf[m++] = '~';
                k++;
            } else {
                buf[m++] = buf[k];
            }
        }
        const val *seg = v_str(ctx->arena, buf, m);
        if (!seg)
            return bi_oom(ctx);
        segs[out->n++] = seg;
        if (!slash)
            break;
        s = slash + 1;
    }
    return BI_OK;
}

/* The paths of json.filter/json.remove merged into a trie. A leaf takes
 * the whole subtree; a shorter path wins over a longer one it prefixes
 * (OPA's pathsToObject). */
typedef struct ptrie {
    const val *key;
    struct ptrie *kids, *next;
    bool leaf;
} ptrie;

static ptrie *trie_find(const ptrie *node, const val *key)
{
    for (ptrie *k = node->kids; k; k = k->next)
        if (val_equal(k->key, key))
            return k;
    return NULL;
}

/* Array elements are addressed by their decimal index as a string key. */
static ptrie *trie_find_index(const ptrie *node, uint32_t i)
{
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%u", i);
    for (ptrie *k = node->kids; k; k = k->next)
        if (k->key->type == V_STR && k->key->len == (uint32_t)n && memcmp(k->key->u.s, buf, (size_t)n) == 0)
            return k;
    return NULL;
}

static ptrie *trie_add(arena *a, ptrie *node, const val *key)
{
    ptrie *k = arena_alloc(a, sizeof *k);
    if (!k)
        return NULL;
    k->key = key;
    k->kids = NULL;
    k->leaf = false;
    k->next = node->kids;
    node->kids = k;
    return k;
}

static bool trie_insert(arena *a, ptrie *root, const jpath *p)
{
    if (p->n == 0)
        return true;
    ptrie *node = root;
    for (uint32_t i = 0; i + 1 < p->n; i++) {
        ptrie *c = trie_find(node, p->seg[i]);
        if (!c) {
            c = trie_add(a, node, p->seg[i]);
            if (!c)
                return false;
        } else if (c->leaf) {
            return true;
        }
        node = c;
    }
    ptrie *c = trie_find(node, p->seg[p->n - 1]);
    if (!c && !(c = trie_add(a, node, p->seg[p->n - 1])))
        return false;
    c->leaf = true;
    c->kids = NULL;
    return true;
}

static bi_status build_trie(bi_ctx *ctx, const char *name, const val *paths, ptrie **out)
{
    if (paths->type != V_ARR && paths->type != V_SET)
        return bi_type_fail(ctx, name, 2, "one of {set, array}", paths);
    ptrie *root = arena_alloc(ctx->arena, sizeof *root);
    if (!root)
        return bi_oom(ctx);
    memset(root, 0, sizeof *root);
    for (uint32_t i = 0; i < paths->len; i++) {
        jpath p;
        bi_status st = parse_path(ctx, name, paths->u.a[i], &p);
        if (st != BI_OK)
            return st;
        if (!trie_insert(ctx->arena, root, &p))
            return bi_oom(ctx);
    }
    *out = root;
    return BI_OK;
}

/* OPA's Object.Filter: keep what the trie names. NULL only on OOM. */
static const val *filter_value(arena *a, const val *v, const ptrie *node)
{
    if (node->leaf)
        return v;
    vbuild b;
    vb_init(&b, a);
    switch ((vtype)v->type) {
    case V_ARR:
        for (uint32_t i = 0; i < v->len; i++) {
            const ptrie *c = trie_find_index(node, i);
            if (c) {
                const val *f = filter_value(a, v->u.a[i], c);
                if (!f)
                    return NULL;
                vb_push(&b, f);
            }
        }
        return vb_finish_array(&b);
    case V_SET:
        for (uint32_t i = 0; i < v->len; i++) {
            const ptrie *c = trie_find(node, v->u.a[i]);
            if (c) {
                const val *f = filter_value(a, v->u.a[i], c);
                if (!f)
                    return NULL;
                vb_push(&b, f);
            }
        }
        return vb_finish_set(&b);
    case V_OBJ:
        for (uint32_t i = 0; i < v->len; i++) {
            const ptrie *c = trie_find(node, v->u.o.k[i]);
            if (c) {
                const val *f = filter_value(a, v->u.o.v[i], c);
                if (!f)
                    return NULL;
                vb_put(&b, v->u.o.k[i], f);
            }
        }
        return vb_finish_object(&b, NULL);
    default: return v;
    }
}

/* OPA's jsonRemove: drop what the trie's leaves name. *removed tells the
 * caller to leave the value out; the return is NULL only on OOM. */
static const val *remove_value(arena *a, const val *v, const ptrie *node, bool *removed)
{
    *removed = false;
    if (!node)
        return v;
    if (node->leaf) {
        *removed = true;
        return v;
    }
    vbuild b;
    vb_init(&b, a);
    bool gone;
    switch ((vtype)v->type) {
    case V_ARR:
        for (uint32_t i = 0; i < v->len; i++) {
            const val *r = remove_value(a, v->u.a[i], trie_find_index(node, i), &gone);
            if (!r)
                return NULL;
            if (!gone)
                vb_push(&b, r);
        }
        return vb_finish_array(&b);
    case V_SET:
        for (uint32_t i = 0; i < v->len; i++) {
            const val *r = remove_value(a, v->u.a[i], trie_find(node, v->u.a[i]), &gone);
            if (!r)
                return NULL;
            if (!gone)
                vb_push(&b, r);
        }
        return vb_finish_set(&b);
    case V_OBJ:
        for (uint32_t i = 0; i < v->len; i++) {
            const val *r = remove_value(a, v->u.o.v[i], trie_find(node, v->u.o.k[i]), &gone);
            if (!r)
                return NULL;
            if (!gone)
                vb_put(&b, v->u.o.k[i], r);
        }
        return vb_finish_object(&b, NULL);
    default: return v;
    }
}

bi_status bi_json_filter(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_OBJ)
        return bi_type_fail(ctx, "json.filter", 1, "object", args[0]);
    ptrie *root;
    bi_status st = build_trie(ctx, "json.filter", args[1], &root);
    if (st != BI_OK)
        return st;
    return ret_val(ctx, out, filter_value(ctx->arena, args[0], root));
}

bi_status bi_json_remove(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_OBJ)
        return bi_type_fail(ctx, "json.remove", 1, "object", args[0]);
    ptrie *root;
    bi_status st = build_trie(ctx, "json.remove", args[1], &root);
    if (st != BI_OK)
        return st;
    bool gone;
    return ret_val(ctx, out, remove_value(ctx->arena, args[0], root, &gone));
}

/* ---- json.patch: RFC 6902 over immutable values ---------------------- */

typedef enum patch_res { PR_OK, PR_FAIL, PR_OOM } patch_res;

/* An array index path segment: an integral number, or a decimal string
 * without leading zeros; "-" (append) only where allow_end says. Returns
 * -1 when the segment is not a valid index. */
static int64_t patch_index(const val *seg, uint32_t len, bool allow_end)
{
    int64_t i;
    if (seg->type == V_NUM)
        return val_is_int(seg, &i) && i >= 0 ? i : -1;
    if (seg->type != V_STR || seg->len == 0)
        return -1;
    if (seg->len == 1 && seg->u.s[0] == '-')
        return allow_end ? (int64_t)len : -1;
    if (seg->len > 1 && seg->u.s[0] == '0')
        return -1;
    if (seg->len > 10)
        return -1;
    i = 0;
    for (uint32_t k = 0; k < seg->len; k++) {
        if (seg->u.s[k] < '0' || seg->u.s[k] > '9')
            return -1;
        i = i * 10 + (seg->u.s[k] - '0');
    }
    return i;
}

static const val *patch_get(const val *doc, const jpath *p)
{
    const val *cur = doc;
    for (uint32_t i = 0; i < p->n && cur; i++) {
        switch ((vtype)cur->type) {
        case V_OBJ: cur = val_obj_get(cur, p->seg[i]); break;
        case V_SET: cur = val_set_has(cur, p->seg[i]) ? p->seg[i] : NULL; break;
        case V_ARR: {
            int64_t k = patch_index(p->seg[i], cur->len, false);
            cur = k >= 0 && k < (int64_t)cur->len ? cur->u.a[k] : NULL;
            break;
        }
        default: cur = NULL;
        }
    }
    return cur;
}

/* Copy of container c with one child changed: at `key` set to `nv`
 * (insert == true: added, shifting arrays; else replaced), or removed
 * when nv == NULL. */
static patch_res patch_edit(arena *a, const val *c, const val *key, const val *nv, bool insert,
                            const val **out)
{
    vbuild b;
    vb_init(&b, a);
    switch ((vtype)c->type) {
    case V_OBJ: {
        bool found = val_obj_get(c, key) != NULL;
        if (!found && (!insert || !nv))
            return PR_FAIL;
        for (uint32_t i = 0; i < c->len; i++)
            if (!val_equal(c->u.o.k[i], key))
                vb_put(&b, c->u.o.k[i], c->u.o.v[i]);
        if (nv)
            vb_put(&b, key, nv);
        *out = vb_finish_object(&b, NULL);
        break;
    }
    case V_SET: {
        bool found = val_set_has(c, key);
        /* A set member is its own key: adding needs key == value. */
        if (nv && insert && !val_equal(key, nv))
            return PR_FAIL;
        if (!found && (!insert || !nv))
            return PR_FAIL;
        for (uint32_t i = 0; i < c->len; i++)
            if (!val_equal(c->u.a[i], key))
                vb_push(&b, c->u.a[i]);
        if (nv)
            vb_push(&b, nv);
        *out = vb_finish_set(&b);
        break;
    }
    case V_ARR: {
        int64_t k = patch_index(key, c->len, insert && nv);
        int64_t limit = insert && nv ? (int64_t)c->len : (int64_t)c->len - 1;
        if (k < 0 || k > limit)
            return PR_FAIL;
        for (uint32_t i = 0; i < c->len; i++) {
            if ((int64_t)i == k) {
                if (nv)
                    vb_push(&b, nv);
                if (!insert || !nv)
                    continue;
            }
            vb_push(&b, c->u.a[i]);
        }
        if (k == (int64_t)c->len)
            vb_push(&b, nv);
        *out = vb_finish_array(&b);
        break;
    }
    default: return PR_FAIL;
    }
    return *out ? PR_OK : PR_OOM;
}

/* Rebuilds doc along path p with the last step edited (nv == NULL:
 * delete). An empty path replaces the whole document. */
static patch_res patch_apply_at(arena *a, const val *doc, const jpath *p, uint32_t depth, const val *nv,
                                bool insert, const val **out)
{
    if (depth == p->n) {
        if (!nv)
            return PR_FAIL;
        *out = nv;
        return PR_OK;
    }
    const val *key = p->seg[depth];
    if (depth + 1 == p->n)
        return patch_edit(a, doc, key, nv, insert, out);
    jpath one = {&p->seg[depth], 1};
    const val *child = patch_get(doc, &one);
    if (!child)
        return PR_FAIL;
    const val *nc;
    patch_res r = patch_apply_at(a, child, p, depth + 1, nv, insert, &nc);
    if (r != PR_OK)
        return r;
    if (doc->type == V_SET) {
        /* The member changes, so its key does too: replace the old one. */
        const val *without;
        r = patch_edit(a, doc, child, NULL, false, &without);
        return r != PR_OK ? r : patch_edit(a, without, nc, nc, true, out);
    }
    return patch_edit(a, doc, key, nc, false, out);
}

static bi_status patch_attr(const val *op, const char *name, const val **out)
{
    *out = val_obj_get_str(op, name, strlen(name));
    return *out ? BI_OK : BI_UNDEF;
}

bi_status bi_json_patch(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *doc = args[0], *ops = args[1];
    if (ops->type != V_ARR)
        return bi_type_fail(ctx, "json.patch", 2, "array", ops);
    /* Any malformed or failing operation makes the result undefined, as
     * OPA discards applyPatches' error. */
    for (uint32_t i = 0; i < ops->len; i++) {
        const val *op = ops->u.a[i], *opv, *pathv, *from = NULL, *value = NULL;
        if (op->type != V_OBJ || patch_attr(op, "op", &opv) != BI_OK || opv->type != V_STR)
            return BI_UNDEF;
        const char *o = opv->u.s;
        bool is_add = strcmp(o, "add") == 0, is_remove = strcmp(o, "remove") == 0,
             is_replace = strcmp(o, "replace") == 0, is_move = strcmp(o, "move") == 0,
             is_copy = strcmp(o, "copy") == 0, is_test = strcmp(o, "test") == 0;
        if (!(is_add || is_remove || is_replace || is_move || is_copy || is_test) || opv->len != strlen(o))
            return BI_UNDEF;
        if (patch_attr(op, "path", &pathv) != BI_OK)
            return BI_UNDEF;
        if ((is_move || is_copy) && patch_attr(op, "from", &from) != BI_OK)
            return BI_UNDEF;
        if ((is_add || is_replace || is_test) && patch_attr(op, "value", &value) != BI_OK)
            return BI_UNDEF;
        jpath path, fpath;
        bi_status st = parse_path(ctx, "json.patch", pathv, &path);
        if (st == BI_ERR && ctx->err_code == POL_LIMIT_ARENA)
            return st;
        if (st != BI_OK)
            return BI_UNDEF;
        patch_res r = PR_OK;
        const val *next = doc;
        if (is_add) {
            r = patch_apply_at(ctx->arena, doc, &path, 0, value, true, &next);
        } else if (is_remove) {
            r = patch_apply_at(ctx->arena, doc, &path, 0, NULL, false, &next);
        } else if (is_replace) {
            /* OPA: delete, then insert (so the target must exist). */
            if (path.n == 0) {
                next = value;
            } else {
                const val *tmp;
                r = patch_apply_at(ctx->arena, doc, &path, 0, NULL, false, &tmp);
                if (r == PR_OK)
                    r = patch_apply_at(ctx->arena, tmp, &path, 0, value, true, &next);
            }
        } else if (is_test) {
            const val *got = patch_get(doc, &path);
            if (!got || !val_equal(got, value))
                return BI_UNDEF;
        } else {
            st = parse_path(ctx, "json.patch", from, &fpath);
            if (st == BI_ERR && ctx->err_code == POL_LIMIT_ARENA)
                return st;
            if (st != BI_OK)
                return BI_UNDEF;
            const val *chunk = patch_get(doc, &fpath), *tmp = doc;
            if (!chunk)
                return BI_UNDEF;
            if (is_move && fpath.n > 0)
                r = patch_apply_at(ctx->arena, doc, &fpath, 0, NULL, false, &tmp);
            if (r == PR_OK)
                r = patch_apply_at(ctx->arena, tmp, &path, 0, chunk, true, &next);
        }
        if (r == PR_OOM)
            return bi_oom(ctx);
        if (r == PR_FAIL)
            return BI_UNDEF;
        doc = next;
    }
    *out = doc;
    return BI_OK;
}

/* ======================================================================
 * Encodings: JSON, YAML, base64, hex, URL query
 * ====================================================================== */

/* Copies JSON text, escaping what Go's encoding/json escapes even inside
 * strings (<, >, & and U+2028/U+2029, for HTML safety). Outside strings
 * these never occur in JSON text, so a blind rewrite is exact. */
static void go_escape_copy(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '<' ? "\\u003c" : c == '>' ? "\\u003e" : c == '&' ? "\\u0026" : NULL;
        if (!esc && c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            ((unsigned char)s[i + 2] == 0xA8 || (unsigned char)s[i + 2] == 0xA9)) {
            esc = (unsigned char)s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            i += 2;
        }
        if (esc)
            sb_put(b, esc, 6);
        else
            sb_putc(b, (char)c);
    }
}

/* Go's json.MarshalIndent layout: each element on its own line starting
 * with prefix and depth copies of indent; empty containers stay "[]"/"{}". */
typedef struct jfmt {
    arena *a;
    const char *prefix, *indent;
    size_t plen, ilen;
    bool oom;
} jfmt;

static void jf_newline(sbuf *b, const jfmt *f, int depth)
{
    sb_putc(b, '\n');
    sb_put(b, f->prefix, f->plen);
    for (int i = 0; i < depth; i++)
        sb_put(b, f->indent, f->ilen);
}

/* json_write of one value, escaped the Go way. Short texts go through a
 * stack buffer; longer ones through the arena. */
static void jf_escaped(sbuf *b, jfmt *f, const val *x)
{
    char small[256];
    sbuf m;
    sb_init(&m, small, sizeof small);
    json_write(&m, x, 0);
    if (sb_ok(&m)) {
        go_escape_copy(b, small, m.len);
        return;
    }
    char *t = arena_alloc(f->a, m.len + 1);
    if (!t) {
        f->oom = true;
        return;
    }
    size_t n = m.len;
    sb_init(&m, t, n + 1);
    json_write(&m, x, 0);
    go_escape_copy(b, t, n);
}

static void jf_key(sbuf *b, jfmt *f, const val *k)
{
    if (k->type == V_STR) {
        jf_escaped(b, f, k);
        return;
    }
    /* Non-string keys are written as their JSON text, in a string. */
    sbuf m;
    sb_init(&m, NULL, 0);
    json_write(&m, k, 0);
    char *t = arena_alloc(f->a, m.len + 1);
    const val *ks = NULL;
    if (t) {
        sb_init(&m, t, m.len + 1);
        json_write(&m, k, 0);
        ks = v_str(f->a, t, m.len);
    }
    if (!ks) {
        f->oom = true;
        return;
    }
    jf_escaped(b, f, ks);
}

static void jf_write(sbuf *b, jfmt *f, const val *x, int depth)
{
    if ((x->type == V_ARR || x->type == V_SET || x->type == V_OBJ) && x->len > 0) {
        bool obj = x->type == V_OBJ;
        sb_putc(b, obj ? '{' : '[');
        for (uint32_t i = 0; i < x->len; i++) {
            jf_newline(b, f, depth + 1);
            if (obj) {
                jf_key(b, f, x->u.o.k[i]);
                sb_put(b, ": ", 2);
                jf_write(b, f, x->u.o.v[i], depth + 1);
            } else {
                jf_write(b, f, x->u.a[i], depth + 1);
            }
            if (i + 1 < x->len)
                sb_putc(b, ',');
        }
        jf_newline(b, f, depth);
        sb_putc(b, obj ? '}' : ']');
        return;
    }
    jf_escaped(b, f, x);
}

/* MarshalIndent-style text, with OPA's prefix also before the first
 * line (Go leaves it off). */
static void marshal_fill(sbuf *b, jfmt *f, const val *x)
{
    sb_put(b, f->prefix, f->plen);
    jf_write(b, f, x, 0);
}

/* JSON text as Go's encoding/json writes it: compact when f is NULL,
 * indented otherwise. Measured, then written into the arena. */
static const val *marshal_json(arena *a, const val *x, jfmt *f)
{
    if (!f) {
        /* Compact: one json_write, then the escape rewrite. */
        sbuf m;
        sb_init(&m, NULL, 0);
        json_write(&m, x, 0);
        char *t = arena_alloc(a, m.len + 1);
        if (!t)
            return NULL;
        size_t n = m.len;
        sb_init(&m, t, n + 1);
        json_write(&m, x, 0);
        sbuf e;
        sb_init(&e, NULL, 0);
        go_escape_copy(&e, t, n);
        if (e.len == n)
            return v_str_ref(a, t, n);
        char *u = arena_alloc(a, e.len + 1);
        if (!u)
            return NULL;
        size_t en = e.len;
        sb_init(&e, u, en + 1);
        go_escape_copy(&e, t, n);
        u[en] = '\0';
        return v_str_ref(a, u, en);
    }
    sbuf m;
    sb_init(&m, NULL, 0);
    marshal_fill(&m, f, x);
    char *t = f->oom ? NULL : arena_alloc(a, m.len + 1);
    if (!t)
        return NULL;
    size_t n = m.len;
    sb_init(&m, t, n + 1);
    marshal_fill(&m, f, x);
    if (f->oom || m.len != n)
        return NULL;
    t[n] = '\0';
    return v_str_ref(a, t, n);
}

bi_status bi_json_marshal(bi_ctx *ctx, const val *const *args, const val **out)
{
    return ret_val(ctx, out, marshal_json(ctx->arena, args[0], NULL));
}

bi_status bi_json_marshal_opts(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *opts = args[1];
    if (opts->type != V_OBJ)
        return bi_type_fail(ctx, "json.marshal_with_options", 2, "object", opts);
    jfmt f = {ctx->arena, "", "\t", 0, 1, false};
    bool implicit = false, explicit_set = false, pretty = false;
    for (uint32_t i = 0; i < opts->len; i++) {
        const val *k = opts->u.o.k[i], *v = opts->u.o.v[i];
        if (k->type != V_STR)
            return bi_fail(
                ctx, POL_EVAL_TYPE,
                "json.marshal_with_options: operand 2 failed to stringify key at index %u: operand %u must "
                "be string but got %s",
                i, i, vtype_name((vtype)k->type));
        if (strcmp(k->u.s, "prefix") == 0 || strcmp(k->u.s, "indent") == 0) {
            if (v->type != V_STR)
                return bi_fail(
                    ctx, POL_EVAL_TYPE,
                    "json.marshal_with_options: operand 2 key %s failed cast to string: operand %u must be "
                    "string but got %s",
                    k->u.s, i, vtype_name((vtype)v->type));
            if (k->u.s[0] == 'p') {
                f.prefix = v->u.s;
                f.plen = v->len;
            } else {
                f.indent = v->u.s;
                f.ilen = v->len;
            }
            implicit = true;
        } else if (strcmp(k->u.s, "pretty") == 0) {
            if (v->type != V_BOOL)
                return bi_fail(ctx, POL_EVAL_TYPE,
                               "json.marshal_with_options: operand 2 key pretty failed cast to bool");
            explicit_set = true;
            pretty = v->u.b;
        } else {
            return bi_fail(ctx, POL_EVAL_TYPE,
                           "json.marshal_with_options: operand 2 object contained unknown key \"%.*s\"",
                           (int)(k->len > 200 ? 200 : k->len), k->u.s);
        }
    }
    if (!explicit_set)
        pretty = implicit;
    return ret_val(ctx, out, marshal_json(ctx->arena, args[0], pretty ? &f : NULL));
}

bi_status bi_json_unmarshal(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (s->type != V_STR)
        return bi_type_fail(ctx, "json.unmarshal", 1, "string", s);
    json_error err;
    memset(&err, 0, sizeof err);
    const val *v = json_parse(ctx->arena, s->u.s, s->len, &err);
    if (v) {
        *out = v;
        return BI_OK;
    }
    if (err.msg[0] == '\0')
        return bi_oom(ctx);
    return bi_fail(ctx, POL_EVAL_BUILTIN, "json.unmarshal: %s", err.msg);
}

/* Validity checks parse into the arena and then give the memory back. */
bi_status bi_json_is_valid(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (s->type != V_STR)
        return ret_bool(out, false);
    json_error err;
    memset(&err, 0, sizeof err);
    arena_mark m = arena_save(ctx->arena);
    const val *v = json_parse(ctx->arena, s->u.s, s->len, &err);
    arena_restore(ctx->arena, m);
    if (!v && err.msg[0] == '\0')
        return bi_oom(ctx);
    return ret_bool(out, v != NULL);
}

bi_status bi_yaml_marshal(bi_ctx *ctx, const val *const *args, const val **out)
{
    sbuf m;
    sb_init(&m, NULL, 0);
    yaml_write(&m, args[0]);
    char *t = arena_alloc(ctx->arena, m.len + 1);
    if (!t)
        return bi_oom(ctx);
    sbuf w;
    sb_init(&w, t, m.len + 1);
    yaml_write(&w, args[0]);
    if (!sb_ok(&w))
        return bi_oom(ctx);
    t[w.len] = '\0';
    return ret_val(ctx, out, v_str_ref(ctx->arena, t, w.len));
}

/* go-yaml reports "yaml: line N: <libyaml problem>"; libyaml's problem
 * texts are the ones go-yaml ported, so only the frame is added here. */
static bi_status yaml_error(bi_ctx *ctx, const json_error *err)
{
    if (strncmp(err->msg, "yaml:", 5) == 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "yaml.unmarshal: %s", err->msg);
    return bi_fail(ctx, POL_EVAL_BUILTIN, "yaml.unmarshal: yaml: line %u: %s", err->line ? err->line : 1,
                   err->msg);
}

bi_status bi_yaml_unmarshal(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (s->type != V_STR)
        return bi_type_fail(ctx, "yaml.unmarshal", 1, "string", s);
    json_error err;
    memset(&err, 0, sizeof err);
    const val *v = yaml_parse(ctx->arena, s->u.s, s->len, &err);
    if (v) {
        *out = v;
        return BI_OK;
    }
    if (err.msg[0] == '\0')
        return bi_oom(ctx);
    return yaml_error(ctx, &err);
}

bi_status bi_yaml_is_valid(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (s->type != V_STR)
        return ret_bool(out, false);
    json_error err;
    memset(&err, 0, sizeof err);
    arena_mark m = arena_save(ctx->arena);
    const val *v = yaml_parse(ctx->arena, s->u.s, s->len, &err);
    arena_restore(ctx->arena, m);
    if (!v && err.msg[0] == '\0')
        return bi_oom(ctx);
    return ret_bool(out, v != NULL);
}

/* ---- base64 ---------------------------------------------------------- */

static const char B64_STD[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64_URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static const val *b64_encode(arena *a, const unsigned char *s, size_t n, const char *alphabet, bool pad)
{
    size_t cap = (n + 2) / 3 * 4;
    char *buf = arena_alloc(a, cap + 1);
    if (!buf)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        buf[o++] = alphabet[v >> 18 & 63];
        buf[o++] = alphabet[v >> 12 & 63];
        buf[o++] = alphabet[v >> 6 & 63];
        buf[o++] = alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
        buf[o++] = alphabet[v >> 18 & 63];
        buf[o++] = alphabet[v >> 12 & 63];
        if (i + 1 < n)
            buf[o++] = alphabet[v >> 6 & 63];
        else if (pad)
            buf[o++] = '=';
        if (pad)
            buf[o++] = '=';
    }
    buf[o] = '\0';
    return v_str_ref(a, buf, o);
}

static int b64_digit(unsigned char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

/* Go's padded base64 DecodeString (not strict: stray CR/LF are skipped,
 * trailing bits ignored). Returns the decoded length, or -1 with *bad set
 * to the input offset Go reports. dst holds at least n/4*3+3 bytes. */
static int64_t b64_decode(const char *src, size_t n, bool url, unsigned char *dst, size_t *bad)
{
    size_t si = 0, di = 0;
    for (;;) {
        int q[4] = {0, 0, 0, 0};
        int j, dlen = 4;
        bool last = false;
        for (j = 0; j < 4; j++) {
            if (si == n) {
                if (j == 0)
                    return (int64_t)di;
                *bad = si - (size_t)j;
                return -1;
            }
            unsigned char in = (unsigned char)src[si++];
            int d = b64_digit(in, url);
            if (d >= 0) {
                q[j] = d;
                continue;
            }
            if (in == '\n' || in == '\r') {
                j--;
                continue;
            }
            if (in != '=' || j < 2) {
                *bad = si - 1;
                return -1;
            }
            if (j == 2) {
                while (si < n && (src[si] == '\n' || src[si] == '\r'))
                    si++;
                if (si == n) {
                    *bad = n;
                    return -1;
                }
                if (src[si] != '=') {
                    *bad = si - 1;
                    return -1;
                }
                si++;
            }
            while (si < n && (src[si] == '\n' || src[si] == '\r'))
                si++;
            if (si < n) {
                *bad = si;
                return -1;
            }
            dlen = j;
            last = true;
            break;
        }
        uint32_t v = (uint32_t)q[0] << 18 | (uint32_t)q[1] << 12 | (uint32_t)q[2] << 6 | (uint32_t)q[3];
        dst[di++] = (unsigned char)(v >> 16);
        if (dlen > 2)
            dst[di++] = (unsigned char)(v >> 8);
        if (dlen > 3)
            dst[di++] = (unsigned char)v;
        if (last)
            return (int64_t)di;
    }
}

static bi_status b64_decode_builtin(bi_ctx *ctx, const char *name, const char *s, size_t n, bool url,
                                    const val **out)
{
    unsigned char *buf = arena_alloc(ctx->arena, n / 4 * 3 + 4);
    if (!buf)
        return bi_oom(ctx);
    size_t bad = 0;
    int64_t len = b64_decode(s, n, url, buf, &bad);
    if (len < 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: illegal base64 data at input byte %zu", name, bad);
    buf[len] = '\0';
    return ret_val(ctx, out, v_str_ref(ctx->arena, (const char *)buf, (size_t)len));
}

static bi_status str_arg(bi_ctx *ctx, const char *name, const val *x)
{
    return x->type == V_STR ? BI_OK : bi_type_fail(ctx, name, 1, "string", x);
}

bi_status bi_base64_encode(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (str_arg(ctx, "base64.encode", args[0]) != BI_OK)
        return BI_ERR;
    return ret_val(ctx, out,
                   b64_encode(ctx->arena, (const unsigned char *)args[0]->u.s, args[0]->len, B64_STD, true));
}

bi_status bi_base64_decode(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (str_arg(ctx, "base64.decode", args[0]) != BI_OK)
        return BI_ERR;
    return b64_decode_builtin(ctx, "base64.decode", args[0]->u.s, args[0]->len, false, out);
}

bi_status bi_base64_is_valid(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (s->type != V_STR)
        return ret_bool(out, false);
    arena_mark m = arena_save(ctx->arena);
    unsigned char *buf = arena_alloc(ctx->arena, s->len / 4 * 3 + 4);
    if (!buf)
        return bi_oom(ctx);
    size_t bad;
    bool valid = b64_decode(s->u.s, s->len, false, buf, &bad) >= 0;
    arena_restore(ctx->arena, m);
    return ret_bool(out, valid);
}

bi_status bi_base64url_encode(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (str_arg(ctx, "base64url.encode", args[0]) != BI_OK)
        return BI_ERR;
    return ret_val(ctx, out,
                   b64_encode(ctx->arena, (const unsigned char *)args[0]->u.s, args[0]->len, B64_URL, true));
}

bi_status bi_base64url_encode_no_pad(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (str_arg(ctx, "base64url.encode_no_pad", args[0]) != BI_OK)
        return BI_ERR;
    return ret_val(ctx, out,
                   b64_encode(ctx->arena, (const unsigned char *)args[0]->u.s, args[0]->len, B64_URL, false));
}

/* Unpadded input is padded first (RFC 7515 appendix C), as OPA does. */
bi_status bi_base64url_decode(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (str_arg(ctx, "base64url.decode", s) != BI_OK)
        return BI_ERR;
    size_t n = s->len, padn = 0;
    if (n == 0 || s->u.s[n - 1] != '=') {
        switch (n % 4) {
        case 2: padn = 2; break;
        case 3: padn = 1; break;
        case 1:
            return bi_fail(ctx, POL_EVAL_BUILTIN, "base64url.decode: illegal base64url string: %.*s",
                           (int)(n > 200 ? 200 : n), s->u.s);
        default: break;
        }
    }
    if (padn == 0)
        return b64_decode_builtin(ctx, "base64url.decode", s->u.s, n, true, out);
    char *p = arena_alloc(ctx->arena, n + padn + 1);
    if (!p)
        return bi_oom(ctx);
    memcpy(p, s->u.s, n);
    memcpy(p + n, "==", padn);
    p[n + padn] = '\0';
    return b64_decode_builtin(ctx, "base64url.decode", p, n + padn, true, out);
}

/* ---- hex ------------------------------------------------------------- */

bi_status bi_hex_encode(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (str_arg(ctx, "hex.encode", s) != BI_OK)
        return BI_ERR;
    char *buf = arena_alloc(ctx->arena, (size_t)s->len * 2 + 1);
    if (!buf)
        return bi_oom(ctx);
    for (uint32_t i = 0; i < s->len; i++) {
        unsigned char c = (unsigned char)s->u.s[i];
        buf[2 * i] = "0123456789abcdef"[c >> 4];
        buf[2 * i + 1] = "0123456789abcdef"[c & 15];
    }
    buf[(size_t)s->len * 2] = '\0';
    return ret_val(ctx, out, v_str_ref(ctx->arena, buf, (size_t)s->len * 2));
}

static int hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Go's InvalidByteError text: "%#U" of the byte as a rune. */
static bi_status hex_bad_byte(bi_ctx *ctx, unsigned char c)
{
    bool printable = (c >= 0x20 && c < 0x7f) || (c >= 0xa1 && c != 0xad);
    if (!printable)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "hex.decode: encoding/hex: invalid byte: U+%04X", c);
    char ch[3] = {(char)c, 0, 0};
    if (c >= 0x80) {
        ch[0] = (char)(0xC0 | (c >> 6));
        ch[1] = (char)(0x80 | (c & 0x3F));
    }
    return bi_fail(ctx, POL_EVAL_BUILTIN, "hex.decode: encoding/hex: invalid byte: U+%04X '%s'", c, ch);
}

bi_status bi_hex_decode(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (str_arg(ctx, "hex.decode", s) != BI_OK)
        return BI_ERR;
    const unsigned char *p = (const unsigned char *)s->u.s;
    size_t n = s->len;
    char *buf = arena_alloc(ctx->arena, n / 2 + 1);
    if (!buf)
        return bi_oom(ctx);
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        int hi = hex_digit(p[i]), lo = hex_digit(p[i + 1]);
        if (hi < 0)
            return hex_bad_byte(ctx, p[i]);
        if (lo < 0)
            return hex_bad_byte(ctx, p[i + 1]);
        buf[i / 2] = (char)(hi << 4 | lo);
    }
    if (n % 2) {
        if (hex_digit(p[n - 1]) < 0)
            return hex_bad_byte(ctx, p[n - 1]);
        return bi_fail(ctx, POL_EVAL_BUILTIN, "hex.decode: encoding/hex: odd length hex string");
    }
    buf[n / 2] = '\0';
    return ret_val(ctx, out, v_str_ref(ctx->arena, buf, n / 2));
}

/* ---- URL query ------------------------------------------------------- */

/* Go's url.QueryEscape: unreserved bytes stay, space becomes '+',
 * everything else %XX (upper-case hex). */
static void query_escape(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '_' || c == '.' || c == '~') {
            sb_putc(b, (char)c);
        } else if (c == ' ') {
            sb_putc(b, '+');
        } else {
            char e[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
            sb_put(b, e, 3);
        }
    }
}

/* Go's url.QueryUnescape into dst (at least n bytes). Returns the length,
 * or -1 with *bad at the offending '%'. */
static int64_t query_unescape(const char *s, size_t n, char *dst, size_t *bad)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n || hex_digit((unsigned char)s[i + 1]) < 0 ||
                hex_digit((unsigned char)s[i + 2]) < 0) {
                *bad = i;
                return -1;
            }
            dst[o++] = (char)(hex_digit((unsigned char)s[i + 1]) << 4 | hex_digit((unsigned char)s[i + 2]));
            i += 2;
        } else {
            dst[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    return (int64_t)o;
}

/* Go's EscapeError: `invalid URL escape "%zz"` (at most three bytes). */
static bi_status escape_error(bi_ctx *ctx, const char *name, const char *s, size_t n, size_t at)
{
    size_t m = n - at > 3 ? 3 : n - at;
    char q[16];
    size_t o = 0;
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)s[at + i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            q[o++] = (char)c;
        } else {
            o += (size_t)snprintf(q + o, sizeof q - o, "\\x%02x", c);
        }
    }
    q[o] = '\0';
    return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: invalid URL escape \"%s\"", name, q);
}

static const val *sbuf_to_str(arena *a, void (*fill)(sbuf *, const void *), const void *arg)
{
    sbuf m;
    sb_init(&m, NULL, 0);
    fill(&m, arg);
    char *t = arena_alloc(a, m.len + 1);
    if (!t)
        return NULL;
    sbuf w;
    sb_init(&w, t, m.len + 1);
    fill(&w, arg);
    t[w.len] = '\0';
    return v_str_ref(a, t, w.len);
}

static void fill_query_escape(sbuf *b, const void *arg)
{
    const val *s = arg;
    query_escape(b, s->u.s, s->len);
}

bi_status bi_urlquery_encode(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (str_arg(ctx, "urlquery.encode", args[0]) != BI_OK)
        return BI_ERR;
    return ret_val(ctx, out, sbuf_to_str(ctx->arena, fill_query_escape, args[0]));
}

bi_status bi_urlquery_decode(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (str_arg(ctx, "urlquery.decode", s) != BI_OK)
        return BI_ERR;
    char *buf = arena_alloc(ctx->arena, (size_t)s->len + 1);
    if (!buf)
        return bi_oom(ctx);
    size_t bad;
    int64_t n = query_unescape(s->u.s, s->len, buf, &bad);
    if (n < 0)
        return escape_error(ctx, "urlquery.decode", s->u.s, s->len, bad);
    buf[n] = '\0';
    return ret_val(ctx, out, v_str_ref(ctx->arena, buf, (size_t)n));
}

/* One key's text for url.Values: strings as they are, other keys as their
 * JSON text (what OPA's ast.JSON makes of them). */
typedef struct qkey {
    const char *s;
    size_t n;
    const val *v;
} qkey;

static int cmp_qkey(const void *a, const void *b)
{
    const qkey *x = a, *y = b;
    size_t m = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, m);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

typedef struct qenc {
    const qkey *keys;
    uint32_t n;
} qenc;

static void fill_query_object(sbuf *b, const void *arg)
{
    const qenc *q = arg;
    bool first = true;
    for (uint32_t i = 0; i < q->n; i++) {
        const val *v = q->keys[i].v;
        uint32_t cnt = v->type == V_STR ? 1 : v->len;
        for (uint32_t j = 0; j < cnt; j++) {
            const val *s = v->type == V_STR ? v : v->u.a[j];
            if (!first)
                sb_putc(b, '&');
            first = false;
            query_escape(b, q->keys[i].s, q->keys[i].n);
            sb_putc(b, '=');
            query_escape(b, s->u.s, s->len);
        }
    }
}

bi_status bi_urlquery_encode_object(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *obj = args[0];
    if (obj->type != V_OBJ)
        return bi_type_fail(ctx, "urlquery.encode_object", 1, "object", obj);
    qkey *keys = arena_alloc(ctx->arena, (obj->len ? obj->len : 1) * sizeof *keys);
    if (!keys)
        return bi_oom(ctx);
    for (uint32_t i = 0; i < obj->len; i++) {
        const val *k = obj->u.o.k[i], *v = obj->u.o.v[i];
        bool ok = v->type == V_STR;
        if (v->type == V_ARR || v->type == V_SET) {
            ok = true;
            for (uint32_t j = 0; j < v->len; j++)
                ok = ok && v->u.a[j]->type == V_STR;
        }
        if (!ok)
            return bi_fail(
                ctx, POL_EVAL_TYPE,
                "urlquery.encode_object: operand 1 values must be string, array[string], or set[string]");
        keys[i].v = v;
        if (k->type == V_STR) {
            keys[i].s = k->u.s;
            keys[i].n = k->len;
        } else {
            const val *t = marshal_json(ctx->arena, k, NULL);
            if (!t)
                return bi_oom(ctx);
            keys[i].s = t->u.s;
            keys[i].n = t->len;
        }
    }
    pol_sort(keys, obj->len, sizeof *keys, cmp_qkey);
    qenc q = {keys, obj->len};
    return ret_val(ctx, out, sbuf_to_str(ctx->arena, fill_query_object, &q));
}

typedef struct qpair {
    const val *k, *v;
    uint32_t seq;
} qpair;

static int cmp_qpair(const void *a, const void *b)
{
    const qpair *x = a, *y = b;
    int c = val_compare(x->k, y->k);
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* Go's url.ParseQuery: '&'-separated, ';' rejected, empty parts skipped,
 * values of a repeated key kept in order. The first error wins. */
bi_status bi_urlquery_decode_object(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    if (str_arg(ctx, "urlquery.decode_object", s) != BI_OK)
        return BI_ERR;
    uint32_t parts = 1;
    for (uint32_t i = 0; i < s->len; i++)
        parts += s->u.s[i] == '&';
    qpair *pairs = arena_alloc(ctx->arena, parts * sizeof *pairs);
    if (!pairs)
        return bi_oom(ctx);
    uint32_t np = 0;
    const char *p = s->u.s, *end = s->u.s + s->len;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *e = amp ? amp : end;
        size_t n = (size_t)(e - p);
        if (memchr(p, ';', n))
            return bi_fail(ctx, POL_EVAL_BUILTIN,
                           "urlquery.decode_object: invalid semicolon separator in query");
        if (n > 0) {
            const char *eq = memchr(p, '=', n);
            size_t kn = eq ? (size_t)(eq - p) : n;
            const char *vp = eq ? eq + 1 : e;
            size_t vn = (size_t)(e - vp);
            char *kb = arena_alloc(ctx->arena, kn + 1), *vb = arena_alloc(ctx->arena, vn + 1);
            if (!kb || !vb)
                return bi_oom(ctx);
            size_t bad;
            int64_t kl = query_unescape(p, kn, kb, &bad);
            if (kl < 0)
                return escape_error(ctx, "urlquery.decode_object", p, kn, bad);
            int64_t vl = query_unescape(vp, vn, vb, &bad);
            if (vl < 0)
                return escape_error(ctx, "urlquery.decode_object", vp, vn, bad);
            pairs[np].k = v_str(ctx->arena, kb, (size_t)kl);
            pairs[np].v = v_str(ctx->arena, vb, (size_t)vl);
            pairs[np].seq = np;
            if (!pairs[np].k || !pairs[np].v)
                return bi_oom(ctx);
            np++;
        }
        if (!amp)
            break;
        p = amp + 1;
    }
    pol_sort(pairs, np, sizeof *pairs, cmp_qpair);
    vbuild obj;
    vb_init(&obj, ctx->arena);
    for (uint32_t i = 0; i < np;) {
        vbuild arr;
        vb_init(&arr, ctx->arena);
        uint32_t j = i;
        for (; j < np && val_equal(pairs[j].k, pairs[i].k); j++)
            vb_push(&arr, pairs[j].v);
        const val *a = vb_finish_array(&arr);
        if (!a)
            return bi_oom(ctx);
        vb_put(&obj, pairs[i].k, a);
        i = j;
    }
    return ret_val(ctx, out, vb_finish_object(&obj, NULL));
}

/* ======================================================================
 * Traversal: walk, graph.reachable, graph.reachable_paths
 * ====================================================================== */

typedef struct walker {
    arena *a;
    vbuild out;
    const val **stack; /* the path to the value being visited */
    uint32_t depth, cap;
} walker;

static bool walk_visit(walker *w, const val *x)
{
    const val *path = make_array(w->a, w->stack, w->depth);
    if (!path)
        return false;
    const val *pair_e[2] = {path, x};
    const val *pair = make_array(w->a, pair_e, 2);
    if (!pair || !vb_push(&w->out, pair))
        return false;
    if (x->type != V_ARR && x->type != V_SET && x->type != V_OBJ)
        return true;
    if (w->depth == w->cap) {
        uint32_t cap = w->cap ? w->cap * 2 : 16;
        const val **s = arena_alloc(w->a, cap * sizeof *s);
        if (!s)
            return false;
        if (w->depth)
            memcpy(s, w->stack, w->depth * sizeof *s);
        w->stack = s;
        w->cap = cap;
    }
    for (uint32_t i = 0; i < x->len; i++) {
        const val *key, *child;
        if (x->type == V_OBJ) {
            key = x->u.o.k[i];
            child = x->u.o.v[i];
        } else if (x->type == V_SET) {
            key = child = x->u.a[i];
        } else {
            key = v_int(w->a, i);
            child = x->u.a[i];
            if (!key)
                return false;
        }
        w->stack[w->depth++] = key;
        bool ok = walk_visit(w, child);
        w->depth--;
        if (!ok)
            return false;
    }
    return true;
}

/* All [path, value] pairs under x, pre-order (the value before its
 * children; arrays by index, objects and sets in canonical order). */
bi_status bi_walk(bi_ctx *ctx, const val *const *args, const val **out)
{
    walker w = {ctx->arena, {0}, NULL, 0, 0};
    vb_init(&w.out, ctx->arena);
    if (!walk_visit(&w, args[0]))
        return bi_oom(ctx);
    return ret_val(ctx, out, vb_finish_array(&w.out));
}

/* Position of key in obj's sorted keys, or -1. */
static int64_t obj_key_index(const val *obj, const val *key)
{
    uint32_t lo = 0, hi = obj->len;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = val_compare(obj->u.o.k[mid], key);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Edges are an array or a set of nodes; anything else has none. */
static uint32_t edge_count(const val *e)
{
    return e->type == V_ARR || e->type == V_SET ? e->len : 0;
}

static bi_status graph_operands(bi_ctx *ctx, const char *name, const val *const *args)
{
    if (args[0]->type != V_OBJ)
        return bi_type_fail(ctx, name, 1, "object", args[0]);
    if (args[1]->type != V_ARR && args[1]->type != V_SET)
        return bi_type_fail(ctx, name, 2, "{array, set}", args[1]);
    return BI_OK;
}

bi_status bi_graph_reachable(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (graph_operands(ctx, "graph.reachable", args) != BI_OK)
        return BI_ERR;
    const val *g = args[0], *init = args[1];
    bool *reached = arena_alloc(ctx->arena, g->len + 1);
    /* Every node enters the queue at most once per edge pointing at it
     * while unreached, plus the initial ones. */
    size_t edges = init->len;
    for (uint32_t i = 0; i < g->len; i++)
        edges += edge_count(g->u.o.v[i]);
    const val **queue = arena_alloc(ctx->arena, (edges ? edges : 1) * sizeof *queue);
    if (!reached || !queue)
        return bi_oom(ctx);
    memset(reached, 0, g->len + 1);
    size_t head = 0, tail = 0;
    for (uint32_t i = 0; i < init->len; i++)
        queue[tail++] = init->u.a[i];
    while (head < tail) {
        int64_t idx = obj_key_index(g, queue[head++]);
        if (idx < 0 || reached[idx])
            continue;
        reached[idx] = true;
        const val *e = g->u.o.v[idx];
        for (uint32_t j = 0; j < edge_count(e); j++) {
            int64_t n = obj_key_index(g, e->u.a[j]);
            if (n >= 0 && !reached[n] && tail < edges)
                queue[tail++] = e->u.a[j];
        }
    }
    vbuild b;
    vb_init(&b, ctx->arena);
    for (uint32_t i = 0; i < g->len; i++)
        if (reached[i])
            vb_push(&b, g->u.o.k[i]);
    return ret_val(ctx, out, vb_finish_set(&b));
}

/* OPA's pathBuilder (the version its conformance cases pin), iteratively.
 * Depth-first from each edge of each initial node, with one "reached" set
 * per such edge, shared by the whole descent: a node becomes reached when
 * the walk first descends from it, and an edge to a reached node commits
 * the current path instead of following it. Paths are also committed at
 * nodes without edges and before nodes missing from the graph. Every
 * ancestor on the path is reached, so the depth is at most the number of
 * graph keys, and every node descends at most once per start edge. */
typedef struct rp_frame {
    const val *edges;
    uint32_t next;
    uint32_t idx; /* the node's position among the graph keys */
} rp_frame;

typedef struct rpaths {
    arena *a;
    const val *g;
    const val **path;
    bool *reached; /* per graph key */
    rp_frame *frames;
    uint32_t plen, nframes;
    vbuild out;
} rpaths;

static bool rp_commit(rpaths *r)
{
    const val *p = make_array(r->a, r->path, r->plen);
    return p && vb_push(&r->out, p);
}

static bool rp_visit(rpaths *r, const val *node)
{
    int64_t idx = obj_key_index(r->g, node);
    if (idx < 0)
        return rp_commit(r);
    r->path[r->plen++] = node;
    const val *e = r->g->u.o.v[idx];
    if (edge_count(e) == 0) {
        bool ok = rp_commit(r);
        r->plen--;
        return ok;
    }
    r->frames[r->nframes++] = (rp_frame){e, 0, (uint32_t)idx};
    return true;
}

static bool rp_run(rpaths *r)
{
    while (r->nframes > 0) {
        rp_frame *f = &r->frames[r->nframes - 1];
        if (f->next == edge_count(f->edges)) {
            r->nframes--;
            r->plen--;
            continue;
        }
        const val *nb = f->edges->u.a[f->next++];
        int64_t idx = obj_key_index(r->g, nb);
        bool ok;
        if (idx >= 0 && r->reached[idx]) {
            ok = rp_commit(r);
        } else {
            r->reached[f->idx] = true;
            ok = rp_visit(r, nb);
        }
        if (!ok)
            return false;
    }
    return true;
}

bi_status bi_graph_reachable_paths(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (graph_operands(ctx, "graph.reachable_paths", args) != BI_OK)
        return BI_ERR;
    const val *g = args[0], *init = args[1];
    /* The path holds the start node plus distinct graph keys. */
    rpaths r = {ctx->arena, g, NULL, NULL, NULL, 0, 0, {0}};
    r.path = arena_alloc(ctx->arena, ((size_t)g->len + 2) * sizeof *r.path);
    r.reached = arena_alloc(ctx->arena, (size_t)g->len + 1);
    r.frames = arena_alloc(ctx->arena, ((size_t)g->len + 2) * sizeof *r.frames);
    if (!r.path || !r.reached || !r.frames)
        return bi_oom(ctx);
    vb_init(&r.out, ctx->arena);
    for (uint32_t i = 0; i < init->len; i++) {
        const val *node = init->u.a[i];
        int64_t idx = obj_key_index(g, node);
        if (idx < 0)
            continue;
        const val *e = g->u.o.v[idx];
        if (edge_count(e) == 0) {
            r.path[0] = node;
            r.plen = 1;
            if (!rp_commit(&r))
                return bi_oom(ctx);
            continue;
        }
        for (uint32_t j = 0; j < edge_count(e); j++) {
            memset(r.reached, 0, (size_t)g->len + 1);
            r.reached[idx] = true;
            r.path[0] = node;
            r.plen = 1;
            if (!rp_visit(&r, e->u.a[j]) || !rp_run(&r))
                return bi_oom(ctx);
        }
    }
    return ret_val(ctx, out, vb_finish_set(&r.out));
}
