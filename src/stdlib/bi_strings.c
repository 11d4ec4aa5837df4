/* String builtins (concat, split, replace, trim*, substring, indexof, …),
 * units.parse / units.parse_bytes, internal.template_string, and the text
 * helpers of bi_text.h shared with bi_format.c and bi_regex.c.
 *
 * Semantics follow OPA's Go implementation: byte-wise where Go works on
 * bytes (contains, startswith, replace), code points where Rego counts
 * characters (substring, indexof, reverse, trim cut sets). Results are
 * allocated from ctx->arena only. */
#include "bi_text.h"

#include <stdio.h>
#include <string.h>
#include <utf8proc.h>

/* ---- text buffer -------------------------------------------------------- */

void txt_init(txt_buf *b, arena *a, size_t hint)
{
    b->a = a;
    b->len = 0;
    b->oom = false;
    b->slot = NULL;
    b->cap = hint < 16 ? 16 : hint;
    b->p = arena_alloc(a, b->cap + 1);
    if (!b->p) {
        b->cap = 0;
        b->oom = true;
    }
}

void txt_init_value(txt_buf *b, arena *a, size_t hint)
{
    b->a = a;
    b->len = 0;
    b->oom = false;
    b->cap = hint < 16 ? 16 : hint;
    /* the slot starts the block, aligned as arena_alloc aligns values */
    b->slot = hint < SIZE_MAX - sizeof(val) - 1 ? arena_alloc(a, sizeof(val) + b->cap + 1) : NULL;
    if (!b->slot) {
        b->p = NULL;
        b->cap = 0;
        b->oom = true;
        return;
    }
    b->p = (char *)(b->slot + 1);
}

/* Makes room for `extra` more bytes. On failure the buffer turns sticky
 * (oom, and cap == len so the inline writers stop at once). */
static bool txt_reserve(txt_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (extra > UINT32_MAX || b->len + extra > UINT32_MAX) {
        /* a string value cannot hold it */
        b->oom = true;
        b->cap = b->len;
        return false;
    }
    size_t need = b->len + extra;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap * 2;
    if (cap < need)
        cap = need;
    char *p = arena_alloc(b->a, cap + 1);
    if (!p) {
        b->oom = true;
        b->cap = b->len;
        return false;
    }
    memcpy(p, b->p, b->len);
    b->p = p;
    b->cap = cap;
    b->slot = NULL;
    return true;
}

bool txt_room_grow(txt_buf *b, size_t n)
{
    return txt_reserve(b, n);
}

void txt_put_grow(txt_buf *b, const char *s, size_t n)
{
    if (n == 0 || !txt_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

void txt_putc_grow(txt_buf *b, char c)
{
    if (!txt_reserve(b, 1))
        return;
    b->p[b->len++] = c;
}

void txt_pad_grow(txt_buf *b, char c, size_t n)
{
    if (n == 0 || !txt_reserve(b, n))
        return;
    memset(b->p + b->len, c, n);
    b->len += n;
}

void txt_put_cp(txt_buf *b, int32_t cp)
{
    utf8proc_uint8_t enc[4];
    if (!utf8proc_codepoint_valid(cp))
        cp = 0xFFFD;
    utf8proc_ssize_t n = utf8proc_encode_char(cp, enc);
    txt_put(b, (const char *)enc, (size_t)n);
}

/* rego_write/json_write_number write into a sticky sbuf: measure first,
 * then write straight into the reserved tail of the buffer. */
static void txt_put_writer(txt_buf *b, const val *x, void (*write)(sbuf *, const val *))
{
    char dummy[1];
    sbuf m;
    sb_init(&m, dummy, 0);
    write(&m, x);
    size_t n = m.len;
    if (!txt_reserve(b, n + 1))
        return;
    sbuf w;
    sb_init(&w, b->p + b->len, n + 1);
    write(&w, x);
    b->len += n;
}

void txt_put_rego(txt_buf *b, const val *x)
{
    txt_put_writer(b, x, rego_write);
}

void txt_put_num(txt_buf *b, const val *x)
{
    txt_put_writer(b, x, json_write_number);
}

const val *txt_finish(txt_buf *b)
{
    if (b->oom)
        return NULL;
    b->p[b->len] = '\0';
    if (!b->slot || b->len == 0 || b->len > UINT32_MAX)
        return v_str_ref(b->a, b->p, b->len); /* the constant "", or NULL when too long */
    *b->slot = (val){.type = V_STR, .len = (uint32_t)b->len, .u.s = b->p};
    return b->slot;
}

size_t txt_next_cp(const char *s, size_t n, int32_t *cp)
{
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)(n > 4 ? 4 : n), &c);
    if (k <= 0) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return (size_t)k;
}

size_t txt_cp_count(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; count++) {
        int32_t cp;
        i += txt_next_cp(s + i, n - i, &cp);
    }
    return count;
}

