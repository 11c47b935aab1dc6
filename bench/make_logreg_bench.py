"""Writes the logistic regression benchmark data into a folder: scikit-learn's wine data
set (178 wines, 13 chemical measurements, 3 cultivars), standardized: logreg_bench.bin
holds the float32 rows, then one uint8 class label per row."""
import os
import sys

import numpy as np
from sklearn.datasets import load_wine


def build(outdir: str) -> str:
    X, y = load_wine(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "logreg_bench.bin")
    with open(path, "wb") as f:
        f.write(X.astype(np.float32).tobytes())
        f.write(y.astype(np.uint8).tobytes())
    return path


if __name__ == "__main__":
    build(sys.argv[1])
