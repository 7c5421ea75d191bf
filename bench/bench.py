#!/usr/bin/env python3
"""bench/bench.py -- bulkhead-bus, dbus-daemon and dbus-broker side by side.

Runs every measurement on every bus in one run, alternating the order each
repetition, and prints one table: medians (with min-max spread), the ratio of
bulkhead-bus to the better peer and, for call rates, to the raw relay floor.
Writes the same rows as CSV under bench/results/. See bench/README.md.
Never part of `make check`: numbers on a shared 2-core VM move; ratios
measured in one run are what count.
"""
import argparse
import csv
import datetime
import os
import platform
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
CONFIG = '''<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
{rules}
  </policy>
  <limit name="max_connections_per_user">100000</limit>
  <limit name="max_completed_connections">100000</limit>
  <limit name="max_match_rules_per_connection">100000</limit>
  <limit name="max_names_per_connection">100000</limit>
  <limit name="max_replies_per_connection">100000</limit>
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
</busconfig>
'''
ECHO = 'com.example.Echo'


def policy_rules(n):
    """n rules that never match the benchmark's traffic but must be looked at."""
    return '\n'.join(f'    <deny send_destination="com.example.Other{i}" send_interface="com.example.I{i}"/>'
                     for i in range(n))


class Bus:
    """One bus under test, started fresh in its own temp dir."""

    def __init__(self, kind, tools, rules=0):
        self.kind, self.tools = kind, tools
        self.dir = tempfile.mkdtemp(prefix=f'bh-bench-{kind}-')
        self.socket = os.path.join(self.dir, 'bus')
        self.config = os.path.join(self.dir, 'bus.conf')
        with open(self.config, 'w') as f:
            f.write(CONFIG.format(socket=self.socket, rules=policy_rules(rules)))
        self.procs = []
        self.proc = None

    def argv(self):
        if self.kind == 'dbus-daemon':
            return ['dbus-daemon', f'--config-file={self.config}', '--nofork', '--print-address=1']
        if self.kind == 'bulkhead-bus':
            return [self.tools['bulkhead-bus'], f'--config-file={self.config}', '--nofork', '--print-address=1']
        return [self.tools['run-dbus-broker'], '--print-address', '--max-fds', '1000000', '--max-objects',
                '1000000', '--max-matches', '1000000', '--max-bytes', '1000000000', self.socket]

    def start(self):
        """Start the bus and answer its first Hello; on failure nothing is left (its dir, a
        process that printed no address), so that every caller may start() outside a try."""
        try:
            t0 = time.monotonic()
            self.proc = subprocess.Popen(self.argv(), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
            line = self.proc.stdout.readline().decode().strip()
            self.t_address = time.monotonic() - t0
            if not line:
                raise RuntimeError(f'{self.kind} did not start')
            self.address = f'unix:path={self.socket}'
            self.t_hello = hello_time(self.socket) + self.t_address
        except BaseException:
            self.stop()
            raise
        return self

    def pid(self):
        """The process doing the bus work (dbus-broker runs under its launcher)."""
        if self.kind != 'dbus-broker':
            return self.proc.pid
        with open(f'/proc/{self.proc.pid}/task/{self.proc.pid}/children') as f:
            return int(f.read().split()[0])

    def cpu_seconds(self):
        """CPU time the bus used so far: /proc/PID/schedstat in ns (exact), else
        utime+stime from /proc/PID/stat (10 ms ticks: too coarse for short runs)."""
        try:
            with open(f'/proc/{self.pid()}/schedstat') as f:
                return int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            with open(f'/proc/{self.pid()}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')

    def mem_kb(self, dirty=False):
        """(RSS, PSS) in kB; with @dirty also Private_Dirty: the pages only this bus has written
        (heap, stack, data), which unlike PSS does not depend on who else maps the same files."""
        rss, pss, priv = proc_mem_kb(self.pid())
        return (rss, pss, priv) if dirty else (rss, pss)

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait()
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def spawn(self, argv):
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, DBUS_SESSION_BUS_ADDRESS=self.address))
        self.procs.append(p)
        return p

    def echo(self):
        p = self.spawn([self.tools['bh-load'], self.address, 'echo', ECHO])
        p.stdout.readline()
        return p

    def test_tool_echo(self):
        """PERF.md's reference service, `dbus-test-tool echo --name=com.example.Echo` (libdbus),
        once it owns the name."""
        p = self.spawn(['dbus-test-tool', 'echo', f'--name={ECHO}'])
        argv = ['dbus-send', f'--bus={self.address}', '--print-reply', '--dest=org.freedesktop.DBus',
                '/org/freedesktop/DBus', 'org.freedesktop.DBus.NameHasOwner', f'string:{ECHO}']
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            out = subprocess.run(argv, capture_output=True, text=True).stdout
            if 'boolean true' in out:
                return p
            time.sleep(0.005)
        raise RuntimeError('dbus-test-tool echo did not take its name')


def proc_mem_kb(pid):
    """(RSS, PSS, Private_Dirty) of process @pid in kB, from /proc/PID/smaps_rollup."""
    rss = pss = priv = 0
    with open(f'/proc/{pid}/smaps_rollup') as f:
        for line in f:
            if line.startswith('Rss:'):
                rss = int(line.split()[1])
            elif line.startswith('Pss:'):
                pss = int(line.split()[1])
            elif line.startswith('Private_Dirty:'):
                priv = int(line.split()[1])
    return rss, pss, priv


