/* Values: constructors, builders, Rego's total order, equality, hashing,
 * lookups, and number text (parsing and printing).
 *
 * Numbers have three representations that must behave as one numeric
 * type: NUM_INT (exact int64), NUM_FLOAT (double) and NUM_BIG (decimal
 * text kept because neither of the others holds it exactly). Constructors
 * keep them canonical:
 *   - an integral double within int64 range is always NUM_INT;
 *   - NUM_BIG is never an int64 integer; it holds integers beyond int64
 *     (as written, e.g. "1e21") and non-integers with more digits than a
 *     double holds.
 * Comparisons involving NUM_BIG are exact decimal comparisons; a double
 * takes part through its shortest round-trip decimal (the text OPA itself
 * would have kept for it). A NUM_BIG equal to a double hashes as that
 * double, so equal values always hash equal.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "vm/numconv.h"
#include "vm/value.h"

const val val_null_c = {.type = V_NULL};
const val val_true_c = {.type = V_BOOL, .u.b = true};
const val val_false_c = {.type = V_BOOL, .u.b = false};
const val val_empty_str_c = {.type = V_STR, .u.s = ""};
const val val_empty_arr_c = {.type = V_ARR};
const val val_empty_obj_c = {.type = V_OBJ};
const val val_empty_set_c = {.type = V_SET};

/* 2^63 as a double: the first value past INT64_MAX. */
#define TWO_POW_63 9223372036854775808.0

/* ---- decimal text ------------------------------------------------------- */

/* A decimal number text [+-]digits[.digits][(e|E)[+-]digits], viewed as
 * 0.D × 10^point where D are the significant digits (no leading or
 * trailing zeros). Nothing is copied: digits are read from the text. */
typedef struct dec {
    const char *m; /* mantissa text (digits and at most one '.') */
    size_t mlen;   /* chars in m */
    size_t dot;    /* index of '.' in m, or mlen */
    size_t first;  /* digit index of the first significant digit */
    size_t last;   /* digit index of the last significant digit */
    int64_t point; /* decimal exponent of 0.D */
    bool neg, zero;
} dec;

/* Exponents are clamped far beyond anything a double or sane input holds,
 * so arithmetic on them cannot overflow. */
#define DEC_EXP_LIMIT 1000000000000LL

static char dec_digit(const dec *d, size_t i)
{
    size_t c = i + (i >= d->dot ? 1 : 0);
    return d->m[c];
}

/* Parses a decimal text; false if it is not one. Leading '+' is accepted
 * (callers that need strict JSON check the grammar themselves). */
static bool dec_parse(const char *s, size_t n, dec *d)
{
    size_t i = 0;
    memset(d, 0, sizeof *d);
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        d->neg = s[i] == '-';
        i++;
    }
    d->m = s + i;
    size_t ndigits = 0, int_digits = 0;
    bool seen_dot = false;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && !seen_dot))) {
        if (s[i] == '.') {
            seen_dot = true;
            d->dot = (size_t)(s + i - d->m);
        } else {
            ndigits++;
            if (!seen_dot)
                int_digits++;
        }
        i++;
    }
    d->mlen = (size_t)(s + i - d->m);
    if (!seen_dot)
        d->dot = d->mlen;
    if (ndigits == 0)
        return false;
    int64_t e = 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i >= n || s[i] < '0' || s[i] > '9')
            return false;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (e < DEC_EXP_LIMIT)
                e = e * 10 + (s[i] - '0');
        }
        if (eneg)
            e = -e;
    }
    if (i != n)
        return false;
    size_t f = 0;
    while (f < ndigits && dec_digit(d, f) == '0')
        f++;
    if (f == ndigits) {
        d->zero = true;
        return true;
    }
    size_t l = ndigits - 1;
    while (dec_digit(d, l) == '0')
        l--;
    d->first = f;
    d->last = l;
    d->point = (int64_t)int_digits - (int64_t)f + e;
    return true;
}

static int dec_sign(const dec *d)
{
    return d->zero ? 0 : (d->neg ? -1 : 1);
}

