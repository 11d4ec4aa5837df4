/* The bundle file: saving a program as bytes and loading untrusted bytes
 * back into a verified program.
 *
 * Layout (little-endian; every section starts 8-byte aligned, zero padding
 * between sections):
 *
 *   header      0  magic "POLB"
 *               4  u32 format version (BUNDLE_FORMAT_VERSION)
 *               8  u32 API version of the writer (POL_API_VERSION)
 *              12  u32 flags (none defined: 0)
 *              16  u64 total length of the file
 *              24  u64 XXH3-64 of bytes [32, total): everything after this
 *                  field, section table included
 *              32  u32 section count (BUNDLE_NSECTIONS), u32 reserved (0)
 *              40  section table: per section {u32 id, u32 reserved,
 *                  u64 offset, u64 length}; ids 1..7 in order
 *   1 strings      u32 count, u32 blob bytes; count x {u32 offset, u32 len};
 *                  blob (every string followed by a NUL; no duplicates)
 *   2 values       u32 records, u32 refs, u32 constants, u32 base-document
 *                  record; records x 16 bytes; refs x u32; constants x u32
 *   3 code         u32 count, u32 reserved; count x 16-byte insn words
 *   4 srclocs      u32 count (= code count), u32 reserved;
 *                  count x {u32 file string or STR_NONE, u32 line, u32 col}
 *   5 procs        u32 count, u32 reserved; count x {u32 code, u32 ncode,
 *                  u16 nregs, u16 nslots, u16 nparams, u8 kind, u8 nondet,
 *                  u32 name string, u32 reserved}
 *   6 entrypoints  u32 count, u32 reserved; count x {u32 name string,
 *                  u32 proc, u32 is_query}
 *   7 metadata     u32 revision string, u32 source count; per source
 *                  {u32 name string, u32 reserved, u64 XXH3 of its text}
 *
 * Value record (16 bytes): u8 type, u8 numkind, u16 reserved, u32 len,
 * u64 payload. Payload: boolean 0/1; NUM_INT the int64; NUM_FLOAT the
 * IEEE bits; NUM_BIG and strings a string index; arrays and sets the index
 * of their first element in the ref table (len elements), objects likewise
 * with len key/value pairs (2*len refs). Collections take their refs in
 * record order with no gaps, and refer only to earlier records, so the
 * table is acyclic and loading is one forward pass.
 *
 * Canonical form, which the writer produces and the loader demands: no two
 * records encode the same value and no two strings are equal, numbers are
 * in the representation value.c's constructors would pick, objects and
 * sets are sorted and unique. Besides making save deterministic (the same
 * program, however its values share memory, gives the same bytes), it
 * bounds the cost of comparing loaded values: structurally equal values are
 * the same record, hence the same pointer, which val_compare short-cuts;
 * without it a hostile file could make one comparison exponential.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "policy.h"
#include "vm.h"

enum {
    BUNDLE_FORMAT_VERSION = 1,
    BUNDLE_NSECTIONS = 7,
    HDR_FIXED = 40,
    SECT_ENTRY = 24,
    HDR_SIZE = HDR_FIXED + BUNDLE_NSECTIONS * SECT_ENTRY,
    CHECKSUM_FROM = 32, /* the checksum covers everything after its own field */
    REC_BYTES = 16,
    INSN_BYTES = 16,
    SRCLOC_BYTES = 12,
    PROC_BYTES = 24,
    EP_BYTES = 12,
    SOURCE_BYTES = 16,
    /* Values nest at most this deep. JSON input stops at 1000 levels and
     * data paths add a few more; the printers and comparators recurse, so
     * the limit keeps a hostile file from exhausting the C stack. */
    MAX_VALUE_DEPTH = 2048,
};

#define STR_NONE UINT32_MAX

enum section_id {
    SEC_STRINGS = 1,
    SEC_VALUES,
    SEC_CODE,
    SEC_SRCLOCS,
    SEC_PROCS,
    SEC_ENTRYPOINTS,
    SEC_METADATA,
};

static const char *const section_names[BUNDLE_NSECTIONS + 1] = {
    "?", "strings", "values", "code", "srclocs", "procs", "entrypoints", "metadata",
};

static const char bundle_magic[4] = {'P', 'O', 'L', 'B'};

POL_EXPORT uint32_t pol_bundle_format_version(void)
{
    return BUNDLE_FORMAT_VERSION;
}

static size_t align8(size_t n)
{
    return (n + 7u) & ~(size_t)7u;
}

/* ---- little-endian access ------------------------------------------------ */

static uint16_t rd16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(unsigned char *p, uint32_t x)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(x >> (8 * i));
}

static void wr64(unsigned char *p, uint64_t x)
{
    wr32(p, (uint32_t)x);
    wr32(p + 4, (uint32_t)(x >> 32));
}

/* ---- index hash table ---------------------------------------------------- */

/* Open addressing over (hash, aux, index) entries; the caller supplies the
 * equality test, so one table type serves strings, records and pointers.
 * Used only while saving or loading, never during evaluation. */
typedef struct itab_entry {
    uint64_t hash;
    uintptr_t aux;
    uint32_t idx; /* UINT32_MAX: empty */
} itab_entry;

typedef struct itab {
    itab_entry *e;
    size_t cap, n; /* cap is a power of two (or 0) */
    const pol_alloc *al;
} itab;

typedef bool (*itab_eq)(const void *ctx, const itab_entry *e);

static void itab_init(itab *t, const pol_alloc *al)
{
    memset(t, 0, sizeof *t);
    t->al = al;
}

static void itab_free(itab *t)
{
    pa_free(t->al, t->e, t->cap * sizeof *t->e);
    t->e = NULL;
    t->cap = t->n = 0;
}

static bool itab_grow(itab *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 64;
    if (ncap > SIZE_MAX / sizeof(itab_entry))
        return false;
    itab_entry *ne = pa_malloc(t->al, ncap * sizeof *ne);
    if (!ne)
        return false;
    for (size_t i = 0; i < ncap; i++)
        ne[i].idx = UINT32_MAX;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->e[i].idx == UINT32_MAX)
            continue;
        size_t j = (size_t)t->e[i].hash & (ncap - 1);
        while (ne[j].idx != UINT32_MAX)
            j = (j + 1) & (ncap - 1);
        ne[j] = t->e[i];
    }
    pa_free(t->al, t->e, t->cap * sizeof *t->e);
    t->e = ne;
    t->cap = ncap;
    return true;
}

