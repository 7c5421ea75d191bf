/*
 * name-registry.h -- well-known bus names and their owner queues
 * (RequestName / ReleaseName semantics of the D-Bus specification). The
 * registry says what changed; the caller (the driver) sends the signals.
 *
 * Must never: send messages, check policy or quotas (the caller does both
 * before asking).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "util/hashmap.h"
#include "util/list.h"

struct Peer;

enum {
        NAME_FLAG_ALLOW_REPLACEMENT = 0x1,
        NAME_FLAG_REPLACE_EXISTING = 0x2,
        NAME_FLAG_DO_NOT_QUEUE = 0x4,
};

enum {
        NAME_REPLY_PRIMARY_OWNER = 1,
        NAME_REPLY_IN_QUEUE = 2,
        NAME_REPLY_EXISTS = 3,
        NAME_REPLY_ALREADY_OWNER = 4,
        NAME_REPLY_RELEASED = 1,
        NAME_REPLY_NON_EXISTENT = 2,
        NAME_REPLY_NOT_OWNER = 3,
};

typedef struct Name {
        HashNode node;
        ListNode owners;        /* NameOwner.name_link; the first is the primary owner */
        char str[];
} Name;

typedef struct NameOwner {
        ListNode name_link;     /* in Name.owners */
        ListNode peer_link;     /* in the peer's list of names (PeerNames) */
        Name *name;
        struct Peer *peer;
        uint32_t flags;
} NameOwner;

/* What a request or release changed: the primary owner went from old to new. */
typedef struct NameChange {
        const char *name;       /* valid until the next registry call */
        struct Peer *old_owner; /* NULL = none */
        struct Peer *new_owner; /* NULL = none */
} NameChange;

typedef struct NameRegistry {
        Hashmap names;
} NameRegistry;

void name_registry_init(NameRegistry *reg, uint64_t seed);
/** name_registry_deinit() - all peers must have released their names before. */
void name_registry_deinit(NameRegistry *reg);

/**
 * name_registry_request() - @peer asks for @name with NAME_FLAG_*. @peer_names
 * is the peer's list head of NameOwner.peer_link.
 * Return: a NAME_REPLY_* (> 0) with *@ret_change filled (old == new when the
 * primary owner did not change), or -ENOMEM.
 */
int name_registry_request(NameRegistry *reg, struct Peer *peer, ListNode *peer_names,
                          const char *name, uint32_t flags, NameChange *ret_change);

/**
 * name_registry_release() - @peer gives up @name (or leaves its queue).
 * Return: NAME_REPLY_RELEASED / _NON_EXISTENT / _NOT_OWNER, *@ret_change filled.
 */
int name_registry_release(NameRegistry *reg, struct Peer *peer, const char *name,
                          NameChange *ret_change);

/**
 * name_registry_drop_owner() - remove the queue entry @o (peer disconnect,
 * BecomeMonitor); *@ret_change says who owns the name now. The name string
 * in ret_change stays valid until @free_name is called if it was emptied.
 * Return: true if the Name is now empty and was unlinked (free it with free()
 * after using ret_change).
 */
bool name_registry_drop_owner(NameRegistry *reg, NameOwner *o, NameChange *ret_change,
                              Name **ret_empty);

/** name_registry_lookup() - the Name for @name, or NULL. */
Name *name_registry_lookup(const NameRegistry *reg, const char *name);

/** name_registry_primary() - the primary owner of @name, or NULL. */
struct Peer *name_registry_primary(const NameRegistry *reg, const char *name);

/** name_primary() - the primary owner of @n. */
struct Peer *name_primary(const Name *n);
