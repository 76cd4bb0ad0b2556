"""The demo: deploy the bundled example function, invoke it cold and warm, and show
Lambda's log lines and a cold-versus-warm table."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from ..client.api import Client
from ..packaging.zipdir import zip_directory
from ..platform import Platform

EXAMPLE = Path(__file__).parent.parent / "examples" / "hello"
WARM_INVOKES = 5


@dataclass(frozen=True)
class DemoRow:
    kind: str
    end_to_end_ms: float
    fields: dict[str, str]
    log: str


def report_fields(log: str) -> dict[str, str]:
    """The ``key: value`` fields of the REPORT line in a log tail."""
    for line in log.splitlines():
        if line.startswith("REPORT "):
            parts = [p for p in line.split("\t") if ": " in p]
            return dict(p.split(": ", 1) for p in parts)
    return {}


def _run_steps(endpoint: str, key: tuple[str, str] | None = None) -> list[DemoRow]:
    rows = []
    with Client(endpoint, key=key) as client:
        client.deploy(
            "hello",
            zip_directory(EXAMPLE),
            {"Runtime": "python3.11", "Handler": "app.handler", "MemorySize": 256, "Timeout": 10},
        )
        for i in range(1 + WARM_INVOKES):
            t0 = time.perf_counter()
            response = client.invoke("hello", orjson.dumps({"name": "snaplambda"}))
            elapsed = (time.perf_counter() - t0) * 1000
            kind = "cold" if i == 0 else "warm"
            rows.append(DemoRow(kind, elapsed, report_fields(response.log), response.log))
    return rows


def render(console: Console, rows: list[DemoRow]) -> None:
    console.rule("[bold]Log of the cold invocation, then the first warm one")
    for row in rows[:2]:
        console.print(row.log.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    table = Table(title="Cold versus warm")
    for column in ("#", "start", "end to end", "Duration", "Init Duration", "Max Memory Used"):
        table.add_column(column, justify="right")
    for i, row in enumerate(rows, 1):
        table.add_row(
            str(i),
            row.kind,
            f"{row.end_to_end_ms:.2f} ms",
            row.fields.get("Duration", "-"),
            row.fields.get("Init Duration", "-"),
            row.fields.get("Max Memory Used", "-"),
        )
    console.print(table)
    warm = sorted(r.end_to_end_ms for r in rows[1:])
    if warm:
        cold = rows[0].end_to_end_ms
        console.print(
            f"cold start {cold:.1f} ms end to end; warm median {warm[len(warm) // 2]:.2f} ms "
            f"({cold / max(warm[len(warm) // 2], 1e-6):.0f}x faster)"
        )


async def run_demo(platform: Platform, console: Console) -> None:
    """Drive the demo against a running server of ``platform``."""
    keys = platform.keys
    key = (keys.root.access_key_id, keys.root.secret) if keys is not None else None
    rows = await asyncio.to_thread(_run_steps, platform.config.endpoint, key)
    render(console, rows)
