#!/bin/bash
# check-tsan.sh [TREE]: build the series' unit tests (test-ram-block-attributes,
# test-kvm-convert) with clang's ThreadSanitizer (configure --enable-tsan) in
# $CHECK_DIR/tsan-build and run them; fails on any test failure or race
# report.  TREE defaults to the check tree (the series from patches/), made
# if missing.
. "$(dirname "$0")/common.sh"

tree=${1:-$CHECK_DIR/qemu}
bdir=$CHECK_DIR/tsan-build
tests=(tests/unit/test-ram-block-attributes tests/unit/test-kvm-convert)

if [ ! -d "$tree/.git" ]; then
    "$TOP/scripts/fetch-base.sh"
    git clone -q "$BASE_REPO" "$tree"
    git -C "$tree" checkout -q -B main base
    "$TOP/scripts/apply-series.sh" "$tree"
fi
command -v clang >/dev/null || die "clang is needed for ThreadSanitizer (make deps)"

want="tsan $tree"
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$bdir/.configure-flags" 2>/dev/null)" != "$want" ]; then
    rm -rf "$bdir"
    mkdir -p "$bdir"
    log "configuring $bdir (clang, --enable-tsan)"
    (cd "$bdir" && "$tree/configure" --cc=clang --cxx=clang++ --enable-tsan \
        --python="$PYTHON" "${CONFIGURE_FLAGS[@]}") > "$bdir/configure.out" 2>&1 ||
        { tail -n 30 "$bdir/configure.out"; die "configure failed"; }
    echo "$want" > "$bdir/.configure-flags"
fi
log "building ${tests[*]} with ThreadSanitizer"
ninja -C "$bdir" "${tests[@]}" > "$bdir/ninja.out" 2>&1 ||
    { tail -n 30 "$bdir/ninja.out"; die "build failed"; }

# The subprocess tests fork (glib's trap); the randomized test is shortened,
# the concurrency tests run in full.
rc=0 ok=0 notok=0 races=0
for test in "${tests[@]}"; do
    log "running $test under ThreadSanitizer"
    out=$bdir/$(basename "$test").tsan.log
    r=0
    TSAN_OPTIONS="halt_on_error=1 die_after_fork=0" RBA_OPS=${RBA_OPS:-10000} \
        "$bdir/$test" --tap > "$out" 2>&1 || r=$?
    [ "$r" -eq 0 ] || rc=$r
    ok=$((ok + $(grep -c '^ok ' "$out" || true)))
    notok=$((notok + $(grep -c '^not ok ' "$out" || true)))
    n=$(grep -c 'WARNING: ThreadSanitizer' "$out" || true)
    races=$((races + n))
    grep -E '^# [0-9]+ threads x' "$out" || true
    if [ "$r" -ne 0 ] || [ "$n" -ne 0 ]; then
        grep -A 20 'WARNING: ThreadSanitizer' "$out" | head -n 40
        tail -n 5 "$out"
    fi
done
echo "tsan: $ok tests passed, $notok failed, $races race report(s), exit $rc (logs: $bdir/*.tsan.log)"
if [ "$rc" -ne 0 ] || [ "$notok" -ne 0 ] || [ "$races" -ne 0 ] || [ "$ok" -eq 0 ]; then
    exit 1
fi
