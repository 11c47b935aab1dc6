#!/usr/bin/python3
"""Benchmarks: each bench/bench_<module>.py runs on the x64 unix port (wall
time) and on emulated Cortex-M3, Cortex-M4F, Cortex-M0 and RV32IMC (qemu
-icount: instruction counts), next to its pure-MicroPython baseline measured
in the same run.
Prints the figures, the ratios, the published reference figures and the
targets, and the .mpy size of every module on every architecture.

    tools/bench.py [module ...]
"""
import glob
import importlib.machinery
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
run_tool = importlib.machinery.SourceFileLoader("run", os.path.join(TOP, "tools", "run")).load_module()
sys.path.insert(0, os.path.join(TOP, "bench"))     # the make_*_bench.py data writers

# Reference figures measured on emlearn-micropython, and this project's
# targets (see the issues that introduced each module).
REFERENCE = {
    "emlearn_iir": {
        "x64": "reference 47.9 us/call (pure MicroPython 6832 us: 143x); target <= 24 us, >= 280x",
        "armv7m": "reference 1169 instructions/sample; target <= 1000",
        "size": {"x64": 1412, "armv7m": 2388},
    },
    "emlearn_trees": {
        "x64": "reference 0.47 us/predict, 8160 B heap; target <= 0.2 us, <= 0.1 us/row batch, <= 8160 B",
        "armv7m": "reference 3280 instructions/predict; target <= 1500",
        "size": {"x64": 3038, "armv7m": 3948},
        "size_target": {"armv7m": 3000},
    },
}
# The classifiers-only build answers the same size target.
REFERENCE["emlearn_trees_lite"] = {k: REFERENCE["emlearn_trees"][k] for k in ("size", "size_target")}


def bench(module, target):
    if module == "emlearn_cnn":
        return bench_cnn(target)
    script = os.path.join(TOP, "bench", "bench_%s.py" % module.replace("emlearn_", ""))
    if not os.path.exists(script):
        return None
    files = [os.path.join(TOP, "bench", "timing.py")]
    out_dir = os.path.join(TOP, "build", "bench")
    if module == "emlearn_trees":
        import make_trees_bench
        make_trees_bench.build(out_dir)
        files += [os.path.join(out_dir, "trees_bench.emlt"), os.path.join(out_dir, "trees_bench_rows.bin")]
    elif module == "emlearn_neighbors":
        import make_neighbors_bench
        files.append(make_neighbors_bench.build(out_dir))
    elif module == "emlearn_linreg":
        import make_linreg_bench
        files.append(make_linreg_bench.build(out_dir))
    elif module == "emlearn_logreg":
        import make_logreg_bench
        files.append(make_logreg_bench.build(out_dir))
    status, out, err = run_tool.run(target, script, files=files,
                                    icount=target != "x64", timeout=1800)
    if status != 0:
        print("%s on %s failed:\n%s%s" % (module, target, out, err))
        return None
    return dict(line.split(None, 1) for line in out.splitlines() if " " in line)


def report_iir(target, r):
    if target == "x64":
        print("  emlearn_iir   x64: %.1f us per call (2000 samples); pure MicroPython %.0f us; %.0fx faster"
              % (float(r["module_per_call"]), float(r["python_per_call"]), float(r["speedup"])))
    else:
        print("  emlearn_iir   %s: %.1f instructions per sample; pure MicroPython %.0f; %.1fx faster"
              % (target, float(r["module_per_sample"]), float(r["python_per_call"]) / 2000, float(r["speedup"])))
    if target in REFERENCE["emlearn_iir"]:
        print("                %s" % REFERENCE["emlearn_iir"][target])


def report_iir_q15(target, r):
    fig = "%.3g us" if target == "x64" else "%.1f instructions"
    print("  emlearn_iir_q15 %s, 3 sections, per sample: %s; pure MicroPython %s (%.0fx faster; outputs %s); "
          "emlearn_iir (float) on the same int16 samples %s (%.2fx the time); with error feedback %s"
          % (target, fig % float(r["module_per_sample"]), fig % float(r["python_per_sample"]),
             float(r["speedup"]), "identical" if r["agree"] == "yes" else "DIFFERENT",
             fig % float(r["float_module_per_sample"]), float(r["float_ratio"]),
             fig % float(r["feedback_per_sample"])))


