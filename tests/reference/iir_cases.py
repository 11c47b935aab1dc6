"""Reference outputs for tests/micropython/test_iir.py, from scipy.signal.

Writes iir_cases.bin (float32 data) and iir_cases.json (index) into the
folder given. Inputs are not stored: the test regenerates them on the board
with the same small integer generator (see signal_values), which keeps the
files small enough for a 140 kB MicroPython heap.
"""
import json
import os
import sys

import numpy as np
from scipy import signal

N_SAMPLES = 128
LONG_SAMPLES = 100_000
LONG_CHECKPOINTS = 100


def signal_values(n, seed=1):
    """Lehmer-style generator x = (75 x + 74) mod 65537, mapped to [-1, 1).
    Small integers only, so MicroPython computes it fast and exactly."""
    out = np.empty(n, dtype=np.float32)
    x = seed
    for i in range(n):
        x = (75 * x + 74) % 65537
        out[i] = (x - 32768) / 32768.0
    return out


def a_weighting_sos(fs):
    """A-weighting (IEC 61672) as second-order sections at sample rate fs."""
    f1, f2, f3, f4 = 20.598997, 107.65265, 737.86223, 12194.217
    z = [0, 0, 0, 0]
    p = [-2 * np.pi * f for f in (f1, f1, f2, f3, f4, f4)]
    zd, pd, kd = signal.bilinear_zpk(z, p, 1.0, fs)
    w, h = signal.freqz_zpk(zd, pd, kd, worN=[1000.0], fs=fs)
    return signal.zpk2sos(zd, pd, kd / abs(h[0]))


def designs():
    fs = 1000.0
    for family in ("butter", "cheby1", "cheby2", "ellip"):
        for btype, wn in (("lowpass", 100), ("highpass", 150), ("bandpass", (80, 200)), ("bandstop", (80, 200))):
            # band designs double the order: 6 gives 12 poles
            for order in (1, 2, 4, 8, 12) if btype.endswith("pass") and btype != "bandpass" else (1, 2, 3, 6):
                kw = {"rp": 1, "rs": 40}
                args = {"butter": (), "cheby1": (kw["rp"],), "cheby2": (kw["rs"],), "ellip": (kw["rp"], kw["rs"])}[family]
                sos = getattr(signal, family)(order, *args, wn, btype=btype, fs=fs, output="sos")
                yield "%s-%s-%d" % (family, btype, order), sos
    yield "a-weighting-16k", a_weighting_sos(16000)


def float32_tolerance(sos32, x32):
    """The error a float32 filter may be expected to make: 8x what scipy's own
    float32 sosfilt makes against float64, and never below 1e-6 of the peak."""
    ref = signal.sosfilt(sos32.astype(np.float64), x32.astype(np.float64))
    f32 = signal.sosfilt(sos32, x32)
    peak = max(float(np.max(np.abs(ref))), 1e-3)
    return ref, max(8 * float(np.max(np.abs(f32 - ref))), 1e-6 * peak, 1e-7)


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    x = signal_values(N_SAMPLES)
    index, blob = [], bytearray()
    for name, sos in designs():
        sos32 = np.asarray(sos, dtype=np.float32)
        ref, tol = float32_tolerance(sos32, x)
        index.append({"name": name, "offset": len(blob), "n_sos": sos32.size, "tol": tol})
        blob += sos32.tobytes() + ref.astype(np.float32).tobytes()
    # int16 path: the A-weighting filter on a full-scale int16 signal.
    xi = np.round(x * 20000).astype(np.int16)
    sos32 = np.asarray(a_weighting_sos(16000), dtype=np.float32)
    refi = signal.sosfilt(sos32.astype(np.float64), xi.astype(np.float64))
    int16_ref = np.clip(np.rint(refi), -32768, 32767).astype(np.int16)
    int16_case = {"offset": len(blob), "n_sos": sos32.size, "scale": 20000}
    blob += sos32.tobytes() + int16_ref.tobytes()
    # long signal: a 4th-order Butterworth low-pass over 100k samples, checked at checkpoints.
    sos32 = np.asarray(signal.butter(4, 0.05, output="sos"), dtype=np.float32)
    xl = signal_values(LONG_SAMPLES, seed=7)
    ref, tol = float32_tolerance(sos32, xl)
    step = LONG_SAMPLES // LONG_CHECKPOINTS
    long_case = {"offset": len(blob), "n_sos": sos32.size, "n": LONG_SAMPLES, "step": step, "tol": tol}
    blob += sos32.tobytes() + ref[step - 1::step].astype(np.float32).tobytes()
    with open(os.path.join(outdir, "iir_cases.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(outdir, "iir_cases.json"), "w") as f:
        json.dump({"n_samples": N_SAMPLES, "cases": index, "int16": int16_case, "long": long_case}, f)


if __name__ == "__main__":
    main(sys.argv[1])
