/* Evaluation limits: each pol_ctx_options limit stops a runaway policy with
 * its own status code, quickly, and leaves the context usable for the next
 * evaluation. Every policy here would run (or allocate) far past the limit
 * if the limit were ignored, so a missing check shows up as a wrong code
 * or as a test that takes seconds instead of milliseconds. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "test.h"

/* Generous bound for "stopped promptly": each case finishes in
 * milliseconds; the slack covers sanitizer builds on a loaded machine. */
#define MAX_SECONDS 5.0

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pol_bundle *build(const char *src, const char *entry)
{
    pol_error err;
    memset(&err, 0, sizeof err);
    pol_compiler *c = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (c && pol_compiler_add_module(c, "limits.rego", src, strlen(src), &err) == POL_OK &&
        pol_compiler_add_entrypoint(c, entry, &err) == POL_OK)
        b = pol_compiler_build(c, &err);
    if (!b)
        fprintf(stderr, "build failed: %s: %s\n", pol_status_name(err.code), err.message);
    pol_compiler_free(c);
    return b;
}

/* Evaluates the bundle's only entrypoint; returns the status and fills
 * err, the elapsed time and (for POL_OK) the result as JSON. */
static pol_status eval_timed(pol_ctx *ctx, const char *input, unsigned flags, pol_error *err, double *secs,
                             char *json, size_t cap)
{
    pol_result res;
    memset(err, 0, sizeof *err);
    double t0 = now_seconds();
    pol_status st = pol_eval_json(ctx, 0, input, input ? strlen(input) : 0, flags, &res, err);
    *secs = now_seconds() - t0;
    if (json && cap) {
        json[0] = 0;
        if (st == POL_OK)
            pol_value_to_json(res.value, 0, json, cap);
    }
    return st;
}

static pol_ctx *new_ctx(pol_bundle *b, const pol_ctx_options *opt)
{
    pol_error err;
    pol_ctx *ctx = pol_ctx_new(b, opt, &err);
    if (!ctx)
        fprintf(stderr, "pol_ctx_new failed: %s\n", err.message);
    return ctx;
}

/* A product of three 1,000-element ranges: 10^9 iterations, none of which
 * allocates (comparisons only), so the only limit it can meet is the
 * instruction budget. */
static const char spin_policy[] = "package spin\n"
                                  "\n"
                                  "xs := numbers.range(1, input.n)\n"
                                  "\n"
                                  "p if {\n"
                                  "\tsome a in xs\n"
                                  "\tsome b in xs\n"
                                  "\tsome c in xs\n"
                                  "\ta > b\n"
                                  "\tb > c\n"
                                  "\tc > a\n"
                                  "}\n";

static void test_instruction_budget(void)
{
    pol_bundle *b = build(spin_policy, "data.spin.p");
    CHECK(b != NULL);
    if (!b)
        return;
    pol_ctx_options opt = {0};
    opt.max_instructions = 1000000;
    pol_ctx *ctx = new_ctx(b, &opt);
    CHECK(ctx != NULL);
    if (ctx) {
        pol_error err;
        double secs;
        pol_status st = eval_timed(ctx, "{\"n\": 1000}", 0, &err, &secs, NULL, 0);
        CHECK(st == POL_LIMIT_INSTRUCTIONS);
        CHECK(err.code == POL_LIMIT_INSTRUCTIONS);
        CHECK_STR(pol_status_name(err.code), "eval_instruction_limit");
        CHECK(strstr(err.message, "max_instructions") != NULL);
        CHECK(secs < MAX_SECONDS);

        /* Same context, a problem that fits: the budget is per evaluation. */
        st = eval_timed(ctx, "{\"n\": 20}", 0, &err, &secs, NULL, 0);
        CHECK(st == POL_UNDEFINED);
        pol_ctx_free(ctx);
    }
    /* The default budget (10^8) is exercised at full size by the CLI test
     * (cli_limits.py), which runs with default options. */
    pol_bundle_release(b);
}

/* f0(x) := f1(x) + 1, …, f{n-1}(x) := f{n}(x) + 1, f{n}(x) := x: n+1
 * distinct functions, so only the depth limit (not recursion, which the
 * compiler rejects) can stop it. Returns a malloc'd module. */
