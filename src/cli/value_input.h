/* JSON text → pol_value through the public builder API (pol_make_*,
 * pol_array_*, pol_object_*), for callers that evaluate with
 * pol_eval_value: `policy bench`, the benchmarks and the performance
 * tests build their input once and reuse it. */
#ifndef POL_VALUE_INPUT_H
#define POL_VALUE_INPUT_H

#include "policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Containers nested deeper than this are rejected rather than recursed
 * into, so hostile input cannot exhaust the C stack. */
enum { VALUE_INPUT_MAX_DEPTH = 512 };

/* Builds the JSON document json[0..len) in ctx's arena. `scratch` must
 * hold at least `len` bytes: unescaped strings are staged there (an
 * unescaped string is never longer than its escaped form) and every staged
 * string keeps its own bytes until the call returns. Allocates nothing.
 * Returns NULL and writes a message to errbuf when the text is not one
 * JSON value or the arena is full. Numbers that are integers within int64
 * become pol_make_int, all others pol_make_double. */
const pol_value *value_input_from_json(pol_ctx *ctx, const char *json, size_t len, char *scratch,
                                       char *errbuf, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif
