"""The ``snaplambda`` command: parses arguments, fills a Config, calls the rest."""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import httpx
import typer
from rich.console import Console

from .cli_common import EndpointOpt, endpoint_url, err, fail
from .client import Client, ClientError
from .config import Config, from_environ
from .metrics_cli import metrics as metrics_command
from .snapstart_cli import app as snapstart_app
from .traces_cli import traces as traces_command

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="A self-hosted, AWS-Lambda-compatible function platform for Python.",
)
console = Console()
app.command("metrics")(metrics_command)
app.command("traces")(traces_command)


@contextmanager
def _client(endpoint: str | None, hint: str = "") -> Iterator[Client]:
    """A client of the server at ``endpoint``; the server's AWS errors and failing to
    reach it end the command through ``fail`` (``hint`` follows the latter)."""
    url = endpoint_url(endpoint)
    try:
        with Client(url) as client:
            yield client
    except ClientError as exc:
        raise fail(f"{exc.aws_type}: {exc.message}") from exc
    except (OSError, httpx.TransportError) as exc:
        raise fail(f"cannot reach {url}: {exc}{hint}") from exc


@app.command()
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
    init_timeout: Annotated[
        Optional[float], typer.Option(help="Seconds allowed for a function's init (10).")  # noqa: UP045
    ] = None,
    otlp_endpoint: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="OpenTelemetry collector (OTLP/HTTP) to export traces to."),
    ] = None,
) -> None:
    """Serve the Lambda API (and friends) on one port."""
    from .api.server import run

    if memory_limiter not in (None, "auto", "cgroup", "rlimit", "off"):
        raise fail(f"--memory-limiter '{memory_limiter}' is not one of auto, cgroup, rlimit, off")
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
        init_timeout_s=init_timeout,
        otlp_endpoint=otlp_endpoint,
    )
    err.print(f"snaplambda serving on {config.endpoint} (state: {config.state_dir})")
    run(config)


