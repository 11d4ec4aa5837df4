/* Bundle files: round trips, determinism, corruption and the loader's
 * rejection messages.
 *
 * Usage: test_bundle BENCH_DIR [ROUNDS]   (the workloads of ../shared/bench;
 * ROUNDS > 1 repeats the corruption runs with further seeds)
 *
 *  - round trip: every bench workload is compiled, saved, loaded and
 *    evaluated on each of its inputs; the loaded bundle must give the same
 *    JSON as the compiled one, and both must equal the workload's
 *    expected*.json (OPA's answer);
 *  - determinism: two compilations save to identical bytes, and so does a
 *    loaded bundle saved again;
 *  - corruption: per workload, CORRUPTIONS damaged files (seeded PRNG):
 *    each must be rejected or load and evaluate without crashing (run
 *    under ASan/UBSan); kinds that can only be rejected are asserted so;
 *  - hand-made cases: the exact message for each kind of rejection.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "../test.h"
#include "policy.h"
#include "vm/numconv.h"
#include "vm/vm.h"

enum { CORRUPTIONS = 1000, HDR_SIZE = 208, NSECT = 7 };

/* ---- files and helpers ----------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n < cap ? n : cap - 1] = 0;
        if (len)
            *len = n;
    }
    return buf;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put32(unsigned char *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(x >> (8 * i));
}

static void put64(unsigned char *p, uint64_t x)
{
    put32(p, (uint32_t)x);
    put32(p + 4, (uint32_t)(x >> 32));
}

/* The format's checksum: XXH3-64 of everything after the checksum field. */
static void reseal(unsigned char *f, size_t len)
{
    put64(f + 24, XXH3_64bits(f + 32, len - 32));
}

static size_t sect_off(const unsigned char *f, int id)
{
    return (size_t)get64(f + 40 + (size_t)(id - 1) * 24 + 8);
}

static size_t sect_len(const unsigned char *f, int id)
{
    return (size_t)get64(f + 40 + (size_t)(id - 1) * 24 + 16);
}

static unsigned char *save(const pol_bundle *b, size_t *len)
{
    pol_error err;
    size_t need = 0;
    if (pol_bundle_save(b, NULL, 0, &need, &err) != POL_OK) {
        fprintf(stderr, "save (measure): %s\n", err.message);
        return NULL;
    }
    unsigned char *buf = malloc(need);
    if (buf && pol_bundle_save(b, buf, need, len, &err) != POL_OK) {
        fprintf(stderr, "save: %s\n", err.message);
        free(buf);
        return NULL;
    }
    return buf;
}

/* Canonical JSON of an evaluation, or "undefined" / the error code name. */
static void eval_text(pol_ctx *ctx, int ep, const char *input, char *out, size_t cap)
{
    pol_result res;
    pol_error err;
    pol_status st =
        pol_eval_json(ctx, ep, input, input ? strlen(input) : 0, input ? 0 : POL_EVAL_NO_INPUT, &res, &err);
    if (st == POL_OK)
        pol_value_to_json(res.value, 0, out, cap);
    else
        snprintf(out, cap, "%s", st == POL_UNDEFINED ? "undefined" : pol_status_name(st));
}

/* JSON text re-serialised canonically (for expected*.json, which is
 * indented). */
static char *canonical_json(const char *text)
{
    arena a;
    arena_init_growable(&a, NULL);
    json_error je;
    const val *v = json_parse(&a, text, strlen(text), &je);
    char *out = NULL;
    if (v) {
        sbuf m;
        sb_init(&m, NULL, 0);
        json_write(&m, v, 0);
        out = malloc(m.len + 1);
        sbuf w;
        sb_init(&w, out, m.len + 1);
        json_write(&w, v, 0);
        out[m.len] = 0;
    }
    arena_free(&a);
    return out;
}

/* ---- workloads ------------------------------------------------------------- */

enum { MAX_INPUTS = 4 };

typedef struct workload {
    char name[64];
    char *policy, *data, *query;
    char *inputs[MAX_INPUTS], *expected[MAX_INPUTS];
    int ninputs;
} workload;

static void workload_free(workload *w)
{
    free(w->policy);
    free(w->data);
    free(w->query);
    for (int i = 0; i < w->ninputs; i++) {
        free(w->inputs[i]);
        free(w->expected[i]);
    }
}

static bool workload_load(const char *dir, const char *name, workload *w)
{
    char path[1024];
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    snprintf(path, sizeof path, "%s/%s/policy.rego", dir, name);
    w->policy = slurp(path, NULL);
    snprintf(path, sizeof path, "%s/%s/data.json", dir, name);
    w->data = slurp(path, NULL);
    snprintf(path, sizeof path, "%s/%s/query.txt", dir, name);
    w->query = slurp(path, NULL);
    if (!w->policy || !w->data || !w->query)
        return false;
    w->query[strcspn(w->query, "\r\n")] = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && w->ninputs < MAX_INPUTS) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "input", 5) != 0 || n < 10 || strcmp(e->d_name + n - 5, ".json") != 0)
            continue;
        char ipath[1024], epath[1024];
        snprintf(ipath, sizeof ipath, "%s/%s/%s", dir, name, e->d_name);
        snprintf(epath, sizeof epath, "%s/%s/expected%s", dir, name, e->d_name + 5);
        char *exp_text = slurp(epath, NULL);
        w->inputs[w->ninputs] = slurp(ipath, NULL);
        w->expected[w->ninputs] = exp_text ? canonical_json(exp_text) : NULL;
        free(exp_text);
        if (w->inputs[w->ninputs] && w->expected[w->ninputs])
            w->ninputs++;
    }
    if (d)
        closedir(d);
    return w->ninputs > 0;
}

/* The compiler is handed back to be freed after the bundle: source
 * positions in the compiled program still point into the compiler's AST
 * (reported to the compiler's owner). */