def report_kmeans(target, r):
    fig = "%.3g us" if target == "x64" else "%.0f instructions"
    module, loop, python = (float(r[k + "_per_sample_pass"]) for k in ("module", "argmin_loop", "python"))
    print("  emlearn_kmeans %s, 600 pixels (uint8 RGB), 8 clusters, per sample and pass: %s; pure MicroPython %s "
          "(%.0fx faster); emlearn-micropython's loop (Python around the C argmin) %s (%.1fx faster); "
          "results %s" % (target, fig % module, fig % python, python / module, fig % loop, loop / module,
                          "identical" if r["agree"] == "yes" else "DIFFERENT"))
    print("                the same pixels as int16: %s (labels %s); as float: %s"
          % (fig % float(r["module_h_per_sample_pass"]), "identical" if r["agree_h"] == "yes" else "DIFFERENT",
             fig % float(r["module_f_per_sample_pass"])))


def report_fft(target, r):
    n = int(r["n"])
    fig = "%.3g us" if target == "x64" else "%.0f instructions"
    print("  emlearn_fft   %s, %d points of a real signal: %s per call; pure MicroPython %s; %.0fx faster"
          % (target, n, fig % float(r["module_per_call"]), fig % float(r["python_per_call"]),
             float(r["speedup"])))
    print("                results differ by %.2g at most; a complex signal: %s per call"
          % (float(r["max_difference"]), fig % float(r["module_complex_per_call"])))


def report_neighbors(target, r):
    fig = "%.3g us" if target == "x64" else "%.0f instructions"
    print("  emlearn_neighbors %s, %s items of %s features, k = %s: %s per predict; pure MicroPython %s; "
          "%.0fx faster" % (target, r["items"], r["features"], r["k"], fig % float(r["module_per_predict"]),
                            fig % float(r["python_per_predict"]), float(r["speedup"])))
    print("                labels agree on %s test rows" % r["agree"])


def report_linreg(target, r):
    fig = "%.3g us" if target == "x64" else "%.0f instructions"

    def line(what, key):
        module, python = float(r["module_per_" + key]), float(r["python_per_" + key])
        return "%s: %s; pure MicroPython %s; %.0fx faster" % (what, fig % module, fig % python, python / module)

    print("  emlearn_linreg %s, %s rows of %s features:" % (target, r["rows"], r["features"]))
    print("    " + line("predict", "predict"))
    print("    " + line("gradient step over all rows", "step") + " (weights agree to %.1g)"
          % float(r["step_difference"]))
    print("    fit (coordinate descent): %s, %s sweeps, error %.1f; train (100 gradient steps): %s, error %.1f"
          % (fig % float(r["fit_time"]), r["fit_sweeps"], float(r["fit_mse"]), fig % float(r["train_time"]),
             float(r["train_mse"])))


def report_logreg(target, r):
    fig = "%.3g us" if target == "x64" else "%.0f instructions"

    def line(what, key):
        module, python = float(r["module_per_" + key]), float(r["python_per_" + key])
        return "%s: %s; pure MicroPython %s; %.0fx faster" % (what, fig % module, fig % python, python / module)

    print("  emlearn_logreg %s, %s rows of %s features, %s classes:" % (target, r["rows"], r["features"], r["classes"]))
    print("    " + line("predict with probabilities", "predict"))
    print("    " + line("gradient step over all rows", "step") + " (weights agree to %.1g)"
          % float(r["step_difference"]))
    print("    fit: %s, %s iterations, loss %.4f; train (gradient steps, rate 0.5): %s, %s steps, loss %.4f"
          % (fig % float(r["fit_time"]), r["fit_iterations"], float(r["fit_loss"]), fig % float(r["train_time"]),
             r["train_steps"], float(r["train_loss"])))


ARRAYUTILS_JOBS = (
    ("decode", "int16_from_bytes, one axis of x,y,z frames, scaled, to array('f')"),
    ("to_float", "linear_map array('h') -> array('f')"),
    ("to_int16", "linear_map array('f') -> array('h')"),
)


