/* Opcode metadata, the disassembler and the bytecode verifier: all three
 * are driven by the operand formats in opcodes.h. */
#include "program.h"

#include <stdio.h>
#include <string.h>

#include "../stdlib/builtins.h"

const char *const opcode_names[OP_COUNT] = {
#define OP_NAME(name, fmt, meaning) #name,
    POL_OPCODES(OP_NAME)
#undef OP_NAME
};

const char *const opcode_formats[OP_COUNT] = {
#define OP_FMT(name, fmt, meaning) fmt,
    POL_OPCODES(OP_FMT)
#undef OP_FMT
};

static uint32_t operand(const insn *in, int slot)
{
    switch (slot) {
    case 0: return in->a;
    case 1: return in->b;
    case 2: return in->c;
    default: return in->d;
    }
}

static void disasm_operand(const program *p, sbuf *out, char kind, uint32_t v, uint32_t base)
{
    char tmp[48];
    switch (kind) {
    case 'R': snprintf(tmp, sizeof tmp, " r%u", v); break;
    case 'S': snprintf(tmp, sizeof tmp, " s%u", v); break;
    case 'K':
        if (v == K_NONE) {
            sb_puts(out, " k-");
            return;
        }
        snprintf(tmp, sizeof tmp, " k%u=", v);
        sb_puts(out, tmp);
        if (v < p->nk) {
            sbuf clip;
            char small[40];
            sb_init(&clip, small, sizeof small);
            rego_write(&clip, p->k[v]);
            sb_put(out, small, clip.len < sizeof small ? clip.len : sizeof small - 1);
            if (clip.len >= sizeof small)
                sb_puts(out, "…");
        }
        return;
    case 'P':
        snprintf(tmp, sizeof tmp, " p%u", v);
        sb_puts(out, tmp);
        if (v < p->nprocs && p->procs[v].name) {
            sb_putc(out, '(');
            sb_puts(out, p->procs[v].name);
            sb_putc(out, ')');
        }
        return;
    case 'B': snprintf(tmp, sizeof tmp, " %s", v < BI_COUNT ? bi_table[v].name : "?"); break;
    case 'J': snprintf(tmp, sizeof tmp, " ->%u", v - base); break;
    case 'M': snprintf(tmp, sizeof tmp, " @%u", v - base); break;
    case 'N': snprintf(tmp, sizeof tmp, " %u", v); break;
    default: return;
    }
    sb_puts(out, tmp);
}

void program_disasm_proc(const program *p, uint32_t pi, sbuf *out)
{
    const proc *pr = &p->procs[pi];
    char line[96];
    snprintf(line, sizeof line, "proc %u %s regs=%u slots=%u params=%u\n", pi, pr->name ? pr->name : "?",
             pr->nregs, pr->nslots, pr->nparams);
    sb_puts(out, line);
    for (uint32_t i = 0; i < pr->ncode; i++) {
        const insn *in = &p->code[pr->code + i];
        snprintf(line, sizeof line, "  %3u %-7s", i, in->op < OP_COUNT ? opcode_names[in->op] : "?");
        sb_puts(out, line);
        if (in->op >= OP_COUNT) {
            sb_putc(out, '\n');
            continue;
        }
        const char *fmt = opcode_formats[in->op];
        for (int s = 0; s < 4; s++)
            disasm_operand(p, out, fmt[s], operand(in, s), pr->code);
        if (in->op == OP_RULEM) {
            snprintf(line, sizeof line, " (inlined: %u after)", in->x);
            sb_puts(out, line);
        }
        sb_putc(out, '\n');
    }
}

void program_disasm(const program *p, sbuf *out)
{
    for (uint32_t i = 0; i < p->nprocs; i++)
        program_disasm_proc(p, i, out);
}

static bool fail(char *msg, size_t cap, const char *what, uint32_t proc, uint32_t pc)
{
    snprintf(msg, cap, "proc %u instruction %u: %s", proc, pc, what);
    return false;
}

