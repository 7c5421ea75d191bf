#!/usr/bin/python3
"""test-launcher-migrate.py -- src/launcher/migrate.c (what `bulkhead migrate`
calls) against a real QEMU 7.2 running with -sandbox spawn=deny: bulkhead
opens the target itself (exec: command, file:) and hands QEMU the fd with
getfd + fd:, shows progress, and checks every helper's Save.

  1. exec:cat > FILE, two good helpers: success; the destination (also
     sandboxed, -incoming defer) loads with migrate_incoming() from
     exec:cat FILE and both helpers there end with their source state;
  2. file:PATH both ways: the same;
  3. a helper whose Save fails: QEMU says "completed", migrate.c fails
     naming the helper and resumes nothing (the VM was paused); loading
     that stream fails on the destination (QEMU exits), and so does a
     destination helper whose Load fails;
  4. an Id in the list with no helper on the bus: refused before migrating;
  5. a URI we cannot open: refused.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helperlib import DEADLINE, Env, check, fail  # noqa: E402

SANDBOX = ["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]


def drive(env, qemu, uri, ids, incoming=False):
    prog = os.path.join(env.build, "tests/helper/migrate-driver")
    qemu.release_qmp()  # the QMP socket takes one client: let migrate.c have it
    p = subprocess.run([prog] + (["--incoming"] if incoming else []) +
                       [qemu.qmp_path, env.bus_address, uri] + ids,
                       capture_output=True, text=True, timeout=DEADLINE * 2)
    print(p.stdout + p.stderr)
    return p.returncode, p.stdout + p.stderr


def good_case(env, uri_kind):
    a = env.helper("org.bulkhead.Test.A", "a")
    b = env.helper("org.bulkhead.Test.B", "b")
    a.set("alpha " + uri_kind)
    b.set("beta " + uri_kind)
    src = env.qemu("src-" + uri_kind, ["a", "b"], extra=SANDBOX)
    stream = os.path.join(env.dir, "stream-" + uri_kind)
    uri = "exec:cat > " + stream if uri_kind == "exec" else "file:" + stream
    rc, out = drive(env, src, uri, ["a", "b"])
    check(rc == 0 and "migrate: completed, 2 helper states saved and checked" in out,
          "%s: migrate.c succeeded (%d)" % (uri_kind, rc))
    check("migrate: completed," in out and "MiB" in out, "%s: progress was shown" % uri_kind)
    check(os.path.getsize(stream) > 0, "%s: the stream was written by bulkhead's side" % uri_kind)
    src.proc.kill()
    src.proc.wait()
    a.stop()
    b.stop()
    a2 = env.helper("org.bulkhead.Test.A", "a")
    b2 = env.helper("org.bulkhead.Test.B", "b")
    dst = env.qemu("dst-" + uri_kind, ["a", "b"], incoming=True, extra=SANDBOX)
    uri = "exec:cat " + stream if uri_kind == "exec" else "file:" + stream
    rc, out = drive(env, dst, uri, ["a", "b"], incoming=True)
    if rc != 0:
        fail("%s: destination failed: %s" % (uri_kind, dst.output()))
    check("migrate: completed, 2 helper states loaded and checked" in out,
          "%s: migrate_incoming() loaded and checked both helpers" % uri_kind)
    check(a2.get() == "alpha " + uri_kind and b2.get() == "beta " + uri_kind,
          "%s: destination helpers have their source state" % uri_kind)
    dst.proc.kill()
    dst.proc.wait()
    a2.stop()
    b2.stop()


def main():
    with Env() as env:
        good_case(env, "exec")
        good_case(env, "file")

        a = env.helper("org.bulkhead.Test.A", "a")
        f = env.helper("org.bulkhead.Test.F", "f", fault="save-fails")
        a.set("alpha")
        f.set("faulty")
        src = env.qemu("src-fault", ["a", "f"], extra=SANDBOX)
        stream = os.path.join(env.dir, "stream-fault")
        rc, out = drive(env, src, "exec:cat > " + stream, ["a", "f"])
        check(rc == 1 and "VMState Id 'f': Save failed" in out,
              "a failed Save fails the migration naming the helper (%d)" % rc)
        check("helper 'a' saved its state" in out, "the good helper is reported fine")

        rc, out = drive(env, src, "exec:cat > " + stream, ["a", "missing"])
        check(rc == 1 and "no helper with VMState Id 'missing'" in out,
              "an Id without a helper is refused before migrating (%d)" % rc)
        rc, out = drive(env, src, "ftp://nowhere", ["a"])
        check(rc == 1 and "use exec:CMD" in out, "an unknown URI is refused (%d)" % rc)
        src.proc.kill()
        src.proc.wait()
        check(a.stop() == 0 and f.stop() == 0, "source helpers ended cleanly")
        a2 = env.helper("org.bulkhead.Test.A2", "a")
        f2 = env.helper("org.bulkhead.Test.F2", "f")
        dst = env.qemu("dst-fault", ["a", "f"], incoming=True, extra=SANDBOX)
        rc, out = drive(env, dst, "file:" + stream, ["a", "f"], incoming=True)
        check(rc == 1 and ("QEMU went away" in out or "migration failed" in out),
              "loading a stream without f's state fails: QEMU exits (%d)" % rc)
        dst.proc.wait()
        a2.stop()
        f2.stop()

        good = os.path.join(env.dir, "stream-exec")  # a and b, both saved fine
        a3 = env.helper("org.bulkhead.Test.A3", "a")
        f3 = env.helper("org.bulkhead.Test.B3", "b", fault="load-fails")
        dst = env.qemu("dst-loadfail", ["a", "b"], incoming=True, extra=SANDBOX)
        rc, out = drive(env, dst, "file:" + good, ["a", "b"], incoming=True)
        check(rc == 1 and ("QEMU went away" in out or "migration failed" in out),
              "a destination helper whose Load fails makes the destination fail (%d)" % rc)
        check(f3.status()["LastLoadStatus"] == "failed", "... and it says so in LastLoadStatus")
        dst.proc.wait()
        a3.stop()
        f3.stop()

    return 0


if __name__ == "__main__":
    sys.exit(main())
