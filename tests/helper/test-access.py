#!/usr/bin/python3
"""test-access.py -- Save/Load answer only QEMU's uid (BULKHEAD_QEMU_UID), and
Load validates before replacing the state.

  - QEMU's uid (here: ours, root) may Save;
  - a caller under another uid (setpriv to 65534) gets AccessDenied from Save
    and Load, and nothing is recorded or changed;
  - a helper told QEMU is uid 65534 refuses root; one told nothing refuses all;
  - Load refuses a state over 1 MiB (StateTooLarge) and one the validator
    rejects (StateInvalid) without touching the current state;
  - Save refuses to send a 0-byte state (QEMU 7.2 would drop it).
"""
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from helperlib import Env, check, fail, skip  # noqa: E402

OTHER_UID = 65534
MiB = 1024 * 1024

CALLER = r"""
import sys, dbus
conn = dbus.bus.BusConnection(sys.argv[1])
obj = conn.get_object(sys.argv[2], "/org/qemu/VMState1")
for call in ("Save", "Load"):
    try:
        if call == "Save":
            obj.Save(dbus_interface="org.qemu.VMState1")
        else:
            obj.Load(dbus.ByteArray(b"\x01stolen"), dbus_interface="org.qemu.VMState1")
        print(call, "ALLOWED")
    except dbus.exceptions.DBusException as e:
        print(call, e.get_dbus_name(), e.get_dbus_message())
"""


def dbus_string_ok(b):
    """What sd-bus accepts in a string: UTF-8, no NUL, no noncharacters."""
    try:
        text = b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(c != "\0" and not (0xFDD0 <= ord(c) <= 0xFDEF) and (ord(c) & 0xFFFE) != 0xFFFE
               for c in text)


def call(helper, method, *args):
    """Call a VMState1 method as ourselves; returns (result, error name)."""
    import dbus
    obj = helper.obj("/org/qemu/VMState1")
    try:
        return getattr(obj, method)(*args, dbus_interface="org.qemu.VMState1"), None
    except dbus.exceptions.DBusException as e:
        return None, e.get_dbus_name()


def main():
    import dbus
    if os.getuid() != 0:
        skip("needs root to run a caller under another uid (setpriv)")
    setpriv = shutil.which("setpriv")
    if not setpriv:
        skip("setpriv (util-linux) not installed")
    with Env(world_readable=True) as env:
        h = env.helper("org.bulkhead.Test.A", "a")  # QEMU's uid = ours
        h.set("secret")

        data, err = call(h, "Save")
        check(err is None and bytes(data) == b"\x01secret", "QEMU's uid may Save")

        out = subprocess.run([setpriv, "--reuid=%d" % OTHER_UID, "--regid=%d" % OTHER_UID,
                              "--clear-groups", "/usr/bin/python3", "-c", CALLER,
                              env.bus_address, h.name],
                             capture_output=True, text=True, timeout=60)
        print(out.stdout + out.stderr)
        check("Save org.freedesktop.DBus.Error.AccessDenied" in out.stdout,
              "uid %d gets AccessDenied from Save" % OTHER_UID)
        check("Load org.freedesktop.DBus.Error.AccessDenied" in out.stdout,
              "uid %d gets AccessDenied from Load" % OTHER_UID)
        check("uid %d may not call Save" % OTHER_UID in out.stdout,
              "the refusal came from the helper's uid check, not from the bus")
        st = h.status()
        check(st["SaveCount"] == 1 and st["LoadCount"] == 0, "denied calls were not recorded")
        check(h.get() == "secret", "the state was not replaced")

        _, err = call(h, "Load", dbus.ByteArray(b"\x01" + b"x" * MiB))
        check(err == "org.bulkhead.Helper1.Error.StateTooLarge", "Load over 1 MiB refused (%s)" % err)
        _, err = call(h, "Load", dbus.ByteArray(b"\x01bad\x00nul"))
        check(err == "org.bulkhead.Helper1.Error.StateInvalid", "validator refuses NUL (%s)" % err)
        _, err = call(h, "Load", dbus.ByteArray(b"\x02wrong format"))
        check(err == "org.bulkhead.Helper1.Error.StateInvalid", "validator refuses format (%s)" % err)
        _, err = call(h, "Load", dbus.ByteArray(b""))
        check(err == "org.bulkhead.Helper1.Error.StateInvalid", "validator refuses empty (%s)" % err)
        check(h.get() == "secret", "refused Loads left the state alone")
        st = h.status()
        check(st["LoadCount"] == 4 and st["LastLoadStatus"] == "invalid", "refusals recorded")
        _, err = call(h, "Load", dbus.ByteArray(b"\x01new state"))
        check(err is None and h.get() == "new state", "a valid Load replaces the state")

        # hostile bytes (seeded, so every run sends the same): each Load is either
        # refused as invalid or accepted as valid UTF-8; the helper survives all
        rng = random.Random(7)
        accepted = refused = 0
        for i in range(150):
            blob = bytes([1]) + bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
            if i % 3 == 0:
                blob = bytes([1]) + "\u00e9\u2603".encode() * rng.randrange(8) + blob[1:4]
            if i % 10 == 1:
                blob = bytes([1]) + rng.choice(["\ufffe", "\ufdd0", "\U0010ffff", "\ufffd"]).encode()
            _, err = call(h, "Load", dbus.ByteArray(blob))
            valid = dbus_string_ok(blob[1:])
            if err is None:
                accepted += 1
                if not valid or h.get() != blob[1:].decode():
                    fail("invalid state accepted, or not stored: %r" % blob)
            else:
                refused += 1
                if err != "org.bulkhead.Helper1.Error.StateInvalid" or valid:
                    fail("Load of %r answered %s" % (blob, err))
        check(accepted > 0 and refused > 0,
              "150 hostile Loads: %d accepted (valid), %d refused (invalid)" % (accepted, refused))
        check(h.proc.poll() is None, "the helper is still running")

        empty = env.helper("org.bulkhead.Test.E", "e", fault="save-empty")
        _, err = call(empty, "Save")
        st = empty.status()
        check(err == "org.bulkhead.Helper1.Error.SaveFailed" and st["LastSaveStatus"] == "failed"
              and "Empty state" in st["LastSaveError"],
              "a 0-byte state is refused, QEMU 7.2 cannot migrate it (%s)" % err)
        check(empty.stop() == 0, "helper e ended cleanly")

        other = env.helper("org.bulkhead.Test.B", "b", qemu_uid=OTHER_UID)
        _, err = call(other, "Save")
        check(err == "org.freedesktop.DBus.Error.AccessDenied",
              "a helper whose QEMU is uid %d refuses root (%s)" % (OTHER_UID, err))
        nobody = env.helper("org.bulkhead.Test.C", "c", qemu_uid="")
        _, err = call(nobody, "Save")
        check(err == "org.freedesktop.DBus.Error.AccessDenied",
              "without BULKHEAD_QEMU_UID everyone is refused (%s)" % err)
        for x in (h, other, nobody):
            check(x.stop() == 0, "helper %s ended cleanly" % x.id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
