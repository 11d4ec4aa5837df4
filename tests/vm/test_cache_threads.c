/* The decision cache under concurrent writers and readers (src/vm/cache.c):
 * every key lands in the one slot of a one-entry cache, writers keep
 * replacing its result with results of other shapes and sizes, and
 * readers keep looking keys up. A hit must be exactly the result stored
 * under its key, never a torn or relocated-wrong copy of another, and the
 * counters must add up. Suite "threads", so that a ThreadSanitizer build
 * checks the sequence-lock protocol is free of data races. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "cache_test_util.h"
#include "policy.h"
#include "vm/cache.h"
#include "vm/value.h"

enum { NKEYS = 5, WRITERS = 2, READERS = 2, ROUNDS = 20000, ARENA_BYTES = 1 << 16, JSON_CAP = 2048 };

typedef struct stress {
    pol_cache *cache;
    const val *results[NKEYS]; /* NULL: undefined */
    char json[NKEYS][JSON_CAP];
    size_t json_len[NKEYS];
    atomic_bool go;          /* held back until every thread exists, so that they overlap */
    atomic_int writers_left; /* readers go on until the writers are done, then look once more */
} stress;

typedef struct worker {
    stress *st;
    int id;
    bool writer;
    unsigned long lookups, hits, inserts, wrong;
} worker;

static cache_key key_of(int i)
{
    cache_key k = {.lo = (uint64_t)(i + 1) * 0x9E3779B97F4A7C15ull, .hi = (uint64_t)i, .tweak = 7};
    return k;
}

/* Looks key i up; a hit must be results[i] exactly. */
static void look_up(worker *w, int i, arena *a, char *text)
{
    cache_key k = key_of(i);
    arena_reset(a);
    const val *got = NULL;
    bool defined = false;
    w->lookups++;
    if (!cache_lookup(w->st->cache, &k, a, &got, &defined))
        return;
    w->hits++;
    const val *want = w->st->results[i];
    if (!want) {
        w->wrong += defined || got != NULL;
        return;
    }
    size_t n = got ? json_of(got, text, JSON_CAP) : 0;
    if (!got || !defined || val_compare(got, want) != 0 || n != w->st->json_len[i] ||
        memcmp(text, w->st->json[i], n) != 0)
        w->wrong++;
}

static void *run(void *arg)
{
    worker *w = arg;
    unsigned char *buf = malloc(ARENA_BYTES);
    char *text = malloc(JSON_CAP);
    if (!buf || !text) {
        free(buf);
        free(text);
        w->wrong++;
        if (w->writer)
            atomic_fetch_sub(&w->st->writers_left, 1);
        return NULL;
    }
    arena a;
    arena_init_fixed(&a, buf, ARENA_BYTES);
    while (!atomic_load(&w->st->go))
        ;
    if (w->writer) {
        for (int r = 0; r < ROUNDS; r++) {
            int i = (r + w->id) % NKEYS;
            cache_key k = key_of(i);
            arena_reset(&a);
            cache_insert(w->st->cache, &k, w->st->results[i], &a);
            w->inserts++;
        }
        atomic_fetch_sub(&w->st->writers_left, 1);
    } else {
        /* every key in turn, one of which is usually the slot's; the last
         * round, after the writers, finds the slot's for sure */
        bool last = false;
        for (int r = 0; !last; r++) {
            last = r >= ROUNDS && atomic_load(&w->st->writers_left) == 0;
            for (int i = 0; i < NKEYS; i++)
                look_up(w, i, &a, text);
        }
    }
    free(buf);
    free(text);
    return NULL;
}

/* Results of different shapes and image sizes, so that a copy mixing two
 * of them, or relocated with another's list, could not pass as either. */
