/*
 * msg.h -- one D-Bus message inside the broker: the bytes as read (or as the
 * driver built them), the parsed header, the unix fds that came with it and
 * the header the bus forwards in place of the original (SENDER set, unknown
 * fields dropped). Reference counted: a broadcast shares one Msg among all
 * its receivers and queues.
 *
 * Must never: re-marshal the body. The forwarded form is [fwd_hdr][body].
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include "util/macro.h"
#include "wire/message.h"

typedef struct Msg {
        unsigned n_refs;
        uint8_t *data;          /* the whole message as received/built */
        size_t size;
        WireHeader h;           /* strings point into data */
        int *fds;               /* owned, closed on free */
        unsigned n_fds;
        uint8_t *fwd_hdr;       /* rewritten header, NULL = send data as is */
        size_t fwd_hdr_len;
        uint8_t *fwd_room;      /* room for fwd_hdr inside storage, or NULL */
        size_t fwd_room_size;
        _Alignas(8) uint8_t storage[]; /* msg_new_copy(): data, then fwd_room */
} Msg;

/**
 * msg_new_parsed() - take ownership of @data (@size bytes, malloc'd) and
 * validate it with wire_message_parse().
 * Return: 0 and *@ret_msg; a WIRE_E_* code (then @data is freed too); -ENOMEM.
 */
int msg_new_parsed(uint8_t *data, size_t size, Msg **ret_msg);

/**
 * msg_new_copy() - copy the @size bytes at @src (one framed message) and
 * validate them like msg_new_parsed(); one allocation holds the Msg, the
 * bytes and room for the forwarded header: the original header plus
 * @fwd_extra bytes (what the sender's SENDER field adds; 0: no room, the
 * message is not expected to be forwarded). A forwarded message then costs
 * one malloc and one free. msg_set_sender() allocates apart when the room
 * is too small, so the room is only a hint.
 * Return: 0 and *@ret_msg; a WIRE_E_* code; -ENOMEM.
 */
int msg_new_copy(const uint8_t *src, size_t size, size_t fwd_extra, Msg **ret_msg);

Msg *msg_ref(Msg *m);
Msg *msg_unref(Msg *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Msg *, msg_unref);

/**
 * msg_set_sender() - prepare the forwarded header with SENDER=@sender.
 * Return: 0 or -ENOMEM.
 */
int msg_set_sender(Msg *m, const char *sender);

/** msg_wire_size() - bytes this message takes on the wire when forwarded. */
size_t msg_wire_size(const Msg *m);

/**
 * msg_held_size() - bytes of memory @m holds in the bus, allocator overhead
 * aside: the Msg, the message, the forwarded header (or its room) and the
 * numbers of its fds. Fixed once the sender is set. What an outgoing queue is
 * charged for it: about 300 bytes more than msg_wire_size() (a signal of 125
 * bytes on the wire holds 416), so counting wire bytes alone would let a
 * receiver that never reads small messages make the bus hold 3.5 times its
 * limit (tests/bus/test-queue-memory.py).
 */
static inline size_t msg_held_size(const Msg *m)
{
        size_t n = sizeof(*m) + ALIGN8(m->size) + m->fwd_room_size + m->n_fds * sizeof(int);

        if (m->fwd_hdr && m->fwd_hdr != m->fwd_room)
                n += m->fwd_hdr_len;
        return n;
}

/**
 * msg_iov() - fill @iov (room for 2) with the bytes to send, skipping the
 * first @skip bytes. Return: number of entries used (0 when all sent).
 */
unsigned msg_iov(const Msg *m, size_t skip, struct iovec *iov);

/**
 * msg_steal_fds() - give the message @n fds from @fds (ownership moves).
 * Return: 0 or -ENOMEM (fds untouched then).
 */
int msg_attach_fds(Msg *m, int *fds, unsigned n);
