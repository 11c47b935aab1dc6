/* Biquad cascade, transposed direct form II. See eml_iir.h. */
#include <string.h>

#include "eml_iir.h"

/* Out-of-order hosts (x86-64, AArch64) filter several sections side by side
 * (see run_cascade); microcontrollers one section after the other.
 * -DEML_IIR_INTERLEAVE=0 or 1 chooses, so the host tests check both. */
#ifndef EML_IIR_INTERLEAVE
#if defined(__x86_64__) || defined(__aarch64__)
#define EML_IIR_INTERLEAVE 1
#else
#define EML_IIR_INTERLEAVE 0
#endif
#endif

/* Samples converted per step in eml_iir_run_int16: large enough to amortise
 * loading each section's coefficients, small enough for a MCU stack. */
#define EML_IIR_INT16_BLOCK 32

#define ABS_MASK 0x7fffffffu
#define EXP_MASK 0x7f800000u
#define EXP_ONE 0x00800000u     /* adding this to a normal float's bits doubles it */
#define BITS_ONE 0x3f800000u    /* 1.0f */

/* Finite, non-zero and not subnormal. Gains are kept in this range so that
 * moving them between sections keeps full precision and scaling by 2 stays
 * exact. */
static inline int is_normal(float f) {
    uint32_t e = eml_float_bits(f) & EXP_MASK;
    return e != 0 && e != EXP_MASK;
}

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
    /* Compares on the bits, here and below, keep the soft-float compare
     * helpers out of the module; for finite values they mean the same. */
    for (size_t i = 3; i < n_values; i += EML_IIR_SOS_VALUES) {
        if (eml_float_bits(sos[i]) != BITS_ONE) {
            return EML_ERR_VALUE;
        }
    }
    return EML_OK;
}

/* Whether section s > 0 can hand its b0 to the first section: it needs a
 * non-zero b0 and finite ratios b1/b0, b2/b0. */
static int can_normalise(const float *in) {
    return !eml_iszero(in[0]) && eml_isfinite(in[1] / in[0]) && eml_isfinite(in[2] / in[0]);
}

