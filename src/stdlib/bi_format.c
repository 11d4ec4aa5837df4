/* sprintf and strings.render_template: the two builtins that reproduce Go
 * formatting (OPA hands its operands to Go's fmt.Sprintf and text/template).
 *
 * sprintf: OPA converts each array element to a Go value first — integral
 * numbers to int (or *big.Int when they exceed int64), other numbers to
 * float64, strings to string, and every other value to its Rego text (a
 * string) — then calls fmt.Sprintf. We model exactly those four Go types and
 * implement fmt's verbs, flags, widths, precisions, argument indexes and
 * its error notations (%!d(string=x), %!d(MISSING), %!(EXTRA …)).
 *
 * strings.render_template: a modest text/template subset — {{.a.b}},
 * {{$x}}, {{$x := …}}, {{if}}/{{else if}}/{{else}}, {{range}} (with
 * $i, $v), {{with}}, comments and {{- -}} trimming. Missing keys print
 * "<undefined>" as OPA does. */
#include "bi_text.h"
#include "vm/numconv.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ======================================================================== */
/* sprintf                                                                  */
/* ======================================================================== */

typedef enum fmt_kind { FA_INT, FA_BIG, FA_FLOAT, FA_STR } fmt_kind;

typedef struct fmt_arg {
    fmt_kind kind;
    int64_t i;
    double d;
    const char *s; /* FA_STR text; FA_BIG decimal digits with optional '-' */
    size_t n;
    /* FA_FLOAT: when dec_mant != 0, the shortest digits of |d| are
     * dec_mant·10^dec_exp (the value's decimal hint: 1 to 9 digits, no
     * trailing zero), so %v needs no binary-to-decimal conversion. */
    uint64_t dec_mant;
    int dec_exp;
} fmt_arg;

typedef struct fmt_spec {
    bool plus, minus, sharp, space, zero, plus_v, sharp_v;
    bool wid_present, prec_present;
    int wid, prec;
} fmt_spec;

/* Go's %T names of the four argument types. */
static const char *fmt_type_name(const fmt_arg *a)
{
    switch (a->kind) {
    case FA_INT: return "int";
    case FA_BIG: return "*big.Int";
    case FA_FLOAT: return "float64";
    default: return "string";
    }
}

static void fmt_write_padding(txt_buf *b, const fmt_spec *f, size_t n, bool zeros_ok)
{
    txt_pad(b, (f->zero && zeros_ok) ? '0' : ' ', n);
}

/* fmt.pad: pads s (measured in code points) to the field width. */
static void fmt_pad(txt_buf *b, const fmt_spec *f, const char *s, size_t n, bool zeros_ok)
{
    if (!f->wid_present || f->wid == 0) {
        txt_put(b, s, n);
        return;
    }
    size_t width = txt_cp_count(s, n);
    size_t pad = (size_t)f->wid > width ? (size_t)f->wid - width : 0;
    if (!f->minus) {
        fmt_write_padding(b, f, pad, zeros_ok);
        txt_put(b, s, n);
    } else {
        txt_put(b, s, n);
        txt_pad(b, ' ', pad);
    }
}

/* ---- integers ----------------------------------------------------------- */

/* Digits of |value| in `base`, most significant first, into buf (cap >= 70
 * for int64). */
static size_t fmt_u64_digits(uint64_t u, int base, bool upper, char *buf, size_t cap)
{
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t i = cap;
    do {
        buf[--i] = dig[u % (unsigned)base];
        u /= (unsigned)base;
    } while (u && i > 0);
    memmove(buf, buf + i, cap - i);
    return cap - i;
}

/* Converts the decimal digits dec[0..n) to `base` by repeated division
 * (quadratic, fine for the sizes JSON numbers reach). Returns the number of
 * digits written to out (capacity 4n+1), or 0 on allocation failure. */
static size_t fmt_dec_to_base(arena *a, const char *dec, size_t n, int base, bool upper, char *out)
{
    const char *dig = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    unsigned char *work = arena_alloc(a, n + 1);
    if (!work)
        return 0;
    size_t wn = 0;
    for (size_t i = 0; i < n; i++)
        if (wn > 0 || dec[i] != '0')
            work[wn++] = (unsigned char)(dec[i] - '0');
    size_t outn = 0;
    if (wn == 0)
        out[outn++] = '0';
    while (wn > 0) {
        unsigned rem = 0;
        size_t qn = 0;
        for (size_t i = 0; i < wn; i++) {
            unsigned cur = rem * 10 + work[i];
            unsigned q = cur / (unsigned)base;
            rem = cur % (unsigned)base;
            if (qn > 0 || q != 0)
                work[qn++] = (unsigned char)q;
        }
        out[outn++] = dig[rem];
        wn = qn;
    }
    for (size_t i = 0; i < outn / 2; i++) {
        char t = out[i];
        out[i] = out[outn - 1 - i];
        out[outn - 1 - i] = t;
    }
    return outn;
}

/* fmt.fmtInteger for Go's int: zero padding to the width counts the sign
 * but not the 0x prefix, which is added in front of the padded digits. */
static void fmt_go_int(txt_buf *b, const fmt_spec *f, bool neg, const char *digits, size_t nd, int base,
                       int verb)
{
    size_t prec = 0;
    if (f->prec_present) {
        prec = (size_t)f->prec;
        if (prec == 0 && nd == 1 && digits[0] == '0') {
            /* precision 0 and value 0 print nothing but (space) padding */
            if (f->wid_present)
                txt_pad(b, ' ', (size_t)f->wid);
            return;
        }
    } else if (f->zero && !f->minus && f->wid_present) {
        prec = (size_t)f->wid;
        if (neg || f->plus || f->space)
            prec = prec > 0 ? prec - 1 : 0;
    }
    size_t zeros = prec > nd ? prec - nd : 0;
    char pre[4];
    size_t np = 0;
    if (neg)
        pre[np++] = '-';
    else if (f->plus)
        pre[np++] = '+';
    else if (f->space)
        pre[np++] = ' ';
    char prefix[3];
    size_t nx = 0;
    if (f->sharp) {
        if (base == 2) {
            prefix[nx++] = '0';
            prefix[nx++] = 'b';
        } else if (base == 8 && !(zeros == 0 && digits[0] == '0')) {
            prefix[nx++] = '0';
        } else if (base == 16) {
            prefix[nx++] = '0';
            prefix[nx++] = verb == 'X' ? 'X' : 'x';
        }
    }
    if (verb == 'O') {
        prefix[nx++] = '0';
        prefix[nx++] = 'o';
    }
    txt_buf tmp;
    txt_init(&tmp, b->a, np + nx + zeros + nd);
    txt_put(&tmp, pre, np);
    txt_put(&tmp, prefix, nx);
    txt_pad(&tmp, '0', zeros);
    txt_put(&tmp, digits, nd);
    if (tmp.oom) {
        b->oom = true;
        return;
    }
    fmt_spec g = *f;
    g.zero = false;
    fmt_pad(b, &g, tmp.p, tmp.len, false);
}

/* big.Int's Format: [left pad][sign][prefix][zeros][digits][right pad]. */
static void fmt_big_int(txt_buf *b, const fmt_spec *f, bool neg, const char *digits, size_t nd, int verb)
{
    const char *sign = neg ? "-" : f->plus ? "+" : f->space ? " " : "";
    const char *prefix = "";
    if (f->sharp) {
        if (verb == 'b')
            prefix = "0b";
        else if (verb == 'o')
            prefix = "0";
        else if (verb == 'x')
            prefix = "0x";
        else if (verb == 'X')
            prefix = "0X";
    }
    if (verb == 'O')
        prefix = "0o";
    size_t zeros = 0, left = 0, right = 0;
    if (f->prec_present) {
        if (nd < (size_t)f->prec)
            zeros = (size_t)f->prec - nd;
        else if (nd == 1 && digits[0] == '0' && f->prec == 0)
            return;
    }
    size_t length = strlen(sign) + strlen(prefix) + zeros + nd;
    if (f->wid_present && length < (size_t)f->wid) {
        size_t d = (size_t)f->wid - length;
        if (f->minus)
            right = d;
        else if (f->zero && !f->prec_present)
            zeros += d;
        else
            left = d;
    }
    txt_pad(b, ' ', left);
    txt_put(b, sign, strlen(sign));
    txt_put(b, prefix, strlen(prefix));
    txt_pad(b, '0', zeros);
    txt_put(b, digits, nd);
    txt_pad(b, ' ', right);
}

/* ---- quoting (strconv.Quote / QuoteRune) -------------------------------- */

/* Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and
 * the ASCII space. */
static bool fmt_is_print(int32_t cp)
{
    if (cp == ' ')
        return true;
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO: return true;
    default: return false;
    }
}

static void fmt_quote_cp(txt_buf *b, int32_t cp, size_t k, const char *raw, char quote, bool ascii_only)
{
    char esc[16];
    if (cp == quote || cp == '\\') {
        txt_putc(b, '\\');
        txt_putc(b, (char)cp);
        return;
    }
    bool invalid = cp == 0xFFFD && k == 1 && (unsigned char)raw[0] != 0xEF;
    if (!invalid && fmt_is_print(cp) && !(ascii_only && cp >= 0x80)) {
        txt_put(b, raw, k);
        return;
    }
    switch (cp) {
    case '\a': txt_put(b, "\\a", 2); return;
    case '\b': txt_put(b, "\\b", 2); return;
    case '\f': txt_put(b, "\\f", 2); return;
    case '\n': txt_put(b, "\\n", 2); return;
    case '\r': txt_put(b, "\\r", 2); return;
    case '\t': txt_put(b, "\\t", 2); return;
    case '\v': txt_put(b, "\\v", 2); return;
    default: break;
    }
    int n;
    if (invalid)
        n = snprintf(esc, sizeof esc, "\\x%02x", (unsigned char)raw[0]);
    else if (cp < ' ' || cp == 0x7F)
        n = snprintf(esc, sizeof esc, "\\x%02x", (unsigned)cp);
    else if (cp < 0x10000)
        n = snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
    else
        n = snprintf(esc, sizeof esc, "\\U%08x", (unsigned)cp);
    txt_put(b, esc, (size_t)n);
}

/* Printable ASCII other than the quote and backslash is copied as is:
 * runs of it skip decoding and the Unicode tables. A table, because this
 * test runs once per byte of every %q operand: one load in place of four
 * compares. Rows are 0x00-0x0F, 0x10-0x1F, ...; only 0x20-0x7E are 1,
 * except 0x22 '"' and 0x5C '\\'. */
static const unsigned char fmt_quote_plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x00 */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* 0x10 */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20: '"' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x30 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x40 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50: '\\' */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x60 */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x70: DEL */
    /* 0x80-0xFF: zero, UTF-8 goes through the decoder */
};

static bool fmt_plain_ascii(unsigned char c)
{
    return fmt_quote_plain[c] != 0;
}

/* ---- eight bytes at a time -------------------------------------------------
 * The classic zero-byte test, (x - 0x01..) & ~x & 0x80.., is nonzero
 * exactly when some byte of x is zero, and its "less than n" variant
 * exactly when some byte is below n (n <= 0x80). Both may flag extra bytes
 * above the first hit (a borrow runs upward), never below it: the lowest
 * flag is exact, the others are used only as a yes/no for the word. */

#define FMT_ONES UINT64_C(0x0101010101010101)
#define FMT_HIGHS UINT64_C(0x8080808080808080)

static uint64_t fmt_load8(const char *s)
{
    uint64_t w;
    memcpy(&w, s, sizeof w);
    return w;
}

/* Nonzero when some byte of w equals c; the flag of the first such byte
 * (in memory order) is exact. */
static uint64_t fmt_word_match(uint64_t w, unsigned char c)
{
    uint64_t x = w ^ (FMT_ONES * c);
    return (x - FMT_ONES) & ~x & FMT_HIGHS;
}

/* Offset of the first byte equal to c in the eight bytes at s, given that
 * match = fmt_word_match(load of s, c) is nonzero. */
static size_t fmt_word_first(const char *s, uint64_t match, unsigned char c)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    (void)s;
    (void)c;
    return (size_t)__builtin_ctzll(match) / 8; /* memory order is significance order */
#else
    (void)match;
    size_t k = 0;
    while ((unsigned char)s[k] != c)
        k++;
    return k;
#endif
}

/* Some byte of w is not fmt_plain_ascii. The test for bytes >= 0x7F adds 1
 * to every byte: 0x7F becomes 0x80, and the only byte that carries into
 * its neighbour (0xFF) has its high bit set already. */
