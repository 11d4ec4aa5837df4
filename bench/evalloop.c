/* evalloop DIR N [VARIANT]: evaluates workload DIR's query N times through
 * the same API calls as the benchmark's `prebuilt` mode (input built once
 * with the builder API, pol_eval_value per decision), then checks the
 * last result against the expected file. For instruction counts, which
 * do not depend on the machine's load:
 *
 *   valgrind --tool=callgrind evalloop DIR 1000   (and 2000; the
 *   difference of the two totals / 1000 is one decision's instructions)
 *
 * No timing here: times come from policy_bench. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "value_input.h"
#include "workload.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s WORKLOAD_DIR N [VARIANT]\n", argv[0]);
        return 2;
    }
    long n = strtol(argv[2], NULL, 10);
    const char *variant = argc > 3 ? argv[3] : "";
    workload w;
    char msg[512];
    if (!workload_read(argv[1], "workload", &w, msg, sizeof msg)) {
        fprintf(stderr, "%s\n", msg);
        return 1;
    }
    pol_error err;
    int ep = -1;
    pol_bundle *b = workload_compile(&w, &ep, &err);
    pol_ctx *ctx = b ? pol_ctx_new(b, NULL, &err) : NULL;
    if (!ctx) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    const workload_variant *v = &w.variants[0];
    for (size_t i = 0; i < w.n_variants; i++)
        if (strcmp(w.variants[i].suffix, variant) == 0)
            v = &w.variants[i];
    char *scratch = malloc(v->input_len + 1), *result_scratch = malloc(WORKLOAD_SCRATCH(v->expected_len));
    pol_ctx_reset(ctx);
    const pol_value *input =
        scratch ? value_input_from_json(ctx, v->input, v->input_len, scratch, msg, sizeof msg) : NULL;
    if (!input || !result_scratch) {
        fprintf(stderr, "building the input failed: %s\n", msg);
        return 1;
    }
    pol_result res = {NULL};
    long ok = 0;
    for (long i = 0; i < n; i++)
        ok += pol_eval_value(ctx, ep, input, 0, &res, &err) == POL_OK;
    bool match = ok > 0 && workload_result_matches(v, res.value, result_scratch);
    printf("%ld evaluations, %ld ok, last result %s\n", n, ok, match ? "as expected" : "NOT as expected");
    free(scratch);
    free(result_scratch);
    pol_ctx_free(ctx);
    pol_bundle_release(b);
    workload_free(&w);
    return match ? 0 : 1;
}
