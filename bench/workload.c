/* Loading and checking benchmark workloads; see workload.h. */
#include "workload.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool failf(char *errbuf, size_t errcap, const char *fmt, ...)
{
    if (errbuf && errcap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errbuf, errcap, fmt, ap);
        va_end(ap);
    }
    return false;
}

char *workload_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)size + 1);
    if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (!buf)
        return NULL;
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

static char *read_in(const char *dir, const char *file, size_t *len)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
        return NULL;
    return workload_read_file(path, len);
}

/* Canonical JSON of a JSON document: evaluate the query `input` with the
 * document as input and serialise the value back. The engine's writer
 * orders object keys and set elements as OPA does, so the expected files
 * (written by OPA) and our results meet in one spelling. */
static char *canonical_json(const char *json, size_t len, size_t *out_len, char *errbuf, size_t errcap)
{
    pol_error err;
    memset(&err, 0, sizeof err);
    char *out = NULL;
    pol_compiler *c = pol_compiler_new(NULL);
    pol_bundle *b = NULL;
    pol_ctx *ctx = NULL;
    if (c && pol_compiler_add_query(c, "echo", "input", 5, &err) == POL_OK)
        b = pol_compiler_build(c, &err);
    if (b)
        ctx = pol_ctx_new(b, NULL, &err);
    pol_result res = {NULL};
    if (ctx && pol_eval_json(ctx, pol_bundle_entrypoint(b, "echo"), json, len, 0, &res, &err) == POL_OK) {
        const pol_value *row = pol_value_index(res.value, 0);
        const pol_value *exprs = row ? pol_value_get(row, "expressions") : NULL;
        const pol_value *expr = exprs ? pol_value_index(exprs, 0) : NULL;
        const pol_value *v = expr ? pol_value_get(expr, "value") : NULL;
        if (v) {
            size_t need = pol_value_to_json(v, 0, NULL, 0);
            out = malloc(need + 1);
            if (out) {
                pol_value_to_json(v, 0, out, need + 1);
                *out_len = need;
            }
        }
    }
    if (!out)
        failf(errbuf, errcap, "canonicalising expected JSON failed: %s: %s", pol_status_name(err.code),
              err.message);
    pol_ctx_free(ctx);
    pol_bundle_release(b);
    pol_compiler_free(c);
    return out;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* input.json first, then input_<suffix>.json in name order. */
static bool read_variants(const char *dir, workload *w, char *errbuf, size_t errcap)
{
    DIR *d = opendir(dir);
    if (!d)
        return failf(errbuf, errcap, "%s: cannot open directory", dir);
    char *suffixes[WORKLOAD_MAX_VARIANTS];
    size_t n = 0;
    bool has_primary = false, ok = true;
    struct dirent *ent;
    while (ok && (ent = readdir(d)) != NULL) {
        const char *name = ent->d_name;
        size_t len = strlen(name);
        if (strcmp(name, "input.json") == 0) {
            has_primary = true;
        } else if (len > 11 && strncmp(name, "input_", 6) == 0 && strcmp(name + len - 5, ".json") == 0) {
            if (n == WORKLOAD_MAX_VARIANTS - 1 || len - 11 >= WORKLOAD_NAME_MAX) {
                ok = failf(errbuf, errcap, "%s: too many input variants or name too long", dir);
            } else if ((suffixes[n] = strndup(name + 6, len - 11)) == NULL) {
                ok = failf(errbuf, errcap, "out of memory");
            } else {
                n++;
            }
        }
    }
    closedir(d);
    if (ok && !has_primary)
        ok = failf(errbuf, errcap, "%s: no input.json", dir);
    qsort(suffixes, n, sizeof *suffixes, compare_strings);
    for (size_t i = 0; ok && i <= n; i++) {
        workload_variant *v = &w->variants[w->n_variants];
        const char *suffix = i == 0 ? "" : suffixes[i - 1];
        char input_name[WORKLOAD_NAME_MAX + 16], expected_name[WORKLOAD_NAME_MAX + 16];
        snprintf(v->suffix, sizeof v->suffix, "%s", suffix);
        snprintf(input_name, sizeof input_name, "input%s%s.json", i ? "_" : "", suffix);
        snprintf(expected_name, sizeof expected_name, "expected%s%s.json", i ? "_" : "", suffix);
        size_t raw_len = 0;
        char *raw = read_in(dir, expected_name, &raw_len);
        v->input = read_in(dir, input_name, &v->input_len);
        if (!raw || !v->input) {
            ok = failf(errbuf, errcap, "%s: cannot read %s or %s", dir, input_name, expected_name);
        } else {
            v->expected = canonical_json(raw, raw_len, &v->expected_len, errbuf, errcap);
            ok = v->expected != NULL;
        }
        free(raw);
        w->n_variants++;
    }
    for (size_t i = 0; i < n; i++)
        free(suffixes[i]);
    return ok;
}

bool workload_read(const char *dir, const char *name, workload *w, char *errbuf, size_t errcap)
{
    memset(w, 0, sizeof *w);
    snprintf(w->name, sizeof w->name, "%s", name);
    size_t query_len = 0;
    char *query = read_in(dir, "query.txt", &query_len);
    w->policy = read_in(dir, "policy.rego", &w->policy_len);
    w->data = read_in(dir, "data.json", &w->data_len);
    bool ok = query && w->policy && w->data;
    if (!ok)
        failf(errbuf, errcap, "%s: cannot read query.txt, policy.rego or data.json", dir);
    /* query.txt is one line; drop the newline and any trailing blanks. */
    while (ok && query_len > 0 && strchr(" \t\r\n", query[query_len - 1]))
        query[--query_len] = '\0';
    if (ok && query_len >= sizeof w->query)
        ok = failf(errbuf, errcap, "%s: query too long", dir);
    if (ok)
        memcpy(w->query, query, query_len + 1);
    free(query);
    if (ok)
        ok = read_variants(dir, w, errbuf, errcap);
    if (!ok)
        workload_free(w);
    return ok;
}

void workload_free(workload *w)
{
    free(w->policy);
    free(w->data);
    for (size_t i = 0; i < w->n_variants; i++) {
        free(w->variants[i].input);
        free(w->variants[i].expected);
    }
    memset(w, 0, sizeof *w);
}

pol_bundle *workload_compile(const workload *w, int *ep, pol_error *err)
{
    pol_compiler *c = pol_compiler_new(NULL);
    if (!c) {
        err->code = POL_NOMEM;
        snprintf(err->message, sizeof err->message, "out of memory");
        return NULL;
    }
    pol_bundle *b = NULL;
    if (pol_compiler_add_module(c, "policy.rego", w->policy, w->policy_len, err) == POL_OK &&
        pol_compiler_add_data_json(c, NULL, "data.json", w->data, w->data_len, err) == POL_OK &&
        pol_compiler_add_entrypoint(c, w->query, err) == POL_OK)
        b = pol_compiler_build(c, err);
    pol_compiler_free(c);
    if (b) {
        *ep = pol_bundle_entrypoint(b, w->query);
        if (*ep < 0) {
            err->code = POL_INTERNAL;
            snprintf(err->message, sizeof err->message, "entrypoint %s not found after build", w->query);
            pol_bundle_release(b);
            b = NULL;
        }
    }
    return b;
}

size_t workload_list(const char *root, char **names, size_t max)
{
    DIR *d = opendir(root);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *ent;
    while (n < max && (ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat sb;
        if ((size_t)snprintf(path, sizeof path, "%s/%s/query.txt", root, ent->d_name) < sizeof path &&
            stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
            names[n] = strdup(ent->d_name);
            if (names[n])
                n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, compare_strings);
    return n;
}

void workload_variant_label(const workload *w, size_t variant, char *buf, size_t cap)
{
    const char *suffix = variant < w->n_variants ? w->variants[variant].suffix : "";
    snprintf(buf, cap, "%s%s%s", w->name, suffix[0] ? "_" : "", suffix);
}

/* Two canonical JSON texts, walked in step: bytes must agree except that
 * numbers (outside strings) compare by value. */
static bool json_text_equal(const char *a, size_t na, const char *b, size_t nb)
{
    size_t i = 0, j = 0;
    bool in_string = false;
    while (i < na && j < nb) {
        char c = a[i];
        if (!in_string && (c == '-' || (c >= '0' && c <= '9')) &&
            (b[j] == '-' || (b[j] >= '0' && b[j] <= '9'))) {
            char *ea, *eb;
            double x = strtod(a + i, &ea), y = strtod(b + j, &eb);
            if (x != y)
                return false;
            i = (size_t)(ea - a);
            j = (size_t)(eb - b);
            continue;
        }
        if (c != b[j])
            return false;
        if (in_string && c == '\\' && i + 1 < na && j + 1 < nb) {
            if (a[i + 1] != b[j + 1])
                return false;
            i += 2;
            j += 2;
            continue;
        }
        if (c == '"')
            in_string = !in_string;
        i++;
        j++;
    }
    return i == na && j == nb;
}

bool workload_result_matches(const workload_variant *variant, const pol_value *v, char *scratch)
{
    if (!v)
        return false;
    size_t cap = WORKLOAD_SCRATCH(variant->expected_len);
    size_t need = pol_value_to_json(v, 0, scratch, cap);
    return need < cap && json_text_equal(scratch, need, variant->expected, variant->expected_len);
}