/* Per-opcode register ranges beyond the single operand (CALL reads arity
 * registers from c, NEXT writes c and c+1, MK* read c registers or pairs). */
static bool span_ok(const program *p, const proc *pr, const insn *in)
{
    uint64_t end;
    switch (in->op) {
    case OP_CALL:
    case OP_CALLT:
        end = (uint64_t)in->c + (in->b < BI_COUNT ? bi_table[in->b].arity : 0);
        return end <= pr->nregs;
    case OP_CALLF:
        end = (uint64_t)in->c + (in->b < p->nprocs ? p->procs[in->b].nparams : 0);
        return end <= pr->nregs;
    case OP_NEXT: return (uint64_t)in->c + 2 <= pr->nregs;
    case OP_MKARR:
    case OP_MKSET: return (uint64_t)in->b + in->c <= pr->nregs;
    case OP_MKOBJ: return (uint64_t)in->b + 2ull * in->c <= pr->nregs;
    case OP_MKOBJK: return (uint64_t)in->b + in->c <= pr->nregs;
    default: return true;
    }
}

/* Loops must spend the instruction budget, which the interpreter charges
 * only in JMP, NEXT, CALLF and DISPATCH. Every cycle of a procedure's
 * control flow contains a backward edge (target <= source), so it is enough
 * that each backward edge leaves a charging instruction or lands on one.
 * The compiler's loops are NEXT scans (failure edges jump back to the
 * NEXT) and rule-index DISPATCH loops. */
static bool charges_budget(uint8_t op)
{
    return op == OP_JMP || op == OP_NEXT || op == OP_CALLF || op == OP_DISPATCH;
}

static bool back_edge_charged(const program *p, uint8_t from_op, uint32_t target)
{
    return charges_budget(from_op) || charges_budget(p->code[target].op);
}

/* Arity of what a function override names: builtin id or proc index. */
static uint32_t callee_arity(const program *p, bool builtin, uint32_t id)
{
    return builtin ? bi_table[id].arity : p->procs[id].nparams;
}

/* What the interpreter assumes beyond operand ranges (operands are already
 * in range here): RULE and entrypoint procs are called with no arguments,
 * DATA walks K[b] as an array, with-kinds are known, and a function
 * override is passed exactly the arguments its target takes. */
static bool semantics_ok(const program *p, const insn *in, char *msg, size_t cap, uint32_t pi, uint32_t i)
{
    switch (in->op) {
    case OP_RULE:
    case OP_RULEK:
    case OP_RULEM:
        if (p->procs[in->b].nparams != 0)
            return fail(msg, cap, "RULE target takes parameters", pi, i);
        return true;
    case OP_DATA:
        if (p->k[in->b]->type != V_ARR)
            return fail(msg, cap, "DATA path is not a constant array", pi, i);
        return true;
    case OP_MKOBJK: {
        /* the object's keys as they are: they must be an object's keys */
        const val *keys = p->k[in->d];
        if (keys->type != V_ARR || keys->len != in->c)
            return fail(msg, cap, "MKOBJK keys are not a constant array of c keys", pi, i);
        for (uint32_t j = 1; j < keys->len; j++)
            if (val_compare(keys->u.a[j - 1], keys->u.a[j]) >= 0)
                return fail(msg, cap, "MKOBJK keys are not strictly ascending", pi, i);
        return true;
    }
    case OP_HALT:
        if (p->k[in->b]->type != V_STR)
            return fail(msg, cap, "HALT message is not a constant string", pi, i);
        return true;
    case OP_WITH:
        if (in->a > WITH_PROC_VALUE)
            return fail(msg, cap, "unknown with kind", pi, i);
        return true;
    case OP_WITHFN: {
        if (in->a > WITHFN_PROC_BY_BUILTIN)
            return fail(msg, cap, "unknown with-function kind", pi, i);
        bool target_builtin = in->a == WITHFN_BUILTIN_BY_PROC || in->a == WITHFN_BUILTIN_BY_BUILTIN;
        bool repl_builtin = in->a == WITHFN_BUILTIN_BY_BUILTIN || in->a == WITHFN_PROC_BY_BUILTIN;
        uint32_t lim_b = target_builtin ? BI_COUNT : p->nprocs, lim_d = repl_builtin ? BI_COUNT : p->nprocs;
        if (in->b >= lim_b || in->d >= lim_d)
            return true; /* reported by the range checks that follow */
        if (callee_arity(p, target_builtin, in->b) != callee_arity(p, repl_builtin, in->d))
            return fail(msg, cap, "with-function replacement arity differs from its target", pi, i);
        return true;
    }
    default: return true;
    }
}

