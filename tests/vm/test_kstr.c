/* Constant-string ids (src/vm/kstr.[ch]) and the per-context artifacts
 * builtins keep for them (bi_ctx.prep):
 *  - the table: every string of the constants gets an id, equal text at
 *    another address and a shorter string sharing the bytes do not, the
 *    nested cap and its breadth-first order;
 *  - a compiled bundle: every string constant of K has an id; regex.match,
 *    glob.match and sprintf answer as Go/OPA do with constant patterns and
 *    formats, and with equal non-constant ones;
 *  - contexts: each keeps its own artifacts (two contexts of one bundle,
 *    and a context of another bundle);
 *  - a saved and loaded bundle behaves the same. */
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "policy.h"
#include "vm/vm.h"

/* ---- the table --------------------------------------------------------------- */

static const val *parse(arena *a, const char *json)
{
    json_error e;
    return json_parse(a, json, strlen(json), &e);
}

/* Every string below x (keys included) has an id in t. */
static bool all_have_ids(const kstr_table *t, const val *x)
{
    if (x->type == V_STR)
        return kstr_id(t, x) != KSTR_NONE && kstr_id(t, x) < t->n;
    if (x->type < V_ARR)
        return true;
    for (uint32_t i = 0; i < x->len; i++) {
        if (x->type == V_OBJ ? !all_have_ids(t, x->u.o.k[i]) || !all_have_ids(t, x->u.o.v[i])
                             : !all_have_ids(t, x->u.a[i]))
            return false;
    }
    return true;
}

static void test_table(void)
{
    arena a;
    arena_init_growable(&a, NULL);
    const val *data = parse(&a, "{\"cfg\": {\"paths\": [\"/a/**\", \"/b/*\"], \"re\": \"^x+$\"}, \"n\": 1}");
    const val *k[5] = {v_cstr(&a, "^emp-[0-9]{6}$"), v_cstr(&a, "user %s"), v_int(&a, 7),
                       parse(&a, "[\"g1\", [\"g2\"]]"), NULL};
    k[4] = v_str_ref(&a, k[0]->u.s, k[0]->len); /* another value, the same bytes */
    kstr_table t;
    CHECK(kstr_build(&t, &a, NULL, k, 5, &data, 1));
    CHECK(all_have_ids(&t, data));
    for (int i = 0; i < 5; i++)
        CHECK(all_have_ids(&t, k[i]));
    /* distinct bytes, distinct ids; the same bytes and length, one id */
    CHECK(kstr_id(&t, k[0]) != kstr_id(&t, k[1]));
    CHECK(kstr_id(&t, k[4]) == kstr_id(&t, k[0]));
    /* 2 top strings (one twice) + cfg, n, paths, re, 2 paths, ^x+$, g1, g2 */
    CHECK(t.n == 11);
    /* misses: equal text elsewhere, a prefix of the same bytes, the empty
     * string, a string the table never saw */
    CHECK(kstr_id(&t, v_cstr(&a, "^emp-[0-9]{6}$")) == KSTR_NONE);
    CHECK(kstr_id(&t, v_str_ref(&a, k[0]->u.s, k[0]->len - 1)) == KSTR_NONE);
    CHECK(kstr_id(&t, &val_empty_str_c) == KSTR_NONE);
    CHECK(kstr_id(&t, v_cstr(&a, "user %s!")) == KSTR_NONE);
    CHECK(t.mask == (uint32_t)(UINT64_MAX >> t.shift));
    /* a table with no strings, and one whose slots did not fit its
     * arena, still probe: every lookup misses */
    kstr_table t0;
    CHECK(kstr_build(&t0, &a, NULL, &k[2], 1, NULL, 0) && t0.n == 0);
    CHECK(kstr_id(&t0, k[0]) == KSTR_NONE && kstr_id(&t0, k[1]) == KSTR_NONE);
    CHECK(kstr_id(&t0, &val_empty_str_c) == KSTR_NONE);
    static const val no_bytes = {.type = V_STR, .len = 0, .u.s = NULL};
    CHECK(kstr_id(&t0, &no_bytes) == KSTR_NONE && kstr_id(&t, &no_bytes) == KSTR_NONE);
    unsigned char tiny[16];
    arena small;
    arena_init_fixed(&small, tiny, sizeof tiny);
    kstr_table tf;
    CHECK(!kstr_build(&tf, &small, NULL, k, 2, NULL, 0) && tf.n == 0);
    CHECK(kstr_id(&tf, k[0]) == KSTR_NONE && kstr_id(&tf, k[1]) == KSTR_NONE);
    /* ids are dense */
    bool seen[11] = {0};
    for (uint32_t i = 0; i < 11; i++) {
        const kstr_slot *e = t.slots;
        for (uint64_t j = 0; j <= (UINT64_MAX >> t.shift); j++)
            if (e[j].s && e[j].id < 11)
                seen[e[j].id] = true;
        CHECK(seen[i]);
    }

    /* the nested cap, shallowest first: a short list beside a deep long
     * one keeps its ids */
    size_t cap = 64 + 16 * (size_t)KSTR_MAX_NESTED;
    char *big = malloc(cap), *p = big;
    p += sprintf(p, "{\"a\": [[");
    for (int i = 0; i < KSTR_MAX_NESTED + 100; i++)
        p += sprintf(p, "%s\"s%d\"", i ? "," : "", i);
    sprintf(p, "]], \"z\": [\"shallow\"]}");
    const val *doc = parse(&a, big);
    free(big);
    CHECK(doc != NULL);
    kstr_table t2;
    CHECK(kstr_build(&t2, &a, NULL, k, 2, &doc, 1));
    CHECK(t2.n == 2 + KSTR_MAX_NESTED);
    const val *shallow = doc->u.o.v[1]->u.a[0];
    CHECK(kstr_id(&t2, shallow) != KSTR_NONE);
    CHECK(kstr_id(&t2, doc->u.o.v[0]->u.a[0]->u.a[0]) != KSTR_NONE);
    CHECK(kstr_id(&t2, doc->u.o.v[0]->u.a[0]->u.a[KSTR_MAX_NESTED + 99]) == KSTR_NONE);
    arena_free(&a);
}

