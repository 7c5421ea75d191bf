/*
 * list.h -- intrusive doubly-linked lists (a node lives inside the object it
 * links). Used wherever an object sits in several lists at once (a pending
 * reply in its caller's, its callee's and the timeout list).
 *
 * Must never: allocate.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct ListNode {
        struct ListNode *prev, *next;
} ListNode;

#define LIST_HEAD_INIT(h) ((ListNode){ &(h), &(h) })

#include <stdint.h>

/* the object containing @ptr; works on const nodes (lookups on const maps) */
#define container_of(ptr, type, member) \
        ((type *)(uintptr_t)((const char *)(ptr) - offsetof(type, member)))

static inline void list_init(ListNode *h)
{
        h->prev = h->next = h;
}

static inline bool list_empty(const ListNode *h)
{
        return h->next == h;
}

/* A node not in any list has NULL links (zero-initialised objects). */
static inline bool list_linked(const ListNode *n)
{
        return n->next != NULL;
}

static inline void list_add_tail(ListNode *h, ListNode *n)
{
        n->prev = h->prev;
        n->next = h;
        h->prev->next = n;
        h->prev = n;
}

static inline void list_del(ListNode *n)
{
        if (!n->next)
                return;
        n->prev->next = n->next;
        n->next->prev = n->prev;
        n->prev = n->next = NULL;
}

#define list_first(h) ((h)->next)

#define list_for_each_safe(pos, tmp, h) \
        for ((pos) = (h)->next, (tmp) = (pos)->next; (pos) != (h); (pos) = (tmp), (tmp) = (pos)->next)
