"""Corpus of malformed emlearn_trees model files, and valid fuzzing seeds.

Every file from :func:`make_bad_models` breaks one rule of
docs/trees-format.md ("Validation at load") and must be rejected by any
conforming loader with a ValueError; the C fuzzer and the MicroPython tests use
them. They are derived from small valid models trained on iris (deterministic).

    python3 -m emlearn_mp.trees_badmodels BAD_DIR [SEEDS_DIR]
"""

from __future__ import annotations

import os
import struct
import sys
from typing import Callable

import numpy as np

from .trees import to_binary

__all__ = ["base_models", "make_bad_models", "write_bad_models", "make_fuzz_seeds", "write_fuzz_seeds"]

# header field: (offset, struct format)
_FIELDS = {
    "magic": (0, "4s"), "version": (4, "B"), "kind": (5, "B"), "flags": (6, "B"),
    "combine": (7, "B"), "n_features": (8, "<H"), "n_outputs": (10, "<H"),
    "n_trees": (12, "<I"), "n_nodes": (16, "<I"), "n_leaf_words": (20, "<I"),
    "size": (24, "<I"), "reserved": (28, "<I"),
}


def _get(data: bytes, field: str) -> int:
    off, fmt = _FIELDS[field]
    return struct.unpack_from(fmt, data, off)[0]


def _set(data: bytes, field: str, value) -> bytes:
    off, fmt = _FIELDS[field]
    b = bytearray(data)
    struct.pack_into(fmt, b, off, value)
    return bytes(b)


def _fix_size(data: bytes) -> bytes:
    """Make the size field agree with the length, so another check must fail."""
    return _set(data, "size", len(data))


def _sections(data: bytes) -> dict[str, tuple[int, str]]:
    """Section name -> (byte offset, numpy dtype) of a valid file."""
    flags, kind, combine = _get(data, "flags"), _get(data, "kind"), _get(data, "combine")
    wide, flt = bool(flags & 2), bool(flags & 1)
    n_trees, n_nodes = _get(data, "n_trees"), _get(data, "n_nodes")
    ref = "<u4" if wide else "<u2"
    layout = [("roots", n_trees, ref)]
    if kind == 1:
        layout.append(("tree_output", n_trees, "<u2"))
    if combine != 0:
        layout.append(("init", _get(data, "n_outputs"), "<f4"))
    layout += [("feature", n_nodes, "<u2" if wide else "u1"),
               ("threshold", n_nodes, "<i4" if flt else "<i2"),
               ("left", n_nodes, ref), ("right", n_nodes, ref),
               ("leaves", _get(data, "n_leaf_words"), "<f4" if kind == 1 else "<u2")]
    out = {}
    off = 32
    for name, count, dt in layout:
        out[name] = (off, dt)
        off = (off + count * np.dtype(dt).itemsize + 3) & ~3
    return out


def _read(data: bytes, section: str, index: int) -> int:
    off, dt = _sections(data)[section]
    return np.frombuffer(data, dtype=dt, count=1, offset=off + index * np.dtype(dt).itemsize)[0].item()


def _poke(data: bytes, section: str, index: int, value) -> bytes:
    off, dt = _sections(data)[section]
    b = bytearray(data)
    size = np.dtype(dt).itemsize
    b[off + index * size: off + (index + 1) * size] = np.array([value], dtype=dt).tobytes()
    return bytes(b)


def base_models() -> dict[str, bytes]:
    """Small valid models: narrow int16 classifier, GB (values, softmax),
    multi-output forest regressor, wide classifier."""
    from sklearn.datasets import load_iris, make_regression
    from sklearn.ensemble import GradientBoostingClassifier, RandomForestRegressor
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    Xi = np.rint(X * 10).astype(np.int16)
    dt = DecisionTreeClassifier(max_depth=3, random_state=0).fit(Xi, y)
    gb = GradientBoostingClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y)
    Xr, yr = make_regression(n_samples=60, n_features=4, n_targets=3, random_state=0)
    rf = RandomForestRegressor(n_estimators=2, max_depth=2, random_state=0).fit(Xr, yr)
    return {
        "cls": to_binary(dt, "int16"),
        "gb": to_binary(gb, "float"),
        "reg": to_binary(rf, "float"),
        "wide": to_binary(dt, "int16", wide=True),
    }


