/* emlearn_iir_q15: IIR filters in 16-bit fixed point (CMSIS-DSP's q15 biquads).
 *
 *     f = emlearn_iir_q15.new(array('h', coefficients))   # b0, 0, b1, b2, a1, a2 per section
 *     f = emlearn_iir_q15.new(coefficients, post_shift)   # post_shift 0..12, default 2
 *     f = emlearn_iir_q15.new(coefficients, 2, error_feedback=True)   # see eml_iir_q15.h
 *     f.run(samples)     # array('h'), filtered in place
 *     f.reset()
 *
 * emlearn_mp.iir_q15 (host side) turns scipy's sos into these coefficients.
 */
#include "eml_binding.h"
#include "eml_iir_q15.h"

#define DEFAULT_POST_SHIFT 2    /* emlearn-micropython's, fixed there */

typedef struct {
    mp_obj_base_t base;
    eml_iir_q15 filter;
    int16_t storage[]; /* coefficients, then state */
} iir_q15_obj_t;

EML_DECLARE_TYPE(iir_q15_type);

/* new(coefficients, post_shift=2, error_feedback=False) */
static mp_obj_t iir_q15_new(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_coefficients, ARG_post_shift, ARG_error_feedback };
    /* Built at call time: in a native module qstrs are not compile-time constants. */
    const mp_arg_t allowed[] = {
        { MP_QSTR_coefficients, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_post_shift, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_error_feedback, MP_ARG_BOOL, {.u_bool = false} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    size_t n_values;
    const int16_t *values = eml_get_items(args[ARG_coefficients].u_obj, MP_BUFFER_READ, "h", sizeof(int16_t),
        &n_values, MP_ERROR_TEXT("coefficients must be array('h')"));
    const mp_obj_t post_shift_obj = args[ARG_post_shift].u_obj;
    const mp_int_t post_shift = post_shift_obj != MP_OBJ_NULL ? eml_get_int_in(post_shift_obj, 0,
        EML_IIR_Q15_MAX_POST_SHIFT, MP_ERROR_TEXT("post_shift must be 0 to 12")) : DEFAULT_POST_SHIFT;
    switch (eml_iir_q15_check(values, n_values, post_shift)) {
        case EML_OK:
            break;
        case EML_ERR_SIZE:
            mp_raise_ValueError(MP_ERROR_TEXT("coefficients must hold 6 values per section (b0, 0, b1, b2, a1, a2), 1 to 65535 sections"));
        default:    /* post_shift is in range: the padding */
            mp_raise_ValueError(MP_ERROR_TEXT("the second value of every section must be 0 (layout b0, 0, b1, b2, a1, a2)"));
    }
    const size_t n_sections = n_values / EML_IIR_Q15_VALUES;
    iir_q15_obj_t *self = mp_obj_malloc_var(iir_q15_obj_t, storage, int16_t,
        n_values + n_sections * EML_IIR_Q15_STATES, EML_TYPE_PTR(iir_q15_type));
    eml_iir_q15_init(&self->filter, values, n_values, post_shift, args[ARG_error_feedback].u_bool,
        self->storage, self->storage + n_values);
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(iir_q15_new_obj, 1, iir_q15_new);

static mp_obj_t iir_q15_run(mp_obj_t self_obj, mp_obj_t values_obj) {
    iir_q15_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    size_t n;
    int16_t *values = eml_get_items(values_obj, MP_BUFFER_RW, "h", sizeof(int16_t), &n,
        MP_ERROR_TEXT("values must be array('h')"));
    eml_iir_q15_run(&self->filter, values, n);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(iir_q15_run_obj, iir_q15_run);

static mp_obj_t iir_q15_reset(mp_obj_t self_obj) {
    iir_q15_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    eml_iir_q15_reset(&self->filter);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(iir_q15_reset_obj, iir_q15_reset);

#define IIR_Q15_LOCALS(X) X(MP_QSTR_run, iir_q15_run_obj) X(MP_QSTR_reset, iir_q15_reset_obj)
EML_DEFINE_TYPE(iir_q15_type, MP_QSTR_IIRQ15, IIR_Q15_LOCALS)

#define IIR_Q15_GLOBALS(X) X(MP_QSTR_new, iir_q15_new_obj)
#define IIR_Q15_TYPES(X) X(iir_q15_type)
EML_DEFINE_MODULE(emlearn_iir_q15, IIR_Q15_GLOBALS, IIR_Q15_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_iir_q15, emlearn_iir_q15_user_cmodule);
#endif
