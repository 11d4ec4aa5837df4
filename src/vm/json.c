/* JSON in and out, and Rego term text out.
 *
 * Parsing is strict RFC 8259 with Go's encoding/json leniencies that OPA
 * inherits: invalid UTF-8 and lone surrogate escapes become U+FFFD, and a
 * duplicate object key keeps the last value. The parser allocates only
 * from the arena it is given (it is on the request path) and computes
 * line:col only when it reports an error.
 *
 * Writing follows Go's encoding/json as OPA uses it (keys sorted by their
 * string form, sets as arrays, non-string keys as their Rego text) and
 * Rego's term syntax for rego_write (strings quoted as Go's strconv.Quote).
 * Writers go through a small sink so the same code can emit either raw
 * text or text escaped into a JSON string (a non-string object key).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "vm/value.h"

/* RFC 8259 allows implementations to bound nesting; OPA's own inputs never
 * come close, and the bound keeps the recursive parser's stack use small. */
enum { JSON_MAX_DEPTH = 1000 };

/* ---- sbuf ----------------------------------------------------------------- */

void sb_init(sbuf *b, char *buf, size_t cap)
{
    b->buf = buf;
    b->cap = buf ? cap : 0;
    b->len = 0;
    if (b->cap)
        b->buf[0] = '\0';
}

/* The text stays NUL-terminated whenever there is room for the NUL, so a
 * buffer one byte larger than the output can be read as a C string. */
void sb_put(sbuf *b, const char *s, size_t n)
{
    if (b->len < b->cap) {
        size_t room = b->cap - b->len;
        size_t k = n < room ? n : room;
        if (k)
            memcpy(b->buf + b->len, s, k);
        if (k < room)
            b->buf[b->len + k] = '\0';
    }
    b->len = n > SIZE_MAX - b->len ? SIZE_MAX : b->len + n;
}

void sb_putc(sbuf *b, char c)
{
    sb_put(b, &c, 1);
}

void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

bool sb_ok(const sbuf *b)
{
    return b->len <= b->cap;
}

/* ---- parser ---------------------------------------------------------------- */

/* Keys of the objects in one document repeat ("id", "name", ...): a small
 * direct-mapped cache lets equal short keys share one value. */
enum { JSON_KEY_CACHE_BITS = 6, JSON_KEY_CACHE = 1 << JSON_KEY_CACHE_BITS, JSON_KEY_CACHE_MAX_LEN = 32 };

/* Objects of up to this many members are sorted by insertion: n - 1
 * comparisons when the keys arrive sorted, few moves when they arrive
 * nearly so (both usual), and at most n^2 / 2 comparisons otherwise.
 * Larger objects that arrive unsorted go through pol_sort. */
enum { JSON_INSERTION_SORT_MAX = 32 };

/* Escaped strings whose decoding fits in this many bytes are decoded in
 * one pass into a buffer on the stack; longer ones are measured, then
 * decoded into place. */
enum { JSON_STRING_BUF = 256 };

typedef struct jparser {
    arena *a;
    const unsigned char *s;
    size_t n, i;
    json_error *err;
    int depth;
    bool failed;
    /* Children of every open container, innermost on top: a container
     * pushes its elements (objects: key, value, key, ...) and on closing
     * copies them to an exactly sized array and pops them. The stack is
     * arena memory that doubles when full. */
    const val **stk;
    size_t top, cap;
    const val *keys[JSON_KEY_CACHE];
    const json_keyset *names; /* the bundle's field names, or NULL */
} jparser;

static void json_position(const char *s, size_t off, json_error *e)
{
    uint32_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < off; i++) {
        if (s[i] == '\n') {
            line++;
            line_start = i + 1;
        }
    }
    e->offset = off;
    e->line = line;
    e->col = (uint32_t)(off - line_start + 1);
}

static const val *jfail(jparser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));

static const val *jfail(jparser *p, size_t off, const char *fmt, ...)
{
    if (p->failed)
        return NULL;
    p->failed = true;
    if (p->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
        va_end(ap);
        json_position((const char *)p->s, off > p->n ? p->n : off, p->err);
    }
    return NULL;
}

static const val *joom(jparser *p) __attribute__((cold));

static const val *joom(jparser *p)
{
    jfail(p, p->i, "out of memory");
    if (p->err)
        p->err->oom = true;
    return NULL;
}

/* Describes the byte at the parse position for an error message. */
static const char *jchar_desc(const jparser *p, char *buf, size_t cap)
{
    if (p->i >= p->n)
        return "end of input";
    unsigned char c = p->s[p->i];
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, cap, "character '%c'", c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
    return buf;
}

/* The scanners below read 16 bytes at a time with SSE2 (part of every
 * x86-64) and finish, or run entirely elsewhere, one byte at a time. They
 * never read at or past s[n]: the input is the caller's buffer. */

static inline bool jis_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The index of the first non-whitespace byte in s[i, n), or n. */
static inline size_t jskip_ws_from(const unsigned char *s, size_t i, size_t n)
{
    /* Compact JSON has no whitespace here, and pretty-printed JSON has one
     * space after a colon: both leave before the block loop. */
    if (i < n && s[i] > ' ')
        return i;
    if (n - i >= 2 && s[i] == ' ' && s[i + 1] > ' ')
        return i + 1;
#ifdef __SSE2__
    const __m128i space = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r'),
                  tab = _mm_set1_epi8('\t');
    for (; n - i >= 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, space), _mm_cmpeq_epi8(x, nl)),
                                  _mm_or_si128(_mm_cmpeq_epi8(x, cr), _mm_cmpeq_epi8(x, tab)));
        unsigned other = ~(unsigned)_mm_movemask_epi8(ws) & 0xffffu;
        if (other)
            return i + (size_t)__builtin_ctz(other);
    }
