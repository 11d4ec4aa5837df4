/* Benchmark workloads: a folder with policy.rego, data.json, query.txt and
 * input[_<variant>].json / expected[_<variant>].json pairs, as described in
 * shared/bench/README.md. Shared by the Google Benchmark suite, the
 * performance tests (tests/perf) and nothing else; only the public API is
 * used. Everything here runs at setup time and may allocate; checking a
 * result (workload_result_matches) does not. */
#ifndef POL_BENCH_WORKLOAD_H
#define POL_BENCH_WORKLOAD_H

#include "policy.h"

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { WORKLOAD_MAX_VARIANTS = 8, WORKLOAD_NAME_MAX = 128 };

typedef struct workload_variant {
    char suffix[WORKLOAD_NAME_MAX]; /* "" for input.json, "denied" for input_denied.json */
    char *input;                    /* JSON text, NUL-terminated */
    size_t input_len;
    char *expected; /* canonical (compact, OPA-ordered) JSON of the expected value */
    size_t expected_len;
} workload_variant;

typedef struct workload {
    char name[WORKLOAD_NAME_MAX]; /* folder name, e.g. "rbac" or "rbac_100000" */
    char *policy;
    size_t policy_len;
    char *data;
    size_t data_len;
    char query[256]; /* e.g. "data.rbac.allow" */
    workload_variant variants[WORKLOAD_MAX_VARIANTS];
    size_t n_variants; /* variants[0] is the primary input */
} workload;

/* Reads the workload in `dir`, named `name`, and canonicalises each
 * expected value by round-tripping it through the engine (so a set that
 * OPA printed as a sorted array compares equal to ours). Returns false
 * with a message in errbuf on any failure. */
bool workload_read(const char *dir, const char *name, workload *w, char *errbuf, size_t errcap);
void workload_free(workload *w);

/* Compiles the workload's policy and data with its query as the only
 * entrypoint; *ep receives the entrypoint id. */
pol_bundle *workload_compile(const workload *w, int *ep, pol_error *err);

/* Lists the sub-folders of `root` that contain a query.txt, sorted.
 * Returns how many names were written (at most max), each a malloc'd
 * string the caller frees. */
size_t workload_list(const char *root, char **names, size_t max);

/* "rbac", "rbac_denied": the workload name plus "_<suffix>" when the
 * variant has one. */
void workload_variant_label(const workload *w, size_t variant, char *buf, size_t cap);

/* Whether `v` equals the variant's expected value as JSON values: the same
 * canonical text, except that numbers compare by value (the expected files
 * were written through a float64 round trip, so 57450.740000000000002 from
 * a 64-bit-mantissa sum is stored as 57450.74). `scratch` must hold
 * WORKLOAD_SCRATCH(expected_len) bytes; nothing is allocated, so the check
 * may run inside an allocation-counted region. */
#define WORKLOAD_SCRATCH(expected_len) (2 * (size_t)(expected_len) + 256)
bool workload_result_matches(const workload_variant *variant, const pol_value *v, char *scratch);

/* Reads a whole file into a malloc'd NUL-terminated buffer (NULL on error). */
char *workload_read_file(const char *path, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
