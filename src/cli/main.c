/* `policy`: the command-line front end, compatible with `opa eval`.
 *
 *   policy eval [-d PATH]... [-i FILE | -I] [-f json|raw|pretty] QUERY
 *   policy check PATH...
 *   policy build -o FILE -e ENTRYPOINT... PATH...   (build.c)
 *   policy eval --bundle FILE [-i FILE | -I] [-f FORMAT] ENTRYPOINT
 *   policy bench [-d PATH]... [-i FILE] QUERY     (bench.c)
 *   policy version | help
 *
 * It uses nothing but the public header, like any other embedder. Output
 * formats follow `opa eval`: json prints the result set under "result"
 * (or `{}` when undefined); raw prints each row's expression values on a
 * line, strings unquoted; pretty prints one value as indented JSON, or a
 * table for several expressions/bindings.
 *
 * Exit status: 0 success, 1 an error (or --fail / --fail-defined tripped),
 * 2 a usage error.
 */
#include "build.h"
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

typedef enum out_format { FMT_JSON, FMT_RAW, FMT_PRETTY } out_format;

typedef struct eval_opts {
    const char **data_paths; /* borrowed from argv */
    size_t n_data;
    const char *input_path;
    bool stdin_input;
    out_format format;
    bool strict_builtin_errors;
    bool test_builtins;
    bool fail_undefined;
    bool fail_defined;
    const char *bundle_path;
    const char *query;
} eval_opts;

/* ---- output helpers ----------------------------------------------------- */

static void put_json_string(FILE *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        default:
            if (ch < 0x20) {
                fprintf(out, "\\u00%c%c", hex[ch >> 4], hex[ch & 15]);
            } else {
                fputc(ch, out);
            }
        }
    }
    fputc('"', out);
}

/* Serializes v into a malloc'd string (NULL on allocation failure). */
static char *value_json(const pol_value *v, int pretty)
{
    size_t need = pol_value_to_json(v, pretty, NULL, 0);
    char *buf = malloc(need + 1);
    if (!buf)
        return NULL;
    pol_value_to_json(v, pretty, buf, need + 1);
    return buf;
}

/* Writes `text` with `indent` spaces after every newline, so a pretty
 * value can be nested inside an envelope. JSON strings never contain a raw
 * newline, so every newline is layout. */
static void put_indented(FILE *out, const char *text, int indent)
{
    for (const char *p = text; *p; p++) {
        fputc(*p, out);
        if (*p == '\n')
            fprintf(out, "%*s", indent, "");
    }
}

/* `opa eval` errors: JSON on stdout for --format json, else one line on
 * stderr: "file:row:col: code: message" (position parts omitted when
 * unknown, as OPA does). */
static void print_error(out_format format, const pol_error *err)
{
    const char *code = pol_status_name(err->code);
    if (format == FMT_JSON) {
        FILE *out = stdout;
        fputs("{\n  \"errors\": [\n    {\n      \"code\": ", out);
        put_json_string(out, code, strlen(code));
        fputs(",\n      \"message\": ", out);
        put_json_string(out, err->message, strnlen(err->message, sizeof err->message));
        if (err->line > 0) {
            fputs(",\n      \"location\": {\n        \"file\": ", out);
            put_json_string(out, err->file, strnlen(err->file, sizeof err->file));
            fprintf(out, ",\n        \"row\": %u,\n        \"col\": %u\n      }", (unsigned)err->line,
                    (unsigned)err->col);
        }
        fputs("\n    }\n  ]\n}\n", out);
        return;
    }
    FILE *out = stderr;
    if (err->file[0] && err->line > 0)
        fprintf(out, "%.*s:%u:%u: ", (int)sizeof err->file, err->file, (unsigned)err->line,
                (unsigned)err->col);
    else if (err->line > 0)
        fprintf(out, "%u:%u: ", (unsigned)err->line, (unsigned)err->col);
    fprintf(out, "%s: %.*s\n", code, (int)sizeof err->message, err->message);
}

/* ---- presenting results -------------------------------------------------- */

static const pol_value *row_expressions(const pol_value *row)
{
    const pol_value *exprs = pol_value_get(row, "expressions");
    return exprs && pol_value_type(exprs) == POL_ARRAY ? exprs : NULL;
}

static const pol_value *row_bindings(const pol_value *row)
{
    const pol_value *b = pol_value_get(row, "bindings");
    return b && pol_value_type(b) == POL_OBJECT ? b : NULL;
}

