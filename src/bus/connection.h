/*
 * connection.h -- the byte side of one client: the socket, SASL before
 * BEGIN, reading and framing messages (with the unix fds that came along),
 * and the outgoing queue of shared Msg references written in batches.
 *
 * Must never: interpret a message beyond framing and validation, block, or
 * let a peer make it hold more than the limits it was given.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "bus/msg.h"
#include "wire/sasl.h"

typedef struct ConnectionLimits {
        size_t max_message_size;
        unsigned max_message_fds;
} ConnectionLimits;

/*
 * What a set of connections holds, kept exact by every change of their
 * queues: the bus charges all the connections of one uid to one of these
 * (UserQuota). A connection adds and subtracts with plain integer ops; it
 * never checks a limit, its owner does.
 */
typedef struct ConnectionCharge {
        uint64_t out_bytes;     /* memory held by queued messages (connection_queue_size() each) */
        uint64_t out_fds;       /* fds carried by queued messages not fully written */
        uint64_t in_bytes;      /* bytes read, not yet taken as a message (or by SASL) */
        uint64_t in_fds;        /* fds received, not yet given to a message */
} ConnectionCharge;

typedef struct Connection {
        int fd;
        bool authenticated;
        bool unix_fd;           /* NEGOTIATE_UNIX_FD agreed */
        bool hup;               /* peer closed its end */
        WireSasl *sasl;         /* until BEGIN: freed once authenticated (4 kB less per peer) */
        ConnectionLimits limits;

        uint8_t *in;            /* input bytes not yet consumed; NULL when all are */
        size_t in_pos, in_len, in_cap;
        uint8_t **spare_in;     /* optional: one empty input buffer the bus keeps for all
                                 * its connections, so that busy ones do not malloc per read */
        int *in_fds;            /* fds received, not yet given to a message */
        unsigned n_in_fds, in_fds_cap;

        char *raw_out;          /* SASL replies, sent before any message */
        size_t raw_out_len;

        Msg **out;              /* ring of queued messages */
        size_t out_head, out_count, out_cap;
        size_t out_skip;        /* bytes of the head message already sent */
        size_t out_bytes;       /* connection_queue_size() of the queued messages: their memory,
                                 * released when a message is written in full */
        unsigned out_fds;       /* fds of the queued messages (until fully written) */

        ConnectionCharge *charge; /* optional: also charged here, NULL = nowhere */
        size_t fwd_room_extra;  /* bytes the forwarded header may add (msg_new_copy()), set by the bus */
} Connection;

/**
 * connection_init() - take @fd (non-blocking) and start SASL with @cfg.
 * Return: 0 or -ENOMEM (@fd is taken either way: connection_deinit() closes it).
 */
int connection_init(Connection *c, int fd, const WireSaslConfig *cfg, const ConnectionLimits *limits);
/** connection_deinit() - close the socket, drop queues and fds. */
void connection_deinit(Connection *c);

/**
 * connection_drop_output() - forget every queued message (a connection that
 * will be closed without flushing), releasing their bytes and fds from the
 * charge at once.
 */
void connection_drop_output(Connection *c);

/**
 * connection_release() - drop queued output and held input (closing its
 * fds) and stop charging: the connection holds nothing any more but its
 * socket, which connection_deinit() closes.
 */
void connection_release(Connection *c);

/** connection_in_bytes() - bytes read and held, not yet taken as a message. */
static inline size_t connection_in_bytes(const Connection *c)
{
        return c->in_len - c->in_pos;
}

/**
 * connection_read() - read what the socket has (one recvmsg) and run SASL on
 * it while not authenticated. *@ret_fds is set when the read brought fds: the
 * kernel ends a stream read after the write that carried them, so more may be
 * waiting behind it.
 * Return: 0 (progress or nothing to read: -EAGAIN is folded into 0 with
 * *@ret_eagain set), -ECONNRESET on end of stream, a WIRE_E_SASL_* code or
 * -errno: the connection must go.
 */
int connection_read(Connection *c, bool *ret_eagain, bool *ret_fds);

/**
 * connection_pop() - the next complete message from the input, parsed and
 * with its fds attached. Return: 0 and *@ret_msg; -EAGAIN when no complete
 * message is buffered; a WIRE_E_* code or -EBADMSG (bad fds) or -EMSGSIZE:
 * the peer is broken and must be disconnected; -ENOMEM.
 */
int connection_pop(Connection *c, Msg **ret_msg);

/**
 * connection_queue_size() - what queueing @m adds to out_bytes (and to the
 * charge) until it is written in full: the memory it holds (msg_held_size())
 * and its slot in the ring. Not its wire size: a receiver that never reads
 * must not make the bus hold more than its limit says.
 */
static inline size_t connection_queue_size(const Msg *m)
{
        return msg_held_size(m) + sizeof(Msg *);
}

/** connection_queue() - queue @m (a reference is taken). Return: 0 or -ENOMEM. */
int connection_queue(Connection *c, Msg *m);

/** connection_has_output() - anything waits to be written. */
bool connection_has_output(const Connection *c);

/**
 * connection_flush() - write as much of the queue as the socket takes,
 * gathering many messages into one sendmsg.
 * Return: 0 when all was written, -EAGAIN when the socket is full, -errno.
 */
int connection_flush(Connection *c);
