"""The files every function interpreter finds in the platform's runtime directory: the
stdlib-only bootstrap package and Lambda's SnapStart hooks module, installed once per
state directory and shared read-only by every environment."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from .. import runtime as runtime_pkg


def install_runtime(runtime_dir: Path) -> None:
    """Expose the stdlib-only runtime package to function interpreters as the
    top-level ``snaplambda_runtime`` package (a symlink, so it is never stale)."""
    runtime_dir.mkdir(parents=True, exist_ok=True)
    link = runtime_dir / "snaplambda_runtime"
    source = Path(runtime_pkg.__file__).resolve().parent
    if link.is_symlink() and link.resolve() == source:
        return
    if link.is_symlink() or link.is_file():
        link.unlink()
    elif link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(source, target_is_directory=True)
    _install_snapstart_support(runtime_dir / "snapstart")


def _install_snapstart_support(directory: Path) -> None:
    """Expose the installed ``snapshot_restore_py`` module (Lambda's SnapStart hooks
    API, a dependency of snaplambda) in a directory of its own, so functions get it
    without seeing the rest of snaplambda's site-packages."""
    spec = importlib.util.find_spec("snapshot_restore_py")
    if spec is None or spec.origin is None:
        return
    directory.mkdir(parents=True, exist_ok=True)
    link = directory / "snapshot_restore_py.py"
    source = Path(spec.origin).resolve()
    if link.is_symlink() and link.resolve() == source:
        return
    link.unlink(missing_ok=True)
    link.symlink_to(source)


def runtime_sources() -> list[Path]:
    """Where the runtime's own modules live (the bootstrap package and the SnapStart
    hooks module): compiled ahead for each runtime, since the sandbox mounts them
    read-only and an interpreter could then never cache their bytecode itself."""
    sources = [Path(runtime_pkg.__file__).resolve().parent]
    spec = importlib.util.find_spec("snapshot_restore_py")
    if spec is not None and spec.origin is not None:
        sources.append(Path(spec.origin).resolve())
    return sources
