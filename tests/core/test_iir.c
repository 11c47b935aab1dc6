/* Host tests for src/core/eml_iir.c. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "eml_iir.h"

/* scipy 1.10.1: signal.butter(2, 0.1, output='sos') */
static const float butter2_sos[6] = {
    0.02008336556421123f, 0.04016673112842246f, 0.02008336556421123f,
    1.0f, -1.5610180758007182f, 0.6413515380575631f,
};
/* scipy 1.10.1: signal.sosfilt(signal.butter(2, 0.1, output='sos'), np.ones(10)) */
static const double butter2_step[10] = {
    0.02008336556421123, 0.09160059336128112, 0.21044314685389687,
    0.3500908369849199, 0.49186355105408713, 0.6236100595196663,
    0.7383425924352123, 0.8329463243606674, 0.9070405734838829,
    0.9620287867017279,
};
/* scipy 1.10.1: signal.butter(4, 0.2, output='sos') */
static const float butter4_sos[12] = {
    0.00482434335771623f, 0.00964868671543246f, 0.00482434335771623f,
    1.0f, -1.0485995763626117f, 0.2961403575616696f,
    1.0f, 2.0f, 1.0f,
    1.0f, -1.3209134308194264f, 0.6327387928852766f,
};
/* scipy 1.10.1: signal.sosfilt(signal.butter(4, 0.2, output='sos'), np.ones(10)) */
static const double butter4_step[10] = {
    0.00482434335771623, 0.035553061125802, 0.12614774308068488,
    0.2940925649254221, 0.5187338362694502, 0.7521910241370507,
    0.945703576299856, 1.069468819870871, 1.1190724230089286,
    1.1105633711340113,
};

#define MAX_SECTIONS 4
#define N 2000

/* Double-precision direct-form difference equation, independent of the
 * transposed structure under test. Uses the float coefficients so only the
 * arithmetic precision differs. */
static void reference(const float *sos, size_t n_sections, const double *x, double *y, size_t n) {
    for (size_t i = 0; i < n; i++) {
        y[i] = x[i];
    }
    double in[N];
    for (size_t s = 0; s < n_sections; s++) {
        const float *c = sos + 6 * s;
        memcpy(in, y, n * sizeof(double));
        for (size_t i = 0; i < n; i++) {
            double acc = c[0] * in[i];
            if (i >= 1) {
                acc += c[1] * in[i - 1] - c[4] * y[i - 1];
            }
            if (i >= 2) {
                acc += c[2] * in[i - 2] - c[5] * y[i - 2];
            }
            y[i] = acc;
        }
    }
}

static double max_abs_diff_f(const float *a, const double *b, size_t n) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        d = d < 0.0 ? -d : d;
        if (d > worst) {
            worst = d;
        }
    }
    return worst;
}

static void test_single_section_impulse(void) {
    const float sos[6] = { 0.5f, -0.3f, 0.25f, 1.0f, -0.9f, 0.4f };
    float coeff[5], state[2];
    eml_iir f;
    CHECK(eml_iir_init(&f, sos, 6, coeff, state) == EML_OK, "init one section");
    CHECK(f.n_sections == 1, "one section");
    float x[64] = { 0 };
    double xd[64] = { 0 }, yd[64];
    x[0] = 1.0f;
    xd[0] = 1.0;
    eml_iir_run_float(&f, x, 64);
    reference(sos, 1, xd, yd, 64);
    CHECK(x[0] == 0.5f, "impulse response starts with b0");
    CHECK(max_abs_diff_f(x, yd, 64) < 1e-6, "impulse response matches difference equation");
    CHECK((double)x[1] - (-0.3 + 0.9 * 0.5) < 1e-7 && (double)x[1] - (-0.3 + 0.9 * 0.5) > -1e-7, "second impulse sample");
}

static void test_butterworth(void) {
    float coeff[5 * MAX_SECTIONS], state[2 * MAX_SECTIONS];
    eml_iir f;
    float x[N];
    static double xd[N], yd[N];
    unsigned seed = 12345;

    CHECK(eml_iir_init(&f, butter2_sos, 6, coeff, state) == EML_OK, "init butter2");
    for (int i = 0; i < 10; i++) {
        x[i] = 1.0f;
    }
    eml_iir_run_float(&f, x, 10);
    CHECK(max_abs_diff_f(x, butter2_step, 10) < 1e-6, "butter2 step response matches scipy");

    CHECK(eml_iir_init(&f, butter4_sos, 12, coeff, state) == EML_OK, "init butter4");
    CHECK(f.n_sections == 2, "two sections");
    for (int i = 0; i < 10; i++) {
        x[i] = 1.0f;
    }
    eml_iir_run_float(&f, x, 10);
    CHECK(max_abs_diff_f(x, butter4_step, 10) < 1e-6, "butter4 step response matches scipy");

    /* Long noisy signal against the double reference. */
    eml_iir_reset(&f);
    for (int i = 0; i < N; i++) {
        x[i] = (float)((int)(check_rand(&seed) % 20001) - 10000) / 10000.0f;
        xd[i] = x[i];
    }
    eml_iir_run_float(&f, x, N);
    reference(butter4_sos, 2, xd, yd, N);
    CHECK(max_abs_diff_f(x, yd, N) < 1e-5, "butter4 noise matches double reference");
}

