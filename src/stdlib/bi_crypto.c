/* crypto.* builtins: digests, HMAC, and the x509 / private-key parsers.
 *
 * The x509 builtins return what OPA returns: Go's x509.Certificate (and
 * CertificateRequest, tls.Certificate, private key) structs serialised by
 * encoding/json, so field names, enum numbers and encodings ([]byte as
 * base64, big.Int as a number, time as RFC 3339) follow Go. Fields Go
 * fills from extensions we do not decode (name constraints, policy
 * mappings) come out as their zero values.
 *
 * OpenSSL allocates with malloc internally; that is accepted for these
 * builtins. Every OpenSSL object is freed on every path.
 */
#include "bi_crypto.h"
#include "bi_crypto_util.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---- digests and HMAC --------------------------------------------------- */

static bi_status digest_hex(bi_ctx *ctx, const val *const *args, const val **out, const char *name,
                            const EVP_MD *md)
{
    if (args[0]->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (!EVP_Digest(args[0]->u.s, args[0]->len, d, &n, md, NULL))
        return crypto_fail(ctx, name, "digest failed");
    char *hex = crypto_hex(ctx->arena, d, n);
    if (!hex || !(*out = v_str_ref(ctx->arena, hex, (size_t)n * 2)))
        return bi_oom(ctx);
    return BI_OK;
}

bi_status bi_crypto_md5(bi_ctx *ctx, const val *const *args, const val **out)
{
    return digest_hex(ctx, args, out, "crypto.md5", EVP_md5());
}

bi_status bi_crypto_sha1(bi_ctx *ctx, const val *const *args, const val **out)
{
    return digest_hex(ctx, args, out, "crypto.sha1", EVP_sha1());
}

bi_status bi_crypto_sha256(bi_ctx *ctx, const val *const *args, const val **out)
{
    return digest_hex(ctx, args, out, "crypto.sha256", EVP_sha256());
}

static bi_status hmac_hex(bi_ctx *ctx, const val *const *args, const val **out, const char *name,
                          const char *md)
{
    for (int i = 0; i < 2; i++) {
        if (args[i]->type != V_STR)
            return bi_type_fail(ctx, name, i + 1, "string", args[i]);
    }
    /* Go accepts an empty key; OpenSSL wants a non-NULL pointer for it. */
    static const unsigned char empty_key[1] = {0};
    const unsigned char *key = args[1]->len ? (const unsigned char *)args[1]->u.s : empty_key;
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t n = 0;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, args[1]->len, (const unsigned char *)args[0]->u.s,
                   args[0]->len, mac, sizeof mac, &n))
        return crypto_fail(ctx, name, "HMAC failed");
    char *hex = crypto_hex(ctx->arena, mac, n);
    if (!hex || !(*out = v_str_ref(ctx->arena, hex, n * 2)))
        return bi_oom(ctx);
    return BI_OK;
}

bi_status bi_crypto_hmac_md5(bi_ctx *ctx, const val *const *args, const val **out)
{
    return hmac_hex(ctx, args, out, "crypto.hmac.md5", "MD5");
}

bi_status bi_crypto_hmac_sha1(bi_ctx *ctx, const val *const *args, const val **out)
{
    return hmac_hex(ctx, args, out, "crypto.hmac.sha1", "SHA1");
}

bi_status bi_crypto_hmac_sha256(bi_ctx *ctx, const val *const *args, const val **out)
{
    return hmac_hex(ctx, args, out, "crypto.hmac.sha256", "SHA256");
}

bi_status bi_crypto_hmac_sha512(bi_ctx *ctx, const val *const *args, const val **out)
{
    return hmac_hex(ctx, args, out, "crypto.hmac.sha512", "SHA512");
}

bi_status bi_crypto_hmac_equal(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "crypto.hmac.equal";
    for (int i = 0; i < 2; i++) {
        if (args[i]->type != V_STR)
            return bi_type_fail(ctx, name, i + 1, "string", args[i]);
    }
    /* Like Go's hmac.Equal: the length is not secret, the contents are
     * compared in constant time. */
    *out = VAL_BOOL(args[0]->len == args[1]->len &&
                    CRYPTO_memcmp(args[0]->u.s, args[1]->u.s, args[0]->len) == 0);
    return BI_OK;
}

/* ---- Go JSON shapes ----------------------------------------------------- */

/* Builders below return NULL when the arena is full; callers turn that
 * into bi_oom. */

static const val *str_val(arena *a, const char *s, size_t n)
{
    return v_str(a, s ? s : "", s ? n : 0);
}

static const val *cstr_val(arena *a, const char *s)
{
    return str_val(a, s, s ? strlen(s) : 0);
}

static const val *asn1_bytes_val(arena *a, const ASN1_STRING *s)
{
    if (!s)
        return VAL_NULL;
    return crypto_bytes_val(a, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s), false);
}

/* An OID as Go's asn1.ObjectIdentifier: an array of integers. */
static const val *oid_val(arena *a, const ASN1_OBJECT *obj)
{
    char txt[128];
    int n = OBJ_obj2txt(txt, sizeof txt, obj, 1);
    if (n <= 0 || (size_t)n >= sizeof txt)
        return &val_empty_arr_c;
    vbuild b;
    vb_init(&b, a);
    const char *p = txt;
    while (*p) {
        int64_t v = 0;
        while (*p >= '0' && *p <= '9' && v < INT64_MAX / 10)
            v = v * 10 + (*p++ - '0');
        if (!vb_push(&b, v_int(a, v)))
            return NULL;
        if (*p == '.')
            p++;
        else if (*p)
            break;
    }
    return vb_finish_array(&b);
}

/* DER from an i2d_* call that allocated *der; takes ownership of it.
 * (Passing &der keeps the read after the call whatever the argument
 * evaluation order.) */
static const val *der_val(arena *a, int len, unsigned char **der)
{
    const val *v = len < 0 ? VAL_NULL : crypto_bytes_val(a, *der, (size_t)len, false);
    OPENSSL_free(*der);
    *der = NULL;
    return v;
}

