#!/usr/bin/python3
"""Run every libFuzzer target in build/fuzz for the given number of seconds
(split between them), each seeded with its format's valid models and
malformed-model corpus from python/emlearn_mp (a target without seeds starts
from nothing). Prints `fuzz: N passed, N failed`, one per target."""
import glob
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "python"))


def write_seeds(target, corpus):
    """Write the seeds of a fuzz target (build/fuzz/fuzz_<name>) to corpus."""
    from emlearn_mp import cnn_badmodels, trees_badmodels
    if target == "fuzz_trees":
        trees_badmodels.write_fuzz_seeds(corpus)
        trees_badmodels.write_bad_models(corpus)
    elif target == "fuzz_cnn":
        cnn_badmodels.write_valid_models(corpus)
        cnn_badmodels.write_bad_models(corpus, reasons=False)


def run(seconds):
    passed = failed = 0
    targets = sorted(glob.glob(os.path.join(TOP, "build", "fuzz", "fuzz_*")))
    with tempfile.TemporaryDirectory(prefix="emlfuzz-") as work:
        for target in targets:
            name = os.path.basename(target)
            corpus = os.path.join(work, name)
            os.makedirs(corpus)
            write_seeds(name, corpus)
            proc = subprocess.run([target, "-max_total_time=%d" % max(1, seconds // len(targets)),
                                   "-rss_limit_mb=1024", corpus], cwd=os.path.join(TOP, "build"),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            ok = proc.returncode == 0
            if not ok:
                sys.stdout.write(proc.stdout.decode(errors="replace")[-4000:])
            print("fuzz %-20s %s" % (name, "ok" if ok else "FAILED (crash input in build/)"))
            passed, failed = passed + ok, failed + (not ok)
    return passed, failed


if __name__ == "__main__":
    p, f = run(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    print("fuzz: %d passed, %d failed" % (p, f))
    sys.exit(1 if f else 0)
