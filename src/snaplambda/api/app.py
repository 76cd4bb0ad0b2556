"""The ASGI application: every API on one port.

Invoke is matched first and served by a bare handler; then the front door takes
STS and requests for AWS services snaplambda does not serve (see frontdoor.py);
everything else goes through Starlette's router.  JSON-protocol services share
``POST /`` and are told apart by ``X-Amz-Target``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import __version__
from ..platform import Platform
from . import (
    async_admin_api,
    autoscaling_api,
    cloudwatch_api,
    eventconfig_api,
    events_api,
    headers,
    lambda_api,
    layers_api,
    logs_api,
    metrics_api,
    provisioned_api,
    roles_api,
    scheduler_api,
    stacks_api,
    stats_api,
    tags_api,
    traces_api,
    versions_api,
)
from .authgate import AuthGate
from .errors import ApiError, rest_error, to_json_response
from .frontdoor import FrontDoor
from .identity import account_root
from .invoke import InvokeHandler, Receive, Scope, Send, match


async def _json_protocol(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    target = request.headers.get("x-amz-target", "")
    service, _, operation = target.partition(".")
    try:
        raw = await request.body()
        body: Any = orjson.loads(raw) if raw.strip() else {}
        if not isinstance(body, dict):
            raise ApiError("SerializationException", 400, "Body must be a JSON object")
        if service == "Logs_20140328":
            result = await logs_api.handle(platform.logs, operation, body)
        elif service == "GraniteServiceVersion20100801":  # CloudWatch
            result = await cloudwatch_api.handle(
                platform.metrics, lambda: metrics_api.sync_all(platform), operation, body
            )
        elif service == "AnyScaleFrontendService":  # Application Auto Scaling
            result = autoscaling_api.handle(platform.autoscaling, operation, body)
        elif service == "AWSEvents":  # EventBridge
            result = events_api.handle(platform.rules, operation, body)
        else:
            raise ApiError(
                "UnknownOperationException",
                400,
                f"X-Amz-Target '{target}' names no service snaplambda implements",
            )
    except orjson.JSONDecodeError as exc:
        return to_json_response(ApiError("SerializationException", 400, f"Body is not JSON: {exc}"))
    except Exception as exc:
        return to_json_response(exc)
    return Response(orjson.dumps(result), media_type="application/x-amz-json-1.1")


async def _health(request: Request) -> Response:
    platform: Platform = request.app.state.platform
    pool = platform.pool
    return JSONResponse(
        {
            "status": "ok",
            "version": __version__,
            "memoryLimiter": platform.limiter.mechanism,
            "sandbox": platform.sandbox_mechanism,
            "memoryLimits": platform.limiter.describe(),
            "environments": len(pool.environments()),
            "coldStarts": pool.stats.cold_starts,
            "warmStarts": pool.stats.warm_starts,
            "throttles": pool.stats.throttles,
            "asyncEventsQueued": platform.async_worker.queue.count(),
            "asyncEventsRunning": platform.async_worker.running,
            "snapshots": platform.snapshots.memory_report(),
            "notEnforced": platform.not_enforced(),
            "auth": platform.config.auth,
            "sdk": platform.sdk.describe(),
            "archivesBeingChecked": platform.code.checking,
        }
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return rest_error(
        "UnknownOperationException",
        404,
        f"{request.method} {request.url.path} is not an operation snaplambda implements",
    )


def build_app(platform: Platform) -> Any:
    """The ASGI app serving ``platform``; it closes the platform on shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await platform.start()
        try:
            yield
        finally:
            await platform.close()

    router = Starlette(
        routes=[
            *lambda_api.routes(platform),
            *versions_api.routes(platform),
            *layers_api.routes(platform),
            *eventconfig_api.routes(platform),
            *async_admin_api.routes(platform),
            *metrics_api.routes(platform),
            *traces_api.routes(platform),
            *provisioned_api.routes(platform),
            *stats_api.routes(platform),
            *tags_api.routes(platform),
            *stacks_api.routes(platform),
            *scheduler_api.routes(platform),
            *roles_api.routes(platform),
            Route("/", _json_protocol, methods=["POST"]),
            Route("/health", _health, methods=["GET"]),
        ],
        exception_handlers={404: _not_found, 405: _not_found},
        lifespan=lifespan,
    )
    router.state.platform = platform
    invoke = InvokeHandler(platform)
    # STS and the services snaplambda lacks; with auth on, STS reports the
    # principal the gate found (see FrontDoor).
    front_door = FrontDoor(account_root(platform.config.account_id))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            bad = headers.problem(scope)
            if bad is not None:
                head, body = headers.error_response(scope, 400, "ValidationException", bad)
                await send({"type": "http.response.start", "status": 400, "headers": head})
                await send({"type": "http.response.body", "body": body})
                return
            name = match(scope)
            if name is not None:
                await invoke(name, scope, receive, send)
                return
            if await front_door(scope, receive, send):
                return
        await router(scope, receive, send)

    if platform.keys is None:
        return app
    return AuthGate(app, platform.keys, platform.config.region)
