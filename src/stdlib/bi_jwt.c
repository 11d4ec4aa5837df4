/* io.jwt.*: decoding, verification (HS/RS/PS/ES/EdDSA with PEM, JWK or
 * JWKS keys), decode_verify with its constraint object, and signing.
 *
 * Semantics follow OPA's topdown/tokens.go: the order in which inputs are
 * checked decides which error a bad token reports, so each builtin checks
 * its operands in OPA's order. A signature that does not verify is a
 * `false` result, not an error.
 *
 * OpenSSL allocates with malloc internally; that is accepted for these
 * builtins. Everything else lives in ctx->arena.
 */
#include "bi_crypto.h"
#include "bi_crypto_util.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

typedef enum jwt_family { JWT_HS, JWT_RS, JWT_PS, JWT_ES, JWT_ED } jwt_family;

typedef struct jwt_alg {
    const char *name;
    jwt_family family;
    const EVP_MD *(*md)(void); /* NULL for EdDSA, which hashes internally */
} jwt_alg;

static const jwt_alg jwt_algs[] = {
    {"HS256", JWT_HS, EVP_sha256}, {"HS384", JWT_HS, EVP_sha384}, {"HS512", JWT_HS, EVP_sha512},
    {"RS256", JWT_RS, EVP_sha256}, {"RS384", JWT_RS, EVP_sha384}, {"RS512", JWT_RS, EVP_sha512},
    {"PS256", JWT_PS, EVP_sha256}, {"PS384", JWT_PS, EVP_sha384}, {"PS512", JWT_PS, EVP_sha512},
    {"ES256", JWT_ES, EVP_sha256}, {"ES384", JWT_ES, EVP_sha384}, {"ES512", JWT_ES, EVP_sha512},
    {"EdDSA", JWT_ED, NULL},
};

static const jwt_alg *jwt_alg_find(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof jwt_algs / sizeof jwt_algs[0]; i++) {
        if (strlen(jwt_algs[i].name) == n && memcmp(jwt_algs[i].name, s, n) == 0)
            return &jwt_algs[i];
    }
    return NULL;
}

static bool str_is(const val *v, const char *s)
{
    return v && v->type == V_STR && v->len == strlen(s) && memcmp(v->u.s, s, v->len) == 0;
}

/* ---- token structure ---------------------------------------------------- */

typedef struct jwt_token {
    const char *text; /* whole token; header and payload are its prefix */
    size_t header_len, payload_len;
    const char *sig;
    size_t sig_len;
} jwt_token;

static bi_status jwt_split(bi_ctx *ctx, const char *name, const val *tok, jwt_token *t)
{
    if (tok->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", tok);
    const char *s = tok->u.s;
    size_t n = tok->len, dots = 0, first = 0, second = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '.')
            continue;
        if (dots == 0)
            first = i;
        else if (dots == 1)
            second = i;
        dots++;
    }
    if (dots == 0)
        return crypto_fail(ctx, name, "encoded JWT had no period separators");
    if (dots != 2)
        return crypto_fail(ctx, name, "encoded JWT must have 3 sections, found %zu", dots + 1);
    t->text = s;
    t->header_len = first;
    t->payload_len = second - first - 1;
    t->sig = s + second + 1;
    t->sig_len = n - second - 1;
    return BI_OK;
}

static const char *jwt_payload_text(const jwt_token *t)
{
    return t->text + t->header_len + 1;
}

/* OPA's extractJSONObject. */
static bi_status jwt_json_object(bi_ctx *ctx, const char *name, const char *prefix, const unsigned char *s,
                                 size_t n, const val **out)
{
    json_error jerr;
    bool oom;
    const val *v = crypto_json_parse(ctx, (const char *)s, n, &jerr, &oom);
    if (oom)
        return BI_ERR;
    if (!v)
        return crypto_fail(ctx, name, "%sinvalid JSON: %s", prefix, jerr.msg);
    if (v->type != V_OBJ)
        return crypto_fail(ctx, name, "%sdecoded JSON type is not an object", prefix);
    *out = v;
    return BI_OK;
}

