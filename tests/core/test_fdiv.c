/* eml_fdiv against the host's hardware division, bit for bit.
 *
 * x86-64 SSE division is correctly rounded (nearest, ties to even, gradual
 * underflow), so it is the reference. Build with -ffp-contract=off; the
 * FLT_EVAL_METHOD check below rejects x87-style excess precision, and the
 * reference goes through a volatile float so it is rounded to float. */
#include <float.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "eml_fdiv.h"

#if !defined(FLT_EVAL_METHOD) || FLT_EVAL_METHOD != 0
#error "reference division needs float evaluation without excess precision (SSE)"
#endif

static float from_bits(uint32_t u) { union { uint32_t u; float f; } v; v.u = u; return v.f; }
static uint32_t to_bits(float f) { union { float f; uint32_t u; } v; v.f = f; return v.u; }
static int is_nan_bits(uint32_t u) { return (u & 0x7fffffffu) > 0x7f800000u; }

static unsigned long mismatches;

/* One comparison; only the first few failures are printed in detail, but
 * every pair counts. NaN results are compared by NaN-ness only, plus: our
 * NaN must be quiet. */
static void check_pair(uint32_t ua, uint32_t ub)
{
    volatile float ref = from_bits(ua) / from_bits(ub);
    uint32_t want = to_bits(ref);
    uint32_t got = to_bits(eml_fdiv(from_bits(ua), from_bits(ub)));
    int ok;
    if (is_nan_bits(want)) {
        ok = is_nan_bits(got) && (got & 0x00400000u) != 0;
    } else {
        ok = got == want;
    }
    if (!ok) {
        if (mismatches < 20) {
            printf("mismatch: %08x / %08x: got %08x want %08x\n",
                   (unsigned)ua, (unsigned)ub, (unsigned)got, (unsigned)want);
        }
        mismatches++;
    }
}

/* Run a batch and turn it into one CHECK, so the pass count stays readable. */
#define BATCH(msg, body) do { \
        unsigned long before_ = mismatches; \
        body; \
        CHECK(mismatches == before_, msg); \
    } while (0)

static const uint32_t specials[] = {
    0x00000000u, /* 0 */
    0x7f800000u, /* inf */
    0x7fc00000u, /* quiet NaN */
    0x7f800001u, /* signalling NaN */
    0x7fffffffu, /* NaN, all payload bits */
    0x00800000u, /* FLT_MIN */
    0x7f7fffffu, /* FLT_MAX */
    0x00000001u, /* smallest subnormal */
    0x007fffffu, /* largest subnormal */
    0x00400000u, /* 2^-127 */
    0x00000002u,
    0x00000003u,
    0x3f800000u, /* 1 */
    0x3f800001u, /* 1 + ulp */
    0x3f7fffffu, /* 1 - ulp/2 */
    0x3fc00000u, /* 1.5 */
    0x40000000u, /* 2 */
    0x40400000u, /* 3 */
    0x3f000000u, /* 0.5 */
    0x40a00000u, /* 5 */
    0x41200000u, /* 10 */
    0x00800001u, /* FLT_MIN + ulp */
    0x00ffffffu, /* just below 2^-125 */
    0x01000000u, /* 2^-125 */
    0x7e800000u, /* 2^126 */
    0x7effffffu,
    0x7f000000u, /* 2^127 */
    0x3e800000u, /* 2^-2 */
    0x40800000u, /* 2^2 */
    0x0c000000u, /* 2^-103 */
    0x72800000u, /* 2^102 */
    0x34000000u, /* 2^-23 */
    0x4b000000u, /* 2^23 */
    0x4b7fffffu,
    0x3faaaaabu, /* 4/3 */
};

