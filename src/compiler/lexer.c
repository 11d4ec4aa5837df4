/* Rego v1 lexer. See lexer.h for the token stream's invariants.
 *
 * Character rules follow OPA's scanner: identifiers are ASCII letters, `_`
 * and digits; whitespace is space, tab, CR and LF; every byte of the input
 * (strings and comments included) must be valid UTF-8, not NUL, and not a
 * byte-order mark except one leading BOM, which is skipped.
 */
#include "compiler/lexer.h"

#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

typedef struct tmpl_frame {
    bool raw;       /* $`...` */
    uint32_t depth; /* braces opened inside the current expression */
} tmpl_frame;

typedef struct lexer {
    arena *a;
    const pol_alloc *heap; /* for toks and comments (see lex_result) */
    const char *src;
    size_t len;
    size_t pos;        /* next byte to read */
    uint32_t line;     /* line of `pos` */
    size_t line_start; /* offset of the first byte of `line` */
    lex_token *toks;
    uint32_t ntoks, cap;
    tmpl_frame *tmpl; /* open template expressions, innermost last */
    uint32_t ntmpl, tmpl_cap;
    uint8_t pending_flags; /* LTF_NL_BEFORE / LTF_WS_BEFORE for the next token */
    bool want_comments;
    lex_comment *comments;
    uint32_t ncomments, comments_cap;
    bool oom;
    bool done; /* TK_EOF emitted */
} lexer;

static const char *const kind_names[TK_COUNT] = {
#define LEX_KIND_NAME(name, display, keyword) [name] = display,
    LEX_TOKEN_LIST(LEX_KIND_NAME)
#undef LEX_KIND_NAME
};

static const char *const keyword_spellings[TK_COUNT] = {
#define LEX_KIND_KEYWORD(name, display, keyword) [name] = keyword,
    LEX_TOKEN_LIST(LEX_KIND_KEYWORD)
#undef LEX_KIND_KEYWORD
};

const char *lex_kind_name(lex_kind k)
{
    return (unsigned)k < TK_COUNT ? kind_names[k] : "unknown";
}

bool lex_kind_is_keyword(lex_kind k)
{
    return k >= TK_FIRST_KEYWORD && k < TK_COUNT;
}

lex_kind lex_keyword(const char *s, size_t n)
{
    for (int k = TK_FIRST_KEYWORD; k < TK_COUNT; k++) {
        const char *kw = keyword_spellings[k];
        if (strlen(kw) == n && memcmp(kw, s, n) == 0)
            return (lex_kind)k;
    }
    return TK_IDENT;
}