static bi_status jwt_decode_header(bi_ctx *ctx, const char *name, const jwt_token *t, const val **hdr)
{
    unsigned char *raw;
    size_t len;
    if (crypto_b64url_decode_opa(ctx, name, "JWT header", t->text, t->header_len, &raw, &len) != BI_OK)
        return BI_ERR;
    if (jwt_json_object(ctx, name, "bad JWT header: ", raw, len, hdr) != BI_OK)
        return BI_ERR;
    if (crypto_get(*hdr, "enc"))
        return crypto_fail(ctx, name, "JWT is a JWE object, which is not supported");
    return BI_OK;
}

static bi_status jwt_decode_signature(bi_ctx *ctx, const char *name, const jwt_token *t, unsigned char **sig,
                                      size_t *len)
{
    return crypto_b64url_decode_opa(ctx, name, "JWT signature", t->sig, t->sig_len, sig, len);
}

/* The header fields OPA interprets (parseTokenHeader). */
typedef struct jwt_header {
    const val *alg, *kid, *typ, *cty;
    bool crit_unknown; /* a "crit" entry names a header we do not understand */
} jwt_header;

static bool jwt_known_header(const val *name)
{
    return str_is(name, "alg") || str_is(name, "kid") || str_is(name, "typ") || str_is(name, "cty") ||
           str_is(name, "crit");
}

static bi_status jwt_parse_header(bi_ctx *ctx, const char *name, const val *hdr, jwt_header *h)
{
    memset(h, 0, sizeof *h);
    static const char *const string_fields[] = {"alg", "kid", "typ", "cty"};
    const val **slots[] = {&h->alg, &h->kid, &h->typ, &h->cty};
    for (size_t i = 0; i < 4; i++) {
        const val *v = crypto_get(hdr, string_fields[i]);
        if (v && v->type != V_STR)
            return crypto_fail(ctx, name, "%s: must be a string", string_fields[i]);
        *slots[i] = v;
    }
    const val *crit = crypto_get(hdr, "crit");
    if (crit) {
        if (crit->type != V_ARR)
            return crypto_fail(ctx, name, "crit: must be a list");
        if (crit->len == 0)
            return crypto_fail(ctx, name, "crit: must be a nonempty list");
        for (uint32_t i = 0; i < crit->len; i++) {
            if (crit->u.a[i]->type != V_STR)
                return crypto_fail(ctx, name, "crit: must be a list of strings");
            if (!jwt_known_header(crit->u.a[i]))
                h->crit_unknown = true;
        }
    }
    return BI_OK;
}

/* ---- signatures --------------------------------------------------------- */

static bool hmac_equal(const jwt_alg *alg, const unsigned char *key, size_t key_len, const char *in,
                       size_t in_len, const unsigned char *sig, size_t sig_len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;
    /* An empty key is legal in Go's HMAC; OpenSSL wants a non-NULL pointer. */
    static const unsigned char empty_key[1] = {0};
    if (!EVP_Q_mac(NULL, "HMAC", NULL, EVP_MD_get0_name(alg->md()), NULL, key_len ? key : empty_key, key_len,
                   (const unsigned char *)in, in_len, mac, sizeof mac, &mac_len))
        return false;
    return mac_len == sig_len && CRYPTO_memcmp(mac, sig, mac_len) == 0;
}

static bool pkey_matches_family(EVP_PKEY *pkey, jwt_family fam)
{
    switch (fam) {
    case JWT_RS: return EVP_PKEY_is_a(pkey, "RSA");
    case JWT_PS: return EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS");
    case JWT_ES: return EVP_PKEY_is_a(pkey, "EC");
    case JWT_ED: return EVP_PKEY_is_a(pkey, "ED25519");
    case JWT_HS: return false;
    }
    return false;
}

/* JWS carries ECDSA signatures as r || s; OpenSSL wants DER. Go splits the
 * signature in half whatever its length, and so do we. */
static unsigned char *ecdsa_raw_to_der(const unsigned char *sig, size_t len, int *der_len)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL),
           *s = BN_bin2bn(sig + len / 2, (int)(len - len / 2), NULL);
    unsigned char *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL; /* owned by es now */
        *der_len = i2d_ECDSA_SIG(es, &der);
        if (*der_len <= 0) {
            OPENSSL_free(der);
            der = NULL;
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return der;
}