def idle_floor(tools, which):
    """The memory floor of the idle rows: idle-floor.c, a process on the same libc that only
    waits, measured as m_idle_mem() measures a bus (after the same pause)."""
    def run():
        p = subprocess.Popen([tools['idle-floor']], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            p.stdout.readline()
            time.sleep(0.2)
            rss, pss, priv = proc_mem_kb(p.pid)
        finally:
            p.kill()
            p.wait()
        return {'rss': rss, 'pss': pss, 'dirty': priv}[which]
    return run


def hello_time(path):
    """Seconds from the first connect() attempt to the answer of Hello, on a raw socket."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX)
    for _ in range(2000):
        try:
            s.connect(path)
            break
        except OSError:
            time.sleep(0.0005)
    uid = str(os.getuid()).encode().hex()
    s.sendall(b'\0AUTH EXTERNAL ' + uid.encode() + b'\r\nBEGIN\r\n' + hello_message())
    data = b''
    while True:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError('the bus closed the connection before answering Hello')
        data += chunk
        end = data.find(b'\r\n')
        msg = data[end + 2:] if end >= 0 else b''
        if len(msg) >= 16:
            flen = int.from_bytes(msg[12:16], 'little')
            blen = int.from_bytes(msg[4:8], 'little')
            if len(msg) >= ((16 + flen + 7) & ~7) + blen:
                break
    t = time.monotonic() - t0
    s.close()
    return t


def hello_message():
    """org.freedesktop.DBus.Hello() as bytes, serial 1, little-endian."""
    fields = b''
    for code, sig, val in ((1, 'o', '/org/freedesktop/DBus'), (2, 's', 'org.freedesktop.DBus'),
                           (3, 's', 'Hello'), (6, 's', 'org.freedesktop.DBus')):
        fields += b'\0' * (-len(fields) % 8)
        v = val.encode()
        fields += bytes([code, 1]) + sig.encode() + b'\0' + len(v).to_bytes(4, 'little') + v + b'\0'
    hdr = b'l\x01\x00\x01' + (0).to_bytes(4, 'little') + (1).to_bytes(4, 'little') + \
        len(fields).to_bytes(4, 'little') + fields
    return hdr + b'\0' * (-len(hdr) % 8)


def run_time(argv, env):
    t0 = time.monotonic()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - t0


# ---- measurements: each takes a started Bus and returns a number --------------------------

def m_spam(count, queue, clients):
    """PERF.md's reference load: dbus-test-tool spam against dbus-test-tool echo."""
    def run(bus):
        bus.test_tool_echo()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address)
        argv = ['dbus-test-tool', 'spam', f'--dest={ECHO}', f'--count={count // clients}', f'--queue={queue}']
        t0 = time.monotonic()
        ps = [subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for _ in range(clients)]
        if any(p.wait() for p in ps):
            raise RuntimeError('spam failed')
        return (count // clients) * clients / (time.monotonic() - t0)
    return run


def proc_cpu_seconds(pid):
    """CPU time of a running process so far (/proc/PID/schedstat, ns)."""
    with open(f'/proc/{pid}/schedstat') as f:
        return int(f.read().split()[0]) / 1e9


def m_spam_ceiling(count, queue, clients=1):
    """The most calls/s the libdbus clients (dbus-test-tool spam) and the echo service could make
    with a bus that cost nothing: min(clients / C, 1 / E, CPUs / (C + E)), where C and E are the
    CPU time per call of the clients (user + system of the finished processes) and of the one
    echo service (schedstat) in this run. What a call-rate target asks for beyond this is not the bus's to
    give."""
    def run(bus):
        echo = bus.test_tool_echo()
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=bus.address)
        argv = ['dbus-test-tool', 'spam', f'--dest={ECHO}', f'--count={count // clients}', f'--queue={queue}']
        e0 = proc_cpu_seconds(echo.pid)
        ps = [subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for _ in range(clients)]
        c = 0.0
        for p in ps:
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            if p.returncode:
                raise RuntimeError('spam failed')
            c += ru.ru_utime + ru.ru_stime
        e = proc_cpu_seconds(echo.pid) - e0
        calls = count // clients * clients
        return min(clients / (c / calls), 1 / (e / calls), (os.cpu_count() or 1) / ((c + e) / calls))
    return run


def calls(bus, count, queue, clients=1, fd=False):
    """`bh-load call`: @count calls to the echo service, @queue in flight per client; its
    output ("calls/s p50_us p99_us")."""
    argv = [bus.tools['bh-load'], bus.address, 'call', ECHO, str(count), str(queue), str(clients)]
    return subprocess.run(argv + (['--fd'] if fd else []), check=True, capture_output=True, text=True).stdout


def warm_up(bus, queue):
    """A few hundred calls first: the bus's allocator settles (after 10,000 AddMatch the
    first calls pay a one-off consolidation of the freed heap) and caches are warm."""
    calls(bus, 500, queue)


def m_load(count, queue, clients=1, fd=False, field=0):
    def run(bus):
        bus.echo()
        warm_up(bus, queue)
        return float(calls(bus, count, queue, clients, fd).split()[field])
    return run


def cpu_per_call(bus, count, queue):
    """Bus CPU time per call (us) over @count calls. Far less sensitive to other load on the
    machine than a call rate: what the bus itself spends, not how often it got a CPU."""
    t0 = bus.cpu_seconds()
    calls(bus, count, queue)
    return (bus.cpu_seconds() - t0) * 1e6 / count


def m_cpu_per_call(count, queue):
    def run(bus):
        bus.echo()
        warm_up(bus, queue)
        return cpu_per_call(bus, count, queue)
    return run