def report_arrayutils(target, r):
    unit = "us" if target == "x64" else "instructions"
    n = int(r["samples"])
    print("  emlearn_arrayutils %s, %d samples per call:" % (target, n))
    for job, what in ARRAYUTILS_JOBS:
        module, python = float(r[job + "_module_per_call"]), float(r[job + "_python_per_call"])
        if unit == "us":
            figures = "%.3g us per call; pure MicroPython %.4g us" % (module, python)
        else:
            figures = "%.1f instructions per sample; pure MicroPython %.0f" % (module / n, python / n)
        print("    %-9s %s; %.0fx faster; heap %s B per call  (%s)"
              % (job, figures, float(r[job + "_speedup"]), r[job + "_heap_per_call"], what))


def report_trees(target, r):
    unit = "us" if target == "x64" else "instructions"

    def fig(key):
        # wall times to 4 significant digits; instruction counts (averages over the repeats) whole
        return ("%.4g" if unit == "us" else "%.0f") % float(r[key])

    print("  emlearn_trees %s: %s %s per predict; pure MicroPython %s; %.0fx faster"
          % (target, fig("module_per_predict"), unit, fig("python_per_predict"), float(r["speedup"])))
    print("                class only, predict(row): %s %s" % (fig("module_per_predict_class"), unit))
    print("                batch, per row: %s %s for classes, %s with probabilities"
          % (fig("module_per_row_batch"), unit, fig("module_per_row_batch_proba")))
    print("                the pure-MicroPython walker agrees on %s rows" % r["python_agrees"])
    print("                (the timing loop and a call of a no-op native method: %s %s)" % (fig("call_overhead"), unit))
    print("                model %s B; heap when loaded: %s B in place%s"
          % (r["model_bytes"], r["heap_in_place"],
             ", %s B copied into RAM" % r["heap_copied"] if r["heap_copied"] != "-1" else ""))
    if target in REFERENCE["emlearn_trees"]:
        print("                %s" % REFERENCE["emlearn_trees"][target])


CNN_KINDS = ("int8", "fp32")
CNN_DATA = os.path.join(os.path.dirname(TOP), "shared", "data", "cnn")
CNN_IMAGES = 10
# `tools/bench.py emlearn_cnn_int8` (or _fp32) runs the CNN bench: both
# types, measured side by side.
BENCH_ALIASES = {"emlearn_cnn_int8": "emlearn_cnn", "emlearn_cnn_fp32": "emlearn_cnn"}


def bench_cnn(target):
    """bench/bench_cnn.py once per model type, as a board's heap holds one
    CNN module with its model and the pure-MicroPython one, not both:
    build/bench/cnn_module.py, written before each run, imports the module
    to measure (tools/run sends a board the modules its files import).
    The runs' keys carry the type, so their lines make one dict."""
    models = {kind: os.path.join(CNN_DATA, "mnist_cnn_%s.tmdl" % kind) for kind in CNN_KINDS}
    images = [os.path.join(CNN_DATA, "mnist_examples", "mnist_example_%d.bin" % i) for i in range(CNN_IMAGES)]
    absent = [p for p in list(models.values()) + images if not os.path.exists(p)]
    if absent:
        print("  emlearn_cnn %s: skipped, %s is absent" % (target, os.path.relpath(absent[0], TOP)))
        return None
    out_dir = os.path.join(TOP, "build", "bench")
    os.makedirs(out_dir, exist_ok=True)
    chooser = os.path.join(out_dir, "cnn_module.py")
    script = os.path.join(TOP, "bench", "bench_cnn.py")
    results = {}
    for kind in CNN_KINDS:
        with open(chooser, "w") as f:
            f.write("# Written by tools/bench.py: the module bench_cnn.py measures in this run.\n"
                    "import emlearn_cnn_%s as module\nKIND = %r\n" % (kind, kind))
        files = [os.path.join(TOP, "bench", name) for name in ("timing.py", "cnn_python.py")]
        files += [chooser, models[kind]] + images
        status, out, err = run_tool.run(target, script, files=files, icount=target != "x64", timeout=1800)
        if status != 0:
            print("emlearn_cnn_%s on %s failed:\n%s%s" % (kind, target, out, err))
            continue
        results.update(line.split(None, 1) for line in out.splitlines() if " " in line)
    return results or None


