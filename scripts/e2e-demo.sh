#!/bin/bash
# e2e-demo.sh: the nested end-to-end test must be able to fail (make
# check-e2e-demo).  Two runs of the rig (scripts/e2e.sh), each with only
# the nested functional checks, whose guest must see the stale mapping:
#
#   mutant  the series with e2e/mutants-$QEMU/no-unmap-on-private.patch (VFIO is
#           not told when memory becomes private), legacy container and
#           iommufd: the guest's private-unreachable test must fail;
#   base    QEMU $QEMU without the series, its guest_memfd discard check
#           relaxed so that VFIO starts (e2e/base-demo-$QEMU): the same test must
#           fail, the device reading the page the guest made private.
#           QEMU 10.2's own RamBlockAttributes unmaps a page made private:
#           there its functional test must stop at the conversion across
#           two RAM blocks instead, which 10.2 refuses after it changed
#           KVM's attributes (the VM stops; VFIO still maps those pages).
#
# The soak (e2e/l2-guest/soak.c) must catch two broken series as well:
# the mutant above (the guest sees stale pages) and
# e2e/mutants-$QEMU/no-conversion-lock.patch (conversions and their
# notifications not serialized: QEMU's view of the guest's memory then
# differs from the guest's own).
#
# One PASS line per run whose guest saw the stale mapping (with the guest's
# line), FAIL otherwise; then "N passed, N failed".
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

passed=0
failed=0

# demo NAME WANT_FAILS ENV...: run the rig; WANT_FAILS nested checks must
# fail, each at private-unreachable.
demo() {
    local name=$1 want=$2 log console stale
    shift 2
    log=$E2E_BUILD/demo-$QEMU-$name.log
    env E2E_VARIANT="$name" E2E_MODEL_TRACE=0 "$@" "$TOP/scripts/e2e.sh" > "$log" 2>&1 || true
    console=$E2E_BUILD/logs-$QEMU-$name/console.log
    stale=$(grep -a 'E2E-L2: FAIL private-unreachable' "$console" 2>/dev/null | grep -c 'the stale mapping' || true)
    grep -a 'E2E-L2: FAIL private-unreachable\|^l2-run:' "$console" 2>/dev/null | sed 's/^/      | /'
    if [ "$stale" -eq "$want" ]; then
        passed=$((passed + 1))
        echo "PASS  e2e demo $QEMU $name: the device read a page the guest made private, in $stale of $want run(s), as it must"
    else
        failed=$((failed + 1))
        echo "FAIL  e2e demo $QEMU $name: the stale mapping showed in $stale of $want run(s) (log: $log)"
        tail -n 15 "$log" | sed 's/^/      | /'
    fi
}

# demo_two_blocks NAME ENV...: run the rig (10.2's base); its functional
# check must fail at two-blocks: the single-page tests before it passed,
# QEMU refused the range across the two RAM blocks, the guest never got
# the hypercall's answer.
demo_two_blocks() {
    local name=$1 log console
    shift
    log=$E2E_BUILD/demo-$QEMU-$name.log
    env E2E_VARIANT="$name" E2E_MODEL_TRACE=0 "$@" "$TOP/scripts/e2e.sh" > "$log" 2>&1 || true
    console=$E2E_BUILD/logs-$QEMU-$name/console.log
    tr -d '\r' < "$console" 2>/dev/null |
        grep -a 'E2E-L2: [A-Z]* \(private-unreachable\|two-blocks\)\|invalid range\|^l2-run:' |
        sed 's/^/      | /'
    # (grep -q on a here-string: on a pipe its early exit would fail the
    # pipeline under pipefail, tr killed by SIGPIPE)
    con=$(tr -d '\r' < "$console" 2>/dev/null || true)
    if grep -aq '^l2 serial: E2E-L2: PASS mixed' <<<"$con" &&
       ! grep -aq 'E2E-L2: [A-Z]* two-blocks' <<<"$con" &&
       grep -aq '^l2 qemu: .*ram_block_attributes_state_change, invalid range' <<<"$con" &&
       grep -aq '^E2E-CHECK: FAIL nested: functional' <<<"$con"; then
        passed=$((passed + 1))
        echo "PASS  e2e demo $QEMU $name: the conversion across two RAM blocks was refused after KVM's attributes changed and the VM stopped, as it must (no stale mapping of a single page: $QEMU unmaps it)"
    else
        failed=$((failed + 1))
        echo "FAIL  e2e demo $QEMU $name: the functional test did not stop at the conversion across two RAM blocks (log: $log)"
        tail -n 15 "$log" | sed 's/^/      | /'
    fi
}

