# emlearn-mp: machine learning and DSP modules for MicroPython, in C.
#
#   make check          set up (first time), build, run every test
#   make bench          benchmarks, printed side by side with baselines
#   make demo           the main job end to end (trees on digits)
#   make har-demo       activity recognition on ../shared/data/har recordings
#   make dist ARCH=x    dist/<arch>_6.3/<module>.mpy for every module
#   make dist-all       the same for every supported architecture
#   make firmware       unix port and emulated Cortex-M3 with every module compiled in
#   make setup          packages, MicroPython 1.25 source, ports, emulated boards
#
# MPY_DIR=/path/to/micropython uses your own MicroPython tree (.mpy ABI 6.3)
# instead of the one `make setup` fetches into deps/.

TOP := $(CURDIR)
MODULES := emlearn_iir emlearn_iir_q15 emlearn_kmeans emlearn_arrayutils emlearn_fft emlearn_neighbors emlearn_linreg emlearn_logreg emlearn_cnn_int8 emlearn_cnn_fp32 emlearn_trees emlearn_trees_lite
ARCH ?= x64
ARCHS_TESTED := x64 armv6m armv7m armv7emsp rv32imc
ARCHS_ALL := $(ARCHS_TESTED)
MPY_ABI := 6.3
PYTHON := /usr/bin/python3
JOBS ?= 2

MPY_DIR ?= $(TOP)/deps/micropython
DEPS := $(TOP)/deps
BUILD := $(TOP)/build
STAMP := $(DEPS)/stamps

# Debian packages the project needs (`make setup`, see the README).
PACKAGES := build-essential clang dpkg-dev python3-numpy python3-scipy python3-sklearn python3-xgboost \
	python3-pytest python3-pyflakes python3-mypy python3-pyelftools python3-arpy python3-serial \
	gcc-arm-none-eabi libnewlib-arm-none-eabi gcc-riscv64-unknown-elf \
	picolibc-riscv64-unknown-elf qemu-system-arm qemu-system-misc \
	gcc-aarch64-linux-gnu qemu-user

# The Debian tarball has empty lib/ submodules, so leave out what needs them.
UNIX_FLAGS := FROZEN_MANIFEST= MICROPY_PY_BTREE=0 MICROPY_SSL_MBEDTLS=0 MICROPY_PY_SSL=0 MICROPY_PY_FFI=0
# Debian's RISC-V GCC 12 has no rv32imac_zicsr multilib; the older ISA spec
# keeps the CSR instructions in plain rv32imac.
RV32_FLAGS := RV32_ARCH=rv32imac CFLAGS_EXTRA=-misa-spec=2.2 AFLAGS="-mabi=ilp32 -march=rv32imac -misa-spec=2.2"
# The qemu port leaves the native emitter out on nRF51, and with it loading
# native .mpy files; turn it on in its ARMv6-M form.
MICROBIT_FLAGS := CFLAGS_EXTRA="-DMICROPY_EMIT_THUMB=1 -DMICROPY_EMIT_THUMB_ARMV7M=0"

# MPS2_AN386 (Cortex-M4F) and MPS2_AN500 (Cortex-M7, double-precision floats)
# are this project's boards, in tools/boards.
BOARDS := MPS2_AN385 MPS2_AN386 MPS2_AN500 MICROBIT VIRT_RV32
FIRMWARES := $(foreach b,$(BOARDS),$(DEPS)/qemu/$(b)/firmware.elf)

CORE_SRC := $(wildcard src/core/*.c src/core/*.h)
MODULE_SRC := $(wildcard src/modules/*.h src/modules/*.mk src/modules/*/*.c src/modules/*/Makefile src/modules/*/micropython.mk)

.PHONY: all setup packages check bench demo har-demo dist dist-all firmware core-tests clean distclean

all: dist

# ---------------------------------------------------------------- set-up

setup: $(STAMP)/packages $(DEPS)/bin/micropython $(FIRMWARES)

