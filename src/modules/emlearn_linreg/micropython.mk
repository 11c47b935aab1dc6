# Firmware build: USER_C_MODULES=<repo>/src/modules
EMLEARN_LINREG_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_LINREG_DIR)/emlearn_linreg.c
SRC_USERMOD_LIB_C += $(EMLEARN_LINREG_DIR)/../../core/eml_linreg.c
CFLAGS_USERMOD += -I$(EMLEARN_LINREG_DIR)/../../core -I$(EMLEARN_LINREG_DIR)/..
