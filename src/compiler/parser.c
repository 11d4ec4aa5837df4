/* Rego v1 parser: tokens (lexer.h) to the AST of ast.h.
 *
 * The grammar and its error messages follow OPA's v1 parser, so that a
 * module OPA accepts parses here to the same meaning and one it rejects
 * fails with OPA's wording where OPA has one. Points worth knowing:
 *
 *  - Newlines only matter between literals: a literal may continue on the
 *    next line while the grammar can continue it (`x := a` NL `+ b` is one
 *    literal; so is a trailing `with` on the next line), and two literals
 *    need a newline or `;` between them. Refs and calls, on the other hand,
 *    need their `.`, `[` or `(` directly after the previous token
 *    (`f (x)` is not a call, `a [0]` is not a ref).
 *  - `{ a | b }` and `[ a | b ]` are comprehensions; only when the body
 *    fails to parse and the failure is at a `,` does the parser fall back
 *    to a collection holding `a | b` (OPA's rule). Such fallbacks are the
 *    only backtracking besides `k, v in xs`, `some x in xs`, `p if {..}`
 *    (a literal first, then a braced body) and infix comprehension heads
 *    (see infix_head_comprehension). Every unary term's parse (success or
 *    error) is memoised by token, so backtracking re-parses nothing and
 *    stays linear; a work budget proportional to the input is the backstop.
 *  - Nesting (terms inside terms, bodies inside bodies, and each fold of an
 *    operator chain) is limited to PARSE_MAX_DEPTH, which bounds both the
 *    parser's C stack and the depth of the tree later passes recurse over.
 *  - The parser stops at the first error; the message names what was found
 *    ("unexpected } token") and, where it helps, what was expected. Errors
 *    raised while trying an alternative are forgotten on backtracking,
 *    except fatal ones (out of memory, too deep, too much work).
 *  - Extensions beyond OPA (each accepts only input OPA rejects): infix
 *    comprehension heads, unary minus on non-numbers (`-x` is
 *    minus(0, x), as ast.h specifies), and `.5` written as "0.5".
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "compiler/ast.h"
#include "compiler/lexer.h"

/* Deepest nesting of terms and bodies. Each level costs a few C stack
 * frames (~1 KiB with sanitizers), so 1000 levels stay far below a default
 * 8 MiB thread stack, and real policies nest a handful of levels. */
#define PARSE_MAX_DEPTH 1000

/* Token steps allowed per input token, backtracking included. Ordinary
 * policies use about one; the budget only stops crafted inputs. */
#define PARSE_WORK_PER_TOKEN 64
#define PARSE_WORK_MIN 100000

/* A syntax error raised by illegal(), kept unformatted: most are raised
 * by speculative parses (is `{ ... }` after `if` a set?) that backtrack
 * and discard them, so the text is built only when the error is kept. */
typedef struct illegal_note {
    const char *fmt; /* the note; NULL: none. At most one %s, filled by arg */
    const char *arg; /* static lifetime */
    uint32_t tok;    /* the offending token */
} illegal_note;

/* The error a unary term failed with: formatted text, or a deferred
 * illegal_note when msg is NULL. */
typedef struct memo_error {
    uint32_t line, col;
    const char *msg;
    illegal_note note;
} memo_error;

/* A parsed unary term, remembered by its first token so backtracking
 * never parses the same term twice (OPA keeps the same kind of cache).
 * Sound because a unary term's parse depends only on the tokens and the
 * generated-name counters, which are part of the key. */
typedef struct unary_memo {
    term *t;               /* the term, or NULL */
    const memo_error *err; /* or the error it failed with; both NULL: not tried */
    uint32_t end;
    uint32_t wildcards_before, wildcards_after;
    uint32_t tmpl_before, tmpl_after;
} unary_memo;

typedef struct parser {
    arena *a;
    const pol_alloc *heap; /* the arena's allocator: scratch freed by parser_release */
    const char *file;
    lex_result lex; /* heap */
    const lex_token *toks;
    uint32_t ntoks;
    /* memo_at[i] - 1 indexes the memo of the unary term starting at token
     * i (0: none yet). Only term starts get an entry, and the index is a
     * quarter of an entry's size: most tokens never start a term. Heap. */
    uint32_t *memo_at;
    unary_memo *memos;
    uint32_t nmemos, memos_cap;
    uint32_t i;         /* current token; toks[ntoks - 1] is TK_EOF */
    uint32_t wildcards; /* `_` vars generated so far */
    uint32_t tmpl_vars; /* template-part comprehension vars generated so far */
    uint32_t depth;
    uint64_t work, work_limit;
    bool failed; /* an error is recorded (cleared by backtracking) */
    bool fatal;  /* sticky: out of memory, too deep or too much work; no backtracking past it */
    bool oom;
    uint32_t err_line, err_col;
    /* While err_deferred, err_msg is stale and the error's text is
     * err_note's (see illegal_text); error_text() formats it. */
    bool err_deferred;
    illegal_note err_note;
    char err_msg[sizeof(((pol_error *)0)->message)];
} parser;

typedef struct parse_mark {
    uint32_t i, wildcards, tmpl_vars, depth;
    bool failed;
} parse_mark;

/* ---- growable arrays in the arena ------------------------------------- */

#define VEC(T)                                                                                               \
    struct {                                                                                                 \
        T *items;                                                                                            \
        uint32_t n, cap;                                                                                     \
    }

static void *vec_grow(parser *p, void *old, uint32_t n, uint32_t *cap, size_t elem);

/* Appends x; false (and the parser marked out of memory) when full. */
#define VEC_PUSH(p, v, x)                                                                                    \
    (((v).n < (v).cap || ((v).items = vec_grow((p), (v).items, (v).n, &(v).cap, sizeof *(v).items)) != NULL) \
         ? ((v).items[(v).n++] = (x), true)                                                                  \
         : false)

typedef VEC(term *) term_vec;
typedef VEC(literal *) lit_vec;
typedef VEC(with_mod) with_vec;
typedef VEC(rule *) rule_vec;
typedef VEC(import_decl) import_vec;
typedef VEC(meta_block) meta_vec;

/* ---- errors ------------------------------------------------------------ */

static void fail_oom(parser *p)
{
    if (!p->oom) {
        p->oom = true;
        p->fatal = true;
        p->failed = true;
        p->err_line = 0;
        p->err_col = 0;
        p->err_deferred = false;
        snprintf(p->err_msg, sizeof p->err_msg, "out of memory while parsing");
    }
}

static void error_at_pos(parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void error_at_pos(parser *p, uint32_t line, uint32_t col, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    p->err_line = line;
    p->err_col = col;
    p->err_deferred = false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err_msg, sizeof p->err_msg, fmt, ap);
    va_end(ap);
}

#define error_at(p, tok, ...) error_at_pos((p), (tok)->line, (tok)->col, __VA_ARGS__)
#define error_term(p, t, ...) error_at_pos((p), (t)->pos.line, (t)->pos.col, __VA_ARGS__)

static const lex_token *cur(const parser *p)
{
    return &p->toks[p->i];
}

static lex_kind cur_kind(const parser *p)
{
    return (lex_kind)p->toks[p->i].kind;
}

/* OPA's "unexpected <tok> token|keyword[: note]" (or an illegal token's
 * own text) at token n->tok. */
static void illegal_text(const parser *p, const illegal_note *n, char *out, size_t cap)
{
    const lex_token *t = &p->toks[n->tok];
    if (t->kind == TK_ILLEGAL) {
        snprintf(out, cap, "%s", t->text);
        return;
    }
    char note[256];
    note[0] = '\0';
    if (n->fmt && n->fmt[0])
        snprintf(note, sizeof note, n->fmt, n->arg ? n->arg : "");
    const char *kind_word = lex_kind_is_keyword((lex_kind)t->kind) ? "keyword" : "token";
    if (note[0])
        snprintf(out, cap, "unexpected %s %s: %s", lex_kind_name((lex_kind)t->kind), kind_word, note);
    else
        snprintf(out, cap, "unexpected %s %s", lex_kind_name((lex_kind)t->kind), kind_word);
}

/* Records a deferred illegal() error, unless an error is already recorded. */
static void fail_deferred(parser *p, uint32_t line, uint32_t col, illegal_note note)
{
    if (p->failed)
        return;
    p->failed = true;
    p->err_line = line;
    p->err_col = col;
    p->err_deferred = true;
    p->err_note = note;
}

/* The recorded error's text, formatted now if it was deferred. */
static const char *error_text(parser *p)
{
    if (p->err_deferred) {
        illegal_text(p, &p->err_note, p->err_msg, sizeof p->err_msg);
        p->err_deferred = false;
    }
    return p->err_msg;
}

/* OPA's "unexpected <tok> token|keyword[: note]" at the current token;
 * note_fmt has at most one %s, filled by note_arg (both static). */
static void illegal_arg(parser *p, const char *note_fmt, const char *note_arg)
{
    const lex_token *t = cur(p);
    illegal_note note = {note_fmt, note_arg, p->i};
    fail_deferred(p, t->line, t->col, note);
}

/* A note without arguments (a literal, never read as a format); NULL: none. */
static void illegal(parser *p, const char *note)
{
    illegal_arg(p, note ? "%s" : NULL, note);
}

