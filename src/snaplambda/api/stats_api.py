"""snaplambda's own admin API (beyond AWS): the numbers to decide keep-alive and
provisioned concurrency with.

``GET /_snaplambda/stats?FunctionName=NAME`` answers, by qualifier the function was
invoked through (``$LATEST``, a version or an alias; idle time by version):
``Invocations``, ``ColdStarts``, ``ColdStartRate``, ``ProvisionedInvocations``,
``IdleGBSeconds`` (on-demand environments loaded but idle), and for a qualifier with
provisioned concurrency ``Provisioned``: ``Requested``, ``Allocated``,
``Utilization`` (busy share of the allocated environment time), ``SpillOvers``
(invokes that found every provisioned environment busy) and ``IdleGBSeconds``.
``KeepAlive`` shows the policy and, for ``adaptive``, its current decision.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..control.errors import InvalidParameterValue
from ..execution.keepalive import HybridHistogramKeepAlive
from ..platform import Platform
from .rest import guard, json_response


def function_stats(platform: Platform, name: str) -> dict[str, Any]:
    """The statistics document of one function."""
    platform.functions.get(name)
    pool = platform.pool
    qualifiers = pool.usage.report(name, pool.idle_gb_seconds_now(name))
    fleet = platform.fleet.stats(name)
    for config in platform.provisioned.list(name):
        counters = platform.fleet.counters(name, config.qualifier, config.requested)
        slot = fleet.get(config.qualifier)
        row = qualifiers.setdefault(
            config.qualifier,
            {"Invocations": 0, "ColdStarts": 0, "ColdStartRate": 0.0, "ProvisionedInvocations": 0},
        )
        row["Provisioned"] = {
            "Requested": counters.requested,
            "Allocated": counters.allocated,
            "Status": counters.status.value,
            "Utilization": round(slot.utilization, 4) if slot else 0.0,
            "SpillOvers": slot.spillovers if slot else 0,
            "IdleGBSeconds": round(slot.idle_gb_seconds, 3) if slot else 0.0,
        }
    policy = pool.keep_alive
    keep_alive: dict[str, Any] = {"Policy": policy.name}
    if isinstance(policy, HybridHistogramKeepAlive):
        decision = policy.decision(name)
        keep_alive.update(
            {
                "Source": decision.source,
                "KeepAliveSeconds": decision.keep_alive_s,
                "PreWarmSeconds": decision.prewarm_s,
            }
        )
    else:
        keep_alive["KeepAliveSeconds"] = policy.idle_timeout(name)
    return {"FunctionName": name, "KeepAlive": keep_alive, "Qualifiers": qualifiers}


def routes(platform: Platform) -> list[Route]:
    async def stats(request: Request) -> Response:
        name = request.query_params.get("FunctionName")
        if not name:
            raise InvalidParameterValue(
                "FunctionName is required: /_snaplambda/stats?FunctionName=NAME"
            )
        return json_response(function_stats(platform, name))

    return [Route("/_snaplambda/stats", guard(stats), methods=["GET"])]
