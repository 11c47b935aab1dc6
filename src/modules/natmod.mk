# Shared rules for building a module in this folder as a dynamic native
# module. A module's Makefile sets MOD and SRC (absolute, from $(TOP)) and
# includes this file; it is run with the build directory as working directory:
#   make -f $(TOP)/src/modules/<module>/Makefile -C <builddir> TOP=... MPY_DIR=... ARCH=...
ARCH ?= x64
# OPT: a module may choose -Os (size) over the default -O2 (speed).
OPT ?= -O2
CFLAGS_EXTRA += -I$(TOP)/src/core -I$(TOP)/src/modules $(OPT) -Wall -Werror -std=gnu99
# No libc in a native module: keep GCC from turning loops into strlen/memset calls.
CFLAGS_EXTRA += -fno-tree-loop-distribute-patterns

# Link libgcc (soft-float helpers) and libm into the .mpy.
LINK_RUNTIME = 1

# The firmwares for FPU-less chips use single-precision floats (soft float);
# dynruntime.mk would otherwise build them without float support.
ifneq ($(filter armv6m armv7m rv32imc xtensa,$(ARCH)),)
MICROPY_FLOAT_IMPL = float
endif

# libgcc's Cortex-M0 float division carries absolute relocations that
# mpy_ld cannot link; src/core/eml_fdiv.c stands in for it (see armv6m_fdiv.h).
# A module without float division sets FLOAT_DIVISION = no and saves its
# 316 bytes.
FLOAT_DIVISION ?= yes
ifeq ($(ARCH)-$(FLOAT_DIVISION),armv6m-yes)
SRC += $(TOP)/src/core/eml_fdiv.c
CFLAGS_EXTRA += -include $(TOP)/src/modules/armv6m_fdiv.h
endif

# Debian's python3 has pyelftools; tools/pylib holds the `ar` adapter mpy_ld
# needs, and a fixed hash seed makes mpy_ld's output byte-reproducible.
override PYTHON = /usr/bin/python3
export PYTHONPATH := $(TOP)/tools/pylib
export PYTHONHASHSEED := 0

include $(MPY_DIR)/py/dynruntime.mk
