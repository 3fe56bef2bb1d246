#!/bin/bash
# build.sh [TREE]: configure (once) and build qemu-system-x86_64 in TREE/build,
# link Debian's firmware into its data dir, smoke-run it.
. "$(dirname "$0")/common.sh"

tree=${1:-$TREE}
[ -d "$tree/.git" ] || die "no tree at $tree; run 'make tree'"
"$TOP/scripts/configure.sh" "$tree"
log "building qemu-system-x86_64 in $tree/build"
ninja -C "$tree/build" qemu-system-x86_64
"$TOP/scripts/firmware.sh" "$tree"
"$TOP/scripts/smoke.py" "$tree/build/qemu-system-x86_64"
log "built: $tree/build/qemu-system-x86_64"
