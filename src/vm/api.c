/* Public API of the VM side: bundles, contexts, evaluation, values. */
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "policy.h"
#include "vm.h"

#define DEFAULT_ARENA (8u << 20)
#define DEFAULT_INSNS 100000000ull
#define DEFAULT_DEPTH 512u
#define DEFAULT_OUTPUT (64u << 20)
#define DEFAULT_REGEX_MATCH 1000000u
#define DEFAULT_REGEX_DEPTH 10000u
/* Register stack: every live frame's registers. 256 Ki registers (2 MiB)
 * covers max_depth frames of typical procedures; a deeper need is a
 * POL_LIMIT_DEPTH error, not an overflow. */
#define REG_STACK 262144u
#define SLOT_STACK 65536u
/* Compiled regular expressions kept per context (see rx_cache_init). */
#define RX_CACHE_BYTES (1u << 20)
/* Prepared sprintf formats kept per context (bi_ctx.prep_mem): a plan
 * takes a few dozen bytes, so this holds thousands; when full, formats
 * are parsed per call as before. */
#define PREP_ARENA_BYTES (64u << 10)

POL_EXPORT const char *pol_version(void)
{
    return POL_VERSION_STRING;
}

POL_EXPORT const char *pol_status_name(pol_status code)
{
    static const char *const names[] = {
#define POL_STATUS_NAME(name, wire, meaning) wire,
        POL_STATUS_LIST(POL_STATUS_NAME)
#undef POL_STATUS_NAME
    };
    if ((unsigned)code >= POL_STATUS_COUNT)
        return "unknown_error";
    return names[code];
}

/* ---- bundle ------------------------------------------------------------ */

POL_EXPORT void pol_bundle_retain(pol_bundle *b)
{
    if (b)
        __atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
}

POL_EXPORT void pol_bundle_release(pol_bundle *b)
{
    if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    pol_alloc alloc = b->alloc;
    bool has = b->has_alloc;
    arena_free(&b->prog.mem);
    pa_free(has ? &alloc : NULL, b, sizeof *b);
}

/* "data.a.b", "a/b" and "a.b" name the same document. */
static void normalise_ref(const char *in, char *out, size_t cap)
{
    size_t n = 0;
    if (strncmp(in, "data.", 5) != 0 && strcmp(in, "data") != 0 && strchr(in, ' ') == NULL) {
        snprintf(out, cap, "data.");
        n = 5;
    }
    for (; *in && n + 1 < cap; in++)
        out[n++] = *in == '/' ? '.' : *in;
    out[n] = 0;
}

POL_EXPORT int pol_bundle_entrypoint(const pol_bundle *b, const char *name)
{
    if (!b || !name)
        return -1;
    for (uint32_t i = 0; i < b->prog.neps; i++)
        if (strcmp(b->prog.eps[i].name, name) == 0)
            return (int)i;
    char norm[512];
    normalise_ref(name, norm, sizeof norm);
    for (uint32_t i = 0; i < b->prog.neps; i++)
        if (!b->prog.eps[i].is_query && strcmp(b->prog.eps[i].name, norm) == 0)
            return (int)i;
    return -1;
}

POL_EXPORT size_t pol_bundle_entrypoint_count(const pol_bundle *b)
{
    return b ? b->prog.neps : 0;
}

POL_EXPORT const char *pol_bundle_entrypoint_name(const pol_bundle *b, size_t i)
{
    return b && i < b->prog.neps ? b->prog.eps[i].name : NULL;
}

POL_EXPORT size_t pol_bundle_disassemble(const pol_bundle *b, char *buf, size_t cap)
{
    sbuf s;
    sb_init(&s, buf, cap);
    if (b)
        program_disasm(&b->prog, &s);
    if (cap)
        buf[s.len < cap ? s.len : cap - 1] = 0;
    return s.len;
}

/* ---- context ----------------------------------------------------------- */

static void set_err(pol_error *err, pol_status code, const char *msg)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->code = code;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

static size_t hint_bytes(const program *p)
{
    return p->ncode ? p->ncode : 1;
}

