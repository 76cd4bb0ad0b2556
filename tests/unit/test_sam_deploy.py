"""Applying a SAM plan: routes a server does not have yet give a clear "pending"
outcome for that resource, and a failed layer stops only the functions using it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from snaplambda.client.api import ClientError
from snaplambda.sam.deploy import deploy_plan
from snaplambda.sam.model import (
    CodeSource,
    DeployPlan,
    EventInvokeConfig,
    FunctionPlan,
    LayerPlan,
    LayerRef,
)
from snaplambda.sam.report import print_summary


class NoLayersServer:
    """A client whose server has no layer or event-invoke-config routes."""

    def __init__(self) -> None:
        self.deployed: list[str] = []

    def _unknown(self, *args: Any) -> Any:
        raise ClientError(404, "UnknownOperationException", "not an operation")

    latest_layer_version = publish_layer_version = put_event_invoke_config = _unknown
    list_tags = _unknown

    def get_function(self, name: str) -> None:
        return None

    def deploy(
        self, name: str, zipped: bytes, settings: dict[str, Any], tags: dict[str, str]
    ) -> dict[str, Any]:
        self.deployed.append(name)
        return {"FunctionName": name, "FunctionArn": f"arn:{name}", "Runtime": settings["Runtime"]}

    def put_stack(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self.stack = body
        return body


def test_missing_routes_are_reported_as_pending(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("")
    code = CodeSource(path=tmp_path)
    plan = DeployPlan(
        stack_name="s",
        template=tmp_path / "template.yaml",
        layers=(LayerPlan("Lib", "lib", code),),
        functions=(
            FunctionPlan("Uses", "uses", code, "app.h", "python3.12", layers=(LayerRef("Lib"),)),
            FunctionPlan(
                "Async",
                "async",
                code,
                "app.h",
                "python3.12",
                event_invoke_config=EventInvokeConfig(maximum_retry_attempts=0),
            ),
        ),
    )
    client = NoLayersServer()
    result = deploy_plan(plan, client)  # type: ignore[arg-type]
    lib, uses, async_ = result.outcomes
    assert lib.status == "pending"
    assert "PublishLayerVersion (POST /2018-10-31/layers/{LayerName}/versions)" in lib.details[0]
    assert uses.status == "failed" and "its layer Lib was not published" in uses.details[0]
    assert async_.status == "pending" and "PutFunctionEventInvokeConfig" in async_.details[-1]
    assert client.deployed == ["async"] and not result.ok
    # The stack holds what was made: the function, not the layer that was not.
    assert [r["PhysicalResourceId"] for r in client.stack["Resources"]] == ["async"]
    console = Console(record=True, width=200)
    print_summary(plan, result, console)
    assert "0 of 3 resources deployed" in console.export_text()
