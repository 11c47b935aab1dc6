"""Writes the trees benchmark model (the published workload) and test rows into a folder:
RandomForestClassifier(n_estimators=10, max_leaf_nodes=100, random_state=1) on digits,
train_test_split(random_state=1), integer thresholds (thresholds="int16"; digits are 0..16,
so the file stores them as int8, flag T8, with u8 class records: format version 2)."""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
from emlearn_mp import trees  # noqa: E402


def build(outdir, n_rows=30):
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, random_state=1)
    model = RandomForestClassifier(n_estimators=10, max_leaf_nodes=100, random_state=1).fit(Xtr, ytr)
    data = trees.to_binary(model, thresholds="int16")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "trees_bench.emlt"), "wb") as f:
        f.write(data)
    with open(os.path.join(outdir, "trees_bench_rows.bin"), "wb") as f:
        f.write(Xte[:n_rows].astype(np.int16).tobytes())
    return model, Xte, yte, data


if __name__ == "__main__":
    build(sys.argv[1])
