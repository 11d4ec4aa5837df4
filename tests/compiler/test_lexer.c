/* Lexer unit tests. Expected token streams are written by hand from OPA's
 * scanner rules (see src/compiler/lexer.h). */
#include <stdio.h>
#include <string.h>

#include "../test.h"
#include "compiler/lexer.h"

/* Renders a token stream compactly: kinds by their display name, text in
 * brackets, "NL" before a token preceded by a newline, "_" before one
 * preceded by other whitespace only. */
static const char *describe(arena *a, const char *src, size_t len, char *out, size_t cap)
{
    lex_token *toks = NULL;
    uint32_t n = 0;
    if (!lex_tokenize(a, src, len, &toks, &n))
        return "OOM";
    size_t o = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < n && o < cap; i++) {
        const lex_token *t = &toks[i];
        const char *sep = i == 0 ? "" : " ";
        const char *ws = (t->flags & LTF_NL_BEFORE) ? "NL " : (t->flags & LTF_WS_BEFORE) ? "_ " : "";
        int w;
        if (t->text)
            w = snprintf(out + o, cap - o, "%s%s%s[%.*s]", sep, ws, lex_kind_name((lex_kind)t->kind),
                         (int)t->text_len, t->text);
        else
            w = snprintf(out + o, cap - o, "%s%s%s", sep, ws, lex_kind_name((lex_kind)t->kind));
        if (w < 0)
            break;
        o += (size_t)w;
    }
    return out;
}

#define LEX(src) describe(&a, (src), strlen(src), buf, sizeof buf)

static const lex_token *lex1(arena *a, const char *src, uint32_t *n)
{
    lex_token *toks = NULL;
    if (!lex_tokenize(a, src, strlen(src), &toks, n))
        return NULL;
    return toks;
}

