"""Policy evaluation, the request -> IAM action table and the key store (pure parts)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from snaplambda.auth.actions import function_resource, operation_of
from snaplambda.auth.keys import KeyStore, KeyStoreError, load_extra, load_root
from snaplambda.auth.policy import FULL_ACCESS, NOTHING, PolicyError, parse_policy
from snaplambda.auth.roles import DEFAULT_ROLE_POLICY, RolePolicies

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def policy(*statements: dict[str, object]) -> object:
    return parse_policy({"Version": "2012-10-17", "Statement": list(statements)})


def test_allow_with_wildcards_and_default_deny() -> None:
    p = parse_policy(
        {"Statement": {"Effect": "Allow", "Action": "lambda:Get*", "Resource": ARN + "f*"}}
    )
    assert p.decide("lambda:GetFunction", ARN + "f") == "allow"
    assert p.decide("LAMBDA:getfunction", ARN + "foo") == "allow"  # actions ignore case
    assert p.decide("lambda:GetFunction", ARN + "g") == "implicit-deny"
    assert p.decide("lambda:DeleteFunction", ARN + "f") == "implicit-deny"
    assert p.decide("lambda:GetFunction", (ARN + "F").upper()) == "implicit-deny"


def test_explicit_deny_wins_in_any_order() -> None:
    deny = {"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": "*"}
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    for order in ((deny, allow), (allow, deny)):
        p = policy(*order)
        assert p.decide("lambda:DeleteFunction", ARN + "f") == "explicit-deny"  # type: ignore[attr-defined]
        assert p.decide("lambda:InvokeFunction", ARN + "f") == "allow"  # type: ignore[attr-defined]


def test_question_mark_matches_one_character() -> None:
    p = policy({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": ARN + "f?"})
    assert p.allows("lambda:InvokeFunction", ARN + "f1")  # type: ignore[attr-defined]
    assert not p.allows("lambda:InvokeFunction", ARN + "f12")  # type: ignore[attr-defined]


def test_full_access_and_nothing() -> None:
    assert FULL_ACCESS.allows("logs:FilterLogEvents", "*")
    assert NOTHING.decide("lambda:GetFunction", "*") == "implicit-deny"


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"Statement": "x"},
        {"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]},
        {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {}}]},
    ],
)
def test_policies_it_cannot_evaluate_are_refused(document: object) -> None:
    with pytest.raises(PolicyError):
        parse_policy(document)


def test_operations_and_resources() -> None:
    op = operation_of("DELETE", "/2015-03-31/functions/f", None, None, "us-east-1", "123456789012")
    assert (op.action, op.resource) == ("lambda:DeleteFunction", ARN + "f")
    op = operation_of(
        "POST", "/2015-03-31/functions/f/invocations", "prod", None, "us-east-1", "123456789012"
    )
    assert (op.action, op.resource) == ("lambda:InvokeFunction", ARN + "f:prod")
    op = operation_of("GET", "/2015-03-31/functions/", None, None, "us-east-1", "123456789012")
    assert (op.action, op.resource) == ("lambda:ListFunctions", "*")
    op = operation_of("POST", "/", None, "Logs_20140328.FilterLogEvents", "us-east-1", "1")
    assert (op.action, op.resource) == ("logs:FilterLogEvents", "*")
    op = operation_of("GET", "/2018-10-31/layers/l/versions/3", None, None, "us-east-1", "1")
    assert op.resource == "arn:aws:lambda:us-east-1:1:layer:l:3"
    assert operation_of("GET", "/_snaplambda/dlq", None, None, "r", "1").action == "snaplambda:Get"


def test_function_references_name_the_same_arn() -> None:
    full = function_resource(
        "arn:aws:lambda:us-east-1:123456789012:function:f:1", None, "us-east-1", "123456789012"
    )
    partial = function_resource("123456789012:function:f:1", None, "us-east-1", "123456789012")
    assert (
        full
        == partial
        == function_resource("f:1", None, "us-east-1", "123456789012")
        == ARN + "f:1"
    )


def test_the_root_key_is_made_once_and_private(tmp_path: Path) -> None:
    (key_id, secret), made = load_root(tmp_path)
    assert made and key_id.startswith("AKIA") and len(key_id) == 20 and len(secret) == 40
    assert stat.S_IMODE((tmp_path / "credentials").stat().st_mode) == 0o600
    assert load_root(tmp_path) == ((key_id, secret), False)
    (tmp_path / "credentials").write_text("[other]\n")
    with pytest.raises(KeyStoreError):
        load_root(tmp_path)


def test_extra_keys_need_both_halves_and_a_valid_policy(tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text(json.dumps([{"AccessKeyId": "AKIA1"}]))
    with pytest.raises(KeyStoreError, match="SecretAccessKey"):
        load_extra(tmp_path, "123456789012")
    entry = {
        "AccessKeyId": "AKIA1",
        "SecretAccessKey": "s",
        "Policy": {"Statement": [{"Effect": "No"}]},
    }
    (tmp_path / "keys.json").write_text(json.dumps([entry]))
    with pytest.raises(KeyStoreError, match="Effect"):
        load_extra(tmp_path, "123456789012")


def _store(roles: dict[str, str]) -> KeyStore:
    return KeyStore(
        "123456789012",
        ("AKIAROOT", "root-secret"),
        [],
        lambda fn, role: FULL_ACCESS if roles.get(fn) == role else NOTHING,
    )


def test_role_credentials_are_recognised_and_cannot_be_forged() -> None:
    store = _store({"f": "arn:aws:iam::123456789012:role/r"})
    key_id, secret, token = store.issue_role_credentials("f", "arn:aws:iam::123456789012:role/r")
    assert key_id.startswith("ASIA") and len(key_id) == 20
    key = store.lookup(key_id, token)
    assert key is not None and key.secret == secret
    assert key.principal.arn == "arn:aws:sts::123456789012:assumed-role/r/f"
    assert key.principal.policy is FULL_ACCESS
    assert store.lookup(key_id, None) is None
    _, _, other_token = store.issue_role_credentials("g", "arn:aws:iam::123456789012:role/r")
    assert store.lookup(key_id, other_token) is None  # a token of another session
    forged = token.rsplit(".", 1)[0] + ".AAAA"
    assert store.lookup(key_id, forged) is None
    # Another platform (another root secret) does not accept them.
    other = KeyStore("123456789012", ("AKIAROOT", "other"), [], lambda fn, role: FULL_ACCESS)
    assert other.lookup(key_id, token) is None


def test_a_sessions_policy_follows_the_functions_current_role(tmp_path: Path) -> None:
    current = {"f": "arn:aws:iam::1:role/a"}
    roles = RolePolicies(tmp_path / "roles.json", current.get)
    assert roles("f", "arn:aws:iam::1:role/a") is DEFAULT_ROLE_POLICY
    (tmp_path / "roles.json").write_text(
        json.dumps({"a": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}})
    )
    assert roles("f", "arn:aws:iam::1:role/a").allows("lambda:DeleteFunction", "*")
    current["f"] = "arn:aws:iam::1:role/b"  # the function's role changed
    assert roles("f", "arn:aws:iam::1:role/a") is NOTHING
    assert roles("gone", "arn:aws:iam::1:role/a") is NOTHING


def test_logs_requests_are_on_the_log_group_they_name() -> None:
    target = "Logs_20140328.FilterLogEvents"
    op = operation_of(
        "POST", "/", None, target, "us-east-1", "1", {"logGroupName": "/aws/lambda/f"}
    )
    assert op.resource == "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*"
    arn = "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/g"
    op = operation_of("POST", "/", None, target, "us-east-1", "1", {"logGroupIdentifier": arn})
    assert op.resource == arn + ":*"
    assert (
        operation_of("POST", "/", None, "Logs_20140328.DescribeLogGroups", "r", "1", {}).resource
        == "*"
    )
