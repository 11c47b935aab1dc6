"""Corpus of malformed TinyMaix model files (.tmdl) for emlearn_cnn_int8 and
emlearn_cnn_fp32, and small valid models for positive tests and fuzzing seeds.

Each file of :func:`make_bad_models` breaks one rule of the loader
(src/core/eml_cnn.c, ``eml_cnn_load``) and comes with the text its ValueError
must contain; together they reach every message of that file. They are
derived from two tiny valid models built here, each as int8 and float32,
and, when ../shared/data/cnn holds them, from its MNIST models (the tiny
models' cases alone reach every message). :func:`expected_reason` is a second
reading of the loader's rules, in its order: every case is checked against it,
so none is labelled with a message another check would give first. What a
valid model computes is :func:`emlearn_mp.tmdl.run`'s.

    python3 -m emlearn_mp.cnn_badmodels BAD_DIR [SEEDS_DIR]

writes the bad models to BAD_DIR (``<name>.tmdl``, and ``<name>.txt`` with the
expected message) and the valid ones to SEEDS_DIR.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import pathlib
import re
import struct
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .tmdl import FP32, INT8

__all__ = ["MESSAGES", "BadModel", "tiny_models", "shared_models", "make_bad_models",
           "make_valid_models", "expected_reason", "core_messages", "write_bad_models", "write_valid_models",
           "main"]

CONV2D, GAP, FC, SOFTMAX, RESHAPE, DWCONV2D = 0, 1, 2, 3, 4, 5
ACT_NONE, ACT_RELU, ACT_RELU1, ACT_RELU6 = 0, 1, 2, 3
HEADER_SIZE, HEAD_SIZE, CONV_SIZE, FC_SIZE = 64, 48, 80, 64
MAX_DOT_TERMS = 131071
MAX_VALUES = 0x7FFFFFFF         # values of one tensor

Dims = Tuple[int, int, int, int]
Cases = List[Tuple[str, bytes, str]]     # (name, file, MESSAGES key)

# The loader's reasons (src/core/eml_cnn.c), by short name.
MESSAGES: Dict[str, str] = {
    "short_file": "file shorter than the model header",
    "magic": "not a TinyMaix model (no MAIX magic)",
    "model_type": "model type not supported (int8 and fp32 are)",
    "io_count": "model must have one input and one output",
    "no_layers": "model has no layers",
    "model_dims": "model input dimensions invalid",
    "buffer_size": "model's buffer size too large",
    "ends_in_layer": "file ends inside a layer",
    "layer_size": "layer size invalid or past the end of the file",
    "first_layer": "first layer's input differs from the model's",
    "layer_dims": "layer dimensions invalid",
    "arena": "layer tensor outside the model's buffer",
    "overlap": "layer input and output overlap in the buffer",
    "zero_point": "zero point outside int8",
    "scale": "layer scale not a positive number",
    "short_layer": "layer too short",
    "kernel": "convolution kernel or stride of 0",
    "dilation": "dilated convolution not supported",
    "activation": "activation not supported (none, relu, relu1, relu6 are)",
    "conv_size": "convolution output size does not match kernel, stride and padding",
    "dmul_zero": "depthwise convolution with depth multiplier 0",
    "dmul": "depthwise output channels not input channels x depth multiplier",
    "terms": "layer sums more than 131071 products",
    "weights": "weights outside their layer",
    "bias": "bias outside its layer",
    "scales_place": "weight scales outside their layer",
    "weight_scale": "weight scale out of range",
    "gap_shape": "average pooling output is not one value per channel",
    "gap_scale": "average pooling scale out of range",
    "softmax": "softmax output size differs from its input",
    "reshape": "reshape changes the number of values",
    "layer_type": "layer type not supported",
    "no_output": "model has no output layer",
}


def _fields(spec: str, offset: int = 0) -> Dict[str, Tuple[int, str]]:
    """{name: (byte offset, struct format)} of consecutive little-endian
    fields, given as "name:format" ("-" for a field that is not named)."""
    out = {}
    for field in spec.split():
        name, fmt = field.split(":")
        out[name] = (offset, "<" + fmt)
        offset += struct.calcsize("<" + fmt)
    return out


# The header; a layer's head, then its conv or fc parameters (from the layer's start).
_HEADER = _fields("magic:4s type:B dequantize_output:B n_inputs:H n_outputs:H n_layers:H buffer_size:I "
                  "sub_buffer_size:I in_dims:4H out_dims:4H")
_HEAD = _fields("type:H is_output:H size:I in_offset:I out_offset:I in_dims:4H out_dims:4H in_scale:f in_zero:i "
                "out_scale:f out_zero:i")
_CONV = _fields("kernel_w:B kernel_h:B stride_w:B stride_h:B dilation_w:B dilation_h:B activation:H pad:4B "
                "depth_multiplier:I -:I scales_offset:I weights_offset:I bias_offset:I", HEAD_SIZE)
_FC = _fields("scales_offset:I weights_offset:I bias_offset:I", HEAD_SIZE)
HDR = None      # the "layer" of header fields, for _get and _set


@dataclass
class BadModel:
    """A malformed file, named by what is wrong, the text its ValueError
    must contain (one of MESSAGES' values), and the name of the valid model
    it was made from (tiny_models() or shared_models()), if any."""
    name: str
    data: bytes
    expected: str
    base: Optional[str] = None


# ---------------------------------------------------------------- reading and patching files

def _count(dims: Sequence[int]) -> int:
    return dims[1] * dims[2] * dims[3]


def layer_offsets(data: bytes) -> List[int]:
    """Byte offsets of the layers of a valid file, up to its output layer."""
    offsets, off = [], HEADER_SIZE
    for _ in range(struct.unpack_from("<H", data, 10)[0]):
        offsets.append(off)
        if struct.unpack_from("<H", data, off + 2)[0]:
            break
        off += struct.unpack_from("<I", data, off + 4)[0]
    return offsets


def _where(data: bytes, layer: Optional[int], name: str) -> Tuple[int, str]:
    """Byte offset and format of a field of the header (layer HDR) or of a
    layer (its index)."""
    if layer is None:
        return _HEADER[name]
    off = layer_offsets(data)[layer]
    ltype = struct.unpack_from("<H", data, off)[0]
    rel, fmt = {**_HEAD, **(_FC if ltype == FC else _CONV if ltype in (CONV2D, DWCONV2D) else {})}[name]
    return off + rel, fmt


def _get(data: bytes, layer: Optional[int], name: str) -> Any:
    """A field's value (a tuple for the dimensions and padding)."""
    off, fmt = _where(data, layer, name)
    value = struct.unpack_from(fmt, data, off)
    return value if len(value) > 1 else value[0]


def _poke(data: bytes, offset: int, fmt: str, value: Any) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, *(value if isinstance(value, tuple) else (value,)))
    return bytes(b)


