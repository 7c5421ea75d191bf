#!/usr/bin/python3
# test-user-quota.py -- per-uid quotas of bulkhead-bus (issue 4): every object
# a connection makes the bus hold is also charged to the connection's uid,
# over all of that uid's connections, so one uid cannot exhaust the bus for
# the others (docs/policy.md, "Per-uid quotas").
#
# For each quota -- connections, match rules, names, pending replies, bytes
# and fds queued to a uid's connections, bytes and fds held from them -- uid A
# runs into its per-uid limit (LimitsExceeded, refusal or disconnect, as
# documented) while every one of its connections is under its own
# per-connection limit; then uid B does the same thing and gets it, and a
# normal call from uid B still works. The test runs as root and makes each
# connection with a child that switched to the wanted uid before connect()
# (the bus takes the uid from SO_PEERCRED) and hands the socket back, so one
# process drives all the uids in lockstep. Each scenario has uids of its own.
# Limits are small (config below) so it runs in seconds. At the end the bus
# must exit cleanly: it asserts that every per-uid counter went back to zero
# when a uid's last connection was freed.
# Skips when not root.
import fcntl
import os
import pwd
import select
import socket
import struct
import sys
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import SLOW, Bus, Checks, limits, skip, wmem_default  # noqa: E402
from rawdbus import (DRIVER, METHOD_CALL, Conn, Disconnected, big_body, call_msg, connect_as, gone,  # noqa: E402
                     method_call, signal_msg, socket_path)

CONNS_PER_USER = 8
SHARE = CONNS_PER_USER // 4                          # per-uid limit = per-connection limit x SHARE
PER_CONN = 4                                         # match rules
PER_UID = PER_CONN * SHARE
# dbus-daemon counts the unique name against max_names_per_connection: 4 allows 3
NAMES_PER_CONN, NAMES_PER_UID = 3, 4 * SHARE
REPLIES_PER_CONN, REPLIES_PER_UID = 2, 2 * SHARE
MIB = 1024 * 1024
OUT_BYTES, OUT_FDS = MIB, 4                          # per connection; per uid x SHARE
IN_BYTES, IN_FDS = MIB, 4
CONFIG = limits(max_match_rules_per_connection=PER_CONN, max_connections_per_user=CONNS_PER_USER,
                max_names_per_connection=4, max_replies_per_connection=REPLIES_PER_CONN,
                max_outgoing_bytes=OUT_BYTES, max_outgoing_unix_fds=OUT_FDS,
                max_incoming_bytes=IN_BYTES, max_incoming_unix_fds=IN_FDS,
                max_message_size=MIB, max_message_unix_fds=4) + '''
  <policy context="default">
    <allow user="*"/>
  </policy>'''
LIMITS = 'org.freedesktop.DBus.Error.LimitsExceeded'
CHUNK = 64 * 1024                                    # body of one big signal
UIDS = iter(range(61000, 61100))    # bulkhead-bus needs no passwd entry; see main() for others


class UidConn(Conn):
    """A raw connection made as another uid; counts (and closes) the fds it receives."""

    def __init__(self, path, uid, timeout=10.0):
        super().__init__(path, timeout, sock=connect_as(path, uid), uid=uid)
        self.n_fds = 0

    def _read(self):
        try:
            chunk, fds, _, _ = socket.recv_fds(self.sock, 1 << 20, 16)
        except ConnectionResetError:
            return b''
        for fd in fds:
            os.close(fd)
        self.n_fds += len(fds)
        return chunk


def hello_as(path, uid, unix_fd=False):
    return UidConn(path, uid).auth(unix_fd).hello()


def add_match(conn, rule):
    """AddMatch; returns None or the error name."""
    return conn.call(*DRIVER, 'AddMatch', 's', [rule]).error


def works(conn):
    """A normal call (GetId) answers without error."""
    try:
        reply = conn.call(*DRIVER, 'GetId', timeout=10 * SLOW)
    except (Disconnected, TimeoutError, OSError):
        return False
    return reply.error is None


