"""Lambda layers: immutable, numbered versions of shared code that functions add to
their environments.

A layer version's content lives in the content-addressed code store like a
function's; its record (name, number, compatible runtimes, code identity) lives in
its own SQLite table of the platform's database.  Version numbers count up per layer
and are never reused.  Deleting a version hides it from the API and from new
function configurations, but functions that already use it keep it (as on AWS), so
its record and content stay.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..packaging.codestore import CodeStore
from ..storage.sqlite import connect
from . import quotas, validation
from .arns import layer_arn, parse_layer_name, parse_layer_version_arn
from .errors import InvalidParameterValue, ResourceNotFound, ValidationError
from .models import aws_timestamp

_SCHEMA = """
CREATE TABLE IF NOT EXISTS layer_versions (
    name     TEXT NOT NULL,
    version  INTEGER NOT NULL,
    deleted  INTEGER NOT NULL DEFAULT 0,
    doc      BLOB NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS layer_counters (
    name     TEXT PRIMARY KEY,
    last     INTEGER NOT NULL
);
"""


def check_total_size(
    code_bytes: int, layer_bytes: Sequence[int], limit: int = quotas.UNZIPPED_MAX_BYTES
) -> None:
    """Refuse a function whose code and layers together unzip to more than ``limit``."""
    total = code_bytes + sum(layer_bytes)
    if total > limit:
        raise InvalidParameterValue(
            "Function code combined with layers exceeds the maximum allowed size of "
            f"{limit} bytes. The actual size is {total} bytes."
        )


def _string_list(field_name: str, value: object, allowed: Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidParameterValue(f"Value '{value}' at '{field_name}' must be a list of strings")
    if allowed is not None:
        for item in value:
            if item not in allowed:
                raise ValidationError(
                    f"1 validation error detected: Value '{item}' at '{field_name}' failed to "
                    f"satisfy constraint: Member must be one of {', '.join(allowed)}"
                )
    return tuple(value)


@dataclass(frozen=True)
class LayerVersion:
    """One published version of a layer."""

    name: str
    version: int
    code_key: str
    code_sha256: str
    code_size: int
    unzipped_size: int
    description: str = ""
    compatible_runtimes: tuple[str, ...] = ()
    compatible_architectures: tuple[str, ...] = ()
    license_info: str = ""
    created_date: str = field(default_factory=aws_timestamp)

    def to_doc(self) -> dict[str, Any]:
        """A JSON-ready dict for the store."""
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> LayerVersion:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        for key in ("compatible_runtimes", "compatible_architectures"):
            known[key] = tuple(known.get(key, ()))
        return cls(**known)

    def arn(self, region: str, account: str) -> str:
        return layer_arn(region, account, self.name, self.version)

    def list_item(self, region: str, account: str) -> dict[str, Any]:
        """The ``LayerVersionsListItem`` shape."""
        doc: dict[str, Any] = {
            "LayerVersionArn": self.arn(region, account),
            "Version": self.version,
            "Description": self.description,
            "CreatedDate": self.created_date,
            "CompatibleRuntimes": list(self.compatible_runtimes),
            "CompatibleArchitectures": list(self.compatible_architectures),
        }
        if self.license_info:
            doc["LicenseInfo"] = self.license_info
        return doc

    def to_aws(self, region: str, account: str, location: str) -> dict[str, Any]:
        """The ``GetLayerVersionResponse`` shape; ``location`` is where the content is."""
        return {
            "Content": {
                "Location": location,
                "CodeSha256": self.code_sha256,
                "CodeSize": self.code_size,
            },
            "LayerArn": layer_arn(region, account, self.name),
            **self.list_item(region, account),
        }

    def matches(self, runtime: str | None, architecture: str | None) -> bool:
        """Whether the version suits the ``CompatibleRuntime`` / ``CompatibleArchitecture``
        filters of the list operations (``None`` is no filter)."""
        return (runtime is None or runtime in self.compatible_runtimes) and (
            architecture is None or architecture in self.compatible_architectures
        )


class LayerRepository:
    """Layer versions and their per-layer counters in SQLite (WAL), in their own
    tables of the platform's database file."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)

    def all(self) -> list[tuple[LayerVersion, bool]]:
        """Every version ever published, with whether it was deleted."""
        rows = self._db.execute(
            "SELECT doc, deleted FROM layer_versions ORDER BY name, version"
        ).fetchall()
        return [(LayerVersion.from_doc(orjson.loads(doc)), bool(deleted)) for doc, deleted in rows]

    def next_version(self, name: str) -> int:
        """Take the next version number of ``name`` (never handed out twice)."""
        row = self._db.execute(
            "INSERT INTO layer_counters (name, last) VALUES (?, 1) "
            "ON CONFLICT (name) DO UPDATE SET last = last + 1 RETURNING last",
            (name,),
        ).fetchone()
        return int(row[0])

    def put(self, layer: LayerVersion) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO layer_versions (name, version, deleted, doc) "
            "VALUES (?, ?, 0, ?)",
            (layer.name, layer.version, orjson.dumps(layer.to_doc())),
        )

    def mark_deleted(self, name: str, version: int) -> None:
        self._db.execute(
            "UPDATE layer_versions SET deleted = 1 WHERE name = ? AND version = ?",
            (name, version),
        )

    def close(self) -> None:
        self._db.close()


