/* JSON parse/write, Rego term text, the sticky buffer, and YAML.
 *
 * Expected texts follow Go's encoding/json (what OPA prints with), Go's
 * strconv.Quote (OPA's string term text), go-yaml v2 (OPA's YAML), and
 * the cases in OPA's conformance suite (the jsonbuiltins folder) where they pin
 * output down. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "../test.h"
#include "vm/value.h"

/* Not yet in value.h (requested): Go's MarshalIndent with prefix and
 * indent strings, and HTML escaping as json.Marshal does. */
void json_write_ex(sbuf *b, const val *x, bool pretty, const char *prefix, const char *indent,
                   bool escape_html);

static unsigned char mem[4 << 20];
static char out[1 << 16];

static const char *jw(const val *v, int indent)
{
    sbuf b;
    sb_init(&b, out, sizeof out);
    json_write(&b, v, indent);
    return sb_ok(&b) ? out : "(overflow)";
}

static const char *rw(const val *v)
{
    sbuf b;
    sb_init(&b, out, sizeof out);
    rego_write(&b, v);
    return sb_ok(&b) ? out : "(overflow)";
}

static const char *yw(const val *v)
{
    sbuf b;
    sb_init(&b, out, sizeof out);
    yaml_write(&b, v);
    return sb_ok(&b) ? out : "(overflow)";
}

static const val *jp(arena *a, const char *s)
{
    json_error e;
    const val *v = json_parse(a, s, strlen(s), &e);
    if (!v)
        fprintf(stderr, "unexpected parse error %u:%u %s in %s\n", e.line, e.col, e.msg, s);
    return v;
}

static const char *roundtrip(arena *a, const char *s)
{
    const val *v = jp(a, s);
    return v ? jw(v, 0) : "(error)";
}

/* Parses text that must fail; checks message and position. */
static void bad(arena *a, const char *s, size_t n, const char *msg, uint32_t line, uint32_t col)
{
    json_error e;
    const val *v = json_parse(a, s, n, &e);
    CHECK(v == NULL);
    if (v)
        return;
    CHECK_STR(e.msg, msg);
    if (e.line != line || e.col != col)
        fprintf(stderr, "  position %u:%u, want %u:%u (%s)\n", e.line, e.col, line, col, msg);
    CHECK(e.line == line && e.col == col);
}
#define BAD(a, lit, msg, line, col) bad(a, lit, sizeof(lit) - 1, msg, line, col)

/* ---- parsing ------------------------------------------------------------------ */

static void test_parse_basic(arena *a)
{
    CHECK_STR(roundtrip(a, "{\"b\":[1,2.5,1e-7,0.1],\"a\":{\"x\":null,\"x\":true},\"c\":\"x\"}"),
              "{\"a\":{\"x\":true},\"b\":[1,2.5,1e-7,0.1],\"c\":\"x\"}");
    CHECK_STR(roundtrip(a, " \t\r\n[ true , false , null ] \n"), "[true,false,null]");
    CHECK_STR(roundtrip(a, "\"just a string\""), "\"just a string\"");
    CHECK_STR(roundtrip(a, "42"), "42");
    CHECK_STR(roundtrip(a, "-0.5"), "-0.5");
    CHECK_STR(roundtrip(a, "{}"), "{}");
    CHECK_STR(roundtrip(a, "[]"), "[]");
    CHECK_STR(roundtrip(a, "[[],{},[[]]]"), "[[],{},[[]]]");
    /* Duplicate keys: the last one wins (Go's decoder into a map). */
    CHECK_STR(roundtrip(a, "{\"a\":1,\"b\":0,\"a\":2}"), "{\"a\":2,\"b\":0}");
    CHECK_STR(roundtrip(a, "{\"z\":1,\"y\":2,\"x\":3,\"z\":4,\"z\":5}"), "{\"x\":3,\"y\":2,\"z\":5}");
    /* Keys sort by bytes. */
    CHECK_STR(roundtrip(a, "{\"b\":1,\"B\":2,\"\":3,\"aa\":4,\"a\":5}"),
              "{\"\":3,\"B\":2,\"a\":5,\"aa\":4,\"b\":1}");

    const val *v = jp(a, "{\"k\": [1, \"two\", 3.5]}");
    CHECK(v && v->type == V_OBJ && v->len == 1);
    const val *arr = val_obj_get_str(v, "k", 1);
    CHECK(arr && arr->type == V_ARR && arr->len == 3);
    CHECK(arr->u.a[0]->nk == NUM_INT && arr->u.a[0]->u.i == 1);
    CHECK(arr->u.a[1]->type == V_STR && strcmp(arr->u.a[1]->u.s, "two") == 0);
    CHECK(arr->u.a[2]->nk == NUM_FLOAT && arr->u.a[2]->u.d == 3.5);

    /* Input need not be NUL-terminated: only n bytes are read. */
    json_error e;
    v = json_parse(a, "123456", 3, &e);
    CHECK(v && v->u.i == 123);
    v = json_parse(a, "[1]]", 3, &e);
    CHECK(v && v->len == 1);
}

static void test_parse_numbers(arena *a)
{
    /* Big numbers survive a round trip. */
    CHECK_STR(roundtrip(a, "[18446744073709551614,-18446744073709551614,123456789012345678901234567890]"),
              "[18446744073709551614,-18446744073709551614,123456789012345678901234567890]");
    CHECK_STR(roundtrip(a, "[3.14159265358979323846,1e400,1e21,1E+30]"),
              "[3.14159265358979323846,1e400,1e21,1E+30]");
    CHECK_STR(roundtrip(a, "[9223372036854775807,-9223372036854775808]"),
              "[9223372036854775807,-9223372036854775808]");
    CHECK_STR(roundtrip(a, "[1.0,1e3,100e-2,0.30000000000000004,1.5e-10]"),
              "[1,1000,1,0.30000000000000004,1.5e-10]");
    const val *v = jp(a, "[123456789012345678, 1234567890123456789, 12345678901234567890]");
    CHECK(v && v->u.a[0]->nk == NUM_INT && v->u.a[0]->u.i == 123456789012345678LL);
    CHECK(v && v->u.a[1]->nk == NUM_INT && v->u.a[1]->u.i == 1234567890123456789LL);
    CHECK(v && v->u.a[2]->nk == NUM_BIG);
}

