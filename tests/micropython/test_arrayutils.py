# emlearn_arrayutils against numpy (reference: tests/reference/arrayutils_cases.py)
# needs: arrayutils_cases.bin arrayutils_cases.json
import array
import json
import sys
import emlearn_arrayutils as au
import emltest

CASES = json.load(open("arrayutils_cases.json"))
DATA = open("arrayutils_cases.bin", "rb")
SIZES = {"f": 4, "h": 2, "d": 8, "B": 1}


def part(case, i):
    offset, typecode, n = case["parts"][i]
    out = array.array(typecode, bytes(n * SIZES[typecode]))
    DATA.seek(offset)
    DATA.readinto(out)
    return out


def empty(typecode, n):
    return array.array(typecode, bytes(n * SIZES[typecode]))


def test_linear_map_float_outputs():
    for case in CASES:
        if case["name"] in ("ff", "hf"):
            x, ref = part(case, 0), part(case, 1)
            y = empty("f", len(x))
            au.linear_map(x, y, *case["range"])
            # a few float32 roundings of the largest output
            peak = max(max(abs(v) for v in ref), abs(case["range"][2]), abs(case["range"][3]))
            ok, worst = emltest.close(y, ref, 4e-7 * peak)
            assert ok, (case["name"], case["range"], worst)


def test_linear_map_int16_outputs():
    # Exact, except where float32 arithmetic may land the other side of a .5 tie.
    for case in CASES:
        if case["name"] in ("fh", "hh"):
            x, ref, exact = part(case, 0), part(case, 1), part(case, 2)
            y = empty("h", len(x))
            au.linear_map(x, y, *case["range"])
            for i in range(len(x)):
                if y[i] != ref[i]:
                    near_tie = abs(abs(exact[i] - int(exact[i])) - 0.5) < 1e-3 * max(1.0, abs(exact[i]) / 1000)
                    assert near_tie and abs(y[i] - ref[i]) == 1, (case["range"], x[i], y[i], ref[i], exact[i])


def test_rounding_ties_to_even_and_saturation():
    case = [c for c in CASES if c["name"] == "hh-ties"][0]
    x, ref = part(case, 0), part(case, 1)
    y = empty("h", len(x))
    au.linear_map(x, y, *case["range"])
    assert list(y) == list(ref), (list(y), list(ref))
    big = array.array("f", [1e9, -1e9, 32767.4, -32768.6, float("nan")])
    out = empty("h", 5)
    au.linear_map(big, out, 0.0, 1.0, 0.0, 1.0)
    assert list(out) == [32767, -32768, 32767, -32768, 0], list(out)


def test_in_place():
    x = array.array("f", [0.0, 0.5, 1.0])
    au.linear_map(x, x, 0.0, 1.0, 10.0, 20.0)
    assert list(x) == [10.0, 15.0, 20.0], list(x)


def test_int16_from_bytes():
    for case in CASES:
        if case["name"] != "bytes":
            continue
        raw, ints, scaled, scaled_h = bytes(part(case, 0)), part(case, 1), part(case, 2), part(case, 3)
        kw = {"start": case["start"], "stride": case["stride"], "big_endian": case["big_endian"]}
        h = empty("h", len(ints))
        au.int16_from_bytes(raw, h, **kw)
        assert list(h) == list(ints), case
        f = empty("f", len(ints))
        au.int16_from_bytes(raw, f, scale=0.001, offset=0.5, **kw)
        ok, worst = emltest.close(f, scaled, 1e-6 * 33)
        assert ok, worst
        au.int16_from_bytes(bytearray(raw), h, scale=0.5, offset=3, **kw)
        assert list(h) == list(scaled_h)


# Native architectures (sys.implementation._mpy >> 10) whose chips have no
# FPU but a 32 x 32 -> 64 multiply: armv7m, armv7em without FPU, rv32imc.
# There all maps but float -> float compute the exact value and round it
# once (see src/core/eml_arrayutils.h); elsewhere they compute in float,
# which rounds once with a fused multiply-add (Cortex-M4F) or twice, and
# int16 results are rounded from that float.
ROUND_ONCE = sys.implementation._mpy >> 10 in (5, 6, 11)


def test_int16_scaled_rounding():
    for case in CASES:
        if case["name"] != "affine":
            continue
        raw, (scale, offset) = bytes(part(case, 0)), part(case, 1)
        once, twice = bytes(part(case, 2)), bytes(part(case, 3))
        exact_h, once_h, twice_h = part(case, 4), part(case, 5), part(case, 6)
        f = empty("f", len(exact_h))
        h = empty("h", len(exact_h))
        au.int16_from_bytes(raw, f, scale=scale, offset=offset)
        au.int16_from_bytes(raw, h, scale=scale, offset=offset)
        got = bytes(f)
        if ROUND_ONCE:
            assert got == once, (scale, offset)
            assert emltest.close(h, exact_h, 0)[0], (scale, offset)
        else:
            for i in range(len(h)):
                assert got[4 * i:4 * i + 4] in (once[4 * i:4 * i + 4], twice[4 * i:4 * i + 4]), (scale, offset, i)
                assert h[i] in (once_h[i], twice_h[i]), (scale, offset, i)


def test_float_to_int16_rounding():
    for case in CASES:
        if case["name"] != "affine_f":
            continue
        x, exact_h = part(case, 0), part(case, 1)
        h = empty("h", len(x))
        au.linear_map(x, h, *case["range"])
        if ROUND_ONCE:
            assert emltest.close(h, exact_h, 0)[0], case["range"]
        else:
            for i in range(len(x)):
                assert abs(h[i] - exact_h[i]) <= 1, (case["range"], x[i], h[i], exact_h[i])


def test_errors_before_writing():
    x = array.array("f", [1.0, 2.0])
    y = array.array("f", [7.0, 7.0, 7.0])
    emltest.raises(ValueError, au.linear_map, x, y, 0, 1, 0, 1)
    assert list(y) == [7.0, 7.0, 7.0]
    emltest.raises(ValueError, au.linear_map, x, x, 1.0, 1.0, 0, 1)
    emltest.raises(ValueError, au.linear_map, x, x, 0.0, float("inf"), 0, 1)
    emltest.raises(TypeError, au.linear_map, array.array("i", [1, 2]), x, 0, 1, 0, 1)
    emltest.raises(TypeError, au.linear_map, x, [0.0, 0.0], 0, 1, 0, 1)
    h = array.array("h", [5, 5, 5])
    emltest.raises(ValueError, au.int16_from_bytes, b"\x01\x00\x02\x00", h)
    assert list(h) == [5, 5, 5]
    emltest.raises(ValueError, au.int16_from_bytes, b"\x01\x00" * 9, h, stride=0)
    emltest.raises(ValueError, au.int16_from_bytes, b"\x01\x00" * 9, h, start=-1)
    emltest.raises(TypeError, au.int16_from_bytes, b"\x01\x00" * 3, array.array("i", [0]))
    emltest.raises(ValueError, au.int16_from_bytes, b"\x01\x00" * 3, h, scale=float("nan"))


emltest.main(globals())
