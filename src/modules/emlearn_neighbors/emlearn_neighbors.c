/* emlearn_neighbors: k-nearest-neighbours classification of int16 vectors,
 * with the API of emlearn-micropython's module.
 *
 *     model = emlearn_neighbors.new(max_items, n_features, k_neighbors)
 *     i = model.additem(values, label)      # array('h'), int16 label: its index
 *     model.additems(rows, labels)          # many at once; index of the first
 *     model.getitem(i, out)                 # item i's values into array('h') out
 *     label = model.predict(values)         # the vote of the k nearest
 *     index, distance, label = model.getresult(rank)   # rank 0: the nearest
 *
 * Every array is created by the caller; the model holds its items, labels
 * and the last prediction's ranking in one heap block, 2 * n_features + 10
 * bytes per item (and a copy of the last query).
 */
#include "eml_binding.h"
#include "eml_neighbors.h"

typedef struct {
    mp_obj_base_t base;
    eml_neighbors model;
    uint64_t storage[];     /* ranking (max_items keys), then query, items and labels as int16 */
} neighbors_obj_t;

EML_DECLARE_TYPE(neighbors_type);

/* A native module cannot link the firmware's exception types; it finds
 * them among the builtins. */
#if defined(MICROPY_ENABLE_DYNRUNTIME)
#define MEMORY_ERROR ((const mp_obj_type_t *)MP_OBJ_TO_PTR(mp_load_global(MP_QSTR_MemoryError)))
#else
#define MEMORY_ERROR (&mp_type_MemoryError)
#endif

/* new(max_items, n_features, k_neighbors): an empty model. */
static mp_obj_t neighbors_new(mp_obj_t items_obj, mp_obj_t features_obj, mp_obj_t k_obj) {
    const mp_int_t max_items = eml_get_int_in(items_obj, 1, EML_NEIGHBORS_MAX_ITEMS,
        MP_ERROR_TEXT("max_items must be 1 to 65535"));
    const mp_int_t n_features = eml_get_int_in(features_obj, 1, EML_NEIGHBORS_MAX_FEATURES,
        MP_ERROR_TEXT("n_features must be 1 to 65535"));
    const mp_int_t k = eml_get_int_in(k_obj, 1, max_items,
        MP_ERROR_TEXT("k_neighbors must be 1 to max_items"));
    /* 8-byte keys, then as int16 the query copy (an even count of them, so
     * that the items start at a word boundary, as the DSP loop of
     * eml_neighbors.c needs), the items and the labels, in 8-byte words; up
     * to 2^33 bytes, past what a 32-bit port can address */
    const size_t query_size = ((size_t)n_features + 1) & ~(size_t)1;
    const uint64_t words = (uint64_t)max_items + ((uint64_t)max_items * (n_features + 1) + query_size + 3) / 4;
    if (words > (SIZE_MAX - sizeof(neighbors_obj_t)) / sizeof(uint64_t)) {
        mp_raise_msg(MEMORY_ERROR, MP_ERROR_TEXT("model too large for this port's memory"));
    }
    neighbors_obj_t *self = mp_obj_malloc_var(neighbors_obj_t, storage, uint64_t, (size_t)words,
        EML_TYPE_PTR(neighbors_type));
    int16_t *query = (int16_t *)(self->storage + max_items);
    int16_t *data = query + query_size;
    int16_t *labels = data + (size_t)max_items * n_features;
    eml_neighbors_init(&self->model, data, labels, query, self->storage, max_items, n_features, k);
    return MP_OBJ_FROM_PTR(self);
}
static MP_DEFINE_CONST_FUN_OBJ_3(neighbors_new_obj, neighbors_new);

/* The int16 array obj (read or write, per flags) and its number of values. */
static int16_t *get_int16s(mp_obj_t obj, mp_uint_t flags, size_t *n, mp_rom_error_text_t message) {
    return eml_get_items(obj, flags, "h", sizeof(int16_t), n, message);
}

/* An item's values: array('h') of exactly n_features. */
static int16_t *get_item_values(neighbors_obj_t *self, mp_obj_t obj, mp_uint_t flags) {
    size_t n;
    int16_t *values = get_int16s(obj, flags, &n, MP_ERROR_TEXT("values must be array('h')"));
    if (n != self->model.n_features) {
        mp_raise_ValueError(MP_ERROR_TEXT("values must hold n_features values"));
    }
    return values;
}

static int16_t get_label(mp_obj_t obj) {
    return (int16_t)eml_get_int_in(obj, -32768, 32767, MP_ERROR_TEXT("label must be -32768 to 32767"));
}

static void raise_full(void) {
    mp_raise_ValueError(MP_ERROR_TEXT("model is full: it holds max_items items"));
}

/* additem(values, label): the new item's index. */
static mp_obj_t neighbors_additem(mp_obj_t self_obj, mp_obj_t values_obj, mp_obj_t label_obj) {
    neighbors_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const int16_t *values = get_item_values(self, values_obj, MP_BUFFER_READ);
    const int16_t label = get_label(label_obj);
    uint32_t index;
    if (eml_neighbors_add(&self->model, values, self->model.n_features, label, &index) != EML_OK) {
        raise_full();
    }
    return MP_OBJ_NEW_SMALL_INT(index);
}
static MP_DEFINE_CONST_FUN_OBJ_3(neighbors_additem_obj, neighbors_additem);

