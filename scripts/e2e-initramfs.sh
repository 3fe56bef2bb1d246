#!/bin/bash
# e2e-initramfs.sh -o OUT.cpio.gz [-d DIR]... [-f SRC:DEST]... [-x BIN[:DEST]]...
#
# Build the L1 guest's initramfs (newc cpio, gzip): busybox-static with a
# link for each of its applets, e2e/init as /init, then, in order:
#   -d DIR         DIR's tree copied into the root (a staging directory)
#   -f SRC:DEST    one file, at DEST
#   -x BIN[:DEST]  an executable at DEST (default /usr/bin/NAME) with the
#                  shared libraries and the loader ldd finds for it, at their
#                  own paths (a dynamically linked QEMU, say)
# Cached: OUT is remade only when a hash of everything that goes in (and of
# this script and busybox's version) changes.  Prints OUT's size.
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

out=
dirs=() files=() bins=()
while getopts "o:d:f:x:" opt; do
    case $opt in
    o) out=$OPTARG ;;
    d) [ -d "$OPTARG" ] || die "-d $OPTARG: no such directory"; dirs+=("$OPTARG") ;;
    f) [[ $OPTARG == *:/* ]] || die "-f wants SRC:/DEST, got $OPTARG"
       [ -f "${OPTARG%%:*}" ] || die "-f ${OPTARG%%:*}: no such file"; files+=("$OPTARG") ;;
    x) [ -x "${OPTARG%%:*}" ] || die "-x ${OPTARG%%:*}: not an executable"; bins+=("$OPTARG") ;;
    *) die "usage: $0 -o OUT.cpio.gz [-d DIR]... [-f SRC:DEST]... [-x BIN[:DEST]]..." ;;
    esac
done
[ -n "$out" ] || die "usage: $0 -o OUT.cpio.gz [-d DIR]... [-f SRC:DEST]... [-x BIN[:DEST]]..."
[ -x /bin/busybox ] || die "/bin/busybox missing: run scripts/e2e-fetch.sh (busybox-static)"

# SRC:DEST pairs of the executables' libraries (ldd), loader included.
libs_of() {
    ldd "$1" 2>/dev/null | awk '
        /=> \// { print $3 }
        /^[[:space:]]*\/[^ ]+ \(0x/ { print $1 }' | sort -u
}
lib_files=()
for b in "${bins[@]}"; do
    src=${b%%:*}
    if ! file_out=$(ldd "$src" 2>&1); then
        # A static executable: "not a dynamic executable".
        continue
    fi
    if grep -q 'not found' <<<"$file_out"; then
        die "-x $src: libraries not found: $(grep 'not found' <<<"$file_out" | tr '\n' ' ')"
    fi
    while read -r lib; do
        [ -n "$lib" ] && lib_files+=("$(readlink -f "$lib"):$lib")
    done < <(libs_of "$src")
done

# The cache key: every input's path and contents.
key=$( {
    echo "busybox $(dpkg-query -W -f='${Version}' busybox-static)"
    sha256sum "$0" "$E2E_SRC/init"
    for d in "${dirs[@]}"; do
        (cd "$d" && find . -type f -print0 | sort -z | xargs -0r sha256sum)
        (cd "$d" && find . -type l -printf '%p -> %l\n' | sort)
    done
    for f in "${files[@]}" "${bins[@]}" "${lib_files[@]}"; do
        echo "$f $(sha256sum < "${f%%:*}")"
    done
} | sha256sum | cut -c1-16)
if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
    log "initramfs: cached $out"
    echo "$out ($(du -k "$out" | cut -f1) KiB, cached)"
    exit 0
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/e2e-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,root,etc,e2e/bin}
cp /bin/busybox "$root/bin/busybox"
/bin/busybox --list-full | while read -r applet; do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
install -m 0755 "$E2E_SRC/init" "$root/init"
# /dev/console for the kernel to open before devtmpfs is mounted.
mknod -m 600 "$root/dev/console" c 5 1
for d in "${dirs[@]}"; do
    cp -a "$d/." "$root/"
done
put() {   # SRC DEST [MODE]
    mkdir -p "$root$(dirname "$2")"
    cp -L "$1" "$root$2"
    [ -z "${3:-}" ] || chmod "$3" "$root$2"
}
for f in "${files[@]}"; do
    put "${f%%:*}" "${f#*:}"
done
for b in "${bins[@]}"; do
    if [[ $b == *:* ]]; then put "${b%%:*}" "${b#*:}" 0755
    else put "$b" "/usr/bin/$(basename "$b")" 0755; fi
done
for l in "${lib_files[@]}"; do
    put "${l%%:*}" "${l#*:}"
done

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | sort -z |
    cpio --quiet -o -0 -H newc -R 0:0 | gzip -6 -n) > "$out.tmp" ||
    die "cannot make the initramfs (cpio, gzip)"
mv "$out.tmp" "$out"
echo "$key" > "$out.key"
n=$(find "$root" | wc -l)
log "initramfs: $out ($n entries)"
echo "$out ($(du -k "$out" | cut -f1) KiB, $n entries)"
