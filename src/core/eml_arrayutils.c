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

/* The four typed loops: identical but for how an element is read (IN) and
 * written (OUT). */
#define AS_FLOAT(v) (v)
#define EML_LINEAR_MAP(name, IT, OT, IN, OUT) \
    eml_status name(const IT *in, OT *out, size_t n, \
        float in_min, float in_max, float out_min, float out_max) { \
        float scale, offset; \
        eml_status status = linear_coefficients(in_min, in_max, out_min, out_max, &scale, &offset); \
        if (status != EML_OK) { \
            return status; \
        } \
        for (size_t i = 0; i < n; i++) { \
            out[i] = OUT(IN(in[i]) * scale + offset); \
        } \
        return EML_OK; \
    }

EML_LINEAR_MAP(eml_linear_map_ff, float, float, AS_FLOAT, AS_FLOAT)
EML_LINEAR_MAP(eml_linear_map_fh, float, int16_t, AS_FLOAT, to_int16)
EML_LINEAR_MAP(eml_linear_map_hf, int16_t, float, from_int16, AS_FLOAT)
EML_LINEAR_MAP(eml_linear_map_hh, int16_t, int16_t, from_int16, to_int16)

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

/* Assemble a two's complement int16 without relying on the
 * implementation-defined conversion of values above INT16_MAX. */
static inline int32_t decode_int16(const uint8_t *p, int big_endian) {
    uint32_t u = big_endian ? ((uint32_t)p[0] << 8) | p[1]
                            : ((uint32_t)p[1] << 8) | p[0];
    return (int32_t)(u ^ 0x8000u) - 0x8000;
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
    for (size_t i = 0; i < n_out; i++, p += step) {
        out[i] = to_int16(from_int16(decode_int16(p, big_endian)) * scale + offset);
    }
    return EML_OK;
}
