/*
 * hashmap.h -- an intrusive chained hash table. Entries embed a HashNode and
 * carry their own key; the caller supplies the hash and an equality test, so
 * one implementation serves string-keyed (names, match indices) and
 * integer-keyed (peer ids, pending replies) maps.
 *
 * Keys from peers are hostile: hash them with hashmap_hash_*() which mix a
 * per-process random seed, so a peer cannot precompute colliding names.
 *
 * Must never: own or free the entries it links.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct HashNode {
        struct HashNode *next;
        uint64_t hash;
} HashNode;

typedef struct Hashmap {
        HashNode **buckets;
        size_t n_buckets;       /* power of two, 0 before the first insert */
        size_t n_entries;
        uint64_t seed;
} Hashmap;

/** hashmap_init() - an empty map; @seed mixes into hashmap_hash_*(). */
void hashmap_init(Hashmap *m, uint64_t seed);
/** hashmap_deinit() - free the bucket array (entries are the caller's). */
void hashmap_deinit(Hashmap *m);

/** hashmap_hash_string() - keyed hash of a NUL-terminated string. */
uint64_t hashmap_hash_string(const Hashmap *m, const char *s);
/** hashmap_hash_u64() - keyed hash of a 64-bit integer. */
uint64_t hashmap_hash_u64(const Hashmap *m, uint64_t v);

/**
 * hashmap_insert() - link @n with @hash (no duplicate check).
 * Return: 0 or -ENOMEM (the map is unchanged then).
 */
int hashmap_insert(Hashmap *m, HashNode *n, uint64_t hash);
/** hashmap_remove() - unlink @n, which must be in @m. */
void hashmap_remove(Hashmap *m, HashNode *n);

/**
 * hashmap_find() - the first node with @hash for which @eq(node, @key) holds,
 * or NULL.
 */
HashNode *hashmap_find(const Hashmap *m, uint64_t hash,
                       bool (*eq)(const HashNode *n, const void *key), const void *key);

/* iteration: for (HashIter it = HASH_ITER_INIT; (n = hashmap_next(m, &it)); ) */
typedef struct HashIter {
        size_t bucket;
        HashNode *next;
} HashIter;
#define HASH_ITER_INIT ((HashIter){ 0, NULL })
/** hashmap_next() - next node (removing the returned node is allowed), NULL at the end. */
HashNode *hashmap_next(const Hashmap *m, HashIter *it);
