"""``snaplambda delete --stack-name NAME``: remove a deployed SAM stack."""

from __future__ import annotations

from typing import Annotated

import typer

from .common import EndpointOpt, console, endpoint_url, err


def delete(
    stack_name: Annotated[str, typer.Option(help="The stack to delete.")],
    no_prompts: Annotated[
        bool, typer.Option("--no-prompts", help="Delete without asking first.")
    ] = False,
    endpoint: EndpointOpt = None,
) -> None:
    """Delete a SAM stack: its functions (with their versions and aliases), its layer
    versions (except RetentionPolicy: Retain) and its record."""
    from ..sam.commands import delete_template_stack

    if not no_prompts and not typer.confirm(
        f"Delete stack {stack_name} and all its functions and layer versions?"
    ):
        raise typer.Exit(1)
    raise typer.Exit(delete_template_stack(stack_name, endpoint_url(endpoint), console, err))