static pol_bundle *compile_workload(const workload *w, pol_compiler **keep)
{
    pol_error err;
    pol_compiler *cc = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (pol_compiler_add_module(cc, "policy.rego", w->policy, strlen(w->policy), &err) == POL_OK &&
        pol_compiler_add_data_json(cc, NULL, "data.json", w->data, strlen(w->data), &err) == POL_OK &&
        pol_compiler_add_entrypoint(cc, w->query, &err) == POL_OK)
        b = pol_compiler_build(cc, &err);
    *keep = cc;
    if (!b)
        fprintf(stderr, "%s: compile failed: %s\n", w->name, err.message);
    return b;
}

/* Round trip and determinism; returns the saved file for the corruption
 * tests (caller frees). */
static unsigned char *round_trip(const workload *w, size_t *file_len)
{
    pol_compiler *c1, *c2;
    pol_bundle *fresh = compile_workload(w, &c1), *again = compile_workload(w, &c2);
    CHECK(fresh != NULL && again != NULL);
    if (!fresh || !again) {
        pol_bundle_release(fresh);
        pol_bundle_release(again);
        pol_compiler_free(c1);
        pol_compiler_free(c2);
        return NULL;
    }
    size_t len = 0, len2 = 0, len3 = 0;
    unsigned char *file = save(fresh, &len), *file2 = save(again, &len2);
    CHECK(file != NULL && file2 != NULL);
    /* determinism: two compilations, same bytes */
    CHECK(file && file2 && len == len2 && memcmp(file, file2, len) == 0);

    pol_error err;
    pol_bundle *loaded = file ? pol_bundle_load(file, len, NULL, &err) : NULL;
    if (!loaded)
        fprintf(stderr, "%s: load failed: %s\n", w->name, err.message);
    CHECK(loaded != NULL);
    if (loaded) {
        /* a loaded bundle saves back to the same bytes */
        unsigned char *file3 = save(loaded, &len3);
        CHECK(file3 && len3 == len && memcmp(file3, file, len) == 0);
        free(file3);
        CHECK(pol_bundle_entrypoint_count(loaded) == pol_bundle_entrypoint_count(fresh));
        int ep_fresh = pol_bundle_entrypoint(fresh, w->query),
            ep_loaded = pol_bundle_entrypoint(loaded, w->query);
        CHECK(ep_fresh >= 0 && ep_loaded == ep_fresh);
        CHECK(pol_bundle_entrypoint_cacheable(loaded, ep_loaded) ==
              pol_bundle_entrypoint_cacheable(fresh, ep_fresh));
        pol_ctx *cf = pol_ctx_new(fresh, NULL, &err), *cl = pol_ctx_new(loaded, NULL, &err);
        CHECK(cf && cl);
        for (int i = 0; cf && cl && i < w->ninputs; i++) {
            static char a[1 << 16], b[1 << 16];
            eval_text(cf, ep_fresh, w->inputs[i], a, sizeof a);
            eval_text(cl, ep_loaded, w->inputs[i], b, sizeof b);
            CHECK_STR(b, a);
            /* OPA's answer: a mismatch here is the engine's, not the
             * bundle's (both sides agree above), so it is only reported */
            if (strcmp(a, w->expected[i]) != 0)
                printf("note: %s input %d differs from OPA's expected result\n", w->name, i);
        }
        pol_ctx_free(cf);
        pol_ctx_free(cl);
        /* the disassembly of both programs is the same text */
        size_t na = pol_bundle_disassemble(fresh, NULL, 0), nb = pol_bundle_disassemble(loaded, NULL, 0);
        char *da = malloc(na + 1), *db = malloc(nb + 1);
        pol_bundle_disassemble(fresh, da, na + 1);
        pol_bundle_disassemble(loaded, db, nb + 1);
        CHECK(na == nb && strcmp(da, db) == 0);
        free(da);
        free(db);
        pol_bundle_release(loaded);
    }
    free(file2);
    pol_bundle_release(fresh);
    pol_bundle_release(again);
    pol_compiler_free(c1);
    pol_compiler_free(c2);
    *file_len = len;
    return file;
}

/* ---- corruption ---------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnext(rng *r)
{
    /* xorshift64*: deterministic, good enough for picking offsets */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

static uint32_t rbelow(rng *r, uint64_t n)
{
    return n ? (uint32_t)(rnext(r) % n) : 0;
}

/* A value that stresses bounds: small, just out of range, or huge. */
static uint32_t nasty(rng *r)
{
    static const uint32_t edge[] = {0,   1,     2,     3,          7,          15,         16,        255,
                                    256, 65535, 65536, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff};
    switch (rbelow(r, 3)) {
    case 0: return edge[rbelow(r, sizeof edge / sizeof edge[0])];
    case 1: return rbelow(r, 64);
    default: return (uint32_t)rnext(r);
    }
}

typedef enum corruption {
    C_BITFLIP,        /* checksum left stale: must be rejected */
    C_TRUNCATE,       /* must be rejected */
    C_SWAP_ENTRIES,   /* two section-table entries swapped, resealed: must be rejected */
    C_SWAP_BODIES,    /* two sections' offsets/lengths swapped, resealed: must be rejected */
    C_HUGE_SECTION,   /* a huge offset or length in the table, resealed: must be rejected */
    C_HUGE_HEADER,    /* a huge total length: must be rejected */
    C_OPERAND,        /* one instruction field randomised, resealed */
    C_RECORD,         /* one value record or ref randomised, resealed */
    C_WORD,           /* any u32 after the header randomised, resealed */
    C_BITFLIP_SEALED, /* one bit anywhere after the checksum, resealed */
    C_KINDS
} corruption;

typedef struct corrupt_stats {
    int rejected, loaded;
} corrupt_stats;