/* The index of an entry with this hash that eq accepts, or UINT32_MAX. */
static uint32_t itab_find(const itab *t, uint64_t hash, itab_eq eq, const void *ctx)
{
    if (!t->cap)
        return UINT32_MAX;
    for (size_t j = (size_t)hash & (t->cap - 1);; j = (j + 1) & (t->cap - 1)) {
        const itab_entry *e = &t->e[j];
        if (e->idx == UINT32_MAX)
            return UINT32_MAX;
        if (e->hash == hash && eq(ctx, e))
            return e->idx;
    }
}

static bool itab_add(itab *t, uint64_t hash, uintptr_t aux, uint32_t idx)
{
    if ((t->n + 1) * 2 > t->cap && !itab_grow(t))
        return false;
    size_t j = (size_t)hash & (t->cap - 1);
    while (t->e[j].idx != UINT32_MAX)
        j = (j + 1) & (t->cap - 1);
    t->e[j].hash = hash;
    t->e[j].aux = aux;
    t->e[j].idx = idx;
    t->n++;
    return true;
}

/* ---- value records (shared by writer and loader) ------------------------- */

typedef struct vrec {
    uint8_t type, nk;
    uint32_t len;
    uint64_t payload;
} vrec;

static bool vtype_is_collection(uint8_t t)
{
    return t == V_ARR || t == V_SET || t == V_OBJ;
}

static uint64_t vrec_nrefs(const vrec *r)
{
    if (!vtype_is_collection(r->type))
        return 0;
    return r->type == V_OBJ ? 2 * (uint64_t)r->len : r->len;
}

/* Identity of a record's content: scalars by payload, collections by their
 * child indices (not by where those sit in the ref table). */
static uint64_t vrec_hash(const vrec *r, const uint32_t *children)
{
    uint64_t seed = (uint64_t)r->type << 56 | (uint64_t)r->nk << 48 | r->len;
    if (vtype_is_collection(r->type))
        return XXH3_64bits_withSeed(children, (size_t)vrec_nrefs(r) * sizeof *children, seed);
    return XXH3_64bits_withSeed(&r->payload, sizeof r->payload, seed);
}

typedef struct vrec_probe {
    const vrec *recs;
    const uint32_t *refs;
    const vrec *want;
    const uint32_t *want_children;
} vrec_probe;

static bool vrec_eq(const void *ctx, const itab_entry *e)
{
    const vrec_probe *pr = ctx;
    const vrec *have = &pr->recs[e->idx], *want = pr->want;
    if (have->type != want->type || have->nk != want->nk || have->len != want->len)
        return false;
    if (!vtype_is_collection(want->type))
        return have->payload == want->payload;
    size_t n = (size_t)vrec_nrefs(want);
    return n == 0 || memcmp(pr->refs + have->payload, pr->want_children, n * sizeof *pr->refs) == 0;
}

/* ---- writer -------------------------------------------------------------- */

/* A growable byte buffer with a sticky failure flag. */
typedef struct obuf {
    unsigned char *p;
    size_t len, cap;
    const pol_alloc *al;
    bool oom;
} obuf;

static bool ob_reserve(obuf *o, size_t n)
{
    if (o->oom)
        return false;
    if (n <= o->cap - o->len)
        return true;
    size_t ncap = o->cap ? o->cap : 256;
    while (ncap - o->len < n) {
        if (ncap > SIZE_MAX / 2) {
            o->oom = true;
            return false;
        }
        ncap *= 2;
    }
    unsigned char *np = pa_realloc(o->al, o->p, o->cap, ncap);
    if (!np) {
        o->oom = true;
        return false;
    }
    o->p = np;
    o->cap = ncap;
    return true;
}

static void ob_bytes(obuf *o, const void *s, size_t n)
{
    if (n && ob_reserve(o, n)) {
        memcpy(o->p + o->len, s, n);
        o->len += n;
    }
}

static void ob_zeros(obuf *o, size_t n)
{
    if (n && ob_reserve(o, n)) {
        memset(o->p + o->len, 0, n);
        o->len += n;
    }
}

static void ob_u8(obuf *o, uint8_t x)
{
    ob_bytes(o, &x, 1);
}

static void ob_u16(obuf *o, uint16_t x)
{
    unsigned char b[2] = {(unsigned char)x, (unsigned char)(x >> 8)};
    ob_bytes(o, b, 2);
}

static void ob_u32(obuf *o, uint32_t x)
{
    unsigned char b[4];
    wr32(b, x);
    ob_bytes(o, b, 4);
}

static void ob_u64(obuf *o, uint64_t x)
{
    unsigned char b[8];
    wr64(b, x);
    ob_bytes(o, b, 8);
}

static void ob_free(obuf *o)
{
    pa_free(o->al, o->p, o->cap);
    memset(o, 0, sizeof *o);
}

/* A growable array of fixed-size elements (counts stay within u32: every
 * table in the file is counted in u32). */
typedef struct vec {
    void *p;
    uint32_t n, cap;
} vec;

static void *vec_push(vec *v, const pol_alloc *al, size_t elem)
{
    if (v->n == v->cap) {
        uint32_t ncap = v->cap ? v->cap * 2 : 64;
        if (v->cap >= UINT32_MAX / 2)
            return NULL;
        void *np = pa_realloc(al, v->p, (size_t)v->cap * elem, (size_t)ncap * elem);
        if (!np)
            return NULL;
        v->p = np;
        v->cap = ncap;
    }
    return (unsigned char *)v->p + (size_t)v->n++ * elem;
}

static void vec_free(vec *v, const pol_alloc *al, size_t elem)
{
    pa_free(al, v->p, (size_t)v->cap * elem);
    memset(v, 0, sizeof *v);
}

typedef struct strspan {
    uint32_t off, len;
} strspan;

typedef struct encoder {
    const pol_alloc *al;
    obuf blob;      /* string bytes, each followed by a NUL */
    vec strs;       /* strspan */
    itab str_index; /* bytes -> string index */
    vec recs;       /* vrec */
    vec refs;       /* uint32_t */
    vec scratch;    /* uint32_t: child indices of collections being encoded */
    itab rec_index; /* record content -> record index */
    itab ptr_index; /* value pointer -> record index (saves re-walking shared subtrees) */
    bool failed;
    const char *why; /* when failed for a reason other than memory */
} encoder;

