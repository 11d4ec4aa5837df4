/* Builtin rows owned by the crypto area: bi_crypto.c (digests, HMAC,
 * x509, private keys), bi_jwt.c (io.jwt.*) and bi_aws.c
 * (providers.aws.sign_req); see builtins.h for the row format.
 *
 * io.jwt.encode_sign* and decode_verify are nondeterministic in OPA's
 * capabilities (signatures may be randomised; decode_verify reads the
 * clock when no time constraint is given). */
#ifndef POL_STDLIB_BI_CRYPTO_H
#define POL_STDLIB_BI_CRYPTO_H

#define BI_LIST_CRYPTO(X)                                                                                    \
    X(CRYPTO_MD5, "crypto.md5", 1, BIF_NONE, bi_crypto_md5)                                                  \
    X(CRYPTO_SHA1, "crypto.sha1", 1, BIF_NONE, bi_crypto_sha1)                                               \
    X(CRYPTO_SHA256, "crypto.sha256", 1, BIF_NONE, bi_crypto_sha256)                                         \
    X(CRYPTO_HMAC_MD5, "crypto.hmac.md5", 2, BIF_NONE, bi_crypto_hmac_md5)                                   \
    X(CRYPTO_HMAC_SHA1, "crypto.hmac.sha1", 2, BIF_NONE, bi_crypto_hmac_sha1)                                \
    X(CRYPTO_HMAC_SHA256, "crypto.hmac.sha256", 2, BIF_NONE, bi_crypto_hmac_sha256)                          \
    X(CRYPTO_HMAC_SHA512, "crypto.hmac.sha512", 2, BIF_NONE, bi_crypto_hmac_sha512)                          \
    X(CRYPTO_HMAC_EQUAL, "crypto.hmac.equal", 2, BIF_NONE, bi_crypto_hmac_equal)                             \
    X(CRYPTO_PARSE_PRIVATE_KEYS, "crypto.parse_private_keys", 1, BIF_NONE, bi_crypto_parse_private_keys)     \
    X(X509_PARSE_CERTIFICATES, "crypto.x509.parse_certificates", 1, BIF_NONE, bi_x509_parse_certificates)    \
    X(X509_PARSE_AND_VERIFY_CERTIFICATES, "crypto.x509.parse_and_verify_certificates", 1, BIF_NONDET,        \
      bi_x509_parse_and_verify_certificates)                                                                 \
    X(X509_PARSE_CERTIFICATE_REQUEST, "crypto.x509.parse_certificate_request", 1, BIF_NONE,                  \
      bi_x509_parse_certificate_request)                                                                     \
    X(X509_PARSE_KEYPAIR, "crypto.x509.parse_keypair", 2, BIF_NONE, bi_x509_parse_keypair)                   \
    X(X509_PARSE_RSA_PRIVATE_KEY, "crypto.x509.parse_rsa_private_key", 1, BIF_NONE,                          \
      bi_x509_parse_rsa_private_key)                                                                         \
    X(JWT_DECODE, "io.jwt.decode", 1, BIF_NONE, bi_jwt_decode)                                               \
    X(JWT_DECODE_VERIFY, "io.jwt.decode_verify", 2, BIF_NONDET, bi_jwt_decode_verify)                        \
    X(JWT_ENCODE_SIGN, "io.jwt.encode_sign", 3, BIF_NONDET, bi_jwt_encode_sign)                              \
    X(JWT_ENCODE_SIGN_RAW, "io.jwt.encode_sign_raw", 3, BIF_NONDET, bi_jwt_encode_sign_raw)                  \
    X(JWT_VERIFY_HS256, "io.jwt.verify_hs256", 2, BIF_NONE, bi_jwt_verify_hs256)                             \
    X(JWT_VERIFY_HS384, "io.jwt.verify_hs384", 2, BIF_NONE, bi_jwt_verify_hs384)                             \
    X(JWT_VERIFY_HS512, "io.jwt.verify_hs512", 2, BIF_NONE, bi_jwt_verify_hs512)                             \
    X(JWT_VERIFY_RS256, "io.jwt.verify_rs256", 2, BIF_NONE, bi_jwt_verify_rs256)                             \
    X(JWT_VERIFY_RS384, "io.jwt.verify_rs384", 2, BIF_NONE, bi_jwt_verify_rs384)                             \
    X(JWT_VERIFY_RS512, "io.jwt.verify_rs512", 2, BIF_NONE, bi_jwt_verify_rs512)                             \
    X(JWT_VERIFY_PS256, "io.jwt.verify_ps256", 2, BIF_NONE, bi_jwt_verify_ps256)                             \
    X(JWT_VERIFY_PS384, "io.jwt.verify_ps384", 2, BIF_NONE, bi_jwt_verify_ps384)                             \
    X(JWT_VERIFY_PS512, "io.jwt.verify_ps512", 2, BIF_NONE, bi_jwt_verify_ps512)                             \
    X(JWT_VERIFY_ES256, "io.jwt.verify_es256", 2, BIF_NONE, bi_jwt_verify_es256)                             \
    X(JWT_VERIFY_ES384, "io.jwt.verify_es384", 2, BIF_NONE, bi_jwt_verify_es384)                             \
    X(JWT_VERIFY_ES512, "io.jwt.verify_es512", 2, BIF_NONE, bi_jwt_verify_es512)                             \
    X(JWT_VERIFY_EDDSA, "io.jwt.verify_eddsa", 2, BIF_NONE, bi_jwt_verify_eddsa)                             \
    X(AWS_SIGN_REQ, "providers.aws.sign_req", 3, BIF_NONE, bi_aws_sign_req)

#endif
