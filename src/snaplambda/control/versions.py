"""Function versions: immutable, numbered copies of $LATEST's code and configuration.

Numbers count up per function and are never reused while the function exists (a
deleted version's number stays taken).  Publishing when nothing changed since the
last published version returns that version instead of a new one, as Lambda does.
Every version is held in memory, so invoking one never reads the store.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from typing import Any

import orjson

from . import validation
from .arns import function_arn
from .errors import InvalidParameterValue, ResourceNotFound
from .functions import FunctionService, check_revision
from .models import LATEST, FunctionConfig, aws_timestamp
from .store import Store

VersionListener = Callable[[str, str], None]
"""Called with (function name, version) after a version is deleted."""

DeleteGuard = Callable[[str, str], None]
"""Called with (function name, version) before a version is deleted; raises
:class:`ResourceConflict` to refuse (an alias still points to it)."""

_COUNTER = "versions"
"""The store setting that keeps a function's last published version number."""

#: Fields whose change makes $LATEST worth publishing again.
_PUBLISHED_FIELDS = (
    "runtime",
    "handler",
    "code_sha256",
    "memory_size",
    "timeout",
    "ephemeral_storage",
    "environment",
    "description",
    "role",
    "architectures",
)


#: Fields the published configuration gained later: in a fingerprint only when not
#: at their default, so versions published before them keep their fingerprints.
_LATER_FIELDS = (
    "layers",
    "snap_start",
    "log_format",
    "application_log_level",
    "system_log_level",
    "log_group",
    "tracing_mode",
    "vpc_config",
    "dead_letter_target",
    "kms_key_arn",
    "file_system_configs",
)
_DEFAULTS = {f.name: f.default for f in fields(FunctionConfig)}


def is_version_number(qualifier: str) -> bool:
    """Whether ``qualifier`` names a published version (``"1"``, ``"2"``, ...)."""
    return qualifier.isascii() and qualifier.isdigit()


def fingerprint(config: FunctionConfig) -> str:
    """A digest of the code and configuration a version would capture.

    Two configurations with equal fingerprints run the same code the same way, so
    publishing the second would add nothing.
    """
    doc = {name: getattr(config, name) for name in _PUBLISHED_FIELDS}
    for name in _LATER_FIELDS:
        if getattr(config, name) != _DEFAULTS[name]:
            doc[name] = getattr(config, name)
    return hashlib.sha256(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)).hexdigest()


