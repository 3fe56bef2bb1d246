#!/bin/sh
# l2-run MODE BACKEND [LIMIT]: run the nested (L2) test guest in L1 with the
# patched QEMU (/e2e/qemu/qemu-system-x86_64): a software-protected VM
# (KVM_X86_SW_PROTECTED_VM: guest_memfd, memory attributes, conversions by
# KVM_HC_MAP_GPA_RANGE) with the edu device assigned through vfio-pci, on a
# legacy VFIO container (BACKEND type1, vfio_iommu_type1.dma_entry_limit set
# to LIMIT first) or iommufd.  MODE is the guest's (e2e/l2-guest/README.md).
# Exits 0 when the guest reports every test passed, QEMU exits as the guest
# asked, and QEMU printed what the mode expects of it; prints QEMU's stderr
# and the guest's serial output, prefixed.
#
# The L2 machine: q35 without SMM (the SMRAM aliases of RAM would bind a
# guest_memfd range to a second memory slot, which KVM refuses; SEV-SNP and
# TDX guests have no SMM either), 128 MiB in two NUMA nodes so that a range
# can span two RAM blocks, one anonymous (freed by madvise) and one memfd
# (freed by fallocate), as a confidential guest's memory backends are.
#
# MODE hotplug: the guest idles; the device is hot-plugged through the
# monitor, first at a dma_entry_limit (LIMIT) below what the guest shares,
# which must fail with the error that names the limit while the VM keeps
# running, then at 65535, which must work.
mode=$1
backend=$2
limit=${3:-65535}
dev=${E2E_EDU_BDF:-0000:00:03.0}
qemu=/e2e/qemu/qemu-system-x86_64
serial=/tmp/l2-$mode-$backend.serial
err=/tmp/l2-$mode-$backend.err

case $backend in
type1)
    echo "$limit" > /sys/module/vfio_iommu_type1/parameters/dma_entry_limit || exit 1
    vfio="-device vfio-pci,host=$dev"
    ;;
iommufd)
    vfio="-object iommufd,id=iommufd0 -device vfio-pci,host=$dev,iommufd=iommufd0"
    ;;
*)
    echo "l2-run: unknown backend $backend"; exit 2 ;;
esac
private=
smp=1
case $mode in
limit) private=",private-start=0x2000000,private-size=0x2000000" ;;
smp) smp=2 ;;
esac

if [ "$mode" = hotplug ]; then
    exec l2-hotplug "$limit"
fi
# E2E_L2_DEBUG=1: the firmware's debug output (port 0x402) too, and QEMU's
# trace events E2E_L2_TRACE (a -trace pattern) on its stderr.
debug=
if [ "${E2E_L2_DEBUG:-0}" = 1 ]; then
    debug="-chardev file,id=dbg,path=/tmp/l2-$mode-$backend.debugcon -device isa-debugcon,iobase=0x402,chardev=dbg"
    for t in ${E2E_L2_TRACE:-}; do
        debug="$debug -trace $t"
    done
fi
t0=$(cut -d' ' -f1 /proc/uptime)
# shellcheck disable=SC2086
timeout "${E2E_L2_TIMEOUT:-600}" "$qemu" -L /e2e/share/qemu \
    -accel kvm -cpu qemu64 -smp "$smp" -m 128M \
    -machine q35,smm=off,confidential-guest-support=swp0 \
    -object sw-protected-vm,id=swp0$private \
    -object memory-backend-ram,id=m0,size=64M \
    -object memory-backend-memfd,id=m1,size=64M \
    -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1 \
    -nodefaults -vga none -display none -monitor none \
    -serial "file:$serial" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    $vfio $debug \
    -kernel /e2e/l2/guest.elf -append "mode=$mode" \
    </dev/null 2>"$err"
rc=$?
t=$(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN { printf "%.1f", b - a }')
sed 's/^/l2 serial: /' "$serial" 2>/dev/null
sed 's/^/l2 qemu: /' "$err"
[ -z "$debug" ] || tail -n 40 "/tmp/l2-$mode-$backend.debugcon" | sed 's/^/l2 firmware: /'

ok=1
done_line=$(grep -a '^E2E-L2-DONE:' "$serial" 2>/dev/null | tail -n 1)
# isa-debug-exit: QEMU's exit status is (value << 1) | 1; the guest writes 0
# when every test passed.
if [ "$rc" = 124 ]; then
    echo "l2-run: $mode $backend: timeout after $t s"; ok=0
elif [ "$rc" != 1 ]; then
    echo "l2-run: $mode $backend: QEMU exited with status $rc (1 = the guest's success)"; ok=0
fi
case $done_line in
"E2E-L2-DONE: "*" 0") ;;
*) echo "l2-run: $mode $backend: the guest did not report success (${done_line:-no E2E-L2-DONE line})"; ok=0 ;;
esac
if [ "$mode" = limit ]; then
    # What the user must see when a conversion is refused (issue: name the
    # RAM block, the range, the limit and the ways out).
    for want in 'refused to share guest memory' 'holds at most' \
                'vfio_iommu_type1.dma_entry_limit=' 'iommufd'; do
        grep -q "$want" "$err" || { echo "l2-run: limit: QEMU did not say '$want'"; ok=0; }
    done
fi
n=$(grep -ac '^E2E-L2: PASS' "$serial" 2>/dev/null)
echo "l2-run: $mode $backend: ${n:-0} guest test(s) passed, $t s"
[ "$ok" = 1 ]
