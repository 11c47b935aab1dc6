/* 16-bit fixed-point biquad cascade, direct form I (see eml_iir_q15.h).
 *
 * The filter runs one section over the whole block, then the next one over
 * its output, in place: a section's five coefficients and four state values
 * then stay in registers for the whole block.
 *
 * The sum of five int16 x int16 products needs 34 bits in the worst case,
 * but only when the coefficients' magnitudes add up to 65536 or more: the
 * inputs and outputs are int16, so |sum| <= 32768 * sum |c|. Most sections
 * are far below that (a stable section has |a1| < 2 and |a2| < 1, under
 * 24576 at post_shift 2, which leaves 40960 for the b values) and are
 * summed in 32 bits, exactly; the others in 64 bits. Both give the same
 * results; the 32-bit sums save a 32-bit chip the carries of 64-bit adds.
 *
 * With error feedback the sums also take the previous remainder, under 2^15:
 * still exact in 32 bits, as 65535 * 32768 + 32767 = 2^31 - 1.
 *
 * `>>` of a negative int32/int64 is arithmetic (floor) with GCC and Clang,
 * the compilers this project supports; C99 leaves it to the implementation.
 */
#include "eml_iir_q15.h"

#include <string.h>

/* Padding slot of a section in f->coefficients: 1 if its sums need 64 bits. */
#define PAD 1
#define NARROW_LIMIT 65536
#define REMAINDER 4     /* the state's slot for the error feedback */

eml_status eml_iir_q15_check(const int16_t *coefficients, size_t n_values, int32_t post_shift) {
    if (n_values == 0 || n_values % EML_IIR_Q15_VALUES != 0
        || n_values / EML_IIR_Q15_VALUES > EML_IIR_Q15_MAX_SECTIONS) {
        return EML_ERR_SIZE;
    }
    if (post_shift < 0 || post_shift > EML_IIR_Q15_MAX_POST_SHIFT) {
        return EML_ERR_VALUE;
    }
    for (size_t i = PAD; i < n_values; i += EML_IIR_Q15_VALUES) {
        if (coefficients[i] != 0) {
            return EML_ERR_VALUE;
        }
    }
    return EML_OK;
}

static int16_t needs_wide_sums(const int16_t *section) {
    int32_t total = 0;
    for (int k = 0; k < EML_IIR_Q15_VALUES; k++) {
        total += section[k] < 0 ? -(int32_t)section[k] : section[k];
    }
    return total >= NARROW_LIMIT;
}

eml_status eml_iir_q15_init(eml_iir_q15 *f, const int16_t *coefficients, size_t n_values,
    int32_t post_shift, int error_feedback, int16_t *copy, int16_t *state) {
    const eml_status status = eml_iir_q15_check(coefficients, n_values, post_shift);
    if (status != EML_OK) {
        return status;
    }
    f->n_sections = (uint16_t)(n_values / EML_IIR_Q15_VALUES);
    f->shift = (uint8_t)(15 - post_shift);
    f->error_feedback = error_feedback != 0;
    f->coefficients = copy;
    f->state = state;
    memcpy(copy, coefficients, n_values * sizeof(int16_t));
    for (size_t i = 0; i < n_values; i += EML_IIR_Q15_VALUES) {
        copy[i + PAD] = needs_wide_sums(copy + i);
    }
    eml_iir_q15_reset(f);
    return EML_OK;
}

void eml_iir_q15_reset(eml_iir_q15 *f) {
    memset(f->state, 0, (size_t)f->n_sections * EML_IIR_Q15_STATES * sizeof(int16_t));
}

/* One SSAT instruction where the core has it (Cortex-M3 and up): GCC does
 * not turn the comparisons into it, and they cost 8 instructions and a
 * register for the constant in the sample loop. */
static inline int32_t saturate_int16(int32_t v) {
#if defined(__ARM_FEATURE_SAT) && defined(__GNUC__)
    int32_t r;
    __asm__ ("ssat %0, #16, %1" : "=r" (r) : "r" (v));
    return r;
#else
    return v > INT16_MAX ? INT16_MAX : v < INT16_MIN ? INT16_MIN : v;
#endif
}

/* The sample loops below are written once, with `wide` and `feedback`
 * constants that the callers at the end fix: each becomes its own loop
 * without a test per sample. With feedback, the sum also takes the remainder the previous
 * floor dropped, 0 <= r < 2^shift <= 2^15, and keeps the new one. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* One section over n samples, sums in 64 bits if `wide`, else in 32. Each
 * product fits 32 bits (|p| <= 2^30). */
