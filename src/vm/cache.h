/* Decision cache internals used by the evaluation API (see cache.c). */
#ifndef POL_VM_CACHE_H
#define POL_VM_CACHE_H

#include <stdio.h>

#include "vm.h"

typedef struct cache_key {
    uint64_t lo, hi; /* XXH3-128 of (entrypoint, flags, input) */
} cache_key;

/* On a hit, decodes the cached result into arena a: *defined tells a
 * cached "undefined" apart from a value. */
bool cache_lookup(pol_cache *c, cache_key k, arena *a, const val **out, bool *defined);
/* Stores v (NULL = undefined) unless it does not fit or the slot is busy. */
void cache_insert(pol_cache *c, cache_key k, const val *v);
const pol_bundle *cache_bundle(const pol_cache *c);

#endif
