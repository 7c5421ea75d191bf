#!/bin/bash
# run-migrate.sh -- `bulkhead migrate VM exec:...` and `bulkhead run --incoming`
# with the demo state helper: the helper's state travels in QEMU's stream
# (org.qemu.VMState1) and comes back on the destination; bulkhead opens the
# stream itself since QEMU runs with -sandbox spawn=deny.
. "$(dirname "$0")/lib.sh"
need_root
need_qemu
[ -x "$BULKHEAD_BUILD/helpers/bulkhead-demo-helper" ] || skip "bulkhead-demo-helper not built"
export BULKHEAD_HELPER_PATH=$BULKHEAD_BUILD/helpers
cat >"$T/mig.vm" <<EOS
[vm]
name = mig
qemu = qemu-system-x86_64 -M q35 -m 64 -nodefaults -S
identity = many-uids
uids = 3-10

[helper counter]
exec = bulkhead-demo-helper --id counter
owns = org.bulkhead.Demo.counter
vmstate-id = counter
memory-max = 64M

[helper ctl]
exec = $PY $SRC/tests/launcher/helper.py org.bulkhead.Ctl
owns = org.bulkhead.Ctl
talks-to = counter
memory-max = 256M
EOS
addr=unix:path=$BULKHEAD_RUNTIME_DIR/mig/bus/socket
# only ctl (uid 6, talks-to counter) may call the demo helper
demo() { setpriv --reuid=6 --regid=6 --groups=3 dbus-send --bus=$addr --print-reply --dest=org.bulkhead.Demo.counter \
  /org/bulkhead/DemoHelper1 org.bulkhead.DemoHelper1.$1 ${2:+string:$2}; }
"$B" --bus=dbus-daemon run --detach "$T/mig.vm" >/dev/null 2>"$T/err" || fail "run: $(cat "$T/err")"
demo Set "travelled-well" >/dev/null || fail "could not set the demo state"
"$B" migrate mig "exec:cat > $T/stream" 2>"$T/err" || fail "migrate: $(cat "$T/err")"
grep -q "1 helper state saved and checked" "$T/err" || fail "helper save not checked: $(cat "$T/err")"
[ -s "$T/stream" ] || fail "no stream written"
"$B" stop mig || fail "stop source"
"$B" --bus=dbus-daemon run --detach --incoming "exec:cat $T/stream" "$T/mig.vm" >/dev/null 2>"$T/err" \
  || fail "run --incoming: $(cat "$T/err")"
grep -q "1 helper state loaded and checked" "$T/err" || fail "helper load not checked: $(cat "$T/err")"
demo Get | grep -q '"travelled-well"' || fail "state did not come back: $(demo Get 2>&1)"
"$B" stop mig || fail "stop destination"
echo "ok: migrate out and in with the helper's state"