typedef struct str_probe {
    const encoder *en;
    const char *s;
    size_t n;
} str_probe;

static bool enc_str_eq(const void *ctx, const itab_entry *e)
{
    const str_probe *pr = ctx;
    const strspan *sp = (const strspan *)pr->en->strs.p + e->idx;
    return sp->len == pr->n && (pr->n == 0 || memcmp(pr->en->blob.p + sp->off, pr->s, pr->n) == 0);
}

static uint32_t enc_fail(encoder *en, const char *why)
{
    en->failed = true;
    if (!en->why)
        en->why = why;
    return STR_NONE;
}

static uint32_t enc_string(encoder *en, const char *s, size_t n)
{
    if (en->failed)
        return STR_NONE;
    if (n >= UINT32_MAX || en->blob.len + n + 1 > UINT32_MAX)
        return enc_fail(en, "string table larger than 4 GiB");
    uint64_t h = XXH3_64bits(s, n);
    str_probe pr = {en, s, n};
    uint32_t idx = itab_find(&en->str_index, h, enc_str_eq, &pr);
    if (idx != UINT32_MAX)
        return idx;
    strspan *sp = vec_push(&en->strs, en->al, sizeof *sp);
    if (!sp)
        return enc_fail(en, NULL);
    sp->off = (uint32_t)en->blob.len;
    sp->len = (uint32_t)n;
    ob_bytes(&en->blob, s, n);
    ob_zeros(&en->blob, 1);
    idx = en->strs.n - 1;
    if (en->blob.oom || !itab_add(&en->str_index, h, 0, idx))
        return enc_fail(en, NULL);
    return idx;
}

static uint32_t enc_cstring(encoder *en, const char *s)
{
    return enc_string(en, s ? s : "", s ? strlen(s) : 0);
}

static bool enc_ptr_eq(const void *ctx, const itab_entry *e)
{
    return e->aux == (uintptr_t)ctx;
}

/* Appends the record (or finds its twin) and returns its index. children
 * are its child record indices (collections only). */
static uint32_t enc_record(encoder *en, const vrec *r, const uint32_t *children)
{
    uint64_t h = vrec_hash(r, children);
    vrec_probe pr = {en->recs.p, en->refs.p, r, children};
    uint32_t idx = itab_find(&en->rec_index, h, vrec_eq, &pr);
    if (idx != UINT32_MAX)
        return idx;
    vrec rec = *r;
    if (vtype_is_collection(r->type)) {
        rec.payload = en->refs.n;
        uint64_t n = vrec_nrefs(r);
        for (uint64_t i = 0; i < n; i++) {
            uint32_t *slot = vec_push(&en->refs, en->al, sizeof *slot);
            if (!slot)
                return enc_fail(en, NULL);
            *slot = children[i];
        }
    }
    vrec *slot = vec_push(&en->recs, en->al, sizeof *slot);
    if (!slot)
        return enc_fail(en, NULL);
    *slot = rec;
    idx = en->recs.n - 1;
    if (!itab_add(&en->rec_index, h, 0, idx))
        return enc_fail(en, NULL);
    return idx;
}

static uint32_t enc_value(encoder *en, const val *v, uint32_t depth)
{
    if (en->failed)
        return STR_NONE;
    if (!v)
        return enc_fail(en, "a value is undefined");
    if (depth >= MAX_VALUE_DEPTH) /* depth counts from 0: the loader's limit, in levels */
        return enc_fail(en, "a value nests too deeply to save");
    uint64_t ph = XXH3_64bits(&v, sizeof v);
    uint32_t idx = itab_find(&en->ptr_index, ph, enc_ptr_eq, v);
    if (idx != UINT32_MAX)
        return idx;
    vrec r = {v->type, 0, 0, 0};
    uint32_t base = en->scratch.n;
    switch (v->type) {
    case V_NULL: break;
    case V_BOOL: r.payload = v->u.b ? 1 : 0; break;
    case V_NUM:
        r.nk = v->nk;
        if (v->nk == NUM_INT)
            r.payload = (uint64_t)v->u.i;
        else if (v->nk == NUM_FLOAT)
            memcpy(&r.payload, &v->u.d, sizeof r.payload);
        else
            r.payload = enc_string(en, v->u.s, v->len);
        break;
    case V_STR: r.payload = enc_string(en, v->u.s, v->len); break;
    case V_ARR:
    case V_SET:
    case V_OBJ:
        r.len = v->len;
        for (uint32_t i = 0; i < v->len && !en->failed; i++) {
            const val *kids[2] = {v->type == V_OBJ ? v->u.o.k[i] : v->u.a[i],
                                  v->type == V_OBJ ? v->u.o.v[i] : NULL};
            for (int j = 0; j < (v->type == V_OBJ ? 2 : 1); j++) {
                uint32_t child = enc_value(en, kids[j], depth + 1);
                uint32_t *slot = vec_push(&en->scratch, en->al, sizeof *slot);
                if (!slot)
                    return enc_fail(en, NULL);
                *slot = child;
            }
        }
        break;
    default: return enc_fail(en, "a value has an unknown type");
    }
    if (en->failed)
        return STR_NONE;
    /* an empty collection may leave scratch unallocated: no pointer
     * arithmetic on NULL (undefined even with a zero offset) */
    const uint32_t *kids = en->scratch.p ? (const uint32_t *)en->scratch.p + base : NULL;
    idx = enc_record(en, &r, kids);
    en->scratch.n = base;
    if (!en->failed && !itab_add(&en->ptr_index, ph, (uintptr_t)v, idx))
        return enc_fail(en, NULL);
    return idx;
}

static void encoder_free(encoder *en)
{
    ob_free(&en->blob);
    vec_free(&en->strs, en->al, sizeof(strspan));
    vec_free(&en->recs, en->al, sizeof(vrec));
    vec_free(&en->refs, en->al, sizeof(uint32_t));
    vec_free(&en->scratch, en->al, sizeof(uint32_t));
    itab_free(&en->str_index);
    itab_free(&en->rec_index);
    itab_free(&en->ptr_index);
}

/* Closes the section that began at `start`: fills its table entry and
 * pads to the next 8-byte boundary, where the next section begins. */
