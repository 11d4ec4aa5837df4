/* Fuzz target: policy text through the whole compiler (lexer, parser,
 * checks, planner) and the bytecode disassembler.
 *
 * The input is one module. Two entrypoints are declared: `data`, which
 * plans every rule the module defines, and a query over it, so both the
 * rule and the query paths of the planner run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pol_compiler *c = pol_compiler_new(NULL);
    if (!c)
        return 0;
    pol_error err;
    memset(&err, 0, sizeof err);
    if (pol_compiler_add_module(c, "fuzz.rego", (const char *)data, size, &err) == POL_OK &&
        pol_compiler_add_entrypoint(c, "data", &err) == POL_OK &&
        pol_compiler_add_query(c, "q", "x := data; y := input", 21, &err) == POL_OK) {
        pol_bundle *b = pol_compiler_build(c, &err);
        if (b) {
            size_t need = pol_bundle_disassemble(b, NULL, 0);
            char *text = malloc(need + 1);
            if (text) {
                pol_bundle_disassemble(b, text, need + 1);
                free(text);
            }
            pol_bundle_release(b);
        }
    }
    /* Messages are NUL-terminated within the struct, whatever the input. */
    if (memchr(err.message, 0, sizeof err.message) == NULL || memchr(err.file, 0, sizeof err.file) == NULL)
        __builtin_trap();
    pol_compiler_free(c);
    return 0;
}
