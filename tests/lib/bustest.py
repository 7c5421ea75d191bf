# tests/lib/bustest.py -- shared helpers for black-box tests of the bus.
#
# Owns: choosing the daemon under test (env BUS_UNDER_TEST, default
# $BULKHEAD_BUILD/src/cli/bulkhead-bus), starting it from a small config in a
# private temp dir, reading its address, measuring it (VmRSS, alive), stopping
# it and collecting sanitizer reports; plus a tiny check/report helper that
# turns into the test's exit status (0 pass, 1 fail, 77 skip).
# Never: touches a bus or a file it did not create, or any fixed path.
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get('BULKHEAD_SRC', os.path.normpath(os.path.join(HERE, '..', '..')))
# slower under ASan+UBSan: every wait in the tests scales with this
SLOW = 4 if os.environ.get('BULKHEAD_SANITIZE') == '1' else 1

CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
{extra}
</busconfig>
'''


def die_with_parent():
    """preexec_fn: the child gets SIGKILL when the test process dies, so a test
    killed by its timeout leaves no bus, helper or offender behind."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL, 0, 0, 0)      # PR_SET_PDEATHSIG


def _terminate(signum, frame):
    raise SystemExit(f'killed by signal {signum}')


# meson ends a test that runs too long with SIGTERM: unwind so every `with Bus()` cleans up
signal.signal(signal.SIGTERM, _terminate)


def skip(why):
    """Exit 77 (meson: skipped), saying why."""
    print(f'SKIP: {why}', flush=True)
    sys.exit(SKIP)


def daemon_path():
    """The bus under test: BUS_UNDER_TEST, else our bulkhead-bus; skip if absent."""
    path = os.environ.get('BUS_UNDER_TEST')
    if not path:
        build = os.environ.get('BULKHEAD_BUILD', os.path.join(SRC, 'build'))
        path = os.path.join(build, 'src', 'cli', 'bulkhead-bus')
    if not os.access(path, os.X_OK):
        skip(f'daemon under test {path} not built (set BUS_UNDER_TEST=/usr/bin/dbus-daemon to try the tests)')
    return os.path.abspath(path)


def need(*programs):
    """Skip unless every program is on PATH."""
    for prog in programs:
        if not shutil.which(prog):
            skip(f'{prog} not installed')


def wmem_default():
    """Bytes the kernel buffers of a process's writes to one socket (net.core.wmem_default):
    what a bus can hand a receiver that does not read before its own queue grows."""
    try:
        with open('/proc/sys/net/core/wmem_default') as f:
            return int(f.read())
    except (OSError, ValueError):
        return 212992


def limits(**values):
    """<limit> elements for Bus(extra=...): limits(max_names_per_connection=16)."""
    return '\n'.join(f'  <limit name="{k}">{v}</limit>' for k, v in values.items())


class Bus:
    """A private bus in its own temp dir; use as a context manager.

    bus.address is its D-Bus address, bus.pid its pid. Leaving the block stops
    it (SIGTERM) and records in bus.problems anything wrong with how it ended:
    it died earlier, it did not exit on SIGTERM, it exited non-zero, or it left
    a sanitizer report.
    """

    def __init__(self, extra='', name='bus'):
        self.daemon = daemon_path()
        self.dir = tempfile.mkdtemp(prefix=f'bh-{name}-')
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, 'bus')
        self.config = os.path.join(self.dir, 'bus.conf')
        with open(self.config, 'w') as f:
            f.write(CONFIG.format(socket=self.socket, extra=extra))
        self.stderr_path = os.path.join(self.dir, 'stderr')
        self.problems = []
        self.proc = None
        self.address = None

    def env(self):
        env = dict(os.environ)
        for var, stem in (('ASAN_OPTIONS', 'asan'), ('UBSAN_OPTIONS', 'ubsan')):
            opts = env.get(var, '')
            env[var] = (opts + ':' if opts else '') + f'log_path={self.dir}/{stem}'
        for var in ('DBUS_SESSION_BUS_ADDRESS', 'DBUS_SYSTEM_BUS_ADDRESS', 'DBUS_STARTER_ADDRESS'):
            env.pop(var, None)
        return env

    def start(self):
        with open(self.stderr_path, 'wb') as err:
            self.proc = subprocess.Popen(
                [self.daemon, f'--config-file={self.config}', '--nofork', '--print-address=1'],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                env=self.env(), start_new_session=True, preexec_fn=die_with_parent)
        line = b''
        deadline = time.monotonic() + 10 * SLOW
        while not line.endswith(b'\n') and time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                break
            line += chunk
        self.address = line.decode().strip()
        if not self.address:
            self.stop()
            raise RuntimeError(f'{self.daemon} printed no address: {self.stderr()[-2000:]}')
        self.pid = self.proc.pid
        return self

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            # __exit__ does not run when __enter__ raises: leave nothing behind
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def __exit__(self, *exc):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def rss_kib(self):
        """VmRSS of the bus in KiB (0 if gone)."""
        try:
            with open(f'/proc/{self.proc.pid}/status') as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def fd_count(self):
        try:
            return len(os.listdir(f'/proc/{self.proc.pid}/fd'))
        except OSError:
            return 0

    def stderr(self):
        try:
            with open(self.stderr_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def stop(self):
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        if proc.poll() is not None:
            self.problems.append(f'the bus died before the end of the test (status {proc.returncode})')
        else:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10 * SLOW)
            except subprocess.TimeoutExpired:
                self.problems.append('the bus did not exit within 10s of SIGTERM')
            if proc.returncode not in (0, -signal.SIGTERM):
                self.problems.append(f'the bus exited with status {proc.returncode} on SIGTERM')
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
        proc.stdout.close()
        for entry in sorted(os.listdir(self.dir)):
            if entry.startswith(('asan.', 'ubsan.')):
                with open(os.path.join(self.dir, entry), 'rb') as f:
                    self.problems.append('sanitizer report:\n' + f.read().decode('utf-8', 'replace'))
        if self.problems:
            tail = self.stderr()[-3000:]
            if tail:
                self.problems.append('bus stderr (tail):\n' + tail)


KNOWN_FILE = os.path.join(SRC, 'tests', 'bus', 'known-failing.txt')


def known_failing():
    """Checks bulkhead-bus does not pass yet (tests/bus/known-failing.txt, one
    check description a line). They apply to bulkhead-bus only: any other daemon
    under test must pass every check."""
    daemon = os.environ.get('BUS_UNDER_TEST') or 'bulkhead-bus'
    if os.path.basename(daemon) != 'bulkhead-bus' or not os.path.exists(KNOWN_FILE):
        return set()
    with open(KNOWN_FILE) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith('#')}


class Checks:
    """Collects results: check(cond, what); finish(bus) exits 0 or 1.

    A failing check listed in known-failing.txt is printed as TAP "# TODO"
    and does not fail the test; a listed check that passes says so.
    """

    def __init__(self, name):
        self.name, self.failed, self.count = name, [], 0
        self.known, self.known_failed, self.fixed = known_failing(), [], []

    def check(self, cond, what, detail=''):
        self.count += 1
        todo = ' # TODO known failing (tests/bus/known-failing.txt)' if what in self.known else ''
        print(f'{"ok" if cond else "not ok"} {self.count} - {what}' + (f' ({detail})' if detail and not cond else '')
              + todo, flush=True)
        if not cond and todo:
            self.known_failed.append(what)
        elif not cond:
            self.failed.append(what)
        elif todo:
            self.fixed.append(what)
        return cond

    def equal(self, got, want, what):
        return self.check(got == want, what, f'got {got!r}, want {want!r}')

    def note(self, text):
        print(f'# {text}', flush=True)

    def finish(self, *buses):
        for bus in buses:
            for problem in bus.problems:
                self.check(False, 'the bus ends cleanly', problem)
        print(f'1..{self.count}')
        if self.known_failed:
            print(f'{self.name}: {len(self.known_failed)} known-failing check(s) failed: ' + '; '.join(self.known_failed))
        if self.fixed:
            print(f'{self.name}: known-failing check(s) now pass, remove them from {KNOWN_FILE}: '
                  + '; '.join(self.fixed))
        if self.failed:
            print(f'{self.name}: {len(self.failed)} of {self.count} checks failed: ' + '; '.join(self.failed))
            sys.exit(1)
        known = f' ({len(self.known_failed)} known-failing)' if self.known_failed else ''
        print(f'{self.name}: all {self.count - len(self.known_failed)} other checks passed{known}' if known
              else f'{self.name}: all {self.count} checks passed')
        sys.exit(0)


def run(argv, timeout=10, **kw):
    """subprocess.run with text output and a timeout scaled for sanitizers."""
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout * SLOW,
                          stdin=subprocess.DEVNULL, **kw)


class Watcher:
    """A long-running client (a monitor) whose output is collected in the background.

    wait_for(text) waits until its output contains text; poke, if given, is
    called between polls (e.g. to send the message again until a monitor that
    is still starting sees one). stop() ends it and returns all output.
    """

    def __init__(self, argv, env=None):
        import threading
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                     preexec_fn=die_with_parent)
        self.chunks = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for chunk in iter(lambda: os.read(self.proc.stdout.fileno(), 65536), b''):
            with self.lock:
                self.chunks.append(chunk)

    def output(self):
        with self.lock:
            return b''.join(self.chunks).decode('utf-8', 'replace')

    def wait_for(self, text, timeout=5, poke=None):
        deadline = time.monotonic() + timeout * SLOW
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if poke:
                poke()
            time.sleep(0.05)
        return text in self.output()

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.thread.join(timeout=5)
        self.proc.stdout.close()
        return self.output()
