# Firmware build: USER_C_MODULES=<repo>/src/modules
EMLEARN_TREES_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_TREES_DIR)/emlearn_trees.c
SRC_USERMOD_LIB_C += $(EMLEARN_TREES_DIR)/../../core/eml_trees.c
CFLAGS_USERMOD += -I$(EMLEARN_TREES_DIR)/../../core -I$(EMLEARN_TREES_DIR)/..
