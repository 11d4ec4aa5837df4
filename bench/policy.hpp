// Thin C++ shim over the public C API (include/policy.h) for the benchmark
// suite: RAII owners for bundles, contexts and caches, so that a benchmark
// that bails out early (SkipWithError) still releases everything. Nothing
// here adds behaviour; every call maps to one pol_* function.
#ifndef POL_BENCH_POLICY_HPP
#define POL_BENCH_POLICY_HPP

#include "policy.h"

#include <cstring>
#include <memory>
#include <string>

namespace pol {

struct BundleRelease {
    void operator()(pol_bundle *b) const { pol_bundle_release(b); }
};
struct CtxFree {
    void operator()(pol_ctx *c) const { pol_ctx_free(c); }
};
struct CacheFree {
    void operator()(pol_cache *c) const { pol_cache_free(c); }
};

using Bundle = std::unique_ptr<pol_bundle, BundleRelease>;
using Ctx = std::unique_ptr<pol_ctx, CtxFree>;
using Cache = std::unique_ptr<pol_cache, CacheFree>;

// A zeroed pol_error, as the API expects from callers.
inline pol_error no_error()
{
    pol_error e;
    std::memset(&e, 0, sizeof e);
    return e;
}

// "rego_parse_error: policy.rego:3:1: ..." for SkipWithError messages.
inline std::string describe(const pol_error &e)
{
    std::string s = pol_status_name(e.code);
    s += ": ";
    if (e.file[0]) {
        s += std::string(e.file, strnlen(e.file, sizeof e.file));
        if (e.line)
            s += ":" + std::to_string(e.line) + ":" + std::to_string(e.col);
        s += ": ";
    }
    s += std::string(e.message, strnlen(e.message, sizeof e.message));
    return s;
}

// Canonical JSON of a result value (allocates; setup and error paths only).
inline std::string to_json(const pol_value *v)
{
    if (!v)
        return "undefined";
    std::string s(pol_value_to_json(v, 0, nullptr, 0), '\0');
    pol_value_to_json(v, 0, &s[0], s.size() + 1);
    return s;
}

inline Ctx make_ctx(pol_bundle *b, pol_error *err)
{
    return Ctx(pol_ctx_new(b, nullptr, err));
}

inline Cache make_cache(pol_bundle *b, size_t max_result_bytes, pol_error *err)
{
    pol_cache_options o;
    std::memset(&o, 0, sizeof o);
    o.max_result_bytes = max_result_bytes;
    return Cache(pol_cache_new(b, &o, err));
}

} // namespace pol

#endif
