# Firmware build: USER_C_MODULES=<repo>/src/modules
EMLEARN_KMEANS_DIR := $(USERMOD_DIR)
SRC_USERMOD_C += $(EMLEARN_KMEANS_DIR)/emlearn_kmeans.c
SRC_USERMOD_LIB_C += $(EMLEARN_KMEANS_DIR)/../../core/eml_kmeans.c
CFLAGS_USERMOD += -I$(EMLEARN_KMEANS_DIR)/../../core -I$(EMLEARN_KMEANS_DIR)/..