/* Go's pkix.Name, with the attribute OIDs it promotes to fields. */
static const val *name_val(arena *a, const X509_NAME *nm)
{
    static const struct {
        int nid;
        const char *field;
    } lists[] = {
        {NID_countryName, "Country"},
        {NID_organizationName, "Organization"},
        {NID_organizationalUnitName, "OrganizationalUnit"},
        {NID_localityName, "Locality"},
        {NID_stateOrProvinceName, "Province"},
        {NID_streetAddress, "StreetAddress"},
        {NID_postalCode, "PostalCode"},
    };
    enum { NLISTS = sizeof lists / sizeof lists[0] };
    vbuild fields[NLISTS], names, obj;
    for (size_t i = 0; i < NLISTS; i++)
        vb_init(&fields[i], a);
    vb_init(&names, a);
    vb_init(&obj, a);
    const val *cn = &val_empty_str_c, *serial = &val_empty_str_c;
    int count = nm ? X509_NAME_entry_count(nm) : 0;
    for (int i = 0; i < count; i++) {
        const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
        const ASN1_OBJECT *o = X509_NAME_ENTRY_get_object(e);
        const ASN1_STRING *d = X509_NAME_ENTRY_get_data(e);
        unsigned char *utf8 = NULL;
        int ul = ASN1_STRING_to_UTF8(&utf8, d);
        const val *s = str_val(a, (const char *)utf8, ul > 0 ? (size_t)ul : 0);
        OPENSSL_free(utf8);
        if (!s)
            return NULL;
        int nid = OBJ_obj2nid(o);
        for (size_t k = 0; k < NLISTS; k++) {
            if (lists[k].nid == nid && !vb_push(&fields[k], s))
                return NULL;
        }
        if (nid == NID_commonName)
            cn = s;
        if (nid == NID_serialNumber)
            serial = s;
        vbuild tv;
        vb_init(&tv, a);
        if (!crypto_put(&tv, "Type", oid_val(a, o)) || !crypto_put(&tv, "Value", s) ||
            !vb_push(&names, vb_finish_object(&tv, NULL)))
            return NULL;
    }
    for (size_t k = 0; k < NLISTS; k++) {
        const val *l = fields[k].n ? vb_finish_array(&fields[k]) : VAL_NULL;
        if (!crypto_put(&obj, lists[k].field, l))
            return NULL;
    }
    if (!crypto_put(&obj, "SerialNumber", serial) || !crypto_put(&obj, "CommonName", cn) ||
        !crypto_put(&obj, "Names", names.n ? vb_finish_array(&names) : &val_empty_arr_c) ||
        !crypto_put(&obj, "ExtraNames", VAL_NULL))
        return NULL;
    return vb_finish_object(&obj, NULL);
}

/* Go's x509.PublicKeyAlgorithm numbering. */
static int64_t go_pubkey_alg(const EVP_PKEY *pk)
{
    if (!pk)
        return 0;
    if (EVP_PKEY_is_a(pk, "RSA"))
        return 1;
    if (EVP_PKEY_is_a(pk, "DSA"))
        return 2;
    if (EVP_PKEY_is_a(pk, "EC"))
        return 3;
    if (EVP_PKEY_is_a(pk, "ED25519"))
        return 4;
    return 0;
}

/* Go's x509.SignatureAlgorithm numbering. */
static int64_t go_sig_alg(int nid)
{
    switch (nid) {
    case NID_md2WithRSAEncryption: return 1;
    case NID_md5WithRSAEncryption: return 2;
    case NID_sha1WithRSAEncryption: return 3;
    case NID_sha256WithRSAEncryption: return 4;
    case NID_sha384WithRSAEncryption: return 5;
    case NID_sha512WithRSAEncryption: return 6;
    case NID_dsaWithSHA1: return 7;
    case NID_dsa_with_SHA256: return 8;
    case NID_ecdsa_with_SHA1: return 9;
    case NID_ecdsa_with_SHA256: return 10;
    case NID_ecdsa_with_SHA384: return 11;
    case NID_ecdsa_with_SHA512: return 12;
    case NID_rsassaPss: return 13;
    case NID_ED25519: return 16;
    default: return 0;
    }
}

/* A public key as encoding/json writes Go's key structs: rsa.PublicKey
 * {N, E}; ecdsa.PublicKey {Curve, X, Y} where the curve marshals as {}
 * (its parameters are unexported); ed25519 keys are []byte. */
static const val *pubkey_val(arena *a, const EVP_PKEY *pk)
{
    vbuild b;
    vb_init(&b, a);
    if (!pk)
        return VAL_NULL;
    if (EVP_PKEY_is_a(pk, "RSA")) {
        if (!crypto_put(&b, "N", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_N)) ||
            !crypto_put(&b, "E", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_E)))
            return NULL;
        return vb_finish_object(&b, NULL);
    }
    if (EVP_PKEY_is_a(pk, "EC")) {
        if (!crypto_put(&b, "Curve", &val_empty_obj_c) ||
            !crypto_put(&b, "X", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_EC_PUB_X)) ||
            !crypto_put(&b, "Y", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_EC_PUB_Y)))
            return NULL;
        return vb_finish_object(&b, NULL);
    }
    if (EVP_PKEY_is_a(pk, "ED25519")) {
        unsigned char raw[32];
        size_t n = sizeof raw;
        if (!EVP_PKEY_get_raw_public_key(pk, raw, &n))
            return VAL_NULL;
        return crypto_bytes_val(a, raw, n, false);
    }
    return VAL_NULL;
}

/* Go's private key structs: rsa.PrivateKey {N, E, D, Primes, Precomputed},
 * ecdsa.PrivateKey {Curve, X, Y, D}, ed25519.PrivateKey (seed || public). */
