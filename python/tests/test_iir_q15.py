"""Host helpers of emlearn_mp.iir_q15: sos_to_q15's rounding and choice of post_shift,
scale_sections (same response, intermediate peaks 1), sosfilt_q15 against hand-computed
outputs and against scipy within error_bound, state continuation, emlearn-micropython's
own conversion, the command line, and that error_bound is not vacuous (an input comes
close to it). The device module against sosfilt_q15: tests/micropython/test_iir_q15*.py."""
import types

import numpy as np
import pytest
from scipy import signal

from emlearn_mp import iir_q15

DESIGNS = {
    "butter-lowpass-5Hz-4": signal.butter(4, 5, fs=100, output="sos"),
    "butter-highpass-0.5Hz-2": signal.butter(2, 0.5, btype="highpass", fs=100, output="sos"),
    "cheby1-bandpass-3": signal.cheby1(3, 1, (5, 15), btype="bandpass", fs=100, output="sos"),
    "cheby2-bandstop-2": signal.cheby2(2, 40, (5, 15), btype="bandstop", fs=100, output="sos"),
    "ellip-lowpass-8": signal.ellip(8, 1, 40, 20, fs=100, output="sos"),
    "ellip-highpass-5": signal.ellip(5, 1, 40, 10, btype="highpass", fs=100, output="sos"),
}


def random_int16(n, amplitude, seed=0):
    return np.random.default_rng(seed).integers(-amplitude, amplitude + 1, n).astype(np.int16)


def test_sos_to_q15_rounds_to_the_nearest_step():
    sos = [[0.5, 0.25, 0.1, 1.0, -0.3, 0.2]]
    c, p = iir_q15.sos_to_q15(sos, scale=False)
    # 0.1 * 32768 = 3276.8, 0.3 * 32768 = 9830.4, -0.2 * 32768 = -6553.6; a values negated
    assert (c, p) == ([16384, 0, 8192, 3277, 9830, -6554], 0)
    assert iir_q15.sos_to_q15(sos, 2, scale=False) == ([4096, 0, 2048, 819, 2458, -1638], 2)
    # a0 != 1: the section is normalized first
    assert iir_q15.sos_to_q15(np.array(sos) * 3, scale=False) == (c, p)
    np.testing.assert_allclose(iir_q15.q15_to_sos(c, p), sos, atol=2 ** -16)


@pytest.mark.parametrize("value, post_shift", [(0.999, 0), (-1.0, 0), (1.0, 1), (-1.5, 1), (1.99995, 1), (1.99998, 2),
                                               (2.5, 2), (-4.0, 2), (100.0, 7), (4095.9, 12)])
def test_post_shift_is_the_smallest_that_fits(value, post_shift):
    # post_shift p holds [-2^p, 2^p - 2^(p-15)]
    c, p = iir_q15.sos_to_q15([[value, 0, 0, 1, 0, 0]], scale=False)
    assert p == post_shift
    assert c[0] == round(value * 2 ** (15 - p))


def test_what_does_not_fit_raises():
    with pytest.raises(ValueError):
        iir_q15.sos_to_q15([[4096.0, 0, 0, 1, 0, 0]], scale=False)
    with pytest.raises(ValueError):
        iir_q15.sos_to_q15([[1.0, 0, 0, 1, -1.9, 0.9]], post_shift=0, scale=False)   # a1 1.9 needs 1
    with pytest.raises(ValueError):
        iir_q15.sos_to_q15(DESIGNS["butter-lowpass-5Hz-4"], post_shift=13)
    with pytest.raises(ValueError):
        iir_q15.sos_to_q15(DESIGNS["butter-lowpass-5Hz-4"], post_shift=-1)
    assert iir_q15.sos_to_q15([[1.0, 0, 0, 1, -1.9, 0.9]], post_shift=1, scale=False)[1] == 1


@pytest.mark.parametrize("name", sorted(DESIGNS))
def test_scale_sections_keeps_the_response_and_peaks_1(name):
    sos = DESIGNS[name]
    scaled = iir_q15.scale_sections(sos)
    _, h = signal.sosfreqz(sos, worN=4096)
    _, hs = signal.sosfreqz(scaled, worN=4096)
    np.testing.assert_allclose(hs, h, rtol=0, atol=1e-9)
    for k in range(1, len(sos)):
        _, partial = signal.sosfreqz(scaled[:k], worN=4096)
        assert abs(np.max(np.abs(partial)) - 1) < 1e-9, k


