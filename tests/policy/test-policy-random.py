#!/usr/bin/python3
# tests/policy/test-policy-random.py -- random policies, the same messages, on
# dbus-daemon and on bulkhead-bus: every outcome must be the same.
#
# Owns: what the fixed table of test-policy-daemons.py cannot reach, the
# combinations. From a fixed seed it writes POLICIES policies of 1-10 allow and
# deny rules over the send_* and receive_* attributes (names, prefixes,
# interfaces, members, paths, message types, error names, broadcast,
# requested_reply, "*" wherever dbus-daemon takes it), sometimes after a
# catch-all deny, sometimes with rules for user root or nobody or group daemon
# or nogroup, sometimes with a mandatory context; as root, the client is root,
# nobody or daemon at random. Attribute pools are small,
# so that rules and messages overlap. Each policy runs on both buses: a service
# owns some of the names and subscribes to signals, a client that owns c.Cli
# sends MESSAGES messages of random kinds (calls to the service's names and to
# its unique name, with and without an interface or NO_REPLY_EXPECTED; unicast
# and broadcast signals; replies and errors nobody asked for), and the service
# answers the calls it got with a method return or an error (also, half the
# time, calls flagged NO_REPLY_EXPECTED: replies the bus did not wait for). Compared per
# policy: whether each bus accepts the configuration; then per message: whether
# the service got it, and what the client got back (AccessDenied with its
# "N matched rules" count, another error by name, or nothing); per answer:
# whether the client got it, and what the service got back. One documented
# difference (docs/policy.md): dbus-daemon answers a message flagged
# NO_REPLY_EXPECTED anyway; bulkhead-bus must not answer it at all.
# The harness's own driver calls are allowed by rules appended after the random
# ones. Never: touches a bus it did not start.
import collections
import os
import random
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
import bustest  # noqa: E402
import rawdbus as rd  # noqa: E402

SEED = 9
POLICIES = 150
MESSAGES = 30
DAEMON = '/usr/bin/dbus-daemon'
WAIT = 10 * bustest.SLOW                # only a guard against hangs
DRIVER_NAME = 'org.freedesktop.DBus'
NAMES = ['a.Svc', 'a.Svc.Sub', 'b.Svc', 'a.Other']          # a.Other: owned by nobody
OWNED_POOL = ['a.Svc', 'a.Svc.Sub', 'b.Svc']
IFACES = ['a.I1', 'a.I2', 'b.I1']
MEMBERS = ['M1', 'M2']
PATHS = ['/p', '/p/q', '/']
ERRORS = ['a.E1', 'a.E2']
TYPES = ['method_call', 'signal', 'method_return', 'error', '*']
# as root, the client also runs as nobody or as daemon (a member of group daemon): real
# accounts of every Debian system, since dbus-daemon refuses uids without one
IDENTITIES = [0, 65534, 1] if os.geteuid() == 0 else [os.getuid()]       # uids; gid = uid
CONTEXTS = ['user="root"', 'user="nobody"', 'group="daemon"', 'group="nogroup"']
HARNESS = f'''
    <allow send_destination="{DRIVER_NAME}"/>
    <allow receive_sender="{DRIVER_NAME}"/>'''


def attribute(rnd, side):
    """One attribute of a rule on @side ('send' or 'receive'): (name, value)."""
    peer = 'destination' if side == 'send' else 'sender'
    kinds = [
        (f'{side}_{peer}', lambda: rnd.choice(NAMES + ['c.Cli', '*'])),
        (f'{side}_interface', lambda: rnd.choice(IFACES + ['*'])),
        (f'{side}_member', lambda: rnd.choice(MEMBERS + ['*'])),
        (f'{side}_path', lambda: rnd.choice(PATHS + ['*'])),
        (f'{side}_type', lambda: rnd.choice(TYPES)),
        (f'{side}_error', lambda: rnd.choice(ERRORS + ['*'])),
        (f'{side}_requested_reply', lambda: rnd.choice(['true', 'false'])),
    ]
    if side == 'send':
        kinds += [('send_destination_prefix', lambda: rnd.choice(['a.Svc', 'a', 'b.Svc'])),
                  ('send_broadcast', lambda: rnd.choice(['true', 'false']))]
    name, value = rnd.choice(kinds)
    return name, value()


def a_rule(rnd):
    side = rnd.choice(['send', 'send', 'receive'])
    attrs = {}
    for _ in range(rnd.randrange(1, 4)):
        name, value = attribute(rnd, side)
        attrs[name] = value
    # most rules valid: dbus-daemon refuses a member without an interface or a path, an
    # error name with a member or an interface, a destination with a destination prefix;
    # one in ten keeps its fault, so that refusals are compared too
    if rnd.random() < 0.9:
        if f'{side}_member' in attrs and f'{side}_interface' not in attrs and f'{side}_path' not in attrs:
            if rnd.random() < 0.5:
                attrs[f'{side}_interface'] = rnd.choice(IFACES)
            else:
                attrs[f'{side}_path'] = rnd.choice(PATHS)
        if f'{side}_error' in attrs and (f'{side}_member' in attrs or f'{side}_interface' in attrs):
            del attrs[f'{side}_error']
        if 'send_destination' in attrs and 'send_destination_prefix' in attrs:
            del attrs['send_destination_prefix']
    text = ' '.join(f'{k}="{v}"' for k, v in attrs.items())
    return f'    <{rnd.choice(["allow", "deny"])} {text}/>'


