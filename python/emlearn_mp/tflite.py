"""A numpy reference evaluator for TensorFlow Lite (``.tflite``) models.

The flatbuffer is read with ``struct`` after the public ``schema.fbs`` (Model ->
subgraphs[0] -> tensors, operators, inputs, outputs; buffers hold constants;
operator_codes name the builtin ops); no TensorFlow or flatbuffers package::

    model = load("mnist_cnn_int8.tflite")
    model.ops                                  # ['CONV_2D', ..., 'SOFTMAX']
    probabilities = model.run(image / 255.0)   # real-valued in, real-valued out

Ops: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D,
MEAN, RESHAPE, SOFTMAX, QUANTIZE, DEQUANTIZE, ADD; others raise ValueError at
load. Float32 tensors are evaluated in float64; int8 tensors as TFLite's
reference kernels (and TFLite Micro) compute them:

- CONV/FULLY_CONNECTED accumulate ``(x - x_zp) * w`` exactly, add the int32 bias
  and requantize with TFLite's fixed-point multiplier (QuantizeMultiplier,
  MultiplyByQuantizedMultiplier with its default double rounding), per output
  channel for per-axis scales. This, not ``acc * in_s * w_s / out_s`` rounded half
  away, is chosen because it is what TFLite and TFLite Micro compute: the two
  differ by one step near ties (8% of the first layer's outputs for one MNIST
  digit). Multipliers are formed in double from the float32 scales (TFLite takes
  a per-tensor in_s * w_s in float32 first: the Q31 multiplier may differ by one
  unit); then + zp, and the activation's clamp within int8;
- AVERAGE_POOL_2D: raw sum / in-bounds count, rounded half away from zero;
  MEAN as TFLite Micro: with the input's own scale and zero point, the integer
  sum / count truncated, else float32 ``round(mean * s_in/s_out - zp_in * s_in/s_out) + zp_out``;
- SOFTMAX on int8 is not TFLite's integer exp table: the input is dequantized,
  a float softmax taken and quantized with the output scale and zero point
  (round half away, clamp). TFLite's exp-table kernel may differ from that by
  an output step now and then (not measured here: no TFLite to compare with).

Command line: ``python3 -m emlearn_mp.tflite model.tflite [image.bin]`` lists the
ops and their tensors and, given h*w*c uint8 pixels, prints the output for the
input pixel / 255.0 and its argmax.
"""

from __future__ import annotations

import argparse
import math
import struct
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Union

import numpy as np

__all__ = ["load", "Model", "Tensor", "Operator", "main"]

# TensorType -> (name, stored numpy dtype); other types are refused at load.
_TYPES = {0: ("FLOAT32", "<f4"), 2: ("INT32", "<i4"), 4: ("INT64", "<i8"), 9: ("INT8", "i1")}
_OP_NAMES = {0: "ADD", 1: "AVERAGE_POOL_2D", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE",
             9: "FULLY_CONNECTED", 17: "MAX_POOL_2D", 22: "RESHAPE", 25: "SOFTMAX", 40: "MEAN",
             114: "QUANTIZE"}
_CUSTOM = 32
# ActivationFunctionType -> real range: NONE, RELU, RELU_N1_TO_1, RELU6.
_ACTIVATIONS = {0: (-math.inf, math.inf), 1: (0.0, math.inf), 2: (-1.0, 1.0), 3: (0.0, 6.0)}
_SAME, _VALID = 0, 1