eml_status eml_iir_init(eml_iir *f, const float *sos, size_t n_values,
    float *coefficients, float *state) {
    eml_status status = eml_iir_check_sos(sos, n_values);
    if (status != EML_OK) {
        return status;
    }
    size_t n_sections = n_values / EML_IIR_SOS_VALUES;

    /* Sections 2..n get b = (1, b1/b0, b2/b0) and their b0 moves into the
     * first section. The cascade is linear, so where the gain is applied
     * changes the output only by rounding, and a unit b0 lets the zero-
     * pattern kernel below skip its input multiply. Scipy designs already
     * put the gain first, so the later b0 are usually 1 and this changes
     * nothing for them. The gain is only moved when it and the first
     * section's scaled coefficients stay normal floats: a subnormal would
     * lose precision, an infinity would break the filter. */
    float gain = 1.0f;
    int move = 1;
    for (size_t s = 1; s < n_sections && move; s++) {
        const float *in = sos + s * EML_IIR_SOS_VALUES;
        if (can_normalise(in)) {
            gain *= in[0];
            move = is_normal(gain);
        }
    }
    for (int k = 0; k < 3 && move; k++) {
        move = eml_iszero(sos[k]) || is_normal(sos[k] * gain);
    }

    for (size_t s = 0; s < n_sections; s++) {
        const float *in = sos + s * EML_IIR_SOS_VALUES;
        float *out = coefficients + s * EML_IIR_COEFFS;
        out[0] = in[0];
        out[1] = in[1];
        out[2] = in[2];
        if (move && s == 0) {
            out[0] = in[0] * gain;
            out[1] = in[1] * gain;
            out[2] = in[2] * gain;
        } else if (move && can_normalise(in)) {
            out[0] = 1.0f;
            out[1] = in[1] / in[0];
            out[2] = in[2] / in[0];
        }
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

#if !EML_IIR_INTERLEAVE
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

/* Kernel for sections whose numerator is b0 * (1, c, d) with c in {-2, 0, 2}
 * and d in {-1, 1}: the zeros at z = +-1 of Butterworth and Chebyshev I
 * low/high/band designs and of A-weighting. With u = b0 * x this is
 *     y = u + s1,  s1' = c*u + a1*y + s2,  s2' = d*u + a2*y
 * where c*u and d*u need no multiply: the sign flips by XOR, and doubling
 * adds one to the exponent field. That is 2 multiplies (3 when b0 != 1)
 * and 3-4 adds instead of 5 and 4, each a library call on soft float.
 * The exponent trick only holds while u and 2u are normal, so other u
 * (zero, subnormal, |u| >= 2^127, Inf, NaN) take a real multiply, which
 * gives the same bits. unit_gain and double_u are constants at each call
 * site in run_zeros, so the compiler emits one loop per variant and
 * nothing is decided per sample. */
static inline void run_zeros_loop(const float *coeff, float *state, float *x, size_t n,
    int unit_gain, int double_u, uint32_t c_sign, uint32_t d_sign) {
    const float g = coeff[0];
    const float c = c_sign ? -2.0f : 2.0f;
    const float a1 = coeff[3];
    const float a2 = coeff[4];
    float s1 = state[0];
    float s2 = state[1];
    for (size_t i = 0; i < n; i++) {
        float u = unit_gain ? x[i] : g * x[i];
        uint32_t ub = eml_float_bits(u);
        float y = u + s1;
        float acc = a1 * y;
        if (double_u) {
            float cu;
            /* |u| bits in [0x00800000, 0x7effffff]: exponent field 1..253. */
            if ((ub & ABS_MASK) - EXP_ONE < 0x7f000000u - EXP_ONE) {
                cu = eml_bits_float((ub + EXP_ONE) ^ c_sign);
            } else {
                cu = c * u;
            }
            acc = cu + acc;
        }
        s1 = acc + s2;
        s2 = eml_bits_float(ub ^ d_sign) + a2 * y;
        x[i] = y;
    }
    state[0] = s1;
    state[1] = s2;
}
#endif

/* A section's zero pattern: its numerator is b0 * (1, c, d), see
 * run_zeros_loop. */
typedef struct {
    int unit_gain;      /* b0 == 1 */
    int double_u;       /* c == +-2; otherwise c == 0 */
    uint32_t c_sign;    /* sign bit of c; meaningful only when double_u */
    uint32_t d_sign;    /* sign bit of d */
} zero_pattern;

/* Read the pattern from the coefficient bits, or return 0 for a section
 * that needs the general kernel. Done on each call (a few integer ops per
 * section), so the coefficient array stays plain (b0, b1, b2, -a1, -a2) and
 * eml_iir needs no extra storage. Exact bit matches only: a near-miss takes
 * the general kernel. Inlined, so the pattern stays in registers: called,
 * it made the .mpy of every microcontroller 24 to 124 bytes larger. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int find_zeros(const float *coeff, zero_pattern *p) {
    uint32_t b0 = eml_float_bits(coeff[0]);
    uint32_t b1 = eml_float_bits(coeff[1]);
    uint32_t b2 = eml_float_bits(coeff[2]);
    /* b0 normal with exponent field <= 253, so b0 + EXP_ONE is 2 * b0. */
    if ((b0 & ABS_MASK) - EXP_ONE >= 0x7f000000u - EXP_ONE) {
        return 0;
    }
    p->d_sign = b2 ^ b0;
    if ((p->d_sign & ABS_MASK) != 0) {
        return 0;
    }
    p->c_sign = b1 ^ (b0 + EXP_ONE);
    p->double_u = (p->c_sign & ABS_MASK) == 0;
    if (!p->double_u && (b1 & ABS_MASK) != 0) {
        return 0;
    }
    p->unit_gain = b0 == BITS_ONE;
    return 1;
}

#if !EML_IIR_INTERLEAVE
/* Run a section with the zero-pattern kernel variant that fits it, or
 * return 0 when it needs the general one. */
static int run_zeros(const float *coeff, float *state, float *x, size_t n) {
    zero_pattern p;
    if (!find_zeros(coeff, &p)) {
        return 0;
    }
    if (p.unit_gain && p.double_u) {
        run_zeros_loop(coeff, state, x, n, 1, 1, p.c_sign, p.d_sign);
    } else if (p.unit_gain) {
        run_zeros_loop(coeff, state, x, n, 1, 0, 0, p.d_sign);
    } else if (p.double_u) {
        run_zeros_loop(coeff, state, x, n, 0, 1, p.c_sign, p.d_sign);
    } else {
        run_zeros_loop(coeff, state, x, n, 0, 0, 0, p.d_sign);
    }
    return 1;
}

/* Sections in the outer loop, samples in the inner loop: each section's
 * state is loaded and stored once per call instead of once per sample. */
static void run_cascade(eml_iir *f, float *x, size_t n) {
    for (uint16_t s = 0; s < f->n_sections; s++) {
        const float *coeff = f->coefficients + (size_t)s * EML_IIR_COEFFS;
        float *state = f->state + (size_t)s * EML_IIR_STATES;
        if (!run_zeros(coeff, state, x, n)) {
            run_section(coeff, state, x, n);
        }
    }
}
#else
/* Out-of-order hosts. A section's samples form one chain of dependent
 * float operations (from s1 to s1': add, multiply, add, add), so one
 * section at a time leaves the core waiting on each result: 3.3 ns a
 * sample per section on the development machine (x86-64). Here up to
 * EML_IIR_LANES sections take each sample in turn; their chains are
 * independent and run side by side, and three sections take 3.5 ns a
 * sample instead of 9.7 (four were slower: registers run out). Every
 * section is computed as
 *     u = g*x,  y = k0*u + s1,  s1' = (t + a1*y) + s2,  s2' = k2*u + a2*y
 * with t = k1*u, or -0.0 where the zero-pattern kernel has no c*u term
 * (adding -0.0 changes no value, not even the sign of a zero; choosing it
 * costs the bit operations of a mask, which only groups with such a section
 * pay: they get their own copy of the loop). With
 * (g, k0, k1, k2) = (1, b0, b1, b2) that is the general kernel, and with
 * (b0, 1, c, d) the zero-pattern one, in their order of operations. The
 * multiplies by 1 and +-1 are exact, and c*u is what run_zeros_loop
 * computes too, so the outputs have the bits of the one-section kernels
 * (tests/core/test_iir.c checks both paths against one model, bit for
 * bit). */
#define EML_IIR_LANES 3

typedef struct {
    float g, k0, k1, k2, a1, a2;
    uint32_t t_keep;    /* all ones to keep t = k1*u, 0 when t = -0.0 */
} lane;

static void lane_init(lane *l, const float *coeff) {
    zero_pattern p;
    l->a1 = coeff[3];
    l->a2 = coeff[4];
    l->t_keep = 0xffffffffu;
    if (find_zeros(coeff, &p)) {
        l->g = coeff[0];    /* 1.0f for a unit gain: u = x exactly */
        l->k0 = 1.0f;
        l->k1 = p.double_u ? eml_bits_float(0x40000000u ^ p.c_sign) : 0.0f; /* +-2 */
        l->k2 = eml_bits_float(BITS_ONE ^ p.d_sign);                          /* +-1 */
        if (!p.double_u) {
            l->t_keep = 0;
        }
    } else {
        l->g = 1.0f;
        l->k0 = coeff[0];
        l->k1 = coeff[1];
        l->k2 = coeff[2];
    }
}

/* One section's step for sample v; s holds its (s1, s2). */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline float lane_step(const lane *l, float *s, float v, const int masked) {
    const float u = l->g * v;
    const float y = l->k0 * u + s[0];
    const float ku = l->k1 * u;
    const uint32_t keep = l->t_keep;    /* -0.0 where it is 0 */
    const float t = masked
        ? eml_bits_float((eml_float_bits(ku) & keep) | (~keep & EML_SIGN_BIT)) : ku;
    s[0] = (t + l->a1 * y) + s[1];
    s[1] = l->k2 * u + l->a2 * y;
    return y;
}

/* n_lanes and masked are constants at each call site in run_group, so the
 * unused lanes fold away and every state stays in a register. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void run_lanes(const lane *l, float *state, float *x, size_t n,
    const int n_lanes, const int masked) {
    float s[2 * EML_IIR_LANES];     /* each lane's (s1, s2) */
    memcpy(s, state, 2 * (size_t)n_lanes * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        float v = lane_step(&l[0], s, x[i], masked);
        if (n_lanes > 1) {
            v = lane_step(&l[1], s + 2, v, masked);
        }
        if (n_lanes > 2) {
            v = lane_step(&l[2], s + 4, v, masked);
        }
        x[i] = v;
    }
    memcpy(state, s, 2 * (size_t)n_lanes * sizeof(float));
}

