#!/usr/bin/python3
"""Run every test of the project and print one closing line `N passed, N failed`.

1. C unit tests of src/core (built by `make core-tests`, with sanitizers; the
   trees, IIR, k-means, array, neighbours, linreg and logreg tests also as AArch64
   code, run under qemu-user), and a brief libFuzzer run of the C model loaders
   (`make fuzz` for longer).
2. MicroPython tests (tests/micropython/test_*.py) on every target: x64 and
   builtin (unix port), armv6m, armv7m, armv7emsp, armv7emdp (the armv7emsp files
   on a Cortex-M7 firmware with double-precision floats), rv32imc (emulated
   boards), and builtin-armv7m (the emulated Cortex-M3 with the modules in its
   firmware).
3. Host-side pytest tests of python/, and lint: pyflakes on every Python file
   (host side and MicroPython scripts), mypy on the host side (mypy.ini).

A test file names the files it needs in a comment line `# needs: a.bin b.json`:
helper modules beside it in tests/micropython or in an examples/ folder, files
made by tests/reference/*.py (in build/testdata), or paths under ../shared/data
(the names with a folder, `trees/x.csv`). A test whose own or generated file is
absent fails (a test that silently does not run cannot fail); one whose
../shared/data file is absent is skipped, as that folder's README asks, and the
closing lines name it. A line `# targets: x64 armv6m` limits a test to those
targets (for a module that exists only as a native .mpy, not in a firmware).

    tools/check.py [--targets x64,armv7m] [--only test_iir] [--no-core] [--no-pytest]
"""
import argparse
import concurrent.futures
import glob
import importlib.machinery
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ["x64", "builtin", "armv6m", "armv7m", "armv7emsp", "armv7emdp", "rv32imc", "builtin-armv7m"]
TESTDATA = os.path.join(TOP, "build", "testdata")
SHARED = os.path.join(os.path.dirname(TOP), "shared", "data")
SUMMARY = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed", re.M)

# tools/run has no .py suffix (it is a command); load it as a module.
run_tool = importlib.machinery.SourceFileLoader("run", os.path.join(TOP, "tools", "run")).load_module()


def counts(text):
    """The last `N passed, N failed` line of a test's output."""
    found = SUMMARY.findall(text)
    return (int(found[-1][0]), int(found[-1][1])) if found else None


# AArch64 builds of core tests (see the Makefile) run under qemu-user.
AARCH64_RUN = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]


