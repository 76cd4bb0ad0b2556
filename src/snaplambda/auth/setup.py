"""Opening the key store of a state directory: the root key (made on first start),
the extra keys of ``keys.json`` and the role policies of ``roles.json``."""

from __future__ import annotations

from pathlib import Path

from .keys import KeyStore, load_extra, load_root
from .roles import CurrentRole, RolePolicies


def role_policies(state_dir: Path, current_role: CurrentRole) -> RolePolicies:
    """The role policies of ``state_dir`` (``roles.json``)."""
    return RolePolicies(state_dir / "roles.json", current_role)


def open_key_store(state_dir: Path, account_id: str, roles: RolePolicies) -> KeyStore:
    """The key store of ``state_dir``; raises :class:`~.keys.KeyStoreError` for a
    file that cannot be used as written."""
    root, _ = load_root(state_dir)
    return KeyStore(account_id, root, load_extra(state_dir, account_id), roles)
