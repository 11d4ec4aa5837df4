/* Bump allocator for values, plus the allocator-hook wrappers.
 *
 * Two flavours share one struct:
 *  - fixed: carved from a caller buffer; never calls an allocator after
 *    init and returns NULL when full (evaluation contexts);
 *  - growable: a chain of chunks from the injected pol_alloc (compiler,
 *    bundle loader).
 *
 * Invariants: ptr is always 16-byte aligned and base <= ptr <= end; every
 * allocation is rounded up to 16 bytes so the next one stays aligned. In a
 * growable arena base/end bound the newest chunk, and `chunks` is the
 * newest chunk with older ones reachable through `prev`.
 */
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "vm/value.h"

enum {
    ARENA_ALIGN = 16,
    /* First chunk of a growable arena; later chunks double up to the cap so
     * the number of allocator calls grows only logarithmically while a
     * large arena does not over-reserve by more than ARENA_CHUNK_MAX. */
    ARENA_CHUNK_MIN = 64 * 1024,
    ARENA_CHUNK_MAX = 4 * 1024 * 1024,
    ARENA_MAPPED_MIN = 2 * 1024 * 1024,
};

struct arena_chunk {
    arena_chunk *prev;
    size_t size;   /* bytes of the whole chunk including this header, as allocated */
    size_t before; /* bytes in use in all older chunks when this chunk became current */
    size_t mapped; /* 1: mapped_chunk's (unmapped on release); also keeps the header 32 bytes on LP64 */
};

#define ARENA_HDR (((sizeof(arena_chunk) + ARENA_ALIGN - 1) / ARENA_ALIGN) * ARENA_ALIGN)

static unsigned char *align_up(unsigned char *p)
{
    uintptr_t u = (uintptr_t)p;
    u = (u + (ARENA_ALIGN - 1)) & ~(uintptr_t)(ARENA_ALIGN - 1);
    return (unsigned char *)u;
}

void *pa_malloc(const pol_alloc *alloc, size_t n)
{
    if (alloc && alloc->malloc)
        return alloc->malloc(alloc->user, n);
    return malloc(n);
}

void *pa_realloc(const pol_alloc *alloc, void *p, size_t old_n, size_t new_n)
{
    if (alloc && alloc->realloc)
        return alloc->realloc(alloc->user, p, old_n, new_n);
    (void)old_n;
    return realloc(p, new_n);
}

void pa_free(const pol_alloc *alloc, void *p, size_t n)
{
    if (!p)
        return;
    if (alloc && alloc->free) {
        alloc->free(alloc->user, p, n);
        return;
    }
    (void)n;
    free(p);
}

void arena_init_fixed(arena *a, void *buf, size_t size)
{
    memset(a, 0, sizeof *a);
    if (!buf || size < ARENA_ALIGN)
        return; /* an empty arena: every allocation fails */
    unsigned char *start = align_up((unsigned char *)buf);
    size_t lost = (size_t)(start - (unsigned char *)buf);
    size_t usable = (size - lost) & ~(size_t)(ARENA_ALIGN - 1);
    a->base = a->ptr = start;
    a->end = start + usable;
}

void arena_init_growable(arena *a, const pol_alloc *alloc)
{
    memset(a, 0, sizeof *a);
    a->alloc = alloc;
    a->growable = true;
}

static size_t arena_in_use(const arena *a)
{
    size_t cur = a->base ? (size_t)(a->ptr - a->base) : 0;
    return (a->growable && a->chunks) ? a->chunks->before + cur : cur;
}

/* A chunk of at least *want bytes mapped with its pages already present,
 * or NULL to take the ordinary route. Only for the default allocator (an
 * injected one decides its own memory) and only for chunks of 2 MB or
 * more: compiling a large policy fills ~100 MB of arena, and taking that
 * as one page fault per 4 KB costs more than the compile's own work (each
 * fault is dearest on virtual machines); one populating mmap does it in a
 * single call. Such a chunk is marked (mapped == 1) and unmapped on release. */
