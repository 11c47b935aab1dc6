"""Build MicroPython ROMFS images whose files start at aligned addresses.

A MicroPython 1.25+ board with a ROMFS partition (``vfs.rom_ioctl``) mounts it
at ``/rom``; its files are read in place from flash. ``emlearn_trees.load``
uses a model file there without copying it into RAM, but only when the file's
data starts at a 4-byte-aligned address (the walk reads 16- and 32-bit words).
``mpremote romfs build`` places file data wherever it falls, so a model lands
aligned one time in four. This writer pads each file record so that every
file's data starts at a multiple of ``align`` bytes from the start of the image
(partitions start at flash sector boundaries).

The format is the one MicroPython's ``extmod/vfs_rom.c`` documents: records of
(kind, length, payload), each number a big-endian base-128 "varuint" whose
continuation bit is 0x80. A varuint may be padded with leading 0x80 bytes, which
is how this writer aligns data: it gives each record length a fixed width (so
offsets are known before the payload is built) and widens the length of each
file's data record until the data after it is aligned. Files hold their data
verbatim (kind 2); directories nest (kind 4).

Command line (deploy the image with ``mpremote romfs deploy image.romfs``)::

    python3 -m emlearn_mp.romfs SOURCE_DIR image.romfs [--align 4]

The files are copied as they are: compile ``.py`` files to ``.mpy`` with
``mpy-cross`` first if you want them executed in place too.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Iterable, Mapping, Union

__all__ = ["build_image", "image_from_dir", "main"]

# A directory tree: name -> file contents, or name -> a nested tree.
Tree = Mapping[str, Union[bytes, "Tree"]]

_FILESYSTEM = b"\xd2\xcd\x31"   # kind 0x14a6b1 ("RM1"), which mounting checks byte for byte
_PADDING, _DATA, _DIRECTORY, _FILE = 1, 2, 4, 5
_LENGTH_WIDTH = 4               # every record length takes 4 bytes: up to 256 MiB


def _varuint(value: int, width: int = 1) -> bytes:
    """value as a varuint of at least width bytes (leading 0x80 pad bytes)."""
    groups = []
    while True:
        groups.append(value & 0x7F)
        value >>= 7
        if value == 0 and len(groups) >= width:
            break
    groups.reverse()
    return bytes([0x80 | g for g in groups[:-1]] + [groups[-1]])


def _length(value: int) -> bytes:
    if value >= 1 << (7 * _LENGTH_WIDTH):
        raise ValueError("a ROMFS record of %d bytes is too large for this writer" % value)
    return _varuint(value, _LENGTH_WIDTH)


def _name(name: str) -> bytes:
    encoded = name.encode("utf-8")
    if not encoded or b"/" in encoded:
        raise ValueError("invalid ROMFS file name %r" % name)
    return _varuint(len(encoded)) + encoded


def _data_record(data: bytes, pos: int, align: int) -> bytes:
    """A verbatim data record at offset pos whose data starts aligned."""
    width = len(_varuint(len(data)))
    width += -(pos + 1 + width) % align
    return bytes([_DATA]) + _varuint(len(data), width) + data


def _entry(name: str, content: bytes | Tree, pos: int, align: int) -> bytes:
    """The file or directory record for name, placed at offset pos."""
    payload = bytearray(_name(name))
    start = pos + 1 + _LENGTH_WIDTH     # offset of payload[0]
    if isinstance(content, (bytes, bytearray, memoryview)):
        kind = _FILE
        payload += _data_record(bytes(content), start + len(payload), align)
    else:
        kind = _DIRECTORY
        for child in sorted(content):
            payload += _entry(child, content[child], start + len(payload), align)
    return bytes([kind]) + _length(len(payload)) + bytes(payload)


def build_image(tree: Tree, align: int = 4) -> bytes:
    """A ROMFS image holding tree, each file's data at a multiple of align bytes.

    tree maps names to file contents (bytes) or to nested trees (directories).
    """
    if align < 1:
        raise ValueError("align must be >= 1, not %d" % align)
    body = bytearray()
    start = len(_FILESYSTEM) + _LENGTH_WIDTH
    for name in sorted(tree):
        body += _entry(name, tree[name], start + len(body), align)
    if (start + len(body)) % 2:
        # The image's size must be even (vfs_rom.c): a 3-byte padding record.
        body += bytes([_PADDING, 1, 0])
    return _FILESYSTEM + _length(len(body)) + bytes(body)


def image_from_dir(path: str, align: int = 4) -> bytes:
    """build_image of the files under the directory path."""
    return build_image(_read_tree(path), align)


def _read_tree(path: str) -> dict:
    tree: dict = {}
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        if os.path.isdir(full):
            tree[name] = _read_tree(full)
        else:
            with open(full, "rb") as f:
                tree[name] = f.read()
    return tree


def main(argv: Iterable[str] | None = None) -> int:
    """Command line: write the image of a directory."""
    parser = argparse.ArgumentParser(prog="python3 -m emlearn_mp.romfs", description=__doc__.split("\n")[0])
    parser.add_argument("source", help="directory whose files the image holds")
    parser.add_argument("output", help="image file to write (deploy it with `mpremote romfs deploy`)")
    parser.add_argument("--align", type=int, default=4, help="file data alignment in bytes (default 4)")
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        image = image_from_dir(args.source, args.align)
        with open(args.output, "wb") as f:
            f.write(image)
    except (OSError, ValueError) as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    print("%s: %d bytes" % (args.output, len(image)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
