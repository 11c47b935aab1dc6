/* emlearn_kmeans: k-means clustering (Lloyd's algorithm), as emlearn-micropython's
 * module of that name, for uint8, int16 and float data.
 *
 *     index, distance = emlearn_kmeans.euclidean_argmin(vectors, point)
 *     for changes in emlearn_kmeans.cluster_iter(values, centroids, assignments, features,
 *                                                max_iter=10, stop_changes=0):
 *         ...                          # each pass's number of changed assignments
 *     assignments = emlearn_kmeans.cluster(values, centroids, features, max_iter=10,
 *                                          stop_changes=0)
 *
 * Arrays are flat, one row of `features` values after another, all of one type:
 * array('B') / bytearray / bytes, array('h') or array('f'). Centroids are updated in
 * place. Semantics in eml_kmeans.h; the whole loop runs here in C, where emlearn-
 * micropython runs it in Python around a C argmin.
 */
#include "eml_binding.h"
#include "eml_kmeans.h"

#define DEFAULT_MAX_ITER 10
#define INT_LIMIT 0x3fffffff    /* max_iter and stop_changes: a small int on every port */

typedef enum { KIND_U8, KIND_I16, KIND_F32 } kind_t;

/* uint8 as array('B'), bytes and memoryview ('B'), or bytearray (typecode 1). */
static const char TYPECODES[] = { 'B', 1, 'h', 'f', 0 };

typedef struct {
    void *items;
    size_t n;
    kind_t kind;
} items_t;

/* The items of an array of one of TYPECODES; writable when `flags` says so. */
static items_t get_items(mp_obj_t obj, mp_uint_t flags, mp_rom_error_text_t message) {
    /* A str lends its bytes as 'B' too, but text is no data. */
    if (mp_obj_is_str(obj)) {
        mp_raise_TypeError(message);
    }
    mp_buffer_info_t buf;
    const char typecode = eml_get_array(obj, &buf, flags, TYPECODES, message);
    items_t items = { buf.buf, buf.len, KIND_U8 };
    if (typecode == 'h') {
        items.kind = KIND_I16;
        items.n = buf.len / 2;
    } else if (typecode == 'f') {
        items.kind = KIND_F32;
        items.n = buf.len / 4;
    }
    return items;
}

/* An unsigned 64-bit value as a Python int (a native module has no
 * mp_obj_new_int_from_ull): high and low halves combined. */
static mp_obj_t new_uint64(uint64_t v) {
    if (v <= INT_LIMIT) {
        return MP_OBJ_NEW_SMALL_INT((mp_int_t)v);
    }
    mp_obj_t high = mp_obj_new_int_from_uint((mp_uint_t)(v >> 32));
    mp_obj_t shifted = mp_binary_op(MP_BINARY_OP_LSHIFT, high, MP_OBJ_NEW_SMALL_INT(32));
    return mp_binary_op(MP_BINARY_OP_ADD, shifted, mp_obj_new_int_from_uint((mp_uint_t)(uint32_t)v));
}

/* euclidean_argmin(vectors, point) -> (index, squared distance) */
static mp_obj_t kmeans_euclidean_argmin(mp_obj_t vectors_obj, mp_obj_t point_obj) {
    const items_t vectors = get_items(vectors_obj, MP_BUFFER_READ,
        MP_ERROR_TEXT("vectors must be array('B'), bytearray, bytes, array('h') or array('f')"));
    const items_t point = get_items(point_obj, MP_BUFFER_READ,
        MP_ERROR_TEXT("point must be array('B'), bytearray, bytes, array('h') or array('f')"));
    if (point.kind != vectors.kind) {
        mp_raise_TypeError(MP_ERROR_TEXT("vectors and point must hold the same type"));
    }
    if (point.n == 0 || point.n > EML_KMEANS_MAX_FEATURES || vectors.n == 0 || vectors.n % point.n != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("point must hold 1 to 65535 values, vectors a whole number (1 or more) of points"));
    }
    const uint32_t n_features = (uint32_t)point.n;
    const uint32_t n_vectors = (uint32_t)(vectors.n / point.n);
    uint32_t index;
    mp_obj_t distance;
    if (point.kind == KIND_U8) {
        uint32_t d;
        index = eml_kmeans_nearest_u8(vectors.items, n_vectors, point.items, n_features, &d);
        distance = mp_obj_new_int_from_uint(d);
    } else if (point.kind == KIND_I16) {
        uint64_t d;
        index = eml_kmeans_nearest_i16(vectors.items, n_vectors, point.items, n_features, &d);
        distance = new_uint64(d);
    } else {
        float d;
        index = eml_kmeans_nearest_f32(vectors.items, n_vectors, point.items, n_features, &d);
        distance = mp_obj_new_float(d);
    }
    mp_obj_t result[2] = { mp_obj_new_int_from_uint(index), distance };
    return mp_obj_new_tuple(2, result);
}
static MP_DEFINE_CONST_FUN_OBJ_2(kmeans_euclidean_argmin_obj, kmeans_euclidean_argmin);

