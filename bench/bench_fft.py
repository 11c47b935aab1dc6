# emlearn_fft against a pure-MicroPython FFT: 256 points of a real signal (imaginary
# parts zero, which the module transforms as 128 complex points), in place; and the
# module on a complex signal. Each is timed reloading its input before each transform
# (an in-place FFT run on its own output grows it past float range), the same array copy
# for all.
import array
import math
import micropython
import emlearn_fft
import timing

N = 256


@micropython.native
def python_fft(re, im, sin_table, cos_table):
    # The in-place radix-2 FFT one writes in MicroPython: bit reversal, then
    # log2(n) stages of butterflies, with precomputed twiddle tables (as
    # emlearn-micropython's pure-Python comparison does).
    n = len(re)
    j = 0
    for i in range(n - 1):
        if i < j:
            re[i], re[j] = re[j], re[i]
            im[i], im[j] = im[j], im[i]
        bit = n >> 1
        while j & bit:
            j ^= bit
            bit >>= 1
        j |= bit
    size = 2
    while size <= n:
        half = size >> 1
        step = n // size
        for start in range(0, n, size):
            k = 0
            for a in range(start, start + half):
                b = a + half
                c = cos_table[k]
                s = sin_table[k]
                tr = re[b] * c + im[b] * s
                ti = im[b] * c - re[b] * s
                re[b] = re[a] - tr
                im[b] = im[a] - ti
                re[a] += tr
                im[a] += ti
                k += step
        size <<= 1


def main():
    x = 1
    source = array.array("f", bytes(4 * N))
    for i in range(N):
        x = (75 * x + 74) % 65537
        source[i] = math.sin(0.3 * i) + (x - 32768) / 65536.0
    zeros = array.array("f", bytes(4 * N))
    re, im = array.array("f", source), array.array("f", zeros)

    fft = emlearn_fft.FFT(N)
    run = fft.run

    def module_job(re, im):
        re[:] = source
        im[:] = zeros
        run(re, im)

    sin_table = array.array("f", [math.sin(2 * math.pi * k / N) for k in range(N // 2)])
    cos_table = array.array("f", [math.cos(2 * math.pi * k / N) for k in range(N // 2)])

    def python_job(re, im):
        re[:] = source
        im[:] = zeros
        python_fft(re, im, sin_table, cos_table)

    on_host = timing.UNIT == "us"
    module = timing.measure(module_job, 2000 if on_host else 10, (re, im))
    module_out = list(re) + list(im)

    def complex_job(re, im):
        re[:] = source
        im[:] = source
        run(re, im)

    module_complex = timing.measure(complex_job, 2000 if on_host else 10, (re, im))
    python = timing.measure(python_job, 20 if on_host else 1, (re, im))
    worst = max(abs(a - b) for a, b in zip(module_out, list(re) + list(im)))
    print("unit", timing.UNIT)
    print("n", N)
    print("module_per_call", module)
    print("module_complex_per_call", module_complex)
    print("python_per_call", python)
    print("speedup", python / module)
    print("max_difference", worst)


main()
