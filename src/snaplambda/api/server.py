"""Serving the APIs with uvicorn: start, serve until a signal, shut down cleanly."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import uvicorn

from ..config import Config
from ..platform import Platform
from .app import build_app
from .protocol import protocol_class

#: Bytes of request line and headers a request may have (boto3 sends about 1 KiB).
MAX_HEAD_BYTES = 32 * 1024

OnReady = Callable[[Platform], Awaitable[bool]]
"""Runs once the port accepts connections; returns whether to keep serving."""


def make_server(config: Config, platform: Platform) -> uvicorn.Server:
    uv_config = uvicorn.Config(
        build_app(platform),
        host=config.host,
        port=config.port,
        loop="uvloop",
        http=protocol_class(config.http_head_timeout_s, config.http_body_timeout_s, MAX_HEAD_BYTES),
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_keep_alive=75,
        # Functions may legitimately run for 15 minutes; let in-flight ones finish
        # on Ctrl-C for a while, then the platform kills what is left.
        timeout_graceful_shutdown=5,
    )
    return uvicorn.Server(uv_config)


async def serve(config: Config, on_ready: OnReady | None = None) -> None:
    """Run the platform and its APIs until interrupted.

    ``on_ready`` runs once the port accepts connections (the demo uses it), while
    the server keeps serving.
    """
    platform = Platform(config)
    if platform.sandbox is None:
        # Said loudly: without the sandbox a function can reach everything its uid can.
        print(f"snaplambda: environment sandbox {platform.sandbox_mechanism}", file=sys.stderr)
    server = make_server(config, platform)
    if on_ready is None:
        await server.serve()
        return
    serving = asyncio.ensure_future(server.serve())
    # uvicorn exposes readiness only as a flag, so look at it between short sleeps.
    while not server.started:
        if serving.done():
            await serving
            return
        await asyncio.sleep(0.01)
    try:
        keep_serving = await on_ready(platform)
    except BaseException:
        server.should_exit = True
        await serving
        raise
    if not keep_serving:
        server.should_exit = True
    await serving


def run(config: Config, on_ready: OnReady | None = None) -> None:
    """Blocking entry point."""
    import uvloop

    uvloop.run(serve(config, on_ready))
