#!/bin/bash
# run-devices.sh -- examples/devices.vm (a copy with its own name, uids and a
# temp shared directory): swtpm, passt, virtiofsd and the demo state helper
# each run confined (own uid, no_new_privs, seccomp -- ours or their own --,
# no capabilities left; passt in its own user namespace with an empty root,
# virtiofsd chrooted into the share without the VM group), and QEMU talks to
# each: query-tpm, the stream netdev connected to passt's socket, the
# vhost-user-fs device realized (which needs virtiofsd's answers). `stop`
# leaves no process and no runtime directory behind.
. "$(dirname "$0")/lib.sh"
need_root
need_qemu
command -v swtpm >/dev/null || skip "swtpm missing"
command -v passt >/dev/null || skip "passt missing"
[ -x /usr/lib/qemu/virtiofsd ] || skip "/usr/lib/qemu/virtiofsd missing"
[ -x "$BULKHEAD_BUILD/src/cli/bulkhead-bus" ] || skip "bulkhead-bus not built"
[ -x "$BULKHEAD_BUILD/helpers/bulkhead-demo-helper" ] || skip "bulkhead-demo-helper not built"
export BULKHEAD_HELPER_PATH=$BULKHEAD_BUILD/helpers

mkdir -m 755 "$T/share"
echo hello >"$T/share/hello"
sed -e 's/^name = devices$/name = devt/' -e 's/^uids = .*/uids = 61400-61499/' \
    -e "s|source=/usr/share/doc|source=$T/share|" \
    -e "s|^fs-tag = share$|fs-tag = share\nread-write-paths = $T/share|" \
    "$SRC/examples/devices.vm" >"$T/devt.vm"
grep -q "source=$T/share" "$T/devt.vm" || fail "examples/devices.vm changed: no source=/usr/share/doc to replace"

if ! "$B" run --detach "$T/devt.vm" >/dev/null 2>"$T/err"; then
  if [ "${BULKHEAD_SANITIZE:-0}" = 1 ] && grep -q "^bus: .*runtime error" "$T/err"; then
    skip "bulkhead-bus failed its sanitizer build: $(grep -m1 '^bus: .*runtime error' "$T/err")"
  fi
  fail "run: $(grep -v 'Failed to send' "$T/err")"
fi
dir=$BULKHEAD_RUNTIME_DIR/devt

# QEMU talks to each helper (QMP answers only once every device is realized)
$PY - "$dir/qmp.sock" "$dir/h-net/net.sock" >"$T/qmp.out" 2>&1 <<'EOP' || fail "QEMU and its helpers: $(cat "$T/qmp.out")"
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rw")
f.readline()
def q(cmd, **args):
    f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "event" not in r:
            assert "return" in r, (cmd, r)
            return r["return"]
q("qmp_capabilities")
tpm = q("query-tpm")
assert tpm and tpm[0]["model"] == "tpm-tis" and tpm[0]["options"]["type"] == "emulator", tpm
print("ok: swtpm: query-tpm", tpm[0]["id"])
# 'unix:PATH' once connected ('connection error' otherwise)
net = q("human-monitor-command", **{"command-line": "info network"})
assert "bh-net-net: index=0,type=stream,unix:" + sys.argv[2] in net, net
print("ok: passt: netdev connected to", sys.argv[2])
kids = [c["type"] for c in q("qom-list", path="/machine/peripheral-anon")]
assert "child<vhost-user-fs-pci>" in kids, kids
fs = [d for b in q("query-pci") for d in b["devices"] if d["id"]["vendor"] == 0x1af4 and d["id"]["device"] == 0x105a]
assert fs, "no virtio-fs PCI function"
print("ok: virtiofsd: vhost-user-fs-pci realized at slot", fs[0]["slot"])
EOP
cat "$T/qmp.out"

# every process confined
pids=$(ps_json "' '.join(str(p['pid']) for v in j for p in v['processes'])")
[ "$(echo $pids | wc -w)" = 6 ] || fail "expected 6 processes, got: $pids"
for name in bus qemu tpm net fs state; do
  pid=$(pid_of devt $name)
  [ "$pid" -gt 0 ] && [ -d /proc/$pid ] || fail "$name is not running"
  read -r _ ruid euid suid fsuid <<<"$(grep '^Uid:' /proc/$pid/status)"
  for u in $ruid $euid $suid $fsuid; do [ "$u" -ge 61400 ] || fail "$name runs as uid $u"; done
  [ "$(status_field $pid NoNewPrivs)" = 1 ] || fail "$name without no_new_privs"
  [ "$(status_field $pid Seccomp)" = 2 ] || fail "$name without a seccomp filter"
  [ "$(status_field $pid CapEff)" = 0000000000000000 ] || fail "$name has capabilities: $(status_field $pid CapEff)"
  [ "$(status_field $pid CapPrm)" = 0000000000000000 ] || fail "$name may raise capabilities: $(status_field $pid CapPrm)"
  [ "$(ps_json "[p['restarts'] for v in j for p in v['processes'] if p['name']=='$name'][0]")" = 0 ] \
    || fail "$name was restarted"
done
net=$(pid_of devt net); fs=$(pid_of devt fs)
# passt: its own user namespace and an empty root (its isolation worked inside ours)
[ "$(readlink /proc/$net/ns/user)" != "$(readlink /proc/self/ns/user)" ] || fail "passt did not isolate itself"
[ -z "$(ls -A /proc/$net/root)" ] || fail "passt sees files: $(ls -A /proc/$net/root | head -3)"
# virtiofsd: chrooted into the share, no VM group, empty bounding set (it dropped its two caps)
[ "$(readlink /proc/$fs/root)" = "$T/share" ] || fail "virtiofsd root is $(readlink /proc/$fs/root)"
[ -z "$(status_field $fs Groups)" ] || fail "virtiofsd keeps groups $(status_field $fs Groups)"
[ "$(status_field $fs CapBnd)" = 0000000000000000 ] || fail "virtiofsd bounding set $(status_field $fs CapBnd)"
# the sockets QEMU connects to: the VM's group (QEMU's uid 61400) and nobody else
for s in tpm/tpm.sock net/net.sock fs/fs.sock; do
  [ "$(stat -c %a:%g "$dir/h-$s")" = "660:61400" ] || fail "$s is $(stat -c %a:%g "$dir/h-$s")"
done
echo "ok: swtpm, passt, virtiofsd, state helper, bus and QEMU confined"

"$B" stop devt 2>"$T/err" || fail "stop: $(cat "$T/err")"
[ ! -e "$dir" ] || fail "runtime dir left after stop"
for pid in $pids; do
  [ ! -e /proc/$pid ] || [ "$(status_field $pid State)" = Z ] || fail "$(cat /proc/$pid/comm) ($pid) left after stop"
done
echo "ok: stop leaves nothing"
