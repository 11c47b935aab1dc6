/* Sums of float products in a 64-bit fixed-point accumulator, for chips
 * without a floating-point unit.
 *
 * There every float multiplication and addition is a library call of about
 * 40 to 100 instructions. A dot product needs neither: each product of two
 * float32 significands (24 bits each) is taken as an integer, its top 32
 * bits shifted to the accumulator's exponent and added to a 64-bit sum, and
 * the sum is rounded to float once at the end: about 40 instructions per
 * term on Cortex-M3 (39 in emlearn_linreg's predict), where a float
 * multiply-add takes about 100.
 *
 * The result is also closer to the exact sum than a float loop's: every
 * product keeps 32 bits relative to the largest product so far (float
 * keeps 24 relative to each partial sum), and nothing is rounded until the
 * end. NaN and infinite operands are not handled here: eml_wide_special()
 * tells, and the caller computes that sum with float arithmetic instead.
 *
 *     eml_wide acc = eml_wide_start();
 *     for (...) eml_wide_add(&acc, a[i], b[i]);
 *     float sum = eml_wide_special(&acc) ? float_loop() : eml_wide_float(&acc);
 */
#ifndef EML_WIDE_SUM_H
#define EML_WIDE_SUM_H

#include "eml_common.h"

typedef struct {
    int64_t sum;        /* the value is sum * 2^(exponent - 284) */
    int32_t exponent;   /* the sum of the products' exponent fields, at most 508 */
    int32_t special;    /* a NaN or infinite operand was seen */
} eml_wide;

/* Below every product's exponent: the first product sets it. */
#define EML_WIDE_EMPTY (-64)

static inline eml_wide eml_wide_start(void) {
    eml_wide acc = { 0, EML_WIDE_EMPTY, 0 };
    return acc;
}

/* The top 32 bits of the 48-bit product of two 24-bit significands. */
static inline uint32_t eml_wide_product(uint32_t a, uint32_t b) {
#if defined(__ARM_ARCH_6M__) || defined(EML_WIDE_MUL16)
    /* Cortex-M0 has no 32 x 32 -> 64 multiply (GCC would call __aeabi_lmul):
     * 16-bit halves, a = ah 2^16 + al, ah < 2^8. The middle terms are
     * < 2^25 each and the total below 2^32: exactly the top bits, as the
     * low product's bits below 2^16 are all that is dropped. (EML_WIDE_MUL16:
     * the same on a host, for the tests.) */
    const uint32_t ah = a >> 16, al = a & 0xffffu, bh = b >> 16, bl = b & 0xffffu;
    return ((ah * bh) << 16) + ah * bl + al * bh + ((al * bl) >> 16);
#elif defined(__riscv) && defined(__riscv_mul) && __riscv_xlen == 32
    /* RV32M: the high word by MULHU (at -Os GCC calls __muldi3 instead) */
    uint32_t high;
    __asm__("mulhu %0, %1, %2" : "=r"(high) : "r"(a), "r"(b));
    return (high << 16) | ((a * b) >> 16);
#else
    return (uint32_t)(((uint64_t)a * b) >> 16);
#endif
}

/* Shift the sum right by k > 0, toward minus infinity (GCC's >> of a
 * negative int64 is arithmetic). */
static inline int64_t eml_wide_shift(int64_t sum, int32_t k) {
    return k >= 63 ? (sum < 0 ? -1 : 0) : sum >> k;
}

/* The general case: any operands, any exponent (eml_wide_add_bits takes
 * the common one). */