packages: $(STAMP)/packages
# Checked again when this file changes, so a new entry in PACKAGES reaches
# existing checkouts too (the check is one dpkg-query per package).
$(STAMP)/packages: Makefile
	@missing=$$(for p in $(PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "setup: installing $$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "setup: run as root, or install: $$missing" >&2; exit 1; fi; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	@mkdir -p $(STAMP) && touch $@

$(TOP)/deps/micropython/py/mpconfig.h: | $(STAMP)/packages
	tools/fetch-micropython.sh $(TOP)/deps/micropython

$(MPY_DIR)/mpy-cross/build/mpy-cross: | $(MPY_DIR)/py/mpconfig.h
	$(MAKE) -C $(MPY_DIR)/mpy-cross -j$(JOBS) PYTHON=$(PYTHON)

$(DEPS)/bin/micropython: | $(MPY_DIR)/mpy-cross/build/mpy-cross
	$(MAKE) -C $(MPY_DIR)/ports/unix -j$(JOBS) PYTHON=$(PYTHON) $(UNIX_FLAGS) BUILD=$(DEPS)/build/unix
	mkdir -p $(DEPS)/bin && cp $(DEPS)/build/unix/micropython $@

# <BOARD>-builtin is that board with every module compiled in (see firmware).
$(DEPS)/qemu/%/firmware.elf: | $(MPY_DIR)/mpy-cross/build/mpy-cross
	$(MAKE) -C $(MPY_DIR)/ports/qemu -j$(JOBS) PYTHON=$(PYTHON) FROZEN_MANIFEST= BOARD=$(*:-builtin=) \
		BUILD=$(DEPS)/qemu/$* $(if $(wildcard tools/boards/$*),BOARD_DIR=$(TOP)/tools/boards/$*) \
		$(if $(filter %-builtin,$*),USER_C_MODULES=$(TOP)/src/modules) \
		$(if $(filter VIRT_RV32,$*),$(RV32_FLAGS)) $(if $(filter MICROBIT,$*),$(MICROBIT_FLAGS))

# ---------------------------------------------------------------- modules

# dist/<arch>_6.3/<module>.mpy. Each module's Makefile runs inside its own
# build folder (a link to it sits there), so architectures never share files.
dist: $(foreach m,$(MODULES),dist/$(ARCH)_$(MPY_ABI)/$(m).mpy)

dist-all:
	@for a in $(ARCHS_ALL); do $(MAKE) --no-print-directory dist ARCH=$$a || exit 1; done

dist/$(ARCH)_$(MPY_ABI)/%.mpy: $(CORE_SRC) $(MODULE_SRC) | $(MPY_DIR)/mpy-cross/build/mpy-cross
	@rm -rf $(BUILD)/natmod/$(ARCH)/$* && mkdir -p $(BUILD)/natmod/$(ARCH)/$* $(dir $@)
	@ln -s $(TOP)/src/modules/$*/Makefile $(BUILD)/natmod/$(ARCH)/$*/Makefile
	$(MAKE) --no-print-directory -C $(BUILD)/natmod/$(ARCH)/$* TOP=$(TOP) MPY_DIR=$(MPY_DIR) ARCH=$(ARCH) Q=@ > $(BUILD)/natmod/$(ARCH)/$*.log 2>&1 \
		|| { cat $(BUILD)/natmod/$(ARCH)/$*.log; exit 1; }
	cp $(BUILD)/natmod/$(ARCH)/$*/$*.mpy $@

# Every module compiled in (USER_C_MODULES): the unix port, and the emulated
# Cortex-M3 board (a 32-bit port with single-precision floats, as most chips).
firmware: $(DEPS)/bin/micropython-builtin $(DEPS)/qemu/MPS2_AN385-builtin/firmware.elf
$(DEPS)/bin/micropython-builtin: $(CORE_SRC) $(MODULE_SRC) | $(DEPS)/bin/micropython
	$(MAKE) -C $(MPY_DIR)/ports/unix -j$(JOBS) PYTHON=$(PYTHON) $(UNIX_FLAGS) \
		BUILD=$(DEPS)/build/unix-builtin USER_C_MODULES=$(TOP)/src/modules
	cp $(DEPS)/build/unix-builtin/micropython $@
$(DEPS)/qemu/MPS2_AN385-builtin/firmware.elf: $(CORE_SRC) $(MODULE_SRC)

# ---------------------------------------------------------------- tests

CORE_TESTS := $(patsubst tests/core/%.c,$(BUILD)/tests/%,$(wildcard tests/core/test_*.c))
# Some core tests also built as AArch64 code (see their rule below).
AARCH64_TESTS := $(foreach t,trees iir iir_q15 kmeans arrayutils neighbors linreg logreg,$(BUILD)/tests/aarch64/test_$(t))
TEST_CFLAGS := -std=c99 -Wall -Wextra -Werror -g -fno-sanitize-recover=all
SANITIZE := $(TEST_CFLAGS) -O1 -fsanitize=address,undefined

core-tests: $(CORE_TESTS) $(BUILD)/tests/test_trees_intvotes $(BUILD)/tests/test_trees_q31_softclz $(BUILD)/tests/test_trees_lite_full \
	$(BUILD)/tests/test_iir_sections $(BUILD)/tests/test_arrayutils_exact $(BUILD)/tests/test_arrayutils_exact_softclz \
	$(BUILD)/tests/test_fft_fixed $(BUILD)/tests/test_fft_fixed_softclz $(BUILD)/tests/test_fft_fixed_mul16 \
	$(BUILD)/tests/test_neighbors_narrow $(BUILD)/tests/test_neighbors_m0 \
	$(BUILD)/tests/test_linreg_wide $(BUILD)/tests/test_linreg_wide_m0 \
	$(BUILD)/tests/test_logreg_wide $(BUILD)/tests/test_logreg_wide_m0 \
	$(AARCH64_TESTS)
$(BUILD)/tests/test_%: tests/core/test_%.c tests/core/check.h $(CORE_SRC)
	@mkdir -p $(dir $@)
	gcc $(SANITIZE) -Isrc/core $< src/core/eml_$*.c $(wildcard src/core/eml_$*_*.c) -lm -o $@

# Core tests built once more with other options: $(call core_test_variant,
# binary, test source, flags, core sources). The explicit rules override the
# pattern rule above for binaries that share a test source's name.
define core_test_variant
$(BUILD)/tests/$(1): tests/core/$(2).c tests/core/check.h $(CORE_SRC)
	@mkdir -p $$(dir $$@)
	gcc $(SANITIZE) $(3) -Isrc/core $$< $(4) -lm -o $$@
endef
# The trees core with the integer vote path that FPU-less targets take
# (hosts divide in doubles; see eml_trees.c).
$(eval $(call core_test_variant,test_trees_intvotes,test_trees,-DEML_TREES_INTEGER_VOTES,src/core/eml_trees.c))
# The soft-float vote conversion, a static function: the test includes the
# core source itself, with the integer vote path; once more with the
# leading-zero loop of chips that have no CLZ instruction.
$(eval $(call core_test_variant,test_trees_q31,test_trees_q31,-DEML_TREES_INTEGER_VOTES,))
$(eval $(call core_test_variant,test_trees_q31_softclz,test_trees_q31,-DEML_TREES_INTEGER_VOTES -DEML_SOFT_CLZ,))
# The IIR core filtering one section after the other, as microcontrollers
# do (hosts filter up to three side by side; see eml_iir.c).
$(eval $(call core_test_variant,test_iir_sections,test_iir,-DEML_IIR_INTERLEAVE=0,src/core/eml_iir.c))
# The exact integer maps of FPU-less targets (int16 inputs, int16 results;
# hosts map in float, see eml_arrayutils.h), with the CLZ instruction and
# with the loop of chips that have none.
$(eval $(call core_test_variant,test_arrayutils_exact,test_arrayutils,-DEML_ARRAYUTILS_EXACT=1,src/core/eml_arrayutils.c))
$(eval $(call core_test_variant,test_arrayutils_exact_softclz,test_arrayutils,-DEML_ARRAYUTILS_EXACT=1 -DEML_SOFT_CLZ,src/core/eml_arrayutils.c))
# The FFT in integers, as chips without an FPU compute it (hosts use float;
# see eml_fft.c): as Cortex-M3 (CLZ, 64-bit products), RV32IMC (no CLZ) and
# Cortex-M0 (no CLZ, products from 16-bit halves).
$(eval $(call core_test_variant,test_fft_fixed,test_fft,-DEML_FFT_FIXED=1,src/core/eml_fft.c))
$(eval $(call core_test_variant,test_fft_fixed_softclz,test_fft,-DEML_FFT_FIXED=1 -DEML_SOFT_CLZ,src/core/eml_fft.c))
$(eval $(call core_test_variant,test_fft_fixed_mul16,test_fft,-DEML_FFT_FIXED=1 -DEML_FFT_MUL16=1 -DEML_SOFT_CLZ,src/core/eml_fft.c))
# The neighbours' distance sums as 32-bit chips add them (hosts add in 64
# bits, see eml_neighbors.c): RV32 (a loop of 32-bit sums for narrow values)
# and Cortex-M0 (that loop, and 32-bit sums whose carries are counted).
$(eval $(call core_test_variant,test_neighbors_narrow,test_neighbors,-DEML_NEIGHBORS_NARROW_LOOP=1,src/core/eml_neighbors.c))
$(eval $(call core_test_variant,test_neighbors_m0,test_neighbors,-DEML_NEIGHBORS_NARROW_LOOP=1 -DEML_NEIGHBORS_COUNT_CARRIES,src/core/eml_neighbors.c))
# The linear regression's dot products in the 64-bit accumulator of chips
# without an FPU (hosts sum in float; see eml_linreg.c), with the product and
# leading-zero forms of Cortex-M3 and of Cortex-M0.
$(eval $(call core_test_variant,test_linreg_wide,test_linreg,-DEML_LINREG_WIDE=1,src/core/eml_linreg.c))
$(eval $(call core_test_variant,test_linreg_wide_m0,test_linreg,-DEML_LINREG_WIDE=1 -DEML_WIDE_MUL16 -DEML_SOFT_CLZ,src/core/eml_linreg.c))
# The logistic regression's logits in that accumulator, likewise.
$(eval $(call core_test_variant,test_logreg_wide,test_logreg,-DEML_LOGREG_WIDE=1,src/core/eml_logreg.c))
$(eval $(call core_test_variant,test_logreg_wide_m0,test_logreg,-DEML_LOGREG_WIDE=1 -DEML_WIDE_MUL16 -DEML_SOFT_CLZ,src/core/eml_logreg.c))
# The classifiers-only build of emlearn_trees_lite, and the same test against
# the full build (whose loader must accept the file the lite build refuses).
$(eval $(call core_test_variant,test_trees_lite,test_trees_lite,-DEML_TREES_NO_VALUES -DEML_TREES_NO_BUILDER,src/core/eml_trees.c))
$(eval $(call core_test_variant,test_trees_lite_full,test_trees_lite,,src/core/eml_trees.c))

# The trees, IIR (float and q15), k-means, array, neighbours, linreg and logreg
# tests once more as AArch64 code: 64-bit Linux boards (Raspberry Pi and the
# like) compile the core's 64-bit host paths (eml_trees.c: double-precision
# votes, two walks at a time), which only x86-64 would test otherwise. tools/check.py runs them under qemu-user; UBSan
# only, as AddressSanitizer's shadow memory does not work under qemu-user.
$(BUILD)/tests/aarch64/test_%: tests/core/test_%.c tests/core/check.h $(CORE_SRC) | $(STAMP)/packages
	@mkdir -p $(dir $@)
	aarch64-linux-gnu-gcc $(TEST_CFLAGS) -O2 -fsanitize=undefined -Isrc/core $< src/core/eml_$*.c -lm -o $@

# libFuzzer on the C model loaders: `make fuzz` runs for FUZZ_SECONDS (make
# check runs it briefly), seeded with valid models and the bad-model corpus.
FUZZ_SECONDS ?= 300
FUZZERS := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz/fuzz_%,$(wildcard tests/fuzz/fuzz_*.c))
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(CORE_SRC)
	@mkdir -p $(dir $@)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc/core $< src/core/eml_$*.c $(wildcard src/core/eml_$*_*.c) -o $@

fuzz: $(FUZZERS)
	$(PYTHON) tools/fuzz.py $(FUZZ_SECONDS)

check: setup core-tests firmware $(FUZZERS)
	@for a in $(ARCHS_TESTED); do $(MAKE) --no-print-directory dist ARCH=$$a || exit 1; done
	$(PYTHON) tools/check.py

bench: setup
	@$(MAKE) --no-print-directory dist-all
	$(PYTHON) tools/bench.py

demo: setup
	@for a in x64 armv7m; do $(MAKE) --no-print-directory dist ARCH=$$a || exit 1; done
	@$(PYTHON) tools/demo.py

# Activity recognition on the real accelerometer recordings of ../shared/data/har.
har-demo: setup
	@for a in x64 armv7m; do $(MAKE) --no-print-directory dist ARCH=$$a || exit 1; done
	@$(PYTHON) examples/har_trees/har_demo.py

clean:
	rm -rf $(BUILD) dist

distclean: clean
	rm -rf $(DEPS)
