"""The runtime SDK's pure parts (Requires-Python, release keys and refusals, the
variables environments get) and its install into a cache directory."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import boto3
import pytest

from snaplambda.config import from_environ
from snaplambda.control.models import FunctionConfig
from snaplambda.execution import sdk
from snaplambda.execution.awsenv import (
    PLACEHOLDER_ACCESS_KEY_ID,
    reachable_endpoint,
    sdk_environment,
)
from snaplambda.execution.requirespython import UnknownSpecifier, admits
from snaplambda.execution.runtimes import Interpreter
from snaplambda.execution.spawn import EnvironmentSpec


@pytest.mark.parametrize(
    ("spec", "runtime", "expected"),
    [
        (None, (3, 13), True),
        ("", (3, 13), True),
        (">=3.10", (3, 11), True),
        (">= 3.10", (3, 9), False),
        (">=3.9", (3, 13), True),
        (">=2.7, !=3.0.*, !=3.1.*, !=3.2.*", (3, 12), True),
        ("!=3.0.*,!=3.1.*,!=3.2.*,>=2.7", (3, 1), False),
        (">=3.8,<3.12", (3, 11), True),
        (">=3.8,<3.12", (3, 12), False),
        ("<3.12.2", (3, 12), True),  # 3.12.0 and 3.12.1 qualify
        (">3.11", (3, 11), True),  # 3.11.1 does
        (">3.11", (3, 10), False),
        ("<=3.11", (3, 11), True),
        ("==3.12.*", (3, 12), True),
        ("==3.12.*", (3, 13), False),
        ("!=3.12.*", (3, 12), False),
        ("!=3.12.1.*", (3, 12), True),
        ("!=3.12", (3, 12), True),  # excludes 3.12.0 only
        ("==3.11", (3, 11), True),
        ("~=3.10", (3, 13), True),
        ("~=3.10", (3, 9), False),
        ("~=3.10.1", (3, 11), False),
        ("~=3.10.1", (3, 10), True),
    ],
)
def test_requires_python(spec: str | None, runtime: tuple[int, int], expected: bool) -> None:
    assert admits(spec, runtime) is expected


@pytest.mark.parametrize("spec", [">=three", ">=3.*", "===3.11", "3.11"])
def test_requires_python_refuses_what_it_cannot_read(spec: str) -> None:
    with pytest.raises(UnknownSpecifier):
        admits(spec, (3, 11))


def _release(urllib3_requires: str | None = ">=3.10") -> sdk.SdkRelease:
    return sdk.SdkRelease(
        tuple(
            sdk.Distribution(name, "1.0", urllib3_requires if name == "urllib3" else ">=3.9")
            for name in sdk.SDK_DISTRIBUTIONS
        )
    )


def test_release_key_names_versions_and_changes_with_any_of_them() -> None:
    base = _release()
    assert base.key.startswith("boto3-1.0-botocore-1.0-")
    other = sdk.SdkRelease(
        tuple(
            sdk.Distribution(d.name, "2.0" if d.name == "six" else d.version, d.requires_python)
            for d in base.distributions
        )
    )
    assert other.key != base.key and other.key.startswith("boto3-1.0-botocore-1.0-")
    assert base.version("six") == "1.0"
    with pytest.raises(KeyError):
        base.version("requests")


def test_release_refuses_runtimes_its_distributions_exclude() -> None:
    release = _release(">=3.12")
    assert release.refusal("python3.12") is None
    assert release.refusal("python3.11") == "urllib3 1.0 requires Python >=3.12"
    assert release.refusal("nodejs20.x") == "nodejs20.x is not a Python 3 runtime"
    assert "cannot read" in (_release("~3.10").refusal("python3.11") or "")


def test_installed_release_is_the_platforms_own() -> None:
    release = sdk.installed_release()
    assert isinstance(release, sdk.SdkRelease)
    assert release.version("boto3") == boto3.__version__
    assert release.version("urllib3") == importlib.metadata.version("urllib3")
    assert [d.name for d in release.distributions] == list(sdk.SDK_DISTRIBUTIONS)


def test_install_copies_only_the_sdk_read_only_once(tmp_path: Path) -> None:
    release = sdk.installed_release()
    assert isinstance(release, sdk.SdkRelease)
    first = sdk.install(tmp_path / "cache", release)
    assert first == tmp_path / "cache" / release.key
    top = {p.name for p in first.iterdir()}
    assert {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3"} <= top
    assert f"boto3-{boto3.__version__}.dist-info" in top
    # Nothing else of the platform's site-packages, no bytecode, no staging left over.
    assert not top & {"snaplambda", "httpx", "starlette", "pytest", "__pycache__"}
    assert not list(first.rglob("__pycache__"))
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [release.key]
    assert (first / "botocore" / "client.py").stat().st_mode & 0o777 == 0o444
    marker = first / "botocore" / "client.py"
    mtime = marker.stat().st_mtime_ns
    assert sdk.install(tmp_path / "cache", release) == first  # cached: not copied again
    assert marker.stat().st_mtime_ns == mtime


def test_provide_links_each_runtime_and_unlinks_when_off(tmp_path: Path) -> None:
    runtime_dir, cache = tmp_path / "runtime", tmp_path / "cache"
    status = sdk.provide(runtime_dir, cache, runtimes=("python3.11", "python3.12"))
    assert status.offered("python3.11") and status.offered("python3.12")
    assert status.directory is not None
    for runtime in ("python3.11", "python3.12"):
        link = sdk.runtime_link(runtime_dir, runtime)
        assert link.is_symlink() and link.resolve() == status.directory.resolve()
    assert status.describe()["versions"]["boto3"] == boto3.__version__  # type: ignore[index]
    off = sdk.provide(runtime_dir, cache, enabled=False, runtimes=("python3.11", "python3.12"))
    assert not off.offered("python3.11") and off.describe() == {
        "offered": False,
        "reason": "turned off (SNAPLAMBDA_SDK=0)",
    }
    assert not sdk.runtime_link(runtime_dir, "python3.11").exists()
    assert not sdk.runtime_link(runtime_dir, "python3.11").is_symlink()


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:9070"),
        ("0.0.0.0", "http://127.0.0.1:9070"),
        ("::", "http://[::1]:9070"),
        ("::1", "http://[::1]:9070"),
        ("lambda.internal", "http://lambda.internal:9070"),
    ],
)
def test_functions_reach_the_platform_through_loopback(host: str, url: str) -> None:
    assert reachable_endpoint(host, 9070) == url


def _spec(tmp_path: Path, variables: dict[str, str]) -> EnvironmentSpec:
    cfg = FunctionConfig(
        name="f", runtime="python3.12", handler="app.handler", code_key="k", code_sha256="s",
        code_size=1, environment=variables,
    )  # fmt: skip
    return EnvironmentSpec(
        env_id="e",
        config=cfg,
        interpreter=Interpreter("python3.12", "/usr/bin/python3", "3.12.0"),
        code_path=tmp_path / "task",
        runtime_dir=tmp_path / "runtime",
        scratch_dir=tmp_path / "tmp",
        log_group="/aws/lambda/f",
        log_stream="s",
        region="eu-west-1",
        extra_env=sdk_environment("0.0.0.0", 9070),
    )


def test_environment_gets_endpoint_region_and_placeholder_credentials(tmp_path: Path) -> None:
    env = _spec(tmp_path, {}).environ()
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9070"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] == PLACEHOLDER_ACCESS_KEY_ID
    assert env["AWS_SECRET_ACCESS_KEY"] and env["AWS_SESSION_TOKEN"]


def test_functions_own_endpoint_variable_wins(tmp_path: Path) -> None:
    env = _spec(tmp_path, {"AWS_ENDPOINT_URL": "http://localhost:4566"}).environ()
    assert env["AWS_ENDPOINT_URL"] == "http://localhost:4566"


def test_config_reads_sdk_settings() -> None:
    assert from_environ({}).sdk is True
    assert from_environ({"SNAPLAMBDA_SDK": "off"}).sdk is False
    assert from_environ({"XDG_CACHE_HOME": "/x"}).sdk_cache_dir == Path("/x/snaplambda/sdk")
    assert from_environ({"SNAPLAMBDA_SDK_CACHE": "/y"}).sdk_cache_dir == Path("/y")
    with pytest.raises(ValueError, match="SNAPLAMBDA_SDK"):
        from_environ({"SNAPLAMBDA_SDK": "maybe"})
