#!/usr/bin/env python3
# tests/display/test-display.py -- `bulkhead screenshot` and `bulkhead watch`
# against real QEMU 7.2 (-display dbus, TCG, no disk: SeaBIOS writes text) on
# a private bus.
#
# Checks: the PNG equals QMP screendump except for the blinking cursor cell;
# a mode change (QEMU's 640x480 placeholder -> SeaBIOS's 720x400 text mode,
# for which QEMU 7.2 sends no new Scanout) is followed by `watch`; a peer that
# the bus policy does not allow to call RegisterListener gets AccessDenied
# and QEMU keeps serving the allowed client.
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import bustest  # noqa: E402

QEMU = 'qemu-system-x86_64'
NOBODY = 65534
# Only root (the display client here) may call RegisterListener: what the
# launcher generates for the display client's uid.
POLICY = '''
  <policy context="default">
    <allow user="*"/>
    <deny send_interface="org.qemu.Display1.Console" send_member="RegisterListener"/>
  </policy>
  <policy user="root">
    <allow send_interface="org.qemu.Display1.Console" send_member="RegisterListener"/>
  </policy>
'''


def bulkhead():
    path = os.environ.get('BULKHEAD_BIN') or os.path.join(
        os.environ.get('BULKHEAD_BUILD', os.path.join(bustest.SRC, 'build')), 'src', 'cli', 'bulkhead')
    if not os.access(path, os.X_OK):
        bustest.skip(f'{path} not built')
    return path


def png_read(path):
    """Decode an 8-bit RGB, non-interlaced PNG (what we write) -> (w, h, bytes)."""
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    pos, idat, w, h = 8, b'', 0, 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert (depth, ctype, interlace) == (8, 2, 0), 'unexpected PNG kind'
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    raw, stride, out, prev = zlib.decompress(idat), w * 3, bytearray(), bytearray(w * 3)
    for y in range(h):
        ftype, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += line
        prev = line
    return w, h, bytes(out)


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    return struct.unpack('>II', head[16:24])


def ppm_read(path):
    with open(path, 'rb') as f:
        data = f.read()
    parts = data.split(maxsplit=4)
    assert parts[0] == b'P6' and parts[3] == b'255'
    return int(parts[1]), int(parts[2]), parts[4]


