/* Radix-2 FFT, in place; see eml_fft.h. */
#include "eml_fft.h"

eml_status eml_fft_check_length(size_t n) {
    if (n == 0 || n > EML_FFT_MAX_LENGTH || (n & (n - 1)) != 0) {
        return EML_ERR_SIZE;
    }
    return EML_OK;
}

/* ------------------------------------------------------------------------ */
/* Twiddle tables: sin and cos of 2 pi k / n for k < n / 2. The angle is
 * reduced exactly, in integers, to phi in [0, pi / 4] (an octant and its
 * mirror), where two short polynomials are accurate to about one unit in
 * the last place, so no libm is needed (a native module has none that
 * mpy_ld can link on every architecture). */

/* Coefficients fitted to sin(x) = x + x^3 (S0 + S1 x^2 + S2 x^4) and
 * cos(x) = 1 + x^2 (C0 + C1 x^2 + C2 x^4 + C3 x^6) on [0, pi / 4], near
 * minimax in relative error (Lawson iterations on Chebyshev nodes), then
 * rounded to float. Evaluated in float over the interval: at most 0.75
 * (sin) and 1.15 (cos) units in the last place from the exact values. */
#define EML_FFT_S0 -0x1.555546p-3f
#define EML_FFT_S1 0x1.11073cp-7f
#define EML_FFT_S2 -0x1.9943e2p-13f
#define EML_FFT_C0 -0x1p-1f
#define EML_FFT_C1 0x1.55553cp-5f
#define EML_FFT_C2 -0x1.6c07f2p-10f
#define EML_FFT_C3 0x1.9916a4p-16f

static float sin_octant(float x) {
    const float z = x * x;
    return x + (x * z) * ((EML_FFT_S2 * z + EML_FFT_S1) * z + EML_FFT_S0);
}

static float cos_octant(float x) {
    const float z = x * x;
    return 1.0f + z * (((EML_FFT_C3 * z + EML_FFT_C2) * z + EML_FFT_C1) * z + EML_FFT_C0);
}

/* (float)u for 0 < u < 2^24, exact, on the bits (no int -> float helper).
 * Here u <= n <= 2^23. */
static float small_uint_to_float(uint32_t u) {
    const uint32_t lz = eml_leading_zeros(u);   /* >= 8 */
    /* the leading bit lands on bit 23 and adds one to the exponent field */
    return eml_bits_float(((157u - lz) << 23) + (u << (lz - 8)));
}

static unsigned log2_of(size_t n) {
    unsigned b = 0;
    while (((size_t)1 << b) < n) {
        b++;
    }
    return b;
}

eml_status eml_fft_fill(float *sin_table, float *cos_table, size_t n) {
    if (eml_fft_check_length(n) != EML_OK) {
        return EML_ERR_SIZE;
    }
    const unsigned bits = log2_of(n);
    /* pi / (4 n): float(pi / 4) scaled by 2^-bits on the exponent, exact */
    const float step = eml_bits_float(eml_float_bits(0x1.921fb6p-1f) - ((uint32_t)bits << 23));
    for (size_t k = 0; k < n / 2; k++) {
        /* 2 pi k / n = (pi / 4) (octant + rest / n), octant 0..3 */
        const uint32_t eighths = (uint32_t)(8 * k);
        const uint32_t octant = eighths >> bits;
        const uint32_t rest = eighths & (uint32_t)(n - 1);
        /* odd octants count back from their end: phi = (pi / 4) (n - rest) / n */
        const uint32_t r = (octant & 1u) ? (uint32_t)n - rest : rest;
        const float phi = r == 0 ? 0.0f : small_uint_to_float(r) * step;
        const float s = sin_octant(phi), c = cos_octant(phi);
        /* octant 0: (s, c); 1: (c, s); 2: (c, -s); 3: (s, -c) */
        const int swap = octant == 1u || octant == 2u;
        sin_table[k] = swap ? c : s;
        cos_table[k] = octant >= 2u ? eml_neg(swap ? s : c) : (swap ? s : c);
    }
    return EML_OK;
}

