/* regex.*, glob.match, glob.quote_meta, regex.globs_match.
 *
 * Regular expressions run on PCRE2 (UTF mode, $ matching only at the very
 * end as in Go's RE2 syntax). OPA uses Go's regexp; the syntaxes agree on
 * everything RE2 accepts except that PCRE2 also accepts more (backreferences,
 * lookaround), which we do not reject. Iteration over matches (find_n,
 * split, replace) reproduces Go's rules for empty matches.
 *
 * Allocation: patterns are compiled once per context into its pattern
 * cache (a block set aside at pol_ctx_new; regexes are JIT-compiled there,
 * once, and the JIT's pages are released with the context), so a pattern
 * from the policy or from data costs a lookup per decision. When the cache
 * is full, a pattern compiles into ctx->arena for the one call, through a
 * general context whose free does nothing (the arena is released with the
 * evaluation), without JIT. Work is bounded by the context's match and
 * depth limits.
 *
 * regex.match on a pattern of a simple subset shared by RE2 and PCRE2
 * answers from a DFA built next to the PCRE2 code (see rx_dfa); other
 * patterns and the other builtins run PCRE2, through pcre2_jit_match when
 * the subject is known-valid UTF-8 and the pattern JIT-compiled.
 *
 * glob.match compiles the pattern (gobwas/glob syntax) into a small
 * instruction list, cached the same way, and runs it as a Pike VM over
 * code points: time O(pattern × text), no backtracking blow-up. Globs of
 * literals, `?`, `*` and `**` only (most) take a direct matcher instead
 * (glob_fast_run), with the same bound and no memory. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "bi_text.h"

#include <pcre2.h>
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

/* Defaults when the context leaves the limits at 0 (see bi_ctx). */
enum { RX_DEFAULT_MATCH_LIMIT = 1000000, RX_DEFAULT_DEPTH_LIMIT = 10000 };

static void *rx_arena_malloc(PCRE2_SIZE n, void *data)
{
    return arena_alloc((arena *)data, n);
}

static void rx_arena_free(void *p, void *data)
{
    (void)p; /* the arena owns everything until the evaluation ends */
    (void)data;
}

typedef struct rx_dfa rx_dfa;

typedef struct rx {
    pcre2_code *code;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    uint32_t ncap;     /* capture groups, excluding group 0 */
    bool jit;          /* code is JIT-compiled: pcre2_jit_match may run it */
    const rx_dfa *dfa; /* regex.match's shortcut, or NULL */
    /* The subject the caller passes to every rx_search is valid UTF-8
     * (rx_check_subject), so PCRE2 need not validate it again per call. */
    bool subject_valid;
} rx;

static pcre2_general_context *rx_gctx(bi_ctx *ctx)
{
    if (ctx->pcre_gctx)
        return ctx->pcre_gctx;
    return pcre2_general_context_create(rx_arena_malloc, rx_arena_free, ctx->arena);
}

/* ---- regex.match without PCRE2: a DFA for simple patterns ----------------- */

/* regex.match only asks whether the subject holds a match, a question of
 * membership in a regular language, which a DFA answers in a few
 * instructions per byte with no match limit to enforce; PCRE2's JIT spends
 * some hundreds per call before and after the match itself. Patterns in a
 * small subset where Go's RE2 syntax and PCRE2 agree byte for byte get a
 * DFA next to their PCRE2 code (which still decides validity and serves
 * every other builtin):
 *   ASCII literals; escaped ASCII punctuation; \d \w \D \W; `.`;
 *   [classes] of ASCII characters, ranges, escaped punctuation, \d \w,
 *   optionally negated; groups ( ) and (?: ); `|`; * + ? {m} {m,} {m,n}
 *   (m, n <= 1000), each optionally lazy (laziness does not change the
 *   language); ^ as the first and $ as the last character when there is
 *   no top-level `|`.
 * Everything else (\s, which PCRE2 widens by \v; flags; assertions;
 * non-ASCII literals; …) keeps PCRE2. The construction is Glushkov's: one
 * position per character-matching atom (a counted repeat is parsed again
 * for each copy, x{m,n} being x^m (x?)^(n-m)), at most 64 so position sets
 * are words; then subset construction over byte classes, at most
 * RX_DFA_MAX_STATES states. Positions that can match a non-ASCII code
 * point (`.`, negations) count code points, so such DFAs only take ASCII
 * subjects; the others see a non-ASCII byte as a symbol no position
 * matches. Checked against PCRE2 by a differential test. */
enum {
    RX_DFA_MAX_POS = 64,
    RX_DFA_MAX_STATES = 128,
    RX_DFA_MAX_REPEAT = 1000,
    RX_DFA_PARSE_BUDGET = 4096,
    RX_DFA_MAX_DEPTH = 32, /* nested groups: the parser recurses per group */
};
_Static_assert((RX_DFA_MAX_STATES + 1) * (129 + 1) <= UINT16_MAX, "DFA row offsets fit trans entries");

/* A chain's link tables take 256 bytes per link: chains of at most 64
 * links (16 KiB, of the context's 1 MiB pattern cache) get them, longer
 * ones keep the transition table alone. ID formats are far shorter: an
 * IBAN's chain has 34 links. */
enum { RX_CHAIN_MAX_LEN = 64 };
/* A link table's entry: the byte is ASCII, and ASCII the link allows. A
 * subject matches when every byte's entry has both. Bytes >= 0x80 have
 * neither: such a subject is left to the full path, which must tell
 * invalid UTF-8 (an error, from PCRE2) from a mere mismatch. */
enum { RX_CHAIN_ASCII = 2, RX_CHAIN_BOTH = 3 };
/* A chain whose every link allows a union of at most this many ASCII
 * byte ranges (ID formats: [A-Z], [A-Z0-9], [0-9a-f], a literal) also
 * gets its links as ranges, which test 16 bytes in a few vector
 * operations per range (rx_chain_ranges). */
enum { RX_CHAIN_MAX_RANGES = 3 };

/* A state is named by its row's offset in trans, and rows are laid out so
 * that the offset is odd exactly when the bytes read so far end with a
 * match (a row is moved on by one entry where its parity must change): the
 * matching loop is then one class load, one add and one table load per
 * byte, with neither a multiplication, a shift nor a second table. A state
 * from which no match can follow loops to itself. */
typedef struct rx_dfa {
    uint8_t cls[256];      /* byte -> symbol class */
    const uint16_t *trans; /* [row offset + class] -> state */
    uint16_t start;        /* the start state */
    bool anchored_end;     /* `$`: only acceptance at the end counts */
    bool ascii_only;       /* some position matches non-ASCII code points */
    /* A chain (anchored at both ends, every state with at most one live
     * successor, no cycle: fixed and counted repetitions, like ID and
     * account-number formats): the state after i bytes can only be the
     * i-th of the chain, so a subject matches when its length ends on an
     * accepting link and each byte is one its link allows. Each link has
     * a table over all 256 bytes, so a byte costs one load and one AND,
     * independent of the other bytes, with neither a class lookup nor a
     * chain of dependent loads, and the same AND sees non-ASCII bytes.
     * NULL: not a chain (or one longer than RX_CHAIN_MAX_LEN). */
    const uint8_t *chain_allow;  /* [link * 256 + byte]: RX_CHAIN_* bits */
    const uint8_t *chain_accept; /* [length]: 1 when a subject of that length may match */
    uint16_t chain_len;          /* links: the longest subject that can match */
    uint16_t ncls;
    /* The chain's links as ranges (NULL: some link is not a union of 1 to
     * RX_CHAIN_MAX_RANGES ASCII ranges lo .. lo + width): byte b passes
     * link i when for some r < chain_nranges, with j = r * chain_len + i,
     * (int8_t)(b + chain_bias[j]) < (int8_t)chain_below[j], where bias =
     * 0x80 - lo and below = -127 + width; links with fewer ranges repeat
     * their last. Exactly the bytes whose chain_allow entry is
     * RX_CHAIN_BOTH pass: a byte >= 0x80 never does, as b + bias is then
     * at least -lo as a signed byte, and -lo >= -127 + width for a range
     * that ends by 0x7F. */
    const uint8_t *chain_bias, *chain_below;
    uint32_t chain_nranges;
} rx_dfa;

typedef struct dfa_frag {
    uint64_t first, last;
    bool nullable;
} dfa_frag;

typedef struct dfa_parse {
    const char *p;
    size_t n, i;
    uint32_t npos, budget, depth;
    bool fail, wide; /* wide: some position matches non-ASCII */
    uint64_t follow[RX_DFA_MAX_POS];
    uint64_t set[RX_DFA_MAX_POS][2]; /* ASCII members of each position's class */
} dfa_parse;

