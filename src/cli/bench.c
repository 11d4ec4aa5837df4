/* `policy bench`: like `opa bench`, evaluates a query repeatedly and prints
 * the time and allocator calls per evaluation.
 *
 *   policy bench [-d PATH]... [-i FILE] [--count N | --benchtime SECONDS]
 *                [--input-mode json|value] [--cache] [-f pretty|json] QUERY
 *
 * Loading (-d, -i, QUERY) means what it means for `policy eval`. The timed
 * loop holds only the evaluation; compiling and reading files happen
 * before it. allocs/op counts every call into malloc, calloc, realloc and
 * free made by the whole process during the timed loop (the allocator is
 * interposed in this executable, see alloc_count.c), divided by the number
 * of evaluations; it is "n/a" in sanitizer builds, which keep their own
 * allocator. */
#include "alloc_count.h"
#include "cli.h"
#include "value_input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum input_mode { INPUT_JSON, INPUT_VALUE } input_mode;

typedef struct bench_opts {
    const char **data_paths; /* borrowed from argv */
    size_t n_data;
    const char *input_path;
    const char *query;
    long long count; /* 0: run for `seconds` */
    double seconds;
    input_mode mode;
    bool use_cache;
    bool json_output;
    bool strict_builtin_errors;
} bench_opts;

static const char bench_usage[] =
    "Usage: policy bench [options] QUERY\n"
    "\n"
    "Evaluates QUERY repeatedly, like `opa bench`, and prints the time and the\n"
    "allocator calls per evaluation. Policies, data and input are loaded as for\n"
    "`policy eval`, before timing starts.\n"
    "\n"
    "Options:\n"
    "  -d, --data PATH             load a policy or data file or directory (repeatable)\n"
    "  -i, --input FILE            use the JSON document in FILE as `input`\n"
    "      --count N               run exactly N evaluations\n"
    "      --benchtime SECONDS     otherwise run for about this long (default 1)\n"
    "      --input-mode MODE       json (default): pass the input as JSON text, parsed\n"
    "                              by every evaluation (pol_eval_json); value: build it\n"
    "                              once with the builder API and reuse it\n"
    "                              (pol_eval_value)\n"
    "      --cache                 attach a decision cache (POL_EVAL_USE_CACHE)\n"
    "      --strict-builtin-errors treat builtin errors as evaluation errors\n"
    "  -f, --format FORMAT         pretty (default) or json\n"
    "  -h, --help                  print this help\n"
    "\n"
    "allocs/op counts every call into malloc, calloc, realloc and free that the\n"
    "process makes during the timed loop, divided by the number of evaluations.\n";

/* ---- timing ---------------------------------------------------------------- */

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct bench_run {
    pol_ctx *ctx;
    int ep;
    unsigned flags;
    const char *input; /* JSON text, or NULL for no input */
    size_t input_len;
    const pol_value *input_value; /* INPUT_VALUE mode */
    input_mode mode;
} bench_run;

static pol_status eval_once(const bench_run *r, pol_result *res, pol_error *err)
{
    if (r->mode == INPUT_VALUE)
        return pol_eval_value(r->ctx, r->ep, r->input_value, r->flags, res, err);
    return pol_eval_json(r->ctx, r->ep, r->input ? r->input : "", r->input_len, r->flags, res, err);
}

/* Runs n evaluations; stops at the first failure. */
static pol_status eval_many(const bench_run *r, long long n, pol_error *err)
{
    pol_status st = POL_OK;
    pol_result res = {NULL};
    for (long long i = 0; i < n && st == POL_OK; i++)
        st = eval_once(r, &res, err);
    return st;
}

typedef struct bench_result {
    long long evaluations;
    double seconds;
    alloc_counts allocs;
} bench_result;

/* Doubles the batch until a batch takes at least the target time, as Go's
 * testing.B does, so that the clock is read rarely. */
static pol_status measure(const bench_run *r, const bench_opts *o, bench_result *out, pol_error *err)
{
    long long n = o->count > 0 ? o->count : 1;
    for (;;) {
        alloc_count_start();
        double t0 = now_seconds();
        pol_status st = eval_many(r, n, err);
        double t1 = now_seconds();
        alloc_count_stop();
        if (st != POL_OK)
            return st;
        out->evaluations = n;
        out->seconds = t1 - t0;
        out->allocs = alloc_count_read();
        if (o->count > 0 || out->seconds >= o->seconds || n > (long long)1 << 40)
            return POL_OK;
        /* Aim 20% past the target from the rate seen so far. */
        double per = out->seconds > 0 ? out->seconds / (double)n : 1e-9;
        long long next = (long long)(o->seconds * 1.2 / per);
        n = next > n * 100 ? n * 100 : next > n ? next : n * 2;
    }
}

