/* Shared definitions for the portable C99 cores in src/core.
 *
 * The cores never allocate, keep no global state and report errors through
 * eml_status. They use fixed-width types and single-precision float only, so
 * they compile unchanged for FPU-less microcontrollers (soft float) and hosts.
 */
#ifndef EML_COMMON_H
#define EML_COMMON_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    EML_OK = 0,
    EML_ERR_SIZE,       /* a length or count is wrong (zero, not a multiple, mismatched) */
    EML_ERR_VALUE,      /* a value is out of its allowed range, or not finite */
    EML_ERR_CAPACITY,   /* more than the caller-provided storage holds */
    EML_ERR_FORMAT,     /* malformed serialized data */
} eml_status;

/* True when f is neither NaN nor infinite. Works on the bit pattern so it needs no libm. */
static inline int eml_isfinite(float f) {
    union { float f; uint32_t u; } v = { f };
    return (v.u & 0x7f800000u) != 0x7f800000u;
}

/* Round to nearest (ties to even, like numpy.rint) and saturate to int16.
 * NaN maps to 0. Clamping first keeps |f| < 2^22, where adding and removing
 * 1.5 * 2^23 rounds with the default rounding mode and no libm call; without
 * -ffast-math the compiler may not fold the pair away. */
static inline int16_t eml_float_to_int16(float f) {
    if (f >= 32767.0f) {
        return 32767;
    }
    if (f <= -32768.0f) {
        return -32768;
    }
    if (f != f) {
        return 0;
    }
    float r = f + 12582912.0f;
    return (int16_t)(int32_t)(r - 12582912.0f);
}

#endif /* EML_COMMON_H */
