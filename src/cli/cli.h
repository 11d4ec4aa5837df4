/* Internal interface between the files of the `policy` command-line tool:
 * main.c (dispatch, eval, check), load.c (reading files and loading -d
 * paths the way `opa eval` does) and bench.c (`policy bench`). */
#ifndef POL_CLI_H
#define POL_CLI_H

#include "policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILED = 1, CLI_EXIT_USAGE = 2 };

typedef enum file_kind { FILE_UNKNOWN, FILE_REGO, FILE_JSON, FILE_YAML } file_kind;

/* Fills *err with code, file and a message built from fmt, which takes up
 * to two %s arguments (NULL prints as ""). */
void cli_set_error(pol_error *err, pol_status code, const char *file, const char *fmt, const char *arg1,
                   const char *arg2);
bool cli_ends_with(const char *s, const char *suffix);
/* Reads all of `f` into a malloc'd, NUL-terminated buffer (NULL on error). */
char *cli_slurp_stream(FILE *f, size_t *len_out);
/* Reads a whole file; on failure fills err with an io_error naming it. */
char *cli_read_file(const char *path, size_t *len_out, pol_error *err);
file_kind cli_file_kind_of(const char *path);
/* One -d argument: a .rego/.json/.yaml/.yml file or a directory, loaded as
 * `opa eval -d` does (data files in sub-directory a/b merge at "a.b"). */
pol_status cli_load_path(pol_compiler *c, const char *path, pol_error *err);

/* Matches argv[*i] against a flag with a value: "-x VALUE", "-xVALUE",
 * "--long VALUE" or "--long=VALUE" (short_name may be NULL). Returns 1 and
 * sets *value when it matches, 0 when it does not, -1 when the value is
 * missing. */
int cli_flag_value(int argc, char **argv, int *i, const char *short_name, const char *long_name,
                   const char **value);

/* `policy bench`; argv[0] is "bench". Returns the exit status. */
int cli_bench(int argc, char **argv);

#endif
