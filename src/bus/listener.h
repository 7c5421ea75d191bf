/*
 * listener.h -- one listening socket from a D-Bus server address:
 * unix:path=, abstract=, dir=, tmpdir=, runtime=yes. TCP is refused (QEMU's
 * security guide: the VM bus must not be reachable over the network).
 *
 * A unix:path= or unix:runtime=yes whose file is a socket nothing listens on
 * (left by a bus that was killed) is taken over; a live bus's socket or any
 * other file at the path makes listener_open() fail with -EADDRINUSE.
 *
 * Must never: accept anything but AF_UNIX, leave a socket file behind that
 * it created (listener_close() unlinks it), or remove a file that is not a
 * dead socket.
 */
#pragma once

#include "bus/bus.h"

enum {
        LISTENER_E_BAD_ADDRESS = 1,     /* unparsable or unsupported key */
        LISTENER_E_TCP_REFUSED,         /* tcp: / nonce-tcp: */
};

/**
 * listener_open() - bind and listen on the single address @address; the
 * printable address (with ",guid=@guid") goes into @ret->address.
 * Return: 0, LISTENER_E_*, or -errno.
 */
int listener_open(const char *address, const char *guid, Listener *ret);

/** listener_close() - close the socket and unlink its file. */
void listener_close(Listener *l);

/** address_escape() - D-Bus address value escaping ('=' -> "%3d"); malloc'd. */
char *address_escape(const char *s);