static int dec_cmp(const dec *a, const dec *b)
{
    int sa = dec_sign(a), sb = dec_sign(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (sa == 0)
        return 0;
    int mag = 0;
    if (a->point != b->point) {
        mag = a->point > b->point ? 1 : -1;
    } else {
        size_t na = a->last - a->first + 1, nb = b->last - b->first + 1;
        size_t n = na > nb ? na : nb;
        for (size_t i = 0; i < n && mag == 0; i++) {
            char ca = i < na ? dec_digit(a, a->first + i) : '0';
            char cb = i < nb ? dec_digit(b, b->first + i) : '0';
            if (ca != cb)
                mag = ca < cb ? -1 : 1;
        }
    }
    return sa * mag;
}

/* The exact integer value of d if it is one within int64. */
static bool dec_to_int64(const dec *d, int64_t *out)
{
    if (d->zero) {
        *out = 0;
        return true;
    }
    size_t nd = d->last - d->first + 1;
    if (d->point < (int64_t)nd || d->point > 19)
        return false;
    uint64_t u = 0;
    for (int64_t i = 0; i < d->point; i++) {
        unsigned dig = (size_t)i < nd ? (unsigned)(dec_digit(d, d->first + (size_t)i) - '0') : 0;
        if (u > (UINT64_MAX - dig) / 10)
            return false;
        u = u * 10 + dig;
    }
    if (d->neg) {
        if (u > (uint64_t)INT64_MAX + 1)
            return false;
        *out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
    } else {
        if (u > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)u;
    }
    return true;
}

/* ---- doubles as shortest decimal ---------------------------------------- */

/* A double's shortest digits as decimal text "[-]0.DIGITSe<point>" that
 * dec_parse reads; returns the length. */
static int double_dec_text(double d, char *buf, size_t cap)
{
    num_decimal nd;
    num_shortest_double(d, &nd);
    return snprintf(buf, cap, "%s0.%.*se%d", signbit(d) ? "-" : "", nd.ndigits, nd.digits, nd.point);
}

/* Whether the parsed decimal d is exactly the double x's shortest digits. */
static bool dec_is_shortest_of(const dec *d, double x)
{
    if (d->zero || x == 0)
        return d->zero && x == 0;
    num_decimal nd;
    num_shortest_double(x, &nd);
    if (d->neg != (x < 0) || d->point != nd.point || d->last - d->first + 1 != (size_t)nd.ndigits)
        return false;
    for (int i = 0; i < nd.ndigits; i++)
        if (dec_digit(d, d->first + (size_t)i) != nd.digits[i])
            return false;
    return true;
}

void num_write_decimal(sbuf *b, const num_decimal *d, bool neg, int plain_lo, int plain_hi, int exp_digits)
{
    const char *digits = d->digits;
    size_t n = (size_t)d->ndigits;
    long point = d->point, exp10 = point - 1; /* point: digits before the decimal point */
    if (neg)
        sb_putc(b, '-');
    if (exp10 < plain_lo || exp10 >= plain_hi) {
        char tail[32];
        sb_putc(b, digits[0]);
        if (n > 1) {
            sb_putc(b, '.');
            sb_put(b, digits + 1, n - 1);
        }
        snprintf(tail, sizeof tail, "e%c%0*ld", exp10 < 0 ? '-' : '+', exp_digits,
                 exp10 < 0 ? -exp10 : exp10);
        sb_puts(b, tail);
    } else if (point <= 0) {
        sb_puts(b, "0.");
        for (long i = 0; i < -point; i++)
            sb_putc(b, '0');
        sb_put(b, digits, n);
    } else if ((size_t)point >= n) {
        sb_put(b, digits, n);
        for (size_t i = n; i < (size_t)point; i++)
            sb_putc(b, '0');
    } else {
        sb_put(b, digits, (size_t)point);
        sb_putc(b, '.');
        sb_put(b, digits + point, n - (size_t)point);
    }
}

/* A finite double the way Go's encoding/json writes it (which is how OPA
 * prints a float64): shortest round-trip digits, plain notation for
 * 1e-6 <= |d| < 1e21, else exponent form with no exponent padding
 * ("1e+21", "1.5e-7"). */
static void num_write_double(sbuf *b, double d)
{
    if (!isfinite(d)) {
        /* Not representable in JSON; the arithmetic layer never produces
         * these on purpose. null keeps the output parseable. */
        sb_puts(b, "null");
        return;
    }
    if (d == 0) {
        sb_putc(b, '0');
        return;
    }
    num_decimal nd;
    num_shortest_double(d, &nd);
    num_write_decimal(b, &nd, d < 0, -6, 21, 1);
}

static void num_write_float(sbuf *b, const val *x)
{
    uint64_t mant;
    int exp10;
    if (!val_float_hint(x, &mant, &exp10)) {
        num_write_double(b, x->u.d);
        return;
    }
    num_decimal nd;
    num_decimal_from_scaled(mant, exp10, &nd);
    num_write_decimal(b, &nd, x->u.d < 0, -6, 21, 1);
}

void json_write_number(sbuf *b, const val *x)
{
    if (!x || x->type != V_NUM) {
        sb_puts(b, "null");
        return;
    }
    switch (x->nk) {
    case NUM_INT: {
        /* Digits from the right; the magnitude as unsigned so INT64_MIN
         * needs no special case. This is the hottest printing path. */
        char t[24];
        size_t o = sizeof t;
        uint64_t u = x->u.i < 0 ? 0 - (uint64_t)x->u.i : (uint64_t)x->u.i;
        do {
            t[--o] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (x->u.i < 0)
            t[--o] = '-';
        sb_put(b, t + o, sizeof t - o);
        return;
    }
    case NUM_BIG: sb_put(b, x->u.s, x->len); return;
    default: num_write_float(b, x); return;
    }
}

/* The number as decimal text in buf (for exact comparison with NUM_BIG).
 * Returns false for non-finite doubles. */
static bool num_as_dec(const val *x, char *buf, size_t cap, dec *d)
{
    int n;
    switch (x->nk) {
    case NUM_BIG: return dec_parse(x->u.s, x->len, d);
    case NUM_INT: n = snprintf(buf, cap, "%lld", (long long)x->u.i); break;
    default:
        if (!isfinite(x->u.d))
            return false;
        n = double_dec_text(x->u.d, buf, cap);
        break;
    }
    if (n <= 0 || (size_t)n >= cap)
        return false;
    return dec_parse(buf, (size_t)n, d);
}

/* ---- constructors ------------------------------------------------------- */

static val *val_new(arena *a, vtype t)
{
    val *v = arena_alloc(a, sizeof *v);
    if (v) {
        memset(v, 0, sizeof *v);
        v->type = (uint8_t)t;
    }
    return v;
}

/* Small non-negative integers (counts, indexes, most JSON numbers) are
 * shared constants: building them costs no arena space (v_int, value.h). */
#define SI1(n)                                                                                               \
    {                                                                                                        \
        .type = V_NUM, .nk = NUM_INT, .u.i = (n)                                                             \
    }
#define SI4(n) SI1(n), SI1((n) + 1), SI1((n) + 2), SI1((n) + 3)
#define SI16(n) SI4(n), SI4((n) + 4), SI4((n) + 8), SI4((n) + 12)
#define SI64(n) SI16(n), SI16((n) + 16), SI16((n) + 32), SI16((n) + 48)
const val val_small_ints[VAL_SMALL_INT_LIMIT] = {SI64(0), SI64(64), SI64(128), SI64(192)};

/* Stores mant·10^exp10 as x's hint when it fits (else leaves none). */
static void float_hint_store(val *x, uint64_t mant, int exp10)
{
    if (mant == 0)
        return;
    num_strip_zeros(&mant, &exp10);
    if (mant > VAL_HINT_MANT_MAX || exp10 < -VAL_HINT_BIAS || exp10 >= 256 - VAL_HINT_BIAS)
        return;
    x->len = (uint32_t)mant;
    x->flags = (uint16_t)((exp10 + VAL_HINT_BIAS) << VAL_HINT_SHIFT);
}

void val_float_set_hint(val *x)
{
    uint64_t mant;
    int exp10;
    x->len = 0;
    x->flags = 0;
    if (x->type == V_NUM && x->nk == NUM_FLOAT && num_double_short_scaled(x->u.d, &mant, &exp10))
        float_hint_store(x, mant, exp10);
}

const val *v_float(arena *a, double d)
{
    return v_float_dec(a, d, 0, 0);
}

const val *v_float_dec(arena *a, double d, uint64_t mant, int exp10)
{
    if (isfinite(d) && d == trunc(d) && d >= -TWO_POW_63 && d < TWO_POW_63)
        return v_int(a, (int64_t)d);
    val *v = val_new(a, V_NUM);
    if (v) {
        v->nk = NUM_FLOAT;
        v->u.d = d;
        if (mant)
            float_hint_store(v, mant, exp10);
        else
            val_float_set_hint(v);
    }
    return v;
}

static val *v_big(arena *a, const char *s, size_t n)
{
    if (n > UINT32_MAX)
        return NULL;
    /* the text right after the val: one allocation (val's size keeps
     * the text aligned as the arena would) */
    val *v = arena_alloc(a, sizeof *v + n + 1);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    v->type = V_NUM;
    char *t = (char *)(v + 1);
    memcpy(t, s, n);
    t[n] = '\0';
    v->nk = NUM_BIG;
    v->len = (uint32_t)n;
    v->u.s = t;
    return v;
}

const val *v_num_big(arena *a, const char *s, size_t n)
{
    return n ? v_big(a, s, n) : NULL;
}

const val *v_num_big_digits(arena *a, const char *s, size_t n, size_t nd, int dp)
{
    val *v = n ? v_big(a, s, n) : NULL;
    if (v && nd >= 1 && nd <= 15 && dp >= -VAL_BIG_DP_BIAS + 1 && dp < VAL_BIG_DP_BIAS)
        v->flags = (uint16_t)(nd << VAL_HINT_SHIFT | (unsigned)(dp + VAL_BIG_DP_BIAS) << VAL_BIG_DP_SHIFT);
    return v;
}

/* strtod over a length-delimited text (the input need not be
 * NUL-terminated). Long texts go through their first significant digits,
 * which is far more than a double can hold. */
static double dec_strtod(const char *s, size_t n)
{
    char buf[512];
    double fast;
    if (num_text_to_double(s, n, &fast))
        return fast;
    if (n < sizeof buf) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        return strtod(buf, NULL);
    }
    dec d;
    if (!dec_parse(s, n, &d))
        return NAN;
    if (d.zero)
        return d.neg ? -0.0 : 0.0;
    size_t o = 0, nd = d.last - d.first + 1;
    if (d.neg)
        buf[o++] = '-';
    buf[o++] = '0';
    buf[o++] = '.';
    for (size_t i = 0; i < nd && o < 440; i++)
        buf[o++] = dec_digit(&d, d.first + i);
    snprintf(buf + o, sizeof buf - o, "e%lld", (long long)d.point);
    return strtod(buf, NULL);
}

/* JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * Returns the length of the number at s (0 if there is none) and whether
 * it has a fraction or exponent. */
static bool json_number_grammar(const char *s, size_t n, bool *is_integer)
{
    size_t i = 0;
    *is_integer = true;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n)
        return false;
    if (s[i] == '0') {
        i++;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        *is_integer = false;
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return false;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *is_integer = false;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return false;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return i == n;
}

/* Accepts exactly JSON number texts; anything else gives NULL (as does a
 * full arena). */
const val *v_num_text(arena *a, const char *s, size_t n)
{
    bool is_integer;
    if (!s || !json_number_grammar(s, n, &is_integer))
        return NULL;
    if (is_integer) {
        /* Digits only: exact int64 or kept as text. */
        size_t i = s[0] == '-' ? 1 : 0;
        uint64_t u = 0;
        bool fits = true;
        for (; i < n; i++) {
            unsigned dig = (unsigned)(s[i] - '0');
            if (u > (UINT64_MAX - dig) / 10) {
                fits = false;
                break;
            }
            u = u * 10 + dig;
        }
        if (fits && s[0] == '-' && u <= (uint64_t)INT64_MAX + 1)
            return v_int(a, u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u);
        if (fits && s[0] != '-' && u <= (uint64_t)INT64_MAX)
            return v_int(a, (int64_t)u);
        return v_big(a, s, n);
    }
    dec d;
    if (!dec_parse(s, n, &d))
        return NULL;
    int64_t iv;
    if (dec_to_int64(&d, &iv)) /* "1.0", "1e3", "-0.0" */
        return v_int(a, iv);
    /* An integer beyond int64 keeps its text, however it is spelled, so
     * it prints back exactly as OPA (which keeps number literals) does. */
    if (d.point > 0 && (int64_t)(d.last - d.first + 1) <= d.point)
        return v_big(a, s, n);
    size_t sig = d.last - d.first + 1;
    /* No double's shortest spelling has more than 17 digits: such a text
     * is kept whatever it rounds to (and strtod is the costly part). */
    if (sig > DBL_DECIMAL_DIG)
        return v_big(a, s, n);
    double x = dec_strtod(s, n);
    if (!isfinite(x) || (x == 0 && !d.zero))
        return v_big(a, s, n); /* overflow or underflow: only the text is exact */
    /* Up to 15 significant digits always survive a trip through a normal
     * double (DBL_DIG), so only longer texts need the exact check; and
     * being the only decimal that short to read back as x, they are its
     * shortest digits: the hint, for free. */
    if (sig <= DBL_DIG && fabs(x) >= DBL_MIN) {
        uint64_t mant = 0;
        for (size_t i = d.first; i <= d.last; i++)
            mant = mant * 10 + (uint64_t)(dec_digit(&d, i) - '0');
        return v_float_dec(a, x, mant, (int)(d.point - (int64_t)sig));
    }
    return dec_is_shortest_of(&d, x) ? v_float(a, x) : v_big(a, s, n);
}

const val *v_str(arena *a, const char *s, size_t n)
{
    if (n == 0)
        return &val_empty_str_c;
    if (n > UINT32_MAX || !s)
        return NULL;
    /* One block: the value, then its bytes (saves an allocation's
     * rounding, which dominates for short strings). */
    val *v = arena_alloc(a, sizeof *v + n + 1);
    if (!v)
        return NULL;
    char *t = (char *)(v + 1);
    memset(v, 0, sizeof *v);
    v->type = V_STR;
    memcpy(t, s, n);
    t[n] = '\0';
    v->len = (uint32_t)n;
    v->u.s = t;
    return v;
}

const val *v_str_ref(arena *a, const char *s, size_t n)
{
    if (n == 0)
        return &val_empty_str_c;
    if (n > UINT32_MAX || !s)
        return NULL;
    val *v = val_new(a, V_STR);
    if (v) {
        v->len = (uint32_t)n;
        v->u.s = s;
    }
    return v;
}

const val *v_cstr(arena *a, const char *s)
{
    return s ? v_str(a, s, strlen(s)) : NULL;
}

/* ---- builders ------------------------------------------------------------ */

enum { VB_FIRST_CAP = 8 };

void vb_init(vbuild *b, arena *a)
{
    memset(b, 0, sizeof *b);
    b->a = a;
}

void vb_init_cap(vbuild *b, arena *a, uint32_t cap, bool with_values)
{
    vb_init(b, a);
    if (cap == 0)
        return;
    const val **room = arena_alloc(a, (size_t)cap * sizeof *room * (with_values ? 2 : 1));
    if (!room) {
        b->oom = true;
        return;
    }
    vb_init_room(b, a, room, cap, with_values);
}

/* Doubles capacity; the old arrays are abandoned to the arena. */
static bool vb_grow(vbuild *b, bool with_values)
{
    if (b->oom)
        return false;
    if (b->cap > UINT32_MAX / 2) {
        b->oom = true;
        return false;
    }
    uint32_t cap = b->cap ? b->cap * 2 : VB_FIRST_CAP;
    const val **k = arena_alloc(b->a, (size_t)cap * sizeof *k);
    const val **v = with_values ? arena_alloc(b->a, (size_t)cap * sizeof *v) : NULL;
    if (!k || (with_values && !v)) {
        b->oom = true;
        return false;
    }
    if (b->n) {
        memcpy(k, b->k, (size_t)b->n * sizeof *k);
        if (with_values)
            memcpy(v, b->v, (size_t)b->n * sizeof *v);
    }
    b->k = k;
    b->v = v;
    b->cap = cap;
    return true;
}

bool vb_push_slow(vbuild *b, const val *x)
{
    if (!x)
        b->oom = true;
    if (b->oom || (b->n == b->cap && !vb_grow(b, false)))
        return false;
    b->k[b->n++] = x;
    return true;
}

bool vb_put(vbuild *b, const val *k, const val *x)
{
    if (!k || !x)
        b->oom = true;
    /* A builder used for pairs must keep v parallel to k from the start. */
    if (!b->oom && b->cap && !b->v)
        b->oom = true;
    if (b->oom || (b->n == b->cap && !vb_grow(b, true)))
        return false;
    b->k[b->n] = k;
    b->v[b->n] = x;
    b->n++;
    return true;
}

const val *vb_finish_array(vbuild *b)
{
    if (b->oom)
        return NULL;
    if (b->n == 0)
        return &val_empty_arr_c;
    val *v = val_new(b->a, V_ARR);
    if (!v)
        return NULL;
    v->len = b->n;
    v->u.a = b->k;
    return v;
}

/* val_compare, with the usual case of strings that differ in their first
 * byte decided without a call */
static inline int cmp_members(const val *x, const val *y)
{
    if (x->type == V_STR && y->type == V_STR && x->len && y->len && x->u.s[0] != y->u.s[0])
        return (unsigned char)x->u.s[0] < (unsigned char)y->u.s[0] ? -1 : 1;
    return val_compare(x, y);
}

/* Small builders (most sets and objects an evaluation makes) are sorted
 * and made unique in one insertion pass, in place: no pair array, no calls
 * through a comparator, no byte-wise swaps (pol_sort's own insertion sort
 * is generic over element size; this one moves pointers and keeps an
 * object's values v parallel to its keys k, v NULL for a set). A member
 * equal to one already placed is dropped where the search meets it; in an
 * object its value must agree. Returns the new count, or VB_CONFLICT when
 * two values of one key differ. */
enum { VB_INSERTION_MAX = 16 };
#define VB_CONFLICT UINT32_MAX

static inline uint32_t sort_small_unique(const val **k, const val **v, uint32_t n)
{
    uint32_t w = 0;
    for (uint32_t i = 0; i < n; i++) {
        const val *key = k[i], *value = v ? v[i] : NULL;
        uint32_t j = w;
        int c = 1;
        while (j > 0 && (c = cmp_members(k[j - 1], key)) > 0)
            j--;
        if (j > 0 && c == 0) {
            if (v && !val_equal(v[j - 1], value))
                return VB_CONFLICT;
            continue;
        }
        for (uint32_t m = w; m > j; m--) {
            k[m] = k[m - 1];
            if (v)
                v[m] = v[m - 1];
        }
        k[j] = key;
        if (v)
            v[j] = value;
        w++;
    }
    return w;
}

/* A string's first eight bytes as a big-endian number, zero-padded when
 * it is shorter: keys that differ order their strings as cmp_bytes does
 * (the padding sorts as the prefix it stands for: below any byte, or
 * equal to a NUL, which leaves the keys equal). */
static inline uint64_t str_key8(const val *x)
{
    uint64_t w = 0;
    if (x->len >= 8) {
        memcpy(&w, x->u.s, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        return __builtin_bswap64(w);
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        return w;
#else
        w = 0;
        for (uint32_t i = 0; i < 8; i++)
            w |= (uint64_t)(unsigned char)x->u.s[i] << (56 - 8 * i);
        return w;
#endif
    }
    for (uint32_t i = 0; i < x->len; i++)
        w |= (uint64_t)(unsigned char)x->u.s[i] << (56 - 8 * i);
    return w;
}

/* A small set of strings whose eight-byte keys all differ (the usual set
 * of messages, `deny contains msg`) sorted without a data-dependent
 * branch: a member's place is the number of smaller keys. Insertion's
 * comparisons go either way at random and each wrong guess costs a
 * pipeline flush, more than this whole count. Distinct keys also make
 * the members distinct. False, nothing moved, when a member is not a
 * string or two keys are equal (their places then collide, and the sum
 * of the places falls short of 0 + 1 + ... + n-1). */
static bool sort_small_strings(const val **k, uint32_t n)
{
    uint64_t key[VB_INSERTION_MAX];
    const val *was[VB_INSERTION_MAX];
    uint32_t place[VB_INSERTION_MAX], sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (k[i]->type != V_STR)
            return false;
        key[i] = str_key8(k[i]);
        was[i] = k[i];
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = 0;
        for (uint32_t j = 0; j < n; j++)
            p += key[j] < key[i];
        place[i] = p;
        sum += p;
    }
    if (sum != n * (n - 1) / 2)
        return false;
    for (uint32_t i = 0; i < n; i++)
        k[place[i]] = was[i];
    return true;
}

static int cmp_valp(const void *x, const void *y)
{
    return val_compare(*(const val *const *)x, *(const val *const *)y);
}

const val *vb_finish_set(vbuild *b)
{
    if (b->oom)
        return NULL;
    if (b->n == 0)
        return &val_empty_set_c;
    uint32_t n = b->n;
    if (n <= VB_INSERTION_MAX) {
        if (n < 2 || !sort_small_strings(b->k, n))
            n = sort_small_unique(b->k, NULL, n);
    } else {
        bool sorted = true;
        for (uint32_t i = 1; i < n && sorted; i++)
            sorted = val_compare(b->k[i - 1], b->k[i]) < 0;
        if (!sorted) {
            pol_sort(b->k, n, sizeof *b->k, cmp_valp);
            uint32_t w = 1;
            for (uint32_t i = 1; i < n; i++) {
                if (val_compare(b->k[w - 1], b->k[i]) != 0)
                    b->k[w++] = b->k[i];
            }
            n = w;
        }
    }
    val *v = val_new(b->a, V_SET);
    if (!v)
        return NULL;
    v->len = n;
    v->u.a = b->k;
    return v;
}

typedef struct vb_pair {
    const val *k, *v;
} vb_pair;

static int cmp_pair(const void *x, const void *y)
{
    return val_compare(((const vb_pair *)x)->k, ((const vb_pair *)y)->k);
}

const val *vb_finish_object(vbuild *b, bool *conflict)
{
    if (conflict)
        *conflict = false;
    if (b->oom)
        return NULL;
    if (b->n == 0)
        return &val_empty_obj_c;
    uint32_t n = b->n;
    /* most objects arrive sorted (literals laid out by the compiler, JSON,
     * other objects' keys): confirming it reads no values */
    bool sorted = true;
    for (uint32_t i = 1; i < n && sorted; i++)
        sorted = val_compare(b->k[i - 1], b->k[i]) < 0;
    if (!sorted && n <= VB_INSERTION_MAX) {
        n = sort_small_unique(b->k, b->v, n);
        if (n == VB_CONFLICT) {
            if (conflict)
                *conflict = true;
            return NULL;
        }
    } else if (!sorted) {
        vb_pair *p = arena_alloc(b->a, (size_t)n * sizeof *p);
        if (!p)
            return NULL;
        for (uint32_t i = 0; i < n; i++) {
            p[i].k = b->k[i];
            p[i].v = b->v[i];
        }
        pol_sort(p, n, sizeof *p, cmp_pair);
        uint32_t w = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (w > 0 && val_compare(b->k[w - 1], p[i].k) == 0) {
                if (!val_equal(b->v[w - 1], p[i].v)) {
                    if (conflict)
                        *conflict = true;
                    return NULL;
                }
                continue;
            }
            b->k[w] = p[i].k;
            b->v[w] = p[i].v;
            w++;
        }
        n = w;
    }
    val *v = val_new(b->a, V_OBJ);
    if (!v)
        return NULL;
    v->len = n;
    v->u.o.k = b->k;
    v->u.o.v = b->v;
    return v;
}