bi_status txt_elem_fail(bi_ctx *ctx, const char *name, int n, const val *coll, const char *elem,
                        const val *got)
{
    const char *ct = vtype_name((vtype)coll->type);
    return bi_fail(ctx, POL_EVAL_TYPE, "%s: operand %d must be %s of %ss but got %s containing %s", name, n,
                   ct, elem, ct, vtype_name((vtype)got->type));
}

bi_status txt_int_operand(bi_ctx *ctx, const char *name, int n, const val *x, int64_t *out)
{
    if (x->type != V_NUM)
        return bi_type_fail(ctx, name, n, "number", x);
    if (!val_is_int(x, out))
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "%s: operand %d must be integer number but got floating-point number", name, n);
    return BI_OK;
}

/* ---- small local helpers ------------------------------------------------ */

#define NEED_STR(name, i)                                                                                    \
    do {                                                                                                     \
        if (args[i]->type != V_STR)                                                                          \
            return bi_type_fail(ctx, name, (i) + 1, "string", args[i]);                                      \
    } while (0)

static bi_status put_result(bi_ctx *ctx, const val *v, const val **out)
{
    if (!v)
        return bi_oom(ctx);
    *out = v;
    return BI_OK;
}

static bi_status put_str(bi_ctx *ctx, const char *s, size_t n, const val **out)
{
    return put_result(ctx, n == 0 ? &val_empty_str_c : v_str(ctx->arena, s, n), out);
}

static bi_status put_int(bi_ctx *ctx, int64_t i, const val **out)
{
    return put_result(ctx, v_int(ctx->arena, i), out);
}

/* vb_push that also records a failed constructor (NULL) as out of memory. */
static void push_val(vbuild *vb, const val *x)
{
    if (!x)
        vb->oom = true;
    else
        vb_push(vb, x);
}

static bi_status finish_array(bi_ctx *ctx, vbuild *vb, const val **out)
{
    const val *arr = vb->oom ? NULL : vb_finish_array(vb);
    if (!arr || vb->oom)
        return bi_oom(ctx);
    *out = arr;
    return BI_OK;
}

static const char *find_bytes(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0)
        return hay;
    if (nn > hn)
        return NULL;
    /* memmem is a GNU extension; memchr on the first byte then memcmp. */
    const char *end = hay + hn - nn + 1;
    for (const char *p = hay; p < end;) {
        p = memchr(p, needle[0], (size_t)(end - p));
        if (!p)
            return NULL;
        if (memcmp(p, needle, nn) == 0)
            return p;
        p++;
    }
    return NULL;
}

/* Prefixes and suffixes in policies are short words ("read", "/api/"):
 * compared inline (val_same_bytes), not by a library call. */
static bool has_prefix(const val *s, const val *p)
{
    return p->len <= s->len && val_same_bytes(s->u.s, p->u.s, p->len);
}

static bool has_suffix(const val *s, const val *p)
{
    return p->len <= s->len && val_same_bytes(s->u.s + s->len - p->len, p->u.s, p->len);
}

/* ---- concat, contains, startswith, endswith ------------------------------ */

bi_status bi_concat(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("concat", 0);
    const val *sep = args[0], *coll = args[1];
    if (coll->type != V_ARR && coll->type != V_SET)
        return bi_type_fail(ctx, "concat", 2, "one of {set, array}", coll);
    size_t total = 0;
    for (uint32_t i = 0; i < coll->len; i++) {
        const val *e = coll->u.a[i];
        if (e->type != V_STR)
            return txt_elem_fail(ctx, "concat", 2, coll, "string", e);
        total += e->len + sep->len;
    }
    if (coll->len == 1) {
        *out = coll->u.a[0];
        return BI_OK;
    }
    txt_buf b;
    txt_init(&b, ctx->arena, total);
    for (uint32_t i = 0; i < coll->len; i++) {
        if (i > 0)
            txt_put(&b, sep->u.s, sep->len);
        txt_put(&b, coll->u.a[i]->u.s, coll->u.a[i]->len);
    }
    return put_result(ctx, txt_finish(&b), out);
}

bi_status bi_contains(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("contains", 0);
    NEED_STR("contains", 1);
    *out = VAL_BOOL(find_bytes(args[0]->u.s, args[0]->len, args[1]->u.s, args[1]->len) != NULL);
    return BI_OK;
}

bi_status bi_startswith(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("startswith", 0);
    NEED_STR("startswith", 1);
    *out = VAL_BOOL(has_prefix(args[0], args[1]));
    return BI_OK;
}

bi_status bi_endswith(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("endswith", 0);
    NEED_STR("endswith", 1);
    *out = VAL_BOOL(has_suffix(args[0], args[1]));
    return BI_OK;
}

/* ---- lower, upper, reverse ---------------------------------------------- */

/* Go's strings.ToLower/ToUpper apply UnicodeData's simple (one-to-one)
 * case mapping per code point, which is what utf8proc_tolower/toupper
 * provide (with one exception, below). */
