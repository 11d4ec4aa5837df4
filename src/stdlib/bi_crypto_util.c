/* Shared helpers for the crypto builtins: Go-compatible base64, PEM and
 * JSON encoding (OPA's results and error texts come from Go's standard
 * library, so the byte-level behaviour is reproduced here), and key
 * loading from PEM / JWK into OpenSSL EVP_PKEYs.
 *
 * OpenSSL allocates with malloc internally; that is accepted for these
 * builtins. Every OpenSSL object created here is freed on every path.
 */
#include "bi_crypto_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <utf8proc.h>

bi_status crypto_fail(bi_ctx *ctx, const char *name, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bi_fail(ctx, POL_EVAL_BUILTIN, "%s: %s", name, msg);
}

/* ---- hex and base64 ----------------------------------------------------- */

static const char hex_digits[] = "0123456789abcdef";

char *crypto_hex(arena *a, const unsigned char *p, size_t n)
{
    char *s = arena_alloc(a, n * 2 + 1);
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = hex_digits[p[i] >> 4];
        s[2 * i + 1] = hex_digits[p[i] & 15];
    }
    s[n * 2] = '\0';
    return s;
}

static int b64_digit(unsigned char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

size_t crypto_b64_decoded_cap(size_t n)
{
    return n / 4 * 3 + 3;
}

static size_t skip_newlines(const char *s, size_t n, size_t i)
{
    while (i < n && (s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/* Mirrors Go's Encoding.decodeQuantum loop, including where it reports the
 * first bad byte, because OPA's messages quote that offset. */
long crypto_b64_decode(const char *s, size_t n, unsigned flags, unsigned char *out, size_t *out_len)
{
    bool url = flags & CRYPTO_B64_URL, padded = !(flags & CRYPTO_B64_NOPAD);
    size_t si = 0, o = 0;
    for (;;) {
        unsigned d[4] = {0, 0, 0, 0};
        size_t dlen = 4;
        bool last = false;
        for (int j = 0; j < 4; j++) {
            if (si == n) {
                if (j == 0) {
                    *out_len = o;
                    return -1;
                }
                if (j == 1 || padded)
                    return (long)(si - (size_t)j);
                dlen = (size_t)j;
                last = true;
                break;
            }
            unsigned char c = (unsigned char)s[si++];
            int v = b64_digit(c, url);
            if (v >= 0) {
                d[j] = (unsigned)v;
                continue;
            }
            if (c == '\n' || c == '\r') {
                j--;
                continue;
            }
            if (!padded || c != '=')
                return (long)(si - 1);
            if (j < 2)
                return (long)(si - 1);
            if (j == 2) {
                si = skip_newlines(s, n, si);
                if (si == n)
                    return (long)n;
                if (s[si] != '=')
                    return (long)(si - 1);
                si++;
            }
            si = skip_newlines(s, n, si);
            if (si < n)
                return (long)si;
            dlen = (size_t)j;
            last = true;
            break;
        }
        uint32_t v = d[0] << 18 | d[1] << 12 | d[2] << 6 | d[3];
        if (dlen >= 2)
            out[o++] = (unsigned char)(v >> 16);
        if (dlen >= 3)
            out[o++] = (unsigned char)(v >> 8);
        if (dlen >= 4)
            out[o++] = (unsigned char)v;
        if (last) {
            *out_len = o;
            return -1;
        }
    }
}

bi_status crypto_b64url_decode_opa(bi_ctx *ctx, const char *name, const char *what, const char *s, size_t n,
                                   unsigned char **out, size_t *out_len)
{
    size_t pad = 0;
    if (n == 0 || s[n - 1] != '=') {
        switch (n % 4) {
        case 0: break;
        case 2: pad = 2; break;
        case 3: pad = 1; break;
        default:
            if (what)
                return crypto_fail(ctx, name, "%s had invalid encoding: illegal base64url string: %.*s", what,
                                   (int)(n > 200 ? 200 : n), s);
            return crypto_fail(ctx, name, "illegal base64url string: %.*s", (int)(n > 200 ? 200 : n), s);
        }
    }
    char *padded = arena_alloc(ctx->arena, n + pad + 1);
    unsigned char *buf = arena_alloc(ctx->arena, crypto_b64_decoded_cap(n + pad) + 1);
    if (!padded || !buf)
        return bi_oom(ctx);
    memcpy(padded, s, n);
    memset(padded + n, '=', pad);
    long bad = crypto_b64_decode(padded, n + pad, CRYPTO_B64_URL, buf, out_len);
    if (bad >= 0) {
        if (what)
            return crypto_fail(ctx, name, "%s had invalid encoding: illegal base64 data at input byte %ld",
                               what, bad);
        return crypto_fail(ctx, name, "illegal base64 data at input byte %ld", bad);
    }
    buf[*out_len] = '\0';
    *out = buf;
    return BI_OK;
}

bi_status crypto_b64_std_decode(bi_ctx *ctx, const char *name, const char *s, size_t n, unsigned char **out,
                                size_t *out_len)
{
    unsigned char *buf = arena_alloc(ctx->arena, crypto_b64_decoded_cap(n) + 1);
    if (!buf)
        return bi_oom(ctx);
    long bad = crypto_b64_decode(s, n, 0, buf, out_len);
    if (bad >= 0)
        return crypto_fail(ctx, name, "illegal base64 data at input byte %ld", bad);
    buf[*out_len] = '\0';
    *out = buf;
    return BI_OK;
}

bool crypto_b64_decode_any(const char *s, size_t n, unsigned char *out, size_t *out_len)
{
    while (n > 0 && s[n - 1] == '=')
        n--;
    bool url = false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '-' || s[i] == '_')
            url = true;
    }
    return crypto_b64_decode(s, n, CRYPTO_B64_NOPAD | (url ? CRYPTO_B64_URL : 0), out, out_len) < 0;
}

char *crypto_b64_encode(arena *a, const unsigned char *p, size_t n, unsigned flags)
{
    const char *alpha = (flags & CRYPTO_B64_URL)
                            ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                            : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    bool pad = !(flags & CRYPTO_B64_NOPAD);
    char *s = arena_alloc(a, (n + 2) / 3 * 4 + 1);
    if (!s)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        s[o++] = alpha[v >> 18];
        s[o++] = alpha[(v >> 12) & 63];
        s[o++] = alpha[(v >> 6) & 63];
        s[o++] = alpha[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        s[o++] = alpha[v >> 18];
        s[o++] = alpha[(v >> 12) & 63];
        if (pad) {
            s[o++] = '=';
            s[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        s[o++] = alpha[v >> 18];
        s[o++] = alpha[(v >> 12) & 63];
        s[o++] = alpha[(v >> 6) & 63];
        if (pad)
            s[o++] = '=';
    }
    s[o] = '\0';
    return s;
}

/* ---- PEM ---------------------------------------------------------------- */

/* Go's pem getLine: the line without its trailing " \t\r", and the offset
 * just after its '\n' (or the end). */
static size_t pem_line(const char *s, size_t n, size_t at, size_t *line_end)
{
    size_t i = at;
    while (i < n && s[i] != '\n')
        i++;
    size_t next = i < n ? i + 1 : n;
    while (i > at && (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\r'))
        i--;
    *line_end = i;
    return next;
}

static const char *mem_find(const char *h, size_t hn, const char *needle)
{
    size_t nn = strlen(needle);
    if (nn > hn)
        return NULL;
    for (size_t i = 0; i + nn <= hn; i++) {
        if (h[i] == needle[0] && memcmp(h + i, needle, nn) == 0)
            return h + i;
    }
    return NULL;
}

static bool has_prefix(const char *s, size_t n, const char *p)
{
    size_t pn = strlen(p);
    return n >= pn && memcmp(s, p, pn) == 0;
}

/* Follows Go's encoding/pem.Decode step by step: a candidate BEGIN line
 * that does not lead to a well-formed block makes the search go on after
 * it, exactly as Go does. */
int crypto_pem_decode(arena *a, const char *s, size_t n, crypto_pem_block *blk, size_t *rest_off)
{
    size_t pos = 0;
    for (;;) {
        if (pos == 0 && has_prefix(s, n, "-----BEGIN ")) {
            pos = strlen("-----BEGIN ");
        } else {
            const char *hit = mem_find(s + pos, n - pos, "\n-----BEGIN ");
            if (!hit)
                return 0;
            pos = (size_t)(hit - s) + strlen("\n-----BEGIN ");
        }
        size_t type_start = pos, type_end;
        size_t rest = pem_line(s, n, pos, &type_end);
        pos = rest;
        if (type_end - type_start < 5 || memcmp(s + type_end - 5, "-----", 5) != 0)
            continue;
        type_end -= 5;
        size_t type_len = type_end - type_start;

        size_t headers = 0;
        bool truncated = false;
        for (;;) {
            if (rest == n) {
                truncated = true;
                break;
            }
            size_t line_end;
            size_t next = pem_line(s, n, rest, &line_end);
            if (!memchr(s + rest, ':', line_end - rest))
                break;
            headers++;
            rest = next;
        }
        if (truncated)
            return 0;

        size_t end_idx, trailer_idx;
        if (headers == 0 && has_prefix(s + rest, n - rest, "-----END ")) {
            end_idx = rest;
            trailer_idx = rest + strlen("-----END ");
        } else {
            const char *hit = mem_find(s + rest, n - rest, "\n-----END ");
            if (!hit)
                continue;
            end_idx = (size_t)(hit - s);
            trailer_idx = end_idx + strlen("\n-----END ");
        }
        size_t trailer_len = type_len + 5;
        if (n - trailer_idx < trailer_len)
            continue;
        if (memcmp(s + trailer_idx, s + type_start, type_len) != 0 ||
            memcmp(s + trailer_idx + type_len, "-----", 5) != 0)
            continue;
        size_t after = trailer_idx + trailer_len, line_end;
        size_t next = pem_line(s, n, after, &line_end);
        if (line_end != after)
            continue;

        /* Go drops spaces and tabs; the decoder itself skips CR/LF. */
        size_t body_len = end_idx - rest;
        char *clean = arena_alloc(a, body_len + 1);
        unsigned char *der = arena_alloc(a, crypto_b64_decoded_cap(body_len) + 1);
        if (!clean || !der)
            return -1;
        size_t cn = 0;
        for (size_t i = rest; i < end_idx; i++) {
            if (s[i] != ' ' && s[i] != '\t')
                clean[cn++] = s[i];
        }
        size_t der_len;
        if (crypto_b64_decode(clean, cn, 0, der, &der_len) >= 0)
            continue;
        blk->type = s + type_start;
        blk->type_len = type_len;
        blk->der = der;
        blk->der_len = der_len;
        blk->header_count = headers;
        *rest_off = next;
        return 1;
    }
}

bool crypto_pem_type_is(const crypto_pem_block *blk, const char *type)
{
    return blk->type_len == strlen(type) && memcmp(blk->type, type, blk->type_len) == 0;
}

/* ---- Go json.Marshal ---------------------------------------------------- */

static void gojson_string(sbuf *b, const char *s, size_t n)
{
    sb_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&') {
                sb_putc(b, (char)c);
            } else if (c == '"' || c == '\\') {
                sb_putc(b, '\\');
                sb_putc(b, (char)c);
            } else if (c == '\n') {
                sb_puts(b, "\\n");
            } else if (c == '\r') {
                sb_puts(b, "\\r");
            } else if (c == '\t') {
                sb_puts(b, "\\t");
            } else if (c == '\b') {
                sb_puts(b, "\\b");
            } else if (c == '\f') {
                sb_puts(b, "\\f");
            } else {
                char esc[7] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 15], 0};
                sb_puts(b, esc);
            }
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t len =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
        if (len <= 0) {
            sb_puts(b, "\\ufffd");
            i++;
            continue;
        }
        if (cp == 0x2028 || cp == 0x2029) {
            sb_puts(b, cp == 0x2028 ? "\\u2028" : "\\u2029");
        } else {
            sb_put(b, s + i, (size_t)len);
        }
        i += (size_t)len;
    }
    sb_putc(b, '"');
}

void crypto_gojson_write(sbuf *b, const val *x)
{
    switch ((vtype)x->type) {
    case V_NULL: sb_puts(b, "null"); break;
    case V_BOOL: sb_puts(b, x->u.b ? "true" : "false"); break;
    case V_NUM: json_write_number(b, x); break;
    case V_STR: gojson_string(b, x->u.s, x->len); break;
    case V_ARR:
    case V_SET:
        sb_putc(b, '[');
        for (uint32_t i = 0; i < x->len; i++) {
            if (i)
                sb_putc(b, ',');
            crypto_gojson_write(b, x->u.a[i]);
        }
        sb_putc(b, ']');
        break;
    case V_OBJ:
        sb_putc(b, '{');
        for (uint32_t i = 0; i < x->len; i++) {
            if (i)
                sb_putc(b, ',');
            const val *k = x->u.o.k[i];
            if (k->type == V_STR) {
                gojson_string(b, k->u.s, k->len);
            } else {
                /* OPA turns a non-string key into its JSON text. */
                char tmp[256];
                sbuf kb;
                sb_init(&kb, tmp, sizeof tmp);
                json_write(&kb, k, 0);
                gojson_string(b, tmp, kb.len < sizeof tmp ? kb.len : sizeof tmp - 1);
            }
            sb_putc(b, ':');
            crypto_gojson_write(b, x->u.o.v[i]);
        }
        sb_putc(b, '}');
        break;
    }
}

char *crypto_gojson(arena *a, const val *x, size_t *len)
{
    sbuf probe;
    sb_init(&probe, NULL, 0);
    crypto_gojson_write(&probe, x);
    char *buf = arena_alloc(a, probe.len + 1);
    if (!buf)
        return NULL;
    sbuf b;
    sb_init(&b, buf, probe.len + 1);
    crypto_gojson_write(&b, x);
    buf[probe.len] = '\0';
    *len = probe.len;
    return buf;
}

/* ---- value helpers ------------------------------------------------------ */

const val *crypto_json_parse(bi_ctx *ctx, const char *s, size_t n, json_error *err, bool *oom)
{
    *oom = false;
    const val *v = json_parse(ctx->arena, s, n, err);
    /* json_parse reports a full arena as the error text "out of memory";
     * that must stay an arena-limit error, not become "invalid JSON". */
    if (!v && strcmp(err->msg, "out of memory") == 0) {
        *oom = true;
        bi_oom(ctx);
    }
    return v;
}

const val *crypto_get(const val *obj, const char *key)
{
    if (!obj || obj->type != V_OBJ)
        return NULL;
    return val_obj_get_str(obj, key, strlen(key));
}

bool crypto_put(vbuild *b, const char *key, const val *v)
{
    if (!v)
        return false;
    const val *k = v_str_ref(b->a, key, strlen(key));
    return k && vb_put(b, k, v);
}

const val *crypto_bytes_val(arena *a, const unsigned char *p, size_t n, bool null_if_empty)
{
    if (n == 0 && null_if_empty)
        return VAL_NULL;
    char *s = crypto_b64_encode(a, p, n, 0);
    return s ? v_str_ref(a, s, strlen(s)) : NULL;
}

/* ---- keys --------------------------------------------------------------- */

void crypto_keyset_free(crypto_keyset *ks)
{
    for (size_t i = 0; i < ks->n; i++) {
        EVP_PKEY_free(ks->keys[i].pkey);
        ks->keys[i].pkey = NULL;
    }
    ks->n = 0;
}

/* Decodes a base64url JWK member into the arena. Returns 1 on success, 0
 * when absent, -1 when malformed, -2 when the arena is full. */
static int jwk_bytes(arena *a, const val *jwk, const char *member, unsigned char **out, size_t *len)
{
    const val *m = crypto_get(jwk, member);
    if (!m)
        return 0;
    if (m->type != V_STR)
        return -1;
    unsigned char *buf = arena_alloc(a, crypto_b64_decoded_cap(m->len) + 1);
    if (!buf)
        return -2;
    if (!crypto_b64_decode_any(m->u.s, m->len, buf, len))
        return -1;
    *out = buf;
    return 1;
}

/* Pushes a big-endian integer member as an OSSL BIGNUM parameter. The
 * BIGNUM is kept in `bns` (freed by the caller) because the builder
 * references it until the params are built. */
static int jwk_push_bn(arena *a, OSSL_PARAM_BLD *bld, const val *jwk, const char *member, const char *param,
                       BIGNUM **bns, size_t *nbn)
{
    unsigned char *p;
    size_t len;
    int r = jwk_bytes(a, jwk, member, &p, &len);
    if (r <= 0)
        return r;
    BIGNUM *bn = BN_bin2bn(p, (int)len, NULL);
    if (!bn)
        return -1;
    bns[(*nbn)++] = bn;
    return OSSL_PARAM_BLD_push_BN(bld, param, bn) ? 1 : -1;
}

static EVP_PKEY *pkey_from_params(const char *type, OSSL_PARAM_BLD *bld, bool priv)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    if (params && pctx && EVP_PKEY_fromdata_init(pctx) > 0)
        EVP_PKEY_fromdata(pctx, &pkey, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static const char *jwk_rsa(arena *a, const val *jwk, EVP_PKEY **out)
{
    static const struct {
        const char *member, *param;
    } parts[] = {
        {"n", OSSL_PKEY_PARAM_RSA_N},          {"e", OSSL_PKEY_PARAM_RSA_E},
        {"d", OSSL_PKEY_PARAM_RSA_D},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
    };
    enum { NPARTS = sizeof parts / sizeof parts[0] };
    BIGNUM *bns[NPARTS];
    size_t nbn = 0;
    const char *err = NULL;
    bool priv = false;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (!bld)
        return "out of memory";
    for (size_t i = 0; i < NPARTS && !err; i++) {
        int r = jwk_push_bn(a, bld, jwk, parts[i].member, parts[i].param, bns, &nbn);
        if (r == -2)
            err = "out of memory";
        else if (r < 0)
            err = "invalid RSA key member";
        else if (r == 0 && i < 2)
            err = i == 0 ? "required field n is missing" : "required field e is missing";
        else if (r == 1 && i == 2)
            priv = true;
    }
    if (!err) {
        *out = pkey_from_params("RSA", bld, priv);
        if (!*out)
            err = "invalid RSA key";
    }
    OSSL_PARAM_BLD_free(bld);
    for (size_t i = 0; i < nbn; i++)
        BN_clear_free(bns[i]);
    return err;
}

static const char *jwk_ec(arena *a, const val *jwk, EVP_PKEY **out)
{
    const val *crv = crypto_get(jwk, "crv");
    const char *group;
    size_t field;
    if (!crv || crv->type != V_STR)
        return "required field crv is missing";
    if (strcmp(crv->u.s, "P-256") == 0) {
        group = "prime256v1";
        field = 32;
    } else if (strcmp(crv->u.s, "P-384") == 0) {
        group = "secp384r1";
        field = 48;
    } else if (strcmp(crv->u.s, "P-521") == 0) {
        group = "secp521r1";
        field = 66;
    } else {
        return "unsupported elliptic curve";
    }
    unsigned char *x, *y, *d = NULL;
    size_t xl, yl, dl = 0;
    int rx = jwk_bytes(a, jwk, "x", &x, &xl), ry = jwk_bytes(a, jwk, "y", &y, &yl);
    int rd = jwk_bytes(a, jwk, "d", &d, &dl);
    if (rx == -2 || ry == -2 || rd == -2)
        return "out of memory";
    if (rx != 1 || ry != 1 || rd < 0 || xl > field || yl > field)
        return "invalid EC key coordinates";
    unsigned char point[1 + 2 * 66];
    memset(point, 0, sizeof point);
    point[0] = 0x04; /* uncompressed: 04 || X || Y, each left-padded to the field size */
    memcpy(point + 1 + field - xl, x, xl);
    memcpy(point + 1 + 2 * field - yl, y, yl);

    const char *err = NULL;
    BIGNUM *dbn = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    if (!bld)
        return "out of memory";
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, 1 + 2 * field))
        err = "out of memory";
    if (!err && rd == 1) {
        dbn = BN_bin2bn(d, (int)dl, NULL);
        if (!dbn || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, dbn))
            err = "out of memory";
    }
    if (!err) {
        *out = pkey_from_params("EC", bld, rd == 1);
        if (!*out)
            err = "invalid EC key";
    }
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(dbn);
    return err;
}