static void test_chunked_float(void) {
    float coeff_a[10], state_a[4], coeff_b[10], state_b[4];
    eml_iir whole, parts;
    static float a[N], b[N];
    unsigned seed = 777;
    CHECK(eml_iir_init(&whole, butter4_sos, 12, coeff_a, state_a) == EML_OK, "init whole");
    CHECK(eml_iir_init(&parts, butter4_sos, 12, coeff_b, state_b) == EML_OK, "init parts");
    for (int i = 0; i < N; i++) {
        a[i] = b[i] = (float)((int)(check_rand(&seed) % 2001) - 1000);
    }
    eml_iir_run_float(&whole, a, N);
    size_t pos = 0;
    while (pos < N) {
        size_t len = check_rand(&seed) % 70;  /* includes 0-length calls */
        if (len > N - pos) {
            len = N - pos;
        }
        eml_iir_run_float(&parts, b + pos, len);
        pos += len;
    }
    CHECK(memcmp(a, b, sizeof a) == 0, "chunked float output is bit-identical");
    CHECK(memcmp(state_a, state_b, sizeof state_b) == 0, "chunked float state is bit-identical");
}

static void test_chunked_int16(void) {
    float coeff_a[10], state_a[4], coeff_b[10], state_b[4];
    eml_iir whole, parts;
    static int16_t a[N], b[N];
    static float fa[N];
    unsigned seed = 4242;
    CHECK(eml_iir_init(&whole, butter4_sos, 12, coeff_a, state_a) == EML_OK, "init whole");
    CHECK(eml_iir_init(&parts, butter4_sos, 12, coeff_b, state_b) == EML_OK, "init parts");
    for (int i = 0; i < N; i++) {
        a[i] = b[i] = (int16_t)((int)(check_rand(&seed) % 65536) - 32768);
        fa[i] = (float)a[i];
    }
    eml_iir_run_int16(&whole, a, N);
    size_t pos = 0;
    while (pos < N) {
        size_t len = check_rand(&seed) % 100;
        if (len > N - pos) {
            len = N - pos;
        }
        eml_iir_run_int16(&parts, b + pos, len);
        pos += len;
    }
    CHECK(memcmp(a, b, sizeof a) == 0, "chunked int16 output is bit-identical");
    CHECK(memcmp(state_a, state_b, sizeof state_b) == 0, "chunked int16 state is bit-identical");

    /* The int16 path equals the float path followed by rounding. */
    eml_iir_reset(&whole);
    eml_iir_run_float(&whole, fa, N);
    int same = 1;
    for (int i = 0; i < N; i++) {
        same &= a[i] == eml_float_to_int16(fa[i]);
    }
    CHECK(same, "int16 path equals float path rounded");
}

static void test_int16_saturation_and_rounding(void) {
    float coeff[5], state[2];
    eml_iir f;
    /* Pure gain of 3: y = 3x. */
    const float gain3[6] = { 3.0f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f };
    CHECK(eml_iir_init(&f, gain3, 6, coeff, state) == EML_OK, "init gain");
    int16_t v[6] = { 20000, -20000, 10922, -10923, 32767, -32768 };
    eml_iir_run_int16(&f, v, 6);
    CHECK(v[0] == 32767, "saturates at +32767");
    CHECK(v[1] == -32768, "saturates at -32768");
    CHECK(v[2] == 32766, "in range stays exact");
    CHECK(v[3] == -32768, "-32769 saturates to -32768");
    CHECK(v[4] == 32767 && v[5] == -32768, "rails saturate");

    /* Gain 0.5 makes exact .5 values: ties go to even. */
    const float half[6] = { 0.5f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f };
    CHECK(eml_iir_init(&f, half, 6, coeff, state) == EML_OK, "init half");
    int16_t h[8] = { 1, 3, 5, -1, -3, -5, 7, 32767 };
    eml_iir_run_int16(&f, h, 8);
    CHECK(h[0] == 0 && h[1] == 2 && h[2] == 2, "positive ties to even");
    CHECK(h[3] == 0 && h[4] == -2 && h[5] == -2, "negative ties to even");
    CHECK(h[6] == 4 && h[7] == 16384, "3.5 -> 4, 16383.5 -> 16384");

    /* Gain 0.4: 2 -> 0.8 -> 1, 1 -> 0.4 -> 0, -2 -> -1. */
    const float g04[6] = { 0.4f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f };
    CHECK(eml_iir_init(&f, g04, 6, coeff, state) == EML_OK, "init 0.4");
    int16_t r[3] = { 2, 1, -2 };
    eml_iir_run_int16(&f, r, 3);
    CHECK(r[0] == 1 && r[1] == 0 && r[2] == -1, "rounds to nearest");
}

