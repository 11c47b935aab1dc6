# Firmware build: USER_C_MODULES=<repo>/src/modules
EMLEARN_FFT_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_FFT_DIR)/emlearn_fft.c
SRC_USERMOD_LIB_C += $(EMLEARN_FFT_DIR)/../../core/eml_fft.c
CFLAGS_USERMOD += -I$(EMLEARN_FFT_DIR)/../../core -I$(EMLEARN_FFT_DIR)/..
