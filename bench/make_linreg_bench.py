"""Writes the linear regression benchmark data into a folder: scikit-learn's diabetes
data set (442 patients, 10 standardized measurements, disease progression a year
later), the first 330 rows of a seeded shuffle: linreg_bench.bin holds the float32
rows, then the float32 targets."""
import os
import sys

import numpy as np
from sklearn.datasets import load_diabetes

N_TRAIN = 330


def build(outdir: str) -> str:
    X, y = load_diabetes(return_X_y=True)
    order = np.random.RandomState(1).permutation(len(y))[:N_TRAIN]
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "linreg_bench.bin")
    with open(path, "wb") as f:
        f.write(X[order].astype(np.float32).tobytes())
        f.write(y[order].astype(np.float32).tobytes())
    return path


if __name__ == "__main__":
    build(sys.argv[1])
