"""Function tags: TagResource, UntagResource, ListTags and ``Tags`` on CreateFunction.

Tags belong to the function, not to a version or alias (AWS refuses qualified ARNs),
so publishing leaves them alone and every version reads its function's tags.  They
are kept as the function's ``tags`` setting in the store, so they survive a restart
and go with the function.  As on AWS, a tag change gives $LATEST a new
``RevisionId``.

The checks (:func:`validate_tags`, :func:`validate_tag_keys`, :func:`parse_resource`)
are pure.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from .errors import InvalidParameterValue, ResourceNotFound
from .errors import constraint_violation as _constraint
from .functions import FunctionService
from .store import Store

MAX_TAGS = 50
"""Tags per function."""
KEY_MAX_LEN = 128
VALUE_MAX_LEN = 256
_SETTING = "tags"
_PUNCTUATION = frozenset("_.:/=+-@")
_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"
_REGION = r"[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}"
_TAGGABLE = re.compile(
    rf"arn:(?P<partition>aws[a-zA-Z-]*):lambda:(eusc-)?(?P<region>{_REGION}):(?P<account>\d{{12}}):"
    r"(?:function:(?P<function>[a-zA-Z0-9-_]+)(?::(?P<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?"
    r"|(?P<other>layer:[a-zA-Z0-9-_]+|code-signing-config:csc-[a-z0-9]{17}"
    r"|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
    r"-[0-9a-fA-F]{12}|(?:capacity-provider|network-connector):[a-zA-Z0-9-_]{1,64}))"
)
_TAGGABLE_TEXT = (
    "arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:"
    "\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)"
    "|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}"
    "-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)"
)


def _allowed_text(text: str) -> bool:
    """Whether ``text`` has only letters, separators, numbers and ``_.:/=+-@``."""
    return all(ch in _PUNCTUATION or unicodedata.category(ch)[0] in "LNZ" for ch in text)


def _check_key(key: object, field: str) -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= KEY_MAX_LEN or not _allowed_text(key):
        raise _constraint(
            field,
            key,
            f"{'Map keys' if field == 'tags' else 'Member'} must satisfy constraint: [Member "
            f"must have length less than or equal to {KEY_MAX_LEN}, Member must have length "
            f"greater than or equal to 1, Member must satisfy regular expression pattern: "
            f"{_PATTERN}] (tag keys are 1-{KEY_MAX_LEN} letters, digits, spaces or _.:/=+-@)",
        )
    if key.lower().startswith("aws:"):
        raise InvalidParameterValue(
            f"Tag key '{key}' is not allowed: keys beginning with 'aws:' (in any case) are "
            "reserved for AWS"
        )
    return key


def validate_tags(value: object) -> dict[str, str]:
    """A ``Tags`` map: string keys of 1-128 and values of 0-256 allowed characters,
    no key beginning with ``aws:``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _constraint("tags", value, 'Member must be a map of strings, like {"team": "web"}')
    tags: dict[str, str] = {}
    for key, val in value.items():
        _check_key(key, "tags")
        if not isinstance(val, str) or len(val) > VALUE_MAX_LEN or not _allowed_text(val):
            raise _constraint(
                "tags",
                val,
                f"Map value must satisfy constraint: [Member must have length less than or "
                f"equal to {VALUE_MAX_LEN}, Member must have length greater than or equal to 0, "
                f"Member must satisfy regular expression pattern: {_PATTERN}] (value of tag "
                f"'{key}': 0-{VALUE_MAX_LEN} letters, digits, spaces or _.:/=+-@)",
            )
        tags[key] = val
    return tags


def check_count(existing: Mapping[str, str], added: Mapping[str, str]) -> dict[str, str]:
    """``existing`` with ``added`` merged in, if that stays within :data:`MAX_TAGS`."""
    merged = {**existing, **added}
    if len(merged) > MAX_TAGS:
        raise InvalidParameterValue(
            f"Number of tags exceeds resource tag limit. ({len(merged)} tags after this "
            f"request, {len(existing)} of them already on the function; at most {MAX_TAGS})"
        )
    return merged


