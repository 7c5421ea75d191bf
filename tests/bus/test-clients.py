#!/usr/bin/python3
# tests/bus/test-clients.py -- the stock command-line D-Bus clients against the bus.
#
# Owns: dbus-send (calls with --print-reply, signals), dbus-monitor (sees the
# traffic), gdbus (introspect, call, emit, monitor, errors) and busctl (list,
# call, introspect, get-property Features, monitor) on a private bus.
# Never: uses a session or system bus of the host.
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import Bus, Checks, Watcher, need, run  # noqa: E402

DBUS = ['--dest=org.freedesktop.DBus', '/org/freedesktop/DBus']


def dbus_send_checks(c, bus):
    r = run(['dbus-send', f'--bus={bus.address}', '--print-reply'] + DBUS + ['org.freedesktop.DBus.ListNames'])
    c.check(r.returncode == 0 and '"org.freedesktop.DBus"' in r.stdout, 'dbus-send ListNames lists the bus',
            r.stdout + r.stderr)
    r = run(['dbus-send', f'--bus={bus.address}', '--print-reply'] + DBUS + ['org.freedesktop.DBus.GetId'])
    c.check(r.returncode == 0 and re.search(r'string "[0-9a-f]{32}"', r.stdout), 'dbus-send GetId: 32 hex digits',
            r.stdout + r.stderr)
    r = run(['dbus-send', f'--bus={bus.address}', '--print-reply'] + DBUS +
            ['org.freedesktop.DBus.NameHasOwner', 'string:com.example.Nobody'])
    c.check(r.returncode == 0 and 'boolean false' in r.stdout, 'dbus-send NameHasOwner of a free name: false',
            r.stdout + r.stderr)
    r = run(['dbus-send', f'--bus={bus.address}', '--print-reply', '--dest=com.example.Nobody', '/', 'a.b.C'])
    c.check(r.returncode != 0 and 'org.freedesktop.DBus.Error.ServiceUnknown' in r.stderr,
            'dbus-send to a name nobody owns: ServiceUnknown', r.stdout + r.stderr)
    r = run(['dbus-send', f'--bus={bus.address}', '--print-reply'] + DBUS + ['org.freedesktop.DBus.NoSuchMethod'])
    c.check(r.returncode != 0 and 'org.freedesktop.DBus.Error.UnknownMethod' in r.stderr,
            'dbus-send unknown driver method: UnknownMethod', r.stdout + r.stderr)
    r = run(['dbus-send', f'--bus={bus.address}', '--print-reply', '--dest=org.freedesktop.DBus', '/',
             'org.freedesktop.DBus.Peer.GetMachineId'])
    c.check(r.returncode == 0 and re.search(r'string "[0-9a-f]{32}"', r.stdout), 'dbus-send Peer.GetMachineId',
            r.stdout + r.stderr)


def monitor_checks(c, bus):
    mon = Watcher(['dbus-monitor', '--address', bus.address])
    gmon = Watcher(['gdbus', 'monitor', '--address', bus.address, '--dest', 'org.freedesktop.DBus'])
    bmon = Watcher(['busctl', f'--address={bus.address}', 'monitor'])
    n = [0]

    def send_signal():
        n[0] += 1
        run(['dbus-send', f'--bus={bus.address}', '--type=signal', '/com/example/bh',
             'com.example.Bh.BhPing', f'string:ping-{n[0]}'])

    c.check(mon.wait_for('member=BhPing', poke=send_signal) and mon.wait_for('string "ping-'),
            'dbus-monitor sees a signal sent with dbus-send', mon.output()[-1500:])
    c.check(bmon.wait_for('Member=BhPing', poke=send_signal) and bmon.wait_for('STRING "ping-'),
            'busctl monitor sees a signal sent with dbus-send', bmon.output()[-1500:])
    # --session, not --address: with --address gdbus makes a peer-to-peer connection
    # that never says Hello, and a bus must refuse what it sends
    r = run(['gdbus', 'emit', '--session', '--object-path', '/com/example/bh',
             '--signal', 'com.example.Bh.Emitted', "'from-gdbus'"],
            env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address))
    c.check(r.returncode == 0, 'gdbus emit', r.stderr)
    c.check(mon.wait_for('member=Emitted') and mon.wait_for('string "from-gdbus"'),
            'dbus-monitor sees the signal from gdbus emit', mon.output()[-1500:])
    # every new connection makes the bus emit NameOwnerChanged; gdbus monitor --dest
    # org.freedesktop.DBus shows the bus driver's signals
    c.check(gmon.wait_for('org.freedesktop.DBus.NameOwnerChanged', poke=send_signal),
            'gdbus monitor sees NameOwnerChanged from the bus', gmon.output()[-1500:])
    mon.stop(), gmon.stop(), bmon.stop()


