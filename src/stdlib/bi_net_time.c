/* uuid.*, rand.intn, semver.* and opa.runtime.
 *
 * uuid.rfc4122 and rand.intn are BIF_NONDET but stable within one
 * evaluation: their results are functions of ctx->seed and the
 * arguments, matching OPA's per-query caching of them. uuid.parse follows
 * google/uuid, semver.* OPA's internal/semver.
 */
#include "bi_net_time_util.h"

#include <stdio.h>
#include <xxhash.h>

/* Go's strconv.Quote for the UTF-8 text we are given (non-ASCII bytes of
 * valid UTF-8 pass through as Go would print them). */
static void quote_go_strconv(sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sb_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': sb_puts(b, "\\\""); break;
        case '\\': sb_puts(b, "\\\\"); break;
        case '\a': sb_puts(b, "\\a"); break;
        case '\b': sb_puts(b, "\\b"); break;
        case '\f': sb_puts(b, "\\f"); break;
        case '\n': sb_puts(b, "\\n"); break;
        case '\r': sb_puts(b, "\\r"); break;
        case '\t': sb_puts(b, "\\t"); break;
        case '\v': sb_puts(b, "\\v"); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                sb_puts(b, "\\x");
                sb_putc(b, hex[c >> 4]);
                sb_putc(b, hex[c & 15]);
            } else {
                sb_putc(b, (char)c);
            }
        }
    }
    sb_putc(b, '"');
}

/* ======================================================================
 * UUID, rand, semver, opa.runtime
 * ====================================================================== */

/* A version-4 UUID that is a function of (ctx->seed, argument): the same
 * call within one evaluation returns the same value, as OPA caches it. */
