/*
 * libpolicy — an embeddable Rego (Open Policy Agent) policy engine.
 *
 * This is the only public header. Everything the library exports starts
 * with pol_ / POL_.
 *
 * Life cycle:
 *   pol_compiler  ──add modules, data, entrypoints──►  pol_bundle (immutable)
 *   pol_bundle    ──pol_ctx_new──►  pol_ctx (one per thread)  ──pol_eval_*──►  pol_result
 *
 * Thread safety: a pol_bundle is immutable and may be shared by any number
 * of threads. A pol_ctx must be used by one thread at a time; give each
 * evaluating thread its own context. A pol_compiler is single-threaded.
 *
 * Errors: every fallible call returns a pol_status (POL_OK == 0) and, when
 * the caller passes a non-NULL pol_error, fills it with the code, a
 * message and (for source errors) file:line:col. The library never prints,
 * exits or aborts on bad input.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define POL_EXPORT
#else
#define POL_EXPORT __attribute__((visibility("default")))
#endif

/* ---- version ----------------------------------------------------------- */

/* The API version changes when this header changes incompatibly; the bundle
 * format has its own version (pol_bundle_format_version()). */
#define POL_API_VERSION 1
#define POL_VERSION_STRING "0.1.0"

POL_EXPORT const char *pol_version(void);

/* ---- allocator --------------------------------------------------------- */

/* Injected into the compiler, the bundle and contexts. NULL means libc.
 * realloc is told the old size (as lua_Alloc is) so pool allocators work.
 * Evaluation never calls it: contexts allocate everything up front. */
typedef struct pol_alloc {
    void *(*malloc)(void *user, size_t size);
    void *(*realloc)(void *user, void *ptr, size_t old_size, size_t new_size);
    void (*free)(void *user, void *ptr, size_t size);
    void *user;
} pol_alloc;

/* ---- errors ------------------------------------------------------------ */

/* One table of status codes: X(ENUM_SUFFIX, "wire name", "meaning").
 * The wire names of the OPA-defined codes are OPA's own, so callers and
 * tooling that match on them keep working. */
#define POL_STATUS_LIST(X)                                                                                   \
    X(OK, "ok", "success")                                                                                   \
    X(UNDEFINED, "undefined", "the decision is undefined")                                                   \
    X(NOMEM, "out_of_memory", "an allocation failed")                                                        \
    X(INVALID_ARGUMENT, "invalid_argument", "an argument to the API is invalid")                             \
    X(IO, "io_error", "a file could not be read or written")                                                 \
    X(JSON, "json_parse_error", "invalid JSON or YAML")                                                      \
    X(PARSE, "rego_parse_error", "the policy or query does not parse")                                       \
    X(COMPILE, "rego_compile_error", "the policy does not compile")                                          \
    X(TYPE, "rego_type_error", "a type error found at compile time")                                         \
    X(UNSAFE_VAR, "rego_unsafe_var_error", "a variable is never bound")                                      \
    X(RECURSION, "rego_recursion_error", "a rule depends on itself")                                         \
    X(EVAL_CONFLICT, "eval_conflict_error", "a rule produced conflicting values")                            \
    X(EVAL_TYPE, "eval_type_error", "a builtin got an operand of the wrong type")                            \
    X(EVAL_BUILTIN, "eval_builtin_error", "a builtin failed")                                                \
    X(EVAL_WITH_MERGE, "eval_with_merge_error", "a with modifier could not merge")                           \
    X(LIMIT_INSTRUCTIONS, "eval_instruction_limit", "the instruction budget ran out")                        \
    X(LIMIT_DEPTH, "eval_depth_limit", "calls nested deeper than allowed")                                   \
    X(LIMIT_ARENA, "eval_arena_limit", "the context arena is full")                                          \
    X(LIMIT_OUTPUT, "eval_output_limit", "the result is larger than allowed")                                \
    X(BUNDLE, "bundle_error", "a bundle is malformed or incompatible")                                       \
    X(INTERNAL, "internal_error", "an internal invariant failed")

typedef enum pol_status {
#define POL_STATUS_ENUM(name, wire, meaning) POL_##name,
    POL_STATUS_LIST(POL_STATUS_ENUM)
#undef POL_STATUS_ENUM
        POL_STATUS_COUNT
} pol_status;

/* Caller-owned; the library never allocates for an error. */
typedef struct pol_error {
    pol_status code;
    char message[512];
    char file[128]; /* "" when the error has no source position */
    uint32_t line;  /* 1-based; 0 = unknown */
    uint32_t col;   /* 1-based; 0 = unknown */
} pol_error;

/* "rego_parse_error" etc.; never NULL. */
POL_EXPORT const char *pol_status_name(pol_status code);

