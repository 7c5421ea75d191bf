/*
 * dispatch.c -- the router. Order of events per message follows
 * dbus-daemon, because monitors observe it: the message first, then whatever
 * the bus sends because of it (errors, driver signals), then the reply.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus/dispatch.h"
#include "bus/driver.h"
#include "bus/monitor.h"
#include "bus/policy-check.h"
#include "wire/builder.h"

#define ERR_ACCESS_DENIED   "org.freedesktop.DBus.Error.AccessDenied"
#define ERR_LIMITS_EXCEEDED "org.freedesktop.DBus.Error.LimitsExceeded"
#define ERR_NAME_HAS_NO_OWNER "org.freedesktop.DBus.Error.NameHasNoOwner"
#define ERR_SERVICE_UNKNOWN "org.freedesktop.DBus.Error.ServiceUnknown"
#define ERR_NOT_SUPPORTED   "org.freedesktop.DBus.Error.NotSupported"

/** dispatch_driver_built() - see dispatch.h. */
int dispatch_driver_built(Bus *b, Peer *to, WireBuilder *wb)
{
        uint8_t *data;
        size_t size;
        Msg *m;
        int r;

        r = wire_builder_finish(wb, bus_next_serial(b), &data, &size);
        wire_builder_deinit(wb);
        if (r != 0)
                return r < 0 ? r : -EINVAL;
        r = msg_new_parsed(data, size, &m);
        if (r != 0)
                return r < 0 ? r : -EINVAL;
        r = dispatch_from_driver(b, to, m);
        msg_unref(m);
        return r;
}

/* the driver's error @name answering the message with serial @reply_serial, into @wb */
static void build_error(WireBuilder *wb, const char *destination, uint32_t reply_serial, const char *name,
                        const char *text)
{
        wire_builder_init(wb, WIRE_MESSAGE_ERROR, WIRE_FLAG_NO_REPLY_EXPECTED);
        wire_builder_set_error_name(wb, name);
        wire_builder_set_reply_serial(wb, reply_serial);
        if (destination[0])
                wire_builder_set_destination(wb, destination);
        wire_builder_set_sender(wb, BUS_DRIVER_NAME);
        wire_builder_append_string(wb, text);
}

/* finish the driver message in @wb (deinitialised) and give it to monitors alone */
static void to_monitors_only(Bus *b, WireBuilder *wb)
{
        uint8_t *data;
        size_t size;
        Msg *m;

        if (wire_builder_finish(wb, bus_next_serial(b), &data, &size) == 0 &&
            msg_new_parsed(data, size, &m) == 0) {
                dispatch_to_monitors(b, NULL, m);
                msg_unref(m);
        }
        wire_builder_deinit(wb);
}

/** dispatch_error() - see dispatch.h. */
int dispatch_error(Bus *b, Peer *to, const Msg *call, const char *name, const char *text)
{
        WireBuilder wb;

        /* signals are answered anyway, as dbus-daemon does for denied ones;
         * so are replies (a denied stray reply) unless flagged no-reply */
        if (call->h.type != WIRE_MESSAGE_SIGNAL && (call->h.flags & WIRE_FLAG_NO_REPLY_EXPECTED))
                return 0;
        if (to->dead)
                return 0;
        build_error(&wb, to->unique_name, call->h.serial, name, text);
        return dispatch_driver_built(b, to, &wb);
}

/** dispatch_error_to_monitors() - see dispatch.h. */
void dispatch_error_to_monitors(Bus *b, const Peer *to, const Msg *call, const char *name, const char *text)
{
        WireBuilder wb;

        if (list_empty(&b->monitors))
                return;
        build_error(&wb, to->unique_name, call->h.serial, name, text);
        to_monitors_only(b, &wb);
}

/*
 * A driver message the receiver's policy refused: dbus-daemon answers it
 * with an AccessDenied from the driver to itself, which only monitors see.
 */
static void driver_denied(Bus *b, Peer *to, const Msg *m)
{
        char text[512];
        WireBuilder wb;

        if (list_empty(&b->monitors))
                return;
        snprintf(text, sizeof(text),
                 "Rejected receive message, type=\"%s\", sender=\"(unset)\" ((bus)) interface=\"%s\" "
                 "member=\"%s\" error name=\"(unset)\" requested_reply=\"0\" destination=\"%s\"",
                 policy_message_type_name((PolicyMessageType)m->h.type),
                 m->h.interface ? m->h.interface : "(unset)", m->h.member ? m->h.member : "(unset)",
                 to->unique_name);
        build_error(&wb, BUS_DRIVER_NAME, m->h.serial, ERR_ACCESS_DENIED, text);
        to_monitors_only(b, &wb);
}

