"""TinyMaix model files (.tmdl): reading, describing, and a numpy reference of
what emlearn_cnn_int8 / emlearn_cnn_fp32 compute with them.

    model = read("mnist_cnn_int8.tmdl")
    print(describe(model))                 # layers, shapes, bytes, working memory
    probabilities = run(model, pixels)     # pixels: uint8 array of h*w*c values

The layout is TinyMaix's (docs/emlearn_cnn.md): a 64-byte header, then layers of
a 48-byte head and their parameters, little-endian.

`run` follows the modules' arithmetic (src/core/eml_cnn_int8.c): for int8 models
it gives the same int8 tensors exactly (integer sums, rescales taken exactly from
single-precision multipliers), and the output within float32 rounding; float32
models are evaluated in float64, which the module matches within float32
rounding. The command line prints `describe`:

    python3 -m emlearn_mp.tmdl model.tmdl
"""
from __future__ import annotations

import argparse
import struct
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

import numpy as np

INT8, FP32 = 0, 2
LAYER_NAMES = {0: "conv2d", 1: "global_average_pool", 2: "fully_connected", 3: "softmax",
               4: "reshape", 5: "depthwise_conv2d"}
ACTIVATIONS = {0: "none", 1: "relu", 2: "relu1", 3: "relu6"}
HEAD = struct.Struct("<HHIII4H4HfifI")      # out zero point read as raw bits below
CONV = struct.Struct("<6BH4BIIIII")
FC = struct.Struct("<IIII")


@dataclass
class Layer:
    """One layer's head and parameters (numpy arrays, views of the file)."""
    kind: str
    is_output: bool
    size: int
    in_offset: int
    out_offset: int
    in_dims: tuple
    out_dims: tuple
    in_scale: float
    in_zero: float
    out_scale: float
    out_zero: float
    params: Dict[str, Any] = field(default_factory=dict)

    @property
    def in_shape(self) -> tuple:
        return tuple(self.in_dims[1:])

    @property
    def out_shape(self) -> tuple:
        return tuple(self.out_dims[1:])


@dataclass
class TinyMaixModel:
    """A parsed file: model type (INT8 or FP32), working memory, layers."""
    data: bytes
    model_type: int
    arena_size: int
    in_dims: tuple
    layers: List[Layer]


def _float32(v: float) -> np.float32:
    return np.float32(v)


def _read_layer(data: bytes, offset: int, model_type: int) -> Layer:
    """The layer at offset; its parameters as arrays where its type has them."""
    (kind, is_out, size, in_off, out_off, *dims) = struct.unpack_from("<HHIII8H", data, offset)
    in_s, in_z_bits, out_s, out_z_bits = struct.unpack_from("<fIfI", data, offset + 32)
    as_zero = (lambda b: struct.unpack("<i", struct.pack("<I", b))[0]) if model_type == INT8 else \
        (lambda b: struct.unpack("<f", struct.pack("<I", b))[0])
    layer = Layer(LAYER_NAMES.get(kind, "type%d" % kind), bool(is_out), size, in_off, out_off,
                  tuple(dims[:4]), tuple(dims[4:]), in_s, as_zero(in_z_bits), out_s, as_zero(out_z_bits))
    wtype = np.int8 if model_type == INT8 else np.float32
    btype = np.int32 if model_type == INT8 else np.float32
    n_out = int(np.prod(layer.out_shape))
    if kind in (0, 5):
        kw, kh, sw, sh, dw, dh, act, pt, pb, pl, pr, dmul, _, ws_off, w_off, b_off = \
            CONV.unpack_from(data, offset + 48)
        chans = 1 if dmul else layer.in_dims[3]
        out_c = layer.out_dims[3]
        layer.params = dict(kernel=(kh, kw), stride=(sh, sw), dilation=(dh, dw),
                            activation=ACTIVATIONS.get(act, "act%d" % act), pad=(pt, pb, pl, pr),
                            depth_multiplier=dmul,
                            weights=np.frombuffer(data, wtype, out_c * chans * kh * kw, offset + w_off)
                            .reshape(out_c, chans, kh, kw),
                            bias=np.frombuffer(data, btype, out_c, offset + b_off))
        if model_type == INT8:
            layer.params["scales"] = np.frombuffer(data, np.float32, out_c, offset + ws_off)
    elif kind == 2:
        ws_off, w_off, b_off, _ = FC.unpack_from(data, offset + 48)
        n_in = int(np.prod(layer.in_shape))
        layer.params = dict(weights=np.frombuffer(data, wtype, n_out * n_in, offset + w_off).reshape(n_out, n_in),
                            bias=np.frombuffer(data, btype, n_out, offset + b_off))
        if model_type == INT8:
            layer.params["scales"] = np.frombuffer(data, np.float32, 1, offset + ws_off)
    return layer


