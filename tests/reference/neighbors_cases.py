"""Reference outputs for tests/micropython/test_neighbors_*.py, from scikit-learn.

For scikit-learn's bundled iris, wine, breast_cancer (standardized and
quantized to int16 with emlearn_mp.neighbors) and digits (its own integers,
0 to 16) data sets, a training part and test rows, and for k = 1, 3, 4, 8
(even k: votes can tie) per test row:
- the label KNeighborsClassifier(n_neighbors=k, algorithm="brute") predicts;
- the label of this project's rule (ranking by distance, then by item index),
  computed here in numpy: the same as scikit-learn's unless items at the
  same distance straddle the k-th place (then scikit-learn's pick among them
  is its sort's, unspecified), which this script checks, and flags;
- the index and integer distance (floor of the Euclidean distance) of the
  items ranked 0 to k, and of the last one.

Writes neighbors_small.bin/.json (iris, wine, breast_cancer) and
neighbors_digits.bin/.json into the folder given: int16 training rows,
labels and test rows, then int32 records (see record()).
"""
import json
import math
import os
import sys

import numpy as np
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from emlearn_mp import neighbors  # noqa: E402

KS = (1, 3, 4, 8)
N_TEST = 30
# Training rows kept: the boards' 135 kB heap holds the file and the model.
MAX_TRAIN = {"iris": 200, "wine": 200, "breast_cancer": 200, "digits": 200}


def data_set(name):
    X, y = getattr(datasets, "load_" + name)(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=1, stratify=y)
    Xtr, ytr = Xtr[:MAX_TRAIN[name]], ytr[:MAX_TRAIN[name]]
    Xte = Xte[:N_TEST]
    if name != "digits":
        scale, offset = neighbors.fit_int16_standard_scaling(Xtr)
        Xtr = neighbors.quantize_int16(Xtr, scale, offset)
        Xte = neighbors.quantize_int16(Xte, scale, offset)
    return Xtr.astype(np.int16), ytr.astype(np.int16), Xte.astype(np.int16)


def record(Xtr, ytr, x, k, sklearn_label):
    """int32 values for one test row: our label, scikit-learn's, whether a tie
    straddles the k-th place, then (index, distance) for ranks 0..k and n-1."""
    d2 = ((Xtr.astype(np.int64) - x.astype(np.int64)) ** 2).sum(axis=1)
    order = np.lexsort((np.arange(len(d2)), d2))
    votes = np.bincount(ytr[order[:k]].astype(np.int64) + 32768, minlength=65536)
    ours = int(np.argmax(votes)) - 32768     # argmax: the first, so the smallest label
    tie = bool(k < len(d2) and d2[order[k - 1]] == d2[order[k]])
    if not tie:
        assert ours == sklearn_label, (ours, sklearn_label)
    out = [ours, sklearn_label, int(tie)]
    for r in list(range(min(k + 1, len(d2)))) + [len(d2) - 1]:
        out += [int(order[r]), math.isqrt(int(d2[order[r]]))]
    return out


def write(outdir, name, sets, ks=KS):
    """name.bin/.json for sets: [(set name, (int16 training rows, labels,
    test rows))], each with every k of ks."""
    index, blob = [], bytearray()
    for set_name, (Xtr, ytr, Xte) in sets:
        entry = {"name": set_name, "n_train": len(Xtr), "n_features": Xtr.shape[1], "n_test": len(Xte),
                 "train": len(blob), "labels": len(blob) + Xtr.nbytes, "test": len(blob) + Xtr.nbytes + ytr.nbytes}
        blob += Xtr.tobytes() + ytr.tobytes() + Xte.tobytes()
        entry["ks"], ties = [], 0
        for k in ks:
            model = KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(Xtr, ytr)
            rows, labels, k_model = neighbors.training_data(model)
            assert k_model == k and np.array_equal(rows, Xtr) and np.array_equal(labels, ytr)
            predicted = model.predict(Xte)
            records = [record(Xtr, ytr, x, k, int(p)) for x, p in zip(Xte, predicted)]
            ties += sum(r[2] for r in records)
            data = np.array(records, dtype="<i4")
            entry["ks"].append({"k": k, "offset": len(blob), "record": data.shape[1]})
            blob += data.tobytes()
        # most rows must compare with scikit-learn directly
        assert ties <= len(Xte) * len(ks) // 4, (set_name, ties)
        entry["ties"] = ties
        index.append(entry)
    with open(os.path.join(outdir, name + ".bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump({"sets": index}, f)


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    write(outdir, "neighbors_small", [(s, data_set(s)) for s in ("iris", "wine", "breast_cancer")])
    write(outdir, "neighbors_digits", [("digits", data_set("digits"))])


if __name__ == "__main__":
    main(sys.argv[1])
