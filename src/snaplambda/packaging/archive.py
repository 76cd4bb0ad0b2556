"""Validation and safe extraction of deployment zips.

Everything is checked from the zip's directory before a byte is written, and the
extraction itself re-checks actual sizes, so an archive that lies cannot write more
than it declared or anything outside its target directory.
"""

from __future__ import annotations

import errno
import io
import lzma
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ArchiveTooLarge, InvalidArchive

#: An entry compressing better than this is treated as a zip bomb.
MAX_RATIO = 1000
_RATIO_FLOOR = 1 << 20  # small entries may compress extremely well (zeros, blanks)
#: What reading a corrupt entry raises: bad headers or CRC, broken deflate, bzip2
#: (OSError) or lzma streams, truncation, or a compression method zipfile lacks.
_CORRUPT = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, NotImplementedError)
_LINK_MAX = 4095
#: Entries an archive may have.  AWS documents no limit; real packages have a few
#: thousand to tens of thousands (a large dependency tree), so this leaves room while
#: bounding the work of checking one (a 50 MB zip can hold about 600,000 entries).
MAX_ENTRIES = 100_000
#: Bytes of one path component (Linux's NAME_MAX) and of a whole entry path (well
#: under PATH_MAX, which also has to hold the code store's own directory).
MAX_COMPONENT_BYTES = 255
MAX_PATH_BYTES = 1024
#: What writing an entry may fail with because of the entry itself (its name), not
#: the host: refused as the archive's fault, with the entry's name and no host path.
_ENTRY_ERRNOS = {
    errno.ENAMETOOLONG,
    errno.EILSEQ,
    errno.EINVAL,
    errno.EEXIST,
    errno.ENOTDIR,
    errno.EISDIR,
    errno.ELOOP,
}
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... name length, extra length


@dataclass(frozen=True)
class ArchiveInfo:
    """What validation learned about a zip."""

    unzipped_size: int
    entries: int


def _entry_path(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    if "\\" in name:
        name = name.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise InvalidArchive(f"Refused zip entry '{info.filename}': absolute paths are not allowed")
    if any(part == ".." for part in path.parts):
        raise InvalidArchive(f"Refused zip entry '{info.filename}': '..' is not allowed in paths")
    if "\0" in name:
        raise InvalidArchive(f"Refused zip entry {name!r}: NUL is not allowed in paths")
    encoded = name.encode("utf-8", "surrogateescape")
    if len(encoded) > MAX_PATH_BYTES:
        raise InvalidArchive(
            f"Refused zip entry '{_short(name)}': its path is {len(encoded)} bytes; at most "
            f"{MAX_PATH_BYTES} are allowed"
        )
    for part in path.parts:
        size = len(part.encode("utf-8", "surrogateescape"))
        if size > MAX_COMPONENT_BYTES:
            raise InvalidArchive(
                f"Refused zip entry '{_short(name)}': the path component '{_short(part)}' is "
                f"{size} bytes; at most {MAX_COMPONENT_BYTES} are allowed (file name too long)"
            )
    return path


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:60] + "..." + text[-12:]


