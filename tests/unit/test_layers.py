"""Layers: ARNs, validation of a function's layer list, the combined size check, the
layer service over SQLite and the code store, and what an environment sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from snaplambda.control.arns import layer_arn, parse_layer_name, parse_layer_version_arn
from snaplambda.control.errors import InvalidParameterValue, ResourceNotFound, ValidationError
from snaplambda.control.layers import LayerRepository, LayerService, check_total_size
from snaplambda.control.models import FunctionConfig
from snaplambda.control.quotas import UNZIPPED_MAX_BYTES
from snaplambda.control.validation import config_changes, validate_layers
from snaplambda.execution.runtimes import Interpreter
from snaplambda.execution.spawn import EnvironmentSpec
from snaplambda.packaging.codestore import CodeStore
from tests.support import zip_files

ARN = "arn:aws:lambda:us-east-1:123456789012:layer:"


def test_layer_arns() -> None:
    assert layer_arn("us-east-1", "123456789012", "deps") == ARN + "deps"
    assert layer_arn("us-east-1", "123456789012", "deps", 4) == ARN + "deps:4"
    assert parse_layer_version_arn(ARN + "deps:4") == ("deps", 4)
    assert parse_layer_name("deps") == "deps"
    assert parse_layer_name(ARN + "deps") == "deps"
    for bad in ("deps", ARN + "deps", ARN + "deps:x", ARN + "deps:1\n", 7, None):
        with pytest.raises(ValidationError):
            parse_layer_version_arn(bad)
    for bad_name in ("", "a b", "x" * 141, "deps\n", ARN + "deps:1", None):
        with pytest.raises(ValidationError):
            parse_layer_name(bad_name)


def test_a_function_takes_at_most_five_layers_one_version_each() -> None:
    arns = [f"{ARN}l{i}:1" for i in range(6)]
    assert validate_layers(arns[:5]) == tuple(arns[:5])
    assert validate_layers([]) == ()
    with pytest.raises(InvalidParameterValue, match="more than 5 layers"):
        validate_layers(arns)
    with pytest.raises(InvalidParameterValue, match="same layer"):
        validate_layers([ARN + "a:1", ARN + "a:2"])
    with pytest.raises(InvalidParameterValue):
        validate_layers(ARN + "a:1")
    assert config_changes({"Layers": [ARN + "a:1"]}) == {"layers": (ARN + "a:1",)}


def test_check_total_size() -> None:
    check_total_size(100, [50, 50], limit=200)
    check_total_size(UNZIPPED_MAX_BYTES, [])
    with pytest.raises(InvalidParameterValue) as info:
        check_total_size(100, [50, 51], limit=200)
    assert info.value.message == (
        "Function code combined with layers exceeds the maximum allowed size of 200 bytes. "
        "The actual size is 201 bytes."
    )
    with pytest.raises(InvalidParameterValue, match=r"262144000 bytes\. The actual size is"):
        check_total_size(UNZIPPED_MAX_BYTES, [1])


@pytest.fixture
def code(tmp_path: Path) -> CodeStore:
    return CodeStore(tmp_path / "code", max_zip=1 << 20, max_unzipped=1 << 20)


def service(tmp_path: Path, code: CodeStore) -> LayerService:
    return LayerService(LayerRepository(tmp_path / "db"), code, "us-east-1", "123456789012")


def content(files: dict[str, str]) -> dict[str, str]:
    import base64

    return {"ZipFile": base64.b64encode(zip_files(files)).decode()}


def test_publish_numbers_and_delete(tmp_path: Path, code: CodeStore) -> None:
    layers = service(tmp_path, code)
    one = layers.publish("deps", {"Content": content({"python/a.py": "x" * 10})})
    two = layers.publish(ARN + "deps", {"Content": content({"python/a.py": "y" * 20})})
    assert (one.version, two.version) == (1, 2)
    assert one.unzipped_size == 10 and two.unzipped_size == 20
    assert layers.directories([ARN + "deps:1"]) == [code.path(one.code_key)]
    layers.delete("deps", 2)
    layers.delete("deps", 2)
    layers.delete("nothing", 1)
    with pytest.raises(ResourceNotFound):
        layers.get("deps", 2)
    assert [v.version for v in layers.list_versions("deps")] == [1]
    layers.close()

    reopened = service(tmp_path, code)
    assert reopened.get("deps", 1) == one
    with pytest.raises(ResourceNotFound):
        reopened.get_by_arn(ARN + "deps:2")
    assert reopened.publish("deps", {"Content": content({"m.py": ""})}).version == 3
    assert [v.version for v in reopened.list_layers()] == [3]
    assert reopened.directories([ARN + "deps:2"]) == [code.path(two.code_key)]


def test_publish_validates(tmp_path: Path, code: CodeStore) -> None:
    layers = service(tmp_path, code)
    with pytest.raises(InvalidParameterValue, match="Content"):
        layers.publish("deps", {})
    with pytest.raises(ValidationError):
        layers.publish("bad name", {"Content": content({"m.py": ""})})
    with pytest.raises(ValidationError, match="compatibleArchitectures"):
        layers.publish(
            "deps", {"Content": content({"m.py": ""}), "CompatibleArchitectures": ["mips"]}
        )
    assert layers.list_layers() == []


def test_check_function(tmp_path: Path, code: CodeStore) -> None:
    layers = service(tmp_path, code)
    a = layers.publish("a", {"Content": content({"python/a.py": "a" * 100})})
    b = layers.publish(
        "b",
        {"Content": content({"python/b.py": "b" * 200}), "CompatibleRuntimes": ["python3.12"]},
    )
    arn_a, arn_b = ARN + "a:1", ARN + "b:1"
    assert layers.check_function([arn_a, arn_b], "python3.12", 10) == (a.code_size, b.code_size)
    with pytest.raises(InvalidParameterValue, match=f"{arn_b} is not compatible"):
        layers.check_function([arn_a, arn_b], "python3.11", 10)
    with pytest.raises(InvalidParameterValue, match=f"{ARN}a:9 does not exist"):
        layers.check_function([ARN + "a:9"], "python3.12", 10)
    with pytest.raises(InvalidParameterValue, match="The actual size is"):
        layers.check_function([arn_a], "python3.12", UNZIPPED_MAX_BYTES - 99)
    layers.delete("a", 1)
    with pytest.raises(InvalidParameterValue, match="does not exist"):
        layers.check_function([arn_a], "python3.12", 10)
    assert layers.check_function([arn_a], "python3.12", 10, kept=[arn_a]) == (a.code_size,)


def test_environment_sees_layers_in_order(tmp_path: Path) -> None:
    cfg = FunctionConfig(
        name="f", runtime="python3.12", handler="app.handler", code_key="k", code_sha256="s",
        code_size=1,
    )  # fmt: skip
    one, two = tmp_path / "one", tmp_path / "two"
    spec = EnvironmentSpec(
        env_id="e",
        config=cfg,
        interpreter=Interpreter("python3.12", "/usr/bin/python3", "3.12.0"),
        code_path=tmp_path / "task",
        runtime_dir=tmp_path / "runtime",
        scratch_dir=tmp_path / "tmp",
        log_group="/aws/lambda/f",
        log_stream="s",
        region="us-east-1",
        layer_dirs=(one, two),
    )
    env = spec.environ()
    assert env["_SNAPLAMBDA_PATHS"].split(":") == [
        str(tmp_path / "task"),
        f"{one}/python/lib/python3.12/site-packages",
        f"{one}/python",
        f"{two}/python/lib/python3.12/site-packages",
        f"{two}/python",
    ]
    assert env["PATH"].endswith(f":{one}/bin:{two}/bin")
    assert env["LD_LIBRARY_PATH"].endswith(f":{one}/lib:{two}/lib")


def test_function_config_layers_round_trip() -> None:
    cfg = FunctionConfig(
        name="f", runtime="python3.12", handler="app.handler", code_key="k", code_sha256="s",
        code_size=1, layers=(ARN + "a:1",), layer_sizes=(42,),
    )  # fmt: skip
    assert FunctionConfig.from_doc(cfg.to_doc()) == cfg
    assert cfg.to_aws("us-east-1", "123456789012")["Layers"] == [
        {"Arn": ARN + "a:1", "CodeSize": 42}
    ]
    plain = FunctionConfig(
        name="f", runtime="python3.12", handler="h.h", code_key="k", code_sha256="s", code_size=1
    )
    assert "Layers" not in plain.to_aws("us-east-1", "123456789012")