static arena_chunk *mapped_chunk(const pol_alloc *alloc, size_t *want)
{
#if defined(__linux__) && defined(MAP_POPULATE)
    if ((alloc && alloc->malloc) || *want < ARENA_MAPPED_MIN || *want > SIZE_MAX - ARENA_MAPPED_MIN)
        return NULL;
    size_t n = (*want + ARENA_MAPPED_MIN - 1) & ~(size_t)(ARENA_MAPPED_MIN - 1);
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *want = n;
    arena_chunk *c = p;
    c->mapped = 1;
    return c;
#else
    (void)alloc, (void)want;
    return NULL;
#endif
}

static void chunk_release(const pol_alloc *alloc, arena_chunk *c)
{
#if defined(__linux__) && defined(MAP_POPULATE)
    if (c->mapped == 1) {
        (void)munmap(c, c->size);
        return;
    }
#endif
    pa_free(alloc, c, c->size);
}

/* Starts a new chunk that can hold at least n bytes; the old chunk's tail
 * is abandoned (bump allocators never go back). */
static bool arena_grow(arena *a, size_t n)
{
    size_t want = a->chunks ? a->chunks->size * 2 : ARENA_CHUNK_MIN;
    if (want > ARENA_CHUNK_MAX)
        want = ARENA_CHUNK_MAX;
    if (n > SIZE_MAX - ARENA_HDR - ARENA_ALIGN)
        return false;
    if (want < n + ARENA_HDR)
        want = n + ARENA_HDR;
    arena_chunk *c = mapped_chunk(a->alloc, &want);
    if (!c) {
        /* malloc guarantees max_align_t alignment, which may be 8 on some
         * targets: reserve slack to align the payload ourselves. */
        want += ARENA_ALIGN;
        c = pa_malloc(a->alloc, want);
        if (c)
            c->mapped = 0;
    }
    if (!c)
        return false;
    c->prev = a->chunks;
    c->size = want;
    c->before = arena_in_use(a);
    a->chunks = c;
    a->base = a->ptr = align_up((unsigned char *)c + ARENA_HDR);
    a->end = (unsigned char *)c + want;
    return true;
}

/* The high-water mark is brought up to date only where the bump pointer
 * moves back or to another chunk, so the inline fast path stays a bump. */
static void note_high_water(arena *a)
{
    size_t used = arena_in_use(a);
    if (used > a->high_water)
        a->high_water = used;
}

size_t arena_high_water(const arena *a)
{
    size_t used = arena_in_use(a);
    return used > a->high_water ? used : a->high_water;
}