/* The iterator cluster_iter returns. The arrays are the caller's and are read
 * again at every step: Python code may resize them in between. */
typedef enum { STATE_ASSIGN, STATE_UPDATE, STATE_DONE } state_t;

typedef struct {
    mp_obj_base_t base;
    mp_obj_t values;
    mp_obj_t centroids;
    mp_obj_t assignments;
    uint32_t n_samples;
    uint32_t n_clusters;
    uint32_t n_features;
    kind_t kind;
    state_t state;
    mp_int_t passes_left;
    mp_int_t stop_changes;
    uint64_t scratch[];     /* the update's sums (n_clusters * n_features), then counts */
} kmeans_iter_obj_t;

typedef struct {
    items_t values;
    items_t centroids;
    items_t labels;
} arrays_t;

static arrays_t get_arrays(mp_obj_t values_obj, mp_obj_t centroids_obj, mp_obj_t assignments_obj) {
    arrays_t a;
    a.values = get_items(values_obj, MP_BUFFER_READ,
        MP_ERROR_TEXT("values must be array('B'), bytearray, bytes, array('h') or array('f')"));
    a.centroids = get_items(centroids_obj, MP_BUFFER_RW,
        MP_ERROR_TEXT("centroids must be a writable array of the values' type"));
    a.labels = get_items(assignments_obj, MP_BUFFER_RW,
        MP_ERROR_TEXT("assignments must be array('B') or bytearray"));
    if (a.centroids.kind != a.values.kind) {
        mp_raise_TypeError(MP_ERROR_TEXT("centroids must be a writable array of the values' type"));
    }
    if (a.labels.kind != KIND_U8) {
        mp_raise_TypeError(MP_ERROR_TEXT("assignments must be array('B') or bytearray"));
    }
    return a;
}

EML_DECLARE_TYPE(kmeans_iter_type);

static mp_obj_t kmeans_iter_new(mp_obj_t values_obj, mp_obj_t centroids_obj, mp_obj_t assignments_obj,
    mp_obj_t features_obj, mp_int_t max_iter, mp_int_t stop_changes) {
    const arrays_t a = get_arrays(values_obj, centroids_obj, assignments_obj);
    const mp_int_t features = eml_get_int_in(features_obj, 1, EML_KMEANS_MAX_FEATURES,
        MP_ERROR_TEXT("features must be 1 to 65535"));
    if (a.values.n % features != 0 || a.centroids.n % features != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("values and centroids must hold whole rows of features values"));
    }
    const size_t n_samples = a.values.n / features;
    const size_t n_clusters = a.centroids.n / features;
    if (n_clusters == 0 || n_clusters > EML_KMEANS_MAX_CLUSTERS || n_samples > EML_KMEANS_MAX_SAMPLES) {
        mp_raise_ValueError(MP_ERROR_TEXT("centroids must hold 1 to 255 rows, values at most 16777216"));
    }
    if (a.labels.n != n_samples) {
        mp_raise_ValueError(MP_ERROR_TEXT("assignments must hold one value per row of values"));
    }
    /* uint8 sums fit in uint32 and float sums are float; int16 sums need 64 bits. */
    const size_t sum_bytes = a.values.kind == KIND_I16 ? sizeof(int64_t) : sizeof(uint32_t);
    const size_t scratch_bytes = n_clusters * (features * sum_bytes + sizeof(uint32_t));
    kmeans_iter_obj_t *self = mp_obj_malloc_var(kmeans_iter_obj_t, scratch, uint64_t,
        (scratch_bytes + 7) / 8, EML_TYPE_PTR(kmeans_iter_type));
    self->values = values_obj;
    self->centroids = centroids_obj;
    self->assignments = assignments_obj;
    self->n_samples = (uint32_t)n_samples;
    self->n_clusters = (uint32_t)n_clusters;
    self->n_features = (uint32_t)features;
    self->kind = a.values.kind;
    self->state = STATE_ASSIGN;
    self->passes_left = max_iter;
    self->stop_changes = stop_changes;
    return MP_OBJ_FROM_PTR(self);
}