#define EML_IIR_RUN_LANES(masked) do { \
        if (k == 1) { \
            run_lanes(l, state, x, n, 1, masked); \
        } else if (k == 2) { \
            run_lanes(l, state, x, n, 2, masked); \
        } else { \
            run_lanes(l, state, x, n, 3, masked); \
        } \
    } while (0)

/* k = 1 to EML_IIR_LANES sections. */
static void run_group(const lane *l, uint32_t k, float *state, float *x, size_t n) {
    uint32_t keep = 0xffffffffu;
    for (uint32_t j = 0; j < k; j++) {
        keep &= l[j].t_keep;
    }
    if (keep != 0) {
        EML_IIR_RUN_LANES(0);
    } else {
        EML_IIR_RUN_LANES(1);
    }
}

static void run_cascade(eml_iir *f, float *x, size_t n) {
    lane l[EML_IIR_LANES];
    for (uint32_t s = 0; s < f->n_sections; s += EML_IIR_LANES) {
        const uint32_t left = f->n_sections - s;
        const uint32_t k = left < EML_IIR_LANES ? left : EML_IIR_LANES;
        for (uint32_t j = 0; j < k; j++) {
            lane_init(&l[j], f->coefficients + (size_t)(s + j) * EML_IIR_COEFFS);
        }
        run_group(l, k, f->state + (size_t)s * EML_IIR_STATES, x, n);
    }
}
#endif

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
            block[i] = eml_int16_to_float(values[i]);
        }
        run_cascade(f, block, len);
        for (size_t i = 0; i < len; i++) {
            values[i] = eml_float_to_int16(block[i]);
        }
        values += len;
        n -= len;
    }
}