static bool fmt_word_unplain(uint64_t w)
{
    uint64_t below_space = (w - FMT_ONES * 0x20) & ~w;
    uint64_t quote = w ^ (FMT_ONES * '"'), backslash = w ^ (FMT_ONES * '\\');
    uint64_t found = below_space | (w | (w + FMT_ONES)) | ((quote - FMT_ONES) & ~quote) |
                     ((backslash - FMT_ONES) & ~backslash);
    return (found & FMT_HIGHS) != 0;
}

/* s[0..n) is all fmt_plain_ascii, so %q is the text between quotes. */
static bool fmt_all_plain(const char *s, size_t n)
{
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            if (!fmt_plain_ascii((unsigned char)s[i]))
                return false;
        return true;
    }
    for (size_t i = 0; i + 8 <= n; i += 8)
        if (fmt_word_unplain(fmt_load8(s + i)))
            return false;
    /* the last word overlaps the one before: a yes/no test may look twice */
    return !fmt_word_unplain(fmt_load8(s + n - 8));
}

static void fmt_quote_str(txt_buf *b, const char *s, size_t n, bool ascii_only)
{
    txt_putc(b, '"');
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (run < n && fmt_plain_ascii((unsigned char)s[run]))
            run++;
        if (run > i) {
            txt_put(b, s + i, run - i);
            i = run;
            continue;
        }
        int32_t cp;
        size_t k = txt_next_cp(s + i, n - i, &cp);
        fmt_quote_cp(b, cp, k, s + i, '"', ascii_only);
        i += k;
    }
    txt_putc(b, '"');
}

/* ---- floats --------------------------------------------------------------- */

/* Shortest decimal digits that round-trip d (|d| finite, nonzero): digits
 * into dig (no dot), returns the count; *dp is the decimal point position
 * (value = 0.dig × 10^dp), as strconv's decimal type. */
static size_t fmt_shortest(double d, char *dig, int *dp)
{
    num_decimal nd;
    num_shortest_double(d, &nd);
    memcpy(dig, nd.digits, (size_t)nd.ndigits);
    *dp = nd.point;
    return (size_t)nd.ndigits;
}

/* Digits d.ddd…e±xx: `decimals` digits after the point (zeros past nd),
 * an exponent of at least two digits, as strconv's %e. */
static void fmt_digits_e(txt_buf *b, const char *dig, size_t nd, int dp, int decimals, char e)
{
    size_t frac = decimals > 0 ? (size_t)decimals : 0;
    if (!txt_room(b, frac + 8)) /* digit, point, e, sign, up to 3 exponent digits */
        return;
    char *o = b->p + b->len, *start = o;
    *o++ = nd ? dig[0] : '0';
    if (frac) {
        *o++ = '.';
        for (size_t k = 1; k <= frac; k++)
            *o++ = k < nd ? dig[k] : '0';
    }
    int x = nd ? dp - 1 : 0;
    unsigned ux = x < 0 ? (unsigned)-x : (unsigned)x; /* at most 324 for a double */
    *o++ = e;
    *o++ = x < 0 ? '-' : '+';
    if (ux >= 100)
        *o++ = (char)('0' + ux / 100 % 10);
    *o++ = (char)('0' + ux / 10 % 10);
    *o++ = (char)('0' + ux % 10);
    b->len += (size_t)(o - start);
}

/* Digits ddd.ddd with `decimals` digits after the point: the value is
 * 0.dig × 10^dp, so digit position k (counting from the first digit of
 * 0.dig) is dig[k] inside [0, nd) and '0' outside, as strconv's %f. */
static void fmt_digits_f(txt_buf *b, const char *dig, size_t nd, int dp, int decimals)
{
    size_t whole = dp > 0 ? (size_t)dp : 0, frac = decimals > 0 ? (size_t)decimals : 0;
    if (!txt_room(b, (whole ? whole : 1) + (frac ? frac + 1 : 0)))
        return;
    char *o = b->p + b->len, *start = o;
    if (whole && whole < nd && frac == nd - whole) {
        /* every digit printed once, the point among them (%v's usual
         * case): two copies */
        memcpy(o, dig, whole);
        o[whole] = '.';
        memcpy(o + whole + 1, dig + whole, frac);
        b->len += nd + 1;
        return;
    }
    if (whole) {
        for (size_t k = 0; k < whole; k++)
            *o++ = k < nd ? dig[k] : '0';
    } else {
        *o++ = '0';
    }
    if (frac) {
        *o++ = '.';
        for (size_t k = 0; k < frac; k++) {
            long idx = (long)dp + (long)k;
            *o++ = idx >= 0 && (size_t)idx < nd ? dig[idx] : '0';
        }
    }
    b->len += (size_t)(o - start);
}

/* strconv's %g layout of shortest digits 0.dig × 10^dp (nd >= 1, the
 * value nonzero or dig "0" with dp 1): for the shortest precision strconv
 * decides between %e and %f with eprec 6, and either form prints every
 * digit and no more. */
static void fmt_shortest_g(txt_buf *b, const char *dig, size_t nd, int dp)
{
    int x = dp - 1;
    if (x < -4 || x >= 6) {
        fmt_digits_e(b, dig, nd, dp, (int)nd - 1, 'e');
        return;
    }
    fmt_digits_f(b, dig, nd, dp, (int)nd - dp > 0 ? (int)nd - dp : 0);
}

/* strconv.FormatFloat(d, verb, prec) for verbs e E f F g G b x X; prec < 0
 * means shortest. Writes with a sign only when negative. */
static void fmt_strconv_float(txt_buf *b, double d, int verb, int prec)
{
    char buf[512];
    if (isinf(d)) {
        txt_put(b, d < 0 ? "-Inf" : "+Inf", 4);
        return;
    }
    if (isnan(d)) {
        txt_put(b, "NaN", 3);
        return;
    }
    if (verb == 'b') {
        int e;
        double m = frexp(fabs(d), &e);
        long long mant = (long long)ldexp(m, 53);
        int n = snprintf(buf, sizeof buf, "%s%lldp%+d", signbit(d) ? "-" : "", mant, mant ? e - 53 : -1074);
        txt_put(b, buf, (size_t)n);
        return;
    }
    if (verb == 'x' || verb == 'X') {
        /* Go's %x: like C's %a but the exponent has at least two digits. */
        int n = prec < 0 ? snprintf(buf, sizeof buf, verb == 'x' ? "%a" : "%A", d)
                         : snprintf(buf, sizeof buf, verb == 'x' ? "%.*a" : "%.*A", prec, d);
        char *p = strchr(buf, verb == 'x' ? 'p' : 'P');
        if (p && (p[1] == '+' || p[1] == '-') && p[2] && !p[3]) {
            txt_put(b, buf, (size_t)(p - buf + 2));
            txt_putc(b, '0');
            txt_putc(b, p[2]);
        } else {
            txt_put(b, buf, (size_t)n);
        }
        return;
    }
    if (prec >= 0 && verb != 'g' && verb != 'G') {
        char cfmt[8] = {'%', '.', '*', (char)verb, 0};
        int n = snprintf(buf, sizeof buf, cfmt, prec, d);
        if (n < 0 || (size_t)n >= sizeof buf) {
            /* %f of a huge value: measure, then write into the arena. */
            char *big = arena_alloc(b->a, (size_t)(n > 0 ? n : 0) + 1);
            if (!big) {
                b->oom = true;
                return;
            }
            snprintf(big, (size_t)n + 1, cfmt, prec, d);
            txt_put(b, big, (size_t)n);
            return;
        }
        txt_put(b, buf, (size_t)n);
        return;
    }
    if (signbit(d))
        txt_putc(b, '-');
    double a = fabs(d);
    char dig[40];
    size_t nd;
    int dp;
    if (a == 0) {
        dig[0] = '0';
        nd = 1;
        dp = 1;
    } else if (prec >= 0) {
        /* %g with a precision: round to prec significant digits. */
        int p = prec == 0 ? 1 : prec;
        if (p > 36)
            p = 36;
        snprintf(buf, sizeof buf, "%.*e", p - 1, a);
        nd = 0;
        const char *c = buf;
        for (; *c && *c != 'e'; c++)
            if (*c >= '0' && *c <= '9')
                dig[nd++] = *c;
        dp = atoi(c + 1) + 1;
        while (nd > 1 && dig[nd - 1] == '0')
            nd--;
    } else {
        nd = fmt_shortest(a, dig, &dp);
    }
    bool shortest = prec < 0;
    if (a == 0)
        dp = 1;
    if (shortest && verb == 'g') {
        fmt_shortest_g(b, dig, nd, dp);
        return;
    }
    switch (verb) {
    case 'e':
    case 'E': fmt_digits_e(b, dig, nd, dp, (int)nd - 1, (char)verb); return;
    case 'f':
    case 'F': fmt_digits_f(b, dig, nd, dp, (int)nd - dp > 0 ? (int)nd - dp : 0); return;
    default: {
        int p = shortest ? (int)nd : (prec == 0 ? 1 : prec);
        int eprec = p;
        if (eprec > (int)nd && (int)nd >= dp)
            eprec = (int)nd;
        if (shortest)
            eprec = 6;
        int x = dp - 1;
        if (a != 0 && (x < -4 || x >= eprec)) {
            if (p > (int)nd)
                p = (int)nd;
            fmt_digits_e(b, dig, nd, dp, p - 1, verb == 'G' ? 'E' : 'e');
            return;
        }
        if (p > dp)
            p = (int)nd;
        fmt_digits_f(b, dig, nd, dp, p - dp > 0 ? p - dp : 0);
        return;
    }
    }
}

/* fmt.fmtFloat: sign handling, then padding (zeros go after the sign). */
static void fmt_float(txt_buf *b, const fmt_spec *f, double d, int verb, int default_prec)
{
    int prec = f->prec_present ? f->prec : default_prec;
    txt_buf num;
    txt_init(&num, b->a, 32);
    fmt_strconv_float(&num, d, verb, prec);
    if (num.oom) {
        b->oom = true;
        return;
    }
    char sign = '+';
    const char *digits = num.p;
    size_t n = num.len;
    if (n && (digits[0] == '-' || digits[0] == '+')) {
        sign = digits[0];
        digits++;
        n--;
    }
    if (f->space && sign == '+' && !f->plus)
        sign = ' ';
    bool special = n && (digits[0] == 'I' || digits[0] == 'N');
    if (f->plus || sign != '+') {
        if (!special && f->zero && !f->minus && f->wid_present && (size_t)f->wid > n + 1) {
            txt_putc(b, sign);
            txt_pad(b, '0', (size_t)f->wid - n - 1);
            txt_put(b, digits, n);
            return;
        }
        txt_buf s;
        txt_init(&s, b->a, n + 1);
        txt_putc(&s, sign);
        txt_put(&s, digits, n);
        if (s.oom) {
            b->oom = true;
            return;
        }
        fmt_pad(b, f, s.p, s.len, !special);
        return;
    }
    fmt_pad(b, f, digits, n, !special);
}

/* ---- one argument with one verb ------------------------------------------ */

static void fmt_arg_verb(txt_buf *b, fmt_spec *f, const fmt_arg *a, int verb);

static void fmt_bad_verb(txt_buf *b, fmt_spec *f, const fmt_arg *a, int verb)
{
    txt_put(b, "%!", 2);
    txt_put_cp(b, verb);
    txt_putc(b, '(');
    if (a->kind == FA_BIG) {
        /* big.Int prints its own unknown-verb notation, without the '*'. */
        txt_put(b, "big.Int=", 8);
        txt_put(b, a->s, a->n);
    } else {
        const char *tn = fmt_type_name(a);
        txt_put(b, tn, strlen(tn));
        txt_putc(b, '=');
        fmt_arg_verb(b, f, a, 'v');
    }
    txt_putc(b, ')');
}

