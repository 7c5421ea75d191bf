#!/bin/bash
# run-supervise.sh -- many-uids on QEMU 7.2 + dbus-daemon: the QMP socket
# refuses other uids; the policy keeps a helper from owning another's name or
# calling it without talks-to; a killed helper comes back (new pid, same name,
# QEMU untouched); QEMU's exit stops the VM; a SIGKILLed supervisor is cleaned
# up by the next `stop` and by the next `run`; SIGTERM stops a foreground run.
. "$(dirname "$0")/lib.sh"
need_root
need_qemu
cat >"$T/sv.vm" <<EOS
[vm]
name = sv
qemu = qemu-system-x86_64 -M q35 -m 64 -nodefaults -S
identity = many-uids
uids = 3-10

[helper a]
exec = $PY $SRC/tests/launcher/helper.py org.bulkhead.A
owns = org.bulkhead.A
memory-max = 256M
restart = always

[helper b]
exec = $PY $SRC/tests/launcher/helper.py org.bulkhead.B
owns = org.bulkhead.B
talks-to = a
memory-max = 256M
EOS
run() { "$B" --bus=dbus-daemon run --detach "$T/sv.vm" >/dev/null 2>"$T/err" || fail "run: $(cat "$T/err")"; }
dir=$BULKHEAD_RUNTIME_DIR/sv
addr=unix:path=$dir/bus/socket
# as_uid UID CMD...: run as a VM uid with the VM's group (3 = QEMU's, the group)
as_uid() { local u=$1; shift; setpriv --reuid=$u --regid=$u --groups=3 "$@"; }
call() { as_uid $1 dbus-send --bus=$addr --print-reply --reply-timeout=5000 --dest=$2 /org/bulkhead/Test org.bulkhead.Test1.Ping 2>&1; }
has_owner() { dbus-send --bus=$addr --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner string:$1 2>/dev/null | grep -q "boolean true"; }
wait_for() { for _ in $(seq 200); do eval "$1" && return 0; sleep 0.05; done; return 1; }

run
# QMP: ours (root) gets the greeting, another uid is refused by the socket's mode
$PY - "$dir/qmp.sock" <<'EOP' || fail "QMP greeting"
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); assert b'"QMP"' in s.recv(4096)
EOP
as_uid 5 $PY -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect('$dir/qmp.sock')" 2>"$T/err" \
  && fail "uid 5 connected to the QMP socket"
grep -q PermissionError "$T/err" || fail "QMP refusal was not EACCES: $(cat "$T/err")"
echo "ok: QMP socket refuses other uids"

# policy: a (uid 5) may not call b; b (uid 6, talks-to a) may call a; a may not own b's name
call 5 org.bulkhead.B | grep -q "AccessDenied" || fail "a could call b without talks-to"
call 6 org.bulkhead.A | grep -q "uint32 5" || fail "b could not call a along talks-to"
as_uid 5 $PY -c "
import dbus; b = dbus.bus.BusConnection('$addr')
try: b.request_name('org.bulkhead.B', 4); print('owned')
except dbus.exceptions.DBusException as e: print(e.get_dbus_name())" | grep -q AccessDenied || fail "a could own b's name"
# a helper may not watch the bus: the generated policy denies the driver's
# Monitoring interface (and a helper's uid is not privileged either)
as_uid 5 $PY -c "
import dbus; b = dbus.bus.BusConnection('$addr')
try: b.call_blocking('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Monitoring', 'BecomeMonitor', 'asu', ([], 0)); print('monitor')
except dbus.exceptions.DBusException as e: print(e.get_dbus_name())" | grep -q AccessDenied || fail "helper a could become a monitor"
echo "ok: policy denies what talks-to/owns do not allow"

# reload inside the sandbox: SIGHUP makes the confined bus load libexpat again
# (dlopen under its seccomp filter and filesystem view) and keep its policy
kill -HUP "$(pid_of sv bus)"
wait_for "grep -q 'Reloaded configuration' '$dir/log'" || fail "the confined bus did not reload: $(tail -3 "$dir/log")"
call 5 org.bulkhead.B | grep -q "AccessDenied" || fail "after the reload a could call b"
call 6 org.bulkhead.A | grep -q "uint32 5" || fail "after the reload b could not call a"
echo "ok: the confined bus reloads its configuration on SIGHUP"