/* ---- bundles and contexts ------------------------------------------------------ */

static const char policy[] =
    "package t\n"
    "import rego.v1\n"
    "default id_ok := false\n"
    "id_ok if regex.match(`^emp-[0-9]{6}$`, input.id)\n"
    "paths contains p if {\n"
    "  some p in data.cfg.paths\n"
    "  glob.match(p, [\"/\"], input.path)\n"
    "}\n"
    "msg := sprintf(\"user %s has %d items (%q)\", [input.id, count(input.items), input.tag])\n"
    "cfg_re := regex.match(data.cfg.re, input.id)\n"
    "dyn_re := regex.match(input.re, input.id)\n"
    "dyn_fmt := sprintf(input.fmt, [input.id])\n"
    "decision := {\"id_ok\": id_ok, \"paths\": paths, \"msg\": msg, \"cfg_re\": cfg_re,\n"
    "  \"dyn_re\": dyn_re, \"dyn_fmt\": dyn_fmt}\n";

static const char data_json[] =
    "{\"cfg\": {\"paths\": [\"/finance/**\", \"/payments/*/batch-?\", \"/payments/**\"], \"re\": \"-0042\"}}";

/* The text equals the constants' (a non-constant with the same text must
 * answer the same). */
static const char input_a[] =
    "{\"id\": \"emp-004211\", \"path\": \"/payments/eu/batch-7\", \"items\": [1, 2],"
    " \"tag\": \"x\\\"y\", \"re\": \"^emp-[0-9]{6}$\", \"fmt\": \"user %s has\"}";
