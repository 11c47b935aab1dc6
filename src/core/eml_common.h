/* Shared definitions for the portable C99 cores in src/core.
 *
 * The cores never allocate, keep no global state and report errors through
 * eml_status. They use fixed-width types and single-precision float only, so
 * they compile unchanged for FPU-less microcontrollers (soft float) and hosts.
 *
 * On soft-float targets every float operation in C is a libgcc function,
 * and a MicroPython native module links each one it calls into its .mpy
 * (a few hundred bytes apiece). The helpers below therefore test and
 * convert floats on their bit patterns with integer operations, so the
 * cores need no float compares (__aeabi_fcmp*, __eqsf2, ...), no
 * float -> int conversion (__aeabi_f2iz, __fixsfsi), no subtraction
 * (__subsf3, separate from the addition on Cortex-M0 and RISC-V) and, where
 * it is a separate function, no int -> float conversion (__floatsisf).
 */
#ifndef EML_COMMON_H
#define EML_COMMON_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    EML_OK = 0,
    EML_ERR_SIZE,       /* a length or count is wrong (zero, not a multiple, mismatched) */
    EML_ERR_VALUE,      /* a value is out of its allowed range, or not finite */
    EML_ERR_CAPACITY,   /* more than the caller-provided storage holds */
    EML_ERR_FORMAT,     /* malformed serialized data */
} eml_status;

/* Keep a function out of line: one copy shared by its callers, or a callee
 * kept from taking its caller's registers. */
#if defined(__GNUC__)
#define EML_NOINLINE __attribute__((noinline))
#else
#define EML_NOINLINE
#endif

/* Soft-float targets: every float operation is a library call there. */
#if defined(__SOFTFP__) || defined(__riscv_float_abi_soft)
#define EML_SOFT_FLOAT 1
#else
#define EML_SOFT_FLOAT 0
#endif

#define EML_ABS_MASK 0x7fffffffu
#define EML_SIGN_BIT 0x80000000u
#define EML_EXP_MASK 0x7f800000u

/* Type punning through a union is defined in C99 (TC3) and, unlike a
 * pointer cast, keeps strict aliasing intact. */
static inline uint32_t eml_float_bits(float f) {
    union { float f; uint32_t u; } v = { f };
    return v.u;
}

static inline float eml_bits_float(uint32_t u) {
    union { uint32_t u; float f; } v = { u };
    return v.f;
}

/* True when f is neither NaN nor infinite. Works on the bit pattern so it needs no libm. */
static inline int eml_isfinite(float f) {
    return (eml_float_bits(f) & EML_EXP_MASK) != EML_EXP_MASK;
}

/* True for +0 and -0 (same as f == 0.0f, without a float compare). */
static inline int eml_iszero(float f) {
    return (eml_float_bits(f) & EML_ABS_MASK) == 0;
}

/* An int32 that orders as f does, for every float but NaN (test it apart):
 * -0 and +0 both give 0, negative values flip their magnitude bits. Integer
 * compares of these keys replace float compares, each a libgcc call on
 * soft-float targets. (The conversion to int32 avoids the implementation-
 * defined cast of values above INT32_MAX.) */
static inline int32_t eml_float_key(float f) {
    uint32_t b = eml_float_bits(f);
    if (b == EML_SIGN_BIT) {
        b = 0;                  /* -0.0 */
    }
    b ^= (0u - (b >> 31)) >> 1;
    return b <= 0x7fffffffu ? (int32_t)b : -(int32_t)(~b) - 1;
}

/* -f, by flipping the sign bit. */
static inline float eml_neg(float f) {
    return eml_bits_float(eml_float_bits(f) ^ EML_SIGN_BIT);
}

/* a - b. On soft float it is computed as a + (-b), which IEEE 754 defines
 * to be the same, with the sign flipped on the bits so the compiler cannot
 * turn it back into a subtraction: the module then links only the addition
 * helper (on Cortex-M0 and RISC-V the subtraction is a separate one, of
 * about 800 bytes). */
static inline float eml_sub(float a, float b) {
#if EML_SOFT_FLOAT
    return a + eml_neg(b);
#else
    return a - b;
#endif
}

/* eml_float_to_int16 with integer operations on the bit pattern only. */
static inline int16_t eml_float_to_int16_bits(float f) {
    uint32_t u = eml_float_bits(f);
    uint32_t a = u & EML_ABS_MASK;
    if (a < 0x3f000000u) {                  /* |f| < 0.5, zero or subnormal: 0 */
        return 0;
    }
    int32_t r;
    if (a < 0x47000000u) {                  /* 0.5 <= |f| < 2^15 */
        /* |f| = m * 2^-shift with the 24-bit significand m; shift is 9..24.
         * Add just under one half, plus one when the lowest kept bit is
         * odd: a remainder of exactly one half then rounds to even. */
        uint32_t shift = 150u - (a >> 23);
        uint32_t m = (a & 0x007fffffu) | 0x00800000u;
        r = (int32_t)((m + (1u << (shift - 1)) - 1u + ((m >> shift) & 1u)) >> shift);
    } else if (a <= EML_EXP_MASK) {         /* |f| >= 2^15 or infinite: saturate */
        r = 0x8000;
    } else {                                /* NaN */
        return 0;
    }
    /* r <= 2^15 here; 2^15 is in range only when negative. */
    if ((int32_t)u < 0) {
        return (int16_t)-r;
    }
    return (int16_t)(r - (r >> 15));
}

