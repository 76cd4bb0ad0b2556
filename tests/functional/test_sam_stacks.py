"""SAM projects built like ``sam build`` and deployed as stacks, with the real CLI
against the session server.

``tests/sam/hello`` (the shape ``sam init`` gives a Python Hello World with
Powertools) is deployed as two stacks sharing one fresh build cache: the first
deploy runs pip once, every later build of the same requirements uses the cache.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from snaplambda.execution.runtimes import RuntimeResolver
from snaplambda.sam.build import Builder
from snaplambda.sam.model import BuildSpec
from tests.support import Server, interpreter_for, invoke

SAM = Path(__file__).parent.parent / "sam"
HELLO = SAM / "hello"


class Env:
    """The CLI's environment for this module: one build cache."""

    def __init__(self, cache: Path, server: Server) -> None:
        self.env = {**os.environ, "SNAPLAMBDA_BUILD_CACHE": str(cache)}
        self.cache = cache
        self.endpoint = server.endpoint

    def cli(self, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "snaplambda", *args, "--endpoint", self.endpoint],
            capture_output=True,
            text=True,
            timeout=600,
            env={**self.env, **extra},
            stdin=subprocess.DEVNULL,
        )

    def deploy(self, path: Path, stack: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return self.cli("deploy", str(path), "--stack-name", stack, **extra)


@pytest.fixture(scope="module")
def env(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Env:
    interpreter_for("python3.12")
    return Env(tmp_path_factory.mktemp("sam-builds"), server)


@pytest.fixture(scope="module")
def hello(env: Env) -> dict[str, subprocess.CompletedProcess[str]]:
    """``tests/sam/hello`` deployed as stacks hello-a, then hello-b."""
    return {stack: env.deploy(HELLO, stack) for stack in ("hello-a", "hello-b")}


def function_of(out: subprocess.CompletedProcess[str]) -> str:
    match = re.search(r"HelloWorldFunctionName = (\S+)", out.stdout)
    assert match, out.stdout + out.stderr
    return match.group(1)


#: pip with these finds nothing: a build that ran pip would fail.
NO_INDEX = {
    "PIP_NO_INDEX": "1",
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "PIP_EXTRA_INDEX_URL": "",
    "PIP_FIND_LINKS": "/nonexistent",
}


def test_one_template_as_two_stacks(hello: dict[str, Any], lam: Any, server: Server) -> None:
    a, b = hello["hello-a"], hello["hello-b"]
    assert a.returncode == 0, a.stdout + a.stderr
    assert b.returncode == 0, b.stdout + b.stderr
    # pip ran for the first stack only: the second build used its cache.
    assert "installing" in a.stdout and "packages installed with python3.12" in a.stdout
    assert "installing" not in b.stdout and "pip not run" in b.stdout
    name_a, name_b = function_of(a), function_of(b)
    assert re.fullmatch(r"hello-a-HelloWorldFunction-[A-Z0-9]{12}", name_a)
    assert re.fullmatch(r"hello-b-HelloWorldFunction-[A-Z0-9]{12}", name_b)
    for out, name in ((a, name_a), (b, name_b)):
        response = invoke(lam, name, {"path": "/hello"})
        assert response["Body"]["statusCode"] == 200
        body = json.loads(response["Body"]["body"])
        assert body["function"] == name and body["powertools"].startswith("3.")
        # Powertools' Logger, in JSON (LoggingConfig) with the invoke's trace (Tracing).
        lines = [json.loads(line) for line in response["Log"].splitlines() if line.startswith("{")]
        [record] = [line for line in lines if line.get("message") == "Hello world"]
        assert record["function_name"] == name and record["cold_start"] is True
        assert record["xray_trace_id"].startswith("1-")
        cfg = lam.get_function_configuration(FunctionName=name)
        assert cfg["TracingConfig"] == {"Mode": "Active"}
        assert cfg["LoggingConfig"]["LogFormat"] == "JSON"
        arn = cfg["FunctionArn"]
        assert f"HelloWorldFunction = {arn}" in out.stdout
        assert "HelloWorldApi: not available" in out.stdout
        assert "HelloWorldFunctionIamRole: not available" in out.stdout
        tags = httpx.get(f"{server.endpoint}/2017-03-31/tags/{arn}", timeout=10)
        if tags.headers.get("x-amzn-errortype") == "UnknownOperationException":
            assert "not applied HelloWorldFunction Tags: not kept" in out.stdout
        else:
            assert tags.json()["Tags"] == {"team": "greeters", "lambda:createdBy": "SAM"}
    record = httpx.get(f"{server.endpoint}/2026-snaplambda/stacks/hello-a", timeout=10).json()
    assert [r["PhysicalResourceId"] for r in record["Resources"]] == [name_a]


def test_redeploy_runs_no_pip_and_keeps_the_code(hello: dict[str, Any], env: Env, lam: Any) -> None:
    name = function_of(hello["hello-a"])
    before = lam.get_function_configuration(FunctionName=name)["CodeSha256"]
    cached = sorted(p.name for p in env.cache.iterdir())
    again = env.deploy(HELLO, "hello-a", **NO_INDEX)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "updated   HelloWorldFunction" in again.stdout and "pip not run" in again.stdout
    assert lam.get_function_configuration(FunctionName=name)["CodeSha256"] == before
    assert sorted(p.name for p in env.cache.iterdir()) == cached
    # The other stack's function is untouched by this one's redeploy.
    other = function_of(hello["hello-b"])
    assert invoke(lam, other)["Body"]["statusCode"] == 200


def test_a_stack_never_takes_over_another_stacks_function(
    hello: dict[str, Any], env: Env, lam: Any, tmp_path: Path
) -> None:
    owned = function_of(hello["hello-a"])
    before = lam.get_function_configuration(FunctionName=owned)
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return 'mine'\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Thief:\n    Type: AWS::Serverless::Function\n"
        f"    Properties: {{FunctionName: {owned}, CodeUri: fn/, Handler: app.handler, "
        "Runtime: python3.12}\n"
    )
    out = env.deploy(tmp_path, "thief")
    assert out.returncode == 1
    stderr = " ".join(out.stderr.split())
    assert f"function {owned} belongs to stack hello-a" in stderr
    assert "nothing was changed" in stderr
    after = lam.get_function_configuration(FunctionName=owned)
    assert (after["CodeSha256"], after["RevisionId"]) == (
        before["CodeSha256"],
        before["RevisionId"],
    )
    record = httpx.get(f"{env.endpoint}/2026-snaplambda/stacks/thief", timeout=10)
    assert record.status_code == 404


def _project(root: Path, functions: list[str]) -> Path:
    (root / "fn").mkdir(exist_ok=True)
    (root / "fn" / "app.py").write_text("def handler(event, context):\n    return 'ok'\n")
    resources = "".join(
        f"  {f}:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: fn/, Handler: app.handler, Runtime: python3.12, "
        "AutoPublishAlias: live}\n"
        for f in functions
    )
    outputs = "".join(f"  {f}Alias:\n    Value: !Ref {f}.Alias\n" for f in functions)
    (root / "template.yaml").write_text(f"Resources:\n{resources}Outputs:\n{outputs}")
    return root


def test_removed_resources_go_and_delete_removes_the_stack(
    env: Env, lam: Any, tmp_path: Path
) -> None:
    project = _project(tmp_path, ["Keep", "Drop"])
    first = env.deploy(project, "prune")
    assert first.returncode == 0, first.stdout + first.stderr
    names = dict(re.findall(r"created   (\w+) \(AWS::Serverless::Function\) (\S+)", first.stdout))
    assert set(names) == {"Keep", "Drop"}
    assert f"KeepAlias = arn:aws:lambda:us-east-1:123456789012:function:{names['Keep']}:live" in (
        first.stdout
    )
    _project(tmp_path, ["Keep"])
    second = env.deploy(project, "prune")
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"deleted   Drop (AWS::Lambda::Function) {names['Drop']}" in second.stdout
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=names["Drop"])
    assert lam.get_alias(FunctionName=names["Keep"], Name="live")["FunctionVersion"] == "1"

    asked = env.cli("delete", "--stack-name", "prune")  # no answer: nothing deleted
    assert asked.returncode == 1
    lam.get_function(FunctionName=names["Keep"])
    deleted = env.cli("delete", "--stack-name", "prune", "--no-prompts")
    assert deleted.returncode == 0, deleted.stdout + deleted.stderr
    assert f"deleted   Keep (AWS::Lambda::Function) {names['Keep']}" in deleted.stdout
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=names["Keep"])
    again = env.cli("delete", "--stack-name", "prune", "--no-prompts")
    assert again.returncode == 1 and "Stack prune does not exist" in again.stderr


