# emlearn_iir_q15 under seeded random calls: coefficient arrays of every typecode and
# length (spoiled padding, full-range values: 64-bit sums, saturation), memoryviews,
# post_shift of every kind (omitted, any int, floats, non-numbers), samples of every
# typecode, filters kept alive across other calls' failures. A call may only succeed
# or raise TypeError, ValueError or MemoryError, must never write past the samples it
# was given (the front of a larger array whose rest is checked), and a reference
# filter must keep its output. Every successful run equals Model, the module's
# arithmetic in Python (as emlearn_mp.iir_q15.sosfilt_q15, with or without error
# feedback), bit for bit, and
# changing the coefficients' array after new does not change the filter.
# (test_iir_q15.py checks each refusal and the results against scipy.)
# needs: random_args.py
import array
import random
import emlearn_iir_q15
import emltest
from random_args import anything, chance, number, pick, run_calls

REFUSALS = (TypeError, ValueError, MemoryError)
SECTION = [4096, 0, 8192, 4096, 12000, -6000]  # b0, 0, b1, b2, a1, a2


class Model:
    def __init__(self, coefficients, post_shift, feedback):
        self.c = list(coefficients)
        self.shift = 15 - post_shift
        self.feedback = bool(feedback)
        self.reset()

    def reset(self):
        self.state = [(0, 0, 0, 0, 0)] * (len(self.c) // 6)

    def run(self, x):
        y = list(x)
        for k in range(len(self.state)):
            b0, _, b1, b2, a1, a2 = self.c[6 * k:6 * k + 6]
            x1, x2, y1, y2, r = self.state[k]
            for i in range(len(y)):
                acc = b0 * y[i] + b1 * x1 + b2 * x2 + a1 * y1 + a2 * y2 + (r if self.feedback else 0)
                out = acc >> self.shift
                r = acc - (out << self.shift)
                out = -32768 if out < -32768 else 32767 if out > 32767 else out
                x2, x1, y2, y1 = x1, y[i], y1, out
                y[i] = out
            self.state[k] = (x1, x2, y1, y2, r)
        return y


def coefficients():
    """Mostly valid sections (SECTION scaled 0.5 to 1.5, or any int16 values),
    sometimes a padding value spoiled or the array cut short, of typecode 'h'
    mostly; sometimes a memoryview."""
    values = []
    for _ in range(1 + random.getrandbits(2)):
        if chance(20):
            values += [0 if k == 1 else random.getrandbits(16) - 32768 for k in range(6)]
        else:
            values += [v * (128 + random.getrandbits(8)) // 256 for v in SECTION]
    if chance(20):
        values[6 * random.getrandbits(2) % len(values) + 1] = pick((1, -1, 32767, -32768))
    if chance(20):
        values = values[:random.getrandbits(8) % (len(values) + 1)]
    typecode = pick("hhhhhhHbif")
    if typecode in "Hb":
        values = [v & 127 for v in values]
    c = array.array(typecode, values)
    return memoryview(c) if chance(20) else c


def post_shift():
    return pick((-1, 0, 1, 2, 3, 7, 12, 13, True)) if chance(70) else number()


def reference_output(f):
    f.reset()
    x = array.array("h", [1000, 0, 0, -2000, 32767, -32768, 5])
    f.run(x)
    return list(x)


def test_random_calls():
    random.seed(5)
    reference = emlearn_iir_q15.new(array.array("h", SECTION), 1)
    expected = reference_output(reference)
    filters = []    # (filter, Model)

    def step(guards):
        op = random.getrandbits(2)
        if op == 0 or not filters:
            del filters[:-5]  # keep a few alive across the calls that follow
            c = coefficients() if chance(80) else anything()
            p = post_shift()
            feedback = False
            if chance(30):
                f, p = emlearn_iir_q15.new(c), 2
            elif chance(50):
                f = emlearn_iir_q15.new(c, p)
            else:
                feedback = pick((True, False, 1, 0, None, "x", []))    # any object, by its truth
                f = emlearn_iir_q15.new(c, p, error_feedback=feedback)
            filters.append((f, Model(c, int(p), feedback)))
            for i in range(len(c)):
                c[i] = 99   # the filter holds a copy
        elif op == 1 and chance(25):
            f, model = pick(filters)
            f.reset()
            model.reset()
        else:
            typecode = pick("hhhhfHbi")
            samples = guards(typecode, random.getrandbits(4))
            if typecode == "h":
                for i in range(len(samples)):
                    samples[i] = random.getrandbits(16) - 32768 if chance(50) else random.getrandbits(10) - 512
            if chance(20):
                samples = anything()
            f, model = pick(filters)
            before = list(samples) if isinstance(samples, (array.array, memoryview)) else None
            f.run(samples)
            got = list(samples)
            want = model.run(before)
            assert got == want, ("differs from the model", model.c, model.shift, before, got, want)

    def check():
        assert reference_output(reference) == expected, "reference filter changed"

    succeeded, refused = run_calls(step, REFUSALS, 1500, check)
    assert succeeded > 300 and refused > 300, (succeeded, refused)


emltest.main(globals())
