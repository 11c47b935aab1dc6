"""ROMFS images holding a converted model, for tests/micropython/test_trees_romfs.py.

A RandomForestClassifier on scikit-learn's digits (int16 thresholds), written
into two ROMFS images:
- trees_romfs.img by emlearn_mp.romfs, which aligns each file's data to 4 bytes:
  /model.emlt and /models/digits.emlt (a nested copy);
- trees_romfs_unaligned.img, as `mpremote romfs build` makes them (it does not
  align file data): written with align=1, /model.emlt's data lands 2 bytes past
  a multiple of 4.
trees_romfs.json holds test rows (int16) with scikit-learn's classes and
probabilities.
"""
import json
import os
import sys

import numpy as np
from sklearn import datasets, ensemble
from sklearn.model_selection import train_test_split

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from emlearn_mp import romfs, trees  # noqa: E402

N_ROWS = 20


def main(outdir):
    X, y = datasets.load_digits(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=1)
    model = ensemble.RandomForestClassifier(n_estimators=5, max_depth=6, random_state=1).fit(Xtr, ytr)
    data = trees.to_binary(model, thresholds="int16")
    rows = Xte[:N_ROWS].astype(np.int16)

    image = romfs.build_image({"model.emlt": data, "models": {"digits.emlt": data}})
    unaligned = romfs.build_image({"model.emlt": data}, align=1)
    if unaligned.find(data) % 4 != 2:
        raise SystemExit("trees_romfs_cases: the unaligned image should place the model 2 bytes off")
    for name, blob in (("trees_romfs.img", image), ("trees_romfs_unaligned.img", unaligned)):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(blob)
    with open(os.path.join(outdir, "trees_romfs.json"), "w") as f:
        json.dump({
            "model_bytes": len(data),
            "n_features": int(X.shape[1]),
            "rows": [int(v) for v in rows.ravel()],
            "classes": [int(c) for c in model.predict(rows)],
            "proba": [float(p) for p in model.predict_proba(rows).ravel()],
        }, f)


if __name__ == "__main__":
    main(sys.argv[1])
