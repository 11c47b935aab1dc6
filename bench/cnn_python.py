# TinyMaix .tmdl models (int8 and float32) run in plain MicroPython: what a
# user without emlearn_cnn_int8/emlearn_cnn_fp32 would write. It is the
# baseline of bench_cnn.py, so it is written as the natural loops over the
# file's layout (src/core/eml_cnn.h), not tuned: no unrolling, no cached
# bound methods, one readable function per layer type.
#
#     with open("mnist_cnn_fp32.tmdl", "rb") as f:
#         model = cnn_python.Model(f)
#     cls = model.run(pixels, out)    # array('B') 0..255; out: 10 floats
#
# Written for a board's small heap, as a user there must: parameters are
# read from the file straight into arrays (no copy of the whole file), and
# every layer's output is an array allocated once, at load. A list would
# hold each float as its own heap object (16 bytes on a 32-bit board), and
# the float32 MNIST model's 3000 weights would not fit next to the rest.
# Tensors are flat HWC arrays.
import array
import math
import struct

INT8, FP32 = 0, 2
CONV2D, GAP, FC, SOFTMAX, RESHAPE, DWCONV2D = 0, 1, 2, 3, 4, 5
NONE, RELU, RELU1, RELU6 = 0, 1, 2, 3
MAGIC = 0x5849414D  # "MAIX"
HEADER_SIZE = 64
HEAD_SIZE = 80  # the longest layer head: a convolution's


def clamp(v, low, high):
    return low if v < low else high if v > high else v


def new_array(code, n):
    """n values of type code, in one allocation: array(code, bytes(4 * n))
    would also hold as many zero bytes beside it for a moment, and on a
    board the largest layer's would find no room. array() sizes itself from
    the length of range(n); the values are overwritten."""
    if code == "b":
        return array.array(code, bytes(n))  # int8 values: range would pass 127
    return array.array(code, range(n))


def read_array(f, pos, n, code):
    """n values of type code at pos in the file (little-endian, as the boards)."""
    a = new_array(code, n)
    f.seek(pos)
    f.readinto(a)
    return a


def new_tensor(int8, n):
    return new_array("b" if int8 else "f", n)


class Layer:
    """One layer: its head (48 bytes), the conv or fc fields and parameters,
    and the array its output goes to."""

    def __init__(self, f, pos, int8):
        f.seek(pos)
        head = f.read(HEAD_SIZE)
        self.int8 = int8
        self.type, self.is_output, self.size = struct.unpack_from("<HHI", head, 0)
        in_dims = struct.unpack_from("<4H", head, 16)
        out_dims = struct.unpack_from("<4H", head, 24)
        self.in_h, self.in_w, self.in_c = in_dims[1], in_dims[2], in_dims[3]
        self.out_h, self.out_w, self.out_c = out_dims[1], out_dims[2], out_dims[3]
        self.in_count = self.in_h * self.in_w * self.in_c
        self.out_count = self.out_h * self.out_w * self.out_c
        self.in_scale, self.in_zero, self.out_scale, self.out_zero = struct.unpack_from("<fifi", head, 32)
        self.activation = NONE
        if self.type in (CONV2D, DWCONV2D):
            self.read_conv(f, pos, head)
        elif self.type == FC:
            scales, weights, bias = struct.unpack_from("<III", head, 48)
            self.read_parameters(f, pos, scales, weights, bias, 1, self.in_count * self.out_count)
        # A softmax output is floats (below); a reshape passes its input on.
        if self.type not in (SOFTMAX, RESHAPE):
            self.out = new_tensor(int8, self.out_count)

    def read_conv(self, f, pos, head):
        c = struct.unpack_from("<6BH4BIIIII", head, 48)
        self.kernel_w, self.kernel_h, self.stride_w, self.stride_h = c[0], c[1], c[2], c[3]
        assert c[4] == 1 and c[5] == 1, "dilated convolutions not supported"
        self.activation = c[6]
        self.pad_top, self.pad_left = c[7], c[9]
        self.depth_multiplier = c[11]
        # A depthwise layer reads one input channel per output channel.
        self.channels = 1 if self.depth_multiplier else self.in_c
        n_weights = self.out_c * self.channels * self.kernel_h * self.kernel_w
        self.read_parameters(f, pos, c[13], c[14], c[15], self.out_c, n_weights)

    def read_parameters(self, f, pos, scales, weights, bias, n_scales, n_weights):
        n_bias = self.out_c if self.type != FC else self.out_count
        if self.int8:
            self.weights = read_array(f, pos + weights, n_weights, "b")
            self.bias = read_array(f, pos + bias, n_bias, "i")  # input zero point folded in
            # From int32 sums to output steps: one multiplier per output
            # channel (fc: one for all).
            self.multiplier = [s * self.in_scale / self.out_scale
                               for s in read_array(f, pos + scales, n_scales, "f")]
            self.low, self.high = int8_range(self)
        else:
            self.weights = read_array(f, pos + weights, n_weights, "f")
            self.bias = read_array(f, pos + bias, n_bias, "f")


