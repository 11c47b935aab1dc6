/* The bit-pattern helpers of eml_common.h against float-arithmetic
 * references. The soft-float targets use the integer versions; the host
 * compiles the float ones, so both are tested here directly.
 *
 * eml_float_to_int16_bits is checked against the float definition of
 * eml_float_to_int16 (float compares, then rounding by adding and removing
 * 1.5 * 2^23, which rounds to nearest even in the default rounding mode,
 * then a truncating conversion), copied below, for every float32 bit
 * pattern of magnitude below 2^16, both signs (2.4e9 patterns, about 4 s
 * under the sanitizers), plus infinities, NaNs and a sweep of the large
 * values. eml_int16_to_float_bits is checked against (float)x for all
 * 65536 int16 values. The reference needs float evaluation without excess
 * precision (SSE). */
#include <float.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "eml_common.h"

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "the reference rounding needs float evaluation without excess precision (SSE)"
#endif

static inline float from_bits(uint32_t u) { union { uint32_t u; float f; } v; v.u = u; return v.f; }
static inline uint32_t to_bits(float f) { union { float f; uint32_t u; } v; v.f = f; return v.u; }

/* The float definition of eml_float_to_int16 (used with an FPU), kept
 * here so the reference does not depend on the header. Without
 * -ffast-math the compiler may not fold the add and subtract away. */
static inline int16_t ref_float_to_int16(float f) {
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

static unsigned long mismatches;

static void report(uint32_t u) {
    if (mismatches < 20) {
        printf("mismatch: %08x: got %d want %d\n", (unsigned)u,
               eml_float_to_int16_bits(from_bits(u)), ref_float_to_int16(from_bits(u)));
    }
    mismatches++;
}

static inline void check_one(uint32_t u) {
    float f = from_bits(u);
    if (eml_float_to_int16_bits(f) != ref_float_to_int16(f)) {
        report(u);
    }
}


/* A value through both definitions in the header. */
#define CHECK_BOTH(f, want, msg) do { \
        CHECK(eml_float_to_int16_bits(f) == (want), "float_to_int16_bits: " msg); \
        CHECK(eml_float_to_int16(f) == (want), "float_to_int16: " msg); \
    } while (0)

/* Run a batch and turn it into one CHECK, so the pass count stays readable. */
#define BATCH(msg, body) do { \
        unsigned long before_ = mismatches; \
        body; \
        CHECK(mismatches == before_, msg); \
    } while (0)

/* Every pattern in [lo, hi), both signs. This runs about 2.4e9 pairs, so
 * the hot loop only ORs the differences together, 64Ki patterns at a time,
 * and a block with a difference is rescanned for the report. */
static void check_range(uint32_t lo, uint32_t hi) {
    for (uint32_t block = lo; block < hi; ) {
        uint32_t end = hi - block > 0x10000u ? block + 0x10000u : hi;
        int diff = 0;
        for (uint32_t u = block; u < end; u++) {
            float p = from_bits(u);
            float n = from_bits(u | 0x80000000u);
            diff |= (eml_float_to_int16_bits(p) ^ ref_float_to_int16(p))
                  | (eml_float_to_int16_bits(n) ^ ref_float_to_int16(n));
        }
        if (diff != 0) {
            for (uint32_t u = block; u < end; u++) {
                check_one(u);
                check_one(u | 0x80000000u);
            }
        }
        block = end;
    }
}