static const val *privkey_val(arena *a, const EVP_PKEY *pk)
{
    vbuild b;
    vb_init(&b, a);
    if (EVP_PKEY_is_a(pk, "RSA")) {
        vbuild primes, pre;
        vb_init(&primes, a);
        vb_init(&pre, a);
        const val *p = crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_FACTOR1);
        const val *q = crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_FACTOR2);
        if ((p && !vb_push(&primes, p)) || (q && !vb_push(&primes, q)))
            return NULL;
        const val *dp = crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_EXPONENT1);
        const val *dq = crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_EXPONENT2);
        const val *qi = crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_COEFFICIENT1);
        if (!crypto_put(&pre, "Dp", dp ? dp : VAL_NULL) || !crypto_put(&pre, "Dq", dq ? dq : VAL_NULL) ||
            !crypto_put(&pre, "Qinv", qi ? qi : VAL_NULL) || !crypto_put(&pre, "CRTValues", VAL_NULL))
            return NULL;
        const val *d = crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_D);
        if (!crypto_put(&b, "N", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_N)) ||
            !crypto_put(&b, "E", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_RSA_E)) ||
            !crypto_put(&b, "D", d ? d : VAL_NULL) ||
            !crypto_put(&b, "Primes", primes.n ? vb_finish_array(&primes) : VAL_NULL) ||
            !crypto_put(&b, "Precomputed", vb_finish_object(&pre, NULL)))
            return NULL;
        return vb_finish_object(&b, NULL);
    }
    if (EVP_PKEY_is_a(pk, "EC")) {
        if (!crypto_put(&b, "Curve", &val_empty_obj_c) ||
            !crypto_put(&b, "X", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_EC_PUB_X)) ||
            !crypto_put(&b, "Y", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_EC_PUB_Y)) ||
            !crypto_put(&b, "D", crypto_pkey_bn_number(a, pk, OSSL_PKEY_PARAM_PRIV_KEY)))
            return NULL;
        return vb_finish_object(&b, NULL);
    }
    if (EVP_PKEY_is_a(pk, "ED25519")) {
        unsigned char raw[64];
        size_t sn = 32, pn = 32;
        if (!EVP_PKEY_get_raw_private_key(pk, raw, &sn) || !EVP_PKEY_get_raw_public_key(pk, raw + 32, &pn))
            return VAL_NULL;
        return crypto_bytes_val(a, raw, 64, false);
    }
    return VAL_NULL;
}

static const val *time_val(arena *a, const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return cstr_val(a, "0001-01-01T00:00:00Z");
    char buf[40];
    snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    return cstr_val(a, buf);
}

/* url.URL as encoding/json writes it, from a URI SAN. */
static const val *url_val(arena *a, const char *s, size_t n)
{
    const char *scheme = "", *opaque = "", *host = "", *path = "", *query = "", *frag = "";
    size_t sl = 0, ol = 0, hl = 0, pl = 0, ql = 0, fl = 0;
    const char *hash = memchr(s, '#', n);
    size_t end = hash ? (size_t)(hash - s) : n;
    if (hash) {
        frag = hash + 1;
        fl = n - end - 1;
    }
    const char *q = memchr(s, '?', end);
    size_t pend = q ? (size_t)(q - s) : end;
    if (q) {
        query = q + 1;
        ql = end - pend - 1;
    }
    size_t i = 0;
    const char *colon = memchr(s, ':', pend);
    if (colon && colon > s) {
        scheme = s;
        sl = (size_t)(colon - s);
        i = sl + 1;
    }
    if (pend - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        i += 2;
        size_t h = i;
        while (i < pend && s[i] != '/')
            i++;
        host = s + h;
        hl = i - h;
        path = s + i;
        pl = pend - i;
    } else if (sl && (i >= pend || s[i] != '/')) {
        opaque = s + i;
        ol = pend - i;
    } else {
        path = s + i;
        pl = pend - i;
    }
    char lower[64];
    size_t ll = sl < sizeof lower ? sl : sizeof lower - 1;
    for (size_t k = 0; k < ll; k++)
        lower[k] = (char)((scheme[k] >= 'A' && scheme[k] <= 'Z') ? scheme[k] + 32 : scheme[k]);
    vbuild b;
    vb_init(&b, a);
    if (!crypto_put(&b, "Scheme", str_val(a, lower, ll)) ||
        !crypto_put(&b, "Opaque", str_val(a, opaque, ol)) || !crypto_put(&b, "User", VAL_NULL) ||
        !crypto_put(&b, "Host", str_val(a, host, hl)) || !crypto_put(&b, "Path", str_val(a, path, pl)) ||
        !crypto_put(&b, "RawPath", &val_empty_str_c) || !crypto_put(&b, "OmitHost", VAL_FALSE) ||
        !crypto_put(&b, "ForceQuery", VAL_FALSE) || !crypto_put(&b, "RawQuery", str_val(a, query, ql)) ||
        !crypto_put(&b, "Fragment", str_val(a, frag, fl)) || !crypto_put(&b, "RawFragment", &val_empty_str_c))
        return NULL;
    return vb_finish_object(&b, NULL);
}

/* net.IP.String(): IPv4-mapped addresses as dotted quads, otherwise RFC
 * 5952 (lower-case hex, the longest run of two or more zero groups as
 * "::", the first such run on a tie). */
static void format_ipv6(const unsigned char *p, char *buf, size_t cap)
{
    static const unsigned char v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(p, v4_prefix, 12) == 0) {
        snprintf(buf, cap, "%u.%u.%u.%u", p[12], p[13], p[14], p[15]);
        return;
    }
    unsigned g[8];
    for (int i = 0; i < 8; i++)
        g[i] = (unsigned)p[2 * i] << 8 | p[2 * i + 1];
    int best = -1, best_len = 0;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && g[j] == 0)
            j++;
        if (j - i > best_len && j - i >= 2) {
            best = i;
            best_len = j - i;
        }
        i = j > i ? j : i + 1;
    }
    size_t w = 0;
    for (int i = 0; i < 8 && w < cap; i++) {
        if (i == best) {
            w += (size_t)snprintf(buf + w, cap - w, "::");
            i += best_len - 1;
            continue;
        }
        bool sep = i > 0 && !(best >= 0 && i == best + best_len);
        w += (size_t)snprintf(buf + w, cap - w, sep ? ":%x" : "%x", g[i]);
    }
}

/* Subject alternative names, split the way Go splits them. */
typedef struct san_lists {
    vbuild dns, email, ip, uri, uri_str;
} san_lists;

static bool san_collect(arena *a, const GENERAL_NAMES *gens, san_lists *out)
{
    for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        const ASN1_STRING *s = NULL;
        vbuild *dst = NULL;
        switch (g->type) {
        case GEN_DNS:
            s = g->d.dNSName;
            dst = &out->dns;
            break;
        case GEN_EMAIL:
            s = g->d.rfc822Name;
            dst = &out->email;
            break;
        case GEN_URI:
            s = g->d.uniformResourceIdentifier;
            dst = &out->uri_str;
            break;
        case GEN_IPADD: {
            const ASN1_OCTET_STRING *ip = g->d.iPAddress;
            char buf[64];
            const unsigned char *p = ASN1_STRING_get0_data(ip);
            int len = ASN1_STRING_length(ip);
            if (len == 4) {
                snprintf(buf, sizeof buf, "%u.%u.%u.%u", p[0], p[1], p[2], p[3]);
            } else if (len == 16) {
                format_ipv6(p, buf, sizeof buf);
            } else {
                continue;
            }
            if (!vb_push(&out->ip, cstr_val(a, buf)))
                return false;
            continue;
        }
        default: continue;
        }
        const val *v = str_val(a, (const char *)ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        if (!v || !vb_push(dst, v))
            return false;
        if (dst == &out->uri_str && !vb_push(&out->uri, url_val(a, v->u.s, v->len)))
            return false;
    }
    return true;
}