static void fmt_int_verb(txt_buf *b, fmt_spec *f, const fmt_arg *a, int verb)
{
    bool neg = a->i < 0;
    uint64_t u = neg ? (uint64_t)0 - (uint64_t)a->i : (uint64_t)a->i;
    char dig[80];
    switch (verb) {
    case 'v':
    case 'd': fmt_go_int(b, f, neg, dig, fmt_u64_digits(u, 10, false, dig, sizeof dig), 10, verb); return;
    case 'b': fmt_go_int(b, f, neg, dig, fmt_u64_digits(u, 2, false, dig, sizeof dig), 2, verb); return;
    case 'o':
    case 'O': fmt_go_int(b, f, neg, dig, fmt_u64_digits(u, 8, false, dig, sizeof dig), 8, verb); return;
    case 'x':
    case 'X':
        fmt_go_int(b, f, neg, dig, fmt_u64_digits(u, 16, verb == 'X', dig, sizeof dig), 16, verb);
        return;
    case 'c': {
        txt_buf s;
        txt_init(&s, b->a, 4);
        txt_put_cp(&s, (a->i < 0 || a->i > 0x10FFFF) ? 0xFFFD : (int32_t)a->i);
        if (!s.oom)
            fmt_pad(b, f, s.p, s.len, true);
        return;
    }
    case 'q': {
        int32_t cp =
            (a->i < 0 || a->i > 0x10FFFF || (a->i >= 0xD800 && a->i <= 0xDFFF)) ? 0xFFFD : (int32_t)a->i;
        txt_buf s;
        txt_init(&s, b->a, 16);
        char raw[4];
        size_t k = (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)raw);
        txt_putc(&s, '\'');
        fmt_quote_cp(&s, cp, k, raw, '\'', f->plus);
        txt_putc(&s, '\'');
        if (!s.oom)
            fmt_pad(b, f, s.p, s.len, true);
        return;
    }
    case 'U': {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "U+%04llX", (unsigned long long)u);
        if (f->sharp && a->i >= 0 && a->i <= 0x10FFFF && fmt_is_print((int32_t)a->i)) {
            char raw[4];
            size_t k = (size_t)utf8proc_encode_char((int32_t)a->i, (utf8proc_uint8_t *)raw);
            buf[n++] = ' ';
            buf[n++] = '\'';
            memcpy(buf + n, raw, k);
            n += (int)k;
            buf[n++] = '\'';
        }
        fmt_spec g = *f;
        g.zero = false;
        fmt_pad(b, &g, buf, (size_t)n, false);
        return;
    }
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
    case 's':
    case 't':
    case 'p':
    default: fmt_bad_verb(b, f, a, verb); return;
    }
}

static void fmt_big_verb(txt_buf *b, fmt_spec *f, const fmt_arg *a, int verb)
{
    int base;
    switch (verb) {
    case 'b': base = 2; break;
    case 'o':
    case 'O': base = 8; break;
    case 'd':
    case 's':
    case 'v': base = 10; break;
    case 'x':
    case 'X': base = 16; break;
    default: fmt_bad_verb(b, f, a, verb); return;
    }
    bool neg = a->n > 0 && a->s[0] == '-';
    const char *dec = a->s + (neg ? 1 : 0);
    size_t dn = a->n - (neg ? 1 : 0);
    if (base == 10) {
        fmt_big_int(b, f, neg, dec, dn, verb);
        return;
    }
    char *out = arena_alloc(b->a, 4 * dn + 2);
    size_t on = out ? fmt_dec_to_base(b->a, dec, dn, base, verb == 'X', out) : 0;
    if (on == 0) {
        b->oom = true;
        return;
    }
    fmt_big_int(b, f, neg, out, on, verb);
}

static void fmt_float_verb(txt_buf *b, fmt_spec *f, const fmt_arg *a, int verb)
{
    switch (verb) {
    case 'v': fmt_float(b, f, a->d, 'g', -1); return;
    case 'b':
    case 'g':
    case 'G':
    case 'x':
    case 'X': fmt_float(b, f, a->d, verb, -1); return;
    case 'f':
    case 'e':
    case 'E':
    case 'F': fmt_float(b, f, a->d, verb, 6); return;
    default: fmt_bad_verb(b, f, a, verb); return;
    }
}

/* Truncates s to prec code points when a precision is present. */
static size_t fmt_truncate(const fmt_spec *f, const char *s, size_t n)
{
    if (!f->prec_present)
        return n;
    size_t i = 0;
    for (int k = 0; k < f->prec && i < n; k++) {
        int32_t cp;
        i += txt_next_cp(s + i, n - i, &cp);
    }
    return i;
}

static void fmt_str_verb(txt_buf *b, fmt_spec *f, const fmt_arg *a, int verb)
{
    switch (verb) {
    case 'v':
        if (f->sharp_v) {
            txt_buf q;
            txt_init(&q, b->a, a->n + 2);
            fmt_quote_str(&q, a->s, a->n, false);
            if (!q.oom)
                fmt_pad(b, f, q.p, q.len, true);
            return;
        }
        /* fall through */
    case 's': fmt_pad(b, f, a->s, fmt_truncate(f, a->s, a->n), true); return;
    case 'q': {
        size_t n = fmt_truncate(f, a->s, a->n);
        txt_buf q;
        txt_init(&q, b->a, n + 2);
        bool backquote = f->sharp;
        for (size_t i = 0; i < n && backquote;) {
            int32_t cp;
            size_t k = txt_next_cp(a->s + i, n - i, &cp);
            if (cp == '`' || cp == 0xFEFF || (cp == 0xFFFD && k == 1) || (cp < ' ' && cp != '\t') ||
                cp == 0x7F)
                backquote = false;
            i += k;
        }
        if (backquote) {
            txt_putc(&q, '`');
            txt_put(&q, a->s, n);
            txt_putc(&q, '`');
        } else {
            fmt_quote_str(&q, a->s, n, f->plus);
        }
        if (!q.oom)
            fmt_pad(b, f, q.p, q.len, true);
        return;
    }
    case 'x':
    case 'X': {
        /* fmt.fmtSbx: two hex digits per byte; precision limits the bytes;
         * the space flag separates bytes, '#' adds 0x per byte (with space)
         * or once. */
        const char *dig = verb == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        size_t n = a->n;
        if (f->prec_present && (size_t)f->prec < n)
            n = (size_t)f->prec;
        txt_buf h;
        txt_init(&h, b->a, n * 5 + 2);
        for (size_t i = 0; i < n; i++) {
            if (f->space && i > 0)
                txt_putc(&h, ' ');
            if (f->sharp && (f->space || i == 0)) {
                txt_putc(&h, '0');
                txt_putc(&h, (char)verb);
            }
            unsigned char c = (unsigned char)a->s[i];
            txt_putc(&h, dig[c >> 4]);
            txt_putc(&h, dig[c & 15]);
        }
        if (!h.oom)
            fmt_pad(b, f, h.p, h.len, true);
        return;
    }
    default: fmt_bad_verb(b, f, a, verb); return;
    }
}

static void fmt_arg_verb(txt_buf *b, fmt_spec *f, const fmt_arg *a, int verb)
{
    switch (a->kind) {
    case FA_INT: fmt_int_verb(b, f, a, verb); return;
    case FA_BIG: fmt_big_verb(b, f, a, verb); return;
    case FA_FLOAT: fmt_float_verb(b, f, a, verb); return;
    default: fmt_str_verb(b, f, a, verb); return;
    }
}

/* ---- the fast path ---------------------------------------------------------- */

/* The length of fmt_i64_text's text of v. A number of b significant bits
 * has t = floor(b · 1233 / 4096) or t + 1 digits (1233 / 4096 is just
 * below log10(2), and b <= 64 keeps the error under one digit), and it
 * has t + 1 exactly when it is at least 10^t. u | 1 keeps u's digit
 * count (no power of ten above 1 is odd) and gives 0 one digit. */
static inline size_t fmt_i64_len(int64_t v)
{
    uint64_t u = (v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v) | 1;
    unsigned bits = 64u - (unsigned)__builtin_clzll(u), t = bits * 1233u >> 12;
    return (size_t)(v < 0) + t + (u >= num_pow10_u64[t]);
}

/* Decimal text of v, written backwards ending at `end` (room for 20 bytes:
 * INT64_MIN has 19 digits and a sign). Returns the first byte. */
static char *fmt_i64_text(int64_t v, char *end)
{
    char *p = num_digits_back(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    return p;
}

/* A verb right after its '%' (no flags, width, precision or index) that
 * prints the argument's plain text. Most sprintf calls in policies are
 * only these ("%s", "%d", "%q", "%v"), and each has a direct writer here
 * in place of fmt_arg_verb's general machinery. Writes and returns true,
 * or returns false, having written nothing, for the general path.
 *
 * Each case produces exactly what fmt_arg_verb does with an all-zero
 * fmt_spec (tests/stdlib/test_strings.c pins the two against each other):
 * with no width nothing is padded, so the output is the converted text
 * itself. */
static inline bool fmt_plain_verb(txt_buf *b, const fmt_arg *a, char verb)
{
    switch (a->kind) {
    case FA_STR:
        if (verb == 's' || verb == 'v') {
            txt_put(b, a->s, a->n);
            return true;
        }
        if (verb == 'q') {
            if (!fmt_all_plain(a->s, a->n)) {
                fmt_quote_str(b, a->s, a->n, false);
            } else if (txt_room(b, a->n + 2)) {
                char *o = b->p + b->len;
                o[0] = '"';
                memcpy(o + 1, a->s, a->n);
                o[a->n + 1] = '"';
                b->len += a->n + 2;
            }
            return true;
        }
        return false;
    case FA_INT:
        if (verb == 'd' || verb == 'v') {
            char buf[24];
            char *end = buf + sizeof buf;
            char *start = fmt_i64_text(a->i, end);
            txt_put(b, start, (size_t)(end - start));
            return true;
        }
        return false;
    case FA_BIG:
        /* fmt_convert admits only [-]digits here, which big.Int's %d
         * prints back unchanged. */
        if (verb == 'd' || verb == 's' || verb == 'v') {
            txt_put(b, a->s, a->n);
            return true;
        }
        return false;
    case FA_FLOAT:
        /* fmt_float would strip the '+' strconv puts before an infinity;
         * finite values print exactly as strconv writes them. */
        if (verb == 'v' && a->dec_mant != 0) {
            /* the hint's digits are the shortest digits fmt_strconv_float
             * would compute; d is finite and nonzero */
            char buf[24];
            char *end = buf + sizeof buf;
            char *dig = fmt_i64_text((int64_t)a->dec_mant, end);
            size_t nd = (size_t)(end - dig);
            if (signbit(a->d))
                txt_putc(b, '-');
            fmt_shortest_g(b, dig, nd, (int)nd + a->dec_exp);
            return true;
        }
        if (verb == 'v' && isfinite(a->d)) {
            fmt_strconv_float(b, a->d, 'g', -1);
            return true;
        }
        return false;
    }
    return false;
}

/* ---- the format string ----------------------------------------------------- */

/* Copies the text of s[i..end) before the next '%' to b; returns the index
 * of that '%', or end. Literal runs are most of a format's bytes: they are
 * scanned and copied a word at a time into room reserved up front (the
 * rest of the format bounds the run). */
static size_t fmt_copy_literal(txt_buf *b, const char *s, size_t i, size_t end)
{
    if (!txt_room(b, end - i))
        return end;
    char *out = b->p + b->len; /* out[k - start] receives s[k] */
    size_t start = i;
#ifdef __SSE2__
    const __m128i percent = _mm_set1_epi8('%');
    while (end - i >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        _mm_storeu_si128((__m128i *)(void *)(out + (i - start)), x);
        unsigned hit = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, percent));
        if (hit) {
            i += (size_t)__builtin_ctz(hit);
            b->len += i - start;
            return i;
        }
        i += 16;
    }
#endif
    while (end - i >= 8) {
        uint64_t w = fmt_load8(s + i);
        /* the whole word fits the room: its bytes past a '%' are
         * overwritten by what follows */
        memcpy(out + (i - start), &w, sizeof w);
        uint64_t pct = fmt_word_match(w, '%');
        if (pct) {
            i += fmt_word_first(s + i, pct, '%');
            b->len += i - start;
            return i;
        }
        i += 8;
    }
    while (i < end && s[i] != '%') {
        out[i - start] = s[i];
        i++;
    }
    b->len += i - start;
    return i;
}

enum { FMT_NUM_LIMIT = 1000000 }; /* fmt's tooLarge: widths/precisions above 1e6 are rejected */

/* fmt.parsenum over s[i..end): returns digits' value or -1 (no digits or too
 * large; too large also consumes to end as Go does). */