static bool dfa_punct(char c)
{
    return c > 0x20 && c < 0x7f &&
           !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

static void dfa_set_add(uint64_t set[2], unsigned lo, unsigned hi)
{
    for (unsigned c = lo; c <= hi; c++)
        set[c >> 6] |= 1ull << (c & 63);
}

static void dfa_set_word(uint64_t set[2], bool digits_only)
{
    dfa_set_add(set, '0', '9');
    if (!digits_only) {
        dfa_set_add(set, 'A', 'Z');
        dfa_set_add(set, 'a', 'z');
        dfa_set_add(set, '_', '_');
    }
}

static dfa_frag dfa_position(dfa_parse *d, const uint64_t set[2], bool negated)
{
    dfa_frag f = {0, 0, false};
    if (d->npos == RX_DFA_MAX_POS) {
        d->fail = true;
        return f;
    }
    uint32_t pos = d->npos++;
    d->set[pos][0] = negated ? ~set[0] : set[0];
    d->set[pos][1] = negated ? ~set[1] : set[1];
    d->wide = d->wide || negated;
    d->follow[pos] = 0;
    f.first = f.last = 1ull << pos;
    return f;
}

static void dfa_link(dfa_parse *d, uint64_t from, uint64_t to)
{
    for (; from; from &= from - 1)
        d->follow[__builtin_ctzll(from)] |= to;
}

static dfa_frag dfa_concat(dfa_parse *d, dfa_frag a, dfa_frag b)
{
    dfa_link(d, a.last, b.first);
    dfa_frag f = {a.first | (a.nullable ? b.first : 0), b.last | (b.nullable ? a.last : 0),
                  a.nullable && b.nullable};
    return f;
}

static dfa_frag dfa_alt(dfa_parse *d, bool top, bool *top_alt);

/* A bracket expression after its '['. */
static dfa_frag dfa_class(dfa_parse *d)
{
    uint64_t set[2] = {0, 0};
    bool neg = d->i < d->n && d->p[d->i] == '^';
    if (neg)
        d->i++;
    if (d->i >= d->n || d->p[d->i] == ']') {
        d->fail = true; /* "[]a]" and "[^]a]": spelled differently in Go and PCRE2 */
        return (dfa_frag){0, 0, false};
    }
    while (d->i < d->n && d->p[d->i] != ']' && !d->fail) {
        unsigned char c = (unsigned char)d->p[d->i++];
        if (c >= 0x80 || c == '[') {
            d->fail = true;
            break;
        }
        if (c == '\\') {
            char e = d->i < d->n ? d->p[d->i++] : '\0';
            if (e == 'd' || e == 'w') {
                dfa_set_word(set, e == 'd');
                continue;
            }
            if (!dfa_punct(e)) {
                d->fail = true;
                break;
            }
            c = (unsigned char)e;
        }
        if (d->i + 1 < d->n && d->p[d->i] == '-' && d->p[d->i + 1] != ']') {
            unsigned char hi = (unsigned char)d->p[d->i + 1];
            d->i += 2;
            if (hi == '\\') {
                hi = d->i < d->n ? (unsigned char)d->p[d->i++] : 0;
                if (!dfa_punct((char)hi))
                    hi = 0;
            } else if (hi >= 0x80 || hi == '[') {
                hi = 0;
            }
            if (hi == 0 || hi < c) {
                d->fail = true;
                break;
            }
            dfa_set_add(set, c, hi);
        } else {
            dfa_set_add(set, c, c);
        }
    }
    if (d->i >= d->n) {
        d->fail = true;
        return (dfa_frag){0, 0, false};
    }
    d->i++; /* ']' */
    return dfa_position(d, set, neg);
}

static dfa_frag dfa_atom(dfa_parse *d)
{
    dfa_frag none = {0, 0, false};
    if (d->budget-- == 0) {
        d->fail = true;
        return none;
    }
    unsigned char c = (unsigned char)d->p[d->i++];
    uint64_t set[2] = {0, 0};
    switch (c) {
    case '(': {
        if (d->i < d->n && d->p[d->i] == '?') {
            if (d->i + 1 < d->n && d->p[d->i + 1] == ':') {
                d->i += 2;
            } else {
                d->fail = true;
                return none;
            }
        }
        if (++d->depth > RX_DFA_MAX_DEPTH) {
            d->fail = true;
            return none;
        }
        dfa_frag f = dfa_alt(d, false, NULL);
        d->depth--;
        if (d->i >= d->n || d->p[d->i] != ')') {
            d->fail = true;
            return none;
        }
        d->i++;
        return f;
    }
    case '[': return dfa_class(d);
    case '.':
        /* every code point but '\n' (PCRE2 with its default newline, as Go) */
        set[0] = 1ull << '\n';
        return dfa_position(d, set, true);
    case '\\': {
        char e = d->i < d->n ? d->p[d->i++] : '\0';
        if (e == 'd' || e == 'w' || e == 'D' || e == 'W') {
            dfa_set_word(set, e == 'd' || e == 'D');
            return dfa_position(d, set, e == 'D' || e == 'W');
        }
        if (!dfa_punct(e)) {
            d->fail = true;
            return none;
        }
        c = (unsigned char)e;
        break;
    }
    default:
        if (c >= 0x80 || strchr("*+?{}])|^$", c)) {
            d->fail = true;
            return none;
        }
        break;
    }
    dfa_set_add(set, c, c);
    return dfa_position(d, set, false);
}

/* Parses a decimal repeat count at d->i; false when absent or too big. */
static bool dfa_count(dfa_parse *d, uint32_t *out)
{
    size_t start = d->i;
    uint32_t v = 0;
    while (d->i < d->n && d->p[d->i] >= '0' && d->p[d->i] <= '9' && v <= RX_DFA_MAX_REPEAT)
        v = v * 10 + (uint32_t)(d->p[d->i++] - '0');
    *out = v;
    return d->i > start && v <= RX_DFA_MAX_REPEAT;
}

/* An atom and its quantifier. A counted repeat re-parses the atom for
 * each further copy, giving each copy its own positions. */
static dfa_frag dfa_repeat(dfa_parse *d)
{
    size_t at = d->i;
    dfa_frag f = dfa_atom(d);
    if (d->fail || d->i >= d->n)
        return f;
    char q = d->p[d->i];
    uint32_t lo, hi;
    if (q == '*' || q == '+' || q == '?') {
        d->i++;
        lo = q == '+' ? 1 : 0;
        hi = q == '?' ? 1 : UINT32_MAX;
    } else if (q == '{') {
        d->i++;
        if (!dfa_count(d, &lo)) {
            d->fail = true;
            return f;
        }
        hi = lo;
        if (d->i < d->n && d->p[d->i] == ',') {
            d->i++;
            hi = UINT32_MAX;
            if (d->i < d->n && d->p[d->i] != '}' && (!dfa_count(d, &hi) || hi < lo)) {
                d->fail = true;
                return f;
            }
        }
        if (d->i >= d->n || d->p[d->i] != '}') {
            d->fail = true;
            return f;
        }
        d->i++;
    } else {
        return f;
    }
    size_t after = d->i;
    if (after < d->n && d->p[after] == '?')
        after++; /* lazy: the same language */
    if (after < d->n && strchr("*+?{", d->p[after])) {
        d->fail = true; /* possessive or nested repeats: PCRE2 and Go differ */
        return f;
    }
    /* The copies: f is the first; x{lo,hi} = x^lo (x?)^(hi-lo), x{lo,} = x^lo x*. */
    dfa_frag all = {0, 0, true};
    uint32_t copies = hi == UINT32_MAX ? (lo > 0 ? lo : 1) : hi;
    for (uint32_t k = 0; k < copies && !d->fail; k++) {
        dfa_frag x = f;
        if (k > 0) {
            d->i = at;
            x = dfa_atom(d);
        }
        if (k >= lo) {
            if (hi == UINT32_MAX)
                dfa_link(d, x.last, x.first);
            x.nullable = true;
        } else if (hi == UINT32_MAX && k + 1 == lo) {
            dfa_link(d, x.last, x.first); /* x{lo,}: the last required copy repeats */
        }
        all = dfa_concat(d, all, x);
    }
    if (copies == 0)
        all = (dfa_frag){0, 0, true}; /* x{0} or x{0,0}: f's positions stay unreachable */
    d->i = after;
    return all;
}

static dfa_frag dfa_alt(dfa_parse *d, bool top, bool *top_alt)
{
    dfa_frag acc = {0, 0, true};
    bool have = false;
    for (;;) {
        dfa_frag seq = {0, 0, true};
        while (!d->fail && d->i < d->n && d->p[d->i] != '|' && d->p[d->i] != ')') {
            if (top && d->p[d->i] == '$' && d->i + 1 == d->n)
                break; /* the end anchor, taken by the caller */
            seq = dfa_concat(d, seq, dfa_repeat(d));
        }
        if (d->fail)
            return acc;
        acc =
            have ? (dfa_frag){acc.first | seq.first, acc.last | seq.last, acc.nullable || seq.nullable} : seq;
        have = true;
        if (d->i < d->n && d->p[d->i] == '|') {
            d->i++;
            if (top)
                *top_alt = true;
            continue;
        }
        return acc;
    }
}

/* Fills dfa's chain range fields from its link tables when every link
 * allows 1 to RX_CHAIN_MAX_RANGES ranges of bytes (see rx_dfa); false
 * only when the arena is full. */
static bool dfa_chain_ranges(rx_dfa *dfa, arena *a)
{
    uint32_t len = dfa->chain_len, nranges = 1;
    dfa->chain_bias = dfa->chain_below = NULL;
    dfa->chain_nranges = 0;
    if (len == 0)
        return true;
    uint8_t *bias = arena_alloc(a, (size_t)len * RX_CHAIN_MAX_RANGES),
            *below = arena_alloc(a, (size_t)len * RX_CHAIN_MAX_RANGES);
    if (!bias || !below)
        return false;
    for (uint32_t i = 0; i < len; i++) {
        const uint8_t *t = dfa->chain_allow + (size_t)i * 256;
        uint32_t r = 0;
        for (unsigned b = 0; b < 0x80; b++) {
            if (t[b] != RX_CHAIN_BOTH || (b > 0 && t[b - 1] == RX_CHAIN_BOTH))
                continue; /* only where a range starts */
            if (r == RX_CHAIN_MAX_RANGES)
                return true;
            unsigned e = b;
            while (e + 1 < 0x80 && t[e + 1] == RX_CHAIN_BOTH)
                e++;
            bias[r * len + i] = (uint8_t)(0x80 - b);
            below[r * len + i] = (uint8_t)(0x81 + (e - b)); /* -127 + width */
            r++;
        }
        if (r == 0)
            return true; /* only non-ASCII bytes lead on */
        nranges = r > nranges ? r : nranges;
        for (; r < RX_CHAIN_MAX_RANGES; r++) {
            bias[r * len + i] = bias[(r - 1) * len + i];
            below[r * len + i] = below[(r - 1) * len + i];
        }
    }
    dfa->chain_bias = bias;
    dfa->chain_below = below;
    dfa->chain_nranges = nranges;
    return true;
}

/* Fills dfa's chain fields when the automaton is one (see rx_dfa); false
 * only when the arena is full. State 0 is the start; with both anchors the
 * empty position set after the start is the dead state. */
static bool dfa_chain(rx_dfa *dfa, arena *a, const uint8_t *next_state, const bool *accept, uint32_t nstates,
                      const uint64_t *states)
{
    uint32_t ncls = dfa->ncls, dead = UINT32_MAX;
    for (uint32_t s = 1; s < nstates && dead == UINT32_MAX; s++)
        if (states[s] == 0)
            dead = s;
    uint8_t link[RX_DFA_MAX_STATES + 2];
    bool seen[RX_DFA_MAX_STATES + 1] = {false};
    uint32_t len = 0, s = 0;
    link[0] = 0;
    seen[0] = true;
    for (;;) {
        uint32_t succ = UINT32_MAX;
        for (uint32_t k = 0; k < ncls; k++) {
            uint32_t t = next_state[s * ncls + k];
            if (t == dead || t == succ)
                continue;
            if (succ != UINT32_MAX)
                return true; /* two live successors */
            succ = t;
        }
        if (succ == UINT32_MAX)
            break; /* the end of the chain */
        if (seen[succ])
            return true; /* a cycle: subjects of any length */
        seen[succ] = true;
        link[++len] = (uint8_t)succ;
        s = succ;
    }
    if (len > RX_CHAIN_MAX_LEN)
        return true; /* the transition table serves it */
    uint8_t *allow = arena_alloc(a, (size_t)len * 256 + 1), *acc = arena_alloc(a, (size_t)len + 1);
    if (!allow || !acc)
        return false;
    for (uint32_t i = 0; i < len; i++)
        for (unsigned b = 0; b < 256; b++)
            allow[i * 256 + b] = b >= 0x80                                                 ? 0
                                 : next_state[link[i] * ncls + dfa->cls[b]] == link[i + 1] ? RX_CHAIN_BOTH
                                                                                           : RX_CHAIN_ASCII;
    for (uint32_t i = 0; i <= len; i++)
        acc[i] = accept[link[i]];
    dfa->chain_allow = allow;
    dfa->chain_accept = acc;
    dfa->chain_len = (uint16_t)len;
    return dfa_chain_ranges(dfa, a);
}

/* Builds the DFA of pattern p[0..n) into a, or returns NULL (outside the
 * subset, too many positions or states, or out of memory; a failed build
 * may leave a few bytes behind in a). */
static const rx_dfa *rx_dfa_build(arena *a, const char *p, size_t n)
{
    dfa_parse d;
    memset(&d, 0, sizeof d);
    d.p = p;
    d.n = n;
    d.budget = RX_DFA_PARSE_BUDGET;
    bool anchored_start = n > 0 && p[0] == '^';
    d.i = anchored_start ? 1 : 0;
    bool top_alt = false;
    dfa_frag f = dfa_alt(&d, true, &top_alt);
    bool anchored_end = d.i + 1 == n && p[d.i] == '$';
    if (anchored_end)
        d.i++;
    if (d.fail || d.i != n || ((anchored_start || anchored_end) && top_alt))
        return NULL;
    if (d.wide) {
        uint32_t nl = 0;
        if (pcre2_config(PCRE2_CONFIG_NEWLINE, &nl) < 0 || nl != PCRE2_NEWLINE_LF)
            return NULL; /* `.` would exclude other line ends */
    }

    /* Symbols: bytes whose position sets agree share a class. Non-ASCII
     * bytes are one symbol no position matches (ASCII-only DFAs never
     * see one). */
    uint64_t mask[129];
    for (unsigned c = 0; c < 128; c++) {
        mask[c] = 0;
        for (uint32_t q = 0; q < d.npos; q++)
            if (d.set[q][c >> 6] >> (c & 63) & 1)
                mask[c] |= 1ull << q;
    }
    mask[128] = 0;
    rx_dfa local, *dfa = &local;
    uint64_t cls_mask[129];
    uint32_t ncls = 0;
    for (unsigned c = 0; c < 129; c++) {
        uint32_t k = 0;
        while (k < ncls && cls_mask[k] != mask[c])
            k++;
        if (k == ncls)
            cls_mask[ncls++] = mask[c];
        if (c < 128)
            dfa->cls[c] = (uint8_t)k;
        else
            memset(dfa->cls + 128, (int)k, 128);
    }

    /* Subset construction. A state is the set of positions just matched,
     * plus "at the start" for the start state (index 0); unanchored, the
     * start's successors stay open to f.first at every step, so every
     * empty set is the start state. Anchored at the start, the empty set
     * after it is the dead state. */
    uint64_t states[RX_DFA_MAX_STATES + 1];
    uint8_t next_state[(RX_DFA_MAX_STATES + 1) * 129];
    bool accept[RX_DFA_MAX_STATES + 1];
    uint32_t nstates = 1;
    states[0] = 0;
    for (uint32_t s = 0; s < nstates; s++) {
        bool open = s == 0 || !anchored_start;
        uint64_t reach = open ? f.first : 0;
        for (uint64_t m = states[s]; m; m &= m - 1)
            reach |= d.follow[__builtin_ctzll(m)];
        accept[s] = (states[s] & f.last) != 0 || (f.nullable && open);
        for (uint32_t k = 0; k < ncls; k++) {
            uint64_t next = reach & cls_mask[k];
            uint32_t t = anchored_start ? 1 : 0;
            while (t < nstates && states[t] != next)
                t++;
            if (t == nstates) {
                if (nstates > RX_DFA_MAX_STATES)
                    return NULL;
                states[nstates++] = next;
            }
            next_state[s * ncls + k] = (uint8_t)t;
        }
    }
    uint16_t row[RX_DFA_MAX_STATES + 1];
    uint32_t size = 0;
    for (uint32_t s = 0; s < nstates; s++) {
        size += (size & 1) != accept[s];
        row[s] = (uint16_t)size;
        size += ncls;
    }
    uint16_t *tr = arena_alloc(a, sizeof(uint16_t) * size);
    if (!tr)
        return NULL;
    dfa->chain_allow = dfa->chain_accept = NULL;
    dfa->chain_len = 0;
    dfa->chain_bias = dfa->chain_below = NULL;
    dfa->chain_nranges = 0;
    dfa->ncls = (uint16_t)ncls;
    if (anchored_start && anchored_end && !dfa_chain(dfa, a, next_state, accept, nstates, states))
        return NULL;
    for (uint32_t s = 0; s < nstates; s++)
        for (uint32_t k = 0; k < ncls; k++)
            tr[row[s] + k] = row[next_state[s * ncls + k]];
    dfa->trans = tr;
    dfa->start = row[0];
    dfa->anchored_end = anchored_end;
    dfa->ascii_only = d.wide;
    rx_dfa *out = arena_alloc(a, sizeof *out);
    if (out)
        *out = local;
    return out;
}

/* Whether s[0..n) holds a match. */
static bool rx_dfa_run(const rx_dfa *dfa, const char *s, size_t n)
{
    const uint16_t *trans = dfa->trans;
    const uint8_t *cls = dfa->cls;
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    uint32_t t = dfa->start;
    if (dfa->anchored_end) {
        /* unrolled: the loop's own bookkeeping is most of a byte's cost */
        for (; end - p >= 4; p += 4) {
            t = trans[t + cls[p[0]]];
            t = trans[t + cls[p[1]]];
            t = trans[t + cls[p[2]]];
            t = trans[t + cls[p[3]]];
        }
        for (; p < end; p++)
            t = trans[t + cls[*p]];
        return t & 1;
    }
    if (t & 1)
        return true;
    for (; p < end; p++) {
        t = trans[t + cls[*p]];
        if (t & 1)
            return true;
    }
    return false;
}

/* ---- the per-context pattern cache ---------------------------------------- */

/* Regexes and globs share one table, keyed by kind and pattern text. */
#define RX_CACHE_SLOTS 128
/* A pattern is usually the same string value call after call (a constant
 * of the policy or a string of data), so a small table keyed by the
 * address of the pattern's bytes finds its entry without hashing them.
 * The address is only a hint: a hit is confirmed by comparing the text,
 * because an arena string may reuse the address of an earlier one. */
#define RX_RECENT_SLOTS 64

typedef enum pat_kind { PAT_REGEX, PAT_GLOB } pat_kind;

typedef struct gprog gprog;
typedef struct pat_entry {
    uint64_t hash;
    uint32_t len;
    uint8_t kind; /* pat_kind */
    const char *pat;
    pcre2_code *code; /* PAT_REGEX: compiled code, its match data and capture count */
    pcre2_match_data *md;
    uint32_t ncap;
    bool jit;
    const rx_dfa *dfa; /* or NULL */
    const gprog *glob; /* PAT_GLOB */
} pat_entry;

struct rx_cache {
    arena mem; /* the rest of the block: patterns, compiled code, match data */
    pcre2_general_context *g;
    pcre2_match_context *mctx;
    pat_entry e[RX_CACHE_SLOTS];
    uint32_t n;
    uint8_t recent[RX_RECENT_SLOTS]; /* entry index + 1 of the pattern last seen at that address; 0: none */
};

rx_cache *rx_cache_init(void *mem, size_t bytes, uint32_t match_limit, uint32_t depth_limit)
{
    size_t head = (sizeof(rx_cache) + 15) & ~(size_t)15;
    if (!mem || bytes < head + 4096)
        return NULL;
    rx_cache *c = mem;
    memset(c, 0, sizeof *c);
    arena_init_fixed(&c->mem, (unsigned char *)mem + head, bytes - head);
    c->g = pcre2_general_context_create(rx_arena_malloc, rx_arena_free, &c->mem);
    c->mctx = c->g ? pcre2_match_context_create(c->g) : NULL;
    if (!c->mctx)
        return NULL;
    pcre2_set_match_limit(c->mctx, match_limit ? match_limit : RX_DEFAULT_MATCH_LIMIT);
    pcre2_set_depth_limit(c->mctx, depth_limit ? depth_limit : RX_DEFAULT_DEPTH_LIMIT);
    return c;
}

void rx_cache_release(rx_cache *c)
{
    if (!c)
        return;
    /* the code's own memory is the block's; this releases the JIT's pages */
    for (uint32_t i = 0; i < c->n; i++)
        if (c->e[i].kind == PAT_REGEX)
            pcre2_code_free(c->e[i].code);
    c->n = 0;
    memset(c->recent, 0, sizeof c->recent);
}

_Static_assert(RX_CACHE_SLOTS < 256, "rx_cache.recent holds entry indexes in a byte");

static uint32_t pat_recent_slot(const char *p)
{
    /* Fibonacci hashing of the address: the top bits mix all of it. */
    return (uint32_t)(((uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ull) >> 58) % RX_RECENT_SLOTS;
}

static bool pat_is(const pat_entry *e, pat_kind kind, const char *p, size_t n)
{
    return e->kind == kind && e->len == n && memcmp(e->pat, p, n) == 0;
}

/* pat_find past the address hint: by hash. */
static __attribute__((noinline)) const pat_entry *pat_find_hashed(rx_cache *c, pat_kind kind, const char *p,
                                                                  size_t n, uint32_t slot, uint64_t *h)
{
    *h = XXH3_64bits(p, n);
    for (uint32_t i = 0; i < c->n; i++) {
        const pat_entry *e = &c->e[i];
        if (e->hash == *h && pat_is(e, kind, p, n)) {
            c->recent[slot] = (uint8_t)(i + 1);
            return e;
        }
    }
    return NULL;
}

/* The cached entry of pattern p[0..n) of this kind, or NULL with *h set to
 * the text's hash for pat_claim. */
static inline const pat_entry *pat_find(rx_cache *c, pat_kind kind, const char *p, size_t n, uint64_t *h)
{
    uint32_t slot = pat_recent_slot(p);
    uint32_t r = c->recent[slot];
    if (r != 0 && r <= c->n && pat_is(&c->e[r - 1], kind, p, n))
        return &c->e[r - 1];
    return pat_find_hashed(c, kind, p, n, slot, h);
}

/* Commits the entry pat_claim handed out and remembers it for address p. */
static const pat_entry *pat_commit(rx_cache *c, const char *p)
{
    c->recent[pat_recent_slot(p)] = (uint8_t)(c->n + 1);
    return &c->e[c->n++];
}

/* The next free entry, keyed and holding its own copy of the pattern, or
 * NULL (table or memory full). It counts only once the caller commits it
 * with c->n++; until then arena_restore(&c->mem, *mark) undoes it. */
static pat_entry *pat_claim(rx_cache *c, pat_kind kind, uint64_t h, const char *p, size_t n, arena_mark *mark)
{
    if (c->n == RX_CACHE_SLOTS)
        return NULL;
    *mark = arena_save(&c->mem);
    char *pat = arena_alloc(&c->mem, n + 1);
    if (!pat)
        return NULL;
    memcpy(pat, p, n);
    pat[n] = '\0';
    pat_entry *e = &c->e[c->n];
    memset(e, 0, sizeof *e);
    e->hash = h;
    e->len = (uint32_t)n;
    e->kind = (uint8_t)kind;
    e->pat = pat;
    return e;
}

/* rx_entry past the prep slot: the address hint, then the hash, then a
 * compile into the cache; the entry found is recorded in slot (when not
 * NULL) for the next call. */
static __attribute__((noinline)) const pat_entry *rx_entry_slow(bi_ctx *ctx, const void **slot, const char *p,
                                                                size_t n)
{
    rx_cache *c = ctx->rx_cache;
    if (!c || n > UINT32_MAX)
        return NULL;
    uint64_t h = 0;
    const pat_entry *hit = pat_find(c, PAT_REGEX, p, n, &h);
    if (!hit) {
        arena_mark m;
        pat_entry *e = pat_claim(c, PAT_REGEX, h, p, n, &m);
        if (!e)
            return NULL;
        pcre2_compile_context *cc = pcre2_compile_context_create(c->g);
        int err;
        PCRE2_SIZE off;
        pcre2_code *code =
            cc ? pcre2_compile((PCRE2_SPTR)e->pat, n, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off, cc)
               : NULL;
        pcre2_match_data *md = code ? pcre2_match_data_create_from_pattern(code, c->g) : NULL;
        if (!md) {
            if (code)
                pcre2_code_free(code);
            arena_restore(&c->mem, m);
            return NULL;
        }
        /* JIT is an optimisation: a pattern it cannot take still works */
        e->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
        e->dfa = rx_dfa_build(&c->mem, e->pat, n);
        e->code = code;
        e->md = md;
        pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &e->ncap);
        hit = pat_commit(c, p);
    }
    if (slot)
        *slot = hit;
    return hit;
}

/* The cache's entry of regex p[0..n), compiled into the cache on a miss
 * while it has room. NULL: not cached (full, or a syntax error the caller
 * reports). pv, when not NULL, is the string value whose text p is: when
 * it is one of the bundle's constants, its prep slot holds the entry, so
 * after the first call the entry is one table probe away, with no text
 * hashed or compared (entries never move or leave the cache while the
 * context lives, and the slots are the context's own). Inline: that is
 * the common case. */
static inline const pat_entry *rx_entry(bi_ctx *ctx, const val *pv, const char *p, size_t n)
{
    const void **slot = pv && ctx->rx_cache ? bi_prep_slot(ctx, pv, BI_PREP_REGEX) : NULL;
    if (slot && *slot)
        return *slot;
    return rx_entry_slow(ctx, slot, p, n);
}

static void rx_from_entry(const rx_cache *c, const pat_entry *e, rx *out)
{
    out->code = e->code;
    out->md = e->md;
    out->mctx = c->mctx;
    out->ncap = e->ncap;
    out->jit = e->jit;
    out->dfa = e->dfa;
    out->subject_valid = false;
}

/* Compiles pattern p[0..n) (the text of string value pv, or NULL) for
 * builtin `name`. On a syntax error reports
 * "name: error parsing regexp: <reason>: `pattern`" (Go's wording around
 * PCRE2's reason). */
static bi_status rx_compile(bi_ctx *ctx, const char *name, const val *pv, const char *p, size_t n, rx *out)
{
    const pat_entry *e = rx_entry(ctx, pv, p, n);
    if (e) {
        rx_from_entry(ctx->rx_cache, e, out);
        return BI_OK;
    }
    pcre2_general_context *g = rx_gctx(ctx);
    pcre2_compile_context *cc = g ? pcre2_compile_context_create(g) : NULL;
    if (!cc)
        return bi_oom(ctx);
    int err;
    PCRE2_SIZE off;
    out->code = pcre2_compile((PCRE2_SPTR)p, n, PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &err, &off, cc);
    if (!out->code) {
        if (err == PCRE2_ERROR_HEAPLIMIT || err == PCRE2_ERROR_NOMEMORY)
            return bi_oom(ctx);
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(err, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", err);
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: error parsing regexp: %s at offset %zu: `%.*s`", name,
                       (const char *)msg, (size_t)off, (int)(n > 200 ? 200 : n), p);
    }
    pcre2_pattern_info(out->code, PCRE2_INFO_CAPTURECOUNT, &out->ncap);
    out->jit = false;
    out->dfa = NULL;
    out->subject_valid = false;
    out->md = pcre2_match_data_create_from_pattern(out->code, g);
    out->mctx = pcre2_match_context_create(g);
    if (!out->md || !out->mctx)
        return bi_oom(ctx);
    pcre2_set_match_limit(out->mctx,
                          ctx->regex_match_limit ? ctx->regex_match_limit : RX_DEFAULT_MATCH_LIMIT);
    pcre2_set_depth_limit(out->mctx,
                          ctx->regex_depth_limit ? ctx->regex_depth_limit : RX_DEFAULT_DEPTH_LIMIT);
    return BI_OK;
}

static bi_status rx_compile_val(bi_ctx *ctx, const char *name, const val *pat, rx *out)
{
    return rx_compile(ctx, name, pat, pat->u.s, pat->len, out);
}

/* Is s[0..n) ASCII, or else well-formed UTF-8 as PCRE2 defines it (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF)? Strings are not
 * guaranteed to be: base64.decode, hex.decode and pol_make_string carry
 * arbitrary bytes. ASCII, the common case, is checked a word at a time;
 * the rest by utf8proc, which rejects exactly what PCRE2 rejects (and
 * reports U+FFFD of length 1 for an invalid sequence, see txt_next_cp). */
typedef enum rx_subject { RX_SUBJ_INVALID, RX_SUBJ_ASCII, RX_SUBJ_UTF8 } rx_subject;

static inline bool rx_ascii(const char *s, size_t n)
{
    uint64_t any = 0, w;
    if (n >= 8) {
        /* whole words, then the last 8 bytes (overlapping) */
        for (size_t i = 0; i + 8 <= n; i += 8) {
            memcpy(&w, s + i, 8);
            any |= w;
        }
        memcpy(&w, s + n - 8, 8);
        any |= w;
    } else {
        for (size_t i = 0; i < n; i++)
            any |= (unsigned char)s[i];
    }
    return (any & 0x8080808080808080ull) == 0;
}

static __attribute__((noinline)) rx_subject rx_subject_kind_wide(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        int32_t cp;
        size_t k = txt_next_cp(s + i, n - i, &cp);
        if (cp == 0xFFFD && k == 1)
            return RX_SUBJ_INVALID;
        i += k;
    }
    return RX_SUBJ_UTF8;
}

