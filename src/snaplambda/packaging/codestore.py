"""Content-addressed code store: each distinct zip is extracted once, by its hash.

Next to the packages, ``root/.sizes/<key>`` records each package's unzipped size as
declared by its zip (the size limits are checked against it, not against whatever
bytecode caches the package gains later)."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from . import archive
from .errors import ArchiveTooLarge


@dataclass(frozen=True)
class CodeRef:
    """A stored package: ``key`` is the hex SHA-256 of the zip, ``size`` its length,
    ``unzipped_size`` the total size of its files."""

    key: str
    sha256_b64: str
    size: int
    unzipped_size: int = 0


class CodeStore:
    """Extracted packages under ``root/<hex sha256>/``."""

    def __init__(self, root: Path, max_zip: int, max_unzipped: int) -> None:
        self.root = root
        self.max_zip = max_zip
        self.max_unzipped = max_unzipped
        root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, data: bytes) -> CodeRef:
        """Validate and store a zip; storing the same bytes twice is a no-op."""
        if len(data) > self.max_zip:
            raise ArchiveTooLarge(
                f"Zipped size must be smaller than {self.max_zip} bytes (got {len(data)})",
                aws_type="RequestEntityTooLargeException",
            )
        digest = hashlib.sha256(data).digest()
        ref = CodeRef(digest.hex(), base64.b64encode(digest).decode(), len(data))
        final = self.path(ref.key)
        if final.is_dir():
            return replace(ref, unzipped_size=self.unzipped_size(ref.key))
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            info = archive.extract(data, staging / "pkg", self.max_unzipped)
            # The size first: once the package directory exists, its size does too.
            self._write_size(ref.key, info.unzipped_size)
            try:
                (staging / "pkg").rename(final)
            except OSError:
                if not final.is_dir():  # lost a race with an identical upload otherwise
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return replace(ref, unzipped_size=info.unzipped_size)

    def _size_path(self, key: str) -> Path:
        return self.root / ".sizes" / key

    def _write_size(self, key: str, size: int) -> None:
        path = self._size_path(key)
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f".{key}.{os.getpid()}")
        tmp.write_text(str(size))
        tmp.replace(path)

    def unzipped_size(self, key: str) -> int:
        """The unzipped size of a stored package, in bytes.

        A package stored before sizes were recorded is measured once (its files,
        without ``__pycache__``) and the result recorded."""
        try:
            return int(self._size_path(key).read_text())
        except (OSError, ValueError):
            pass
        total = 0
        for dirpath, dirnames, filenames in os.walk(self.path(key)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                total += os.lstat(os.path.join(dirpath, name)).st_size
        self._write_size(key, total)
        return total

    def remove(self, key: str) -> None:
        shutil.rmtree(self.path(key), ignore_errors=True)
        self._size_path(key).unlink(missing_ok=True)
