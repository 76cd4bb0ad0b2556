"""Zipping a code directory the same way every time, so unchanged code keeps its
``CodeSha256`` (sorted entries, fixed timestamps, no caches)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

_SKIP_DIRS = {"__pycache__", ".git", ".venv", ".mypy_cache", ".pytest_cache", ".aws-sam"}
_EPOCH = (1980, 1, 1, 0, 0, 0)


def zip_directory(root: Path) -> bytes:
    """The deployment zip of ``root``'s contents (paths relative to ``root``)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            for filename in sorted(filenames):
                if filename.endswith(".pyc"):
                    continue
                path = Path(dirpath) / filename
                info = zipfile.ZipInfo(str(path.relative_to(root)), _EPOCH)
                mode = path.stat().st_mode
                info.external_attr = (0o755 if mode & 0o111 else 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return buf.getvalue()


def read_package(path: Path) -> bytes:
    """Zip bytes from a directory or an existing ``.zip`` file."""
    if path.is_dir():
        return zip_directory(path)
    if path.is_file():
        return path.read_bytes()
    raise FileNotFoundError(f"No directory or zip file at {path}")
