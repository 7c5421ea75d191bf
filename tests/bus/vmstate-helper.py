#!/usr/bin/python3
# tests/bus/vmstate-helper.py ADDRESS ID STATE -- a QEMU dbus-vmstate helper for tests.
#
# Owns: one connection to the bus at ADDRESS; queued ownership of the name
# org.qemu.VMState1 (RequestName flags 0, so several helpers queue up); the
# object /org/qemu/VMState1 with property Id = ID, Save() -> ay returning STATE
# (UTF-8), Load(ay) recording what it got. Every event is one line on stdout:
#   ready UNIQUE-NAME REQUEST-NAME-REPLY | call MEMBER | save | load HEX
# Exits when the bus goes away or on SIGTERM.
# Never: owns any other name or touches files.
import signal
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

IFACE = 'org.qemu.VMState1'
PATH = '/org/qemu/VMState1'


def say(*words):
    print(*words, flush=True)


class VMState(dbus.service.Object):
    def __init__(self, conn, ident, state):
        super().__init__(conn, PATH)
        self.ident, self.state = ident, state

    @dbus.service.method(IFACE, in_signature='', out_signature='ay', byte_arrays=True)
    def Save(self):
        say('save')
        return dbus.ByteArray(self.state)

    @dbus.service.method(IFACE, in_signature='ay', out_signature='', byte_arrays=True)
    def Load(self, data):
        say('load', bytes(data).hex())

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='ss', out_signature='v')
    def Get(self, iface, prop):
        say('call', 'Get')
        if iface != IFACE or prop != 'Id':
            raise dbus.DBusException('no such property', name='org.freedesktop.DBus.Error.UnknownProperty')
        return dbus.String(self.ident)

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='s', out_signature='a{sv}')
    def GetAll(self, iface):
        say('call', 'GetAll')
        return {'Id': dbus.String(self.ident)} if iface == IFACE else {}


def main():
    address, ident, state = sys.argv[1], sys.argv[2], sys.argv[3].encode()
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    conn = dbus.bus.BusConnection(address)
    conn.call_on_disconnection(lambda *a: loop.quit())
    obj = VMState(conn, ident, state)
    reply = conn.request_name(IFACE, 0)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, lambda *a: loop.quit() or False)
    say('ready', conn.get_unique_name(), reply)
    loop.run()
    obj.remove_from_connection()


if __name__ == '__main__':
    main()
