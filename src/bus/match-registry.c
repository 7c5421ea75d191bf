/*
 * match-registry.c -- match rules indexed by member, deduplicated per
 * receiver with a per-visit stamp on the peer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bus/bus.h"
#include "bus/match-registry.h"

/** match_registry_init() - an empty registry. */
void match_registry_init(MatchRegistry *reg, uint64_t seed)
{
        hashmap_init(&reg->by_member, seed);
        list_init(&reg->wildcard);
        list_init(&reg->eavesdrop);
        reg->n_rules = reg->n_eavesdrop = 0;
}

/** match_registry_deinit() - all peers' rules must be gone already. */
void match_registry_deinit(MatchRegistry *reg)
{
        HashIter it = HASH_ITER_INIT;
        HashNode *n;

        while ((n = hashmap_next(&reg->by_member, &it)))
                free(container_of(n, MatchBucket, node));
        hashmap_deinit(&reg->by_member);
}

static bool bucket_eq(const HashNode *n, const void *key)
{
        return strcmp(container_of(n, MatchBucket, node)->member, key) == 0;
}

static MatchBucket *bucket_find(const MatchRegistry *reg, const char *member)
{
        HashNode *n = hashmap_find(&reg->by_member, hashmap_hash_string(&reg->by_member, member),
                                   bucket_eq, member);

        return n ? container_of(n, MatchBucket, node) : NULL;
}

static MatchBucket *bucket_get(MatchRegistry *reg, const char *member)
{
        MatchBucket *b = bucket_find(reg, member);
        size_t len;

        if (b)
                return b;
        len = strlen(member);
        b = calloc(1, sizeof(*b) + len + 1);
        if (!b)
                return NULL;
        memcpy(b->member, member, len + 1);
        list_init(&b->entries);
        if (hashmap_insert(&reg->by_member, &b->node, hashmap_hash_string(&reg->by_member, member)) < 0) {
                free(b);
                return NULL;
        }
        return b;
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
int match_registry_add(MatchRegistry *reg, struct Peer *peer, const char *text)
{
        _cleanup_(match_rule_freep) MatchRule *rule = NULL;
        const char *member;
        MatchEntry *e;
        int r;

        r = parse(text, &rule);
        if (r != 0)
                return r;
        e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        member = match_rule_member(rule);
        if (rule->eavesdrop) {
                list_add_tail(&reg->eavesdrop, &e->index_link);
                reg->n_eavesdrop++;
        } else if (member) {
                e->bucket = bucket_get(reg, member);
                if (!e->bucket) {
                        free(e);
                        return -ENOMEM;
                }
                list_add_tail(&e->bucket->entries, &e->index_link);
        } else {
                list_add_tail(&reg->wildcard, &e->index_link);
        }
        e->peer = peer;
        e->rule = TAKE_PTR(rule);
        list_add_tail(&peer->matches, &e->peer_link);
        peer->n_matches++;
        if (peer->quota)
                peer->quota->n_matches++;
        reg->n_rules++;
        return 0;
}

static void entry_free(MatchRegistry *reg, MatchEntry *e)
{
        list_del(&e->index_link);
        list_del(&e->peer_link);
        if (e->rule->eavesdrop)
                reg->n_eavesdrop--;
        if (e->bucket && list_empty(&e->bucket->entries)) {
                hashmap_remove(&reg->by_member, &e->bucket->node);
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

/** match_registry_visit() - see match-registry.h. */
void match_registry_visit(MatchRegistry *reg, struct Bus *bus, const struct Peer *sender,
                          const struct Peer *recipient, const Msg *m, MatchVisitFn fn,
                          void *userdata)
{
        uint64_t stamp = ++bus->stamp;
        MatchMessage mm;

        match_message_prepare(&mm, bus, sender, recipient, m);
        if (!recipient && m->h.member) {
                MatchBucket *b = bucket_find(reg, m->h.member);

                if (b)
                        visit_list(&b->entries, &mm, stamp, fn, userdata);
        }
        if (!recipient)
                visit_list(&reg->wildcard, &mm, stamp, fn, userdata);
        if (reg->n_eavesdrop > 0)
                visit_list(&reg->eavesdrop, &mm, stamp, fn, userdata);
}
