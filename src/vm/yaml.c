/* YAML in and out through libyaml, shaped to match what OPA does: OPA
 * converts YAML to JSON with sigs.k8s.io/yaml, i.e. go-yaml v2, so plain
 * scalars resolve by go-yaml v2's (YAML 1.1 flavoured) rules — yes/no/on/
 * off are booleans, 0x/0o/0b and leading-zero octal are integers,
 * timestamps stay strings — mapping keys become strings, duplicate keys
 * keep the last value and `<<` merges as go-yaml v2 does (in document
 * order). Error messages use go-yaml's wording ("yaml: line N: problem")
 * since OPA's conformance cases match on it.
 *
 * libyaml allocates with malloc internally; that is the price of using it
 * and the reason yaml.* builtins are not zero-allocation. Values still
 * come only from the caller's arena.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>
#include <yaml.h>

#include "vm/numconv.h"
#include "vm/value.h"

/* Same bound as JSON: keeps recursion shallow on hostile input. */
enum { YAML_MAX_DEPTH = 1000 };

/* ---- scalar resolution (go-yaml v2) ------------------------------------------ */

typedef enum yscalar {
    YS_STR,
    YS_NULL,
    YS_TRUE,
    YS_FALSE,
    YS_INT,   /* *iv holds it */
    YS_UINT,  /* in (INT64_MAX, UINT64_MAX]: kept as decimal text */
    YS_FLOAT, /* *dv holds it */
    YS_NONFINITE,
} yscalar;

/* Word lists end with an empty entry. Fixed-width rows keep them free of
 * pointers (and so of relocated data). */
typedef char yword[8];

static bool word_in(const char *s, size_t n, const yword *words)
{
    for (; (*words)[0]; words++) {
        if (strlen(*words) == n && memcmp(*words, s, n) == 0)
            return true;
    }
    return false;
}

static const yword y_null_words[] = {"~", "null", "Null", "NULL", ""};
static const yword y_true_words[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                     "True", "TRUE", "on",  "On",  "ON",  ""};
static const yword y_false_words[] = {"n",     "N",     "no",  "No",  "NO",  "false",
                                      "False", "FALSE", "off", "Off", "OFF", ""};
