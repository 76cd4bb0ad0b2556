"""Function versions and aliases through boto3 against a real server: publishing,
listing, reading and invoking by qualifier, weighted alias routing, immutability,
deletion rules, preconditions, and state that survives a restart."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support import FUNCTIONS, Server, create, invoke, report_fields, zip_files, zip_function

ARN = "arn:aws:lambda:us-east-1:123456789012:function"
ECHO = (FUNCTIONS / "echo" / "app.py").read_text()


def echo_zip(version: str) -> bytes:
    """The echo function answering ``{"version": <version>, ...}``."""
    return zip_files({"app.py": ECHO.replace('"v1"', f'"{version}"')})


def two_versions(lam: Any, name: str) -> None:
    """``name`` with version 1 running echo "v1" and version 2 (and $LATEST) "v2"."""
    create(lam, name, echo_zip("v1"), Publish=True)
    lam.update_function_code(FunctionName=name, ZipFile=echo_zip("v2"), Publish=True)


def strip(response: dict[str, Any]) -> dict[str, Any]:
    """A response without boto3's ``ResponseMetadata``."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def error_of(call: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def raw_lam(server: Server) -> Any:
    """A client that lets out-of-range values reach the server."""
    return server.client(validate=False)


# -- publishing -------------------------------------------------------------


def test_publish_copies_latest_and_skips_when_unchanged(lam: Any) -> None:
    latest = create(lam, "va-publish", zip_function("echo"), Description="fn")
    first = lam.publish_version(FunctionName="va-publish")
    assert first["Version"] == "1"
    assert first["FunctionArn"] == f"{ARN}:va-publish:1"
    assert first["CodeSha256"] == latest["CodeSha256"]
    assert first["Description"] == "fn"
    assert first["State"] == "Active"
    assert first["RevisionId"] != latest["RevisionId"]

    again = lam.publish_version(FunctionName="va-publish", Description="ignored")
    assert (again["Version"], again["RevisionId"]) == ("1", first["RevisionId"])

    lam.update_function_configuration(
        FunctionName="va-publish", Environment={"Variables": {"GREETING": "hej"}}
    )
    second = lam.publish_version(FunctionName="va-publish", Description="release 2")
    assert (second["Version"], second["Description"]) == ("2", "release 2")
    assert second["Environment"] == {"Variables": {"GREETING": "hej"}}
    latest_now = lam.get_function_configuration(FunctionName="va-publish")
    assert latest_now["Version"] == "$LATEST"
    assert latest_now["FunctionArn"] == f"{ARN}:va-publish"
    assert latest_now["Description"] == "fn"


def test_create_and_update_code_with_publish(lam: Any) -> None:
    created = create(lam, "va-create-publish", echo_zip("v1"), Publish=True)
    assert created["Version"] == "1"
    assert created["FunctionArn"] == f"{ARN}:va-create-publish:1"
    updated = lam.update_function_code(
        FunctionName="va-create-publish", ZipFile=echo_zip("v2"), Publish=True
    )
    assert updated["Version"] == "2"
    unchanged = lam.update_function_code(
        FunctionName="va-create-publish", ZipFile=echo_zip("v2"), Publish=True
    )
    assert unchanged["Version"] == "2"


def test_publish_preconditions(lam: Any) -> None:
    latest = create(lam, "va-precondition", zip_function("echo"))
    error = error_of(lam.publish_version, FunctionName="va-precondition", CodeSha256="abc=")
    assert error["Code"] == "InvalidParameterValueException"
    assert "abc=" in error["Message"] and latest["CodeSha256"] in error["Message"]
    error = error_of(lam.publish_version, FunctionName="va-precondition", RevisionId="stale")
    assert error["Code"] == "PreconditionFailedException"
    versions = lam.list_versions_by_function(FunctionName="va-precondition")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST"]
    ok = lam.publish_version(
        FunctionName="va-precondition",
        CodeSha256=latest["CodeSha256"],
        RevisionId=latest["RevisionId"],
    )
    assert ok["Version"] == "1"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.publish_version(FunctionName="va-no-such-function")


