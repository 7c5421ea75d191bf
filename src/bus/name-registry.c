/*
 * name-registry.c -- owner queues per well-known name. The first entry of a
 * Name's queue is its primary owner; names with empty queues do not exist.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bus/name-registry.h"

/** name_registry_init() - an empty registry. */
void name_registry_init(NameRegistry *reg, uint64_t seed)
{
        hashmap_init(&reg->names, seed);
}

/** name_registry_deinit() - free the index and any names left. */
void name_registry_deinit(NameRegistry *reg)
{
        HashIter it = HASH_ITER_INIT;
        HashNode *n;

        while ((n = hashmap_next(&reg->names, &it)))
                free(container_of(n, Name, node));
        hashmap_deinit(&reg->names);
}

static bool name_eq(const HashNode *n, const void *key)
{
        return strcmp(container_of(n, Name, node)->str, key) == 0;
}

/** name_registry_lookup() - see name-registry.h. */
Name *name_registry_lookup(const NameRegistry *reg, const char *name)
{
        HashNode *n = hashmap_find(&reg->names, hashmap_hash_string(&reg->names, name), name_eq, name);

        return n ? container_of(n, Name, node) : NULL;
}

/** name_primary() - see name-registry.h. */
struct Peer *name_primary(const Name *n)
{
        if (list_empty(&n->owners))
                return NULL;
        return container_of(n->owners.next, NameOwner, name_link)->peer;
}

/** name_registry_primary() - see name-registry.h. */
struct Peer *name_registry_primary(const NameRegistry *reg, const char *name)
{
        Name *n = name_registry_lookup(reg, name);

        return n ? name_primary(n) : NULL;
}

static NameOwner *find_owner(Name *n, struct Peer *peer)
{
        ListNode *pos, *tmp;

        list_for_each_safe(pos, tmp, &n->owners) {
                NameOwner *o = container_of(pos, NameOwner, name_link);

                if (o->peer == peer)
                        return o;
        }
        return NULL;
}

static void owner_free(NameOwner *o)
{
        list_del(&o->name_link);
        list_del(&o->peer_link);
        free(o);
}

static Name *name_get(NameRegistry *reg, const char *name)
{
        Name *n = name_registry_lookup(reg, name);
        size_t len;

        if (n)
                return n;
        len = strlen(name);
        n = calloc(1, sizeof(*n) + len + 1);
        if (!n)
                return NULL;
        memcpy(n->str, name, len + 1);
        list_init(&n->owners);
        if (hashmap_insert(&reg->names, &n->node, hashmap_hash_string(&reg->names, name)) < 0) {
                free(n);
                return NULL;
        }
        return n;
}

static void name_put(NameRegistry *reg, Name *n)
{
        if (!list_empty(&n->owners))
                return;
        hashmap_remove(&reg->names, &n->node);
        free(n);
}

/* Link a new owner entry at the head (@primary) or tail of the queue. */
static NameOwner *owner_new(Name *n, struct Peer *peer, ListNode *peer_names, uint32_t flags,
                            bool primary)
{
        NameOwner *o = calloc(1, sizeof(*o));

        if (!o)
                return NULL;
        o->name = n;
        o->peer = peer;
        o->flags = flags;
        if (primary)
                list_add_tail(n->owners.next, &o->name_link);
        else
                list_add_tail(&n->owners, &o->name_link);
        list_add_tail(peer_names, &o->peer_link);
        return o;
}

/* Move @o to the head of its name's queue. */
static void owner_to_front(NameOwner *o)
{
        Name *n = o->name;

        list_del(&o->name_link);
        list_add_tail(n->owners.next, &o->name_link);
}

static int request_existing(Name *n, struct Peer *peer, ListNode *peer_names, uint32_t flags,
                            NameChange *ch)
{
        NameOwner *prim = container_of(n->owners.next, NameOwner, name_link);
        NameOwner *mine = find_owner(n, peer);

        ch->old_owner = ch->new_owner = prim->peer;
        if (prim->peer == peer) {
                prim->flags = flags;
                return NAME_REPLY_ALREADY_OWNER;
        }
        if ((flags & NAME_FLAG_REPLACE_EXISTING) && (prim->flags & NAME_FLAG_ALLOW_REPLACEMENT)) {
                if (!mine) {
                        mine = owner_new(n, peer, peer_names, flags, true);
                        if (!mine)
                                return -ENOMEM;
                } else {
                        mine->flags = flags;
                        owner_to_front(mine);
                }
                /* the old owner stays queued right behind, unless it asked not to */
                if (prim->flags & NAME_FLAG_DO_NOT_QUEUE)
                        owner_free(prim);
                ch->new_owner = peer;
                return NAME_REPLY_PRIMARY_OWNER;
        }
        if (flags & NAME_FLAG_DO_NOT_QUEUE) {
                if (mine)
                        owner_free(mine);
                return NAME_REPLY_EXISTS;
        }
        if (mine) {
                mine->flags = flags;
                return NAME_REPLY_IN_QUEUE;
        }
        if (!owner_new(n, peer, peer_names, flags, false))
                return -ENOMEM;
        return NAME_REPLY_IN_QUEUE;
}

/** name_registry_request() - see name-registry.h. */
int name_registry_request(NameRegistry *reg, struct Peer *peer, ListNode *peer_names,
                          const char *name, uint32_t flags, NameChange *ret_change)
{
        Name *n = name_get(reg, name);
        int r;

        if (!n)
                return -ENOMEM;
        ret_change->name = n->str;
        if (list_empty(&n->owners)) {
                if (!owner_new(n, peer, peer_names, flags, true)) {
                        name_put(reg, n);
                        return -ENOMEM;
                }
                ret_change->old_owner = NULL;
                ret_change->new_owner = peer;
                return NAME_REPLY_PRIMARY_OWNER;
        }
        r = request_existing(n, peer, peer_names, flags, ret_change);
        return r;
}

/** name_registry_release() - see name-registry.h. */
int name_registry_release(NameRegistry *reg, struct Peer *peer, const char *name,
                          NameChange *ret_change)
{
        Name *n = name_registry_lookup(reg, name), *empty = NULL;
        NameOwner *mine;

        ret_change->name = name;
        ret_change->old_owner = ret_change->new_owner = NULL;
        if (!n)
                return NAME_REPLY_NON_EXISTENT;
        mine = find_owner(n, peer);
        if (!mine) {
                ret_change->old_owner = ret_change->new_owner = name_primary(n);
                return NAME_REPLY_NOT_OWNER;
        }
        name_registry_drop_owner(reg, mine, ret_change, &empty);
        ret_change->name = name;
        free(empty);
        return NAME_REPLY_RELEASED;
}

/** name_registry_drop_owner() - see name-registry.h. */
bool name_registry_drop_owner(NameRegistry *reg, NameOwner *o, NameChange *ret_change,
                              Name **ret_empty)
{
        Name *n = o->name;
        struct Peer *old = name_primary(n);

        owner_free(o);
        ret_change->name = n->str;
        ret_change->old_owner = old;
        ret_change->new_owner = name_primary(n);
        *ret_empty = NULL;
        if (list_empty(&n->owners)) {
                hashmap_remove(&reg->names, &n->node);
                *ret_empty = n;
                return true;
        }
        return false;
}
