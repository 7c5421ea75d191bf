/*
 * match-registry.c -- match rules indexed by member or interface,
 * deduplicated per receiver with a per-visit stamp on the peer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bus/bus.h"
#include "bus/match-registry.h"

static void index_init(MatchIndex *idx, uint64_t seed)
{
        hashmap_init(&idx->by_member, seed);
        hashmap_init(&idx->by_interface, seed ^ 0x9e3779b97f4a7c15ull);
        list_init(&idx->wildcard);
}

static void map_free(Hashmap *map)
{
        HashIter it = HASH_ITER_INIT;
        HashNode *n;

        while ((n = hashmap_next(map, &it)))
                free(container_of(n, MatchBucket, node));
        hashmap_deinit(map);
}

/** match_registry_init() - an empty registry. */
void match_registry_init(MatchRegistry *reg, uint64_t seed)
{
        index_init(&reg->broadcast, seed);
        index_init(&reg->eavesdrop, seed ^ 0x5851f42d4c957f2dull);
        reg->n_rules = reg->n_eavesdrop = 0;
}

/** match_registry_deinit() - all peers' rules must be gone already. */
void match_registry_deinit(MatchRegistry *reg)
{
        map_free(&reg->broadcast.by_member);
        map_free(&reg->broadcast.by_interface);
        map_free(&reg->eavesdrop.by_member);
        map_free(&reg->eavesdrop.by_interface);
}

static bool bucket_eq(const HashNode *n, const void *key)
{
        return strcmp(container_of(n, MatchBucket, node)->key, key) == 0;
}

static MatchBucket *bucket_find(Hashmap *map, const char *key)
{
        HashNode *n = hashmap_find(map, hashmap_hash_string(map, key), bucket_eq, key);

        return n ? container_of(n, MatchBucket, node) : NULL;
}

static MatchBucket *bucket_get(Hashmap *map, const char *key)
{
        MatchBucket *b = bucket_find(map, key);
        size_t len;

        if (b)
                return b;
        len = strlen(key);
        b = calloc(1, sizeof(*b) + len + 1);
        if (!b)
                return NULL;
        memcpy(b->key, key, len + 1);
        b->map = map;
        list_init(&b->entries);
        if (hashmap_insert(map, &b->node, hashmap_hash_string(map, key)) < 0) {
                free(b);
                return NULL;
        }
        return b;
}

/* file @e in @idx by the most selective key its rule has */
static int index_add(MatchIndex *idx, MatchEntry *e)
{
        const char *member = match_rule_member(e->rule);
        const char *interface = match_rule_interface(e->rule);

        if (!member && !interface) {
                list_add_tail(&idx->wildcard, &e->index_link);
                return 0;
        }
        e->bucket = member ? bucket_get(&idx->by_member, member) : bucket_get(&idx->by_interface, interface);
        if (!e->bucket)
                return -ENOMEM;
        list_add_tail(&e->bucket->entries, &e->index_link);
        return 0;
}

static int parse(const char *text, MatchRule **ret)
{
        int r = match_rule_new(ret, text, strlen(text));

        if (r == MATCH_E_TOO_LONG)
                return MATCH_REGISTRY_E_TOO_LONG;
        if (r > 0)
                return MATCH_REGISTRY_E_INVALID;
        return r;
}

/** match_registry_add() - see match-registry.h. */
int match_registry_add(MatchRegistry *reg, struct Peer *peer, const char *text, bool may_eavesdrop)
{
        _cleanup_(match_rule_freep) MatchRule *rule = NULL;
        _cleanup_free_ MatchEntry *e = NULL;
        int r;

        r = parse(text, &rule);
        if (r != 0)
                return r;
        if (rule->eavesdrop && !may_eavesdrop)
                return MATCH_REGISTRY_E_EAVESDROP;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->peer = peer;
        e->rule = rule;
        r = index_add(rule->eavesdrop ? &reg->eavesdrop : &reg->broadcast, e);
        if (r < 0)
                return r;
        TAKE_PTR(rule);
        if (e->rule->eavesdrop)
                reg->n_eavesdrop++;
        list_add_tail(&peer->matches, &e->peer_link);
        peer->n_matches++;
        if (peer->quota)
                peer->quota->n_matches++;
        reg->n_rules++;
        TAKE_PTR(e);
        return 0;
}

