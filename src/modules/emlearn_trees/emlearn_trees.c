/* emlearn_trees: decision tree ensembles (random forests, extra trees,
 * gradient boosting), classification and regression.
 *
 *     model = emlearn_trees.load(data)        # binary model: bytes (used in place), bytearray,
 *                                             # memoryview, or a file path
 *     model = emlearn_trees.new(max_trees, max_nodes, max_leaves)
 *     emlearn_trees.load_model(model, file)   # emlearn CSV, as emlearn-micropython
 *     cls = model.predict(inputs, outputs)    # see docs/emlearn_trees.md
 *
 * Built with EML_TREES_NO_BUILDER and EML_TREES_NO_VALUES (the native module
 * emlearn_trees_lite), the module has only load(), for classifier files, and
 * models only predict, outputs and features: about half the code, which a
 * native module keeps in RAM.
 */
#include "eml_binding.h"
#include "eml_array_fast.h"
#include "eml_trees.h"

typedef struct {
    mp_obj_base_t base;
    eml_trees model;
    eml_trees_builder *builder; /* set for models made by new(), NULL for load() */
    mp_obj_t data;              /* keeps the model's bytes alive */
    float *scratch;             /* n_outputs floats, for predict without outputs */
    mp_obj_t predict;           /* what model.predict gives: see trees_attr */
    bool ready;
} trees_obj_t;

typedef struct {
    mp_obj_base_t base;
    mp_obj_t model;             /* keeps the model alive while predict is held */
} trees_predict_t;

EML_DECLARE_TYPE(trees_type);
EML_DECLARE_TYPE(trees_predict_type);

static size_t eml_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

/* Raise ValueError with one of the core's static reason strings. (Callers
 * store the status before calling check(status, reason): C leaves the order
 * of argument evaluation open, so reason might be read before it is set.) */
static NORETURN void raise_reason(const char *reason) {
    if (!reason) {
        reason = "invalid model";
    }
    mp_raise_type_arg(&mp_type_ValueError, mp_obj_new_str(reason, eml_strlen(reason)));
}

static trees_obj_t *trees_alloc(void) {
    trees_obj_t *self = mp_obj_malloc(trees_obj_t, EML_TYPE_PTR(trees_type));
    self->builder = NULL;
    self->data = mp_const_none;
    self->scratch = NULL;
    self->ready = false;
    trees_predict_t *p = mp_obj_malloc(trees_predict_t, EML_TYPE_PTR(trees_predict_type));
    p->model = MP_OBJ_FROM_PTR(self);
    self->predict = MP_OBJ_FROM_PTR(p);
    return self;
}

/* The model data of the file at path: the file itself when it lends its
 * bytes (a file on a ROMFS partition, whose bytes are in flash), else its
 * contents, read into a bytes object. */
static mp_obj_t read_model_file(mp_obj_t path) {
    mp_obj_t args[2] = { path, MP_OBJ_NEW_QSTR(MP_QSTR_rb) };
    mp_obj_t file = mp_call_function_n_kw(mp_load_global(MP_QSTR_open), 2, 0, args);
    mp_buffer_info_t buf;
    if (mp_get_buffer(file, &buf, MP_BUFFER_READ)) {
        return file;
    }
    mp_obj_t data = mp_call_function_n_kw(mp_load_attr(file, MP_QSTR_read), 0, 0, NULL);
    mp_call_function_n_kw(mp_load_attr(file, MP_QSTR_close), 0, 0, NULL);
    return data;
}

/* load(data): a binary model. Data in a read-only buffer (bytes, a
 * memoryview of bytes, a file on ROMFS or a memoryview of one) cannot change,
 * so it is used in place when 4-byte aligned (a model on ROMFS costs no RAM;
 * docs/emlearn_trees.md says how to align it); anything else is copied into
 * an aligned buffer first, so later writes cannot bypass the validation done
 * here. A str is a path to read. */
