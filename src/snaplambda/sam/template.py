"""Loading SAM / CloudFormation templates and resolving simple intrinsic functions.

Pure: nothing here touches the network.  YAML short-form tags (``!Ref``, ``!Sub``,
``!GetAtt`` ...) are read as their long-form dicts (``{"Ref": ...}``,
``{"Fn::Sub": ...}``), so JSON and YAML templates look the same afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


class TemplateError(Exception):
    """The template cannot be deployed as written; the message names the resource
    and property."""


class _CfnLoader(yaml.SafeLoader):
    """A SafeLoader that also understands CloudFormation's short-form tags."""


def _construct(long_name: str) -> Callable[[yaml.SafeLoader, yaml.Node], dict[str, Any]]:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if long_name == "Fn::GetAtt" and isinstance(value, str):
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {long_name: value}

    return construct


_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in (
            "Sub",
            "GetAtt",
            "Join",
            "Select",
            "Split",
            "If",
            "Equals",
            "And",
            "Or",
            "Not",
            "FindInMap",
            "Base64",
            "ImportValue",
            "GetAZs",
            "Cidr",
            "Transform",
            "Length",
            "ToJsonString",
        )
    },
}
for _tag, _long in _SHORT_TAGS.items():
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_long))


def parse_template(text: str, json_format: bool = False) -> dict[str, Any]:
    """The template document in ``text`` (YAML, or JSON if ``json_format``)."""
    try:
        doc = json.loads(text) if json_format else yaml.load(text, Loader=_CfnLoader)
    except (yaml.YAMLError, ValueError) as exc:
        kind = "JSON" if json_format else "YAML"
        raise TemplateError(f"Template is not valid {kind}: {exc}") from None
    if not isinstance(doc, dict):
        raise TemplateError("Template must be a mapping with a Resources section")
    if not isinstance(doc.get("Resources"), dict) or not doc["Resources"]:
        raise TemplateError("Template has no Resources section")
    return doc


def load_template(path: Path) -> dict[str, Any]:
    """The template at ``path`` (``.json`` is read as JSON, anything else as YAML)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise TemplateError(f"Cannot read template {path}: {exc}") from exc
    return parse_template(text, json_format=path.suffix.lower() == ".json")


def parse_overrides(items: list[str]) -> dict[str, str]:
    """``--parameter-overrides`` values: ``K=V`` (several per item, space-separated)
    or SAM CLI's ``ParameterKey=K,ParameterValue=V``."""
    result: dict[str, str] = {}
    for item in items:
        for token in item.split():
            long_form = re.fullmatch(r"ParameterKey=([^,]+),ParameterValue=(.*)", token)
            if long_form:
                result[long_form.group(1)] = long_form.group(2)
                continue
            key, sep, value = token.partition("=")
            if not sep or not key:
                raise TemplateError(f"--parameter-overrides '{token}' must be KEY=VALUE")
            result[key] = value
    return result


def _scalar_text(value: Any) -> str:
    """A YAML scalar as CloudFormation turns it into a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def resolve_parameters(template: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Each template parameter's value: the override, else its ``Default``."""
    declared = template.get("Parameters") or {}
    if not isinstance(declared, dict):
        raise TemplateError("Parameters must be a mapping")
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(
            f"--parameter-overrides names {', '.join(unknown)}, which the template's "
            f"Parameters do not declare (declared: {', '.join(sorted(declared)) or 'none'})"
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(
                f"Parameter {name} has no Default; pass it with --parameter-overrides {name}=VALUE"
            )
        kind = str(spec.get("Type", "String"))
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            value = value if isinstance(value, list) else [s.strip() for s in str(value).split(",")]
        elif kind == "Number":
            try:
                float(str(value))
            except ValueError:
                raise TemplateError(f"Parameter {name} is a Number; '{value}' is not") from None
            value = str(value)
        else:
            value = _scalar_text(value)
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and value not in [str(a) for a in allowed]:
            raise TemplateError(
                f"Parameter {name} is '{value}', not one of its AllowedValues "
                f"{', '.join(str(a) for a in allowed)}"
            )
        values[name] = value
    return values


@dataclass
class Context:
    """What intrinsics can refer to.

    ``refs`` maps a logical id to what ``!Ref`` gives (a function's name);
    ``attrs`` maps (logical id, attribute) to what ``!GetAtt`` gives;
    ``unresolvable`` maps logical ids to why they cannot be referred to.
    """

    parameters: dict[str, Any]
    region: str
    account_id: str
    stack_name: str
    refs: dict[str, Any] = field(default_factory=dict)
    attrs: dict[tuple[str, str], Any] = field(default_factory=dict)
    unresolvable: dict[str, str] = field(default_factory=dict)

    def pseudo(self) -> dict[str, str]:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": "",
        }


_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


