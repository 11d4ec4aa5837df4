/* Fuzz target: the bundle loader and verifier, on untrusted bytes.
 *
 * Before loading, the header's length and checksum fields are rewritten to
 * match the input, so that mutations reach the section parsers and the
 * bytecode verifier instead of dying at the checksum (which is one
 * comparison and tested directly in tests/vm). A bundle that loads must
 * then be safe to evaluate, disassemble and save; what it saves must load
 * again and save to the same bytes (the format is canonical). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "policy.h"

/* Header offsets (src/vm/bundle.c): u64 total length at 16, u64 XXH3-64
 * of bytes [32, total) at 24. */
enum { HDR_LEN_AT = 16, HDR_SUM_AT = 24, HDR_SUM_FROM = 32 };

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void fuzz_bundle_fix_header(unsigned char *b, size_t n)
{
    if (n < HDR_SUM_FROM)
        return;
    put64(b + HDR_LEN_AT, (uint64_t)n);
    put64(b + HDR_SUM_AT, XXH3_64bits(b + HDR_SUM_FROM, n - HDR_SUM_FROM));
}

static unsigned char *fuzz_bundle_save(const pol_bundle *b, size_t *len)
{
    pol_error err;
    size_t need = 0;
    if (pol_bundle_save(b, NULL, 0, &need, &err) != POL_OK)
        __builtin_trap(); /* a loaded bundle must be saveable */
    unsigned char *out = malloc(need ? need : 1);
    if (!out)
        return NULL;
    if (pol_bundle_save(b, out, need, len, &err) != POL_OK || *len != need)
        __builtin_trap();
    return out;
}

static void fuzz_bundle_eval(pol_bundle *b)
{
    pol_ctx_options opt;
    memset(&opt, 0, sizeof opt);
    opt.arena_bytes = 1u << 20;
    opt.max_instructions = 100000;
    opt.max_depth = 64;
    opt.regex_match_limit = 20000;
    opt.regex_depth_limit = 1000;
    pol_error err;
    pol_ctx *ctx = pol_ctx_new(b, &opt, &err);
    if (!ctx)
        return;
    static const char input[] = "{\"a\": 1, \"b\": [\"x\", 2.5, null], \"c\": {\"d\": true}}";
    for (size_t ep = 0; ep < pol_bundle_entrypoint_count(b); ep++) {
        pol_result res;
        if (pol_eval_json(ctx, (int)ep, input, sizeof input - 1, 0, &res, &err) == POL_OK) {
            size_t need = pol_value_to_json(res.value, 0, NULL, 0);
            char *text = malloc(need + 1);
            if (text) {
                pol_value_to_json(res.value, 0, text, need + 1);
                free(text);
            }
        }
        (void)pol_eval_json(ctx, (int)ep, NULL, 0, POL_EVAL_STRICT_BUILTIN_ERRORS, &res, &err);
    }
    pol_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *bytes = malloc(size ? size : 1);
    if (!bytes)
        return 0;
    memcpy(bytes, data, size);
    fuzz_bundle_fix_header(bytes, size);
    pol_error err;
    memset(&err, 0, sizeof err);
    pol_bundle *b = pol_bundle_load(bytes, size, NULL, &err);
    free(bytes);
    if (!b) {
        if (err.code != POL_BUNDLE && err.code != POL_NOMEM)
            __builtin_trap(); /* the documented failure codes */
        if (memchr(err.message, 0, sizeof err.message) == NULL)
            __builtin_trap();
        return 0;
    }
    size_t need = pol_bundle_disassemble(b, NULL, 0);
    char *text = malloc(need + 1);
    if (text) {
        pol_bundle_disassemble(b, text, need + 1);
        free(text);
    }
    fuzz_bundle_eval(b);

    size_t len1 = 0, len2 = 0;
    unsigned char *saved = fuzz_bundle_save(b, &len1);
    pol_bundle_release(b);
    if (!saved)
        return 0;
    pol_bundle *again = pol_bundle_load(saved, len1, NULL, &err);
    if (!again)
        __builtin_trap(); /* we wrote a bundle we cannot read */
    unsigned char *resaved = fuzz_bundle_save(again, &len2);
    if (resaved && (len1 != len2 || memcmp(saved, resaved, len1) != 0))
        __builtin_trap(); /* saving is not deterministic */
    free(resaved);
    free(saved);
    pol_bundle_release(again);
    return 0;
}