static const yword y_nonfinite_words[] = {".nan",  ".NaN",  ".NAN",  ".inf",  ".Inf",  ".INF", "+.inf",
                                          "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ""};

/* Go's strconv.ParseUint(s, 0, 64) on the magnitude: base prefixes 0x,
 * 0o, 0b, a bare leading 0 for octal. */
static bool y_parse_uint(const char *s, size_t n, uint64_t *out)
{
    unsigned base = 10;
    size_t i = 0;
    if (n >= 2 && s[0] == '0') {
        char p = s[1];
        if (p == 'x' || p == 'X')
            base = 16, i = 2;
        else if (p == 'o' || p == 'O')
            base = 8, i = 2;
        else if (p == 'b' || p == 'B')
            base = 2, i = 2;
        else
            base = 8, i = 1;
    }
    if (i >= n)
        return false;
    uint64_t u = 0;
    for (; i < n; i++) {
        unsigned d;
        char c = s[i];
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        if (d >= base || u > (UINT64_MAX - d) / base)
            return false;
        u = u * base + d;
    }
    *out = u;
    return true;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool y_float_syntax(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i < n && s[i] == '.') {
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    } else {
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
        }
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

/* strtod over a bounded, underscore-free copy. */
static double y_strtod(const char *s, size_t n)
{
    char buf[128];
    if (n >= sizeof buf)
        n = sizeof buf - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return strtod(buf, NULL);
}

/* Resolves a plain scalar of n bytes the way go-yaml v2 does; numbers
 * land in *iv, *uv or *dv by kind. */
static yscalar y_resolve(const char *s, size_t n, int64_t *iv, uint64_t *uv, double *dv)
{
    if (n == 0 || word_in(s, n, y_null_words))
        return YS_NULL;
    if (word_in(s, n, y_true_words))
        return YS_TRUE;
    if (word_in(s, n, y_false_words))
        return YS_FALSE;
    if (word_in(s, n, y_nonfinite_words))
        return YS_NONFINITE;
    char c0 = s[0];
    if (!((c0 >= '0' && c0 <= '9') || c0 == '-' || c0 == '+' || c0 == '.'))
        return YS_STR;
    /* Numbers: go-yaml strips '_' before trying them. Texts longer than
     * any number we would keep are strings unless they are floats. */
    char clean[128];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_')
            continue;
        if (m == sizeof clean)
            return YS_STR;
        clean[m++] = s[i];
    }
    if (m == 0)
        return YS_STR;
    if (c0 != '.') {
        bool neg = clean[0] == '-';
        size_t off = (clean[0] == '-' || clean[0] == '+') ? 1 : 0;
        uint64_t u;
        if (y_parse_uint(clean + off, m - off, &u)) {
            if (!neg && u <= (uint64_t)INT64_MAX) {
                *iv = (int64_t)u;
                return YS_INT;
            }
            if (neg && u <= (uint64_t)INT64_MAX + 1) {
                *iv = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
                return YS_INT;
            }
            if (!neg) {
                *uv = u;
                return YS_UINT;
            }
        }
    }
    if (y_float_syntax(clean, m)) {
        *dv = y_strtod(clean, m);
        return isfinite(*dv) ? YS_FLOAT : YS_NONFINITE;
    }
    return YS_STR;
}

/* ---- parser -------------------------------------------------------------------- */

typedef struct yanchor yanchor;
struct yanchor {
    yanchor *prev;
    const char *name;
    const val *v;
};

typedef struct yparser {
    arena *a;
    yaml_parser_t p;
    json_error *err;
    yanchor *anchors;
    int depth;
    bool failed;
} yparser;

static void y_set_pos(json_error *e, const yaml_mark_t *m)
{
    e->offset = m->index;
    e->line = (uint32_t)m->line + 1;
    e->col = (uint32_t)m->column + 1;
}

static const val *yfail(yparser *y, const yaml_mark_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static const val *yfail(yparser *y, const yaml_mark_t *at, const char *fmt, ...)
{
    if (y->failed)
        return NULL;
    y->failed = true;
    if (y->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(y->err->msg, sizeof y->err->msg, fmt, ap);
        va_end(ap);
        if (at)
            y_set_pos(y->err, at);
    }
    return NULL;
}

static const val *yoom(yparser *y)
{
    yfail(y, NULL, "out of memory");
    if (y->err)
        y->err->oom = true;
    return NULL;
}

/* go-yaml v2's message for a libyaml failure, line number included by its
 * rule (problem mark, +1 for scanner errors, else the context mark). */
static const val *yfail_libyaml(yparser *y)
{
    const yaml_parser_t *p = &y->p;
    if (p->error == YAML_MEMORY_ERROR)
        return yoom(y);
    size_t line = 0;
    if (p->problem_mark.line != 0) {
        line = p->problem_mark.line;
        if (p->error == YAML_SCANNER_ERROR)
            line++;
    } else if (p->context_mark.line != 0) {
        line = p->context_mark.line;
    }
    const char *problem = p->problem ? p->problem : "unknown problem parsing YAML content";
    const yaml_mark_t *at = &p->problem_mark;
    if (line)
        return yfail(y, at, "yaml: line %zu: %s", line, problem);
    return yfail(y, at, "yaml: %s", problem);
}

static bool ynext(yparser *y, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&y->p, ev)) {
        yfail_libyaml(y);
        return false;
    }
    return true;
}