class LayerService:
    """The layers of one platform, held in memory and written through to SQLite."""

    def __init__(
        self, repository: LayerRepository, code: CodeStore, region: str, account: str
    ) -> None:
        self.region = region
        self.account = account
        self._repo = repository
        self._code = code
        self._versions: dict[tuple[str, int], LayerVersion] = {}
        self._deleted: set[tuple[str, int]] = set()
        for layer, deleted in repository.all():
            self._versions[(layer.name, layer.version)] = layer
            if deleted:
                self._deleted.add((layer.name, layer.version))

    # -- the layer API -----------------------------------------------------------

    def publish(self, name: str, body: Mapping[str, Any]) -> LayerVersion:
        """PublishLayerVersion from ``Content.ZipFile``."""
        name = parse_layer_name(name)
        if "Content" not in body:
            raise InvalidParameterValue("Content is a mandatory parameter of PublishLayerVersion")
        description = body.get("Description") or ""
        if not isinstance(description, str) or len(description) > quotas.DESCRIPTION_MAX_LEN:
            raise ValidationError(
                f"1 validation error detected: Value '{description}' at 'description' failed "
                f"to satisfy constraint: Member must have length less than or equal to "
                f"{quotas.DESCRIPTION_MAX_LEN}"
            )
        runtimes = _string_list("compatibleRuntimes", body.get("CompatibleRuntimes"), None)
        archs = _string_list(
            "compatibleArchitectures", body.get("CompatibleArchitectures"), ("x86_64", "arm64")
        )
        license_info = body.get("LicenseInfo") or ""
        if not isinstance(license_info, str) or len(license_info) > 512:
            raise InvalidParameterValue(
                "Value at 'licenseInfo' must be a string of 0-512 characters"
            )
        ref = self._code.put(validation.decode_zip(body["Content"]))
        layer = LayerVersion(
            name=name,
            version=self._repo.next_version(name),
            code_key=ref.key,
            code_sha256=ref.sha256_b64,
            code_size=ref.size,
            unzipped_size=ref.unzipped_size,
            description=description,
            compatible_runtimes=runtimes,
            compatible_architectures=archs,
            license_info=license_info,
        )
        self._repo.put(layer)
        self._versions[(name, layer.version)] = layer
        return layer

    def get(self, name: str, version: int) -> LayerVersion:
        """A version that was not deleted, or :class:`ResourceNotFound`."""
        key = (parse_layer_name(name), version)
        layer = self._versions.get(key)
        if layer is None or key in self._deleted:
            raise ResourceNotFound(
                "The resource you requested does not exist. (Layer version "
                f"{layer_arn(self.region, self.account, key[0], version)})"
            )
        return layer

    def get_by_arn(self, arn: str) -> LayerVersion:
        return self.get(*parse_layer_version_arn(arn))

    def list_versions(
        self, name: str, runtime: str | None = None, architecture: str | None = None
    ) -> list[LayerVersion]:
        """A layer's live versions matching the filters, newest first."""
        name = parse_layer_name(name)
        found = [
            layer
            for key, layer in self._versions.items()
            if key[0] == name and key not in self._deleted and layer.matches(runtime, architecture)
        ]
        return sorted(found, key=lambda layer: -layer.version)

    def list_layers(
        self, runtime: str | None = None, architecture: str | None = None
    ) -> list[LayerVersion]:
        """Each layer's newest live version matching the filters, by layer name."""
        latest: dict[str, LayerVersion] = {}
        for key, layer in self._versions.items():
            if key in self._deleted or not layer.matches(runtime, architecture):
                continue
            if layer.name not in latest or layer.version > latest[layer.name].version:
                latest[layer.name] = layer
        return [latest[name] for name in sorted(latest)]

    def delete(self, name: str, version: int) -> None:
        """DeleteLayerVersion: gone from the API; functions using it keep it.  Deleting
        a version that does not exist (any more) succeeds, as on AWS."""
        key = (parse_layer_name(name), version)
        if key in self._versions and key not in self._deleted:
            self._repo.mark_deleted(*key)
            self._deleted.add(key)

    def total_code_size(self) -> int:
        """The zipped size of every layer version not deleted, as AWS counts it in
        ``AccountUsage.TotalCodeSize``."""
        return sum(
            layer.code_size for key, layer in self._versions.items() if key not in self._deleted
        )

    def code_keys(self, used: Collection[str]) -> set[str]:
        """The code of every layer version not deleted, and of deleted ones whose ARN
        is in ``used`` (functions keep the layers they have)."""
        keys = set()
        for key, layer in self._versions.items():
            if key not in self._deleted or layer.arn(self.region, self.account) in used:
                keys.add(layer.code_key)
        return keys

    def location(self, layer: LayerVersion) -> str:
        return f"file://{self._code.path(layer.code_key)}"

    # -- functions using layers ----------------------------------------------------

    def check_function(
        self,
        arns: Sequence[str],
        runtime: str,
        code_unzipped: int,
        kept: Sequence[str] = (),
    ) -> tuple[int, ...]:
        """Check the layers of a function configuration: each exists (a deleted version
        only when the function already had it, listed in ``kept``) and suits
        ``runtime``, and code plus layers stay within the unzipped size limit.

        Returns each layer's zipped size, for ``Layers[].CodeSize``."""
        found: list[LayerVersion] = []
        for arn in arns:
            key = parse_layer_version_arn(arn)
            layer = self._versions.get(key)
            if layer is None or (key in self._deleted and arn not in kept):
                raise InvalidParameterValue(f"Layer version {arn} does not exist (or was deleted).")
            if layer.compatible_runtimes and runtime not in layer.compatible_runtimes:
                raise InvalidParameterValue(
                    f"Layer version {arn} is not compatible with runtime {runtime} "
                    f"(compatible: {', '.join(layer.compatible_runtimes)})"
                )
            found.append(layer)
        check_total_size(code_unzipped, [layer.unzipped_size for layer in found])
        return tuple(layer.code_size for layer in found)

    def directories(self, arns: Sequence[str]) -> list[Path]:
        """The extracted content of each layer version, in order (deleted ones too:
        functions keep the layers they have)."""
        return [
            self._code.path(self._versions[parse_layer_version_arn(arn)].code_key) for arn in arns
        ]

    def close(self) -> None:
        self._repo.close()
