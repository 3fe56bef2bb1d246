#!/bin/bash
# e2e.sh [TRACE | DIR | @LIST]...: the end-to-end rig (make check-e2e).
#
# An L1 Linux guest under TCG with a real VFIO: the host fetches the current
# linux-source-6.x, qemu-system-x86 and busybox-static (e2e-fetch.sh),
# builds the kernel from e2e/kernel.config (e2e-kernel.sh, cached), the
# static test programs of e2e/ and an initramfs (e2e-initramfs.sh, cached),
# boots it (e2e-boot.sh) and reads the guest's verdicts on its console:
#   - QEMU's edu device bound to vfio-pci (group and cdev),
#   - KVM in L1 offers KVM_X86_SW_PROTECTED_VM, and L1 has the memory a
#     nested guest needs,
#   - every trace, e2e/traces/*.trace and those given (files, directories
#     of *.trace, @FILE listing paths; also $E2E_TRACES), replayed by
#     e2e/vfio-rules.c against the kernel, one check per trace and backend.
# One "PASS  ..." or "FAIL  ..." line per check, then "N passed, N failed";
# exit status 1 on any failure.  A step that cannot run because an earlier
# one failed counts as failed.  Logs: $E2E_BUILD/logs-$QEMU.
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

passed=0
failed=0
# CHECK_TAG (check-all.sh sets it to "10.2 " and so on) starts every verdict.
TAG=${CHECK_TAG:-}
pass() { passed=$((passed + 1)); printf 'PASS  %s%s\n' "$TAG" "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s%s\n' "$TAG" "$*"; }
blocked=
# step NAME: false (and a FAIL line) when an earlier step failed.
runnable() {
    [ -z "$blocked" ] && return 0
    fail "$1 (not run: $blocked)"
    return 1
}
show() { sed 's/^/      | /'; }
mkdir -p "$E2E_LOGS"
t_all=$(e2e_now)

# The traces: checked in, then those named.
traces=()
add_traces() {
    local a=$1 f
    if [[ $a == @* ]]; then
        [ -f "${a#@}" ] || die "trace list ${a#@}: no such file"
        while read -r f; do
            case $f in '' | '#'*) continue ;; esac
            add_traces "$f"
        done < "${a#@}"
    elif [ -d "$a" ]; then
        for f in "$a"/*.trace; do
            [ -f "$f" ] && traces+=("$(readlink -f "$f")")
        done
    elif [ -f "$a" ]; then
        traces+=("$(readlink -f "$a")")
    else
        die "trace $a: no such file or directory"
    fi
}
add_traces "$E2E_SRC/traces"
# make exports E2E_TRACES and passes it as arguments too: each file once.
for a in ${E2E_TRACES:-} "$@"; do
    add_traces "$a"
done
mapfile -t traces < <(printf '%s\n' "${traces[@]}" | awk '!seen[$0]++')

# 1. Host tools, the kernel source, the versions.
t=$(e2e_now)
if "$TOP/scripts/e2e-fetch.sh" >"$E2E_LOGS/fetch.log" 2>&1; then
    pass "e2e versions: $(awk '$1 == "linux-source" { print $2, $3 }' "$E2E_VERSIONS")," \
         "qemu-system-x86 $(e2e_version qemu-system-x86)," \
         "busybox-static $(e2e_version busybox-static), gcc $(e2e_version gcc | cut -d' ' -f1)" \
         "($(e2e_since "$t"))"
else
    fail "e2e versions: fetching the host tools or the kernel source failed"
    grep -E '^(error|E:|W:)' "$E2E_LOGS/fetch.log" | tail -n 5 | show
    blocked="fetch failed"
fi

# 2. The kernel.
kdir=
if runnable "e2e kernel build"; then
    t=$(e2e_now)
    if kdir=$("$TOP/scripts/e2e-kernel.sh" 2>"$E2E_LOGS/kernel.log"); then
        src=$(cat "$kdir/source")
        if grep -q 'kernel: cached' "$E2E_LOGS/kernel.log"; then
            pass "e2e kernel build: $src, cached $(basename "$kdir") (built in $(cat "$kdir/build-time") once)"
        else
            pass "e2e kernel build: $src, bzImage built in $(cat "$kdir/build-time"), $(e2e_since "$t") with unpacking and configuring ($(basename "$kdir"))"
        fi
    else
        fail "e2e kernel build ($(e2e_since "$t"))"
        grep -v '^==>' "$E2E_LOGS/kernel.log" | tail -n 20 | show
        blocked="no kernel"
    fi
fi

# The user guide's sizing table rests on this kernel's rules (the SWIOTLB
# size, one struct vfio_dma per mapping): scripts/guide-numbers.py checks
# them in its source.
if [ -n "$kdir" ]; then
    ksrc=$(find "$E2E_BUILD/src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    if [ -n "$ksrc" ] &&
       out=$(/usr/bin/python3 "$TOP/scripts/guide-numbers.py" --linux "$ksrc" 2>&1); then
        pass "e2e guide numbers: ${out#guide-numbers: }"
    else
        fail "e2e guide numbers: the kernel source no longer has the rules the guide's table uses"
        show <<<"${out:-no kernel source under $E2E_BUILD/src}"
    fi
fi

# 3. The guest's programs, static, against the kernel's uapi headers.
bin=$E2E_BUILD/bin
if runnable "e2e test programs"; then
    mkdir -p "$bin"
    ok=1
    for p in vfio-rules kvm-check; do
        if ! gcc -static -O2 -Wall -Wextra -isystem "$kdir/include" \
                -o "$bin/$p" "$E2E_SRC/$p.c" >"$E2E_LOGS/$p.build.log" 2>&1; then
            fail "e2e test programs: $p does not build"
            show < "$E2E_LOGS/$p.build.log"
            ok=0
        elif [ -s "$E2E_LOGS/$p.build.log" ]; then
            fail "e2e test programs: $p builds with warnings"
            show < "$E2E_LOGS/$p.build.log"
            ok=0
        fi
    done
    if [ $ok = 1 ]; then
        pass "e2e test programs: vfio-rules, kvm-check (gcc -static)"
    else
        blocked="test programs do not build"
    fi
fi

# 3b. The nested stage: the L2 test guest (e2e/l2-guest) and the QEMU that
# runs it in L1 (the base, the series, e2e/qemu-$QEMU/*.patch).  E2E_NESTED=0
# leaves it out.
nested=${E2E_NESTED:-1}
l2qemu=
if [ "$nested" = 1 ] && runnable "e2e L2 test guest"; then
    if "$E2E_SRC/l2-guest/build.sh" "$E2E_BUILD/l2" >"$E2E_LOGS/l2-guest.build.log" 2>&1; then
        pass "e2e L2 test guest: $(stat -c %s "$E2E_BUILD/l2/guest.elf") bytes"
    else
        fail "e2e L2 test guest does not build"
        tail -n 20 "$E2E_LOGS/l2-guest.build.log" | show
        nested=0
    fi
fi
if [ "$nested" = 1 ] && runnable "e2e QEMU for L1"; then
    t=$(e2e_now)
    if l2qemu=$("$TOP/scripts/e2e-qemu.sh" 2>"$E2E_LOGS/qemu.log"); then
        what="base + series ($(series_files | wc -l) patches)"
        [ "${E2E_SERIES:-patches}" != none ] || what="base without the series + e2e/base-demo-$QEMU"
        [ -z "${E2E_MUTANT:-}" ] || what="$what + mutant $E2E_MUTANT"
        pass "e2e QEMU for L1: $what + $(ls "$E2E_SRC/qemu-$QEMU"/*.patch | wc -l) test patch(es) ($(e2e_since "$t"))"
    else
        fail "e2e QEMU for L1 does not build ($(e2e_since "$t"))"
        tail -n 20 "$E2E_LOGS/qemu.log" | show
        nested=0
    fi
fi

# 3c. A trace recorded from the series' unit test: its model of hw/vfio's
# listener over the differential run, the rollback at a full container and
# the failed registrations, every call with the model's verdict (containers
# of at most $E2E_MODEL_TRACE_MAX calls).  The kernel must agree with each.
# The 10.2 series' unit test records no trace (it has no RBA_VFIO_TRACE):
# then there is none to replay.
model_trace=${E2E_MODEL_TRACE:-1}
qtree=
[ -z "$l2qemu" ] || qtree=$(dirname "$(dirname "$l2qemu")")
if [ "$nested" = 1 ] && [ "$model_trace" = 1 ] &&
   ! grep -rqs RBA_VFIO_TRACE "$qtree/tests/unit/"; then
    log "e2e: no model trace: the unit test of the QEMU $QEMU series records none (RBA_VFIO_TRACE)"
    model_trace=0
fi
if [ "$nested" = 1 ] && [ "$model_trace" = 1 ] && runnable "e2e model trace"; then
    t=$(e2e_now)
    mt=$E2E_BUILD/traces$E2E_SUFFIX/model.trace
    mkdir -p "$(dirname "$mt")"
    printf '# rba-vfio-trace 1\n# Recorded by scripts/e2e.sh from the unit test (see there).\n' > "$mt"
    if nice -n 5 ninja -C "$qtree/build" tests/unit/test-ram-block-attributes             >"$E2E_LOGS/model-trace.log" 2>&1 &&
       RBA_VFIO_TRACE=$mt RBA_VFIO_TRACE_MAX=$E2E_MODEL_TRACE_MAX \
       RBA_OPS=$E2E_MODEL_TRACE_OPS \
            "$qtree/build/tests/unit/test-ram-block-attributes" \
            -p /ram-block-attributes/differential \
            -p /ram-block-attributes/rollback/entry-limit \
            -p /ram-block-attributes/register-failure \
            >>"$E2E_LOGS/model-trace.log" 2>&1 && grep -q '^backend' "$mt"; then
        traces+=("$mt")
        pass "e2e model trace: $(grep -c '^backend' "$mt") containers," \
             "$(grep -c '^map' "$mt") map and $(grep -c '^unmap' "$mt") unmap calls" \
             "($(grep -v '^backend' "$mt" | grep -vc ' 0$\| 0 0x') refused) from" \
             "the unit test's model, RBA_OPS=$E2E_MODEL_TRACE_OPS ($(e2e_since "$t"))"
    else
        fail "e2e model trace: the unit test did not record one ($(e2e_since "$t"))"
        tail -n 20 "$E2E_LOGS/model-trace.log" | show
    fi
fi

# 4. The initramfs: the programs, the traces, the list of checks.
stage=$E2E_BUILD/stage$E2E_SUFFIX
initrd=$E2E_BUILD/initramfs$E2E_SUFFIX.cpio.gz
checks=()
rm -rf "$stage"
mkdir -p "$stage/e2e/bin" "$stage/e2e/traces"
{
    echo "# NAME<tab>COMMAND, run by /init in order (scripts/e2e.sh)"
    printf '%s\t%s\n' "vfio-pci bind (edu 1234:11e8)" "vfio-bind 1234:11e8"
    printf '%s\t%s\n' "KVM in L1 (SW_PROTECTED_VM, >= $E2E_MIN_MEM_MIB MiB free)" "kvm-check $E2E_MIN_MEM_MIB"
} > "$stage/e2e/checks"
declare -A seen=()
bad_traces=()
for tr in "${traces[@]}"; do
    name=$(basename "$tr" | tr -c 'A-Za-z0-9._+\n-' _)
    [ -z "${seen[$name]:-}" ] || name="${#seen[@]}-$name"
    seen[$name]=1
    cp "$tr" "$stage/e2e/traces/$name"
    backends=$(awk '$1 == "backend" { print $2 }' "$tr" | sort -u)
    [ -n "$backends" ] || bad_traces+=("$tr")
    for b in type1 iommufd; do
        grep -qx "$b" <<<"$backends" || continue
        printf '%s\t%s\n' "trace $name $b" "vfio-rules -b $b /e2e/traces/$name" >> "$stage/e2e/checks"
    done
done
if [ "$nested" = 1 ]; then
    for c in $E2E_NESTED_CHECKS; do
        case $c in
        functional-type1) printf '%s\t%s\n' "nested: functional, legacy container" "E2E_L2_TIMEOUT=$E2E_L2_TIMEOUT E2E_L2_DEBUG=${E2E_L2_DEBUG:-0} E2E_L2_TRACE='${E2E_L2_TRACE:-}' l2-run functional type1" ;;
        functional-iommufd) printf '%s\t%s\n' "nested: functional, iommufd" "E2E_L2_TIMEOUT=$E2E_L2_TIMEOUT E2E_L2_DEBUG=${E2E_L2_DEBUG:-0} E2E_L2_TRACE='${E2E_L2_TRACE:-}' l2-run functional iommufd" ;;
        limit-type1) printf '%s\t%s\n' "nested: refused at the DMA mapping limit" "E2E_L2_TIMEOUT=$E2E_L2_TIMEOUT E2E_L2_DEBUG=${E2E_L2_DEBUG:-0} E2E_L2_TRACE='${E2E_L2_TRACE:-}' E2E_L2_RSS_SLACK=$E2E_L2_RSS_SLACK l2-run limit type1 $E2E_L2_LIMIT" ;;
        refused-section-type1) printf '%s\t%s\n' "nested: a section refused at run time until it can be mapped" "E2E_L2_TIMEOUT=$E2E_L2_TIMEOUT E2E_L2_DEBUG=${E2E_L2_DEBUG:-0} E2E_L2_TRACE='${E2E_L2_TRACE:-}' E2E_L2_REFUSED_WAIT=${E2E_L2_REFUSED_WAIT:-0} l2-run refused-section type1 $E2E_L2_SECTION_LIMIT" ;;
        viommu-type1) printf '%s\t%s\n' "nested: a device behind a guest IOMMU refused" "E2E_L2_TIMEOUT=$E2E_L2_TIMEOUT l2-run viommu type1" ;;
        smp-type1) printf '%s\t%s\n' "nested: conversions while the memory map changes" "E2E_L2_TIMEOUT=$E2E_L2_TIMEOUT E2E_L2_DEBUG=${E2E_L2_DEBUG:-0} E2E_L2_TRACE='${E2E_L2_TRACE:-}' l2-run smp type1" ;;
        hotplug-type1) printf '%s\t%s\n' "nested: hot-plug refused at the DMA mapping limit" "l2-run hotplug type1 $E2E_L2_HOTPLUG_LIMIT" ;;
        soak-type1 | soak-iommufd | soak-both)
            printf '%s\t%s\n' "nested: soak, ${c#soak-}" "E2E_L2_TIMEOUT=$E2E_L2_SOAK_TIMEOUT E2E_L2_SOAK='$E2E_L2_SOAK' E2E_L2_EXTRA='${E2E_L2_EXTRA:-}' E2E_L2_HOTPLUG=$E2E_L2_HOTPLUG E2E_L2_HOTPLUG_BACKEND=${E2E_L2_HOTPLUG_BACKEND:-iommufd} l2-run soak ${c#soak-}" ;;
        soak-none)
            # to debug the rig: the conversions alone, no device, no probe
            printf '%s\t%s\n' "nested: soak, none" "E2E_L2_TIMEOUT=$E2E_L2_SOAK_TIMEOUT E2E_L2_SOAK='$E2E_L2_SOAK probes=0' E2E_L2_EXTRA='${E2E_L2_EXTRA:-}' E2E_L2_HOTPLUG=0 l2-run soak none" ;;
        soak-limit-type1)
            printf '%s\t%s\n' "nested: soak, type1 at dma_entry_limit $E2E_L2_SOAK_LIMIT" "E2E_L2_TIMEOUT=$E2E_L2_SOAK_TIMEOUT E2E_L2_SOAK='$E2E_L2_SOAK refusals settle end=64 $E2E_L2_SOAK_LIMIT_EXTRA' l2-run soak type1 $E2E_L2_SOAK_LIMIT" ;;
        hostile-both)
            printf '%s\t%s\n' "nested: hostile guest" "E2E_L2_TIMEOUT=$E2E_L2_SOAK_TIMEOUT E2E_L2_HOSTILE_ROUNDS=$E2E_L2_HOSTILE_ROUNDS l2-run hostile both" ;;
        *) die "E2E_NESTED_CHECKS: unknown check $c" ;;
        esac
    done >> "$stage/e2e/checks"
fi
for tr in "${bad_traces[@]}"; do
    fail "e2e trace $tr: no 'backend type1|iommufd LIMIT' line, nothing to replay"
done
while IFS='	' read -r name _; do
    case $name in '' | '#'*) continue ;; esac
    checks+=("$name")
done < "$stage/e2e/checks"
if runnable "e2e initramfs"; then
    cp "$bin/vfio-rules" "$bin/kvm-check" "$stage/e2e/bin/"
    install -m 0755 "$E2E_SRC/vfio-bind.sh" "$stage/e2e/bin/vfio-bind"
    nested_args=()
    if [ "$nested" = 1 ]; then
        install -m 0755 "$E2E_SRC/l2-run.sh" "$stage/e2e/bin/l2-run"
        install -m 0755 "$E2E_SRC/l2-hotplug.sh" "$stage/e2e/bin/l2-hotplug"
        # What QEMU must say in them, as this base's series words it.
        [ -f "$E2E_SRC/l2-messages-$QEMU.sh" ] ||
            die "no e2e/l2-messages-$QEMU.sh (the messages of the nested checks)"
        install -m 0644 "$E2E_SRC/l2-messages-$QEMU.sh" "$stage/e2e/l2-messages"
        mkdir -p "$stage/e2e/l2" "$stage/e2e/share/qemu"
        cp "$E2E_BUILD/l2/guest.elf" "$E2E_BUILD/l2/guest.text" "$stage/e2e/l2/"
        for f in $E2E_L2_FIRMWARE; do
            src=
            for d in /usr/share/qemu /usr/share/seabios; do
                [ -z "$src" ] && [ -f "$d/$f" ] && src=$d/$f
            done
            [ -n "$src" ] || die "$f is missing (qemu-system-data, seabios)"
            cp -L "$src" "$stage/e2e/share/qemu/"
        done
        nested_args=(-x "$l2qemu:/e2e/qemu/qemu-system-x86_64")
    fi
    if what=$("$TOP/scripts/e2e-initramfs.sh" -o "$initrd" -d "$stage" "${nested_args[@]}" 2>"$E2E_LOGS/initramfs.log"); then
        pass "e2e initramfs: ${what#"$E2E_BUILD/"}, ${#traces[@]} trace(s)"
    else
        fail "e2e initramfs"
        show < "$E2E_LOGS/initramfs.log"
        blocked="no initramfs"
    fi
fi

# 5. The boot, and the guest's verdicts.
console=$E2E_LOGS/console.log
booted=0
con=
if runnable "e2e boot to /init"; then
    E2E_APPEND="${E2E_APPEND:-}${E2E_TEST_HANGAT:+ e2e.hangat=$E2E_TEST_HANGAT}" \
        "$TOP/scripts/e2e-boot.sh" "$kdir/bzImage" "$initrd" "$console" 2>"$E2E_LOGS/boot.log" || true
    if [ -f "$console.status" ]; then
        # shellcheck disable=SC1090,SC1091
        . "$console.status"
    else
        status=error init_s='' message="e2e-boot.sh failed: $(tail -n 2 "$E2E_LOGS/boot.log" | tr '\n' ' ')"
    fi
    if [ -n "$init_s" ]; then
        con=$(tr -d '\r' < "$console")
        pass "e2e boot to /init: $init_s s ($(awk '/^E2E-INIT:/ { print; exit }' <<<"$con" |
              sed -e 's/^E2E-INIT: \/init started at \([0-9.]*\) s, Linux /guest uptime \1 s, Linux /'); TCG, -m $E2E_MEM)"
        booted=1
    else
        fail "e2e boot to /init: $message"
        grep -v '^==>' "$E2E_LOGS/boot.log" | tail -n 15 | show
        blocked="the boot did not reach /init"
    fi
fi
# L1 stopped (no heartbeat: it lost its timer, an emulation fault seen
# under TCG, not the QEMU under test, whose hangs l2-run's timeouts in L1
# report): boot it once more, for the checks without a verdict; the first
# boot's verdicts stand, its console is kept as console-1.log.
# E2E_TEST_HANGAT=K makes the first boot's /init stop at the Kth check.
if [ "$booted" = 1 ] && [ "${status:-}" = l1-silent ]; then
    from='' k=0
    for name in "${checks[@]}"; do
        k=$((k + 1))
        # (as the verdicts are read below: at the start of a line)
        if ! awk -v p="E2E-CHECK: PASS $name (" -v f="E2E-CHECK: FAIL $name (" '
                index($0, p) == 1 || index($0, f) == 1 { found = 1 } END { exit !found }' <<<"$con"; then
            from=$k
            break
        fi
    done
    if [ -n "$from" ]; then
        cp "$console" "$E2E_LOGS/console-1.log"
        echo "NOTE  ${TAG}e2e L1 stopped during \"${checks[from-1]}\": $message; booting it once more for checks $from to ${#checks[@]} (and those that set L1 up; the first boot's console: $E2E_LOGS/console-1.log)"
        first=$(awk -v b="E2E-BEGIN: ${checks[from-1]}" '$0 == b { exit } { print }' <<<"$con")
        E2E_APPEND="${E2E_APPEND:-} e2e.from=$from" \
            "$TOP/scripts/e2e-boot.sh" "$kdir/bzImage" "$initrd" "$console" 2>>"$E2E_LOGS/boot.log" || true
        status=error init_s='' message="e2e-boot.sh failed: $(tail -n 2 "$E2E_LOGS/boot.log" | tr '\n' ' ')"
        # shellcheck disable=SC1090,SC1091
        [ ! -f "$console.status" ] || . "$console.status"
        second=$(tr -d '\r' < "$console" 2>/dev/null || true)
        [ ! -f "$console" ] || cp "$console" "$E2E_LOGS/console-2.log"
        # the set-up checks ran again: their first verdicts count, a failure now is said
        for name in "${checks[@]}"; do
            case $name in "nested: "*) continue ;; esac
            ! grep -aqF "E2E-CHECK: FAIL $name (" <<<"$second" ||
                echo "NOTE  ${TAG}e2e L1's second boot: \"$name\" failed there (console-2.log)"
        done
        # console.log: the first boot's checks, then the second boot's
        con=$(printf '%s\n' "$first"; printf '%s\n' "$second")
        printf '%s\n' "$con" > "$console"
    fi
fi
# A failed check during which L1's own kernel stalled: L1 lost its timer
# interrupts for many seconds (seen once under TCG), so that nothing in L1
# that waits for an RCU grace period (KVM's and VFIO's ioctls of a
# conversion) returns.  Said, so that nobody looks for the fault in QEMU.
l1_stalled() {
    local s
    s=$(grep -a -m 1 -E "rcu: INFO: rcu_[a-z]* (self-)?detected stall|rcu: .*timer wakeup didn't happen" <<<"$1" || true)
    [ -z "$s" ] || echo "      | L1's kernel stalled during this check (\"${s#*rcu: }\"): the emulated L1 machine lost its timer, see e2e/README.md"
}
for name in "${checks[@]}"; do
    runnable "e2e L1 $name" || continue
    # (awk reads all its input: an early exit would be a SIGPIPE upstream)
    line=$(awk -v p="E2E-CHECK: PASS $name (" -v f="E2E-CHECK: FAIL $name (" '
        !found && (index($0, p) == 1 || index($0, f) == 1) { print; found = 1 }' <<<"$con")
    out=$(awk -v b="E2E-BEGIN: $name" '
        $0 == b && !done { on = 1; next }
        on && /^E2E-(CHECK|BEGIN|RESULT):/ { on = 0; done = 1 }
        on { print }' <<<"$con")
    # The soak's and the hostile guest's summary, as the host prints it.
    sl=$({ grep -a '^l2-run: \(soak\|hostile\) [a-z0-9]*: [0-9]* \(conversions\|bad requests\)' <<<"$out" || true; } | tail -n 1 |
         sed -e 's/^l2-run: soak \([a-z0-9]*\): /e2e soak: \1: /' -e 's/^l2-run: hostile [a-z0-9]*: \(.*\); [0-9.]* s$/e2e hostile: \1/')
    case $line in
    "E2E-CHECK: PASS $name ("*)
        # The check's own lines, short: "prog: [TRACE BACKEND: as expected: ]..."
        summary=$({ grep -E '^(vfio-rules: .*: as expected: |vfio-bind: |kvm-check: |l2-run: .* passed|l2-run: viommu .*: refused|l2-hotplug: refused|l2-run: soak [a-z0-9]*: [0-9]+ samples)' <<<"$out" || true; } |
                  sed -e 's/^[a-z0-9-]*: //' -e 's/^.*: as expected: //' |
                  awk '{ printf "%s%s", (NR > 1 ? "; " : ""), $0 }')
        pass "e2e L1 $name: ${summary:+$summary }${line##*"$name "}"
        ;;
    "E2E-CHECK: FAIL $name ("*)
        fail "e2e L1 $name: ${line##*"$name "}"
        tail -n 25 <<<"$out" | show
        l1_stalled "$out"
        ;;
    *)
        fail "e2e L1 $name: no verdict from the guest (${message:-})"
        [ -z "$out" ] || tail -n 15 <<<"$out" | show
        l1_stalled "$out"
        ;;
    esac
    [ -z "$sl" ] || echo "$TAG$sl"
done
if runnable "e2e guest end"; then
    if [ "$status" = ok ]; then
        pass "e2e guest end: result line \"$(awk '/^E2E-RESULT:/ && !n++ { sub(/^E2E-RESULT: /, ""); print }' <<<"$con")\", $message"
    else
        fail "e2e guest end: $message"
        [ "$booted" = 0 ] || grep -v '^[[:space:]]*$' <<<"$con" | tail -n 15 | show
    fi
fi

log "e2e: $(e2e_since "$t_all") in all; logs in $E2E_LOGS (console: $console)"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
