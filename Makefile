# Shared device assignment for confidential guests: a QEMU 10.0 patch series.
#
#   make            build the patched qemu-system-x86_64 (build/qemu/build/)
#   make check      check the series from patches/ on fresh trees
#   make tree       (re)create the work tree build/qemu from patches/
#   make export     write the commits of build/qemu back to patches/
#   make check-tsan the concurrency unit test under ThreadSanitizer (clang)
#   make deps       install build dependencies (apt, root or sudo)
#
# Variables: BUILD (work area, default ./build), SHARED (package cache,
# default ../shared), QEMU_DSC (another QEMU 10.0.x .dsc to use as base).

BUILD ?= $(CURDIR)/build
SHARED ?= $(CURDIR)/../shared
QEMU_DSC ?=
export BUILD SHARED QEMU_DSC

S := $(CURDIR)/scripts

.PHONY: all deps fetch tree build export check check-tsan base-failures clean distclean

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

# Re-derive scripts/qtest-base-failures from the unpatched base (slow).
base-failures: deps
	@$(S)/base-failures.sh

clean:
	rm -rf $(BUILD)/check

distclean:
	@if [ -d $(BUILD)/qemu/.git ] && ! $(S)/tree-is-exported.sh; then \
	    echo "refusing: $(BUILD)/qemu holds work not in patches/"; exit 1; fi
	rm -rf $(BUILD)