static bi_status map_case(bi_ctx *ctx, const val *s, bool upper, const val **out)
{
    txt_buf b;
    txt_init(&b, ctx->arena, s->len);
    bool changed = false;
    for (size_t i = 0; i < s->len;) {
        int32_t cp;
        size_t k = txt_next_cp(s->u.s + i, s->len - i, &cp);
        int32_t m = upper ? utf8proc_toupper(cp) : utf8proc_tolower(cp);
        /* utf8proc upper-cases U+00DF to U+1E9E; UnicodeData (and Go) give
         * U+00DF no simple uppercase. Measured: the only difference from
         * UnicodeData's simple mappings in utf8proc 2.6. */
        if (cp == 0xDF)
            m = cp;
        if (m != cp) {
            changed = true;
            txt_put_cp(&b, m);
        } else {
            txt_put(&b, s->u.s + i, k);
        }
        i += k;
    }
    if (!changed) {
        *out = s;
        return BI_OK;
    }
    return put_result(ctx, txt_finish(&b), out);
}

bi_status bi_lower(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("lower", 0);
    return map_case(ctx, args[0], false, out);
}

bi_status bi_upper(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("upper", 0);
    return map_case(ctx, args[0], true, out);
}

bi_status bi_strings_reverse(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("strings.reverse", 0);
    const val *s = args[0];
    if (s->len == 0) {
        *out = s;
        return BI_OK;
    }
    char *buf = arena_alloc(ctx->arena, s->len + 1);
    if (!buf)
        return bi_oom(ctx);
    /* Each code point's bytes keep their order; the sequence of code points
     * is mirrored. Invalid bytes count as one-byte code points. */
    size_t end = s->len;
    for (size_t i = 0; i < s->len;) {
        int32_t cp;
        size_t k = txt_next_cp(s->u.s + i, s->len - i, &cp);
        end -= k;
        memcpy(buf + end, s->u.s + i, k);
        i += k;
    }
    buf[s->len] = '\0';
    return put_result(ctx, v_str_ref(ctx->arena, buf, s->len), out);
}

/* ---- split, strings.split_n ---------------------------------------------- */

/* Go's strings.SplitN(s, sep, n): n < 0 = all pieces, n == 0 = none,
 * n > 0 = at most n pieces, the last holding the unsplit rest. An empty
 * separator splits after each code point. */
static bi_status split_pieces(bi_ctx *ctx, const val *s, const val *sep, int64_t n, const val **out)
{
    vbuild vb;
    vb_init(&vb, ctx->arena);
    const char *p = s->u.s;
    size_t rest = s->len;
    if (n != 0 && sep->len == 0) {
        int64_t total = (int64_t)txt_cp_count(p, rest);
        if (n < 0 || n > total)
            n = total;
        for (int64_t i = 0; i < n - 1; i++) {
            int32_t cp;
            size_t k = txt_next_cp(p, rest, &cp);
            push_val(&vb, v_str(ctx->arena, p, k));
            p += k;
            rest -= k;
        }
        if (n > 0)
            push_val(&vb, v_str(ctx->arena, p, rest));
    } else if (n != 0) {
        for (int64_t i = 0; n < 0 || i < n - 1; i++) {
            const char *hit = find_bytes(p, rest, sep->u.s, sep->len);
            if (!hit)
                break;
            size_t m = (size_t)(hit - p);
            push_val(&vb, v_str(ctx->arena, p, m));
            p += m + sep->len;
            rest -= m + sep->len;
        }
        push_val(&vb, v_str(ctx->arena, p, rest));
    }
    return finish_array(ctx, &vb, out);
}

bi_status bi_split(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("split", 0);
    NEED_STR("split", 1);
    return split_pieces(ctx, args[0], args[1], -1, out);
}

bi_status bi_split_n(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("strings.split_n", 0);
    NEED_STR("strings.split_n", 1);
    int64_t n;
    if (txt_int_operand(ctx, "strings.split_n", 3, args[2], &n) != BI_OK)
        return BI_ERR;
    return split_pieces(ctx, args[0], args[1], n, out);
}

/* ---- replace, strings.replace_n ------------------------------------------ */

/* Go's strings.Replacer: scanning left to right, at each position the
 * first pattern (in the given order) that matches is replaced and the scan
 * resumes after it; matches never overlap. An empty pattern matches at
 * every code-point boundary, but not twice in a row at one position. */