bool program_verify(const program *p, char *msg, size_t cap)
{
    if (!p->data || p->data->type != V_OBJ) {
        snprintf(msg, cap, "base document is not an object");
        return false;
    }
    for (uint32_t e = 0; e < p->neps; e++) {
        /* entrypoints are called with no arguments */
        if (p->eps[e].proc >= p->nprocs) {
            snprintf(msg, cap, "entrypoint %u names missing proc %u", e, p->eps[e].proc);
            return false;
        }
        if (p->procs[p->eps[e].proc].nparams != 0) {
            snprintf(msg, cap, "entrypoint %u names proc %u, which takes parameters", e, p->eps[e].proc);
            return false;
        }
    }
    for (uint32_t pi = 0; pi < p->nprocs; pi++) {
        const proc *pr = &p->procs[pi];
        if ((uint64_t)pr->code + pr->ncode > p->ncode || pr->ncode == 0)
            return fail(msg, cap, "code range out of bounds", pi, 0);
        if (pr->nparams > pr->nregs)
            return fail(msg, cap, "more parameters than registers", pi, 0);
        const insn *last = &p->code[pr->code + pr->ncode - 1];
        if (last->op != OP_RET && last->op != OP_JMP && last->op != OP_HALT)
            return fail(msg, cap, "procedure can fall off its end", pi, pr->ncode - 1);
        for (uint32_t i = 0; i < pr->ncode; i++) {
            const insn *in = &p->code[pr->code + i];
            if (in->op >= OP_COUNT)
                return fail(msg, cap, "unknown opcode", pi, i);
            const char *fmt = opcode_formats[in->op];
            for (int s = 0; s < 4; s++) {
                uint32_t v = operand(in, s);
                bool ok = true;
                switch (fmt[s]) {
                case 'R': ok = v < pr->nregs; break;
                case 'S': ok = v < pr->nslots; break;
                case 'K':
                    ok = v < p->nk || ((in->op == OP_DATA || in->op == OP_RULEM) && s == 2 && v == K_NONE);
                    break;
                case 'P': ok = v < p->nprocs; break;
                case 'B': ok = v < BI_COUNT; break;
                case 'J':
                    ok = v >= pr->code && v < pr->code + pr->ncode;
                    if (ok && v <= pr->code + i && !back_edge_charged(p, in->op, v))
                        return fail(msg, cap,
                                    "backward jump to an instruction that does not charge the budget", pi, i);
                    break;
                case 'M': ok = v >= pr->code && v < pr->code + i; break; /* RULEPUT: checked below */
                case 'N': break;
                default: ok = v == 0; break;
                }
                if (!ok) {
                    char what[64];
                    snprintf(what, sizeof what, "%s operand %c%d out of range (%u)", opcode_names[in->op],
                             fmt[s], s, v);
                    return fail(msg, cap, what, pi, i);
                }
            }
            if (in->op == OP_DISPATCH) {
                /* the jump table: every entry a jump target inside this proc */
                const val *jt = p->k[in->c];
                if (jt->type != V_ARR)
                    return fail(msg, cap, "DISPATCH jump table is not an array", pi, i);
                for (uint32_t j = 0; j < jt->len; j++) {
                    int64_t t;
                    if (!val_is_int(jt->u.a[j], &t) || t < pr->code || t >= (int64_t)pr->code + pr->ncode)
                        return fail(msg, cap, "DISPATCH jump table entry out of range", pi, i);
                }
            }
            if (in->op == OP_RULEM) {
                /* the copy ends inside the proc; the failure target lies
                 * outside it, so a RULEPUT's failure jump from within is
                 * forward or to a target checked as this one's */
                uint64_t end = (uint64_t)pr->code + i + 1 + in->x;
                if (end >= (uint64_t)pr->code + pr->ncode)
                    return fail(msg, cap, "RULEM copy runs past the procedure", pi, i);
                if (in->d > pr->code + i && in->d < end)
                    return fail(msg, cap, "RULEM failure target inside its copy", pi, i);
            }
            if (in->op == OP_RULEPUT) {
                /* d: a RULEM before this instruction whose copy holds it */
                uint32_t at = pr->code + i;
                const insn *m = in->d >= pr->code && in->d < at ? &p->code[in->d] : NULL;
                if (!m || m->op != OP_RULEM || (uint64_t)in->d + m->x < at)
                    return fail(msg, cap, "RULEPUT does not lie in the copy of a RULEM", pi, i);
            }
            if (!span_ok(p, pr, in))
                return fail(msg, cap, "register span out of range", pi, i);
            if (!semantics_ok(p, in, msg, cap, pi, i))
                return false;
            if (in->op == OP_WITH && in->a <= WITH_DATA && (in->b >= p->nk || p->k[in->b]->type != V_ARR))
                return fail(msg, cap, "with path is not a constant array", pi, i);
            if (in->op == OP_WITH || in->op == OP_WITHFN) {
                /* d names a proc or builtin depending on the kind */
                bool is_builtin = (in->op == OP_WITH && in->a == WITH_BUILTIN_VALUE) ||
                                  (in->op == OP_WITHFN &&
                                   (in->a == WITHFN_BUILTIN_BY_BUILTIN || in->a == WITHFN_PROC_BY_BUILTIN));
                uint32_t limit = is_builtin ? BI_COUNT : p->nprocs;
                bool needs_d = in->op == OP_WITHFN || in->a >= WITH_RULE;
                if (needs_d && in->d >= limit)
                    return fail(msg, cap, "with target out of range", pi, i);
                if (in->op == OP_WITHFN) {
                    bool b_builtin = in->a == WITHFN_BUILTIN_BY_PROC || in->a == WITHFN_BUILTIN_BY_BUILTIN;
                    if (in->b >= (b_builtin ? BI_COUNT : p->nprocs))
                        return fail(msg, cap, "with function out of range", pi, i);
                }
            }
        }
    }
    return true;
}

