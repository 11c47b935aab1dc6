/* k-means clustering; see eml_kmeans.h. */
#include "eml_kmeans.h"

/* What differs between the three element types: the square of a
 * difference, how two distances compare, and the mean of a sum. */

static inline uint32_t square_u8(uint8_t a, uint8_t b) {
    const int32_t d = (int32_t)a - (int32_t)b;
    return (uint32_t)(d * d);
}

/* |a - b| <= 65535, so the square is below 2^32: one 32-bit multiply, widened. */
static inline uint64_t square_i16(int16_t a, int16_t b) {
    const uint32_t d = (uint32_t)((int32_t)a - (int32_t)b);
    return d * d;
}

static inline float square_f32(float a, float b) {
    const float d = eml_sub(a, b);
    return d * d;
}

static inline int closer_u8(uint32_t d, uint32_t best) {
    return d < best;
}

static inline int closer_i16(uint64_t d, uint64_t best) {
    return d < best;
}

/* Sums of squares are +0 or more (or NaN), and such floats order as their
 * bits; NaN, positive or negative, is above every number. */
static inline int closer_f32(float d, float best) {
    return eml_float_bits(d) < eml_float_bits(best);
}

static inline uint8_t mean_u8(uint32_t sum, uint32_t count) {
    return (uint8_t)(sum / count);
}

/* Floored, as Python's //, also for negative sums. The mean of int16
 * values is in the int16 range, so its 16 bits (offset by 32768) are found
 * one by one, each with a multiply and a compare: a 64-bit division is a
 * library call of about 1 kB on 32-bit chips. */
static inline int16_t mean_i16(int64_t sum, uint32_t count) {
    const uint64_t target = (uint64_t)(sum + (int64_t)32768 * count);    /* >= 0 */
    uint32_t r = 0;
    for (uint32_t bit = 1u << 15; bit != 0; bit >>= 1) {
        if ((uint64_t)(r | bit) * count <= target) {
            r |= bit;
        }
    }
    return (int16_t)((int32_t)r - 32768);
}

static inline float mean_f32(float sum, uint32_t count) {
    return sum / (float)count;
}

/* The algorithm, once, for element type T (suffix S), squared distances of
 * type D and sums of type SUM. Three features (RGB pixels, x/y/z samples)
 * take a loop of their own, with the point in registers: nearest_with is
 * inlined once with `three` set and once not. On Cortex-M3 a uint8 search
 * costs about 17 instructions per centroid with three features, 31 in the
 * general loop. (Summed in the same order: the same distances, floats
 * included.) */
#define EML_KMEANS_DEFINE(S, T, D, SUM) \
    static inline __attribute__((always_inline)) D distance_##S(const T *a, const T *b, uint32_t n, \
        int three) { \
        if (three) { \
            return square_##S(a[0], b[0]) + square_##S(a[1], b[1]) + square_##S(a[2], b[2]); \
        } \
        D sum = 0; \
        for (uint32_t j = 0; j < n; j++) { \
            sum += square_##S(a[j], b[j]); \
        } \
        return sum; \
    } \
    \
    static inline __attribute__((always_inline)) uint32_t nearest_with_##S(const T *vectors, \
        uint32_t n_vectors, const T *point, uint32_t n_features, D *distance, int three) { \
        uint32_t best = 0; \
        D best_distance = distance_##S(vectors, point, n_features, three); \
        for (uint32_t i = 1; i < n_vectors; i++) { \
            const D d = distance_##S(vectors + (size_t)i * n_features, point, n_features, three); \
            if (closer_##S(d, best_distance)) { \
                best = i; \
                best_distance = d; \
            } \
        } \
        *distance = best_distance; \
        return best; \
    } \
    \
    uint32_t eml_kmeans_nearest_##S(const T *vectors, uint32_t n_vectors, const T *point, \
        uint32_t n_features, D *distance) { \
        if (n_features == 3) { \
            return nearest_with_##S(vectors, n_vectors, point, 3, distance, 1); \
        } \
        return nearest_with_##S(vectors, n_vectors, point, n_features, distance, 0); \
    } \
    \
    uint32_t eml_kmeans_assign_##S(const T *values, uint32_t n_samples, const T *centroids, \
        uint32_t n_clusters, uint32_t n_features, uint8_t *labels) { \
        uint32_t changes = 0; \
        for (uint32_t s = 0; s < n_samples; s++) { \
            D distance; \
            const uint8_t label = (uint8_t)eml_kmeans_nearest_##S(centroids, n_clusters, \
                values + (size_t)s * n_features, n_features, &distance); \
            changes += label != labels[s]; \
            labels[s] = label; \
        } \
        return changes; \
    } \
    \
    eml_status eml_kmeans_update_##S(const T *values, uint32_t n_samples, const uint8_t *labels, \
        T *centroids, uint32_t n_clusters, uint32_t n_features, SUM *sums, uint32_t *counts) { \
        for (uint32_t k = 0; k < n_clusters * n_features; k++) { \
            sums[k] = 0; \
        } \
        for (uint32_t c = 0; c < n_clusters; c++) { \
            counts[c] = 0; \
        } \
        for (uint32_t s = 0; s < n_samples; s++) { \
            const uint32_t label = labels[s]; \
            if (label >= n_clusters) { \
                return EML_ERR_VALUE; \
            } \
            counts[label]++; \
            const T *row = values + (size_t)s * n_features; \
            SUM *sum = sums + (size_t)label * n_features; \
            for (uint32_t j = 0; j < n_features; j++) { \
                sum[j] += row[j]; \
            } \
        } \
        for (uint32_t c = 0; c < n_clusters; c++) { \
            if (counts[c] == 0) { \
                continue; \
            } \
            for (uint32_t j = 0; j < n_features; j++) { \
                const size_t k = (size_t)c * n_features + j; \
                centroids[k] = mean_##S(sums[k], counts[c]); \
            } \
        } \
        return EML_OK; \
    }

EML_KMEANS_DEFINE(u8, uint8_t, uint32_t, uint32_t)
EML_KMEANS_DEFINE(i16, int16_t, uint64_t, int64_t)
EML_KMEANS_DEFINE(f32, float, float, float)
