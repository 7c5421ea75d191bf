#!/usr/bin/python3
# test-queue-memory.py -- max_outgoing_bytes bounds the memory the bus holds
# for a receiver that never reads, with small messages too.
#
# A subscriber that never reads gets small signals (a 16-character string,
# 125 bytes as the bus forwards it) until the bus disconnects it. The bus
# charges each queued message the memory it holds (its bytes, its Msg, the
# forwarded header's room: 424 bytes here, docs/policy.md), so the bus's peak
# resident memory may grow by max_outgoing_bytes plus the allocator's own
# overhead, not by 3.5 times that as it would if wire bytes alone counted. The
# peak is the kernel's VmHWM, read once the subscriber is gone.
# Under ASan the allocator's redzones make the growth meaningless: that check
# is skipped then (the disconnection is still checked).
#
# Then the other edge: a connection with nothing queued takes any one message,
# even one larger than the limit (as on dbus-daemon, which compares what is
# queued already), so that what a message holds beyond its wire size never
# keeps it from a receiver that reads; while that message is still queued, a
# call to the same receiver gets LimitsExceeded; once it is read, calls go
# through again.
# Only for bulkhead-bus: dbus-daemon stops reading the sender instead.
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import SLOW, Bus, Checks, limits, skip, wmem_default  # noqa: E402
from rawdbus import DRIVER, Conn, big_body, call_msg, gone, marshal, signal_msg  # noqa: E402

LIMIT = 4 * 1024 * 1024             # max_outgoing_bytes
SLACK_KIB = 1024                    # malloc's chunk headers, the ring's doubling, page rounding
BATCH = 1000                        # signals per write, then a call to know the bus read them
MAX_SIGNALS = 200000                # wire bytes alone would cut off at ~40,000
CONFIG = limits(max_outgoing_bytes=LIMIT) + '''
  <policy context="default">
    <allow user="*"/>
  </policy>'''
RULE = "type='signal',interface='org.example.Small'"
LIMITS = 'org.freedesktop.DBus.Error.LimitsExceeded'


def status_kib(pid, field):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'no {field} in /proc/{pid}/status')


def small_signal(serial):
    return signal_msg(serial, 'org.example.Small', 'Tick', marshal('s', ['x' * 16]), 's')


def call_to(serial, dest, n):
    """A call carrying @n bytes, as the receiver gets it: member Take, an 'ay' body."""
    return call_msg(serial, dest, 'Take', big_body(n), 'ay')


def error_of(conn, serial):
    """The error name answering @serial, or None once a later GetId returns first."""
    sync = conn.call(*DRIVER, 'GetId')
    for m in conn.queue + [sync]:
        if m.reply_serial == serial:
            return m.error
    return None


def next_take(conn):
    """The next call of call_to() (NameAcquired and the like are skipped)."""
    while True:
        m = conn.recv()
        if m.member == 'Take':
            return m


def one_over_the_limit(c, bus):
    caller = Conn(bus.socket, timeout=10 * SLOW).auth().hello()
    idle = Conn(bus.socket, timeout=10 * SLOW).auth().hello()
    idle.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    big = LIMIT + 64 * 1024
    first = caller.next_serial()
    caller.send(call_to(first, idle.unique, big))
    c.equal(error_of(caller, first), None, 'one message over the limit is queued for a receiver with nothing queued')
    second = caller.next_serial()
    caller.send(call_to(second, idle.unique, 1))
    refused = error_of(caller, second)
    if wmem_default() < LIMIT // 2:
        c.equal(refused, LIMITS, 'while it is queued, a call to the same receiver gets LimitsExceeded')
    else:
        c.note(f'not checked: the kernel buffers {wmem_default()} bytes per socket, so the bus may have '
               f'written most of the message; the call is not certain to meet a full queue')
    got = next_take(idle)
    c.check(got.member == 'Take' and got.serial == first and len(got.body_raw) == 4 + big,
            'the receiver gets the whole of it when it reads',
            f'{got.member} serial {got.serial} of {first}, {len(got.body_raw)} bytes')
    if refused is None:
        next_take(idle)
    third = caller.next_serial()
    caller.send(call_to(third, idle.unique, 1))
    c.equal(error_of(caller, third), None, 'once it is read, calls to the receiver go through again')
    c.check(next_take(idle).serial == third, 'and arrive')
    caller.close()
    idle.close()


def main():
    c = Checks('bus: max_outgoing_bytes bounds the memory held for a receiver that never reads')
    with Bus(extra=CONFIG, name='queue-memory') as bus:
        if os.path.basename(bus.daemon) != 'bulkhead-bus':
            skip('bulkhead-bus only: dbus-daemon stops reading the sender instead of disconnecting')
        sender = Conn(bus.socket, timeout=10 * SLOW).auth().hello()
        sender.call(*DRIVER, 'AddMatch', 's', ["type='signal',member='NameOwnerChanged'"])
        stuck = Conn(bus.socket, timeout=10 * SLOW).auth().hello()
        stuck.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.call(*DRIVER, 'AddMatch', 's', [RULE])
        base = status_kib(bus.pid, 'VmRSS')
        sent, cut = 0, False
        while sent < MAX_SIGNALS and not cut:
            sender.send(b''.join(small_signal(sender.next_serial()) for _ in range(BATCH)))
            sent += BATCH
            sender.call(*DRIVER, 'GetId')
            cut = stuck.unique in gone(sender, {stuck.unique})
        peak = status_kib(bus.pid, 'VmHWM')
        c.check(cut, 'the never-reading subscriber is disconnected', f'{sent} signals sent')
        c.check('its outgoing queue is full' in bus.stderr(), 'the bus says its outgoing queue was full')
        growth = peak - base
        c.note(f'figure: {sent} signals of {len(small_signal(1))} bytes sent before the cut; the bus\'s '
               f'peak RSS grew by {growth} KiB (VmRSS {base} KiB before, VmHWM {peak} KiB) for a limit of '
               f'{LIMIT // 1024} KiB')
        if os.environ.get('BULKHEAD_SANITIZE') == '1':
            c.note('peak memory not checked: ASan\'s redzones and quarantine are in the growth')
        else:
            c.check(growth <= LIMIT // 1024 + SLACK_KIB,
                    'the bus held at most max_outgoing_bytes (+1 MiB) for it',
                    f'grew by {growth} KiB')
        reply = sender.call(*DRIVER, 'GetId')
        c.check(reply.error is None, 'the sender is served afterwards')
        sender.close()
        stuck.close()
        one_over_the_limit(c, bus)
    c.finish(bus)


if __name__ == '__main__':
    main()
