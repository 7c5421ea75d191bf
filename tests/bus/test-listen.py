#!/usr/bin/python3
# test-listen.py -- who owns a unix:path= address. A bus killed with SIGKILL
# leaves its socket file; the next bus at that path takes it over and serves.
# A bus still listening there keeps it: a second bus at the same path exits 1
# with "Address already in use" and the first serves on. A file that is not a
# socket is never removed. A bus that exits on SIGTERM removes its socket.
# The same for unix:runtime=yes ($XDG_RUNTIME_DIR/bus), where a user's
# session bus may be listening.
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import bustest  # noqa: E402


def ping(c, address, what):
    r = bustest.run(['dbus-send', f'--bus={address}', '--print-reply', '--dest=org.freedesktop.DBus',
                     '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetId'])
    return c.check(r.returncode == 0 and 'string "' in r.stdout, what, r.stdout + r.stderr)


def second_bus(bus):
    """Start another daemon on @bus's config (same path); its exit status and stderr."""
    r = subprocess.run([bus.daemon, f'--config-file={bus.config}', '--nofork', '--print-address=1'],
                       capture_output=True, text=True, timeout=10 * bustest.SLOW, env=bus.env(),
                       stdin=subprocess.DEVNULL)
    return r.returncode, r.stderr


def runtime_checks(c, daemon):
    """--address=unix:runtime=yes with XDG_RUNTIME_DIR a temp dir: a regular file at
    $XDG_RUNTIME_DIR/bus is left alone (exit 1), a dead socket there is taken over."""
    rt = tempfile.mkdtemp(prefix='bh-listen-rt-')
    env = dict(os.environ, XDG_RUNTIME_DIR=rt)
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    path = os.path.join(rt, 'bus')
    argv = [daemon, '--session', '--nofork', '--print-address=1', '--address=unix:runtime=yes']
    try:
        with open(path, 'w') as f:
            f.write('a session bus lived here\n')
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=5 * bustest.SLOW, env=env,
                               stdin=subprocess.DEVNULL)
            rc, err = r.returncode, r.stderr
        except subprocess.TimeoutExpired:   # it started (and was killed by run())
            rc, err = None, 'the bus started in place of the file'
        c.check(rc == 1 and 'Address already in use' in err,
                'runtime=yes on a regular file exits 1: Address already in use', f'{rc}: {err}')
        kept = ''
        if os.path.isfile(path):
            with open(path) as f:
                kept = f.read()
        c.equal(kept, 'a session bus lived here\n', 'runtime=yes leaves the regular file as it was')
        os.unlink(path)
        dead = socket.socket(socket.AF_UNIX)
        dead.bind(path)
        dead.close()                    # a socket file nothing listens on
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                             stdin=subprocess.DEVNULL, preexec_fn=bustest.die_with_parent)
        try:
            line = p.stdout.readline().decode().strip()
            c.check(line.startswith('unix:path=' + path), 'runtime=yes takes over a dead socket', line)
            if line:
                ping(c, line, 'the bus on the taken-over runtime socket serves')
        finally:
            p.terminate()
            p.wait(timeout=10 * bustest.SLOW)
            err = p.stderr.read().decode('utf-8', 'replace')
            p.stdout.close()
            p.stderr.close()
        c.check(p.returncode in (0, -signal.SIGTERM), 'runtime=yes: the bus ends cleanly on SIGTERM',
                f'{p.returncode}: {err[-2000:]}')
        c.check(not os.path.exists(path), 'runtime=yes: the socket is removed on SIGTERM')
    finally:
        shutil.rmtree(rt, ignore_errors=True)


def main():
    bustest.need('dbus-send')
    ours = os.path.basename(bustest.daemon_path()) == 'bulkhead-bus'
    c = bustest.Checks('bus-listen')
    with bustest.Bus(name='listen') as bus:
        ping(c, bus.address, 'the first bus serves')
        if ours:
            # dbus-daemon replaces any socket file, even a live bus's: ours only a dead one
            rc, err = second_bus(bus)
            c.check(rc == 1 and 'Address already in use' in err,
                    'a second bus on a live bus\'s path exits 1: Address already in use', f'{rc}: {err}')
            ping(c, bus.address, 'the first bus still serves after the second gave up')

        # a bus killed before it could unlink: its socket stays, nothing listens
        old = bus.proc
        os.killpg(old.pid, signal.SIGKILL)
        old.wait()
        c.check(os.path.exists(bus.socket), 'a killed bus leaves its socket file (the scene for what follows)')
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(bus.socket)
            refused = False
        except ConnectionRefusedError:
            refused = True
        s.close()
        c.check(refused, 'nothing listens on it')
        old.stdout.close()
        bus.proc = None
        try:
            bus.start()
        except RuntimeError as e:
            c.check(False, 'a new bus on the dead socket\'s path starts and serves', str(e))
            c.finish(bus)
        ping(c, bus.address, 'a new bus on the dead socket\'s path starts and serves')

        if ours:
            # a file that is not a socket is not the bus's to remove
            plain = bustest.Bus(name='listen-file')
            try:
                with open(plain.socket, 'w') as f:
                    f.write('not a socket\n')
                rc, err = second_bus(plain)
                c.check(rc == 1 and 'Address already in use' in err,
                        'a bus on a path holding a regular file exits 1: Address already in use', f'{rc}: {err}')
                with open(plain.socket) as f:
                    c.equal(f.read(), 'not a socket\n', 'the regular file is left as it was')
            finally:
                shutil.rmtree(plain.dir, ignore_errors=True)    # never started: only its dir to remove

            runtime_checks(c, bus.daemon)

        path = bus.socket
        bus.stop()
        c.check(not os.path.exists(path), 'a bus that exits on SIGTERM removes its socket file')
    c.finish(bus)


if __name__ == '__main__':
    main()