static int fmt_parsenum(const char *s, size_t *i, size_t end)
{
    if (*i >= end || s[*i] < '0' || s[*i] > '9')
        return -1;
    long v = 0;
    while (*i < end && s[*i] >= '0' && s[*i] <= '9') {
        if (v > FMT_NUM_LIMIT) {
            *i = end;
            return -1;
        }
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    return (int)v;
}

typedef struct fmt_state {
    const fmt_arg *args;
    int nargs;
    int argnum;
    bool reordered, good_argnum;
} fmt_state;

/* fmt.argNumber: an optional [n] (1-based) before a width, precision or verb. */
static bool fmt_arg_index(fmt_state *st, const char *s, size_t *i, size_t end)
{
    if (*i >= end || s[*i] != '[')
        return false;
    st->reordered = true;
    size_t close = *i + 1;
    while (close < end && s[close] != ']')
        close++;
    if (end - *i < 3 || close >= end) {
        *i += 1;
        st->good_argnum = false;
        return false;
    }
    size_t j = *i + 1;
    int n = fmt_parsenum(s, &j, close);
    bool ok = n >= 0 && j == close;
    *i = close + 1;
    if (ok && n - 1 >= 0 && n - 1 < st->nargs) {
        st->argnum = n - 1;
        return true;
    }
    st->good_argnum = false;
    return ok;
}

/* fmt.intFromArg: a '*' width or precision taken from a Go int argument. */
static bool fmt_int_from_arg(fmt_state *st, int *out)
{
    if (st->argnum >= st->nargs)
        return false;
    const fmt_arg *a = &st->args[st->argnum++];
    if (a->kind != FA_INT || a->i > FMT_NUM_LIMIT || a->i < -FMT_NUM_LIMIT)
        return false;
    *out = (int)a->i;
    return true;
}

/* fmt's %!(EXTRA type=value, …) for the operands from argnum on. */
static void fmt_extra(txt_buf *b, const fmt_arg *args, int nargs, int argnum)
{
    txt_put(b, "%!(EXTRA ", 9);
    for (int k = argnum; k < nargs; k++) {
        if (k > argnum)
            txt_put(b, ", ", 2);
        const char *tn = fmt_type_name(&args[k]);
        txt_put(b, tn, strlen(tn));
        txt_putc(b, '=');
        fmt_spec f;
        memset(&f, 0, sizeof f);
        fmt_arg_verb(b, &f, &args[k], 'v');
    }
    txt_putc(b, ')');
}

/* Go's fmt.Sprintf over s[i..end), operand argnum being the next: from
 * i = 0 and argnum = 0 the whole format. A later start continues a
 * format whose text before i held only literal text, "%%" and verbs
 * right after their '%' (one operand each, none reordered), with s[i]
 * starting a literal run or a '%': fmt's state there is just (i, argnum),
 * which is how a prepared plan hands a call over (fmt_run_plan). */
static void fmt_printf_at(txt_buf *b, const char *s, size_t end, const fmt_arg *args, int nargs, size_t i,
                          int argnum)
{
    fmt_state st = {args, nargs, argnum, false, true};
    while (i < end) {
        st.good_argnum = true;
        i = fmt_copy_literal(b, s, i, end);
        if (i >= end)
            break;
        i++; /* '%' */
        if (i < end && st.argnum < nargs && fmt_plain_verb(b, &args[st.argnum], s[i])) {
            st.argnum++;
            i++;
            continue;
        }
        fmt_spec f;
        memset(&f, 0, sizeof f);
        for (; i < end; i++) {
            char c = s[i];
            if (c == '#')
                f.sharp = true;
            else if (c == '0')
                f.zero = !f.minus;
            else if (c == '+')
                f.plus = true;
            else if (c == '-') {
                f.minus = true;
                f.zero = false;
            } else if (c == ' ')
                f.space = true;
            else
                break;
        }
        bool after_index = fmt_arg_index(&st, s, &i, end);
        if (i < end && s[i] == '*') {
            i++;
            f.wid_present = fmt_int_from_arg(&st, &f.wid);
            if (!f.wid_present)
                txt_put(b, "%!(BADWIDTH)", 12);
            if (f.wid < 0) {
                f.wid = -f.wid;
                f.minus = true;
                f.zero = false;
            }
            after_index = false;
        } else {
            int w = fmt_parsenum(s, &i, end);
            f.wid_present = w >= 0;
            f.wid = w >= 0 ? w : 0;
            if (after_index && f.wid_present)
                st.good_argnum = false;
        }
        if (i + 1 < end && s[i] == '.') {
            i++;
            if (after_index)
                st.good_argnum = false;
            after_index = fmt_arg_index(&st, s, &i, end);
            if (i < end && s[i] == '*') {
                i++;
                f.prec_present = fmt_int_from_arg(&st, &f.prec);
                if (f.prec < 0) {
                    f.prec = 0;
                    f.prec_present = false;
                }
                if (!f.prec_present)
                    txt_put(b, "%!(BADPREC)", 11);
                after_index = false;
            } else {
                int p = fmt_parsenum(s, &i, end);
                f.prec_present = true;
                f.prec = p >= 0 ? p : 0;
            }
        }
        if (!after_index)
            after_index = fmt_arg_index(&st, s, &i, end);
        if (i >= end) {
            txt_put(b, "%!(NOVERB)", 10);
            break;
        }
        int32_t verb = (unsigned char)s[i];
        i += verb < 0x80 ? 1 : txt_next_cp(s + i, end - i, &verb);
        if (verb == '%') {
            txt_putc(b, '%');
        } else if (!st.good_argnum) {
            txt_put(b, "%!", 2);
            txt_put_cp(b, verb);
            txt_put(b, "(BADINDEX)", 10);
        } else if (st.argnum >= st.nargs) {
            txt_put(b, "%!", 2);
            txt_put_cp(b, verb);
            txt_put(b, "(MISSING)", 9);
        } else if (verb == 'T') {
            /* fmt prints the operand's Go type through fmtS, before
             * looking at the value */
            const char *tn = fmt_type_name(&args[st.argnum]);
            fmt_pad(b, &f, tn, fmt_truncate(&f, tn, strlen(tn)), true);
            st.argnum++;
        } else {
            if (verb == 'v') {
                if (f.sharp) {
                    f.sharp = false;
                    f.sharp_v = true;
                }
                if (f.plus) {
                    f.plus = false;
                    f.plus_v = true;
                }
            }
            fmt_arg_verb(b, &f, &args[st.argnum], verb);
            st.argnum++;
        }
    }
    if (!st.reordered && st.argnum < nargs)
        fmt_extra(b, args, nargs, st.argnum);
}

static void fmt_printf(txt_buf *b, const char *s, size_t end, const fmt_arg *args, int nargs)
{
    fmt_printf_at(b, s, end, args, nargs, 0, 0);
}

/* ---- prepared formats ------------------------------------------------------ */

/* A constant format is split once per context (its prep slot keeps the
 * plan) into literal runs and the verbs between them, so a call copies
 * runs of known length and goes straight to each verb's writer instead of
 * scanning the text for '%' and parsing flags.
 *
 * Plannable formats are those in which every '%' is followed by '%' or an
 * ASCII letter: the shape of nearly every policy's format. Such a verb
 * has no flags, width, precision or index, which is exactly when fmt's
 * state before it is just (position, operand number). A step whose verb
 * fmt_plain_verb does not print for its operand (a %x, a %d of a string,
 * a missing operand) hands the rest of the call to fmt_printf_at at that
 * '%', so the output is the general path's byte for byte (and the tests
 * compare the two). Other formats get fmt_plan_general: the general path
 * every call, without looking at the format again. */
typedef struct fmt_step {
    /* the run's bytes in the plan's copy of the format, which is followed
     * by FMT_PLAN_PAD zero bytes so that a run is copied in whole blocks
     * (fmt_copy_run) */
    const char *lit;
    uint32_t off, len; /* the literal run s[off .. off+len) */
    char verb;         /* then this verb (its '%' at s[off+len]), or 0: the run only */
    /* FV_* of the verb: which operands fmt_run_plan_direct writes for it */
    uint8_t direct;
    /* fmt_run_plan_direct: the room the steps after this one need beyond
     * their string operands (see fmt_plan.reserve) */
    uint32_t after;
} fmt_step;

/* fmt_step.direct: the verb prints a string operand as is (%s, %v), a
 * string of plain ASCII between quotes (%q), an integer in decimal (%d,
 * %v; a big one also under %s), a float in its shortest form (%v). */
enum { FV_STR = 1, FV_QUOTE = 2, FV_INT = 4, FV_FLOAT = 8 };

typedef struct fmt_plan {
    bool general;       /* not plannable: the general path */
    uint32_t nsteps;    /* step[0 .. nsteps) */
    uint32_t nverbs;    /* steps with a verb */
    uint32_t lit_bytes; /* sum of the runs' lengths */
    /* The room fmt_run_plan_direct needs besides its string operands: each
     * run's length plus FMT_PLAN_PAD (the blocks' overshoot, which later
     * writes overwrite), FMT_NUMBER_TEXT_MAX per verb, and the NUL. With
     * this much free at the start, only a string operand (or a big
     * integer's text) needs a check, against its length plus the steps
     * after it (fmt_step.after). */
    uint32_t reserve;
    fmt_step step[];
} fmt_plan;

enum {
    FMT_PLAN_PAD = 32,
    /* The widest text the direct writer gives a number: an int64's 20
     * characters; a float's %v of at most FMT_TEXT_DIGITS digits is a sign
     * and at most 21 ("0.0000" and 15 digits, or d.<14 digits>e-XXX). */
    FMT_NUMBER_TEXT_MAX = 24,
    /* plans of formats longer than this take the general path: the
     * reserve stays far from overflowing */
    FMT_PLAN_MAX_TEXT = 1 << 20,
};

static const fmt_plan fmt_plan_general = {.general = true};

static bool fmt_ascii_letter(char c)
{
    return (unsigned char)((c | 0x20) - 'a') < 26;
}

static uint8_t fmt_direct_kinds(char verb)
{
    switch (verb) {
    case 's': return FV_STR;
    case 'v': return FV_STR | FV_INT | FV_FLOAT;
    case 'q': return FV_QUOTE;
    case 'd': return FV_INT;
    default: return 0;
    }
}

/* The plan of format s[0..n) in arena a, or fmt_plan_general when the
 * format is not plannable or a is full. */
static const fmt_plan *fmt_plan_build(arena *a, const char *s, size_t n)
{
    size_t npct = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%')
            continue;
        if (i + 1 == n || (s[i + 1] != '%' && !fmt_ascii_letter(s[i + 1])))
            return &fmt_plan_general;
        npct++;
        i++;
    }
    size_t bytes = sizeof(fmt_plan) + (npct + 1) * sizeof(fmt_step);
    fmt_plan *pl = a && n <= FMT_PLAN_MAX_TEXT ? arena_alloc(a, bytes) : NULL;
    char *text = pl ? arena_alloc(a, n + FMT_PLAN_PAD) : NULL;
    if (!text)
        return &fmt_plan_general;
    memcpy(text, s, n);
    memset(text + n, 0, FMT_PLAN_PAD);
    *pl = (fmt_plan){.general = false};
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%')
            continue;
        /* "%%": the run stops before the first '%', the next starts at
         * the second, which is literal text */
        char verb = s[i + 1] == '%' ? 0 : s[i + 1];
        uint8_t kinds = fmt_direct_kinds(verb);
        pl->step[pl->nsteps++] = (fmt_step){text + run, (uint32_t)run, (uint32_t)(i - run), verb, kinds, 0};
        pl->lit_bytes += (uint32_t)(i - run);
        pl->nverbs += verb != 0;
        run = verb ? i + 2 : i + 1;
        i++;
    }
    pl->step[pl->nsteps++] = (fmt_step){text + run, (uint32_t)run, (uint32_t)(n - run), 0, 0, 0};
    pl->lit_bytes += (uint32_t)(n - run);
    uint32_t need = 1; /* the NUL */
    for (uint32_t k = pl->nsteps; k-- > 0;) {
        pl->step[k].after = need;
        need += pl->step[k].len + FMT_PLAN_PAD + (pl->step[k].verb ? FMT_NUMBER_TEXT_MAX : 0);
    }
    pl->reserve = need;
    return pl;
}

static void fmt_run_plan(txt_buf *b, const fmt_plan *pl, const char *s, size_t end, const fmt_arg *args,
                         int nargs)
{
    int argnum = 0;
    for (uint32_t k = 0; k < pl->nsteps; k++) {
        const fmt_step *st = &pl->step[k];
        txt_put(b, s + st->off, st->len);
        if (!st->verb)
            continue;
        if (argnum < nargs && fmt_plain_verb(b, &args[argnum], st->verb)) {
            argnum++;
            continue;
        }
        fmt_printf_at(b, s, end, args, nargs, st->off + st->len, argnum);
        return;
    }
    if (argnum < nargs)
        fmt_extra(b, args, nargs, argnum);
}

/* Copies n bytes without a library call when n <= 32 (literal runs and
 * operands are mostly short, and the call costs more than the copy):
 * two overlapping blocks of the largest power of two <= n. */
