"""emlearn_mp.tflite, the numpy reference evaluator of .tflite models: the MNIST
CNN of the shared data (fp32 and int8) classifies its ten example digits, the
int8 model's outputs agree with the fp32 model's, damaged files and unsupported
ops raise ValueError; the kernels the models do not use are checked against
plain loops."""
import contextlib
import io
import math
import os
import struct

import numpy as np
import pytest

from emlearn_mp import tflite

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CNN = os.path.join(os.path.dirname(TOP), "shared", "data", "cnn")   # beside the repository
FP32, INT8 = (os.path.join(CNN, f"mnist_cnn_{kind}.tflite") for kind in ("fp32", "int8"))
needs_models = pytest.mark.skipif(not os.path.isdir(CNN), reason=f"no shared CNN models at {CNN}")

SOFTMAX, LOGISTIC = 25, 14   # BuiltinOperator codes


def example(digit):
    """mnist_example_<digit>.bin as the models' input: pixel / 255.0, (28, 28, 1)."""
    path = os.path.join(CNN, "mnist_examples", f"mnist_example_{digit}.bin")
    return np.fromfile(path, np.uint8).reshape(28, 28, 1) / 255.0


@pytest.fixture(scope="module")
def outputs():
    """{"fp32"|"int8": (10 images, 10 outputs)}, image i being digit i."""
    return {kind: np.array([tflite.load(path).run(example(d)) for d in range(10)])
            for kind, path in (("fp32", FP32), ("int8", INT8))}


@needs_models
@pytest.mark.parametrize("path, dtype", [(FP32, np.float32), (INT8, np.int8)])
def test_model_description(path, dtype):
    model = tflite.load(path)
    assert model.ops == ["CONV_2D", "CONV_2D", "CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX"]
    assert model.input_shape == (28, 28, 1) and model.output_shape == (10,)
    assert model.input_dtype == dtype
    if dtype == np.int8:   # the input takes the pixel values themselves: q = pixel - 128
        assert model.input_scale == pytest.approx(1 / 255) and model.input_zero_point == -128
        assert model.output_scale == 1 / 256 and model.output_zero_point == -128
    else:
        assert model.input_scale is None and model.input_zero_point is None


@needs_models
@pytest.mark.parametrize("kind", ["fp32", "int8"])
def test_classifies_the_ten_examples(outputs, kind):
    assert list(np.argmax(outputs[kind], axis=1)) == list(range(10))


@needs_models
def test_fp32_outputs_are_probabilities(outputs):
    assert np.all(outputs["fp32"] >= 0)
    np.testing.assert_allclose(outputs["fp32"].sum(axis=1), 1.0, atol=1e-6)


@needs_models
def test_int8_agrees_with_fp32(outputs):
    # Measured: at most 0.0189 (digit 2, about 4.8 output steps of 1/256). The
    # int8 output itself is a multiple of 1/256 (and tops out at 255/256), and
    # the logits entering the softmax are quantized in steps of 0.128, which
    # alone moves a probability p by up to p(1 - p) * 0.128 / 2: 0.03 (7.7
    # steps) leaves room for that without hiding a kernel error, which moves
    # whole layers (a wrong requantization or zero point gives errors > 0.1).
    assert np.abs(outputs["int8"] - outputs["fp32"]).max() < 0.03
    # the int8 output is an exact multiple of its scale
    np.testing.assert_array_equal(outputs["int8"] * 256, np.round(outputs["int8"] * 256))


@needs_models
def test_batched_input_and_wrong_shape():
    model = tflite.load(INT8)
    x = example(7)
    np.testing.assert_array_equal(model.run(x[np.newaxis]), model.run(x))
    with pytest.raises(ValueError, match="shape"):
        model.run(x[:, :27])


def patched_opcode(data, old, new):
    """The model bytes with builtin op old replaced by new in operator_codes (both
    the int8 deprecated_builtin_code, field 0, and the int32 builtin_code, field 3)."""
    buf = bytearray(data)
    root = tflite._Table(bytes(data), struct.unpack_from("<I", data, 0)[0])
    patched = 0
    for code in root.tables(1):
        for field, fmt in ((0, "<b"), (3, "<i")):
            pos = code.position(field)
            if pos and struct.unpack_from(fmt, buf, pos)[0] == old:
                struct.pack_into(fmt, buf, pos, new)
                patched += 1
    assert patched, f"op {old} not found"
    return bytes(buf)


