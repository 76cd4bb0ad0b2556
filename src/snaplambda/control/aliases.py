"""Aliases: named pointers to a function version, with optional weighted routing to a
second version, and the resolution of any qualifier (``$LATEST``, a version number
or an alias) to the configuration it runs.

Aliases are held in memory, so resolving one on the invoke path never reads the
store.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from . import validation
from .arns import function_arn
from .errors import ResourceConflict, ResourceNotFound, ValidationError
from .functions import check_revision
from .models import LATEST, Alias, FunctionConfig
from .routing import RandomSource, choose_version, parse_routing
from .store import Store
from .versions import VersionService, is_version_number

# Applied with ``fullmatch``: an anchored ``$`` would let a trailing newline through.
_ALIAS_NAME = re.compile(r"(?![0-9]+\Z)[a-zA-Z0-9_-]{1,128}")
_FUNCTION_VERSION = re.compile(r"\$LATEST|[0-9]{1,1024}")


def validate_alias_name(value: object) -> str:
    """An alias name: 1-128 letters, digits, ``-`` or ``_``, not all digits."""
    if not isinstance(value, str) or not _ALIAS_NAME.fullmatch(value):
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at 'name' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(?!^[0-9]+$)([a-zA-Z0-9-_]+) (1-128 letters, digits, '-' or '_', not only digits)"
        )
    return value


def validate_function_version(value: object) -> str:
    """An alias target: ``$LATEST`` or a version number."""
    if not isinstance(value, str) or not _FUNCTION_VERSION.fullmatch(value):
        raise ValidationError(
            f"1 validation error detected: Value '{value}' at 'functionVersion' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "(\\$LATEST|[0-9]+)"
        )
    return value


class AliasService:
    """The aliases of every function, on top of its :class:`VersionService`."""

    def __init__(self, store: Store, versions: VersionService) -> None:
        self._store = store
        self.versions = versions
        self.region = versions.functions.region
        self.account = versions.functions.account
        self._aliases: dict[str, dict[str, Alias]] = {}
        for latest in versions.functions.list():
            aliases = {a.name: a for a in store.list_aliases(latest.name)}
            if aliases:
                self._aliases[latest.name] = aliases
        versions.functions.subscribe(self._on_function_change)
        versions.guard_deletes(self._refuse_if_referenced)
        self._listeners: list[Callable[[str, str, bool], None]] = []

    def subscribe(self, listener: Callable[[str, str, bool], None]) -> None:
        """Be told (function, alias, still exists) after every alias change."""
        self._listeners.append(listener)

    def _on_function_change(self, config: FunctionConfig | None, name: str) -> None:
        if config is None:
            self._aliases.pop(name, None)

    def _arn(self, function: str, name: str) -> str:
        return function_arn(self.region, self.account, function, name)

    # -- reads -------------------------------------------------------------

    def get(self, function: str, name: str) -> Alias:
        """GetAlias, or :class:`ResourceNotFound`."""
        self.versions.functions.get(function)
        alias = self._aliases.get(function, {}).get(name)
        if alias is None:
            raise ResourceNotFound(f"Cannot find alias arn: {self._arn(function, name)}")
        return alias

    def referencing(self, function: str, version: str) -> list[str]:
        """Names of the aliases that point or route to ``version``."""
        return sorted(
            a.name
            for a in self._aliases.get(function, {}).values()
            if a.function_version == version or version in a.routing
        )

    def list(self, function: str, function_version: str | None = None) -> list[Alias]:
        """ListAliases, by name; only those pointing to ``function_version`` if given."""
        self.versions.functions.get(function)
        aliases = sorted(self._aliases.get(function, {}).values(), key=lambda a: a.name)
        if function_version is not None:
            aliases = [a for a in aliases if a.function_version == function_version]
        return aliases

    def resolve(
        self, function: str, qualifier: str | None, random: RandomSource | None = None
    ) -> FunctionConfig:
        """The configuration ``function:qualifier`` runs.

        An alias with routing picks a version with ``random``; without it (reads such
        as GetFunction) the alias's primary version.
        """
        if qualifier is None or qualifier == LATEST or is_version_number(qualifier):
            return self.versions.get(function, qualifier or LATEST)
        alias = self._aliases.get(function, {}).get(qualifier)
        if alias is None:
            self.versions.functions.get(function)
            raise ResourceNotFound(f"Function not found: {self._arn(function, qualifier)}")
        version = alias.function_version
        if random is not None and alias.routing:
            version = choose_version(version, alias.routing, random)
        return self.versions.get(function, version)

    # -- changes -----------------------------------------------------------

    def create(self, function: str, body: Mapping[str, Any]) -> Alias:
        """CreateAlias."""
        name = validate_alias_name(body.get("Name"))
        target = validate_function_version(body.get("FunctionVersion"))
        description = validation.validate_description(body.get("Description") or "")
        self.versions.get(function, target)
        if name in self._aliases.get(function, {}):
            raise ResourceConflict(f"Alias already exists: {self._arn(function, name)}")
        routing = self._routing(function, body.get("RoutingConfig"), target)
        alias = Alias(function, name, target, description, routing, str(uuid.uuid4()))
        return self._save(alias)

    def update(self, function: str, name: str, body: Mapping[str, Any]) -> Alias:
        """UpdateAlias: only the fields given change; ``RevisionId`` is checked."""
        current = self.get(function, name)
        check_revision(current.revision_id, body)
        target = current.function_version
        if body.get("FunctionVersion") is not None:
            target = validate_function_version(body["FunctionVersion"])
            self.versions.get(function, target)
        description = current.description
        if body.get("Description") is not None:
            description = validation.validate_description(body["Description"])
        routing_config = body.get("RoutingConfig")
        if routing_config is None:
            routing_config = {"AdditionalVersionWeights": current.routing}
        routing = self._routing(function, routing_config, target)
        return self._save(
            replace(
                current,
                function_version=target,
                description=description,
                routing=routing,
                revision_id=str(uuid.uuid4()),
            )
        )

    def delete(self, function: str, name: str) -> None:
        """DeleteAlias."""
        self.get(function, name)
        self._store.delete_alias(function, name)
        del self._aliases[function][name]
        for listener in self._listeners:
            listener(function, name, False)

    def _routing(self, function: str, value: object, target: str) -> dict[str, float]:
        routing = parse_routing(value, target)
        for version in routing:
            self.versions.get(function, version)
        return routing

    def _save(self, alias: Alias) -> Alias:
        self._store.put_alias(alias)
        self._aliases.setdefault(alias.function, {})[alias.name] = alias
        for listener in self._listeners:
            listener(alias.function, alias.name, True)
        return alias

    def _refuse_if_referenced(self, function: str, version: str) -> None:
        names = self.referencing(function, version)
        if names:
            raise ResourceConflict(
                "Unable to delete version because the following aliases reference it: "
                f"[{', '.join(names)}]"
            )