static inline void fmt_copy(char *o, const char *s, size_t n)
{
    if (n >= 8) {
        if (n > 32) {
            memcpy(o, s, n);
        } else if (n > 16) {
            uint64_t w[4];
            memcpy(w, s, 16);
            memcpy(w + 2, s + n - 16, 16);
            memcpy(o, w, 16);
            memcpy(o + n - 16, w + 2, 16);
        } else {
            uint64_t x, y;
            memcpy(&x, s, 8);
            memcpy(&y, s + n - 8, 8);
            memcpy(o, &x, 8);
            memcpy(o + n - 8, &y, 8);
        }
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        memcpy(o, &x, 4);
        memcpy(o + n - 4, &y, 4);
    } else if (n) {
        o[0] = s[0];
        o[n / 2] = s[n / 2];
        o[n - 1] = s[n - 1];
    }
}

/* The verb's text of a NUM_BIG, whose decimal text t[0..n) fmt_convert
 * reads one of two ways: [-]digits is a big.Int, printed as is by %d, %s
 * and %v (FMT_TEXT_INTEGER); anything else becomes the nearest float64,
 * printed by %v in its shortest digits, which fmt_number_text reads off
 * the text where it can (FMT_TEXT_DECIMAL, digits in dig without a dot,
 * the value 0.dig × 10^*dp). FMT_TEXT_OTHER: zero, a text outside the
 * plain number grammar, or digits it cannot vouch for: the general path.
 *
 * Why the digits are right. A decimal D of at most 15 (DBL_DIG)
 * significant digits comes back from its nearest double, read at 15
 * digits, as D itself; a shorter decimal naming the same double would
 * come back as itself too, so there is none, and D's digits (trailing
 * zeros stripped) are exactly the shortest digits num_shortest_double
 * finds for that double. A text of more digits (sum's exact decimals:
 * "57450.740000000000002") is rounded to 15 digits, D, and kept only when
 * the text provably rounds to the same double as D: D's double d is
 * computed exactly rounded (Clinger: D = m·10^e with m < 2^53, |e| <= 22,
 * one IEEE operation), the error of that operation exactly, and
 * the text must lie strictly inside d's rounding interval with a margin
 * that covers the few roundings of the test itself. Either way the
 * decimal point stays well inside the normal range, where all this holds. */
typedef enum fmt_text_kind { FMT_TEXT_OTHER, FMT_TEXT_INTEGER, FMT_TEXT_DECIMAL } fmt_text_kind;
enum {
    FMT_TEXT_DIGITS = 15,
    FMT_TEXT_TAIL_DIGITS = 18, /* digits past the 15th read into a uint64 */
    FMT_TEXT_MAX_POINT = 300,
    FMT_TEXT_MAX_EXP_DIGITS = 5,
};

static bool fmt_is_digit(char c)
{
    return (unsigned)(unsigned char)c - '0' <= 9;
}

/* The 15 digits dig (and their value m, in units of the last) rounded up
 * by one unit, the bounds lo..hi of the text's rest measured from it: for
 * a text whose first dropped digit is 5 or more. 99…9 becomes 10…0 one
 * place up. */
static void fmt_round_up(char dig[FMT_TEXT_DIGITS], uint64_t *m, long *point, double *lo, double *hi)
{
    ++*m;
    *lo -= 1;
    *hi -= 1;
    size_t k = FMT_TEXT_DIGITS;
    while (k > 0 && dig[k - 1] == '9')
        dig[--k] = '0';
    if (k > 0) {
        dig[k - 1]++;
    } else {
        dig[0] = '1';
        *m /= 10;
        ++*point;
        *lo /= 10;
        *hi /= 10;
    }
}

static fmt_text_kind fmt_number_text(const char *t, size_t n, char dig[FMT_TEXT_DIGITS], size_t *nd, int *dp)
{
    /* the grammar: [-] int [. frac] [e|E [+|-] exp]; int or frac nonempty */
    size_t i = n > 0 && t[0] == '-' ? 1 : 0, int_at = i;
    while (i < n && fmt_is_digit(t[i]))
        i++;
    size_t int_len = i - int_at, frac_at = i, frac_len = 0;
    if (i < n && t[i] == '.') {
        frac_at = ++i;
        while (i < n && fmt_is_digit(t[i]))
            i++;
        frac_len = i - frac_at;
    } else if (i == n) {
        return int_len ? FMT_TEXT_INTEGER : FMT_TEXT_OTHER;
    }
    if (int_len + frac_len == 0)
        return FMT_TEXT_OTHER;
    long exp10 = 0;
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        bool neg_exp = ++i < n && t[i] == '-';
        i += i < n && (t[i] == '-' || t[i] == '+');
        size_t first = i;
        for (; i < n && fmt_is_digit(t[i]); i++) {
            if (i - first == FMT_TEXT_MAX_EXP_DIGITS)
                return FMT_TEXT_OTHER;
            exp10 = exp10 * 10 + (t[i] - '0');
        }
        if (i == first)
            return FMT_TEXT_OTHER;
        if (neg_exp)
            exp10 = -exp10;
    }
    if (i != n)
        return FMT_TEXT_OTHER;
        /* The mantissa's digits as one run: digit k is int's below int_len,
         * frac's after. Significant: from the first nonzero (first) to the
         * last (last_nz), both found from their ends. */
#define FMT_DIGIT(k) ((k) < int_len ? t[int_at + (k)] : t[frac_at + ((k)-int_len)])
    size_t total = int_len + frac_len, first = 0, end = total;
    while (first < total && FMT_DIGIT(first) == '0')
        first++;
    if (first == total)
        return FMT_TEXT_OTHER; /* zero */
    while (FMT_DIGIT(end - 1) == '0')
        end--;
    long point = (long)int_len - (long)first + exp10;
    if (point <= -FMT_TEXT_MAX_POINT || point >= FMT_TEXT_MAX_POINT)
        return FMT_TEXT_OTHER;
    size_t count = end - first;
    if (count <= FMT_TEXT_DIGITS) {
        for (size_t k = 0; k < count; k++)
            dig[k] = FMT_DIGIT(first + k);
        *nd = count;
        *dp = (int)point;
        return FMT_TEXT_DECIMAL;
    }
    /* D: the text rounded to 15 digits, m·10^(point-15); the text is D
     * plus delta units of the 15th digit, delta's bounds from the tail
     * (the next up to 18 digits, and whether any digit after those is
     * nonzero: the last one is, unless the tail reaches it) */
    uint64_t m = 0, tail = 0, scale = 1;
    for (size_t k = 0; k < FMT_TEXT_DIGITS; k++) {
        dig[k] = FMT_DIGIT(first + k);
        m = m * 10 + (uint64_t)(dig[k] - '0');
    }
    size_t tail_end =
        count - FMT_TEXT_DIGITS > FMT_TEXT_TAIL_DIGITS ? first + FMT_TEXT_DIGITS + FMT_TEXT_TAIL_DIGITS : end;
    for (size_t k = first + FMT_TEXT_DIGITS; k < tail_end; k++) {
        tail = tail * 10 + (uint64_t)(FMT_DIGIT(k) - '0');
        scale *= 10;
    }
#undef FMT_DIGIT
    bool rest = tail_end < end;
    double lo = (double)tail / (double)scale, hi = (double)(tail + rest) / (double)scale;
    size_t kept = FMT_TEXT_DIGITS;
    if (tail * 2 >= scale) {
        /* first tail digit >= 5: D is m + 1 units, the text below it */
        fmt_round_up(dig, &m, &point, &lo, &hi);
    }
    if (!num_same_double(m, point - FMT_TEXT_DIGITS, lo, hi))
        return FMT_TEXT_OTHER;
    while (dig[kept - 1] == '0')
        kept--;
    *nd = kept;
    *dp = (int)point;
    return FMT_TEXT_DECIMAL;
}

/* ---- the usual NUM_BIG decimal, its digits read as words --------------------
 * sum's exact results are short plain decimals ("57450.740000000000002"):
 * [-]digits.digits of at most FMT_FAST_TEXT_MAX bytes. fmt_number_text_fast
 * decides those as fmt_number_text does, from the significant digits laid
 * out with '0' padding after them so that every conversion can read whole
 * words: the padding changes neither the last nonzero digit nor any value
 * read. Its tail is 16 digits (exact in a double, and 10^16 too) where
 * fmt_number_text reads up to 18: both only ever accept a text whose
 * digits are provably right (num_same_double), so they print the same. */
enum {
    FMT_FAST_TEXT_MAX = 32,
    FMT_FAST_TAIL_DIGITS = 16,
};

/* FMT_TEXT_DECIMAL or FMT_TEXT_OTHER as fmt_number_text would say for
 * t[0..n), dig (32 bytes) holding the digits and then more digits (its
 * padding, for word-wise readers); -1 when t is not such a text or its
 * digits are not provably right here: fmt_number_text decides then. */
static int fmt_number_text_fast(const char *t, size_t n, char dig[32], size_t *nd, int *dp)
{
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n < 3 || n > FMT_FAST_TEXT_MAX)
        return -1;
    /* One pass over the text, a byte at a time: the digits from the first
     * nonzero one on go to dig in order (the point skipped), after '0'
     * padding written first. Word-wise copies of the text and of a digit
     * run made the word reads after them wait on the stores (a load can
     * take its bytes from one earlier store, not from several): this pass
     * has one such wait, at the first read of dig. */
    memset(dig, '0', 32);
    size_t neg = t[0] == '-', point_at = 0, int_len = 0, lead = 0, count = 0, end = 0;
    bool seen_point = false;
    for (size_t i = neg; i < n; i++) {
        unsigned d = (unsigned char)t[i] - '0';
        if (d > 9) {
            /* an exponent, a second point, junk: the full reader */
            if (t[i] != '.' || seen_point)
                return -1;
            seen_point = true;
            point_at = i;
            continue;
        }
        int_len += !seen_point;
        if (count == 0 && d == 0) {
            lead++;
            continue;
        }
        dig[count++] = (char)t[i];
        end = d ? count : end;
    }
    /* int and frac both nonempty (so point_at > neg, point_at < n - 1) */
    if (!seen_point || point_at <= neg || point_at + 1 >= n)
        return -1;
    if (end == 0)
        return -1; /* zero */
    const char *digits = dig;
    long point = (long)int_len - (long)lead;
    count = end;
    if (count <= FMT_TEXT_DIGITS) {
        *nd = count;
        *dp = (int)point;
        return FMT_TEXT_DECIMAL;
    }
    /* D: the text rounded to 15 digits, m·10^(point-15), and the text D
     * plus delta units of its 15th digit, as in fmt_number_text; the
     * first 15 digits are the first 8 and the 8 from the 8th on, that
     * digit once */
    uint64_t m =
        num_eight_digits(fmt_load8(digits)) / 10 * 100000000 + num_eight_digits(fmt_load8(digits + 7));
    uint64_t tail =
        num_eight_digits(fmt_load8(digits + 15)) * 100000000 + num_eight_digits(fmt_load8(digits + 23));
    const double scale = 1e16; /* 10^FMT_FAST_TAIL_DIGITS */
    bool rest = end > FMT_TEXT_DIGITS + FMT_FAST_TAIL_DIGITS;
    double lo = (double)tail / scale, hi = (double)(tail + rest) / scale;
    if (tail >= UINT64_C(5000000000000000)) {
        /* the 16th digit >= 5: D is m + 1 units, the text below it */
        fmt_round_up(dig, &m, &point, &lo, &hi);
    }
    if (!num_same_double(m, point - FMT_TEXT_DIGITS, lo, hi))
        return -1;
    /* the last nonzero of the 15 digits (m > 0: there is one), from the
     * words of digits 7..14 and 0..7 */
    uint64_t nz_hi = fmt_load8(dig + 7) ^ (FMT_ONES * '0'), nz_lo = fmt_load8(dig) ^ (FMT_ONES * '0');
    *nd = nz_hi ? 15 - (size_t)__builtin_clzll(nz_hi) / 8 : 8 - (size_t)__builtin_clzll(nz_lo) / 8;
    *dp = (int)point;
    return FMT_TEXT_DECIMAL;
#else
    (void)t;
    (void)n;
    (void)dig;
    (void)nd;
    (void)dp;
    return -1;
#endif
}

#ifdef __SSE2__
/* Some byte of x is not fmt_plain_ascii: a signed compare with 0x20 takes
 * the controls and every byte >= 0x80 at once; then DEL, '"' and '\\'. */
static inline bool fmt_sse_unplain(__m128i x)
{
    __m128i bad =
        _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)));
    bad = _mm_or_si128(
        bad, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))));
    return _mm_movemask_epi8(bad) != 0;
}
#endif

