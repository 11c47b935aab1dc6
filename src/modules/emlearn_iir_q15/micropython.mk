# Firmware build: USER_C_MODULES=<repo>/src/modules
EMLEARN_IIR_Q15_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_IIR_Q15_DIR)/emlearn_iir_q15.c
SRC_USERMOD_LIB_C += $(EMLEARN_IIR_Q15_DIR)/../../core/eml_iir_q15.c
CFLAGS_USERMOD += -I$(EMLEARN_IIR_Q15_DIR)/../../core -I$(EMLEARN_IIR_Q15_DIR)/..
