/*
 * dispatch.h -- routing: what happens to each message a peer sends (driver,
 * unicast, broadcast), with reply tracking, policy, limits, monitors and
 * eavesdroppers; and the delivery of the driver's own messages.
 *
 * Must never: block, or let a receiver's full queue stall the sender.
 */
#pragma once

#include "wire/builder.h"

#include "bus/bus.h"

enum {
        DISPATCH_E_DISCONNECT = 1,      /* the sender broke the protocol: disconnect it */
};

/**
 * dispatch_incoming() - route @m from @from (the reference stays the caller's).
 * Return: 0, DISPATCH_E_DISCONNECT, or -ENOMEM.
 */
int dispatch_incoming(Bus *b, Peer *from, Msg *m);

/**
 * dispatch_from_driver() - deliver a message the driver built: to @to when
 * it has a destination peer, else broadcast through the match rules; monitors
 * see it first. Return: 0 or -ENOMEM.
 */
int dispatch_from_driver(Bus *b, Peer *to, Msg *m);

/**
 * dispatch_driver_built() - finish the driver message in @wb (deinitialised
 * in every case), parse it and deliver it as dispatch_from_driver() does.
 */
int dispatch_driver_built(Bus *b, Peer *to, WireBuilder *wb);

/** dispatch_to_monitors() - give monitors their copy of @m (sent by @sender, NULL = driver). */
void dispatch_to_monitors(Bus *b, const Peer *sender, Msg *m);

/**
 * dispatch_error() - answer @call from @to with error @name and text @text
 * (one 's' argument), unless the call asked for no reply.
 */
int dispatch_error(Bus *b, Peer *to, const Msg *call, const char *name, const char *text);

/**
 * dispatch_error_to_monitors() - the error dispatch_error() would send @to,
 * given to monitors alone: what dbus-daemon does for a broadcast the policy
 * denied (the sender is not answered).
 */
void dispatch_error_to_monitors(Bus *b, const Peer *to, const Msg *call, const char *name, const char *text);

/** dispatch_errorf() - dispatch_error() with a printf-style text. */
int dispatch_errorf(Bus *b, Peer *to, const Msg *call, const char *name, const char *fmt, ...)
        _printf_(5, 6);