static const pol_value *expr_value(const pol_value *exprs, size_t i)
{
    const pol_value *e = pol_value_index(exprs, i);
    return e ? pol_value_get(e, "value") : NULL;
}

static int print_json_result(const pol_value *rows)
{
    if (pol_value_length(rows) == 0) {
        fputs("{}\n", stdout);
        return EXIT_OK;
    }
    char *text = value_json(rows, 1);
    if (!text)
        return EXIT_FAILED;
    fputs("{\n  \"result\": ", stdout);
    put_indented(stdout, text, 2);
    fputs("\n}\n", stdout);
    free(text);
    return EXIT_OK;
}

/* As `opa eval --format raw`: per row, expression values separated by a
 * space, strings unquoted, everything else compact JSON. */
static int print_raw_result(const pol_value *rows)
{
    for (size_t r = 0; r < pol_value_length(rows); r++) {
        const pol_value *exprs = row_expressions(pol_value_index(rows, r));
        size_t n = exprs ? pol_value_length(exprs) : 0;
        for (size_t i = 0; i < n; i++) {
            const pol_value *v = expr_value(exprs, i);
            if (v && pol_value_type(v) == POL_STRING) {
                size_t len = 0;
                const char *s = pol_value_string(v, &len);
                fwrite(s, 1, len, stdout);
            } else if (v) {
                char *text = value_json(v, 0);
                if (!text)
                    return EXIT_FAILED;
                fputs(text, stdout);
                free(text);
            }
            fputc(i + 1 < n ? ' ' : '\n', stdout);
        }
    }
    return EXIT_OK;
}

/* One column of the pretty table: a binding (name != NULL) or an
 * expression (by index, headed by its text). */
typedef struct table_col {
    const char *binding;
    size_t expr_index;
    const char *header;
    size_t header_len;
    size_t width;
} table_col;

static char *cell_text(const pol_value *row, const table_col *col)
{
    const pol_value *v = NULL;
    if (col->binding) {
        const pol_value *b = row_bindings(row);
        v = b ? pol_value_get(b, col->binding) : NULL;
    } else {
        const pol_value *exprs = row_expressions(row);
        v = exprs ? expr_value(exprs, col->expr_index) : NULL;
    }
    return v ? value_json(v, 0) : strdup("");
}

static void table_rule(const table_col *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fputc('+', stdout);
        for (size_t w = 0; w < cols[i].width + 2; w++)
            fputc('-', stdout);
    }
    fputs("+\n", stdout);
}

static void table_cell(const char *text, size_t len, size_t width)
{
    fprintf(stdout, "| %.*s%*s ", (int)len, text, (int)(width - len), "");
}

/* Columns as OPA picks them: the first row's bindings (sorted), then the
 * expressions whose value is not a boolean (all of them when there are no
 * bindings). */
static int print_table(const pol_value *rows)
{
    const pol_value *first = pol_value_index(rows, 0);
    const pol_value *bindings = row_bindings(first);
    const pol_value *exprs = row_expressions(first);
    size_t nb = bindings ? pol_value_length(bindings) : 0, ne = exprs ? pol_value_length(exprs) : 0;
    table_col *cols = calloc(nb + ne + 1, sizeof *cols);
    if (!cols)
        return EXIT_FAILED;
    size_t n = 0;
    for (size_t i = 0; i < nb; i++) {
        const pol_value *key = pol_value_key(bindings, i);
        if (!key || pol_value_type(key) != POL_STRING)
            continue;
        cols[n].binding = pol_value_string(key, &cols[n].header_len);
        cols[n].header = cols[n].binding;
        n++;
    }
    for (size_t i = 0; i < ne; i++) {
        const pol_value *v = expr_value(exprs, i);
        if (nb > 0 && v && pol_value_type(v) == POL_BOOLEAN)
            continue;
        const pol_value *text = pol_value_get(pol_value_index(exprs, i), "text");
        cols[n].expr_index = i;
        cols[n].header =
            text && pol_value_type(text) == POL_STRING ? pol_value_string(text, &cols[n].header_len) : "";
        n++;
    }
    size_t nrows = pol_value_length(rows);
    char **cells = calloc(nrows * n + 1, sizeof *cells);
    int rc = cells ? EXIT_OK : EXIT_FAILED;
    for (size_t c = 0; c < n; c++)
        cols[c].width = cols[c].header_len;
    for (size_t r = 0; rc == EXIT_OK && r < nrows; r++) {
        for (size_t c = 0; c < n; c++) {
            char *t = cell_text(pol_value_index(rows, r), &cols[c]);
            if (!t) {
                rc = EXIT_FAILED;
                break;
            }
            cells[r * n + c] = t;
            if (strlen(t) > cols[c].width)
                cols[c].width = strlen(t);
        }
    }
    if (rc == EXIT_OK) {
        table_rule(cols, n);
        for (size_t c = 0; c < n; c++)
            table_cell(cols[c].header, cols[c].header_len, cols[c].width);
        fputs("|\n", stdout);
        table_rule(cols, n);
        for (size_t r = 0; r < nrows; r++) {
            for (size_t c = 0; c < n; c++)
                table_cell(cells[r * n + c], strlen(cells[r * n + c]), cols[c].width);
            fputs("|\n", stdout);
        }
        table_rule(cols, n);
    }
    for (size_t i = 0; cells && i < nrows * n; i++)
        free(cells[i]);
    free(cells);
    free(cols);
    return rc;
}

