"""Content-addressed code store: each distinct zip is extracted once, by its hash."""

from __future__ import annotations

import base64
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import archive
from .errors import ArchiveTooLarge


@dataclass(frozen=True)
class CodeRef:
    """A stored package: ``key`` is the hex SHA-256 of the zip."""

    key: str
    sha256_b64: str
    size: int


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
            return ref
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            archive.extract(data, staging / "pkg", self.max_unzipped)
            try:
                (staging / "pkg").rename(final)
            except OSError:
                if not final.is_dir():  # lost a race with an identical upload otherwise
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return ref

    def remove(self, key: str) -> None:
        shutil.rmtree(self.path(key), ignore_errors=True)