POL_EXPORT void pol_ctx_free(pol_ctx *ctx)
{
    if (!ctx)
        return;
    const pol_alloc *al = ctx->alloc;
    uint32_t np = ctx->prog->nprocs ? ctx->prog->nprocs : 1;
    rx_cache_release(ctx->bi.rx_cache);
    pa_free(al, ctx->rx_buf, RX_CACHE_BYTES);
    pa_free(al, ctx->prep_buf, ctx->prep_bytes);
    pa_free(al, ctx->arena_buf, ctx->opt.arena_bytes);
    pa_free(al, ctx->regs, sizeof *ctx->regs * (ctx->nregs_cap + VM_REG_BLOCK));
    pa_free(al, ctx->slots, sizeof *ctx->slots * ctx->nslots_cap);
    pa_free(al, ctx->memo, sizeof *ctx->memo * np);
    pa_free(al, ctx->memo_state, np);
    pa_free(al, ctx->frames, sizeof *ctx->frames * ctx->opt.max_depth);
    pa_free(al, ctx->field_hint, hint_bytes(ctx->prog));
    pol_bundle *b = ctx->bundle;
    pa_free(al, ctx, sizeof *ctx);
    pol_bundle_release(b);
}

POL_EXPORT pol_ctx *pol_ctx_new(pol_bundle *b, const pol_ctx_options *options, pol_error *err)
{
    if (!b) {
        set_err(err, POL_INVALID_ARGUMENT, "pol_ctx_new: bundle is NULL");
        return NULL;
    }
    const pol_alloc *al = b->has_alloc ? &b->alloc : NULL;
    pol_ctx *c = pa_malloc(al, sizeof *c);
    if (!c) {
        set_err(err, POL_NOMEM, "pol_ctx_new: out of memory");
        return NULL;
    }
    memset(c, 0, sizeof *c);
    c->alloc = al;
    c->bundle = b;
    c->prog = &b->prog;
    if (options)
        c->opt = *options;
    if (!c->opt.arena_bytes)
        c->opt.arena_bytes = DEFAULT_ARENA;
    if (!c->opt.max_instructions)
        c->opt.max_instructions = DEFAULT_INSNS;
    if (!c->opt.max_depth)
        c->opt.max_depth = DEFAULT_DEPTH;
    if (!c->opt.max_output_bytes)
        c->opt.max_output_bytes = DEFAULT_OUTPUT;
    if (!c->opt.regex_match_limit)
        c->opt.regex_match_limit = DEFAULT_REGEX_MATCH;
    if (!c->opt.regex_depth_limit)
        c->opt.regex_depth_limit = DEFAULT_REGEX_DEPTH;
    uint32_t np = b->prog.nprocs ? b->prog.nprocs : 1;
    c->nregs_cap = REG_STACK;
    c->nslots_cap = SLOT_STACK;
    c->arena_buf = pa_malloc(al, c->opt.arena_bytes);
    c->regs = pa_malloc(al, sizeof *c->regs * (c->nregs_cap + VM_REG_BLOCK));
    c->slots = pa_malloc(al, sizeof *c->slots * c->nslots_cap);
    c->memo = pa_malloc(al, sizeof *c->memo * np);
    c->memo_state = pa_malloc(al, np);
    c->frames = pa_malloc(al, sizeof *c->frames * c->opt.max_depth);
    c->field_hint = pa_malloc(al, hint_bytes(&b->prog));
    pol_bundle_retain(b);
    if (!c->arena_buf || !c->regs || !c->slots || !c->memo || !c->memo_state || !c->frames ||
        !c->field_hint) {
        pol_ctx_free(c);
        set_err(err, POL_NOMEM, "pol_ctx_new: out of memory");
        return NULL;
    }
    arena_init_fixed(&c->arena, c->arena_buf, c->opt.arena_bytes);
    memset(c->field_hint, 0, hint_bytes(&b->prog));
    /* like every other context allocation: all up front, or a clean error */
    c->rx_buf = pa_malloc(al, RX_CACHE_BYTES);
    c->bi.rx_cache =
        rx_cache_init(c->rx_buf, RX_CACHE_BYTES, c->opt.regex_match_limit, c->opt.regex_depth_limit);
    if (!c->bi.rx_cache) {
        pol_ctx_free(c);
        set_err(err, POL_NOMEM, "pol_ctx_new: out of memory");
        return NULL;
    }
    if (b->prog.kstr.n) {
        size_t nslots = (size_t)b->prog.kstr.n * BI_PREP_KINDS;
        size_t slot_bytes = (nslots * sizeof *c->bi.prep + 15) & ~(size_t)15;
        c->prep_bytes = slot_bytes + PREP_ARENA_BYTES;
        c->prep_buf = pa_malloc(al, c->prep_bytes);
        if (!c->prep_buf) {
            pol_ctx_free(c);
            set_err(err, POL_NOMEM, "pol_ctx_new: out of memory");
            return NULL;
        }
        memset(c->prep_buf, 0, slot_bytes);
        arena_init_fixed(&c->prep_arena, (unsigned char *)c->prep_buf + slot_bytes, PREP_ARENA_BYTES);
        c->bi.kstr = &b->prog.kstr;
        c->bi.prep = c->prep_buf;
        c->bi.prep_mem = &c->prep_arena;
    }
    return c;
}

