/* `policy build`: compiles policies and data into a bundle file, and the
 * helpers `policy eval --bundle` uses to read one and present its result.
 *
 *   policy build -o FILE -e ENTRYPOINT... [--disasm] PATH...
 *
 * The file is written to FILE.tmp and renamed, so a reader (a server
 * watching FILE for hot reload) never sees half a bundle.
 */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char build_usage[] =
    "Usage: policy build -o FILE -e ENTRYPOINT... [options] PATH...\n"
    "\n"
    "Compiles the policies and data in each PATH (files or directories, as for\n"
    "`policy eval -d`) into the bundle file FILE, for `policy eval --bundle FILE`\n"
    "or pol_bundle_load().\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE          write the bundle to FILE (required)\n"
    "  -e, --entrypoint REF       a document the bundle can evaluate, as data.a.b,\n"
    "                             a.b or a/b (repeatable; at least one)\n"
    "      --disasm               also print the bytecode listing on standard output\n"
    "  -h, --help                 print this help\n"
    "\n"
    "Errors are printed as \"file:row:col: code: message\" on standard error.\n"
    "Exit status: 0 success, 1 an error, 2 a usage error.\n";

static int build_usage_error(const char *fmt, const char *arg)
{
    fputs("policy: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    fputs(build_usage, stderr);
    return CLI_EXIT_USAGE;
}

static void build_error(const pol_error *err)
{
    /* as `policy eval`: the position when there is one (I/O messages
     * already name their file) */
    if (err->file[0] && err->line > 0)
        fprintf(stderr, "%.*s:%u:%u: ", (int)sizeof err->file, err->file, (unsigned)err->line,
                (unsigned)err->col);
    fprintf(stderr, "%s: %.*s\n", pol_status_name(err->code), (int)sizeof err->message, err->message);
}

static void io_error(pol_error *err, const char *path, const char *what)
{
    memset(err, 0, sizeof *err);
    err->code = POL_IO;
    snprintf(err->file, sizeof err->file, "%s", path);
    snprintf(err->message, sizeof err->message, "%s: %s", what, strerror(errno));
}

static bool write_atomically(const char *path, const void *bytes, size_t len, pol_error *err)
{
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    if (!tmp) {
        errno = ENOMEM;
        io_error(err, path, "cannot write");
        return false;
    }
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    bool ok = f != NULL;
    if (ok)
        ok = fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        io_error(err, path, "cannot write");
        remove(tmp);
    }
    free(tmp);
    return ok;
}

static bool print_disasm(const pol_bundle *b)
{
    size_t n = pol_bundle_disassemble(b, NULL, 0);
    char *text = malloc(n + 1);
    if (!text)
        return false;
    pol_bundle_disassemble(b, text, n + 1);
    fwrite(text, 1, n, stdout);
    free(text);
    return true;
}

/* Compiles, saves and writes; returns the exit status. */
static int build_bundle(const char *out, const char *const *eps, size_t neps, const char *const *paths,
                        size_t npaths, bool disasm)
{
    pol_error err;
    memset(&err, 0, sizeof err);
    pol_compiler *c = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    unsigned char *bytes = NULL;
    pol_status st = c ? POL_OK : POL_NOMEM;
    if (!c)
        snprintf(err.message, sizeof err.message, "out of memory");
    for (size_t i = 0; st == POL_OK && i < npaths; i++)
        st = cli_load_path(c, paths[i], &err);
    for (size_t i = 0; st == POL_OK && i < neps; i++)
        st = pol_compiler_add_entrypoint(c, eps[i], &err);
    if (st == POL_OK) {
        b = pol_compiler_build(c, &err);
        st = b ? POL_OK : err.code;
    }
    size_t len = 0;
    if (st == POL_OK)
        st = pol_bundle_save(b, NULL, 0, &len, &err);
    if (st == POL_OK) {
        bytes = malloc(len ? len : 1);
        st = bytes ? pol_bundle_save(b, bytes, len, &len, &err) : POL_NOMEM;
        if (!bytes)
            snprintf(err.message, sizeof err.message, "out of memory");
    }
    if (st == POL_OK && !write_atomically(out, bytes, len, &err))
        st = POL_IO;
    if (st == POL_OK && disasm && !print_disasm(b))
        st = POL_NOMEM;
    if (st != POL_OK) {
        if (err.code == POL_OK)
            err.code = st;
        build_error(&err);
    }
    free(bytes);
    pol_bundle_release(b);
    pol_compiler_free(c);
    return st == POL_OK ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

int cli_build(int argc, char **argv)
{
    const char **eps = calloc((size_t)argc + 1, sizeof *eps),
               **paths = calloc((size_t)argc + 1, sizeof *paths);
    if (!eps || !paths) {
        free(eps);
        free(paths);
        return CLI_EXIT_FAILED;
    }
    size_t neps = 0, npaths = 0;
    const char *out = NULL;
    bool disasm = false, options_done = false;
    int rc = -1;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *arg = argv[i], *value = NULL;
        int m;
        if (options_done || arg[0] != '-') {
            paths[npaths++] = arg;
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(build_usage, stdout);
            rc = CLI_EXIT_OK;
        } else if (strcmp(arg, "--disasm") == 0) {
            disasm = true;
        } else if ((m = cli_flag_value(argc, argv, &i, "-o", "--output", &value)) != 0) {
            if (m < 0)
                rc = build_usage_error("%s needs a value", arg);
            else if (out)
                rc = build_usage_error("%s given twice", arg);
            out = value;
        } else if ((m = cli_flag_value(argc, argv, &i, "-e", "--entrypoint", &value)) != 0) {
            if (m < 0)
                rc = build_usage_error("%s needs a value", arg);
            else
                eps[neps++] = value;
        } else {
            rc = build_usage_error("unknown option %s", arg);
        }
    }
    if (rc < 0 && !out)
        rc = build_usage_error("%s", "build needs an output file (-o FILE)");
    if (rc < 0 && neps == 0)
        rc = build_usage_error("%s", "build needs at least one entrypoint (-e data.pkg.rule)");
    if (rc < 0 && npaths == 0)
        rc = build_usage_error("%s", "build needs at least one policy or data path");
    if (rc < 0)
        rc = build_bundle(out, eps, neps, paths, npaths, disasm);
    free(eps);
    free(paths);
    return rc;
}

