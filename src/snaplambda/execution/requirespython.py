"""Whether a distribution's ``Requires-Python`` admits a runtime (pure).

The platform's own Python resolved the SDK's distributions, but functions run other
Pythons, so each runtime is checked against every distribution's declaration before
it is offered the SDK.  Only what ``Requires-Python`` fields use is understood:
comma-separated clauses of ``>=``, ``>``, ``<=``, ``<``, ``==``, ``!=`` and ``~=``
with numeric versions, ``==`` and ``!=`` optionally ending in ``.*``.  A runtime is
judged by its ``X.Y``, since a runtime names a minor version, not an interpreter
build: a clause admits ``X.Y`` when some ``X.Y.z`` satisfies it.

>>> admits(">=3.10", (3, 11))
True
>>> admits("!=3.0.*,!=3.1.*,>=2.7", (3, 12))
True
>>> admits(">=3.8,<3.12", (3, 12))
False
"""

from __future__ import annotations

import re

_CLAUSE = re.compile(r"^(~=|==|!=|<=|>=|<|>)\s*v?(\d+(?:\.\d+)*)(\.\*)?$")


class UnknownSpecifier(ValueError):
    """A ``Requires-Python`` clause this module does not understand."""


def _clause_admits(clause: str, runtime: tuple[int, int]) -> bool:
    match = _CLAUSE.match(clause.strip())
    if not match:
        raise UnknownSpecifier(f"cannot read Requires-Python clause {clause!r}")
    op, number, wildcard = match.groups()
    parts = tuple(int(p) for p in number.split("."))
    if wildcard:
        if op not in ("==", "!="):
            raise UnknownSpecifier(f"'.*' only follows == or != (in {clause!r})")
        prefix = parts[:2]
        same = runtime[: len(prefix)] == prefix
        return same if op == "==" else not same or len(parts) > 2
    want = (*parts, 0)[:2]
    if op == "~=":
        # ~=3.10 means >=3.10,==3.*; ~=3.10.1 means >=3.10.1,==3.10.* (at X.Y: ==3.10)
        head = parts[:-1][:2]
        return runtime >= want and runtime[: len(head)] == head
    if op in (">=", ">"):
        return runtime >= want
    if op == "<=":
        return runtime <= want
    if op == "<":
        return runtime <= want if any(parts[2:]) else runtime < want
    if op == "==":
        return runtime == want
    return True  # != without .* excludes one X.Y.z release, never a whole X.Y


def admits(requires_python: str | None, runtime: tuple[int, int]) -> bool:
    """Whether a distribution declaring ``requires_python`` runs on Python
    ``runtime`` (``(3, 12)``); no declaration admits every Python.

    Raises :class:`UnknownSpecifier` for a clause it cannot read."""
    if not requires_python or not requires_python.strip():
        return True
    return all(
        _clause_admits(clause, runtime) for clause in requires_python.split(",") if clause.strip()
    )
