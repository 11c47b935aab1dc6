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

/* ---- int16 inputs mapped exactly, in integers (see eml_int16_affine) */
#if EML_ARRAYUTILS_EXACT

/* A finite float as m * 2^e, m odd or zero, |m| < 2^24, on the bits. */
static void split_float(float f, int32_t *m, int32_t *e) {
    const uint32_t b = eml_float_bits(f);
    uint32_t field = (b >> 23) & 0xffu;
    uint32_t mant = b & 0x007fffffu;
    if (field == 0) {
        field = 1;                          /* subnormal: no implicit bit */
    } else {
        mant |= 0x00800000u;
    }
    int32_t exp = (int32_t)field - 150;
    while (mant != 0 && (mant & 1u) == 0) {
        mant >>= 1;
        exp++;
    }
    *m = (b >> 31) ? -(int32_t)mant : (int32_t)mant;
    *e = exp;
}

eml_status eml_int16_affine_init(eml_int16_affine *a, float scale, float offset) {
    if (!eml_isfinite(scale) || !eml_isfinite(offset) || eml_iszero(scale)) {
        return EML_ERR_VALUE;
    }
    int32_t ms, es, mo, eo;
    split_float(scale, &ms, &es);
    split_float(offset, &mo, &eo);
    /* The lsb is the last bit of x * scale or of the offset, whichever is
     * lower. */
    int32_t lsb = es;
    if (mo != 0 && eo < lsb) {
        lsb = eo;
    }
    const int32_t ks = es - lsb;
    const int32_t ko = eo - lsb;
    const uint32_t abs_ms = ms < 0 ? 0u - (uint32_t)ms : (uint32_t)ms;
    /* |x * m| < 2^15 * 2^31 and |o| < 2^62: t = x * m + o fits in 63 bits */
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
static inline float affine_float(const eml_int16_affine *a, int32_t x) {
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
    /* the dropped byte, with any lower bit set as its sticky last bit:
     * byte + (m & 1) + 0x7f carries into bit 8 exactly when the rest is
     * over one half, or one half and m is odd (see eml_trees.c, from_q31) */
    const uint32_t rest = (top & 0xffu) | ((lo << n) != 0);
    uint32_t m = top >> 8;
    m += (rest + (m & 1u) + 0x7fu) >> 8;
    return eml_bits_float(sign | (((uint32_t)(e - (int32_t)n) << 23) + m));
}

/* The exact map of n int16 samples read from p on, step bytes apart, into
 * out_f, or rounded into out_h when out_f is NULL: one loop, one copy of
 * affine_float, for all four maps with int16 inputs. 0 when scale and
 * offset are outside the exact path (nothing written). */
static int exact_map(const uint8_t *p, size_t step, int big_endian, float *out_f,
    int16_t *out_h, size_t n, float scale, float offset) {
    eml_int16_affine a;
    if (eml_int16_affine_init(&a, scale, offset) != EML_OK) {
        return 0;
    }
    for (size_t i = 0; i < n; i++, p += step) {
        const float y = affine_float(&a, decode_int16(p, big_endian));
        if (out_f) {
            out_f[i] = y;
        } else {
            out_h[i] = to_int16(y);
        }
    }
    return 1;
}

/* An int16 array's bytes in the machine's own order (folded to a constant). */
static inline int native_big_endian(void) {
    const union { uint16_t u; uint8_t b[2]; } one = { 1 };
    return one.b[0] == 0;
}

#define exact_hf(in, out, n, scale, offset) \
    exact_map((const uint8_t *)(in), 2, native_big_endian(), (out), NULL, (n), (scale), (offset))
#define exact_hh(in, out, n, scale, offset) \
    exact_map((const uint8_t *)(in), 2, native_big_endian(), NULL, (out), (n), (scale), (offset))
#else
#define exact_hf(in, out, n, scale, offset) 0
#define exact_hh(in, out, n, scale, offset) 0
#endif
#define exact_none(in, out, n, scale, offset) 0

/* The four typed loops: identical but for how an element is read (IN) and
 * written (OUT), and whether int16 inputs first try the exact path (EXACT
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
EML_LINEAR_MAP(eml_linear_map_fh, float, int16_t, AS_FLOAT, to_int16, exact_none)
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
#if EML_ARRAYUTILS_EXACT
    if (exact_map(p, step, big_endian, out, NULL, n_out, scale, offset)) {
        return EML_OK;
    }
#endif
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
#if EML_ARRAYUTILS_EXACT
    if (exact_map(p, step, big_endian, NULL, out, n_out, scale, offset)) {
        return EML_OK;
    }
#endif
    for (size_t i = 0; i < n_out; i++, p += step) {
        out[i] = to_int16(from_int16(decode_int16(p, big_endian)) * scale + offset);
    }
    return EML_OK;
}
