"""Reference for tests/micropython/test_neighbors_har.py: k-nearest neighbours on
the features of the activity-recognition example (examples/har_trees), computed
from the real recordings in ../shared/data/har.

Every other training window of the example (474; a board's heap does not hold
the model of all 947 next to the file), its features standardized and quantized
with emlearn_mp.neighbors, are the items; the first 160 test windows are the
queries; k = 5. Writes neighbors_har.bin/.json (the format of neighbors_cases.py), or
nothing without ../shared/data (the test is then skipped: it names a recording
in its `# needs:` line)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "har_trees"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
import har_demo  # noqa: E402
import neighbors_cases  # noqa: E402
from emlearn_mp import neighbors  # noqa: E402

N_TEST = 160    # the file (31 kB) and the model (19 kB) fit a board's heap


def main(outdir):
    if not os.path.isdir(har_demo.DATA):
        print("neighbors_har_cases: %s absent, nothing written" % har_demo.DATA)
        return
    recordings, _ = har_demo.load_recordings(har_demo.DATA)
    X, y, _, test, _ = har_demo.fit(recordings)
    Xtr, ytr = X[~test][::2], y[~test][::2].astype("int16")
    scale, offset = neighbors.fit_int16_standard_scaling(Xtr)
    Xte = neighbors.quantize_int16(X[test][:N_TEST], scale, offset)
    Xtr = neighbors.quantize_int16(Xtr, scale, offset)
    neighbors_cases.write(outdir, "neighbors_har", [("har", (Xtr, ytr, Xte))], ks=(5,))


if __name__ == "__main__":
    main(sys.argv[1])
