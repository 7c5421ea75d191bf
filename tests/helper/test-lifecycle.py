#!/usr/bin/python3
"""test-lifecycle.py -- bulkhead-demo-helper and libbulkhead-helper from start
to stop: the readiness protocol (READY or EOF), refusals at start, the state
file, SIGTERM, the bus going away, and QEMU with two helpers sharing one Id.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helperlib import DEADLINE, Env, check, run_demo  # noqa: E402


def start_failures(env):
    b = env.build
    rc, ready, err = run_demo(b, ["--id", "a"], {})
    check(rc == 1 and ready == b"" and "cannot connect" in err,
          "no bus address: exit 1, no READY (%d, %r)" % (rc, err.strip()))
    rc, ready, err = run_demo(b, ["--id", "a"], {"DBUS_SESSION_BUS_ADDRESS": env.bus_address,
                                                 "BULKHEAD_QEMU_UID": "12x"})
    check(rc == 1 and ready == b"", "malformed BULKHEAD_QEMU_UID refused (%d)" % rc)
    rc, ready, err = run_demo(b, ["--id", "a"], {"BULKHEAD_BUS_ADDRESS": env.bus_address,
                                                 "BULKHEAD_DEMO_FAULT": "bogus"})
    check(rc == 2 and ready == b"", "unknown fault refused (%d)" % rc)
    rc, ready, err = run_demo(b, [], {"BULKHEAD_BUS_ADDRESS": env.bus_address})
    check(rc == 2 and ready == b"", "--id is required (%d)" % rc)
    rc, ready, err = run_demo(b, ["--id", ""], {"BULKHEAD_BUS_ADDRESS": env.bus_address})
    check(rc == 1 and ready == b"" and "VMState Id" in err, "empty Id refused (%d)" % rc)
    rc, ready, err = run_demo(b, ["--id", "x" * 256], {"BULKHEAD_BUS_ADDRESS": env.bus_address})
    check(rc == 1 and ready == b"", "256-byte Id refused (%d)" % rc)


def main():
    with Env() as env:
        start_failures(env)

        # DBUS_SESSION_BUS_ADDRESS is the fallback; a taken --name is refused
        a = env.helper("org.bulkhead.Test.A", "a")
        rc, ready, err = run_demo(env.build, ["--id", "z", "--name", "org.bulkhead.Test.A"],
                                  {"DBUS_SESSION_BUS_ADDRESS": env.bus_address})
        check(rc == 1 and ready == b"" and "own its name" in err,
              "a name someone else owns is refused (%d)" % rc)

        # as the launcher starts it: Id from BULKHEAD_VMSTATE_ID, name org.bulkhead.Demo.ID
        e = env.helper("org.bulkhead.Demo.from-env", "from-env", argv=[],
                       extra_env={"BULKHEAD_VMSTATE_ID": "from-env"})
        check(e.status()["VMStateId"] == "from-env",
              "Id from BULKHEAD_VMSTATE_ID, default name org.bulkhead.Demo.ID")
        check(e.stop() == 0, "SIGTERM: exit 0")

        # the state file: read at start, written on change
        path = os.path.join(env.dir, "state")
        with open(path, "w") as f:
            f.write("from the file \u2603")
        s = env.helper("org.bulkhead.Test.S", "s", args=["--state-file", path])
        check(s.get() == "from the file \u2603", "initial state read from --state-file")
        s.set("changed")
        with open(path) as f:
            check(f.read() == "changed", "Set wrote the state file")
        check(s.stop() == 0, "SIGTERM: exit 0")

        # two helpers with one Id: observe QEMU 7.2
        d1 = env.helper("org.bulkhead.Test.D1", "dup")
        d2 = env.helper("org.bulkhead.Test.D2", "dup")
        d1.set("one")
        d2.set("two")
        q = env.qemu("dup", ["dup"])
        check("return" in q.cmd("migrate", uri="exec:cat > " + os.path.join(env.dir, "m1")),
              "migrate accepted")
        res = q.wait_migration()
        check(res["status"] == "completed", "with id-list, QEMU 7.2 completes (%s)" % res["status"])
        c1, c2 = d1.status()["SaveCount"], d2.status()["SaveCount"]
        check((c1, c2) == (1, 0),
              "... and silently saves only the first owner in the queue (%d, %d)" % (c1, c2))
        q.stop()
        # (without id-list QEMU 7.2 corrupts its heap on a duplicate Id and aborts;
        # seen in 3 of 3 runs and written down in docs/helper.md, not tested here
        # because a corrupted heap need not fail the same way every time)

        # the bus goes away: bh_helper_run() returns, the helper exits 1
        env.bus.send_signal(signal.SIGTERM)
        env.bus.wait(DEADLINE)
        for h in (a, d1, d2):
            rc = h.proc.wait(DEADLINE)
            check(rc == 1, "helper %s exits 1 when the bus goes away (%d)" % (h.id, rc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
