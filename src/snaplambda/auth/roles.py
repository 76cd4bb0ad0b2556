"""The policies of function roles: ``<state>/roles.json`` maps a role ARN (or a
role name) to its policy document; roles it does not name get
:data:`DEFAULT_ROLE_POLICY`, the rights of AWS's ``AWSLambdaBasicExecutionRole``
(writing logs), which lets a function call nothing else of the platform.  The file
is written by hand or through ``PUT /2026-snaplambda/role-policies/{role}`` (SAM
deploys put a function's inline ``Policies`` there)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .keys import KeyStoreError, write_private
from .policy import NOTHING, Policy, PolicyError, parse_policy

DEFAULT_ROLE_POLICY = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    }
)

CurrentRole = Callable[[str], "str | None"]
"""The role a function has now (``None``: no such function)."""


class RolePolicies:
    """Role ARN -> policy, read from ``roles.json`` again whenever it changes."""

    def __init__(self, path: Path, current_role: CurrentRole) -> None:
        self.path = path
        self._current_role = current_role
        self._stamp: tuple[float, int] | None = None
        self._policies: dict[str, Policy] = {}
        self._documents: dict[str, Any] = {}
        self.reload()

    def reload(self) -> None:
        """Read the file if it changed; a malformed file raises :class:`KeyStoreError`."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._policies, self._documents = None, {}, {}
            return
        stamp = (stat.st_mtime, stat.st_size)
        if stamp == self._stamp:
            return
        try:
            data = json.loads(self.path.read_text())
            if not isinstance(data, dict):
                raise KeyStoreError(f"{self.path} must map role ARNs to policy documents")
            policies = {
                role: parse_policy(doc, f"{self.path}: {role}") for role, doc in data.items()
            }
        except (ValueError, PolicyError) as exc:
            raise KeyStoreError(f"{self.path}: {exc}") from exc
        self._stamp, self._policies, self._documents = stamp, policies, data

    def document(self, role: str) -> Any | None:
        """The policy document stored for ``role`` (as written), if any."""
        self.reload()
        return self._documents.get(role)

    def put(self, role: str, document: Any) -> None:
        """Store ``document`` as ``role``'s policy; :class:`PolicyError` if it cannot
        be evaluated as written."""
        parse_policy(document, f"policy of {role}")
        self.reload()
        self._write({**self._documents, role: document})

    def delete(self, role: str) -> bool:
        """Forget ``role``'s policy; whether there was one."""
        self.reload()
        if role not in self._documents:
            return False
        self._write({k: v for k, v in self._documents.items() if k != role})
        return True

    def _write(self, documents: dict[str, Any]) -> None:
        partial = self.path.with_suffix(".json.partial")
        write_private(partial, json.dumps(documents, indent=2) + "\n")
        os.replace(partial, self.path)
        self._stamp = None
        self.reload()

    def policy_of(self, role_arn: str) -> Policy:
        """The policy given to ``role_arn`` (by ARN, else by its name)."""
        try:
            self.reload()
        except KeyStoreError:
            return NOTHING  # a broken file grants nothing until it is fixed
        name = role_arn.rpartition("/")[2]
        return self._policies.get(role_arn) or self._policies.get(name) or DEFAULT_ROLE_POLICY

    def __call__(self, function_name: str, role_arn: str) -> Policy:
        """The session policy of ``function_name``'s credentials: nothing once the
        function is gone or has another role than the one they were issued for."""
        if self._current_role(function_name) != role_arn:
            return NOTHING
        return self.policy_of(role_arn)
