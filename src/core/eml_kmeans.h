/* k-means clustering (Lloyd's algorithm) of uint8, int16 or float vectors.
 *
 * Samples and centroids are flat arrays, one row of n_features values after
 * another, all of one type: uint8 (pixels, small counts), int16 (sensor
 * samples) or float. Each function exists in three versions, suffixed _u8,
 * _i16 and _f32, that differ only in the element type and how the distance
 * and the mean are computed:
 *
 *   u8   squared distances exact in uint32 (n_features <= 65535 keeps them
 *        below 255^2 * 65535 < 2^32), sums in uint32, mean floored;
 *   i16  squared distances exact in uint64, sums in int64, mean floored
 *        (rounded toward minus infinity, Python's //, also for negatives);
 *   f32  float32 throughout: distances summed feature by feature, sums in
 *        sample order, mean = sum / count (one division).
 *
 * These are emlearn-micropython's k-means semantics (its Python loop and
 * uint8 argmin), extended to two more types. With float data they are
 * scikit-learn's KMeans(algorithm="lloyd") steps: assign each sample to the
 * nearest centroid (ties to the lowest index, as numpy's argmin), then move
 * each centroid to the mean of its samples. scikit-learn relocates a cluster
 * that lost all its samples; here it keeps its centroid, as emlearn does.
 *
 * A float distance is compared as its bit pattern (a non-negative float
 * orders as its bits): no float compare, a library call on chips without an
 * FPU. A NaN distance (NaN in the data) is thus never nearest, unless every
 * distance is NaN and index 0 is taken.
 */
#ifndef EML_KMEANS_H
#define EML_KMEANS_H

#include "eml_common.h"

/* Labels are uint8; 255 clusters leave no label free, and
 * EML_KMEANS_UNASSIGNED (255) is then a valid label: it only means "not
 * assigned yet" with fewer clusters. */
#define EML_KMEANS_MAX_CLUSTERS 255u
#define EML_KMEANS_UNASSIGNED 255u
#define EML_KMEANS_MAX_FEATURES 65535u
/* Counts of up to 2^24 are exact as float, and uint8 sums stay in uint32.
 * The functions below take sizes within these limits (n_samples may be 0,
 * n_clusters and n_features not); the caller checks them. */
#define EML_KMEANS_MAX_SAMPLES (1u << 24)

/* The index of the vector nearest to point among n_vectors (>= 1), and in
 * *distance their squared distance. */
uint32_t eml_kmeans_nearest_u8(const uint8_t *vectors, uint32_t n_vectors, const uint8_t *point,
    uint32_t n_features, uint32_t *distance);
uint32_t eml_kmeans_nearest_i16(const int16_t *vectors, uint32_t n_vectors, const int16_t *point,
    uint32_t n_features, uint64_t *distance);
uint32_t eml_kmeans_nearest_f32(const float *vectors, uint32_t n_vectors, const float *point,
    uint32_t n_features, float *distance);

/* Label each sample with its nearest centroid; returns how many labels
 * changed. */
uint32_t eml_kmeans_assign_u8(const uint8_t *values, uint32_t n_samples, const uint8_t *centroids,
    uint32_t n_clusters, uint32_t n_features, uint8_t *labels);
uint32_t eml_kmeans_assign_i16(const int16_t *values, uint32_t n_samples, const int16_t *centroids,
    uint32_t n_clusters, uint32_t n_features, uint8_t *labels);
uint32_t eml_kmeans_assign_f32(const float *values, uint32_t n_samples, const float *centroids,
    uint32_t n_clusters, uint32_t n_features, uint8_t *labels);

/* Move each centroid to the mean of the samples labelled with it; a
 * centroid without samples stays. sums (n_clusters * n_features) and counts
 * (n_clusters) are the caller's scratch space. EML_ERR_VALUE, with the
 * centroids untouched, when a label is not below n_clusters. */
eml_status eml_kmeans_update_u8(const uint8_t *values, uint32_t n_samples, const uint8_t *labels,
    uint8_t *centroids, uint32_t n_clusters, uint32_t n_features, uint32_t *sums, uint32_t *counts);
eml_status eml_kmeans_update_i16(const int16_t *values, uint32_t n_samples, const uint8_t *labels,
    int16_t *centroids, uint32_t n_clusters, uint32_t n_features, int64_t *sums, uint32_t *counts);
eml_status eml_kmeans_update_f32(const float *values, uint32_t n_samples, const uint8_t *labels,
    float *centroids, uint32_t n_clusters, uint32_t n_features, float *sums, uint32_t *counts);

#endif /* EML_KMEANS_H */
