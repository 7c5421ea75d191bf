/*
 * driver-util.h -- small helpers the driver's files share: building and
 * sending replies, reading string arguments, errors by name.
 */
#pragma once

#include "bus/bus.h"
#include "wire/builder.h"
#include "wire/reader.h"

#define DBUS_ERR(x) "org.freedesktop.DBus.Error." x

/** driver_reply_init() - start a method return to @call from @to. */
void driver_reply_init(WireBuilder *wb, const Peer *to, const Msg *call);

/**
 * driver_reply_send() - finish @wb and deliver it to @to (monitors first);
 * deinits @wb. Nothing is sent if @call asked for no reply.
 */
int driver_reply_send(Bus *b, Peer *to, const Msg *call, WireBuilder *wb);

/** driver_reply_empty() - an empty method return. */
int driver_reply_empty(Bus *b, Peer *to, const Msg *call);

/** driver_read_string() - the @i-th top-level argument of @m if it is a string ('s'), else NULL. */
const char *driver_arg_string(const Msg *m, unsigned i);

/** driver_arg_u32() - the @i-th top-level argument as uint32 ('u'). */
int driver_arg_u32(const Msg *m, unsigned i, uint32_t *ret);
