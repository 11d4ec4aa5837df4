/* `policy build` and the bundle-file side of `policy eval --bundle`.
 * Public API only, like the rest of the CLI. */
#ifndef POL_CLI_BUILD_H
#define POL_CLI_BUILD_H

#include "cli.h"

/* `policy build -o FILE -e ENTRYPOINT... PATH...`; argv[0] is "build".
 * Returns the process exit status (0 ok, 1 failed, 2 usage). */
int cli_build(int argc, char **argv);

/* Reads and loads a bundle file. NULL on failure with err filled (err->file
 * names the file). */
pol_bundle *cli_read_bundle(const char *path, pol_error *err);

/* The entrypoint a query names in a loaded bundle ("data.a.b", "a.b" or
 * "a/b"). -1 when it names none, with err saying which entrypoints the
 * bundle has. */
int cli_bundle_entrypoint(const pol_bundle *b, const char *query, pol_error *err);

/* The value of an entrypoint as `opa eval` presents a query result:
 * [{"expressions":[{"value":V,"text":NAME,"location":{"row":1,"col":1}}]}],
 * or [] when value is NULL (undefined). Built in ctx's arena after the
 * evaluation that produced value; NULL when the arena is full. */
const pol_value *cli_result_set(pol_ctx *ctx, const pol_value *value, const char *name);

#endif
