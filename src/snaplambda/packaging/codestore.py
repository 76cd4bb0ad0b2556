"""Content-addressed code store: each distinct zip is extracted once, by its hash.

Next to the packages, ``root/.sizes/<key>`` records each package's unzipped size as
declared by its zip (the size limits are checked against it, not against whatever
bytecode caches the package gains later).

Uploads may be stored from worker threads (validation never runs on the event loop)
while :meth:`CodeStore.sweep` removes packages nothing references: a package being
stored for a request is *pinned* until the request is done, and sweeping takes the
same lock as the pinning, so a sweep never removes a package a request is about to
reference."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from pathlib import Path

from . import archive
from .errors import ArchiveTooLarge

_KEY = re.compile(r"[0-9a-f]{64}")


def _rmtree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


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
        self._lock = threading.Lock()
        self._pins: Counter[str] = Counter()
        #: Uploads being validated and extracted right now (``/health`` shows it).
        self.checking = 0

    def path(self, key: str) -> Path:
        return self.root / key

    def put(self, data: bytes, pin: bool = False) -> CodeRef:
        """Validate and store a zip; storing the same bytes twice is a no-op.

        With ``pin`` the package is kept from :meth:`sweep` until :meth:`unpin` of the
        returned key (a failed put leaves nothing pinned)."""
        if len(data) > self.max_zip:
            raise ArchiveTooLarge(
                f"Zipped size must be smaller than {self.max_zip} bytes (got {len(data)})",
                aws_type="RequestEntityTooLargeException",
            )
        digest = hashlib.sha256(data).digest()
        ref = CodeRef(digest.hex(), base64.b64encode(digest).decode(), len(data))
        final = self.path(ref.key)
        with self._lock:
            if pin:
                self._pins[ref.key] += 1
            if final.is_dir():
                return replace(ref, unzipped_size=self.unzipped_size(ref.key))
            self.checking += 1
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        done = False
        try:
            info = archive.extract(data, staging / "pkg", self.max_unzipped)
            # The size first: once the package directory exists, its size does too.
            self._write_size(ref.key, info.unzipped_size)
            try:
                (staging / "pkg").rename(final)
            except OSError:
                if not final.is_dir():  # lost a race with an identical upload otherwise
                    raise
            done = True
        finally:
            with self._lock:
                self.checking -= 1
            if pin and not done:
                self.unpin(ref.key)
            shutil.rmtree(staging, ignore_errors=True)
        return replace(ref, unzipped_size=info.unzipped_size)

    @staticmethod
    def key_of(data: bytes) -> str:
        """The key ``data`` is (or would be) stored under."""
        return hashlib.sha256(data).hexdigest()

    def unpin(self, key: str) -> None:
        """Undo one ``put(..., pin=True)`` of ``key``."""
        with self._lock:
            self._pins[key] -= 1
            if self._pins[key] <= 0:
                del self._pins[key]

    def keys(self) -> list[str]:
        """The keys of every stored package."""
        return sorted(p.name for p in self.root.iterdir() if _KEY.fullmatch(p.name))

    def sweep(
        self,
        referenced: Collection[str],
        remove: Callable[[Path], object] | None = None,
    ) -> list[str]:
        """Remove every package that is neither in ``referenced`` nor pinned, and what
        interrupted work left (staging and trash directories); returns the removed keys.

        A removed package is renamed away under the lock, so its key is free at once;
        its files are deleted by ``remove`` (e.g. in a worker thread), by default here."""
        removed: list[str] = []
        trash: list[Path] = []
        with self._lock:
            for key in self.keys():
                if key in referenced or self._pins[key] > 0:
                    continue
                self._pins.pop(key, None)
                moved = self.root / f".trash-{key}-{uuid.uuid4().hex[:8]}"
                try:
                    self.path(key).rename(moved)
                except OSError:
                    continue
                self._size_path(key).unlink(missing_ok=True)
                removed.append(key)
                trash.append(moved)
            if self.checking == 0:  # no upload is staging now: leftovers are dead
                trash += [p for p in self.root.glob(".staging-*") if p.is_dir()]
            trash += [p for p in self.root.glob(".trash-*") if p not in trash]
        for path in trash:
            (remove or _rmtree)(path)
        return removed

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
