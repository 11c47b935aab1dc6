/* Radix-2 FFT, in place; see eml_fft.h. */
#include "eml_fft.h"

/* Chips without an FPU compute in integers (see forward_fixed); the host
 * tests build that path too, with -DEML_FFT_FIXED=1. */
#ifndef EML_FFT_FIXED
#define EML_FFT_FIXED EML_SOFT_FLOAT
#endif

eml_status eml_fft_check_length(size_t n) {
    if (n == 0 || n > EML_FFT_MAX_LENGTH || (n & (n - 1)) != 0) {
        return EML_ERR_SIZE;
    }
    return EML_OK;
}

/* ------------------------------------------------------------------------ */
/* Integers to floats. */

/* (a * b) / 2^31, rounded down: the product of two Q31 fractions. */
static inline int32_t mul_q31(int32_t a, int32_t b) {
    return (int32_t)(((int64_t)a * b) >> 31);
}

/* sign | u * 2^exponent (u > 0) as the nearest float, ties to even; beyond
 * the float range, infinity, and below the normal range, zero. */
static float make_float(uint32_t sign, uint32_t u, int32_t exponent) {
    const uint32_t lz = eml_leading_zeros(u);
    const uint32_t m = eml_round_significand(u << lz);
    /* u = v 2^-lz with v = u << lz, about m 2^8: the biased exponent of the
     * result is 158 - lz + exponent, less the 1 that m's top bit adds to
     * the exponent field */
    const int32_t field = 157 - (int32_t)lz + exponent;
    if (field >= 254) {
        return eml_bits_float(sign | EML_EXP_MASK);
    }
    if (field < 0) {
        return eml_bits_float(sign);
    }
    return eml_bits_float(sign | (((uint32_t)field << 23) + m));
}

/* x * 2^exponent as the nearest float (see make_float). */
static float from_fixed(int32_t x, int32_t exponent) {
    if (x == 0) {
        return 0.0f;
    }
    return x < 0 ? make_float(EML_SIGN_BIT, 0u - (uint32_t)x, exponent)
        : make_float(0u, (uint32_t)x, exponent);
}

/* ------------------------------------------------------------------------ */
/* Twiddle tables: sin and cos of 2 pi k / n for k < n / 2, computed in
 * integers, so every target gets the same tables (and no libm is needed: a
 * native module has none that mpy_ld can link on every architecture). The
 * angle is reduced exactly to phi = (pi / 4) r / n in [0, pi / 4] (an
 * octant and its mirror), where
 *   sin(phi) = phi (1 + z (S0 + z (S1 + z S2))) and
 *   cos(phi) = 1 + z (C0 + z (C1 + z (C2 + z C3))), z = phi^2,
 * with coefficients fitted on [0, pi / 4] (near minimax in relative error:
 * Lawson iterations on Chebyshev nodes; 0.06 and 0.001 units of float
 * rounding from sin and cos there). They are Q31 fractions; phi's own
 * digits carry into sin through a 64-bit product, so small angles keep
 * their relative precision. */
#define EML_FFT_S0 (-357913682)
#define EML_FFT_S1 17893179
#define EML_FFT_S2 (-419088)
#define EML_FFT_C0 (-1073741817)
#define EML_FFT_C1 89478386
#define EML_FFT_C2 (-2982142)
#define EML_FFT_C3 52363
#define EML_FFT_PI_4 1686629713     /* pi / 4 in Q31 */

static unsigned log2_of(size_t n) {
    unsigned b = 0;
    while (((size_t)1 << b) < n) {
        b++;
    }
    return b;
}

