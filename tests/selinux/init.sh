#!/bin/busybox sh
# init.sh -- PID 1 of the SELinux test VM (busybox). Loads the test policy,
# starts bulkhead-bus in bus_t and real clients (vm-client, sd-bus) in a_t,
# b_t, c_t, d_t, prints every observation as "RESULT ..." and the bus's log as
# "BUSLOG ..." on the serial console, then powers off. Judges nothing: the
# test on the host (test-selinux-vm.py) does.
/bin/busybox mkdir -p /proc /sys /dev /run /tmp
/bin/busybox mount -t devtmpfs dev /dev
exec 0</dev/console 1>/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t selinuxfs selinuxfs /sys/fs/selinux
mount -t tmpfs run /run
mount -t securityfs securityfs /sys/kernel/security
echo "RESULT boot $(uname -r) lsm=$(cat /sys/kernel/security/lsm 2>/dev/null)"

if ! vm-client load /etc/selinux/test/policy.bin; then
        dmesg | grep -i -E "selinux|policy" | sed 's/^/DMESG /'
        echo "RESULT done"
        poweroff -f
fi
vm-client context init-context

ADDR=unix:path=/run/bus.sock
R="vm-client runcon"
$R u:r:bus_t /bin/bulkhead-bus --config-file=/etc/bus.conf --nofork 2>/run/bus.log &
BUS=$!
i=0
while [ ! -S /run/bus.sock ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
echo "RESULT bus-socket $([ -S /run/bus.sock ] && echo ok || echo missing)"

# own: com.example.A is associated with name_a_t; others use the bus's bus_t
$R u:r:b_t /bin/vm-client own $ADDR com.example.A own-b-a
$R u:r:c_t /bin/vm-client own $ADDR com.example.C own-c-c
# libselinux is dlopen()ed at the first check on a host with SELinux
echo "RESULT bus-maps libselinux=$(grep -c libselinux /proc/$BUS/maps)"
$R u:r:a_t /bin/vm-client serve $ADDR com.example.A serve-a
$R u:r:b_t /bin/vm-client serve $ADDR com.example.B serve-b

# send_msg, unicast (call and reply)
$R u:r:a_t /bin/vm-client call $ADDR com.example.B call-a-b
$R u:r:b_t /bin/vm-client call $ADDR com.example.A call-b-a
$R u:r:c_t /bin/vm-client call $ADDR com.example.A call-c-a

# send_msg, broadcast: each receiver decided alone
$R u:r:b_t /bin/vm-client emit $ADDR FromB emit-b
$R u:r:c_t /bin/vm-client emit $ADDR FromC emit-c
$R u:r:b_t /bin/vm-client got $ADDR com.example.A got-a
$R u:r:a_t /bin/vm-client got $ADDR com.example.B got-b

# the label from SO_PEERSEC; send_msg to the driver (bus_t)
$R u:r:a_t /bin/vm-client creds $ADDR com.example.B creds-b
$R u:r:b_t /bin/vm-client creds $ADDR com.example.A creds-a
$R u:r:a_t /bin/vm-client hello $ADDR hello-a
$R u:r:d_t /bin/vm-client hello $ADDR hello-d

$R u:r:a_t /bin/vm-client quit $ADDR com.example.B
$R u:r:b_t /bin/vm-client quit $ADDR com.example.A
kill -TERM $BUS
wait $BUS
echo "RESULT bus-exit $?"
sed 's/^/BUSLOG /' /run/bus.log
echo "RESULT done"
poweroff -f
