"""Which code the store keeps: what function versions and layer versions reference."""

from __future__ import annotations

from snaplambda.control.codegc import referenced_keys
from snaplambda.control.models import FunctionConfig

LAYER = "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"


def config(code_key: str, version: str = "$LATEST", layers: tuple[str, ...] = ()) -> FunctionConfig:
    return FunctionConfig(
        "a", "python3.11", "app.handler", code_key, "b64", 1, version, layers=layers
    )


def test_function_code_and_the_layers_they_list_are_referenced() -> None:
    functions = [
        config("k1", layers=(LAYER,)),
        config("k0", version="1"),
    ]
    asked: list[set[str]] = []

    def layer_keys(arns: set[str]) -> set[str]:
        asked.append(arns)
        return {"layer-key"}

    assert referenced_keys(functions, layer_keys) == {"k1", "k0", "layer-key"}
    assert asked == [{LAYER}]
