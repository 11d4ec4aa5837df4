/* The compiled program inside a bundle: constants, procedures, code,
 * entrypoints and the base document. Immutable once built; shared by every
 * context evaluating it.
 *
 * Invariant: everything a program points to lives in its own arena `mem`,
 * so a program is freed in one call and (later) serialised section by
 * section without pointer fix-ups beyond values.
 */
#ifndef POL_VM_PROGRAM_H
#define POL_VM_PROGRAM_H

#include "kstr.h"
#include "opcodes.h"
#include "value.h"

typedef struct insn {
    uint8_t op;
    uint8_t x;
    uint16_t a;
    uint32_t b, c, d;
} insn;

_Static_assert(sizeof(insn) == 16, "instruction words are 16 bytes");

#define K_NONE UINT32_MAX /* "no constant" in a K operand that allows it (DATA c) */

typedef enum proc_kind {
    PROC_RULE,  /* a virtual document: no parameters, memoised per evaluation */
    PROC_FUNC,  /* a function: parameters in R[0..nparams) */
    PROC_QUERY, /* a query entrypoint: returns OPA's result-set array */
} proc_kind;

typedef struct proc {
    uint32_t code, ncode; /* code[code .. code+ncode) */
    uint16_t nregs, nslots, nparams;
    uint8_t kind;     /* proc_kind */
    uint8_t nondet;   /* calls a non-deterministic builtin, directly or not */
    const char *name; /* "data.pkg.rule" for messages and disassembly */
} proc;

/* Source position of an instruction, for runtime error messages. */
typedef struct srcloc {
    const char *file;
    uint32_t line, col;
} srcloc;

typedef struct entrypoint {
    const char *name; /* as declared: "data.a.b" (refs normalised) or the query name */
    uint32_t proc;
    bool is_query;
} entrypoint;

typedef struct program {
    arena mem;
    const val **k;
    uint32_t nk;
    insn *code;
    srcloc *loc; /* parallel to code */
    uint32_t ncode;
    proc *procs;
    uint32_t nprocs;
    entrypoint *eps;
    uint32_t neps;
    const val *data; /* the base document (an object) */
    uint32_t max_regs, max_slots;
    json_keyset names; /* the string keys of DOTK and RULEK, for input building (program_build_indexes) */
    kstr_table kstr;   /* ids of the strings of k and data (program_build_indexes) */
} program;

/* Writes a listing of every procedure ("proc N name" then one line per
 * instruction: index, opcode name, operands). */
void program_disasm(const program *p, sbuf *out);
void program_disasm_proc(const program *p, uint32_t proc, sbuf *out);

/* Hash indexes for the large objects among the program's constants and
 * base data (val_build_hash_indexes) and the constant-string id table
 * (kstr_build), in the program's arena. Run once, after verification,
 * before the program is shared. False: out of memory. */
bool program_build_indexes(program *p);

/* Checks every operand of every instruction against the program's tables
 * (registers, slots, constants, procs, builtins, jump targets, formats).
 * Returns true when the program is safe to run; else writes why into msg. */
bool program_verify(const program *p, char *msg, size_t cap);

extern const char *const opcode_names[OP_COUNT];
extern const char *const opcode_formats[OP_COUNT];

#endif