static void test_reset(void) {
    float coeff[10], state[4];
    eml_iir f;
    float a[50], b[50];
    CHECK(eml_iir_init(&f, butter4_sos, 12, coeff, state) == EML_OK, "init");
    for (int i = 0; i < 50; i++) {
        a[i] = b[i] = (float)(i % 7) - 3.0f;
    }
    eml_iir_run_float(&f, a, 50);
    float disturb[5] = { 100.0f, -50.0f, 3.0f, 8.0f, 1.0f };
    eml_iir_run_float(&f, disturb, 5);
    CHECK(state[0] != 0.0f, "state non-zero after running");
    eml_iir_reset(&f);
    int zero = 1;
    for (int i = 0; i < 4; i++) {
        zero &= state[i] == 0.0f;
    }
    CHECK(zero, "reset clears all state");
    eml_iir_run_float(&f, b, 50);
    CHECK(memcmp(a, b, sizeof a) == 0, "after reset output repeats");

    /* init clears state left in the caller's buffer. */
    for (int i = 0; i < 4; i++) {
        state[i] = 99.0f;
    }
    CHECK(eml_iir_init(&f, butter4_sos, 12, coeff, state) == EML_OK, "re-init");
    CHECK(state[0] == 0.0f && state[3] == 0.0f, "init clears state");
}

static void test_validation(void) {
    float sos[12];
    float coeff[10], state[4];
    eml_iir f;
    memcpy(sos, butter4_sos, sizeof sos);
    CHECK(eml_iir_check_sos(sos, 12) == EML_OK, "valid sos");
    CHECK(eml_iir_check_sos(sos, 0) == EML_ERR_SIZE, "length 0");
    CHECK(eml_iir_check_sos(sos, 5) == EML_ERR_SIZE, "length 5");
    CHECK(eml_iir_check_sos(sos, 7) == EML_ERR_SIZE, "length 7");
    CHECK(eml_iir_check_sos(sos, 6 * 65536) == EML_ERR_SIZE, "too many sections");
    CHECK(eml_iir_init(&f, sos, 11, coeff, state) == EML_ERR_SIZE, "init checks size");

    sos[9] = 2.0f;
    CHECK(eml_iir_check_sos(sos, 12) == EML_ERR_VALUE, "a0 != 1 in second section");
    CHECK(eml_iir_init(&f, sos, 12, coeff, state) == EML_ERR_VALUE, "init checks a0");
    CHECK(eml_iir_check_sos(sos, 6) == EML_OK, "first section alone is valid");
    sos[9] = 1.0f;
    sos[3] = 0.0f;
    CHECK(eml_iir_check_sos(sos, 12) == EML_ERR_VALUE, "a0 == 0");
    sos[3] = 1.0f;

    sos[1] = NAN;
    CHECK(eml_iir_check_sos(sos, 12) == EML_ERR_VALUE, "NaN b1");
    sos[1] = butter4_sos[1];
    sos[11] = INFINITY;
    CHECK(eml_iir_check_sos(sos, 12) == EML_ERR_VALUE, "+Inf a2");
    sos[11] = -INFINITY;
    CHECK(eml_iir_check_sos(sos, 12) == EML_ERR_VALUE, "-Inf a2");
    sos[11] = butter4_sos[11];
    sos[3] = NAN;
    CHECK(eml_iir_check_sos(sos, 12) == EML_ERR_VALUE, "NaN a0");
    sos[3] = 1.0f;
    CHECK(eml_iir_check_sos(sos, 12) == EML_OK, "restored sos valid");
}

int main(void) {
    test_single_section_impulse();
    test_butterworth();
    test_chunked_float();
    test_chunked_int16();
    test_int16_saturation_and_rounding();
    test_reset();
    test_validation();
    return check_summary();
}
