"""emlearn's CSV tree format, as read by emlearn-micropython's ``emlearn_trees.load_model``.

Lines, in this order (the same as ``emlearn.convert(...).save(format='csv')``)::

    f,<n_features>
    c,<n_classes>                   0 for a regressor
    lb,32 and lf,32                 regressors only: float leaves
    l,<class>                       one per distinct leaf (majority class, or value)
    r,<root node index>             one per tree (absolute index)
    n,<feature>,<threshold>,<left>,<right>

A child >= 0 is a decision node given *relative* to the current node (child
index - node index); a child < 0 is leaf ``-child - 1``. The device goes left
iff ``x[feature] < threshold``. A tree that is a single leaf is written as a
node whose children are both that leaf (as emlearn does).

Differences from emlearn's own writer, on purpose, so decisions are exact:

- ``thresholds='int16'`` (default; emlearn_trees reads ``int(float(value))``
  and compares int16 inputs): the threshold is written as ``floor(thr) + 1``
  instead of emlearn's ``round(thr, 6)``, whose truncation to int flips every
  x == floor(thr) for positive ``.5`` thresholds. Splits that every int16 goes
  one way are replaced by their child, as in the binary format.
- ``thresholds='float'`` writes the smallest float32 above thr (for builds
  comparing float32 inputs).

Single-output regressors (DecisionTree/RandomForest/ExtraTrees) are written
as emlearn writes them: ``c,0`` and leaf bits 32 (``lb,32``, and ``lf,32``,
the spelling emlearn-micropython's loader reads), each leaf its float32 value
(shortest text that reads back as that float32); the device averages the trees.

What is lost compared with the binary format: each classifier leaf keeps only
its majority class (numpy argmax, first on ties), so ``predict_proba`` becomes
the fraction of tree votes and ``predict`` may differ from scikit-learn's
probability averaging when trees disagree. Gradient boosting (an initial value
and a link function) and multi-output regression have no CSV form.
emlearn-micropython limits features to 128 and classes to 256.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .trees import (
    COMBINE_MEAN,
    INT16_MAX,
    INT16_MIN,
    KIND_CLASSES,
    _describe,
    _taken_child,
    float32_above,
    int16_threshold,
)

__all__ = ["to_csv", "predict_csv"]

MAX_FEATURES = 128  # emlearn_trees stores the feature index as int8
MAX_CLASSES = 256  # and the leaf class as uint8


def _threshold_text(thr: float, int16: bool) -> str:
    if int16:
        return str(int16_threshold(thr))
    return repr(float(float32_above(thr)))


def _leaf_text(value: np.ndarray, regress: bool) -> str:
    """A classifier leaf's majority class, or a regressor leaf's float32 value."""
    if regress:
        return np.format_float_positional(np.float32(value[0]), unique=True, trim="-")
    return str(int(np.argmax(value)))


def to_csv(model: Any, thresholds: str = "int16") -> str:
    """Write a DT/RF/ET classifier or single-output regressor in emlearn's CSV
    format (see module doc)."""
    if thresholds not in ("float", "int16"):
        raise ValueError("thresholds must be 'float' or 'int16'")
    int16 = thresholds == "int16"
    ens = _describe(model)
    regress = ens.kind != KIND_CLASSES
    if ens.combine != COMBINE_MEAN or (regress and ens.n_outputs != 1):
        raise ValueError("emlearn's CSV format holds tree/forest classifiers and single-output regressors")
    if ens.n_features > MAX_FEATURES or (not regress and ens.n_outputs > MAX_CLASSES):
        raise ValueError("emlearn_trees supports at most 128 features and 256 classes")

    leaves: list[str] = []
    leaf_index: dict[str, int] = {}
    nodes: list[list[Any]] = []  # feature, threshold text, left, right (absolute/leaf<0)
    roots: list[int] = []

    def leaf_ref(value: np.ndarray) -> int:
        text = _leaf_text(value, regress)
        if text not in leaf_index:
            leaf_index[text] = len(leaves)
            leaves.append(text)
        return -(leaf_index[text] + 1)

    for st in ens.trees:
        tree = st.tree
        value = tree.value
        cl, cr = tree.children_left, tree.children_right
        root = _taken_child(tree, 0, int16)
        if cl[root] == -1:  # single leaf: dummy node with both children the leaf
            ref = leaf_ref(value[root, 0])
            roots.append(len(nodes))
            nodes.append([0, "0", ref, ref])
            continue
        stack: list[tuple[int, int, int]] = [(root, -1, 0)]
        while stack:
            node, parent, side = stack.pop()
            node = _taken_child(tree, node, int16)
            if cl[node] == -1:
                ref = leaf_ref(value[node, 0])
            else:
                ref = len(nodes)
                thr = float(tree.threshold[node])
                nodes.append([int(tree.feature[node]), _threshold_text(thr, int16), 0, 0])
                stack.append((int(cr[node]), ref, 3))
                stack.append((int(cl[node]), ref, 2))
            if parent < 0:
                roots.append(ref)
            else:
                nodes[parent][side] = ref

    lines = [f"f,{ens.n_features}", f"c,{0 if regress else ens.n_outputs}"]
    if regress:
        lines += ["lb,32", "lf,32"]
    lines += [f"l,{c}" for c in leaves]
    lines += [f"r,{r}" for r in roots]
    for i, (feat, thr, left, right) in enumerate(nodes):
        rel = [c - i if c >= 0 else c for c in (left, right)]
        if any(c > INT16_MAX or c < INT16_MIN for c in rel):
            raise ValueError("tree too large for emlearn's int16 relative child refs; use the binary format (to_binary)")
        lines.append(f"n,{feat},{thr},{rel[0]},{rel[1]}")
    return "\n".join(lines) + "\n"


def predict_csv(text: str, X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Reference predictor for the CSV format, with emlearn_trees' semantics.

    Returns, for a classifier, (vote fractions float32 (n, n_classes), argmax
    class index, first on ties like emlearn); for a regressor (leaf bits 32 or
    no classes), (mean of the trees' leaf values float32 (n, 1), -1 per row).
    Integer X is compared as integers (the int16 files hold integer
    thresholds, so this equals emlearn_trees' int16 comparison), other X as
    float32.
    """
    n_classes = 0
    leaf_bits = 0
    leaves: list[float] = []
    roots: list[int] = []
    nodes: list[tuple[int, float, int, int]] = []
    for line in text.splitlines():
        tok = line.strip().split(",")
        if tok[0] == "c":
            n_classes = int(tok[1])
        elif tok[0] in ("lb", "lf"):
            leaf_bits = int(tok[1])
        elif tok[0] == "l":
            leaves.append(float(np.float32(tok[1])))
        elif tok[0] == "r":
            roots.append(int(tok[1]))
        elif tok[0] == "n":
            nodes.append((int(tok[1]), float(tok[2]), int(tok[3]), int(tok[4])))
    regress = leaf_bits == 32 or n_classes == 0
    X = np.asarray(X)
    x = X.astype(np.float32) if not np.issubdtype(X.dtype, np.integer) else X
    votes = np.zeros((X.shape[0], 1 if regress else n_classes), dtype=np.float32)
    for s in range(X.shape[0]):
        row = x[s]
        for r in roots:
            i = r
            while True:
                feat, thr, left, right = nodes[i]
                child = left if row[feat] < thr else right
                if child < 0:
                    leaf = leaves[-child - 1]
                    if regress:
                        votes[s, 0] += np.float32(leaf)
                    else:
                        votes[s, int(leaf)] += 1
                    break
                if child == 0:
                    raise ValueError("relative child 0 would loop")
                i += child
    out = votes / np.float32(len(roots))
    if regress:
        return out, np.full(X.shape[0], -1)
    return out, np.argmax(votes, axis=1)
