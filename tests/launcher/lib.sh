# lib.sh -- shared setup for the launcher's black-box tests (sourced).
# Gives: $B (the bulkhead binary), $T (a private temp dir, removed at exit),
# BULKHEAD_RUNTIME_DIR and BULKHEAD_UID_POOL_DIR inside $T, fail(), skip(),
# and stops every VM still running under $T on exit.
set -u
B=${BULKHEAD_BUILD:?}/src/cli/bulkhead
SRC=${BULKHEAD_SRC:?}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/bulkhead-launcher-test.XXXXXX)
chmod 755 "$T"
export BULKHEAD_RUNTIME_DIR=$T/run BULKHEAD_UID_POOL_DIR=$T/pool
unset BULKHEAD_BUS

cleanup() {
  for d in "$T"/run/*/; do
    [ -d "$d" ] && "$B" stop "$(basename "$d")" >/dev/null 2>&1
  done
  rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root (uid switching)"; }
need_qemu() {
  command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 missing"
  command -v dbus-daemon >/dev/null || skip "dbus-daemon missing"
  $PY -c 'import dbus' 2>/dev/null || skip "python3-dbus missing"
}

# json QUERY: evaluate a python expression over `bulkhead ps --json` as j
ps_json() { "$B" ps --json | $PY -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
pid_of() { ps_json "[p['pid'] for v in j if v['vm']=='$1' for p in v['processes'] if p['name']=='$2'][0]"; }
status_field() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status"; }