def validate_tag_keys(keys: object) -> list[str]:
    """UntagResource's ``tagKeys``: at least one key, each a valid, non-``aws:`` key."""
    if not isinstance(keys, list) or not keys:
        raise _constraint("tagKeys", "null", "Member must not be null (give at least one tagKeys)")
    return [_check_key(key, "tagKeys") for key in keys]


def parse_resource(arn: str, region: str, account: str) -> str:
    """The name of the function a tag operation's ``Resource`` ARN names.

    A malformed ARN is ``ValidationException``; a version or alias ARN
    ``InvalidParameterValueException`` (checked first, as AWS does); an ARN of
    another region or account, or of a kind of resource snaplambda does not have,
    ``ResourceNotFoundException``.
    """
    match = _TAGGABLE.fullmatch(arn)
    if match is None:
        raise _constraint(
            "resource", arn, f"Member must satisfy regular expression pattern: {_TAGGABLE_TEXT}"
        )
    if match.group("qualifier") is not None:
        raise InvalidParameterValue(
            "Tags on function aliases and versions are not supported. Please specify a "
            f"function ARN. (got '{arn}'; tag "
            f"'{arn.rsplit(':', 1)[0]}' instead)"
        )
    if match.group("other") is not None:
        kind = match.group("other").split(":", 1)[0]
        raise ResourceNotFound(
            f"The resource you requested does not exist. ({arn}: snaplambda has no {kind} "
            "resources; only functions are tagged)"
        )
    if (match.group("region"), match.group("account")) != (region, account):
        raise ResourceNotFound(
            f"Function not found: {arn} (this platform serves account {account} in region {region})"
        )
    return match.group("function")


class TagService:
    """The tags of every function, in the store."""

    def __init__(self, store: Store, functions: FunctionService) -> None:
        self._store = store
        self._functions = functions

    def _resource(self, arn: str) -> str:
        name = parse_resource(arn, self._functions.region, self._functions.account)
        self._functions.get(name)
        return name

    def of(self, name: str) -> dict[str, str]:
        """The tags of function ``name`` (empty when it has none)."""
        doc = self._store.get_setting(name, _SETTING)
        return dict(doc["Tags"]) if doc else {}

    def _put(self, name: str, tags: Mapping[str, str]) -> None:
        self._store.put_setting(name, _SETTING, {"Tags": dict(tags)} if tags else None)

    def on_create(self, name: str, tags: Mapping[str, str]) -> None:
        """Keep the ``Tags`` a CreateFunction gave (already checked by :func:`checked`)."""
        self._put(name, tags)

    @staticmethod
    def checked(value: object) -> dict[str, str]:
        """CreateFunction's ``Tags``, checked before the function exists."""
        return check_count({}, validate_tags(value))

    def tag(self, arn: str, body: Mapping[str, Any]) -> None:
        """TagResource: add or overwrite the given tags."""
        name = self._resource(arn)
        value = body.get("Tags")
        if not value:
            raise InvalidParameterValue(
                "An error occurred and the request cannot be processed. (Tags must map at "
                'least one key to a value, like {"Tags": {"team": "web"}})'
            )
        self._put(name, check_count(self.of(name), validate_tags(value)))
        self._functions.touch_revision(name)

    def untag(self, arn: str, keys: object) -> None:
        """UntagResource: remove the given keys; keys the function lacks are ignored."""
        name = self._resource(arn)
        removed = set(validate_tag_keys(keys))
        tags = self.of(name)
        self._put(name, {k: v for k, v in tags.items() if k not in removed})
        self._functions.touch_revision(name)

    def list(self, arn: str) -> dict[str, str]:
        """ListTags."""
        return self.of(self._resource(arn))
