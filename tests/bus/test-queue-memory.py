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
# Only for bulkhead-bus: dbus-daemon stops reading the sender instead.
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import SLOW, Bus, Checks, limits, skip  # noqa: E402
from rawdbus import DRIVER, F_INTERFACE, F_MEMBER, F_PATH, F_SIGNATURE, SIGNAL, Conn, marshal, message  # noqa: E402

LIMIT = 4 * 1024 * 1024             # max_outgoing_bytes
SLACK_KIB = 1024                    # malloc's chunk headers, the ring's doubling, page rounding
BATCH = 1000                        # signals per write, then a call to know the bus read them
MAX_SIGNALS = 200000                # wire bytes alone would cut off at ~40,000
CONFIG = limits(max_outgoing_bytes=LIMIT) + '''
  <policy context="default">
    <allow user="*"/>
  </policy>'''
RULE = "type='signal',interface='org.example.Small'"


def status_kib(pid, field):
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise RuntimeError(f'no {field} in /proc/{pid}/status')


def small_signal(serial):
    fields = {F_PATH: '/q', F_INTERFACE: 'org.example.Small', F_MEMBER: 'Tick', F_SIGNATURE: 's'}
    return message(SIGNAL, serial, fields, marshal('s', ['x' * 16]))


def disconnected(conn, unique):
    return any(m.type == SIGNAL and m.member == 'NameOwnerChanged' and m.body()[0] == unique and
               m.body()[2] == '' for m in conn.queue)


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
        sent = 0
        while sent < MAX_SIGNALS and not disconnected(sender, stuck.unique):
            sender.send(b''.join(small_signal(sender.next_serial()) for _ in range(BATCH)))
            sent += BATCH
            sender.call(*DRIVER, 'GetId')
        peak = status_kib(bus.pid, 'VmHWM')
        cut = disconnected(sender, stuck.unique)
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
    c.finish(bus)


if __name__ == '__main__':
    main()
