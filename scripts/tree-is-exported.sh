#!/bin/bash
# tree-is-exported.sh [TREE]: exit 0 when TREE has no uncommitted changes to
# tracked files and its commits base..HEAD are exactly what patches/ holds.
. "$(dirname "$0")/common.sh"

tree=${1:-$TREE}
quiet=${QUIET:-}
say() { [ -n "$quiet" ] || printf '%s\n' "$*" >&2; }

dirty=$(git -C "$tree" status --porcelain --untracked-files=no)
if [ -n "$dirty" ]; then
    say "$tree has uncommitted changes:"
    say "$dirty"
    exit 1
fi
tree_ids=$(git -C "$tree" log --reverse -p base..HEAD | git patch-id --stable | awk '{print $1}')
file_ids=$(series_files | while read -r f; do
               git patch-id --stable < "$PATCHES/$f" | awk '{print $1}'
           done)
if [ "$tree_ids" != "$file_ids" ]; then
    say "the commits base..HEAD of $tree are not what patches/ holds"
    exit 1
fi
