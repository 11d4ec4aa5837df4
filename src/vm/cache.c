/* The decision cache: a fixed array of slots, each guarded by a sequence
 * lock, holding (key, encoded result).
 *
 * Invariants:
 *  - Nothing is allocated after pol_cache_new; a result that does not fit
 *    a slot is simply not cached (counted as skipped).
 *  - Readers never block: they copy a slot and retry-free compare the
 *    sequence number before and after; a torn read is a miss.
 *  - Writers claim a slot by moving its sequence from even to odd with a
 *    CAS; a writer that loses the race skips its insert.
 *  - Slot words are accessed with relaxed atomics, ordered by the
 *    sequence's acquire/release, so the protocol is data-race free in the
 *    C11 model (and ThreadSanitizer agrees).
 *  - Results are stored in a compact typed encoding, so sets stay sets and
 *    numbers keep their representation.
 */
#include <stdatomic.h>
#include <string.h>

#include "cache.h"

typedef struct slot {
    _Atomic uint32_t seq; /* odd while being written */
    _Atomic uint32_t len; /* encoded bytes; 0 = empty */
    _Atomic uint64_t key_lo, key_hi;
    /* followed by words[] of the slot's payload */
} slot;

struct pol_cache {
    pol_bundle *bundle;
    const pol_alloc *alloc;
    uint32_t mask;
    size_t payload_words;
    size_t slot_bytes;
    unsigned char *slots;
    _Atomic uint64_t hits, misses, inserts, evictions, skipped;
};

static slot *slot_at(const pol_cache *c, uint64_t h)
{
    return (slot *)(void *)(c->slots + (size_t)(h & c->mask) * c->slot_bytes);
}

static _Atomic uint64_t *payload(slot *s)
{
    return (_Atomic uint64_t *)(void *)(s + 1);
}

/* ---- encoding ---------------------------------------------------------- */

enum { ENC_UNDEF, ENC_NULL, ENC_FALSE, ENC_TRUE, ENC_INT, ENC_FLOAT, ENC_BIG, ENC_STR, ENC_ARR, ENC_SET, ENC_OBJ };

typedef struct enc {
    unsigned char *p;
    size_t n, cap;
    bool full;
} enc;

static void put(enc *e, const void *src, size_t n)
{
    if (e->full || e->n + n > e->cap) {
        e->full = true;
        return;
    }
    memcpy(e->p + e->n, src, n);
    e->n += n;
}

static void put_u8(enc *e, uint8_t b)
{
    put(e, &b, 1);
}

static void put_u32(enc *e, uint32_t v)
{
    put(e, &v, 4);
}

static void encode(enc *e, const val *v)
{
    switch ((vtype)v->type) {
    case V_NULL:
        put_u8(e, ENC_NULL);
        return;
    case V_BOOL:
        put_u8(e, v->u.b ? ENC_TRUE : ENC_FALSE);
        return;
    case V_NUM:
        if (v->nk == NUM_INT) {
            put_u8(e, ENC_INT);
            put(e, &v->u.i, 8);
        } else if (v->nk == NUM_FLOAT) {
            put_u8(e, ENC_FLOAT);
            put(e, &v->u.d, 8);
        } else {
            put_u8(e, ENC_BIG);
            put_u32(e, v->len);
            put(e, v->u.s, v->len);
        }
        return;
    case V_STR:
        put_u8(e, ENC_STR);
        put_u32(e, v->len);
        put(e, v->u.s, v->len);
        return;
    case V_ARR:
    case V_SET:
        put_u8(e, v->type == V_ARR ? ENC_ARR : ENC_SET);
        put_u32(e, v->len);
        for (uint32_t i = 0; i < v->len && !e->full; i++)
            encode(e, v->u.a[i]);
        return;
    case V_OBJ:
        put_u8(e, ENC_OBJ);
        put_u32(e, v->len);
        for (uint32_t i = 0; i < v->len && !e->full; i++) {
            encode(e, v->u.o.k[i]);
            encode(e, v->u.o.v[i]);
        }
        return;
    }
}

typedef struct dec {
    const unsigned char *p;
    size_t n, at;
    arena *a;
    bool bad;
} dec;

