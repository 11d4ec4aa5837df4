/* Allocation-failure sweeps: for each workload, fail the Nth allocation for
 * N = 0, 1, 2, … until the operation succeeds without hitting the failure.
 * Every run that hits it must end in a clean POL_NOMEM (the call's status
 * and err->code), and once everything is freed no allocation may be live.
 * The hook also checks that every free and realloc is told the size the
 * block was allocated with, which pool allocators depend on.
 *
 *   test_alloc BENCH_DIR WORKLOAD...
 *
 * WORKLOAD is a folder of BENCH_DIR (../shared/bench) or `indexed`, a
 * generated policy that gets a rule index.
 *
 * Operations swept: compile (pol_compiler_new + add module, data,
 * entrypoint, query + build), bundle load, and context creation (which
 * may skip allocations documented as optional, if it then decides
 * exactly as a context built without failures). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "test.h"

/* ---- the failing, counting allocator --------------------------------- */

/* Every block carries its size in a header so free/realloc can check the
 * size they are told. 16 bytes keeps the caller's block 16-aligned. */
#define HDR 16

typedef struct sweep_alloc {
    uint64_t calls;   /* malloc + growing realloc calls so far */
    uint64_t fail_at; /* the call number to fail (UINT64_MAX: never) */
    bool failed;      /* the failure was injected */
    long live;        /* blocks allocated and not yet freed */
    long size_errors; /* free/realloc told a wrong size */
} sweep_alloc;

static bool sweep_should_fail(sweep_alloc *s)
{
    if (s->calls++ == s->fail_at) {
        s->failed = true;
        return true;
    }
    return false;
}

static void *sweep_malloc(void *user, size_t size)
{
    sweep_alloc *s = user;
    if (sweep_should_fail(s) || size > SIZE_MAX - HDR)
        return NULL;
    unsigned char *p = malloc(size + HDR);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    s->live++;
    return p + HDR;
}

static bool sweep_size_ok(sweep_alloc *s, void *ptr, size_t size)
{
    size_t recorded;
    memcpy(&recorded, (unsigned char *)ptr - HDR, sizeof recorded);
    if (recorded != size) {
        s->size_errors++;
        fprintf(stderr, "  size mismatch: block of %zu bytes freed/reallocated as %zu\n", recorded, size);
        return false;
    }
    return true;
}

static void *sweep_realloc(void *user, void *ptr, size_t old_size, size_t new_size)
{
    sweep_alloc *s = user;
    if (!ptr)
        return sweep_malloc(user, new_size);
    sweep_size_ok(s, ptr, old_size);
    if (sweep_should_fail(s) || new_size > SIZE_MAX - HDR)
        return NULL;
    unsigned char *p = realloc((unsigned char *)ptr - HDR, new_size + HDR);
    if (!p)
        return NULL;
    memcpy(p, &new_size, sizeof new_size);
    return p + HDR;
}

static void sweep_free(void *user, void *ptr, size_t size)
{
    sweep_alloc *s = user;
    if (!ptr)
        return;
    sweep_size_ok(s, ptr, size);
    s->live--;
    free((unsigned char *)ptr - HDR);
}

static pol_alloc sweep_hook(sweep_alloc *s, uint64_t fail_at)
{
    memset(s, 0, sizeof *s);
    s->fail_at = fail_at;
    pol_alloc a = {sweep_malloc, sweep_realloc, sweep_free, s};
    return a;
}

/* ---- workloads ---------------------------------------------------------- */

typedef struct workload {
    const char *name;
    char *policy, *data, *query, *input;
    size_t policy_len, data_len, input_len;
} workload;

static char *slurp(const char *dir, const char *name, const char *file, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s/%s", dir, name, file);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

static bool workload_load(workload *w, const char *dir, const char *name)
{
    memset(w, 0, sizeof *w);
    w->name = name;
    w->policy = slurp(dir, name, "policy.rego", &w->policy_len);
    w->data = slurp(dir, name, "data.json", &w->data_len);
    w->query = slurp(dir, name, "query.txt", NULL);
    if (w->query)
        w->query[strcspn(w->query, "\r\n")] = 0;
    w->input = slurp(dir, name, "input.json", &w->input_len);
    return w->policy && w->data && w->query && w->input;
}

static char *dup_text(const char *s, size_t *len)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    if (len)
        *len = n;
    return d;
}

/* Many bodies of one rule testing input against constants: the shape the
 * compiler builds a rule index for (at least 8 definitions), which the
 * benchmark workloads small enough to sweep quickly do not have. */
