"""Reference outputs for tests/micropython/test_arrayutils.py, from numpy.

Writes arrayutils_cases.bin and arrayutils_cases.json into the folder given.
linear_map is y = (x - in_min) * (out_max - out_min) / (in_max - in_min) + out_min,
computed here in float64; integer outputs round half to even (numpy.rint) and
saturate to int16.
"""
import json
import os
import sys
from fractions import Fraction

import numpy as np

N = 128


def linear_map(x, in_min, in_max, out_min, out_max):
    return (x.astype(np.float64) - in_min) * (out_max - out_min) / (in_max - in_min) + out_min


def to_int16(y):
    return np.clip(np.rint(y), -32768, 32767).astype(np.int16)


def nearest_float32(v: Fraction) -> np.float32:
    """v rounded once to float32: to nearest, ties to even (exact zero: +0)."""
    if v == 0:
        return np.float32(0.0)
    f = np.float32(float(v))    # the answer or one of its neighbours
    best = None
    for c in (np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))):
        d = abs(Fraction(float(c)) - v)
        even = int(np.array(c).view(np.uint32)) & 1 == 0
        if best is None or d < best[0] or (d == best[0] and even):
            best = (d, c)
    assert best is not None
    return best[1]


def round_exact(v: Fraction) -> int:
    """v rounded once to an int16: to nearest, ties to even, saturated."""
    return max(-32768, min(32767, round(v)))


def affine_cases(rng):
    """int16 x * scale + offset rounded once (x * scale + offset exact, then
    to float32 or int16, as FPU-less Thumb-2 and RISC-V targets compute it)
    and twice (the float32 product, then the sum, as the float path
    computes it; int16 results rounded from either float)."""
    s = np.float32(4.0) / np.float32(65535.0)
    coefficients = [(0.061e-3, 0.0), (s, np.float32(-2.0) + np.float32(32768.0) * s), (1e-3, 0.5),
                    (9.80665 / 16384, -0.3), (-0.25, -0.0), (1.0, 0.5 + 2.0 ** -20)]
    x = np.concatenate([rng.integers(-32768, 32768, 250), [-32768, 32767, 0, 1, -1, 2]]).astype(np.int16)
    differ = differ_h = 0
    for scale, offset in coefficients:
        scale, offset = np.float32(scale), np.float32(offset)
        exact = [int(xi) * Fraction(float(scale)) + Fraction(float(offset)) for xi in x]
        twice = (x.astype(np.float32) * scale + offset).astype(np.float32)
        once = np.array([v if e == 0 and int(xi) == 0 else nearest_float32(e)
                         for xi, v, e in zip(x, twice, exact)], dtype=np.float32)
        exact_h = np.array([round_exact(e) for e in exact], dtype=np.int16)
        once_h, twice_h = to_int16(once.astype(np.float64)), to_int16(twice.astype(np.float64))
        differ += int(np.sum(once != twice))
        differ_h += int(np.sum((exact_h != once_h) | (exact_h != twice_h)))
        yield x, np.array([scale, offset], dtype=np.float32), once, twice, exact_h, once_h, twice_h
    assert differ > 0 and differ_h > 0, "the cases must tell one rounding from two"


def float_affine_cases(rng):
    """linear_map from float32 to int16: x * scale + offset, with scale and
    offset as the module computes them in float32, rounded once to int16."""
    for in_min, in_max, out_min, out_max in ((-4.0, 4.0, -32768, 32767), (0.0, 3.3, 0, 4095),
                                             (0.0, 1.0, 0.5, 1.5)):
        lo, hi, a, b = (np.float32(v) for v in (in_min, in_max, out_min, out_max))
        scale = (b - a) / (hi - lo)
        offset = a - lo * scale
        k = rng.integers(-40000, 40000, 100)
        ties = ((k + np.float32(0.5) - offset) / scale).astype(np.float32)
        x = np.concatenate([rng.uniform(lo - (hi - lo) / 4, hi + (hi - lo) / 4, 52).astype(np.float32),
                            ties, np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, np.float32(-np.inf)),
                            [0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-30, -1e-30, 3.0, -3.0]])
        x = x.astype(np.float32)
        exact_h = np.array([0 if np.isnan(v) else (32767 if (v > 0) == (scale > 0) else -32768) if np.isinf(v)
                            else round_exact(Fraction(float(v)) * Fraction(float(scale)) + Fraction(float(offset)))
                            for v in x], dtype=np.int16)
        yield (float(lo), float(hi), float(a), float(b)), x, exact_h


def main(outdir):
    rng = np.random.default_rng(3)
    blob, cases = bytearray(), []

    def add(name, arrays, **info):
        entry = dict(info, name=name, parts=[])
        for a in arrays:
            entry["parts"].append([len(blob), a.dtype.char, a.size])
            blob.extend(a.tobytes())
        cases.append(entry)

    xf = np.concatenate([rng.uniform(-2, 2, N - 4), [-3.0, 3.0, 0.0, -0.0]]).astype(np.float32)
    xh = np.concatenate([rng.integers(-32768, 32768, N - 4), [-32768, 32767, 0, -1]]).astype(np.int16)
    ranges = [(-2.0, 2.0, -1.0, 1.0), (0.0, 1.0, 100.0, -100.0), (-32768, 32767, -1.0, 1.0),
              (-1.0, 1.0, -40000.0, 40000.0), (-32768, 32767, 0, 1000), (-1000, 1000, -32768, 32767)]
    for r in ranges:
        add("ff", [xf, linear_map(xf, *r).astype(np.float32)], range=r)
        add("fh", [xf, to_int16(linear_map(xf, *r)), linear_map(xf, *r).astype(np.float64)], range=r)
        add("hf", [xh, linear_map(xh, *r).astype(np.float32)], range=r)
        add("hh", [xh, to_int16(linear_map(xh, *r)), linear_map(xh, *r).astype(np.float64)], range=r)
    # Exact ties: scale 1, offset 0.5 puts every integer input on a .5 tie.
    ties = np.arange(-20, 20, dtype=np.int16)
    add("hh-ties", [ties, to_int16(linear_map(ties, 0.0, 1.0, 0.5, 1.5))], range=(0.0, 1.0, 0.5, 1.5))
    # int16_from_bytes: interleaved x, y, z frames, both byte orders.
    frames = rng.integers(-32768, 32768, 3 * 50).astype(np.int16)
    for order, dtype in (("little", "<i2"), ("big", ">i2")):
        raw = np.frombuffer(frames.astype(dtype).tobytes(), dtype=np.uint8)
        for axis in range(3):
            values = frames[axis::3].astype(np.float64)
            add("bytes", [raw, values.astype(np.int16), (values * 0.001 + 0.5).astype(np.float32),
                          to_int16(values * 0.5 + 3)],
                big_endian=order == "big", start=axis, stride=3)
    for x, coefficients, *results in affine_cases(rng):
        add("affine", [x.astype("<i2").view(np.uint8), coefficients] + results)
    for r, x, exact_h in float_affine_cases(rng):
        add("affine_f", [x, exact_h], range=r)
    with open(os.path.join(outdir, "arrayutils_cases.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(outdir, "arrayutils_cases.json"), "w") as f:
        json.dump(cases, f)


if __name__ == "__main__":
    main(sys.argv[1])