/* sin and cos of (pi / 4) r / 2^bits, 0 < r <= 2^bits <= 2^23. */
static void sin_cos_octant(uint32_t r, unsigned bits, float *s, float *c) {
    const int32_t phi = (int32_t)(((uint64_t)r * EML_FFT_PI_4) >> bits);    /* Q31 */
    const int32_t z = mul_q31(phi, phi);
    const int32_t ps = EML_FFT_S0 + mul_q31(z, EML_FFT_S1 + mul_q31(z, EML_FFT_S2));
    const int32_t pc = EML_FFT_C0 + mul_q31(z, EML_FFT_C1 + mul_q31(z, EML_FFT_C2 + mul_q31(z, EML_FFT_C3)));
    /* (1 + z p) in Q30 (1 itself does not fit Q31) */
    const uint32_t sin_factor = (1u << 30) + (uint32_t)(mul_q31(z, ps) >> 1);
    *c = from_fixed((int32_t)((1u << 30) + (uint32_t)(mul_q31(z, pc) >> 1)), -30);
    /* sin = (pi / 4) factor r 2^-bits: the Q31 (pi / 4) factor < 2^31 times
     * r < 2^24, taken to 32 bits (rounded down; the bits below 2^-32 of it
     * are far below float rounding) */
    const uint32_t pi_factor = (uint32_t)(((uint64_t)EML_FFT_PI_4 * sin_factor) >> 30);
    const uint64_t mantissa = (uint64_t)pi_factor * r;
    const unsigned drop = mantissa >> 32 ? 32 - eml_leading_zeros((uint32_t)(mantissa >> 32)) : 0;
    *s = make_float(0u, (uint32_t)(mantissa >> drop), (int32_t)drop - 31 - (int32_t)bits);
}