static char *chain_policy(int n)
{
    size_t cap = (size_t)n * 48 + 128, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    len += (size_t)snprintf(s + len, cap - len, "package chain\n\np := f0(input.x)\n\n");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "f%d(x) := f%d(x) + 1\n", i, i + 1);
    snprintf(s + len, cap - len, "f%d(x) := x\n", n);
    return s;
}

static void test_depth(void)
{
    /* The compiler caps rule-dependency nesting at 256 (a compile error
     * past it), so the chain stays under that and the limit is set below. */
    enum { CHAIN = 200 };
    char *src = chain_policy(CHAIN);
    CHECK(src != NULL);
    if (!src)
        return;
    pol_bundle *b = build(src, "data.chain.p");
    free(src);
    CHECK(b != NULL);
    if (!b)
        return;
    pol_ctx_options opt = {0};
    opt.max_depth = 100;
    pol_ctx *ctx = new_ctx(b, &opt);
    CHECK(ctx != NULL);
    if (ctx) {
        pol_error err;
        double secs;
        pol_status st = eval_timed(ctx, "{\"x\": 0}", 0, &err, &secs, NULL, 0);
        CHECK(st == POL_LIMIT_DEPTH);
        CHECK(err.code == POL_LIMIT_DEPTH);
        CHECK_STR(pol_status_name(err.code), "eval_depth_limit");
        CHECK(strstr(err.message, "depth") != NULL);
        CHECK(secs < MAX_SECONDS);
        pol_ctx_free(ctx);
    }
    /* With room for the whole chain it evaluates: 0 + 200 increments. */
    opt.max_depth = 1000;
    ctx = new_ctx(b, &opt);
    if (ctx) {
        pol_error err;
        double secs;
        char json[64];
        pol_status st = eval_timed(ctx, "{\"x\": 0}", 0, &err, &secs, json, sizeof json);
        CHECK(st == POL_OK);
        CHECK_STR(json, "200");
        pol_ctx_free(ctx);
    }
    pol_bundle_release(b);
}

/* r0 := r1 + 1, …, r{n-1} := r{n} + 1, r{n} := input.x: rules, which run
 * in their reader's loop rather than recursing in C, are bounded by the
 * same depth limit; an evaluation stopped deep inside leaves the context
 * fit for the next one. */
static void test_rule_depth(void)
{
    enum { CHAIN = 200 };
    size_t cap = (size_t)CHAIN * 40 + 128, len = 0;
    char *src = malloc(cap);
    CHECK(src != NULL);
    if (!src)
        return;
    len += (size_t)snprintf(src + len, cap - len, "package rchain\n\np := r0\n");
    for (int i = 0; i < CHAIN; i++)
        len += (size_t)snprintf(src + len, cap - len, "r%d := r%d + 1\n", i, i + 1);
    snprintf(src + len, cap - len, "r%d := input.x\n", CHAIN);
    pol_bundle *b = build(src, "data.rchain.p");
    free(src);
    CHECK(b != NULL);
    if (!b)
        return;
    for (int room = 0; room < 2; room++) {
        pol_ctx_options opt = {0};
        /* small rules are inlined into their readers (plan.c), so the
         * chain takes fewer frames than rules: 10 is still far too few */
        opt.max_depth = room ? 1000 : 10;
        pol_ctx *ctx = new_ctx(b, &opt);
        CHECK(ctx != NULL);
        if (!ctx)
            continue;
        for (int round = 0; round < 2; round++) {
            pol_error err;
            double secs;
            char json[64];
            pol_status st = eval_timed(ctx, "{\"x\": 0}", 0, &err, &secs, json, sizeof json);
            if (room) {
                CHECK(st == POL_OK);
                CHECK_STR(json, "200");
            } else {
                CHECK(st == POL_LIMIT_DEPTH);
                CHECK(strstr(err.message, "depth") != NULL);
            }
        }
        pol_ctx_free(ctx);
    }
    pol_bundle_release(b);
}

