#!/bin/bash
# e2e-soak.sh: the long soak of the nested rig (make check-e2e-soak): the
# rig of scripts/e2e.sh with its soak and hostile checks only, long enough
# for E2E_SOAK_CONVERSIONS conversions and E2E_SOAK_PROBES probes by each
# device, on an L0 QEMU whose edu completes a DMA transfer at once
# (scripts/e2e-l0.sh: QEMU 10.0's base with e2e/l0/*.patch; Debian's takes
# 100 ms a transfer).  Checks: both (a device behind a legacy container,
# one behind iommufd: every conversion followed by both listeners, every
# probe made by both devices; a third device hot-plugged through an
# iommufd of its own and removed again, over and over), type1 at a small
# dma_entry_limit (refusals counted; E2E_SOAK_LIMIT_CONVERSIONS), the
# hostile guest.  E2E_SOAK_CHECKS="soak-type1 soak-iommufd ..." adds the
# one-container soaks.  Its logs are $E2E_BUILD/logs-$QEMU-soak.
. "$(dirname "$0")/common.sh"
. "$TOP/scripts/e2e-common.sh"

E2E_SOAK_CONVERSIONS=${E2E_SOAK_CONVERSIONS:-100000}
E2E_SOAK_PROBES=${E2E_SOAK_PROBES:-100000}
# 2026-12-03, two rigs at once, ranges up to 8 MiB: 65008 (10.0) and
# 84920 (10.2) conversions in 2400 s; up to 4 MiB and an hour now.
E2E_SOAK_SECONDS=${E2E_SOAK_SECONDS:-3600}
E2E_SOAK_LIMIT_CONVERSIONS=${E2E_SOAK_LIMIT_CONVERSIONS:-20000}
E2E_SOAK_CHECKS=${E2E_SOAK_CHECKS:-soak-both soak-limit-type1 hostile-both}
TAG=${CHECK_TAG:-}

t=$(e2e_now)
mkdir -p "$E2E_BUILD/logs-$QEMU-soak"
if ! l0=$("$TOP/scripts/e2e-l0.sh" 2>"$E2E_BUILD/logs-$QEMU-soak/l0.log"); then
    echo "FAIL  ${TAG}e2e soak L0 QEMU does not build ($(e2e_since "$t"))"
    tail -n 20 "$E2E_BUILD/logs-$QEMU-soak/l0.log" | sed 's/^/      | /'
    echo "0 passed, 1 failed"
    exit 1
fi
echo "PASS  ${TAG}e2e soak L0 QEMU: QEMU 10.0's base + $(ls "$E2E_SRC/l0"/*.patch | wc -l) test patch, TCG ($(e2e_since "$t"))"
E2E_VARIANT=soak E2E_QEMU=$l0 E2E_L1_EDU_OPTS=,x-dma-delay-ms=0 E2E_MODEL_TRACE=0 \
E2E_NESTED_CHECKS=$E2E_SOAK_CHECKS \
E2E_L2_SOAK="conversions=$E2E_SOAK_CONVERSIONS probes=$E2E_SOAK_PROBES seconds=$E2E_SOAK_SECONDS maxpages=1024 sweep=1 sample=20 batch=32 ${E2E_SOAK_EXTRA:-}" \
E2E_L2_SOAK_LIMIT_EXTRA="conversions=$E2E_SOAK_LIMIT_CONVERSIONS probes=$E2E_SOAK_LIMIT_CONVERSIONS" \
E2E_L2_SOAK_TIMEOUT=$((E2E_SOAK_SECONDS + 300)) E2E_L2_HOSTILE_ROUNDS=${E2E_SOAK_HOSTILE_ROUNDS:-1000} \
E2E_TIMEOUT=$(( (E2E_SOAK_SECONDS + 600) * 5 )) \
    "$TOP/scripts/e2e.sh" | awk -v ok=1 '
        /^[0-9]+ passed, [0-9]+ failed$/ { split($0, a, " "); p = a[1] + ok; f = a[3]; next }
        { print }
        END { printf "%d passed, %d failed\n", p, f; exit f != 0 }'
