#!/bin/sh
# l2-run MODE BACKEND [LIMIT]: run the nested (L2) test guest in L1 with the
# patched QEMU (/e2e/qemu/qemu-system-x86_64): a software-protected VM
# (KVM_X86_SW_PROTECTED_VM: guest_memfd, memory attributes, conversions by
# KVM_HC_MAP_GPA_RANGE) with the edu device assigned through vfio-pci, on a
# legacy VFIO container (BACKEND type1, vfio_iommu_type1.dma_entry_limit set
# to LIMIT first) or iommufd.  MODE is the guest's (e2e/l2-guest/README.md).
# Exits 0 when the guest reports every test passed, QEMU exits as the guest
# asked, and QEMU printed what the mode expects of it; prints QEMU's stderr
# and the guest's serial output, prefixed.
#
# The L2 machine: q35 without SMM (the SMRAM aliases of RAM would bind a
# guest_memfd range to a second memory slot, which KVM refuses; SEV-SNP and
# TDX guests have no SMM either), 128 MiB in two NUMA nodes so that a range
# can span two RAM blocks, one anonymous (freed by madvise) and one memfd
# (freed by fallocate), as a confidential guest's memory backends are.
#
# MODE limit runs with -action panic=pause and QMP on a pipe: the guest ends
# with an SEV termination request (port 0xf8, the test VM's stand-in), which
# must be a guest panic (GUEST_PANICKED with the reason, query-status
# guest-panicked, QEMU's report once); QEMU's VmRSS is sampled before and
# after the refused conversion (the guest's "E2E-L2: WAIT rss-..." lines),
# and must not grow by more than E2E_L2_RSS_SLACK kB.
#
# MODE refused-section runs QEMU twice: the guest first finds the room of
# the container (a calibration: shares until a conversion is refused), then
# fills it exactly, so that the PAM section it re-adds is refused without an
# earlier report, and checks QEMU's report of it.
#
# MODE viommu: the device behind a guest intel-iommu must be refused (QEMU
# exits 1 with the error) before the guest runs.
#
# MODE hotplug: the guest idles; the device is hot-plugged through the
# monitor, first at a dma_entry_limit (LIMIT) below what the guest shares,
# which must fail with the error that names the limit while the VM keeps
# running, then at 65535, which must work.
mode=$1
backend=$2
limit=${3:-65535}
dev=${E2E_EDU_BDF:-0000:00:03.0}
qemu=/e2e/qemu/qemu-system-x86_64
timeout_s=${E2E_L2_TIMEOUT:-600}
# kB QEMU's RSS may grow by across a refused conversion (mode limit): the
# growth measured with the series is 0 to a few pages (the error reports'
# heap); without freeing what VFIO's pinning faulted in, the 32 MiB
# conversion refused at dma_entry_limit 26000 grows it by some 5.5 MiB.
rss_slack=${E2E_L2_RSS_SLACK:-1024}
# What QEMU must say, as the series of this QEMU's base words it
# (e2e/l2-messages-BASE.sh, which scripts/e2e.sh installs).
# shellcheck source=/dev/null
. /e2e/l2-messages || exit 2

case $backend in
type1)
    echo "$limit" > /sys/module/vfio_iommu_type1/parameters/dma_entry_limit || exit 1
    vfio="-device vfio-pci,host=$dev"
    ;;
iommufd)
    vfio="-object iommufd,id=iommufd0 -device vfio-pci,host=$dev,iommufd=iommufd0"
    ;;
*)
    echo "l2-run: unknown backend $backend"; exit 2 ;;
esac
private=
smp=1
qmp=0
extra=
case $mode in
limit)
    private=",private-start=0x2000000,private-size=0x2000000"
    qmp=1
    extra="-action panic=pause"
    ;;
refused-section)
    private=",private-start=0x2000000,private-size=0x2000000"
    qmp=1
    # Every refused guest conversion, and the retry that maps the section.
    extra="-d guest_errors"
    for t in $L2_SECTION_TRACES; do
        extra="$extra -trace $t"
    done
    ;;
smp) smp=2 ;;
viommu) vfio="-device intel-iommu,intremap=off,caching-mode=on $vfio" ;;
hotplug) exec l2-hotplug "$limit" ;;
esac

