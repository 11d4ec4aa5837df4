/* graphql.* builtins: a GraphQL lexer and parser for executable documents
 * and SDL that reproduce gqlparser (vektah/gqlparser/v2, as vendored by
 * OPA) token for token — including which error wins and where it is
 * reported — and build OPA's AST values directly.
 *
 * The parser follows gqlparser's error discipline: the first error sticks,
 * after it peek/next keep returning the previous token so every loop ends,
 * and a lexer error only becomes the error once the bad token is consumed
 * (so "Unexpected <Invalid>" is reported when the parser rejects the token
 * before consuming it). Nesting is bounded by GQL_MAX_DEPTH so hostile
 * input cannot exhaust the C stack.
 */
#include "bi_graphql_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

/* ======================================================================
 * Small helpers shared with the validator
 * ====================================================================== */

const val *gql_get(const val *node, const char *key)
{
    if (!node || node->type != V_OBJ)
        return NULL;
    return val_obj_get_str(node, key, strlen(key));
}

const val *gql_list(const val *node, const char *key)
{
    const val *v = gql_get(node, key);
    return v && v->type == V_ARR ? v : NULL;
}

bool gql_str_is(const val *s, const char *text)
{
    size_t n = strlen(text);
    return s && s->type == V_STR && s->len == n && memcmp(s->u.s, text, n) == 0;
}

