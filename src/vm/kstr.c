/* Building the constant-string id table (see kstr.h). */
#include "kstr.h"

/* A growable list of value pointers in scratch memory. */
typedef struct kstr_list {
    const val **v;
    size_t n, cap;
    const pol_alloc *al;
    bool oom;
} kstr_list;

static void list_push(kstr_list *l, const val *x)
{
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        const val **v = pa_realloc(l->al, l->v, l->cap * sizeof *v, cap * sizeof *v);
        if (!v) {
            l->oom = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = x;
}

static void list_free(kstr_list *l)
{
    pa_free(l->al, l->v, l->cap * sizeof *l->v);
}

/* One member found below the top: a string is a candidate while the
 * nested budget lasts; a non-empty container is walked later while the
 * container budget lasts. */
static void take_member(const val *m, kstr_list *strs, size_t *nested, kstr_list *queue)
{
    if (m->type == V_STR) {
        if (*nested < KSTR_MAX_NESTED) {
            list_push(strs, m);
            ++*nested;
        }
    } else if (m->type >= V_ARR && m->len > 0 && queue->n < KSTR_MAX_CONTAINERS) {
        list_push(queue, m);
    }
}

/* Inserts (s, len) unless present; the slot array has room by construction. */
static void insert(kstr_table *t, kstr_slot *slots, const val *x)
{
    for (uint32_t i = kstr_home(t, x->u.s);; i = (i + 1) & t->mask) {
        kstr_slot *e = &slots[i];
        if (e->s == x->u.s && e->len == x->len)
            return;
        if (!e->s) {
            e->s = x->u.s;
            e->len = x->len;
            e->id = t->n++;
            return;
        }
    }
}

/* The table with no strings: any address's home (shift 63: 0 or 1) is an
 * empty slot. */
static const kstr_slot kstr_no_slots[2] = {{.s = NULL, .len = 0, .id = KSTR_NONE},
                                           {.s = NULL, .len = 0, .id = KSTR_NONE}};

bool kstr_build(kstr_table *t, arena *mem, const pol_alloc *tmp, const val *const *top, uint32_t ntop,
                const val *const *roots, uint32_t nroots)
{
    *t = (kstr_table){.slots = kstr_no_slots, .mask = 1, .n = 0, .shift = 63};
    kstr_list strs = {.al = tmp}, queue = {.al = tmp};
    size_t nested = 0;
    for (uint32_t i = 0; i < ntop; i++) {
        if (top[i] && top[i]->type == V_STR)
            list_push(&strs, top[i]);
        else if (top[i] && top[i]->type >= V_ARR && top[i]->len > 0)
            list_push(&queue, top[i]);
    }
    for (uint32_t i = 0; i < nroots; i++)
        if (roots[i])
            take_member(roots[i], &strs, &nested, &queue);
    /* breadth first: the queue grows behind the cursor */
    for (size_t q = 0; q < queue.n && !queue.oom; q++) {
        const val *c = queue.v[q];
        for (uint32_t i = 0; i < c->len; i++) {
            if (c->type == V_OBJ) {
                take_member(c->u.o.k[i], &strs, &nested, &queue);
                take_member(c->u.o.v[i], &strs, &nested, &queue);
            } else {
                take_member(c->u.a[i], &strs, &nested, &queue);
            }
        }
    }
    bool ok = !strs.oom && !queue.oom;
    list_free(&queue);
    /* strings with NULL bytes (none are built so) could not be told from
     * an empty slot: they get no id */
    size_t count = 0;
    for (size_t i = 0; ok && i < strs.n; i++)
        count += strs.v[i]->u.s != NULL;
    if (!ok || count == 0 || count > UINT32_MAX / 4) {
        list_free(&strs);
        return ok;
    }
    uint32_t bits = 4;
    while (((size_t)1 << bits) < 2 * count)
        bits++;
    size_t nslots = (size_t)1 << bits;
    kstr_slot *slots = arena_alloc(mem, nslots * sizeof *slots);
    if (!slots) {
        list_free(&strs);
        return false;
    }
    for (size_t i = 0; i < nslots; i++)
        slots[i] = (kstr_slot){.s = NULL, .len = 0, .id = KSTR_NONE};
    t->shift = 64 - bits;
    t->mask = (uint32_t)(nslots - 1);
    for (size_t i = 0; i < strs.n; i++)
        if (strs.v[i]->u.s)
            insert(t, slots, strs.v[i]);
    t->slots = slots;
    list_free(&strs);
    return true;
}