/* ---- order and equality --------------------------------------------------- */

/* Exact int64 against double. */
static int cmp_int_double(int64_t i, double d)
{
    if (isnan(d))
        return 1; /* NaN never arises from JSON; keep the order total anyway */
    /* within ±2^53 the int is exactly a double: one comparison (trunc is
     * a library call on baseline x86-64) */
    if (i >= -((int64_t)1 << 53) && i <= ((int64_t)1 << 53)) {
        double di = (double)i;
        return di < d ? -1 : di > d;
    }
    if (d >= TWO_POW_63)
        return -1;
    if (d < -TWO_POW_63)
        return 1;
    double t = trunc(d);
    int64_t ti = (int64_t)t;
    if (i != ti)
        return i < ti ? -1 : 1;
    if (d > t)
        return -1;
    if (d < t)
        return 1;
    return 0;
}

static int cmp_double(double x, double y)
{
    if (x < y)
        return -1;
    if (x > y)
        return 1;
    if (x == y)
        return 0;
    return isnan(x) ? (isnan(y) ? 0 : -1) : 1;
}

/* Whether s[0..n) are all ASCII digits; *nonzero is set when one of
 * them is not '0'. Eight at a time (word_all_digits); from eight bytes
 * on, the last word overlaps the one before it rather than leaving a
 * tail of bytes. */
