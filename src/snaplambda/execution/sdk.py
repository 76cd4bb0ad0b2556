"""The AWS SDK for Python that every python runtime offers its functions, as Lambda's
runtimes do: boto3, botocore and the distributions they need.

The release offered is the one installed with snaplambda itself (boto3 is one of its
dependencies), so the platform needs no network to provide it.  Its files, and only
theirs (each distribution's own record of what it installed; the rest of
snaplambda's site-packages stays invisible), are copied once per release into a
machine-wide cache, ``<cache>/<key>``, made read-only, and compiled once per
runtime in the background (bytecode is the only thing written there afterwards).
Each runtime whose Python every distribution admits gets a link
``<runtime dir>/sdk/pythonX.Y`` to it, which the bootstrap puts last on
``sys.path``: after the function's code and layers (a copy of boto3 in either
wins, as on Lambda) and after the standard library, which therefore never looks in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata as metadata
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..control.quotas import SUPPORTED_RUNTIMES
from .requirespython import UnknownSpecifier, admits

SDK_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)
"""What Lambda's Python runtimes bundle for the SDK, and so what a function finds."""

_LAYOUT = "1"
"""Part of every cache key: a change to what an installed copy holds changes it."""


@dataclass(frozen=True)
class Distribution:
    """One installed distribution of the SDK."""

    name: str
    version: str
    requires_python: str | None


@dataclass(frozen=True)
class SdkRelease:
    """The versions of the SDK's distributions that one install holds."""

    distributions: tuple[Distribution, ...]

    def version(self, name: str) -> str:
        """The version of distribution ``name`` (``KeyError`` if it is not one)."""
        for dist in self.distributions:
            if dist.name == name:
                return dist.version
        raise KeyError(name)

    @property
    def key(self) -> str:
        """The name of this release's directory in the cache: readable, and unique per
        set of versions."""
        pins = "\n".join(f"{d.name}=={d.version}" for d in self.distributions)
        digest = hashlib.sha256(f"{_LAYOUT}\n{pins}".encode()).hexdigest()[:12]
        return f"boto3-{self.version('boto3')}-botocore-{self.version('botocore')}-{digest}"

    def refusal(self, runtime: str) -> str | None:
        """Why ``runtime`` (``python3.12``) cannot use this release, or None."""
        minor = runtime.removeprefix("python3.")
        if not minor.isdigit():
            return f"{runtime} is not a Python 3 runtime"
        for dist in self.distributions:
            try:
                ok = admits(dist.requires_python, (3, int(minor)))
            except UnknownSpecifier as exc:
                return f"{dist.name} {dist.version}: {exc}"
            if not ok:
                return f"{dist.name} {dist.version} requires Python {dist.requires_python}"
        return None


def installed_release() -> SdkRelease | str:
    """The SDK release installed with snaplambda, or why there is none."""
    found = []
    for name in SDK_DISTRIBUTIONS:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return f"{name} is not installed with snaplambda (pip install boto3)"
        if dist.files is None:
            return f"{name} {dist.version} was installed without a record of its files"
        found.append(Distribution(name, dist.version, dist.metadata["Requires-Python"]))
    return SdkRelease(tuple(found))


def _files(name: str) -> Iterator[tuple[Path, PurePosixPath]]:
    """(installed file, path relative to site-packages) of distribution ``name``,
    without bytecode and without what it installed elsewhere (scripts)."""
    dist = metadata.distribution(name)
    for entry in dist.files or ():
        relative = PurePosixPath(entry)
        if relative.is_absolute() or ".." in relative.parts or "__pycache__" in relative.parts:
            continue
        source = Path(str(dist.locate_file(entry)))
        if source.is_file():
            yield source, relative


def install(cache_root: Path, release: SdkRelease) -> Path:
    """The directory holding ``release``'s files under ``cache_root``, copied there
    first if no process did before.  Copies go to a private staging directory that
    is renamed into place whole, so a reader never sees half a release and two
    platforms installing at once both end with the same, complete one."""
    target = cache_root / release.key
    if target.is_dir():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = cache_root / f".staging-{release.key}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        for name in SDK_DISTRIBUTIONS:
            for source, relative in _files(name):
                dest = staging.joinpath(*relative.parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, dest)
                dest.chmod(0o444)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        if staging.exists():  # another process installed it first, or the copy failed
            shutil.rmtree(staging, ignore_errors=True)
    return target


