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
 * float, so results can differ from the textbook formula in the last bits
 * (and between targets: see EML_ARRAYUTILS_EXACT).
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

/* FPU-less chips that multiply 32 x 32 -> 64 bits in one or two
 * instructions (Thumb-2 SMULL: Cortex-M3, and M4/M33 without FPU; RISC-V M
 * MULH: ESP32-C3 and the like) compute every map but float -> float in
 * 64-bit integers: the exact x * scale + offset, rounded once. That is
 * never less exact than the soft-float multiply and add, and takes fewer
 * instructions (Cortex-M3, per sample: int16 -> float 44 against 90 to 118,
 * float -> int16 73 against 118), for 1.5 kB of armv7m .mpy. Cortex-M0 has
 * no such multiply (and no CLZ): there the integer paths saved only 25 to
 * 33% of the instructions (even with each product split into two 32-bit
 * ones), for 2 kB, so it keeps the float path. */
#ifndef EML_ARRAYUTILS_EXACT
#if EML_SOFT_FLOAT && ((defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB >= 2) || defined(__riscv_mul))
#define EML_ARRAYUTILS_EXACT 1
#else
#define EML_ARRAYUTILS_EXACT 0
#endif
#endif

#if EML_ARRAYUTILS_EXACT
/* Float results of int16 x: x * scale + offset rounded once to the nearest
 * float, as a fused multiply-add rounds. The value is t * 2^lsb with
 * t = x * m + o. */
typedef struct {
    int32_t m;              /* scale's significand at the lsb, |m| < 2^31 */
    int32_t float_exp;      /* float exponent field of 2^(63 + lsb), less 1 */
    int64_t o;              /* offset at the lsb, |o| < 2^62 */
    uint32_t zero_bits;     /* the float bits of an exact zero (x == 0) */
} eml_exact_to_float;

/* EML_ERR_VALUE when the integers would not hold the exact value or the
 * result could be subnormal or infinite: a zero or subnormal scale, a tiny
 * or huge scale or offset, or an offset far below the scale's last bit. The
 * maps then compute in float. Typical sensor scales and offsets are all
 * within. */
eml_status eml_exact_to_float_init(eml_exact_to_float *a, float scale, float offset);

/* Int16 results of int16 or float x: x * scale + offset rounded once to the
 * nearest int16, ties to even, saturated (NaN x: 0). */
typedef struct {
    int64_t o;              /* offset in units of 2^-41 */
    uint32_t ms;            /* |scale| as an odd significand */
    uint32_t negative;      /* scale < 0 */
    int32_t shift;          /* log2 of ms's unit in units of 2^-41, less 150 */
} eml_exact_to_int16;

/* EML_ERR_VALUE for a zero scale, an offset above 2^20 or one with bits
 * below 2^-40: the maps then compute in float. */
eml_status eml_exact_to_int16_init(eml_exact_to_int16 *a, float scale, float offset);
#endif

#endif /* EML_ARRAYUTILS_H */
