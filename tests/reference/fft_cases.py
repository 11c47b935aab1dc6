"""Reference outputs for tests/micropython/test_fft.py, from numpy.fft.fft.

Writes fft_cases.bin (float32 data) and fft_cases.json (index) into the
folder given. For every length n = 1, 2, 4, ..., 512: a window of scipy's
bundled electrocardiogram (real data: an ECG recorded at 360 Hz, in mV) and
random complex values. Each case stores the float32 input (real, imag) and
numpy's float64 transform of it rounded to float32 (real, imag), with the
error the test allows.
"""
import json
import os
import sys
import warnings

import numpy as np
from scipy import fft as sfft

MAX_BITS = 9     # n up to 512: the file (33 kB) and the arrays fit the boards' heap


def electrocardiogram():
    """scipy's ECG (in scipy.misc until it moved to scipy.datasets, which
    downloads it; Debian's scipy 1.10 has it in both, offline in misc)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from scipy.misc import electrocardiogram as ecg
        return ecg()


def tolerance(x, ref):
    """What a float32 transform may be expected to miss by: 4 times the error
    of scipy's own single-precision FFT, and never below (log2(n) + 1)
    units of float32 rounding of the largest output."""
    n = len(x)
    single = sfft.fft(x.astype(np.complex64))
    assert single.dtype == np.complex64
    err32 = float(np.max(np.abs(single.astype(np.complex128) - ref)))
    floor = (np.log2(n) + 1) * 2.0 ** -24 * float(np.max(np.abs(ref)))
    return max(4 * err32, floor)


def cases():
    ecg = electrocardiogram().astype(np.float32)
    rng = np.random.default_rng(7)
    for bits in range(MAX_BITS + 1):
        n = 1 << bits
        start = 1000 * bits     # a different stretch of the recording for each length
        yield "ecg-%d" % n, ecg[start:start + n], np.zeros(n, dtype=np.float32)
        yield ("complex-%d" % n, rng.uniform(-1, 1, n).astype(np.float32),
               rng.uniform(-1, 1, n).astype(np.float32))


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    index, blob = [], bytearray()
    for name, re, im in cases():
        x = re.astype(np.float64) + 1j * im.astype(np.float64)
        ref = np.fft.fft(x)
        index.append({"name": name, "n": len(re), "offset": len(blob), "tol": tolerance(x, ref)})
        for part in (re, im, ref.real.astype(np.float32), ref.imag.astype(np.float32)):
            blob += part.tobytes()
    with open(os.path.join(outdir, "fft_cases.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(outdir, "fft_cases.json"), "w") as f:
        json.dump({"cases": index}, f)


if __name__ == "__main__":
    main(sys.argv[1])