static const char *jwk_okp(arena *a, const val *jwk, EVP_PKEY **out)
{
    const val *crv = crypto_get(jwk, "crv");
    if (!crv || crv->type != V_STR || strcmp(crv->u.s, "Ed25519") != 0)
        return "unsupported OKP curve";
    unsigned char *x, *d;
    size_t xl, dl;
    int rx = jwk_bytes(a, jwk, "x", &x, &xl), rd = jwk_bytes(a, jwk, "d", &d, &dl);
    if (rx == -2 || rd == -2)
        return "out of memory";
    if (rd == 1) {
        if (dl != 32)
            return "invalid Ed25519 private key";
        *out = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, dl);
    } else {
        if (rx != 1 || xl != 32)
            return "invalid Ed25519 public key";
        *out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
    }
    return *out ? NULL : "invalid Ed25519 key";
}

bi_status crypto_key_from_jwk(bi_ctx *ctx, const char *name, const char *prefix, const val *jwk,
                              crypto_key *out)
{
    memset(out, 0, sizeof *out);
    if (!jwk || jwk->type != V_OBJ)
        return crypto_fail(ctx, name, "%sinvalid JWK: not a JSON object", prefix);
    const val *kty = crypto_get(jwk, "kty");
    if (!kty || kty->type != V_STR)
        return crypto_fail(ctx, name, "%sinvalid JWK: required field kty is missing", prefix);
    const char *err = NULL;
    if (strcmp(kty->u.s, "RSA") == 0) {
        err = jwk_rsa(ctx->arena, jwk, &out->pkey);
    } else if (strcmp(kty->u.s, "EC") == 0) {
        err = jwk_ec(ctx->arena, jwk, &out->pkey);
    } else if (strcmp(kty->u.s, "OKP") == 0) {
        err = jwk_okp(ctx->arena, jwk, &out->pkey);
    } else if (strcmp(kty->u.s, "oct") == 0) {
        unsigned char *k;
        size_t kl;
        int r = jwk_bytes(ctx->arena, jwk, "k", &k, &kl);
        if (r == -2)
            return bi_oom(ctx);
        if (r != 1)
            err = "required field k is missing or invalid";
        out->secret = k;
        out->secret_len = kl;
    } else {
        return crypto_fail(ctx, name, "%sinvalid key type from JSON (%.*s)", prefix,
                           (int)(kty->len > 64 ? 64 : kty->len), kty->u.s);
    }
    if (err) {
        if (strcmp(err, "out of memory") == 0)
            return bi_oom(ctx);
        return crypto_fail(ctx, name, "%sfailed to parse %s key: %s", prefix, kty->u.s, err);
    }
    const val *alg = crypto_get(jwk, "alg"), *kid = crypto_get(jwk, "kid");
    out->alg = alg && alg->type == V_STR ? alg : NULL;
    out->kid = kid && kid->type == V_STR ? kid : NULL;
    return BI_OK;
}

