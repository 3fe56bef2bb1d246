# shellcheck shell=bash
# Sourced by bench.sh for a base other than 10.0 (QEMU=10.2): the benchmark
# of TREE ($tree) and of the unpatched base side by side.  Set by bench.sh:
# tree, quick, bench, tmp and measure(); common.sh is sourced.
#
# The base's tree, BENCH_UPSTREAM (default build/bench-$QEMU/upstream), is
# the base with the benchmark's patch applied alone: the series' patch that
# adds tests/bench/ram-block-attributes-bench.c (MAINTAINERS left out: its
# context is the series').  If it does not apply, TREE's
# tests/bench/meson.build and benchmark are copied in.  TREE's benchmark source is the one measured in
# both: if it differs from the patch's, it is copied over.  The benchmark
# itself tells the two APIs apart at build time (tests/bench/meson.build).

bdir=$tree/build
src=tests/bench/ram-block-attributes-bench.c
[ -f "$tree/$src" ] ||
    die "$tree has no $src: name a tree with the whole series"
[ -f "$bdir/build.ninja" ] || die "$bdir is not configured: run make first"
ninja -C "$bdir" "$bench" > /dev/null || die "cannot build $bench in $tree"

if [ -n "$quick" ]; then
    # TREE alone: each line must have the minimal number of notifications.
    out=$("$bdir/$bench" --quick --listener --strict) || die "the benchmark failed"
    n=$(grep -c '^workload=' <<<"$out")
    [ "$n" -eq 8 ] || die "the benchmark printed $n workloads, not 8"
    bad=$(awk '/^workload=/ && / notifications=/ {
                   for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                   if (f["notifications"] != f["minimal"]) print f["workload"] }' <<<"$out")
    [ -z "$bad" ] || die "notifications != minimal: $bad"
    echo "bench: 8 workloads ran (--quick), notifications == minimal"
    exit 0
fi
command -v valgrind >/dev/null || die "valgrind is needed (make deps)"

# ------------------------------------------------ the base's tree
up=${BENCH_UPSTREAM:-$BUILD/bench-$QEMU/upstream}
patch=
while read -r f; do
    if grep -q "^+++ b/$src\$" "$PATCHES/$f"; then
        patch=$PATCHES/$f
        break
    fi
done < <(series_files)
[ -d "$BASE_REPO" ] || die "no $BASE_REPO: run QEMU=$QEMU scripts/fetch-base.sh"

# Prepared once per patch and source: re-preparing touches meson.build.
stamp=$( { git -C "$BASE_REPO" rev-parse base; cat ${patch:+"$patch"} \
           "$tree/$src" "$tree/tests/bench/meson.build"; } | sha256sum)
if [ "$(cat "$up/build/.bench-source" 2>/dev/null)" != "$stamp" ]; then
    log "preparing $up: the base and the benchmark"
    mkdir -p "$(dirname "$up")"
    fresh_clone "$BASE_REPO" "$up"
    how="copied from $tree"
    if [ -n "$patch" ] &&
       git -C "$up" am -q --exclude=MAINTAINERS "$patch" 2> /dev/null; then
        how="${patch#"$TOP/"} applied"
    else
        git -C "$up" am --abort > /dev/null 2>&1 || true
        cp "$tree/tests/bench/meson.build" "$up/tests/bench/meson.build"
    fi
    # Upstream's API: a registration that cannot fail, no query.
    "$PYTHON" - "$up/tests/bench/meson.build" <<'PY' ||
import sys
p = sys.argv[1]
s = open(p).read()
info = ("\n                            meson.project_source_root()"
        " / 'system/ram-block-attributes-info.c'),")
flags = "             c_args: ['-DRBA_BENCH_REGISTER_FAILS', '-DRBA_BENCH_QUERY'],\n"
if info not in s or flags not in s:
    sys.exit("tests/bench/meson.build: the benchmark's target changed")
s = s.replace("'system/ram-block-attributes.c'," + info,
              "'system/ram-block-attributes.c'),")
s = s.replace(flags, "")
open(p, "w").write(s)
PY
        die "cannot build the benchmark against upstream's API"
    if ! cmp -s "$tree/$src" "$up/$src"; then
        cp "$tree/$src" "$up/$src"
        [ "$how" = "copied from $tree" ] || how="$how, $src of $tree copied over"
    fi
    mkdir -p "$up/build"
    echo "$how" > "$up/build/.bench-how"
    # Configured like every tree (configure.sh; nothing if it already is).
    "$TOP/scripts/configure.sh" "$up"
    echo "$stamp" > "$up/build/.bench-source"
fi
ninja -C "$up/build" "$bench" > "$up/build/.bench-build.log" 2>&1 ||
    { tail -n 30 "$up/build/.bench-build.log"; die "cannot build $bench in $up"; }

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2" | head -n1; }
# ratio A B: B / A, two decimals ("-" without both)
ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "-" || b == "-" || a + 0 == 0) print "-";
        else printf "%.2f\n", b / a }'
}
pct() { [ "$2" = - ] || [ "$2" -eq 0 ] && echo - || echo "$(( $1 * 100 / $2 ))%"; }

ubin=$up/build/$bench
sbin=$bdir/$bench
echo "QEMU $QEMU: upstream ($up: base, $(cat "$up/build/.bench-how"))"
echo "        vs the series ($tree: $(git -C "$tree" log -1 --format='%h %s' 2>/dev/null || echo '?'))"
echo "instructions: callgrind, bench_measure*() only; ratio = series / upstream"
echo
printf '%-19s %21s %9s %19s %19s %13s\n' "" "notifications" "" "DMA maps" \
    "DMA unmaps" "heap"
