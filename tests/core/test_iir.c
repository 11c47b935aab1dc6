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

/* A-weighting at fs = 16 kHz, printed as float32 by this script
 * (/usr/bin/python3, scipy 1.10.1):
 *
 *   import numpy as np
 *   from scipy import signal
 *   fs = 16000
 *   z = [0, 0, 0, 0]
 *   p = [-2*np.pi*20.598997]*2 + [-2*np.pi*107.65265, -2*np.pi*737.86223] \
 *       + [-2*np.pi*12194.217]*2
 *   w = 2*np.pi*1000
 *   h = np.prod([1j*w - zz for zz in z]) / np.prod([1j*w - pp for pp in p])
 *   k = 1.0 / abs(h)
 *   zd, pd, kd = signal.bilinear_zpk(z, p, k, fs)
 *   sos = signal.zpk2sos(zd, pd, kd)
 *   for row in sos:
 *       print(", ".join("%.9gf" % np.float32(v) for v in row) + ",")
 *
 * All three sections have zeros at z = +-1 (b = b0 * (1, +-2, 1)), the
 * pattern the fast kernel handles. */
static const float aweight16k_sos[18] = {
    0.531487107f, 1.06297421f, 0.531487107f, 1.0f, 0.82156384f, 0.168741778f,
    1.0f, -2.0f, 1.0f, 1.0f, -1.70550966f, 0.715987563f,
    1.0f, -2.0f, 1.0f, 1.0f, -1.98388672f, 0.983951688f,
};
/* x = np.zeros(10); x[0] = 1; signal.sosfilt(sos, x) with the double sos above */
static const double aweight16k_impulse[10] = {
    0.5314871090314678, 0.4612418253429442, -0.38923239960644024,
    -0.256758871131767, -0.09061855096819607, -0.15149622333124424,
    -0.05655305994874359, -0.06998907028493578, -0.03461436359448743,
    -0.031453647663482256,
};

#define MAX_SECTIONS 6
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

/* N samples of noise in [-1, 1] through f (in place in x) and, in
 * doubles, through the reference into yd. */
static void run_noise(eml_iir *f, const float *sos, size_t n_sections, unsigned *seed,
    float *x, double *xd, double *yd) {
    for (int i = 0; i < N; i++) {
        x[i] = (float)((int)(check_rand(seed) % 20001) - 10000) / 10000.0f;
        xd[i] = x[i];
    }
    eml_iir_run_float(f, x, N);
    reference(sos, n_sections, xd, yd, N);
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
    run_noise(&f, butter4_sos, 2, &seed, x, xd, yd);
    CHECK(max_abs_diff_f(x, yd, N) < 1e-5, "butter4 noise matches double reference");
}

/* Mixed cascade touching every kernel: the zero-pattern kernel with a
 * non-unit and a unit gain, c = +2, -2, 0 and d = +1, -1, a section with
 * b0 == 0 after the first (stays unnormalised, general kernel) and one
 * without the pattern. Poles are stable. */
static const float mixed_sos[36] = {
    0.3f, 0.6f, 0.3f, 1.0f, -1.2f, 0.5f,       /* c = +2, d = +1, gain 0.3 */
    2.0f, -4.0f, 2.0f, 1.0f, -1.5f, 0.7f,      /* c = -2, d = +1, b0 2 moves */
    0.5f, 0.0f, -0.5f, 1.0f, -0.4f, 0.6f,      /* c = 0, d = -1, b0 0.5 moves */
    0.0f, 0.4f, 0.2f, 1.0f, 0.3f, 0.2f,        /* b0 == 0: general */
    1.0f, 0.5f, -0.3f, 1.0f, -0.9f, 0.4f,      /* no pattern: general */
    4.0f, 0.0f, 4.0f, 1.0f, 0.2f, 0.5f,        /* c = 0, d = +1, b0 4 moves */
};

static void check_chunked_float(const float *sos, size_t n_values) {
    float coeff_a[5 * MAX_SECTIONS], state_a[2 * MAX_SECTIONS];
    float coeff_b[5 * MAX_SECTIONS], state_b[2 * MAX_SECTIONS];
    size_t n_states = n_values / 6 * 2;
    eml_iir whole, parts;
    static float a[N], b[N];
    unsigned seed = 777;
    CHECK(eml_iir_init(&whole, sos, n_values, coeff_a, state_a) == EML_OK, "init whole");
    CHECK(eml_iir_init(&parts, sos, n_values, coeff_b, state_b) == EML_OK, "init parts");
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
    CHECK(memcmp(state_a, state_b, n_states * sizeof(float)) == 0, "chunked float state is bit-identical");
}