static bool get(dec *d, void *dst, size_t n)
{
    if (d->bad || d->at + n > d->n) {
        d->bad = true;
        return false;
    }
    memcpy(dst, d->p + d->at, n);
    d->at += n;
    return true;
}

static const val *decode(dec *d, int depth)
{
    uint8_t tag = 0;
    uint32_t len = 0;
    if (depth > 1000 || !get(d, &tag, 1))
        return NULL;
    switch (tag) {
    case ENC_NULL:
        return VAL_NULL;
    case ENC_FALSE:
        return VAL_FALSE;
    case ENC_TRUE:
        return VAL_TRUE;
    case ENC_INT: {
        int64_t i;
        return get(d, &i, 8) ? v_int(d->a, i) : NULL;
    }
    case ENC_FLOAT: {
        double x;
        return get(d, &x, 8) ? v_float(d->a, x) : NULL;
    }
    case ENC_BIG:
    case ENC_STR: {
        if (!get(d, &len, 4) || d->at + len > d->n)
            return NULL;
        const char *s = (const char *)d->p + d->at;
        d->at += len;
        return tag == ENC_STR ? v_str(d->a, s, len) : v_num_text(d->a, s, len);
    }
    case ENC_ARR:
    case ENC_SET:
    case ENC_OBJ: {
        if (!get(d, &len, 4) || len > d->n)
            return NULL;
        vbuild b;
        vb_init(&b, d->a);
        for (uint32_t i = 0; i < len; i++) {
            const val *k = decode(d, depth + 1);
            if (!k)
                return NULL;
            if (tag == ENC_OBJ) {
                const val *x = decode(d, depth + 1);
                if (!x || !vb_put(&b, k, x))
                    return NULL;
            } else if (!vb_push(&b, k)) {
                return NULL;
            }
        }
        return tag == ENC_ARR ? vb_finish_array(&b) : tag == ENC_SET ? vb_finish_set(&b) : vb_finish_object(&b, NULL);
    }
    default:
        d->bad = true;
        return NULL;
    }
}

/* ---- API --------------------------------------------------------------- */

POL_EXPORT pol_cache *pol_cache_new(pol_bundle *b, const pol_cache_options *options, pol_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
    if (!b) {
        if (err) {
            err->code = POL_INVALID_ARGUMENT;
            snprintf(err->message, sizeof err->message, "pol_cache_new: bundle is NULL");
        }
        return NULL;
    }
    size_t entries = options && options->entries ? options->entries : 4096;
    size_t max_bytes = options && options->max_result_bytes ? options->max_result_bytes : 256;
    /* a slot is copied to the stack on every hit: keep it small */
    if (entries > ((size_t)1 << 24) || max_bytes > 4096) {
        if (err) {
            err->code = POL_INVALID_ARGUMENT;
            snprintf(err->message, sizeof err->message,
                     "pol_cache_new: at most 16M entries of at most 4 KiB each");
        }
        return NULL;
    }
    size_t n = 1;
    while (n < entries)
        n <<= 1;
    const pol_alloc *al = b->has_alloc ? &b->alloc : NULL;
    pol_cache *c = pa_malloc(al, sizeof *c);
    if (!c)
        goto nomem;
    memset(c, 0, sizeof *c);
    c->alloc = al;
    c->mask = (uint32_t)(n - 1);
    c->payload_words = (max_bytes + 7) / 8;
    c->slot_bytes = sizeof(slot) + c->payload_words * 8;
    c->slots = pa_malloc(al, n * c->slot_bytes);
    if (!c->slots) {
        pa_free(al, c, sizeof *c);
        goto nomem;
    }
    memset(c->slots, 0, n * c->slot_bytes);
    c->bundle = b;
    pol_bundle_retain(b);
    return c;
nomem:
    if (err) {
        err->code = POL_NOMEM;
        snprintf(err->message, sizeof err->message, "pol_cache_new: out of memory");
    }
    return NULL;
}