static void begin_eval(pol_ctx *c, unsigned flags)
{
    memset(c->memo_state, MEMO_NONE, c->prog->nprocs);
    c->sp = c->slot_sp = 0;
    c->nover = c->nwith = 0;
    c->mock_floor = 0;
    c->depth = 0;
    c->budget = c->opt.max_instructions;
    c->strict = (flags & POL_EVAL_STRICT_BUILTIN_ERRORS) != 0;
    c->status = POL_OK;
    c->deferred = POL_OK;
    c->errmsg[0] = 0;
    memset(&c->errloc, 0, sizeof c->errloc);
    c->data = c->prog->data;
    c->bi.arena = &c->arena;
    c->bi.err_code = POL_OK;
    c->bi.err_msg[0] = 0;
    c->bi.now_ns = 0; /* read lazily by bi_now_ns / bi_seed */
    c->bi.seed = 0;
    c->bi.regex_match_limit = c->opt.regex_match_limit;
    c->bi.regex_depth_limit = c->opt.regex_depth_limit;
    c->bi.pcre_gctx = NULL;
}

static pol_status report(pol_ctx *c, pol_status st, pol_error *err)
{
    if (!err)
        return st;
    memset(err, 0, sizeof *err);
    err->code = st;
    snprintf(err->message, sizeof err->message, "%s", c->errmsg[0] ? c->errmsg : pol_status_name(st));
    if (c->errloc.file) {
        snprintf(err->file, sizeof err->file, "%s", c->errloc.file);
        err->line = c->errloc.line;
        err->col = c->errloc.col;
    }
    return st;
}

/* The JSON size of a scalar (escapes not counted). */
static inline size_t scalar_size(const val *v)
{
    if (v->type == V_STR)
        return (size_t)v->len + 2;
    if (v->type == V_NUM)
        return v->nk == NUM_BIG ? v->len : 24;
    return 5;
}

static size_t output_size(const val *v, size_t limit, size_t acc);

/* The JSON size of the members e[0..n) added to acc; strings, the usual
 * members, without a call. */
static size_t members_size(const val *const *e, uint32_t n, size_t limit, size_t acc)
{
    for (uint32_t i = 0; i < n; i++) {
        const val *x = e[i];
        if (x->type == V_STR)
            acc += (size_t)x->len + 2;
        else if (x->type < V_ARR)
            acc += scalar_size(x);
        else if ((acc = output_size(x, limit, acc)) > limit)
            return acc;
    }
    return acc;
}

/* The JSON size of v, counted until it passes `limit` (escapes are not
 * counted, so this is a lower bound of the serialised text). Stops early:
 * a collection's brackets and separators are counted before its members,
 * so a loop runs only while they fit the limit, and every nested
 * collection's total is checked; the cost is at most proportional to the
 * limit, not to the result. Depth is bounded by the parsers' and builders'
 * depth limits. */
static size_t output_size(const val *v, size_t limit, size_t acc)
{
    if (v->type < V_ARR)
        return acc + scalar_size(v);
    bool obj = v->type == V_OBJ;
    acc += 2 + (size_t)v->len * (obj ? 2 : 1); /* brackets, separators, colons */
    if (acc > limit)
        return acc;
    if (obj && (acc = members_size(v->u.o.k, v->len, limit, acc)) > limit)
        return acc;
    return members_size(obj ? v->u.o.v : v->u.a, v->len, limit, acc);
}