static const val *list_or_null(vbuild *b)
{
    return b->n ? vb_finish_array(b) : VAL_NULL;
}

static bool put_sans(vbuild *obj, san_lists *s)
{
    return crypto_put(obj, "DNSNames", list_or_null(&s->dns)) &&
           crypto_put(obj, "EmailAddresses", list_or_null(&s->email)) &&
           crypto_put(obj, "IPAddresses", list_or_null(&s->ip)) &&
           crypto_put(obj, "URIs", list_or_null(&s->uri));
}

static const val *extensions_val(arena *a, const STACK_OF(X509_EXTENSION) * exts)
{
    vbuild list;
    vb_init(&list, a);
    for (int i = 0; i < sk_X509_EXTENSION_num(exts); i++) {
        X509_EXTENSION *e = sk_X509_EXTENSION_value(exts, i);
        vbuild b;
        vb_init(&b, a);
        if (!crypto_put(&b, "Id", oid_val(a, X509_EXTENSION_get_object(e))) ||
            !crypto_put(&b, "Critical", VAL_BOOL(X509_EXTENSION_get_critical(e))) ||
            !crypto_put(&b, "Value", asn1_bytes_val(a, X509_EXTENSION_get_data(e))) ||
            !vb_push(&list, vb_finish_object(&b, NULL)))
            return NULL;
    }
    return list.n ? vb_finish_array(&list) : VAL_NULL;
}

/* Go's x509.ExtKeyUsage numbering. */
static int64_t go_ext_key_usage(int nid)
{
    switch (nid) {
    case NID_anyExtendedKeyUsage: return 0;
    case NID_server_auth: return 1;
    case NID_client_auth: return 2;
    case NID_code_sign: return 3;
    case NID_email_protect: return 4;
    case NID_ipsecEndSystem: return 5;
    case NID_ipsecTunnel: return 6;
    case NID_ipsecUser: return 7;
    case NID_time_stamp: return 8;
    case NID_OCSP_sign: return 9;
    case NID_ms_sgc: return 10;
    case NID_ns_sgc: return 11;
    case NID_ms_code_com: return 12;
    default: return -1;
    }
}

/* Go's x509.KeyUsage bits, from OpenSSL's KU_* bits. */
static int64_t go_key_usage(uint32_t ku)
{
    static const struct {
        uint32_t ossl;
        int64_t go;
    } bits[] = {
        {KU_DIGITAL_SIGNATURE, 1}, {KU_NON_REPUDIATION, 2}, {KU_KEY_ENCIPHERMENT, 4},
        {KU_DATA_ENCIPHERMENT, 8}, {KU_KEY_AGREEMENT, 16},  {KU_KEY_CERT_SIGN, 32},
        {KU_CRL_SIGN, 64},         {KU_ENCIPHER_ONLY, 128}, {KU_DECIPHER_ONLY, 256},
    };
    if (ku == UINT32_MAX)
        return 0;
    int64_t go = 0;
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
        if (ku & bits[i].ossl)
            go |= bits[i].go;
    }
    return go;
}

