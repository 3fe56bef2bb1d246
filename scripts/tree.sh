#!/bin/bash
# Make the work tree $TREE: a clone of the pristine base (tag "base") with the
# series from patches/ applied by git am.  Refuses to touch a tree that holds
# work not yet in patches/.
. "$(dirname "$0")/common.sh"

"$TOP/scripts/fetch-base.sh"

if [ -d "$TREE/.git" ]; then
    if [ -d "$TREE/.git/rebase-apply" ] || [ -d "$TREE/.git/rebase-merge" ]; then
        die "$TREE is in the middle of git am/rebase; finish or abort it first"
    fi
    "$TOP/scripts/tree-is-exported.sh" "$TREE" ||
        die "refusing to overwrite $TREE: commit and 'make export' first (or remove it yourself)"
    log "resetting $TREE to base (its build directory is kept)"
    git -C "$TREE" checkout -q -B main base
else
    log "cloning the base into $TREE"
    git clone -q "$BASE_REPO" "$TREE"
    git -C "$TREE" checkout -q -B main base
fi

# Commits made in the tree carry the project's identity.
git -C "$TREE" config user.name "$IDENT_NAME"
git -C "$TREE" config user.email "$IDENT_EMAIL"

"$TOP/scripts/apply-series.sh" "$TREE"
log "work tree ready: $TREE ($(git -C "$TREE" rev-list --count base..HEAD) patches on base)"
