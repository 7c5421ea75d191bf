#!/usr/bin/python3
# tests/policy/test-policy-daemons.py -- our policy engine against real buses.
#
# Owns: a table of deliveries, name requests and connections under a few
# policies; for each, what our engine predicts (tests/policy/policy-eval, the
# compiled src/policy) and what a real bus does: dbus-daemon (the reference,
# /usr/bin/dbus-daemon) and bulkhead-bus when it is built. Verdicts and
# dbus-daemon's "N matched rules" must agree. As root, clients also run under
# other uids/gids (forked, setgroups/setgid/setuid) for user/group contexts and
# connect rules; otherwise those cases are skipped.
# Never: touches a bus it did not start, or a fixed path.
import json
import os
import re
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import bustest  # noqa: E402
import rawdbus as rd  # noqa: E402

ROOT = os.geteuid() == 0
# dbus-daemon refuses uids without a passwd entry, so the other identities are
# real accounts of every Debian system: nobody, and daemon (member of group daemon)
NOBODY, DAEMON = (65534, 65534), (1, 1)
DYNAMIC = (300001, 300001)  # no passwd entry: our numeric-id extension, bulkhead-bus only
BUILD = os.environ.get('BULKHEAD_BUILD', os.path.join(bustest.SRC, 'build'))
EVAL = os.path.join(BUILD, 'tests', 'policy', 'policy-eval')
DRIVER = 'org.freedesktop.DBus'
WAIT = 10 * bustest.SLOW  # only a guard against hangs: verdicts never depend on it

# Each policy follows the helper's allow-all default (tests/lib/bustest.py);
# a leading catch-all deny resets send/own (dbus-daemon drops earlier rules).
POLICIES = {
    'names': f'''
  <policy context="default">
    <allow user="*"/>
    <deny send_destination="*"/>
    <allow send_destination="{DRIVER}"/>
    <allow send_destination="org.example.Svc" send_interface="org.example.I1"/>
    <deny send_destination="org.example.Svc" send_interface="org.example.I1" send_member="Forbidden"/>
    <allow send_destination="org.example.Queued" send_interface="org.example.I2" send_member="Go"/>
    <allow send_destination_prefix="org.example.Pre" send_path="/p"/>
    <allow send_interface="org.example.Open"/>
    <allow send_interface="org.example.Marker"/>
    <deny send_interface="org.example.Closed"/>
    <allow send_type="method_return" send_requested_reply="true"/>
    <deny own="*"/>
    <allow own_prefix="org.example"/>
    <deny own="org.example.NoOwn"/>
    <allow own="org.example.NoOwn.Sub"/>
  </policy>''',
    'contexts': f'''
  <policy context="default">
    <allow user="*"/>
    <deny send_destination="*"/>
    <allow send_destination="{DRIVER}"/>
    <allow send_type="method_return"/>
    <allow send_destination="org.example.Svc" send_interface="org.example.Grp"/>
    <allow send_interface="org.example.Marker"/>
    <allow own="*"/>
  </policy>
  <policy group="daemon">
    <deny send_destination="org.example.Svc" send_interface="org.example.Grp"/>
    <allow send_destination="org.example.Svc" send_interface="org.example.G2"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.example.Svc" send_interface="org.example.Root"/>
  </policy>
  <policy at_console="true">
    <allow send_destination="org.example.Svc" send_interface="org.example.Console"/>
  </policy>
  <policy at_console="false">
    <allow send_destination="org.example.Svc" send_interface="org.example.NotConsole"/>
  </policy>
  <policy context="mandatory">
    <deny send_destination="org.example.Svc" send_interface="org.example.G2" send_member="Never"/>
  </policy>''',
    'receive': f'''
  <policy context="default">
    <allow user="*"/>
    <deny receive_sender="*"/>
    <allow receive_sender="{DRIVER}"/>
    <allow receive_type="method_return"/>
    <allow receive_interface="org.example.In"/>
    <deny receive_interface="org.example.In" receive_member="Nope"/>
    <allow receive_path="/only" receive_member="Here"/>
  </policy>''',
    'quirk': f'''
  <policy context="default">
    <allow user="*"/>
    <deny send_destination="*"/>
    <allow send_destination="{DRIVER}"/>
    <allow send_type="method_return"/>
    <allow send_destination="org.example.Svc"/>
    <deny send_destination="*" min_fds="1"/>
    <allow send_destination="{DRIVER}"/>
    <allow send_type="method_return"/>
    <allow send_interface="org.example.After"/>
  </policy>''',
    'numeric': f'''
  <policy context="default">
    <allow user="*"/>
    <deny send_destination="*"/>
    <allow send_destination="{DRIVER}"/>
    <allow send_type="method_return"/>
    <allow own="*"/>
    <deny own="org.example.Dyn"/>
  </policy>
  <policy user="#300001">
    <allow send_destination="org.example.Svc" send_interface="org.example.Num"/>
    <allow own="org.example.Dyn"/>
  </policy>''',
    'broadcast': f'''
  <policy context="default">
    <allow user="*"/>
    <deny send_destination="*"/>
    <allow send_destination="{DRIVER}"/>
    <allow send_type="method_return"/>
    <allow send_interface="org.example.Marker"/>
    <allow send_type="signal" send_interface="org.example.Sig" send_broadcast="true"/>
    <deny send_type="signal" send_interface="org.example.Sig" send_member="Hidden"/>
    <allow send_type="signal" send_destination="org.example.Svc" send_interface="org.example.ToSvc"/>
    <allow send_broadcast="false" send_interface="org.example.Unicast"/>
  </policy>''',
    'connect': '''
  <policy context="default">
    <deny user="*"/>
    <allow user="root"/>
    <allow group="daemon"/>
  </policy>''',
}