def core_tests():
    passed = failed = 0
    tests = os.path.join(TOP, "build", "tests")
    binaries = [([b], os.path.basename(b)) for b in sorted(glob.glob(os.path.join(tests, "test_*")))]
    binaries += [(AARCH64_RUN + [b], "aarch64/" + os.path.basename(b))
                 for b in sorted(glob.glob(os.path.join(tests, "aarch64", "test_*")))]
    for command, name in binaries:
        proc = subprocess.run(command, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
        out = proc.stdout.decode(errors="replace")
        got = counts(out)
        if got is None or proc.returncode != 0:
            sys.stdout.write(out[-3000:])
            got = (got[0], max(got[1], 1)) if got else (0, 1)
        print("core %-28s %d passed, %d failed" % (name, *got))
        for line in out.splitlines():
            if line.startswith("SKIP"):     # shared data absent: say so
                print("  " + line)
        passed, failed = passed + got[0], failed + got[1]
    return passed, failed


def make_testdata():
    os.makedirs(TESTDATA, exist_ok=True)
    for script in sorted(glob.glob(os.path.join(TOP, "tests", "reference", "*.py"))):
        subprocess.run([sys.executable, script, TESTDATA], check=True, cwd=TOP)


def needed_files(test):
    """(files, reason it cannot run or None, whether that is absent shared data)
    for a MicroPython test file."""
    files = [os.path.join(TOP, "tests", "micropython", "emltest.py")]
    for line in open(test):
        if line.startswith("# needs:"):
            for name in line.split(":", 1)[1].split():
                places = [os.path.join(TOP, "tests", "micropython", name)]
                places += sorted(glob.glob(os.path.join(TOP, "examples", "*", name)))
                places += [os.path.join(TESTDATA, name), os.path.join(SHARED, name)]
                found = [p for p in places if os.path.exists(p)]
                if found:
                    files.append(found[0])
                elif "/" in name:
                    return files, "needs ../shared/data/%s, which is absent" % name, True
                else:
                    return files, "needs %s, which is absent" % name, False
    return files, None, False


def test_targets(test):
    """The targets a test file runs on: its `# targets:` line, or all."""
    for line in open(test):
        if line.startswith("# targets:"):
            return line.split(":", 1)[1].split()
    return TARGETS


def run_micropython(target, test):
    files, missing, shared = needed_files(test)
    name = os.path.basename(test)
    targets = test_targets(test)
    if target not in targets:
        return target, name, (0, 0), "skipped: runs on %s only" % " ".join(targets)
    if missing and shared:
        return target, name, (0, 0), "SKIPPED: " + missing
    if missing:
        return target, name, (0, 1), "error: " + missing
    try:
        status, out, err = run_tool.run(target, test, files=files, timeout=900)
    except Exception as e:  # a board that hangs or dies is a failed test, not a crashed runner
        return target, name, (0, 1), "error: %s" % e
    got = counts(out)
    if got is None or status != 0:
        got = (got[0], max(got[1], 1)) if got else (0, 1)
        return target, name, got, (out + err)[-3000:]
    return target, name, got, None


def micropython_tests(targets, only):
    tests = sorted(glob.glob(os.path.join(TOP, "tests", "micropython", "test_*.py")))
    if only:
        tests = [t for t in tests if any(o in os.path.basename(t) for o in only)]
    jobs = [(target, test) for target in targets for test in tests]
    per_target = {t: [0, 0] for t in targets}
    no_shared = set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for target, name, got, note in pool.map(lambda job: run_micropython(*job), jobs):
            print("%-14s %-32s %d passed, %d failed%s" % (target, name, got[0], got[1],
                                                          "" if note is None else "\n" + note.rstrip()))
            per_target[target][0] += got[0]
            per_target[target][1] += got[1]
            if note and note.startswith("SKIPPED"):
                no_shared.add("%s (%s)" % (name, note.split(": ", 1)[1]))
    for target in targets:
        print("target %-14s %d passed, %d failed" % (target, *per_target[target]))
    for skipped in sorted(no_shared):
        print("SKIPPED on every target: %s" % skipped)
    return sum(p for p, _ in per_target.values()), sum(f for _, f in per_target.values())


def pytest_tests():
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                          cwd=os.path.join(TOP, "python"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.decode(errors="replace")
    m_pass = re.findall(r"(\d+) passed", out)
    m_fail = re.findall(r"(\d+) (?:failed|error)", out)
    passed = int(m_pass[-1]) if m_pass else 0
    failed = sum(int(x) for x in m_fail)
    if proc.returncode not in (0, 5) and failed == 0:
        failed = 1
    if failed:
        sys.stdout.write(out[-5000:])
    print("pytest python/tests  %d passed, %d failed" % (passed, failed))
    return passed, failed


# Every Python file of the project: host side, and MicroPython scripts, which
# pyflakes reads as Python 3 too. tools/run has no .py suffix.
LINT_PATHS = ["python", "tools", "tools/run", "tests", "bench", "examples"]


def lint():
    """pyflakes (unused imports, undefined names) and mypy (types); one
    passed or failed each, printing what they found."""
    passed = failed = 0
    for name, command in (("pyflakes", ["-m", "pyflakes"] + LINT_PATHS), ("mypy", ["-m", "mypy"])):
        proc = subprocess.run([sys.executable] + command, cwd=TOP,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        ok = proc.returncode == 0
        if not ok:
            sys.stdout.write(proc.stdout.decode(errors="replace")[-5000:])
        print("lint %-15s %s" % (name, "ok" if ok else "FAILED"))
        passed, failed = passed + ok, failed + (not ok)
    return passed, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--only", action="append")
    parser.add_argument("--no-core", action="store_true")
    parser.add_argument("--no-pytest", action="store_true")
    opts = parser.parse_args()
    total = [0, 0]
    parts = []
    if not opts.no_core:
        parts.append(core_tests)
        if glob.glob(os.path.join(TOP, "build", "fuzz", "fuzz_*")):
            sys.path.insert(0, os.path.join(TOP, "tools"))
            import fuzz
            parts.append(lambda: fuzz.run(20))
    make_testdata()
    parts.append(lambda: micropython_tests(opts.targets.split(","), opts.only))
    if not opts.no_pytest and os.path.isdir(os.path.join(TOP, "python", "tests")):
        parts.append(pytest_tests)
        parts.append(lint)
    for part in parts:
        passed, failed = part()
        total[0] += passed
        total[1] += failed
    print("%d passed, %d failed" % tuple(total))
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
