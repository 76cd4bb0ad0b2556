"""Hostile zips built by hand, for the archive checks."""

from __future__ import annotations

import io
import struct
import zipfile

_CENTRAL = struct.Struct("<4s6H3L5H2L")  # a central directory record's fixed part
_END = struct.Struct("<4s4H2LH")  # the end of central directory record


def overlapping(entries: int, kernel: bytes = b"\0" * (1 << 20)) -> bytes:
    """A zip whose ``entries`` central-directory records all point at one shared
    compressed kernel (the local header and data of a single file)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("k", kernel)
    data = buf.getvalue()
    cd_offset = _END.unpack_from(data, len(data) - _END.size)[6]
    record = _CENTRAL.unpack_from(data, cd_offset)
    local = data[:cd_offset]
    central = b""
    for i in range(entries):
        name = f"k{i}".encode() if i else b"k"  # the first matches its local header
        fields = list(record)
        fields[10] = len(name)  # name length
        fields[11] = fields[12] = 0  # no extra field, no comment
        central += _CENTRAL.pack(*fields) + name
    end = _END.pack(b"PK\x05\x06", 0, 0, entries, entries, len(central), len(local), 0)
    return local + central + end


def many_entries(count: int) -> bytes:
    """A zip of ``count`` empty files with short names (about 84 bytes an entry)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

    def name(i: int) -> str:
        out = ""
        while True:
            i, rest = divmod(i, len(digits))
            out = digits[rest] + out
            if not i:
                return out

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as archive:
        for i in range(count):
            archive.writestr(zipfile.ZipInfo(name(i)), b"")
    return buf.getvalue()