# (policy, kind, args..., as-uid) -- kind: call (dest, iface, member, path), own (name), connect
CASES = [
    ('names', 'call', 'org.example.Svc', 'org.example.I1', 'Hi', '/x', None),
    ('names', 'call', 'org.example.Svc', 'org.example.I1', 'Forbidden', '/x', None),
    ('names', 'call', 'org.example.Svc', 'org.example.I3', 'Hi', '/x', None),
    ('names', 'call', 'org.example.Svc', None, 'Hi', '/x', None),
    ('names', 'call', 'SVC-UNIQUE', 'org.example.I2', 'Go', '/x', None),      # queued name applies
    ('names', 'call', 'SVC-UNIQUE', 'org.example.I2', 'Stop', '/x', None),
    ('names', 'call', 'org.example.Prefix.A', 'org.example.Any', 'M', '/p', None),
    ('names', 'call', 'org.example.Prefix.A', 'org.example.Any', 'M', '/q', None),
    ('names', 'call', 'org.example.Svc', 'org.example.Open', 'M', '/x', None),
    ('names', 'call', 'org.example.Svc', 'org.example.Closed', 'M', '/x', None),
    ('names', 'own', 'org.example.Mine', None),
    ('names', 'own', 'org.example.NoOwn', None),
    ('names', 'own', 'org.example.NoOwn.Sub', None),
    ('names', 'own', 'org.example.NoOwn.Other', None),
    ('names', 'own', 'com.example.Elsewhere', None),
    ('contexts', 'call', 'org.example.Svc', 'org.example.Grp', 'M', '/x', None),
    ('contexts', 'call', 'org.example.Svc', 'org.example.Root', 'M', '/x', None),
    ('contexts', 'call', 'org.example.Svc', 'org.example.Console', 'M', '/x', None),
    ('contexts', 'call', 'org.example.Svc', 'org.example.NotConsole', 'M', '/x', None),
    ('contexts', 'call', 'org.example.Svc', 'org.example.G2', 'M', '/x', None),
    ('contexts', 'call', 'org.example.Svc', 'org.example.Grp', 'M', '/x', NOBODY),
    ('contexts', 'call', 'org.example.Svc', 'org.example.Grp', 'M', '/x', DAEMON),
    ('contexts', 'call', 'org.example.Svc', 'org.example.G2', 'M', '/x', DAEMON),
    ('contexts', 'call', 'org.example.Svc', 'org.example.G2', 'Never', '/x', DAEMON),
    ('contexts', 'call', 'org.example.Svc', 'org.example.Root', 'M', '/x', NOBODY),
    ('receive', 'call', 'org.example.Svc', 'org.example.In', 'M', '/x', None),
    ('receive', 'call', 'org.example.Svc', 'org.example.In', 'Nope', '/x', None),
    ('receive', 'call', 'org.example.Svc', 'org.example.Out', 'Here', '/only', None),
    ('receive', 'call', 'org.example.Svc', 'org.example.Out', 'Here', '/elsewhere', None),
    ('quirk', 'call', 'org.example.Svc', 'org.example.X', 'M', '/x', None),      # allow dropped
    ('quirk', 'call', 'org.example.Svc', 'org.example.After', 'M', '/x', None),
    ('names', 'stray', None),            # a method return nobody asked for
    ('contexts', 'stray', None),
    ('broadcast', 'signal', 'org.example.Sig', 'Shown', None),
    ('broadcast', 'signal', 'org.example.Sig', 'Hidden', None),
    ('broadcast', 'signal', 'org.example.ToSvc', 'X', None),      # a receiver's name applies to broadcasts
    ('broadcast', 'signal', 'org.example.Unicast', 'X', None),
    ('broadcast', 'signal', 'org.example.Other', 'X', None),
    ('connect', 'connect', None, NOBODY),
    ('connect', 'connect', None, DAEMON),
    ('connect', 'connect', None, None),
    ('numeric', 'call', 'org.example.Svc', 'org.example.Num', 'M', '/x', DYNAMIC),
    ('numeric', 'call', 'org.example.Svc', 'org.example.Num', 'M', '/x', NOBODY),
    ('numeric', 'own', 'org.example.Dyn', DYNAMIC),
    ('numeric', 'own', 'org.example.Dyn', NOBODY),
]

