/* Host tests for src/core/eml_kmeans.c. (Clustering of real data sets, against numpy
 * and scikit-learn, is checked on every MicroPython target by
 * tests/micropython/test_kmeans*.py.) */
#include <string.h>

#include "check.h"
#include "eml_kmeans.h"

#define MAX_SAMPLES 200
#define MAX_CLUSTERS 8
#define MAX_FEATURES 7

/* Reference nearest-centroid search for int16, in int64 with a plain compare. */
static uint32_t nearest_reference(const int16_t *vectors, uint32_t n_vectors, const int16_t *point,
    uint32_t n_features, int64_t *distance) {
    uint32_t best = 0;
    int64_t best_distance = -1;
    for (uint32_t i = 0; i < n_vectors; i++) {
        int64_t d = 0;
        for (uint32_t j = 0; j < n_features; j++) {
            const int64_t diff = (int64_t)point[j] - vectors[i * n_features + j];
            d += diff * diff;
        }
        if (best_distance < 0 || d < best_distance) {
            best = i;
            best_distance = d;
        }
    }
    *distance = best_distance;
    return best;
}

/* Floor division written out, as Python's //. */
static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if (q * b != a && (a < 0) != (b < 0)) {
        q -= 1;
    }
    return q;
}

static void test_nearest_u8(void) {
    const uint8_t vectors[] = { 0, 0, 255, 255, 3, 4, 4, 3 };
    uint32_t d;
    CHECK(eml_kmeans_nearest_u8(vectors, 4, (const uint8_t[]){ 255, 255 }, 2, &d) == 1 && d == 0,
        "u8: exact match");
    CHECK(eml_kmeans_nearest_u8(vectors, 4, (const uint8_t[]){ 0, 0 }, 2, &d) == 0 && d == 0, "u8: first");
    /* (4,4): (3,4) and (4,3) at 1 each: the tie goes to the lower index */
    CHECK(eml_kmeans_nearest_u8(vectors, 4, (const uint8_t[]){ 4, 4 }, 2, &d) == 2 && d == 1, "u8: tie");
    CHECK(eml_kmeans_nearest_u8(vectors, 1, (const uint8_t[]){ 255, 0 }, 2, &d) == 0 && d == 65025u,
        "u8: one vector, largest difference");
    /* 65535 features of 255 against 0: 255^2 * 65535, just below 2^32 */
    static uint8_t zeros[EML_KMEANS_MAX_FEATURES], full[EML_KMEANS_MAX_FEATURES];
    memset(full, 255, sizeof(full));
    CHECK(eml_kmeans_nearest_u8(zeros, 1, full, EML_KMEANS_MAX_FEATURES, &d) == 0
        && d == 65025u * EML_KMEANS_MAX_FEATURES, "u8: largest distance exact");
}

static void test_nearest_i16(void) {
    const int16_t vectors[] = { -32768, -32768, -32768, 32767, 32767, 32767 };
    uint64_t d;
    const int16_t low[] = { -32768, -32768, -32768 };
    CHECK(eml_kmeans_nearest_i16(vectors + 3, 1, low, 3, &d) == 0 && d == 3ull * 65535 * 65535,
        "i16: distance above 2^32 exact");
    CHECK(eml_kmeans_nearest_i16(vectors, 2, (const int16_t[]){ 0, 0, 0 }, 3, &d) == 1
        && d == 3ull * 32767 * 32767, "i16: nearer of the extremes");
    const int16_t mirrored[] = { 1, -1, 1, -1, 1, -1 };
    CHECK(eml_kmeans_nearest_i16(mirrored, 2, (const int16_t[]){ 0, 0, 0 }, 3, &d) == 0 && d == 3,
        "i16: tie to the lower index");
    unsigned seed = 7;
    int all_ok = 1;
    for (int round = 0; round < 2000; round++) {
        int16_t v[MAX_CLUSTERS * MAX_FEATURES], p[MAX_FEATURES];
        const uint32_t n = 1 + check_rand(&seed) % MAX_CLUSTERS, f = 1 + check_rand(&seed) % MAX_FEATURES;
        /* few distinct values, so ties are common */
        const int wide = round % 2;
        for (uint32_t i = 0; i < n * f; i++) {
            v[i] = wide ? (int16_t)check_rand(&seed) : (int16_t)(check_rand(&seed) % 5 - 2);
        }
        for (uint32_t j = 0; j < f; j++) {
            p[j] = wide ? (int16_t)check_rand(&seed) : (int16_t)(check_rand(&seed) % 5 - 2);
        }
        int64_t want;
        const uint32_t index = eml_kmeans_nearest_i16(v, n, p, f, &d);
        all_ok &= index == nearest_reference(v, n, p, f, &want) && d == (uint64_t)want;
    }
    CHECK(all_ok, "i16: 2000 random searches (with ties) as the reference");
}