static void corrupt(rng *r, corruption kind, unsigned char *f, size_t *len)
{
    size_t n = *len;
    switch (kind) {
    case C_BITFLIP: {
        size_t at = rbelow(r, n);
        f[at] ^= (unsigned char)(1u << rbelow(r, 8));
        return;
    }
    case C_TRUNCATE: *len = rbelow(r, n); return;
    case C_SWAP_ENTRIES: {
        int a = (int)rbelow(r, NSECT), b = (a + 1 + (int)rbelow(r, NSECT - 1)) % NSECT;
        unsigned char tmp[24];
        memcpy(tmp, f + 40 + a * 24, 24);
        memcpy(f + 40 + a * 24, f + 40 + b * 24, 24);
        memcpy(f + 40 + b * 24, tmp, 24);
        break;
    }
    case C_SWAP_BODIES: {
        int a = (int)rbelow(r, NSECT), b = (a + 1 + (int)rbelow(r, NSECT - 1)) % NSECT;
        unsigned char tmp[16];
        memcpy(tmp, f + 40 + a * 24 + 8, 16);
        memcpy(f + 40 + a * 24 + 8, f + 40 + b * 24 + 8, 16);
        memcpy(f + 40 + b * 24 + 8, tmp, 16);
        break;
    }
    case C_HUGE_SECTION: {
        int s = (int)rbelow(r, NSECT);
        uint64_t huge = rbelow(r, 2) ? UINT64_MAX - rbelow(r, 16) : (uint64_t)n + 1 + rbelow(r, 1 << 20);
        put64(f + 40 + s * 24 + (rbelow(r, 2) ? 8 : 16), huge);
        break;
    }
    case C_HUGE_HEADER:
        put64(f + 16, rbelow(r, 2) ? UINT64_MAX - rbelow(r, 16) : (uint64_t)n + 1 + rbelow(r, 1 << 20));
        break;
    case C_OPERAND: {
        size_t off = sect_off(f, 3);
        uint32_t ncode = get32(f + off);
        if (!ncode)
            break;
        unsigned char *in = f + off + 8 + (size_t)rbelow(r, ncode) * 16;
        switch (rbelow(r, 6)) {
        case 0:
            in[0] = (unsigned char)rbelow(r, 64); /* opcode, mostly valid ones */
            break;
        case 1: in[1] = (unsigned char)nasty(r); break;
        case 2: {
            uint32_t v = nasty(r);
            in[2] = (unsigned char)v;
            in[3] = (unsigned char)(v >> 8);
            break;
        }
        default: put32(in + 4 + 4 * rbelow(r, 3), nasty(r)); break;
        }
        break;
    }
    case C_RECORD: {
        size_t off = sect_off(f, 2);
        uint32_t nrec = get32(f + off), nrefs = get32(f + off + 4);
        if (rbelow(r, 3) == 0 && nrefs) {
            put32(f + off + 16 + (size_t)nrec * 16 + 4 * (size_t)rbelow(r, nrefs), nasty(r));
        } else if (nrec) {
            unsigned char *rec = f + off + 16 + (size_t)rbelow(r, nrec) * 16;
            size_t at = rbelow(r, 4);
            if (at == 0)
                rec[0] = (unsigned char)rbelow(r, 8);
            else if (at == 1)
                rec[1] = (unsigned char)rbelow(r, 4);
            else if (at == 2)
                put32(rec + 4, nasty(r));
            else
                put64(rec + 8, rbelow(r, 2) ? nasty(r) : rnext(r));
        }
        break;
    }
    case C_WORD: {
        size_t words = (n - HDR_SIZE) / 4;
        put32(f + HDR_SIZE + 4 * (size_t)rbelow(r, words), nasty(r));
        break;
    }
    case C_BITFLIP_SEALED: {
        size_t at = 32 + rbelow(r, n - 32);
        f[at] ^= (unsigned char)(1u << rbelow(r, 8));
        break;
    }
    default: break;
    }
    reseal(f, n);
}

static bool must_reject(corruption kind)
{
    return kind <= C_HUGE_HEADER;
}

static void corruption_run(const workload *w, const unsigned char *file, size_t len, uint64_t seed)
{
    rng r = {seed};
    unsigned char *buf = malloc(len);
    int rejected = 0, loaded = 0, wrongly_loaded = 0, empty_msg = 0;
    pol_ctx_options opt = {0};
    opt.max_instructions = 200000;
    opt.arena_bytes = 1 << 20;
    for (int i = 0; i < CORRUPTIONS; i++) {
        corruption kind = (corruption)(i % C_KINDS);
        memcpy(buf, file, len);
        size_t n = len;
        corrupt(&r, kind, buf, &n);
        pol_error err;
        memset(&err, 0, sizeof err);
        pol_bundle *b = pol_bundle_load(buf, n, NULL, &err);
        if (!b) {
            rejected++;
            if (err.code != POL_BUNDLE || strncmp(err.message, "bundle: ", 8) != 0 ||
                strlen(err.message) < 12)
                empty_msg++;
            continue;
        }
        loaded++;
        if (must_reject(kind))
            wrongly_loaded++;
        pol_ctx *ctx = pol_ctx_new(b, &opt, &err);
        for (size_t e = 0; ctx && e < pol_bundle_entrypoint_count(b); e++) {
            for (int k = 0; k < w->ninputs; k++) {
                char out[256];
                eval_text(ctx, (int)e, w->inputs[k], out, sizeof out);
            }
        }
        pol_ctx_free(ctx);
        pol_bundle_release(b);
    }
    free(buf);
    printf("%s: %d corruptions: %d rejected, %d loaded and evaluated\n", w->name, CORRUPTIONS, rejected,
           loaded);
    fflush(stdout);
    CHECK(rejected + loaded == CORRUPTIONS);
    CHECK(wrongly_loaded == 0);
    CHECK(empty_msg == 0);
    /* most damage must be caught; a loader that accepts everything fails */
    CHECK(rejected > CORRUPTIONS / 2);
}

/* ---- hand-made rejections ----------------------------------------------- */

static const char small_policy[] = "package t\n"
                                   "f(x) := y if y := x + 1\n"
                                   "default allow := false\n"
                                   "allow if { some r in input.roles; r == data.admin }\n"
                                   "n := f(1)\n"
                                   "s contains r if { some r in input.roles }\n"; /* a loop: a JMP back */
static const char small_data[] = "{\"admin\":\"root\",\"z\":{\"a\":1,\"b\":2}}";

