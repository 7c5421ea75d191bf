#!/usr/bin/python3
"""test-migrate.py -- helper state travels through a real QEMU 7.2 migration.

Two helpers in QEMU's id-list (a: a short state, b: a state of exactly 1 MiB on
the wire) and one helper not in it (c). The source QEMU migrates to a file;
a destination QEMU loads it with fresh, empty helpers. Each destination helper
must end with exactly its source state; c must never be asked (Save/Load
counts read from org.bulkhead.Helper1).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helperlib import Env, check, fail  # noqa: E402

MiB = 1024 * 1024
STATE_A = "alpha: \u00e9t\u00e9 \u2603 " * 3
STATE_B = "".join(chr(ord("a") + i % 26) for i in range(MiB - 1))  # + format byte = 1 MiB
STATE_C = "gamma, not in the id-list"


def main():
    with Env() as env:
        a = env.helper("org.bulkhead.Test.A", "a")
        b = env.helper("org.bulkhead.Test.B", "b")
        c = env.helper("org.bulkhead.Test.C", "c")
        a.set(STATE_A)
        b.set(STATE_B)
        c.set(STATE_C)

        src = env.qemu("src", ["a", "b"])
        stream = os.path.join(env.dir, "migration.bin")
        r = src.cmd("migrate", uri="exec:cat > " + stream)
        check("return" in r, "source accepted migrate: %r" % r)
        res = src.wait_migration()
        check(res["status"] == "completed", "source migration completed (%s)" % res["status"])

        sa, sb, sc = a.status(), b.status(), c.status()
        check(sa["SaveCount"] == 1 and sa["LastSaveStatus"] == "ok", "a saved once: %r" % sa)
        check(sb["SaveCount"] == 1 and sb["LastSaveStatus"] == "ok", "b saved once")
        check(sb["LastSaveSize"] == MiB, "b's state was exactly 1 MiB (%d)" % sb["LastSaveSize"])
        check(sc["SaveCount"] == 0 and sc["LastSaveStatus"] == "none", "c was never saved")
        check(src.stop() == 0, "source QEMU quit")
        for h in (a, b, c):
            check(h.stop() == 0, "source helper %s ended cleanly on SIGTERM" % h.id)
        check("Save x1 last ok (1048576 bytes), Load x0 last none" in b.errors(),
              "bh_vmstate_get_last_save/load() agree: %r" % b.errors().strip())

        a2 = env.helper("org.bulkhead.Test.A", "a")
        b2 = env.helper("org.bulkhead.Test.B", "b")
        c2 = env.helper("org.bulkhead.Test.C", "c")
        check(a2.get() == "" and b2.get() == "" and c2.get() == "", "destination helpers start empty")
        dst = env.qemu("dst", ["a", "b"], incoming=True)
        r = dst.cmd("migrate-incoming", uri="exec:cat " + stream)
        check("return" in r, "destination accepted migrate-incoming: %r" % r)
        res = dst.wait_migration()
        if res["status"] != "completed":
            fail("destination migration %s: %s" % (res["status"], dst.output()))
        check(True, "destination migration completed")

        check(a2.get() == STATE_A, "a has exactly its source state")
        got_b = b2.get()
        check(got_b == STATE_B, "b has exactly its 1 MiB source state (%d chars)" % len(got_b))
        check(c2.get() == "", "c kept its empty state")
        la, lb, lc = a2.status(), b2.status(), c2.status()
        check(la["LoadCount"] == 1 and la["LastLoadStatus"] == "ok", "a loaded once")
        check(lb["LoadCount"] == 1 and lb["LastLoadSize"] == MiB, "b loaded once, 1 MiB")
        check(lc["LoadCount"] == 0 and lc["SaveCount"] == 0, "c was never asked")
        check(dst.stop() == 0, "destination QEMU quit")
        for h in (a2, b2, c2):
            check(h.stop() == 0, "destination helper %s ended cleanly" % h.id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