# Known deviations of bulkhead-bus, reported to its owner: (label, policy, kind, ids) -> why.
# They print as TAP "TODO" lines and do not fail the test; when one starts to
# agree, the test says so, so the entry can be removed.
KNOWN = {
    # empty: bulkhead-bus agrees with dbus-daemon on every case (the gid of
    # 'connect', stray replies and send_destination rules on broadcasts were
    # fixed in src/bus/); a future deviation goes here with its reason.
}

DENIED = re.compile(r'^Rejected (send|receive) message, (\d+) matched rules;')


def become(ids):
    """In a forked child: drop to uid/gid with only that group."""
    if ids:
        os.setgroups([])
        os.setgid(ids[1])
        os.setuid(ids[0])


def in_child(ids, fn):
    """Run fn() in a child as ids; return its JSON-able result (or an error string)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            become(ids)
            out = fn()
        except Exception as e:  # noqa: BLE001 -- reported to the parent
            out = {'exception': repr(e)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    return pid, r


def finish_child(pid, r):
    data = b''
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return json.loads(data.decode()) if data else {'exception': 'no result'}


def connect(bus):
    return rd.Conn(rd.socket_path(bus.address), timeout=WAIT).auth().hello()


def request_name(conn, name):
    msg = conn.call(*rd.DRIVER, 'RequestName', 'su', (name, 0))
    return ('error', msg.error, msg.body()[0] if msg.sig == 's' else '') if msg.error else ('ok', msg.body()[0])


def reply_to(conn, call):
    fields = {rd.F_REPLY_SERIAL: call.serial, rd.F_DESTINATION: call.fields[rd.F_SENDER]}
    conn.send(rd.message(rd.METHOD_RETURN, conn.next_serial(), fields))


def outcome_of_error(msg):
    text = msg.body()[0] if msg.sig.startswith('s') else ''
    m = DENIED.match(text)
    if msg.error == 'org.freedesktop.DBus.Error.AccessDenied' and m:
        return f'deny {m.group(1)} {m.group(2)}'
    return f'error {msg.error}: {text[:120]}'


class Engine:
    """policy-eval on the bus's config file."""

    def __init__(self, config):
        self.proc = subprocess.Popen([EVAL, config], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, line):
        self.proc.stdin.write(line + '\n')
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def run_call(bus, eng, svc, svc_names, dest, iface, member, path, ids):
    """Client (as ids) calls dest; returns (actual, predicted) verdicts of the call and its reply."""
    if dest == 'SVC-UNIQUE':
        dest = svc.unique

    def client():
        c = connect(bus)
        serial = c.next_serial()
        c.send(rd.method_call(serial, dest, path, iface, member))
        while True:
            msg = c.recv(WAIT)
            if msg.reply_serial == serial:
                out = 'allow' if msg.type == rd.METHOD_RETURN else outcome_of_error(msg)
                return {'call': out, 'unique': c.unique}

    got = {}

    def on_message(msg):
        if msg.type == rd.METHOD_CALL and msg.member == member:
            got['call'] = msg
            reply_to(svc, msg)
        elif msg.type == rd.ERROR and 'call' in got and msg.reply_serial is not None:
            got['reply'] = outcome_of_error(msg)
        return False

    # serve until the child has its answer
    pid, r = in_child(ids, client)
    serve(svc, r, on_message)
    got_call, reply_outcome = got.get('call'), got.get('reply')
    res = finish_child(pid, r)
    if 'exception' in res:
        return f'client failed: {res["exception"]}', '', None, None
    uid, gid = ids if ids else (os.getuid(), os.getgid())
    pred = eng.ask(f'deliver {uid} {gid} {os.getuid()} {os.getgid()} call {dest} {iface or "-"} {member} '
                   f'{path} 0 {res["unique"]} {",".join(svc_names)}')
    actual_reply = pred_reply = None
    if res['call'] == 'allow' or got_call is not None:
        actual_reply = reply_outcome or ('allow' if res['call'] == 'allow' else res['call'])
        pred_reply = eng.ask(f'deliver {os.getuid()} {os.getgid()} {uid} {gid} return {res["unique"]} - - - 1 '
                             f'{",".join(svc_names)} {res["unique"]}')
    return res['call'], pred, actual_reply, pred_reply


