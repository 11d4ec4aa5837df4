/* Helpers shared by the text builtins (bi_strings.c, bi_format.c,
 * bi_regex.c): an arena-backed growable text buffer, UTF-8 stepping and
 * the operand checks whose messages OPA spells the same way everywhere.
 * Internal to src/stdlib; implemented in bi_strings.c. */
#ifndef POL_STDLIB_BI_TEXT_H
#define POL_STDLIB_BI_TEXT_H

#include "builtins.h"

#include <string.h>

/* Text under construction in the evaluation arena. Growth doubles and
 * abandons the old storage to the arena, so building n bytes costs at most
 * ~3n bytes of arena. After the first failed allocation the buffer is
 * sticky-failed (oom) and further writes are no-ops; check once at the end
 * through txt_finish.
 *
 * Invariant the inline writers rely on: len <= cap, and cap == len once
 * oom is set, so a failed buffer has no room and every write takes the
 * out-of-line path, which sees oom and does nothing. */
typedef struct txt_buf {
    arena *a;
    char *p;
    size_t len, cap; /* cap excludes the byte kept for the trailing NUL */
    val *slot;       /* txt_init_value: the value's storage, just before p; NULL once p moved */
    bool oom;
} txt_buf;

void txt_init(txt_buf *b, arena *a, size_t hint);
/* As txt_init, for text that txt_finish will publish: the string value is
 * carved from the same arena block as the text (one allocation, not two)
 * as long as the text fits the hint. */
void txt_init_value(txt_buf *b, arena *a, size_t hint);
/* Out-of-line halves of the writers below: grow, then write. */
bool txt_room_grow(txt_buf *b, size_t n);
void txt_put_grow(txt_buf *b, const char *s, size_t n);
void txt_putc_grow(txt_buf *b, char c);
void txt_pad_grow(txt_buf *b, char c, size_t n);

/* The writers are inline because text builtins emit many short pieces
 * (sprintf: a literal run, a quote, a few digits): the common case is one
 * compare and a copy into room the buffer already has. n - 1 < room is
 * false for n == 0 (no copy from a possibly NULL s) and when room is 0. */
static inline void txt_put(txt_buf *b, const char *s, size_t n)
{
    if (n - 1 < b->cap - b->len) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    } else {
        txt_put_grow(b, s, n);
    }
}

/* Room for n more bytes at p + len, for writers that fill the buffer
 * directly and then add what they wrote to len. False (and sticky-failed)
 * when it cannot be had. */
static inline bool txt_room(txt_buf *b, size_t n)
{
    return n <= b->cap - b->len || txt_room_grow(b, n);
}

static inline void txt_putc(txt_buf *b, char c)
{
    if (b->len < b->cap)
        b->p[b->len++] = c;
    else
        txt_putc_grow(b, c);
}

static inline void txt_pad(txt_buf *b, char c, size_t n)
{
    if (n - 1 < b->cap - b->len) {
        memset(b->p + b->len, c, n);
        b->len += n;
    } else {
        txt_pad_grow(b, c, n);
    }
}

void txt_put_cp(txt_buf *b, int32_t cp);     /* UTF-8 encodes one code point */
void txt_put_rego(txt_buf *b, const val *x); /* Rego term syntax (rego_write) */
void txt_put_num(txt_buf *b, const val *x);  /* number as OPA prints it */
/* The finished string value, or NULL when an allocation failed or the text
 * outgrew a string's 32-bit length. */
const val *txt_finish(txt_buf *b);

/* Decodes one code point from s[0..n) (n > 0) and returns its byte length
 * (>= 1). Invalid UTF-8 decodes as U+FFFD of length 1, as Go does, so
 * every loop over a string advances. */
size_t txt_next_cp(const char *s, size_t n, int32_t *cp);
/* Number of code points in s[0..n). */
size_t txt_cp_count(const char *s, size_t n);

/* "name: operand n must be <coll> of <elem>s but got <coll> containing <type>"
 * (OPA's NewOperandElementErr), as POL_EVAL_TYPE. */
bi_status txt_elem_fail(bi_ctx *ctx, const char *name, int n, const val *coll, const char *elem,
                        const val *got);
/* Operand n must be an integral number in int64: OPA's IntOperand errors. */
bi_status txt_int_operand(bi_ctx *ctx, const char *name, int n, const val *x, int64_t *out);

/* For the differential test of glob.match: matches text s[0..n) against
 * glob pat[0..pn) with the direct matcher (fast) or the Pike VM. Returns
 * 1 or 0 (matched or not), -1 (syntax error or arena full), -2 (fast
 * asked, but the glob needs the Pike VM). Implemented in bi_regex.c. */
int glob_test_match(arena *a, const char *pat, size_t pn, const int32_t *delims, uint32_t nd, const char *s,
                    size_t n, bool fast);

/* For the differential test of regex.match's DFA against PCRE2: builds
 * the DFA of pat[0..pn) and runs it on s[0..n). Returns 1 or 0 (match or
 * not), -2 (the pattern gets no DFA), -3 (the DFA does not take this
 * subject). Implemented in bi_regex.c. */
int rx_test_dfa(arena *a, const char *pat, size_t pn, const char *s, size_t n);
/* Whether pat's DFA takes the chain form (1), another (0), or none (-2). */
int rx_test_dfa_chain(arena *a, const char *pat, size_t pn);
/* For the differential test of a chain's two runners: when pat's DFA is a
 * chain that accepts subjects of length n, stores the link tables' answer
 * on s[0..n) in *tables and, when the link ranges take the subject too,
 * theirs in *ranges and returns 1; 0: tables only; -1: neither. */
int rx_test_chain_paths(arena *a, const char *pat, size_t pn, const char *s, size_t n, int *tables,
                        int *ranges);

/* For the differential test of sprintf's prepared formats: 1 when format
 * s[0..n) gets a plan (fmt_plan_build), 0 when every call takes the
 * general path (or arena a is full). Implemented in bi_format.c. */
int fmt_test_planned(arena *a, const char *s, size_t n);
/* For the tests of sprintf's direct writer: formats the array arr with
 * format s[0..n) (its plan built in arena a) by that writer alone.
 * Returns 1 with *out when it took the call, 0 when it left the call to
 * the general path, -1 when the format gets no plan. */
int fmt_test_direct(arena *a, const char *s, size_t n, const val *arr, const val **out);
/* For the differential test of the two readers of a NUM_BIG's text:
 * fmt_number_text_fast (fast true; -1 when it declines) or
 * fmt_number_text, with the digits into dig[0..*nd) (dig: 32 bytes). */
int fmt_test_number_text(const char *t, size_t n, bool fast, char *dig, size_t *nd, int *dp);

#endif
