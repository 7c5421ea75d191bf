/*
 * reply.c -- pending-reply slots, indexed by (caller, serial).
 */
#include <errno.h>
#include <stdlib.h>
#include "bus/reply.h"

typedef struct ReplyKey {
        uint64_t caller_id;
        uint32_t serial;
} ReplyKey;

/** reply_registry_init() - an empty registry. */
void reply_registry_init(ReplyRegistry *reg, uint64_t seed)
{
        hashmap_init(&reg->slots, seed);
        list_init(&reg->timeouts);
}

/** reply_registry_deinit() - free every slot left. */
void reply_registry_deinit(ReplyRegistry *reg)
{
        while (!list_empty(&reg->timeouts))
                reply_slot_free(reg, container_of(reg->timeouts.next, ReplySlot, timeout_link));
        hashmap_deinit(&reg->slots);
}

static uint64_t key_hash(const ReplyRegistry *reg, uint64_t caller_id, uint32_t serial)
{
        return hashmap_hash_u64(&reg->slots, caller_id * 0x9e3779b97f4a7c15ULL + serial);
}

static bool slot_eq(const HashNode *n, const void *key)
{
        const ReplySlot *s = container_of(n, ReplySlot, node);
        const ReplyKey *k = key;

        return s->caller_id == k->caller_id && s->serial == k->serial;
}

static ReplySlot *find(const ReplyRegistry *reg, uint64_t caller_id, uint32_t serial)
{
        ReplyKey k = { caller_id, serial };
        HashNode *n = hashmap_find(&reg->slots, key_hash(reg, caller_id, serial), slot_eq, &k);

        return n ? container_of(n, ReplySlot, node) : NULL;
}

/** reply_expect() - see reply.h. */
int reply_expect(ReplyRegistry *reg, struct Peer *caller, uint64_t caller_id, ListNode *caller_list,
                 struct Peer *callee, ListNode *callee_list, uint32_t serial, uint64_t deadline)
{
        ReplySlot *s;

        if (find(reg, caller_id, serial))
                return -EEXIST;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        *s = (ReplySlot){ .caller_id = caller_id, .serial = serial, .caller = caller,
                          .callee = callee, .deadline = deadline };
        if (hashmap_insert(&reg->slots, &s->node, key_hash(reg, caller_id, serial)) < 0) {
                free(s);
                return -ENOMEM;
        }
        list_add_tail(caller_list, &s->caller_link);
        list_add_tail(callee_list, &s->callee_link);
        list_add_tail(&reg->timeouts, &s->timeout_link);
        return 0;
}

/** reply_slot_free() - see reply.h. */
void reply_slot_free(ReplyRegistry *reg, ReplySlot *s)
{
        hashmap_remove(&reg->slots, &s->node);
        list_del(&s->caller_link);
        list_del(&s->callee_link);
        list_del(&s->timeout_link);
        free(s);
}

/** reply_take() - see reply.h. */
bool reply_take(ReplyRegistry *reg, uint64_t caller_id, uint32_t serial, const struct Peer *callee)
{
        ReplySlot *s = find(reg, caller_id, serial);

        if (!s || s->callee != callee)
                return false;
        reply_slot_free(reg, s);
        return true;
}

/** reply_next_deadline() - see reply.h. */
uint64_t reply_next_deadline(const ReplyRegistry *reg)
{
        if (list_empty(&reg->timeouts))
                return UINT64_MAX;
        return container_of(reg->timeouts.next, ReplySlot, timeout_link)->deadline;
}

/** reply_first_expired() - see reply.h. */
ReplySlot *reply_first_expired(const ReplyRegistry *reg, uint64_t now)
{
        ReplySlot *s;

        if (list_empty(&reg->timeouts))
                return NULL;
        s = container_of(reg->timeouts.next, ReplySlot, timeout_link);
        return s->deadline <= now ? s : NULL;
}
