/* Host tests for src/core/eml_iir_q15.c. (The outputs against scipy and
 * against a numpy model of the arithmetic are checked on every MicroPython
 * target by tests/micropython/test_iir_q15.py.) */
#include <string.h>

#include "check.h"
#include "eml_iir_q15.h"

#define MAX_SECTIONS 4

typedef struct {
    eml_iir_q15 f;
    int16_t copy[MAX_SECTIONS * EML_IIR_Q15_VALUES];
    int16_t state[MAX_SECTIONS * EML_IIR_Q15_STATES];
} filter;

static eml_status setup_with(filter *f, const int16_t *c, size_t n_values, int32_t post_shift, int feedback) {
    return eml_iir_q15_init(&f->f, c, n_values, post_shift, feedback, f->copy, f->state);
}

static eml_status setup(filter *f, const int16_t *c, size_t n_values, int32_t post_shift) {
    return setup_with(f, c, n_values, post_shift, 0);
}

/* The definition, one sample at a time, with 64-bit sums and floor
 * division written out (no shifts of negative numbers); with feedback, each
 * sum also takes the remainder of the section's previous division. */
static void definition_with(const int16_t *c, size_t n_sections, int32_t post_shift, int feedback,
    int16_t *state, int16_t *values, size_t n) {
    const int64_t divisor = (int64_t)1 << (15 - post_shift);
    for (size_t i = 0; i < n; i++) {
        int64_t x = values[i];
        for (size_t k = 0; k < n_sections; k++) {
            const int16_t *s = c + k * EML_IIR_Q15_VALUES;
            int16_t *st = state + k * EML_IIR_Q15_STATES;
            const int64_t acc = s[0] * x + s[2] * (int64_t)st[0] + s[3] * (int64_t)st[1]
                + s[4] * (int64_t)st[2] + s[5] * (int64_t)st[3] + (feedback ? st[4] : 0);
            int64_t y = acc / divisor;
            if (y * divisor != acc && acc < 0) {
                y -= 1;
            }
            st[4] = (int16_t)(acc - y * divisor);
            y = y > 32767 ? 32767 : y < -32768 ? -32768 : y;
            st[1] = st[0];
            st[0] = (int16_t)x;
            st[3] = st[2];
            st[2] = (int16_t)y;
            x = y;
        }
        values[i] = (int16_t)x;
    }
}

static void definition(const int16_t *c, size_t n_sections, int32_t post_shift,
    int16_t *state, int16_t *values, size_t n) {
    definition_with(c, n_sections, post_shift, 0, state, values, n);
}

static void test_checks(void) {
    const int16_t ok[12] = { 8192, 0, 0, 0, 0, 0, 8192, 0, 0, 0, 0, 0 };
    const int16_t scipy_order[6] = { 8192, 16384, 8192, 8192, 100, 50 };
    CHECK(eml_iir_q15_check(ok, 12, 2) == EML_OK, "two sections");
    CHECK(eml_iir_q15_check(ok, 0, 2) == EML_ERR_SIZE, "no values");
    CHECK(eml_iir_q15_check(ok, 5, 2) == EML_ERR_SIZE, "5 values");
    CHECK(eml_iir_q15_check(ok, 7, 2) == EML_ERR_SIZE, "7 values");
    CHECK(eml_iir_q15_check(ok, 6 * 65536, 2) == EML_ERR_SIZE, "65536 sections");
    CHECK(eml_iir_q15_check(ok, 6, 0) == EML_OK, "post_shift 0");
    CHECK(eml_iir_q15_check(ok, 6, 12) == EML_OK, "post_shift 12");
    CHECK(eml_iir_q15_check(ok, 6, 13) == EML_ERR_VALUE, "post_shift 13");
    CHECK(eml_iir_q15_check(ok, 6, -1) == EML_ERR_VALUE, "post_shift -1");
    CHECK(eml_iir_q15_check(scipy_order, 6, 2) == EML_ERR_VALUE, "nonzero padding");
    filter f;
    memset(&f, 0x55, sizeof(f));
    CHECK(setup(&f, scipy_order, 6, 2) == EML_ERR_VALUE, "init refuses too");
    CHECK(f.copy[0] == 0x5555 && f.state[0] == 0x5555, "a refused init writes nothing");
}