int main(void) {
    /* Magnitude below 2^16 (0x47800000), in pieces for readable failures. */
    BATCH("float_to_int16: |f| < 0.5 (zeros, subnormals)", check_range(0x00000000u, 0x3f000000u));
    BATCH("float_to_int16: 0.5 <= |f| < 2^8", check_range(0x3f000000u, 0x43800000u));
    BATCH("float_to_int16: 2^8 <= |f| < 2^15", check_range(0x43800000u, 0x47000000u));
    BATCH("float_to_int16: 2^15 <= |f| < 2^16", check_range(0x47000000u, 0x47800000u));

    /* Specials: infinities, and NaNs with payloads at every bit position,
     * the lowest and highest payloads, quiet and signalling. */
    BATCH("float_to_int16: infinities and NaNs", {
        check_one(0x7f800000u);
        check_one(0xff800000u);
        for (int b = 0; b < 23; b++) {
            check_one(0x7f800000u | (1u << b));
            check_one(0xff800000u | (1u << b));
            check_one(0x7fffffffu ^ (1u << b));
            check_one(0xffffffffu ^ (1u << b));
        }
        check_one(0x7fc00000u);
        check_one(0xffc00000u);
        check_one(0x7fffffffu);
        check_one(0xffffffffu);
    });
    CHECK_BOTH(from_bits(0x7fc00000u), 0, "quiet NaN is 0");
    CHECK_BOTH(from_bits(0xff800001u), 0, "negative signalling NaN is 0");

    /* Large magnitudes, 2^16 up to the NaNs: an odd stride visits every
     * exponent with varied significands, plus both ends of each binade. */
    BATCH("float_to_int16: large values", {
        for (uint32_t u = 0x47800000u; u < 0x7f800000u; u += 4099u) {
            check_one(u);
            check_one(u | 0x80000000u);
        }
        for (uint32_t e = 0x8fu; e < 0xffu; e++) {
            check_one(e << 23);
            check_one((e << 23) | 0x80000000u);
            check_one((e << 23) | 0x007fffffu);
            check_one((e << 23) | 0x807fffffu);
        }
        check_one(0x7f7fffffu);
        check_one(0xff7fffffu);
    });

    /* A few values spelled out, so a wrong reference would also show. */
    CHECK_BOTH(0.5f, 0, "0.5 rounds to 0");
    CHECK_BOTH(1.5f, 2, "1.5 rounds to 2");
    CHECK_BOTH(2.5f, 2, "2.5 rounds to 2");
    CHECK_BOTH(-2.5f, -2, "-2.5 rounds to -2");
    CHECK_BOTH(-0.0f, 0, "-0 is 0");
    CHECK_BOTH(32766.5f, 32766, "32766.5 rounds to 32766");
    CHECK_BOTH(32767.5f, 32767, "32767.5 saturates to 32767");
    CHECK_BOTH(-32767.5f, -32768, "-32767.5 rounds to -32768");
    CHECK_BOTH(-32768.5f, -32768, "-32768.5 saturates to -32768");
    CHECK_BOTH(1e30f, 32767, "1e30 saturates to 32767");
    CHECK_BOTH(-1e30f, -32768, "-1e30 saturates to -32768");

    /* int16 -> float from the bits, every int16 value. */
    BATCH("int16_to_float_bits: every int16", {
        for (int32_t x = -32768; x <= 32767; x++) {
            volatile float want = (float)x;
            uint32_t got = to_bits(eml_int16_to_float_bits(x));
            if (got != to_bits(want)) {
                if (mismatches < 20) {
                    printf("mismatch: int16_to_float_bits(%d): got %08x want %08x\n",
                           (int)x, (unsigned)got, (unsigned)to_bits(want));
                }
                mismatches++;
            }
            if (to_bits(eml_int16_to_float(x)) != to_bits(want)) {
                mismatches++;
            }
        }
    });

    /* The small predicates. */
    CHECK(eml_iszero(0.0f) && eml_iszero(-0.0f), "iszero: both zeros");
    CHECK(!eml_iszero(from_bits(1u)) && !eml_iszero(from_bits(0x80000001u)), "iszero: subnormals are not zero");
    CHECK(!eml_iszero(from_bits(0x7fc00000u)), "iszero: NaN is not zero");
    CHECK(to_bits(eml_neg(1.0f)) == to_bits(-1.0f) && to_bits(eml_neg(-0.0f)) == 0u, "neg flips the sign");
    BATCH("a + neg(b) == a - b, bit for bit", {
        unsigned seed = 12345u;
        for (int i = 0; i < 1000000; i++) {
            uint32_t ua = check_rand(&seed);
            uint32_t ub = i & 1 ? check_rand(&seed) : ua ^ (check_rand(&seed) & 0x807fffffu);
            float a = from_bits(ua);
            float b = from_bits(ub);
            volatile float want = a - b;
            volatile float got = a + eml_neg(b);
            volatile float sub = eml_sub(a, b);
            uint32_t w = to_bits(want);
            uint32_t g = to_bits(got);
            int nan = (w & 0x7fffffffu) > 0x7f800000u;
            if (nan ? (g & 0x7fffffffu) <= 0x7f800000u : g != w) {
                mismatches++;
            }
            if (!nan && to_bits(sub) != w) {
                mismatches++;
            }
        }
    });
    return check_summary();
}
