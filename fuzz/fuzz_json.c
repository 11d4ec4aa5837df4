/* Fuzz target: the data parsers (JSON, and YAML, which accepts JSON).
 *
 * Beyond "does not crash", it checks the JSON round trip: whatever parses
 * must serialize to canonical JSON that parses back to an equal value and
 * re-serializes to the same bytes. A violation traps, so the fuzzer keeps
 * the input as a crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm/value.h"

/* Serializes x into a malloc'd buffer (measure, then write). */
static char *fuzz_json_text(const val *x, size_t *len)
{
    sbuf sb;
    sb_init(&sb, NULL, 0);
    json_write(&sb, x, 0);
    char *text = malloc(sb.len + 1);
    if (!text)
        return NULL;
    sb_init(&sb, text, sb.len + 1);
    json_write(&sb, x, 0);
    *len = sb.len;
    return text;
}

static void fuzz_json_round_trip(arena *a, const val *x)
{
    size_t len1 = 0, len2 = 0;
    char *text1 = fuzz_json_text(x, &len1);
    if (!text1)
        return;
    json_error je;
    memset(&je, 0, sizeof je);
    const val *again = json_parse(a, text1, len1, &je);
    if (!again)
        __builtin_trap(); /* we wrote JSON we cannot read */
    if (!val_equal(x, again))
        __builtin_trap();
    char *text2 = fuzz_json_text(again, &len2);
    if (text2 && (len1 != len2 || memcmp(text1, text2, len1) != 0))
        __builtin_trap(); /* canonical form is not a fixed point */
    free(text2);
    free(text1);

    /* Pretty printing goes through other code; it must parse back too. */
    sbuf sb;
    sb_init(&sb, NULL, 0);
    json_write(&sb, x, 2);
    char *pretty = malloc(sb.len + 1);
    if (pretty) {
        size_t n = sb.len;
        sb_init(&sb, pretty, n + 1);
        json_write(&sb, x, 2);
        const val *p = json_parse(a, pretty, n, &je);
        if (!p || !val_equal(x, p))
            __builtin_trap();
        free(pretty);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    arena a;
    arena_init_growable(&a, NULL);
    json_error je;
    memset(&je, 0, sizeof je);
    const val *x = json_parse(&a, (const char *)data, size, &je);
    if (x) {
        fuzz_json_round_trip(&a, x);
        (void)val_hash(x, 0);
    }
    arena_reset(&a);

    /* YAML: no round trip (scalars are typed by their spelling), only
     * "never crashes" and, when it parses, JSON output that parses. */
    memset(&je, 0, sizeof je);
    const val *y = yaml_parse(&a, (const char *)data, size, &je);
    if (y) {
        size_t len = 0;
        char *text = fuzz_json_text(y, &len);
        if (text) {
            if (!json_parse(&a, text, len, &je))
                __builtin_trap();
            free(text);
        }
        sbuf sb;
        sb_init(&sb, NULL, 0);
        yaml_write(&sb, y);
    }
    arena_free(&a);
    return 0;
}