bi_status bi_uuid_rfc4122(bi_ctx *ctx, const val *const *args, const val **out)
{
    uint8_t b[16];
    uint64_t seed = bi_seed(ctx);
    uint64_t h1 = val_hash(args[0], seed), h2 = val_hash(args[0], seed ^ 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(h1 >> (56 - 8 * i));
        b[8 + i] = (uint8_t)(h2 >> (56 - 8 * i));
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char s[37];
    snprintf(s, sizeof s, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return nt_out_str(ctx, s, 36, out);
}

/* google/uuid's Parse: 36-char canonical form, "urn:uuid:" prefix (any
 * case), braces (not checked, as there) or 32 bare hex digits. */
static bool uuid_decode(const char *s, size_t n, uint8_t u[16])
{
    static const int pos[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
    if (n == 32) {
        for (int i = 0; i < 16; i++) {
            int hi = nt_hex_digit(s[2 * i]), lo = nt_hex_digit(s[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return false;
            u[i] = (uint8_t)(hi << 4 | lo);
        }
        return true;
    }
    if (n == 45) {
        if (!nt_ascii_fold_eq(s, "urn:uuid:", 9))
            return false;
        s += 9;
    } else if (n == 38) {
        s += 1;
    } else if (n != 36) {
        return false;
    }
    if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return false;
    for (int i = 0; i < 16; i++) {
        int hi = nt_hex_digit(s[pos[i]]), lo = nt_hex_digit(s[pos[i] + 1]);
        if (hi < 0 || lo < 0)
            return false;
        u[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool put_str_field(vbuild *vb, arena *a, const char *k, const char *v, size_t vn)
{
    const val *key = v_cstr(a, k), *x = v_str(a, v, vn);
    return key && x && vb_put(vb, key, x);
}

static bool put_int_field(vbuild *vb, arena *a, const char *k, int64_t v)
{
    const val *key = v_cstr(a, k), *x = v_int(a, v);
    return key && x && vb_put(vb, key, x);
}

/* uuid.parse: the fields OPA reports (version and variant always; time,
 * node, clock sequence for versions 1 and 2; id and domain for 2).
 * Undefined when the string is not a UUID. */
bi_status bi_uuid_parse(bi_ctx *ctx, const val *const *args, const val **out)
{
    const val *s = args[0];
    uint8_t u[16];
    char tmp[32];
    if (!nt_is_str(s))
        return bi_type_fail(ctx, "uuid.parse", 1, "string", s);
    if (!uuid_decode(s->u.s, s->len, u))
        return BI_UNDEF;
    arena *a = ctx->arena;
    vbuild vb;
    vb_init(&vb, a);
    int version = u[6] >> 4;
    const char *variant;
    if ((u[8] & 0xc0) == 0x80)
        variant = "RFC4122";
    else if ((u[8] & 0xe0) == 0xc0)
        variant = "Microsoft";
    else if ((u[8] & 0xe0) == 0xe0)
        variant = "Future";
    else
        variant = "Reserved";
    bool ok = put_int_field(&vb, a, "version", version) &&
              put_str_field(&vb, a, "variant", variant, strlen(variant));
    if (ok && (version == 1 || version == 2)) {
        /* 60-bit count of 100ns intervals since 1582-10-15. */
        int64_t t100 = (int64_t)((uint64_t)nt_be32(u) | (uint64_t)(u[4] << 8 | u[5]) << 32 |
                                 (uint64_t)((u[6] << 8 | u[7]) & 0xfff) << 48);
        int64_t since_unix = t100 - 122192928000000000LL; /* 12219292800 s * 1e7 */
        /* Wraps like Go's int64 arithmetic for times far before 1970. */
        int64_t unix_ns = (int64_t)((uint64_t)(since_unix / 10000000) * (uint64_t)NT_NS_PER_SEC +
                                    (uint64_t)(since_unix % 10000000 * 100));
        int k = snprintf(tmp, sizeof tmp, "%02x-%02x-%02x-%02x-%02x-%02x", u[10], u[11], u[12], u[13], u[14],
                         u[15]);
        const char *mac = (u[10] & 3) == 3 ? "local:multicast"
                          : (u[10] & 1)    ? "global:multicast"
                          : (u[10] & 2)    ? "local:unicast"
                                           : "global:unicast";
        ok = put_int_field(&vb, a, "time", unix_ns) && put_str_field(&vb, a, "nodeid", tmp, (size_t)k) &&
             put_str_field(&vb, a, "macvariables", mac, strlen(mac)) &&
             put_int_field(&vb, a, "clocksequence", (u[8] << 8 | u[9]) & 0x3fff);
        if (ok && version == 2) {
            static const char domains[3][8] = {"Person", "Group", "Org"};
            if (u[9] < 3)
                k = snprintf(tmp, sizeof tmp, "%s", domains[u[9]]);
            else
                k = snprintf(tmp, sizeof tmp, "Domain%d", u[9]);
            ok = put_int_field(&vb, a, "id", (int64_t)nt_be32(u)) &&
                 put_str_field(&vb, a, "domain", tmp, (size_t)k);
        }
    }
    *out = ok ? vb_finish_object(&vb, NULL) : NULL;
    return *out ? BI_OK : bi_oom(ctx);
}

/* rand.intn(str, n): a number in [0, |n|) that is a function of
 * (ctx->seed, str, |n|), so repeated calls in one evaluation agree. */
bi_status bi_rand_intn(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "rand.intn";
    int64_t n;
    if (!nt_is_str(args[0]))
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    bi_status st = nt_int_operand(ctx, name, 2, args[1], &n);
    if (st != BI_OK)
        return st;
    if (n == 0)
        return nt_out_int(ctx, 0, out);
    uint64_t m = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    uint64_t h = XXH3_64bits_withSeed(args[0]->u.s, args[0]->len, bi_seed(ctx) ^ (m * 0x9e3779b97f4a7c15ULL));
    return nt_out_int(ctx, (int64_t)(h % m), out);
}

/* ---- semver (OPA's internal/semver) --------------------------------------- */

typedef struct semver {
    int64_t major, minor, patch;
    const char *pre;
    size_t pre_len;
} semver;

/* [0-9A-Za-z-]+ separated by single dots. */
static bool semver_idents_ok(const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '.') {
            if (run == 0)
                return false;
            run = 0;
        } else if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-') {
            run++;
        } else {
            return false;
        }
    }
    return run > 0;
}

/* strconv.ParseInt(s, 10, 64): optional sign, digits, no overflow. */
static bool parse_int64(const char *s, size_t n, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0;
    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        s++;
        n--;
    }
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > (uint64_t)INT64_MAX + neg)
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool semver_parse(const char *s, size_t n, semver *v)
{
    if (n > 0 && s[0] == 'v') {
        s++;
        n--;
    }
    const char *plus = memchr(s, '+', n);
    if (plus) {
        size_t mn = n - (size_t)(plus - s) - 1;
        if (mn > 0 && !semver_idents_ok(plus + 1, mn))
            return false;
        n = (size_t)(plus - s);
    }
    const char *dash = memchr(s, '-', n);
    v->pre = "";
    v->pre_len = 0;
    if (dash) {
        v->pre = dash + 1;
        v->pre_len = n - (size_t)(dash - s) - 1;
        if (v->pre_len > 0 && !semver_idents_ok(v->pre, v->pre_len))
            return false;
        n = (size_t)(dash - s);
    }
    const char *d1 = memchr(s, '.', n);
    if (!d1)
        return false;
    const char *d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - s));
    if (!d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - s)))
        return false;
    return parse_int64(s, (size_t)(d1 - s), &v->major) &&
           parse_int64(d1 + 1, (size_t)(d2 - d1 - 1), &v->minor) &&
           parse_int64(d2 + 1, n - (size_t)(d2 + 1 - s), &v->patch);
}