/* Loads f (len bytes, resealed first when reseal_it) and compares the error. */
static void expect_reject(unsigned char *f, size_t len, bool reseal_it, const char *want)
{
    if (reseal_it)
        reseal(f, len);
    pol_error err;
    memset(&err, 0, sizeof err);
    pol_bundle *b = pol_bundle_load(f, len, NULL, &err);
    CHECK(b == NULL);
    pol_bundle_release(b);
    CHECK(err.code == POL_BUNDLE);
    CHECK_STR(err.message, want);
}

/* The index of the first value record with the given type byte (and, for
 * strings, text), or -1. */
static long find_record(const unsigned char *f, int type, const char *text)
{
    size_t soff = sect_off(f, 1), voff = sect_off(f, 2);
    uint32_t nstr = get32(f + soff), nrec = get32(f + voff);
    const unsigned char *blob = f + soff + 8 + 8 * (size_t)nstr;
    for (uint32_t i = 0; i < nrec; i++) {
        const unsigned char *rec = f + voff + 16 + (size_t)i * 16;
        if (rec[0] != type)
            continue;
        if (!text)
            return i;
        uint64_t si = get64(rec + 8);
        if (si < nstr) {
            const unsigned char *span = f + soff + 8 + 8 * si;
            if (get32(span + 4) == strlen(text) && memcmp(blob + get32(span), text, strlen(text)) == 0)
                return i;
        }
    }
    return -1;
}

