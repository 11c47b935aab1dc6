/* Cascade of second-order IIR sections (biquads) in 16-bit fixed point,
 * direct form I: the arithmetic of CMSIS-DSP's arm_biquad_cascade_df1_q15.
 *
 * A section holds 6 int16 values, CMSIS-DSP's layout:
 *
 *     b0, 0, b1, b2, a1, a2
 *
 * and computes, for every sample x[n] (int16),
 *
 *     acc  = b0 x[n] + b1 x[n-1] + b2 x[n-2] + a1 y[n-1] + a2 y[n-2]
 *     y[n] = saturate_int16(floor(acc / 2^(15 - post_shift)))
 *
 * exactly (the sum in 64 bits, or in 32 bits when it cannot overflow
 * them). The a values have the opposite sign to scipy's, and a
 * coefficient c stands for the real value c * 2^post_shift / 32768, so
 * post_shift = 2 (emlearn-micropython's, and the default of the module)
 * covers values in [-4, 4). The second value is CMSIS-DSP's padding for
 * its paired multiplies and must be 0: a scipy-ordered section
 * (b0, b1, b2, a0, a1, a2) is then refused rather than misread.
 * Each section's output is the next one's input, and the state (what the
 * section needs of its last two inputs and outputs) carries over between
 * calls, so a signal filtered in chunks gives the output of one call.
 *
 * For the same coefficients, post_shift and input, the outputs are
 * bit-identical to CMSIS-DSP's (its Cortex-M0/M3 and Cortex-M4 code;
 * the Helium version of Cortex-M55 rounds instead of truncating).
 *
 * Beyond CMSIS-DSP, error feedback (an option at init): each section adds
 * the remainder its last floor dropped, acc mod 2^(15 - post_shift), to its
 * next sum. The rounding error then reaches the output through
 * (1 - z^-1) / A(z) instead of 1 / A(z): nothing at DC. Without it, a
 * section whose poles sit near z = 1 (a lowpass or highpass with a cutoff
 * under about 1% of the sample rate) multiplies the floor's average error
 * of -1/2 by its DC gain, hundreds of int16 steps. It costs a few
 * instructions per sample and section.
 * All memory is caller-owned.
 */
#ifndef EML_IIR_Q15_H
#define EML_IIR_Q15_H

#include "eml_common.h"

#define EML_IIR_Q15_VALUES 6            /* int16 per section: b0, 0, b1, b2, a1, a2 */
#define EML_IIR_Q15_STATES 5            /* int16 per section: its history (see eml_iir_q15.c), remainder */
#define EML_IIR_Q15_MAX_SECTIONS 65535
/* Above 12, CMSIS-DSP's 32-bit result of the shift could wrap before it
 * saturates; up to 12 every sum fits, so results agree with it. */
#define EML_IIR_Q15_MAX_POST_SHIFT 12

typedef struct {
    uint16_t n_sections;
    uint8_t shift;              /* 15 - post_shift */
    uint8_t error_feedback;     /* 1: carry each floor's remainder into the next sum */
    int16_t *coefficients;      /* caller-owned copy, EML_IIR_Q15_VALUES per section (see init) */
    int16_t *state;             /* caller-owned, EML_IIR_Q15_STATES per section */
} eml_iir_q15;

/* Validate n_values coefficients and post_shift.
 * EML_ERR_SIZE: n_values is 0, not a multiple of 6, or over 65535 sections.
 * EML_ERR_VALUE: post_shift is not in 0..EML_IIR_Q15_MAX_POST_SHIFT, or a
 * section's second value is not 0. */
eml_status eml_iir_q15_check(const int16_t *coefficients, size_t n_values, int32_t post_shift);

/* Set up f: the coefficients are checked (as eml_iir_q15_check) and copied
 * into `copy` (6 values per section), whose padding slot then records
 * whether the section's sums need 64 bits; they need not outlive f. `state`
 * holds 5 values per section and is cleared. error_feedback: 0 for
 * CMSIS-DSP's arithmetic, 1 to carry the remainders (see above). */
eml_status eml_iir_q15_init(eml_iir_q15 *f, const int16_t *coefficients, size_t n_values,
    int32_t post_shift, int error_feedback, int16_t *copy, int16_t *state);

/* Clear the state, as if the input had been zero forever. */
void eml_iir_q15_reset(eml_iir_q15 *f);

/* Filter n samples in place. */
void eml_iir_q15_run(eml_iir_q15 *f, int16_t *values, size_t n);

#endif /* EML_IIR_Q15_H */
