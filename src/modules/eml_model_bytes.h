/* Model bytes for a binding's loader, from a buffer or a file path.
 * Separate from eml_binding.h because its qstr (MP_QSTR_rb) must be scanned
 * in every module that includes it: a module's Makefile lists this file in
 * SRC. */
#ifndef EML_MODEL_BYTES_H
#define EML_MODEL_BYTES_H

#include "eml_binding.h"

/* The bytes of a model file given as a buffer or as a path (str). Data in
 * a read-only buffer (bytes, a memoryview of bytes, a file on ROMFS or a
 * memoryview of one) cannot change, so it is used in place when 4-byte
 * aligned (a model in flash costs no RAM); anything else is copied into a
 * new aligned block, so later writes cannot undo a loader's validation.
 * *keep is the object holding the bytes, for the model to keep alive; *size
 * their number. TypeError(message) if data_obj has no bytes. */
static const uint8_t *eml_model_bytes(mp_obj_t data_obj, mp_obj_t *keep, size_t *size,
    mp_rom_error_text_t message) {
    mp_buffer_info_t buf;
    if (mp_obj_is_str(data_obj)) {
        mp_obj_t args[2] = { data_obj, MP_OBJ_NEW_QSTR(MP_QSTR_rb) };
        mp_obj_t file = mp_call_function_n_kw(mp_load_global(MP_QSTR_open), 2, 0, args);
        if (mp_get_buffer(file, &buf, MP_BUFFER_READ)) {
            data_obj = file;    /* a file that lends its bytes: on ROMFS */
        } else {
            data_obj = mp_call_function_n_kw(mp_load_attr(file, MP_QSTR_read), 0, 0, NULL);
            mp_call_function_n_kw(mp_load_attr(file, MP_QSTR_close), 0, 0, NULL);
        }
    }
    if (!mp_get_buffer(data_obj, &buf, MP_BUFFER_READ)) {
        mp_raise_TypeError(message);
    }
    *size = buf.len;
    mp_buffer_info_t writable;
    if (((uintptr_t)buf.buf & 3) == 0 && !mp_get_buffer(data_obj, &writable, MP_BUFFER_WRITE)) {
        *keep = data_obj;
        return buf.buf;
    }
    uint32_t *copy = m_new(uint32_t, (buf.len + 3) / 4);
    const uint8_t *from = buf.buf;
    uint8_t *to = (uint8_t *)copy;
    for (size_t i = 0; i < buf.len; i++) {
        to[i] = from[i];
    }
    *keep = MP_OBJ_FROM_PTR(copy);
    return to;
}

#endif /* EML_MODEL_BYTES_H */