static bool is_letter(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Validates the character at `at`; returns OPA's message for a bad one
 * (NULL when fine) and its width in bytes (at least 1). */
static const char *char_error(const lexer *lx, size_t at, size_t *width)
{
    unsigned char c = (unsigned char)lx->src[at];
    *width = 1;
    if (c == 0)
        return "illegal null character";
    if (c < 0x80)
        return NULL;
    utf8proc_int32_t cp = -1;
    utf8proc_ssize_t n =
        utf8proc_iterate((const utf8proc_uint8_t *)lx->src + at, (utf8proc_ssize_t)(lx->len - at), &cp);
    if (n <= 0 || cp < 0)
        return "illegal utf-8 character";
    *width = (size_t)n;
    if (cp == 0xFEFF && at > 0)
        return "illegal byte-order mark";
    return NULL;
}

/* Moves the read position to `to`, keeping line bookkeeping exact. */
static void move_to(lexer *lx, size_t to)
{
    for (size_t i = lx->pos; i < to; i++) {
        if (lx->src[i] == '\n') {
            lx->line++;
            lx->line_start = i + 1;
        }
    }
    lx->pos = to;
}

static lex_token *push_token(lexer *lx, lex_kind kind, size_t start, uint32_t line, size_t line_start)
{
    if (lx->ntoks == lx->cap) {
        if (lx->cap > UINT32_MAX / 2) {
            lx->oom = true;
            return NULL;
        }
        /* Rego averages about five source bytes per token: a first array
         * for one token per four bytes is rarely outgrown, which spares the
         * copies of doubling from a small start on large modules */
        size_t first = lx->len / 4 + 256;
        uint32_t ncap = lx->cap ? lx->cap * 2 : first < UINT32_MAX / 2 ? (uint32_t)first : UINT32_MAX / 2;
        lex_token *n =
            lx->cap ? pa_realloc(lx->heap, lx->toks, (size_t)lx->cap * sizeof *n, (size_t)ncap * sizeof *n)
                    : pa_malloc(lx->heap, (size_t)ncap * sizeof *n);
        if (!n) {
            lx->oom = true;
            return NULL;
        }
        lx->toks = n;
        lx->cap = ncap;
    }
    lex_token *t = &lx->toks[lx->ntoks++];
    memset(t, 0, sizeof *t);
    t->kind = (uint8_t)kind;
    t->flags = lx->pending_flags;
    t->line = line;
    t->col = (uint32_t)(start - line_start + 1);
    t->offset = (uint32_t)start;
    lx->pending_flags = 0;
    return t;
}

static char *copy_text(lexer *lx, const char *s, size_t n)
{
    char *d = arena_alloc(lx->a, n + 1);
    if (!d) {
        lx->oom = true;
        return NULL;
    }
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Ends the stream with an error token at `start` (a position already on
 * the current line bookkeeping: the start of the offending token). */
static void emit_error_at(lexer *lx, size_t start, uint32_t line, size_t line_start, const char *msg)
{
    lex_token *t = push_token(lx, TK_ILLEGAL, start, line, line_start);
    if (t) {
        t->text = msg;
        t->text_len = (uint32_t)strlen(msg);
    }
    move_to(lx, lx->len);
    push_token(lx, TK_EOF, lx->len, lx->line, lx->line_start);
    lx->done = true;
}

/* Same, with a formatted message copied into the arena. */
static void emit_error_fmt(lexer *lx, size_t start, uint32_t line, size_t line_start, const char *prefix,
                           const char *s, size_t n)
{
    size_t plen = strlen(prefix);
    char *msg = arena_alloc(lx->a, plen + n + 1);
    if (!msg) {
        lx->oom = true;
        return;
    }
    memcpy(msg, prefix, plen);
    memcpy(msg + plen, s, n);
    msg[plen + n] = '\0';
    emit_error_at(lx, start, line, line_start, msg);
}

/* ---- escape decoding -------------------------------------------------- */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_hex4(const char *s, size_t n, size_t at, uint32_t *out)
{
    if (at + 4 > n)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hex_value((unsigned char)s[at + i]);
        if (h < 0)
            return false;
        v = (v << 4) | (uint32_t)h;
    }
    *out = v;
    return true;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    utf8proc_uint8_t buf[4];
    utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, buf);
    memcpy(out, buf, (size_t)n);
    return (size_t)n;
}

/* Decodes the inside of a JSON-style string (`s[0..n)`, no quotes) into
 * `out` (capacity >= n + 1). `brace_escape` also accepts `\{` (template
 * strings). Mirrors OPA, which hands the literal to a JSON decoder only
 * when it holds a backslash other than `\{`: then control characters are
 * rejected and lone surrogates become U+FFFD. Returns false on a
 * malformed literal. */
static bool decode_escaped(const char *s, size_t n, bool brace_escape, char *out, size_t *out_len)
{
    bool strict = false;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == '\\') {
            if (!(brace_escape && s[i + 1] == '{'))
                strict = true;
            i++;
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 && strict)
            return false;
        if (c != '\\') {
            out[o++] = (char)c;
            i++;
            continue;
        }
        if (i + 1 >= n)
            return false;
        char e = s[i + 1];
        i += 2;
        switch (e) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case '{':
            if (!brace_escape)
                return false;
            out[o++] = '{';
            break;
        case 'u': {
            uint32_t cp;
            if (!read_hex4(s, n, i, &cp))
                return false;
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                uint32_t lo;
                if (i + 1 < n && s[i] == '\\' && s[i + 1] == 'u' && read_hex4(s, n, i + 2, &lo) &&
                    lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                cp = 0xFFFD;
            }
            /* A \uXXXX escape takes 6 input bytes and yields at most 3
             * (4 for a pair, which took 12), so `out` cannot overflow. */
            o += put_utf8(out + o, cp);
            break;
        }
        default: return false;
        }
    }
    out[o] = '\0';
    *out_len = o;
    return true;
}

