"""Runtime resolution with a fake environment: fake interpreters are shell scripts
that answer the resolver's probe (version line, then the real executable)."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from snaplambda.execution.errors import RuntimeUnavailable
from snaplambda.execution.runtimes import Interpreter, RuntimeResolver


def fake_python(
    path: Path, stdout: str = "", exit_code: int = 0, count: Path | None = None
) -> Path:
    """An executable that prints ``stdout`` and exits with ``exit_code``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["#!/bin/sh"]
    if count is not None:
        lines.append(f"echo x >> '{count}'")
    lines += [f"printf '%s' '{stdout}'", f"exit {exit_code}"]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def answer(version: str, executable: str) -> str:
    return f"{version}\n{executable}\n"


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    path = tmp_path / "bin"
    path.mkdir()
    return path


@pytest.fixture
def pyenv(tmp_path: Path) -> Path:
    path = tmp_path / "pyenv"
    (path / "versions").mkdir(parents=True)
    return path


def resolver(
    bin_dir: Path, pyenv: Path, overrides: dict[str, str] | None = None
) -> RuntimeResolver:
    return RuntimeResolver(overrides or {}, {"PATH": str(bin_dir), "PYENV_ROOT": str(pyenv)})


def test_a_working_interpreter_on_path_is_used(bin_dir: Path, pyenv: Path) -> None:
    fake_python(bin_dir / "python3.12", answer("3.12.4", "/opt/real/bin/python3.12"))
    found = resolver(bin_dir, pyenv).resolve("python3.12")
    assert found == Interpreter("python3.12", "/opt/real/bin/python3.12", "3.12.4")


@pytest.mark.parametrize(
    ("stdout", "exit_code"),
    [
        (answer("3.11.9", "/usr/bin/python3.11"), 0),  # the wrong version
        ("", 127),  # a pyenv shim: "python3.12: command not found"
        (answer("3.12.4", "/usr/bin/python3.12"), 1),  # right answer, but it failed
        ("3.12.4\n", 0),  # not the probe's answer
        ("", 0),
    ],
    ids=["wrong-version", "shim-not-found", "nonzero-exit", "one-line", "silent"],
)
def test_broken_candidates_are_skipped(
    bin_dir: Path, pyenv: Path, tmp_path: Path, stdout: str, exit_code: int
) -> None:
    fake_python(bin_dir / "python3.12", stdout, exit_code)
    with pytest.raises(RuntimeUnavailable) as info:
        resolver(bin_dir, pyenv).resolve("python3.12")
    message = info.value.message
    assert "python3.12" in message
    assert "python3.12 on PATH" in message
    assert f"{pyenv}/versions/3.12.*/bin/python3.12" in message
    assert "SNAPLAMBDA_PYTHON3_12" in message, "the message says how to fix it"
    assert info.value.aws_type == "InvalidRuntimeException"


def test_a_candidate_printing_something_else_is_skipped(bin_dir: Path, pyenv: Path) -> None:
    fake_python(bin_dir / "python3.12", "Python 3.12.4\n")
    with pytest.raises(RuntimeUnavailable):
        resolver(bin_dir, pyenv).resolve("python3.12")


def test_nothing_anywhere_names_every_place_looked(bin_dir: Path, pyenv: Path) -> None:
    r = resolver(bin_dir, pyenv, {"python3.13": "/nowhere/python3.13"})
    with pytest.raises(RuntimeUnavailable) as info:
        r.resolve("python3.13")
    message = info.value.message
    assert message.startswith("No working interpreter for runtime python3.13")
    assert "config interpreters[python3.13]=/nowhere/python3.13" in message
    assert "python3.13 on PATH" in message
    assert f"{pyenv}/versions/3.13.*/bin/python3.13" in message
    assert r.where_looked("python3.13") == [
        "config interpreters[python3.13]=/nowhere/python3.13",
        "python3.13 on PATH",
        f"{pyenv}/versions/3.13.*/bin/python3.13",
    ]


