#!/bin/bash
# Get the base source package, verify it, unpack it, and import it into two
# git repositories: $BASE_REPO (Debian's source with Debian's patches applied,
# the base the series is developed on) and $UPSTREAM_REPO (the orig tarball
# alone: upstream QEMU without blobs, to prove the series applies there too).
# Both carry one commit tagged "base".
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/apt-private.sh"

DL=$BUILD/dl
mkdir -p "$DL" "$SRC_DIR"

# Verify every file a .dsc lists against its Checksums-Sha256 field.
verify_dsc() {
    local dsc=$1 dir sums
    dir=$(dirname "$dsc")
    sums=$(awk '/^Checksums-Sha256:/ { on = 1; next }
                /^[^ ]/ { on = 0 }
                on && NF == 3 { print $1 "  " $3 }' "$dsc")
    [ -n "$sums" ] || die "$dsc lists no Checksums-Sha256"
    (cd "$dir" && sha256sum -c --quiet - <<<"$sums") ||
        die "checksum mismatch for the files listed in $dsc"
    log "verified $(wc -l <<<"$sums") file(s) against $(basename "$dsc")"
}

dsc_name="${QEMU_SRC_PKG}_${QEMU_SRC_VERSION#*:}.dsc"
if [ -n "$QEMU_DSC" ]; then
    dsc=$(readlink -f "$QEMU_DSC")
    [ -f "$dsc" ] || die "QEMU_DSC=$QEMU_DSC does not exist"
    log "base from QEMU_DSC: $dsc"
elif [ -f "$SHARED/dist/SHA256SUMS" ] && [ -f "$SHARED/dist/$dsc_name" ]; then
    dsc=$(readlink -f "$SHARED/dist/$dsc_name")
    # The cache's own checksum list covers the .dsc itself too.
    (cd "$SHARED/dist" &&
     grep -E " ${QEMU_SRC_PKG}_" SHA256SUMS | sha256sum -c --quiet -) ||
        die "$SHARED/dist: SHA256SUMS does not match"
    log "base from the package cache $SHARED/dist"
elif [ -f "$DL/$dsc_name" ]; then
    dsc=$DL/$dsc_name
    log "base already downloaded: $dsc"
else
    # From the archive: the first of the base's suites that still lists it.
    dsc=
    for suite in $QEMU_SRC_SUITES; do
        if ! apt_private_setup "deb-src $suite" 2>"$DL/apt-$suite.log"; then
            log "the archive has no suite $suite"
            continue
        fi
        log "looking for $QEMU_SRC_PKG=$QEMU_SRC_VERSION in $suite"
        if (cd "$DL" && apt_private source --download-only -qq \
                "$QEMU_SRC_PKG=$QEMU_SRC_VERSION") >>"$DL/apt-$suite.log" 2>&1 &&
           [ -f "$DL/$dsc_name" ]; then
            dsc=$DL/$dsc_name
            log "downloaded $dsc_name from $suite"
            break
        fi
        log "$suite does not list $QEMU_SRC_PKG $QEMU_SRC_VERSION"
    done
    [ -n "$dsc" ] || die "the QEMU $QEMU base, $QEMU_SRC_PKG $QEMU_SRC_VERSION, is in none of
    $SHARED/dist/$dsc_name (the package cache: not there),
    $DL/$dsc_name (an earlier download: none),
    the archive's suites $QEMU_SRC_SUITES (logs: $DL/apt-*.log).
Put the source package ($dsc_name and the files it lists) in one of
those places, or name a copy with QEMU_DSC=/path/to/$dsc_name."
fi
verify_dsc "$dsc"

stamp=$(sha256sum "$dsc" | cut -c1-16)
if [ "$(cat "$SRC_DIR/stamp" 2>/dev/null)" = "$stamp" ] &&
   git -C "$BASE_REPO" rev-parse -q --verify base >/dev/null &&
   git -C "$UPSTREAM_REPO" rev-parse -q --verify base >/dev/null; then
    log "base repositories up to date ($(basename "$dsc"))"
    exit 0
fi
rm -rf "$BASE_REPO" "$UPSTREAM_REPO" "$SRC_DIR/stamp"

import() {
    local dir=$1 what=$2
    git -C "$dir" init -q
    # No background "git gc --auto" racing with the clones made right after.
    git -C "$dir" config gc.auto 0
    # Quilt's bookkeeping is not part of the source.
    printf '/.pc/\n' >> "$dir/.git/info/exclude"
    # -f: the tarball is the truth, whatever QEMU's .gitignore says.
    git -C "$dir" add -A -f -- . ':!.pc'
    GIT_AUTHOR_DATE='2025-01-01T00:00:00Z' GIT_COMMITTER_DATE='2025-01-01T00:00:00Z' \
        git -C "$dir" commit -q -m "base: $what"
    git -C "$dir" tag base
}

log "unpacking $(basename "$dsc") with Debian's patches"
dpkg-source --no-copy -x "$dsc" "$BASE_REPO" >"$SRC_DIR/dpkg-source.log" 2>&1 ||
    { cat "$SRC_DIR/dpkg-source.log"; die "dpkg-source failed"; }
import "$BASE_REPO" "$(basename "$dsc" .dsc) (Debian source, Debian patches applied)"

orig=$(awk '/^Files:/ { on = 1; next } /^[^ ]/ { on = 0 }
            on && $3 ~ /\.orig\.tar\./ { print $3 }' "$dsc")
[ -n "$orig" ] || die "no orig tarball listed in $dsc"
log "unpacking $orig alone (upstream, no Debian patches)"
mkdir -p "$UPSTREAM_REPO"
tar -xf "$(dirname "$dsc")/$orig" -C "$UPSTREAM_REPO" --strip-components=1
import "$UPSTREAM_REPO" "$orig (upstream, no Debian patches)"

echo "$stamp" > "$SRC_DIR/stamp"
log "base repositories ready: $BASE_REPO, $UPSTREAM_REPO"