def make_bad_models() -> dict[str, bytes]:
    """Malformed files, by name (each must fail validation)."""
    b = base_models()
    cls, gb, reg, wide = b["cls"], b["gb"], b["reg"], b["wide"]
    nn = _get(cls, "n_nodes")
    nl = _get(cls, "n_leaf_words")
    nf = _get(cls, "n_features")
    no = _get(cls, "n_outputs")
    assert nn >= 3
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
    # header fields
    add("bad_magic", _set(cls, "magic", b"EMLX"))
    add("bad_magic_lowercase", _set(cls, "magic", b"emlt"))
    add("version_0", _set(cls, "version", 0))
    add("version_2", _set(cls, "version", 2))
    add("kind_2", _set(cls, "kind", 2))
    add("combine_4", _set(cls, "combine", 4))
    add("classifier_combine_sum", _set(cls, "combine", 1))
    add("kind_values_on_classifier", _set(cls, "kind", 1))
    add("unknown_flag_bit2", _set(cls, "flags", _get(cls, "flags") | 0x04))
    add("unknown_flag_bit7", _set(cls, "flags", _get(cls, "flags") | 0x80))
    add("float_flag_toggled", _set(cls, "flags", _get(cls, "flags") ^ 0x01))
    add("wide_flag_on_narrow", _set(cls, "flags", _get(cls, "flags") | 0x02))
    add("reserved_nonzero", _set(cls, "reserved", 1))
    # counts
    add("zero_trees", _set(cls, "n_trees", 0))
    add("zero_features", _set(cls, "n_features", 0))
    add("zero_outputs", _set(cls, "n_outputs", 0))
    add("narrow_300_features", _set(cls, "n_features", 300))
    add("n_trees_huge", _set(cls, "n_trees", 0xFFFFFFFF))
    add("n_nodes_huge", _set(cls, "n_nodes", 0xFFFFFFFF))
    add("n_leaf_words_huge", _set(cls, "n_leaf_words", 0xFFFFFFFF))
    add("n_nodes_minus_1", _set(cls, "n_nodes", nn - 1))
    add("n_nodes_plus_2", _set(cls, "n_nodes", nn + 2))
    add("n_leaf_words_plus_2", _set(cls, "n_leaf_words", nl + 2))
    add("n_leaf_words_minus_2", _set(cls, "n_leaf_words", nl - 2))
    # nodes
    add("feature_eq_n_features", _poke(cls, "feature", 0, nf))
    add("feature_0xff", _poke(cls, "feature", nn - 1, 0xFF))
    add("left_ref_past_pool", _poke(cls, "left", 0, nn + nl))
    add("right_ref_0xffff", _poke(cls, "right", 0, 0xFFFF))
    add("root_ref_past_pool", _poke(cls, "roots", 0, nn + nl))
    add("child_self_loop", _poke(cls, "left", 1, 1))
    add("child_back_to_root", _poke(cls, "right", nn - 1, 0))
    add("child_backward", _poke(cls, "left", 2, 1))
    # leaf records (the record at pool offset 0 is always referenced)
    add("leaf_record_at_last_word", _poke(cls, "roots", 0, nn + nl - 1))
    add("leaf_n_zero", _poke(cls, "leaves", 0, 0))
    add("leaf_n_huge", _poke(cls, "leaves", 0, 0xFFFF))
    add("leaf_class_eq_n_outputs", _poke(cls, "leaves", 1, no))
    zero = cls
    for k in range(_read(cls, "leaves", 0)):
        zero = _poke(zero, "leaves", 2 + 2 * k, 0)
    add("leaf_zero_counts", zero)
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
    add("wide_flag_cleared", _set(wide, "flags", _get(wide, "flags") & ~0x02))
    add("wide_truncated_size_patched", _fix_size(wide[:-8]))
    return bad


def make_fuzz_seeds() -> dict[str, bytes]:
    """A few small valid models covering every kind, combine and layout."""
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
    return seeds


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