static bool all_digits(const char *s, size_t n, bool *nonzero)
{
    const uint64_t threes = 0x3030303030303030ull;
    uint64_t any = 0;
    if (n < 8) {
        for (size_t k = 0; k < n; k++) {
            if ((unsigned)(s[k] - '0') >= 10)
                return false;
            any |= (uint64_t)(s[k] - '0');
        }
        *nonzero = any != 0;
        return true;
    }
    for (size_t k = 0;; k += 8) {
        uint64_t w;
        if (k + 8 > n)
            k = n - 8;
        memcpy(&w, s + k, sizeof w);
        if (!word_all_digits(w))
            return false;
        any |= w ^ threes;
        if (k + 8 == n)
            break;
    }
    *nonzero = any != 0;
    return true;
}

/* The number of ASCII digits (0..8) that begin the eight bytes at s,
 * and, when fewer than eight, their value in *v. Per byte, x = b ^ '0' is
 * below 10 exactly for a digit; x | (x + 0x76) has the high bit set
 * otherwise (x + 0x76 reaches 0x80 from x = 10 on). A byte's sum may
 * carry into the next one, which only disturbs bytes after the first
 * non-digit: the lowest set bit is exact. The digits, moved to the top
 * of the word (leading zero bytes below), are combined by
 * num_eight_digits. Little-endian only; elsewhere it reports 8, like eight
 * digits with no value (the caller's byte loop then reads them). */
