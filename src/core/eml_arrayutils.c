/* Element-wise conversions for sensor data. See eml_arrayutils.h. */
#include "eml_arrayutils.h"

/* On soft float the integer conversions of eml_common.h are kept out of
 * line, one copy for the module instead of one per loop: a call costs
 * little next to the float library calls in those loops. */
#if EML_SOFT_FLOAT && defined(__GNUC__)
#define TO_INT16_INLINE __attribute__((noinline))
#else
#define TO_INT16_INLINE inline
#endif
#if EML_INT16_TO_FLOAT_BITS && defined(__GNUC__)
#define FROM_INT16_INLINE __attribute__((noinline))
#else
#define FROM_INT16_INLINE inline
#endif

static TO_INT16_INLINE int16_t to_int16(float f) {
    return eml_float_to_int16(f);
}

static FROM_INT16_INLINE float from_int16(int32_t x) {
    return eml_int16_to_float(x);
}

/* Turn the range mapping into out = in * scale + offset: one multiply and
 * one add per element instead of a subtract, multiply and divide. */
static eml_status linear_coefficients(float in_min, float in_max,
    float out_min, float out_max, float *scale, float *offset) {
    if (!eml_isfinite(in_min) || !eml_isfinite(in_max)
        || !eml_isfinite(out_min) || !eml_isfinite(out_max)) {
        return EML_ERR_VALUE;
    }
    /* With gradual underflow the difference of two finite floats is zero
     * exactly when they are equal, so a zero span is in_min == in_max,
     * tested on the bits. Wide bounds can overflow the spans even though
     * each bound is finite; an infinite input span would silently give
     * scale 0. */
    float in_span = eml_sub(in_max, in_min);
    if (eml_iszero(in_span) || !eml_isfinite(in_span)) {
        return EML_ERR_VALUE;
    }
    float s = eml_sub(out_max, out_min) / in_span;
    float o = eml_sub(out_min, in_min * s);
    if (!eml_isfinite(s) || !eml_isfinite(o)) {
        return EML_ERR_VALUE;
    }
    *scale = s;
    *offset = o;
    return EML_OK;
}

/* Assemble a two's complement int16 without relying on the
 * implementation-defined conversion of values above INT16_MAX. */
static inline int32_t decode_int16(const uint8_t *p, int big_endian) {
    uint32_t u = big_endian ? ((uint32_t)p[0] << 8) | p[1]
                            : ((uint32_t)p[1] << 8) | p[0];
    return (int32_t)(u ^ 0x8000u) - 0x8000;
}

/* ---- exact maps in integers (see EML_ARRAYUTILS_EXACT) */
#if EML_ARRAYUTILS_EXACT

/* A finite float as m * 2^e, m odd or zero, |m| < 2^24, on the bits.
 * Out of line, as split_coefficients calls it twice. */
static EML_NOINLINE void split_float(float f, int32_t *m, int32_t *e) {
    const uint32_t b = eml_float_bits(f);
    int32_t exp;
    uint32_t mant = eml_float_significand(b, &exp);
    while (mant != 0 && (mant & 1u) == 0) {
        mant >>= 1;
        exp++;
    }
    *m = (b >> 31) ? -(int32_t)mant : (int32_t)mant;
    *e = exp;
}

/* Scale and offset as significands and exponents; EML_ERR_VALUE for a
 * scale of zero or either not finite, which no exact path takes. Out of
 * line: both inits share it. */
static EML_NOINLINE eml_status split_coefficients(float scale, float offset, int32_t *ms, int32_t *es,
    int32_t *mo, int32_t *eo) {
    if (!eml_isfinite(scale) || !eml_isfinite(offset) || eml_iszero(scale)) {
        return EML_ERR_VALUE;
    }
    split_float(scale, ms, es);
    split_float(offset, mo, eo);
    return EML_OK;
}