/* additems(rows, labels): len(labels) items, whose values follow each other
 * in rows; all or none. The index of the first. */
static mp_obj_t neighbors_additems(mp_obj_t self_obj, mp_obj_t rows_obj, mp_obj_t labels_obj) {
    neighbors_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    eml_neighbors *model = &self->model;
    size_t n_values, n_labels;
    const int16_t *rows = get_int16s(rows_obj, MP_BUFFER_READ, &n_values,
        MP_ERROR_TEXT("rows and labels must be array('h')"));
    const int16_t *labels = get_int16s(labels_obj, MP_BUFFER_READ, &n_labels,
        MP_ERROR_TEXT("rows and labels must be array('h')"));
    if (n_values / model->n_features != n_labels || n_values % model->n_features != 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("rows must hold n_features values per label"));
    }
    if (n_labels > model->max_items - model->n_items) {
        raise_full();
    }
    const mp_int_t first = model->n_items;
    for (size_t i = 0; i < n_labels; i++) {
        uint32_t index;
        eml_neighbors_add(model, rows + i * model->n_features, model->n_features, labels[i], &index);
    }
    return MP_OBJ_NEW_SMALL_INT(first);
}
static MP_DEFINE_CONST_FUN_OBJ_3(neighbors_additems_obj, neighbors_additems);

/* getitem(index, out): copies item index's values into out. */
static mp_obj_t neighbors_getitem(mp_obj_t self_obj, mp_obj_t index_obj, mp_obj_t out_obj) {
    neighbors_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const mp_int_t index = eml_get_int_in(index_obj, 0, (mp_int_t)self->model.n_items - 1,
        MP_ERROR_TEXT("index must be that of an added item"));
    int16_t *out = get_item_values(self, out_obj, MP_BUFFER_WRITE);
    const int16_t *item = eml_neighbors_item(&self->model, (uint32_t)index);
    for (uint32_t j = 0; j < self->model.n_features; j++) {
        out[j] = item[j];
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_3(neighbors_getitem_obj, neighbors_getitem);

/* predict(values): the label the k nearest items vote for. */
static mp_obj_t neighbors_predict(mp_obj_t self_obj, mp_obj_t values_obj) {
    neighbors_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    const int16_t *values = get_item_values(self, values_obj, MP_BUFFER_READ);
    int16_t label;
    if (eml_neighbors_predict(&self->model, values, self->model.n_features, &label) != EML_OK) {
        mp_raise_ValueError(MP_ERROR_TEXT("the model has no items: add some with additem"));
    }
    return MP_OBJ_NEW_SMALL_INT(label);
}
static MP_DEFINE_CONST_FUN_OBJ_2(neighbors_predict_obj, neighbors_predict);

/* getresult(rank): (index, distance, label) of the item ranked `rank` by
 * the last predict, 0 the nearest; distance as emlearn gives it, the
 * Euclidean distance rounded down. */
static mp_obj_t neighbors_getresult(mp_obj_t self_obj, mp_obj_t rank_obj) {
    neighbors_obj_t *self = MP_OBJ_TO_PTR(self_obj);
    eml_neighbors *model = &self->model;
    if (model->n_ranked == 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("no prediction since the last additem: call predict first"));
    }
    const mp_int_t rank = eml_get_int_in(rank_obj, 0, (mp_int_t)model->n_ranked - 1,
        MP_ERROR_TEXT("rank must be 0 to the number of items - 1"));
    uint32_t index;
    uint64_t distance2;
    eml_neighbors_result(model, (uint32_t)rank, &index, &distance2);
    mp_obj_t items[3] = {
        MP_OBJ_NEW_SMALL_INT(index),
        mp_obj_new_int_from_uint(eml_neighbors_isqrt(distance2)),
        MP_OBJ_NEW_SMALL_INT(model->labels[index]),
    };
    return mp_obj_new_tuple(3, items);
}
static MP_DEFINE_CONST_FUN_OBJ_2(neighbors_getresult_obj, neighbors_getresult);

#define NEIGHBORS_LOCALS(X) \
    X(MP_QSTR_additem, neighbors_additem_obj) X(MP_QSTR_additems, neighbors_additems_obj) \
    X(MP_QSTR_getitem, neighbors_getitem_obj) X(MP_QSTR_predict, neighbors_predict_obj) \
    X(MP_QSTR_getresult, neighbors_getresult_obj)
EML_DEFINE_TYPE(neighbors_type, MP_QSTR_Model, NEIGHBORS_LOCALS)

#define NEIGHBORS_GLOBALS(X) X(MP_QSTR_new, neighbors_new_obj)
#define NEIGHBORS_TYPES(X) X(neighbors_type)
EML_DEFINE_MODULE(emlearn_neighbors, NEIGHBORS_GLOBALS, NEIGHBORS_TYPES)
#ifndef MICROPY_ENABLE_DYNRUNTIME
MP_REGISTER_MODULE(MP_QSTR_emlearn_neighbors, emlearn_neighbors_user_cmodule);
#endif
