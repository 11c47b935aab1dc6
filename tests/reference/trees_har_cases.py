"""Reference for tests/micropython/test_trees_har.py: the activity-recognition
example (examples/har_trees) on the real recordings in ../shared/data/har.

trees_har.bin/.json: the example's model and every test window's features
with scikit-learn's probabilities and classes (the trees_cases.py case
format), and the features the host computes for the recordings the device
test reads itself. trees_har_anomaly.bin/.json (test_trees_har_anomaly.py):
an IsolationForest trained on the training windows of the three exercises,
with its output (m - m0, negative for outliers) on every test window, "other"
included. Writes nothing without ../shared/data (the tests are then skipped:
they name a recording in their `# needs:` line)."""
import json
import os
import sys

from sklearn.ensemble import IsolationForest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "har_trees"))
import har_demo  # noqa: E402
import har_features  # noqa: E402
import trees_cases  # noqa: E402

# The recordings test_trees_har.py reads on the device: one cut short while
# recording (750 of 1000 rows), one whole.
DEVICE_RECORDINGS = ("2000-01-01T000051_jumpingjack.npy", "2000-01-01T000204_lunge.npy")
CHUNK = 64


def write_chunked(outdir, group, name, task, model, rows):
    """Every row, in chunks a 140 kB board holds next to the rest, as
    trees_cases.py cases sharing one copy of the model in the file."""
    blob = trees_cases.Blob()
    stored = {}

    def put_once(array_):
        key = array_.tobytes()
        if key not in stored:
            stored[key] = blob.put(array_)
        return stored[key]

    cases = [trees_cases.model_case(put_once, "%s-%d" % (name, start), task, model, "int16",
                                    rows[start:start + CHUNK])[1]
             for start in range(0, len(rows), CHUNK)]
    blob.write(outdir, group, cases)


def main(outdir):
    if not os.path.isdir(har_demo.DATA):
        print("trees_har_cases: %s absent, nothing written" % har_demo.DATA)
        return
    recordings, _ = har_demo.load_recordings(har_demo.DATA)
    X, y, _, test, model = har_demo.fit(recordings)
    rows = X[test]
    write_chunked(outdir, "trees_har", "har-rf-int16", "cls", model, rows)
    exercise = y != har_features.CLASSES.index("other")
    anomaly = IsolationForest(n_estimators=20, max_samples=128, random_state=1).fit(X[~test & exercise])
    write_chunked(outdir, "trees_har_anomaly", "har-iforest-int16", "reg", anomaly, rows)
    features = {os.path.basename(path): f.ravel().tolist() for path, _, f in recordings
                if os.path.basename(path) in DEVICE_RECORDINGS}
    with open(os.path.join(outdir, "trees_har_features.json"), "w") as f:
        json.dump(features, f)


if __name__ == "__main__":
    main(sys.argv[1])
