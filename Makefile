# Shared device assignment for confidential guests: a QEMU 10.0 patch series.
#
#   make            build the patched qemu-system-x86_64 (build/qemu/build/)
#   make check      check the series from patches/ on fresh trees
#   make tree       (re)create the work tree build/qemu from patches/
#   make export     write the commits of build/qemu back to patches/
#   make check-tsan the series' unit tests under ThreadSanitizer (clang)
#   make check-32bit what the series touches, built for an i686 host (i386
#                   multiarch); its unit tests run as i386 binaries
#   make bench      the benchmark, counted by callgrind, as one table
#   make check-e2e  end to end in a nested VM: real VFIO, real KVM conversions
#   make check-e2e-demo  the same test failing on a mutant and on the base
#   make deps       install build dependencies (apt, root or sudo)
#
# Variables: BUILD (work area, default ./build), SHARED (package cache,
# default ../shared), QEMU_DSC (another QEMU 10.0.x .dsc to use as base).

BUILD ?= $(CURDIR)/build
SHARED ?= $(CURDIR)/../shared
QEMU_DSC ?=
export BUILD SHARED QEMU_DSC

S := $(CURDIR)/scripts

.PHONY: all deps fetch tree build export check check-tsan check-32bit check-e2e check-e2e-demo bench base-failures clean distclean

all: build

deps:
	@$(S)/deps.sh

fetch: deps
	@$(S)/fetch-base.sh

tree: deps
	@$(S)/tree.sh

build: deps
	@test -d $(BUILD)/qemu/.git || $(S)/tree.sh
	@$(S)/build.sh

export:
	@$(S)/export.sh

check: deps
	@$(S)/check.sh

check-tsan: deps
	@$(S)/check-tsan.sh

# The check tree build/check/qemu (made if missing), built in its build-i686.
check-32bit: deps
	@$(S)/check-32bit.sh

# Counts and callgrind instruction counts of RamBlockAttributes (work tree).
bench: build
	@$(S)/bench.sh

# End-to-end rig: an L1 Linux under TCG with a real VFIO replays the traces
# (e2e/traces/*.trace, plus E2E_TRACES="file|dir|@list ...") against the
# kernel's type1 and iommufd (scripts/e2e.sh, e2e/README.md).
check-e2e:
	@$(S)/e2e.sh $(E2E_TRACES)

# The nested test must fail on a broken series and on the base (stale DMA).
check-e2e-demo:
	@$(S)/e2e-demo.sh

# Re-derive scripts/qtest-base-failures from the unpatched base (slow).
base-failures: deps
	@$(S)/base-failures.sh

clean:
	rm -rf $(BUILD)/check

distclean:
	@if [ -d $(BUILD)/qemu/.git ] && ! $(S)/tree-is-exported.sh; then \
	    echo "refusing: $(BUILD)/qemu holds work not in patches/"; exit 1; fi
	rm -rf $(BUILD)