def _set(data: bytes, layer: Optional[int], **fields: Any) -> bytes:
    """data with fields of the header (layer HDR) or of a layer set, in order."""
    for name, value in fields.items():
        data = _poke(data, *_where(data, layer, name), value)
    return data


def _esize(data: bytes) -> int:
    return 1 if data[4] == INT8 else 4


def _layers_of(data: bytes, *types: int) -> List[int]:
    """Indices of the layers of these types."""
    kinds = [struct.unpack_from("<H", data, o)[0] for o in layer_offsets(data)]
    return [i for i, t in enumerate(kinds) if t in types]


# ---------------------------------------------------------------- the loader's rules

def _rescale_ok(multiplier: np.float32) -> bool:
    """eml_cnn_rescale accepts the float32 multiplier: below 2^16, not
    negative, infinite or NaN (its bits below 0x47800000)."""
    return int(np.asarray(multiplier, np.float32).view(np.uint32)) < 0x47800000


def _dims_valid(d: Sequence[int]) -> bool:
    """1 to 3 dimensions, none 0, at most 2^31 - 1 values."""
    return 1 <= d[0] <= 3 and min(d[1:]) >= 1 and _count(d) <= MAX_VALUES


Checks = Iterator[Tuple[bool, str]]     # (rule broken, MESSAGES key), in the loader's order


def _parameter_checks(data: bytes, lo: int, size: int, esize: int, w_off: int, b_off: int, s_off: int,
                      n_scales: int, n_out: int, terms: int) -> Checks:
    def outside(off: int, n: int, item: int, align: int) -> bool:
        return off % align != 0 or off + n * item > size

    yield terms > MAX_DOT_TERMS, "terms"
    yield outside(w_off, n_out * terms, esize, esize), "weights"
    yield outside(b_off, n_out, 4, 4), "bias"
    if data[4] == INT8:
        yield outside(s_off, n_scales, 4, 4), "scales_place"
        in_s, out_s = np.frombuffer(data, "<f4", 3, lo + 32)[[0, 2]]
        for ws in np.frombuffer(data, "<f4", n_scales, lo + s_off):
            with np.errstate(all="ignore"):
                multiplier = (ws * in_s) / out_s
            # eml_float_key(ws) < 0: the sign bit set, but not -0.0
            yield bool(np.signbit(ws) and ws != 0) or not _rescale_ok(multiplier), "weight_scale"


