"""The ``snaplambda`` command's failures: each one clear line on stderr, a non-zero
exit status and never a traceback, whether the server is not running, the port is
taken, the code is not a zip, the payload is not JSON or the function is unknown."""

from __future__ import annotations

import io
import socket
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.functional.test_cli import cli
from tests.support import FUNCTIONS, Server, free_port

NEEDS_SERVER = [
    ["deploy", str(FUNCTIONS / "echo"), "--name", "x"],
    ["invoke", "x"],
    ["invoke", "x", "--async"],
    ["logs", "x"],
    ["functions", "list"],
    ["functions", "get", "x"],
    ["functions", "delete", "x"],
    ["publish", "x"],
    ["alias", "create", "x", "live", "--version", "1"],
    ["alias", "update", "x", "live", "--version", "1"],
    ["alias", "list", "x"],
    ["alias", "delete", "x", "live"],
    ["dlq", "list"],
    ["dlq", "redrive", "--all"],
    ["stats", "x"],
    ["metrics", "x"],
    ["traces"],
    ["traces", "1-00000000-000000000000000000000000"],
]


def one_error_line(out: subprocess.CompletedProcess[str], *wanted: str) -> str:
    """The single ``error: ...`` line of a failed command, holding ``wanted``."""
    assert out.returncode != 0, out.stdout + out.stderr
    assert "Traceback" not in out.stderr + out.stdout, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    for text in wanted:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", NEEDS_SERVER, ids=" ".join)
def test_server_not_running(command: list[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    out = cli(*command, "--endpoint", url)
    one_error_line(out, f"cannot reach {url}", "Connection refused", "snaplambda serve")
    assert out.returncode == 1 and out.stdout == ""


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_port_in_use(command: str, taken_port: int, tmp_path: Path) -> None:
    out = cli(command, "--port", str(taken_port), "--state-dir", str(tmp_path / "s"))
    one_error_line(out, f"cannot listen on 127.0.0.1:{taken_port}", "Address already in use")
    assert "serving on" not in out.stdout + out.stderr
    assert not (tmp_path / "s").exists()


def test_deploy_wants_a_directory_or_a_zip(server: Server, tmp_path: Path) -> None:
    ep = ["--endpoint", server.endpoint]
    text = tmp_path / "notes.txt"
    text.write_text("not code")
    one_error_line(cli("deploy", str(text), *ep), "notes.txt is not a zip file")
    one_error_line(cli("deploy", str(tmp_path / "gone"), *ep), "No directory or zip file")
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(b"PK\x03\x04 and then nothing")
    one_error_line(cli("deploy", str(truncated), *ep), "truncated.zip is not a zip file")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", "def handler(e, c):\n    return 1\n")
    damaged = bytearray(buf.getvalue())
    damaged[damaged.index(b"return 1")] ^= 0x20
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(bytes(damaged))
    one_error_line(cli("deploy", str(corrupt), *ep), "corrupt.zip is a damaged zip", "app.py")


def test_bad_payloads(server: Server, tmp_path: Path) -> None:
    ep = ["--endpoint", server.endpoint]
    assert cli("deploy", str(FUNCTIONS / "echo"), "--name", "cli-bad-json", *ep).returncode == 0
    one_error_line(
        cli("invoke", "cli-bad-json", "--payload", "{nope", *ep),
        "the payload from --payload is not JSON",
    )
    broken = tmp_path / "event.json"
    broken.write_text("[1, 2")
    one_error_line(
        cli("invoke", "cli-bad-json", "--payload", f"@{broken}", *ep),
        f"the payload from {broken} is not JSON",
    )
    one_error_line(
        cli("invoke", "cli-bad-json", "--payload", f"@{tmp_path / 'missing.json'}", *ep),
        "cannot read the payload file",
        "No such file",
    )
    one_error_line(
        cli("invoke", "cli-bad-json", "--payload", "-", *ep, stdin="hello"),
        "the payload from stdin is not JSON",
    )


@pytest.mark.parametrize(
    "command",
    [
        ["invoke", "cli-nobody"],
        ["functions", "get", "cli-nobody"],
        ["functions", "delete", "cli-nobody"],
        ["publish", "cli-nobody"],
        ["alias", "list", "cli-nobody"],
        ["stats", "cli-nobody"],
    ],
    ids=" ".join,
)
def test_unknown_function(server: Server, command: list[str]) -> None:
    out = cli(*command, "--endpoint", server.endpoint)
    one_error_line(out, "ResourceNotFoundException: Function not found:", "cli-nobody")
