"""Applying a :class:`~.model.DeployPlan` through the HTTP API, and printing what
happened: layers first, then each function (code and configuration, version and
alias, reserved concurrency, event invoke config)."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console
from rich.markup import escape

from ..client.api import Client, ClientError
from ..config import from_environ
from ..packaging.zipdir import read_package
from .events import deploy_events
from .model import CodeSource, DeployPlan, FunctionPlan, LayerPlan, LayerRef
from .plan import build_plan
from .template import TemplateError, load_template, parse_overrides

#: Server routes that other parts of the platform may not have yet.
_ROUTES = {
    "layer": "PublishLayerVersion (POST /2018-10-31/layers/{LayerName}/versions)",
    "event-invoke-config": (
        "PutFunctionEventInvokeConfig (PUT /2019-09-25/functions/{name}/event-invoke-config)"
    ),
    "layers-on-function": "function Layers (CreateFunction / UpdateFunctionConfiguration)",
}


@dataclass
class Outcome:
    """What deploying one resource did."""

    logical_id: str
    type: str
    name: str
    status: str  # created | updated | unchanged | failed | pending
    details: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status not in ("failed", "pending")


@dataclass
class DeployResult:
    """Every resource's outcome, in deployment order."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


def _pending(route: str) -> str:
    return f"pending: {_ROUTES[route]} is not implemented by this server yet"


def _not_implemented(exc: ClientError) -> bool:
    return exc.aws_type == "UnknownOperationException"


