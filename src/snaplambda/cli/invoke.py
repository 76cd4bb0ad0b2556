"""``snaplambda invoke``: one invocation, synchronous (its response and log tail) or
asynchronous (queued: the 202 and its request id)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.text import Text

from . import render
from .common import EndpointOpt, Output, OutputOpt, connect, err, fail, print_json, say, show


def read_payload(value: str) -> bytes:
    """The event ``--payload`` names: JSON text, ``@file.json`` or ``-`` (stdin),
    checked to be JSON (the function's failure would be less clear)."""
    if value == "-":
        data = sys.stdin.buffer.read()
        source = "stdin"
    elif value.startswith("@"):
        path = Path(value[1:])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise fail(f"cannot read the payload file {path}: {exc.strerror or exc}") from exc
        source = str(path)
    else:
        data = value.encode()
        source = "--payload"
    try:
        json.loads(data or b"null")
    except ValueError as exc:
        raise fail(f"the payload from {source} is not JSON: {exc}") from exc
    return data


def _decoded(payload: bytes) -> Any:
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


def invoke(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Function name or ARN.")],
    payload: Annotated[
        str,
        typer.Option(
            "--payload",
            "-p",
            metavar="JSON|@FILE|-",
            help="The event: JSON text, @file.json, or - to read standard input.",
        ),
    ] = "{}",
    qualifier: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
        typer.Option(metavar="VERSION|ALIAS", help="Version or alias to invoke."),
    ] = None,
    asynchronous: Annotated[
        bool,
        typer.Option("--async", help="Queue the event (InvocationType Event) instead of waiting."),
    ] = False,
    log: Annotated[
        bool, typer.Option("--log/--no-log", help="Show the log tail on stderr.")
    ] = True,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Invoke a function and print its response (exit status 1 if the function failed)."""
    event = read_payload(payload)
    kind = "Event" if asynchronous else "RequestResponse"
    with connect(endpoint) as client:
        response = client.invoke(name, event, qualifier, tail=log, invocation_type=kind)
    if asynchronous:
        if output is Output.json:
            print_json({"StatusCode": response.status, "RequestId": response.request_id})
        else:
            say(f"{response.status} Accepted, RequestId: {response.request_id}")
        return
    if output is Output.json:
        doc: dict[str, Any] = {
            "StatusCode": response.status,
            "ExecutedVersion": response.executed_version,
            "RequestId": response.request_id,
            "Payload": _decoded(response.payload),
        }
        if response.function_error:
            doc["FunctionError"] = response.function_error
        if log:
            doc["Log"] = response.log
        print_json(doc)
    else:
        if log and response.log:
            show(Text(render.log_tail(response.log)), err)
        sys.stdout.write(response.payload.decode("utf-8", "replace") + "\n")
    if response.function_error:
        raise typer.Exit(1)
