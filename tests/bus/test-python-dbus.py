#!/usr/bin/python3
# tests/bus/test-python-dbus.py -- services and clients written with python3-dbus.
#
# Owns: name ownership and queues with every RequestName flag, ReleaseName,
# NameOwnerChanged/NameAcquired/NameLost, method calls and errors relayed
# between peers, properties, introspection, fd passing (dbus.types.UnixFd),
# signals and match rules (argN, argNpath, arg0namespace, path_namespace,
# unicast signals, RemoveMatch), Peer.Ping/GetMachineId, connection credentials.
# Several connections live in this one process on one GLib main loop; calls to
# a service in this process are made asynchronously (pump until answered).
# Never: uses a host bus.
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import SLOW, Bus, Checks, skip  # noqa: E402

try:
    import dbus
    import dbus.mainloop.glib
    import dbus.service
    from gi.repository import GLib
except ImportError as e:
    skip(f'python3-dbus or python3-gi missing: {e}')

import time  # noqa: E402

dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
CTX = GLib.MainContext.default()
DRIVER = ('org.freedesktop.DBus', '/org/freedesktop/DBus')
PRIMARY_OWNER, IN_QUEUE, EXISTS, ALREADY_OWNER = 1, 2, 3, 4
ALLOW_REPLACEMENT, REPLACE_EXISTING, DO_NOT_QUEUE = 1, 2, 4
IFACE = 'com.example.Bh.Test'


def pump(cond=lambda: False, timeout=5.0):
    """Run the main loop until cond() holds or timeout (scaled); returns cond()."""
    deadline = time.monotonic() + timeout * SLOW
    while not cond() and time.monotonic() < deadline:
        CTX.iteration(False) or time.sleep(0.002)
    return cond()


def acall(conn, dest, path, iface, method, *args, signature=None):
    """Call without blocking the loop (the callee may live in this process)."""
    box = {}
    conn.call_async(dest, path, iface, method, signature, args,
                    lambda *r: box.setdefault('ok', r), lambda e: box.setdefault('err', e))
    if not pump(lambda: box):
        raise TimeoutError(f'no reply to {iface}.{method}')
    if 'err' in box:
        raise box['err']
    r = box['ok']
    return r[0] if len(r) == 1 else (None if not r else r)


def error_name(fn):
    try:
        fn()
    except dbus.DBusException as e:
        return e.get_dbus_name()
    return None


def driver(conn):
    return dbus.Interface(conn.get_object(*DRIVER, introspect=False), 'org.freedesktop.DBus')


class Recorder:
    """Records every signal a connection receives (after the bus's filtering)."""

    def __init__(self, conn):
        self.conn, self.signals = conn, []
        conn.add_message_filter(self._filter)

    def _filter(self, conn, msg):
        if msg.get_type() == 4:   # signal
            self.signals.append((msg.get_interface(), msg.get_member(), msg.get_path(),
                                 msg.get_destination(), tuple(msg.get_args_list())))
        return None   # not handled: let python-dbus dispatch it too

    def members(self, iface=None):
        return [s[1] for s in self.signals if iface is None or s[0] == iface]


class Service(dbus.service.Object):
    """A small service: Echo, Fail, fds, and org.freedesktop.DBus.Properties."""

    def __init__(self, conn, path):
        super().__init__(conn, path)
        self.props = {'Name': dbus.String('bh'), 'Count': dbus.UInt32(7)}
        self.got_fd_text = None

    @dbus.service.method(IFACE, in_signature='s', out_signature='s')
    def Echo(self, s):
        return s

    @dbus.service.method(IFACE, in_signature='', out_signature='')
    def Fail(self):
        raise dbus.DBusException('custom failure', name='com.example.Bh.Error.Custom')

    @dbus.service.method(IFACE, in_signature='h', out_signature='s')
    def ReadFd(self, fd):
        fdno = fd.take()
        try:
            return os.read(fdno, 100).decode()
        finally:
            os.close(fdno)

    @dbus.service.method(IFACE, in_signature='', out_signature='h')
    def GiveFd(self):
        r, w = os.pipe()
        os.write(w, b'from-service')
        os.close(w)
        fd = dbus.types.UnixFd(r)
        os.close(r)
        return fd

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='ss', out_signature='v')
    def Get(self, iface, prop):
        if iface != IFACE or prop not in self.props:
            raise dbus.DBusException('no such property', name='org.freedesktop.DBus.Error.UnknownProperty')
        return self.props[prop]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='s', out_signature='a{sv}')
    def GetAll(self, iface):
        return self.props if iface == IFACE else {}

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='ssv', out_signature='')
    def Set(self, iface, prop, value):
        if prop != 'Count':
            raise dbus.DBusException('read-only', name='org.freedesktop.DBus.Error.PropertyReadOnly')
        self.props[prop] = dbus.UInt32(value)

    @dbus.service.signal(IFACE, signature='ss')
    def Changed(self, a, b):
        pass


