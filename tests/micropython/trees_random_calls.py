# Shared by test_trees_random_calls.py and test_trees_lite_random_calls.py:
# seeded random sequences of calls into the module, with valid, damaged and
# wrong-typed arguments, checking that bad input never crashes or corrupts the
# interpreter. The targeted tests (test_trees_models.py, test_trees_load.py)
# check each refusal's exception and message; this one finds what they did not
# think of: argument combinations, models damaged after conversion, models
# kept alive across other models' failures.
#
# A call may succeed or raise one of REFUSALS. Anything else fails the test,
# and so does a change in what reference models predict for reference rows
# (read again after every few calls: a write through a bad length or index
# lands in the heap that holds them) or a crash of the interpreter.
import array
import io
import json
import random
from random_args import anything, chance, number, pick, run_calls
from trees_check import KIND_VALUES, XOR_CSV

REFUSALS = (TypeError, ValueError, MemoryError, OSError)

# Case files of tests/reference/trees_cases.py small enough for a board: random
# forest classifiers and regressors in both layouts and threshold types, fed rows
# of either input type, and histogram gradient boosting and XGBoost with NaN checks.
CASE_FILES = ("trees_layout", "trees_missing")


def read_models(names):
    """[(model bytes, its first test row)] of every case in the named files."""
    found = []
    for name in names:
        f = open(name + ".bin", "rb")
        for case in json.load(open(name + ".json")):
            f.seek(case["model"][0])
            data = f.read(case["model"][1])
            offset, typecode, _, n_features = case["rows"]
            row = array.array(typecode, bytes(n_features * (4 if typecode == "f" else 2)))
            f.seek(offset)
            f.readinto(row)
            found.append((data, row))
        f.close()
    return found


class Caller:
    def __init__(self, trees, files, valid, seed):
        self.trees = trees
        self.files = files
        self.valid = valid  # models that load: half of the predict calls use them
        random.seed(seed)
        self.models = []

    def damaged(self):
        """A valid model with a few bytes changed, cut or added, as bytes
        (used in place), bytearray (copied) or memoryview (aligned or not)."""
        b = bytearray(pick(self.files)[0])
        for _ in range(random.getrandbits(2)):
            op = random.getrandbits(2)
            if op == 0:
                b[random.getrandbits(16) % len(b)] = random.getrandbits(8)
            elif op == 1:
                b = b[:random.getrandbits(16) % (len(b) + 1)]
            elif op == 2:
                b += bytes(random.getrandbits(8) for _ in range(1 + random.getrandbits(3)))
            elif len(b) > 4:
                i = random.getrandbits(16) % (len(b) - 2)
                b[i] = b[i + 1] = 0xff
            if not b:
                break
        kind = random.getrandbits(2)
        if kind == 0:
            return bytes(b)
        if kind == 1:
            return b
        if kind == 2:
            return memoryview(b)[random.getrandbits(2):]
        return memoryview(bytes(b))

    def anything(self):
        """Any argument of random_args, a damaged model or a model object."""
        if self.models and chance(10):
            return pick(self.models)
        return self.damaged() if chance(10) else anything()

    def csv(self):
        """XOR_CSV with some fields replaced, lines dropped or lines added."""
        lines = []
        for line in XOR_CSV.split("\n"):
            if chance(15):
                fields = line.split(",")
                fields[random.getrandbits(8) % len(fields)] = pick(
                    ("", "-1", "99999", "1e40", "nan", "x", "3.5", "2147483648", "-0"))
                line = ",".join(fields)
            if not chance(5):
                lines.append(line)
            if chance(5):
                lines.append(pick(("f,0", "c,0", "lb,8", "lb,32", "r,", "n,1,2", "l,")))
        return io.StringIO("\n".join(lines))

    def rows_for(self, model, guards):
        """Inputs and outputs for predict, mostly of fitting sizes; the
        outputs are mostly guarded."""
        n_features, n_outputs = model.features(), model.outputs()
        n_rows = pick((1, 1, 2, 3))
        typecode = pick("hf")
        n = n_features * n_rows + pick((0, 0, 0, 1, -1))
        if typecode == "h":
            x = array.array("h", [pick((0, 1, -1, 100, -32768, 32767)) for _ in range(n)])
        else:
            x = array.array("f", [pick((0.0, 1.5, 3.0, float("nan"), float("inf"), -1e38))
                                  for _ in range(n)])
        per_row = pick("ffh")
        size = max(0, (n_outputs if per_row == "f" else 1) * n_rows + pick((0, 0, 1, -1, -1)))
        if chance(70):
            out = guards(per_row, size)
        else:
            out = array.array(per_row, bytes(size * (4 if per_row == "f" else 2)))
        return pick(((x, out), (x, out), (x,), (memoryview(x), out), (x, x), (x, self.anything())))

    def call(self, guards):
        trees = self.trees
        op = random.getrandbits(4) % 10
        if op <= 2:
            self.models.append(trees.load(self.damaged() if chance(80) else self.anything()))
        elif op == 3:
            model = trees.new(number(), number(), number())
            self.models.append(model)
            if chance(60):
                trees.load_model(model, self.csv())
        elif op == 4 and self.models:
            name, n_args = pick((("setdata", 2), ("addroot", 1), ("addnode", 4), ("addleaf", 1)))
            n_args += pick((0, 0, 0, -1, 1))
            getattr(pick(self.models), name)(
                *[number() if chance(80) else self.anything() for _ in range(n_args)])
        elif self.models:
            model = pick(self.valid if chance(50) else self.models)
            if chance(70):
                # features()/outputs() may refuse an unfinished model
                args = self.rows_for(model, guards)
            else:
                args = tuple(self.anything() for _ in range(random.getrandbits(2)))
            model.predict(*args)
        del self.models[:-8]  # keep a few alive across the calls that follow


def run(trees, n_calls, seed):
    """(calls that succeeded, calls refused). Raises AssertionError on an
    unexpected exception or a changed reference prediction."""
    files = read_models(CASE_FILES)
    reference = []
    for data, row in files:
        if data[5] == KIND_VALUES and not hasattr(trees, "new"):
            continue  # the lite build refuses values models
        model = trees.load(data)
        expected = array.array("f", bytes(4 * model.outputs()))
        cls = model.predict(row, expected)
        reference.append((model, row, cls, expected, array.array("f", expected)))

    def check():
        for model, row, cls, expected, got in reference:
            assert model.predict(row, got) == cls, "reference class changed"
            for k in range(len(got)):
                assert got[k] == expected[k], "reference prediction changed"

    caller = Caller(trees, files, [r[0] for r in reference], seed)
    # the lite build has no new() and no builder methods
    refusals = REFUSALS if hasattr(trees, "new") else REFUSALS + (AttributeError,)
    return run_calls(caller.call, refusals, n_calls, check, check_every=16)
