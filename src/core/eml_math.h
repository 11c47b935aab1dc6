/* Small single-precision math functions for the cores.
 *
 * Native modules cannot link the host's libm (glibc's expf needs the dynamic
 * loader's CPU tables), and a libm on a microcontroller is code we would
 * rather not carry; these cover what the cores need, in float only.
 */
#ifndef EML_MATH_H
#define EML_MATH_H

#include <stdint.h>

#include "eml_common.h"

/* 2^k as a float, for -149 <= k <= 127 (built from its bit pattern). */
static inline float eml_pow2i(int32_t k) {
    union { uint32_t u; float f; } v;
    if (k >= -126) {
        v.u = (uint32_t)(k + 127) << 23;
    } else {
        v.u = 1u << (k + 149); /* subnormal */
    }
    return v.f;
}

/* e^x to within about 2 ulp: x = k ln2 + r with |r| <= ln2/2, then a
 * degree-6 Taylor polynomial for e^r (its truncation error is below 1e-7
 * relative) scaled by 2^k. Overflows to +inf above 88.72, and underflows
 * through the subnormals to 0 below -103.97. NaN propagates. */
static inline float eml_expf(float x) {
    /* Range checks, rounding and subtraction work on the bit pattern or by
     * adding the negation (eml_common.h): on soft-float targets each float
     * compare, conversion or subtraction would link another libgcc helper. */
    const uint32_t b = eml_float_bits(x);
    const uint32_t a = b & EML_ABS_MASK;
    if (a > EML_EXP_MASK) {
        return x;                               /* NaN */
    }
    if (b < EML_SIGN_BIT && a > 0x42b17217u) {  /* x > 88.72283 */
        return eml_bits_float(EML_EXP_MASK);    /* +inf */
    }
    if (b >= EML_SIGN_BIT && a > 0x42cff1aau) { /* x < -103.972 */
        return 0.0f;
    }
    const int32_t k = eml_float_to_int16(x * 1.44269504f);     /* |k| <= 150 */
    const float kf = eml_int16_to_float(k);
    const float r = eml_sub(eml_sub(x, kf * 0.693145751953125f), kf * 1.42860677e-06f);
    float p = 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    if (k < -125) {
        /* Scale in two steps so the intermediate stays normal. */
        return (p * eml_pow2i(k + 64)) * eml_pow2i(-64);
    }
    if (k > 127) {
        return (p * eml_pow2i(k - 1)) * 2.0f;
    }
    return p * eml_pow2i(k);
}

/* ln x to within about 2 ulp, for x > 0; ln 0 = -inf, ln +inf = +inf, and
 * NaN for NaN and negative x. x = m 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln m = 2 atanh(s) with s = (m - 1) / (m + 1), |s| < 0.1716, by its
 * series to s^9 (truncation below 3e-10 relative), plus e ln 2. */
static inline float eml_logf(float x) {
    uint32_t b = eml_float_bits(x);
    if ((b & EML_ABS_MASK) == 0) {
        return eml_bits_float(EML_SIGN_BIT | EML_EXP_MASK);    /* -inf */
    }
    if (b >= EML_SIGN_BIT) {
        return eml_bits_float(0x7fc00000u);                     /* NaN */
    }
    if (b >= EML_EXP_MASK) {
        return x;                                               /* +inf, NaN */
    }
    int32_t e = 0;
    if (b < 0x00800000u) {
        b = eml_float_bits(x * 8388608.0f);                     /* subnormal: times 2^23 */
        e = -23;
    }
    e += (int32_t)(b >> 23) - 127;
    /* m - 1 from the significand's bits, exactly: a float subtraction of
     * the constant 1 would link the soft-float subtraction (see eml_sub) */
    const int32_t fraction = (int32_t)(b & 0x007fffffu);   /* m = 1 + fraction 2^-23 */
    float f;
    if (fraction > 0x3504f3) {                              /* m > sqrt(2): halve it */
        e += 1;
        f = (float)(fraction - 0x800000) * (1.0f / 16777216.0f);
    } else {
        f = (float)fraction * (1.0f / 8388608.0f);
    }
    const float s = f / (f + 2.0f);
    const float s2 = s * s;
    float p = 1.0f / 9.0f;
    p = p * s2 + 1.0f / 7.0f;
    p = p * s2 + 1.0f / 5.0f;
    p = p * s2 + 1.0f / 3.0f;
    p = p * s2 + 1.0f;
    const float ef = eml_int16_to_float(e);
    /* ln 2 in two parts: e times the first is exact */
    return ef * 0.693145751953125f + ((2.0f * s) * p + ef * 1.42860677e-06f);
}

#endif /* EML_MATH_H */
