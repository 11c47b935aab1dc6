# The cases of tests/reference/cnn_cases.py for test_cnn_int8.py and test_cnn_fp32.py:
# the MNIST examples, scikit-learn's digits (stored 8x8, enlarged here) and noise, with
# the expected outputs. One module per test file: the emulated boards have 140 kB of
# heap, most of it holding the module, the files and the float model (21 kB).
import array
import json
import emltest

INDEX = json.load(open("cnn_cases.json"))
N_IN = INDEX["n_inputs"]
N_OUT = INDEX["n_outputs"]


def read_at(offset, buf):
    with open("cnn_cases.bin", "rb") as f:
        f.seek(offset)
        f.readinto(buf)
    return buf


def noise_image(seed):
    """tests/reference/cnn_cases.py's generator."""
    out = array.array("B", bytes(N_IN))
    x = seed
    for i in range(N_IN):
        x = (x * 1103515245 + 12345) & 0x7fffffff
        out[i] = x >> 23
    return out


def image(i):
    """Case i: an MNIST example, an enlarged 8x8 digit or noise."""
    if i < INDEX["n_mnist"]:
        return read_at(INDEX["images"] + i * N_IN, array.array("B", bytes(N_IN)))
    i -= INDEX["n_mnist"]
    if i >= INDEX["n_digits"]:
        return noise_image(i - INDEX["n_digits"] + 1)
    small = read_at(INDEX["images"] + INDEX["n_mnist"] * N_IN + 64 * i, array.array("B", bytes(64)))
    out = array.array("B", bytes(N_IN))
    for y in range(16):
        for x in range(16):
            out[(y + 6) * 28 + x + 6] = small[(y // 2) * 8 + x // 2]
    return out


def expected(name, i):
    return read_at(INDEX[name] + 4 * i * N_OUT, array.array("f", bytes(4 * N_OUT)))


def argmax(values):
    best = 0
    for i in range(len(values)):
        if values[i] > values[best]:
            best = i
    return best


def run_all(m):
    """Each case's output (a list of arrays) and class, by model m."""
    outputs, classes = [], []
    for i in range(INDEX["n_cases"]):
        out = array.array("f", bytes(4 * N_OUT))
        classes.append(m.run(image(i), out))
        outputs.append(out)
    return outputs, classes


def worst(outputs, name):
    w = 0.0
    for i, out in enumerate(outputs):
        ok, d = emltest.close(out, expected(name, i), 1.0)
        w = max(w, d)
    return w


def check_classes(m):
    """The ten MNIST examples are classified right."""
    _, classes = run_all(m)
    assert classes[:INDEX["n_mnist"]] == list(range(10)), classes[:10]


def check_float_inputs(m):
    """Real-valued inputs pixel / 255 give what the pixels give."""
    for i in (0, 3, 12, INDEX["n_cases"] - 1):
        pixels = image(i)
        values = array.array("f", [p / 255 for p in pixels])
        a, b = array.array("f", bytes(4 * N_OUT)), array.array("f", bytes(4 * N_OUT))
        m.run(pixels, a)
        m.run(values, b)
        ok, d = emltest.close(a, b, 1e-6)
        assert ok, (i, d)