static void print_result(const bench_opts *o, const bench_result *b, const pol_cache_stats *cs)
{
    double ns = b->seconds * 1e9 / (double)b->evaluations;
    uint64_t total = alloc_count_total(b->allocs);
    bool counted = alloc_count_available();
    const char *mode = o->mode == INPUT_VALUE ? "value" : "json";
    if (o->json_output) {
        printf("{\n  \"evaluations\": %lld,\n  \"seconds\": %.6f,\n  \"ns_per_op\": %.1f,\n", b->evaluations,
               b->seconds, ns);
        if (counted)
            printf("  \"allocs_per_op\": %.3f,\n  \"mallocs\": %llu,\n  \"reallocs\": %llu,\n  \"frees\": "
                   "%llu,\n",
                   (double)total / (double)b->evaluations, (unsigned long long)b->allocs.mallocs,
                   (unsigned long long)b->allocs.reallocs, (unsigned long long)b->allocs.frees);
        else
            printf("  \"allocs_per_op\": null,\n");
        if (cs)
            printf("  \"cache_hits\": %llu,\n  \"cache_misses\": %llu,\n", (unsigned long long)cs->hits,
                   (unsigned long long)cs->misses);
        printf("  \"input_mode\": \"%s\"\n}\n", mode);
        return;
    }
    printf("%-16s %lld\n", "evaluations", b->evaluations);
    printf("%-16s %.3f\n", "seconds", b->seconds);
    printf("%-16s %.1f\n", "ns/op", ns);
    if (counted)
        printf("%-16s %.3f  (malloc %llu, realloc %llu, free %llu in the timed loop)\n", "allocs/op",
               (double)total / (double)b->evaluations, (unsigned long long)b->allocs.mallocs,
               (unsigned long long)b->allocs.reallocs, (unsigned long long)b->allocs.frees);
    else
        printf("%-16s n/a (sanitizer build: allocator not interposed)\n", "allocs/op");
    if (cs)
        printf("%-16s %llu hits, %llu misses\n", "cache", (unsigned long long)cs->hits,
               (unsigned long long)cs->misses);
    printf("%-16s %s\n", "input mode", mode);
}

static void print_failure(const bench_opts *o, const pol_error *err)
{
    const char *code = pol_status_name(err->code);
    if (o->json_output) {
        /* Messages are plain text; quotes and backslashes are the only
         * characters they are known to carry that JSON must escape. */
        printf("{\n  \"errors\": [{\"code\": \"%s\", \"message\": \"", code);
        for (const char *p = err->message; *p && p < err->message + sizeof err->message; p++) {
            if (*p == '"' || *p == '\\')
                putchar('\\');
            if ((unsigned char)*p >= 0x20)
                putchar(*p);
        }
        printf("\"}]\n}\n");
        return;
    }
    if (err->file[0] && err->line > 0)
        fprintf(stderr, "%.*s:%u:%u: ", (int)sizeof err->file, err->file, (unsigned)err->line,
                (unsigned)err->col);
    fprintf(stderr, "%s: %.*s\n", code, (int)sizeof err->message, err->message);
}