static bi_status replace_patterns(bi_ctx *ctx, const val *s, const val *const *olds, const val *const *news,
                                  uint32_t npat, const val **out)
{
    txt_buf b;
    txt_init(&b, ctx->arena, s->len);
    bool changed = false, prev_empty = false;
    size_t i = 0;
    while (i <= s->len) {
        uint32_t hit = npat;
        for (uint32_t k = 0; k < npat; k++) {
            const val *o = olds[k];
            if (o->len == 0) {
                if (prev_empty)
                    continue;
            } else if (o->len > s->len - i || memcmp(s->u.s + i, o->u.s, o->len) != 0) {
                continue;
            }
            hit = k;
            break;
        }
        if (hit < npat) {
            txt_put(&b, news[hit]->u.s, news[hit]->len);
            changed = true;
            prev_empty = olds[hit]->len == 0;
            i += olds[hit]->len;
            continue;
        }
        prev_empty = false;
        if (i == s->len)
            break;
        int32_t cp;
        size_t k = txt_next_cp(s->u.s + i, s->len - i, &cp);
        txt_put(&b, s->u.s + i, k);
        i += k;
    }
    if (!changed) {
        *out = s;
        return BI_OK;
    }
    return put_result(ctx, txt_finish(&b), out);
}

bi_status bi_replace(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("replace", 0);
    NEED_STR("replace", 1);
    NEED_STR("replace", 2);
    return replace_patterns(ctx, args[0], &args[1], &args[2], 1, out);
}

bi_status bi_replace_n(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *pats = args[0];
    if (pats->type != V_OBJ)
        return bi_type_fail(ctx, "strings.replace_n", 1, "object", pats);
    NEED_STR("strings.replace_n", 1);
    /* Keys are already in Rego order, which is the order OPA sorts them into
     * before building its replacer. */
    for (uint32_t k = 0; k < pats->len; k++) {
        if (pats->u.o.k[k]->type != V_STR)
            return bi_fail(ctx, POL_EVAL_TYPE,
                           "strings.replace_n: operand 1 non-string key found in pattern object");
        if (pats->u.o.v[k]->type != V_STR)
            return bi_fail(ctx, POL_EVAL_TYPE,
                           "strings.replace_n: operand 1 non-string value found in pattern object");
    }
    return replace_patterns(ctx, args[1], pats->u.o.k, pats->u.o.v, pats->len, out);
}

/* ---- trim family --------------------------------------------------------- */

static bool in_cutset(const val *cut, int32_t cp)
{
    for (size_t i = 0; i < cut->len;) {
        int32_t c;
        i += txt_next_cp(cut->u.s + i, cut->len - i, &c);
        if (c == cp)
            return true;
    }
    return false;
}

