"""``snaplambda publish`` and ``snaplambda alias``: immutable versions, and the
aliases that point at them (with a weighted share routed to a second version)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from . import render
from .common import EndpointOpt, Output, OutputOpt, connect, fail, note, print_json, say, show_table
from .help import Command, Group

NameArg = Annotated[str, typer.Argument(metavar="NAME", help="Function name or ARN.")]
AliasArg = Annotated[str, typer.Argument(metavar="ALIAS", help="Alias name.")]
DescriptionOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
    typer.Option(metavar="TEXT", help="Description."),
]
WeightsOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option(
        "--additional-version",
        metavar="VERSION=WEIGHT",
        help="Route a share (0-1) of invokes to another version, e.g. 3=0.1 (repeatable).",
    ),
]


def parse_weights(items: list[str]) -> dict[str, float]:
    """``["3=0.1"]`` as ``{"3": 0.1}``; ValueError naming a malformed item (the
    server checks versions and ranges)."""
    weights: dict[str, float] = {}
    for item in items:
        version, sep, weight = item.partition("=")
        try:
            if not sep or not version:
                raise ValueError
            weights[version.strip()] = float(weight)
        except ValueError:
            raise ValueError(
                f"--additional-version '{item}' is not VERSION=WEIGHT (e.g. 3=0.1)"
            ) from None
    return weights


def _weights(items: list[str] | None) -> dict[str, float]:
    try:
        return parse_weights(items or [])
    except ValueError as exc:
        raise fail(str(exc)) from exc


def publish(
    name: NameArg,
    description: DescriptionOpt = None,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Publish $LATEST as a new immutable version."""
    with connect(endpoint) as client:
        cfg = client.publish_version(name, description)
    if output is Output.json:
        print_json(cfg)
        return
    say(f"published {cfg['FunctionName']} version {cfg['Version']}")


app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    help="Aliases: names that point at a version, optionally routing a share to another.",
)


def _print_alias(alias: dict[str, Any], verb: str, output: Output) -> None:
    if output is Output.json:
        print_json(alias)
        return
    say(
        f"{verb} alias {alias['Name']} -> version {alias['FunctionVersion']}"
        + (f" (routing {render.routing(alias)})" if render.routing(alias) != "-" else "")
    )


@app.command("create", cls=Command)
def alias_create(
    name: NameArg,
    alias: AliasArg,
    version: Annotated[
        str, typer.Option("--version", metavar="VERSION", help="Version the alias points at.")
    ],
    weights: WeightsOpt = None,
    description: DescriptionOpt = None,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Create an alias of a function."""
    routing = _weights(weights)
    with connect(endpoint) as client:
        created = client.create_alias(name, alias, version, description, routing)
    _print_alias(created, "created", output)


@app.command("update", cls=Command)
def alias_update(
    name: NameArg,
    alias: AliasArg,
    version: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--version", metavar="VERSION", help="Point the alias at this version."),
    ] = None,
    weights: WeightsOpt = None,
    no_routing: Annotated[
        bool, typer.Option("--no-routing", help="Stop routing to additional versions.")
    ] = False,
    description: DescriptionOpt = None,
    endpoint: EndpointOpt = None,
    output: OutputOpt = Output.text,
) -> None:
    """Change what an alias points at; what is not given stays as it is."""
    if weights and no_routing:
        raise fail("give --additional-version or --no-routing, not both")
    body: dict[str, Any] = {}
    if version is not None:
        body["FunctionVersion"] = version
    if description is not None:
        body["Description"] = description
    if weights or no_routing:
        body["RoutingConfig"] = {"AdditionalVersionWeights": _weights(weights)}
    with connect(endpoint) as client:
        updated = client.put_alias(name, alias, body)
    _print_alias(updated, "updated", output)


@app.command("list", cls=Command)
def alias_list(
    name: NameArg, endpoint: EndpointOpt = None, output: OutputOpt = Output.text
) -> None:
    """List a function's aliases: name, version, routing, description."""
    with connect(endpoint) as client:
        aliases = client.list_aliases(name)
    if output is Output.json:
        print_json({"Aliases": aliases})
        return
    if not aliases:
        note(f"{name} has no aliases")
        return
    rows = [
        (a["Name"], a["FunctionVersion"], render.routing(a), a.get("Description") or "")
        for a in aliases
    ]
    show_table(render.table(("ALIAS", "VERSION", "ROUTING", "DESCRIPTION"), rows))


@app.command("delete", cls=Command)
def alias_delete(name: NameArg, alias: AliasArg, endpoint: EndpointOpt = None) -> None:
    """Delete an alias."""
    with connect(endpoint) as client:
        client.delete_alias(name, alias)
    say(f"deleted alias {alias} of {name}")