static inline rx_subject rx_subject_kind(const char *s, size_t n)
{
    return rx_ascii(s, n) ? RX_SUBJ_ASCII : rx_subject_kind_wide(s, n);
}

/* rx_chain_run's answer through the link tables, for a subject of a
 * length the chain accepts. */
static inline __attribute__((always_inline)) int rx_chain_tables(const rx_dfa *dfa, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const uint8_t *t = dfa->chain_allow; /* link i's table at t + 256 * i */
    unsigned acc = RX_CHAIN_BOTH;
    size_t i = 0;
    /* the exit also keeps compilers from vectorizing the loop into
     * emulated gathers (gcc 12: over twice the instructions) */
    for (; i + 4 <= n; i += 4, t += 4 * 256) {
        acc &= t[p[i]] & t[256 + p[i + 1]] & t[512 + p[i + 2]] & t[768 + p[i + 3]];
        if (acc != RX_CHAIN_BOTH)
            break;
    }
    if (acc == RX_CHAIN_BOTH) {
        for (; i < n; i++, t += 256)
            acc &= t[p[i]];
        if (acc == RX_CHAIN_BOTH)
            return 1;
    }
    /* a mismatch, or a byte >= 0x80 among s[0..i + 4) */
    return (acc & RX_CHAIN_ASCII) && rx_ascii(s, n) ? 0 : -1;
}

