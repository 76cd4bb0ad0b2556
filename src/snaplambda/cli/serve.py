"""``snaplambda serve`` and ``snaplambda demo``: run the platform in this process."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import Config, from_environ
from .common import console, err, fail


def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to listen on.")] = None,  # noqa: UP045
    port: Annotated[Optional[int], typer.Option(help="Port for all APIs.")] = None,  # noqa: UP045
    state_dir: Annotated[Optional[Path], typer.Option(help="Where state is kept.")] = None,  # noqa: UP045
    keep_alive: Annotated[
        Optional[float], typer.Option(help="Idle seconds before an environment stops.")  # noqa: UP045
    ] = None,
    keep_alive_policy: Annotated[
        Optional[str], typer.Option(help="fixed | adaptive (learns idle times per function)")  # noqa: UP045
    ] = None,
    max_concurrency: Annotated[
        Optional[int], typer.Option(help="Platform-wide concurrent executions.")  # noqa: UP045
    ] = None,
    memory_limiter: Annotated[
        Optional[str], typer.Option(help="auto | cgroup | rlimit | off")  # noqa: UP045
    ] = None,
    sandbox: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="auto | bwrap | off: run environments in bubblewrap."),
    ] = None,
    init_timeout: Annotated[
        Optional[float], typer.Option(help="Seconds allowed for a function's init (10).")  # noqa: UP045
    ] = None,
    otlp_endpoint: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="OpenTelemetry collector (OTLP/HTTP) to export traces to."),
    ] = None,
) -> None:
    """Serve the Lambda API (and friends) on one port."""
    from ..api.server import run

    if memory_limiter not in (None, "auto", "cgroup", "rlimit", "off"):
        raise fail(f"--memory-limiter '{memory_limiter}' is not one of auto, cgroup, rlimit, off")
    if sandbox not in (None, "auto", "bwrap", "off"):
        raise fail(f"--sandbox '{sandbox}' is not one of auto, bwrap, off")
    if keep_alive_policy not in (None, "fixed", "adaptive"):
        raise fail(f"--keep-alive-policy '{keep_alive_policy}' is not one of fixed, adaptive")
    config = from_environ().with_overrides(
        host=host,
        port=port,
        state_dir=state_dir,
        keep_alive_s=keep_alive,
        keep_alive_policy=keep_alive_policy,
        max_concurrency=max_concurrency,
        memory_limiter=memory_limiter,
        sandbox=sandbox,
        init_timeout_s=init_timeout,
        otlp_endpoint=otlp_endpoint,
    )
    err.print(f"snaplambda serving on {config.endpoint} (state: {config.state_dir})")
    run(config)


def demo(
    once: Annotated[bool, typer.Option(help="Exit after the table instead of serving.")] = False,
    port: Annotated[Optional[int], typer.Option(help="Port to serve on.")] = None,  # noqa: UP045
    state_dir: Annotated[
        Optional[Path], typer.Option(help="State directory (default: a fresh temporary one).")  # noqa: UP045
    ] = None,
) -> None:
    """Start the embedded platform, deploy the example, invoke it cold and warm."""
    from ..api.server import run
    from ..platform import Platform
    from .demo import run_demo

    tmp = None
    if state_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="snaplambda-demo-")
        state_dir = Path(tmp.name)
    config: Config = from_environ().with_overrides(port=port, state_dir=state_dir)

    async def on_ready(platform: Platform) -> bool:
        err.print(f"snaplambda serving on {config.endpoint} (limits: {platform.limiter.mechanism})")
        await run_demo(platform, console)
        if not once:
            console.print(
                f"\nStill serving on {config.endpoint}: try `snaplambda invoke hello "
                f"--endpoint {config.endpoint}`. Ctrl-C to stop."
            )
        return not once

    try:
        run(config, on_ready)
    finally:
        if tmp is not None:
            tmp.cleanup()