#endif
    while (i < n && jis_ws(s[i]))
        i++;
    return i;
}

static inline void jskip_ws(jparser *p)
{
    p->i = jskip_ws_from(p->s, p->i, p->n);
}

/* Bytes that string content holds as themselves: printable ASCII other
 * than the quote and the backslash. */
static inline bool jis_plain(unsigned char c)
{
    /* Branch-free: the loops that call this exit at unpredictable points,
     * and one mispredicted exit is cheaper than several. */
    return (unsigned)(c - 0x20) < 0x60u && c != '"' && c != '\\';
}

/* The index of the first byte in s[i, n) that is not plain (see
 * jis_plain), or n. */
static inline size_t jscan_plain(const unsigned char *s, size_t i, size_t n)
{
#ifdef __SSE2__
    /* The compare is signed: bytes from 0x80 up are negative, so one
     * "less than 0x20" flags control characters and non-ASCII alike. */
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(' ');
    for (; n - i >= 16; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                    _mm_cmplt_epi8(x, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(stop);
        if (mask)
            return i + (size_t)__builtin_ctz(mask);
    }
#endif
    while (i < n && jis_plain(s[i]))
        i++;
    return i;
}

/* The length of the well-formed UTF-8 sequence at s (s[0] >= 0x80, avail
 * bytes readable), or 0 if it is not one. Well-formed is Unicode's Table
 * 3-7: no overlong forms, no surrogates, nothing past U+10FFFF, which is
 * what Go's utf8.DecodeRune (and utf8proc_iterate) accept. */
static inline size_t jutf8_len(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    if (c < 0xc2 || c > 0xf4)
        return 0;
    if (c < 0xe0)
        return avail >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c < 0xf0) {
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return avail >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
    }
    unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return avail >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80 ? 4 : 0;
}

static const val *jparse_value(jparser *p);

static bool jpush_grow(jparser *p)
{
    size_t cap = p->cap ? p->cap * 2 : 256;
    if (cap > SIZE_MAX / sizeof *p->stk)
        return false;
    const val **stk = arena_alloc(p->a, cap * sizeof *stk);
    if (!stk)
        return false;
    if (p->top)
        memcpy(stk, p->stk, p->top * sizeof *stk);
    p->stk = stk;
    p->cap = cap;
    return true;
}

static inline bool jpush(jparser *p, const val *x)
{
    if (p->top == p->cap && !jpush_grow(p))
        return false;
    p->stk[p->top++] = x;
    return true;
}

