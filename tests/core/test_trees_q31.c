/* The soft-float conversion of eml_trees' vote accumulators, from_q31(u) =
 * u * 2^-31 rounded to the nearest float32, ties to even, against the host's
 * own rounding of the exact double u * 2^-31. It is a static function, so
 * this file includes the core source; the Makefile builds it with
 * -DEML_TREES_INTEGER_VOTES (the path FPU-less targets take) and once more
 * with -DEML_SOFT_CLZ (their leading-zero loop, for chips without CLZ).
 *
 * Cases: every u below 2^16 and near every power of two, and for every
 * normalising shift the dropped bits around the halfway point (ties with an
 * even and an odd kept bit, the carry out of 24 bits), plus random values. */
#include <string.h>

#include "check.h"
#include "eml_trees.c"

static uint32_t bits(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static int failures_shown;

/* 1 when from_q31(u) is the correctly rounded float. */
static int agrees(uint32_t u) {
    const float want = (float)((double)u * 0x1p-31);
    const float got = from_q31(u);
    if (bits(got) == bits(want)) {
        return 1;
    }
    if (failures_shown++ < 5) {
        printf("from_q31(0x%08x) = %a, want %a\n", (unsigned)u, (double)got, (double)want);
    }
    return 0;
}

int main(void) {
    int ok = 1;
    for (uint32_t u = 0; u < 0x10000u; u++) {
        ok &= agrees(u);
    }
    CHECK(ok, "every u < 2^16 (exact)");

    ok = 1;
    for (uint32_t top = 16; top <= 31; top++) {
        const uint32_t p = 1u << top;
        for (uint32_t d = 0; d < 512; d++) {
            ok &= agrees(p + d);
            ok &= agrees(p - 1 - d);
        }
    }
    ok &= agrees(0x80000000u);
    CHECK(ok, "around every power of two, up to 2^31 (1.0)");

    /* u with its top bit at `top` > 23 drops top - 23 bits: try the
     * dropped part at half - 1, half and half + 1 with either kept parity,
     * and with the kept bits all ones (rounding up carries into the
     * exponent). */
    ok = 1;
    for (uint32_t top = 24; top <= 30; top++) {
        const uint32_t drop = top - 23;
        const uint32_t half = 1u << (drop - 1);
        const uint32_t kept[] = { 0x800000u, 0x800001u, 0xabcdeeu, 0xabcdefu, 0xfffffeu, 0xffffffu };
        for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
            const uint32_t base = kept[i] << drop;
            ok &= agrees(base + half - 1) & agrees(base + half) & agrees(base + half + 1);
            ok &= agrees(base) & agrees(base + (half << 1) - 1);
        }
    }
    CHECK(ok, "ties to even and carries, every dropped width 1..7");

    ok = 1;
    unsigned state = 12345u;
    for (int i = 0; i < 200000; i++) {
        ok &= agrees(check_rand(&state) >> (check_rand(&state) & 31u));
    }
    CHECK(ok, "200000 random values of every magnitude");
    return check_summary();
}
