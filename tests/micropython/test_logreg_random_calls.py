# emlearn_logreg under seeded random calls: sizes and arguments of every kind, arrays of
# every typecode and length (the outputs often the front of a larger array whose rest is
# checked), memoryviews, bytes, numbers, models kept alive across other calls' failures.
# A call may only succeed or raise TypeError, ValueError or MemoryError, must never write
# past the arrays it was given, and a reference model must keep giving the same results.
# (test_logreg.py checks each refusal and the results.)
# needs: random_args.py
import array
import random
import emlearn_logreg
import emltest
from random_args import FLOATS, anything, chance, number, pick, run_calls

REFUSALS = (TypeError, ValueError, MemoryError)
SIZES = (1, 2, 3, 5)


def reference_results(model):
    p = array.array("f", [0, 0, 0])
    c = model.predict(array.array("f", [1, -2]), p)
    return [c] + list(p) + list(model.get_bias())


def values(n):
    """n floats, mostly small integers, sometimes any float."""
    return array.array("f", [pick(FLOATS) if chance(3) else random.getrandbits(5) - 16.0 for _ in range(n)])


def targets(rows, k):
    """Labels of some kind, mostly valid, or one-hot rows, or anything."""
    r = random.getrandbits(3)
    if r == 0:
        return anything()
    if r == 1:
        return values(rows * k)
    labels = [random.getrandbits(2) % (k + (1 if chance(5) else 0)) for _ in range(rows)]
    if r == 2:
        return array.array(pick("hHB"), labels)
    return bytes(labels) if chance(50) else bytearray(labels)


def test_random_calls():
    random.seed(7)
    reference = emlearn_logreg.new(2, 3, 0.1, 0.01, 0.0)
    reference.fit(array.array("f", [1, 2, 3, 2, 0, 1, 5, 1, 1, 0, 4, 2]), bytes([0, 1, 2, 1, 0, 2]))
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
            args = [size(), pick((2, 3, 4)) if chance(85) else number(), setting(), setting(), setting()]
            models.append((emlearn_logreg.new(*args), args[0], args[1]))
            return
        model, nf, k = pick(models)
        rows = pick((1, 2, 3, 7))
        n = nf if chance(85) else pick(SIZES)
        X = values(n * rows) if chance(90) else anything()
        y = targets(rows, k)
        if op == 1:
            model.fit(X, y, max_iter=pick((1, 5, 50)) if chance(90) else number(),
                      tol=pick((1e-4, 1e-9)) if chance(90) else number(), warm_start=chance(50))
        elif op == 2:
            emlearn_logreg.train(model if chance(95) else anything(), X, y,
                                 max_iterations=pick((1, 5, 30)) if chance(90) else number(),
                                 check_interval=pick((1, 5)) if chance(90) else number(),
                                 score_limit=None if chance(70) else number())
        elif op == 3:
            if chance(50):
                model.step(X, y)
            else:
                model.step(X, y, *[guards("f", k) if chance(90) else anything() for _ in range(3)])
        elif op == 4:
            model.predict(values(n) if chance(90) else anything(),
                          *[guards("f", k) if chance(90) else anything() for _ in range(random.getrandbits(2) % 3)])
        elif op == 5:
            emlearn_logreg.train_batches(model, lambda: iter([(X, y)] * random.getrandbits(2)),
                                         max_iterations=pick((1, 3)) if chance(90) else number(),
                                         check_interval=1, score_batches=None if chance(50) else
                                         (lambda m: m.score_logloss(X, y)))
        elif op == 6:
            if chance(50):
                model.score_logloss(X, y)
            else:
                model.score_logloss(X, y, guards("f", k) if chance(90) else anything(), guards("f", k))
        else:
            r = random.getrandbits(2)
            if r == 0:
                model.get_weights(guards("f", n * k) if chance(90) else anything())
            elif r == 1:
                model.set_weights(values(n * k) if chance(90) else anything())
            elif r == 2:
                model.set_bias(values(k) if chance(90) else anything())
            else:
                model.get_bias(guards("f", k) if chance(90) else anything())

    def check():
        assert reference_results(reference) == expected, "reference model changed"

    succeeded, refused = run_calls(step, REFUSALS, 1200, check)
    assert succeeded > 250 and refused > 200, (succeeded, refused)


emltest.main(globals())
