"""Independent reader, validator and numpy reference predictor for emlearn_trees files.

Written from docs/trees-format.md (version 2) alone (it shares no code with the
writer in :mod:`emlearn_mp.trees`), so that tests comparing
:func:`predict_binary` with scikit-learn check the file, not the writer against
itself. It follows the device semantics: float32 arithmetic and trees summed in
file order for values models; the integer accumulation of the spec, bit for bit,
for classifiers.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ParsedModel", "parse_model", "model_info", "predict_binary", "classifier_accumulators"]

_HEADER = struct.Struct("<4sBBBBHHIIIII")
_VERSION = 2
_FLOAT, _WIDE, _T8, _C16 = 0x01, 0x02, 0x04, 0x08
_ALL = 0xFFFF
_INT32_MAX = 0x7FFFFFFF
_MAX_RECORD_SUM = 65535


@dataclass
class ParsedModel:
    """A validated model file; arrays are numpy views/copies of its sections."""

    kind: int
    flags: int
    combine: int
    n_features: int
    n_outputs: int
    n_trees: int
    n_nodes: int
    n_leaf_words: int
    size: int
    roots: np.ndarray
    tree_output: np.ndarray | None
    init: np.ndarray | None
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    pool: np.ndarray
    pure_leaves: np.ndarray  # distinct pure-leaf classes referenced (kind 0)
    leaf_offsets: np.ndarray  # distinct leaf record pool offsets referenced

    @property
    def float_thresholds(self) -> bool:
        return bool(self.flags & _FLOAT)

    @property
    def wide(self) -> bool:
        return bool(self.flags & _WIDE)

    @property
    def int8_thresholds(self) -> bool:
        return bool(self.flags & _T8)

    @property
    def u16_records(self) -> bool:
        return bool(self.flags & _C16)

    @property
    def record_base(self) -> int:
        """Leaf refs L = ref - n_nodes >= record_base are pool records at L - record_base."""
        return self.n_outputs if self.kind == 0 else 0


def _align4(n: int) -> int:
    return (n + 3) & ~3


def _fail(reason: str) -> None:
    raise ValueError(reason)


def parse_model(data: bytes) -> ParsedModel:
    """Parse and validate a model file; raises ValueError naming the reason."""
    data = bytes(data)
    if len(data) < _HEADER.size:
        _fail(f"truncated: {len(data)} bytes is shorter than the 32-byte header")
    (magic, version, kind, flags, combine, n_features, n_outputs, n_trees, n_nodes,
     n_leaf_words, size, reserved) = _HEADER.unpack_from(data, 0)
    if magic != b"EMLT":
        _fail("bad magic")
    if version != _VERSION:
        _fail(f"unsupported version {version}")
    if kind > 1:
        _fail(f"unknown kind {kind}")
    if flags & ~(_FLOAT | _WIDE | _T8 | _C16):
        _fail(f"unknown flags 0x{flags:02x}")
    if (flags & _T8) and (flags & _FLOAT):
        _fail("flag T8 (int8 thresholds) together with FLOAT")
    if (flags & _C16) and kind != 0:
        _fail("flag C16 (u16 class records) on a values model")
    if combine > 3:
        _fail(f"unknown combine {combine}")
    if kind == 0 and combine != 0:
        _fail("classifier models must use combine 0")
    if combine == 2 and n_outputs != 2:
        _fail("combine 2 (logistic) needs n_outputs 2")
    if reserved != 0:
        _fail("reserved field is not 0")
    if size != len(data):
        _fail(f"size field {size} != file length {len(data)}")
    if n_trees < 1:
        _fail("n_trees is 0")
    if n_features < 1:
        _fail("n_features is 0")
    if n_outputs < 1:
        _fail("n_outputs is 0")
    wide = bool(flags & _WIDE)
    if not wide and n_features > 256:
        _fail("n_features > 256 needs the WIDE layout")

    ref_t = "<u4" if wide else "<u2"
    if flags & _FLOAT:
        thr_t = "<i4"
    elif flags & _T8:
        thr_t = "i1"
    else:
        thr_t = "<i2"
    if kind == 1:
        pool_t = "<f4"
    else:
        pool_t = "<u2" if flags & _C16 else "u1"
    layout: list[tuple[str, int, str]] = [("roots", n_trees, ref_t)]
    if kind == 1:
        layout.append(("tree_output", n_trees, "<u2"))
    if combine != 0:
        layout.append(("init", n_outputs, "<f4"))
    layout += [
        ("feature", n_nodes, "<u2" if wide else "u1"),
        ("threshold", n_nodes, thr_t),
        ("left", n_nodes, ref_t),
        ("right", n_nodes, ref_t),
        ("leaves", n_leaf_words, pool_t),
    ]
    sections: dict[str, np.ndarray] = {}
    offset = _HEADER.size
    for name, count, dtype in layout:
        nbytes = count * np.dtype(dtype).itemsize
        if offset + nbytes > len(data):
            _fail(f"section {name} extends past the end of the file")
        sections[name] = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        offset = _align4(offset + nbytes)
    if offset != len(data):
        _fail(f"sections end at {offset}, file size is {len(data)}")

    feature = sections["feature"].astype(np.int64)
    if n_nodes and int(feature.max()) >= n_features:
        _fail("feature index out of range")
    tree_output = sections.get("tree_output")
    if tree_output is not None:
        bad = (tree_output != _ALL) & (tree_output >= n_outputs)
        if bad.any():
            _fail("tree_output out of range")
    pool = sections["leaves"]
    roots = sections["roots"].astype(np.int64)
    left = sections["left"].astype(np.int64)
    right = sections["right"].astype(np.int64)

    # Child refs naming a node must move forward (no cycles).
    idx = np.arange(n_nodes, dtype=np.int64)
    for name, child in (("left", left), ("right", right)):
        back = (child < n_nodes) & (child <= idx)
        if back.any():
            _fail(f"{name} child of node {int(idx[back][0])} does not name a later node")

    refs = np.concatenate([roots, left, right])
    leaves = np.unique(refs[refs >= n_nodes] - n_nodes)  # L values
    base = n_outputs if kind == 0 else 0
    pure = leaves[leaves < base]
    offsets = leaves[leaves >= base] - base
    if offsets.size and int(offsets.max()) >= n_leaf_words:
        _fail("leaf ref outside the leaf pool")
    if kind == 0:
        for o in offsets.tolist():
            _check_class_record(pool, int(o), n_outputs)
    else:
        need = n_outputs if (tree_output is not None and (tree_output == _ALL).any()) else 1
        if offsets.size and int(offsets.max()) + need > n_leaf_words:
            _fail("leaf record overruns the leaf pool")

    init = sections.get("init")
    return ParsedModel(
        kind=kind, flags=flags, combine=combine, n_features=n_features,
        n_outputs=n_outputs, n_trees=n_trees, n_nodes=n_nodes,
        n_leaf_words=n_leaf_words, size=size, roots=roots,
        tree_output=None if tree_output is None else tree_output.astype(np.int64),
        init=None if init is None else init.astype(np.float32),
        feature=feature, threshold=sections["threshold"].astype(np.int64),
        left=left, right=right, pool=pool, pure_leaves=pure, leaf_offsets=offsets,
    )


def _check_class_record(pool: np.ndarray, o: int, n_outputs: int) -> None:
    n = int(pool[o])
    if n < 1:
        _fail(f"leaf record at {o} has no classes")
    if o + 1 + 2 * n > len(pool):
        _fail(f"leaf record at {o} overruns the leaf pool")
    classes = pool[o + 1:o + 1 + 2 * n:2]
    counts = pool[o + 2:o + 2 + 2 * n:2]
    if int(classes.max()) >= n_outputs:
        _fail(f"leaf record at {o} names a class >= n_outputs")
    total = int(counts.astype(np.int64).sum())
    if total == 0:
        _fail(f"leaf record at {o} has zero counts")
    if total > _MAX_RECORD_SUM:
        _fail(f"leaf record at {o}: counts sum to {total} > {_MAX_RECORD_SUM}")


def model_info(data: bytes | str) -> dict[str, Any]:
    """Summary of a model file.

    bytes: a binary model (validated): size, layout, threshold and record word
    types, and counts: n_leaves (distinct leaves referenced: pure leaves plus
    records), n_leaf_records (distinct pool records) and n_leaf_words.
    str: an emlearn CSV model: size and the capacities n_trees, n_nodes,
    n_leaves to pass to ``emlearn_trees.new(n_trees, n_nodes, n_leaves)``.
    """
    if isinstance(data, str):
        counts = {"r": 0, "n": 0, "l": 0}
        meta: dict[str, int] = {}
        for line in data.splitlines():
            tok = line.strip().split(",")
            if tok[0] in counts:
                counts[tok[0]] += 1
            elif tok[0] in ("f", "c") and len(tok) > 1:
                meta[tok[0]] = int(tok[1])
        if "f" not in meta or "c" not in meta:
            raise ValueError("not an emlearn CSV model: no f and c lines")
        return {
            "format": "csv",
            "size": len(data.encode()),
            "n_features": meta.get("f"),
            "n_classes": meta.get("c"),
            "n_trees": counts["r"],
            "n_nodes": counts["n"],
            "n_leaves": counts["l"],
        }
    m = parse_model(data)
    if m.float_thresholds:
        thresholds = "float"
    else:
        thresholds = "int8" if m.int8_thresholds else "int16"
    if m.kind == 1:
        records = "float32"
    else:
        records = "u16" if m.u16_records else "u8"
    return {
        "format": "binary",
        "version": _VERSION,
        "size": m.size,
        "kind": ("classifier", "values")[m.kind],
        "combine": ("mean", "sum", "logistic", "softmax")[m.combine],
        "thresholds": thresholds,
        "records": records,
        "layout": "wide" if m.wide else "narrow",
        "flags": "0x%02x (%s)" % (m.flags, " ".join(
            name for bit, name in ((_FLOAT, "FLOAT"), (_WIDE, "WIDE"), (_T8, "T8"), (_C16, "C16"))
            if m.flags & bit) or "none"),
        "n_features": m.n_features,
        "n_outputs": m.n_outputs,
        "n_trees": m.n_trees,
        "n_nodes": m.n_nodes,
        "n_leaves": int(m.pure_leaves.size + m.leaf_offsets.size),
        "n_leaf_records": int(m.leaf_offsets.size),
        "n_leaf_words": m.n_leaf_words,
    }


# ---------------------------------------------------------------------------
# Prediction


def _float_keys(x32: np.ndarray) -> np.ndarray:
    b = x32.view(np.int32).astype(np.int64)
    b = np.where(x32 == 0, 0, b)
    k = b ^ ((b >> 31) & _INT32_MAX)
    return np.where(np.isnan(x32), _INT32_MAX, k)


def _input_values(m: ParsedModel, X: np.ndarray) -> np.ndarray:
    """What each input compares as, as int64 (see the decision rule)."""
    if np.issubdtype(X.dtype, np.integer):
        if X.min(initial=0) < -32768 or X.max(initial=0) > 32767:
            raise ValueError("integer inputs must fit in int16")
        if m.float_thresholds:
            return _float_keys(X.astype(np.float32))
        return X.astype(np.int64)
    x32 = np.asarray(X, dtype=np.float32)
    if m.float_thresholds:
        return _float_keys(x32)
    with np.errstate(invalid="ignore"):
        f = np.floor(x32.astype(np.float64))
        f = np.where(np.isnan(f), 32767, np.clip(f, -32769, 32767))
    return f.astype(np.int64)


def _leaf_refs(m: ParsedModel, values: np.ndarray, root: int) -> np.ndarray:
    """L = ref - n_nodes of the leaf each sample reaches from ``root``."""
    n = values.shape[0]
    idx = np.full(n, root, dtype=np.int64)
    active = np.nonzero(idx < m.n_nodes)[0]
    rows = np.arange(n)
    while active.size:
        nodes = idx[active]
        go_left = values[rows[active], m.feature[nodes]] < m.threshold[nodes]
        idx[active] = np.where(go_left, m.left[nodes], m.right[nodes])
        active = active[idx[active] < m.n_nodes]
    return idx - m.n_nodes


def _class_increments(m: ParsedModel, L: int, S: int) -> np.ndarray:
    """What a tree reaching leaf L adds to the accumulators (spec: combining trees)."""
    inc = np.zeros(m.n_outputs, dtype=np.int64)
    if L < m.n_outputs:
        inc[L] = S
        return inc
    o = L - m.n_outputs
    n = int(m.pool[o])
    pairs = [(int(m.pool[o + 1 + 2 * j]), int(m.pool[o + 2 + 2 * j])) for j in range(n)]
    N = sum(c for _, c in pairs)
    q, r = divmod(S, N)
    for k, c in pairs:
        inc[k] += c * q + (c * r) // N
    return inc


def classifier_accumulators(m: ParsedModel, values: np.ndarray) -> np.ndarray:
    """The u32 accumulators acc (n, n_outputs) of a kind-0 model, as int64."""
    S = (1 << 31) // m.n_trees
    n = values.shape[0]
    acc = np.zeros((n, m.n_outputs), dtype=np.int64)
    for root in m.roots.tolist():
        leaves = _leaf_refs(m, values, int(root))
        distinct, which = np.unique(leaves, return_inverse=True)
        table = np.stack([_class_increments(m, int(L), S) for L in distinct.tolist()])
        acc += table[which.reshape(-1)]
    assert int(acc.max(initial=0)) <= 1 << 31  # n_trees * S <= 2^31 fits a u32
    return acc


def predict_binary(data: bytes, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Predict with a model file: (outputs float32 (n, n_outputs), classes).

    outputs are class probabilities for classifiers (kind 0, or combine 2/3)
    and values for regressors; classes is the argmax index per sample (of the
    integer accumulators for kind 0, of the raw sums for combine 2/3), None
    for regressors. X: 2-D array; integer dtype means int16 inputs, anything
    else float32.
    """
    m = parse_model(data)
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != m.n_features:
        raise ValueError(f"X must have shape (n, {m.n_features})")
    values = _input_values(m, X)
    n = X.shape[0]
    if m.kind == 0:
        acc = classifier_accumulators(m, values)
        # acc <= 2^31 is exact in float64 and so is the scaling; float32 rounds to nearest
        outputs = (acc.astype(np.float64) * 2.0 ** -31).astype(np.float32)
        return outputs, np.argmax(acc, axis=1)
    assert m.tree_output is not None  # present for every values model (parse_model)
    sums = np.zeros((n, m.n_outputs), dtype=np.float32)
    if m.init is not None:  # present exactly when combine != 0 (parse_model)
        sums += m.init
    pool = m.pool.astype(np.float32)
    for t, root in enumerate(m.roots.tolist()):
        offs = _leaf_refs(m, values, int(root))
        out = int(m.tree_output[t])
        if out == _ALL:
            sums += pool[offs[:, None] + np.arange(m.n_outputs)]
        else:
            sums[:, out] += pool[offs]
    if m.combine == 0:
        outputs = (sums / np.float32(m.n_trees)).astype(np.float32)
    elif m.combine == 1:
        outputs = sums
    elif m.combine == 2:
        s = (np.float32(1) / (np.float32(1) + np.exp(-sums[:, 1]))).astype(np.float32)
        outputs = np.stack([np.float32(1) - s, s], axis=1)
    else:
        e = np.exp(sums - sums.max(axis=1, keepdims=True))
        outputs = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
    classes = np.argmax(sums, axis=1) if m.combine in (2, 3) else None
    return outputs, classes
