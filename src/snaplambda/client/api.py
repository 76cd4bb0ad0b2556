"""A small client of a running ``snaplambda serve`` for the CLI (Lambda's REST API
and the Logs JSON protocol over httpx)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from botocore.credentials import Credentials

from .signing import SigV4Signer, find_credentials


class ClientError(Exception):
    """The server answered with an AWS error."""

    def __init__(self, status: int, aws_type: str, message: str) -> None:
        super().__init__(f"{aws_type}: {message}")
        self.status = status
        self.aws_type = aws_type
        self.message = message


@dataclass(frozen=True)
class InvokeResponse:
    status: int
    payload: bytes
    function_error: str | None
    executed_version: str | None
    log: str
    request_id: str = ""


class Client:
    """Synchronous client; one connection pool per instance."""

    def __init__(
        self, endpoint: str, timeout: float = 960.0, key: tuple[str, str] | None = None
    ) -> None:
        """``key`` (access key id, secret) signs the requests; without it the
        credentials are looked for as :func:`.signing.find_credentials` says."""
        credentials = Credentials(*key) if key is not None else find_credentials()
        auth = SigV4Signer(credentials) if credentials is not None else None
        self._http = httpx.Client(base_url=endpoint, timeout=timeout, auth=auth)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            aws_type = response.headers.get("x-amzn-errortype", "")
            try:
                body = response.json()
            except ValueError:
                body = {"message": response.text}
            aws_type = aws_type or body.get("__type", "Error")
            raise ClientError(response.status_code, aws_type, body.get("message", ""))
        return response

    def get_function(self, name: str) -> dict[str, Any] | None:
        response = self._http.get(f"/2015-03-31/functions/{name}")
        if response.status_code == 404:
            return None
        return self._check(response).json()  # type: ignore[no-any-return]

    def deploy(
        self,
        name: str,
        zipped: bytes,
        settings: dict[str, Any],
        tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Create the function (with ``tags``), or update its code and configuration."""
        encoded = base64.b64encode(zipped).decode()
        if self.get_function(name) is None:
            body = {"FunctionName": name, "Code": {"ZipFile": encoded}, **settings}
            if tags:
                body["Tags"] = tags
            return self._check(self._http.post("/2015-03-31/functions", json=body)).json()  # type: ignore[no-any-return]
        self.update_code(name, zipped)
        return self._check(  # type: ignore[no-any-return]
            self._http.put(f"/2015-03-31/functions/{name}/configuration", json=settings)
        ).json()

    def update_code(self, name: str, zipped: bytes) -> dict[str, Any]:
        """UpdateFunctionCode of ``$LATEST``."""
        body = {"ZipFile": base64.b64encode(zipped).decode()}
        response = self._http.put(f"/2015-03-31/functions/{name}/code", json=body)
        return self._check(response).json()  # type: ignore[no-any-return]

    # -- used by ``functions``, ``publish`` and ``alias`` -----------------------

    def _pages(self, path: str, key: str, params: dict[str, str] | None = None) -> list[Any]:
        """Every item of a listing that pages with ``Marker`` / ``NextMarker``."""
        items: list[Any] = []
        query = dict(params or {})
        while True:
            page = self._check(self._http.get(path, params=query)).json()
            items.extend(page.get(key) or [])
            if not page.get("NextMarker"):
                return items
            query["Marker"] = page["NextMarker"]

    def list_functions(self) -> list[dict[str, Any]]:
        """ListFunctions, all pages: each function's $LATEST configuration."""
        return self._pages("/2015-03-31/functions/", "Functions")

    def function(self, name: str, qualifier: str | None = None) -> dict[str, Any]:
        """GetFunction (the server's ResourceNotFoundException if there is none)."""
        params = {"Qualifier": qualifier} if qualifier else None
        response = self._http.get(f"/2015-03-31/functions/{name}", params=params)
        return self._check(response).json()  # type: ignore[no-any-return]

    def delete_function(
        self, name: str, qualifier: str | None = None, *, missing_ok: bool = False
    ) -> bool:
        """DeleteFunction: the function, or only the version ``qualifier``.  With
        ``missing_ok`` a function that does not exist gives False instead of the
        server's ResourceNotFoundException."""
        params = {"Qualifier": qualifier} if qualifier else None
        response = self._http.delete(f"/2015-03-31/functions/{name}", params=params)
        if missing_ok:
            return self._found(response) is not None
        self._check(response)
        return True

    def list_versions(self, name: str) -> list[dict[str, Any]]:
        """ListVersionsByFunction, all pages ($LATEST first)."""
        return self._pages(f"/2015-03-31/functions/{name}/versions", "Versions")

    def list_aliases(self, name: str) -> list[dict[str, Any]]:
        """ListAliases, all pages."""
        return self._pages(f"/2015-03-31/functions/{name}/aliases", "Aliases")

    def put_alias(self, name: str, alias: str, body: dict[str, Any]) -> dict[str, Any]:
        """UpdateAlias with exactly ``body`` (FunctionVersion, Description,
        RoutingConfig: what it leaves out stays as it is)."""
        return self._check(  # type: ignore[no-any-return]
            self._http.put(f"/2015-03-31/functions/{name}/aliases/{alias}", json=body)
        ).json()

    def delete_alias(self, name: str, alias: str, *, missing_ok: bool = False) -> bool:
        """DeleteAlias; with ``missing_ok``, False when there was no such function or
        alias instead of the server's ResourceNotFoundException."""
        response = self._http.delete(f"/2015-03-31/functions/{name}/aliases/{alias}")
        if missing_ok:
            return self._found(response) is not None
        self._check(response)
        return True

    # -- used by ``deploy`` of SAM templates -----------------------------------

    def publish_layer_version(self, layer_name: str, body: dict[str, Any]) -> dict[str, Any]:
        """PublishLayerVersion: a new version of ``layer_name``."""
        return self._check(  # type: ignore[no-any-return]
            self._http.post(f"/2018-10-31/layers/{layer_name}/versions", json=body)
        ).json()

    def latest_layer_version(self, layer_name: str) -> dict[str, Any] | None:
        """The newest version of ``layer_name`` (GetLayerVersion of the highest listed
        version, for its ``Content.CodeSha256``), or None if it has none."""
        response = self._http.get(f"/2018-10-31/layers/{layer_name}/versions")
        if response.status_code == 404 and response.headers.get("x-amzn-errortype") in (
            "ResourceNotFoundException",
            None,
        ):
            return None
        versions = self._check(response).json().get("LayerVersions") or []
        if not versions:
            return None
        newest = max(versions, key=lambda v: int(v.get("Version", 0)))
        return self._check(  # type: ignore[no-any-return]
            self._http.get(f"/2018-10-31/layers/{layer_name}/versions/{newest['Version']}")
        ).json()

    def publish_version(self, name: str, description: str | None = None) -> dict[str, Any]:
        """PublishVersion of ``name``'s $LATEST."""
        body = {"Description": description} if description is not None else {}
        return self._check(  # type: ignore[no-any-return]
            self._http.post(f"/2015-03-31/functions/{name}/versions", json=body)
        ).json()

    def get_alias(self, name: str, alias: str) -> dict[str, Any] | None:
        """GetAlias, or None if the alias does not exist."""
        response = self._http.get(f"/2015-03-31/functions/{name}/aliases/{alias}")
        if response.status_code == 404:
            return None
        return self._check(response).json()  # type: ignore[no-any-return]

    def create_alias(
        self,
        name: str,
        alias: str,
        version: str,
        description: str | None = None,
        weights: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        """CreateAlias ``alias`` of ``name`` pointing at ``version`` (and routing
        ``weights``, {version: share}, to others)."""
        body: dict[str, Any] = {"Name": alias, "FunctionVersion": version}
        if description is not None:
            body["Description"] = description
        if weights:
            body["RoutingConfig"] = {"AdditionalVersionWeights": weights}
        return self._check(  # type: ignore[no-any-return]
            self._http.post(f"/2015-03-31/functions/{name}/aliases", json=body)
        ).json()

    def update_alias(self, name: str, alias: str, version: str) -> dict[str, Any]:
        """UpdateAlias: point ``alias`` of ``name`` at ``version`` (no routing)."""
        body = {"FunctionVersion": version, "RoutingConfig": {"AdditionalVersionWeights": {}}}
        return self._check(  # type: ignore[no-any-return]
            self._http.put(f"/2015-03-31/functions/{name}/aliases/{alias}", json=body)
        ).json()

    def put_function_concurrency(self, name: str, reserved: int) -> dict[str, Any]:
        """PutFunctionConcurrency: reserve ``reserved`` executions for ``name``."""
        body = {"ReservedConcurrentExecutions": reserved}
        return self._check(  # type: ignore[no-any-return]
            self._http.put(f"/2017-10-31/functions/{name}/concurrency", json=body)
        ).json()

    def put_provisioned_concurrency(
        self, name: str, qualifier: str, executions: int
    ) -> dict[str, Any]:
        """PutProvisionedConcurrencyConfig on an alias or version."""
        response = self._http.put(
            f"/2019-09-30/functions/{name}/provisioned-concurrency",
            params={"Qualifier": qualifier},
            json={"ProvisionedConcurrentExecutions": executions},
        )
        return self._check(response).json()  # type: ignore[no-any-return]

    def delete_provisioned_concurrency(self, name: str, qualifier: str) -> bool:
        """DeleteProvisionedConcurrencyConfig; False when there was none."""
        response = self._http.delete(
            f"/2019-09-30/functions/{name}/provisioned-concurrency",
            params={"Qualifier": qualifier},
        )
        if response.status_code == 404:
            return False
        self._check(response)
        return True

    def delete_function_concurrency(self, name: str) -> None:
        """DeleteFunctionConcurrency of ``name``."""
        self._check(self._http.delete(f"/2017-10-31/functions/{name}/concurrency"))

    def put_event_invoke_config(
        self, name: str, qualifier: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """PutFunctionEventInvokeConfig of ``name:qualifier``."""
        return self._check(  # type: ignore[no-any-return]
            self._http.put(
                f"/2019-09-25/functions/{name}/event-invoke-config",
                json=body,
                params={"Qualifier": qualifier},
            )
        ).json()

    # -- used by SAM stacks (deploy and delete) ----------------------------------

    def _found(self, response: httpx.Response) -> httpx.Response | None:
        """``response``, or None when it says the resource does not exist (a missing
        route is an error, not an absent resource)."""
        if (
            response.status_code == 404
            and response.headers.get("x-amzn-errortype") == "ResourceNotFoundException"
        ):
            return None
        return self._check(response)

    def get_layer_version(self, layer_name: str, version: int) -> dict[str, Any] | None:
        """GetLayerVersion, or None if that version does not exist (any more)."""
        response = self._http.get(f"/2018-10-31/layers/{layer_name}/versions/{version}")
        found = self._found(response)
        return None if found is None else found.json()

    def delete_layer_version(self, layer_name: str, version: int) -> None:
        """DeleteLayerVersion (deleting one that is gone succeeds, as on AWS)."""
        self._check(self._http.delete(f"/2018-10-31/layers/{layer_name}/versions/{version}"))

    def list_tags(self, arn: str) -> dict[str, str]:
        """ListTags of a function ARN."""
        response = self._check(self._http.get(f"/2017-03-31/tags/{arn}"))
        return response.json().get("Tags") or {}

    def tag_resource(self, arn: str, tags: dict[str, str]) -> None:
        """TagResource: add or change ``tags``."""
        self._check(self._http.post(f"/2017-03-31/tags/{arn}", json={"Tags": tags}))

    def untag_resource(self, arn: str, keys: list[str]) -> None:
        """UntagResource: remove the tags ``keys``."""
        self._check(self._http.delete(f"/2017-03-31/tags/{arn}", params={"tagKeys": keys}))

    def get_stack(self, name: str) -> dict[str, Any] | None:
        """snaplambda's record of stack ``name`` (beyond AWS), or None."""
        found = self._found(self._http.get(f"/2026-snaplambda/stacks/{name}"))
        return None if found is None else found.json()

    def stacks_holding(self, physical_id: str) -> list[dict[str, Any]]:
        """The stack records holding ``physical_id`` (at most one)."""
        response = self._http.get(
            "/2026-snaplambda/stacks", params={"PhysicalResourceId": physical_id}
        )
        return self._check(response).json()["Stacks"]  # type: ignore[no-any-return]

    def put_stack(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """Replace stack ``name``'s record with ``Resources`` and ``Outputs``."""
        response = self._http.put(f"/2026-snaplambda/stacks/{name}", json=body)
        return self._check(response).json()  # type: ignore[no-any-return]

    def put_role_policy(self, role: str, document: dict[str, Any]) -> None:
        """Give ``role`` (an ARN or name) the policy ``document`` (beyond AWS)."""
        path = f"/2026-snaplambda/role-policies/{quote(role, safe='')}"
        self._check(self._http.put(path, json=document))

    def delete_stack(self, name: str) -> None:
        """Forget stack ``name``'s record."""
        self._check(self._http.delete(f"/2026-snaplambda/stacks/{name}"))

    def invoke(
        self,
        name: str,
        payload: bytes,
        qualifier: str | None = None,
        tail: bool = True,
        invocation_type: str = "RequestResponse",
    ) -> InvokeResponse:
        """Invoke; ``invocation_type`` Event queues it (202, no payload, no log)."""
        headers = {"X-Amz-Invocation-Type": invocation_type}
        if tail and invocation_type == "RequestResponse":
            headers["X-Amz-Log-Type"] = "Tail"
        params = {"Qualifier": qualifier} if qualifier else None
        response = self._check(
            self._http.post(
                f"/2015-03-31/functions/{name}/invocations",
                content=payload,
                headers=headers,
                params=params,
            )
        )
        log = response.headers.get("x-amz-log-result")
        return InvokeResponse(
            response.status_code,
            response.content,
            response.headers.get("x-amz-function-error"),
            response.headers.get("x-amz-executed-version"),
            base64.b64decode(log).decode("utf-8", "replace") if log else "",
            response.headers.get("x-amzn-requestid", ""),
        )

    def logs(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {
            "X-Amz-Target": f"Logs_20140328.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        }
        return self._check(self._http.post("/", json=body, headers=headers)).json()  # type: ignore[no-any-return]

    def dead_letters(self, function: str | None = None) -> list[dict[str, Any]]:
        """snaplambda's admin API: the dead-letter store of asynchronous events."""
        params = {"FunctionName": function} if function else None
        response = self._check(self._http.get("/_snaplambda/dlq", params=params))
        return response.json()["DeadLetters"]  # type: ignore[no-any-return]

    def stats(self, function: str) -> dict[str, Any]:
        """snaplambda's per-qualifier statistics of ``function`` (beyond AWS)."""
        params = {"FunctionName": function}
        response = self._check(self._http.get("/_snaplambda/stats", params=params))
        return response.json()  # type: ignore[no-any-return]

    def redrive(self, ids: list[str] | None) -> list[str]:
        """Queue dead letters again (all of them when ``ids`` is None)."""
        body: dict[str, Any] = {"All": True} if ids is None else {"Ids": ids}
        response = self._check(self._http.post("/_snaplambda/dlq/redrive", json=body))
        return response.json()["Redriven"]  # type: ignore[no-any-return]

    # -- used by ``metrics`` and ``traces`` ---------------------------------------

    def metric_series(self, function: str, params: dict[str, Any]) -> dict[str, Any]:
        """snaplambda's datapoints of one metric of ``function`` (``params``: metric,
        namespace, period, minutes, qualifier, dimension)."""
        response = self._http.get(f"/_snaplambda/metrics/{function}", params=params)
        return self._check(response).json()  # type: ignore[no-any-return]

    def traces(self, function: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """snaplambda's recent X-Ray traces (only ``function``'s when given)."""
        params: dict[str, Any] = {"limit": limit}
        if function:
            params["function"] = function
        response = self._check(self._http.get("/_snaplambda/traces", params=params))
        return response.json()["Traces"]  # type: ignore[no-any-return]

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        """One stored trace (its segments and flattened ``Timeline``), or None if there
        is no such trace."""
        response = self._http.get(f"/_snaplambda/traces/{trace_id}")
        if response.status_code == 404:
            return None
        return self._check(response).json()  # type: ignore[no-any-return]

    def events(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        """An EventBridge operation (``AWSEvents.<operation>``, JSON protocol)."""
        headers = {
            "X-Amz-Target": f"AWSEvents.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        }
        return self._check(self._http.post("/", json=body, headers=headers)).json()  # type: ignore[no-any-return]

    def put_schedule(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """EventBridge Scheduler's UpdateSchedule of ``name``, or CreateSchedule when
        there is none."""
        response = self._http.put(f"/schedules/{name}", json=body)
        if response.status_code == 404:
            response = self._http.post(f"/schedules/{name}", json=body)
        return self._check(response).json()  # type: ignore[no-any-return]

    def schedules(self) -> dict[str, Any]:
        """snaplambda's overview of every rule and schedule with its next fire."""
        return self._check(self._http.get("/_snaplambda/schedules")).json()  # type: ignore[no-any-return]