/* As `opa eval --format pretty`: "undefined"; one value as indented JSON
 * when there is one row without bindings whose expressions are a single
 * one or all booleans; otherwise a table. */
static int print_pretty_result(const pol_value *rows)
{
    if (pol_value_length(rows) == 0) {
        fputs("undefined\n", stdout);
        return EXIT_OK;
    }
    const pol_value *first = pol_value_index(rows, 0);
    const pol_value *bindings = row_bindings(first);
    const pol_value *exprs = row_expressions(first);
    size_t ne = exprs ? pol_value_length(exprs) : 0;
    if (pol_value_length(rows) == 1 && (!bindings || pol_value_length(bindings) == 0) && ne > 0) {
        bool all_bool = true;
        for (size_t i = 0; i < ne; i++) {
            const pol_value *v = expr_value(exprs, i);
            all_bool = all_bool && v && pol_value_type(v) == POL_BOOLEAN;
        }
        if (ne == 1 || all_bool) {
            char *text = value_json(expr_value(exprs, 0), 1);
            if (!text)
                return EXIT_FAILED;
            fputs(text, stdout);
            fputc('\n', stdout);
            free(text);
            return EXIT_OK;
        }
    }
    return print_table(rows);
}

/* ---- commands ----------------------------------------------------------- */

static const char main_usage[] = "Usage: policy <command> [options]\n"
                                 "\n"
                                 "An embeddable Rego (Open Policy Agent) policy engine.\n"
                                 "\n"
                                 "Commands:\n"
                                 "  eval      evaluate a Rego query (like `opa eval`)\n"
                                 "  check     compile policies and report errors without evaluating\n"
                                 "  bench     time a query's evaluation (like `opa bench`)\n"
                                 "  build     compile policies and data into a bundle file\n"
                                 "  version   print the version\n"
                                 "  help      print this help\n"
                                 "\n"
                                 "Run `policy <command> --help` for the options of a command.\n";

static const char eval_usage[] =
    "Usage: policy eval [options] QUERY\n"
    "\n"
    "Evaluates the Rego query QUERY (any query body, e.g. 'data.authz.allow' or\n"
    "'x := data.a; x > 1') against the given policies and data, like `opa eval`.\n"
    "\n"
    "Options:\n"
    "  -d, --data PATH             load a policy or data file or directory (repeatable):\n"
    "                              .rego files are modules; .json/.yaml/.yml files are\n"
    "                              merged into data at the root, or at \"a.b\" for files\n"
    "                              in the subdirectory a/b of a directory given to -d\n"
    "  -i, --input FILE            use the JSON document in FILE as `input`\n"
    "  -I, --stdin-input           read the JSON `input` document from standard input\n"
    "  -f, --format FORMAT         output format: json (default; the result set under\n"
    "                              \"result\", or {} when undefined), raw (values only,\n"
    "                              strings unquoted) or pretty (indented JSON or a table)\n"
    "      --strict-builtin-errors treat builtin errors as evaluation errors instead of\n"
    "                              making the failing expression undefined\n"
    "      --test-builtins         also provide OPA's test-harness builtins\n"
    "                              (test.sleep), as its conformance runner does\n"
    "      --fail                  exit with status 1 when the result is undefined\n"
    "      --fail-defined          exit with status 1 when the result is defined\n"
    "  -b, --bundle FILE           evaluate with a bundle file from `policy build`\n"
    "                              instead of -d; QUERY must then name one of the\n"
    "                              bundle's entrypoints (e.g. data.authz.allow)\n"
    "  -h, --help                  print this help\n"
    "\n"
    "Errors are printed as JSON on standard output with --format json, otherwise as\n"
    "\"file:row:col: code: message\" on standard error. Exit status: 0 success,\n"
    "1 an error or --fail/--fail-defined tripped, 2 a usage error.\n";