/* ---- eval --bundle ------------------------------------------------------- */

pol_bundle *cli_read_bundle(const char *path, pol_error *err)
{
    size_t len = 0;
    char *bytes = cli_read_file(path, &len, err);
    if (!bytes)
        return NULL;
    pol_bundle *b = pol_bundle_load(bytes, len, NULL, err);
    free(bytes);
    if (!b)
        snprintf(err->file, sizeof err->file, "%s", path);
    return b;
}

int cli_bundle_entrypoint(const pol_bundle *b, const char *query, pol_error *err)
{
    int ep = pol_bundle_entrypoint(b, query);
    if (ep >= 0)
        return ep;
    memset(err, 0, sizeof *err);
    err->code = POL_INVALID_ARGUMENT;
    size_t n = pol_bundle_entrypoint_count(b);
    int used = snprintf(err->message, sizeof err->message,
                        "with --bundle the query must be one of the bundle's entrypoints; \"%s\" is not (%s",
                        query, n ? "entrypoints:" : "the bundle has none");
    for (size_t i = 0; i < n && used > 0 && (size_t)used < sizeof err->message; i++)
        used += snprintf(err->message + used, sizeof err->message - (size_t)used, "%s %s", i ? "," : "",
                         pol_bundle_entrypoint_name(b, i));
    if (used > 0 && (size_t)used < sizeof err->message)
        snprintf(err->message + used, sizeof err->message - (size_t)used, ")");
    return -1;
}

const pol_value *cli_result_set(pol_ctx *ctx, const pol_value *value, const char *name)
{
    pol_builder rows;
    pol_array_begin(ctx, &rows);
    if (value) {
        pol_builder loc, expr, exprs, row;
        pol_object_begin(ctx, &loc);
        bool ok = pol_object_put(&loc, "col", 3, pol_make_int(ctx, 1)) &&
                  pol_object_put(&loc, "row", 3, pol_make_int(ctx, 1));
        const pol_value *location = ok ? pol_object_end(&loc) : NULL;
        pol_object_begin(ctx, &expr);
        ok = location && pol_object_put(&expr, "location", 8, location) &&
             pol_object_put(&expr, "text", 4, pol_make_string(ctx, name, strlen(name))) &&
             pol_object_put(&expr, "value", 5, value);
        const pol_value *e = ok ? pol_object_end(&expr) : NULL;
        pol_array_begin(ctx, &exprs);
        ok = e && pol_array_push(&exprs, e);
        const pol_value *list = ok ? pol_array_end(&exprs) : NULL;
        pol_object_begin(ctx, &row);
        ok = list && pol_object_put(&row, "expressions", 11, list);
        const pol_value *r = ok ? pol_object_end(&row) : NULL;
        if (!r || !pol_array_push(&rows, r))
            return NULL;
    }
    return pol_array_end(&rows);
}
