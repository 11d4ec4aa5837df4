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
enum { JSON_KEY_CACHE = 64, JSON_KEY_CACHE_MAX_LEN = 32 };

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

static const val *jfail(jparser *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

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

static void jskip_ws(jparser *p)
{
    while (p->i < p->n) {
        unsigned char c = p->s[p->i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            break;
        p->i++;
    }
}

static const val *jparse_value(jparser *p);

static bool jpush(jparser *p, const val *x)
{
    if (p->top == p->cap) {
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
    }
    p->stk[p->top++] = x;
    return true;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int32_t jhex4(const unsigned char *s)
{
    int32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static size_t utf8_put(unsigned char *out, int32_t cp)
{
    return (size_t)utf8proc_encode_char(cp, out);
}

/* Decodes the string body starting at p->i (just past the opening quote)
 * up to the closing quote. With out == NULL it only validates and returns
 * the decoded length; with out it writes the bytes (the first pass has
 * already validated, so the second cannot fail). Returns SIZE_MAX on a
 * syntax error. On success *end is the index of the closing quote. */
static size_t jdecode_string(jparser *p, unsigned char *out, size_t *end)
{
    const unsigned char *s = p->s;
    size_t i = p->i, n = p->n, o = 0;
    unsigned char tmp[4];
    while (i < n) {
        unsigned char c = s[i];
        if (c == '"') {
            *end = i;
            return o;
        }
        if (c < 0x20) {
            jfail(p, i, "invalid control character 0x%02x in string (must be escaped)", c);
            return SIZE_MAX;
        }
        if (c == '\\') {
            if (i + 1 >= n)
                break;
            unsigned char e = s[i + 1];
            unsigned char simple = 0;
            switch (e) {
            case '"': simple = '"'; break;
            case '\\': simple = '\\'; break;
            case '/': simple = '/'; break;
            case 'b': simple = '\b'; break;
            case 'f': simple = '\f'; break;
            case 'n': simple = '\n'; break;
            case 'r': simple = '\r'; break;
            case 't': simple = '\t'; break;
            case 'u': break;
            default:
                if (e >= 0x20 && e < 0x7f)
                    jfail(p, i + 1, "invalid escape character '%c' in string", e);
                else
                    jfail(p, i + 1, "invalid escape byte 0x%02x in string", e);
                return SIZE_MAX;
            }
            if (simple) {
                if (out)
                    out[o] = simple;
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
            size_t k = utf8_put(out ? out + o : tmp, cp);
            o += k;
            continue;
        }
        if (c < 0x80) {
            if (out)
                out[o] = c;
            o++;
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k > 0) {
            if (out)
                memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        } else {
            /* Invalid UTF-8: each offending byte becomes U+FFFD (Go). */
            o += utf8_put(out ? out + o : tmp, 0xFFFD);
            i++;
        }
    }
    jfail(p, n, "unexpected end of input in string");
    return SIZE_MAX;
}

static const val *jparse_string(jparser *p, bool is_key)
{
    const unsigned char *s = p->s;
    size_t start = ++p->i; /* past the opening quote */
    size_t i = start;
    /* Fast path: printable ASCII without escapes is copied as is. */
    while (i < p->n && s[i] != '"' && s[i] != '\\' && s[i] >= 0x20 && s[i] < 0x80)
        i++;
    if (i < p->n && s[i] == '"') {
        size_t len = i - start;
        p->i = i + 1;
        const val **slot = NULL;
        if (is_key && len <= JSON_KEY_CACHE_MAX_LEN) {
            uint32_t h = 2166136261u;
            for (size_t k = start; k < i; k++)
                h = (h ^ s[k]) * 16777619u;
            slot = &p->keys[(h ^ (h >> 16)) % JSON_KEY_CACHE];
            const val *hit = *slot;
            if (hit && hit->len == len && memcmp(hit->u.s, s + start, len) == 0)
                return hit;
        }
        const val *v = v_str(p->a, (const char *)s + start, len);
        if (!v)
            return joom(p);
        if (slot)
            *slot = v;
        return v;
    }
    size_t end = 0;
    size_t len = jdecode_string(p, NULL, &end);
    if (len == SIZE_MAX)
        return NULL;
    if (len > UINT32_MAX)
        return jfail(p, start, "string too long");
    if (len == 0) {
        p->i = end + 1;
        return &val_empty_str_c;
    }
    unsigned char *buf = arena_alloc(p->a, len + 1);
    if (!buf)
        return joom(p);
    jdecode_string(p, buf, &end);
    buf[len] = '\0';
    p->i = end + 1;
    const val *v = v_str_ref(p->a, (const char *)buf, len);
    return v ? v : joom(p);
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

static const val *jparse_literal(jparser *p, const char *word, const val *v)
{
    size_t len = strlen(word);
    for (size_t k = 0; k < len; k++) {
        if (p->i + k >= p->n)
            return jfail(p, p->n, "unexpected end of input in literal %s", word);
        if (p->s[p->i + k] != (unsigned char)word[k])
            return jfail(p, p->i + k, "invalid literal (expected %s)", word);
    }
    p->i += len;
    return v;
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
        return jfail(p, p->i, "expected ',' or ']' after array element, found %s", jchar_desc(p, d, sizeof d));
    }
    p->depth--;
    size_t n = p->top - base;
    if (n > UINT32_MAX)
        return jfail(p, open, "array too long");
    const val **elems = arena_alloc(p->a, n * sizeof *elems);
    if (!elems)
        return joom(p);
    memcpy(elems, p->stk + base, n * sizeof *elems);
    p->top = base;
    vbuild b = {.a = p->a, .k = elems, .n = (uint32_t)n, .cap = (uint32_t)n};
    const val *v = vb_finish_array(&b);
    return v ? v : joom(p);
}

typedef struct jpair {
    const val *k, *v;
    uint32_t idx;
} jpair;

/* String keys by bytes, then by position so the last duplicate sorts last. */
static int jpair_cmp(const void *x, const void *y)
{
    const jpair *a = x, *b = y;
    size_t n = a->k->len < b->k->len ? a->k->len : b->k->len;
    int c = n ? memcmp(a->k->u.s, b->k->u.s, n) : 0;
    if (c)
        return c;
    if (a->k->len != b->k->len)
        return a->k->len < b->k->len ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Sorts the pairs by key and keeps the last value of a duplicated key. */
static const val *jfinish_object(jparser *p, vbuild *b)
{
    uint32_t n = b->n;
    bool sorted = true;
    for (uint32_t i = 1; i < n && sorted; i++) {
        const val *x = b->k[i - 1], *y = b->k[i];
        size_t m = x->len < y->len ? x->len : y->len;
        int c = m ? memcmp(x->u.s, y->u.s, m) : 0;
        sorted = c < 0 || (c == 0 && x->len < y->len);
    }
    if (!sorted) {
        jpair *pairs = arena_alloc(p->a, (size_t)n * sizeof *pairs);
        if (!pairs)
            return joom(p);
        for (uint32_t i = 0; i < n; i++) {
            pairs[i].k = b->k[i];
            pairs[i].v = b->v[i];
            pairs[i].idx = i;
        }
        pol_sort(pairs, n, sizeof *pairs, jpair_cmp);
        uint32_t w = 0;
        for (uint32_t i = 0; i < n; i++) {
            bool dup_next = i + 1 < n && pairs[i].k->len == pairs[i + 1].k->len &&
                            memcmp(pairs[i].k->u.s, pairs[i + 1].k->u.s, pairs[i].k->len) == 0;
            if (dup_next)
                continue;
            b->k[w] = pairs[i].k;
            b->v[w] = pairs[i].v;
            w++;
        }
        b->n = w;
    }
    const val *v = vb_finish_object(b, NULL);
    return v ? v : joom(p);
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
        return jfail(p, p->i, "expected ',' or '}' after object member, found %s", jchar_desc(p, d, sizeof d));
    }
    p->depth--;
    size_t n = (p->top - base) / 2;
    if (n > UINT32_MAX)
        return jfail(p, open, "object too large");
    const val **keys = arena_alloc(p->a, n * sizeof *keys);
    const val **vals = arena_alloc(p->a, n * sizeof *vals);
    if (!keys || !vals)
        return joom(p);
    for (size_t i = 0; i < n; i++) {
        keys[i] = p->stk[base + 2 * i];
        vals[i] = p->stk[base + 2 * i + 1];
    }
    p->top = base;
    vbuild b = {.a = p->a, .k = keys, .v = vals, .n = (uint32_t)n, .cap = (uint32_t)n};
    return jfinish_object(p, &b);
}

static const val *jparse_value(jparser *p)
{
    jskip_ws(p);
    if (p->i >= p->n)
        return jfail(p, p->n, "unexpected end of input");
    switch (p->s[p->i]) {
    case '{':
        return jparse_object(p);
    case '[':
        return jparse_array(p);
    case '"':
        return jparse_string(p, false);
    case 't':
        return jparse_literal(p, "true", VAL_TRUE);
    case 'f':
        return jparse_literal(p, "false", VAL_FALSE);
    case 'n':
        return jparse_literal(p, "null", VAL_NULL);
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return jparse_number(p);
    default: {
        char d[32];
        return jfail(p, p->i, "invalid %s looking for beginning of value", jchar_desc(p, d, sizeof d));
    }
    }
}

const val *json_parse(arena *a, const char *s, size_t n, json_error *err)
{
    jparser p = {.a = a, .s = (const unsigned char *)s, .n = s ? n : 0, .err = err};
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
    bool in_key;     /* escape everything written as JSON string content */
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
            bool safe = c >= 0x20 && c != '"' && c != '\\' && !(escape_html && (c == '<' || c == '>' || c == '&'));
            if (safe) {
                i++;
                continue;
            }
            sb_put(b, str + run, i - run);
            char e[6] = {'\\', 0, 0, 0, 0, 0};
            switch (c) {
            case '"': case '\\': e[1] = (char)c; sb_put(b, e, 2); break;
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
    case V_NULL:
        sink_puts(o, "null");
        return;
    case V_BOOL:
        sink_puts(o, x->u.b ? "true" : "false");
        return;
    case V_NUM:
        sink_number(o, x);
        return;
    case V_STR:
        rego_quote(o, x->u.s, x->len);
        return;
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
    case V_NULL:
        sb_puts(o->b, "null");
        return;
    case V_BOOL:
        sb_puts(o->b, x->u.b ? "true" : "false");
        return;
    case V_NUM:
        json_write_number(o->b, x);
        return;
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
void json_write_ex(sbuf *b, const val *x, bool pretty, const char *prefix, const char *indent, bool escape_html);

void json_write_ex(sbuf *b, const val *x, bool pretty, const char *prefix, const char *indent, bool escape_html)
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