/* ---- scanners ---------------------------------------------------------- */

static void scan_ident(lexer *lx)
{
    size_t start = lx->pos, i = start;
    while (i < lx->len && (is_letter((unsigned char)lx->src[i]) || is_digit((unsigned char)lx->src[i])))
        i++;
    lex_kind k = lex_keyword(lx->src + start, i - start);
    /* `else.foo`, `not[0]`: a keyword that starts a ref is a name. */
    if (k != TK_IDENT && i < lx->len && (lx->src[i] == '.' || lx->src[i] == '['))
        k = TK_IDENT;
    lex_token *t = push_token(lx, k, start, lx->line, lx->line_start);
    if (!t)
        return;
    if (k == TK_IDENT) {
        t->text = copy_text(lx, lx->src + start, i - start);
        t->text_len = (uint32_t)(i - start);
    }
    move_to(lx, i);
}

static void scan_number(lexer *lx)
{
    size_t start = lx->pos, i = start;
    const char *s = lx->src;
    while (i < lx->len && is_digit((unsigned char)s[i]))
        i++;
    if (i < lx->len && s[i] == '.') {
        i++;
        size_t f = i;
        while (i < lx->len && is_digit((unsigned char)s[i]))
            i++;
        if (i == f) {
            emit_error_at(lx, start, lx->line, lx->line_start, "expected fraction");
            return;
        }
    }
    if (i < lx->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < lx->len && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t f = i;
        while (i < lx->len && is_digit((unsigned char)s[i]))
            i++;
        if (i == f) {
            emit_error_at(lx, start, lx->line, lx->line_start, "expected exponent");
            return;
        }
    }
    if (i < lx->len && is_letter((unsigned char)s[i])) {
        emit_error_at(lx, start, lx->line, lx->line_start, "illegal number format");
        return;
    }
    lex_token *t = push_token(lx, TK_NUMBER, start, lx->line, lx->line_start);
    if (!t)
        return;
    t->text = copy_text(lx, s + start, i - start);
    t->text_len = (uint32_t)(i - start);
    move_to(lx, i);
}

/* Validates every character of src[from..to) (strings, comments). */
static const char *region_error(const lexer *lx, size_t from, size_t to)
{
    for (size_t i = from; i < to;) {
        size_t w;
        const char *e = char_error(lx, i, &w);
        if (e)
            return e;
        i += w;
    }
    return NULL;
}

/* "..." string; pos is at the opening quote. */
static void scan_string(lexer *lx)
{
    size_t start = lx->pos, i = start + 1;
    const char *s = lx->src;
    bool has_escape = false;
    for (;;) {
        if (i >= lx->len || s[i] == '\n') {
            emit_error_at(lx, start, lx->line, lx->line_start, "non-terminated string");
            return;
        }
        size_t w;
        const char *e = char_error(lx, i, &w);
        if (e) {
            emit_error_at(lx, start, lx->line, lx->line_start, e);
            return;
        }
        char c = s[i];
        i += w;
        if (c == '"')
            break;
        if (c == '\\') {
            has_escape = true;
            char n = i < lx->len ? s[i] : '\0';
            if (strchr("\\\"/bfnrt", n) && n != '\0') {
                i++;
            } else if (n == 'u') {
                /* OPA's scanner steps over four characters unchecked; the
                 * decoder validates them. */
                i++;
                for (int k = 0; k < 4 && i < lx->len && s[i] != '\n'; k++)
                    i++;
            } else {
                emit_error_at(lx, start, lx->line, lx->line_start, "illegal escape sequence");
                return;
            }
        }
    }
    const char *inner = s + start + 1;
    size_t inner_len = i - start - 2;
    char *buf = arena_alloc(lx->a, inner_len + 1);
    if (!buf) {
        lx->oom = true;
        return;
    }
    size_t out_len = inner_len;
    if (has_escape) {
        if (!decode_escaped(inner, inner_len, false, buf, &out_len)) {
            emit_error_fmt(lx, start, lx->line, lx->line_start, "illegal string literal: ", s + start,
                           i - start);
            return;
        }
    } else {
        memcpy(buf, inner, inner_len);
        buf[inner_len] = '\0';
    }
    lex_token *t = push_token(lx, TK_STRING, start, lx->line, lx->line_start);
    if (!t)
        return;
    t->text = buf;
    t->text_len = (uint32_t)out_len;
    move_to(lx, i);
}

