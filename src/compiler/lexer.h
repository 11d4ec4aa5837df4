/* The Rego v1 lexer: turns source bytes into an array of tokens in one pass.
 *
 * The parser backtracks in a few places (comprehension vs. collection,
 * `k, v in xs`, `some x in xs` vs. `some x, y`), so tokens are produced up
 * front into an array and a parser position is just an index.
 *
 * Invariants of a token array:
 *  - it always ends with exactly one TK_EOF;
 *  - a lexical error ends the array early with one TK_ILLEGAL whose `text`
 *    is the message (OPA's wording, e.g. "non-terminated string"), followed
 *    by TK_EOF. The parser reports it at the token's position when it gets
 *    there, which is where OPA's scanner reports it too;
 *  - `text` of TK_IDENT, TK_NUMBER, TK_STRING and template parts is a
 *    NUL-terminated arena copy (strings and template parts escape-decoded),
 *    so nothing points into the source.
 *
 * Keywords: v1 reserves all of LEX_TOKEN_LIST's keyword rows. A keyword
 * written directly before `.` or `[` (no space: `else.foo`, `input.if`
 * is handled by the parser) is lexed as TK_IDENT, which is how OPA's
 * "keywords in refs" capability behaves for rule heads and literals.
 *
 * Template strings ($"a{x}b" and $`a{x}b`) are lexed as a run of parts:
 * TK_TMPL_PART ends at an unescaped `{` that opens an expression,
 * TK_TMPL_END ends the string. The part that follows an expression starts
 * at the `}` closing it (the lexer counts braces per open expression).
 * LTF_TMPL_FIRST marks the part that starts a template string.
 */
#ifndef POL_COMPILER_LEXER_H
#define POL_COMPILER_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../vm/value.h"

/* X(enum name, name used in "unexpected <name> token" messages (OPA's),
 *   keyword spelling or NULL). Keyword rows come last. */
#define LEX_TOKEN_LIST(X)                                                                                    \
    X(TK_EOF, "eof", NULL)                                                                                   \
    X(TK_ILLEGAL, "illegal", NULL)                                                                           \
    X(TK_IDENT, "ident", NULL)                                                                               \
    X(TK_NUMBER, "number", NULL)                                                                             \
    X(TK_STRING, "string", NULL)                                                                             \
    X(TK_TMPL_PART, "template-string-part", NULL)                                                            \
    X(TK_TMPL_END, "template-string-end", NULL)                                                              \
    X(TK_LBRACK, "[", NULL)                                                                                  \
    X(TK_RBRACK, "]", NULL)                                                                                  \
    X(TK_LBRACE, "{", NULL)                                                                                  \
    X(TK_RBRACE, "}", NULL)                                                                                  \
    X(TK_LPAREN, "(", NULL)                                                                                  \
    X(TK_RPAREN, ")", NULL)                                                                                  \
    X(TK_COMMA, ",", NULL)                                                                                   \
    X(TK_COLON, ":", NULL)                                                                                   \
    X(TK_SEMI, ";", NULL)                                                                                    \
    X(TK_DOT, ".", NULL)                                                                                     \
    X(TK_PLUS, "plus", NULL)                                                                                 \
    X(TK_MINUS, "minus", NULL)                                                                               \
    X(TK_MUL, "mul", NULL)                                                                                   \
    X(TK_DIV, "div", NULL)                                                                                   \
    X(TK_REM, "rem", NULL)                                                                                   \
    X(TK_AND, "and", NULL)                                                                                   \
    X(TK_OR, "or", NULL)                                                                                     \
    X(TK_UNIFY, "eq", NULL)                                                                                  \
    X(TK_ASSIGN, "assign", NULL)                                                                             \
    X(TK_EQUAL, "equal", NULL)                                                                               \
    X(TK_NEQ, "neq", NULL)                                                                                   \
    X(TK_LT, "lt", NULL)                                                                                     \
    X(TK_LTE, "lte", NULL)                                                                                   \
    X(TK_GT, "gt", NULL)                                                                                     \
    X(TK_GTE, "gte", NULL)                                                                                   \
    X(TK_PACKAGE, "package", "package")                                                                      \
    X(TK_IMPORT, "import", "import")                                                                         \
    X(TK_AS, "as", "as")                                                                                     \
    X(TK_DEFAULT, "default", "default")                                                                      \
    X(TK_ELSE, "else", "else")                                                                               \
    X(TK_NOT, "not", "not")                                                                                  \
    X(TK_SOME, "some", "some")                                                                               \
    X(TK_WITH, "with", "with")                                                                               \
    X(TK_NULL, "null", "null")                                                                               \
    X(TK_TRUE, "true", "true")                                                                               \
    X(TK_FALSE, "false", "false")                                                                            \
    X(TK_IN, "in", "in")                                                                                     \
    X(TK_EVERY, "every", "every")                                                                            \
    X(TK_CONTAINS, "contains", "contains")                                                                   \
    X(TK_IF, "if", "if")