static void entry_free(MatchRegistry *reg, MatchEntry *e)
{
        list_del(&e->index_link);
        list_del(&e->peer_link);
        if (e->rule->eavesdrop)
                reg->n_eavesdrop--;
        if (e->bucket && list_empty(&e->bucket->entries)) {
                hashmap_remove(e->bucket->map, &e->bucket->node);
                free(e->bucket);
        }
        e->peer->n_matches--;
        if (e->peer->quota)
                e->peer->quota->n_matches--;
        reg->n_rules--;
        match_rule_free(e->rule);
        free(e);
}

/** match_registry_remove() - see match-registry.h. */
int match_registry_remove(MatchRegistry *reg, struct Peer *peer, const char *text)
{
        _cleanup_(match_rule_freep) MatchRule *rule = NULL;
        ListNode *pos, *tmp;
        int r;

        r = parse(text, &rule);
        if (r == MATCH_REGISTRY_E_TOO_LONG)
                r = MATCH_REGISTRY_E_INVALID;
        if (r != 0)
                return r;
        list_for_each_safe(pos, tmp, &peer->matches) {
                MatchEntry *e = container_of(pos, MatchEntry, peer_link);

                if (match_rule_equal(e->rule, rule)) {
                        entry_free(reg, e);
                        return 0;
                }
        }
        return MATCH_REGISTRY_E_NOT_FOUND;
}

/** match_registry_remove_peer() - see match-registry.h. */
void match_registry_remove_peer(MatchRegistry *reg, struct Peer *peer)
{
        while (!list_empty(&peer->matches))
                entry_free(reg, container_of(peer->matches.next, MatchEntry, peer_link));
}

static bool name_owned_by(void *userdata, const char *name, const char *unique)
{
        Peer *p = name_registry_primary(&((Bus *)userdata)->names, name);

        return p && strcmp(p->unique_name, unique) == 0;
}

/** match_message_prepare() - see match-registry.h. */
void match_message_prepare(MatchMessage *mm, struct Bus *bus, const struct Peer *sender,
                           const struct Peer *recipient, const Msg *m)
{
        match_message_init(mm, &m->h, m->data, sender ? sender->unique_name : NULL,
                           recipient ? recipient->unique_name : NULL);
        mm->name_owned_by = name_owned_by;
        mm->userdata = bus;
        mm->eavesdrop_allowed = true;
}

static void visit_list(ListNode *head, MatchMessage *mm, uint64_t stamp, MatchVisitFn fn,
                       void *userdata)
{
        ListNode *pos, *tmp;

        list_for_each_safe(pos, tmp, head) {
                MatchEntry *e = container_of(pos, MatchEntry, index_link);
                Peer *p = e->peer;

                if (p->match_stamp == stamp)
                        continue;
                if (!match_rule_matches(e->rule, mm))
                        continue;
                p->match_stamp = stamp;
                fn(p, userdata);
        }
}

static void index_visit(MatchIndex *idx, const Msg *m, MatchMessage *mm, uint64_t stamp, MatchVisitFn fn,
                        void *userdata)
{
        MatchBucket *b;

        if (m->h.member && (b = bucket_find(&idx->by_member, m->h.member)))
                visit_list(&b->entries, mm, stamp, fn, userdata);
        if (m->h.interface && (b = bucket_find(&idx->by_interface, m->h.interface)))
                visit_list(&b->entries, mm, stamp, fn, userdata);
        visit_list(&idx->wildcard, mm, stamp, fn, userdata);
}

/** match_registry_visit() - see match-registry.h. */
void match_registry_visit(MatchRegistry *reg, struct Bus *bus, const struct Peer *sender,
                          const struct Peer *recipient, const Msg *m, MatchVisitFn fn,
                          void *userdata)
{
        uint64_t stamp = ++bus->stamp;
        MatchMessage mm;

        match_message_prepare(&mm, bus, sender, recipient, m);
        if (!recipient)
                index_visit(&reg->broadcast, m, &mm, stamp, fn, userdata);
        if (reg->n_eavesdrop > 0)
                index_visit(&reg->eavesdrop, m, &mm, stamp, fn, userdata);
}
