/* Seed generator for fuzz_bundle: compiles each fuzz_eval-format file
 * (module \0 input \0 data \0 query) and writes the saved bundle, named
 * by its XXH3 hash, into OUT_DIR. Used by gen_corpus.py --bundle-tool.
 *
 *   bundle_seeds OUT_DIR FILE...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "policy.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        *len = (size_t)n;
    return buf;
}

static pol_bundle *compile_seed(const char *s, size_t n)
{
    const char *part[4] = {s, "", "", ""};
    size_t plen[4] = {n, 0, 0, 0};
    const char *end = s + n, *p = s;
    for (int i = 0; i < 3; i++) {
        const char *nul = memchr(p, 0, (size_t)(end - p));
        if (!nul)
            break;
        plen[i] = (size_t)(nul - p);
        part[i + 1] = nul + 1;
        plen[i + 1] = (size_t)(end - nul - 1);
        p = nul + 1;
    }
    pol_compiler *c = pol_compiler_new(NULL);
    if (!c)
        return NULL;
    pol_error err;
    pol_status st = pol_compiler_add_module(c, "seed.rego", part[0], plen[0], &err);
    if (st == POL_OK && plen[2])
        st = pol_compiler_add_data_json(c, NULL, "data.json", part[2], plen[2], &err);
    if (st == POL_OK)
        st = plen[3] ? pol_compiler_add_query(c, "q", part[3], plen[3], &err)
                     : pol_compiler_add_entrypoint(c, "data", &err);
    pol_bundle *b = st == POL_OK ? pol_compiler_build(c, &err) : NULL;
    pol_compiler_free(c);
    return b;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bundle_seeds OUT_DIR FILE...\n");
        return 2;
    }
    int written = 0;
    for (int i = 2; i < argc; i++) {
        size_t n = 0;
        char *src = read_all(argv[i], &n);
        pol_bundle *b = src ? compile_seed(src, n) : NULL;
        free(src);
        if (!b)
            continue;
        size_t need = 0;
        pol_error err;
        unsigned char *bytes = NULL;
        if (pol_bundle_save(b, NULL, 0, &need, &err) == POL_OK && (bytes = malloc(need)) != NULL &&
            pol_bundle_save(b, bytes, need, &need, &err) == POL_OK) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%016llx", argv[1], (unsigned long long)XXH3_64bits(bytes, need));
            FILE *f = fopen(path, "wb");
            if (f) {
                written += fwrite(bytes, 1, need, f) == need;
                fclose(f);
            }
        }
        free(bytes);
        pol_bundle_release(b);
    }
    printf("%d bundles written\n", written);
    return 0;
}