static void end_section(obuf *o, int id, size_t start)
{
    if (o->oom)
        return;
    unsigned char *entry = o->p + HDR_FIXED + (size_t)(id - 1) * SECT_ENTRY;
    wr32(entry, (uint32_t)id);
    wr32(entry + 4, 0);
    wr64(entry + 8, start);
    wr64(entry + 16, o->len - start);
    ob_zeros(o, align8(o->len) - o->len);
}

/* Builds the whole file in o. Returns false with en->why (NULL: memory). */
static bool encode_program(encoder *en, const program *p, obuf *o)
{
    /* Intern everything first: the string table precedes its users. */
    uint32_t data_rec = enc_value(en, p->data, 0);
    uint32_t *krec = NULL;
    size_t kbytes = (size_t)p->nk * sizeof *krec;
    if (p->nk) {
        krec = pa_malloc(en->al, kbytes);
        if (!krec)
            return false;
    }
    for (uint32_t i = 0; i < p->nk && !en->failed; i++)
        krec[i] = enc_value(en, p->k[i], 0);
    for (uint32_t i = 0; i < p->ncode && p->loc; i++)
        if (p->loc[i].file)
            enc_cstring(en, p->loc[i].file);
    for (uint32_t i = 0; i < p->nprocs; i++)
        enc_cstring(en, p->procs[i].name);
    for (uint32_t i = 0; i < p->neps; i++)
        enc_cstring(en, p->eps[i].name);
    uint32_t revision = enc_cstring(en, "");
    if (en->failed) {
        pa_free(en->al, krec, kbytes);
        return false;
    }

    ob_zeros(o, HDR_SIZE);
    size_t start;

    start = o->len;
    ob_u32(o, en->strs.n);
    ob_u32(o, (uint32_t)en->blob.len);
    for (uint32_t i = 0; i < en->strs.n; i++) {
        const strspan *sp = (const strspan *)en->strs.p + i;
        ob_u32(o, sp->off);
        ob_u32(o, sp->len);
    }
    ob_bytes(o, en->blob.p, en->blob.len);
    end_section(o, SEC_STRINGS, start);

    start = o->len;
    ob_u32(o, en->recs.n);
    ob_u32(o, en->refs.n);
    ob_u32(o, p->nk);
    ob_u32(o, data_rec);
    for (uint32_t i = 0; i < en->recs.n; i++) {
        const vrec *r = (const vrec *)en->recs.p + i;
        ob_u8(o, r->type);
        ob_u8(o, r->nk);
        ob_u16(o, 0);
        ob_u32(o, r->len);
        ob_u64(o, r->payload);
    }
    for (uint32_t i = 0; i < en->refs.n; i++)
        ob_u32(o, ((const uint32_t *)en->refs.p)[i]);
    for (uint32_t i = 0; i < p->nk; i++)
        ob_u32(o, krec[i]);
    end_section(o, SEC_VALUES, start);
    pa_free(en->al, krec, kbytes);

    start = o->len;
    ob_u32(o, p->ncode);
    ob_u32(o, 0);
    for (uint32_t i = 0; i < p->ncode; i++) {
        const insn *in = &p->code[i];
        ob_u8(o, in->op);
        ob_u8(o, in->x);
        ob_u16(o, in->a);
        ob_u32(o, in->b);
        ob_u32(o, in->c);
        ob_u32(o, in->d);
    }
    end_section(o, SEC_CODE, start);

    start = o->len;
    ob_u32(o, p->ncode);
    ob_u32(o, 0);
    for (uint32_t i = 0; i < p->ncode; i++) {
        const srcloc *l = p->loc ? &p->loc[i] : NULL;
        ob_u32(o, l && l->file ? enc_cstring(en, l->file) : STR_NONE);
        ob_u32(o, l ? l->line : 0);
        ob_u32(o, l ? l->col : 0);
    }
    end_section(o, SEC_SRCLOCS, start);

    start = o->len;
    ob_u32(o, p->nprocs);
    ob_u32(o, 0);
    for (uint32_t i = 0; i < p->nprocs; i++) {
        const proc *pr = &p->procs[i];
        ob_u32(o, pr->code);
        ob_u32(o, pr->ncode);
        ob_u16(o, pr->nregs);
        ob_u16(o, pr->nslots);
        ob_u16(o, pr->nparams);
        ob_u8(o, pr->kind);
        ob_u8(o, pr->nondet);
        ob_u32(o, enc_cstring(en, pr->name));
        ob_u32(o, 0);
    }
    end_section(o, SEC_PROCS, start);

    start = o->len;
    ob_u32(o, p->neps);
    ob_u32(o, 0);
    for (uint32_t i = 0; i < p->neps; i++) {
        ob_u32(o, enc_cstring(en, p->eps[i].name));
        ob_u32(o, p->eps[i].proc);
        ob_u32(o, p->eps[i].is_query ? 1 : 0);
    }
    end_section(o, SEC_ENTRYPOINTS, start);

    /* The program does not record its revision or module digests yet: an
     * empty revision and no sources. */
    start = o->len;
    ob_u32(o, revision);
    ob_u32(o, 0);
    end_section(o, SEC_METADATA, start);

    if (o->oom || en->failed)
        return false;
    unsigned char *h = o->p;
    memcpy(h, bundle_magic, 4);
    wr32(h + 4, BUNDLE_FORMAT_VERSION);
    wr32(h + 8, POL_API_VERSION);
    wr32(h + 12, 0);
    wr64(h + 16, o->len);
    wr32(h + 32, BUNDLE_NSECTIONS);
    wr32(h + 36, 0);
    wr64(h + 24, XXH3_64bits(h + CHECKSUM_FROM, o->len - CHECKSUM_FROM));
    return true;
}

/* Every message starts "bundle: " so callers can tell where it came from. */
static void vset_bundle_error(pol_error *err, pol_status code, const char *fmt, va_list ap)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
    err->code = code;
    int n = snprintf(err->message, sizeof err->message, "bundle: ");
    vsnprintf(err->message + n, sizeof err->message - (size_t)n, fmt, ap);
}

