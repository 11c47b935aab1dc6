# emlearn_fft against numpy.fft.fft (reference: tests/reference/fft_cases.py): real ECG
# windows and random complex values for every length from 1 to 512, the twiddle
# tables against math.sin and math.cos, the fill() calls of emlearn-micropython's API,
# and every refusal.
# needs: fft_cases.bin fft_cases.json
import array
import gc
import json
import math
import emlearn_fft
import emltest

INDEX = json.load(open("fft_cases.json"))
DATA = open("fft_cases.bin", "rb")


def read_floats(offset, n):
    out = array.array("f", bytes(4 * n))
    DATA.seek(offset)
    DATA.readinto(out)
    return out


def load(case):
    """(real, imag, reference real, reference imag) of a case."""
    n, off = case["n"], case["offset"]
    return [read_floats(off + 4 * n * k, n) for k in range(4)]


def test_matches_numpy():
    bad = []
    for case in INDEX["cases"]:
        re, im, ref_re, ref_im = load(case)
        emlearn_fft.FFT(case["n"]).run(re, im)
        ok_re, worst_re = emltest.close(re, ref_re, case["tol"])
        ok_im, worst_im = emltest.close(im, ref_im, case["tol"])
        if not (ok_re and ok_im):
            bad.append((case["name"], max(worst_re, worst_im), case["tol"]))
        gc.collect()
    assert not bad, bad


