#!/bin/bash
# firmware.sh TREE: the +ds source has no firmware blobs; let the build-tree
# binary find Debian's SeaBIOS and iPXE ROMs through its qemu-bundle data dir.
. "$(dirname "$0")/common.sh"

tree=${1:-$TREE}
dest=$tree/build/qemu-bundle/usr/local/share/qemu
mkdir -p "$dest"
n=0
for f in /usr/share/seabios/*.bin /usr/lib/ipxe/qemu/*.rom; do
    [ -e "$f" ] || continue
    ln -sfn "$f" "$dest/$(basename "$f")"
    n=$((n + 1))
done
[ -e "$dest/bios-256k.bin" ] || die "bios-256k.bin not found: is the seabios package installed?"
log "linked $n firmware file(s) into $dest"
