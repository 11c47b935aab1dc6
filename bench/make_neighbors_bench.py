"""Writes the neighbours benchmark data into a folder: scikit-learn's digits (its own
integer pixels, 64 features), the first 200 images of train_test_split(random_state=1)'s
training part with their labels, and 10 test images: neighbors_bench.bin holds the
int16 rows, then the int16 labels, then the int16 test rows."""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

N_TRAIN = 200   # 25 kB of items: the boards' heap holds them, the file and the baseline's copy
N_TEST = 10
K = 5


def build(outdir: str) -> str:
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, random_state=1)
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "neighbors_bench.bin")
    with open(path, "wb") as f:
        f.write(Xtr[:N_TRAIN].astype(np.int16).tobytes())
        f.write(ytr[:N_TRAIN].astype(np.int16).tobytes())
        f.write(Xte[:N_TEST].astype(np.int16).tobytes())
    return path


if __name__ == "__main__":
    build(sys.argv[1])