/* The x509.Certificate JSON object (plus OPA's URIStrings). */
static const val *cert_val(arena *a, X509 *cert)
{
    vbuild o;
    vb_init(&o, a);
    unsigned char *der = NULL;
    bool ok = crypto_put(&o, "Raw", der_val(a, i2d_X509(cert, &der), &der));
    ok = ok && crypto_put(&o, "RawTBSCertificate", der_val(a, i2d_re_X509_tbs(cert, &der), &der));
    ok = ok && crypto_put(&o, "RawSubjectPublicKeyInfo",
                          der_val(a, i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der), &der));
    ok = ok &&
         crypto_put(&o, "RawSubject", der_val(a, i2d_X509_NAME(X509_get_subject_name(cert), &der), &der));
    ok = ok && crypto_put(&o, "RawIssuer", der_val(a, i2d_X509_NAME(X509_get_issuer_name(cert), &der), &der));
    if (!ok)
        return NULL;

    const ASN1_BIT_STRING *sig = NULL;
    X509_get0_signature(&sig, NULL, cert);
    const EVP_PKEY *pk = X509_get0_pubkey(cert);
    BIGNUM *serial_bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *serial = serial_bn ? BN_bn2dec(serial_bn) : NULL;
    const val *serial_v = serial ? v_num_text(a, serial, strlen(serial)) : v_int(a, 0);
    OPENSSL_free(serial);
    BN_free(serial_bn);

    uint32_t flags = X509_get_extension_flags(cert);
    bool bc = flags & EXFLAG_BCONS;
    long pathlen = X509_get_pathlen(cert);
    int64_t max_path = bc ? (pathlen >= 0 ? pathlen : -1) : 0;

    ok = crypto_put(&o, "Signature", sig ? asn1_bytes_val(a, sig) : VAL_NULL) &&
         crypto_put(&o, "SignatureAlgorithm", v_int(a, go_sig_alg(X509_get_signature_nid(cert)))) &&
         crypto_put(&o, "PublicKeyAlgorithm", v_int(a, go_pubkey_alg(pk))) &&
         crypto_put(&o, "PublicKey", pubkey_val(a, pk)) &&
         crypto_put(&o, "Version", v_int(a, X509_get_version(cert) + 1)) &&
         crypto_put(&o, "SerialNumber", serial_v) &&
         crypto_put(&o, "Issuer", name_val(a, X509_get_issuer_name(cert))) &&
         crypto_put(&o, "Subject", name_val(a, X509_get_subject_name(cert))) &&
         crypto_put(&o, "NotBefore", time_val(a, X509_get0_notBefore(cert))) &&
         crypto_put(&o, "NotAfter", time_val(a, X509_get0_notAfter(cert))) &&
         crypto_put(&o, "KeyUsage", v_int(a, go_key_usage(X509_get_key_usage(cert)))) &&
         crypto_put(&o, "Extensions", extensions_val(a, X509_get0_extensions(cert))) &&
         crypto_put(&o, "ExtraExtensions", VAL_NULL) &&
         crypto_put(&o, "UnhandledCriticalExtensions", VAL_NULL) &&
         crypto_put(&o, "BasicConstraintsValid", VAL_BOOL(bc)) &&
         crypto_put(&o, "IsCA", VAL_BOOL(bc && (flags & EXFLAG_CA))) &&
         crypto_put(&o, "MaxPathLen", v_int(a, max_path)) &&
         crypto_put(&o, "MaxPathLenZero", VAL_BOOL(bc && pathlen == 0));
    if (!ok)
        return NULL;

    const ASN1_OCTET_STRING *skid = X509_get0_subject_key_id(cert);
    const ASN1_OCTET_STRING *akid = X509_get0_authority_key_id(cert);
    if (!crypto_put(&o, "SubjectKeyId", asn1_bytes_val(a, skid)) ||
        !crypto_put(&o, "AuthorityKeyId", asn1_bytes_val(a, akid)))
        return NULL;

    vbuild eku, unknown_eku;
    vb_init(&eku, a);
    vb_init(&unknown_eku, a);
    EXTENDED_KEY_USAGE *ekus = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    for (int i = 0; ok && ekus && i < sk_ASN1_OBJECT_num(ekus); i++) {
        const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(ekus, i);
        int64_t g = go_ext_key_usage(OBJ_obj2nid(obj));
        ok = g >= 0 ? vb_push(&eku, v_int(a, g)) : vb_push(&unknown_eku, oid_val(a, obj));
    }
    EXTENDED_KEY_USAGE_free(ekus);

    vbuild ocsp, issuers, crl, policies_oid, policies_txt;
    vb_init(&ocsp, a);
    vb_init(&issuers, a);
    vb_init(&crl, a);
    vb_init(&policies_oid, a);
    vb_init(&policies_txt, a);
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    for (int i = 0; ok && aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (ad->location->type != GEN_URI)
            continue;
        const ASN1_IA5STRING *u = ad->location->d.uniformResourceIdentifier;
        const val *s = str_val(a, (const char *)ASN1_STRING_get0_data(u), (size_t)ASN1_STRING_length(u));
        int nid = OBJ_obj2nid(ad->method);
        if (nid == NID_ad_OCSP)
            ok = vb_push(&ocsp, s);
        else if (nid == NID_ad_ca_issuers)
            ok = vb_push(&issuers, s);
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    CRL_DIST_POINTS *cdp = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    for (int i = 0; ok && cdp && i < sk_DIST_POINT_num(cdp); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(cdp, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        const GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int k = 0; ok && k < sk_GENERAL_NAME_num(names); k++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, k);
            if (g->type != GEN_URI)
                continue;
            const ASN1_IA5STRING *u = g->d.uniformResourceIdentifier;
            ok = vb_push(&crl,
                         str_val(a, (const char *)ASN1_STRING_get0_data(u), (size_t)ASN1_STRING_length(u)));
        }
    }
    CRL_DIST_POINTS_free(cdp);
    CERTIFICATEPOLICIES *pols = X509_get_ext_d2i(cert, NID_certificate_policies, NULL, NULL);
    for (int i = 0; ok && pols && i < sk_POLICYINFO_num(pols); i++) {
        const POLICYINFO *pi = sk_POLICYINFO_value(pols, i);
        char txt[128];
        int n = OBJ_obj2txt(txt, sizeof txt, pi->policyid, 1);
        ok = vb_push(&policies_oid, oid_val(a, pi->policyid)) &&
             vb_push(&policies_txt, str_val(a, txt, n > 0 && (size_t)n < sizeof txt ? (size_t)n : 0));
    }
    CERTIFICATEPOLICIES_free(pols);

    san_lists sans;
    vb_init(&sans.dns, a);
    vb_init(&sans.email, a);
    vb_init(&sans.ip, a);
    vb_init(&sans.uri, a);
    vb_init(&sans.uri_str, a);
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    ok = ok && san_collect(a, gens, &sans);
    GENERAL_NAMES_free(gens);
    if (!ok)
        return NULL;

    ok = crypto_put(&o, "ExtKeyUsage", list_or_null(&eku)) &&
         crypto_put(&o, "UnknownExtKeyUsage", list_or_null(&unknown_eku)) &&
         crypto_put(&o, "OCSPServer", list_or_null(&ocsp)) &&
         crypto_put(&o, "IssuingCertificateURL", list_or_null(&issuers)) && put_sans(&o, &sans) &&
         crypto_put(&o, "PermittedDNSDomainsCritical", VAL_FALSE) &&
         crypto_put(&o, "PermittedDNSDomains", VAL_NULL) && crypto_put(&o, "ExcludedDNSDomains", VAL_NULL) &&
         crypto_put(&o, "PermittedIPRanges", VAL_NULL) && crypto_put(&o, "ExcludedIPRanges", VAL_NULL) &&
         crypto_put(&o, "PermittedEmailAddresses", VAL_NULL) &&
         crypto_put(&o, "ExcludedEmailAddresses", VAL_NULL) &&
         crypto_put(&o, "PermittedURIDomains", VAL_NULL) && crypto_put(&o, "ExcludedURIDomains", VAL_NULL) &&
         crypto_put(&o, "CRLDistributionPoints", list_or_null(&crl)) &&
         crypto_put(&o, "PolicyIdentifiers", list_or_null(&policies_oid)) &&
         crypto_put(&o, "Policies", list_or_null(&policies_txt)) &&
         crypto_put(&o, "InhibitAnyPolicy", v_int(a, 0)) &&
         crypto_put(&o, "InhibitAnyPolicyZero", VAL_FALSE) &&
         crypto_put(&o, "InhibitPolicyMapping", v_int(a, 0)) &&
         crypto_put(&o, "InhibitPolicyMappingZero", VAL_FALSE) &&
         crypto_put(&o, "RequireExplicitPolicy", v_int(a, 0)) &&
         crypto_put(&o, "RequireExplicitPolicyZero", VAL_FALSE) &&
         crypto_put(&o, "PolicyMappings", VAL_NULL) &&
         crypto_put(&o, "URIStrings", list_or_null(&sans.uri_str));
    return ok ? vb_finish_object(&o, NULL) : NULL;
}

/* ---- certificate input -------------------------------------------------- */

typedef struct cert_list {
    X509 **certs; /* arena array of owned certificates */
    size_t n;
} cert_list;

