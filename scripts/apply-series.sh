#!/bin/bash
# apply-series.sh TREE: git am every patch of patches/series onto TREE's HEAD.
# On a failure, name the patch, show git's complaint, and leave the tree
# with the am aborted.
. "$(dirname "$0")/common.sh"

tree=$1
n=0
while read -r f; do
    n=$((n + 1))
    [ -f "$PATCHES/$f" ] || die "patches/series names $f, which does not exist"
    if ! out=$(git -C "$tree" am -q --whitespace=nowarn "$PATCHES/$f" 2>&1); then
        git -C "$tree" am --abort >/dev/null 2>&1 || true
        printf '%s\n' "$out" >&2
        die "patch $n ($f) does not apply to $(basename "$tree")"
    fi
done < <(series_files)
log "applied $n patch(es) to $tree"
