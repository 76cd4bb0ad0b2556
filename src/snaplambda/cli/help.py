"""How ``--help`` reads: the workflow panels commands are grouped in, and help
without Python type tags.

The typer installed here (0.29, which carries its own copy of click instead of
click's ``TEXT`` / ``INTEGER`` types) labels every parameter in its rich help with
the Python type it was annotated with (``<str>``, ``<int>``, ``<path>``), and does
so for flags as well, its own ``--help`` included (``<bool>``): its rich options
panel asks each parameter for its type without asking whether it takes a value.
That means nothing to someone typing a command.

The command and group classes here give each option a conventional placeholder
instead (``TEXT``, ``INTEGER``, ``PATH``, ``a|b`` for choices, nothing
for flags) unless it names its own ``metavar``, and show an argument by its name
alone.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer.core
from typer.core import TyperArgument, TyperOption

SERVE = "Serve"
DEPLOY = "Deploy"
INVOKE = "Invoke"
LOGS = "Logs"
MANAGE = "Manage"
INSPECT = "Inspect"

_WORDS = {"int": "INTEGER", "float": "NUMBER", "bool": "BOOLEAN"}


def _choices(descriptor: Any) -> str | None:
    choices = getattr(descriptor, "choices", None)
    if not choices:
        return None
    return "|".join(str(c.value if isinstance(c, Enum) else c) for c in choices)


def placeholder(option: TyperOption) -> str:
    """What stands for an option's value in help: empty for flags."""
    if option.is_flag or option.count:
        return ""
    descriptor = getattr(option, "type_descriptor", None)
    if descriptor is None:  # a typer built on click's own types names them itself
        return str(getattr(getattr(option, "type", None), "name", "text")).upper()
    choices = _choices(descriptor)
    if choices:
        return choices
    if descriptor is not None and getattr(descriptor, "is_path", False):
        return "PATH"
    annotation = getattr(descriptor, "annotation", None)
    args = getattr(annotation, "__args__", None)
    if args and getattr(annotation, "__origin__", None) is list:
        annotation = args[0]
    return _WORDS.get(getattr(annotation, "__name__", ""), "TEXT")


class _NamedArgument(TyperArgument):
    """An argument shown by its name (its metavar) with no type column."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def plain_params(params: list[Any]) -> list[Any]:
    """``params`` with placeholders set where typer would show a type tag."""
    for param in params:
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = placeholder(param)
        elif isinstance(param, TyperArgument) and not isinstance(param, _NamedArgument):
            param.__class__ = _NamedArgument
    return params


class Command(typer.core.TyperCommand):
    """A command whose help shows placeholders, not Python types."""

    def get_params(self, ctx: Any) -> list[Any]:
        return plain_params(super().get_params(ctx))


class Group(typer.core.TyperGroup):
    """A command group whose help shows placeholders and keeps commands in the
    order they were registered."""

    def get_params(self, ctx: Any) -> list[Any]:
        return plain_params(super().get_params(ctx))

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)
