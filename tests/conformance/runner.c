/* OPA conformance runner: runs every case of v1-cases.json through the
 * library and compares with OPA's expected results, as
 * /work/shared/conformance/README.md ("Running one case", "Comparing
 * results", "Errors") describes.
 *
 *   runner CASES.json [--passing FILE] [--update] [--verbose] [--filter SUBSTR]
 *
 * Prints pass/total per folder, the totals and the largest failure groups.
 * Ratchet: FILE lists case ids ("<file>#<index>") that must pass; the run
 * fails only when one of them fails. --update rewrites FILE with the
 * current passing set.
 */
#include "policy.h"
#include "vm/value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A case may burn this many VM instructions before it counts as runaway:
 * far above what any conformance case needs, low enough to finish fast. */
enum { CASE_MAX_INSTRUCTIONS = 50000000 };

typedef struct string_list {
    char **items;
    size_t n, cap;
} string_list;

static void sl_push(string_list *l, const char *s, size_t n)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
        if (!l->items) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
    }
    char *copy = malloc(n + 1);
    if (!copy) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    memcpy(copy, s, n);
    copy[n] = '\0';
    l->items[l->n++] = copy;
}

static void sl_free(string_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sl_sort(string_list *l)
{
    if (l->n > 1)
        qsort(l->items, l->n, sizeof *l->items, cmp_str);
}

static bool sl_sorted_has(const string_list *l, const char *s)
{
    return l->n > 0 && bsearch(&s, l->items, l->n, sizeof *l->items, cmp_str) != NULL;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (cap - n < 2) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* JSON text of v in a malloc'd buffer. */
static char *to_json(const val *v, size_t *len)
{
    sbuf b;
    sb_init(&b, NULL, 0);
    json_write(&b, v, 0);
    size_t need = b.len;
    char *text = malloc(need + 1);
    if (!text)
        return NULL;
    sb_init(&b, text, need + 1);
    json_write(&b, v, 0);
    text[need] = '\0';
    *len = need;
    return text;
}

static const val *field(const val *obj, const char *key)
{
    return obj && obj->type == V_OBJ ? val_obj_get_str(obj, key, strlen(key)) : NULL;
}

static bool field_true(const val *obj, const char *key)
{
    const val *v = field(obj, key);
    return v && v->type == V_BOOL && v->u.b;
}

static const char *field_str(const val *obj, const char *key)
{
    const val *v = field(obj, key);
    return v && v->type == V_STR ? v->u.s : NULL;
}

/* ---- building the query ------------------------------------------------- */

/* input_term cases: OPA sets input from a Rego term; the public API takes
 * JSON only, so the term goes into the query as `with input as TERM` on
 * every literal (split on ';' and newlines; the queries of those cases
 * are simple `data.x = y` bodies). */
static char *query_with_input(const char *query, const char *term)
{
    size_t qlen = strlen(query), tlen = strlen(term);
    size_t cap = qlen + (qlen + 1) * (tlen + 16) + 1;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t n = 0;
    const char *p = query;
    while (*p) {
        size_t seg = strcspn(p, ";\n");
        size_t start = 0, end = seg;
        while (start < end && (p[start] == ' ' || p[start] == '\t'))
            start++;
        while (end > start && (p[end - 1] == ' ' || p[end - 1] == '\t' || p[end - 1] == '\r'))
            end--;
        if (end > start) {
            if (n > 0)
                out[n++] = ';';
            n += (size_t)snprintf(out + n, cap - n, "%.*s with input as %s", (int)(end - start), p + start,
                                  term);
        }
        p += seg;
        if (*p)
            p++;
    }
    out[n] = '\0';
    return out;
}

/* ---- comparing results -------------------------------------------------- */

static int cmp_val_ptr(const void *a, const void *b)
{
    return val_compare(*(const val *const *)a, *(const val *const *)b);
}

/* Binding rows in comparable form: generated vars dropped when asked,
 * array values sorted when sort_bindings. Returns NULL on arena failure. */
static const val *normalize_row(arena *a, const val *row, bool sort_bindings, bool ignore_generated)
{
    if (!row || row->type != V_OBJ)
        return row;
    vbuild b;
    vb_init(&b, a);
    for (uint32_t i = 0; i < row->len; i++) {
        const val *k = row->u.o.k[i], *v = row->u.o.v[i];
        if (ignore_generated && k->type == V_STR && strncmp(k->u.s, "__localq", 8) == 0)
            continue;
        if (sort_bindings && v->type == V_ARR && v->len > 1) {
            vbuild e;
            vb_init(&e, a);
            for (uint32_t j = 0; j < v->len; j++)
                vb_push(&e, v->u.a[j]);
            if (!e.oom)
                qsort(e.k, e.n, sizeof *e.k, cmp_val_ptr);
            v = vb_finish_array(&e);
            if (!v)
                return NULL;
        }
        vb_put(&b, k, v);
    }
    return vb_finish_object(&b, NULL);
}

/* The rows as a sorted, duplicate-free set (an arena value). */
static const val *row_set(arena *a, const val *rows, bool sort_bindings, bool ignore_generated)
{
    vbuild b;
    vb_init(&b, a);
    for (uint32_t i = 0; rows && rows->type == V_ARR && i < rows->len; i++) {
        const val *r = normalize_row(a, rows->u.a[i], sort_bindings, ignore_generated);
        if (!r)
            return NULL;
        vb_push(&b, r);
    }
    return vb_finish_set(&b);
}

/* The engine's rows: each {"expressions":…, "bindings":{…}} becomes its
 * bindings object ({} when absent). */
static const val *got_binding_rows(arena *a, const val *result)
{
    vbuild b;
    vb_init(&b, a);
    for (uint32_t i = 0; result && result->type == V_ARR && i < result->len; i++) {
        const val *bind = field(result->u.a[i], "bindings");
        vb_push(&b, bind ? bind : &val_empty_obj_c);
    }
    return vb_finish_array(&b);
}

/* ---- one case ----------------------------------------------------------- */

typedef struct case_outcome {
    bool pass;
    char group[160];   /* failure group: first line of the error, or "wrong result" */
    char detail[1024]; /* for --verbose */
} case_outcome;

static void first_line(char *dst, size_t cap, const char *src)
{
    size_t n = strcspn(src, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void error_text(const pol_error *err, char *full, size_t cap, char *bare, size_t bare_cap)
{
    const char *code = pol_status_name(err->code);
    snprintf(bare, bare_cap, "%s: %s", code, err->message);
    if (err->file[0] && err->line > 0)
        snprintf(full, cap, "%s:%u: %s: %s", err->file, (unsigned)err->line, code, err->message);
    else
        snprintf(full, cap, "%s", bare);
}

static void append_json(char *dst, size_t cap, const char *label, const val *v)
{
    size_t n = strlen(dst);
    if (n + 1 >= cap)
        return;
    sbuf b;
    sb_init(&b, dst + n, cap - n);
    sb_puts(&b, label);
    if (v)
        json_write(&b, v, 0);
    else
        sb_puts(&b, "(none)");
    dst[cap - 1] = '\0';
}

/* --via-bundle: the compiled bundle is saved and loaded back and the
 * loaded copy is evaluated, so the whole suite also exercises the bundle
 * file format. Takes over b's reference. */
static pol_bundle *via_bundle_file(pol_bundle *b, pol_error *err)
{
    size_t need = 0;
    pol_bundle *loaded = NULL;
    if (pol_bundle_save(b, NULL, 0, &need, err) == POL_OK) {
        void *bytes = malloc(need ? need : 1);
        if (!bytes) {
            err->code = POL_NOMEM;
            snprintf(err->message, sizeof err->message, "out of memory");
        } else if (pol_bundle_save(b, bytes, need, &need, err) == POL_OK) {
            loaded = pol_bundle_load(bytes, need, NULL, err);
        }
        free(bytes);
    }
    pol_bundle_release(b);
    return loaded;
}

static void run_case(const val *tc, arena *scratch, bool via_bundle, case_outcome *out)
{
    memset(out, 0, sizeof *out);
    pol_error err;
    memset(&err, 0, sizeof err);
    pol_compiler *c = pol_compiler_new(NULL);
    /* OPA's runner registers test.sleep for the "time caching" case */
    pol_compiler_set_flags(c, POL_COMPILE_TEST_BUILTINS);
    pol_bundle *bundle = NULL;
    pol_ctx *ctx = NULL;
    char *query_text = NULL, *data_text = NULL, *input_text = NULL;
    size_t input_len = 0;
    pol_result res = {NULL};
    pol_status st = c ? POL_OK : POL_NOMEM;

    const val *modules = field(tc, "modules");
    for (uint32_t i = 0; st == POL_OK && modules && modules->type == V_ARR && i < modules->len; i++) {
        const val *m = modules->u.a[i];
        char name[32];
        snprintf(name, sizeof name, "test-%u.rego", (unsigned)i);
        if (m->type == V_STR)
            st = pol_compiler_add_module(c, name, m->u.s, m->len, &err);
    }
    const val *data = field(tc, "data");
    if (st == POL_OK && data) {
        size_t len = 0;
        data_text = to_json(data, &len);
        st = data_text ? pol_compiler_add_data_json(c, NULL, "data.json", data_text, len, &err) : POL_NOMEM;
    }
    const char *query = field_str(tc, "query");
    const char *input_term = field_str(tc, "input_term");
    if (st == POL_OK) {
        query_text =
            input_term ? query_with_input(query ? query : "", input_term) : strdup(query ? query : "");
        st =
            query_text ? pol_compiler_add_query(c, "query", query_text, strlen(query_text), &err) : POL_NOMEM;
    }
    if (st == POL_OK) {
        bundle = pol_compiler_build(c, &err);
        st = bundle ? POL_OK : err.code;
    }
    if (st == POL_OK && via_bundle) {
        bundle = via_bundle_file(bundle, &err);
        st = bundle ? POL_OK : err.code;
    }
    if (st == POL_OK) {
        pol_ctx_options opts;
        memset(&opts, 0, sizeof opts);
        opts.max_instructions = CASE_MAX_INSTRUCTIONS;
        ctx = pol_ctx_new(bundle, &opts, &err);
        st = ctx ? POL_OK : err.code;
    }
    const val *input = field(tc, "input");
    if (st == POL_OK && input && !input_term) {
        input_text = to_json(input, &input_len);
        if (!input_text)
            st = POL_NOMEM;
    }
    if (st == POL_OK) {
        unsigned flags = (field_true(tc, "strict_error") ? POL_EVAL_STRICT_BUILTIN_ERRORS : 0u) |
                         (input_text ? 0u : POL_EVAL_NO_INPUT); /* input_term arrives via `with` */
        int ep = pol_bundle_entrypoint(bundle, "query");
        st = pol_eval_json(ctx, ep, input_text ? input_text : "", input_len, flags, &res, &err);
    }
    if (st != POL_OK && st != POL_UNDEFINED && err.code == POL_OK)
        err.code = st;

    /* The engine's result, round-tripped through JSON as OPA compares. */
    const val *got = NULL;
    if (res.value) {
        size_t need = pol_value_to_json(res.value, 0, NULL, 0);
        char *text = malloc(need + 1);
        if (text) {
            pol_value_to_json(res.value, 0, text, need + 1);
            json_error jerr;
            got = json_parse(scratch, text, need, &jerr);
            free(text);
        }
    }

    const val *want_result = field(tc, "want_result");
    const char *want_error = field_str(tc, "want_error");
    const char *want_code = field_str(tc, "want_error_code");
    bool is_error = st != POL_OK && st != POL_UNDEFINED;
    char full[1024], bare[1024];
    full[0] = bare[0] = '\0';
    if (is_error)
        error_text(&err, full, sizeof full, bare, sizeof bare);

    out->pass = true;
    if (want_error || want_code) {
        if (!is_error) {
            out->pass = false;
            snprintf(out->group, sizeof out->group, "expected an error, got a result");
        } else if (want_code && strcmp(want_code, pol_status_name(err.code)) != 0) {
            out->pass = false;
            snprintf(out->group, sizeof out->group, "wrong error code: want %s, got %s", want_code,
                     pol_status_name(err.code));
        } else if (want_error && !strstr(full, want_error) && !strstr(bare, want_error)) {
            out->pass = false;
            snprintf(out->group, sizeof out->group, "wrong error message (%s)", pol_status_name(err.code));
        }
        if (!out->pass)
            snprintf(out->detail, sizeof out->detail, "want error %s%s%.300s\n  got: %.600s",
                     want_code ? want_code : "", want_error ? " containing: " : "",
                     want_error ? want_error : "", is_error ? full : "(no error)");
    } else if (is_error) {
        out->pass = false;
        char line[160];
        first_line(line, sizeof line, bare);
        snprintf(out->group, sizeof out->group, "%s", line);
        snprintf(out->detail, sizeof out->detail, "unexpected error: %.900s", full);
    }
    if (out->pass && want_result) {
        bool sort_bindings = field_true(tc, "sort_bindings");
        bool ignore_generated = field_true(tc, "ignore_generated_vars");
        const val *want_set = row_set(scratch, want_result, sort_bindings, ignore_generated);
        const val *got_rows = got_binding_rows(scratch, got);
        const val *got_set = row_set(scratch, got_rows, sort_bindings, ignore_generated);
        if (!want_set || !got_set || !val_equal(want_set, got_set)) {
            out->pass = false;
            snprintf(out->group, sizeof out->group, "wrong result");
            append_json(out->detail, sizeof out->detail, "want: ", want_set);
            append_json(out->detail, sizeof out->detail, "\n  got:  ", got_set);
        }
    }

    free(query_text);
    free(data_text);
    free(input_text);
    pol_ctx_free(ctx);
    pol_bundle_release(bundle);
    pol_compiler_free(c);
}

/* ---- the run ------------------------------------------------------------ */

typedef struct folder_stat {
    char name[96];
    int pass, total;
} folder_stat;

typedef struct group_stat {
    char name[160];
    int count;
    char example[512];
} group_stat;

typedef struct run_state {
    folder_stat *folders;
    size_t n_folders, cap_folders;
    group_stat *groups;
    size_t n_groups, cap_groups;
    string_list passing_now;
    string_list ratchet_failures;
} run_state;

static folder_stat *folder_for(run_state *s, const char *file)
{
    /* "v1/<folder>/<name>.yaml" */
    const char *p = strncmp(file, "v1/", 3) == 0 ? file + 3 : file;
    size_t n = strcspn(p, "/");
    char name[96];
    snprintf(name, sizeof name, "%.*s", (int)n, p);
    for (size_t i = 0; i < s->n_folders; i++)
        if (strcmp(s->folders[i].name, name) == 0)
            return &s->folders[i];
    if (s->n_folders == s->cap_folders) {
        s->cap_folders = s->cap_folders ? 2 * s->cap_folders : 64;
        s->folders = realloc(s->folders, s->cap_folders * sizeof *s->folders);
        if (!s->folders)
            exit(2);
    }
    folder_stat *f = &s->folders[s->n_folders++];
    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "%s", name);
    return f;
}

static void count_group(run_state *s, const char *group, const char *case_id)
{
    for (size_t i = 0; i < s->n_groups; i++) {
        if (strcmp(s->groups[i].name, group) == 0) {
            s->groups[i].count++;
            return;
        }
    }
    if (s->n_groups == s->cap_groups) {
        s->cap_groups = s->cap_groups ? 2 * s->cap_groups : 64;
        s->groups = realloc(s->groups, s->cap_groups * sizeof *s->groups);
        if (!s->groups)
            exit(2);
    }
    group_stat *g = &s->groups[s->n_groups++];
    snprintf(g->name, sizeof g->name, "%s", group);
    snprintf(g->example, sizeof g->example, "%s", case_id);
    g->count = 1;
}

static int cmp_folder(const void *a, const void *b)
{
    return strcmp(((const folder_stat *)a)->name, ((const folder_stat *)b)->name);
}

static int cmp_group(const void *a, const void *b)
{
    const group_stat *x = a, *y = b;
    if (x->count != y->count)
        return y->count - x->count;
    return strcmp(x->name, y->name);
}

static void load_passing(const char *path, string_list *out)
{
    size_t len = 0;
    char *text = path ? read_all(path, &len) : NULL;
    if (!text)
        return;
    for (char *line = text; *line;) {
        size_t n = strcspn(line, "\n");
        size_t end = n;
        while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == ' '))
            end--;
        if (end > 0 && line[0] != '#')
            sl_push(out, line, end);
        line += n;
        if (*line)
            line++;
    }
    free(text);
    sl_sort(out);
}

static int write_passing(const char *path, string_list *ids)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s\n", path);
        return 1;
    }
    fputs("# Conformance cases that must keep passing (ratchet). Regenerate with\n"
          "# `runner v1-cases.json --passing passing.txt --update` after fixing cases.\n",
          f);
    sl_sort(ids);
    for (size_t i = 0; i < ids->n; i++)
        fprintf(f, "%s\n", ids->items[i]);
    return fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *cases_path = NULL, *passing_path = NULL, *filter = NULL;
    bool update = false, verbose = false, via_bundle = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--update") == 0)
            update = true;
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = true;
        else if (strcmp(argv[i], "--via-bundle") == 0)
            via_bundle = true;
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--passing") == 0 && i + 1 < argc)
            passing_path = argv[++i];
        else if (argv[i][0] != '-' && !cases_path)
            cases_path = argv[i];
        else {
            fprintf(stderr,
                    "usage: %s CASES.json [--passing FILE] [--update] [--verbose] [--filter SUBSTR] "
                    "[--via-bundle]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!cases_path) {
        fprintf(
            stderr,
            "usage: %s CASES.json [--passing FILE] [--update] [--verbose] [--filter SUBSTR] [--via-bundle]\n",
            argv[0]);
        return 2;
    }
    if (update && (!passing_path || filter)) {
        fprintf(stderr, "--update needs --passing FILE and no --filter\n");
        return 2;
    }
    size_t len = 0;
    char *text = read_all(cases_path, &len);
    if (!text) {
        fprintf(stderr, "cannot read %s\n", cases_path);
        return 2;
    }
    arena suite_arena, scratch;
    arena_init_growable(&suite_arena, NULL);
    arena_init_growable(&scratch, NULL);
    json_error jerr;
    memset(&jerr, 0, sizeof jerr);
    const val *suite = json_parse(&suite_arena, text, len, &jerr);
    if (!suite || suite->type != V_ARR) {
        fprintf(stderr, "%s:%u:%u: cannot parse: %s\n", cases_path, (unsigned)jerr.line, (unsigned)jerr.col,
                jerr.msg);
        free(text);
        arena_free(&suite_arena);
        arena_free(&scratch);
        return 2;
    }

    string_list must_pass = {0};
    load_passing(passing_path, &must_pass);
    run_state s;
    memset(&s, 0, sizeof s);
    int total = 0, passed = 0;
    string_list seen = {0};

    for (uint32_t fi = 0; fi < suite->len; fi++) {
        const val *entry = suite->u.a[fi];
        const char *file = field_str(entry, "file");
        const val *cases = field(entry, "cases");
        if (!file || !cases || cases->type != V_ARR)
            continue;
        for (uint32_t ci = 0; ci < cases->len; ci++) {
            const val *tc = cases->u.a[ci];
            char id[512];
            snprintf(id, sizeof id, "%s#%u", file, (unsigned)ci);
            const char *note = field_str(tc, "note");
            if (filter && !strstr(id, filter) && !(note && strstr(note, filter)))
                continue;
            sl_push(&seen, id, strlen(id));
            case_outcome out;
            arena_reset(&scratch);
            run_case(tc, &scratch, via_bundle, &out);
            folder_stat *f = folder_for(&s, file);
            f->total++;
            total++;
            if (out.pass) {
                f->pass++;
                passed++;
                sl_push(&s.passing_now, id, strlen(id));
            } else {
                count_group(&s, out.group, id);
                if (sl_sorted_has(&must_pass, id))
                    sl_push(&s.ratchet_failures, id, strlen(id));
                if (verbose)
                    printf("FAIL %s (%s)\n  query: %s\n  %s\n", id, note ? note : "", field_str(tc, "query"),
                           out.detail[0] ? out.detail : out.group);
            }
        }
    }

    qsort(s.folders, s.n_folders, sizeof *s.folders, cmp_folder);
    printf("%-40s %9s\n", "folder", "pass/total");
    for (size_t i = 0; i < s.n_folders; i++)
        printf("%-40s %4d/%-4d%s\n", s.folders[i].name, s.folders[i].pass, s.folders[i].total,
               s.folders[i].pass == s.folders[i].total ? "" : "  *");
    printf("\nTOTAL %d/%d passed (%.1f%%)\n", passed, total, total ? 100.0 * passed / total : 0.0);
    if (s.n_groups > 0) {
        qsort(s.groups, s.n_groups, sizeof *s.groups, cmp_group);
        printf("\nlargest failure groups:\n");
        for (size_t i = 0; i < s.n_groups && i < 25; i++)
            printf("%5d  %s  (e.g. %s)\n", s.groups[i].count, s.groups[i].name, s.groups[i].example);
    }

    /* Ratchet ids that no longer exist in the suite are reported too, so a
     * renamed case cannot silently drop out. */
    sl_sort(&seen);
    size_t missing = 0;
    for (size_t i = 0; !filter && i < must_pass.n; i++) {
        if (!sl_sorted_has(&seen, must_pass.items[i])) {
            printf("ratchet: listed case not in the suite: %s\n", must_pass.items[i]);
            missing++;
        }
    }
    int rc = 0;
    if (update) {
        rc = write_passing(passing_path, &s.passing_now);
        printf("ratchet: wrote %zu passing ids to %s\n", s.passing_now.n, passing_path);
    } else if (s.ratchet_failures.n > 0 || missing > 0) {
        printf("\nratchet: %zu case(s) listed in %s now fail:\n", s.ratchet_failures.n,
               passing_path ? passing_path : "(none)");
        for (size_t i = 0; i < s.ratchet_failures.n; i++)
            printf("  %s\n", s.ratchet_failures.items[i]);
        rc = 1;
    } else {
        printf("ratchet: all %zu listed cases pass\n", must_pass.n);
    }

    sl_free(&seen);
    sl_free(&must_pass);
    sl_free(&s.passing_now);
    sl_free(&s.ratchet_failures);
    free(s.folders);
    free(s.groups);
    arena_free(&scratch);
    arena_free(&suite_arena);
    free(text);
    return rc;
}