/* `...` raw string; pos is at the opening backtick. */
static void scan_raw_string(lexer *lx)
{
    size_t start = lx->pos;
    const char *end = memchr(lx->src + start + 1, '`', lx->len - start - 1);
    if (!end) {
        emit_error_at(lx, start, lx->line, lx->line_start, "non-terminated string");
        return;
    }
    size_t close = (size_t)(end - lx->src);
    const char *e = region_error(lx, start + 1, close);
    if (e) {
        emit_error_at(lx, start, lx->line, lx->line_start, e);
        return;
    }
    lex_token *t = push_token(lx, TK_STRING, start, lx->line, lx->line_start);
    if (!t)
        return;
    t->text = copy_text(lx, lx->src + start + 1, close - start - 1);
    t->text_len = (uint32_t)(close - start - 1);
    move_to(lx, close + 1);
}

/* Scans template text starting at `from` (just after `$"`, `` $` `` or the
 * `}` closing an expression) up to `{` or the closing delimiter. The token
 * is placed at `start`. */
static void scan_template_text(lexer *lx, size_t start, size_t from, bool raw, bool first)
{
    const char *s = lx->src;
    size_t i = from;
    bool ends = false;
    char close = raw ? '`' : '"';
    for (;;) {
        if (i >= lx->len || (!raw && s[i] == '\n')) {
            emit_error_at(lx, start, lx->line, lx->line_start, "non-terminated string");
            return;
        }
        size_t w;
        const char *e = char_error(lx, i, &w);
        if (e) {
            emit_error_at(lx, start, lx->line, lx->line_start, e);
            return;
        }
        char c = s[i];
        if (c == close) {
            ends = true;
            break;
        }
        if (c == '{')
            break;
        i += w;
        if (c == '\\') {
            char n = i < lx->len ? s[i] : '\0';
            if (n == '{') {
                i++;
            } else if (raw) {
                /* a lone backslash is literal text in $`...` */
            } else if (n != '\0' && strchr("\\\"/bfnrt", n)) {
                i++;
            } else if (n == 'u') {
                i++;
                for (int k = 0; k < 4 && i < lx->len && s[i] != '\n'; k++)
                    i++;
            } else {
                emit_error_at(lx, start, lx->line, lx->line_start, "illegal escape sequence");
                return;
            }
        }
    }
    size_t n = i - from;
    char *buf = arena_alloc(lx->a, n + 1);
    if (!buf) {
        lx->oom = true;
        return;
    }
    size_t out_len = 0;
    if (raw) {
        for (size_t k = from; k < i; k++) {
            if (s[k] == '\\' && k + 1 < i && s[k + 1] == '{')
                continue;
            buf[out_len++] = s[k];
        }
        buf[out_len] = '\0';
    } else if (!decode_escaped(s + from, n, true, buf, &out_len)) {
        emit_error_fmt(lx, start, lx->line, lx->line_start, "illegal template-string part: ", s + start,
                       i + 1 - start);
        return;
    }
    lex_token *t = push_token(lx, ends ? TK_TMPL_END : TK_TMPL_PART, start, lx->line, lx->line_start);
    if (!t)
        return;
    t->flags |= (uint8_t)((first ? LTF_TMPL_FIRST : 0) | (raw ? LTF_TMPL_RAW : 0));
    t->text = buf;
    t->text_len = (uint32_t)out_len;
    if (ends) {
        if (!first)
            lx->ntmpl--;
    } else if (first) {
        if (lx->ntmpl >= LEX_MAX_TEMPLATE_DEPTH) {
            lx->ntoks--;
            emit_error_at(lx, start, lx->line, lx->line_start, "max parsing recursion depth exceeded");
            return;
        }
        if (lx->ntmpl == lx->tmpl_cap) {
            uint32_t ncap = lx->tmpl_cap ? lx->tmpl_cap * 2 : 8;
            tmpl_frame *f = arena_alloc(lx->a, ncap * sizeof *f);
            if (!f) {
                lx->oom = true;
                return;
            }
            if (lx->ntmpl)
                memcpy(f, lx->tmpl, lx->ntmpl * sizeof *f);
            lx->tmpl = f;
            lx->tmpl_cap = ncap;
        }
        lx->tmpl[lx->ntmpl].raw = raw;
        lx->tmpl[lx->ntmpl].depth = 0;
        lx->ntmpl++;
    }
    move_to(lx, i + 1);
}

static void punct(lexer *lx, lex_kind k, size_t width)
{
    if (push_token(lx, k, lx->pos, lx->line, lx->line_start))
        move_to(lx, lx->pos + width);
}

/* Appends the comment from lx->pos (its `#`) to end. False when the arena
 * is full (lx->oom is set and the token loop stops). */
static bool record_comment(lexer *lx, size_t end)
{
    if (lx->ncomments == lx->comments_cap) {
        if (lx->comments_cap > UINT32_MAX / 2) {
            lx->oom = true;
            return false;
        }
        uint32_t ncap = lx->comments_cap ? lx->comments_cap * 2 : 32;
        lex_comment *n = lx->comments_cap
                             ? pa_realloc(lx->heap, lx->comments, (size_t)lx->comments_cap * sizeof *n,
                                          (size_t)ncap * sizeof *n)
                             : pa_malloc(lx->heap, (size_t)ncap * sizeof *n);
        if (!n) {
            lx->oom = true;
            return false;
        }
        lx->comments = n;
        lx->comments_cap = ncap;
    }
    lex_comment *c = &lx->comments[lx->ncomments++];
    c->line = lx->line;
    c->col = (uint32_t)(lx->pos - lx->line_start + 1);
    c->offset = (uint32_t)(lx->pos + 1);
    c->len = (uint32_t)(end - lx->pos - 1);
    return true;
}

/* Skips whitespace and comments, recording them in pending_flags.
 * Returns an error message for a bad character inside a comment. */
static const char *skip_blank(lexer *lx, size_t *err_at)
{
    while (lx->pos < lx->len) {
        unsigned char c = (unsigned char)lx->src[lx->pos];
        if (is_space(c)) {
            lx->pending_flags |= LTF_WS_BEFORE;
            if (c == '\n')
                lx->pending_flags |= LTF_NL_BEFORE;
            move_to(lx, lx->pos + 1);
        } else if (c == '#') {
            size_t end = lx->pos;
            while (end < lx->len && lx->src[end] != '\n')
                end++;
            const char *e = region_error(lx, lx->pos, end);
            if (e) {
                *err_at = lx->pos;
                return e;
            }
            lx->pending_flags |= LTF_WS_BEFORE;
            if (lx->want_comments && !record_comment(lx, end))
                return NULL;
            move_to(lx, end);
        } else {
            break;
        }
    }
    return NULL;
}

