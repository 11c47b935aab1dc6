/* Host tests for src/core/eml_fft.c: twiddle tables against libm in double,
 * transforms against a direct DFT in double, exact results where the
 * arithmetic allows them, and the length checks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "eml_fft.h"

/* -std=c99 leaves PI out of math.h. */
#define PI 3.14159265358979323846

#define MAX_TESTED 65536u
#define MAX_DFT 1024u

static float sin_t[MAX_TESTED / 2], cos_t[MAX_TESTED / 2];
static float re[MAX_TESTED], im[MAX_TESTED];
static double ref_re[MAX_DFT], ref_im[MAX_DFT];

/* The spacing of floats at |v|: one unit in the last place. Values below
 * 2^-24 count as 2^-24 (spacing 2^-47): the exact zeros of the tables
 * (cos(pi / 2)) come out of libm as about 6e-17, while their other entries
 * are at least sin(2 pi / 2^16), about 1e-4. */
static double ulp(double v) {
    float f = fabsf((float)v);
    if (f < 0x1p-24f) {
        f = 0x1p-24f;
    }
    return (double)nextafterf(f, INFINITY) - (double)f;
}

static void test_lengths(void) {
    int ok = 1;
    for (size_t n = 1; n <= EML_FFT_MAX_LENGTH; n *= 2) {
        ok &= eml_fft_check_length(n) == EML_OK;
    }
    CHECK(ok, "every power of two up to the maximum is a length");
    const size_t bad[] = { 0, 3, 6, 12, 1000, 65535, 65537, (size_t)EML_FFT_MAX_LENGTH * 2,
        (size_t)EML_FFT_MAX_LENGTH + 1, (size_t)-1 };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(eml_fft_check_length(bad[i]) == EML_ERR_SIZE, "not a length");
        re[0] = 1.5f;
        CHECK(eml_fft_forward(sin_t, cos_t, re, im, bad[i]) == EML_ERR_SIZE && re[0] == 1.5f,
            "forward refuses a bad length and leaves the data");
        sin_t[0] = 2.5f;
        CHECK(eml_fft_fill(sin_t, cos_t, bad[i]) == EML_ERR_SIZE && sin_t[0] == 2.5f,
            "fill refuses a bad length and leaves the tables");
    }
}

/* Every table entry within 0.6 units in the last place of sin and cos in
 * double (measured: 0.56; the integer evaluation is the same on every
 * target), for every length up to 2^16, and at the points whose values
 * are exact. */
static void test_tables(void) {
    for (size_t n = 1; n <= MAX_TESTED; n *= 2) {
        CHECK(eml_fft_fill(sin_t, cos_t, n) == EML_OK, "fill");
        double worst = 0;
        for (size_t k = 0; k < n / 2; k++) {
            const double a = 2 * PI * (double)k / (double)n;
            const double es = fabs(sin_t[k] - sin(a)) / ulp(sin(a));
            const double ec = fabs(cos_t[k] - cos(a)) / ulp(cos(a));
            worst = fmax(worst, fmax(es, ec));
        }
        if (worst > 0.6) {
            printf("n=%zu: table error %.2f ulp\n", n, worst);
        }
        CHECK(worst <= 0.6, "tables within 0.6 ulp");
        if (n >= 2) {
            CHECK(sin_t[0] == 0.0f && cos_t[0] == 1.0f, "angle 0 exact");
        }
        if (n >= 4) {
            CHECK(sin_t[n / 4] == 1.0f && cos_t[n / 4] == 0.0f, "angle pi/2 exact");
        }
    }
}

/* Relative L2 error of the transform of (re, im) against a direct DFT in
 * double of the same float inputs. */
static double dft_error(size_t n) {
    for (size_t k = 0; k < n; k++) {
        double sr = 0, si = 0;
        for (size_t j = 0; j < n; j++) {
            const double a = -2 * PI * (double)((j * k) % n) / (double)n;
            sr += re[j] * cos(a) - im[j] * sin(a);
            si += re[j] * sin(a) + im[j] * cos(a);
        }
        ref_re[k] = sr;
        ref_im[k] = si;
    }
    CHECK(eml_fft_fill(sin_t, cos_t, n) == EML_OK, "fill");
    CHECK(eml_fft_forward(sin_t, cos_t, re, im, n) == EML_OK, "forward");
    double err = 0, norm = 0;
    for (size_t k = 0; k < n; k++) {
        err += (re[k] - ref_re[k]) * (re[k] - ref_re[k]) + (im[k] - ref_im[k]) * (im[k] - ref_im[k]);
        norm += ref_re[k] * ref_re[k] + ref_im[k] * ref_im[k];
    }
    return norm > 0 ? sqrt(err / norm) : sqrt(err);
}