eml_status eml_fft_fill(float *sin_table, float *cos_table, size_t n) {
    if (eml_fft_check_length(n) != EML_OK) {
        return EML_ERR_SIZE;
    }
    const unsigned bits = log2_of(n);
    for (size_t k = 0; k < n / 2; k++) {
        /* 2 pi k / n = (pi / 4) (octant + rest / n), octant 0..3 */
        const uint32_t eighths = (uint32_t)(8 * k);
        const uint32_t octant = eighths >> bits;
        const uint32_t rest = eighths & (uint32_t)(n - 1);
        /* odd octants count back from their end: phi = (pi / 4) (n - rest) / n */
        const uint32_t r = (octant & 1u) ? (uint32_t)n - rest : rest;
        float s = 0.0f, c = 1.0f;
        if (r != 0) {
            sin_cos_octant(r, bits, &s, &c);
        }
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

#if !EML_FFT_FIXED
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

/* One stage of blocks of `size` values (size >= 8) over n values: the
 * butterfly k of every block uses the twiddle exp(-2 pi i k / size), entry
 * k * (table_n / size) of the tables of a table_n-point transform. k = 0
 * (twiddle 1) and k = size / 4 (twiddle -i) need no multiply. */
static void stage(const float *sin_table, const float *cos_table, float *re, float *im,
    size_t n, size_t size, size_t table_n) {
    const size_t half = size / 2, stride = table_n / size;
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

/* The transform of n >= 2 values in bit-reversed order, with the tables of
 * a table_n-point transform (table_n = n, or 2 n for a real input). */
static void transform(const float *sin_table, const float *cos_table, float *re, float *im,
    size_t n, size_t table_n) {
    if (n == 2) {
        butterfly(re, im, 0, 1, re[1], im[1]);
        return;
    }
    first_stages(re, im, n);
    for (size_t size = 8; size <= n; size *= 2) {
        stage(sin_table, cos_table, re, im, n, size, table_n);
    }
}

/* The n-point transform of a real input x from Z, the n/2-point transform
 * of z[j] = x[2j] + i x[2j+1] (see pack_real), in place: with m = n / 2,
 *   E = (Z[k] + conj Z[m-k]) / 2,  O = (Z[k] - conj Z[m-k]) / 2i,
 *   X[k] = E + exp(-2 pi i k / n) O,  X[m-k] = conj E - exp(2 pi i k / n) conj O,
 * and X[n-k] = conj X[k]. Each pair k, m - k is read, then written over. */
static void real_outputs(const float *sin_table, const float *cos_table, float *re, float *im,
    size_t n) {
    const size_t m = n / 2;
    const float z0r = re[0], z0i = im[0];
    re[0] = z0r + z0i;
    re[m] = eml_sub(z0r, z0i);
    im[0] = im[m] = 0.0f;
    for (size_t k = 1; k <= m / 2; k++) {
        const size_t j = m - k;
        const float ar = re[k], ai = im[k], br = re[j], bi = im[j];
        const float er = 0.5f * (ar + br), ei = 0.5f * eml_sub(ai, bi);
        const float o_r = 0.5f * (ai + bi), o_i = 0.5f * eml_sub(br, ar);
        const float c = cos_table[k], s = sin_table[k];
        /* exp(-i theta) O = (c o_r + s o_i) + i (c o_i - s o_r) */
        const float pr = c * o_r + s * o_i, pi = eml_sub(c * o_i, s * o_r);
        re[k] = er + pr;
        im[k] = ei + pi;
        re[j] = eml_sub(er, pr);
        im[j] = eml_sub(pi, ei);
        re[n - k] = re[k];
        im[n - k] = eml_neg(im[k]);
        re[n - j] = re[j];
        im[n - j] = eml_neg(im[j]);
    }
}
#endif /* !EML_FFT_FIXED */

#if EML_FFT_FIXED
/* ------------------------------------------------------------------------ */
/* Block floating point, for chips without an FPU: every value an int32
 * mantissa, all sharing one exponent, in the arrays' own memory. A float
 * multiply or add is a library call of 30 to 100 instructions there, an
 * integer multiply one to a few. The values stay below 2^29 before each
 * radix-2 stage (a butterfly output is at most 1 + sqrt(2) times its inputs);
 * a stage shifts its inputs right by 0 to 2 bits, as the largest output of
 * the stage before requires. That keeps 29 to 31 significant bits against
 * the largest value, where float keeps 24 against each: the results are
 * as accurate as the float transform's (tests/core/test_fft.c holds both to
 * the same bound). */

/* Integer access to the float arrays' memory: may_alias exempts it from
 * the strict-aliasing rules (the caller's arrays may be declared float). */
#if defined(__GNUC__)
typedef int32_t __attribute__((may_alias)) eml_fft_word;
#else
typedef int32_t eml_fft_word;
#endif

#define EML_FFT_HEADROOM (1 << 29)

/* round(value * 2^shift) for the float with these bits, whose biased
 * exponent plus shift is at most 157 (so the result stays below 2^31): its
 * 24-bit significand m shifted by d, left, or right rounded to nearest (ties
 * away from zero). */
static int32_t to_fixed(uint32_t bits, int32_t shift) {
    int32_t e;
    const uint32_t m = eml_float_significand(bits, &e);
    const int32_t d = e + shift;
    uint32_t u;
    if (d >= 0) {
        u = m << d;
    } else if (d > -32) {
        u = (m + (1u << (-d - 1))) >> -d;
    } else {
        u = 0;
    }
    return (bits & EML_SIGN_BIT) ? -(int32_t)u : (int32_t)u;
}

/* A twiddle factor in [-1, 1] as Q30 (2^30 w), saturated at +-2^30:
 * caller tables may hold anything. */
static int32_t twiddle_q30(float w) {
    const uint32_t bits = eml_float_bits(w);
    if ((bits & EML_ABS_MASK) > 0x3f800000u) {    /* |w| > 1, inf, NaN */
        return (bits & EML_SIGN_BIT) ? -(1 << 30) : (1 << 30);
    }
    return to_fixed(bits, 30);
}

/* x w / 2^30 for |x| < 2^30 and a Q30 twiddle w. Cortex-M0 multiplies 32 x
 * 32 -> 32 bits only; there GCC would call the 64 x 64-bit __aeabi_lmul
 * (about 40 instructions a product), so the product is built from 16-bit
 * halves, w = wh 2^16 + wl and x = xh 2^16 + xl, dropping the fraction of
 * xl wl / 2^16: within 2 units of the exact floor, far below float
 * rounding (EML_FFT_MUL16 builds it elsewhere, for the host tests). */
#if !defined(EML_FFT_MUL16) && defined(__ARM_ARCH_6M__)
#define EML_FFT_MUL16 1
#endif
#if EML_FFT_MUL16
typedef struct { int32_t hi; int32_t lo; } eml_fft_twiddle;

static inline eml_fft_twiddle twiddle(float w) {
    const int32_t q = twiddle_q30(w);
    const eml_fft_twiddle t = { q >> 16, q & 0xffff };
    return t;
}

static inline int32_t mul_twiddle(int32_t x, eml_fft_twiddle w) {
    const int32_t xh = x >> 16, xl = x & 0xffff;
    /* |xh wl| < 2^29, |xl wh| <= 2^30: the sum fits */
    const int32_t mid = xh * w.lo + xl * w.hi + (int32_t)(((uint32_t)xl * (uint32_t)w.lo) >> 16);
    return 4 * xh * w.hi + (mid >> 14);
}
#define EML_FFT_ROTATE(tr, ti, br, bi, c, s) do { \
        tr = mul_twiddle(br, c) + mul_twiddle(bi, s); \
        ti = mul_twiddle(bi, c) - mul_twiddle(br, s); \
    } while (0)
#else
typedef int32_t eml_fft_twiddle;
#define twiddle twiddle_q30
/* 64-bit products: one or two instructions with a 32 x 32 -> 64 multiply
 * (Cortex-M3 SMULL, RV32 MUL and MULH) */
#define EML_FFT_ROTATE(tr, ti, br, bi, c, s) do { \
        tr = (int32_t)(((int64_t)br * c + (int64_t)bi * s) >> 30); \
        ti = (int32_t)(((int64_t)bi * c - (int64_t)br * s) >> 30); \
    } while (0)
#endif

/* An upper bound of |x| (one less for negative x), for OR-ing together. */
static inline uint32_t magnitude(int32_t x) {
    return (uint32_t)(x ^ (x >> 31));
}

/* The shift that brings values bounded by `bound` below EML_FFT_HEADROOM. */
static int32_t shift_for(uint32_t bound) {
    return bound >= 2u * EML_FFT_HEADROOM ? 2 : bound >= EML_FFT_HEADROOM ? 1 : 0;
}

/* Floats to mantissas of a shared exponent: the largest below 2^28.
 * Returns the exponent (value = mantissa * 2^exponent), or INT32_MIN when
 * a value is infinite or NaN (nothing converted). */
static int32_t floats_to_fixed(float *re, float *im, size_t n) {
    uint32_t top = 0;
    for (size_t i = 0; i < n; i++) {
        const uint32_t a = eml_float_bits(re[i]) & EML_ABS_MASK, b = eml_float_bits(im[i]) & EML_ABS_MASK;
        top = a > top ? a : top;
        top = b > top ? b : top;
    }
    if (top >= EML_EXP_MASK) {
        return INT32_MIN;
    }
    /* the largest biased exponent E (1 for subnormals and zeros): its
     * mantissas, 24 bits, become m << 4 */
    const int32_t e_max = (int32_t)(top >> 23) > 0 ? (int32_t)(top >> 23) : 1;
    eml_fft_word *xr = (eml_fft_word *)re, *xi = (eml_fft_word *)im;
    for (size_t i = 0; i < n; i++) {
        xr[i] = to_fixed(eml_float_bits(re[i]), 154 - e_max);
        xi[i] = to_fixed(eml_float_bits(im[i]), 154 - e_max);
    }
    return e_max - 154;
}

/* Mantissas back to floats, value = mantissa * 2^exponent, in place. */
static void fixed_to_floats(float *re, float *im, size_t n, int32_t exponent) {
    eml_fft_word *xr = (eml_fft_word *)re, *xi = (eml_fft_word *)im;
    for (size_t i = 0; i < n; i++) {
        re[i] = from_fixed(xr[i], exponent);
        im[i] = from_fixed(xi[i], exponent);
    }
}

/* The first two stages as 4-point transforms (see first_stages), values
 * below 2^28 in, below 2^30 out. Returns a bound of the outputs. */
static uint32_t fixed_first_stages(eml_fft_word *re, eml_fft_word *im, size_t n) {
    uint32_t bound = 0;
    for (size_t j = 0; j < n; j += 4) {
        const int32_t ar = re[j] + re[j + 1], ai = im[j] + im[j + 1];
        const int32_t br = re[j] - re[j + 1], bi = im[j] - im[j + 1];
        const int32_t cr = re[j + 2] + re[j + 3], ci = im[j + 2] + im[j + 3];
        const int32_t dr = re[j + 2] - re[j + 3], di = im[j + 2] - im[j + 3];
        const int32_t out[8] = { ar + cr, ai + ci, br + di, bi - dr, ar - cr, ai - ci, br - di, bi + dr };
        for (int k = 0; k < 4; k++) {
            re[j + k] = out[2 * k];
            im[j + k] = out[2 * k + 1];
            bound |= magnitude(out[2 * k]) | magnitude(out[2 * k + 1]);
        }
    }
    return bound;
}

/* One radix-2 stage (size >= 2) over n values bounded by `bound`, tables
 * of a table_n-point transform (see stage): inputs shifted right as
 * shift_for(bound) says first, twiddles in Q30. Returns the bound of the
 * outputs, and adds the shift to *exponent. */
static uint32_t fixed_stage(const float *sin_table, const float *cos_table, eml_fft_word *re,
    eml_fft_word *im, size_t n, size_t size, size_t table_n, uint32_t bound, int32_t *exponent) {
    const int32_t sh = shift_for(bound);
    *exponent += sh;
    const size_t half = size / 2, stride = table_n / size;
    uint32_t out_bound = 0;
    for (size_t k = 0; k < half; k++) {
        /* k = 0: twiddle 1, exactly (c and s unused) */
        const eml_fft_twiddle c = twiddle(k ? cos_table[k * stride] : 1.0f);
        const eml_fft_twiddle s = twiddle(k ? sin_table[k * stride] : 0.0f);
        for (size_t j = k; j < n; j += size) {
            const size_t l = j + half;
            const int32_t ar = re[j] >> sh, ai = im[j] >> sh;
            const int32_t br = re[l] >> sh, bi = im[l] >> sh;
            int32_t tr = br, ti = bi;
            if (k) {
                /* b exp(-i theta) = (br c + bi s) + i (bi c - br s) */
                EML_FFT_ROTATE(tr, ti, br, bi, c, s);
            }
            re[j] = ar + tr;
            im[j] = ai + ti;
            re[l] = ar - tr;
            im[l] = ai - ti;
            out_bound |= magnitude(re[j]) | magnitude(im[j]) | magnitude(re[l]) | magnitude(im[l]);
        }
    }
    return out_bound;
}

/* real_outputs in integers, on values bounded by `bound`: inputs shifted
 * below 2^28 first (an output is at most 1 + sqrt(2) times as large, and
 * the halves of E and O are left to the exponent). */
static void fixed_real_outputs(const float *sin_table, const float *cos_table, eml_fft_word *re,
    eml_fft_word *im, size_t n, uint32_t bound, int32_t *exponent) {
    const int32_t sh = shift_for(bound) + (bound >= EML_FFT_HEADROOM / 2 ? 1 : 0);
    const size_t m = n / 2;
    *exponent += sh - 1;    /* the outputs are 2 X */
    const int32_t z0r = re[0] >> sh, z0i = im[0] >> sh;
    re[0] = 2 * (z0r + z0i);
    re[m] = 2 * (z0r - z0i);
    im[0] = im[m] = 0;
    for (size_t k = 1; k <= m / 2; k++) {
        const size_t j = m - k;
        const int32_t ar = re[k] >> sh, ai = im[k] >> sh, br = re[j] >> sh, bi = im[j] >> sh;
        const int32_t er = ar + br, ei = ai - bi, o_r = ai + bi, o_i = br - ar;   /* 2 E, 2 O */
        const eml_fft_twiddle c = twiddle(cos_table[k]), s = twiddle(sin_table[k]);
        int32_t pr, pi;
        EML_FFT_ROTATE(pr, pi, o_r, o_i, c, s);
        re[k] = er + pr;
        im[k] = ei + pi;
        re[j] = er - pr;
        im[j] = pi - ei;
        re[n - k] = re[k];
        im[n - k] = -im[k];
        re[n - j] = re[j];
        im[n - j] = -im[j];
    }
}

/* The transform of n >= 2 values in bit-reversed order, tables of a
 * table_n-point transform; when table_n = 2 n, they are z of a real input
 * (see real_outputs) and the result is its table_n-point transform. */
static void forward_fixed(const float *sin_table, const float *cos_table,
    float *real, float *imag, size_t n, size_t table_n) {
    int32_t exponent = floats_to_fixed(real, imag, n);
    if (exponent == INT32_MIN) {
        /* infinity or NaN in: NaN out, everywhere (see eml_fft.h) */
        for (size_t i = 0; i < table_n; i++) {
            real[i] = imag[i] = eml_bits_float(0x7fc00000u);
        }
        return;
    }
    eml_fft_word *re = (eml_fft_word *)real, *im = (eml_fft_word *)imag;
    size_t size = 2;
    uint32_t bound = 1u << 28;      /* below EML_FFT_HEADROOM: no shift */
    if (n >= 4) {
        bound = fixed_first_stages(re, im, n);
        size = 8;
    }
    for (; size <= n; size *= 2) {
        bound = fixed_stage(sin_table, cos_table, re, im, n, size, table_n, bound, &exponent);
    }
    if (table_n != n) {
        fixed_real_outputs(sin_table, cos_table, re, im, table_n, bound, &exponent);
    }
    fixed_to_floats(real, imag, table_n, exponent);
}
#endif /* EML_FFT_FIXED */

/* ------------------------------------------------------------------------ */

/* Whether every value is +0 or -0. */
static int all_zero(const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (!eml_iszero(v[i])) {
            return 0;
        }
    }
    return 1;
}