/* ---- compile ----------------------------------------------------------- */

typedef struct pol_compiler pol_compiler;
typedef struct pol_bundle pol_bundle;

POL_EXPORT pol_compiler *pol_compiler_new(const pol_alloc *alloc);
POL_EXPORT void pol_compiler_free(pol_compiler *c);

enum pol_compile_flags {
    /* Also resolve the builtins OPA's own test harness registers (today
     * test.sleep(duration): sleeps, returns null). Off by default, where
     * calling one is "undefined function", as in OPA. */
    POL_COMPILE_TEST_BUILTINS = 1u << 0,
};

/* Replaces the compile flags (POL_COMPILE_*, default 0); they apply to
 * everything compiled by the next pol_compiler_build. */
POL_EXPORT void pol_compiler_set_flags(pol_compiler *c, unsigned flags);

/* Adds one Rego v1 module. filename is used in error positions. */
POL_EXPORT pol_status pol_compiler_add_module(pol_compiler *c, const char *filename, const char *src,
                                              size_t len, pol_error *err);

/* Merges a JSON object into the base document at `path` (NULL or "" for
 * the root, else dot-separated, e.g. "a.b"). filename is used in errors. */
POL_EXPORT pol_status pol_compiler_add_data_json(pol_compiler *c, const char *path, const char *filename,
                                                 const char *json, size_t len, pol_error *err);

/* Same as pol_compiler_add_data_json for a YAML document. */
POL_EXPORT pol_status pol_compiler_add_data_yaml(pol_compiler *c, const char *path, const char *filename,
                                                 const char *yaml, size_t len, pol_error *err);

/* Declares an entrypoint: "data.a.b", "a/b" or "a.b" all name data.a.b.
 * Evaluating it yields the document's value (or POL_UNDEFINED). */
POL_EXPORT pol_status pol_compiler_add_entrypoint(pol_compiler *c, const char *ref, pol_error *err);

/* Declares a query entrypoint named `name`: any Rego query body
 * ("x := data.a; x > 1"). Evaluating it yields OPA's result set:
 * [{"expressions":[{"value":V,"text":T},…],"bindings":{VAR:V,…}}, …]
 * (an empty array when the query has no solution). */
POL_EXPORT pol_status pol_compiler_add_query(pol_compiler *c, const char *name, const char *query, size_t len,
                                             pol_error *err);

/* Compiles everything added so far into an immutable bundle. The compiler
 * may be freed afterwards. */
POL_EXPORT pol_bundle *pol_compiler_build(pol_compiler *c, pol_error *err);

/* ---- bundle ------------------------------------------------------------ */

/* Bundles are reference counted; pol_compiler_build returns one reference. */
POL_EXPORT void pol_bundle_retain(pol_bundle *b);
POL_EXPORT void pol_bundle_release(pol_bundle *b);

/* Entrypoint id for a name given to add_entrypoint/add_query (any of the
 * spellings for refs), or -1. Resolve once, evaluate many times. */
POL_EXPORT int pol_bundle_entrypoint(const pol_bundle *b, const char *name);
POL_EXPORT size_t pol_bundle_entrypoint_count(const pol_bundle *b);
POL_EXPORT const char *pol_bundle_entrypoint_name(const pol_bundle *b, size_t i);

/* Writes a human-readable listing of the bytecode (for tests and
 * `policy build --disasm`). Returns bytes needed (excluding NUL); writes at
 * most cap bytes, always NUL-terminated when cap > 0. */
POL_EXPORT size_t pol_bundle_disassemble(const pol_bundle *b, char *buf, size_t cap);

/* Bundle files: a compiled bundle as bytes, to build once and load
 * anywhere (`policy build`, hot reload from disk or network).
 *
 * The format is versioned separately from the API
 * (pol_bundle_format_version()) and is deterministic: the same program
 * saves to the same bytes. */
POL_EXPORT uint32_t pol_bundle_format_version(void);

/* Serialises b, measure-then-write: with buf == NULL only sets *needed
 * (the file size) and returns POL_OK; otherwise writes the file into buf
 * when cap >= *needed, else writes nothing and returns POL_INVALID_ARGUMENT
 * ("buffer too small"). needed may be NULL. Temporary memory comes from
 * the bundle's allocator. */
POL_EXPORT pol_status pol_bundle_save(const pol_bundle *b, void *buf, size_t cap, size_t *needed,
                                      pol_error *err);

/* Loads a bundle from bytes, which are untrusted: the loader checks the
 * header, checksum, every section bound, every table index, value
 * invariants (sorted unique object keys and set elements, canonical
 * numbers, nesting depth) and verifies all bytecode before returning.
 * Returns one reference, or NULL with err->code POL_BUNDLE (malformed:
 * err->message says what, "bundle: ...") or POL_NOMEM. bytes need not
 * outlive the call. alloc may be NULL (libc); it is copied, and its user
 * data must outlive the bundle. */