static void set_bundle_error(pol_error *err, pol_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_bundle_error(pol_error *err, pol_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset_bundle_error(err, code, fmt, ap);
    va_end(ap);
}

POL_EXPORT pol_status pol_bundle_save(const pol_bundle *b, void *buf, size_t cap, size_t *needed,
                                      pol_error *err)
{
    if (needed)
        *needed = 0;
    if (!b) {
        set_bundle_error(err, POL_INVALID_ARGUMENT, "pol_bundle_save: bundle is NULL");
        return POL_INVALID_ARGUMENT;
    }
    const pol_alloc *al = b->has_alloc ? &b->alloc : NULL;
    encoder en;
    memset(&en, 0, sizeof en);
    en.al = al;
    en.blob.al = al;
    itab_init(&en.str_index, al);
    itab_init(&en.rec_index, al);
    itab_init(&en.ptr_index, al);
    obuf o = {NULL, 0, 0, al, false};
    bool ok = encode_program(&en, &b->prog, &o);
    const char *why = en.why;
    encoder_free(&en);
    if (!ok) {
        ob_free(&o);
        if (why) {
            set_bundle_error(err, POL_BUNDLE, "cannot save: %s", why);
            return POL_BUNDLE;
        }
        set_bundle_error(err, POL_NOMEM, "out of memory while saving");
        return POL_NOMEM;
    }
    if (needed)
        *needed = o.len;
    pol_status st = POL_OK;
    if (buf && cap < o.len) {
        set_bundle_error(err, POL_INVALID_ARGUMENT, "buffer too small (%zu bytes given, %zu needed)", cap,
                         o.len);
        st = POL_INVALID_ARGUMENT;
    } else if (buf) {
        memcpy(buf, o.p, o.len);
    }
    ob_free(&o);
    return st;
}

/* ---- loader -------------------------------------------------------------- */

typedef struct loader {
    const unsigned char *file;
    size_t len;
    size_t sec_off[BUNDLE_NSECTIONS + 1], sec_len[BUNDLE_NSECTIONS + 1];
    program *p;
    arena *mem;
    const pol_alloc *al;
    pol_error *err;
    /* strings, resolved into the program arena */
    const char **str;
    uint32_t *str_len;
    uint32_t nstr;
    /* temporaries freed after loading */
    const val **vals;
    uint16_t *depth;
    uint32_t nvals;
} loader;

static bool lfail(loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Rejects the file: always returns false. */
static bool lfail(loader *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset_bundle_error(L->err, POL_BUNDLE, fmt, ap);
    va_end(ap);
    return false;
}

static bool loom(loader *L)
{
    set_bundle_error(L->err, POL_NOMEM, "out of memory while loading");
    return false;
}

static void *lalloc(loader *L, size_t n)
{
    return arena_alloc(L->mem, n);
}

/* Checks that section `id` is exactly `want` bytes (want is computed in 64
 * bits from the counts the section declares, so it cannot wrap). */
static bool sec_size(loader *L, int id, uint64_t want)
{
    if (L->sec_len[id] != want)
        return lfail(L, "section %d (%s) is %zu bytes but its counts need %llu", id, section_names[id],
                     L->sec_len[id], (unsigned long long)want);
    return true;
}

/* Sections with a {u32 count, u32 reserved} prefix and fixed-size items. */
static const unsigned char *sec_items(loader *L, int id, uint32_t item_bytes, uint32_t *count)
{
    const unsigned char *s = L->file + L->sec_off[id];
    if (L->sec_len[id] < 8) {
        lfail(L, "section %d (%s) is too short for its header", id, section_names[id]);
        return NULL;
    }
    *count = rd32(s);
    if (rd32(s + 4) != 0) {
        lfail(L, "section %d (%s) has a nonzero reserved field", id, section_names[id]);
        return NULL;
    }
    if (!sec_size(L, id, 8 + (uint64_t)*count * item_bytes))
        return NULL;
    return s + 8;
}

static bool check_header(loader *L)
{
    const unsigned char *f = L->file;
    if (L->len < 4 || memcmp(f, bundle_magic, 4) != 0)
        return lfail(L, "bad magic (not a policy bundle)");
    if (L->len < HDR_SIZE)
        return lfail(L, "file too short (%zu bytes; the header alone is %d)", L->len, HDR_SIZE);
    uint32_t version = rd32(f + 4);
    if (version != BUNDLE_FORMAT_VERSION)
        return lfail(L, "format version %u not supported (this library reads version %d)", version,
                     BUNDLE_FORMAT_VERSION);
    uint32_t api = rd32(f + 8);
    if (api == 0 || api > POL_API_VERSION)
        return lfail(L, "written for API version %u, this library has %d", api, POL_API_VERSION);
    if (rd32(f + 12) != 0)
        return lfail(L, "unknown flags 0x%x", rd32(f + 12));
    uint64_t total = rd64(f + 16);
    if (total != L->len)
        return lfail(L, "length field says %llu bytes but %zu were given", (unsigned long long)total, L->len);
    if (XXH3_64bits(f + CHECKSUM_FROM, L->len - CHECKSUM_FROM) != rd64(f + 24))
        return lfail(L, "checksum mismatch");
    if (rd32(f + 32) != BUNDLE_NSECTIONS)
        return lfail(L, "%u sections, expected %d", rd32(f + 32), BUNDLE_NSECTIONS);
    if (rd32(f + 36) != 0)
        return lfail(L, "header reserved field is not zero");
    size_t expect = HDR_SIZE;
    for (int i = 0; i < BUNDLE_NSECTIONS; i++) {
        const unsigned char *e = f + HDR_FIXED + i * SECT_ENTRY;
        int id = i + 1;
        if (rd32(e) != (uint32_t)id)
            return lfail(L, "section table entry %d has id %u, expected %d (%s)", i, rd32(e), id,
                         section_names[id]);
        if (rd32(e + 4) != 0)
            return lfail(L, "section %d (%s) reserved field is not zero", id, section_names[id]);
        uint64_t off = rd64(e + 8), len = rd64(e + 16);
        if (off > L->len || len > L->len - off)
            return lfail(L, "section %d (%s) extends past end of file", id, section_names[id]);
        if (off % 8 != 0)
            return lfail(L, "section %d (%s) offset %llu is not 8-byte aligned", id, section_names[id],
                         (unsigned long long)off);
        if (off != expect)
            return lfail(L, "section %d (%s) starts at %llu, expected %zu (right after the previous one)", id,
                         section_names[id], (unsigned long long)off, expect);
        L->sec_off[id] = (size_t)off;
        L->sec_len[id] = (size_t)len;
        expect = align8((size_t)(off + len));
    }
    if (expect != L->len)
        return lfail(L, "%zu bytes after the last section", L->len > expect ? L->len - expect : 0);
    return true;
}

typedef struct lstr_probe {
    const loader *L;
    const char *s;
    uint32_t n;
} lstr_probe;

static bool load_str_eq(const void *ctx, const itab_entry *e)
{
    const lstr_probe *pr = ctx;
    return pr->L->str_len[e->idx] == pr->n && memcmp(pr->L->str[e->idx], pr->s, pr->n) == 0;
}

static bool load_strings(loader *L)
{
    const unsigned char *s = L->file + L->sec_off[SEC_STRINGS];
    if (L->sec_len[SEC_STRINGS] < 8)
        return lfail(L, "section 1 (strings) is too short for its header");
    uint32_t count = rd32(s), blob_len = rd32(s + 4);
    if (!sec_size(L, SEC_STRINGS, 8 + 8 * (uint64_t)count + blob_len))
        return false;
    const unsigned char *spans = s + 8, *blob_in = spans + 8 * (size_t)count;
    char *blob = lalloc(L, blob_len);
    L->str = lalloc(L, sizeof *L->str * ((size_t)count + 1));
    L->str_len = lalloc(L, sizeof *L->str_len * ((size_t)count + 1));
    if (!blob || !L->str || !L->str_len)
        return loom(L);
    if (blob_len)
        memcpy(blob, blob_in, blob_len);
    L->nstr = count;
    itab seen;
    itab_init(&seen, L->al);
    bool ok = true;
    for (uint32_t i = 0; i < count && ok; i++) {
        uint32_t off = rd32(spans + 8 * (size_t)i), n = rd32(spans + 8 * (size_t)i + 4);
        if ((uint64_t)off + n >= blob_len) {
            ok = lfail(L, "string %u (offset %u, %u bytes) lies outside the string blob", i, off, n);
            break;
        }
        if (blob[(size_t)off + n] != '\0') {
            ok = lfail(L, "string %u is not NUL-terminated", i);
            break;
        }
        L->str[i] = blob + off;
        L->str_len[i] = n;
        uint64_t h = XXH3_64bits(blob + off, n);
        lstr_probe pr = {L, blob + off, n};
        uint32_t twin = itab_find(&seen, h, load_str_eq, &pr);
        if (twin != UINT32_MAX)
            ok = lfail(L, "string %u duplicates string %u", i, twin);
        else if (!itab_add(&seen, h, 0, i))
            ok = loom(L);
    }
    itab_free(&seen);
    return ok;
}

/* A string index from the file, checked; what/which name the referrer. */
static bool load_str_ref(loader *L, uint32_t idx, bool optional, const char *what, uint32_t which,
                         const char **out)
{
    if (optional && idx == STR_NONE) {
        *out = NULL;
        return true;
    }
    if (idx >= L->nstr)
        return lfail(L, "%s %u: string %u out of range (%u strings)", what, which, idx, L->nstr);
    *out = L->str[idx];
    return true;
}

/* Builds record i's value once its fields and children are checked. */
static bool build_value(loader *L, uint32_t i, const vrec *r, const uint32_t *children, val *slot)
{
    memset(slot, 0, sizeof *slot);
    slot->type = r->type;
    switch (r->type) {
    case V_NULL: L->vals[i] = VAL_NULL; return true;
    case V_BOOL: L->vals[i] = VAL_BOOL(r->payload != 0); return true;
    case V_NUM:
        if (r->nk == NUM_INT) {
            L->vals[i] = v_int(L->mem, (int64_t)r->payload);
            return L->vals[i] ? true : loom(L);
        }
        if (r->nk == NUM_FLOAT) {
            double d;
            memcpy(&d, &r->payload, sizeof d);
            if (!isfinite(d))
                return lfail(L, "value %u: number is not finite", i);
            if (d == trunc(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
                return lfail(L, "value %u: integral float %.17g is not canonical (it is an integer)", i, d);
            slot->nk = NUM_FLOAT;
            slot->u.d = d;
            val_float_set_hint(slot); /* the format stores only the bits */
            L->vals[i] = slot;
            return true;
        } else {
            const char *text = NULL;
            if (!load_str_ref(L, (uint32_t)r->payload, false, "value", i, &text))
                return false;
            uint32_t n = L->str_len[r->payload];
            const val *x = v_num_text(L->mem, text, n);
            if (!x)
                return lfail(L, "value %u: number text \"%.40s\" does not parse", i, text);
            if (x->nk != NUM_BIG)
                return lfail(L, "value %u: number text \"%.40s\" is not canonical (fits a %s)", i, text,
                             x->nk == NUM_INT ? "int64" : "double");
            L->vals[i] = x;
            return true;
        }
    case V_STR: {
        const char *s = NULL;
        if (!load_str_ref(L, (uint32_t)r->payload, false, "value", i, &s))
            return false;
        uint32_t n = L->str_len[r->payload];
        if (n == 0) {
            L->vals[i] = &val_empty_str_c;
            return true;
        }
        slot->len = n;
        slot->u.s = s;
        L->vals[i] = slot;
        return true;
    }
    default: break;
    }
    uint32_t n = r->len;
    if (n == 0) {
        L->vals[i] = r->type == V_ARR   ? &val_empty_arr_c
                     : r->type == V_SET ? &val_empty_set_c
                                        : &val_empty_obj_c;
        return true;
    }
    slot->len = n;
    if (r->type == V_OBJ) {
        const val **k = lalloc(L, sizeof *k * n), **v = lalloc(L, sizeof *v * n);
        if (!k || !v)
            return loom(L);
        for (uint32_t j = 0; j < n; j++) {
            k[j] = L->vals[children[2 * j]];
            v[j] = L->vals[children[2 * j + 1]];
            if (j && val_compare(k[j - 1], k[j]) >= 0)
                return lfail(L, "value %u: object keys are not sorted and unique (key %u)", i, j);
        }
        slot->u.o.k = k;
        slot->u.o.v = v;
    } else {
        const val **a = lalloc(L, sizeof *a * n);
        if (!a)
            return loom(L);
        for (uint32_t j = 0; j < n; j++) {
            a[j] = L->vals[children[j]];
            if (r->type == V_SET && j && val_compare(a[j - 1], a[j]) >= 0)
                return lfail(L, "value %u: set elements are not sorted and unique (element %u)", i, j);
        }
        slot->u.a = a;
    }
    L->vals[i] = slot;
    return true;
}

/* Field checks that do not depend on other records. */
static bool check_record_shape(loader *L, uint32_t i, const vrec *r, uint16_t reserved)
{
    if (reserved != 0)
        return lfail(L, "value %u has a nonzero reserved field", i);
    switch (r->type) {
    case V_NULL:
    case V_BOOL:
        if (r->nk || r->len || r->payload > (r->type == V_BOOL ? 1u : 0u))
            return lfail(L, "value %u: malformed %s record", i, vtype_name((vtype)r->type));
        return true;
    case V_NUM:
        if (r->nk > NUM_BIG)
            return lfail(L, "value %u: unknown number kind %u", i, r->nk);
        if (r->len)
            return lfail(L, "value %u: malformed number record", i);
        break;
    case V_STR:
    case V_ARR:
    case V_SET:
    case V_OBJ:
        if (r->nk || (r->type == V_STR && r->len))
            return lfail(L, "value %u: malformed %s record", i, vtype_name((vtype)r->type));
        break;
    default: return lfail(L, "value %u has unknown type %u", i, r->type);
    }
    /* string indexes (strings, big numbers) and ref positions are u32 */
    if (r->payload > UINT32_MAX && (r->type != V_NUM || r->nk == NUM_BIG))
        return lfail(L, "value %u: payload %llu out of range", i, (unsigned long long)r->payload);
    return true;
}

static bool load_values(loader *L)
{
    const unsigned char *s = L->file + L->sec_off[SEC_VALUES];
    if (L->sec_len[SEC_VALUES] < 16)
        return lfail(L, "section 2 (values) is too short for its header");
    uint32_t nrec = rd32(s), nrefs = rd32(s + 4), nk = rd32(s + 8), data_rec = rd32(s + 12);
    if (!sec_size(L, SEC_VALUES, 16 + (uint64_t)nrec * REC_BYTES + 4 * (uint64_t)nrefs + 4 * (uint64_t)nk))
        return false;
    const unsigned char *recs_in = s + 16, *refs_in = recs_in + (size_t)nrec * REC_BYTES,
                        *k_in = refs_in + 4 * (size_t)nrefs;

    /* Temporaries: decoded records and refs (for the uniqueness index),
     * the value of each record, its depth. */
    vrec *recs = pa_malloc(L->al, sizeof *recs * ((size_t)nrec + 1));
    uint32_t *refs = pa_malloc(L->al, sizeof *refs * ((size_t)nrefs + 1));
    L->vals = pa_malloc(L->al, sizeof *L->vals * ((size_t)nrec + 1));
    L->depth = pa_malloc(L->al, sizeof *L->depth * ((size_t)nrec + 1));
    L->nvals = nrec;
    val *slots = lalloc(L, sizeof *slots * ((size_t)nrec + 1));
    itab seen;
    itab_init(&seen, L->al);
    bool ok = recs && refs && L->vals && L->depth && slots ? true : loom(L);
    for (uint32_t j = 0; ok && j < nrefs; j++)
        refs[j] = rd32(refs_in + 4 * (size_t)j);

    uint64_t cursor = 0; /* next unclaimed ref */
    for (uint32_t i = 0; ok && i < nrec; i++) {
        const unsigned char *e = recs_in + (size_t)i * REC_BYTES;
        vrec *r = &recs[i];
        r->type = e[0];
        r->nk = e[1];
        r->len = rd32(e + 4);
        r->payload = rd64(e + 8);
        if (!(ok = check_record_shape(L, i, r, rd16(e + 2))))
            break;
        const uint32_t *children = NULL;
        uint32_t depth = 1;
        if (vtype_is_collection(r->type)) {
            uint64_t m = vrec_nrefs(r);
            if (r->payload != cursor) {
                ok = lfail(L,
                           "value %u: children start at ref %llu, expected %llu (refs are claimed in order)",
                           i, (unsigned long long)r->payload, (unsigned long long)cursor);
                break;
            }
            if (m > nrefs - cursor) {
                ok = lfail(L, "value %u: children extend past the ref table", i);
                break;
            }
            children = refs + cursor;
            cursor += m;
            for (uint64_t j = 0; j < m && ok; j++) {
                if (children[j] >= i)
                    ok = lfail(L, "value %u refers to value %u, which is not an earlier value", i,
                               children[j]);
                else if (L->depth[children[j]] + 1u > depth)
                    depth = L->depth[children[j]] + 1u;
            }
            if (!ok)
                break;
            if (depth > MAX_VALUE_DEPTH) {
                ok = lfail(L, "value %u nests deeper than %d levels", i, MAX_VALUE_DEPTH);
                break;
            }
        }
        L->depth[i] = (uint16_t)depth;
        uint64_t h = vrec_hash(r, children);
        vrec_probe pr = {recs, refs, r, children};
        uint32_t twin = itab_find(&seen, h, vrec_eq, &pr);
        if (twin != UINT32_MAX) {
            ok = lfail(L, "value %u duplicates value %u", i, twin);
            break;
        }
        if (!itab_add(&seen, h, 0, i)) {
            ok = loom(L);
            break;
        }
        ok = build_value(L, i, r, children, &slots[i]);
    }
    if (ok && cursor != nrefs)
        ok = lfail(L, "ref table has %llu entries no value claims", (unsigned long long)(nrefs - cursor));
    itab_free(&seen);
    pa_free(L->al, recs, sizeof *recs * ((size_t)nrec + 1));
    pa_free(L->al, refs, sizeof *refs * ((size_t)nrefs + 1));
    if (!ok)
        return false;

    program *p = L->p;
    p->k = lalloc(L, sizeof *p->k * ((size_t)nk + 1));
    if (!p->k)
        return loom(L);
    for (uint32_t i = 0; i < nk; i++) {
        uint32_t r = rd32(k_in + 4 * (size_t)i);
        if (r >= nrec)
            return lfail(L, "constant %u refers to value %u (only %u values)", i, r, nrec);
        p->k[i] = L->vals[r];
    }
    p->nk = nk;
    if (data_rec >= nrec)
        return lfail(L, "base document refers to value %u (only %u values)", data_rec, nrec);
    p->data = L->vals[data_rec];
    if (p->data->type != V_OBJ)
        return lfail(L, "base document is a %s, not an object", vtype_name((vtype)p->data->type));
    return true;
}

static bool load_code(loader *L)
{
    uint32_t n;
    const unsigned char *s = sec_items(L, SEC_CODE, INSN_BYTES, &n);
    if (!s)
        return false;
    program *p = L->p;
    p->code = lalloc(L, sizeof *p->code * ((size_t)n + 1));
    if (!p->code)
        return loom(L);
    for (uint32_t i = 0; i < n; i++, s += INSN_BYTES) {
        insn *in = &p->code[i];
        in->op = s[0];
        in->x = s[1];
        in->a = rd16(s + 2);
        in->b = rd32(s + 4);
        in->c = rd32(s + 8);
        in->d = rd32(s + 12);
    }
    p->ncode = n;

    uint32_t nloc;
    s = sec_items(L, SEC_SRCLOCS, SRCLOC_BYTES, &nloc);
    if (!s)
        return false;
    if (nloc != n)
        return lfail(L, "section 4 (srclocs) has %u entries for %u instructions", nloc, n);
    p->loc = lalloc(L, sizeof *p->loc * ((size_t)n + 1));
    if (!p->loc)
        return loom(L);
    for (uint32_t i = 0; i < n; i++, s += SRCLOC_BYTES) {
        if (!load_str_ref(L, rd32(s), true, "srcloc", i, &p->loc[i].file))
            return false;
        p->loc[i].line = rd32(s + 4);
        p->loc[i].col = rd32(s + 8);
    }
    return true;
}

static bool load_procs(loader *L)
{
    uint32_t n;
    const unsigned char *s = sec_items(L, SEC_PROCS, PROC_BYTES, &n);
    if (!s)
        return false;
    program *p = L->p;
    p->procs = lalloc(L, sizeof *p->procs * ((size_t)n + 1));
    if (!p->procs)
        return loom(L);
    for (uint32_t i = 0; i < n; i++, s += PROC_BYTES) {
        proc *pr = &p->procs[i];
        pr->code = rd32(s);
        pr->ncode = rd32(s + 4);
        pr->nregs = rd16(s + 8);
        pr->nslots = rd16(s + 10);
        pr->nparams = rd16(s + 12);
        pr->kind = s[14];
        pr->nondet = s[15];
        if (pr->kind > PROC_QUERY)
            return lfail(L, "proc %u has unknown kind %u", i, pr->kind);
        if (pr->nondet > 1)
            return lfail(L, "proc %u has nondet flag %u (want 0 or 1)", i, pr->nondet);
        if (rd32(s + 20) != 0)
            return lfail(L, "proc %u has a nonzero reserved field", i);
        if (!load_str_ref(L, rd32(s + 16), false, "proc", i, &pr->name))
            return false;
        if (pr->nregs > p->max_regs)
            p->max_regs = pr->nregs;
        if (pr->nslots > p->max_slots)
            p->max_slots = pr->nslots;
    }
    p->nprocs = n;

    s = sec_items(L, SEC_ENTRYPOINTS, EP_BYTES, &n);
    if (!s)
        return false;
    p->eps = lalloc(L, sizeof *p->eps * ((size_t)n + 1));
    if (!p->eps)
        return loom(L);
    for (uint32_t i = 0; i < n; i++, s += EP_BYTES) {
        entrypoint *e = &p->eps[i];
        if (!load_str_ref(L, rd32(s), false, "entrypoint", i, &e->name))
            return false;
        e->proc = rd32(s + 4);
        uint32_t q = rd32(s + 8);
        if (q > 1)
            return lfail(L, "entrypoint %u has is_query flag %u (want 0 or 1)", i, q);
        e->is_query = q == 1;
    }
    p->neps = n;
    return true;
}

static bool load_metadata(loader *L)
{
    const unsigned char *s = L->file + L->sec_off[SEC_METADATA];
    if (L->sec_len[SEC_METADATA] < 8)
        return lfail(L, "section 7 (metadata) is too short for its header");
    uint32_t nsrc = rd32(s + 4);
    if (!sec_size(L, SEC_METADATA, 8 + (uint64_t)nsrc * SOURCE_BYTES))
        return false;
    const char *unused;
    if (!load_str_ref(L, rd32(s), false, "metadata revision", 0, &unused))
        return false;
    for (uint32_t i = 0; i < nsrc; i++) {
        const unsigned char *e = s + 8 + (size_t)i * SOURCE_BYTES;
        if (!load_str_ref(L, rd32(e), false, "metadata source", i, &unused))
            return false;
        if (rd32(e + 4) != 0)
            return lfail(L, "metadata source %u has a nonzero reserved field", i);
    }
    return true;
}

POL_EXPORT pol_bundle *pol_bundle_load(const void *bytes, size_t len, const pol_alloc *alloc, pol_error *err)
{
    if (!bytes && len) {
        set_bundle_error(err, POL_INVALID_ARGUMENT, "pol_bundle_load: bytes is NULL");
        return NULL;
    }
    pol_bundle *b = pa_malloc(alloc, sizeof *b);
    if (!b) {
        set_bundle_error(err, POL_NOMEM, "out of memory while loading");
        return NULL;
    }
    memset(b, 0, sizeof *b);
    b->refs = 1;
    if (alloc) {
        b->alloc = *alloc;
        b->has_alloc = true;
    }
    const pol_alloc *al = b->has_alloc ? &b->alloc : NULL;
    arena_init_growable(&b->prog.mem, al);

    loader L;
    memset(&L, 0, sizeof L);
    L.file = bytes;
    L.len = len;
    L.p = &b->prog;
    L.mem = &b->prog.mem;
    L.al = al;
    L.err = err;
    bool ok = check_header(&L) && load_strings(&L) && load_values(&L) && load_code(&L) && load_procs(&L) &&
              load_metadata(&L);
    pa_free(al, L.vals, sizeof *L.vals * ((size_t)L.nvals + 1));
    pa_free(al, L.depth, sizeof *L.depth * ((size_t)L.nvals + 1));
    if (ok) {
        char why[256];
        if (!program_verify(&b->prog, why, sizeof why))
            ok = lfail(&L, "%s", why);
    }
    if (ok)
        ok = program_build_indexes(&b->prog) || loom(&L);
    if (!ok) {
        arena_free(&b->prog.mem);
        pa_free(alloc, b, sizeof *b);
        return NULL;
    }
    return b;
}
