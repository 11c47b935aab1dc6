"""Fixed-point IIR filters for emlearn_iir_q15: coefficients from scipy, and the
module's arithmetic in Python.

emlearn_iir_q15 runs cascades of second-order sections in 16-bit integers, with
CMSIS-DSP's q15 biquad arithmetic (direct form I). A section is 6 int16 values,
``b0, 0, b1, b2, a1, a2``: a value c stands for c * 2**post_shift / 32768, and the
a values have the opposite sign to scipy's. For each sample::

    acc  = b0 x[n] + b1 x[n-1] + b2 x[n-2] + a1 y[n-1] + a2 y[n-2]     (exact)
    y[n] = clip(floor(acc / 2**(15 - post_shift)), -32768, 32767)

With ``error_feedback=True`` (the module's option), acc also takes the remainder
of the section's previous division, acc[n-1] mod 2**(15 - post_shift).

Typical use, on the host::

    from scipy import signal
    from emlearn_mp import iir_q15
    sos = signal.butter(4, 5, btype="lowpass", fs=100, output="sos")
    coefficients, post_shift = iir_q15.sos_to_q15(sos)

and on the device ``emlearn_iir_q15.new(array.array('h', coefficients), post_shift)``.
``python3 -m emlearn_mp.iir_q15 butter 4 5 --fs 100`` prints that code.
"""
import argparse
from typing import List, Optional, Sequence, Tuple

import numpy as np
from scipy import signal

VALUES = 6              # int16 per section: b0, 0, b1, b2, a1, a2
MAX_POST_SHIFT = 12     # the module's (and CMSIS-DSP's safe) range: 0..12
DEFAULT_POST_SHIFT = 2  # emlearn-micropython's, and the module's default


def _as_sos(sos: object) -> np.ndarray:
    s = np.asarray(sos, dtype=np.float64)
    if s.ndim == 1:
        s = s.reshape(-1, 6)
    if s.ndim != 2 or s.shape[1] != 6 or s.shape[0] == 0:
        raise ValueError("sos must have 6 values per section (b0, b1, b2, a0, a1, a2)")
    if not np.all(np.isfinite(s)) or np.any(s[:, 3] == 0):
        raise ValueError("sos values must be finite, with a0 != 0")
    return s / s[:, 3:4]


def scale_sections(sos: object, n_frequencies: int = 4096) -> np.ndarray:
    """The same filter with its gain spread over the sections.

    scipy puts a filter's whole gain into the first section's numerator: for a
    narrow lowpass, tiny values that keep few bits in 16-bit integers, and
    later sections that amplify the first one's rounding errors. Here every
    section but the last gets the numerator scale that makes the peak gain of
    the cascade up to it equal 1 (over n_frequencies frequencies), and the
    last one restores the filter's total gain. In exact arithmetic the output
    is unchanged; in 16 bits it is usually far more precise (tenfold and more
    on narrow lowpass designs; see docs/emlearn_iir_q15.md), and no section
    but the last amplifies a sinusoid that fits int16 past full scale.
    """
    s = _as_sos(sos).copy()
    response = np.ones(n_frequencies, dtype=complex)
    moved = 1.0
    for k in range(len(s) - 1):
        _, h = signal.freqz(s[k, :3], s[k, 3:], worN=n_frequencies)
        response *= h
        peak = float(np.max(np.abs(response)))
        if peak == 0.0:
            continue
        s[k, :3] /= peak
        response /= peak
        moved *= peak
    s[-1, :3] *= moved
    return s


def _fits(values: np.ndarray, post_shift: int) -> bool:
    q = np.round(values * 2.0 ** (15 - post_shift))
    return bool(np.all((q >= -32768) & (q <= 32767)))


