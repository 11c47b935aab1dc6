# Shared by the emlearn_trees tests: run every converted model of a case file
# against scikit-learn's outputs (tests/reference/trees_cases.py). The caller
# imports the module (emlearn_trees or emlearn_trees_lite) and passes it, so
# only that one is put on the boards.
import array
import json
import emltest

KIND_VALUES = 1  # header byte 5: regression and gradient boosting models

# XOR of two int16 features in emlearn's CSV format: one tree, node 0 splits
# x0 at 16384, nodes 1 and 2 split x1 (children are relative: node 0's are
# nodes 1 and 2; -1 and -2 are leaves 0 and 1, classes 0 and 1).
XOR_CSV = "f,2\nc,2\nl,0\nl,1\nr,0\nn,0,16384,1,2\nn,1,16384,-1,-2\nn,1,16384,-2,-1\n"

SIZES = {"f": 4, "h": 2}


def read(f, offset, typecode, n):
    out = array.array(typecode, bytes(n * SIZES[typecode]))
    f.seek(offset)
    f.readinto(out)
    return out


def close(got, expected, scale):
    """Within float32 rounding of scikit-learn's output; scale is the size
    of the float32 sums of leaves behind a value (a regressor's largest
    output; for an isolation forest also its starting value), 0 for
    classifiers. tests/reference/trees_cases.py checks its reader with the
    same bound."""
    return abs(got - expected) <= 1e-6 + 2e-6 * max(abs(expected), scale)


def check_cases(trees, name, classifiers_only=False):
    """(models checked, models refused). With classifiers_only (the lite
    build), every regression or boosting model must fail to load with a
    ValueError instead."""
    cases = json.load(open(name + ".json"))
    f = open(name + ".bin", "rb")
    bad = []
    refused = 0
    for case in cases:
        f.seek(case["model"][0])
        data = f.read(case["model"][1])
        if classifiers_only and data[5] == KIND_VALUES:
            msg = emltest.raises(ValueError, trees.load, data)
            assert "classifiers only" in msg, (case["name"], msg)
            refused += 1
            continue
        model = trees.load(data)
        offset, typecode, n_rows, n_features = case["rows"]
        rows = read(f, offset, typecode, n_rows * n_features)
        n_out = case["expected"][1]
        expected = read(f, case["expected"][0], "f", n_rows * n_out)
        classes = read(f, case["classes"], "h", n_rows)
        assert model.outputs() == n_out, (case["name"], model.outputs(), n_out)
        out = array.array("f", bytes(4 * n_out))
        scale = case["scale"]  # values models: the size of their float32 sums (see close)
        for r in range(n_rows):
            row = rows[r * n_features:(r + 1) * n_features]
            got = model.predict(row, out)
            if case["task"] == "cls" and got != classes[r]:
                bad.append((case["name"], r, "class", got, classes[r]))
            # without outputs: the class alone, from integer votes
            alone = model.predict(row)
            if alone != (got if case["task"] == "cls" else None):
                bad.append((case["name"], r, "class without outputs", alone, got))
            for k in range(n_out):
                e = expected[r * n_out + k]
                if not close(out[k], e, scale):
                    bad.append((case["name"], r, k, out[k], e))
        # The same rows as one batch call.
        batch = array.array("f", bytes(4 * n_out * n_rows))
        model.predict(rows, batch)
        for i in range(n_rows * n_out):
            e = expected[i]
            if not close(batch[i], e, scale):
                bad.append((case["name"], "batch", i, batch[i], e))
        if case["task"] == "cls":
            got = array.array("h", bytes(2 * n_rows))
            model.predict(rows, got)
            if list(got) != list(classes):
                bad.append((case["name"], "batch classes", list(got), list(classes)))
        del model
    assert not bad, bad[:5]
    return len(cases) - refused, refused


def check_bad_models(trees):
    """Every file of the bad-model corpus (tests/reference/trees_cases.py)
    raises ValueError with a reason, from bytes and from a bytearray."""
    index = json.load(open("trees_bad.json"))
    f = open("trees_bad.bin", "rb")
    for name, offset, n in index:
        f.seek(offset)
        data = f.read(n)
        for source in (data, bytearray(data)):
            try:
                trees.load(source)
            except ValueError as e:
                assert str(e), name
            else:
                raise AssertionError("loaded bad model " + name)
    return len(index)