static const val *y_scalar_value(yparser *y, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    /* Quoted and block scalars are strings unless a tag asks otherwise
     * (!!int "12" is 12); the non-specific tag "!" and !!str force a
     * string even for plain text. */
    bool force_str;
    if (tag)
        force_str = strcmp(tag, "!") == 0 || strcmp(tag, YAML_STR_TAG) == 0 ||
                    strcmp(tag, "tag:yaml.org,2002:binary") == 0;
    else
        force_str = !plain;
    const val *v;
    if (force_str) {
        v = v_str(y->a, s, n);
        return v ? v : yoom(y);
    }
    int64_t iv = 0;
    uint64_t uv = 0;
    double dv = 0;
    switch (y_resolve(s, n, &iv, &uv, &dv)) {
    case YS_NULL: return VAL_NULL;
    case YS_TRUE: return VAL_TRUE;
    case YS_FALSE: return VAL_FALSE;
    case YS_INT: v = v_int(y->a, iv); break;
    case YS_UINT: {
        char t[24];
        int len = snprintf(t, sizeof t, "%llu", (unsigned long long)uv);
        v = v_num_text(y->a, t, (size_t)len);
        break;
    }
    case YS_FLOAT: v = v_float(y->a, dv); break;
    case YS_NONFINITE:
        return yfail(y, &ev->start_mark, "yaml: line %zu: cannot represent %.*s in JSON",
                     ev->start_mark.line + 1, (int)(n > 32 ? 32 : n), s);
    default: v = v_str(y->a, s, n); break;
    }
    return v ? v : yoom(y);
}

static bool y_anchor(yparser *y, const yaml_char_t *name, const val *v)
{
    if (!name)
        return true;
    size_t n = strlen((const char *)name);
    yanchor *an = arena_alloc(y->a, sizeof *an);
    char *copy = arena_alloc(y->a, n + 1);
    if (!an || !copy) {
        yoom(y);
        return false;
    }
    memcpy(copy, name, n + 1);
    an->prev = y->anchors;
    an->name = copy;
    an->v = v;
    y->anchors = an;
    return true;
}

static const val *y_node(yparser *y, yaml_event_t *ev);

/* The JSON key a scalar value becomes (sigs.k8s.io/yaml's conversion). */
static const val *y_key_string(yparser *y, const val *k, const yaml_mark_t *at)
{
    switch ((vtype)k->type) {
    case V_STR: return k;
    case V_BOOL: {
        const val *s = v_cstr(y->a, k->u.b ? "true" : "false");
        return s ? s : yoom(y);
    }
    case V_NUM: {
        char t[64];
        sbuf b;
        sb_init(&b, t, sizeof t);
        json_write_number(&b, k);
        const val *s = sb_ok(&b) ? v_str(y->a, t, b.len) : NULL;
        return s ? s : yoom(y);
    }
    default:
        /* null, sequence and mapping keys have no JSON form. */
        return yfail(y, at, "yaml: line %zu: unsupported map key of type %s", at->line + 1,
                     vtype_name((vtype)k->type));
    }
}

typedef struct ypair {
    const val *k, *v;
    uint32_t idx;
} ypair;

static int ypair_cmp(const void *x, const void *y)
{
    const ypair *a = x, *b = y;
    size_t n = a->k->len < b->k->len ? a->k->len : b->k->len;
    int c = n ? memcmp(a->k->u.s, b->k->u.s, n) : 0;
    if (c)
        return c;
    if (a->k->len != b->k->len)
        return a->k->len < b->k->len ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* All keys are strings: sort them, the last of equal keys winning. */
static const val *y_finish_mapping(yparser *y, vbuild *b)
{
    uint32_t n = b->n;
    if (n > 1) {
        ypair *pairs = arena_alloc(y->a, (size_t)n * sizeof *pairs);
        if (!pairs)
            return yoom(y);
        for (uint32_t i = 0; i < n; i++)
            pairs[i] = (ypair){b->k[i], b->v[i], i};
        pol_sort(pairs, n, sizeof *pairs, ypair_cmp);
        uint32_t w = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (i + 1 < n && pairs[i].k->len == pairs[i + 1].k->len &&
                memcmp(pairs[i].k->u.s, pairs[i + 1].k->u.s, pairs[i].k->len) == 0)
                continue;
            b->k[w] = pairs[i].k;
            b->v[w] = pairs[i].v;
            w++;
        }
        b->n = w;
    }
    const val *v = vb_finish_object(b, NULL);
    return v ? v : yoom(y);
}