def test_list_versions_latest_first_with_paging(lam: Any) -> None:
    create(lam, "va-list", zip_function("echo"))
    for n in range(3):
        lam.update_function_configuration(FunctionName="va-list", Timeout=10 + n)
        lam.publish_version(FunctionName="va-list")
    pages = list(
        lam.get_paginator("list_versions_by_function").paginate(
            FunctionName="va-list", PaginationConfig={"PageSize": 2}
        )
    )
    assert len(pages) == 2
    versions = [v for page in pages for v in page["Versions"]]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2", "3"]
    assert [v["Timeout"] for v in versions] == [12, 10, 11, 12]
    assert [v["FunctionArn"] for v in versions] == [
        f"{ARN}:va-list:$LATEST",
        f"{ARN}:va-list:1",
        f"{ARN}:va-list:2",
        f"{ARN}:va-list:3",
    ]


# -- reading and invoking by qualifier ----------------------------------------


def test_get_by_version_and_alias(lam: Any) -> None:
    two_versions(lam, "va-get")
    lam.create_alias(FunctionName="va-get", Name="live", FunctionVersion="1")
    got = lam.get_function(FunctionName="va-get", Qualifier="1")
    assert got["Configuration"]["Version"] == "1"
    assert got["Configuration"]["FunctionArn"] == f"{ARN}:va-get:1"
    assert Path(got["Code"]["Location"].removeprefix("file://")).is_dir()
    by_name = lam.get_function_configuration(FunctionName="va-get:2")
    assert (by_name["Version"], by_name["FunctionArn"]) == ("2", f"{ARN}:va-get:2")
    by_alias = lam.get_function_configuration(FunctionName="va-get", Qualifier="live")
    assert (by_alias["Version"], by_alias["FunctionArn"]) == ("1", f"{ARN}:va-get:live")
    assert by_alias["CodeSha256"] == got["Configuration"]["CodeSha256"]
    for qualifier in ("9", "nope"):
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as info:
            lam.get_function(FunctionName="va-get", Qualifier=qualifier)
        assert f"va-get:{qualifier}" in info.value.response["Error"]["Message"]
    lam.get_waiter("published_version_active").wait(FunctionName="va-get", Qualifier="2")