/* Go's unicode.IsSpace. */
static bool is_go_space(int32_t cp)
{
    switch (cp) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000: return true;
    default: return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* Trims code points for which keep() is false from the chosen ends. */
static bi_status trim_where(bi_ctx *ctx, const val *s, const val *cut, bool left, bool right, const val **out)
{
    size_t start = 0, end = s->len;
    if (left) {
        while (start < s->len) {
            int32_t cp;
            size_t k = txt_next_cp(s->u.s + start, s->len - start, &cp);
            if (cut ? !in_cutset(cut, cp) : !is_go_space(cp))
                break;
            start += k;
        }
    }
    if (right) {
        size_t last_kept = start;
        for (size_t i = start; i < s->len;) {
            int32_t cp;
            size_t k = txt_next_cp(s->u.s + i, s->len - i, &cp);
            i += k;
            if (cut ? !in_cutset(cut, cp) : !is_go_space(cp))
                last_kept = i;
        }
        end = last_kept;
    }
    if (start == 0 && end == s->len) {
        *out = s;
        return BI_OK;
    }
    return put_str(ctx, s->u.s + start, end - start, out);
}

bi_status bi_trim(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("trim", 0);
    NEED_STR("trim", 1);
    return trim_where(ctx, args[0], args[1], true, true, out);
}

bi_status bi_trim_left(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("trim_left", 0);
    NEED_STR("trim_left", 1);
    return trim_where(ctx, args[0], args[1], true, false, out);
}

bi_status bi_trim_right(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("trim_right", 0);
    NEED_STR("trim_right", 1);
    return trim_where(ctx, args[0], args[1], false, true, out);
}

bi_status bi_trim_space(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("trim_space", 0);
    return trim_where(ctx, args[0], NULL, true, true, out);
}

bi_status bi_trim_prefix(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("trim_prefix", 0);
    NEED_STR("trim_prefix", 1);
    if (args[1]->len == 0 || !has_prefix(args[0], args[1])) {
        *out = args[0];
        return BI_OK;
    }
    return put_str(ctx, args[0]->u.s + args[1]->len, args[0]->len - args[1]->len, out);
}

bi_status bi_trim_suffix(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("trim_suffix", 0);
    NEED_STR("trim_suffix", 1);
    if (args[1]->len == 0 || !has_suffix(args[0], args[1])) {
        *out = args[0];
        return BI_OK;
    }
    return put_str(ctx, args[0]->u.s, args[0]->len - args[1]->len, out);
}

/* ---- substring, indexof, indexof_n, strings.count ----------------------- */

/* Byte offset of code point number `cp_index` (or s->len when past the end). */
static size_t cp_offset(const val *s, int64_t cp_index)
{
    size_t i = 0;
    for (int64_t n = 0; n < cp_index && i < s->len; n++) {
        int32_t cp;
        i += txt_next_cp(s->u.s + i, s->len - i, &cp);
    }
    return i;
}

bi_status bi_substring(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("substring", 0);
    int64_t start, length;
    if (txt_int_operand(ctx, "substring", 2, args[1], &start) != BI_OK ||
        txt_int_operand(ctx, "substring", 3, args[2], &length) != BI_OK)
        return BI_ERR;
    if (start < 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "substring: negative offset");
    const val *s = args[0];
    size_t from = cp_offset(s, start);
    size_t to = s->len;
    if (length >= 0 && from < s->len) {
        to = from;
        for (int64_t n = 0; n < length && to < s->len; n++) {
            int32_t cp;
            to += txt_next_cp(s->u.s + to, s->len - to, &cp);
        }
    }
    if (from == 0 && to == s->len) {
        *out = s;
        return BI_OK;
    }
    return put_str(ctx, s->u.s + from, to - from, out);
}

bi_status bi_indexof(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("indexof", 0);
    NEED_STR("indexof", 1);
    const val *s = args[0], *needle = args[1];
    if (needle->len == 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "indexof: empty search character");
    const char *hit = find_bytes(s->u.s, s->len, needle->u.s, needle->len);
    if (!hit)
        return put_int(ctx, -1, out);
    return put_int(ctx, (int64_t)txt_cp_count(s->u.s, (size_t)(hit - s->u.s)), out);
}

bi_status bi_indexof_n(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("indexof_n", 0);
    NEED_STR("indexof_n", 1);
    const val *s = args[0], *needle = args[1];
    if (needle->len == 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "indexof_n: empty search character");
    vbuild vb;
    vb_init(&vb, ctx->arena);
    /* Overlapping matches, reported as code-point indexes: count code points
     * incrementally between consecutive hits. */
    size_t counted_to = 0, cps = 0;
    size_t pos = 0;
    while (pos < s->len) {
        const char *hit = find_bytes(s->u.s + pos, s->len - pos, needle->u.s, needle->len);
        if (!hit)
            break;
        size_t at = (size_t)(hit - s->u.s);
        cps += txt_cp_count(s->u.s + counted_to, at - counted_to);
        counted_to = at;
        push_val(&vb, v_int(ctx->arena, (int64_t)cps));
        int32_t cp;
        pos = at + txt_next_cp(s->u.s + at, s->len - at, &cp);
    }
    return finish_array(ctx, &vb, out);
}

bi_status bi_strings_count(bi_ctx *ctx, const val *const *args, const val **out)
{
    NEED_STR("strings.count", 0);
    NEED_STR("strings.count", 1);
    const val *s = args[0], *needle = args[1];
    if (needle->len == 0)
        return put_int(ctx, (int64_t)txt_cp_count(s->u.s, s->len) + 1, out);
    int64_t n = 0;
    for (size_t pos = 0; pos < s->len;) {
        const char *hit = find_bytes(s->u.s + pos, s->len - pos, needle->u.s, needle->len);
        if (!hit)
            break;
        n++;
        pos = (size_t)(hit - s->u.s) + needle->len;
    }
    return put_int(ctx, n, out);
}

/* ---- strings.any_prefix_match, strings.any_suffix_match ------------------ */

/* Operand n (*slot) as a list of strings; a lone string is a list of one.
 * Errors as OPA's StringSliceOperand. */
static bi_status string_list(bi_ctx *ctx, const char *name, int n, const val *const *slot,
                             const val *const **items, uint32_t *count)
{
    const val *x = *slot;
    if (x->type == V_STR) {
        *items = slot;
        *count = 1;
        return BI_OK;
    }
    if (x->type != V_ARR && x->type != V_SET)
        return bi_type_fail(ctx, name, n, "one of {string, set, array}", x);
    for (uint32_t i = 0; i < x->len; i++)
        if (x->u.a[i]->type != V_STR)
            return txt_elem_fail(ctx, name, n, x, "string", x->u.a[i]);
    *items = x->u.a;
    *count = x->len;
    return BI_OK;
}

static bi_status any_affix_match(bi_ctx *ctx, const char *name, const val *const *args, bool suffix,
                                 const val **out)
{
    const val *const *strs, *const *affixes;
    uint32_t ns, na;
    if (string_list(ctx, name, 1, &args[0], &strs, &ns) != BI_OK ||
        string_list(ctx, name, 2, &args[1], &affixes, &na) != BI_OK)
        return BI_ERR;
    bool any = false;
    for (uint32_t i = 0; i < ns && !any; i++)
        for (uint32_t j = 0; j < na && !any; j++)
            any = suffix ? has_suffix(strs[i], affixes[j]) : has_prefix(strs[i], affixes[j]);
    *out = VAL_BOOL(any);
    return BI_OK;
}

bi_status bi_any_prefix_match(bi_ctx *ctx, const val *const *args, const val **out)
{
    return any_affix_match(ctx, "strings.any_prefix_match", args, false, out);
}

bi_status bi_any_suffix_match(bi_ctx *ctx, const val *const *args, const val **out)
{
    return any_affix_match(ctx, "strings.any_suffix_match", args, true, out);
}

/* ---- internal.template_string -------------------------------------------- */

/* The compiled form of $"…{expr}…": an array whose elements are literal
 * parts (strings, or other scalars printed as text) and, for each
 * interpolated expression, the set of its values — empty when the
 * expression is undefined (printed "<undefined>"), one value otherwise.
 * More than one value would make the string ambiguous: OPA's conflict
 * error. Strings print raw, everything else in Rego term syntax. */
bi_status bi_template_string(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *parts = args[0];
    if (parts->type != V_ARR)
        return bi_type_fail(ctx, "internal.template_string", 1, "array", parts);
    txt_buf b;
    txt_init(&b, ctx->arena, 64);
    for (uint32_t i = 0; i < parts->len; i++) {
        const val *p = parts->u.a[i];
        switch ((vtype)p->type) {
        case V_STR: txt_put(&b, p->u.s, p->len); break;
        case V_NULL:
        case V_BOOL:
        case V_NUM: txt_put_rego(&b, p); break;
        case V_SET:
            if (p->len == 0) {
                txt_put(&b, "<undefined>", 11);
            } else if (p->len > 1) {
                return bi_fail(ctx, POL_EVAL_CONFLICT, "template-strings must not produce multiple outputs");
            } else if (p->u.a[0]->type == V_STR) {
                txt_put(&b, p->u.a[0]->u.s, p->u.a[0]->len);
            } else {
                txt_put_rego(&b, p->u.a[0]);
            }
            break;
        default: return bi_fail(ctx, POL_INTERNAL, "illegal argument type: %s", vtype_name((vtype)p->type));
        }
    }
    return put_result(ctx, txt_finish(&b), out);
}

/* ---- units.parse, units.parse_bytes -------------------------------------- */

/* OPA parses the amount with math/big, so results are exact: integers of
 * any size ("10Ei" is 11529215046068469760), fractions rounded only at the
 * end. We keep the amount as an exact decimal, digits × 10^exp10, and
 * multiply by the unit exactly (binary units by repeated ×1024).
 *
 * UNITS_MAX_DIGITS bounds the integer we are willing to print: exponents are
 * already limited to 6 digits as in OPA, but 1e999999 would still be a
 * million-digit number. Larger results are reported as "exponent too
 * large" rather than materialised. */
enum { UNITS_MAX_DIGITS = 1000, UNITS_EXP_DIGITS = 6, UNITS_FRAC_DIGITS = 10 };

typedef struct units_dec {
    bool neg;
    char *d;   /* ASCII digits, most significant first, no leading zeros */
    size_t nd; /* digits in use; 0 means the value is zero */
    size_t cap;
    int64_t exp10; /* value = d × 10^exp10 */
} units_dec;

/* OPA's extractNumAndUnit: the amount is the longest prefix made of digits,
 * '.', '+', '-', and 'e'/'E' when followed by a digit or sign. Returns false
 * when an exponent has more than UNITS_EXP_DIGITS digits. */
static bool units_split(const char *s, size_t n, size_t *num_len)
{
    size_t boundary = n;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool numeric = (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-';
        if (c == 'e' || c == 'E') {
            if (i + 1 == n || !((s[i + 1] >= '0' && s[i + 1] <= '9') || s[i + 1] == '+' || s[i + 1] == '-')) {
                boundary = i;
                break;
            }
            if (s[i + 1] == '+' || s[i + 1] == '-')
                i++;
            size_t j = i + 1;
            while (j < n && s[j] >= '0' && s[j] <= '9')
                j++;
            if (j - (i + 1) > UNITS_EXP_DIGITS)
                return false;
            continue;
        }
        if (!numeric) {
            boundary = i;
            break;
        }
    }
    *num_len = boundary;
    return true;
}

/* Parses [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)? exactly,
 * as Go's big.Rat/big.Float SetString accept it. */
static bool units_parse_num(arena *a, const char *s, size_t n, units_dec *out)
{
    size_t i = 0;
    out->neg = false;
    out->nd = 0;
    out->exp10 = 0;
    out->cap = n + 8;
    out->d = arena_alloc(a, out->cap);
    if (!out->d)
        return false;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        out->neg = s[i++] == '-';
    size_t digits = 0;
    bool dot = false;
    for (; i < n; i++) {
        char c = s[i];
        if (c == '.' && !dot) {
            dot = true;
            continue;
        }
        if (c < '0' || c > '9')
            break;
        digits++;
        if (dot)
            out->exp10--;
        if (c == '0' && out->nd == 0)
            continue; /* leading zero */
        out->d[out->nd++] = c;
    }
    if (digits == 0)
        return false;
    if (i < n) {
        if (s[i] != 'e' && s[i] != 'E')
            return false;
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t start = i;
        int64_t e = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000000)
                e = e * 10 + (s[i] - '0');
        if (i == start || i != n)
            return false;
        out->exp10 += eneg ? -e : e;
    }
    return true;
}

