#!/usr/bin/python3
# tests/selinux/test-selinux-vm.py -- bulkhead-bus under a real SELinux kernel.
#
# The host has no SELinux, so the test boots Debian's kernel (package
# linux-image-cloud-amd64, CONFIG_SECURITY_SELINUX=y) under QEMU/TCG with
# lsm=selinux and a tiny initramfs built here: busybox-static, our bus and the
# libraries it loads (its ldd closure plus libselinux and libexpat, which it
# dlopen()s), vm-client (compiled here against sd-bus) with its closure, the
# bus configuration with <selinux><associate>, and a minimal SELinux policy
# written in the kernel policy language (policy.conf), compiled here by
# checkpolicy. init.sh runs the clients in different contexts and prints what
# they saw; this script compares that with what dbus-daemon's semantics say.
#
# Owns: a private temp dir (removed at the end) and the QEMU process it starts.
# Never: touches the host's SELinux state (the policy is loaded inside the VM).
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get('BULKHEAD_BUILD', os.path.normpath(os.path.join(HERE, '..', '..', 'build')))
BUS = os.environ.get('BUS_UNDER_TEST', os.path.join(BUILD, 'src', 'cli', 'bulkhead-bus'))
VM_TIMEOUT = 160
# libraries the bus dlopen()s: not in its ldd closure
DLOPENED = ['libselinux.so.1', 'libexpat.so.1']


def skip(why):
    print('SKIP: ' + why)
    sys.exit(SKIP)


def kernel():
    """The newest installed kernel built with SELinux, and its version."""
    for cfg in sorted(glob.glob('/boot/config-*'), reverse=True):
        version = cfg[len('/boot/config-'):]
        image = '/boot/vmlinuz-' + version
        with open(cfg) as f:
            if 'CONFIG_SECURITY_SELINUX=y\n' in f.read() and os.access(image, os.R_OK):
                return image
    return None