def sos_to_q15(sos: object, post_shift: Optional[int] = None, scale: bool = True) -> Tuple[List[int], int]:
    """scipy's second-order sections as emlearn_iir_q15 coefficients.

    Returns (coefficients, post_shift): 6 ints per section, each real value
    rounded to the nearest step of 2**post_shift / 32768. Sections with
    a0 != 1 are normalized first, and with scale (the default) the gain is
    spread over the sections (scale_sections). With post_shift None, the
    smallest post_shift (finest steps) whose range holds every value is
    chosen: post_shift p covers [-2**p, 2**p). Raises ValueError if a value
    does not fit.
    """
    s = scale_sections(sos) if scale else _as_sos(sos)
    values = np.stack([s[:, 0], np.zeros(len(s)), s[:, 1], s[:, 2], -s[:, 4], -s[:, 5]], axis=1)
    if post_shift is None:
        fitting = [p for p in range(MAX_POST_SHIFT + 1) if _fits(values, p)]
        if not fitting:
            raise ValueError("a coefficient's magnitude is 2**%d or more" % MAX_POST_SHIFT)
        post_shift = fitting[0]
    if not 0 <= post_shift <= MAX_POST_SHIFT:
        raise ValueError("post_shift must be 0 to %d" % MAX_POST_SHIFT)
    if not _fits(values, post_shift):
        raise ValueError("coefficients need |value| < %g at post_shift %d; largest is %g"
                         % (2.0 ** post_shift, post_shift, float(np.max(np.abs(values)))))
    q = np.round(values * 2.0 ** (15 - post_shift)).astype(np.int64)
    return [int(v) for v in q.reshape(-1)], post_shift


def emlearn_micropython_q15(sos: object) -> List[int]:
    """The coefficients emlearn-micropython's own helper
    (iir_filter.convert_coefficients) makes from sos: each value times 8191,
    truncated toward zero, for its module's fixed post_shift of 2. Its files
    and code work with emlearn_iir_q15 unchanged; sos_to_q15 is more exact
    (8192 is the scale of post_shift 2, and it rounds)."""
    s = np.asarray(sos, dtype=np.float64).reshape(-1, 6)
    out = []
    for b0, b1, b2, _a0, a1, a2 in s:
        out += [int(b0 * 8191), 0, int(b1 * 8191), int(b2 * 8191), int(-a1 * 8191), int(-a2 * 8191)]
    return out


def q15_to_sos(coefficients: Sequence[int], post_shift: int = DEFAULT_POST_SHIFT) -> np.ndarray:
    """The real-valued sos (scipy's layout) that the coefficients stand for."""
    c = np.asarray(coefficients, dtype=np.float64).reshape(-1, VALUES) * 2.0 ** (post_shift - 15)
    ones = np.ones(len(c))
    return np.stack([c[:, 0], c[:, 2], c[:, 3], ones, -c[:, 4], -c[:, 5]], axis=1)


def _check(coefficients: Sequence[int], post_shift: int) -> np.ndarray:
    c = np.asarray(coefficients, dtype=np.int64).reshape(-1)
    if len(c) == 0 or len(c) % VALUES or np.any(c < -32768) or np.any(c > 32767):
        raise ValueError("coefficients must be 6 int16 values per section")
    if np.any(c[1::VALUES] != 0):
        raise ValueError("the second value of every section must be 0 (b0, 0, b1, b2, a1, a2)")
    if not 0 <= post_shift <= MAX_POST_SHIFT:
        raise ValueError("post_shift must be 0 to %d" % MAX_POST_SHIFT)
    return c.reshape(-1, VALUES)


def sosfilt_q15(coefficients: Sequence[int], x: Sequence[int], post_shift: int = DEFAULT_POST_SHIFT,
                state: Optional[np.ndarray] = None, error_feedback: bool = False) -> np.ndarray:
    """What emlearn_iir_q15 outputs for the int16 samples x, bit for bit
    (for a filter made with the same error_feedback).

    state, if given, is an int64 array of shape (sections, 5) holding
    x[n-1], x[n-2], y[n-1], y[n-2] and the last remainder per section (zeros
    for a new filter); it is updated, so successive calls continue the
    signal as the module does.
    """
    c = _check(coefficients, post_shift)
    st = np.zeros((len(c), 5), dtype=np.int64) if state is None else state
    shift = 15 - post_shift
    y = [int(v) for v in np.asarray(x, dtype=np.int64)]
    if any(v < -32768 or v > 32767 for v in y):
        raise ValueError("samples must be int16")
    for k, (b0, _, b1, b2, a1, a2) in enumerate(c.tolist()):
        x1, x2, y1, y2, r = (int(v) for v in st[k])
        for i, xn in enumerate(y):
            acc = b0 * xn + b1 * x1 + b2 * x2 + a1 * y1 + a2 * y2 + (r if error_feedback else 0)
            out = acc >> shift      # floor
            r = acc - (out << shift)
            out = -32768 if out < -32768 else 32767 if out > 32767 else out
            x2, x1, y2, y1 = x1, xn, y1, out
            y[i] = out
        st[k] = (x1, x2, y1, y2, r)
    return np.array(y, dtype=np.int16)


