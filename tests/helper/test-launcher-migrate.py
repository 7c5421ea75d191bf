#!/usr/bin/python3
"""test-launcher-migrate.py -- src/launcher/migrate.c (what `bulkhead migrate`
calls) against a real QEMU 7.2 running with -sandbox spawn=deny: bulkhead
opens the target itself (exec: command, file:) and hands QEMU the fd with
getfd + fd:, shows progress, and checks every helper's Save.

  1. exec:cat > FILE, two good helpers: success; a destination loads FILE
     and both helpers there end with their source state;
  2. file:PATH: success, same stream shape;
  3. a helper whose Save fails: QEMU says "completed", migrate.c fails
     naming the helper and resumes nothing (the VM was paused);
  4. an Id in the list with no helper on the bus: refused before migrating;
  5. a URI we cannot open: refused.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helperlib import DEADLINE, Env, check, fail  # noqa: E402

SANDBOX = ["-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny"]


def drive(env, qemu, uri, ids):
    prog = os.path.join(env.build, "tests/helper/migrate-driver")
    p = subprocess.run([prog, qemu.qmp_path, env.bus_address, uri] + ids,
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
    src.release_qmp()  # the QMP socket takes one client: let migrate.c have it
    rc, out = drive(env, src, uri, ["a", "b"])
    check(rc == 0 and "migrate: completed, 2 helper states checked" in out,
          "%s: migrate.c succeeded (%d)" % (uri_kind, rc))
    check("migrate: completed," in out and "MiB" in out, "%s: progress was shown" % uri_kind)
    check(os.path.getsize(stream) > 0, "%s: the stream was written by bulkhead's side" % uri_kind)
    src.proc.kill()
    src.proc.wait()
    a.stop()
    b.stop()
    a2 = env.helper("org.bulkhead.Test.A", "a")
    b2 = env.helper("org.bulkhead.Test.B", "b")
    dst = env.qemu("dst-" + uri_kind, ["a", "b"], incoming=True)
    dst.cmd("migrate-incoming", uri="exec:cat " + stream)
    res = dst.wait_migration()
    if res["status"] != "completed":
        fail("%s: destination %s: %s" % (uri_kind, res["status"], dst.output()))
    check(a2.get() == "alpha " + uri_kind and b2.get() == "beta " + uri_kind,
          "%s: destination helpers have their source state" % uri_kind)
    dst.stop()
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
        # the QMP socket takes one client: let migrate.c have it
        src.release_qmp()
        rc, out = drive(env, src, "exec:cat > " + stream, ["a", "f"])
        check(rc == 1 and "VMState Id 'f': Save failed" in out,
              "a failed Save fails the migration naming the helper (%d)" % rc)
        check("helper 'a' saved its state" in out, "the good helper is reported fine")

        rc, out = drive(env, src, "exec:cat > " + stream, ["a", "f", "missing"])
        check(rc == 1 and "no helper with VMState Id 'missing'" in out,
              "an Id without a helper is refused before migrating (%d)" % rc)
        rc, out = drive(env, src, "ftp://nowhere", ["a"])
        check(rc == 1 and "use exec:CMD" in out, "an unknown URI is refused (%d)" % rc)
        src.proc.kill()
        src.proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
