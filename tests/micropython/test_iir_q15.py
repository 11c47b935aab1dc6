# emlearn_iir_q15 against emlearn_mp.iir_q15 (reference: tests/reference/iir_q15_cases.py):
# every design's output equals sosfilt_q15's (the module's arithmetic in Python) bit for
# bit and is within error_bound of scipy's float64 sosfilt of the same coefficients;
# saturating input clips like the model; the same with error feedback (the module's
# option). Also: chunks, reset, default post_shift 2 and no error feedback, keyword
# arguments, memoryviews, each refusal with its exception, heap returned.
# needs: iir_q15_cases.bin iir_q15_cases.json q15_signals.py
import array
import gc
import json
import emlearn_iir_q15
import emltest
from q15_signals import signal_values, square_wave

INDEX = json.load(open("iir_q15_cases.json"))
DATA = open("iir_q15_cases.bin", "rb")
N = INDEX["n_samples"]
new = emlearn_iir_q15.new


def read(offset, n, typecode="h"):
    out = array.array(typecode, bytes(n * (4 if typecode == "f" else 2)))
    DATA.seek(offset)
    DATA.readinto(out)
    return out


def load(case):
    """(coefficients, the model's output, offset of scipy's output)."""
    c = read(case["offset"], case["n_coefficients"])
    at = case["offset"] + 2 * len(c)
    return c, read(at, N), at + 2 * N


def case(name):
    return [c for c in INDEX["cases"] if c["name"] == name][0]


def first_difference(a, b):
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b) or a[i] != b[i]:
            return i
    return None


def filtered(c, post_shift, x, feedback=False):
    y = array.array("h", x)
    new(c, post_shift, error_feedback=feedback).run(y)
    return y


def test_designs_bit_exact_and_within_bound_of_scipy():
    x = signal_values(N)
    bad = []
    for k in INDEX["cases"]:
        c, expected, at = load(k)
        y = filtered(c, k["post_shift"], x, k["error_feedback"])
        i = first_difference(y, expected)
        ok, worst = emltest.close(y, read(at, N, "f"), k["tol"])
        if i is not None or not ok:
            bad.append((k["name"], i, worst, k["tol"]))
    assert not bad, bad
    assert len(INDEX["cases"]) >= 40 and sum(k["error_feedback"] for k in INDEX["cases"]) >= 5


def test_saturation_clips_like_the_model():
    # 1.9 / (1 - 1.8 z^-1 + 0.9 z^-2) on a full-scale square wave: narrow (32-bit) and wide sums
    for k in INDEX["saturating"]:
        c, expected, _ = load(k)
        y = filtered(c, k["post_shift"], square_wave(N, k["half_period"]), k["error_feedback"])
        assert first_difference(y, expected) is None, (k["name"], first_difference(y, expected))
        assert y[1] == 32767 and y[21] == -32768, (k["name"], y[1], y[21])   # clipped, not wrapped


def test_default_post_shift_is_2():
    c, expected, _ = load(case("emlearn-micropython-butter-lowpass-5-4"))   # post_shift 2
    a = array.array("h", signal_values(N))
    new(c).run(a)
    assert first_difference(a, expected) is None
    assert first_difference(filtered(c, 1, signal_values(N)), expected) is not None


def test_keywords_and_default_without_feedback():
    k = case("feedback-butter-lowpass-5-4")
    c, with_feedback, _ = load(k)
    _, without, _ = load(case("butter-lowpass-5-4"))
    for f in (new(c, k["post_shift"]), new(c, k["post_shift"], False),
              new(c, post_shift=k["post_shift"], error_feedback=False)):
        y = signal_values(N)
        f.run(y)
        assert first_difference(y, without) is None
    for f in (new(c, k["post_shift"], True), new(c, post_shift=k["post_shift"], error_feedback=True)):
        y = signal_values(N)
        f.run(y)
        assert first_difference(y, with_feedback) is None
    assert first_difference(with_feedback, without) is not None


def test_feedback_remainder_kept_across_calls_and_reset():
    k = case("feedback-cheby1-lowpass-5-8")
    c, expected, _ = load(k)
    f = new(c, k["post_shift"], error_feedback=True)
    x = signal_values(N)
    y = array.array("h")
    for start in range(0, N, 13):
        chunk = array.array("h", x[start:start + 13])
        f.run(chunk)
        y.extend(chunk)
    assert first_difference(y, expected) is None
    f.reset()
    y = signal_values(N)
    f.run(y)
    assert first_difference(y, expected) is None


def test_chunks_equal_one_call():
    c, expected, _ = load(case("ellip-bandstop-[5, 15]-4"))     # 4 sections
    x = signal_values(N)
    sizes = (1, 0, 7, 2, 31, 59)
    f = new(c, case("ellip-bandstop-[5, 15]-4")["post_shift"])
    y = array.array("h")
    pos = 0
    for size in sizes:
        chunk = array.array("h", x[pos:pos + size])
        f.run(chunk)
        y.extend(chunk)
        pos += size
    assert pos == N and first_difference(y, expected) is None
    # the same in place, through memoryviews of one array
    f.reset()
    y = array.array("h", x)
    pos = 0
    for size in sizes:
        f.run(memoryview(y)[pos:pos + size])
        pos += size
    assert first_difference(y, expected) is None


def test_reset_restarts():
    k = case("cheby1-lowpass-5-8")
    c, expected, _ = load(k)
    f = new(c, k["post_shift"])
    for _ in range(2):
        y = signal_values(N)
        f.run(y)
        assert first_difference(y, expected) is None
        f.reset()
    f.run(signal_values(30))
    f.reset()
    y = signal_values(N)
    f.run(y)
    assert first_difference(y, expected) is None


