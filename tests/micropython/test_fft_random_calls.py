# emlearn_fft under seeded random calls: lengths of every kind, arrays of every typecode
# and length (often the front of a larger array whose rest is checked), memoryviews,
# numbers, the same array twice, objects kept alive across other calls' failures. A call
# may only succeed or raise TypeError, ValueError or MemoryError, must never write past
# the arrays it was given, and a reference transform must keep giving the same output.
# (test_fft.py checks each refusal and the results.)
# needs: random_args.py
import array
import random
import emlearn_fft
import emltest
from random_args import anything, chance, number, pick, run_calls

REFUSALS = (TypeError, ValueError, MemoryError)
LENGTHS = (1, 2, 4, 8, 16)


def reference_output(fft):
    re = array.array("f", [1.0, -2.0, 0.5, 3.0, 0.0, 1.0, -1.0, 2.0])
    im = array.array("f", [0.0, 1.0, 0.0, -1.0, 2.0, 0.0, 0.5, 0.0])
    fft.run(re, im)
    return list(re) + list(im)


def length():
    return pick(LENGTHS) if chance(70) else number()


def test_random_calls():
    random.seed(5)
    reference = emlearn_fft.FFT(8)
    expected = reference_output(reference)
    ffts = []

    def size(n):
        """Mostly the object's own length n (or n / 2 for tables), else any."""
        return n if chance(80) else pick(LENGTHS)

    def step(guards):
        op = random.getrandbits(3)
        if op == 0 or not ffts:
            del ffts[:-5]  # keep a few alive across the calls that follow
            n = length() if chance(90) else anything()
            ffts.append((emlearn_fft.FFT(n), n))
            return
        fft, n = pick(ffts)
        if op == 1:
            fft.fill(guards("f", size(n) // 2) if chance(85) else anything(),
                     guards("f", size(n) // 2) if chance(85) else anything())
        elif op == 2:
            emlearn_fft.fill(fft if chance(80) else anything(), size(n) if chance(80) else length())
        elif op == 3:
            same = guards("f", n)
            fft.run(same, same)
        else:
            fft.run(guards("f", size(n)) if chance(90) else anything(),
                    guards("f", size(n)) if chance(90) else anything())

    def check():
        assert reference_output(reference) == expected, "reference transform changed"

    succeeded, refused = run_calls(step, REFUSALS, 1500, check)
    assert succeeded > 300 and refused > 300, (succeeded, refused)


emltest.main(globals())
