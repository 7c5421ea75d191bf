#!/bin/bash
# cli.sh -- the command line: help, exit codes (2 usage, 3 invalid spec with
# FILE:LINE, 4 no such VM), `ps` on an empty runtime dir, `policy` is XML.
. "$(dirname "$0")/lib.sh"
expect() { # CODE CMD... : run, compare the exit status
  local want=$1; shift
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  [ $rc = "$want" ] || fail "'$*' exited $rc, expected $want: $(cat "$T/out" "$T/err")"
}
expect 0 "$B" --help
grep -q "^Usage: bulkhead" "$T/out" || fail "--help prints no usage"
expect 0 "$B" --version
expect 2 "$B"
expect 2 "$B" frobnicate
expect 2 "$B" --bus=nonsense ps
expect 2 "$B" stop
expect 2 "$B" run
printf '[vm]\nname = x\nqemu = q\ncolour = red\n' >"$T/bad.vm"
expect 3 "$B" check "$T/bad.vm"
grep -q "^bulkhead: $T/bad.vm:4: unknown key \"colour\" in \[vm\]" "$T/err" || fail "no FILE:LINE: $(cat "$T/err")"
expect 3 "$B" run "$T/missing.vm"
expect 4 "$B" stop novm
mkdir -p "$BULKHEAD_RUNTIME_DIR"
expect 0 "$B" ps --json
[ "$(cat "$T/out")" = "[]" ] || fail "ps --json on no VMs: $(cat "$T/out")"
printf '[vm]\nname = x\nqemu = q\nuids = 70000-70000\n' >"$T/ok.vm"
expect 0 "$B" policy "$T/ok.vm"
$PY -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$T/out" || fail "policy output is not XML"
echo "ok: command line and exit codes"