/* As illegal(), for a note whose arguments may not outlive the call:
 * formatted at once. */
static void illegal_now(parser *p, const char *note_fmt, ...) __attribute__((format(printf, 2, 3)));

static void illegal_now(parser *p, const char *note_fmt, ...)
{
    const lex_token *t = cur(p);
    if (t->kind == TK_ILLEGAL) {
        error_at(p, t, "%s", t->text);
        return;
    }
    char note[256];
    va_list ap;
    va_start(ap, note_fmt);
    vsnprintf(note, sizeof note, note_fmt, ap);
    va_end(ap);
    error_at(p, t, "unexpected %s %s: %s", lex_kind_name((lex_kind)t->kind),
             lex_kind_is_keyword((lex_kind)t->kind) ? "keyword" : "token", note);
}

static void *vec_grow(parser *p, void *old, uint32_t n, uint32_t *cap, size_t elem)
{
    uint32_t ncap = *cap ? *cap * 2 : 4;
    void *fresh = arena_alloc(p->a, (size_t)ncap * elem);
    if (!fresh) {
        fail_oom(p);
        return NULL;
    }
    if (n)
        memcpy(fresh, old, (size_t)n * elem);
    *cap = ncap;
    return fresh;
}

/* ---- token stream ------------------------------------------------------ */

static void advance(parser *p)
{
    if (p->toks[p->i].kind != TK_EOF)
        p->i++;
    if (++p->work > p->work_limit && !p->fatal) {
        p->failed = false;
        error_at(p, cur(p), "input too complex to parse (backtracking budget exhausted)");
        p->fatal = true;
    }
    const lex_token *t = cur(p);
    if (t->kind == TK_ILLEGAL)
        error_at(p, t, "%s", t->text);
}

static parse_mark save(const parser *p)
{
    parse_mark m = {p->i, p->wildcards, p->tmpl_vars, p->depth, p->failed};
    return m;
}

static void restore(parser *p, parse_mark m)
{
    p->i = m.i;
    p->wildcards = m.wildcards;
    p->tmpl_vars = m.tmpl_vars;
    p->depth = m.depth;
    if (!p->fatal)
        p->failed = m.failed;
}

static bool enter(parser *p)
{
    if (++p->depth > PARSE_MAX_DEPTH) {
        if (!p->fatal) {
            p->failed = false;
            error_at(p, cur(p), "max parsing recursion depth exceeded (nesting deeper than %d levels)",
                     PARSE_MAX_DEPTH);
            p->fatal = true;
        }
        return false;
    }
    return true;
}

static void leave(parser *p)
{
    p->depth--;
}

/* ---- node construction ------------------------------------------------- */

static void *node_alloc(parser *p, size_t n)
{
    void *x = arena_alloc(p->a, n);
    if (!x) {
        fail_oom(p);
        return NULL;
    }
    memset(x, 0, n);
    return x;
}

static srcpos pos_of(const parser *p, const lex_token *t)
{
    srcpos s = {p->file, t->line, t->col};
    return s;
}

static term *new_term(parser *p, term_kind kind, srcpos pos)
{
    term *t = node_alloc(p, sizeof *t);
    if (t) {
        t->kind = kind;
        t->pos = pos;
    }
    return t;
}

static char *copy_str(parser *p, const char *s, size_t n)
{
    char *d = arena_alloc(p->a, n + 1);
    if (!d) {
        fail_oom(p);
        return NULL;
    }
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* T_STR or T_VAR with a name that already lives in the arena or is a
 * string constant (never mutated). */
static term *name_term(parser *p, term_kind kind, const char *s, size_t n, srcpos pos)
{
    term *t = new_term(p, kind, pos);
    if (t) {
        t->u.str.s = s;
        t->u.str.len = (uint32_t)n;
    }
    return t;
}

static term *cstr_term(parser *p, term_kind kind, const char *s, srcpos pos)
{
    return name_term(p, kind, s, strlen(s), pos);
}

static term *ref_of(parser *p, term **items, uint32_t n, srcpos pos)
{
    term *t = new_term(p, T_REF, pos);
    if (t) {
        t->u.ref.items = items;
        t->u.ref.n = n;
    }
    return t;
}

/* ref[var a] or ref[var a, str b] naming a builtin. */
static term *builtin_ref(parser *p, const char *head, const char *field, srcpos pos)
{
    term **items = node_alloc(p, 2 * sizeof *items);
    if (!items)
        return NULL;
    items[0] = cstr_term(p, T_VAR, head, pos);
    uint32_t n = 1;
    if (field)
        items[n++] = cstr_term(p, T_STR, field, pos);
    if (!items[0] || (field && !items[1]))
        return NULL;
    return ref_of(p, items, n, pos);
}

static term *make_call(parser *p, term *fn, term **args, uint32_t nargs, srcpos pos)
{
    if (!fn)
        return NULL;
    term *t = new_term(p, T_CALL, pos);
    if (t) {
        t->u.call.fn = fn;
        t->u.call.args = args;
        t->u.call.nargs = nargs;
    }
    return t;
}

static term *call_n(parser *p, const char *head, const char *field, srcpos pos, uint32_t n, term *a0,
                    term *a1, term *a2)
{
    term **args = node_alloc(p, 3 * sizeof *args);
    if (!args)
        return NULL;
    args[0] = a0;
    args[1] = a1;
    args[2] = a2;
    return make_call(p, builtin_ref(p, head, field, pos), args, n, pos);
}

/* A fresh variable for `_`: "_$<n>", unique within one parse. */
static term *wildcard_var(parser *p, srcpos pos)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "_$%u", p->wildcards++);
    const char *s = copy_str(p, buf, (size_t)n);
    return s ? name_term(p, T_VAR, s, (size_t)n, pos) : NULL;
}

/* A var from an identifier token (or a keyword used as a name). */
static term *var_from_token(parser *p, const lex_token *t)
{
    srcpos pos = pos_of(p, t);
    if (t->kind == TK_IDENT) {
        if (t->text_len == 1 && t->text[0] == '_')
            return wildcard_var(p, pos);
        return name_term(p, T_VAR, t->text, t->text_len, pos);
    }
    return cstr_term(p, T_VAR, lex_kind_name((lex_kind)t->kind), pos);
}

static bool is_name(const term *t, term_kind kind, const char *s)
{
    return t && t->kind == kind && t->u.str.len == strlen(s) && memcmp(t->u.str.s, s, t->u.str.len) == 0;
}

/* True when t is a call of internal.<field> (the desugared `in`). */
static bool is_member_call(const term *t, const char *field)
{
    if (!t || t->kind != T_CALL)
        return false;
    const term *fn = t->u.call.fn;
    return fn->u.ref.n == 2 && is_name(fn->u.ref.items[0], T_VAR, "internal") &&
           is_name(fn->u.ref.items[1], T_STR, field);
}

/* OPA's ValueName, used in messages. */
static const char *value_name(term_kind k)
{
    switch (k) {
    case T_NULL: return "null";
    case T_BOOL: return "boolean";
    case T_NUM: return "number";
    case T_STR: return "string";
    case T_VAR: return "var";
    case T_REF: return "ref";
    case T_ARRAY: return "array";
    case T_OBJECT: return "object";
    case T_SET: return "set";
    case T_CALL: return "call";
    case T_ARRCOMP: return "arraycomprehension";
    case T_SETCOMP: return "setcomprehension";
    case T_OBJCOMP: return "objectcomprehension";
    case T_TEMPLATE: return "templatestring";
    }
    return "term";
}

/* ---- terms ------------------------------------------------------------- */

static term *parse_in(parser *p, bool keyval);
static term *parse_in_from(parser *p, term *lhs, bool keyval);
static term *parse_unary(parser *p);
static term *parse_primary(parser *p);
static term *parse_postfix(parser *p, term *head, bool rule_head);
static body *parse_body(parser *p, lex_kind end);
static literal *parse_literal(parser *p);

typedef struct binop {
    lex_kind tok;
    int prec; /* 1 relational, 2 |, 3 &, 4 + -, 5 * / % */
    const char *builtin;
} binop;

static const binop binops[] = {
    {TK_EQUAL, 1, "equal"}, {TK_NEQ, 1, "neq"},     {TK_LT, 1, "lt"},   {TK_LTE, 1, "lte"},
    {TK_GT, 1, "gt"},       {TK_GTE, 1, "gte"},     {TK_OR, 2, "or"},   {TK_AND, 3, "and"},
    {TK_PLUS, 4, "plus"},   {TK_MINUS, 4, "minus"}, {TK_MUL, 5, "mul"}, {TK_DIV, 5, "div"},
    {TK_REM, 5, "rem"},
};

static const binop *binop_of(lex_kind k)
{
    for (size_t i = 0; i < sizeof binops / sizeof binops[0]; i++)
        if (binops[i].tok == k)
            return &binops[i];
    return NULL;
}

/* Precedence climbing over the left-associative binary levels, starting
 * from an already parsed operand. Each fold deepens the tree by one even
 * though the loop is flat, so it counts as a nesting level: the depth
 * limit then bounds the AST's depth too, which keeps every recursive pass
 * over the tree (checker, planner, dump) within its stack. */
