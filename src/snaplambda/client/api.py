"""A small client of a running ``snaplambda serve`` for the CLI (Lambda's REST API
and the Logs JSON protocol over httpx)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx


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


class Client:
    """Synchronous client; one connection pool per instance."""

    def __init__(self, endpoint: str, timeout: float = 960.0) -> None:
        self._http = httpx.Client(base_url=endpoint, timeout=timeout)

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

    def deploy(self, name: str, zipped: bytes, settings: dict[str, Any]) -> dict[str, Any]:
        """Create the function, or update its code and configuration."""
        encoded = base64.b64encode(zipped).decode()
        if self.get_function(name) is None:
            body = {"FunctionName": name, "Code": {"ZipFile": encoded}, **settings}
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

    def create_alias(self, name: str, alias: str, version: str) -> dict[str, Any]:
        """CreateAlias ``alias`` of ``name`` pointing at ``version``."""
        body = {"Name": alias, "FunctionVersion": version}
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

    def invoke(
        self, name: str, payload: bytes, qualifier: str | None = None, tail: bool = True
    ) -> InvokeResponse:
        headers = {"X-Amz-Log-Type": "Tail"} if tail else {}
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

    # -- used by ``metrics`` and ``traces``, which report any httpx.HTTPError as it is:
    # an error status raises httpx.HTTPStatusError here, not ClientError ----------

    def metric_series(self, function: str, params: dict[str, Any]) -> dict[str, Any]:
        """snaplambda's datapoints of one metric of ``function`` (``params``: metric,
        namespace, period, minutes, qualifier, dimension)."""
        response = self._http.get(f"/_snaplambda/metrics/{function}", params=params)
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def traces(self, function: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        """snaplambda's recent X-Ray traces (only ``function``'s when given)."""
        params: dict[str, Any] = {"limit": limit}
        if function:
            params["function"] = function
        response = self._http.get("/_snaplambda/traces", params=params)
        response.raise_for_status()
        return response.json()["Traces"]  # type: ignore[no-any-return]

    def trace(self, trace_id: str) -> dict[str, Any] | None:
        """One stored trace (its segments and flattened ``Timeline``), or None if there
        is no such trace."""
        response = self._http.get(f"/_snaplambda/traces/{trace_id}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

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