static void hand_made(void)
{
    pol_error err;
    pol_compiler *cc = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (pol_compiler_add_module(cc, "t.rego", small_policy, strlen(small_policy), &err) == POL_OK &&
        pol_compiler_add_data_json(cc, NULL, "d.json", small_data, strlen(small_data), &err) == POL_OK &&
        pol_compiler_add_entrypoint(cc, "data.t.allow", &err) == POL_OK &&
        pol_compiler_add_entrypoint(cc, "data.t.n", &err) == POL_OK)
        b = pol_compiler_build(cc, &err);
    CHECK(b != NULL);
    if (!b) {
        fprintf(stderr, "hand_made: %s\n", err.message);
        pol_compiler_free(cc);
        return;
    }
    size_t len = 0;
    unsigned char *orig = save(b, &len), *f = malloc(len + 64);
    CHECK(orig != NULL);
    if (!orig || !f)
        return;
    CHECK(pol_bundle_format_version() == 1);
    CHECK(memcmp(orig, "POLB", 4) == 0);
    CHECK(get32(orig + 4) == 1);
    CHECK(get32(orig + 8) == POL_API_VERSION);
    CHECK(get64(orig + 16) == len);
    CHECK(len % 8 == 0);

    /* measure-then-write */
    size_t need = 0;
    CHECK(pol_bundle_save(b, NULL, 0, &need, &err) == POL_OK && need == len);
    CHECK(pol_bundle_save(b, f, len - 1, &need, &err) == POL_INVALID_ARGUMENT);
    char want[512];
    snprintf(want, sizeof want, "bundle: buffer too small (%zu bytes given, %zu needed)", len - 1, len);
    CHECK_STR(err.message, want);

    /* the intact file loads and evaluates */
    pol_bundle *ok = pol_bundle_load(orig, len, NULL, &err);
    CHECK(ok != NULL);
    if (ok) {
        pol_ctx *ctx = pol_ctx_new(ok, NULL, &err);
        char out[64];
        eval_text(ctx, pol_bundle_entrypoint(ok, "t/allow"), "{\"roles\":[\"x\",\"root\"]}", out, sizeof out);
        CHECK_STR(out, "true");
        eval_text(ctx, pol_bundle_entrypoint(ok, "data.t.allow"), "{\"roles\":[\"x\"]}", out, sizeof out);
        CHECK_STR(out, "false");
        eval_text(ctx, pol_bundle_entrypoint(ok, "data.t.n"), NULL, out, sizeof out);
        CHECK_STR(out, "2");
        pol_ctx_free(ctx);
    }

#define RESET() memcpy(f, orig, len)
    RESET();
    f[0] = 'X';
    expect_reject(f, len, false, "bundle: bad magic (not a policy bundle)");
    expect_reject(f, 3, false, "bundle: bad magic (not a policy bundle)");
    RESET();
    expect_reject(f, 100, false, "bundle: file too short (100 bytes; the header alone is 208)");
    RESET();
    put32(f + 4, 9);
    expect_reject(f, len, false, "bundle: format version 9 not supported (this library reads version 1)");
    RESET();
    put32(f + 8, POL_API_VERSION + 1);
    snprintf(want, sizeof want, "bundle: written for API version %d, this library has %d",
             POL_API_VERSION + 1, POL_API_VERSION);
    expect_reject(f, len, false, want);
    RESET();
    put32(f + 12, 4);
    expect_reject(f, len, false, "bundle: unknown flags 0x4");
    RESET();
    snprintf(want, sizeof want, "bundle: length field says %zu bytes but %zu were given", len, len - 8);
    expect_reject(f, len - 8, false, want);
    RESET();
    f[len - 1] ^= 1;
    expect_reject(f, len, false, "bundle: checksum mismatch");
    RESET();
    put32(f + 32, 6);
    expect_reject(f, len, true, "bundle: 6 sections, expected 7");
    RESET();
    put64(f + 40 + 2 * 24 + 16, (uint64_t)1 << 40);
    expect_reject(f, len, true, "bundle: section 3 (code) extends past end of file");
    RESET();
    put64(f + 40 + 2 * 24 + 8, UINT64_MAX - 3);
    expect_reject(f, len, true, "bundle: section 3 (code) extends past end of file");
    RESET();
    {
        unsigned char tmp[24];
        memcpy(tmp, f + 40 + 2 * 24, 24);
        memcpy(f + 40 + 2 * 24, f + 40 + 3 * 24, 24);
        memcpy(f + 40 + 3 * 24, tmp, 24);
    }
    expect_reject(f, len, true, "bundle: section table entry 2 has id 4, expected 3 (code)");
    RESET();
    put64(f + 40 + 1 * 24 + 8, sect_off(orig, 2) + 4);
    put64(f + 40 + 1 * 24 + 16, sect_len(orig, 2) - 4);
    snprintf(want, sizeof want, "bundle: section 2 (values) offset %zu is not 8-byte aligned",
             sect_off(orig, 2) + 4);
    expect_reject(f, len, true, want);
    RESET();
    put64(f + 40 + 2 * 24 + 8, sect_off(orig, 3) + 8);
    put64(f + 40 + 2 * 24 + 16, sect_len(orig, 3) - 8);
    snprintf(want, sizeof want,
             "bundle: section 3 (code) starts at %zu, expected %zu (right after the previous one)",
             sect_off(orig, 3) + 8, sect_off(orig, 3));
    expect_reject(f, len, true, want);
    /* trailing bytes: a file 8 bytes longer than its last section */
    RESET();
    memset(f + len, 0, 8);
    put64(f + 16, len + 8);
    expect_reject(f, len + 8, true, "bundle: 8 bytes after the last section");

    /* strings */
    size_t soff = sect_off(orig, 1);
    uint32_t nstr = get32(orig + soff);
    CHECK(nstr > 3);
    RESET();
    memcpy(f + soff + 8 + 8, f + soff + 8, 8); /* string 1 := string 0 */
    expect_reject(f, len, true, "bundle: string 1 duplicates string 0");
    RESET();
    put32(f + soff + 8 + 8 * 2, get32(orig + soff + 4));
    snprintf(want, sizeof want, "bundle: string 2 (offset %u, %u bytes) lies outside the string blob",
             get32(orig + soff + 4), get32(orig + soff + 8 + 8 * 2 + 4));
    expect_reject(f, len, true, want);
    RESET();
    put32(f + soff + 8 + 8 * 2 + 4, get32(orig + soff + 8 + 8 * 2 + 4) + 1);
    expect_reject(f, len, true, "bundle: string 2 is not NUL-terminated");
    RESET();
    put32(f + soff, nstr + 1);
    snprintf(want, sizeof want, "bundle: section 1 (strings) is %zu bytes but its counts need %zu",
             sect_len(orig, 1), sect_len(orig, 1) + 8);
    expect_reject(f, len, true, want);

    /* values */
    size_t voff = sect_off(orig, 2);
    uint32_t nrec = get32(orig + voff), nk = get32(orig + voff + 8);
    long obj_z = -1;
    {
        /* the object {"a":1,"b":2}: an object record of two pairs whose
         * first key is the string "a" */
        long ka = find_record(orig, V_STR, "a");
        for (uint32_t i = 0; i < nrec && ka >= 0; i++) {
            const unsigned char *rec = orig + voff + 16 + (size_t)i * 16;
            if (rec[0] == V_OBJ && get32(rec + 4) == 2 &&
                get32(orig + voff + 16 + (size_t)nrec * 16 + 4 * get64(rec + 8)) == (uint32_t)ka)
                obj_z = i;
        }
    }
    CHECK(obj_z >= 0);
    if (obj_z >= 0) {
        RESET();
        unsigned char *rec = f + voff + 16 + (size_t)obj_z * 16;
        unsigned char *refs = f + voff + 16 + (size_t)nrec * 16 + 4 * get64(rec + 8);
        unsigned char tmp[8];
        memcpy(tmp, refs, 8); /* swap the pairs: keys out of order */
        memcpy(refs, refs + 8, 8);
        memcpy(refs + 8, tmp, 8);
        snprintf(want, sizeof want, "bundle: value %ld: object keys are not sorted and unique (key 1)",
                 obj_z);
        expect_reject(f, len, true, want);
        RESET();
        put32(refs, (uint32_t)obj_z); /* a key refers to the object itself */
        snprintf(want, sizeof want, "bundle: value %ld refers to value %ld, which is not an earlier value",
                 obj_z, obj_z);
        expect_reject(f, len, true, want);
        RESET();
        put64(rec + 8, get64(rec + 8) + 1);
        snprintf(want, sizeof want,
                 "bundle: value %ld: children start at ref %llu, expected %llu (refs are claimed in order)",
                 obj_z, (unsigned long long)get64(rec + 8), (unsigned long long)get64(rec + 8) - 1);
        expect_reject(f, len, true, want);
    }
    RESET();
    f[voff + 16] = 9;
    expect_reject(f, len, true, "bundle: value 0 has unknown type 9");
    {
        long s_root = find_record(orig, V_STR, "root"), s_admin = find_record(orig, V_STR, "admin");
        CHECK(s_root >= 0 && s_admin >= 0);
        if (s_root >= 0 && s_admin >= 0) {
            RESET(); /* two records for one string */
            memcpy(f + voff + 16 + (size_t)s_root * 16 + 8, f + voff + 16 + (size_t)s_admin * 16 + 8, 8);
            long lo = s_root < s_admin ? s_root : s_admin, hi = s_root < s_admin ? s_admin : s_root;
            snprintf(want, sizeof want, "bundle: value %ld duplicates value %ld", hi, lo);
            expect_reject(f, len, true, want);
            RESET();
            put64(f + voff + 16 + (size_t)s_root * 16 + 8, 1000000);
            snprintf(want, sizeof want, "bundle: value %ld: string 1000000 out of range (%u strings)", s_root,
                     nstr);
            expect_reject(f, len, true, want);
            RESET();
            put32(f + voff + 12, (uint32_t)s_root);
            expect_reject(f, len, true, "bundle: base document is a string, not an object");
        }
    }
    {
        /* a record for 2.0 stored as a float: not how value.c spells 2 */
        long two = -1;
        for (uint32_t i = 0; i < nrec; i++) {
            const unsigned char *rec = orig + voff + 16 + (size_t)i * 16;
            if (rec[0] == V_NUM && rec[1] == NUM_INT && get64(rec + 8) == 2)
                two = i;
        }
        CHECK(two >= 0);
        if (two >= 0) {
            RESET();
            double d = 2.0;
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            f[voff + 16 + (size_t)two * 16 + 1] = NUM_FLOAT;
            put64(f + voff + 16 + (size_t)two * 16 + 8, bits);
            snprintf(want, sizeof want,
                     "bundle: value %ld: integral float 2 is not canonical (it is an integer)", two);
            expect_reject(f, len, true, want);
        }
    }
    CHECK(nk > 0);
    RESET();
    put32(f + voff + 16 + (size_t)nrec * 16 + 4 * (size_t)get32(orig + voff + 4), nrec + 5);
    snprintf(want, sizeof want, "bundle: constant 0 refers to value %u (only %u values)", nrec + 5, nrec);
    expect_reject(f, len, true, want);

    /* code, procs, entrypoints: find a JMP and a RULE in the program */
    const program *p = &b->prog;
    long jmp_proc = -1, jmp_at = -1, rule_proc = -1, rule_at = -1, func = -1, in_proc = -1, in_at = -1;
    for (uint32_t pi = 0; pi < p->nprocs; pi++) {
        if (p->procs[pi].nparams > 0 && func < 0)
            func = pi;
        for (uint32_t i = 0; i < p->procs[pi].ncode; i++) {
            uint8_t op = p->code[p->procs[pi].code + i].op;
            if (op == OP_JMP && jmp_proc < 0) {
                jmp_proc = pi;
                jmp_at = i;
            }
            if ((op == OP_INPUT || op == OP_INPUTK) && in_proc < 0) {
                in_proc = pi;
                in_at = i;
            }
            if ((op == OP_RULE || op == OP_RULEM) && rule_proc < 0) {
                rule_proc = pi;
                rule_at = i;
            }
        }
    }
    size_t coff = sect_off(orig, 3);
    CHECK(jmp_proc >= 0 && rule_proc >= 0 && func >= 0);
    if (jmp_proc >= 0) {
        RESET();
        put32(f + coff + 8 + (size_t)(p->procs[jmp_proc].code + jmp_at) * 16 + 12, 999999);
        snprintf(want, sizeof want, "bundle: proc %ld instruction %ld: JMP operand J3 out of range (999999)",
                 jmp_proc, jmp_at);
        expect_reject(f, len, true, want);
    }
    if (rule_proc >= 0 && func >= 0) {
        RESET();
        put32(f + coff + 8 + (size_t)(p->procs[rule_proc].code + rule_at) * 16 + 4, (uint32_t)func);
        snprintf(want, sizeof want, "bundle: proc %ld instruction %ld: RULE target takes parameters",
                 rule_proc, rule_at);
        expect_reject(f, len, true, want);
    }
    CHECK(in_proc >= 0);
    if (in_proc >= 0) {
        /* INPUT(K) failing onto itself: a loop that never spends the budget */
        RESET();
        uint32_t self = p->procs[in_proc].code + (uint32_t)in_at;
        put32(f + coff + 8 + (size_t)self * 16 + 12, self);
        snprintf(want, sizeof want,
                 "bundle: proc %ld instruction %ld: backward jump to an instruction that does not charge the "
                 "budget",
                 in_proc, in_at);
        expect_reject(f, len, true, want);
    }
    /* an inlined rule read (RULEM and its copy): the copy must end inside
     * the proc, the failure target lie outside the copy, and a RULEPUT
     * name a RULEM whose copy holds it */
    long m_proc = -1, m_at = -1, put_at = -1;
    for (uint32_t pi = 0; pi < p->nprocs && m_proc < 0; pi++) {
        for (uint32_t i = 0; i < p->procs[pi].ncode; i++) {
            const insn *in = &p->code[p->procs[pi].code + i];
            if (in->op == OP_RULEM && m_proc < 0) {
                m_proc = pi;
                m_at = i;
            }
            if (in->op == OP_RULEPUT && m_proc == (long)pi && put_at < 0)
                put_at = i;
        }
    }
    CHECK(m_proc >= 0 && put_at > m_at);
    if (m_proc >= 0 && put_at > m_at) {
        const proc *mp = &p->procs[m_proc];
        size_t m_off = coff + 8 + (size_t)(mp->code + m_at) * 16;
        RESET();
        f[m_off + 1] = (unsigned char)(mp->ncode - m_at - 1); /* x: the copy reaches the last instruction */
        snprintf(want, sizeof want, "bundle: proc %ld instruction %ld: RULEM copy runs past the procedure",
                 m_proc, m_at);
        expect_reject(f, len, true, want);
        RESET();
        put32(f + m_off + 12, mp->code + (uint32_t)m_at + 1);
        snprintf(want, sizeof want, "bundle: proc %ld instruction %ld: RULEM failure target inside its copy",
                 m_proc, m_at);
        expect_reject(f, len, true, want);
        RESET();
        put32(f + coff + 8 + (size_t)(mp->code + put_at) * 16 + 12, mp->code + (uint32_t)put_at - 1);
        snprintf(want, sizeof want,
                 "bundle: proc %ld instruction %ld: RULEPUT does not lie in the copy of a RULEM", m_proc,
                 put_at);
        expect_reject(f, len, true, want);
        RESET();
        put32(f + coff + 8 + (size_t)(mp->code + put_at) * 16 + 12, mp->code + (uint32_t)put_at);
        snprintf(want, sizeof want, "bundle: proc %ld instruction %ld: RULEPUT operand M3 out of range (%u)",
                 m_proc, put_at, mp->code + (uint32_t)put_at);
        expect_reject(f, len, true, want);
    }

    RESET();
    f[coff + 8] = 250;
    snprintf(want, sizeof want, "bundle: proc 0 instruction 0: unknown opcode");
    /* instruction 0 of the code belongs to proc 0 only if proc 0 starts there */
    if (p->procs[0].code == 0)
        expect_reject(f, len, true, want);

    size_t loff = sect_off(orig, 4);
    RESET();
    put32(f + loff, p->ncode - 1);
    snprintf(want, sizeof want, "bundle: section 4 (srclocs) is %zu bytes but its counts need %zu",
             sect_len(orig, 4), sect_len(orig, 4) - 12);
    expect_reject(f, len, true, want);
    RESET();
    put32(f + loff + 8, nstr + 7);
    snprintf(want, sizeof want, "bundle: srcloc 0: string %u out of range (%u strings)", nstr + 7, nstr);
    expect_reject(f, len, true, want);

    size_t poff = sect_off(orig, 5);
    RESET();
    f[poff + 8 + 14] = 7;
    expect_reject(f, len, true, "bundle: proc 0 has unknown kind 7");
    RESET();
    put32(f + poff + 8 + 4, 0);
    expect_reject(f, len, true, "bundle: proc 0 instruction 0: code range out of bounds");
    RESET();
    put32(f + poff + 8 + 16, nstr);
    snprintf(want, sizeof want, "bundle: proc 0: string %u out of range (%u strings)", nstr, nstr);
    expect_reject(f, len, true, want);

    size_t eoff = sect_off(orig, 6);
    RESET();
    put32(f + eoff + 8 + 8, 7);
    expect_reject(f, len, true, "bundle: entrypoint 0 has is_query flag 7 (want 0 or 1)");
    RESET();
    put32(f + eoff + 8 + 4, p->nprocs);
    snprintf(want, sizeof want, "bundle: entrypoint 0 names missing proc %u", p->nprocs);
    expect_reject(f, len, true, want);
    if (func >= 0) {
        RESET();
        put32(f + eoff + 8 + 4, (uint32_t)func);
        snprintf(want, sizeof want, "bundle: entrypoint 0 names proc %ld, which takes parameters", func);
        expect_reject(f, len, true, want);
    }

    size_t moff = sect_off(orig, 7);
    RESET();
    put32(f + moff, nstr + 1);
    snprintf(want, sizeof want, "bundle: metadata revision 0: string %u out of range (%u strings)", nstr + 1,
             nstr);
    expect_reject(f, len, true, want);
#undef RESET

    /* a custom allocator is used for the loaded bundle and survives it */
    pol_bundle_release(ok);
    free(orig);
    free(f);
    pol_bundle_release(b);
    pol_compiler_free(cc);
}

