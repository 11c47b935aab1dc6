/* emlearn_fft: fast Fourier transform of float arrays, in place.
 *
 *     fft = emlearn_fft.FFT(n)         # n a power of two, 1 to 2^23
 *     fft.run(real, imag)              # array('f') of n values each: numpy.fft.fft
 *     fft.fill(sin, cos)               # your own twiddle tables, n / 2 values each
 *     emlearn_fft.fill(fft, n)         # the module's own tables again
 *
 * emlearn-micropython's FFT needs fill() before run(); here the object
 * computes its tables when it is made, and both fills stay for code
 * written for that module.
 */
#include "eml_binding.h"
#include "eml_fft.h"

typedef struct {
    mp_obj_base_t base;
    size_t n;
    float tables[]; /* sin, then cos: n / 2 floats each */
} fft_obj_t;

EML_DECLARE_TYPE(fft_type);

/* The length argument: a power of two up to EML_FFT_MAX_LENGTH. */
static size_t get_length(mp_obj_t obj) {
    const mp_rom_error_text_t message = MP_ERROR_TEXT("length must be a power of two from 1 to 8388608");
    const mp_int_t n = eml_get_int_in(obj, 1, EML_FFT_MAX_LENGTH, message);
    if (eml_fft_check_length((size_t)n) != EML_OK) {
        mp_raise_ValueError(message);
    }
    return (size_t)n;
}

static mp_obj_t fft_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw,
    const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    const size_t n = get_length(args[0]);
    fft_obj_t *self = mp_obj_malloc_var(fft_obj_t, tables, float, n / 2 * 2, type);
    self->n = n;
    eml_fft_fill(self->tables, self->tables + n / 2, n);
    return MP_OBJ_FROM_PTR(self);
}

/* The float array obj holding exactly n values (flags: read or write). */
static float *get_floats(mp_obj_t obj, size_t n, mp_uint_t flags, mp_rom_error_text_t type_message,
    mp_rom_error_text_t size_message) {
    mp_buffer_info_t buf;
    eml_get_array(obj, &buf, flags, "f", type_message);
    if (buf.len != n * sizeof(float)) {
        mp_raise_ValueError(size_message);
    }
    return buf.buf;
}

/* run(real, imag): the forward transform of real + i imag, in place. */
static mp_obj_t fft_run(mp_obj_t self_obj, mp_obj_t real_obj, mp_obj_t imag_obj) {
    fft_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const size_t n = self->n;
    float *re = get_floats(real_obj, n, MP_BUFFER_RW, MP_ERROR_TEXT("real and imag must be array('f')"),
        MP_ERROR_TEXT("real and imag must each hold as many values as the FFT's length"));
    float *im = get_floats(imag_obj, n, MP_BUFFER_RW, MP_ERROR_TEXT("real and imag must be array('f')"),
        MP_ERROR_TEXT("real and imag must each hold as many values as the FFT's length"));
    const uintptr_t r = (uintptr_t)re, i = (uintptr_t)im, bytes = n * sizeof(float);
    if (r < i + bytes && i < r + bytes) {
        mp_raise_ValueError(MP_ERROR_TEXT("real and imag must not share memory"));
    }
    eml_fft_forward(self->tables, self->tables + n / 2, re, im, n);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(fft_run_obj, fft_run);

/* fill(sin, cos): twiddle tables of the caller's, copied: sin[k] and
 * cos[k] of the angle 2 pi k / n, for k < n / 2. */
static mp_obj_t fft_fill(mp_obj_t self_obj, mp_obj_t sin_obj, mp_obj_t cos_obj) {
    fft_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const size_t half = self->n / 2;
    const float *s = get_floats(sin_obj, half, MP_BUFFER_READ, MP_ERROR_TEXT("sin and cos must be array('f')"),
        MP_ERROR_TEXT("sin and cos must each hold half as many values as the FFT's length"));
    const float *c = get_floats(cos_obj, half, MP_BUFFER_READ, MP_ERROR_TEXT("sin and cos must be array('f')"),
        MP_ERROR_TEXT("sin and cos must each hold half as many values as the FFT's length"));
    for (size_t k = 0; k < half; k++) {
        self->tables[k] = s[k];
        self->tables[half + k] = c[k];
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(fft_fill_obj, fft_fill);

/* emlearn_fft.fill(fft, n): the module's own tables, as made by FFT(n). */
static mp_obj_t fft_module_fill(mp_obj_t fft_obj, mp_obj_t n_obj) {
    if (!mp_obj_is_type(fft_obj, EML_TYPE_PTR(fft_type))) {
        mp_raise_TypeError(MP_ERROR_TEXT("fill(fft, n) needs an emlearn_fft.FFT"));
    }
    fft_obj_t *self = MP_OBJ_TO_PTR(fft_obj);
    if (get_length(n_obj) != self->n) {
        mp_raise_ValueError(MP_ERROR_TEXT("n must be the FFT's length"));
    }
    eml_fft_fill(self->tables, self->tables + self->n / 2, self->n);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(fft_module_fill_obj, fft_module_fill);

#define FFT_LOCALS(X) X(MP_QSTR_run, fft_run_obj) X(MP_QSTR_fill, fft_fill_obj)
#define FFT_SLOTS(X) X(make_new, fft_make_new)
EML_DEFINE_TYPE_SLOTS(fft_type, MP_QSTR_FFT, FFT_LOCALS, FFT_SLOTS)

#define FFT_GLOBALS(X) X(MP_QSTR_FFT, fft_type) X(MP_QSTR_fill, fft_module_fill_obj)
#define FFT_TYPES(X) X(fft_type)
EML_DEFINE_MODULE(emlearn_fft, FFT_GLOBALS, FFT_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_fft, emlearn_fft_user_cmodule);
#endif