static term *parse_binary_from(parser *p, term *lhs, int min_prec)
{
    uint32_t folds = 0;
    while (lhs) {
        const binop *op = binop_of(cur_kind(p));
        if (!op || op->prec < min_prec)
            break;
        advance(p);
        term *rhs = parse_unary(p);
        for (const binop *next; rhs && (next = binop_of(cur_kind(p))) != NULL && next->prec > op->prec;)
            rhs = parse_binary_from(p, rhs, op->prec + 1);
        if (!rhs || p->failed || !enter(p)) {
            lhs = NULL;
            break;
        }
        folds++;
        lhs = call_n(p, op->builtin, NULL, lhs->pos, 2, lhs, rhs, NULL);
    }
    p->depth -= folds;
    return p->failed ? NULL : lhs;
}

static term *parse_binary(parser *p)
{
    term *t = parse_unary(p);
    return t ? parse_binary_from(p, t, 1) : NULL;
}

/* `in` is the loosest operator; where `keyval` holds (literals, not list
 * elements) `k, v in xs` is tried first. */
static term *parse_in_from(parser *p, term *lhs, bool keyval)
{
    lhs = parse_binary_from(p, lhs, 1);
    if (!lhs)
        return NULL;
    if (keyval && cur_kind(p) == TK_COMMA) {
        parse_mark m = save(p);
        advance(p);
        term *mid = parse_binary(p);
        if (mid && cur_kind(p) == TK_IN) {
            advance(p);
            term *coll = parse_binary(p);
            if (!coll)
                return NULL;
            lhs = call_n(p, "internal", "member_3", lhs->pos, 3, lhs, mid, coll);
        } else {
            restore(p, m);
        }
    }
    uint32_t folds = 0; /* see parse_binary_from */
    while (lhs && cur_kind(p) == TK_IN) {
        advance(p);
        term *coll = parse_binary(p);
        if (!coll || !enter(p)) {
            lhs = NULL;
            break;
        }
        folds++;
        lhs = call_n(p, "internal", "member_2", lhs->pos, 2, lhs, coll, NULL);
    }
    p->depth -= folds;
    return p->failed ? NULL : lhs;
}

static term *parse_in(parser *p, bool keyval)
{
    term *t = parse_unary(p);
    return t ? parse_in_from(p, t, keyval) : NULL;
}

/* Number literal at the current token; `minus` is the token of a folded
 * unary minus or NULL. */
static term *parse_number(parser *p, const lex_token *minus)
{
    const lex_token *t = cur(p);
    const char *s = t->text;
    size_t n = t->text_len;
    bool dot_led = s[0] == '.';
    if (!dot_led && n > 1 && s[0] == '0' && s[1] != '.' && !(n > 2 && (s[1] == 'e' || s[1] == 'E'))) {
        illegal(p, "expected number without leading zero");
        return NULL;
    }
    /* OPA rejects binary exponents beyond 1e5 (decimal ~30103) so huge
     * literals cannot make number formatting quadratic. */
    long long int_digits = 0, first_nonzero = -1, idx = 0, exp10 = 0;
    size_t i = 0;
    bool in_frac = false;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            in_frac = true;
            continue;
        }
        if (s[i] != '0' && first_nonzero < 0)
            first_nonzero = idx;
        if (!in_frac)
            int_digits++;
        idx++;
    }
    if (i < n) {
        bool neg = false;
        i++;
        if (s[i] == '+' || s[i] == '-')
            neg = s[i++] == '-';
        for (; i < n; i++)
            if (exp10 < 1000000000LL)
                exp10 = exp10 * 10 + (s[i] - '0');
        if (neg)
            exp10 = -exp10;
    }
    if (first_nonzero >= 0) {
        long long magnitude = int_digits - first_nonzero - 1 + exp10;
        if (magnitude > 30102 || magnitude < -30102) {
            error_at(p, t, "number too big");
            return NULL;
        }
    }
    /* Keep the text; only make `.5` valid JSON number text ("0.5"). */
    size_t extra = (minus ? 1 : 0) + (dot_led ? 1 : 0);
    char *text = arena_alloc(p->a, n + extra + 1);
    if (!text) {
        fail_oom(p);
        return NULL;
    }
    size_t o = 0;
    if (minus)
        text[o++] = '-';
    if (dot_led)
        text[o++] = '0';
    memcpy(text + o, s, n);
    text[o + n] = '\0';
    term *num = new_term(p, T_NUM, pos_of(p, minus ? minus : t));
    if (num) {
        num->u.num.text = text;
        num->u.num.len = (uint32_t)(n + extra);
    }
    advance(p);
    return num;
}

/* Elements after the first of a list ending in `end`; the current token
 * follows an element. Trailing commas are allowed. */
static bool parse_list_rest(parser *p, lex_kind end, term_vec *v)
{
    for (;;) {
        if (cur_kind(p) == end)
            return true;
        if (cur_kind(p) != TK_COMMA) {
            illegal_arg(p, "expected \",\" or \"%s\"", lex_kind_name(end));
            return false;
        }
        advance(p);
        if (cur_kind(p) == end)
            return true;
        term *t = parse_in(p, false);
        if (!t || !VEC_PUSH(p, *v, t))
            return false;
    }
}

static bool parse_list(parser *p, lex_kind end, term_vec *v)
{
    if (cur_kind(p) == end)
        return true;
    term *t = parse_in(p, false);
    if (!t || !VEC_PUSH(p, *v, t))
        return false;
    return parse_list_rest(p, end, v);
}

static term *collection(parser *p, term_kind kind, term_vec *v, srcpos pos)
{
    term *t = new_term(p, kind, pos);
    if (t) {
        t->u.coll.items = v->items;
        t->u.coll.n = v->n;
    }
    return t;
}

static term *comprehension(parser *p, term_kind kind, term *key, term *head, body *b, srcpos pos)
{
    term *t = new_term(p, kind, pos);
    if (t) {
        t->u.comp.key = key;
        t->u.comp.head = head;
        t->u.comp.body = b;
    }
    return t;
}

/* OPA rejects a comprehension whose head is an infix expression:
 * `[x * 2 | some x in xs]` reads as `x * (2 | some ...)` and fails (OPA
 * issue #4215, open). We accept it, but only as a retry after OPA's
 * grammar has failed, so every input OPA accepts keeps OPA's meaning
 * (`[x + 1 | y]` stays the array `[x + (1 | y)]`). The head may use the
 * operators that bind tighter than `|` (`&`, arithmetic). When the retry
 * fails too, OPA's original error is reported. `key` is set for an object
 * comprehension, whose value is the infix head. */
static term *infix_head_comprehension(parser *p, parse_mark start, lex_kind end, term_kind kind, term *key,
                                      srcpos pos)
{
    if (p->fatal)
        return NULL;
    uint32_t fail_i = p->i, line = p->err_line, col = p->err_col;
    bool deferred = p->err_deferred;
    illegal_note note = p->err_note;
    char msg[sizeof p->err_msg];
    if (!deferred)
        memcpy(msg, p->err_msg, sizeof msg);
    restore(p, start);
    term *head = parse_unary(p);
    head = head ? parse_binary_from(p, head, 3) : NULL;
    if (head && cur_kind(p) == TK_OR) {
        advance(p);
        body *b = parse_body(p, end);
        if (b) {
            advance(p);
            return comprehension(p, kind, key, head, b, pos);
        }
    }
    if (!p->fatal) {
        p->failed = true;
        p->i = fail_i;
        p->err_line = line;
        p->err_col = col;
        p->err_deferred = deferred;
        p->err_note = note;
        if (!deferred)
            memcpy(p->err_msg, msg, sizeof msg);
    }
    return NULL;
}

/* `[`: array or array comprehension. */
static term *parse_array(parser *p)
{
    srcpos pos = pos_of(p, cur(p));
    term_vec v = {0};
    advance(p);
    if (cur_kind(p) == TK_RBRACK) {
        advance(p);
        return collection(p, T_ARRAY, &v, pos);
    }
    bool maybe_comp = true;
    if (cur_kind(p) == TK_COMMA) { /* `[, x]`: OPA accepts it for compatibility */
        maybe_comp = false;
        advance(p);
    }
    parse_mark start = save(p);
    term *head = parse_unary(p);
    if (!head)
        return NULL;
    if (maybe_comp && cur_kind(p) == TK_OR) {
        advance(p);
        body *b = parse_body(p, TK_RBRACK);
        if (b) {
            advance(p);
            return comprehension(p, T_ARRCOMP, NULL, head, b, pos);
        }
        if (p->fatal || cur_kind(p) != TK_COMMA)
            return NULL;
        restore(p, start);
        if (!parse_list(p, TK_RBRACK, &v))
            return NULL;
    } else {
        term *first = parse_in_from(p, head, false);
        if (!first || !VEC_PUSH(p, v, first) || !parse_list_rest(p, TK_RBRACK, &v))
            return maybe_comp ? infix_head_comprehension(p, start, TK_RBRACK, T_ARRCOMP, NULL, pos) : NULL;
    }
    advance(p);
    return collection(p, T_ARRAY, &v, pos);
}