static bool workload_indexed(workload *w)
{
    enum { NDEFS = 24 };
    memset(w, 0, sizeof *w);
    w->name = "indexed";
    size_t cap = NDEFS * 128 + 64, len = 0;
    w->policy = malloc(cap);
    if (!w->policy)
        return false;
    len += (size_t)snprintf(w->policy + len, cap - len, "package idx\n\n");
    for (int i = 0; i < NDEFS; i++)
        len += (size_t)snprintf(
            w->policy + len, cap - len,
            "allow if {\n\tinput.method == \"%s\"\n\tinput.path == [\"r%d\", \"items\"]\n}\n\n",
            i % 2 ? "GET" : "POST", i);
    w->policy_len = len;
    w->data = dup_text("{}", &w->data_len);
    w->query = dup_text("data.idx.allow", NULL);
    w->input = dup_text("{\"method\": \"GET\", \"path\": [\"r7\", \"items\"]}", &w->input_len);
    return w->data && w->query && w->input;
}

static void workload_free(workload *w)
{
    free(w->policy);
    free(w->data);
    free(w->query);
    free(w->input);
}

/* Runs the compile pipeline with alloc; stops at the first failing step.
 * Returns the bundle or NULL with *st and err set. */
static pol_bundle *compile_with(const workload *w, const pol_alloc *alloc, pol_status *st, pol_error *err)
{
    memset(err, 0, sizeof *err);
    pol_compiler *c = pol_compiler_new(alloc);
    if (!c) {
        *st = POL_NOMEM;
        err->code = POL_NOMEM;
        return NULL;
    }
    pol_bundle *b = NULL;
    *st = pol_compiler_add_module(c, "policy.rego", w->policy, w->policy_len, err);
    if (*st == POL_OK)
        *st = pol_compiler_add_data_json(c, NULL, "data.json", w->data, w->data_len, err);
    if (*st == POL_OK)
        *st = pol_compiler_add_entrypoint(c, w->query, err);
    if (*st == POL_OK)
        *st = pol_compiler_add_query(c, "q", "x := data; y := input", 21, err);
    if (*st == POL_OK) {
        b = pol_compiler_build(c, err);
        *st = b ? POL_OK : err->code;
    }
    pol_compiler_free(c);
    return b;
}

/* A clean failure: the status and the error struct agree on POL_NOMEM. */
static bool clean_nomem(pol_status st, const pol_error *err)
{
    return st == POL_NOMEM && err->code == POL_NOMEM;
}

/* Sweeps the compile pipeline; returns the number of allocations the
 * successful run made. */
static uint64_t sweep_compile(const workload *w)
{
    int bad = 0;
    for (uint64_t n = 0;; n++) {
        sweep_alloc s;
        pol_alloc alloc = sweep_hook(&s, n);
        pol_status st;
        pol_error err;
        pol_bundle *b = compile_with(w, &alloc, &st, &err);
        bool hit = s.failed;
        if (hit && !clean_nomem(st, &err) && bad++ < 5)
            fprintf(stderr, "%s: compile, allocation %llu failed: got %s (err %s: %s)\n", w->name,
                    (unsigned long long)n, pol_status_name(st), pol_status_name(err.code), err.message);
        CHECK(!hit || clean_nomem(st, &err));
        if (!hit && st != POL_OK)
            fprintf(stderr, "%s: compile failed without injection: %s\n", w->name, err.message);
        pol_bundle_release(b);
        if (s.live != 0 && bad++ < 5)
            fprintf(stderr, "%s: compile, allocation %llu failed: %ld blocks leaked\n", w->name,
                    (unsigned long long)n, s.live);
        CHECK(s.live == 0);
        CHECK(s.size_errors == 0);
        if (!hit) {
            CHECK(st == POL_OK);
            return s.calls;
        }
    }
}

/* Sweeps pol_bundle_load over the saved bytes of the workload's bundle. */
static uint64_t sweep_load(const workload *w)
{
    pol_status st;
    pol_error err;
    pol_bundle *b = compile_with(w, NULL, &st, &err);
    CHECK(b != NULL);
    if (!b)
        return 0;
    size_t need = 0;
    CHECK(pol_bundle_save(b, NULL, 0, &need, &err) == POL_OK);
    void *bytes = malloc(need ? need : 1);
    CHECK(bytes && pol_bundle_save(b, bytes, need, &need, &err) == POL_OK);
    pol_bundle_release(b);
    if (!bytes)
        return 0;
    int bad = 0;
    for (uint64_t n = 0;; n++) {
        sweep_alloc s;
        pol_alloc alloc = sweep_hook(&s, n);
        memset(&err, 0, sizeof err);
        pol_bundle *lb = pol_bundle_load(bytes, need, &alloc, &err);
        st = lb ? POL_OK : err.code;
        bool hit = s.failed;
        if (hit && st != POL_NOMEM && bad++ < 5)
            fprintf(stderr, "%s: load, allocation %llu failed: got %s: %s\n", w->name, (unsigned long long)n,
                    pol_status_name(st), err.message);
        CHECK(!hit || (lb == NULL && st == POL_NOMEM));
        pol_bundle_release(lb);
        if (s.live != 0 && bad++ < 5)
            fprintf(stderr, "%s: load, allocation %llu failed: %ld blocks leaked\n", w->name,
                    (unsigned long long)n, s.live);
        CHECK(s.live == 0);
        CHECK(s.size_errors == 0);
        if (!hit) {
            CHECK(st == POL_OK);
            free(bytes);
            return s.calls;
        }
    }
}