/* d ×= m for a small m; false when out of memory. */
static bool units_mul_small(arena *a, units_dec *x, unsigned m)
{
    if (x->nd == 0)
        return true;
    if (x->nd + 8 > x->cap) {
        size_t cap = x->cap * 2 + 8;
        char *d = arena_alloc(a, cap);
        if (!d)
            return false;
        memcpy(d, x->d, x->nd);
        x->d = d;
        x->cap = cap;
    }
    /* Multiply from the least significant digit, then prepend the carry. */
    unsigned long carry = 0;
    for (size_t i = x->nd; i-- > 0;) {
        unsigned long t = (unsigned long)(x->d[i] - '0') * m + carry;
        x->d[i] = (char)('0' + t % 10);
        carry = t / 10;
    }
    char head[24];
    size_t nh = 0;
    while (carry) {
        head[nh++] = (char)('0' + carry % 10);
        carry /= 10;
    }
    if (nh) {
        memmove(x->d + nh, x->d, x->nd);
        for (size_t i = 0; i < nh; i++)
            x->d[i] = head[nh - 1 - i];
        x->nd += nh;
    }
    return true;
}

typedef enum units_mode { UNITS_RATIONAL, UNITS_TRUNCATE } units_mode;

/* Renders x as JSON number text and converts it: integers exactly, other
 * values with UNITS_FRAC_DIGITS decimals rounded half away from zero (what
 * big.Rat.FloatString does) or truncated toward zero (big.Float.Int). */
