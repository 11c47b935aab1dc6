# MicroPython's qemu port on the MPS2 AN386 image: a Cortex-M4 with its
# single-precision FPU and the hard-float ABI, the chip class of STM32F4 and
# nRF52 boards, so the armv7emsp .mpy files run somewhere in the tests. The
# rest is the port's MPS2_AN385 board (the same peripherals).
QEMU_ARCH = arm
QEMU_MACHINE = mps2-an386

CFLAGS += -mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard
CFLAGS += -DQEMU_SOC_MPS2
CFLAGS += -DMICROPY_HW_MCU_NAME='"Cortex-M4F"'

LDSCRIPT = mcu/arm/mps2.ld

SRC_BOARD_O = shared/runtime/gchelper_native.o shared/runtime/gchelper_thumb2.o

# The port's start-up code leaves the FPU off, as it is out of reset; turn it
# on before the first float instruction (uart_init runs before main).
SRC_C += $(BOARD_DIR)/fpu_on.c
LDFLAGS += -Wl,--wrap=uart_init

MPY_CROSS_FLAGS += -march=armv7emsp
