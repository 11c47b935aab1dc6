/* One binding source, two builds.
 *
 * Every module in src/modules is compiled both as a dynamic native module
 * (py/dynruntime.mk defines MICROPY_ENABLE_DYNRUNTIME) and as an external C
 * module linked into a firmware (USER_C_MODULES). The two need differently
 * built type and module tables: a firmware has them as const data in flash,
 * while a native module must fill them in at import time, because qstrs and
 * runtime types are only known once the .mpy is loaded.
 *
 * A binding therefore lists its attributes once, as an X-macro:
 *
 *     #define IIR_LOCALS(X) X(MP_QSTR_run, iir_run_obj) X(MP_QSTR_reset, iir_reset_obj)
 *     EML_DEFINE_TYPE(iir_type, MP_QSTR_IIR, IIR_LOCALS)
 *
 *     #define IIR_GLOBALS(X) X(MP_QSTR_new, iir_new_obj)
 *     #define IIR_TYPES(X) X(iir_type)
 *     EML_DEFINE_MODULE(emlearn_iir, IIR_GLOBALS, IIR_TYPES)
 *
 * and these macros expand it into whichever tables the build needs. A type
 * that needs more than a method table lists its other slots the same way,
 *
 *     #define TREES_SLOTS(X) X(attr, trees_attr)
 *     EML_DEFINE_TYPE_SLOTS(trees_type, MP_QSTR_Model, TREES_LOCALS, TREES_SLOTS)
 *
 * EML_DEFINE_CALL_TYPE defines a type whose objects are callable, with
 * just a call slot, and EML_DEFINE_ITER_TYPE an iterator type: its objects
 * are their own iterator, and iternext_fn returns their next item or
 * MP_OBJ_STOP_ITERATION.
 * qstrs are spelled out in full (MP_QSTR_run, not pasted from `run`) because
 * the native-module build finds them by scanning the source text.
 */
#ifndef EML_BINDING_H
#define EML_BINDING_H

#if defined(MICROPY_ENABLE_DYNRUNTIME)
#include "py/dynruntime.h"
#else
#include "py/runtime.h"
#include "py/obj.h"
#endif

#include "eml_common.h"

#define EML_NO_SLOTS(X)
#define EML_DEFINE_TYPE(type_obj, type_qstr, LOCALS) \
    EML_DEFINE_TYPE_SLOTS(type_obj, type_qstr, LOCALS, EML_NO_SLOTS)

/* Declare a type before the functions that create its objects use it. */
#define EML_DECLARE_TYPE(type_obj) EML_TYPE_STORAGE type_obj
#define EML_TYPE_PTR(type_obj) ((const mp_obj_type_t *)&(type_obj))

#if defined(MICROPY_ENABLE_DYNRUNTIME)

#define EML_TYPE_STORAGE mp_obj_full_type_t
#define EML_COUNT_ENTRY(qstr_name, obj) +1
#define EML_STORE_LOCAL(qstr_name, obj) \
    table[i++] = (mp_map_elem_t) { MP_OBJ_NEW_QSTR(qstr_name), MP_OBJ_FROM_PTR(&obj) };

#define EML_SET_SLOT(slot, fn) MP_OBJ_TYPE_SET_SLOT(t, slot, fn, n); n++;

#define EML_DEFINE_TYPE_SLOTS(type_obj, type_qstr, LOCALS, SLOTS) \
    mp_obj_full_type_t type_obj; \
    /* not static: mpy_ld cannot relocate static bss */ \
    mp_map_elem_t type_obj##_locals_table[0 LOCALS(EML_COUNT_ENTRY)]; \
    static MP_DEFINE_CONST_DICT(type_obj##_locals_dict, type_obj##_locals_table); \
    static void type_obj##_init(void) { \
        mp_map_elem_t *table = type_obj##_locals_table; \
        mp_obj_full_type_t *t = &type_obj; \
        size_t i = 0, n = 1; \
        t->base.type = (void *)&mp_type_type; \
        t->name = type_qstr; \
        LOCALS(EML_STORE_LOCAL) \
        MP_OBJ_TYPE_SET_SLOT(t, locals_dict, (void *)&type_obj##_locals_dict, 0); \
        SLOTS(EML_SET_SLOT) \
        (void)n; \
    }

#define EML_DEFINE_CALL_TYPE(type_obj, type_qstr, call_fn) \
    mp_obj_full_type_t type_obj; \
    static void type_obj##_init(void) { \
        type_obj.base.type = (void *)&mp_type_type; \
        type_obj.name = type_qstr; \
        MP_OBJ_TYPE_SET_SLOT(&type_obj, call, call_fn, 0); \
    }

