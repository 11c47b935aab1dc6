# emlearn_iir_q15 against the same filter in pure MicroPython and in emlearn_iir (float
# arithmetic on the same int16 samples): 6th-order Butterworth lowpass, 10 Hz at 100 Hz
# (3 sections), 2000 int16 samples.
import array
import micropython
import emlearn_iir
import emlearn_iir_q15
import timing

# scipy.signal.butter(6, 10, fs=100, output="sos"), as float32 for emlearn_iir ...
SOS = array.array("f", [
    0.00034053766285069287, 0.0006810753257013857, 0.00034053766285069287, 1.0, -1.032069444656372, 0.2757079303264618,
    1.0, 2.0, 1.0, 1.0, -1.1429804563522339, 0.412801593542099,
    1.0, 2.0, 1.0, 1.0, -1.4043848514556885, 0.7359151840209961,
])
# ... and through emlearn_mp.iir_q15.sos_to_q15 (gain spread over the sections).
Q15 = array.array("h", [998, 0, 1996, 998, 16909, -4517, 1105, 0, 2210, 1105, 18727, -6763,
                        1358, 0, 2716, 1358, 23009, -12057])
POST_SHIFT = 1
N = 2000


@micropython.native
def python_iir_q15(coefficients, state, values, shift):
    # The same arithmetic, written plainly: one section over the block at a time.
    for s in range(len(coefficients) // 6):
        b0, _, b1, b2, a1, a2 = coefficients[s * 6:s * 6 + 6]
        x1, x2, y1, y2 = state[s * 4:s * 4 + 4]
        for i in range(len(values)):
            x = values[i]
            y = (b0 * x + b1 * x1 + b2 * x2 + a1 * y1 + a2 * y2) >> shift
            y = 32767 if y > 32767 else -32768 if y < -32768 else y
            values[i] = y
            x2, x1, y2, y1 = x1, x, y1, y
        state[s * 4:s * 4 + 4] = array.array("h", (x1, x2, y1, y2))


def main():
    x = 1
    signal = array.array("h", bytes(2 * N))
    for i in range(N):
        x = (75 * x + 74) % 65537
        signal[i] = (x - 32768) // 4
    repeat = 20 if timing.UNIT == "us" else 3
    f = emlearn_iir_q15.new(Q15, POST_SHIFT)
    buf = array.array("h", signal)
    module = timing.measure(lambda: f.run(buf), repeat)
    f = emlearn_iir_q15.new(Q15, POST_SHIFT, error_feedback=True)
    buf = array.array("h", signal)
    feedback = timing.measure(lambda: f.run(buf), repeat)
    g = emlearn_iir.new(SOS)
    buf = array.array("h", signal)
    float_module = timing.measure(lambda: g.run(buf), repeat)
    state = array.array("h", bytes(2 * 12))
    buf = array.array("h", signal)
    python = timing.measure(lambda: python_iir_q15(Q15, state, buf, 15 - POST_SHIFT), 2 if timing.UNIT == "us" else 1)
    # the module and the plain code agree on a fresh filter
    a = array.array("h", signal[:200])
    emlearn_iir_q15.new(Q15, POST_SHIFT).run(a)
    b = array.array("h", signal[:200])
    python_iir_q15(Q15, array.array("h", bytes(24)), b, 15 - POST_SHIFT)
    print("unit", timing.UNIT)
    print("agree", "yes" if a == b else "NO")
    print("module_per_call", module)
    print("float_module_per_call", float_module)
    print("python_per_call", python)
    print("module_per_sample", module / N)
    print("float_module_per_sample", float_module / N)
    print("feedback_per_sample", feedback / N)
    print("python_per_sample", python / N)
    print("speedup", python / module)
    print("float_ratio", float_module / module)


main()
