"""The pure checks behind Lambda's tag operations: resource ARNs, tag maps, tag
keys and the per-function limit."""

from __future__ import annotations

import pytest

from snaplambda.control.errors import (
    ControlError,
    InvalidParameterValue,
    ResourceNotFound,
    ValidationError,
)
from snaplambda.control.tags import (
    MAX_TAGS,
    check_count,
    parse_resource,
    validate_tag_keys,
    validate_tags,
)

REGION, ACCOUNT = "us-east-1", "123456789012"
FN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:"


def refused(func: object, *args: object) -> ControlError:
    with pytest.raises(ControlError) as info:
        func(*args)  # type: ignore[operator]
    return info.value


@pytest.mark.parametrize("name", ["f", "my-fn_2", "A" * 64])
def test_function_arns_give_the_name(name: str) -> None:
    assert parse_resource(FN + name, REGION, ACCOUNT) == name


@pytest.mark.parametrize("qualifier", ["1", "$LATEST", "live", "no-such-alias"])
def test_qualified_arns_are_refused_as_aws_refuses_them(qualifier: str) -> None:
    err = refused(parse_resource, f"{FN}f:{qualifier}", REGION, ACCOUNT)
    assert isinstance(err, InvalidParameterValue)
    assert err.message.startswith(
        "Tags on function aliases and versions are not supported. Please specify a function ARN."
    )
    assert f"'{FN}f'" in err.message


def test_the_qualifier_is_refused_before_the_region_is_looked_at() -> None:
    err = refused(
        parse_resource, "arn:aws:lambda:eu-west-1:111111111111:function:f:1", REGION, ACCOUNT
    )
    assert isinstance(err, InvalidParameterValue)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:something",
        "",
        "f",
        f"{FN}bad.name",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:foobar:x",
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:q",
        f"arn:aws:lambda:US-EAST-1:{ACCOUNT}:function:f",
        f"arn:aws:lambda:{REGION}:1234:function:f",
        f"{FN}f\n",
    ],
)
def test_malformed_arns_are_validation_errors(arn: str) -> None:
    err = refused(parse_resource, arn, REGION, ACCOUNT)
    assert isinstance(err, ValidationError)
    assert f"Value '{arn}' at 'resource'" in err.message


@pytest.mark.parametrize(
    "arn",
    [
        f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:f",
        f"arn:aws:lambda:{REGION}:999999999999:function:f",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:"
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:code-signing-config:csc-0123456789abcdefg",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:deps",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:capacity-provider:p",
    ],
)
def test_resources_this_platform_cannot_have_are_not_found(arn: str) -> None:
    err = refused(parse_resource, arn, REGION, ACCOUNT)
    assert isinstance(err, ResourceNotFound)
    assert arn in err.message


def test_tag_maps_keep_what_is_allowed() -> None:
    tags = {"team": "web", "Kosten Stelle": "Müller/42", "k": "", "x" * 128: "v" * 256}
    assert validate_tags(tags) == tags
    assert validate_tags(None) == {}
    assert validate_tags({"a.b:c/d=e+f-g@h_i": "名前"}) == {"a.b:c/d=e+f-g@h_i": "名前"}


@pytest.mark.parametrize(
    ("tags", "kind", "needle"),
    [
        ({"x" * 129: "v"}, ValidationError, "x" * 129),
        ({"": "v"}, ValidationError, "greater than or equal to 1"),
        ({"k": "v" * 257}, ValidationError, "v" * 257),
        ({"k": 1}, ValidationError, "'tags'"),
        ({"k": None}, ValidationError, "'tags'"),
        ({"a;b": "v"}, ValidationError, "a;b"),
        ({"k": "tab\there"}, ValidationError, "tab\there"),
        ({"aws:x": "v"}, InvalidParameterValue, "aws:x"),
        ({"Aws:X": "v"}, InvalidParameterValue, "Aws:X"),
        (["k", "v"], ValidationError, "'tags'"),
    ],
)
def test_bad_tags_are_refused_naming_the_value(
    tags: object, kind: type[ControlError], needle: str
) -> None:
    err = refused(validate_tags, tags)
    assert isinstance(err, kind)
    assert needle in err.message


def test_the_limit_counts_the_merged_tags() -> None:
    existing = {f"k{i}": "v" for i in range(MAX_TAGS)}
    assert check_count(existing, {"k0": "changed"})["k0"] == "changed"
    err = refused(check_count, existing, {"one-more": "v"})
    assert isinstance(err, InvalidParameterValue)
    assert err.message.startswith("Number of tags exceeds resource tag limit.")
    assert f"{MAX_TAGS + 1} tags" in err.message
    assert len(check_count({}, {f"k{i}": "v" for i in range(MAX_TAGS)})) == MAX_TAGS


def test_tag_keys_to_remove() -> None:
    assert validate_tag_keys(["a", "b c"]) == ["a", "b c"]
    for bad in ([], None, "a"):
        err = refused(validate_tag_keys, bad)
        assert isinstance(err, ValidationError) and "'tagKeys'" in err.message
    assert isinstance(refused(validate_tag_keys, ["aws:x"]), InvalidParameterValue)
    err = refused(validate_tag_keys, ["k" * 129])
    assert isinstance(err, ValidationError) and "'tagKeys'" in err.message
