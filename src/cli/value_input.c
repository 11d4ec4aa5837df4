/* A small recursive-descent JSON reader that emits pol_values through the
 * public builder API; see value_input.h.
 *
 * Invariants: `pos` never passes `end`; scratch_used + (bytes still to be
 * read) <= len, because each string is staged in at most as many scratch
 * bytes as its escaped form consumed from the text, so staging never
 * overruns the caller's `len`-byte buffer. */
#include "value_input.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct reader {
    pol_ctx *ctx;
    const char *start, *pos, *end;
    char *scratch;
    size_t scratch_used;
    char *errbuf;
    size_t errcap;
    bool failed;
} reader;

/* Long enough for any double's shortest spelling; longer numerals (e.g. a
 * 600-digit integer) are rejected rather than rounded silently. */
enum { MAX_NUMBER_CHARS = 400 };

static const pol_value *fail(reader *r, const char *fmt, ...)
{
    if (!r->failed && r->errbuf && r->errcap > 0) {
        int n = snprintf(r->errbuf, r->errcap, "offset %zu: ", (size_t)(r->pos - r->start));
        if (n >= 0 && (size_t)n < r->errcap) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(r->errbuf + n, r->errcap - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    r->failed = true;
    return NULL;
}

static void skip_space(reader *r)
{
    while (r->pos < r->end && (*r->pos == ' ' || *r->pos == '\t' || *r->pos == '\n' || *r->pos == '\r'))
        r->pos++;
}

static bool take_word(reader *r, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(r->end - r->pos) < n || memcmp(r->pos, word, n) != 0)
        return false;
    r->pos += n;
    return true;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the four hex digits after "\u". */
static bool read_hex4(reader *r, uint32_t *out)
{
    if (r->end - r->pos < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(r->pos[i]);
        if (d < 0)
            return false;
        v = v * 16 + (uint32_t)d;
    }
    r->pos += 4;
    *out = v;
    return true;
}

static size_t put_utf8(char *dst, uint32_t cp)
{
    if (cp < 0x80) {
        dst[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        dst[0] = (char)(0xC0 | (cp >> 6));
        dst[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12));
        dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18));
    dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    dst[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads a string literal (pos at the opening quote) into scratch. A
 * "\uXXXX" escape is 6 bytes of text and at most 3 of UTF-8, a surrogate
 * pair 12 and 4, so the staged form never outgrows the text. Lone
 * surrogates become U+FFFD, as Go's encoding/json (and so OPA) does. */
static bool read_string(reader *r, const char **out, size_t *out_len)
{
    r->pos++; /* opening quote */
    char *dst = r->scratch + r->scratch_used;
    size_t n = 0;
    while (r->pos < r->end && *r->pos != '"') {
        unsigned char c = (unsigned char)*r->pos;
        if (c < 0x20) {
            fail(r, "control character in string");
            return false;
        }
        if (c != '\\') {
            dst[n++] = (char)c;
            r->pos++;
            continue;
        }
        r->pos++;
        if (r->pos >= r->end)
            break;
        char e = *r->pos++;
        switch (e) {
        case '"': dst[n++] = '"'; break;
        case '\\': dst[n++] = '\\'; break;
        case '/': dst[n++] = '/'; break;
        case 'b': dst[n++] = '\b'; break;
        case 'f': dst[n++] = '\f'; break;
        case 'n': dst[n++] = '\n'; break;
        case 'r': dst[n++] = '\r'; break;
        case 't': dst[n++] = '\t'; break;
        case 'u': {
            uint32_t cp = 0;
            if (!read_hex4(r, &cp)) {
                fail(r, "bad \\u escape");
                return false;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo = 0;
                const char *save = r->pos;
                if (r->end - r->pos >= 2 && r->pos[0] == '\\' && r->pos[1] == 'u') {
                    r->pos += 2;
                    if (read_hex4(r, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    else
                        r->pos = save;
                }
                if (cp < 0x10000)
                    cp = 0xFFFD;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            n += put_utf8(dst + n, cp);
            break;
        }
        default: fail(r, "bad escape \\%c", e); return false;
        }
    }
    if (r->pos >= r->end) {
        fail(r, "unterminated string");
        return false;
    }
    r->pos++; /* closing quote */
    r->scratch_used += n;
    *out = dst;
    *out_len = n;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static const pol_value *read_number(reader *r)
{
    const char *begin = r->pos;
    bool integral = true;
    if (r->pos < r->end && *r->pos == '-')
        r->pos++;
    if (r->pos >= r->end || !is_digit(*r->pos))
        return fail(r, "bad number");
    if (*r->pos == '0')
        r->pos++;
    else
        while (r->pos < r->end && is_digit(*r->pos))
            r->pos++;
    if (r->pos < r->end && *r->pos == '.') {
        integral = false;
        r->pos++;
        if (r->pos >= r->end || !is_digit(*r->pos))
            return fail(r, "bad number");
        while (r->pos < r->end && is_digit(*r->pos))
            r->pos++;
    }
    if (r->pos < r->end && (*r->pos == 'e' || *r->pos == 'E')) {
        integral = false;
        r->pos++;
        if (r->pos < r->end && (*r->pos == '+' || *r->pos == '-'))
            r->pos++;
        if (r->pos >= r->end || !is_digit(*r->pos))
            return fail(r, "bad number");
        while (r->pos < r->end && is_digit(*r->pos))
            r->pos++;
    }
    size_t n = (size_t)(r->pos - begin);
    if (integral) {
        /* Accumulate negatively so INT64_MIN fits. */
        bool neg = begin[0] == '-';
        int64_t v = 0;
        bool fits = true;
        for (const char *p = begin + (neg ? 1 : 0); p < r->pos && fits; p++) {
            int d = *p - '0';
            if (v < (INT64_MIN + d) / 10)
                fits = false;
            else
                v = v * 10 - d;
        }
        if (fits && (neg || v != INT64_MIN)) {
            const pol_value *out = pol_make_int(r->ctx, neg ? v : -v);
            return out ? out : fail(r, "arena full");
        }
    }
    if (n > MAX_NUMBER_CHARS)
        return fail(r, "number longer than %d characters", MAX_NUMBER_CHARS);
    char buf[MAX_NUMBER_CHARS + 1];
    memcpy(buf, begin, n);
    buf[n] = '\0';
    const pol_value *out = pol_make_double(r->ctx, strtod(buf, NULL));
    return out ? out : fail(r, "arena full");
}

static const pol_value *read_value(reader *r, int depth);

static const pol_value *read_array(reader *r, int depth)
{
    pol_builder b;
    pol_array_begin(r->ctx, &b);
    r->pos++; /* [ */
    skip_space(r);
    if (r->pos < r->end && *r->pos == ']') {
        r->pos++;
    } else {
        for (;;) {
            const pol_value *v = read_value(r, depth + 1);
            if (!v)
                return NULL;
            if (!pol_array_push(&b, v))
                return fail(r, "arena full");
            skip_space(r);
            if (r->pos < r->end && *r->pos == ',') {
                r->pos++;
                continue;
            }
            if (r->pos < r->end && *r->pos == ']') {
                r->pos++;
                break;
            }
            return fail(r, "expected , or ] in array");
        }
    }
    const pol_value *out = pol_array_end(&b);
    return out ? out : fail(r, "arena full");
}

static const pol_value *read_object(reader *r, int depth)
{
    pol_builder b;
    pol_object_begin(r->ctx, &b);
    r->pos++; /* { */
    skip_space(r);
    if (r->pos < r->end && *r->pos == '}') {
        r->pos++;
    } else {
        for (;;) {
            skip_space(r);
            if (r->pos >= r->end || *r->pos != '"')
                return fail(r, "expected a string key");
            const char *key = NULL;
            size_t key_len = 0;
            if (!read_string(r, &key, &key_len))
                return NULL;
            skip_space(r);
            if (r->pos >= r->end || *r->pos != ':')
                return fail(r, "expected : after key");
            r->pos++;
            const pol_value *v = read_value(r, depth + 1);
            if (!v)
                return NULL;
            if (!pol_object_put(&b, key, key_len, v))
                return fail(r, "arena full");
            skip_space(r);
            if (r->pos < r->end && *r->pos == ',') {
                r->pos++;
                continue;
            }
            if (r->pos < r->end && *r->pos == '}') {
                r->pos++;
                break;
            }
            return fail(r, "expected , or } in object");
        }
    }
    const pol_value *out = pol_object_end(&b);
    return out ? out : fail(r, "arena full");
}

static const pol_value *read_value(reader *r, int depth)
{
    if (depth > VALUE_INPUT_MAX_DEPTH)
        return fail(r, "nested deeper than %d", VALUE_INPUT_MAX_DEPTH);
    skip_space(r);
    if (r->pos >= r->end)
        return fail(r, "unexpected end of input");
    const pol_value *out = NULL;
    switch (*r->pos) {
    case '{': return read_object(r, depth);
    case '[': return read_array(r, depth);
    case '"': {
        const char *s = NULL;
        size_t n = 0;
        if (!read_string(r, &s, &n))
            return NULL;
        out = pol_make_string(r->ctx, s, n);
        break;
    }
    case 't':
        if (!take_word(r, "true"))
            return fail(r, "unexpected character");
        out = pol_make_bool(r->ctx, true);
        break;
    case 'f':
        if (!take_word(r, "false"))
            return fail(r, "unexpected character");
        out = pol_make_bool(r->ctx, false);
        break;
    case 'n':
        if (!take_word(r, "null"))
            return fail(r, "unexpected character");
        out = pol_make_null(r->ctx);
        break;
    default:
        if (*r->pos == '-' || is_digit(*r->pos))
            return read_number(r);
        return fail(r, "unexpected character");
    }
    return out ? out : fail(r, "arena full");
}

const pol_value *value_input_from_json(pol_ctx *ctx, const char *json, size_t len, char *scratch,
                                       char *errbuf, size_t errcap)
{
    if (errbuf && errcap > 0)
        errbuf[0] = '\0';
    reader r = {ctx, json, json, json + len, scratch, 0, errbuf, errcap, false};
    if (!ctx || !json || !scratch)
        return fail(&r, "missing argument");
    const pol_value *v = read_value(&r, 0);
    if (!v)
        return NULL;
    skip_space(&r);
    if (r.pos != r.end)
        return fail(&r, "trailing characters after the value");
    return v;
}
