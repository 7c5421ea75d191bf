#!/bin/bash
# demo.sh BUILD -- the main job on the example VM: audit it, show its policy,
# run it (private bus + confined helpers + QEMU), list it, show the bus
# refusing a helper what its policy does not allow, stop it, show nothing is left.
set -eu
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
B=$build/src/cli/bulkhead
export BULKHEAD_HELPER_PATH=$build/helpers
spec=$src/examples/demo.vm
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  # not root: no uid switching; the same VM with every process as you
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed -e 's/^identity = .*/identity = same-uid/' -e '/^uids = /d' "$spec" >"$tmp/demo.vm"
  spec=$tmp/demo.vm
  echo "not root: running the demo as same-uid (every process as $(id -un))"
fi

step "bulkhead check $(basename "$spec")  (audit against QEMU's security guide)"
"$B" check "$spec" && echo "(no findings)"

step "bulkhead policy  (the generated least-privilege bus policy, per-uid part)"
"$B" policy "$spec" | sed -n '/<policy user/,$p'

step "bulkhead run --detach"
"$B" run --detach "$spec"
trap '"$B" stop demo >/dev/null 2>&1 || true' EXIT

step "bulkhead ps"
"$B" ps
dir=$("$B" ps --json | $PY -c 'import json,sys; print([v["runtime_dir"] for v in json.load(sys.stdin) if v["vm"]=="demo"][0])')
addr=unix:path=$dir/bus/socket
uid_of() { "$B" ps --json | $PY -c "import json,sys; print([p['uid'] for v in json.load(sys.stdin) if v['vm']=='demo' for p in v['processes'] if p['name']=='$1'][0])"; }

for p in $("$B" ps --json | $PY -c 'import json,sys; [print(p["pid"]) for v in json.load(sys.stdin) if v["vm"]=="demo" for p in v["processes"]]'); do
  printf '  %-16s uid %-6s %s\n' "$(cat /proc/$p/comm)" "$(awk '/^Uid:/{print $2}' /proc/$p/status)" \
    "$(grep -E '^(NoNewPrivs|Seccomp|CapEff):' /proc/$p/status | tr -s '\t\n' '  ')"
done

if [ "$(id -u)" = 0 ]; then
  qemu_gid=$(uid_of qemu)
  as() { setpriv --reuid="$(uid_of "$1")" --regid="$(uid_of "$1")" --groups="$qemu_gid" "${@:2}"; }
  call() { as "$1" dbus-send --bus="$addr" --print-reply --reply-timeout=3000 --dest="$2" \
             /org/bulkhead/DemoHelper1 org.bulkhead.DemoHelper1.Get 2>&1 | sed 's/^/    /'; }
  step "clock calls counter (talks-to = counter): allowed"
  call clock org.bulkhead.Demo.counter || true
  step "counter calls clock (no talks-to): the bus refuses"
  call counter org.bulkhead.Demo.clock || true
  step "counter tries to take clock's name: the bus refuses"
  as counter $PY -c "
import dbus
b = dbus.bus.BusConnection('$addr')
try: b.request_name('org.bulkhead.Demo.clock', 4)
except dbus.exceptions.DBusException as e: print('    ' + str(e))" || true
  step "another uid tries the QMP socket: refused"
  as counter $PY -c "
import socket
s = socket.socket(socket.AF_UNIX)
try: s.connect('$dir/qmp.sock')
except OSError as e: print('    ' + str(e))" || true
fi

out=$build/demo
mkdir -p "$out"
step "bulkhead screenshot demo  (the VM's screen, read over its bus)"
"$B" screenshot demo "$out/screen.png"

demo_call() {
  local arg=(); [ $# -gt 1 ] && arg=("string:$2")
  dbus-send --bus="$addr" --print-reply --reply-timeout=3000 --dest=org.bulkhead.Demo.counter \
    /org/bulkhead/DemoHelper1 "org.bulkhead.DemoHelper1.$1" "${arg[@]}" 2>&1 |
    sed -n -e 's/^ *string /    state: /p' -e 's/^Error /    error: /p'
}
step "helper state travels with the VM: set counter's state, migrate to a file, start from it"
demo_call Set "set before migration at $(date +%T)"
demo_call Get
"$B" migrate demo "exec:cat > $out/migration.stream"
"$B" stop demo
"$B" run --detach --incoming "exec:cat $out/migration.stream" "$spec"
demo_call Get

step "bulkhead stop demo"
"$B" stop demo
trap - EXIT
[ -e "$dir" ] && echo "left behind: $dir" || echo "runtime dir gone: $dir"
"$B" ps
echo "screenshot: $out/screen.png"
