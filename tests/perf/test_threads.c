/* Issue 3, item 1: reentrancy. THREADS threads share one bundle (and one
 * decision cache) per workload; each has its own context per workload and
 * evaluates every workload variant ROUNDS times in each input mode —
 * builder-made value (pol_ctx_reset + build + pol_eval_value), JSON text,
 * and JSON text through the shared cache — interleaving workloads so that
 * different threads run different policies at the same moment. Every
 * result must equal what the main thread got for the same input before
 * any thread started. Meant to run under ThreadSanitizer as well (suite
 * "threads"; see bench/README.md).
 *
 * Usage: test_threads [CORPUS_DIR [ROUNDS]] */
#include "policy.h"
#include "test.h"
#include "value_input.h"
#include "workload.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BENCH_CORPUS_DIR
#define BENCH_CORPUS_DIR "../shared/bench"
#endif

enum { THREADS = 8, DEFAULT_ROUNDS = 20, MAX_WORKLOADS = 32 };

typedef struct shared_workload {
    workload w;
    pol_bundle *bundle;
    pol_cache *cache;
    int ep;
    /* The main thread's answer per variant, as a variant whose "expected"
     * is that answer, so workload_result_matches can compare. */
    workload_variant reference[WORKLOAD_MAX_VARIANTS];
} shared_workload;

typedef struct thread_job {
    int index;
    long rounds;
    shared_workload *loads;
    size_t n_loads;
    long evaluations, mismatches;
    char first_failure[WORKLOAD_NAME_MAX * 2 + sizeof(((pol_error *)0)->message) + 128];
} thread_job;

static void note_failure(thread_job *job, const char *label, const char *mode, const pol_error *err)
{
    if (job->mismatches++ > 0)
        return;
    snprintf(job->first_failure, sizeof job->first_failure, "thread %d: %s/%s: %s%s%.*s", job->index, label,
             mode, err->code == POL_OK ? "a different value" : pol_status_name(err->code),
             err->code == POL_OK ? "" : ": ", (int)sizeof err->message, err->message);
}

static void *run_thread(void *arg)
{
    thread_job *job = arg;
    pol_ctx *ctxs[MAX_WORKLOADS] = {NULL};
    size_t scratch_len = 0;
    for (size_t i = 0; i < job->n_loads; i++)
        for (size_t v = 0; v < job->loads[i].w.n_variants; v++) {
            size_t need = job->loads[i].w.variants[v].input_len + job->loads[i].reference[v].expected_len + 1;
            scratch_len = need > scratch_len ? need : scratch_len;
        }
    char *scratch = malloc(scratch_len);
    bool ok = scratch != NULL;
    for (size_t i = 0; ok && i < job->n_loads; i++) {
        pol_error err;
        ctxs[i] = pol_ctx_new(job->loads[i].bundle, NULL, &err);
        ok = ctxs[i] != NULL && pol_ctx_set_cache(ctxs[i], job->loads[i].cache) == POL_OK;
        if (!ok)
            note_failure(job, job->loads[i].w.name, "setup", &err);
    }
    for (long r = 0; ok && r < job->rounds; r++) {
        /* Start each thread at a different workload so they overlap. */
        for (size_t k = 0; k < job->n_loads; k++) {
            shared_workload *s = &job->loads[(k + (size_t)job->index) % job->n_loads];
            pol_ctx *ctx = ctxs[(k + (size_t)job->index) % job->n_loads];
            for (size_t v = 0; v < s->w.n_variants; v++) {
                const workload_variant *in = &s->w.variants[v];
                char label[WORKLOAD_NAME_MAX * 2];
                workload_variant_label(&s->w, v, label, sizeof label);
                for (int mode = 0; mode < 3; mode++) {
                    pol_error err;
                    memset(&err, 0, sizeof err);
                    pol_result res = {NULL};
                    pol_status st;
                    if (mode == 0) {
                        char msg[128];
                        pol_ctx_reset(ctx);
                        const pol_value *input =
                            value_input_from_json(ctx, in->input, in->input_len, scratch, msg, sizeof msg);
                        st = input ? pol_eval_value(ctx, s->ep, input, 0, &res, &err) : POL_LIMIT_ARENA;
                    } else {
                        st = pol_eval_json(ctx, s->ep, in->input, in->input_len,
                                           mode == 2 ? POL_EVAL_USE_CACHE : 0, &res, &err);
                    }
                    job->evaluations++;
                    if (st != POL_OK || !workload_result_matches(&s->reference[v], res.value, scratch))
                        note_failure(job, label,
                                     mode == 0   ? "prebuilt"
                                     : mode == 1 ? "json"
                                                 : "cached",
                                     &err);
                }
            }
        }
    }
    for (size_t i = 0; i < job->n_loads; i++)
        pol_ctx_free(ctxs[i]);
    free(scratch);
    return NULL;
}