def test_missing_pyenv_root_is_not_an_error(bin_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(RuntimeUnavailable, match=r"python3\.12"):
        resolver(bin_dir, tmp_path / "no-such-pyenv").resolve("python3.12")


def test_explicit_override_is_used_first(bin_dir: Path, pyenv: Path, tmp_path: Path) -> None:
    fake_python(bin_dir / "python3.12", answer("3.12.1", "/from/path/python3.12"))
    fake_python(pyenv / "versions" / "3.12.8" / "bin" / "python3.12", answer("3.12.8", "/pyenv"))
    override = fake_python(tmp_path / "custom" / "py", answer("3.12.9", "/from/override/python"))
    found = resolver(bin_dir, pyenv, {"python3.12": str(override)}).resolve("python3.12")
    assert (found.path, found.version) == ("/from/override/python", "3.12.9")


def test_a_broken_override_falls_back_to_path(bin_dir: Path, pyenv: Path, tmp_path: Path) -> None:
    fake_python(bin_dir / "python3.12", answer("3.12.1", "/from/path/python3.12"))
    override = fake_python(tmp_path / "custom" / "py", answer("3.11.2", "/wrong"))
    found = resolver(bin_dir, pyenv, {"python3.12": str(override)}).resolve("python3.12")
    assert found.path == "/from/path/python3.12"


def test_pyenv_versions_newest_patch_first(bin_dir: Path, pyenv: Path) -> None:
    versions = pyenv / "versions"
    for name in ("3.12.2", "3.12.10", "3.12.3"):
        fake_python(versions / name / "bin" / "python3.12", answer(name, f"/pyenv/{name}"))
    # Not plain releases of 3.12, or not of 3.12 at all: ignored.
    fake_python(versions / "3.12.11-dev" / "bin" / "python3.12", answer("3.12.11", "/dev"))
    fake_python(versions / "3.13.0" / "bin" / "python3.12", answer("3.12.99", "/odd"))
    fake_python(versions / "3.120.1" / "bin" / "python3.12", answer("3.12.98", "/odder"))
    found = resolver(bin_dir, pyenv).resolve("python3.12")
    assert (found.path, found.version) == ("/pyenv/3.12.10", "3.12.10")


def test_pyenv_skips_a_broken_version(bin_dir: Path, pyenv: Path) -> None:
    versions = pyenv / "versions"
    fake_python(versions / "3.13.5" / "bin" / "python3.13", "", exit_code=1)
    fake_python(versions / "3.13.1" / "bin" / "python3.13", answer("3.13.1", "/pyenv/3.13.1"))
    assert resolver(bin_dir, pyenv).resolve("python3.13").path == "/pyenv/3.13.1"


def test_path_comes_before_pyenv(bin_dir: Path, pyenv: Path) -> None:
    fake_python(bin_dir / "python3.13", answer("3.13.0", "/from/path"))
    fake_python(pyenv / "versions" / "3.13.2" / "bin" / "python3.13", answer("3.13.2", "/pyenv"))
    assert resolver(bin_dir, pyenv).resolve("python3.13").path == "/from/path"


def test_resolution_is_cached(bin_dir: Path, pyenv: Path, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    fake_python(bin_dir / "python3.12", answer("3.12.4", "/real"), count=runs)
    r = resolver(bin_dir, pyenv)
    assert r.resolve("python3.12") == r.resolve("python3.12")
    assert runs.read_text().count("x") == 1


@pytest.mark.parametrize("runtime", ["nodejs20.x", "python2.7", "python3", "python3.x", "ruby3.3"])
def test_non_python3_runtimes_are_unavailable(bin_dir: Path, pyenv: Path, runtime: str) -> None:
    with pytest.raises(
        RuntimeUnavailable, match=re.escape(f"'{runtime}' is not a Python 3 runtime")
    ):
        resolver(bin_dir, pyenv).resolve(runtime)


def test_interpreter_labels() -> None:
    interpreter = Interpreter("python3.12", "/usr/bin/python3.12", "3.12.1")
    assert interpreter.runtime_version == "python:3.12.v1"
    arn = interpreter.runtime_version_arn("eu-west-1")
    assert re.fullmatch(r"arn:aws:lambda:eu-west-1::runtime:[0-9a-f]{64}", arn)
    assert arn == interpreter.runtime_version_arn("eu-west-1")
    other = Interpreter("python3.12", "/opt/python3.12", "3.12.1")
    assert other.runtime_version_arn("eu-west-1") != arn
