/*
 * reply.h -- reply tracking: which method calls are waiting for a reply, so
 * that only expected replies pass (once), a callee that disconnects makes
 * the bus answer NoReply, and calls time out after reply_timeout.
 *
 * A slot is keyed by (caller id, call serial) and linked into its caller's
 * and callee's lists and the bus-wide timeout list (FIFO: every slot gets the
 * same timeout, so insertion order is expiry order).
 *
 * Must never: send messages (the caller turns expiries into errors).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "util/hashmap.h"
#include "util/list.h"

struct Peer;

typedef struct ReplySlot {
        HashNode node;
        uint64_t caller_id;
        uint32_t serial;
        struct Peer *caller, *callee;
        ListNode caller_link, callee_link, timeout_link;
        uint64_t deadline;      /* CLOCK_MONOTONIC usec, UINT64_MAX = never */
} ReplySlot;

typedef struct ReplyRegistry {
        Hashmap slots;
        ListNode timeouts;      /* ReplySlot.timeout_link, oldest first */
} ReplyRegistry;

void reply_registry_init(ReplyRegistry *reg, uint64_t seed);
void reply_registry_deinit(ReplyRegistry *reg);

/**
 * reply_expect() - remember that @caller (id @caller_id) waits for the reply
 * to its call @serial from @callee. Lists are the peers' heads.
 * Return: 0, -EEXIST (same serial pending: dbus-daemon keeps the first), -ENOMEM.
 */
int reply_expect(ReplyRegistry *reg, struct Peer *caller, uint64_t caller_id, ListNode *caller_list,
                 struct Peer *callee, ListNode *callee_list, uint32_t serial, uint64_t deadline);

/**
 * reply_take() - a reply from @callee to (@caller_id, @serial) arrived: if it
 * was expected, forget the slot and return true.
 */
bool reply_take(ReplyRegistry *reg, uint64_t caller_id, uint32_t serial, const struct Peer *callee);

/** reply_slot_free() - unlink and free @s. */
void reply_slot_free(ReplyRegistry *reg, ReplySlot *s);

/** reply_next_deadline() - the oldest slot's deadline, UINT64_MAX if none. */
uint64_t reply_next_deadline(const ReplyRegistry *reg);

/** reply_first_expired() - the oldest slot if its deadline is <= @now, else NULL. */
ReplySlot *reply_first_expired(const ReplyRegistry *reg, uint64_t now);
