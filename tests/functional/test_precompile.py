"""New code is compiled ahead of its first cold start, with the function's own
interpreter (so the bytecode's cache tag is that runtime's)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import Server, create, interpreter_for, invoke, zip_files

SOURCE = {
    "app.py": "import helper\n\ndef handler(event, context):\n    return helper.VALUE\n",
    "helper.py": "VALUE = 'compiled ahead'\n",
}


def _pycs(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.rglob("__pycache__/*.pyc"))


@pytest.mark.parametrize(
    ("runtime", "tag"), [("python3.11", "cpython-311"), ("python3.12", "cpython-312")]
)
def test_code_is_compiled_after_deploy(server: Server, lam: Any, runtime: str, tag: str) -> None:
    interpreter_for(runtime)
    files = {**SOURCE, "helper.py": f"VALUE = 'compiled ahead for {runtime}'\n"}
    create(lam, f"precompiled-{tag}", zip_files(files), runtime=runtime)
    key = lam.get_function(FunctionName=f"precompiled-{tag}")["Code"]["Location"].rsplit("/", 1)[-1]
    directory = server.state_dir / "code" / key
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(_pycs(directory)) < 2:
        time.sleep(0.1)
    assert _pycs(directory) == [f"app.{tag}.pyc", f"helper.{tag}.pyc"]
    assert invoke(lam, f"precompiled-{tag}")["Body"] == f"compiled ahead for {runtime}"


def test_syntax_errors_are_still_reported_by_init(lam: Any) -> None:
    create(lam, "precompiled-broken", zip_files({"app.py": "def handler(:\n"}))
    body = invoke(lam, "precompiled-broken")["Body"]
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
