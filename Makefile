# SPDX-License-Identifier: GPL-2.0
# Shadow-PTE workbench. The two commands:
#   make report   build the kernels, boot each, run benchmarks/, write build/report/
#   make test     KUnit (UML), round trip, mm selftests on baseline and shadow, compared
# Everything else is a step of those two; see README.md.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
BUILD := $(CURDIR)/build
KERNEL ?= shadow
S := $(CURDIR)/scripts

OVERLAY := $(shell find shadow-pte kunit -mindepth 2 -type f 2>/dev/null)
PATCHES := $(wildcard kernel-patches/*.patch) $(wildcard kernel-patches/series)
# The kernel variants: configs/kernels, the one list every script reads.
VARIANTS := $(shell awk '!/^\#/ && NF { print $$1 }' configs/kernels)

.PHONY: all help setup source assemble export kernels $(addprefix kernel-,$(VARIANTS)) \
	userspace boot run kunit roundtrip test stress report series series-check split-unpack split-pack split-append experiment check clean distclean

all: help
help:
	@sed -n 's/^## //p' Makefile
	@echo
	@echo "Kernel variants (configs/kernels; KERNEL= of boot, run, kernel-<name>):"
	@awk '!/^#/ && NF { printf "  %-15s %s\n", $$1, substr($$0, index($$0, $$5)) }' configs/kernels

## make setup        install Debian packages (root; idempotent)
setup:
	@bash $(S)/setup.sh

## make source       unpack the pinned linux-source-6.12 into build/pristine (git, tag base)
source: setup
	@bash $(S)/source.sh

## make assemble     build/tree = base + shadow-pte/ + kunit/ + kernel-patches/ (auto when stale)
##                   FORCE=1 throws away unexported tree commits; WB_TREE= another tree
assemble: $(BUILD)/tree.stamp
$(BUILD)/tree.stamp: $(OVERLAY) $(PATCHES) $(wildcard shadow-pte/MAINTAINERS) | source
	@bash $(S)/assemble.sh

## make export       write committed edits of build/tree back to shadow-pte/ kunit/ kernel-patches/
export:
	@bash $(S)/export.sh

## make kernels      build baseline (pristine) and shadow (the test kernel)
## make kernel-NAME  build one variant (NAME from the list below); incremental, ccache
##                   DEBUG=1 adds configs/debug.config (own folder), EXTRA_CONFIG=FILE
##                   one more fragment, CONFIG_ONLY=1 stops after the .config, JOBS= (nproc)
kernels: kernel-baseline kernel-shadow
kernel-baseline: source
	@bash $(S)/build-kernel.sh baseline
$(filter-out kernel-baseline,$(addprefix kernel-,$(VARIANTS))): kernel-%: assemble
	@bash $(S)/build-kernel.sh $*

## make userspace    static selftests, perf, benchmarks (jobs from benchmarks/benchmarks), initramfs
userspace: assemble
	@bash $(S)/build-userspace.sh

known-kernel = $(if $(filter $(KERNEL),$(VARIANTS)),,$(error unknown KERNEL='$(KERNEL)': one of $(VARIANTS)))

## make boot KERNEL=NAME          interactive guest shell (leave with exit or reboot -f)
##                   MEM= (2G) SMP= (2) ICOUNT=1 (TCG icount) KVM=0 (no KVM) APPEND= (kernel args)
boot:
	$(known-kernel)
	@$(MAKE) -s kernel-$(KERNEL) userspace
	@bash $(S)/run-guest.sh $(KERNEL)

## make run KERNEL=NAME CMD='...'  boot, run CMD in the guest, print its output, power off
##                   output in build/run/NAME/; same settings as boot, TIMEOUT= (s, 1200)
run:
	$(known-kernel)
	$(if $(CMD),,$(error make run needs CMD='shell command'))
	@$(MAKE) -s kernel-$(KERNEL) userspace
	@rc=0; APPEND="wb.cmd=$$(printf '%s' '$(subst ','\'',$(CMD))' | base64 -w0) $${APPEND:-}" \
		bash $(S)/run-guest.sh $(KERNEL) run_cmd $(BUILD)/run/$(KERNEL) || rc=$$?; \
		sed -n '/^@@@ BEGIN run_cmd/,/^@@@ END run_cmd/p' $(BUILD)/run/$(KERNEL)/results.txt; \
		exit $$rc

## make kunit        KUnit suites of kunit/.kunitconfig on ARCH=um
kunit: assemble
	@bash $(S)/kunit.sh

## make roundtrip    assemble -> export is lossless
roundtrip: assemble
	@bash tests/roundtrip.sh

## make test         everything that tests; ends with "N passed, N failed, N skipped"
##                   TEST_JOBS= (guest jobs, comma-separated) STRESS_SECONDS= (60)
test:
	@bash $(S)/test.sh

## make stress       debug shadow kernel (KASAN, lockdep, kmemleak, fault injection,
##                   panic_on_warn, 2 CPUs): the seeded race stress, then every
##                   shadow-PTE and mm selftest. DURATION= (s, 600) SEED= FAULTS= (%, 2)
##                   SMP= (2) KERNEL= (shadow; baseline: the same jobs on the page-bit kernel)
stress:
	@bash $(S)/stress.sh

## make report       build, boot, run the benchmarks, write build/report/
##                   REPS= (5) SIZE_MIB= (64) BIG_MIB= (256) MEM= (6G) SMP= (1)
##                   SMP_CPUS= (4, the pin_threads boot) REPORT_TIMED= (auto: a KVM pass
##                   where KVM boots; no; tcg) SMP_KVM= (2) TIMEOUT= (s per boot, 1200)
report:
	@bash $(S)/report.sh

## make series       build/series/: format-patch --cover-letter of the series (new files
##                   enter through the patches kernel-patches/new-files names), the cover
##                   letter filled in from the latest report and stress run
## make series-check make series, then checkpatch every patch, git am onto pristine =
##                   assembled tree, kernel-patches/ = what export writes, every prefix builds the shadow kernel and boots it
##                   with mainline's GUP/COW selftests (compared with pristine), KUnit on
##                   the last; SERIES_BUILD=0 skips builds, boots and KUnit, SERIES_BOOT=0
##                   the boots, SERIES_FROM=N the prefixes before N;
##                   SERIES_BOOT_JOBS= (cow,gup_longterm,gup_test_*)
series: assemble
	@bash $(S)/series.sh

series-check: assemble
	@bash $(S)/series.sh check

## make split-unpack build/split-work: the new files and, one commit per
##                   kernel-patches/split/*.diff, the parts later patches add taken out
## make split-pack   write kernel-patches/split/*.diff back from build/split-work
##                   SPLIT_WORK= (build/split-work) SPLIT_DIR= (kernel-patches/split)
split-unpack: assemble
	@bash $(S)/split.sh unpack

split-pack: assemble
	@bash $(S)/split.sh pack

## make split-append SPLIT=NAME.diff  fill in the series' last split, written with its
##                   header and "---" only: the new files' change since HEAD
split-append: assemble
	$(if $(SPLIT),,$(error make split-append needs SPLIT=NAME.diff (kernel-patches/split)))
	@bash $(S)/split.sh append "$$SPLIT"

## make experiment EXP=NAME  rebuild docs/evidence/NAME-experiment.diff on a clone of
##                   build/tree (build/exp-NAME), run the jobs it names on it and on
##                   baseline under TCG icount: build/experiments/NAME/summary.txt. REPS= (3)
experiment: assemble userspace
	$(if $(EXP),,$(error make experiment needs EXP=NAME (docs/evidence/NAME-experiment.diff)))
	@bash $(S)/experiment.sh "$$EXP"

## make check        shellcheck the scripts, checkpatch the kernel sources
check: assemble
	@bash $(S)/check.sh

## make clean        drop kernel/userspace build outputs (keeps the trees and ccache)
clean:
	rm -rf $(BUILD)/pristine/.out-* $(BUILD)/tree/.out-* $(BUILD)/tree/.kunit-um $(BUILD)/series* \
		$(BUILD)/userspace $(BUILD)/results $(BUILD)/report $(BUILD)/roundtrip \
		$(BUILD)/exp-*/.out-* $(BUILD)/experiments

## make distclean    drop build/ entirely
##
## Settings every step reads: BUILD= (build/) JOBS= (nproc) CCACHE_DIR= (~/.cache/ccache)
##   CCACHE_MAXSIZE= (8G); assemble/export for other trees (tests/roundtrip.sh):
##   WB_TREE= WB_STAMP= SRC_REPO= EXPORT_TO=
distclean:
	rm -rf $(BUILD)
