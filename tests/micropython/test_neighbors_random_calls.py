# emlearn_neighbors under seeded random calls: capacities and arguments of every kind,
# arrays of every typecode and length (the outputs often the front of a larger array
# whose rest is checked), memoryviews, numbers, models kept alive across other calls'
# failures. A call may only succeed or raise TypeError, ValueError or MemoryError, must
# never write past the arrays it was given, and a reference model must keep giving the
# same results. (test_neighbors.py checks each refusal and the results.)
# needs: random_args.py
import array
import random
import emlearn_neighbors
import emltest
from random_args import anything, chance, number, pick, run_calls

REFUSALS = (TypeError, ValueError, MemoryError)
SIZES = (1, 2, 3, 5, 8)


def reference_results(model):
    label = model.predict(array.array("h", [3, -4, 5]))
    return [label] + [model.getresult(r) for r in range(6)]


def values(n):
    return array.array("h", [random.getrandbits(16) - 32768 for _ in range(n)])


def test_random_calls():
    random.seed(11)
    reference = emlearn_neighbors.new(6, 3, 3)
    for i in range(6):
        reference.additem(array.array("h", [i * 7, -i * 5, i * i]), i % 2 - 1)
    expected = reference_results(reference)
    models = []

    def size():
        return pick(SIZES) if chance(85) else number()

    def step(guards):
        op = random.getrandbits(3)
        if op == 0 or not models:
            del models[:-4]  # keep a few alive across the calls that follow
            args = [size(), size(), size()] if chance(90) else [anything(), size(), size()]
            models.append((emlearn_neighbors.new(*args), args[1]))
            return
        model, nf = pick(models)
        n = nf if chance(85) and isinstance(nf, int) and 0 < nf < 100 else pick(SIZES)
        if op in (1, 2):
            model.additem(values(n) if chance(90) else anything(), number() if chance(20) else 1)
        elif op == 3:
            m = random.getrandbits(2)
            model.additems(values(m * n) if chance(90) else anything(),
                           values(m) if chance(90) else anything())
        elif op == 4:
            model.getitem(random.getrandbits(3) if chance(80) else number(),
                          guards("h", n) if chance(90) else anything())
        elif op == 5:
            model.predict(values(n) if chance(90) else anything())
        else:
            model.getresult(random.getrandbits(3) if chance(80) else number())

    def check():
        assert reference_results(reference) == expected, "reference model changed"

    succeeded, refused = run_calls(step, REFUSALS, 1500, check)
    assert succeeded > 300 and refused > 300, (succeeded, refused)


emltest.main(globals())