static bool set_rsa_padding(EVP_PKEY_CTX *pctx, jwt_family fam, bool signing)
{
    if (fam == JWT_RS)
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    if (fam == JWT_PS) {
        /* Go verifies PSS with the salt length detected from the signature
         * and signs with salt length = hash length (what jwx uses). */
        int salt = signing ? RSA_PSS_SALTLEN_DIGEST : RSA_PSS_SALTLEN_AUTO;
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
               EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, salt) > 0;
    }
    return true;
}

static bool jwt_check_sig(const jwt_alg *alg, const crypto_key *key, const char *in, size_t in_len,
                          const unsigned char *sig, size_t sig_len)
{
    if (alg->family == JWT_HS)
        return key->secret && hmac_equal(alg, key->secret, key->secret_len, in, in_len, sig, sig_len);
    if (!key->pkey || !pkey_matches_family(key->pkey, alg->family))
        return false;

    unsigned char *der = NULL;
    if (alg->family == JWT_ES) {
        int der_len = 0;
        der = ecdsa_raw_to_der(sig, sig_len, &der_len);
        if (!der)
            return false;
        sig = der;
        sig_len = (size_t)der_len;
    }
    bool ok = false;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (mctx && EVP_DigestVerifyInit(mctx, &pctx, alg->md ? alg->md() : NULL, NULL, key->pkey) > 0 &&
        set_rsa_padding(pctx, alg->family, false))
        ok = EVP_DigestVerify(mctx, sig, sig_len, (const unsigned char *)in, in_len) == 1;
    EVP_MD_CTX_free(mctx);
    OPENSSL_free(der);
    return ok;
}

/* Signs into the arena. Returns NULL (with *oom set when the arena was the
 * problem) on failure. */
static unsigned char *jwt_sign(arena *a, const jwt_alg *alg, const crypto_key *key, const char *in,
                               size_t in_len, size_t *sig_len, bool *oom)
{
    *oom = false;
    if (alg->family == JWT_HS) {
        if (!key->secret)
            return NULL;
        unsigned char *mac = arena_alloc(a, EVP_MAX_MD_SIZE);
        if (!mac) {
            *oom = true;
            return NULL;
        }
        static const unsigned char empty_key[1] = {0};
        if (!EVP_Q_mac(NULL, "HMAC", NULL, EVP_MD_get0_name(alg->md()), NULL,
                       key->secret_len ? key->secret : empty_key, key->secret_len, (const unsigned char *)in,
                       in_len, mac, EVP_MAX_MD_SIZE, sig_len))
            return NULL;
        return mac;
    }
    if (!key->pkey || !pkey_matches_family(key->pkey, alg->family))
        return NULL;
    size_t cap = (size_t)EVP_PKEY_get_size(key->pkey);
    unsigned char *sig = arena_alloc(a, cap ? cap : 1);
    if (!sig) {
        *oom = true;
        return NULL;
    }
    size_t len = cap;
    bool ok = false;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    if (mctx && EVP_DigestSignInit(mctx, &pctx, alg->md ? alg->md() : NULL, NULL, key->pkey) > 0 &&
        set_rsa_padding(pctx, alg->family, true))
        ok = EVP_DigestSign(mctx, sig, &len, (const unsigned char *)in, in_len) == 1;
    EVP_MD_CTX_free(mctx);
    if (!ok)
        return NULL;
    if (alg->family != JWT_ES) {
        *sig_len = len;
        return sig;
    }
    /* DER -> fixed-width r || s, each as long as the curve order. */
    size_t half = ((size_t)EVP_PKEY_get_bits(key->pkey) + 7) / 8;
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)len);
    unsigned char *raw = es ? arena_alloc(a, 2 * half) : NULL;
    if (es && !raw)
        *oom = true;
    if (raw && (BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)half) < 0 ||
                BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + half, (int)half) < 0))
        raw = NULL;
    ECDSA_SIG_free(es);
    *sig_len = 2 * half;
    return raw;
}

/* ---- io.jwt.decode ------------------------------------------------------ */

/* Bound on cty=JWT nesting; each level is strictly shorter, this only
 * keeps a hostile token from costing quadratic time. */
enum { JWT_MAX_NESTING = 64 };