_COMPILE = """\
import compileall, os, sys
directory = sys.argv[1]
marker = os.path.join(directory, ".compiled-" + sys.implementation.cache_tag)
if not os.path.exists(marker) and compileall.compile_dir(directory, quiet=1, workers=0):
    open(marker, "w").close()
"""


def compile_for(directory: Path, interpreter: str) -> None:
    """Write the bytecode of an installed release for ``interpreter``'s Python, once:
    a marker per bytecode tag (``cpython-312``) says it was done."""
    # On failure, a function importing the SDK compiles what it needs itself.
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            [interpreter, "-S", "-c", _COMPILE, str(directory)],
            capture_output=True,
            timeout=300,
            check=False,
        )


def runtime_link(runtime_dir: Path, runtime: str) -> Path:
    """Where the bootstrap of ``runtime`` looks for the SDK."""
    return runtime_dir / "sdk" / runtime


@dataclass(frozen=True)
class SdkStatus:
    """What the platform offers functions, for ``/health`` and ``snaplambda runtimes``."""

    release: SdkRelease | None
    directory: Path | None
    refused: Mapping[str, str] = field(default_factory=dict)
    """Runtimes not offered the SDK, with why."""
    reason: str = ""
    """Why no runtime is offered one (empty when a release is installed)."""

    def offered(self, runtime: str) -> bool:
        """Whether functions of ``runtime`` find the SDK."""
        return self.directory is not None and runtime not in self.refused

    def describe(self) -> dict[str, object]:
        """The JSON ``/health`` shows."""
        if self.release is None or self.directory is None:
            return {"offered": False, "reason": self.reason}
        return {
            "offered": True,
            "versions": {d.name: d.version for d in self.release.distributions},
            "directory": str(self.directory),
            "refused": dict(self.refused),
        }


def _link(link: Path, target: Path | None) -> None:
    if target is not None and link.is_symlink() and link.resolve() == target.resolve():
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    if target is not None:
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target, target_is_directory=True)


def provide(
    runtime_dir: Path,
    cache_root: Path,
    enabled: bool = True,
    runtimes: Sequence[str] = SUPPORTED_RUNTIMES,
) -> SdkStatus:
    """Install the SDK release (if not cached yet) and link it for each runtime that
    can use it; with ``enabled`` false, remove the links, so functions find none."""
    release = installed_release() if enabled else "turned off (SNAPLAMBDA_SDK=0)"
    if isinstance(release, str):
        for runtime in runtimes:
            _link(runtime_link(runtime_dir, runtime), None)
        return SdkStatus(None, None, reason=release)
    directory = install(cache_root, release)
    refused: dict[str, str] = {}
    for runtime in runtimes:
        why = release.refusal(runtime)
        if why is not None:
            refused[runtime] = why
        _link(runtime_link(runtime_dir, runtime), None if why else directory)
    return SdkStatus(release, directory, refused)


_PROBE = """\
import json, sys
sys.path.append(sys.argv[1])
found = {}
for name in sys.argv[2:]:
    try:
        found[name] = __import__(name).__version__
    except Exception as exc:
        found[name] = "error: %s: %s" % (type(exc).__name__, exc)
print(json.dumps(found))
"""

PROBED = ("boto3", "botocore", "urllib3")
"""The modules :func:`probe` imports and reports the versions of."""


def probe(interpreter: str, directory: Path, timeout_s: float = 60.0) -> dict[str, str]:
    """Import the SDK from ``directory`` in ``interpreter`` (``-S``, as functions run)
    and return each of :data:`PROBED`'s versions, or the error importing it."""
    try:
        out = subprocess.run(
            [interpreter, "-S", "-c", _PROBE, str(directory), *PROBED],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        found: dict[str, str] = json.loads(out.stdout)
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        return {name: f"error: {exc}" for name in PROBED}
    return found
