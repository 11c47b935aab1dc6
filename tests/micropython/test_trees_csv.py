# emlearn_trees: emlearn CSV files written by the converter (python/emlearn_mp/trees_csv.py)
# load with new() + load_model() and give emlearn's votes or regression values; a single
# tree gives the same class as the binary format, a regressor the same values
# (tests/reference/trees_cases.py writes the cases).
# needs: trees_csv.bin trees_csv.json
import array
import io
import json
import emlearn_trees
import emltest


def read(f, offset, typecode, n):
    out = array.array(typecode, bytes(n * (4 if typecode == "f" else 2)))
    f.seek(offset)
    f.readinto(out)
    return out


def test_converter_csv_agrees_with_emlearn_votes_and_binary():
    cases = json.load(open("trees_csv.json"))
    f = open("trees_csv.bin", "rb")
    bad = []
    for case in cases:
        f.seek(case["csv"][0])
        text = f.read(case["csv"][1]).decode()
        model = emlearn_trees.new(*case["capacity"])
        emlearn_trees.load_model(model, io.StringIO(text))
        f.seek(case["binary"][0])
        binary = emlearn_trees.load(f.read(case["binary"][1]))
        offset, n_rows, n_features = case["rows"]
        rows = read(f, offset, "h", n_rows * n_features)
        n_classes = case["votes"][1]
        votes = read(f, case["votes"][0], "f", n_rows * n_classes)
        classes = read(f, case["classes"], "h", n_rows)
        assert model.outputs() == n_classes and model.features() == n_features, case["name"]
        out = array.array("f", bytes(4 * n_classes))
        binary_out = array.array("f", bytes(4 * n_classes))
        for r in range(n_rows):
            row = rows[r * n_features:(r + 1) * n_features]
            got = model.predict(row, out)
            if (-1 if got is None else got) != classes[r]:     # regressors: None, -1
                bad.append((case["name"], r, got, classes[r]))
            for k in range(n_classes):
                ref = votes[r * n_classes + k]
                if abs(out[k] - ref) > 1e-6 + 2e-6 * abs(ref):  # float32 rounding
                    bad.append((case["name"], r, k, out[k], ref))
            if case["same_as_binary"]:
                if binary.predict(row, binary_out) != got:
                    bad.append((case["name"], r, "binary", binary.predict(row), got))
                if got is None:     # a regressor: the same values as the binary format
                    ok, worst = emltest.close(binary_out, out, 1e-6 + 2e-6 * abs(out[0]))
                    if not ok:
                        bad.append((case["name"], r, "binary values", worst))
        del model, binary
    assert len(cases) >= 9 and sum(1 for c in cases if "diabetes" in c["name"]) >= 3, \
        [c["name"] for c in cases]
    assert not bad, bad[:5]


emltest.main(globals())
