#!/bin/bash
# configure.sh TREE [BUILDDIR]: configure BUILDDIR (default TREE/build) for
# qemu-system-x86_64 (KVM only), unless it is already configured with the
# same flags.
. "$(dirname "$0")/common.sh"

tree=${1:-$TREE}
bdir=${2:-$tree/build}
# EXTRA_CONFIGURE_FLAGS: more flags, e.g. --disable-debug-info for the check
# trees (20% less compile time; the same warnings).
read -r -a extra <<<"${EXTRA_CONFIGURE_FLAGS:-}"
want="${CONFIGURE_FLAGS[*]} ${extra[*]} --python=$PYTHON"
if [ -f "$bdir/build.ninja" ] && [ "$(cat "$bdir/.configure-flags" 2>/dev/null)" = "$want" ]; then
    exit 0
fi
mkdir -p "$bdir"
log "configuring $bdir: $want"
(cd "$bdir" && "$tree/configure" --python="$PYTHON" "${CONFIGURE_FLAGS[@]}" "${extra[@]}") \
    > "$bdir/configure.out" 2>&1 || { tail -n 30 "$bdir/configure.out"; die "configure failed (log: $bdir/configure.out)"; }
echo "$want" > "$bdir/.configure-flags"