# E2E_L2_DEBUG=1: the firmware's debug output (port 0x402) too, QEMU's
# trace events E2E_L2_TRACE (a -trace pattern) on its stderr, and in the
# QMP modes "info mtree -f" where the guest asks for it.
debug=
if [ "${E2E_L2_DEBUG:-0}" = 1 ]; then
    debug="-chardev file,id=dbg,path=/tmp/l2-$mode-$backend.debugcon -device isa-debugcon,iobase=0x402,chardev=dbg"
    for t in ${E2E_L2_TRACE:-}; do
        debug="$debug -trace $t"
    done
fi
common="-L /e2e/share/qemu -accel kvm -cpu qemu64 -smp $smp -m 128M
    -machine q35,smm=off,confidential-guest-support=swp0
    -object sw-protected-vm,id=swp0$private
    -object memory-backend-ram,id=m0,size=64M
    -object memory-backend-memfd,id=m1,size=64M
    -numa node,nodeid=0,memdev=m0 -numa node,nodeid=1,memdev=m1
    -nodefaults -vga none -display none -monitor none
    -device isa-debug-exit,iobase=0xf4,iosize=0x04
    $vfio $extra $debug -kernel /e2e/l2/guest.elf"

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
alive() { kill -0 "$qpid" 2>/dev/null; }

# qmp CMD [ARGS-JSON]: a QMP command; waits (30 s at most) for its answer,
# which it leaves in $answer.
qmp_n=0
qmp() {
    qmp_n=$((qmp_n + 1))
    answer=
    alive || return 1
    printf '{"execute": "%s"%s, "id": "c%d"}\n' "$1" "${2:+, \"arguments\": $2}" "$qmp_n" >&3 || return 1
    i=0
    while [ $i -lt 300 ]; do
        answer=$(grep -a "\"id\": \"c$qmp_n\"" "$qmpout")
        [ -n "$answer" ] && return 0
        alive || return 1
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}
# hmp COMMAND: a human monitor command through QMP; its output, prefixed.
hmp() {
    qmp human-monitor-command "{\"command-line\": \"$1\"}" || return 1
    echo "l2 monitor: (qemu) $1" >> "$notes"
    printf '%s\n' "$answer" | tr -d '\r' | awk '{
        sub(/^[{]"return": "/, ""); sub(/", "id": "c[0-9]+"[}]$/, "")
        gsub(/\\r\\n/, "\n"); gsub(/\\n/, "\n"); gsub(/\\"/, "\""); gsub(/\\\\/, "\\")
        sub(/\n$/, ""); print }' | sed 's/^/l2 monitor: /' >> "$notes"
}

# The guest's "E2E-L2: WAIT NAME S" lines not acted on yet: sample QEMU's
# RSS (rss-NAME), dump the memory map (mtree, E2E_L2_DEBUG=1).  A sample
# counts only if the guest is still waiting (its WAIT line still the last).
waits_seen=0
handle_waits() {
    n=$(grep -ac '^E2E-L2: WAIT ' "$serial" 2>/dev/null)
    while [ "$waits_seen" -lt "${n:-0}" ]; do
        waits_seen=$((waits_seen + 1))
        what=$(grep -a '^E2E-L2: WAIT ' "$serial" | sed -n "${waits_seen}p" | cut -d' ' -f3)
        case $what in
        rss-*)
            kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$qpid/status" 2>/dev/null)
            if tail -n 1 "$serial" | grep -q "^E2E-L2: WAIT $what "; then
                eval "rss_${what#rss-}=\${kb:-none}"
                echo "l2-run: QEMU's VmRSS at $what: ${kb:-none} kB" >> "$notes"
            else
                eval "rss_${what#rss-}=late"
                echo "l2-run: QEMU's VmRSS at $what: sampled too late (the guest went on)" >> "$notes"
            fi
            ;;
        mtree)
            [ -z "$debug" ] || hmp "info mtree -f"
            ;;
        esac
    done
}

