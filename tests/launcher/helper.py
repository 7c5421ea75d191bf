#!/usr/bin/python3
# helper.py [--vmstate ID] NAME... -- a minimal test helper for the launcher tests:
# connects to the VM bus from the environment, owns NAME..., queues for
# org.qemu.VMState1 with --vmstate, and answers org.bulkhead.Test1.Ping on
# /org/bulkhead/Test with its uid. Exits on SIGTERM.
import os
import signal
import sys

import dbus
import dbus.service
import dbus.mainloop.glib
from gi.repository import GLib


class Test(dbus.service.Object):
    @dbus.service.method("org.bulkhead.Test1", in_signature="", out_signature="u")
    def Ping(self):
        return os.getuid()


def main():
    args = sys.argv[1:]
    vmstate = None
    if args[:1] == ["--vmstate"]:
        vmstate, args = args[1], args[2:]
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(os.environ["BULKHEAD_BUS_ADDRESS"])
    Test(bus, "/org/bulkhead/Test")
    for name in args:
        bus.request_name(name, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
    if vmstate:
        bus.request_name("org.qemu.VMState1", 0)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    print("helper %s ready as uid %d" % (" ".join(args), os.getuid()), flush=True)
    loop.run()


main()