int main(void)
{
    arena a;
    arena_init_growable(&a, NULL);
    char buf[4096];

    /* --- punctuation, operators, whitespace flags --------------------- */
    CHECK_STR(LEX("package a.b\np := [1, \"x\"] # c\n"),
              "package _ ident[a] . ident[b] NL ident[p] _ assign _ [ number[1] , _ string[x] ] NL eof");
    CHECK_STR(LEX("a==b!=c<=d>=e<f>g:=h=i+j-k*l/m%n&o|p;q:r"),
              "ident[a] equal ident[b] neq ident[c] lte ident[d] gte ident[e] lt ident[f] gt ident[g] assign "
              "ident[h] eq ident[i] plus ident[j] minus ident[k] mul ident[l] div ident[m] rem ident[n] and "
              "ident[o] or ident[p] ; ident[q] : ident[r] eof");
    CHECK_STR(LEX("f(x){}"), "ident[f] ( ident[x] ) { } eof");
    CHECK_STR(LEX(""), "eof");
    CHECK_STR(LEX("  # only a comment"), "_ eof");

    /* --- keywords, and keywords that start a ref ----------------------- */
    CHECK_STR(
        LEX("package import as default else not some with null true false in every contains if"),
        "package _ import _ as _ default _ else _ not _ some _ with _ null _ true _ false _ in _ every _ "
        "contains _ if eof");
    CHECK_STR(LEX("else.foo not[0] if .x"),
              "ident[else] . ident[foo] _ ident[not] [ number[0] ] _ if _ . ident[x] eof");
    CHECK_STR(LEX("x in [1]"), "ident[x] _ in _ [ number[1] ] eof");
    CHECK_STR(LEX("_x1 X_ __"), "ident[_x1] _ ident[X_] _ ident[__] eof");

    /* --- numbers ------------------------------------------------------- */
    CHECK_STR(
        LEX("0 12 1.5 1e3 2E-7 3.25e+10 .5 00"),
        "number[0] _ number[12] _ number[1.5] _ number[1e3] _ number[2E-7] _ number[3.25e+10] _ number[.5] _ "
        "number[00] eof");
    CHECK_STR(LEX("123456789012345678901234567890"), "number[123456789012345678901234567890] eof");
    CHECK_STR(LEX("x := 1."), "ident[x] _ assign _ illegal[expected fraction] eof");
    CHECK_STR(LEX("1e+"), "illegal[expected exponent] eof");
    CHECK_STR(LEX("1abc"), "illegal[illegal number format] eof");
    CHECK_STR(LEX("-1"), "minus number[1] eof"); /* the sign is the parser's business */

    /* --- strings ------------------------------------------------------- */
    CHECK_STR(LEX("\"a\\\"b\\\\c\\/d\\n\\t\""), "string[a\"b\\c/d\n\t] eof");
    CHECK_STR(LEX("\"\\u00e9\\u20AC\""), "string[\xc3\xa9\xe2\x82\xac] eof");
    /* a surrogate pair is one code point; a lone surrogate is U+FFFD (as Go's JSON decoder does) */
    CHECK_STR(LEX("\"\\ud83d\\ude00|\\ud800|\\udc00\""),
              "string[\xf0\x9f\x98\x80|\xef\xbf\xbd|\xef\xbf\xbd] eof");
    CHECK_STR(LEX("\"\\b\\f\\r\""), "string[\b\f\r] eof");
    CHECK_STR(LEX("\"\""), "string[] eof");
    CHECK_STR(LEX("\"a\tb\""), "string[a\tb] eof"); /* raw tab, no escape: OPA keeps it */
    CHECK_STR(LEX("\"a\tb\\n\""), "illegal[illegal string literal: \"a\tb\\n\"] eof");
    CHECK_STR(LEX("\"\\uZZZZ\""), "illegal[illegal string literal: \"\\uZZZZ\"] eof");
    CHECK_STR(LEX("x \"abc"), "ident[x] _ illegal[non-terminated string] eof");
    CHECK_STR(LEX("\"ab\ncd\""), "illegal[non-terminated string] eof");
    CHECK_STR(LEX("\"a\\qb\""), "illegal[illegal escape sequence] eof");
    CHECK_STR(LEX("`raw \\n\nline`"), "string[raw \\n\nline] eof");
    CHECK_STR(LEX("`open"), "illegal[non-terminated string] eof");

    /* --- template strings ---------------------------------------------- */
    CHECK_STR(LEX("$\"a{x}b\""), "template-string-part[a] ident[x] template-string-end[b] eof");
    CHECK_STR(LEX("$\"\""), "template-string-end[] eof");
    CHECK_STR(LEX("$\"{ {1} } {\"}\"}\""), "template-string-part[] _ { number[1] } _ template-string-part[ ] "
                                           "string[}] template-string-end[] eof");
    CHECK_STR(LEX("$\"\\{x} \\t\""), "template-string-end[{x} \t] eof");
    CHECK_STR(LEX("$\"{$\"{y}\"}\""), "template-string-part[] template-string-part[] ident[y] "
                                      "template-string-end[] template-string-end[] eof");
    CHECK_STR(LEX("$`a\n\\{b\\n{c}`"), "template-string-part[a\n{b\\n] ident[c] template-string-end[] eof");
    CHECK_STR(LEX("$\"abc"), "illegal[non-terminated string] eof");
    CHECK_STR(LEX("$\"a\\qb\""), "illegal[illegal escape sequence] eof");
    {
        uint32_t n = 0;
        const lex_token *t = lex1(&a, "$\"a{x}b{y}c\"", &n);
        CHECK(t && n == 6);
        CHECK(t && (t[0].flags & LTF_TMPL_FIRST) && !(t[2].flags & LTF_TMPL_FIRST) &&
              !(t[4].flags & LTF_TMPL_FIRST));
        CHECK(t && t[2].kind == TK_TMPL_PART && t[2].col == 6); /* the part after `{x` starts at its `}` */
        CHECK(t && t[4].kind == TK_TMPL_END);
        t = lex1(&a, "$`a{x}`", &n);
        CHECK(t && (t[0].flags & LTF_TMPL_RAW) && (t[2].flags & LTF_TMPL_RAW));
    }

    /* --- bad characters ------------------------------------------------ */
    CHECK_STR(LEX("x := @"), "ident[x] _ assign _ illegal[illegal token] eof");
    CHECK_STR(LEX("x ! y"), "ident[x] _ illegal[illegal ! character] eof");
    CHECK_STR(LEX("$x"), "illegal[illegal $ character] eof");
    CHECK_STR(describe(&a, "a\0b", 3, buf, sizeof buf), "ident[a] illegal[illegal null character] eof");
    CHECK_STR(LEX("# caf\xc3\xa9\nx"), "NL ident[x] eof");
    CHECK_STR(LEX("# bad \xff byte\nx"), "illegal[illegal utf-8 character] eof");
    CHECK_STR(LEX("\"\xc3\x28\""), "illegal[illegal utf-8 character] eof");
    CHECK_STR(LEX("\xef\xbb\xbfx"), "ident[x] eof"); /* a leading BOM is skipped */
    CHECK_STR(LEX("x \"\xef\xbb\xbf\""), "ident[x] _ illegal[illegal byte-order mark] eof");
    CHECK_STR(LEX("x \xc3\xa9"), "ident[x] _ illegal[illegal token] eof"); /* identifiers are ASCII */

    /* --- positions: 1-based lines, byte columns, a tab is one column ---- */
    {
        uint32_t n = 0;
        const lex_token *t = lex1(&a, "package a\n\tp :=\n  `x\ny` q", &n);
        CHECK(t && n == 7);
        CHECK(t && t[0].line == 1 && t[0].col == 1);
        CHECK(t && t[1].line == 1 && t[1].col == 9);
        CHECK(t && t[2].line == 2 && t[2].col == 2 && t[2].offset == 11);
        CHECK(t && t[3].line == 2 && t[3].col == 4);
        CHECK(t && t[4].line == 3 && t[4].col == 3);
        CHECK(t && t[5].line == 4 && t[5].col == 4); /* after a raw string spanning lines */
        CHECK(t && t[6].kind == TK_EOF && t[6].line == 4 && t[6].col == 5);
        t = lex1(&a, "\xef\xbb\xbfp", &n);
        CHECK(t && t[0].line == 1 && t[0].col == 1);
        t = lex1(&a, "a\r\nb", &n);
        CHECK(t && t[1].line == 2 && t[1].col == 1 && (t[1].flags & LTF_NL_BEFORE));
    }

    /* --- names ---------------------------------------------------------- */
    CHECK_STR(lex_kind_name(TK_IDENT), "ident");
    CHECK_STR(lex_kind_name(TK_RBRACE), "}");
    CHECK_STR(lex_kind_name(TK_PLUS), "plus");
    CHECK(lex_kind_is_keyword(TK_IF) && lex_kind_is_keyword(TK_PACKAGE) && !lex_kind_is_keyword(TK_IDENT));
    CHECK(lex_keyword("contains", 8) == TK_CONTAINS && lex_keyword("contain", 7) == TK_IDENT);

    arena_free(&a);
    return TEST_SUMMARY();
}