static int leading_digits8(const char *s, uint64_t *v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t w;
    memcpy(&w, s, sizeof w);
    uint64_t x = w ^ 0x3030303030303030ull;
    uint64_t bad = (x | (x + 0x7676767676767676ull)) & 0x8080808080808080ull;
    if (!bad)
        return 8;
    int lead = __builtin_ctzll(bad) >> 3;
    if (lead == 0) {
        *v = 0;
        return 0;
    }
    x <<= 8 * (8 - lead); /* drops the bytes from the first non-digit on */
    *v = num_eight_digits(x);
    return lead;
#else
    (void)s, (void)v;
    return 8;
#endif
}

/* A NUM_BIG in plain notation against an int64 (the common mix: a sum
 * with more digits than a double holds, tested against a limit): its
 * integer part decides unless it equals the integer. False when the
 * text has an exponent or an integer part of more than 19 digits. */
static bool cmp_big_int(const val *big, int64_t i, int *out)
{
    const char *s = big->u.s;
    size_t n = big->len, k = n && s[0] == '-' ? 1 : 0;
    bool neg = k == 1, frac = false;
    size_t begin = k;
    uint64_t ip = 0;
    int lead;
    if (n - k > 8 && (lead = leading_digits8(s + k, &ip)) < 8) {
        k += (size_t)lead; /* a non-digit among the first eight bytes */
    } else {
        /* up to 19 digits are below 10^19 < 2^64: no overflow test per digit */
        size_t limit = n - k > 19 ? k + 19 : n;
        ip = 0;
        for (; k < limit && (unsigned)(s[k] - '0') < 10; k++)
            ip = ip * 10 + (uint64_t)(s[k] - '0');
    }
    if (k == begin || (k < n && (unsigned)(s[k] - '0') < 10))
        return false;
    if (k < n && (s[k] != '.' || !all_digits(s + k + 1, n - k - 1, &frac)))
        return false;
    /* the value is ±(ip + f) with f in [0, 1), f > 0 exactly when frac */
    if (!neg) {
        if (i < 0 || ip > (uint64_t)i)
            *out = 1;
        else if (ip < (uint64_t)i)
            *out = -1;
        else
            *out = frac ? 1 : 0;
        return true;
    }
    uint64_t mag = i < 0 ? 0 - (uint64_t)i : 0;
    if (i >= 0)
        *out = ip == 0 && !frac && i == 0 ? 0 : -1;
    else if (ip > mag)
        *out = -1;
    else if (ip < mag)
        *out = 1;
    else
        *out = frac ? -1 : 0;
    return true;
}