static void test_parse_strings(arena *a)
{
    const val *v = jp(a, "\"\\u00e9\"");
    CHECK(v && v->len == 2 && memcmp(v->u.s, "\xc3\xa9", 2) == 0);
    v = jp(a, "\"\\ud83d\\ude00\""); /* surrogate pair -> U+1F600 */
    CHECK(v && v->len == 4 && memcmp(v->u.s, "\xf0\x9f\x98\x80", 4) == 0);
    v = jp(a, "\"\\ud800\""); /* lone high surrogate -> U+FFFD */
    CHECK(v && v->len == 3 && memcmp(v->u.s, "\xef\xbf\xbd", 3) == 0);
    v = jp(a, "\"\\udc00x\""); /* lone low surrogate */
    CHECK(v && v->len == 4 && memcmp(v->u.s, "\xef\xbf\xbdx", 4) == 0);
    v = jp(a, "\"\\ud800\\u0041\""); /* high surrogate not followed by a low one */
    CHECK(v && v->len == 4 &&
          memcmp(v->u.s,
                 "\xef\xbf\xbd"
                 "A",
                 4) == 0);
    v = jp(a, "\"\\ud800\\ud800\\udc00\"");
    CHECK(v && v->len == 7 && memcmp(v->u.s, "\xef\xbf\xbd\xf0\x90\x80\x80", 7) == 0);
    v = jp(a, "\"a\\u0000b\"");
    CHECK(v && v->len == 3 && memcmp(v->u.s, "a\0b", 3) == 0);
    v = jp(a, "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
    CHECK(v && v->len == 8 && memcmp(v->u.s, "\"\\/\b\f\n\r\t", 8) == 0);
    v = jp(a, "\"\\u00E9\\u4e2D\""); /* hex digits in either case */
    CHECK(v && v->len == 5 && memcmp(v->u.s, "\xc3\xa9\xe4\xb8\xad", 5) == 0);
    /* Raw UTF-8 passes through; invalid bytes become U+FFFD one by one. */
    v = jp(a, "\"caf\xc3\xa9 \xe4\xb8\xad\"");
    CHECK(v && v->len == 9 && memcmp(v->u.s, "caf\xc3\xa9 \xe4\xb8\xad", 9) == 0);
    v = jp(a, "\"a\xff"
              "b\"");
    CHECK(v && v->len == 5 &&
          memcmp(v->u.s,
                 "a\xef\xbf\xbd"
                 "b",
                 5) == 0);
    v = jp(a, "\"\xc0\xaf\""); /* overlong encoding: two bad bytes */
    CHECK(v && v->len == 6 && memcmp(v->u.s, "\xef\xbf\xbd\xef\xbf\xbd", 6) == 0);
    v = jp(a, "\"\xed\xa0\x80\""); /* UTF-8-encoded surrogate: three bad bytes */
    CHECK(v && v->len == 9);
    v = jp(a, "\"\xe4\xb8\""); /* truncated sequence */
    CHECK(v && v->len == 6);
    CHECK(v && v->u.s[v->len] == '\0');
    v = jp(a, "\"\"");
    CHECK(v == &val_empty_str_c);
}

static void test_parse_errors(arena *a)
{
    BAD(a, "", "unexpected end of input", 1, 1);
    BAD(a, "  \n ", "unexpected end of input", 2, 2);
    BAD(a, "[1,]", "trailing comma in array", 1, 4);
    BAD(a, "{\"a\":1,}", "trailing comma in object", 1, 8);
    BAD(a, "[1 2]", "expected ',' or ']' after array element, found character '2'", 1, 4);
    BAD(a, "{\"a\":1 \"b\":2}", "expected ',' or '}' after object member, found character '\"'", 1, 8);
    BAD(a, "{\"a\" 1}", "expected ':' after object key, found character '1'", 1, 6);
    BAD(a, "{1:2}", "expected string for object key, found character '1'", 1, 2);
    BAD(a, "{\"a\":1", "unexpected end of input (expected ',' or '}' after object member)", 1, 7);
    BAD(a, "[1", "unexpected end of input (expected ',' or ']' after array element)", 1, 3);
    BAD(a, "[", "unexpected end of input", 1, 2);
    BAD(a, "{\"a\":", "unexpected end of input", 1, 6);
    BAD(a, "// c\n1", "invalid character '/' looking for beginning of value", 1, 1);
    BAD(a, "[1] /* x */", "invalid character '/' after top-level value", 1, 5);
    BAD(a, "1 2", "invalid character '2' after top-level value", 1, 3);
    BAD(a, "01", "invalid number: leading zero", 1, 1);
    BAD(a, "-01", "invalid number: leading zero", 1, 1);
    BAD(a, "-", "unexpected end of input in number", 1, 2);
    BAD(a, "-a", "invalid number: expected digit after '-'", 1, 2);
    BAD(a, "1.", "invalid number: expected digit after decimal point", 1, 3);
    BAD(a, "1.e5", "invalid number: expected digit after decimal point", 1, 3);
    BAD(a, "1e", "invalid number: expected digit in exponent", 1, 3);
    BAD(a, "1e+", "invalid number: expected digit in exponent", 1, 4);
    BAD(a, ".5", "invalid character '.' looking for beginning of value", 1, 1);
    BAD(a, "+1", "invalid character '+' looking for beginning of value", 1, 1);
    BAD(a, "NaN", "invalid character 'N' looking for beginning of value", 1, 1);
    BAD(a, "tru", "unexpected end of input in literal true", 1, 4);
    BAD(a, "trve", "invalid literal (expected true)", 1, 3);
    BAD(a, "nulL", "invalid literal (expected null)", 1, 4);
    BAD(a, "\"abc", "unexpected end of input in string", 1, 5);
    BAD(a, "\"a\tb\"", "invalid control character 0x09 in string (must be escaped)", 1, 3);
    BAD(a, "\"a\nb\"", "invalid control character 0x0a in string (must be escaped)", 1, 3);
    BAD(a, "\"\\x\"", "invalid escape character 'x' in string", 1, 3);
    BAD(a, "\"\\u12G4\"", "invalid \\u escape in string (expected 4 hex digits)", 1, 2);
    BAD(a, "\"\\", "unexpected end of input in string", 1, 3);
    BAD(a, "\xef\xbb\xbf{}", "invalid byte 0xef looking for beginning of value", 1, 1);
    BAD(a, "[1,\0]", "invalid byte 0x00 looking for beginning of value", 1, 4);
    BAD(a, "{\n  \"a\": 1,\n  \"b\": tru\n}", "invalid literal (expected true)", 3, 11);
    BAD(a, "[\n1,\n\n  x]", "invalid character 'x' looking for beginning of value", 4, 3);

    json_error e;
    CHECK(json_parse(a, NULL, 0, &e) == NULL);
    CHECK(json_parse(a, "{", 1, NULL) == NULL); /* err is optional */
    CHECK(json_parse(a, "[1,2]", 5, NULL) != NULL);
    /* The offset is the byte offset. */
    CHECK(json_parse(a, "[1,\n2,]", 7, &e) == NULL && e.offset == 6);
}

static void test_depth(arena *a)
{
    enum { D = 1000 };
    static char buf[2 * (D + 1) + 1];
    memset(buf, '[', D);
    memset(buf + D, ']', D);
    json_error e;
    const val *v = json_parse(a, buf, 2 * D, &e);
    CHECK(v != NULL && v->type == V_ARR);
    memset(buf, '[', D + 1);
    memset(buf + D + 1, ']', D + 1);
    v = json_parse(a, buf, 2 * (D + 1), &e);
    CHECK(v == NULL);
    CHECK_STR(e.msg, "exceeded maximum nesting depth of 1000");
    CHECK(e.line == 1 && e.col == D + 1);
    /* Mixed nesting counts too, and depth is released on the way out. */
    char mixed[] = "[{\"a\":[{\"b\":[]}]},[[]]]";
    CHECK(json_parse(a, mixed, strlen(mixed), &e) != NULL);
}

/* Every arena size either parses correctly or fails cleanly. */
static void test_arena_exhaustion(void)
{
    const char *doc = "{\"name\":\"caf\\u00e9\",\"tags\":[\"a\",\"b\",\"c\"],\"n\":18446744073709551614,"
                      "\"z\":{\"y\":[1,2,3,4,5,6,7,8,9,10],\"x\":null}}";
    const char *want = "{\"n\":18446744073709551614,\"name\":\"caf\xc3\xa9\",\"tags\":[\"a\",\"b\",\"c\"],"
                       "\"z\":{\"x\":null,\"y\":[1,2,3,4,5,6,7,8,9,10]}}";
    static _Alignas(16) unsigned char small[8192];
    int fails = 0, oks = 0, wrong = 0;
    for (size_t size = 0; size <= sizeof small; size += 16) {
        arena t;
        arena_init_fixed(&t, small, size);
        json_error e;
        const val *v = json_parse(&t, doc, strlen(doc), &e);
        if (v) {
            oks++;
            if (strcmp(jw(v, 0), want) != 0)
                wrong++;
        } else {
            fails++;
            if (strcmp(e.msg, "out of memory") != 0)
                wrong++;
        }
    }
    CHECK(fails > 10);
    CHECK(oks > 10);
    CHECK(wrong == 0);
}

/* ---- parser fast paths ------------------------------------------------------------ */

/* The parser scans strings and whitespace 16 bytes at a time: every check
 * below puts the interesting byte at each offset across a block boundary
 * (and at the unaligned end of the input, where the scan goes bytewise). */

/* Parses the len bytes at s as a JSON text and compares the string value
 * with want[0, want_len); arena space is released afterwards. */
static bool str_is(arena *a, const char *s, size_t len, const char *want, size_t want_len)
{
    arena_mark m = arena_save(a);
    json_error e;
    const val *v = json_parse(a, s, len, &e);
    bool ok = v && v->type == V_STR && v->len == want_len && memcmp(v->u.s, want, want_len) == 0 &&
              v->u.s[v->len] == '\0';
    arena_restore(a, m);
    return ok;
}

static void test_parse_string_blocks(arena *a)
{
    char in[256], want[256];
    int wrong = 0;
    for (size_t k = 0; k < 40; k++) {
        /* Escapes, raw multi-byte UTF-8, invalid bytes and the closing
         * quote at offset k (with a tail so some runs end mid-block). */
        static const struct {
            const char *raw, *decoded;
        } cases[] = {
            {"\\n", "\n"},
            {"\\\"", "\""},
            {"\\\\", "\\"},
            {"\\u00e9", "\xc3\xa9"},
            {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
            {"\xc3\xa9", "\xc3\xa9"},                 /* 2-byte sequence */
            {"\xe4\xb8\xad", "\xe4\xb8\xad"},         /* 3-byte */
            {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"}, /* 4-byte */
            {"\xff", "\xef\xbf\xbd"},                 /* invalid byte */
            {"\xe4\xb8", "\xef\xbf\xbd\xef\xbf\xbd"}, /* truncated sequence */
            {"\x7f", "\x7f"},                         /* DEL is not a control character */
            {"", ""},
        };
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            for (size_t tail = 0; tail < 20; tail += 19) {
                size_t rl = strlen(cases[c].raw), dl = strlen(cases[c].decoded), n = 0, w = 0;
                in[n++] = '"';
                memset(in + n, 'a', k);
                memset(want, 'a', k);
                n += k;
                w += k;
                memcpy(in + n, cases[c].raw, rl);
                memcpy(want + w, cases[c].decoded, dl);
                n += rl;
                w += dl;
                memset(in + n, 'z', tail);
                memset(want + w, 'z', tail);
                n += tail;
                w += tail;
                in[n++] = '"';
                if (!str_is(a, in, n, want, w)) {
                    wrong++;
                    fprintf(stderr, "  string block case %zu at offset %zu, tail %zu\n", c, k, tail);
                }
            }
        }
    }
    CHECK(wrong == 0);

    /* A control character at every offset is reported at its column. */
    wrong = 0;
    for (size_t k = 0; k < 40; k++) {
        char doc[64];
        doc[0] = '"';
        memset(doc + 1, 'a', k);
        doc[1 + k] = (char)(k % 2 ? 0x1f : 0x00);
        memcpy(doc + 2 + k, "bc\"", 3);
        json_error e;
        arena_mark m = arena_save(a);
        const val *v = json_parse(a, doc, k + 5, &e);
        arena_restore(a, m);
        char msg[128];
        snprintf(msg, sizeof msg, "invalid control character 0x%02x in string (must be escaped)",
                 k % 2 ? 0x1f : 0x00);
        if (v || strcmp(e.msg, msg) != 0 || e.line != 1 || e.col != k + 2)
            wrong++;
    }
    CHECK(wrong == 0);

    /* Unterminated strings of every length end with the same error. */
    wrong = 0;
    for (size_t k = 0; k < 40; k++) {
        char doc[64];
        doc[0] = '"';
        memset(doc + 1, 'a', k);
        json_error e;
        const val *v = json_parse(a, doc, k + 1, &e);
        if (v || strcmp(e.msg, "unexpected end of input in string") != 0 || e.col != k + 2)
            wrong++;
    }
    CHECK(wrong == 0);

    /* Escaped strings decode in one pass when short and in two when long:
     * both sides of the boundary (256 decoded bytes) decode the same. */
    wrong = 0;
    for (size_t len = 250; len < 262; len++) {
        static char doc[1024], exp[1024];
        size_t n = 0, w = 0;
        doc[n++] = '"';
        for (size_t i = 0; i < len; i++) {
            if (i % 7 == 3) {
                memcpy(doc + n, "\\t", 2);
                n += 2;
                exp[w++] = '\t';
            } else {
                doc[n++] = (char)('a' + i % 26);
                exp[w++] = (char)('a' + i % 26);
            }
        }
        doc[n++] = '"';
        if (!str_is(a, doc, n, exp, w))
            wrong++;
        /* The same with an invalid byte (in place of the ninth
         * character), which grows as it decodes. */
        doc[10] = '\xff';
        memmove(exp + 11, exp + 9, w - 9);
        memcpy(exp + 8, "\xef\xbf\xbd", 3);
        if (!str_is(a, doc, n, exp, w + 2))
            wrong++;
    }
    CHECK(wrong == 0);
    /* A long escape-heavy string. */
    {
        static char doc[3 * 6 * 200 + 2], exp[3 * 200];
        size_t n = 0;
        doc[n++] = '"';
        for (int i = 0; i < 200; i++) {
            memcpy(doc + n, "\\u4e2d", 6);
            n += 6;
            memcpy(exp + 3 * i, "\xe4\xb8\xad", 3);
        }
        doc[n++] = '"';
        CHECK(str_is(a, doc, n, exp, 600));
    }
}

/* Go's rule for raw bytes in a JSON string, computed with utf8proc as an
 * independent decoder: a well-formed sequence stays, every other byte
 * becomes U+FFFD. */
static size_t go_decode_raw(const unsigned char *s, size_t n, unsigned char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k > 0) {
            memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    return o;
}

/* Every 2- and 3-byte sequence and the 4-byte ones around each boundary
 * (at offsets that split them across 16-byte blocks) against utf8proc. */
static void test_parse_utf8_exhaustive(arena *a)
{
    static const unsigned char follow[] = {0x00 + 'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
    long wrong = 0, total = 0;
    unsigned char seq[4], doc[64], want[64];
    for (unsigned b0 = 0x80; b0 <= 0xff; b0++) {
        for (unsigned b1 = 0; b1 <= 0xff; b1++) {
            unsigned b2_lo = b0 >= 0xe0 ? 0 : 'a', b2_hi = b0 >= 0xe0 ? 0xff : 'a';
            for (unsigned b2 = b2_lo; b2 <= b2_hi; b2++) {
                size_t nb3 = b0 >= 0xf0 && (b2 & 0xc0) == 0x80 ? sizeof follow : 1;
                for (size_t f = 0; f < nb3; f++) {
                    seq[0] = (unsigned char)b0;
                    seq[1] = (unsigned char)b1;
                    seq[2] = (unsigned char)b2;
                    seq[3] = nb3 > 1 ? follow[f] : 'a';
                    if (seq[1] == '"' || seq[1] == '\\' || seq[1] < 0x20 || seq[2] == '"' || seq[2] == '\\' ||
                        seq[2] < 0x20)
                        continue; /* not raw string content */
                    size_t pad = (b1 + b2 + f) % 20, n = 0;
                    doc[n++] = '"';
                    memset(doc + n, 'x', pad);
                    n += pad;
                    memcpy(doc + n, seq, 4);
                    n += 4;
                    doc[n++] = '"';
                    memset(want, 'x', pad);
                    size_t w = pad + go_decode_raw(seq, 4, want + pad);
                    total++;
                    if (!str_is(a, (const char *)doc, n, (const char *)want, w)) {
                        if (wrong++ < 5)
                            fprintf(stderr, "  utf8 %02x %02x %02x %02x at %zu\n", seq[0], seq[1], seq[2],
                                    seq[3], pad);
                    }
                }
            }
        }
    }
    CHECK(total > 1000000);
    CHECK(wrong == 0);
}

static void test_parse_whitespace_runs(arena *a)
{
    static const char ws[] = " \n\t\r";
    int wrong = 0;
    for (size_t k = 0; k < 40; k++) {
        char doc[128];
        size_t n = 0;
        doc[n++] = '[';
        for (size_t i = 0; i < k; i++)
            doc[n++] = ws[(i * 7 + k) % 4];
        doc[n++] = '1';
        for (size_t i = 0; i < k; i++)
            doc[n++] = ' ';
        doc[n++] = ']';
        for (size_t i = 0; i < k; i++)
            doc[n++] = ws[i % 4];
        arena_mark m = arena_save(a);
        json_error e;
        const val *v = json_parse(a, doc, n, &e);
        if (!v || v->type != V_ARR || v->len != 1)
            wrong++;
        arena_restore(a, m);
        /* A stray byte after a whitespace run is reported where it is. */
        doc[n++] = 'x';
        size_t line = 1, col = 1;
        for (size_t i = 0; i + 1 < n; i++) {
            if (doc[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        v = json_parse(a, doc, n, &e);
        if (v || strcmp(e.msg, "invalid character 'x' after top-level value") != 0 || e.line != line ||
            e.col != col)
            wrong++;
    }
    CHECK(wrong == 0);
    /* A form feed or vertical tab is not JSON whitespace, after a run either. */
    BAD(a, "[                 \f1]", "invalid byte 0x0c looking for beginning of value", 1, 19);
    BAD(a, "                  \v", "invalid byte 0x0b looking for beginning of value", 1, 19);
    /* Literals that end exactly at the end of input, or are cut short there. */
    CHECK_STR(roundtrip(a, "[true,false,null]"), "[true,false,null]");
    CHECK(json_parse(a, "null", 4, NULL) == VAL_NULL);
    BAD(a, "[fals", "unexpected end of input in literal false", 1, 6);
    BAD(a, "[nul]", "invalid literal (expected null)", 1, 5);
}

/* Builds {"<k0>":0,"<k1>":1,...} from key texts, parses it and writes it back. */
static const char *obj_roundtrip(arena *a, const char *const *keys, size_t n)
{
    static char doc[1 << 14];
    size_t len = 0;
    doc[len++] = '{';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(doc + len, sizeof doc - len, "%s\"%s\":%zu", i ? "," : "", keys[i], i);
    doc[len++] = '}';
    json_error e;
    const val *v = json_parse(a, doc, len, &e);
    return v ? jw(v, 0) : "(error)";
}

static void test_parse_object_order(arena *a)
{
    /* Already sorted, reversed, unsorted, and with duplicates (the last
     * value wins), below and above the insertion-sort size. */
    static const char *sorted[] = {"a", "ab", "abc", "b", "ba", "c"};
    CHECK_STR(obj_roundtrip(a, sorted, 6), "{\"a\":0,\"ab\":1,\"abc\":2,\"b\":3,\"ba\":4,\"c\":5}");
    static const char *reversed[] = {"c", "ba", "b", "abc", "ab", "a"};
    CHECK_STR(obj_roundtrip(a, reversed, 6), "{\"a\":5,\"ab\":4,\"abc\":3,\"b\":2,\"ba\":1,\"c\":0}");
    static const char *dups[] = {"b", "a", "b", "c", "a", "b"};
    CHECK_STR(obj_roundtrip(a, dups, 6), "{\"a\":4,\"b\":5,\"c\":3}");
    static const char *sorted_dups[] = {"a", "a", "b", "b"};
    CHECK_STR(obj_roundtrip(a, sorted_dups, 4), "{\"a\":1,\"b\":3}");
    /* Keys that agree in their first and last 8 bytes and length stay
     * apart (the key cache compares them in full), as do keys of up to 3
     * bytes with the same first, middle and last byte. */
    static const char *close[] = {
        "aaaaaaaaXaaaaaaaa", "aaaaaaaaYaaaaaaaa", "aaaaaaaaXaaaaaaaa", "aba", "abba", "aa", "a"};
    CHECK_STR(obj_roundtrip(a, close, 7),
              "{\"a\":6,\"aa\":5,\"aaaaaaaaXaaaaaaaa\":2,\"aaaaaaaaYaaaaaaaa\":1,\"aba\":3,\"abba\":4}");
    /* Keys equal for their first 16 bytes order by what follows. */
    static const char *prefix[] = {"app.kubernetes.io/version", "app.kubernetes.io/name",
                                   "app.kubernetes.io/"};
    CHECK_STR(obj_roundtrip(a, prefix, 3),
              "{\"app.kubernetes.io/\":2,\"app.kubernetes.io/name\":1,\"app.kubernetes.io/version\":0}");

    /* 100 members in each arrival order; every 10th key repeats a key 50
     * positions earlier. The expected text is built by sorting here. */
    char names[100][8];
    const char *order[100];
    for (int mode = 0; mode < 4; mode++) {
        for (int i = 0; i < 100; i++) {
            int k = mode == 0 ? i : mode == 1 ? 99 - i : (i * 37) % 100;
            if (mode == 3 && i % 10 == 9 && i >= 50)
                k = ((i - 50) * 37) % 100;
            snprintf(names[i], sizeof names[i], "k%02d", k);
            order[i] = names[i];
        }
        char want[4096];
        size_t w = 0;
        want[w++] = '{';
        for (int k = 0; k < 100; k++) {
            int last = -1;
            for (int i = 0; i < 100; i++) {
                char name[8];
                snprintf(name, sizeof name, "k%02d", k);
                if (strcmp(order[i], name) == 0)
                    last = i;
            }
            if (last >= 0)
                w += (size_t)snprintf(want + w, sizeof want - w, "%s\"k%02d\":%d", w > 1 ? "," : "", k, last);
        }
        want[w++] = '}';
        want[w] = '\0';
        CHECK_STR(obj_roundtrip(a, order, 100), want);
    }

    /* Over the insertion-sort size, already sorted, with each fifth key
     * repeated right after itself. */
    {
        const char *order[48];
        char want[1024];
        size_t w = 0, n = 0;
        for (int k = 0; k < 40; k++)
            snprintf(names[k], sizeof names[k], "k%02d", k);
        want[w++] = '{';
        for (int k = 0; k < 40; k++) {
            order[n++] = names[k];
            if (k % 5 == 0)
                order[n++] = names[k];
            w += (size_t)snprintf(want + w, sizeof want - w, "%s\"%s\":%zu", k ? "," : "", names[k], n - 1);
        }
        want[w++] = '}';
        want[w] = '\0';
        CHECK_STR(obj_roundtrip(a, order, n), want);
    }

    /* Escaped keys sort by their decoded bytes. */
    CHECK_STR(roundtrip(a, "{\"\\u0062\":1,\"a\\u00e9\":2,\"a\":3,\"\\u0061\":4}"),
              "{\"a\":4,\"a\xc3\xa9\":2,\"b\":1}");
}

/* ---- writing ------------------------------------------------------------------- */

static const val *f(arena *a, double d)
{
    return v_float(a, d);
}

static const char *numtext(const val *v)
{
    sbuf b;
    sb_init(&b, out, sizeof out);
    json_write_number(&b, v);
    return out;
}

static void test_write_numbers(arena *a)
{
    CHECK_STR(numtext(f(a, 0.1)), "0.1");
    CHECK_STR(numtext(f(a, 3.5)), "3.5");
    CHECK_STR(numtext(f(a, -2.5)), "-2.5");
    CHECK_STR(numtext(f(a, 0.1 + 0.2)), "0.30000000000000004");
    CHECK_STR(numtext(f(a, 1.0 / 3.0)), "0.3333333333333333");
    CHECK_STR(numtext(f(a, 2.0 / 3.0)), "0.6666666666666666");
    CHECK_STR(numtext(f(a, 123456789.125)), "123456789.125");
    CHECK_STR(numtext(f(a, 1e20)), "100000000000000000000");
    CHECK_STR(numtext(f(a, 1e21)), "1e+21");
    CHECK_STR(numtext(f(a, 1.5e300)), "1.5e+300");
    CHECK_STR(numtext(f(a, 1e-6)), "0.000001");
    CHECK_STR(numtext(f(a, 1e-7)), "1e-7");
    CHECK_STR(numtext(f(a, -2.5e-10)), "-2.5e-10");
    CHECK_STR(numtext(f(a, 5e-324)), "5e-324");
    CHECK_STR(numtext(f(a, 1.7976931348623157e308)), "1.7976931348623157e+308");
    CHECK_STR(numtext(f(a, 1e19)), "10000000000000000000");
    CHECK_STR(numtext(f(a, 12.0)), "12");
    CHECK_STR(numtext(v_int(a, INT64_MIN)), "-9223372036854775808");
    CHECK_STR(numtext(v_int(a, 0)), "0");
    CHECK_STR(numtext(v_num_text(a, "18446744073709551614", 20)), "18446744073709551614");
    /* The conformance case json.marshal([1234500000 + 67890, 1e6 * 2, 1e109 / 1e100]). */
    CHECK_STR(jw(jp(a, "[1234567890,2000000,1000000000]"), 0), "[1234567890,2000000,1000000000]");
}

static void test_write_strings(arena *a)
{
    const char raw[] = "\"\\\n\r\t\b\f\x01\x1f\x7f<>&\xe2\x80\xa8\xc3\xa9\xff";
    const val *s = v_str(a, raw, sizeof raw - 1);
    /* Go's default (OPA's json.marshal and opa eval output) escapes <, >, &. */
    CHECK_STR(jw(s, 0),
              "\"\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\x7f\\u003c\\u003e\\u0026\\u2028\xc3\xa9\\ufffd\"");
    sbuf b;
    sb_init(&b, out, sizeof out);
    json_write_ex(&b, s, false, NULL, NULL, false);
    CHECK_STR(out, "\"\\\"\\\\\\n\\r\\t\\b\\f\\u0001\\u001f\x7f<>&\\u2028\xc3\xa9\\ufffd\"");
    /* Escapes round-trip to the same bytes. */
    const val *back = jp(a, jw(s, 0));
    CHECK(back && back->len == sizeof raw - 1 + 2 && memcmp(back->u.s, raw, sizeof raw - 2) == 0);
    CHECK_STR(jw(v_str(a, "a\0b", 3), 0), "\"a\\u0000b\"");
    CHECK_STR(jw(v_cstr(a, "\xf0\x9f\x98\x80"), 0), "\"\xf0\x9f\x98\x80\"");
}

static void test_write_collections(arena *a)
{
    /* Sets print as sorted arrays. */
    vbuild b;
    vb_init(&b, a);
    vb_push(&b, v_int(a, 3));
    vb_push(&b, v_cstr(a, "a"));
    vb_push(&b, v_int(a, 1));
    const val *set = vb_finish_set(&b);
    CHECK_STR(jw(set, 0), "[1,3,\"a\"]");
    CHECK_STR(jw(&val_empty_set_c, 0), "[]");

    /* Non-string keys become their Rego text, and the object is ordered
     * by those strings, as Go orders a map[string]. */
    vb_init(&b, a);
    vb_put(&b, v_int(a, 1), v_cstr(a, "n"));
    vb_put(&b, v_cstr(a, "0"), v_cstr(a, "s"));
    CHECK_STR(jw(vb_finish_object(&b, NULL), 0), "{\"0\":\"s\",\"1\":\"n\"}");
    vb_init(&b, a);
    vb_put(&b, v_int(a, 1), v_cstr(a, "n"));
    vb_put(&b, v_cstr(a, "1"), v_cstr(a, "s"));
    CHECK_STR(jw(vb_finish_object(&b, NULL), 0), "{\"1\":\"s\"}"); /* same text: later key wins */
    vb_init(&b, a);
    vb_put(&b, jp(a, "[\"a\"]"), v_int(a, 1));
    vb_put(&b, jp(a, "{\"a\":1}"), v_int(a, 2));
    vb_put(&b, &val_empty_set_c, v_int(a, 3));
    vb_put(&b, VAL_NULL, v_int(a, 4));
    vb_put(&b, VAL_TRUE, v_int(a, 5));
    vb_put(&b, v_cstr(a, "x"), set);
    const val *o = vb_finish_object(&b, NULL);
    /* OPA encodes a non-string key with Go's json.Encoder: compact JSON, a
     * set as an array (conformance completedoc/non-string key) */
    CHECK_STR(jw(o, 0),
              "{\"[\\\"a\\\"]\":1,\"[]\":3,\"null\":4,\"true\":5,\"x\":[1,3,\"a\"],\"{\\\"a\\\":1}\":2}");
    CHECK_STR(jw(o, 1), "{\n \"[\\\"a\\\"]\": 1,\n \"[]\": 3,\n \"null\": 4,\n \"true\": 5,\n \"x\": [\n  "
                        "1,\n  3,\n  \"a\"\n ],\n \"{\\\"a\\\":1}\": 2\n}");
}

static void test_write_pretty(arena *a)
{
    const val *v = jp(a, "{\"d\":\"x\",\"a\":[1,{\"b\":[]}],\"c\":{}}");
    CHECK_STR(jw(v, 2),
              "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    }\n  ],\n  \"c\": {},\n  \"d\": \"x\"\n}");
    CHECK_STR(jw(jp(a, "[]"), 4), "[]");
    CHECK_STR(jw(jp(a, "7"), 4), "7");

    /* jsonbuiltins/marshal_with_options-object: the builtin prepends the
     * prefix to the first line itself, as OPA does. */
    sbuf b;
    sb_init(&b, out, sizeof out);
    json_write_ex(&b, jp(a, "{\"foo\": \"bar\", \"bar\": \"baz\"}"), true, "JSON => ", "\t", true);
    CHECK_STR(out, "{\nJSON => \t\"bar\": \"baz\",\nJSON => \t\"foo\": \"bar\"\nJSON => }");
    /* marshal_with_options-deep-array */
    sb_init(&b, out, sizeof out);
    json_write_ex(&b, jp(a, "[[[[[[[]]]]]]]"), true, "", "    ", true);
    CHECK_STR(out, "[\n    [\n        [\n            [\n                [\n                    [\n"
                   "                        []\n                    ]\n                ]\n            ]\n"
                   "        ]\n    ]\n]");
    /* marshal_with_options-explicit-indent */
    sb_init(&b, out, sizeof out);
    json_write_ex(&b, jp(a, "[1234567890, 2000000, 1000000000]"), true, "", "  ", true);
    CHECK_STR(out, "[\n  1234567890,\n  2000000,\n  1000000000\n]");
    sb_init(&b, out, sizeof out);
    json_write_ex(&b, jp(a, "[]"), true, "---", "    ", true);
    CHECK_STR(out, "[]");
}

static void test_rego_write(arena *a)
{
    CHECK_STR(rw(jp(a, "{\"b\":[1,2],\"a\":1}")), "{\"a\": 1, \"b\": [1, 2]}");
    CHECK_STR(rw(jp(a, "[null,true,false,1.5,\"s\",[],{}]")), "[null, true, false, 1.5, \"s\", [], {}]");
    CHECK_STR(rw(&val_empty_set_c), "set()");
    vbuild b;
    vb_init(&b, a);
    vb_push(&b, v_cstr(a, "url"));
    vb_push(&b, v_cstr(a, "method"));
    CHECK_STR(rw(vb_finish_set(&b)), "{\"method\", \"url\"}"); /* as in OPA's providers.aws messages */
    vb_init(&b, a);
    vb_push(&b, jp(a, "{\"a\":[]}"));
    vb_push(&b, jp(a, "[1,2]"));
    vb_push(&b, &val_empty_set_c);
    CHECK_STR(rw(vb_finish_set(&b)), "{[1, 2], {\"a\": []}, set()}");
    CHECK_STR(rw(jp(a, "[18446744073709551614, 1e400, 0.1]")), "[18446744073709551614, 1e400, 0.1]");
    vb_init(&b, a);
    vb_put(&b, v_int(a, 2), v_cstr(a, "two"));
    vb_put(&b, jp(a, "[1]"), VAL_NULL);
    CHECK_STR(rw(vb_finish_object(&b, NULL)), "{2: \"two\", [1]: null}");
    /* Strings as Go's strconv.Quote: printable runes raw, others escaped. */
    const char raw[] =
        "a\"b\\c\n\x01\x7f\xc3\xa9\xc2\xa0\xe2\x80\x8b\xf0\x9f\x98\x80\xff\a\v\xf3\xa0\x80\x81<&>";
    CHECK_STR(rw(v_str(a, raw, sizeof raw - 1)),
              "\"a\\\"b\\\\c\\n\\x01\\x7f\xc3\xa9\\u00a0\\u200b\xf0\x9f\x98\x80\\xff\\a\\v\\U000e0001<&>\"");
    CHECK_STR(rw(&val_empty_str_c), "\"\"");
}

static void test_sbuf(arena *a)
{
    char small[8];
    sbuf b;
    sb_init(&b, small, sizeof small);
    sb_puts(&b, "hello world");
    CHECK(b.len == 11);
    CHECK(!sb_ok(&b));
    CHECK(memcmp(small, "hello wo", 8) == 0);
    sb_putc(&b, '!');
    CHECK(b.len == 12 && memcmp(small, "hello wo", 8) == 0); /* sticky: nothing more written */

    sb_init(&b, small, 5);
    sb_put(&b, "hello", 5);
    CHECK(sb_ok(&b) && b.len == 5);
    sb_init(&b, small, 6);
    sb_put(&b, "hello", 5);
    CHECK_STR(small, "hello");

    /* Measure, then allocate: a counting pass gives the exact size. */
    const val *v = jp(a, "{\"k\":[1,2,3,\"\\u00e9\"],\"s\":\"<x>\"}");
    sbuf m;
    sb_init(&m, NULL, 0);
    json_write(&m, v, 2);
    CHECK(!sb_ok(&m) && m.len > 0);
    char *buf = arena_alloc(a, m.len + 1);
    sb_init(&b, buf, m.len + 1);
    json_write(&b, v, 2);
    CHECK(sb_ok(&b) && b.len == m.len && strlen(buf) == m.len);
    CHECK_STR(buf, jw(v, 2));
    sb_init(&b, buf, m.len); /* exact fit: everything but the NUL */
    json_write(&b, v, 2);
    CHECK(sb_ok(&b) && b.len == m.len);
}

/* ---- YAML ---------------------------------------------------------------------- */

static const val *yp(arena *a, const char *s)
{
    json_error e;
    const val *v = yaml_parse(a, s, strlen(s), &e);
    if (!v)
        fprintf(stderr, "unexpected YAML error %u:%u %s in %s\n", e.line, e.col, e.msg, s);
    return v;
}

static const char *yj(arena *a, const char *s)
{
    const val *v = yp(a, s);
    return v ? jw(v, 0) : "(error)";
}

static void ybad(arena *a, const char *s, const char *msg)
{
    json_error e;
    const val *v = yaml_parse(a, s, strlen(s), &e);
    CHECK(v == NULL);
    if (!v)
        CHECK_STR(e.msg, msg);
}

static void test_yaml_parse(arena *a)
{
    /* jsonbuiltins/yaml is_valid documents. */
    CHECK_STR(yj(a, "foo:\n - qux: bar\n - baz: 2"), "{\"foo\":[{\"qux\":\"bar\"},{\"baz\":2}]}");
    CHECK_STR(yj(a, "{\"json\": \"ok\"}"), "{\"json\":\"ok\"}");
    json_error e;
    CHECK(yaml_parse(a, "foo:\n - qux: bar\n - baz: {", 26, &e) == NULL);
    /* jsonbuiltins/yaml unmarshal error: go-yaml's message and line rule. */
    CHECK(yaml_parse(a, "[1,2,3", 6, &e) == NULL);
    CHECK_STR(e.msg, "yaml: line 1: did not find expected ',' or ']'");
    CHECK(e.line == 2 && e.col == 1); /* libyaml reports the position after the forced line end */

    CHECK_STR(
        yj(a, "a: yes\nb: 0x1F\nc: 017\nd: 1_000\ne: 1.5\nf: '1'\ng: ~\nh: 2001-12-14\n"
              "i: 18446744073709551615\nj: 1e3\nk: \"true\"\nl: !!str 12\nm: -0b101\nn2: +12\no: .5\n"
              "p: 08\nq: hello world\nr:\ns: [a, b]\nt: Off\nu: 0o17\nv: -7\nw: 3.0\n"),
        "{\"a\":true,\"b\":31,\"c\":15,\"d\":1000,\"e\":1.5,\"f\":\"1\",\"g\":null,\"h\":\"2001-12-14\","
        "\"i\":18446744073709551615,\"j\":1000,\"k\":\"true\",\"l\":\"12\",\"m\":-5,\"n2\":12,\"o\":0.5,"
        "\"p\":8,\"q\":\"hello "
        "world\",\"r\":null,\"s\":[\"a\",\"b\"],\"t\":false,\"u\":15,\"v\":-7,\"w\":3}");
    CHECK_STR(yj(a, "x: |\n  line1\n  line2\nz: >-\n  folded\n  text\n"),
              "{\"x\":\"line1\\nline2\\n\",\"z\":\"folded text\"}");
    /* YAML 1.1 booleans, as go-yaml v2: a key named y is true. */
    CHECK_STR(yj(a, "y: 1\nn: [on, OFF, Yes, N]\n"), "{\"false\":[true,false,true,false],\"true\":1}");
    /* Keys become strings. */
    CHECK_STR(yj(a, "1: a\ntrue: b\n1.5: c\n"), "{\"1\":\"a\",\"1.5\":\"c\",\"true\":\"b\"}");
    /* Duplicate keys: last wins. */
    CHECK_STR(yj(a, "a: 1\nb: 0\na: 2\n"), "{\"a\":2,\"b\":0}");
    /* Anchors, aliases and go-yaml v2 merges (applied in document order). */
    CHECK_STR(yj(a, "a: &x [1, 2]\nb: *x\n"), "{\"a\":[1,2],\"b\":[1,2]}");
    CHECK_STR(yj(a, "base: &b {x: 1, z: 2}\nd:\n  <<: *b\n  z: 3\n"),
              "{\"base\":{\"x\":1,\"z\":2},\"d\":{\"x\":1,\"z\":3}}");
    CHECK_STR(yj(a, "base: &b {x: 1, z: 2}\nd:\n  z: 3\n  <<: *b\n"),
              "{\"base\":{\"x\":1,\"z\":2},\"d\":{\"x\":1,\"z\":2}}");
    CHECK_STR(yj(a, "a: &a {k: 1}\nb: &b {k: 2, m: 2}\nc:\n  <<: [*a, *b]\n"),
              "{\"a\":{\"k\":1},\"b\":{\"k\":2,\"m\":2},\"c\":{\"k\":1,\"m\":2}}");
    /* Empty documents are null; only the first document counts. */
    CHECK_STR(yj(a, ""), "null");
    CHECK_STR(yj(a, "---\n"), "null");
    CHECK_STR(yj(a, "# just a comment\n"), "null");
    CHECK_STR(yj(a, "first\n---\nsecond\n"), "\"first\"");
    CHECK_STR(yj(a, "- \"caf\\u00e9\"\n- 'it''s'\n"), "[\"caf\xc3\xa9\",\"it's\"]");

    ybad(a, "[*x]", "yaml: line 1: unknown anchor 'x' referenced");
    ybad(a, "a: .inf", "yaml: line 1: cannot represent .inf in JSON");
    ybad(a, "? [a]\n: 1\n", "yaml: line 1: unsupported map key of type array");
    ybad(a, "~: 1\n", "yaml: line 1: unsupported map key of type null");
    ybad(a, "a: b\n  c: d\n", "yaml: line 2: mapping values are not allowed in this context");
    ybad(a, "d:\n  <<: 5\n", "yaml: line 2: map merge requires map or sequence of maps as the value");

    /* A full arena fails cleanly. */
    static _Alignas(16) unsigned char small[64];
    arena t;
    arena_init_fixed(&t, small, sizeof small);
    CHECK(yaml_parse(&t, "a: [1, 2, 3, 4, 5]\nb: hello\n", 27, &e) == NULL);
    CHECK_STR(e.msg, "out of memory");
}

static void test_yaml_write(arena *a)
{
    /* jsonbuiltins/yaml round-trip: yaml.marshal([{"foo": {1, 2, 3}}]). */
    vbuild b;
    vb_init(&b, a);
    vb_push(&b, v_int(a, 3));
    vb_push(&b, v_int(a, 1));
    vb_push(&b, v_int(a, 2));
    const val *set = vb_finish_set(&b);
    vb_init(&b, a);
    vb_put(&b, v_cstr(a, "foo"), set);
    const val *obj = vb_finish_object(&b, NULL);
    vb_init(&b, a);
    vb_push(&b, obj);
    const val *doc = vb_finish_array(&b);
    CHECK_STR(yw(doc), "- foo:\n  - 1\n  - 2\n  - 3\n");
    const val *back = yp(a, yw(doc));
    CHECK(back && strcmp(jw(back, 0), "[{\"foo\":[1,2,3]}]") == 0);

    /* go-yaml v2: keys in its natural order, ambiguous strings quoted,
     * multi-line strings literal, empty collections in flow style. */
    const val *v = jp(a, "{\"a\":\"true\",\"b\":\"x\\ny\",\"c\":\"\",\"d\":1.5,\"e\":null,\"f\":[],\"g\":{},"
                         "\"h\":\"2020-01-02\",\"n\":\"n\",\"a10\":1,\"a9\":2,\"i\":\"12\",\"j\":\"1:20\","
                         "\"k\":\"plain text\"}");
    CHECK_STR(yw(v), "a: \"true\"\na9: 2\na10: 1\nb: |-\n  x\n  y\nc: \"\"\nd: 1.5\ne: null\nf: []\ng: {}\n"
                     "h: \"2020-01-02\"\ni: \"12\"\nj: \"1:20\"\nk: plain text\n\"n\": \"n\"\n");
    CHECK_STR(yw(v_cstr(a, "plain")), "plain\n");
    CHECK_STR(yw(v_float(a, 1234567.5)), "1.2345675e+06\n");
    CHECK_STR(yw(v_float(a, 1e-7)), "1e-07\n");
    CHECK_STR(yw(v_float(a, 0.25)), "0.25\n");
    CHECK_STR(yw(v_num_text(a, "18446744073709551615", 20)), "18446744073709551615\n");
    CHECK_STR(yw(jp(a, "[true,null,-3]")), "- true\n- null\n- -3\n");
    /* Everything written parses back to the same value. */
    back = yp(a, yw(v));
    CHECK(back && val_equal(back, v));
    sbuf m;
    sb_init(&m, NULL, 0);
    yaml_write(&m, v);
    CHECK(m.len == strlen(yw(v)));
}

/* A bundle's field names: parsed keys with those bytes are the very name
 * values (same address); every other key, and every value, is parsed as
 * before. The set is direct-mapped, so among names sharing a slot only the
 * first is used: the others still parse to equal, separate strings. */
static void test_keyset(arena *a)
{
    static const char *const texts[] = {"subject",
                                        "id",
                                        "a",
                                        "department",
                                        "x_exactly_32_bytes_long_key_name",
                                        "over_32_bytes_is_never_a_field_name"};
    enum { NNAMES = sizeof texts / sizeof *texts, NMANY = 300 };
    const val *names[NNAMES + NMANY];
    for (uint32_t i = 0; i < NNAMES; i++)
        names[i] = v_cstr(a, texts[i]);
    json_keyset ks;
    CHECK(json_keyset_build(a, &ks, names, NNAMES));
    for (uint32_t i = 0; i < NNAMES; i++) {
        const val *hit = json_keyset_find(&ks, texts[i], strlen(texts[i]));
        CHECK(strlen(texts[i]) > 32 ? hit == NULL : hit == names[i]);
    }
    CHECK(json_keyset_find(&ks, "subjec", 6) == NULL && json_keyset_find(&ks, "subjectt", 8) == NULL);
    CHECK(json_keyset_find(&ks, "", 0) == NULL && json_keyset_find(NULL, "id", 2) == NULL);

    const char *doc = "{\"subject\": {\"id\": \"subject\", \"department\": 1, \"b\": 2}, \"\\u0069d\": 3,"
                      " \"x_exactly_32_bytes_long_key_name\": 4, \"over_32_bytes_is_never_a_field_name\": 5}";
    json_error je;
    const val *v = json_parse_named(a, &ks, doc, strlen(doc), &je);
    const val *plain = json_parse(a, doc, strlen(doc), &je);
    CHECK(v && plain && val_equal(v, plain));
    if (!v || v->type != V_OBJ || v->len != 4)
        return;
    /* keys sort as "id" (escaped in the text: decoded, so copied), "over_…"
     * (too long to be a name), "subject", "x_…" (32 bytes: a name) */
    CHECK(v->u.o.k[0] != names[1] && val_equal(v->u.o.k[0], names[1]));
    CHECK(v->u.o.k[1] != names[5] && val_equal(v->u.o.k[1], names[5]));
    CHECK(v->u.o.k[2] == names[0]);
    CHECK(v->u.o.k[3] == names[4]);
    const val *inner = v->u.o.v[2];
    CHECK(inner->type == V_OBJ && inner->len == 3 && inner->u.o.k[1] == names[3] &&
          inner->u.o.k[2] == names[1]);
    /* a value with a name's bytes stays a value of its own */
    CHECK(inner->u.o.v[2] != names[0] && val_equal(inner->u.o.v[2], names[0]));

    /* many names: every one is either found as itself or not found, and a
     * parse of all of them as keys gives the same object as without the set */
    char buf[NMANY * 16 + 16];
    size_t len = 0;
    buf[len++] = '{';
    for (uint32_t i = 0; i < NMANY; i++) {
        char name[16];
        int n = snprintf(name, sizeof name, "k%u", i * 7919u);
        names[NNAMES + i] = v_str(a, name, (size_t)n);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s\"%s\":%u", i ? "," : "", name, i);
    }
    buf[len++] = '}';
    CHECK(json_keyset_build(a, &ks, names + NNAMES, NMANY));
    uint32_t found = 0;
    for (uint32_t i = 0; i < NMANY; i++) {
        const val *name = names[NNAMES + i];
        const val *hit = json_keyset_find(&ks, name->u.s, name->len);
        CHECK(hit == NULL || hit == name);
        found += hit == name;
    }
    CHECK(found > NMANY / 2);
    v = json_parse_named(a, &ks, buf, len, &je);
    plain = json_parse(a, buf, len, &je);
    CHECK(v && plain && val_equal(v, plain) && v->len == NMANY);
    json_keyset empty;
    CHECK(json_keyset_build(a, &empty, names, 0) && empty.slots == NULL);
    CHECK(json_keyset_find(&empty, "id", 2) == NULL);
}

int main(void)
{
    arena a;
    arena_init_fixed(&a, mem, sizeof mem);
    test_parse_basic(&a);
    test_parse_numbers(&a);
    test_parse_strings(&a);
    test_parse_errors(&a);
    test_depth(&a);
    test_arena_exhaustion();
    test_parse_string_blocks(&a);
    test_parse_utf8_exhaustive(&a);
    test_parse_whitespace_runs(&a);
    test_parse_object_order(&a);
    test_keyset(&a);
    test_write_numbers(&a);
    test_write_strings(&a);
    test_write_collections(&a);
    test_write_pretty(&a);
    test_rego_write(&a);
    test_sbuf(&a);
    test_yaml_parse(&a);
    test_yaml_write(&a);
    return TEST_SUMMARY();
}