static void test_nearest_f32(void) {
    const float vectors[] = { 1.0f, 2.0f, 0.5f, 0.5f, -0.5f, -0.5f };
    float d;
    CHECK(eml_kmeans_nearest_f32(vectors, 3, (const float[]){ 0.0f, 0.0f }, 2, &d) == 1 && d == 0.5f,
        "f32: nearest, tie to the lower index");
    CHECK(eml_kmeans_nearest_f32(vectors, 3, (const float[]){ 1.0f, 2.0f }, 2, &d) == 0 && d == 0.0f,
        "f32: exact match");
    const float nan = __builtin_nanf("");
    const float with_nan[] = { nan, 0.0f, 100.0f, 100.0f };
    CHECK(eml_kmeans_nearest_f32(with_nan, 2, (const float[]){ 0.0f, 0.0f }, 2, &d) == 1 && d == 20000.0f,
        "f32: a NaN distance is never nearest");
    const float negative_nan[] = { -nan, 0.0f, 1e30f, 1e30f };
    CHECK(eml_kmeans_nearest_f32(negative_nan, 2, (const float[]){ 0.0f, 0.0f }, 2, &d) == 1,
        "f32: nor a negative NaN, even against an infinite distance");
    CHECK(eml_kmeans_nearest_f32(vectors, 3, (const float[]){ nan, 0.0f }, 2, &d) == 0 && d != d,
        "f32: all NaN: index 0");
}

/* Three features take a loop of their own; a zero fourth feature adds +0 to
 * every distance, so the general loop must give the same index and the same
 * float, bit for bit. */
static void test_three_features(void) {
    unsigned seed = 3;
    int ok = 1;
    for (int round = 0; round < 1000; round++) {
        float v3[MAX_CLUSTERS * 3], v4[MAX_CLUSTERS * 4], p3[3], p4[4] = { 0 };
        const uint32_t n = 1 + check_rand(&seed) % MAX_CLUSTERS;
        for (uint32_t i = 0; i < n; i++) {
            for (uint32_t j = 0; j < 4; j++) {
                const float x = j < 3 ? (float)(int32_t)(check_rand(&seed) % 2001 - 1000) / 7.0f : 0.0f;
                v4[i * 4 + j] = x;
                if (j < 3) {
                    v3[i * 3 + j] = x;
                }
            }
        }
        for (uint32_t j = 0; j < 3; j++) {
            p3[j] = p4[j] = (float)(int32_t)(check_rand(&seed) % 2001 - 1000) / 7.0f;
        }
        float d3, d4;
        ok &= eml_kmeans_nearest_f32(v3, n, p3, 3, &d3) == eml_kmeans_nearest_f32(v4, n, p4, 4, &d4)
            && eml_float_bits(d3) == eml_float_bits(d4);
    }
    CHECK(ok, "f32: three features give the general loop's distances, bit for bit");
}

