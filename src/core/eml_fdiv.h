/* Correctly rounded IEEE-754 single-precision division in integer arithmetic.
 *
 * Why this exists: MicroPython's native-module linker (mpy_ld) cannot link
 * libgcc's Cortex-M0 (armv6m) soft-float division (divsf3.o), because that
 * object carries absolute relocations into a .rodata jump table, which mpy_ld
 * rejects ("Absolute relocations not supported on ARM"). Building eml_fdiv.c
 * with -DEML_FDIV_AEABI additionally defines __aeabi_fdiv, so armv6m native
 * modules get float division from here instead of from libgcc.
 */
#ifndef EML_FDIV_H
#define EML_FDIV_H

/* a / b, rounded to nearest, ties to even, with gradual underflow; same bit
 * pattern as IEEE-754 hardware division for every non-NaN result. Overflow
 * gives +-inf, x/0 gives +-inf (x != 0), x/inf gives +-0, 0/0 and inf/inf
 * give the default quiet NaN, and a NaN input is returned quieted. Uses no
 * float operations, no tables and no libm. */
float eml_fdiv(float a, float b);

#endif /* EML_FDIV_H */