@needs_models
@pytest.mark.parametrize("path", [FP32, INT8])
def test_unsupported_op_raises(path):
    with open(path, "rb") as f:
        data = f.read()
    tflite.load(patched_opcode(data, SOFTMAX, SOFTMAX))   # the patching itself leaves a valid model
    with pytest.raises(ValueError, match="BUILTIN_14 is not supported"):
        tflite.load(patched_opcode(data, SOFTMAX, LOGISTIC))


@needs_models
@pytest.mark.parametrize("path", [FP32, INT8])
def test_truncated_file_raises(path):
    with open(path, "rb") as f:
        data = f.read()
    for size in (0, 7, 100, len(data) // 2, len(data) - 100, len(data) - 1):
        with pytest.raises(ValueError):
            tflite.load(data[:size])
    with pytest.raises(ValueError, match="TFL3"):
        tflite.load(b"\0" * 4 + b"TFL2" + data[8:])


@needs_models
def test_command_line():
    image = os.path.join(CNN, "mnist_examples", "mnist_example_3.bin")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert tflite.main([INT8, image]) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("input (28, 28, 1) int8")
    assert "MEAN" in lines[4] and lines[-1] == "argmax 3"
    assert len(lines[-2].split()) == 11   # "output" and ten values


# ---- kernels the two models do not use, against plain loops on float tensors

def float_tensor(shape):
    return tflite.Tensor("t", tuple(shape), "FLOAT32", np.zeros(0), np.zeros(0, np.int64), None)


def output_size(size, kernel, stride, dilation, padding):
    """(output size, padding before) as TFLite's ComputePaddingHeightWidth: SAME
    pads floor(total / 2) before, the odd one after."""
    extent = (kernel - 1) * dilation + 1
    if padding == 1:   # VALID
        return math.ceil((size - extent + 1) / stride), 0
    out = math.ceil(size / stride)
    return out, max((out - 1) * stride + extent - size, 0) // 2


def windows(x, kernel, stride, dilation, padding):
    """Per output position (y, x): the in-bounds (iy, ix, ky, kx)."""
    (oh, top), (ow, left) = (output_size(x.shape[1 + a], kernel[a], stride[a], dilation[a], padding) for a in (0, 1))
    for y in range(oh):
        for xx in range(ow):
            yield y, xx, [(y * stride[0] - top + ky * dilation[0], xx * stride[1] - left + kx * dilation[1], ky, kx)
                          for ky in range(kernel[0]) for kx in range(kernel[1])
                          if 0 <= y * stride[0] - top + ky * dilation[0] < x.shape[1]
                          and 0 <= xx * stride[1] - left + kx * dilation[1] < x.shape[2]]


@pytest.mark.parametrize("padding", [0, 1])   # SAME, VALID
@pytest.mark.parametrize("stride, dilation", [((1, 1), (1, 1)), ((2, 2), (1, 1)), ((3, 2), (2, 1))])
@pytest.mark.parametrize("depthwise", [False, True])
def test_convolutions_against_loops(padding, stride, dilation, depthwise):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 7, 9, 3))
    w = rng.normal(size=(1, 3, 2, 6) if depthwise else (4, 3, 2, 3))
    b = rng.normal(size=w.shape[3] if depthwise else w.shape[0])
    rows = []
    for y, xx, taps in windows(x, (3, 2), stride, dilation, padding):
        if depthwise:   # input channel c feeds outputs 2c and 2c + 1
            rows.append((y, xx, b + sum(np.repeat(x[0, iy, ix], 2) * w[0, ky, kx] for iy, ix, ky, kx in taps)))
        else:
            rows.append((y, xx, b + sum(w[:, ky, kx] @ x[0, iy, ix] for iy, ix, ky, kx in taps)))
    expected = np.zeros((1, max(r[0] for r in rows) + 1, max(r[1] for r in rows) + 1, len(b)))
    for y, xx, value in rows:
        expected[0, y, xx] = value
    op = tflite.Operator("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [], [], dict(
        padding=padding, stride_h=stride[0], stride_w=stride[1], dilation_h=dilation[0], dilation_w=dilation[1],
        activation=1))
    args = [tflite._Arg(float_tensor(a.shape), a) for a in (x, w, b)]
    got = tflite._KERNELS[op.name](op, args, float_tensor(expected.shape))
    np.testing.assert_allclose(got, np.maximum(expected, 0), atol=1e-12)   # activation 1: RELU


