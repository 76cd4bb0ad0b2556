"""IAM-style identity policies and their evaluation (pure).

A policy is ``{"Version": ..., "Statement": [...]}`` (one statement may be given
without the list); a statement has ``Effect`` (``Allow`` / ``Deny``), ``Action``
and ``Resource`` (a string or a list; ``*`` and ``?`` are wildcards).  Evaluation
follows IAM's rule for identity policies: an explicit Deny wins, else an Allow
allows, else the request is implicitly denied.  Actions match case-insensitively,
resources case-sensitively.  Conditions, ``NotAction``/``NotResource`` and
principals are not supported: a statement that has them is refused when the
policy is loaded (:func:`parse_policy`), never silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

Decision = Literal["allow", "explicit-deny", "implicit-deny"]

_KNOWN = frozenset({"Sid", "Effect", "Action", "Resource"})


class PolicyError(ValueError):
    """A policy document this platform cannot evaluate as written."""


@dataclass(frozen=True)
class Statement:
    """One statement: its effect and the action and resource patterns it names."""

    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def applies(self, action: str, resource: str) -> bool:
        """Whether this statement covers ``action`` on ``resource``."""
        return any(_pattern(p, True).fullmatch(action) for p in self.actions) and any(
            _pattern(p, False).fullmatch(resource) for p in self.resources
        )


@dataclass(frozen=True)
class Policy:
    """A parsed policy: its statements in order."""

    statements: tuple[Statement, ...]

    def decide(self, action: str, resource: str) -> Decision:
        """IAM's answer for ``action`` on ``resource``."""
        allowed = False
        for statement in self.statements:
            if statement.applies(action, resource):
                if statement.effect == "Deny":
                    return "explicit-deny"
                allowed = True
        return "allow" if allowed else "implicit-deny"

    def allows(self, action: str, resource: str) -> bool:
        return self.decide(action, resource) == "allow"


FULL_ACCESS = Policy((Statement("Allow", ("*",), ("*",)),))
"""What the platform's own key (the account root) may do: everything."""

NOTHING = Policy(())


@lru_cache(maxsize=1024)
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text
    )
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _strings(statement: Mapping[str, Any], field: str, where: str) -> tuple[str, ...]:
    value = statement.get(field)
    items: Iterable[Any] = (
        [value] if isinstance(value, str) else value if isinstance(value, list) else []
    )
    result = tuple(items)
    if not result or not all(isinstance(item, str) and item for item in result):
        raise PolicyError(f"{where}: {field} must be a non-empty string or list of strings")
    return result


def parse_policy(document: Any, where: str = "policy") -> Policy:
    """A policy from its JSON document; :class:`PolicyError` names what is wrong."""
    if not isinstance(document, dict):
        raise PolicyError(f"{where}: a policy document must be a JSON object")
    raw = document.get("Statement")
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list):
        raise PolicyError(f"{where}: Statement must be an object or a list of objects")
    parsed = []
    for index, statement in enumerate(statements):
        at = f"{where}: Statement[{index}]"
        if not isinstance(statement, dict):
            raise PolicyError(f"{at} must be an object")
        unknown = sorted(set(statement) - _KNOWN)
        if unknown:
            raise PolicyError(
                f"{at} has {', '.join(unknown)}, which snaplambda does not evaluate "
                "(supported: Sid, Effect, Action, Resource)"
            )
        effect = statement.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyError(f"{at}: Effect '{effect}' is not Allow or Deny")
        parsed.append(
            Statement(
                effect, _strings(statement, "Action", at), _strings(statement, "Resource", at)
            )
        )
    return Policy(tuple(parsed))