static const char check_usage[] =
    "Usage: policy check [options] PATH...\n"
    "\n"
    "Parses and compiles the policies (and data) in each PATH (files or directories,\n"
    "as for `policy eval -d`) and reports the first error. Exit status 0 when clean.\n"
    "\n"
    "Options:\n"
    "  -f, --format FORMAT   error format: pretty (default, on standard error) or json\n"
    "  -h, --help            print this help\n";

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fputs("policy: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\n\n", stderr);
    fputs(usage, stderr);
    return EXIT_USAGE;
}

/* See cli.h. */
int cli_flag_value(int argc, char **argv, int *i, const char *short_name, const char *long_name,
                   const char **value)
{
    const char *arg = argv[*i];
    size_t ll = strlen(long_name);
    if (strncmp(arg, long_name, ll) == 0 && arg[ll] == '=') {
        *value = arg + ll + 1;
        return 1;
    }
    bool exact = strcmp(arg, long_name) == 0 || (short_name && strcmp(arg, short_name) == 0);
    if (!exact && short_name && strncmp(arg, short_name, 2) == 0 && arg[2] != '\0') {
        *value = arg + 2;
        return 1;
    }
    if (!exact)
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *value = argv[++*i];
    return 1;
}

static bool parse_format(const char *name, out_format *out)
{
    if (strcmp(name, "json") == 0)
        *out = FMT_JSON;
    else if (strcmp(name, "raw") == 0)
        *out = FMT_RAW;
    else if (strcmp(name, "pretty") == 0)
        *out = FMT_PRETTY;
    else
        return false;
    return true;
}

/* Reads the input document, if any. *input stays NULL when there is none. */
static pol_status read_input(const eval_opts *o, char **input, size_t *len, pol_error *err)
{
    *input = NULL;
    *len = 0;
    if (o->stdin_input) {
        *input = cli_slurp_stream(stdin, len);
        if (!*input) {
            cli_set_error(err, POL_IO, "", "reading input from standard input failed", NULL, NULL);
            return POL_IO;
        }
    } else if (o->input_path) {
        if (cli_file_kind_of(o->input_path) == FILE_YAML) {
            cli_set_error(err, POL_INVALID_ARGUMENT, o->input_path,
                          "%s: YAML input is not supported yet; use JSON", o->input_path, NULL);
            return POL_INVALID_ARGUMENT;
        }
        *input = cli_read_file(o->input_path, len, err);
        if (!*input)
            return err->code;
    }
    return POL_OK;
}

