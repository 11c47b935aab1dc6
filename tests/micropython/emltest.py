# Minimal test harness for MicroPython test files (runs on every target).
#
#   import emltest
#   def test_something(): assert ...
#   emltest.main(globals())
#
# Prints one line per test and a closing `N passed, N failed`; exits 1 on failure.
import gc
import sys

def close(a, b, tol):
    """Max |a[i] - b[i]| <= tol over two sequences; returns (ok, worst)."""
    worst = 0.0
    for i in range(len(a)):
        d = abs(a[i] - b[i])
        if d > worst or d != d:
            worst = d
    return worst <= tol, worst

def raises(exc, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except exc as e:
        return str(e)
    raise AssertionError("%s not raised" % exc.__name__)

def heap_levels(use, rounds=4):
    """(heap in use while an object lived, heap level after each round). use()
    makes an object, uses it and returns gc.mem_alloc(); the object is gone
    when it returns. First uses may allocate lasting things (qstrs, caches),
    and the collector scans the C stack conservatively, so a stale word can
    keep one dead object alive for a round (seen on Cortex-M3): callers check
    that the last three levels are equal, not the first."""
    levels = []
    for _ in range(rounds):
        during = use()
        gc.collect()
        levels.append(gc.mem_alloc())
    return during, levels

def main(scope):
    passed = failed = 0
    names = sorted(k for k in scope if k.startswith("test_"))
    only = sys.argv[1:] if len(sys.argv) > 1 else None
    for name in names:
        if only and name not in only:
            continue
        try:
            scope[name]()
            passed += 1
            print("ok", name)
        except Exception as e:
            failed += 1
            print("FAIL", name, type(e).__name__, e)
    print("%d passed, %d failed" % (passed, failed))
    if failed:
        sys.exit(1)