# The builtin options read, per op: (name, struct format, schema default), field
# i of the table being the i-th entry (fields not needed at the end are left off).
_PADDING, _STRIDES = ("padding", "<b", 0), (("stride_w", "<i", 0), ("stride_h", "<i", 0))
_ACTIVATION = ("activation", "<b", 0)
_POOL = (_PADDING, *_STRIDES, ("filter_w", "<i", 0), ("filter_h", "<i", 0), _ACTIVATION)
_OPTIONS: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "CONV_2D": (_PADDING, *_STRIDES, _ACTIVATION, ("dilation_w", "<i", 1), ("dilation_h", "<i", 1)),
    "DEPTHWISE_CONV_2D": (_PADDING, *_STRIDES, ("depth_multiplier", "<i", 0), _ACTIVATION,
                          ("dilation_w", "<i", 1), ("dilation_h", "<i", 1)),
    "AVERAGE_POOL_2D": _POOL, "MAX_POOL_2D": _POOL,
    "FULLY_CONNECTED": (_ACTIVATION, ("weights_format", "<b", 0)),
    "SOFTMAX": (("beta", "<f", 0.0),),
    "MEAN": (("keep_dims", "<?", False),),
    "ADD": (_ACTIVATION,),
}


# ---------------------------------------------------------------- flatbuffer

def _bytes(buf: bytes, pos: int, size: int) -> bytes:
    """size bytes at pos; reaching out of the buffer means a truncated or damaged file."""
    if pos < 0 or size < 0 or pos + size > len(buf):
        raise ValueError(f"truncated or damaged TFLite file ({size} bytes at {pos} of {len(buf)})")
    return buf[pos:pos + size]


def _unpack(buf: bytes, fmt: str, pos: int) -> Any:
    """One little-endian value at pos."""
    return struct.unpack(fmt, _bytes(buf, pos, struct.calcsize(fmt)))[0]


class _Table:
    """A flatbuffer table: fields are found through the vtable the table's first
    int32 points back to; a field the vtable leaves out has its default."""

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf, self.pos = buf, pos
        self.vtable = pos - _unpack(buf, "<i", pos)
        self.vtable_size = _unpack(buf, "<H", self.vtable)

    def position(self, index: int) -> int:
        """Absolute position of field index, 0 when absent."""
        slot = 4 + 2 * index
        offset = _unpack(self.buf, "<H", self.vtable + slot) if slot < self.vtable_size else 0
        return self.pos + offset if offset else 0

    def scalar(self, index: int, fmt: str, default: Any) -> Any:
        pos = self.position(index)
        return _unpack(self.buf, fmt, pos) if pos else default

    def _target(self, index: int) -> int:
        """Where the uoffset in field index points, 0 when absent."""
        pos = self.position(index)
        return pos + _unpack(self.buf, "<I", pos) if pos else 0

    def table(self, index: int) -> Optional[_Table]:
        pos = self._target(index)
        return _Table(self.buf, pos) if pos else None

    def vector(self, index: int, dtype: str) -> np.ndarray:
        pos = self._target(index)
        if not pos:
            return np.zeros(0, dtype)
        count = _unpack(self.buf, "<I", pos)
        return np.frombuffer(_bytes(self.buf, pos + 4, count * np.dtype(dtype).itemsize), dtype)

    def tables(self, index: int) -> list[_Table]:
        slots = self._target(index) + 4 + 4 * np.arange(len(self.vector(index, "<u4")))
        return [_Table(self.buf, int(p) + _unpack(self.buf, "<I", int(p))) for p in slots]

    def string(self, index: int) -> str:
        return bytes(self.vector(index, "u1")).decode("utf-8", "replace")


# ---------------------------------------------------------------- model

@dataclass
class Tensor:
    """A tensor of the graph; data is its constant value (None if computed)."""
    name: str
    shape: tuple[int, ...]
    type_name: str
    scale: np.ndarray             # float64 of the float32 scales; empty if not quantized
    zero_point: np.ndarray        # int64
    data: Optional[np.ndarray]    # float64 or int64, in shape

    @property
    def quantized(self) -> bool:
        return self.type_name == "INT8" and self.scale.size > 0

    def scale_zero_point(self) -> tuple[Optional[float], Optional[int]]:
        """(scale, zero point) of an int8-quantized tensor, else (None, None)."""
        return (float(self.scale[0]), int(self.zero_point[0])) if self.quantized else (None, None)

    def describe(self) -> str:
        """Shape, type and quantization, for listings."""
        quant = " per-channel" if self.scale.size > 1 else ""
        if self.scale.size == 1:
            quant = f" s={self.scale[0]:.6g} zp={self.zero_point[0]}"
        return f"{list(self.shape)} {self.type_name.lower()}{quant}"


