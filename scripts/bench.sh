#!/bin/bash
# bench.sh [TREE] [--quick]: build tests/bench/ram-block-attributes-bench in
# TREE (default: the work tree, build/qemu-$QEMU) and run each workload under
# valgrind --tool=callgrind, with and without a listener modelled on hw/vfio;
# print one table.  Instructions are those of bench_measure*() only (the
# work measured), counted by callgrind: the same binary and input give the
# same count on any load.  --quick: smaller sizes and no valgrind, to check
# that the benchmark works (make check).
#
# QEMU=10.2: the same benchmark source is also built on the unpatched base
# (BENCH_UPSTREAM, default build/bench-10.2/upstream: the base with the
# benchmark's patch applied alone, or, if it does not apply, TREE's
# benchmark copied in), without what the base's API lacks; the table puts
# upstream and TREE side by side, with their ratios and the targets.
# --quick builds and runs TREE only, and checks that every workload
# notified exactly the minimal number of times.
. "$(dirname "$0")/common.sh"

tree=$TREE
quick=
for a in "$@"; do
    case "$a" in
    --quick) quick=1 ;;
    *) tree=$a ;;
    esac
done
bdir=$tree/build
bench=tests/bench/ram-block-attributes-bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure BINARY MODE WORKLOAD TOGGLE: "instructions listener-instructions line"
measure() {
    local out
    # No glibc tcache and no glib slices: freed memory counts as freed.
    out=$(GLIBC_TUNABLES=glibc.malloc.tcache_count=0 G_SLICE=always-malloc \
          valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
                   --collect-atstart=no --toggle-collect="$4" \
                   "$1" $2 "$3" 2> "$tmp/err") ||
        { cat "$tmp/err" >&2; die "$3 failed under valgrind ($1)"; }
    local total listener
    total=$(sed -n 's/.*Collected : *//p' "$tmp/err")
    listener=$(callgrind_annotate --inclusive=yes "$tmp/cg" 2>/dev/null |
               awk '/bench_populate|bench_discard/ && $0 ~ /\[/ {
                        gsub(",", "", $1); s += $1 } END { print s + 0 }')
    echo "$total $listener $out"
}

if [ "$QEMU" != 10.0 ]; then
    . "$TOP/scripts/bench-side-by-side.sh"
    exit 0
fi
[ -f "$bdir/build.ninja" ] || die "$bdir is not configured: run make first"
ninja -C "$bdir" "$bench" > /dev/null || die "cannot build $bench"

if [ -n "$quick" ]; then
    # Each line must have the minimal number of notifications, exactly.
    out=$("$bdir/$bench" --quick --listener) || die "the benchmark failed"
    n=$(grep -c '^workload=' <<<"$out")
    [ "$n" -eq 8 ] || die "the benchmark printed $n workloads, not 8"
    echo "bench: 8 workloads ran (--quick), notifications == minimal"
    exit 0
fi
command -v valgrind >/dev/null || die "valgrind is needed (make deps)"

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $3" | head -n1; }

printf '%-19s %13s %9s %9s %9s %12s %14s %9s %6s\n' workload notifications \
    minimal maps unmaps "instr." "instr. w/ VFIO" "in VFIO" "heap"
for w in random-4k mixed-to-shared mixed-to-private uniform-to-shared \
         uniform-to-private register-half; do
    read -r i0 _ line0 < <(measure "$bdir/$bench" "" "$w" 'bench_measure*')
    read -r i1 l1 line1 < <(measure "$bdir/$bench" --listener "$w" 'bench_measure*')
    ops=$(field ops x "$line1")
    printf '%-19s %13s %9s %9s %9s %12s %14s %8s%% %6s\n' "$w" \
        "$(field notifications x "$line1")" "$(field minimal x "$line1")" \
        "$(field maps x "$line1")" "$(field unmaps x "$line1")" \
        "$([ "$w" = register-half ] && echo - || echo "$i0")" "$i1" \
        "$(( i1 ? l1 * 100 / i1 : 0 ))" "$(field heap_growth x "$line0")"
    [ "$ops" -gt 1 ] &&
        echo "                    ($ops conversions: $((i0 / ops)) instructions each without listener, $((i1 / ops)) with)"
    if [ "$w" = uniform-to-shared ]; then
        n=$(field notifications x "$line1")
        echo "                    (the longest hold of the object's lock: one chunk, $(( $(field maps x "$line1") / n )) maps, $((i1 / n)) instructions)"
    fi
done
echo
printf '%-10s %12s %12s %16s %14s %9s %14s %10s %13s\n' block "state bytes" \
    "heap left" "create+destroy" "shared runs" words "full replay" "query" \
    "undo record"
for w in scale-64g scale-1t; do
    read -r ic _ line < <(measure "$bdir/$bench" "" "$w" 'bench_measure')
    read -r ir _ _ < <(measure "$bdir/$bench" "" "$w" 'bench_measure_replay')
    read -r iq _ _ < <(measure "$bdir/$bench" "" "$w" 'bench_measure_query')
    printf '%-10s %12s %12s %16s %14s %9s %14s %10s %13s\n' "${w#scale-}" \
        "$(field state_bytes x "$line")" "$(field heap_growth x "$line")" \
        "$ic" "$(field replayed_runs x "$line")" "$(field words x "$line")" \
        "$ir" "$iq" "$(field record_bytes x "$line")"
done