static const char want_a[] = "{\"cfg_re\":true,\"dyn_fmt\":\"user emp-004211 has\",\"dyn_re\":true,"
                             "\"id_ok\":true,\"msg\":\"user emp-004211 has 2 items (\\\"x\\\\\\\"y\\\")\","
                             "\"paths\":[\"/payments/**\",\"/payments/*/batch-?\"]}";
static const char input_b[] = "{\"id\": \"emp-04211\", \"path\": \"/finance/q3/report\", \"items\": [],"
                              " \"tag\": \"\", \"re\": \"emp\", \"fmt\": \"%q\"}";
static const char want_b[] =
    "{\"cfg_re\":false,\"dyn_fmt\":\"\\\"emp-04211\\\"\",\"dyn_re\":true,\"id_ok\":false,"
    "\"msg\":\"user emp-04211 has 0 items (\\\"\\\")\",\"paths\":[\"/finance/**\"]}";

static pol_bundle *compile_policy(void)
{
    pol_error err;
    pol_compiler *c = pol_compiler_new(NULL);
    bool ok =
        c && pol_compiler_add_module(c, "t.rego", policy, strlen(policy), &err) == POL_OK &&
        pol_compiler_add_data_json(c, NULL, "data.json", data_json, strlen(data_json), &err) == POL_OK &&
        pol_compiler_add_entrypoint(c, "data.t.decision", &err) == POL_OK;
    pol_bundle *b = ok ? pol_compiler_build(c, &err) : NULL;
    if (!b)
        fprintf(stderr, "compile: %s\n", err.message);
    pol_compiler_free(c);
    return b;
}

static void expect_eval(pol_ctx *ctx, const char *input, const char *want)
{
    pol_result r;
    pol_error err;
    int ep = pol_bundle_entrypoint(ctx->bundle, "data.t.decision");
    pol_status st = pol_eval_json(ctx, ep, input, strlen(input), 0, &r, &err);
    char got[1024];
    got[0] = 0;
    if (st == POL_OK)
        pol_value_to_json(r.value, 0, got, sizeof got);
    CHECK(st == POL_OK);
    CHECK_STR(got, want);
}

/* Every top-level string of the program's constants has an id. */
static void check_program_ids(const program *p)
{
    uint32_t strings = 0, with_id = 0;
    for (uint32_t i = 0; i < p->nk; i++) {
        if (p->k[i]->type != V_STR)
            continue;
        strings++;
        with_id += kstr_id(&p->kstr, p->k[i]) != KSTR_NONE;
    }
    CHECK(strings > 0 && with_id == strings);
    CHECK(p->kstr.n >= strings);
}

/* The artifact slot of kind `kind` for the string constant with text s:
 * the first K entry, or a string of the base document, spelled so. */
static const void *slot_of(pol_ctx *ctx, const char *s, bi_prep_kind kind)
{
    const program *p = ctx->prog;
    const kstr_slot *e = p->kstr.slots;
    for (uint64_t j = 0; p->kstr.n && j <= (UINT64_MAX >> p->kstr.shift); j++)
        if (e[j].s && e[j].len == strlen(s) && memcmp(e[j].s, s, e[j].len) == 0 &&
            ctx->bi.prep[(size_t)e[j].id * BI_PREP_KINDS + kind])
            return ctx->bi.prep[(size_t)e[j].id * BI_PREP_KINDS + kind];
    return NULL;
}

static bool within(const void *p, const void *block, size_t n)
{
    return (const char *)p >= (const char *)block && (const char *)p < (const char *)block + n;
}

