/*
 * policy-cache.c -- shared PolicySnapshots, keyed by uid and group list,
 * reference counted by the peers that use them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bus/policy-cache.h"
#include "util/list.h"

typedef struct Key {
        uid_t uid;
        const gid_t *gids;
        size_t n_gids;
} Key;

/** policy_cache_init() - see policy-cache.h. */
void policy_cache_init(PolicyCache *c, uint64_t seed)
{
        hashmap_init(&c->map, seed);
}

/** policy_cache_deinit() - see policy-cache.h. */
void policy_cache_deinit(PolicyCache *c)
{
        HashIter it = HASH_ITER_INIT;
        HashNode *n;

        /* only reachable with leaked references; free rather than leak twice */
        while ((n = hashmap_next(&c->map, &it))) {
                PolicyCacheEntry *e = container_of(n, PolicyCacheEntry, node);

                policy_snapshot_free(e->snapshot);
                free(e);
        }
        hashmap_deinit(&c->map);
}

static uint64_t key_hash(const PolicyCache *c, const Key *k)
{
        uint64_t h = hashmap_hash_u64(&c->map, k->uid);

        for (size_t i = 0; i < k->n_gids; i++)
                h = hashmap_hash_u64(&c->map, h ^ k->gids[i]);
        return h;
}

static bool entry_eq(const HashNode *n, const void *key)
{
        const PolicyCacheEntry *e = container_of(n, PolicyCacheEntry, node);
        const Key *k = key;

        return e->uid == k->uid && e->n_gids == k->n_gids &&
               memcmp(e->gids, k->gids, k->n_gids * sizeof(gid_t)) == 0;
}

/** policy_cache_get() - see policy-cache.h. */
int policy_cache_get(PolicyCache *c, Policy *policy, uid_t uid, const gid_t *gids, size_t n_gids,
                     PolicyCacheEntry **ret)
{
        Key k = { uid, gids, n_gids };
        uint64_t h = key_hash(c, &k);
        HashNode *n = hashmap_find(&c->map, h, entry_eq, &k);
        PolicyCacheEntry *e;
        int r;

        if (n) {
                e = container_of(n, PolicyCacheEntry, node);
                e->n_refs++;
                *ret = e;
                return 0;
        }
        e = calloc(1, sizeof(*e) + n_gids * sizeof(gid_t));
        if (!e)
                return -ENOMEM;
        e->uid = uid;
        e->n_gids = n_gids;
        memcpy(e->gids, gids, n_gids * sizeof(gid_t));
        r = policy_snapshot_new(policy, uid, gids, n_gids, &e->snapshot);
        if (r == 0)
                r = hashmap_insert(&c->map, &e->node, h);
        if (r < 0) {
                policy_snapshot_free(e->snapshot);
                free(e);
                return r;
        }
        e->n_refs = 1;
        *ret = e;
        return 0;
}

/** policy_cache_put() - see policy-cache.h. */
void policy_cache_put(PolicyCache *c, PolicyCacheEntry *e)
{
        if (!e || --e->n_refs > 0)
                return;
        hashmap_remove(&c->map, &e->node);
        policy_snapshot_free(e->snapshot);
        free(e);
}

/** policy_cache_reload() - see policy-cache.h. */
int policy_cache_reload(PolicyCache *c, Policy *policy)
{
        HashIter it = HASH_ITER_INIT;
        HashNode *n;
        int ret = 0;

        while ((n = hashmap_next(&c->map, &it))) {
                PolicyCacheEntry *e = container_of(n, PolicyCacheEntry, node);
                PolicySnapshot *s = NULL;

                if (policy_snapshot_new(policy, e->uid, e->gids, e->n_gids, &s) < 0) {
                        ret = -ENOMEM;
                        continue;
                }
                policy_snapshot_free(e->snapshot);
                e->snapshot = s;
        }
        return ret;
}