static void build_results(stress *st, arena *a)
{
    vbuild arr, obj, set, nums;
    vb_init(&arr, a);
    vb_push(&arr, v_str(a, "first reason, long enough to span words", 39));
    vb_push(&arr, v_str(a, "second", 6));
    vb_init(&obj, a);
    vb_put(&obj, v_str(a, "allow", 5), VAL_FALSE);
    vb_put(&obj, v_str(a, "reasons", 7), vb_finish_array(&arr));
    vb_put(&obj, v_str(a, "total", 5), v_num_text(a, "57450.740000000000002", 21));
    st->results[0] = vb_finish_object(&obj, NULL);
    char long_text[600];
    memset(long_text, 'x', sizeof long_text);
    st->results[1] = v_str(a, long_text, sizeof long_text);
    vb_init(&nums, a);
    for (int i = 0; i < 40; i++)
        vb_push(&nums, v_int(a, (int64_t)i * 1000003));
    st->results[2] = vb_finish_array(&nums);
    vb_init(&set, a);
    for (int i = 0; i < 12; i++) {
        char s[16];
        int n = snprintf(s, sizeof s, "member-%d", i);
        vb_push(&set, v_str(a, s, (size_t)n));
    }
    st->results[3] = vb_finish_set(&set);
    st->results[4] = NULL;
    for (int i = 0; i < NKEYS; i++)
        st->json_len[i] = st->results[i] ? json_of(st->results[i], st->json[i], JSON_CAP) : 0;
}

int main(void)
{
    static unsigned char src_buf[1 << 16];
    static stress st;
    arena src;
    arena_init_fixed(&src, src_buf, sizeof src_buf);
    pol_error err;
    pol_bundle *b = bundle_of("package t\np := input");
    pol_cache_options o;
    memset(&o, 0, sizeof o);
    o.entries = 1; /* one slot: every insert replaces, every lookup races with it */
    o.max_result_bytes = 2048;
    st.cache = b ? pol_cache_new(b, &o, &err) : NULL;
    CHECK(st.cache != NULL);
    if (!st.cache) {
        pol_bundle_release(b);
        return TEST_SUMMARY();
    }
    build_results(&st, &src);
    for (int i = 0; i < NKEYS - 1; i++)
        CHECK(st.results[i] != NULL && st.json_len[i] > 0 && st.json_len[i] < JSON_CAP);

    worker w[WRITERS + READERS];
    pthread_t th[WRITERS + READERS];
    bool started[WRITERS + READERS];
    atomic_store(&st.writers_left, WRITERS);
    for (int i = 0; i < WRITERS + READERS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].st = &st;
        w[i].id = i;
        w[i].writer = i < WRITERS;
        started[i] = pthread_create(&th[i], NULL, run, &w[i]) == 0;
        CHECK(started[i]);
        if (!started[i] && w[i].writer)
            atomic_fetch_sub(&st.writers_left, 1);
    }
    atomic_store(&st.go, true);
    unsigned long lookups = 0, hits = 0, inserts = 0, wrong = 0;
    for (int i = 0; i < WRITERS + READERS; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        lookups += w[i].lookups;
        hits += w[i].hits;
        inserts += w[i].inserts;
        wrong += w[i].wrong;
    }
    CHECK(wrong == 0);
    CHECK(hits > 0);
    pol_cache_stats cs;
    pol_cache_stats_get(st.cache, &cs);
    CHECK(cs.hits == hits && cs.hits + cs.misses == lookups);
    CHECK(cs.inserts + cs.skipped == inserts);
    printf("%lu lookups, %lu hits, %llu inserts, %llu skipped (slot busy)\n", lookups, hits,
           (unsigned long long)cs.inserts, (unsigned long long)cs.skipped);

    /* quiet again: each result is stored and found intact */
    static unsigned char dst_buf[ARENA_BYTES];
    arena dst;
    arena_init_fixed(&dst, dst_buf, sizeof dst_buf);
    for (int i = 0; i < NKEYS; i++) {
        cache_key k = key_of(i);
        cache_insert(st.cache, &k, st.results[i], &src);
        arena_reset(&dst);
        const val *got = NULL;
        bool defined = false;
        CHECK(cache_lookup(st.cache, &k, &dst, &got, &defined));
        CHECK(st.results[i] ? got && defined && val_compare(got, st.results[i]) == 0 : !got && !defined);
    }
    pol_cache_free(st.cache);
    pol_bundle_release(b);
    return TEST_SUMMARY();
}