# demo_soak NAME VARIANT WHAT: the soak of run VARIANT (made by demo or
# below) must have failed: with stale pages (WHAT stale), or at all, with
# errors, stale or unreachable pages in its summary (WHAT fails).
demo_soak() {
    local name=$1 variant=$2 what=$3 console sl
    console=$E2E_BUILD/logs-$QEMU-$variant/console.log
    sl=$(tr -d '\r' < "$console" 2>/dev/null | grep -a '^l2-run: soak [a-z0-9]*: [0-9]* conversions' | tail -n 1)
    tr -d '\r' < "$console" 2>/dev/null |
        grep -a "^l2-run: soak\|E2E-L2: FAIL soak\|^E2E-CHECK: [A-Z]* nested: soak" | cut -c1-300 | sed 's/^/      | /'
    local stale unreach errors
    stale=$(sed -n 's/.* \([0-9]*\) stale,.*/\1/p' <<<"$sl")
    unreach=$(sed -n 's/.* \([0-9]*\) unreachable,.*/\1/p' <<<"$sl")
    errors=$(sed -n 's/.* \([0-9]*\) errors,.*/\1/p' <<<"$sl")
    local caught=0
    case $what in
    stale) [ "${stale:-0}" -gt 0 ] && caught=1 ;;
    fails) [ "${errors:-0}" -gt 0 ] || [ "${stale:-0}" -gt 0 ] || [ "${unreach:-0}" -gt 0 ] && caught=1 ;;
    esac
    if [ $caught = 1 ] && tr -d '\r' < "$console" | grep -a '^E2E-CHECK: FAIL nested: soak' > /dev/null; then
        passed=$((passed + 1))
        echo "PASS  e2e demo $QEMU $name: the soak failed as it must: ${sl#l2-run: soak }"
    else
        failed=$((failed + 1))
        echo "FAIL  e2e demo $QEMU $name: the soak did not catch it (${sl:-no summary line}; want $what)"
    fi
}

demo mutant 2 E2E_MUTANT=no-unmap-on-private \
    E2E_NESTED_CHECKS="functional-type1 functional-iommufd soak-both"
demo_soak "mutant soak" mutant stale
# Conversions and their notifications not serialized (kvm_convert_lock
# and RamBlockAttributes' lock left out): two vCPUs change the same words
# of the state bitmap at once and lose each other's bits, and QEMU's view
# then differs from the guest's record (or a later conversion is not
# notified: a stale or an unreachable page).
env E2E_VARIANT=lock E2E_MODEL_TRACE=0 E2E_MUTANT=no-conversion-lock E2E_NESTED_CHECKS="soak-both" \
    E2E_L2_SOAK="${E2E_DEMO_LOCK_SOAK:-$E2E_L2_SOAK}" \
    "$TOP/scripts/e2e.sh" > "$E2E_BUILD/demo-$QEMU-lock.log" 2>&1 || true
demo_soak "mutant no-conversion-lock soak" lock fails
if [ "$QEMU" = 10.2 ]; then
    demo_two_blocks base E2E_SERIES=none E2E_NESTED_CHECKS="functional-type1"
else
    demo base 1 E2E_SERIES=none E2E_NESTED_CHECKS="functional-type1"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