/* Runs entrypoint ep with ctx->input already set, consulting and filling
 * the decision cache when the caller asked for it and the compiler proved
 * the entrypoint deterministic. */
static pol_status run_entry(pol_ctx *ctx, int ep, const cache_key *key, bool lookup, pol_result *out,
                            pol_error *err)
{
    bool cached = key != NULL;
    if (cached && lookup) {
        const val *v = NULL;
        bool defined = false;
        if (cache_lookup(ctx->cache, key, &ctx->arena, &v, &defined)) {
            out->value = (const pol_value *)v;
            return defined ? POL_OK : POL_UNDEFINED;
        }
    }
    const val *result = NULL;
    pol_status st = vm_call(ctx, ctx->prog->eps[ep].proc, NULL, &result);
    if (st != POL_OK)
        return report(ctx, st, err);
    if (ctx->deferred != POL_OK) {
        out->value = (const pol_value *)result; /* what OPA's result set holds beside the error */
        return report(ctx, ctx->deferred, err);
    }
    if (result && output_size(result, ctx->opt.max_output_bytes, 0) > ctx->opt.max_output_bytes) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "the result is larger than max_output_bytes (%zu; raise pol_ctx_options.max_output_bytes)",
                 ctx->opt.max_output_bytes);
        set_err(err, POL_LIMIT_OUTPUT, msg);
        return POL_LIMIT_OUTPUT;
    }
    if (cached)
        cache_insert(ctx->cache, key, result, &ctx->arena);
    out->value = (const pol_value *)result;
    return result ? POL_OK : POL_UNDEFINED;
}

static bool check_eval_args(pol_ctx *ctx, int ep, pol_result *out, pol_error *err)
{
    if (out)
        out->value = NULL;
    if (!ctx || !out || ep < 0 || (uint32_t)ep >= ctx->prog->neps) {
        set_err(err, POL_INVALID_ARGUMENT, "pol_eval: invalid context, entrypoint or result pointer");
        return false;
    }
    return true;
}

static bool use_cache(const pol_ctx *ctx, int ep, unsigned flags)
{
    return (flags & POL_EVAL_USE_CACHE) && ctx->cache && !ctx->prog->procs[ctx->prog->eps[ep].proc].nondet;
}

/* Flags that change a decision are part of its cache key (the tweak:
 * bits 48 and up are the cache's). */
static uint64_t key_seed(int ep, unsigned flags)
{
    return ((uint64_t)(uint32_t)ep << 8) | (flags & (POL_EVAL_STRICT_BUILTIN_ERRORS | POL_EVAL_NO_INPUT));
}

POL_EXPORT pol_status pol_eval_json(pol_ctx *ctx, int ep, const char *input, size_t len, unsigned flags,
                                    pol_result *out, pol_error *err)
{
    if (!check_eval_args(ctx, ep, out, err))
        return POL_INVALID_ARGUMENT;
    arena_reset(&ctx->arena);
    ctx->have_eval_mark = false;
    if (!input)
        flags |= POL_EVAL_NO_INPUT;
    cache_key key, *kp = NULL;
    if (use_cache(ctx, ep, flags)) {
        /* a hit costs hashing the bytes and copying the result: the input
         * is not parsed and nothing else is set up */
        cache_key_json(ctx->cache, input, flags & POL_EVAL_NO_INPUT ? 0 : len, key_seed(ep, flags), &key);
        kp = &key;
        const val *v = NULL;
        bool defined = false;
        if (cache_lookup(ctx->cache, &key, &ctx->arena, &v, &defined)) {
            out->value = (const pol_value *)v;
            return defined ? POL_OK : POL_UNDEFINED;
        }
    }
    begin_eval(ctx, flags);
    ctx->input = NULL;
    if (!(flags & POL_EVAL_NO_INPUT)) {
        json_error je;
        memset(&je, 0, sizeof je);
        ctx->input = json_parse_named(&ctx->arena, &ctx->prog->names, input, len, &je);
        if (!ctx->input && je.oom) {
            set_err(err, POL_LIMIT_ARENA,
                    "input: the context arena is too small for this input "
                    "(raise pol_ctx_options.arena_bytes)");
            return POL_LIMIT_ARENA;
        }
        if (!ctx->input) {
            if (err) {
                memset(err, 0, sizeof *err);
                err->code = POL_JSON;
                snprintf(err->message, sizeof err->message, "input: %s", je.msg);
                snprintf(err->file, sizeof err->file, "input");
                err->line = je.line;
                err->col = je.col;
            }
            return POL_JSON;
        }
    }
    return run_entry(ctx, ep, kp, false, out, err);
}

