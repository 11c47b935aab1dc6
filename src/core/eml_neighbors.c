/* k-nearest neighbours; see eml_neighbors.h. */
#include "eml_neighbors.h"

#define INDEX_MASK ((1u << EML_NEIGHBORS_INDEX_BITS) - 1u)

eml_status eml_neighbors_init(eml_neighbors *model, int16_t *data, int16_t *labels,
    int16_t *query, uint64_t *ranking, uint32_t max_items, uint32_t n_features, uint32_t k) {
    if (max_items == 0 || max_items > EML_NEIGHBORS_MAX_ITEMS || n_features == 0
        || n_features > EML_NEIGHBORS_MAX_FEATURES || k == 0 || k > max_items) {
        return EML_ERR_VALUE;
    }
    model->data = data;
    model->labels = labels;
    model->query = query;
    model->ranking = ranking;
    model->max_items = max_items;
    model->n_features = n_features;
    model->k = k;
    model->n_items = 0;
    model->n_ranked = 0;
    model->n_sorted = 0;
    return EML_OK;
}

eml_status eml_neighbors_add(eml_neighbors *model, const int16_t *values, uint32_t n_values,
    int16_t label, uint32_t *index) {
    if (n_values != model->n_features) {
        return EML_ERR_SIZE;
    }
    if (model->n_items >= model->max_items) {
        return EML_ERR_CAPACITY;
    }
    const uint32_t i = model->n_items;
    int16_t *row = model->data + (size_t)i * n_values;
    for (uint32_t j = 0; j < n_values; j++) {
        row[j] = values[j];
    }
    model->labels[i] = label;
    model->n_items = i + 1;
    model->n_ranked = 0;
    model->n_sorted = 0;
    *index = i;
    return EML_OK;
}

const int16_t *eml_neighbors_item(const eml_neighbors *model, uint32_t index) {
    if (index >= model->n_items) {
        return NULL;
    }
    return model->data + (size_t)index * model->n_features;
}

/* The squared distance between a and b, or, once the sum reaches bound,
 * some value at least bound: an item that far cannot displace one of the
 * k nearest, so the rest of its features need not be read. The sum is
 * compared every 8 features, which keeps the loop unrolled.
 *
 * Each square is below 2^32; the sum is exact in 64 bits. Thumb-2 adds a
 * signed 32 x 32 -> 64 product in one instruction (SMLAL); other 32-bit
 * targets square in 32 bits, then add. Cortex-M0 would call a 64-bit
 * multiply routine for the wide product, and GCC spills a 64-bit sum to
 * the stack there (about 13 instructions per feature): its square goes
 * into a 32-bit sum whose carries are counted (11 instructions). */
#if defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB >= 2
#define ADD_SQUARE(j) do { \
        const int32_t d_ = (int32_t)a[j] - b[j]; \
        sum += (uint64_t)((int64_t)d_ * d_); \
    } while (0)
#define SUM_SO_FAR sum
#elif !defined(__ARM_ARCH_6M__) && !defined(EML_NEIGHBORS_COUNT_CARRIES)
#define ADD_SQUARE(j) do { \
        const int32_t d_ = (int32_t)a[j] - b[j]; \
        sum += (uint32_t)d_ * (uint32_t)d_; \
    } while (0)
#define SUM_SO_FAR sum
#else
#define ADD_SQUARE(j) do { \
        const int32_t d_ = (int32_t)a[j] - b[j]; \
        const uint32_t s_ = (uint32_t)d_ * (uint32_t)d_; \
        low += s_; \
        carries += low < s_; \
    } while (0)
#define SUM_SO_FAR ((uint64_t)carries << 32 | low)
#endif

static uint64_t distance2_below(const int16_t *a, const int16_t *b, uint32_t n, uint64_t bound) {
    uint64_t sum = 0;
    uint32_t low = 0, carries = 0;
    uint32_t j = 0;
    for (; j + 8 <= n; j += 8) {
        ADD_SQUARE(j);
        ADD_SQUARE(j + 1);
        ADD_SQUARE(j + 2);
        ADD_SQUARE(j + 3);
        ADD_SQUARE(j + 4);
        ADD_SQUARE(j + 5);
        ADD_SQUARE(j + 6);
        ADD_SQUARE(j + 7);
        if (SUM_SO_FAR >= bound) {
            return SUM_SO_FAR;
        }
    }
    for (; j < n; j++) {
        ADD_SQUARE(j);
    }
    (void)sum;
    (void)low;
    (void)carries;
    return SUM_SO_FAR;
}

/* Put key into ranking[0..end], which holds end sorted keys: the larger
 * ones move up by one. */