def test_own_tables_match_math():
    # fill(sin, cos) with tables from math in double precision: the same results,
    # within the same tolerance (the module's tables are within 2 ulp of these).
    for case in INDEX["cases"]:
        n = case["n"]
        if n < 64:
            continue
        re, im, ref_re, ref_im = load(case)
        fft = emlearn_fft.FFT(n)
        fft.fill(array.array("f", [math.sin(2 * math.pi * k / n) for k in range(n // 2)]),
                 array.array("f", [math.cos(2 * math.pi * k / n) for k in range(n // 2)]))
        fft.run(re, im)
        assert emltest.close(re, ref_re, case["tol"])[0], case["name"]
        assert emltest.close(im, ref_im, case["tol"])[0], case["name"]
        gc.collect()


def test_emlearn_fill_calls():
    # Code written for emlearn-micropython calls emlearn_fft.fill(fft, n) before
    # run(); it restores the module's tables after a fill(sin, cos) too.
    n = 16
    x = [math.cos(2 * math.pi * 3 * j / n) for j in range(n)]
    fft = emlearn_fft.FFT(n)
    re, im = array.array("f", x), array.array("f", bytes(4 * n))
    fft.run(re, im)
    fft.fill(array.array("f", bytes(2 * n)), array.array("f", bytes(2 * n)))  # all zero
    zeroed_re, zeroed_im = array.array("f", x), array.array("f", bytes(4 * n))
    fft.run(zeroed_re, zeroed_im)
    assert list(zeroed_re) != list(re), "fill(sin, cos) left the tables as they were"
    emlearn_fft.fill(fft, n)
    re2, im2 = array.array("f", x), array.array("f", bytes(4 * n))
    fft.run(re2, im2)
    assert list(re2) == list(re) and list(im2) == list(im)
    assert abs(re[3] - n / 2) < 1e-5 and abs(re[n - 3] - n / 2) < 1e-5


def test_exact_cases():
    # An impulse gives all ones and a constant n at bin 0, exactly: the twiddles
    # 1 and -i are applied without multiplying.
    for n in (1, 2, 4, 8, 64, 512):
        fft = emlearn_fft.FFT(n)
        re, im = array.array("f", [0.0] * n), array.array("f", [0.0] * n)
        re[0] = 1.0
        fft.run(re, im)
        assert list(re) == [1.0] * n and list(im) == [0.0] * n, n
        re, im = array.array("f", [1.0] * n), array.array("f", [0.0] * n)
        fft.run(re, im)
        assert list(re) == [float(n)] + [0.0] * (n - 1) and list(im) == [0.0] * n, n


def test_memoryviews_and_slices():
    # Any writable float buffer of the right length: a memoryview of the middle of
    # a larger array is transformed, the rest of that array left as it was.
    n = 8
    room = array.array("f", [7.0] * 20)
    mv = memoryview(room)[4:4 + n]
    for j in range(n):
        mv[j] = float(j)
    im = array.array("f", [0.0] * n)
    emlearn_fft.FFT(n).run(mv, im)
    assert room[4] == 28.0 and list(room[:4]) == [7.0] * 4 and list(room[12:]) == [7.0] * 8


def test_refusals():
    for bad in (0, -8, 3, 6, 1000, 2 ** 23 + 1, 2 ** 24, 2 ** 40, -2 ** 70):
        emltest.raises(ValueError, emlearn_fft.FFT, bad)
    for bad in (8.0, "8", None, [8]):
        emltest.raises(TypeError, emlearn_fft.FFT, bad)
    emltest.raises(TypeError, emlearn_fft.FFT)
    emltest.raises(TypeError, emlearn_fft.FFT, 8, 8)
    fft = emlearn_fft.FFT(8)
    f8 = array.array("f", [0.0] * 8)
    for bad in (array.array("h", [0] * 8), array.array("i", [0] * 8), bytes(32), bytearray(32),
                [0.0] * 8, 1.0, None):
        emltest.raises(TypeError, fft.run, bad, f8)
        emltest.raises(TypeError, fft.run, array.array("f", [0.0] * 8), bad)
    for n in (0, 4, 7, 9, 16):
        emltest.raises(ValueError, fft.run, array.array("f", [0.0] * n), f8)
        emltest.raises(ValueError, fft.run, array.array("f", [0.0] * 8), array.array("f", [0.0] * n))
    same = array.array("f", [1.0] * 8)
    assert "share" in emltest.raises(ValueError, fft.run, same, same)
    wide = array.array("f", [1.0] * 12)
    emltest.raises(ValueError, fft.run, memoryview(wide)[:8], memoryview(wide)[4:])
    emltest.raises(TypeError, fft.run, memoryview(bytes(32)), f8)   # read-only bytes
    for n in (0, 3, 5, 8):
        emltest.raises(ValueError, fft.fill, array.array("f", [0.0] * n), array.array("f", [0.0] * 4))
        emltest.raises(ValueError, fft.fill, array.array("f", [0.0] * 4), array.array("f", [0.0] * n))
    emltest.raises(TypeError, fft.fill, array.array("h", [0] * 4), array.array("f", [0.0] * 4))
    emltest.raises(TypeError, emlearn_fft.FFT.run, None, f8, f8)     # unbound, not an FFT
    emltest.raises(TypeError, emlearn_fft.FFT.fill, 8, f8, f8)
    emltest.raises(TypeError, emlearn_fft.fill, f8, 8)
    emltest.raises(TypeError, emlearn_fft.fill, None, 8)
    emltest.raises(ValueError, emlearn_fft.fill, fft, 16)
    emltest.raises(ValueError, emlearn_fft.fill, fft, 3)
    # the refusals left the object working
    re, im = array.array("f", [1.0] + [0.0] * 7), array.array("f", [0.0] * 8)
    fft.run(re, im)
    assert list(re) == [1.0] * 8


def test_too_big_for_the_heap():
    # a length the heap cannot hold raises MemoryError, not a crash
    emltest.raises(MemoryError, emlearn_fft.FFT, 2 ** 23)


def use_fft():
    fft = emlearn_fft.FFT(256)
    fft.run(array.array("f", [1.0] * 256), array.array("f", [0.0] * 256))
    return gc.mem_alloc()


def test_delete_returns_heap():
    during, levels = emltest.heap_levels(use_fft)
    assert during > levels[-1] + 1024, (levels, during)     # the tables: 1 kB
    assert levels[-1] == levels[-2] == levels[-3], levels


emltest.main(globals())
