"""Resolution of a runtime name (``python3.12``) to a working local interpreter.

Looked for in order: an explicit path from configuration, ``pythonX.Y`` on PATH, then
pyenv's versions directory (``$PYENV_ROOT`` or ``~/.pyenv``).  Every candidate is run
once to prove it works and is the right version, because PATH may hold shims (pyenv's
``python3.12`` answers "command not found" when that version is not selected).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import RuntimeUnavailable

_RUNTIME = re.compile(r"^python(3)\.(\d+)$")


@dataclass(frozen=True)
class Interpreter:
    """A verified interpreter for one runtime."""

    runtime: str
    path: str
    version: str
    """Full version, e.g. ``3.12.1``."""

    @property
    def runtime_version(self) -> str:
        """Lambda-style runtime version label, e.g. ``python:3.12.v1``."""
        major, minor, micro = self.version.split(".")[:3]
        return f"python:{major}.{minor}.v{micro}"

    def runtime_version_arn(self, region: str) -> str:
        digest = hashlib.sha256(f"{self.path}:{self.version}".encode()).hexdigest()
        return f"arn:aws:lambda:{region}::runtime:{digest}"


_PROBE = (
    "import sys; print('%d.%d.%d' % sys.version_info[:3]); "
    "print(getattr(sys, '_base_executable', '') or sys.executable)"
)


_VERSION = re.compile(r"^(\d+)\.(\d+)\.\d+$")


def _probe(path: str, want: tuple[int, int], search_path: str) -> tuple[str, str] | None:
    """(version, real executable) of a working candidate.  The real executable
    matters: a pyenv shim is a shell script costing tens of milliseconds per start,
    and a virtualenv's python points back at its base interpreter."""
    try:
        out = subprocess.run(
            [path, "-S", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=20,
            env={"PATH": search_path},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    lines = out.stdout.splitlines()
    if out.returncode != 0 or len(lines) != 2:
        return None
    version, executable = lines
    match = _VERSION.match(version)
    if not match or (int(match.group(1)), int(match.group(2))) != want:
        return None
    return version, executable


def _pyenv_candidates(environ: Mapping[str, str], want: tuple[int, int]) -> list[str]:
    root = Path(environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    if not root.is_dir():
        return []
    prefix = f"{want[0]}.{want[1]}."
    found: list[tuple[int, str]] = []
    for entry in root.iterdir():
        if entry.name.startswith(prefix) and entry.name[len(prefix) :].isdigit():
            exe = entry / "bin" / f"python{want[0]}.{want[1]}"
            if exe.exists():
                found.append((int(entry.name[len(prefix) :]), str(exe)))
    return [path for _, path in sorted(found, reverse=True)]


class RuntimeResolver:
    """Finds and caches one interpreter per runtime."""

    def __init__(
        self, overrides: Mapping[str, str], environ: Mapping[str, str] | None = None
    ) -> None:
        self._overrides = dict(overrides)
        self._environ = os.environ if environ is None else environ
        self._cache: dict[str, Interpreter] = {}

    def where_looked(self, runtime: str) -> list[str]:
        """Human-readable list of the places :meth:`resolve` searches."""
        match = _RUNTIME.match(runtime)
        exe = f"python3.{match.group(2)}" if match else runtime
        places = []
        if runtime in self._overrides:
            places.append(f"config interpreters[{runtime}]={self._overrides[runtime]}")
        places.append(f"{exe} on PATH")
        root = self._environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
        places.append(f"{root}/versions/3.{match.group(2) if match else '?'}.*/bin/{exe}")
        return places

    def cached(self, runtime: str) -> Interpreter | None:
        """The interpreter :meth:`resolve` found for ``runtime`` before, if any."""
        return self._cache.get(runtime)

    def resolve(self, runtime: str) -> Interpreter:
        """The interpreter for ``runtime``, or :class:`RuntimeUnavailable` saying where
        it looked."""
        cached = self._cache.get(runtime)
        if cached:
            return cached
        match = _RUNTIME.match(runtime)
        if not match:
            raise RuntimeUnavailable(f"Runtime '{runtime}' is not a Python 3 runtime")
        want = (3, int(match.group(2)))
        candidates: list[str] = []
        if runtime in self._overrides:
            candidates.append(self._overrides[runtime])
        on_path = shutil.which(f"python3.{want[1]}", path=self._environ.get("PATH"))
        if on_path:
            candidates.append(on_path)
        candidates.extend(_pyenv_candidates(self._environ, want))
        for path in candidates:
            found = _probe(path, want, self._environ.get("PATH", ""))
            if found:
                interpreter = Interpreter(runtime, found[1], found[0])
                self._cache[runtime] = interpreter
                return interpreter
        raise RuntimeUnavailable(
            f"No working interpreter for runtime {runtime}; looked at: "
            + "; ".join(self.where_looked(runtime))
            + f". Install Python 3.{want[1]} or set SNAPLAMBDA_PYTHON3_{want[1]}=/path/to/python"
        )