POL_EXPORT pol_bundle *pol_bundle_load(const void *bytes, size_t len, const pol_alloc *alloc, pol_error *err);

/* ---- context ----------------------------------------------------------- */

typedef struct pol_ctx pol_ctx;

/* Per-context limits. Zero in any field means the default. */
typedef struct pol_ctx_options {
    size_t arena_bytes;         /* evaluation memory; default 8 MiB */
    uint64_t max_instructions;  /* per evaluation; default 100,000,000 */
    uint32_t max_depth;         /* nested rule/function calls; default 512 */
    size_t max_output_bytes;    /* JSON result size; default 64 MiB */
    uint32_t regex_match_limit; /* PCRE2 match limit; default 1,000,000 */
    uint32_t regex_depth_limit; /* PCRE2 depth limit; default 10,000 */
    uint32_t reserved[8];       /* must be zero */
} pol_ctx_options;

/* options may be NULL (defaults). */
POL_EXPORT pol_ctx *pol_ctx_new(pol_bundle *b, const pol_ctx_options *options, pol_error *err);
POL_EXPORT void pol_ctx_free(pol_ctx *ctx);

/* ---- evaluation -------------------------------------------------------- */

typedef struct pol_value pol_value; /* valid until the next eval on its ctx */

enum pol_eval_flags {
    POL_EVAL_STRICT_BUILTIN_ERRORS = 1u << 0, /* builtin errors fail the query (see pol_eval_json) */
    POL_EVAL_NO_INPUT = 1u << 1,              /* `input` is undefined */
    POL_EVAL_USE_CACHE = 1u << 2,             /* consult / fill the context's decision cache */
};

typedef struct pol_result {
    const pol_value *value; /* NULL when undefined */
} pol_result;

/* Evaluates entrypoint `ep` with `input` as JSON text (ignored with
 * POL_EVAL_NO_INPUT). Returns POL_OK with out->value set, POL_UNDEFINED
 * with out->value NULL, or an error with out->value NULL, except:
 * with POL_EVAL_STRICT_BUILTIN_ERRORS a failing builtin makes its
 * expression undefined and evaluation goes on, as in OPA's evaluator; the
 * first such error is then returned and out->value holds the value
 * computed without it (NULL if undefined), as OPA returns its result set
 * beside the error. Without the flag a failing builtin is only undefined. */
POL_EXPORT pol_status pol_eval_json(pol_ctx *ctx, int ep, const char *input, size_t len, unsigned flags,
                                    pol_result *out, pol_error *err);

/* ---- input without JSON -------------------------------------------------- */

/* Values built in a context's arena, for gateways and bindings that already
 * hold the request as structured data. Sequence per decision:
 *   pol_ctx_reset(ctx);  build values;  pol_eval_value(ctx, ep, input, …);
 * Built values stay valid until the next pol_ctx_reset or pol_eval_json.
 * Builders return NULL when the arena is full (pol_ctx_options.arena_bytes). */
POL_EXPORT void pol_ctx_reset(pol_ctx *ctx);
POL_EXPORT const pol_value *pol_make_null(pol_ctx *ctx);
POL_EXPORT const pol_value *pol_make_bool(pol_ctx *ctx, bool b);
POL_EXPORT const pol_value *pol_make_int(pol_ctx *ctx, int64_t i);
POL_EXPORT const pol_value *pol_make_double(pol_ctx *ctx, double d);
POL_EXPORT const pol_value *pol_make_string(pol_ctx *ctx, const char *s, size_t len); /* copies */

/* Caller-owned builder state for arrays and objects (no allocation). */
typedef struct pol_builder {
    void *opaque[6];
} pol_builder;

POL_EXPORT void pol_array_begin(pol_ctx *ctx, pol_builder *b);
POL_EXPORT bool pol_array_push(pol_builder *b, const pol_value *v);
POL_EXPORT const pol_value *pol_array_end(pol_builder *b);
/* Object keys are strings; a repeated key keeps the last value. */
POL_EXPORT void pol_object_begin(pol_ctx *ctx, pol_builder *b);
POL_EXPORT bool pol_object_put(pol_builder *b, const char *key, size_t len, const pol_value *v);
POL_EXPORT const pol_value *pol_object_end(pol_builder *b);

/* Evaluates with `input` built as above (NULL: input undefined). The input
 * may be reused across evaluations until the next pol_ctx_reset: each
 * evaluation reclaims the memory of the previous one (whose result becomes
 * invalid), unless values were built after it. */
POL_EXPORT pol_status pol_eval_value(pol_ctx *ctx, int ep, const pol_value *input, unsigned flags,
                                     pol_result *out, pol_error *err);

