# emlearn_iir against scipy.signal.sosfilt (reference: tests/reference/iir_cases.py)
# needs: iir_cases.bin iir_cases.json
import array
import json
import emlearn_iir
import emltest

INDEX = json.load(open("iir_cases.json"))
DATA = open("iir_cases.bin", "rb")


def signal_values(n, seed=1, start=0):
    # Same generator as the reference; returns array('f') and the generator state.
    out = array.array("f", bytes(4 * n))
    x = seed
    for i in range(n):
        x = (75 * x + 74) % 65537
        out[i] = (x - 32768) / 32768.0
    return out


def read_floats(offset, n, typecode="f"):
    out = array.array(typecode, bytes(n * (4 if typecode == "f" else 2)))
    DATA.seek(offset)
    DATA.readinto(out)
    return out


def test_designs_match_scipy():
    n = INDEX["n_samples"]
    x = signal_values(n)
    bad = []
    for case in INDEX["cases"]:
        sos = read_floats(case["offset"], case["n_sos"])
        ref = read_floats(case["offset"] + 4 * case["n_sos"], n)
        y = array.array("f", x)
        emlearn_iir.new(sos).run(y)
        ok, worst = emltest.close(y, ref, case["tol"])
        if not ok:
            bad.append((case["name"], worst, case["tol"]))
    assert not bad, bad


def test_chunks_equal_one_call():
    case = INDEX["cases"][-1]  # A-weighting
    sos = read_floats(case["offset"], case["n_sos"])
    x = signal_values(INDEX["n_samples"])
    whole = array.array("f", x)
    emlearn_iir.new(sos).run(whole)
    f = emlearn_iir.new(sos)
    pos = 0
    for size in (1, 0, 7, 2, 31, 64, 3, 100):
        chunk = array.array("f", x[pos:pos + size])
        f.run(chunk)
        for i in range(len(chunk)):
            assert chunk[i] == whole[pos + i], (pos + i, chunk[i], whole[pos + i])
        pos += len(chunk)
    assert pos == len(x)


def test_reset_restarts():
    case = INDEX["cases"][5]
    sos = read_floats(case["offset"], case["n_sos"])
    x = signal_values(50)
    f = emlearn_iir.new(sos)
    a = array.array("f", x)
    f.run(a)
    f.reset()
    b = array.array("f", x)
    f.run(b)
    assert list(a) == list(b)


def test_int16_saturating():
    case = INDEX["int16"]
    n = INDEX["n_samples"]
    sos = read_floats(case["offset"], case["n_sos"])
    ref = read_floats(case["offset"] + 4 * case["n_sos"], n, "h")
    x = signal_values(n)
    y = array.array("h", [int(round(v * case["scale"])) for v in x])
    emlearn_iir.new(sos).run(y)
    worst = max(abs(y[i] - ref[i]) for i in range(n))
    assert worst <= 1, worst
    # Full-scale square wave through a resonant filter must clip, not wrap.
    f = emlearn_iir.new(array.array("f", [1.9, 0, 0, 1, -1.8, 0.9]))
    sq = array.array("h", [32767] * 20 + [-32768] * 20)
    f.run(sq)
    assert max(sq) == 32767 and min(sq) == -32768
    assert sq[1] == 32767 and sq[30] == -32768


def test_long_signal_in_chunks():
    case = INDEX["long"]
    sos = read_floats(case["offset"], case["n_sos"])
    checkpoints = read_floats(case["offset"] + 4 * case["n_sos"], case["n"] // case["step"])
    f = emlearn_iir.new(sos)
    step = case["step"]
    x = 7
    block = array.array("f", bytes(4 * step))
    worst = 0.0
    for k in range(case["n"] // step):
        for i in range(step):
            x = (75 * x + 74) % 65537
            block[i] = (x - 32768) / 32768.0
        f.run(block)
        worst = max(worst, abs(block[step - 1] - checkpoints[k]))
    assert worst <= case["tol"], (worst, case["tol"])


def test_bad_coefficients():
    new = emlearn_iir.new
    emltest.raises(TypeError, new, array.array("h", [1, 0, 0, 1, 0, 0]))
    emltest.raises(TypeError, new, [1.0, 0, 0, 1, 0, 0])
    emltest.raises(ValueError, new, array.array("f", [1, 0, 0, 1, 0]))
    emltest.raises(ValueError, new, array.array("f"))
    emltest.raises(ValueError, new, array.array("f", [1, 0, 0, 2, 0, 0]))
    emltest.raises(ValueError, new, array.array("f", [1, 0, 0, 1, float("nan"), 0]))
    emltest.raises(ValueError, new, array.array("f", [1, 0, float("inf"), 1, 0, 0]))
    f = new(array.array("f", [1, 0, 0, 1, 0, 0]))
    emltest.raises(TypeError, f.run, array.array("i", [1, 2]))
    emltest.raises(TypeError, f.run, b"\x00\x00")


def test_memory_error_not_crash():
    # 4000 sections: the coefficients (96 kB) fit a 140 kB board's heap, the
    # filter's own copy and state (112 kB) do not. Where memory runs out the
    # error must be MemoryError and the interpreter must go on working.
    try:
        sos = array.array("f", [1, 0, 0, 1, 0, 0] * 4000)
        f = emlearn_iir.new(sos)
        x = array.array("f", [1.0, 2.0])
        f.run(x)
        assert list(x) == [1.0, 2.0]
    except MemoryError:
        pass
    sos = f = None
    f = emlearn_iir.new(array.array("f", [1, 0, 0, 1, -0.5, 0]))
    x = array.array("f", [1.0, 0.0])
    f.run(x)
    assert list(x) == [1.0, 0.5]


emltest.main(globals())
