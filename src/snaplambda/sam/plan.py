"""Turning a loaded SAM template into a :class:`~.model.DeployPlan`.  Pure: reads
no files beyond checking that code paths exist, talks to no server."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .buildspec import function_build, layer_build
from .events import plan_events
from .model import (
    CodeSource,
    DeployPlan,
    FunctionPlan,
    LayerPlan,
    LayerRef,
    LayerSpec,
    Notice,
    OutputSpec,
    Skipped,
)
from .naming import default_stack_name, physical_name
from .policies import inline_policy
from .template import Context, Resolver, TemplateError, merge_globals, resolve_parameters
from .values import (
    as_int,
    as_str,
    as_str_list,
    code_path,
    event_invoke_config,
    logging_config,
    tags,
    tracing_mode,
    where_in,
)

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
    "Tracing",
    "LoggingConfig",
    "Tags",
    "Role",
    "VersionDescription",
}
#: IAM and similar: not modelled (``Policies``' simple statements are: see
#: sam/policies.py).
_NOT_APPLICABLE = {
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
    "RetentionPolicy",
}
#: The tag SAM puts on every function it creates.
CREATED_BY = {"lambda:createdBy": "SAM"}


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
        return self.resolver.resolve(value, where_in(logical_id, prop))

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
            if "FunctionName" in props:
                name = as_str(
                    self._resolve(logical_id, "FunctionName", props["FunctionName"]),
                    where_in(logical_id, "FunctionName"),
                )
            else:
                name = physical_name(self.stack_name, logical_id)
            self.ctx.refs[logical_id] = name
            self.ctx.attrs[(logical_id, "Arn")] = (
                f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"
            )
            self._implicit(
                f"{logical_id}Role", "the function's implicit IAM role; IAM is not modelled"
            )
        for logical_id in ("ServerlessRestApi", "ServerlessHttpApi"):
            self._implicit(
                logical_id, "API Gateway is not deployed by snaplambda (Api events are skipped)"
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
            outputs=self._outputs(),
            context=self.ctx,
        )

    def _implicit(self, logical_id: str, reason: str) -> None:
        """A resource SAM would generate (a role, an API): named in errors for what
        it is rather than as unknown."""
        if logical_id not in self.resources:
            self.ctx.unresolvable.setdefault(logical_id, reason)

    def _outputs(self) -> tuple[OutputSpec, ...]:
        outputs = self.template.get("Outputs") or {}
        if not isinstance(outputs, dict):
            raise TemplateError("Outputs must be a mapping")
        specs = []
        for key, output in outputs.items():
            if not isinstance(output, dict) or "Value" not in output:
                raise TemplateError(f"Output {key}: expected a mapping with a Value")
            if "Condition" in output:
                self.notices.append(
                    Notice(f"Outputs.{key}", "Condition", "not evaluated; the output is left out")
                )
                continue
            specs.append(OutputSpec(str(key), output["Value"], output.get("Description")))
        return tuple(specs)

    def _layer(self, logical_id: str) -> LayerPlan:
        props = self._props(logical_id)
        for prop in sorted(set(props) - _LAYER_PROPS):
            self.notices.append(Notice(logical_id, prop, "not supported by snaplambda; ignored"))

        def get(prop: str, default: Any = None) -> Any:
            return self._resolve(logical_id, prop, props.get(prop, default))

        if "ContentUri" not in props:
            raise TemplateError(f"Resource {logical_id}: ContentUri is required")
        code = code_path(self.base, get("ContentUri"), where_in(logical_id, "ContentUri"))
        retention = as_str(
            get("RetentionPolicy", "Delete"), where_in(logical_id, "RetentionPolicy")
        )
        if retention.lower() not in ("retain", "delete"):
            raise TemplateError(
                f"{where_in(logical_id, 'RetentionPolicy')}: '{retention}' must be Retain or Delete"
            )
        return LayerPlan(
            logical_id=logical_id,
            name=as_str(get("LayerName", logical_id), where_in(logical_id, "LayerName")),
            code=code,
            build=layer_build(
                logical_id, code, self.resources[logical_id].get("Metadata"), self.notices
            ),
            retain=retention.lower() == "retain",
            compatible_runtimes=as_str_list(
                get("CompatibleRuntimes", []), where_in(logical_id, "CompatibleRuntimes")
            ),
            compatible_architectures=as_str_list(
                get("CompatibleArchitectures", []), where_in(logical_id, "CompatibleArchitectures")
            ),
            description=as_str(get("Description", ""), where_in(logical_id, "Description")),
            license_info=(
                as_str(get("LicenseInfo"), where_in(logical_id, "LicenseInfo"))
                if "LicenseInfo" in props
                else None
            ),
        )

    def _function(self, logical_id: str, props: dict[str, Any], layers: set[str]) -> FunctionPlan:
        def where(prop: str) -> str:
            return where_in(logical_id, prop)

        def get(prop: str, default: Any = None) -> Any:
            return self._resolve(logical_id, prop, props.get(prop, default))

        for prop in sorted(_NOT_APPLICABLE & set(props) - {"Policies"}):
            self.notices.append(Notice(logical_id, prop, "IAM is not modelled; ignored"))
        role, role_policy = self._role_and_policy(logical_id, props, get)
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
            code = CodeSource(inline=as_str(get("InlineCode"), where("InlineCode")))
        else:
            code = code_path(self.base, get("CodeUri", "."), where("CodeUri"))
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
            environment[str(key)] = as_str(value, where(f"Environment.Variables.{key}"))

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
        apply_on = as_str(snap.get("ApplyOn", "None"), where("SnapStart.ApplyOn"))
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
            executions = as_int(
                provisioned["ProvisionedConcurrentExecutions"],
                where("ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions"),
            )
        runtime = as_str(get("Runtime"), where("Runtime"))
        description = get("VersionDescription")
        return FunctionPlan(
            logical_id=logical_id,
            name=self.ctx.refs[logical_id],
            code=code,
            build=function_build(
                logical_id, code, runtime, self.resources[logical_id].get("Metadata")
            ),
            handler=as_str(get("Handler"), where("Handler")),
            runtime=runtime,
            tracing=tracing_mode(get("Tracing", "PassThrough"), where("Tracing")),
            logging=logging_config(get("LoggingConfig", {}), where("LoggingConfig")),
            tags={**tags(get("Tags", {}), where("Tags")), **CREATED_BY},
            role=role,
            role_policy=role_policy,
            version_description=(
                as_str(description, where("VersionDescription"))
                if description is not None
                else None
            ),
            memory_size=as_int(get("MemorySize", 128), where("MemorySize")),
            timeout=as_int(get("Timeout", 3), where("Timeout")),
            environment=environment,
            layers=tuple(layer_specs),
            description=as_str(get("Description", ""), where("Description")),
            ephemeral_storage=(
                as_int(storage["Size"], where("EphemeralStorage.Size")) if storage else 512
            ),
            architectures=as_str_list(get("Architectures", ["x86_64"]), where("Architectures")),
            auto_publish_alias=as_str(alias, where("AutoPublishAlias")) if alias else None,
            snap_start=apply_on,
            provisioned_concurrency=executions,
            reserved_concurrency=(
                as_int(reserved, where("ReservedConcurrentExecutions"))
                if reserved is not None
                else None
            ),
            event_invoke_config=event_invoke_config(
                get("EventInvokeConfig"),
                where("EventInvokeConfig"),
                f"arn:aws:lambda:{self.region}:{self.account_id}:function:",
                lambda member: self.notices.append(
                    Notice(logical_id, f"EventInvokeConfig.{member}", "not supported; ignored")
                ),
            ),
            schedules=schedules,
        )

    def _role_and_policy(
        self, logical_id: str, props: Mapping[str, Any], get: Any
    ) -> tuple[str | None, dict[str, Any] | None]:
        """The function's role and the policy to give it: a function without
        ``Role`` whose ``Policies`` have statements snaplambda evaluates gets a role
        of its own (``<function name>-role``) with them, as SAM makes one."""
        role = self._role(logical_id, props)
        if "Policies" not in props:
            return role, None
        if role is not None:
            self.notices.append(
                Notice(logical_id, "Policies", "ignored: the function names its Role, as in SAM")
            )
            return role, None
        try:
            inline = inline_policy(get("Policies"))
        except TemplateError as exc:
            self.notices.append(Notice(logical_id, "Policies", f"not applied ({exc})"))
            return None, None
        for text in inline.not_applied:
            self.notices.append(Notice(logical_id, "Policies", f"not applied: {text}"))
        if inline.document is None:
            return None, None
        name = self.ctx.refs[logical_id]
        return f"arn:aws:iam::{self.account_id}:role/{name}-role", inline.document

    def _role(self, logical_id: str, props: Mapping[str, Any]) -> str | None:
        """``Role`` when it resolves to an ARN; a role of the template (which is not
        deployed) leaves the platform's role and is listed as not applied."""
        if "Role" not in props:
            return None
        try:
            role = self._resolve(logical_id, "Role", props["Role"])
        except TemplateError as exc:
            self.notices.append(Notice(logical_id, "Role", f"IAM is not modelled ({exc})"))
            return None
        return as_str(role, where_in(logical_id, "Role"))


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
    stack = stack_name or default_stack_name(template_path)
    return _Planner(template, template_path, parameters or {}, stack, region, account_id).plan()