static void test_arena(void)
{
    pol_bundle *b = build("package big\n\np := [x | some x in numbers.range(1, input.n)]\n", "data.big.p");
    CHECK(b != NULL);
    if (!b)
        return;
    pol_ctx_options opt = {0};
    opt.arena_bytes = 256u << 10;
    pol_ctx *ctx = new_ctx(b, &opt);
    CHECK(ctx != NULL);
    if (ctx) {
        pol_error err;
        double secs;
        pol_status st = eval_timed(ctx, "{\"n\": 10000000}", 0, &err, &secs, NULL, 0);
        CHECK(st == POL_LIMIT_ARENA);
        CHECK(err.code == POL_LIMIT_ARENA);
        CHECK_STR(pol_status_name(err.code), "eval_arena_limit");
        CHECK(secs < MAX_SECONDS);

        /* JSON input that does not fit is the same limit, not a JSON
         * error (and nothing is evaluated). */
        size_t n = 400u << 10;
        char *big = malloc(n + 32);
        CHECK(big != NULL);
        if (big) {
            memcpy(big, "{\"n\": 1, \"pad\": \"", 17);
            memset(big + 17, 'a', n);
            memcpy(big + 17 + n, "\"}", 3);
            pol_result res;
            memset(&err, 0, sizeof err);
            st = pol_eval_json(ctx, 0, big, n + 19, 0, &res, &err);
            CHECK(st == POL_LIMIT_ARENA);
            CHECK_STR(pol_status_name(err.code), "eval_arena_limit");
            CHECK(res.value == NULL);
            free(big);
        }

        /* The arena is reset per evaluation: a small array fits again. */
        char json[64];
        st = eval_timed(ctx, "{\"n\": 3}", 0, &err, &secs, json, sizeof json);
        CHECK(st == POL_OK);
        CHECK_STR(json, "[1,2,3]");

        pol_ctx_free(ctx);
    }
    pol_bundle_release(b);
}

/* Nested quantifiers over a run of 'a's with no match at the end: PCRE2's
 * backtracking is exponential in the length, so the match limit is the
 * only way out. (`\z` keeps the pattern on PCRE2: regex.match answers
 * `^(a+)+$` with its linear-time DFA.) */
static void test_regex_match_limit(void)
{
    pol_bundle *b = build("package rx\n\np := regex.match(`^(a+)+\\z`, input.s)\n", "data.rx.p");
    CHECK(b != NULL);
    if (!b)
        return;
    char input[128];
    int k = snprintf(input, sizeof input, "{\"s\": \"");
    for (int i = 0; i < 40; i++)
        input[k++] = 'a';
    snprintf(input + k, sizeof input - (size_t)k, "b\"}");

    pol_ctx_options opt = {0};
    opt.regex_match_limit = 10000;
    pol_ctx *ctx = new_ctx(b, &opt);
    CHECK(ctx != NULL);
    if (ctx) {
        pol_error err;
        double secs;
        pol_status st = eval_timed(ctx, input, POL_EVAL_STRICT_BUILTIN_ERRORS, &err, &secs, NULL, 0);
        CHECK(st == POL_EVAL_BUILTIN);
        CHECK_STR(pol_status_name(err.code), "eval_builtin_error");
        CHECK(strstr(err.message, "regex.match") != NULL);
        CHECK(strstr(err.message, "limit") != NULL);
        CHECK(secs < MAX_SECONDS);

        /* Without strict errors a builtin error makes the rule undefined,
         * as in OPA. */
        st = eval_timed(ctx, input, 0, &err, &secs, NULL, 0);
        CHECK(st == POL_UNDEFINED);
        CHECK(secs < MAX_SECONDS);

        /* A string that matches quickly is unaffected by the limit. */
        char json[16];
        st = eval_timed(ctx, "{\"s\": \"aaaa\"}", POL_EVAL_STRICT_BUILTIN_ERRORS, &err, &secs, json,
                        sizeof json);
        CHECK(st == POL_OK);
        CHECK_STR(json, "true");
        pol_ctx_free(ctx);
    }
    pol_bundle_release(b);
}

int main(void)
{
    test_instruction_budget();
    test_depth();
    test_rule_depth();
    test_arena();
    test_regex_match_limit();
    return TEST_SUMMARY();
}