@app.command()
def deploy(
    path: Annotated[
        Path,
        typer.Argument(
            help="Code directory or .zip file, or a SAM template (.yaml/.yml/.json, or a "
            "directory holding template.yaml)."
        ),
    ],
    name: Annotated[
        str | None, typer.Option(help="Function name (default: directory name).")
    ] = None,
    handler: Annotated[str, typer.Option(help="module.function")] = "app.handler",
    runtime: Annotated[
        str, typer.Option(help="python3.11 | python3.12 | python3.13")
    ] = "python3.11",
    memory: Annotated[int, typer.Option(help="Memory in MB (128-10240).")] = 128,
    timeout: Annotated[int, typer.Option(help="Timeout in seconds (1-900).")] = 3,
    env: Annotated[Optional[list[str]], typer.Option(help="KEY=VALUE, repeatable.")] = None,  # noqa: UP045
    watch: Annotated[
        bool, typer.Option("--watch", help="Redeploy $LATEST whenever the directory changes.")
    ] = False,
    parameter_overrides: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(help="SAM template parameters, KEY=VALUE (space-separated or repeated)."),
    ] = None,
    stack_name: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="SAM template's AWS::StackName (default: its directory's name)."),
    ] = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Create or update a function from a directory or a zip, or deploy a SAM template."""
    from .packaging.zipdir import read_package
    from .sam.template import find_template

    template = find_template(path)
    if template is not None:
        from .sam.deploy import deploy_template

        status = deploy_template(
            template, parameter_overrides or [], stack_name, endpoint_url(endpoint), console, err
        )
        raise typer.Exit(status)

    try:
        zipped = read_package(path)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from exc
    variables = {}
    for item in env or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--env '{item}' must be KEY=VALUE")
        variables[key] = value
    fn_name = name or path.resolve().stem
    settings = {
        "Runtime": runtime,
        "Handler": handler,
        "MemorySize": memory,
        "Timeout": timeout,
        "Environment": {"Variables": variables},
    }
    if watch and not path.is_dir():
        raise fail("--watch needs a code directory, not a zip")
    with _client(endpoint, " (is `snaplambda serve` running?)") as client:
        cfg = client.deploy(fn_name, zipped, settings)
        console.print(
            f"deployed [bold]{cfg['FunctionName']}[/bold] ({cfg['Runtime']}, "
            f"{cfg['MemorySize']} MB, {cfg['Timeout']} s) CodeSha256 {cfg['CodeSha256']}"
        )
        if watch:
            _watch_and_redeploy(client, path, fn_name)


def _watch_and_redeploy(client: Client, path: Path, name: str) -> None:
    from .packaging.zipdir import read_package
    from .watch import watch

    console.print(f"watching {path} for changes (Ctrl-C to stop)")

    def redeploy(changed: list[str]) -> None:
        try:
            cfg = client.update_code(name, read_package(path))
        except ClientError as exc:  # a broken save must not end the loop
            err.print(f"[red]redeploy failed:[/red] {exc.aws_type}: {exc.message}")
            return
        console.print(f"redeployed {name} ({len(changed)} changed) CodeSha256 {cfg['CodeSha256']}")

    watch(path, redeploy)


@app.command()
def invoke(
    name: Annotated[str, typer.Argument(help="Function name or ARN.")],
    payload: Annotated[str, typer.Option(help="JSON event.")] = "{}",
    qualifier: Annotated[Optional[str], typer.Option(help="Version or alias.")] = None,  # noqa: UP045
    log: Annotated[bool, typer.Option("--log/--no-log", help="Show the log tail.")] = True,
    endpoint: EndpointOpt = None,
) -> None:
    """Invoke a function synchronously and print its response."""
    with _client(endpoint) as client:
        response = client.invoke(name, payload.encode(), qualifier, tail=log)
    if log and response.log:
        err.print(response.log.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
    sys.stdout.write(response.payload.decode("utf-8", "replace") + "\n")
    if response.function_error:
        raise typer.Exit(1)


def _parse_since(value: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if value and value[-1] in units and value[:-1].isdigit():
        return int((time.time() - int(value[:-1]) * units[value[-1]]) * 1000)
    raise typer.BadParameter(f"'{value}' is not a duration like 30s, 10m, 2h or 1d")


@app.command()
def logs(
    name: Annotated[str, typer.Argument(help="Function name.")],
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events.")
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="Only events newer than 30s, 10m, 2h ...")
    ] = None,
    filter_text: Annotated[
        str | None,
        typer.Option(
            "--filter",
            help='Text the event contains, a JSON field test (level = "ERROR") '
            "or a CloudWatch filter pattern.",
        ),
    ] = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Print a function's logs (its LoggingConfig.LogGroup, /aws/lambda/NAME by default)."""
    body: dict[str, object] = {"logGroupName": f"/aws/lambda/{name}"}
    if since:
        body["startTime"] = _parse_since(since)
    if filter_text:
        from .observability.filterpattern import from_cli

        body["filterPattern"] = from_cli(filter_text)
    try:
        with _client(endpoint) as client:
            found = client.get_function(name)
            if found is not None:  # LoggingConfig.LogGroup may name another group
                body["logGroupName"] = found["Configuration"]["LoggingConfig"]["LogGroup"]
            while True:
                try:
                    page = client.logs("FilterLogEvents", body)
                except ClientError as exc:
                    if exc.aws_type != "ResourceNotFoundException" or not follow:
                        raise
                    page = {"events": []}
                for event in page["events"]:
                    stamp = time.strftime("%H:%M:%S", time.gmtime(event["timestamp"] / 1000))
                    console.print(
                        f"[dim]{stamp} {event['logStreamName'][-8:]}[/dim] {event['message']}",
                        highlight=False,
                        soft_wrap=True,
                        markup="[" not in event["message"],
                    )
                    body["nextToken"] = event["eventId"]
                if not follow:
                    if "nextToken" in page:
                        body["nextToken"] = page["nextToken"]
                        continue
                    return
                if "nextToken" not in page:
                    time.sleep(0.5)  # a client polling a server: nothing to wait on locally
    except KeyboardInterrupt:
        return


