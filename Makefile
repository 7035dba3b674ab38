# SPDX-License-Identifier: GPL-2.0
# Shadow-PTE workbench. The two commands:
#   make report   build both kernels, boot them, run benchmarks/, write build/report/
#   make test     KUnit (UML), round trip, mm selftests on both kernels, compared
# Everything else is a step of those two; see README.md.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
BUILD := $(CURDIR)/build
KERNEL ?= shadow
S := $(CURDIR)/scripts

OVERLAY := $(shell find shadow-pte kunit -mindepth 2 -type f 2>/dev/null)
PATCHES := $(wildcard kernel-patches/*.patch) $(wildcard kernel-patches/series)

.PHONY: all help setup source assemble export kernels kernel-baseline kernel-shadow kernel-shadow-off \
	userspace boot kunit roundtrip test stress report check clean distclean

all: help
help:
	@sed -n 's/^## //p' Makefile

## make setup        install Debian packages (root; idempotent)
setup:
	@bash $(S)/setup.sh

## make source       unpack the pinned linux-source-6.12 into build/pristine (git, tag base)
source: setup
	@bash $(S)/source.sh

## make assemble     build/tree = base + shadow-pte/ + kunit/ + kernel-patches/ (auto when stale)
assemble: $(BUILD)/tree.stamp
$(BUILD)/tree.stamp: $(OVERLAY) $(PATCHES) | source
	@bash $(S)/assemble.sh

## make export       write committed edits of build/tree back to shadow-pte/ kunit/ kernel-patches/
export:
	@bash $(S)/export.sh

## make kernels      build baseline (pristine) and shadow (assembled) bzImages, same config
kernels: kernel-baseline kernel-shadow
kernel-baseline: source
	@bash $(S)/build-kernel.sh baseline
kernel-shadow: assemble
	@bash $(S)/build-kernel.sh shadow
kernel-shadow-off: assemble
	@bash $(S)/build-kernel.sh shadow-off

## make userspace    static selftests, perf, benchmarks and the initramfs
userspace: assemble
	@bash $(S)/build-userspace.sh

## make boot KERNEL=baseline|shadow|shadow-off   interactive guest shell
boot:
	@case "$(KERNEL)" in baseline|shadow|shadow-off) ;; \
	*) echo "error: unknown KERNEL='$(KERNEL)': use KERNEL=baseline, shadow or shadow-off" >&2; exit 2;; esac
	@$(MAKE) -s kernel-$(KERNEL) userspace
	@bash $(S)/run-guest.sh $(KERNEL)

## make kunit        KUnit suites of kunit/.kunitconfig on ARCH=um
kunit: assemble
	@bash $(S)/kunit.sh

## make roundtrip    assemble -> export is lossless
roundtrip: assemble
	@bash tests/roundtrip.sh

## make test         everything that tests; ends with "N passed, N failed, N skipped"
test:
	@bash $(S)/test.sh

## make stress       debug shadow kernel (KASAN, lockdep, kmemleak, fault injection,
##                   panic_on_warn, 2 CPUs): the seeded race stress, then every
##                   shadow-PTE and mm selftest. DURATION= (s, 600) SEED= FAULTS= (%, 2)
stress:
	@bash $(S)/stress.sh

## make report       build, boot, run the benchmarks, write build/report/
##                   REPS= (5) SIZE_MIB= (64) BIG_MIB= (256) MEM= (6G) SMP_CPUS= (4)
report:
	@bash $(S)/report.sh

## make check        shellcheck the scripts, checkpatch the kernel sources
check: assemble
	@bash $(S)/check.sh

## make clean        drop kernel/userspace build outputs (keeps the trees and ccache)
clean:
	rm -rf $(BUILD)/pristine/.out-* $(BUILD)/tree/.out-* $(BUILD)/tree/.kunit-um \
		$(BUILD)/userspace $(BUILD)/results $(BUILD)/report $(BUILD)/roundtrip

## make distclean    drop build/ entirely
distclean:
	rm -rf $(BUILD)