/* b0 = 1 at post_shift 2 passes the signal; b0 = 1/2 floors. */
static void test_hand_computed(void) {
    filter f;
    const int16_t pass[6] = { 8192, 0, 0, 0, 0, 0 };
    int16_t x[5] = { 0, 1, -1, 32767, -32768 };
    CHECK(setup(&f, pass, 6, 2) == EML_OK, "pass");
    eml_iir_q15_run(&f.f, x, 5);
    CHECK(x[0] == 0 && x[1] == 1 && x[2] == -1 && x[3] == 32767 && x[4] == -32768, "b0 = 1");

    const int16_t half[6] = { 16384, 0, 0, 0, 0, 0 };      /* 1/2 at post_shift 0 */
    int16_t h[6] = { 1, -1, 3, -3, 32767, -32768 };
    CHECK(setup(&f, half, 6, 0) == EML_OK, "half");
    eml_iir_q15_run(&f.f, h, 6);
    CHECK(h[0] == 0 && h[1] == -1 && h[2] == 1 && h[3] == -2 && h[4] == 16383 && h[5] == -16384,
        "halves floor");

    /* y[n] = x[n] + y[n-1] / 2 (a1 = +1/2 in CMSIS-DSP's sign), post_shift 1:
     * impulse 1000 -> 1000, 500, 250, 125, 62, 31 */
    const int16_t decay[6] = { 16384, 0, 0, 0, 8192, 0 };
    int16_t d[6] = { 1000, 0, 0, 0, 0, 0 };
    CHECK(setup(&f, decay, 6, 1) == EML_OK, "decay");
    eml_iir_q15_run(&f.f, d, 6);
    CHECK(d[0] == 1000 && d[1] == 500 && d[2] == 250 && d[3] == 125 && d[4] == 62 && d[5] == 31,
        "first-order decay");
    /* the state carries over, reset clears it */
    int16_t more[1] = { 0 };
    eml_iir_q15_run(&f.f, more, 1);
    CHECK(more[0] == 15, "state kept between calls");
    eml_iir_q15_reset(&f.f);
    more[0] = 0;
    eml_iir_q15_run(&f.f, more, 1);
    CHECK(more[0] == 0, "reset");
}

/* A resonant section driven full scale clips at the int16 limits and
 * does not wrap, on both sum widths. */
static void test_saturation(void) {
    /* b0 = 3.9, b1 = b2 = 2, a1 = 1.8, a2 = -0.9 at post_shift 2: sum |c| >= 65536, 64-bit sums */
    const int16_t loud[6] = { 31949, 0, 16384, 16384, 14746, -7373 };
    /* b0 = 1.9 (sum |c| < 65536): 32-bit sums */
    const int16_t quiet[6] = { 15565, 0, 0, 0, 14746, -7373 };
    const int16_t *sections[2] = { loud, quiet };
    for (int k = 0; k < 2; k++) {
        filter f;
        CHECK(setup(&f, sections[k], 6, 2) == EML_OK, "resonant");
        CHECK(f.copy[1] == (k == 0), "sum width chosen from the coefficients");
        int16_t x[40], ref[40], st[EML_IIR_Q15_STATES] = { 0 };
        for (int i = 0; i < 40; i++) {
            x[i] = ref[i] = i < 20 ? 32767 : -32768;
        }
        definition(sections[k], 1, 2, st, ref, 40);
        eml_iir_q15_run(&f.f, x, 40);
        CHECK(memcmp(x, ref, sizeof(x)) == 0, "saturating section matches the definition");
        CHECK(x[1] == 32767 && x[30] == -32768, "clips, no wrap");
    }
}

/* Random coefficients (both sum widths, every post_shift), random input,
 * random chunk sizes: the definition's outputs, bit for bit. */
