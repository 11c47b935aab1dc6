# Firmware build: USER_C_MODULES=<repo>/src/modules
EMLEARN_LOGREG_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_LOGREG_DIR)/emlearn_logreg.c
SRC_USERMOD_LIB_C += $(EMLEARN_LOGREG_DIR)/../../core/eml_logreg.c
CFLAGS_USERMOD += -I$(EMLEARN_LOGREG_DIR)/../../core -I$(EMLEARN_LOGREG_DIR)/..
