#!/usr/bin/python3
# tests/bus/test-fairness.py -- a well-behaved caller keeps >= 90 % of its call
# rate while a hostile peer misbehaves (issue 4), measured without a clock.
#
# Owns: the fairness bar of issue 4, one scenario per offender it lists:
#   slow     a subscriber that never reads while 64 KiB signals are broadcast
#            to it and to a subscriber that reads (it must be cut off)
#   conns    a connection flood from one uid (nobody) to 1.25x
#            max_connections_per_user, the accepted ones held open
#   names    a name flood from one uid past its per-uid name quota, held
#   matches  match-rule floods from one uid past its rule quota, held:
#            ordinary signal rules (half by member, half without), and
#            eavesdrop='true' rules (any peer may add them; the policy only
#            decides delivery), the latter one connection's quota only
#   garbage  malformed messages on fresh connections (each must be cut
#            off), one every 100 good calls
# Wall-clock rates on a shared 2-core VM move by tens of percent, so the bar
# is put on the bus's own work: the bus runs under valgrind's callgrind
# (instrumentation off except in the measured windows; callgrind_control
# zeroes and dumps around them), and we count what it spends per call of a
# well-behaved caller: one connection made beforehand, 1,000 calls at queue
# 1 to a bench/bh-load.c `echo` service (the call bh-load `call` makes).
# Wherever the bus is the bottleneck a caller's rate is inversely
# proportional to that work, so for each scenario, measured on one bus
# undisturbed and then with the offender present (held, or acting in step
# with the calls: a broadcast every 31 calls, an offence every 100), with
# everything else the same in both windows:
#   - bus instructions per good call, undisturbed / with the offender >= 0.9
#   - bus system calls per good call, likewise >= 0.9
#   - bus instructions per short-lived client (connect, Hello, one call,
#     disconnect; broadcasts NameOwnerChanged twice) likewise >= 0.9
# Instruction counts are deterministic: runs differ by < 0.5 %. Also checked:
# the bus stays up, every good call is answered, the offender alone is cut
# off or refused at its quota. The bars are required of bulkhead-bus only
# (DESIGN.md); with BUS_UNDER_TEST=dbus-daemon they are printed as notes.
# Lines starting "# figure:" are the measurements; with BH_FAIRNESS_PROFILES
# set to a directory every window's profile is kept there for
# callgrind_annotate. Runs in 30-60 s.
# Skips (77): under ASan (BULKHEAD_SANITIZE=1: valgrind and ASan do not mix),
# without valgrind or a built bench/bh-load; the conns scenario alone is skipped when not root
# (the other floods then run as our own uid).
# Never: floods anything but its own private bus; leaves a process behind.
import glob
import os
import pwd
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import SRC, Bus, Checks, die_with_parent, limits, skip  # noqa: E402
from rawdbus import (DRIVER, F_DESTINATION, F_INTERFACE, F_MEMBER, F_PATH, F_SIGNATURE,  # noqa: E402
                     METHOD_CALL, SIGNAL, Conn, Disconnected, marshal, message, method_call, socket_path)

BAR = 0.9
GOOD_CALLS = 1000                   # per window, queue 1
PROBE = 10                          # the first calls of a window, dumped apart
FAR = 2                             # stop after PROBE calls at ratio < BAR / FAR
CONNECTS = 2                        # short-lived clients per window
TIMEOUT = 120                       # seconds for any one answer of the bus under callgrind
ECHO = 'com.example.Echo'
LIMITS = 'org.freedesktop.DBus.Error.LimitsExceeded'
DENIED = 'org.freedesktop.DBus.Error.AccessDenied'
# dbus-daemon's compiled-in defaults (docs/policy.md): the quotas a flood runs into
CONNS_PER_USER, NAMES_PER_CONN, MATCHES_PER_CONN = 256, 512, 512
UID_SHARE = CONNS_PER_USER // 4     # bulkhead-bus: per-uid quota = per-connection x this
FLOOD_CONNS = UID_SHARE + 4         # a name/match flood goes this many connections deep
OUTGOING = 1024 * 1024              # max_outgoing_bytes: the never-reader is cut off past it
BIG = 64 * 1024
BROADCASTS = 2 * OUTGOING // BIG    # per window, one every GOOD_CALLS / BROADCASTS calls: twice
                                    # what the never-reader may have queued
