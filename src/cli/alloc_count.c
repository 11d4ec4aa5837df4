/* Interposed allocator that counts calls; see alloc_count.h.
 *
 * glibc exports its allocator under __libc_* names, so forwarding needs no
 * dlsym (which itself allocates and would recurse). The counters are the
 * one piece of mutable global state here, by design: they live in the
 * measuring executable, never in the library. Relaxed atomics keep the
 * counts exact when several threads allocate and cost ~1 ns per call. */
#include "alloc_count.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(__SANITIZE_MEMORY__)
#define ALLOC_COUNT_DISABLED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define ALLOC_COUNT_DISABLED 1
#endif
#endif

#ifdef ALLOC_COUNT_DISABLED

bool alloc_count_available(void)
{
    return false;
}
void alloc_count_start(void) {}
void alloc_count_stop(void) {}
alloc_counts alloc_count_read(void)
{
    alloc_counts zero = {0, 0, 0};
    return zero;
}

#else

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void __libc_free(void *ptr);
extern void *__libc_memalign(size_t alignment, size_t size);

static atomic_bool counting;
static atomic_uint_least64_t n_mallocs, n_reallocs, n_frees;

static void count(atomic_uint_least64_t *counter)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

void *malloc(size_t size)
{
    count(&n_mallocs);
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    count(&n_mallocs);
    return __libc_calloc(n, size);
}

void *realloc(void *ptr, size_t size)
{
    if (!ptr)
        count(&n_mallocs);
    else if (size == 0)
        count(&n_frees);
    else
        count(&n_reallocs);
    return __libc_realloc(ptr, size);
}

void free(void *ptr)
{
    if (ptr)
        count(&n_frees);
    __libc_free(ptr);
}

int posix_memalign(void **out, size_t alignment, size_t size)
{
    /* EINVAL unless a power of two multiple of sizeof(void *). */
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0)
        return EINVAL;
    count(&n_mallocs);
    void *p = __libc_memalign(alignment, size);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size)
{
    count(&n_mallocs);
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size)
{
    count(&n_mallocs);
    return __libc_memalign(alignment, size);
}

bool alloc_count_available(void)
{
    return true;
}

void alloc_count_start(void)
{
    atomic_store(&n_mallocs, 0);
    atomic_store(&n_reallocs, 0);
    atomic_store(&n_frees, 0);
    atomic_store(&counting, true);
}

void alloc_count_stop(void)
{
    atomic_store(&counting, false);
}

alloc_counts alloc_count_read(void)
{
    alloc_counts c = {atomic_load(&n_mallocs), atomic_load(&n_reallocs), atomic_load(&n_frees)};
    return c;
}

#endif

uint64_t alloc_count_total(alloc_counts c)
{
    return c.mallocs + c.reallocs + c.frees;
}
