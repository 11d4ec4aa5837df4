/* Set-up shared by the decision-cache tests (test_cache.c and
 * test_cache_threads.c). */
#ifndef POL_TESTS_CACHE_TEST_UTIL_H
#define POL_TESTS_CACHE_TEST_UTIL_H

#include <string.h>

#include "policy.h"
#include "vm/value.h"

/* A bundle of one module with entrypoint data.t.p (NULL on failure). */
static inline pol_bundle *bundle_of(const char *src)
{
    pol_error err;
    pol_compiler *cc = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (pol_compiler_add_module(cc, "t.rego", src, strlen(src), &err) == POL_OK &&
        pol_compiler_add_entrypoint(cc, "data.t.p", &err) == POL_OK)
        b = pol_compiler_build(cc, &err);
    pol_compiler_free(cc);
    return b;
}

/* JSON text of x, for byte-for-byte comparison (truncated text compares
 * unequal through the length). */
static inline size_t json_of(const val *x, char *buf, size_t cap)
{
    sbuf sb;
    sb_init(&sb, buf, cap);
    json_write(&sb, x, 0);
    return sb.len;
}

#endif