bi_status bi_jwt_decode(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "io.jwt.decode";
    const val *tok = args[0];
    for (int depth = 0;; depth++) {
        jwt_token t = {0};
        const val *hdr = NULL, *payload = NULL;
        unsigned char *raw, *sig;
        size_t raw_len, sig_len;
        if (jwt_split(ctx, name, tok, &t) != BI_OK || jwt_decode_header(ctx, name, &t, &hdr) != BI_OK)
            return BI_ERR;
        if (crypto_b64url_decode_opa(ctx, name, "JWT payload", jwt_payload_text(&t), t.payload_len, &raw,
                                     &raw_len) != BI_OK)
            return BI_ERR;
        const val *cty = crypto_get(hdr, "cty");
        if (str_is(cty, "JWT") && depth < JWT_MAX_NESTING) {
            /* A nested token arrives JSON-quoted (as jwt.io makes them):
             * OPA trims every leading and trailing '"'. */
            size_t b = 0, e = raw_len;
            while (b < e && raw[b] == '"')
                b++;
            while (e > b && raw[e - 1] == '"')
                e--;
            raw[e] = '\0'; /* v_str_ref needs the NUL; raw is our own buffer */
            tok = v_str_ref(ctx->arena, (const char *)raw + b, e - b);
            if (!tok)
                return bi_oom(ctx);
            continue;
        }
        if (jwt_json_object(ctx, name, "", raw, raw_len, &payload) != BI_OK ||
            jwt_decode_signature(ctx, name, &t, &sig, &sig_len) != BI_OK)
            return BI_ERR;
        char *hex = crypto_hex(ctx->arena, sig, sig_len);
        const val *hexv = hex ? v_str_ref(ctx->arena, hex, sig_len * 2) : NULL;
        vbuild b;
        vb_init(&b, ctx->arena);
        if (!hexv || !vb_push(&b, hdr) || !vb_push(&b, payload) || !vb_push(&b, hexv) ||
            !(*out = vb_finish_array(&b)))
            return bi_oom(ctx);
        return BI_OK;
    }
}

/* ---- io.jwt.verify_* ---------------------------------------------------- */

static bool val_str_eq(const val *a, const val *b)
{
    return a && b && a->len == b->len && memcmp(a->u.s, b->u.s, a->len) == 0;
}

/* OPA's key selection: a key whose kid matches the token's decides alone;
 * otherwise every key is tried, skipping keys whose alg differs from the
 * token's. */
static bool jwt_verify_with_keys(const jwt_alg *alg, const crypto_keyset *ks, const jwt_header *h,
                                 const char *in, size_t in_len, const unsigned char *sig, size_t sig_len)
{
    if (h->kid && h->kid->len > 0) {
        for (size_t i = 0; i < ks->n; i++) {
            if (val_str_eq(ks->keys[i].kid, h->kid))
                return jwt_check_sig(alg, &ks->keys[i], in, in_len, sig, sig_len);
        }
    }
    for (size_t i = 0; i < ks->n; i++) {
        const crypto_key *k = &ks->keys[i];
        if (k->alg && !val_str_eq(k->alg, h->alg))
            continue;
        if (jwt_check_sig(alg, k, in, in_len, sig, sig_len))
            return true;
    }
    return false;
}

static bi_status jwt_verify_hs(bi_ctx *ctx, const val *const *args, const val **out, const char *name,
                               const char *alg_name)
{
    jwt_token t = {0};
    if (jwt_split(ctx, name, args[0], &t) != BI_OK)
        return BI_ERR;
    if (args[1]->type != V_STR)
        return bi_type_fail(ctx, name, 2, "string", args[1]);
    unsigned char *sig;
    size_t sig_len;
    if (jwt_decode_signature(ctx, name, &t, &sig, &sig_len) != BI_OK)
        return BI_ERR;
    const jwt_alg *alg = jwt_alg_find(alg_name, strlen(alg_name));
    *out = VAL_BOOL(hmac_equal(alg, (const unsigned char *)args[1]->u.s, args[1]->len, t.text,
                               t.header_len + 1 + t.payload_len, sig, sig_len));
    return BI_OK;
}