/* ------------------------------------------------------------------------ */
/* The transform. */

/* Put the values in bit-reversed index order: j walks the reversed
 * counter of i (adding 1 from the top bit down), and each pair is swapped
 * once, when i < j. Plain loads and stores, no float operations. */
static void bit_reverse(float *re, float *im, size_t n) {
    size_t j = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (i < j) {
            const float tr = re[i], ti = im[i];
            re[i] = re[j];
            im[i] = im[j];
            re[j] = tr;
            im[j] = ti;
        }
        size_t bit = n >> 1;
        while (j & bit) {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
    }
}

/* x[j], x[l] = x[j] + t, x[j] - t */
static inline void butterfly(float *re, float *im, size_t j, size_t l, float tr, float ti) {
    const float ar = re[j], ai = im[j];
    re[j] = ar + tr;
    im[j] = ai + ti;
    re[l] = eml_sub(ar, tr);
    im[l] = eml_sub(ai, ti);
}

/* The first two stages as one 4-point transform per group of four: the
 * twiddles are 1 and -i, so there is nothing to multiply. n >= 4. */
static void first_stages(float *re, float *im, size_t n) {
    for (size_t j = 0; j < n; j += 4) {
        const float r0 = re[j], i0 = im[j], r1 = re[j + 1], i1 = im[j + 1];
        const float r2 = re[j + 2], i2 = im[j + 2], r3 = re[j + 3], i3 = im[j + 3];
        const float ar = r0 + r1, ai = i0 + i1, br = eml_sub(r0, r1), bi = eml_sub(i0, i1);
        const float cr = r2 + r3, ci = i2 + i3, dr = eml_sub(r2, r3), di = eml_sub(i2, i3);
        re[j] = ar + cr;
        im[j] = ai + ci;
        re[j + 2] = eml_sub(ar, cr);
        im[j + 2] = eml_sub(ai, ci);
        /* -i (dr + i di) = di - i dr */
        re[j + 1] = br + di;
        im[j + 1] = eml_sub(bi, dr);
        re[j + 3] = eml_sub(br, di);
        im[j + 3] = bi + dr;
    }
}

/* One stage of blocks of `size` values (size >= 8): the butterfly k of
 * every block uses the twiddle exp(-2 pi i k / size), table entry
 * k * (n / size). k = 0 (twiddle 1) and k = size / 4 (twiddle -i) need no
 * multiply. */
static void stage(const float *sin_table, const float *cos_table, float *re, float *im,
    size_t n, size_t size) {
    const size_t half = size / 2, stride = n / size;
    for (size_t j = 0; j < n; j += size) {
        butterfly(re, im, j, j + half, re[j + half], im[j + half]);
    }
    for (size_t j = half / 2; j < n; j += size) {
        const size_t l = j + half;
        butterfly(re, im, j, l, im[l], eml_neg(re[l]));
    }
    for (size_t k = 1; k < half; k++) {
        if (k == half / 2) {
            continue;
        }
        const float wr = cos_table[k * stride], wi = sin_table[k * stride];
        for (size_t j = k; j < n; j += size) {
            const size_t l = j + half;
            /* x[l] exp(-i theta) = (re cos + im sin) + i (im cos - re sin) */
            const float tr = re[l] * wr + im[l] * wi;
            const float ti = eml_sub(im[l] * wr, re[l] * wi);
            butterfly(re, im, j, l, tr, ti);
        }
    }
}

eml_status eml_fft_forward(const float *sin_table, const float *cos_table,
    float *real, float *imag, size_t n) {
    if (eml_fft_check_length(n) != EML_OK) {
        return EML_ERR_SIZE;
    }
    if (n == 1) {
        return EML_OK;
    }
    bit_reverse(real, imag, n);
    if (n == 2) {
        butterfly(real, imag, 0, 1, real[1], imag[1]);
        return EML_OK;
    }
    first_stages(real, imag, n);
    for (size_t size = 8; size <= n; size *= 2) {
        stage(sin_table, cos_table, real, imag, n, size);
    }
    return EML_OK;
}