/* `<<: value` — the value's pairs are assigned in order at this point of
 * the mapping (go-yaml v2); for a sequence of mappings, earlier mappings
 * take precedence, so they are applied last. */
static bool y_merge(yparser *y, vbuild *b, const val *src, const yaml_mark_t *at)
{
    if (src->type == V_OBJ) {
        for (uint32_t i = 0; i < src->len; i++) {
            if (!vb_put(b, src->u.o.k[i], src->u.o.v[i])) {
                yoom(y);
                return false;
            }
        }
        return true;
    }
    bool all_maps = src->type == V_ARR;
    for (uint32_t i = 0; all_maps && i < src->len; i++)
        all_maps = src->u.a[i]->type == V_OBJ;
    if (all_maps) {
        for (uint32_t i = src->len; i-- > 0;) {
            if (!y_merge(y, b, src->u.a[i], at))
                return false;
        }
        return true;
    }
    yfail(y, at, "yaml: line %zu: map merge requires map or sequence of maps as the value", at->line + 1);
    return false;
}

static const val *y_mapping(yparser *y, yaml_event_t *start)
{
    yaml_mark_t at = start->start_mark;
    if (++y->depth > YAML_MAX_DEPTH)
        return yfail(y, &at, "yaml: line %zu: exceeded maximum nesting depth of %d", at.line + 1,
                     YAML_MAX_DEPTH);
    vbuild b;
    vb_init(&b, y->a);
    for (;;) {
        yaml_event_t ev;
        if (!ynext(y, &ev))
            return NULL;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        yaml_mark_t key_at = ev.start_mark;
        bool is_merge = ev.type == YAML_SCALAR_EVENT && ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                        !ev.data.scalar.tag && ev.data.scalar.length == 2 &&
                        memcmp(ev.data.scalar.value, "<<", 2) == 0;
        const val *k = y_node(y, &ev); /* consumes ev */
        if (!k)
            return NULL;
        if (!is_merge) {
            k = y_key_string(y, k, &key_at);
            if (!k)
                return NULL;
        }
        yaml_event_t vev;
        if (!ynext(y, &vev))
            return NULL;
        yaml_mark_t val_at = vev.start_mark;
        const val *v = y_node(y, &vev);
        if (!v)
            return NULL;
        if (is_merge) {
            if (!y_merge(y, &b, v, &val_at))
                return NULL;
        } else if (!vb_put(&b, k, v)) {
            return yoom(y);
        }
    }
    y->depth--;
    return y_finish_mapping(y, &b);
}

static const val *y_sequence(yparser *y, yaml_event_t *start)
{
    yaml_mark_t at = start->start_mark;
    if (++y->depth > YAML_MAX_DEPTH)
        return yfail(y, &at, "yaml: line %zu: exceeded maximum nesting depth of %d", at.line + 1,
                     YAML_MAX_DEPTH);
    vbuild b;
    vb_init(&b, y->a);
    for (;;) {
        yaml_event_t ev;
        if (!ynext(y, &ev))
            return NULL;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        const val *x = y_node(y, &ev);
        if (!x)
            return NULL;
        if (!vb_push(&b, x))
            return yoom(y);
    }
    y->depth--;
    const val *v = vb_finish_array(&b);
    return v ? v : yoom(y);
}

