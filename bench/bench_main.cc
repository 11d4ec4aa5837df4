// Benchmark suite over the workloads in shared/bench (and the scaled
// copies gen.py writes into the build directory). See bench/README.md.
//
// Names: eval/<workload>[_<variant>]/<mode>, compile/<workload>,
// load/<workload>. Every eval benchmark first checks the result against
// expected*.json and refuses to time a wrong answer (SkipWithError), and
// stops on the first failed evaluation, so a fast wrong result is never
// reported. Counters: `allocs` = calls into malloc/calloc/realloc/free per
// decision, counted process-wide by the interposed allocator
// (src/cli/alloc_count.c) while the timed loop runs.
#include "policy.hpp"

#include "alloc_count.h"
#include "value_input.h"
#include "workload.h"

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#ifndef BENCH_CORPUS_DIR
#define BENCH_CORPUS_DIR "../shared/bench"
#endif
#ifndef BENCH_GENERATED_DIR
#define BENCH_GENERATED_DIR ""
#endif

namespace {

// The cache keeps results up to this size (the API's maximum), so that
// every workload whose decision fits is measured on the hit path.
constexpr size_t kCacheMaxResultBytes = 4096;
constexpr size_t kMaxWorkloads = 64;

// Benchmarks that could not report a valid figure (wrong result, failed
// evaluation or setup); main() exits non-zero when there were any, so the
// smoke test fails on them. Unimplemented features (load/*) do not count.
int g_failures = 0;

void fail(benchmark::State &state, const std::string &msg)
{
    g_failures++;
    state.SkipWithError(msg.c_str());
}

enum class Mode { Prebuilt, Json, Cached };
const char *mode_name(Mode m)
{
    return m == Mode::Prebuilt ? "prebuilt" : m == Mode::Json ? "json" : "cached";
}

// One workload folder: read at start-up (small), compiled on first use so
// that a filtered run does not pay for workloads it skips.
struct Workload {
    workload w;
    bool read_ok = false;
    std::string error;
    pol::Bundle bundle;
    int ep = -1;
    bool compiled = false;

    Workload()
    {
        std::memset(&w, 0, sizeof w);
    }
    ~Workload()
    {
        workload_free(&w);
    }
    Workload(const Workload &) = delete;
    Workload &operator=(const Workload &) = delete;