/* assign and update against the definition, on random data of each type. */
static void test_i16_steps(void) {
    unsigned seed = 11;
    int assign_ok = 1, update_ok = 1, mean_ok = 1;
    for (int round = 0; round < 500; round++) {
        static int16_t values[MAX_SAMPLES * MAX_FEATURES];
        int16_t centroids[MAX_CLUSTERS * MAX_FEATURES], expected[MAX_CLUSTERS * MAX_FEATURES];
        uint8_t labels[MAX_SAMPLES], want_labels[MAX_SAMPLES];
        int64_t sums[MAX_CLUSTERS * MAX_FEATURES];
        uint32_t counts[MAX_CLUSTERS];
        const uint32_t n = check_rand(&seed) % MAX_SAMPLES, k = 1 + check_rand(&seed) % MAX_CLUSTERS;
        const uint32_t f = 1 + check_rand(&seed) % MAX_FEATURES;
        const int extreme = round % 3 == 0;     /* only -32768 and 32767: sums far from 0 */
        for (uint32_t i = 0; i < n * f; i++) {
            values[i] = extreme ? (check_rand(&seed) % 4 ? -32768 : 32767) : (int16_t)check_rand(&seed);
        }
        for (uint32_t i = 0; i < k * f; i++) {
            centroids[i] = (int16_t)check_rand(&seed);
        }
        uint32_t want_changes = 0;
        for (uint32_t s = 0; s < n; s++) {
            labels[s] = (uint8_t)(check_rand(&seed) % (k + 1));   /* some unchanged, some not */
            int64_t unused;
            want_labels[s] = (uint8_t)nearest_reference(centroids, k, values + s * f, f, &unused);
            want_changes += want_labels[s] != labels[s];
        }
        const uint32_t changes = eml_kmeans_assign_i16(values, n, centroids, k, f, labels);
        assign_ok &= changes == want_changes && memcmp(labels, want_labels, n) == 0;

        memcpy(expected, centroids, sizeof(centroids));
        for (uint32_t c = 0; c < k; c++) {
            for (uint32_t j = 0; j < f; j++) {
                int64_t sum = 0, count = 0;
                for (uint32_t s = 0; s < n; s++) {
                    if (labels[s] == c) {
                        sum += values[s * f + j];
                        count++;
                    }
                }
                if (count) {
                    expected[c * f + j] = (int16_t)floor_div(sum, count);
                }
            }
        }
        update_ok &= eml_kmeans_update_i16(values, n, labels, centroids, k, f, sums, counts) == EML_OK
            && memcmp(centroids, expected, k * f * sizeof(int16_t)) == 0;
    }
    /* The mean's bit-by-bit division at its edges: one cluster, one feature. */
    static int16_t column[MAX_SAMPLES];
    const int16_t edges[][2] = { { -32768, -32768 }, { 32767, 32767 }, { -32768, 32767 }, { -1, 0 },
        { -3, -2 }, { 32766, 32767 }, { -32768, -32767 } };
    for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++) {
        for (uint32_t n = 1; n <= MAX_SAMPLES; n += 13) {
            int64_t sum = 0;
            for (uint32_t s = 0; s < n; s++) {
                column[s] = edges[e][check_rand(&seed) % 2];
                sum += column[s];
            }
            uint8_t labels[MAX_SAMPLES] = { 0 };
            int16_t centroid = 12345;
            int64_t sums[1];
            uint32_t counts[1];
            eml_kmeans_update_i16(column, n, labels, &centroid, 1, 1, sums, counts);
            mean_ok &= centroid == floor_div(sum, n);
        }
    }
    CHECK(assign_ok, "i16 assign: 500 random passes as the reference, changes counted");
    CHECK(update_ok, "i16 update: floored means, empty clusters kept");
    CHECK(mean_ok, "i16 update: floored means at the int16 edges");
}