/* Builds the node that starts with ev, deleting ev. */
static const val *y_node(yparser *y, yaml_event_t *ev)
{
    const val *v = NULL;
    const yaml_char_t *anchor = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        v = y_scalar_value(y, ev);
        anchor = ev->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        v = y_sequence(y, ev);
        anchor = ev->data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        v = y_mapping(y, ev);
        anchor = ev->data.mapping_start.anchor;
        break;
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        for (const yanchor *an = y->anchors; an; an = an->prev) {
            if (strcmp(an->name, name) == 0) {
                v = an->v;
                break;
            }
        }
        if (!v)
            yfail(y, &ev->start_mark, "yaml: line %zu: unknown anchor '%s' referenced",
                  ev->start_mark.line + 1, name);
        break;
    }
    default: yfail(y, &ev->start_mark, "yaml: unexpected event in document"); break;
    }
    if (v && anchor && !y_anchor(y, anchor, v))
        v = NULL;
    yaml_event_delete(ev);
    return v;
}

static const val *y_document(yparser *y)
{
    yaml_event_t ev;
    if (!ynext(y, &ev)) /* stream start */
        return NULL;
    yaml_event_delete(&ev);
    if (!ynext(y, &ev))
        return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) { /* no document at all */
        yaml_event_delete(&ev);
        return VAL_NULL;
    }
    yaml_event_delete(&ev); /* document start */
    if (!ynext(y, &ev))
        return NULL;
    const val *v = y_node(y, &ev);
    if (!v)
        return NULL;
    /* The rest of the stream (more documents) is not read: go-yaml's
     * Unmarshal decodes only the first document. The document end is
     * read so errors right after the root node still count. */
    if (!ynext(y, &ev))
        return NULL;
    yaml_event_delete(&ev);
    return v;
}

const val *yaml_parse(arena *a, const char *s, size_t n, json_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    yparser y = {.a = a, .err = err};
    if (!yaml_parser_initialize(&y.p)) {
        yoom(&y);
        return NULL;
    }
    yaml_parser_set_input_string(&y.p, (const unsigned char *)(s ? s : ""), s ? n : 0);
    yaml_parser_set_encoding(&y.p, YAML_UTF8_ENCODING);
    const val *v = y_document(&y);
    yaml_parser_delete(&y.p);
    return v;
}

/* ---- emitter -------------------------------------------------------------------- */

static int y_out(void *data, unsigned char *buffer, size_t size)
{
    sb_put((sbuf *)data, (const char *)buffer, size);
    return 1;
}

typedef struct yemit {
    yaml_emitter_t e;
    bool failed;
} yemit;

/* The emitter owns (and frees) every event handed to it, even on failure;
 * an event built after a failure is freed here instead. */
static void y_emit(yemit *w, yaml_event_t *ev, int ok)
{
    if (!ok) {
        w->failed = true;
        return;
    }
    if (w->failed) {
        yaml_event_delete(ev);
        return;
    }
    if (!yaml_emitter_emit(&w->e, ev))
        w->failed = true;
}

static void y_emit_scalar(yemit *w, const char *s, size_t n, yaml_scalar_style_t style)
{
    yaml_event_t ev;
    if (n > INT32_MAX) {
        w->failed = true;
        return;
    }
    int ok = yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)s, (int)n, 1, 1, style);
    y_emit(w, &ev, ok);
}

/* go-yaml's isBase60Float: [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)? */
static bool y_base60(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
        i++;
    int groups = 0;
    while (i < n && s[i] == ':') {
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - d < 2)
            i++;
        if (i == d || (i - d == 2 && s[d] > '5'))
            return false;
        groups++;
    }
    if (groups == 0)
        return false;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            i++;
    }
    return i == n;
}

/* A YYYY-M-D date, alone or followed by a time: go-yaml would read it as
 * a timestamp, so it quotes such strings. */
static bool y_timestamp_like(const char *s, size_t n)
{
    size_t i = 0;
    for (; i < 4; i++) {
        if (i >= n || s[i] < '0' || s[i] > '9')
            return false;
    }
    for (int part = 0; part < 2; part++) {
        if (i >= n || s[i] != '-')
            return false;
        i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - d < 2)
            i++;
        if (i == d)
            return false;
    }
    return i == n || s[i] == 'T' || s[i] == 't' || s[i] == ' ';
}

