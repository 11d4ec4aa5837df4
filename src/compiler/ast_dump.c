/* S-expression printer for the AST (tests and debugging).
 *
 * The format, one form per node, children separated by one space:
 *
 *   term     null | true | false
 *            (num TEXT)                number text as written, sign folded in
 *            (str "...")               JSON-escaped
 *            (var NAME)
 *            (ref HEAD PART...)        `.b` parts print as (str "b")
 *            (array T...) (set T...) (object (K V)...)
 *            (call (ref ...) ARG...)
 *            (arraycomp HEAD BODY) (setcomp HEAD BODY) (objcomp KEY VALUE BODY)
 *            (template PART...)
 *   body     (body LIT...)
 *   literal  (lit [not] EXPR WITH...)          WITH = (with TARGET VALUE)
 *   expr     TERM | (unify L R) | (assign L R) | (some VAR...)
 *            (some-in [KEY] VALUE COLL)         2 or 3 operands
 *            (every [KEY] VALUE COLL BODY)
 *   rule     (rule KIND [default] [assign] HEAD [(args T...)] [(key T)]
 *                  [(value V)] [BODY] ELSE...)
 *            KIND is complete, contains or func; (value true) stands for
 *            the implicit value; contains rules print (key T) and no value;
 *            an unconditional rule prints no BODY.
 *   else     (else [assign] (value V) [BODY])  one per link of the chain
 *   module   (module (package REF) IMPORT... RULE...)
 *   import   (import REF) | (import REF as NAME)
 *
 * Every form is unambiguous by position and arity, so a dump compared as
 * a string pins the tree exactly.
 */
#include <stdio.h>
#include <string.h>

#include "compiler/ast.h"

static void put_json_string(sbuf *b, const char *s, size_t n)
{
    sb_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': sb_puts(b, "\\\""); break;
        case '\\': sb_puts(b, "\\\\"); break;
        case '\n': sb_puts(b, "\\n"); break;
        case '\r': sb_puts(b, "\\r"); break;
        case '\t': sb_puts(b, "\\t"); break;
        default:
            if (c < 0x20) {
                char esc[8];
                snprintf(esc, sizeof esc, "\\u%04x", c);
                sb_puts(b, esc);
            } else {
                sb_putc(b, (char)c);
            }
        }
    }
    sb_putc(b, '"');
}

static void dump_terms(sbuf *b, term *const *ts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        sb_putc(b, ' ');
        ast_dump_term(b, ts[i]);
    }
}

void ast_dump_term(sbuf *b, const term *t)
{
    if (!t) {
        sb_puts(b, "<nil>");
        return;
    }
    switch (t->kind) {
    case T_NULL: sb_puts(b, "null"); return;
    case T_BOOL: sb_puts(b, t->u.b ? "true" : "false"); return;
    case T_NUM:
        sb_puts(b, "(num ");
        sb_put(b, t->u.num.text, t->u.num.len);
        sb_putc(b, ')');
        return;
    case T_STR:
        sb_puts(b, "(str ");
        put_json_string(b, t->u.str.s, t->u.str.len);
        sb_putc(b, ')');
        return;
    case T_VAR:
        sb_puts(b, "(var ");
        sb_put(b, t->u.str.s, t->u.str.len);
        sb_putc(b, ')');
        return;
    case T_REF:
        sb_puts(b, "(ref");
        dump_terms(b, t->u.ref.items, t->u.ref.n);
        sb_putc(b, ')');
        return;
    case T_ARRAY:
    case T_SET:
        sb_puts(b, t->kind == T_ARRAY ? "(array" : "(set");
        dump_terms(b, t->u.coll.items, t->u.coll.n);
        sb_putc(b, ')');
        return;
    case T_OBJECT:
        sb_puts(b, "(object");
        for (uint32_t i = 0; i < t->u.obj.n; i++) {
            sb_puts(b, " (");
            ast_dump_term(b, t->u.obj.keys[i]);
            sb_putc(b, ' ');
            ast_dump_term(b, t->u.obj.vals[i]);
            sb_putc(b, ')');
        }
        sb_putc(b, ')');
        return;
    case T_CALL:
        sb_puts(b, "(call ");
        ast_dump_term(b, t->u.call.fn);
        dump_terms(b, t->u.call.args, t->u.call.nargs);
        sb_putc(b, ')');
        return;
    case T_ARRCOMP:
    case T_SETCOMP:
    case T_OBJCOMP:
        sb_puts(b, t->kind == T_ARRCOMP ? "(arraycomp " : t->kind == T_SETCOMP ? "(setcomp " : "(objcomp ");
        if (t->kind == T_OBJCOMP) {
            ast_dump_term(b, t->u.comp.key);
            sb_putc(b, ' ');
        }
        ast_dump_term(b, t->u.comp.head);
        sb_putc(b, ' ');
        ast_dump_body(b, t->u.comp.body);
        sb_putc(b, ')');
        return;
    case T_TEMPLATE:
        sb_puts(b, "(template");
        dump_terms(b, t->u.tmpl.parts, t->u.tmpl.n);
        sb_putc(b, ')');
        return;
    }
    sb_puts(b, "<bad term>");
}

