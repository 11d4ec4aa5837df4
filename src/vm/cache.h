/* Decision cache internals used by the evaluation API (see cache.c). */
#ifndef POL_VM_CACHE_H
#define POL_VM_CACHE_H

#include <stdio.h>

#include "vm.h"

/* A decision's identity: a 128-bit keyed hash of the input, plus the
 * tweak (entrypoint, flags that change a decision, and which API hashed
 * the input), which is compared exactly. */
typedef struct cache_key {
    /* lo and hi apart on purpose: adjacent, gcc copies the hash into them
     * through a 16-byte vector reloaded from two 8-byte spills, a
     * store-forwarding stall on every hit */
    uint64_t lo, tweak, hi;
} cache_key;

/* Keys of the two input forms never collide with each other by
 * construction (the tweak records the form). `tweak` is the caller's
 * (entrypoint, flags) word and must leave bits 48 and up clear. */
void cache_key_json(const pol_cache *c, const char *text, size_t len, uint64_t tweak, cache_key *out);
/* input NULL = no input. False when the value is nested too deeply to
 * hash (the evaluation then bypasses the cache). */
bool cache_key_value(const pol_cache *c, const val *input, uint64_t tweak, cache_key *out);

/* On a hit, copies the cached result into arena a: *out (NULL with
 * *defined false for a cached "undefined") stays valid while the arena
 * holds it. A miss leaves the arena as it was. */
bool cache_lookup(pol_cache *c, const cache_key *k, arena *a, const val **out, bool *defined);
/* Stores v (NULL = undefined) unless it does not fit a slot or the slot is
 * busy. `scratch` lends room to lay the result out; whatever it takes is
 * given back before returning. */
void cache_insert(pol_cache *c, const cache_key *k, const val *v, arena *scratch);
const pol_bundle *cache_bundle(const pol_cache *c);

#endif
