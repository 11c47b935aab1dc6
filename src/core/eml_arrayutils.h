/* Fast element-wise conversions for sensor data.
 *
 * Argument order throughout: input, output, count, then parameters.
 * Integer outputs are rounded to nearest (ties to even) and saturated to the
 * int16 range; NaN becomes 0 (see eml_float_to_int16).
 */
#ifndef EML_ARRAYUTILS_H
#define EML_ARRAYUTILS_H

#include "eml_common.h"

/* out[i] = (in[i] - in_min) * (out_max - out_min) / (in_max - in_min) + out_min,
 * computed as in[i] * scale + offset with scale and offset precomputed in
 * float, so results can differ from the textbook formula in the last bits.
 * EML_ERR_VALUE: in_min == in_max, a bound is not finite, or the input span,
 * scale or offset overflows. Nothing is written on error.
 * in and out may be the same array (in place) for the same-typed _ff and _hh. */
eml_status eml_linear_map_ff(const float *in, float *out, size_t n,
    float in_min, float in_max, float out_min, float out_max);
eml_status eml_linear_map_fh(const float *in, int16_t *out, size_t n,
    float in_min, float in_max, float out_min, float out_max);
eml_status eml_linear_map_hf(const int16_t *in, float *out, size_t n,
    float in_min, float in_max, float out_min, float out_max);
eml_status eml_linear_map_hh(const int16_t *in, int16_t *out, size_t n,
    float in_min, float in_max, float out_min, float out_max);

/* Number of bytes that eml_int16_from_bytes_* reads for these arguments:
 * (start + (n_out - 1) * stride + 1) * 2, or 0 when n_out is 0.
 * EML_ERR_VALUE: stride is 0. EML_ERR_SIZE: the count overflows size_t. */
eml_status eml_int16_bytes_needed(size_t n_out, size_t start, size_t stride,
    size_t *needed);

/* Decode int16 samples from raw bytes, as sensors deliver them over I2C/SPI:
 * little-endian, or big-endian when big_endian != 0. Reads every stride-th
 * sample starting at sample index start (interleaved x,y,z channels: stride 3,
 * start 0, 1 or 2) and writes out[i] = sample * scale + offset for i < n_out.
 * The caller guarantees bytes holds eml_int16_bytes_needed() bytes.
 * With scale == 1 and offset == 0 the _h variant copies without float math.
 * EML_ERR_VALUE: stride is 0, or scale or offset is not finite. */
eml_status eml_int16_from_bytes_f(const uint8_t *bytes, float *out, size_t n_out,
    size_t start, size_t stride, int big_endian, float scale, float offset);
eml_status eml_int16_from_bytes_h(const uint8_t *bytes, int16_t *out, size_t n_out,
    size_t start, size_t stride, int big_endian, float scale, float offset);

#endif /* EML_ARRAYUTILS_H */