def diff_box(w, pix_a, pix_b):
    """Bounding box (x0, y0, x1, y1) of differing pixels, or None."""
    box = None
    for i in range(0, len(pix_a), 3):
        if pix_a[i:i + 3] != pix_b[i:i + 3]:
            x, y = (i // 3) % w, (i // 3) // w
            box = (x, y, x, y) if box is None else (min(box[0], x), min(box[1], y), max(box[2], x), max(box[3], y))
    return box


class Qmp:
    def __init__(self, path):
        deadline = time.monotonic() + 10 * bustest.SLOW
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.f = self.sock.makefile('rw')
        json.loads(self.f.readline())
        self.cmd('qmp_capabilities')

    def cmd(self, name, **args):
        self.f.write(json.dumps({'execute': name, 'arguments': args}) + '\n')
        self.f.flush()
        while True:
            msg = json.loads(self.f.readline())
            if 'return' in msg or 'error' in msg:
                return msg

    def close(self):
        self.f.close()
        self.sock.close()


def wait_stable(qmp, tmp, want_size):
    """Screendumps until two in a row agree outside one 9x16 cell at the wanted size."""
    prev = None
    deadline = time.monotonic() + 30 * bustest.SLOW
    n = 0
    while time.monotonic() < deadline:
        path = os.path.join(tmp, f'dump{n}.ppm')
        n += 1
        qmp.cmd('screendump', filename=path)
        w, h, pix = ppm_read(path)
        if (w, h) == want_size and prev is not None:
            box = diff_box(w, prev, pix)
            if box is None or (box[2] - box[0] < 9 and box[3] - box[1] < 16):
                return True
        prev = pix if (w, h) == want_size else None
        time.sleep(0.5)
    return False


def main():
    bustest.need(QEMU)
    tool = bulkhead()
    t = bustest.Checks('display')
    tmp = tempfile.mkdtemp(prefix='bh-display-')
    os.chmod(tmp, 0o755)
    bus = bustest.Bus(extra=POLICY if os.geteuid() == 0 else '', name='display').start()
    qmp_path = os.path.join(tmp, 'qmp')
    qemu = subprocess.Popen([QEMU, '-M', 'q35', '-nodefaults', '-vga', 'std', '-S',
                             '-display', 'dbus,addr=' + bus.address.replace(',', ',,'),  # QEMU doubles commas
                             '-qmp', f'unix:{qmp_path},server=on,wait=off'],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(tmp, 'qemu.log'), 'wb'), start_new_session=True)
    watch = None
    try:
        qmp = Qmp(qmp_path)
        # 1. watch follows the mode change from QEMU's placeholder to text mode
        frames = os.path.join(tmp, 'frames')
        os.mkdir(frames)
        watch = bustest.Watcher([tool, 'watch', f'--address={bus.address}', '--fps=4',
                                 '--timeout=%d' % (60000 * bustest.SLOW), frames])
        t.check(watch.wait_for('frame-000000.png', timeout=10), 'watch writes a first frame',
                watch.output()[-500:])
        first = png_size(os.path.join(frames, 'frame-000000.png'))
        qmp.cmd('cont')
        t.check(wait_stable(qmp, tmp, (720, 400)), 'SeaBIOS reaches a stable 720x400 text screen')
        t.check(watch.wait_for('720x400', timeout=10), 'watch follows the mode change to 720x400',
                watch.output()[-800:])
        out = watch.stop()
        watch = None
        t.check('frames written' in out, 'watch exits cleanly on SIGTERM', out[-300:])
        t.check(first != (720, 400), 'the first frame had the pre-BIOS size', str(first))
        sizes = [png_size(os.path.join(frames, f)) for f in sorted(os.listdir(frames)) if f.endswith('.png')]
        t.check(sizes and sizes[-1] == (720, 400), 'the last frame is 720x400', str(sizes[-3:]))
        t.check(not [f for f in os.listdir(frames) if f.endswith('.tmp')], 'no half-written frame left')

        # 2. screenshot equals QMP screendump except the blinking cursor cell
        shot = os.path.join(tmp, 'shot.png')
        r = bustest.run([tool, 'screenshot', f'--address={bus.address}', shot], timeout=20)
        t.check(r.returncode == 0, 'bulkhead screenshot succeeds', r.stderr)
        dump = os.path.join(tmp, 'dump.ppm')
        qmp.cmd('screendump', filename=dump)
        if r.returncode == 0:
            w, h, ours = png_read(shot)
            dw, dh, theirs = ppm_read(dump)
            t.equal((w, h), (dw, dh), 'PNG has the screendump size')
            if (w, h) == (dw, dh):
                box = diff_box(w, ours, theirs)
                t.check(box is None or (box[2] - box[0] < 9 and box[3] - box[1] < 16),
                        'PNG equals screendump except one text cell', str(box))
                t.check(any(ours[i] > 100 for i in range(0, len(ours), 3)), 'the picture has text on it')

        # 3. the policy: a peer without the right gets AccessDenied, QEMU keeps working
        if os.geteuid() == 0:
            r = bustest.run(['setpriv', f'--reuid={NOBODY}', f'--regid={NOBODY}', '--clear-groups',
                             tool, 'screenshot', f'--address={bus.address}', os.path.join(tmp, 'denied.png')],
                            timeout=20)
            t.check(r.returncode == 1 and 'AccessDenied' in r.stderr,
                    'RegisterListener from an unprivileged uid is refused with AccessDenied', r.stderr)
            r = bustest.run([tool, 'screenshot', f'--address={bus.address}', shot], timeout=20)
            t.check(r.returncode == 0, 'QEMU still serves the allowed client afterwards', r.stderr)
        else:
            t.note('not root: the policy check needs a second uid; skipped')

        # 4. clear errors
        r = bustest.run([tool, 'screenshot', '--address=unix:path=/nonexistent/bus', shot])
        t.check(r.returncode == 1 and 'cannot connect' in r.stderr, 'a bad address is a clear error', r.stderr)
        r = bustest.run([tool, 'screenshot', '--console=x', 'vm', shot])
        t.equal(r.returncode, 2, 'a bad option is a usage error')
        qmp.cmd('quit')
        qmp.close()
    finally:
        if watch:
            watch.stop()
        try:
            qemu.wait(timeout=10)
        except subprocess.TimeoutExpired:
            qemu.kill()
            qemu.wait()
        bus.stop()
        shutil.rmtree(bus.dir, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    t.finish(bus)


if __name__ == '__main__':
    main()
