/* XXH3-128 for the decision cache's keys, inlined and compiled for one
 * vector extension: meson builds this file once with -mavx2 and once with
 * -mavx512f, naming the function through CACHE_XXH_FN, and cache.c picks
 * the widest the CPU runs when a cache is created.
 *
 * Why not libxxhash's own runtime dispatch: on the bench host (AMD EPYC,
 * AVX-512) Debian's XXH3_128bits_withSecret_dispatch hashed abac's
 * 1005-byte input no faster than its baseline SSE2 build (~27 ns), where
 * the inlined AVX2 code takes ~20 ns and the AVX-512 code ~12 ns: a third
 * of a cache hit. The library is the same; only the instruction set it is
 * compiled for differs, and XXH3 gives the same hash on every one. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "cache_xxh.h"

#ifndef CACHE_XXH_FN
#error "build with -DCACHE_XXH_FN=<name> (see meson.build)"
#endif

void CACHE_XXH_FN(const void *p, size_t n, const unsigned char *secret, uint64_t out[2])
{
    XXH128_hash_t h = XXH3_128bits_withSecret(p, n, secret, XXH3_SECRET_DEFAULT_SIZE);
    out[0] = h.low64;
    out[1] = h.high64;
}