#ifdef __SSE2__
/* rx_chain_ranges for chains of nr ranges a link (a constant where it is
 * inlined, so the range loop unrolls). A range is tested with one add and
 * one signed compare: b + (0x80 - lo) wraps lo .. lo + width onto -128 ..
 * -128 + width, which are exactly the values below -127 + width. */
static inline __attribute__((always_inline)) int rx_chain_ranges_n(const rx_dfa *dfa, const char *s, size_t n,
                                                                   uint32_t nr)
{
    const size_t len = dfa->chain_len;
    const uint8_t *bias = dfa->chain_bias, *below = dfa->chain_below;
    __m128i all = _mm_set1_epi8(-1); /* the bytes that passed in every block so far */
    for (size_t off = 0;; off = off + 32 <= n ? off + 16 : n - 16) {
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(s + off)), pass = _mm_setzero_si128();
        for (uint32_t r = 0; r < nr; r++) {
            __m128i k = _mm_loadu_si128((const __m128i *)(const void *)(bias + r * len + off));
            __m128i t = _mm_loadu_si128((const __m128i *)(const void *)(below + r * len + off));
            pass = _mm_or_si128(pass, _mm_cmpgt_epi8(t, _mm_add_epi8(d, k)));
        }
        all = _mm_and_si128(all, pass);
        if (off + 16 == n)
            break;
    }
    if (_mm_movemask_epi8(all) == 0xFFFF)
        return 1;
    /* a byte failed: a mismatch, or a byte >= 0x80 (which never passes) */
    return rx_ascii(s, n) ? 0 : -1;
}

/* Bytes at[0..8) and at[m - 8..m) (m >= 8) as one vector, low half first. */
static inline __m128i rx_halves(const uint8_t *at, size_t m)
{
    return _mm_unpacklo_epi64(_mm_loadl_epi64((const __m128i *)(const void *)at),
                              _mm_loadl_epi64((const __m128i *)(const void *)(at + m - 8)));
}

/* rx_chain_ranges_n for subjects of 8 to 15 bytes: their first and last
 * eight bytes (overlapping) against the links of those positions. */
static inline __attribute__((always_inline)) int rx_chain_ranges8_n(const rx_dfa *dfa, const char *s,
                                                                    size_t n, uint32_t nr)
{
    const size_t len = dfa->chain_len;
    __m128i d = rx_halves((const uint8_t *)s, n), pass = _mm_setzero_si128();
    for (uint32_t r = 0; r < nr; r++) {
        __m128i k = rx_halves(dfa->chain_bias + r * len, n), t = rx_halves(dfa->chain_below + r * len, n);
        pass = _mm_or_si128(pass, _mm_cmpgt_epi8(t, _mm_add_epi8(d, k)));
    }
    if (_mm_movemask_epi8(pass) == 0xFFFF)
        return 1;
    return rx_ascii(s, n) ? 0 : -1;
}

/* rx_chain_run's answer through the link ranges (chain_bias set), for a
 * subject of a length the chain accepts and of at least 8 bytes (below
 * 16: rx_chain_ranges8_n); blocks
 * of 16 bytes from the start, the last one overlapping its predecessor so
 * it ends at n (off + 16 <= n <= chain_len keeps the range loads inside
 * the tables). -1 when any byte is >= 0x80, as rx_chain_tables. */
static inline __attribute__((always_inline)) int rx_chain_ranges(const rx_dfa *dfa, const char *s, size_t n)
{
    _Static_assert(RX_CHAIN_MAX_RANGES == 3, "one case per range count");
    if (n < 16) {
        switch (dfa->chain_nranges) {
        case 1: return rx_chain_ranges8_n(dfa, s, n, 1);
        case 2: return rx_chain_ranges8_n(dfa, s, n, 2);
        default: return rx_chain_ranges8_n(dfa, s, n, 3);
        }
    }
    switch (dfa->chain_nranges) {
    case 1: return rx_chain_ranges_n(dfa, s, n, 1);
    case 2: return rx_chain_ranges_n(dfa, s, n, 2);
    default: return rx_chain_ranges_n(dfa, s, n, 3);
    }
}
#endif

/* Whether s[0..n) holds a match, for a chain DFA (chain_allow set): 1 or
 * 0 when s is ASCII and of a length some match has, else -1 (rx_dfa_run
 * after the subject's check decides: non-ASCII may be invalid UTF-8, an
 * error). Inline: regex.match's common case is this and a table probe. */
static inline __attribute__((always_inline)) int rx_chain_run(const rx_dfa *dfa, const char *s, size_t n)
{
    if (n > dfa->chain_len || !dfa->chain_accept[n])
        return -1;
#ifdef __SSE2__
    if (n >= 8 && dfa->chain_bias)
        return rx_chain_ranges(dfa, s, n);
#endif
    return rx_chain_tables(dfa, s, n);
}

/* Declares s[0..n) the subject of r's following searches. */
static void rx_check_subject(rx *r, const char *s, size_t n)
{
    r->subject_valid = rx_subject_kind(s, n) != RX_SUBJ_INVALID;
}

/* One search from `start` (<= n). Returns BI_OK with *found and the
 * ovector, or BI_ERR (limits, memory, invalid UTF-8 subject).
 *
 * A valid subject skips PCRE2's own UTF check, and a JIT-compiled pattern
 * is run by pcre2_jit_match, which skips pcre2_match's argument checks
 * (all hold here: code, match data and context are set, start <= n) but
 * still takes the match limit from r->mctx, and its backtracking is
 * bounded by the JIT stack (PCRE2's 32 KiB on the machine stack: no JIT
 * stack is assigned), as it is when pcre2_match hands over to JIT. */
static bi_status rx_search(bi_ctx *ctx, const char *name, rx *r, const char *s, size_t n, size_t start,
                           bool *found, PCRE2_SIZE **ov)
{
    *found = false;
    int rc;
    if (r->subject_valid && r->jit)
        rc = pcre2_jit_match(r->code, (PCRE2_SPTR)s, n, start, 0, r->md, r->mctx);
    else
        rc = pcre2_match(r->code, (PCRE2_SPTR)s, n, start, r->subject_valid ? PCRE2_NO_UTF_CHECK : 0, r->md,
                         r->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return BI_OK;
    if (rc < 0) {
        switch (rc) {
        case PCRE2_ERROR_MATCHLIMIT:
        case PCRE2_ERROR_DEPTHLIMIT:
        case PCRE2_ERROR_HEAPLIMIT:
            return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: regular expression match limit exceeded", name);
        case PCRE2_ERROR_NOMEMORY: return bi_oom(ctx);
        default: {
            PCRE2_UCHAR msg[160];
            if (pcre2_get_error_message(rc, msg, sizeof msg) < 0)
                snprintf((char *)msg, sizeof msg, "error %d", rc);
            return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name, (const char *)msg);
        }
        }
    }
    *found = true;
    *ov = pcre2_get_ovector_pointer(r->md);
    return BI_OK;
}

/* Go's allMatches: successive leftmost matches; after an empty match the
 * search moves one code point on, and an empty match adjacent to the
 * previous match is dropped. Calls visit(ov) for each accepted match, at
 * most `limit` (< 0: unlimited). */
typedef bi_status (*rx_visit)(bi_ctx *ctx, void *env, const PCRE2_SIZE *ov, uint32_t ncap);

static bi_status rx_each(bi_ctx *ctx, const char *name, rx *r, const char *s, size_t n, int64_t limit,
                         rx_visit visit, void *env)
{
    size_t pos = 0;
    int64_t count = 0;
    size_t prev_end = SIZE_MAX;
    rx_check_subject(r, s, n);
    while ((limit < 0 || count < limit) && pos <= n) {
        bool found;
        PCRE2_SIZE *ov = NULL;
        if (rx_search(ctx, name, r, s, n, pos, &found, &ov) != BI_OK)
            return BI_ERR;
        if (!found)
            break;
        size_t m0 = ov[0], m1 = ov[1];
        bool accept = true;
        if (m1 == pos) {
            if (m0 == prev_end)
                accept = false;
            if (pos < n) {
                int32_t cp;
                pos += txt_next_cp(s + pos, n - pos, &cp);
            } else {
                pos = n + 1;
            }
        } else {
            pos = m1;
        }
        prev_end = m1;
        if (accept) {
            if (visit(ctx, env, ov, r->ncap) != BI_OK)
                return BI_ERR;
            count++;
        }
    }
    return BI_OK;
}

#define NEED_STR(name, i)                                                                                    \
    do {                                                                                                     \
        if (args[i]->type != V_STR)                                                                          \
            return bi_type_fail(ctx, name, (i) + 1, "string", args[i]);                                      \
    } while (0)

static bi_status finish_array(bi_ctx *ctx, vbuild *vb, const val **out)
{
    const val *arr = vb->oom ? NULL : vb_finish_array(vb);
    if (!arr)
        return bi_oom(ctx);
    *out = arr;
    return BI_OK;
}

