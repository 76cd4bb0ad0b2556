"""Function tags through boto3 and the AWS CLI against a real server: TagResource,
UntagResource, ListTags, ``Tags`` on CreateFunction and in GetFunction, AWS's limits
and errors, durability across a restart, and what versions and aliases see."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import Server, create, invoke, zip_function

ACCOUNT_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
QUALIFIED_REFUSAL = (
    "Tags on function aliases and versions are not supported. Please specify a function ARN."
)


@pytest.fixture(scope="module")
def raw_lam(server: Server) -> Any:
    return server.client(validate=False)


def error_of(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response  # type: ignore[no-any-return]


def test_tags_from_create_through_tag_and_untag(lam: Any) -> None:
    created = create(lam, "tags-life", zip_function("echo"), Tags={"team": "web", "env": "dev"})
    arn = created["FunctionArn"]
    assert lam.get_function(FunctionName="tags-life")["Tags"] == {"team": "web", "env": "dev"}
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "web", "env": "dev"}

    response = lam.tag_resource(Resource=arn, Tags={"env": "prod", "owner": "ana@example.com"})
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    expected = {"team": "web", "env": "prod", "owner": "ana@example.com"}
    assert lam.list_tags(Resource=arn)["Tags"] == expected
    assert lam.get_function(FunctionName=arn)["Tags"] == expected

    # Keys the function does not have are ignored.
    lam.untag_resource(Resource=arn, TagKeys=["team", "missing"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "prod", "owner": "ana@example.com"}
    lam.untag_resource(Resource=arn, TagKeys=["env", "owner"])
    assert lam.list_tags(Resource=arn)["Tags"] == {}
    assert "Tags" not in lam.get_function(FunctionName="tags-life")  # as AWS: absent, not {}


def test_a_function_created_without_tags_has_none(lam: Any) -> None:
    arn = create(lam, "tags-none", zip_function("echo"))["FunctionArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {}
    assert "Tags" not in lam.get_function(FunctionName="tags-none")


def test_tagging_gives_latest_a_new_revision_but_keeps_it_warm(lam: Any) -> None:
    arn = create(lam, "tags-warm", zip_function("echo"))["FunctionArn"]
    assert "Init Duration" in invoke(lam, "tags-warm")["Log"]
    before = lam.get_function_configuration(FunctionName="tags-warm")["RevisionId"]
    lam.tag_resource(Resource=arn, Tags={"k": "v"})
    after_tag = lam.get_function_configuration(FunctionName="tags-warm")["RevisionId"]
    lam.untag_resource(Resource=arn, TagKeys=["k"])
    after_untag = lam.get_function_configuration(FunctionName="tags-warm")["RevisionId"]
    assert len({before, after_tag, after_untag}) == 3
    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_function_configuration(FunctionName="tags-warm", Timeout=5, RevisionId=before)
    # Nothing that runs changed: the environment started before tagging serves on.
    assert "Init Duration" not in invoke(lam, "tags-warm")["Log"]


def test_version_alias_and_latest_arns_are_refused_before_existence(lam: Any) -> None:
    arn = create(lam, "tags-qual", zip_function("echo"))["FunctionArn"]
    version = lam.publish_version(FunctionName="tags-qual")["FunctionArn"]
    lam.create_alias(FunctionName="tags-qual", Name="live", FunctionVersion="1")
    for resource in (version, f"{arn}:$LATEST", f"{arn}:live", f"{arn}:nosuchalias"):
        for call, kwargs in (
            (lam.tag_resource, {"Tags": {"a": "b"}}),
            (lam.untag_resource, {"TagKeys": ["a"]}),
            (lam.list_tags, {}),
        ):
            error = error_of(call, Resource=resource, **kwargs)["Error"]
            assert error["Code"] == "InvalidParameterValueException"
            assert error["Message"].startswith(QUALIFIED_REFUSAL)
            assert arn in error["Message"]


def test_unknown_and_foreign_functions_are_not_found(lam: Any) -> None:
    for resource in (
        ACCOUNT_ARN + "tags-nobody",
        "arn:aws:lambda:eu-west-1:123456789012:function:tags-qual",
        "arn:aws:lambda:us-east-1:999999999999:function:tags-qual",
    ):
        response = error_of(lam.list_tags, Resource=resource)
        assert response["Error"]["Code"] == "ResourceNotFoundException"
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert f"Function not found: {resource}" in response["Error"]["Message"]
    foreign = error_of(
        lam.tag_resource,
        Resource="arn:aws:lambda:eu-west-1:123456789012:function:x",
        Tags={"a": "b"},
    )
    assert "us-east-1" in foreign["Error"]["Message"]
    assert "123456789012" in foreign["Error"]["Message"]


def test_malformed_arns_are_validation_errors_naming_the_pattern(raw_lam: Any) -> None:
    for resource in (
        "arn:aws:something",
        "arn:aws:lambda:us-east-1:123456789012:foobar:x",
        "tags-qual",
        "arn:aws:sqs:us-east-1:123456789012:q",
    ):
        error = error_of(raw_lam.list_tags, Resource=resource)["Error"]
        assert error["Code"] == "ValidationException"
        assert f"Value '{resource}' at 'resource'" in error["Message"]
        assert "function:[a-zA-Z0-9-_]+" in error["Message"]


def test_limits_fifty_tags_per_function(lam: Any) -> None:
    arn = create(lam, "tags-limit", zip_function("echo"))["FunctionArn"]
    fifty_one = {f"{k}_key": f"{k}_value" for k in range(51)}
    error = error_of(lam.tag_resource, Resource=arn, Tags=fifty_one)["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].startswith("Number of tags exceeds resource tag limit.")
    assert "51" in error["Message"] and "50" in error["Message"]
    assert lam.list_tags(Resource=arn)["Tags"] == {}

    fifty = {f"{k}_key": f"{k}_value" for k in range(50)}
    lam.tag_resource(Resource=arn, Tags=fifty)
    assert lam.get_function(FunctionName="tags-limit")["Tags"] == fifty
    # Overwriting keeps the count; one more key does not fit.
    lam.tag_resource(Resource=arn, Tags={"0_key": "changed"})
    error = error_of(lam.tag_resource, Resource=arn, Tags={"a_key": "a_value"})["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert "Number of tags exceeds resource tag limit." in error["Message"]
    assert len(lam.list_tags(Resource=arn)["Tags"]) == 50

    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        create(lam, "tags-limit-create", zip_function("echo"), Tags=fifty_one)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="tags-limit-create")


@pytest.mark.parametrize(
    ("tags", "code", "needles"),
    [
        ({"aws:team": "x"}, "InvalidParameterValueException", ["aws:team", "aws:"]),
        ({"AWS:Team": "x"}, "InvalidParameterValueException", ["AWS:Team", "aws:"]),
        ({"k" * 129: "x"}, "ValidationException", ["k" * 129, "'tags'", "128"]),
        ({"": "x"}, "ValidationException", ["'tags'", "greater than or equal to 1"]),
        ({"k": "v" * 257}, "ValidationException", ["v" * 257, "'tags'", "256"]),
        ({"k": "semi;colon"}, "ValidationException", ["semi;colon", "regular expression"]),
        ({"bad*key": "v"}, "ValidationException", ["bad*key", "regular expression"]),
    ],
)
def test_bad_tags_name_key_value_and_rule(
    raw_lam: Any, tags: dict[str, str], code: str, needles: list[str]
) -> None:
    arn = ACCOUNT_ARN + "tags-life"
    create(raw_lam, "tags-life", zip_function("echo"))
    error = error_of(raw_lam.tag_resource, Resource=arn, Tags=tags)["Error"]
    assert error["Code"] == code
    for needle in needles:
        assert needle in error["Message"], (needle, error["Message"])
    assert raw_lam.list_tags(Resource=arn)["Tags"] == {}
    with pytest.raises(ClientError):
        create(raw_lam, "tags-bad-create", zip_function("echo"), Tags=tags)
    with pytest.raises(raw_lam.exceptions.ResourceNotFoundException):
        raw_lam.get_function(FunctionName="tags-bad-create")


def test_unicode_letters_spaces_and_symbols_are_allowed(lam: Any) -> None:
    tags = {"Kostenstelle Nord": "Müller / 42", "a.b:c/d=e+f-g@h_i": "", "名前": "値"}
    arn = create(lam, "tags-unicode", zip_function("echo"), Tags=tags)["FunctionArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == tags


def test_empty_requests_are_refused_as_aws_does(raw_lam: Any) -> None:
    arn = create(raw_lam, "tags-empty", zip_function("echo"))["FunctionArn"]
    error = error_of(raw_lam.tag_resource, Resource=arn, Tags={})["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].startswith("An error occurred and the request cannot be processed.")
    error = error_of(raw_lam.untag_resource, Resource=arn, TagKeys=[])["Error"]
    assert error["Code"] == "ValidationException"
    assert "'tagKeys'" in error["Message"] and "must not be null" in error["Message"]
    error = error_of(raw_lam.untag_resource, Resource=arn, TagKeys=["aws:x"])["Error"]
    assert error["Code"] == "InvalidParameterValueException"


def test_versions_share_the_functions_tags(lam: Any) -> None:
    arn = create(lam, "tags-versions", zip_function("echo"), Tags={"a": "1"})["FunctionArn"]
    one = lam.publish_version(FunctionName="tags-versions")
    assert one["Version"] == "1"
    lam.create_alias(FunctionName="tags-versions", Name="live", FunctionVersion="1")
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1"}
    lam.tag_resource(Resource=arn, Tags={"b": "2"})
    both = {"a": "1", "b": "2"}
    assert lam.get_function(FunctionName="tags-versions", Qualifier="1")["Tags"] == both
    assert lam.get_function(FunctionName="tags-versions:live")["Tags"] == both
    # Tags are not part of a version: nothing to publish.
    assert lam.publish_version(FunctionName="tags-versions")["Version"] == "1"
    lam.update_function_configuration(FunctionName="tags-versions", Timeout=5)
    assert lam.publish_version(FunctionName="tags-versions")["Version"] == "2"
    assert lam.list_tags(Resource=arn)["Tags"] == both
    lam.delete_function(FunctionName="tags-versions", Qualifier="2")
    assert lam.list_tags(Resource=arn)["Tags"] == both


def test_tags_survive_a_restart_and_go_with_the_function(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = Server(state).start()
    try:
        lam = first.client()
        arn = create(lam, "tags-durable", zip_function("echo"), Tags={"a": "1"})["FunctionArn"]
        lam.tag_resource(Resource=arn, Tags={"b": "2"})
        create(lam, "tags-doomed", zip_function("echo"), Tags={"c": "3"})
    finally:
        first.stop()
    second = Server(state).start()
    try:
        lam = second.client()
        assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1", "b": "2"}
        assert lam.get_function(FunctionName="tags-durable")["Tags"] == {"a": "1", "b": "2"}
        lam.delete_function(FunctionName="tags-doomed")
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.list_tags(Resource=ACCOUNT_ARN + "tags-doomed")
        create(lam, "tags-doomed", zip_function("echo"))
        assert lam.list_tags(Resource=ACCOUNT_ARN + "tags-doomed")["Tags"] == {}
    finally:
        second.stop()


def test_aws_cli_tags(server: Server) -> None:
    aws = Path(sys.executable).with_name("aws")
    if not aws.exists():
        pytest.skip("the AWS CLI is not installed in this environment")
    lam = server.client()
    arn = create(lam, "tags-cli", zip_function("echo"))["FunctionArn"]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }
    base = [str(aws), "lambda", "--endpoint-url", server.endpoint, "--output", "json"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, *args], capture_output=True, text=True, env=env, timeout=60)

    assert run("tag-resource", "--resource", arn, "--tags", "team=web,env=dev").returncode == 0
    listed = run("list-tags", "--resource", arn)
    assert json.loads(listed.stdout)["Tags"] == {"team": "web", "env": "dev"}
    assert run("untag-resource", "--resource", arn, "--tag-keys", "env").returncode == 0
    got = json.loads(run("get-function", "--function-name", "tags-cli").stdout)
    assert got["Tags"] == {"team": "web"}
    refused = run("tag-resource", "--resource", f"{arn}:$LATEST", "--tags", "a=b")
    assert refused.returncode != 0
    assert "InvalidParameterValueException" in refused.stderr
    assert QUALIFIED_REFUSAL in refused.stderr
