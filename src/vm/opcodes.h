/* The instruction set: one row per opcode. Everything else (enum, names,
 * operand formats for the disassembler and the verifier) is expanded from
 * this table, so adding an opcode is one line here plus its case in vm.c.
 *
 * Instruction word (16 bytes, fixed width):
 *
 *   | op:8 | x:8 | a:16 | b:32 | c:32 | d:32 |
 *
 * Operand kinds per slot (format letters, one per slot a,b,c,d):
 *   R  register index        (frame-relative, < proc.nregs)
 *   S  iterator slot         (< proc.nslots)
 *   K  constant index        (< program.nconsts)
 *   P  procedure index       (< program.nprocs)
 *   B  builtin id            (< BI_COUNT)
 *   J  jump target           (absolute index within the same procedure)
 *   M  a RULEM               (absolute index within the same procedure)
 *   N  plain number
 *   -  unused (must be 0)
 *
 * Failure: an instruction with a J in slot d jumps there when its result is
 * undefined or its test is false ("jump on failure"); otherwise it falls
 * through. That is the only control flow besides JMP and RET: Rego's search
 * is compiled into nested scan loops whose failure edges point at the
 * innermost enclosing NEXT.
 */
#ifndef POL_VM_OPCODES_H
#define POL_VM_OPCODES_H

/* X(name, format "abcd", meaning) */
#define POL_OPCODES(X)                                                                                       \
    X(NOP, "----", "nothing")                                                                                \
    X(JMP, "---J", "pc := d")                                                                                \
    X(LOADK, "RK--", "R[a] := K[b]")                                                                         \
    X(MOVE, "RR--", "R[a] := R[b]")                                                                          \
    X(CLEAR, "R---", "R[a] := undefined")                                                                    \
    X(JDEF, "R--J", "if R[a] is defined pc := d")                                                            \
    X(JUNDEF, "R--J", "if R[a] is undefined pc := d")                                                        \
    X(INPUT, "R--J", "R[a] := input; undefined: pc := d")                                                    \
    X(DATA, "RKKJ",                                                                                          \
      "R[a] := base data at path K[b] (K[c] precomputed, or ~0 when absent); undefined: pc := d")            \
    X(DOT, "RRRJ", "R[a] := R[b][R[c]]; undefined: pc := d")                                                 \
    X(DOTK, "RRKJ", "R[a] := R[b][K[c]]; undefined: pc := d")                                                \
    X(TRUTHY, "R--J", "if R[a] is false or undefined pc := d")                                               \
    X(EQ, "-RRJ", "if R[b] != R[c] pc := d")                                                                 \
    X(EQK, "-RKJ", "if R[b] != K[c] pc := d")                                                                \
    X(NE, "-RRJ", "if R[b] == R[c] pc := d")                                                                 \
    X(LT, "-RRJ", "if !(R[b] < R[c]) pc := d")                                                               \
    X(LE, "-RRJ", "if !(R[b] <= R[c]) pc := d")                                                              \
    X(GT, "-RRJ", "if !(R[b] > R[c]) pc := d")                                                               \
    X(GE, "-RRJ", "if !(R[b] >= R[c]) pc := d")                                                              \
    X(ISARR, "RN-J", "if R[a] is not an array of length b pc := d")                                          \
    X(ISOBJ, "RN-J", "if R[a] is not an object with b keys pc := d")                                         \
    X(CALL, "RBRJ", "R[a] := builtin b(R[c], R[c+1], …); undefined or (lenient) error: pc := d")             \
    X(CALLF, "RPRJ", "R[a] := function proc b(R[c], …); undefined: pc := d")                                 \
    X(RULE, "RP-J", "R[a] := value of rule proc b, memoised per evaluation; undefined: pc := d")             \
    X(ITER, "SR-J", "S[a] := start; if R[b] is not a collection pc := d")                                    \
    X(NEXT, "SRRJ",                                                                                          \
      "R[c], R[c+1] := next key, value of R[b] at S[a] (x=1: R[c+1] only); exhausted: pc := d")              \
    X(ARRNEW, "R---", "R[a] := new array builder")                                                           \
    X(SETNEW, "R---", "R[a] := new set builder")                                                             \
    X(OBJNEW, "RN--", "R[a] := new object builder; b=1: an object-rule builder keyed by paths")              \
    X(PUSH, "RR--", "append R[b] to builder R[a] (array or set)")                                            \
    X(PUT, "RRRN", "builder R[a][R[b]] := R[c]; d=1: conflict is an error, else replace")                    \
    X(PUTALL, "RR--", "builder R[a]: merge object R[b] (base data) in; R[b] wins but objects merge deeply")  \
    X(PUTPATH, "RRR-",                                                                                       \
      "object-rule builder R[a]: insert value R[c] at key path R[b] (array); x=1: R[c] joins a set leaf")    \
    X(FINISH, "R---", "R[a] := finished value of builder R[a] (sets/objects sorted)")                        \
    X(MKARR, "RRN-", "R[a] := [R[b] … R[b+c-1]]")                                                            \
    X(MKSET, "RRN-", "R[a] := {R[b] … R[b+c-1]}")                                                            \
    X(MKOBJ, "RRN-", "R[a] := {R[b]: R[b+1], … } over c pairs (duplicate keys: last wins)")                  \
    X(SETRES, "RRN-", "if R[a] undefined R[a] := R[b]; else if R[a] != R[b]: conflict error kind c")         \
    X(RET, "R---", "return R[a] (may be undefined)")                                                         \
    X(WITH, "NNRN", "push a with-override: kind a, target K[b] (path) or d (proc/builtin), value R[c]")      \
    X(WITHFN, "NN-N", "push a function override: kind a, target b, replacement proc d")                      \
    X(WITHPOP, "N---", "pop a with-overrides")                                                               \
    X(INDEX, "RK--", "R[a] := candidate definitions (array of ints) from rule index K[b] over input")        \
    X(DISPATCH, "SRKJ", "next candidate of list R[b] at S[a]: pc := K[c][candidate]; exhausted: pc := d")    \
    X(HALT, "-K--", "raise an evaluation error with message K[b]")                                           \
    X(CALLT, "RBRJ", "CALL, then if R[a] is not true pc := d (a builtin call tested for truth)")             \
    X(RULEK, "RPKJ", "R[a] := (value of rule proc b)[K[c]]; undefined: pc := d (RULE, then DOTK)")           \
    X(MKOBJK, "RRNK", "R[a] := {K[d][0]: R[b], … } over c pairs (K[d]: c keys, strictly ascending)")         \
    X(RULEM, "RPKJ",                                                                                         \
      "RULE(K) of rule proc b with its code inlined in the x instructions after: memoised: R[a] := value "   \
      "(its field K[c] unless c=~0), pc := pc+1+x; else run them (their RULEPUT sets the value)")            \
    X(RULEPUT, "R--M",                                                                                       \
      "memoise R[a] as the value of the rule of RULEM d and finish that RULEM with it "                      \
      "(R[RULEM.a] := it or its field, pc := d+1+x; undefined: pc := RULEM's failure target)")               \
    X(INPUTK, "R-KJ", "R[a] := input[K[c]]; undefined: pc := d (INPUT, then DOTK)")

