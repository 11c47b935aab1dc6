#!/usr/bin/python3
"""The malformed TinyMaix models of python/emlearn_mp/cnn_badmodels.py, and its
small valid models, for tests/micropython/test_cnn_badmodels.py:

    tests/reference/cnn_badmodels.py OUTDIR     writes cnn_badmodels.bin and .json

The emulated boards keep a test's files in their heap (on RV32IMC about 75 kB
are left once both modules are imported), and the corpus is over a megabyte as
files, so cnn_badmodels.bin holds each valid model it starts from once, then
one record per bad model, which the test reads one at a time:

    u8 message index, u8 base index (255: none), u16 name length,
    u32 file length, u16 number of edits, 2 bytes of padding; the name
    (without the base model's name and "_" in front); then each edit:
    u32 offset, u16 length, the bytes.

The bad file is the base model's first `file length` bytes (zeros past its
end) with the edits written over them. Only the cases made from the tiny
models are here (about 30 kB; they reach every reason): with the MNIST
models' cases the corpus takes 55 kB, and loading one of those needs three
copies of a 4 or 13 kB file at once, more than RV32IMC has left (the Python
module checks those cases against its reading of the loader's rules, and
they seed the fuzzer; tests/core/test_cnn.c truncates the MNIST models at
every length). cnn_badmodels.json:

    messages   the loader's reasons, indexed by the records
    bases      [name, offset, length] of each base model in the .bin
    cases      [offset of the first record, number of records]
    valid      [name, offset, length, model type, n inputs, n outputs,
                offsets of: pixels (u8), float inputs, the outputs expected
                from each (float32)] of valid models
    core_messages   how many reasons src/core/eml_cnn.c gives
    uncovered  those no bad model reaches (the test requires none)

The file does not depend on ../shared/data.
"""
import json
import os
import struct
import sys
from typing import Dict, List, Tuple

import numpy as np

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(TOP, "python"))
from emlearn_mp import cnn_badmodels, tmdl  # noqa: E402

NO_BASE = 255


def edits(base: bytes, data: bytes) -> List[Tuple[int, bytes]]:
    """(offset, bytes) runs that turn base[:len(data)] (zero-extended) into
    data; runs less than 8 bytes apart are merged."""
    padded = base[:len(data)] + bytes(max(0, len(data) - len(base)))
    differ = [i for i in range(len(data)) if data[i] != padded[i]]
    runs: List[List[int]] = []
    for i in differ:
        if runs and i - runs[-1][1] < 8:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return [(a, data[a:b]) for a, b in runs]


def main(outdir: str) -> None:
    bases = cnn_badmodels.tiny_models()
    bad = [case for case in cnn_badmodels.make_bad_models() if case.base is None or case.base in bases]
    messages = sorted(set(cnn_badmodels.MESSAGES.values()))
    blob = bytearray()

    def put(data: bytes) -> int:
        blob.extend(bytes(-len(blob) % 4))
        blob.extend(data)
        return len(blob) - len(data)

    base_names = sorted(bases)
    base_index = [[name, put(bases[name]), len(bases[name])] for name in base_names]
    first = len(blob)
    for case in bad:
        if case.base is None:
            base_no, runs, label = NO_BASE, [(0, case.data)] if case.data else [], case.name.encode()
        else:
            base_no, runs = base_names.index(case.base), edits(bases[case.base], case.data)
            assert case.name.startswith(case.base + "_")
            label = case.name[len(case.base) + 1:].encode()
        blob.extend(struct.pack("<BBHIH2x", messages.index(case.expected), base_no, len(label),
                                len(case.data), len(runs)) + label)
        for offset, run in runs:
            assert len(run) < 0x10000
            blob.extend(struct.pack("<IH", offset, len(run)) + run)

    rng = np.random.RandomState(7)
    valid = []
    models: Dict[str, bytes] = cnn_badmodels.make_valid_models()
    for name, data in sorted(models.items()):
        n = struct.unpack_from("<HHH", data, 22)
        n_in = n[0] * n[1] * n[2]
        pixels = rng.randint(0, 256, n_in).astype(np.uint8)
        floats = rng.uniform(-0.25, 1.25, n_in).astype(np.float32)
        model = tmdl.read(data)
        want_p, want_f = tmdl.run(model, pixels=pixels), tmdl.run(model, values=floats)
        valid.append([name, put(data), len(data), data[4], n_in, len(want_p),
                      put(pixels.tobytes()), put(floats.astype("<f4").tobytes()),
                      put(want_p.astype("<f4").tobytes()), put(want_f.astype("<f4").tobytes())])

    core = cnn_badmodels.core_messages(os.path.join(TOP, "src", "core", "eml_cnn.c"))
    reached = {case.expected for case in bad}
    uncovered = sorted(set(core) - reached)
    if uncovered:
        print("cnn_badmodels: no bad model reaches", uncovered)
    index = {"messages": messages, "bases": base_index, "cases": [first, len(bad)], "valid": valid,
             "core_messages": len(set(core)), "uncovered": uncovered}
    with open(os.path.join(outdir, "cnn_badmodels.bin"), "wb") as out:
        out.write(blob)
    with open(os.path.join(outdir, "cnn_badmodels.json"), "w") as text:
        json.dump(index, text)


if __name__ == "__main__":
    main(sys.argv[1])