static bi_status jwt_verify_pk(bi_ctx *ctx, const val *const *args, const val **out, const char *name,
                               const char *alg_name)
{
    jwt_token t = {0};
    if (jwt_split(ctx, name, args[0], &t) != BI_OK)
        return BI_ERR;
    if (args[1]->type != V_STR)
        return bi_type_fail(ctx, name, 2, "string", args[1]);
    crypto_keyset ks;
    if (crypto_keys_from_cert_or_jwk(ctx, name, args[1]->u.s, args[1]->len, &ks) != BI_OK)
        return BI_ERR;
    unsigned char *sig;
    size_t sig_len;
    const val *hdr;
    jwt_header h;
    bi_status st = jwt_decode_signature(ctx, name, &t, &sig, &sig_len);
    if (st == BI_OK)
        st = jwt_decode_header(ctx, name, &t, &hdr);
    if (st == BI_OK)
        st = jwt_parse_header(ctx, name, hdr, &h);
    if (st == BI_OK) {
        const jwt_alg *alg = jwt_alg_find(alg_name, strlen(alg_name));
        *out = VAL_BOOL(
            jwt_verify_with_keys(alg, &ks, &h, t.text, t.header_len + 1 + t.payload_len, sig, sig_len));
    }
    crypto_keyset_free(&ks);
    return st;
}

#define JWT_VERIFY_FN(fn, kind, rego, alg)                                                                   \
    bi_status fn(bi_ctx *ctx, const val *const *args, const val **out)                                       \
    {                                                                                                        \
        return kind(ctx, args, out, rego, alg);                                                              \
    }

JWT_VERIFY_FN(bi_jwt_verify_hs256, jwt_verify_hs, "io.jwt.verify_hs256", "HS256")
JWT_VERIFY_FN(bi_jwt_verify_hs384, jwt_verify_hs, "io.jwt.verify_hs384", "HS384")
JWT_VERIFY_FN(bi_jwt_verify_hs512, jwt_verify_hs, "io.jwt.verify_hs512", "HS512")
JWT_VERIFY_FN(bi_jwt_verify_rs256, jwt_verify_pk, "io.jwt.verify_rs256", "RS256")
JWT_VERIFY_FN(bi_jwt_verify_rs384, jwt_verify_pk, "io.jwt.verify_rs384", "RS384")
JWT_VERIFY_FN(bi_jwt_verify_rs512, jwt_verify_pk, "io.jwt.verify_rs512", "RS512")
JWT_VERIFY_FN(bi_jwt_verify_ps256, jwt_verify_pk, "io.jwt.verify_ps256", "PS256")
JWT_VERIFY_FN(bi_jwt_verify_ps384, jwt_verify_pk, "io.jwt.verify_ps384", "PS384")
JWT_VERIFY_FN(bi_jwt_verify_ps512, jwt_verify_pk, "io.jwt.verify_ps512", "PS512")
JWT_VERIFY_FN(bi_jwt_verify_es256, jwt_verify_pk, "io.jwt.verify_es256", "ES256")
JWT_VERIFY_FN(bi_jwt_verify_es384, jwt_verify_pk, "io.jwt.verify_es384", "ES384")
JWT_VERIFY_FN(bi_jwt_verify_es512, jwt_verify_pk, "io.jwt.verify_es512", "ES512")
JWT_VERIFY_FN(bi_jwt_verify_eddsa, jwt_verify_pk, "io.jwt.verify_eddsa", "EdDSA")

/* ---- io.jwt.decode_verify ----------------------------------------------- */

typedef struct jwt_constraints {
    crypto_keyset keys;
    bool have_keys;
    const val *secret, *alg, *iss, *aud; /* strings or NULL */
    double time_s;                       /* evaluation time, seconds */
} jwt_constraints;