# run NAME APPEND: one QEMU run with the guest's command line APPEND; sets
# rc (124: killed after E2E_L2_TIMEOUT s) and t (s); its files are
# /tmp/l2-NAME.{serial,err,qmp,notes}.  In the QMP modes, a guest panic is
# answered with query-status, "info ram-block-attributes" and quit.
run() {
    name=$1
    serial=/tmp/l2-$name.serial
    err=/tmp/l2-$name.err
    qmpout=/tmp/l2-$name.qmp
    notes=/tmp/l2-$name.notes
    rm -f "$serial" "$qmpout"
    : > "$notes"
    t0=$(now)
    if [ "$qmp" = 0 ]; then
        # shellcheck disable=SC2086
        timeout "$timeout_s" "$qemu" $common -serial "file:$serial" -append "$2" \
            </dev/null 2>"$err"
        rc=$?
        t=$(since "$t0")
        # busybox's timeout exits as the child does (QEMU: 0 on SIGTERM).
        if awk -v e="$t" -v l="$timeout_s" 'BEGIN { exit !(e >= l) }'; then
            rc=124
        fi
        return
    fi
    fifo=/tmp/l2-$name.fifo
    rm -f "$fifo"
    mkfifo "$fifo"
    # shellcheck disable=SC2086
    "$qemu" $common -serial "file:$serial" -qmp stdio -append "$2" \
        <"$fifo" >"$qmpout" 2>"$err" &
    qpid=$!
    exec 3>"$fifo"
    # A QEMU that is gone must not kill this script through SIGPIPE.
    trap '' PIPE
    waits_seen=0
    panicked=0
    killed=0
    t_first=
    qmp qmp_capabilities
    while alive; do
        [ -n "$t_first" ] || [ ! -s "$serial" ] || t_first=$(since "$t0")
        handle_waits
        if [ "$panicked" = 0 ] && grep -aq '"event": "GUEST_PANICKED"' "$qmpout"; then
            panicked=1
            qmp query-status
            status=$answer
            hmp "info ram-block-attributes"
            qmp quit
        fi
        if awk -v e="$(since "$t0")" -v t="$timeout_s" 'BEGIN { exit !(e > t) }'; then
            kill "$qpid" 2>/dev/null
            killed=1
        fi
        sleep 0.2
    done
    wait "$qpid"
    rc=$?
    [ "$killed" = 0 ] || rc=124
    exec 3>&-
    rm -f "$fifo"
    t=$(since "$t0")
    echo "l2-run: $name: the guest's first line after ${t_first:-(none)} s, QEMU gone after $t s" >> "$notes"
}

# show: the run's files, prefixed.
show() {
    sed 's/^/l2 serial: /' "$serial" 2>/dev/null
    sed 's/^/l2 qemu: /' "$err"
    [ "$qmp" = 0 ] || sed 's/^/l2 qmp: /' "$qmpout"
    cat "$notes"
    [ -z "$debug" ] || tail -n 40 "/tmp/l2-$mode-$backend.debugcon" | sed 's/^/l2 firmware: /'
}

ok=1
# guest_ok WANT_RC: QEMU exited with WANT_RC and the guest reported success.
# isa-debug-exit: QEMU's exit status is (value << 1) | 1; the guest writes 0
# when every test passed.
guest_ok() {
    done_line=$(grep -a '^E2E-L2-DONE:' "$serial" 2>/dev/null | tail -n 1)
    if [ "$rc" = 124 ]; then
        echo "l2-run: $mode $backend: timeout after $t s"; ok=0
    elif [ "$rc" != "$1" ]; then
        echo "l2-run: $mode $backend: QEMU exited with status $rc (want $1)"; ok=0
    fi
    case $done_line in
    "E2E-L2-DONE: "*" 0") ;;
    *) echo "l2-run: $mode $backend: the guest did not report success (${done_line:-no E2E-L2-DONE line})"; ok=0 ;;
    esac
}
# want FILE TEXT...: each TEXT is in FILE.
want() {
    f=$1
    shift
    for w in "$@"; do
        grep -aqF -- "$w" "$f" || { echo "l2-run: $mode: QEMU did not say '$w'"; ok=0; }
    done
}
# want_lines FILE LIST: each line of LIST is in FILE.
want_lines() {
    old_ifs=$IFS
    IFS='
'
    set -f
    # shellcheck disable=SC2086
    want "$1" $2
    set +f
    IFS=$old_ifs
}
passed() { grep -ac '^E2E-L2: PASS' "$serial" 2>/dev/null; }

