/*
 * driver.h -- org.freedesktop.DBus, the bus's own object: Hello, names,
 * matches, credentials, properties, introspection, Peer, Monitoring.
 *
 * Must never: trust an argument it has not read through the wire reader, or
 * answer a call that asked for no reply.
 */
#pragma once

#include "bus/bus.h"
#include "bus/name-registry.h"

/** driver_register() - give @p its unique name (first half of Hello). */
int driver_register(Bus *b, Peer *p);

/**
 * driver_handle() - answer the call @m from @from addressed to the driver.
 * Return: 0, DISPATCH_E_DISCONNECT or -ENOMEM.
 */
int driver_handle(Bus *b, Peer *from, Msg *m);

/**
 * driver_name_changed() - send NameLost, NameOwnerChanged, NameAcquired for
 * @ch, in dbus-daemon's order (nothing if the primary owner did not change).
 * @replacing is informational only.
 */
int driver_name_changed(Bus *b, const NameChange *ch, bool replacing);

/** driver_peer_gone() - drop @p's names and announce it (on disconnect). */
void driver_peer_gone(Bus *b, Peer *p);

/** driver_signal() - emit driver signal @member with string args (NULL-terminated). */
int driver_signal(Bus *b, Peer *to, const char *member, ...);
