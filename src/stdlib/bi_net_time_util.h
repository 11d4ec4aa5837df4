/* Small helpers shared by the net, time and identifier builtins
 * (bi_net.c, bi_time.c, bi_net_time.c). Internal to src/stdlib. */
#ifndef POL_STDLIB_BI_NET_TIME_UTIL_H
#define POL_STDLIB_BI_NET_TIME_UTIL_H

#include "builtins.h"

#include <string.h>

#define NT_NS_PER_SEC 1000000000LL

static inline bool nt_is_str(const val *v)
{
    return v && v->type == V_STR;
}

static inline bool nt_is_num(const val *v)
{
    return v && v->type == V_NUM;
}

static inline bool nt_is_digit_at(const char *s, size_t n, size_t i)
{
    return i < n && s[i] >= '0' && s[i] <= '9';
}

static inline int64_t nt_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static inline int64_t nt_floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0)))
        r += b;
    return r;
}

/* OPA's IntOperand: an integral number, else a type error. */
static inline bi_status nt_int_operand(bi_ctx *ctx, const char *name, int pos, const val *v, int64_t *out)
{
    if (!nt_is_num(v))
        return bi_type_fail(ctx, name, pos, "number", v);
    if (v->nk != NUM_INT || !val_is_int(v, out))
        return bi_fail(ctx, POL_EVAL_TYPE,
                       "%s: operand %d must be integer number but got floating-point number", name, pos);
    return BI_OK;
}

/* A string value from text that lives on the stack. */
static inline bi_status nt_out_str(bi_ctx *ctx, const char *s, size_t n, const val **out)
{
    *out = v_str(ctx->arena, s, n);
    return *out ? BI_OK : bi_oom(ctx);
}

static inline bi_status nt_out_int(bi_ctx *ctx, int64_t i, const val **out)
{
    *out = v_int(ctx->arena, i);
    return *out ? BI_OK : bi_oom(ctx);
}

static inline int nt_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static inline uint32_t nt_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Go's match: ASCII case-insensitive comparison of letters. */
static inline bool nt_ascii_fold_eq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x != y) {
            x |= 0x20;
            y |= 0x20;
            if (x != y || x < 'a' || x > 'z')
                return false;
        }
    }
    return true;
}

#endif
