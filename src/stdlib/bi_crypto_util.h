/* Helpers shared by the crypto, JWT, x509 and AWS builtins
 * (bi_crypto.c, bi_jwt.c, bi_aws.c): Go-compatible base64 and PEM
 * decoding (OPA's error texts come from Go's encoding packages), Go's
 * json.Marshal output format, and loading keys from PEM or JWK text into
 * OpenSSL EVP_PKEYs.
 *
 * OpenSSL allocates with malloc internally; that is accepted for these
 * builtins. Every EVP_PKEY a helper hands out is owned by the caller and
 * released with crypto_keyset_free / EVP_PKEY_free on every path.
 */
#ifndef POL_STDLIB_BI_CRYPTO_UTIL_H
#define POL_STDLIB_BI_CRYPTO_UTIL_H

#include <openssl/evp.h>

#include "builtins.h"

/* Prototypes of this area's builtin functions (bi_crypto.c, bi_jwt.c,
 * bi_aws.c), checked against the table rows. */
#define CRYPTO_BI_DECL(id, name, arity, flags, fn)                                                           \
    bi_status fn(bi_ctx *ctx, const val *const *args, const val **out);
BI_LIST_CRYPTO(CRYPTO_BI_DECL)
#undef CRYPTO_BI_DECL

/* Records "<name>: <message>" as an eval_builtin_error and returns BI_ERR. */
bi_status crypto_fail(bi_ctx *ctx, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- hex and base64 ----------------------------------------------------- */

/* Lower-case hex of n bytes into the arena (NUL-terminated), or NULL. */
char *crypto_hex(arena *a, const unsigned char *p, size_t n);

enum crypto_b64_flags {
    CRYPTO_B64_URL = 1u << 0,   /* '-' '_' alphabet instead of '+' '/' */
    CRYPTO_B64_NOPAD = 1u << 1, /* padding is not expected (Go's Raw*Encoding) */
};

/* Decodes like Go's base64 Encoding.DecodeString: '\r' and '\n' are
 * skipped, padding rules are Go's, trailing garbage bits are ignored.
 * `out` must hold crypto_b64_decoded_cap(n) bytes. Returns -1 on success
 * (with *out_len set) or the byte offset Go reports in
 * "illegal base64 data at input byte N". */
long crypto_b64_decode(const char *s, size_t n, unsigned flags, unsigned char *out, size_t *out_len);
size_t crypto_b64_decoded_cap(size_t n);
/* OPA's base64url.decode: adds missing padding (RFC 7515 appendix C) then
 * decodes with the URL alphabet. Allocates the result in the arena.
 * Returns BI_OK, or BI_ERR with "<name>: <what> had invalid encoding: ..."
 * when `what` is non-NULL, or the bare Go message otherwise. */
bi_status crypto_b64url_decode_opa(bi_ctx *ctx, const char *name, const char *what, const char *s, size_t n,
                                   unsigned char **out, size_t *out_len);
/* Standard-alphabet padded decode into the arena; on failure records
 * "<name>: illegal base64 data at input byte N". */
bi_status crypto_b64_std_decode(bi_ctx *ctx, const char *name, const char *s, size_t n, unsigned char **out,
                                size_t *out_len);
/* Lenient decode for JWK members: either alphabet, padding optional.
 * Returns false on bad input. `out` as for crypto_b64_decode. */
bool crypto_b64_decode_any(const char *s, size_t n, unsigned char *out, size_t *out_len);

/* Encodes into the arena (NUL-terminated); NULL when the arena is full. */
char *crypto_b64_encode(arena *a, const unsigned char *p, size_t n, unsigned flags);

/* ---- PEM (Go's encoding/pem.Decode) ------------------------------------- */

typedef struct crypto_pem_block {
    const char *type; /* points into the input; not NUL-terminated */
    size_t type_len;
    unsigned char *der; /* decoded body, in the arena */
    size_t der_len;
    size_t header_count; /* "Key: value" lines before the body */
} crypto_pem_block;

/* Finds the next PEM block in s[0..n). Returns 1 and fills *blk and
 * *rest_off (offset just after the block's END line) when found, 0 when
 * there is none, -1 when the arena is full. */
int crypto_pem_decode(arena *a, const char *s, size_t n, crypto_pem_block *blk, size_t *rest_off);
bool crypto_pem_type_is(const crypto_pem_block *blk, const char *type);

/* ---- Go json.Marshal ---------------------------------------------------- */

/* Writes x the way Go's json.Marshal writes OPA's ast.JSON(x): compact,
 * object keys sorted, sets as arrays, and Go's string escaping (<, > and &
 * as \u003c \u003e \u0026; U+2028/2029 escaped; invalid UTF-8 as U+FFFD). */
void crypto_gojson_write(sbuf *b, const val *x);
/* Same, into a NUL-terminated arena buffer; NULL when the arena is full. */
char *crypto_gojson(arena *a, const val *x, size_t *len);

/* ---- keys --------------------------------------------------------------- */

/* One verification or signing key. Exactly one of pkey / secret is set. */
typedef struct crypto_key {
    EVP_PKEY *pkey;
    const unsigned char *secret; /* JWK "oct" key bytes, in the arena */
    size_t secret_len;
    const val *alg; /* JWK "alg" string value or NULL */
    const val *kid; /* JWK "kid" string value or NULL */
} crypto_key;

typedef struct crypto_keyset {
    crypto_key *keys; /* arena array */
    size_t n;
} crypto_keyset;

void crypto_keyset_free(crypto_keyset *ks);

/* OPA's getKeysFromCertOrJWK: a PEM certificate or PEM public key (exactly
 * one block, nothing after it), else a JWK or JWK set. Errors carry OPA's
 * texts ("failed to parse a JWK key (set): ...", "extra data after a PEM
 * certificate block", ...). On BI_ERR nothing needs freeing. */
bi_status crypto_keys_from_cert_or_jwk(bi_ctx *ctx, const char *name, const char *s, size_t n,
                                       crypto_keyset *out);

/* Builds a key from one parsed JWK object (RSA, EC P-256/384/521, OKP
 * Ed25519, oct), public or private. Returns BI_OK, or BI_ERR with
 * "<name>: <prefix><reason>". */
bi_status crypto_key_from_jwk(bi_ctx *ctx, const char *name, const char *prefix, const val *jwk,
                              crypto_key *out);

/* A BIGNUM parameter of a key as its decimal text value (NUM_BIG or
 * NUM_INT), or NULL when the key lacks it or the arena is full. */
const val *crypto_pkey_bn_number(arena *a, const EVP_PKEY *pkey, const char *param);
/* The same parameter as unpadded base64url text, or NULL. */
const val *crypto_pkey_bn_b64url(arena *a, const EVP_PKEY *pkey, const char *param);

/* ---- value helpers ------------------------------------------------------ */

/* json_parse into the arena. On failure returns NULL having recorded
 * either an arena-limit error (returns with *oom set) or nothing (bad
 * JSON; the caller reports it with err->msg). */
const val *crypto_json_parse(bi_ctx *ctx, const char *s, size_t n, json_error *err, bool *oom);

/* Looks up a string-keyed member; NULL when absent. */
const val *crypto_get(const val *obj, const char *key);
/* Small object builder: pairs are (C string key, value). NULL on OOM. */
bool crypto_put(vbuild *b, const char *key, const val *v);
/* Raw bytes as a Go []byte JSON value: a base64 string (null when empty
 * and `null_if_empty`). NULL on OOM. */
const val *crypto_bytes_val(arena *a, const unsigned char *p, size_t n, bool null_if_empty);

#endif
