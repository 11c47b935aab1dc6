# emlearn_trees reads a CSV model file that emlearn itself wrote (a RandomForest
# for XOR on two int16 features, ../shared/data/trees): the classes emlearn
# expects, read in text and in binary mode.
# needs: trees/emlearn_xor_model.csv
import array
import emlearn_trees
import emltest

EXPECTED = {(0, 0): 0, (32767, 32767): 0, (0, 32767): 1, (32767, 0): 1}


def load(mode):
    model = emlearn_trees.new(5, 30, 2)
    with open("emlearn_xor_model.csv", mode) as f:
        emlearn_trees.load_model(model, f)
    return model


def test_expected_classes():
    model = load("r")
    out = array.array("f", range(model.outputs()))
    for x, cls in EXPECTED.items():
        assert model.predict(array.array("h", x), out) == cls, x
        assert max(out) == out[cls] and abs(sum(out) - 1.0) < 1e-6


def test_binary_mode_reads_the_same():
    text, binary = load("r"), load("rb")
    out_t = array.array("f", [0, 0])
    out_b = array.array("f", [0, 0])
    for x in EXPECTED:
        row = array.array("h", x)
        assert text.predict(row, out_t) == binary.predict(row, out_b) and list(out_t) == list(out_b), x


emltest.main(globals())