/* A real input of n values as n / 2 complex ones, z[j] = x[2j] + i x[2j+1],
 * in the first halves of the arrays (ascending j reads each x before it is
 * written over). */
static void pack_real(float *re, float *im, size_t n) {
    for (size_t j = 0; j < n / 2; j++) {
        im[j] = re[2 * j + 1];
        re[j] = re[2 * j];
    }
}

/* The transform; an input whose imaginary parts are all zero (a real
 * signal, the common case) goes through one of half the length. */
eml_status eml_fft_forward(const float *sin_table, const float *cos_table,
    float *real, float *imag, size_t n) {
    if (eml_fft_check_length(n) != EML_OK) {
        return EML_ERR_SIZE;
    }
    if (n == 1) {
        return EML_OK;
    }
    const int real_input = n >= 8 && all_zero(imag, n);
    const size_t len = real_input ? n / 2 : n;
    if (real_input) {
        pack_real(real, imag, n);
    }
    bit_reverse(real, imag, len);
#if EML_FFT_FIXED
    forward_fixed(sin_table, cos_table, real, imag, len, n);
#else
    transform(sin_table, cos_table, real, imag, len, n);
    if (real_input) {
        real_outputs(sin_table, cos_table, real, imag, n);
    }
#endif
    return EML_OK;
}
