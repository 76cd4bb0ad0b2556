"""``snaplambda functions``: list, describe and delete the functions a server has."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from . import render
from .common import EndpointOpt, Output, OutputOpt, connect, note, print_json, say, show_table
from .help import Command, Group

app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    help="List, describe and delete functions.",
)

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="Function name or ARN.")]
QualifierOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
    typer.Option(metavar="VERSION|ALIAS", help="A version or alias instead of $LATEST."),
]


@app.command("list", cls=Command)
def list_functions(endpoint: EndpointOpt = None, output: OutputOpt = Output.text) -> None:
    """List functions: name, runtime, memory, timeout, code size, last change."""
    with connect(endpoint) as client:
        found = client.list_functions()
    if output is Output.json:
        print_json({"Functions": found})
        return
    if not found:
        note("no functions")
        return
    rows = [
        (
            f["FunctionName"],
            f.get("Runtime", "-"),
            str(f.get("MemorySize", "-")),
            str(f.get("Timeout", "-")),
            render.size(int(f.get("CodeSize", 0))),
            render.day_and_time(f.get("LastModified", "")),
        )
        for f in sorted(found, key=lambda f: str(f["FunctionName"]))
    ]
    columns = ("NAME", "RUNTIME", "MB", "SECONDS", "CODE", "LAST MODIFIED")
    show_table(render.table(columns, rows, right=("MB", "SECONDS", "CODE")))


def describe(
    doc: dict[str, Any], versions: list[str], aliases: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    """The fields ``functions get`` shows of a GetFunction document."""
    cfg = doc["Configuration"]
    variables = (cfg.get("Environment") or {}).get("Variables") or {}
    rows = [
        ("name", cfg["FunctionName"]),
        ("arn", cfg["FunctionArn"]),
        ("version", cfg.get("Version", "$LATEST")),
        ("runtime", cfg.get("Runtime", "-")),
        ("handler", cfg.get("Handler", "-")),
        ("memory", f"{cfg.get('MemorySize', '-')} MB"),
        ("timeout", f"{cfg.get('Timeout', '-')} s"),
        ("code", f"{render.size(int(cfg.get('CodeSize', 0)))}, sha256 {cfg.get('CodeSha256')}"),
        ("state", cfg.get("State", "-")),
        ("last modified", render.day_and_time(cfg.get("LastModified", ""))),
    ]
    if cfg.get("Description"):
        rows.append(("description", cfg["Description"]))
    if variables:
        rows.append(("environment", " ".join(f"{k}={v}" for k, v in sorted(variables.items()))))
    for layer in cfg.get("Layers") or []:
        rows.append(("layer", layer["Arn"]))
    reserved = (doc.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
    if reserved is not None:
        rows.append(("reserved", str(reserved)))
    rows.append(("versions", ", ".join(versions) or "-"))
    for alias in aliases:
        rows.append(
            (
                "alias",
                f"{alias['Name']} -> {alias['FunctionVersion']} (routing {render.routing(alias)})",
            )
        )
    return rows


@app.command("get", cls=Command)
def get_function(
    name: NameArg,
    qualifier: QualifierOpt = None,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Show a function's configuration, versions and aliases."""
    with connect(endpoint) as client:
        doc = client.function(name, qualifier)
        if output is Output.json:
            print_json(doc)
            return
        function_name = doc["Configuration"]["FunctionName"]
        versions = [v["Version"] for v in client.list_versions(function_name)]
        aliases = client.list_aliases(function_name)
    show_table(render.fields(describe(doc, versions, aliases)))


@app.command("delete", cls=Command)
def delete_function(
    name: NameArg,
    qualifier: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(metavar="VERSION", help="Delete only this published version."),
    ] = None,
    endpoint: EndpointOpt = None,
) -> None:
    """Delete a function, or only one published version of it.

    Deleting the function deletes its versions and aliases; its log group stays,
    as on AWS."""
    with connect(endpoint) as client:
        client.delete_function(name, qualifier)
    say(f"deleted {name}" + (f" version {qualifier}" if qualifier else ""))
