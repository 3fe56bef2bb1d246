#!/bin/bash
# e2e-kernel.sh: build the L1 guest's kernel from the linux-source package
# e2e-fetch.sh fetched: tinyconfig + e2e/kernel.config + olddefconfig, every
# option of the fragment checked, then bzImage and the uapi headers the test
# programs are compiled against.
#
# Cached in $E2E_BUILD/kernel/KEY, KEY a hash of the fragment and of the
# source package's name and version: an unchanged pair is never rebuilt.
# Prints the directory (bzImage, config, include/) on stdout.
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

FRAGMENT=${E2E_KERNEL_CONFIG:-$E2E_SRC/kernel.config}
[ -f "$FRAGMENT" ] || die "no kernel config fragment at $FRAGMENT"
read -r _ pkg ver <<<"$(grep '^linux-source ' "$E2E_VERSIONS" 2>/dev/null)" ||
    die "no linux-source in $E2E_VERSIONS: run scripts/e2e-fetch.sh first"
deb=$E2E_DL/$(e2e_version linux-source-deb)
[ -f "$deb" ] || die "$deb is missing: run scripts/e2e-fetch.sh"

key=$( { cat "$FRAGMENT"; echo "$pkg $ver"; } | sha256sum | cut -c1-16)
out=$E2E_BUILD/kernel/$key
if [ -f "$out/done" ]; then
    log "kernel: cached $out ($pkg $ver)"
    echo "$out"
    exit 0
fi

# The source tree, unpacked once per package version (older ones removed).
tag=$pkg-${ver//:/_}
src=$E2E_BUILD/src/$tag
if [ ! -f "$src/.unpacked" ]; then
    log "unpacking $(basename "$deb") into $src"
    rm -rf "$E2E_BUILD/src"
    mkdir -p "$src"
    dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" |
        tar -xJ -C "$src" --strip-components=1 ||
        die "cannot unpack /usr/src/$pkg.tar.xz from $deb"
    [ -f "$src/Makefile" ] || die "$deb did not hold a kernel tree"
    touch "$src/.unpacked"
fi

# Objects: one directory per source version, kept for incremental rebuilds
# when only the fragment changes.
obj=$E2E_BUILD/kobj/$tag
[ -d "$obj" ] || rm -rf "$E2E_BUILD/kobj"
mkdir -p "$obj" "$E2E_LOGS"
blog=$E2E_LOGS/kernel-build.log
kmake() {
    # ccache would only crowd out the QEMU builds' objects.
    CCACHE_DISABLE=1 nice -n 10 make -C "$src" O="$obj" ARCH=x86_64 "$@" >>"$blog" 2>&1
}
: > "$blog"
log "kernel: configuring (tinyconfig + $(basename "$FRAGMENT"), olddefconfig)"
kmake tinyconfig || die "make tinyconfig failed, see $blog"
cat "$FRAGMENT" >> "$obj/.config"
kmake olddefconfig || die "make olddefconfig failed, see $blog"

# Every option of the fragment as requested, or the list of those that
# did not stick (a missing dependency, a typo).
bad=()
while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
        grep -qxF "$line" "$obj/.config" ||
            bad+=("$line (got: $(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$obj/.config" || echo unset))")
    elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
        ! grep -q "^${BASH_REMATCH[1]}=" "$obj/.config" ||
            bad+=("$line (got: $(grep "^${BASH_REMATCH[1]}=" "$obj/.config"))")
    fi
done < "$FRAGMENT"
if [ ${#bad[@]} -gt 0 ]; then
    printf 'error: %s\n' "options of $(basename "$FRAGMENT") that did not stick after olddefconfig:" >&2
    printf '    %s\n' "${bad[@]}" >&2
    exit 1
fi

jobs=${E2E_JOBS:-$(nproc)}
log "kernel: building bzImage ($pkg $ver, -j$jobs, log $blog)"
start=$(e2e_now)
if ! kmake -j"$jobs" bzImage; then
    grep -E 'error:|Error [0-9]' "$blog" | head -n 20 >&2 || true
    die "kernel build failed, see $blog"
fi
# The uapi headers (headers_install would want rsync): usr/include of $obj.
kmake headers || die "make headers failed, see $blog"
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
cp "$obj/arch/x86/boot/bzImage" "$out.tmp/bzImage"
cp "$obj/.config" "$out.tmp/config"
cp -r "$obj/usr/include" "$out.tmp/include"
find "$out.tmp/include" -name '.*' -type f -delete
cp "$FRAGMENT" "$out.tmp/kernel.config"
echo "$pkg $ver" > "$out.tmp/source"
e2e_since "$start" > "$out.tmp/build-time"
touch "$out.tmp/done"
rm -rf "$out"
mv "$out.tmp" "$out"
# Older kernels are of no further use.
for d in "$E2E_BUILD"/kernel/*; do
    [ "$d" = "$out" ] || rm -rf "$d"
done
log "kernel: built $out in $(cat "$out/build-time")"
echo "$out"
