"""Corpus of malformed emlearn_trees model files, and valid fuzzing seeds.

Every file from :func:`make_bad_models` breaks one rule of
docs/trees-format.md (version 2, "Validation at load") and must be rejected by
any conforming loader with a ValueError; the C fuzzer and the MicroPython tests
use them. They are derived from small valid models trained on iris and on
synthetic data (deterministic).

    python3 -m emlearn_mp.trees_badmodels BAD_DIR [SEEDS_DIR]
"""

from __future__ import annotations

import os
import struct
import sys
from typing import Callable

import numpy as np

from .trees import to_binary
from .trees_reader import parse_model

__all__ = ["base_models", "make_bad_models", "write_bad_models", "make_fuzz_seeds", "write_fuzz_seeds"]

# header field: (offset, struct format)
_FIELDS = {
    "magic": (0, "4s"), "version": (4, "B"), "kind": (5, "B"), "flags": (6, "B"),
    "combine": (7, "B"), "n_features": (8, "<H"), "n_outputs": (10, "<H"),
    "n_trees": (12, "<I"), "n_nodes": (16, "<I"), "n_leaf_words": (20, "<I"),
    "size": (24, "<I"), "reserved": (28, "<I"),
}
FLOAT, WIDE, T8, C16 = 0x01, 0x02, 0x04, 0x08


def _get(data: bytes, field: str) -> int:
    off, fmt = _FIELDS[field]
    return struct.unpack_from(fmt, data, off)[0]


def _set(data: bytes, field: str, value: int | bytes) -> bytes:
    off, fmt = _FIELDS[field]
    b = bytearray(data)
    struct.pack_into(fmt, b, off, value)
    return bytes(b)


def _flags(data: bytes, set_bits: int = 0, clear_bits: int = 0) -> bytes:
    return _set(data, "flags", (_get(data, "flags") | set_bits) & ~clear_bits & 0xFF)


def _fix_size(data: bytes) -> bytes:
    """Make the size field agree with the length, so another check must fail."""
    return _set(data, "size", len(data))


def _sections(data: bytes) -> dict[str, tuple[int, str]]:
    """Section name -> (byte offset, numpy dtype) of a valid file."""
    flags, kind, combine = _get(data, "flags"), _get(data, "kind"), _get(data, "combine")
    wide = bool(flags & WIDE)
    n_trees, n_nodes = _get(data, "n_trees"), _get(data, "n_nodes")
    ref = "<u4" if wide else "<u2"
    thr = "<i4" if flags & FLOAT else ("i1" if flags & T8 else "<i2")
    pool = "<f4" if kind == 1 else ("<u2" if flags & C16 else "u1")
    layout = [("roots", n_trees, ref)]
    if kind == 1:
        layout.append(("tree_output", n_trees, "<u2"))
    if combine != 0:
        layout.append(("init", _get(data, "n_outputs"), "<f4"))
    layout += [("feature", n_nodes, "<u2" if wide else "u1"),
               ("threshold", n_nodes, thr),
               ("left", n_nodes, ref), ("right", n_nodes, ref),
               ("leaves", _get(data, "n_leaf_words"), pool)]
    out = {}
    off = 32
    for name, count, dt in layout:
        out[name] = (off, dt)
        off = (off + count * np.dtype(dt).itemsize + 3) & ~3
    return out


def _read(data: bytes, section: str, index: int) -> int:
    off, dt = _sections(data)[section]
    return np.frombuffer(data, dtype=dt, count=1, offset=off + index * np.dtype(dt).itemsize)[0].item()


def _poke(data: bytes, section: str, index: int, value: float) -> bytes:
    off, dt = _sections(data)[section]
    b = bytearray(data)
    size = np.dtype(dt).itemsize
    b[off + index * size: off + (index + 1) * size] = np.array([value], dtype=dt).tobytes()
    return bytes(b)


def base_models() -> dict[str, bytes]:
    """Small valid models: narrow classifier (int8 thresholds, u8 records), the
    same in the wide layout, a classifier with int16 thresholds and u16 records,
    one whose leaves are all pure (empty pool), a single-leaf classifier
    (no nodes), GB (values, softmax) and a multi-output forest regressor."""
    from sklearn.datasets import load_iris, make_regression
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    Xi = np.rint(X * 10).astype(np.int16)
    dt = DecisionTreeClassifier(max_depth=3, random_state=0).fit(Xi, y)
    gb = GradientBoostingClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y)
    Xr, yr = make_regression(n_samples=60, n_features=4, n_targets=3, random_state=0)
    rf = RandomForestRegressor(n_estimators=2, max_depth=2, random_state=0).fit(Xr, yr)
    rng = np.random.RandomState(0)
    x16 = rng.randint(0, 1000, size=3000)
    y16 = (rng.rand(3000) < 0.2 + 0.0005 * x16).astype(int) + (x16 > 900)
    dt16 = DecisionTreeClassifier(max_depth=2, random_state=0).fit(x16[:, None], y16)
    pure = DecisionTreeClassifier(random_state=0).fit([[0], [1], [2], [3], [4], [5]], [0, 0, 1, 1, 2, 2])
    single = DecisionTreeClassifier().fit(Xi[:10], np.zeros(10, dtype=int))
    return {
        "cls": to_binary(dt, "int16"),
        "gb": to_binary(gb, "float"),
        "reg": to_binary(rf, "float"),
        "wide": to_binary(dt, "int16", wide=True),
        "c16": to_binary(dt16, "int16"),
        "pure": to_binary(pure, "int16"),
        "single": to_binary(single, "int16"),
    }


