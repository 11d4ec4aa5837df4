/* Reading files and loading policies and data for the `policy` tool, with
 * the rules of `opa eval -d`; see cli.h. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Directory trees deeper than this are almost certainly symlink loops. */
enum { MAX_WALK_DEPTH = 64 };

void cli_set_error(pol_error *err, pol_status code, const char *file, const char *fmt, const char *arg1,
                   const char *arg2)
{
    memset(err, 0, sizeof *err);
    err->code = code;
    if (file)
        snprintf(err->file, sizeof err->file, "%s", file);
    snprintf(err->message, sizeof err->message, fmt, arg1 ? arg1 : "", arg2 ? arg2 : "");
}

bool cli_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Reads all of `f` into a malloc'd, NUL-terminated buffer. */
char *cli_slurp_stream(FILE *f, size_t *len_out)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - len < 2) {
            if (cap > SIZE_MAX / 2) {
                free(buf);
                return NULL;
            }
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return NULL;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

/* Reads a whole file; on failure fills err with an io_error naming it. */
char *cli_read_file(const char *path, size_t *len_out, pol_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_set_error(err, POL_IO, path, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = cli_slurp_stream(f, len_out);
    int saved_errno = errno;
    fclose(f);
    if (!buf)
        cli_set_error(err, POL_IO, path, "%s: read failed: %s", path, strerror(saved_errno));
    return buf;
}

/* ---- loading files ------------------------------------------------------ */

file_kind cli_file_kind_of(const char *path)
{
    if (cli_ends_with(path, ".rego"))
        return FILE_REGO;
    if (cli_ends_with(path, ".json"))
        return FILE_JSON;
    if (cli_ends_with(path, ".yaml") || cli_ends_with(path, ".yml"))
        return FILE_YAML;
    return FILE_UNKNOWN;
}

/* Adds one file: a module, or data merged at `data_path` ("" = root). */
static pol_status load_file(pol_compiler *c, const char *path, file_kind kind, const char *data_path,
                            pol_error *err)
{
    size_t len = 0;
    char *text = cli_read_file(path, &len, err);
    if (!text)
        return err->code;
    pol_status st;
    if (kind == FILE_REGO)
        st = pol_compiler_add_module(c, path, text, len, err);
    else if (kind == FILE_JSON)
        st = pol_compiler_add_data_json(c, data_path, path, text, len, err);
    else
        st = pol_compiler_add_data_yaml(c, data_path, path, text, len, err);
    free(text);
    if (st != POL_OK && err->file[0] == '\0')
        snprintf(err->file, sizeof err->file, "%s", path);
    return st;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists a directory's entries (excluding . and ..), sorted so loading is
 * deterministic. Returns a malloc'd array of malloc'd names. */
static char **list_dir(const char *dir, size_t *count, pol_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        cli_set_error(err, POL_IO, dir, "%s: %s", dir, strerror(errno));
        return NULL;
    }
    size_t n = 0, cap = 16;
    char **names = malloc(cap * sizeof *names);
    struct dirent *ent = NULL;
    while (names && (ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
            continue;
        if (n == cap) {
            char **grown = realloc(names, 2 * cap * sizeof *names);
            if (!grown)
                break;
            names = grown;
            cap *= 2;
        }
        names[n] = strdup(ent->d_name);
        if (!names[n])
            break;
        n++;
    }
    closedir(d);
    if (!names || (ent != NULL)) {
        for (size_t i = 0; names && i < n; i++)
            free(names[i]);
        free(names);
        cli_set_error(err, POL_NOMEM, dir, "%s: out of memory listing directory", dir, NULL);
        return NULL;
    }
    qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names;
}

/* Walks `dir` recursively. Like `opa eval -d DIR`, JSON/YAML files in the
 * subdirectory a/b of the root are merged into data at "a.b"; .rego files
 * are modules; other files are ignored. */
static pol_status load_dir(pol_compiler *c, const char *dir, const char *data_path, int depth, pol_error *err)
{
    if (depth > MAX_WALK_DEPTH) {
        cli_set_error(err, POL_IO, dir, "%s: directory nesting too deep (symlink loop?)", dir, NULL);
        return POL_IO;
    }
    size_t n = 0;
    char **names = list_dir(dir, &n, err);
    if (!names)
        return err->code;
    pol_status st = POL_OK;
    for (size_t i = 0; i < n && st == POL_OK; i++) {
        size_t plen = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(plen);
        if (!path) {
            cli_set_error(err, POL_NOMEM, dir, "out of memory", NULL, NULL);
            st = POL_NOMEM;
            break;
        }
        snprintf(path, plen, "%s%s%s", dir, cli_ends_with(dir, "/") ? "" : "/", names[i]);
        struct stat sb;
        if (stat(path, &sb) != 0) {
            cli_set_error(err, POL_IO, path, "%s: %s", path, strerror(errno));
            st = POL_IO;
        } else if (S_ISDIR(sb.st_mode)) {
            size_t dlen = strlen(data_path) + strlen(names[i]) + 2;
            char *sub = malloc(dlen);
            if (!sub) {
                cli_set_error(err, POL_NOMEM, dir, "out of memory", NULL, NULL);
                st = POL_NOMEM;
            } else {
                snprintf(sub, dlen, "%s%s%s", data_path, data_path[0] ? "." : "", names[i]);
                st = load_dir(c, path, sub, depth + 1, err);
                free(sub);
            }
        } else {
            file_kind kind = cli_file_kind_of(path);
            if (kind != FILE_UNKNOWN)
                st = load_file(c, path, kind, data_path, err);
        }
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return st;
}

/* One -d argument: a file (which must have a known extension) or a
 * directory. */
pol_status cli_load_path(pol_compiler *c, const char *path, pol_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        cli_set_error(err, POL_IO, path, "%s: %s", path, strerror(errno));
        return POL_IO;
    }
    if (S_ISDIR(sb.st_mode))
        return load_dir(c, path, "", 0, err);
    file_kind kind = cli_file_kind_of(path);
    if (kind == FILE_UNKNOWN) {
        cli_set_error(err, POL_INVALID_ARGUMENT, path,
                      "%s: unsupported file type (want .rego, .json, .yaml or .yml)", path, NULL);
        return POL_INVALID_ARGUMENT;
    }
    return load_file(c, path, kind, "", err);
}