static int run_eval(const eval_opts *o)
{
    pol_error err;
    memset(&err, 0, sizeof err);
    pol_compiler *c = NULL;
    pol_bundle *bundle = NULL;
    pol_ctx *ctx = NULL;
    char *input = NULL;
    size_t input_len = 0;
    int rc = EXIT_FAILED;
    pol_status st = POL_OK;
    int ep = -1;
    if (o->bundle_path) {
        /* a bundle holds compiled entrypoints only, no sources to add a
         * query to: the query must be one of them (build.c) */
        bundle = cli_read_bundle(o->bundle_path, &err);
        st = bundle ? POL_OK : err.code;
        if (st == POL_OK && (ep = cli_bundle_entrypoint(bundle, o->query, &err)) < 0)
            st = err.code;
    } else {
        c = pol_compiler_new(NULL);
        st = c ? POL_OK : POL_NOMEM;
        if (!c)
            cli_set_error(&err, POL_NOMEM, "", "out of memory", NULL, NULL);
        else
            pol_compiler_set_flags(c, o->test_builtins ? POL_COMPILE_TEST_BUILTINS : 0u);
        for (size_t i = 0; st == POL_OK && i < o->n_data; i++)
            st = cli_load_path(c, o->data_paths[i], &err);
        if (st == POL_OK)
            st = pol_compiler_add_query(c, "query", o->query, strlen(o->query), &err);
        if (st == POL_OK) {
            bundle = pol_compiler_build(c, &err);
            st = bundle ? POL_OK : err.code;
        }
        if (st == POL_OK)
            ep = pol_bundle_entrypoint(bundle, "query");
    }
    if (st == POL_OK) {
        ctx = pol_ctx_new(bundle, NULL, &err);
        st = ctx ? POL_OK : err.code;
    }
    if (st == POL_OK)
        st = read_input(o, &input, &input_len, &err);
    pol_result res = {NULL};
    if (st == POL_OK) {
        unsigned flags = (o->strict_builtin_errors ? POL_EVAL_STRICT_BUILTIN_ERRORS : 0u) |
                         (input ? 0u : POL_EVAL_NO_INPUT);
        st = pol_eval_json(ctx, ep, input ? input : "", input_len, flags, &res, &err);
        if (st == POL_UNDEFINED) /* a query is never undefined; an entrypoint may be */
            st = POL_OK;
        if (st == POL_OK && o->bundle_path) {
            /* an entrypoint yields its value: present it as a query result */
            res.value = cli_result_set(ctx, res.value, pol_bundle_entrypoint_name(bundle, (size_t)ep));
            if (!res.value) {
                cli_set_error(&err, POL_LIMIT_ARENA, "", "evaluation arena exhausted", NULL, NULL);
                st = POL_LIMIT_ARENA;
            }
        }
        /* The library knows the input only as "input"; name the file. */
        if (st == POL_JSON) {
            const char *name = o->stdin_input ? "<stdin>" : o->input_path;
            snprintf(err.file, sizeof err.file, "%s", name ? name : "");
        }
    }
    if (st != POL_OK) {
        if (err.code == POL_OK)
            err.code = st;
        print_error(o->format, &err);
    } else {
        size_t rows = res.value && pol_value_type(res.value) == POL_ARRAY ? pol_value_length(res.value) : 0;
        if (o->format == FMT_JSON)
            rc = res.value ? print_json_result(res.value) : (fputs("{}\n", stdout), EXIT_OK);
        else if (o->format == FMT_RAW)
            rc = res.value ? print_raw_result(res.value) : EXIT_OK;
        else
            rc = res.value ? print_pretty_result(res.value) : (fputs("undefined\n", stdout), EXIT_OK);
        if (rc == EXIT_OK && ((o->fail_undefined && rows == 0) || (o->fail_defined && rows > 0)))
            rc = EXIT_FAILED;
    }
    free(input);
    pol_ctx_free(ctx);
    pol_bundle_release(bundle);
    pol_compiler_free(c);
    return rc;
}

static int cmd_eval(int argc, char **argv)
{
    eval_opts o;
    memset(&o, 0, sizeof o);
    o.format = FMT_JSON;
    o.data_paths = calloc((size_t)argc + 1, sizeof *o.data_paths);
    if (!o.data_paths)
        return EXIT_FAILED;
    int rc = -1;
    bool options_done = false;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *arg = argv[i], *value = NULL;
        int m;
        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (o.query)
                rc = usage_error(eval_usage, "eval takes exactly one query, got another: %s", arg);
            o.query = arg;
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(eval_usage, stdout);
            rc = EXIT_OK;
        } else if ((m = cli_flag_value(argc, argv, &i, "-d", "--data", &value)) != 0) {
            if (m < 0)
                rc = usage_error(eval_usage, "%s needs a value", arg);
            else
                o.data_paths[o.n_data++] = value;
        } else if ((m = cli_flag_value(argc, argv, &i, "-i", "--input", &value)) != 0) {
            if (m < 0)
                rc = usage_error(eval_usage, "%s needs a value", arg);
            o.input_path = value;
        } else if ((m = cli_flag_value(argc, argv, &i, "-b", "--bundle", &value)) != 0) {
            if (m < 0)
                rc = usage_error(eval_usage, "%s needs a value", arg);
            o.bundle_path = value;
        } else if ((m = cli_flag_value(argc, argv, &i, "-f", "--format", &value)) != 0) {
            if (m < 0)
                rc = usage_error(eval_usage, "%s needs a value", arg);
            else if (!parse_format(value, &o.format))
                rc = usage_error(eval_usage, "unknown format %s (want json, raw or pretty)", value);
        } else if (strcmp(arg, "-I") == 0 || strcmp(arg, "--stdin-input") == 0) {
            o.stdin_input = true;
        } else if (strcmp(arg, "--strict-builtin-errors") == 0) {
            o.strict_builtin_errors = true;
        } else if (strcmp(arg, "--test-builtins") == 0) {
            o.test_builtins = true;
        } else if (strcmp(arg, "--fail") == 0) {
            o.fail_undefined = true;
        } else if (strcmp(arg, "--fail-defined") == 0) {
            o.fail_defined = true;
        } else {
            rc = usage_error(eval_usage, "unknown option %s", arg);
        }
    }
    if (rc < 0 && !o.query)
        rc = usage_error(eval_usage, "%s", "eval needs a query");
    if (rc < 0 && o.stdin_input && o.input_path)
        rc = usage_error(eval_usage, "%s", "--input and --stdin-input are mutually exclusive");
    if (rc < 0 && o.bundle_path && o.n_data)
        rc = usage_error(eval_usage, "%s",
                         "--bundle and --data cannot be combined (build the data into the bundle)");
    if (rc < 0 && o.fail_undefined && o.fail_defined)
        rc = usage_error(eval_usage, "%s", "--fail and --fail-defined are mutually exclusive");
    if (rc < 0)
        rc = run_eval(&o);
    free(o.data_paths);
    return rc;
}