def run_signal(bus, eng, svc, svc_names, iface, member, ids):
    """Client broadcasts a signal, then calls svc (a marker): messages from one
    sender arrive in order, so svc has the signal before the marker or never."""
    def client():
        c = connect(bus)
        c.send(rd.message(rd.SIGNAL, c.next_serial(), {rd.F_PATH: '/sig', rd.F_INTERFACE: iface, rd.F_MEMBER: member}))
        marker = c.call(svc.unique, '/marker', 'org.example.Marker', 'Mark')
        return {'unique': c.unique, 'marker': marker.type == rd.METHOD_RETURN}

    seen = []

    def on_message(msg):
        if msg.type == rd.SIGNAL and msg.fields.get(rd.F_PATH) == '/sig' and msg.member == member:
            seen.append(msg)
        elif msg.type == rd.METHOD_CALL and msg.member == 'Mark':
            reply_to(svc, msg)
            return True
        return False

    pid, r = in_child(ids, client)
    serve(svc, r, on_message)
    res = finish_child(pid, r)
    if 'exception' in res or not res.get('marker'):
        return f'client failed: {res}', ''
    uid, gid = ids if ids else (os.getuid(), os.getgid())
    pred = eng.ask(f'deliver {uid} {gid} {os.getuid()} {os.getgid()} signal - {iface} {member} /sig 0 '
                   f'{res["unique"]} {",".join(svc_names)}')
    # a denied broadcast is dropped silently: only the verdict can be compared
    return ('allow' if seen else 'deny'), pred.split(' ')[0]


def serve(svc, r, on_message):
    """Feed svc's messages to on_message until it returns True or the child
    (pipe r) has finished and svc has nothing more to read."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if not svc.buf:
            ready, _, _ = select.select([svc.sock, r], [], [], max(0.0, deadline - time.monotonic()))
            if svc.sock not in ready:
                if r in ready:
                    return
                continue
        try:
            msg = svc.recv(max(0.1, deadline - time.monotonic()))
        except TimeoutError:
            return
        if on_message(msg):
            return


def run_stray(bus, eng, svc, svc_names, ids):
    """Client sends svc a method return it never asked for, then a marker call.
    A refusal comes back as an error before the marker's reply."""
    def client():
        c = connect(bus)
        serial = c.next_serial()
        c.send(rd.message(rd.METHOD_RETURN, serial, {rd.F_REPLY_SERIAL: 4242, rd.F_DESTINATION: svc.unique}))
        marker = c.next_serial()
        c.send(rd.method_call(marker, svc.unique, '/marker', 'org.example.Marker', 'Mark'))
        out = 'allow'
        while True:
            msg = c.recv(WAIT)
            if msg.reply_serial == serial and msg.type == rd.ERROR:
                out = outcome_of_error(msg)
            elif msg.reply_serial == marker:
                return {'unique': c.unique, 'stray': out}

    def on_message(msg):
        if msg.type == rd.METHOD_CALL and msg.member == 'Mark':
            reply_to(svc, msg)
            return True
        return False

    pid, r = in_child(ids, client)
    serve(svc, r, on_message)
    res = finish_child(pid, r)
    if 'exception' in res:
        return f'client failed: {res}', ''
    uid, gid = ids if ids else (os.getuid(), os.getgid())
    pred = eng.ask(f'deliver {uid} {gid} {os.getuid()} {os.getgid()} return {svc.unique} - - - 0 '
                   f'{res["unique"]} {",".join(svc_names)}')
    return res['stray'], pred


def verdict(checks, label, case, got, want, what):
    why = KNOWN.get((label, case))
    if why is None:
        return checks.equal(got, want, what)
    if got == want:
        checks.note(f'{what}: agrees now; remove it from KNOWN ({why})')
    else:
        print(f'not ok - {what} (got {got!r}, want {want!r}) # TODO {why}', flush=True)
    return True


