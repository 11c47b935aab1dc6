# Firmware build: USER_C_MODULES=<repo>/src/modules
EMLEARN_CNN_INT8_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_CNN_INT8_DIR)/emlearn_cnn_int8.c
SRC_USERMOD_LIB_C += $(EMLEARN_CNN_INT8_DIR)/../../core/eml_cnn_int8.c
# eml_cnn.c (the loader) is shared with emlearn_cnn_fp32: add it once.
ifeq ($(filter %/core/eml_cnn.c,$(SRC_USERMOD_LIB_C)),)
SRC_USERMOD_LIB_C += $(EMLEARN_CNN_INT8_DIR)/../../core/eml_cnn.c
endif
CFLAGS_USERMOD += -I$(EMLEARN_CNN_INT8_DIR)/../../core -I$(EMLEARN_CNN_INT8_DIR)/..
