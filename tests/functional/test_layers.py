"""Lambda layers through boto3 against a real server: publishing and listing layer
versions, functions that use them (import order, ``bin/`` on PATH, shared
directories), the limits on layers and on code plus layers."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import Server, create, invoke, zip_files

ARN = "arn:aws:lambda:us-east-1:123456789012:layer:"

PROBE = """
import os, subprocess, sys

def handler(event, context):
    out = {"path": sys.path, "PATH": os.environ["PATH"],
           "LD_LIBRARY_PATH": os.environ["LD_LIBRARY_PATH"]}
    for name in event.get("modules", []):
        module = __import__(name)
        out[name] = {"who": getattr(module, "WHO", None), "file": module.__file__}
    if event.get("tool"):
        out["tool"] = subprocess.run([event["tool"]], capture_output=True, text=True).stdout
    return out
"""


def layer_zip(files: dict[str, str], executable: tuple[str, ...] = ()) -> bytes:
    """A layer zip from {path: text}; paths in ``executable`` get mode 0755."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return buf.getvalue()


def publish(lam: Any, name: str, content: bytes, **kwargs: Any) -> dict[str, Any]:
    return lam.publish_layer_version(  # type: ignore[no-any-return]
        LayerName=name, Content={"ZipFile": content}, **kwargs
    )


def test_publish_get_list_and_delete(lam: Any) -> None:
    first = publish(
        lam,
        "lay-crud",
        layer_zip({"python/m.py": "WHO = 1"}),
        Description="one",
        CompatibleRuntimes=["python3.11", "python3.12"],
        LicenseInfo="MIT",
    )
    assert first["LayerArn"] == ARN + "lay-crud"
    assert first["LayerVersionArn"] == ARN + "lay-crud:1"
    assert first["Version"] == 1 and first["Description"] == "one"
    assert first["CompatibleRuntimes"] == ["python3.11", "python3.12"]
    assert first["LicenseInfo"] == "MIT" and first["CreatedDate"]
    content = first["Content"]
    assert content["CodeSize"] > 0 and content["CodeSha256"]
    assert content["Location"].startswith("file://")
    second = publish(lam, "lay-crud", layer_zip({"python/m.py": "WHO = 2"}))
    assert second["Version"] == 2

    got = lam.get_layer_version(LayerName="lay-crud", VersionNumber=1)
    assert got["LayerVersionArn"] == first["LayerVersionArn"]
    assert got["Content"] == content
    by_arn = lam.get_layer_version_by_arn(Arn=ARN + "lay-crud:2")
    assert by_arn["Version"] == 2
    by_layer_arn = lam.get_layer_version(LayerName=ARN + "lay-crud", VersionNumber=2)
    assert by_layer_arn["Version"] == 2

    versions = lam.list_layer_versions(LayerName="lay-crud")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1], "newest first"
    filtered = lam.list_layer_versions(LayerName="lay-crud", CompatibleRuntime="python3.12")
    assert [v["Version"] for v in filtered["LayerVersions"]] == [1]
    layers = {item["LayerName"]: item for item in lam.list_layers()["Layers"]}
    assert layers["lay-crud"]["LayerArn"] == ARN + "lay-crud"
    assert layers["lay-crud"]["LatestMatchingVersion"]["Version"] == 2
    matching = {
        i["LayerName"]: i for i in lam.list_layers(CompatibleRuntime="python3.12")["Layers"]
    }
    assert matching["lay-crud"]["LatestMatchingVersion"]["Version"] == 1

    lam.delete_layer_version(LayerName="lay-crud", VersionNumber=2)
    lam.delete_layer_version(LayerName="lay-crud", VersionNumber=2)  # idempotent, as on AWS
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version(LayerName="lay-crud", VersionNumber=2)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version_by_arn(Arn=ARN + "lay-crud:2")
    third = publish(lam, "lay-crud", layer_zip({"python/m.py": "WHO = 3"}))
    assert third["Version"] == 3, "a deleted version's number is not reused"
    versions = lam.list_layer_versions(LayerName="lay-crud")["LayerVersions"]
    assert [v["Version"] for v in versions] == [3, 1]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version(LayerName="lay-never", VersionNumber=1)


