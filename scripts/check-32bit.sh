#!/bin/bash
# check-32bit.sh [TREE]: what the series touches, built for a 32-bit x86 host.
#
# QEMU 10.0 still builds on 32-bit hosts (deprecated, not dropped), and its
# atomics refuse at compile time an access wider than the host's pointer
# (qemu_build_assert(sizeof(*ptr) <= ATOMIC_REG_SIZE)): a qatomic_read() of
# an int64_t builds on amd64 and not on i686.  A 32-bit host also has a
# 32-bit unsigned long, the word of QEMU's bitmaps.
#
# TREE is a QEMU tree with the series applied (commits base..HEAD); it
# defaults to the check tree (the series from patches/), made if missing.  This
# configures TREE/build-i686 for an i686 host (Debian's i686-linux-gnu cross
# compiler and multiarch i386 glib and zlib: make deps), compiles every
# object of every C file that the series adds or modifies (those that this
# configuration does not compile are listed as SKIP), then builds the
# series' unit tests as i386 binaries and runs them on this (amd64) kernel.
# One "PASS  32bit: ..." / "FAIL  32bit: ..." line per result, a failed
# compile's error lines under it ("      | "), and a last line "32bit: ...".
# Exit status 1 on any failure.  Logs: TREE/build-i686/*.log.  (In make
# check, the check tree's git clean removes build-i686 at every run: the
# step then configures afresh, about 30 s, and compiles from ccache.)
. "$(dirname "$0")/common.sh"

if [ $# -eq 0 ] && [ ! -d "$CHECK_DIR/qemu/.git" ]; then
    "$TOP/scripts/fetch-base.sh"
    git clone -q "$BASE_REPO" "$CHECK_DIR/qemu"
    git -C "$CHECK_DIR/qemu" checkout -q -B main base
    "$TOP/scripts/apply-series.sh" "$CHECK_DIR/qemu"
fi
tree=${1:-$CHECK_DIR/qemu}
if [ $# -gt 1 ] || ! git -C "$tree" rev-parse -q --verify base >/dev/null 2>&1; then
    die "usage: check-32bit.sh [TREE] (a git tree with the series on tag base)"
fi
tree=$(cd "$tree" && pwd)
bdir=$tree/build-i686
cross=i686-linux-gnu-
# The series' unit tests; any other unit test that the series changes
# (tests/unit/test-bitops.c: find_next_bit()) runs as well.
tests=(tests/unit/test-ram-block-attributes tests/unit/test-kvm-convert)

# The check trees' configuration (CONFIGURE_FLAGS, EXTRA_CONFIGURE_FLAGS),
# but for the target: a 32-bit host runs no 64-bit guest (meson.build skips
# every accelerator of a target wider than the host), so x86_64-softmmu
# would be left with none ("No accelerator available"); i386-softmmu builds
# the same files with KVM.  --disable-download: no i386 libfdt is
# installed, and configure would otherwise clone dtc from the network (fdt
# is only wanted by microvm, which is left out); pixman is not needed.
flags=("--cross-prefix=$cross" --target-list=i386-softmmu)
for f in "${CONFIGURE_FLAGS[@]}"; do
    case $f in --target-list=*) ;; *) flags+=("$f") ;; esac
done
read -r -a extra <<<"${EXTRA_CONFIGURE_FLAGS---disable-debug-info}"
flags+=(--disable-download "${extra[@]}" --python="$PYTHON")

passed=0 failed=0 skipped=0
pass() { passed=$((passed + 1)); printf 'PASS  32bit: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL  32bit: %s\n' "$*"; }
skip() { skipped=$((skipped + 1)); printf 'SKIP  32bit: %s\n' "$*"; }
details() { sed 's/^/      | /'; }
t0=$(date +%s)
summary() {
    echo "32bit: $*; $passed passed, $failed failed, $skipped skipped ($(( $(date +%s) - t0 ))s; logs: $bdir/*.log)"
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}

if ! command -v "${cross}gcc" >/dev/null || ! command -v "${cross}pkg-config" >/dev/null; then
    fail "no ${cross}gcc or ${cross}pkg-config (make deps installs them)"
    summary "nothing built"
fi

