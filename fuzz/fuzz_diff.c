/* Differential fuzz target: a bundle that went through save and load must
 * decide exactly like the bundle the compiler built.
 *
 * Input layout as fuzz_eval (module \0 input \0 data \0 query). Both
 * bundles are evaluated with the same input and the same small limits;
 * the status, and the result's canonical JSON or the error code, must
 * agree. Limit errors are compared too: the loaded program is the same
 * code, so it runs out of budget at the same point. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

enum { FUZZ_PARTS = 4 };

typedef struct fuzz_part {
    const char *p;
    size_t n;
} fuzz_part;

static void fuzz_split(const uint8_t *data, size_t size, fuzz_part parts[FUZZ_PARTS])
{
    memset(parts, 0, sizeof(fuzz_part) * FUZZ_PARTS);
    const char *p = (const char *)data, *end = p + size;
    for (int i = 0; i < FUZZ_PARTS; i++) {
        parts[i].p = p;
        const char *nul = i + 1 < FUZZ_PARTS ? memchr(p, 0, (size_t)(end - p)) : NULL;
        parts[i].n = (size_t)((nul ? nul : end) - p);
        if (!nul)
            break;
        p = nul + 1;
    }
}

static pol_bundle *fuzz_diff_compile(const fuzz_part *parts)
{
    pol_compiler *c = pol_compiler_new(NULL);
    if (!c)
        return NULL;
    pol_error err;
    pol_status st = pol_compiler_add_module(c, "fuzz.rego", parts[0].p ? parts[0].p : "", parts[0].n, &err);
    if (st == POL_OK && parts[2].n)
        st = pol_compiler_add_data_json(c, NULL, "data.json", parts[2].p, parts[2].n, &err);
    if (st == POL_OK)
        st = parts[3].n ? pol_compiler_add_query(c, "q", parts[3].p, parts[3].n, &err)
                        : pol_compiler_add_entrypoint(c, "data", &err);
    pol_bundle *b = st == POL_OK ? pol_compiler_build(c, &err) : NULL;
    pol_compiler_free(c);
    return b;
}

static pol_bundle *fuzz_diff_round_trip(const pol_bundle *b)
{
    pol_error err;
    size_t need = 0;
    if (pol_bundle_save(b, NULL, 0, &need, &err) != POL_OK)
        __builtin_trap(); /* every compiled bundle can be saved */
    unsigned char *bytes = malloc(need ? need : 1);
    if (!bytes)
        return NULL;
    if (pol_bundle_save(b, bytes, need, &need, &err) != POL_OK)
        __builtin_trap();
    pol_bundle *loaded = pol_bundle_load(bytes, need, NULL, &err);
    free(bytes);
    if (!loaded)
        __builtin_trap(); /* the loader rejects what the compiler made */
    return loaded;
}

/* One decision as text: "ok <json>", "undefined" or the error code. */
static char *fuzz_diff_decide(pol_ctx *ctx, int ep, const fuzz_part *input, unsigned flags)
{
    pol_result res;
    pol_error err;
    const char *in = input->n ? input->p : NULL;
    pol_status st = pol_eval_json(ctx, ep, in, input->n, flags, &res, &err);
    size_t need = st == POL_OK ? pol_value_to_json(res.value, 0, NULL, 0) : 0;
    char *out = malloc(need + 64);
    if (!out)
        return NULL;
    size_t k = (size_t)snprintf(out, 64, "%s ", pol_status_name(st));
    if (st == POL_OK)
        pol_value_to_json(res.value, 0, out + k, need + 1);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part parts[FUZZ_PARTS];
    fuzz_split(data, size, parts);
    pol_bundle *built = fuzz_diff_compile(parts);
    if (!built)
        return 0;
    pol_bundle *loaded = fuzz_diff_round_trip(built);
    if (!loaded) {
        pol_bundle_release(built);
        return 0;
    }
    if (pol_bundle_entrypoint_count(built) != pol_bundle_entrypoint_count(loaded))
        __builtin_trap();
    pol_ctx_options opt;
    memset(&opt, 0, sizeof opt);
    opt.arena_bytes = 1u << 20;
    opt.max_instructions = 200000;
    opt.max_depth = 64;
    opt.regex_match_limit = 20000;
    opt.regex_depth_limit = 1000;
    pol_error err;
    pol_ctx *c1 = pol_ctx_new(built, &opt, &err);
    pol_ctx *c2 = pol_ctx_new(loaded, &opt, &err);
    if (c1 && c2) {
        for (size_t ep = 0; ep < pol_bundle_entrypoint_count(built); ep++) {
            if (strcmp(pol_bundle_entrypoint_name(built, ep), pol_bundle_entrypoint_name(loaded, ep)) != 0)
                __builtin_trap();
            for (unsigned flags = 0; flags <= POL_EVAL_STRICT_BUILTIN_ERRORS; flags++) {
                char *a = fuzz_diff_decide(c1, (int)ep, &parts[1], flags);
                char *b = fuzz_diff_decide(c2, (int)ep, &parts[1], flags);
                /* Nondeterministic builtins (time, rand, uuid) may differ. */
                if (a && b && strcmp(a, b) != 0 && pol_bundle_entrypoint_cacheable(built, (int)ep))
                    __builtin_trap();
                free(a);
                free(b);
            }
        }
    }
    pol_ctx_free(c1);
    pol_ctx_free(c2);
    pol_bundle_release(built);
    pol_bundle_release(loaded);
    return 0;
}