/* Object after its first key; the current token is `:`. */
static term *parse_object(parser *p, term *key, bool maybe_comp, srcpos pos)
{
    advance(p);
    parse_mark value_start = save(p);
    term *val = parse_unary(p);
    if (!val)
        return NULL;
    if (maybe_comp && cur_kind(p) == TK_OR) {
        advance(p);
        body *b = parse_body(p, TK_RBRACE);
        if (b) {
            advance(p);
            return comprehension(p, T_OBJCOMP, key, val, b, pos);
        }
        if (p->fatal)
            return NULL;
        restore(p, value_start);
        val = parse_in(p, false);
    } else {
        val = parse_in_from(p, val, false);
        if (val && cur_kind(p) != TK_RBRACE && cur_kind(p) != TK_COMMA)
            illegal(p, "non-terminated object");
        if ((!val || p->failed) && maybe_comp)
            return infix_head_comprehension(p, value_start, TK_RBRACE, T_OBJCOMP, key, pos);
    }
    if (!val)
        return NULL;
    term_vec keys = {0}, vals = {0};
    if (!VEC_PUSH(p, keys, key) || !VEC_PUSH(p, vals, val))
        return NULL;
    if (cur_kind(p) != TK_RBRACE && cur_kind(p) != TK_COMMA) {
        illegal(p, "non-terminated object");
        return NULL;
    }
    for (;;) {
        if (cur_kind(p) == TK_RBRACE)
            break;
        if (cur_kind(p) != TK_COMMA) {
            illegal(p, "expected \",\" or \"}\"");
            return NULL;
        }
        advance(p);
        if (cur_kind(p) == TK_RBRACE)
            break;
        term *k = parse_in(p, false);
        if (!k)
            return NULL;
        if (cur_kind(p) != TK_COLON) {
            illegal(p, "expected \":\"");
            return NULL;
        }
        advance(p);
        term *x = parse_in(p, false);
        if (!x || !VEC_PUSH(p, keys, k) || !VEC_PUSH(p, vals, x))
            return NULL;
    }
    advance(p);
    term *t = new_term(p, T_OBJECT, pos);
    if (t) {
        t->u.obj.keys = keys.items;
        t->u.obj.vals = vals.items;
        t->u.obj.n = keys.n;
    }
    return t;
}

/* `{`: object, set, or one of their comprehensions; `{}` is an object. */
static term *parse_set_or_object(parser *p)
{
    srcpos pos = pos_of(p, cur(p));
    term_vec v = {0};
    advance(p);
    if (cur_kind(p) == TK_RBRACE) {
        advance(p);
        term *t = new_term(p, T_OBJECT, pos);
        return t;
    }
    bool maybe_comp = true;
    if (cur_kind(p) == TK_COMMA) {
        maybe_comp = false;
        advance(p);
    }
    parse_mark start = save(p);
    term *head = parse_unary(p);
    if (!head)
        return NULL;
    if (maybe_comp && cur_kind(p) == TK_OR) {
        advance(p);
        body *b = parse_body(p, TK_RBRACE);
        if (b) {
            advance(p);
            return comprehension(p, T_SETCOMP, NULL, head, b, pos);
        }
        if (p->fatal || cur_kind(p) != TK_COMMA)
            return NULL;
        restore(p, start);
        if (!parse_list(p, TK_RBRACE, &v))
            return NULL;
        advance(p);
        return collection(p, T_SET, &v, pos);
    }
    if (cur_kind(p) == TK_COLON)
        return parse_object(p, head, maybe_comp, pos);
    term *first = parse_in_from(p, head, false);
    if (first && cur_kind(p) == TK_COLON)
        return parse_object(p, first, maybe_comp, pos);
    if (first && cur_kind(p) != TK_RBRACE && cur_kind(p) != TK_COMMA)
        illegal(p, "non-terminated set");
    if (!first || p->failed || !VEC_PUSH(p, v, first) || !parse_list_rest(p, TK_RBRACE, &v))
        return maybe_comp ? infix_head_comprehension(p, start, TK_RBRACE, T_SETCOMP, NULL, pos) : NULL;
    advance(p);
    return collection(p, T_SET, &v, pos);
}

/* A template part expression that carries `with` modifiers cannot be a
 * plain term; it becomes `{$tmpl<n> | $tmpl<n> = expr with ...}`, the
 * set-comprehension form OPA lowers every template expression to. The
 * head name cannot be written in Rego (`$` is not an identifier byte),
 * which is how later passes recognise a part that is already lowered. */
static term *template_with_part(parser *p, literal *lit)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "$tmpl%u", p->tmpl_vars++);
    const char *name = copy_str(p, buf, (size_t)n);
    if (!name)
        return NULL;
    term *head = name_term(p, T_VAR, name, (size_t)n, lit->pos);
    term *lhs = name_term(p, T_VAR, name, (size_t)n, lit->pos);
    expr *e = node_alloc(p, sizeof *e);
    body *b = node_alloc(p, sizeof *b);
    literal **lits = node_alloc(p, sizeof *lits);
    if (!head || !lhs || !e || !b || !lits)
        return NULL;
    e->kind = E_UNIFY;
    e->pos = lit->pos;
    e->lhs = lhs;
    e->rhs = lit->expr->lhs;
    lit->expr = e;
    lits[0] = lit;
    b->pos = lit->pos;
    b->lits = lits;
    b->n = 1;
    return comprehension(p, T_SETCOMP, NULL, head, b, lit->pos);
}

/* $"..." / $`...`: the current token is the first template part. */
static term *parse_template(parser *p)
{
    srcpos pos = pos_of(p, cur(p));
    term_vec parts = {0};
    for (;;) {
        const lex_token *t = cur(p);
        if (t->text_len > 0) {
            term *s = name_term(p, T_STR, t->text, t->text_len, pos_of(p, t));
            if (!s || !VEC_PUSH(p, parts, s))
                return NULL;
        }
        if (t->kind == TK_TMPL_END) {
            advance(p);
            break;
        }
        advance(p);
        literal *lit = parse_literal(p);
        if (!lit)
            return NULL;
        const char *bad = NULL;
        if (lit->negated)
            bad = "negation ('not')";
        else if (lit->expr->kind == E_UNIFY)
            bad = "unification ('=')";
        else if (lit->expr->kind == E_ASSIGN)
            bad = "assignment (':=')";
        else if (lit->expr->kind == E_EVERY)
            bad = "'every'";
        else if (lit->expr->kind == E_SOME || lit->expr->kind == E_SOME_IN)
            bad = "'some'";
        if (bad) {
            error_at_pos(p, lit->pos.line, lit->pos.col, "unexpected %s in template-string expression", bad);
            return NULL;
        }
        term *part = lit->nwith ? template_with_part(p, lit) : lit->expr->lhs;
        if (!part || !VEC_PUSH(p, parts, part))
            return NULL;
        const lex_token *next = cur(p);
        if ((next->kind != TK_TMPL_PART && next->kind != TK_TMPL_END) || (next->flags & LTF_TMPL_FIRST)) {
            if (next->kind == TK_ILLEGAL)
                illegal(p, NULL);
            else
                error_at(p, next, "expected } to end template string expression");
            return NULL;
        }
    }
    term *t = new_term(p, T_TEMPLATE, pos);
    if (t) {
        t->u.tmpl.parts = parts.items;
        t->u.tmpl.n = parts.n;
    }
    return t;
}

static term *parse_primary(parser *p)
{
    const lex_token *tok = cur(p);
    srcpos pos = pos_of(p, tok);
    term *t = NULL;
    switch ((lex_kind)tok->kind) {
    case TK_NULL:
        t = new_term(p, T_NULL, pos);
        advance(p);
        break;
    case TK_TRUE:
    case TK_FALSE:
        t = new_term(p, T_BOOL, pos);
        if (t)
            t->u.b = tok->kind == TK_TRUE;
        advance(p);
        break;
    case TK_NUMBER: t = parse_number(p, NULL); break;
    case TK_STRING:
        t = name_term(p, T_STR, tok->text, tok->text_len, pos);
        advance(p);
        break;
    case TK_TMPL_PART:
    case TK_TMPL_END:
        if (!(tok->flags & LTF_TMPL_FIRST)) {
            illegal(p, "expected term");
            return NULL;
        }
        t = parse_template(p);
        break;
    case TK_IDENT:
    case TK_CONTAINS: /* outside rule heads `contains` is the builtin's name */
        t = var_from_token(p, tok);
        advance(p);
        break;
    case TK_LBRACK: t = parse_array(p); break;
    case TK_LBRACE: t = parse_set_or_object(p); break;
    case TK_LPAREN:
        advance(p);
        t = parse_in(p, true);
        if (!t)
            return NULL;
        if (cur_kind(p) != TK_RPAREN) {
            if (cur_kind(p) == TK_ILLEGAL)
                illegal(p, NULL);
            else
                error_at(p, cur(p), "non-terminated expression");
            return NULL;
        }
        advance(p);
        break;
    default: illegal(p, "expected term"); return NULL;
    }
    if (!t || p->failed)
        return NULL;
    return parse_postfix(p, t, false);
}

