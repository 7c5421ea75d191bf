#!/usr/bin/python3
# tests/bus/test-qemu-vmstate.py -- QEMU 7.2's dbus-vmstate object on the bus.
#
# Owns: a migration round trip of helper state through the bus. Two helpers
# (vmstate-helper.py) queue for org.qemu.VMState1; a paused QEMU
# (-M none -S -object dbus-vmstate,addr=BUS,id-list=...) migrates to a file
# over QMP (exec:cat > FILE). QEMU calls ListQueuedOwners, reads each owner's
# Id (org.freedesktop.DBus.Properties) and calls Save; the stream must hold
# each helper's state. Then a second QEMU loads the file (-incoming) and each
# helper's Load must get back its own state.
# Never: needs KVM, a network, or a host bus.
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from bustest import SLOW, Bus, Checks, Watcher, die_with_parent, need, skip  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
QEMU = 'qemu-system-x86_64'
HELPERS = {'bh-helper-a': 'state of helper A: 42', 'bh-helper-b': 'B' * 3000}


class Qmp:
    """The smallest QMP client: one command at a time, events skipped."""

    def __init__(self, path, timeout, proc):
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        else:
            raise OSError('QEMU exited')
        self.sock.settimeout(timeout)
        self.file = self.sock.makefile('rb')
        json.loads(self.file.readline())             # greeting
        self.cmd('qmp_capabilities')

    def cmd(self, name, **arguments):
        self.sock.sendall(json.dumps({'execute': name, 'arguments': arguments}).encode() + b'\n')
        while True:
            reply = json.loads(self.file.readline())
            if 'return' in reply or 'error' in reply:
                return reply

    def wait_migration(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.cmd('query-migrate').get('return', {}).get('status')
            if status in ('completed', 'failed', 'cancelled'):
                return status
            time.sleep(0.05)
        return 'timeout'

    def close(self):
        self.file.close()
        self.sock.close()


def start_qemu(tmp, name, bus, extra):
    qmp_path = os.path.join(tmp, f'{name}.qmp')
    ids = ',,'.join(HELPERS)          # a comma inside an -object value is doubled
    argv = [QEMU, '-M', 'none', '-nodefaults', '-display', 'none', '-S', '-nographic',
            '-qmp', f'unix:{qmp_path},server=on,wait=off',
            '-object', f'dbus-vmstate,id=dv,addr={bus.address.replace(",", ",,")},id-list={ids}'] + extra
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=die_with_parent)
    try:
        return proc, Qmp(qmp_path, 20 * SLOW, proc)
    except OSError:
        out = stop_qemu(proc, None)
        raise RuntimeError(f'QEMU did not start: {out}')


def stop_qemu(proc, qmp):
    if qmp:
        try:
            qmp.cmd('quit')
        except (OSError, ValueError):
            pass
        qmp.close()
    try:
        out, _ = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.decode(errors='replace')


def expected_stream_part(ident, state):
    """What dbus-vmstate writes per helper (big-endian): len(id), id, len(data), data."""
    data = state.encode()
    return len(ident).to_bytes(4, 'big') + ident.encode() + len(data).to_bytes(4, 'big') + data


def start_helpers(bus):
    helpers = {}
    for ident, state in HELPERS.items():
        w = Watcher([sys.executable, os.path.join(HERE, 'vmstate-helper.py'), bus.address, ident, state])
        helpers[ident] = w
        if not (w.wait_for('ready :', timeout=10) and w.wait_for('\n', timeout=10)):
            raise RuntimeError(f'helper {ident} did not start: {w.stop()}')
    return helpers


def main():
    need(QEMU)
    probe = subprocess.run([QEMU, '-object', 'help'], capture_output=True, text=True)
    if 'dbus-vmstate' not in probe.stdout:
        skip('this QEMU has no dbus-vmstate object')
    c = Checks('bus: QEMU dbus-vmstate migration')
    tmp = tempfile.mkdtemp(prefix='bh-vmstate-')
    try:
        bus = scenario(c, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    c.finish(bus)


def scenario(c, tmp):
    stream = os.path.join(tmp, 'stream')
    helpers = {}
    with Bus(name='vmstate') as bus:
        try:
            helpers = start_helpers(bus)
            replies = {i: (w.output().split('ready :', 1)[1].split() + ['?'])[1] for i, w in helpers.items()}
            c.equal(sorted(replies.values()), ['1', '2'], 'one helper owns org.qemu.VMState1, the other queues')

            src, qmp = start_qemu(tmp, 'src', bus, [])
            r = qmp.cmd('migrate', uri=f'exec:cat > {stream}')
            c.check('return' in r, 'QMP migrate accepted', repr(r))
            status = qmp.wait_migration(30 * SLOW)
            out = stop_qemu(src, qmp)
            c.equal(status, 'completed', 'migration to a file completed')
            c.check('Failed' not in out, 'QEMU reported no dbus-vmstate failure', out[-1500:])
            for ident, w in helpers.items():
                c.check(w.wait_for('save', timeout=1), f'{ident}: Save was called', w.output())
                c.check('call GetAll' in w.output() or 'call Get' in w.output(),
                        f'{ident}: QEMU read its Id property')
            data = open(stream, 'rb').read() if os.path.exists(stream) else b''
            for ident, state in HELPERS.items():
                c.check(expected_stream_part(ident, state) in data, f'the stream holds {ident}\'s state',
                        f'{len(data)} bytes')

            dst, qmp = start_qemu(tmp, 'dst', bus, ['-incoming', f'exec:cat {stream}'])
            status = qmp.wait_migration(30 * SLOW)
            out = stop_qemu(dst, qmp)
            c.equal(status, 'completed', 'incoming migration from the file completed')
            for ident, state in HELPERS.items():
                w = helpers[ident]
                c.check(w.wait_for(f'load {state.encode().hex()}', timeout=2), f'{ident}: Load got its own state',
                        w.output()[-300:] + out[-1000:])
        except Exception as e:
            c.check(False, 'the migration scenario ran to the end', f'{type(e).__name__}: {e}')
        finally:
            for w in helpers.values():
                w.stop()
        c.check(bus.alive(), 'the bus is still running')
    return bus


if __name__ == '__main__':
    main()