static void cert_list_free(cert_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        X509_free(l->certs[i]);
    l->n = 0;
}

/* Go's x509.ParseCertificates: concatenated DER certificates. */
static bi_status certs_from_der(bi_ctx *ctx, const char *name, const unsigned char *der, size_t len,
                                cert_list *out)
{
    out->n = 0;
    /* A certificate is at least a few dozen bytes; this bounds the array. */
    size_t cap = len / 32 + 1;
    out->certs = arena_alloc(ctx->arena, cap * sizeof *out->certs);
    if (!out->certs)
        return bi_oom(ctx);
    const unsigned char *p = der, *end = der + len;
    while (p < end) {
        X509 *c = d2i_X509(NULL, &p, (long)(end - p));
        if (!c || out->n == cap) {
            X509_free(c);
            cert_list_free(out);
            return crypto_fail(ctx, name, "x509: malformed certificate");
        }
        out->certs[out->n++] = c;
    }
    return BI_OK;
}

static bi_status certs_from_pem(bi_ctx *ctx, const char *name, const char *s, size_t n, cert_list *out)
{
    unsigned char *all = arena_alloc(ctx->arena, n + 1);
    size_t total = 0, pos = 0;
    if (!all)
        return bi_oom(ctx);
    while (pos < n) {
        crypto_pem_block blk;
        size_t rest;
        int r = crypto_pem_decode(ctx->arena, s + pos, n - pos, &blk, &rest);
        if (r < 0)
            return bi_oom(ctx);
        if (r == 0)
            break;
        if (!crypto_pem_type_is(&blk, "CERTIFICATE"))
            return crypto_fail(ctx, name, "PEM block type is '%.*s', expected CERTIFICATE", (int)blk.type_len,
                               blk.type);
        memcpy(all + total, blk.der, blk.der_len); /* DER is always shorter than its base64 */
        total += blk.der_len;
        pos += rest;
    }
    return certs_from_der(ctx, name, all, total, out);
}

static bool starts_with(const char *s, size_t n, const char *p)
{
    size_t pn = strlen(p);
    return n >= pn && memcmp(s, p, pn) == 0;
}

/* OPA's getX509CertsFromString: PEM, or base64 of PEM or DER. */
static bi_status certs_from_string(bi_ctx *ctx, const char *name, const char *s, size_t n, cert_list *out)
{
    out->n = 0;
    if (starts_with(s, n, "-----BEGIN"))
        return certs_from_pem(ctx, name, s, n, out);
    unsigned char *raw;
    size_t len;
    if (crypto_b64_std_decode(ctx, name, s, n, &raw, &len) != BI_OK)
        return BI_ERR;
    if (starts_with((const char *)raw, len, "-----BEGIN"))
        return certs_from_pem(ctx, name, (const char *)raw, len, out);
    return certs_from_der(ctx, name, raw, len, out);
}

static const val *certs_array(arena *a, X509 *const *certs, size_t n)
{
    vbuild b;
    vb_init(&b, a);
    for (size_t i = 0; i < n; i++) {
        if (!vb_push(&b, cert_val(a, certs[i])))
            return NULL;
    }
    return vb_finish_array(&b);
}