class VersionService:
    """The published versions of every function, on top of its :class:`FunctionService`."""

    def __init__(self, store: Store, functions: FunctionService) -> None:
        self._store = store
        self.functions = functions
        self._versions: dict[str, dict[str, FunctionConfig]] = {}
        self._last: dict[str, int] = {}
        for latest in functions.list():
            self._load(latest.name)
        self._listeners: list[VersionListener] = []
        self._guards: list[DeleteGuard] = []
        self._published: list[Callable[[FunctionConfig], None]] = []
        functions.subscribe(self._on_function_change)

    def _load(self, name: str) -> None:
        versions = {cfg.version: cfg for cfg in self._store.list_versions(name)}
        if versions:
            self._versions[name] = versions
        counter = self._store.get_setting(name, _COUNTER)
        last = max([0, *(int(v) for v in versions)])
        if counter is not None:
            last = max(last, int(counter["LastVersion"]))
        if last:
            self._last[name] = last

    def _on_function_change(self, config: FunctionConfig | None, name: str) -> None:
        if config is None:
            self._versions.pop(name, None)
            self._last.pop(name, None)

    def subscribe(self, listener: VersionListener) -> None:
        """Be told of every deleted version."""
        self._listeners.append(listener)

    def on_publish(self, listener: Callable[[FunctionConfig], None]) -> None:
        """Be told of every newly published version."""
        self._published.append(listener)

    def set_state(self, name: str, version: str, state: str, code: str, reason: str) -> None:
        """Record a version's ``State`` (a SnapStart snapshot's outcome)."""
        current = self._versions.get(name, {}).get(version)
        if current is None:
            return
        changed = replace(current, state=state, state_reason_code=code, state_reason=reason)
        self._store.put_function(changed)
        self._versions[name][version] = changed

    def guard_deletes(self, guard: DeleteGuard) -> None:
        """Have ``guard`` approve every version deletion first."""
        self._guards.append(guard)

    # -- reads -------------------------------------------------------------

    def find(self, name: str, version: str) -> FunctionConfig | None:
        """A version ($LATEST or a number) from memory, or None."""
        if version == LATEST:
            return self.functions.find(name)
        return self._versions.get(name, {}).get(version)

    def get(self, name: str, version: str) -> FunctionConfig:
        """A version ($LATEST or a number), or :class:`ResourceNotFound`."""
        if version == LATEST:
            return self.functions.get(name)
        config = self._versions.get(name, {}).get(version)
        if config is None:
            arn = function_arn(self.functions.region, self.functions.account, name, version)
            raise ResourceNotFound(f"Function not found: {arn}")
        return config

    def all(self) -> list[FunctionConfig]:
        """Every function's $LATEST followed by its published versions, by name."""
        return [cfg for latest in self.functions.list() for cfg in self.list(latest.name)]

    def list(self, name: str) -> list[FunctionConfig]:
        """$LATEST, then the published versions in order."""
        latest = self.functions.get(name)
        published = sorted(self._versions.get(name, {}).values(), key=lambda c: int(c.version))
        return [latest, *published]

    # -- changes -----------------------------------------------------------

    def publish(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        """PublishVersion: snapshot $LATEST as the next version number.

        ``RevisionId`` and ``CodeSha256``, when given, must match $LATEST.  Returns the
        last published version unchanged if $LATEST has not changed since.
        """
        latest = self.functions.get(name)
        check_revision(latest.revision_id, body)
        validation.refuse_unsupported({"PublishTo": body.get("PublishTo")})
        code_sha256 = body.get("CodeSha256")
        if code_sha256 and code_sha256 != latest.code_sha256:
            raise InvalidParameterValue(
                f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST "
                f"({latest.code_sha256}). Please try again with the CodeSHA256 in $LATEST."
            )
        description = body.get("Description")
        if description is not None:
            description = validation.validate_description(description)
        digest = fingerprint(latest)
        number = self._last.get(name, 0)
        previous = self._versions.get(name, {}).get(str(number))
        if previous is not None and previous.published_from == digest:
            return previous
        number += 1
        version = replace(
            latest,
            version=str(number),
            description=latest.description if description is None else description,
            last_modified=aws_timestamp(),
            revision_id=str(uuid.uuid4()),
            # A SnapStart version is Pending until its snapshot exists.
            state="Pending" if latest.snap_start == "PublishedVersions" else "Active",
            state_reason="",
            state_reason_code="",
            last_update_status="Successful",
            published_from=digest,
        )
        self._store.put_function(version)
        self._store.put_setting(name, _COUNTER, {"LastVersion": number})
        self._versions.setdefault(name, {})[version.version] = version
        self._last[name] = number
        for listener in self._published:
            listener(version)
        return version

    def delete(self, name: str, version: str) -> None:
        """DeleteFunction with a ``Qualifier``: remove one published version.

        $LATEST goes only with the whole function; an alias is deleted with
        DeleteAlias; a version an alias routes to cannot be deleted.
        """
        if version == LATEST:
            raise InvalidParameterValue(
                "$LATEST version cannot be deleted without deleting the function."
            )
        self.functions.get(name)
        if not is_version_number(version):
            raise InvalidParameterValue(
                f"Deletion of aliases is not supported by DeleteFunction: Qualifier "
                f"'{version}' is not a version number (use DeleteAlias to delete an alias)"
            )
        self.get(name, version)
        for guard in self._guards:
            guard(name, version)
        self._store.delete_function(name, version)
        del self._versions[name][version]
        for listener in self._listeners:
            listener(name, version)