static bi_status jwt_parse_constraints(bi_ctx *ctx, const char *name, const val *obj, jwt_constraints *c)
{
    memset(c, 0, sizeof *c);
    double time_ns = (double)bi_now_ns(ctx);
    for (uint32_t i = 0; i < obj->len; i++) {
        const val *k = obj->u.o.k[i], *v = obj->u.o.v[i];
        const val **slot = NULL;
        if (str_is(k, "cert")) {
            if (v->type != V_STR)
                return crypto_fail(ctx, name, "cert value must be a string");
            if (crypto_keys_from_cert_or_jwk(ctx, name, v->u.s, v->len, &c->keys) != BI_OK) {
                if (c->have_keys)
                    crypto_keyset_free(&c->keys);
                return BI_ERR;
            }
            c->have_keys = true;
            continue;
        }
        if (str_is(k, "time")) {
            if (v->type != V_NUM)
                return crypto_fail(ctx, name, "time value must be a number");
            time_ns = val_to_double(v);
            continue;
        }
        if (str_is(k, "secret"))
            slot = &c->secret;
        else if (str_is(k, "alg"))
            slot = &c->alg;
        else if (str_is(k, "iss"))
            slot = &c->iss;
        else if (str_is(k, "aud"))
            slot = &c->aud;
        if (!slot) {
            if (c->have_keys)
                crypto_keyset_free(&c->keys);
            if (k->type == V_STR)
                return crypto_fail(ctx, name, "unknown token validation constraint: %.*s",
                                   (int)(k->len > 100 ? 100 : k->len), k->u.s);
            return crypto_fail(ctx, name, "unknown token validation constraint");
        }
        if (v->type != V_STR) {
            if (c->have_keys)
                crypto_keyset_free(&c->keys);
            return crypto_fail(ctx, name, "%s value must be a string", k->u.s);
        }
        *slot = v;
    }
    c->time_s = time_ns / 1000000000.0;
    int nkeys = (c->have_keys ? 1 : 0) + (c->secret && c->secret->len > 0 ? 1 : 0);
    if (nkeys != 1) {
        if (c->have_keys)
            crypto_keyset_free(&c->keys);
        return crypto_fail(ctx, name, nkeys > 1 ? "duplicate key constraints" : "no key constraint");
    }
    return BI_OK;
}

static bool jwt_audience_ok(const val *aud, const val *want)
{
    if (aud->type == V_STR)
        return want ? val_str_eq(aud, want) : aud->len == 0;
    if (aud->type != V_ARR)
        return false;
    for (uint32_t i = 0; i < aud->len; i++) {
        const val *e = aud->u.a[i];
        if (e->type == V_STR && (want ? val_str_eq(e, want) : e->len == 0))
            return true;
    }
    return false;
}

/* exp/nbf comparison: OPA compares time/1e9 (a float) with the claim. */
static int cmp_claim(double now_s, const val *claim)
{
    double c = val_to_double(claim);
    return now_s < c ? -1 : now_s > c ? 1 : 0;
}

/* Verifies the token against the constraints. *verified=false means the
 * result is [false, {}, {}]; BI_ERR is a real error. On success *hdr and
 * *payload are the innermost token's. */
static bi_status jwt_decode_verify_core(bi_ctx *ctx, const char *name, const val *tok,
                                        const jwt_constraints *c, bool *verified, const val **hdr_out,
                                        const val **payload_out)
{
    static const char unknown_alg_fmt[] = "unknown JWS algorithm: %.*s";
    *verified = false;
    unsigned char *raw = NULL;
    size_t raw_len = 0;
    const val *hdr = NULL;
    for (int depth = 0;; depth++) {
        jwt_token t = {0};
        jwt_header h;
        if (jwt_split(ctx, name, tok, &t) != BI_OK || jwt_decode_header(ctx, name, &t, &hdr) != BI_OK ||
            jwt_parse_header(ctx, name, hdr, &h) != BI_OK)
            return BI_ERR;
        if (!h.alg || h.alg->len == 0 || h.crit_unknown)
            return BI_OK;
        if (c->alg && !val_str_eq(c->alg, h.alg))
            return BI_OK;
        unsigned char *sig;
        size_t sig_len;
        if (jwt_decode_signature(ctx, name, &t, &sig, &sig_len) != BI_OK)
            return BI_ERR;
        const jwt_alg *alg = jwt_alg_find(h.alg->u.s, h.alg->len);
        if (!alg)
            return crypto_fail(ctx, name, unknown_alg_fmt, (int)(h.alg->len > 64 ? 64 : h.alg->len),
                               h.alg->u.s);
        size_t in_len = t.header_len + 1 + t.payload_len;
        bool ok;
        if (c->have_keys) {
            ok = jwt_verify_with_keys(alg, &c->keys, &h, t.text, in_len, sig, sig_len);
        } else {
            ok = alg->family == JWT_HS && hmac_equal(alg, (const unsigned char *)c->secret->u.s,
                                                     c->secret->len, t.text, in_len, sig, sig_len);
        }
        if (!ok)
            return BI_OK;
        if (crypto_b64url_decode_opa(ctx, name, "JWT payload", jwt_payload_text(&t), t.payload_len, &raw,
                                     &raw_len) != BI_OK)
            return BI_ERR;
        /* cty "JWT" (case-insensitive) means the payload is another token. */
        if (h.cty && h.cty->len == 3 && strncasecmp(h.cty->u.s, "JWT", 3) == 0 && depth < JWT_MAX_NESTING) {
            tok = v_str_ref(ctx->arena, (const char *)raw, raw_len);
            if (!tok)
                return bi_oom(ctx);
            continue;
        }
        break;
    }
    const val *payload = NULL;
    if (jwt_json_object(ctx, name, "", raw, raw_len, &payload) != BI_OK)
        return BI_ERR;

    if (c->iss) {
        const val *iss = crypto_get(payload, "iss");
        if (!iss || iss->type != V_STR || !val_str_eq(iss, c->iss))
            return BI_OK;
    }
    const val *aud = crypto_get(payload, "aud");
    if (aud ? !jwt_audience_ok(aud, c->aud) : (c->aud && c->aud->len > 0))
        return BI_OK;
    const val *exp = crypto_get(payload, "exp");
    if (exp) {
        if (exp->type != V_NUM)
            return crypto_fail(ctx, name, "exp value must be a number");
        if (cmp_claim(c->time_s, exp) != -1)
            return BI_OK;
    }
    const val *nbf = crypto_get(payload, "nbf");
    if (nbf) {
        if (nbf->type != V_NUM)
            return crypto_fail(ctx, name, "nbf value must be a number");
        if (cmp_claim(c->time_s, nbf) == -1)
            return BI_OK;
    }
    *verified = true;
    *hdr_out = hdr;
    *payload_out = payload;
    return BI_OK;
}

