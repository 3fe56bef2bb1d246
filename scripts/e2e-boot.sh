#!/bin/bash
# e2e-boot.sh BZIMAGE INITRD LOG [QEMU_ARG]...
#
# Boot the L1 guest under TCG (q35, -cpu max, an intel-iommu with interrupt
# remapping, QEMU's edu device to assign) with its serial console in LOG,
# and wait for it to power off, within limits:
#   E2E_BOOT_TIMEOUT  s until /init prints "E2E-INIT:" (else: the boot never
#                     reached /init),
#   E2E_TIMEOUT       s for the whole run (else: the guest hung),
#   E2E_L1_SILENT     s without L1's heartbeat (its uptime every 10 s on
#                     its second serial port, LOG.hb) once /init runs
#                     (else: L1 stopped, status l1-silent).
# The VM is killed on any.  Writes LOG.status (status=ok|no-init|hung|
# l1-silent|no-result|qemu-error, init_s=, total_s=, message=) and exits 0 only for
# status=ok: the guest printed its "E2E-RESULT:" line and powered off.
# E2E_SHELL=1: interactive (console on the terminal, a shell after the
# checks, no time limit, no status).
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

[ $# -ge 3 ] || die "usage: $0 BZIMAGE INITRD LOG [QEMU_ARG]..."
kernel=$1 initrd=$2 logf=$3
shift 3
[ -f "$kernel" ] || die "no kernel at $kernel"
[ -f "$initrd" ] || die "no initramfs at $initrd"

append="console=ttyS0 intel_iommu=on panic=-1 loglevel=4 ${E2E_APPEND:-}"
[ "${E2E_SHELL:-0}" != 1 ] || append="$append e2e.shell"
# shellcheck disable=SC2054 # commas of QEMU's -device options
qemu=("$E2E_QEMU" -accel tcg -machine q35 -cpu max -smp "$E2E_SMP"
      -m "$E2E_MEM"
      -device intel-iommu,intremap=on,caching-mode=on
      -kernel "$kernel" -initrd "$initrd" -append "$append"
      -display none -no-reboot -monitor none)
# The edu devices to assign (00:03.0, 00:04.0, ...): the nested checks use
# the first, the soak two at once and hot-plugs the third.
for _ in $(seq "$E2E_L1_EDU"); do
    qemu+=(-device "edu$E2E_L1_EDU_OPTS")
done
# An L0 built from source (make check-e2e-soak) takes Debian's firmware.
[ "$E2E_QEMU" = /usr/bin/qemu-system-x86_64 ] || qemu+=(-L /usr/share/qemu -L /usr/share/seabios -L /usr/lib/ipxe/qemu)
# E2E_L0_EXTRA: more options for L0 (to debug the rig, e.g. "-d cpu_reset
# -D FILE": L1's registers when it resets)
# shellcheck disable=SC2206 # split on purpose
qemu+=(${E2E_L0_EXTRA:-})
qemu+=("$@")

if [ "${E2E_SHELL:-0}" = 1 ]; then
    exec "${qemu[@]}" -serial stdio -serial null
fi

mkdir -p "$(dirname "$logf")"
stf=$logf.status
rm -f "$stf"
write_status() {   # STATUS INIT_S TOTAL_S MESSAGE
    printf 'status=%q\ninit_s=%q\ntotal_s=%q\nmessage=%q\n' "$1" "$2" "$3" "$4" > "$stf"
}
secs() { awk -v a="$start" -v b="$(e2e_now)" 'BEGIN { printf "%.1f", b - a }'; }

rm -f "$logf" "$logf.qemu" "$logf.hb"
start=$(e2e_now)
"${qemu[@]}" -serial "file:$logf" -serial "file:$logf.hb" </dev/null >"$logf.qemu" 2>&1 &
pid=$!
trap 'kill -9 "$pid" 2>/dev/null || true' EXIT
init_s=
verdict=
while kill -0 "$pid" 2>/dev/null; do
    el=$(secs)
    if [ -z "$init_s" ] && grep -q '^E2E-INIT:' "$logf" 2>/dev/null; then
        init_s=$el
    fi
    if [ -z "$init_s" ] && awk -v e="$el" -v t="$E2E_BOOT_TIMEOUT" 'BEGIN { exit !(e > t) }'; then
        verdict=no-init
        break
    fi
    if awk -v e="$el" -v t="$E2E_TIMEOUT" 'BEGIN { exit !(e > t) }'; then
        verdict=hung
        break
    fi
    # L1's heartbeat, once it beats: its last write (mtime) not too old
    if [ -n "$init_s" ] && [ -s "$logf.hb" ] &&
       [ $(($(date +%s) - $(stat -c %Y "$logf.hb"))) -gt "$E2E_L1_SILENT" ]; then
        verdict=l1-silent
        hb_last=$(tail -n 1 "$logf.hb" | tr -d '\r')
        break
    fi
    sleep 0.2
done
if [ -n "$verdict" ]; then
    kill -9 "$pid" 2>/dev/null || true
fi
wait "$pid" 2>/dev/null && rc=0 || rc=$?
trap - EXIT
total=$(secs)
[ -n "$init_s" ] || ! grep -q '^E2E-INIT:' "$logf" 2>/dev/null || init_s=$total

tail_of_log() { tr -d '\r' < "$logf" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n "$1" | sed 's/^/    | /'; }
case $verdict in
no-init)
    write_status no-init "" "$total" "the boot never reached /init after $E2E_BOOT_TIMEOUT s (VM killed)"
    ;;
hung)
    write_status hung "$init_s" "$total" "guest hung after $E2E_TIMEOUT s (VM killed; /init reached after $init_s s)"
    ;;
l1-silent)
    write_status l1-silent "$init_s" "$total" "L1 stopped: no heartbeat for $E2E_L1_SILENT s, the last at its uptime ${hb_last:-?} s (VM killed after $total s)"
    ;;
*)
    if [ -z "$init_s" ]; then
        if [ "$rc" != 0 ] && [ ! -s "$logf" ]; then
            write_status qemu-error "" "$total" "QEMU failed (exit status $rc): $(tail -n 3 "$logf.qemu" | tr '\n' ' ')"
        else
            write_status no-init "" "$total" "the VM stopped after $total s without reaching /init (kernel panic? exit status $rc)"
        fi
    elif ! grep -q '^E2E-RESULT:' "$logf"; then
        write_status no-result "$init_s" "$total" "the guest stopped after $total s without its E2E-RESULT line (init died? exit status $rc)"
    elif [ "$rc" != 0 ]; then
        write_status qemu-error "$init_s" "$total" "QEMU exited with status $rc: $(tail -n 3 "$logf.qemu" | tr '\n' ' ')"
    else
        write_status ok "$init_s" "$total" "powered off after $total s"
    fi
    ;;
esac
status='' message=''
# shellcheck disable=SC1090
. "$stf"
if [ "$status" = ok ]; then
    log "boot: $message (/init after $init_s s); console log $logf"
    exit 0
fi
log "boot: $message; console log $logf, its end:"
tail_of_log 15 >&2
exit 1