def test_invalid_layer_name_and_content(lam: Any) -> None:
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        publish(lam, "lay-bad", b"not a zip")
    with pytest.raises(ClientError) as info:
        publish(lam, "bad!name", layer_zip({"python/m.py": ""}))
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert "layerName" in info.value.response["Error"]["Message"]


def test_function_sees_layers_in_order(lam: Any) -> None:
    a = publish(
        lam,
        "lay-order-a",
        layer_zip({"python/shared.py": "WHO = 'a'", "python/only_a.py": "WHO = 'only a'"}),
    )
    site = "python/lib/python3.11/site-packages"
    b = publish(
        lam,
        "lay-order-b",
        layer_zip(
            {
                f"{site}/shared.py": "WHO = 'b'",
                f"{site}/only_b.py": "WHO = 'only b'",
                "bin/layer-tool": "#!/bin/sh\necho from the layer tool\n",
            },
            executable=("bin/layer-tool",),
        ),
        CompatibleRuntimes=["python3.11"],
    )
    created = create(
        lam,
        "lay-order",
        zip_files({"app.py": PROBE}),
        Layers=[a["LayerVersionArn"], b["LayerVersionArn"]],
    )
    assert created["Layers"] == [
        {"Arn": a["LayerVersionArn"], "CodeSize": a["Content"]["CodeSize"]},
        {"Arn": b["LayerVersionArn"], "CodeSize": b["Content"]["CodeSize"]},
    ]
    assert (
        lam.get_function(FunctionName="lay-order")["Configuration"]["Layers"] == (created["Layers"])
    )
    body = invoke(
        lam,
        "lay-order",
        {"modules": ["shared", "only_a", "only_b"], "tool": "layer-tool"},
    )["Body"]
    assert body["shared"]["who"] == "a", "the first layer wins"
    assert body["only_a"]["who"] == "only a"
    assert body["only_b"]["who"] == "only b"
    assert body["only_b"]["file"].endswith(f"{site}/only_b.py")
    assert body["tool"] == "from the layer tool\n"
    a_dir = body["only_a"]["file"].rsplit("/python/", 1)[0]
    b_dir = body["only_b"]["file"].rsplit("/python/", 1)[0]
    assert body["PATH"].split(":")[-2:] == [f"{a_dir}/bin", f"{b_dir}/bin"]
    assert body["LD_LIBRARY_PATH"].split(":")[-2:] == [f"{a_dir}/lib", f"{b_dir}/lib"]
    path = body["path"]
    task = os.path.dirname(path[0]) if path[0].endswith(".zip") else path[0]
    assert path.index(task) < path.index(f"{a_dir}/python") < path.index(f"{b_dir}/{site}")

    lam.update_function_configuration(FunctionName="lay-order", Layers=[b["LayerVersionArn"]])
    body = invoke(lam, "lay-order", {"modules": ["shared"]})["Body"]
    assert body["shared"]["who"] == "b"
    updated = lam.update_function_configuration(FunctionName="lay-order", Layers=[])
    assert "Layers" not in updated
    assert "only_b" not in str(invoke(lam, "lay-order", {})["Body"]["path"])


def test_layers_are_shared_not_copied(lam: Any, server: Server) -> None:
    layer = publish(lam, "lay-shared", layer_zip({"python/common.py": "WHO = 'common'"}))
    files = []
    for name in ("lay-shared-1", "lay-shared-2"):
        create(lam, name, zip_files({"app.py": PROBE}), Layers=[layer["LayerVersionArn"]])
        files.append(invoke(lam, name, {"modules": ["common"]})["Body"]["common"]["file"])
    assert files[0] == files[1]
    store = (server.state_dir / "code").resolve()
    assert Path(files[0]).resolve().is_relative_to(store)