def _zip(code: CodeSource) -> bytes:
    if code.path is not None:
        return read_package(code.path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("index.py", (1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, code.inline or "")
    return buf.getvalue()


def _sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


class Deployer:
    """Applies one plan with one client."""

    def __init__(self, plan: DeployPlan, client: Client) -> None:
        self.plan = plan
        self.client = client
        self.layer_arns: dict[str, str] = {}
        self.result = DeployResult()

    def run(self) -> DeployResult:
        for layer in self.plan.layers:
            self.result.outcomes.append(self._layer(layer))
        for function in self.plan.functions:
            self.result.outcomes.append(self._function(function))
        return self.result

    def _layer(self, layer: LayerPlan) -> Outcome:
        outcome = Outcome(layer.logical_id, "AWS::Serverless::LayerVersion", layer.name, "created")
        zipped = _zip(layer.code)
        body = layer.body(base64.b64encode(zipped).decode())
        try:
            latest = self.client.latest_layer_version(layer.name)
            if (
                latest is not None
                and latest.get("Content", {}).get("CodeSha256") == _sha256(zipped)
                and latest.get("Description", "") == layer.description
                and sorted(latest.get("CompatibleRuntimes") or [])
                == sorted(layer.compatible_runtimes)
            ):
                published = latest
                outcome.status = "unchanged"
            else:
                published = self.client.publish_layer_version(layer.name, body)
        except ClientError as exc:
            if _not_implemented(exc):
                outcome.status = "pending"
                outcome.details.append(_pending("layer"))
            else:
                outcome.status = "failed"
                outcome.details.append(f"{exc.aws_type}: {exc.message}")
            return outcome
        arn = str(published["LayerVersionArn"])
        self.layer_arns[layer.logical_id] = arn
        outcome.details.append(f"version {published.get('Version')} {arn}")
        return outcome

    def _function(self, fn: FunctionPlan) -> Outcome:
        outcome = Outcome(fn.logical_id, "AWS::Serverless::Function", fn.name, "created")
        arns: list[str] = []
        for spec in fn.layers:
            if isinstance(spec, LayerRef):
                if spec.logical_id not in self.layer_arns:
                    outcome.status = "failed"
                    outcome.details.append(
                        f"not deployed: its layer {spec.logical_id} was not published"
                    )
                    return outcome
                arns.append(self.layer_arns[spec.logical_id])
            else:
                arns.append(spec)
        client = self.client
        try:
            existing = client.get_function(fn.name)
            if existing is not None:
                outcome.status = "updated"
            cfg = client.deploy(fn.name, _zip(fn.code), fn.settings(arns))
            applied = [layer.get("Arn") for layer in cfg.get("Layers") or []]
            if arns and applied != arns:
                outcome.status = "pending"
                outcome.details.append(_pending("layers-on-function"))
            outcome.details.append(
                f"{cfg.get('Runtime')}, {cfg.get('MemorySize')} MB, {cfg.get('Timeout')} s, "
                f"CodeSha256 {cfg.get('CodeSha256')}"
            )
            qualifier = "$LATEST"
            if fn.auto_publish_alias:
                qualifier = fn.auto_publish_alias
                version = str(client.publish_version(fn.name)["Version"])
                if client.get_alias(fn.name, fn.auto_publish_alias) is None:
                    client.create_alias(fn.name, fn.auto_publish_alias, version)
                else:
                    client.update_alias(fn.name, fn.auto_publish_alias, version)
                outcome.details.append(f"version {version}, alias {fn.auto_publish_alias}")
                if fn.provisioned_concurrency is not None:
                    client.put_provisioned_concurrency(
                        fn.name, fn.auto_publish_alias, fn.provisioned_concurrency
                    )
                    outcome.details.append(f"provisioned concurrency {fn.provisioned_concurrency}")
                elif client.delete_provisioned_concurrency(fn.name, fn.auto_publish_alias):
                    outcome.details.append("provisioned concurrency removed")
            if fn.snap_start == "PublishedVersions":
                outcome.details.append("SnapStart on published versions")
            if fn.reserved_concurrency is not None:
                client.put_function_concurrency(fn.name, fn.reserved_concurrency)
                outcome.details.append(f"reserved concurrency {fn.reserved_concurrency}")
            elif existing is not None and "Concurrency" in existing:
                client.delete_function_concurrency(fn.name)
                outcome.details.append("reserved concurrency removed")
        except ClientError as exc:
            outcome.status = "failed"
            outcome.details.append(f"{exc.aws_type}: {exc.message}")
            return outcome
        if fn.event_invoke_config is not None:
            try:
                client.put_event_invoke_config(fn.name, qualifier, fn.event_invoke_config.body())
                outcome.details.append(f"event invoke config on {qualifier}")
            except ClientError as exc:
                outcome.status = "pending" if _not_implemented(exc) else "failed"
                outcome.details.append(
                    f"EventInvokeConfig {_pending('event-invoke-config')}"
                    if _not_implemented(exc)
                    else f"EventInvokeConfig: {exc.aws_type}: {exc.message}"
                )
        try:
            outcome.details.extend(deploy_events(client, fn.schedules))
        except ClientError as exc:
            outcome.status = "failed"
            outcome.details.append(f"{exc.aws_type}: {exc.message}")
        return outcome


_STYLE = {
    "created": "green",
    "updated": "green",
    "unchanged": "dim",
    "failed": "red",
    "pending": "yellow",
}


def print_summary(plan: DeployPlan, result: DeployResult, console: Console) -> None:
    """One line per deployed resource (its details indented below), then what was
    skipped and what was read but not applied."""
    console.print(
        f"[bold]stack {escape(plan.stack_name)}[/bold] ({escape(str(plan.template))})",
        highlight=False,
        soft_wrap=True,
    )
    for o in result.outcomes:
        style = _STYLE.get(o.status, "")
        console.print(
            f"  [{style}]{o.status:<9}[/{style}] [bold]{escape(o.logical_id)}[/bold] "
            f"({o.type}) {escape(o.name)}",
            highlight=False,
            soft_wrap=True,
        )
        for detail in o.details:
            console.print(f"              {escape(detail)}", highlight=False, soft_wrap=True)
    for s in plan.skipped:
        console.print(
            f"  [yellow]skipped[/yellow]   {escape(s.logical_id)} ({escape(s.type)}): "
            f"{escape(s.reason)}",
            highlight=False,
            soft_wrap=True,
        )
    for n in plan.notices:
        console.print(
            f"  [yellow]not applied[/yellow] {escape(n.logical_id)} {escape(n.property)}: "
            f"{escape(n.message)}",
            highlight=False,
            soft_wrap=True,
        )
    done = sum(1 for o in result.outcomes if o.ok)
    console.print(
        f"{done} of {len(result.outcomes)} resources deployed, {len(plan.skipped)} skipped, "
        f"{len(plan.notices)} properties not applied",
        highlight=False,
    )


def deploy_plan(plan: DeployPlan, client: Client) -> DeployResult:
    """Apply ``plan`` with ``client``; every resource is attempted, failures are
    recorded in its outcome rather than raised."""
    return Deployer(plan, client).run()


def deploy_template(
    template_path: Path,
    overrides: list[str],
    stack_name: str | None,
    endpoint: str,
    console: Console,
    err: Console,
) -> int:
    """``snaplambda deploy template.yaml``: load, plan, apply, print.  Returns the
    exit status (0 when every resource was deployed)."""
    try:
        template = load_template(template_path)
        plan = build_plan(
            template,
            template_path,
            parse_overrides(overrides),
            stack_name,
            region=from_environ().region,
            account_id=from_environ().account_id,
        )
    except TemplateError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 1
    try:
        with Client(endpoint) as client:
            result = deploy_plan(plan, client)
    except (OSError, httpx.TransportError) as exc:
        err.print(
            f"[red]error:[/red] cannot reach {endpoint}: {escape(str(exc))} "
            "(is `snaplambda serve` running?)",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    print_summary(plan, result, console)
    if not result.ok:
        failed = [o.logical_id for o in result.outcomes if not o.ok]
        err.print(
            f"[red]error:[/red] not deployed: {', '.join(failed)} (see above)",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    return 0