#define EML_DEFINE_ITER_TYPE(type_obj, type_qstr, iternext_fn) \
    mp_obj_full_type_t type_obj; \
    static void type_obj##_init(void) { \
        type_obj.base.type = (void *)&mp_type_type; \
        type_obj.flags = MP_TYPE_FLAG_ITER_IS_ITERNEXT; \
        type_obj.name = type_qstr; \
        MP_OBJ_TYPE_SET_SLOT(&type_obj, iter, iternext_fn, 0); \
    }

#define EML_INIT_TYPE(type_obj) type_obj##_init();
#define EML_STORE_GLOBAL(qstr_name, obj) mp_store_global(qstr_name, MP_OBJ_FROM_PTR(&obj));

/* The compiler may emit memset/memcpy calls (struct initialisers, copies);
 * a native module links no libc, so route them to the firmware's. RISC-V
 * builds link picolibc's libc.a (LINK_RUNTIME), which has its own. */
#if defined(__riscv)
#define EML_LIBC_SHIMS
#else
#define EML_LIBC_SHIMS \
    void *memset(void *s, int c, size_t n) { return mp_fun_table.memset_(s, c, n); } \
    void *memcpy(void *d, const void *s, size_t n) { return mp_fun_table.memmove_(d, s, n); } \
    void *memmove(void *d, const void *s, size_t n) { return mp_fun_table.memmove_(d, s, n); }
#endif

#define EML_DEFINE_MODULE(module_name, GLOBALS, TYPES) \
    EML_LIBC_SHIMS \
    mp_obj_t mpy_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) { \
        MP_DYNRUNTIME_INIT_ENTRY \
        TYPES(EML_INIT_TYPE) \
        GLOBALS(EML_STORE_GLOBAL) \
        MP_DYNRUNTIME_INIT_EXIT \
    }

#else /* firmware module */

#define EML_TYPE_STORAGE extern const mp_obj_type_t
#define EML_ROM_ENTRY(qstr_name, obj) { MP_ROM_QSTR(qstr_name), MP_ROM_PTR(&obj) },

#define EML_SLOT_ARGS(slot, fn) , slot, fn