eml_status eml_exact_to_float_init(eml_exact_to_float *a, float scale, float offset) {
    int32_t ms, es, mo, eo;
    if (split_coefficients(scale, offset, &ms, &es, &mo, &eo) != EML_OK) {
        return EML_ERR_VALUE;
    }
    /* The lsb is the last bit of x * scale or of the offset, whichever is
     * lower. */
    int32_t lsb = es;
    if (mo != 0 && eo < lsb) {
        lsb = eo;
    }
    const int32_t ks = es - lsb;
    const int32_t ko = eo - lsb;
    const uint32_t abs_ms = ms < 0 ? 0u - (uint32_t)ms : (uint32_t)ms;
    /* |x * m| < 2^15 * 2^31 and |o| < 2^62, so t = x * m + o fits an int64 */
    if (ks > 30 || abs_ms >= (1u << (31 - ks)) || (mo != 0 && ko > 38)) {
        return EML_ERR_VALUE;
    }
    /* t * 2^lsb with 1 <= |t| < 2^63 must be a normal float, also once
     * rounded up. */
    if (lsb < -126 || lsb > 64) {
        return EML_ERR_VALUE;
    }
    a->m = ms * (int32_t)(1u << ks);
    a->o = mo == 0 ? 0 : (int64_t)mo * ((int64_t)1 << ko);
    a->float_exp = 189 + lsb;
    /* Only x == 0 with a zero offset sums to an exact zero from two zeros:
     * (+0 * scale) + offset, negative only when both are. Any other exact
     * zero is a cancellation, which rounds to +0. */
    a->zero_bits = mo == 0 ? eml_float_bits(scale) & eml_float_bits(offset) & EML_SIGN_BIT : 0u;
    return EML_OK;
}

/* The float nearest t * 2^lsb, ties to even: |t| normalised to bit 63 (in
 * two words), its top 24 bits rounded by the rest, as in a soft-float
 * library, but with no unpacking of operands and no special cases. */
static inline float affine_float(const eml_exact_to_float *a, int32_t x) {
    const int64_t t = (int64_t)x * a->m + a->o;
    if (t == 0) {
        return eml_bits_float(a->zero_bits);
    }
    const uint32_t sign = t < 0 ? EML_SIGN_BIT : 0u;
    const uint64_t u = t < 0 ? 0u - (uint64_t)t : (uint64_t)t;
    uint32_t hi = (uint32_t)(u >> 32);
    uint32_t lo = (uint32_t)u;
    int32_t e = a->float_exp;
    if (hi == 0) {
        hi = lo;
        lo = 0;
        e -= 32;
    }
    const uint32_t n = eml_leading_zeros(hi);
    const uint32_t top = (hi << n) | ((lo >> 1) >> (31 - n));
    /* any lower bit set becomes the sticky last bit of the dropped byte */
    const uint32_t m = eml_round_significand(top | ((lo << n) != 0));
    return eml_bits_float(sign | (((uint32_t)(e - (int32_t)n) << 23) + m));
}

/* The 64-bit integers of the exact int16 results are in units of 2^-41.
 * The product's bits below 2^-40 are dropped but for one sticky bit at
 * 2^-41, so the sum of the kept bits and the offset (both multiples of
 * 2^-40) stays strictly between the same multiples of 2^-40 as the exact
 * value, and compares with every .5 as the exact value does. */
#define UNIT_BITS 41

/* t * 2^-41 rounded to the nearest int16, ties to even (rounded on |t|, as
 * rounding to even is symmetric), saturated. |t| < 2^63 - 2^40. */
static inline int16_t round_units(int64_t t) {
    const uint64_t u = t < 0 ? 0u - (uint64_t)t : (uint64_t)t;
    const uint64_t half = (uint64_t)1 << (UNIT_BITS - 1);
    const uint64_t r = (u + half - 1u + ((u >> UNIT_BITS) & 1u)) >> UNIT_BITS;
    if (t < 0) {
        return r >= 0x8000u ? (int16_t)-0x8000 : (int16_t)-(int32_t)r;
    }
    return r >= 0x7fffu ? (int16_t)0x7fff : (int16_t)r;
}

eml_status eml_exact_to_int16_init(eml_exact_to_int16 *a, float scale, float offset) {
    int32_t ms, es, mo, eo;
    if (split_coefficients(scale, offset, &ms, &es, &mo, &eo) != EML_OK) {
        return EML_ERR_VALUE;
    }
    /* The offset in units: a multiple of 2^-40, at most 2^20, so that a
     * product of 2^21 or more saturates whatever the offset. */
    const int32_t ko = eo + UNIT_BITS;
    const uint32_t abs_mo = mo < 0 ? 0u - (uint32_t)mo : (uint32_t)mo;
    if (mo != 0 && (ko < 1 || ko > 61 || abs_mo > ((uint64_t)1 << 61) >> ko)) {
        return EML_ERR_VALUE;
    }
    a->o = mo == 0 ? 0 : (int64_t)mo * ((int64_t)1 << ko);
    a->ms = ms < 0 ? 0u - (uint32_t)ms : (uint32_t)ms;
    a->negative = ms < 0;
    a->shift = es + UNIT_BITS - 150;
    return EML_OK;
}

