"""A template's ``Outputs``, resolved once the deploy knows what exists.

Pure.  Besides what the plan's intrinsics already resolve (parameters, pseudo
parameters, a function's name and ``Arn``), an output may name a layer (``!Ref``:
its published version's ARN) and SAM's generated ``<Function>.Alias`` and
``<Function>.Version``.  An output naming something snaplambda does not deploy (an
API, an IAM role) is kept with the reason instead of a value: the deploy still
succeeds, as the rest of it happened.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .model import DeployPlan
from .template import Resolver, TemplateError


@dataclass(frozen=True)
class Output:
    """One output: its value, or why there is none."""

    key: str
    value: str | None
    description: str = ""
    problem: str = ""


def _text(value: Any) -> str:
    if isinstance(value, list):  # CloudFormation joins list outputs with commas
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def resolve_outputs(plan: DeployPlan, known: Mapping[str, str]) -> list[Output]:
    """Each of ``plan``'s outputs, with ``known`` (``!Ref`` names -> values, such as
    ``Lib`` or ``Fn.Alias``) added to what its intrinsics can name."""
    if plan.context is None or not plan.outputs:
        return []
    context = replace(plan.context, refs={**plan.context.refs, **known})
    resolver = Resolver(context)
    outputs: list[Output] = []
    for spec in plan.outputs:
        description = ""
        if spec.description is not None:
            try:
                description = _text(resolver.resolve(spec.description, f"Output {spec.key}"))
            except TemplateError:
                description = _text(spec.description)
        try:
            value = _text(resolver.resolve(spec.value, f"Output {spec.key}"))
        except TemplateError as exc:
            outputs.append(Output(spec.key, None, description, str(exc)))
            continue
        outputs.append(Output(spec.key, value, description))
    return outputs