static bi_status units_result(bi_ctx *ctx, const char *name, units_dec *x, units_mode mode, const val **out)
{
    while (x->nd > 0 && x->d[x->nd - 1] == '0') {
        x->nd--;
        x->exp10++;
    }
    if (x->nd == 0)
        return put_result(ctx, v_int(ctx->arena, 0), out);
    int64_t int_digits = (int64_t)x->nd + x->exp10; /* digits before the decimal point */
    if (int_digits > UNITS_MAX_DIGITS)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: exponent too large", name);
    txt_buf b;
    txt_init(&b, ctx->arena, (size_t)(int_digits > 0 ? int_digits : 0) + UNITS_FRAC_DIGITS + 4);
    if (x->exp10 >= 0) {
        if (x->neg)
            txt_putc(&b, '-');
        txt_put(&b, x->d, x->nd);
        txt_pad(&b, '0', (size_t)x->exp10);
    } else {
        /* Integer part, then up to UNITS_FRAC_DIGITS + 1 fraction digits
         * (the extra one decides the rounding). */
        char frac[UNITS_FRAC_DIGITS + 1];
        for (int k = 0; k <= UNITS_FRAC_DIGITS; k++) {
            int64_t idx = int_digits + k; /* index into d of fraction digit k */
            frac[k] = (idx >= 0 && idx < (int64_t)x->nd) ? x->d[idx] : '0';
        }
        size_t ilen = int_digits > 0 ? (size_t)int_digits : 0;
        char *ip = arena_alloc(ctx->arena, ilen + 2);
        if (!ip)
            return bi_oom(ctx);
        ip[0] = '0';
        memcpy(ip + 1, x->d, ilen); /* leading '0' absorbs a rounding carry */
        size_t ipn = ilen + 1;
        if (mode == UNITS_RATIONAL && frac[UNITS_FRAC_DIGITS] >= '5') {
            int k = UNITS_FRAC_DIGITS - 1;
            for (; k >= 0 && frac[k] == '9'; k--)
                frac[k] = '0';
            if (k >= 0) {
                frac[k]++;
            } else {
                size_t j = ipn;
                while (j-- > 0 && ip[j] == '9')
                    ip[j] = '0';
                ip[j]++;
            }
        }
        size_t skip = 0;
        while (skip + 1 < ipn && ip[skip] == '0')
            skip++;
        bool zero_int = ipn - skip == 1 && ip[skip] == '0';
        bool zero_frac = true;
        for (int k = 0; k < UNITS_FRAC_DIGITS; k++)
            zero_frac = zero_frac && frac[k] == '0';
        if (x->neg && !(zero_int && (zero_frac || mode == UNITS_TRUNCATE)))
            txt_putc(&b, '-');
        txt_put(&b, ip + skip, ipn - skip);
        if (mode == UNITS_RATIONAL) {
            txt_putc(&b, '.');
            txt_put(&b, frac, UNITS_FRAC_DIGITS);
        }
    }
    if (b.oom)
        return bi_oom(ctx);
    return put_result(ctx, v_num_text(ctx->arena, b.p, b.len), out);
}