@dataclass
class Operator:
    """One op: its builtin name, tensor indices (-1: optional input left out) and options."""
    name: str
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any]


def _tensor(table: _Table, buffers: list[_Table], buf: bytes) -> Tensor:
    type_code = table.scalar(1, "<b", 0)
    if type_code not in _TYPES:
        raise ValueError(f"tensor {table.string(3)!r}: TensorType {type_code} is not supported")
    type_name, dtype = _TYPES[type_code]
    shape = tuple(int(d) for d in table.vector(0, "<i4"))
    quant = table.table(4)
    scale = quant.vector(2, "<f4").astype(np.float64) if quant else np.zeros(0)
    zero_point = quant.vector(3, "<i8").astype(np.int64) if quant else np.zeros(0, np.int64)
    zero_point = zero_point if zero_point.size else np.zeros(scale.size, np.int64)
    index = table.scalar(2, "<I", 0)
    if index >= len(buffers):
        raise ValueError(f"tensor {table.string(3)!r}: buffer {index} of {len(buffers)}")
    raw = buffers[index].vector(0, "u1")
    offset, size = buffers[index].scalar(1, "<Q", 0), buffers[index].scalar(2, "<Q", 0)
    if offset > 1:   # large models keep data after the flatbuffer, at a file offset
        raw = np.frombuffer(_bytes(buf, offset, size), np.uint8)
    data = None
    if raw.size:
        if raw.size != np.dtype(dtype).itemsize * math.prod(shape):
            raise ValueError(f"tensor {table.string(3)!r}: {raw.size} bytes for shape {list(shape)}")
        values = np.frombuffer(raw.tobytes(), dtype).reshape(shape)
        data = values.astype(np.float64 if type_name == "FLOAT32" else np.int64)
    return Tensor(table.string(3), shape, type_name, scale, zero_point, data)


def _op_name(code: _Table) -> str:
    # builtin_code (int32) replaced deprecated_builtin_code (int8, 127 beyond it)
    builtin = max(code.scalar(3, "<i", 0), code.scalar(0, "<b", 0))
    if builtin == _CUSTOM:
        return "CUSTOM:" + code.string(1)
    return _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")


def _operator(table: _Table, names: list[str]) -> Operator:
    index = table.scalar(0, "<I", 0)
    if index >= len(names):
        raise ValueError(f"opcode index {index} of {len(names)}")
    name = names[index]
    if name not in _KERNELS:
        raise ValueError(f"op {name} is not supported (supported: {', '.join(sorted(_KERNELS))})")
    fields = _OPTIONS.get(name, ())
    options_table = table.table(4)
    options = {key: (options_table.scalar(i, fmt, default) if options_table else default)
               for i, (key, fmt, default) in enumerate(fields)}
    return Operator(name, [int(i) for i in table.vector(1, "<i4")], [int(i) for i in table.vector(2, "<i4")], options)


# ---------------------------------------------------------------- quantization

def _round_away(x: np.ndarray) -> np.ndarray:
    """Round half away from zero, as C's round() (numpy's rounds half to even)."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: real = q * 2**(shift - 31), q in [2**30, 2**31)."""
    mantissa, shift = math.frexp(real)
    q = int(math.floor(mantissa * (1 << 31) + 0.5))
    if q == 1 << 31:
        q, shift = q // 2, shift + 1
    return (q, shift) if real > 0 and shift >= -31 else (0, 0)


