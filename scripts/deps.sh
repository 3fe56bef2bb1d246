#!/bin/bash
# Install, idempotently, what fetching, building and checking need.
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/apt-private.sh"

PKGS=(gcc make ninja-build pkg-config libglib2.0-dev libpixman-1-dev libfdt-dev
      flex bison python3 python3-venv ccache dpkg-dev git xz-utils
      seabios ipxe-qemu clang libclang-rt-dev valgrind python3-docutils)
MESON_MIN=1.5
# For the check's 32bit step (scripts/check-32bit.sh): a cross compiler for
# an i686 host and the i386 builds of the libraries a minimal QEMU links
# (glib, zlib; pkgconf:i386 gives i686-linux-gnu-pkg-config). They come
# through Debian's multiarch, so this adds the i386 architecture to dpkg
# (dpkg --add-architecture i386; apt then fetches i386 package lists too):
# the i386 -dev packages install beside the amd64 ones, and the i386 test
# binaries run on the amd64 kernel with the i386 runtime libraries. Only
# when one of them is missing.
PKGS_I386=(gcc-i686-linux-gnu pkgconf:i386 libglib2.0-dev:i386 zlib1g-dev:i386)

installed() {
    dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}

meson_ok() {
    local v
    v=$(dpkg-query -W -f='${Version}' meson 2>/dev/null) || return 1
    installed meson && dpkg --compare-versions "$v" ge "$MESON_MIN"
}

missing=()
for p in "${PKGS[@]}" "${PKGS_I386[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    case " ${missing[*]}" in
    *:i386*)
        if ! dpkg --print-foreign-architectures | grep -qx i386; then
            log "adding the i386 architecture to dpkg (multiarch, for the 32bit check)"
            as_root dpkg --add-architecture i386
        fi ;;
    esac
    log "installing: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${missing[@]}"
fi

if ! meson_ok; then
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    if [ "$codename" != bookworm ]; then
        # Debian 13 and later carry a new enough meson themselves.
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq meson
    else
        deb=
        if [ -f "$SHARED/dist/SHA256SUMS" ]; then
            cand=$(ls "$SHARED"/dist/meson_*_all.deb 2>/dev/null | head -n1 || true)
            if [ -n "$cand" ] &&
               (cd "$SHARED/dist" && grep " $(basename "$cand")\$" SHA256SUMS |
                sha256sum -c --quiet -); then
                deb=$cand
                log "meson from $deb (checksum verified)"
            fi
        fi
        if [ -z "$deb" ]; then
            apt_private_setup "deb bookworm-backports"
            mkdir -p "$BUILD/dl"
            (cd "$BUILD/dl" && apt_private download meson/bookworm-backports)
            deb=$(ls "$BUILD"/dl/meson_*_all.deb | tail -n1)
            log "meson from bookworm-backports: $deb"
        fi
        # Its dependencies come from the system's sources: refresh them.
        as_root apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb"
    fi
    meson_ok || die "meson >= $MESON_MIN is still missing"
fi
log "dependencies present (meson $(dpkg-query -W -f='${Version}' meson))"
