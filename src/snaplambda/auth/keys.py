"""The platform's access keys: the credentials file, extra keys with policies, and
the temporary credentials each function's environments sign with.

``<state>/credentials`` is an AWS shared-credentials file with one profile,
``snaplambda``, made on first start with a random key pair that is the account's
root (full access).  ``<state>/keys.json`` (optional, written by the operator) adds
keys limited by an IAM-style policy::

    [{"AccessKeyId": "AKIA...", "SecretAccessKey": "...", "UserName": "ci",
      "Policy": {"Version": "2012-10-17", "Statement": [...]}}]

Function credentials are not stored: the session token names the function and its
role and carries a MAC made with a key derived from the root secret; the key id
and secret are derived from the token.  A request signed with them is the role's
session, with the role's policy as it is when the request arrives (see
:class:`RolePolicies`).
"""

from __future__ import annotations

import base64
import configparser
import hashlib
import hmac
import json
import os
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .policy import FULL_ACCESS, NOTHING, Policy, PolicyError, parse_policy

PROFILE = "snaplambda"
_ALPHABET = string.ascii_uppercase + "234567"
_TOKEN_PREFIX = "SLS1"


class KeyStoreError(ValueError):
    """A credentials or keys file that cannot be used as written."""


@dataclass(frozen=True)
class Principal:
    """Who signed a request, as STS names it, and what they may do."""

    user_id: str
    account: str
    arn: str
    policy: Policy

    @property
    def is_root(self) -> bool:
        return self.arn.endswith(":root")


@dataclass(frozen=True)
class Key:
    """An access key: its secret and the principal it belongs to."""

    access_key_id: str
    secret: str
    principal: Principal


RolePolicy = Callable[[str, str], Policy]
"""``(function name, role ARN in the session token) -> policy`` of that session."""


def new_key_pair() -> tuple[str, str]:
    """A random ``AKIA`` + 16 characters id and a 40-character secret, as IAM makes them."""
    key_id = "AKIA" + "".join(secrets.choice(_ALPHABET) for _ in range(16))
    alphabet = string.ascii_letters + string.digits + "+/"
    return key_id, "".join(secrets.choice(alphabet) for _ in range(40))


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read (0600 from its creation)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeyStore:
    """Looks up the key a request was signed with."""

    def __init__(
        self, account_id: str, root: tuple[str, str], extra: list[Key], role_policy: RolePolicy
    ) -> None:
        self.account_id = account_id
        root_principal = Principal(
            account_id, account_id, f"arn:aws:iam::{account_id}:root", FULL_ACCESS
        )
        self.root = Key(root[0], root[1], root_principal)
        self._keys = {self.root.access_key_id: self.root, **{k.access_key_id: k for k in extra}}
        self._session_key = hmac.new(
            root[1].encode(), b"snaplambda-sessions", hashlib.sha256
        ).digest()
        self._role_policy = role_policy

    def _mac(self, purpose: str, data: str) -> bytes:
        return hmac.new(self._session_key, f"{purpose}\n{data}".encode(), hashlib.sha256).digest()

    def issue_role_credentials(self, function_name: str, role_arn: str) -> tuple[str, str, str]:
        """``(access key id, secret, session token)`` for ``function_name``'s role."""
        payload = _b64(json.dumps([function_name, role_arn], separators=(",", ":")).encode())
        token = f"{_TOKEN_PREFIX}.{payload}.{_b64(self._mac('token', payload)[:20])}"
        digest = self._mac("id", token)
        key_id = "ASIA" + "".join(_ALPHABET[b % 32] for b in digest[:16])
        secret = base64.b64encode(self._mac("secret", token)).decode()[:40]
        return key_id, secret, token

    def lookup(self, access_key_id: str, session_token: str | None) -> Key | None:
        """The key, or ``None`` when the id (with its token, for ``ASIA`` ids) is unknown."""
        key = self._keys.get(access_key_id)
        if key is not None:
            return key
        if not access_key_id.startswith("ASIA") or not session_token:
            return None
        role = self._session(session_token)
        if role is None:
            return None
        function_name, role_arn = role
        key_id, secret, _ = self.issue_role_credentials(function_name, role_arn)
        if not hmac.compare_digest(key_id, access_key_id):
            return None
        role_name = role_arn.rpartition("/")[2] or role_arn
        digest = self._mac("role", role_arn)
        role_id = "AROA" + "".join(_ALPHABET[b % 32] for b in digest[:17])
        principal = Principal(
            f"{role_id}:{function_name}",
            self.account_id,
            f"arn:aws:sts::{self.account_id}:assumed-role/{role_name}/{function_name}",
            self._role_policy(function_name, role_arn),
        )
        return Key(key_id, secret, principal)

    def _session(self, token: str) -> tuple[str, str] | None:
        prefix, _, rest = token.partition(".")
        payload, _, mac = rest.partition(".")
        if prefix != _TOKEN_PREFIX or not payload:
            return None
        try:
            expected = _b64(self._mac("token", payload)[:20])
            if not hmac.compare_digest(expected, mac):
                return None
            value = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            return None
        if not (
            isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)
        ):
            return None
        return value[0], value[1]


def credentials_path(state_dir: Path) -> Path:
    return state_dir / "credentials"


def load_root(state_dir: Path) -> tuple[tuple[str, str], bool]:
    """The root key pair from ``<state>/credentials``, made (0600) if it does not
    exist; and whether it was made now."""
    path = credentials_path(state_dir)
    if not path.exists():
        key_id, secret = new_key_pair()
        write_private(
            path,
            "# snaplambda's account root key (full access); keep it private.\n"
            f"[{PROFILE}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
        )
        return (key_id, secret), True
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
        section = parser[PROFILE]
        return (
            section["aws_access_key_id"].strip(),
            section["aws_secret_access_key"].strip(),
        ), False
    except (configparser.Error, KeyError) as exc:
        raise KeyStoreError(
            f"{path}: no [{PROFILE}] profile with aws_access_key_id and "
            f"aws_secret_access_key ({exc}); remove the file to have a new key made"
        ) from exc


def load_extra(state_dir: Path, account_id: str) -> list[Key]:
    """The keys of ``<state>/keys.json`` (none if the file does not exist)."""
    path = state_dir / "keys.json"
    if not path.exists():
        return []
    try:
        entries: Any = json.loads(path.read_text())
    except ValueError as exc:
        raise KeyStoreError(f"{path} is not JSON: {exc}") from exc
    if not isinstance(entries, list):
        raise KeyStoreError(f"{path} must hold a JSON list of keys")
    keys = []
    for index, entry in enumerate(entries):
        where = f"{path}[{index}]"
        if not isinstance(entry, dict):
            raise KeyStoreError(f"{where} must be an object")
        key_id, secret = entry.get("AccessKeyId"), entry.get("SecretAccessKey")
        if not (isinstance(key_id, str) and key_id and isinstance(secret, str) and secret):
            raise KeyStoreError(f"{where} needs AccessKeyId and SecretAccessKey strings")
        name = entry.get("UserName") or key_id
        try:
            policy = parse_policy(entry["Policy"], where) if "Policy" in entry else NOTHING
        except PolicyError as exc:
            raise KeyStoreError(str(exc)) from exc
        user_id = "AIDA" + hashlib.sha256(key_id.encode()).hexdigest()[:17].upper()
        principal = Principal(user_id, account_id, f"arn:aws:iam::{account_id}:user/{name}", policy)
        keys.append(Key(key_id, secret, principal))
    return keys