ALWAYS_INLINE void plain(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift,
    const int wide, const int feedback) {
    const int32_t b0 = c[0], b1 = c[2], b2 = c[3], a1 = c[4], a2 = c[5];
    const int32_t mask = (int32_t)((1u << shift) - 1);
    int32_t x1 = s[0], x2 = s[1], y1 = s[2], y2 = s[3], r = s[REMAINDER];
    for (size_t i = 0; i < n; i++) {
        const int32_t x = values[i];
        int32_t y;
        if (wide) {
            const int64_t acc = (int64_t)(b0 * x) + b1 * x1 + b2 * x2 + a1 * y1 + a2 * y2 + (feedback ? r : 0);
            if (feedback) {
                r = (int32_t)(acc & mask);
            }
            /* |acc| < 5 * 2^30 + 2^15 and shift >= 3: the shifted sum fits 32 bits */
            y = (int32_t)(acc >> shift);
        } else {
            const int32_t acc = b0 * x + b1 * x1 + b2 * x2 + a1 * y1 + a2 * y2 + (feedback ? r : 0);
            if (feedback) {
                r = acc & mask;
            }
            y = acc >> shift;
        }
        y = saturate_int16(y);
        values[i] = (int16_t)y;
        x2 = x1;
        x1 = x;
        y2 = y1;
        y1 = y;
    }
    s[0] = (int16_t)x1;
    s[1] = (int16_t)x2;
    s[2] = (int16_t)y1;
    s[3] = (int16_t)y2;
    s[REMAINDER] = (int16_t)r;
}

#if defined(__ARM_FEATURE_SIMD32) && defined(__GNUC__)
#include <arm_acle.h>

/* Two int16 in a word, `low` in the bottom half. */
static inline int16x2_t pair(int32_t low, int32_t high) {
    return (int16x2_t)(((uint32_t)high << 16) | (uint16_t)low);
}

/* The bottom halves of `low` and of `word`, the latter moved to the top: one
 * PKHBT instruction (GCC makes two of the C form). */
static inline int16x2_t push(int32_t low, int16x2_t word) {
    int16x2_t r;
    __asm__ ("pkhbt %0, %1, %2, lsl #16" : "=r" (r) : "r" (low), "r" (word));
    return r;
}

/* 32-bit sums on Cortex-M4-class cores: x[n-1], x[n-2] and y[n-1], y[n-2]
 * each travel as one word, so two SMLAD instructions make four of the five
 * products. */
ALWAYS_INLINE void narrow(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift,
    const int feedback) {
    const int32_t b0 = c[0], mask = (int32_t)((1u << shift) - 1);
    const int16x2_t b12 = pair(c[2], c[3]), a12 = pair(c[4], c[5]);
    int16x2_t x12 = pair(s[0], s[1]), y12 = pair(s[2], s[3]);
    int32_t r = s[REMAINDER];
    for (size_t i = 0; i < n; i++) {
        const int32_t x = values[i];
        const int32_t acc = __smlad(a12, y12, __smlad(b12, x12, b0 * x + (feedback ? r : 0)));
        if (feedback) {
            r = acc & mask;
        }
        const int32_t y = saturate_int16(acc >> shift);
        values[i] = (int16_t)y;
        x12 = push(x, x12);     /* the old x[n-1] moves to the top */
        y12 = push(y, y12);
    }
    s[0] = (int16_t)x12;
    s[1] = (int16_t)((int32_t)x12 >> 16);
    s[2] = (int16_t)y12;
    s[3] = (int16_t)((int32_t)y12 >> 16);
    s[REMAINDER] = (int16_t)r;
}
#else
ALWAYS_INLINE void narrow(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift,
    const int feedback) {
    plain(c, s, values, n, shift, 0, feedback);
}
#endif

typedef void section_loop(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift);

static void run_narrow(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift) {
    narrow(c, s, values, n, shift, 0);
}

static void run_narrow_feedback(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift) {
    narrow(c, s, values, n, shift, 1);
}

static void run_wide(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift) {
    plain(c, s, values, n, shift, 1, 0);
}

static void run_wide_feedback(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift) {
    plain(c, s, values, n, shift, 1, 1);
}

void eml_iir_q15_run(eml_iir_q15 *f, int16_t *values, size_t n) {
    if (n == 0) {
        return;
    }
    const int16_t *c = f->coefficients;
    int16_t *s = f->state;
    for (uint32_t k = 0; k < f->n_sections; k++) {
        section_loop *run = c[PAD] ? (f->error_feedback ? run_wide_feedback : run_wide)
            : (f->error_feedback ? run_narrow_feedback : run_narrow);
        run(c, s, values, n, f->shift);
        c += EML_IIR_Q15_VALUES;
        s += EML_IIR_Q15_STATES;
    }
}