/* Every bundle the loader produces comes from bytes the caller may free
 * right away. */
static void load_copies_input(const unsigned char *file, size_t len)
{
    unsigned char *copy = malloc(len);
    memcpy(copy, file, len);
    pol_error err;
    pol_bundle *b = pol_bundle_load(copy, len, NULL, &err);
    memset(copy, 0xAB, len);
    free(copy);
    CHECK(b != NULL);
    if (!b)
        return;
    size_t len2 = 0;
    unsigned char *again = save(b, &len2);
    CHECK(again && len2 == len && memcmp(again, file, len) == 0);
    free(again);
    pol_bundle_release(b);
}

/* An allocator that counts, to show the loader uses the one it is given
 * and frees everything it took. */
typedef struct counting {
    long live, calls;
} counting;

static void *cnt_malloc(void *u, size_t n)
{
    counting *c = u;
    c->live++;
    c->calls++;
    return malloc(n);
}

static void *cnt_realloc(void *u, void *p, size_t o, size_t n)
{
    counting *c = u;
    (void)o;
    c->calls++;
    if (!p)
        c->live++;
    return realloc(p, n);
}

static void cnt_free(void *u, void *p, size_t n)
{
    counting *c = u;
    (void)n;
    if (p)
        c->live--;
    free(p);
}