static mp_obj_t trees_load(mp_obj_t data_obj) {
    if (mp_obj_is_str(data_obj)) {
        data_obj = read_model_file(data_obj);
    }
    mp_buffer_info_t buf;
    if (!mp_get_buffer(data_obj, &buf, MP_BUFFER_READ)) {
        mp_raise_TypeError(MP_ERROR_TEXT("model must be bytes, bytearray, memoryview or a file path"));
    }
    trees_obj_t *self = trees_alloc();
    const uint8_t *bytes = buf.buf;
    mp_buffer_info_t writable;
    bool in_place = ((uintptr_t)bytes & 3) == 0 && !mp_get_buffer(data_obj, &writable, MP_BUFFER_WRITE);
    if (in_place) {
        self->data = data_obj;
    } else {
        uint32_t *copy = m_new(uint32_t, (buf.len + 3) / 4);
        uint8_t *dst = (uint8_t *)copy;
        for (size_t i = 0; i < buf.len; i++) {
            dst[i] = bytes[i];
        }
        bytes = dst;
        self->data = MP_OBJ_FROM_PTR(copy);
    }
    const char *reason = NULL;
    if (eml_trees_load(&self->model, bytes, buf.len, &reason) != EML_OK) {
        raise_reason(reason);
    }
    self->ready = true;
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_1(trees_load_obj, trees_load);

#ifndef EML_TREES_NO_BUILDER
/* A Python int as int32_t, saturated to +-(2^31 - 1), so that an
 * out-of-range value fails the core's range checks instead of wrapping. A
 * big int (beyond a small int: 31 bits on 32-bit ports, 63 on 64-bit ones)
 * is outside every range the module takes, but mp_obj_get_int would truncate
 * it to a machine word in a native module: only its sign is used. */
static int32_t get_i32(mp_obj_t obj) {
    if (mp_obj_is_exact_type(obj, &mp_type_int)) {
        const bool negative = mp_obj_is_true(mp_binary_op(MP_BINARY_OP_LESS, obj, MP_OBJ_NEW_SMALL_INT(0)));
        return negative ? -0x7fffffff : 0x7fffffff;
    }
    const mp_int_t v = mp_obj_get_int(obj);     /* small int or bool; else TypeError */
    return v > 0x7fffffff ? 0x7fffffff : v < -0x7fffffff ? -0x7fffffff : (int32_t)v;
}

/* new(max_trees, max_nodes, max_leaves): an empty model for the builder calls. */
static mp_obj_t trees_new(size_t n_args, const mp_obj_t *args) {
    const int32_t max_trees = get_i32(args[0]);
    const int32_t max_nodes = get_i32(args[1]);
    const int32_t max_leaves = n_args > 2 ? get_i32(args[2]) : 256;
    if (max_trees < 1 || max_nodes < 0 || max_leaves < 1) {
        mp_raise_ValueError(MP_ERROR_TEXT("capacities must be max_trees >= 1, max_nodes >= 0, max_leaves >= 1"));
    }
    /* the bounds keep the storage size in 31 bits on every port */
    size_t size = eml_trees_builder_storage_size(max_trees, max_nodes, max_leaves);
    if (size == 0 || max_trees > 0x7fffffff / 8 || max_nodes > 0x7fffffff / 16
        || max_leaves > 0x7fffffff / 16) {
        mp_raise_ValueError(MP_ERROR_TEXT("capacities too large"));
    }
    trees_obj_t *self = trees_alloc();
    self->builder = m_new_obj(eml_trees_builder);
    uint32_t *storage = m_new(uint32_t, (size + 3) / 4);
    self->data = MP_OBJ_FROM_PTR(storage);
    if (eml_trees_builder_init(self->builder, storage, size, max_trees, max_nodes, max_leaves) != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("capacities too large"));
    }
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(trees_new_obj, 2, 3, trees_new);

static eml_trees_builder *get_builder(mp_obj_t self_obj) {
    trees_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    if (!self->builder) {
        mp_raise_ValueError(MP_ERROR_TEXT("model was loaded from a binary file and cannot be changed"));
    }
    return self->builder;
}

static void check(eml_status status, const char *reason) {
    if (status != EML_OK) {
        raise_reason(reason);
    }
}

/* setdata(n_features, n_classes[, leaf_bits]): emlearn-micropython's current
 * loader passes leaf_bits; older code passes two arguments. */
static mp_obj_t trees_setdata(size_t n_args, const mp_obj_t *args) {
    eml_trees_builder *b = get_builder(args[0]);
    const int32_t leaf_bits = n_args > 3 ? get_i32(args[3]) : 0;
    const char *reason = NULL;
    const eml_status status = eml_trees_builder_setdata(b, get_i32(args[1]), get_i32(args[2]), leaf_bits, &reason);
    check(status, reason);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(trees_setdata_obj, 3, 4, trees_setdata);

static mp_obj_t trees_addroot(mp_obj_t self_obj, mp_obj_t root) {
    const char *reason = NULL;
    eml_status status = eml_trees_builder_addroot(get_builder(self_obj), get_i32(root), &reason);
    check(status, reason);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(trees_addroot_obj, trees_addroot);

static mp_obj_t trees_addnode(size_t n_args, const mp_obj_t *args) {
    const char *reason = NULL;
    eml_status status = eml_trees_builder_addnode(get_builder(args[0]), get_i32(args[1]),
        get_i32(args[2]), get_i32(args[3]), get_i32(args[4]), &reason);
    check(status, reason);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(trees_addnode_obj, 5, 5, trees_addnode);

static mp_obj_t trees_addleaf(mp_obj_t self_obj, mp_obj_t value) {
    const char *reason = NULL;
    eml_status status = eml_trees_builder_addleaf(get_builder(self_obj), eml_get_float(value), &reason);
    check(status, reason);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(trees_addleaf_obj, trees_addleaf);

/* int(v) of a float, as emlearn-micropython reads a node's value, but
 * saturated like get_i32 where int() would raise OverflowError (inf) or
 * ValueError (nan): the core's range check then rejects it. NaN counts as
 * positive. */
static int32_t float_to_i32(mp_float_t v) {
#if MICROPY_FLOAT_IMPL == MICROPY_FLOAT_IMPL_DOUBLE
    const mp_float_t limit = 2147483648.0;
    if (v > -limit && v < limit) {
        return (int32_t)v;          /* truncates toward zero, as int() does */
    }
    return v < 0 ? -0x7fffffff : 0x7fffffff;
#else
    /* On the bits: float compares and conversions would link libgcc's soft
     * float routines into the module (about 500 bytes on Cortex-M3). */
    const uint32_t b = eml_float_bits(v);
    const uint32_t a = b & 0x7fffffffu;
    if (a >= 0x4f000000u) {         /* |v| >= 2^31, infinite or NaN */
        return ((b >> 31) && a <= 0x7f800000u) ? -0x7fffffff : 0x7fffffff;
    }
    if (a < 0x3f800000u) {          /* |v| < 1 */
        return 0;
    }
    const uint32_t e = (a >> 23) - 127u;            /* 0..30 */
    const uint32_t m = (a & 0x007fffffu) | 0x00800000u;
    const int32_t i = (int32_t)(e >= 23u ? m << (e - 23u) : m >> (23u - e));
    return (b >> 31) ? -i : i;
#endif
}

static mp_obj_t call1(mp_obj_t fun, mp_obj_t arg) {
    return mp_call_function_n_kw(fun, 1, 0, &arg);
}

/* load_model(model, file): feed an emlearn CSV file to the builder, line by
 * line: `f,<n_features>`, `c,<n_classes>`, `lb,<leaf bits>` (also `lf`),
 * `l,<leaf>`, `r,<root>`, `n,<feature>,<value>,<left>,<right>`. The text is
 * taken apart with str.split, int() and float(), so numbers read exactly as
 * in emlearn-micropython's Python loader (a node value is int(float(v))) and
 * a malformed number raises their ValueError. */
static mp_obj_t trees_load_model(mp_obj_t self_obj, mp_obj_t file) {
    eml_trees_builder *b = get_builder(self_obj);
    const mp_obj_t readline = mp_load_attr(file, MP_QSTR_readline);
    const mp_obj_t int_fun = mp_load_global(MP_QSTR_int);
    const mp_obj_t float_fun = mp_load_global(MP_QSTR_float);
    /* a file opened in binary mode gives bytes lines: split them with bytes */
    const mp_obj_t comma = mp_obj_new_str(",", 1);
    const mp_obj_t comma_bytes = mp_obj_new_bytes((const byte *)",", 1);
    int32_t meta[3] = { -1, -1, 0 };    /* n_features, n_classes, leaf bits */
    for (;;) {
        mp_obj_t line = mp_call_function_n_kw(readline, 0, 0, NULL);
        if (!mp_obj_is_true(line)) {
            break;                      /* end of file */
        }
        line = mp_call_function_n_kw(mp_load_attr(line, MP_QSTR_strip), 0, 0, NULL);
        if (!mp_obj_is_true(line)) {
            continue;                   /* blank line */
        }
        size_t n;
        mp_obj_t *tok;
        mp_obj_get_array(call1(mp_load_attr(line, MP_QSTR_split), mp_obj_is_str(line) ? comma : comma_bytes),
            &n, &tok);
        size_t len;
        const char *kind = mp_obj_str_get_data(tok[0], &len);
        const char k0 = len ? kind[0] : 0;
        const char k1 = len > 1 ? kind[1] : 0;
        const bool known = (len == 1 && (k0 == 'f' || k0 == 'c' || k0 == 'l' || k0 == 'r' || k0 == 'n'))
            || (len == 2 && k0 == 'l' && (k1 == 'b' || k1 == 'f'));
        if (!known) {
            continue;                   /* skipped, as emlearn-micropython's loader does */
        }
        if (n != (k0 == 'n' && len == 1 ? 5u : 2u)) {
            mp_raise_ValueError(MP_ERROR_TEXT("CSV line must be f,c,lb,l,r (2 fields) or n (5 fields)"));
        }
        const char *reason = NULL;
        eml_status status = EML_OK;
        if (k0 == 'f' || k0 == 'c' || k1) {
            meta[k0 == 'f' ? 0 : k0 == 'c' ? 1 : 2] = get_i32(call1(int_fun, tok[1]));
            if (meta[0] >= 0 && meta[1] >= 0) {
                status = eml_trees_builder_setdata(b, meta[0], meta[1], meta[2], &reason);
            }
        } else if (meta[0] < 0 || meta[1] < 0) {
            mp_raise_ValueError(MP_ERROR_TEXT("CSV f and c lines must come before l, r and n"));
        } else if (k0 == 'l') {
            status = eml_trees_builder_addleaf(b, eml_get_float(call1(float_fun, tok[1])), &reason);
        } else if (k0 == 'r') {
            status = eml_trees_builder_addroot(b, get_i32(call1(int_fun, tok[1])), &reason);
        } else if (k0 == 'n') {
            const int32_t value = float_to_i32(mp_obj_get_float(call1(float_fun, tok[2])));
            status = eml_trees_builder_addnode(b, get_i32(call1(int_fun, tok[3])),
                get_i32(call1(int_fun, tok[4])), get_i32(call1(int_fun, tok[1])), value, &reason);
        }
        check(status, reason);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(trees_load_model_obj, trees_load_model);
#endif /* EML_TREES_NO_BUILDER */

static trees_obj_t *get_ready(mp_obj_t self_obj) {
    trees_obj_t *self = MP_OBJ_TO_PTR(self_obj);
#ifndef EML_TREES_NO_BUILDER
    if (!self->ready) {
        const char *reason = NULL;
        eml_status status = eml_trees_builder_finish(self->builder, &self->model, &reason);
        check(status, reason);
        self->ready = true;
    }
#endif
    return self;
}

/* predict(inputs[, outputs]): inputs array('h') or array('f') holding one row
 * of n_features values, or n_samples rows back to back. outputs array('f')
 * gets n_outputs values per row (class probabilities or regression values);
 * for batches it may instead be an array('h') of n_samples classes. Returns
 * the class index of a single row for classifiers, else None. outputs is
 * MP_OBJ_NULL when not given. */
static mp_obj_t predict_rows(mp_obj_t self_obj, mp_obj_t inputs, mp_obj_t outputs) {
    trees_obj_t *self = get_ready(self_obj);
    const eml_trees *m = &self->model;
    mp_buffer_info_t in;
    const char in_type = eml_get_array_fast(inputs, &in, MP_BUFFER_READ, "hf",
        MP_ERROR_TEXT("inputs must be array('h') or array('f')"));
    const int is_float = in_type == 'f';
    const size_t n_values = in.len >> (is_float ? 2 : 1);
    const size_t n_features = m->n_features;
    /* One row, the common case, without a division. */
    const size_t n_rows = n_values == n_features ? 1 : n_values / n_features;
    if (n_rows == 0 || n_rows * n_features != n_values) {
        mp_raise_ValueError(MP_ERROR_TEXT("inputs length must be a multiple of the model's n_features"));
    }
    float *out = NULL;
    size_t out_stride = 0;
    int16_t *classes = NULL;
    if (outputs != MP_OBJ_NULL) {
        mp_buffer_info_t ob;
        const char out_type = eml_get_array_fast(outputs, &ob, MP_BUFFER_WRITE, "fh",
            MP_ERROR_TEXT("outputs must be array('f') (or array('h') for batch classes)"));
        /* outputs written over the inputs would change them before they are read */
        const uintptr_t i0 = (uintptr_t)in.buf, o0 = (uintptr_t)ob.buf;
        if (i0 < o0 + ob.len && o0 < i0 + in.len) {
            mp_raise_ValueError(MP_ERROR_TEXT("outputs must not overlap inputs"));
        }
        if (out_type == 'f') {
            /* n_outputs < 2^16, so the product cannot overflow below 2^16 rows */
            const size_t room = ob.len >> 2;
            if (n_rows > 0xffff ? room / m->n_outputs < n_rows : room < n_rows * m->n_outputs) {
                mp_raise_ValueError(MP_ERROR_TEXT("outputs must hold n_outputs values per input row"));
            }
            out = ob.buf;
            out_stride = m->n_outputs;
        } else {
            if ((ob.len >> 1) < n_rows) {
                mp_raise_ValueError(MP_ERROR_TEXT("class outputs must hold one value per input row"));
            }
            classes = ob.buf;
        }
    }
    if (out == NULL) {
        if (self->scratch == NULL) {    /* first call without float outputs */
            self->scratch = m_new(float, m->n_outputs);
        }
        out = self->scratch;
    }
    const size_t in_stride = n_features << (is_float ? 2 : 1);
    const uint8_t *x = in.buf;
    int32_t cls = -1;
    if (classes || outputs == MP_OBJ_NULL) {
        /* Without outputs only the class is wanted, so the votes are not
         * turned into probabilities (on Cortex-M3, 140 instructions fewer). */
        for (size_t row = 0; row < n_rows; row++, x += in_stride) {
            eml_trees_predict_class(m, x, is_float, out, &cls);
            if (classes) {
                classes[row] = (int16_t)cls;
            }
        }
    } else {
        for (size_t row = 0; row < n_rows; row++, x += in_stride) {
            eml_trees_predict(m, x, is_float, out + row * out_stride, &cls);
        }
    }
    return (n_rows == 1 && cls >= 0) ? MP_OBJ_NEW_SMALL_INT(cls) : mp_const_none; /* cls < 65535 */
}

/* Model.predict(model, inputs[, outputs]), the method as the class has it. */
static mp_obj_t trees_predict(size_t n_args, const mp_obj_t *args) {
    return predict_rows(args[0], args[1], n_args > 2 ? args[2] : MP_OBJ_NULL);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(trees_predict_obj, 2, 3, trees_predict);

/* model.predict, looked up on a model, is not a bound method but the
 * model's own object of this type (made with the model, so looking it up
 * never allocates). Calling it goes straight to predict_rows: a bound method
 * would copy the arguments to put the model in front and have their number
 * checked twice on the way. Per call that is 115 Cortex-M3 instructions
 * fewer (5% of a benchmark prediction) and 0.005 us on x64, for 0.23 kB of
 * armv7m .mpy. */
static mp_obj_t trees_predict_call(mp_obj_t fn, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    if (n_kw != 0 || n_args < 1 || n_args > 2) {
        mp_raise_TypeError(MP_ERROR_TEXT("expected predict(inputs[, outputs])"));
    }
    const trees_predict_t *p = MP_OBJ_TO_PTR(fn);
    return predict_rows(p->model, args[0], n_args > 1 ? args[1] : MP_OBJ_NULL);
}
EML_DEFINE_CALL_TYPE(trees_predict_type, MP_QSTR_predict, trees_predict_call)

/* Attribute lookup on a model: predict as above; every other name (and
 * stores, which fail) as the class's method table has it. */
static void trees_attr(mp_obj_t self_obj, qstr attr, mp_obj_t *dest) {
    if (dest[0] == MP_OBJ_NULL && attr == MP_QSTR_predict) {
        const trees_obj_t *self = MP_OBJ_TO_PTR(self_obj);
        dest[0] = self->predict;
        return;
    }
    dest[1] = MP_OBJ_SENTINEL; /* go on to the method table */
}

static mp_obj_t trees_outputs(mp_obj_t self_obj) {
    trees_obj_t *self = MP_OBJ_TO_PTR(self_obj);
#ifndef EML_TREES_NO_BUILDER
    if (!self->ready) {
        /* emlearn-micropython asks before the first prediction, right after
         * load_model: answer from the builder without finishing it. */
        return mp_obj_new_int(eml_trees_builder_outputs(self->builder));
    }
#endif
    return mp_obj_new_int(self->model.n_outputs);
}
static MP_DEFINE_CONST_FUN_OBJ_1(trees_outputs_obj, trees_outputs);

static mp_obj_t trees_features(mp_obj_t self_obj) {
    trees_obj_t *self = get_ready(self_obj);
    return mp_obj_new_int(self->model.n_features);
}
static MP_DEFINE_CONST_FUN_OBJ_1(trees_features_obj, trees_features);

#ifndef EML_TREES_NO_BUILDER
#define TREES_BUILDER_LOCALS(X) \
    X(MP_QSTR_setdata, trees_setdata_obj) \
    X(MP_QSTR_addroot, trees_addroot_obj) \
    X(MP_QSTR_addnode, trees_addnode_obj) \
    X(MP_QSTR_addleaf, trees_addleaf_obj)
#define TREES_BUILDER_GLOBALS(X) \
    X(MP_QSTR_new, trees_new_obj) \
    X(MP_QSTR_load_model, trees_load_model_obj)
#else
#define TREES_BUILDER_LOCALS(X)
#define TREES_BUILDER_GLOBALS(X)
#endif

#define TREES_LOCALS(X) \
    X(MP_QSTR_predict, trees_predict_obj) \
    X(MP_QSTR_outputs, trees_outputs_obj) \
    X(MP_QSTR_features, trees_features_obj) \
    TREES_BUILDER_LOCALS(X)
#define TREES_SLOTS(X) X(attr, trees_attr)
EML_DEFINE_TYPE_SLOTS(trees_type, MP_QSTR_Model, TREES_LOCALS, TREES_SLOTS)

#define TREES_GLOBALS(X) \
    X(MP_QSTR_load, trees_load_obj) \
    TREES_BUILDER_GLOBALS(X)
#define TREES_TYPES(X) X(trees_type) X(trees_predict_type)
EML_DEFINE_MODULE(emlearn_trees, TREES_GLOBALS, TREES_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_trees, emlearn_trees_user_cmodule);
#endif
