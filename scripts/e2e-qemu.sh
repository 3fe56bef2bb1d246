#!/bin/bash
# e2e-qemu.sh: build the QEMU that runs inside L1 for the nested tests: the
# base, the series (patches/qemu-$QEMU) and the test-only patches of
# e2e/qemu-$QEMU/ (a software-protected VM type, KVM_X86_SW_PROTECTED_VM),
# in $E2E_BUILD/qemu-$QEMU, KVM only, incrementally (ccache).  Prints the path of
# qemu-system-x86_64.
#
# E2E_SERIES=none leaves the series out and applies e2e/base-demo-$QEMU/
# too (the unpatched base, with its guest_memfd discard check relaxed so
# that VFIO starts: the stale DMA mapping this series prevents), in
# $E2E_BUILD/qemu-$QEMU-base.  E2E_MUTANT=NAME applies
# e2e/mutants-$QEMU/NAME.patch on top (the series broken on purpose, which
# the nested tests must catch), in $E2E_BUILD/qemu-$QEMU-mutant.
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

series=${E2E_SERIES:-patches}
tree=$E2E_BUILD/qemu-$QEMU
ls "$E2E_SRC/qemu-$QEMU"/*.patch >/dev/null 2>&1 ||
    die "no test-only patches for QEMU $QEMU (e2e/qemu-$QEMU/*.patch)"
extra=("$E2E_SRC/qemu-$QEMU"/*.patch)
if [ "$series" = none ]; then
    tree=$E2E_BUILD/qemu-$QEMU-base
    extra+=("$E2E_SRC/base-demo-$QEMU"/*.patch)
elif [ -n "${E2E_MUTANT:-}" ]; then
    [ -f "$E2E_SRC/mutants-$QEMU/$E2E_MUTANT.patch" ] ||
        die "no mutant e2e/mutants-$QEMU/$E2E_MUTANT.patch"
    tree=$E2E_BUILD/qemu-$QEMU-mutant
    extra+=("$E2E_SRC/mutants-$QEMU/$E2E_MUTANT.patch")
fi
"$TOP/scripts/fetch-base.sh" >&2

# The tree is made afresh when what goes into it changes.
want=$({ [ "$series" = none ] || cat "$PATCHES/series" $(series_files | sed "s|^|$PATCHES/|"); \
         cat "${extra[@]}"; } | sha256sum | cut -c1-16)
if [ "$(cat "$tree/.e2e-key" 2>/dev/null)" != "$want" ]; then
    log "e2e: making $tree (base, ${series}, e2e patches)"
    fresh_clone "$BASE_REPO" "$tree"
    if [ "$series" != none ]; then
        "$TOP/scripts/apply-series.sh" "$tree" >&2
    fi
    for p in "${extra[@]}"; do
        git -C "$tree" am -q "$p" >&2 || { git -C "$tree" am --abort; die "$p does not apply"; }
    done
    echo "$want" > "$tree/.e2e-key"
fi
EXTRA_CONFIGURE_FLAGS=--disable-debug-info "$TOP/scripts/configure.sh" "$tree" >&2
log "e2e: building $tree/build/qemu-system-x86_64"
nice -n 5 ninja -C "$tree/build" qemu-system-x86_64 > "$E2E_LOGS/qemu-build.log" 2>&1 ||
    { grep -E 'error|FAILED' "$E2E_LOGS/qemu-build.log" | head -n 20 >&2; die "the e2e QEMU does not build"; }
echo "$tree/build/qemu-system-x86_64"