#define EML_DEFINE_TYPE_SLOTS(type_obj, type_qstr, LOCALS, SLOTS) \
    static const mp_rom_map_elem_t type_obj##_locals_table[] = { LOCALS(EML_ROM_ENTRY) }; \
    static MP_DEFINE_CONST_DICT(type_obj##_locals_dict, type_obj##_locals_table); \
    MP_DEFINE_CONST_OBJ_TYPE(type_obj, type_qstr, MP_TYPE_FLAG_NONE, \
    locals_dict, &type_obj##_locals_dict SLOTS(EML_SLOT_ARGS));

#define EML_DEFINE_CALL_TYPE(type_obj, type_qstr, call_fn) \
    MP_DEFINE_CONST_OBJ_TYPE(type_obj, type_qstr, MP_TYPE_FLAG_NONE, call, call_fn);

#define EML_DEFINE_ITER_TYPE(type_obj, type_qstr, iternext_fn) \
    MP_DEFINE_CONST_OBJ_TYPE(type_obj, type_qstr, MP_TYPE_FLAG_ITER_IS_ITERNEXT, iter, iternext_fn);

#define EML_DEFINE_MODULE(module_name, GLOBALS, TYPES) \
    static const mp_rom_map_elem_t module_name##_globals_table[] = { \
        { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_##module_name) }, \
        GLOBALS(EML_ROM_ENTRY) \
    }; \
    static MP_DEFINE_CONST_DICT(module_name##_globals, module_name##_globals_table); \
    const mp_obj_module_t module_name##_user_cmodule = { \
        .base = { &mp_type_module }, \
        .globals = (mp_obj_dict_t *)&module_name##_globals, \
    };

#endif

/* Buffer access with the checks every binding needs: the object must expose
 * a buffer whose typecode is one of `typecodes` (e.g. "fh"); raises TypeError
 * with `message` otherwise. Returns the typecode found. (eml_array_fast.h
 * has a faster variant for bindings called per sample or per row.) */
static inline char eml_get_array(mp_obj_t obj, mp_buffer_info_t *buf, mp_uint_t flags,
    const char *typecodes, mp_rom_error_text_t message) {
    if (!mp_get_buffer(obj, buf, flags)) {
        mp_raise_TypeError(message);
    }
    for (const char *t = typecodes; *t; t++) {
        if (buf->typecode == *t) {
            return *t;
        }
    }
    mp_raise_TypeError(message);
}

/* The items of obj, an array whose typecode is one of `typecodes`, all of
 * item_size bytes: their address, and their number in *n. TypeError with
 * message otherwise (see eml_get_array). */
static inline void *eml_get_items(mp_obj_t obj, mp_uint_t flags, const char *typecodes, size_t item_size,
    size_t *n, mp_rom_error_text_t message) {
    mp_buffer_info_t buf;
    eml_get_array(obj, &buf, flags, typecodes, message);
    *n = buf.len / item_size;
    return buf.buf;
}

/* A Python int in [low, high], else ValueError(message); TypeError if obj
 * is no int. A big int (past a small int) is outside every range a binding
 * takes, and mp_obj_get_int would truncate it to a machine word in a native
 * module, so it is refused first. Out of line: one copy per module, however
 * many calls (unused: not every module calls it). */
static __attribute__((noinline, unused)) mp_int_t eml_get_int_in(mp_obj_t obj, mp_int_t low, mp_int_t high,
    mp_rom_error_text_t message) {
    mp_int_t v = low - 1;
    if (!mp_obj_is_exact_type(obj, &mp_type_int)) {
        v = mp_obj_get_int(obj);    /* small int or bool; else TypeError */
    }
    if (v < low || v > high) {
        mp_raise_ValueError(message);
    }
    return v;
}

/* A Python number as single-precision float, whatever the port's float type. */
static inline float eml_get_float(mp_obj_t obj) {
    return (float)mp_obj_get_float(obj);
}

/* Number of elements in a buffer of 1, 2 or 4 byte items. */
static inline size_t eml_array_len(const mp_buffer_info_t *buf) {
    switch (buf->typecode) {
        case 'h': case 'H': return buf->len / 2;
        case 'f': case 'i': case 'I': case 'l': case 'L': return buf->len / 4;
        default: return buf->len;
    }
}

/* A new array.array of typecode `typecode` holding a copy of n_bytes bytes
 * at data. The array type comes from the array module: a native module
 * cannot link it. The caller passes MP_QSTR_array (the module's and the
 * type's name): the native-module build finds qstrs in a module's own
 * source, not in this header. (Unused: not every module calls it.) */
static __attribute__((unused)) mp_obj_t eml_new_array(qstr array_qstr, const char *typecode, void *data,
    size_t n_bytes) {
    mp_obj_t module = mp_import_name(array_qstr, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
    mp_obj_t args[2] = { mp_obj_new_str(typecode, 1), mp_obj_new_bytearray_by_ref(n_bytes, data) };
    return mp_call_function_n_kw(mp_load_attr(module, array_qstr), 2, 0, args);
}

#endif /* EML_BINDING_H */