static bool push_str(vbuild *vb, const char *s, size_t n)
{
    const val *v = n ? v_str(vb->a, s, n) : &val_empty_str_c;
    if (!v) {
        vb->oom = true;
        return false;
    }
    return vb_push(vb, v);
}

/* ---- regex.match, re_match, regex.is_valid -------------------------------- */

/* regex_match_named past the chain: the general DFA, else PCRE2. Out of
 * line, so the chain's path saves and restores few registers. */
static __attribute__((noinline)) bi_status
regex_match_full(bi_ctx *ctx, const char *name, const val *const *args, const pat_entry *e, const val **out)
{
    const char *s = args[1]->u.s;
    size_t n = args[1]->len;
    rx_subject kind = rx_subject_kind(s, n);
    if (e && e->dfa && (kind == RX_SUBJ_ASCII || (kind == RX_SUBJ_UTF8 && !e->dfa->ascii_only))) {
        *out = VAL_BOOL(rx_dfa_run(e->dfa, s, n));
        return BI_OK;
    }
    rx r;
    if (e)
        rx_from_entry(ctx->rx_cache, e, &r);
    else if (rx_compile_val(ctx, name, args[0], &r) != BI_OK)
        return BI_ERR;
    bool found;
    PCRE2_SIZE *ov = NULL;
    r.subject_valid = kind != RX_SUBJ_INVALID;
    if (rx_search(ctx, name, &r, s, n, 0, &found, &ov) != BI_OK)
        return BI_ERR;
    *out = VAL_BOOL(found);
    return BI_OK;
}

static inline bi_status regex_match_named(bi_ctx *ctx, const char *name, const val *const *args,
                                          const val **out)
{
    NEED_STR(name, 0);
    NEED_STR(name, 1);
    const pat_entry *e = rx_entry(ctx, args[0], args[0]->u.s, args[0]->len);
    if (e && e->dfa && e->dfa->chain_allow) {
        /* checks the subject is ASCII on the way */
        int chain = rx_chain_run(e->dfa, args[1]->u.s, args[1]->len);
        if (chain >= 0) {
            *out = VAL_BOOL(chain);
            return BI_OK;
        }
    }
    return regex_match_full(ctx, name, args, e, out);
}

int rx_test_dfa_chain(arena *a, const char *pat, size_t pn)
{
    const rx_dfa *dfa = rx_dfa_build(a, pat, pn);
    return dfa ? dfa->chain_allow != NULL : -2;
}

int rx_test_chain_paths(arena *a, const char *pat, size_t pn, const char *s, size_t n, int *tables,
                        int *ranges)
{
    const rx_dfa *dfa = rx_dfa_build(a, pat, pn);
    if (!dfa || !dfa->chain_allow || n > dfa->chain_len || !dfa->chain_accept[n])
        return -1;
    *tables = rx_chain_tables(dfa, s, n);
#ifdef __SSE2__
    if (n >= 8 && dfa->chain_bias) {
        *ranges = rx_chain_ranges(dfa, s, n);
        return 1;
    }
#endif
    return 0;
}

int rx_test_dfa(arena *a, const char *pat, size_t pn, const char *s, size_t n)
{
    const rx_dfa *dfa = rx_dfa_build(a, pat, pn);
    if (!dfa)
        return -2;
    int chain = dfa->chain_allow ? rx_chain_run(dfa, s, n) : -1;
    if (chain >= 0)
        return chain;
    rx_subject kind = rx_subject_kind(s, n);
    if (!(kind == RX_SUBJ_ASCII || (kind == RX_SUBJ_UTF8 && !dfa->ascii_only)))
        return -3;
    return rx_dfa_run(dfa, s, n);
}

bi_status bi_regex_match(bi_ctx *ctx, const val *const *args, const val **out)
{
    return regex_match_named(ctx, "regex.match", args, out);
}

bi_status bi_re_match(bi_ctx *ctx, const val *const *args, const val **out)
{
    return regex_match_named(ctx, "re_match", args, out);
}

/* Never an error: anything but a compilable string is simply not valid. */
bi_status bi_regex_is_valid(bi_ctx *ctx, const val *const *args, const val **out)
{
    if (args[0]->type != V_STR) {
        *out = VAL_FALSE;
        return BI_OK;
    }
    rx r;
    if (rx_compile_val(ctx, "regex.is_valid", args[0], &r) != BI_OK) {
        if (ctx->err_code == POL_LIMIT_ARENA)
            return BI_ERR;
        *out = VAL_FALSE;
        return BI_OK;
    }
    *out = VAL_TRUE;
    return BI_OK;
}

/* ---- regex.find_n, regex.find_all_string_submatch_n, regex.split ------------ */

typedef struct rx_collect {
    vbuild vb;
    const char *s;
    bool submatches;
} rx_collect;

static bi_status rx_collect_match(bi_ctx *ctx, void *env, const PCRE2_SIZE *ov, uint32_t ncap)
{
    rx_collect *c = env;
    if (!c->submatches) {
        push_str(&c->vb, c->s + ov[0], ov[1] - ov[0]);
        return c->vb.oom ? bi_oom(ctx) : BI_OK;
    }
    vbuild inner;
    vb_init(&inner, ctx->arena);
    for (uint32_t g = 0; g <= ncap; g++) {
        /* Unset groups are PCRE2_UNSET; Go reports them as "". */
        if (ov[2 * g] == PCRE2_UNSET)
            push_str(&inner, "", 0);
        else
            push_str(&inner, c->s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
    }
    const val *arr = NULL;
    if (finish_array(ctx, &inner, &arr) != BI_OK)
        return BI_ERR;
    vb_push(&c->vb, arr);
    return c->vb.oom ? bi_oom(ctx) : BI_OK;
}

static bi_status regex_find(bi_ctx *ctx, const char *name, const val *const *args, bool submatches,
                            const val **out)
{
    NEED_STR(name, 0);
    NEED_STR(name, 1);
    int64_t limit;
    if (txt_int_operand(ctx, name, 3, args[2], &limit) != BI_OK)
        return BI_ERR;
    rx r;
    if (rx_compile_val(ctx, name, args[0], &r) != BI_OK)
        return BI_ERR;
    rx_collect c = {.s = args[1]->u.s, .submatches = submatches};
    vb_init(&c.vb, ctx->arena);
    if (limit != 0 &&
        rx_each(ctx, name, &r, args[1]->u.s, args[1]->len, limit, rx_collect_match, &c) != BI_OK)
        return BI_ERR;
    return finish_array(ctx, &c.vb, out);
}

bi_status bi_regex_find_n(bi_ctx *ctx, const val *const *args, const val **out)
{
    return regex_find(ctx, "regex.find_n", args, false, out);
}

bi_status bi_regex_find_all_string_submatch_n(bi_ctx *ctx, const val *const *args, const val **out)
{
    return regex_find(ctx, "regex.find_all_string_submatch_n", args, true, out);
}

typedef struct rx_splitter {
    vbuild vb;
    const char *s;
    size_t beg, end;
} rx_splitter;

static bi_status rx_split_match(bi_ctx *ctx, void *env, const PCRE2_SIZE *ov, uint32_t ncap)
{
    (void)ncap;
    rx_splitter *sp = env;
    sp->end = ov[0];
    if (ov[1] != 0)
        push_str(&sp->vb, sp->s + sp->beg, sp->end - sp->beg);
    sp->beg = ov[1];
    return sp->vb.oom ? bi_oom(ctx) : BI_OK;
}

/* Go's Regexp.Split(s, -1). */
bi_status bi_regex_split(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("regex.split", 0);
    NEED_STR("regex.split", 1);
    const val *s = args[1];
    rx r;
    if (rx_compile_val(ctx, "regex.split", args[0], &r) != BI_OK)
        return BI_ERR;
    rx_splitter sp = {.s = s->u.s};
    vb_init(&sp.vb, ctx->arena);
    if (args[0]->len > 0 && s->len == 0) {
        push_str(&sp.vb, "", 0);
        return finish_array(ctx, &sp.vb, out);
    }
    if (rx_each(ctx, "regex.split", &r, s->u.s, s->len, -1, rx_split_match, &sp) != BI_OK)
        return BI_ERR;
    if (sp.end != s->len)
        push_str(&sp.vb, s->u.s + sp.beg, s->len - sp.beg);
    return finish_array(ctx, &sp.vb, out);
}

/* ---- regex.replace ---------------------------------------------------------- */

static bool rx_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Go's Regexp.Expand: $1, ${1}, $name, ${name}; $$ is a dollar; a '$' not
 * followed by a valid reference is copied literally. Unknown groups expand
 * to nothing. */
static void rx_expand(txt_buf *b, rx *r, const char *tpl, size_t tn, const char *s, const PCRE2_SIZE *ov)
{
    for (size_t i = 0; i < tn;) {
        if (tpl[i] != '$') {
            size_t j = i;
            while (j < tn && tpl[j] != '$')
                j++;
            txt_put(b, tpl + i, j - i);
            i = j;
            continue;
        }
        if (i + 1 < tn && tpl[i + 1] == '$') {
            txt_putc(b, '$');
            i += 2;
            continue;
        }
        size_t j = i + 1;
        bool brace = j < tn && tpl[j] == '{';
        if (brace)
            j++;
        size_t ns = j;
        while (j < tn && rx_name_char(tpl[j]))
            j++;
        size_t ne = j;
        if (ne == ns || (brace && (j >= tn || tpl[j] != '}'))) {
            txt_putc(b, '$'); /* malformed: the '$' is literal text */
            i++;
            continue;
        }
        if (brace)
            j++;
        i = j;
        long group = -1;
        bool digits = true;
        for (size_t k = ns; k < ne; k++)
            digits = digits && tpl[k] >= '0' && tpl[k] <= '9';
        if (digits) {
            group = 0;
            for (size_t k = ns; k < ne && group <= 100000; k++)
                group = group * 10 + (tpl[k] - '0');
        } else {
            char name[64];
            if (ne - ns < sizeof name) {
                memcpy(name, tpl + ns, ne - ns);
                name[ne - ns] = '\0';
                int g = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)name);
                group = g > 0 ? g : -1;
            }
        }
        if (group >= 0 && (uint32_t)group <= r->ncap && ov[2 * group] != PCRE2_UNSET)
            txt_put(b, s + ov[2 * group], ov[2 * group + 1] - ov[2 * group]);
    }
}

/* Go's Regexp.ReplaceAllString. */
bi_status bi_regex_replace(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("regex.replace", 0);
    NEED_STR("regex.replace", 1);
    NEED_STR("regex.replace", 2);
    const val *src = args[0], *repl = args[2];
    rx r;
    if (rx_compile_val(ctx, "regex.replace", args[1], &r) != BI_OK)
        return BI_ERR;
    txt_buf b;
    txt_init(&b, ctx->arena, src->len);
    const char *s = src->u.s;
    size_t n = src->len, last = 0, pos = 0;
    bool changed = false;
    rx_check_subject(&r, s, n);
    while (pos <= n) {
        bool found;
        PCRE2_SIZE *ov = NULL;
        if (rx_search(ctx, "regex.replace", &r, s, n, pos, &found, &ov) != BI_OK)
            return BI_ERR;
        if (!found)
            break;
        size_t m0 = ov[0], m1 = ov[1];
        txt_put(&b, s + last, m0 - last);
        /* No replacement for an empty match right after the previous one. */
        if (m1 > last || m0 == 0) {
            rx_expand(&b, &r, repl->u.s, repl->len, s, ov);
            changed = true;
        }
        last = m1;
        size_t width = 0;
        if (pos < n) {
            int32_t cp;
            width = txt_next_cp(s + pos, n - pos, &cp);
        }
        if (pos + width > m1)
            pos += width;
        else if (pos + 1 > m1)
            pos++;
        else
            pos = m1;
    }
    if (!changed) {
        *out = src;
        return BI_OK;
    }
    txt_put(&b, s + last, n - last);
    const val *res = txt_finish(&b);
    if (!res)
        return bi_oom(ctx);
    *out = res;
    return BI_OK;
}

/* ---- regex.template_match ----------------------------------------------------- */

/* Go's regexp.QuoteMeta. */
static void rx_quote_meta(txt_buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strchr("\\.+*?()|[]{}^$", s[i]) && s[i] != '\0')
            txt_putc(b, '\\');
        txt_putc(b, s[i]);
    }
}