static int run_bench(const bench_opts *o)
{
    pol_error err;
    memset(&err, 0, sizeof err);
    pol_compiler *c = pol_compiler_new(NULL);
    pol_bundle *bundle = NULL;
    pol_ctx *ctx = NULL;
    pol_cache *cache = NULL;
    char *input = NULL, *scratch = NULL;
    size_t input_len = 0;
    pol_status st = c ? POL_OK : POL_NOMEM;
    if (!c)
        cli_set_error(&err, POL_NOMEM, "", "out of memory", NULL, NULL);
    for (size_t i = 0; st == POL_OK && i < o->n_data; i++)
        st = cli_load_path(c, o->data_paths[i], &err);
    if (st == POL_OK)
        st = pol_compiler_add_query(c, "query", o->query, strlen(o->query), &err);
    if (st == POL_OK && (bundle = pol_compiler_build(c, &err)) == NULL)
        st = err.code;
    if (st == POL_OK && (ctx = pol_ctx_new(bundle, NULL, &err)) == NULL)
        st = err.code;
    if (st == POL_OK && o->use_cache) {
        pol_cache_options copt;
        memset(&copt, 0, sizeof copt);
        copt.max_result_bytes = 4096;
        cache = pol_cache_new(bundle, &copt, &err);
        st = cache ? pol_ctx_set_cache(ctx, cache) : err.code;
    }
    if (st == POL_OK && o->input_path && cli_file_kind_of(o->input_path) == FILE_YAML) {
        cli_set_error(&err, POL_INVALID_ARGUMENT, o->input_path,
                      "%s: YAML input is not supported yet; use JSON", o->input_path, NULL);
        st = POL_INVALID_ARGUMENT;
    }
    if (st == POL_OK && o->input_path && (input = cli_read_file(o->input_path, &input_len, &err)) == NULL)
        st = err.code;
    bench_run r = {ctx, pol_bundle_entrypoint(bundle, "query"), 0, input, input_len, NULL, o->mode};
    r.flags = (o->strict_builtin_errors ? (unsigned)POL_EVAL_STRICT_BUILTIN_ERRORS : 0u) |
              (o->use_cache ? (unsigned)POL_EVAL_USE_CACHE : 0u) | (input ? 0u : (unsigned)POL_EVAL_NO_INPUT);
    if (st == POL_OK && input && o->mode == INPUT_VALUE) {
        scratch = malloc(input_len + 1);
        char msg[256] = "out of memory";
        pol_ctx_reset(ctx);
        r.input_value =
            scratch ? value_input_from_json(ctx, input, input_len, scratch, msg, sizeof msg) : NULL;
        if (!r.input_value) {
            cli_set_error(&err, POL_JSON, o->input_path, "%s: %s", o->input_path, msg);
            st = POL_JSON;
        }
    }
    /* One untimed evaluation: fails fast on errors and warms caches. */
    pol_result res = {NULL};
    if (st == POL_OK)
        st = eval_once(&r, &res, &err);
    bench_result b;
    memset(&b, 0, sizeof b);
    if (st == POL_OK)
        st = measure(&r, o, &b, &err);
    if (st != POL_OK) {
        if (err.code == POL_OK)
            err.code = st;
        print_failure(o, &err);
    } else {
        pol_cache_stats cs;
        if (cache)
            pol_cache_stats_get(cache, &cs);
        print_result(o, &b, cache ? &cs : NULL);
    }
    free(scratch);
    free(input);
    pol_ctx_free(ctx);
    pol_cache_free(cache);
    pol_bundle_release(bundle);
    pol_compiler_free(c);
    return st == POL_OK ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/* ---- arguments --------------------------------------------------------------- */

static int usage(const char *fmt, const char *arg)
{
    fputs("policy: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    fputs(bench_usage, stderr);
    return CLI_EXIT_USAGE;
}

static bool parse_positive(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > 1e12)
        return false;
    *out = v;
    return true;
}

int cli_bench(int argc, char **argv)
{
    bench_opts o;
    memset(&o, 0, sizeof o);
    o.seconds = 1.0;
    o.mode = INPUT_JSON;
    o.data_paths = calloc((size_t)argc + 1, sizeof *o.data_paths);
    if (!o.data_paths)
        return CLI_EXIT_FAILED;
    int rc = -1;
    bool options_done = false;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *arg = argv[i], *value = NULL;
        int m;
        double num = 0;
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (o.query)
                rc = usage("bench takes exactly one query, got another: %s", arg);
            o.query = arg;
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(bench_usage, stdout);
            rc = CLI_EXIT_OK;
        } else if ((m = cli_flag_value(argc, argv, &i, "-d", "--data", &value)) != 0) {
            if (m < 0)
                rc = usage("%s needs a value", arg);
            else
                o.data_paths[o.n_data++] = value;
        } else if ((m = cli_flag_value(argc, argv, &i, "-i", "--input", &value)) != 0) {
            if (m < 0)
                rc = usage("%s needs a value", arg);
            o.input_path = value;
        } else if ((m = cli_flag_value(argc, argv, &i, NULL, "--count", &value)) != 0) {
            if (m < 0 || !parse_positive(value, &num) || num != (double)(long long)num)
                rc = usage("--count needs a positive integer, got %s", m < 0 ? "nothing" : value);
            else
                o.count = (long long)num;
        } else if ((m = cli_flag_value(argc, argv, &i, NULL, "--benchtime", &value)) != 0) {
            if (m < 0 || !parse_positive(value, &num))
                rc = usage("--benchtime needs a positive number of seconds, got %s",
                           m < 0 ? "nothing" : value);
            else
                o.seconds = num;
        } else if ((m = cli_flag_value(argc, argv, &i, NULL, "--input-mode", &value)) != 0) {
            if (m > 0 && strcmp(value, "json") == 0)
                o.mode = INPUT_JSON;
            else if (m > 0 && strcmp(value, "value") == 0)
                o.mode = INPUT_VALUE;
            else
                rc = usage("--input-mode is json or value, got %s", m < 0 ? "nothing" : value);
        } else if ((m = cli_flag_value(argc, argv, &i, "-f", "--format", &value)) != 0) {
            if (m > 0 && (strcmp(value, "pretty") == 0 || strcmp(value, "json") == 0))
                o.json_output = strcmp(value, "json") == 0;
            else
                rc = usage("unknown format %s (want pretty or json)", m < 0 ? "nothing" : value);
        } else if (strcmp(arg, "--cache") == 0) {
            o.use_cache = true;
        } else if (strcmp(arg, "--strict-builtin-errors") == 0) {
            o.strict_builtin_errors = true;
        } else {
            rc = usage("unknown option %s", arg);
        }
    }
    if (rc < 0 && !o.query)
        rc = usage("%s", "bench needs a query");
    if (rc < 0)
        rc = run_bench(&o);
    free(o.data_paths);
    return rc;
}