static void test_contexts(void)
{
    pol_bundle *b1 = compile_policy(), *b2 = compile_policy();
    CHECK(b1 && b2);
    if (!b1 || !b2)
        return;
    check_program_ids(&b1->prog);
    pol_error err;
    pol_ctx *c1 = pol_ctx_new(b1, NULL, &err), *c2 = pol_ctx_new(b1, NULL, &err),
            *c3 = pol_ctx_new(b2, NULL, &err);
    CHECK(c1 && c2 && c3);
    if (!c1 || !c2 || !c3)
        return;
    CHECK(c1->bi.kstr == &b1->prog.kstr && c2->bi.kstr == &b1->prog.kstr && c3->bi.kstr == &b2->prog.kstr);
    CHECK(c1->bi.prep != c2->bi.prep);
    /* nothing is prepared before the first evaluation */
    CHECK(slot_of(c1, "^emp-[0-9]{6}$", BI_PREP_REGEX) == NULL);
    for (int round = 0; round < 3; round++) {
        expect_eval(c1, input_a, want_a);
        expect_eval(c1, input_b, want_b);
        expect_eval(c3, input_b, want_b);
    }
    /* c1 prepared its constants, each into its own pattern cache */
    const void *rx1 = slot_of(c1, "^emp-[0-9]{6}$", BI_PREP_REGEX);
    const void *glob1 = slot_of(c1, "/finance/**", BI_PREP_GLOB);
    CHECK(rx1 && within(rx1, c1->rx_buf, 1u << 20));
    CHECK(glob1 && within(glob1, c1->rx_buf, 1u << 20));
    CHECK(slot_of(c1, "-0042", BI_PREP_REGEX) != NULL);
    CHECK(within(slot_of(c1, "user %s has %d items (%q)", BI_PREP_SPRINTF), c1->prep_buf, c1->prep_bytes));
    /* the same text as a non-constant is prepared by no slot */
    CHECK(slot_of(c1, "user %s has", BI_PREP_SPRINTF) == NULL);
    /* c2 shares the bundle, not the artifacts: none until it evaluates */
    CHECK(slot_of(c2, "^emp-[0-9]{6}$", BI_PREP_REGEX) == NULL);
    expect_eval(c2, input_a, want_a);
    const void *rx2 = slot_of(c2, "^emp-[0-9]{6}$", BI_PREP_REGEX);
    CHECK(rx2 && rx2 != rx1 && within(rx2, c2->rx_buf, 1u << 20));
    const void *rx3 = slot_of(c3, "^emp-[0-9]{6}$", BI_PREP_REGEX);
    CHECK(rx3 && within(rx3, c3->rx_buf, 1u << 20));
    expect_eval(c1, input_a, want_a);
    CHECK(slot_of(c1, "^emp-[0-9]{6}$", BI_PREP_REGEX) == rx1);
    pol_ctx_free(c1);
    pol_ctx_free(c2);
    pol_ctx_free(c3);

    /* a saved and loaded bundle: the ids are rebuilt at load, the
     * answers are the same */
    size_t need = 0, len = 0;
    CHECK(pol_bundle_save(b1, NULL, 0, &need, &err) == POL_OK);
    void *bytes = malloc(need);
    CHECK(bytes && pol_bundle_save(b1, bytes, need, &len, &err) == POL_OK);
    pol_bundle *lb = bytes ? pol_bundle_load(bytes, len, NULL, &err) : NULL;
    free(bytes);
    CHECK(lb != NULL);
    if (lb) {
        check_program_ids(&lb->prog);
        pol_ctx *c4 = pol_ctx_new(lb, NULL, &err);
        CHECK(c4 != NULL);
        for (int round = 0; c4 && round < 2; round++) {
            expect_eval(c4, input_a, want_a);
            expect_eval(c4, input_b, want_b);
        }
        CHECK(c4 && slot_of(c4, "^emp-[0-9]{6}$", BI_PREP_REGEX) != NULL);
        CHECK(c4 && slot_of(c4, "/payments/**", BI_PREP_GLOB) != NULL);
        pol_ctx_free(c4);
        pol_bundle_release(lb);
    }
    pol_bundle_release(b1);
    pol_bundle_release(b2);
}

int main(void)
{
    test_table();
    test_contexts();
    return TEST_SUMMARY();
}
