"""The pip command lines of a build, and running them.

pip runs as ``<interpreter> -m pip install --target DIR -r requirements.txt`` with the
function runtime's own interpreter, so wheels match its Python version and this
machine; binary wheels only at first (as ``sam build`` prefers), then, if some
requirement has none, once more letting pip build it from source.  An interpreter
without pip is served by this process's pip, told the runtime's version, ABI and
this machine's platform tags (binary wheels only: pip cannot build for another
interpreter).  Either way pip reads its index from the environment and its config
files (``pip.conf``, ``PIP_INDEX_URL`` ...), as a ``pip install`` typed in the same
shell would.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: What pip prints when no distribution suits (often: no binary wheel).
NO_DISTRIBUTION = "No matching distribution found"
_COMMON = ("--no-input", "--disable-pip-version-check", "--progress-bar", "off")


def glibc_version() -> tuple[int, int] | None:
    """This machine's glibc (major, minor), or None (musl, not Linux)."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (ValueError, OSError, AttributeError):
        return None
    _, _, version = text.partition(" ")
    major, _, minor = version.partition(".")
    if major.isdigit() and minor.split(".")[0].isdigit():
        return int(major), int(minor.split(".")[0])
    return None


def platform_tags(machine: str, glibc: tuple[int, int] | None) -> list[str]:
    """The wheel platform tags this machine runs, newest first: ``manylinux_2_N``
    down to 2.5 with their legacy aliases, then plain ``linux``.

    >>> platform_tags("x86_64", (2, 17))[:2]
    ['manylinux_2_17_x86_64', 'manylinux2014_x86_64']
    """
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    tags: list[str] = []
    if glibc is not None and glibc[0] == 2:
        for minor in range(glibc[1], 4, -1):
            tags.append(f"manylinux_2_{minor}_{machine}")
            if minor in legacy:
                tags.append(f"{legacy[minor]}_{machine}")
    tags.append(f"linux_{machine}")
    return tags


@dataclass(frozen=True)
class CrossTarget:
    """The interpreter pip installs for when pip runs in another one."""

    python_version: str
    """``3.12``"""
    platforms: tuple[str, ...]

    def options(self) -> list[str]:
        nodot = self.python_version.replace(".", "")
        opts = ["--python-version", self.python_version, "--implementation", "cp"]
        for abi in (f"cp{nodot}", "abi3", "none"):
            opts += ["--abi", abi]
        for tag in self.platforms:
            opts += ["--platform", tag]
        return opts


def install_command(
    python: str,
    requirements: Path,
    target: Path,
    binary_only: bool = True,
    cross: CrossTarget | None = None,
) -> list[str]:
    """``python -m pip install`` of ``requirements`` into ``target``; with ``cross``,
    for that interpreter instead of ``python`` (always binary-only)."""
    command = [python, "-m", "pip", "install", "--target", str(target), "-r", str(requirements)]
    command += _COMMON
    if cross is not None:
        return [*command, "--only-binary=:all:", *cross.options()]
    return [*command, "--only-binary=:all:" if binary_only else "--prefer-binary"]


def has_pip(python: str) -> bool:
    """Whether ``python -m pip`` works."""
    try:
        done = subprocess.run(
            [python, "-m", "pip", "--version"], capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@dataclass(frozen=True)
class PipRun:
    """How one pip run ended, with everything it printed."""

    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def run_pip(
    command: list[str],
    cwd: Path,
    on_line: Callable[[str], None],
    environ: Mapping[str, str] | None = None,
) -> PipRun:
    """Run ``command`` in ``cwd`` (so relative paths in requirements.txt work),
    passing each line it prints to ``on_line``."""
    env = {**(os.environ if environ is None else environ), "PIP_ROOT_USER_ACTION": "ignore"}
    lines: list[str] = []
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as exc:
        return PipRun(127, f"cannot run {command[0]}: {exc}")
    assert proc.stdout is not None
    with proc.stdout:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            on_line(lines[-1])
    return PipRun(proc.wait(), "\n".join(lines))
