#!/bin/bash
# e2e-fetch.sh: install the rig's host tools (qemu-system-x86 for the L1 VM,
# busybox-static for its initramfs, the kernel's build dependencies), fetch
# the current linux-source-6.x package into $E2E_DL and record every version
# used in $E2E_VERSIONS (printed too).  Idempotent: nothing is installed or
# downloaded twice.
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

updated=0
apt_update() {
    [ "$updated" = 1 ] && return 0
    log "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed (see above): the rig needs Debian's archive"
    updated=1
}

# 1. Host tools.
missing=()
for p in "${E2E_HOST_PKGS[@]}"; do
    e2e_installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    apt_update
    log "installing: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}" ||
        die "cannot install ${missing[*]} (apt-get install failed, see above)"
fi
[ -x "$E2E_QEMU" ] || die "$E2E_QEMU is missing although qemu-system-x86 is installed"
[ -x /bin/busybox ] || die "/bin/busybox is missing although busybox-static is installed"

# 2. The kernel source package: the newest linux-source-6.x apt knows.
linux_pkg() {
    apt-cache pkgnames linux-source-6. 2>/dev/null |
        grep -E '^linux-source-6\.[0-9]+$' | sort -V | tail -n1
}
candidate() {
    apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2; exit }'
}
pkg=$E2E_LINUX_PKG
[ -n "$pkg" ] || pkg=$(linux_pkg)
if [ -z "$pkg" ] || [ -z "$(candidate "$pkg")" ] || [ "$(candidate "$pkg")" = "(none)" ]; then
    apt_update
    [ -n "$E2E_LINUX_PKG" ] || pkg=$(linux_pkg)
fi
[ -n "$pkg" ] || die "apt knows no linux-source-6.x package (the rig needs one: on Debian 12 it comes from bookworm-security; check the machine's apt sources)"
ver=$(candidate "$pkg")
{ [ -n "$ver" ] && [ "$ver" != "(none)" ]; } || die "apt offers no version of $pkg (apt-cache policy $pkg)"

# The .deb of that version, unless already there.
mkdir -p "$E2E_DL"
deb_of() {
    local f
    for f in "$E2E_DL/$1"_*.deb; do
        [ -f "$f" ] || continue
        if [ "$(dpkg-deb -f "$f" Package 2>/dev/null)" = "$1" ] &&
           [ "$(dpkg-deb -f "$f" Version 2>/dev/null)" = "$2" ]; then
            echo "$f"; return 0
        fi
    done
    return 1
}
if ! deb=$(deb_of "$pkg" "$ver"); then
    log "downloading $pkg=$ver into $E2E_DL"
    out=$( (cd "$E2E_DL" && apt-get -o APT::Sandbox::User=root download "$pkg=$ver") 2>&1) || {
        # Stale lists (a superseded security update): refresh once, retry.
        log "download of $pkg=$ver failed, refreshing apt's lists and retrying"
        printf '%s\n' "$out" | tail -n 3 >&2
        as_root apt-get update -qq >&2 || log "apt-get update failed too"
        ver=$(candidate "$pkg")
        out=$( (cd "$E2E_DL" && apt-get -o APT::Sandbox::User=root download "$pkg=$ver") 2>&1) ||
            die "download of $pkg=$ver into $E2E_DL failed (no access to Debian's archive?): $(printf '%s' "$out" | grep -E '^(E|W|Err):' | tail -n 3 | tr '\n' ' ')"
    }
    deb=$(deb_of "$pkg" "$ver") || die "download of $pkg=$ver left no matching .deb in $E2E_DL"
    # Older downloads of the package are of no further use.
    for f in "$E2E_DL/$pkg"_*.deb; do
        [ "$f" = "$deb" ] || rm -f "$f"
    done
fi

pkgver() { dpkg-query -W -f='${Version}' "$1"; }
tmp=$E2E_VERSIONS.tmp
{
    echo "linux-source $pkg $ver"
    echo "linux-source-deb $(basename "$deb")"
    echo "qemu-system-x86 $(pkgver qemu-system-x86)"
    echo "busybox-static $(pkgver busybox-static)"
    echo "gcc $(gcc -dumpfullversion) ($(pkgver gcc))"
    echo "libc6-dev $(pkgver libc6-dev)"
} > "$tmp"
mv "$tmp" "$E2E_VERSIONS"
log "versions ($E2E_VERSIONS):"
sed 's/^/    /' "$E2E_VERSIONS" >&2