def test_invoke_by_version_alias_and_arn(lam: Any) -> None:
    create(lam, "va-invoke", zip_function("basic"), Publish=True)
    lam.create_alias(FunctionName="va-invoke", Name="live", FunctionVersion="1")
    lam.create_alias(FunctionName="va-invoke", Name="edge", FunctionVersion="$LATEST")
    callers = [
        ({"FunctionName": "va-invoke:1"}, "va-invoke:1"),
        ({"FunctionName": "va-invoke", "Qualifier": "1"}, "va-invoke:1"),
        ({"FunctionName": f"{ARN}:va-invoke:live"}, "va-invoke:live"),
        ({"FunctionName": "123456789012:function:va-invoke:live"}, "va-invoke:live"),
        ({"FunctionName": f"{ARN}:va-invoke", "Qualifier": "live"}, "va-invoke:live"),
    ]
    for kwargs, qualified in callers:
        name = kwargs.pop("FunctionName")
        response = invoke(lam, name, **kwargs)
        assert response["ExecutedVersion"] == "1", kwargs
        context = response["Body"]["context"]
        assert context["invoked_function_arn"] == f"{ARN}:{qualified}"
        assert context["function_version"] == "1"
        assert response["Body"]["env"]["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
        assert "[1]" in context["log_stream_name"]
        assert "Version: 1\n" in response["Log"]
    edge = invoke(lam, "va-invoke:edge")
    assert edge["ExecutedVersion"] == "$LATEST"
    assert edge["Body"]["context"]["invoked_function_arn"] == f"{ARN}:va-invoke:edge"
    dry = lam.invoke(FunctionName="va-invoke:live", InvocationType="DryRun", Payload=b"{}")
    assert (dry["StatusCode"], dry["ExecutedVersion"]) == (204, "1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="va-invoke:missing", Payload=b"{}")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="va-invoke:7", Payload=b"{}")
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.invoke(FunctionName="va-invoke:1", Qualifier="live", Payload=b"{}")


def test_versions_are_immutable(lam: Any) -> None:
    create(lam, "va-immutable", echo_zip("v1"), Publish=True)
    lam.update_function_code(FunctionName="va-immutable", ZipFile=echo_zip("v2"))
    lam.update_function_configuration(
        FunctionName="va-immutable", Environment={"Variables": {"GREETING": "new"}}
    )
    old = invoke(lam, "va-immutable", Qualifier="1")
    assert old["Body"] == {"version": "v1", "greeting": None, "event": {}}
    new = invoke(lam, "va-immutable")
    assert new["Body"] == {"version": "v2", "greeting": "new", "event": {}}
    assert new["ExecutedVersion"] == "$LATEST"


def test_updating_latest_keeps_versions_warm(lam: Any) -> None:
    create(lam, "va-warm", zip_function("basic"), Publish=True)
    version_pid = invoke(lam, "va-warm:1")["Body"]["pid"]
    latest_pid = invoke(lam, "va-warm")["Body"]["pid"]
    lam.update_function_configuration(FunctionName="va-warm", Description="changed")
    again = invoke(lam, "va-warm:1")
    assert again["Body"]["pid"] == version_pid, "version 1's environment was retired"
    assert "Init Duration" not in report_fields(again["Log"])
    after = invoke(lam, "va-warm")
    assert after["Body"]["pid"] != latest_pid, "$LATEST kept an environment of old config"
    assert "Init Duration" in report_fields(after["Log"])


def test_weighted_alias_routing(lam: Any) -> None:
    two_versions(lam, "va-weights")
    lam.create_alias(
        FunctionName="va-weights",
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    ran: Counter[tuple[str, str]] = Counter()
    for _ in range(200):
        response = invoke(lam, "va-weights:canary")
        ran[response["ExecutedVersion"], response["Body"]["version"]] += 1
    assert set(ran) == {("1", "v1"), ("2", "v2")}, ran

    def executed(times: int) -> set[str]:
        return {invoke(lam, "va-weights:canary")["ExecutedVersion"] for _ in range(times)}

    lam.update_alias(
        FunctionName="va-weights",
        Name="canary",
        RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}},
    )
    assert executed(20) == {"2"}
    lam.update_alias(
        FunctionName="va-weights",
        Name="canary",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.0}},
    )
    assert executed(20) == {"1"}
    cleared = lam.update_alias(FunctionName="va-weights", Name="canary", RoutingConfig={})
    assert "RoutingConfig" not in cleared
    assert executed(20) == {"1"}


# -- aliases ------------------------------------------------------------------


