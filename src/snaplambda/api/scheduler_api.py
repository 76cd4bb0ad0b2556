"""EventBridge Scheduler's REST API (2021-06-30): ``POST|GET|PUT|DELETE
/schedules/{Name}`` and ``GET /schedules``; and, beyond AWS, ``GET
/_snaplambda/schedules``: every rule and schedule with its next fire, for
``snaplambda schedules``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..platform import Platform
from .rest import guard, json_response, read_body


def _when(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def routes(platform: Platform) -> list[Route]:
    service = platform.schedules

    async def create(request: Request) -> Response:
        return json_response(service.create(request.path_params["name"], await read_body(request)))

    async def update(request: Request) -> Response:
        return json_response(service.update(request.path_params["name"], await read_body(request)))

    async def get(request: Request) -> Response:
        name = request.path_params["name"]
        return json_response(service.get(name, request.query_params.get("groupName")))

    async def delete(request: Request) -> Response:
        name = request.path_params["name"]
        return json_response(service.delete(name, request.query_params.get("groupName")))

    async def list_all(request: Request) -> Response:
        return json_response(service.list_schedules(dict(request.query_params)))

    async def overview(request: Request) -> Response:
        runner, rules = platform.schedule_runner, platform.rules
        items: list[dict[str, Any]] = []
        for name in rules.names():
            rule = rules.rule(name)
            items.append(
                {
                    "Kind": "rule",
                    "Name": name,
                    "ScheduleExpression": rule.schedule,
                    "State": rule.state,
                    "Targets": [t["Arn"] for t in rule.targets.values()],
                    "NextFire": _when(runner.next_fire(f"rule/{name}")),
                }
            )
        for name in service.names():
            doc = service.get(name, None)
            items.append(
                {
                    "Kind": "schedule",
                    "Name": name,
                    "ScheduleExpression": doc["ScheduleExpression"],
                    "Timezone": doc.get("ScheduleExpressionTimezone", "UTC"),
                    "State": doc["State"],
                    "Targets": [doc["Target"]["Arn"]],
                    "NextFire": _when(runner.next_fire(f"schedule/default/{name}")),
                }
            )
        return json_response({"Schedules": items, "FiresQueued": runner.fires})

    path = "/schedules/{name}"
    return [
        Route(path, guard(create), methods=["POST"]),
        Route(path, guard(update), methods=["PUT"]),
        Route(path, guard(get), methods=["GET"]),
        Route(path, guard(delete), methods=["DELETE"]),
        Route("/schedules", guard(list_all), methods=["GET"]),
        Route("/_snaplambda/schedules", guard(overview), methods=["GET"]),
    ]
