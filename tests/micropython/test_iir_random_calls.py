# emlearn_iir under seeded random calls: coefficient arrays of every typecode and length
# (and non-finite or a0 != 1 values), samples of every typecode, memoryviews, numbers,
# filters kept alive across other calls' failures. A call may only succeed or raise
# TypeError, ValueError or MemoryError, must never write past the samples it was given
# (often the front of a larger array whose rest is checked), and a reference filter
# must keep giving the same output. (test_iir.py checks each refusal and the results.)
# needs: random_args.py
import array
import random
import emlearn_iir
import emltest
from random_args import anything, pick, run_calls

REFUSALS = (TypeError, ValueError, MemoryError)
SECTION = [0.2, 0.4, 0.2, 1.0, -0.5, 0.1]  # b0, b1, b2, a0, a1, a2


def coefficients():
    """Mostly valid sections, sometimes with one value spoiled or cut short."""
    values = []
    for _ in range(1 + random.getrandbits(2)):
        values += [v * (0.5 + random.getrandbits(8) / 256) if k != 3 else v for k, v in enumerate(SECTION)]
    if not random.getrandbits(2):
        values[random.getrandbits(8) % len(values)] = pick((float("nan"), float("inf"), 2.0, 0.0))
    if not random.getrandbits(2):
        values = values[:random.getrandbits(8) % (len(values) + 1)]
    return array.array("f", values)


def reference_output(f):
    f.reset()
    x = array.array("f", [1.0, 0.0, 0.0, -2.0, 0.5])
    f.run(x)
    return list(x)


def test_random_calls():
    random.seed(4)
    reference = emlearn_iir.new(array.array("f", SECTION))
    expected = reference_output(reference)
    filters = []

    def step(guards):
        op = random.getrandbits(2)
        if op == 0 or not filters:
            del filters[:-5]  # keep a few alive across the calls that follow
            filters.append(emlearn_iir.new(coefficients() if random.getrandbits(2) else anything()))
        elif op == 1 and not random.getrandbits(2):
            pick(filters).reset()
        else:
            samples = guards(pick("fh"), random.getrandbits(4))
            pick(filters).run(samples if random.getrandbits(2) else anything())

    def check():
        assert reference_output(reference) == expected, "reference filter changed"

    succeeded, refused = run_calls(step, REFUSALS, 1500, check)
    assert succeeded > 300 and refused > 300, (succeeded, refused)


emltest.main(globals())