static int cmp_number(const val *x, const val *y)
{
    if (x->nk == NUM_INT && y->nk == NUM_INT)
        return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
    if (x->nk != NUM_BIG && y->nk != NUM_BIG) {
        if (x->nk == NUM_INT)
            return cmp_int_double(x->u.i, y->u.d);
        if (y->nk == NUM_INT)
            return -cmp_int_double(y->u.i, x->u.d);
        return cmp_double(x->u.d, y->u.d);
    }
    int c;
    if (x->nk == NUM_BIG && y->nk == NUM_INT && cmp_big_int(x, y->u.i, &c))
        return c;
    if (y->nk == NUM_BIG && x->nk == NUM_INT && cmp_big_int(y, x->u.i, &c))
        return -c;
    /* Rounding to the nearest double is monotonic, so when the two sides'
     * doubles differ the exact values differ the same way (NaN, from a
     * malformed text, compares neither way and goes on to the exact path). */
    double fx = val_to_double(x), fy = val_to_double(y);
    if (fx < fy)
        return -1;
    if (fx > fy)
        return 1;
    char bx[40], by[40];
    dec dx, dy;
    bool okx = num_as_dec(x, bx, sizeof bx, &dx);
    bool oky = num_as_dec(y, by, sizeof by, &dy);
    if (okx && oky)
        return dec_cmp(&dx, &dy);
    /* An infinity or a malformed text: fall back to doubles. */
    return cmp_double(val_to_double(x), val_to_double(y));
}

