"""helperlib.py -- shared pieces of the black-box helper tests: a private bus
(dbus-daemon or bulkhead-bus, chosen by BUS_UNDER_TEST), bulkhead-demo-helper
processes with the launcher's readiness pipe, QEMU 7.2 with a QMP client.

Every process started here is stopped by Env.close(); every file lives in one
temp dir. Waits have generous deadlines only to avoid hanging CI forever:
nothing passes or fails because something was fast or slow.
"""
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
DEADLINE = 60.0  # seconds; only a guard against hanging forever


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


class QmpClosed(Exception):
    pass


def check(cond, what):
    if not cond:
        fail(what)
    print("ok: " + what)


BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
  <limit name="max_message_size">8388608</limit>
  <limit name="reply_timeout">120000</limit>
</busconfig>
"""


def bus_program():
    which = os.environ.get("BUS_UNDER_TEST", "dbus-daemon")
    if which in ("bulkhead", "bulkhead-bus"):
        path = os.path.join(os.environ.get("BULKHEAD_BUILD", "."), "src/cli/bulkhead-bus")
        if not os.access(path, os.X_OK):
            skip("BUS_UNDER_TEST=%s but %s is not built" % (which, path))
        return path
    if which == "dbus-daemon":
        path = shutil.which("dbus-daemon")
        if not path:
            skip("dbus-daemon not installed")
        return path
    return which


def need_dbus_python():
    try:
        import dbus  # noqa: F401
    except ImportError:
        skip("python3-dbus not installed")


def run_demo(build, args, env_over):
    """Run bulkhead-demo-helper expecting it to fail at start.
    Returns (exit code, what it wrote to the readiness fd, stderr)."""
    rfd, wfd = os.pipe()
    penv = {k: v for k, v in os.environ.items()
            if k not in ("BULKHEAD_BUS_ADDRESS", "DBUS_SESSION_BUS_ADDRESS", "BULKHEAD_QEMU_UID",
                         "BULKHEAD_DEMO_FAULT", "BULKHEAD_VMSTATE_ID")}
    penv["BULKHEAD_READY_FD"] = str(wfd)
    penv.update(env_over)
    prog = os.path.join(build, "helpers/bulkhead-demo-helper")
    proc = subprocess.Popen([prog] + args, env=penv, pass_fds=[wfd], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    os.close(wfd)
    got = b""
    while True:
        chunk = os.read(rfd, 64)  # EOF once the helper exits (or says READY and closes)
        if not chunk:
            break
        got += chunk
    os.close(rfd)
    try:
        _, err = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        fail("bulkhead-demo-helper %r did not exit" % args)
    return proc.returncode, got, err.decode(errors="replace")


class Helper:
    def __init__(self, env, name, hid, fault=None, qemu_uid=None, args=(), argv=None,
                 extra_env=None):
        self.env = env
        self.name = name
        self.id = hid
        rfd, wfd = os.pipe()
        penv = dict(os.environ)
        penv["BULKHEAD_BUS_ADDRESS"] = env.bus_address
        if qemu_uid == "":
            penv.pop("BULKHEAD_QEMU_UID", None)
        else:
            penv["BULKHEAD_QEMU_UID"] = str(os.getuid() if qemu_uid is None else qemu_uid)
        penv["BULKHEAD_READY_FD"] = str(wfd)
        penv.pop("DBUS_SESSION_BUS_ADDRESS", None)
        penv.pop("BULKHEAD_VMSTATE_ID", None)
        penv.update(extra_env or {})
        if fault:
            penv["BULKHEAD_DEMO_FAULT"] = fault
        else:
            penv.pop("BULKHEAD_DEMO_FAULT", None)
        self.stderr_path = os.path.join(env.dir, "helper-%s-%d.err" % (hid, len(env.procs)))
        self.stderr = open(self.stderr_path, "wb")
        prog = os.path.join(env.build, "helpers/bulkhead-demo-helper")
        if argv is None:
            argv = ["--id", hid, "--name", name] + list(args)
        self.proc = subprocess.Popen([prog] + argv, env=penv,
                                     pass_fds=[wfd], stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        env.procs.append(self.proc)
        os.close(wfd)
        got = b""
        end = time.monotonic() + DEADLINE
        while not got.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0 or not select.select([rfd], [], [], left)[0]:
                break
            chunk = os.read(rfd, 64)
            if not chunk:
                break
            got += chunk
        os.close(rfd)
        if got != b"READY\n":
            fail("helper %s did not report READY (got %r): %s" % (hid, got, self.errors()))

    def errors(self):
        self.stderr.flush()
        with open(self.stderr_path, "rb") as f:
            return f.read().decode(errors="replace")

    def obj(self, path):
        return self.env.conn().get_object(self.name, path)

    def set(self, state):
        import dbus
        self.obj("/org/bulkhead/DemoHelper1").Set(
            state, dbus_interface="org.bulkhead.DemoHelper1", timeout=DEADLINE)

    def get(self):
        import dbus
        return str(self.obj("/org/bulkhead/DemoHelper1").Get(
            dbus_interface="org.bulkhead.DemoHelper1", timeout=DEADLINE))

    def status(self):
        props = self.obj("/org/bulkhead/Helper1").GetAll(
            "org.bulkhead.Helper1", dbus_interface="org.freedesktop.DBus.Properties",
            timeout=DEADLINE)
        return {str(k): (int(v) if not isinstance(v, str) else str(v)) for k, v in props.items()}

    def wait_stderr(self, text):
        end = time.monotonic() + DEADLINE
        while text not in self.errors():
            if time.monotonic() > end or self.proc.poll() is not None:
                fail("helper %s never printed %r: %s" % (self.id, text, self.errors()))
            time.sleep(0.05)

    def stop(self):
        """SIGTERM, wait; returns the exit code (0 = clean shutdown)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(DEADLINE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


class Qemu:
    def __init__(self, env, tag, id_list, incoming=False, extra=()):
        self.env = env
        qemu = shutil.which("qemu-system-x86_64")
        if not qemu:
            skip("qemu-system-x86_64 not installed")
        self.qmp_path = os.path.join(env.dir, "qmp-%s.sock" % tag)
        addr = env.bus_address.replace(",", ",,")
        obj = "dbus-vmstate,id=dv,addr=%s" % addr
        if id_list is not None:
            obj += ",id-list=" + ",,".join(id_list)
        argv = [qemu, "-M", "q35", "-m", "64", "-nodefaults", "-display", "none", "-S",
                "-qmp", "unix:%s,server=on,wait=off" % self.qmp_path, "-object", obj]
        if incoming:
            argv += ["-incoming", "defer"]
        argv += list(extra)
        self.log_path = os.path.join(env.dir, "qemu-%s.log" % tag)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        env.procs.append(self.proc)
        self.sock = None
        end = time.monotonic() + DEADLINE
        while True:
            if self.proc.poll() is not None:
                fail("QEMU exited at start: " + self.output())
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.qmp_path)
                self.sock = s
                break
            except OSError:
                s.close()
                if time.monotonic() > end:
                    fail("QMP socket never appeared")
                time.sleep(0.05)
        self.rfile = self.sock.makefile("rb")
        self.read()  # greeting
        self.cmd("qmp_capabilities")

    def release_qmp(self):
        """Disconnect from QMP (QEMU serves one client) so another can connect."""
        if self.sock:
            self.rfile.close()
            self.sock.close()
            self.sock = None

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def read(self):
        try:
            line = self.rfile.readline()
        except OSError:
            line = b""
        if not line:
            raise QmpClosed(self.output())
        return json.loads(line)

    def cmd(self, name, **args):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        try:
            self.sock.sendall(json.dumps(msg).encode() + b"\n")
        except OSError:
            raise QmpClosed(self.output())
        while True:
            r = self.read()
            if "event" in r:
                continue
            return r

    def wait_migration(self):
        """Poll query-migrate until a final status; returns the reply.
        If QEMU exits meanwhile: {"status": "exited", "exit": CODE}."""
        end = time.monotonic() + DEADLINE
        while True:
            try:
                r = self.cmd("query-migrate")
            except QmpClosed:
                try:
                    code = self.proc.wait(DEADLINE)
                except subprocess.TimeoutExpired:
                    fail("QMP closed but QEMU did not exit")
                return {"status": "exited", "exit": code}
            st = r.get("return", {}).get("status")
            if st in ("completed", "failed", "cancelled"):
                return r["return"]
            if time.monotonic() > end:
                fail("migration never finished: %r" % r)
            time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.cmd("quit")
            except (OSError, QmpClosed):
                pass
            try:
                self.proc.wait(DEADLINE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.release_qmp()
        return self.proc.wait()


class Env:
    def __init__(self, world_readable=False):
        need_dbus_python()
        self.build = os.environ.get("BULKHEAD_BUILD")
        if not self.build:
            skip("BULKHEAD_BUILD not set (run through meson test)")
        self.dir = tempfile.mkdtemp(prefix="bulkhead-helper-test-")
        if world_readable:
            os.chmod(self.dir, 0o755)
        self.procs = []
        self._conn = None
        conf = os.path.join(self.dir, "bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONFIG.format(path=os.path.join(self.dir, "bus")))
        self.bus_log = open(os.path.join(self.dir, "bus.log"), "wb")
        self.bus = subprocess.Popen([bus_program(), "--config-file=" + conf, "--print-address",
                                     "--nofork", "--nopidfile"],
                                    stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                    stderr=self.bus_log)
        self.procs.append(self.bus)
        line = self.bus.stdout.readline().decode().strip()
        if not line:
            self.close()
            fail("the bus printed no address")
        self.bus_address = line
        if world_readable:
            os.chmod(os.path.join(self.dir, "bus"), 0o777)

    def conn(self):
        import dbus
        if self._conn is None:
            self._conn = dbus.bus.BusConnection(self.bus_address)
        return self._conn

    def helper(self, name, hid, **kw):
        return Helper(self, name, hid, **kw)

    def qemu(self, tag, id_list, incoming=False, extra=()):
        return Qemu(self, tag, id_list, incoming, extra)

    def close(self):
        if self._conn is not None:
            self._conn.close()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.kill()
            p.wait()
            if p.stdout:
                p.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