/* Random complex data, and random real data: the relative error stays
 * within log2(n) + 1 units of float rounding (2^-24), about what a float
 * FFT achieves (measured: 0.08 to 0.37 of that); a wrong twiddle, sign or
 * index is off by order 1. */
static void test_against_dft(void) {
    unsigned seed = 12345;
    for (size_t n = 1; n <= MAX_DFT; n *= 2) {
        double bits = 0;
        for (size_t b = n; b > 1; b >>= 1) {
            bits += 1;
        }
        const double bound = (bits + 1) * 0x1p-24;
        for (int real_only = 0; real_only <= 1; real_only++) {
            for (size_t j = 0; j < n; j++) {
                re[j] = (float)((int)(check_rand(&seed) % 20001) - 10000) / 10000.0f;
                im[j] = real_only ? 0.0f : (float)((int)(check_rand(&seed) % 20001) - 10000) / 10000.0f;
            }
            const double e = dft_error(n);
            if (e > bound) {
                printf("n=%zu real_only=%d: relative error %.3g > %.3g\n", n, real_only, e, bound);
            }
            CHECK(e <= bound, "forward matches the DFT");
        }
    }
}

/* Inputs whose transform the butterflies compute exactly: an impulse
 * (all ones), a constant (n at 0), an alternating sign (n at n / 2), and a
 * shifted impulse at n / 4 (powers of -i, from the twiddles 1 and -i). */
static void test_exact(void) {
    for (size_t n = 1; n <= MAX_TESTED; n *= 2) {
        eml_fft_fill(sin_t, cos_t, n);
        int ok_impulse = 1, ok_const = 1, ok_alt = 1;
        memset(re, 0, n * sizeof re[0]);
        memset(im, 0, n * sizeof im[0]);
        re[0] = 1.0f;
        eml_fft_forward(sin_t, cos_t, re, im, n);
        for (size_t k = 0; k < n; k++) {
            ok_impulse &= re[k] == 1.0f && im[k] == 0.0f;
        }
        for (size_t j = 0; j < n; j++) {
            re[j] = 1.0f;
            im[j] = 0.0f;
        }
        eml_fft_forward(sin_t, cos_t, re, im, n);
        for (size_t k = 0; k < n; k++) {
            ok_const &= re[k] == (k == 0 ? (float)n : 0.0f) && im[k] == 0.0f;
        }
        for (size_t j = 0; j < n; j++) {
            re[j] = (j & 1) ? -1.0f : 1.0f;
            im[j] = 0.0f;
        }
        eml_fft_forward(sin_t, cos_t, re, im, n);
        for (size_t k = 0; k < n; k++) {
            ok_alt &= re[k] == (k == n / 2 || (n == 1) ? (float)n : 0.0f) && im[k] == 0.0f;
        }
        CHECK(ok_impulse, "impulse -> ones");
        CHECK(ok_const, "constant -> n at 0");
        CHECK(ok_alt, "alternating -> n at n/2");
        if (n >= 4) {
            /* x[j] = 1 at j = n/4: X[k] = exp(-i pi k / 2) = (-i)^k */
            memset(re, 0, n * sizeof re[0]);
            memset(im, 0, n * sizeof im[0]);
            re[n / 4] = 1.0f;
            eml_fft_forward(sin_t, cos_t, re, im, n);
            int ok = 1;
            const float want_re[4] = { 1, 0, -1, 0 }, want_im[4] = { 0, -1, 0, 1 };
            for (size_t k = 0; k < n; k++) {
                ok &= re[k] == want_re[k % 4] && im[k] == want_im[k % 4];
            }
            CHECK(ok, "impulse at n/4 -> powers of -i");
        }
    }
}

/* A tone on bin 3 of 64 points: one peak of n / 2 at bins 3 and n - 3. */
static void test_tone(void) {
    const size_t n = 64;
    for (size_t j = 0; j < n; j++) {
        re[j] = (float)cos(2 * PI * 3 * (double)j / (double)n);
        im[j] = 0.0f;
    }
    eml_fft_fill(sin_t, cos_t, n);
    eml_fft_forward(sin_t, cos_t, re, im, n);
    int ok = 1;
    for (size_t k = 0; k < n; k++) {
        const double want = (k == 3 || k == n - 3) ? n / 2.0 : 0.0;
        ok &= fabs(re[k] - want) < 1e-5 && fabs(im[k]) < 1e-5;
    }
    CHECK(ok, "a cosine on bin 3 gives n/2 at bins 3 and n-3");
    /* a real input goes through a transform of half the length: its
     * outputs are conjugate symmetric, exactly */
    unsigned seed = 7;
    for (size_t j = 0; j < n; j++) {
        re[j] = (float)((int)(check_rand(&seed) % 2001) - 1000) / 1000.0f;
        im[j] = 0.0f;
    }
    eml_fft_forward(sin_t, cos_t, re, im, n);
    ok = im[0] == 0.0f && im[n / 2] == 0.0f;
    for (size_t k = 1; k < n; k++) {
        ok &= re[n - k] == re[k] && im[n - k] == -im[k];
    }
    CHECK(ok, "a real input's outputs are conjugate symmetric");
}