def read(source: Union[str, bytes]) -> TinyMaixModel:
    """Parses a .tmdl file (path or bytes). Trusts the file: the modules, not
    this reader, validate (see python/emlearn_mp/cnn_badmodels.py)."""
    data = open(source, "rb").read() if isinstance(source, str) else bytes(source)
    magic, model_type, _, _, _, n_layers, arena = struct.unpack_from("<4sBBHHHI", data, 0)
    if magic != b"MAIX":
        raise ValueError("not a TinyMaix model")
    in_dims = struct.unpack_from("<4H", data, 20)
    layers, offset = [], 64
    for _ in range(n_layers):
        layer = _read_layer(data, offset, model_type)
        layers.append(layer)
        offset += layer.size
    return TinyMaixModel(data, model_type, arena, in_dims, layers)


def describe(model: TinyMaixModel) -> str:
    """A table of the layers, with the file size and working memory."""
    lines = ["%s model, %d bytes, working memory %d bytes, input %s" % (
        "int8" if model.model_type == INT8 else "float32", len(model.data), model.arena_size,
        "x".join(map(str, model.in_dims[1:])))]
    for i, layer in enumerate(model.layers):
        extra = ""
        if "kernel" in layer.params:
            p = layer.params
            extra = " kernel %dx%d stride %dx%d pad %s %s" % (
                tuple(p["kernel"]) + tuple(p["stride"]) + (p["pad"], p["activation"]))
        lines.append("  %d %-20s %-12s -> %-12s%s%s" % (
            i, layer.kind, "x".join(map(str, layer.in_shape)), "x".join(map(str, layer.out_shape)), extra,
            " (output)" if layer.is_output else ""))
    return "\n".join(lines)


# ---------------------------------------------------------------- int8 arithmetic

def _rint16(v: Any) -> Any:
    """eml_float_to_int16: round half to even, saturate."""
    return np.clip(np.rint(v), -32768, 32767).astype(np.int64)


def _rescale(acc: np.ndarray, multiplier: np.float32) -> np.ndarray:
    """floor(acc * M + 1/2) exactly, M a float32 (its significand and exponent)."""
    mantissa, exponent = np.frexp(np.float64(multiplier))       # M = mantissa * 2^exponent
    m = int(mantissa * (1 << 24))
    shift = min(24 - exponent, 62)
    prod = acc.astype(np.int64) * m
    return np.clip((prod + (1 << (shift - 1))) >> shift, -256, 256)


def _activation_range(layer: Layer, activation: str) -> tuple:
    zero, inverse = int(layer.out_zero), np.float32(1.0) / np.float32(layer.out_scale)
    low, high = -128, 127
    if activation in ("relu", "relu6"):
        low = zero
    if activation == "relu6":
        high = int(np.clip(zero + _rint16(np.float32(6.0) * inverse), -128, 127))
    if activation == "relu1":
        high = int(np.clip(zero + _rint16(inverse), -128, 127))
        low = int(np.clip(zero - _rint16(inverse), -128, 127))
    return low, high


def _requantize(acc: np.ndarray, multiplier: np.float32, layer: Layer, activation: str = "none") -> np.ndarray:
    low, high = _activation_range(layer, activation)
    return np.clip(_rescale(acc, multiplier) + int(layer.out_zero), low, high)


def _windows(x: np.ndarray, layer: Layer, pad_value: float) -> np.ndarray:
    """(out_h, out_w, kh, kw, c) kernel windows of the padded HWC input."""
    p = layer.params
    pt, pb, pl, pr = p["pad"]
    (kh, kw), (sh, sw) = p["kernel"], p["stride"]
    padded = np.pad(x, ((pt, pb), (pl, pr), (0, 0)), constant_values=pad_value)
    oh, ow = layer.out_dims[1], layer.out_dims[2]
    rows = (np.arange(oh) * sh)[:, None] + np.arange(kh)[None, :]
    cols = (np.arange(ow) * sw)[:, None] + np.arange(kw)[None, :]
    return padded[rows[:, None, :, None], cols[None, :, None, :], :]


def _conv_sums(x: np.ndarray, layer: Layer, pad_value: float, dtype: type) -> np.ndarray:
    """Sums of products (without bias) per output pixel and channel."""
    w = layer.params["weights"].astype(dtype)                 # (out_c, chans, kh, kw)
    win = _windows(x.astype(dtype), layer, pad_value)          # (oh, ow, kh, kw, in_c)
    dmul = layer.params["depth_multiplier"]
    if dmul:
        source = np.arange(w.shape[0]) // dmul                 # input channel of each output
        return np.einsum("yxhwo,ohw->yxo", win[..., source], w[:, 0])
    return np.einsum("yxhwc,ochw->yxo", win, w)


def _conv_int8(x: np.ndarray, layer: Layer) -> np.ndarray:
    sums = _conv_sums(x, layer, layer.in_zero, np.int64) + layer.params["bias"].astype(np.int64)
    in_s, out_s = np.float32(layer.in_scale), np.float32(layer.out_scale)
    out = np.empty(sums.shape, np.int64)
    for c, ws in enumerate(layer.params["scales"]):
        out[..., c] = _requantize(sums[..., c], (ws * in_s) / out_s, layer, layer.params["activation"])
    return out