/* The memo of the unary term starting at token start, empty when new;
 * NULL (and the parse fails) when memory runs out. Entries move when the
 * array grows, so callers take the pointer only to fill it in. */
static unary_memo *memo_slot(parser *p, uint32_t start)
{
    if (p->memo_at[start])
        return &p->memos[p->memo_at[start] - 1];
    if (p->nmemos == p->memos_cap) {
        /* about two in five tokens start a term: sized from that, the
         * array is rarely outgrown (and never copied while it grows) */
        uint32_t ncap = p->memos_cap ? p->memos_cap * 2 : p->ntoks / 2 + 256;
        unary_memo *n = p->memos_cap > UINT32_MAX / 2 ? NULL
                        : p->memos_cap ? pa_realloc(p->heap, p->memos, (size_t)p->memos_cap * sizeof *n,
                                                    (size_t)ncap * sizeof *n)
                                       : pa_malloc(p->heap, (size_t)ncap * sizeof *n);
        if (!n) {
            fail_oom(p);
            return NULL;
        }
        p->memos = n;
        p->memos_cap = ncap;
    }
    unary_memo *m = &p->memos[p->nmemos++];
    memset(m, 0, sizeof *m);
    p->memo_at[start] = p->nmemos;
    return m;
}

static term *parse_unary(parser *p)
{
    if (p->fatal)
        return NULL;
    uint32_t start = p->i;
    const unary_memo *memo = p->memo_at[start] ? &p->memos[p->memo_at[start] - 1] : NULL;
    if (memo && (memo->t || memo->err) && memo->wildcards_before == p->wildcards &&
        memo->tmpl_before == p->tmpl_vars) {
        if (!memo->t) {
            const memo_error *e = memo->err;
            if (e->msg)
                error_at_pos(p, e->line, e->col, "%s", e->msg);
            else
                fail_deferred(p, e->line, e->col, e->note);
            return NULL;
        }
        p->i = memo->end;
        p->wildcards = memo->wildcards_after;
        p->tmpl_vars = memo->tmpl_after;
        return memo->t;
    }
    uint32_t wildcards_before = p->wildcards, tmpl_before = p->tmpl_vars;
    bool start_ok = !p->failed;
    if (!enter(p))
        return NULL;
    term *t;
    if (cur_kind(p) == TK_MINUS) {
        const lex_token *minus = cur(p);
        advance(p);
        if (cur_kind(p) == TK_NUMBER) {
            t = parse_number(p, minus);
            t = t ? parse_postfix(p, t, false) : NULL;
        } else {
            srcpos pos = pos_of(p, minus);
            term *operand = parse_unary(p);
            term *zero = new_term(p, T_NUM, pos);
            if (operand && zero) {
                zero->u.num.text = "0";
                zero->u.num.len = 1;
                t = call_n(p, "minus", NULL, pos, 2, zero, operand, NULL);
            } else {
                t = NULL;
            }
        }
    } else {
        t = parse_primary(p);
    }
    leave(p);
    if (!t || p->failed) {
        /* Remember plain syntax errors only: fatal ones end the parse. An
         * error raised before this term (failed on entry) is not ours. */
        unary_memo *slot;
        memo_error *e;
        if (p->failed && !p->fatal && start_ok && (e = node_alloc(p, sizeof *e)) != NULL &&
            (slot = memo_slot(p, start)) != NULL) {
            e->line = p->err_line;
            e->col = p->err_col;
            if (p->err_deferred)
                e->note = p->err_note;
            else if ((e->msg = copy_str(p, p->err_msg, strlen(p->err_msg))) == NULL)
                return NULL;
            slot->err = e;
            slot->wildcards_before = wildcards_before;
            slot->tmpl_before = tmpl_before;
        }
        return NULL;
    }
    unary_memo *slot = memo_slot(p, start);
    if (!slot)
        return NULL;
    slot->t = t;
    slot->end = p->i;
    slot->wildcards_before = wildcards_before;
    slot->wildcards_after = p->wildcards;
    slot->tmpl_before = tmpl_before;
    slot->tmpl_after = p->tmpl_vars;
    return t;
}

static bool ref_head_ok(term_kind k)
{
    switch (k) {
    case T_VAR:
    case T_ARRAY:
    case T_OBJECT:
    case T_SET:
    case T_ARRCOMP:
    case T_SETCOMP:
    case T_OBJCOMP:
    case T_CALL: return true;
    default: return false;
    }
}

/* `.name`, `[term]` and `(args)` directly after a term. In a rule head
 * (`rule_head`) a call ends the head: `f(x)` is a function head. */
static term *parse_postfix(parser *p, term *head, bool rule_head)
{
    term_vec items = {0};
    srcpos pos = head->pos;
    for (;;) {
        const lex_token *t = cur(p);
        lex_kind k = (lex_kind)t->kind;
        if ((t->flags & LTF_WS_BEFORE) || (k != TK_DOT && k != TK_LBRACK && k != TK_LPAREN))
            break;
        if (k == TK_LPAREN) {
            /* The operator must name a function: a var or a dotted path. */
            bool named = items.n ? items.items[0]->kind == T_VAR : head->kind == T_VAR;
            for (uint32_t j = 1; j < items.n; j++)
                named = named && items.items[j]->kind == T_STR;
            if (!named) {
                error_at(p, t, "illegal call (operator must be a function name or a dotted path)");
                return NULL;
            }
            term *fn;
            if (items.n) {
                fn = ref_of(p, items.items, items.n, pos);
            } else {
                term **one = node_alloc(p, sizeof *one);
                if (!one)
                    return NULL;
                one[0] = head;
                fn = ref_of(p, one, 1, pos);
            }
            advance(p);
            term_vec args = {0};
            if (!parse_list(p, TK_RPAREN, &args) || !fn)
                return NULL;
            advance(p);
            if (args.n == 0 && fn->u.ref.n == 1 && is_name(fn->u.ref.items[0], T_VAR, "set"))
                head = collection(p, T_SET, &args, pos);
            else
                head = make_call(p, fn, args.items, args.n, pos);
            if (!head)
                return NULL;
            items.items = NULL;
            items.n = items.cap = 0;
            if (rule_head)
                return head;
            continue;
        }
        if (items.n == 0) {
            if (!ref_head_ok(head->kind)) {
                error_term(p, head, "illegal ref (head cannot be %s)", value_name(head->kind));
                return NULL;
            }
            if (!VEC_PUSH(p, items, head))
                return NULL;
        }
        advance(p);
        term *part;
        if (k == TK_DOT) {
            const lex_token *name = cur(p);
            if (name->flags & LTF_WS_BEFORE) {
                error_at_pos(p, t->line, t->col + 1, "unexpected whitespace token: expected ident");
                return NULL;
            }
            if (name->kind == TK_IDENT)
                part = name_term(p, T_STR, name->text, name->text_len, pos_of(p, name));
            else if (lex_kind_is_keyword((lex_kind)name->kind))
                part = cstr_term(p, T_STR, lex_kind_name((lex_kind)name->kind), pos_of(p, name));
            else {
                illegal(p, "expected ident");
                return NULL;
            }
            advance(p);
        } else {
            part = parse_in(p, true);
            if (!part)
                return NULL;
            if (cur_kind(p) != TK_RBRACK) {
                illegal(p, "expected ]");
                return NULL;
            }
            advance(p);
        }
        if (!part || !VEC_PUSH(p, items, part))
            return NULL;
    }
    if (p->failed)
        return NULL;
    return items.n ? ref_of(p, items.items, items.n, pos) : head;
}

/* ---- literals and bodies ---------------------------------------------- */

static expr *new_expr(parser *p, expr_kind kind, srcpos pos)
{
    expr *e = node_alloc(p, sizeof *e);
    if (e) {
        e->kind = kind;
        e->pos = pos;
    }
    return e;
}

/* `some x, y` or `some [k,] v in xs`; the current token is `some`. */
static expr *parse_some(parser *p)
{
    srcpos pos = pos_of(p, cur(p));
    parse_mark m = save(p);
    advance(p);
    term *t = parse_in(p, true);
    if (t && t->kind == T_CALL) {
        expr *e = new_expr(p, E_SOME_IN, pos);
        if (!e)
            return NULL;
        if (is_member_call(t, "member_2")) {
            e->value = t->u.call.args[0];
            e->coll = t->u.call.args[1];
        } else if (is_member_call(t, "member_3")) {
            e->key = t->u.call.args[0];
            e->value = t->u.call.args[1];
            e->coll = t->u.call.args[2];
        } else {
            illegal(p, "expected `x in xs` or `x, y in xs` expression");
            return NULL;
        }
        return e;
    }
    if (p->fatal)
        return NULL;
    restore(p, m);
    term_vec vars = {0};
    do {
        advance(p);
        if (cur_kind(p) != TK_IDENT) {
            illegal(p, "expected var");
            return NULL;
        }
        term *v = var_from_token(p, cur(p));
        if (!v || !VEC_PUSH(p, vars, v))
            return NULL;
        advance(p);
    } while (cur_kind(p) == TK_COMMA);
    expr *e = new_expr(p, E_SOME, pos);
    if (e) {
        e->vars = vars.items;
        e->nvars = vars.n;
    }
    return p->failed ? NULL : e;
}