typedef struct units_scale {
    const char *unit;
    unsigned pow1024; /* binary multiplier 1024^n */
    int pow10;        /* decimal multiplier 10^n (negative for milli) */
} units_scale;

/* units.parse: the unit's case matters only for its first letter (m is
 * milli, M mega); the rest was lowered before lookup. */
static const units_scale units_si[] = {
    {"", 0, 0},   {"m", 0, -3}, {"k", 0, 3},  {"K", 0, 3},  {"ki", 1, 0}, {"Ki", 1, 0}, {"M", 0, 6},
    {"mi", 2, 0}, {"Mi", 2, 0}, {"g", 0, 9},  {"G", 0, 9},  {"gi", 3, 0}, {"Gi", 3, 0}, {"t", 0, 12},
    {"T", 0, 12}, {"ti", 4, 0}, {"Ti", 4, 0}, {"p", 0, 15}, {"P", 0, 15}, {"pi", 5, 0}, {"Pi", 5, 0},
    {"e", 0, 18}, {"E", 0, 18}, {"ei", 6, 0}, {"Ei", 6, 0},
};

/* units.parse_bytes: the whole string was lowered first. */
static const units_scale units_bytes[] = {
    {"", 0, 0},    {"kb", 0, 3},  {"k", 0, 3},   {"kib", 1, 0}, {"ki", 1, 0},  {"mb", 0, 6},  {"m", 0, 6},
    {"mib", 2, 0}, {"mi", 2, 0},  {"gb", 0, 9},  {"g", 0, 9},   {"gib", 3, 0}, {"gi", 3, 0},  {"tb", 0, 12},
    {"t", 0, 12},  {"tib", 4, 0}, {"ti", 4, 0},  {"pb", 0, 15}, {"p", 0, 15},  {"pib", 5, 0}, {"pi", 5, 0},
    {"eb", 0, 18}, {"e", 0, 18},  {"eib", 6, 0}, {"ei", 6, 0},
};

static bi_status units_common(bi_ctx *ctx, const val *arg, bool bytes, const val **out)
{
    const char *name = bytes ? "units.parse_bytes" : "units.parse";
    if (arg->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", arg);
    /* Quotes are dropped (OPA accepts "\"10Ki\""); parse_bytes also lowers
     * the whole string. */
    char *s = arena_alloc(ctx->arena, arg->len + 1);
    if (!s)
        return bi_oom(ctx);
    size_t n = 0;
    for (uint32_t i = 0; i < arg->len; i++) {
        char c = arg->u.s[i];
        if (c == '"')
            continue;
        if (bytes && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        s[n++] = c;
    }
    s[n] = '\0';
    const char *msg_space = "spaces not allowed in resource strings";
    if (memchr(s, ' ', n))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name, msg_space);
    size_t num_len;
    if (!units_split(s, n, &num_len))
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: exponent too large", name);
    if (num_len == 0)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name,
                       bytes ? "no byte amount provided" : "no amount provided");
    char *unit = s + num_len;
    size_t unit_len = n - num_len;
    if (!bytes)
        for (size_t i = 1; i < unit_len; i++)
            if (unit[i] >= 'A' && unit[i] <= 'Z')
                unit[i] = (char)(unit[i] - 'A' + 'a');
    const units_scale *table = bytes ? units_bytes : units_si;
    size_t ntable = bytes ? sizeof units_bytes / sizeof units_bytes[0] : sizeof units_si / sizeof units_si[0];
    const units_scale *scale = NULL;
    for (size_t i = 0; i < ntable && !scale; i++)
        if (strlen(table[i].unit) == unit_len && memcmp(table[i].unit, unit, unit_len) == 0)
            scale = &table[i];
    if (!scale)
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %sunit %.*s not recognized", name, bytes ? "byte " : "",
                       (int)unit_len, unit);
    units_dec x;
    if (!units_parse_num(ctx->arena, s, num_len, &x)) {
        if (!x.d)
            return bi_oom(ctx);
        return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name,
                       bytes ? "could not parse byte amount to a number"
                             : "could not parse amount to a number");
    }
    for (unsigned i = 0; i < scale->pow1024; i++)
        if (!units_mul_small(ctx->arena, &x, 1024))
            return bi_oom(ctx);
    x.exp10 += scale->pow10;
    return units_result(ctx, name, &x, bytes ? UNITS_TRUNCATE : UNITS_RATIONAL, out);
}

bi_status bi_units_parse(bi_ctx *ctx, const val *const *args, const val **out)
{
    return units_common(ctx, args[0], false, out);
}

bi_status bi_units_parse_bytes(bi_ctx *ctx, const val *const *args, const val **out)
{
    return units_common(ctx, args[0], true, out);
}
