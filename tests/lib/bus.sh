# tests/lib/bus.sh -- shell helpers for black-box tests: start a private bus.
#
# Owns: choosing the daemon under test (BUS_UNDER_TEST, default
# $BULKHEAD_BUILD/src/cli/bulkhead-bus), a per-test temp dir, a config that
# listens on a socket inside it, starting the bus and reading its address,
# and an EXIT trap that stops the bus and removes the dir.
# Never: touches the host's buses or any fixed path.
#
# Use (POSIX sh):
#   . "$BULKHEAD_SRC/tests/lib/bus.sh"
#   bh_bus_start ['<limit name="max_names_per_connection">8</limit>']
#   dbus-send --bus="$BH_BUS_ADDRESS" --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetId
#   bh_bus_alive || bh_fail "the bus died"
# Sets BH_BUS_ADDRESS, BH_BUS_PID, BH_BUS_DIR, BH_BUS_SOCKET. bh_skip WHY exits 77.

bh_skip() { echo "SKIP: $*"; exit 77; }
bh_fail() { echo "FAIL: $*"; exit 1; }

bh_bus_daemon() {
	if [ -n "${BUS_UNDER_TEST:-}" ]; then
		echo "$BUS_UNDER_TEST"
	else
		echo "${BULKHEAD_BUILD:-$(dirname "$0")/../../build}/src/cli/bulkhead-bus"
	fi
}

bh_bus_stop() {
	if [ -n "${BH_BUS_PID:-}" ] && kill -0 "$BH_BUS_PID" 2>/dev/null; then
		kill -TERM "$BH_BUS_PID" 2>/dev/null
		i=0
		while kill -0 "$BH_BUS_PID" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$BH_BUS_PID" 2>/dev/null
	fi
	wait 2>/dev/null
	[ -n "${BH_BUS_DIR:-}" ] && rm -rf "$BH_BUS_DIR"
	BH_BUS_PID=
}

bh_bus_alive() { kill -0 "$BH_BUS_PID" 2>/dev/null; }

# bh_bus_start [EXTRA-XML]: start a bus; EXTRA-XML goes inside <busconfig>
bh_bus_start() {
	daemon=$(bh_bus_daemon)
	[ -x "$daemon" ] || bh_skip "daemon under test $daemon not built (set BUS_UNDER_TEST)"
	BH_BUS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bh-sh-XXXXXX") || bh_fail "mktemp"
	chmod 755 "$BH_BUS_DIR"
	BH_BUS_SOCKET=$BH_BUS_DIR/bus
	trap bh_bus_stop EXIT
	trap 'exit 1' INT TERM
	cat > "$BH_BUS_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$BH_BUS_SOCKET</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
${1:-}
</busconfig>
EOF
	"$daemon" --config-file="$BH_BUS_DIR/bus.conf" --nofork --print-address=1 \
		</dev/null >"$BH_BUS_DIR/address" 2>"$BH_BUS_DIR/stderr" &
	BH_BUS_PID=$!
	i=0
	while ! grep -q . "$BH_BUS_DIR/address" 2>/dev/null; do
		bh_bus_alive || bh_fail "the bus exited at start: $(tail -5 "$BH_BUS_DIR/stderr")"
		[ $i -lt 200 ] || bh_fail "the bus printed no address in 20s"
		sleep 0.1; i=$((i + 1))
	done
	BH_BUS_ADDRESS=$(head -n1 "$BH_BUS_DIR/address")
	export BH_BUS_ADDRESS BH_BUS_PID BH_BUS_DIR BH_BUS_SOCKET
}
