"""``snaplambda serve`` and ``snaplambda demo``: run the platform in this process."""

from __future__ import annotations

import errno
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ..config import Config, from_environ
from .common import console, err, fail

if TYPE_CHECKING:
    from ..api.server import OnReady

_DEFAULTS = Config()


def check_port(host: str, port: int) -> None:
    """End the command with one clear line if ``host:port`` cannot be listened on
    (checked before anything is started or printed; the server binds it again)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        with socket.socket(family, kind, proto) as probe:
            # As uvicorn does: a port in TIME_WAIT is free, one with a listener is not.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as exc:
        taken = exc.errno == errno.EADDRINUSE
        hint = " (is a server running there?)" if taken else ""
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}{hint}") from exc


def _run(config: Config, on_ready: OnReady | None = None) -> None:
    from ..api.server import run  # uvicorn and the platform load only to serve

    try:
        run(config, on_ready)
    except SystemExit as exc:
        # uvicorn exits (status 3) when it cannot start, e.g. the port was taken
        # between the check and its bind; its own log line says why.
        if exc.code not in (None, 0):
            raise fail(f"the server on {config.endpoint} could not start", 1) from None
        raise


def serve(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Interface to listen on.")
    ] = _DEFAULTS.host,
    port: Annotated[
        int, typer.Option(envvar="SNAPLAMBDA_PORT", help="Port for all APIs.")
    ] = _DEFAULTS.port,
    state_dir: Annotated[
        Path, typer.Option(envvar="SNAPLAMBDA_STATE_DIR", help="Where state is kept.")
    ] = _DEFAULTS.state_dir,
    keep_alive: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            envvar="SNAPLAMBDA_KEEP_ALIVE",
            help="Idle seconds before an environment stops.",
        ),
    ] = _DEFAULTS.keep_alive_s,
    keep_alive_policy: Annotated[
        str,
        typer.Option(
            metavar="POLICY",
            envvar="SNAPLAMBDA_KEEP_ALIVE_POLICY",
            help="fixed, or adaptive: learns idle times per function.",
        ),
    ] = _DEFAULTS.keep_alive_policy,
    max_concurrency: Annotated[
        int,
        typer.Option(
            envvar="SNAPLAMBDA_MAX_CONCURRENCY", help="Platform-wide concurrent executions."
        ),
    ] = _DEFAULTS.max_concurrency,
    memory_limiter: Annotated[
        str,
        typer.Option(
            metavar="MODE",
            envvar="SNAPLAMBDA_MEMORY_LIMITER",
            help="How memory is limited: auto, cgroup, rlimit or off.",
        ),
    ] = _DEFAULTS.memory_limiter,
    sandbox: Annotated[
        str,
        typer.Option(
            metavar="MODE",
            envvar="SNAPLAMBDA_SANDBOX",
            help="Environment sandbox: auto (bubblewrap where it works), bwrap or off.",
        ),
    ] = _DEFAULTS.sandbox,
    init_timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            envvar="SNAPLAMBDA_INIT_TIMEOUT",
            help="Seconds allowed for a function's init.",
        ),
    ] = _DEFAULTS.init_timeout_s,
    otlp_endpoint: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
        typer.Option(
            metavar="URL",
            envvar="SNAPLAMBDA_OTLP_ENDPOINT",
            help="OpenTelemetry collector (OTLP/HTTP) to export traces to.",
        ),
    ] = None,
    auth: Annotated[
        str,
        typer.Option(
            metavar="MODE",
            envvar="SNAPLAMBDA_AUTH",
            help="on: SigV4 signatures and key policies checked on every API; "
            "off: anyone reaching the port is the account root.",
        ),
    ] = _DEFAULTS.auth,
) -> None:
    """Serve the Lambda API (and friends) on one port."""
    if memory_limiter not in ("auto", "cgroup", "rlimit", "off"):
        raise fail(f"--memory-limiter '{memory_limiter}' is not one of auto, cgroup, rlimit, off")
    if sandbox not in ("auto", "bwrap", "off"):
        raise fail(f"--sandbox '{sandbox}' is not one of auto, bwrap, off")
    if auth not in ("on", "off"):
        raise fail(f"--auth '{auth}' is not one of on, off")
    if keep_alive_policy not in ("fixed", "adaptive"):
        raise fail(f"--keep-alive-policy '{keep_alive_policy}' is not one of fixed, adaptive")
    try:
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
            auth=auth,
        )
    except ValueError as exc:  # a malformed SNAPLAMBDA_* variable
        raise fail(f"bad configuration: {exc}") from exc
    check_port(config.host, config.port)
    err.print(f"snaplambda serving on {config.endpoint} (state: {config.state_dir})", markup=False)
    announce_auth(config)
    _run(config)


def announce_auth(config: Config) -> None:
    """Make the root key on first start and say where it is; with auth off, say so
    loudly."""
    if config.auth == "off":
        err.print(
            "snaplambda: AUTHENTICATION OFF (--auth off): anyone who can reach "
            f"{config.endpoint} can do anything, as the account root",
            markup=False,
        )
        return
    from ..auth.keys import KeyStoreError, credentials_path, load_extra, load_root
    from ..auth.roles import RolePolicies

    config.state_dir.mkdir(parents=True, exist_ok=True)
    config.state_dir.chmod(0o700)
    try:
        _, made = load_root(config.state_dir)
        load_extra(config.state_dir, config.account_id)  # refused here, before serving
        RolePolicies(config.state_dir / "roles.json", lambda name: None)
    except KeyStoreError as exc:
        raise fail(str(exc)) from exc
    path = credentials_path(config.state_dir).resolve()
    verb = "made" if made else "in"
    err.print(
        f"snaplambda: access key {verb} {path}; use it with\n"
        f"  AWS_SHARED_CREDENTIALS_FILE={path} AWS_PROFILE=snaplambda",
        markup=False,
    )


def demo(
    once: Annotated[bool, typer.Option(help="Exit after the table instead of serving.")] = False,
    port: Annotated[
        int, typer.Option(envvar="SNAPLAMBDA_PORT", help="Port to serve on.")
    ] = _DEFAULTS.port,
    state_dir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="State directory (default: a fresh temporary one)."),
    ] = None,
) -> None:
    """Start the embedded platform, deploy the example, invoke it cold and warm."""
    from ..platform import Platform
    from .demo import run_demo

    try:
        config: Config = from_environ().with_overrides(port=port)
    except ValueError as exc:
        raise fail(f"bad configuration: {exc}") from exc
    check_port(config.host, config.port)
    tmp = None
    if state_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="snaplambda-demo-")
        state_dir = Path(tmp.name)
    config = config.with_overrides(state_dir=state_dir)

    async def on_ready(platform: Platform) -> bool:
        err.print(
            f"snaplambda serving on {config.endpoint} (limits: {platform.limiter.mechanism}; "
            f"sandbox: {platform.sandbox_mechanism})",
            markup=False,
        )
        await run_demo(platform, console)
        if not once:
            signed = ""
            if platform.keys is not None:
                path = (config.state_dir / "credentials").resolve()
                signed = f"AWS_SHARED_CREDENTIALS_FILE={path} AWS_PROFILE=snaplambda "
            console.print(
                f"\nStill serving on {config.endpoint} (Ctrl-C to stop); try\n"
                f"  {signed}snaplambda invoke hello --endpoint {config.endpoint}",
                markup=False,
            )
        return not once

    try:
        _run(config, on_ready)
    finally:
        if tmp is not None:
            tmp.cleanup()
