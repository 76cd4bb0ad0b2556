"""Provisioned concurrency configurations: checked as AWS checks them, persisted in
the store (setting ``provisioned:<qualifier>`` of the function), and turned into
wanted environments per version for the :class:`~.execution.fleet.ProvisionedFleet`.

A configuration is on an alias or a published version, never on $LATEST.  All of a
function's provisioned concurrency must fit in its reserved concurrency when it has
some; otherwise, with every other unreserved function's, in the unreserved part of
the platform limit less the unreserved minimum.  The same rules are checked when a
reservation changes (:meth:`ProvisionedService.check_reservation`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..control.aliases import AliasService
from ..control.arns import function_arn
from ..control.errors import InvalidParameterValue, ResourceNotFound, ValidationError
from ..control.models import LATEST, aws_timestamp
from ..control.store import Store
from ..control.versions import is_version_number
from ..execution import fleet_rules as decide
from ..execution.fleet import ProvisionedFleet

_KIND = "provisioned:"

ReservedLookup = Callable[[str], int | None]


def stored_settings(
    store: Store, aliases: AliasService, kind: str
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """``(function, qualifier, document)`` of each setting ``kind + qualifier`` stored
    on a published version or an alias of a function."""
    versions = aliases.versions
    for latest in versions.functions.list():
        qualifiers = [c.version for c in versions.list(latest.name) if c.version != LATEST]
        for qualifier in qualifiers + [a.name for a in aliases.list(latest.name)]:
            doc = store.get_setting(latest.name, kind + qualifier)
            if doc is not None:
                yield latest.name, qualifier, doc


class ConfigNotFound(ResourceNotFound):
    aws_type = "ProvisionedConcurrencyConfigNotFoundException"
    status = 404


@dataclass(frozen=True, slots=True)
class ProvisionedConfig:
    function: str
    qualifier: str
    requested: int
    last_modified: str


class ProvisionedService:
    """The provisioned concurrency configurations of every function."""

    def __init__(
        self,
        store: Store,
        aliases: AliasService,
        fleet: ProvisionedFleet,
        limit: int,
        reserved: ReservedLookup,
    ) -> None:
        self._store = store
        self._aliases = aliases
        self._versions = aliases.versions
        self._fleet = fleet
        self._limit = limit
        self._reserved = reserved
        """``reserved(name) -> int | None``: the function's reserved concurrency."""
        self._configs: dict[str, dict[str, ProvisionedConfig]] = {}
        for name, qualifier, doc in stored_settings(store, aliases, _KIND):
            self._configs.setdefault(name, {})[qualifier] = ProvisionedConfig(
                name,
                qualifier,
                int(doc["ProvisionedConcurrentExecutions"]),
                str(doc.get("LastModified", aws_timestamp())),
            )

    def start(self) -> None:
        """Fill every stored configuration (called once a loop runs)."""
        for name, configs in self._configs.items():
            for qualifier in configs:
                self._apply(name, qualifier)

    # -- changes -----------------------------------------------------------

    def put(self, name: str, qualifier: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
        """PutProvisionedConcurrencyConfig."""
        qualifier = self._check_qualifier(name, qualifier)
        value = body.get("ProvisionedConcurrentExecutions")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValidationError(
                f"1 validation error detected: Value '{value}' at "
                "'provisionedConcurrentExecutions' failed to satisfy constraint: Member must "
                "have value greater than or equal to 1"
            )
        others = sum(c.requested for q, c in self._configs.get(name, {}).items() if q != qualifier)
        reserved = self._reserved(name)
        if reserved is not None:
            if not decide.fits_reserved(value, others, reserved):
                raise InvalidParameterValue(
                    "Requested Provisioned Concurrency should not be greater than the "
                    f"reservedConcurrentExecution for function (requested {value}, "
                    f"provisioned on other qualifiers {others}, reserved {reserved})"
                )
        else:
            reservations = self.reservations()
            elsewhere = others + sum(
                c.requested
                for f, configs in self._configs.items()
                if f != name and f not in reservations
                for c in configs.values()
            )
            reserved_total = sum(reservations.values())
            if not decide.fits_unreserved(value, elsewhere, self._limit, reserved_total):
                keep = decide.unreserved_minimum(self._limit)
                raise InvalidParameterValue(
                    "Specified ProvisionedConcurrentExecutions for function decreases "
                    "account's UnreservedConcurrentExecution below its minimum value of "
                    f"[{keep}] (requested {value}, provisioned elsewhere without reservation "
                    f"{elsewhere}, reserved {reserved_total}, limit {self._limit})"
                )
        config = ProvisionedConfig(name, qualifier, value, aws_timestamp())
        self._store.put_setting(
            name,
            _KIND + qualifier,
            {"ProvisionedConcurrentExecutions": value, "LastModified": config.last_modified},
        )
        self._configs.setdefault(name, {})[qualifier] = config
        self._apply(name, qualifier)
        return self.describe(config)

    def check_reservation(self, name: str, value: int) -> None:
        """PutFunctionConcurrency's limits on reserving ``value`` executions for
        ``name``: the unreserved minimum stays free, and the function's provisioned
        concurrency fits in the reservation."""
        others = sum(r for f, r in self.reservations().items() if f != name)
        if not decide.fits_reservation(value, others, self._limit):
            raise InvalidParameterValue(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                "UnreservedConcurrentExecution below its minimum value of "
                f"[{decide.unreserved_minimum(self._limit)}] "
                f"(requested {value}, reserved elsewhere {others}, limit {self._limit})"
            )
        provisioned = self.total(name)
        if not decide.fits_reserved(provisioned, 0, value):
            raise InvalidParameterValue(
                f"Specified ReservedConcurrentExecutions ({value}) for function is less than "
                f"its total provisioned concurrency ({provisioned})"
            )

    def delete(self, name: str, qualifier: str | None) -> None:
        """DeleteProvisionedConcurrencyConfig."""
        qualifier = self._check_qualifier(name, qualifier)
        self.get(name, qualifier)
        self._forget(name, qualifier)

    def _forget(self, name: str, qualifier: str) -> None:
        self._configs.get(name, {}).pop(qualifier, None)
        self._store.put_setting(name, _KIND + qualifier, None)
        self._fleet.set(name, qualifier, [])

    def _apply(self, name: str, qualifier: str) -> None:
        """Tell the fleet what ``name:qualifier`` wants now, per version."""
        config = self._configs.get(name, {}).get(qualifier)
        if config is None:
            self._fleet.set(name, qualifier, [])
            return
        if is_version_number(qualifier):
            shares = {qualifier: config.requested}
        else:
            alias = self._aliases.get(name, qualifier)
            shares = decide.split_by_weight(config.requested, alias.function_version, alias.routing)
        self._fleet.set(
            name,
            qualifier,
            [(self._versions.get(name, v), n) for v, n in shares.items() if n > 0],
        )

    # -- listeners ---------------------------------------------------------------

    def on_alias_change(self, function: str, alias: str, exists: bool) -> None:
        """An alias was saved (its versions or weights may have changed) or deleted
        (its configuration goes with it, as on AWS)."""
        if alias not in self._configs.get(function, {}):
            return
        if exists:
            self._apply(function, alias)
        else:
            self._forget(function, alias)

    def on_version_deleted(self, function: str, version: str) -> None:
        if version in self._configs.get(function, {}):
            self._forget(function, version)
        self._fleet.drop(function, version)

    def on_function_deleted(self, function: str) -> None:
        self._configs.pop(function, None)
        self._fleet.drop(function)

    # -- reads -------------------------------------------------------------------

    def _check_qualifier(self, name: str, qualifier: str | None) -> str:
        self._versions.functions.get(name)
        if not qualifier:
            raise InvalidParameterValue(
                "Qualifier is required: the version number or alias name to configure"
            )
        if qualifier == LATEST:
            raise InvalidParameterValue(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions."
            )
        target = self._aliases.resolve(name, qualifier)  # ResourceNotFound when unknown
        if not is_version_number(qualifier):
            alias = self._aliases.get(name, qualifier)
            if LATEST in (target.version, *alias.routing):
                raise InvalidParameterValue(
                    "Provisioned Concurrency Configs cannot be applied to unpublished function "
                    "versions."
                )
        return qualifier

    def get(self, name: str, qualifier: str | None) -> ProvisionedConfig:
        """GetProvisionedConcurrencyConfig."""
        qualifier = self._check_qualifier(name, qualifier)
        config = self._configs.get(name, {}).get(qualifier)
        if config is None:
            raise ConfigNotFound("No Provisioned Concurrency Config found for this function")
        return config

    def list(self, name: str) -> list[ProvisionedConfig]:
        """ListProvisionedConcurrencyConfigs, by qualifier."""
        self._versions.functions.get(name)
        return sorted(self._configs.get(name, {}).values(), key=lambda c: c.qualifier)

    def reservations(self) -> dict[str, int]:
        """The reserved concurrency of every function that has one."""
        return {
            f.name: r
            for f in self._versions.functions.list()
            if (r := self._reserved(f.name)) is not None
        }

    def total(self, name: str) -> int:
        """All provisioned concurrency configured on ``name``."""
        return sum(c.requested for c in self._configs.get(name, {}).values())

    def describe(self, config: ProvisionedConfig, with_arn: bool = False) -> dict[str, Any]:
        counters = self._fleet.counters(config.function, config.qualifier, config.requested)
        doc: dict[str, Any] = {
            "RequestedProvisionedConcurrentExecutions": counters.requested,
            "AvailableProvisionedConcurrentExecutions": counters.available,
            "AllocatedProvisionedConcurrentExecutions": counters.allocated,
            "Status": counters.status.value,
            "LastModified": config.last_modified,
        }
        if counters.status is decide.Status.FAILED:
            doc["StatusReason"] = self._fleet.failure(config.function, config.qualifier) or ""
        if with_arn:
            functions = self._versions.functions
            doc = {
                "FunctionArn": function_arn(
                    functions.region, functions.account, config.function, config.qualifier
                ),
                **doc,
            }
        return doc
