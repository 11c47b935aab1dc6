"""ROMFS images holding a converted model, for tests/micropython/test_trees_romfs.py.

A RandomForestClassifier on scikit-learn's digits (int16 thresholds), written
into two ROMFS images:
- trees_romfs.img by emlearn_mp.romfs, which aligns each file's data to 4 bytes:
  /model.emlt and /models/digits.emlt (a nested copy);
- trees_romfs_mpremote.img by MicroPython's own mpremote writer, which does not
  align: /model.emlt, whose data lands 2 bytes past a multiple of 4.
trees_romfs.json holds test rows (int16) with scikit-learn's classes and
probabilities.
"""
import json
import os
import sys

import numpy as np
from sklearn import datasets, ensemble
from sklearn.model_selection import train_test_split

TOP = os.path.join(os.path.dirname(__file__), "..", "..")
sys.path.insert(0, os.path.join(TOP, "python"))
from emlearn_mp import romfs, trees  # noqa: E402

N_ROWS = 20


def mpremote_image(name, data):
    """The image `mpremote romfs build` makes of a directory holding name."""
    sys.path.insert(0, os.path.join(TOP, "deps", "micropython", "tools", "mpremote"))
    from mpremote.romfs import VfsRomWriter
    writer = VfsRomWriter()
    writer.mkfile(name, data)
    return writer.finalise()


def main(outdir):
    X, y = datasets.load_digits(return_X_y=True)
    Xtr, Xte, ytr, _ = train_test_split(X, y, test_size=0.25, random_state=1)
    model = ensemble.RandomForestClassifier(n_estimators=5, max_depth=6, random_state=1).fit(Xtr, ytr)
    data = trees.to_binary(model, thresholds="int16")
    rows = Xte[:N_ROWS].astype(np.int16)

    image = romfs.build_image({"model.emlt": data, "models": {"digits.emlt": data}})
    image_mp = mpremote_image("model.emlt", data)
    if image_mp.find(data) % 4 == 0:
        raise SystemExit("trees_romfs_cases: the mpremote image should place the model unaligned")
    for name, blob in (("trees_romfs.img", image), ("trees_romfs_mpremote.img", image_mp)):
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