def _layer_checks(data: bytes, lo: int, size: int, arena: int) -> Checks:
    int8 = data[4] == INT8
    esize = 1 if int8 else 4
    ltype, _, _, in_off, out_off = struct.unpack_from("<HHIII", data, lo)
    in_d, out_d = struct.unpack_from("<4H", data, lo + 16), struct.unpack_from("<4H", data, lo + 24)
    in_s, in_z, out_s, out_z = struct.unpack_from("<fifi", data, lo + 32)
    yield not _dims_valid(in_d) or not _dims_valid(out_d), "layer_dims"
    n_in, n_out = _count(in_d), _count(out_d)
    yield any(off % esize or off + n * esize > arena for off, n in ((in_off, n_in), (out_off, n_out))), "arena"
    yield ltype != RESHAPE and in_off < out_off + n_out * esize and out_off < in_off + n_in * esize, "overlap"
    if int8:
        yield not (-128 <= in_z <= 127 and -128 <= out_z <= 127), "zero_point"
        yield not all(math.isfinite(s) and s > 0 for s in (in_s, out_s)), "scale"
    if ltype in (CONV2D, DWCONV2D):
        yield size < CONV_SIZE, "short_layer"
        kw, kh, sw, sh, dw, dh, act, pt, pb, pl, pr, dmul, _, s_off, w_off, b_off = \
            struct.unpack_from("<6BH4B5I", data, lo + 48)
        yield 0 in (kw, kh, sw, sh), "kernel"
        yield dw != 1 or dh != 1, "dilation"
        yield act > ACT_RELU6, "activation"

        def axis_ok(n: int, p0: int, p1: int, k: int, s: int, o: int) -> bool:
            return n + p0 + p1 >= k and o == (n + p0 + p1 - k) // s + 1

        yield not axis_ok(in_d[1], pt, pb, kh, sh, out_d[1]) or not axis_ok(in_d[2], pl, pr, kw, sw, out_d[2]), \
            "conv_size"
        yield ltype == DWCONV2D and dmul == 0, "dmul_zero"
        yield dmul != 0 and in_d[3] * dmul != out_d[3], "dmul"
        terms = (1 if dmul else in_d[3]) * kw * kh
        yield from _parameter_checks(data, lo, size, esize, w_off, b_off, s_off, out_d[3], out_d[3], terms)
    elif ltype == FC:
        yield size < FC_SIZE, "short_layer"
        s_off, w_off, b_off = struct.unpack_from("<3I", data, lo + 48)
        yield from _parameter_checks(data, lo, size, esize, w_off, b_off, s_off, 1, n_out, n_in)
    elif ltype == GAP:
        yield n_out != in_d[3] or out_d[3] != in_d[3], "gap_shape"
        n = in_d[1] * in_d[2]
        with np.errstate(all="ignore"):
            multiplier = np.float32(in_s) / np.float32(out_s) / np.float32(n)
        yield int8 and (n > 1 << 22 or not _rescale_ok(multiplier)), "gap_scale"
    elif ltype in (SOFTMAX, RESHAPE):
        yield n_in != n_out, "softmax" if ltype == SOFTMAX else "reshape"
    else:
        yield True, "layer_type"


def _model_checks(data: bytes) -> Checks:
    size = len(data)
    yield size < HEADER_SIZE, "short_file"
    magic, mtype, _, n_in, n_out, n_layers, arena = struct.unpack_from("<4sBBHHHI", data, 0)
    in_dims = struct.unpack_from("<4H", data, 20)
    yield magic != b"MAIX", "magic"
    yield mtype not in (INT8, FP32), "model_type"
    yield n_in != 1 or n_out != 1, "io_count"
    yield n_layers == 0, "no_layers"
    yield not _dims_valid(in_dims), "model_dims"
    yield arena > 0x7FFFFFFF, "buffer_size"
    off = HEADER_SIZE
    for i in range(n_layers):
        yield size - off < HEAD_SIZE, "ends_in_layer"
        lsize, = struct.unpack_from("<I", data, off + 4)
        yield lsize < HEAD_SIZE or lsize % 8 != 0 or lsize > size - off, "layer_size"
        yield i == 0 and struct.unpack_from("<4H", data, off + 16)[1:] != in_dims[1:], "first_layer"
        yield from _layer_checks(data, off, lsize, arena)
        if struct.unpack_from("<H", data, off + 2)[0]:
            return
        off += lsize
    yield True, "no_output"


def expected_reason(data: bytes) -> Optional[str]:
    """The message eml_cnn_load gives for data, or None if it loads: the
    checks of src/core/eml_cnn.c, in its order."""
    return next((MESSAGES[key] for failed, key in _model_checks(data) if failed), None)


def core_messages(source: str) -> List[str]:
    """The reasons given in a C source (``fail(reason, "...")``), for
    checking that the corpus reaches every one of eml_cnn.c's."""
    with open(source) as f:
        return re.findall(r'fail\([^,]+,\s*"([^"]+)"\)', f.read())


# ---------------------------------------------------------------- writing models

def _pad8(b: bytes) -> bytes:
    return b + bytes(-len(b) % 8)


def _encode_layer(mtype: int, type: int, in_dims: Dims, out_dims: Dims, in_at: int, out_at: int,
                  in_q: Tuple[float, int], out_q: Tuple[float, int], kernel: Tuple[int, int] = (1, 1),
                  stride: Tuple[int, int] = (1, 1), pad: Tuple[int, ...] = (0, 0, 0, 0),
                  activation: int = ACT_NONE, dmul: int = 0, weights: Optional[np.ndarray] = None,
                  bias: Optional[np.ndarray] = None, scales: Any = None, is_output: bool = False) -> bytes:
    """A layer. Offsets count tensor values (times the value size in the
    file); kernel and stride are (h, w), pad (top, bottom, left, right).
    Weights are int8 values, [out][in or 1][kh][kw] or [out][in], standing
    for weights x scales (one scale per output channel, or one for an fc
    layer; the float32 file stores those products); the bias is real-valued
    (int8 files quantize it)."""
    esize = 1 if mtype == INT8 else 4
    (in_s, in_z), (out_s, out_z) = (in_q, out_q) if mtype == INT8 else ((1.0, 0), (1.0, 0))
    body = b""
    if weights is not None and bias is not None:
        w_q = weights.reshape(len(weights), -1).astype(np.int64)
        ws = np.broadcast_to(np.float32(scales), (len(w_q),)).astype(np.float64)
        if mtype == INT8:
            # the int32 bias of quantized sums, the input zero point folded in
            b_q = np.rint(bias / (np.float64(np.float32(in_s)) * ws)) - in_z * w_q.sum(axis=1)
            s_b, w_b = np.float32(scales).tobytes(), w_q.astype(np.int8).tobytes()
            b_b = b_q.astype("<i4").tobytes()
        else:
            s_b, w_b, b_b = b"", (w_q * ws[:, None]).astype("<f4").tobytes(), bias.astype("<f4").tobytes()
        s_off = FC_SIZE if type == FC else CONV_SIZE
        w_off, b_off = s_off + len(s_b), (s_off + len(s_b) + len(w_b) + 3) & ~3
        (kh, kw), (sh, sw) = kernel, stride
        body = struct.pack("<4I", s_off, w_off, b_off, 0) if type == FC else \
            struct.pack("<6BH4B5I", kw, kh, sw, sh, 1, 1, activation, *pad, dmul, 0, s_off, w_off, b_off)
        body += s_b + w_b + bytes(b_off - w_off - len(w_b)) + b_b
    head = struct.pack("<HHIII4H4Hfifi", type, int(is_output), len(_pad8(bytes(HEAD_SIZE) + body)), in_at * esize,
                       out_at * esize, *in_dims, *out_dims, in_s, in_z, out_s, out_z)
    return _pad8(head + body)