def test_memoryviews():
    # new and run take any buffer of typecode 'h', memoryviews too (eml_get_items
    # checks the typecode and length only): the filter copies the coefficients, and
    # run filters exactly the samples a view shows.
    k = case("butter-highpass-10-5")
    c, expected, _ = load(k)
    room = array.array("h", [7] * 3 + list(c) + [7] * 2)
    f = new(memoryview(room)[3:3 + len(c)], k["post_shift"])
    for i in range(len(room)):
        room[i] = 0
    y = array.array("h", [77] * 3 + list(signal_values(N)) + [77] * 3)
    f.run(memoryview(y)[3:3 + N])
    assert first_difference(y[3:3 + N], expected) is None
    assert list(y[:3]) == [77] * 3 and list(y[-3:]) == [77] * 3


def test_refusals():
    c = array.array("h", [8192, 0, 0, 0, 4096, 0])      # y = x + y[n-1] / 2
    f = new(c)
    x = array.array("h", [1000, 0, 0, 0, 0, -1000, 0, 0, 0, 0, 0])
    f.run(x)
    assert list(x) == [1000, 500, 250, 125, 62, -969, -485, -243, -122, -61, -31], list(x)
    for bad in ([8192, 0, 0, 0, 0, 0], b"\x00" * 12, bytearray(12), array.array("H", [0] * 6),
                array.array("f", [0] * 6), array.array("i", [0] * 6), memoryview(bytes(12)), 1, None):
        emltest.raises(TypeError, new, bad)
    for n in (0, 1, 5, 7, 11, 13):
        emltest.raises(ValueError, new, array.array("h", [0] * n))
    emltest.raises(ValueError, new, array.array("h", [8192, 1, 0, 0, 0, 0]))     # padding: 0 only
    emltest.raises(ValueError, new, array.array("h", [8192, 0, 0, 0, 0, 0, 8192, -1, 0, 0, 0, 0]))
    emltest.raises(ValueError, new, array.array("h", [2048, 4096, 2048, 8192, -4096, 0]))   # scipy's order
    for p in (-1, 13, 100, 2 ** 40, -2 ** 70):
        emltest.raises(ValueError, new, c, p)
    for p in (2.0, "2", None, [2]):
        emltest.raises(TypeError, new, c, p)
    emltest.raises(TypeError, new)
    emltest.raises(TypeError, new, c, 2, False, 0)     # too many arguments
    emltest.raises(TypeError, new, c, feedback=True)   # unknown keyword
    for bad in ([1, 2], b"\x00\x00", bytearray(4), array.array("H", [1]), array.array("f", [1.0]),
                array.array("b", [1, 2]), memoryview(bytes(4)), 3):
        emltest.raises(TypeError, f.run, bad)
    # bool is an int subclass: True is post_shift 1, as for any int argument
    g = new(array.array("h", [16384, 0, 0, 0, 0, 0]), True)     # 16384 * 2 / 32768 = 1
    y = array.array("h", [5, -5])
    g.run(y)
    assert list(y) == [5, -5]
    # the refusals left the first filter as it was: it continues its signal
    y = array.array("h", [0, 0])
    f.run(y)
    assert list(y) == [-16, -8], list(y)


def test_post_shift_edges():
    # c stands for c * 2^post_shift / 32768: 32767 is 1 - 2^-15 at 0, 1 is 1/8 at 12
    y = array.array("h", [32767, -32768, 100])
    new(array.array("h", [32767, 0, 0, 0, 0, 0]), 0).run(y)
    assert list(y) == [32766, -32767, 99], list(y)
    y = array.array("h", [32767, -32768, 100])
    new(array.array("h", [1, 0, 0, 0, 0, 0]), 12).run(y)
    assert list(y) == [4095, -4096, 12], list(y)


def test_heap_returned():
    k = case("ellip-lowpass-5-8")
    c, expected, _ = load(k)

    def use():
        f = new(c, k["post_shift"])
        y = signal_values(N)
        f.run(y)
        assert first_difference(y, expected) is None
        try:
            new(array.array("h", [1, 2, 3, 4, 5, 6]))
        except ValueError:
            pass
        big = new(array.array("h", [8192, 0, 0, 0, 0, 0] * 200))
        big.run(array.array("h", [1, 2, 3]))
        return gc.mem_alloc()

    during, levels = emltest.heap_levels(use)
    assert during > levels[-1] + 200 * 22, (levels, during)   # 22 bytes per section
    assert levels[-1] == levels[-2] == levels[-3], levels


def test_memory_error_not_crash():
    # 4000 sections: the coefficients (48 kB) fit a 140 kB board's heap beside the
    # test data, the filter's copy and state (80 kB) may not. Either works or
    # raises MemoryError; the interpreter goes on. 65536 sections are refused.
    try:
        f = new(array.array("h", [8192, 0, 0, 0, 0, 0] * 4000))
        x = array.array("h", [1, -2])
        f.run(x)
        assert list(x) == [1, -2]
    except MemoryError:
        pass
    f = None
    gc.collect()
    try:
        too_many = array.array("h", bytes(12 * 65536))
    except MemoryError:
        too_many = None
    if too_many is not None:
        emltest.raises(ValueError, new, too_many)
    too_many = None
    y = array.array("h", [1000, 0])
    new(array.array("h", [8192, 0, 0, 0, 4096, 0])).run(y)
    assert list(y) == [1000, 500]


emltest.main(globals())