# ------------------------------------------------------------- configure
want="i686 ${flags[*]}"
if [ ! -f "$bdir/build.ninja" ] || [ "$(cat "$bdir/.configure-flags" 2>/dev/null)" != "$want" ]; then
    rm -rf "$bdir"
    mkdir -p "$bdir"
    log "configuring $bdir: ${flags[*]}"
    if ! (cd "$bdir" && ../configure "${flags[@]}") > "$bdir/configure.log" 2>&1; then
        fail "configure for an i686 host (${flags[*]})"
        { grep -E 'ERROR|error:' "$bdir/configure.log" || tail -n 10 "$bdir/configure.log"; } |
            head -n 10 | details
        summary "not configured"
    fi
    echo "$want" > "$bdir/.configure-flags"
fi
# ccache as for the other builds: Debian's ccache links every installed
# cross gcc in /usr/lib/ccache (common.sh puts it first on PATH); where that
# link is missing, a private one.
if command -v ccache >/dev/null &&
   [ "$(basename "$(readlink -f "$(command -v "${cross}gcc")")")" != ccache ]; then
    mkdir -p "$bdir/ccache-bin"
    ln -sf "$(command -v ccache)" "$bdir/ccache-bin/${cross}gcc"
    PATH=$bdir/ccache-bin:$PATH
fi