@app.command()
def demo(
    once: Annotated[bool, typer.Option(help="Exit after the table instead of serving.")] = False,
    port: Annotated[Optional[int], typer.Option(help="Port to serve on.")] = None,  # noqa: UP045
    state_dir: Annotated[
        Optional[Path], typer.Option(help="State directory (default: a fresh temporary one).")  # noqa: UP045
    ] = None,
) -> None:
    """Start the embedded platform, deploy the example, invoke it cold and warm."""
    from .api.server import run
    from .demo import run_demo
    from .platform import Platform

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


dlq_app = typer.Typer(
    no_args_is_help=True, help="Asynchronous events that failed for good (dead letters)."
)
app.add_typer(dlq_app, name="dlq")
app.add_typer(snapstart_app, name="snapstart")


@dlq_app.command("list")
def dlq_list(
    function: Annotated[
        Optional[str], typer.Option("--function", help="Only this function's.")  # noqa: UP045
    ] = None,
    endpoint: EndpointOpt = None,
) -> None:
    """List dead letters: id, function, condition, attempts, error."""
    with _client(endpoint) as client:
        letters = client.dead_letters(function)
    for letter in letters:
        name = letter["FunctionName"] + (f":{letter['Qualifier']}" if letter["Qualifier"] else "")
        failed = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(letter["FailedAt"]))
        error = (letter["Error"] or "").replace("\n", " ")[:120]
        sys.stdout.write(
            f"{letter['Id']}\t{name}\t{letter['Condition']}\t{letter['Attempts']}\t"
            f"{failed}\t{error}\n"
        )
    if not letters:
        err.print("no dead letters")


@dlq_app.command("redrive")
def dlq_redrive(
    ids: Annotated[Optional[list[str]], typer.Argument(help="Dead-letter ids.")] = None,  # noqa: UP045
    all_: Annotated[bool, typer.Option("--all", help="Redrive every dead letter.")] = False,
    endpoint: EndpointOpt = None,
) -> None:
    """Queue dead letters again as fresh asynchronous events."""
    if all_ == bool(ids):
        raise fail("give dead-letter IDs or --all (not both)")
    with _client(endpoint) as client:
        redriven = client.redrive(None if all_ else list(ids or []))
    missing = sorted(set(ids or []) - set(redriven))
    console.print(f"redriven {len(redriven)} event(s)")
    if missing:
        raise fail(f"no dead letter with id {', '.join(missing)}")


@app.command()
def stats(
    name: Annotated[str, typer.Argument(help="Function name.")],
    endpoint: EndpointOpt = None,
) -> None:
    """Cold starts, provisioned utilization, idle memory and spill-overs of a function,
    by qualifier (beyond AWS)."""
    with _client(endpoint) as client:
        doc = client.stats(name)
    keep = doc["KeepAlive"]
    console.print(
        f"keep-alive: {keep['Policy']} ({keep.get('Source', 'fixed')}) "
        f"{keep['KeepAliveSeconds']:.0f} s, pre-warm {keep.get('PreWarmSeconds', 0):.0f} s",
        highlight=False,
    )
    console.print(
        "qualifier\tinvokes\tcold\tcold rate\tidle GB-s\tprovisioned\tutil\tspill-overs",
        highlight=False,
    )
    for qualifier, row in sorted(doc["Qualifiers"].items()):
        pc = row.get("Provisioned")
        provisioned = f"{pc['Allocated']}/{pc['Requested']} {pc['Status']}" if pc else "-"
        console.print(
            f"{qualifier}\t{row['Invocations']}\t{row['ColdStarts']}\t"
            f"{row['ColdStartRate']:.1%}\t{row.get('IdleGBSeconds', 0.0):.1f}\t{provisioned}\t"
            + (f"{pc['Utilization']:.1%}\t{pc['SpillOvers']}" if pc else "-\t-"),
            highlight=False,
        )


@app.command()
def version() -> None:
    """Print the version."""
    from . import __version__

    console.print(__version__)


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