static void dump_expr(sbuf *b, const expr *e)
{
    switch (e->kind) {
    case E_TERM: ast_dump_term(b, e->lhs); return;
    case E_UNIFY:
    case E_ASSIGN:
        sb_puts(b, e->kind == E_UNIFY ? "(unify " : "(assign ");
        ast_dump_term(b, e->lhs);
        sb_putc(b, ' ');
        ast_dump_term(b, e->rhs);
        sb_putc(b, ')');
        return;
    case E_SOME:
        sb_puts(b, "(some");
        dump_terms(b, e->vars, e->nvars);
        sb_putc(b, ')');
        return;
    case E_SOME_IN:
    case E_EVERY:
        sb_puts(b, e->kind == E_SOME_IN ? "(some-in " : "(every ");
        if (e->key) {
            ast_dump_term(b, e->key);
            sb_putc(b, ' ');
        }
        ast_dump_term(b, e->value);
        sb_putc(b, ' ');
        ast_dump_term(b, e->coll);
        if (e->kind == E_EVERY) {
            sb_putc(b, ' ');
            ast_dump_body(b, e->body);
        }
        sb_putc(b, ')');
        return;
    }
    sb_puts(b, "<bad expr>");
}

static void dump_literal(sbuf *b, const literal *l)
{
    sb_puts(b, l->negated ? "(lit not " : "(lit ");
    dump_expr(b, l->expr);
    for (uint32_t i = 0; i < l->nwith; i++) {
        sb_puts(b, " (with ");
        ast_dump_term(b, l->withs[i].target);
        sb_putc(b, ' ');
        ast_dump_term(b, l->withs[i].value);
        sb_putc(b, ')');
    }
    sb_putc(b, ')');
}

void ast_dump_body(sbuf *b, const body *bd)
{
    if (!bd) {
        sb_puts(b, "<nil>");
        return;
    }
    sb_puts(b, "(body");
    for (uint32_t i = 0; i < bd->n; i++) {
        sb_putc(b, ' ');
        dump_literal(b, bd->lits[i]);
    }
    sb_putc(b, ')');
}

static void dump_value_and_body(sbuf *b, const rule *r)
{
    if (r->kind != R_CONTAINS) {
        sb_puts(b, " (value ");
        if (r->value)
            ast_dump_term(b, r->value);
        else
            sb_puts(b, "true");
        sb_putc(b, ')');
    }
    if (r->body) {
        sb_putc(b, ' ');
        ast_dump_body(b, r->body);
    }
}

static void dump_rule(sbuf *b, const rule *r)
{
    static const char *const kinds[] = {
        [R_COMPLETE] = "complete", [R_CONTAINS] = "contains", [R_FUNC] = "func"};
    sb_puts(b, "(rule ");
    sb_puts(b, (unsigned)r->kind < 3 ? kinds[r->kind] : "?");
    if (r->is_default)
        sb_puts(b, " default");
    if (r->assign)
        sb_puts(b, " assign");
    sb_putc(b, ' ');
    ast_dump_term(b, r->head);
    if (r->kind == R_FUNC) {
        sb_puts(b, " (args");
        dump_terms(b, r->args, r->nargs);
        sb_putc(b, ')');
    }
    if (r->kind == R_CONTAINS) {
        sb_puts(b, " (key ");
        ast_dump_term(b, r->key);
        sb_putc(b, ')');
    }
    dump_value_and_body(b, r);
    /* The chain is walked iteratively so long else chains cost no stack. */
    for (const rule *e = r->els; e; e = e->els) {
        sb_puts(b, e->assign ? " (else assign" : " (else");
        dump_value_and_body(b, e);
        sb_putc(b, ')');
    }
    sb_putc(b, ')');
}

void ast_dump_module(sbuf *b, const module *m)
{
    if (!m) {
        sb_puts(b, "<nil>");
        return;
    }
    sb_puts(b, "(module (package ");
    ast_dump_term(b, m->package);
    sb_putc(b, ')');
    for (uint32_t i = 0; i < m->nimports; i++) {
        sb_puts(b, " (import ");
        ast_dump_term(b, m->imports[i].path);
        if (m->imports[i].alias) {
            sb_puts(b, " as ");
            sb_puts(b, m->imports[i].alias);
        }
        sb_putc(b, ')');
    }
    for (uint32_t i = 0; i < m->nrules; i++) {
        sb_putc(b, ' ');
        dump_rule(b, m->rules[i]);
    }
    sb_putc(b, ')');
}
