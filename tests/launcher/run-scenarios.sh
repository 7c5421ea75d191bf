#!/bin/bash
# run-scenarios.sh -- the three identity scenarios on a real QEMU 7.2 (TCG, -S)
# and dbus-daemon: each process runs as the planned uid (never 0), with
# no_new_privs, no capabilities, seccomp (QEMU's own -sandbox, the helper
# profile), and `stop` leaves no process, socket, runtime dir or cgroup.
# uids 3-10 are Debian's system users (dbus-daemon needs user names).
. "$(dirname "$0")/lib.sh"
need_root
need_qemu

spec() { # NAME IDENTITY UIDS
  cat >"$T/$1.vm" <<EOS
[vm]
name = $1
qemu = qemu-system-x86_64 -M q35 -m 64 -nodefaults -S
identity = $2
uids = $3

[helper a]
exec = $PY $SRC/tests/launcher/helper.py org.bulkhead.A
owns = org.bulkhead.A
memory-max = 256M

[helper b]
exec = $PY $SRC/tests/launcher/helper.py --vmstate b org.bulkhead.B
owns = org.bulkhead.B
talks-to = a
vmstate-id = b
memory-max = 256M
EOS
}

# scenario NAME IDENTITY UIDS "bus qemu a b" (expected uids)
scenario() {
  local name=$1 ident=$2 uids=$3 want=$4
  spec "$name" "$ident" "$uids"
  "$B" --bus=dbus-daemon run --detach "$T/$name.vm" >"$T/out" 2>"$T/err" || fail "$name: run: $(cat "$T/err")"
  [ "$(cat "$T/out")" = "$name" ] || fail "$name: run --detach printed '$(cat "$T/out")'"
  got=$(ps_json "' '.join(str(p['uid']) for v in j if v['vm']=='$name' for p in v['processes'])")
  [ "$got" = "$want" ] || fail "$name: uids bus/qemu/a/b are '$got', planned '$want'"
  pids=$(ps_json "' '.join(str(p['pid']) for v in j if v['vm']=='$name' for p in v['processes'])")
  cgroups=$(sed -n 's/^proc=.* \(\/[^ ]*\)$/\1/p' "$BULKHEAD_RUNTIME_DIR/$name/state")
  for pid in $pids; do
    comm=$(cat /proc/$pid/comm)
    uid=$(status_field $pid Uid)
    [ "$uid" != 0 ] || fail "$name: $comm runs as root"
    [ "$(status_field $pid NoNewPrivs)" = 1 ] || fail "$name: $comm without no_new_privs"
    [ "$(status_field $pid CapEff)" = 0000000000000000 ] || fail "$name: $comm has capabilities"
    [ "$(status_field $pid CapBnd)" = 0000000000000000 ] || fail "$name: $comm keeps a bounding set"
    # dbus-daemon is not ours to profile (bulkhead-bus runs under the bus profile)
    [ "$comm" = dbus-daemon ] || [ "$(status_field $pid Seccomp)" = 2 ] || fail "$name: $comm without seccomp"
  done
  dir=$BULKHEAD_RUNTIME_DIR/$name
  [ "$(stat -c %a "$dir")" = 710 ] || fail "$name: runtime dir mode $(stat -c %a "$dir")"
  [ "$(stat -c %a "$dir/qmp.sock")" = 600 ] || fail "$name: QMP socket mode"
  "$B" stop "$name" 2>"$T/err" || fail "$name: stop: $(cat "$T/err")"
  [ ! -e "$dir" ] || fail "$name: runtime dir left behind"
  for pid in $pids; do [ ! -e /proc/$pid ] || [ "$(status_field $pid State)" = Z ] || fail "$name: pid $pid left running"; done
  for cg in $cgroups; do [ ! -d "$cg" ] || fail "$name: cgroup $cg left behind"; done
  echo "ok: $ident ($want)"
}

scenario same same-uid 3-3 "3 3 3 3"
scenario two two-uids 3-4 "4 3 4 4"
scenario many many-uids 3-10 "4 3 5 6"

# two VMs on one range never share a uid; a third finds no free block
spec p1 many-uids 3-10
spec p2 many-uids 3-10
spec p3 many-uids 3-10
"$B" --bus=dbus-daemon run --detach "$T/p1.vm" >/dev/null 2>"$T/err" || fail "p1: $(cat "$T/err")"
"$B" --bus=dbus-daemon run --detach "$T/p2.vm" >/dev/null 2>"$T/err" || fail "p2: $(cat "$T/err")"
u1=$(ps_json "sorted({p['uid'] for v in j if v['vm']=='p1' for p in v['processes']})")
u2=$(ps_json "sorted({p['uid'] for v in j if v['vm']=='p2' for p in v['processes']})")
[ "$u1" = "[3, 4, 5, 6]" ] && [ "$u2" = "[7, 8, 9, 10]" ] || fail "uid blocks $u1 and $u2 overlap or are not as planned"
"$B" --bus=dbus-daemon run --detach "$T/p3.vm" >/dev/null 2>"$T/err"
[ $? = 5 ] || fail "p3 started on an exhausted range"
grep -q "no free block of 4 uids" "$T/err" || fail "p3: unclear refusal: $(cat "$T/err")"
"$B" stop p1 && "$B" stop p2 || fail "stop p1/p2"
echo "ok: uid blocks are exclusive"
