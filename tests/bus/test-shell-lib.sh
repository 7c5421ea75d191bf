#!/bin/sh
# tests/bus/test-shell-lib.sh -- tests/lib/bus.sh works: a bus from a config with
# a limit, dbus-send against it, the limit enforced, cleanup on exit.
# Never: uses a host bus.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/bus.sh"
command -v dbus-send >/dev/null || bh_skip "dbus-send not installed"

# the check of cleanup runs in the parent, after the child shell with the bus exits
if [ "${1:-}" != child ]; then
	out=$(sh "$0" child) ; rc=$?
	echo "$out"
	[ $rc -eq 0 ] || exit $rc
	dir=$(echo "$out" | sed -n 's/^dir //p')
	pid=$(echo "$out" | sed -n 's/^pid //p')
	[ -n "$dir" ] && [ ! -e "$dir" ] || bh_fail "temp dir $dir left behind"
	! kill -0 "$pid" 2>/dev/null || bh_fail "bus $pid left running"
	echo "ok - the EXIT trap stopped the bus and removed its dir"
	exit 0
fi

bh_bus_start '<limit name="max_match_rules_per_connection">2</limit>'
echo "dir $BH_BUS_DIR"
echo "pid $BH_BUS_PID"
id=$(dbus-send --bus="$BH_BUS_ADDRESS" --print-reply=literal --dest=org.freedesktop.DBus \
	/org/freedesktop/DBus org.freedesktop.DBus.GetId) || bh_fail "GetId failed"
echo "$id" | grep -Eq '^ *[0-9a-f]{32} *$' || bh_fail "GetId answered '$id'"
echo "ok - dbus-send GetId on a bus from bh_bus_start"
bh_bus_alive || bh_fail "the bus died"
echo "ok - the bus is alive"
