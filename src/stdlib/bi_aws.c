/* providers.aws.sign_req: AWS Signature Version 4 request signing, as
 * OPA's internal/providers/aws signer does it. Deterministic given the
 * time argument, so the conformance signatures pin down every byte of
 * the canonical request.
 *
 * OpenSSL allocates with malloc internally (EVP_Q_mac, EVP_Digest); that
 * is accepted for these builtins. Everything else lives in ctx->arena.
 */
#include "bi_crypto.h"
#include "bi_crypto_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char aws_name[] = "providers.aws.sign_req";

/* Headers that SigV4 leaves unsigned (they change in transit); compared
 * case-insensitively. */
static bool aws_ignored_header(const char *name, size_t n)
{
    static const char *const ignored[] = {"authorization", "user-agent", "x-amzn-trace-id"};
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) {
        if (strlen(ignored[i]) == n && strncasecmp(ignored[i], name, n) == 0)
            return true;
    }
    return false;
}

/* Checks that every key in `required` (sorted) is present and a string,
 * with OPA's operand errors listing the offending keys as a Rego set. */
static bi_status aws_require_strings(bi_ctx *ctx, const val *obj, int operand, const char *const *required,
                                     size_t n, const char *what)
{
    char list[256];
    for (int pass = 0; pass < 2; pass++) {
        sbuf b;
        sb_init(&b, list, sizeof list);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            const val *v = crypto_get(obj, required[i]);
            bool is_bad = pass == 0 ? v == NULL : (v && v->type != V_STR);
            if (!is_bad)
                continue;
            sb_puts(&b, bad++ ? ", \"" : "\"");
            sb_puts(&b, required[i]);
            sb_putc(&b, '"');
        }
        if (!bad)
            continue;
        list[b.len < sizeof list ? b.len : sizeof list - 1] = '\0';
        return bi_fail(ctx, POL_EVAL_TYPE, "%s: operand %d %s required %s parameters(s): {%s}", aws_name,
                       operand, pass == 0 ? "missing" : "invalid values for", what, list);
    }
    return BI_OK;
}

typedef struct aws_header {
    const char *name; /* lower-case, NUL-terminated, in the arena */
    const char *value;
    size_t value_len;
} aws_header;

static int aws_header_cmp(const void *a, const void *b)
{
    return strcmp(((const aws_header *)a)->name, ((const aws_header *)b)->name);
}

/* Adds or replaces (same lower-case name) a header to sign. */
static bool aws_set_header(arena *a, aws_header *hs, size_t *n, const char *name, size_t name_len,
                           const char *value, size_t value_len)
{
    char *lower = arena_alloc(a, name_len + 1);
    if (!lower)
        return false;
    for (size_t i = 0; i < name_len; i++)
        lower[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
    lower[name_len] = '\0';
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(hs[i].name, lower) == 0) {
            hs[i].value = value;
            hs[i].value_len = value_len;
            return true;
        }
    }
    hs[*n].name = lower;
    hs[*n].value = value;
    hs[*n].value_len = value_len;
    (*n)++;
    return true;
}

static bool hmac_sha256(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
                        unsigned char out[32])
{
    size_t n = 0;
    return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, (const unsigned char *)msg, msg_len,
                     out, 32, &n) &&
           n == 32;
}

static void sha256_hex(const char *p, size_t n, char hex[65])
{
    unsigned char d[32];
    unsigned int dn = 0;
    EVP_Digest(p, n, d, &dn, EVP_sha256(), NULL);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* The parts of a URL SigV4 uses: Go's url.URL Host, EscapedPath and
 * RawQuery. The path is used as written (it is already escaped). */
typedef struct aws_url {
    const char *host, *path, *query;
    size_t host_len, path_len, query_len;
} aws_url;

static void aws_parse_url(const char *s, size_t n, aws_url *u)
{
    memset(u, 0, sizeof *u);
    const char *hash = memchr(s, '#', n);
    if (hash)
        n = (size_t)(hash - s);
    const char *q = memchr(s, '?', n);
    if (q) {
        u->query = q + 1;
        u->query_len = n - (size_t)(q - s) - 1;
        n = (size_t)(q - s);
    }
    const char *sep = NULL;
    for (size_t i = 0; i + 3 <= n && s[i] != '/'; i++) {
        if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
            sep = s + i;
            break;
        }
    }
    size_t at = 0;
    if (sep) {
        at = (size_t)(sep - s) + 3;
        size_t h = at;
        while (at < n && s[at] != '/')
            at++;
        u->host = s + h;
        u->host_len = at - h;
    }
    u->path = s + at;
    u->path_len = n - at;
}