def hung_up(conn, timeout=0.0):
    """The bus closed this connection (we need not read it to know)."""
    poller = select.poll()
    poller.register(conn.fileno(), select.POLLRDHUP | select.POLLHUP)
    return any(ev & (select.POLLHUP | select.POLLRDHUP) for _, ev in poller.poll(timeout * 1000))


def only_cut(conns, cut):
    """Exactly the connections whose unique names are in cut were closed by the bus."""
    for conn in conns:
        if conn.unique in cut:
            if not hung_up(conn, 2 * SLOW):
                return False
        elif hung_up(conn, 0.2):
            return False
    return True


def close_all(*conns):
    for conn in conns:
        conn.close()


def send_with_fds(conn, data, n):
    """Send data with n fds (of /dev/null) attached to its first byte."""
    fds = [os.open('/dev/null', os.O_RDONLY | os.O_CLOEXEC) for _ in range(n)]
    try:
        sent = socket.send_fds(conn.sock, [data], fds)
        if sent < len(data):
            conn.send(data[sent:])
    finally:
        for fd in fds:
            os.close(fd)


def reply_to(conn, serial, timeout=10):
    """The reply to serial (other messages are queued)."""
    while True:
        msg = conn.recv(timeout * SLOW)
        if msg.reply_serial == serial:
            return msg
        conn.queue.append(msg)


def next_of(conn, member, timeout=10):
    """The next message with this member (others are skipped)."""
    while True:
        msg = conn.recv(timeout * SLOW)
        if msg.member == member:
            return msg


def send_part(conn, data, n_fds=0):
    """Send (the start of) a message; the bus may cut us off while we do."""
    try:
        if n_fds:
            send_with_fds(conn, data, n_fds)
        else:
            conn.send(data)
    except OSError:     # broken pipe, reset: hung_up() says so
        return
    drained(conn)


def drained(conn, timeout=10):
    """Wait until the bus has read everything we sent on conn (SIOCOUTQ is 0)."""
    deadline = time.monotonic() + timeout * SLOW
    buf = bytearray(4)
    while time.monotonic() < deadline:
        fcntl.ioctl(conn.fileno(), termios.TIOCOUTQ, buf)
        if struct.unpack('<i', buf)[0] == 0:
            return True
        time.sleep(0.01)
    return False


def connections_scenario(c, bus, ours):
    """max_connections_per_user: uid A's next Hello is refused, uid B's is not."""
    path = socket_path(bus.address)
    ua, ub = next(UIDS), next(UIDS)
    a = [hello_as(path, ua) for _ in range(CONNS_PER_USER)]
    extra = UidConn(path, ua).auth()
    try:
        reply = extra.call(*DRIVER, 'Hello')
        got = reply.error
    except (Disconnected, OSError):
        got = 'disconnected'
    c.equal(got, LIMITS, f'connections: uid A\'s connection {CONNS_PER_USER + 1} gets LimitsExceeded on Hello')
    if ours:
        c.check(extra.is_cut_off(5 * SLOW), 'connections: and is disconnected')
    b = [hello_as(path, ub) for _ in range(CONNS_PER_USER)]
    c.check(all(conn.unique for conn in b), f'connections: uid B still opens its {CONNS_PER_USER} connections')
    c.check(works(b[0]), 'connections: a normal call from uid B works')
    c.check(works(a[0]), 'connections: uid A\'s admitted connections keep working')
    close_all(extra, *a, *b)


