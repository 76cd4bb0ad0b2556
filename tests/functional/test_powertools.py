"""aws-lambda-powertools (from PyPI, unchanged) end to end: Logger, Tracer and
Metrics against snaplambda's JSON logs, metric store and X-Ray listener."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.pipcache import pip_target, zip_with_packages
from tests.support import Server, create, invoke

APP = """
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="shop")
tracer = Tracer(service="shop")
metrics = Metrics(namespace="ShopApp", service="shop")


@tracer.capture_method
def sell(count):
    tracer.put_annotation("count", count)
    return count * 2


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event, context):
    logger.info("selling", extra={"items": event.get("items", 1)})
    metrics.add_metric(name="ItemsSold", unit=MetricUnit.Count, value=event.get("items", 1))
    return {"total": sell(event.get("items", 1))}
"""


@pytest.fixture(scope="module")
def powertools_zip() -> bytes:
    packages = pip_target("powertools", "aws-lambda-powertools[tracer]")
    return zip_with_packages({"app.py": APP}, packages)


def _series(server: Server, name: str, **params: Any) -> dict[str, Any]:
    r = httpx.get(f"{server.endpoint}/_snaplambda/metrics/{name}", params=params, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_powertools_logger_tracer_metrics(server: Server, lam: Any, powertools_zip: bytes) -> None:
    create(
        lam,
        "pt-shop",
        powertools_zip,
        Timeout=60,
        MemorySize=256,
        TracingConfig={"Mode": "Active"},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO"},
    )
    first = invoke(lam, "pt-shop", {"items": 2})
    assert first["Body"] == {"total": 4}, first["Log"]
    second = invoke(lam, "pt-shop", {"items": 3})
    assert second["Body"] == {"total": 6}
    logged = []
    for out in (first, second):
        docs = [json.loads(line) for line in out["Log"].splitlines() if line.startswith("{")]
        start = next(d for d in docs if d.get("type") == "platform.start")
        selling = next(d for d in docs if d.get("message") == "selling")
        assert selling["function_request_id"] == start["record"]["requestId"]
        assert selling["service"] == "shop" and selling["level"] == "INFO"
        logged.append(selling["cold_start"])
        # Powertools' EMF lines stay in the log.
        assert any("_aws" in d for d in docs)
    assert logged == [True, False]

    cold = _series(
        server,
        "pt-shop",
        namespace="ShopApp",
        metric="ColdStart",
        dimension=["function_name=pt-shop", "service=shop"],
    )
    assert sum(p["sum"] for p in cold["datapoints"]) == 1
    sold = _series(
        server, "pt-shop", namespace="ShopApp", metric="ItemsSold", dimension="service=shop"
    )
    assert sum(p["sum"] for p in sold["datapoints"]) == 5

    root = first["Log"].split('"value":"Root=')[1].split(";")[0]
    trace = httpx.get(f"{server.endpoint}/_snaplambda/traces/{root}", timeout=30).json()
    names = {s["name"] for s in trace["Timeline"]}
    assert {"## handler", "## app.sell", "Initialization", "Invocation"} <= names, names
    handler_doc = next(d for d in trace["Segments"] if d["name"] == "## handler")
    assert handler_doc["annotations"]["ColdStart"] is True
    assert handler_doc["annotations"]["Service"] == "shop"