static void insert_sorted(uint64_t *ranking, uint32_t end, uint64_t key) {
    uint32_t i = end;
    while (i > 0 && ranking[i - 1] > key) {
        ranking[i] = ranking[i - 1];
        i--;
    }
    ranking[i] = key;
}

/* The label most of the first k ranked items have; the smallest of those
 * tied. O(k^2), with no table of labels to keep: k is small. */
static int16_t vote(const eml_neighbors *model, uint32_t k) {
    const uint64_t *ranking = model->ranking;
    const int16_t *labels = model->labels;
    int16_t best = 0;
    uint32_t best_votes = 0;
    for (uint32_t i = 0; i < k; i++) {
        const int16_t label = labels[ranking[i] & INDEX_MASK];
        uint32_t votes = 0;
        for (uint32_t j = 0; j < k; j++) {
            votes += labels[ranking[j] & INDEX_MASK] == label;
        }
        if (votes > best_votes || (votes == best_votes && label < best)) {
            best = label;
            best_votes = votes;
        }
    }
    return best;
}

eml_status eml_neighbors_predict(eml_neighbors *model, const int16_t *values, uint32_t n_values,
    int16_t *label) {
    const uint32_t n = model->n_items;
    if (n_values != model->n_features || n == 0) {
        return EML_ERR_SIZE;
    }
    const uint32_t k = model->k < n ? model->k : n;
    uint64_t *ranking = model->ranking;
    const int16_t *row = model->data;
    /* ranking[0..k) keeps the k smallest keys so far, in order. A later
     * item (a larger index) enters only with a smaller distance than the
     * k-th's, which is therefore the bound for its sum. */
    for (uint32_t i = 0; i < n; i++, row += n_values) {
        const uint64_t bound = i < k ? UINT64_MAX : ranking[k - 1] >> EML_NEIGHBORS_INDEX_BITS;
        const uint64_t d2 = distance2_below(values, row, n_values, bound);
        if (d2 < bound) {
            insert_sorted(ranking, i < k ? i : k - 1, d2 << EML_NEIGHBORS_INDEX_BITS | i);
        }
    }
    /* the rest of the ranking is made when asked for, from a copy of the query */
    for (uint32_t j = 0; j < n_values; j++) {
        model->query[j] = values[j];
    }
    model->n_ranked = n;
    model->n_sorted = k;
    *label = vote(model, k);
    return EML_OK;
}

/* Heap sort, in place and without recursion, for the ranking past the k
 * nearest, made only when asked for. */
static void sift_down(uint64_t *a, uint32_t root, uint32_t n) {
    const uint64_t v = a[root];
    for (;;) {
        uint32_t child = 2 * root + 1;
        if (child >= n) {
            break;
        }
        if (child + 1 < n && a[child + 1] > a[child]) {
            child++;
        }
        if (a[child] <= v) {
            break;
        }
        a[root] = a[child];
        root = child;
    }
    a[root] = v;
}

static void heap_sort(uint64_t *a, uint32_t n) {
    for (uint32_t i = n / 2; i-- > 0;) {
        sift_down(a, i, n);
    }
    for (uint32_t end = n; end-- > 1;) {
        const uint64_t top = a[0];
        a[0] = a[end];
        a[end] = top;
        sift_down(a, 0, end);
    }
}

/* The whole ranking of the last query, every distance in full. */
static void rank_all(eml_neighbors *model) {
    const uint32_t n = model->n_ranked, f = model->n_features;
    const int16_t *row = model->data;
    for (uint32_t i = 0; i < n; i++, row += f) {
        const uint64_t d2 = distance2_below(model->query, row, f, UINT64_MAX);
        model->ranking[i] = d2 << EML_NEIGHBORS_INDEX_BITS | i;
    }
    heap_sort(model->ranking, n);
    model->n_sorted = n;
}

eml_status eml_neighbors_result(eml_neighbors *model, uint32_t rank, uint32_t *index,
    uint64_t *distance2) {
    if (rank >= model->n_ranked) {
        return EML_ERR_SIZE;
    }
    if (rank >= model->n_sorted) {
        rank_all(model);
    }
    const uint64_t key = model->ranking[rank];
    *index = (uint32_t)(key & INDEX_MASK);
    *distance2 = key >> EML_NEIGHBORS_INDEX_BITS;
    return EML_OK;
}

/* Digit by digit, two bits of x per bit of the root; constant shifts only
 * (a variable 64-bit shift is a library call on 32-bit targets). */
uint32_t eml_neighbors_isqrt(uint64_t x) {
    uint64_t root = 0;
    uint64_t bit = (uint64_t)1 << 62;
    while (bit > x) {
        bit >>= 2;
    }
    while (bit != 0) {
        if (x >= root + bit) {
            x -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)root;
}