# ---------------------------------------------- the series' C files' objects
mapfile -t srcs < <(git -C "$tree" diff --name-only --diff-filter=d base..HEAD -- '*.c')
# "SOURCE<TAB>OBJECT" for each object of each source (compile_commands.json)
mapfile -t pairs < <("$PYTHON" - "$bdir/compile_commands.json" "$tree" "${srcs[@]}" <<'PY'
import json, os, sys
db, tree, srcs = sys.argv[1], os.path.realpath(sys.argv[2]), sys.argv[3:]
objs = {}
for e in json.load(open(db)):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    objs.setdefault(os.path.relpath(f, tree), []).append(e["output"])
for s in srcs:
    for o in objs.get(s, []):
        print(f"{s}\t{o}")
PY
)
all_objs=()
for p in "${pairs[@]}"; do all_objs+=("${p#*$'\t'}"); done
log "compiling ${#all_objs[@]} object(s) of ${#srcs[@]} C file(s) for i686"
: > "$bdir/objects.log"
[ ${#all_objs[@]} -eq 0 ] || ninja -C "$bdir" -k 0 "${all_objs[@]}" > "$bdir/objects.log" 2>&1 || true
ninja -C "$bdir" -t targets all > "$bdir/targets.txt"

# failed_targets LOG: the targets of the FAILED: lines of a ninja log
failed_targets() { awk '/^FAILED: / { print $NF }' "$1"; }
# failed_block LOG TARGET: what TARGET's failed command printed in LOG
failed_block() {
    awk -v t="$2" '/^FAILED: / { on = ($NF == t); next }
                   /^\[[0-9]+\/[0-9]+\] |^ninja: / { on = 0 }
                   on' "$1"
}
# error_lines [N]: the compiler's error lines: the function, the error, the
# assertion and atomic macro it comes from with the source line of the call
error_lines() {
    awk '/^In function |: In function |: (fatal )?error: |undefined reference/ { print; next }
         /note: in expansion of macro [^a-z_]*(qatomic_[a-z_]+|qemu_build_assert)[^a-z_]/ {
             print; code = /qatomic_/; next }
         code && /^ *[0-9]+ \| / { print }
         { code = 0 }' | awk '!seen[$0]++' | head -n "${1:-8}"
}
# stale TARGET...: those of the targets that ninja would still build (a dry
# run; "ninja -n" always lists the always-stale qemu-version.h as well)
stale() {
    ninja -C "$bdir" -n "$@" 2>/dev/null |
        awk 'BEGIN { for (i = 1; i < ARGC; i++) want[ARGV[i]] = 1; ARGC = 1 }
             /^\[[0-9]+\/[0-9]+\] / && ($NF in want) { print $NF }' "$@"
}

mapfile -t stale_objs < <([ ${#all_objs[@]} -eq 0 ] || stale "${all_objs[@]}")
n_objs=${#all_objs[@]} n_bad=0 n_files=0
for s in "${srcs[@]}"; do
    objs=()
    for p in "${pairs[@]}"; do
        [ "${p%%$'\t'*}" = "$s" ] && objs+=("${p#*$'\t'}")
    done
    if [ ${#objs[@]} -eq 0 ]; then
        skip "compile $s: not compiled for this i686 configuration (no object in compile_commands.json)"
        continue
    fi
    n_files=$((n_files + 1))
    bad=() unbuilt=()
    for o in "${objs[@]}"; do
        if failed_targets "$bdir/objects.log" | grep -qxF -- "$o"; then
            bad+=("$o")
        elif printf '%s\n' "${stale_objs[@]}" | grep -qxF -- "$o"; then
            unbuilt+=("$o")
        fi
    done
    n_bad=$((n_bad + ${#bad[@]} + ${#unbuilt[@]}))
    if [ ${#bad[@]} -eq 0 ] && [ ${#unbuilt[@]} -eq 0 ]; then
        pass "compile $s (${#objs[@]} object(s))"
    elif [ ${#bad[@]} -eq 0 ]; then
        fail "compile $s: not built (a step it depends on failed; $bdir/objects.log)"
        { grep -E '^FAILED: |: (fatal )?error: ' "$bdir/objects.log" || true; } | head -n 5 | details
    else
        fail "compile $s: ${#bad[@]} of ${#objs[@]} object(s) do not compile for i686 (${bad[*]})"
        for o in "${bad[@]}"; do failed_block "$bdir/objects.log" "$o"; done | error_lines | details
    fi
done
[ ${#srcs[@]} -gt 0 ] || log "the series changes no C file"

# -------------------------------------------------- the unit tests, as i386
for s in "${srcs[@]}"; do
    case $s in
    tests/unit/test-*.c)
        case " ${tests[*]} " in *" ${s%.c} "*) ;; *)
            if grep -q "^${s%.c}: " "$bdir/targets.txt"; then
                tests+=("${s%.c}")
            else
                skip "${s%.c}: not built in this configuration (the series changes $s)"
            fi ;;
        esac ;;
    esac
done
targets=()
for t in "${tests[@]}"; do
    grep -q "^$t: " "$bdir/targets.txt" && targets+=("$t")
done
log "building ${targets[*]} for i686"
: > "$bdir/tests.log"
[ ${#targets[@]} -eq 0 ] || ninja -C "$bdir" -k 0 "${targets[@]}" > "$bdir/tests.log" 2>&1 || true
t_ok=0 t_bad=0
for t in "${tests[@]}"; do
    name=$(basename "$t")
    if ! grep -q "^$t: " "$bdir/targets.txt"; then
        fail "$t: not a build target of the tree (the series has no such test)"
        t_bad=$((t_bad + 1))
        continue
    fi
    if [ -n "$(stale "$t")" ]; then
        fail "$t does not build for i686"
        failed_targets "$bdir/tests.log" | while read -r o; do
            case $o in "$t"|"$t.p/"*) failed_block "$bdir/tests.log" "$o" ;; esac
        done | error_lines 6 | details
        t_bad=$((t_bad + 1))
        continue
    fi
    # ELF class 1: a 32-bit binary
    if [ "$(od -An -tu1 -j4 -N1 "$bdir/$t" | tr -d ' ')" != 1 ]; then
        fail "$t: not a 32-bit binary ($(file -b "$bdir/$t" 2>/dev/null | cut -d, -f1))"
        t_bad=$((t_bad + 1))
        continue
    fi
    log "running $t (i386)"
    out=$bdir/$name.log
    start=$(date +%s) r=0
    timeout 600 "$bdir/$t" --tap > "$out" 2>&1 || r=$?
    ok=$(grep -c '^ok ' "$out" || true)
    notok=$(grep -c '^not ok ' "$out" || true)
    what="$t runs as an i386 binary: $ok passed, $notok failed, exit $r ($(( $(date +%s) - start ))s)"
    if [ "$r" -eq 0 ] && [ "$notok" -eq 0 ] && [ "$ok" -gt 0 ]; then
        pass "$what"
        t_ok=$((t_ok + 1))
    else
        fail "$what"
        { grep -E '^not ok |ERROR|reproduce' "$out" | head -n 6 || true; tail -n 3 "$out"; } | details
        t_bad=$((t_bad + 1))
    fi
done

summary "${#srcs[@]} C file(s) of the series, $n_files built in this i686 configuration: $n_objs object(s), $n_bad failed; ${#tests[@]} unit test(s) as i386 binaries: $t_ok passed, $t_bad failed"
