# Shared device assignment for confidential guests: QEMU patch series for
# two bases, QEMU 10.0 (patches/qemu-10.0) and QEMU 10.2 (patches/qemu-10.2).
#
#   make            build the patched qemu-system-x86_64 (build/qemu-10.0/build/)
#   make check      check both series from patches/ on fresh trees (10.2
#                   without its bisect; QEMU=10.2 or QEMU=10.0: one whole)
#   make check-bisect  every commit of the 10.2 series built (make check
#                   bisects 10.0 only: both do not fit CI's budget)
#   make tree       (re)create the work tree build/qemu-$(QEMU) from its series
#   make export     write the commits of build/qemu-$(QEMU) back to its series
#   make check-tsan the series' unit tests under ThreadSanitizer (clang)
#   make check-32bit what the series touches, built for an i686 host (i386
#                   multiarch); its unit tests run as i386 binaries
#   make bench      the benchmark, counted by callgrind, as one table
#   make check-e2e  end to end in a nested VM: real VFIO, real KVM conversions
#                   (both series; QEMU=... one)
#   make check-e2e-demo  the same test failing on a mutant and on the base
#   make check-e2e-soak  the long soak (>= 100000 conversions and probes per
#                   soak, both container types, two at once, refusals) and
#                   the hostile guest, nested (both series; QEMU=... one)
#   make deps       install build dependencies (apt, root or sudo)
#
# Variables: QEMU (the base: 10.0, the default, or 10.2; every target takes
# it; make check, check-e2e and check-e2e-demo then run that series only),
# BUILD (work area,
# default ./build), SHARED (package cache, default ../shared), QEMU_DSC
# (another source package of the selected base, a .dsc path).

BUILD ?= $(CURDIR)/build
SHARED ?= $(CURDIR)/../shared
QEMU ?= 10.0
QEMU_DSC ?=
export BUILD SHARED QEMU QEMU_DSC
# make check, check-e2e, check-e2e-demo: every series, or the base chosen
# (make check QEMU=10.2).  Both series' bisects do not fit CI's budget:
# make check leaves out 10.2's (CHECK_NO_BISECT), make check-bisect runs it;
# make check QEMU=10.2 checks that series whole.
QEMU_CHOSEN := $(filter command line environment,$(origin QEMU))
ALL_BASES := 10.0 10.2
CHECK_BASES ?= $(if $(QEMU_CHOSEN),$(QEMU),$(ALL_BASES))
CHECK_NO_BISECT ?= $(if $(QEMU_CHOSEN),,10.2)
BISECT_BASES ?= $(if $(QEMU_CHOSEN),$(QEMU),10.2)
E2E_BASES ?= $(CHECK_BASES)
export CHECK_NO_BISECT

S := $(CURDIR)/scripts

.PHONY: all deps fetch tree build export check check-bisect check-tsan check-32bit check-e2e check-e2e-demo check-e2e-soak bench base-failures clean distclean

all: build

deps:
	@$(S)/deps.sh

fetch: deps
	@$(S)/fetch-base.sh

tree: deps
	@$(S)/tree.sh

build: deps
	@test -d $(BUILD)/qemu-$(QEMU)/.git || $(S)/tree.sh
	@$(S)/build.sh

export:
	@$(S)/export.sh

check: deps
	@$(S)/check-all.sh $(CHECK_BASES)

# The bisect of the series make check does not bisect (10.2): run it before
# resolving a change of that series.
check-bisect: deps
	@CHECK_STEPS=bisect CHECK_NO_BISECT= $(S)/check-all.sh $(BISECT_BASES)

check-tsan: deps
	@$(S)/check-tsan.sh

# The check tree build/check-$(QEMU)/qemu (made if missing), built in its build-i686.
check-32bit: deps
	@$(S)/check-32bit.sh

# Counts and callgrind instruction counts of RamBlockAttributes (work tree).
bench: build
	@$(S)/bench.sh

# End-to-end rig: an L1 Linux under TCG with a real VFIO replays the traces
# (e2e/traces/*.trace, plus E2E_TRACES="file|dir|@list ...") against the
# kernel's type1 and iommufd (scripts/e2e.sh, e2e/README.md).
check-e2e:
	@$(S)/check-all.sh --run e2e.sh $(E2E_BASES)

# The nested test must fail on a broken series and on the base (stale DMA).
check-e2e-demo:
	@$(S)/check-all.sh --run e2e-demo.sh $(E2E_BASES)

# The soak and the hostile guest at length (scripts/e2e-soak.sh), on an L0
# QEMU built for it (scripts/e2e-l0.sh).
check-e2e-soak: deps
	@$(S)/check-all.sh --run e2e-soak.sh $(E2E_BASES)

# Re-derive scripts/qtest-base-failures-$(QEMU) from the unpatched base (slow).
base-failures: deps
	@$(S)/base-failures.sh

clean:
	rm -rf $(BUILD)/check-*

distclean:
	@for b in 10.0 10.2; do \
	    if [ -d $(BUILD)/qemu-$$b/.git ] && ! QEMU=$$b $(S)/tree-is-exported.sh; then \
	        echo "refusing: $(BUILD)/qemu-$$b holds work not in patches/qemu-$$b"; exit 1; fi; \
	done
	rm -rf $(BUILD)