def find_library(soname):
    out = subprocess.run(['/sbin/ldconfig', '-p'], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.match(r'\s*(\S+) \(libc6,x86-64[^)]*\) => (\S+)', line)
        if m and m.group(1) == soname:
            return m.group(2)
    return None


def closure(path, seen):
    """Add @path and every library ldd names for it to @seen."""
    seen.add(path)
    out = subprocess.run(['ldd', path], capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = re.search(r'(?:=> )?(/\S+) \(0x', line)
        if m:
            seen.add(m.group(1))


def install(root, src, dst=None):
    dst = os.path.join(root, (dst or src).lstrip('/'))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(src, dst, follow_symlinks=True)
    return dst


def build_initramfs(tmp, client, policy_bin):
    root = os.path.join(tmp, 'root')
    libs = set()
    for binary in (BUS, client):
        closure(binary, libs)
    for soname in DLOPENED:
        path = find_library(soname)
        if not path:
            skip(soname + ' not installed')
        libs.add(path)
        closure(path, libs)
    for lib in libs:
        install(root, lib)
        # the loader searches /lib/x86_64-linux-gnu; ldd may say /usr/lib/...
        if lib.startswith('/usr/lib/'):
            install(root, lib, lib[len('/usr'):])
    install(root, shutil.which('busybox') or '/bin/busybox', '/bin/busybox')
    install(root, BUS, '/bin/bulkhead-bus')
    install(root, client, '/bin/vm-client')
    install(root, os.path.join(HERE, 'init.sh'), '/init')
    install(root, os.path.join(HERE, 'bus.conf'), '/etc/bus.conf')
    install(root, policy_bin, '/etc/selinux/test/policy.bin')
    # libselinux's is_selinux_enabled() wants a config file besides selinuxfs
    with open(os.path.join(root, 'etc/selinux/config'), 'w') as f:
        f.write('SELINUX=enforcing\nSELINUXTYPE=test\n')
    with open(os.path.join(root, 'etc/machine-id'), 'w') as f:
        f.write('0123456789abcdef0123456789abcdef\n')
    os.chmod(os.path.join(root, 'init'), 0o755)
    files = subprocess.run(['find', '.'], cwd=root, capture_output=True, text=True,
                           check=True).stdout
    image = os.path.join(tmp, 'initramfs.cpio')
    with open(image, 'wb') as out:
        subprocess.run(['cpio', '--quiet', '-o', '-H', 'newc'], cwd=root, input=files.encode(),
                       stdout=out, check=True)
    return image


def boot(tmp, image, initramfs):
    console = os.path.join(tmp, 'console.log')
    # unknown key=value parameters reach init's environment: the sanitizer settings
    env = ' '.join('%s=%s' % (k, os.environ[k]) for k in ('ASAN_OPTIONS', 'UBSAN_OPTIONS')
                   if os.environ.get(k) and ' ' not in os.environ[k])
    cmd = ['qemu-system-x86_64', '-accel', 'tcg', '-m', '768', '-smp', '1', '-nodefaults',
           '-display', 'none', '-no-reboot', '-serial', 'file:' + console,
           '-kernel', image, '-initrd', initramfs,
           '-append', 'console=ttyS0 lsm=selinux selinux=1 security=selinux enforcing=1 '
                      'panic=-1 loglevel=4 rdinit=/init ' + env]
    start = time.monotonic()
    q = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        qemu_out = q.communicate(timeout=VM_TIMEOUT)[0].decode(errors='replace')
    except subprocess.TimeoutExpired:
        q.kill()
        qemu_out = q.communicate()[0].decode(errors='replace') + '\n(timed out)'
    print('VM ran %.1f s' % (time.monotonic() - start))
    with open(console, errors='replace') as f:
        text = f.read()
    return text, qemu_out


def host_maps(tmp):
    """On this host (no selinuxfs) the bus must not map libselinux: its maps."""
    if os.path.exists('/sys/fs/selinux/enforce'):
        return None
    sock = os.path.join(tmp, 'host.sock')
    conf = os.path.join(tmp, 'host.conf')
    with open(os.path.join(HERE, 'bus.conf')) as f:
        text = f.read().replace('/run/bus.sock', sock).replace('<type>system</type>', '')
    with open(conf, 'w') as f:
        f.write(text)
    bus = subprocess.Popen([BUS, '--config-file=' + conf, '--nofork', '--print-address'],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        bus.stdout.readline()  # the address: configuration loaded, listening
        with open('/proc/%d/maps' % bus.pid) as f:
            return f.read()
    finally:
        bus.terminate()
        bus.wait()


class Checker:
    def __init__(self, results, buslog):
        self.results = results
        self.buslog = buslog
        self.failed = 0

    def expect(self, tag, pattern, what):
        got = self.results.get(tag, '(no result)')
        ok = re.search(pattern, got) is not None
        print('%s: %s -- %s\n    got: %s' % ('ok' if ok else 'FAIL', tag, what, got))
        self.failed += not ok

    def log(self, pattern, what):
        ok = any(re.search(pattern, line) for line in self.buslog)
        print('%s: bus log -- %s' % ('ok' if ok else 'FAIL', what))
        self.failed += not ok

    def no_log(self, pattern, what):
        bad = [line for line in self.buslog if re.search(pattern, line)]
        print('%s: bus log -- %s%s' % ('FAIL' if bad else 'ok', what,
                                       ''.join('\n    ' + b for b in bad[:5])))
        self.failed += bool(bad)


def main():
    if '--no-selinux' in sys.argv:
        skip('built with -Dselinux=disabled: the bus enforces nothing to test')
    image = kernel()
    qemu = shutil.which('qemu-system-x86_64')
    if not qemu:
        skip('qemu-system-x86_64 not installed')
    if not image:
        skip('no kernel with CONFIG_SECURITY_SELINUX=y in /boot (package linux-image-cloud-amd64)')
    for tool in ('checkpolicy', 'cpio', 'cc', 'pkg-config'):
        if not shutil.which(tool):
            skip(tool + ' not installed')
    if not os.access(BUS, os.X_OK):
        skip('bus not built: ' + BUS)
    if not (shutil.which('busybox') or os.path.exists('/bin/busybox')):
        skip('busybox-static not installed')

    tmp = tempfile.mkdtemp(prefix='bh-selinux-')
    try:
        policy_bin = os.path.join(tmp, 'policy.bin')
        subprocess.run(['checkpolicy', '-U', 'allow', '-o', policy_bin,
                        os.path.join(HERE, 'policy.conf')], check=True, stdout=subprocess.DEVNULL)
        client = os.path.join(tmp, 'vm-client')
        flags = subprocess.run(['pkg-config', '--cflags', '--libs', 'libsystemd'],
                               capture_output=True, text=True, check=True).stdout.split()
        subprocess.run(['cc', '-std=gnu11', '-O1', '-Wall', '-Wextra', '-Werror', '-o', client,
                        os.path.join(HERE, 'vm-client.c')] + flags, check=True)
        maps = host_maps(tmp)
        initramfs = build_initramfs(tmp, client, policy_bin)
        console, qemu_out = boot(tmp, image, initramfs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    results, buslog = {}, []
    for line in console.splitlines():
        line = line.rstrip('\r')
        m = re.match(r'RESULT (\S+) ?(.*)', line)
        if m:
            results.setdefault(m.group(1), m.group(2))
        elif line.startswith('BUSLOG '):
            buslog.append(line[len('BUSLOG '):])
    if 'done' not in results or 'load' not in results or not results['load'].startswith('ok'):
        print('--- console ---\n' + console[-6000:] + '\n--- qemu ---\n' + qemu_out[-2000:])

    c = Checker(results, buslog)
    denied = r'^error org\.freedesktop\.DBus\.Error\.AccessDenied '
    if maps is not None:
        ok = 'libselinux' not in maps and 'libpcre2' not in maps
        print('%s: host without SELinux -- the bus never maps libselinux nor libpcre2' %
              ('ok' if ok else 'FAIL'))
        c.failed += not ok
    c.expect('boot', r'lsm=.*selinux', 'the kernel runs SELinux')
    c.expect('load', r'^ok enforce=1$', 'our policy loaded, enforcing')
    c.expect('bus-socket', r'^ok$', 'bulkhead-bus started in bus_t')
    c.expect('bus-maps', r'^libselinux=[1-9]', 'SELinux on: the bus has loaded libselinux')
    c.expect('own-b-a', denied + r'Connection ":1\.\d+" is not allowed to own the service '
             r'"com\.example\.A" due to SELinux policy$',
             'b_t may not acquire_svc name_a_t (the <associate> context)')
    c.expect('own-c-c', denied + r'.*"com\.example\.C" due to SELinux policy$',
             'c_t may not acquire_svc bus_t (no association: the bus\'s own context)')
    c.expect('serve-a', r'^ok 1$', 'a_t may acquire_svc name_a_t: owns com.example.A')
    c.expect('serve-b', r'^ok 1$', 'b_t may acquire_svc bus_t: owns com.example.B')
    c.expect('call-a-b', r'^ok u:r:b_t$', 'a_t -> b_t call and b_t -> a_t reply allowed')
    c.expect('call-b-a', r'^ok u:r:a_t$', 'b_t -> a_t call and a_t -> b_t reply allowed')
    c.expect('call-c-a', denied + r'An SELinux policy prevents this sender from sending this '
             r'message to this recipient, 0 matched rules; type="method_call", sender=":1\.\d+" '
             r'.*member="Ping".*destination="com\.example\.A"',
             'c_t -> a_t send_msg denied, dbus-daemon\'s text')
    c.expect('got-a', r'^ok FromB$', 'broadcast: a_t got b_t\'s signal, not c_t\'s')
    c.expect('got-b', r'^ok FromC$', 'broadcast: b_t got c_t\'s signal, not b_t\'s own (no b_t -> b_t)')
    c.expect('creds-b', r'^ok label=u:r:b_t(\\0)?$', 'LinuxSecurityLabel of a b_t peer')
    c.expect('creds-a', r'^ok label=u:r:a_t(\\0)?$', 'LinuxSecurityLabel of an a_t peer')
    c.expect('hello-a', r'^ok$', 'a_t -> bus_t send_msg: Hello and driver calls work')
    c.expect('hello-d', denied, 'd_t -> bus_t send_msg denied: Hello refused')
    c.expect('bus-exit', r'^0$', 'the bus exited cleanly on SIGTERM')
    c.expect('done', r'', 'the VM ran to the end')
    c.log(r'SELinux denied acquire_svc: connection ":1\.\d+" \(u:r:b_t\) name "com\.example\.A"',
          'the own denial is logged with the context')
    c.log(r'SELinux denied send_msg: .*scontext=u:r:c_t tcontext=u:r:a_t',
          'the send denial is logged with both contexts')
    c.log(r'SELinux denied send_msg: .*scontext=u:r:d_t tcontext=u:r:bus_t',
          'the driver denial is logged against the bus\'s context')
    c.no_log(r'AddressSanitizer|LeakSanitizer|runtime error', 'no sanitizer report')
    if c.failed:
        print('--- bus log ---\n' + '\n'.join(buslog[-40:]))
    print('%d check(s) failed' % c.failed)
    return 1 if c.failed else 0


if __name__ == '__main__':
    sys.exit(main())
