"""Turning a loaded SAM template into a :class:`~.model.DeployPlan`.  Pure: reads
no files beyond checking that code paths exist, talks to no server."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .events import plan_events
from .model import (
    CodeSource,
    DeployPlan,
    EventInvokeConfig,
    FunctionPlan,
    LayerPlan,
    LayerRef,
    LayerSpec,
    Notice,
    Skipped,
)
from .template import Context, Resolver, TemplateError, merge_globals, resolve_parameters

FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"

#: Function properties that are deployed.
_FUNCTION_PROPS = {
    "CodeUri",
    "InlineCode",
    "Handler",
    "Runtime",
    "MemorySize",
    "Timeout",
    "Environment",
    "Layers",
    "AutoPublishAlias",
    "ReservedConcurrentExecutions",
    "EventInvokeConfig",
    "FunctionName",
    "Description",
    "EphemeralStorage",
    "Architectures",
    "PackageType",
    "SnapStart",
    "ProvisionedConcurrencyConfig",
}
#: IAM and similar: meaningless on a single-tenant platform.
_NOT_APPLICABLE = {
    "Role",
    "Policies",
    "PermissionsBoundary",
    "RolePath",
    "AssumeRolePolicyDocument",
}
_LAYER_PROPS = {
    "ContentUri",
    "LayerName",
    "CompatibleRuntimes",
    "CompatibleArchitectures",
    "Description",
    "LicenseInfo",
}


def _where(logical_id: str, prop: str) -> str:
    return f"Resource {logical_id}, property {prop}"


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise TemplateError(f"{where}: expected an integer, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise TemplateError(f"{where}: expected an integer, not {value!r}")


def _str(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(f"{where}: expected a string, not {value!r}")


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TemplateError(f"{where}: expected a list, not {value!r}")
    return tuple(_str(v, f"{where}[{i}]") for i, v in enumerate(value))


def _code(base: Path, value: Any, where: str) -> CodeSource:
    """A ``CodeUri`` / ``ContentUri``: a directory or ``.zip`` relative to the template."""
    if isinstance(value, dict) or (isinstance(value, str) and value.startswith("s3://")):
        raise TemplateError(
            f"{where}: code in S3 ({value!r}) is not supported; point it at a local "
            "directory or .zip"
        )
    if not isinstance(value, str) or not value:
        raise TemplateError(f"{where}: expected a directory or .zip path, not {value!r}")
    path = (base / value).resolve()
    if not path.exists():
        raise TemplateError(f"{where}: no directory or .zip at {path}")
    if path.is_file() and path.suffix.lower() != ".zip":
        raise TemplateError(f"{where}: {path} is a file but not a .zip")
    return CodeSource(path=path)


class _Planner:
    def __init__(
        self,
        template: Mapping[str, Any],
        template_path: Path,
        parameters: Mapping[str, str],
        stack_name: str,
        region: str,
        account_id: str,
    ) -> None:
        self.template = template
        self.path = template_path
        self.base = template_path.parent
        self.stack_name = stack_name
        self.region = region
        self.account_id = account_id
        self.resources: dict[str, Any] = template["Resources"]
        self.ctx = Context(resolve_parameters(template, parameters), region, account_id, stack_name)
        self.resolver = Resolver(self.ctx)
        self.skipped: list[Skipped] = []
        self.notices: list[Notice] = []
        globals_ = template.get("Globals") or {}
        if not isinstance(globals_, dict):
            raise TemplateError("Globals must be a mapping")
        for section in sorted(set(globals_) - {"Function"}):
            self.notices.append(
                Notice("Globals", section, "not applied (snaplambda deploys functions and layers)")
            )
        outputs = template.get("Outputs")
        if isinstance(outputs, dict) and outputs:
            self.notices.append(
                Notice("Outputs", ", ".join(outputs), "not evaluated (no stack outputs here)")
            )
        self.function_globals: dict[str, Any] = globals_.get("Function") or {}
        if not isinstance(self.function_globals, dict):
            raise TemplateError("Globals.Function must be a mapping")

    def _props(self, logical_id: str) -> dict[str, Any]:
        resource = self.resources[logical_id]
        props = resource.get("Properties") or {}
        if not isinstance(props, dict):
            raise TemplateError(f"Resource {logical_id}: Properties must be a mapping")
        if "Condition" in resource:
            raise TemplateError(
                f"Resource {logical_id}: Condition {resource['Condition']} is not supported "
                "(snaplambda does not evaluate Conditions)"
            )
        return props

    def _resolve(self, logical_id: str, prop: str, value: Any) -> Any:
        return self.resolver.resolve(value, _where(logical_id, prop))

    def plan(self) -> DeployPlan:
        functions: dict[str, dict[str, Any]] = {}
        layers: list[str] = []
        for logical_id, resource in self.resources.items():
            kind = resource.get("Type") if isinstance(resource, dict) else None
            if kind == FUNCTION:
                functions[logical_id] = merge_globals(
                    self.function_globals, self._props(logical_id)
                )
            elif kind == LAYER:
                self._props(logical_id)
                layers.append(logical_id)
            else:
                self.skipped.append(Skipped(logical_id, str(kind), "not deployed by snaplambda"))
                self.ctx.unresolvable[logical_id] = (
                    f"it is a {kind}, which snaplambda does not deploy"
                )
        # Names first: !Ref of a function is its name, !GetAtt .Arn its ARN.
        for logical_id, props in functions.items():
            name = _str(
                self._resolve(logical_id, "FunctionName", props.get("FunctionName", logical_id)),
                _where(logical_id, "FunctionName"),
            )
            self.ctx.refs[logical_id] = name
            self.ctx.attrs[(logical_id, "Arn")] = (
                f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
            )
        for logical_id in layers:
            self.ctx.unresolvable[logical_id] = (
                "a layer's ARN is known only once it is published; refer to it from a "
                "function's Layers"
            )
        layer_plans = tuple(self._layer(lid) for lid in layers)
        function_plans = tuple(
            self._function(lid, props, set(layers)) for lid, props in functions.items()
        )
        return DeployPlan(
            stack_name=self.stack_name,
            template=self.path,
            layers=layer_plans,
            functions=function_plans,
            skipped=tuple(self.skipped),
            notices=tuple(self.notices),
        )

    def _layer(self, logical_id: str) -> LayerPlan:
        props = self._props(logical_id)
        for prop in sorted(set(props) - _LAYER_PROPS):
            self.notices.append(Notice(logical_id, prop, "not supported by snaplambda; ignored"))

        def get(prop: str, default: Any = None) -> Any:
            return self._resolve(logical_id, prop, props.get(prop, default))

        if "ContentUri" not in props:
            raise TemplateError(f"Resource {logical_id}: ContentUri is required")
        return LayerPlan(
            logical_id=logical_id,
            name=_str(get("LayerName", logical_id), _where(logical_id, "LayerName")),
            code=_code(self.base, get("ContentUri"), _where(logical_id, "ContentUri")),
            compatible_runtimes=_str_list(
                get("CompatibleRuntimes", []), _where(logical_id, "CompatibleRuntimes")
            ),
            compatible_architectures=_str_list(
                get("CompatibleArchitectures", []), _where(logical_id, "CompatibleArchitectures")
            ),
            description=_str(get("Description", ""), _where(logical_id, "Description")),
            license_info=(
                _str(get("LicenseInfo"), _where(logical_id, "LicenseInfo"))
                if "LicenseInfo" in props
                else None
            ),
        )

    def _function(self, logical_id: str, props: dict[str, Any], layers: set[str]) -> FunctionPlan:
        def where(prop: str) -> str:
            return _where(logical_id, prop)

        def get(prop: str, default: Any = None) -> Any:
            return self._resolve(logical_id, prop, props.get(prop, default))

        for prop in sorted(_NOT_APPLICABLE & set(props)):
            self.notices.append(Notice(logical_id, prop, "IAM is not modelled; ignored"))
        published = get("AutoPublishAlias")  # SAM's event sources target the alias
        target = self.ctx.attrs[(logical_id, "Arn")] + (f":{published}" if published else "")
        schedules = plan_events(
            logical_id,
            props.get("Events") or {},
            target,
            self.stack_name,
            self.account_id,
            lambda prop, value: self._resolve(logical_id, prop, value),
            lambda where, kind, reason: self.skipped.append(Skipped(where, kind, reason)),
            lambda where, prop, message: self.notices.append(Notice(where, prop, message)),
        )
        known = _FUNCTION_PROPS | _NOT_APPLICABLE | {"Events"}
        for prop in sorted(set(props) - known):
            self.notices.append(Notice(logical_id, prop, "not supported by snaplambda; ignored"))

        package = get("PackageType", "Zip")
        if package != "Zip":
            raise TemplateError(f"{where('PackageType')}: only Zip packages are supported")
        if "InlineCode" in props:
            code = CodeSource(inline=_str(get("InlineCode"), where("InlineCode")))
        else:
            code = _code(self.base, get("CodeUri", "."), where("CodeUri"))
        for required in ("Handler", "Runtime"):
            if required not in props:
                raise TemplateError(
                    f"Resource {logical_id}: {required} is required (on the function or in "
                    "Globals.Function)"
                )

        environment: dict[str, str] = {}
        env = get("Environment", {})
        if not isinstance(env, dict):
            raise TemplateError(f"{where('Environment')}: expected a mapping with Variables")
        variables = env.get("Variables") or {}
        if not isinstance(variables, dict):
            raise TemplateError(f"{where('Environment.Variables')}: expected a mapping")
        for key, value in variables.items():
            environment[str(key)] = _str(value, where(f"Environment.Variables.{key}"))

        layer_specs: list[LayerSpec] = []
        raw_layers = props.get("Layers") or []
        if not isinstance(raw_layers, list):
            raise TemplateError(f"{where('Layers')}: expected a list")
        for i, item in enumerate(raw_layers):
            ref = item.get("Ref") if isinstance(item, dict) and len(item) == 1 else None
            if isinstance(ref, str) and ref in layers:
                layer_specs.append(LayerRef(ref))
            else:
                arn = self._resolve(logical_id, f"Layers[{i}]", item)
                if not isinstance(arn, str) or not arn.startswith("arn:"):
                    raise TemplateError(
                        f"{where(f'Layers[{i}]')}: expected a layer version ARN or a !Ref to "
                        f"a LayerVersion of the template, not {arn!r}"
                    )
                layer_specs.append(arn)

        storage = get("EphemeralStorage")
        if storage is not None and not (isinstance(storage, dict) and "Size" in storage):
            raise TemplateError(f"{where('EphemeralStorage')}: expected a mapping with Size")
        alias = get("AutoPublishAlias")
        reserved = get("ReservedConcurrentExecutions")
        snap = get("SnapStart", {})
        if not isinstance(snap, dict):
            raise TemplateError(f"{where('SnapStart')}: expected a mapping with ApplyOn")
        apply_on = _str(snap.get("ApplyOn", "None"), where("SnapStart.ApplyOn"))
        provisioned = get("ProvisionedConcurrencyConfig")
        executions = None
        if provisioned is not None:
            if (
                not isinstance(provisioned, dict)
                or "ProvisionedConcurrentExecutions" not in provisioned
            ):
                raise TemplateError(
                    f"{where('ProvisionedConcurrencyConfig')}: expected a mapping with "
                    "ProvisionedConcurrentExecutions"
                )
            if not alias:
                raise TemplateError(
                    f"{where('ProvisionedConcurrencyConfig')}: needs AutoPublishAlias (SAM puts "
                    "provisioned concurrency on that alias)"
                )
            executions = _int(
                provisioned["ProvisionedConcurrentExecutions"],
                where("ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions"),
            )
        return FunctionPlan(
            logical_id=logical_id,
            name=self.ctx.refs[logical_id],
            code=code,
            handler=_str(get("Handler"), where("Handler")),
            runtime=_str(get("Runtime"), where("Runtime")),
            memory_size=_int(get("MemorySize", 128), where("MemorySize")),
            timeout=_int(get("Timeout", 3), where("Timeout")),
            environment=environment,
            layers=tuple(layer_specs),
            description=_str(get("Description", ""), where("Description")),
            ephemeral_storage=(
                _int(storage["Size"], where("EphemeralStorage.Size")) if storage else 512
            ),
            architectures=_str_list(get("Architectures", ["x86_64"]), where("Architectures")),
            auto_publish_alias=_str(alias, where("AutoPublishAlias")) if alias else None,
            snap_start=apply_on,
            provisioned_concurrency=executions,
            reserved_concurrency=(
                _int(reserved, where("ReservedConcurrentExecutions"))
                if reserved is not None
                else None
            ),
            event_invoke_config=self._event_invoke_config(logical_id, get("EventInvokeConfig")),
            schedules=schedules,
        )

    def _event_invoke_config(self, logical_id: str, value: Any) -> EventInvokeConfig | None:
        if value is None:
            return None
        where = _where(logical_id, "EventInvokeConfig")
        if not isinstance(value, dict):
            raise TemplateError(f"{where}: expected a mapping")
        for prop in sorted(
            set(value) - {"MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig"}
        ):
            self.notices.append(
                Notice(logical_id, f"EventInvokeConfig.{prop}", "not supported; ignored")
            )
        retries = value.get("MaximumRetryAttempts")
        age = value.get("MaximumEventAgeInSeconds")
        destinations = value.get("DestinationConfig") or {}
        if not isinstance(destinations, dict):
            raise TemplateError(f"{where}.DestinationConfig: expected a mapping")
        targets: dict[str, str | None] = {"OnSuccess": None, "OnFailure": None}
        for key, dest in destinations.items():
            if key not in targets:
                raise TemplateError(
                    f"{where}.DestinationConfig.{key}: expected OnSuccess or OnFailure"
                )
            if not isinstance(dest, dict) or "Destination" not in dest:
                raise TemplateError(
                    f"{where}.DestinationConfig.{key}: a Destination ARN is required "
                    "(snaplambda does not create SQS queues or SNS topics for you)"
                )
            arn = _str(dest["Destination"], f"{where}.DestinationConfig.{key}.Destination")
            if dest.get("Type") == "Lambda" and not arn.startswith("arn:"):
                arn = f"arn:aws:lambda:{self.region}:{self.account_id}:function:{arn}"
            targets[key] = arn
        return EventInvokeConfig(
            maximum_retry_attempts=(
                _int(retries, f"{where}.MaximumRetryAttempts") if retries is not None else None
            ),
            maximum_event_age_s=(
                _int(age, f"{where}.MaximumEventAgeInSeconds") if age is not None else None
            ),
            on_success=targets["OnSuccess"],
            on_failure=targets["OnFailure"],
        )


def build_plan(
    template: Mapping[str, Any],
    template_path: Path,
    parameters: Mapping[str, str] | None = None,
    stack_name: str | None = None,
    region: str = "us-east-1",
    account_id: str = "123456789012",
) -> DeployPlan:
    """The plan for ``template`` (loaded from ``template_path``, against which code
    paths are relative).  Raises :class:`TemplateError` naming the resource and
    property of anything that cannot be deployed as written."""
    stack = stack_name or template_path.resolve().parent.name
    return _Planner(template, template_path, parameters or {}, stack, region, account_id).plan()
