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
# MODE soak (BACKEND both: the first device through a legacy container,
# the second through iommufd; type1 or iommufd: both devices so): three
# vCPUs, two converting at random while the first has both devices probe
# (e2e/l2-guest/soak.c).  l2-run samples QEMU at each of the guest's
# "E2E-L2: SAMPLE" lines (VmRSS, VmLck/VmPin: pinned for DMA; L1's
# Unevictable: guest_memfd; QEMU's view, x-query-ram-block-attributes),
# with E2E_L2_HOTPLUG=1 (scripts/e2e.sh's default) hot-plugs a third
# device through an iommufd of its own and removes it again (native PCIe
# hot-plug, the slot powered off: no guest acknowledgement needed), and at
# the end compares QEMU's view of the soak area with the
# guest's record; one summary line "l2-run: soak BACKEND: N conversions, M
# probes, S stale, U unreachable, E errors, R refused, RSS +K KiB".  LIMIT
# below 65535 is a small dma_entry_limit: the guest's refusals are counted,
# not errors.  E2E_L2_SOAK: the guest's soak arguments.
#
# MODE hostile: four vCPUs send malformed conversion requests
# (E2E_L2_HOSTILE_ROUNDS rounds of each kind); every one must fail, the
# guest's valid pages stay as they were, QEMU stays alive and its stderr
# grows by at most E2E_L2_HOSTILE_LINES lines: "l2-run: hostile: N bad
# requests, A accepted, L stderr lines, QEMU alive".
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

# The soak's devices: the first two edu of L1, and the third hot-plugged.
dev2=${E2E_EDU_BDF2:-0000:00:04.0}
hpdev=${E2E_EDU_BDF_HOTPLUG:-0000:00:05.0}
case $mode in soak | hostile)
    echo "$limit" > /sys/module/vfio_iommu_type1/parameters/dma_entry_limit || exit 1 ;;
esac
case $backend in
type1)
    echo "$limit" > /sys/module/vfio_iommu_type1/parameters/dma_entry_limit || exit 1
    vfio="-device vfio-pci,host=$dev"
    case $mode in soak | hostile) vfio="$vfio -device vfio-pci,host=$dev2" ;; esac
    ;;
iommufd)
    vfio="-object iommufd,id=iommufd0 -device vfio-pci,host=$dev,iommufd=iommufd0"
    case $mode in soak | hostile) vfio="$vfio -device vfio-pci,host=$dev2,iommufd=iommufd0" ;; esac
    ;;
both)
    vfio="-device vfio-pci,host=$dev -object iommufd,id=iommufd0 -device vfio-pci,host=$dev2,iommufd=iommufd0"
    ;;
none)
    # the soak's conversions without any device (probes=0): what KVM and
    # the emulation do alone
    vfio=
    ;;
*)
    echo "l2-run: unknown backend $backend"; exit 2 ;;
esac
private=
smp=1
qmp=0
extra=
reboot=
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
soak)
    smp=3
    qmp=1
    # At a small dma_entry_limit the soak area, [4 MiB, 64 MiB) of m0
    # there (e2e.sh passes end=64), must start private: QEMU maps what is
    # shared at start-up, and a container too small for it fails the
    # start (the test object's private range lies in one RAM block: m1
    # starts shared, 16384 mappings).
    [ "$limit" = 65535 ] || private=",private-start=0x400000,private-size=0x3c00000"
    # a reset of this guest is a failure (a triple fault): the VM stops,
    # l2-run prints its registers and quits it
    reboot="-action reboot=shutdown,shutdown=pause"
    # a root port with native hot-plug, its slot empty and powered off
    extra="-device pcie-root-port,id=rp0,bus=pcie.0,chassis=1 -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off"
    ;;
hostile)
    smp=4
    qmp=1
    reboot="-action reboot=shutdown,shutdown=pause"
    ;;
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
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 $reboot
    $vfio $extra $debug ${E2E_L2_EXTRA:-} -kernel /e2e/l2/guest.elf"

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