def error_bound(coefficients: Sequence[int], post_shift: int, n: int, error_feedback: bool = False) -> float:
    """A bound on |sosfilt_q15(x) - scipy.signal.sosfilt(q15_to_sos(...), x)|
    over the first n samples of any input that never saturates.

    Each section's output is the exact value floored: an error e in (-1, 0]
    that goes through the section's own feedback and the sections after it
    (with error feedback, e[n] - e[n-1] instead of e[n]). The bound adds, over
    the sections, the L1 norm of that path's impulse response (its first n
    samples).
    """
    sos = q15_to_sos(coefficients, post_shift)
    bound = 0.0
    impulse = np.zeros(n)
    impulse[0] = 1.0
    for k in range(len(sos)):
        zero = -1.0 if error_feedback else 0.0
        feedback_only = np.array([[1.0, zero, 0.0, 1.0, sos[k, 4], sos[k, 5]]])
        path = np.concatenate([feedback_only, sos[k + 1:]])
        bound += float(np.sum(np.abs(signal.sosfilt(path, impulse))))
    return bound


def _design(family: str, order: int, cutoff: List[float], btype: str, fs: float,
            rp: float, rs: float) -> np.ndarray:
    wn = cutoff[0] if len(cutoff) == 1 else cutoff
    if family == "butter":
        return signal.butter(order, wn, btype=btype, fs=fs, output="sos")
    if family == "cheby1":
        return signal.cheby1(order, rp, wn, btype=btype, fs=fs, output="sos")
    if family == "cheby2":
        return signal.cheby2(order, rs, wn, btype=btype, fs=fs, output="sos")
    return signal.ellip(order, rp, rs, wn, btype=btype, fs=fs, output="sos")


def main(argv: Optional[Sequence[str]] = None) -> None:
    p = argparse.ArgumentParser(prog="python3 -m emlearn_mp.iir_q15",
                                description="Design an IIR filter with scipy and print emlearn_iir_q15 code for it.")
    p.add_argument("family", choices=["butter", "cheby1", "cheby2", "ellip"])
    p.add_argument("order", type=int)
    p.add_argument("cutoff", type=float, nargs="+", help="one frequency, or two for band filters")
    p.add_argument("--btype", default="lowpass", choices=["lowpass", "highpass", "bandpass", "bandstop"])
    p.add_argument("--fs", type=float, default=2.0, help="sample rate (default 2: cutoffs relative to Nyquist)")
    p.add_argument("--rp", type=float, default=1.0, help="passband ripple, dB (cheby1, ellip)")
    p.add_argument("--rs", type=float, default=40.0, help="stopband attenuation, dB (cheby2, ellip)")
    p.add_argument("--post-shift", type=int, default=None, help="default: the smallest that fits")
    p.add_argument("--error-feedback", action="store_true",
                   help="carry each rounding remainder into the next sum (module option; for cutoffs near 0 Hz)")
    a = p.parse_args(argv)
    sos = _design(a.family, a.order, a.cutoff, a.btype, a.fs, a.rp, a.rs)
    coefficients, post_shift = sos_to_q15(sos, a.post_shift)
    bound = error_bound(coefficients, post_shift, 10000, a.error_feedback)
    other = error_bound(coefficients, post_shift, 10000, not a.error_feedback)
    print("# %s order %d %s %s at fs %g: %d sections, post_shift %d"
          % (a.family, a.order, a.btype, " ".join("%g" % c for c in a.cutoff), a.fs, len(sos), post_shift))
    print("# error bound %.1f (%.1f %s error feedback): against the exact filter of these"
          % (bound, other, "without" if a.error_feedback else "with"))
    print("# coefficients, while nothing saturates")
    print("coefficients = array.array('h', %s)" % coefficients)
    print("f = emlearn_iir_q15.new(coefficients, %d%s)"
          % (post_shift, ", error_feedback=True" if a.error_feedback else ""))


if __name__ == "__main__":
    main()