/* Copies s[0..n) to o as fmt_copy does and says whether every byte is
 * fmt_plain_ascii (so %q of it is the text between quotes): one read of
 * the operand for both. The yes/no test runs on whole words (with SSE2,
 * 8 to 16 bytes in one test of two overlapping words); a short text is
 * padded with 'a', which is plain. */
static inline bool fmt_copy_plain(char *o, const char *s, size_t n)
{
    bool unplain = false;
#ifdef __SSE2__
    if (n >= 8 && n <= 16) {
        uint64_t x = fmt_load8(s), y = fmt_load8(s + n - 8);
        memcpy(o, &x, 8);
        memcpy(o + n - 8, &y, 8);
        return !fmt_sse_unplain(_mm_set_epi64x((long long)y, (long long)x));
    }
#endif
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            uint64_t w = fmt_load8(s + i);
            unplain |= fmt_word_unplain(w);
            memcpy(o + i, &w, 8);
        }
        uint64_t w = fmt_load8(s + n - 8);
        memcpy(o + n - 8, &w, 8);
        return !(unplain | fmt_word_unplain(w));
    }
    if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, s, 4);
        memcpy(&y, s + n - 4, 4);
        memcpy(o, &x, 4);
        memcpy(o + n - 4, &y, 4);
        return !fmt_word_unplain((uint64_t)x | (uint64_t)y << 32);
    }
    if (n == 0)
        return true;
    unsigned char b0 = (unsigned char)s[0], b1 = (unsigned char)s[n / 2], b2 = (unsigned char)s[n - 1];
    o[0] = (char)b0;
    o[n / 2] = (char)b1;
    o[n - 1] = (char)b2;
    uint64_t w = (FMT_ONES * 'a') << 24 | (uint64_t)b2 << 16 | (uint64_t)b1 << 8 | b0;
    return !fmt_word_unplain(w);
}

/* Copies a plan's literal run (fmt_step.lit, whose padding makes whole
 * blocks readable) to o: 32 bytes, which covers most runs with no branch
 * on the length, then 16-byte blocks. Up to FMT_PLAN_PAD - 1 bytes past the run
 * are written too, into room fmt_plan.reserve accounts for. */
static inline void fmt_copy_run(char *o, const char *text, size_t n)
{
    memcpy(o, text, 32);
    for (size_t k = 32; k < n; k += 16)
        memcpy(o + k, text + k, 16);
}

/* %v of the float whose shortest digits are dig[0..nd) (value 0.dig ×
 * 10^dp), at o, which has room for FMT_NUMBER_TEXT_MAX bytes; returns the
 * end (NULL: it did not fit, which the bound above rules out). */
static char *fmt_put_shortest(char *o, bool neg, const char *dig, size_t nd, int dp)
{
    arena none = {0}; /* fmt_shortest_g writes at most 21 bytes here: tb never grows (nor could it) */
    txt_buf tb = {.a = &none, .p = o, .len = 0, .cap = FMT_NUMBER_TEXT_MAX};
    if (neg)
        o[tb.len++] = '-';
    fmt_shortest_g(&tb, dig, nd, dp);
    return tb.oom ? NULL : o + tb.len;
}

/* fmt_put_shortest for digits dig[0..nd) followed by at least 32 - nd
 * more bytes (fmt_number_text_fast's dig): %v's plain layouts ddd and
 * ddd.ddd, whose point lies within the digits, are two fixed 16-byte
 * copies (nd <= 15, dp <= 6: at most 1 + 7 + 16 = FMT_NUMBER_TEXT_MAX
 * bytes written, the bytes past the text later overwritten or beyond
 * it); other layouts as fmt_put_shortest. */
/* The length of %v's text of a NUM_BIG with the digits hint whose layout
 * is plain with the point inside or after the digits (1 <= dp <= 6, as
 * fmt_put_shortest_run's fast case): the text's first digits, up to the
 * point, and past it when the digits go on. That prefix is also what
 * fmt_put_shortest writes for those digits. False: no hint, or another
 * layout. */
static inline bool fmt_big_digits_plain(const val *v, size_t *len)
{
    size_t nd;
    int dp;
    if (!val_big_digits(v, &nd, &dp) || dp < 1 || dp > 6)
        return false;
    *len = (size_t)(v->u.s[0] == '-') + (size_t)dp + (nd > (size_t)dp ? nd - (size_t)dp + 1 : 0);
    return *len <= v->len;
}

static char *fmt_put_shortest_run(char *o, bool neg, const char *dig, size_t nd, int dp)
{
    if (dp <= 0 || dp > 6 || (size_t)dp > nd || nd > FMT_TEXT_DIGITS)
        return fmt_put_shortest(o, neg, dig, nd, dp);
    *o = '-';
    o += neg;
    memcpy(o, dig, 16);
    if ((size_t)dp == nd)
        return o + nd;
    o[dp] = '.';
    memcpy(o + dp + 1, dig + dp, 16);
    return o + nd + 1;
}

/* A plan's usual call in one pass, straight from the operand values, one
 * per verb: a string under %s, %v or (plain ASCII) %q; an int64 under %d
 * or %v; a float with a decimal hint under %v; a NUM_BIG integer under
 * %d, %s or %v; a NUM_BIG decimal whose shortest digits are its own
 * (its digits hint, else fmt_number_text) under %v. Each write is what fmt_plain_verb writes
 * for that operand and verb after fmt_convert (which maps each of these
 * unchanged, a NUM_BIG decimal to the float whose digits these are).
 *
 * The text is written straight into the arena's free space behind room
 * for its value and then claimed with one arena_alloc of exactly that
 * block, which returns it: measuring first would read every operand
 * twice. NULL: not such a call, or not enough free space in the current
 * block (nothing is claimed then), for fmt_run_plan, which tells the
 * cases apart. */
static inline __attribute__((always_inline)) const val *fmt_run_plan_direct(arena *a, const fmt_plan *pl,
                                                                            const val *arr)
{
    if (arr->len != pl->nverbs || !a->ptr)
        return NULL;
    /* arena_alloc's fast path takes blocks below 2^30 that fit the
     * current chunk once rounded to 16: room is such a size */
    size_t room = (size_t)(a->end - a->ptr);
    room = (room < ((size_t)1 << 30) ? room : ((size_t)1 << 30)) & ~(size_t)15;
    if (room < sizeof(val) + 1)
        return NULL;
    char *const block = (char *)a->ptr, *const start = block + sizeof(val);
    /* the text ends at or before limit, where its NUL goes */
    char *const limit = block + room - 1;
    const val *const *x = arr->u.a;
    char *o = start;
    const fmt_step *st = pl->step, *last = st + pl->nsteps - 1;
    size_t plain_len;
    /* invariant: before a step, limit - o >= the room it and the steps
     * after it need besides their strings (which check their own) */
    if ((size_t)(limit - o) < pl->reserve)
        return NULL;
    for (; st < last; st++) {
        fmt_copy_run(o, st->lit, st->len);
        o += st->len;
        if (!st->verb)
            continue;
        const val *v = *x++;
        unsigned kinds = st->direct;
        if (v->type == V_STR) {
            if ((size_t)(limit - o) < (size_t)v->len + 2 + st->after)
                return NULL;
            if (kinds & FV_STR) {
                fmt_copy(o, v->u.s, v->len);
                o += v->len;
            } else if ((kinds & FV_QUOTE) && fmt_copy_plain(o + 1, v->u.s, v->len)) {
                o[0] = '"';
                o[v->len + 1] = '"';
                o += v->len + 2;
            } else {
                return NULL;
            }
        } else if (v->type != V_NUM) {
            return NULL;
        } else if (v->nk == NUM_INT && (kinds & FV_INT)) {
            /* written in place, back to front: digits made in a buffer and
             * copied as words made the copy wait on the digits' byte stores */
            o += fmt_i64_len(v->u.i);
            fmt_i64_text(v->u.i, o);
        } else if (v->nk == NUM_FLOAT && (kinds & FV_FLOAT)) {
            uint64_t mant = 0;
            int exp10 = 0;
            if (!val_float_hint(v, &mant, &exp10))
                return NULL;
            /* fmt_plain_verb's hinted %v */
            char buf[24];
            char *end = buf + sizeof buf, *dig = fmt_i64_text((int64_t)mant, end);
            size_t nd = (size_t)(end - dig);
            o = fmt_put_shortest(o, signbit(v->u.d), dig, nd, (int)nd + exp10);
            if (!o)
                return NULL;
        } else if (v->nk == NUM_BIG && (kinds & FV_FLOAT) && fmt_big_digits_plain(v, &plain_len)) {
            /* a hinted decimal (sum's) under %v: its plain layout ddd or
             * ddd.ddd is the text's own start */
            fmt_copy(o, v->u.s, plain_len);
            o += plain_len;
        } else if (v->nk == NUM_BIG && (kinds & (FV_INT | FV_STR | FV_FLOAT))) {
            char dig[32];
            size_t nd = 0;
            int dp = 0;
            int fast = fmt_number_text_fast(v->u.s, v->len, dig, &nd, &dp);
            fmt_text_kind tk =
                fast >= 0 ? (fmt_text_kind)fast : fmt_number_text(v->u.s, v->len, dig, &nd, &dp);
            if (tk == FMT_TEXT_INTEGER && (kinds & (FV_INT | FV_STR))) {
                if ((size_t)(limit - o) < (size_t)v->len + st->after)
                    return NULL;
                fmt_copy(o, v->u.s, v->len);
                o += v->len;
            } else if (tk == FMT_TEXT_DECIMAL && (kinds & FV_FLOAT)) {
                /* only the fast reader leaves dig padded for word copies */
                bool neg = v->u.s[0] == '-';
                o = fast >= 0 ? fmt_put_shortest_run(o, neg, dig, nd, dp)
                              : fmt_put_shortest(o, neg, dig, nd, dp);
                if (!o)
                    return NULL;
            } else {
                return NULL;
            }
        } else {
            return NULL;
        }
    }
    /* the last step is the final run, with no verb */
    fmt_copy_run(o, last->lit, last->len);
    o += last->len;
    *o = '\0';
    size_t len = (size_t)(o - start);
    if (len == 0)
        return &val_empty_str_c; /* as txt_finish gives it (nothing claimed) */
    /* fits the current block (o <= limit), so arena_alloc returns it */
    val *r = arena_alloc(a, sizeof(val) + len + 1);
    if (r != (val *)(void *)block)
        return NULL;
    *r = (val){.type = V_STR, .len = (uint32_t)len, .u.s = start};
    return r;
}

int fmt_test_planned(arena *a, const char *s, size_t n)
{
    arena_mark m = arena_save(a);
    bool planned = fmt_plan_build(a, s, n) != &fmt_plan_general;
    arena_restore(a, m);
    return planned;
}

int fmt_test_direct(arena *a, const char *s, size_t n, const val *arr, const val **out)
{
    const fmt_plan *pl = fmt_plan_build(a, s, n);
    if (pl == &fmt_plan_general)
        return -1;
    *out = fmt_run_plan_direct(a, pl, arr);
    return *out != NULL;
}

int fmt_test_number_text(const char *t, size_t n, bool fast, char *dig, size_t *nd, int *dp)
{
    return fast ? fmt_number_text_fast(t, n, dig, nd, dp) : (int)fmt_number_text(t, n, dig, nd, dp);
}

/* The plan of format value fmt when it is one of the bundle's constants
 * (prepared on its first call), else NULL. */
static const fmt_plan *fmt_plan_of(bi_ctx *ctx, const val *fmt)
{
    const void **slot = bi_prep_slot(ctx, fmt, BI_PREP_SPRINTF);
    if (!slot)
        return NULL;
    if (!*slot)
        *slot = fmt_plan_build(ctx->prep_mem, fmt->u.s, fmt->len);
    return *slot;
}