def _check_overlaps(data: bytes, infos: list[zipfile.ZipInfo]) -> None:
    """Each entry's local header and data must lie in its own range of the archive:
    entries sharing one compressed kernel (an overlapping zip bomb, each entry under
    the per-entry ratio) are refused."""
    end_of_previous = 0
    previous: zipfile.ZipInfo | None = None
    for info in sorted(infos, key=lambda i: i.header_offset):
        start = info.header_offset
        header = data[start : start + _LOCAL_HEADER.size]
        if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
            raise InvalidArchive(
                f"Refused zip entry '{_short(info.filename)}': its local header is missing "
                "or corrupt"
            )
        _, name_len, extra_len = _LOCAL_HEADER.unpack(header)
        if previous is not None and start < end_of_previous:
            raise InvalidArchive(
                f"Refused zip: entries '{_short(previous.filename)}' and "
                f"'{_short(info.filename)}' overlap in the archive (entries sharing "
                "compressed data are a zip bomb)"
            )
        end_of_previous = start + _LOCAL_HEADER.size + name_len + extra_len + info.compress_size
        if end_of_previous > len(data):
            raise InvalidArchive(
                f"Refused zip entry '{_short(info.filename)}': its data runs past the end "
                "of the archive"
            )
        previous = info


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def validate(data: bytes, max_unzipped: int) -> ArchiveInfo:
    """Check a zip without extracting it; raise :class:`InvalidArchive` or
    :class:`ArchiveTooLarge` naming the offending entry."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise InvalidArchive(
            f"Could not unzip uploaded file. Please check your file, then try to upload again. "
            f"({exc})"
        ) from exc
    seen: set[str] = set()
    total = 0
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise InvalidArchive(
                f"Refused zip: it has {len(infos)} entries; at most {MAX_ENTRIES} are allowed"
            )
        _check_overlaps(data, infos)
        for info in infos:
            path = _entry_path(info)
            key = str(path).rstrip("/")
            if key in seen:
                raise InvalidArchive(f"Refused zip: duplicate entry '{info.filename}'")
            seen.add(key)
            if info.flag_bits & 0x1:
                raise InvalidArchive(f"Refused zip entry '{info.filename}': it is encrypted")
            if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise InvalidArchive(
                    f"Refused zip entry '{info.filename}': compression ratio over {MAX_RATIO}:1"
                )
            total += info.file_size
        if total > max_unzipped:
            raise ArchiveTooLarge(
                f"Unzipped size must be smaller than {max_unzipped} bytes (this zip declares "
                f"{total})"
            )
        # A file and a directory of the same path, or anything "under" a file.  Symlinks
        # are files here, so no entry is ever written through a symlink.
        files = {str(_entry_path(i)) for i in infos if not i.is_dir()}
        for name in (str(_entry_path(i)) for i in infos):
            for parent in PurePosixPath(name).parents:
                if str(parent) in files:
                    raise InvalidArchive(
                        f"Refused zip: entry '{name}' overlaps the file '{parent}'"
                    )
    return ArchiveInfo(unzipped_size=total, entries=len(infos))


def _chunks(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> Iterator[bytes]:
    """An entry's bytes; a corrupt entry is :class:`InvalidArchive`, not a crash."""
    try:
        with archive.open(entry) as src:
            while chunk := src.read(1 << 16):
                yield chunk
    except _CORRUPT as exc:
        raise InvalidArchive(
            f"Could not unzip entry '{entry.filename}': the file is corrupt or uses an "
            f"unsupported compression method ({exc})"
        ) from exc


def _link_target(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> str:
    raw = b"".join(_chunks(archive, entry))
    try:
        link = raw.decode()
    except UnicodeDecodeError:
        link = ""
    if not link or "\0" in link or len(raw) > _LINK_MAX:
        raise InvalidArchive(
            f"Refused zip entry '{entry.filename}': not a valid symlink target "
            f"(1-{_LINK_MAX} bytes of UTF-8 without NUL)"
        )
    return link


def _resolves_inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before 3.13)
        return False


_Links = list[tuple[zipfile.ZipInfo, Path, str]]


def _extract_one(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, root: Path, links: _Links, budget: int
) -> int:
    """Write one entry under ``root``; returns the bytes written (at most ``budget``)."""
    rel = _entry_path(entry)
    dest = root.joinpath(*rel.parts)
    if entry.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        return 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    if _is_symlink(entry):
        link = _link_target(archive, entry)
        if os.path.isabs(link) or not _resolves_inside(dest.parent / link, root):
            raise InvalidArchive(
                f"Refused zip entry '{entry.filename}': symlink to '{link}' points "
                "outside the package"
            )
        dest.symlink_to(link)
        links.append((entry, dest, link))
        return 0
    if not dest.parent.resolve().is_relative_to(root):
        raise InvalidArchive(f"Refused zip entry '{entry.filename}': escapes the package")
    written = 0
    with open(dest, "wb") as out:
        for chunk in _chunks(archive, entry):
            written += len(chunk)
            if written > budget:
                raise ArchiveTooLarge("Unzipped size must be smaller than the unzipped limit")
            out.write(chunk)
    mode = (entry.external_attr >> 16) & 0o777
    os.chmod(dest, 0o755 if mode & 0o111 else 0o644)
    return written


def extract(data: bytes, target: Path, max_unzipped: int) -> ArchiveInfo:
    """Validate, then extract into ``target`` (which must not exist yet).

    On failure ``target`` may hold part of the package; the caller removes it."""
    info = validate(data, max_unzipped)
    root = target.resolve()
    target.mkdir(parents=True)
    written = 0
    links: _Links = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for entry in archive.infolist():
            try:
                written += _extract_one(archive, entry, root, links, max_unzipped - written)
            except ArchiveTooLarge:
                raise ArchiveTooLarge(
                    f"Unzipped size must be smaller than {max_unzipped} bytes"
                ) from None
            except OSError as exc:
                if exc.errno not in _ENTRY_ERRNOS:
                    raise
                raise InvalidArchive(
                    f"Refused zip entry '{_short(entry.filename)}': it cannot be written "
                    f"({os.strerror(exc.errno or 0)})"
                ) from None
    # Each link was checked as it was made, but a later link can change where an
    # earlier one leads ("a" -> "b/..", then "b" -> "."): check them all again.
    for entry, dest, link in links:
        if not _resolves_inside(dest, root):
            raise InvalidArchive(
                f"Refused zip entry '{entry.filename}': symlink to '{link}' points outside "
                "the package (through other symlinks) or into a loop"
            )
    return info