static void test_random_against_definition(void) {
    unsigned seed = 7;
    int mismatches = 0, wide = 0, narrow = 0;
    for (int round = 0; round < 300; round++) {
        const size_t n_sections = 1 + check_rand(&seed) % MAX_SECTIONS;
        const int32_t post_shift = (int32_t)(check_rand(&seed) % (EML_IIR_Q15_MAX_POST_SHIFT + 1));
        /* half of the filters full range (mostly 64-bit sums), the others 16 .. 16384 */
        const int range = check_rand(&seed) % 2 ? 32768 : (int)(1u << (4 + check_rand(&seed) % 11));
        int16_t c[MAX_SECTIONS * EML_IIR_Q15_VALUES];
        for (size_t i = 0; i < n_sections * EML_IIR_Q15_VALUES; i++) {
            c[i] = i % EML_IIR_Q15_VALUES == 1 ? 0 : (int16_t)((int)(check_rand(&seed) % (2u * range)) - range);
        }
        const int feedback = round % 3 == 0;
        filter f;
        CHECK(setup_with(&f, c, n_sections * EML_IIR_Q15_VALUES, post_shift, feedback) == EML_OK, "random setup");
        for (size_t k = 0; k < n_sections; k++) {
            wide += f.copy[k * EML_IIR_Q15_VALUES + 1];
            narrow += !f.copy[k * EML_IIR_Q15_VALUES + 1];
        }
        int16_t x[200], ref[200], st[MAX_SECTIONS * EML_IIR_Q15_STATES] = { 0 };
        const int amplitude = (int)(1u << (check_rand(&seed) % 16));
        for (int i = 0; i < 200; i++) {
            x[i] = ref[i] = (int16_t)((int)(check_rand(&seed) % (2u * amplitude)) - amplitude);
        }
        definition_with(c, n_sections, post_shift, feedback, st, ref, 200);
        for (size_t pos = 0; pos < 200;) {
            size_t chunk = check_rand(&seed) % 40;
            chunk = chunk > 200 - pos ? 200 - pos : chunk;
            eml_iir_q15_run(&f.f, x + pos, chunk);
            pos += chunk;
        }
        mismatches += memcmp(x, ref, sizeof(x)) != 0;
    }
    CHECK(mismatches == 0, "random filters match the definition");
    CHECK(wide > 50 && narrow > 50, "both sum widths exercised");
}

/* y = x / 64 + 63/64 y[n-1] (post_shift 0), constant input 1000: the
 * floors settle CMSIS-DSP's arithmetic where the dropped part no longer
 * lifts y, at 937; with error feedback the output reaches 1000. */
static void test_error_feedback_removes_bias(void) {
    const int16_t lowpass[6] = { 512, 0, 0, 0, 32256, 0 };
    for (int feedback = 0; feedback < 2; feedback++) {
        filter f;
        CHECK(setup_with(&f, lowpass, 6, 0, feedback) == EML_OK, "lowpass");
        int16_t x[100];
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 100; i++) {
                x[i] = 1000;
            }
            eml_iir_q15_run(&f.f, x, 100);
        }
        CHECK(x[99] == (feedback ? 1000 : 937), "settled value");
        eml_iir_q15_reset(&f.f);
        CHECK(f.state[4] == 0, "reset clears the remainder");
    }
}

static void test_empty_call(void) {
    filter f;
    const int16_t decay[6] = { 16384, 0, 0, 0, 8192, 0 };
    int16_t x[2] = { 1000, 0 };
    CHECK(setup(&f, decay, 6, 1) == EML_OK, "setup");
    eml_iir_q15_run(&f.f, x, 1);
    eml_iir_q15_run(&f.f, x + 1, 0);
    eml_iir_q15_run(&f.f, x + 1, 1);
    CHECK(x[0] == 1000 && x[1] == 500, "an empty call changes nothing");
}

int main(void) {
    test_checks();
    test_hand_computed();
    test_saturation();
    test_random_against_definition();
    test_error_feedback_removes_bias();
    test_empty_call();
    return check_summary();
}
