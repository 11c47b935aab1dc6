/* Correctly rounded single-precision division using only 32-bit integer
 * arithmetic. See eml_fdiv.h for why it exists.
 *
 * Constraints, all for the armv6m native-module build (see header):
 * - no float operations, or the compiler would call the very __aeabi_fdiv
 *   (and friends) this file replaces;
 * - no lookup tables and no switch statements: either can end up in .rodata
 *   and be reached through absolute (R_ARM_ABS32) relocations, which mpy_ld
 *   cannot handle. Plain if/else chains and loops compile to PC-relative
 *   branches only;
 * - no __builtin_clz: on Cortex-M0 it becomes a libgcc call (__clzsi2).
 */
#include <stdint.h>

#include "eml_fdiv.h"

#define EML_FDIV_SIGN  0x80000000u
#define EML_FDIV_EXP   0x7f800000u   /* also the bit pattern of +inf */
#define EML_FDIV_FRAC  0x007fffffu
#define EML_FDIV_HID   0x00800000u   /* implicit leading mantissa bit */
#define EML_FDIV_QUIET 0x00400000u   /* quiet bit of a NaN */
#define EML_FDIV_QNAN  0x7fc00000u   /* default quiet NaN (as x86 and ARM VFP) */

/* Type punning through a union is well defined in C99 (TC3, 6.5.2.3 note) and
 * costs nothing: with -mfloat-abi=soft the float already sits in a core
 * register. */
typedef union {
    float f;
    uint32_t u;
} eml_fdiv_bits;

static float eml_fdiv_from_bits(uint32_t u)
{
    eml_fdiv_bits v;
    v.u = u;
    return v.f;
}

/* Unpack a finite nonzero operand into a 24-bit mantissa with bit 23 set and
 * an exponent such that value = m * 2^(e - 127 - 23). Subnormals are shifted
 * up one bit at a time (at most 23 steps) so that the division below only
 * ever sees normalised mantissas; a loop is used instead of clz for the
 * reason given at the top of the file. */
static uint32_t eml_fdiv_unpack(uint32_t u, int32_t *e)
{
    uint32_t m = u & EML_FDIV_FRAC;
    int32_t ex = (int32_t)((u & EML_FDIV_EXP) >> 23);
    if (ex == 0) {
        /* Subnormal: value = frac * 2^-149, i.e. exponent 1 without the
         * hidden bit. */
        ex = 1;
        while ((m & EML_FDIV_HID) == 0) {
            m <<= 1;
            ex -= 1;
        }
    } else {
        m |= EML_FDIV_HID;
    }
    *e = ex;
    return m;
}