bi_status bi_aws_sign_req(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char *const req_keys[] = {"method", "url"};
    static const char *const cfg_keys[] = {"aws_access_key", "aws_region", "aws_secret_access_key",
                                           "aws_service"};
    const val *req = args[0], *cfg = args[1], *tsv = args[2];
    arena *a = ctx->arena;

    if (req->type != V_OBJ)
        return bi_type_fail(ctx, aws_name, 1, "object", req);
    if (aws_require_strings(ctx, req, 1, req_keys, 2, "request") != BI_OK)
        return BI_ERR;
    if (cfg->type != V_OBJ)
        return bi_type_fail(ctx, aws_name, 2, "object", cfg);
    if (aws_require_strings(ctx, cfg, 2, cfg_keys, 4, "AWS config") != BI_OK)
        return BI_ERR;
    if (tsv->type != V_NUM)
        return bi_type_fail(ctx, aws_name, 3, "number", tsv);
    int64_t ts;
    /* OPA needs an exact int64 (a literal like -1e9 fails its conversion);
     * times before 1970 are refused the same way. */
    if (!val_is_int(tsv, &ts) || ts < 0)
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "%s: operand 3 could not convert time_ns value into a unix timestamp", aws_name);

    const val *method = crypto_get(req, "method"), *url = crypto_get(req, "url");
    const val *access = crypto_get(cfg, "aws_access_key"), *secret = crypto_get(cfg, "aws_secret_access_key");
    const val *service = crypto_get(cfg, "aws_service"), *region = crypto_get(cfg, "aws_region");
    const val *token = crypto_get(cfg, "aws_session_token");
    const val *dps = crypto_get(cfg, "disable_payload_signing");
    if (dps && dps->type != V_BOOL)
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "%s: operand 2 invalid value for 'disable_payload_signing' in AWS config", aws_name);
    bool unsigned_payload = dps && dps->u.b;

    /* Body: raw_body wins; otherwise body as Go's json.Marshal writes it. */
    const char *body = "";
    size_t body_len = 0;
    const val *raw_body = crypto_get(req, "raw_body"), *body_v = crypto_get(req, "body");
    if (raw_body && raw_body->type == V_STR) {
        body = raw_body->u.s;
        body_len = raw_body->len;
    } else if (body_v) {
        body = crypto_gojson(a, body_v, &body_len);
        if (!body)
            return bi_oom(ctx);
    }
    char body_hash[65];
    if (unsigned_payload)
        snprintf(body_hash, sizeof body_hash, "UNSIGNED-PAYLOAD");
    else
        sha256_hex(body, body_len, body_hash);

    time_t secs = (time_t)(ts / 1000000000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm))
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "%s: operand 3 could not convert time_ns value into a unix timestamp", aws_name);
    char date[16], stamp[24];
    strftime(date, sizeof date, "%Y%m%d", &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);

    aws_url u;
    aws_parse_url(url->u.s, url->len, &u);

    /* Headers to sign: the signer's own, then the request's (except the
     * ignored ones), which replace a signer header of the same name, as in
     * OPA. (The returned headers are the other way round: see below.) */
    const val *req_headers = crypto_get(req, "headers");
    size_t nreq = req_headers && req_headers->type == V_OBJ ? req_headers->len : 0;
    aws_header *hs = arena_alloc(a, (nreq + 4) * sizeof *hs);
    if (!hs)
        return bi_oom(ctx);
    size_t nh = 0;
    bool s3 = strcmp(service->u.s, "s3") == 0 || strcmp(service->u.s, "glacier") == 0;
    bool with_token = token && token->type == V_STR && token->len > 0;
    if (!aws_set_header(a, hs, &nh, "host", 4, u.host ? u.host : "", u.host_len) ||
        !aws_set_header(a, hs, &nh, "x-amz-date", 10, stamp, strlen(stamp)) ||
        (s3 && !aws_set_header(a, hs, &nh, "x-amz-content-sha256", 20, body_hash, strlen(body_hash))) ||
        (with_token && !aws_set_header(a, hs, &nh, "x-amz-security-token", 20, token->u.s, token->len)))
        return bi_oom(ctx);
    for (size_t i = 0; i < nreq; i++) {
        const val *k = req_headers->u.o.k[i], *v = req_headers->u.o.v[i];
        if (k->type != V_STR || aws_ignored_header(k->u.s, k->len))
            continue;
        const char *vs;
        size_t vl;
        if (v->type == V_STR) {
            vs = v->u.s;
            vl = v->len;
        } else if (!(vs = crypto_gojson(a, v, &vl))) {
            return bi_oom(ctx);
        }
        if (!aws_set_header(a, hs, &nh, k->u.s, k->len, vs, vl))
            return bi_oom(ctx);
    }
    qsort(hs, nh, sizeof *hs, aws_header_cmp);

    /* Canonical request: measure, then write into the arena. */
    char *creq = NULL, *signed_list = NULL;
    size_t creq_len = 0, signed_len = 0;
    for (int pass = 0; pass < 2; pass++) {
        sbuf b, sl;
        sb_init(&b, creq, creq ? creq_len + 1 : 0);
        sb_init(&sl, signed_list, signed_list ? signed_len + 1 : 0);
        for (size_t i = 0; i < nh; i++) {
            if (i)
                sb_putc(&sl, ';');
            sb_puts(&sl, hs[i].name);
        }
        sb_put(&b, method->u.s, method->len);
        sb_putc(&b, '\n');
        sb_put(&b, u.path, u.path_len);
        sb_putc(&b, '\n');
        sb_put(&b, u.query ? u.query : "", u.query_len);
        sb_putc(&b, '\n');
        for (size_t i = 0; i < nh; i++) {
            sb_puts(&b, hs[i].name);
            sb_putc(&b, ':');
            sb_put(&b, hs[i].value, hs[i].value_len);
            sb_putc(&b, '\n');
        }
        sb_putc(&b, '\n');
        for (size_t i = 0; i < nh; i++) {
            if (i)
                sb_putc(&b, ';');
            sb_puts(&b, hs[i].name);
        }
        sb_putc(&b, '\n');
        sb_puts(&b, body_hash);
        if (pass == 0) {
            creq_len = b.len;
            signed_len = sl.len;
            creq = arena_alloc(a, creq_len + 1);
            signed_list = arena_alloc(a, signed_len + 1);
            if (!creq || !signed_list)
                return bi_oom(ctx);
        } else {
            creq[creq_len] = '\0';
            signed_list[signed_len] = '\0';
        }
    }
    char creq_hash[65];
    sha256_hex(creq, creq_len, creq_hash);

    char scope[256];
    int scope_len = snprintf(scope, sizeof scope, "%s/%.*s/%.*s/aws4_request", date, (int)region->len,
                             region->u.s, (int)service->len, service->u.s);
    if (scope_len < 0 || (size_t)scope_len >= sizeof scope)
        return crypto_fail(ctx, aws_name, "AWS region or service name too long");
    size_t sts_cap = 64 + strlen(stamp) + (size_t)scope_len + 65;
    char *sts = arena_alloc(a, sts_cap);
    if (!sts)
        return bi_oom(ctx);
    int sts_len = snprintf(sts, sts_cap, "AWS4-HMAC-SHA256\n%s\n%s\n%s", stamp, scope, creq_hash);

    /* Signing key: HMAC chain over date, region, service, "aws4_request". */
    size_t kl = 4 + secret->len;
    unsigned char *k0 = arena_alloc(a, kl);
    if (!k0)
        return bi_oom(ctx);
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, secret->u.s, secret->len);
    unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
    if (!hmac_sha256(k0, kl, date, strlen(date), k1) || !hmac_sha256(k1, 32, region->u.s, region->len, k2) ||
        !hmac_sha256(k2, 32, service->u.s, service->len, k3) ||
        !hmac_sha256(k3, 32, "aws4_request", 12, k4) || !hmac_sha256(k4, 32, sts, (size_t)sts_len, sig))
        return crypto_fail(ctx, aws_name, "HMAC failed");
    char *sig_hex = crypto_hex(a, sig, 32);
    if (!sig_hex)
        return bi_oom(ctx);

    size_t auth_cap = 80 + access->len + (size_t)scope_len + signed_len + 64;
    char *auth = arena_alloc(a, auth_cap);
    if (!auth)
        return bi_oom(ctx);
    int auth_len =
        snprintf(auth, auth_cap, "AWS4-HMAC-SHA256 Credential=%.*s/%s,SignedHeaders=%s,Signature=%s",
                 (int)access->len, access->u.s, scope, signed_list, sig_hex);

    /* Result: the request with its headers replaced by the request's own
     * headers plus the signer's (signer's values win) and Authorization. */
    vbuild hb;
    vb_init(&hb, a);
    for (size_t i = 0; i < nreq; i++) {
        const val *k = req_headers->u.o.k[i];
        bool overridden = false;
        static const char *const set_by_signer[] = {"host", "x-amz-date", "x-amz-content-sha256",
                                                    "x-amz-security-token", "Authorization"};
        for (size_t j = 0; k->type == V_STR && j < 5; j++) {
            bool applies = (j != 2 || s3) && (j != 3 || with_token);
            if (applies && strlen(set_by_signer[j]) == k->len &&
                memcmp(set_by_signer[j], k->u.s, k->len) == 0)
                overridden = true;
        }
        if (!overridden && !vb_put(&hb, k, req_headers->u.o.v[i]))
            return bi_oom(ctx);
    }
    if (!crypto_put(&hb, "host", v_str(a, u.host ? u.host : "", u.host_len)) ||
        !crypto_put(&hb, "x-amz-date", v_cstr(a, stamp)) ||
        (s3 && !crypto_put(&hb, "x-amz-content-sha256", v_cstr(a, body_hash))) ||
        (with_token && !crypto_put(&hb, "x-amz-security-token", token)) ||
        !crypto_put(&hb, "Authorization", v_str_ref(a, auth, (size_t)auth_len)))
        return bi_oom(ctx);
    const val *headers = vb_finish_object(&hb, NULL);
    vbuild rb;
    vb_init(&rb, a);
    for (uint32_t i = 0; i < req->len; i++) {
        if (req->u.o.k[i]->type == V_STR && req->u.o.k[i]->len == 7 &&
            memcmp(req->u.o.k[i]->u.s, "headers", 7) == 0)
            continue;
        if (!vb_put(&rb, req->u.o.k[i], req->u.o.v[i]))
            return bi_oom(ctx);
    }
    if (!headers || !crypto_put(&rb, "headers", headers) || !(*out = vb_finish_object(&rb, NULL)))
        return bi_oom(ctx);
    return BI_OK;
}
