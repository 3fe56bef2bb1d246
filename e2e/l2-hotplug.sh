#!/bin/sh
# l2-hotplug LIMIT: hot-plug the edu device (vfio-pci, legacy container)
# into a running software-protected L2 guest that shares all its memory
# but [32 MiB, 64 MiB) (about 24600 pages): at dma_entry_limit LIMIT (below
# that) the hot-plug must fail with one error naming the limit and the ways
# out, nothing stays behind and the guest keeps running; at 65535 it must
# work.  Driven through the human monitor on a pipe; prints the monitor's
# transcript.
limit=$1
dev=${E2E_EDU_BDF:-0000:00:03.0}
mon=/tmp/l2-hotplug.mon
out=/tmp/l2-hotplug.out
err=/tmp/l2-hotplug.err
cmds=/tmp/l2-hotplug.cmds
# What QEMU must say (e2e/l2-messages-BASE.sh): L2_WANT_HOTPLUG.
# shellcheck source=/dev/null
. /e2e/l2-messages || exit 2
: > "$cmds"
rm -f "$mon"
mkfifo "$mon"

/e2e/qemu/qemu-system-x86_64 -L /e2e/share/qemu \
    -accel kvm -cpu qemu64 -m 128M \
    -machine q35,smm=off,confidential-guest-support=swp0 \
    -object sw-protected-vm,id=swp0,private-start=0x2000000,private-size=0x2000000 \
    -object memory-backend-ram,id=m0,size=64M \
    -object memory-backend-memfd,id=m1,size=64M \
    -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1 \
    -nodefaults -vga none -display none -serial none \
    -device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 \
    -kernel /e2e/l2/guest.elf -append "mode=idle" \
    -monitor stdio <"$mon" >"$out" 2>"$err" &
qpid=$!
exec 3>"$mon"
# A QEMU that is gone must not kill this script through SIGPIPE.
trap '' PIPE
alive() { kill -0 "$qpid" 2>/dev/null; }

# cmd TEXT: a monitor command; wait (30 s at most) for its prompt.
prompts=1
cmd() {
    alive || return 1
    echo "$1" >&3 || return 1
    echo "$1" >> "$cmds"
    prompts=$((prompts + 1))
    i=0
    while alive && [ "$(grep -o '(qemu)' "$out" | wc -l)" -lt "$prompts" ] && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}
ok=1
i=0
while alive && ! grep -q '(qemu)' "$out" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if ! alive || ! grep -q '(qemu)' "$out"; then
    sed 's/^/l2 qemu: /' "$err"
    echo "l2-hotplug: QEMU did not start (no monitor prompt)"
    kill "$qpid" 2>/dev/null
    exit 1
fi
sleep 2
echo "$limit" > /sys/module/vfio_iommu_type1/parameters/dma_entry_limit
cmd "device_add vfio-pci,host=$dev,bus=rp0,id=edu0"
cmd "info status"
cmd "info pci"
cmd "info ram-block-attributes m0"
echo 65535 > /sys/module/vfio_iommu_type1/parameters/dma_entry_limit
cmd "device_add vfio-pci,host=$dev,bus=rp0,id=edu0"
cmd "info ram-block-attributes m0"
cmd "quit"
exec 3>&-
wait "$qpid"
rc=$?
# The transcript: the monitor's echo of each command (readline's redraws)
# replaced by the command.
tr -d '\r' < "$out" | awk -v cmds="$cmds" '
    /^\(qemu\) / { if ((getline c < cmds) > 0) print "(qemu) " c; else print "(qemu)"; next }
    { print }' | sed 's/^/l2 monitor: /'
sed 's/^/l2 qemu: /' "$err"

# The first device_add fails with the limit and the ways out.
first=$(awk '/device_add/ { n++ } n == 1' "$out" | tr -d '\r')
IFS='
'
set -f
for want in $L2_WANT_HOTPLUG; do
    echo "$first" | grep -q "$want" || { echo "l2-hotplug: the refused hot-plug did not say '$want'"; ok=0; }
done
set +f
unset IFS
# The VM kept running; the device did not stay; nothing listens to m0.
echo "$first" | grep -q 'VM status: running' || { echo "l2-hotplug: the VM is not running after the refusal"; ok=0; }
echo "$first" | grep -q '1234:11e8\|Class 00ff' && { echo "l2-hotplug: the refused device is on the bus"; ok=0; }
echo "$first" | grep -q 'listeners: 0' || { echo "l2-hotplug: a listener stayed registered"; ok=0; }
# The second works: the device listens to the memory it can reach.
second=$(awk '/device_add/ { n++ } n == 2' "$out" | tr -d '\r')
echo "$second" | grep -q 'Error' && { echo "l2-hotplug: the second hot-plug failed"; ok=0; }
echo "$second" | grep -q 'listeners: [1-9]' || { echo "l2-hotplug: the hot-plugged device does not listen"; ok=0; }
[ "$rc" = 0 ] || { echo "l2-hotplug: QEMU exited with $rc"; ok=0; }
[ "$ok" = 1 ] && echo "l2-hotplug: refused at dma_entry_limit $limit with the error above, accepted at 65535"
[ "$ok" = 1 ]