float eml_fdiv(float a, float b)
{
    eml_fdiv_bits va;
    eml_fdiv_bits vb;
    va.f = a;
    vb.f = b;
    const uint32_t ua = va.u;
    const uint32_t ub = vb.u;
    const uint32_t sign = (ua ^ ub) & EML_FDIV_SIGN;
    const uint32_t aa = ua & ~EML_FDIV_SIGN;   /* |a| */
    const uint32_t ab = ub & ~EML_FDIV_SIGN;   /* |b| */

    /* Special operands. With the sign removed, NaN is > 0x7f800000, inf is
     * == 0x7f800000 and zero is == 0, so plain integer compares classify. */
    if (aa > EML_FDIV_EXP) {
        return eml_fdiv_from_bits(ua | EML_FDIV_QUIET);
    }
    if (ab > EML_FDIV_EXP) {
        return eml_fdiv_from_bits(ub | EML_FDIV_QUIET);
    }
    if (aa == EML_FDIV_EXP) {
        /* inf / inf is invalid; inf / finite keeps the infinity. */
        return eml_fdiv_from_bits(ab == EML_FDIV_EXP ? EML_FDIV_QNAN
                                                     : (sign | EML_FDIV_EXP));
    }
    if (ab == EML_FDIV_EXP) {
        return eml_fdiv_from_bits(sign);        /* finite / inf = signed 0 */
    }
    if (aa == 0) {
        /* 0 / 0 is invalid; 0 / nonzero is a signed zero. */
        return eml_fdiv_from_bits(ab == 0 ? EML_FDIV_QNAN : sign);
    }
    if (ab == 0) {
        return eml_fdiv_from_bits(sign | EML_FDIV_EXP); /* x / 0 = signed inf */
    }

    /* Both finite and nonzero. */
    int32_t ea;
    int32_t eb;
    uint32_t ma = eml_fdiv_unpack(aa, &ea);
    const uint32_t mb = eml_fdiv_unpack(ab, &eb);

    /* Biased exponent of the quotient if ma/mb lies in [1, 2). Range after
     * unpacking: ea, eb in [-22, 254], so e in [-149, 403]; no overflow. */
    int32_t e = ea - eb + 127;
    /* Make ma/mb land in [1, 2) so the quotient's leading bit is always in
     * the same place; ma < 2^25 afterwards. */
    if (ma < mb) {
        ma <<= 1;
        e -= 1;
    }

    /* Restoring long division: 26 quotient bits, i.e. the 24-bit result
     * mantissa plus two extra bits (guard and round), and a sticky bit from
     * the remainder. Invariant: r < 2 * mb < 2^25 before each step, so the
     * shift never overflows 32 bits, and r - mb, when negative, wraps to a
     * value with bit 31 set. That bit selects restore-or-keep without a
     * branch: the quotient bits are close to random, so a branch would be
     * mispredicted about half the time on a host, and branch-free code also
     * takes the same time for every operand on the M0. */
    uint32_t r = ma;
    uint32_t q = 0;
    int i;
    for (i = 0; i < 26; i++) {
        const uint32_t t = r - mb;
        const uint32_t neg = t >> 31;           /* 1 when r < mb */
        q = (q << 1) | (neg ^ 1u);
        r = (t + (mb & (0u - neg))) << 1;       /* restore if negative */
    }
    /* q is in [2^25, 2^26); the exact quotient is (q + frac) * 2^-25 with
     * frac in [0, 1) and frac != 0 exactly when r != 0. */
    const uint32_t sticky = (r != 0) ? 1u : 0u;

    if (e >= 255) {
        return eml_fdiv_from_bits(sign | EML_FDIV_EXP);  /* overflow */
    }

    /* Bits of q to discard: the 2 extra bits, plus for a subnormal result
     * (e <= 0) the 1 - e bits lost to the fixed minimum exponent. Beyond 26
     * the whole of q is below half an ulp of the smallest subnormal, so
     * clamping keeps the shift amounts in range without changing results. */
    uint32_t shift = 2;
    uint32_t base = 0;          /* exponent field, before any rounding carry */
    if (e <= 0) {
        int32_t extra = 1 - e;
        if (extra > 26) {
            extra = 26;
        }
        shift += (uint32_t)extra;
    } else {
        /* The mantissa below still carries its hidden bit (2^23), which adds
         * 1 to the exponent field; hence e - 1 here. */
        base = (uint32_t)(e - 1) << 23;
    }

    const uint32_t mant = q >> shift;
    const uint32_t rest = q & ((1u << shift) - 1u);
    const uint32_t half = 1u << (shift - 1u);
    /* Round to nearest, ties to even. Adding the increment to the packed
     * value lets a mantissa carry propagate into the exponent: a subnormal
     * rounds up into the smallest normal, and 0x7f7fffff + 1 becomes +inf. */
    uint32_t inc = 0;
    if (rest > half || (rest == half && (sticky | (mant & 1u)) != 0)) {
        inc = 1;
    }
    return eml_fdiv_from_bits(sign | (base + mant + inc));
}

#if defined(EML_FDIV_AEABI)
/* Run-time ABI helper for soft-float division (ARM RTABI). With
 * -mfloat-abi=soft, float arguments and results already travel in core
 * registers r0/r1 -> r0, exactly the helper calling convention, so a plain C
 * definition is the helper. Declared here so -Wmissing-prototypes stays quiet. */
float __aeabi_fdiv(float a, float b);
float __aeabi_fdiv(float a, float b)
{
    return eml_fdiv(a, b);
}
#endif