static void custom_allocator(const unsigned char *file, size_t len)
{
    counting cnt = {0, 0};
    pol_alloc al = {cnt_malloc, cnt_realloc, cnt_free, &cnt};
    pol_error err;
    pol_bundle *b = pol_bundle_load(file, len, &al, &err);
    CHECK(b != NULL);
    CHECK(cnt.calls > 0);
    size_t n = 0;
    CHECK(pol_bundle_save(b, NULL, 0, &n, &err) == POL_OK && n == len);
    pol_bundle_release(b);
    CHECK(cnt.live == 0);
    /* a rejected file leaves nothing behind either */
    unsigned char *bad = malloc(len);
    memcpy(bad, file, len);
    bad[len - 1] ^= 0x10;
    CHECK(pol_bundle_load(bad, len, &al, &err) == NULL);
    CHECK(cnt.live == 0);
    free(bad);
}

/* ---- float hints across save and load ------------------------------------- */

/* Every float under x has either no decimal hint or the right one;
 * counts the hinted ones. */
static bool hints_ok(const val *x, int *hinted)
{
    uint64_t mant;
    int e10;
    switch ((vtype)x->type) {
    case V_NUM:
        if (val_float_hint(x, &mant, &e10)) {
            num_decimal nd;
            num_shortest_double(x->u.d, &nd);
            char m[24];
            int n = snprintf(m, sizeof m, "%llu", (unsigned long long)mant);
            ++*hinted;
            return n == nd.ndigits && memcmp(m, nd.digits, (size_t)n) == 0 && e10 == nd.point - nd.ndigits;
        }
        return true;
    case V_ARR:
    case V_SET:
        for (uint32_t i = 0; i < x->len; i++)
            if (!hints_ok(x->u.a[i], hinted))
                return false;
        return true;
    case V_OBJ:
        for (uint32_t i = 0; i < x->len; i++)
            if (!hints_ok(x->u.o.v[i], hinted))
                return false;
        return true;
    default: return true;
    }
}

/* The file stores a float's bits only; the loader recomputes the hint,
 * and the loaded bundle prints and computes exactly as the compiled one. */