/* Move the centroids to their samples' means; ValueError if an assignment
 * is not a cluster (Python code wrote it since the last pass). */
static void update(kmeans_iter_obj_t *self, const arrays_t *a) {
    const uint32_t n = self->n_samples, k = self->n_clusters, f = self->n_features;
    const uint8_t *labels = a->labels.items;
    void *sums = self->scratch;
    uint32_t *counts;
    eml_status status;
    if (self->kind == KIND_U8) {
        counts = (uint32_t *)sums + (size_t)k * f;
        status = eml_kmeans_update_u8(a->values.items, n, labels, a->centroids.items, k, f, sums, counts);
    } else if (self->kind == KIND_I16) {
        counts = (uint32_t *)((int64_t *)sums + (size_t)k * f);
        status = eml_kmeans_update_i16(a->values.items, n, labels, a->centroids.items, k, f, sums, counts);
    } else {
        counts = (uint32_t *)((float *)sums + (size_t)k * f);
        status = eml_kmeans_update_f32(a->values.items, n, labels, a->centroids.items, k, f, sums, counts);
    }
    if (status != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("assignments must be below the number of clusters"));
    }
}

/* One pass: label every sample; the number of labels changed. */
static uint32_t assign(const kmeans_iter_obj_t *self, const arrays_t *a) {
    const uint32_t n = self->n_samples, k = self->n_clusters, f = self->n_features;
    uint8_t *labels = a->labels.items;
    if (self->kind == KIND_U8) {
        return eml_kmeans_assign_u8(a->values.items, n, a->centroids.items, k, f, labels);
    } else if (self->kind == KIND_I16) {
        return eml_kmeans_assign_i16(a->values.items, n, a->centroids.items, k, f, labels);
    }
    return eml_kmeans_assign_f32(a->values.items, n, a->centroids.items, k, f, labels);
}

/* next(): update the centroids after the previous pass (unless it was the
 * last), then a pass; emlearn-micropython's generator, step for step:
 *     for i in range(max_iter):
 *         assign; yield changes
 *         if changes <= stop_changes: break
 *         update */
static mp_obj_t kmeans_iter_next(mp_obj_t self_obj) {
    kmeans_iter_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    if (self->state == STATE_DONE) {
        return MP_OBJ_STOP_ITERATION;
    }
    const arrays_t a = get_arrays(self->values, self->centroids, self->assignments);
    if (a.values.kind != self->kind || a.values.n != (size_t)self->n_samples * self->n_features
        || a.centroids.n != (size_t)self->n_clusters * self->n_features || a.labels.n != self->n_samples) {
        mp_raise_ValueError(MP_ERROR_TEXT("values, centroids or assignments changed type or size"));
    }
    if (self->state == STATE_UPDATE) {
        update(self, &a);
        self->state = STATE_ASSIGN;
    }
    if (self->passes_left <= 0) {
        self->state = STATE_DONE;
        return MP_OBJ_STOP_ITERATION;
    }
    const uint32_t changes = assign(self, &a);
    self->passes_left--;
    self->state = (mp_int_t)changes <= self->stop_changes ? STATE_DONE : STATE_UPDATE;
    return mp_obj_new_int_from_uint(changes);
}