/* x * scale + offset rounded to an int16, for x = +-mx * 2^(field - 150)
 * (mx < 2^24; field 150 for an int16, a float's exponent field, or 1 when
 * subnormal). Out of line: both of its loops share one copy, for about 8
 * instructions per sample. */
static EML_NOINLINE int16_t exact_int16(const eml_exact_to_int16 *a, uint32_t negative,
    uint32_t mx, int32_t field) {
    const uint64_t p = (uint64_t)mx * a->ms;          /* < 2^48 */
    const int32_t sh = field + a->shift;              /* |x * scale| = p * 2^sh units */
    const int neg = (negative ^ a->negative) != 0;
    uint64_t tp = 0;
    if (p == 0) {
        /* x == 0: the offset alone */
    } else if (sh >= 1) {
        if (sh >= 62 || (p >> (62 - sh)) != 0) {     /* |x * scale| >= 2^21 */
            return neg ? (int16_t)-0x8000 : (int16_t)0x7fff;
        }
        tp = p << sh;
    } else {
        const uint32_t r = 1u - (uint32_t)sh;         /* bits below 2^-40 */
        tp = r >= 64 ? 1u : ((p >> r) << 1) | ((p & (((uint64_t)1 << r) - 1u)) != 0);
    }
    return round_units((neg ? -(int64_t)tp : (int64_t)tp) + a->o);
}

/* The exact map of n int16 samples read from p on, step bytes apart, into
 * out_f, or into out_h when out_f is NULL: the loop of all four maps with
 * int16 inputs. 0 when scale and offset are outside the exact path (nothing
 * written). */
static int exact_map(const uint8_t *p, size_t step, int big_endian, float *out_f,
    int16_t *out_h, size_t n, float scale, float offset) {
    eml_exact_to_float af;
    eml_exact_to_int16 ah;
    const eml_status status = out_f ? eml_exact_to_float_init(&af, scale, offset)
        : eml_exact_to_int16_init(&ah, scale, offset);
    if (status != EML_OK) {
        return 0;
    }
    /* two loops: a test in the loop costs Cortex-M3 3 instructions a sample */
    if (out_f) {
        for (size_t i = 0; i < n; i++, p += step) {
            out_f[i] = affine_float(&af, decode_int16(p, big_endian));
        }
        return 1;
    }
    for (size_t i = 0; i < n; i++, p += step) {
        const int32_t x = decode_int16(p, big_endian);
        out_h[i] = exact_int16(&ah, x < 0, x < 0 ? (uint32_t)-x : (uint32_t)x, 150);
    }
    return 1;
}

/* linear_map_fh's exact loop: each float taken apart on its bits. */
static int exact_fh(const float *in, int16_t *out, size_t n, float scale, float offset) {
    eml_exact_to_int16 a;
    if (eml_exact_to_int16_init(&a, scale, offset) != EML_OK) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t b = eml_float_bits(in[i]);
        const uint32_t abs = b & EML_ABS_MASK;
        if (abs >= EML_EXP_MASK) {                    /* NaN: 0; infinite: saturated */
            out[i] = abs > EML_EXP_MASK ? 0
                : ((b >> 31) ^ a.negative) ? (int16_t)-0x8000 : (int16_t)0x7fff;
            continue;
        }
        const int32_t field = (int32_t)(abs >> 23);
        const uint32_t mx = (abs & 0x007fffffu) | (field != 0 ? 0x00800000u : 0u);
        out[i] = exact_int16(&a, b >> 31, mx, field != 0 ? field : 1);
    }
    return 1;
}

#else
/* Without the exact paths every map computes in float. */
#define exact_map(p, step, big_endian, out_f, out_h, n, scale, offset) 0
#define exact_fh(in, out, n, scale, offset) 0
#endif

/* An int16 array's bytes in the machine's own order (folded to a constant). */
static inline int native_big_endian(void) {
    const union { uint16_t u; uint8_t b[2]; } one = { 1 };
    return one.b[0] == 0;
}

#define exact_hf(in, out, n, scale, offset) \
    exact_map((const uint8_t *)(in), 2, native_big_endian(), (out), NULL, (n), (scale), (offset))
#define exact_hh(in, out, n, scale, offset) \
    exact_map((const uint8_t *)(in), 2, native_big_endian(), NULL, (out), (n), (scale), (offset))
#define exact_none(in, out, n, scale, offset) 0

/* The four typed loops: identical but for how an element is read (IN) and
 * written (OUT), and whether the map first tries an exact path (EXACT
 * returns nonzero once it has written the outputs). */
