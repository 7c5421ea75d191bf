#!/bin/bash
# run-display.sh -- display = dbus: QEMU owns org.qemu on the VM bus, the
# display client helper may read its consoles, a helper that is not the
# display client may not RegisterListener, and `bulkhead screenshot VM` (the
# managing user) gets a PNG through the confined QEMU.
. "$(dirname "$0")/lib.sh"
need_root
need_qemu
cat >"$T/disp.vm" <<EOS
[vm]
name = disp
qemu = qemu-system-x86_64 -M q35 -m 64 -nodefaults -device VGA
identity = many-uids
uids = 3-10
display = dbus

[helper viewer]
exec = $PY $SRC/tests/launcher/helper.py org.bulkhead.Viewer
owns = org.bulkhead.Viewer
talks-to = qemu
display-client = yes
memory-max = 256M

[helper other]
exec = $PY $SRC/tests/launcher/helper.py org.bulkhead.Other
owns = org.bulkhead.Other
talks-to = qemu
memory-max = 256M
EOS
"$B" --bus=dbus-daemon run --detach "$T/disp.vm" >/dev/null 2>"$T/err" || fail "run: $(cat "$T/err")"
addr=unix:path=$BULKHEAD_RUNTIME_DIR/disp/bus/socket
as_uid() { local u=$1; shift; setpriv --reuid=$u --regid=$u --groups=3 "$@"; }
width() { as_uid $1 dbus-send --bus=$addr --print-reply --dest=org.qemu /org/qemu/Display1/Console_0 \
  org.freedesktop.DBus.Properties.Get string:org.qemu.Display1.Console string:Width 2>&1; }
width 5 | grep -q "uint32 640" || fail "the display client cannot read the console: $(width 5)"
# "other" (uid 6) may talk to QEMU but not register a listener; the viewer (uid 5) may
register() { as_uid $1 $PY -c "
import dbus, socket
b = dbus.bus.BusConnection('$addr')
o = b.get_object('org.qemu', '/org/qemu/Display1/Console_0', introspect=False)
mine, theirs = socket.socketpair()
try:
    o.RegisterListener(dbus.types.UnixFd(theirs), dbus_interface='org.qemu.Display1.Console', timeout=5)
    print('registered')
except dbus.exceptions.DBusException as e:
    print(e.get_dbus_name())" 2>&1; }
register 6 | grep -q AccessDenied || fail "a non-display helper could RegisterListener: $(register 6)"
register 5 | grep -q AccessDenied && fail "the display client could not RegisterListener"
echo "ok: only the display client registers listeners"
if [ -x "$BULKHEAD_BUILD/src/cli/bulkhead" ] && "$B" --help | grep -q screenshot; then
  "$B" screenshot disp "$T/shot.png" >/dev/null 2>"$T/err" || fail "screenshot: $(cat "$T/err")"
  [ "$(head -c 8 "$T/shot.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || fail "not a PNG"
  echo "ok: bulkhead screenshot through the confined QEMU"
fi
"$B" stop disp || fail "stop"
echo "ok: display = dbus policy"