def test_alias_lifecycle(lam: Any) -> None:
    two_versions(lam, "va-alias")
    created = lam.create_alias(
        FunctionName="va-alias", Name="live", FunctionVersion="1", Description="prod"
    )
    assert created["AliasArn"] == f"{ARN}:va-alias:live"
    assert (created["FunctionVersion"], created["Description"]) == ("1", "prod")
    assert strip(lam.get_alias(FunctionName="va-alias", Name="live")) == strip(created)
    with pytest.raises(lam.exceptions.ResourceConflictException) as info:
        lam.create_alias(FunctionName="va-alias", Name="live", FunctionVersion="2")
    assert f"{ARN}:va-alias:live" in info.value.response["Error"]["Message"]
    lam.create_alias(FunctionName="va-alias", Name="beta", FunctionVersion="2")
    lam.create_alias(FunctionName="va-alias", Name="dev", FunctionVersion="$LATEST")

    names = [
        a["Name"]
        for page in lam.get_paginator("list_aliases").paginate(
            FunctionName="va-alias", PaginationConfig={"PageSize": 2}
        )
        for a in page["Aliases"]
    ]
    assert names == ["beta", "dev", "live"]
    on_two = lam.list_aliases(FunctionName="va-alias", FunctionVersion="2")["Aliases"]
    assert [a["Name"] for a in on_two] == ["beta"]

    with pytest.raises(lam.exceptions.PreconditionFailedException):
        lam.update_alias(
            FunctionName="va-alias", Name="live", FunctionVersion="2", RevisionId="stale"
        )
    moved = lam.update_alias(
        FunctionName="va-alias", Name="live", FunctionVersion="2", RevisionId=created["RevisionId"]
    )
    assert (moved["FunctionVersion"], moved["Description"]) == ("2", "prod")
    assert moved["RevisionId"] != created["RevisionId"]
    assert invoke(lam, "va-alias:live")["Body"]["version"] == "v2"

    lam.delete_alias(FunctionName="va-alias", Name="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_alias(FunctionName="va-alias", Name="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_alias(FunctionName="va-alias", Name="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.update_alias(FunctionName="va-alias", Name="live", FunctionVersion="1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        invoke(lam, "va-alias:live")


@pytest.fixture(scope="module")
def rules_function(lam: Any) -> str:
    two_versions(lam, "va-rules")
    return "va-rules"


@pytest.mark.parametrize(
    ("request_", "code", "needle"),
    [
        ({"Name": "123", "FunctionVersion": "1"}, "ValidationException", "123"),
        ({"Name": "bad name", "FunctionVersion": "1"}, "ValidationException", "bad name"),
        ({"Name": "x", "FunctionVersion": "latest"}, "ValidationException", "latest"),
        ({"Name": "x", "FunctionVersion": "9"}, "ResourceNotFoundException", "va-rules:9"),
        (
            {
                "Name": "x",
                "FunctionVersion": "1",
                "RoutingConfig": {"AdditionalVersionWeights": {"2": 0.1, "3": 0.1}},
            },
            "InvalidParameterValueException",
            "AdditionalVersionWeights",
        ),
        (
            {
                "Name": "x",
                "FunctionVersion": "1",
                "RoutingConfig": {"AdditionalVersionWeights": {"2": 1.5}},
            },
            "ValidationException",
            "1.5",
        ),
        (
            {
                "Name": "x",
                "FunctionVersion": "1",
                "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}},
            },
            "InvalidParameterValueException",
            "already included",
        ),
        (
            {
                "Name": "x",
                "FunctionVersion": "$LATEST",
                "RoutingConfig": {"AdditionalVersionWeights": {"1": 0.5}},
            },
            "InvalidParameterValueException",
            "$LATEST",
        ),
        (
            {
                "Name": "x",
                "FunctionVersion": "1",
                "RoutingConfig": {"AdditionalVersionWeights": {"$LATEST": 0.5}},
            },
            "ValidationException",
            "[0-9]+",
        ),
        (
            {
                "Name": "x",
                "FunctionVersion": "1",
                "RoutingConfig": {"AdditionalVersionWeights": {"7": 0.5}},
            },
            "ResourceNotFoundException",
            "va-rules:7",
        ),
    ],
)
def test_alias_rules(
    rules_function: str, raw_lam: Any, request_: dict[str, Any], code: str, needle: str
) -> None:
    error = error_of(raw_lam.create_alias, FunctionName=rules_function, **request_)
    assert error["Code"] == code, error
    assert needle in error["Message"], error
    assert raw_lam.list_aliases(FunctionName=rules_function)["Aliases"] == []


def test_update_alias_revalidates_routing_against_new_target(lam: Any) -> None:
    two_versions(lam, "va-retarget")
    lam.create_alias(
        FunctionName="va-retarget",
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}},
    )
    error = error_of(
        lam.update_alias, FunctionName="va-retarget", Name="canary", FunctionVersion="2"
    )
    assert error["Code"] == "InvalidParameterValueException"
    alias = lam.get_alias(FunctionName="va-retarget", Name="canary")
    assert alias["FunctionVersion"] == "1"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.2}}


# -- deleting -------------------------------------------------------------------


