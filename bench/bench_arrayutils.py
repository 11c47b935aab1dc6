# emlearn_arrayutils against pure MicroPython, on the jobs it exists for:
#   decode: one axis out of a 3-axis accelerometer FIFO read (500 little-endian
#           int16 frames of x, y, z), scaled to g, into array('f');
#   to_float: int16 counts to float, linear_map array('h') -> array('f');
#   to_int16: float features quantized for an int16 model, linear_map
#           array('f') -> array('h') (rounded, saturated).
# Each figure is per call (N samples), and per sample.
import array
import gc
import micropython
import emlearn_arrayutils as au
import timing

N = 500
SCALE = 0.061e-3        # LSM6DS-style +-2 g: 0.061 mg per count


# The baselines are what a user writes without the module, compiled by the
# native emitter as in the other benchmarks. Decoding assembles each sample
# from its two bytes, which handles any stride and either byte order as the
# module does.
@micropython.native
def python_decode(data, out, start, stride, big_endian, scale):
    p = start * 2
    step = stride * 2
    lo = 1 if big_endian else 0
    hi = 1 - lo
    for i in range(len(out)):
        v = data[p + lo] | (data[p + hi] << 8)
        if v >= 32768:
            v -= 65536
        out[i] = v * scale
        p += step


@micropython.native
def python_to_float(inp, out, in_min, in_max, out_min, out_max):
    k = (out_max - out_min) / (in_max - in_min)
    for i in range(len(inp)):
        out[i] = (inp[i] - in_min) * k + out_min


@micropython.native
def python_to_int16(inp, out, in_min, in_max, out_min, out_max):
    k = (out_max - out_min) / (in_max - in_min)
    for i in range(len(inp)):
        v = round((inp[i] - in_min) * k + out_min)
        out[i] = -32768 if v < -32768 else 32767 if v > 32767 else v


def signal():
    """N frames of x, y, z counts from a fixed pseudo-random walk."""
    x = 1
    counts = array.array("h", bytes(2 * 3 * N))
    for i in range(3 * N):
        x = (75 * x + 74) % 65537
        counts[i] = x - 32768
    return counts


def measure6(fn, repeat, args):
    """timing.measure for six arguments: the call sits in the loop with fn
    and its arguments in locals, no lambda. (Not in timing.py: changing that
    function's code moves the other benchmarks' instruction counts.)"""
    best = None
    a, b, c, d, e, f = args
    for _ in range(3):
        t0 = timing.ticks_us()
        for _ in range(repeat):
            fn(a, b, c, d, e, f)
        cost = timing.ticks_diff(timing.ticks_us(), t0) / repeat
        best = cost if best is None or cost < best else best
    return best


def heap_per_call(fn):
    """Heap bytes that one call allocates (none expected)."""
    gc.collect()
    before = gc.mem_alloc()
    for _ in range(10):
        fn()
    return (gc.mem_alloc() - before) // 10


def main():
    counts = signal()
    data = bytes(counts)                # little-endian on every target here
    g = array.array("f", bytes(4 * N))
    raw = counts[:N]
    features = array.array("f", (v * (1.0 / 8192) for v in raw))   # about +-4.0
    quantized = array.array("h", bytes(2 * N))
    py_g = array.array("f", g)
    py_q = array.array("h", quantized)
    on_host = timing.UNIT == "us"
    # Bounds in locals: a literal such as -2.0 would make a new float object
    # on every call, and the heap figure is meant for the module's own use.
    g_min, g_max, f_min, f_max = -2.0, 2.0, -4.0, 4.0

    # (name, module function, python function, arguments, module outputs, python outputs)
    jobs = (
        ("decode", au.int16_from_bytes, python_decode, (data, g, 0, 3, False, SCALE), g, py_g),
        ("to_float", au.linear_map, python_to_float, (raw, g, -32768, 32767, g_min, g_max), g, py_g),
        ("to_int16", au.linear_map, python_to_int16, (features, quantized, f_min, f_max, -32768, 32767),
         quantized, py_q),
    )
    print("unit", timing.UNIT)
    print("samples", N)
    for name, module_fn, python_fn, args, out, py_out in jobs:
        py_args = (args[0], py_out) + args[2:]
        module = measure6(module_fn, 200 if on_host else 20, args)
        python = measure6(python_fn, 5 if on_host else 1, py_args)
        # The baseline must compute what the module does: equal up to float
        # rounding (to_int16: at most one count where a value sits near .5).
        worst = max(abs(out[i] - py_out[i]) for i in range(N))
        print("%s_module_per_call" % name, module)
        print("%s_python_per_call" % name, python)
        print("%s_speedup" % name, python / module)
        print("%s_max_difference" % name, worst)
        print("%s_heap_per_call" % name, heap_per_call(lambda: module_fn(*args)))


main()
