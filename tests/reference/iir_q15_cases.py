"""Reference outputs for tests/micropython/test_iir_q15*.py (emlearn_iir_q15).

iir_q15_cases.bin/.json: scipy designs (every family and band type, orders 1
to 8) turned into int16 coefficients by emlearn_mp.iir_q15 (sos_to_q15
scaled, unscaled, at post_shift 0 and 12; emlearn-micropython's own
conversion at post_shift 2), and some of them with error feedback (the
module's option). For each: the coefficients, the output of
sosfilt_q15 (the module's arithmetic, bit for bit) and scipy's float64
sosfilt of the filter the coefficients stand for (as float32), with a
tolerance of error_bound + EPSILON. Here every such case is checked: no
section saturates and the model is within the bound of scipy, so a wrong
model (or bound) fails here. Two saturating cases (full-scale square wave
through a resonant section, 32- and 64-bit sums, with and without error
feedback) have the model's output only. Inputs are not stored: the test
makes them with the same code, tests/micropython/q15_signals.py (signal_values,
about +-8192; the square wave from its period).

iir_q15_har.bin/.json (only with ../shared/data/har, for
test_iir_q15_har.py): two accelerometer recordings, each axis through a
4th-order Butterworth lowpass at 5 Hz and a 2nd-order highpass at 0.5 Hz
(gravity removal; without and with error feedback), at fs 100: the
coefficients and sosfilt_q15's outputs. The device reads the .npy files itself (har_features.read_npy).
"""
import json
import os
import sys

import numpy as np
from scipy import signal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "har_trees"))
sys.path.insert(0, os.path.join(HERE, "..", "micropython"))
import har_features  # noqa: E402
from q15_signals import signal_values, square_wave  # noqa: E402  (the device test's own)
from emlearn_mp import iir_q15  # noqa: E402

N_SAMPLES = 100
FS = 100.0
EPSILON = 0.01      # float32 rounding of the stored scipy output (|y| < 2^15: < 0.002)
HAR = os.path.join(HERE, "..", "..", "..", "shared", "data", "har", "har_record_exercises_1", "data")
HAR_RECORDINGS = ("2000-01-01T000051_jumpingjack.npy", "2000-01-01T000204_lunge.npy")  # 750 rows (cut short), 1000


def design(family, order, wn, btype):
    args = {"butter": (), "cheby1": (1,), "cheby2": (40,), "ellip": (1, 40)}[family]
    return getattr(signal, family)(order, *args, wn, btype=btype, fs=FS, output="sos")


def designs():
    """(name, coefficients, post_shift, error_feedback)."""
    for name, c, p in cmsis_designs():
        yield name, c, p, False
    # error feedback: near-DC poles (where it matters most), 64-bit sums,
    # emlearn-micropython's coefficients, and post_shift 0 (remainders up to
    # 2^15 - 1) and 12
    for name, sos in (("butter-highpass-0.5-2", design("butter", 2, 0.5, "highpass")),
                      ("butter-lowpass-5-4", design("butter", 4, 5, "lowpass")),
                      ("cheby1-lowpass-5-8", design("cheby1", 8, 5, "lowpass")),
                      ("ellip-bandstop-[5, 15]-4", design("ellip", 4, (5, 15), "bandstop")),
                      ("cheby2-highpass-10-5", design("cheby2", 5, 10, "highpass"))):
        yield "feedback-" + name, *iir_q15.sos_to_q15(sos), True
    sos = design("butter", 4, 5, "lowpass")
    yield "feedback-emlearn-micropython-butter-lowpass-5-4", iir_q15.emlearn_micropython_q15(sos), 2, True
    yield "feedback-post-shift-0-butter-lowpass-20-4", *iir_q15.sos_to_q15(design("butter", 4, 20, "lowpass"), 0), True
    yield "feedback-post-shift-12-butter-lowpass-25-2", *iir_q15.sos_to_q15(design("butter", 2, 25, "lowpass"), 12), True


def cmsis_designs():
    """(name, coefficients, post_shift)."""
    for family in ("butter", "cheby1", "cheby2", "ellip"):
        for btype, wn, orders in (("lowpass", 5, (1, 4, 8)), ("lowpass", 20, (3, 6)), ("highpass", 10, (2, 5)),
                                  ("bandpass", (5, 15), (1, 3)), ("bandstop", (5, 15), (2, 4))):
            for order in orders:
                c, p = iir_q15.sos_to_q15(design(family, order, wn, btype))
                yield "%s-%s-%s-%d" % (family, btype, np.array(wn).tolist(), order), c, p
    sos = design("butter", 4, 5, "lowpass")
    yield "unscaled-butter-lowpass-5-4", *iir_q15.sos_to_q15(sos, scale=False)
    yield "emlearn-micropython-butter-lowpass-5-4", iir_q15.emlearn_micropython_q15(sos), 2
    yield "post-shift-0-butter-lowpass-20-4", *iir_q15.sos_to_q15(design("butter", 4, 20, "lowpass"), 0)
    yield "post-shift-12-butter-lowpass-25-2", *iir_q15.sos_to_q15(design("butter", 2, 25, "lowpass"), 12)