def _encode(mtype: int, arena_values: int, layers: List[bytes]) -> bytes:
    """A model file of encoded layers: its input is the first layer's."""
    arena = arena_values * (1 if mtype == INT8 else 4)
    header = struct.pack("<4sBBHHHII8H", b"MAIX", mtype, 1, 1, 1, len(layers), arena, 0,
                         *struct.unpack_from("<4H", layers[0], 16), *struct.unpack_from("<4H", layers[-1], 24))
    return header + bytes(HEADER_SIZE - len(header)) + b"".join(layers)


_IN_Q = (float(np.float32(1.0 / 255.0)), -128)      # the usual input quantization: q = pixel - 128


def _tiny_dw(mtype: int) -> bytes:
    """3x3x2 input -> depthwise 3x3, stride 2, padding 1 all round, relu ->
    2x2x2 -> reshape 8 -> fully connected 3 -> softmax (output)."""
    rng, layer = np.random.RandomState(11), functools.partial(_encode_layer, mtype)
    conv_q, fc_q = (0.04, -128), (0.2, 3)
    return _encode(mtype, 30, [
        layer(DWCONV2D, (3, 3, 3, 2), (3, 2, 2, 2), 0, 20, _IN_Q, conv_q, kernel=(3, 3), stride=(2, 2),
              pad=(1, 1, 1, 1), activation=ACT_RELU, dmul=1, weights=rng.randint(-127, 128, (2, 1, 3, 3)),
              bias=np.array([0.1, -0.25]), scales=[0.01, 0.015]),
        # overlapping input and output: allowed for a reshape (a move)
        layer(RESHAPE, (3, 2, 2, 2), (1, 1, 1, 8), 20, 22, conv_q, conv_q),
        layer(FC, (1, 1, 1, 8), (1, 1, 1, 3), 22, 0, conv_q, fc_q, weights=rng.randint(-127, 128, (3, 8)),
              bias=np.array([0.5, -0.3, 0.0]), scales=[0.005]),
        layer(SOFTMAX, (1, 1, 1, 3), (1, 1, 1, 3), 0, 4, fc_q, (1.0 / 256.0, -128), is_output=True)])


def _tiny_conv(mtype: int) -> bytes:
    """4x4x2 input -> convolution 2x2, 3 channels, relu6 -> 3x3x3 ->
    depthwise 2x2 with depth multiplier 2, padding bottom and right, relu1 ->
    3x3x6 -> global average pooling 6 -> fully connected 2 (output, no softmax)."""
    rng, layer = np.random.RandomState(12), functools.partial(_encode_layer, mtype)
    c1, c2, g, o = (0.03, -100), (0.01, 0), (0.008, -5), (0.05, 10)
    return _encode(mtype, 114, [
        layer(CONV2D, (3, 4, 4, 2), (3, 3, 3, 3), 0, 32, _IN_Q, c1, kernel=(2, 2), activation=ACT_RELU6,
              weights=rng.randint(-127, 128, (3, 2, 2, 2)), bias=np.array([0.2, -0.1, 0.05]),
              scales=[0.02, 0.01, 0.03]),
        layer(DWCONV2D, (3, 3, 3, 3), (3, 3, 3, 6), 32, 60, c1, c2, kernel=(2, 2), pad=(0, 1, 0, 1),
              activation=ACT_RELU1, dmul=2, weights=rng.randint(-127, 128, (6, 1, 2, 2)),
              bias=np.array([0.1, -0.1, 0.2, 0.0, -0.2, 0.3]), scales=[0.004, 0.005, 0.003, 0.006, 0.004, 0.005]),
        layer(GAP, (3, 3, 3, 6), (1, 1, 1, 6), 60, 0, c2, g),
        layer(FC, (1, 1, 1, 6), (1, 1, 1, 2), 0, 8, g, o, weights=rng.randint(-127, 128, (2, 6)),
              bias=np.array([0.25, -0.5]), scales=[0.01], is_output=True)])


def _count_wraps_model(mtype: int) -> bytes:
    """One depthwise layer over 4096 x 4096 x 256 values, in a 16-byte
    buffer: 2^32 values, which the loader's 32-bit count wrapped to 0, so
    that it accepted the file (and running it wrote far outside its arena)
    until dims_valid refused more than 2^31 - 1 values."""
    dims, esize = (3, 4096, 4096, 256), (1 if mtype == INT8 else 4)
    return _encode(mtype, 16 // esize, [
        _encode_layer(mtype, DWCONV2D, dims, dims, 0, 8 // esize, _IN_Q, (0.02, -128), dmul=1, bias=np.zeros(256),
                      weights=np.ones((256, 1, 1, 1), np.int64), scales=np.full(256, 0.01), is_output=True)])


