/* Fast Fourier transform of complex float data, in place.
 *
 * The forward transform X[k] = sum_j x[j] exp(-2 pi i j k / n), unscaled, as
 * numpy.fft.fft and scipy.fft.fft compute it, for n a power of two from 1 to
 * EML_FFT_MAX_LENGTH: radix-2, decimation in time. The real and imaginary
 * parts are separate arrays (emlearn's layout).
 *
 * The twiddle factors come from two caller-owned tables of n / 2 floats,
 * sin_table[k] = sin(2 pi k / n) and cos_table[k] = cos(2 pi k / n), which
 * eml_fft_fill computes (in integers, the same on every target, within 0.6
 * units in the last place) or the caller provides. The butterflies whose
 * twiddle is 1 or -i (the first two stages, and the first and middle
 * butterfly of every later one) are computed without multiplying. An input
 * of 8 or more values whose imaginary parts are all zero (a real signal)
 * is transformed as n / 2 complex values x[2j] + i x[2j+1], then split into
 * the n outputs, exactly conjugate symmetric: about a third less work.
 *
 * With an FPU the transform runs in float. Without one (EML_SOFT_FLOAT:
 * Cortex-M0/M3, RV32) it runs in 32-bit integers sharing one exponent, in
 * the arrays' own memory (see eml_fft.c), as accurate as float; there an
 * infinite or NaN input makes every output NaN, and outputs below the
 * normal float range come out as zero.
 */
#ifndef EML_FFT_H
#define EML_FFT_H

#include "eml_common.h"

#define EML_FFT_MAX_LENGTH 8388608u     /* 2^23: angles are reduced exactly up to it */

/* EML_OK when n is a power of two from 1 to EML_FFT_MAX_LENGTH,
 * EML_ERR_SIZE otherwise. */
eml_status eml_fft_check_length(size_t n);

/* The twiddle tables of an n-point transform: n / 2 floats each.
 * EML_ERR_SIZE (tables untouched) when n is not a valid length. */
eml_status eml_fft_fill(float *sin_table, float *cos_table, size_t n);

/* Forward transform of the n complex values (real[j], imag[j]) in place,
 * with the tables of an n-point transform. The arrays must not overlap.
 * EML_ERR_SIZE (data untouched) when n is not a valid length. */
eml_status eml_fft_forward(const float *sin_table, const float *cos_table,
    float *real, float *imag, size_t n);

#endif /* EML_FFT_H */
