/*
 * hashmap.c -- intrusive chained hash table with power-of-two buckets that
 * doubles at load factor 1. Lookups cost one bucket walk.
 */
#include <errno.h>
#include <stdlib.h>
#include "util/hashmap.h"

/** hashmap_init() - see hashmap.h. */
void hashmap_init(Hashmap *m, uint64_t seed)
{
        *m = (Hashmap){ .seed = seed | 1 };
}

/** hashmap_deinit() - see hashmap.h. */
void hashmap_deinit(Hashmap *m)
{
        free(m->buckets);
        m->buckets = NULL;
        m->n_buckets = m->n_entries = 0;
}

static uint64_t mix64(uint64_t x)
{
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
}

/** hashmap_hash_string() - see hashmap.h. */
uint64_t hashmap_hash_string(const Hashmap *m, const char *s)
{
        uint64_t h = m->seed ^ 0xcbf29ce484222325ULL;

        for (; *s; s++) {
                h ^= (uint8_t)*s;
                h *= 0x100000001b3ULL;
        }
        return mix64(h ^ m->seed);
}

/** hashmap_hash_u64() - see hashmap.h. */
uint64_t hashmap_hash_u64(const Hashmap *m, uint64_t v)
{
        return mix64(v ^ m->seed);
}

static int hashmap_grow(Hashmap *m)
{
        size_t n = m->n_buckets ? m->n_buckets * 2 : 16;
        HashNode **b = calloc(n, sizeof(*b));

        if (!b)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_buckets; i++) {
                HashNode *e = m->buckets[i];

                while (e) {
                        HashNode *next = e->next;
                        size_t j = e->hash & (n - 1);

                        e->next = b[j];
                        b[j] = e;
                        e = next;
                }
        }
        free(m->buckets);
        m->buckets = b;
        m->n_buckets = n;
        return 0;
}

/** hashmap_insert() - see hashmap.h. */
int hashmap_insert(Hashmap *m, HashNode *n, uint64_t hash)
{
        size_t i;

        if (m->n_entries >= m->n_buckets) {
                int r = hashmap_grow(m);

                if (r < 0)
                        return r;
        }
        i = hash & (m->n_buckets - 1);
        n->hash = hash;
        n->next = m->buckets[i];
        m->buckets[i] = n;
        m->n_entries++;
        return 0;
}

/** hashmap_remove() - see hashmap.h. */
void hashmap_remove(Hashmap *m, HashNode *n)
{
        HashNode **p;

        if (!m->n_buckets)
                return;
        for (p = &m->buckets[n->hash & (m->n_buckets - 1)]; *p; p = &(*p)->next) {
                if (*p == n) {
                        *p = n->next;
                        n->next = NULL;
                        m->n_entries--;
                        return;
                }
        }
}

/** hashmap_find() - see hashmap.h. */
HashNode *hashmap_find(const Hashmap *m, uint64_t hash,
                       bool (*eq)(const HashNode *n, const void *key), const void *key)
{
        if (!m->n_buckets)
                return NULL;
        for (HashNode *e = m->buckets[hash & (m->n_buckets - 1)]; e; e = e->next)
                if (e->hash == hash && eq(e, key))
                        return e;
        return NULL;
}

/** hashmap_next() - see hashmap.h. */
HashNode *hashmap_next(const Hashmap *m, HashIter *it)
{
        HashNode *n = it->next;

        while (!n) {
                if (it->bucket >= m->n_buckets)
                        return NULL;
                n = m->buckets[it->bucket++];
        }
        it->next = n->next;
        return n;
}
