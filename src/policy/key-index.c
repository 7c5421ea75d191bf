/*
 * key-index.c -- KeyIndex: bus names and interfaces to the policy rules filed
 * under them, found in O(1). See key-index.h.
 *
 * The hash is not keyed: the table holds only the configuration's keys, so
 * its clusters are fixed when it is built, and a looked-up name (which a peer
 * chooses) can only pick which cluster it walks, never make one longer. The
 * table is at most half full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/key-index.h"
#include "util/error.h"

/* FNV-1a, 64 bits */
static uint64_t key_hash(const char *s)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
        return h;
}

static int entry_cmp(const void *a, const void *b)
{
        const KeyEntry *x = a, *y = b;
        int c = strcmp(x->key, y->key);

        if (c)
                return c;
        return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/** key_index_init() - see key-index.h. */
int key_index_init(KeyIndex *x, size_t cap)
{
        *x = (KeyIndex){};
        if (cap == 0)
                return 0;
        x->v = calloc(cap, sizeof(*x->v));
        return x->v ? 0 : error_origin(-ENOMEM);
}

/** key_index_add() - see key-index.h. */
void key_index_add(KeyIndex *x, const char *key, unsigned seq)
{
        x->v[x->n++] = (KeyEntry){ key, seq };
}

/** key_index_build() - see key-index.h. */
int key_index_build(KeyIndex *x)
{
        size_t size = 8;

        if (x->n == 0)
                return 0;
        if (x->n >= UINT32_MAX / 4)
                return error_origin(-ENOMEM);
        qsort(x->v, x->n, sizeof(*x->v), entry_cmp);
        while (size < 2 * x->n)
                size *= 2;
        x->slots = calloc(size, sizeof(*x->slots));
        if (!x->slots)
                return error_origin(-ENOMEM);
        x->mask = size - 1;
        for (size_t i = 0, run; i < x->n; i += run) {
                size_t at;

                for (run = 1; i + run < x->n && strcmp(x->v[i].key, x->v[i + run].key) == 0; run++)
                        ;
                for (at = key_hash(x->v[i].key) & x->mask; x->slots[at].first; at = (at + 1) & x->mask)
                        ;
                x->slots[at] = (KeySlot){ (uint32_t)(i + 1), (uint32_t)run };
        }
        return 0;
}

/** key_index_find() - see key-index.h. */
const KeyEntry *key_index_find(const KeyIndex *x, const char *key, size_t *ret_n)
{
        *ret_n = 0;
        if (!x->slots)
                return NULL;
        for (size_t at = key_hash(key) & x->mask; x->slots[at].first; at = (at + 1) & x->mask) {
                const KeyEntry *first = &x->v[x->slots[at].first - 1];

                if (strcmp(first->key, key) == 0) {
                        *ret_n = x->slots[at].n;
                        return first;
                }
        }
        return NULL;
}

/** key_index_clear() - see key-index.h. */
void key_index_clear(KeyIndex *x)
{
        free(x->v);
        free(x->slots);
        *x = (KeyIndex){};
}
