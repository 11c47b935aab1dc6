/* k-nearest neighbours; see eml_neighbors.h. */
#include "eml_neighbors.h"

#define INDEX_MASK ((1u << EML_NEIGHBORS_INDEX_BITS) - 1u)

/* Narrow values: every value of every item and of the query within
 * +-EML_NEIGHBORS_NARROW. Then each difference fits in int16, and any 8
 * squares sum below 2^32 (8 * 23170^2 < 2^32): the sum of 8 features is
 * taken in 32 bits, then added to the 64-bit sum. Sensor data and the
 * scaled data of emlearn_mp.neighbors usually are (digits' pixels, 0 to
 * 16, are).
 *
 * That loop is taken where it is faster: on 32-bit chips without a 64-bit
 * multiply-accumulate (Cortex-M0, RV32) and with the DSP extension
 * (Cortex-M4, M7, M33; see distance2_pairs). Cortex-M3 adds each square in
 * one SMLAL anyway, and 64-bit hosts add in 64 bits. */
#if !defined(EML_NEIGHBORS_NARROW_LOOP)
#if (defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB >= 2 && !defined(__ARM_FEATURE_SIMD32)) \
    || UINTPTR_MAX > 0xffffffffu
#define EML_NEIGHBORS_NARROW_LOOP 0
#else
#define EML_NEIGHBORS_NARROW_LOOP 1
#endif
#endif

static int is_narrow(int16_t v) {
    return (uint32_t)((int32_t)v + EML_NEIGHBORS_NARROW) <= 2 * EML_NEIGHBORS_NARROW;
}

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
    model->wide = 0;
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
        model->wide |= !is_narrow(values[j]);
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

#if EML_NEIGHBORS_NARROW_LOOP
#define ADD_NARROW_SQUARE(j) do { \
        const int32_t d_ = (int32_t)a[j] - b[j]; \
        s += (uint32_t)(d_ * d_); \
    } while (0)

/* distance2_below for narrow values. */
static uint64_t distance2_narrow(const int16_t *a, const int16_t *b, uint32_t n, uint64_t bound) {
    uint64_t sum = 0;
    uint32_t j = 0;
    for (; j + 8 <= n; j += 8) {
        uint32_t s = 0;
        ADD_NARROW_SQUARE(j);
        ADD_NARROW_SQUARE(j + 1);
        ADD_NARROW_SQUARE(j + 2);
        ADD_NARROW_SQUARE(j + 3);
        ADD_NARROW_SQUARE(j + 4);
        ADD_NARROW_SQUARE(j + 5);
        ADD_NARROW_SQUARE(j + 6);
        ADD_NARROW_SQUARE(j + 7);
        sum += s;
        if (sum >= bound) {
            return sum;
        }
    }
    uint32_t s = 0;
    for (; j < n; j++) {
        ADD_NARROW_SQUARE(j);
    }
    return sum + s;
}

#if defined(__ARM_FEATURE_SIMD32) && !defined(EML_NEIGHBORS_NO_SIMD)
#include <arm_acle.h>
#define HAVE_SIMD 1

/* Two int16 in a word, read where int16 arrays are: may_alias exempts the
 * access from the aliasing rules. */
typedef int32_t __attribute__((may_alias)) eml_int16_pair;

/* distance2_narrow on chips with the DSP extension (Cortex-M4, M7, M33),
 * for word-aligned a and b of an even length: two features at a time,
 * SSUB16 (both differences; they fit in int16) and SMLALD (both squares
 * into the 64-bit sum). */
static uint64_t distance2_pairs(const int16_t *a, const int16_t *b, uint32_t n, uint64_t bound) {
    const eml_int16_pair *p = (const eml_int16_pair *)a, *q = (const eml_int16_pair *)b;
    const uint32_t words = n / 2;
    int64_t sum = 0;
    uint32_t w = 0;
    for (; w + 4 <= words; w += 4) {
        int32_t d = __ssub16(p[w], q[w]);
        sum = __smlald(d, d, sum);
        d = __ssub16(p[w + 1], q[w + 1]);
        sum = __smlald(d, d, sum);
        d = __ssub16(p[w + 2], q[w + 2]);
        sum = __smlald(d, d, sum);
        d = __ssub16(p[w + 3], q[w + 3]);
        sum = __smlald(d, d, sum);
        if ((uint64_t)sum >= bound) {
            return (uint64_t)sum;
        }
    }
    for (; w < words; w++) {
        const int32_t d = __ssub16(p[w], q[w]);
        sum = __smlald(d, d, sum);
    }
    return (uint64_t)sum;
}
#else
#define HAVE_SIMD 0
#endif
#endif /* EML_NEIGHBORS_NARROW_LOOP */

typedef uint64_t (*distance_fn)(const int16_t *a, const int16_t *b, uint32_t n, uint64_t bound);

/* Copies the query (values) into the model's own copy, and picks the
 * distance loop its values and the items' allow. One pass over the query
 * for both: predict's; rank_all passes the copy itself. */
static distance_fn take_query(eml_neighbors *model, const int16_t *values) {
    int narrow = !model->wide;
    for (uint32_t j = 0; j < model->n_features; j++) {
        model->query[j] = values[j];
        narrow &= is_narrow(values[j]);
    }
#if EML_NEIGHBORS_NARROW_LOOP
    if (!narrow) {
        return distance2_below;
    }
#if HAVE_SIMD
    /* rows start at multiples of 2 * n_features bytes from the data */
    if ((model->n_features & 1) == 0 && (((uintptr_t)model->query | (uintptr_t)model->data) & 3) == 0) {
        return distance2_pairs;
    }
#endif
    return distance2_narrow;
#else
    (void)narrow;
    return distance2_below;
#endif
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
    /* the copy also serves the ranking past k, made when asked for */
    const distance_fn distance2 = take_query(model, values);
    const int16_t *query = model->query;
    /* ranking[0..k) keeps the k smallest keys so far, in order. A later
     * item (a larger index) enters only with a smaller distance than the
     * k-th's, which is therefore the bound for its sum. */
    for (uint32_t i = 0; i < n; i++, row += n_values) {
        const uint64_t bound = i < k ? UINT64_MAX : ranking[k - 1] >> EML_NEIGHBORS_INDEX_BITS;
        const uint64_t d2 = distance2(query, row, n_values, bound);
        if (d2 < bound) {
            insert_sorted(ranking, i < k ? i : k - 1, d2 << EML_NEIGHBORS_INDEX_BITS | i);
        }
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
    const distance_fn distance2 = take_query(model, model->query);
    const int16_t *row = model->data;
    for (uint32_t i = 0; i < n; i++, row += f) {
        const uint64_t d2 = distance2(model->query, row, f, UINT64_MAX);
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