case $mode in
limit)
    run "$mode-$backend" "mode=$mode"
    show
    guest_ok 0      # the panic, then quit
    # What the user must see when a conversion is refused (issue: name the
    # RAM block, the range, the limit and the ways out).
    want_lines "$err" "$L2_WANT_LIMIT"
    # The termination request: a guest panic, with its reason, reported once.
    term=$L2_TERM
    n=$(grep -acF "$term" "$err")
    [ "$n" = 1 ] || { echo "l2-run: limit: QEMU printed '$term' $n times (want once)"; ok=0; }
    ev=$(grep -a '"event": "GUEST_PANICKED"' "$qmpout")
    for w in '"action": "pause"' '"type": "sev"' '"reason-set": 1' '"reason-code": 1' \
             '"reason": "page state change failed"'; do
        echo "$ev" | grep -qF "$w" || { echo "l2-run: limit: no GUEST_PANICKED event with $w"; ok=0; }
    done
    echo "${status:-}" | grep -qF '"status": "guest-panicked"' ||
        { echo "l2-run: limit: query-status did not say guest-panicked (${status:-no answer})"; ok=0; }
    grep -aq '^l2 monitor: .*listeners' "$notes" ||
        { echo "l2-run: limit: no 'info ram-block-attributes' output"; ok=0; }
    # QEMU's RSS across the refused conversion.
    case ${rss_before:-}${rss_after:-} in
    *[!0-9]* | '')
        echo "l2-run: limit: QEMU's VmRSS not sampled (before: ${rss_before:-none}, after: ${rss_after:-none})"; ok=0
        rss="VmRSS not sampled" ;;
    *)
        grew=$((rss_after - rss_before))
        rss="VmRSS $rss_before kB before the refused conversion, $rss_after kB after: $grew kB (slack $rss_slack kB)"
        [ "$grew" -lt "$rss_slack" ] ||
            { echo "l2-run: limit: QEMU's RSS grew by $grew kB across the refused conversion (slack $rss_slack kB)"; ok=0; }
        ;;
    esac
    echo "l2-run: $mode $backend: $(passed) guest test(s) passed, then the guest panicked (sev, reason set 1, code 1), QEMU said so $n time(s); $rss; $t s"
    ;;
refused-section)
    # 1. The calibration: how many pages fill the container.
    run "$mode-$backend-1" "mode=$mode${debug:+ debug}"
    show
    t1=$t
    guest_ok 1
    want_lines "$err" "$L2_WANT_CALIBRATION"
    room=$(grep -a '^E2E-L2: INFO refused-section fill=' "$serial" | sed 's/.*fill=//' | tr -dc 0-9)
    if [ -z "$room" ] || [ "$ok" = 0 ]; then
        echo "l2-run: refused-section: the calibration found no room (fill=${room:-none})"
        exit 1
    fi
    p1=$(passed)
    # 2. The check: the container filled exactly, the section re-added.
    wait_arg=
    [ "${E2E_L2_REFUSED_WAIT:-0}" = 0 ] || wait_arg=" refusedwait=$E2E_L2_REFUSED_WAIT"
    run "$mode-$backend-2" "mode=$mode fill=$room${debug:+ debug}$wait_arg"
    show
    guest_ok 1
    region=$L2_SECTION
    n=$(grep -acF "$region" "$err")
    [ "$n" = 1 ] || { echo "l2-run: refused-section: QEMU printed '$region...' $n times (want once)"; ok=0; }
    want_lines "$err" "$L2_WANT_SECTION"
    # The refusal of a conversion into it is reported too, with its cause,
    # once: its rate limit is not the section's (neither hides the other).
    cause=$L2_REFUSED_CAUSE
    refused=$(grep -acF "$L2_REFUSED" "$err")
    n=$(grep -acF "$cause" "$err")
    if [ "$refused" != 1 ] || [ "$n" != 1 ]; then
        echo "l2-run: refused-section: QEMU reported $refused refused conversion(s), $n with the section as the cause (want 1, 1)"; ok=0
    fi
    echo "l2-run: $mode $backend: $p1 + $(passed) guest test(s) passed (the container's room $room pages), QEMU reported the refused section once and the conversion refused there once; $t1 s + $t s"
    ;;
viommu)
    run "$mode-$backend" "mode=functional"
    show
    [ "$rc" = 1 ] || { echo "l2-run: viommu: QEMU exited with status $rc (want 1)"; ok=0; }
    msg=$L2_VIOMMU
    want "$err" "$msg"
    if grep -aq 'E2E-L2' "$serial" 2>/dev/null; then
        echo "l2-run: viommu: the guest ran"; ok=0
    fi
    # The error as the user reads it: the device's name once.
    if ! grep -aqxF "qemu-system-x86_64: -device vfio-pci,host=$dev: $msg" "$err"; then
        echo "l2-run: viommu: not the whole line: QEMU printed '$(grep -aF "$msg" "$err" | head -n 1)'"; ok=0
    fi
    [ "$ok" = 0 ] || echo "l2-run: $mode $backend: refused with the error above before the guest ran, exit status $rc, $t s"
    ;;
*)
    run "$mode-$backend" "mode=$mode"
    show
    guest_ok 1
    echo "l2-run: $mode $backend: $(passed) guest test(s) passed, $t s"
    ;;
esac
[ "$ok" = 1 ]