def matches_scenario(c, bus, ours):
    path = socket_path(bus.address)
    ua, ub = next(UIDS), next(UIDS)
    conns = [hello_as(path, ua) for _ in range(3)]
    first = [add_match(conns[0], f"type='signal',member='Q{i}'") for i in range(PER_CONN)]
    c.equal(first, [None] * PER_CONN, 'matches: connection 1 adds its per-connection share')
    c.equal(add_match(conns[0], "member='Q99'"), LIMITS, 'matches: connection 1 gets LimitsExceeded past its own limit')
    second = [add_match(conns[1], f"member='Q{100 + i}'") for i in range(PER_UID - PER_CONN)]
    c.equal(second, [None] * (PER_UID - PER_CONN), 'matches: connection 2 of uid A adds up to the per-uid limit')
    third = add_match(conns[2], "member='Q200'")
    if ours:
        c.equal(third, LIMITS, 'matches: connection 3 of uid A gets LimitsExceeded: the uid is at its limit')
    else:
        c.note(f'{bus.daemon} has no per-uid match limit (answered {third or "ok"}); required of bulkhead-bus')
    b = [hello_as(path, ub) for _ in range(2)]
    got = [add_match(b[i // PER_CONN], f"member='B{i}'") for i in range(PER_UID)]
    c.equal(got, [None] * PER_UID, 'matches: uid B still adds its rules while uid A is at its limit')
    c.check(works(b[0]), 'matches: a normal call from uid B works')
    conns[0].close()
    # a driver round trip on another connection orders the disconnect before it
    conns[1].call(*DRIVER, 'GetId')
    conns[1].call(*DRIVER, 'GetId')
    c.equal(add_match(conns[2], "member='Q201'"), None, 'matches: closing a connection releases its rules from the uid\'s quota')
    close_all(*conns[1:], *b)


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
    ua, ub = next(UIDS), next(UIDS)
    conns = [hello_as(path, ua) for _ in range(3)]
    got = [names_until_error(conn, f'A{i}x') for i, conn in enumerate(conns)]
    c.equal(got[:2], [(NAMES_PER_CONN, LIMITS)] * 2, 'names: each connection stops at its own limit')
    if ours:
        c.equal(got[2], (NAMES_PER_UID - 2 * NAMES_PER_CONN, LIMITS),
                'names: a third connection of uid A stops at the per-uid limit')
    else:
        c.note(f'{bus.daemon} has no per-uid name limit (third connection: {got[2]}); required of bulkhead-bus')
    b = [hello_as(path, ub) for _ in range(2)]
    got_b = [names_until_error(conn, f'B{i}x', NAMES_PER_CONN) for i, conn in enumerate(b)]
    c.equal(got_b, [(NAMES_PER_CONN, None)] * 2, 'names: uid B still gets its names while uid A is at its limit')
    c.check(works(b[0]), 'names: a normal call from uid B works')
    conns[0].close()
    conns[1].call(*DRIVER, 'GetId')
    if ours:    # (dbus-daemon's third connection is at its own limit here)
        more = conns[2].call(*DRIVER, 'RequestName', 'su', ['org.example.Quota.After', 4])
        c.equal(more.error, None, 'names: closing a connection releases its names from the uid\'s quota')
    close_all(*conns[1:], *b)


def calls_of(svc, n):
    """Read n method calls arriving at svc (never answered); returns their members."""
    got = []
    try:
        while len(got) < n:
            msg = svc.recv(5 * SLOW)
            if msg.type == METHOD_CALL:
                got.append(msg.member)
    except TimeoutError:
        pass
    return got


def replies_scenario(c, bus, ours):
    """Calls a silent service has not answered count against the caller's uid."""
    path = socket_path(bus.address)
    ua, ub = next(UIDS), next(UIDS)
    svc = Conn(path, timeout=10).auth().hello()
    callers = [hello_as(path, ua) for _ in range(3)]
    for i, conn in enumerate(callers[:2]):
        for j in range(REPLIES_PER_CONN):
            conn.send(method_call(conn.next_serial(), svc.unique, '/q', 'org.example.Q', f'W{i}x{j}'))
    c.equal(len(calls_of(svc, REPLIES_PER_UID)), REPLIES_PER_UID, 'replies: the service receives the pending calls')
    serial = callers[2].next_serial()
    callers[2].send(method_call(serial, svc.unique, '/q', 'org.example.Q', 'Third'))
    if ours:
        reply = reply_to(callers[2], serial)
        c.equal(reply.error, LIMITS, 'replies: a third connection of uid A gets LimitsExceeded at the per-uid limit')
    else:
        c.note(f'{bus.daemon} has no per-uid pending-reply limit (delivered {calls_of(svc, 1)}); '
               'required of bulkhead-bus')
    b = [hello_as(path, ub) for _ in range(2)]
    for i, conn in enumerate(b):
        for j in range(REPLIES_PER_CONN):
            conn.send(method_call(conn.next_serial(), svc.unique, '/q', 'org.example.Q', f'B{i}x{j}'))
    c.equal(sorted(calls_of(svc, REPLIES_PER_UID)), sorted(f'B{i}x{j}' for i in range(2) for j in range(REPLIES_PER_CONN)),
            'replies: uid B still makes its calls while uid A is at its limit')
    c.check(works(b[0]), 'replies: a normal call from uid B works')
    if ours:
        callers[0].close()
        svc.call(*DRIVER, 'GetId')
        serial = callers[2].next_serial()
        callers[2].send(method_call(serial, svc.unique, '/q', 'org.example.Q', 'After'))
        c.equal(calls_of(svc, 1), ['After'], 'replies: closing a caller releases its pending calls from the quota')
    close_all(svc, *callers, *b)


def sender_for(path, unix_fd=False):
    """A root connection that sends the signals and hears of disconnects."""
    conn = Conn(path, timeout=10 * SLOW).auth(unix_fd).hello()
    add_match(conn, "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'")
    return conn


def log_says(bus, text):
    return text in bus.stderr()


def out_bytes_scenario(c, bus):
    """Never-reading subscribers of uid A fill its outgoing byte quota; only one goes."""
    path = socket_path(bus.address)
    ua, ub = next(UIDS), next(UIDS)
    rule = "type='signal',interface='org.example.Big'"
    subs = [hello_as(path, ua) for _ in range(4)]
    for conn in subs:
        add_match(conn, rule)
    a_svc = hello_as(path, ua)
    reader, caller = hello_as(path, ub), hello_as(path, ub)
    add_match(reader, rule)
    sender = sender_for(path)
    uniques = {conn.unique for conn in subs}
    received, sent, cut = 0, 0, set()
    # each subscriber's socket takes what the kernel buffers, then its queue grows;
    # four of them together pass the uid's 2 MiB long before one passes its own 1 MiB
    while sent < 200 and not cut:
        sender.send(signal_msg(sender.next_serial(), 'org.example.Big', 'Chunk', big_body(CHUNK), 'ay'))
        sent += 1
        sender.call(*DRIVER, 'GetId')
        received += next_of(reader, 'Chunk') is not None
        cut = gone(sender, uniques)
    c.equal(len(cut), 1, f'out bytes: uid A\'s subscribers hit the per-uid quota, one is disconnected (after {sent} signals)')
    c.check(log_says(bus, f'the outgoing queues of its uid {ua} are full'),
            'out bytes: it went for the per-uid limit')
    c.check(not log_says(bus, 'its outgoing queue is full'), 'out bytes: no connection reached its own limit')
    c.check(only_cut(subs, cut), 'out bytes: that one is cut off, the others of uid A stay connected')
    c.equal(received, sent, 'out bytes: uid B\'s reader received every signal')
    # a call to uid A's idle connection would pass its own limit, not the uid's
    body = big_body(int(OUT_BYTES * 0.9))
    serial = caller.next_serial()
    caller.send(call_msg(serial, a_svc.unique, 'Big', body, 'ay'))
    c.equal(reply_to(caller, serial).error, LIMITS,
            'out bytes: a method call to uid A over its quota gets LimitsExceeded for the caller')
    c.check(not hung_up(a_svc), 'out bytes: the destination stays connected')
    caller.send(call_msg(caller.next_serial(), reader.unique, 'Big', body, 'ay'))
    c.check(next_of(reader, 'Big') is not None, 'out bytes: the same call to uid B is delivered')
    c.check(works(caller), 'out bytes: a normal call from uid B works')
    close_all(sender, a_svc, reader, caller, *subs)


def out_fds_scenario(c, bus):
    """Queued messages with fds for uid A's never-reading subscribers: the uid's fd quota."""
    path = socket_path(bus.address)
    ua, ub = next(UIDS), next(UIDS)
    subs = [hello_as(path, ua, unix_fd=True) for _ in range(3)]
    for conn in subs:
        add_match(conn, "type='signal',interface='org.example.Fd'")
    a_svc = hello_as(path, ua, unix_fd=True)
    reader, caller = hello_as(path, ub, unix_fd=True), hello_as(path, ub, unix_fd=True)
    add_match(reader, "type='signal',interface='org.example.Fd',member='Fd'")
    sender = sender_for(path, unix_fd=True)
    uniques = {conn.unique for conn in subs}
    # fill their sockets first so that what follows is queued in the bus
    # (the kernel takes up to about two send buffers; the rest stays under 2 MiB)
    fill = (2 * wmem_default() + 128 * 1024 + CHUNK - 1) // CHUNK
    if 3 * fill * CHUNK >= 2 * OUT_BYTES * 0.9:
        c.note(f'net.core.wmem_default {wmem_default()} is too large for this scenario')
        close_all(sender, a_svc, reader, caller, *subs)
        return
    for _ in range(fill):
        sender.send(signal_msg(sender.next_serial(), 'org.example.Fd', 'Fill', big_body(CHUNK), 'ay'))
    sender.call(*DRIVER, 'GetId')
    c.equal(gone(sender, uniques), set(), 'out fds: filling the subscribers\' sockets stays under the byte quotas')
    sent, cut = 0, set()
    while sent < 10 and not cut:
        send_with_fds(sender, signal_msg(sender.next_serial(), 'org.example.Fd', 'Fd', struct.pack('<I', 0), 'h', 1), 1)
        sent += 1
        sender.call(*DRIVER, 'GetId')
        next_of(reader, 'Fd')
        cut = gone(sender, uniques)
    # three subscribers x three signals = 9 fds > 2 x 4; each holds 3 < 4
    c.equal((sent, len(cut)), (3, 1), 'out fds: uid A\'s subscribers hit the per-uid fd quota at the third signal, one goes')
    c.check(log_says(bus, f'the outgoing queues of its uid {ua} are full'), 'out fds: it went for the per-uid limit')
    c.check(only_cut(subs, cut), 'out fds: that one is cut off, the others of uid A stay connected')
    c.equal(reader.n_fds, sent, 'out fds: uid B\'s reader received every signal with its fd')
    body = struct.pack('<III', 0, 1, 2)
    serial = caller.next_serial()
    send_with_fds(caller, call_msg(serial, a_svc.unique, 'Fds', body, 'hhh', 3), 3)
    c.equal(reply_to(caller, serial).error, LIMITS,
            'out fds: a method call with fds to uid A over its fd quota gets LimitsExceeded')
    before = reader.n_fds
    send_with_fds(caller, call_msg(caller.next_serial(), reader.unique, 'Fds', body, 'hhh', 3), 3)
    c.check(next_of(reader, 'Fds') is not None and reader.n_fds == before + 3,
            'out fds: the same call to uid B is delivered with its fds')
    c.check(works(caller), 'out fds: a normal call from uid B works')
    close_all(sender, a_svc, reader, caller, *subs)


def in_bytes_scenario(c, bus):
    """Unfinished messages held from uid A's connections: the uid's input byte quota."""
    path = socket_path(bus.address)
    ua, ub = next(UIDS), next(UIDS)
    whole = signal_msg(1, 'org.example.In', 'Slow', big_body(1000 * 1024), 'ay')
    part = 900 * 1024                              # three of these pass 2 x 1 MiB, two do not
    a = [UidConn(path, ua).auth() for _ in range(3)]
    b = [UidConn(path, ub).auth() for _ in range(2)]
    for conn in a + b:
        conn.hello()
    for conn in a:
        send_part(conn, whole[:part])
    cut = [hung_up(conn, 2 * SLOW if i == 2 else 0.2) for i, conn in enumerate(a)]
    c.equal(cut, [False, False, True], 'in bytes: the connection that takes uid A over its input quota is disconnected')
    c.check(log_says(bus, f'uid {ua} holds too much unfinished input'), 'in bytes: for the per-uid limit')
    for conn in b:
        send_part(conn, whole[:part])
    c.equal([hung_up(conn, 0.2) for conn in b], [False, False], 'in bytes: uid B still holds the same')
    for conn in b + a[:2]:
        conn.send(whole[part:])
    c.check(works(b[0]) and works(b[1]), 'in bytes: uid B finishes its messages and a normal call works')
    c.check(works(a[0]), 'in bytes: uid A\'s other connections finish theirs too')
    close_all(*a, *b)


def in_fds_scenario(c, bus):
    """Fds sent ahead of the rest of their messages: the uid's input fd quota."""
    path = socket_path(bus.address)
    ua, ub = next(UIDS), next(UIDS)
    whole = signal_msg(1, 'org.example.In', 'Fds', struct.pack('<III', 0, 1, 2), 'hhh', 3)
    a = [hello_as(path, ua, unix_fd=True) for _ in range(3)]
    b = [hello_as(path, ub, unix_fd=True) for _ in range(2)]
    for conn in a:          # 3 fds each: the third connection passes 2 x 4
        send_part(conn, whole[:16], 3)
    cut = [hung_up(conn, 2 * SLOW if i == 2 else 0.2) for i, conn in enumerate(a)]
    c.equal(cut, [False, False, True], 'in fds: the connection that takes uid A over its input fd quota is disconnected')
    c.check(log_says(bus, f'uid {ua} holds too much unfinished input'), 'in fds: for the per-uid limit')
    for conn in b:
        send_part(conn, whole[:16], 3)
    c.equal([hung_up(conn, 0.2) for conn in b], [False, False], 'in fds: uid B still holds the same')
    for conn in b + a[:2]:
        conn.send(whole[16:])
    c.check(works(b[0]) and works(b[1]), 'in fds: uid B finishes its messages and a normal call works')
    c.check(works(a[0]), 'in fds: uid A\'s other connections finish theirs too')
    close_all(*a, *b)


def run(c, scenario, *args):
    """One scenario; an exception (the bus went away, a timeout) fails it, not the rest."""
    try:
        scenario(c, *args)
    except (OSError, RuntimeError, TimeoutError, Disconnected) as e:
        c.check(False, f'{scenario.__name__} runs to its end', repr(e))


def main():
    if os.geteuid() != 0:
        skip('needs root to make connections as other uids')
    c = Checks('bus: per-uid quotas')
    with Bus(extra=CONFIG, name='quota') as bus:
        ours = os.path.basename(bus.daemon) == 'bulkhead-bus'
        if not ours:    # dbus-daemon wants uids with a passwd entry
            global UIDS
            UIDS = iter(sorted({u.pw_uid for u in pwd.getpwall() if 0 < u.pw_uid < 65535} | {65534}))
        for scenario in (connections_scenario, matches_scenario, names_scenario, replies_scenario):
            run(c, scenario, bus, ours)
        if ours:
            for scenario in (out_bytes_scenario, out_fds_scenario, in_bytes_scenario, in_fds_scenario):
                run(c, scenario, bus)
        else:
            c.note(f'{bus.daemon} has no per-uid byte or fd quotas; required of bulkhead-bus')
        # every uid's connections are closed: a round trip lets the bus free them
        # (it asserts, as each uid's last one goes, that the uid's counters are all 0)
        try:
            last = Conn(socket_path(bus.address), timeout=10).auth().hello()
            last.call(*DRIVER, 'GetId')
            last.close()
        except (OSError, TimeoutError, Disconnected):
            pass
        time.sleep(0.2 * SLOW)
        c.check(bus.alive() and 'BUG: quota' not in bus.stderr(),
                'every per-uid counter is back at zero when its uid\'s connections are gone')
    c.finish(bus)


if __name__ == '__main__':
    main()