/* Scaling the input by a power of two scales every output by it exactly
 * (in float, and in the integer path's shared exponent), from tiny to huge
 * signals. */
static void test_scaling(void) {
    const size_t n = 256;
    static float base_re[256], base_im[256];
    unsigned seed = 99;
    for (size_t j = 0; j < n; j++) {
        re[j] = (float)((int)(check_rand(&seed) % 2001) - 1000) / 1000.0f;
        im[j] = (float)((int)(check_rand(&seed) % 2001) - 1000) / 1000.0f;
    }
    memcpy(base_re, re, sizeof base_re);
    memcpy(base_im, im, sizeof base_im);
    eml_fft_fill(sin_t, cos_t, n);
    eml_fft_forward(sin_t, cos_t, re, im, n);
    static float want_re[256], want_im[256];
    memcpy(want_re, re, sizeof want_re);
    memcpy(want_im, im, sizeof want_im);
    const int powers[] = { -100, -40, -1, 1, 20, 100 };
    for (size_t p = 0; p < sizeof powers / sizeof powers[0]; p++) {
        const float scale = ldexpf(1.0f, powers[p]);
        for (size_t j = 0; j < n; j++) {
            re[j] = base_re[j] * scale;
            im[j] = base_im[j] * scale;
        }
        eml_fft_forward(sin_t, cos_t, re, im, n);
        int ok = 1;
        for (size_t k = 0; k < n; k++) {
            ok &= re[k] == want_re[k] * scale && im[k] == want_im[k] * scale;
        }
        CHECK(ok, "outputs scale with the input by powers of two");
    }
}

/* Infinite or NaN inputs give no finite output: the float path propagates
 * them through the butterflies, the integer path makes every output NaN.
 * Outputs beyond the float range are infinite. */
static void test_non_finite(void) {
    const float specials[] = { INFINITY, -INFINITY, NAN };
    const size_t n = 16;
    eml_fft_fill(sin_t, cos_t, n);
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < n; j++) {
            re[j] = (float)j;
            im[j] = 0.0f;
        }
        re[5] = specials[i];
        eml_fft_forward(sin_t, cos_t, re, im, n);
        int ok = 1;
        for (size_t k = 0; k < n; k++) {
            ok &= !isfinite(re[k]) || !isfinite(im[k]);
        }
        CHECK(ok, "a non-finite input leaves no finite output");
    }
    for (size_t j = 0; j < n; j++) {
        re[j] = 3e38f;
        im[j] = 0.0f;
    }
    eml_fft_forward(sin_t, cos_t, re, im, n);
    CHECK(isinf(re[0]) && re[0] > 0, "16 x 3e38 overflows to infinity");
}

/* Random lengths, scales from 2^-90 to 2^120 and values spread over up to
 * 2^40 within one input: the integer path's shared exponent and per-stage
 * shifts must keep the float transform's accuracy everywhere. */
static void test_scales(void) {
    unsigned seed = 2024;
    int ok = 1;
    for (int trial = 0; trial < 300; trial++) {
        const size_t n = (size_t)1 << (1 + check_rand(&seed) % 8);
        const int scale = (int)(check_rand(&seed) % 211) - 90, spread = (int)(check_rand(&seed) % 41);
        const int real_only = check_rand(&seed) & 1;
        for (size_t j = 0; j < n; j++) {
            const int e1 = scale - (int)(check_rand(&seed) % (unsigned)(spread + 1));
            const int e2 = scale - (int)(check_rand(&seed) % (unsigned)(spread + 1));
            re[j] = ldexpf((float)((int)(check_rand(&seed) % 2001) - 1000) / 1000.0f, e1);
            im[j] = real_only ? 0.0f : ldexpf((float)((int)(check_rand(&seed) % 2001) - 1000) / 1000.0f, e2);
        }
        double bits = 0;
        for (size_t b = n; b > 1; b >>= 1) {
            bits += 1;
        }
        const double e = dft_error(n);
        if (e > (bits + 1) * 0x1p-24) {
            printf("n=%zu scale=%d spread=%d: relative error %.3g\n", n, scale, spread, e);
            ok = 0;
        }
    }
    CHECK(ok, "accurate at every scale and spread of values");
}

int main(void) {
    test_lengths();
    test_tables();
    test_against_dft();
    test_exact();
    test_tone();
    test_scaling();
    test_scales();
    test_non_finite();
    return check_summary();
}
