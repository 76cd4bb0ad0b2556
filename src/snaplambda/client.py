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
