# emlearn_iir against a pure-MicroPython filter: 3-section A-weighting at 16 kHz, 2000 samples.
import array
import micropython
import emlearn_iir
import timing

# scipy: bilinear_zpk of the IEC 61672 A-weighting zpk at fs=16000, zpk2sos, float32
# (tests/reference/iir_cases.py, a_weighting_sos).
SOS = array.array("f", [
    0.5290927886962891, 1.0581855773925781, 0.5290927886962891, 1.0, 0.8215638399124146, 0.16874177753925323,
    1.0, -2.0, 1.0, 1.0, -1.7055096626281738, 0.7159875631332397,
    1.0, -2.0, 1.0, 1.0, -1.98388671875, 0.9839516878128052,
])
N = 2000


@micropython.native
def python_iir(coefficients, state, values):
    # The way emlearn-micropython's benchmark writes it: transposed direct
    # form II, each section's 6 coefficients sliced out per sample.
    n_sections = len(coefficients) // 6
    for i in range(len(values)):
        x = values[i]
        for s in range(n_sections):
            b0, b1, b2, a0, a1, a2 = coefficients[s * 6:s * 6 + 6]
            y = b0 * x + state[s * 2]
            state[s * 2] = b1 * x - a1 * y + state[s * 2 + 1]
            state[s * 2 + 1] = b2 * x - a2 * y
            x = y
        values[i] = x


def main():
    x = 1
    signal = array.array("f", bytes(4 * N))
    for i in range(N):
        x = (75 * x + 74) % 65537
        signal[i] = (x - 32768) / 32768.0
    f = emlearn_iir.new(SOS)
    buf = array.array("f", signal)
    module = timing.measure(lambda: f.run(buf), 20 if timing.UNIT == "us" else 3)
    state = array.array("f", [0.0] * 6)
    buf = array.array("f", signal)
    python = timing.measure(lambda: python_iir(SOS, state, buf), 2 if timing.UNIT == "us" else 1)
    print("unit", timing.UNIT)
    print("module_per_call", module)
    print("python_per_call", python)
    print("module_per_sample", module / N)
    print("speedup", python / module)


main()