static EML_NOINLINE void eml_wide_add_rare(eml_wide *acc, uint32_t ua, uint32_t ub) {
    const uint32_t ea = (ua >> 23) & 0xffu;
    const uint32_t eb = (ub >> 23) & 0xffu;
    if (ea == 0xffu || eb == 0xffu) {
        acc->special = 1;
        return;
    }
    uint32_t ma = (ua & 0x007fffffu) | (ea ? 0x00800000u : 0u);
    uint32_t mb = (ub & 0x007fffffu) | (eb ? 0x00800000u : 0u);
    if (ma == 0 || mb == 0) {
        return;     /* a zero */
    }
    /* Subnormals: exponent field 1 without the implicit bit. Normalise the
     * significands into 24 bits (the product keeps its top 32 bits) by
     * lowering the exponent, which may go below 1 here. */
    int32_t e = (int32_t)(ea ? ea : 1u) + (int32_t)(eb ? eb : 1u);
    while (ma < 0x00800000u) {
        ma <<= 1;
        e--;
    }
    while (mb < 0x00800000u) {
        mb <<= 1;
        e--;
    }
    int32_t d = acc->exponent - e;
    if (d < 0) {
        /* larger than every product so far: move the sum to its exponent */
        acc->sum = eml_wide_shift(acc->sum, -d);
        acc->exponent = e;
        d = 0;
    }
    const uint32_t m = eml_wide_product(ma, mb);
    const int64_t term = d < 32 ? (int64_t)(m >> d) : 0;
    acc->sum += (int32_t)(ua ^ ub) < 0 ? -term : term;
}

/* acc += a * b, for the bit patterns of a and b. Out of line (one copy,
 * called from every loop) and a leaf in the common case: normal operands
 * whose product is no larger than the largest so far. */
static EML_NOINLINE void eml_wide_add_bits(eml_wide *acc, uint32_t ua, uint32_t ub) {
    const uint32_t ea = (ua >> 23) & 0xffu;
    const uint32_t eb = (ub >> 23) & 0xffu;
    const int32_t d = acc->exponent - (int32_t)(ea + eb);
    if (ea - 1u >= 254u || eb - 1u >= 254u || d < 0) {
        eml_wide_add_rare(acc, ua, ub);
        return;
    }
    const uint32_t m = eml_wide_product((ua & 0x007fffffu) | 0x00800000u, (ub & 0x007fffffu) | 0x00800000u);
    const int64_t term = d < 32 ? (int64_t)(m >> d) : 0;
    acc->sum += (int32_t)(ua ^ ub) < 0 ? -term : term;
}

static inline void eml_wide_add(eml_wide *acc, float a, float b) {
    eml_wide_add_bits(acc, eml_float_bits(a), eml_float_bits(b));
}

static inline int eml_wide_special(const eml_wide *acc) {
    return acc->special;
}

/* The sum, rounded to the nearest float (ties to even), +-inf past the
 * float range. */
static EML_NOINLINE float eml_wide_float(const eml_wide *acc) {
    const uint32_t sign = acc->sum < 0 ? EML_SIGN_BIT : 0u;
    uint64_t u = acc->sum < 0 ? 0u - (uint64_t)acc->sum : (uint64_t)acc->sum;
    if (u == 0) {
        return 0.0f;
    }
    /* normalise: the top bit to bit 63 */
    int32_t lz = 0;
    if ((u >> 32) == 0) {
        u <<= 32;
        lz = 32;
    }
    const uint32_t top_zeros = eml_leading_zeros((uint32_t)(u >> 32));
    u <<= top_zeros;
    lz += (int32_t)top_zeros;
    /* the value is (u / 2^63) 2^(exponent - 284 + 63 - lz): the float's
     * exponent field is that power plus 127 */
    int32_t field = acc->exponent - 94 - lz;
    /* the top 32 bits, the rest as a sticky bit 0 (the rounding looks at
     * the low byte only as above, at, or below one half) */
    uint32_t v = (uint32_t)(u >> 32) | ((uint32_t)u != 0);
    if (field < 1) {
        /* subnormal: denormalise, keeping the sticky bit */
        const int32_t k = 1 - field;
        v = k > 31 ? (v != 0) : (v >> k) | ((v & ((1u << k) - 1u)) != 0);
        field = 1;
    }
    if (field >= 255) {
        return eml_bits_float(sign | EML_EXP_MASK);
    }
    /* significand in [2^23, 2^24] (below 2^23 for subnormals): added to the
     * field less one, a carry out of 24 bits makes the next power of two */
    uint32_t bits = ((uint32_t)(field - 1) << 23) + eml_round_significand(v);
    if (bits >= EML_EXP_MASK) {
        bits = EML_EXP_MASK;
    }
    return eml_bits_float(sign | bits);
}

#endif /* EML_WIDE_SUM_H */
