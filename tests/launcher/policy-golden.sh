#!/bin/bash
# policy-golden.sh -- `bulkhead policy` on each golden/*.vm must print exactly
# golden/*.xml (as root: uids come from the spec's range). Regenerate a golden
# file with: BULKHEAD_RUNTIME_DIR=/run/bulkhead-golden bulkhead policy X.vm > X.xml
. "$(dirname "$0")/lib.sh"
need_root
export BULKHEAD_RUNTIME_DIR=/run/bulkhead-golden
cd "$SRC/tests/launcher/golden" || fail "no golden dir"
n=0
for vm in *.vm; do
  want=${vm%.vm}.xml
  flavour=bulkhead-bus
  case $vm in *dbus-daemon*) flavour=dbus-daemon ;; esac
  "$B" --bus=$flavour policy "$vm" >"$T/out.xml" 2>"$T/err" || fail "$vm: exit $? $(cat "$T/err")"
  diff -u "$want" "$T/out.xml" || fail "$vm: policy differs from $want"
  # and dbus-daemon must accept what we generate for it
  if [ $flavour = dbus-daemon ]; then
    sed "s|<listen>.*</listen>|<listen>unix:dir=$T</listen>|" "$T/out.xml" >"$T/conf.xml"
    timeout 10 dbus-daemon --config-file="$T/conf.xml" --print-address=1 --nofork >"$T/addr" &
    dpid=$!
    for _ in $(seq 100); do [ -s "$T/addr" ] && break; sleep 0.05; done
    kill $dpid 2>/dev/null; wait $dpid 2>/dev/null
    [ -s "$T/addr" ] || fail "$vm: dbus-daemon refused the generated configuration"
  fi
  n=$((n+1))
done
[ $n -ge 3 ] || fail "only $n golden files"
echo "ok: $n golden policies"
