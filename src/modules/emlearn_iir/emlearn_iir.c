/* emlearn_iir: IIR filters as cascades of second-order sections.
 *
 *     f = emlearn_iir.new(array('f', sos.flatten()))   # scipy sos layout
 *     f.run(samples)     # array('f') or array('h'), filtered in place
 *     f.reset()
 */
#include "eml_binding.h"
#include "eml_iir.h"

typedef struct {
    mp_obj_base_t base;
    eml_iir filter;
    float storage[]; /* coefficients, then state */
} iir_obj_t;

EML_DECLARE_TYPE(iir_type);

static mp_obj_t iir_new(mp_obj_t coefficients_obj) {
    mp_buffer_info_t sos;
    eml_get_array(coefficients_obj, &sos, MP_BUFFER_READ, "f",
        MP_ERROR_TEXT("coefficients must be array('f')"));
    const size_t n_values = sos.len / sizeof(float);
    switch (eml_iir_check_sos(sos.buf, n_values)) {
        case EML_OK:
            break;
        case EML_ERR_SIZE:
            mp_raise_ValueError(MP_ERROR_TEXT("coefficients must hold 6 values per section (b0, b1, b2, a0, a1, a2), 1 to 65535 sections"));
        default:
            mp_raise_ValueError(MP_ERROR_TEXT("coefficients must be finite, with a0 == 1 in every section"));
    }
    const size_t n_sections = n_values / EML_IIR_SOS_VALUES;
    const size_t n_coefficients = n_sections * EML_IIR_COEFFS;
    iir_obj_t *self = mp_obj_malloc_var(iir_obj_t, storage, float,
        n_coefficients + n_sections * EML_IIR_STATES, EML_TYPE_PTR(iir_type));
    eml_iir_init(&self->filter, sos.buf, n_values, self->storage, self->storage + n_coefficients);
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_1(iir_new_obj, iir_new);

static mp_obj_t iir_run(mp_obj_t self_obj, mp_obj_t values_obj) {
    iir_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    mp_buffer_info_t values;
    char typecode = eml_get_array(values_obj, &values, MP_BUFFER_RW, "fh",
        MP_ERROR_TEXT("values must be array('f') or array('h')"));
    if (typecode == 'f') {
        eml_iir_run_float(&self->filter, values.buf, values.len / sizeof(float));
    } else {
        eml_iir_run_int16(&self->filter, values.buf, values.len / sizeof(int16_t));
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(iir_run_obj, iir_run);

static mp_obj_t iir_reset(mp_obj_t self_obj) {
    iir_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    eml_iir_reset(&self->filter);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(iir_reset_obj, iir_reset);

#define IIR_LOCALS(X) X(MP_QSTR_run, iir_run_obj) X(MP_QSTR_reset, iir_reset_obj)
EML_DEFINE_TYPE(iir_type, MP_QSTR_IIR, IIR_LOCALS)

#define IIR_GLOBALS(X) X(MP_QSTR_new, iir_new_obj)
#define IIR_TYPES(X) X(iir_type)
EML_DEFINE_MODULE(emlearn_iir, IIR_GLOBALS, IIR_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_iir, emlearn_iir_user_cmodule);
#endif