/* The Go value OPA passes for one sprintf operand. */
static bool fmt_convert(bi_ctx *ctx, const val *x, fmt_arg *a)
{
    /* Only the fields of a->kind are set; readers look at no others. */
    if (x->type == V_STR) {
        a->kind = FA_STR;
        a->s = x->u.s;
        a->n = x->len;
        return true;
    }
    if (x->type == V_NUM) {
        if (x->nk == NUM_INT) {
            a->kind = FA_INT;
            a->i = x->u.i;
            return true;
        }
        if (x->nk == NUM_BIG) {
            const char *t = x->u.s;
            size_t n = x->len, k = (n > 0 && t[0] == '-') ? 1 : 0;
            bool integer = k < n;
            for (size_t j = k; j < n && integer; j++)
                integer = t[j] >= '0' && t[j] <= '9';
            if (integer) {
                a->kind = FA_BIG;
                a->s = t;
                a->n = n;
                return true;
            }
            double d;
            if (!num_text_to_double(t, n, &d)) {
                char *z = arena_alloc(ctx->arena, n + 1);
                if (!z)
                    return false;
                memcpy(z, t, n);
                z[n] = '\0';
                d = strtod(z, NULL);
            }
            if (isfinite(d)) {
                a->kind = FA_FLOAT;
                a->d = d;
                a->dec_mant = 0;
            } else {
                a->kind = FA_STR; /* out of float64 range: OPA passes the text */
                a->s = t;
                a->n = n;
            }
            return true;
        }
        a->kind = FA_FLOAT;
        a->d = x->u.d;
        int e10 = 0;
        if (!val_float_hint(x, &a->dec_mant, &e10))
            a->dec_mant = 0;
        a->dec_exp = e10;
        return true;
    }
    txt_buf t;
    txt_init(&t, ctx->arena, 32);
    txt_put_rego(&t, x);
    if (t.oom)
        return false;
    a->kind = FA_STR;
    a->s = t.p;
    a->n = t.len;
    return true;
}

enum { FMT_STACK_ARGS = 16 };

/* bi_sprintf past the direct writer: the operands converted to fmt_args,
 * then the plan's steps (plan not NULL) or the general formatter. Out of
 * line, so the direct writer's path carries none of its stack frame. */
static __attribute__((noinline)) bi_status fmt_sprintf_general(bi_ctx *ctx, const val *const *args,
                                                               const fmt_plan *plan, const val **out)
{
    const val *arr = args[1];
    /* Policies pass a handful of operands: those convert on the stack,
     * longer lists into the arena. */
    fmt_arg small[FMT_STACK_ARGS];
    fmt_arg *fa = small;
    if (arr->len > FMT_STACK_ARGS) {
        fa = arena_alloc(ctx->arena, sizeof(fmt_arg) * arr->len);
        if (!fa)
            return bi_oom(ctx);
    }
    /* sized for the usual case up front: growing copies the text */
    size_t hint = plan ? plan->lit_bytes : args[0]->len + 16;
    for (uint32_t i = 0; i < arr->len; i++) {
        if (!fmt_convert(ctx, arr->u.a[i], &fa[i]))
            return bi_oom(ctx);
        hint += fa[i].kind == FA_STR ? fa[i].n + 2 : 24;
    }
    txt_buf b;
    txt_init_value(&b, ctx->arena, hint);
    if (plan)
        fmt_run_plan(&b, plan, args[0]->u.s, args[0]->len, fa, (int)arr->len);
    else
        fmt_printf(&b, args[0]->u.s, args[0]->len, fa, (int)arr->len);
    const val *r = txt_finish(&b);
    if (!r)
        return bi_oom(ctx);
    *out = r;
    return BI_OK;
}

bi_status bi_sprintf(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_STR)
        return bi_type_fail(ctx, "sprintf", 1, "string", args[0]);
    if (args[1]->type != V_ARR)
        return bi_type_fail(ctx, "sprintf", 2, "array", args[1]);
    const fmt_plan *plan = fmt_plan_of(ctx, args[0]);
    if (plan && plan->general)
        plan = NULL;
    if (plan) {
        const val *r = fmt_run_plan_direct(ctx->arena, plan, args[1]);
        if (r) {
            *out = r;
            return BI_OK;
        }
    }
    return fmt_sprintf_general(ctx, args, plan, out);
}

/* ======================================================================== */
/* strings.render_template                                                  */
/* ======================================================================== */

/* OPA converts the variables object to Go values (numbers stay their JSON
 * text, sets become slices) and runs text/template over it. A template
 * value is either one of ours, a Go int made by the template itself (range
 * indexes: their truth is "non-zero", unlike JSON numbers, which are
 * non-empty strings to Go and always true) or "no value" (a missing key). */
typedef enum tv_kind { TV_MISSING, TV_VAL, TV_INT } tv_kind;
typedef struct tval {
    tv_kind k;
    const val *v;
    int64_t i;
} tval;

typedef struct tvar {
    const char *name; /* without the '$' */
    size_t n;
    tval v;
} tvar;

typedef struct titem {
    bool action;
    const char *s; /* text, or the action's inside without delimiters/trim markers */
    size_t n;
    int line;
} titem;

/* Template nesting and variable counts are bounded so that hostile
 * templates cost bounded stack and memory. */
enum { TMPL_MAX_DEPTH = 64, TMPL_MAX_VARS = 256 };

typedef struct tmpl {
    bi_ctx *ctx;
    titem *items;
    size_t nitems;
    tvar vars[TMPL_MAX_VARS];
    size_t nvars;
    tval root, dot;
    txt_buf *out;
    int depth;
    bool failed;
} tmpl;

static bool tmpl_fail(tmpl *t, int line, const char *msg, const char *arg, size_t argn)
{
    if (!t->failed)
        bi_fail(t->ctx, POL_EVAL_BUILTIN, "strings.render_template: template: template:%d: %s%.*s", line, msg,
                (int)argn, arg ? arg : "");
    t->failed = true;
    return false;
}

static bool tmpl_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Splits the source into text and action items, applying {{- and -}}. */
static bool tmpl_lex(tmpl *t, const char *s, size_t n)
{
    size_t cap = 8, count = 0;
    titem *items = arena_alloc(t->ctx->arena, cap * sizeof *items);
    if (!items)
        return false;
    int line = 1;
    size_t i = 0;
    bool trim_next = false;
    while (i <= n) {
        size_t open = i;
        while (open + 1 < n && !(s[open] == '{' && s[open + 1] == '{'))
            open++;
        if (open + 1 >= n)
            open = n;
        size_t text_start = i, text_end = open;
        bool trim_left = open < n && open + 3 < n && s[open + 2] == '-' && tmpl_is_space(s[open + 3]);
        if (trim_next)
            while (text_start < text_end && tmpl_is_space(s[text_start]))
                text_start++;
        if (trim_left)
            while (text_end > text_start && tmpl_is_space(s[text_end - 1]))
                text_end--;
        if (count + 2 > cap) {
            titem *bigger = arena_alloc(t->ctx->arena, cap * 2 * sizeof *items);
            if (!bigger)
                return false;
            memcpy(bigger, items, count * sizeof *items);
            items = bigger;
            cap *= 2;
        }
        if (text_end > text_start)
            items[count++] = (titem){false, s + text_start, text_end - text_start, line};
        for (size_t k = i; k < open; k++)
            line += s[k] == '\n';
        if (open >= n)
            break;
        size_t body = open + 2 + (trim_left ? 2 : 0);
        /* Find the closing delimiter, skipping quoted literals. */
        size_t j = body;
        char quote = 0;
        for (; j + 1 < n; j++) {
            char c = s[j];
            if (quote) {
                if (c == '\\' && quote != '`')
                    j++;
                else if (c == quote)
                    quote = 0;
                continue;
            }
            if (c == '"' || c == '`' || c == '\'')
                quote = c;
            else if (c == '}' && s[j + 1] == '}')
                break;
        }
        if (j + 1 >= n) {
            t->items = items;
            return tmpl_fail(t, line, "unclosed action", NULL, 0);
        }
        size_t body_end = j;
        trim_next = body_end >= body + 2 && s[body_end - 1] == '-' && tmpl_is_space(s[body_end - 2]);
        if (trim_next)
            body_end -= 2;
        while (body < body_end && tmpl_is_space(s[body]))
            body++;
        while (body_end > body && tmpl_is_space(s[body_end - 1]))
            body_end--;
        bool comment = body_end - body >= 4 && s[body] == '/' && s[body + 1] == '*' &&
                       s[body_end - 2] == '*' && s[body_end - 1] == '/';
        if (!comment)
            items[count++] = (titem){true, s + body, body_end - body, line};
        for (size_t k = open; k < j + 2; k++)
            line += s[k] == '\n';
        i = j + 2;
    }
    t->items = items;
    t->nitems = count;
    return true;
}

/* ---- pipelines -------------------------------------------------------------- */

typedef struct tcur {
    const char *s;
    size_t n, i;
    int line;
} tcur;

static void tcur_skip_space(tcur *c)
{
    while (c->i < c->n && tmpl_is_space(c->s[c->i]))
        c->i++;
}

static bool tmpl_ident_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
           (unsigned char)ch >= 0x80;
}

static tvar *tmpl_lookup_var(tmpl *t, const char *name, size_t n)
{
    for (size_t k = t->nvars; k-- > 0;)
        if (t->vars[k].n == n && memcmp(t->vars[k].name, name, n) == 0)
            return &t->vars[k];
    return NULL;
}

static bool tmpl_field(tmpl *t, tcur *c, tval *v)
{
    while (c->i < c->n && c->s[c->i] == '.' && c->i + 1 < c->n && tmpl_ident_char(c->s[c->i + 1])) {
        size_t start = ++c->i;
        while (c->i < c->n && tmpl_ident_char(c->s[c->i]))
            c->i++;
        const char *name = c->s + start;
        size_t nn = c->i - start;
        if (v->k == TV_MISSING || (v->k == TV_VAL && v->v->type == V_NULL))
            return tmpl_fail(t, c->line, "nil pointer evaluating interface {}.", name, nn);
        if (v->k != TV_VAL || v->v->type != V_OBJ)
            return tmpl_fail(t, c->line, "can't evaluate field ", name, nn);
        const val *got = val_obj_get_str(v->v, name, nn);
        *v = got ? (tval){TV_VAL, got, 0} : (tval){TV_MISSING, NULL, 0};
    }
    return true;
}

/* Go string literal: "…" with escapes, or `…` raw. */
static bool tmpl_string_lit(tmpl *t, tcur *c, tval *v)
{
    char q = c->s[c->i++];
    txt_buf b;
    txt_init(&b, t->ctx->arena, 16);
    while (c->i < c->n && c->s[c->i] != q) {
        char ch = c->s[c->i++];
        if (ch == '\\' && q == '"' && c->i < c->n) {
            char e = c->s[c->i++];
            switch (e) {
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case 'r': ch = '\r'; break;
            default: ch = e; break;
            }
        }
        txt_putc(&b, ch);
    }
    if (c->i >= c->n)
        return tmpl_fail(t, c->line, "unterminated quoted string", NULL, 0);
    c->i++;
    const val *s = txt_finish(&b);
    if (!s) {
        t->failed = true;
        bi_oom(t->ctx);
        return false;
    }
    *v = (tval){TV_VAL, s, 0};
    return true;
}

static bool tmpl_operand(tmpl *t, tcur *c, tval *v)
{
    tcur_skip_space(c);
    if (c->i >= c->n)
        return tmpl_fail(t, c->line, "missing value for command", NULL, 0);
    char ch = c->s[c->i];
    if (ch == '.') {
        *v = t->dot;
        if (c->i + 1 >= c->n || !tmpl_ident_char(c->s[c->i + 1]))
            c->i++;
        return tmpl_field(t, c, v);
    }
    if (ch == '$') {
        size_t start = ++c->i;
        while (c->i < c->n && tmpl_ident_char(c->s[c->i]))
            c->i++;
        if (c->i == start) {
            *v = t->root;
        } else {
            tvar *var = tmpl_lookup_var(t, c->s + start, c->i - start);
            if (!var)
                return tmpl_fail(t, c->line, "undefined variable: $", c->s + start, c->i - start);
            *v = var->v;
        }
        return tmpl_field(t, c, v);
    }
    if (ch == '"' || ch == '`')
        return tmpl_string_lit(t, c, v);
    if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+') {
        size_t start = c->i;
        while (c->i < c->n && !tmpl_is_space(c->s[c->i]) && c->s[c->i] != ')')
            c->i++;
        const val *num = v_num_text(t->ctx->arena, c->s + start, c->i - start);
        if (!num || num->type != V_NUM)
            return tmpl_fail(t, c->line, "bad number syntax: ", c->s + start, c->i - start);
        *v = (tval){TV_VAL, num, 0};
        return true;
    }
    size_t start = c->i;
    while (c->i < c->n && tmpl_ident_char(c->s[c->i]))
        c->i++;
    size_t wn = c->i - start;
    const char *w = c->s + start;
    if (wn == 4 && memcmp(w, "true", 4) == 0)
        *v = (tval){TV_VAL, VAL_TRUE, 0};
    else if (wn == 5 && memcmp(w, "false", 5) == 0)
        *v = (tval){TV_VAL, VAL_FALSE, 0};
    else if (wn == 3 && memcmp(w, "nil", 3) == 0)
        *v = (tval){TV_VAL, VAL_NULL, 0};
    else if (wn > 0)
        return tmpl_fail(t, c->line, "function not defined: ", w, wn);
    else
        return tmpl_fail(t, c->line, "unexpected character in command: ", w, 1);
    return true;
}