EML_DEFINE_ITER_TYPE(kmeans_iter_type, MP_QSTR_cluster_iter, kmeans_iter_next)

/* max_iter and stop_changes, by position after the `n_required` arguments or by keyword. */
static void parse_options(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args, size_t n_required,
    mp_int_t *max_iter, mp_int_t *stop_changes) {
    enum { ARG_max_iter, ARG_stop_changes };
    /* Built at call time: in a native module qstrs are not compile-time constants. */
    const mp_arg_t allowed[] = {
        { MP_QSTR_max_iter, MP_ARG_OBJ, {.u_obj = MP_OBJ_NEW_SMALL_INT(DEFAULT_MAX_ITER)} },
        { MP_QSTR_stop_changes, MP_ARG_OBJ, {.u_obj = MP_OBJ_NEW_SMALL_INT(0)} },
    };
    mp_arg_val_t args[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args - n_required, pos_args + n_required, kw_args, MP_ARRAY_SIZE(allowed), allowed, args);
    *max_iter = eml_get_int_in(args[ARG_max_iter].u_obj, -INT_LIMIT, INT_LIMIT,
        MP_ERROR_TEXT("max_iter must be an int within +-(2**30 - 1)"));
    *stop_changes = eml_get_int_in(args[ARG_stop_changes].u_obj, -INT_LIMIT, INT_LIMIT,
        MP_ERROR_TEXT("stop_changes must be an int within +-(2**30 - 1)"));
}

/* cluster_iter(values, centroids, assignments, features, max_iter=10, stop_changes=0) */
static mp_obj_t kmeans_cluster_iter(size_t n_args, const mp_obj_t *args, mp_map_t *kw_args) {
    mp_int_t max_iter, stop_changes;
    parse_options(n_args, args, kw_args, 4, &max_iter, &stop_changes);
    return kmeans_iter_new(args[0], args[1], args[2], args[3], max_iter, stop_changes);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(kmeans_cluster_iter_obj, 4, kmeans_cluster_iter);

/* A new array('B') of n values 255 (EML_KMEANS_UNASSIGNED). */
static mp_obj_t new_unassigned(size_t n) {
    uint8_t *initial = m_new(uint8_t, n);
    for (size_t i = 0; i < n; i++) {
        initial[i] = EML_KMEANS_UNASSIGNED;
    }
    mp_obj_t array = eml_new_array(MP_QSTR_array, "B", initial, n);
    m_del(uint8_t, initial, n);
    return array;
}

/* cluster(values, centroids, features, max_iter=10, stop_changes=0) -> assignments */
static mp_obj_t kmeans_cluster(size_t n_args, const mp_obj_t *args, mp_map_t *kw_args) {
    mp_int_t max_iter, stop_changes;
    parse_options(n_args, args, kw_args, 3, &max_iter, &stop_changes);
    const items_t values = get_items(args[0], MP_BUFFER_READ,
        MP_ERROR_TEXT("values must be array('B'), bytearray, bytes, array('h') or array('f')"));
    const mp_int_t features = eml_get_int_in(args[2], 1, EML_KMEANS_MAX_FEATURES,
        MP_ERROR_TEXT("features must be 1 to 65535"));
    mp_obj_t assignments = new_unassigned(values.n / features);
    mp_obj_t iter = kmeans_iter_new(args[0], args[1], assignments, args[2], max_iter, stop_changes);
    while (kmeans_iter_next(iter) != MP_OBJ_STOP_ITERATION) {
    }
    return assignments;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(kmeans_cluster_obj, 3, kmeans_cluster);

#define KMEANS_GLOBALS(X) \
    X(MP_QSTR_euclidean_argmin, kmeans_euclidean_argmin_obj) \
    X(MP_QSTR_cluster_iter, kmeans_cluster_iter_obj) \
    X(MP_QSTR_cluster, kmeans_cluster_obj)
#define KMEANS_TYPES(X) X(kmeans_iter_type)
EML_DEFINE_MODULE(emlearn_kmeans, KMEANS_GLOBALS, KMEANS_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_kmeans, emlearn_kmeans_user_cmodule);
#endif
