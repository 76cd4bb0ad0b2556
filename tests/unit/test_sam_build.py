"""Building SAM packages: pip's command lines, the cache and the fall-backs, with a
fake pip (no subprocess)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from snaplambda.execution.runtimes import Interpreter
from snaplambda.sam.build import Builder, BuildError, cache_dir, cache_key
from snaplambda.sam.model import BuildSpec
from snaplambda.sam.pip import PipRun, install_command, platform_tags

PY312 = Interpreter("python3.12", "/opt/py/bin/python3.12", "3.12.1")


class Resolver:
    def resolve(self, runtime: str) -> Interpreter:
        return PY312


class Progress:
    def __init__(self) -> None:
        self.events: list[str] = []

    def begin(self, logical_id: str, text: str) -> None:
        self.events.append(f"begin {logical_id}")

    def line(self, text: str) -> None:
        self.events.append(text)

    def end(self, text: str) -> None:
        self.events.append(f"end {text}")


class FakePip:
    """Installs one package per run into --target; fails as told."""

    def __init__(self, outputs: list[tuple[int, str]] | None = None) -> None:
        self.commands: list[list[str]] = []
        self.outputs = outputs or []

    def __call__(self, command: list[str], cwd: Path, on_line: Callable[[str], None]) -> PipRun:
        self.commands.append(command)
        code, output = self.outputs.pop(0) if self.outputs else (0, "Successfully installed")
        if code == 0:
            target = Path(command[command.index("--target") + 1])
            (target / "six-1.0.dist-info").mkdir(parents=True)
            (target / "six-1.0.dist-info" / "METADATA").write_text("Name: six\n")
            (target / "six.py").write_text("X = 1\n")
        on_line(output)
        return PipRun(code, output)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    code = tmp_path / "fn"
    code.mkdir()
    (code / "app.py").write_text("import six\n")
    (code / "requirements.txt").write_text("# deps\nsix\n")
    return code


def names(zipped: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(zipped)).namelist()


def builder(tmp_path: Path, pip: FakePip, has_pip: bool = True) -> Builder:
    return Builder(
        Resolver(), tmp_path / "cache", Progress(), "x86_64", lambda _: has_pip, runner=pip
    )


def test_requirements_are_installed_once_then_cached(tmp_path: Path, source: Path) -> None:
    pip = FakePip()
    spec = BuildSpec(source, "python3.12", source / "requirements.txt")
    first = builder(tmp_path, pip).artifact("Fn", spec)
    assert names(first.zip) == [
        "app.py",
        "requirements.txt",
        "six-1.0.dist-info/METADATA",
        "six.py",
    ]
    [command] = pip.commands
    assert command[:4] == ["/opt/py/bin/python3.12", "-m", "pip", "install"]
    assert "--only-binary=:all:" in command and "--python-version" not in command
    assert "1 packages installed" in first.note
    again = builder(tmp_path, pip).artifact("Fn", spec)
    assert len(pip.commands) == 1 and "pip not run" in again.note
    assert again.zip == first.zip  # same bytes: same CodeSha256
    (source / "requirements.txt").write_text("six==1.0\n")
    builder(tmp_path, pip).artifact("Fn", spec)
    assert len(pip.commands) == 2  # another requirements file is another build


def test_layers_are_built_under_python(tmp_path: Path, source: Path) -> None:
    spec = BuildSpec(source, "python3.12", source / "requirements.txt", prefix="python")
    built = builder(tmp_path, FakePip()).artifact("Lib", spec)
    assert [n for n in names(built.zip) if "dist-info" not in n] == [
        "python/app.py",
        "python/requirements.txt",
        "python/six.py",
    ]


def test_without_binary_wheels_pip_may_build_from_source(tmp_path: Path, source: Path) -> None:
    pip = FakePip([(1, "ERROR: No matching distribution found for six"), (0, "ok")])
    spec = BuildSpec(source, "python3.12", source / "requirements.txt")
    builder(tmp_path, pip).artifact("Fn", spec)
    assert [c[-1] for c in pip.commands] == ["--only-binary=:all:", "--prefer-binary"]


def test_a_failed_install_is_an_error_with_pips_output(tmp_path: Path, source: Path) -> None:
    pip = FakePip([(1, "ERROR: Could not install packages due to an OSError")])
    spec = BuildSpec(source, "python3.12", source / "requirements.txt")
    with pytest.raises(BuildError, match=r"Fn: pip install -r .* failed with exit code 1") as info:
        builder(tmp_path, pip).artifact("Fn", spec)
    assert "OSError" in info.value.output
    assert len(pip.commands) == 1  # not a missing wheel: no second try
    assert list((tmp_path / "cache").iterdir()) == []  # nothing half-built is kept


def test_an_interpreter_without_pip_gets_this_process_pip(tmp_path: Path, source: Path) -> None:
    pip = FakePip()
    spec = BuildSpec(source, "python3.12", source / "requirements.txt")
    builder(tmp_path, pip, has_pip=False).artifact("Fn", spec)
    [command] = pip.commands
    assert command[0] != PY312.path
    joined = " ".join(command)
    assert "--python-version 3.12 --implementation cp --abi cp312" in joined
    assert "--platform manylinux2014_x86_64" in joined and "--only-binary=:all:" in joined


def test_pip_details() -> None:
    assert platform_tags("aarch64", (2, 28))[:3] == [
        "manylinux_2_28_aarch64",
        "manylinux_2_27_aarch64",
        "manylinux_2_26_aarch64",
    ]
    assert platform_tags("x86_64", None) == ["linux_x86_64"]
    command = install_command("py", Path("r.txt"), Path("t"), binary_only=False)
    assert command[-1] == "--prefer-binary"
    assert cache_key(b"six", PY312, "x86_64") != cache_key(b"six", PY312, "aarch64")
    other = Interpreter("python3.12", "/other/python3.12", "3.12.1")
    assert cache_key(b"six", PY312, "x86_64") != cache_key(b"six", other, "x86_64")
    assert cache_dir({"SNAPLAMBDA_BUILD_CACHE": "/c"}) == Path("/c")
    assert cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/snaplambda/builds")


def test_empty_requirements_run_no_pip(tmp_path: Path, source: Path) -> None:
    (source / "requirements.txt").write_text("# nothing yet\n\n")
    pip = FakePip()
    spec = BuildSpec(source, "python3.12", source / "requirements.txt")
    built = builder(tmp_path, pip).artifact("Fn", spec)
    assert not pip.commands and "lists nothing" in built.note