def int8_range(layer):
    """The int8 values an activation lets through, in output steps."""
    zero, step = layer.out_zero, layer.out_scale
    if layer.activation in (RELU, RELU6):
        low = zero
    elif layer.activation == RELU1:
        low = max(-128, zero - round(1 / step))
    else:
        low = -128
    if layer.activation == RELU6:
        high = min(127, zero + round(6 / step))
    elif layer.activation == RELU1:
        high = min(127, zero + round(1 / step))
    else:
        high = 127
    return low, high


def activate(v, activation):
    if activation == RELU:
        return max(v, 0.0)
    if activation == RELU6:
        return min(max(v, 0.0), 6.0)
    if activation == RELU1:
        return min(max(v, -1.0), 1.0)
    return v


def finish(layer, s, channel):
    """A conv or fc output from its sum with bias: rescaled to int8 and
    clamped (int8), or the activation applied (float32)."""
    if layer.int8:
        q = round(s * layer.multiplier[channel]) + layer.out_zero
        return clamp(q, layer.low, layer.high)
    return activate(s, layer.activation)


def conv2d(layer, x):
    """The textbook loops, the layer's fields taken once into local names.
    Weights are [out channel][in channel][row][column]; a depthwise layer's
    output channel oc reads input channel oc // depth_multiplier only."""
    in_h, in_w, in_c = layer.in_h, layer.in_w, layer.in_c
    kh, kw, channels = layer.kernel_h, layer.kernel_w, layer.channels
    weights, bias, dmul = layer.weights, layer.bias, layer.depth_multiplier
    # Padding stands for a real 0: the zero point in int8.
    pad = layer.in_zero if layer.int8 else 0.0
    out = layer.out
    i = 0
    for oy in range(layer.out_h):
        for ox in range(layer.out_w):
            y0 = oy * layer.stride_h - layer.pad_top
            x0 = ox * layer.stride_w - layer.pad_left
            for oc in range(layer.out_c):
                first = oc // dmul if dmul else 0
                s = bias[oc]
                for ky in range(kh):
                    iy = y0 + ky
                    for kx in range(kw):
                        ix = x0 + kx
                        inside = 0 <= iy < in_h and 0 <= ix < in_w
                        for c in range(channels):
                            v = x[(iy * in_w + ix) * in_c + first + c] if inside else pad
                            s += v * weights[((oc * channels + c) * kh + ky) * kw + kx]
                out[i] = finish(layer, s, oc)
                i += 1
    return out


def fully_connected(layer, x):
    n = layer.in_count
    for o in range(layer.out_count):
        s = layer.bias[o]
        for i in range(n):
            s += x[i] * layer.weights[o * n + i]
        layer.out[o] = finish(layer, s, 0)
    return layer.out


def average_pool(layer, x):
    n = layer.in_h * layer.in_w
    for c in range(layer.in_c):
        s = 0
        for i in range(n):
            s += x[i * layer.in_c + c]
        if layer.int8:
            q = round((s - n * layer.in_zero) * layer.in_scale / layer.out_scale / n) + layer.out_zero
            layer.out[c] = clamp(q, -128, 127)
        else:
            layer.out[c] = s / n
    return layer.out


def dequantize(x, scale, zero):
    return [(q - zero) * scale for q in x]


def softmax(layer, x):
    """Probabilities as floats; quantized again only when a later layer reads them."""
    values = dequantize(x, layer.in_scale, layer.in_zero) if layer.int8 else list(x)
    largest = max(values)
    e = [math.exp(v - largest) for v in values]
    total = sum(e)
    p = [v / total for v in e]
    if layer.int8 and not layer.is_output:
        return array.array("b", [clamp(round(v / layer.out_scale) + layer.out_zero, -128, 127) for v in p])
    return p


def reshape(layer, x):
    return x  # flat HWC values stay as they are


LAYERS = {CONV2D: conv2d, DWCONV2D: conv2d, FC: fully_connected, GAP: average_pool, SOFTMAX: softmax,
          RESHAPE: reshape}


class Model:
    def __init__(self, f):
        magic, kind, _, _, _, n_layers = struct.unpack_from("<IBBHHH", f.read(HEADER_SIZE), 0)
        assert magic == MAGIC and kind in (INT8, FP32), "not an int8 or float32 TinyMaix model"
        self.int8 = kind == INT8
        self.layers = []
        pos = HEADER_SIZE
        for _ in range(n_layers):
            layer = Layer(f, pos, self.int8)
            self.layers.append(layer)
            if layer.is_output:  # later layers do not change the output
                break
            pos += layer.size
        self.input = new_tensor(self.int8, self.layers[0].in_count)

    def read_input(self, pixels):
        """Pixels 0..255 read as pixel / 255, quantized for an int8 model."""
        first = self.layers[0]
        for i in range(len(pixels)):
            if self.int8:
                self.input[i] = clamp(round(pixels[i] / 255 / first.in_scale) + first.in_zero, -128, 127)
            else:
                self.input[i] = pixels[i] / 255

    def run(self, pixels, out):
        """The output layer's values into out; returns the index of the largest."""
        self.read_input(pixels)
        x = self.input
        for layer in self.layers:
            x = LAYERS[layer.type](layer, x)
        last = self.layers[-1]
        if self.int8 and last.type != SOFTMAX:
            x = dequantize(x, last.out_scale, last.out_zero)
        best = 0
        for i in range(len(out)):
            out[i] = x[i]
            if x[i] > x[best]:
                best = i
        return best