def names_checks(c, bus):
    a, b, cc = (dbus.bus.BusConnection(bus.address) for _ in range(3))
    ra, rb = Recorder(a), Recorder(b)
    da, db, dc = driver(a), driver(b), driver(cc)
    ua, ub, uc = a.get_unique_name(), b.get_unique_name(), cc.get_unique_name()
    c.check(all(re.fullmatch(r':\d+\.\d+', u) for u in (ua, ub, uc)) and len({ua, ub, uc}) == 3,
            'unique names are distinct :N.M', f'{ua} {ub} {uc}')
    q = 'com.example.Bh.Queue'
    c.equal(int(da.RequestName(q, 0, signature='su')), PRIMARY_OWNER, 'RequestName free name: PRIMARY_OWNER')
    c.equal(int(da.RequestName(q, 0, signature='su')), ALREADY_OWNER, 'RequestName again: ALREADY_OWNER')
    c.equal(int(db.RequestName(q, 0, signature='su')), IN_QUEUE, 'RequestName taken name: IN_QUEUE')
    c.equal(int(dc.RequestName(q, DO_NOT_QUEUE, signature='su')), EXISTS, 'RequestName DO_NOT_QUEUE on taken name: EXISTS')
    c.equal(int(dc.RequestName(q, REPLACE_EXISTING | DO_NOT_QUEUE, signature='su')), EXISTS,
            'REPLACE_EXISTING without the owner\'s ALLOW_REPLACEMENT: EXISTS')
    c.equal([str(x) for x in da.ListQueuedOwners(q)], [ua, ub], 'ListQueuedOwners: owner then queue')
    c.equal(str(dc.GetNameOwner(q)), ua, 'GetNameOwner: the primary owner')
    c.equal(int(da.ReleaseName(q)), 1, 'ReleaseName by owner: RELEASED')
    c.equal(str(dc.GetNameOwner(q)), ub, 'the next in queue becomes owner')
    c.equal(int(dc.ReleaseName(q)), 3, 'ReleaseName by a non-owner: NOT_OWNER')
    c.equal(int(dc.ReleaseName('com.example.Bh.Never')), 2, 'ReleaseName of an unowned name: NON_EXISTENT')

    r = 'com.example.Bh.Replace'
    c.equal(int(da.RequestName(r, ALLOW_REPLACEMENT, signature='su')), PRIMARY_OWNER, 'RequestName ALLOW_REPLACEMENT')
    c.equal(int(db.RequestName(r, REPLACE_EXISTING, signature='su')), PRIMARY_OWNER, 'REPLACE_EXISTING takes over')
    c.equal([str(x) for x in db.ListQueuedOwners(r)], [ub, ua], 'the replaced owner (queueing) waits in the queue')
    s = 'com.example.Bh.NoQueue'
    c.equal(int(da.RequestName(s, ALLOW_REPLACEMENT | DO_NOT_QUEUE, signature='su')), PRIMARY_OWNER,
            'RequestName ALLOW_REPLACEMENT|DO_NOT_QUEUE')
    c.equal(int(db.RequestName(s, REPLACE_EXISTING, signature='su')), PRIMARY_OWNER, 'REPLACE_EXISTING over a DO_NOT_QUEUE owner')
    c.equal([str(x) for x in db.ListQueuedOwners(s)], [ub], 'the replaced DO_NOT_QUEUE owner is gone')

    c.check(pump(lambda: ('org.freedesktop.DBus', 'NameLost', '/org/freedesktop/DBus', ua, (s,))
                 in ra.signals), 'NameLost sent to the replaced owner', repr(ra.signals))
    c.check(pump(lambda: any(x[1] == 'NameAcquired' and x[4] == (q,) for x in rb.signals)),
            'NameAcquired sent to the queued owner that got the name', repr(rb.signals))
    for bad in (':1.99', 'org.freedesktop.DBus', 'com..bad', 'nodots', '1com.example'):
        name = error_name(lambda: da.RequestName(bad, 0, signature='su'))
        c.check(name in ('org.freedesktop.DBus.Error.InvalidArgs', 'org.freedesktop.DBus.Error.AccessDenied'),
                f'RequestName {bad!r} refused', repr(name))
    names = [str(x) for x in dc.ListNames()]
    c.check({'org.freedesktop.DBus', ua, ub, uc, q, r, s} <= set(names), 'ListNames has every name', repr(names))
    c.check(bool(dc.NameHasOwner(r)) and not bool(dc.NameHasOwner('com.example.Bh.Never')), 'NameHasOwner')
    c.equal(int(dc.GetConnectionUnixUser(ua)), os.getuid(), 'GetConnectionUnixUser')
    c.equal(int(dc.GetConnectionUnixProcessID(ua)), os.getpid(), 'GetConnectionUnixProcessID')
    creds = dc.GetConnectionCredentials(ua)
    c.check(int(creds.get('UnixUserID', -1)) == os.getuid() and int(creds.get('ProcessID', -1)) == os.getpid(),
            'GetConnectionCredentials: UnixUserID and ProcessID', repr(creds))
    c.equal(error_name(lambda: dc.GetNameOwner('com.example.Bh.Never')),
            'org.freedesktop.DBus.Error.NameHasNoOwner', 'GetNameOwner of a free name: NameHasNoOwner')

    # disconnecting releases every name with NameOwnerChanged, queue moves on
    watch = dbus.bus.BusConnection(bus.address)
    rw = Recorder(watch)
    watch.add_match_string("type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged'")
    b.close()
    c.check(pump(lambda: ('org.freedesktop.DBus', 'NameOwnerChanged', '/org/freedesktop/DBus', None,
                          (r, ub, ua)) in rw.signals), 'disconnect: NameOwnerChanged hands a name to the queue',
            repr(rw.signals[-6:]))
    c.check(pump(lambda: ('org.freedesktop.DBus', 'NameOwnerChanged', '/org/freedesktop/DBus', None,
                          (ub, ub, '')) in rw.signals), 'disconnect: NameOwnerChanged for the unique name')
    c.equal(str(dc.GetNameOwner(r)), ua, 'the queued owner owns the name after the disconnect')
    for conn in (a, cc, watch):
        conn.close()