def m_syscalls_per_call(count, queue):
    def run(bus):
        if not shutil.which('strace'):
            return float('nan')
        bus.echo()
        out = os.path.join(bus.dir, 'strace')
        st = subprocess.Popen(['strace', '-c', '-f', '-o', out, '-p', str(bus.pid())],
                              stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        calls(bus, count, queue)
        st.send_signal(signal.SIGINT)
        st.wait()
        total = 0
        with open(out) as f:
            for line in f:
                if line.strip().endswith('total'):
                    total = int(line.split()[3])  # % time, seconds, usecs/call, calls
        return total / count
    return run


def perf_counts_syscalls():
    """True if `perf stat` can count the raw_syscalls:sys_enter tracepoint here (linux-perf
    installed for this kernel, and root or a permissive perf_event_paranoid)."""
    try:
        return subprocess.run(['perf', 'stat', '-x,', '-e', 'raw_syscalls:sys_enter', '--', 'true'],
                              capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def m_syscalls_per_call_perf(count, queue, usable):
    """System calls per call in the bus at full speed: the kernel counts the bus's
    raw_syscalls:sys_enter events (`perf stat -p`) while the bus works at the speed it
    has untraced. strace stops the bus at every system call, so more messages pile up
    between its reads and a bus that batches looks as if it made fewer calls."""
    def run(bus):
        if not usable:
            return float('nan')
        bus.echo()
        warm_up(bus, queue)
        stop = perf_syscalls(bus.pid())
        try:
            calls(bus, count, queue)
        finally:
            n = stop()
        return n / count
    return run


def perf_syscalls(pid):
    """`perf stat` counting the system calls of process @pid; stop() -> the count.
    perf starts with its counters off (-D -1) and is told to enable them through its control
    fifo; it acks once they count, so no call made after this returns is missed, however long
    perf takes to attach on a loaded machine."""
    d = tempfile.mkdtemp(prefix='bh-bench-perf-')
    ctl, ack = os.path.join(d, 'ctl'), os.path.join(d, 'ack')
    os.mkfifo(ctl)
    os.mkfifo(ack)
    st = subprocess.Popen(['perf', 'stat', '-x,', '-e', 'raw_syscalls:sys_enter', '-p', str(pid), '-D', '-1',
                           '--control', f'fifo:{ctl},{ack}'],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    fd = -1
    try:
        deadline = time.monotonic() + 30
        while fd < 0:  # the write end opens once perf holds the read end
            try:
                fd = os.open(ctl, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                if st.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError('perf stat did not start')
                time.sleep(0.01)
        afd = os.open(ack, os.O_RDONLY | os.O_NONBLOCK)
        try:
            os.write(fd, b'enable\n')
            got = b''
            while b'\n' not in got:  # perf writes "ack\n\0"
                if not select.select([afd], [], [], max(deadline - time.monotonic(), 0))[0]:
                    raise RuntimeError('perf stat did not enable its counters')
                chunk = os.read(afd, 64)
                if not chunk:  # perf closed its end: it exited
                    raise RuntimeError('perf stat exited before it acknowledged')
                got += chunk
        finally:
            os.close(afd)
    except BaseException:
        st.kill()
        st.wait()
        raise
    finally:
        if fd >= 0:
            os.close(fd)
        shutil.rmtree(d, ignore_errors=True)

    def stop():
        st.send_signal(signal.SIGINT)
        for line in st.communicate()[1].splitlines():
            fields = line.split(',')
            if len(fields) > 2 and fields[2] == 'raw_syscalls:sys_enter' and fields[0].isdigit():
                return int(fields[0])
        return float('nan')
    return stop


def relay_syscalls_per_call(tools, count, queue, usable):
    """The floor of sys_call_perf: the raw relay's system calls per call, counted as a bus's
    (relay-floor --hold says its relay's pid and waits until perf is attached)."""
    def run():
        if not usable:
            return float('nan')
        p = subprocess.Popen([tools['relay-floor'], '--hold', str(count), str(queue)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        try:
            stop = perf_syscalls(int(p.stdout.readline()))
        except BaseException:
            p.stdin.close()  # relay-floor --hold then stops its relay and server and exits
            p.wait()
            raise
        try:
            p.stdin.write('\n')
            p.stdin.close()
            p.stdout.read()
        finally:
            n = stop()
        if p.wait() != 0:
            raise RuntimeError('relay-floor failed')
        return n / count
    return run


def hold_matches(bus, n):
    """Another connection holding @n match rules that never match what is measured."""
    p = bus.spawn([bus.tools['bh-load'], bus.address, 'hold', '1', str(n)])
    p.stdout.readline()


def add_subscriber(bus, reads=False):
    """One more subscriber to the fan-out's signals: one that never reads, or (@reads) one
    that reads and drops all it gets, for comparison."""
    p = bus.spawn([bus.tools['bh-load'], bus.address, 'reader' if reads else 'stuck'])
    p.stdout.readline()
    # until its socket is full one that never reads is one more subscriber like the others;
    # what is measured is the state after that, in which the bus holds its messages
    subprocess.run([bus.tools['bh-load'], bus.address, 'fanout', '1', '3000'], check=True,
                   capture_output=True)


def fanout(bus, subs, count):
    """`bh-load fanout`: signal deliveries/s to @subs subscribers, @count signals."""
    out = subprocess.run([bus.tools['bh-load'], bus.address, 'fanout', str(subs), str(count)], check=True,
                         capture_output=True, text=True).stdout
    return float(out.split()[0])


def m_fanout(subs, count, nmatch=0, stuck=False):
    def run(bus):
        if nmatch:  # rules of another connection that never match the signal: must cost ~nothing
            hold_matches(bus, nmatch)
        if stuck:  # one more subscriber that never reads: must cost the others nothing
            add_subscriber(bus)
        return fanout(bus, subs, count)
    return run


def m_paired(what, count, rules=0, nmatch=0, stuck=False, pairs=3):
    """What a load costs a bus, in % of its rate (@what 'calls', 'fanout') or of its CPU per call
    ('cpu'): two buses of the kind run side by side, the second with the load (@rules policy
    rules in its configuration, another connection holding @nmatch match rules, or @stuck: a
    subscriber that never reads, where the first has one that reads, so that what is measured
    is its not reading, not one more receiver), and they are measured in turn, @pairs times,
    which of the two goes first alternating; the result is from the median of the pairs'
    ratios. On a shared machine the load of other tenants moves within tens of seconds, so two
    rows measured apart can differ by 25 % with no load at all; the two halves of a pair are a
    second apart."""
    def prepare(bus):
        """after the load: the first calls after 10,000 AddMatch pay a one-off (warm_up())"""
        if what == 'fanout':
            fanout(bus, 10, 500)
        else:
            bus.echo()
            warm_up(bus, 10)

    def measure(bus):
        if what == 'calls':
            return float(calls(bus, count, 10).split()[0])
        if what == 'cpu':
            return cpu_per_call(bus, count, 10)
        return fanout(bus, 10, count)

    def run(base):
        loaded = Bus(base.kind, base.tools, rules).start()
        try:
            if nmatch:
                hold_matches(loaded, nmatch)
            if stuck:
                add_subscriber(base, reads=True)
                add_subscriber(loaded)
            prepare(base)
            prepare(loaded)
            ratios = []
            for i in range(pairs):  # which goes first alternates: no bias to either place
                if i % 2:
                    x = measure(loaded)
                    ratios.append(x / measure(base))
                else:
                    b = measure(base)
                    ratios.append(measure(loaded) / b)
            r = statistics.median(ratios)
            return (r - 1 if what == 'cpu' else 1 - r) * 100
        finally:
            loaded.stop()
    return run


def m_startup(which):
    def run(bus):
        return (bus.t_hello if which == 'hello' else bus.t_address) * 1000
    return run


def m_idle_mem(which):
    def run(bus):
        time.sleep(0.2)
        rss, pss, priv = bus.mem_kb(dirty=True)
        return {'rss': rss, 'pss': pss, 'dirty': priv}[which]
    return run


def m_idle_pss_many(n):
    """Idle PSS per bus with @n buses of the kind running at once: what each VM's bus costs a
    host that runs many. Their binary and libraries are shared among them, so what is left is
    mostly each bus's private memory."""
    def run(bus):
        more = []
        try:
            for _ in range(n - 1):
                more.append(Bus(bus.kind, bus.tools).start())
            time.sleep(0.2)
            return sum(b.mem_kb()[1] for b in [bus] + more) / n
        finally:
            for b in more:
                b.stop()
    return run


def m_per_object(conns, matches):
    """Growth of the bus's private dirty memory per connection or match rule: what holding them
    allocates. Not PSS: PSS moves with how many processes map the same libc pages (the load
    generator itself is one more), which swung the 200-connection figure by +-120 %."""
    def run(bus):
        time.sleep(0.2)
        base = bus.mem_kb(dirty=True)[2]
        p = bus.spawn([bus.tools['bh-load'], bus.address, 'hold', str(conns), str(matches)])
        p.stdout.readline()
        time.sleep(0.3)
        grown = bus.mem_kb(dirty=True)[2] - base
        n = matches if matches else conns
        return grown / n
    return run


def m_with_matches(nmatch, count, queue):
    def run(bus):
        hold_matches(bus, nmatch)
        return m_load(count, queue)(bus)
    return run


# ---- PERF.md targets ----------------------------------------------------------------------

def targets(v, vs_floor, floors):
    """Print PERF.md's targets that this run measured, with the figure and met / NOT met.
    @v: key -> kind -> median; @vs_floor: key -> ratio to the raw relay floor;
    @floors: key -> the floor's median (relay rate, or idle-floor.c's memory).
    Returns CSV rows."""
    nan = float('nan')
    ours = lambda key: v.get(key, {}).get('bulkhead-bus', nan)  # noqa: E731
    peer = lambda key, kind: v.get(key, {}).get(kind, nan)  # noqa: E731

    def best(key, hib):
        ps = [x for kind, x in v.get(key, {}).items() if kind != 'bulkhead-bus' and x == x]
        return (max(ps) if hib else min(ps)) if ps else nan

    def cost(key):
        """what a load costs, as a fraction (the m_paired rows are in %)"""
        return ours(key) / 100

    checks = [
        ('queue 1 >= 1.2 x better peer (bh-load)', ours('load_q1') / best('load_q1', True), '>=', 1.2, 'x'),
        ('queue 1 >= 1.2 x better peer (dbus-test-tool)', ours('spam_q1') / best('spam_q1', True), '>=', 1.2, 'x'),
        ('queue 1 >= 90 % of raw relay floor (bh-load)', vs_floor.get('load_q1', nan), '>=', 0.9, ''),
        ('queue 10 >= 2 x better peer (bh-load)', ours('load_q10') / best('load_q10', True), '>=', 2, 'x'),
        ('queue 10 >= 2 x better peer (dbus-test-tool)', ours('spam_q10') / best('spam_q10', True), '>=', 2, 'x'),
        ('4 clients x queue 10 >= 2 x better peer (bh-load)', ours('load_4x10') / best('load_4x10', True),
         '>=', 2, 'x'),
        ('4 clients x queue 10 >= 2 x (dbus-test-tool)', ours('spam_4x10') / best('spam_4x10', True), '>=', 2, 'x'),
        ('bus CPU per call <= 0.5 x dbus-broker', ours('cpu_call') / peer('cpu_call', 'dbus-broker'), '<=', 0.5,
         'x'),
        ('idle PSS <= 0.5 x dbus-broker', ours('idle_pss') / peer('idle_pss', 'dbus-broker'), '<=', 0.5, 'x'),
        ('memory per idle connection <= 2 kB', ours('per_conn'), '<=', 2, 'kB'),
        ('memory per match rule <= 0.3 kB', ours('per_match'), '<=', 0.3, 'kB'),
        ('spawn -> first Hello <= 0.6 x dbus-daemon', ours('start_hello') / peer('start_hello', 'dbus-daemon'),
         '<=', 0.6, 'x'),
        ('1,000 policy rules cost <= 10 % (calls/s)', cost('cost_rules_1000'), '<=', 0.1, ''),
        ('1,000 policy rules cost <= 10 % (CPU/call)', cost('cost_cpu_rules_1000'), '<=', 0.1, ''),
        ('10,000 match rules cost <= 10 % (calls/s)', cost('cost_matches_10k'), '<=', 0.1, ''),
        ('10,000 match rules cost <= 10 % (CPU/call)', cost('cost_cpu_matches_10k'), '<=', 0.1, ''),
        ('10,000 other match rules cost <= 10 % (fan-out)', cost('cost_fanout_m10k'), '<=', 0.1, ''),
        ('a subscriber that never reads costs the others <= 10 %', cost('cost_fanout_stuck'), '<=', 0.1, ''),
    ]
    rows = []
    print('\nPERF.md targets (from the medians above; "-" = not measured in this run):')
    for what, x, op, limit, unit in checks:
        if x != x:
            verdict, shown = '-', '-'
        else:
            ok = x >= limit if op == '>=' else x <= limit
            verdict = 'met' if ok else 'NOT met'
            # a figure that rounds to its limit is shown to one more place: "0.50 x  NOT met" misleads
            if unit == '':
                shown = f'{round(x * 100)} %' if round(x * 100) != round(limit * 100) or x == limit \
                    else f'{x * 100:.1f} %'
            else:
                shown = f'{x:.2f} {unit}' if f'{x:.2f}' != f'{limit:.2f}' or x == limit else f'{x:.3f} {unit}'
            floor = None if ok else above_floor(what, x, limit, vs_floor)
            if floor:
                verdict += f' (needs {floor:.2f} x the raw relay floor)'
            above = above_cost_floor(what, ours, peer, floors)
            if above:
                verdict += above
            client = above_client(what, limit, best, ours)
            if client:
                verdict += f' (needs {client:.2f} x what the libdbus clients and service allow with a free bus)'
        print(f'  {what:56} {shown:>10}  {verdict}')
        rows.append(['target', what, unit, x, limit, op, verdict])
    return rows


def above_floor(what, ratio, limit, vs_floor):
    """For a call-rate target "LIMIT x better peer" whose row has a relay floor: the rate the
    target asks for, as a multiple of the raw relay floor measured beside it (ratio / vs_floor
    is the better peer's rate over ours), for a target not met: above 1 no bus can reach it here,
    since the relay does the same hop with no D-Bus work at all; just below 1 (bh-load rows) it
    asks for a bus that costs next to nothing beside the relay. For the dbus-test-tool rows only
    a figure above 1 is given: below it, the libdbus clients and service are what bind."""
    key = {'queue 1 >= 1.2 x better peer (bh-load)': 'load_q1',
           'queue 1 >= 1.2 x better peer (dbus-test-tool)': 'spam_q1',
           'queue 10 >= 2 x better peer (bh-load)': 'load_q10',
           'queue 10 >= 2 x better peer (dbus-test-tool)': 'spam_q10',
           '4 clients x queue 10 >= 2 x better peer (bh-load)': 'load_4x10',
           '4 clients x queue 10 >= 2 x (dbus-test-tool)': 'spam_4x10'}.get(what)
    f = vs_floor.get(key, float('nan')) if key else float('nan')
    if f != f or not ratio:
        return None
    needed = limit * f / ratio
    return needed if needed > 1 or key.startswith('load_') else None


def above_cost_floor(what, ours, peer, floor):
    """For the cost targets against dbus-broker that have a floor: what each bus adds to it, and
    the ratio of the two additions.
    - idle PSS: a process that only waits (idle-floor.c, measured beside it): the loader, libc's
      data and a stack, which every process pays; its PSS, like the buses', depends on how many
      other processes on the machine map the same libc pages at that moment.
    - CPU per call: the raw relay's own CPU per call at the same queue depth (relay-floor.c,
      measured right before): the system calls, copies, sleeps and wake-ups of a hop that does
      no D-Bus work, which no broker can avoid."""
    key, unit, fmt = {'idle PSS <= 0.5 x dbus-broker': ('idle_pss', 'kB', '.0f'),
                      'bus CPU per call <= 0.5 x dbus-broker': ('cpu_call', 'us', '.1f')}.get(what, (None,) * 3)
    if not key:
        return None
    f, o, b = floor.get(key, float('nan')), ours(key), peer(key, 'dbus-broker')
    if f != f or o != o or b != b or b <= f:
        return None
    base = 'a process that only waits' if key == 'idle_pss' else 'the raw relay'
    return f' (above {base}: {o - f:+{fmt}} against {b - f:+{fmt}} {unit} = {(o - f) / (b - f):.2f} x)'


def above_client(what, limit, best, ours):
    """For the dbus-test-tool queue-10 targets: the rate asked for (LIMIT x the better peer) as a
    multiple of the ceiling the libdbus clients and echo service set by themselves with our bus
    (m_spam_ceiling). Returned only when > 1: then they, not the bus, stand in the way."""
    key = {'queue 10 >= 2 x better peer (dbus-test-tool)': 'spam_q10',
           '4 clients x queue 10 >= 2 x (dbus-test-tool)': 'spam_4x10'}.get(what)
    if not key:
        return None
    need, ceiling = limit * best(key, True), ours(key + '_ceiling')
    if need != need or ceiling != ceiling or not ceiling:
        return None
    return need / ceiling if need > ceiling else None


# ---- the run ----------------------------------------------------------------------------

def stray_buses(tools):
    """PIDs of bus processes already running (a bus left over from a by-hand test, the
    system's dbus-daemon): each maps the same binary and libraries as the buses measured,
    so the idle PSS rows come out lower for whichever kind it is, and a busy one takes CPU."""
    exes = {os.path.realpath(tools['bulkhead-bus']), '/usr/bin/dbus-daemon', '/usr/bin/dbus-broker'}
    found = []
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            exe = os.readlink(f'/proc/{d}/exe')
        except OSError:
            continue
        if exe in exes:
            found.append((int(d), os.path.basename(exe)))
    return found


def build_tools(build, tmp):
    tools = {'bulkhead-bus': os.path.join(build, 'src', 'cli', 'bulkhead-bus')}
    for name in ('bh-load', 'relay-floor', 'idle-floor'):
        tools[name] = os.path.join(tmp, name)
        subprocess.run(['cc', '-O2', '-o', tools[name], os.path.join(HERE, name + '.c')], check=True)
    shared = os.path.normpath(os.path.join(SRC, '..', 'shared', 'tools', 'run-dbus-broker.c'))
    if os.path.exists(shared) and os.path.exists('/usr/bin/dbus-broker'):
        tools['run-dbus-broker'] = os.path.join(tmp, 'run-dbus-broker')
        flags = subprocess.run(['pkg-config', '--cflags', '--libs', 'libsystemd'], capture_output=True,
                               text=True, check=True).stdout.split()
        subprocess.run(['cc', '-O2', '-o', tools['run-dbus-broker'], shared] + flags, check=True)
    return tools


def measurements(k, perf_ok):
    """Every row of the table: (key, title, unit, higher_is_better, function, policy rules,
    floor key). @k divides the counts (5 for --quick)."""
    return [
        ('spam_q1', 'calls/s, dbus-test-tool, 1 client, queue 1', 'calls/s', True, m_spam(5000 // k, 1, 1), 0, 'floor_q1'),
        ('spam_q10', 'calls/s, dbus-test-tool, 1 client, queue 10', 'calls/s', True, m_spam(20000 // k, 10, 1), 0, 'floor_q10'),
        ('spam_q10_ceiling', 'dbus-test-tool q10 ceiling with a free bus', 'calls/s', True,
         m_spam_ceiling(20000 // k, 10), 0, None),
        ('spam_4x10', 'calls/s, dbus-test-tool, 4 clients, queue 10', 'calls/s', True, m_spam(40000 // k, 10, 4), 0, 'floor_4x10'),
        ('spam_4x10_ceiling', 'dbus-test-tool 4x10 ceiling with a free bus', 'calls/s', True,
         m_spam_ceiling(40000 // k, 10, 4), 0, None),
        ('load_q1', 'calls/s, bh-load, queue 1', 'calls/s', True, m_load(5000 // k, 1), 0, 'floor_q1'),
        ('load_q1_p50', 'latency p50, queue 1', 'us', False, m_load(5000 // k, 1, field=1), 0, None),
        ('load_q1_p99', 'latency p99, queue 1', 'us', False, m_load(5000 // k, 1, field=2), 0, None),
        ('load_q10', 'calls/s, bh-load, queue 10', 'calls/s', True, m_load(20000 // k, 10), 0, 'floor_q10'),
        ('load_q10_p50', 'latency p50, queue 10', 'us', False, m_load(20000 // k, 10, field=1), 0, None),
        ('load_q10_p99', 'latency p99, queue 10', 'us', False, m_load(20000 // k, 10, field=2), 0, None),
        ('load_4x10', 'calls/s, bh-load, 4 clients, queue 10', 'calls/s', True, m_load(40000 // k, 10, 4), 0, 'floor_4x10'),
        ('fd_q10', 'calls/s with one unix fd each, queue 10', 'calls/s', True, m_load(10000 // k, 10, fd=True), 0, None),
        ('fanout_10', 'signal deliveries/s, 10 subscribers', 'msgs/s', True, m_fanout(10, 2000 // k), 0, None),
        ('fanout_100', 'signal deliveries/s, 100 subscribers', 'msgs/s', True, m_fanout(100, 500 // k), 0, None),
        ('fanout_10_m10k', 'deliveries/s, 10 subscribers, +10,000 rules', 'msgs/s', True,
         m_fanout(10, 2000 // k, 10000), 0, None),
        ('fanout_10_stuck', 'deliveries/s, 10 subscribers, +1 never reads', 'msgs/s', True,
         m_fanout(10, 2000 // k, stuck=True), 0, None),
        ('cpu_call', 'bus CPU per call, queue 10', 'us', False, m_cpu_per_call(20000 // k, 10), 0, 'floor_cpu'),
        ('sys_call', 'bus system calls per call, q10 (strace -c)', 'calls', False, m_syscalls_per_call(5000 // k, 10),
         0, None),
        ('sys_call_perf', 'bus system calls per call, q10 (perf)', 'calls', False,
         m_syscalls_per_call_perf(20000 // k, 10, perf_ok), 0, 'floor_sys'),
        ('start_addr', 'spawn -> address printed', 'ms', False, m_startup('address'), 0, None),
        ('start_hello', 'spawn -> first Hello answered', 'ms', False, m_startup('hello'), 0, None),
        ('idle_rss', 'idle RSS', 'kB', False, m_idle_mem('rss'), 0, 'floor_idle_rss'),
        ('idle_pss', 'idle PSS', 'kB', False, m_idle_mem('pss'), 0, 'floor_idle_pss'),
        ('idle_dirty', 'idle private dirty memory', 'kB', False, m_idle_mem('dirty'), 0, 'floor_idle_dirty'),
        ('idle_pss_10', 'idle PSS per bus, 10 buses running', 'kB', False, m_idle_pss_many(10), 0, None),
        ('per_conn', 'private memory per idle connection (200)', 'kB', False, m_per_object(200, 0), 0, None),
        ('per_match', 'private memory per match rule (10,000)', 'kB', False, m_per_object(1, 10000), 0, None),
        ('rules_0', 'calls/s queue 10, 0 policy rules', 'calls/s', True, m_load(20000 // k, 10), 0, None),
        ('rules_100', 'calls/s queue 10, 100 policy rules', 'calls/s', True, m_load(20000 // k, 10), 100, None),
        ('rules_1000', 'calls/s queue 10, 1,000 policy rules', 'calls/s', True, m_load(20000 // k, 10), 1000, None),
        ('matches_10k', 'calls/s queue 10, 10,000 match rules', 'calls/s', True, m_with_matches(10000, 20000 // k, 10), 0, None),
        # what a load costs, measured in pairs beside the same bus without it (m_paired)
        ('cost_rules_1000', 'calls/s lost to 1,000 policy rules', '%', False,
         m_paired('calls', 20000 // k, rules=1000), 0, None),
        ('cost_cpu_rules_1000', 'CPU per call added by 1,000 policy rules', '%', False,
         m_paired('cpu', 20000 // k, rules=1000), 0, None),
        ('cost_matches_10k', 'calls/s lost to 10,000 match rules', '%', False,
         m_paired('calls', 20000 // k, nmatch=10000), 0, None),
        ('cost_cpu_matches_10k', 'CPU per call added by 10,000 match rules', '%', False,
         m_paired('cpu', 20000 // k, nmatch=10000), 0, None),
        ('cost_fanout_m10k', 'deliveries/s lost to 10,000 other match rules', '%', False,
         m_paired('fanout', 10000 // k, nmatch=10000), 0, None),
        ('cost_fanout_stuck', 'deliveries/s lost to 1 subscriber never reading', '%', False,
         m_paired('fanout', 10000 // k, stuck=True), 0, None),
    ]


def floor_functions(tools, k, perf_ok):
    """floor key -> a function measuring that floor once."""
    def relay(*argv, field=0):
        """relay-floor's rate (field 0) or its relay's CPU per call in us (field 1)"""
        return lambda: float(subprocess.run([tools['relay-floor']] + list(argv), capture_output=True,
                                            text=True, check=True).stdout.split()[field])
    return {'floor_q1': relay(str(5000 // k), '1'), 'floor_q10': relay(str(50000 // k), '10'),
            'floor_4x10': relay(str(40000 // k), '10', '160', '4'),
            'floor_cpu': relay(str(20000 // k), '10', field=1),
            'floor_sys': relay_syscalls_per_call(tools, 20000 // k, 10, perf_ok),
            'floor_idle_rss': idle_floor(tools, 'rss'), 'floor_idle_pss': idle_floor(tools, 'pss'),
            'floor_idle_dirty': idle_floor(tools, 'dirty')}


def measure_once(key, fn, bus):
    """@fn on @bus, started for it and stopped after; NaN when the bus does not start or the
    measurement fails: a failing bus is a finding, not a crash of the bench."""
    try:
        return fn(bus.start())
    except Exception as e:
        print(f'bench: {key} on {bus.kind}: {e}', file=sys.stderr)
        return float('nan')
    finally:
        bus.stop()


def run_all(ms, kinds, tools, reps, floor_fn):
    """Every row on every bus, @reps times, the order of the buses rotating each time.
    Returns (results: (key, kind) -> [values], floors: floor key and (key, 'floor') -> [values]);
    a failed measurement is NaN."""
    results, floors = {}, {}
    for rep in range(reps):
        order = kinds[rep % len(kinds):] + kinds[:rep % len(kinds)]
        for key, title, unit, hib, fn, rules, floor in ms:
            if floor:
                # measured right before the row it is compared with, not once per repetition:
                # on a shared machine the load changes within minutes
                try:
                    f = floor_fn[floor]()
                except Exception as e:  # the row is still measured, without its floor
                    print(f'bench: {floor}: {e}', file=sys.stderr)
                    f = float('nan')
                floors.setdefault(floor, []).append(f)
                floors.setdefault((key, 'floor'), []).append(f)
            for kind in order:
                results.setdefault((key, kind), []).append(measure_once(key, fn, Bus(kind, tools, rules)))
        print(f'bench: repetition {rep + 1}/{reps} done', file=sys.stderr)
    return results, floors


def med(vals):
    """the median of the values measured (NaN: failed, left out); NaN if none"""
    vals = [v for v in vals if v == v]
    return statistics.median(vals) if vals else float('nan')


def fmt(v, unit=''):
    if v != v:
        return '-'
    if unit == '%':  # a cost (m_paired): signed, to a tenth of a point
        return f'{v:+,.0f}' if abs(v) >= 100 else f'{v:+.1f}'
    return f'{v:,.0f}' if abs(v) >= 100 else f'{v:.3g}'


def spread(vals, points=False):
    """half the min-max range, in % of the median; with @points (values that are themselves
    in %, near 0) in percentage points"""
    vals = [v for v in vals if v == v]
    m = med(vals)
    if len(vals) < 2:
        return ''
    if points:
        return f'{(max(vals) - min(vals)) / 2:.0f}pt'
    return f'{(max(vals) - min(vals)) / 2 / m * 100:.0f}%' if m else ''


def vs_floor_median(ours, floor):
    """the median of our value over the floor measured next to it, repetition by repetition"""
    return med([o / f for o, f in zip(ours, floor) if f])


def report(ms, kinds, results, floors, title):
    """Print the table (under @title) and the targets; return the CSV rows."""
    print(f'\n{title}')
    groups = []
    for head, items in (('raw relay', (('q1', '%.0f/s', 'floor_q1'), ('q10', '%.0f/s', 'floor_q10'),
                                        ('4 clients x q10', '%.0f/s', 'floor_4x10'),
                                        ('its CPU per call at q10', '%.2f us', 'floor_cpu'),
                                        ('its system calls per call at q10', '%.2f', 'floor_sys'))),
                        ('a process that only waits', (('RSS', '%.0f kB', 'floor_idle_rss'),
                                                       ('PSS', '%.0f kB', 'floor_idle_pss'),
                                                       ('private dirty', '%.0f kB', 'floor_idle_dirty')))):
        got = [f'{what} {fmt_ % med(floors[f])}' for what, fmt_, f in items if f in floors]
        if got:
            groups.append(f'{head} ' + ', '.join(got))
    if groups:
        print('floor: ' + '; '.join(groups))
    head = f'{"measure":48} {"unit":8}' + ''.join(f' {k:>18}' for k in kinds) + f' {"vs best peer":>13} {"vs floor":>9}'
    print(head)
    rows = []
    for key, title, unit, hib, fn, rules, floor in ms:
        vals = {kind: results[(key, kind)] for kind in kinds}
        ours = med(vals['bulkhead-bus'])
        peers = [med(vals[k]) for k in kinds if k != 'bulkhead-bus']
        peers = [p for p in peers if p == p]
        best = (max(peers) if hib else min(peers)) if peers else float('nan')
        # a cost in % (m_paired) is near 0 and may be negative: no ratio of two of them
        ratio = (ours / best if hib else best / ours) if best and ours and unit != '%' else float('nan')
        vs_floor = vs_floor_median(vals['bulkhead-bus'], floors[(key, 'floor')]) if floor else float('nan')
        cells = ''.join(f' {fmt(med(vals[k]), unit):>12} {spread(vals[k], unit == "%"):>5}' for k in kinds)
        shown = '-' if ratio != ratio else f'{ratio:.2f}x'
        print(f'{title:48} {unit:8}{cells} {shown:>13}' + (f' {vs_floor:>9.2f}' if floor else ''))
        rows.append([key, title, unit] + [med(vals[k]) for k in kinds] + [ratio, vs_floor])
    print('ratio: bulkhead-bus / better peer for rates, better peer / bulkhead-bus for costs (>1 = we win)')
    # the floors' medians, in the layout of the target rows: floor, key, unit, median
    units = {'floor_cpu': 'us', 'floor_sys': 'calls'}
    rows += [['floor', f, 'kB' if f.startswith('floor_idle') else units.get(f, 'calls/s'), med(vals)]
             for f, vals in floors.items() if isinstance(f, str)]
    rows += targets({key: {kind: med(results[(key, kind)]) for kind in kinds} for key, *_ in ms},
                    {key: vs_floor_median(results[(key, 'bulkhead-bus')], floors[(key, 'floor')])
                     for key, *_, floor in ms if floor},
                    {key: med(floors[(key, 'floor')]) for key, *_, floor in ms if floor})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--build', default=os.path.join(SRC, 'build'))
    ap.add_argument('--reps', type=int, default=3)
    ap.add_argument('--quick', action='store_true', help='smaller counts, for a smoke run')
    ap.add_argument('--only', help='comma-separated measurement keys to run')
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='bh-bench-tools-')
    try:
        run_bench(args, build_tools(args.build, tmp))
    finally:  # an interrupted or failed run leaves no compiled tools behind either
        shutil.rmtree(tmp, ignore_errors=True)


def run_bench(args, tools):
    k = 5 if args.quick else 1
    # a binary just built sits in the page cache as dirty pages until written
    # back, and /proc/PID/smaps counts those as the bus's Private_Dirty
    os.sync()
    kinds = ['bulkhead-bus', 'dbus-daemon', 'dbus-broker']
    stray = stray_buses(tools)
    if stray:
        print('bench: warning: bus processes already running (' +
              ', '.join(f'{name} {pid}' for pid, name in stray) + '): they share pages with the buses '
              'measured (lower idle PSS for their kind) and may take CPU', file=sys.stderr)
    if not os.access(tools['bulkhead-bus'], os.X_OK):
        sys.exit(f'bench: {tools["bulkhead-bus"]} is not built (make build)')
    if 'run-dbus-broker' not in tools:
        print('bench: dbus-broker or ../shared/tools/run-dbus-broker.c missing: measuring without it')
        kinds.remove('dbus-broker')
    perf_ok = perf_counts_syscalls()
    if not perf_ok:
        print('bench: perf cannot count system calls here (it needs linux-perf, and root or '
              'kernel.perf_event_paranoid <= -1): the (perf) row stays empty', file=sys.stderr)
    ms = measurements(k, perf_ok)
    if args.only:
        keep = set(args.only.split(','))
        ms = [m for m in ms if m[0] in keep]
    results, floors = run_all(ms, kinds, tools, args.reps, floor_functions(tools, k, perf_ok))
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')
    rows = report(ms, kinds, results, floors,
                  f'bulkhead-bus vs dbus-daemon and dbus-broker -- {stamp}, {platform.node()}, '
                  f'{os.cpu_count()} CPUs, {args.reps} repetitions, medians and their +-spread')
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    path = os.path.join(HERE, 'results', datetime.datetime.now().strftime('%Y%m%d-%H%M%S') + '.csv')
    with open(path, 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['key', 'measure', 'unit'] + kinds + ['ratio_vs_best_peer', 'ratio_vs_floor'])
        w.writerows(rows)
    print(f'CSV: {path}')


if __name__ == '__main__':
    main()