def gdbus_checks(c, bus):
    base = ['gdbus', 'call', '--address', bus.address, '--dest', 'org.freedesktop.DBus',
            '--object-path', '/org/freedesktop/DBus', '--method']
    r = run(['gdbus', 'introspect', '--address', bus.address, '--dest', 'org.freedesktop.DBus',
             '--object-path', '/org/freedesktop/DBus'])
    c.check(r.returncode == 0 and 'interface org.freedesktop.DBus {' in r.stdout and 'ListQueuedOwners' in r.stdout
            and 'NameOwnerChanged' in r.stdout, 'gdbus introspect the driver', r.stdout[-800:] + r.stderr)
    r = run(base + ['org.freedesktop.DBus.GetNameOwner', 'org.freedesktop.DBus'])
    c.equal(r.stdout.strip(), "('org.freedesktop.DBus',)", 'gdbus call GetNameOwner(org.freedesktop.DBus)')
    r = run(base + ['org.freedesktop.DBus.RequestName', 'com.example.Gdbus', '0'])
    c.equal(r.stdout.strip(), '(uint32 1,)', 'gdbus call RequestName: PRIMARY_OWNER')
    r = run(base + ['org.freedesktop.DBus.Peer.Ping'])
    c.equal((r.returncode, r.stdout.strip()), (0, '()'), 'gdbus call Peer.Ping on the bus')
    r = run(['gdbus', 'call', '--address', bus.address, '--dest', 'com.example.Nobody', '--object-path', '/',
             '--method', 'a.b.C'])
    c.check(r.returncode != 0 and 'org.freedesktop.DBus.Error.ServiceUnknown' in r.stderr,
            'gdbus call to a free name: ServiceUnknown', r.stderr)
    r = run(base + ['org.freedesktop.DBus.GetNameOwner', 'com.example.Nobody'])
    c.check(r.returncode != 0 and 'org.freedesktop.DBus.Error.NameHasNoOwner' in r.stderr,
            'gdbus GetNameOwner of a free name: NameHasNoOwner', r.stderr)
    r = run(base + ['org.freedesktop.DBus.Properties.Get', 'org.freedesktop.DBus', 'Interfaces'])
    c.check(r.returncode == 0 and 'org.freedesktop.DBus.Monitoring' in r.stdout,
            'gdbus Properties.Get Interfaces lists Monitoring', r.stdout + r.stderr)


def busctl_checks(c, bus):
    b = ['busctl', f'--address={bus.address}']
    r = run(b + ['list', '--no-pager'])
    c.check(r.returncode == 0 and 'org.freedesktop.DBus' in r.stdout, 'busctl list', r.stdout + r.stderr)
    r = run(b + ['call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                 'GetNameOwner', 's', 'org.freedesktop.DBus'])
    c.equal(r.stdout.strip(), 's "org.freedesktop.DBus"', 'busctl call GetNameOwner')
    r = run(b + ['introspect', '--no-pager', 'org.freedesktop.DBus', '/org/freedesktop/DBus'])
    c.check(r.returncode == 0 and re.search(r'^\.RequestName\s+method\s+su\s+u', r.stdout, re.M)
            and 'org.freedesktop.DBus.Properties' in r.stdout, 'busctl introspect the driver',
            r.stdout[-800:] + r.stderr)
    r = run(b + ['get-property', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                 'Features'])
    c.check(r.returncode == 0 and r.stdout.startswith('as ') and '"HeaderFiltering"' in r.stdout,
            'busctl get-property Features lists HeaderFiltering', r.stdout + r.stderr)
    r = run(b + ['call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                 'GetConnectionUnixUser', 's', 'org.freedesktop.DBus'])
    c.check(r.returncode == 0 and r.stdout.startswith('u '), 'busctl GetConnectionUnixUser of the bus',
            r.stdout + r.stderr)


def main():
    need('dbus-send', 'dbus-monitor', 'gdbus', 'busctl')
    c = Checks('bus: command-line clients')
    with Bus(name='clients') as bus:
        for part in (dbus_send_checks, gdbus_checks, busctl_checks, monitor_checks):
            if not c.check(bus.alive(), f'the bus is running before {part.__name__}'):
                break
            part(c, bus)
        c.check(bus.alive(), 'the bus is still running')
    c.finish(bus)


if __name__ == '__main__':
    main()