typedef enum opcode {
#define OP_ENUM(name, fmt, meaning) OP_##name,
    POL_OPCODES(OP_ENUM)
#undef OP_ENUM
        OP_COUNT
} opcode;

/* Conflict kinds for SETRES (the message differs by what conflicted). */
enum {
    CONFLICT_COMPLETE = 0, /* complete rules must not produce multiple outputs */
    CONFLICT_FUNCTION = 1, /* functions must not produce multiple outputs for same inputs */
    CONFLICT_OBJECT = 2,   /* object keys must be unique */
};

/* WITH kinds. */
enum {
    WITH_INPUT = 0,         /* replace input at path K[b] (empty path: whole input) */
    WITH_DATA = 1,          /* replace base data at path K[b] */
    WITH_RULE = 2,          /* rule proc d returns R[c] */
    WITH_BUILTIN_VALUE = 3, /* builtin d returns R[c] */
    WITH_PROC_VALUE = 4,    /* function proc d returns R[c] */
};
enum {
    WITHFN_BUILTIN_BY_PROC = 0,    /* builtin b is replaced by function proc d */
    WITHFN_PROC_BY_PROC = 1,       /* function proc b is replaced by function proc d */
    WITHFN_BUILTIN_BY_BUILTIN = 2, /* builtin b is replaced by builtin d */
    WITHFN_PROC_BY_BUILTIN = 3,    /* function proc b is replaced by builtin d */
};

#endif