# After a fault of the guest: its code and constants in memory against
# the image it was loaded from (a page of them zeroed or overwritten says
# which memory went wrong), and its stack where the fault report says.
image_check() {
    img=/tmp/l2-$name.image
    size=$(stat -c %s /e2e/l2/guest.text)
    hmp "pmemsave 0x100000 $size \\\"$img\\\""
    if [ -s "$img" ]; then
        cmp -l /e2e/l2/guest.text "$img" 2>/dev/null | awk -v name="$name" '
            { n++; if (n <= 12) first = first sprintf(" 0x%x:%s->%s", $1 - 1 + 1048576, $2, $3) }
            END { printf "l2-run: %s: the loaded code and constants (1 MiB, %s): %d bytes differ%s\n",
                         name, "guest.text", n, n ? "; first (octal):" first : "" }' >> "$notes"
    fi
    # its GDT, its IDT (.data, .bss): zeroed pages would say discarded
    hmp "xp /6xw 0x107000"
    hmp "xp /8xw 0x117080"
    sp=$(grep -a '^E2E-L2: FAIL exception' "$serial" | head -n 1 | sed -n 's/.* esp=0x\([0-9a-f]*\).*/\1/p')
    [ -z "$sp" ] || hmp "xp /32xw 0x$(printf '%x' $(( 0x$sp - 64 )))"
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
        view)
            save_view
            tail -n 1 "$serial" | grep -q '^E2E-L2: WAIT view ' ||
                err_note "QEMU's view taken too late (the guest went on)"
            ;;
        final)
            final_actions
            ;;
        flood)
            flood_lines=$(grep -avc '^$' "$err")
            ;;
        baseline)
            sample baseline
            ;;
        esac
    done
    case $mode in soak | hostile) handle_samples ;; esac
}