def a_policy(rnd):
    rules = [a_rule(rnd) for _ in range(rnd.randrange(1, 11))]
    if rnd.random() < 0.3:
        rules.insert(0, '    <deny send_destination="*"/>')
    text = ('  <policy context="default">\n    <allow user="*"/>\n' + '\n'.join(rules) + HARNESS
            + '\n  </policy>')
    for context in CONTEXTS:                 # rules for some identities, after the default's
        if rnd.random() < 0.25:
            rules = [a_rule(rnd) for _ in range(rnd.randrange(1, 4))]
            text += f'\n  <policy {context}>\n' + '\n'.join(rules) + HARNESS + '\n  </policy>'
    if rnd.random() < 0.2:
        text += '\n  <policy context="mandatory">\n' + a_rule(rnd) + HARNESS + '\n  </policy>'
    return text


def connect_as(path, uid):
    """A connection to @path as @uid: unless it is ours, rawdbus.connect_as() has a child
    under that uid connect, since the bus takes the peer's credentials then."""
    if uid == os.getuid():
        return rd.Conn(path, timeout=WAIT).auth().hello()
    return rd.Conn(path, timeout=WAIT, sock=rd.connect_as(path, uid), uid=uid).auth().hello()


def a_message(rnd, serial, svc_unique):
    """(description, bytes) of one message from the client."""
    kind = rnd.randrange(5)
    dest = rnd.choice(NAMES + [svc_unique])
    shown = 'SVC-UNIQUE' if dest == svc_unique else dest     # the buses number connections differently
    path, member = rnd.choice(PATHS), rnd.choice(MEMBERS)
    iface = rnd.choice(IFACES + [None])
    if kind <= 1:
        flags = 1 if rnd.random() < 0.25 else 0            # NO_REPLY_EXPECTED
        return (f'call {shown} {iface} {member} {path} flags={flags}',
                rd.method_call(serial, dest, path, iface, member, flags=flags))
    if kind == 2:
        iface = iface or IFACES[0]
        fields = {rd.F_PATH: path, rd.F_INTERFACE: iface, rd.F_MEMBER: member}
        if rnd.random() < 0.5:
            fields[rd.F_DESTINATION] = dest
        return (f'signal to {shown if rd.F_DESTINATION in fields else "all"} {iface} {member} {path}',
                rd.message(rd.SIGNAL, serial, fields))
    if kind == 3:
        return (f'method return to {shown}',
                rd.message(rd.METHOD_RETURN, serial, {rd.F_REPLY_SERIAL: 77, rd.F_DESTINATION: dest}))
    error = rnd.choice(ERRORS)
    return (f'error {error} to {shown}',
            rd.message(rd.ERROR, serial, {rd.F_REPLY_SERIAL: 77, rd.F_DESTINATION: dest, rd.F_ERROR_NAME: error}))


def error_outcome(msg):
    """What the client got back: AccessDenied with dbus-daemon's matched-rule count, or an error name."""
    text = msg.body()[0] if msg.sig.startswith('s') else ''
    if msg.error == 'org.freedesktop.DBus.Error.AccessDenied':
        words = text.split(',')[1].strip().split(' ')[0] if text.startswith('Rejected') else '?'
        return f'AccessDenied ({words} matched rules)'
    return msg.error


def answer(rnd, cli, svc, calls):
    """The service answers the calls it got (@calls: (index, message)): a method return or
    an error, to a call that waits for one and, half the time, to one flagged
    NO_REPLY_EXPECTED (a reply the bus did not wait for). Returns per answer
    (description, whether the client got it, what the bus answered the service)."""
    cli.queue, svc.queue, answers = [], [], []
    for i, call in calls:
        if call.flags & 1 and rnd.random() < 0.5:
            continue
        serial = svc.next_serial()
        fields = {rd.F_REPLY_SERIAL: call.serial, rd.F_DESTINATION: cli.unique}
        if rnd.random() < 0.3:
            fields[rd.F_ERROR_NAME] = rnd.choice(ERRORS)
            svc.send(rd.message(rd.ERROR, serial, fields))
            answers.append((serial, f'error {fields[rd.F_ERROR_NAME]} answering message {i}', call.serial))
        else:
            svc.send(rd.message(rd.METHOD_RETURN, serial, fields))
            answers.append((serial, f'method return answering message {i}', call.serial))
    svc.call(*rd.DRIVER, 'GetId')
    cli.call(*rd.DRIVER, 'GetId')
    refused = {m.reply_serial: error_outcome(m) for m in svc.queue if m.type == rd.ERROR}
    got = {m.reply_serial for m in cli.queue if m.fields.get(rd.F_SENDER) == svc.unique}
    return [(what, call_serial in got, refused.get(serial)) for serial, what, call_serial in answers]