static int cmd_check(int argc, char **argv)
{
    out_format format = FMT_PRETTY;
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    if (!paths)
        return EXIT_FAILED;
    size_t n = 0;
    int rc = -1;
    bool options_done = false;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *arg = argv[i], *value = NULL;
        int m;
        if (options_done || arg[0] != '-') {
            paths[n++] = arg;
        } else if (strcmp(arg, "--") == 0) {
            options_done = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(check_usage, stdout);
            rc = EXIT_OK;
        } else if ((m = cli_flag_value(argc, argv, &i, "-f", "--format", &value)) != 0) {
            if (m < 0)
                rc = usage_error(check_usage, "%s needs a value", arg);
            else if (!parse_format(value, &format) || format == FMT_RAW)
                rc = usage_error(check_usage, "unknown format %s (want pretty or json)", value);
        } else {
            rc = usage_error(check_usage, "unknown option %s", arg);
        }
    }
    if (rc < 0 && n == 0)
        rc = usage_error(check_usage, "%s", "check needs at least one path");
    if (rc < 0) {
        pol_error err;
        memset(&err, 0, sizeof err);
        pol_compiler *c = pol_compiler_new(NULL);
        pol_status st = c ? POL_OK : POL_NOMEM;
        if (!c)
            cli_set_error(&err, POL_NOMEM, "", "out of memory", NULL, NULL);
        for (size_t i = 0; st == POL_OK && i < n; i++)
            st = cli_load_path(c, paths[i], &err);
        if (st == POL_OK) {
            pol_bundle *b = pol_compiler_build(c, &err);
            st = b ? POL_OK : err.code;
            pol_bundle_release(b);
        }
        if (st != POL_OK) {
            if (err.code == POL_OK)
                err.code = st;
            print_error(format, &err);
        }
        rc = st == POL_OK ? EXIT_OK : EXIT_FAILED;
        pol_compiler_free(c);
    }
    free(paths);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(main_usage, "%s", "missing command");
    const char *cmd = argv[1];
    int rc;
    if (strcmp(cmd, "eval") == 0) {
        rc = cmd_eval(argc - 1, argv + 1);
    } else if (strcmp(cmd, "check") == 0) {
        rc = cmd_check(argc - 1, argv + 1);
    } else if (strcmp(cmd, "build") == 0) {
        rc = cli_build(argc - 1, argv + 1);
    } else if (strcmp(cmd, "bench") == 0) {
        rc = cli_bench(argc - 1, argv + 1);
    } else if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("policy %s (libpolicy %s, API %d)\n", POL_VERSION_STRING, pol_version(), POL_API_VERSION);
        rc = EXIT_OK;
    } else if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(main_usage, stdout);
        rc = EXIT_OK;
    } else {
        return usage_error(main_usage, "unknown command %s", cmd);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "policy: writing output failed: %s\n", strerror(errno));
        return EXIT_FAILED;
    }
    return rc;
}