/* `every [k,] v in xs { body }` after `every`. Nested every bodies recurse
 * without passing through a term, so parse_every counts depth itself. */
static expr *parse_every_rest(parser *p, srcpos pos)
{
    term *t = parse_in(p, true);
    if (!t)
        return NULL;
    expr *e = new_expr(p, E_EVERY, pos);
    if (!e)
        return NULL;
    if (is_member_call(t, "member_2")) {
        e->value = t->u.call.args[0];
        e->coll = t->u.call.args[1];
    } else if (is_member_call(t, "member_3")) {
        e->key = t->u.call.args[0];
        e->value = t->u.call.args[1];
        e->coll = t->u.call.args[2];
        if (e->key->kind != T_VAR) {
            illegal(p, "expected key to be a variable");
            return NULL;
        }
    } else {
        illegal(p, "expected `x[, y] in xs { ... }` expression");
        return NULL;
    }
    if (e->value->kind != T_VAR) {
        illegal(p, "expected value to be a variable");
        return NULL;
    }
    if (cur_kind(p) != TK_LBRACE) {
        illegal(p, "missing body");
        return NULL;
    }
    advance(p);
    e->body = parse_body(p, TK_RBRACE);
    if (!e->body)
        return NULL;
    advance(p);
    return p->failed ? NULL : e;
}

static expr *parse_every(parser *p)
{
    srcpos pos = pos_of(p, cur(p));
    advance(p);
    if (!enter(p))
        return NULL;
    expr *e = parse_every_rest(p, pos);
    leave(p);
    return e;
}

static bool parse_withs(parser *p, literal *lit)
{
    with_vec withs = {0};
    while (cur_kind(p) == TK_WITH) {
        with_mod w;
        memset(&w, 0, sizeof w);
        w.pos = pos_of(p, cur(p));
        advance(p);
        if (cur_kind(p) != TK_IDENT) {
            illegal(p, "expected ident");
            return false;
        }
        term *target = parse_primary(p);
        if (!target)
            return false;
        if (target->kind == T_VAR) {
            term **one = node_alloc(p, sizeof *one);
            if (!one)
                return false;
            one[0] = target;
            target = ref_of(p, one, 1, target->pos);
        } else if (target->kind != T_REF) {
            illegal(p, "expected with target path");
            return false;
        }
        if (cur_kind(p) != TK_AS) {
            illegal(p, "expected as keyword");
            return false;
        }
        advance(p);
        w.target = target;
        w.value = parse_in(p, true);
        if (!w.target || !w.value || !VEC_PUSH(p, withs, w))
            return false;
    }
    lit->withs = withs.items;
    lit->nwith = withs.n;
    return !p->failed;
}

static literal *parse_literal(parser *p)
{
    literal *lit = node_alloc(p, sizeof *lit);
    if (!lit)
        return NULL;
    lit->pos = pos_of(p, cur(p));
    if (cur_kind(p) == TK_NOT) {
        lit->negated = true;
        advance(p);
    }
    expr *e;
    if (cur_kind(p) == TK_SOME) {
        if (lit->negated) {
            illegal(p, "illegal negation of 'some'");
            return NULL;
        }
        e = parse_some(p);
    } else if (cur_kind(p) == TK_EVERY) {
        if (lit->negated) {
            illegal(p, "illegal negation of 'every'");
            return NULL;
        }
        e = parse_every(p);
    } else {
        srcpos pos = pos_of(p, cur(p));
        term *lhs = parse_in(p, true);
        if (!lhs)
            return NULL;
        e = new_expr(p, E_TERM, pos);
        if (!e)
            return NULL;
        e->lhs = lhs;
        if (cur_kind(p) == TK_ASSIGN || cur_kind(p) == TK_UNIFY) {
            e->kind = cur_kind(p) == TK_ASSIGN ? E_ASSIGN : E_UNIFY;
            advance(p);
            e->rhs = parse_in(p, true);
            if (!e->rhs)
                return NULL;
        }
    }
    if (!e)
        return NULL;
    lit->expr = e;
    if (e->kind != E_SOME && !parse_withs(p, lit))
        return NULL;
    return p->failed ? NULL : lit;
}

/* Literals up to (not including) `end`, separated by `;` or newlines. */
static body *parse_body(parser *p, lex_kind end)
{
    if (cur_kind(p) == end) {
        error_at(p, cur(p), "found empty body");
        return NULL;
    }
    body *b = node_alloc(p, sizeof *b);
    lit_vec lits = {0};
    if (b)
        b->pos = pos_of(p, cur(p));
    while (b) {
        literal *lit = parse_literal(p);
        if (!lit || !VEC_PUSH(p, lits, lit)) {
            b = NULL;
            break;
        }
        if (cur_kind(p) == TK_SEMI) {
            advance(p);
            continue;
        }
        if (cur_kind(p) == end)
            break;
        if (!(cur(p)->flags & LTF_NL_BEFORE)) {
            illegal_arg(p, "expected \\n or ; or %s", lex_kind_name(end));
            b = NULL;
        }
    }
    if (!b || p->failed)
        return NULL;
    b->lits = lits.items;
    b->n = lits.n;
    return b;
}

/* ---- rules ------------------------------------------------------------- */

/* Rule head after `default`, validated as OPA does: the value must be a
 * constant (comprehensions aside) and the arguments distinct vars. */
static bool default_value_ok(parser *p, const term *t, srcpos at)
{
    if (!t)
        return true;
    const char *bad = NULL;
    switch (t->kind) {
    case T_VAR: bad = "var"; break;
    case T_REF: bad = "ref"; break;
    case T_CALL: bad = "call"; break;
    case T_ARRAY:
    case T_SET:
        for (uint32_t i = 0; i < t->u.coll.n; i++)
            if (!default_value_ok(p, t->u.coll.items[i], at))
                return false;
        break;
    case T_OBJECT:
        for (uint32_t i = 0; i < t->u.obj.n; i++)
            if (!default_value_ok(p, t->u.obj.keys[i], at) || !default_value_ok(p, t->u.obj.vals[i], at))
                return false;
        break;
    case T_TEMPLATE:
        for (uint32_t i = 0; i < t->u.tmpl.n; i++)
            if (!default_value_ok(p, t->u.tmpl.parts[i], at))
                return false;
        break;
    default: break;
    }
    if (bad) {
        error_at_pos(p, at.line, at.col, "illegal default rule (value cannot contain %s)", bad);
        return false;
    }
    return true;
}

static bool default_args_ok(parser *p, const rule *r)
{
    for (uint32_t i = 0; i < r->nargs; i++) {
        const term *a = r->args[i];
        if (a->kind != T_VAR) {
            error_at_pos(p, r->pos.line, r->pos.col, "illegal default rule (arguments cannot contain %s)",
                         value_name(a->kind));
            return false;
        }
        for (uint32_t j = 0; j < i; j++) {
            if (r->args[j]->u.str.len == a->u.str.len &&
                memcmp(r->args[j]->u.str.s, a->u.str.s, a->u.str.len) == 0) {
                error_at_pos(p, r->pos.line, r->pos.col,
                             "illegal default rule (arguments cannot be repeated %s)", a->u.str.s);
                return false;
            }
        }
    }
    return true;
}

static bool term_is_ground(const term *t)
{
    switch (t->kind) {
    case T_VAR:
    case T_REF:
    case T_CALL:
    case T_ARRCOMP:
    case T_SETCOMP:
    case T_OBJCOMP:
    case T_TEMPLATE: return false;
    case T_ARRAY:
    case T_SET:
        for (uint32_t i = 0; i < t->u.coll.n; i++)
            if (!term_is_ground(t->u.coll.items[i]))
                return false;
        return true;
    case T_OBJECT:
        for (uint32_t i = 0; i < t->u.obj.n; i++)
            if (!term_is_ground(t->u.obj.keys[i]) || !term_is_ground(t->u.obj.vals[i]))
                return false;
        return true;
    default: return true;
    }
}

static body *parse_braced_body(parser *p)
{
    advance(p); /* `{` */
    body *b = parse_body(p, TK_RBRACE);
    if (b)
        advance(p);
    return b;
}

/* `else [= v | := v] [if] {body} | if literal`, repeated; links the chain
 * onto `first`. */
