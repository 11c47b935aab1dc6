/* k-nearest-neighbours classification of int16 feature vectors.
 *
 * The model keeps up to max_items labelled items (n_features int16 values
 * and an int16 label each) in caller-owned arrays, so it can grow on the
 * device: add items at any time, predict at any time.
 *
 * A prediction ranks the items by squared Euclidean distance to the query,
 * computed exactly (64-bit sums: no overflow, no rounding, whatever the
 * values), with ties between equal distances broken by the order the items
 * were added in. The k nearest (all items when there are fewer) vote; the
 * label with the most votes wins, and a tie between labels goes to the
 * smallest label. With distinct distances at the k-th place this is what
 * scikit-learn's KNeighborsClassifier(n_neighbors=k) predicts on the same
 * numbers (its classes are sorted, and its vote ties go to the first).
 *
 * Predicting keeps only the k nearest, in order, and stops summing an
 * item's squares once they exceed the k-th nearest distance so far (checked
 * every 8 features). The full ranking is made (distances in full, then a
 * heap sort) the first time eml_neighbors_result asks past the k nearest.
 * Values within +-EML_NEIGHBORS_NARROW take faster loops on 32-bit chips.
 */
#ifndef EML_NEIGHBORS_H
#define EML_NEIGHBORS_H

#include "eml_common.h"

/* A ranking entry packs the squared distance above the item's index:
 * n_features * 65535^2 < 2^48 when both limits hold, so the 64-bit keys
 * sort by distance, then by index. */
#define EML_NEIGHBORS_MAX_ITEMS 65535u
#define EML_NEIGHBORS_MAX_FEATURES 65535u
#define EML_NEIGHBORS_INDEX_BITS 16

/* Distances between values within +-11585 are summed faster (see
 * eml_neighbors.c); other values take the general loop. */
#define EML_NEIGHBORS_NARROW 11585

typedef struct {
    int16_t *data;          /* max_items rows of n_features values */
    int16_t *labels;        /* max_items labels */
    int16_t *query;         /* n_features: a copy of the last query */
    uint64_t *ranking;      /* max_items keys: squared distance << 16 | index */
    uint32_t max_items;
    uint32_t n_features;
    uint32_t k;
    uint32_t n_items;       /* items added so far */
    uint32_t wide;          /* nonzero once an item has a value past +-EML_NEIGHBORS_NARROW */
    uint32_t n_ranked;      /* items in the last prediction's ranking; 0: none */
    uint32_t n_sorted;      /* of those, how many lead the ranking in order */
} eml_neighbors;

/* Set up an empty model over the caller's arrays. EML_ERR_VALUE when
 * max_items, n_features or k is 0, k > max_items, or a limit above is
 * exceeded. */
eml_status eml_neighbors_init(eml_neighbors *model, int16_t *data, int16_t *labels,
    int16_t *query, uint64_t *ranking, uint32_t max_items, uint32_t n_features, uint32_t k);

/* Append an item; *index receives its index. EML_ERR_SIZE when n_values is
 * not n_features, EML_ERR_CAPACITY when the model is full. Adding forgets
 * the last prediction's ranking. */
eml_status eml_neighbors_add(eml_neighbors *model, const int16_t *values, uint32_t n_values,
    int16_t label, uint32_t *index);

/* The values of item `index`, or NULL when there is no such item. */
const int16_t *eml_neighbors_item(const eml_neighbors *model, uint32_t index);

/* The label the k nearest items vote for. EML_ERR_SIZE when n_values is not
 * n_features or the model has no items. */
eml_status eml_neighbors_predict(eml_neighbors *model, const int16_t *values, uint32_t n_values,
    int16_t *label);

/* The item ranked `rank` (0: the nearest) by the last prediction, and its
 * squared distance to that query (*distance2). EML_ERR_SIZE when there was
 * no prediction since the last add, or rank is not below the number of
 * items. */
eml_status eml_neighbors_result(eml_neighbors *model, uint32_t rank, uint32_t *index,
    uint64_t *distance2);

/* floor(sqrt(x)): the integer distance emlearn reports. */
uint32_t eml_neighbors_isqrt(uint64_t x);

#endif /* EML_NEIGHBORS_H */