static void y_emit_string(yemit *w, const char *s, size_t n)
{
    int64_t iv;
    uint64_t uv;
    double dv;
    yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
    if (memchr(s, '\n', n))
        style = YAML_LITERAL_SCALAR_STYLE;
    else if (y_resolve(s, n, &iv, &uv, &dv) != YS_STR || y_base60(s, n) || y_timestamp_like(s, n))
        style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    y_emit_scalar(w, s, n, style);
}

/* Go's strconv.FormatFloat(f, 'g', -1, 64), which go-yaml uses: shortest
 * round-trip digits; exponent form (at least two exponent digits) when the
 * decimal exponent is below -4 or at least 6 (Go's rule for shortest 'g'). */
static void y_format_float(double d, char *out, size_t cap)
{
    sbuf b;
    sb_init(&b, out, cap);
    if (d == 0) {
        sb_puts(&b, signbit(d) ? "-0" : "0");
        return;
    }
    num_decimal nd;
    num_shortest_double(d, &nd);
    num_write_decimal(&b, &nd, d < 0, -4, 6, 2);
}

static void y_emit_number(yemit *w, const val *x)
{
    char t[64];
    int64_t iv;
    if (val_is_int(x, &iv)) {
        int n = snprintf(t, sizeof t, "%lld", (long long)iv);
        y_emit_scalar(w, t, (size_t)n, YAML_PLAIN_SCALAR_STYLE);
        return;
    }
    if (x->nk == NUM_BIG) {
        uint64_t u;
        bool digits_only = x->len > 0 && x->len < 21 && strspn(x->u.s, "0123456789") == x->len;
        if (digits_only && y_parse_uint(x->u.s, x->len, &u) && x->u.s[0] != '0') {
            y_emit_scalar(w, x->u.s, x->len, YAML_PLAIN_SCALAR_STYLE);
            return;
        }
    }
    double d = val_to_double(x);
    if (!isfinite(d)) {
        y_emit_scalar(w,
                      d != d  ? ".nan"
                      : d > 0 ? ".inf"
                              : "-.inf",
                      d != d  ? 4
                      : d > 0 ? 4
                              : 5,
                      YAML_PLAIN_SCALAR_STYLE);
        return;
    }
    y_format_float(d, t, sizeof t);
    y_emit_scalar(w, t, strlen(t), YAML_PLAIN_SCALAR_STYLE);
}

/* go-yaml v2's map key order (keyList.Less) for string keys: runs of
 * digits compare by numeric value, letters sort before other runes. */
static bool y_is_letter(int32_t r)
{
    if (r < 0x80)
        return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
    utf8proc_category_t c = utf8proc_category(r);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
}

static int32_t y_rune(const char *s, size_t n, size_t i, size_t *len)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
    if (k <= 0) {
        *len = 1;
        return 0xFFFD;
    }
    *len = (size_t)k;
    return cp;
}

static bool y_isdigit(char c)
{
    return c >= '0' && c <= '9';
}

static bool y_key_less(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0;
    while (i < na && i < nb) {
        size_t la, lb;
        int32_t ra = y_rune(a, na, i, &la), rb = y_rune(b, nb, i, &lb);
        if (ra == rb && la == lb) {
            i += la;
            continue;
        }
        bool al = y_is_letter(ra), bl = y_is_letter(rb);
        if (al && bl)
            return ra < rb;
        if (al || bl)
            return bl;
        uint64_t an = 0, bn = 0;
        if (ra == '0' || rb == '0') {
            for (size_t j = i; j > 0 && y_isdigit(a[j - 1]); j--) {
                if (a[j - 1] != '0') {
                    an = bn = 1;
                    break;
                }
            }
        }
        size_t ai = i, bi = i;
        for (; ai < na && y_isdigit(a[ai]); ai++)
            an = an * 10 + (uint64_t)(a[ai] - '0');
        for (; bi < nb && y_isdigit(b[bi]); bi++)
            bn = bn * 10 + (uint64_t)(b[bi] - '0');
        if (an != bn)
            return (int64_t)an < (int64_t)bn;
        if (ai != bi)
            return ai < bi;
        return ra < rb;
    }
    return na < nb;
}