static bool parse_else_chain(parser *p, rule *first)
{
    rule *prev = first;
    const term *head = first->head;
    while (cur_kind(p) == TK_ELSE) {
        bool ground = true;
        for (uint32_t i = 1; i < head->u.ref.n; i++)
            ground = ground && term_is_ground(head->u.ref.items[i]);
        if (head->u.ref.n > 1 && !ground) {
            error_at(p, cur(p), "else keyword cannot be used on rules with variables in head");
            return false;
        }
        if (first->kind == R_CONTAINS) {
            error_at(p, cur(p), "else keyword cannot be used on multi-value rules");
            return false;
        }
        rule *r = node_alloc(p, sizeof *r);
        if (!r)
            return false;
        r->pos = pos_of(p, cur(p));
        r->kind = first->kind;
        r->head = first->head;
        r->args = first->args;
        r->nargs = first->nargs;
        advance(p);
        switch (cur_kind(p)) {
        case TK_LBRACE:
        case TK_IF: break;
        case TK_ASSIGN:
        case TK_UNIFY:
            r->assign = cur_kind(p) == TK_ASSIGN;
            advance(p);
            r->value = parse_in(p, true);
            if (!r->value)
                return false;
            break;
        default: illegal(p, "expected else value term or rule body"); return false;
        }
        bool has_if = cur_kind(p) == TK_IF;
        if (has_if)
            advance(p);
        if (cur_kind(p) == TK_LBRACE) {
            r->body = parse_braced_body(p);
            if (!r->body)
                return false;
        } else if (has_if) {
            if (cur_kind(p) == TK_EOF) {
                illegal(p, "rule body expected");
                return false;
            }
            literal *lit = parse_literal(p);
            literal **lits = node_alloc(p, sizeof *lits);
            body *b = node_alloc(p, sizeof *b);
            if (!lit || !lits || !b)
                return false;
            lits[0] = lit;
            b->pos = lit->pos;
            b->lits = lits;
            b->n = 1;
            r->body = b;
        }
        prev->els = r;
        prev = r;
        if (!r->body)
            break; /* an unconditional else ends the chain */
    }
    return !p->failed;
}

static body *single_literal_body(parser *p, literal *lit)
{
    literal **lits = node_alloc(p, sizeof *lits);
    body *b = node_alloc(p, sizeof *b);
    if (!lits || !b)
        return NULL;
    lits[0] = lit;
    b->pos = lit->pos;
    b->lits = lits;
    b->n = 1;
    return b;
}

/* One rule statement (plus any chained `{ }` bodies); the current token
 * is `default` or an identifier. */
static bool parse_rule(parser *p, rule_vec *out)
{
    rule *r = node_alloc(p, sizeof *r);
    if (!r)
        return false;
    const lex_token *start = cur(p);
    r->pos = pos_of(p, start);
    if (cur_kind(p) == TK_DEFAULT) {
        r->is_default = true;
        advance(p);
    }
    if (cur_kind(p) != TK_IDENT) {
        illegal(p, "expected rule head name");
        return false;
    }
    term *name = var_from_token(p, cur(p));
    if (!name)
        return false;
    advance(p);
    if (binop_of(cur_kind(p)) && !(cur(p)->flags & LTF_WS_BEFORE)) {
        illegal(p, NULL);
        return false;
    }
    if (!enter(p))
        return false;
    term *h = parse_postfix(p, name, true);
    leave(p);
    if (!h)
        return false;
    if (h->kind == T_CALL) {
        r->kind = R_FUNC;
        r->head = h->u.call.fn;
        r->args = h->u.call.args;
        r->nargs = h->u.call.nargs;
    } else if (h->kind == T_REF) {
        r->head = h;
    } else if (h->kind == T_VAR) {
        term **one = node_alloc(p, sizeof *one);
        if (!one)
            return false;
        one[0] = h;
        r->head = ref_of(p, one, 1, h->pos);
    } else {
        /* `set()` as a head: not a name */
        error_term(p, h, "unexpected %s token: expected rule head name", value_name(h->kind));
        return false;
    }
    if (!r->head)
        return false;
    const char *what = r->kind == R_FUNC ? "function" : "rule";

    switch (cur_kind(p)) {
    case TK_CONTAINS:
        if (r->kind == R_FUNC) {
            illegal_now(p,
                        "the contains keyword can only be used with multi-value rule definitions (e.g., %.*s "
                        "contains "
                        "<VALUE> { ... })",
                        (int)name->u.str.len, name->u.str.s);
            return false;
        }
        advance(p);
        r->kind = R_CONTAINS;
        r->key = parse_in(p, true);
        if (!r->key)
            return false;
        break;
    case TK_UNIFY:
    case TK_ASSIGN:
        r->assign = cur_kind(p) == TK_ASSIGN;
        advance(p);
        r->value = parse_in(p, true);
        if (!r->value)
            return false;
        break;
    default: break;
    }
    /* `p[x]` with neither value nor `contains` is v0's partial set. */
    bool v0_partial_set = r->kind == R_COMPLETE && !r->value && r->head->u.ref.n == 2;

    if (r->is_default) {
        if (r->kind == R_CONTAINS || v0_partial_set) {
            error_at_pos(p, r->pos.line, r->pos.col, "illegal default rule (must have a value)");
            return false;
        }
        if (!default_value_ok(p, r->value, r->pos) || !default_args_ok(p, r))
            return false;
        return VEC_PUSH(p, *out, r);
    }

    bool needs_if = false;
    if (cur_kind(p) == TK_IF) {
        advance(p);
        /* `p if lit` unless that literal is a set, which means `p if { body }`. */
        parse_mark m = save(p);
        literal *lit = parse_literal(p);
        if (lit && !(lit->expr->kind == E_TERM && lit->expr->lhs->kind == T_SET)) {
            r->body = single_literal_body(p, lit);
        } else {
            if (p->fatal)
                return false;
            restore(p, m);
            if (cur_kind(p) == TK_LBRACE) {
                r->body = parse_braced_body(p);
            } else {
                lit = parse_literal(p);
                r->body = lit ? single_literal_body(p, lit) : NULL;
            }
        }
        if (!r->body)
            return false;
    } else if (cur_kind(p) == TK_LBRACE) {
        r->body = parse_braced_body(p);
        if (!r->body)
            return false;
        needs_if = true;
    } else if (r->kind == R_CONTAINS) {
        return VEC_PUSH(p, *out, r);
    } else if (!r->value) {
        if (v0_partial_set)
            error_at_pos(p, r->pos.line, r->pos.col, "`contains` keyword is required for partial set rules");
        else
            error_at_pos(p, r->pos.line, r->pos.col, "%s must have value assignment and/or body declaration",
                         what);
        return false;
    } else {
        return VEC_PUSH(p, *out, r);
    }
    if (needs_if) {
        error_at_pos(p, r->pos.line, r->pos.col, "`if` keyword is required before %s body", what);
        return false;
    }
    if (!parse_else_chain(p, r) || !VEC_PUSH(p, *out, r))
        return false;
    /* `p if { a } { b }`: further bodies define more rules with this head. */
    while (cur_kind(p) == TK_LBRACE) {
        if (r->els) {
            error_at(p, cur(p), "expected else keyword");
            return false;
        }
        rule *next = node_alloc(p, sizeof *next);
        if (!next)
            return false;
        *next = *r;
        next->pos = pos_of(p, cur(p));
        next->body = parse_braced_body(p);
        if (!next->body || !VEC_PUSH(p, *out, next))
            return false;
    }
    return true;
}

/* ---- package and imports ---------------------------------------------- */

/* The dotted path after `package` / `import`: its first name may be a
 * keyword (`package foo.if` is fine, and so is `package if`). */
static term *parse_path(parser *p)
{
    const lex_token *t = cur(p);
    if (t->kind != TK_IDENT && !lex_kind_is_keyword((lex_kind)t->kind)) {
        illegal(p, "expected ident");
        return NULL;
    }
    term *head = var_from_token(p, t);
    if (!head)
        return NULL;
    advance(p);
    if (!enter(p))
        return NULL;
    term *path = parse_postfix(p, head, false);
    leave(p);
    if (!path)
        return NULL;
    if (path->kind == T_VAR) {
        term **one = node_alloc(p, sizeof *one);
        if (!one)
            return NULL;
        one[0] = path;
        return ref_of(p, one, 1, path->pos);
    }
    if (path->kind != T_REF) {
        error_term(p, path, "unexpected %s token: expected path", value_name(path->kind));
        return NULL;
    }
    /* `a.f(x).b` is a ref whose head is a call, not a path */
    if (path->u.ref.items[0]->kind != T_VAR) {
        error_term(p, path->u.ref.items[0], "unexpected %s token: expected path",
                   value_name(path->u.ref.items[0]->kind));
        return NULL;
    }
    for (uint32_t i = 1; i < path->u.ref.n; i++) {
        const term *c = path->u.ref.items[i];
        if (c->kind != T_STR) {
            error_term(p, c, "unexpected %s token: expecting string", value_name(c->kind));
            return NULL;
        }
    }
    return path;
}

static term *parse_package(parser *p)
{
    advance(p); /* `package` */
    term *path = parse_path(p);
    if (!path)
        return NULL;
    /* `package a.b` is data.a.b: the first name becomes a string. */
    uint32_t n = path->u.ref.n + 1;
    term **items = node_alloc(p, (size_t)n * sizeof *items);
    if (!items)
        return NULL;
    const term *first = path->u.ref.items[0];
    items[0] = cstr_term(p, T_VAR, "data", first->pos);
    items[1] = name_term(p, T_STR, first->u.str.s, first->u.str.len, first->pos);
    for (uint32_t i = 2; i < n; i++)
        items[i] = path->u.ref.items[i - 1];
    if (!items[0] || !items[1])
        return NULL;
    return ref_of(p, items, n, first->pos);
}

static const char *const future_keywords[] = {"contains", "every", "if", "in"};

