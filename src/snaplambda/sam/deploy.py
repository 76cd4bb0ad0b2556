"""Applying a :class:`~.model.DeployPlan` as a stack through the HTTP API.

Layers first, then each function (code and configuration, tags, version and alias,
reserved and provisioned concurrency, event invoke config); then what the stack's
previous deploy had and the template no longer has is deleted, and the stack's
record is replaced with what it holds now.  Every resource is attempted; failures
are recorded in its outcome rather than raised.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Mapping
from typing import Any

from ..client.api import Client, ClientError
from ..packaging.zipdir import read_package
from .events import deploy_events
from .model import CodeSource, DeployPlan, FunctionPlan, LayerPlan, LayerRef, Notice
from .outputs import resolve_outputs
from .report import DeployResult, Outcome
from .stacks import (
    ALIAS,
    FUNCTION,
    LAYER_VERSION,
    alias_logical_id,
    entry,
    layer_version_of,
    remove,
)

#: Server routes that other parts of the platform may not have yet.
_ROUTES = {
    "layer": "PublishLayerVersion (POST /2018-10-31/layers/{LayerName}/versions)",
    "event-invoke-config": (
        "PutFunctionEventInvokeConfig (PUT /2019-09-25/functions/{name}/event-invoke-config)"
    ),
    "layers-on-function": "function Layers (CreateFunction / UpdateFunctionConfiguration)",
}


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
    """Applies one plan with one client, given the built packages (by logical id;
    anything missing is zipped as it stands) and the stack's previous record."""

    def __init__(
        self,
        plan: DeployPlan,
        client: Client,
        artifacts: Mapping[str, tuple[bytes, str]] | None = None,
        previous: Mapping[str, Any] | None = None,
    ) -> None:
        self.plan = plan
        self.client = client
        self.artifacts = artifacts or {}
        self.previous: list[dict[str, Any]] = list((previous or {}).get("Resources") or [])
        self.layer_arns: dict[str, str] = {}
        self.known: dict[str, str] = {}  # for Outputs: Layer, Fn.Alias, Fn.Version
        self.holds: list[dict[str, Any]] = []  # the stack's resources after this deploy
        self.result = DeployResult()

    def run(self) -> DeployResult:
        for layer in self.plan.layers:
            self.result.outcomes.append(self._layer(layer))
        for function in self.plan.functions:
            self.result.outcomes.append(self._function(function))
        self._prune()
        self.result.outputs = resolve_outputs(self.plan, self.known)
        self._record()
        return self.result

    def _package(self, logical_id: str, code: CodeSource, outcome: Outcome) -> bytes:
        if logical_id in self.artifacts:
            zipped, note = self.artifacts[logical_id]
            outcome.details.append(note)
            return zipped
        return _zip(code)

    def _previous(self, logical_id: str, kind: str) -> str | None:
        for held in self.previous:
            if held["LogicalResourceId"] == logical_id and held["ResourceType"] == kind:
                return str(held["PhysicalResourceId"])
        return None

    def _held_before(self, kind: str, physical_id: str) -> bool:
        return any(
            e["ResourceType"] == kind and e["PhysicalResourceId"] == physical_id
            for e in self.previous
        )

    # -- layers ------------------------------------------------------------------

    def _same_layer(self, found: Mapping[str, Any] | None, layer: LayerPlan, sha: str) -> bool:
        return (
            found is not None
            and found.get("Content", {}).get("CodeSha256") == sha
            and found.get("Description", "") == layer.description
            and sorted(found.get("CompatibleRuntimes") or []) == sorted(layer.compatible_runtimes)
            and sorted(found.get("CompatibleArchitectures") or [])
            == sorted(layer.compatible_architectures)
            and (found.get("LicenseInfo") or None) == layer.license_info
        )

    def _unchanged_layer(self, layer: LayerPlan, sha: str) -> dict[str, Any] | None:
        """The version this deploy can keep: the stack's own current one if its
        content and settings are the same; on a stack's first deploy, the layer's
        newest version if it is the same and no stack holds it."""
        own = self._previous(layer.logical_id, LAYER_VERSION)
        if own is not None:
            name, version = layer_version_of(own)
            found = self.client.get_layer_version(name, version) if name == layer.name else None
            return found if self._same_layer(found, layer, sha) else None
        latest = self.client.latest_layer_version(layer.name)
        if (
            latest is not None
            and self._same_layer(latest, layer, sha)
            and not self.client.stacks_holding(str(latest["LayerVersionArn"]))
        ):
            return latest
        return None

    def _layer(self, layer: LayerPlan) -> Outcome:
        outcome = Outcome(layer.logical_id, "AWS::Serverless::LayerVersion", layer.name, "created")
        zipped = self._package(layer.logical_id, layer.code, outcome)
        try:
            published = self._unchanged_layer(layer, _sha256(zipped))
            if published is not None:
                outcome.status = "unchanged"
            else:
                body = layer.body(base64.b64encode(zipped).decode())
                published = self.client.publish_layer_version(layer.name, body)
        except ClientError as exc:
            if _not_implemented(exc):
                outcome.status = "pending"
                outcome.details.append(_pending("layer"))
            else:
                outcome.status = "failed"
                outcome.details.append(f"{exc.aws_type}: {exc.message}")
            own = self._previous(layer.logical_id, LAYER_VERSION)
            if own is not None:  # still the stack's
                self.holds.append(entry(layer.logical_id, LAYER_VERSION, own, layer.retain))
            return outcome
        arn = str(published["LayerVersionArn"])
        self.layer_arns[layer.logical_id] = self.known[layer.logical_id] = arn
        self.holds.append(entry(layer.logical_id, LAYER_VERSION, arn, layer.retain))
        outcome.details.append(f"version {published.get('Version')} {arn}")
        return outcome

    # -- functions ---------------------------------------------------------------

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
            if fn.role is not None and fn.role_policy is not None:
                client.put_role_policy(fn.role, fn.role_policy)
                outcome.details.append(f"role {fn.role} given the template's Policies")
            zipped = self._package(fn.logical_id, fn.code, outcome)
            existing = client.get_function(fn.name)
            if existing is not None:
                outcome.status = "updated"
                self.holds.append(entry(fn.logical_id, FUNCTION, fn.name))
                if not self._held_before(FUNCTION, fn.name):
                    outcome.details.append(
                        f"adopted: {fn.name} existed outside any stack; now stack "
                        f"{self.plan.stack_name} owns it"
                    )
            cfg = client.deploy(fn.name, zipped, fn.settings(arns), tags=fn.tags)
            if existing is None:
                self.holds.append(entry(fn.logical_id, FUNCTION, fn.name))
            applied = [layer.get("Arn") for layer in cfg.get("Layers") or []]
            if arns and applied != arns:
                outcome.status = "pending"
                outcome.details.append(_pending("layers-on-function"))
            outcome.details.append(
                f"{cfg.get('Runtime')}, {cfg.get('MemorySize')} MB, {cfg.get('Timeout')} s, "
                f"CodeSha256 {cfg.get('CodeSha256')}"
            )
            function_arn = str(cfg["FunctionArn"])
            self._tags(fn, function_arn, outcome)
            qualifier = "$LATEST"
            if fn.auto_publish_alias:
                qualifier = fn.auto_publish_alias
                self._alias(fn, function_arn, outcome)
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

    def _alias(self, fn: FunctionPlan, function_arn: str, outcome: Outcome) -> None:
        """``AutoPublishAlias``: publish $LATEST (a no-op when unchanged), point the
        alias at it, then its provisioned concurrency."""
        client = self.client
        alias = fn.auto_publish_alias
        assert alias is not None
        version = str(client.publish_version(fn.name, fn.version_description)["Version"])
        if client.get_alias(fn.name, alias) is None:
            client.create_alias(fn.name, alias, version)
        else:
            client.update_alias(fn.name, alias, version)
        alias_arn = f"{function_arn}:{alias}"
        self.holds.append(entry(alias_logical_id(fn.logical_id, alias), ALIAS, alias_arn))
        self.known[f"{fn.logical_id}.Alias"] = alias_arn
        self.known[f"{fn.logical_id}.Version"] = f"{function_arn}:{version}"
        outcome.details.append(f"version {version}, alias {alias}")
        if fn.provisioned_concurrency is not None:
            client.put_provisioned_concurrency(fn.name, alias, fn.provisioned_concurrency)
            outcome.details.append(f"provisioned concurrency {fn.provisioned_concurrency}")
        elif client.delete_provisioned_concurrency(fn.name, alias):
            outcome.details.append("provisioned concurrency removed")

    def _tags(self, fn: FunctionPlan, function_arn: str, outcome: Outcome) -> None:
        """Make the function's tags the template's: CreateFunction sent them; an
        update adds, changes and removes them with TagResource / UntagResource."""
        try:
            current = self.client.list_tags(function_arn)
        except ClientError as exc:
            if not _not_implemented(exc):
                raise
            self.result.notices.append(
                Notice(
                    fn.logical_id,
                    "Tags",
                    "not kept: this server has no ListTags / TagResource "
                    "(GET /2017-03-31/tags/{ARN}) yet; they were sent with CreateFunction",
                )
            )
            return
        changed = {k: v for k, v in fn.tags.items() if current.get(k) != v}
        stale = sorted(k for k in current if k not in fn.tags and not k.startswith("aws:"))
        if changed:
            self.client.tag_resource(function_arn, changed)
        if stale:
            self.client.untag_resource(function_arn, stale)
        outcome.details.append("tags " + ", ".join(f"{k}={v}" for k, v in sorted(fn.tags.items())))

    # -- the stack ---------------------------------------------------------------

    def _prune(self) -> None:
        """Delete what the stack held and no longer holds: functions and aliases
        gone from the template, and replaced layer versions (unless retained)."""
        kept = {(e["ResourceType"], e["PhysicalResourceId"]) for e in self.holds}
        gone = [
            e for e in self.previous if (e["ResourceType"], e["PhysicalResourceId"]) not in kept
        ]
        going = {str(e["PhysicalResourceId"]) for e in gone if e["ResourceType"] == FUNCTION}
        for resource in gone:
            outcome = remove(self.client, resource, going)
            self.result.removed.append(outcome)
            if not outcome.ok:  # still the stack's: the next deploy retries
                self.holds.append(resource)

    def _record(self) -> None:
        outputs = [
            {"OutputKey": o.key, "OutputValue": o.value, "Description": o.description}
            for o in self.result.outputs
            if o.value is not None
        ]
        try:
            self.client.put_stack(
                self.plan.stack_name, {"Resources": self.holds, "Outputs": outputs}
            )
        except ClientError as exc:
            self.result.record_error = f"{exc.aws_type}: {exc.message}"


def deploy_plan(
    plan: DeployPlan,
    client: Client,
    artifacts: Mapping[str, tuple[bytes, str]] | None = None,
    previous: Mapping[str, Any] | None = None,
) -> DeployResult:
    """Apply ``plan`` with ``client`` as stack ``plan.stack_name``, whose record
    before this deploy is ``previous`` (None for a new stack)."""
    return Deployer(plan, client, artifacts, previous).run()
