/* Cascade of second-order IIR sections (biquads), transposed direct form II.
 *
 * Coefficients come in scipy's sos layout: 6 floats per section
 * (b0, b1, b2, a0, a1, a2) with a0 == 1. They are stored internally as
 * (b0, b1, b2, -a1, -a2), with the b0 of the later sections moved into
 * the first one: a later section then reads (1, b1/b0, b2/b0). Sections
 * with b0 == 0 (or an infinite ratio) keep theirs, and nothing moves if the
 * total gain or the first section's scaled b would leave the normal float
 * range. The cascade is linear, so this only changes rounding. Sections whose
 * numerator is b0 * (1, c, d) with c in {-2, 0, 2} and d in {-1, 1} (the
 * zeros at z = +-1 of Butterworth, Chebyshev I and A-weighting designs)
 * cost 2 multiplies and 3-4 adds per sample, plus one multiply when b0 != 1;
 * other sections cost 5 multiplies and 4 adds (on microcontrollers; x86-64
 * and AArch64 hosts filter up to three sections side by side instead, with
 * the same results, see eml_iir.c). All memory is caller-owned;
 * the filter state is float and carries over between calls, so filtering a
 * signal in chunks of any size gives bit-identical output to filtering it
 * in one call.
 */
#ifndef EML_IIR_H
#define EML_IIR_H

#include "eml_common.h"

#define EML_IIR_SOS_VALUES 6    /* floats per section in an sos array */
#define EML_IIR_COEFFS 5        /* floats per section in eml_iir.coefficients */
#define EML_IIR_STATES 2        /* floats per section in eml_iir.state */

typedef struct {
    uint16_t n_sections;
    float *coefficients;    /* caller-owned, EML_IIR_COEFFS per section: b0, b1, b2, -a1, -a2 */
    float *state;           /* caller-owned, EML_IIR_STATES per section */
} eml_iir;

/* Validate an sos array of n_values floats.
 * EML_ERR_SIZE: n_values is 0, not a multiple of 6, or more than 65535 sections.
 * EML_ERR_VALUE: a value is NaN or infinite, or a section's a0 is not 1. */
eml_status eml_iir_check_sos(const float *sos, size_t n_values);

/* Set up f from sos (n_values floats) using caller storage: coefficients
 * must hold 5 and state 2 floats per section. The sos array is checked
 * (same errors as eml_iir_check_sos) and need not outlive f. Clears state.
 * The stored b values may differ from sos by the gain moved between
 * sections (see above). */
eml_status eml_iir_init(eml_iir *f, const float *sos, size_t n_values,
    float *coefficients, float *state);

/* Clear the state, as if the input had been zero forever. */
void eml_iir_reset(eml_iir *f);

/* Filter n samples in place. */
void eml_iir_run_float(eml_iir *f, float *values, size_t n);

/* Filter n samples in place; outputs are rounded to nearest (ties to even)
 * and saturated to the int16 range. The state stays float and unsaturated. */
void eml_iir_run_int16(eml_iir *f, int16_t *values, size_t n);

#endif /* EML_IIR_H */