#define AS_FLOAT(v) (v)
#define EML_LINEAR_MAP(name, IT, OT, IN, OUT, EXACT) \
    eml_status name(const IT *in, OT *out, size_t n, \
        float in_min, float in_max, float out_min, float out_max) { \
        float scale, offset; \
        eml_status status = linear_coefficients(in_min, in_max, out_min, out_max, &scale, &offset); \
        if (status != EML_OK) { \
            return status; \
        } \
        if (EXACT(in, out, n, scale, offset)) { \
            return EML_OK; \
        } \
        for (size_t i = 0; i < n; i++) { \
            out[i] = OUT(IN(in[i]) * scale + offset); \
        } \
        return EML_OK; \
    }

EML_LINEAR_MAP(eml_linear_map_ff, float, float, AS_FLOAT, AS_FLOAT, exact_none)
EML_LINEAR_MAP(eml_linear_map_fh, float, int16_t, AS_FLOAT, to_int16, exact_fh)
EML_LINEAR_MAP(eml_linear_map_hf, int16_t, float, from_int16, AS_FLOAT, exact_hf)
EML_LINEAR_MAP(eml_linear_map_hh, int16_t, int16_t, from_int16, to_int16, exact_hh)

eml_status eml_int16_bytes_needed(size_t n_out, size_t start, size_t stride,
    size_t *needed) {
    if (stride == 0) {
        return EML_ERR_VALUE;
    }
    if (n_out == 0) {
        *needed = 0;
        return EML_OK;
    }
    /* Samples spanned: start + (n_out - 1) * stride + 1, each step checked. */
    size_t steps = n_out - 1;
    size_t span;
#if defined(__GNUC__)
    /* Inline on every target; the division below is a libgcc call on
     * Cortex-M0, which has no divide instruction. */
    if (__builtin_mul_overflow(steps, stride, &span) || span > SIZE_MAX - 1) {
        return EML_ERR_SIZE;
    }
#else
    if (steps > (SIZE_MAX - 1) / stride) {
        return EML_ERR_SIZE;
    }
    span = steps * stride;
#endif
    size_t samples = span + 1;
    if (start > SIZE_MAX - samples || start + samples > SIZE_MAX / 2) {
        return EML_ERR_SIZE;
    }
    *needed = (start + samples) * 2;
    return EML_OK;
}

static eml_status check_from_bytes(size_t stride, float scale, float offset) {
    if (stride == 0 || !eml_isfinite(scale) || !eml_isfinite(offset)) {
        return EML_ERR_VALUE;
    }
    return EML_OK;
}

/* scale == 1 and offset == 0 (either zero), on the bits. */
static inline int is_identity(float scale, float offset) {
    return eml_float_bits(scale) == 0x3f800000u && eml_iszero(offset);
}

eml_status eml_int16_from_bytes_f(const uint8_t *bytes, float *out, size_t n_out,
    size_t start, size_t stride, int big_endian, float scale, float offset) {
    eml_status status = check_from_bytes(stride, scale, offset);
    if (status != EML_OK) {
        return status;
    }
    const uint8_t *p = bytes + start * 2;
    size_t step = stride * 2;
    if (is_identity(scale, offset)) {
        /* Skip the multiply and add: each is a library call on soft float. */
        for (size_t i = 0; i < n_out; i++, p += step) {
            out[i] = from_int16(decode_int16(p, big_endian));
        }
        return EML_OK;
    }
    if (exact_map(p, step, big_endian, out, NULL, n_out, scale, offset)) {
        return EML_OK;
    }
    for (size_t i = 0; i < n_out; i++, p += step) {
        out[i] = from_int16(decode_int16(p, big_endian)) * scale + offset;
    }
    return EML_OK;
}

eml_status eml_int16_from_bytes_h(const uint8_t *bytes, int16_t *out, size_t n_out,
    size_t start, size_t stride, int big_endian, float scale, float offset) {
    eml_status status = check_from_bytes(stride, scale, offset);
    if (status != EML_OK) {
        return status;
    }
    const uint8_t *p = bytes + start * 2;
    size_t step = stride * 2;
    if (is_identity(scale, offset)) {
        /* Identity: a plain integer copy, exact and free of float calls. */
        for (size_t i = 0; i < n_out; i++, p += step) {
            out[i] = (int16_t)decode_int16(p, big_endian);
        }
        return EML_OK;
    }
    if (exact_map(p, step, big_endian, NULL, out, n_out, scale, offset)) {
        return EML_OK;
    }
    for (size_t i = 0; i < n_out; i++, p += step) {
        out[i] = to_int16(from_int16(decode_int16(p, big_endian)) * scale + offset);
    }
    return EML_OK;
}
