#!/bin/bash
# configure.sh TREE: configure TREE/build for qemu-system-x86_64 (KVM only),
# unless it is already configured with the same flags.
. "$(dirname "$0")/common.sh"

tree=${1:-$TREE}
bdir=$tree/build
want="${CONFIGURE_FLAGS[*]} --python=$PYTHON"
if [ -f "$bdir/build.ninja" ] && [ "$(cat "$bdir/.configure-flags" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
mkdir -p "$bdir"
log "configuring $bdir: $want"
(cd "$bdir" && ../configure --python="$PYTHON" "${CONFIGURE_FLAGS[@]}") \
    > "$bdir/configure.out" 2>&1 || { tail -n 30 "$bdir/configure.out"; die "configure failed (log: $bdir/configure.out)"; }
echo "$want" > "$bdir/.configure-flags"