def _requantize(acc: np.ndarray, real_multiplier: Union[float, np.ndarray]) -> np.ndarray:
    """TFLite's MultiplyByQuantizedMultiplier on int64 accumulators, the multipliers
    one or one per entry of the last axis: a rounding doubling high multiply by
    the Q31 multiplier, then a rounding right shift (ties away from zero)."""
    pairs = [_quantize_multiplier(float(m)) for m in np.ravel(real_multiplier)]
    q = np.array([p[0] for p in pairs], np.int64)
    shift = np.array([p[1] for p in pairs], np.int64)
    product = (acc.astype(np.int64) << np.maximum(shift, 0)) * q
    product += np.where(product >= 0, 1 << 30, 1 - (1 << 30))
    high = np.sign(product) * (np.abs(product) >> 31)       # C division truncates
    right = np.maximum(-shift, 0)
    mask = (np.int64(1) << right) - 1
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + ((high & mask) > threshold)


def _quantize(t: Tensor, real: np.ndarray) -> np.ndarray:
    """TFLite's AffineQuantize: round(x / scale) in float32, + zero point, clamped."""
    q = _round_away(np.asarray(real, np.float32) / np.float32(t.scale[0]))
    return np.clip(q.astype(np.int64) + t.zero_point[0], -128, 127)


def _real(t: Tensor, value: np.ndarray) -> np.ndarray:
    """The real value of a tensor: dequantized (per tensor) when quantized."""
    return (value - t.zero_point[0]) * t.scale[0] if t.quantized else value


def _centred(t: Tensor, value: np.ndarray) -> np.ndarray:
    """Input of an integer product: q - zero point (the float value unchanged)."""
    return value - t.zero_point[0] if t.quantized else value


def _activate(value: np.ndarray, activation: int, out: Tensor) -> np.ndarray:
    """Clamp to the fused activation's range (quantized: zp + round(bound / scale), within int8)."""
    if activation not in _ACTIVATIONS:
        raise ValueError(f"fused activation {activation} is not supported")
    low, high = _ACTIVATIONS[activation]
    if not out.quantized:
        return np.clip(value, low, high)

    def level(bound: float) -> int:   # TFLite quantizes the bound in float32
        return int(out.zero_point[0] + _round_away(np.asarray(np.float32(bound) / np.float32(out.scale[0]))))

    qlow = max(-128, level(low)) if math.isfinite(low) else -128
    qhigh = min(127, level(high)) if math.isfinite(high) else 127
    return np.clip(value, qlow, qhigh)


# ---------------------------------------------------------------- kernels

@dataclass
class _Arg:
    tensor: Tensor
    value: np.ndarray


# A kernel: (op, its present inputs (an optional input left out, -1, is not
# there: only a trailing bias is optional in these ops), output tensor) -> value.
_Kernel = Callable[[Operator, list[_Arg], Tensor], np.ndarray]


def _output_size(size: int, kernel: int, stride: int, dilation: int, padding: int) -> tuple[int, int, int]:
    """(output size, padding before, padding after) along one axis, as TFLite pads:
    SAME puts the odd pixel of the padding after."""
    extent = (kernel - 1) * dilation + 1
    if padding not in (_SAME, _VALID):
        raise ValueError(f"padding {padding} is not supported")
    out = (size + stride - 1) // stride if padding == _SAME else (size - extent) // stride + 1
    total = max((out - 1) * stride + extent - size, 0)
    return out, total // 2, total - total // 2


def _patches(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
             dilation: tuple[int, int], padding: int, fill: float) -> np.ndarray:
    """(n, h, w, c) -> (n, oh, ow, kh, kw, c) windows, the padding filled with fill."""
    (oh, top, bottom), (ow, left, right) = (
        _output_size(x.shape[1 + a], kernel[a], stride[a], dilation[a], padding) for a in (0, 1))
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=fill)
    windows = [padded[:, ky * dilation[0]: ky * dilation[0] + (oh - 1) * stride[0] + 1: stride[0],
                      kx * dilation[1]: kx * dilation[1] + (ow - 1) * stride[1] + 1: stride[1], :]
               for ky in range(kernel[0]) for kx in range(kernel[1])]
    return np.stack(windows, axis=3).reshape(x.shape[0], oh, ow, kernel[0], kernel[1], x.shape[3])