static bool all_decimal(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return n > 0;
}

/* strconv.Atoi of an all-digit identifier, saturating as Go's does. */
static int64_t decimal_saturating(const char *s, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > INT64_MAX)
            return INT64_MAX;
    }
    return (int64_t)v;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

/* SemVer 2.0.0 precedence; build metadata is ignored. */
static int semver_compare(const semver *a, const semver *b)
{
    int c = cmp_i64(a->major, b->major);
    if (!c)
        c = cmp_i64(a->minor, b->minor);
    if (!c)
        c = cmp_i64(a->patch, b->patch);
    if (c)
        return c;
    if (a->pre_len == b->pre_len && memcmp(a->pre, b->pre, a->pre_len) == 0)
        return 0;
    if (a->pre_len == 0)
        return 1; /* a release outranks its pre-releases */
    if (b->pre_len == 0)
        return -1;
    const char *pa = a->pre, *ea = a->pre + a->pre_len, *pb = b->pre, *eb = b->pre + b->pre_len;
    for (;;) {
        const char *da = memchr(pa, '.', (size_t)(ea - pa)), *db = memchr(pb, '.', (size_t)(eb - pb));
        size_t la = da ? (size_t)(da - pa) : (size_t)(ea - pa),
               lb = db ? (size_t)(db - pb) : (size_t)(eb - pb);
        if (la == 0 && lb == 0)
            return 0; /* equal apart from spelling ("01" vs "1") */
        if (la == 0)
            return -1;
        if (lb == 0)
            return 1;
        bool ia = all_decimal(pa, la), ib = all_decimal(pb, lb);
        if (ia != ib)
            return ia ? -1 : 1; /* numeric identifiers sort first */
        if (ia) {
            c = cmp_i64(decimal_saturating(pa, la), decimal_saturating(pb, lb));
        } else {
            c = memcmp(pa, pb, la < lb ? la : lb);
            c = c ? (c < 0 ? -1 : 1) : cmp_i64((int64_t)la, (int64_t)lb);
        }
        if (c)
            return c;
        if (da && !db)
            return 1; /* more identifiers outrank fewer */
        if (!da && db)
            return -1;
        if (!da && !db)
            return 0;
        pa = da + 1;
        pb = db + 1;
    }
}

bi_status bi_semver_is_valid(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    semver v;
    *out = VAL_BOOL(nt_is_str(args[0]) && semver_parse(args[0]->u.s, args[0]->len, &v));
    return BI_OK;
}

bi_status bi_semver_compare(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "semver.compare";
    semver v[2];
    for (int i = 0; i < 2; i++)
        if (!nt_is_str(args[i]))
            return bi_type_fail(ctx, name, i + 1, "string", args[i]);
    for (int i = 0; i < 2; i++) {
        if (!semver_parse(args[i]->u.s, args[i]->len, &v[i])) {
            char buf[sizeof ctx->err_msg];
            sbuf sb;
            sb_init(&sb, buf, sizeof buf - 1);
            quote_go_strconv(&sb, args[i]->u.s, args[i]->len);
            buf[sb.len < sizeof buf - 1 ? sb.len : sizeof buf - 1] = '\0';
            return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: operand %d: string %s is not a valid SemVer", name,
                           i + 1, buf);
        }
    }
    return nt_out_int(ctx, semver_compare(&v[0], &v[1]), out);
}

/* No runtime information is embedded (OPA returns {} when it has none). */
bi_status bi_opa_runtime(bi_ctx *ctx, const val *const *args, const val **out)
{
    (void)ctx;
    (void)args;
    *out = &val_empty_obj_c;
    return BI_OK;
}
