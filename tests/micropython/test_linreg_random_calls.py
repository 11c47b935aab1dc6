# emlearn_linreg under seeded random calls: sizes and arguments of every kind, arrays of
# every typecode and length (the outputs often the front of a larger array whose rest is
# checked), memoryviews, numbers, models kept alive across other calls' failures. A call
# may only succeed or raise TypeError, ValueError or MemoryError, must never write past
# the arrays it was given, and a reference model must keep giving the same results.
# (test_linreg.py checks each refusal and the results.)
# needs: random_args.py
import array
import random
import emlearn_linreg
import emltest
from random_args import FLOATS, anything, chance, number, pick, run_calls

REFUSALS = (TypeError, ValueError, MemoryError)
SIZES = (1, 2, 3, 5)


def reference_results(model):
    out = array.array("f", [0, 0])
    model.predict(array.array("f", [1, -2, 3, 0.5, 0, 4]), out)
    return list(out) + [model.get_bias()]


def values(n):
    """n floats, mostly small integers, sometimes any float."""
    return array.array("f", [pick(FLOATS) if chance(3) else random.getrandbits(5) - 16.0 for _ in range(n)])


def test_random_calls():
    random.seed(5)
    reference = emlearn_linreg.new(3, 0.1, 0.5, 0.0)
    reference.fit(array.array("f", [1, 2, 3, 2, 0, 1, 5, 1, 1, 0, 4, 2]), array.array("f", [1, 2, 3, 4]))
    expected = reference_results(reference)
    models = []

    def size():
        return pick(SIZES) if chance(85) else number()

    def setting():
        return pick((0.0, 0.01, 0.5, 1.0)) if chance(85) else number()

    def step(guards):
        op = random.getrandbits(3)
        if op == 0 or not models:
            del models[:-4]  # keep a few alive across the calls that follow
            args = [size(), setting(), setting(), setting()]
            models.append((emlearn_linreg.new(*args), args[0]))
            return
        model, nf = pick(models)
        rows = pick((1, 2, 3, 7))
        n = nf if chance(85) else pick(SIZES)
        X = values(n * rows) if chance(90) else anything()
        y = values(rows) if chance(90) else anything()
        if op == 1:
            model.fit(X, y, max_iter=pick((1, 5, 50)) if chance(90) else number(),
                      tol=pick((1e-4, 1e-9)) if chance(90) else number(), warm_start=chance(50))
        elif op == 2:
            emlearn_linreg.train(model if chance(95) else anything(), X, y,
                                 max_iterations=pick((1, 5, 30)) if chance(90) else number(),
                                 check_interval=pick((1, 10)) if chance(90) else number(),
                                 score_limit=None if chance(70) else number())
        elif op == 3:
            model.step(X, y)
        elif op == 4:
            model.predict(values(n) if chance(90) else anything())
        elif op == 5:
            model.predict(X, guards("f", rows) if chance(90) else anything())
        elif op == 6:
            model.score_mse(X, y)
        else:
            if chance(50):
                model.get_weights(guards("f", n) if chance(90) else anything())
            else:
                model.set_weights(values(n) if chance(90) else anything())
                model.set_bias(number())

    def check():
        assert reference_results(reference) == expected, "reference model changed"

    succeeded, refused = run_calls(step, REFUSALS, 1200, check)
    assert succeeded > 300 and refused > 200, (succeeded, refused)


emltest.main(globals())
