#!/bin/bash
# check.sh -- `bulkhead check` finds every rule a bad spec breaks (each bad/*.vm
# names the rules it expects on its first line), exits 1 on errors, and finds
# nothing on the examples but the seccomp = own they explain; the runtime-dir
# and not-root rules are provoked too.
. "$(dirname "$0")/lib.sh"
need_root
cd "$SRC/tests/launcher" || fail "no test dir"
seen=""
for vm in bad/*.vm; do
  head=$(head -1 "$vm")
  opt=""
  case $head in *"--bus=dbus-daemon"*) opt=--bus=dbus-daemon ;; esac
  "$B" $opt check "$vm" >"$T/out" 2>&1
  rc=$?
  want=0
  grep -q " error \[" "$T/out" && want=1
  [ $rc = $want ] || fail "$vm: exit $rc, expected $want: $(cat "$T/out")"
  for rule in ${head#*:}; do
    grep -q "^$vm:\([0-9]*:\)\? \(error\|warning\) \[$rule\]: " "$T/out" || fail "$vm: no finding [$rule] in: $(cat "$T/out")"
    seen="$seen $rule"
  done
done
# the runtime dir: writable by others / wrong owner
mkdir -m 1777 "$T/open" && chmod 0777 "$T/open"
BULKHEAD_RUNTIME_DIR=$T/open "$B" check "$SRC/examples/demo.vm" >"$T/out" && fail "open runtime dir not flagged"
grep -q "error \[bus-socket-reachable\]" "$T/out" || fail "no bus-socket-reachable: $(cat "$T/out")"
seen="$seen bus-socket-reachable"
# not root: only same-uid
mkdir -p "$T/nobody" && chown nobody "$T/nobody"
setpriv --reuid=nobody --regid=nogroup --clear-groups env BULKHEAD_RUNTIME_DIR="$T/nobody" \
  "$B" check "$SRC/examples/demo.vm" >"$T/out" 2>&1 && fail "not-root not flagged"
grep -q "error \[not-root-same-uid-only\]" "$T/out" || fail "no not-root-same-uid-only: $(cat "$T/out")"
seen="$seen not-root-same-uid-only"
# every rule the documentation lists was provoked
rules=$(sed -n 's/^\.B \([a-z][a-z\\-]*\)$/\1/p' "$SRC/docs/man/bulkhead.1" | tr -d '\\' | grep -- - | sort -u)
[ -n "$rules" ] || fail "no rules found in bulkhead.1"
for rule in $rules; do
  case " $seen " in *" $rule "*) ;; *) fail "documented rule $rule never provoked" ;; esac
done
# the examples are clean
for vm in "$SRC"/examples/*.vm; do
  out=$("$B" check "$vm" 2>&1) || fail "$vm: check failed: $out"
  # deliberate, and said why beside it: passt and virtiofsd install their own filters
  out=$(echo "$out" | grep -v "^$vm:[0-9]*: warning \[helper-own-seccomp\]: \[helper \(net\|fs\)\]")
  [ -z "$out" ] || fail "$vm: findings on an example: $out"
done
echo "ok: check rules$seen"
