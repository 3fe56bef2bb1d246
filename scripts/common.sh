# shellcheck shell=bash
# Settings and helpers shared by the scripts; sourced, never run.
#
# Every path can be overridden from the environment (the Makefile passes its
# variables through), so a second work area or another 10.0.x base is one
# variable away.  QEMU=10.0|10.2 selects the base (and with it every path).

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
SHARED=${SHARED:-$TOP/../shared}

# The base a script works on: QEMU=10.0 (the default) or QEMU=10.2.  Each
# base has its series (patches/qemu-$QEMU), its pristine sources, work tree,
# check trees and e2e area under build/, side by side.
QEMU=${QEMU:-10.0}
QEMU_BASES=(10.0 10.2)
# The steps of make check (scripts/check.sh), apply aside, in order.
CHECK_DEFAULT_STEPS="bisect style tests mutants bench guide tsan 32bit"
QEMU_SRC_PKG=qemu
case $QEMU in
10.0)
    # Debian 13's QEMU 10.0.13.  QEMU_DSC may name another 10.0.x .dsc (a
    # path; the files it lists must sit beside it).
    QEMU_SRC_VERSION=${QEMU_SRC_VERSION:-1:10.0.13+ds-0+deb13u1}
    # Where the archive has it: the suites tried, in order.
    QEMU_SRC_SUITES=${QEMU_SRC_SUITES:-trixie trixie-updates}
    ;;
10.2)
    # QEMU 10.2.2 as Debian carried it (unstable/testing, 2026); the
    # archive has moved on and will drop it: ../shared/dist keeps it.
    QEMU_SRC_VERSION=${QEMU_SRC_VERSION:-1:10.2.2+ds-1}
    QEMU_SRC_SUITES=${QEMU_SRC_SUITES:-sid forky trixie-backports}
    ;;
*)
    printf 'error: QEMU=%s: no such base (one of: %s)\n' "$QEMU" "${QEMU_BASES[*]}" >&2
    exit 2
    ;;
esac
QEMU_DSC=${QEMU_DSC:-}
PATCHES=${PATCHES:-$TOP/patches/qemu-$QEMU}

# The pristine base as git repositories (commit tagged "base"), made once by
# fetch-base.sh; trees are clones of it.
SRC_DIR=${SRC_DIR:-$BUILD/src-$QEMU}
BASE_REPO=$SRC_DIR/base.git
UPSTREAM_REPO=$SRC_DIR/upstream.git

# Work tree (edited by developers) and the trees `make check` makes afresh.
TREE=${TREE:-$BUILD/qemu-$QEMU}
CHECK_DIR=${CHECK_DIR:-$BUILD/check-$QEMU}

IDENT_NAME="Shared Device Assignment Developers"
IDENT_EMAIL="devel@shared-device-assignment.invalid"
export GIT_AUTHOR_NAME="$IDENT_NAME" GIT_AUTHOR_EMAIL="$IDENT_EMAIL"
export GIT_COMMITTER_NAME="$IDENT_NAME" GIT_COMMITTER_EMAIL="$IDENT_EMAIL"

CONFIGURE_FLAGS=(--target-list=x86_64-softmmu --enable-kvm --disable-tcg
                 --disable-docs --disable-rust --disable-install-blobs)
# The devices of make check's bisect builds (--without-default-devices):
# what compiles every C file of the series; check.sh fails if one is not.
BISECT_DEVICES=(CONFIG_Q35=y CONFIG_VFIO_PCI=y CONFIG_VIRTIO_PCI=y
                CONFIG_VIRTIO_MEM=y CONFIG_SEV=y)
case $QEMU in
10.2)
    # 10.2 builds the Hyper-V host accelerator (mshv) by default: not ours.
    CONFIGURE_FLAGS+=(--disable-mshv)
    # CONFIG_CXL (with PXB, which it needs, and CXL_MEM_DEVICE, which its
    # cxl-events.c calls): 10.2's ACPI_X86 selects ACPI_CXL (hw/acpi/cxl.c)
    # without CXL, whose hw/cxl/cxl-host.c that file calls: without them the
    # lean build does not link (a base defect).
    BISECT_DEVICES+=(CONFIG_TDX=y CONFIG_PXB=y CONFIG_CXL=y CONFIG_CXL_MEM_DEVICE=y)
    ;;
esac

# Debian ships QEMU's wheel-less venv expectations with its own python3;
# a python from elsewhere (pyenv) lacks the system's meson module.
PYTHON=${PYTHON:-/usr/bin/python3}

# ccache through its compiler links: meson keeps whatever "cc" resolves to.
if [ -d /usr/lib/ccache ]; then
    case ":$PATH:" in
    *:/usr/lib/ccache:*) ;;
    *) PATH=/usr/lib/ccache:$PATH ;;
    esac
    export PATH
fi
# The trees under build/ (work, check, e2e) share their ccache entries.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP/build}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run as root, or through sudo.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# Patch files of the series, in order, from $PATCHES/series.
series_files() {
    [ -f "$PATCHES/series" ] || return 0
    grep -v -e '^#' -e '^[[:space:]]*$' "$PATCHES/series"
}

# fresh_clone REPO DIR: DIR becomes REPO's base with nothing else; an
# existing DIR keeps only its ignored build/ directory (for ccache-free
# incremental builds).
fresh_clone() {
    local repo=$1 dir=$2
    if [ -d "$dir/.git" ]; then
        git -C "$dir" am --abort >/dev/null 2>&1 || true
        git -C "$dir" fetch -q "$repo" --tags
        git -C "$dir" checkout -q -f -B main base
        git -C "$dir" clean -q -f -d -x -e /build/
    else
        rm -rf "$dir"
        git clone -q "$repo" "$dir"
        git -C "$dir" checkout -q -B main base
    fi
}