static void check_chunked_int16(const float *sos, size_t n_values) {
    float coeff_a[5 * MAX_SECTIONS], state_a[2 * MAX_SECTIONS];
    float coeff_b[5 * MAX_SECTIONS], state_b[2 * MAX_SECTIONS];
    size_t n_states = n_values / 6 * 2;
    eml_iir whole, parts;
    static int16_t a[N], b[N];
    static float fa[N];
    unsigned seed = 4242;
    CHECK(eml_iir_init(&whole, sos, n_values, coeff_a, state_a) == EML_OK, "init whole");
    CHECK(eml_iir_init(&parts, sos, n_values, coeff_b, state_b) == EML_OK, "init parts");
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
    CHECK(memcmp(state_a, state_b, n_states * sizeof(float)) == 0, "chunked int16 state is bit-identical");

    /* The int16 path equals the float path followed by rounding. */
    eml_iir_reset(&whole);
    eml_iir_run_float(&whole, fa, N);
    int same = 1;
    for (int i = 0; i < N; i++) {
        same &= a[i] == eml_float_to_int16(fa[i]);
    }
    CHECK(same, "int16 path equals float path rounded");
}

static void test_chunked(void) {
    check_chunked_float(butter4_sos, 12);
    check_chunked_float(aweight16k_sos, 18);
    check_chunked_float(mixed_sos, 36);
    check_chunked_int16(butter4_sos, 12);
    check_chunked_int16(aweight16k_sos, 18);
    check_chunked_int16(mixed_sos, 36);
}

static void test_aweighting(void) {
    float coeff[5 * MAX_SECTIONS], state[2 * MAX_SECTIONS];
    eml_iir f;
    float x[N];
    static double xd[N], yd[N];
    unsigned seed = 2024;
    CHECK(eml_iir_init(&f, aweight16k_sos, 18, coeff, state) == EML_OK, "init A-weighting");
    /* Later b0 are already 1, so no gain moves. */
    CHECK(coeff[0] == aweight16k_sos[0] && coeff[5] == 1.0f && coeff[10] == 1.0f, "A-weighting gain stays first");

    for (int i = 0; i < 10; i++) {
        x[i] = i == 0 ? 1.0f : 0.0f;
    }
    eml_iir_run_float(&f, x, 10);
    CHECK(max_abs_diff_f(x, aweight16k_impulse, 10) < 1e-6, "A-weighting impulse response matches scipy");

    eml_iir_reset(&f);
    run_noise(&f, aweight16k_sos, 3, &seed, x, xd, yd);
    /* The last section's poles sit at radius 0.992, which amplifies float
     * rounding: the error is about 5e-5 on an output of order 1, the same
     * as before the fast kernel. */
    CHECK(max_abs_diff_f(x, yd, N) < 1e-4, "A-weighting noise matches double reference");
}

static void test_mixed_cascade(void) {
    float coeff[5 * MAX_SECTIONS], state[2 * MAX_SECTIONS];
    eml_iir f;
    float x[N];
    static double xd[N], yd[N];
    unsigned seed = 99;
    CHECK(eml_iir_init(&f, mixed_sos, 36, coeff, state) == EML_OK, "init mixed");
    /* b0 of sections 2, 3 and 6 (2 * 0.5 * 4 = 4) moved into the first. */
    CHECK(coeff[0] == 0.3f * 4.0f && coeff[1] == 0.6f * 4.0f && coeff[2] == 0.3f * 4.0f, "gain moved to first section");
    CHECK(coeff[5] == 1.0f && coeff[6] == -2.0f && coeff[7] == 1.0f, "section 2 normalised");
    CHECK(coeff[10] == 1.0f && coeff[11] == 0.0f && coeff[12] == -1.0f, "section 3 normalised");
    CHECK(coeff[15] == 0.0f && coeff[16] == 0.4f && coeff[17] == 0.2f, "b0 == 0 section untouched");
    CHECK(coeff[20] == 1.0f && coeff[21] == 0.5f && coeff[22] == -0.3f, "unit b0 section unchanged");
    CHECK(coeff[25] == 1.0f && coeff[26] == 0.0f && coeff[27] == 1.0f, "section 6 normalised");
    CHECK(coeff[28] == -0.2f && coeff[29] == -0.5f, "feedback stored negated");

    run_noise(&f, mixed_sos, 6, &seed, x, xd, yd);
    double peak = 0.0;
    for (int i = 0; i < N; i++) {
        peak = fabs(yd[i]) > peak ? fabs(yd[i]) : peak;
    }
    CHECK(peak > 1.0, "mixed cascade output is not trivial");
    CHECK(max_abs_diff_f(x, yd, N) < 2e-6 * peak, "mixed cascade matches double reference");
}