    bool ensure_compiled()
    {
        if (compiled || !error.empty())
            return compiled;
        pol_error err = pol::no_error();
        bundle.reset(workload_compile(&w, &ep, &err));
        if (!bundle)
            error = "compile failed: " + pol::describe(err);
        compiled = bool(bundle);
        return compiled;
    }
};

void report_allocs(benchmark::State &state, alloc_counts c)
{
    if (alloc_count_available())
        state.counters["allocs"] =
            benchmark::Counter(double(alloc_count_total(c)), benchmark::Counter::kAvgIterations);
}

std::string mismatch(const char *when, const workload_variant &v, const pol_value *got, const pol_error &err,
                     pol_status st)
{
    if (st != POL_OK && st != POL_UNDEFINED)
        return std::string("evaluation failed ") + when + ": " + pol::describe(err);
    std::string msg = std::string("wrong result ") + when + ": ";
    // Show both texts around the first difference, which in a long result
    // is rarely near the start.
    std::string g = pol::to_json(got), want(v.expected, v.expected_len);
    size_t at = 0;
    while (at < g.size() && at < want.size() && g[at] == want[at])
        at++;
    size_t from = at > 60 ? at - 60 : 0;
    auto clip = [from](const std::string &s) {
        return (from ? "..." : "") + s.substr(from, 120) + (s.size() > from + 120 ? "..." : "");
    };
    return msg + "got " + clip(g) + ", want " + clip(want) + " (first difference at byte " +
           std::to_string(at) + ")";
}

void bench_eval(benchmark::State &state, Workload *wl, size_t vi, Mode mode)
{
    if (!wl->ensure_compiled()) {
        fail(state, wl->error);
        return;
    }
    const workload_variant &v = wl->w.variants[vi];
    pol_error err = pol::no_error();
    pol::Ctx ctx = pol::make_ctx(wl->bundle.get(), &err);
    pol::Cache cache;
    if (ctx && mode == Mode::Cached) {
        cache = pol::make_cache(wl->bundle.get(), kCacheMaxResultBytes, &err);
        if (!cache || pol_ctx_set_cache(ctx.get(), cache.get()) != POL_OK)
            ctx.reset();
    }
    if (!ctx) {
        fail(state, "setup failed: " + pol::describe(err));
        return;
    }
    std::vector<char> input_scratch(v.input_len + 1), result_scratch(WORKLOAD_SCRATCH(v.expected_len));
    const pol_value *input = nullptr;
    if (mode == Mode::Prebuilt) {
        char msg[256];
        pol_ctx_reset(ctx.get());
        input = value_input_from_json(ctx.get(), v.input, v.input_len, input_scratch.data(), msg, sizeof msg);
        if (!input) {
            fail(state, std::string("building the input value failed: ") + msg);
            return;
        }
    }
    const unsigned flags = mode == Mode::Cached ? unsigned(POL_EVAL_USE_CACHE) : 0u;
    pol_result res = {nullptr};
    auto eval = [&]() -> pol_status {
        return mode == Mode::Prebuilt
                   ? pol_eval_value(ctx.get(), wl->ep, input, flags, &res, &err)
                   : pol_eval_json(ctx.get(), wl->ep, v.input, v.input_len, flags, &res, &err);
    };
    // Twice: the second run takes the cache's hit path in cached mode.
    for (const char *when : {"on the first evaluation", "on the second evaluation"}) {
        pol_status st = eval();
        if (st != POL_OK || !workload_result_matches(&v, res.value, result_scratch.data())) {
            fail(state, mismatch(when, v, res.value, err, st));
            return;
        }
    }
    pol_cache_stats before;
    std::memset(&before, 0, sizeof before);
    if (cache)
        pol_cache_stats_get(cache.get(), &before);
    pol_status st = POL_OK;
    alloc_count_start();
    for (auto _ : state) {
        st = eval();
        benchmark::DoNotOptimize(res.value);
        if (st != POL_OK)
            break;
    }
    alloc_count_stop();
    if (st != POL_OK || !workload_result_matches(&v, res.value, result_scratch.data())) {
        fail(state, mismatch("during the timed loop", v, res.value, err, st));
        return;
    }
    report_allocs(state, alloc_count_read());
    state.SetItemsProcessed(state.iterations());
    if (cache) {
        pol_cache_stats cs;
        pol_cache_stats_get(cache.get(), &cs);
        // Hits per decision: 1.0 when every timed decision was served from
        // the cache, 0 when the result was too large to cache (or the
        // entrypoint is not cacheable) and every decision was evaluated.
        state.counters["hits"] =
            benchmark::Counter(double(cs.hits - before.hits), benchmark::Counter::kAvgIterations);
    }
}

void bench_compile(benchmark::State &state, Workload *wl)
{
    alloc_count_start();
    for (auto _ : state) {
        pol_error err = pol::no_error();
        int ep = -1;
        pol::Bundle b(workload_compile(&wl->w, &ep, &err));
        if (!b) {
            alloc_count_stop();
            fail(state, "compile failed: " + pol::describe(err));
            return;
        }
    }
    alloc_count_stop();
    report_allocs(state, alloc_count_read());
}

#ifdef POL_BENCH_HAVE_BUNDLE_LOAD
// Loading a saved bundle (pol_bundle_save once, pol_bundle_load per
// iteration), after checking that the loaded bundle still gives the
// expected answer.
void bench_load(benchmark::State &state, Workload *wl)
{
    if (!wl->ensure_compiled()) {
        fail(state, wl->error);
        return;
    }
    pol_error err = pol::no_error();
    size_t size = 0;
    std::vector<unsigned char> bytes;
    if (pol_bundle_save(wl->bundle.get(), nullptr, 0, &size, &err) == POL_OK) {
        bytes.resize(size);
        pol_bundle_save(wl->bundle.get(), bytes.data(), bytes.size(), &size, &err);
    }
    pol::Bundle loaded(err.code == POL_OK ? pol_bundle_load(bytes.data(), bytes.size(), nullptr, &err)
                                          : nullptr);
    pol::Ctx ctx = loaded ? pol::make_ctx(loaded.get(), &err) : pol::Ctx();
    if (!ctx) {
        fail(state, "save/load failed: " + pol::describe(err));
        return;
    }
    const workload_variant &v = wl->w.variants[0];
    std::vector<char> scratch(WORKLOAD_SCRATCH(v.expected_len));
    pol_result res = {nullptr};
    pol_status st = pol_eval_json(ctx.get(), pol_bundle_entrypoint(loaded.get(), wl->w.query), v.input,
                                  v.input_len, 0, &res, &err);
    if (st != POL_OK || !workload_result_matches(&v, res.value, scratch.data())) {
        fail(state, mismatch("from the loaded bundle", v, res.value, err, st));
        return;
    }
    ctx.reset();
    loaded.reset();
    alloc_count_start();
    for (auto _ : state) {
        pol::Bundle b(pol_bundle_load(bytes.data(), bytes.size(), nullptr, &err));
        if (!b) {
            alloc_count_stop();
            fail(state, "load failed: " + pol::describe(err));
            return;
        }
    }
    alloc_count_stop();
    report_allocs(state, alloc_count_read());
    state.counters["bytes"] = double(bytes.size());
}
#else
void bench_load(benchmark::State &state, Workload *)
{
    // This policy.h has no bundle serialisation (pol_bundle_load).
    state.SkipWithError("bundle loading not implemented");
}
#endif

void add_workloads(const std::string &root, std::vector<std::unique_ptr<Workload>> &out)
{
    if (root.empty())
        return;
    char *names[kMaxWorkloads];
    size_t n = workload_list(root.c_str(), names, kMaxWorkloads);
    if (n == 0)
        std::fprintf(stderr, "policy_bench: no workloads under %s\n", root.c_str());
    for (size_t i = 0; i < n; i++) {
        std::unique_ptr<Workload> wl(new Workload);
        char msg[512] = "";
        std::string dir = root + "/" + names[i];
        wl->read_ok = workload_read(dir.c_str(), names[i], &wl->w, msg, sizeof msg);
        if (!wl->read_ok) {
            wl->error = msg;
            std::snprintf(wl->w.name, sizeof wl->w.name, "%s", names[i]);
        }
        std::free(names[i]);
        out.push_back(std::move(wl));
    }
}

void register_all(std::vector<std::unique_ptr<Workload>> &loads)
{
    for (auto &up : loads) {
        Workload *wl = up.get();
        std::string name = wl->w.name;
        if (!wl->read_ok) {
            // Still registered, so the failure shows up in the report.
            benchmark::RegisterBenchmark(("eval/" + name + "/json").c_str(),
                                         [wl](benchmark::State &s) { fail(s, wl->error); });
            continue;
        }
        for (size_t vi = 0; vi < wl->w.n_variants; vi++) {
            char label[WORKLOAD_NAME_MAX * 2];
            workload_variant_label(&wl->w, vi, label, sizeof label);
            for (Mode m : {Mode::Prebuilt, Mode::Json, Mode::Cached})
                benchmark::RegisterBenchmark(("eval/" + std::string(label) + "/" + mode_name(m)).c_str(),
                                             [wl, vi, m](benchmark::State &s) { bench_eval(s, wl, vi, m); });
        }
        benchmark::RegisterBenchmark(("compile/" + name).c_str(), [wl](benchmark::State &s) {
            bench_compile(s, wl);
        })->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("load/" + name).c_str(), [wl](benchmark::State &s) {
            bench_load(s, wl);
        })->Unit(benchmark::kMillisecond);
    }
}