/* Evaluates the workload's query on its own input; returns the result as
 * malloc'd JSON ("undefined" when undefined), or NULL on error. With s,
 * also checks that the evaluation made no allocator calls. */
static char *decide(const workload *w, pol_bundle *b, pol_ctx *ctx, const sweep_alloc *s)
{
    uint64_t before = s ? s->calls : 0;
    pol_result res;
    pol_error err;
    pol_status st =
        pol_eval_json(ctx, pol_bundle_entrypoint(b, w->query), w->input, w->input_len, 0, &res, &err);
    CHECK(!s || s->calls == before);
    char *out = NULL;
    if (st == POL_OK) {
        size_t need = pol_value_to_json(res.value, 0, NULL, 0);
        out = malloc(need + 1);
        if (out)
            pol_value_to_json(res.value, 0, out, need + 1);
    } else if (st == POL_UNDEFINED) {
        out = malloc(sizeof "undefined");
        if (out)
            memcpy(out, "undefined", sizeof "undefined");
    } else {
        fprintf(stderr, "%s: eval failed: %s\n", w->name, err.message);
    }
    return out;
}

/* The decision of a bundle built with libc: the reference. */
static char *reference_decision(const workload *w)
{
    pol_status st;
    pol_error err;
    pol_bundle *b = compile_with(w, NULL, &st, &err);
    pol_ctx *ctx = b ? pol_ctx_new(b, NULL, &err) : NULL;
    char *out = ctx ? decide(w, b, ctx, NULL) : NULL;
    pol_ctx_free(ctx);
    pol_bundle_release(b);
    return out;
}

/* Sweeps pol_ctx_new on a bundle built through the hook (contexts use
 * their bundle's allocator). A context may do without an allocation the
 * API documents as optional (the compiled-pattern cache), so a hit that
 * still returns a context is accepted when that context decides exactly
 * like the reference; otherwise it must be NULL with POL_NOMEM. Every
 * decision here also proves the evaluation path makes no allocator call.
 * Returns the number of allocations pol_ctx_new makes. */
static uint64_t sweep_ctx(const workload *w, const char *want, unsigned *degraded)
{
    sweep_alloc s;
    pol_alloc alloc = sweep_hook(&s, UINT64_MAX);
    pol_status st;
    pol_error err;
    pol_bundle *b = compile_with(w, &alloc, &st, &err);
    CHECK(b != NULL);
    if (!b)
        return 0;
    uint64_t made = 0;
    for (uint64_t k = 0;; k++) {
        uint64_t start = s.calls;
        s.fail_at = start + k;
        s.failed = false;
        long live_before = s.live;
        memset(&err, 0, sizeof err);
        pol_ctx *ctx = pol_ctx_new(b, NULL, &err);
        bool hit = s.failed;
        made = s.calls - start;
        if (ctx) {
            char *got = decide(w, b, ctx, &s);
            CHECK_STR(got, want);
            free(got);
            if (hit)
                ++*degraded;
        } else {
            if (!clean_nomem(err.code, &err))
                fprintf(stderr, "%s: context, allocation %llu failed: got %s\n", w->name,
                        (unsigned long long)k, pol_status_name(err.code));
            CHECK(hit && clean_nomem(err.code, &err));
        }
        pol_ctx_free(ctx);
        CHECK(s.live == live_before);
        if (!hit)
            break;
    }
    s.fail_at = UINT64_MAX;
    pol_bundle_release(b);
    CHECK(s.live == 0);
    CHECK(s.size_errors == 0);
    return made;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: test_alloc BENCH_DIR WORKLOAD...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        workload w;
        bool ok =
            strcmp(argv[i], "indexed") == 0 ? workload_indexed(&w) : workload_load(&w, argv[1], argv[i]);
        if (!ok) {
            CHECK(!"workload missing");
            workload_free(&w);
            continue;
        }
        int failed_before = test_st.failed;
        uint64_t nc = sweep_compile(&w);
        uint64_t nl = sweep_load(&w);
        char *want = reference_decision(&w);
        CHECK(want != NULL);
        unsigned degraded = 0;
        uint64_t nx = want ? sweep_ctx(&w, want, &degraded) : 0;
        free(want);
        printf("%s: swept compile (%llu allocations), load (%llu), context (%llu; %u optional): %s\n", w.name,
               (unsigned long long)nc, (unsigned long long)nl, (unsigned long long)nx, degraded,
               test_st.failed == failed_before ? "every failure clean" : "FAILURES");
        workload_free(&w);
    }
    return TEST_SUMMARY();
}
