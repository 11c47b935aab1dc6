/* Biquad cascade, transposed direct form II. See eml_iir.h. */
#include "eml_iir.h"

/* Samples converted per step in eml_iir_run_int16: large enough to amortise
 * loading each section's coefficients, small enough for a MCU stack. */
#define EML_IIR_INT16_BLOCK 32

eml_status eml_iir_check_sos(const float *sos, size_t n_values) {
    if (n_values == 0 || n_values % EML_IIR_SOS_VALUES != 0
        || n_values / EML_IIR_SOS_VALUES > UINT16_MAX) {
        return EML_ERR_SIZE;
    }
    for (size_t i = 0; i < n_values; i++) {
        if (!eml_isfinite(sos[i])) {
            return EML_ERR_VALUE;
        }
    }
    for (size_t i = 3; i < n_values; i += EML_IIR_SOS_VALUES) {
        if (sos[i] != 1.0f) {
            return EML_ERR_VALUE;
        }
    }
    return EML_OK;
}

eml_status eml_iir_init(eml_iir *f, const float *sos, size_t n_values,
    float *coefficients, float *state) {
    eml_status status = eml_iir_check_sos(sos, n_values);
    if (status != EML_OK) {
        return status;
    }
    size_t n_sections = n_values / EML_IIR_SOS_VALUES;
    for (size_t s = 0; s < n_sections; s++) {
        const float *in = sos + s * EML_IIR_SOS_VALUES;
        float *out = coefficients + s * EML_IIR_COEFFS;
        out[0] = in[0];
        out[1] = in[1];
        out[2] = in[2];
        /* Negated feedback lets the hot loop use adds only. */
        out[3] = -in[4];
        out[4] = -in[5];
    }
    f->n_sections = (uint16_t)n_sections;
    f->coefficients = coefficients;
    f->state = state;
    eml_iir_reset(f);
    return EML_OK;
}

void eml_iir_reset(eml_iir *f) {
    for (size_t i = 0; i < (size_t)f->n_sections * EML_IIR_STATES; i++) {
        f->state[i] = 0.0f;
    }
}

/* Run one section over a buffer in place. Coefficients and state live in
 * locals so they stay in registers: on soft-float targets every float op is
 * a library call, and reloading them per sample would add memory traffic
 * around each call. */
static void run_section(const float *coeff, float *state, float *x, size_t n) {
    const float b0 = coeff[0];
    const float b1 = coeff[1];
    const float b2 = coeff[2];
    const float a1 = coeff[3];
    const float a2 = coeff[4];
    float s1 = state[0];
    float s2 = state[1];
    for (size_t i = 0; i < n; i++) {
        float in = x[i];
        float out = b0 * in + s1;
        s1 = b1 * in + a1 * out + s2;
        s2 = b2 * in + a2 * out;
        x[i] = out;
    }
    state[0] = s1;
    state[1] = s2;
}

/* Sections in the outer loop, samples in the inner loop: each section's
 * state is loaded and stored once per call instead of once per sample. */
static void run_cascade(eml_iir *f, float *x, size_t n) {
    for (uint16_t s = 0; s < f->n_sections; s++) {
        run_section(f->coefficients + (size_t)s * EML_IIR_COEFFS,
            f->state + (size_t)s * EML_IIR_STATES, x, n);
    }
}

void eml_iir_run_float(eml_iir *f, float *values, size_t n) {
    if (n == 0) {
        return;
    }
    run_cascade(f, values, n);
}

void eml_iir_run_int16(eml_iir *f, int16_t *values, size_t n) {
    float block[EML_IIR_INT16_BLOCK];
    while (n > 0) {
        size_t len = n < EML_IIR_INT16_BLOCK ? n : EML_IIR_INT16_BLOCK;
        for (size_t i = 0; i < len; i++) {
            block[i] = (float)values[i];
        }
        run_cascade(f, block, len);
        for (size_t i = 0; i < len; i++) {
            values[i] = eml_float_to_int16(block[i]);
        }
        values += len;
        n -= len;
    }
}