def test_a_failed_pip_install_fails_the_deploy(env: Env, lam: Any, tmp_path: Path) -> None:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "fn" / "requirements.txt").write_text("snaplambda-no-such-package-zz==1.0\n")
    (tmp_path / "template.yaml").write_text(
        "Resources:\n  Broken:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {FunctionName: sam-broken, CodeUri: fn/, Handler: app.handler, "
        "Runtime: python3.12}\n"
    )
    out = env.deploy(tmp_path, "broken")
    assert out.returncode == 1
    assert "No matching distribution found for snaplambda-no-such-package-zz" in out.stderr
    assert "build failed: Broken: pip install -r" in " ".join(out.stderr.split())
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="sam-broken")


def test_layers_with_a_build_method(env: Env, lam: Any, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "greeting.py").write_text("WORD = 'built layer'\n")
    # The hello function's requirements: this build shares its cached install.
    (lib / "requirements.txt").write_text((HELLO / "hello_world" / "requirements.txt").read_text())
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text(
        "import greeting\nfrom aws_lambda_powertools import Logger\n\n"
        "def handler(event, context):\n    return {'word': greeting.WORD, "
        "'logger': type(Logger()).__name__}\n"
    )
    template = (
        "Resources:\n"
        "  Lib:\n    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {LayerName: sam-built-lib, ContentUri: lib/, "
        "CompatibleRuntimes: [python3.12]}\n"
        "    Metadata: {BuildMethod: python3.12}\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {FunctionName: sam-built-fn, CodeUri: fn/, Handler: app.handler, "
        "Runtime: python3.12, Layers: [!Ref Lib]}\n"
    )
    (tmp_path / "template.yaml").write_text(template)
    out = env.deploy(tmp_path, "built", **NO_INDEX)
    assert out.returncode == 0, out.stdout + out.stderr
    assert invoke(lam, "sam-built-fn")["Body"] == {"word": "built layer", "logger": "Logger"}
    # A makefile build is refused before anything is deployed, naming the resource.
    (tmp_path / "template.yaml").write_text(template.replace("python3.12}\n", "makefile}\n", 1))
    refused = env.deploy(tmp_path, "built")
    assert refused.returncode == 1
    assert "Resource Lib, Metadata BuildMethod: makefile is not supported" in " ".join(
        refused.stderr.split()
    )


def test_an_interpreter_without_pip_is_served_by_this_pip(tmp_path: Path) -> None:
    """The fall-back: this process's pip installs for the runtime's Python version
    and this machine's platform (real pip, binary wheels)."""
    python = interpreter_for("python3.12")
    code = tmp_path / "fn"
    code.mkdir()
    requirements = code / "requirements.txt"
    requirements.write_text((HELLO / "hello_world" / "requirements.txt").read_text())

    class Quiet:
        def begin(self, logical_id: str, text: str) -> None: ...
        def line(self, text: str) -> None: ...
        def end(self, text: str) -> None: ...

    builder = Builder(
        RuntimeResolver({}), tmp_path / "cache", Quiet(), pip_available=lambda _: False
    )
    built = builder.artifact("Fn", BuildSpec(code, "python3.12", requirements))
    assert "packages installed" in built.note
    [installed] = list((tmp_path / "cache").iterdir())
    check = subprocess.run(
        [python, "-c", "import aws_lambda_powertools, sys; print(sys.version_info[:2])"],
        env={"PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "(3, 12)"
