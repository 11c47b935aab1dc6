/* 16-bit fixed-point biquad cascade, direct form I (see eml_iir_q15.h).
 *
 * The filter runs one section over the whole block, then the next one over
 * its output, in place: a section's coefficients and state then stay in
 * registers for the whole block.
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

/* The sample loops below are written once, with `feedback` a constant
 * that the callers at the end fix: each becomes two loops without a test
 * per sample. With feedback, the sum also takes the remainder the previous
 * floor dropped, 0 <= r < 2^shift <= 2^15, and keeps the new one. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* One section over n samples, sums in 32 bits, in transposed form: the
 * state is two partial sums,
 *     s1 = b1 x[n-1] + b2 x[n-2] + a1 y[n-1] + a2 y[n-2]
 *     s2 = b2 x[n-1] + a2 y[n-1]
 * exact integers, so acc = b0 x[n] + s1 is direct form I's sum, bit for bit,
 * in fewer registers and without moving four values along per sample. The
 * partial sums are bounded by the whole one, so they fit 32 bits too. In
 * the section's state they take the 4 slots of x[n-1] .. y[n-2] (zeros
 * for both after a reset). */
static inline int32_t get_sum(const int16_t *slots) {
    return (int32_t)((uint32_t)(uint16_t)slots[0] | ((uint32_t)(uint16_t)slots[1] << 16));
}

static inline void set_sum(int16_t *slots, int32_t v) {
    slots[0] = (int16_t)(uint16_t)((uint32_t)v & 0xffffu);
    slots[1] = (int16_t)(uint16_t)((uint32_t)v >> 16);
}

ALWAYS_INLINE void narrow(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift,
    const int feedback) {
    const int32_t b0 = c[0], b1 = c[2], b2 = c[3], a1 = c[4], a2 = c[5];
    const int32_t mask = (int32_t)((1u << shift) - 1);
    int32_t s1 = get_sum(s), s2 = get_sum(s + 2), r = s[REMAINDER];
    for (size_t i = 0; i < n; i++) {
        const int32_t x = values[i];
        const int32_t acc = b0 * x + s1 + (feedback ? r : 0);
        if (feedback) {
            r = acc & mask;
        }
        const int32_t y = saturate_int16(acc >> shift);
        values[i] = (int16_t)y;
        s1 = b1 * x + a1 * y + s2;
        s2 = b2 * x + a2 * y;
    }
    set_sum(s, s1);
    set_sum(s + 2, s2);
    s[REMAINDER] = (int16_t)r;
}

/* One section over n samples, sums in 64 bits, in direct form I (the
 * transposed form's partial sums could need 64 bits too, more than the
 * state holds). Each product fits 32 bits (|p| <= 2^30). */
ALWAYS_INLINE void wide(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift,
    const int feedback) {
    const int32_t b0 = c[0], b1 = c[2], b2 = c[3], a1 = c[4], a2 = c[5];
    const int32_t mask = (int32_t)((1u << shift) - 1);
    int32_t x1 = s[0], x2 = s[1], y1 = s[2], y2 = s[3], r = s[REMAINDER];
    for (size_t i = 0; i < n; i++) {
        const int32_t x = values[i];
        const int64_t acc = (int64_t)(b0 * x) + b1 * x1 + b2 * x2 + a1 * y1 + a2 * y2 + (feedback ? r : 0);
        if (feedback) {
            r = (int32_t)(acc & mask);
        }
        /* |acc| < 5 * 2^30 + 2^15 and shift >= 3: the shifted sum fits 32 bits */
        const int32_t y = saturate_int16((int32_t)(acc >> shift));
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

typedef void section_loop(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift);

static void run_narrow(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift) {
    narrow(c, s, values, n, shift, 0);
}

static void run_narrow_feedback(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift) {
    narrow(c, s, values, n, shift, 1);
}

static void run_wide(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift) {
    wide(c, s, values, n, shift, 0);
}

static void run_wide_feedback(const int16_t *c, int16_t *s, int16_t *values, size_t n, int shift) {
    wide(c, s, values, n, shift, 1);
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