printf '%-19s %10s %10s %9s %9s %9s %9s %9s %6s %6s\n' workload upstream series \
    minimal upstream series upstream series upst. series
declare -A U0 U1 S0 S1 UL SL UN SN MIN OPS
works=(random-4k mixed-to-shared mixed-to-private uniform-to-shared
       uniform-to-private register-half)
for w in "${works[@]}"; do
    if [ "$w" = register-half ]; then
        i0=-; j0=-
    else
        read -r i0 _ _ < <(measure "$ubin" "" "$w" 'bench_measure*')
        read -r j0 _ _ < <(measure "$sbin" "" "$w" 'bench_measure*')
    fi
    read -r i1 l1 lu < <(measure "$ubin" --listener "$w" 'bench_measure*')
    read -r j1 m1 ls < <(measure "$sbin" --listener "$w" 'bench_measure*')
    U0[$w]=$i0 S0[$w]=$j0 U1[$w]=$i1 S1[$w]=$j1 UL[$w]=$l1 SL[$w]=$m1
    UN[$w]=$(field notifications "$lu") SN[$w]=$(field notifications "$ls")
    MIN[$w]=$(field minimal "$ls") OPS[$w]=$(field ops "$ls")
    printf '%-19s %10s %10s %9s %9s %9s %9s %9s %6s %6s\n' "$w" \
        "${UN[$w]}" "${SN[$w]}" "${MIN[$w]}" "$(field maps "$lu")" \
        "$(field maps "$ls")" "$(field unmaps "$lu")" "$(field unmaps "$ls")" \
        "$(field heap_growth "$lu")" "$(field heap_growth "$ls")"
done
echo "(minimal: maximal runs that change, split at 2 MiB to shared and 64 MiB to"
echo " private, where the series' change may release its lock)"
echo
printf '%-19s %33s   %45s\n' "" "instructions, no listener" \
    "instructions, vfio-like listener (in VFIO)"
printf '%-19s %12s %12s %6s   %12s %5s %12s %5s %6s\n' workload upstream \
    series ratio upstream "" series "" ratio
for w in "${works[@]}"; do
    printf '%-19s %12s %12s %6s   %12s %5s %12s %5s %6s\n' "$w" \
        "${U0[$w]}" "${S0[$w]}" "$(ratio "${U0[$w]}" "${S0[$w]}")" \
        "${U1[$w]}" "$(pct "${UL[$w]}" "${U1[$w]}")" "${S1[$w]}" \
        "$(pct "${SL[$w]}" "${S1[$w]}")" "$(ratio "${U1[$w]}" "${S1[$w]}")"
    ops=${OPS[$w]}
    if [ "$ops" -gt 1 ]; then
        echo "                    ($ops conversions, each: $(( U0[$w] / ops )) upstream, $(( S0[$w] / ops )) series without listener;" \
             "$(( U1[$w] / ops )) upstream, $(( S1[$w] / ops )) series with)"
    fi
done

# The targets of the series (make bench QEMU=10.2's issue)
missed=()
for w in "${works[@]}"; do
    [ "${SN[$w]}" = "${MIN[$w]}" ] || missed+=("$w: ${SN[$w]} notifications, minimal ${MIN[$w]}")
    [ "${U0[$w]}" = - ] || [ "${S0[$w]}" -le "${U0[$w]}" ] ||
        missed+=("$w: no listener, $(ratio "${U0[$w]}" "${S0[$w]}")x upstream")
    [ $(( S1[$w] * 10 )) -le $(( U1[$w] * 13 )) ] ||
        missed+=("$w: with a listener, $(ratio "${U1[$w]}" "${S1[$w]}")x upstream (target 1.30)")
done
echo
if [ ${#missed[@]} -eq 0 ]; then
    echo "targets: met (notifications == minimal, no listener <= upstream, listener <= 1.3x upstream)"
else
    echo "targets missed:"
    printf '  %s\n' "${missed[@]}"
fi

echo
printf '%-6s %10s %11s %23s %27s %10s %11s\n' "" "state" "heap left" \
    "create+destroy" "full replay" query "undo record"
printf '%-6s %10s %5s %5s %11s %11s %11s %11s %5s %10s %11s\n' block bytes \
    upst. ser. upstream series upstream series ratio series series
for w in scale-64g scale-1t; do
    read -r uc _ lu < <(measure "$ubin" "" "$w" 'bench_measure')
    read -r sc _ ls < <(measure "$sbin" "" "$w" 'bench_measure')
    read -r ur _ _ < <(measure "$ubin" "" "$w" 'bench_measure_replay*')
    read -r sr _ _ < <(measure "$sbin" "" "$w" 'bench_measure_replay*')
    if [ "$(field queried_runs "$ls")" = -1 ]; then
        sq=-
    else
        read -r sq _ _ < <(measure "$sbin" "" "$w" 'bench_measure_query*')
    fi
    rec=$(field record_bytes "$ls")
    printf '%-6s %10s %5s %5s %11s %11s %11s %11s %5s %10s %11s\n' "${w#scale-}" \
        "$(field state_bytes "$ls")" "$(field heap_growth "$lu")" \
        "$(field heap_growth "$ls")" "$uc" "$sc" "$ur" "$sr" \
        "$(ratio "$ur" "$sr")" "$sq" "$([ "$rec" = -1 ] && echo - || echo "$rec")"
done
echo "(every other 2 MiB shared: $(field replayed_runs "$ls") runs in 1 TiB;" \
     "query: 16 runs listed; undo record: a whole-block change, listener on 2 MiB)"