static bool tmpl_pipeline(tmpl *t, tcur *c, tval *v)
{
    if (!tmpl_operand(t, c, v))
        return false;
    tcur_skip_space(c);
    if (c->i < c->n)
        return tmpl_fail(t, c->line, "unsupported pipeline syntax: ", c->s + c->i, c->n - c->i);
    return true;
}

/* An optional "$x :=" or "$x =" (or "$i, $v :=" when two are allowed). */
static bool tmpl_decl(tcur *c, const char **names, size_t *lens, int max, int *count, bool *assign)
{
    size_t save = c->i;
    *count = 0;
    *assign = false;
    for (;;) {
        tcur_skip_space(c);
        if (c->i >= c->n || c->s[c->i] != '$')
            break;
        size_t start = ++c->i;
        while (c->i < c->n && tmpl_ident_char(c->s[c->i]))
            c->i++;
        if (*count < max) {
            names[*count] = c->s + start;
            lens[*count] = c->i - start;
        }
        (*count)++;
        tcur_skip_space(c);
        if (c->i < c->n && c->s[c->i] == ',') {
            c->i++;
            continue;
        }
        if (c->i + 1 < c->n && c->s[c->i] == ':' && c->s[c->i + 1] == '=') {
            c->i += 2;
            return *count <= max;
        }
        if (c->i < c->n && c->s[c->i] == '=' && *count == 1) {
            c->i++;
            *assign = true;
            return true;
        }
        break;
    }
    c->i = save;
    *count = 0;
    return true;
}

static bool tmpl_set_var(tmpl *t, int line, const char *name, size_t n, tval v)
{
    if (t->nvars >= TMPL_MAX_VARS)
        return tmpl_fail(t, line, "too many variables", NULL, 0);
    t->vars[t->nvars++] = (tvar){name, n, v};
    return true;
}

/* ---- printing and truth --------------------------------------------------- */

/* fmt's %v of the Go value: slices as [a b], maps as map[k:v], nil as <nil>. */
static void tmpl_print_val(txt_buf *b, const val *x)
{
    switch ((vtype)x->type) {
    case V_NULL: txt_put(b, "<nil>", 5); return;
    case V_BOOL: txt_put(b, x->u.b ? "true" : "false", x->u.b ? 4 : 5); return;
    case V_NUM: txt_put_num(b, x); return;
    case V_STR: txt_put(b, x->u.s, x->len); return;
    case V_ARR:
    case V_SET:
        txt_putc(b, '[');
        for (uint32_t i = 0; i < x->len; i++) {
            if (i)
                txt_putc(b, ' ');
            tmpl_print_val(b, x->u.a[i]);
        }
        txt_putc(b, ']');
        return;
    case V_OBJ:
        txt_put(b, "map[", 4);
        for (uint32_t i = 0; i < x->len; i++) {
            if (i)
                txt_putc(b, ' ');
            tmpl_print_val(b, x->u.o.k[i]);
            txt_putc(b, ':');
            tmpl_print_val(b, x->u.o.v[i]);
        }
        txt_putc(b, ']');
        return;
    }
}

static void tmpl_print(tmpl *t, tval v)
{
    if (v.k == TV_MISSING) {
        txt_put(t->out, "<undefined>", 11); /* OPA rewrites Go's "<no value>" */
    } else if (v.k == TV_INT) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "%lld", (long long)v.i);
        txt_put(t->out, buf, (size_t)n);
    } else {
        tmpl_print_val(t->out, v.v);
    }
}

static bool tmpl_truth(tval v)
{
    if (v.k == TV_MISSING)
        return false;
    if (v.k == TV_INT)
        return v.i != 0;
    switch ((vtype)v.v->type) {
    case V_NULL: return false;
    case V_BOOL: return v.v->u.b;
    case V_NUM: return true;
    default: return v.v->len > 0;
    }
}

/* ---- execution -------------------------------------------------------------- */

typedef enum tkw { KW_NONE, KW_IF, KW_ELSE, KW_END, KW_RANGE, KW_WITH, KW_OTHER } tkw;

static tkw tmpl_keyword(const titem *it, tcur *c)
{
    *c = (tcur){it->s, it->n, 0, it->line};
    size_t k = 0;
    while (k < it->n && tmpl_ident_char(it->s[k]))
        k++;
    static const struct {
        const char *w;
        tkw kw;
    } words[] = {{"if", KW_IF},       {"else", KW_ELSE},     {"end", KW_END},        {"range", KW_RANGE},
                 {"with", KW_WITH},   {"define", KW_OTHER},  {"template", KW_OTHER}, {"block", KW_OTHER},
                 {"break", KW_OTHER}, {"continue", KW_OTHER}};
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) {
        if (strlen(words[w].w) == k && memcmp(words[w].w, it->s, k) == 0) {
            c->i = k;
            return words[w].kw;
        }
    }
    return KW_NONE;
}

static size_t tmpl_exec_list(tmpl *t, size_t pos, bool skip);

/* Runs the branches of an if/with/range starting after the opening item;
 * returns the index after the matching {{end}}. */
static size_t tmpl_exec_block(tmpl *t, size_t pos, tkw kw, tcur *c, bool skip)
{
    int line = t->items[pos].line;
    if (++t->depth > TMPL_MAX_DEPTH) {
        tmpl_fail(t, line, "template nested too deeply", NULL, 0);
        return t->nitems;
    }
    size_t saved_vars = t->nvars;
    tval saved_dot = t->dot;
    size_t p;
    if (kw == KW_RANGE) {
        const char *names[2];
        size_t lens[2];
        int nnames = 0;
        bool assign;
        tval coll = {TV_MISSING, NULL, 0};
        if (!skip &&
            (!tmpl_decl(c, names, lens, 2, &nnames, &assign) || assign || !tmpl_pipeline(t, c, &coll))) {
            if (!t->failed)
                tmpl_fail(t, line, "bad range syntax", NULL, 0);
            return t->nitems;
        }
        size_t body = pos + 1;
        p = tmpl_exec_list(t, body, true); /* find {{else}}/{{end}} */
        uint32_t count = 0;
        if (!skip && coll.k == TV_VAL) {
            vtype ty = (vtype)coll.v->type;
            if (ty == V_ARR || ty == V_SET || ty == V_OBJ)
                count = coll.v->len;
            else if (ty != V_NULL)
                tmpl_fail(t, line, "range can't iterate over ", vtype_name(ty), strlen(vtype_name(ty)));
        } else if (!skip && coll.k == TV_INT) {
            count = coll.i > 0 ? (uint32_t)(coll.i > UINT32_MAX ? UINT32_MAX : coll.i) : 0;
        }
        for (uint32_t i = 0; i < count && !t->failed; i++) {
            tval key, elem;
            if (coll.k == TV_INT) {
                key = elem = (tval){TV_INT, NULL, (int64_t)i};
            } else if (coll.v->type == V_OBJ) {
                key = (tval){TV_VAL, coll.v->u.o.k[i], 0};
                elem = (tval){TV_VAL, coll.v->u.o.v[i], 0};
            } else {
                key = (tval){TV_INT, NULL, (int64_t)i};
                elem = (tval){TV_VAL, coll.v->u.a[i], 0};
            }
            t->nvars = saved_vars;
            if (nnames == 1)
                tmpl_set_var(t, line, names[0], lens[0], elem);
            else if (nnames == 2) {
                tmpl_set_var(t, line, names[0], lens[0], key);
                tmpl_set_var(t, line, names[1], lens[1], elem);
            }
            t->dot = elem;
            tmpl_exec_list(t, body, false);
        }
        t->nvars = saved_vars;
        t->dot = saved_dot;
        if (p < t->nitems && tmpl_keyword(&t->items[p], c) == KW_ELSE)
            p = tmpl_exec_list(t, p + 1, skip || count > 0 || t->failed);
    } else {
        /* if / with, then any {{else if …}} / {{else with …}} / {{else}}. */
        bool done = false;
        bool take = false;
        tkw cur = kw;
        size_t at = pos;
        for (;;) {
            take = false;
            if (!skip && !done && !t->failed) {
                const char *names[1];
                size_t lens[1];
                int nnames = 0;
                bool assign;
                tval v;
                if (!tmpl_decl(c, names, lens, 1, &nnames, &assign) || !tmpl_pipeline(t, c, &v)) {
                    if (!t->failed)
                        tmpl_fail(t, t->items[at].line, "bad pipeline", NULL, 0);
                } else {
                    take = tmpl_truth(v);
                    if (take && nnames == 1)
                        tmpl_set_var(t, line, names[0], lens[0], v);
                    if (take && cur == KW_WITH)
                        t->dot = v;
                }
            }
            p = tmpl_exec_list(t, at + 1, !take);
            t->dot = saved_dot;
            t->nvars = saved_vars;
            done = done || take;
            if (p >= t->nitems || tmpl_keyword(&t->items[p], c) != KW_ELSE)
                break;
            tcur_skip_space(c);
            tcur probe = *c;
            tkw next = tmpl_keyword(&(titem){true, c->s + c->i, c->n - c->i, c->line}, &probe);
            if (next == KW_IF || next == KW_WITH) {
                *c = (tcur){c->s + c->i + probe.i, c->n - c->i - probe.i, 0, c->line};
                cur = next;
                at = p;
                continue;
            }
            p = tmpl_exec_list(t, p + 1, skip || done || t->failed);
            break;
        }
    }
    t->dot = saved_dot;
    t->nvars = saved_vars;
    t->depth--;
    if (p >= t->nitems || tmpl_keyword(&t->items[p], c) != KW_END) {
        tmpl_fail(t, line, "unexpected EOF", NULL, 0);
        return t->nitems;
    }
    return p + 1;
}

/* Executes items from pos until an {{else}} or {{end}} of this level (its
 * index is returned) or the end. With skip, only walks the structure. */
static size_t tmpl_exec_list(tmpl *t, size_t pos, bool skip)
{
    while (pos < t->nitems && !t->failed) {
        const titem *it = &t->items[pos];
        if (!it->action) {
            if (!skip)
                txt_put(t->out, it->s, it->n);
            pos++;
            continue;
        }
        tcur c;
        tkw kw = tmpl_keyword(it, &c);
        switch (kw) {
        case KW_ELSE:
        case KW_END: return pos;
        case KW_IF:
        case KW_RANGE:
        case KW_WITH: pos = tmpl_exec_block(t, pos, kw, &c, skip); continue;
        case KW_OTHER: tmpl_fail(t, it->line, "unsupported action: ", it->s, it->n); return t->nitems;
        case KW_NONE: break;
        }
        if (!skip) {
            const char *names[1];
            size_t lens[1];
            int nnames = 0;
            bool assign;
            tval v;
            if (!tmpl_decl(&c, names, lens, 1, &nnames, &assign) || !tmpl_pipeline(t, &c, &v))
                return t->nitems;
            if (nnames == 0) {
                tmpl_print(t, v);
            } else if (assign) {
                tvar *var = tmpl_lookup_var(t, names[0], lens[0]);
                if (!var) {
                    tmpl_fail(t, it->line, "undefined variable: $", names[0], lens[0]);
                    return t->nitems;
                }
                var->v = v;
            } else if (!tmpl_set_var(t, it->line, names[0], lens[0], v)) {
                return t->nitems;
            }
        }
        pos++;
    }
    return pos;
}

bi_status bi_render_template(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_STR)
        return bi_type_fail(ctx, "strings.render_template", 1, "string", args[0]);
    if (args[1]->type != V_OBJ)
        return bi_type_fail(ctx, "strings.render_template", 2, "object", args[1]);
    tmpl *t = arena_alloc(ctx->arena, sizeof *t);
    if (!t)
        return bi_oom(ctx);
    memset(t, 0, sizeof *t);
    t->ctx = ctx;
    t->root = t->dot = (tval){TV_VAL, args[1], 0};
    txt_buf b;
    txt_init(&b, ctx->arena, args[0]->len + 16);
    t->out = &b;
    if (!tmpl_lex(t, args[0]->u.s, args[0]->len))
        return t->failed ? BI_ERR : bi_oom(ctx);
    size_t end = tmpl_exec_list(t, 0, false);
    if (t->failed)
        return BI_ERR;
    if (end < t->nitems) {
        tmpl_fail(t, t->items[end].line, "unexpected ", t->items[end].s, t->items[end].n);
        return BI_ERR;
    }
    const val *r = txt_finish(&b);
    if (!r)
        return bi_oom(ctx);
    *out = r;
    return BI_OK;
}