bi_status bi_x509_parse_certificates(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "crypto.x509.parse_certificates";
    if (args[0]->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    cert_list l;
    if (certs_from_string(ctx, name, args[0]->u.s, args[0]->len, &l) != BI_OK)
        return BI_ERR;
    *out = certs_array(ctx->arena, l.certs, l.n);
    cert_list_free(&l);
    return *out ? BI_OK : bi_oom(ctx);
}

/* Go's Verify with default options demands ExtKeyUsageServerAuth along the
 * chain: a certificate that lists EKUs must include serverAuth or any. */
static bool chain_allows_server_auth(STACK_OF(X509) * chain)
{
    for (int i = 0; i < sk_X509_num(chain); i++) {
        X509 *c = sk_X509_value(chain, i);
        uint32_t xku = X509_get_extended_key_usage(c);
        if (xku != UINT32_MAX && !(xku & XKU_SSL_SERVER) && !(xku & XKU_ANYEKU))
            return false;
    }
    return true;
}

bi_status bi_x509_parse_and_verify_certificates(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "crypto.x509.parse_and_verify_certificates";
    if (args[0]->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", args[0]);
    vbuild inv;
    vb_init(&inv, ctx->arena);
    const val *invalid =
        (vb_push(&inv, VAL_FALSE) && vb_push(&inv, &val_empty_arr_c)) ? vb_finish_array(&inv) : NULL;
    if (!invalid)
        return bi_oom(ctx);
    cert_list l;
    if (certs_from_string(ctx, name, args[0]->u.s, args[0]->len, &l) != BI_OK) {
        if (ctx->err_code == POL_LIMIT_ARENA)
            return BI_ERR;
        *out = invalid;
        return BI_OK;
    }
    if (l.n < 2) {
        cert_list_free(&l);
        *out = invalid;
        return BI_OK;
    }
    /* OPA: the first certificate is the root, the last the leaf, the rest
     * intermediates. Roots need not be self-signed (Go treats pool
     * members as anchors), hence PARTIAL_CHAIN. */
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *vctx = X509_STORE_CTX_new();
    bool valid = false;
    const val *result = NULL;
    bool setup = store && untrusted && vctx && X509_STORE_add_cert(store, l.certs[0]);
    for (size_t i = 1; setup && i + 1 < l.n; i++)
        setup = sk_X509_push(untrusted, l.certs[i]) > 0;
    if (setup && X509_STORE_CTX_init(vctx, store, l.certs[l.n - 1], untrusted)) {
        X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(vctx);
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
        X509_VERIFY_PARAM_set_time(param, (time_t)(bi_now_ns(ctx) / 1000000000));
        if (X509_verify_cert(vctx) == 1) {
            STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(vctx);
            if (chain_allows_server_auth(chain)) {
                valid = true;
                int cn = sk_X509_num(chain);
                X509 **certs = arena_alloc(ctx->arena, (size_t)(cn > 0 ? cn : 1) * sizeof *certs);
                for (int i = 0; certs && i < cn; i++)
                    certs[i] = sk_X509_value(chain, i);
                result = certs ? certs_array(ctx->arena, certs, (size_t)cn) : NULL;
            }
        }
    }
    X509_STORE_CTX_free(vctx);
    sk_X509_free(untrusted); /* the certificates stay owned by l */
    X509_STORE_free(store);
    cert_list_free(&l);
    if (!valid) {
        *out = invalid;
        return BI_OK;
    }
    vbuild b;
    vb_init(&b, ctx->arena);
    if (!result || !vb_push(&b, VAL_TRUE) || !vb_push(&b, result) || !(*out = vb_finish_array(&b)))
        return bi_oom(ctx);
    return BI_OK;
}

bi_status bi_x509_parse_certificate_request(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "crypto.x509.parse_certificate_request";
    const val *in = args[0];
    if (in->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", in);
    const unsigned char *bytes = (const unsigned char *)in->u.s;
    size_t len = in->len;
    if (!starts_with(in->u.s, in->len, "-----BEGIN CERTIFICATE REQUEST-----")) {
        unsigned char *raw;
        if (crypto_b64_std_decode(ctx, name, in->u.s, in->len, &raw, &len) != BI_OK)
            return BI_ERR;
        bytes = raw;
    }
    crypto_pem_block blk;
    size_t rest;
    int r = crypto_pem_decode(ctx->arena, (const char *)bytes, len, &blk, &rest);
    if (r < 0)
        return bi_oom(ctx);
    if (r == 1) {
        if (!crypto_pem_type_is(&blk, "CERTIFICATE REQUEST"))
            return crypto_fail(ctx, name, "invalid PEM-encoded certificate signing request");
        bytes = blk.der;
        len = blk.der_len;
    }
    const unsigned char *p = bytes;
    X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
    if (!req || p != bytes + len) {
        X509_REQ_free(req);
        return crypto_fail(ctx, name, "asn1: structure error: tags don't match");
    }
    arena *a = ctx->arena;
    vbuild o;
    vb_init(&o, a);
    unsigned char *der = NULL;
    bool ok = crypto_put(&o, "Raw", der_val(a, i2d_X509_REQ(req, &der), &der));
    ok = ok && crypto_put(&o, "RawTBSCertificateRequest", der_val(a, i2d_re_X509_REQ_tbs(req, &der), &der));
    ok = ok && crypto_put(&o, "RawSubjectPublicKeyInfo",
                          der_val(a, i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &der), &der));
    ok = ok &&
         crypto_put(&o, "RawSubject", der_val(a, i2d_X509_NAME(X509_REQ_get_subject_name(req), &der), &der));
    const ASN1_BIT_STRING *sig = NULL;
    X509_REQ_get0_signature(req, &sig, NULL);
    EVP_PKEY *pk = X509_REQ_get0_pubkey(req);
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
    san_lists sans;
    vb_init(&sans.dns, a);
    vb_init(&sans.email, a);
    vb_init(&sans.ip, a);
    vb_init(&sans.uri, a);
    vb_init(&sans.uri_str, a);
    GENERAL_NAMES *gens = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
    ok = ok && san_collect(a, gens, &sans);
    GENERAL_NAMES_free(gens);
    ok = ok && crypto_put(&o, "Version", v_int(a, X509_REQ_get_version(req))) &&
         crypto_put(&o, "Signature", sig ? asn1_bytes_val(a, sig) : VAL_NULL) &&
         crypto_put(&o, "SignatureAlgorithm", v_int(a, go_sig_alg(X509_REQ_get_signature_nid(req)))) &&
         crypto_put(&o, "PublicKeyAlgorithm", v_int(a, go_pubkey_alg(pk))) &&
         crypto_put(&o, "PublicKey", pubkey_val(a, pk)) &&
         crypto_put(&o, "Subject", name_val(a, X509_REQ_get_subject_name(req))) &&
         crypto_put(&o, "Attributes", VAL_NULL) && crypto_put(&o, "Extensions", extensions_val(a, exts)) &&
         crypto_put(&o, "ExtraExtensions", VAL_NULL) && put_sans(&o, &sans);
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    X509_REQ_free(req);
    if (!ok || !(*out = vb_finish_object(&o, NULL)))
        return bi_oom(ctx);
    return BI_OK;
}

/* ---- private keys ------------------------------------------------------- */

/* Parses one DER private key of the given PEM type the way Go's x509
 * parsers accept them (PKCS#1 RSA, SEC 1 EC, PKCS#8 any). */
static EVP_PKEY *parse_private_der(const crypto_pem_block *blk)
{
    const unsigned char *p = blk->der;
    EVP_PKEY *pk = NULL;
    if (crypto_pem_type_is(blk, "RSA PRIVATE KEY"))
        pk = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)blk->der_len);
    else if (crypto_pem_type_is(blk, "EC PRIVATE KEY"))
        pk = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, (long)blk->der_len);
    else
        pk = d2i_AutoPrivateKey(NULL, &p, (long)blk->der_len);
    return pk;
}

static bool is_private_key_block(const crypto_pem_block *blk)
{
    static const char suffix[] = "PRIVATE KEY";
    size_t sl = sizeof suffix - 1;
    return blk->type_len >= sl && memcmp(blk->type + blk->type_len - sl, suffix, sl) == 0;
}

