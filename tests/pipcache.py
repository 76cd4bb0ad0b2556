"""Third-party packages for test functions, pip-installed with ``--target`` once and
cached under ``tests/.cache`` (git-ignored)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

CACHE = Path(__file__).parent / ".cache"


def pip_target(name: str, *requirements: str) -> Path:
    """A directory with ``requirements`` installed (for the test interpreter's Python,
    which is the functions' python3.11 runtime)."""
    target = CACHE / name
    marker = target / ".complete"
    if not marker.exists():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--target", str(target), *requirements],
            check=True,
            timeout=600,
        )
        marker.touch()
    return target


def zip_with_packages(sources: dict[str, str], packages: Path) -> bytes:
    """A deployment zip: ``sources`` ({path: code}) plus everything in ``packages``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for root, dirs, files in os.walk(packages):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            for file in files:
                path = Path(root) / file
                archive.write(path, path.relative_to(packages).as_posix())
        for name, code in sources.items():
            archive.writestr(name, code)
    return buf.getvalue()
