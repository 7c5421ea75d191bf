#!/usr/bin/python3
# tests/bus/test-driver-policy.py -- calls to the bus driver obey the policy,
# as on dbus-daemon (issue 4): the send rules decide with
# "org.freedesktop.DBus" as the destination once a peer has said Hello (Hello
# itself always passes), and BecomeMonitor needs root or the bus's own uid
# whatever the policy says. Every verdict is checked against the real
# dbus-daemon with the same configuration, then against the expected one.
# Runs as root (a client switches to nobody).
# Never: trusts its own idea of the semantics without dbus-daemon agreeing.
import os
import pwd
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import Bus, Checks, skip  # noqa: E402
from rawdbus import DRIVER, Conn, Disconnected, connect_as  # noqa: E402

REFERENCE = '/usr/bin/dbus-daemon'
MONITORING = ('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Monitoring')
INTROSPECT = ('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Introspectable')

# the driver's interfaces, some denied (the last matching rule wins)
SOME_DENIED = '''
  <policy context="default">
    <allow user="*"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"
          send_member="ListActivatableNames"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>'''
# every call to the driver denied: Hello must still pass
ALL_DENIED = '''
  <policy context="default">
    <allow user="*"/>
    <deny send_destination="org.freedesktop.DBus"/>
  </policy>'''
# the policy allows BecomeMonitor to everyone: privilege still decides
MONITOR_ALLOWED = '''
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>'''


def verdict(reply):
    """'ok', or the error name with dbus-daemon's matched-rule count when it gives one."""
    if not reply.error:
        return 'ok'
    text = reply.body()[0] if reply.body() else ''
    if text.startswith('Rejected send message, '):
        return f'{reply.error} ({text.split(";")[0]})'
    return reply.error


def calls(bus):
    """The verdicts of one client (the test's uid) on @bus, by name."""
    out = {}
    try:
        conn = Conn(bus.socket, timeout=10).auth().hello()
        out['Hello'] = 'ok'
    except (Disconnected, OSError, TimeoutError) as e:
        return {'Hello': f'failed: {e}'}
    out['GetId'] = verdict(conn.call(*DRIVER, 'GetId'))
    out['ListActivatableNames'] = verdict(conn.call(*DRIVER, 'ListActivatableNames'))
    out['Introspect'] = verdict(conn.call(*INTROSPECT, 'Introspect'))
    out['BecomeMonitor'] = verdict(conn.call(*MONITORING, 'BecomeMonitor', 'asu', [[], 0]))
    conn.close()
    return out


def monitor_as(bus, uid):
    """BecomeMonitor from a client of @uid (connected by a forked child, so the test keeps root)."""
    try:
        conn = Conn(bus.socket, timeout=10, sock=connect_as(bus.socket, uid), uid=uid).auth().hello()
        result = verdict(conn.call(*MONITORING, 'BecomeMonitor', 'asu', [[], 0]))
        conn.close()
    except Exception as e:  # noqa: BLE001 - reported as the verdict
        result = f'failed: {type(e).__name__}: {e}'
    return result


def on_both(extra, name, fn):
    """fn(bus) on bulkhead-bus and on dbus-daemon with the same configuration."""
    got = {}
    for kind in ('ours', 'dbus-daemon'):
        bus = Bus(extra=extra, name=f'drv-{name}')
        if kind == 'dbus-daemon':
            bus.daemon = REFERENCE
        with bus:
            got[kind] = fn(bus)
        got[kind + ' problems'] = bus.problems
    return got


def main():
    if os.geteuid() != 0:
        skip('needs root (a client switches to nobody)')
    if not os.access(REFERENCE, os.X_OK):
        skip(f'{REFERENCE} is not installed')
    nobody = pwd.getpwnam('nobody').pw_uid
    c = Checks('bus: calls to the bus driver obey the policy, as on dbus-daemon')

    got = on_both(SOME_DENIED, 'some', calls)
    want = {'Hello': 'ok', 'GetId': 'ok',
            'ListActivatableNames': 'org.freedesktop.DBus.Error.AccessDenied (Rejected send message, 2 matched rules)',
            'Introspect': 'org.freedesktop.DBus.Error.AccessDenied (Rejected send message, 2 matched rules)',
            'BecomeMonitor': 'org.freedesktop.DBus.Error.AccessDenied (Rejected send message, 2 matched rules)'}
    for call, expected in want.items():
        c.equal(got['dbus-daemon'].get(call), expected, f'some driver calls denied: dbus-daemon: {call}')
        c.equal(got['ours'].get(call), got['dbus-daemon'].get(call), f'some driver calls denied: {call} as dbus-daemon')

    got = on_both(ALL_DENIED, 'all', calls)
    for call in ('Hello', 'GetId', 'BecomeMonitor'):
        c.equal(got['ours'].get(call), got['dbus-daemon'].get(call), f'every driver call denied: {call} as dbus-daemon')
    c.equal(got['ours'].get('Hello'), 'ok', 'every driver call denied: Hello still passes')
    c.check(got['ours'].get('GetId', '').startswith('org.freedesktop.DBus.Error.AccessDenied'),
            'every driver call denied: GetId is refused', got['ours'].get('GetId', ''))

    got = on_both(MONITOR_ALLOWED, 'mon', lambda bus: (monitor_as(bus, nobody), monitor_as(bus, 0)))
    c.equal(got['ours'], got['dbus-daemon'], 'BecomeMonitor allowed by policy: nobody and root as dbus-daemon')
    c.check(got['ours'][0].startswith('org.freedesktop.DBus.Error.AccessDenied'),
            'BecomeMonitor allowed by policy: nobody is still refused (not privileged)', got['ours'][0])
    c.equal(got['ours'][1], 'ok', 'BecomeMonitor allowed by policy: root becomes a monitor')
    c.equal(got['ours problems'], [], 'bulkhead-bus ended cleanly')
    c.finish()


if __name__ == '__main__':
    main()