def test_sosfilt_q15_by_hand():
    # y = x + y[n-1] / 2 (8192 is 1, 4096 is 0.5 at post_shift 2): floor, so negative values
    # go further from 0 and settle at -1
    c = [8192, 0, 0, 0, 4096, 0]
    assert iir_q15.sosfilt_q15(c, [1000, 0, 0, 0, 0, 0]).tolist() == [1000, 500, 250, 125, 62, 31]
    assert iir_q15.sosfilt_q15(c, [-1000] + [0] * 11).tolist() == [-1000, -500, -250, -125, -63, -32, -16, -8,
                                                                   -4, -2, -1, -1]
    # FIR y = x - x[n-1] + x[n-2] / 2, and 4 x saturating at both ends
    assert iir_q15.sosfilt_q15([8192, 0, -8192, 4096, 0, 0], [10, 3, -7, 0, 0]).tolist() == [10, -7, -5, 8, -4]
    assert iir_q15.sosfilt_q15([32767, 0, 0, 0, 0, 0], [10000, -10000, 3]).tolist() == [32767, -32768, 11]
    # two sections: each output floored before the next: 7 / 2 -> 3, 3 / 2 -> 1; -7 -> -4 -> -2
    assert iir_q15.sosfilt_q15([4096, 0, 0, 0, 0, 0] * 2, [7, -7]).tolist() == [1, -2]
    # post_shift 0: 32767 is 1 - 2^-15; 12: 1 is 1/8
    assert iir_q15.sosfilt_q15([32767, 0, 0, 0, 0, 0], [32767, -32768, 100], 0).tolist() == [32766, -32767, 99]
    assert iir_q15.sosfilt_q15([1, 0, 0, 0, 0, 0], [32767, -32768, 100], 12).tolist() == [4095, -4096, 12]


def test_sosfilt_q15_refusals():
    with pytest.raises(ValueError):
        iir_q15.sosfilt_q15([8192, 1, 0, 0, 0, 0], [1])        # padding must be 0
    with pytest.raises(ValueError):
        iir_q15.sosfilt_q15([8192, 0, 0, 0, 0], [1])           # 6 per section
    with pytest.raises(ValueError):
        iir_q15.sosfilt_q15([40000, 0, 0, 0, 0, 0], [1])       # int16
    with pytest.raises(ValueError):
        iir_q15.sosfilt_q15([8192, 0, 0, 0, 0, 0], [1], 13)
    with pytest.raises(ValueError):
        iir_q15.sosfilt_q15([8192, 0, 0, 0, 0, 0], [32768])


@pytest.mark.parametrize("name", sorted(DESIGNS))
@pytest.mark.parametrize("scale,feedback", [(True, False), (False, False), (True, True)])
def test_sosfilt_q15_within_error_bound_of_scipy(name, scale, feedback):
    c, p = iir_q15.sos_to_q15(DESIGNS[name], scale=scale)
    x = random_int16(3000, 8000)
    y = iir_q15.sosfilt_q15(c, x, p, error_feedback=feedback)
    assert np.all(np.abs(y.astype(int)) < 32767)     # no saturation at the output (nor, here, inside)
    exact = signal.sosfilt(iir_q15.q15_to_sos(c, p), x.astype(np.float64))
    bound = iir_q15.error_bound(c, p, len(x), feedback)
    assert np.max(np.abs(y - exact)) <= bound


