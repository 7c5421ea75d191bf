#!/usr/bin/env python3
# test-user-quota.py -- per-uid quotas of bulkhead-bus (issue 4): match rules
# are charged to the uid of the connection that adds them, across all its
# connections, so one uid cannot exhaust the bus for the others.
#
# One uid (ours, root) opens three connections and adds match rules until
# the per-uid limit (max_match_rules_per_connection x a quarter of
# max_connections_per_user, docs/policy.md) answers LimitsExceeded although
# the connection itself is under its own limit; a second uid (nobody, via
# setpriv) can still add its rules; closing a connection releases its share.
# Names (RequestName) and pending replies (calls a silent service has not
# answered) likewise, with max_names_per_connection and max_replies_per_connection.
# Skips when not root (setpriv needs it) or nobody does not exist.
import os
import pwd
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import Bus, Checks, limits, skip  # noqa: E402
from rawdbus import DRIVER, METHOD_CALL, Conn, method_call, socket_path  # noqa: E402

PER_CONN, CONNS_PER_USER = 4, 8
PER_UID = PER_CONN * (CONNS_PER_USER // 4)           # 8: two full connections
# dbus-daemon counts the unique name against max_names_per_connection: 4 allows 3
NAMES_PER_CONN, NAMES_PER_UID = 3, 4 * (CONNS_PER_USER // 4)
REPLIES_PER_CONN, REPLIES_PER_UID = 2, 2 * (CONNS_PER_USER // 4)
CONFIG = limits(max_match_rules_per_connection=PER_CONN, max_connections_per_user=CONNS_PER_USER,
                max_names_per_connection=4, max_replies_per_connection=REPLIES_PER_CONN) + '''
  <policy context="default">
    <allow user="*"/>
  </policy>'''
LIMITS = 'org.freedesktop.DBus.Error.LimitsExceeded'


def add_match(conn, i):
    """AddMatch a distinct rule; returns None or the error name."""
    reply = conn.call(*DRIVER, 'AddMatch', 's', [f"type='signal',member='Q{i}'"])
    return reply.error


def names_until_error(conn, tag, most=10):
    """RequestName distinct names until an error; returns (how many, error name)."""
    for i in range(most):
        reply = conn.call(*DRIVER, 'RequestName', 'su', [f'org.example.Quota.{tag}{i}', 4])
        if reply.error:
            return i, reply.error
    return most, None


def names_scenario(c, bus, ours):
    """The same uid's connections together hold at most the per-uid count of names."""
    path = socket_path(bus.address)
    conns = [Conn(path, timeout=10).auth().hello() for _ in range(3)]
    got = [names_until_error(conn, f'C{i}x') for i, conn in enumerate(conns)]
    c.equal(got[:2], [(NAMES_PER_CONN, LIMITS)] * 2, 'names: each connection stops at its own limit')
    if ours:
        c.equal(got[2], (NAMES_PER_UID - 2 * NAMES_PER_CONN, LIMITS),
                'names: a third connection of the same uid stops at the per-uid limit')
    else:
        c.note(f'{bus.daemon} has no per-uid name limit (third connection: {got[2]}); required of bulkhead-bus')
    conns[0].close()
    conns[1].call(*DRIVER, 'GetId')
    if ours:    # (dbus-daemon's third connection is at its own limit here)
        more = conns[2].call(*DRIVER, 'RequestName', 'su', ['org.example.Quota.After', 4])
        c.equal(more.error, None, 'names: closing a connection releases its names from the uid\'s quota')
    for conn in conns[1:]:
        conn.close()


def calls_of(svc, n):
    """Read n method calls arriving at svc (never answered); returns their members."""
    got = []
    try:
        while len(got) < n:
            msg = svc.recv(5)
            if msg.type == METHOD_CALL:
                got.append(msg.member)
    except TimeoutError:
        pass
    return got


def replies_scenario(c, bus, ours):
    """Calls a silent service has not answered count against the caller's uid."""
    path = socket_path(bus.address)
    svc = Conn(path, timeout=10).auth().hello()
    callers = [Conn(path, timeout=10).auth().hello() for _ in range(3)]
    for i, conn in enumerate(callers[:2]):
        for j in range(REPLIES_PER_CONN):
            conn.send(method_call(conn.next_serial(), svc.unique, '/q', 'org.example.Q', f'W{i}x{j}'))
    c.equal(len(calls_of(svc, REPLIES_PER_UID)), REPLIES_PER_UID, 'replies: the service receives the pending calls')
    serial = callers[2].next_serial()
    callers[2].send(method_call(serial, svc.unique, '/q', 'org.example.Q', 'Third'))
    if ours:
        reply = callers[2].recv(10)
        while reply.reply_serial != serial:     # skip NameAcquired and the like
            reply = callers[2].recv(10)
        c.check(reply.reply_serial == serial and reply.error == LIMITS,
                'replies: a third connection of the same uid gets LimitsExceeded at the per-uid limit',
                f'got {reply.error} for {reply.reply_serial}')
        callers[0].close()
        svc.call(*DRIVER, 'GetId')
        serial = callers[2].next_serial()
        callers[2].send(method_call(serial, svc.unique, '/q', 'org.example.Q', 'After'))
        c.equal(calls_of(svc, 1), ['After'], 'replies: closing a caller releases its pending calls from the quota')
    else:
        c.note(f'{bus.daemon} has no per-uid pending-reply limit; required of bulkhead-bus')
    for conn in [svc] + callers:
        conn.close()


def child(address):
    """As the second uid: add PER_CONN rules on one connection, print the errors."""
    conn = Conn(socket_path(address), timeout=10).auth().hello()
    errors = [add_match(conn, i) for i in range(PER_CONN)]
    print(','.join(e or 'ok' for e in errors), flush=True)
    conn.close()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--child':
        child(sys.argv[2])
        return
    if os.geteuid() != 0:
        skip('needs root to run a second uid with setpriv')
    try:
        nobody = pwd.getpwnam('nobody')
    except KeyError:
        skip('no user nobody')
    c = Checks('bus: per-uid quotas of match rules, names and pending replies')
    with Bus(extra=CONFIG, name='quota') as bus:
        ours = os.path.basename(bus.daemon) == 'bulkhead-bus'
        path = socket_path(bus.address)
        conns = [Conn(path, timeout=10).auth().hello() for _ in range(3)]
        first = [add_match(conns[0], i) for i in range(PER_CONN)]
        c.equal(first, [None] * PER_CONN, 'connection 1 adds its per-connection share')
        c.equal(add_match(conns[0], 99), LIMITS, 'connection 1 gets LimitsExceeded past its own limit')
        second = [add_match(conns[1], 100 + i) for i in range(PER_UID - PER_CONN)]
        c.equal(second, [None] * (PER_UID - PER_CONN), 'connection 2 of the same uid adds up to the per-uid limit')
        third = add_match(conns[2], 200)
        if ours:
            c.equal(third, LIMITS, 'connection 3 of the same uid gets LimitsExceeded: the uid is at its limit')
        else:
            c.note(f'{bus.daemon} has no per-uid match limit (answered {third or "ok"}); required of bulkhead-bus')
        out = subprocess.run(['setpriv', f'--reuid={nobody.pw_uid}', f'--regid={nobody.pw_gid}', '--clear-groups',
                              sys.executable, os.path.abspath(__file__), '--child', bus.address],
                             capture_output=True, text=True, timeout=30)
        c.equal(out.stdout.strip(), ','.join(['ok'] * PER_CONN),
                'a second uid still adds its rules while the first is at its limit')
        conns[0].close()
        # a driver round trip on another connection orders the disconnect before it
        conns[1].call(*DRIVER, 'GetId')
        conns[1].call(*DRIVER, 'GetId')
        c.equal(add_match(conns[2], 201), None, 'closing a connection releases its rules from the uid\'s quota')
        for conn in conns[1:]:
            conn.close()
        names_scenario(c, bus, ours)
        replies_scenario(c, bus, ours)
    c.finish(bus)


if __name__ == '__main__':
    main()
