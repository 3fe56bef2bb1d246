#!/bin/bash
# make check: check the series exactly as patches/ holds it, on fresh trees.
#
#   a. apply   git am onto the Debian base and onto the bare orig tarball
#   b. bisect  every commit of the series builds (incremental ninja, ccache)
#              in a lean configuration (-O0, the devices the series' files
#              need: common.sh's BISECT_DEVICES), checked to compile every C
#              file the series touches; one that changes tests/ also passes
#              check-unit (BISECT_TESTS=touched, the default; "unit": every
#              commit, "none": none).  The tip is built in full for d.
#   c. style   scripts/checkpatch.pl on every patch (allowlist: a reason each)
#   d. tests   smoke run, check-unit (the series' own tests included), and the
#              x86_64 qtests but the base failures listed with their cause;
#              mutants: the series' tests must fail on code broken on purpose;
#              bench: the benchmark runs (quick sizes);
#              guide: the user guide renders, its table is computed, its
#              command lines parse and its messages are QEMU's;
#              tsan: the series' tests under ThreadSanitizer;
#              32bit: the series' C files compiled for an i686 host, its
#              unit tests built and run as i386 binaries
#   e. the last line: "N passed, N failed"; exit status 1 on any failure
#
# A step that cannot run because an earlier one failed counts as failed.
# CHECK_STEPS="bisect style" (for example) runs only those after apply; the
# others are reported as skipped, never as passed.
. "$(dirname "$0")/common.sh"

CQ=$CHECK_DIR/qemu          # Debian base + series; built and tested
CU=$CHECK_DIR/upstream      # orig tarball + series; apply only
LOGS=$CHECK_DIR/logs
ALLOW=$TOP/scripts/checkpatch-allowlist
KNOWN=$TOP/scripts/qtest-base-failures-$QEMU
# The checkers that know one base's code: mutants-10.0.sh and so on.
MUTANTS_SH=$TOP/scripts/mutants-$QEMU.sh
# Which commits also run check-unit: "touched" (those that change tests/,
# but the last: the tests step runs it there), "unit" (every one), "none"
BISECT_TESTS=${BISECT_TESTS:-touched}
# The check trees are built without debug info: a fifth faster to compile.
export EXTRA_CONFIGURE_FLAGS=${EXTRA_CONFIGURE_FLAGS---disable-debug-info}
JOBS=${JOBS:-$(nproc)}
# The steps to run; apply always runs.  Steps left out are reported as SKIP.
CHECK_STEPS=${CHECK_STEPS:-$CHECK_DEFAULT_STEPS}
want() { case " $CHECK_STEPS " in *" $1 "*) return 0 ;; esac; return 1; }

passed=0
failed=0
skipped=0
# CHECK_TAG (check-all.sh sets it to "10.2 " and so on) starts every verdict.
TAG=${CHECK_TAG:-}
pass() { passed=$((passed + 1)); printf 'PASS  %s%s\n' "$TAG" "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s%s\n' "$TAG" "$*"; }
skip() { skipped=$((skipped + 1)); printf 'SKIP  %s%s\n' "$TAG" "$*"; }
# verdicts PREFIX: count the PASS/FAIL/SKIP lines of a checker on stdin;
# its detail lines ("      | ...") are shown as they are.
verdicts() {
    local line
    while IFS= read -r line; do
        case $line in
        PASS*) pass "$1${line#PASS  }" ;;
        FAIL*) fail "$1${line#FAIL  }" ;;
        SKIP*) skip "$1${line#SKIP  }" ;;
        "      | "*) printf '%s\n' "$line" ;;
        esac
    done
}
t0=$(date +%s)
step_start() { step_t=$(date +%s); printf '\n== %s\n' "$*"; }
step_end() { printf '   (%s: %ds)\n' "$1" $(( $(date +%s) - step_t )); }
# Show the end of a log under a failure.
tail_log() { sed -e 's/^/      | /' <(tail -n "${2:-25}" "$1"); }