POL_EXPORT pol_status pol_eval_value(pol_ctx *ctx, int ep, const pol_value *input, unsigned flags,
                                     pol_result *out, pol_error *err)
{
    if (!check_eval_args(ctx, ep, out, err))
        return POL_INVALID_ARGUMENT;
    /* the arena is not reset: input lives in it; the previous evaluation's
     * memory is reclaimed unless values were built after it */
    if (ctx->have_eval_mark && !ctx->built_since_eval)
        arena_restore(&ctx->arena, ctx->eval_mark);
    ctx->eval_mark = arena_save(&ctx->arena);
    ctx->have_eval_mark = true;
    ctx->built_since_eval = false;
    begin_eval(ctx, flags);
    if (!input)
        flags |= POL_EVAL_NO_INPUT;
    ctx->input = (flags & POL_EVAL_NO_INPUT) ? NULL : (const val *)input;
    cache_key key, *kp = NULL;
    if (use_cache(ctx, ep, flags) && cache_key_value(ctx->cache, ctx->input, key_seed(ep, flags), &key))
        kp = &key;
    return run_entry(ctx, ep, kp, true, out, err);
}

POL_EXPORT pol_status pol_ctx_set_cache(pol_ctx *ctx, pol_cache *c)
{
    if (!ctx)
        return POL_INVALID_ARGUMENT;
    if (c && cache_bundle(c) != ctx->bundle)
        return POL_INVALID_ARGUMENT;
    ctx->cache = c;
    return POL_OK;
}

POL_EXPORT bool pol_bundle_entrypoint_cacheable(const pol_bundle *b, int ep)
{
    return b && ep >= 0 && (uint32_t)ep < b->prog.neps && !b->prog.procs[b->prog.eps[ep].proc].nondet;
}

/* ---- building values ----------------------------------------------------- */

POL_EXPORT void pol_ctx_reset(pol_ctx *ctx)
{
    if (!ctx)
        return;
    arena_reset(&ctx->arena);
    ctx->have_eval_mark = false;
}

/* Values built after an evaluation must survive the next one. */
static arena *build_arena(pol_ctx *ctx)
{
    ctx->built_since_eval = true;
    return &ctx->arena;
}

POL_EXPORT const pol_value *pol_make_null(pol_ctx *ctx)
{
    (void)ctx;
    return (const pol_value *)VAL_NULL;
}

POL_EXPORT const pol_value *pol_make_bool(pol_ctx *ctx, bool b)
{
    (void)ctx;
    return (const pol_value *)VAL_BOOL(b);
}

POL_EXPORT const pol_value *pol_make_int(pol_ctx *ctx, int64_t i)
{
    return ctx ? (const pol_value *)v_int(build_arena(ctx), i) : NULL;
}

POL_EXPORT const pol_value *pol_make_double(pol_ctx *ctx, double d)
{
    return ctx ? (const pol_value *)v_float(build_arena(ctx), d) : NULL;
}

POL_EXPORT const pol_value *pol_make_string(pol_ctx *ctx, const char *s, size_t len)
{
    return ctx && (s || !len) ? (const pol_value *)v_str(build_arena(ctx), s ? s : "", len) : NULL;
}

/* pol_builder's opaque words hold a vbuild and, for objects, the field
 * names of the context's bundle (keys become those values where they can). */
typedef struct api_builder {
    vbuild b;
    const json_keyset *names;
} api_builder;
_Static_assert(sizeof(api_builder) <= sizeof(pol_builder), "pol_builder must hold an api_builder");

static vbuild *VB(pol_builder *b)
{
    return &((api_builder *)(void *)b)->b;
}