def service_checks(c, bus):
    a, b = dbus.bus.BusConnection(bus.address), dbus.bus.BusConnection(bus.address)
    name = 'com.example.Bh.Service'
    c.equal(int(driver(a).RequestName(name, DO_NOT_QUEUE, signature='su')), PRIMARY_OWNER, 'service owns its name')
    svc = Service(a, '/com/example/Bh')
    path = '/com/example/Bh'
    c.equal(acall(b, name, path, IFACE, 'Echo', 'héllo ☃', signature='s'), 'héllo ☃', 'method call and reply (UTF-8)')
    c.equal(acall(b, a.get_unique_name(), path, IFACE, 'Echo', 'x' * 100000, signature='s'), 'x' * 100000,
            'call by unique name with a 100 kB argument')
    c.equal(error_name(lambda: acall(b, name, path, IFACE, 'Fail')), 'com.example.Bh.Error.Custom',
            'an error reply is relayed with its name')
    c.equal(error_name(lambda: acall(b, name, path, IFACE, 'NoSuchMethod')),
            'org.freedesktop.DBus.Error.UnknownMethod', 'UnknownMethod from the service')
    c.equal(error_name(lambda: acall(b, 'com.example.Bh.Nobody', path, IFACE, 'Echo', 'x', signature='s')),
            'org.freedesktop.DBus.Error.ServiceUnknown', 'call to an unowned name: ServiceUnknown')
    c.equal(error_name(lambda: acall(b, ':1.999999', path, IFACE, 'Echo', 'x', signature='s')),
            'org.freedesktop.DBus.Error.ServiceUnknown', 'call to an unknown unique name: ServiceUnknown')
    ua = a.get_unique_name()
    alias = ua[:ua.index('.') + 1] + '0' + ua[ua.index('.') + 1:]
    c.equal(error_name(lambda: acall(b, alias, path, IFACE, 'Echo', 'x', signature='s')),
            'org.freedesktop.DBus.Error.ServiceUnknown',
            f'{alias} is not {ua}: a leading zero names no connection')
    xml = acall(b, name, path, 'org.freedesktop.DBus.Introspectable', 'Introspect')
    c.check('<interface name="com.example.Bh.Test">' in xml and 'name="Echo"' in xml, 'Introspect the service',
            xml[:300])
    c.equal(int(acall(b, name, path, dbus.PROPERTIES_IFACE, 'Get', IFACE, 'Count', signature='ss')), 7,
            'Properties.Get')
    acall(b, name, path, dbus.PROPERTIES_IFACE, 'Set', IFACE, 'Count', dbus.UInt32(9), signature='ssv')
    props = acall(b, name, path, dbus.PROPERTIES_IFACE, 'GetAll', IFACE, signature='s')
    c.equal((str(props.get('Name')), int(props.get('Count', 0))), ('bh', 9), 'Properties.Set then GetAll')
    c.equal(error_name(lambda: acall(b, name, path, dbus.PROPERTIES_IFACE, 'Set', IFACE, 'Name', 'z',
                                     signature='ssv')),
            'org.freedesktop.DBus.Error.PropertyReadOnly', 'Properties.Set of a read-only property: error relayed')
    # fd passing both ways
    r, w = os.pipe()
    os.write(w, b'fd-from-client')
    os.close(w)
    got = acall(b, name, path, IFACE, 'ReadFd', dbus.types.UnixFd(r), signature='h')
    os.close(r)
    c.equal(got, 'fd-from-client', 'an fd passed to a service (UnixFd) is readable there')
    # many calls with an fd each in flight at once: each fd arrives with its own call
    # (the bus reads on after every write that carries fds, since the kernel ends a read there)
    replies, fds = {}, []
    for i in range(50):
        r, w = os.pipe()
        os.write(w, f'fd-{i}'.encode())
        os.close(w)
        fds.append(r)
        b.call_async(name, path, IFACE, 'ReadFd', 'h', (dbus.types.UnixFd(r),),
                     lambda v, i=i: replies.setdefault(i, str(v)), lambda e, i=i: replies.setdefault(i, e))
    pump(lambda: len(replies) == 50)
    for r in fds:
        os.close(r)
    c.equal(sorted(replies.items()), [(i, f'fd-{i}') for i in range(50)],
            '50 pipelined calls with an fd each: every fd reaches the service with its own call')
    fd = acall(b, name, path, IFACE, 'GiveFd')
    fdno = fd.take()
    c.equal(os.read(fdno, 100), b'from-service', 'an fd returned by a service is readable by the caller')
    os.close(fdno)
    # Peer interface of a peer and of the bus
    c.equal(acall(b, a.get_unique_name(), '/', 'org.freedesktop.DBus.Peer', 'Ping'), None, 'Peer.Ping a peer')
    mid = acall(b, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'GetMachineId')
    want = ''
    for f in ('/var/lib/dbus/machine-id', '/etc/machine-id'):
        if os.path.exists(f):
            want = open(f).read().strip()
            break
    c.equal(str(mid), want, 'Peer.GetMachineId of the bus is the machine id')
    c.equal(acall(b, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping'), None,
            'Peer.Ping the bus')
    svc.remove_from_connection()
    a.close(), b.close()


def signal_checks(c, bus):
    emitter = dbus.bus.BusConnection(bus.address)
    svc = Service(emitter, '/com/example/a/b')
    rules = {
        'arg0': f"type='signal',interface='{IFACE}',member='Changed',arg0='foo'",
        'arg0-miss': f"type='signal',interface='{IFACE}',arg0='bar'",
        'path_namespace': "type='signal',path_namespace='/com/example/a'",
        'path_namespace-miss': "type='signal',path_namespace='/com/example/a/b/c'",
        'arg1path': f"type='signal',interface='{IFACE}',arg1path='/com/example/'",
        'arg1path-miss': f"type='signal',interface='{IFACE}',arg1path='/com/other/'",
        'arg0namespace': f"type='signal',interface='{IFACE}',arg0namespace='foo'",
        'sender': f"type='signal',sender='{emitter.get_unique_name()}',member='Changed'",
        'sender-miss': "type='signal',sender=':1.999999',member='Changed'",
        'none': None,
    }
    conns, recs = {}, {}
    for key, rule in rules.items():
        conns[key] = dbus.bus.BusConnection(bus.address)
        recs[key] = Recorder(conns[key])
        if rule:
            conns[key].add_match_string(rule)
        conns[key].add_match_string(f"type='signal',member='Done',interface='{IFACE}'")
    svc.Changed('foo', '/com/example/x')
    svc.Changed('foo.bar', '/com/other/y')
    # a unicast signal reaches its destination even without a match rule
    msg = dbus.lowlevel.SignalMessage('/com/example/a/b', IFACE, 'Direct')
    msg.set_destination(conns['none'].get_unique_name())
    emitter.send_message(msg)
    emitter.send_message(dbus.lowlevel.SignalMessage('/com/example/a/b', IFACE, 'Done'))
    pump(lambda: all('Done' in r.members() for r in recs.values()))
    want = {
        'arg0': 1, 'arg0-miss': 0, 'path_namespace': 2, 'path_namespace-miss': 0, 'arg1path': 1,
        'arg1path-miss': 1, 'arg0namespace': 2, 'sender': 2, 'sender-miss': 0, 'none': 0,
    }
    for key, n in want.items():
        got = recs[key].members(IFACE).count('Changed')
        c.equal(got, n, f'match rule {key}: {n} of 2 signals delivered')
    c.check('Direct' in recs['none'].members() and all('Direct' not in recs[k].members() for k in rules if k != 'none'),
            'a unicast signal goes to its destination only')
    c.equal(error_name(lambda: conns['none'].remove_match_string("type='signal',member='NeverAdded'")),
            'org.freedesktop.DBus.Error.MatchRuleNotFound', 'RemoveMatch of an unknown rule: MatchRuleNotFound')
    c.equal(error_name(lambda: conns['none'].add_match_string("type='bogus'")),
            'org.freedesktop.DBus.Error.MatchRuleInvalid', 'AddMatch of an invalid rule: MatchRuleInvalid')
    c.equal(error_name(lambda: conns['none'].add_match_string("arg64='x'")),
            'org.freedesktop.DBus.Error.MatchRuleInvalid', 'AddMatch arg64: MatchRuleInvalid')
    conns['arg0'].remove_match_string(rules['arg0'])
    svc.Changed('foo', '/com/example/x')
    emitter.send_message(dbus.lowlevel.SignalMessage('/com/example/a/b', IFACE, 'Done'))
    pump(lambda: recs['arg0'].members().count('Done') == 2)
    c.equal(recs['arg0'].members(IFACE).count('Changed'), 1, 'after RemoveMatch the rule delivers nothing more')
    for conn in list(conns.values()) + [emitter]:
        conn.close()


def main():
    c = Checks('bus: python3-dbus peers')
    with Bus(name='pydbus') as bus:
        for part in (names_checks, service_checks, signal_checks):
            if not c.check(bus.alive(), f'the bus is running before {part.__name__}'):
                break
            try:
                part(c, bus)
            except Exception as e:   # a crash of one part is a failed check, the rest still runs
                c.check(False, f'{part.__name__} ran to the end', f'{type(e).__name__}: {e}')
        c.check(bus.alive(), 'the bus is still running')
    c.finish(bus)


if __name__ == '__main__':
    main()
