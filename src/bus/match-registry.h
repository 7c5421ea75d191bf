/*
 * match-registry.h -- every connection's match rules, indexed so that a
 * message is offered only to the rules that can match it: rules with a
 * member key sit in a bucket per member, the rest in one wildcard list, and
 * eavesdropping rules in their own list (the only ones unicast messages are
 * offered to). A broadcast costs the rules of its member's bucket plus the
 * wildcard rules, never a scan of all peers.
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
};

typedef struct MatchEntry {
        ListNode peer_link;     /* in Peer.matches */
        ListNode index_link;    /* in a bucket, the wildcard or the eavesdrop list */
        struct MatchBucket *bucket; /* NULL when in a list of the registry itself */
        struct Peer *peer;
        MatchRule *rule;
} MatchEntry;

typedef struct MatchBucket {
        HashNode node;
        ListNode entries;
        char member[];
} MatchBucket;

typedef struct MatchRegistry {
        Hashmap by_member;
        ListNode wildcard;
        ListNode eavesdrop;
        size_t n_rules;
        size_t n_eavesdrop;
} MatchRegistry;

void match_registry_init(MatchRegistry *reg, uint64_t seed);
void match_registry_deinit(MatchRegistry *reg);

/**
 * match_registry_add() - parse @text and add it as a rule of @peer.
 * Return: 0, MATCH_REGISTRY_E_INVALID / _TOO_LONG, or -ENOMEM.
 */
int match_registry_add(MatchRegistry *reg, struct Peer *peer, const char *text);

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