/* Float model of one section with multiplies only, in the evaluation order
 * of the kernels: `zeros` selects the b0 * (1, c, d) form (u = b0 * x,
 * c * u and d * u as real multiplies; the c == 0 add is skipped), otherwise
 * the general form. The library must give the same bits, which shows that
 * the exponent-field doubling and sign XOR equal the multiplies. */
static void model_section(const float *coeff, int zeros, float *x, size_t n, float *state) {
    float s1 = state[0], s2 = state[1];
    float b0 = coeff[0], b1 = coeff[1], b2 = coeff[2], a1 = coeff[3], a2 = coeff[4];
    for (size_t i = 0; i < n; i++) {
        if (zeros) {
            float c = b1 / b0, d = b2 / b0;
            float u = b0 * x[i];
            float y = u + s1;
            s1 = (c == 0.0f ? a1 * y : c * u + a1 * y) + s2;
            s2 = d * u + a2 * y;
            x[i] = y;
        } else {
            float y = b0 * x[i] + s1;
            s1 = b1 * x[i] + a1 * y + s2;
            s2 = b2 * x[i] + a2 * y;
            x[i] = y;
        }
    }
    state[0] = s1;
    state[1] = s2;
}

/* Same bits, or both NaN (NaN sign and payload are not specified). */
static int same_float(float a, float b) {
    uint32_t ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    return ua == ub || (a != a && b != b);
}

static int same_floats(const float *a, const float *b, size_t n) {
    int same = 1;
    for (size_t i = 0; i < n; i++) {
        same &= same_float(a[i], b[i]);
    }
    return same;
}

/* Every zero-pattern variant as a single section (so the gain stays), run
 * in chunks, against the multiply-only model and the double reference. */
static void test_zero_pattern_variants(void) {
    const float gains[2] = { 1.0f, 0.7f };
    const float cs[3] = { -2.0f, 0.0f, 2.0f };
    const float ds[2] = { -1.0f, 1.0f };
    static float x[N], m[N];
    static double xd[N], yd[N];
    for (int gi = 0; gi < 2; gi++) {
        for (int ci = 0; ci < 3; ci++) {
            for (int di = 0; di < 2; di++) {
                float g = gains[gi];
                float sos[6] = { g, cs[ci] * g, ds[di] * g, 1.0f, -1.2f, 0.5f };
                float coeff[5], state[2], mstate[2] = { 0.0f, 0.0f };
                eml_iir f;
                unsigned seed = 31u + (unsigned)(gi * 6 + ci * 2 + di);
                CHECK(eml_iir_init(&f, sos, 6, coeff, state) == EML_OK, "init variant");
                for (int i = 0; i < N; i++) {
                    x[i] = m[i] = (float)((int)(check_rand(&seed) % 20001) - 10000) / 100.0f;
                    xd[i] = x[i];
                }
                eml_iir_run_float(&f, x, 700);
                eml_iir_run_float(&f, x + 700, N - 700);
                model_section(coeff, 1, m, N, mstate);
                reference(sos, 1, xd, yd, N);
                CHECK(same_floats(x, m, N), "variant equals multiply model");
                CHECK(same_floats(state, mstate, 2), "variant state equals multiply model");
                CHECK(max_abs_diff_f(x, yd, N) < 1e-3, "variant matches double reference");
            }
        }
    }
}

/* Values where doubling by the exponent field would be wrong (zero,
 * subnormal, |u| >= 2^127, Inf, NaN) and values right at its edges. Each
 * probe starts from a cleared state so one overflow does not turn every
 * later sample into NaN. */