def section_outputs(c, x, p, feedback):
    """Each section's output, in turn."""
    for k in range(0, len(c), 6):
        x = iir_q15.sosfilt_q15(c[k:k + 6], x, p, error_feedback=feedback)
        yield x


def checked_case(name, c, p, x, feedback=False):
    """(expected int16, scipy's float64, bound), after checking that nothing
    saturates and that the model is within the bound of scipy."""
    outputs = list(section_outputs(c, x, p, feedback))
    assert all(np.all((y > -32768) & (y < 32767)) for y in outputs), (name, "saturates")
    expected = iir_q15.sosfilt_q15(c, x, p, error_feedback=feedback)
    assert np.array_equal(expected, outputs[-1])
    exact = signal.sosfilt(iir_q15.q15_to_sos(c, p), x.astype(np.float64))
    bound = iir_q15.error_bound(c, p, len(x), feedback)
    worst = float(np.max(np.abs(expected - exact)))
    assert worst <= bound, (name, worst, bound)
    assert np.max(np.abs(expected - exact.astype(np.float32))) <= bound + EPSILON
    return expected, exact, bound


def write(outdir, group, blob, index):
    with open(os.path.join(outdir, group + ".bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(outdir, group + ".json"), "w") as f:
        json.dump(index, f)


def main_cases(outdir):
    x = np.asarray(signal_values(N_SAMPLES), dtype=np.int16)
    cases, blob = [], bytearray()
    wide = 0
    wide_feedback = 0
    for name, c, p, feedback in designs():
        expected, exact, bound = checked_case(name, c, p, x, feedback)
        has_wide = any(np.sum(np.abs(np.array(c[k:k + 6]))) >= 65536 for k in range(0, len(c), 6))
        wide += has_wide
        wide_feedback += has_wide and feedback
        cases.append({"name": name, "offset": len(blob), "n_coefficients": len(c), "post_shift": p,
                      "error_feedback": feedback, "tol": bound + EPSILON})
        blob += np.array(c, dtype=np.int16).tobytes() + expected.tobytes() + exact.astype(np.float32).tobytes()
    assert wide >= 2, wide      # the module's 64-bit sums (sum |c| >= 65536) as well as its 32-bit ones
    assert wide_feedback >= 1, wide_feedback
    saturating = []
    for name, c, p in (("resonant-narrow", [15565, 0, 0, 0, 14746, -7373], 2),     # 1.9 / (1 - 1.8 z^-1 + 0.9 z^-2)
                       ("resonant-wide", [31130, 0, 0, 0, 29491, -14746], 1)):    # the same, sum |c| >= 65536
        for feedback in (False, True):
            expected = iir_q15.sosfilt_q15(c, np.asarray(square_wave(N_SAMPLES, 20)), p, error_feedback=feedback)
            assert np.sum(expected == 32767) > 10 and np.sum(expected == -32768) > 10, name
            saturating.append({"name": name + ("-feedback" if feedback else ""), "offset": len(blob),
                               "n_coefficients": len(c), "post_shift": p, "error_feedback": feedback,
                               "half_period": 20})
            blob += np.array(c, dtype=np.int16).tobytes() + expected.tobytes()
    write(outdir, "iir_q15_cases", blob, {"n_samples": N_SAMPLES, "cases": cases, "saturating": saturating})


def main_har(outdir):
    if not os.path.isdir(HAR):
        print("iir_q15_cases: %s absent, no iir_q15_har files written" % HAR)
        return
    highpass = iir_q15.sos_to_q15(design("butter", 2, 0.5, "highpass"))
    filters = [("lowpass-5", *iir_q15.sos_to_q15(design("butter", 4, 5, "lowpass")), False),
               ("highpass-0.5", *highpass, False), ("highpass-0.5-feedback", *highpass, True)]
    index = {"filters": [], "recordings": []}
    blob = bytearray()
    for name, c, p, feedback in filters:
        index["filters"].append({"name": name, "offset": len(blob), "n_coefficients": len(c), "post_shift": p,
                                 "error_feedback": feedback})
        blob += np.array(c, dtype=np.int16).tobytes()
    for recording in HAR_RECORDINGS:
        samples, n_rows = har_features.read_npy(os.path.join(HAR, recording))
        rows = np.array(samples, dtype=np.int16).reshape(n_rows, har_features.AXES)
        outputs = []
        for name, c, p, feedback in filters:
            for axis in range(har_features.AXES):
                checked_case("%s %s %d" % (recording, name, axis), c, p, rows[:, axis], feedback)
                outputs.append(len(blob))
                blob += iir_q15.sosfilt_q15(c, rows[:, axis], p, error_feedback=feedback).tobytes()
        # offsets of the outputs, filter by filter, axis by axis
        index["recordings"].append({"name": recording, "n_rows": n_rows, "outputs": outputs})
    write(outdir, "iir_q15_har", blob, index)


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    main_cases(sys.argv[1])
    main_har(sys.argv[1])