/* Round to nearest (ties to even, like numpy.rint) and saturate to int16.
 * NaN maps to 0. Soft float uses the integer version above; with an FPU
 * the float compares and conversion are single instructions and smaller. */
static inline int16_t eml_float_to_int16(float f) {
#if EML_SOFT_FLOAT
    return eml_float_to_int16_bits(f);
#else
    if (f >= 32767.0f) {
        return 32767;
    }
    if (f <= -32768.0f) {
        return -32768;
    }
    if (f != f) {
        return 0;
    }
    /* Clamping first keeps |f| < 2^22, where adding and removing 1.5 * 2^23
     * rounds in the default rounding mode; without -ffast-math the compiler
     * may not fold the pair away. */
    float r = f + 12582912.0f;
    return (int16_t)(int32_t)(r - 12582912.0f);
#endif
}

/* Leading zeros of u > 0, without a libgcc __clzsi2 call where the target
 * has no CLZ instruction (Cortex-M0, RV32 without Zbb). EML_SOFT_CLZ forces
 * the loop, so the host tests check it too. */
static inline uint32_t eml_leading_zeros(uint32_t u) {
#if !defined(EML_SOFT_CLZ) && (defined(__x86_64__) || defined(__ARM_FEATURE_CLZ))
    return (uint32_t)__builtin_clz(u);
#else
    uint32_t n = 0;
    for (uint32_t s = 16; s != 0; s >>= 1) {
        if ((u >> (32 - s)) == 0) {
            u <<= s;
            n += s;
        }
    }
    return n;
#endif
}

/* A finite float's magnitude as significand times a power of two: returns
 * m (the implicit bit included, below 2^24) and sets *exponent to e, with
 * |f| = m * 2^e (subnormals: e = -149). */
static inline uint32_t eml_float_significand(uint32_t bits, int32_t *exponent) {
    const uint32_t field = (bits >> 23) & 0xffu;
    *exponent = (int32_t)(field ? field : 1u) - 150;
    return (bits & 0x007fffffu) | (field ? 0x00800000u : 0u);
}

/* The 24-bit significand of a float from v normalised to bit 31, rounded to
 * nearest, ties to even, by the dropped low byte (whose bit 0 may stand for
 * any lower bits, as a sticky bit): byte + (m & 1) + 0x7f carries into bit 8
 * exactly when byte > 0x80, or byte == 0x80 and m is odd. The result is in
 * [2^23, 2^24]; added to a float's exponent field less one, its top bit
 * completes the exponent, and a carry out of 24 bits makes it the next
 * power of two. */
static inline uint32_t eml_round_significand(uint32_t v) {
    const uint32_t m = v >> 8;
    return m + (((v & 0xffu) + (m & 1u) + 0x7fu) >> 8);
}

/* (float)x for x in the int16 range, exact, with integer operations:
 * normalise |x| and add the exponent. Written without __builtin_clz, which
 * needs a libgcc helper (and on RISC-V its 256-byte table) where there is
 * no CLZ instruction: four steps move the top bit to bit 15. */
static inline float eml_int16_to_float_bits(int32_t x) {
    uint32_t sign = x < 0 ? EML_SIGN_BIT : 0u;
    uint32_t m = x < 0 ? 0u - (uint32_t)x : (uint32_t)x;   /* 0..32768 */
    if (m == 0) {
        return 0.0f;
    }
    uint32_t e = 141u;      /* biased exponent of 2^15, minus one */
    if (m < 0x100u) {
        m <<= 8;
        e -= 8;
    }
    if (m < 0x1000u) {
        m <<= 4;
        e -= 4;
    }
    if (m < 0x4000u) {
        m <<= 2;
        e -= 2;
    }
    if (m < 0x8000u) {
        m <<= 1;
        e -= 1;
    }
    /* The leading bit lands on bit 23 and adds the missing one to e. */
    return eml_bits_float(sign | ((e << 23) + (m << 8)));
}

/* Whether eml_int16_to_float builds the float from the bits. Soft-float
 * Thumb-2 (Cortex-M3) is left to __aeabi_i2f: libgcc has it in the same
 * object as __aeabi_fadd, which every module links anyway, so the call is
 * the smaller choice there. Cortex-M0 and RISC-V have __floatsisf on its
 * own (150-200 bytes). */
#if EML_SOFT_FLOAT && !(defined(__arm__) && defined(__ARM_ARCH_ISA_THUMB) && __ARM_ARCH_ISA_THUMB >= 2)
#define EML_INT16_TO_FLOAT_BITS 1
#else
#define EML_INT16_TO_FLOAT_BITS 0
#endif

/* (float)x for x in the int16 range. */
static inline float eml_int16_to_float(int32_t x) {
#if EML_INT16_TO_FLOAT_BITS
    return eml_int16_to_float_bits(x);
#else
    return (float)x;
#endif
}

#endif /* EML_COMMON_H */
