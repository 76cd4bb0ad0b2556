"""Zipping a code directory the same way every time, so unchanged code keeps its
``CodeSha256`` (sorted entries, fixed timestamps, no caches)."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

_SKIP_DIRS = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache", ".aws-sam"}
_EPOCH = (1980, 1, 1, 0, 0, 0)


def _entries(root: Path, prefix: str) -> Iterable[tuple[str, Path]]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS]
        for filename in filenames:
            if not filename.endswith(".pyc"):
                path = Path(dirpath) / filename
                name = path.relative_to(root).as_posix()
                yield (f"{prefix}/{name}" if prefix else name), path


def zip_trees(trees: Iterable[tuple[Path, str]]) -> bytes:
    """One deployment zip of several directories, each ``(root, prefix)`` put under
    ``prefix`` (``""`` for the zip's top).  Where two trees hold the same path the
    earlier tree's file is kept; entries are written in sorted order."""
    chosen: dict[str, Path] = {}
    for root, prefix in trees:
        for name, path in _entries(root, prefix.strip("/")):
            chosen.setdefault(name, path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(chosen):
            path = chosen[name]
            info = zipfile.ZipInfo(name, _EPOCH)
            mode = path.stat().st_mode
            info.external_attr = (0o755 if mode & 0o111 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buf.getvalue()


def zip_directory(root: Path) -> bytes:
    """The deployment zip of ``root``'s contents (paths relative to ``root``)."""
    return zip_trees([(root, "")])


def read_package(path: Path) -> bytes:
    """Zip bytes from a directory or an existing ``.zip`` file."""
    if path.is_dir():
        return zip_directory(path)
    if path.is_file():
        return path.read_bytes()
    raise FileNotFoundError(f"No directory or zip file at {path}")
