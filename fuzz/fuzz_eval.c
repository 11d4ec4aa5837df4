/* Fuzz target: compile a policy and evaluate it against an input.
 *
 * Input layout, NUL-separated (later parts optional):
 *     module \0 input-JSON \0 data-JSON \0 query
 * Without a query the entrypoint is `data` (every rule of the module).
 * The evaluation runs under small limits so that slow inputs end with a
 * limit error instead of a fuzzer timeout; it runs twice, with and
 * without strict builtin errors, and the result is serialized, so the
 * printer sees whatever values the VM builds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

enum { FUZZ_PARTS = 4 };

typedef struct fuzz_part {
    const char *p;
    size_t n;
    int present;
} fuzz_part;

static void fuzz_split(const uint8_t *data, size_t size, fuzz_part parts[FUZZ_PARTS])
{
    memset(parts, 0, sizeof(fuzz_part) * FUZZ_PARTS);
    const char *p = (const char *)data, *end = p + size;
    for (int i = 0; i < FUZZ_PARTS; i++) {
        parts[i].present = 1;
        parts[i].p = p;
        const char *nul = i + 1 < FUZZ_PARTS ? memchr(p, 0, (size_t)(end - p)) : NULL;
        parts[i].n = (size_t)((nul ? nul : end) - p);
        if (!nul)
            break;
        p = nul + 1;
    }
}

static void fuzz_check_error(const pol_error *err)
{
    if (memchr(err->message, 0, sizeof err->message) == NULL ||
        memchr(err->file, 0, sizeof err->file) == NULL)
        __builtin_trap();
    if ((unsigned)err->code >= POL_STATUS_COUNT)
        __builtin_trap();
}

static void fuzz_eval_once(pol_ctx *ctx, int ep, const fuzz_part *input, unsigned flags)
{
    pol_result res;
    pol_error err;
    memset(&err, 0, sizeof err);
    const char *in = input->present && input->n ? input->p : NULL;
    pol_status st = pol_eval_json(ctx, ep, in, in ? input->n : 0, flags, &res, &err);
    if (st == POL_OK) {
        if (!res.value)
            __builtin_trap(); /* OK promises a value */
        size_t need = pol_value_to_json(res.value, 0, NULL, 0);
        char *text = malloc(need + 1);
        if (text) {
            if (pol_value_to_json(res.value, 0, text, need + 1) != need)
                __builtin_trap();
            free(text);
        }
    } else {
        /* only a strict builtin error comes with the value computed beside it */
        if (res.value && (!(flags & POL_EVAL_STRICT_BUILTIN_ERRORS) || st == POL_UNDEFINED))
            __builtin_trap();
        if (st != POL_UNDEFINED)
            fuzz_check_error(&err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_part parts[FUZZ_PARTS];
    fuzz_split(data, size, parts);
    const fuzz_part *module = &parts[0], *input = &parts[1], *base = &parts[2], *query = &parts[3];

    pol_compiler *c = pol_compiler_new(NULL);
    if (!c)
        return 0;
    pol_error err;
    memset(&err, 0, sizeof err);
    pol_status st = pol_compiler_add_module(c, "fuzz.rego", module->p, module->n, &err);
    if (st == POL_OK && base->present && base->n)
        st = pol_compiler_add_data_json(c, NULL, "data.json", base->p, base->n, &err);
    if (st == POL_OK) {
        if (query->present && query->n)
            st = pol_compiler_add_query(c, "q", query->p, query->n, &err);
        else
            st = pol_compiler_add_entrypoint(c, "data", &err);
    }
    pol_bundle *b = st == POL_OK ? pol_compiler_build(c, &err) : NULL;
    pol_compiler_free(c);
    if (!b) {
        fuzz_check_error(&err);
        return 0;
    }
    pol_ctx_options opt;
    memset(&opt, 0, sizeof opt);
    opt.arena_bytes = 1u << 20;
    opt.max_instructions = 200000;
    opt.max_depth = 64;
    opt.max_output_bytes = 1u << 20;
    opt.regex_match_limit = 20000;
    opt.regex_depth_limit = 1000;
    pol_ctx *ctx = pol_ctx_new(b, &opt, &err);
    if (ctx) {
        for (size_t ep = 0; ep < pol_bundle_entrypoint_count(b); ep++) {
            fuzz_eval_once(ctx, (int)ep, input, 0);
            fuzz_eval_once(ctx, (int)ep, input, POL_EVAL_STRICT_BUILTIN_ERRORS);
        }
        pol_ctx_free(ctx);
    }
    pol_bundle_release(b);
    return 0;
}
