#!/bin/bash
# check-all.sh [--run SCRIPT] [BASE...]: make check of every series (default:
# each base of common.sh's QEMU_BASES, that is patches/qemu-10.0 and
# patches/qemu-10.2), one after the other, each on its own fresh trees
# (build/check-BASE).  Every verdict line names its base; the last line sums
# them: "N passed, N failed".  Exit status 1 if any check of any series
# failed.  --run SCRIPT runs scripts/SCRIPT instead of check.sh, with the
# same environment and summing (make check-e2e: e2e.sh; make
# check-e2e-demo: e2e-demo.sh).
#
# CHECK_NO_BISECT="10.2" (make check sets it): the series of those bases
# are checked without their bisect, unless CHECK_STEPS names the steps; a
# SKIP line says where it runs instead (make check-bisect).  Both bisects
# do not fit CI's budget.
. "$(dirname "$0")/common.sh"

script=check.sh
if [ "${1:-}" = --run ]; then
    script=${2:?--run needs a script of scripts/}
    shift 2
fi
[ -x "$TOP/scripts/$script" ] || die "no scripts/$script"
bases=("$@")
[ ${#bases[@]} -gt 0 ] || bases=("${QEMU_BASES[@]}")
# QEMU_DSC names the source package of one base: only when one is checked.
if [ ${#bases[@]} -gt 1 ] && [ -n "$QEMU_DSC" ]; then
    die "QEMU_DSC names one base's package: check one base (make check QEMU=...)"
fi

total_p=0 total_f=0 summary=()
t0=$(date +%s)
for b in "${bases[@]}"; do
    out=$(mktemp)
    printf '\n######## QEMU %s: patches/qemu-%s\n' "$b" "$b"
    t=$(date +%s)
    # A fresh environment per base: no path of one leaks into the other.
    steps=() no_bisect=
    case " ${CHECK_NO_BISECT:-} " in *" $b "*) no_bisect=1 ;; esac
    if [ "$script" = check.sh ] && [ -n "$no_bisect" ] && [ -z "${CHECK_STEPS:-}" ]; then
        steps=(CHECK_STEPS="${CHECK_DEFAULT_STEPS/bisect /}"
               CHECK_BISECT_ELSEWHERE="in make check-bisect, not make check (both series' bisects do not fit CI's budget)")
    fi
    env -u PATCHES -u TREE -u CHECK_DIR -u SRC_DIR -u QEMU_SRC_VERSION \
        -u QEMU_SRC_SUITES QEMU="$b" CHECK_TAG="$b " "${steps[@]}" \
        "$TOP/scripts/$script" 2>&1 | tee "$out" || true
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    rm -f "$out"
    if [ -z "$line" ]; then
        line="0 passed, 1 failed"
        echo "FAIL  $b $script ended without its summary line"
    fi
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed}
    total_p=$((total_p + p))
    total_f=$((total_f + f))
    summary+=("QEMU $b: $line ($(( $(date +%s) - t ))s)")
done
printf '\n'
printf '%s\n' "${summary[@]}"
printf 'all series: %ds\n' $(( $(date +%s) - t0 ))
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