typedef struct ykey {
    const char *s;
    size_t n;
    const val *k, *v;
    char *owned; /* malloc'd Rego text of a non-string key */
} ykey;

static int ykey_cmp(const void *x, const void *y)
{
    const ykey *a = x, *b = y;
    if (y_key_less(a->s, a->n, b->s, b->n))
        return -1;
    return y_key_less(b->s, b->n, a->s, a->n) ? 1 : 0;
}

static void y_emit_value(yemit *w, const val *x, int depth);

static void y_emit_mapping(yemit *w, const val *x, int depth)
{
    yaml_event_t ev;
    y_emit(w, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
    ykey *keys = x->len ? malloc((size_t)x->len * sizeof *keys) : NULL;
    if (x->len && !keys) {
        w->failed = true;
        return;
    }
    for (uint32_t i = 0; i < x->len; i++) {
        const val *k = x->u.o.k[i];
        keys[i] = (ykey){.k = k, .v = x->u.o.v[i]};
        if (k->type == V_STR) {
            keys[i].s = k->u.s;
            keys[i].n = k->len;
            continue;
        }
        sbuf m;
        sb_init(&m, NULL, 0);
        rego_write(&m, k);
        keys[i].owned = malloc(m.len + 1);
        if (!keys[i].owned) {
            w->failed = true;
            keys[i].s = "";
            continue;
        }
        sb_init(&m, keys[i].owned, m.len + 1);
        rego_write(&m, k);
        keys[i].s = keys[i].owned;
        keys[i].n = m.len;
    }
    if (x->len > 1)
        pol_sort(keys, x->len, sizeof *keys, ykey_cmp);
    for (uint32_t i = 0; i < x->len && !w->failed; i++) {
        y_emit_string(w, keys[i].s, keys[i].n);
        y_emit_value(w, keys[i].v, depth + 1);
    }
    for (uint32_t i = 0; i < x->len; i++)
        free(keys[i].owned);
    free(keys);
    y_emit(w, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void y_emit_value(yemit *w, const val *x, int depth)
{
    yaml_event_t ev;
    if (w->failed)
        return;
    if (depth > YAML_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    switch ((vtype)x->type) {
    case V_NULL: y_emit_scalar(w, "null", 4, YAML_PLAIN_SCALAR_STYLE); return;
    case V_BOOL: y_emit_scalar(w, x->u.b ? "true" : "false", x->u.b ? 4 : 5, YAML_PLAIN_SCALAR_STYLE); return;
    case V_NUM: y_emit_number(w, x); return;
    case V_STR: y_emit_string(w, x->u.s, x->len); return;
    case V_ARR:
    case V_SET:
        y_emit(w, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
        for (uint32_t i = 0; i < x->len; i++)
            y_emit_value(w, x->u.a[i], depth + 1);
        y_emit(w, &ev, yaml_sequence_end_event_initialize(&ev));
        return;
    case V_OBJ: y_emit_mapping(w, x, depth); return;
    }
}

void yaml_write(sbuf *b, const val *x)
{
    if (!x)
        return;
    yemit w = {.failed = false};
    if (!yaml_emitter_initialize(&w.e)) {
        /* Make the failure visible through the sticky buffer. */
        b->len = b->cap + 1;
        return;
    }
    yaml_emitter_set_output(&w.e, y_out, b);
    yaml_emitter_set_unicode(&w.e, 1);
    yaml_event_t ev;
    y_emit(&w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
    y_emit(&w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
    y_emit_value(&w, x, 0);
    y_emit(&w, &ev, yaml_document_end_event_initialize(&ev, 1));
    y_emit(&w, &ev, yaml_stream_end_event_initialize(&ev));
    if (!w.failed && !yaml_emitter_flush(&w.e))
        w.failed = true;
    yaml_emitter_delete(&w.e);
    if (w.failed && b->len <= b->cap)
        b->len = b->cap + 1;
}