static void test_exponent_edges(void) {
    const float probes[] = {
        0.0f, -0.0f, 1.0f, -3.5f,
        0x1p-149f, -0x1p-149f, 0x1.8p-127f, 0x1p-126f, -0x1.000002p-126f, 0x1.fffffcp-127f,
        0x1p126f, -0x1.fffffep126f, 0x1p127f, -0x1p127f, 3.4028235e38f, -3.4028235e38f,
        INFINITY, -INFINITY, NAN,
    };
    const float gains[4] = { 1.0f, 0.75f, 3.0f, 0x1p-100f };
    for (int gi = 0; gi < 4; gi++) {
        for (int ci = 0; ci < 2; ci++) {
            for (int di = 0; di < 2; di++) {
                float g = gains[gi], c = ci ? 2.0f : -2.0f, d = di ? 1.0f : -1.0f;
                float sos[6] = { g, c * g, d * g, 1.0f, -0.5f, 0.25f };
                float coeff[5], state[2];
                eml_iir f;
                int same = 1;
                CHECK(eml_iir_init(&f, sos, 6, coeff, state) == EML_OK, "init edge");
                for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
                    float v = probes[p];
                    float x[5] = { v, 0.5f * v, -v, 0.0f, 0.0f };
                    float m[5];
                    float mstate[2] = { 0.0f, 0.0f };
                    memcpy(m, x, sizeof x);
                    eml_iir_reset(&f);
                    eml_iir_run_float(&f, x, 5);
                    model_section(coeff, 1, m, 5, mstate);
                    same &= same_floats(x, m, 5) && same_floats(state, mstate, 2);
                }
                CHECK(same, "exponent edge cases equal the multiply path");
            }
        }
    }

    /* b0 at the ends of the range fails the exact pattern check and takes
     * the general kernel, still with the right result. */
    const float odd_gains[3] = { 0x1p-140f, 0x1p127f, -3.4028235e38f };
    for (int gi = 0; gi < 3; gi++) {
        float g = odd_gains[gi];
        float sos[6] = { g, 0.0f, g, 1.0f, -0.5f, 0.25f };
        float coeff[5], state[2], mstate[2] = { 0.0f, 0.0f };
        float x[6] = { 1.0f, -0.5f, 0.25f, 1e-20f, 0.0f, 0.0f };
        float m[6];
        eml_iir f;
        memcpy(m, x, sizeof x);
        CHECK(eml_iir_init(&f, sos, 6, coeff, state) == EML_OK, "init odd gain");
        eml_iir_run_float(&f, x, 6);
        model_section(coeff, 0, m, 6, mstate);
        CHECK(same_floats(x, m, 6) && same_floats(state, mstate, 2), "extreme b0 uses general kernel");
    }
}

/* Whether the library filters a stored section with the zero-pattern
 * kernel: b0 normal below 2^127, b1 in {0, 2*b0, -2*b0}, b2 = +-b0. */
static int zero_form(const float *c) {
    float a = fabsf(c[0]);
    return a >= 0x1p-126f && a < 0x1p127f
        && (c[1] == 0.0f || c[1] == 2.0f * c[0] || c[1] == -2.0f * c[0])
        && (c[2] == c[0] || c[2] == -c[0]);
}

/* A random section of one of the kinds the kernels tell apart: general, or
 * b0 * (1, c, d) with c in {-2, 0, 2}, d in {-1, 1}, unit or other b0; its
 * poles stable, a1 sometimes 0 (then a1 * y is a signed zero). */
static void random_section(float *sos, unsigned *seed) {
    const unsigned kind = check_rand(seed) % 8;
    float b0 = (kind & 1) ? 1.0f : (float)(check_rand(seed) % 1000 + 1) / 700.0f;
    float c = (kind >> 1) == 0 ? -2.0f : (kind >> 1) == 1 ? 0.0f : 2.0f;
    float d = (check_rand(seed) & 1) ? 1.0f : -1.0f;
    sos[0] = b0;
    sos[1] = c * b0;
    sos[2] = d * b0;
    if (kind >> 1 == 3) {   /* general */
        sos[1] = (float)((int)(check_rand(seed) % 2001) - 1000) / 600.0f;
        sos[2] = (float)((int)(check_rand(seed) % 2001) - 1000) / 900.0f;
    }
    sos[3] = 1.0f;
    sos[4] = (check_rand(seed) % 4 == 0) ? 0.0f : (float)((int)(check_rand(seed) % 1801) - 900) / 1000.0f;
    sos[5] = (float)(check_rand(seed) % 900) / 1000.0f;
}

/* Cascades of 1 to 7 sections of mixed kinds (hosts filter them up to three
 * at a time, microcontrollers one by one) against the multiply-only model
 * run one section after the other: the same bits, on noise cut into chunks
 * and on edge values (signed zeros, subnormals, huge values, Inf, NaN). */