/* ---- decision cache ------------------------------------------------------ */

/* A fixed-capacity cache of decisions for one bundle, shared by any number
 * of contexts and threads (readers never block; a writer that finds its
 * slot busy skips the insert). Only entrypoints the compiler proved
 * deterministic are cached (no time.now_ns, rand.*, uuid.*, http.send,
 * net.lookup_ip_addr). A new bundle needs a new cache, so stale decisions
 * cannot survive a reload. Nothing is allocated after pol_cache_new.
 *
 * Keys are hashes, not copies of the input: a 128-bit XXH3 of the input
 * (the JSON bytes for pol_eval_json, the exact value for pol_eval_value),
 * keyed with a secret each cache draws from the OS (getrandom) when it is
 * created, so inputs cannot be crafted offline to collide with a cached
 * decision; the entrypoint and flags are compared exactly. Two different
 * inputs share a key, and one gets the other's decision, with probability
 * below 2^-64 per lookup. JSON texts that differ in any byte (spacing, key
 * order) are different keys; so are values that differ in representation
 * (a number given as 1e30 or as its 31 digits).
 *
 * A hit copies the decision into the context's arena (where it stays
 * valid like any result): max_result_bytes counts exactly those bytes —
 * the values' structs (24 bytes each on 64-bit targets), their element
 * arrays (8 bytes per array element, 16 per object member) and string
 * bytes (+1 each) — about twice the JSON text of a result made of short
 * strings. null, booleans, empty strings and empty collections take no
 * bytes, so such decisions and "undefined" are always cached; nor do the
 * bundle's own values (policy constants, the base document), which a hit
 * returns by address as an evaluation does (a decision that is one of
 * them takes its struct). */
typedef struct pol_cache pol_cache;

typedef struct pol_cache_options {
    size_t entries;          /* slots; default 4096 (rounded up to a power of two) */
    size_t max_result_bytes; /* results whose copy (see above) is larger are not cached; default 512, at most
                                16384 */
    uint32_t reserved[8];
} pol_cache_options;

typedef struct pol_cache_stats {
    uint64_t hits, misses, inserts, evictions, skipped;
} pol_cache_stats;

/* Memory: entries × (40 + 1.25 × max_result_bytes rounded up to 32)
 * bytes, plus about 400. */
POL_EXPORT pol_cache *pol_cache_new(pol_bundle *b, const pol_cache_options *options, pol_error *err);
POL_EXPORT void pol_cache_free(pol_cache *c);
POL_EXPORT void pol_cache_stats_get(const pol_cache *c, pol_cache_stats *out);
/* Attach (or detach with NULL) a cache to a context; used by evaluations
 * that pass POL_EVAL_USE_CACHE. The cache must belong to ctx's bundle. */
POL_EXPORT pol_status pol_ctx_set_cache(pol_ctx *ctx, pol_cache *c);

/* Whether entrypoint ep may be cached (the compiler's determinism proof). */
POL_EXPORT bool pol_bundle_entrypoint_cacheable(const pol_bundle *b, int ep);

/* ---- values ------------------------------------------------------------ */

typedef enum pol_type {
    POL_NULL,
    POL_BOOLEAN,
    POL_NUMBER,
    POL_STRING,
    POL_ARRAY,
    POL_OBJECT,
    POL_SET,
} pol_type;

POL_EXPORT pol_type pol_value_type(const pol_value *v);
POL_EXPORT bool pol_value_bool(const pol_value *v);
/* Numbers: as double; and as int64 when exact (returns false otherwise). */
POL_EXPORT double pol_value_number(const pol_value *v);
POL_EXPORT bool pol_value_int64(const pol_value *v, int64_t *out);
/* Strings: bytes (not NUL-terminated in general) and length. */
POL_EXPORT const char *pol_value_string(const pol_value *v, size_t *len);
/* Arrays, sets and objects: element count; i-th element (sets in sorted
 * order); objects: i-th key and value in canonical order. */
POL_EXPORT size_t pol_value_length(const pol_value *v);
POL_EXPORT const pol_value *pol_value_index(const pol_value *v, size_t i);
POL_EXPORT const pol_value *pol_value_key(const pol_value *v, size_t i);
POL_EXPORT const pol_value *pol_value_get(const pol_value *v, const char *key); /* object by string key */

/* Serializes in OPA's canonical JSON (sets as sorted arrays). Returns bytes
 * needed excluding NUL; writes at most cap bytes, NUL-terminated if cap>0.
 * pretty != 0 indents with two spaces as `opa eval --format pretty`. */
POL_EXPORT size_t pol_value_to_json(const pol_value *v, int pretty, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* POLICY_H */
