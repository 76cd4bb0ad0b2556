"""Functions: create, read, update and delete, with validation and the code store.

The service keeps every function's configuration in memory (the invoke path never
touches the store) and writes through to the :class:`~.store.Store`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..packaging.codestore import CodeRef, CodeStore
from . import validation
from .arns import function_arn
from .errors import InvalidParameterValue, PreconditionFailed, ResourceConflict, ResourceNotFound
from .models import LATEST, FunctionConfig, aws_timestamp
from .store import Store

if TYPE_CHECKING:
    from .layers import LayerService

#: The members of UpdateFunctionCode that carry the code (those of ``Code`` in
#: CreateFunction).
_CODE_MEMBERS = (
    "ZipFile",
    "S3Bucket",
    "S3Key",
    "S3ObjectVersion",
    "S3ObjectStorageMode",
    "ImageUri",
    "SourceKMSKeyArn",
)

ChangeListener = Callable[[FunctionConfig | None, str], None]
"""Called with (new config or None when deleted, function name) after every change."""


def check_revision(current: str, body: Mapping[str, Any]) -> None:
    """Refuse with :class:`PreconditionFailed` when ``body`` names a ``RevisionId``
    other than ``current`` (of $LATEST, or of an alias)."""
    wanted = body.get("RevisionId")
    if wanted and wanted != current:
        raise PreconditionFailed(
            "The Revision Id provided does not match the latest Revision Id. Call the "
            "GetFunction/GetAlias API to retrieve the latest Revision Id"
        )


class FunctionService:
    """The functions of one platform."""

    def __init__(
        self,
        store: Store,
        code: CodeStore,
        region: str,
        account: str,
        layers: LayerService | None = None,
    ) -> None:
        self.region = region
        self.account = account
        self._store = store
        self._code = code
        self._layers = layers
        self._latest: dict[str, FunctionConfig] = {
            cfg.name: cfg for cfg in store.list_functions(LATEST)
        }
        self._listeners: list[ChangeListener] = []

    def subscribe(self, listener: ChangeListener) -> None:
        """Be told of every change to a function."""
        self._listeners.append(listener)

    def _with_layers(
        self, config: FunctionConfig, current: FunctionConfig | None = None
    ) -> FunctionConfig:
        """Check ``config``'s layers (they exist, suit its runtime, and code plus
        layers fit the unzipped size limit) and record their sizes."""
        if self._layers is None:
            return config
        sizes = self._layers.check_function(
            config.layers,
            config.runtime,
            self._code.unzipped_size(config.code_key),
            kept=current.layers if current is not None else (),
        )
        return replace(config, layer_sizes=sizes)

    def _save(self, config: FunctionConfig) -> FunctionConfig:
        validation.check_snap_start(config.runtime, config.snap_start)
        validation.check_logging(
            config.log_format, config.application_log_level, config.system_log_level
        )
        config = replace(config, last_modified=aws_timestamp(), revision_id=str(uuid.uuid4()))
        self._store.put_function(config)
        self._latest[config.name] = config
        for listener in self._listeners:
            listener(config, config.name)
        return config

    def get(self, name: str, version: str = LATEST) -> FunctionConfig:
        """The configuration of a function version, or :class:`ResourceNotFound`."""
        config = self._latest.get(name) if version == LATEST else None
        if config is None and version != LATEST:
            config = self._store.get_function(name, version)
        if config is None:
            raise ResourceNotFound(f"Function not found: {self._describe(name, version)}")
        return config

    def find(self, name: str) -> FunctionConfig | None:
        return self._latest.get(name)

    def list(self) -> list[FunctionConfig]:
        return sorted(self._latest.values(), key=lambda c: c.name)

    def create(self, body: Mapping[str, Any]) -> FunctionConfig:
        """CreateFunction: validate everything, then store code and configuration.

        ``Publish`` is left to the caller (:meth:`.versions.VersionService.publish`).
        """
        name = validation.validate_name(body.get("FunctionName"))
        validation.refuse_unsupported(body)
        if body.get("PackageType", "Zip") != "Zip":
            raise InvalidParameterValue(
                f"Value '{body.get('PackageType')}' at 'packageType' is not supported yet: "
                "only 'Zip' packages"
            )
        for required in ("Runtime", "Handler"):
            if not body.get(required):
                raise InvalidParameterValue(
                    "Runtime and Handler are mandatory parameters for functions created "
                    f"with deployment packages (missing: {required})"
                )
        changes = validation.config_changes(body)
        if "Code" not in body:
            raise InvalidParameterValue("Code is a mandatory parameter of CreateFunction")
        zipped = validation.decode_zip(body["Code"])
        if name in self._latest:
            raise ResourceConflict(f"Function already exist: {name}")
        ref = self._code.put(zipped)
        config = FunctionConfig(
            name=name,
            code_key=ref.key,
            code_sha256=ref.sha256_b64,
            code_size=ref.size,
            **changes,
        )
        return self._save(self._with_layers(config))

    def update_code(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        """UpdateFunctionCode from ``ZipFile`` (and ``Architectures``, if given).

        With ``DryRun`` everything is checked and the would-be configuration returned,
        but nothing changes.
        """
        current = self.get(name)
        check_revision(current.revision_id, body)
        validation.refuse_unsupported(body)
        code = {k: body.get(k) for k in _CODE_MEMBERS}
        ref: CodeRef = self._code.put(validation.decode_zip(code))
        changed = replace(current, code_key=ref.key, code_sha256=ref.sha256_b64, code_size=ref.size)
        arch = validation.config_changes({"Architectures": body.get("Architectures")})
        changed = self._with_layers(replace(changed, **arch), current)
        if body.get("DryRun"):
            return changed
        return self._save(changed)

    def update_configuration(self, name: str, body: Mapping[str, Any]) -> FunctionConfig:
        """UpdateFunctionConfiguration: only the fields given change."""
        current = self.get(name)
        check_revision(current.revision_id, body)
        validation.refuse_unsupported(body)
        changed = replace(current, **validation.config_changes(body))
        return self._save(self._with_layers(changed, current))

    def touch_revision(self, name: str) -> FunctionConfig:
        """Give $LATEST a new ``RevisionId`` and change nothing else, as a tag change
        does on AWS.  Listeners are not told: nothing that runs has changed, so warm
        environments stay (see :meth:`.FunctionConfig.differs_only_in_revision`)."""
        config = replace(self.get(name), revision_id=str(uuid.uuid4()))
        self._store.put_function(config)
        self._latest[name] = config
        return config

    def delete(self, name: str) -> None:
        self.get(name)
        self._store.delete_function(name)
        del self._latest[name]
        for listener in self._listeners:
            listener(None, name)

    def reserved_concurrency(self, name: str) -> int | None:
        doc = self._store.get_setting(name, "concurrency")
        return None if doc is None else int(doc["ReservedConcurrentExecutions"])

    def _describe(self, name: str, version: str) -> str:
        return function_arn(self.region, self.account, name, version)