@pytest.mark.parametrize("feedback", [False, True])
def test_state_continues_the_signal(feedback):
    c, p = iir_q15.sos_to_q15(DESIGNS["ellip-lowpass-8"])
    x = random_int16(500, 20000, seed=3)
    whole = iir_q15.sosfilt_q15(c, x, p, error_feedback=feedback)
    state = np.zeros((len(c) // 6, 5), dtype=np.int64)
    parts = [iir_q15.sosfilt_q15(c, x[a:b], p, state, feedback) for a, b in ((0, 1), (1, 1), (1, 170), (170, 500))]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


def test_error_feedback_by_hand():
    # y = x / 64 + 63/64 y[n-1] at post_shift 0 on a constant 1000: the floors stop
    # CMSIS-DSP's arithmetic at 937 (512000 - 512 y < 32768); the remainders carried
    # into the next sums take it to 1000
    c = [512, 0, 0, 0, 32256, 0]
    x = np.full(2000, 1000)
    assert iir_q15.sosfilt_q15(c, x, 0)[-1] == 937
    assert iir_q15.sosfilt_q15(c, x, 0, error_feedback=True)[-1] == 1000
    # the first samples by hand: acc = 512000 + 32256 y[n-1] + r[n-1]
    # n=0: 512000 -> y 15, r 20480; n=1: 512000 + 483840 + 20480 = 1016320 -> y 31, r 512
    assert iir_q15.sosfilt_q15(c, [1000, 1000], 0, error_feedback=True).tolist() == [15, 31]
    assert iir_q15.sosfilt_q15(c, [1000, 1000], 0).tolist() == [15, 30]


def test_error_feedback_on_near_dc_poles():
    # a 0.5 Hz highpass at fs 100 (gravity removal): the floors' bias, times the
    # section's DC gain, is hundreds of steps; with error feedback, a few
    sos = signal.butter(2, 0.5, btype="highpass", fs=100, output="sos")
    c, p = iir_q15.sos_to_q15(sos)
    x = random_int16(4000, 8000, seed=2)
    ideal = signal.sosfilt(sos, x.astype(np.float64))
    assert np.max(np.abs(iir_q15.sosfilt_q15(c, x, p) - ideal)) > 400
    assert np.max(np.abs(iir_q15.sosfilt_q15(c, x, p, error_feedback=True) - ideal)) < 20
    assert iir_q15.error_bound(c, p, len(x), True) < iir_q15.error_bound(c, p, len(x)) / 20


def test_emlearn_micropython_q15():
    # emlearn-micropython's convert_coefficients: value * 8191, truncated toward 0, a negated
    sos = [[0.1, 0.2, 0.1, 1.0, -1.5, 0.6], [1.0, -2.0, 1.0, 1.0, 0.25, -0.123]]
    assert iir_q15.emlearn_micropython_q15(sos) == [819, 0, 1638, 819, 12286, -4914,
                                                    8191, 0, -16382, 8191, -2047, 1007]
    # on a narrow lowpass, truncation keeps few bits (b0 = 3 for 0.000417) and the
    # unscaled cascade amplifies the floors: a constant 1000 comes out as 638 (877.5 in
    # exact arithmetic, within error_bound); sos_to_q15's coefficients give 986
    c = iir_q15.emlearn_micropython_q15(DESIGNS["butter-lowpass-5Hz-4"])
    assert c[:6] == [3, 0, 6, 3, 12120, -4552]
    x = np.full(2000, 1000)
    exact = signal.sosfilt(iir_q15.q15_to_sos(c, 2), x)
    assert abs(iir_q15.sosfilt_q15(c, x, 2)[-1] - exact[-1]) <= iir_q15.error_bound(c, 2, len(x))
    assert iir_q15.sosfilt_q15(c, x, 2)[-1] == 638 and abs(exact[-1] - 877.5) < 0.1
    c, p = iir_q15.sos_to_q15(DESIGNS["butter-lowpass-5Hz-4"])
    assert iir_q15.sosfilt_q15(c, x, p)[-1] == 986


def run_cli(capsys, argv, feedback=False):
    iir_q15.main(argv)
    code = capsys.readouterr().out
    made = []
    fake = types.SimpleNamespace(new=lambda c, p, error_feedback=False: made.append((list(c), p, error_feedback)))
    exec(code, {"array": __import__("array"), "emlearn_iir_q15": fake})
    assert made[0][2] == feedback
    return made[0][:2]


def test_cli_prints_the_coefficients(capsys):
    assert run_cli(capsys, ["butter", "4", "5", "--fs", "100"]) == iir_q15.sos_to_q15(DESIGNS["butter-lowpass-5Hz-4"])
    sos = signal.cheby1(3, 1, (5, 15), btype="bandpass", fs=100, output="sos")
    assert run_cli(capsys, ["cheby1", "3", "5", "15", "--btype", "bandpass", "--fs", "100"]) == iir_q15.sos_to_q15(sos)
    sos = signal.ellip(2, 0.5, 30, 0.2, output="sos")
    assert run_cli(capsys, ["ellip", "2", "0.2", "--rp", "0.5", "--rs", "30", "--post-shift", "3"]) == \
        iir_q15.sos_to_q15(sos, 3)
    sos = signal.butter(2, 0.5, btype="highpass", fs=100, output="sos")
    assert run_cli(capsys, ["butter", "2", "0.5", "--btype", "highpass", "--fs", "100", "--error-feedback"],
                   feedback=True) == iir_q15.sos_to_q15(sos)


def test_error_bound_is_reached_closely():
    # y = x + y[n-1] / 2: every floor loses at most 1/2 here (x + y/2 is whole or half),
    # the bound counts 1 through the feedback's L1 norm 2: a constant 1 loses 1/2 each time
    c = [8192, 0, 0, 0, 4096, 0]
    x = np.ones(40, dtype=np.int16)
    error = np.max(np.abs(iir_q15.sosfilt_q15(c, x) - signal.sosfilt(iir_q15.q15_to_sos(c, 2), x)))
    bound = iir_q15.error_bound(c, 2, len(x))
    assert abs(bound - 2) < 1e-9 and error > 0.99
    # a first-order lowpass on random input: the floors' errors spread over (-1, 0]
    c, p = iir_q15.sos_to_q15(signal.butter(1, 5, fs=100, output="sos"))
    x = random_int16(20000, 8000, seed=1)
    error = np.max(np.abs(iir_q15.sosfilt_q15(c, x, p) - signal.sosfilt(iir_q15.q15_to_sos(c, p), x)))
    bound = iir_q15.error_bound(c, p, len(x))
    assert 0.3 * bound <= error <= bound, (error, bound)