# restart: kill a, it comes back with a new pid and its name, QEMU untouched
qemu=$(pid_of sv qemu); old=$(pid_of sv a)
kill -9 "$old"
wait_for '[ "$(pid_of sv a)" != "$old" ] && [ "$(pid_of sv a)" != 0 ]' || fail "helper a not restarted"
wait_for "has_owner org.bulkhead.A" || fail "org.bulkhead.A did not come back"
[ "$(pid_of sv qemu)" = "$qemu" ] && kill -0 "$qemu" || fail "QEMU restarted or died"
[ "$(ps_json "[p['restarts'] for v in j for p in v['processes'] if p['name']=='a'][0]")" = 1 ] || fail "restarts not counted"
echo "ok: killed helper restarted, name back, QEMU pid unchanged"

# the bus dies: restarted at the same address, QEMU runs on, a restarted helper finds it
oldbus=$(pid_of sv bus)
kill -9 "$oldbus"
wait_for '[ "$(pid_of sv bus)" != "$oldbus" ] && [ "$(pid_of sv bus)" != 0 ]' || fail "bus not restarted"
wait_for "dbus-send --bus=$addr --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId >/dev/null 2>&1" \
  || fail "no bus at the same address after the restart"
[ "$(pid_of sv qemu)" = "$qemu" ] || fail "QEMU restarted with the bus"
kill -9 "$(pid_of sv a)"
wait_for "has_owner org.bulkhead.A" || fail "helper a did not come back on the new bus"
echo "ok: a dead bus is restarted at the same address"

# QEMU's exit stops the VM
kill -9 "$qemu"
wait_for '[ ! -e "$dir" ]' || fail "QEMU died but the VM was not torn down"
echo "ok: QEMU exit stops the VM"

# SIGKILLed supervisor: `stop` cleans up
run
pids=$(ps_json "' '.join(str(p['pid']) for v in j for p in v['processes'])")
kill -9 "$(sed -n 's/^supervisor_pid=//p' "$dir/state")"
[ "$(ps_json "j[0]['state']")" = stale ] || fail "ps does not show the VM stale"
"$B" stop sv 2>/dev/null || fail "stop of a stale VM failed"
[ ! -e "$dir" ] || fail "stale runtime dir left"
for pid in $pids; do [ ! -e /proc/$pid ] || [ "$(status_field $pid State)" = Z ] || fail "stale pid $pid left"; done
echo "ok: SIGKILLed bulkhead cleaned up by stop"

# SIGKILLed supervisor: the next run cleans up and starts
run
old=$(pid_of sv qemu)
kill -9 "$(sed -n 's/^supervisor_pid=//p' "$dir/state")"
run
[ "$(pid_of sv qemu)" != "$old" ] || fail "run reused the stale VM"
[ ! -e /proc/$old ] || [ "$(status_field $old State)" = Z ] || fail "stale QEMU $old left by run"
"$B" stop sv 2>/dev/null || fail "stop"
echo "ok: SIGKILLed bulkhead cleaned up by the next run"

# foreground: logs prefixed by name; SIGTERM stops cleanly with status 0
"$B" --bus=dbus-daemon run "$T/sv.vm" >"$T/fg.out" 2>"$T/fg.err" &
fg=$!
wait_for '[ "$(ps_json "j[0][\"state\"] if j else None" 2>/dev/null)" = running ]' || fail "foreground run did not start"
kill -TERM $fg
wait $fg; rc=$?
[ $rc = 0 ] || fail "foreground run exited $rc after SIGTERM: $(cat "$T/fg.err")"
grep -q "^a: helper org.bulkhead.A ready" "$T/fg.err" || fail "helper log not prefixed: $(cat "$T/fg.err")"
[ ! -e "$dir" ] || fail "foreground run left its runtime dir"
echo "ok: foreground run stops on SIGTERM"
