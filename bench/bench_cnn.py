# emlearn_cnn_int8 / emlearn_cnn_fp32 against cnn_python.py, the same TinyMaix
# inference in plain MicroPython (what users write without the modules): the
# MNIST models of ../shared/data/cnn (three 3x3 stride-2 convolutions, average
# pooling, fully connected, softmax) on its ten example images, 28x28 pixels.
# Both must give the same classes.
#
# One model type per run: cnn_module.py, which tools/bench.py writes, imports
# the module to measure and names its type (KIND). A board's 140 kB heap holds
# one module's code, its model and the pure-Python model, not two of each.
# Every key carries the type (int8_..., fp32_...), so the two runs' lines
# make one report. By hand: a cnn_module.py holding
# `import emlearn_cnn_int8 as module` and `KIND = "int8"`, then
#     tools/run armv7m --icount -f bench/timing.py -f bench/cnn_python.py
#         -f cnn_module.py -f <the .tmdl> -f <the ten images> bench/bench_cnn.py
import array
import gc
import cnn_python
import timing
from cnn_module import module, KIND

N_IMAGES = 10
N_PIXELS = 28 * 28
N_OUTPUTS = 10
ON_HOST = timing.UNIT == "us"
# A module run is 10^6 instructions or more on the boards: one run per round
# puts the timer reads (about 2700) under 0.3%. A pure-Python run is 10^8
# and more there: once per image (three times on x64, for the best).
MODULE_REPEAT = 20 if ON_HOST else 1
PYTHON_ROUNDS = 3 if ON_HOST else 1


def read_image(i, pixels):
    with open("mnist_example_%d.bin" % i, "rb") as f:
        f.readinto(pixels)


def loaded(make, source):
    """make(source), and the heap it keeps (what a loaded model costs in RAM)."""
    gc.collect()
    before = gc.mem_alloc()
    obj = make(source)
    gc.collect()
    return obj, gc.mem_alloc() - before


def timed_once(fn, pixels, out, rounds):
    """Best of `rounds` single calls, and what the call returned: one
    pure-Python run outweighs the timer reads ten thousand times over, and
    the class comes from the timed run itself."""
    best = None
    for _ in range(rounds):
        t0 = timing.ticks_us()
        cls = fn(pixels, out)
        t = timing.ticks_diff(timing.ticks_us(), t0)
        best = t if best is None or t < best else best
    return best, cls


def mean(values):
    return sum(values) / len(values)


class Results:
    """Per image: times, the module's class and outputs. Arrays allocated
    before any model is loaded: floats and lists grown while a model is in
    the heap would stay scattered over the room it leaves, and on the boards
    the next model would find no block large enough."""

    def __init__(self):
        self.module_times = array.array("f", bytes(4 * N_IMAGES))
        self.python_times = array.array("f", bytes(4 * N_IMAGES))
        self.classes = bytearray(N_IMAGES)
        self.outputs = array.array("f", bytes(4 * N_OUTPUTS * N_IMAGES))
        self.mismatches = []
        self.difference = 0.0


def bench_module(path, pixels, r):
    """The module's runs; the model's file size and heap. The file's bytes
    are gone on return: the boards' heap holds one model at a time."""
    data = open(path, "rb").read()
    model, heap = loaded(module.new, data)
    out = array.array("f", bytes(4 * N_OUTPUTS))
    for i in range(N_IMAGES):
        read_image(i, pixels)
        r.module_times[i] = timing.measure(model.run, MODULE_REPEAT, (pixels, out))
        r.classes[i] = model.run(pixels, out)
        r.outputs[i * N_OUTPUTS:(i + 1) * N_OUTPUTS] = out
    return len(data), heap


def bench_python(python, pixels, r):
    """The pure-Python runs, and how they agree with the module's classes
    and outputs."""
    out = array.array("f", bytes(4 * N_OUTPUTS))
    for i in range(N_IMAGES):
        read_image(i, pixels)
        r.python_times[i], cls = timed_once(python.run, pixels, out, PYTHON_ROUNDS)
        if cls != r.classes[i]:
            r.mismatches.append("image %d: module class %d, pure MicroPython %d" % (i, r.classes[i], cls))
        for k in range(N_OUTPUTS):
            r.difference = max(r.difference, abs(out[k] - r.outputs[i * N_OUTPUTS + k]))


def main():
    path = "mnist_cnn_%s.tmdl" % KIND
    pixels = array.array("B", bytes(N_PIXELS))
    r = Results()
    size, heap = bench_module(path, pixels, r)
    with open(path, "rb") as f:
        python, python_heap = loaded(cnn_python.Model, f)
    bench_python(python, pixels, r)
    for m in r.mismatches:
        print("MISMATCH %s %s" % (KIND, m))
    key = KIND + "_"
    module_time, python_time = mean(r.module_times), mean(r.python_times)
    print("unit", timing.UNIT)
    print(key + "model_bytes", size)
    print(key + "heap", heap)
    print(key + "module_per_run", "%.7g" % module_time)   # the arrays' float32 digits only
    print(key + "classes", " ".join(str(c) for c in r.classes))
    print(key + "python_heap", python_heap)
    print(key + "python_per_run", "%.7g" % python_time)
    print(key + "speedup", python_time / module_time)
    print(key + "python_agrees", N_IMAGES - len(r.mismatches), "of", N_IMAGES)
    print(key + "python_difference", r.difference)
    print(key + "mismatches", "; ".join(r.mismatches) if r.mismatches else "none")


main()