static void test_u8_steps(void) {
    unsigned seed = 5;
    int ok = 1;
    for (int round = 0; round < 300; round++) {
        uint8_t values[MAX_SAMPLES * MAX_FEATURES], centroids[MAX_CLUSTERS * MAX_FEATURES];
        uint8_t labels[MAX_SAMPLES];
        int16_t wide_values[MAX_SAMPLES * MAX_FEATURES], wide_centroids[MAX_CLUSTERS * MAX_FEATURES];
        uint8_t wide_labels[MAX_SAMPLES];
        uint32_t sums[MAX_CLUSTERS * MAX_FEATURES], counts[MAX_CLUSTERS];
        int64_t wide_sums[MAX_CLUSTERS * MAX_FEATURES];
        const uint32_t n = check_rand(&seed) % MAX_SAMPLES, k = 1 + check_rand(&seed) % MAX_CLUSTERS;
        const uint32_t f = 1 + check_rand(&seed) % MAX_FEATURES;
        for (uint32_t i = 0; i < n * f; i++) {
            values[i] = (uint8_t)check_rand(&seed);
            wide_values[i] = values[i];
        }
        for (uint32_t i = 0; i < k * f; i++) {
            centroids[i] = (uint8_t)check_rand(&seed);
            wide_centroids[i] = centroids[i];
        }
        memset(labels, EML_KMEANS_UNASSIGNED, sizeof(labels));
        memset(wide_labels, EML_KMEANS_UNASSIGNED, sizeof(wide_labels));
        /* Non-negative values below 256: uint8 and int16 must agree pass for pass. */
        for (int pass = 0; pass < 4; pass++) {
            const uint32_t changes = eml_kmeans_assign_u8(values, n, centroids, k, f, labels);
            ok &= changes == eml_kmeans_assign_i16(wide_values, n, wide_centroids, k, f, wide_labels);
            ok &= memcmp(labels, wide_labels, n) == 0 && (pass > 0 || changes == n);
            ok &= eml_kmeans_update_u8(values, n, labels, centroids, k, f, sums, counts) == EML_OK;
            eml_kmeans_update_i16(wide_values, n, wide_labels, wide_centroids, k, f, wide_sums, counts);
            for (uint32_t i = 0; i < k * f; i++) {
                ok &= centroids[i] == wide_centroids[i];
            }
        }
    }
    CHECK(ok, "u8: 300 runs of 4 passes agree with int16 on the same values");
}

static void test_f32_steps(void) {
    /* Two clusters on a line; the update's mean is sum / count in float. */
    const float values[] = { 0.0f, 1.0f, 2.0f, 10.0f, 11.0f, 0.1f };
    float centroids[] = { 0.0f, 10.0f, 50.0f };
    uint8_t labels[6];
    memset(labels, EML_KMEANS_UNASSIGNED, sizeof(labels));
    float sums[3];
    uint32_t counts[3];
    CHECK(eml_kmeans_assign_f32(values, 6, centroids, 3, 1, labels) == 6, "f32: first pass changes all");
    const uint8_t want[] = { 0, 0, 0, 1, 1, 0 };
    CHECK(memcmp(labels, want, 6) == 0, "f32: labels");
    CHECK(eml_kmeans_update_f32(values, 6, labels, centroids, 3, 1, sums, counts) == EML_OK, "f32: update");
    const float sum0 = ((0.0f + 1.0f) + 2.0f) + 0.1f;
    CHECK(centroids[0] == sum0 / 4.0f && centroids[1] == 10.5f && centroids[2] == 50.0f,
        "f32: means in sample order; the empty cluster stays");
    CHECK(eml_kmeans_assign_f32(values, 6, centroids, 3, 1, labels) == 0, "f32: converged");
}

static void test_bad_labels(void) {
    const int16_t values[] = { 1, 2, 3, 4 };
    int16_t centroids[] = { 7, 8 };
    const uint8_t labels[] = { 0, 1, 2, 0 };    /* 2 is no cluster of 2 */
    int64_t sums[2];
    uint32_t counts[2];
    CHECK(eml_kmeans_update_i16(values, 4, labels, centroids, 2, 1, sums, counts) == EML_ERR_VALUE
        && centroids[0] == 7 && centroids[1] == 8, "a label past the clusters: refused, centroids untouched");
    const uint8_t unassigned[] = { 255, 0, 0, 0 };
    uint8_t u8_values[] = { 1, 2, 3, 4 }, u8_centroids[] = { 7, 8 };
    uint32_t u8_sums[2];
    CHECK(eml_kmeans_update_u8(u8_values, 4, unassigned, u8_centroids, 2, 1, u8_sums, counts) == EML_ERR_VALUE
        && u8_centroids[0] == 7, "an unassigned sample (255): refused");
    float f_values[] = { 1, 2, 3, 4 }, f_centroids[] = { 7, 8 }, f_sums[2];
    CHECK(eml_kmeans_update_f32(f_values, 4, labels, f_centroids, 2, 1, f_sums, counts) == EML_ERR_VALUE
        && f_centroids[1] == 8, "f32: refused too");
}

int main(void) {
    test_nearest_u8();
    test_nearest_i16();
    test_nearest_f32();
    test_three_features();
    test_i16_steps();
    test_u8_steps();
    test_f32_steps();
    test_bad_labels();
    return check_summary();
}