def _finish(acc: np.ndarray, bias: Optional[_Arg], x: _Arg, w: _Arg, out: Tensor, activation: int) -> np.ndarray:
    """Bias, requantization (per output channel: the last axis) and activation."""
    if w.tensor.quantized and np.any(w.tensor.zero_point != 0):   # as TFLite's int8 kernels require
        raise ValueError(f"weights {w.tensor.name!r}: nonzero zero points (int8 weights are symmetric)")
    if bias is not None:
        acc = acc + bias.value
    if out.quantized:
        acc = _requantize(acc, x.tensor.scale[0] * w.tensor.scale / out.scale[0]) + out.zero_point[0]
    return _activate(acc, activation, out)


def _conv(op: Operator, args: list[_Arg], out: Tensor) -> np.ndarray:
    x, w, bias = args[0], args[1], args[2] if len(args) > 2 else None
    o = op.options
    kernel = (int(w.value.shape[1]), int(w.value.shape[2]))
    patches = _patches(_centred(x.tensor, x.value), kernel, (o["stride_h"], o["stride_w"]),
                       (o["dilation_h"], o["dilation_w"]), o["padding"], 0)
    if op.name == "CONV_2D":   # filter (out, kh, kw, in)
        acc = np.einsum("nyxhwc,ohwc->nyxo", patches, w.value)
    else:                      # filter (1, kh, kw, in * multiplier); channel i feeds i*m..i*m+m-1
        multiplier = w.value.shape[3] // x.value.shape[3]
        acc = np.einsum("nyxhwc,hwc->nyxc", np.repeat(patches, multiplier, axis=5), w.value[0])
    return _finish(acc, bias, x, w, out, o["activation"])


def _fully_connected(op: Operator, args: list[_Arg], out: Tensor) -> np.ndarray:
    x, w, bias = args[0], args[1], args[2] if len(args) > 2 else None
    if op.options["weights_format"] != 0:
        raise ValueError("FULLY_CONNECTED: only the DEFAULT weights format is supported")
    acc = _centred(x.tensor, x.value).reshape(-1, w.value.shape[1]) @ w.value.T
    return _finish(acc, bias, x, w, out, op.options["activation"])


