#!/usr/bin/python3
"""test-save-faults.py -- what QEMU 7.2 does when a helper's Save fails, is too
large or hangs, and that the helper's record (org.bulkhead.Helper1) lets the
launcher see it although QEMU reports the migration "completed".

Per fault: helper a (good) and helper f (faulty), both in the id-list. The
source migrates to a file; then a destination with fresh helpers loads it.
Observed with QEMU 7.2 (docs/helper.md has the details):
  - the source reports "completed" although f's state is missing;
  - f's LastSaveStatus says why (failed / too-large); a hung f that is killed
    no longer answers at all (the launcher treats that as a failure too);
  - the destination QEMU fails to load the stream and exits non-zero.
Also: a destination helper whose Load fails makes the destination fail.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helperlib import DEADLINE, Env, check, fail  # noqa: E402


def destination(env, stream, fault=None):
    a2 = env.helper("org.bulkhead.Test.A", "a")
    f2 = env.helper("org.bulkhead.Test.F", "f", fault=fault)
    dst = env.qemu("dst", ["a", "f"], incoming=True)
    r = dst.cmd("migrate-incoming", uri="exec:cat " + stream)
    check("return" in r, "destination accepted migrate-incoming")
    res = dst.wait_migration()
    print("destination said: " + dst.output().strip().replace("\n", " | "))
    return dst, res, a2, f2


def save_fault(fault, expect_status):
    import dbus
    with Env() as env:
        print("== fault " + fault)
        a = env.helper("org.bulkhead.Test.A", "a")
        f = env.helper("org.bulkhead.Test.F", "f", fault=fault)
        a.set("alpha")
        f.set("faulty")
        src = env.qemu("src", ["a", "f"])
        stream = os.path.join(env.dir, "migration.bin")
        check("return" in src.cmd("migrate", uri="exec:cat > " + stream), "migrate accepted")
        if fault == "save-hangs":
            # the helper is stuck inside Save; QEMU waits for the reply (GDBus's
            # 25 s default) holding its big lock. Killing the helper makes the bus
            # answer NoReply at once.
            f.wait_stderr("Save hangs")
            f.proc.kill()
            f.proc.wait()
        res = src.wait_migration()
        print("source said: " + src.output().strip().replace("\n", " | "))
        check(res["status"] == "completed",
              "QEMU 7.2 reports the migration completed despite f (%s)" % res["status"])
        sa = a.status()
        check(sa["SaveCount"] == 1 and sa["LastSaveStatus"] == "ok", "a saved fine")
        if expect_status:
            sf = f.status()
            check(sf["SaveCount"] == 1 and sf["LastSaveStatus"] == expect_status,
                  "f records LastSaveStatus=%s (%s)" % (sf["LastSaveStatus"], sf["LastSaveError"]))
            q = subprocess.run([os.path.join(env.build, "tests/helper/query-save"),
                                env.bus_address, f.name], capture_output=True, text=True,
                               timeout=DEADLINE)
            check(q.returncode == 0 and q.stdout.startswith("1 %s %s" % (expect_status, sf["LastSaveError"])),
                  "bh_vmstate_query_save() reads the same: %r" % q.stdout.strip())
        else:
            try:
                f.status()
                fail("a killed helper answered")
            except dbus.exceptions.DBusException as e:
                check(True, "the hung helper's record cannot be read (%s)" % e.get_dbus_name())
        src.stop()
        a.stop()
        f.stop()

        dst, res, a2, f2 = destination(env, stream)
        check(res["status"] != "completed", "destination did not complete (%r)" % res)
        check(f2.status()["LoadCount"] == 0, "f was never loaded on the destination")
        dst.stop()


def load_fault():
    with Env() as env:
        print("== fault load-fails")
        a = env.helper("org.bulkhead.Test.A", "a")
        f = env.helper("org.bulkhead.Test.F", "f")
        a.set("alpha")
        f.set("fine")
        src = env.qemu("src", ["a", "f"])
        stream = os.path.join(env.dir, "migration.bin")
        check("return" in src.cmd("migrate", uri="exec:cat > " + stream), "migrate accepted")
        check(src.wait_migration()["status"] == "completed", "source completed")
        src.stop()
        a.stop()
        f.stop()
        dst, res, a2, f2 = destination(env, stream, fault="load-fails")
        check(res["status"] != "completed", "destination failed (%r)" % res)
        lf = f2.status()
        check(lf["LoadCount"] == 1 and lf["LastLoadStatus"] == "failed",
              "f records LastLoadStatus=failed (%s)" % lf["LastLoadError"])
        check(f2.get() == "", "f's state was not replaced")
        dst.stop()


def main():
    save_fault("save-fails", "failed")
    save_fault("save-too-large", "too-large")
    save_fault("save-hangs", None)
    load_fault()
    return 0


if __name__ == "__main__":
    sys.exit(main())
