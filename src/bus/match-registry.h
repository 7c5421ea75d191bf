/*
 * match-registry.h -- every connection's match rules, indexed so that a
 * message is offered only to the rules that can match it: by member, else by
 * interface, else in a short wildcard list (see MatchIndex), with
 * eavesdropping rules in an index of their own (the only ones unicast
 * messages are offered to). A broadcast costs the rules of its member's and
 * its interface's buckets plus the wildcard rules, never a scan of all peers
 * or of rules keyed to other members and interfaces.
 *
 * Must never: decide delivery policy (the visitor does), or keep a rule of
 * a peer that is gone.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bus/match-rule.h"
#include "bus/msg.h"
#include "util/hashmap.h"
#include "util/list.h"

struct Bus;
struct Peer;

enum {
        MATCH_REGISTRY_E_INVALID = 1,   /* the rule text does not parse */
        MATCH_REGISTRY_E_NOT_FOUND,     /* RemoveMatch: no such rule */
        MATCH_REGISTRY_E_TOO_LONG,      /* rule longer than allowed */
        MATCH_REGISTRY_E_EAVESDROP,     /* eavesdrop='true' for a peer that may never eavesdrop */
};

typedef struct MatchEntry {
        ListNode peer_link;     /* in Peer.matches */
        ListNode index_link;    /* in a bucket or an index's wildcard list */
        struct MatchBucket *bucket; /* NULL when in a wildcard list */
        struct Peer *peer;
        MatchRule *rule;
} MatchEntry;

typedef struct MatchBucket {
        HashNode node;
        Hashmap *map;           /* the index's map it is in */
        ListNode entries;
        char key[];             /* member or interface */
} MatchBucket;

/*
 * One index: a rule with a member key sits in its member's bucket; one with
 * an interface and no member in its interface's bucket; only a rule with
 * neither is offered every message.
 */
typedef struct MatchIndex {
        Hashmap by_member;
        Hashmap by_interface;
        ListNode wildcard;
} MatchIndex;

typedef struct MatchRegistry {
        MatchIndex broadcast;   /* rules for signals */
        MatchIndex eavesdrop;   /* eavesdrop='true' rules: offered unicast messages too */
        size_t n_rules;
        size_t n_eavesdrop;
} MatchRegistry;

void match_registry_init(MatchRegistry *reg, uint64_t seed);
void match_registry_deinit(MatchRegistry *reg);

/**
 * match_registry_add() - parse @text and add it as a rule of @peer.
 * @may_eavesdrop: false when @peer's policy can never let it receive an
 * eavesdropped message: an eavesdrop='true' rule is then refused, since it
 * could only cost every unicast message a look.
 * Return: 0, MATCH_REGISTRY_E_INVALID / _TOO_LONG / _EAVESDROP, or -ENOMEM.
 */
int match_registry_add(MatchRegistry *reg, struct Peer *peer, const char *text, bool may_eavesdrop);

/**
 * match_registry_remove() - remove one rule of @peer equal to @text.
 * Return: 0, MATCH_REGISTRY_E_INVALID, MATCH_REGISTRY_E_NOT_FOUND, -ENOMEM.
 */
int match_registry_remove(MatchRegistry *reg, struct Peer *peer, const char *text);

/** match_registry_remove_peer() - drop all of @peer's rules. */
void match_registry_remove_peer(MatchRegistry *reg, struct Peer *peer);

typedef void (*MatchVisitFn)(struct Peer *receiver, void *userdata);

/**
 * match_registry_visit() - call @fn once per peer with a rule matching @m
 * (sent by @sender, NULL = driver). @recipient: the addressed peer of a
 * unicast message (then only eavesdropping rules are offered), NULL for a
 * broadcast.
 */
void match_registry_visit(MatchRegistry *reg, struct Bus *bus, const struct Peer *sender,
                          const struct Peer *recipient, const Msg *m, MatchVisitFn fn,
                          void *userdata);

/** match_message_prepare() - fill @mm for @m as this bus sees it. */
void match_message_prepare(MatchMessage *mm, struct Bus *bus, const struct Peer *sender,
                           const struct Peer *recipient, const Msg *m);