def tiny_models() -> Dict[str, bytes]:
    """The two tiny valid models built here, each as int8 and float32:
    ``tiny_dw_int8``, ``tiny_dw_fp32``, ``tiny_conv_int8``, ``tiny_conv_fp32``."""
    return {"tiny_%s_%s" % (name, suffix): make(mtype) for name, make in (("dw", _tiny_dw), ("conv", _tiny_conv))
            for mtype, suffix in ((INT8, "int8"), (FP32, "fp32"))}


def shared_models(folder: Optional[str] = None) -> Dict[str, bytes]:
    """The MNIST models of ../shared/data/cnn (``mnist_int8``, ``mnist_fp32``),
    or {} when that folder does not hold them."""
    here = os.path.dirname(os.path.abspath(__file__))
    folder = folder or os.path.join(here, "..", "..", "..", "shared", "data", "cnn")
    paths = {"mnist_" + kind: os.path.join(folder, "mnist_cnn_%s.tmdl" % kind) for kind in ("int8", "fp32")}
    return {name: pathlib.Path(path).read_bytes() for name, path in paths.items() if os.path.exists(path)}


def make_valid_models() -> Dict[str, bytes]:
    """Valid files for positive tests and fuzzing seeds: the tiny models, and
    variants that must load and run the same: bytes after the output layer,
    unused header and head fields set, a layer after the output layer that
    is not even valid (it is not run)."""
    out = tiny_models()
    t = out["tiny_dw_int8"]
    out["tiny_dw_int8_trailing_bytes"] = t + bytes(range(13))
    junk = _set(t, HDR, dequantize_output=0, sub_buffer_size=12345, out_dims=(3, 9, 9, 9))
    out["tiny_dw_int8_unused_fields"] = junk[:36] + bytes(range(1, 29)) + junk[64:]   # the header's unused tail
    # the fp32 module does not read scales or zero points
    f = _set(out["tiny_conv_fp32"], 0, in_scale=math.nan, scales_offset=0xFFFFFFFF)
    out["tiny_conv_fp32_unused_int8_fields"] = _set(f, 1, out_zero=100000)
    # n_layers one more than the layers up to the output, the extra one garbage
    out["tiny_conv_int8_garbage_after_output"] = _set(out["tiny_conv_int8"] + b"\xff" * 48, HDR, n_layers=5)
    for name, data in out.items():
        assert expected_reason(data) is None, (name, expected_reason(data))
    return out


# ---------------------------------------------------------------- the corpus