int main(void)
{
    const size_t ns = sizeof specials / sizeof specials[0];
    size_t i;
    size_t j;
    uint32_t k;

    /* Named cases, so a failure says what broke. */
    CHECK(to_bits(eml_fdiv(1.0f, 0.0f)) == 0x7f800000u, "1/+0 = +inf");
    CHECK(to_bits(eml_fdiv(1.0f, -0.0f)) == 0xff800000u, "1/-0 = -inf");
    CHECK(to_bits(eml_fdiv(-0.0f, 3.0f)) == 0x80000000u, "-0/3 = -0");
    CHECK(to_bits(eml_fdiv(-0.0f, -3.0f)) == 0x00000000u, "-0/-3 = +0");
    CHECK(to_bits(eml_fdiv(-1.0f, from_bits(0x7f800000u))) == 0x80000000u, "-1/inf = -0");
    CHECK(is_nan_bits(to_bits(eml_fdiv(0.0f, 0.0f))), "0/0 = NaN");
    CHECK(is_nan_bits(to_bits(eml_fdiv(from_bits(0x7f800000u), from_bits(0xff800000u)))),
          "inf/-inf = NaN");
    CHECK(to_bits(eml_fdiv(from_bits(0x7f800001u), 1.0f)) == 0x7fc00001u,
          "signalling NaN input is returned quieted");
    CHECK(to_bits(eml_fdiv(1.0f, from_bits(0xff800123u))) == 0xffc00123u,
          "NaN divisor is returned quieted");
    CHECK(to_bits(eml_fdiv(FLT_MAX, 0.5f)) == 0x7f800000u, "FLT_MAX/0.5 overflows to inf");
    CHECK(to_bits(eml_fdiv(from_bits(0x00000001u), 2.0f)) == 0u,
          "min subnormal / 2 is a tie, rounds to even 0");
    CHECK(to_bits(eml_fdiv(from_bits(0x00000003u), 2.0f)) == 2u,
          "3 * 2^-149 / 2 is a tie, rounds to even 2 * 2^-149");
    CHECK(to_bits(eml_fdiv(from_bits(0x00ffffffu), 2.0f)) == 0x00800000u,
          "rounds up from largest subnormal into FLT_MIN");
    CHECK(to_bits(eml_fdiv(1.0f, 3.0f)) == 0x3eaaaaabu, "1/3");

    /* Every special against every special, with all four sign combinations. */
    BATCH("special x special", {
        for (i = 0; i < ns; i++) {
            for (j = 0; j < ns; j++) {
                check_pair(specials[i], specials[j]);
                check_pair(specials[i] | 0x80000000u, specials[j]);
                check_pair(specials[i], specials[j] | 0x80000000u);
                check_pair(specials[i] | 0x80000000u, specials[j] | 0x80000000u);
            }
        }
    });

    /* Exhaustive over the dividend mantissa for a few divisors. The dividend
     * exponent varies with the divisor so the sweeps land in the normal range,
     * on the subnormal range, and right at the normal/subnormal boundary. */
    BATCH("all mantissas / 3", {
        for (k = 0; k < 0x800000u; k++) check_pair(0x3f800000u | k, 0x40400000u);
    });
    BATCH("all mantissas / (1 + ulp)", {
        for (k = 0; k < 0x800000u; k++) check_pair(0x3f800000u | k, 0x3f800001u);
    });
    BATCH("all subnormals / 1.1", {
        for (k = 0; k < 0x800000u; k++) check_pair(k, 0x3f8ccccdu);
    });
    BATCH("all mantissas near 2^-126 / (1 + ulp)", {
        for (k = 0; k < 0x800000u; k++) check_pair(0x00800000u | k, 0x3f800001u);
    });

    /* Random bit patterns: the full 32-bit space, which is dominated by
     * overflow/underflow and far-apart exponents ... */
    {
        unsigned s = 0x12345678u;
        BATCH("random bit patterns", {
            for (k = 0; k < 20000000u; k++) {
                uint32_t a = check_rand(&s);
                uint32_t b = check_rand(&s);
                check_pair(a, b);
            }
        });
        /* ... so also random mantissas with exponents near each other, and
         * quotients near the overflow and gradual-underflow limits. */
        BATCH("random, close exponents and range edges", {
            for (k = 0; k < 3000000u; k++) {
                uint32_t a = check_rand(&s);
                uint32_t b = check_rand(&s);
                uint32_t r = check_rand(&s);
                uint32_t eb = (b >> 23) & 0xffu;
                int32_t ea;
                int32_t pick = (int32_t)(r % 3u);
                int32_t off = (int32_t)((r >> 8) % 64u) - 32;
                if (pick == 0) {
                    ea = (int32_t)eb + off / 8;           /* quotient near 1 */
                } else if (pick == 1) {
                    ea = (int32_t)eb - 127 + off;         /* near subnormal range */
                } else {
                    ea = (int32_t)eb + 127 + off / 4;     /* near overflow */
                }
                if (ea < 0 || ea > 254) continue;
                a = (a & 0x807fffffu) | ((uint32_t)ea << 23);
                check_pair(a, b);
            }
        });
    }

    if (mismatches != 0) {
        printf("%lu mismatching pairs\n", mismatches);
    }
    return check_summary();
}