/** dispatch_errorf() - see dispatch.h. */
int dispatch_errorf(Bus *b, Peer *to, const Msg *call, const char *name, const char *fmt, ...)
{
        char text[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        return dispatch_error(b, to, call, name, text);
}

/** dispatch_to_monitors() - see dispatch.h. */
void dispatch_to_monitors(Bus *b, const Peer *sender, Msg *m)
{
        ListNode *pos, *tmp;

        list_for_each_safe(pos, tmp, &b->monitors) {
                Peer *mon = container_of(pos, Peer, monitor_link);

                if (mon->dead || !monitor_wants(mon, b, sender, m))
                        continue;
                bus_send_to(b, mon, m);
        }
}

typedef struct Broadcast {
        Bus *bus;
        Peer *sender;           /* NULL = driver */
        Msg *msg;
} Broadcast;

static void broadcast_one(Peer *receiver, void *userdata)
{
        Broadcast *bc = userdata;

        if (receiver->dead || receiver->monitor)
                return;
        if (!bc->sender && policy_check_from_driver(bc->bus, receiver, bc->msg) != 0)
                return;
        /* as dbus-daemon: a denied broadcast is not answered, only monitors see the error */
        if (bc->sender && policy_check_delivery(bc->bus, bc->sender, receiver, bc->msg, false,
                                                POLICY_REPORT_MONITORS) != 0)
                return;
        bus_send_to(bc->bus, receiver, bc->msg);
}

static void broadcast(Bus *b, Peer *sender, Msg *m)
{
        Broadcast bc = { .bus = b, .sender = sender, .msg = m };

        match_registry_visit(&b->matches, b, sender, NULL, m, broadcast_one, &bc);
}

typedef struct Eavesdrop {
        Bus *bus;
        Peer *sender, *receiver;
        Msg *msg;
} Eavesdrop;

static void eavesdrop_one(Peer *p, void *userdata)
{
        Eavesdrop *e = userdata;

        if (p == e->receiver || p->dead || p->monitor)
                return;
        if (e->sender && policy_check_delivery(e->bus, e->sender, p, e->msg, true, POLICY_REPORT_NONE) != 0)
                return;
        bus_send_to(e->bus, p, e->msg);
}

/* Unicast messages (and messages to the driver) go to eavesdropping rules too. */
static void eavesdroppers(Bus *b, Peer *sender, Peer *receiver, Msg *m)
{
        Eavesdrop e = { b, sender, receiver, m };

        if (b->matches.n_eavesdrop == 0)
                return;
        match_registry_visit(&b->matches, b, sender, receiver, m, eavesdrop_one, &e);
}

/** dispatch_from_driver() - see dispatch.h. */
int dispatch_from_driver(Bus *b, Peer *to, Msg *m)
{
        dispatch_to_monitors(b, NULL, m);
        if (to) {
                /* the receiver's receive rules apply to the driver's messages too;
                 * a denial drops them silently */
                if (policy_check_from_driver(b, to, m) != 0) {
                        driver_denied(b, to, m);
                        return 0;
                }
                eavesdroppers(b, NULL, to, m);
                return bus_send_to(b, to, m);
        }
        broadcast(b, NULL, m);
        return 0;
}

static Peer *resolve(Bus *b, const char *name)
{
        return bus_find_by_name(b, name);
}

static int no_destination(Bus *b, Peer *from, Msg *m)
{
        const char *dest = m->h.destination;

        /* as dbus-daemon: a message without NO_AUTO_START (of any type) goes to
         * activation, which we do not have, so it fails as ServiceUnknown --
         * unique names included */
        if (!(m->h.flags & WIRE_FLAG_NO_AUTO_START))
                return dispatch_errorf(b, from, m, ERR_SERVICE_UNKNOWN,
                                       "The name %s was not provided by any .service files", dest);
        return dispatch_errorf(b, from, m, ERR_NAME_HAS_NO_OWNER, "Name \"%s\" does not exist", dest);
}

static bool is_reply(const Msg *m)
{
        return m->h.type == WIRE_MESSAGE_METHOD_RETURN || m->h.type == WIRE_MESSAGE_ERROR;
}

static bool wants_reply(const Msg *m)
{
        return m->h.type == WIRE_MESSAGE_METHOD_CALL && !(m->h.flags & WIRE_FLAG_NO_REPLY_EXPECTED);
}

/* A reply is only forwarded if the bus saw the call it answers. */
static bool reply_expected(Bus *b, Peer *from, Peer *to, const Msg *m)
{
        if (!reply_take(&b->replies, to->id, m->h.reply_serial, from))
                return false;
        to->n_replies_out--; /* the caller's pending call is answered */
        if (to->quota)
                to->quota->n_replies--;
        return true;
}

static int expect_reply(Bus *b, Peer *from, Peer *to, Msg *m)
{
        const BusLimits *l = &b->config->limits;
        uint64_t deadline = UINT64_MAX;
        int r;

        if (from->n_replies_out >= l->max_replies_per_connection) {
                dispatch_error(b, from, m, ERR_LIMITS_EXCEEDED,
                               "The maximum number of pending replies per connection has been reached");
                return 1;
        }
        if (from->quota && from->quota->n_replies >= bus_user_limit(b, l->max_replies_per_connection)) {
                dispatch_error(b, from, m, ERR_LIMITS_EXCEEDED,
                               "The maximum number of pending replies of this uid has been reached");
                return 1;
        }
        if (l->reply_timeout >= 0)
                deadline = bus_now() + (uint64_t)l->reply_timeout * 1000;
        r = reply_expect(&b->replies, from, from->id, &from->replies_out, to, &to->replies_in,
                         m->h.serial, deadline);
        if (r == -EEXIST)
                return 0;
        if (r < 0)
                return r;
        from->n_replies_out++;
        if (from->quota)
                from->quota->n_replies++;
        bus_arm_timer(b);
        return 0;
}

static int check_unicast(Bus *b, Peer *from, Peer *to, Msg *m, bool requested_reply)
{
        if (m->n_fds > 0 && !to->conn.unix_fd) {
                dispatch_error(b, from, m, ERR_NOT_SUPPORTED,
                               "Tried to send message with Unix file descriptors to a client that "
                               "doesn't support that.");
                return 1;
        }
        if (policy_check_unicast(b, from, to, m, requested_reply) != 0)
                return 1;
        /* a call that would overflow the destination fails for the caller; other
         * messages go on to bus_send_to(), which disconnects the destination */
        if (m->h.type != WIRE_MESSAGE_METHOD_CALL)
                return 0;
        switch (bus_queue_limited(b, to, m)) {
        case BUS_LIMIT_CONNECTION:
                dispatch_errorf(b, from, m, ERR_LIMITS_EXCEEDED,
                                "The destination %s has too many queued messages", to->unique_name);
                return 1;
        case BUS_LIMIT_USER:
                dispatch_errorf(b, from, m, ERR_LIMITS_EXCEEDED,
                                "The destination %s has too many queued messages over all the "
                                "connections of its uid %u", to->unique_name, (unsigned)to->quota->uid);
                return 1;
        }
        return 0;
}

static int unicast(Bus *b, Peer *from, Msg *m)
{
        Peer *to = resolve(b, m->h.destination);
        bool requested = false;
        int r;

        if (!to)
                return no_destination(b, from, m);
        /* like dbus-daemon, a reply nobody waits for is not dropped here: the
         * policy decides, with requested_reply=false */
        if (is_reply(m))
                requested = reply_expected(b, from, to, m);
        r = check_unicast(b, from, to, m, requested);
        if (r != 0)
                return r < 0 ? r : 0;
        if (wants_reply(m)) {
                r = expect_reply(b, from, to, m);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        eavesdroppers(b, from, to, m);
        return bus_send_to(b, to, m);
}

static bool is_hello(const Msg *m)
{
        return m->h.type == WIRE_MESSAGE_METHOD_CALL && m->h.destination &&
               strcmp(m->h.destination, BUS_DRIVER_NAME) == 0 && m->h.member &&
               strcmp(m->h.member, "Hello") == 0 &&
               (!m->h.interface || strcmp(m->h.interface, BUS_DRIVER_NAME) == 0);
}

/** dispatch_incoming() - see dispatch.h. */
int dispatch_incoming(Bus *b, Peer *from, Msg *m)
{
        int r;

        if (from->monitor)
                return DISPATCH_E_DISCONNECT;
        if (!from->registered) {
                if (!is_hello(m))
                        return DISPATCH_E_DISCONNECT;
                if (bus_hello_limited(b, from)) {
                        dispatch_error(b, from, m, ERR_LIMITS_EXCEEDED,
                                       "The maximum number of active connections has been reached");
                        (void)connection_flush(&from->conn);
                        return DISPATCH_E_DISCONNECT;
                }
                r = driver_register(b, from);
                if (r < 0)
                        return r;
        }
        r = msg_set_sender(m, from->unique_name);
        if (r < 0)
                return r;
        dispatch_to_monitors(b, from, m);
        if (m->h.destination && strcmp(m->h.destination, BUS_DRIVER_NAME) == 0) {
                eavesdroppers(b, from, NULL, m);
                return driver_handle(b, from, m);
        }
        if (m->h.destination)
                return unicast(b, from, m);
        if (m->h.type == WIRE_MESSAGE_SIGNAL) {
                /* no check without a receiver: like dbus-daemon, the send
                 * rules run per receiver, with that receiver's names */
                broadcast(b, from, m);
                return 0;
        }
        /* a call or reply without destination: only eavesdroppers see it */
        eavesdroppers(b, from, NULL, m);
        return 0;
}