static bi_status keys_from_jwk_text(bi_ctx *ctx, const char *name, const char *s, size_t n,
                                    crypto_keyset *out)
{
    static const char prefix[] = "failed to parse a JWK key (set): ";
    json_error jerr;
    bool oom;
    const val *doc = crypto_json_parse(ctx, s, n, &jerr, &oom);
    if (oom)
        return BI_ERR;
    if (!doc)
        return crypto_fail(ctx, name, "%sfailed to unmarshal JSON: %s", prefix, jerr.msg);
    if (doc->type != V_OBJ)
        return crypto_fail(ctx, name, "%sinvalid JWK: not a JSON object", prefix);
    const val *list = crypto_get(doc, "keys");
    const val *const *items = &doc;
    size_t count = 1;
    if (list) {
        if (list->type != V_ARR)
            return crypto_fail(ctx, name, "%s\"keys\" must be an array", prefix);
        items = list->u.a;
        count = list->len;
    }
    out->n = 0;
    out->keys = arena_alloc(ctx->arena, (count ? count : 1) * sizeof *out->keys);
    if (!out->keys)
        return bi_oom(ctx);
    for (size_t i = 0; i < count; i++) {
        if (crypto_key_from_jwk(ctx, name, prefix, items[i], &out->keys[out->n]) != BI_OK) {
            crypto_keyset_free(out);
            return BI_ERR;
        }
        out->n++;
    }
    return BI_OK;
}

