"""Stacks: which deploy of a SAM template owns which resources (beyond AWS).

CloudFormation knows which stack made each function, layer version and alias; a
template deployed here needs the same to update its own resources, remove what it
no longer has and never take over another stack's.  A stack's record is its name,
its resources (logical id, CloudFormation type, physical id: a function's name, a
layer version's or alias's ARN), its outputs and when it was created and updated.
One physical resource belongs to at most one stack: a record naming a resource of
another stack is refused with :class:`ResourceConflict` naming that stack.

The records sit behind :class:`StackStore` (SQLite here: a ``stacks`` table of the
platform's database) and are held in memory by :class:`StackService`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import orjson

from ..storage.sqlite import connect
from .errors import ResourceConflict, ResourceNotFound, ValidationError
from .models import aws_timestamp

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stacks (
    name     TEXT PRIMARY KEY,
    doc      BLOB NOT NULL
);
"""

STACK_NAME = re.compile(r"[a-zA-Z][-a-zA-Z0-9]{0,127}")
_LOGICAL_ID = re.compile(r"[A-Za-z0-9]{1,255}")
_RESOURCE_TYPE = re.compile(r"[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}")
#: CloudFormation's limits on a template.
MAX_RESOURCES = 500
MAX_OUTPUTS = 200


@dataclass(frozen=True)
class StackResource:
    """One resource of a stack."""

    logical_id: str
    type: str
    physical_id: str
    retain: bool = False
    """Kept when the stack is deleted (a layer's ``RetentionPolicy: Retain``)."""

    def to_aws(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "LogicalResourceId": self.logical_id,
            "ResourceType": self.type,
            "PhysicalResourceId": self.physical_id,
        }
        if self.retain:
            doc["DeletionPolicy"] = "Retain"
        return doc


@dataclass(frozen=True)
class StackOutput:
    """One resolved output of a stack."""

    key: str
    value: str
    description: str = ""

    def to_aws(self) -> dict[str, Any]:
        doc = {"OutputKey": self.key, "OutputValue": self.value}
        if self.description:
            doc["Description"] = self.description
        return doc


@dataclass(frozen=True)
class Stack:
    """A stack's record."""

    name: str
    resources: tuple[StackResource, ...] = ()
    outputs: tuple[StackOutput, ...] = ()
    created: str = ""
    updated: str = ""

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Stack:
        return cls(
            name=doc["name"],
            resources=tuple(StackResource(**r) for r in doc.get("resources", ())),
            outputs=tuple(StackOutput(**o) for o in doc.get("outputs", ())),
            created=doc.get("created", ""),
            updated=doc.get("updated", ""),
        )

    def to_aws(self) -> dict[str, Any]:
        return {
            "StackName": self.name,
            "CreationTime": self.created,
            "LastUpdatedTime": self.updated,
            "Resources": [r.to_aws() for r in self.resources],
            "Outputs": [o.to_aws() for o in self.outputs],
        }


class StackStore(Protocol):
    """What :class:`StackService` needs from persistent storage."""

    def all(self) -> list[Stack]: ...

    def put(self, stack: Stack) -> None: ...

    def delete(self, name: str) -> None: ...

    def close(self) -> None: ...


