#!/bin/bash
# run-nonroot.sh -- not root: every process runs as the caller (same-uid), in
# $XDG_RUNTIME_DIR/bulkhead/VM (0700); a two-uids or many-uids spec is
# refused with a message that says why. Runs bulkhead as "nobody" (65534).
. "$(dirname "$0")/lib.sh"
need_root
need_qemu
id nobody >/dev/null 2>&1 || skip "no user nobody"
mkdir -p "$T/xdg" && chown nobody "$T/xdg"
cp "$SRC/tests/launcher/helper.py" "$T/helper.py" && chmod 755 "$T/helper.py"
cat >"$T/nr.vm" <<EOS
[vm]
name = nr
qemu = qemu-system-x86_64 -M q35 -m 64 -nodefaults -S

[helper a]
exec = $PY $T/helper.py org.bulkhead.A
owns = org.bulkhead.A
EOS
sed 's/^name = nr/name = nr2\nidentity = many-uids\nuids = 3-10/' "$T/nr.vm" >"$T/nr2.vm"
chmod 644 "$T"/*.vm
nb() { setpriv --reuid=nobody --regid=nogroup --clear-groups env -i PATH=/usr/bin:/bin \
         XDG_RUNTIME_DIR="$T/xdg" ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" "$B" "$@"; }
nb --bus=dbus-daemon run --detach "$T/nr.vm" >"$T/out" 2>"$T/err" || fail "run as nobody: $(cat "$T/err")"
grep -q "not root: every process of nr runs as uid 65534 (same-uid)" "$T/err" || fail "no not-root notice: $(cat "$T/err")"
dir=$T/xdg/bulkhead/nr
[ "$(stat -c %a "$dir")" = 700 ] || fail "runtime dir mode $(stat -c %a "$dir")"
[ "$(stat -c %U "$dir")" = nobody ] || fail "runtime dir not owned by the caller"
uids=$(nb ps --json | $PY -c "import json,sys; print(sorted({p['uid'] for v in json.load(sys.stdin) for p in v['processes']}))")
[ "$uids" = "[65534]" ] || fail "uids $uids, expected only 65534"
nb stop nr || fail "stop as nobody"
[ ! -e "$dir" ] || fail "runtime dir left behind"
echo "ok: not root runs same-uid as the caller"
nb --bus=dbus-daemon run --detach "$T/nr2.vm" >"$T/out" 2>"$T/err" && fail "many-uids ran without root"
grep -q "not root: only identity = same-uid can run (this spec asks for many-uids)" "$T/err" || fail "unclear refusal: $(cat "$T/err")"
[ ! -e "$T/xdg/bulkhead/nr2" ] || fail "refused VM left its dir"
echo "ok: not root refuses many-uids, saying why"
