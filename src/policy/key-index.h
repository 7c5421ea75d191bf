/*
 * key-index.h -- KeyIndex: the policy snapshot's lookup from a name (a bus
 * name or an interface) to the rules filed under it. Entries are sorted by key
 * and then by rule number, so the rules of one key are contiguous and in file
 * order; an open-addressing table over the distinct keys finds the first of
 * them in O(1), so that a check costs the same with 10 or 10,000 rules.
 *
 * Must never: allocate after key_index_build(), or keep pointers to the
 * looked-up key.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef struct KeyEntry {
        const char *key; /* the rule's own string: lives as long as the rule */
        unsigned seq;    /* the rule's number in its set */
} KeyEntry;

typedef struct KeySlot {
        uint32_t first; /* 1 + index into KeyIndex.v of the key's first entry; 0 = empty */
        uint32_t n;     /* its entries */
} KeySlot;

typedef struct KeyIndex {
        KeyEntry *v;     /* sorted by key, then seq */
        size_t n;
        KeySlot *slots;  /* one per distinct key, at most half full */
        size_t mask;     /* slots has mask + 1 entries, a power of two */
} KeyIndex;

/* key_index_init() - an empty index with room for @cap entries. 0 or -ENOMEM. */
int key_index_init(KeyIndex *x, size_t cap);

/* key_index_add() - file @seq under @key (within the room given to init). */
void key_index_add(KeyIndex *x, const char *key, unsigned seq);

/* key_index_build() - sort the entries and index their keys. 0 or -ENOMEM. */
int key_index_build(KeyIndex *x);

/*
 * key_index_find() - the entries filed under @key: a pointer to the first and
 * their number in *@ret_n (0 and NULL when there is none).
 */
const KeyEntry *key_index_find(const KeyIndex *x, const char *key, size_t *ret_n);

/* key_index_clear() - free the index; it is empty afterwards. */
void key_index_clear(KeyIndex *x);