class SqliteStackStore:
    """:class:`StackStore` in its own table of the platform's SQLite file."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._db.executescript(_SCHEMA)

    def all(self) -> list[Stack]:
        rows = self._db.execute("SELECT doc FROM stacks ORDER BY name").fetchall()
        return [Stack.from_doc(orjson.loads(row[0])) for row in rows]

    def put(self, stack: Stack) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO stacks (name, doc) VALUES (?, ?)",
            (stack.name, orjson.dumps(stack.to_doc())),
        )

    def delete(self, name: str) -> None:
        self._db.execute("DELETE FROM stacks WHERE name = ?", (name,))

    def close(self) -> None:
        self._db.close()


def _invalid(field: str, value: object, constraint: str) -> ValidationError:
    return ValidationError(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def check_stack_name(name: str) -> str:
    """``name`` if it is a valid CloudFormation stack name."""
    if not STACK_NAME.fullmatch(name):
        raise _invalid(
            "stackName",
            name,
            "Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]* and "
            "have length less than or equal to 128",
        )
    return name


def _string(doc: Mapping[str, Any], key: str, field: str, pattern: re.Pattern[str] | None) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value or len(value) > 2048:
        raise _invalid(field, value, "Member must be a string of 1-2048 characters")
    if pattern is not None and not pattern.fullmatch(value):
        raise _invalid(
            field, value, f"Member must satisfy regular expression pattern: {pattern.pattern}"
        )
    return value


def parse_resources(value: object) -> tuple[StackResource, ...]:
    """The ``Resources`` of a PUT body."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_RESOURCES:
        raise _invalid(
            "resources", value, f"Member must be a list of at most {MAX_RESOURCES} resources"
        )
    resources: list[StackResource] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"resources.{i + 1}"
        if not isinstance(item, dict):
            raise _invalid(where, item, "Member must be a structure")
        logical = _string(item, "LogicalResourceId", f"{where}.logicalResourceId", _LOGICAL_ID)
        if logical in seen:
            raise _invalid(
                f"{where}.logicalResourceId", logical, "Member must be unique in the stack"
            )
        seen.add(logical)
        policy = item.get("DeletionPolicy", "Delete")
        if policy not in ("Delete", "Retain"):
            raise _invalid(f"{where}.deletionPolicy", policy, "Member must be Delete or Retain")
        resources.append(
            StackResource(
                logical,
                _string(item, "ResourceType", f"{where}.resourceType", _RESOURCE_TYPE),
                _string(item, "PhysicalResourceId", f"{where}.physicalResourceId", None),
                retain=policy == "Retain",
            )
        )
    return tuple(resources)


def parse_outputs(value: object) -> tuple[StackOutput, ...]:
    """The ``Outputs`` of a PUT body."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_OUTPUTS:
        raise _invalid("outputs", value, f"Member must be a list of at most {MAX_OUTPUTS} outputs")
    outputs: list[StackOutput] = []
    for i, item in enumerate(value):
        where = f"outputs.{i + 1}"
        if not isinstance(item, dict):
            raise _invalid(where, item, "Member must be a structure")
        description = item.get("Description", "")
        if not isinstance(description, str):
            raise _invalid(f"{where}.description", description, "Member must be a string")
        value_ = item.get("OutputValue")
        if not isinstance(value_, str):
            raise _invalid(f"{where}.outputValue", value_, "Member must be a string")
        outputs.append(
            StackOutput(
                _string(item, "OutputKey", f"{where}.outputKey", _LOGICAL_ID), value_, description
            )
        )
    return tuple(outputs)


class StackService:
    """The stacks of one platform."""

    def __init__(self, store: StackStore) -> None:
        self._store = store
        self._stacks = {stack.name: stack for stack in store.all()}

    def get(self, name: str) -> Stack:
        """The stack ``name``, or :class:`ResourceNotFound`."""
        stack = self._stacks.get(check_stack_name(name))
        if stack is None:
            raise ResourceNotFound(f"Stack with id {name} does not exist")
        return stack

    def list(self, physical_id: str | None = None) -> list[Stack]:
        """Every stack, by name; with ``physical_id``, only the one holding it."""
        return [
            stack
            for name, stack in sorted(self._stacks.items())
            if physical_id is None or any(r.physical_id == physical_id for r in stack.resources)
        ]

    def put(self, name: str, body: Mapping[str, Any]) -> Stack:
        """Create or replace the record of ``name`` from ``Resources`` and
        ``Outputs``; refused when a resource belongs to another stack."""
        check_stack_name(name)
        resources = parse_resources(body.get("Resources"))
        outputs = parse_outputs(body.get("Outputs"))
        for resource in resources:
            for other in self.list(resource.physical_id):
                if other.name != name:
                    raise ResourceConflict(
                        f"{resource.physical_id} ({resource.type}) belongs to stack "
                        f"{other.name}; a resource is part of one stack only"
                    )
        now = aws_timestamp()
        current = self._stacks.get(name)
        stack = Stack(name, resources, outputs, created=now, updated=now)
        if current is not None:
            stack = replace(stack, created=current.created)
        self._store.put(stack)
        self._stacks[name] = stack
        return stack

    def delete(self, name: str) -> None:
        """Forget the stack's record (its resources are the caller's to delete)."""
        self.get(name)
        self._store.delete(name)
        del self._stacks[name]

    def close(self) -> None:
        self._store.close()
