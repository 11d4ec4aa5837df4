/* Embedding libpolicy: compile a policy once, evaluate an input, print the decision. */
#include <policy.h>
#include <stdio.h>
#include <string.h>

static const char policy[] = "package authz\n"
                             "default allow := false\n"
                             "allow if input.role == \"admin\"\n"
                             "allow if { input.method == \"GET\"; input.path[0] == \"public\" }\n";

int main(void)
{
    pol_error err = {0};
    pol_compiler *c = pol_compiler_new(NULL);
    pol_bundle *bundle = NULL;
    if (c && pol_compiler_add_module(c, "authz.rego", policy, strlen(policy), &err) == POL_OK &&
        pol_compiler_add_entrypoint(c, "data.authz.allow", &err) == POL_OK)
        bundle = pol_compiler_build(c, &err);
    pol_compiler_free(c); /* the bundle does not need the compiler */
    pol_ctx *ctx = bundle ? pol_ctx_new(bundle, NULL, &err) : NULL; /* one per thread */
    const char *input = "{\"method\": \"GET\", \"path\": [\"public\", \"index.html\"]}";
    pol_result res = {0};
    if (!ctx || pol_eval_json(ctx, pol_bundle_entrypoint(bundle, "data.authz.allow"), input, strlen(input), 0,
                              &res, &err) != POL_OK) {
        fprintf(stderr, "%s:%u:%u: %s: %s\n", err.file, err.line, err.col, pol_status_name(err.code),
                err.message);
        return 1;
    }
    printf("allow = %s\n", pol_value_bool(res.value) ? "true" : "false");
    pol_ctx_free(ctx);
    pol_bundle_release(bundle);
    return 0;
}