void gql_err_set(gql_err *err, const val *pos, const char *fmt, ...)
{
    if (err->status != GQL_OK)
        return;
    err->status = GQL_FAIL;
    err->has_pos = false;
    err->line = err->col = 0;
    if (pos && pos->type == V_ARR && pos->len == 2) {
        int64_t l = 0, c = 0;
        if (val_is_int(pos->u.a[0], &l) && val_is_int(pos->u.a[1], &c) && l >= 0 && c >= 0 &&
            l <= UINT32_MAX && c <= UINT32_MAX) {
            err->has_pos = true;
            err->line = (uint32_t)l;
            err->col = (uint32_t)c;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

/* ======================================================================
 * Lexer (gqlparser's lexer.go)
 * ====================================================================== */

typedef enum gql_tok {
    T_INVALID,
    T_EOF,
    T_BANG,
    T_DOLLAR,
    T_AMP,
    T_PAREN_L,
    T_PAREN_R,
    T_SPREAD,
    T_COLON,
    T_EQUALS,
    T_AT,
    T_BRACKET_L,
    T_BRACKET_R,
    T_BRACE_L,
    T_BRACE_R,
    T_PIPE,
    T_NAME,
    T_INT,
    T_FLOAT,
    T_STRING,
    T_BLOCK_STRING,
} gql_tok;

/* Token kinds as gqlparser prints them in messages. */
static const char *const tok_names[] = {
    "<Invalid>", "<EOF>", "!", "$", "&", "(",    ")",   "...",   ":",      "=",           "@",
    "[",         "]",     "{", "}", "|", "Name", "Int", "Float", "String", "BlockString",
};

typedef struct gql_token {
    gql_tok kind;
    const char *s; /* value: Name/Int/Float text, decoded String; "" for punctuation */
    size_t len;
    uint32_t line, col;
} gql_token;

typedef struct gql_lexer {
    const char *in;
    size_t n;
    size_t start, end;             /* byte offsets of the current token */
    size_t start_runes, end_runes; /* the same in code points */
    size_t line_start_runes;
    uint32_t line;
    arena *a;
    bool oom;
    char err[160]; /* message of the last T_INVALID token */
} gql_lexer;

static gql_token lx_token(gql_lexer *lx, gql_tok kind, const char *s, size_t len)
{
    gql_token t = {kind, s, len, lx->line, (uint32_t)(lx->start_runes - lx->line_start_runes + 1)};
    return t;
}

static gql_token lx_error(gql_lexer *lx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static gql_token lx_error(gql_lexer *lx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(lx->err, sizeof lx->err, fmt, ap);
    va_end(ap);
    gql_token t = {T_INVALID, "", 0, lx->line, (uint32_t)(lx->end_runes - lx->line_start_runes + 1)};
    return t;
}

static void lx_ws(gql_lexer *lx)
{
    while (lx->end < lx->n) {
        unsigned char c = (unsigned char)lx->in[lx->end];
        if (c == '\t' || c == ' ' || c == ',') {
            lx->end++;
            lx->end_runes++;
        } else if (c == '\n') {
            lx->end++;
            lx->end_runes++;
            lx->line++;
            lx->line_start_runes = lx->end_runes;
        } else if (c == '\r') {
            lx->end++;
            lx->end_runes++;
            lx->line++;
            lx->line_start_runes = lx->end_runes;
            if (lx->end < lx->n && lx->in[lx->end] == '\n') {
                lx->end++;
                lx->end_runes++;
                lx->line_start_runes = lx->end_runes;
            }
        } else if (c == 0xef && lx->end + 2 < lx->n && (unsigned char)lx->in[lx->end + 1] == 0xbb &&
                   (unsigned char)lx->in[lx->end + 2] == 0xbf) {
            lx->end += 3; /* byte order mark */
            lx->end_runes++;
        } else if (c == '#') {
            /* Comments are not part of OPA's AST: skip to the line end. */
            while (lx->end < lx->n && lx->in[lx->end] != '\n' && lx->in[lx->end] != '\r') {
                unsigned char d = (unsigned char)lx->in[lx->end];
                lx->end++;
                if (d < 0x80 || d >= 0xc0)
                    lx->end_runes++;
            }
        } else {
            return;
        }
    }
}

static bool is_name_start(unsigned char c)
{
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static size_t lx_digits(gql_lexer *lx)
{
    size_t k = 0;
    while (lx->end < lx->n && is_digit((unsigned char)lx->in[lx->end])) {
        lx->end++;
        lx->end_runes++;
        k++;
    }
    return k;
}

static bool lx_accept(gql_lexer *lx, char a, char b)
{
    if (lx->end < lx->n && (lx->in[lx->end] == a || lx->in[lx->end] == b)) {
        lx->end++;
        lx->end_runes++;
        return true;
    }
    return false;
}

/* describeNext: the next byte quoted, or <EOF>. */
static void lx_describe_next(const gql_lexer *lx, char *buf, size_t cap)
{
    if (lx->end < lx->n)
        snprintf(buf, cap, "\"%c\"", lx->in[lx->end]);
    else
        snprintf(buf, cap, "<EOF>");
}

static gql_token lx_number(gql_lexer *lx)
{
    bool is_float = false;
    char next[16];
    lx->end--;
    lx->end_runes--;
    lx_accept(lx, '-', '-');
    if (lx_accept(lx, '0', '0')) {
        size_t k = lx_digits(lx);
        if (k) {
            lx->end -= k;
            lx->end_runes -= k;
            lx_describe_next(lx, next, sizeof next);
            return lx_error(lx, "Invalid number, unexpected digit after 0: %s.", next);
        }
    } else if (!lx_digits(lx)) {
        lx_describe_next(lx, next, sizeof next);
        return lx_error(lx, "Invalid number, expected digit but got: %s.", next);
    }
    if (lx_accept(lx, '.', '.')) {
        is_float = true;
        if (!lx_digits(lx)) {
            lx_describe_next(lx, next, sizeof next);
            return lx_error(lx, "Invalid number, expected digit but got: %s.", next);
        }
    }
    if (lx_accept(lx, 'e', 'E')) {
        is_float = true;
        lx_accept(lx, '-', '+');
        if (!lx_digits(lx)) {
            lx_describe_next(lx, next, sizeof next);
            return lx_error(lx, "Invalid number, expected digit but got: %s.", next);
        }
    }
    return lx_token(lx, is_float ? T_FLOAT : T_INT, lx->in + lx->start, lx->end - lx->start);
}

/* A growable byte buffer in the arena for decoded string values. */
typedef struct gbuf {
    char *p;
    size_t len, cap;
} gbuf;

static bool gb_put(arena *a, gbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = arena_alloc(a, cap);
        if (!np)
            return false;
        if (b->len)
            memcpy(np, b->p, b->len);
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
    return true;
}

/* One code point at in[*i] (Go's utf8.DecodeRuneInString: an invalid
 * sequence is U+FFFD of width 1). */
static utf8proc_int32_t decode_rune(const char *in, size_t n, size_t i, size_t *width)
{
    utf8proc_int32_t cp = 0;
    size_t avail = n - i < 4 ? n - i : 4;
    utf8proc_ssize_t w = utf8proc_iterate((const utf8proc_uint8_t *)in + i, (utf8proc_ssize_t)avail, &cp);
    if (w <= 0) {
        *width = 1;
        return 0xfffd;
    }
    *width = (size_t)w;
    return cp;
}

static bool gb_rune(arena *a, gbuf *b, utf8proc_int32_t cp)
{
    utf8proc_uint8_t enc[4];
    utf8proc_ssize_t w = utf8proc_encode_char(cp, enc);
    if (w <= 0) {
        enc[0] = 0xef, enc[1] = 0xbf, enc[2] = 0xbd;
        w = 3;
    }
    return gb_put(a, b, (const char *)enc, (size_t)w);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static gql_token lx_string(gql_lexer *lx)
{
    gbuf buf = {0};
    bool escaped = false;
    lx->start++;
    lx->start_runes++;
    while (lx->end < lx->n) {
        unsigned char c = (unsigned char)lx->in[lx->end];
        if (c == '\n' || c == '\r')
            break;
        if (c < 0x20 && c != '\t')
            return lx_error(lx, "Invalid character within String: \"\\u%04d\".", c);
        if (c == '"') {
            gql_token t = escaped ? lx_token(lx, T_STRING, buf.p ? buf.p : "", buf.len)
                                  : lx_token(lx, T_STRING, lx->in + lx->start, lx->end - lx->start);
            lx->end++;
            lx->end_runes++;
            return t;
        }
        if (c == '\\') {
            if (lx->end + 1 >= lx->n) {
                lx->end++;
                lx->end_runes++;
                return lx_error(lx, "Invalid character escape sequence.");
            }
            if (!escaped) {
                escaped = true;
                if (!gb_put(lx->a, &buf, lx->in + lx->start, lx->end - lx->start))
                    goto oom;
            }
            char e = lx->in[lx->end + 1];
            if (e == 'u') {
                if (lx->end + 6 >= lx->n) {
                    lx->end++;
                    lx->end_runes++;
                    return lx_error(lx, "Invalid character escape sequence: \\%.*s.", (int)(lx->n - lx->end),
                                    lx->in + lx->end);
                }
                int cp = 0;
                bool ok = true;
                for (int k = 2; k < 6; k++) {
                    int h = hexval(lx->in[lx->end + (size_t)k]);
                    if (h < 0)
                        ok = false;
                    cp = cp * 16 + (h < 0 ? 0 : h);
                }
                if (!ok) {
                    lx->end++;
                    lx->end_runes++;
                    return lx_error(lx, "Invalid character escape sequence: \\%.5s.", lx->in + lx->end);
                }
                if (!gb_rune(lx->a, &buf, cp))
                    goto oom;
                lx->end += 6;
                lx->end_runes += 6;
                continue;
            }
            char out;
            switch (e) {
            case '"':
            case '/':
            case '\\': out = e; break;
            case 'b': out = '\b'; break;
            case 'f': out = '\f'; break;
            case 'n': out = '\n'; break;
            case 'r': out = '\r'; break;
            case 't': out = '\t'; break;
            default:
                lx->end++;
                lx->end_runes++;
                return lx_error(lx, "Invalid character escape sequence: \\%c.", e);
            }
            if (!gb_put(lx->a, &buf, &out, 1))
                goto oom;
            lx->end += 2;
            lx->end_runes += 2;
            continue;
        }
        size_t w = 1;
        utf8proc_int32_t cp = c;
        if (c >= 127)
            cp = decode_rune(lx->in, lx->n, lx->end, &w);
        if (escaped && !gb_rune(lx->a, &buf, cp))
            goto oom;
        lx->end += w;
        lx->end_runes++;
    }
    return lx_error(lx, "Unterminated string.");
oom:
    lx->oom = true;
    return lx_error(lx, "out of memory");
}

/* Leading spaces/tabs of a line, or SIZE_MAX when it is all whitespace. */
static size_t leading_ws(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return i;
    return SIZE_MAX;
}

/* The GraphQL spec's BlockStringValue: strip the common indentation of
 * all lines but the first, then leading and trailing blank lines. */
static bool block_string_value(arena *a, const char *raw, size_t n, gql_token *t)
{
    size_t nlines = 1;
    for (size_t i = 0; i < n; i++)
        nlines += raw[i] == '\n';
    const char **ls = arena_alloc(a, nlines * sizeof *ls);
    size_t *ln = arena_alloc(a, nlines * sizeof *ln);
    if (!ls || !ln)
        return false;
    size_t k = 0, from = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || raw[i] == '\n') {
            ls[k] = raw + from;
            ln[k++] = i - from;
            from = i + 1;
        }
    }
    size_t common = SIZE_MAX;
    for (size_t i = 1; i < nlines; i++) {
        size_t ind = leading_ws(ls[i], ln[i]);
        if (ind < ln[i] && ind < common) {
            common = ind;
            if (common == 0)
                break;
        }
    }
    if (common != SIZE_MAX) {
        for (size_t i = 1; i < nlines; i++) {
            if (ln[i] < common) {
                ln[i] = 0;
            } else {
                ls[i] += common;
                ln[i] -= common;
            }
        }
    }
    size_t start = 0, end = nlines;
    while (start < end && leading_ws(ls[start], ln[start]) == SIZE_MAX)
        start++;
    while (start < end && leading_ws(ls[end - 1], ln[end - 1]) == SIZE_MAX)
        end--;
    gbuf out = {0};
    for (size_t i = start; i < end; i++) {
        if ((i > start && !gb_put(a, &out, "\n", 1)) || !gb_put(a, &out, ls[i], ln[i]))
            return false;
    }
    t->s = out.p ? out.p : "";
    t->len = out.len;
    return true;
}

static gql_token lx_block_string(gql_lexer *lx)
{
    gbuf buf = {0};
    lx->start += 3;
    lx->start_runes += 3;
    lx->end += 2;
    lx->end_runes += 2;
    while (lx->end < lx->n) {
        unsigned char c = (unsigned char)lx->in[lx->end];
        if (c == '"' && lx->end + 3 <= lx->n && memcmp(lx->in + lx->end, "\"\"\"", 3) == 0) {
            gql_token t = lx_token(lx, T_BLOCK_STRING, "", 0);
            if (!block_string_value(lx->a, buf.p ? buf.p : "", buf.len, &t))
                goto oom;
            lx->end += 3;
            lx->end_runes += 3;
            return t;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return lx_error(lx, "Invalid character within String: \"\\u%04d\".", c);
        if (c == '\\' && lx->end + 4 <= lx->n && memcmp(lx->in + lx->end, "\\\"\"\"", 4) == 0) {
            if (!gb_put(lx->a, &buf, "\"\"\"", 3))
                goto oom;
            lx->end += 4;
            lx->end_runes += 4;
        } else if (c == '\r') {
            if (lx->end + 1 < lx->n && lx->in[lx->end + 1] == '\n') {
                lx->end++;
                lx->end_runes++;
            }
            if (!gb_put(lx->a, &buf, "\n", 1))
                goto oom;
            lx->end++;
            lx->end_runes++;
            lx->line++;
            lx->line_start_runes = lx->end_runes;
        } else {
            size_t w = 1;
            utf8proc_int32_t cp = c;
            if (c >= 127)
                cp = decode_rune(lx->in, lx->n, lx->end, &w);
            if (!gb_rune(lx->a, &buf, cp))
                goto oom;
            lx->end += w;
            lx->end_runes++;
            if (c == '\n') {
                lx->line++;
                lx->line_start_runes = lx->end_runes;
            }
        }
    }
    return lx_error(lx, "Unterminated string.");
oom:
    lx->oom = true;
    return lx_error(lx, "out of memory");
}

static gql_token lx_read(gql_lexer *lx)
{
    lx_ws(lx);
    lx->start = lx->end;
    lx->start_runes = lx->end_runes;
    if (lx->end >= lx->n)
        return lx_token(lx, T_EOF, "", 0);
    unsigned char c = (unsigned char)lx->in[lx->start];
    lx->end++;
    lx->end_runes++;
    switch (c) {
    case '!': return lx_token(lx, T_BANG, "", 0);
    case '$': return lx_token(lx, T_DOLLAR, "", 0);
    case '&': return lx_token(lx, T_AMP, "", 0);
    case '(': return lx_token(lx, T_PAREN_L, "", 0);
    case ')': return lx_token(lx, T_PAREN_R, "", 0);
    case ':': return lx_token(lx, T_COLON, "", 0);
    case '=': return lx_token(lx, T_EQUALS, "", 0);
    case '@': return lx_token(lx, T_AT, "", 0);
    case '[': return lx_token(lx, T_BRACKET_L, "", 0);
    case ']': return lx_token(lx, T_BRACKET_R, "", 0);
    case '{': return lx_token(lx, T_BRACE_L, "", 0);
    case '}': return lx_token(lx, T_BRACE_R, "", 0);
    case '|': return lx_token(lx, T_PIPE, "", 0);
    case '.':
        if (lx->start + 2 < lx->n && lx->in[lx->start + 1] == '.' && lx->in[lx->start + 2] == '.') {
            lx->end += 2;
            lx->end_runes += 2;
            return lx_token(lx, T_SPREAD, "", 0);
        }
        break;
    case '"':
        if (lx->start + 2 < lx->n && lx->in[lx->start + 1] == '"' && lx->in[lx->start + 2] == '"')
            return lx_block_string(lx);
        return lx_string(lx);
    default:
        if (is_name_start(c)) {
            while (lx->end < lx->n && (is_name_start((unsigned char)lx->in[lx->end]) ||
                                       is_digit((unsigned char)lx->in[lx->end]))) {
                lx->end++;
                lx->end_runes++;
            }
            return lx_token(lx, T_NAME, lx->in + lx->start, lx->end - lx->start);
        }
        if (c == '-' || is_digit(c))
            return lx_number(lx);
        break;
    }
    lx->end--;
    lx->end_runes--;
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
        return lx_error(lx, "Cannot contain the invalid character \"\\u%04d\"", c);
    if (c == '\'')
        return lx_error(lx,
                        "Unexpected single quote character ('), did you mean to use a double quote (\")?");
    size_t w = 1;
    if (c >= 0x80)
        decode_rune(lx->in, lx->n, lx->start, &w);
    return lx_error(lx, "Cannot parse the unexpected character \"%.*s\".", (int)w, lx->in + lx->start);
}

/* ======================================================================
 * Parser state and gqlparser's token discipline
 * ====================================================================== */

typedef struct gql_parser {
    gql_lexer lx;
    arena *a;
    gql_token prev, peek_tok;
    bool peeked;
    char peek_err[160]; /* lexer message carried by an invalid peeked token */
    gql_err *err;
    bool builtin;
    int depth;
} gql_parser;

static bool failed(const gql_parser *p)
{
    return p->err->status != GQL_OK;
}

static void p_oom(gql_parser *p)
{
    if (p->err->status == GQL_OK)
        p->err->status = GQL_NOMEM;
}

static void p_error_at(gql_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void p_error_at(gql_parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
    if (failed(p))
        return;
    p->err->status = GQL_FAIL;
    p->err->has_pos = true;
    p->err->line = line;
    p->err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
}

static gql_token p_lex(gql_parser *p)
{
    gql_token t = lx_read(&p->lx);
    if (p->lx.oom)
        p_oom(p);
    return t;
}

static gql_token peek(gql_parser *p)
{
    if (failed(p))
        return p->prev;
    if (!p->peeked) {
        p->peek_tok = p_lex(p);
        if (p->peek_tok.kind == T_INVALID)
            memcpy(p->peek_err, p->lx.err, sizeof p->peek_err);
        p->peeked = true;
    }
    return p->peek_tok;
}

static gql_token next(gql_parser *p)
{
    if (failed(p))
        return p->prev;
    if (p->peeked) {
        p->peeked = false;
        p->prev = p->peek_tok;
        if (p->prev.kind == T_INVALID)
            p_error_at(p, p->prev.line, p->prev.col, "%s", p->peek_err);
        return p->prev;
    }
    p->prev = p_lex(p);
    if (p->prev.kind == T_INVALID)
        p_error_at(p, p->prev.line, p->prev.col, "%s", p->lx.err);
    return p->prev;
}

/* Token.String(): the kind, then the quoted value when there is one. */
static void tok_describe(const gql_token *t, char *buf, size_t cap)
{
    if (t->len)
        snprintf(buf, cap, "%s \"%.*s\"", tok_names[t->kind], (int)(t->len > 100 ? 100 : t->len), t->s);
    else
        snprintf(buf, cap, "%s", tok_names[t->kind]);
}

static void unexpected_token(gql_parser *p, const gql_token *t)
{
    char d[128];
    tok_describe(t, d, sizeof d);
    p_error_at(p, t->line, t->col, "Unexpected %s", d);
}

static void unexpected(gql_parser *p)
{
    gql_token t = peek(p);
    unexpected_token(p, &t);
}

static gql_token expect(gql_parser *p, gql_tok kind)
{
    gql_token t = peek(p);
    if (t.kind == kind)
        return next(p);
    p_error_at(p, t.line, t.col, "Expected %s, found %s", tok_names[kind], tok_names[t.kind]);
    return t;
}

static bool tok_is(const gql_token *t, const char *word)
{
    size_t n = strlen(word);
    return t->len == n && memcmp(t->s, word, n) == 0;
}

static void expect_keyword(gql_parser *p, const char *word)
{
    gql_token t = peek(p);
    if (t.kind == T_NAME && tok_is(&t, word)) {
        next(p);
        return;
    }
    char d[128];
    tok_describe(&t, d, sizeof d);
    p_error_at(p, t.line, t.col, "Expected \"%s\", found %s", word, d);
}

static bool skip(gql_parser *p, gql_tok kind)
{
    if (failed(p))
        return false;
    if (peek(p).kind != kind)
        return false;
    next(p);
    return true;
}

/* ======================================================================
 * Building AST values
 * ====================================================================== */

static const val *mk_str(gql_parser *p, const char *s, size_t n)
{
    const val *v = v_str(p->a, s, n);
    if (!v)
        p_oom(p);
    return v;
}

static const val *mk_tok_str(gql_parser *p, const gql_token *t)
{
    return mk_str(p, t->s, t->len);
}

static const val *mk_pos(gql_parser *p, const gql_token *t)
{
    vbuild b;
    vb_init(&b, p->a);
    vb_push(&b, v_int(p->a, t->line));
    vb_push(&b, v_int(p->a, t->col));
    const val *v = b.oom ? NULL : vb_finish_array(&b);
    if (!v || v->len != 2 || !v->u.a[0] || !v->u.a[1]) {
        p_oom(p);
        return NULL;
    }
    return v;
}

/* Object under construction: fields whose value is NULL are left out,
 * which is how null and empty fields disappear from OPA's output. */
typedef struct node {
    vbuild b;
} node;

static void nd_init(gql_parser *p, node *n)
{
    vb_init(&n->b, p->a);
}

static void nd_put(gql_parser *p, node *n, const char *key, const val *v)
{
    if (!v || failed(p))
        return;
    const val *k = v_str_ref(p->a, key, strlen(key));
    if (!k || !vb_put(&n->b, k, v))
        p_oom(p);
}

static void nd_str(gql_parser *p, node *n, const char *key, const char *s, size_t len)
{
    nd_put(p, n, key, mk_str(p, s, len));
}

static void nd_bool(gql_parser *p, node *n, const char *key, bool x)
{
    nd_put(p, n, key, VAL_BOOL(x));
}

static const val *nd_finish(gql_parser *p, node *n)
{
    if (failed(p) && p->err->status == GQL_NOMEM)
        return NULL;
    if (n->b.oom) {
        p_oom(p);
        return NULL;
    }
    const val *v = vb_finish_object(&n->b, NULL);
    if (!v)
        p_oom(p);
    return v;
}

typedef struct list {
    vbuild b;
} list;

static void ls_init(gql_parser *p, list *l)
{
    vb_init(&l->b, p->a);
}

static void ls_push(gql_parser *p, list *l, const val *v)
{
    if (!v || failed(p))
        return;
    if (!vb_push(&l->b, v))
        p_oom(p);
}

/* NULL for an empty list: OPA prunes empty arrays. */
static const val *ls_finish(gql_parser *p, list *l)
{
    if (l->b.oom) {
        p_oom(p);
        return NULL;
    }
    if (l->b.n == 0)
        return NULL;
    const val *v = vb_finish_array(&l->b);
    if (!v)
        p_oom(p);
    return v;
}

static bool enter(gql_parser *p)
{
    if (++p->depth > GQL_MAX_DEPTH) {
        gql_token t = peek(p);
        p_error_at(p, t.line, t.col, "document nested too deeply (limit %d)", GQL_MAX_DEPTH);
        return false;
    }
    return true;
}

static void leave(gql_parser *p)
{
    p->depth--;
}

/* ======================================================================
 * Shared grammar: names, values, types, directives, arguments
 * ====================================================================== */

static const val *parse_name(gql_parser *p)
{
    gql_token t = expect(p, T_NAME);
    if (failed(p))
        return NULL;
    return mk_tok_str(p, &t);
}

static const val *parse_value(gql_parser *p, bool is_const);

static const val *value_node(gql_parser *p, int kind, const gql_token *pos, const char *raw, size_t rawlen,
                             const val *children)
{
    node n;
    nd_init(p, &n);
    nd_str(p, &n, "Raw", raw, rawlen);
    nd_put(p, &n, "Kind", v_int(p->a, kind));
    nd_bool(p, &n, "ExpectedTypeHasDefault", false);
    nd_put(p, &n, "Children", children);
    nd_put(p, &n, "Position", mk_pos(p, pos));
    return nd_finish(p, &n);
}

static const val *parse_list_value(gql_parser *p, bool is_const)
{
    gql_token pos = peek(p);
    list l;
    ls_init(p, &l);
    if (skip(p, T_BRACKET_L)) {
        while (peek(p).kind != T_BRACKET_R && !failed(p)) {
            node c;
            nd_init(p, &c);
            nd_str(p, &c, "Name", "", 0);
            nd_put(p, &c, "Value", parse_value(p, is_const));
            ls_push(p, &l, nd_finish(p, &c));
        }
        next(p);
    }
    return value_node(p, GQL_LIST, &pos, "", 0, ls_finish(p, &l));
}

static const val *parse_object_value(gql_parser *p, bool is_const)
{
    gql_token pos = peek(p);
    list l;
    ls_init(p, &l);
    if (skip(p, T_BRACE_L)) {
        while (peek(p).kind != T_BRACE_R && !failed(p)) {
            node c;
            nd_init(p, &c);
            gql_token at = peek(p);
            nd_put(p, &c, "Position", mk_pos(p, &at));
            nd_put(p, &c, "Name", parse_name(p));
            expect(p, T_COLON);
            nd_put(p, &c, "Value", parse_value(p, is_const));
            ls_push(p, &l, nd_finish(p, &c));
        }
        next(p);
    }
    return value_node(p, GQL_OBJECT, &pos, "", 0, ls_finish(p, &l));
}

static const val *parse_value(gql_parser *p, bool is_const)
{
    if (!enter(p))
        return NULL;
    const val *out = NULL;
    gql_token t = peek(p);
    int kind = -1;
    switch (t.kind) {
    case T_BRACKET_L: out = parse_list_value(p, is_const); break;
    case T_BRACE_L: out = parse_object_value(p, is_const); break;
    case T_DOLLAR:
        if (is_const) {
            unexpected(p);
            break;
        }
        next(p);
        {
            gql_token name = expect(p, T_NAME);
            if (!failed(p))
                out = value_node(p, GQL_VARIABLE, &t, name.s, name.len, NULL);
        }
        break;
    case T_INT: kind = GQL_INT; break;
    case T_FLOAT: kind = GQL_FLOAT; break;
    case T_STRING: kind = GQL_STRING; break;
    case T_BLOCK_STRING: kind = GQL_BLOCK; break;
    case T_NAME:
        if (tok_is(&t, "true") || tok_is(&t, "false"))
            kind = GQL_BOOLEAN;
        else if (tok_is(&t, "null"))
            kind = GQL_NULL;
        else
            kind = GQL_ENUM;
        break;
    default: unexpected(p); break;
    }
    if (kind >= 0) {
        next(p);
        if (!failed(p))
            out = value_node(p, kind, &t, t.s, t.len, NULL);
    }
    leave(p);
    return out;
}

static const val *parse_type_ref(gql_parser *p)
{
    if (!enter(p))
        return NULL;
    node n;
    nd_init(p, &n);
    if (skip(p, T_BRACKET_L)) {
        gql_token at = peek(p);
        nd_put(p, &n, "Position", mk_pos(p, &at));
        nd_put(p, &n, "Elem", parse_type_ref(p));
        nd_str(p, &n, "NamedType", "", 0);
        expect(p, T_BRACKET_R);
    } else {
        gql_token at = peek(p);
        nd_put(p, &n, "Position", mk_pos(p, &at));
        const val *name = parse_name(p);
        nd_put(p, &n, "NamedType", name ? name : mk_str(p, "", 0));
    }
    nd_bool(p, &n, "NonNull", skip(p, T_BANG));
    leave(p);
    return nd_finish(p, &n);
}

static const val *parse_arguments(gql_parser *p, bool is_const)
{
    list l;
    ls_init(p, &l);
    if (skip(p, T_PAREN_L)) {
        while (peek(p).kind != T_PAREN_R && !failed(p)) {
            node a;
            nd_init(p, &a);
            gql_token at = peek(p);
            nd_put(p, &a, "Position", mk_pos(p, &at));
            nd_put(p, &a, "Name", parse_name(p));
            expect(p, T_COLON);
            nd_put(p, &a, "Value", parse_value(p, is_const));
            ls_push(p, &l, nd_finish(p, &a));
        }
        next(p);
    }
    return ls_finish(p, &l);
}

static const val *parse_directives(gql_parser *p, bool is_const)
{
    list l;
    ls_init(p, &l);
    while (peek(p).kind == T_AT && !failed(p)) {
        expect(p, T_AT);
        node d;
        nd_init(p, &d);
        gql_token at = peek(p);
        nd_put(p, &d, "Position", mk_pos(p, &at));
        nd_put(p, &d, "Name", parse_name(p));
        nd_put(p, &d, "Arguments", parse_arguments(p, is_const));
        nd_str(p, &d, "Location", "", 0);
        ls_push(p, &l, nd_finish(p, &d));
    }
    return ls_finish(p, &l);
}

/* ======================================================================
 * Executable documents (gqlparser's query.go)
 * ====================================================================== */

static const val *parse_selection_set(gql_parser *p);

static const val *parse_required_selection_set(gql_parser *p)
{
    gql_token t = peek(p);
    if (t.kind != T_BRACE_L) {
        char d[128];
        tok_describe(&t, d, sizeof d);
        p_error_at(p, t.line, t.col, "Expected {, found %s", d);
        return NULL;
    }
    return parse_selection_set(p);
}

static const val *parse_fragment_name(gql_parser *p)
{
    gql_token t = peek(p);
    if (tok_is(&t, "on")) {
        unexpected(p);
        return NULL;
    }
    return parse_name(p);
}

static const val *parse_field(gql_parser *p)
{
    node f;
    nd_init(p, &f);
    gql_token at = peek(p);
    nd_put(p, &f, "Position", mk_pos(p, &at));
    const val *alias = parse_name(p);
    const val *name = alias;
    if (skip(p, T_COLON))
        name = parse_name(p);
    nd_put(p, &f, "Alias", alias);
    nd_put(p, &f, "Name", name);
    nd_put(p, &f, "Arguments", parse_arguments(p, false));
    nd_put(p, &f, "Directives", parse_directives(p, false));
    if (peek(p).kind == T_BRACE_L)
        nd_put(p, &f, "SelectionSet", parse_selection_set(p));
    return nd_finish(p, &f);
}

static const val *parse_fragment(gql_parser *p)
{
    expect(p, T_SPREAD);
    gql_token t = peek(p);
    node f;
    nd_init(p, &f);
    nd_put(p, &f, "Position", mk_pos(p, &t));
    if (t.kind == T_NAME && !tok_is(&t, "on")) {
        nd_put(p, &f, "Name", parse_fragment_name(p));
        nd_put(p, &f, "Directives", parse_directives(p, false));
        return nd_finish(p, &f);
    }
    const val *cond = NULL;
    if (tok_is(&t, "on")) {
        next(p);
        cond = parse_name(p);
    }
    nd_put(p, &f, "TypeCondition", cond ? cond : mk_str(p, "", 0));
    nd_put(p, &f, "Directives", parse_directives(p, false));
    nd_put(p, &f, "SelectionSet", parse_required_selection_set(p));
    return nd_finish(p, &f);
}

/* gqlparser's some(): braces around one or more items. */
static const val *parse_selection_set(gql_parser *p)
{
    if (!enter(p))
        return NULL;
    list l;
    ls_init(p, &l);
    if (skip(p, T_BRACE_L)) {
        bool any = false;
        while (peek(p).kind != T_BRACE_R && !failed(p)) {
            any = true;
            ls_push(p, &l, peek(p).kind == T_SPREAD ? parse_fragment(p) : parse_field(p));
        }
        if (!any) {
            gql_token t = peek(p);
            p_error_at(p, t.line, t.col, "expected at least one definition, found %s", tok_names[t.kind]);
        } else {
            next(p);
        }
    }
    leave(p);
    return ls_finish(p, &l);
}

static const val *parse_variable_definitions(gql_parser *p)
{
    list l;
    ls_init(p, &l);
    if (skip(p, T_PAREN_L)) {
        while (peek(p).kind != T_PAREN_R && !failed(p)) {
            node v;
            nd_init(p, &v);
            gql_token at = peek(p);
            nd_put(p, &v, "Position", mk_pos(p, &at));
            expect(p, T_DOLLAR);
            nd_put(p, &v, "Variable", parse_name(p));
            expect(p, T_COLON);
            nd_put(p, &v, "Type", parse_type_ref(p));
            if (skip(p, T_EQUALS))
                nd_put(p, &v, "DefaultValue", parse_value(p, true));
            nd_put(p, &v, "Directives", parse_directives(p, false));
            nd_bool(p, &v, "Used", false);
            ls_push(p, &l, nd_finish(p, &v));
        }
        next(p);
    }
    return ls_finish(p, &l);
}

static const char *operation_type(gql_parser *p)
{
    gql_token t = next(p);
    if (tok_is(&t, "query"))
        return "query";
    if (tok_is(&t, "mutation"))
        return "mutation";
    if (tok_is(&t, "subscription"))
        return "subscription";
    unexpected_token(p, &t);
    return "";
}

static const val *parse_operation(gql_parser *p)
{
    node o;
    nd_init(p, &o);
    gql_token at = peek(p);
    nd_put(p, &o, "Position", mk_pos(p, &at));
    if (at.kind == T_BRACE_L) {
        nd_str(p, &o, "Operation", "query", 5);
        nd_str(p, &o, "Name", "", 0);
        nd_put(p, &o, "SelectionSet", parse_required_selection_set(p));
        return nd_finish(p, &o);
    }
    const char *op = operation_type(p);
    nd_str(p, &o, "Operation", op, strlen(op));
    gql_token t = peek(p);
    if (t.kind == T_NAME) {
        next(p);
        nd_put(p, &o, "Name", mk_tok_str(p, &t));
    } else {
        nd_str(p, &o, "Name", "", 0);
    }
    nd_put(p, &o, "VariableDefinitions", parse_variable_definitions(p));
    nd_put(p, &o, "Directives", parse_directives(p, false));
    nd_put(p, &o, "SelectionSet", parse_required_selection_set(p));
    return nd_finish(p, &o);
}

static const val *parse_fragment_definition(gql_parser *p)
{
    node f;
    nd_init(p, &f);
    gql_token at = peek(p);
    nd_put(p, &f, "Position", mk_pos(p, &at));
    expect_keyword(p, "fragment");
    const val *name = parse_fragment_name(p);
    nd_put(p, &f, "Name", name ? name : mk_str(p, "", 0));
    nd_put(p, &f, "VariableDefinition", parse_variable_definitions(p));
    expect_keyword(p, "on");
    const val *cond = parse_name(p);
    nd_put(p, &f, "TypeCondition", cond ? cond : mk_str(p, "", 0));
    nd_put(p, &f, "Directives", parse_directives(p, false));
    nd_put(p, &f, "SelectionSet", parse_required_selection_set(p));
    return nd_finish(p, &f);
}

static void parser_init(gql_parser *p, arena *a, const char *src, size_t n, gql_err *err)
{
    memset(p, 0, sizeof *p);
    p->lx.in = src;
    p->lx.n = n;
    p->lx.line = 1;
    p->lx.a = a;
    p->a = a;
    p->err = err;
    memset(err, 0, sizeof *err);
}

const val *gql_parse_query(arena *a, const char *src, size_t n, gql_err *err)
{
    gql_parser p;
    parser_init(&p, a, src, n, err);
    list ops, frags;
    ls_init(&p, &ops);
    ls_init(&p, &frags);
    while (peek(&p).kind != T_EOF && !failed(&p)) {
        gql_token t = peek(&p);
        if (t.kind == T_NAME && (tok_is(&t, "query") || tok_is(&t, "mutation") || tok_is(&t, "subscription")))
            ls_push(&p, &ops, parse_operation(&p));
        else if (t.kind == T_NAME && tok_is(&t, "fragment"))
            ls_push(&p, &frags, parse_fragment_definition(&p));
        else if (t.kind == T_BRACE_L)
            ls_push(&p, &ops, parse_operation(&p));
        else
            unexpected(&p);
    }
    node doc;
    nd_init(&p, &doc);
    nd_put(&p, &doc, "Operations", ls_finish(&p, &ops));
    nd_put(&p, &doc, "Fragments", ls_finish(&p, &frags));
    const val *out = nd_finish(&p, &doc);
    return failed(&p) ? NULL : out;
}

/* ======================================================================
 * Schema documents (gqlparser's schema.go)
 * ====================================================================== */

static const val *parse_description(gql_parser *p)
{
    gql_token t = peek(p);
    if (t.kind != T_BLOCK_STRING && t.kind != T_STRING)
        return NULL;
    next(p);
    return mk_tok_str(p, &t);
}

static const val *parse_input_value_def(gql_parser *p)
{
    node d;
    nd_init(p, &d);
    gql_token at = peek(p);
    nd_put(p, &d, "Position", mk_pos(p, &at));
    const val *desc = parse_description(p);
    nd_put(p, &d, "Description", desc ? desc : mk_str(p, "", 0));
    nd_put(p, &d, "Name", parse_name(p));
    expect(p, T_COLON);
    nd_put(p, &d, "Type", parse_type_ref(p));
    if (skip(p, T_EQUALS))
        nd_put(p, &d, "DefaultValue", parse_value(p, true));
    nd_put(p, &d, "Directives", parse_directives(p, true));
    return nd_finish(p, &d);
}

/* some() over items of one kind; kind selects the item parser. */
enum { ITEM_FIELD_DEF, ITEM_INPUT_VALUE, ITEM_ENUM_VALUE, ITEM_OPERATION_TYPE };

static const val *parse_item(gql_parser *p, int kind);

static const val *parse_some(gql_parser *p, gql_tok open, gql_tok close, int kind)
{
    list l;
    ls_init(p, &l);
    if (skip(p, open)) {
        bool any = false;
        while (peek(p).kind != close && !failed(p)) {
            any = true;
            ls_push(p, &l, parse_item(p, kind));
        }
        if (!any) {
            gql_token t = peek(p);
            p_error_at(p, t.line, t.col, "expected at least one definition, found %s", tok_names[t.kind]);
        } else {
            next(p);
        }
    }
    return ls_finish(p, &l);
}

static const val *parse_item(gql_parser *p, int kind)
{
    node d;
    nd_init(p, &d);
    gql_token at = peek(p);
    nd_put(p, &d, "Position", mk_pos(p, &at));
    switch (kind) {
    case ITEM_FIELD_DEF: {
        const val *desc = parse_description(p);
        nd_put(p, &d, "Description", desc ? desc : mk_str(p, "", 0));
        nd_put(p, &d, "Name", parse_name(p));
        nd_put(p, &d, "Arguments", parse_some(p, T_PAREN_L, T_PAREN_R, ITEM_INPUT_VALUE));
        expect(p, T_COLON);
        nd_put(p, &d, "Type", parse_type_ref(p));
        nd_put(p, &d, "Directives", parse_directives(p, true));
        return nd_finish(p, &d);
    }
    case ITEM_INPUT_VALUE: return parse_input_value_def(p);
    case ITEM_ENUM_VALUE: {
        const val *desc = parse_description(p);
        nd_put(p, &d, "Description", desc ? desc : mk_str(p, "", 0));
        nd_put(p, &d, "Name", parse_name(p));
        nd_put(p, &d, "Directives", parse_directives(p, true));
        return nd_finish(p, &d);
    }
    default: {
        const char *op = operation_type(p);
        nd_str(p, &d, "Operation", op, strlen(op));
        expect(p, T_COLON);
        nd_put(p, &d, "Type", parse_name(p));
        return nd_finish(p, &d);
    }
    }
}

static const val *parse_implements(gql_parser *p)
{
    list l;
    ls_init(p, &l);
    gql_token t = peek(p);
    if (tok_is(&t, "implements")) {
        next(p);
        skip(p, T_AMP);
        ls_push(p, &l, parse_name(p));
        while (skip(p, T_AMP) && !failed(p))
            ls_push(p, &l, parse_name(p));
    }
    return ls_finish(p, &l);
}

static const val *parse_union_members(gql_parser *p)
{
    list l;
    ls_init(p, &l);
    if (skip(p, T_EQUALS)) {
        skip(p, T_PIPE);
        ls_push(p, &l, parse_name(p));
        while (skip(p, T_PIPE) && !failed(p))
            ls_push(p, &l, parse_name(p));
    }
    return ls_finish(p, &l);
}

static const char *const kind_names[][2] = {
    {"scalar", "SCALAR"}, {"type", "OBJECT"}, {"interface", "INTERFACE"},
    {"union", "UNION"},   {"enum", "ENUM"},   {"input", "INPUT_OBJECT"},
};

/* A type definition or extension. Extensions must add something, or the
 * token after them is unexpected, as in gqlparser. */
static const val *parse_type_def(gql_parser *p, const val *desc, bool extension)
{
    gql_token kw = peek(p);
    int k = -1;
    for (int i = 0; i < 6; i++)
        if (kw.kind == T_NAME && tok_is(&kw, kind_names[i][0]))
            k = i;
    if (k < 0) {
        unexpected(p);
        return NULL;
    }
    next(p);
    node d;
    nd_init(p, &d);
    gql_token at = peek(p);
    nd_put(p, &d, "Position", mk_pos(p, &at));
    nd_str(p, &d, "Kind", kind_names[k][1], strlen(kind_names[k][1]));
    nd_put(p, &d, "Description", desc ? desc : mk_str(p, "", 0));
    nd_put(p, &d, "Name", parse_name(p));
    nd_bool(p, &d, "BuiltIn", p->builtin);
    const val *ifaces = NULL, *dirs = NULL, *fields = NULL, *types = NULL, *values = NULL;
    switch (k) {
    case 0: dirs = parse_directives(p, true); break;
    case 1:
    case 2:
        ifaces = parse_implements(p);
        dirs = parse_directives(p, true);
        fields = parse_some(p, T_BRACE_L, T_BRACE_R, ITEM_FIELD_DEF);
        break;
    case 3:
        dirs = parse_directives(p, true);
        types = parse_union_members(p);
        break;
    case 4:
        dirs = parse_directives(p, true);
        values = parse_some(p, T_BRACE_L, T_BRACE_R, ITEM_ENUM_VALUE);
        break;
    default:
        dirs = parse_directives(p, true);
        fields = parse_some(p, T_BRACE_L, T_BRACE_R, ITEM_INPUT_VALUE);
        break;
    }
    /* gqlparser's interface extensions ignore "implements" when deciding
     * whether the extension is empty; object extensions count it. */
    if (extension && !dirs && !fields && !types && !values && !(k == 1 && ifaces))
        unexpected(p);
    nd_put(p, &d, "Interfaces", ifaces);
    nd_put(p, &d, "Directives", dirs);
    nd_put(p, &d, "Fields", fields);
    nd_put(p, &d, "Types", types);
    nd_put(p, &d, "EnumValues", values);
    return nd_finish(p, &d);
}

static const val *parse_schema_def(gql_parser *p, const val *desc, bool extension)
{
    expect_keyword(p, "schema");
    node d;
    nd_init(p, &d);
    gql_token at = peek(p);
    nd_put(p, &d, "Position", mk_pos(p, &at));
    nd_put(p, &d, "Description", desc ? desc : mk_str(p, "", 0));
    const val *dirs = parse_directives(p, true);
    const val *ops = parse_some(p, T_BRACE_L, T_BRACE_R, ITEM_OPERATION_TYPE);
    if (extension && !dirs && !ops)
        unexpected(p);
    nd_put(p, &d, "Directives", dirs);
    nd_put(p, &d, "OperationTypes", ops);
    return nd_finish(p, &d);
}

static const char *const directive_locations[] = {
    "QUERY",
    "MUTATION",
    "SUBSCRIPTION",
    "FIELD",
    "FRAGMENT_DEFINITION",
    "FRAGMENT_SPREAD",
    "INLINE_FRAGMENT",
    "VARIABLE_DEFINITION",
    "SCHEMA",
    "SCALAR",
    "OBJECT",
    "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION",
    "INTERFACE",
    "UNION",
    "ENUM",
    "ENUM_VALUE",
    "INPUT_OBJECT",
    "INPUT_FIELD_DEFINITION",
};

static const val *parse_directive_location(gql_parser *p)
{
    gql_token t = expect(p, T_NAME);
    if (failed(p))
        return NULL;
    for (size_t i = 0; i < sizeof directive_locations / sizeof *directive_locations; i++)
        if (tok_is(&t, directive_locations[i]))
            return mk_tok_str(p, &t);
    unexpected_token(p, &t);
    return NULL;
}

static const val *parse_directive_def(gql_parser *p, const val *desc)
{
    expect_keyword(p, "directive");
    expect(p, T_AT);
    node d;
    nd_init(p, &d);
    gql_token at = peek(p);
    nd_put(p, &d, "Position", mk_pos(p, &at));
    nd_put(p, &d, "Description", desc ? desc : mk_str(p, "", 0));
    nd_put(p, &d, "Name", parse_name(p));
    nd_put(p, &d, "Arguments", parse_some(p, T_PAREN_L, T_PAREN_R, ITEM_INPUT_VALUE));
    gql_token t = peek(p);
    bool repeatable = t.kind == T_NAME && tok_is(&t, "repeatable");
    if (repeatable)
        skip(p, T_NAME);
    nd_bool(p, &d, "IsRepeatable", repeatable);
    expect_keyword(p, "on");
    list l;
    ls_init(p, &l);
    skip(p, T_PIPE);
    ls_push(p, &l, parse_directive_location(p));
    while (skip(p, T_PIPE) && !failed(p))
        ls_push(p, &l, parse_directive_location(p));
    nd_put(p, &d, "Locations", ls_finish(p, &l));
    return nd_finish(p, &d);
}

const val *gql_parse_schema(arena *a, const char *src, size_t n, bool builtin, gql_err *err)
{
    gql_parser p;
    parser_init(&p, a, src, n, err);
    p.builtin = builtin;
    list schema, schema_ext, dirs, defs, exts;
    ls_init(&p, &schema);
    ls_init(&p, &schema_ext);
    ls_init(&p, &dirs);
    ls_init(&p, &defs);
    ls_init(&p, &exts);
    while (peek(&p).kind != T_EOF && !failed(&p)) {
        const val *desc = NULL;
        gql_token t = peek(&p);
        if (t.kind == T_BLOCK_STRING || t.kind == T_STRING)
            desc = parse_description(&p);
        t = peek(&p);
        if (t.kind != T_NAME) {
            unexpected(&p);
            break;
        }
        if (tok_is(&t, "scalar") || tok_is(&t, "type") || tok_is(&t, "interface") || tok_is(&t, "union") ||
            tok_is(&t, "enum") || tok_is(&t, "input")) {
            ls_push(&p, &defs, parse_type_def(&p, desc, false));
        } else if (tok_is(&t, "schema")) {
            ls_push(&p, &schema, parse_schema_def(&p, desc, false));
        } else if (tok_is(&t, "directive")) {
            ls_push(&p, &dirs, parse_directive_def(&p, desc));
        } else if (tok_is(&t, "extend")) {
            if (desc && desc->len > 0)
                unexpected_token(&p, &p.prev);
            expect_keyword(&p, "extend");
            gql_token k = peek(&p);
            if (tok_is(&k, "schema"))
                ls_push(&p, &schema_ext, parse_schema_def(&p, NULL, true));
            else if (k.kind == T_NAME &&
                     (tok_is(&k, "scalar") || tok_is(&k, "type") || tok_is(&k, "interface") ||
                      tok_is(&k, "union") || tok_is(&k, "enum") || tok_is(&k, "input")))
                ls_push(&p, &exts, parse_type_def(&p, NULL, true));
            else
                unexpected(&p);
        } else {
            unexpected(&p);
        }
    }
    node doc;
    nd_init(&p, &doc);
    nd_put(&p, &doc, "Schema", ls_finish(&p, &schema));
    nd_put(&p, &doc, "SchemaExtension", ls_finish(&p, &schema_ext));
    nd_put(&p, &doc, "Directives", ls_finish(&p, &dirs));
    nd_put(&p, &doc, "Definitions", ls_finish(&p, &defs));
    nd_put(&p, &doc, "Extensions", ls_finish(&p, &exts));
    const val *out = nd_finish(&p, &doc);
    return failed(&p) ? NULL : out;
}

/* ======================================================================
 * Builtins
 * ====================================================================== */

/* OPA's message for a gqlparser error: "input:L:C: msg" becomes
 * "msg in GraphQL string at location L:C". */
static bi_status gql_fail(bi_ctx *ctx, const char *name, const gql_err *err)
{
    if (err->status == GQL_NOMEM)
        return bi_oom(ctx);
    if (err->has_pos)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s in GraphQL string at location %u:%u", name, err->msg,
                       err->line, err->col);
    return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name, err->msg);
}

/* A query or schema operand: text to parse or an AST object to read.
 * Returns NULL with err set (GQL_FAIL with an empty message and
 * err->has_pos false means "wrong operand type"). */
static const val *load_doc(arena *a, const val *arg, bool schema, gql_err *err)
{
    memset(err, 0, sizeof *err);
    if (arg->type == V_STR)
        return schema ? gql_parse_schema(a, arg->u.s, arg->len, false, err)
                      : gql_parse_query(a, arg->u.s, arg->len, err);
    if (arg->type == V_OBJ)
        return schema ? gql_decode_schema(a, arg, err) : gql_decode_query(a, arg, err);
    err->status = GQL_FAIL;
    return NULL;
}

bi_status bi_graphql_parse_query(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_STR)
        return bi_type_fail(ctx, "graphql.parse_query", 1, "string", args[0]);
    gql_err err;
    const val *doc = gql_parse_query(ctx->arena, args[0]->u.s, args[0]->len, &err);
    if (!doc)
        return gql_fail(ctx, "graphql.parse_query", &err);
    if (!(*out = gql_prune(ctx->arena, doc)))
        return bi_oom(ctx);
    return BI_OK;
}

bi_status bi_graphql_parse_schema(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_STR)
        return bi_type_fail(ctx, "graphql.parse_schema", 1, "string", args[0]);
    gql_err err;
    const val *doc = gql_parse_schema(ctx->arena, args[0]->u.s, args[0]->len, false, &err);
    if (!doc)
        return gql_fail(ctx, "graphql.parse_schema", &err);
    if (!(*out = gql_prune(ctx->arena, doc)))
        return bi_oom(ctx);
    return BI_OK;
}

/* OPA formats a validator error string "input:L:C: msg[\n...]" by
 * splitting at the first three colons; gql_validate leaves that string in
 * err->msg. */
static bi_status validation_fail(bi_ctx *ctx, const char *name, const char *prefix, const char *text)
{
    const char *c1 = strchr(text, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    const char *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
    if (!c3)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s%s", name, prefix, text);
    const char *msg = c3 + 1;
    while (*msg == ' ')
        msg++;
    return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s%s in GraphQL string at location %.*s:%.*s", name, prefix,
                   msg, (int)(c2 - c1 - 1), c1 + 1, (int)(c3 - c2 - 1), c2 + 1);
}

bi_status bi_graphql_parse(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char *const name = "graphql.parse";
    gql_err err;
    /* OPA numbers these operands from 0 in its type errors. */
    const val *q = load_doc(ctx->arena, args[0], false, &err);
    if (!q && err.status == GQL_FAIL && !err.msg[0])
        return bi_type_fail(ctx, name, 0, "one of {string, object}", args[0]);
    if (!q)
        return gql_fail(ctx, name, &err);
    const val *s = load_doc(ctx->arena, args[1], true, &err);
    if (!s && err.status == GQL_FAIL && !err.msg[0])
        return bi_type_fail(ctx, name, 1, "one of {string, object}", args[1]);
    if (!s)
        return gql_fail(ctx, name, &err);
    const val *qp = gql_prune(ctx->arena, q), *sp = gql_prune(ctx->arena, s);
    if (!qp || !sp)
        return bi_oom(ctx);
    bool schema_failed = false;
    int st = gql_validate(ctx->arena, s, q, &schema_failed, &err);
    if (st == GQL_NOMEM)
        return bi_oom(ctx);
    if (st != GQL_OK) {
        if (schema_failed)
            return bi_fail(ctx, POL_EVAL_BUILTIN,
                           "%s: Error in gqlparser SchemaDocument to Schema conversion: %s", name, err.msg);
        return validation_fail(ctx, name, "", err.msg);
    }
    vbuild b;
    vb_init(&b, ctx->arena);
    vb_push(&b, qp);
    vb_push(&b, sp);
    if (b.oom || !(*out = vb_finish_array(&b)))
        return bi_oom(ctx);
    return BI_OK;
}

/* Parse both operands and validate; GQL_OK, GQL_FAIL (any failure) or
 * GQL_NOMEM. */
static int load_and_validate(arena *a, const val *qarg, const val *sarg, const val **q, const val **s)
{
    gql_err err;
    *q = load_doc(a, qarg, false, &err);
    if (!*q)
        return err.status == GQL_NOMEM ? GQL_NOMEM : GQL_FAIL;
    *s = load_doc(a, sarg, true, &err);
    if (!*s)
        return err.status == GQL_NOMEM ? GQL_NOMEM : GQL_FAIL;
    bool schema_failed;
    return gql_validate(a, *s, *q, &schema_failed, &err);
}

bi_status bi_graphql_parse_and_verify(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *q = NULL, *s = NULL;
    int st = load_and_validate(ctx->arena, args[0], args[1], &q, &s);
    if (st == GQL_NOMEM)
        return bi_oom(ctx);
    vbuild b;
    vb_init(&b, ctx->arena);
    if (st == GQL_OK) {
        const val *qp = gql_prune(ctx->arena, q), *sp = gql_prune(ctx->arena, s);
        if (!qp || !sp)
            return bi_oom(ctx);
        vb_push(&b, VAL_TRUE);
        vb_push(&b, qp);
        vb_push(&b, sp);
    } else {
        vb_push(&b, VAL_FALSE);
        vb_push(&b, &val_empty_obj_c);
        vb_push(&b, &val_empty_obj_c);
    }
    if (b.oom || !(*out = vb_finish_array(&b)))
        return bi_oom(ctx);
    return BI_OK;
}

bi_status bi_graphql_is_valid(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *q = NULL, *s = NULL;
    int st = load_and_validate(ctx->arena, args[0], args[1], &q, &s);
    if (st == GQL_NOMEM)
        return bi_oom(ctx);
    *out = VAL_BOOL(st == GQL_OK);
    return BI_OK;
}

bi_status bi_graphql_schema_is_valid(bi_ctx *ctx, const val *const *args, const val **out)
{
    gql_err err;
    const val *s = load_doc(ctx->arena, args[0], true, &err);
    if (!s) {
        if (err.status == GQL_NOMEM)
            return bi_oom(ctx);
        *out = VAL_FALSE;
        return BI_OK;
    }
    bool schema_failed;
    int st = gql_validate(ctx->arena, s, NULL, &schema_failed, &err);
    if (st == GQL_NOMEM)
        return bi_oom(ctx);
    *out = VAL_BOOL(st == GQL_OK);
    return BI_OK;
}
