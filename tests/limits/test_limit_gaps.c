/* The output limit, pol_ctx_options.max_output_bytes: a result whose JSON
 * is larger fails with POL_LIMIT_OUTPUT (eval_output_limit); a smaller one
 * is unaffected. (The file began as a documented gap; the limit has been
 * enforced since, and the name stayed.) */
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "test.h"

static pol_ctx *echo_ctx(const pol_ctx_options *opt, pol_bundle **out)
{
    static const char src[] = "package echo\n\np := input.s\n";
    pol_error err;
    pol_compiler *c = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    if (c && pol_compiler_add_module(c, "echo.rego", src, strlen(src), &err) == POL_OK &&
        pol_compiler_add_entrypoint(c, "data.echo.p", &err) == POL_OK)
        b = pol_compiler_build(c, &err);
    pol_compiler_free(c);
    *out = b;
    return b ? pol_ctx_new(b, opt, &err) : NULL;
}

/* {"s": "aaaa…"} with n letters; malloc'd. */
static char *string_input(size_t n, size_t *len)
{
    char *s = malloc(n + 16);
    if (!s)
        return NULL;
    memcpy(s, "{\"s\": \"", 7);
    memset(s + 7, 'a', n);
    memcpy(s + 7 + n, "\"}", 3);
    *len = n + 9;
    return s;
}

static void gap_output(void)
{
    pol_ctx_options opt = {0};
    opt.max_output_bytes = 1024;
    pol_bundle *b = NULL;
    pol_ctx *ctx = echo_ctx(&opt, &b);
    CHECK(ctx != NULL);
    size_t len = 0;
    char *in = string_input(10000, &len);
    if (ctx && in) {
        pol_result res;
        pol_error err;
        memset(&err, 0, sizeof err);
        pol_status st = pol_eval_json(ctx, 0, in, len, 0, &res, &err);
        CHECK(st == POL_LIMIT_OUTPUT);
        CHECK_STR(pol_status_name(err.code), "eval_output_limit");
        /* A result within the limit is unaffected. */
        st = pol_eval_json(ctx, 0, "{\"s\": \"ok\"}", 11, 0, &res, &err);
        CHECK(st == POL_OK);
        /* Collections count their members, nested ones included: 40
         * ten-letter strings are about 520 bytes of JSON, 100 of them about
         * 1300; the same strings as object keys or inside nested arrays. */
        static const char *const shapes[][2] = {
            {"[", "]"},
            {"[[\"x\", [", "]]]"},
        };
        for (size_t shape = 0; shape < 2; shape++)
            for (int n = 40; n <= 100; n += 60) {
                char doc[4096];
                size_t at = (size_t)snprintf(doc, sizeof doc, "{\"s\": %s", shapes[shape][0]);
                for (int i = 0; i < n; i++)
                    at += (size_t)snprintf(doc + at, sizeof doc - at, "%s\"abcdefg%03d\"", i ? "," : "", i);
                at += (size_t)snprintf(doc + at, sizeof doc - at, "%s}", shapes[shape][1]);
                st = pol_eval_json(ctx, 0, doc, at, 0, &res, &err);
                CHECK(st == (n == 40 ? POL_OK : POL_LIMIT_OUTPUT));
                at = (size_t)snprintf(doc, sizeof doc, "{\"s\": {");
                for (int i = 0; i < n; i++)
                    at += (size_t)snprintf(doc + at, sizeof doc - at, "%s\"abcdefg%03d\": %s", i ? "," : "",
                                           i, shape ? "[\"v\"]" : "\"v\"");
                at += (size_t)snprintf(doc + at, sizeof doc - at, "}}");
                st = pol_eval_json(ctx, 0, doc, at, 0, &res, &err);
                CHECK(st == (n == 40 ? POL_OK : POL_LIMIT_OUTPUT));
            }
    }
    free(in);
    pol_ctx_free(ctx);
    pol_bundle_release(b);
}

int main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "output") == 0)
        gap_output();
    else
        CHECK(!"usage: test_limit_gaps output");
    return TEST_SUMMARY();
}
