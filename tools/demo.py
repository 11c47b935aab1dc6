#!/usr/bin/python3
"""make demo: the main job end to end. Trains scikit-learn's RandomForestClassifier
on the digits data set (the published emlearn benchmark workload), converts it,
runs it under MicroPython on x64 and on an emulated Cortex-M3, and prints accuracy,
agreement with scikit-learn, speed against a pure-MicroPython tree walker, and sizes."""
import importlib.machinery
import os
import shutil
import sys
import tempfile

import numpy as np

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "bench"))
sys.path.insert(0, os.path.join(TOP, "tools"))
run_tool = importlib.machinery.SourceFileLoader("run", os.path.join(TOP, "tools", "run")).load_module()
import bench  # noqa: E402  (tools/bench.py: runs bench/bench_trees.py on a target)
import make_trees_bench  # noqa: E402


def main():
    work = tempfile.mkdtemp(prefix="emldemo-")
    try:
        print("1. Training RandomForestClassifier(n_estimators=10, max_leaf_nodes=100) on digits ...")
        model, Xte, yte, data = make_trees_bench.build(work)
        sk = model.predict(Xte)
        shutil.copy(os.path.join(work, "trees_bench.emlt"), os.path.join(work, "model.emlt"))
        with open(os.path.join(work, "rows.bin"), "wb") as f:
            f.write(Xte.astype(np.int16).tobytes())
        thresholds = "int8" if data[6] & 4 else "int16"  # header flag T8, docs/trees-format.md
        print("   converted to the emlearn_trees binary format: %d bytes (%s thresholds)" % (len(data), thresholds))

        print("2. Predicting all %d test rows under MicroPython ..." % len(Xte))
        for target, where in (("x64", "x64 unix port"), ("armv7m", "emulated Cortex-M3")):
            status, out, err = run_tool.run(target, os.path.join(TOP, "bench", "predict_rows.py"),
                                            files=[os.path.join(work, "model.emlt"), os.path.join(work, "rows.bin")])
            got = np.array([int(c) for c in out.split()]) if status == 0 else None
            if got is None or len(got) != len(sk):
                print(out, err)
                return 1
            print("   %s: accuracy %.1f%% (scikit-learn %.1f%%); identical to scikit-learn on %d of %d rows"
                  % (where, 100 * np.mean(got == yte), 100 * np.mean(sk == yte), np.sum(got == sk), len(sk)))
            if np.any(got != sk):
                print("   FAILED: the module must take scikit-learn's decisions on every row")
                return 1

        results = {}
        for step, target in ((3, "x64"), (4, "armv7m")):
            print("%d. Timing on %s ..." % (step, "x64 (wall time)" if target == "x64"
                                               else "emulated Cortex-M3 (instruction counts)"))
            results[target] = r = bench.bench("emlearn_trees", target)
            if r is None:
                return 1
            unit = "us" if target == "x64" else "instructions"
            print("   %s per predict: %s (pure-MicroPython walker: %s, %.0fx faster); batch: %s per row"
                  " (classes), %s (probabilities)"
                  % (unit, fmt(r["module_per_predict"]), fmt(r["python_per_predict"]), float(r["speedup"]),
                     fmt(r["module_per_row_batch"]), fmt(r["module_per_row_batch_proba"])))
        print("5. Sizes: model %s bytes; heap for the loaded model: %s bytes in place (bytes), %s copied into RAM"
              % (results["x64"]["model_bytes"], results["x64"]["heap_in_place"], results["x64"]["heap_copied"]))
        for module, what in (("emlearn_trees", ""), ("emlearn_trees_lite", " (classifier files only)")):
            sizes = ["%s %d B" % (arch, os.path.getsize(os.path.join(TOP, "dist", arch + "_6.3", module + ".mpy")))
                     for arch in ("x64", "armv7m")]
            print("   %s.mpy: %s%s" % (module, ", ".join(sizes), what))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def fmt(value):
    """Three significant digits, so a batch row's 0.098 us does not print as 0.10."""
    v = float(value)
    return "%.3g" % v if v < 100 else "%.0f" % v


if __name__ == "__main__":
    sys.exit(main())
