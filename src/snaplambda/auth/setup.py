"""Opening the key store of a state directory: the root key (made on first start),
the extra keys of ``keys.json`` and the role policies of ``roles.json``."""

from __future__ import annotations

from pathlib import Path

from .keys import KeyStore, load_extra, load_root
from .roles import CurrentRole, RolePolicies


def open_key_store(state_dir: Path, account_id: str, current_role: CurrentRole) -> KeyStore:
    """The key store of ``state_dir``; raises :class:`~.keys.KeyStoreError` for a
    file that cannot be used as written."""
    root, _ = load_root(state_dir)
    roles = RolePolicies(state_dir / "roles.json", current_role)
    return KeyStore(account_id, root, load_extra(state_dir, account_id), roles)
