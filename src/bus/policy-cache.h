/*
 * policy-cache.h -- compiled policy snapshots shared by all peers with the
 * same uid and groups. A snapshot indexes every rule that applies to its
 * peer (~48 bytes per rule): compiled per connection, a bus with 1,000 rules
 * paid ~48 kB and a sort per connect; shared, it pays that once per
 * distinct (uid, groups).
 *
 * Must never: decide anything (policy/ does), or keep a snapshot of a
 * replaced configuration once policy_cache_reload() succeeded for it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "policy/policy.h"
#include "util/hashmap.h"

typedef struct PolicyCacheEntry {
        HashNode node;          /* in PolicyCache.map, by uid and groups */
        unsigned n_refs;
        PolicySnapshot *snapshot;
        uid_t uid;
        size_t n_gids;
        gid_t gids[];
} PolicyCacheEntry;

typedef struct PolicyCache {
        Hashmap map;
} PolicyCache;

/** policy_cache_init() - an empty cache. */
void policy_cache_init(PolicyCache *c, uint64_t seed);
/** policy_cache_deinit() - every entry must have been put back already. */
void policy_cache_deinit(PolicyCache *c);

/**
 * policy_cache_get() - the snapshot of @policy for @uid with @gids (in the
 * order given: the caller always builds them the same way), compiled on first
 * use, with a reference taken.
 * Return: 0 and *@ret, or -ENOMEM.
 */
int policy_cache_get(PolicyCache *c, Policy *policy, uid_t uid, const gid_t *gids, size_t n_gids,
                     PolicyCacheEntry **ret);

/** policy_cache_put() - drop a reference from policy_cache_get() (NULL is fine). */
void policy_cache_put(PolicyCache *c, PolicyCacheEntry *e);

/**
 * policy_cache_reload() - recompile every entry against @policy. An entry
 * that cannot be recompiled (out of memory) keeps its old snapshot.
 * Return: 0, or -ENOMEM if some entry kept its old snapshot.
 */
int policy_cache_reload(PolicyCache *c, Policy *policy);
