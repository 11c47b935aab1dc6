/* A faster eml_get_array for bindings called once per sample or row, where
 * the buffer protocol (about 80 Cortex-M3 instructions per object) is a
 * visible part of the call: an array.array is read directly, inline.
 *
 * Include after eml_binding.h, in one source file per module. A native
 * module's build must also scan this file for qstrs: add it to SRC. */
#ifndef EML_ARRAY_FAST_H
#define EML_ARRAY_FAST_H

#include "eml_binding.h"
#include "py/objarray.h"

/* Hot-path helpers are inlined even at -Os, which would call them. */
#if defined(__GNUC__)
#define EML_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define EML_ALWAYS_INLINE inline
#endif

/* array.array's type. A firmware links it directly; a native module cannot,
 * and learns it from the first array it is given (eml_learn_array_type).
 * Until then (NULL; a native module's bss starts zeroed) there is no fast
 * path. Not static: mpy_ld cannot relocate static bss. */
#if defined(MICROPY_ENABLE_DYNRUNTIME)
const mp_obj_type_t *eml_array_type;
#define EML_ARRAY_TYPE eml_array_type
#define EML_ARRAY_TYPE_KNOWN (eml_array_type != NULL)
#elif MICROPY_PY_ARRAY
#define EML_ARRAY_TYPE (&mp_type_array)
#define EML_ARRAY_TYPE_KNOWN 1
#else
#define EML_ARRAY_TYPE ((const mp_obj_type_t *)NULL)
#define EML_ARRAY_TYPE_KNOWN 0
#endif

/* A native module remembers the type of obj when it is array.array: its
 * buffer function is the one bytearray uses (so its objects are
 * mp_obj_array_t, whatever a user module named `array` might define), and
 * of the types sharing that function (bytearray, array, memoryview) it is
 * the one called array. */
static inline void eml_learn_array_type(mp_obj_t obj) {
#if defined(MICROPY_ENABLE_DYNRUNTIME)
    const mp_obj_type_t *type = mp_obj_get_type(obj);
    if (type->name == MP_QSTR_array && MP_OBJ_TYPE_GET_SLOT_OR_NULL(type, buffer) != NULL
        && MP_OBJ_TYPE_GET_SLOT_OR_NULL(type, buffer)
        == MP_OBJ_TYPE_GET_SLOT_OR_NULL(&mp_type_bytearray, buffer)) {
        eml_array_type = type;
    }
#else
    (void)obj;
#endif
}

/* The typecode if it is one of `typecodes`, else 0. */
static EML_ALWAYS_INLINE char eml_match_typecode(size_t typecode, const char *typecodes) {
    for (const char *t = typecodes; *t; t++) {
        if (typecode == (size_t)*t) {
            return *t;
        }
    }
    return 0;
}

/* The slow path: eml_get_array, and learning the array type. */
#if defined(__GNUC__)
__attribute__((noinline)) /* one copy, not one per call site */
#endif
static char eml_get_buffer_learn(mp_obj_t obj, mp_buffer_info_t *buf, mp_uint_t flags,
    const char *typecodes, mp_rom_error_text_t message) {
    const char typecode = eml_get_array(obj, buf, flags, typecodes, message);
    if (!EML_ARRAY_TYPE_KNOWN) {
        eml_learn_array_type(obj);
    }
    return typecode;
}

/* eml_get_array, with array.array read directly. Its typecode must match
 * exactly; other objects (bytearray, memoryview, whose item offset this
 * would miss, ...) have other types. An array is always writable.
 * `typecodes` may hold only 2-byte (h, H) and 4-byte (f, i, I) codes. */
static EML_ALWAYS_INLINE char eml_get_array_fast(mp_obj_t obj, mp_buffer_info_t *buf,
    mp_uint_t flags, const char *typecodes, mp_rom_error_text_t message) {
    const mp_obj_array_t *a = MP_OBJ_TO_PTR(obj);
    if (EML_ARRAY_TYPE_KNOWN && mp_obj_is_obj(obj) && a->base.type == EML_ARRAY_TYPE) {
        const char typecode = eml_match_typecode(a->typecode, typecodes);
        if (typecode) {
            buf->buf = a->items;
            buf->len = a->len * (typecode == 'h' || typecode == 'H' ? 2 : 4);
            buf->typecode = typecode;
            return typecode;
        }
    }
    return eml_get_buffer_learn(obj, buf, flags, typecodes, message);
}

#endif /* EML_ARRAY_FAST_H */