@pytest.mark.parametrize("padding", [0, 1])
@pytest.mark.parametrize("kernel, stride", [((2, 2), (2, 2)), ((3, 3), (2, 2)), ((3, 2), (1, 2))])
@pytest.mark.parametrize("name", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_pools_against_loops(padding, kernel, stride, name):
    """Float pools, and int8 ones: the padding never counts, the average rounds half away."""
    rng = np.random.default_rng(1)
    op = tflite.Operator(name, [], [], dict(padding=padding, stride_h=stride[0], stride_w=stride[1],
                                            filter_h=kernel[0], filter_w=kernel[1], activation=0))
    int8 = tflite.Tensor("q", (1, 7, 9, 3), "INT8", np.array([0.1]), np.array([-3]), None)
    for x, tensor in ((rng.normal(size=(1, 7, 9, 3)), float_tensor((1, 7, 9, 3))),
                      (rng.integers(-128, 128, size=(1, 7, 9, 3)), int8)):
        got = tflite._KERNELS[name](op, [tflite._Arg(tensor, x)], tensor)
        for y, xx, taps in windows(x, kernel, stride, (1, 1), padding):
            values = np.array([x[0, iy, ix] for iy, ix, _, _ in taps])
            want = values.max(axis=0) if name == "MAX_POOL_2D" else values.mean(axis=0)
            if tensor.quantized:
                want = np.sign(want) * np.floor(np.abs(want) + 0.5)
            np.testing.assert_allclose(got[0, y, xx], want, atol=1e-12)


def test_requantization_is_within_one_step():
    """TFLite's fixed-point multiply rounds twice (high multiply, then shift): within
    one step of acc * m, and exact where acc * m is an integer."""
    rng = np.random.default_rng(2)
    acc = rng.integers(-(1 << 20), 1 << 20, 20000)
    for multiplier in (0.3, 1.7, 0.0012, 3.2e-5, 2.0 ** -9):
        got = tflite._requantize(acc, multiplier)
        assert np.abs(got - acc * multiplier).max() < 1
    np.testing.assert_array_equal(tflite._requantize(acc * 512, 2.0 ** -9), acc)
    per_channel = tflite._requantize(np.full((4, 2), 1000), np.array([0.5, 0.25]))
    np.testing.assert_array_equal(per_channel, [[500, 250]] * 4)
    for real in (0.75, 0.0012, 3.0):   # real = q * 2**(shift - 31), q a Q31 in [2**30, 2**31)
        q, shift = tflite._quantize_multiplier(real)
        assert 1 << 30 <= q < 1 << 31 and math.isclose(q * 2.0 ** (shift - 31), real, rel_tol=1e-9)


def test_quantize_dequantize_reshape_add():
    """QUANTIZE rounds half away from zero and clamps; int8 ADD (TFLite's 2**20
    common-scale scheme) lands within one output step of the real sum."""
    def run(name, args, out, **options):
        return tflite._KERNELS[name](tflite.Operator(name, [], [], options), args, out)

    def int8(scale, zero_point, n):
        return tflite.Tensor("q", (1, n), "INT8", np.array([scale]), np.array([zero_point]), None)

    real = np.array([[-0.25, 0.25, 1.25, -1.25, 100.0, -100.0]])
    half = int8(0.5, 0, 6)
    q = run("QUANTIZE", [tflite._Arg(float_tensor(real.shape), real)], half)
    np.testing.assert_array_equal(q, [[-1, 1, 3, -3, 127, -128]])
    np.testing.assert_array_equal(run("DEQUANTIZE", [tflite._Arg(half, q)], float_tensor(real.shape)),
                                  [[-0.5, 0.5, 1.5, -1.5, 63.5, -64.0]])
    np.testing.assert_array_equal(run("RESHAPE", [tflite._Arg(half, q)], int8(0.5, 0, 6)), q)
    rng = np.random.default_rng(3)
    a, b, out = int8(0.011, 3, 1000), int8(0.023, -7, 1000), int8(0.031, 5, 1000)
    qa, qb = rng.integers(-128, 128, (2, 1, 1000))
    got = run("ADD", [tflite._Arg(a, qa), tflite._Arg(b, qb)], out, activation=0)
    total = (qa - 3) * 0.011 + (qb + 7) * 0.023
    inside = np.abs(total / 0.031 + 5) < 127    # not clamped
    assert inside.sum() > 900
    assert np.abs((got - 5) * 0.031 - total)[inside].max() <= 0.031
    floats = run("ADD", [tflite._Arg(float_tensor(real.shape), real)] * 2, float_tensor(real.shape), activation=3)
    np.testing.assert_array_equal(floats, np.clip(2 * real, 0, 6))   # RELU6
