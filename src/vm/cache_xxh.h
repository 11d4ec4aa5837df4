/* XXH3-128 of the decision cache's keys, compiled once per x86 vector
 * extension (cache_xxh.c). */
#ifndef POL_VM_CACHE_XXH_H
#define POL_VM_CACHE_XXH_H

#include <stddef.h>
#include <stdint.h>

/* XXH3_128bits_withSecret(p, n, secret, 192): out[0] the low half,
 * out[1] the high half. Every variant computes the same function. */
typedef void cache_xxh_fn(const void *p, size_t n, const unsigned char *secret, uint64_t out[2]);

/* Built where the compiler takes -mavx2 / -mavx512f (meson defines
 * POL_HAVE_XXH_AVX2 / POL_HAVE_XXH_AVX512); only to be called on a CPU
 * (and OS) that runs those instructions. */
cache_xxh_fn cache_xxh128_avx2, cache_xxh128_avx512;

#endif
