"""Building a function's or layer's package as ``sam build`` does: the code
directory's files plus its ``requirements.txt`` installed with the runtime's
interpreter (found as the platform finds it), all under the package's prefix.

Installed requirements are cached in a directory per key: the SHA-256 of the
requirements file, the interpreter (path and version) and this machine's
architecture.  A redeploy with the same three runs no pip, and since the package
is zipped the same way every time, its ``CodeSha256`` does not change.  The cache
lives in ``$SNAPLAMBDA_BUILD_CACHE``, else ``$XDG_CACHE_HOME/snaplambda/builds``,
else ``~/.cache/snaplambda/builds``; deleting it is always safe.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..execution.errors import RuntimeUnavailable
from ..execution.runtimes import Interpreter
from ..packaging.zipdir import zip_trees
from .model import BuildSpec
from .pip import (
    NO_DISTRIBUTION,
    CrossTarget,
    PipRun,
    glibc_version,
    has_pip,
    install_command,
    platform_tags,
    run_pip,
)


class BuildError(Exception):
    """A package could not be built; ``output`` is what pip printed, if it ran."""

    def __init__(self, logical_id: str, message: str, output: str = "") -> None:
        super().__init__(f"{logical_id}: {message}")
        self.logical_id = logical_id
        self.output = output


class Resolver(Protocol):
    """Finds a runtime's interpreter (:class:`~..execution.runtimes.RuntimeResolver`)."""

    def resolve(self, runtime: str) -> Interpreter: ...


#: Runs one pip command (:func:`.pip.run_pip`).
PipRunner = Callable[[list[str], Path, Callable[[str], None]], PipRun]


class BuildProgress(Protocol):
    """Where a build reports what it is doing (the console, or nothing)."""

    def begin(self, logical_id: str, text: str) -> None: ...

    def line(self, text: str) -> None:
        """One line pip printed."""
        ...

    def end(self, text: str) -> None: ...


@dataclass(frozen=True)
class Artifact:
    """A built package and what building it did (for the deploy's output)."""

    zip: bytes
    note: str


def cache_dir(environ: Mapping[str, str]) -> Path:
    """Where installed requirements are cached (see the module's docstring)."""
    if environ.get("SNAPLAMBDA_BUILD_CACHE"):
        return Path(environ["SNAPLAMBDA_BUILD_CACHE"])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "snaplambda" / "builds"


def cache_key(requirements: bytes, interpreter: Interpreter, machine: str) -> str:
    """The key of one set of installed requirements."""
    digest = hashlib.sha256()
    for part in (b"v1", requirements, interpreter.path.encode(), interpreter.version.encode()):
        digest.update(hashlib.sha256(part).digest())
    digest.update(machine.encode())
    return digest.hexdigest()[:32]


def lists_requirements(text: str) -> bool:
    """Whether a requirements file names anything (not only comments and blanks)."""
    return any(line.split("#", 1)[0].strip() for line in text.splitlines())


def _keep(work: Path, final: Path) -> None:
    """Make a finished install the cache's entry, in one rename."""
    try:
        os.rename(work, final)
    except OSError:  # another deploy finished the same build first
        if not final.is_dir():
            raise


class Builder:
    """Builds packages with one runtime resolver and one cache directory."""

    def __init__(
        self,
        resolver: Resolver,
        cache: Path,
        progress: BuildProgress,
        machine: str | None = None,
        pip_available: Callable[[str], bool] = has_pip,
        runner: PipRunner = run_pip,
    ) -> None:
        self.resolver = resolver
        self.cache = cache
        self.progress = progress
        self.machine = machine or platform.machine()
        self.pip_available = pip_available
        self.runner = runner

    def artifact(self, logical_id: str, spec: BuildSpec) -> Artifact:
        """The package ``spec`` describes, or :class:`BuildError`."""
        installed, note = self._requirements(logical_id, spec)
        trees = [(spec.source, spec.prefix)]
        if installed is not None:
            trees.append((installed, spec.prefix))
        return Artifact(zip_trees(trees), note)

    def _requirements(self, logical_id: str, spec: BuildSpec) -> tuple[Path | None, str]:
        if spec.requirements is None:
            return None, f"built into {spec.prefix}/ (no requirements.txt)"
        text = spec.requirements.read_bytes()
        if not lists_requirements(text.decode("utf-8", "replace")):
            return None, "requirements.txt lists nothing to install"
        try:
            interpreter = self.resolver.resolve(spec.runtime)
        except RuntimeUnavailable as exc:
            raise BuildError(logical_id, f"cannot install requirements.txt: {exc}") from None
        key = cache_key(text, interpreter, self.machine)
        final = self.cache / key
        if final.is_dir():
            return final, f"requirements.txt unchanged: cached build {key[:12]} (pip not run)"
        self.cache.mkdir(parents=True, exist_ok=True)
        work = self.cache / f"{key}.tmp-{uuid.uuid4().hex[:8]}"
        self.progress.begin(
            logical_id,
            f"installing {spec.requirements} with {spec.runtime} ({interpreter.path})",
        )
        ending = "pip did not finish"
        try:
            run = self._install(interpreter, spec.requirements, work)
            if run.ok:
                _keep(work, final)
                count = sum(1 for p in final.iterdir() if p.name.endswith(".dist-info"))
                ending = f"installed {count} packages (cached as {key[:12]})"
            else:
                ending = f"pip failed (exit {run.returncode})"
        finally:
            shutil.rmtree(work, ignore_errors=True)
            self.progress.end(ending)
        if not run.ok:
            raise BuildError(
                logical_id,
                f"pip install -r {spec.requirements} failed with exit code {run.returncode}",
                run.output,
            )
        return final, f"requirements.txt: {count} packages installed with {spec.runtime}"

    def _install(self, interpreter: Interpreter, requirements: Path, work: Path) -> PipRun:
        """Binary wheels with the runtime's own pip, then from source if that found
        nothing; or binary wheels with this process's pip aimed at the runtime."""
        cwd = requirements.parent
        if not self.pip_available(interpreter.path):
            major, minor = interpreter.version.split(".")[:2]
            cross = CrossTarget(
                f"{major}.{minor}", tuple(platform_tags(self.machine, glibc_version()))
            )
            command = install_command(sys.executable, requirements, work, cross=cross)
            return self.runner(command, cwd, self.progress.line)
        command = install_command(interpreter.path, requirements, work)
        run = self.runner(command, cwd, self.progress.line)
        if run.ok or NO_DISTRIBUTION not in run.output:
            return run
        shutil.rmtree(work, ignore_errors=True)
        self.progress.line("no binary wheel for every requirement: trying sources too")
        command = install_command(interpreter.path, requirements, work, binary_only=False)
        return self.runner(command, cwd, self.progress.line)