def _pool(op: Operator, args: list[_Arg], out: Tensor) -> np.ndarray:
    x = args[0]
    o = op.options
    shape = ((o["filter_h"], o["filter_w"]), (o["stride_h"], o["stride_w"]), (1, 1), o["padding"])
    if op.name == "MAX_POOL_2D":
        low = -np.inf if not x.tensor.quantized else -(1 << 62)
        result = _patches(x.value, *shape, low).max(axis=(3, 4))
    else:   # the padding is no part of the average: divide by the in-bounds count
        total = _patches(x.value, *shape, 0).sum(axis=(3, 4))
        count = _patches(np.ones(x.value.shape[:3] + (1,), np.int64), *shape, 0).sum(axis=(3, 4))
        # quantized: the integer division rounds half away from zero, as TFLite's
        result = np.sign(total) * ((np.abs(total) + count // 2) // count) if x.tensor.quantized else total / count
    return _activate(result, o["activation"], out)


def _mean(op: Operator, args: list[_Arg], out: Tensor) -> np.ndarray:
    x, axis = args
    axes = tuple(sorted({int(a) % x.value.ndim for a in axis.value.ravel()}))
    keep = bool(op.options["keep_dims"])
    if not x.tensor.quantized:
        return x.value.mean(axis=axes, keepdims=keep)
    total = x.value.sum(axis=axes, keepdims=keep)
    count = math.prod(x.value.shape[a] for a in axes)
    if x.tensor.scale[0] == out.scale[0] and x.tensor.zero_point[0] == out.zero_point[0]:
        return np.sign(total) * (np.abs(total) // count)          # C division truncates
    scale = np.float32(x.tensor.scale[0]) / np.float32(out.scale[0])
    bias = np.float32(-x.tensor.zero_point[0]) * scale
    mean = total.astype(np.float32) / np.float32(count)
    return np.clip(_round_away(mean * scale + bias).astype(np.int64) + out.zero_point[0], -128, 127)


def _softmax(op: Operator, args: list[_Arg], out: Tensor) -> np.ndarray:
    x = args[0]
    logits = _real(x.tensor, x.value) * op.options["beta"]
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p = e / e.sum(axis=-1, keepdims=True)
    return _quantize(out, p) if out.quantized else p


def _add(op: Operator, args: list[_Arg], out: Tensor) -> np.ndarray:
    a, b = args
    if not out.quantized:
        return _activate(a.value + b.value, op.options["activation"], out)
    # TFLite's int8 ADD: both inputs to a common scale 2*max(s_a, s_b) / 2**20, add, rescale
    twice_max = 2 * max(a.tensor.scale[0], b.tensor.scale[0])
    scaled = [_requantize(_centred(t.tensor, t.value) << 20, t.tensor.scale[0] / twice_max) for t in (a, b)]
    total = _requantize(scaled[0] + scaled[1], twice_max / ((1 << 20) * out.scale[0]))
    return _activate(total + out.zero_point[0], op.options["activation"], out)


def _convert(op: Operator, args: list[_Arg], out: Tensor) -> np.ndarray:
    """QUANTIZE (float or int8 in), DEQUANTIZE and RESHAPE (which keeps the values)."""
    x = args[0]
    if op.name == "RESHAPE":
        return x.value
    real = _real(x.tensor, x.value)
    return _quantize(out, real) if out.quantized else real


_KERNELS: dict[str, _Kernel] = {
    "CONV_2D": _conv, "DEPTHWISE_CONV_2D": _conv, "FULLY_CONNECTED": _fully_connected,
    "AVERAGE_POOL_2D": _pool, "MAX_POOL_2D": _pool, "MEAN": _mean, "SOFTMAX": _softmax,
    "ADD": _add, "QUANTIZE": _convert, "DEQUANTIZE": _convert, "RESHAPE": _convert,
}


class Model:
    """A loaded single-input, single-output TFLite model (its first subgraph).

    ``input_shape``/``output_shape`` leave out a leading batch dimension of 1;
    ``input_dtype`` is float32 or int8, ``input_scale``/``input_zero_point`` (and
    the output's) are None unless the tensor is int8-quantized."""

    def __init__(self, tensors: list[Tensor], operators: list[Operator], input_index: int, output_index: int) -> None:
        self.tensors, self.operators = tensors, operators
        self._input_index, self._output_index = input_index, output_index
        self._input, self._output = tensors[input_index], tensors[output_index]
        self.ops: list[str] = [op.name for op in operators]
        self.input_shape, self.output_shape = (_unbatched(t.shape) for t in (self._input, self._output))
        self.input_dtype = np.dtype(np.int8 if self._input.type_name == "INT8" else np.float32)
        self.input_scale, self.input_zero_point = self._input.scale_zero_point()
        self.output_scale, self.output_zero_point = self._output.scale_zero_point()

    def run(self, x: np.ndarray) -> np.ndarray:
        """Evaluate the graph for a real-valued input of input_shape (or with a
        batch of 1 in front); an int8 input is quantized first (round half away,
        clamp). Returns the real (dequantized) output, flat, as float64."""
        x = np.asarray(x, np.float64)
        if x.shape not in (self.input_shape, (1,) + self.input_shape):
            raise ValueError(f"input of shape {x.shape}; the model takes {self.input_shape}")
        x = x.reshape(self._input.shape)
        values: dict[int, np.ndarray] = {i: t.data for i, t in enumerate(self.tensors) if t.data is not None}
        values[self._input_index] = _quantize(self._input, x) if self._input.quantized else x
        for op in self.operators:
            args = [_Arg(self.tensors[i], values[i]) for i in op.inputs if i >= 0]
            out = self.tensors[op.outputs[0]]
            values[op.outputs[0]] = np.asarray(_KERNELS[op.name](op, args, out)).reshape(out.shape)
        result = values[self._output_index]
        return np.asarray(_real(self._output, result), np.float64).ravel()


def _unbatched(shape: tuple[int, ...]) -> tuple[int, ...]:
    return shape[1:] if len(shape) > 1 and shape[0] == 1 else shape


def load(source: Union[str, bytes, bytearray]) -> Model:
    """Load a .tflite file (a path, or its bytes). Raises ValueError for a file
    that is not a TFLite flatbuffer, is truncated, or uses an op, tensor type
    or option this evaluator does not support."""
    if isinstance(source, str):
        with open(source, "rb") as f:
            buf = f.read()
    else:
        buf = bytes(source)
    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise ValueError("not a TFLite flatbuffer (no TFL3 identifier)")
    root = _Table(buf, _unpack(buf, "<I", 0))
    names = [_op_name(code) for code in root.tables(1)]
    subgraphs, buffers = root.tables(2), root.tables(4)
    if not subgraphs:
        raise ValueError("the model has no subgraph")
    graph = subgraphs[0]
    tensors = [_tensor(t, buffers, buf) for t in graph.tables(0)]
    operators = [_operator(op, names) for op in graph.tables(3)]
    inputs, outputs = graph.vector(1, "<i4"), graph.vector(2, "<i4")
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(f"{len(inputs)} inputs and {len(outputs)} outputs: one of each is supported")
    # the ops, in order, may read only constants, the input and what earlier ops wrote
    known = {int(inputs[0])} & set(range(len(tensors))) | {i for i, t in enumerate(tensors) if t.data is not None}
    for op in operators:
        if not all(i == -1 or i in known for i in op.inputs) or not all(0 <= i < len(tensors) for i in op.outputs):
            raise ValueError(f"{op.name}: a tensor index out of range, or read before it is written")
        known.update(op.outputs)
    if int(outputs[0]) not in known:
        raise ValueError(f"the output (tensor {outputs[0]}) is never written")
    return Model(tensors, operators, int(inputs[0]), int(outputs[0]))


def main(argv: Optional[Iterable[str]] = None) -> int:
    """``model.tflite [image.bin]``: list the ops; run a uint8 image (pixel / 255.0)."""
    parser = argparse.ArgumentParser(prog="python3 -m emlearn_mp.tflite", description=__doc__.split("\n")[0])
    parser.add_argument("model", help=".tflite file")
    parser.add_argument("image", nargs="?", help="raw uint8 pixels, h*w*c bytes")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        model = load(args.model)
        scale = f" scale {model.input_scale:.6g} zero point {model.input_zero_point}" if model.input_scale else ""
        print(f"input {model.input_shape} {model.input_dtype}{scale}; output {model.output_shape}")
        for i, op in enumerate(model.operators):
            ins = ", ".join(model.tensors[t].describe() if t >= 0 else "-" for t in op.inputs)
            print(f"{i:3d} {op.name:18s} {ins} -> {model.tensors[op.outputs[0]].describe()}")
        if args.image:
            pixels = np.fromfile(args.image, np.uint8)
            if pixels.size != math.prod(model.input_shape):
                raise ValueError(f"{args.image}: {pixels.size} bytes, the input takes {math.prod(model.input_shape)}")
            output = model.run(pixels.reshape(model.input_shape) / 255.0)
            print("output", " ".join(f"{v:.4f}" for v in output))
            print("argmax", int(np.argmax(output)))
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
