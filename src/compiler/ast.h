/* The Rego v1 abstract syntax tree produced by the parser and consumed by
 * the checker and planner.
 *
 * Ownership: every node, array and string lives in the arena passed to the
 * parser; nothing is freed individually. Strings are NUL-terminated copies
 * (escapes decoded), so nodes never point into the source text.
 *
 * Desugaring done by the parser (so later passes see one form):
 *  - infix operators become T_CALL terms naming the builtin: `a == b` is
 *    call(equal, a, b); `a + b` plus; `-` minus; `*` mul; `/` div; `%` rem;
 *    `&` and; `|` or; `!=` neq; `<` lt; `<=` lte; `>` gt; `>=` gte;
 *    `x in c` internal.member_2(x, c); `k, v in c` internal.member_3(k, v, c).
 *    Unary minus on a number literal folds into the literal; on anything
 *    else it becomes call(minus, 0, x).
 *  - `x = y` and `x := y` are E_UNIFY / E_ASSIGN expressions (not calls).
 *  - `_` becomes a fresh variable named "_$<n>" (unique per module).
 *  - a dotted access `a.b` is the ref component T_STR "b".
 */
#ifndef POL_COMPILER_AST_H
#define POL_COMPILER_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../vm/value.h"

typedef struct srcpos {
    const char *file;   /* the name given to the parser, not copied: it must outlive the AST and the
                         * program built from it (the compiler keeps it in the program arena) */
    uint32_t line, col; /* 1-based; col counts bytes */
} srcpos;

typedef enum term_kind {
    T_NULL,
    T_BOOL,
    T_NUM,
    T_STR,
    T_VAR,
    T_REF,
    T_ARRAY,
    T_OBJECT,
    T_SET,
    T_CALL,
    T_ARRCOMP,
    T_SETCOMP,
    T_OBJCOMP,
    T_TEMPLATE,
} term_kind;

typedef struct term term;
typedef struct body body;

struct term {
    term_kind kind;
    srcpos pos;
    union {
        bool b;  /* T_BOOL */
        struct { /* T_NUM: the literal's text as written ("-1.5e3"), sign folded in */
            const char *text;
            uint32_t len;
        } num;
        struct { /* T_STR: decoded bytes; T_VAR: the name */
            const char *s;
            uint32_t len;
        } str;
        struct {
            /* T_REF: items[0] is the head (a T_VAR such as `input`, `data`,
             * `x`, or any other term: `[1,2][0]`, `f(x).y`); items[1..n) are
             * the path operands: T_STR for `.b`, any term for `[t]`. */
            term **items;
            uint32_t n;
        } ref;
        struct { /* T_ARRAY, T_SET */
            term **items;
            uint32_t n;
        } coll;
        struct { /* T_OBJECT */
            term **keys, **vals;
            uint32_t n;
        } obj;
        struct {
            /* T_CALL: fn is a T_REF of T_VAR/T_STR parts naming the function
             * (`count` is ref[var count]; `net.cidr_contains` is
             * ref[var net, str cidr_contains]; `data.lib.f` is
             * ref[var data, str lib, str f]). */
            term *fn;
            term **args;
            uint32_t nargs;
        } call;
        struct {
            /* T_ARRCOMP / T_SETCOMP: head | body. T_OBJCOMP: key: head | body. */
            term *key;
            term *head;
            body *body;
        } comp;
        struct {
            /* T_TEMPLATE ($"..." string interpolation): parts in order; a
             * T_STR part is literal text, any other part an expression. */
            term **parts;
            uint32_t n;
        } tmpl;
    } u;
};

typedef enum expr_kind {
    E_TERM,    /* a bare term or call: `input.x`, `f(x)`, `a == b` */
    E_UNIFY,   /* lhs = rhs */
    E_ASSIGN,  /* lhs := rhs */
    E_SOME,    /* some x, y  (declaration only) */
    E_SOME_IN, /* some [key,] value in coll */
    E_EVERY,   /* every [key,] value in coll { body } */
} expr_kind;

typedef struct expr {
    expr_kind kind;
    srcpos pos;
    term *lhs, *rhs; /* E_TERM: lhs only; E_UNIFY/E_ASSIGN: both */
    term **vars;     /* E_SOME: the declared T_VARs */
    uint32_t nvars;
    term *key, *value; /* E_SOME_IN / E_EVERY: key may be NULL; value may be a pattern */
    term *coll;        /* E_SOME_IN / E_EVERY */
    body *body;        /* E_EVERY */
} expr;

typedef struct with_mod {
    srcpos pos;
    term *target; /* T_REF: input..., data..., or a function name */
    term *value;
} with_mod;

typedef struct literal {
    srcpos pos;
    bool negated; /* `not expr` */
    expr *expr;
    with_mod *withs;
    uint32_t nwith;
} literal;

struct body {
    srcpos pos;
    literal **lits;
    uint32_t n;
};

typedef enum rule_kind {
    R_COMPLETE, /* p := v, p if ..., p.q[r] := v (ref head), p[x] if ... (value true) */
    R_CONTAINS, /* p contains x, p.q contains x */
    R_FUNC,     /* f(args) := v */
} rule_kind;

typedef struct rule rule;
struct rule {
    srcpos pos;
    rule_kind kind;
    bool is_default;
    bool assign; /* head used := (vs =); informational */
    term *head;  /* T_REF relative to the package: ref[var p], ref[var a, str b, var x] */
    term **args; /* R_FUNC parameters (terms: vars, constants or patterns) */
    uint32_t nargs;
    term *value; /* NULL means `true` */
    term *key;   /* R_CONTAINS: the element */
    body *body;  /* NULL means an unconditional rule */
    rule *els;   /* next `else` in the chain (same head; value NULL means true) */
};

typedef struct import_decl {
    srcpos pos;
    term *path;        /* T_REF: data.x.y, input.z, rego.v1, future.keywords[.x] */
    const char *alias; /* `as` name, or NULL */
} import_decl;

/* A `# METADATA` comment block, as OPA's parser cuts it: the comment
 * whose text starts with METADATA (after blanks) opens it; each comment on
 * the next line, in column 1, adds its text less one leading space and a
 * newline. The YAML is parsed by the compiler (annotations.c). */
typedef struct meta_block {
    srcpos pos; /* of the opening comment */
    const char *yaml;
    uint32_t len;
} meta_block;

typedef struct module {
    const char *file;
    srcpos pos;
    term *package; /* T_REF: ref[var data, str a, str b] for `package a.b` */
    import_decl *imports;
    uint32_t nimports;
    rule **rules;
    uint32_t nrules;
    meta_block *metas; /* in source order */
    uint32_t nmetas;
} module;

/* Parses a whole module. Returns NULL and fills err (POL_PARSE with
 * file:line:col) on failure. */
module *parse_module(arena *a, const char *file, const char *src, size_t len, pol_error *err);

/* Parses a query: a body of literals separated by ';' or newlines. */
body *parse_query(arena *a, const char *file, const char *src, size_t len, pol_error *err);

/* Parses a single term (used for `input_term`-style inputs and tests). */
term *parse_term(arena *a, const char *file, const char *src, size_t len, pol_error *err);

/* Debug/test printer: writes an S-expression form of the AST into b, e.g.
 * (rule complete (ref (var p)) (value true) (body (lit (call (ref (var equal))
 * (ref (var input) (str "x")) (num 1)))))
 * Exact format is fixed by tests/compiler/test_parser.c. */
void ast_dump_module(sbuf *b, const module *m);
void ast_dump_body(sbuf *b, const body *bd);
void ast_dump_term(sbuf *b, const term *t);

#endif
