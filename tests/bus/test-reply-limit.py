#!/usr/bin/python3
# tests/bus/test-reply-limit.py -- max_replies_per_connection counts calls
# still waiting for their reply, not every call ever made: a connection that
# makes many more answered calls than the limit keeps working, while one with
# too many unanswered calls at once gets LimitsExceeded.
# (Regression: answered calls were never uncounted, so after the limit every
# call failed.)
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import bustest  # noqa: E402
import rawdbus  # noqa: E402

LIMIT = 4


def main():
    t = bustest.Checks('reply-limit')
    with bustest.Bus(extra=bustest.limits(max_replies_per_connection=LIMIT), name='replies') as bus:
        import dbus
        import dbus.service
        import threading
        from dbus.mainloop.glib import DBusGMainLoop
        from gi.repository import GLib
        DBusGMainLoop(set_as_default=True)

        # a service on its own connection, answering Echo from a GLib loop in a thread
        svc = dbus.bus.BusConnection(bus.address)
        svc.request_name('com.example.Limit')

        class Echo(dbus.service.Object):
            @dbus.service.method('com.example.Limit', in_signature='s', out_signature='s')
            def Echo(self, s):
                return s
        Echo(svc, '/com/example/Limit')
        loop = GLib.MainLoop()
        threading.Thread(target=loop.run, daemon=True).start()

        client = dbus.bus.BusConnection(bus.address)
        proxy = client.get_object('com.example.Limit', '/com/example/Limit', introspect=False)
        ok = 0
        for i in range(LIMIT * 10):
            try:
                if proxy.Echo(f'call {i}', dbus_interface='com.example.Limit', timeout=5) == f'call {i}':
                    ok += 1
            except dbus.exceptions.DBusException as e:
                t.note(f'call {i}: {e.get_dbus_name()}: {e}')
                break
        t.equal(ok, LIMIT * 10, f'{LIMIT * 10} answered calls in a row with a limit of {LIMIT} pending')

        # LIMIT + 1 calls in flight to a name that never answers: one is refused
        # a raw connection that owns the name and never reads again: nothing answers
        silent = rawdbus.Conn(bus.socket)
        silent.auth()
        silent.hello()
        silent.call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName',
                    'su', ('com.example.Silent', 4))
        errors = []
        done = threading.Event()

        def on_reply(*a):
            pass

        def on_error(e):
            errors.append(e.get_dbus_name())
            done.set()
        sp = client.get_object('com.example.Silent', '/x', introspect=False)
        for i in range(LIMIT + 1):
            sp.Nothing(dbus_interface='com.example.Silent', reply_handler=on_reply, error_handler=on_error,
                       timeout=30)
        done.wait(10 * bustest.SLOW)
        t.check('org.freedesktop.DBus.Error.LimitsExceeded' in errors,
                f'call {LIMIT + 1} in flight gets LimitsExceeded', str(errors))
        loop.quit()
        silent.close()
    t.finish(bus)


if __name__ == '__main__':
    main()
