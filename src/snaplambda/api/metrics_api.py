"""Metrics over HTTP: Prometheus text at ``GET /metrics`` and a JSON series per
function metric at ``GET /_snaplambda/metrics/{name}`` (what ``snaplambda metrics``
charts)."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..observability.metrics import NAMESPACE
from ..observability.prometheus import exposition
from ..platform import Platform
from .errors import ApiError, to_json_response
from .fields import query_int

#: The longest period and window a series may ask for: a day, and the 15 months
#: CloudWatch keeps metrics.
MAX_PERIOD_S = 86400
MAX_MINUTES = 455 * 24 * 60


def sync_all(platform: Platform) -> None:
    """Everything logged and recorded so far is counted: EMF lines go through the log
    writer first, then the metric store's thread."""
    platform.logs.sync()
    platform.metrics.sync()


def routes(platform: Platform) -> list[Route]:
    store = platform.metrics

    async def prometheus(request: Request) -> Response:
        await asyncio.to_thread(sync_all, platform)
        # Copied here: the event loop is what changes it.
        in_flight = dict(platform.pool.concurrency.in_flight)
        body = await asyncio.to_thread(exposition, store, in_flight)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def series(request: Request) -> Response:
        name = request.path_params["name"]
        q = request.query_params
        metric = q.get("metric", "Duration")
        namespace = q.get("namespace", NAMESPACE)
        try:
            period = query_int(q, "period", 60, 1, MAX_PERIOD_S)
            minutes = query_int(q, "minutes", 60, 1, MAX_MINUTES)
        except ApiError as exc:
            return to_json_response(exc)
        # Custom (EMF) metrics carry only the dimensions the function printed.
        dims = {"FunctionName": name} if namespace == NAMESPACE else {}
        if q.get("qualifier"):
            dims["Resource"] = f"{name}:{q['qualifier']}"
        for pair in q.getlist("dimension"):
            key, _, value = pair.partition("=")
            dims[key] = value
        end_ms = int(time.time() * 1000) + 1
        await asyncio.to_thread(sync_all, platform)
        points = await asyncio.to_thread(
            store.query, namespace, metric, dims, end_ms - minutes * 60_000, end_ms, period
        )
        return JSONResponse(
            {
                "namespace": namespace,
                "metric": metric,
                "dimensions": dims,
                "period": period,
                "datapoints": [
                    {
                        "timestamp": p.timestamp_ms,
                        "count": p.sample_count,
                        "sum": p.sum,
                        "average": p.average,
                        "minimum": p.minimum,
                        "maximum": p.maximum,
                        "p50": p.p50,
                        "p90": p.p90,
                        "p99": p.p99,
                        "unit": p.unit,
                    }
                    for p in points
                ],
            }
        )

    return [
        Route("/metrics", prometheus, methods=["GET"]),
        Route("/_snaplambda/metrics/{name}", series, methods=["GET"]),
    ]