/* The distinct string keys the code reads fields by (DOTK's and RULEK's
 * constant). The scratch lists are the allocator's, gone when the set is. */
static bool build_field_names(program *p)
{
    size_t nk = p->nk ? p->nk : 1;
    bool *seen = pa_malloc(p->mem.alloc, nk);
    const val **names = pa_malloc(p->mem.alloc, sizeof *names * nk);
    bool ok = seen && names;
    if (ok) {
        memset(seen, 0, nk);
        uint32_t n = 0;
        for (uint32_t i = 0; i < p->ncode; i++) {
            const insn *in = &p->code[i];
            if ((in->op == OP_DOTK || in->op == OP_RULEK || in->op == OP_RULEM || in->op == OP_INPUTK) &&
                in->c < p->nk && !seen[in->c] && p->k[in->c]->type == V_STR) {
                seen[in->c] = true;
                names[n++] = p->k[in->c];
            }
        }
        ok = json_keyset_build(&p->mem, &p->names, names, n);
    }
    pa_free(p->mem.alloc, seen, nk);
    pa_free(p->mem.alloc, names, sizeof *names * nk);
    return ok;
}

bool program_build_indexes(program *p)
{
    bool ok = val_build_hash_indexes(&p->mem, p->data);
    for (uint32_t i = 0; i < p->nk && ok; i++)
        ok = val_build_hash_indexes(&p->mem, p->k[i]);
    return ok && build_field_names(p) &&
           kstr_build(&p->kstr, &p->mem, p->mem.alloc, p->k, p->nk, &p->data, 1);
}