def _record_words(data: bytes, o: int) -> list[int]:
    n = _read(data, "leaves", o)
    return [_read(data, "leaves", o + k) for k in range(1 + 2 * n)]


def _record_child(data: bytes) -> tuple[str, int, int]:
    """(left/right, node, pool offset) of a child ref that names a pool record."""
    m = parse_model(data)
    base = m.n_nodes + m.n_outputs
    for i in range(m.n_nodes):
        for side, refs in (("left", m.left), ("right", m.right)):
            if refs[i] >= base:
                return side, i, int(refs[i]) - base
    raise AssertionError("no child names a record")


def make_bad_models() -> dict[str, bytes]:
    """Malformed files, by name (each must fail validation)."""
    b = base_models()
    cls, gb, reg, wide, c16 = b["cls"], b["gb"], b["reg"], b["wide"], b["c16"]
    pure, single = b["pure"], b["single"]
    nn = _get(cls, "n_nodes")
    nl = _get(cls, "n_leaf_words")
    nf = _get(cls, "n_features")
    no = _get(cls, "n_outputs")
    m_cls, m_c16 = parse_model(cls), parse_model(c16)
    # what the cases below rely on
    assert nn >= 3 and _get(cls, "flags") == T8 and 0 in m_cls.leaf_offsets.tolist()
    assert _get(c16, "flags") == C16 and _get(c16, "n_nodes") >= 3
    assert all(int(c16_o) >= 0 and _read(c16, "leaves", int(c16_o)) >= 2 for c16_o in m_c16.leaf_offsets)
    assert 0 in m_c16.leaf_offsets.tolist()
    assert _get(pure, "n_leaf_words") == 0 and _get(single, "n_nodes") == 0
    assert _get(gb, "combine") == 3 and _get(gb, "n_outputs") == 3
    bad: dict[str, bytes] = {}
    add: Callable[[str, bytes], None] = bad.__setitem__

    # truncation and length
    add("empty", b"")
    add("truncated_header", cls[:31])
    add("header_only", _fix_size(cls[:32]))
    add("truncated_half", cls[: len(cls) // 2])
    add("truncated_half_size_patched", _fix_size(cls[: (len(cls) // 2) & ~3]))
    add("truncated_4_size_patched", _fix_size(cls[:-4]))
    add("extra_4_bytes", cls + bytes(4))
    add("extra_4_bytes_size_patched", _fix_size(cls + bytes(4)))
    add("odd_length_size_patched", _fix_size(cls + bytes(1)))
    add("size_field_minus_4", _set(cls, "size", len(cls) - 4))
    add("size_field_plus_4", _set(cls, "size", len(cls) + 4))
    add("size_field_zero", _set(cls, "size", 0))
    # not a model at all: random bytes, text (an emlearn CSV passed to load),
    # and random bytes behind a valid magic and version
    garbage = np.random.RandomState(3).randint(0, 256, len(cls)).astype(np.uint8).tobytes()
    add("garbage_random", garbage)
    add("garbage_csv_text", b"f,2\nc,2\nl,0\nl,1\nr,0\nn,0,1,-1,-2\n")
    add("garbage_after_magic", cls[:5] + garbage[5:])
    # header fields
    add("bad_magic", _set(cls, "magic", b"EMLX"))
    add("bad_magic_lowercase", _set(cls, "magic", b"emlt"))
    add("version_0", _set(cls, "version", 0))
    add("version_1", _set(cls, "version", 1))  # version 1 files are no longer read
    add("version_3", _set(cls, "version", 3))
    add("kind_2", _set(cls, "kind", 2))
    add("combine_4", _set(cls, "combine", 4))
    add("classifier_combine_sum", _set(cls, "combine", 1))
    add("kind_values_on_classifier", _set(cls, "kind", 1))
    add("unknown_flag_bit4", _flags(cls, 0x10))
    add("unknown_flag_bit7", _flags(cls, 0x80))
    add("float_flag_toggled", _flags(c16, FLOAT))  # int16 thresholds read as int32
    add("wide_flag_on_narrow", _flags(cls, WIDE))
    add("reserved_nonzero", _set(cls, "reserved", 1))
    # flags new in version 2: bad combinations (the layout would fit either way)
    add("t8_with_float_no_nodes", _flags(single, T8 | FLOAT))
    add("t8_with_float", _flags(cls, FLOAT))
    add("c16_on_values_gb", _flags(gb, C16))
    add("c16_on_values_regressor", _flags(reg, C16))
    # ... and flags that do not describe the file's layout
    add("t8_flag_cleared", _flags(cls, 0, T8))
    add("t8_flag_set_on_int16", _flags(c16, T8))
    add("c16_flag_cleared", _flags(c16, 0, C16))
    add("c16_flag_set_on_u8", _flags(cls, C16))
    # counts
    add("zero_trees", _set(cls, "n_trees", 0))
    add("zero_features", _set(cls, "n_features", 0))
    add("zero_outputs", _set(cls, "n_outputs", 0))
    add("narrow_300_features", _set(cls, "n_features", 300))
    add("n_trees_huge", _set(cls, "n_trees", 0xFFFFFFFF))
    add("n_nodes_huge", _set(cls, "n_nodes", 0xFFFFFFFF))
    add("n_leaf_words_huge", _set(cls, "n_leaf_words", 0xFFFFFFFF))
    add("n_nodes_minus_1", _set(c16, "n_nodes", _get(c16, "n_nodes") - 1))
    add("n_nodes_plus_2", _set(cls, "n_nodes", nn + 2))
    add("n_leaf_words_plus_4", _set(cls, "n_leaf_words", nl + 4))
    add("n_leaf_words_minus_4", _set(cls, "n_leaf_words", nl - 4))
    add("c16_n_leaf_words_plus_2", _set(c16, "n_leaf_words", _get(c16, "n_leaf_words") + 2))
    add("c16_n_leaf_words_minus_2", _set(c16, "n_leaf_words", _get(c16, "n_leaf_words") - 2))
    add("values_logistic_with_3_outputs", _set(gb, "combine", 2))
    # nodes
    add("feature_eq_n_features", _poke(cls, "feature", 0, nf))
    add("feature_0xff", _poke(cls, "feature", nn - 1, 0xFF))
    add("left_ref_past_pool", _poke(cls, "left", 0, nn + no + nl))
    add("right_ref_0xffff", _poke(cls, "right", 0, 0xFFFF))
    add("root_ref_past_pool", _poke(cls, "roots", 0, nn + no + nl))
    add("child_self_loop", _poke(cls, "left", 1, 1))
    add("child_back_to_root", _poke(cls, "right", nn - 1, 0))
    add("child_backward", _poke(cls, "left", 2, 1))
    # A narrow file of a model with many classes, where the ref of a record,
    # n_nodes + n_outputs + offset, is 65536: stored in a u16 it wraps to 0.
    side, node, offset = _record_child(cls)
    wrapped = _set(cls, "n_outputs", 65536 - nn - offset)
    true_ref = nn + _get(wrapped, "n_outputs") + offset
    assert true_ref == 0x10000
    add("narrow_ref_overflow_wraps_to_node_0", _poke(wrapped, side, node, true_ref & 0xFFFF))
    # pure leaves: L = ref - n_nodes < n_outputs; L = n_outputs is the record at pool offset 0
    pn, po = _get(pure, "n_nodes"), _get(pure, "n_outputs")
    add("pure_leaf_ref_eq_n_outputs_empty_pool", _poke(pure, "left", 0, pn + po))
    add("pure_root_ref_eq_n_outputs_empty_pool", _poke(pure, "roots", 0, pn + po))
    add("single_leaf_root_past_empty_pool", _poke(single, "roots", 0, _get(single, "n_outputs")))
    # u8 leaf records (the record at pool offset 0 is always referenced)
    add("leaf_record_at_last_word", _poke(cls, "roots", 0, nn + no + nl - 1))
    add("leaf_n_zero", _poke(cls, "leaves", 0, 0))
    add("leaf_n_255", _poke(cls, "leaves", 0, 0xFF))
    add("leaf_class_eq_n_outputs", _poke(cls, "leaves", 1, no))
    add("leaf_class_255", _poke(cls, "leaves", 1, 0xFF))
    zero = cls
    for k in range(_read(cls, "leaves", 0)):
        zero = _poke(zero, "leaves", 2 + 2 * k, 0)
    add("leaf_zero_counts", zero)
    last = int(m_cls.leaf_offsets.max())
    add("u8_record_overruns_pool_end", _poke(cls, "leaves", last, _read(cls, "leaves", last) + 1))
    # u16 leaf records (C16)
    c16_nn, c16_no, c16_nl = _get(c16, "n_nodes"), _get(c16, "n_outputs"), _get(c16, "n_leaf_words")
    add("c16_leaf_ref_past_pool", _poke(c16, "left", 0, c16_nn + c16_no + c16_nl))
    add("c16_leaf_n_zero", _poke(c16, "leaves", 0, 0))
    add("c16_leaf_n_0xffff", _poke(c16, "leaves", 0, 0xFFFF))
    add("c16_leaf_class_eq_n_outputs", _poke(c16, "leaves", 1, c16_no))
    add("c16_leaf_class_0xffff", _poke(c16, "leaves", 3, 0xFFFF))
    n0 = _read(c16, "leaves", 0)
    zero, over, huge = c16, c16, c16
    for k in range(n0):
        zero = _poke(zero, "leaves", 2 + 2 * k, 0)
        over = _poke(over, "leaves", 2 + 2 * k, 65535 if k == 0 else (1 if k == 1 else 0))
        huge = _poke(huge, "leaves", 2 + 2 * k, 0xFFFF)
    add("c16_record_sum_zero", zero)
    add("c16_record_sum_65536", over)
    add("c16_record_counts_all_0xffff", huge)
    c16_last = int(m_c16.leaf_offsets.max())
    add("c16_record_overruns_pool_end",
        _poke(c16, "leaves", c16_last, _read(c16, "leaves", c16_last) + 1))
    # values models
    add("values_tree_output_eq_n_outputs", _poke(gb, "tree_output", 0, _get(gb, "n_outputs")))
    add("values_tree_output_0xfffe", _poke(gb, "tree_output", 1, 0xFFFE))
    add("values_feature_out_of_range", _poke(gb, "feature", 0, _get(gb, "n_features")))
    add("values_combine_4", _set(gb, "combine", 4))
    add("values_leaf_ref_past_pool", _poke(gb, "left", 0, _get(gb, "n_nodes") + _get(gb, "n_leaf_words")))
    add("values_all_outputs_record_overrun",
        _poke(reg, "roots", 0, _get(reg, "n_nodes") + _get(reg, "n_leaf_words") - 1))
    add("values_init_dropped", _set(gb, "combine", 0))
    # wide layout
    add("wide_feature_0xffff", _poke(wide, "feature", 0, 0xFFFF))
    add("wide_ref_0xffffffff", _poke(wide, "left", 0, 0xFFFFFFFF))
    add("wide_child_backward", _poke(wide, "right", 2, 0))
    add("wide_flag_cleared", _flags(wide, 0, WIDE))
    add("wide_truncated_size_patched", _fix_size(wide[:-8]))
    return bad


def make_fuzz_seeds() -> dict[str, bytes]:
    """A few small valid models covering every kind, combine, layout, threshold
    and record type."""
    from sklearn.datasets import load_breast_cancer, load_iris
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.tree import DecisionTreeClassifier

    seeds = dict(base_models())
    X, y = load_iris(return_X_y=True)
    seeds["cls_float"] = to_binary(DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y))
    Xb, yb = load_breast_cancer(return_X_y=True)
    gbb = GradientBoostingClassifier(n_estimators=3, max_depth=1, random_state=0).fit(Xb, yb)
    seeds["gb_binary"] = to_binary(gbb)
    gbr = GradientBoostingRegressor(n_estimators=3, max_depth=2, random_state=0).fit(X[:, :3], X[:, 3])
    seeds["gb_regressor_int16"] = to_binary(gbr, "int16")
    one = DecisionTreeClassifier().fit(X, np.zeros(len(X), dtype=int))
    seeds["single_leaf"] = to_binary(one)
    seeds["c16_wide"] = to_binary(
        DecisionTreeClassifier(max_depth=2, random_state=0).fit(*_c16_data()), "int16", wide=True)
    return seeds


def _c16_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(1)
    x = rng.randint(-500, 500, size=2000)
    return x[:, None], (rng.rand(2000) < 0.5 + 0.0008 * x).astype(int)


def _write_all(files: dict[str, bytes], dirpath: str) -> list[str]:
    os.makedirs(dirpath, exist_ok=True)
    paths = []
    for name, data in sorted(files.items()):
        path = os.path.join(dirpath, name + ".emlt")
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
    return paths


def write_bad_models(dirpath: str) -> list[str]:
    """Write every bad model as ``<name>.emlt`` in dirpath; returns the paths."""
    return _write_all(make_bad_models(), dirpath)


def write_fuzz_seeds(dirpath: str) -> list[str]:
    """Write the valid seed models as ``<name>.emlt`` in dirpath; returns the paths."""
    return _write_all(make_fuzz_seeds(), dirpath)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    print(len(write_bad_models(sys.argv[1])), "bad models written to", sys.argv[1])
    if len(sys.argv) == 3:
        print(len(write_fuzz_seeds(sys.argv[2])), "seeds written to", sys.argv[2])