/* Loads and compiles one workload and records the main thread's answers. */
static bool prepare(const char *root, const char *name, shared_workload *s)
{
    char dir[4096], msg[512] = "";
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    memset(s, 0, sizeof *s);
    if (!workload_read(dir, name, &s->w, msg, sizeof msg)) {
        fprintf(stderr, "%s: %s\n", name, msg);
        return false;
    }
    pol_error err;
    memset(&err, 0, sizeof err);
    s->bundle = workload_compile(&s->w, &s->ep, &err);
    pol_cache_options copt;
    memset(&copt, 0, sizeof copt);
    copt.entries = 64; /* small, so that threads contend for slots */
    copt.max_result_bytes = 4096;
    s->cache = s->bundle ? pol_cache_new(s->bundle, &copt, &err) : NULL;
    pol_ctx *ctx = s->cache ? pol_ctx_new(s->bundle, NULL, &err) : NULL;
    bool ok = ctx != NULL;
    for (size_t v = 0; ok && v < s->w.n_variants; v++) {
        pol_result res = {NULL};
        const workload_variant *in = &s->w.variants[v];
        ok = pol_eval_json(ctx, s->ep, in->input, in->input_len, 0, &res, &err) == POL_OK && res.value;
        if (ok) {
            size_t need = pol_value_to_json(res.value, 0, NULL, 0);
            s->reference[v].expected = malloc(need + 1);
            ok = s->reference[v].expected != NULL;
            if (ok) {
                pol_value_to_json(res.value, 0, s->reference[v].expected, need + 1);
                s->reference[v].expected_len = need;
            }
        }
    }
    if (!ok)
        fprintf(stderr, "%s: setup failed: %s: %s\n", name, pol_status_name(err.code), err.message);
    pol_ctx_free(ctx);
    return ok;
}

static void release(shared_workload *s)
{
    for (size_t v = 0; v < WORKLOAD_MAX_VARIANTS; v++)
        free(s->reference[v].expected);
    pol_cache_free(s->cache);
    pol_bundle_release(s->bundle);
    workload_free(&s->w);
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : BENCH_CORPUS_DIR;
    long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : DEFAULT_ROUNDS;
    if (rounds <= 0)
        rounds = DEFAULT_ROUNDS;
    char *names[MAX_WORKLOADS];
    size_t n = workload_list(root, names, MAX_WORKLOADS);
    CHECK(n > 0);
    shared_workload *loads = calloc(MAX_WORKLOADS, sizeof *loads);
    if (!loads)
        return 1;
    size_t n_loads = 0;
    for (size_t i = 0; i < n; i++) {
        bool ok = prepare(root, names[i], &loads[n_loads]);
        CHECK(ok);
        if (ok)
            n_loads++;
        else
            release(&loads[n_loads]);
        free(names[i]);
    }
    long variants = 0;
    for (size_t i = 0; i < n_loads; i++)
        variants += (long)loads[i].w.n_variants;
    thread_job jobs[THREADS];
    pthread_t tids[THREADS];
    bool started[THREADS] = {false};
    for (int t = 0; t < THREADS; t++) {
        memset(&jobs[t], 0, sizeof jobs[t]);
        jobs[t].index = t;
        jobs[t].rounds = rounds;
        jobs[t].loads = loads;
        jobs[t].n_loads = n_loads;
        started[t] = pthread_create(&tids[t], NULL, run_thread, &jobs[t]) == 0;
        CHECK(started[t]);
    }
    long total = 0;
    for (int t = 0; t < THREADS; t++) {
        if (!started[t])
            continue;
        pthread_join(tids[t], NULL);
        total += jobs[t].evaluations;
        if (jobs[t].mismatches)
            fprintf(stderr, "%ld wrong results; first: %s\n", jobs[t].mismatches, jobs[t].first_failure);
        CHECK(jobs[t].mismatches == 0);
        CHECK(jobs[t].evaluations == rounds * 3 * variants);
    }
    printf("%d threads, %zu workloads, %ld evaluations\n", THREADS, n_loads, total);
    for (size_t i = 0; i < n_loads; i++) {
        pol_cache_stats st;
        pol_cache_stats_get(loads[i].cache, &st);
        printf("  %-16s cache: %llu hits, %llu misses, %llu inserts, %llu skipped\n", loads[i].w.name,
               (unsigned long long)st.hits, (unsigned long long)st.misses, (unsigned long long)st.inserts,
               (unsigned long long)st.skipped);
        release(&loads[i]);
    }
    free(loads);
    return TEST_SUMMARY();
}