def run(daemon, policy, plan):
    """Run @plan (seeded) on a bus of @daemon under @policy. Returns (outcomes, bus):
    outcomes None if the bus refused the policy, else [(description, delivered, reply)]
    per message; the stopped bus's .problems and .refusal (its stderr when it refused)."""
    os.environ['BUS_UNDER_TEST'] = daemon
    bus = bustest.Bus(extra=policy, name='policy-random')
    bus.refusal = ''
    try:
        bus.start()
    except RuntimeError as e:
        bus.refusal = str(e)
        shutil.rmtree(bus.dir, ignore_errors=True)
        return None, bus
    try:
        svc = rd.Conn(rd.socket_path(bus.address), timeout=WAIT).auth().hello()
        rnd = random.Random(plan)
        for name in OWNED_POOL:
            if rnd.random() < 0.7:
                svc.call(*rd.DRIVER, 'RequestName', 'su', (name, 4))
        svc.call(*rd.DRIVER, 'AddMatch', 's', ("type='signal'",))
        bus.client_uid = rnd.choice(IDENTITIES)
        cli = connect_as(rd.socket_path(bus.address), bus.client_uid)
        cli.call(*rd.DRIVER, 'RequestName', 'su', ('c.Cli', 4))
        sent = []
        for _ in range(MESSAGES):
            serial = cli.next_serial()
            what, data = a_message(rnd, serial, svc.unique)
            cli.send(data)
            sent.append((serial, what))
        # the bus handles a connection's messages in order: once the driver has
        # answered, every error for the messages before is in the client's queue
        # and every delivery to the service is queued ahead of its own answer
        cli.call(*rd.DRIVER, 'GetId')
        svc.call(*rd.DRIVER, 'GetId')
        replies = {m.reply_serial: error_outcome(m) for m in cli.queue if m.type == rd.ERROR}
        delivered = [m for m in svc.queue if m.fields.get(rd.F_SENDER) == cli.unique]
        got = {m.serial for m in delivered}
        out = [(what, serial in got, replies.get(serial)) for serial, what in sent]
        out += answer(rnd, cli, svc, [(i, m) for i, (serial, _) in enumerate(sent) for m in delivered
                                      if m.serial == serial and m.type == rd.METHOD_CALL])
        svc.close()
        cli.close()
        return out, bus
    finally:
        bus.stop()
        shutil.rmtree(bus.dir, ignore_errors=True)


def main():
    c = bustest.Checks('policy: random policies on dbus-daemon and bulkhead-bus')
    if not os.access(DAEMON, os.X_OK):
        bustest.skip(f'{DAEMON} not installed')
    ours = bustest.daemon_path()
    rnd = random.Random(SEED)
    agreed = refused = denied = delivered = 0
    uids = collections.Counter()
    buses = []
    for i in range(POLICIES):
        policy = a_policy(rnd)
        plan = rnd.randrange(1 << 30)
        want, ref_bus = run(DAEMON, policy, plan)
        got, our_bus = run(ours, policy, plan)
        if got is not None:
            buses.append(our_bus)
        if (want is None) != (got is None):
            c.check(False, f'policy {i}: both buses accept it, or both refuse it',
                    f'dbus-daemon {"refused" if want is None else "accepted"}, bulkhead-bus '
                    f'{"refused" if got is None else "accepted"}:\n{policy}\n{(ref_bus.refusal + our_bus.refusal)[-600:]}')
            continue
        if want is None:
            refused += 1
            continue
        # NO_REPLY_EXPECTED: dbus-daemon answers anyway; bulkhead-bus omits the
        # reply as the specification says (and dbus-broker does): it must send none
        want = [(w[0], w[1], None) if w[0].endswith('flags=1') else w for w in want]
        bad = [(w, g) for w, g in zip(want, got) if w != g]
        if not c.check(not bad, f'policy {i}: {MESSAGES} messages, the same outcome on both buses',
                       f'{len(bad)} differ, first: dbus-daemon {bad[0][0]}, bulkhead-bus {bad[0][1]}\n{policy}'
                       if bad else ''):
            continue
        agreed += 1
        uids[our_bus.client_uid] += 1
        delivered += sum(1 for w in want if w[1])
        denied += sum(1 for w in want if w[2] and w[2].startswith('AccessDenied'))
    c.note(f'figure: {agreed} policies agreed on every message, {refused} refused by both; '
           f'of their messages {delivered} delivered, {denied} denied; client uids {sorted(uids.items())}')
    c.check(len(uids) == len(IDENTITIES), 'the client ran as every identity', f'uids {sorted(uids)}')
    c.check(agreed >= POLICIES // 2 and delivered and denied,
            'the policies both deliver and deny (the comparison is not vacuous)',
            f'{agreed} agreed, {delivered} delivered, {denied} denied')
    c.finish(*buses)


if __name__ == '__main__':
    main()