GARBAGE = GOOD_CALLS // 100         # offences per window in the garbage scenario
BIG_RULE = "type='signal',interface='com.example.Flood',member='Big'"
POLICY = '''
  <policy context="default">
    <allow user="*"/>
  </policy>'''
# valgrind counts each byte a `rep movsb`/`rep stosb` moves as one instruction, so
# glibc's copies above 2 KiB would weigh 16-32x what its vector loops (used on
# CPUs without ERMS) cost: have the bus use those, copies then count as they run
TUNABLES = 'glibc.cpu.x86_rep_movsb_threshold=0x7fffffff:glibc.cpu.x86_rep_stosb_threshold=0x7fffffff'


# ---------------------------------------------------------------- the meter

class CallgrindBus(Bus):
    """A Bus (tests/lib/bustest.py) run under callgrind, instrumentation off
    until begin(); bus.pid is the bus itself (valgrind runs in-process)."""

    def env(self):
        env = super().env()
        env['GLIBC_TUNABLES'] = TUNABLES
        env.pop('MALLOC_PERTURB_', None)    # meson's: a memset per malloc, counted too
        return env

    def start(self):
        self.out = os.path.join(self.dir, 'callgrind.out')
        argv = ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--collect-systime=yes',
                f'--callgrind-out-file={self.out}', self.daemon, f'--config-file={self.config}',
                '--nofork', '--print-address=1']
        with open(self.stderr_path, 'wb') as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                                         env=self.env(), start_new_session=True, preexec_fn=die_with_parent)
        self.address = read_line(self.proc.stdout, 60)
        if not self.address:
            self.stop()
            raise RuntimeError(f'{self.daemon} under valgrind printed no address: {self.stderr()[-2000:]}')
        self.pid = self.proc.pid
        return self

    def control(self, *args):
        subprocess.run(['callgrind_control', *args, str(self.pid)], check=True, capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)

    def begin(self):
        """Instrument and count from now on."""
        self.control('-i', 'on')
        self.control('-z')

    def dump(self, tag):
        """The bus's totals since begin() or the last dump(): {'Ir': n, 'sysCount': n}.
        With $BH_FAIRNESS_PROFILES set to a directory, the profile is kept there
        as TAG.cg (for callgrind_annotate)."""
        before = set(glob.glob(self.out + '.*'))
        self.control('-d')
        new = sorted(set(glob.glob(self.out + '.*')) - before)
        if len(new) != 1:
            raise RuntimeError(f'callgrind_control -d wrote {new}')
        keep = os.environ.get('BH_FAIRNESS_PROFILES')
        if keep:
            shutil.copy(new[0], os.path.join(keep, re.sub(r'[^A-Za-z0-9.-]+', '-', tag) + '.cg'))
        return read_totals(new[0])

    def end(self):
        self.control('-i', 'off')


def read_totals(path):
    events = totals = None
    with open(path) as f:
        for line in f:
            if line.startswith('events:'):
                events = line.split()[1:]
            elif line.startswith('totals:'):
                totals = [int(x) for x in line.split()[1:]]
    if not events or not totals:
        raise RuntimeError(f'{path}: no events/totals line')
    return dict(zip(events, totals + [0] * (len(events) - len(totals))))


def read_line(stream, timeout):
    """One line from a pipe within timeout seconds ('' on EOF or timeout)."""
    line, deadline = b'', time.monotonic() + timeout
    while not line.endswith(b'\n'):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            break
        ch = os.read(stream.fileno(), 1)
        if not ch:
            break
        line += ch
    return line.decode().strip()