def run_policy(checks, daemon, label, name, cases):
    os.environ['BUS_UNDER_TEST'] = daemon
    with bustest.Bus(extra=POLICIES[name], name=f'policy-{name}') as bus:
        eng = Engine(bus.config)
        try:
            queued_owner = connect(bus)
            svc = connect(bus)
            request_name(queued_owner, 'org.example.Queued')
            request_name(svc, 'org.example.Svc')
            request_name(svc, 'org.example.Queued')
            request_name(svc, 'org.example.Prefix.A')
            svc.call(*rd.DRIVER, 'AddMatch', 's', ("type='signal',path='/sig'",))
            names = [svc.unique, 'org.example.Svc', 'org.example.Queued', 'org.example.Prefix.A']
            if name == 'names':
                # no name was refused to the services themselves
                pass
            for case in cases:
                kind, ids = case[1], case[-1]
                what = f'{label} [{name}] {kind} {case[2:-1]} as {ids or "self"}'
                if ids and not ROOT:
                    checks.note(f'skipped (needs root): {what}')
                    continue
                if kind == 'call':
                    got, pred, got_reply, pred_reply = run_call(bus, eng, svc, names, *case[2:6], ids)
                    verdict(checks, label, case, got, pred, what)
                    if pred_reply is not None:
                        verdict(checks, label, case + ('reply',), got_reply, pred_reply, what + ' / its reply')
                elif kind == 'signal':
                    got, pred = run_signal(bus, eng, svc, names, case[2], case[3], ids)
                    verdict(checks, label, case, got, pred, what)
                elif kind == 'stray':
                    got, pred = run_stray(bus, eng, svc, names, ids)
                    verdict(checks, label, case, got, pred, what)
                elif kind == 'own':
                    def own(n=case[2]):
                        c = connect(bus)
                        res = request_name(c, n)
                        return 'allow' if res[0] == 'ok' else 'deny'
                    pid, r = in_child(ids, own)
                    got = finish_child(pid, r)
                    uid, gid = ids if ids else (os.getuid(), os.getgid())
                    verdict(checks, label, case, got, eng.ask(f'own {uid} {gid} {case[2]}'), what)
                elif kind == 'connect':
                    def conn():
                        try:
                            c = connect(bus)
                            c.call(*rd.DRIVER, 'GetId')
                            return 'allow'
                        except (rd.Disconnected, OSError):
                            return 'deny'
                    pid, r = in_child(ids, conn)
                    got = finish_child(pid, r)
                    uid, gid = ids if ids else (os.getuid(), os.getgid())
                    verdict(checks, label, case, got, eng.ask(f'connect {uid} {gid} {os.getuid()}'),
                            what)
        finally:
            eng.close()
    return bus


def smoke(daemon):
    """Does daemon get a client through Hello at all?"""
    os.environ['BUS_UNDER_TEST'] = daemon
    try:
        with bustest.Bus(name='policy-smoke') as bus:
            connect(bus).close()
            return True
    except (rd.Disconnected, OSError, RuntimeError, TimeoutError):
        return False


def main():
    if not os.access(EVAL, os.X_OK):
        bustest.skip(f'{EVAL} not built')
    daemons = []
    if os.access('/usr/bin/dbus-daemon', os.X_OK):
        daemons.append(('/usr/bin/dbus-daemon', 'dbus-daemon'))
    ours = os.path.join(BUILD, 'src', 'cli', 'bulkhead-bus')
    if os.access(ours, os.X_OK) and os.environ.get('POLICY_TEST_ONLY_DBUS_DAEMON') != '1':
        if smoke(ours):
            daemons.append((ours, 'bulkhead-bus'))
        else:
            # its own tests (tests/bus) report that; this test is about policy
            print(f'# {ours} does not answer Hello under an allow-all policy: not compared', flush=True)
    if not daemons:
        bustest.skip('neither dbus-daemon nor bulkhead-bus is available')
    checks = bustest.Checks('policy: engine vs real buses')
    buses = []
    for daemon, label in daemons:
        for name in POLICIES:
            if name == 'numeric' and label == 'dbus-daemon':
                continue  # user="#N" is ours; dbus-daemon refuses uids without passwd entries
            buses.append(run_policy(checks, daemon, label, name, [c for c in CASES if c[0] == name]))
    checks.finish(*buses)


if __name__ == '__main__':
    main()
