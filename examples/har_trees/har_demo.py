#!/usr/bin/python3
"""Activity recognition from real accelerometer recordings, end to end: reads
the recordings in ../shared/data/har (int16 x, y, z at 100 Hz, some cut short
as the device wrote them), turns each second into 15 integer features
(har_features.py, the same code the device runs), trains a 10-tree
RandomForest on three quarters of the recordings, converts it, and classifies
the other quarter under MicroPython on x64 and on an emulated Cortex-M3
(har_classify.py). Prints accuracy and checks that the device takes
scikit-learn's decision on every window.

    examples/har_trees/har_demo.py [recordings folder] [output folder]
"""
import importlib.machinery
import os
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(TOP, "python"))
import har_features  # noqa: E402
from emlearn_mp import trees  # noqa: E402

DATA = os.path.join(os.path.dirname(TOP), "shared", "data", "har", "har_record_exercises_1", "data")
BOARD_RECORDINGS = 6    # test recordings sent to the emulated board (its RAM holds a few)


def load_recordings(folder):
    """[(path, class index, window features)] of the readable recordings,
    sorted by name, and the reasons for the others."""
    found, skipped = [], []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".npy"):
            continue
        path = os.path.join(folder, name)
        try:
            features = window_features(path)
        except ValueError as e:
            skipped.append(str(e))
            continue
        found.append((path, har_features.CLASSES.index(name[:-4].rsplit("_", 1)[1]), features))
    return found, skipped


def window_features(path):
    """int16 array (n_windows, N_FEATURES) of a recording."""
    samples, n_rows = har_features.read_npy(path)
    rows = [har_features.features(samples, start, [0] * har_features.N_FEATURES)
            for start in har_features.windows(n_rows)]
    return np.array(rows, dtype=np.int16).reshape(-1, har_features.N_FEATURES)


def is_test(index):
    """Every fourth recording is for testing; windows of one recording never
    land on both sides."""
    return index % 4 == 0


def fit(recordings):
    """(X, y, recording index of each window, test window mask, model): the
    forest trained on the windows of the recordings is_test leaves out."""
    X = np.concatenate([f for _, _, f in recordings])
    y = np.concatenate([np.full(len(f), cls) for _, cls, f in recordings])
    groups = np.concatenate([np.full(len(f), i) for i, (_, _, f) in enumerate(recordings)])
    test = is_test(groups)
    model = RandomForestClassifier(n_estimators=10, max_leaf_nodes=20, random_state=1).fit(X[~test], y[~test])
    return X, y, groups, test, model


def run_on(run_tool, target, model_path, paths):
    """{path: (recording class, [window classes])} from har_classify.py."""
    status, out, err = run_tool.run(target, os.path.join(HERE, "har_classify.py"),
                                    args=["har_model.emlt"] + [os.path.basename(p) for p in paths],
                                    files=[model_path, os.path.join(HERE, "har_features.py")] + list(paths))
    if status != 0:
        raise RuntimeError("%s: %s%s" % (target, out, err))
    result = {}
    for line in out.splitlines():
        name, best, *classes = line.split()
        result[name] = (best, [int(c) for c in classes])
    return result


def main(argv):
    folder = argv[0] if argv else DATA
    out_dir = argv[1] if len(argv) > 1 else os.path.join(TOP, "build", "har")
    if not os.path.isdir(folder):
        print("no recordings in %s (../shared/data beside the repository)" % folder)
        return 1
    recordings, skipped = load_recordings(folder)
    print("1. %d recordings (%s), %d unreadable: %s" % (
        len(recordings), ", ".join("%d %s" % (sum(c == k for _, c, _ in recordings), name)
                                   for k, name in enumerate(har_features.CLASSES)),
        len(skipped), "; ".join(skipped) or "-"))
    X, y, groups, test, model = fit(recordings)
    sk = model.predict(X[test])
    print("2. RandomForest(10 trees, at most 20 leaves) on %d one-second windows of %d recordings;"
          " tested on %d windows of the other %d:" % (np.sum(~test), len(set(groups[~test])),
                                                       np.sum(test), len(set(groups[test]))))
    print("   scikit-learn: %.1f%% of windows right" % (100 * np.mean(sk == y[test])))
    data = trees.to_binary(model, thresholds="int16")
    os.makedirs(out_dir, exist_ok=True)
    model_path = os.path.join(out_dir, "har_model.emlt")
    with open(model_path, "wb") as f:
        f.write(data)
    print("3. Converted: %s, %d bytes" % (model_path, len(data)))

    run_tool = importlib.machinery.SourceFileLoader("run", os.path.join(TOP, "tools", "run")).load_module()
    test_paths = [p for i, (p, _, _) in enumerate(recordings) if is_test(i)]
    expected = {os.path.basename(p): list(sk[groups[test] == i])
                for i, (p, _, _) in enumerate(recordings) if is_test(i)}
    labels = {os.path.basename(p): har_features.CLASSES[c] for p, c, _ in recordings}
    for step, target, where, paths in ((4, "x64", "x64 unix port", test_paths),
                                       (5, "armv7m", "emulated Cortex-M3", test_paths[:BOARD_RECORDINGS])):
        got = run_on(run_tool, target, model_path, paths)
        windows = same = 0
        for name, (best, classes) in got.items():
            windows += len(expected[name])     # a window the device missed counts against it
            same += sum(a == b for a, b in zip(classes, expected[name]))
        right = sum(best == labels[name] for name, (best, _) in got.items())
        print("%d. %s: %d recordings, %d right by majority of windows; identical to scikit-learn on %d of %d"
              " windows" % (step, where, len(got), right, same, windows))
        if same != windows or len(got) != len(paths):
            print("   FAILED: the device must take scikit-learn's decision on every window")
            return 1
    print("On a board: copy %s and examples/har_trees/har_features.py, har_classify.py there, and"
          " run har_classify.py har_model.emlt <recording.npy ...>" % model_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
