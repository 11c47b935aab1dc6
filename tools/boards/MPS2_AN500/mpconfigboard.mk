# MicroPython's qemu port on the MPS2 AN500 image: a Cortex-M7 with a
# double-precision FPU, firmware built with double-precision floats, as
# MicroPython builds Teensy 4.x, Pyboard-D SF6 and the NUCLEO-F767ZI/H743ZI.
# Such boards report the armv7emdp architecture and load the armv7emsp .mpy
# files, which the tests run here. The rest is the AN386 board's set-up.
QEMU_ARCH = arm
QEMU_MACHINE = mps2-an500

CFLAGS += -mthumb -mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M7"'
CFLAGS += -I$(BOARD_DIR) -DMP_CONFIGFILE='"mpconfig_double.h"'

LDSCRIPT = mcu/arm/mps2.ld

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o

# The port links the single-precision libm; double-precision floats need
# the double one too (its functions have other names).
LIB_SRC_C += $(SRC_LIB_LIBM_DBL_C) $(SRC_LIB_LIBM_DBL_SQRT_HW_C)

SRC_C += $(BOARD_DIR)/../MPS2_AN386/fpu_on.c
LDFLAGS += -Wl,--wrap=uart_init

MPY_CROSS_FLAGS += -march=armv7emdp
