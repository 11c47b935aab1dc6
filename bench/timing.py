# Timing for benchmarks, the same code on every target.
#
# On the unix port: wall-clock microseconds (time.ticks_us).
# On the emulated boards run with qemu -icount shift=0 (tools/run --icount),
# one guest instruction is one nanosecond of virtual time, so a hardware
# timer's readings are instruction counts, the same on every run:
# - MPS2-AN385/AN386 (Cortex-M3, M4F): CMSDK APB timer 0 (0x40000000, 25 MHz)
#   counts down one tick per 40 instructions;
# - micro:bit (Cortex-M0): nRF51 TIMER0 (0x40008000, 16 MHz), one tick per
#   62.5 instructions;
# - RISC-V virt (RV32IMC): the CLINT's mtime (0x0200BFF8, 10 MHz), one tick
#   per 100 instructions.

try:
    import time
    ticks_us = time.ticks_us
    ticks_diff = time.ticks_diff
except (ImportError, AttributeError):
    ticks_us = None

UNIT = "us"
INSTR_PER_TICK = 40

if ticks_us is None:
    import machine
    UNIT = "instructions"
    # (The board's name is not kept: no new module globals on the MPS2
    # boards. Any change to this file still moves their figures by a few
    # hundredths of an instruction per call, through the heap's layout.)
    if __import__("sys").implementation._machine.startswith("microbit"):
        _TIMER0 = 0x40008000
        INSTR_PER_TICK = 62.5
        machine.mem32[_TIMER0 + 0x504] = 0          # timer mode
        machine.mem32[_TIMER0 + 0x508] = 3          # 32 bits
        machine.mem32[_TIMER0 + 0x510] = 0          # 16 MHz
        machine.mem32[_TIMER0 + 0x000] = 1          # start

        def ticks_us():
            machine.mem32[_TIMER0 + 0x040] = 1      # capture into CC[0]
            return machine.mem32[_TIMER0 + 0x540] & 0xFFFFFFFF

        def ticks_diff(end, start):
            return ((end - start) & 0xFFFFFFFF) * INSTR_PER_TICK
    elif __import__("sys").implementation._machine.startswith("virt"):
        _TIMER0 = 0x0200BFF8
        INSTR_PER_TICK = 100

        def ticks_us():
            return machine.mem32[_TIMER0] & 0xFFFFFFFF

        def ticks_diff(end, start):
            return ((end - start) & 0xFFFFFFFF) * INSTR_PER_TICK
    else:
        _TIMER0 = 0x40000000
        machine.mem32[_TIMER0 + 0x0] = 0           # stop
        machine.mem32[_TIMER0 + 0x8] = 0xFFFFFFFF  # reload
        machine.mem32[_TIMER0 + 0x4] = 0xFFFFFFFF  # value
        machine.mem32[_TIMER0 + 0x0] = 1           # enable

        def ticks_us():
            return machine.mem32[_TIMER0 + 0x4] & 0xFFFFFFFF

        def ticks_diff(end, start):
            return ((start - end) & 0xFFFFFFFF) * INSTR_PER_TICK


def measure(fn, repeat, args=()):
    """Cost of one call fn(*args), in UNIT, best of 3 rounds of `repeat` calls.

    The call sits directly in the loop with fn and its arguments in locals
    (pass the callable itself, e.g. model.predict), so the figure is the call
    itself plus one loop step: no lambda, no global or attribute lookups.
    On the boards the timer reads around a round cost about 2700 instructions
    (Python functions, a machine.mem32 read and big-int arithmetic): take
    `repeat` large enough to make their share negligible (1000 calls: under
    3 instructions per call)."""
    best = None
    n = len(args)
    a = args[0] if n > 0 else None
    b = args[1] if n > 1 else None
    for _ in range(3):
        t0 = ticks_us()
        if n == 0:
            for _ in range(repeat):
                fn()
        elif n == 1:
            for _ in range(repeat):
                fn(a)
        else:
            for _ in range(repeat):
                fn(a, b)
        cost = ticks_diff(ticks_us(), t0) / repeat
        best = cost if best is None or cost < best else best
    return best
