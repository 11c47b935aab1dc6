/* emlearn_cnn_int8: int8-quantized convolutional networks in TinyMaix's
 * format. The binding is eml_cnn_binding.h, shared with emlearn_cnn_fp32. */
#define CNN_TYPE EML_CNN_INT8
#define CNN_INPUT_PIXELS eml_cnn_int8_input_pixels
#define CNN_INPUT_FLOATS eml_cnn_int8_input_floats
#define CNN_RUN eml_cnn_int8_run
/* A firmware holds both modules: their type objects need their own names
 * there (a native module's stay apart, and its macros paste the name). */
#ifndef MICROPY_ENABLE_DYNRUNTIME
#define cnn_type emlearn_cnn_int8_type
#endif
#include "eml_cnn_binding.h"

EML_DEFINE_MODULE(emlearn_cnn_int8, CNN_GLOBALS, CNN_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_cnn_int8, emlearn_cnn_int8_user_cmodule);
#endif