class Resolver:
    """Resolves ``Ref``, ``Fn::Sub``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Select`` and
    ``Fn::Split`` against a :class:`Context`; anything else is a :class:`TemplateError`
    naming where it was found."""

    def __init__(self, context: Context) -> None:
        self.ctx = context

    def resolve(self, value: Any, where: str) -> Any:
        """``value`` with every intrinsic in it replaced; ``where`` names its place
        (``Resource HelloFunction, property Environment``) for error messages."""
        if isinstance(value, list):
            return [self.resolve(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg, where)
            if key == "Fn::Sub":
                return self._sub(arg, where)
            if key == "Fn::GetAtt":
                return self._getatt(arg, where)
            if key == "Fn::Join":
                return self._join(arg, where)
            if key == "Fn::Select":
                return self._select(arg, where)
            if key == "Fn::Split":
                return self._split(arg, where)
            if key.startswith("Fn::") or key == "Condition":
                short = key.removeprefix("Fn::")
                raise TemplateError(
                    f"{where}: !{short} is not supported by snaplambda (supported: !Ref, !Sub, "
                    "!GetAtt, !Join, !Select, !Split)"
                )
        return {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}

    def _name(self, name: str, where: str, short: str) -> Any:
        ctx = self.ctx
        pseudo = ctx.pseudo()
        if name in pseudo:
            return pseudo[name]
        if name in ctx.parameters:
            return ctx.parameters[name]
        if name in ctx.refs:
            return ctx.refs[name]
        if name in ctx.unresolvable:
            raise TemplateError(
                f"{where}: {short} {name} cannot be resolved: {ctx.unresolvable[name]}"
            )
        raise TemplateError(
            f"{where}: {short} {name} names no parameter, pseudo parameter or resource of "
            "the template"
        )

    def _ref(self, arg: Any, where: str) -> Any:
        if not isinstance(arg, str):
            raise TemplateError(f"{where}: !Ref takes a name, not {arg!r}")
        return self._name(arg, where, "!Ref")

    def _getatt(self, arg: Any, where: str) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not (isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg)):
            raise TemplateError(f"{where}: !GetAtt takes Resource.Attribute, not {arg!r}")
        logical, attr = arg
        if (logical, attr) in self.ctx.attrs:
            return self.ctx.attrs[(logical, attr)]
        if logical in self.ctx.unresolvable:
            raise TemplateError(
                f"{where}: !GetAtt {logical}.{attr} cannot be resolved: "
                f"{self.ctx.unresolvable[logical]}"
            )
        raise TemplateError(
            f"{where}: !GetAtt {logical}.{attr} cannot be resolved (snaplambda resolves "
            "Arn of functions in the template)"
        )

    def _sub(self, arg: Any, where: str) -> str:
        variables: dict[str, Any] = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text = arg[0]
            variables = {k: self.resolve(v, f"{where}.{k}") for k, v in arg[1].items()}
        else:
            text = arg
        if not isinstance(text, str):
            raise TemplateError(f"{where}: !Sub takes a string, not {text!r}")

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1).strip()
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in variables:
                value = variables[inner]
            elif "." in inner and not inner.startswith("AWS::"):
                value = self._getatt(inner.split(".", 1), where)
            else:
                value = self._name(inner, where, "!Sub ${...}")
            if isinstance(value, list):
                raise TemplateError(f"{where}: !Sub ${{{inner}}} is a list, not a string")
            return str(value)

        return _SUB_VAR.sub(replace, text)

    def _join(self, arg: Any, where: str) -> str:
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
            raise TemplateError(f"{where}: !Join takes [delimiter, [values]]")
        items = self.resolve(arg[1], where)
        if not isinstance(items, list):
            raise TemplateError(f"{where}: !Join's second argument must be a list")
        return arg[0].join(str(i) for i in items)

    def _select(self, arg: Any, where: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            raise TemplateError(f"{where}: !Select takes [index, [values]]")
        index = self.resolve(arg[0], where)
        items = self.resolve(arg[1], where)
        try:
            return items[int(index)]
        except (ValueError, TypeError, IndexError) as exc:
            raise TemplateError(f"{where}: !Select index {index!r} is not valid: {exc}") from None

    def _split(self, arg: Any, where: str) -> list[str]:
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
            raise TemplateError(f"{where}: !Split takes [delimiter, string]")
        text = self.resolve(arg[1], where)
        if not isinstance(text, str):
            raise TemplateError(f"{where}: !Split's second argument must be a string")
        return text.split(arg[0])


def is_intrinsic(value: Any) -> bool:
    """Whether ``value`` is a one-key intrinsic function dict."""
    if isinstance(value, dict) and len(value) == 1:
        key = str(next(iter(value)))
        return key in ("Ref", "Condition") or key.startswith("Fn::")
    return False


def merge_globals(global_props: Mapping[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's ``Globals`` rules: a resource's own scalar wins, maps merge (recursively,
    the resource's keys winning), lists are the global items then the resource's."""
    merged: dict[str, Any] = dict(global_props)
    for key, value in props.items():
        base = merged.get(key)
        if (
            isinstance(base, dict)
            and isinstance(value, dict)
            and not is_intrinsic(base)
            and not is_intrinsic(value)
        ):
            merged[key] = merge_globals(base, value)
        elif isinstance(base, list) and isinstance(value, list):
            merged[key] = [*base, *value]
        else:
            merged[key] = value
    return merged


def find_template(path: Path) -> Path | None:
    """The template ``path`` names: a ``.yaml`` / ``.yml`` / ``.json`` file, or a
    directory holding ``template.yaml`` (or ``template.yml``); None otherwise."""
    if path.suffix.lower() in (".yaml", ".yml", ".json"):
        return path
    if path.is_dir():
        for name in ("template.yaml", "template.yml"):
            if (path / name).is_file():
                return path / name
    return None
