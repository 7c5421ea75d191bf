/*
 * peer.h -- one client of the bus: its connection, identity (unique name,
 * credentials, compiled policy), and everything it holds on the bus (names,
 * match rules, pending replies), so that all of it goes when it goes.
 *
 * Must never: route messages (dispatch.c) or answer driver calls (driver.c).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "bus/connection.h"
#include "policy/policy.h"
#include "util/hashmap.h"
#include "util/list.h"
#include "util/peer-creds.h"

struct Bus;
struct UserQuota;

typedef struct Peer {
        HashNode id_node;       /* in Bus.peers */
        struct Bus *bus;
        uint64_t id;            /* ":1.<id>", never reused */
        char unique_name[32];   /* "" until Hello */
        bool registered;        /* unique name assigned (Hello seen) */
        bool hello_done;        /* unique name announced (until BecomeMonitor) */
        bool monitor;           /* BecomeMonitor done */
        bool epoll_out;         /* EPOLLOUT currently requested */
        bool dead;              /* disconnected, waiting to be freed */
        bool doomed;            /* to be disconnected once the current message is done */
        ListNode doomed_link;   /* in Bus.doomed */
        Connection conn;
        PeerCreds creds;
        PolicySnapshot *policy; /* policy_entry's snapshot, shared with like peers */
        struct PolicyCacheEntry *policy_entry;
        struct UserQuota *quota;

        ListNode names;         /* NameOwner.peer_link: owned and queued names */
        unsigned n_names;
        ListNode matches;       /* MatchEntry.peer_link */
        unsigned n_matches;
        ListNode replies_out;   /* ReplySlot.caller_link: calls it waits on */
        unsigned n_replies_out;
        ListNode replies_in;    /* ReplySlot.callee_link: calls it must answer */
        ListNode monitor_link;  /* in Bus.monitors */
        ListNode dirty_link;    /* in Bus.dirty (output to flush) or Bus.graveyard */
        ListNode incomplete_link; /* in Bus.incomplete until Hello */
        uint64_t match_stamp;   /* dedupe receivers of one broadcast */
        uint64_t connect_usec;
        uint64_t fds_pending_usec; /* since when received fds wait for their message */
        ListNode fds_pending_link; /* in Bus.fds_pending */
        struct MatchRule **monitor_rules; /* BecomeMonitor rules */
        unsigned n_monitor_rules;
} Peer;

/**
 * peer_new() - a peer for the accepted socket @fd (takes it).
 * Return: 0 and *@ret, or -errno (then @fd is closed).
 */
int peer_new(struct Bus *bus, int fd, Peer **ret);

/** peer_free() - release everything the peer holds (no signals sent). */
Peer *peer_free(Peer *p);

/**
 * peer_collect_names() - the peer's unique name and every well-known name it
 * owns or is queued for, into @buf (at most @cap). Return: how many.
 */
size_t peer_collect_names(const Peer *p, const char **buf, size_t cap);

/** peer_count_names() - recount n_names after the registry changed. */
void peer_count_names(Peer *p);