# soak, hostile: what QEMU holds.  sample NAME: one line in $samples,
# "NAME rss lck pin unevictable shared private" (kB; shared and private
# from QEMU's view), and the checks against the guest's RAM.
ram_kb=131072
soak_slack=${E2E_L2_SOAK_SLACK:-65536}   # kB over the guest's RAM: QEMU itself
errors=0
err_note() { errors=$((errors + 1)); echo "l2-run: $mode: $*" >> "$notes"; echo "l2-run: $mode: error: $*"; }
sample() {
    st=/proc/$qpid/status
    set -- "$1" "$(awk '/^VmRSS:/ { print $2 }' "$st" 2>/dev/null)" \
        "$(awk '/^VmLck:/ { print $2 }' "$st" 2>/dev/null)" \
        "$(awk '/^VmPin:/ { print $2 }' "$st" 2>/dev/null)" \
        "$(awk '/^Unevictable:/ { print $2 }' /proc/meminfo)"
    if qmp x-query-ram-block-attributes '{"max-runs": 0}'; then
        sh_kb=$(printf '%s\n' "$answer" | tr ',' '\n' | awk -F': ' '/"shared":/ { s += $2 } END { printf "%d", s / 1024 }')
        pr_kb=$(printf '%s\n' "$answer" | tr ',' '\n' | awk -F': ' '/"private":/ { s += $2 } END { printf "%d", s / 1024 }')
    else
        sh_kb=none pr_kb=none
        err_note "x-query-ram-block-attributes failed at sample $1"
    fi
    echo "$1 ${2:-none} ${3:-none} ${4:-none} ${5:-none} $sh_kb $pr_kb" >> "$samples"
    case "$2$5$sh_kb$pr_kb" in *[!0-9]*) err_note "sample $1 incomplete: $*"; return ;; esac
    gmem=$(($5 - unev0))
    # shared + private (QEMU's RSS with the shared side, guest_memfd's pages)
    if [ $(($2 + gmem)) -gt $((ram_kb + soak_slack)) ]; then
        err_note "sample $1: RSS $2 kB + guest_memfd $gmem kB above the guest's RAM $ram_kb kB + $soak_slack kB"
    fi
    # guest_memfd holds at most the private pages (and what is in flight)
    if [ "$gmem" -gt $((pr_kb + 8192)) ]; then
        err_note "sample $1: guest_memfd $gmem kB, QEMU's private pages $pr_kb kB (+8 MiB in flight)"
    fi
}
# Hot-plug while the soak goes on: a device through an iommufd of its own
# (a listener that joins during the conversions), removed two samples later
# (the listener leaves during them).
plugs=0
unplugs=0
hotplug_step() {
    [ -e "/sys/bus/pci/devices/$hpdev" ] && [ "${E2E_L2_HOTPLUG:-0}" = 1 ] || return 0
    case ${1:-$(( samples_seen % 4 ))} in
    1)
        # E2E_L2_HOTPLUG_BACKEND=type1: into the legacy container (a device
        # more on an existing listener) instead of an iommufd of its own
        if [ "${E2E_L2_HOTPLUG_BACKEND:-iommufd}" = type1 ]; then
            qmp device_add "{\"driver\": \"vfio-pci\", \"host\": \"$hpdev\", \"bus\": \"rp0\", \"id\": \"hp0\"}"
        else
            qmp object-add '{"qom-type": "iommufd", "id": "iommufd9"}' &&
                printf '%s' "$answer" | grep -q '"return"' &&
                qmp device_add "{\"driver\": \"vfio-pci\", \"host\": \"$hpdev\", \"bus\": \"rp0\", \"id\": \"hp0\", \"iommufd\": \"iommufd9\"}"
        fi
        if printf '%s' "$answer" | grep -q '"return"'; then
            plugs=$((plugs + 1))
            echo "l2-run: hot-plugged $hpdev (iommufd9) at sample $samples_seen" >> "$notes"
        else
            err_note "hot-plug of $hpdev failed: $answer"
            # the iommufd object is left without its device: gone too, so
            # that the next attempt tries the same again
            [ "${E2E_L2_HOTPLUG_BACKEND:-iommufd}" = type1 ] || qmp object-del '{"id": "iommufd9"}'
        fi
        ;;
    3)
        [ "$plugs" -gt "$unplugs" ] || return 0
        if qmp device_del '{"id": "hp0"}' && printf '%s' "$answer" | grep -q '"return"'; then
            i=0
            while [ "$(grep -a DEVICE_DELETED "$qmpout" | grep -c '"device": "hp0"')" -le "$unplugs" ] &&
                  [ $i -lt 100 ]; do
                i=$((i + 1))
                sleep 0.1
            done
            if [ "${E2E_L2_HOTPLUG_BACKEND:-iommufd}" = type1 ] ||
               { qmp object-del '{"id": "iommufd9"}' && printf '%s' "$answer" | grep -q '"return"'; }; then
                unplugs=$((unplugs + 1))
                echo "l2-run: removed $hpdev at sample $samples_seen" >> "$notes"
            else
                err_note "removing $hpdev: object-del failed (the device not gone?): $answer"
            fi
        else
            err_note "device_del of $hpdev failed: $answer"
        fi
        ;;
    esac
}
samples_seen=0
monitor_reads=0
handle_samples() {
    n=$(grep -ac '^E2E-L2: SAMPLE ' "$serial" 2>/dev/null)
    while [ "$samples_seen" -lt "${n:-0}" ]; do
        samples_seen=$((samples_seen + 1))
        sample "s$samples_seen"
        [ "$mode" != soak ] || hotplug_step
        # L1 reads the state the way a user does, now and then
        if [ $((samples_seen % 3)) = 1 ]; then
            qmp human-monitor-command '{"command-line": "info ram-block-attributes"}' &&
                printf '%s' "$answer" | grep -q 'listeners' && monitor_reads=$((monitor_reads + 1))
        fi
    done
}
# QEMU's view of every RAM block, for the comparison with the guest's record.
view_saved=0
save_view() {
    view_saved=1
    if qmp x-query-ram-block-attributes '{"max-runs": 1000000}'; then
        printf '%s\n' "$answer" > "/tmp/l2-$name.view"
    else
        err_note "x-query-ram-block-attributes (every run) failed"
    fi
}
# The guest's "WAIT final": its results are in.  QEMU's view against the
# guest's record (soak), the last sample, QEMU's status, then quit.
final_done=0
final_actions() {
    [ "$final_done" = 0 ] || return 0
    final_done=1
    [ "$mode" != soak ] || [ "$plugs" = "$unplugs" ] || hotplug_step 3
    sample final
    if [ "$mode" = soak ]; then
        # unless the guest asked for it before it settled (soak.c, settle)
        [ "$view_saved" = 1 ] || save_view
        hmp "info ram-block-attributes"
    fi
    qmp query-status
    status=$answer
    qmp quit
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
    rm -f "$serial" "$qmpout" "/tmp/l2-$name.view"
    : > "$notes"
    samples=/tmp/l2-$name.samples
    : > "$samples"
    unev0=$(awk '/^Unevictable:/ { print $2 }' /proc/meminfo)
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
        if [ -n "$reboot" ] && [ "$panicked" = 0 ] && grep -aq '"event": "SHUTDOWN", "data": {"guest": true' "$qmpout"; then
            panicked=1
            echo "l2-run: $name: the guest reset itself (a triple fault?); its registers, its page at 2 MiB, its code and its stack in memory:" >> "$notes"
            hmp "info registers -a"
            hmp "xp /8xw 0x200000"
            image_check
            qmp quit
        fi
        if { [ "$mode" = soak ] || [ "$mode" = hostile ]; } && [ "$panicked" = 0 ] &&
           grep -aq '^E2E-L2: FAIL exception' "$serial"; then
            # the guest halts after its report (hold_on_fault): look, then quit
            panicked=1
            echo "l2-run: $name: a CPU exception; the guest's code and its stack in memory:" >> "$notes"
            image_check
            qmp quit
        fi
        if [ "$panicked" = 0 ] && grep -aq '"event": "GUEST_PANICKED"' "$qmpout"; then
            panicked=1
            qmp query-status
            status=$answer
            hmp "info ram-block-attributes"
            qmp quit
        fi
        if awk -v e="$(since "$t0")" -v t="$timeout_s" 'BEGIN { exit !(e > t) }'; then
            # where QEMU's threads are: a hang shows its lock or its ioctl
            for tk in /proc/"$qpid"/task/*; do
                echo "l2-run: thread $(cat "$tk/comm" 2>/dev/null): $(sed -n 's/^State:\t//p' "$tk/status" 2>/dev/null), syscall $(cut -d' ' -f1-3 "$tk/syscall" 2>/dev/null); kernel: $(awk '{ printf "%s ", $2 }' "$tk/stack" 2>/dev/null | cut -c1-200)"
            done >> "$notes"
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
    case $mode in
    soak | hostile)     # QMP's events only: the answers are the samples
        grep -a '"event"' "$qmpout" | cut -c1-240 | sed 's/^/l2 qmp: /' ;;
    *)
        [ "$qmp" = 0 ] || sed 's/^/l2 qmp: /' "$qmpout" ;;
    esac
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
soak)
    run "$mode-$backend" "mode=soak ${E2E_L2_SOAK:-}"
    show
    guest_ok 0      # quit after the final checks
    g=$(grep -a '^E2E-L2: SOAK ' "$serial" | tail -n 1)
    # "E2E-L2: SOAK N conversions, M probes, S stale, U unreachable, R refused, D devices"
    set -- $g
    conv=${3:-0} probes=${5:-0} stale=${7:-0} unreach=${9:-0} refused=${11:-0}
    [ -n "$g" ] || err_note "no SOAK line from the guest"
    [ "$limit" != 65535 ] || [ "$refused" = 0 ] || err_note "$refused conversions failed at dma_entry_limit $limit"
    grep -aq '^E2E-L2: FAIL' "$serial" && err_note "the guest reported failures"
    # QEMU's view of the soak area against the guest's record: the runs of
    # shared pages (guest-physical: m0 from 0, m1 from 64 MiB; the two
    # merged where they touch).
    area=$(grep -a '^E2E-L2: RECORD area ' "$serial" | sed 's/^E2E-L2: RECORD area \([0-9a-fx+]*\):.*/\1/')
    view=/tmp/l2-$mode-$backend.view
    cmp_out=
    if [ -n "$area" ] && [ -s "$view" ]; then
        grep -a '^E2E-L2: RUNS ' "$serial" | sed 's/^E2E-L2: RUNS //' | tr ' ' '\n' | grep . > /tmp/l2-soak.guest-runs
        tr '{' '\n' < "$view" | awk -v area="$area" '
            function hex(s,   n, i, c) { n = 0; s = tolower(s); sub(/^0x/, "", s)
                for (i = 1; i <= length(s); i++) { c = index("0123456789abcdef", substr(s, i, 1)) - 1; n = n * 16 + c }
                return n }
            BEGIN { split(area, a, "+"); lo = hex(a[1]); hi = lo + hex(a[2]) }
            /"name":/ { match($0, /"name": "[^"]*"/); blk = substr($0, RSTART + 9, RLENGTH - 10)
                        base = blk == "m1" ? 67108864 : 0; next }
            /"address":/ { next }
            /"offset":/ && /"size":/ {
                match($0, /"offset": [0-9]+/); off = substr($0, RSTART + 10, RLENGTH - 10) + 0
                match($0, /"size": [0-9]+/); sz = substr($0, RSTART + 8, RLENGTH - 8) + 0
                s = base + off; e = s + sz
                if (s < lo) s = lo; if (e > hi) e = hi
                if (s < e) print s, e }' | sort -n | awk '
            { if (n && $1 == e) { e = $2 } else { if (n) printf "%x+%x\n", s, e - s; s = $1; e = $2; n = 1 } }
            END { if (n) printf "%x+%x\n", s, e - s }' > /tmp/l2-soak.qemu-runs
        if [ "$backend" = none ]; then
            # no device to find out what overlapping conversions left unknown
            cmp_out="QEMU's view not compared (no device)"
        elif cmp -s /tmp/l2-soak.guest-runs /tmp/l2-soak.qemu-runs; then
            cmp_out="QEMU's view of the area equals the guest's record ($(wc -l < /tmp/l2-soak.qemu-runs) runs)"
        else
            err_note "QEMU's view differs from the guest's record: $(diff /tmp/l2-soak.guest-runs /tmp/l2-soak.qemu-runs | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
            cmp_out="QEMU's view differs from the guest's record"
        fi
    else
        err_note "no record or no view to compare (area '${area:-}')"
    fi
    # Memory: QEMU's RSS less what it holds for the guest (shared pages),
    # from the first sample to the last; pinned pages against shared ones.
    first=$(grep '^baseline ' "$samples" | tail -n 1)
    last=$(grep '^final ' "$samples" | tail -n 1)
    rss_growth=none
    if [ -n "$first" ] && [ -n "$last" ]; then
        set -- $first
        # the containers that pin the shared pages: one per backend used
        nc=1
        [ "$backend" != both ] || nc=2
        [ "$backend" != none ] || nc=0
        base0=$(($2 - $6)) pin0=$(($3 + $4 - nc * $6))
        set -- $last
        base1=$(($2 - $6)) pin1=$(($3 + $4 - nc * $6))
        rss_growth=$((base1 - base0))
        [ "$rss_growth" -le "${E2E_L2_SOAK_RSS_SLACK:-4096}" ] ||
            err_note "QEMU's RSS beyond the shared guest memory grew by $rss_growth kB (slack ${E2E_L2_SOAK_RSS_SLACK:-4096} kB)"
        echo "l2-run: soak: pinned (VmLck + VmPin) minus the shared pages once per container: $pin0 kB before the soak, $pin1 kB after it" >> "$notes"
        [ "$pin1" -le $((pin0 + ${E2E_L2_SOAK_PIN_SLACK:-256})) ] && [ "$pin1" -ge $((pin0 - ${E2E_L2_SOAK_PIN_SLACK:-256})) ] ||
            err_note "pinned pages beyond the shared ones went from $pin0 to $pin1 kB (slack ${E2E_L2_SOAK_PIN_SLACK:-256} kB)"
    else
        err_note "QEMU not sampled (first '${first:-}', last '${last:-}')"
    fi
    echo "${status:-}" | grep -qF '"status": "running"' || err_note "query-status did not say running at the end (${status:-no answer})"
    [ "$plugs" -gt 0 ] || [ ! -e "/sys/bus/pci/devices/$hpdev" ] || [ "${E2E_L2_HOTPLUG:-0}" != 1 ] ||
        err_note "no hot-plug happened ($samples_seen samples)"
    [ "$ok" = 1 ] || errors=$((errors + 1))
    cat "$notes"
    echo "l2-run: soak $backend: $(wc -l < "$samples") samples, $plugs hot-plugs, $unplugs removals, $monitor_reads monitor reads; $cmp_out; $t s"
    echo "l2-run: soak $backend: $conv conversions, $probes probes, $stale stale, $unreach unreachable, $errors errors, $refused refused, RSS +$rss_growth KiB"
    [ "$errors" = 0 ] && [ "$stale" = 0 ] && [ "$unreach" = 0 ] || ok=0
    ;;
hostile)
    run "$mode-$backend" "mode=hostile rounds=${E2E_L2_HOSTILE_ROUNDS:-250}"
    show
    guest_ok 0
    g=$(grep -a '^E2E-L2: HOSTILE ' "$serial" | tail -n 1)
    # "E2E-L2: HOSTILE N bad requests, A accepted, K carried out by design"
    set -- $g
    sent=${3:-0} accepted=${6:-0} noops=${8:-0}
    # QEMU's stderr from the flood on (before it: start-up and the guest's
    # own device set-up)
    lines=$(( $(grep -avc '^$' "$err") - ${flood_lines:-0} ))
    [ -n "${flood_lines:-}" ] || { echo "l2-run: hostile: the flood's start was not seen"; ok=0; }
    max_lines=${E2E_L2_HOSTILE_LINES:-40}
    alive_s=dead
    echo "${status:-}" | grep -qF '"status": "running"' && alive_s=alive
    [ "$alive_s" = alive ] || { echo "l2-run: hostile: QEMU did not answer query-status with running (${status:-none})"; ok=0; }
    [ "$lines" -le "$max_lines" ] || { echo "l2-run: hostile: QEMU's stderr has $lines lines (at most $max_lines)"; ok=0; }
    [ -n "$g" ] && [ "$accepted" = 0 ] || ok=0
    echo "l2-run: hostile $backend: $noops requests carried out by design (shared where no guest memory is, the firmware); QEMU's stderr ${flood_lines:-?} lines before the flood"
    echo "l2-run: hostile $backend: $sent bad requests, $accepted accepted, $lines stderr lines, QEMU $alive_s; $t s"
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