bi_status crypto_keys_from_cert_or_jwk(bi_ctx *ctx, const char *name, const char *s, size_t n,
                                       crypto_keyset *out)
{
    out->keys = NULL;
    out->n = 0;
    crypto_pem_block blk;
    size_t rest;
    int found = crypto_pem_decode(ctx->arena, s, n, &blk, &rest);
    if (found < 0)
        return bi_oom(ctx);
    if (!found)
        return keys_from_jwk_text(ctx, name, s, n, out);
    if (rest < n)
        return crypto_fail(ctx, name, "extra data after a PEM certificate block");

    EVP_PKEY *pkey = NULL;
    const unsigned char *p = blk.der;
    if (crypto_pem_type_is(&blk, "CERTIFICATE")) {
        X509 *cert = d2i_X509(NULL, &p, (long)blk.der_len);
        if (!cert || p != blk.der + blk.der_len) {
            X509_free(cert);
            return crypto_fail(ctx, name, "failed to parse a PEM certificate: x509: malformed certificate");
        }
        pkey = X509_get_pubkey(cert); /* takes its own reference */
        X509_free(cert);
        if (!pkey)
            return crypto_fail(ctx, name, "failed to parse a PEM certificate: x509: unsupported public key");
    } else if (crypto_pem_type_is(&blk, "PUBLIC KEY")) {
        pkey = d2i_PUBKEY(NULL, &p, (long)blk.der_len);
        if (!pkey || p != blk.der + blk.der_len) {
            EVP_PKEY_free(pkey);
            return crypto_fail(ctx, name, "failed to parse a PEM public key: x509: malformed public key");
        }
    } else {
        return crypto_fail(ctx, name, "failed to extract a Key from the PEM certificate");
    }
    out->keys = arena_alloc(ctx->arena, sizeof *out->keys);
    if (!out->keys) {
        EVP_PKEY_free(pkey);
        return bi_oom(ctx);
    }
    memset(out->keys, 0, sizeof *out->keys);
    out->keys[0].pkey = pkey;
    out->n = 1;
    return BI_OK;
}

static BIGNUM *pkey_bn(const EVP_PKEY *pkey, const char *param)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
        return NULL;
    return bn;
}

const val *crypto_pkey_bn_number(arena *a, const EVP_PKEY *pkey, const char *param)
{
    BIGNUM *bn = pkey_bn(pkey, param);
    if (!bn)
        return NULL;
    char *dec = BN_bn2dec(bn);
    const val *v = dec ? v_num_text(a, dec, strlen(dec)) : NULL;
    OPENSSL_free(dec);
    BN_clear_free(bn);
    return v;
}

const val *crypto_pkey_bn_b64url(arena *a, const EVP_PKEY *pkey, const char *param)
{
    BIGNUM *bn = pkey_bn(pkey, param);
    if (!bn)
        return NULL;
    int len = BN_num_bytes(bn);
    unsigned char *buf = arena_alloc(a, (size_t)len + 1);
    const val *v = NULL;
    if (buf) {
        BN_bn2bin(bn, buf);
        char *s = crypto_b64_encode(a, buf, (size_t)len, CRYPTO_B64_URL | CRYPTO_B64_NOPAD);
        v = s ? v_str_ref(a, s, strlen(s)) : NULL;
    }
    BN_clear_free(bn);
    return v;
}
