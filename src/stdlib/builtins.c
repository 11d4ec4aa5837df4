/* Expands POL_BUILTINS into the table and implements the shared failure
 * helpers. */
#include "builtins.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BI_DECL(id, name, arity, flags, fn)                                                                  \
    bi_status fn(bi_ctx *ctx, const val *const *args, const val **out);
POL_BUILTINS(BI_DECL)
#undef BI_DECL

const bi_info bi_table[BI_COUNT] = {
#define BI_ROW(id, name, arity, flags, fn) [BI_##id] = {name, arity, flags, fn},
    POL_BUILTINS(BI_ROW)
#undef BI_ROW
};

int bi_lookup(const char *name, size_t len)
{
    for (int i = 0; i < BI_COUNT; i++) {
        if (strlen(bi_table[i].name) == len && memcmp(bi_table[i].name, name, len) == 0)
            return i;
    }
    return -1;
}

bi_status bi_fail(bi_ctx *ctx, pol_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->err_msg, sizeof ctx->err_msg, fmt, ap);
    va_end(ap);
    ctx->err_code = code;
    return BI_ERR;
}

bi_status bi_type_fail(bi_ctx *ctx, const char *name, int n, const char *expected, const val *got)
{
    return bi_fail(ctx, POL_EVAL_TYPE, "%s: operand %d must be %s but got %s", name, n, expected,
                   got ? vtype_name((vtype)got->type) : "undefined");
}

bi_status bi_oom(bi_ctx *ctx)
{
    return bi_fail(ctx, POL_LIMIT_ARENA, "evaluation arena exhausted");
}

int64_t bi_now_ns(bi_ctx *ctx)
{
    if (ctx->now_ns == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ctx->now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    }
    return ctx->now_ns;
}

uint64_t bi_seed(bi_ctx *ctx)
{
    if (ctx->seed == 0)
        ctx->seed = ((uint64_t)bi_now_ns(ctx) ^ (uint64_t)(uintptr_t)ctx) | 1;
    return ctx->seed;
}