typedef enum lex_kind {
#define LEX_KIND_ENUM(name, display, keyword) name,
    LEX_TOKEN_LIST(LEX_KIND_ENUM)
#undef LEX_KIND_ENUM
        TK_COUNT
} lex_kind;

#define TK_FIRST_KEYWORD TK_PACKAGE

enum {
    LTF_NL_BEFORE = 1u << 0,  /* a newline (possibly after a comment) precedes the token */
    LTF_WS_BEFORE = 1u << 1,  /* any whitespace or comment precedes the token */
    LTF_TMPL_FIRST = 1u << 2, /* template part that opens a template string */
    LTF_TMPL_RAW = 1u << 3,   /* template part of a $`...` string */
};

typedef struct lex_token {
    uint8_t kind;       /* lex_kind */
    uint8_t flags;      /* LTF_* */
    uint32_t line, col; /* 1-based; col counts bytes, a tab is one column */
    uint32_t offset;    /* byte offset of the first byte */
    const char *text;   /* see the header comment; NULL for punctuation and keywords */
    uint32_t text_len;
} lex_token;

/* A `#` comment: src[offset..offset+len) is its text after the `#`, up to
 * the end of the line. */
typedef struct lex_comment {
    uint32_t line, col; /* of the `#` */
    uint32_t offset, len;
} lex_comment;

/* The token and comment arrays of one source. They live in memory from
 * the allocator given to lex_run, not in the arena: they are scratch for
 * the parser (several times the source's size, and growing by doubling),
 * so the parser hands them back with lex_release once the AST is built.
 * Token and template texts are still arena copies and outlive them. */
typedef struct lex_result {
    lex_token *toks;
    uint32_t ntoks, toks_cap;
    lex_comment *comments; /* in source order; only when asked for */
    uint32_t ncomments, comments_cap;
} lex_result;

/* Tokenizes src[0..len): token texts go to arena a, the arrays to heap
 * (NULL: libc). With want_comments also records the comments (those after
 * a lexical error may be missing). Returns false only when memory runs
 * out, with nothing left to release. */
bool lex_run(arena *a, const pol_alloc *heap, const char *src, size_t len, bool want_comments,
             lex_result *out);

/* Frees the arrays of a successful lex_run (zeroing *r). */
void lex_release(const pol_alloc *heap, lex_result *r);

/* lex_run into an arena-owned token array (nothing to release), for
 * callers that keep the tokens as long as the arena. Returns false only
 * when memory runs out. */
bool lex_tokenize(arena *a, const char *src, size_t len, lex_token **out, uint32_t *count);

/* OPA's display name of a token kind ("ident", "}", "plus", "if"). */
const char *lex_kind_name(lex_kind k);

/* True for the reserved words of Rego v1. */
bool lex_kind_is_keyword(lex_kind k);

/* The keyword spelled s[0..n), or TK_IDENT when it is not one. */
lex_kind lex_keyword(const char *s, size_t n);

/* Deepest nesting of open template-string expressions the lexer accepts;
 * the parser's own limit (PARSE_MAX_DEPTH) is the same. */
#define LEX_MAX_TEMPLATE_DEPTH 1000

#endif
