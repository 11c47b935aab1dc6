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
import gc
import io
import json
import random

REFUSALS = (TypeError, ValueError, MemoryError, OSError)
GUARD = 12345  # fills the room after outputs (exact as int16 and float)
KIND_VALUES = 1  # header byte 5: regression and gradient boosting models

# Case files of tests/reference/trees_cases.py small enough for a board: random
# forest classifiers and regressors in both layouts and threshold types, fed rows
# of either input type, and histogram gradient boosting and XGBoost with NaN checks.
CASE_FILES = ("trees_layout", "trees_missing")

XOR_CSV = "f,2\nc,2\nl,0\nl,1\nr,0\nn,0,16384,1,2\nn,1,16384,-1,-2\nn,1,16384,-2,-1\n"


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
        random.seed(seed)  # MicroPython's random has seed() and getrandbits() on every port
        self.models = []
        self.refused = 0
        self.succeeded = 0

    def pick(self, seq):
        return seq[random.getrandbits(16) % len(seq)]

    def chance(self, percent):
        return random.getrandbits(7) % 100 < percent

    def number(self):
        return self.pick((0, 1, -1, 2, 3, 4, 64, 255, 256, 32767, 32768, 65535, 65536,
                          2 ** 31 - 1, 2 ** 31, -2 ** 31, 2 ** 64 + 1, -2 ** 70,
                          random.getrandbits(16) - 32768))

    def array(self):
        typecode = self.pick("hfbBiIH")
        n = self.pick((0, 1, 2, 3, 4, 5, 8, 10, 13, 30, 64))
        if typecode == "f":
            return array.array("f", [self.pick((0.0, 1.5, -2.5, 1e30, -1e30, float("nan"),
                                                float("inf"), float("-inf"))) for _ in range(n)])
        return array.array(typecode, [random.getrandbits(7) for _ in range(n)])

    def damaged(self):
        """A valid model with a few bytes changed, cut or added, as bytes
        (used in place), bytearray (copied) or memoryview (aligned or not)."""
        b = bytearray(self.pick(self.files)[0])
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
        r = random.getrandbits(4)
        if r < 4:
            return self.number()
        if r < 8:
            return self.array()
        if r == 8:
            return memoryview(self.array())
        if r == 9:
            return self.damaged()
        if r == 10:
            return bytearray(random.getrandbits(6))
        if r == 11 and self.models:
            return self.pick(self.models)
        return self.pick((None, 1.5, float("nan"), "", "no such file", b"", (), [1.0, 2.0], {}))

    def csv(self):
        """XOR_CSV with some fields replaced, lines dropped or lines added."""
        lines = []
        for line in XOR_CSV.split("\n"):
            if self.chance(15):
                fields = line.split(",")
                fields[random.getrandbits(8) % len(fields)] = self.pick(
                    ("", "-1", "99999", "1e40", "nan", "x", "3.5", "2147483648", "-0"))
                line = ",".join(fields)
            if not self.chance(5):
                lines.append(line)
            if self.chance(5):
                lines.append(self.pick(("f,0", "c,0", "lb,8", "lb,32", "r,", "n,1,2", "l,")))
        return io.StringIO("\n".join(lines))

    def rows_for(self, model):
        """Inputs and outputs for predict, mostly of fitting sizes, and the
        outputs' guard: the outputs are often a memoryview of the front of
        a larger array, whose rest must be left alone."""
        n_features, n_outputs = model.features(), model.outputs()
        n_rows = self.pick((1, 1, 2, 3))
        typecode = self.pick("hf")
        n = n_features * n_rows + self.pick((0, 0, 0, 1, -1))
        if typecode == "h":
            x = array.array("h", [self.pick((0, 1, -1, 100, -32768, 32767)) for _ in range(n)])
        else:
            x = array.array("f", [self.pick((0.0, 1.5, 3.0, float("nan"), float("inf"), -1e38))
                                  for _ in range(n)])
        per_row = self.pick("ffh")
        size = max(0, (n_outputs if per_row == "f" else 1) * n_rows + self.pick((0, 0, 1, -1, -1)))
        guarded = array.array(per_row, [GUARD] * (size + 4))
        out = memoryview(guarded)[:size]
        if self.chance(30):
            out, guarded = array.array(per_row, bytes(size * (4 if per_row == "f" else 2))), None
        args = self.pick(((x, out), (x, out), (x,), (memoryview(x), out), (x, x), (x, self.anything())))
        return args, guarded, size

    def call(self):
        trees = self.trees
        op = random.getrandbits(4) % 10
        if op <= 2:
            self.models.append(trees.load(self.damaged() if self.chance(80) else self.anything()))
        elif op == 3:
            model = trees.new(self.number(), self.number(), self.number())
            self.models.append(model)
            if self.chance(60):
                trees.load_model(model, self.csv())
        elif op == 4 and self.models:
            name, n_args = self.pick((("setdata", 2), ("addroot", 1), ("addnode", 4), ("addleaf", 1)))
            n_args += self.pick((0, 0, 0, -1, 1))
            getattr(self.pick(self.models), name)(
                *[self.number() if self.chance(80) else self.anything() for _ in range(n_args)])
        elif self.models:
            model = self.pick(self.valid if self.chance(50) else self.models)
            guarded = None
            if self.chance(70):
                # features()/outputs() may refuse an unfinished model
                args, guarded, size = self.rows_for(model)
            else:
                args = tuple(self.anything() for _ in range(random.getrandbits(2)))
            try:
                model.predict(*args)
            finally:
                if guarded:
                    for k in range(size, len(guarded)):
                        assert guarded[k] == GUARD, "predict wrote past its outputs"
        del self.models[:-8]  # keep a few alive across the calls that follow

    def run(self, n_calls, check):
        unexpected = []
        for i in range(n_calls):
            try:
                self.call()
                self.succeeded += 1
            except REFUSALS:
                self.refused += 1
            except Exception as e:
                if isinstance(e, AttributeError) and not hasattr(self.trees, "new"):
                    self.refused += 1  # the lite build has no new() and no builder methods
                else:
                    unexpected.append((i, type(e).__name__, str(e)))
            if i % 16 == 15:
                gc.collect()
                check()
        self.models = []
        return unexpected


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
    unexpected = caller.run(n_calls, check)
    check()
    assert not unexpected, unexpected[:3]
    return caller.succeeded, caller.refused