class GoodCaller:
    """The well-behaved caller: one connection made before any window, calls
    at queue 1 to the echo service (the call bench/bh-load.c `call` makes)."""

    def __init__(self, path):
        self.path = path
        self.conn = Conn(path, timeout=TIMEOUT).auth().hello()
        self.done = 0

    def call(self, conn):
        reply = conn.call(ECHO, '/com/example/Echo', ECHO, 'Echo', 's', ['hello, world!'])
        if reply.error or reply.body() != ['hello, world!']:
            raise RuntimeError(f'a good call failed: {reply.error or reply.body()}')

    def calls(self, n, tick=None):
        """n calls; tick(i) after each, i counting the calls since done was set to 0."""
        for _ in range(n):
            self.call(self.conn)
            self.done += 1
            if tick:
                tick(self.done)

    def connect(self):
        """A short-lived client: connect, Hello, one call, disconnect; returns
        once the bus has seen the disconnect (its unique name is gone)."""
        conn = Conn(self.path, timeout=TIMEOUT).auth().hello()
        self.call(conn)
        conn.close()
        while self.conn.call(*DRIVER, 'NameHasOwner', 's', [conn.unique]).body() == [True]:
            pass


class Scene:
    """One scenario: a callgrind bus with the echo service and the good caller."""

    def __init__(self, c, tools, name, config=''):
        self.c, self.tools, self.name = c, tools, name
        self.bus = CallgrindBus(extra=config + POLICY, name='fair')
        self.procs = []

    def __enter__(self):
        self.good = None
        try:
            self.bus.start()
            echo = self.spawn([self.tools['bh-load'], self.bus.address, 'echo', ECHO])
            if read_line(echo.stdout, 60) != 'ready':
                raise RuntimeError('the echo service did not start')
            self.good = GoodCaller(self.bus.socket)
            # warm-up, uninstrumented: both windows start from the same state
            self.good.connect()
            self.good.calls(PROBE)
        except BaseException:
            self.__exit__(*sys.exc_info())
            raise
        return self

    def __exit__(self, *exc):
        if self.good:
            self.good.conn.close()
        for p in self.procs:
            stop(p)
        self.bus.__exit__(*exc)
        for problem in self.bus.problems:
            self.c.check(False, f'{self.name}: the bus ends cleanly', problem)
        return False

    def ours(self):
        """The bars are DESIGN.md's for bulkhead-bus; another daemon under test only gets figures."""
        return os.path.basename(self.bus.daemon) == 'bulkhead-bus'

    def spawn(self, argv, as_nobody=False):
        if as_nobody:
            pw = pwd.getpwnam('nobody')
            argv = ['setpriv', f'--reuid={pw.pw_uid}', f'--regid={pw.pw_gid}', '--clear-groups'] + argv
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             start_new_session=True, preexec_fn=die_with_parent)
        self.procs.append(p)
        return p

    def peer(self, kind, *args, as_nobody=False):
        """This script as a concurrent peer (see peer_main); returns it once it printed its first line."""
        p = self.spawn([sys.executable, os.path.abspath(__file__), '--peer', kind, self.bus.address,
                        *map(str, args)], as_nobody=as_nobody)
        p.first = read_line(p.stdout, 300)
        if not p.first:
            err = stop(p)
            raise RuntimeError(f'peer {kind} did not start: {err[-1000:]}')
        return p

    def measure(self, label, tick=None, base=None):
        """The bus's work for CONNECTS short-lived clients, then for GOOD_CALLS
        calls, tick(i) after the i-th (an offender acting in step with them).
        With base (the undisturbed figures), calls stop after PROBE if those
        are already far over the bar (a bus that spends 100x more would run
        for an hour under callgrind); the decision is on instruction counts,
        so it is as deterministic as they are."""
        bus, good, f = self.bus, self.good, {}
        bus.begin()
        try:
            for _ in range(CONNECTS):
                good.connect()
            tag = f'{self.name} {label}'
            f['conn'] = bus.dump(f'{tag} connect')['Ir'] / CONNECTS
            good.done = 0
            good.calls(PROBE, tick)
            probe = bus.dump(f'{tag} calls-probe')
            if not base or probe['Ir'] / PROBE * BAR <= base['call'] * FAR:
                good.calls(GOOD_CALLS - PROBE, tick)
            rest = bus.dump(f'{tag} calls')
        finally:
            bus.end()
        f['calls'] = good.done
        f['call'] = (probe['Ir'] + rest['Ir']) / good.done
        f['sys'] = (probe['sysCount'] + rest['sysCount']) / good.done
        self.c.check(True, f'{self.name}: {label}: {CONNECTS} short-lived clients and {good.done} calls are answered')
        return f

    def compare(self, base, hit, extra=None):
        """Print every figure; assert the bars (bulkhead-bus only)."""
        c, name = self.c, self.name
        ratio = base['call'] / hit['call']
        cratio = base['conn'] / hit['conn']
        sratio = base['sys'] / hit['sys']
        c.note(f'figure: {name}: bus instructions per good call: {base["call"]:.0f} undisturbed, '
               f'{hit["call"]:.0f} with the offender, ratio {ratio:.3f} (bar {BAR})'
               + ('' if hit['calls'] == GOOD_CALLS else f' (stopped after {hit["calls"]} calls: far over the bar)'))
        c.note(f'figure: {name}: bus system calls per good call: {base["sys"]:.2f} undisturbed, '
               f'{hit["sys"]:.2f} with the offender, ratio {sratio:.3f}')
        c.note(f'figure: {name}: bus instructions per short-lived client (connect, Hello, 1 call, disconnect): '
               f'{base["conn"]:.0f} undisturbed, {hit["conn"]:.0f} with the offender, ratio {cratio:.3f}')
        if extra:
            c.note(extra(base, hit))
        bars = [(ratio, f'{name}: a well-behaved caller keeps >= {BAR:.0%} of its call rate '
                         f'(bus instructions per call)'),
                (sratio, f'{name}: the bus makes <= {1 / BAR:.2f}x the system calls per good call'),
                (cratio, f'{name}: a short-lived well-behaved client keeps >= {BAR:.0%} of its rate '
                         f'(bus instructions per connect, Hello, call, disconnect)')]
        for value, what in bars:
            if self.ours():
                c.check(value >= BAR, what, f'ratio {value:.3f}')
            elif value < BAR:
                c.note(f'{self.bus.daemon} misses a bar required of bulkhead-bus only: {what} (ratio {value:.3f})')
        c.check(self.bus.alive(), f'{name}: the bus is still running')


