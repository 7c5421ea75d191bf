#!/usr/bin/python3
# tests/bus/test-hostile-random.py -- hostile clients that send valid messages
# and mutations of them, at random, against one bus.
#
# Owns: what test-hostile.py's fixed offenders do not reach: many kinds of
# messages that pass the parser or nearly do (driver calls of every kind,
# Properties, Introspect, BecomeMonitor, signals, calls, replies and errors to
# peers that may or may not exist), each sent as it is or with bits flipped, a
# byte replaced, cut short, grown, or its length or serial changed; fds attached
# at random whether the header announces them or not; connections closed
# mid-stream, with and without Hello, with and without fd passing.
# Four offender processes do ATTACK_CONNS connections each, from fixed seeds (the
# same messages every run; only their timing varies). Checks: the bus stays up,
# a well-behaved client gets every answer right the whole time, the bus holds
# no more fds once the offenders are gone than before they came (an fd received
# with a message the bus refused, or left by a connection cut mid-message, is
# closed), no name of an offender is left registered, its memory stays bounded
# (not checked under ASan, whose quarantine holds freed memory), and under the
# sanitizers it ends with no report.
# The offenders re-execute this script: test-hostile-random.py --attacker SEED PATH.
import array
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import SLOW, Bus, Checks, die_with_parent, limits  # noqa: E402
from rawdbus import (DRIVER, ERROR, F_DESTINATION, F_ERROR_NAME, F_REPLY_SERIAL, METHOD_RETURN, Conn,  # noqa: E402
                     Disconnected, call_msg, marshal, message, method_call, signal_msg)

OFFENDERS = 4
ATTACK_CONNS = 1000                     # connections per offender: ~9,000 messages each
RSS_BOUND_KIB = 16 * 1024          # the plain bus grows by ~0.4 MiB (the heap's high-water mark)
NAMES = ['com.example.A', 'com.example.B', 'org.freedesktop.DBus', ':1.1', ':1.2', ':1.5', ':1.99', 'x.y', '']
RULES = ["type='signal'", "sender='org.freedesktop.DBus'", "arg0='x'", "arg0namespace='com'",
         "path_namespace='/a'", "eavesdrop=true", "type='method_call',interface='a.b'", "arg3path='/x/'",
         "member='M'", "destination=':1.1'", "type='bogus'", "arg64='x'", "'"]
CONFIG = limits(max_connections_per_user=64, max_names_per_connection=16, max_match_rules_per_connection=32,
                max_incomplete_connections=32, auth_timeout=3000 * SLOW, max_replies_per_connection=8,
                max_outgoing_bytes=1 << 20, max_message_size=1 << 16, max_message_unix_fds=4) + '''
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow eavesdrop="true"/>
    <deny send_destination="com.example.B" send_interface="org.example.Q" send_member="M"/>
  </policy>'''
BUS_PATH = '/org/freedesktop/DBus'
BUS_NAME = 'org.freedesktop.DBus'


def a_message(serial, rnd):
    """One valid message of a kind chosen by @rnd."""
    name = rnd.choice(NAMES)
    kinds = [
        lambda: method_call(serial, *DRIVER, 'RequestName', 'su', [name, rnd.randrange(8)]),
        lambda: method_call(serial, *DRIVER, 'ReleaseName', 's', [name]),
        lambda: method_call(serial, *DRIVER, 'AddMatch', 's', [rnd.choice(RULES)]),
        lambda: method_call(serial, *DRIVER, 'RemoveMatch', 's', [rnd.choice(RULES)]),
        lambda: method_call(serial, *DRIVER, 'GetNameOwner', 's', [name]),
        lambda: method_call(serial, *DRIVER, 'NameHasOwner', 's', [name]),
        lambda: method_call(serial, *DRIVER, 'GetConnectionCredentials', 's', [name]),
        lambda: method_call(serial, *DRIVER, 'GetConnectionUnixProcessID', 's', [name]),
        lambda: method_call(serial, *DRIVER, 'ListQueuedOwners', 's', [name]),
        lambda: method_call(serial, *DRIVER, 'StartServiceByName', 'su', [name, 0]),
        lambda: method_call(serial, *DRIVER, 'UpdateActivationEnvironment', 'a{ss}', [{'A': 'b'}]),
        lambda: method_call(serial, *DRIVER, 'Hello'),
        lambda: method_call(serial, BUS_NAME, BUS_PATH, 'org.freedesktop.DBus.Introspectable', 'Introspect'),
        lambda: method_call(serial, BUS_NAME, BUS_PATH, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [BUS_NAME]),
        lambda: method_call(serial, BUS_NAME, BUS_PATH, 'org.freedesktop.DBus.Properties', 'Get', 'ss',
                            [BUS_NAME, 'Features']),
        lambda: method_call(serial, BUS_NAME, BUS_PATH, 'org.freedesktop.DBus.Properties', 'Set', 'ssv',
                            [BUS_NAME, 'Features', ('s', 'x')]),
        lambda: method_call(serial, BUS_NAME, BUS_PATH, 'org.freedesktop.DBus.Monitoring', 'BecomeMonitor', 'asu',
                            [[rnd.choice(RULES)], 0]),
        lambda: method_call(serial, BUS_NAME, '/', 'org.freedesktop.DBus.Peer', 'Ping'),
        lambda: signal_msg(serial, 'com.example.I', 'M', marshal('s', ['x']), 's'),
        lambda: call_msg(serial, name or ':1.1', 'M', marshal('s', ['x']), 's'),
        lambda: call_msg(serial, name or ':1.1', 'M', b'', '', n_fds=rnd.randrange(3)),
        lambda: message(METHOD_RETURN, serial, {F_REPLY_SERIAL: rnd.randrange(1, 50), F_DESTINATION: name or ':1.1'}),
        lambda: message(ERROR, serial, {F_ERROR_NAME: 'a.b.C', F_REPLY_SERIAL: rnd.randrange(1, 50),
                                    F_DESTINATION: name or ':1.1'}),
    ]
    return rnd.choice(kinds)()