/* The pattern is literal text with regular expressions between the
 * delimiters (gorilla/mux style): "urn:foo:{.*}" becomes ^urn:foo:(.*)$. */
bi_status bi_regex_template_match(bi_ctx *ctx, const val *const *args, const val **out)
{
    const char *name = "regex.template_match";
    NEED_STR(name, 0);
    NEED_STR(name, 1);
    NEED_STR(name, 2);
    NEED_STR(name, 3);
    const val *tpl = args[0];
    if (args[2]->len != 1)
        return bi_fail(ctx, POL_EVAL_BUILTIN,
                       "%s: start delimiter has to be exactly one character long but is %u long", name,
                       args[2]->len);
    /* OPA reports the start delimiter's length here too. */
    if (args[3]->len != 1)
        return bi_fail(ctx, POL_EVAL_BUILTIN,
                       "%s: end delimiter has to be exactly one character long but is %u long", name,
                       args[2]->len);
    char ds = args[2]->u.s[0], de = args[3]->u.s[0];
    txt_buf b;
    txt_init(&b, ctx->arena, tpl->len * 2 + 4);
    txt_putc(&b, '^');
    int level = 0;
    size_t idx = 0, end = 0;
    for (size_t i = 0; i < tpl->len; i++) {
        char c = tpl->u.s[i];
        if (c == ds) {
            if (++level == 1)
                idx = i;
        } else if (c == de) {
            if (--level == 0) {
                rx_quote_meta(&b, tpl->u.s + end, idx - end);
                txt_putc(&b, '(');
                txt_put(&b, tpl->u.s + idx + 1, i - idx - 1);
                txt_putc(&b, ')');
                end = i + 1;
            } else if (level < 0) {
                break;
            }
        }
    }
    if (level != 0) {
        txt_buf q;
        txt_init(&q, ctx->arena, tpl->len + 8);
        txt_put(&q, tpl->u.s, tpl->len);
        if (q.oom)
            return bi_oom(ctx);
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: unbalanced braces in \"%.*s\"", name, (int)q.len, q.p);
    }
    rx_quote_meta(&b, tpl->u.s + end, tpl->len - end);
    txt_putc(&b, '$');
    if (b.oom)
        return bi_oom(ctx);
    rx r;
    if (rx_compile(ctx, name, NULL, b.p, b.len, &r) != BI_OK)
        return BI_ERR;
    bool found;
    PCRE2_SIZE *ov = NULL;
    rx_check_subject(&r, args[1]->u.s, args[1]->len);
    if (rx_search(ctx, name, &r, args[1]->u.s, args[1]->len, 0, &found, &ov) != BI_OK)
        return BI_ERR;
    *out = VAL_BOOL(found);
    return BI_OK;
}

/* ---- glob.match ------------------------------------------------------------ */

/* Pike-VM program for one glob. Consuming instructions advance one code
 * point; SPLIT/JMP are the epsilon moves; FAIL ends a thread (closes an
 * alternation). */
typedef enum gop { G_CHAR, G_NOSEP, G_ANY, G_CLASS, G_SPLIT, G_JMP, G_FAIL, G_MATCH } gop;

typedef struct ginst {
    uint8_t op;
    int32_t c;     /* G_CHAR */
    uint32_t x, y; /* G_SPLIT targets, G_JMP target, G_CLASS class index */
} ginst;

typedef struct gclass {
    bool neg, range;
    int32_t lo, hi;     /* range */
    const int32_t *cps; /* list */
    uint32_t n;
} gclass;

/* The direct matcher's form of a glob made only of literal text, `?`, `*`
 * and `**` (no classes, no {…} alternatives): the tokens below, with runs
 * of stars merged (`*` then `**`, or `***`, is `**`; `**` is `*` if
 * no `**` is among them) and adjacent literal code points joined into one
 * memcmp'able GF_LIT. See glob_fast_run for the algorithm. */
typedef enum gfop { GF_LIT, GF_ONE, GF_STAR, GF_SUPER } gfop;

typedef struct gftok {
    uint8_t op;        /* gfop */
    uint32_t off, len; /* GF_LIT: the bytes lit[off..off+len) */
} gftok;

typedef struct gfast {
    const gftok *tok; /* NULL: the glob needs the Pike VM */
    uint32_t n;
    const char *lit;
} gfast;

struct gprog {
    ginst *ins;
    uint32_t n, cap;
    gclass *cls;
    uint32_t ncls, clscap;
    const char *err; /* first syntax error */
    gfast fast;
};

typedef struct gparse {
    const char *s;
    size_t n, i;
    gprog *p;
    arena *a;
    int depth;
} gparse;

enum { GLOB_MAX_DEPTH = 64 }; /* nested {…} groups */

static uint32_t glob_emit(gparse *g, gop op, int32_t c)
{
    gprog *p = g->p;
    if (p->n >= p->cap) {
        p->err = "pattern too complex";
        return p->cap ? p->cap - 1 : 0;
    }
    p->ins[p->n] = (ginst){(uint8_t)op, c, 0, 0};
    return p->n++;
}

static bool glob_peek(gparse *g, int32_t *cp, size_t *k)
{
    if (g->i >= g->n)
        return false;
    *k = txt_next_cp(g->s + g->i, g->n - g->i, cp);
    return true;
}

static void glob_class(gparse *g)
{
    gprog *p = g->p;
    if (p->ncls >= p->clscap) {
        p->err = "pattern too complex";
        return;
    }
    gclass cl = {0};
    int32_t cp;
    size_t k;
    if (glob_peek(g, &cp, &k) && cp == '!') {
        cl.neg = true;
        g->i += k;
    }
    if (!glob_peek(g, &cp, &k)) {
        p->err = "unexpected end of input";
        return;
    }
    size_t save = g->i;
    g->i += k;
    int32_t dash;
    size_t dk;
    if (cp != ']' && glob_peek(g, &dash, &dk) && dash == '-') {
        /* [lo-hi]: lo and hi are taken literally, then ']' must follow. */
        g->i += dk;
        int32_t hi;
        size_t hk;
        if (!glob_peek(g, &hi, &hk)) {
            p->err = "unexpected end of input";
            return;
        }
        g->i += hk;
        int32_t close;
        size_t ck;
        if (!glob_peek(g, &close, &ck)) {
            p->err = "unexpected end of input";
            return;
        }
        if (close != ']') {
            p->err = "expected close range character";
            return;
        }
        g->i += ck;
        cl.range = true;
        cl.lo = cp;
        cl.hi = hi;
    } else {
        /* [abc]: text up to ']' with backslash escapes. */
        g->i = save;
        int32_t *cps = arena_alloc(g->a, sizeof(int32_t) * (g->n - g->i + 1));
        if (!cps) {
            p->err = "out of memory";
            return;
        }
        uint32_t n = 0;
        bool closed = false;
        while (g->i < g->n) {
            g->i += txt_next_cp(g->s + g->i, g->n - g->i, &cp);
            if (cp == '\\') {
                if (g->i >= g->n)
                    break;
                g->i += txt_next_cp(g->s + g->i, g->n - g->i, &cp);
            } else if (cp == ']') {
                closed = true;
                break;
            }
            cps[n++] = cp;
        }
        if (!closed) {
            p->err = "unexpected end of input";
            return;
        }
        if (n == 0) {
            p->err = "empty character class";
            return;
        }
        cl.cps = cps;
        cl.n = n;
    }
    p->cls[p->ncls] = cl;
    uint32_t at = glob_emit(g, G_CLASS, 0);
    p->ins[at].x = p->ncls++;
}

/* A star: loop over one consuming instruction. */
static void glob_star(gparse *g, gop each)
{
    uint32_t split = glob_emit(g, G_SPLIT, 0);
    glob_emit(g, each, 0);
    uint32_t jmp = glob_emit(g, G_JMP, 0);
    g->p->ins[jmp].x = split;
    g->p->ins[split].x = split + 1;
    g->p->ins[split].y = g->p->n;
}

static void glob_seq(gparse *g, bool in_terms);

/* {a,b,c}: each alternative behind a SPLIT whose other arm tries the next;
 * the last arm's other branch is FAIL; every alternative jumps to the end
 * (the JMPs are chained through x until the end is known). */
static void glob_terms(gparse *g)
{
    if (++g->depth > GLOB_MAX_DEPTH) {
        g->p->err = "pattern nested too deeply";
        return;
    }
    uint32_t chain = UINT32_MAX;
    for (;;) {
        uint32_t split = glob_emit(g, G_SPLIT, 0);
        g->p->ins[split].x = split + 1;
        glob_seq(g, true);
        uint32_t jmp = glob_emit(g, G_JMP, 0);
        g->p->ins[jmp].x = chain;
        chain = jmp;
        g->p->ins[split].y = g->p->n;
        if (g->p->err)
            return;
        int32_t cp;
        size_t k;
        if (!glob_peek(g, &cp, &k)) {
            g->p->err = "unexpected end of input";
            return;
        }
        g->i += k;
        if (cp == '}')
            break;
        /* cp == ',': glob_seq stops only at ',', '}' or the end */
    }
    glob_emit(g, G_FAIL, 0);
    uint32_t end = g->p->n;
    while (chain != UINT32_MAX && !g->p->err) {
        uint32_t prev = g->p->ins[chain].x;
        g->p->ins[chain].x = end;
        chain = prev;
    }
    g->depth--;
}

static void glob_seq(gparse *g, bool in_terms)
{
    int32_t cp;
    size_t k;
    while (!g->p->err && glob_peek(g, &cp, &k)) {
        if (in_terms && (cp == ',' || cp == '}'))
            return;
        g->i += k;
        switch (cp) {
        case '*': {
            int32_t next;
            size_t nk;
            if (glob_peek(g, &next, &nk) && next == '*') {
                g->i += nk;
                glob_star(g, G_ANY);
            } else {
                glob_star(g, G_NOSEP);
            }
            break;
        }
        case '?': glob_emit(g, G_NOSEP, 0); break;
        case '[': glob_class(g); break;
        case '{': glob_terms(g); break;
        case '\\':
            if (!glob_peek(g, &cp, &k)) {
                g->p->err = "unexpected end of input";
                return;
            }
            g->i += k;
            glob_emit(g, G_CHAR, cp);
            break;
        default: glob_emit(g, G_CHAR, cp); break;
        }
    }
}

/* Builds the direct matcher's tokens for a glob the Pike VM compiler
 * accepted, or leaves f->tok NULL when the glob has a class or a {…}
 * group, or a literal U+FFFD. (A literal must be valid UTF-8 other than
 * U+FFFD for comparing bytes to agree with the Pike VM's comparing of
 * decoded code points: an invalid byte of the text decodes as U+FFFD; a
 * valid sequence of the text decodes from a code-point boundary exactly
 * when its bytes equal the literal's.) False: out of memory. */
static bool glob_fast_compile(arena *a, const char *s, size_t n, gfast *f)
{
    memset(f, 0, sizeof *f);
    gftok *tok = arena_alloc(a, sizeof(gftok) * (n + 1));
    char *lit = arena_alloc(a, n + 1);
    if (!tok || !lit)
        return false;
    uint32_t nt = 0, nlit = 0;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t k = txt_next_cp(s + i, n - i, &cp);
        gfop op = GF_LIT;
        switch (cp) {
        case '[':
        case '{': return true;
        case '?': op = GF_ONE; break;
        case '*':
            op = GF_STAR;
            if (i + 1 < n && s[i + 1] == '*') {
                op = GF_SUPER;
                k++;
            }
            break;
        case '\\':
            /* glob_compile rejected a trailing backslash */
            i += k;
            k = txt_next_cp(s + i, n - i, &cp);
            break;
        default: break;
        }
        if (op == GF_LIT && cp == 0xFFFD)
            return true;
        if (op == GF_LIT) {
            if (nt == 0 || tok[nt - 1].op != GF_LIT)
                tok[nt++] = (gftok){GF_LIT, nlit, 0};
            memcpy(lit + nlit, s + i, k);
            nlit += (uint32_t)k;
            tok[nt - 1].len += (uint32_t)k;
        } else if ((op == GF_STAR || op == GF_SUPER) && nt > 0 &&
                   (tok[nt - 1].op == GF_STAR || tok[nt - 1].op == GF_SUPER)) {
            if (op == GF_SUPER)
                tok[nt - 1].op = GF_SUPER;
        } else {
            tok[nt++] = (gftok){(uint8_t)op, 0, 0};
        }
        i += k;
    }
    f->tok = tok;
    f->n = nt;
    f->lit = lit;
    return true;
}