def _truncations(name: str, data: bytes, thorough: bool) -> List[BadModel]:
    points = {1, 4, 32, HEADER_SIZE - 1, HEADER_SIZE}
    for off in layer_offsets(data):
        size = struct.unpack_from("<I", data, off + 4)[0]
        points.update((off, off + 1, off + HEAD_SIZE - 1, off + HEAD_SIZE, off + size - 8, off + size - 1))
        if thorough:
            points.update((off + 4, off + 8, off + HEAD_SIZE + 8, off + size // 2, off + size - 4))
    return [BadModel("%s_truncated_%d" % (name, n), data[:n], expected_reason(data[:n]) or "(loads)", name)
            for n in sorted(p for p in points if 0 < p < len(data))]


def _each(d: bytes, layer: Optional[int], field: str, key: str, **values: Any) -> Cases:
    """A case (by name) for each value of one field of the header or a layer."""
    return [(name, _set(d, layer, **{field: value}), key) for name, value in values.items()]


def _header_cases(d: bytes) -> Cases:
    n_layers, dims = _get(d, HDR, "n_layers"), _get(d, HDR, "in_dims")
    no_output = _set(d, len(layer_offsets(d)) - 1, is_output=0)
    return [
        *_each(d, HDR, "magic", "magic", bad_magic=b"MAIY", magic_lowercase=b"maix", magic_byte_swapped=b"XIAM"),
        *_each(d, HDR, "type", "model_type", type_int16=1, type_fp16=3, type_fp8=4, type_255=255),
        *_each(d, HDR, "n_inputs", "io_count", zero_inputs=0, two_inputs=2),
        *_each(d, HDR, "n_outputs", "io_count", zero_outputs=0, two_outputs=2, outputs_0xffff=0xFFFF),
        ("zero_layers", _set(d, HDR, n_layers=0), "no_layers"),
        # 2^32 values (a 32-bit count wraps to 0) and 2^31
        *_each(d, HDR, "in_dims", "model_dims", input_rank_0=(0,) + dims[1:], input_rank_4=(4,) + dims[1:],
               input_height_0=(3, 0) + dims[2:], input_channels_0=dims[:3] + (0,),
               input_4096x4096x256=(3, 4096, 4096, 256), input_32768x256x256=(3, 32768, 256, 256)),
        *_each(d, HDR, "in_dims", "first_layer", input_width_differs=(3, dims[1], dims[2] + 1, dims[3]),
               input_channels_differ=dims[:3] + (dims[3] + 2,)),
        ("first_layer_height_differs", _set(d, 0, in_dims=(3, dims[1] - 1) + dims[2:]), "first_layer"),
        ("layer_count_short", _set(d, HDR, n_layers=n_layers - 1), "no_output"),
        ("output_flag_cleared", no_output, "no_output"),
        ("output_flag_cleared_layer_count_plus_1", _set(no_output, HDR, n_layers=n_layers + 1), "ends_in_layer"),
        ("buffer_size_0", _set(d, HDR, buffer_size=0), "arena"),
        *_each(d, HDR, "buffer_size", "buffer_size", buffer_size_2_31=1 << 31, buffer_size_0xffffffff=0xFFFFFFFF),
    ]


def _layer_cases(d: bytes) -> Cases:
    """Cases on the head of layer 1 (and layer 0's), any model."""
    esize, size0, in_at = _esize(d), _get(d, 0, "size"), _get(d, 1, "in_offset")
    in_d, out_d = _get(d, 1, "in_dims"), _get(d, 1, "out_dims")
    top = max(_get(d, i, at) + _count(_get(d, i, dims)) * esize for i in range(len(layer_offsets(d)))
              for at, dims in (("in_offset", "in_dims"), ("out_offset", "out_dims")))
    return [
        *_each(d, 0, "size", "layer_size", layer0_size_0=0, layer0_size_40=40, layer0_size_plus_4=size0 + 4,
               layer0_size_minus_4=size0 - 4, layer0_size_0xfffffff8=0xFFFFFFF8,
               layer0_size_past_end=(len(d) - HEADER_SIZE + 8) & ~7),
        # 2^32 values (a 32-bit count wraps to 0), 2^31, and 2^31 - 98303 (in range)
        *_each(d, 1, "in_dims", "layer_dims", layer1_in_rank_0=(0,) + in_d[1:],
               layer1_in_32768x256x256=(3, 32768, 256, 256)),
        *_each(d, 1, "out_dims", "layer_dims", layer1_out_rank_4=(4,) + out_d[1:],
               layer1_out_channels_0=out_d[:3] + (0,), layer1_out_height_0=(out_d[0], 0) + out_d[2:],
               layer1_out_4096x4096x256=(3, 4096, 4096, 256)),
        ("layer1_out_65535x32767x1", _set(d, 1, out_dims=(3, 65535, 32767, 1)), "arena"),
        ("buffer_size_1_short", _set(d, HDR, buffer_size=top - 1), "arena"),
        ("layer1_in_offset_0xffffffff", _set(d, 1, in_offset=0xFFFFFFFF), "arena"),
        *_each(d, 1, "in_offset", "arena", **({"layer1_in_offset_misaligned": in_at + 2} if esize == 4 else {})),
        ("layer1_out_offset_0xfffffff0", _set(d, 1, out_offset=0xFFFFFFF0), "arena"),
        ("layer0_out_is_input", _set(d, 0, out_offset=_get(d, 0, "in_offset")), "overlap"),
    ]


def _conv_cases(d: bytes) -> Cases:
    """Cases on the first convolution (CONV2D or DWCONV2D)."""
    i = _layers_of(d, CONV2D, DWCONV2D)[0]
    size, pad, w_off, b_off = (_get(d, i, f) for f in ("size", "pad", "weights_offset", "bias_offset"))
    return [
        *_each(d, i, "size", "short_layer", conv_layer_size_48=48, conv_layer_size_72=72),
        *[("conv_%s_0" % f, _set(d, i, **{f: 0}), "kernel") for f in ("kernel_w", "kernel_h", "stride_w",
                                                                       "stride_h")],
        ("conv_dilation_2", _set(d, i, dilation_w=2), "dilation"),
        ("conv_dilation_h_0", _set(d, i, dilation_h=0), "dilation"),
        *_each(d, i, "activation", "activation", conv_activation_4=4, conv_activation_0xffff=0xFFFF),
        ("conv_stride_h_plus_1", _set(d, i, stride_h=_get(d, i, "stride_h") + 1), "conv_size"),
        ("conv_pad_top_plus_2", _set(d, i, pad=(pad[0] + 2,) + pad[1:]), "conv_size"),
        ("conv_kernel_w_255", _set(d, i, kernel_w=255), "conv_size"),
        *_each(d, i, "weights_offset", "weights", conv_weights_offset_at_end=size - 1,
               conv_weights_offset_0xffffffff=0xFFFFFFFF,
               **({"conv_weights_offset_misaligned": w_off + 1} if _esize(d) == 4 else {})),
        *_each(d, i, "bias_offset", "bias", conv_bias_offset_at_end=size - 4,
               conv_bias_offset_misaligned=b_off + 2, conv_bias_offset_0xfffffffc=0xFFFFFFFC),
    ]


def _int8_cases(d: bytes) -> Cases:
    """Quantization cases (int8 models only)."""
    i, f = _layers_of(d, CONV2D, DWCONV2D)[0], _layers_of(d, FC)[0]
    s_off = _get(d, i, "scales_offset")
    scales_at, fc_scale_at = layer_offsets(d)[i] + s_off, layer_offsets(d)[f] + _get(d, f, "scales_offset")
    cases = [
        ("layer0_in_zero_minus_129", _set(d, 0, in_zero=-129), "zero_point"),
        ("layer0_out_zero_128", _set(d, 0, out_zero=128), "zero_point"),
        ("layer1_in_zero_int32_max", _set(d, 1, in_zero=0x7FFFFFFF), "zero_point"),
        ("layer1_out_zero_int32_min", _set(d, 1, out_zero=-0x80000000), "zero_point"),
        *_each(d, 0, "in_scale", "scale", layer0_in_scale_0=0.0, layer0_in_scale_minus_0=-0.0,
               layer0_in_scale_negative=-0.5, layer0_in_scale_nan=math.nan),
        *_each(d, 1, "out_scale", "scale", layer1_out_scale_inf=math.inf, layer1_out_scale_minus_inf=-math.inf,
               layer1_out_scale_0=0.0),
        *[(name, _poke(d, at, "<f", value), "weight_scale") for name, at, value in (
            ("conv_weight_scale_negative", scales_at, -0.01), ("conv_weight_scale_minus_0", scales_at, -0.0),
            ("conv_weight_scale_inf", scales_at, math.inf), ("conv_weight_scale_1e10", scales_at + 4, 1e10),
            ("fc_weight_scale_negative", fc_scale_at, -1.0), ("fc_weight_scale_2e6", fc_scale_at, 2e6))],
        ("conv_weight_scale_nan", _poke(d, scales_at + 4, "<I", 0x7FC00001), "weight_scale"),
        ("conv_out_scale_1e-30", _set(d, i, out_scale=1e-30), "weight_scale"),
        *_each(d, i, "scales_offset", "scales_place", conv_scales_offset_at_end=_get(d, i, "size") - 4,
               conv_scales_offset_misaligned=s_off + 2, conv_scales_offset_0xffffffff=0xFFFFFFFF),
        ("fc_scales_offset_at_end", _set(d, f, scales_offset=_get(d, f, "size")), "scales_place"),
    ]
    for g in _layers_of(d, GAP)[:1]:
        # n = h x w above 2^22: an input far larger than the file's buffer plan
        channels = _get(d, g, "in_dims")[3]
        big = _set(d, g, in_dims=(3, 2048, 2049, channels), in_offset=256, out_offset=0)
        cases += [("gap_out_scale_1e-20", _set(d, g, out_scale=1e-20), "gap_scale"),
                  ("gap_4196352_values_per_channel", _set(big, HDR, buffer_size=256 + 2048 * 2049 * channels),
                   "gap_scale")]
    return cases


def _fc_cases(d: bytes) -> Cases:
    f = _layers_of(d, FC)[0]
    esize, n_out, size = _esize(d), _count(_get(d, f, "out_dims")), _get(d, f, "size")

    def wide_input(dims: Dims) -> bytes:
        """The fc layer reading dims' values from the buffer's start."""
        n = _count(dims)
        w = _set(d, f, in_dims=dims, in_offset=0, out_offset=n * esize)
        return _set(w, HDR, buffer_size=max(_get(d, HDR, "buffer_size"), (n + n_out) * esize))

    return [
        ("fc_layer_size_56", _set(d, f, size=56), "short_layer"),
        ("fc_131072_terms", wide_input((3, 256, 256, 2)), "terms"),
        ("fc_131070_terms_weights_outside", wide_input((3, 1, 2, 65535)), "weights"),
        ("fc_weights_offset_at_end", _set(d, f, weights_offset=size), "weights"),
        *_each(d, f, "bias_offset", "bias", fc_bias_offset_0xffffffff=0xFFFFFFFF,
               fc_bias_offset_misaligned=_get(d, f, "bias_offset") + 1),
        *_each(d, f, "type", "softmax", fc_type_softmax=SOFTMAX),
        *_each(d, f, "type", "reshape", fc_type_reshape=RESHAPE),
        *_each(d, f, "type", "layer_type", fc_type_6=6, fc_type_0xffff=0xFFFF),
    ]


def _tiny_dw_cases(d: bytes) -> Cases:
    """tiny_dw: 0 depthwise, 1 reshape, 2 fc, 3 softmax (output)."""
    esize = _esize(d)
    return [
        ("dw_depth_multiplier_0", _set(d, 0, depth_multiplier=0), "dmul_zero"),
        *_each(d, 0, "depth_multiplier", "dmul", dw_depth_multiplier_2=2,
               dw_depth_multiplier_0xffffffff=0xFFFFFFFF),
        ("dw_pad_top_0", _set(d, 0, pad=(0, 1, 1, 1)), "conv_size"),
        ("dw_out_width_1", _set(d, 0, out_dims=(3, 2, 1, 2)), "conv_size"),
        ("reshape_7_values", _set(d, 1, out_dims=(1, 1, 1, 7)), "reshape"),
        ("reshape_out_rank_0", _set(d, 1, out_dims=(0, 1, 1, 8)), "layer_dims"),
        ("softmax_4_outputs", _set(d, 3, out_dims=(1, 1, 1, 4)), "softmax"),
        ("softmax_out_overlaps_in", _set(d, 3, out_offset=_get(d, 3, "in_offset") + esize), "overlap"),
        ("fc_out_overlaps_in", _set(d, 2, out_offset=_get(d, 2, "in_offset") - 2 * esize), "overlap"),
    ]


def _tiny_conv_cases(d: bytes) -> Cases:
    """tiny_conv: 0 conv, 1 depthwise (x2), 2 gap, 3 fc (output)."""
    # conv of 2x2 kernels over 32768 input channels: 131072 terms (the
    # first layer, so the model's input changes with it)
    esize, n_in, dims = _esize(d), 4 * 4 * 32768, (3, 4, 4, 32768)
    wide = _set(d, 0, in_dims=dims, out_offset=n_in * esize)
    wide = _set(wide, HDR, in_dims=dims, buffer_size=(n_in + 27) * esize)
    return [
        ("conv_131072_terms", wide, "terms"),
        ("conv_depth_multiplier_3", _set(d, 0, depth_multiplier=3), "dmul"),
        ("dw_depth_multiplier_1", _set(d, 1, depth_multiplier=1), "dmul"),
        ("dw_as_conv2d_weights_outside", _set(d, 1, type=CONV2D, depth_multiplier=0), "weights"),
        ("dw_pad_right_0", _set(d, 1, pad=(0, 1, 0, 0)), "conv_size"),
        *_each(d, 2, "out_dims", "gap_shape", gap_5_outputs=(1, 1, 1, 5), gap_out_as_column=(2, 1, 6, 1)),
        ("gap_type_softmax", _set(d, 2, type=SOFTMAX), "softmax"),
        ("gap_layer_type_7", _set(d, 2, type=7), "layer_type"),
    ]


# Which cases are made from which base model.
_GROUPS: List[Tuple[Callable[[bytes], Cases], Tuple[str, ...]]] = [
    (_header_cases, ("tiny_dw_int8", "tiny_conv_fp32", "mnist_int8")),
    (_layer_cases, ("tiny_dw_int8", "tiny_dw_fp32", "mnist_fp32")),
    (_conv_cases, ("tiny_conv_int8", "tiny_dw_fp32", "mnist_int8", "mnist_fp32")),
    (_int8_cases, ("tiny_dw_int8", "tiny_conv_int8", "mnist_int8")),
    (_fc_cases, ("tiny_dw_int8", "tiny_conv_fp32", "mnist_int8")),
    (_tiny_dw_cases, ("tiny_dw_int8", "tiny_dw_fp32")),
    (_tiny_conv_cases, ("tiny_conv_int8", "tiny_conv_fp32")),
]


def make_bad_models(shared_folder: Optional[str] = None) -> List[BadModel]:
    """Malformed files, each with the text its ValueError must contain. The
    cases on the MNIST models are left out when shared_folder (default
    ../shared/data/cnn) does not hold them; the tiny models cover every
    message alone."""
    bases = {**tiny_models(), **shared_models(shared_folder)}
    assert not any(expected_reason(data) for data in bases.values())
    rng = np.random.RandomState(5)
    out = [
        BadModel("empty", b"", MESSAGES["short_file"]),
        BadModel("garbage_63_bytes", rng.randint(0, 256, 63).astype(np.uint8).tobytes(), MESSAGES["short_file"]),
        BadModel("garbage_1024_bytes", b"MAI" + rng.randint(0, 256, 1021).astype(np.uint8).tobytes(),
                 MESSAGES["magic"]),
        BadModel("zeros_64", bytes(64), MESSAGES["magic"]),
        BadModel("count_wraps_to_0_int8", _count_wraps_model(INT8), MESSAGES["model_dims"]),
        BadModel("count_wraps_to_0_fp32", _count_wraps_model(FP32), MESSAGES["model_dims"]),
    ]
    for make, names in _GROUPS:
        out += [BadModel(base + "_" + name, data, MESSAGES[key], base)
                for base in names if base in bases for name, data, key in make(bases[base])]
    for base, data in sorted(bases.items()):
        out += _truncations(base, data, thorough=base.startswith("tiny") or base == "mnist_int8")
    assert len({bad.name for bad in out}) == len(out)
    for bad in out:
        assert expected_reason(bad.data) == bad.expected, (bad.name, expected_reason(bad.data), bad.expected)
    return out


# ---------------------------------------------------------------- files

def _write(dirpath: str, files: Dict[str, bytes], reasons: Optional[Dict[str, str]] = None) -> List[str]:
    """Write ``<name>.tmdl`` files (and ``<name>.txt``, the reason, if given)
    in dirpath; returns the .tmdl paths."""
    os.makedirs(dirpath, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(dirpath, name + ".tmdl"), "wb") as f:
            f.write(data)
        if reasons:
            with open(os.path.join(dirpath, name + ".txt"), "w") as text:
                text.write(reasons[name] + "\n")
    return [os.path.join(dirpath, name + ".tmdl") for name in files]


def write_bad_models(dirpath: str, shared_folder: Optional[str] = None, reasons: bool = True) -> List[str]:
    """Write every bad model as ``<name>.tmdl`` in dirpath, and, if reasons,
    its expected message as ``<name>.txt``; returns the .tmdl paths."""
    bad = make_bad_models(shared_folder)
    return _write(dirpath, {b.name: b.data for b in bad}, {b.name: b.expected for b in bad} if reasons else None)


def write_valid_models(dirpath: str, shared_folder: Optional[str] = None) -> List[str]:
    """Write the valid models (make_valid_models and the MNIST models when
    present) as ``<name>.tmdl`` in dirpath, e.g. as fuzzing seeds."""
    return _write(dirpath, {**make_valid_models(), **shared_models(shared_folder)})


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description="Write the malformed .tmdl corpus (and valid seeds).")
    parser.add_argument("bad_dir")
    parser.add_argument("seeds_dir", nargs="?")
    parser.add_argument("--shared", help="folder of the MNIST .tmdl files (default ../shared/data/cnn)")
    args = parser.parse_args(argv)
    print(len(write_bad_models(args.bad_dir, args.shared)), "bad models written to", args.bad_dir)
    if args.seeds_dir:
        print(len(write_valid_models(args.seeds_dir, args.shared)), "valid models written to", args.seeds_dir)


if __name__ == "__main__":
    main()