static int cmp_bytes(const char *a, size_t na, const char *b, size_t nb)
{
    /* most strings that get compared (set members, object keys) differ in
     * their first byte: decide that without a call */
    if (na && nb && a[0] != b[0])
        return (unsigned char)a[0] < (unsigned char)b[0] ? -1 : 1;
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(a, b, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

int val_compare(const val *x, const val *y)
{
    if (x == y)
        return 0;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    /* numbers and strings before the switch, as in val_equal */
    if (x->type == V_NUM) {
        if (x->nk == NUM_INT && y->nk == NUM_INT)
            return x->u.i < y->u.i ? -1 : x->u.i > y->u.i;
        return cmp_number(x, y);
    }
    if (x->type == V_STR)
        return cmp_bytes(x->u.s, x->len, y->u.s, y->len);
    switch ((vtype)x->type) {
    case V_NULL: return 0;
    case V_BOOL: return (int)x->u.b - (int)y->u.b;
    case V_NUM:
    case V_STR: break; /* decided above */
    case V_ARR:
    case V_SET: {
        uint32_t n = x->len < y->len ? x->len : y->len;
        for (uint32_t i = 0; i < n; i++) {
            int c = val_compare(x->u.a[i], y->u.a[i]);
            if (c)
                return c;
        }
        return x->len < y->len ? -1 : x->len > y->len;
    }
    case V_OBJ: {
        uint32_t n = x->len < y->len ? x->len : y->len;
        for (uint32_t i = 0; i < n; i++) {
            int c = val_compare(x->u.o.k[i], y->u.o.k[i]);
            if (c)
                return c;
            c = val_compare(x->u.o.v[i], y->u.o.v[i]);
            if (c)
                return c;
        }
        return x->len < y->len ? -1 : x->len > y->len;
    }
    }
    return 0;
}

bool val_equal(const val *x, const val *y)
{
    if (x == y)
        return true;
    if (!x || !y || x->type != y->type)
        return false;
    /* strings and numbers, nearly every test a policy makes, by compare
     * and branch: the switch's jump table is one indirect jump for every
     * caller, guessed wrong whenever the type differs from the last call */
    if (x->type == V_STR)
        return x->len == y->len && val_same_bytes(x->u.s, y->u.s, x->len);
    if (x->type == V_NUM)
        return x->nk == NUM_INT && y->nk == NUM_INT ? x->u.i == y->u.i : cmp_number(x, y) == 0;
    switch ((vtype)x->type) {
    case V_NULL: return true;
    case V_BOOL: return x->u.b == y->u.b;
    case V_NUM:
    case V_STR: break; /* decided above */
    case V_ARR:
    case V_SET:
        if (x->len != y->len)
            return false;
        for (uint32_t i = 0; i < x->len; i++) {
            if (!val_equal(x->u.a[i], y->u.a[i]))
                return false;
        }
        return true;
    case V_OBJ:
        if (x->len != y->len)
            return false;
        for (uint32_t i = 0; i < x->len; i++) {
            if (!val_equal(x->u.o.k[i], y->u.o.k[i]) || !val_equal(x->u.o.v[i], y->u.o.v[i]))
                return false;
        }
        return true;
    }
    return false;
}

/* ---- hashing --------------------------------------------------------------- */

static uint64_t hash_mix(uint64_t h, uint64_t x)
{
    h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h *= 0xBF58476D1CE4E5B9ULL;
    return h ^ (h >> 31);
}

static uint64_t hash_u64(uint64_t x, uint64_t seed, uint8_t tag)
{
    unsigned char buf[9];
    memcpy(buf, &x, 8);
    buf[8] = tag;
    return XXH3_64bits_withSeed(buf, sizeof buf, seed);
}

enum { HT_INT = 1, HT_DOUBLE, HT_DEC };

/* Equal numbers hash equal whatever their representation: an exact int64
 * hashes as that integer; a value that is exactly some double hashes as
 * its bits; only a NUM_BIG holding more than a double can hashes its
 * significant digits and exponent. */
static uint64_t hash_number(const val *x, uint64_t seed)
{
    int64_t iv;
    if (val_is_int(x, &iv))
        return hash_u64((uint64_t)iv, seed, HT_INT);
    double d = val_to_double(x);
    if (x->nk == NUM_BIG && isfinite(d)) {
        dec dx;
        if (dec_parse(x->u.s, x->len, &dx) && !dec_is_shortest_of(&dx, d)) {
            uint64_t h = hash_mix(seed, dx.zero ? 0 : (uint64_t)dx.point);
            h = hash_mix(h, dx.neg && !dx.zero);
            if (!dx.zero) {
                for (size_t i = dx.first; i <= dx.last; i++)
                    h = hash_mix(h, (uint64_t)(dec_digit(&dx, i) - '0'));
            }
            return hash_u64(h, seed, HT_DEC);
        }
    }
    if (d == trunc(d) && d >= -TWO_POW_63 && d < TWO_POW_63)
        return hash_u64((uint64_t)(int64_t)d, seed, HT_INT);
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return hash_u64(bits, seed, HT_DOUBLE);
}

uint64_t val_hash(const val *x, uint64_t seed)
{
    uint64_t h;
    switch ((vtype)x->type) {
    case V_NULL: return hash_u64(0, seed, 0x10);
    case V_BOOL: return hash_u64(x->u.b, seed, 0x11);
    case V_NUM: return hash_number(x, seed);
    case V_STR: return XXH3_64bits_withSeed(x->u.s, x->len, seed ^ 0x5354520000000000ULL);
    case V_ARR:
    case V_SET:
        h = hash_u64(x->len, seed, x->type == V_ARR ? 0x14 : 0x16);
        for (uint32_t i = 0; i < x->len; i++)
            h = hash_mix(h, val_hash(x->u.a[i], seed));
        return h;
    case V_OBJ:
        h = hash_u64(x->len, seed, 0x15);
        for (uint32_t i = 0; i < x->len; i++) {
            h = hash_mix(h, val_hash(x->u.o.k[i], seed));
            h = hash_mix(h, val_hash(x->u.o.v[i], seed));
        }
        return h;
    }
    return seed;
}

/* ---- lookups ---------------------------------------------------------------- */

/* Position of a string key among sorted keys: keys of other types order
 * against it by type tag alone. */
static int cmp_key_str(const val *k, const char *s, size_t n)
{
    if (k->type != V_STR)
        return k->type < V_STR ? -1 : 1;
    /* keys mostly differ in their first byte: decide those without a call */
    if (k->len && n && k->u.s[0] != s[0])
        return (unsigned char)k->u.s[0] < (unsigned char)s[0] ? -1 : 1;
    return cmp_bytes(k->u.s, k->len, s, n);
}

/* ---- hash indexes over large objects and sets ------------------------------ */

/* Open addressing over the string members (object keys, set elements) of
 * a collection, at most half full: a slot is (tag << 32) | (position + 1),
 * 0 when empty; the tag is the high half of the string's hash and the low
 * bits pick the first probe. */
typedef struct hash_index {
    uint64_t mask;
    uint64_t slot[];
} hash_index;

/* The members an index covers: an object's keys, a set's elements. */
static const val *const *indexed_members(const val *x)
{
    return x->type == V_OBJ ? x->u.o.k : x->u.a;
}

/* Position of string s among the members of an indexed collection, or -1. */
static int64_t hash_find_str(const val *x, const char *s, size_t n)
{
    const val *const *members = indexed_members(x);
    const hash_index *ix = (const hash_index *)(const void *)members[x->len];
    uint64_t h = XXH3_64bits(s, n);
    uint32_t tag = (uint32_t)(h >> 32);
    for (uint64_t pos = h & ix->mask;; pos = (pos + 1) & ix->mask) {
        uint64_t slot = ix->slot[pos];
        if (slot == 0)
            return -1;
        if ((uint32_t)(slot >> 32) != tag)
            continue;
        uint32_t i = (uint32_t)slot - 1;
        const val *m = members[i];
        if (m->len == n && (n == 0 || memcmp(m->u.s, s, n) == 0))
            return i;
    }
}

/* The index goes after the members, in an array one longer than the
 * collection (members[len]), so the value keeps its layout for everyone
 * else. */
static bool build_index(arena *a, val *x)
{
    size_t cap = 1;
    while (cap < 2 * (size_t)x->len)
        cap <<= 1;
    hash_index *ix = arena_alloc(a, sizeof *ix + cap * sizeof ix->slot[0]);
    const val **members = arena_alloc(a, ((size_t)x->len + 1) * sizeof *members);
    if (!ix || !members)
        return false;
    ix->mask = cap - 1;
    memset(ix->slot, 0, cap * sizeof ix->slot[0]);
    const val *const *old = indexed_members(x);
    for (uint32_t i = 0; i < x->len; i++) {
        const val *m = old[i];
        members[i] = m;
        if (m->type != V_STR)
            continue;
        uint64_t h = XXH3_64bits(m->u.s, m->len), pos = h & ix->mask;
        while (ix->slot[pos] != 0)
            pos = (pos + 1) & ix->mask;
        ix->slot[pos] = (h >> 32 << 32) | ((uint64_t)i + 1);
    }
    members[x->len] = (const val *)(const void *)ix;
    if (x->type == V_OBJ)
        x->u.o.k = members;
    else
        x->u.a = members;
    x->flags |= VF_HASHED;
    return true;
}

/* Depth is bounded by the parsers' nesting limits; the cap here only
 * keeps a hostile hand-built value from exhausting the stack. */
enum { HASH_INDEX_MAX_DEPTH = 4096 };

static bool build_indexes(arena *a, const val *x, int depth)
{
    if ((x->type != V_ARR && x->type != V_SET && x->type != V_OBJ) || x->len == 0 || (x->flags & VF_WALKED) ||
        depth > HASH_INDEX_MAX_DEPTH)
        return true;
    val *m = (val *)(uintptr_t)x; /* the bundle's own memory, not yet shared */
    m->flags |= VF_WALKED;
    bool ok = true;
    if (x->type != V_OBJ) {
        for (uint32_t i = 0; i < x->len; i++)
            ok = build_indexes(a, x->u.a[i], depth + 1) && ok;
    } else {
        for (uint32_t i = 0; i < x->len; i++)
            ok = build_indexes(a, x->u.o.k[i], depth + 1) && build_indexes(a, x->u.o.v[i], depth + 1) && ok;
    }
    if (x->type != V_ARR && x->len >= VAL_HASH_INDEX_MIN_KEYS && !(x->flags & VF_HASHED))
        ok = build_index(a, m) && ok;
    return ok;
}

bool val_build_hash_indexes(arena *a, const val *root)
{
    return !root || build_indexes(a, root, 0);
}

const val *val_obj_get_str(const val *obj, const char *key, size_t n)
{
    if (!obj || obj->type != V_OBJ || (!key && n))
        return NULL;
    if (obj->flags & VF_HASHED) {
        int64_t i = hash_find_str(obj, key, n);
        return i < 0 ? NULL : obj->u.o.v[i];
    }
    if (obj->len <= VAL_SMALL_OBJECT)
        return val_small_obj_get_str(obj, key, n);
    size_t lo = 0, hi = obj->len;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_key_str(obj->u.o.k[mid], key, n);
        if (c == 0)
            return obj->u.o.v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Index of x in a sorted element list, or -1. */
static int64_t sorted_find(const val *const *xs, uint32_t n, const val *x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = val_compare(xs[mid], x);
        if (c == 0)
            return (int64_t)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const val *val_obj_get(const val *obj, const val *key)
{
    if (!obj || !key || obj->type != V_OBJ)
        return NULL;
    if (key->type == V_STR)
        return val_obj_get_str(obj, key->u.s, key->len);
    int64_t i = sorted_find(obj->u.o.k, obj->len, key);
    return i < 0 ? NULL : obj->u.o.v[i];
}

/* Position of x in a set, or -1: strings in an indexed set by hash. */
static int64_t set_find(const val *set, const val *x)
{
    if ((set->flags & VF_HASHED) && x->type == V_STR)
        return hash_find_str(set, x->u.s, x->len);
    return sorted_find(set->u.a, set->len, x);
}

bool val_set_has(const val *set, const val *x)
{
    return set && x && set->type == V_SET && set_find(set, x) >= 0;
}

const val *val_index_any(const val *coll, const val *key)
{
    if (!coll || !key)
        return NULL;
    switch ((vtype)coll->type) {
    case V_OBJ: return val_obj_get(coll, key);
    case V_ARR: {
        int64_t i;
        if (key->type != V_NUM || !val_is_int(key, &i) || i < 0 || i >= (int64_t)coll->len)
            return NULL;
        return coll->u.a[i];
    }
    case V_SET: {
        int64_t i = set_find(coll, key);
        return i < 0 ? NULL : coll->u.a[i];
    }
    default: return NULL;
    }
}

bool val_is_int(const val *x, int64_t *out)
{
    int64_t tmp;
    if (!out)
        out = &tmp;
    if (!x || x->type != V_NUM)
        return false;
    switch (x->nk) {
    case NUM_INT: *out = x->u.i; return true;
    case NUM_FLOAT: {
        double d = x->u.d;
        if (!isfinite(d) || d != trunc(d) || d < -TWO_POW_63 || d >= TWO_POW_63)
            return false;
        *out = (int64_t)d;
        return true;
    }
    default: {
        dec d;
        return dec_parse(x->u.s, x->len, &d) && dec_to_int64(&d, out);
    }
    }
}

double val_to_double(const val *x)
{
    if (!x || x->type != V_NUM)
        return NAN;
    switch (x->nk) {
    case NUM_INT: return (double)x->u.i;
    case NUM_FLOAT: return x->u.d;
    default: return dec_strtod(x->u.s, x->len);
    }
}

const char *vtype_name(vtype t)
{
    static const char names[][8] = {"null", "boolean", "number", "string", "array", "object", "set"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}
