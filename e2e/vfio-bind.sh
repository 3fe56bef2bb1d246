#!/bin/sh
# vfio-bind [VENDOR:DEVICE]: bind every PCI device with that id (default
# 1234:11e8, QEMU's edu device: the rig's L1 has three) to vfio-pci
# (driver_override), and check that both ways in exist for each: its group
# /dev/vfio/N and its cdev /dev/vfio/devices/vfioN.  Runs in the L1 guest.
id=${1:-1234:11e8}
ven=0x${id%%:*}
dev=0x${id##*:}
fail() { echo "vfio-bind: $*"; exit 1; }

bdfs=
for d in /sys/bus/pci/devices/*; do
    if [ "$(cat "$d/vendor")" = "$ven" ] && [ "$(cat "$d/device")" = "$dev" ]; then
        bdfs="$bdfs ${d##*/}"
    fi
done
if [ -z "$bdfs" ]; then
    echo "vfio-bind: PCI devices:"
    for d in /sys/bus/pci/devices/*; do
        echo "    ${d##*/} $(cat "$d/vendor"):$(cat "$d/device")"
    done
    fail "no PCI device $id (is -device edu on QEMU's command line?)"
fi
for bdf in $bdfs; do
    sys=/sys/bus/pci/devices/$bdf
    [ -e "$sys/iommu_group" ] ||
        fail "$bdf has no IOMMU group (intel-iommu device in the VM, intel_iommu=on?)"
    group=$(basename "$(readlink "$sys/iommu_group")")
    [ -d /sys/bus/pci/drivers/vfio-pci ] || fail "no vfio-pci driver (CONFIG_VFIO_PCI)"

    if [ -e "$sys/driver" ]; then
        cur=$(basename "$(readlink "$sys/driver")")
        [ "$cur" = vfio-pci ] || echo "$bdf" > "$sys/driver/unbind" ||
            fail "cannot unbind $bdf from $cur"
    fi
    echo vfio-pci > "$sys/driver_override" || fail "cannot write $sys/driver_override"
    [ -e "$sys/driver" ] || echo "$bdf" > /sys/bus/pci/drivers_probe ||
        fail "probing $bdf with vfio-pci failed"
    drv=$( [ -e "$sys/driver" ] && basename "$(readlink "$sys/driver")")
    [ "$drv" = vfio-pci ] || fail "$bdf is bound to '${drv:-nothing}', not vfio-pci"

    others=
    for d in "/sys/kernel/iommu_groups/$group/devices/"*; do
        [ "${d##*/}" = "$bdf" ] || others="$others ${d##*/}"
    done
    [ -z "$others" ] || fail "IOMMU group $group also holds$others: not viable for VFIO"
    [ -c "/dev/vfio/$group" ] || fail "no /dev/vfio/$group"
    [ -c /dev/vfio/vfio ] || fail "no /dev/vfio/vfio (CONFIG_VFIO_CONTAINER)"
    cdev=
    for c in "$sys"/vfio-dev/vfio*; do
        [ -c "/dev/vfio/devices/${c##*/}" ] && cdev=${c##*/}
    done
    [ -n "$cdev" ] || fail "no VFIO cdev for $bdf (CONFIG_VFIO_DEVICE_CDEV)"
    [ -c /dev/iommu ] || fail "no /dev/iommu (CONFIG_IOMMUFD)"
    echo "vfio-bind: $bdf ($id) bound to vfio-pci; IOMMU group $group" \
         "(/dev/vfio/$group), cdev /dev/vfio/devices/$cdev"
done
