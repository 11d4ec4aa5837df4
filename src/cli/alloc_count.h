/* Counting allocator for measurements: the executable that links
 * alloc_count.c defines malloc, calloc, realloc, free (and the aligned
 * variants), so every allocation in the process — the library, libc,
 * OpenSSL, PCRE2, the C++ runtime — passes through it and is forwarded to
 * glibc's own allocator. Calls are counted only between
 * alloc_count_start() and alloc_count_stop().
 *
 * Sanitizer builds keep their own allocator: alloc_count.c then defines
 * nothing and alloc_count_available() returns false, so callers report
 * "not measured" instead of a false zero. */
#ifndef POL_ALLOC_COUNT_H
#define POL_ALLOC_COUNT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct alloc_counts {
    uint64_t mallocs;  /* malloc, calloc, aligned variants, realloc(NULL, n) */
    uint64_t reallocs; /* realloc of a live block */
    uint64_t frees;    /* free and realloc(p, 0) of a non-NULL block */
} alloc_counts;

/* Whether this build interposes the allocator at all. */
bool alloc_count_available(void);
/* Zeroes the counters and starts counting (in every thread). */
void alloc_count_start(void);
/* Stops counting; the counters keep their values. */
void alloc_count_stop(void);
alloc_counts alloc_count_read(void);
/* mallocs + reallocs + frees: "calls into the allocator". */
uint64_t alloc_count_total(alloc_counts c);

#ifdef __cplusplus
}
#endif
#endif