static void float_hints(void)
{
    static const char policy[] = "package t\n"
                                 "c := [9999.99, -0.125, 1e19, 0.1, 0.30000000000000004, 1.5e-7]\n"
                                 "s := sum(data.d)\n"
                                 "f := floor(data.d[0] / 7)\n";
    static const char data[] = "{\"d\": [12500.5, 30000, 9999.99, 4200, 750.25, 2.5e-9, 57450.74]}";
    pol_error err;
    pol_compiler *cc = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (pol_compiler_add_module(cc, "t.rego", policy, strlen(policy), &err) == POL_OK &&
        pol_compiler_add_data_json(cc, NULL, "data.json", data, strlen(data), &err) == POL_OK &&
        pol_compiler_add_entrypoint(cc, "data", &err) == POL_OK)
        b = pol_compiler_build(cc, &err);
    pol_compiler_free(cc);
    CHECK(b != NULL);
    if (!b)
        return;
    size_t len = 0;
    unsigned char *file = save(b, &len);
    pol_bundle *l = file ? pol_bundle_load(file, len, NULL, &err) : NULL;
    CHECK(l != NULL);
    pol_ctx *cb = pol_ctx_new(b, NULL, &err), *cl = l ? pol_ctx_new(l, NULL, &err) : NULL;
    CHECK(cb && cl);
    if (cb && cl) {
        static char t1[4096], t2[4096];
        int hb = 0, hl = 0;
        pol_result r1, r2;
        CHECK(pol_eval_json(cb, 0, NULL, 0, POL_EVAL_NO_INPUT, &r1, &err) == POL_OK);
        CHECK(r1.value && hints_ok((const val *)r1.value, &hb));
        pol_value_to_json(r1.value, 0, t1, sizeof t1);
        CHECK(pol_eval_json(cl, 0, NULL, 0, POL_EVAL_NO_INPUT, &r2, &err) == POL_OK);
        CHECK(r2.value && hints_ok((const val *)r2.value, &hl));
        pol_value_to_json(r2.value, 0, t2, sizeof t2);
        CHECK_STR(t2, t1);
        CHECK(hb == 9 && hl == hb); /* every float here has 9 digits or fewer; 1e19 is a NUM_BIG */
        CHECK(strstr(t1, "9999.99") != NULL && strstr(t1, "2.5e-9") != NULL && strstr(t1, "1.5e-7") != NULL);
    }
    pol_ctx_free(cb);
    pol_ctx_free(cl);
    pol_bundle_release(l);
    pol_bundle_release(b);
    free(file);
}

/* MKOBJK hands its constant's array to the object as its keys, so the
 * loader checks that the constant is exactly c keys in ascending order. */
static void object_literal_keys(void)
{
    static const char src[] = "package t\n"
                              "o := {\"b\": input.x, \"a\": 1}\n"
                              "l := [\"z\", \"a\"]\n";
    pol_error err;
    pol_compiler *cc = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (pol_compiler_add_module(cc, "t.rego", src, strlen(src), &err) == POL_OK &&
        pol_compiler_add_entrypoint(cc, "data.t.o", &err) == POL_OK &&
        pol_compiler_add_entrypoint(cc, "data.t.l", &err) == POL_OK)
        b = pol_compiler_build(cc, &err);
    CHECK(b != NULL);
    if (!b) {
        pol_compiler_free(cc);
        return;
    }
    /* the literal evaluates to the object it spells */
    pol_ctx *ctx = pol_ctx_new(b, NULL, &err);
    char out[128];
    eval_text(ctx, 0, "{\"x\": [1]}", out, sizeof out);
    CHECK_STR(out, "{\"a\":1,\"b\":[1]}");
    pol_ctx_free(ctx);

    const program *p = &b->prog;
    long at = -1, unsorted = -1;
    for (uint32_t i = 0; i < p->ncode && at < 0; i++)
        if (p->code[i].op == OP_MKOBJK)
            at = i;
    for (uint32_t k = 0; k < p->nk; k++)
        if (p->k[k]->type == V_ARR && p->k[k]->len == 2 && p->k[k]->u.a[0]->type == V_STR &&
            p->k[k]->u.a[0]->u.s[0] == 'z')
            unsorted = k;
    CHECK(at >= 0 && unsorted >= 0);
    size_t len = 0;
    unsigned char *orig = save(b, &len), *f = malloc(len);
    if (at >= 0 && unsorted >= 0 && orig && f) {
        long pi = 0;
        while (pi + 1 < (long)p->nprocs && p->procs[pi + 1].code <= (uint32_t)at)
            pi++;
        long rel = at - (long)p->procs[pi].code;
        size_t word = sect_off(orig, 3) + 8 + (size_t)at * 16;
        char want[160];
        memcpy(f, orig, len);
        put32(f + word + 8, p->code[at].c - 1);
        snprintf(want, sizeof want,
                 "bundle: proc %ld instruction %ld: MKOBJK keys are not a constant array of c keys", pi, rel);
        expect_reject(f, len, true, want);
        memcpy(f, orig, len);
        put32(f + word + 12, (uint32_t)unsorted);
        snprintf(want, sizeof want,
                 "bundle: proc %ld instruction %ld: MKOBJK keys are not strictly ascending", pi, rel);
        expect_reject(f, len, true, want);
    }
    free(orig);
    free(f);
    pol_bundle_release(b);
    pol_compiler_free(cc);
}

int main(int argc, char **argv)
{
    hand_made();
    object_literal_keys();
    float_hints();
    if (argc < 2) {
        fprintf(stderr, "usage: %s BENCH_DIR\n", argv[0]);
        return 2;
    }
    /* more rounds (other seeds) for a longer local fuzzing session */
    long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
    static const char *const names[] = {"rbac", "http_api", "k8s_admission", "terraform_plan",
                                        "abac_builtins"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        workload w;
        bool ok = workload_load(argv[1], names[i], &w);
        CHECK(ok);
        if (ok) {
            size_t len = 0;
            unsigned char *file = round_trip(&w, &len);
            if (file) {
                load_copies_input(file, len);
                if (i == 0)
                    custom_allocator(file, len);
                for (long round = 0; round < rounds; round++)
                    corruption_run(&w, file, len, 0x9E3779B97F4A7C15ull ^ (i + 1) ^ ((uint64_t)round << 32));
            }
            free(file);
        }
        workload_free(&w);
    }
    return TEST_SUMMARY();
}
