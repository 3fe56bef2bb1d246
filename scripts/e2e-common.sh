# shellcheck shell=bash disable=SC2034
# Settings and helpers of the end-to-end rig (scripts/e2e-*.sh); sourced
# after common.sh, never run.  Everything it makes lives under $E2E_BUILD.

E2E_SRC=$TOP/e2e
E2E_BUILD=${E2E_BUILD:-$BUILD/e2e}
E2E_DL=$E2E_BUILD/dl
# Each base (QEMU=10.0|10.2) and a variant of the run (E2E_VARIANT=mutant,
# base: scripts/e2e-demo.sh) keep their logs, initramfs and traces apart;
# the kernel, the downloads and the L2 guest are shared.
E2E_SUFFIX=-$QEMU${E2E_VARIANT:+-$E2E_VARIANT}
E2E_LOGS=$E2E_BUILD/logs$E2E_SUFFIX
E2E_VERSIONS=$E2E_BUILD/versions.txt

# The kernel source package: the newest linux-source-6.x apt knows, at the
# version apt offers (its candidate), unless named here.
E2E_LINUX_PKG=${E2E_LINUX_PKG:-}

# The L1 VM: TCG (the host's /dev/kvm cannot run these guests), q35, an
# emulated intel-iommu with interrupt remapping, the edu device to assign.
E2E_QEMU=${E2E_QEMU:-/usr/bin/qemu-system-x86_64}
E2E_MEM=${E2E_MEM:-2048}            # MiB; L1 must keep >= 384 MiB usable
# L1 vCPUs.  One: with two, the emulated machine loses L2 vCPU state
# (a vCPU jumping into code it was not running, triple faults) or L1
# itself (a reset nothing logs) within seconds to a minute of the soak's
# fast conversions, with no device assigned and with the unpatched base
# too (e2e/README.md, "The rig's limits"); with one it ran 26530
# conversions in 120 s without a fault.  L2's vCPUs (two in the smp
# check, three and four in the soak and the hostile guest) share it: their
# threads in L1's QEMU interleave by preemption.
E2E_SMP=${E2E_SMP:-1}
E2E_BOOT_TIMEOUT=${E2E_BOOT_TIMEOUT:-120}   # s until /init says hello
E2E_TIMEOUT=${E2E_TIMEOUT:-1800}    # s for the whole guest run
# s without L1's heartbeat (e2e/init: every 10 s) before it counts as
# stopped: more than a busy L1 delays a 10-s sleep, less than the hour
# an L1 that lost its timer would otherwise wait for E2E_TIMEOUT
E2E_L1_SILENT=${E2E_L1_SILENT:-180}
E2E_MIN_MEM_MIB=${E2E_MIN_MEM_MIB:-384}
# L1's edu devices (00:03.0 on), and their options (the soak's L0 built
# by e2e-l0.sh takes ",x-dma-delay-ms=0").
E2E_L1_EDU=${E2E_L1_EDU:-3}
E2E_L1_EDU_OPTS=${E2E_L1_EDU_OPTS:-}

# The nested (L2) tests: the firmware L1's QEMU needs (from Debian's
# qemu-system-data, as the project's KVM-only build has no option ROMs) and
# the legacy container's dma_entry_limit of the limit test: above what the
# guest shares at start (96 MiB: 24576 pages, and the BIOS), below that plus
# the 8192 pages it then asks for.
E2E_L2_FIRMWARE=${E2E_L2_FIRMWARE:-"bios-256k.bin multiboot_dma.bin linuxboot_dma.bin kvmvapic.bin"}
E2E_L2_LIMIT=${E2E_L2_LIMIT:-26000}
# ... and of the hot-plug test: below the 32768 pages shared.
E2E_L2_HOTPLUG_LIMIT=${E2E_L2_HOTPLUG_LIMIT:-4096}
# ... and of the refused-section test: the guest shares as in the limit
# test (some 24610 pages after its set-up) and finds the room left itself
# (a calibration run); some 390 pages of room keep its mapping short.
E2E_L2_SECTION_LIMIT=${E2E_L2_SECTION_LIMIT:-25000}
# kB QEMU's RSS may grow by across the limit test's refused conversion.
E2E_L2_RSS_SLACK=${E2E_L2_RSS_SLACK:-1024}
# Seconds an L2 guest may run before it is killed as hung.
E2E_L2_TIMEOUT=${E2E_L2_TIMEOUT:-120}
# The soak (e2e/l2-guest/soak.c) inside make check-e2e: short, on the
# L0 QEMU of the host (edu takes 100 ms a transfer); make check-e2e-soak
# sets its own (E2E_SOAK_*, below).  Its refusal variant's dma_entry_limit,
# the hostile guest's rounds (each of the 25 kinds from 4 vCPUs), the
# seconds an L2 soak or hostile run may take.
E2E_L2_SOAK=${E2E_L2_SOAK:-"conversions=5000 probes=300 seconds=240 maxpages=256 end=72 sweep=97 sample=4 batch=16 pam=2 resolvesecs=240"}
# What the refusal variant adds (the guest takes the last of an argument
# given twice): make check-e2e-soak runs it shorter than the others.
E2E_L2_SOAK_LIMIT_EXTRA=${E2E_L2_SOAK_LIMIT_EXTRA:-}
# The soak hot-plugs a third device through an iommufd of its own and
# removes it again, while it converts (0: not).
E2E_L2_HOTPLUG=${E2E_L2_HOTPLUG:-1}
# (m1, 16384 pages, and m0's first 4 MiB start shared: 24000 leaves room
# for some 6500 of the area's 15360 pages.)
E2E_L2_SOAK_LIMIT=${E2E_L2_SOAK_LIMIT:-24000}
E2E_L2_HOSTILE_ROUNDS=${E2E_L2_HOSTILE_ROUNDS:-250}
E2E_L2_SOAK_TIMEOUT=${E2E_L2_SOAK_TIMEOUT:-420}
# The nested checks to run, in order.
E2E_NESTED_CHECKS=${E2E_NESTED_CHECKS:-functional-type1 functional-iommufd limit-type1 refused-section-type1 viommu-type1 smp-type1 hotplug-type1 soak-both hostile-both}

# The trace recorded from the unit test's model (e2e.sh): its operations,
# and the largest container kept (calls).
E2E_MODEL_TRACE_OPS=${E2E_MODEL_TRACE_OPS:-20000}
E2E_MODEL_TRACE_MAX=${E2E_MODEL_TRACE_MAX:-2000}

# Host packages the rig runs or builds with (ordinary host tools).
E2E_HOST_PKGS=(qemu-system-x86 busybox-static gcc libc6-dev make flex bison bc
               libelf-dev libssl-dev xz-utils cpio gzip)

e2e_installed() {
    dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed'
}

# Seconds since an arbitrary point, with decimals (durations).
e2e_now() { date +%s.%N; }
e2e_since() {
    awk -v a="$1" -v b="$(e2e_now)" 'BEGIN {
        d = b - a
        if (d < 60) printf "%.1f s", d
        else printf "%d min %02d s", d / 60, d % 60 }'
}

# Value of KEY in versions.txt ("KEY VALUE" lines).
e2e_version() {
    awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$E2E_VERSIONS" 2>/dev/null
}

# The Debian revision-free upstream part of a package version: 6.12.117.
e2e_upstream_version() {
    local v=${1#*:}
    echo "${v%%-*}"
}
