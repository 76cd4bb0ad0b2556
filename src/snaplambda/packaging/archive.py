"""Validation and safe extraction of deployment zips.

Everything is checked from the zip's directory before a byte is written, and the
extraction itself re-checks actual sizes, so an archive that lies cannot write more
than it declared or anything outside its target directory.
"""

from __future__ import annotations

import io
import lzma
import os
import stat
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
    return path


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


def extract(data: bytes, target: Path, max_unzipped: int) -> ArchiveInfo:
    """Validate, then extract into ``target`` (which must not exist yet).

    On failure ``target`` may hold part of the package; the caller removes it."""
    info = validate(data, max_unzipped)
    root = target.resolve()
    target.mkdir(parents=True)
    written = 0
    links: list[tuple[zipfile.ZipInfo, Path, str]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for entry in archive.infolist():
            rel = _entry_path(entry)
            dest = root.joinpath(*rel.parts)
            if entry.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
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
                continue
            if not dest.parent.resolve().is_relative_to(root):
                raise InvalidArchive(f"Refused zip entry '{entry.filename}': escapes the package")
            with open(dest, "wb") as out:
                for chunk in _chunks(archive, entry):
                    written += len(chunk)
                    if written > max_unzipped:
                        raise ArchiveTooLarge(
                            f"Unzipped size must be smaller than {max_unzipped} bytes"
                        )
                    out.write(chunk)
            mode = (entry.external_attr >> 16) & 0o777
            os.chmod(dest, 0o755 if mode & 0o111 else 0o644)
    # Each link was checked as it was made, but a later link can change where an
    # earlier one leads ("a" -> "b/..", then "b" -> "."): check them all again.
    for entry, dest, link in links:
        if not _resolves_inside(dest, root):
            raise InvalidArchive(
                f"Refused zip entry '{entry.filename}': symlink to '{link}' points outside "
                "the package (through other symlinks) or into a loop"
            )
    return info
