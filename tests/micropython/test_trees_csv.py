# emlearn_trees: emlearn CSV files written by the converter (python/emlearn_mp/trees_csv.py)
# load with new() + load_model() and give emlearn's votes; a single tree gives the same
# class as the binary format (tests/reference/trees_cases.py writes the cases).
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
        for r in range(n_rows):
            row = rows[r * n_features:(r + 1) * n_features]
            got = model.predict(row, out)
            if got != classes[r]:
                bad.append((case["name"], r, got, classes[r]))
            for k in range(n_classes):
                if abs(out[k] - votes[r * n_classes + k]) > 1e-6:
                    bad.append((case["name"], r, k, out[k], votes[r * n_classes + k]))
            if case["same_as_binary"] and binary.predict(row) != got:
                bad.append((case["name"], r, "binary", binary.predict(row), got))
        del model, binary
    assert len(cases) >= 6, len(cases)
    assert not bad, bad[:5]


emltest.main(globals())
