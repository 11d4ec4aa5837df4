/* Issue 3, item 1: evaluation is allocation-free once warm.
 *
 * For every workload in the benchmark corpus and every input variant, and
 * for each way of passing input — a value built once with the builder API
 * (pol_eval_value), JSON text (pol_eval_json), and JSON text through a
 * decision cache — this evaluates ITERATIONS times with the process
 * allocator interposed (src/cli/alloc_count.c) and fails on any call to
 * malloc, calloc, realloc or free made in that window. Every result is
 * also compared with the expected value, without allocating, so an
 * evaluation that "avoids" allocating by failing is caught too.
 *
 * Usage: test_alloc_free [CORPUS_DIR [ITERATIONS]] */
#include "alloc_count.h"
#include "policy.h"
#include "test.h"
#include "value_input.h"
#include "workload.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BENCH_CORPUS_DIR
#define BENCH_CORPUS_DIR "../shared/bench"
#endif

enum { DEFAULT_ITERATIONS = 10000, WARMUP_ITERATIONS = 3, MAX_WORKLOADS = 64 };

typedef enum input_mode { MODE_VALUE, MODE_JSON, MODE_CACHED } input_mode;
static const char *const mode_names[] = {"prebuilt", "json", "cached"};

/* One evaluation in the given mode. Returns the result value, or NULL
 * when undefined or failed (then *err says why; the caller reports it as a
 * mismatch). */
static const pol_value *eval_once(pol_ctx *ctx, int ep, input_mode mode, const workload_variant *v,
                                  const pol_value *input, pol_error *err)
{
    pol_result res = {NULL};
    pol_status st;
    if (mode == MODE_VALUE)
        st = pol_eval_value(ctx, ep, input, 0, &res, err);
    else
        st = pol_eval_json(ctx, ep, v->input, v->input_len, mode == MODE_CACHED ? POL_EVAL_USE_CACHE : 0,
                           &res, err);
    if (st == POL_UNDEFINED) {
        err->code = st;
        snprintf(err->message, sizeof err->message, "undefined");
    }
    return st == POL_OK ? res.value : NULL;
}

/* Runs one workload variant in one mode; returns allocator calls seen. */
static uint64_t measure(const workload *w, size_t vi, pol_ctx *ctx, int ep, input_mode mode, long iterations)
{
    const workload_variant *v = &w->variants[vi];
    char label[WORKLOAD_NAME_MAX * 2];
    workload_variant_label(w, vi, label, sizeof label);
    char *scratch = malloc(WORKLOAD_SCRATCH(v->expected_len));
    char *input_scratch = malloc(v->input_len + 1);
    const pol_value *input = NULL;
    char msg[256] = "";
    if (mode == MODE_VALUE) {
        pol_ctx_reset(ctx);
        input = value_input_from_json(ctx, v->input, v->input_len, input_scratch, msg, sizeof msg);
        if (!input)
            fprintf(stderr, "%s: building input failed: %s\n", label, msg);
        CHECK(input != NULL);
    }
    pol_error err, first_err;
    memset(&err, 0, sizeof err);
    memset(&first_err, 0, sizeof first_err);
    bool warm_ok = true;
    for (int i = 0; i < WARMUP_ITERATIONS; i++)
        warm_ok = workload_result_matches(v, eval_once(ctx, ep, mode, v, input, &err), scratch) && warm_ok;
    long mismatches = 0, first_mismatch = -1;
    alloc_count_start();
    for (long i = 0; i < iterations; i++) {
        err.code = POL_OK;
        if (!workload_result_matches(v, eval_once(ctx, ep, mode, v, input, &err), scratch)) {
            if (mismatches++ == 0) {
                first_mismatch = i;
                first_err = err;
            }
        }
    }
    alloc_count_stop();
    alloc_counts c = alloc_count_read();
    uint64_t total = alloc_count_total(c);
    printf("%-28s %-9s %ld evals: %llu malloc, %llu realloc, %llu free%s\n", label, mode_names[mode],
           iterations, (unsigned long long)c.mallocs, (unsigned long long)c.reallocs,
           (unsigned long long)c.frees, mismatches || !warm_ok ? "  WRONG RESULT" : "");
    if (total != 0)
        fprintf(stderr, "%s/%s allocated: %llu allocator calls in %ld evaluations\n", label, mode_names[mode],
                (unsigned long long)total, iterations);
    if (mismatches || !warm_ok) {
        fprintf(stderr, "%s/%s: %ld of %ld results differ from expected%s", label, mode_names[mode],
                mismatches, iterations, warm_ok ? "" : " (also during warm-up)");
        if (mismatches)
            fprintf(stderr, "; first at evaluation %ld: %s%s%s", first_mismatch,
                    first_err.code == POL_OK ? "a wrong value" : pol_status_name(first_err.code),
                    first_err.code == POL_OK ? "" : ": ", first_err.code == POL_OK ? "" : first_err.message);
        fputc('\n', stderr);
    }
    CHECK(warm_ok);
    CHECK(mismatches == 0);
    free(scratch);
    free(input_scratch);
    return total;
}

static void run_workload(const char *root, const char *name, long iterations)
{
    char dir[4096], msg[512] = "";
    snprintf(dir, sizeof dir, "%s/%s", root, name);
    workload w;
    bool ok = workload_read(dir, name, &w, msg, sizeof msg);
    if (!ok)
        fprintf(stderr, "%s: %s\n", name, msg);
    CHECK(ok);
    if (!ok)
        return;
    pol_error err;
    memset(&err, 0, sizeof err);
    int ep = -1;
    pol_bundle *b = workload_compile(&w, &ep, &err);
    pol_ctx *ctx = b ? pol_ctx_new(b, NULL, &err) : NULL;
    pol_cache_options copt;
    memset(&copt, 0, sizeof copt);
    copt.max_result_bytes = 4096;
    pol_cache *cache = b ? pol_cache_new(b, &copt, &err) : NULL;
    if (!ctx || !cache)
        fprintf(stderr, "%s: setup failed: %s: %s\n", name, pol_status_name(err.code), err.message);
    CHECK(ctx != NULL && cache != NULL);
    if (ctx && cache)
        CHECK(pol_ctx_set_cache(ctx, cache) == POL_OK);
    for (size_t vi = 0; ctx && cache && vi < w.n_variants; vi++)
        for (int m = MODE_VALUE; m <= MODE_CACHED; m++)
            CHECK(measure(&w, vi, ctx, ep, (input_mode)m, iterations) == 0);
    pol_ctx_free(ctx);
    pol_cache_free(cache);
    pol_bundle_release(b);
    workload_free(&w);
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : BENCH_CORPUS_DIR;
    long iterations = argc > 2 ? strtol(argv[2], NULL, 10) : DEFAULT_ITERATIONS;
    if (!alloc_count_available()) {
        puts("allocator interposition is off in sanitizer builds; skipping");
        return 77; /* meson's "skipped" */
    }
    if (iterations <= 0)
        iterations = DEFAULT_ITERATIONS;
    char *names[MAX_WORKLOADS];
    size_t n = workload_list(root, names, MAX_WORKLOADS);
    if (n == 0)
        fprintf(stderr, "no workloads found under %s\n", root);
    CHECK(n > 0);
    for (size_t i = 0; i < n; i++) {
        run_workload(root, names[i], iterations);
        free(names[i]);
    }
    return TEST_SUMMARY();
}
