/* The binding of emlearn_cnn_int8 and emlearn_cnn_fp32: convolutional
 * networks in TinyMaix's format, with the API of emlearn-micropython's
 * modules of those names.
 *
 *     model = emlearn_cnn_int8.new(data)      # .tmdl bytes (used in place), bytearray,
 *                                             # array('B'), memoryview, or a file path
 *     cls = model.run(inputs, outputs)        # inputs: array('B') pixels (read as
 *                                             # p / 255) or array('f'); outputs: array('f')
 *     model.output_dimensions()               # (10,) for a 10-class classifier
 *     model.input_dimensions()                # (28, 28, 1) for MNIST
 *
 * Each module's source defines CNN_TYPE (the model type it runs), the
 * core's input and run functions for it and its type object's name, then
 * includes this file: one binding, two modules, each with only its own
 * arithmetic.
 */
#include "eml_model_bytes.h"
#include "eml_cnn.h"

typedef struct {
    mp_obj_base_t base;
    eml_cnn model;
    mp_obj_t data;          /* keeps the model's bytes alive */
    uint32_t arena[];       /* the model's working memory: model.arena_size bytes */
} cnn_obj_t;

EML_DECLARE_TYPE(cnn_type);

#if defined(MICROPY_ENABLE_DYNRUNTIME)
#define MEMORY_ERROR ((const mp_obj_type_t *)MP_OBJ_TO_PTR(mp_load_global(MP_QSTR_MemoryError)))
#else
#define MEMORY_ERROR (&mp_type_MemoryError)
#endif

static size_t cnn_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

/* ValueError with one of the core's static reason strings. */
static NORETURN void raise_reason(const char *reason) {
    mp_raise_type_arg(&mp_type_ValueError, mp_obj_new_str(reason, cnn_strlen(reason)));
}

/* new(data): a model from a TinyMaix file's bytes, or the path of one.
 * Read-only bytes (bytes, a file on ROMFS or a memoryview of these) are
 * used in place when 4-byte aligned: a model in flash costs no RAM; the
 * rest is copied, so later writes cannot undo the validation. */
static mp_obj_t cnn_new(mp_obj_t data_obj) {
    mp_obj_t keep;
    size_t size;
    const uint8_t *bytes = eml_model_bytes(data_obj, &keep, &size,
        MP_ERROR_TEXT("model must be bytes, bytearray, array('B'), memoryview or a file path"));
    if (size > 0x7fffffff) {
        raise_reason("model file too large");
    }
    /* The other module's model type (header byte 4): say so before any
     * other check, as that is the mistake. */
    if (size >= EML_CNN_HEADER_SIZE && bytes[0] == 'M' && bytes[1] == 'A' && bytes[2] == 'I' && bytes[3] == 'X'
        && bytes[4] == (CNN_TYPE == EML_CNN_INT8 ? EML_CNN_FP32 : EML_CNN_INT8)) {
        raise_reason(CNN_TYPE == EML_CNN_INT8 ? "model is float32: load it with emlearn_cnn_fp32"
            : "model is int8: load it with emlearn_cnn_int8");
    }
    eml_cnn model;
    const char *reason = "invalid model";
    if (eml_cnn_load(&model, bytes, (uint32_t)size, &reason) != EML_OK) {
        raise_reason(reason);
    }
    const size_t words = ((size_t)model.arena_size + 3) / 4;
    if (words > (SIZE_MAX - sizeof(cnn_obj_t)) / 4) {
        mp_raise_msg(MEMORY_ERROR, MP_ERROR_TEXT("model's working memory too large for this port"));
    }
    cnn_obj_t *self = mp_obj_malloc_var(cnn_obj_t, arena, uint32_t, words, EML_TYPE_PTR(cnn_type));
    self->model = model;
    self->data = keep;
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_1(cnn_new_obj, cnn_new);

/* run(inputs, outputs): the output layer's values into outputs; returns
 * the index of the largest (the class, for a classifier). */
static mp_obj_t cnn_run(mp_obj_t self_obj, mp_obj_t in_obj, mp_obj_t out_obj) {
    cnn_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const eml_cnn *model = &self->model;
    mp_buffer_info_t in;
    const char kind = eml_get_array(in_obj, &in, MP_BUFFER_READ, "Bf",
        MP_ERROR_TEXT("inputs must be array('B') or array('f')"));
    size_t n_out;
    float *out = eml_get_items(out_obj, MP_BUFFER_WRITE, "f", sizeof(float), &n_out,
        MP_ERROR_TEXT("outputs must be array('f')"));
    if (eml_array_len(&in) != model->n_inputs) {
        mp_raise_ValueError(MP_ERROR_TEXT("inputs must hold height x width x channels values"));
    }
    if (n_out != model->n_outputs) {
        mp_raise_ValueError(MP_ERROR_TEXT("outputs must hold one value per model output"));
    }
    uint8_t *arena = (uint8_t *)self->arena;
    if (kind == 'B') {
        CNN_INPUT_PIXELS(model, arena, in.buf);
    } else {
        CNN_INPUT_FLOATS(model, arena, in.buf);
    }
    CNN_RUN(model, arena, out);
    return MP_OBJ_NEW_SMALL_INT(eml_cnn_argmax(out, model->n_outputs));
}
static MP_DEFINE_CONST_FUN_OBJ_3(cnn_run_obj, cnn_run);

/* A tensor's dimensions as a tuple: (c,), (w, c) or (h, w, c). */
static mp_obj_t dims_tuple(const uint16_t *dims) {
    mp_obj_t items[3];
    const size_t n = dims[0];
    for (size_t i = 0; i < n; i++) {
        items[i] = MP_OBJ_NEW_SMALL_INT(dims[4 - n + i]);
    }
    return mp_obj_new_tuple(n, items);
}

static mp_obj_t cnn_output_dimensions(mp_obj_t self_obj) {
    cnn_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    return dims_tuple(self->model.output->out_dims);
}
static MP_DEFINE_CONST_FUN_OBJ_1(cnn_output_dimensions_obj, cnn_output_dimensions);

static mp_obj_t cnn_input_dimensions(mp_obj_t self_obj) {
    cnn_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    return dims_tuple(eml_cnn_first(&self->model)->in_dims);
}
static MP_DEFINE_CONST_FUN_OBJ_1(cnn_input_dimensions_obj, cnn_input_dimensions);

#define CNN_LOCALS(X) \
    X(MP_QSTR_run, cnn_run_obj) X(MP_QSTR_output_dimensions, cnn_output_dimensions_obj) \
    X(MP_QSTR_input_dimensions, cnn_input_dimensions_obj)
EML_DEFINE_TYPE(cnn_type, MP_QSTR_Model, CNN_LOCALS)

#define CNN_GLOBALS(X) X(MP_QSTR_new, cnn_new_obj)
#define CNN_TYPES(X) X(cnn_type)
