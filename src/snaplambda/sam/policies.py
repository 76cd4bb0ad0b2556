"""A SAM function's ``Policies`` as the inline policy of its role (pure).

SAM accepts, alone or in a list, managed policy names or ARNs (strings), SAM policy
templates (``{"S3ReadPolicy": {...}}``) and policy documents
(``{"Statement": [...]}``).  snaplambda applies the documents' statements that it
can evaluate (``Effect``, ``Action``, ``Resource``, ``Sid``), merged into one
document; the rest is reported as not applied.  A ``Deny`` statement it cannot
evaluate makes the whole ``Policies`` not applied: dropping it would allow more
than the template says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

_SIMPLE = frozenset({"Sid", "Effect", "Action", "Resource"})


@dataclass
class InlinePolicy:
    """The merged document (``None``: nothing applied) and what was left out, why."""

    document: dict[str, Any] | None = None
    not_applied: list[str] = field(default_factory=list)


def inline_policy(policies: Any) -> InlinePolicy:
    """The applicable part of a function's ``Policies``.

    >>> doc = {"Statement": [{"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}]}
    >>> inline_policy([doc, "AWSLambdaBasicExecutionRole"]).not_applied
    ["managed policy 'AWSLambdaBasicExecutionRole' (IAM's managed policies are not known here)"]
    """
    entries = policies if isinstance(policies, list) else [policies]
    result = InlinePolicy()
    statements: list[dict[str, Any]] = []
    for entry in entries:
        if isinstance(entry, str):
            result.not_applied.append(
                f"managed policy '{entry}' (IAM's managed policies are not known here)"
            )
            continue
        if not isinstance(entry, dict) or "Statement" not in entry:
            name = next(iter(entry), "?") if isinstance(entry, dict) else type(entry).__name__
            result.not_applied.append(
                f"policy template {name} (SAM policy templates are not expanded)"
            )
            continue
        raw = entry["Statement"]
        for statement in raw if isinstance(raw, list) else [raw]:
            simple = isinstance(statement, dict) and set(statement) <= _SIMPLE
            if simple:
                statements.append(statement)
                continue
            extra = sorted(set(statement) - _SIMPLE) if isinstance(statement, dict) else ["?"]
            if isinstance(statement, dict) and statement.get("Effect") == "Deny":
                result.not_applied.insert(
                    0,
                    f"every statement: a Deny with {', '.join(extra)} cannot be evaluated, "
                    "and leaving it out would allow more",
                )
                result.document = None
                return result
            result.not_applied.append(f"a statement with {', '.join(extra)} (not evaluated)")
    if statements:
        result.document = {"Version": "2012-10-17", "Statement": statements}
    return result