def mpy_size(module, arch):
    path = os.path.join(TOP, "dist", arch + "_6.3", module + ".mpy")
    return os.path.getsize(path) if os.path.exists(path) else None


def report_cnn(target, r):
    fig = "%.1f us" if target == "x64" else "%.0f instructions"
    print("  emlearn_cnn %s, MNIST 28x28 (3 convolutions, pooling, fully connected, softmax), per run "
          "(mean of %d images):" % (target, CNN_IMAGES))
    for kind in CNN_KINDS:
        k = kind + "_"
        if k + "module_per_run" not in r:
            continue
        module, python = float(r[k + "module_per_run"]), float(r[k + "python_per_run"])
        print("    %s: %s; pure MicroPython %s; %.0fx faster" % (kind, fig % module, fig % python,
                                                                 float(r[k + "speedup"])))
        print("          classes %s; pure MicroPython agrees on %s images (outputs differ by %.2g at most)"
              % (r[k + "classes"], r[k + "python_agrees"], float(r[k + "python_difference"])))
        if r[k + "mismatches"] != "none":
            print("          !!! CLASS MISMATCH, module against pure MicroPython: %s" % r[k + "mismatches"])
        size = mpy_size("emlearn_cnn_" + kind, target)
        print("          model %s B; heap when loaded %s B (pure-MicroPython model %s B); emlearn_cnn_%s.mpy %s"
              % (r[k + "model_bytes"], r[k + "heap"], r[k + "python_heap"], kind,
                 "%d B" % size if size else "absent"))
    if "int8_module_per_run" in r and "fp32_module_per_run" in r:
        print("    module fp32 / int8 time: %.2f" % (float(r["fp32_module_per_run"]) / float(r["int8_module_per_run"])))


def sizes():
    print("\n.mpy sizes (bytes)")
    archs = sorted(os.path.basename(d).split("_")[0] for d in glob.glob(os.path.join(TOP, "dist", "*_6.3")))
    print("  %-20s" % "module" + "".join("%11s" % a for a in archs))
    modules = sorted({os.path.basename(p)[:-4] for p in glob.glob(os.path.join(TOP, "dist", "*", "*.mpy"))})
    for module in modules:
        row = "  %-20s" % module
        for arch in archs:
            path = os.path.join(TOP, "dist", arch + "_6.3", module + ".mpy")
            row += "%11s" % (os.path.getsize(path) if os.path.exists(path) else "-")
        print(row)
        for key, label in (("size", "  (reference)"), ("size_target", "  (target)")):
            ref = REFERENCE.get(module, {}).get(key)
            if ref:
                print("  %-20s" % label + "".join("%11s" % ref.get(a, "") for a in archs))


def main():
    modules = sys.argv[1:] or ["emlearn_iir", "emlearn_iir_q15", "emlearn_kmeans", "emlearn_trees", "emlearn_arrayutils", "emlearn_fft",
                               "emlearn_neighbors", "emlearn_linreg", "emlearn_logreg", "emlearn_cnn"]
    modules = list(dict.fromkeys(BENCH_ALIASES.get(m, m) for m in modules))
    reports = {"emlearn_iir": report_iir, "emlearn_iir_q15": report_iir_q15,
               "emlearn_kmeans": report_kmeans, "emlearn_trees": report_trees,
               "emlearn_arrayutils": report_arrayutils, "emlearn_fft": report_fft,
               "emlearn_neighbors": report_neighbors, "emlearn_linreg": report_linreg,
               "emlearn_logreg": report_logreg,
               "emlearn_cnn": report_cnn}
    print("Benchmarks: x64 = unix port, wall time; armv7m = qemu MPS2-AN385 (Cortex-M3, soft float), "
          "armv7emsp = qemu MPS2-AN386 (Cortex-M4F, hard float), armv6m = qemu micro:bit (Cortex-M0, "
          "soft float) and rv32imc = qemu virt (RV32IMC, soft float), guest instructions (deterministic); "
          "the targets are set on x64 and Cortex-M3")
    for module in modules:
        for target in ("x64", "armv7m", "armv7emsp", "armv6m", "rv32imc"):
            r = bench(module, target)
            if r is None:
                continue
            reports[module](target, r)
    sizes()
    return 0


if __name__ == "__main__":
    sys.exit(main())