static bool glob_compile(arena *a, const char *s, size_t n, gprog *p)
{
    memset(p, 0, sizeof *p);
    /* Each pattern code point emits at most 4 instructions ({ → SPLIT+JMP+
     * FAIL, * → 3); plus the final MATCH. */
    p->cap = (uint32_t)(4 * n + 2);
    p->clscap = (uint32_t)(n / 2 + 1);
    p->ins = arena_alloc(a, sizeof(ginst) * p->cap);
    p->cls = arena_alloc(a, sizeof(gclass) * p->clscap);
    if (!p->ins || !p->cls)
        return false;
    gparse g = {s, n, 0, p, a, 0};
    glob_seq(&g, false);
    glob_emit(&g, G_MATCH, 0);
    return p->err || glob_fast_compile(a, s, n, &p->fast);
}

static bool glob_is_delim(const int32_t *delims, uint32_t nd, int32_t cp)
{
    for (uint32_t i = 0; i < nd; i++)
        if (delims[i] == cp)
            return true;
    return false;
}

static bool glob_class_has(const gclass *cl, int32_t cp)
{
    bool in = false;
    if (cl->range) {
        in = cp >= cl->lo && cp <= cl->hi;
    } else {
        for (uint32_t i = 0; i < cl->n && !in; i++)
            in = cl->cps[i] == cp;
    }
    return in != cl->neg;
}

/* Adds pc and everything reachable from it by epsilon moves. */
static void glob_add(const gprog *p, uint32_t *list, uint32_t *nlist, uint32_t *mark, uint32_t gen,
                     uint32_t *stack, uint32_t pc)
{
    uint32_t sp = 0;
    stack[sp++] = pc;
    while (sp > 0) {
        uint32_t q = stack[--sp];
        if (q >= p->n || mark[q] == gen)
            continue;
        mark[q] = gen;
        const ginst *in = &p->ins[q];
        switch ((gop)in->op) {
        case G_JMP: stack[sp++] = in->x; break;
        case G_SPLIT:
            stack[sp++] = in->y;
            stack[sp++] = in->x;
            break;
        case G_FAIL: break;
        default: list[(*nlist)++] = q; break;
        }
    }
}

static bool glob_run(arena *a, const gprog *p, const int32_t *delims, uint32_t nd, const char *s, size_t n,
                     bool *matched)
{
    uint32_t *cur = arena_alloc(a, sizeof(uint32_t) * p->n);
    uint32_t *next = arena_alloc(a, sizeof(uint32_t) * p->n);
    uint32_t *mark = arena_alloc(a, sizeof(uint32_t) * p->n);
    uint32_t *stack = arena_alloc(a, sizeof(uint32_t) * (2 * p->n + 2));
    if (!cur || !next || !mark || !stack)
        return false;
    memset(mark, 0, sizeof(uint32_t) * p->n);
    uint32_t gen = 1, ncur = 0;
    glob_add(p, cur, &ncur, mark, gen, stack, 0);
    for (size_t i = 0; i < n && ncur > 0;) {
        int32_t cp;
        i += txt_next_cp(s + i, n - i, &cp);
        bool delim = glob_is_delim(delims, nd, cp);
        uint32_t nnext = 0;
        gen++;
        for (uint32_t t = 0; t < ncur; t++) {
            const ginst *in = &p->ins[cur[t]];
            bool ok = false;
            switch ((gop)in->op) {
            case G_CHAR: ok = in->c == cp; break;
            case G_NOSEP: ok = !delim; break;
            case G_ANY: ok = true; break;
            case G_CLASS: ok = glob_class_has(&p->cls[in->x], cp); break;
            default: break;
            }
            if (ok)
                glob_add(p, next, &nnext, mark, gen, stack, cur[t] + 1);
        }
        uint32_t *tmp = cur;
        cur = next;
        next = tmp;
        ncur = nnext;
    }
    *matched = false;
    for (uint32_t t = 0; t < ncur; t++)
        if (p->ins[cur[t]].op == G_MATCH)
            *matched = true;
    return true;
}

/* The code point at s[0..n) (n > 0) and its length, ASCII inline. */
static inline size_t glob_cp(const char *s, size_t n, int32_t *cp)
{
    if ((unsigned char)s[0] < 0x80) {
        *cp = (unsigned char)s[0];
        return 1;
    }
    return txt_next_cp(s, n, cp);
}

static bool glob_has_delim(const int32_t *delims, uint32_t nd, const char *s, size_t n)
{
    if (nd == 0)
        return false;
    /* One ASCII delimiter (the usual "/" or "."): its byte never occurs
     * inside a multi-byte sequence, valid or not (those bytes are all
     * >= 0x80, and each invalid byte is a U+FFFD of its own), so a byte
     * search finds exactly the code points the loop below would. */
    if (nd == 1 && delims[0] >= 0 && delims[0] < 0x80)
        return memchr(s, delims[0], n) != NULL;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        i += glob_cp(s + i, n - i, &cp);
        if (glob_is_delim(delims, nd, cp))
            return true;
    }
    return false;
}

/* The direct matcher: the classic wildcard matcher that, on a mismatch,
 * goes back only to the most recent star, here with two kinds of star.
 * Time O(pattern × text) at worst, like the Pike VM, and no memory; on
 * the usual globs (a literal prefix, a star per path segment) a single
 * pass.
 *
 * Why it is exact. Split the glob at its `**`s into blocks B0 ** B1 …
 * ** Bk; each block is pieces P0 * P1 * … * Pm, where a piece (literal
 * text and `?`s) has a fixed width in code points and each `*` spans a
 * run of non-delimiters.
 *  (1) Within a block that starts at a fixed place, placing each piece
 *      Pj (j >= 1) at its leftmost possible place (the gap before it free
 *      of delimiters) is never worse than any other placement x1 … xm:
 *      by induction gj <= xj, and the gap from the end of Pj at gj to
 *      x(j+1) holds no delimiter — either Pj at gj lies in the old gap
 *      (so its characters, equal to those of Pj at xj or matched by `?`,
 *      are not delimiters), or the two placements overlap by a shift
 *      d = xj - gj, and each character of the new gap equals (or is a
 *      `?` match) the one d earlier, down into the old gap. So when the
 *      most recent `*` cannot grow (a delimiter, or the end), no other
 *      placement of the block's earlier pieces helps, and the block must
 *      start further on: the `**` before it grows by one code point.
 *  (2) The set of places from which "** rest" matches is closed
 *      downwards (`**` swallows anything in between), and of the places
 *      where a block can start, the first gives the earliest end (a later
 *      start s' pushes each leftmost piece no earlier: by the same gap
 *      argument, piece by piece). So the first way found through a block
 *      is kept once the next `**` is reached, and only the most recent
 *      `**` is ever grown — as in the classic matcher.
 * The differential test in tests/stdlib checks this against the Pike VM. */
static bool glob_fast_run(const gfast *f, const int32_t *delims, uint32_t nd, const char *s, size_t n)
{
    const gftok *tok = f->tok;
    const uint32_t none = UINT32_MAX;
    uint32_t np = f->n, pi = 0, star_p = none, super_p = none;
    size_t ti = 0, star_t = 0, super_t = 0;
    for (;;) {
        if (pi < np) {
            const gftok *t = &tok[pi];
            switch ((gfop)t->op) {
            case GF_LIT:
                if (n - ti >= t->len && val_same_bytes(s + ti, f->lit + t->off, t->len)) {
                    ti += t->len;
                    pi++;
                    continue;
                }
                break;
            case GF_ONE:
                if (ti < n) {
                    int32_t cp;
                    size_t k = glob_cp(s + ti, n - ti, &cp);
                    if (!glob_is_delim(delims, nd, cp)) {
                        ti += k;
                        pi++;
                        continue;
                    }
                }
                break;
            case GF_STAR:
                if (pi + 1 == np) {
                    /* a final `*` takes the rest, unless it holds a delimiter */
                    if (!glob_has_delim(delims, nd, s + ti, n - ti))
                        return true;
                    star_p = none;
                    goto grow_super;
                }
                star_p = ++pi;
                star_t = ti;
                continue;
            case GF_SUPER:
                if (pi + 1 == np)
                    return true;
                super_p = ++pi;
                super_t = ti;
                star_p = none;
                continue;
            }
        } else if (ti == n) {
            return true;
        }
        if (star_p != none && star_t < n) {
            int32_t cp;
            size_t k = glob_cp(s + star_t, n - star_t, &cp);
            if (!glob_is_delim(delims, nd, cp)) {
                star_t += k;
                ti = star_t;
                pi = star_p;
                continue;
            }
        }
    grow_super:
        if (super_p == none || super_t >= n)
            return false;
        {
            int32_t cp;
            super_t += glob_cp(s + super_t, n - super_t, &cp);
            /* A block that opens with a literal can only start where its
             * first byte is; that byte is ASCII or a UTF-8 lead byte, so
             * wherever it occurs is a code-point boundary. */
            if (tok[super_p].op == GF_LIT && super_t < n) {
                const char *at = memchr(s + super_t, f->lit[tok[super_p].off], n - super_t);
                if (!at)
                    return false;
                super_t = (size_t)(at - s);
            }
        }
        star_p = none;
        ti = super_t;
        pi = super_p;
    }
}

/* glob_fast_run, except that a glob opening with a literal the text does
 * not open with is answered here, without the call: the matcher's first
 * step fails then with no star or super-star behind it to grow, so its
 * answer is false too. Path globs in a list mostly differ in that first
 * literal (a department's directory before its stars). */
static inline bool glob_fast_match(const gfast *f, const int32_t *delims, uint32_t nd, const char *s,
                                   size_t n)
{
    const gftok *first = f->tok;
    if (f->n > 0 && first->op == GF_LIT &&
        (n < first->len || !val_same_bytes(s, f->lit + first->off, first->len)))
        return false;
    return glob_fast_run(f, delims, nd, s, n);
}

/* glob_cached past the prep slot: the cache's hash lookup, else the
 * compile into it; the entry found is kept in slot (when not NULL). */
static __attribute__((noinline)) bool glob_cached_slow(bi_ctx *ctx, const val *pv, const void **slot,
                                                       const gprog **out)
{
    rx_cache *c = ctx->rx_cache;
    const char *p = pv->u.s;
    size_t n = pv->len;
    uint64_t h = 0;
    const pat_entry *hit = pat_find(c, PAT_GLOB, p, n, &h);
    if (!hit) {
        arena_mark m;
        pat_entry *e = pat_claim(c, PAT_GLOB, h, p, n, &m);
        gprog *prog = e ? arena_alloc(&c->mem, sizeof *prog) : NULL;
        if (!prog || !glob_compile(&c->mem, e->pat, n, prog) || prog->err) {
            if (e)
                arena_restore(&c->mem, m);
            return false;
        }
        e->glob = prog;
        hit = pat_commit(c, p);
    }
    if (slot)
        *slot = hit;
    *out = hit->glob;
    return true;
}

/* The compiled program of glob pv (a string value), from the context's
 * cache or compiled into it on a miss (while it has room); a bundle
 * constant's entry is kept in its prep slot (as in rx_entry). False: not
 * cached (full, or a syntax error the caller reports by compiling it
 * itself). */
static inline bool glob_cached(bi_ctx *ctx, const val *pv, const gprog **out)
{
    if (!ctx->rx_cache)
        return false;
    const void **slot = bi_prep_slot(ctx, pv, BI_PREP_GLOB);
    if (slot && *slot) {
        *out = ((const pat_entry *)*slot)->glob;
        return true;
    }
    return glob_cached_slow(ctx, pv, slot, out);
}

/* glob.match past its usual call (below): every check, the delimiter
 * list read, a glob the cache does not hold compiled here. Out of line,
 * so the usual call carries none of its stack frame. */