static void scan_one(lexer *lx)
{
    size_t err_at = 0;
    const char *e = skip_blank(lx, &err_at);
    if (lx->oom)
        return;
    if (e) {
        emit_error_at(lx, err_at, lx->line, lx->line_start, e);
        return;
    }
    if (lx->pos >= lx->len) {
        push_token(lx, TK_EOF, lx->pos, lx->line, lx->line_start);
        lx->done = true;
        return;
    }
    const char *s = lx->src;
    size_t p = lx->pos;
    unsigned char c = (unsigned char)s[p];
    unsigned char next = p + 1 < lx->len ? (unsigned char)s[p + 1] : 0;
    if (is_letter(c)) {
        scan_ident(lx);
        return;
    }
    if (is_digit(c) || (c == '.' && is_digit(next))) {
        scan_number(lx);
        return;
    }
    switch (c) {
    case '"': scan_string(lx); return;
    case '`': scan_raw_string(lx); return;
    case '$':
        if (next == '"' || next == '`') {
            scan_template_text(lx, p, p + 2, next == '`', true);
        } else {
            emit_error_at(lx, p, lx->line, lx->line_start, "illegal $ character");
        }
        return;
    case '[': punct(lx, TK_LBRACK, 1); return;
    case ']': punct(lx, TK_RBRACK, 1); return;
    case '{':
        if (lx->ntmpl)
            lx->tmpl[lx->ntmpl - 1].depth++;
        punct(lx, TK_LBRACE, 1);
        return;
    case '}':
        if (lx->ntmpl) {
            tmpl_frame *f = &lx->tmpl[lx->ntmpl - 1];
            if (f->depth == 0) {
                scan_template_text(lx, p, p + 1, f->raw, false);
                return;
            }
            f->depth--;
        }
        punct(lx, TK_RBRACE, 1);
        return;
    case '(': punct(lx, TK_LPAREN, 1); return;
    case ')': punct(lx, TK_RPAREN, 1); return;
    case ',': punct(lx, TK_COMMA, 1); return;
    case ';': punct(lx, TK_SEMI, 1); return;
    case '.': punct(lx, TK_DOT, 1); return;
    case '+': punct(lx, TK_PLUS, 1); return;
    case '-': punct(lx, TK_MINUS, 1); return;
    case '*': punct(lx, TK_MUL, 1); return;
    case '/': punct(lx, TK_DIV, 1); return;
    case '%': punct(lx, TK_REM, 1); return;
    case '&': punct(lx, TK_AND, 1); return;
    case '|': punct(lx, TK_OR, 1); return;
    case ':': next == '=' ? punct(lx, TK_ASSIGN, 2) : punct(lx, TK_COLON, 1); return;
    case '=': next == '=' ? punct(lx, TK_EQUAL, 2) : punct(lx, TK_UNIFY, 1); return;
    case '<': next == '=' ? punct(lx, TK_LTE, 2) : punct(lx, TK_LT, 1); return;
    case '>': next == '=' ? punct(lx, TK_GTE, 2) : punct(lx, TK_GT, 1); return;
    case '!':
        if (next == '=')
            punct(lx, TK_NEQ, 2);
        else
            emit_error_at(lx, p, lx->line, lx->line_start, "illegal ! character");
        return;
    default: {
        size_t w;
        const char *ce = char_error(lx, p, &w);
        emit_error_at(lx, p, lx->line, lx->line_start, ce ? ce : "illegal token");
        return;
    }
    }
}

void lex_release(const pol_alloc *heap, lex_result *r)
{
    pa_free(heap, r->toks, (size_t)r->toks_cap * sizeof *r->toks);
    pa_free(heap, r->comments, (size_t)r->comments_cap * sizeof *r->comments);
    memset(r, 0, sizeof *r);
}

bool lex_run(arena *a, const pol_alloc *heap, const char *src, size_t len, bool want_comments,
             lex_result *out)
{
    lexer lx;
    memset(&lx, 0, sizeof lx);
    lx.a = a;
    lx.heap = heap;
    lx.want_comments = want_comments;
    lx.src = src ? src : "";
    lx.len = src ? len : 0;
    lx.line = 1;
    /* Offsets and columns are uint32; larger sources are rejected whole. */
    if (lx.len > UINT32_MAX - 16) {
        emit_error_at(&lx, 0, 1, 0, "source too large");
    } else {
        if (lx.len >= 3 && memcmp(lx.src, "\xEF\xBB\xBF", 3) == 0) {
            lx.pos = 3;
            lx.line_start = 3;
        }
        while (!lx.done && !lx.oom)
            scan_one(&lx);
    }
    out->toks = lx.toks;
    out->ntoks = lx.ntoks;
    out->toks_cap = lx.cap;
    out->comments = lx.comments;
    out->ncomments = lx.ncomments;
    out->comments_cap = lx.comments_cap;
    if (lx.oom) {
        lex_release(heap, out);
        return false;
    }
    return true;
}

bool lex_tokenize(arena *a, const char *src, size_t len, lex_token **out, uint32_t *count)
{
    lex_result r;
    if (!lex_run(a, a->alloc, src, len, false, &r))
        return false;
    lex_token *toks = arena_alloc(a, (size_t)r.ntoks * sizeof *toks);
    if (toks)
        memcpy(toks, r.toks, (size_t)r.ntoks * sizeof *toks);
    *out = toks;
    *count = r.ntoks;
    lex_release(a->alloc, &r);
    return toks != NULL;
}