bi_status bi_jwt_decode_verify(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "io.jwt.decode_verify";
    if (args[1]->type != V_OBJ)
        return bi_type_fail(ctx, name, 2, "object", args[1]);
    jwt_constraints c;
    if (jwt_parse_constraints(ctx, name, args[1], &c) != BI_OK)
        return BI_ERR;
    bool verified;
    const val *hdr = NULL, *payload = NULL;
    bi_status st = jwt_decode_verify_core(ctx, name, args[0], &c, &verified, &hdr, &payload);
    if (c.have_keys)
        crypto_keyset_free(&c.keys);
    if (st != BI_OK)
        return st;
    vbuild b;
    vb_init(&b, ctx->arena);
    if (!vb_push(&b, VAL_BOOL(verified)) || !vb_push(&b, verified ? hdr : &val_empty_obj_c) ||
        !vb_push(&b, verified ? payload : &val_empty_obj_c) || !(*out = vb_finish_array(&b)))
        return bi_oom(ctx);
    return BI_OK;
}

/* ---- io.jwt.encode_sign / encode_sign_raw ------------------------------- */

/* Reads "alg" the way OPA's JWS layer does, with its error texts. */
static bi_status jwt_header_alg(bi_ctx *ctx, const char *name, const char *s, size_t n, const jwt_alg **alg,
                                const val **hdr_obj)
{
    static const char prefix[] = "missing or invalid 'alg' header: ";
    *hdr_obj = NULL;
    if (n == 0)
        return crypto_fail(ctx, name, "%scannot parse JSON: cannot parse empty string", prefix);
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    json_error jerr;
    bool oom;
    const val *h = crypto_json_parse(ctx, s, n, &jerr, &oom);
    if (oom)
        return BI_ERR;
    if (!h && i < n && s[i] == '{')
        return crypto_fail(ctx, name, "%scannot parse JSON: %s", prefix, jerr.msg);
    const val *a = h ? crypto_get(h, "alg") : NULL;
    if (!a || a->type != V_STR)
        return crypto_fail(ctx, name, "%sjwsbb: header \"alg\" not found", prefix);
    *alg = jwt_alg_find(a->u.s, a->len);
    if (!*alg)
        return crypto_fail(ctx, name, "unknown JWS algorithm: %.*s", (int)(a->len > 64 ? 64 : a->len),
                           a->u.s);
    *hdr_obj = h;
    return BI_OK;
}

