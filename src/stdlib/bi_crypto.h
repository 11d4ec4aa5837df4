/* Builtin rows owned by bi_crypto.c; see builtins.h for the row format. */
#ifndef POL_STDLIB_BI_CRYPTO_H
#define POL_STDLIB_BI_CRYPTO_H
#define BI_LIST_CRYPTO(X)
#endif
