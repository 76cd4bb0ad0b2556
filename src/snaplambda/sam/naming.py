"""Stack names and the physical names CloudFormation gives resources that have none.

Pure.  A function without ``FunctionName`` is called ``<stack>-<LogicalId>-<SUFFIX>``
as CloudFormation names it; the suffix is derived from the stack and logical id
rather than drawn at random, so every redeploy of the stack finds the same function.

>>> physical_name("shop", "Orders")
'shop-Orders-0AFIWW7R1D7Y'
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from .template import TemplateError

#: CloudFormation's stack name rule.
STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
#: Lambda's limit on a function's name.
FUNCTION_NAME_MAX = 64
SUFFIX_LEN = 12
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def check_stack_name(name: str, source: str = "--stack-name") -> str:
    """``name`` if CloudFormation accepts it as a stack name; else a
    :class:`TemplateError` saying where it came from (``source``) and the rule."""
    if not STACK_NAME.fullmatch(name):
        raise TemplateError(
            f"Stack name '{name}' ({source}) is not valid: it must start with a letter, "
            "hold only letters, digits and hyphens, and be at most 128 characters long"
        )
    return name


def default_stack_name(template_path: Path) -> str:
    """The stack name taken from the template's directory: its name with every
    character a stack name cannot hold turned into a hyphen (``sam_app`` ->
    ``sam-app``), leading non-letters dropped."""
    directory = template_path.resolve().parent.name
    name = re.sub(r"[^-a-zA-Z0-9]", "-", directory)
    name = re.sub(r"^[^a-zA-Z]+", "", name)[:128]
    if not name:
        raise TemplateError(
            f"The template's directory '{directory}' gives no valid stack name; pass "
            "--stack-name NAME (or set stack_name in samconfig.toml)"
        )
    return name


def suffix(stack: str, logical_id: str) -> str:
    """Twelve uppercase letters and digits, the same for the same stack and logical
    id."""
    digest = hashlib.sha256(f"{stack}\0{logical_id}".encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:SUFFIX_LEN])


def physical_name(stack: str, logical_id: str, limit: int = FUNCTION_NAME_MAX) -> str:
    """``<stack>-<logical_id>-<suffix>``, at most ``limit`` characters.

    When too long, both parts are cut (CloudFormation cuts both too; its exact rule
    is not published): each keeps at least half of the room the suffix and hyphens
    leave, or all of itself if it is shorter, and the other part takes the rest.
    The suffix is taken from the whole names, so names cut alike stay apart."""
    tail = suffix(stack, logical_id)
    room = limit - SUFFIX_LEN - 2
    if len(stack) + len(logical_id) > room:
        keep_id = max(room - len(stack), min(len(logical_id), room // 2))
        logical_id = logical_id[:keep_id]
        stack = stack[: room - keep_id]
    return f"{stack}-{logical_id}-{tail}"