// Takes "--name=VALUE" out of argv (after benchmark::Initialize has taken
// its own flags), so ReportUnrecognizedArguments sees only typos.
bool take_flag(int *argc, char **argv, const char *name, std::string *value)
{
    size_t n = std::strlen(name);
    for (int i = 1; i < *argc; i++) {
        if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') {
            *value = argv[i] + n + 1;
            for (int j = i; j + 1 < *argc; j++)
                argv[j] = argv[j + 1];
            --*argc;
            return true;
        }
    }
    return false;
}

const char kUsage[] = "policy_bench: libpolicy benchmarks (Google Benchmark flags apply, e.g.\n"
                      "  --benchmark_filter=REGEX --benchmark_repetitions=5 --benchmark_min_time=SECONDS)\n"
                      "  --corpus=DIR      workload folders (default: " BENCH_CORPUS_DIR ")\n"
                      "  --generated=DIR   generated scaled workloads (default: " BENCH_GENERATED_DIR ")\n";

} // namespace

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0)
            std::fputs(kUsage, stdout);
    benchmark::Initialize(&argc, argv);
    std::string corpus = BENCH_CORPUS_DIR, generated = BENCH_GENERATED_DIR;
    take_flag(&argc, argv, "--corpus", &corpus);
    take_flag(&argc, argv, "--generated", &generated);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    std::vector<std::unique_ptr<Workload>> loads;
    add_workloads(corpus, loads);
    add_workloads(generated, loads);
    if (loads.empty())
        return 1;
    register_all(loads);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    if (g_failures > 0)
        std::fprintf(stderr, "policy_bench: %d benchmark run(s) failed (see ERROR OCCURRED above)\n",
                     g_failures);
    return g_failures > 0 ? 1 : 0;
}