def _fc_int8(x: np.ndarray, layer: Layer) -> np.ndarray:
    acc = layer.params["weights"].astype(np.int64) @ x.reshape(-1) + layer.params["bias"]
    m = (layer.params["scales"][0] * np.float32(layer.in_scale)) / np.float32(layer.out_scale)
    return _requantize(acc, m, layer)


def _gap_int8(x: np.ndarray, layer: Layer) -> np.ndarray:
    n = x.shape[0] * x.shape[1]
    acc = x.reshape(n, -1).sum(axis=0) - n * int(layer.in_zero)
    m = (np.float32(layer.in_scale) / np.float32(layer.out_scale)) / np.float32(n)
    return _requantize(acc, m, layer)


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max())
    return e / e.sum()


def _softmax_int8(x: np.ndarray, layer: Layer, last: bool) -> np.ndarray:
    p = _softmax((x.reshape(-1) - x.max()) * np.float64(np.float32(layer.in_scale)))
    if last:
        return p
    factor = np.float32(1.0) / (np.float32(p.sum()) * np.float32(layer.out_scale))
    return np.clip(_rint16(p * factor) + int(layer.out_zero), -128, 127)


def _input_int8(model: TinyMaixModel, pixels: Optional[np.ndarray], values: Optional[np.ndarray]) -> np.ndarray:
    first = model.layers[0]
    zero = int(first.in_zero)
    if pixels is not None:
        k = np.float32(65536.0) / (np.float32(255.0) * np.float32(first.in_scale))
        step = 1 << 23 if k >= 2 ** 23 else int(np.floor(np.float64(k) + 0.5))
        q = ((pixels.astype(np.int64) * step + 0x8000) >> 16) + zero
    else:
        inverse = np.float32(1.0) / np.float32(first.in_scale)
        q = _rint16(np.asarray(values, np.float32) * inverse) + zero
    return np.clip(q, -128, 127)


# ---------------------------------------------------------------- running

def _layer_int8(x: np.ndarray, layer: Layer, last: bool) -> Any:
    if layer.kind in ("conv2d", "depthwise_conv2d"):
        return _conv_int8(x, layer)
    if layer.kind == "fully_connected":
        return _fc_int8(x, layer)
    if layer.kind == "global_average_pool":
        return _gap_int8(x, layer)
    if layer.kind == "softmax":
        return _softmax_int8(x, layer, last)
    return x


def _layer_fp32(x: np.ndarray, layer: Layer) -> Any:
    if layer.kind in ("conv2d", "depthwise_conv2d"):
        v = _conv_sums(x, layer, 0.0, np.float64) + layer.params["bias"]
        low, high = {"none": (-np.inf, np.inf), "relu": (0, np.inf), "relu1": (-1, 1),
                     "relu6": (0, 6)}[layer.params["activation"]]
        return np.clip(v, low, high)
    if layer.kind == "fully_connected":
        return layer.params["weights"].astype(np.float64) @ x.reshape(-1) + layer.params["bias"]
    if layer.kind == "global_average_pool":
        return x.reshape(-1, x.shape[-1]).mean(axis=0)
    if layer.kind == "softmax":
        return _softmax(x.reshape(-1))
    return x


def run(model: TinyMaixModel, pixels: Optional[np.ndarray] = None,
        values: Optional[np.ndarray] = None, trace: Optional[list] = None) -> Any:
    """The output the modules give for one input: pixels (uint8, read as
    pixel / 255) or real values, h*w*c of them in HWC order. For int8 models,
    trace (a list) receives each layer's int8 tensor."""
    in_shape = tuple(model.in_dims[1:])
    if model.model_type == INT8:
        x = _input_int8(model, pixels, values).reshape(in_shape)
    else:
        real = np.asarray(pixels, np.float32) / np.float32(255.0) if pixels is not None else \
            np.asarray(values, np.float32)
        x = real.astype(np.float64).reshape(in_shape)
    for layer in model.layers:
        last = layer.is_output
        if model.model_type == INT8:
            x = _layer_int8(x, layer, last).reshape(layer.out_shape)
            if trace is not None:
                trace.append(x)
            if last:
                return x.reshape(-1).astype(np.float64) if layer.kind == "softmax" else \
                    (x.reshape(-1) - int(layer.out_zero)) * np.float64(np.float32(layer.out_scale))
        else:
            x = _layer_fp32(x, layer).reshape(layer.out_shape)
            if last:
                return x.reshape(-1)
    raise ValueError("model has no output layer")


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description="Describe a TinyMaix model file (.tmdl).")
    parser.add_argument("model", help="the .tmdl file")
    args = parser.parse_args(argv)
    print(describe(read(args.model)))


if __name__ == "__main__":
    main()