/* One more than each hex digit's value; 0 for bytes that are not one. */
static const unsigned char jhexdigits[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The value of the 4 hex digits at s, or -1. A table rather than range
 * tests: digits and letters alternate unpredictably. */
static inline int32_t jhex4(const unsigned char *s)
{
    unsigned a = jhexdigits[s[0]], b = jhexdigits[s[1]], c = jhexdigits[s[2]], d = jhexdigits[s[3]];
    if (!a || !b || !c || !d)
        return -1;
    return (int32_t)((a - 1) << 12 | (b - 1) << 8 | (c - 1) << 4 | (d - 1));
}

/* UTF-8 of a code point that is a Unicode scalar value (as every one the
 * parser produces is) into out, which has room for 4 bytes. */
static inline size_t utf8_put(unsigned char *out, int32_t cp)
{
    uint32_t c = (uint32_t)cp;
    if (c < 0x80) {
        out[0] = (unsigned char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (unsigned char)(0xc0 | c >> 6);
        out[1] = (unsigned char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (unsigned char)(0xe0 | c >> 12);
        out[1] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
        out[2] = (unsigned char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | c >> 18);
    out[1] = (unsigned char)(0x80 | (c >> 12 & 0x3f));
    out[2] = (unsigned char)(0x80 | (c >> 6 & 0x3f));
    out[3] = (unsigned char)(0x80 | (c & 0x3f));
    return 4;
}

/* What each single-character escape stands for; 0 for the rest. A table
 * rather than a switch: escapes vary from one to the next, and the jump
 * a switch compiles to mispredicts. */
static const unsigned char jescapes[256] = {
    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

/* memcpy for the short runs between escapes, where a call would cost
 * more than the copy: fixed-size pieces compile to plain moves. */
static inline void jcopy(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= 32) {
        memcpy(d, s, n);
        return;
    }
    for (; n >= 8; n -= 8, d += 8, s += 8)
        memcpy(d, s, 8);
    if (n & 4) {
        memcpy(d, s, 4);
        d += 4;
        s += 4;
    }
    if (n & 2) {
        memcpy(d, s, 2);
        d += 2;
        s += 2;
    }
    if (n & 1)
        *d = *s;
}

/* Writes n bytes at out[o] if they fit in cap; a string that does not
 * fit is decoded again into a buffer of its exact size. */
static inline void jput(unsigned char *out, size_t cap, size_t o, const unsigned char *src, size_t n)
{
    if (n <= cap && o <= cap - n)
        jcopy(out + o, src, n);
}

/* Decodes the string body from index start (just past the opening quote)
 * up to the closing quote, validating it, and returns the decoded length
 * (SIZE_MAX after reporting a syntax error); *end is then the index of
 * the closing quote. *verbatim (when not NULL) tells whether the body is
 * its own decoding (no escapes, no invalid UTF-8): then nothing is
 * written. Otherwise the decoded bytes are in out if they fit in cap. A
 * second call on the same string cannot fail. */
static size_t jdecode_string(jparser *p, size_t start, unsigned char *out, size_t cap, size_t *end,
                             bool *verbatim)
{
    const unsigned char *s = p->s;
    size_t n = p->n, i = start, o = 0;
    unsigned char u8[4];
    /* Until the first escape or invalid byte the output is the input, and
     * nothing is written; from then on every decoded byte is. */
    bool as_is = true;
    for (;;) {
        /* Runs between escapes are short: bytes first, blocks after. */
        size_t run = i;
        while (run < n && run - i < 8 && jis_plain(s[run]))
            run++;
        if (run - i == 8)
            run = jscan_plain(s, run, n);
        if (!as_is)
            jput(out, cap, o, s + i, run - i);
        o += run - i;
        i = run;
        if (i >= n)
            break;
        unsigned char c = s[i];
        if (c == '"') {
            *end = i;
            if (verbatim)
                *verbatim = as_is;
            return o;
        }
        if (c >= 0x80) {
            size_t k = jutf8_len(s + i, n - i);
            if (k) {
                if (!as_is)
                    jput(out, cap, o, s + i, k);
                o += k;
                i += k;
                continue;
            }
            /* Invalid UTF-8: each offending byte becomes U+FFFD (Go). */
            if (as_is) {
                as_is = false;
                jput(out, cap, 0, s + start, o);
            }
            k = utf8_put(u8, 0xFFFD);
            jput(out, cap, o, u8, k);
            o += k;
            i++;
            continue;
        }
        if (c < 0x20) {
            jfail(p, i, "invalid control character 0x%02x in string (must be escaped)", c);
            return SIZE_MAX;
        }
        /* c is the backslash. */
        if (as_is) {
            as_is = false;
            jput(out, cap, 0, s + start, o);
        }
        if (i + 1 >= n)
            break;
        unsigned char e = s[i + 1];
        unsigned char simple = jescapes[e];
        if (!simple && e != 'u') {
            if (e >= 0x20 && e < 0x7f)
                jfail(p, i + 1, "invalid escape character '%c' in string", e);
            else
                jfail(p, i + 1, "invalid escape byte 0x%02x in string", e);
            return SIZE_MAX;
        }
        if (simple) {
            jput(out, cap, o, &simple, 1);
            o++;
            i += 2;
            continue;
        }
        if (i + 6 > n)
            break;
        int32_t cp = jhex4(s + i + 2);
        if (cp < 0) {
            jfail(p, i, "invalid \\u escape in string (expected 4 hex digits)");
            return SIZE_MAX;
        }
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            /* A high surrogate pairs with an immediately following
             * low-surrogate escape; alone it is U+FFFD, as in Go. */
            int32_t lo = (i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') ? jhex4(s + i + 2) : -1;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        size_t k = utf8_put(u8, cp);
        jput(out, cap, o, u8, k);
        o += k;
    }
    jfail(p, n, "unexpected end of input in string");
    return SIZE_MAX;
}

/* A string value of len bytes (len > 0) whose bytes follow it in the same
 * block, NUL-terminated; the caller fills *bytes. */
static val *jnew_str(jparser *p, size_t len, unsigned char **bytes)
{
    if (len > UINT32_MAX || len > SIZE_MAX - sizeof(val) - 1)
        return NULL;
    val *v = arena_alloc(p->a, sizeof *v + len + 1);
    if (!v)
        return NULL;
    unsigned char *t = (unsigned char *)(v + 1);
    t[len] = '\0';
    *v = (val){.type = V_STR, .len = (uint32_t)len};
    v->u.s = (const char *)t;
    *bytes = t;
    return v;
}

/* A key's first and last (up to) 8 bytes, 0 < len <= 32. With the length
 * they determine a key of up to 16 bytes outright: the two words overlap
 * or meet for 4..16 bytes, and for 1..3 bytes they hold every byte. */
static inline void jkey_words(const unsigned char *s, size_t len, uint64_t *head, uint64_t *tail)
{
    if (len >= 8) {
        memcpy(head, s, 8);
        memcpy(tail, s + len - 8, 8);
    } else if (len >= 4) {
        uint32_t h4, t4;
        memcpy(&h4, s, 4);
        memcpy(&t4, s + len - 4, 4);
        *head = h4;
        *tail = t4;
    } else {
        *head = (uint64_t)s[0] | (uint64_t)s[len / 2] << 8 | (uint64_t)s[len - 1] << 16;
        *tail = 0;
    }
}

static inline uint64_t jkey_hash(uint64_t head, uint64_t tail, size_t len)
{
    return (head ^ (tail << 29 | tail >> 35) ^ len) * 0x9e3779b97f4a7c15u;
}

/* Whether key hit holds the len bytes at s (whose words are head, tail). */
static inline bool jkey_same(const val *hit, const unsigned char *s, size_t len, uint64_t head, uint64_t tail)
{
    if (!hit || hit->len != len)
        return false;
    uint64_t hit_head, hit_tail;
    const unsigned char *t = (const unsigned char *)hit->u.s;
    jkey_words(t, len, &hit_head, &hit_tail);
    return hit_head == head && hit_tail == tail && (len <= 16 || memcmp(t + 8, s + 8, len - 16) == 0);
}

/* The cached key equal to the len bytes at s, or NULL; *slot is where to
 * cache it otherwise. A collision only costs a miss. A key the cache has
 * not seen yet may be one of the bundle's field names: that value is used
 * (and cached), so the evaluation's field reads find their key by address. */
static inline const val *jkey_lookup(jparser *p, const unsigned char *s, size_t len, const val ***slot)
{
    uint64_t head, tail;
    jkey_words(s, len, &head, &tail);
    uint64_t h = jkey_hash(head, tail, len);
    *slot = &p->keys[h >> (64 - JSON_KEY_CACHE_BITS)];
    const val *hit = **slot;
    if (jkey_same(hit, s, len, head, tail))
        return hit;
    if (p->names && p->names->slots) {
        hit = p->names->slots[h >> (64 - p->names->bits)];
        if (jkey_same(hit, s, len, head, tail)) {
            **slot = hit;
            return hit;
        }
    }
    return NULL;
}

bool json_keyset_build(arena *a, json_keyset *ks, const val *const *names, uint32_t n)
{
    memset(ks, 0, sizeof *ks);
    uint32_t bits = 4;
    while (bits < JSON_KEYSET_MAX_BITS && (1u << bits) < 2 * n)
        bits++;
    if (n == 0)
        return true;
    const val **slots = arena_alloc(a, sizeof *slots << bits);
    if (!slots)
        return false;
    memset(slots, 0, sizeof *slots << bits);
    for (uint32_t i = 0; i < n; i++) {
        const val *k = names[i];
        if (k->type != V_STR || k->len == 0 || k->len > JSON_KEY_CACHE_MAX_LEN)
            continue;
        uint64_t head, tail;
        jkey_words((const unsigned char *)k->u.s, k->len, &head, &tail);
        const val **slot = &slots[jkey_hash(head, tail, k->len) >> (64 - bits)];
        if (!*slot) /* direct-mapped: the first name of a slot keeps it */
            *slot = k;
    }
    ks->slots = slots;
    ks->bits = bits;
    return true;
}

const val *json_keyset_find(const json_keyset *ks, const char *s, size_t len)
{
    if (!ks || !ks->slots || len == 0 || len > JSON_KEY_CACHE_MAX_LEN)
        return NULL;
    uint64_t head, tail;
    jkey_words((const unsigned char *)s, len, &head, &tail);
    const val *hit = ks->slots[jkey_hash(head, tail, len) >> (64 - ks->bits)];
    return jkey_same(hit, (const unsigned char *)s, len, head, tail) ? hit : NULL;
}

static const val *jparse_string(jparser *p, bool is_key)
{
    const unsigned char *s = p->s;
    size_t start = ++p->i; /* past the opening quote */
    size_t i = jscan_plain(s, start, p->n);
    size_t len, end;
    bool verbatim = true;
    /* Most escaped strings decode here in one pass. */
    unsigned char buf[JSON_STRING_BUF];
    if (i < p->n && s[i] == '"') {
        /* The common case: printable ASCII without escapes. */
        len = i - start;
        end = i;
        p->i = end + 1;
        if (len == 0)
            return &val_empty_str_c;
    } else {
        len = jdecode_string(p, start, buf, sizeof buf, &end, &verbatim);
        if (len == SIZE_MAX)
            return NULL;
        if (len > UINT32_MAX)
            return jfail(p, start, "string too long");
        if (len == 0) {
            p->i = end + 1;
            return &val_empty_str_c;
        }
    }
    unsigned char *bytes;
    if (verbatim) {
        const val **slot = NULL;
        if (is_key && len <= JSON_KEY_CACHE_MAX_LEN) {
            const val *hit = jkey_lookup(p, s + start, len, &slot);
            if (hit) {
                p->i = end + 1;
                return hit;
            }
        }
        val *v = jnew_str(p, len, &bytes);
        if (!v)
            return joom(p);
        memcpy(bytes, s + start, len);
        p->i = end + 1;
        if (slot)
            *slot = v;
        return v;
    }
    val *v = jnew_str(p, len, &bytes);
    if (!v)
        return joom(p);
    if (len <= sizeof buf)
        memcpy(bytes, buf, len);
    else
        jdecode_string(p, start, bytes, len, &end, NULL);
    p->i = end + 1;
    return v;
}

static const val *jparse_number(jparser *p)
{
    const unsigned char *s = p->s;
    size_t start = p->i, i = p->i, n = p->n;
    bool neg = false, integer = true;
    if (s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n)
        return jfail(p, i, "unexpected end of input in number");
    if (s[i] == '0') {
        i++;
        if (i < n && s[i] >= '0' && s[i] <= '9')
            return jfail(p, start, "invalid number: leading zero");
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    } else {
        return jfail(p, i, "invalid number: expected digit after '-'");
    }
    size_t int_end = i;
    if (i < n && s[i] == '.') {
        integer = false;
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return jfail(p, i, "invalid number: expected digit after decimal point");
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        integer = false;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return jfail(p, i, "invalid number: expected digit in exponent");
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    p->i = i;
    const val *v;
    size_t digits = int_end - start - (neg ? 1 : 0);
    if (integer && digits <= 18) {
        /* 18 digits cannot overflow int64. */
        int64_t x = 0;
        for (size_t k = start + (neg ? 1 : 0); k < int_end; k++)
            x = x * 10 + (s[k] - '0');
        v = v_int(p->a, neg ? -x : x);
    } else {
        v = v_num_text(p->a, (const char *)s + start, i - start);
    }
    return v ? v : joom(p);
}

static const val *jparse_literal(jparser *p, const char *word, size_t len, const val *v)
{
    if (p->n - p->i >= len && memcmp(p->s + p->i, word, len) == 0) {
        p->i += len;
        return v;
    }
    for (size_t k = 0; k < len; k++) {
        if (p->i + k >= p->n)
            return jfail(p, p->n, "unexpected end of input in literal %s", word);
        if (p->s[p->i + k] != (unsigned char)word[k])
            return jfail(p, p->i + k, "invalid literal (expected %s)", word);
    }
    return jfail(p, p->i, "invalid literal (expected %s)", word); /* not reached */
}

static const val *jparse_array(jparser *p)
{
    size_t open = p->i++;
    if (++p->depth > JSON_MAX_DEPTH)
        return jfail(p, open, "exceeded maximum nesting depth of %d", JSON_MAX_DEPTH);
    size_t base = p->top;
    jskip_ws(p);
    if (p->i < p->n && p->s[p->i] == ']') {
        p->i++;
        p->depth--;
        return &val_empty_arr_c;
    }
    for (;;) {
        const val *x = jparse_value(p);
        if (!x)
            return NULL;
        if (!jpush(p, x))
            return joom(p);
        jskip_ws(p);
        if (p->i >= p->n)
            return jfail(p, p->n, "unexpected end of input (expected ',' or ']' after array element)");
        unsigned char c = p->s[p->i];
        if (c == ',') {
            p->i++;
            jskip_ws(p);
            if (p->i < p->n && p->s[p->i] == ']')
                return jfail(p, p->i, "trailing comma in array");
            continue;
        }
        if (c == ']') {
            p->i++;
            break;
        }
        char d[32];
        return jfail(p, p->i, "expected ',' or ']' after array element, found %s",
                     jchar_desc(p, d, sizeof d));
    }
    p->depth--;
    size_t n = p->top - base;
    if (n > UINT32_MAX)
        return jfail(p, open, "array too long");
    /* The value and its element array in one block. */
    val *v = arena_alloc(p->a, sizeof *v + n * sizeof(const val *));
    if (!v)
        return joom(p);
    const val **elems = (const val **)(void *)(v + 1);
    memcpy(elems, p->stk + base, n * sizeof *elems);
    p->top = base;
    *v = (val){.type = V_ARR, .len = (uint32_t)n};
    v->u.a = elems;
    return v;
}

/* Object keys (all strings) in val_compare's order: by bytes, then by
 * length. Keys from the key cache compare equal by pointer. */
static inline int jkey_cmp(const val *x, const val *y)
{
    if (x == y)
        return 0;
    size_t m = x->len < y->len ? x->len : y->len;
    const unsigned char *a = (const unsigned char *)x->u.s, *b = (const unsigned char *)y->u.s;
    /* Keys mostly differ early: a byte loop beats a call to memcmp. */
    size_t k = 0;
    while (k < m && k < 16 && a[k] == b[k])
        k++;
    if (k < m) {
        if (k < 16)
            return a[k] < b[k] ? -1 : 1;
        int c = memcmp(a + k, b + k, m - k);
        if (c)
            return c;
    }
    return x->len < y->len ? -1 : x->len > y->len;
}

typedef struct jpair {
    const val *k, *v;
    uint32_t idx;
} jpair;

/* By key, then by position so the last duplicate sorts last. */
static int jpair_cmp(const void *x, const void *y)
{
    const jpair *a = x, *b = y;
    int c = jkey_cmp(a->k, b->k);
    if (c)
        return c;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Sorts the n members at m (key, value, key, ...) by key, keeping members
 * with equal keys in document order. Returns 1 when two keys are equal,
 * 0 when none are, -1 when out of memory. */
static int jsort_members(jparser *p, const val **m, size_t n)
{
    bool dups = false;
    if (n <= JSON_INSERTION_SORT_MAX) {
        for (size_t i = 1; i < n; i++) {
            const val *k = m[2 * i], *v = m[2 * i + 1];
            size_t j = i;
            int c;
            /* Stops at the greatest earlier key <= k, which is an equal
             * key whenever there is one: so duplicates are all seen. */
            while (j > 0 && (c = jkey_cmp(m[2 * j - 2], k)) > 0) {
                m[2 * j] = m[2 * j - 2];
                m[2 * j + 1] = m[2 * j - 1];
                j--;
            }
            if (j > 0 && c == 0)
                dups = true;
            m[2 * j] = k;
            m[2 * j + 1] = v;
        }
        return dups;
    }
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++) {
        int c = jkey_cmp(m[2 * i - 2], m[2 * i]);
        sorted = c <= 0;
        dups = dups || c == 0;
    }
    if (sorted)
        return dups;
    jpair *pairs = arena_alloc(p->a, n * sizeof *pairs);
    if (!pairs)
        return -1;
    for (size_t i = 0; i < n; i++)
        pairs[i] = (jpair){m[2 * i], m[2 * i + 1], (uint32_t)i};
    pol_sort(pairs, n, sizeof *pairs, jpair_cmp);
    for (size_t i = 0; i < n; i++) {
        m[2 * i] = pairs[i].k;
        m[2 * i + 1] = pairs[i].v;
    }
    return 1; /* not known: let the caller look */
}

static const val *jparse_object(jparser *p)
{
    size_t open = p->i++;
    if (++p->depth > JSON_MAX_DEPTH)
        return jfail(p, open, "exceeded maximum nesting depth of %d", JSON_MAX_DEPTH);
    size_t base = p->top;
    jskip_ws(p);
    if (p->i < p->n && p->s[p->i] == '}') {
        p->i++;
        p->depth--;
        return &val_empty_obj_c;
    }
    for (;;) {
        char d[32];
        if (p->i >= p->n)
            return jfail(p, p->n, "unexpected end of input (expected string for object key)");
        if (p->s[p->i] != '"')
            return jfail(p, p->i, "expected string for object key, found %s", jchar_desc(p, d, sizeof d));
        const val *k = jparse_string(p, true);
        if (!k)
            return NULL;
        jskip_ws(p);
        if (p->i >= p->n)
            return jfail(p, p->n, "unexpected end of input (expected ':' after object key)");
        if (p->s[p->i] != ':')
            return jfail(p, p->i, "expected ':' after object key, found %s", jchar_desc(p, d, sizeof d));
        p->i++;
        const val *x = jparse_value(p);
        if (!x)
            return NULL;
        if (!jpush(p, k) || !jpush(p, x))
            return joom(p);
        jskip_ws(p);
        if (p->i >= p->n)
            return jfail(p, p->n, "unexpected end of input (expected ',' or '}' after object member)");
        unsigned char c = p->s[p->i];
        if (c == ',') {
            p->i++;
            jskip_ws(p);
            if (p->i < p->n && p->s[p->i] == '}')
                return jfail(p, p->i, "trailing comma in object");
            continue;
        }
        if (c == '}') {
            p->i++;
            break;
        }
        return jfail(p, p->i, "expected ',' or '}' after object member, found %s",
                     jchar_desc(p, d, sizeof d));
    }
    p->depth--;
    size_t n = (p->top - base) / 2;
    if (n > UINT32_MAX)
        return jfail(p, open, "object too large");
    const val **m = p->stk + base;
    int dups = jsort_members(p, m, n);
    if (dups < 0)
        return joom(p);
    /* The value and its key and value arrays in one block. */
    val *v = arena_alloc(p->a, sizeof *v + 2 * n * sizeof(const val *));
    if (!v)
        return joom(p);
    const val **keys = (const val **)(void *)(v + 1), **vals = keys + n;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        /* Of equal keys, now adjacent in document order, the last wins. */
        if (dups && i + 1 < n && jkey_cmp(m[2 * i], m[2 * i + 2]) == 0)
            continue;
        keys[w] = m[2 * i];
        vals[w] = m[2 * i + 1];
        w++;
    }
    p->top = base;
    *v = (val){.type = V_OBJ, .len = (uint32_t)w};
    v->u.o.k = keys;
    v->u.o.v = vals;
    return v;
}

static const val *jparse_value(jparser *p)
{
    jskip_ws(p);
    if (p->i >= p->n)
        return jfail(p, p->n, "unexpected end of input");
    switch (p->s[p->i]) {
    case '{': return jparse_object(p);
    case '[': return jparse_array(p);
    case '"': return jparse_string(p, false);
    case 't': return jparse_literal(p, "true", 4, VAL_TRUE);
    case 'f': return jparse_literal(p, "false", 5, VAL_FALSE);
    case 'n': return jparse_literal(p, "null", 4, VAL_NULL);
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9': return jparse_number(p);
    default: {
        char d[32];
        return jfail(p, p->i, "invalid %s looking for beginning of value", jchar_desc(p, d, sizeof d));
    }
    }
}

const val *json_parse(arena *a, const char *s, size_t n, json_error *err)
{
    return json_parse_named(a, NULL, s, n, err);
}

const val *json_parse_named(arena *a, const json_keyset *names, const char *s, size_t n, json_error *err)
{
    jparser p = {.a = a, .s = (const unsigned char *)s, .n = s ? n : 0, .err = err, .names = names};
    if (err)
        memset(err, 0, sizeof *err);
    const val *v = jparse_value(&p);
    if (!v)
        return NULL;
    jskip_ws(&p);
    if (p.i < p.n) {
        char d[32];
        return jfail(&p, p.i, "invalid %s after top-level value", jchar_desc(&p, d, sizeof d));
    }
    return v;
}

/* ---- writers ----------------------------------------------------------------- */

/* Where writer output goes: straight into the buffer, or (for an object
 * key that is not a string) escaped as the contents of a JSON string. */
typedef struct jsink {
    sbuf *b;
    bool in_key; /* escape everything written as JSON string content */
    bool escape_html;
} jsink;

static const char hexdigits[] = "0123456789abcdef";

/* Go encoding/json string content escaping. */
static void json_escape_into(sbuf *b, const char *str, size_t n, bool escape_html)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0; /* start of bytes not yet copied */
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c < 0x80) {
            bool safe =
                c >= 0x20 && c != '"' && c != '\\' && !(escape_html && (c == '<' || c == '>' || c == '&'));
            if (safe) {
                i++;
                continue;
            }
            sb_put(b, str + run, i - run);
            char e[6] = {'\\', 0, 0, 0, 0, 0};
            switch (c) {
            case '"':
            case '\\':
                e[1] = (char)c;
                sb_put(b, e, 2);
                break;
            case '\b': sb_put(b, "\\b", 2); break;
            case '\f': sb_put(b, "\\f", 2); break;
            case '\n': sb_put(b, "\\n", 2); break;
            case '\r': sb_put(b, "\\r", 2); break;
            case '\t': sb_put(b, "\\t", 2); break;
            default:
                e[1] = 'u';
                e[2] = '0';
                e[3] = '0';
                e[4] = hexdigits[c >> 4];
                e[5] = hexdigits[c & 15];
                sb_put(b, e, 6);
                break;
            }
            i++;
            run = i;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            sb_put(b, str + run, i - run);
            sb_put(b, "\\ufffd", 6);
            i++;
            run = i;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            /* Go escapes the JavaScript line terminators even without HTML escaping. */
            sb_put(b, str + run, i - run);
            sb_puts(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
            i += (size_t)k;
            run = i;
            continue;
        }
        i += (size_t)k;
    }
    sb_put(b, str + run, n - run);
}

static void sink_put(jsink *o, const char *s, size_t n)
{
    if (o->in_key)
        json_escape_into(o->b, s, n, o->escape_html);
    else
        sb_put(o->b, s, n);
}

static void sink_puts(jsink *o, const char *s)
{
    sink_put(o, s, strlen(s));
}

static void sink_number(jsink *o, const val *x)
{
    if (!o->in_key) {
        json_write_number(o->b, x);
        return;
    }
    if (x->nk == NUM_BIG) {
        sink_put(o, x->u.s, x->len);
        return;
    }
    char t[48];
    sbuf tb;
    sb_init(&tb, t, sizeof t);
    json_write_number(&tb, x);
    sink_put(o, t, tb.len < sizeof t ? tb.len : sizeof t - 1);
}

/* Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and
 * the ASCII space. */
static bool go_is_print(int32_t cp)
{
    if (cp < 0x80)
        return cp >= 0x20 && cp < 0x7f;
    utf8proc_category_t c = utf8proc_category(cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_SO;
}

/* Go's strconv.Quote, which is how OPA prints a string term. */
static void rego_quote(jsink *o, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0;
    sink_put(o, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        int32_t cp;
        size_t k;
        if (c < 0x80) {
            cp = c;
            k = 1;
        } else {
            utf8proc_int32_t u;
            utf8proc_ssize_t r = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &u);
            cp = r > 0 ? u : -1;
            k = r > 0 ? (size_t)r : 1;
        }
        if (cp != '"' && cp != '\\' && cp >= 0 && go_is_print(cp)) {
            i += k;
            continue;
        }
        sink_put(o, str + run, i - run);
        char e[12];
        int len;
        switch (cp) {
        case '"': len = snprintf(e, sizeof e, "\\\""); break;
        case '\\': len = snprintf(e, sizeof e, "\\\\"); break;
        case '\a': len = snprintf(e, sizeof e, "\\a"); break;
        case '\b': len = snprintf(e, sizeof e, "\\b"); break;
        case '\f': len = snprintf(e, sizeof e, "\\f"); break;
        case '\n': len = snprintf(e, sizeof e, "\\n"); break;
        case '\r': len = snprintf(e, sizeof e, "\\r"); break;
        case '\t': len = snprintf(e, sizeof e, "\\t"); break;
        case '\v': len = snprintf(e, sizeof e, "\\v"); break;
        default:
            if (cp < 0)
                len = snprintf(e, sizeof e, "\\x%02x", c);
            else if (cp < 0x20 || cp == 0x7f)
                len = snprintf(e, sizeof e, "\\x%02x", (unsigned)cp);
            else if (cp < 0x10000)
                len = snprintf(e, sizeof e, "\\u%04x", (unsigned)cp);
            else
                len = snprintf(e, sizeof e, "\\U%08x", (unsigned)cp);
            break;
        }
        sink_put(o, e, (size_t)len);
        i += k;
        run = i;
    }
    sink_put(o, str + run, n - run);
    sink_put(o, "\"", 1);
}

static void rego_term(jsink *o, const val *x)
{
    switch ((vtype)x->type) {
    case V_NULL: sink_puts(o, "null"); return;
    case V_BOOL: sink_puts(o, x->u.b ? "true" : "false"); return;
    case V_NUM: sink_number(o, x); return;
    case V_STR: rego_quote(o, x->u.s, x->len); return;
    case V_ARR:
        sink_put(o, "[", 1);
        for (uint32_t i = 0; i < x->len; i++) {
            if (i)
                sink_put(o, ", ", 2);
            rego_term(o, x->u.a[i]);
        }
        sink_put(o, "]", 1);
        return;
    case V_SET:
        if (x->len == 0) {
            sink_puts(o, "set()");
            return;
        }
        sink_put(o, "{", 1);
        for (uint32_t i = 0; i < x->len; i++) {
            if (i)
                sink_put(o, ", ", 2);
            rego_term(o, x->u.a[i]);
        }
        sink_put(o, "}", 1);
        return;
    case V_OBJ:
        sink_put(o, "{", 1);
        for (uint32_t i = 0; i < x->len; i++) {
            if (i)
                sink_put(o, ", ", 2);
            rego_term(o, x->u.o.k[i]);
            sink_put(o, ": ", 2);
            rego_term(o, x->u.o.v[i]);
        }
        sink_put(o, "}", 1);
        return;
    }
}

void rego_write(sbuf *b, const val *x)
{
    jsink o = {.b = b};
    if (x)
        rego_term(&o, x);
}

/* ---- JSON writer ------------------------------------------------------------- */

typedef struct jwopts {
    bool pretty;
    const char *prefix, *indent;
    bool escape_html;
} jwopts;

/* Key text comparison buffer: keys are ordered by their first
 * JSON_KEY_CMP_BYTES bytes of text, ties broken by Rego order. Longer
 * non-string keys are vanishingly rare. */
enum { JSON_KEY_CMP_BYTES = 256 };

/* The string a key becomes in JSON (its compact JSON unless it is a string),
 * into buf; returns the bytes available for comparison. */
static size_t json_key_text(const val *k, char *buf, const char **text)
{
    if (k->type == V_STR) {
        *text = k->u.s;
        return k->len;
    }
    sbuf tb;
    sb_init(&tb, buf, JSON_KEY_CMP_BYTES);
    json_write(&tb, k, 0);
    *text = buf;
    return tb.len < JSON_KEY_CMP_BYTES ? tb.len : JSON_KEY_CMP_BYTES;
}

static int json_key_cmp(const val *a, const val *b)
{
    char ba[JSON_KEY_CMP_BYTES], bb[JSON_KEY_CMP_BYTES];
    const char *ta, *tb;
    size_t na = json_key_text(a, ba, &ta), nb = json_key_text(b, bb, &tb);
    size_t n = na < nb ? na : nb;
    int c = n ? memcmp(ta, tb, n) : 0;
    if (c)
        return c;
    return na < nb ? -1 : na > nb;
}

static void jw_newline(jsink *o, const jwopts *w, int depth)
{
    sb_putc(o->b, '\n');
    sb_puts(o->b, w->prefix);
    for (int d = 0; d < depth; d++)
        sb_puts(o->b, w->indent);
}

static void jw_value(jsink *o, const jwopts *w, const val *x, int depth);

static void jw_member(jsink *o, const jwopts *w, const val *k, const val *v, int depth, bool first)
{
    if (!first)
        sb_putc(o->b, ',');
    if (w->pretty)
        jw_newline(o, w, depth + 1);
    sb_putc(o->b, '"');
    if (k->type == V_STR) {
        json_escape_into(o->b, k->u.s, k->len, w->escape_html);
    } else {
        /* OPA's JSON form of a non-string key is the key's own compact JSON
         * (Go's json.Encoder), escaped as string content. Keys longer than
         * the stack buffer fall back to their Rego text. */
        char tmp[1024];
        sbuf tb;
        sb_init(&tb, tmp, sizeof tmp);
        jsink ts = {.b = &tb, .in_key = false, .escape_html = w->escape_html};
        const jwopts compact = {false, "", "", w->escape_html};
        jw_value(&ts, &compact, k, depth + 1);
        if (sb_ok(&tb)) {
            json_escape_into(o->b, tmp, tb.len, w->escape_html);
        } else {
            o->in_key = true;
            rego_term(o, k);
            o->in_key = false;
        }
    }
    sb_putc(o->b, '"');
    sb_put(o->b, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    jw_value(o, w, v, depth + 1);
}

/* Go sorts a map[string] by the key strings; keys that are not strings
 * (and so became their Rego text) can land anywhere in that order, and
 * two keys with the same text collapse with the later (in Rego order)
 * winning, as assignment into a Go map does. Selection keeps this
 * allocation-free; it only runs for objects with non-string keys. */
static void jw_object_mixed(jsink *o, const jwopts *w, const val *x, int depth)
{
    int64_t last = -1;
    bool first = true;
    for (;;) {
        int64_t best = -1;
        for (uint32_t i = 0; i < x->len; i++) {
            if (last >= 0 && json_key_cmp(x->u.o.k[i], x->u.o.k[last]) <= 0)
                continue;
            if (best < 0) {
                best = i;
                continue;
            }
            int c = json_key_cmp(x->u.o.k[i], x->u.o.k[best]);
            if (c < 0 || c == 0) /* equal text: the later key wins */
                best = i;
        }
        if (best < 0)
            break;
        jw_member(o, w, x->u.o.k[best], x->u.o.v[best], depth, first);
        first = false;
        last = best;
    }
}

static void jw_value(jsink *o, const jwopts *w, const val *x, int depth)
{
    switch ((vtype)x->type) {
    case V_NULL: sb_puts(o->b, "null"); return;
    case V_BOOL: sb_puts(o->b, x->u.b ? "true" : "false"); return;
    case V_NUM: json_write_number(o->b, x); return;
    case V_STR:
        sb_putc(o->b, '"');
        json_escape_into(o->b, x->u.s, x->len, w->escape_html);
        sb_putc(o->b, '"');
        return;
    case V_ARR:
    case V_SET:
        if (x->len == 0) {
            sb_puts(o->b, "[]");
            return;
        }
        sb_putc(o->b, '[');
        for (uint32_t i = 0; i < x->len; i++) {
            if (i)
                sb_putc(o->b, ',');
            if (w->pretty)
                jw_newline(o, w, depth + 1);
            jw_value(o, w, x->u.a[i], depth + 1);
        }
        if (w->pretty)
            jw_newline(o, w, depth);
        sb_putc(o->b, ']');
        return;
    case V_OBJ: {
        if (x->len == 0) {
            sb_puts(o->b, "{}");
            return;
        }
        sb_putc(o->b, '{');
        bool mixed = false;
        for (uint32_t i = 0; i < x->len && !mixed; i++)
            mixed = x->u.o.k[i]->type != V_STR;
        if (mixed) {
            jw_object_mixed(o, w, x, depth);
        } else {
            for (uint32_t i = 0; i < x->len; i++)
                jw_member(o, w, x->u.o.k[i], x->u.o.v[i], depth, i == 0);
        }
        if (w->pretty)
            jw_newline(o, w, depth);
        sb_putc(o->b, '}');
        return;
    }
    }
}

/* Go's json.Marshal (pretty == false) or json.MarshalIndent(x, prefix,
 * indent) (the first line carries no prefix, as in Go), with or without
 * HTML escaping of <, > and &. Go escapes by default, and OPA keeps the
 * default both in json.marshal and in `opa eval` output (its presentation
 * encoder never calls SetEscapeHTML(false)); escape_html = false is for
 * callers that want raw text. */
void json_write_ex(sbuf *b, const val *x, bool pretty, const char *prefix, const char *indent,
                   bool escape_html);

void json_write_ex(sbuf *b, const val *x, bool pretty, const char *prefix, const char *indent,
                   bool escape_html)
{
    jwopts w = {pretty, prefix ? prefix : "", indent ? indent : "", escape_html};
    jsink o = {.b = b, .escape_html = escape_html};
    if (x)
        jw_value(&o, &w, x, 0);
}

void json_write(sbuf *b, const val *x, int indent)
{
    char spaces[65];
    int n = indent < 0 ? 0 : indent > 64 ? 64 : indent;
    memset(spaces, ' ', (size_t)n);
    spaces[n] = '\0';
    json_write_ex(b, x, indent > 0, "", spaces, true);
}
