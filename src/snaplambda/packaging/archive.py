"""Validation and safe extraction of deployment zips.

Everything is checked from the zip's directory before a byte is written, and the
extraction itself re-checks actual sizes, so an archive that lies cannot write more
than it declared or anything outside its target directory.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ArchiveTooLarge, InvalidArchive

#: An entry compressing better than this is treated as a zip bomb.
MAX_RATIO = 1000
_RATIO_FLOOR = 1 << 20  # small entries may compress extremely well (zeros, blanks)


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
        # A file and a directory of the same path, or a file "under" a file.
        files = {str(_entry_path(i)) for i in infos if not i.is_dir()}
        for name in files:
            for parent in PurePosixPath(name).parents:
                if str(parent) in files:
                    raise InvalidArchive(
                        f"Refused zip: entry '{name}' overlaps the file '{parent}'"
                    )
    return ArchiveInfo(unzipped_size=total, entries=len(infos))


def extract(data: bytes, target: Path, max_unzipped: int) -> ArchiveInfo:
    """Validate, then extract into ``target`` (which must not exist yet)."""
    info = validate(data, max_unzipped)
    root = target.resolve()
    target.mkdir(parents=True)
    written = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for entry in archive.infolist():
            rel = _entry_path(entry)
            dest = root.joinpath(*rel.parts)
            if entry.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            if _is_symlink(entry):
                link = archive.read(entry).decode()
                resolved = (dest.parent / link).resolve()
                if os.path.isabs(link) or not resolved.is_relative_to(root):
                    raise InvalidArchive(
                        f"Refused zip entry '{entry.filename}': symlink to '{link}' points "
                        "outside the package"
                    )
                dest.symlink_to(link)
                continue
            if not dest.parent.resolve().is_relative_to(root):
                raise InvalidArchive(f"Refused zip entry '{entry.filename}': escapes the package")
            with archive.open(entry) as src, open(dest, "wb") as out:
                while chunk := src.read(1 << 16):
                    written += len(chunk)
                    if written > max_unzipped:
                        raise ArchiveTooLarge(
                            f"Unzipped size must be smaller than {max_unzipped} bytes"
                        )
                    out.write(chunk)
            mode = (entry.external_attr >> 16) & 0o777
            os.chmod(dest, 0o755 if mode & 0o111 else 0o644)
    return info