bi_status bi_crypto_parse_private_keys(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "crypto.parse_private_keys";
    const val *in = args[0];
    if (in->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", in);
    if (in->len == 0) {
        *out = VAL_NULL;
        return BI_OK;
    }
    const char *s = in->u.s;
    size_t n = in->len;
    if (!starts_with(s, n, "-----BEGIN")) {
        unsigned char *raw;
        if (crypto_b64_std_decode(ctx, name, s, n, &raw, &n) != BI_OK)
            return BI_ERR;
        s = (const char *)raw;
    }
    vbuild b;
    vb_init(&b, ctx->arena);
    size_t pos = 0;
    while (pos < n) {
        crypto_pem_block blk;
        size_t rest;
        int r = crypto_pem_decode(ctx->arena, s + pos, n - pos, &blk, &rest);
        if (r < 0)
            return bi_oom(ctx);
        if (r == 0)
            break;
        pos += rest;
        if (!is_private_key_block(&blk))
            continue;
        EVP_PKEY *pk = parse_private_der(&blk);
        if (!pk)
            return crypto_fail(ctx, name, "x509: failed to parse private key");
        const val *kv = privkey_val(ctx->arena, pk);
        EVP_PKEY_free(pk);
        if (!kv || !vb_push(&b, kv))
            return bi_oom(ctx);
    }
    if (!(*out = b.n ? vb_finish_array(&b) : &val_empty_arr_c))
        return bi_oom(ctx);
    return BI_OK;
}

bi_status bi_x509_parse_rsa_private_key(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "crypto.x509.parse_rsa_private_key";
    const val *in = args[0];
    if (in->type != V_STR)
        return bi_type_fail(ctx, name, 1, "string", in);
    if (in->len == 0)
        return crypto_fail(ctx, name, "input PEM data was empty");
    const char *s = in->u.s;
    size_t n = in->len;
    if (!starts_with(s, n, "-----BEGIN")) {
        unsigned char *raw;
        if (crypto_b64_std_decode(ctx, name, s, n, &raw, &n) != BI_OK)
            return BI_ERR;
        s = (const char *)raw;
    }
    crypto_pem_block blk;
    size_t rest;
    int r = crypto_pem_decode(ctx->arena, s, n, &blk, &rest);
    if (r < 0)
        return bi_oom(ctx);
    if (r == 0)
        return crypto_fail(ctx, name, "failed to parse PEM block containing the key");
    const unsigned char *p = blk.der;
    EVP_PKEY *pk = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)blk.der_len);
    if (!pk)
        return crypto_fail(
            ctx, name,
            "x509: failed to parse private key (use ParsePKCS8PrivateKey instead for this key format)");
    static const struct {
        const char *member, *param;
    } parts[] = {
        {"d", OSSL_PKEY_PARAM_RSA_D},          {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1},
        {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2}, {"e", OSSL_PKEY_PARAM_RSA_E},
        {"n", OSSL_PKEY_PARAM_RSA_N},          {"p", OSSL_PKEY_PARAM_RSA_FACTOR1},
        {"q", OSSL_PKEY_PARAM_RSA_FACTOR2},    {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1},
    };
    vbuild b;
    vb_init(&b, ctx->arena);
    bool ok = crypto_put(&b, "kty", v_cstr(ctx->arena, "RSA"));
    for (size_t i = 0; ok && i < sizeof parts / sizeof parts[0]; i++) {
        const val *v = crypto_pkey_bn_b64url(ctx->arena, pk, parts[i].param);
        if (v)
            ok = crypto_put(&b, parts[i].member, v);
    }
    EVP_PKEY_free(pk);
    if (!ok || !(*out = vb_finish_object(&b, NULL)))
        return bi_oom(ctx);
    return BI_OK;
}

/* PEM text for tls.X509KeyPair: input that is not PEM is base64 of PEM or
 * of DER; DER is then wrapped as the given block type. Returns the PEM
 * blocks' decoded form via the caller's parser, so only the bytes and
 * whether they are PEM matter here. */
static bi_status keypair_input(bi_ctx *ctx, const char *name, const val *in, const char **s, size_t *n,
                               bool *is_der)
{
    *s = in->u.s;
    *n = in->len;
    *is_der = false;
    if (starts_with(*s, *n, "-----BEGIN"))
        return BI_OK;
    unsigned char *raw;
    if (crypto_b64_std_decode(ctx, name, in->u.s, in->len, &raw, n) != BI_OK)
        return BI_ERR;
    *s = (const char *)raw;
    *is_der = !starts_with(*s, *n, "-----BEGIN");
    return BI_OK;
}

bi_status bi_x509_parse_keypair(bi_ctx *ctx, const val *const *args, const val **out)
{
    static const char name[] = "crypto.x509.parse_keypair";
    for (int i = 0; i < 2; i++) {
        if (args[i]->type != V_STR)
            return bi_type_fail(ctx, name, 1, "string", args[i]);
    }
    const char *cs, *ks;
    size_t cn, kn;
    bool cert_der, key_der;
    if (keypair_input(ctx, name, args[0], &cs, &cn, &cert_der) != BI_OK ||
        keypair_input(ctx, name, args[1], &ks, &kn, &key_der) != BI_OK)
        return BI_ERR;

    cert_list l;
    l.n = 0;
    if (cert_der) {
        if (certs_from_der(ctx, name, (const unsigned char *)cs, cn, &l) != BI_OK)
            return BI_ERR;
    } else if (certs_from_pem(ctx, name, cs, cn, &l) != BI_OK) {
        return BI_ERR;
    }
    if (l.n == 0)
        return crypto_fail(ctx, name, "tls: failed to find any PEM data in certificate input");

    EVP_PKEY *pk = NULL;
    if (key_der) {
        const unsigned char *p = (const unsigned char *)ks;
        pk = d2i_AutoPrivateKey(NULL, &p, (long)kn);
    } else {
        size_t pos = 0;
        while (pos < kn) {
            crypto_pem_block blk;
            size_t rest;
            int r = crypto_pem_decode(ctx->arena, ks + pos, kn - pos, &blk, &rest);
            if (r < 0) {
                cert_list_free(&l);
                return bi_oom(ctx);
            }
            if (r == 0)
                break;
            pos += rest;
            if (is_private_key_block(&blk)) {
                pk = parse_private_der(&blk);
                break;
            }
        }
    }
    const char *err = NULL;
    if (!pk)
        err = "tls: failed to parse private key";
    else if (EVP_PKEY_eq(pk, X509_get0_pubkey(l.certs[0])) != 1)
        err = "tls: private key does not match public key";
    const val *result = NULL;
    if (!err) {
        arena *a = ctx->arena;
        vbuild chain, o;
        vb_init(&chain, a);
        vb_init(&o, a);
        bool ok = true;
        for (size_t i = 0; ok && i < l.n; i++) {
            unsigned char *der = NULL;
            ok = vb_push(&chain, der_val(a, i2d_X509(l.certs[i], &der), &der));
        }
        ok = ok && crypto_put(&o, "Certificate", vb_finish_array(&chain)) &&
             crypto_put(&o, "PrivateKey", privkey_val(a, pk)) &&
             crypto_put(&o, "SupportedSignatureAlgorithms", VAL_NULL) &&
             crypto_put(&o, "OCSPStaple", VAL_NULL) &&
             crypto_put(&o, "SignedCertificateTimestamps", VAL_NULL) &&
             crypto_put(&o, "Leaf", cert_val(a, l.certs[0]));
        result = ok ? vb_finish_object(&o, NULL) : NULL;
    }
    EVP_PKEY_free(pk);
    cert_list_free(&l);
    if (err)
        return crypto_fail(ctx, name, "%s", err);
    if (!(*out = result))
        return bi_oom(ctx);
    return BI_OK;
}
