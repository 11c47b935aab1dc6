/* Forced into every translation unit of an armv6m native module (natmod.mk).
 *
 * libgcc's Cortex-M0 float division (divsf3.o) has absolute relocations that
 * mpy_ld cannot link, and mpy_ld pulls it from libgcc for any object with an
 * undefined __aeabi_fdiv, even when another object defines it. A static
 * definition in each translation unit resolves the compiler's helper calls
 * locally, so no object asks libgcc for it; it forwards to eml_fdiv
 * (src/core/eml_fdiv.c), a correctly rounded integer-only division.
 */
#ifndef ARMV6M_FDIV_H
#define ARMV6M_FDIV_H
float eml_fdiv(float a, float b);
__attribute__((used, unused)) static float __aeabi_fdiv(float a, float b) {
    return eml_fdiv(a, b);
}
#endif