def mutate(data, rnd):
    """@data as it is (a third of the time) or damaged in one of five ways."""
    b = bytearray(data)
    how = rnd.randrange(6)
    if how == 1:
        for _ in range(rnd.randrange(1, 4)):
            b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
    elif how == 2:
        b[rnd.randrange(len(b))] = rnd.randrange(256)
    elif how == 3:
        del b[rnd.randrange(len(b)):]
    elif how == 4:
        i = rnd.randrange(len(b))
        b[i:i] = rnd.randbytes(rnd.randrange(1, 16))
    elif how == 5:                       # the body length or the serial
        struct.pack_into('<I', b, rnd.choice([4, 8]), rnd.randrange(1 << rnd.choice([4, 8, 16, 31])))
    return bytes(b)


def attack(seed, path):
    """One offender: ATTACK_CONNS connections of random messages; prints how many messages it
    sent and how many of its connections the bus cut off before it was done."""
    rnd = random.Random(seed)
    sent = cut = 0
    for _ in range(ATTACK_CONNS):
        try:
            conn = Conn(path, timeout=2 * SLOW).auth(unix_fd=rnd.random() < 0.5)
            if rnd.random() < 0.9:
                conn.hello()
            conn.sock.setblocking(False)
            for serial in range(1, rnd.randrange(2, 60)):
                data = a_message(serial, rnd)
                if rnd.random() < 0.5:
                    data = mutate(data, rnd)
                try:
                    if rnd.random() < 0.15:
                        fds = [os.open('/dev/null', os.O_RDONLY | os.O_CLOEXEC) for _ in range(rnd.randrange(1, 4))]
                        try:
                            conn.sock.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', fds))])
                        finally:
                            for fd in fds:
                                os.close(fd)
                    else:
                        conn.sock.send(data)
                    sent += 1
                    if rnd.random() < 0.7:
                        conn.sock.recv(1 << 16)
                except (BlockingIOError, InterruptedError):
                    pass
            if rnd.random() < 0.3:
                time.sleep(rnd.random() * 0.02)
            conn.close()
        except (Disconnected, OSError, TimeoutError, ValueError):
            cut += 1                     # cut off, refused or timed out: on to the next connection
    print(sent, cut, flush=True)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == '--attacker':
        attack(int(sys.argv[2]), sys.argv[3])
        return
    c = Checks('bus: random hostile messages')
    with Bus(extra=CONFIG, name='hostile-random') as bus:
        good = Conn(bus.socket, timeout=10 * SLOW).auth().hello()
        time.sleep(0.2)
        fds0, rss0 = bus.fd_count(), bus.rss_kib()
        procs = [subprocess.Popen([sys.executable, os.path.abspath(__file__), '--attacker', str(seed), bus.socket],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, start_new_session=True,
                                  preexec_fn=die_with_parent) for seed in range(OFFENDERS)]
        right = wrong = 0
        deadline = time.monotonic() + 300 * SLOW
        try:
            while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
                try:
                    r = good.call(*DRIVER, 'GetNameOwner', 's', [BUS_NAME])
                    ok = r.error is None and r.body() == [BUS_NAME]
                except (Disconnected, OSError, TimeoutError) as e:
                    c.check(False, 'the well-behaved client stays connected', f'{type(e).__name__}: {e}')
                    break
                right, wrong = right + ok, wrong + (not ok)
                time.sleep(0.02)
        finally:
            for p in procs:
                if p.poll() is None:
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        counts = [[int(x) for x in p.stdout.read().split()] or [0, 0] for p in procs]
        for p in procs:
            p.stdout.close()
        sent, cut = (sum(n[i] for n in counts) for i in (0, 1))
        c.note(f'figure: {sent} messages from {OFFENDERS} offenders on {OFFENDERS * ATTACK_CONNS} connections, '
               f'{cut} of them cut off early; {right} calls of the well-behaved client meanwhile')
        c.check(all(p.returncode == 0 for p in procs), 'every offender ran to its end',
                f'exit statuses {[p.returncode for p in procs]}')
        c.check(sent >= OFFENDERS * ATTACK_CONNS, 'the offenders sent their messages', f'{sent} sent')
        c.check(bus.alive(), 'the bus is still running')
        c.check(right > 0 and wrong == 0, 'the well-behaved client got every answer right',
                f'{right} right, {wrong} wrong')
        fds = bus.fd_count()
        until = time.monotonic() + 10 * SLOW
        while fds != fds0 and time.monotonic() < until:
            time.sleep(0.1)
            fds = bus.fd_count()
        c.check(fds == fds0, 'the offenders gone, the bus holds the fds it held before', f'{fds0} before, {fds} after')
        rss = bus.rss_kib()
        c.note(f'figure: bus VmRSS {rss0} KiB before, {rss} KiB after')
        if SLOW > 1:
            c.note('memory bound not checked under the sanitizers: ASan keeps freed memory in quarantine')
        else:
            c.check(rss - rss0 < RSS_BOUND_KIB, 'the bus memory stays bounded', f'grew by {rss - rss0} KiB')
        try:
            names = good.call(*DRIVER, 'ListNames').body()[0]
        except (Disconnected, OSError, TimeoutError) as e:
            names = [f'{type(e).__name__}: {e}']
        c.equal(sorted(names), sorted([BUS_NAME, good.unique]),
                'the well-behaved client is still served, and no name of an offender is left')
        good.close()
    c.finish(bus)


if __name__ == '__main__':
    main()
