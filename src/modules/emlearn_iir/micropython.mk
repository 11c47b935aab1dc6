# Firmware build: USER_C_MODULES=<repo>/src/modules
EMLEARN_IIR_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_IIR_DIR)/emlearn_iir.c
SRC_USERMOD_LIB_C += $(EMLEARN_IIR_DIR)/../../core/eml_iir.c
CFLAGS_USERMOD += -I$(EMLEARN_IIR_DIR)/../../core -I$(EMLEARN_IIR_DIR)/..
