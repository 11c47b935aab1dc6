/* emlearn_arrayutils: fast conversions between sensor bytes, int16 and float arrays.
 *
 *     linear_map(inputs, outputs, in_min, in_max, out_min, out_max)
 *     int16_from_bytes(data, outputs, start=0, stride=1, big_endian=False, scale=1.0, offset=0.0)
 */
#include "eml_binding.h"
#include "eml_arrayutils.h"

typedef eml_status (*linear_map_fn)(const void *in, void *out, size_t n,
    float in_min, float in_max, float out_min, float out_max);

static mp_obj_t arrayutils_linear_map(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t in, out;
    const char in_type = eml_get_array(args[0], &in, MP_BUFFER_READ, "fh",
        MP_ERROR_TEXT("inputs must be array('f') or array('h')"));
    const char out_type = eml_get_array(args[1], &out, MP_BUFFER_WRITE, "fh",
        MP_ERROR_TEXT("outputs must be array('f') or array('h')"));
    const size_t n = eml_array_len(&in);
    if (eml_array_len(&out) != n) {
        mp_raise_ValueError(MP_ERROR_TEXT("inputs and outputs must have the same length"));
    }
    linear_map_fn map;
    if (in_type == 'f') {
        map = (linear_map_fn)(out_type == 'f' ? (void *)eml_linear_map_ff : (void *)eml_linear_map_fh);
    } else {
        map = (linear_map_fn)(out_type == 'f' ? (void *)eml_linear_map_hf : (void *)eml_linear_map_hh);
    }
    const eml_status status = map(in.buf, out.buf, n,
        eml_get_float(args[2]), eml_get_float(args[3]),
        eml_get_float(args[4]), eml_get_float(args[5]));
    if (status != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("ranges must be finite, with in_min != in_max"));
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(arrayutils_linear_map_obj, 6, 6, arrayutils_linear_map);

static mp_obj_t arrayutils_int16_from_bytes(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_data, ARG_outputs, ARG_start, ARG_stride, ARG_big_endian, ARG_scale, ARG_offset };
    /* Built at call time: in a native module qstrs are not compile-time constants. */
    const mp_arg_t allowed[] = {
        { MP_QSTR_data, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_outputs, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_start, MP_ARG_INT, {.u_int = 0} },
        { MP_QSTR_stride, MP_ARG_INT, {.u_int = 1} },
        { MP_QSTR_big_endian, MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_scale, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
        { MP_QSTR_offset, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args, pos_args, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);

    mp_buffer_info_t data, out;
    mp_get_buffer_raise(args[ARG_data].u_obj, &data, MP_BUFFER_READ);
    const char out_type = eml_get_array(args[ARG_outputs].u_obj, &out, MP_BUFFER_WRITE, "fh",
        MP_ERROR_TEXT("outputs must be array('f') or array('h')"));
    if (args[ARG_start].u_int < 0 || args[ARG_stride].u_int < 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("start must be >= 0 and stride >= 1"));
    }
    const size_t n_out = eml_array_len(&out);
    const size_t start = args[ARG_start].u_int;
    const size_t stride = args[ARG_stride].u_int;
    size_t needed;
    if (eml_int16_bytes_needed(n_out, start, stride, &needed) != EML_OK || needed > data.len) {
        mp_raise_ValueError(MP_ERROR_TEXT("data too short for that many outputs at this start and stride"));
    }
    const float scale = args[ARG_scale].u_obj == MP_OBJ_NULL ? 1.0f : eml_get_float(args[ARG_scale].u_obj);
    const float offset = args[ARG_offset].u_obj == MP_OBJ_NULL ? 0.0f : eml_get_float(args[ARG_offset].u_obj);
    const int big_endian = args[ARG_big_endian].u_bool;
    eml_status status = out_type == 'f'
        ? eml_int16_from_bytes_f(data.buf, out.buf, n_out, start, stride, big_endian, scale, offset)
        : eml_int16_from_bytes_h(data.buf, out.buf, n_out, start, stride, big_endian, scale, offset);
    if (status != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("scale and offset must be finite"));
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(arrayutils_int16_from_bytes_obj, 2, arrayutils_int16_from_bytes);

#define ARRAYUTILS_GLOBALS(X) \
    X(MP_QSTR_linear_map, arrayutils_linear_map_obj) \
    X(MP_QSTR_int16_from_bytes, arrayutils_int16_from_bytes_obj)
#define ARRAYUTILS_TYPES(X)
EML_DEFINE_MODULE(emlearn_arrayutils, ARRAYUTILS_GLOBALS, ARRAYUTILS_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_arrayutils, emlearn_arrayutils_user_cmodule);
#endif