void *arena_alloc_slow(arena *a, size_t n)
{
    if (n == 0)
        n = 1; /* every successful allocation is a distinct, non-NULL block */
    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    n = (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
    if (!a->ptr || (size_t)(a->end - a->ptr) < n) {
        if (!a->growable)
            return NULL;
        note_high_water(a);
        if (!arena_grow(a, n))
            return NULL;
    }
    void *p = a->ptr;
    a->ptr += n;
    return p;
}

/* Frees chunks newer than `keep` (which stays; NULL frees all). */
static void arena_drop_chunks(arena *a, arena_chunk *keep)
{
    while (a->chunks && a->chunks != keep) {
        arena_chunk *c = a->chunks;
        a->chunks = c->prev;
        chunk_release(a->alloc, c);
    }
}

static void arena_enter_chunk(arena *a, arena_chunk *c)
{
    if (!c) {
        a->base = a->ptr = a->end = NULL;
        return;
    }
    a->base = align_up((unsigned char *)c + ARENA_HDR);
    a->end = (unsigned char *)c + c->size;
}

bool arena_owns(const arena *a, const void *p)
{
    uintptr_t u = (uintptr_t)p;
    if (!a->growable)
        return a->base && u >= (uintptr_t)a->base && u < (uintptr_t)a->end;
    for (const arena_chunk *c = a->chunks; c; c = c->prev)
        if (u >= (uintptr_t)c && u - (uintptr_t)c < c->size)
            return true;
    return false;
}

void arena_reset(arena *a)
{
    note_high_water(a);
    if (!a->growable) {
        a->ptr = a->base;
        return;
    }
    arena_chunk *first = a->chunks;
    while (first && first->prev)
        first = first->prev;
    arena_drop_chunks(a, first);
    arena_enter_chunk(a, first);
    a->ptr = a->base;
}

void arena_free(arena *a)
{
    note_high_water(a);
    if (a->growable) {
        arena_drop_chunks(a, NULL);
        arena_enter_chunk(a, NULL);
    } else {
        a->ptr = a->base;
    }
}

arena_mark arena_save(const arena *a)
{
    arena_mark m = {a->ptr, a->chunks};
    return m;
}

void arena_restore(arena *a, arena_mark m)
{
    note_high_water(a);
    if (a->growable && a->chunks != m.chunks) {
        arena_drop_chunks(a, m.chunks);
        arena_enter_chunk(a, m.chunks);
    }
    /* A mark taken before the first chunk existed has ptr NULL: the arena
     * is empty again. */
    a->ptr = m.ptr ? m.ptr : a->base;
}

/* ---- pol_sort ------------------------------------------------------------
 * Introsort: median-of-three quicksort, insertion sort below 16 elements,
 * heapsort once the recursion passes 2*log2(n) (no quadratic inputs), and
 * recursion only into the smaller side (bounded stack). */

#define SORT_SMALL 16
#define SORT_MAX_ELEM 256

static void sort_swap(unsigned char *a, unsigned char *b, size_t size)
{
    unsigned char t[SORT_MAX_ELEM];
    memcpy(t, a, size);
    memcpy(a, b, size);
    memcpy(b, t, size);
}

static void sort_insertion(unsigned char *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && cmp(base + (j - 1) * size, base + j * size) > 0; j--)
            sort_swap(base + (j - 1) * size, base + j * size, size);
}

static void sort_sift(unsigned char *base, size_t root, size_t n, size_t size,
                      int (*cmp)(const void *, const void *))
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        sort_swap(base + root * size, base + child * size, size);
        root = child;
    }
}

static void sort_heap(unsigned char *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    for (size_t i = n / 2; i-- > 0;)
        sort_sift(base, i, n, size, cmp);
    for (size_t end = n; end-- > 1;) {
        sort_swap(base, base + end * size, size);
        sort_sift(base, 0, end, size, cmp);
    }
}

static void sort_intro(unsigned char *base, size_t n, size_t size, int (*cmp)(const void *, const void *),
                       unsigned depth)
{
    while (n > SORT_SMALL) {
        if (depth-- == 0) {
            sort_heap(base, n, size, cmp);
            return;
        }
        unsigned char *lo = base, *mid = base + (n / 2) * size, *hi = base + (n - 1) * size;
        if (cmp(mid, lo) < 0)
            sort_swap(mid, lo, size);
        if (cmp(hi, mid) < 0) {
            sort_swap(hi, mid, size);
            if (cmp(mid, lo) < 0)
                sort_swap(mid, lo, size);
        }
        /* pivot to the front, Hoare partition around it */
        sort_swap(base, mid, size);
        size_t i = 0, j = n;
        for (;;) {
            do
                i++;
            while (i < n && cmp(base + i * size, base) < 0);
            do
                j--;
            while (cmp(base + j * size, base) > 0);
            if (i >= j)
                break;
            sort_swap(base + i * size, base + j * size, size);
        }
        sort_swap(base, base + j * size, size);
        size_t left = j, right = n - j - 1;
        if (left < right) {
            sort_intro(base, left, size, cmp, depth);
            base += (j + 1) * size;
            n = right;
        } else {
            sort_intro(base + (j + 1) * size, right, size, cmp, depth);
            n = left;
        }
    }
    sort_insertion(base, n, size, cmp);
}

void pol_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n < 2 || size == 0 || size > SORT_MAX_ELEM)
        return;
    unsigned depth = 0;
    for (size_t m = n; m > 1; m >>= 1)
        depth += 2;
    sort_intro(base, n, size, cmp, depth);
}