static void test_cascade_bits(void) {
    const float probes[] = {
        0.0f, -0.0f, 0x1p-149f, -0x1.8p-127f, 1e-38f, 3.4028235e38f, -0x1p127f,
        INFINITY, -INFINITY, NAN,
    };
    static float x[N], m[N];
    unsigned seed = 77u;
    int same_noise = 1, same_edges = 1;
    for (int round = 0; round < 40; round++) {
        const size_t n_sec = 1 + (size_t)round % 7;
        float sos[7 * 6], coeff[7 * 5], state[7 * 2], mstate[7 * 2];
        eml_iir f;
        for (size_t s = 0; s < n_sec; s++) {
            random_section(sos + 6 * s, &seed);
        }
        CHECK(eml_iir_init(&f, sos, 6 * n_sec, coeff, state) == EML_OK, "init cascade");
        memset(mstate, 0, sizeof mstate);
        for (int i = 0; i < N; i++) {
            x[i] = m[i] = (float)((int)(check_rand(&seed) % 20001) - 10000) / 1000.0f;
        }
        for (int i = 100; i < 140; i++) {
            x[i] = m[i] = (i & 1) ? -0.0f : 0.0f;   /* silence: signed zeros in the state */
        }
        eml_iir_run_float(&f, x, 333);
        eml_iir_run_float(&f, x + 333, N - 333);
        for (size_t s = 0; s < n_sec; s++) {
            model_section(coeff + 5 * s, zero_form(coeff + 5 * s), m, N, mstate + 2 * s);
        }
        same_noise &= same_floats(x, m, N) && same_floats(state, mstate, 2 * n_sec);
        for (size_t p = 0; p < sizeof probes / sizeof probes[0]; p++) {
            float v = probes[p];
            float e[6] = { v, -0.0f, 0.5f * v, 0.0f, -v, 0.0f };
            float me[6];
            memcpy(me, e, sizeof e);
            eml_iir_reset(&f);
            memset(mstate, 0, sizeof mstate);
            eml_iir_run_float(&f, e, 6);
            for (size_t s = 0; s < n_sec; s++) {
                model_section(coeff + 5 * s, zero_form(coeff + 5 * s), me, 6, mstate + 2 * s);
            }
            same_edges &= same_floats(e, me, 6) && same_floats(state, mstate, 2 * n_sec);
        }
    }
    CHECK(same_noise, "mixed cascades equal the section-by-section model");
    CHECK(same_edges, "mixed cascades equal the model on edge values");
}

/* The gain only moves when it stays a normal float. */
static void test_gain_move_limits(void) {
    float coeff[15], state[6];
    eml_iir f;
    const float big[12] = {
        1e30f, 2e30f, 1e30f, 1.0f, 0.0f, 0.0f,
        1e20f, 0.0f, 1e20f, 1.0f, 0.0f, 0.0f,
    };
    CHECK(eml_iir_init(&f, big, 12, coeff, state) == EML_OK, "init big");
    CHECK(coeff[0] == 1e30f && coeff[5] == 1e20f && coeff[7] == 1e20f, "overflowing gain not moved");

    const float tiny[12] = {
        1e-30f, 0.0f, -1e-30f, 1.0f, 0.0f, 0.0f,
        1e-20f, -2e-20f, 1e-20f, 1.0f, 0.0f, 0.0f,
    };
    CHECK(eml_iir_init(&f, tiny, 12, coeff, state) == EML_OK, "init tiny");
    CHECK(coeff[0] == 1e-30f && coeff[5] == 1e-20f && coeff[6] == -2e-20f, "underflowing gain not moved");
    float x[4] = { 1e25f, 1e25f, 0.0f, 0.0f };
    eml_iir_run_float(&f, x, 4);
    /* y = 1e-30 * 1e-20 * x * (1 - z^-2) * (1 - z^-1)^2: non-zero, finite. */
    CHECK(x[0] > 0.0f && x[0] < 1e-24f, "unmoved tiny gains still filter");

    /* Ratio b1 / b0 overflows: that section keeps its b0, the others move. */
    const float ratio[18] = {
        0.5f, 1.0f, 0.5f, 1.0f, 0.0f, 0.0f,
        1e-30f, 1e30f, 0.0f, 1.0f, 0.0f, 0.0f,
        2.0f, 0.0f, -2.0f, 1.0f, 0.0f, 0.0f,
    };
    CHECK(eml_iir_init(&f, ratio, 18, coeff, state) == EML_OK, "init ratio");
    CHECK(coeff[0] == 1.0f && coeff[1] == 2.0f && coeff[5] == 1e-30f && coeff[6] == 1e30f
        && coeff[10] == 1.0f && coeff[12] == -1.0f, "overflowing ratio keeps its b0");
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
    test_chunked();
    test_aweighting();
    test_mixed_cascade();
    test_zero_pattern_variants();
    test_exponent_edges();
    test_cascade_bits();
    test_gain_move_limits();
    test_int16_saturation_and_rounding();
    test_reset();
    test_validation();
    return check_summary();
}