static bi_status jwt_encode_common(bi_ctx *ctx, const char *name, const char *hdr, size_t hdr_len,
                                   const char *payload, size_t payload_len, const char *jwk_text,
                                   size_t jwk_len, const val **out)
{
    json_error jerr;
    bool oom;
    const val *jwk = crypto_json_parse(ctx, jwk_text, jwk_len, &jerr, &oom);
    if (oom)
        return BI_ERR;
    if (!jwk)
        return crypto_fail(ctx, name, "failed to parse JWK: %s", jerr.msg);
    const val *keys = crypto_get(jwk, "keys");
    if (keys) {
        if (keys->type != V_ARR || keys->len == 0)
            return crypto_fail(ctx, name, "failed to parse JWK: no keys in the set");
        jwk = keys->u.a[0];
    }
    const jwt_alg *alg;
    const val *hobj;
    if (jwt_header_alg(ctx, name, hdr, hdr_len, &alg, &hobj) != BI_OK)
        return BI_ERR;
    const val *typ = crypto_get(hobj, "typ");
    bool is_jwt = !typ || (typ->type == V_STR && (typ->len == 0 || str_is(typ, "JWT")));
    if (is_jwt && !crypto_json_parse(ctx, payload, payload_len, &jerr, &oom))
        return oom ? BI_ERR : crypto_fail(ctx, name, "type is JWT but payload is not JSON");

    crypto_key key;
    if (crypto_key_from_jwk(ctx, name, "failed to parse JWK: ", jwk, &key) != BI_OK)
        return BI_ERR;
    char *h64 =
        crypto_b64_encode(ctx->arena, (const unsigned char *)hdr, hdr_len, CRYPTO_B64_URL | CRYPTO_B64_NOPAD);
    char *p64 = crypto_b64_encode(ctx->arena, (const unsigned char *)payload, payload_len,
                                  CRYPTO_B64_URL | CRYPTO_B64_NOPAD);
    size_t hl = h64 ? strlen(h64) : 0, pl = p64 ? strlen(p64) : 0;
    char *input = (h64 && p64) ? arena_alloc(ctx->arena, hl + 1 + pl + 1) : NULL;
    if (!input) {
        EVP_PKEY_free(key.pkey);
        return bi_oom(ctx);
    }
    memcpy(input, h64, hl);
    input[hl] = '.';
    memcpy(input + hl + 1, p64, pl);
    input[hl + 1 + pl] = '\0';
    size_t sig_len = 0;
    unsigned char *sig = jwt_sign(ctx->arena, alg, &key, input, hl + 1 + pl, &sig_len, &oom);
    EVP_PKEY_free(key.pkey);
    if (!sig)
        return oom ? bi_oom(ctx)
                   : crypto_fail(ctx, name, "failed to sign payload with the %s key", alg->name);
    char *s64 = crypto_b64_encode(ctx->arena, sig, sig_len, CRYPTO_B64_URL | CRYPTO_B64_NOPAD);
    size_t sl = s64 ? strlen(s64) : 0;
    char *jws = s64 ? arena_alloc(ctx->arena, hl + pl + sl + 3) : NULL;
    if (!jws)
        return bi_oom(ctx);
    memcpy(jws, input, hl + 1 + pl);
    jws[hl + 1 + pl] = '.';
    memcpy(jws + hl + pl + 2, s64, sl + 1);
    if (!(*out = v_str_ref(ctx->arena, jws, hl + pl + sl + 2)))
        return bi_oom(ctx);
    return BI_OK;
}

bi_status bi_jwt_encode_sign_raw(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "io.jwt.encode_sign_raw";
    if (args[2]->type != V_STR)
        return bi_type_fail(ctx, name, 3, "string", args[2]);
    if (args[0]->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    if (args[1]->type != V_STR)
        return bi_type_fail(ctx, name, 2, "string", args[1]);
    return jwt_encode_common(ctx, name, args[0]->u.s, args[0]->len, args[1]->u.s, args[1]->len, args[2]->u.s,
                             args[2]->len, out);
}

bi_status bi_jwt_encode_sign(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "io.jwt.encode_sign";
    for (int i = 0; i < 3; i++) {
        if (args[i]->type != V_OBJ)
            return bi_type_fail(ctx, name, i + 1, "object", args[i]);
    }
    size_t hl, pl, kl;
    char *h = crypto_gojson(ctx->arena, args[0], &hl);
    char *p = crypto_gojson(ctx->arena, args[1], &pl);
    char *k = crypto_gojson(ctx->arena, args[2], &kl);
    if (!h || !p || !k)
        return bi_oom(ctx);
    return jwt_encode_common(ctx, name, h, hl, p, pl, k, kl, out);
}
