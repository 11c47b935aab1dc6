"""The small part of the `ar` package's API that MicroPython's tools/ar_util.py uses
(to link libgcc/libm into native modules), on top of Debian's python3-arpy.

ar_util needs: Archive(fileobj), iteration over entries with a str `.name`, and
Archive.open(name, "rb") returning a seekable file. arpy resolves GNU long member
names (libgcc's soft-float objects such as _arm_addsubsf3.o), so none are dropped.
"""
import io

import arpy


class _Entry:
    def __init__(self, name):
        self.name = name


class Archive:
    def __init__(self, fileobj):
        archive = arpy.Archive(fileobj=fileobj)
        archive.read_all_headers()
        self._members = {}
        for name, member in archive.archived_files.items():
            member.seek(0)
            self._members[name.decode()] = member.read()

    def __iter__(self):
        return iter([_Entry(name) for name in self._members])

    def open(self, name, mode="rb"):
        return io.BytesIO(self._members[name])