"$TOP/scripts/fetch-base.sh"
mkdir -p "$LOGS"
rm -f "$LOGS"/*

n_patches=$(series_files | wc -l)
mapfile -t files < <(series_files)

# ---------------------------------------------------------------- a. apply
step_start "apply: $n_patches patch(es) from ${PATCHES#"$TOP/"}/series"
apply_ok=1
fresh_clone "$BASE_REPO" "$CQ"
if PATCHES=$PATCHES "$TOP/scripts/apply-series.sh" "$CQ" > "$LOGS/apply-debian.log" 2>&1; then
    pass "apply: git am onto the Debian base ($(basename "$BASE_REPO"))"
else
    fail "apply: git am onto the Debian base"
    tail_log "$LOGS/apply-debian.log"
    apply_ok=
fi
fresh_clone "$UPSTREAM_REPO" "$CU"
if "$TOP/scripts/apply-series.sh" "$CU" > "$LOGS/apply-upstream.log" 2>&1; then
    pass "apply: git am onto upstream (orig tarball, no Debian patches)"
else
    fail "apply: git am onto upstream (orig tarball, no Debian patches)"
    tail_log "$LOGS/apply-upstream.log"
fi
step_end apply

# --------------------------------------------------------------- b. bisect
# The bisect tree: -O0 and only the devices the series' files need, half
# the compile time of the full configuration at every commit.  -O2-only
# warnings are caught at the tip, which the tests step builds in full.
CQB=$CQ/build-bisect
bisect_configure() {
    local mak=$CQ/configs/devices/x86_64-softmmu/check-bisect.mak
    printf '%s\n' "# written by scripts/check.sh (BISECT_DEVICES)" \
        "${BISECT_DEVICES[@]}" > "$mak"
    EXTRA_CONFIGURE_FLAGS="$EXTRA_CONFIGURE_FLAGS --without-default-devices --with-devices-x86_64=check-bisect --extra-cflags=-O0" \
        "$TOP/scripts/configure.sh" "$CQ" "$CQB"
}
# The C files of the series (tests/ aside) that the bisect tree does not
# compile: none, or BISECT_DEVICES misses a device.
bisect_unbuilt() {
    "$PYTHON" - "$CQB/compile_commands.json" \
        $(git -C "$CQ" diff --name-only --diff-filter=d base main -- '*.c' ':!tests/') <<'PY'
import json, os, sys
built = {os.path.normpath(os.path.join(e["directory"], e["file"]))
         for e in json.load(open(sys.argv[1]))}
tree = os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[1])))
for f in sys.argv[2:]:
    if os.path.join(tree, f) not in built:
        print(f)
PY
}

unit_run() {  # unit_run LOGBASE: meson's unit suite in $CQ/build
    "$CQ/build/pyvenv/bin/meson" test -C "$CQ/build" --no-rebuild -t 1 \
        --num-processes "$JOBS" --print-errorlogs --suite unit --logbase "$1"
}

with_unit=
case $BISECT_TESTS in
unit) with_unit=" and passes check-unit" ;;
touched) with_unit=" (check-unit where tests/ changes)" ;;
esac
step_start "bisect: every commit builds$with_unit"
build_ok=
if ! want bisect && [ -n "${CHECK_BISECT_ELSEWHERE:-}" ]; then
    skip "bisect: $CHECK_BISECT_ELSEWHERE"
elif ! want bisect; then
    skip "bisect: not selected (CHECK_STEPS)"
elif [ -z "$apply_ok" ]; then
    fail "bisect: not run (the series does not apply)"
elif ! bisect_configure > "$LOGS/configure-bisect.log" 2>&1; then
    fail "bisect: configure failed"
    tail_log "$LOGS/configure-bisect.log"
else
    build_ok=1
    mapfile -t unbuilt < <(bisect_unbuilt)
    if [ ${#unbuilt[@]} -eq 0 ]; then
        pass "bisect: its configuration compiles every C file of the series"
    else
        fail "bisect: its configuration does not compile ${unbuilt[*]} (BISECT_DEVICES in scripts/common.sh)"
    fi
    mapfile -t commits < <(git -C "$CQ" rev-list --reverse base..main)
    for i in "${!commits[@]}"; do
        c=${commits[$i]}
        n=$((i + 1))
        name="patch $n/$n_patches (${files[$i]})"
        git -C "$CQ" checkout -q "$c"
        log "bisect: building $name"
        if ! ninja -C "$CQB" qemu-system-x86_64 > "$LOGS/bisect-$n.log" 2>&1; then
            fail "bisect: $name does not build"
            grep -E ': (fatal )?error: |^FAILED: ' "$LOGS/bisect-$n.log" | head -n 15 |
                sed 's/^/      | /' || true
            build_ok=
            [ "$n" -lt "$n_patches" ] &&
                fail "bisect: patches $((n + 1))..$n_patches not built (stopped at patch $n)"
            break
        fi
        unit=
        case $BISECT_TESTS in
        unit) unit=1 ;;
        touched)
            if [ "$n" -lt "$n_patches" ] &&
               ! git -C "$CQ" diff --quiet "$c^" "$c" -- tests/; then
                unit=1
            fi ;;
        esac
        ran=
        if [ -n "$unit" ]; then
            ran=" and passes check-unit"
            if ! make -C "$CQB" -j"$JOBS" check-unit >> "$LOGS/bisect-$n.log" 2>&1; then
                fail "bisect: $name fails the unit tests"
                grep -E ': (fatal )?error: |^FAILED: |^ *[0-9]+/[0-9]+ .*(FAIL|ERROR|TIMEOUT)' \
                    "$LOGS/bisect-$n.log" | head -n 15 | sed 's/^/      | /' || true
                build_ok=
                [ "$n" -lt "$n_patches" ] &&
                    fail "bisect: patches $((n + 1))..$n_patches not built (stopped at patch $n)"
                break
            fi
        fi
        pass "bisect: $name builds$ran"
    done
    git -C "$CQ" checkout -q main
    [ ${#commits[@]} -gt 0 ] || log "bisect: the series is empty; nothing to bisect"
fi
step_end bisect

# ---------------------------------------------------------------- c. style
# Allowlist lines: "<series>/<patch file glob> <TAB> <warning text regex> <TAB> # reason",
# the series being the directory under patches/ (qemu-10.2 and so on).
allowed() {  # allowed FILE LINE
    local glob re
    [ -f "$ALLOW" ] || return 1
    while IFS=$'\t' read -r glob re _; do
        case $glob in ''|'#'*) continue ;; esac
        # shellcheck disable=SC2254
        case $1 in $glob) grep -qE -- "$re" <<<"$2" && return 0 ;; esac
    done < "$ALLOW"
    return 1
}

step_start "style: scripts/checkpatch.pl on every patch"
if ! want style; then
    skip "style: not selected (CHECK_STEPS)"
elif [ -z "$apply_ok" ]; then
    fail "style: not run (the series does not apply)"
else
    for f in "${files[@]}"; do
        log="$LOGS/checkpatch-${f%.patch}.log"
        (cd "$CQ" && ./scripts/checkpatch.pl --patch --color=never \
            "$PATCHES/$f") > "$log" 2>&1 || true
        # Each report: "ERROR: msg" or "WARNING: msg", then "#N: FILE: f:l:".
        bad=()
        while IFS= read -r report; do
            case $report in
            ERROR:*) bad+=("$report") ;;
            WARNING:*) allowed "${PATCHES##*/}/$f" "$report" || bad+=("$report") ;;
            esac
        done < <(awk '/^(ERROR|WARNING): / { r = $0; getline loc;
                                              sub(/^#[0-9]+: /, "", loc);
                                              print r " (" loc ")" }' "$log")
        if ! grep -q '^total: [0-9]* errors, [0-9]* warnings' "$log"; then
            fail "style: $f (checkpatch.pl did not check it)"
            tail_log "$log" 5
        elif [ ${#bad[@]} -eq 0 ]; then
            pass "style: $f"
        else
            fail "style: $f"
            printf '      | %s\n' "${bad[@]}"
        fi
    done
    [ ${#files[@]} -gt 0 ] || log "style: the series is empty; nothing to check"
fi
step_end style

# ---------------------------------------------------------------- d. tests
# meson_results LOGBASE PREFIX: PASS/FAIL/SKIP per test of a meson test run.
# A test that timed out there was rerun alone (rerun_timeouts); its verdict
# is that of the rerun, and the line says so.
meson_results() {
    local json=$CQ/build/meson-logs/$1.json line
    if [ ! -s "$json" ]; then
        fail "$2: meson test produced no results"
        return
    fi
    while IFS= read -r line; do
        case $line in
        OK*) pass "$2: ${line#* }" ;;
        SKIP*) skip "$2: ${line#* }" ;;
        *) fail "$2: ${line#* }" ;;
        esac
    done < <("$PYTHON" - "$json" "$CQ/build/meson-logs/$1-rerun.json" <<'PY'
import json, os, sys
def results(path):
    if not os.path.exists(path):
        return {}
    return {t["name"]: t for t in map(json.loads, open(path))}
first, again = results(sys.argv[1]), results(sys.argv[2])
for name, t in first.items():
    r = t["result"]
    how = f"{r.lower()}, {t['duration']:.1f}s"
    if r == "TIMEOUT" and name in again:
        a = again[name]
        r = a["result"]
        how += f" beside other tests; alone: {r.lower()}, {a['duration']:.1f}s"
    r = {"OK": "OK", "EXPECTEDFAIL": "OK", "SKIP": "SKIP"}.get(r, r)
    print(f"{r} {name} ({how})")
PY
)
}

# rerun_timeouts LOGBASE: the tests of that run that hit their timeout while
# sharing the machine's cores with the others run again, one at a time, with
# twice the time (a loaded 2-core CI machine starves some of the base's own
# timing-bound tests, test-nested-aio-poll for one).  Failures are not rerun.
rerun_timeouts() {
    local json=$CQ/build/meson-logs/$1.json
    local -a late
    rm -f "$CQ/build/meson-logs/$1-rerun.json"
    [ -s "$json" ] || return 0
    mapfile -t late < <("$PYTHON" - "$json" <<'PY'
import json, sys
for raw in open(sys.argv[1]):
    t = json.loads(raw)
    if t["result"] == "TIMEOUT":
        print(t["name"].split(" / ", 1)[-1])
PY
)
    [ ${#late[@]} -gt 0 ] || return 0
    log "rerunning alone, timed out beside other tests: ${late[*]}"
    "$CQ/build/pyvenv/bin/meson" test -C "$CQ/build" --no-rebuild -t 2 \
        --num-processes 1 --print-errorlogs --logbase "$1-rerun" "${late[@]}" || true
}

tip_built=
step_start "tests: build, smoke run, check-unit, qtest-x86_64"
if ! want tests; then
    skip "tests: not selected (CHECK_STEPS)"
elif [ -z "$apply_ok" ]; then
    fail "tests: not run (the series does not apply)"
elif want bisect && [ -z "$build_ok" ]; then
    fail "tests: not run (a commit of the series does not build)"
elif ! "$TOP/scripts/configure.sh" "$CQ" > "$LOGS/configure.log" 2>&1; then
    fail "tests: configure failed"
    tail_log "$LOGS/configure.log"
elif ! make -C "$CQ/build" -j"$JOBS" check-build > "$LOGS/check-build.log" 2>&1; then
    fail "tests: building the test programs failed"
    tail_log "$LOGS/check-build.log"
else
    pass "tests: build of qemu-system-x86_64, tools and test programs at the tip"
    tip_built=1
    "$TOP/scripts/firmware.sh" "$CQ" > "$LOGS/firmware.log" 2>&1 ||
        { fail "tests: firmware for the smoke run"; tail_log "$LOGS/firmware.log"; }
    if "$TOP/scripts/smoke.py" "$CQ/build/qemu-system-x86_64" > "$LOGS/smoke.log" 2>&1; then
        pass "tests: smoke run ($(grep -o -- '-accel [a-z]*' "$LOGS/smoke.log" | head -n1), QMP)"
    else
        fail "tests: smoke run"
        tail_log "$LOGS/smoke.log"
    fi

    unit_run unit > "$LOGS/unit.log" 2>&1 || true
    rerun_timeouts unit >> "$LOGS/unit.log" 2>&1
    meson_results unit unit

    # The x86_64 qtests, but those failing on the unpatched base here.
    mapfile -t all_qtests < <("$CQ/build/pyvenv/bin/meson" test -C "$CQ/build" --list --suite qtest-x86_64 \
                                  --no-rebuild 2>/dev/null | sed -n 's/^.* \/ //p')
    run=()
    for t in "${all_qtests[@]}"; do
        why=$(awk -v t="$t" '$1 == t { $1 = ""; sub(/^ +/, ""); print; exit }' "$KNOWN")
        if [ -n "$why" ]; then
            skip "qtest: $t (skipped: ${KNOWN#"$TOP/"}: $why)"
        else
            run+=("$t")
        fi
    done
    if [ ${#run[@]} -eq 0 ]; then
        fail "qtest: no qtest-x86_64 tests found"
    else
        "$CQ/build/pyvenv/bin/meson" test -C "$CQ/build" --no-rebuild -t 1 --num-processes "$JOBS" \
            --print-errorlogs --logbase qtest "${run[@]}" > "$LOGS/qtest.log" 2>&1 || true
        rerun_timeouts qtest >> "$LOGS/qtest.log" 2>&1
        meson_results qtest qtest
    fi
fi
step_end tests

# -------------------------------------------------------------- d2. mutants
step_start "mutants: the series' tests fail when the code breaks a rule"
if ! want mutants; then
    skip "mutants: not selected (CHECK_STEPS)"
elif [ -z "$tip_built" ]; then
    fail "mutants: not run (the tests step built nothing at the tip)"
elif [ ! -x "$MUTANTS_SH" ]; then
    skip "mutants: no mutants written for the QEMU $QEMU series yet (${MUTANTS_SH#"$TOP/"})"
elif [ ! -x "$CQ/build/tests/unit/test-ram-block-attributes" ]; then
    fail "mutants: not run (the series has no test-ram-block-attributes)"
else
    verdicts "" < <("$MUTANTS_SH" "$CQ" 2> "$LOGS/mutants.log" |
                    tee -a "$LOGS/mutants.log")
fi
step_end mutants

# ---------------------------------------------------------------- d3. bench
step_start "bench: the benchmark runs (quick sizes; make bench counts)"
if ! want bench; then
    skip "bench: not selected (CHECK_STEPS)"
elif [ -z "$tip_built" ]; then
    fail "bench: not run (the tests step built nothing at the tip)"
elif [ ! -f "$CQ/tests/bench/ram-block-attributes-bench.c" ]; then
    skip "bench: the QEMU $QEMU series has no tests/bench/ram-block-attributes-bench.c yet"
elif "$TOP/scripts/bench.sh" "$CQ" --quick > "$LOGS/bench.log" 2>&1; then
    pass "$(grep '^bench:' "$LOGS/bench.log")"
else
    fail "bench: the benchmark failed"
    tail_log "$LOGS/bench.log"
fi
step_end bench

# ---------------------------------------------------------------- d4. guide
step_start "guide: the device assignment guide (SNP; TDX where the base has it) against the built QEMU"
if ! want guide; then
    skip "guide: not selected (CHECK_STEPS)"
elif [ -z "$tip_built" ]; then
    fail "guide: not run (the tests step built nothing at the tip)"
else
    verdicts "guide: " < <(/usr/bin/python3 "$TOP/scripts/check-guide.py" "$CQ" 2>&1 |
                           tee "$LOGS/guide.log")
    grep -q '^check-guide: ' "$LOGS/guide.log" ||
        { fail "guide: scripts/check-guide.py did not finish"; tail_log "$LOGS/guide.log"; }
fi
step_end guide

# ------------------------------------------------------ d5. ThreadSanitizer
step_start "tsan: the series' unit tests under ThreadSanitizer (clang)"
if [ "${CHECK_TSAN:-1}" != 1 ] || ! want tsan; then
    skip "tsan: not selected (CHECK_TSAN=${CHECK_TSAN:-1}, CHECK_STEPS)"
elif [ -z "$apply_ok" ]; then
    fail "tsan: not run (the series does not apply)"
elif ! grep -q test-ram-block-attributes "$CQ/tests/unit/meson.build"; then
    fail "tsan: not run (the series has no test-ram-block-attributes)"
elif "$TOP/scripts/check-tsan.sh" "$CQ" > "$LOGS/tsan.log" 2>&1; then
    pass "$(grep '^tsan:' "$LOGS/tsan.log")"
else
    fail "$(grep '^tsan:' "$LOGS/tsan.log" || echo 'tsan: build failed')"
    tail_log "$LOGS/tsan.log"
fi
step_end tsan

# ------------------------------------------------------ d6. a 32-bit host
step_start "32bit: the series' C files built for an i686 host, its unit tests run as i386"
if ! want 32bit; then
    skip "32bit: not selected (CHECK_STEPS)"
elif [ -z "$apply_ok" ]; then
    fail "32bit: not run (the series does not apply)"
else
    verdicts "" < <("$TOP/scripts/check-32bit.sh" "$CQ" 2> "$LOGS/32bit.log" |
                    tee -a "$LOGS/32bit.log")
    grep '^32bit: ' "$LOGS/32bit.log" ||
        { fail "32bit: scripts/check-32bit.sh did not finish"; tail_log "$LOGS/32bit.log"; }
fi
step_end 32bit

printf '\nlogs: %s; total time %ds; %d skipped\n' "$LOGS" $(( $(date +%s) - t0 )) "$skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