def stop(p):
    """Kill a helper process (and its group); returns what it wrote to stderr."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    p.wait()
    err = p.stderr.read().decode(errors='replace') if p.stderr else ''
    for f in (p.stdin, p.stdout, p.stderr):
        if f:
            f.close()
    return err


# ---------------------------------------------------------------- peers (separate processes)

def big_signal(serial):
    payload = b'x' * (BIG - 64)
    fields = {F_PATH: '/com/example/Flood', F_INTERFACE: 'com.example.Flood', F_MEMBER: 'Big', F_SIGNATURE: 'ay'}
    return message(SIGNAL, serial, fields, struct.pack('<I', len(payload)) + payload)


def flood(conn, build, count):
    """Pipeline count requests on conn; returns (accepted, {error name: count})."""
    first = conn.serial + 1
    conn.send(b''.join(build(i, conn.next_serial()) for i in range(count)))
    ok, errors = 0, {}
    while ok + sum(errors.values()) < count:
        msg = conn.recv()
        if msg.reply_serial is None or not first <= msg.reply_serial < first + count:
            continue
        if msg.error:
            errors[msg.error] = errors.get(msg.error, 0) + 1
        else:
            ok += 1
    return ok, errors


def flood_report(held, errors, extra=''):
    names = ','.join(f'{k}={v}' for k, v in sorted(errors.items())) or 'none'
    return f'held {held} refused {sum(errors.values())} errors {names}{extra}'


def peer_main(kind, address, *args):
    """An offender that must run as another uid (nobody): floods, prints one
    line saying what it holds and what was refused, holds it until stdin EOF."""
    path = socket_path(address)
    if kind == 'conns':                 # connect past the limit, keep what is accepted
        held, errors = [], {}
        for _ in range(int(args[0])):
            try:
                conn = Conn(path, timeout=TIMEOUT).auth()
                reply = conn.call(*DRIVER, 'Hello')
                if reply.error:
                    errors[reply.error] = errors.get(reply.error, 0) + 1
                    conn.close()
                else:
                    held.append(conn)
            except (Disconnected, OSError) as e:
                errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
        for conn in held:                   # each one it counts as accepted still answers
            conn.call(*DRIVER, 'GetId')
        print(flood_report(len(held), errors), flush=True)
        sys.stdin.read()
    elif kind in ('names', 'matches', 'eavesdrop'):
        conns, held, errors = [], 0, {}
        for n in range(int(args[0])):
            conn = Conn(path, timeout=TIMEOUT).auth().hello()
            conns.append(conn)
            per = (NAMES_PER_CONN if kind == 'names' else MATCHES_PER_CONN) + 16
            ok, errs = flood(conn, lambda i, serial: flood_request(kind, n, i, serial), per)
            held += ok
            for k, v in errs.items():
                errors[k] = errors.get(k, 0) + v
        print(flood_report(held, errors, f' conns {len(conns)}'), flush=True)
        sys.stdin.read()
    else:
        raise SystemExit(f'unknown peer {kind}')


def flood_request(kind, n, i, serial):
    if kind == 'names':
        return method_call(serial, *DRIVER, 'RequestName', 'su', [f'com.example.Flood.C{n}.N{i}', 4])
    if kind == 'matches':
        # signal rules as a subscriber would add them: half by member, half without
        rule = (f"type='signal',interface='com.example.Flood',member='M{n}x{i}'" if i % 2 else
                f"type='signal',interface='com.example.Flood{n}x{i}',arg0='x'")
    else:
        # rules that ask to see other peers' calls: every unicast message is checked against them
        rule = f"eavesdrop='true',type='method_call',interface='{ECHO}',member='Echo',arg0='nomatch{n}x{i}'"
    return method_call(serial, *DRIVER, 'AddMatch', 's', [rule])


# ---------------------------------------------------------------- scenarios

def slow_reader(c, tools):
    config = limits(max_outgoing_bytes=OUTGOING, max_incoming_bytes=4 * OUTGOING)
    with Scene(c, tools, 'subscriber that never reads', config) as s:
        # a broadcaster and a subscriber that reads, in step with the good calls
        tx = Conn(s.bus.socket, timeout=TIMEOUT).auth().hello()
        rx = Conn(s.bus.socket, timeout=TIMEOUT).auth().hello()
        rx.call(*DRIVER, 'AddMatch', 's', [BIG_RULE])
        got = []

        def tick(i):
            if i % (GOOD_CALLS // BROADCASTS) == 0 and i // (GOOD_CALLS // BROADCASTS) <= BROADCASTS:
                tx.send(big_signal(tx.next_serial()))
                while rx.recv().member != 'Big':
                    pass
                got.append(i)

        base = s.measure('undisturbed (broadcast to one reader)', tick)
        lazy = Conn(s.bus.socket, timeout=30).auth().hello()
        lazy.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        lazy.call(*DRIVER, 'AddMatch', 's', [BIG_RULE])
        hit = s.measure('with a never-reading subscriber', tick)
        c.equal(len(got), 2 * BROADCASTS, f'{s.name}: a reading subscriber receives every 64 KiB signal')
        cut = lazy.is_cut_off(10)
        lazy.close()
        if s.ours():        # dbus-daemon keeps it and drops what does not fit (test-hostile.py slow)
            c.check(cut, f'{s.name}: the never-reading subscriber is disconnected past max_outgoing_bytes')
        for conn in (tx, rx):
            conn.close()
        s.compare(base, hit)


def conn_flood(c, tools):
    name = 'connection flood'
    if not other_uid():
        c.note(f'{name} skipped: needs root and a user nobody to flood as another uid')
        return
    with Scene(c, tools, name) as s:
        base = s.measure('undisturbed')
        attempts = CONNS_PER_USER + CONNS_PER_USER // 4
        flooder = s.peer('conns', attempts, as_nobody=True)
        c.note(f'figure: {name}: the offender (uid nobody) after {attempts} attempts: {flooder.first}')
        fields = flooder.first.split()
        held, refused = int(fields[1]), int(fields[3])
        c.check(held <= CONNS_PER_USER and held + refused == attempts and fields[5] == f'{LIMITS}={refused}',
                f'{name}: the offender gets LimitsExceeded past max_connections_per_user ({CONNS_PER_USER})',
                flooder.first)
        bystander = Conn(s.bus.socket, timeout=TIMEOUT).auth().hello()
        counted = connections_of(bystander, pwd.getpwnam('nobody').pw_uid)
        bystander.close()
        c.equal(counted, held, f'{name}: the bus holds exactly the offender\'s accepted connections')
        hit = s.measure(f'{held} offender connections held', base=base)
        s.compare(base, hit)


def other_uid():
    """Can offenders run as nobody (root, and the user exists)?"""
    try:
        return os.geteuid() == 0 and pwd.getpwnam('nobody') is not None
    except KeyError:
        return False


def connections_of(conn, uid):
    names = [n for n in conn.call(*DRIVER, 'ListNames').body()[0] if n.startswith(':')]
    return sum(1 for n in names if conn.call(*DRIVER, 'GetConnectionUnixUser', 's', [n]).body() == [uid])


def object_flood(c, tools, kind, name, per_conn, conns=FLOOD_CONNS):
    with Scene(c, tools, name) as s:
        base = s.measure('undisturbed')
        as_nobody = other_uid()
        flooder = s.peer(kind, conns, as_nobody=as_nobody)
        c.note(f'figure: {name}: the offender ({"uid nobody" if as_nobody else "our uid"}) on {conns} '
               f'connections: {flooder.first}')
        fields = flooder.first.split()
        held, refused = int(fields[1]), int(fields[3])
        uid_quota = per_conn * UID_SHARE
        # dbus-daemon refuses eavesdrop='true' rules the policy would never serve: AccessDenied
        refusals = {k: int(v) for k, v in (e.split('=') for e in fields[5].split(',') if '=' in e)}
        c.check(refused > 0 and set(refusals) <= {LIMITS, DENIED},
                f'{name}: the offender is refused (LimitsExceeded) past its quota', flooder.first)
        if s.ours():
            c.check(held <= uid_quota, f'{name}: the offender\'s uid holds at most its quota ({uid_quota})',
                    f'{held} held')
        if kind == 'names':
            owned = sum(1 for n in s.good.conn.call(*DRIVER, 'ListNames').body()[0]
                        if n.startswith('com.example.Flood.'))
            c.equal(owned, held, f'{name}: the bus lists exactly the names the offender holds')
        hit = s.measure(f'{held} offender {"names" if kind == "names" else "rules"} held', base=base)
        s.compare(base, hit)


def name_flood(c, tools):
    object_flood(c, tools, 'names', 'name flood', NAMES_PER_CONN)


def match_flood(c, tools):
    object_flood(c, tools, 'matches', 'match-rule flood (signal rules)', MATCHES_PER_CONN)


def eavesdrop_flood(c, tools):
    # one connection's quota only: past a few thousand such rules every message,
    # the flood's own AddMatch calls included, takes ms under callgrind (32,768
    # rules: ~8 M instructions per good call, ~4 minutes to set up)
    object_flood(c, tools, 'eavesdrop', 'match-rule flood (eavesdrop rules, one connection)', MATCHES_PER_CONN,
                 conns=1)


def garbage_offences():
    """Messages that must get their sender disconnected (test-hostile.py wire)."""
    def call(sig, body, path='/org/freedesktop/DBus'):
        return lambda conn: message(METHOD_CALL, conn.next_serial(), {
            F_PATH: path, F_INTERFACE: 'org.freedesktop.DBus', F_MEMBER: 'GetId',
            F_DESTINATION: 'org.freedesktop.DBus', F_SIGNATURE: sig}, body)

    def huge(conn):
        head = method_call(conn.next_serial(), *DRIVER, 'GetId')
        return head[:4] + struct.pack('<I', 0x80000000) + head[8:] + b'\0' * 4096

    return [
        ('garbage before auth', None),
        ('invalid signature', call('s(a', marshal('s', ['x']) + b'\0' * 8)),
        ('2 GiB length', huge),
        ('arrays 33 deep', call('a' * 33 + 'y', b'\0\0\0\0')),
        ('structs 33 deep', call('(' * 33 + 'y' + ')' * 33, b'\0' * 8)),
    ]


def garbage(c, tools):
    name = 'malformed messages'
    kinds = garbage_offences()
    with Scene(c, tools, name) as s:
        base = s.measure('undisturbed')
        missed, count = [], []

        def tick(i):
            if i % (GOOD_CALLS // GARBAGE):
                return
            what, build = kinds[len(count) % len(kinds)]
            count.append(what)
            conn = Conn(s.bus.socket, timeout=TIMEOUT)
            if build is None:
                conn.send(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n' + bytes(range(1, 256)) * 4)
            else:
                conn.auth().hello()
                conn.send(build(conn))
            if not conn.is_cut_off(60):
                missed.append(what)
            conn.close()

        hit = s.measure(f'an offence every {GOOD_CALLS // GARBAGE} calls', tick)
        c.check(len(count) == GARBAGE and not missed,
                f'{name}: each of {GARBAGE} offenders ({", ".join(k for k, _ in kinds)}) is cut off',
                f'{len(count)} offences, not cut off: {", ".join(missed)}')

        def cost(base, hit):
            each = (hit['call'] - base['call']) * GOOD_CALLS / GARBAGE
            pace = (1 / BAR - 1) * base['call'] / each * 100 if each > 0 else float('inf')
            return (f'figure: {name}: one offence costs the bus {each:.0f} instructions '
                    f'({each / base["call"]:.1f} good calls): the bar holds up to {pace:.1f} offences '
                    f'per 100 good calls (here {GARBAGE * 100 / GOOD_CALLS:.0f})')
        s.compare(base, hit, cost)


SCENARIOS = {'slow': [slow_reader], 'conns': [conn_flood], 'names': [name_flood],
             'matches': [match_flood, eavesdrop_flood], 'garbage': [garbage]}


def find_tools():
    """bench/bh-load as every meson build compiles it (bench/meson.build)."""
    build = os.environ.get('BULKHEAD_BUILD', os.path.join(SRC, 'build'))
    tools = {'bh-load': os.path.join(build, 'bench', 'bh-load')}
    if not os.access(tools['bh-load'], os.X_OK):
        skip(f'{tools["bh-load"]} not built')
    return tools


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == '--peer':
        peer_main(*sys.argv[2:])
        return
    if os.environ.get('BULKHEAD_SANITIZE') == '1':
        skip('valgrind cannot run an ASan+UBSan build; this test runs in the plain build')
    for prog in ('valgrind', 'callgrind_control', 'setpriv'):
        if not shutil.which(prog):
            skip(f'{prog} not installed')
    groups = sys.argv[1:] or list(SCENARIOS)
    for g in groups:
        if g not in SCENARIOS:
            skip(f'unknown scenario {g} (want {", ".join(SCENARIOS)})')
    c = Checks('bus: fairness under hostile peers (' + ', '.join(groups) + ')')
    tools = find_tools()
    for g in groups:
        for scenario in SCENARIOS[g]:
            start = time.monotonic()
            try:
                scenario(c, tools)
            except Exception as e:
                c.check(False, f'{scenario.__name__} ran to the end', f'{type(e).__name__}: {e}')
            c.note(f'{scenario.__name__}: {time.monotonic() - start:.1f}s')
    c.finish()


if __name__ == '__main__':
    main()