def test_layer_limits(lam: Any) -> None:
    arns = [
        publish(lam, f"lay-six-{i}", layer_zip({f"python/m{i}.py": ""}))["LayerVersionArn"]
        for i in range(6)
    ]
    code = zip_files({"app.py": PROBE})
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="more than 5"):
        create(lam, "lay-six", code, Layers=arns)
    create(lam, "lay-six", code, Layers=arns[:5])
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="more than 5"):
        lam.update_function_configuration(FunctionName="lay-six", Layers=arns)

    unknown = ARN + "lay-six-0:99"
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match=unknown):
        create(lam, "lay-unknown", code, Layers=[unknown])

    only_312 = publish(
        lam, "lay-312", layer_zip({"python/x.py": ""}), CompatibleRuntimes=["python3.12"]
    )["LayerVersionArn"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match=only_312):
        create(lam, "lay-incompatible", code, Layers=[only_312])
    create(lam, "lay-incompatible", code, runtime="python3.12", Layers=[only_312])


def test_code_and_layers_over_250_mb_are_refused(lam: Any) -> None:
    """Two layers with the same 128 MiB content (stored once): 256 MiB with the code."""
    block = os.urandom(1024)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for i in range(2):
            archive.writestr(f"python/big{i}.bin", block * (64 * 1024))
    content = buf.getvalue()
    assert len(content) < 5 * 1024 * 1024
    arns = [publish(lam, f"lay-big-{c}", content)["LayerVersionArn"] for c in "ab"]
    code = zip_files({"app.py": PROBE})
    create(lam, "lay-big", code, Layers=arns[:1])
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as info:
        lam.update_function_configuration(FunctionName="lay-big", Layers=arns)
    message = info.value.response["Error"]["Message"]
    total = 2 * 128 * 1024 * 1024 + len(PROBE)
    assert message == (
        "Function code combined with layers exceeds the maximum allowed size of 262144000 "
        f"bytes. The actual size is {total} bytes."
    )
    assert lam.get_function_configuration(FunctionName="lay-big")["Layers"][0]["Arn"] == arns[0]
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="262144000"):
        create(lam, "lay-big-2", code, Layers=arns)


def test_deleting_a_layer_version_keeps_functions_working(lam: Any) -> None:
    layer = publish(lam, "lay-gone", layer_zip({"python/gone.py": "WHO = 'still here'"}))
    arn = layer["LayerVersionArn"]
    create(lam, "lay-gone", zip_files({"app.py": PROBE}), Layers=[arn])
    lam.delete_layer_version(LayerName="lay-gone", VersionNumber=layer["Version"])
    # A configuration change starts new environments: they still get the layer.
    lam.update_function_configuration(FunctionName="lay-gone", Timeout=10)
    body = invoke(lam, "lay-gone", {"modules": ["gone"]})["Body"]
    assert body["gone"]["who"] == "still here"
    published = lam.publish_version(FunctionName="lay-gone")
    assert published["Layers"][0]["Arn"] == arn
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match=arn):
        create(lam, "lay-gone-new", zip_files({"app.py": PROBE}), Layers=[arn])


def test_layers_survive_a_restart(tmp_path: Path) -> None:
    server = Server(tmp_path / "state").start()
    try:
        lam = server.client()
        publish(lam, "lay-restart", layer_zip({"python/r.py": "WHO = 'r'"}))
        second = publish(lam, "lay-restart", layer_zip({"python/r.py": "WHO = 'r2'"}))
        create(lam, "lay-restart", zip_files({"app.py": PROBE}), Layers=[second["LayerVersionArn"]])
        lam.delete_layer_version(LayerName="lay-restart", VersionNumber=2)
    finally:
        server.stop()
    server = Server(tmp_path / "state").start()
    try:
        lam = server.client()
        assert [
            v["Version"] for v in lam.list_layer_versions(LayerName="lay-restart")["LayerVersions"]
        ] == [1]
        third = publish(lam, "lay-restart", layer_zip({"python/r.py": "WHO = 'r3'"}))
        assert third["Version"] == 3
        assert invoke(lam, "lay-restart", {"modules": ["r"]})["Body"]["r"]["who"] == "r2"
    finally:
        server.stop()