POL_EXPORT void pol_array_begin(pol_ctx *ctx, pol_builder *b)
{
    if (b)
        vb_init(VB(b), build_arena(ctx));
}

POL_EXPORT bool pol_array_push(pol_builder *b, const pol_value *v)
{
    return b && v && vb_push(VB(b), (const val *)v);
}

POL_EXPORT const pol_value *pol_array_end(pol_builder *b)
{
    return b ? (const pol_value *)vb_finish_array(VB(b)) : NULL;
}

POL_EXPORT void pol_object_begin(pol_ctx *ctx, pol_builder *b)
{
    if (b) {
        vb_init(VB(b), build_arena(ctx));
        ((api_builder *)(void *)b)->names = ctx ? &ctx->prog->names : NULL;
    }
}

POL_EXPORT bool pol_object_put(pol_builder *b, const char *key, size_t len, const pol_value *v)
{
    if (!b || !v || (!key && len))
        return false;
    vbuild *vb = VB(b);
    const val *k = json_keyset_find(((api_builder *)(void *)b)->names, key, len);
    if (!k)
        k = v_str(vb->a, key ? key : "", len);
    if (!k)
        return false;
    /* a repeated key keeps the last value: replace in place */
    for (uint32_t i = 0; i < vb->n; i++) {
        if (vb->k[i]->len == len && memcmp(vb->k[i]->u.s, k->u.s, len) == 0) {
            vb->v[i] = (const val *)v;
            return true;
        }
    }
    return vb_put(vb, k, (const val *)v);
}

POL_EXPORT const pol_value *pol_object_end(pol_builder *b)
{
    return b ? (const pol_value *)vb_finish_object(VB(b), NULL) : NULL;
}

/* ---- values ------------------------------------------------------------ */

static const val *V(const pol_value *v)
{
    return (const val *)v;
}

POL_EXPORT pol_type pol_value_type(const pol_value *v)
{
    return v ? (pol_type)V(v)->type : POL_NULL;
}

POL_EXPORT bool pol_value_bool(const pol_value *v)
{
    return v && V(v)->type == V_BOOL && V(v)->u.b;
}

POL_EXPORT double pol_value_number(const pol_value *v)
{
    return v && V(v)->type == V_NUM ? val_to_double(V(v)) : 0.0;
}

POL_EXPORT bool pol_value_int64(const pol_value *v, int64_t *out)
{
    return v && val_is_int(V(v), out);
}

POL_EXPORT const char *pol_value_string(const pol_value *v, size_t *len)
{
    if (!v || V(v)->type != V_STR) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = V(v)->len;
    return V(v)->u.s;
}

POL_EXPORT size_t pol_value_length(const pol_value *v)
{
    if (!v)
        return 0;
    switch (V(v)->type) {
    case V_ARR:
    case V_SET:
    case V_OBJ:
    case V_STR: return V(v)->len;
    default: return 0;
    }
}

POL_EXPORT const pol_value *pol_value_index(const pol_value *v, size_t i)
{
    if (!v || i >= V(v)->len)
        return NULL;
    switch (V(v)->type) {
    case V_ARR:
    case V_SET: return (const pol_value *)V(v)->u.a[i];
    case V_OBJ: return (const pol_value *)V(v)->u.o.v[i];
    default: return NULL;
    }
}

POL_EXPORT const pol_value *pol_value_key(const pol_value *v, size_t i)
{
    if (!v || V(v)->type != V_OBJ || i >= V(v)->len)
        return NULL;
    return (const pol_value *)V(v)->u.o.k[i];
}

POL_EXPORT const pol_value *pol_value_get(const pol_value *v, const char *key)
{
    if (!v || !key || V(v)->type != V_OBJ)
        return NULL;
    return (const pol_value *)val_obj_get_str(V(v), key, strlen(key));
}

POL_EXPORT size_t pol_value_to_json(const pol_value *v, int pretty, char *buf, size_t cap)
{
    sbuf s;
    sb_init(&s, buf, cap);
    if (v)
        json_write(&s, V(v), pretty ? 2 : 0);
    if (cap)
        buf[s.len < cap ? s.len : cap - 1] = 0;
    return s.len;
}