static __attribute__((noinline)) bi_status glob_match_general(bi_ctx *ctx, const val *const *args,
                                                              const val **out)
{
    const char *name = "glob.match";
    NEED_STR(name, 0);
    const val *dl = args[1];
    static const int32_t dot = '.';
    const int32_t *delims = NULL;
    uint32_t nd = 0;
    int32_t few[8]; /* the usual short list needs no arena */
    if (dl->type == V_ARR) {
        int32_t *list = dl->len <= 8 ? few : arena_alloc(ctx->arena, sizeof(int32_t) * dl->len);
        if (!list)
            return bi_oom(ctx);
        delims = list;
        for (uint32_t i = 0; i < dl->len; i++) {
            const val *e = dl->u.a[i];
            if (e->type != V_STR)
                return txt_elem_fail(ctx, name, 2, dl, "string", e);
            int32_t cp;
            if (e->len == 0 || glob_cp(e->u.s, e->len, &cp) != e->len)
                return txt_elem_fail(ctx, name, 2, dl, "rune", e);
            list[nd++] = cp;
        }
        if (nd == 0) {
            delims = &dot; /* an empty list means the default delimiter "." */
            nd = 1;
        }
    } else if (dl->type != V_NULL) {
        return bi_type_fail(ctx, name, 2, "one of {array, null}", dl);
    }
    NEED_STR(name, 2);
    const gprog *prog;
    gprog p;
    if (!glob_cached(ctx, args[0], &prog)) {
        if (!glob_compile(ctx->arena, args[0]->u.s, args[0]->len, &p))
            return bi_oom(ctx);
        if (p.err)
            return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name, p.err);
        prog = &p;
    }
    bool matched;
    if (prog->fast.tok)
        matched = glob_fast_match(&prog->fast, delims, nd, args[2]->u.s, args[2]->len);
    else if (!glob_run(ctx->arena, prog, delims, nd, args[2]->u.s, args[2]->len, &matched))
        return bi_oom(ctx);
    *out = VAL_BOOL(matched);
    return BI_OK;
}

/* The usual call: string operands, a list of one ASCII delimiter (the
 * general path reads it as that one code point), a cached glob with a
 * direct matcher. Anything else, errors included, takes the general
 * path, which checks in OPA's order. */
bi_status bi_glob_match(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *dl = args[1], *d0 = dl->type == V_ARR && dl->len == 1 ? dl->u.a[0] : NULL;
    const gprog *prog;
    if (args[0]->type == V_STR && args[2]->type == V_STR && d0 && d0->type == V_STR && d0->len == 1 &&
        (unsigned char)d0->u.s[0] < 0x80 && glob_cached(ctx, args[0], &prog) && prog->fast.tok) {
        int32_t delim = (unsigned char)d0->u.s[0];
        *out = VAL_BOOL(glob_fast_match(&prog->fast, &delim, 1, args[2]->u.s, args[2]->len));
        return BI_OK;
    }
    return glob_match_general(ctx, args, out);
}

int glob_test_match(arena *a, const char *pat, size_t pn, const int32_t *delims, uint32_t nd, const char *s,
                    size_t n, bool fast)
{
    gprog p;
    if (!glob_compile(a, pat, pn, &p) || p.err)
        return -1;
    if (fast) {
        if (!p.fast.tok)
            return -2;
        return glob_fast_match(&p.fast, delims, nd, s, n);
    }
    bool matched;
    if (!glob_run(a, &p, delims, nd, s, n, &matched))
        return -1;
    return matched;
}

/* gobwas/glob's QuoteMeta: a backslash before each of * ? \ [ ] { }. */
bi_status bi_glob_quote_meta(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("glob.quote_meta", 0);
    const val *s = args[0];
    txt_buf b;
    txt_init(&b, ctx->arena, s->len + 8);
    for (uint32_t i = 0; i < s->len; i++) {
        char c = s->u.s[i];
        if (c == '*' || c == '?' || c == '\\' || c == '[' || c == ']' || c == '{' || c == '}')
            txt_putc(&b, '\\');
        txt_putc(&b, c);
    }
    const val *r = txt_finish(&b);
    if (!r)
        return bi_oom(ctx);
    *out = r;
    return BI_OK;
}

/* ---- regex.globs_match --------------------------------------------------------- */

/* OPA delegates to yashtewari/glob-intersection: each argument is a
 * sequence of tokens — a character, '.' (any character) or a set [a-z…] —
 * each optionally followed by '+' or '*'; '\' escapes. The result is whether
 * some string matches both. We decide that exactly by searching the product
 * of the two token automata. */
typedef enum gi_kind { GI_CHAR, GI_DOT, GI_SET } gi_kind;

typedef struct gi_tok {
    uint8_t kind;
    bool star;          /* '*' (a '+' token is expanded into tok, tok*) */
    int32_t c;          /* GI_CHAR */
    const int32_t *rng; /* GI_SET: pairs lo,hi */
    uint32_t nrng;
} gi_tok;

/* The glob-intersection library's error text, checked by OPA's tests:
 * "input:<glob>, pos:<rune index>, <reason>: the input provided is invalid". */
static bi_status gi_fail(bi_ctx *ctx, const val *glob, size_t pos, const char *reason)
{
    return bi_fail(ctx, POL_EVAL_BUILTIN,
                   "regex.globs_match: input:%.*s, pos:%zu, %s: the input provided is invalid",
                   (int)(glob->len > 200 ? 200 : glob->len), glob->u.s, pos, reason);
}

static bi_status gi_tokenize(bi_ctx *ctx, const val *glob, gi_tok **out, uint32_t *nout)
{
    /* Decode to code points first: positions in messages are rune indexes. */
    size_t n = 0;
    int32_t *r = arena_alloc(ctx->arena, sizeof(int32_t) * (glob->len + 1));
    gi_tok *toks = arena_alloc(ctx->arena, sizeof(gi_tok) * (2 * glob->len + 1));
    if (!r || !toks)
        return bi_oom(ctx);
    for (size_t i = 0; i < glob->len;)
        i += txt_next_cp(glob->u.s + i, glob->len - i, &r[n++]);
    uint32_t nt = 0;
    size_t i = 0;
    char reason[96];
    while (i < n) {
        bool esc = false;
        if (r[i] == '\\') {
            if (i + 1 >= n)
                return gi_fail(ctx, glob, i, "input ends with a \\ (escape) character");
            esc = true;
            i++;
        }
        int32_t c = r[i++];
        gi_tok t = {GI_CHAR, false, c, NULL, 0};
        if (!esc && c == '.') {
            t.kind = GI_DOT;
        } else if (!esc && c == ']') {
            return gi_fail(ctx, glob, i, "set-close ']' with no preceding '['");
        } else if (!esc && (c == '+' || c == '*')) {
            snprintf(reason, sizeof reason, "flag '%c' must be preceded by a non-flag", (char)c);
            return gi_fail(ctx, glob, i, reason);
        } else if (!esc && c == '[') {
            int32_t *rng = arena_alloc(ctx->arena, sizeof(int32_t) * 2 * (n - i + 1));
            if (!rng)
                return bi_oom(ctx);
            uint32_t nr = 0;
            bool complete = false, prev_exists = false;
            int32_t prev = 0;
            while (i < n && !complete) {
                bool e2 = false;
                if (r[i] == '\\') {
                    if (i + 1 >= n)
                        return gi_fail(ctx, glob, i, "input ends with a \\ (escape) character");
                    e2 = true;
                    i++;
                }
                int32_t x = r[i++];
                if (!e2 && x == ']') {
                    complete = true;
                } else if (!e2 && x == '-') {
                    if (!prev_exists)
                        return gi_fail(ctx, glob, i,
                                       "range character '-' must be preceded by a Unicode character");
                    if (i + 1 >= n)
                        return gi_fail(ctx, glob, i,
                                       "range character '-' must be followed by a Unicode character");
                    bool e3 = false;
                    if (r[i] == '\\' && i + 1 < n) {
                        e3 = true;
                        i++;
                    }
                    int32_t hi = r[i++];
                    if (!e3 && (hi == ']' || hi == '-'))
                        return gi_fail(ctx, glob, i,
                                       "range character '-' cannot be followed by a special symbol");
                    if (hi < prev) {
                        char lo_s[8] = {0}, hi_s[8] = {0};
                        utf8proc_encode_char(hi, (utf8proc_uint8_t *)lo_s);
                        utf8proc_encode_char(prev, (utf8proc_uint8_t *)hi_s);
                        snprintf(reason, sizeof reason,
                                 "range is out of order: '%s' comes before '%s' in Unicode", lo_s, hi_s);
                        return gi_fail(ctx, glob, i, reason);
                    }
                    rng[2 * nr] = prev;
                    rng[2 * nr + 1] = hi;
                    nr++;
                    prev_exists = false;
                } else {
                    rng[2 * nr] = rng[2 * nr + 1] = x;
                    nr++;
                    prev = x;
                    prev_exists = true;
                }
            }
            if (!complete)
                return gi_fail(ctx, glob, i, "found [ without matching ]");
            t.kind = GI_SET;
            t.rng = rng;
            t.nrng = nr;
        }
        int flag = 0;
        if (i < n && (r[i] == '+' || r[i] == '*'))
            flag = r[i++];
        if (flag == '+') {
            toks[nt++] = t; /* x+ is x x* */
        }
        t.star = flag != 0;
        toks[nt++] = t;
    }
    *out = toks;
    *nout = nt;
    return BI_OK;
}

static bool gi_set_has(const gi_tok *t, int32_t c)
{
    for (uint32_t k = 0; k < t->nrng; k++)
        if (c >= t->rng[2 * k] && c <= t->rng[2 * k + 1])
            return true;
    return false;
}

/* Can one character match both tokens? */
static bool gi_overlap(const gi_tok *a, const gi_tok *b)
{
    if (a->kind > b->kind) {
        const gi_tok *t = a;
        a = b;
        b = t;
    }
    if (a->kind == GI_CHAR)
        return b->kind == GI_CHAR ? a->c == b->c : b->kind == GI_DOT ? true : gi_set_has(b, a->c);
    if (a->kind == GI_DOT)
        return b->kind == GI_DOT || b->nrng > 0;
    for (uint32_t i = 0; i < a->nrng; i++)
        for (uint32_t j = 0; j < b->nrng; j++)
            if (a->rng[2 * i] <= b->rng[2 * j + 1] && b->rng[2 * j] <= a->rng[2 * i + 1])
                return true;
    return false;
}

/* Product states (i, j) are bounded so a pair of long globs cannot demand
 * unbounded memory: 2^24 states is a 2 MiB bitmap. */
enum { GI_MAX_STATES = 1 << 24 };

bi_status bi_regex_globs_match(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("regex.globs_match", 0);
    NEED_STR("regex.globs_match", 1);
    gi_tok *a, *b;
    uint32_t na, nb;
    if (gi_tokenize(ctx, args[0], &a, &na) != BI_OK || gi_tokenize(ctx, args[1], &b, &nb) != BI_OK)
        return BI_ERR;
    uint64_t w = (uint64_t)nb + 1, states = ((uint64_t)na + 1) * w;
    if (states > GI_MAX_STATES)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "regex.globs_match: patterns too long");
    unsigned char *seen = arena_alloc(ctx->arena, (size_t)(states + 7) / 8);
    uint32_t *queue = arena_alloc(ctx->arena, sizeof(uint32_t) * (size_t)states);
    if (!seen || !queue)
        return bi_oom(ctx);
    memset(seen, 0, (size_t)(states + 7) / 8);
    size_t head = 0, tail = 0;
    queue[tail++] = 0;
    seen[0] = 1;
    bool found = false;
    while (head < tail && !found) {
        uint32_t st = queue[head++];
        uint32_t i = (uint32_t)(st / w), j = (uint32_t)(st % w);
        if (i == na && j == nb) {
            found = true;
            break;
        }
        uint32_t succ[3][2];
        int ns = 0;
        if (i < na && a[i].star)
            succ[ns][0] = i + 1, succ[ns][1] = j, ns++;
        if (j < nb && b[j].star)
            succ[ns][0] = i, succ[ns][1] = j + 1, ns++;
        if (i < na && j < nb && gi_overlap(&a[i], &b[j]))
            succ[ns][0] = a[i].star ? i : i + 1, succ[ns][1] = b[j].star ? j : j + 1, ns++;
        for (int k = 0; k < ns; k++) {
            uint64_t id = (uint64_t)succ[k][0] * w + succ[k][1];
            if (!(seen[id / 8] & (1u << (id % 8)))) {
                seen[id / 8] |= (unsigned char)(1u << (id % 8));
                queue[tail++] = (uint32_t)id;
            }
        }
    }
    *out = VAL_BOOL(found);
    return BI_OK;
}
