"""emlearn_mp.romfs: images that MicroPython's own VfsRom reads back file for file,
with every file's data at the asked alignment."""
import os
import subprocess

import pytest

from emlearn_mp import romfs

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MICROPYTHON = os.path.join(TOP, "deps", "bin", "micropython")

# Sizes whose length varuints take 1, 2 and 3 bytes; names of several lengths, one not ASCII.
TREE = {
    "empty": b"",
    "a": b"\x01",
    "model.emlt": bytes(range(256)) + b"\x00\x07",
    "sub": {
        "x.txt": b"x" * 127 + b"!",
        "d\u00e9j\u00e0": {"big.bin": bytes((i * 7) & 0xFF for i in range(20000))},
    },
    "zz": b"last file",
}

LIST_FILES = """
import os, vfs
vfs.mount(vfs.VfsRom(open(IMAGE, 'rb').read()), '/rom')
def walk(d):
    for name, kind, *_ in sorted(os.ilistdir(d)):
        p = d + '/' + name
        if kind == 0x4000:
            walk(p)
        else:
            print(p, ''.join('%02x' % b for b in open(p, 'rb').read()))
walk('/rom')
"""


def files_of(tree, prefix="/rom"):
    for name, content in sorted(tree.items()):
        if isinstance(content, dict):
            yield from files_of(content, prefix + "/" + name)
        else:
            yield prefix + "/" + name, content


def read_in_micropython(image, tmp_path):
    assert os.path.exists(MICROPYTHON), "run `make setup` first: it builds " + MICROPYTHON
    path = tmp_path / "image.romfs"
    path.write_bytes(image)
    out = subprocess.run([MICROPYTHON, "-c", "IMAGE = %r\n" % str(path) + LIST_FILES], capture_output=True, check=True, text=True).stdout
    return [(line.split(" ")[0], bytes.fromhex(line.split(" ")[1])) for line in out.splitlines()]


@pytest.mark.parametrize("align", [1, 4, 16])
def test_micropython_reads_every_file_back(align, tmp_path):
    image = romfs.build_image(TREE, align)
    assert read_in_micropython(image, tmp_path) == list(files_of(TREE))


@pytest.mark.parametrize("align", [1, 2, 4, 8, 32])
def test_file_data_is_aligned_and_the_image_even(align):
    image = romfs.build_image(TREE, align)
    assert len(image) % 2 == 0
    for _, content in files_of(TREE):
        if len(content) > 1:  # unique contents: found where they are stored
            assert image.find(content) % align == 0, (content[:8], image.find(content))


def test_padding_record_makes_an_odd_image_even(tmp_path):
    for size in range(8):
        tree = {"f": b"y" * size}
        image = romfs.build_image(tree, 1)
        assert len(image) % 2 == 0
        assert read_in_micropython(image, tmp_path) == list(files_of(tree))


def test_rejects_bad_names_and_alignment():
    for name in ("", "a/b"):
        with pytest.raises(ValueError, match="file name"):
            romfs.build_image({name: b"x"})
    with pytest.raises(ValueError, match="align"):
        romfs.build_image({"a": b"x"}, 0)


def write_tree(root, tree):
    root.mkdir(exist_ok=True)
    for name, content in tree.items():
        if isinstance(content, dict):
            write_tree(root / name, content)
        else:
            (root / name).write_bytes(content)


def test_cli_writes_the_image_of_a_directory(tmp_path, capsys):
    write_tree(tmp_path / "src", TREE)
    out = tmp_path / "out.romfs"
    assert romfs.main([str(tmp_path / "src"), str(out), "--align", "8"]) == 0
    assert out.read_bytes() == romfs.build_image(TREE, 8)
    assert "%d bytes" % out.stat().st_size in capsys.readouterr().out
    assert romfs.main([str(tmp_path / "missing"), str(out)]) == 1
    assert "error:" in capsys.readouterr().err