def test_delete_version_rules(lam: Any) -> None:
    two_versions(lam, "va-delete")
    lam.update_function_configuration(FunctionName="va-delete", Timeout=9)
    assert lam.publish_version(FunctionName="va-delete")["Version"] == "3"
    lam.create_alias(
        FunctionName="va-delete",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    error = error_of(lam.delete_function, FunctionName="va-delete", Qualifier="$LATEST")
    assert error["Code"] == "InvalidParameterValueException"
    assert "$LATEST" in error["Message"]
    error = error_of(lam.delete_function, FunctionName="va-delete", Qualifier="live")
    assert error["Code"] == "InvalidParameterValueException"
    for referenced in ("1", "2"):
        error = error_of(lam.delete_function, FunctionName="va-delete", Qualifier=referenced)
        assert error["Code"] == "ResourceConflictException"
        assert "[live]" in error["Message"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.delete_function(FunctionName="va-delete", Qualifier="8")

    invoke(lam, "va-delete:3")
    lam.delete_function(FunctionName="va-delete", Qualifier="3")
    versions = lam.list_versions_by_function(FunctionName="va-delete")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="va-delete:3")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="va-delete:3", Payload=b"{}")
    assert invoke(lam, "va-delete")["StatusCode"] == 200
    # Numbers are never reused while the function exists.
    lam.update_function_configuration(FunctionName="va-delete", Timeout=10)
    assert lam.publish_version(FunctionName="va-delete")["Version"] == "4"

    lam.delete_alias(FunctionName="va-delete", Name="live")
    lam.delete_function(FunctionName="va-delete", Qualifier="1")
    assert invoke(lam, "va-delete:2")["Body"]["version"] == "v2"


def test_deleting_the_function_deletes_versions_and_aliases(lam: Any) -> None:
    two_versions(lam, "va-gone")
    lam.create_alias(FunctionName="va-gone", Name="live", FunctionVersion="2")
    invoke(lam, "va-gone:live")
    lam.delete_function(FunctionName="va-gone")
    for qualifier in ("1", "live"):
        with pytest.raises(lam.exceptions.ResourceNotFoundException):
            lam.invoke(FunctionName=f"va-gone:{qualifier}", Payload=b"{}")
    create(lam, "va-gone", echo_zip("again"))
    assert [
        v["Version"] for v in lam.list_versions_by_function(FunctionName="va-gone")["Versions"]
    ] == ["$LATEST"]
    assert lam.list_aliases(FunctionName="va-gone")["Aliases"] == []
    assert lam.publish_version(FunctionName="va-gone")["Version"] == "1"
    assert invoke(lam, "va-gone:1")["Body"]["version"] == "again"


# -- persistence ------------------------------------------------------------------


def test_restart_keeps_versions_and_aliases(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = Server(state).start()
    try:
        lam = first.client()
        two_versions(lam, "va-restart")
        lam.update_function_configuration(FunctionName="va-restart", Timeout=8)
        assert lam.publish_version(FunctionName="va-restart")["Version"] == "3"
        lam.delete_function(FunctionName="va-restart", Qualifier="3")
        alias = lam.create_alias(
            FunctionName="va-restart",
            Name="live",
            FunctionVersion="1",
            RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
        )
    finally:
        first.stop()

    second = Server(state).start()
    try:
        lam = second.client()
        versions = lam.list_versions_by_function(FunctionName="va-restart")["Versions"]
        assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
        assert strip(lam.get_alias(FunctionName="va-restart", Name="live")) == strip(alias)
        assert invoke(lam, "va-restart:1")["Body"]["version"] == "v1"
        ran = {invoke(lam, "va-restart:live")["ExecutedVersion"] for _ in range(60)}
        assert ran == {"1", "2"}
        # Version 3 was deleted: its number stays taken across the restart.
        lam.update_function_configuration(FunctionName="va-restart", Timeout=9)
        assert lam.publish_version(FunctionName="va-restart")["Version"] == "4"
        assert lam.get_function_configuration(FunctionName="va-restart:4")["Timeout"] == 9
    finally:
        second.stop()