/* Writes a path of names as dotted text for messages. */
static void path_text(const term *path, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < path->u.ref.n && o + 1 < cap; i++) {
        int w = snprintf(buf + o, cap - o, "%s%s", i ? "." : "", path->u.ref.items[i]->u.str.s);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

static bool parse_import(parser *p, import_vec *out)
{
    import_decl imp;
    memset(&imp, 0, sizeof imp);
    imp.pos = pos_of(p, cur(p));
    advance(p); /* `import` */
    imp.path = parse_path(p);
    if (!imp.path)
        return false;
    const term *root = imp.path->u.ref.items[0];
    uint32_t n = imp.path->u.ref.n;
    bool is_future = is_name(root, T_VAR, "future"), is_rego = is_name(root, T_VAR, "rego");
    if (!is_future && !is_rego && !is_name(root, T_VAR, "data") && !is_name(root, T_VAR, "input")) {
        error_term(p, imp.path,
                   "unexpected import path, must begin with one of: {data, future, input, rego}, got: %s "
                   "(hint: if this is unexpected, try updating OPA)",
                   root->u.str.s);
        return false;
    }
    if (cur_kind(p) == TK_AS) {
        advance(p);
        if (cur_kind(p) != TK_IDENT) {
            illegal(p, "expected var");
            return false;
        }
        imp.alias = cur(p)->text;
        advance(p);
    } else if (!is_future) {
        /* Without an alias the last name becomes a variable, which a
         * keyword cannot be. */
        const term *last = imp.path->u.ref.items[n - 1];
        if (lex_keyword(last->u.str.s, last->u.str.len) != TK_IDENT) {
            error_term(p, last, "unexpected import path, must not end with a keyword, got: %s",
                       last->u.str.s);
            return false;
        }
    }
    if (is_future) {
        if (n == 1 || !is_name(imp.path->u.ref.items[1], T_STR, "keywords")) {
            error_term(p, imp.path, "invalid import, must be `future.keywords`");
            return false;
        }
        if (imp.alias) {
            error_term(p, imp.path, "`future` imports cannot be aliased");
            return false;
        }
        if (n == 3) {
            bool known = false;
            for (size_t i = 0; i < sizeof future_keywords / sizeof future_keywords[0]; i++)
                known = known || is_name(imp.path->u.ref.items[2], T_STR, future_keywords[i]);
            if (!known) {
                error_term(p, imp.path, "unexpected keyword, must be one of [contains every if in]");
                return false;
            }
        }
    }
    if (is_rego && (n != 2 || !is_name(imp.path->u.ref.items[1], T_STR, "v1"))) {
        char text[256];
        path_text(imp.path, text, sizeof text);
        error_term(p, imp.path, "invalid import `%s`, must be `rego.v1`", text);
        return false;
    }
    return VEC_PUSH(p, *out, imp);
}

/* ---- entry points ------------------------------------------------------ */

static bool parser_init_ex(parser *p, arena *a, const char *file, const char *src, size_t len,
                           bool want_comments)
{
    memset(p, 0, sizeof *p);
    p->a = a;
    p->heap = a->alloc;
    /* Not copied: positions (and the program's source locations built from
     * them) point at file, which must outlive them; the compiler passes a
     * copy in the program arena, so it survives pol_compiler_free. */
    p->file = file ? file : "";
    if (!lex_run(a, p->heap, src, len, want_comments, &p->lex)) {
        fail_oom(p);
        return false;
    }
    p->toks = p->lex.toks;
    p->ntoks = p->lex.ntoks;
    p->memo_at = pa_malloc(p->heap, (size_t)p->ntoks * sizeof *p->memo_at);
    if (!p->memo_at) {
        fail_oom(p);
        return false;
    }
    memset(p->memo_at, 0, (size_t)p->ntoks * sizeof *p->memo_at);
    p->work_limit = (uint64_t)p->ntoks * PARSE_WORK_PER_TOKEN + PARSE_WORK_MIN;
    if (p->toks[0].kind == TK_ILLEGAL)
        error_at(p, &p->toks[0], "%s", p->toks[0].text);
    return !p->failed;
}

/* Frees the parser's scratch (tokens, comments, memos); the AST, in the
 * arena, stays. Safe after any parser_init_ex, successful or not. */
static void parser_release(parser *p)
{
    lex_release(p->heap, &p->lex);
    pa_free(p->heap, p->memo_at, (size_t)p->ntoks * sizeof *p->memo_at);
    pa_free(p->heap, p->memos, (size_t)p->memos_cap * sizeof *p->memos);
    p->toks = NULL;
    p->memo_at = NULL;
    p->memos = NULL;
}

static bool parser_init(parser *p, arena *a, const char *file, const char *src, size_t len)
{
    return parser_init_ex(p, a, file, src, len, false);
}

/* Cuts the METADATA blocks out of the module's comments (see meta_block). */
static bool collect_meta_blocks(parser *p, module *m, const char *src, const lex_comment *c, uint32_t nc)
{
    meta_vec blocks = {0};
    for (uint32_t i = 0; i < nc;) {
        const char *t = src + c[i].offset;
        uint32_t n = c[i].len, k = 0;
        while (k < n && (t[k] == ' ' || t[k] == '\t' || t[k] == '\r'))
            k++;
        if (n - k < 8 || memcmp(t + k, "METADATA", 8) != 0) {
            i++;
            continue;
        }
        uint32_t j = i + 1, total = 0;
        while (j < nc && c[j].line == c[j - 1].line + 1 && c[j].col == 1) {
            total += c[j].len + 1;
            j++;
        }
        char *yaml = node_alloc(p, (size_t)total + 1);
        if (!yaml)
            return false;
        uint32_t w = 0;
        for (uint32_t q = i + 1; q < j; q++) {
            const char *ct = src + c[q].offset;
            uint32_t cl = c[q].len;
            if (cl && ct[0] == ' ') {
                ct++;
                cl--;
            }
            memcpy(yaml + w, ct, cl);
            w += cl;
            yaml[w++] = '\n';
        }
        yaml[w] = '\0';
        meta_block b = {{p->file, c[i].line, c[i].col}, yaml, w};
        if (!VEC_PUSH(p, blocks, b))
            return false;
        i = j;
    }
    m->metas = blocks.items;
    m->nmetas = blocks.n;
    return true;
}

/* Copies the recorded error into the caller's struct. */
static void report(parser *p, pol_error *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->code = p->oom ? POL_NOMEM : POL_PARSE;
    snprintf(err->message, sizeof err->message, "%s", error_text(p));
    snprintf(err->file, sizeof err->file, "%s", p->file ? p->file : "");
    err->line = p->err_line;
    err->col = p->err_col;
}

module *parse_module(arena *a, const char *file, const char *src, size_t len, pol_error *err)
{
    parser p;
    if (!parser_init_ex(&p, a, file, src, len, true)) {
        report(&p, err);
        parser_release(&p);
        return NULL;
    }
    module *m = node_alloc(&p, sizeof *m);
    rule_vec rules = {0};
    import_vec imports = {0};
    if (m) {
        m->file = p.file;
        if (cur_kind(&p) == TK_EOF) {
            /* OPA reports an empty module without a position */
            error_at_pos(&p, 0, 0, "empty module");
        } else if (cur_kind(&p) != TK_PACKAGE) {
            error_at(&p, cur(&p), "package expected");
        } else {
            m->pos = pos_of(&p, cur(&p));
            m->package = parse_package(&p);
        }
    }
    while (m && !p.failed && cur_kind(&p) != TK_EOF) {
        switch (cur_kind(&p)) {
        case TK_IMPORT: parse_import(&p, &imports); break;
        case TK_DEFAULT:
        case TK_IDENT: parse_rule(&p, &rules); break;
        case TK_PACKAGE: illegal(&p, "only one package declaration is allowed per module"); break;
        default: illegal(&p, "expected rule"); break;
        }
    }
    if (!m || p.failed) {
        report(&p, err);
        parser_release(&p);
        return NULL;
    }
    m->imports = imports.items;
    m->nimports = imports.n;
    m->rules = rules.items;
    m->nrules = rules.n;
    bool metas_ok = collect_meta_blocks(&p, m, src, p.lex.comments, p.lex.ncomments);
    if (!metas_ok)
        report(&p, err);
    parser_release(&p);
    return metas_ok ? m : NULL;
}

body *parse_query(arena *a, const char *file, const char *src, size_t len, pol_error *err)
{
    parser p;
    body *b = NULL;
    if (parser_init(&p, a, file, src, len)) {
        if (cur_kind(&p) == TK_EOF)
            error_at(&p, cur(&p), "empty query");
        else
            b = parse_body(&p, TK_EOF);
    }
    bool ok = b && !p.failed;
    if (!ok)
        report(&p, err);
    parser_release(&p);
    return ok ? b : NULL;
}

term *parse_term(arena *a, const char *file, const char *src, size_t len, pol_error *err)
{
    parser p;
    term *t = NULL;
    if (parser_init(&p, a, file, src, len)) {
        t = parse_in(&p, false);
        if (t && cur_kind(&p) != TK_EOF)
            illegal(&p, "expected end of term");
    }
    bool ok = t && !p.failed;
    if (!ok)
        report(&p, err);
    parser_release(&p);
    return ok ? t : NULL;
}
