#!/bin/bash
# e2e-l0.sh: build the L0 QEMU of make check-e2e-soak and print the path of
# its qemu-system-x86_64: QEMU 10.0's base (no series: L0 runs no
# confidential guest), TCG, with the test-only e2e/l0/*.patch (edu's DMA
# delay settable), in $E2E_BUILD/l0-qemu, incrementally (ccache).
#
# Why: edu completes a transfer 100 ms after the guest starts it (a timer
# of the teaching device, nothing the IOMMU needs), so that Debian's QEMU
# as L0 gives a soak some 10 probes a second per device: 100000 probes
# would take hours.  With x-dma-delay-ms=0 a transfer completes at the next
# run of L0's main loop; the DMA itself goes through L0's intel-iommu and
# the page tables L1's VFIO programmed, as before.
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

l0_base=10.0
tree=$E2E_BUILD/l0-qemu
src=$BUILD/src-$l0_base/base.git
QEMU=$l0_base "$TOP/scripts/fetch-base.sh" >&2
patches=("$E2E_SRC/l0"/*.patch)
want=$(cat "${patches[@]}" | sha256sum | cut -c1-16)
if [ "$(cat "$tree/.e2e-key" 2>/dev/null)" != "$want" ]; then
    log "e2e: making $tree (the $l0_base base, e2e/l0)"
    fresh_clone "$src" "$tree"
    for p in "${patches[@]}"; do
        git -C "$tree" am -q "$p" >&2 || { git -C "$tree" am --abort; die "$p does not apply"; }
    done
    echo "$want" > "$tree/.e2e-key"
fi
flags="--target-list=x86_64-softmmu --enable-tcg --disable-kvm --disable-docs --disable-rust
       --disable-install-blobs --disable-debug-info --disable-werror"
bdir=$tree/build
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$bdir/.configure-flags" 2>/dev/null)" != "$flags" ]; then
    mkdir -p "$bdir"
    log "e2e: configuring $bdir"
    # shellcheck disable=SC2086
    (cd "$bdir" && "$tree/configure" --python="$PYTHON" $flags) > "$bdir/configure.out" 2>&1 ||
        { tail -n 20 "$bdir/configure.out" >&2; die "configuring the L0 QEMU failed"; }
    echo "$flags" > "$bdir/.configure-flags"
fi
mkdir -p "$E2E_LOGS"
log "e2e: building $bdir/qemu-system-x86_64 (L0 for the soak)"
nice -n 5 ninja -C "$bdir" qemu-system-x86_64 > "$E2E_LOGS/l0-build.log" 2>&1 ||
    { grep -E 'error|FAILED' "$E2E_LOGS/l0-build.log" | head -n 20 >&2; die "the L0 QEMU does not build"; }
echo "$bdir/qemu-system-x86_64"
# (Its firmware comes from Debian's qemu-system-data and seabios: the +ds
# source has none; e2e-boot.sh passes -L /usr/share/qemu for this L0.)