POL_EXPORT void pol_cache_free(pol_cache *c)
{
    if (!c)
        return;
    const pol_alloc *al = c->alloc;
    pol_bundle *b = c->bundle;
    pa_free(al, c->slots, (size_t)(c->mask + 1) * c->slot_bytes);
    pa_free(al, c, sizeof *c);
    pol_bundle_release(b);
}

POL_EXPORT void pol_cache_stats_get(const pol_cache *c, pol_cache_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!c)
        return;
    pol_cache *m = (pol_cache *)(uintptr_t)c;
    out->hits = atomic_load_explicit(&m->hits, memory_order_relaxed);
    out->misses = atomic_load_explicit(&m->misses, memory_order_relaxed);
    out->inserts = atomic_load_explicit(&m->inserts, memory_order_relaxed);
    out->evictions = atomic_load_explicit(&m->evictions, memory_order_relaxed);
    out->skipped = atomic_load_explicit(&m->skipped, memory_order_relaxed);
}

const pol_bundle *cache_bundle(const pol_cache *c)
{
    return c->bundle;
}

bool cache_lookup(pol_cache *c, cache_key k, arena *a, const val **out, bool *defined)
{
    slot *s = slot_at(c, k.lo);
    uint32_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
    uint32_t len = atomic_load_explicit(&s->len, memory_order_relaxed);
    if ((seq & 1) || len == 0 || atomic_load_explicit(&s->key_lo, memory_order_relaxed) != k.lo ||
        atomic_load_explicit(&s->key_hi, memory_order_relaxed) != k.hi) {
        atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);
        return false;
    }
    uint64_t words[c->payload_words ? c->payload_words : 1];
    size_t nw = (len + 7) / 8;
    _Atomic uint64_t *p = payload(s);
    for (size_t i = 0; i < nw; i++)
        words[i] = atomic_load_explicit(&p[i], memory_order_relaxed);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&s->seq, memory_order_relaxed) != seq) {
        atomic_fetch_add_explicit(&c->misses, 1, memory_order_relaxed);
        return false;
    }
    dec d = {(const unsigned char *)words, len, 0, a, false};
    unsigned char tag = ((const unsigned char *)words)[0];
    if (tag == ENC_UNDEF) {
        *out = NULL;
        *defined = false;
    } else {
        *out = decode(&d, 0);
        *defined = true;
        if (!*out)
            return false; /* arena full: evaluate normally */
    }
    atomic_fetch_add_explicit(&c->hits, 1, memory_order_relaxed);
    return true;
}

void cache_insert(pol_cache *c, cache_key k, const val *v)
{
    uint64_t words[c->payload_words ? c->payload_words : 1];
    enc e = {(unsigned char *)words, 0, c->payload_words * 8, false};
    if (v)
        encode(&e, v);
    else
        put_u8(&e, ENC_UNDEF);
    if (e.full || e.n == 0) {
        atomic_fetch_add_explicit(&c->skipped, 1, memory_order_relaxed);
        return;
    }
    slot *s = slot_at(c, k.lo);
    uint32_t seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
    if ((seq & 1) || !atomic_compare_exchange_strong_explicit(&s->seq, &seq, seq + 1, memory_order_acquire,
                                                              memory_order_relaxed)) {
        atomic_fetch_add_explicit(&c->skipped, 1, memory_order_relaxed);
        return;
    }
    if (atomic_load_explicit(&s->len, memory_order_relaxed) != 0)
        atomic_fetch_add_explicit(&c->evictions, 1, memory_order_relaxed);
    atomic_store_explicit(&s->key_lo, k.lo, memory_order_relaxed);
    atomic_store_explicit(&s->key_hi, k.hi, memory_order_relaxed);
    atomic_store_explicit(&s->len, (uint32_t)e.n, memory_order_relaxed);
    _Atomic uint64_t *p = payload(s);
    size_t nw = (e.n + 7) / 8;
    memset((unsigned char *)words + e.n, 0, nw * 8 - e.n);
    for (size_t i = 0; i < nw; i++)
        atomic_store_explicit(&p[i], words[i], memory_order_relaxed);
    atomic_store_explicit(&s->seq, seq + 2, memory_order_release);
    atomic_fetch_add_explicit(&c->inserts, 1, memory_order_relaxed);
}
