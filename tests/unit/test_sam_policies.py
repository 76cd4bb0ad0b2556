"""SAM ``Policies`` as a role's inline policy (pure), and the plan that uses it."""

from __future__ import annotations

from pathlib import Path

from snaplambda.sam.plan import build_plan
from snaplambda.sam.policies import inline_policy
from snaplambda.sam.template import parse_template

ALLOW = {"Effect": "Allow", "Action": "lambda:GetFunction", "Resource": "*"}


def test_simple_statements_are_merged_and_the_rest_is_reported() -> None:
    result = inline_policy(
        [
            {"Statement": [ALLOW]},
            {"Version": "2012-10-17", "Statement": {**ALLOW, "Sid": "two"}},
            "AWSLambdaBasicExecutionRole",
            {"S3ReadPolicy": {"BucketName": "b"}},
            {"Statement": [{**ALLOW, "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]},
        ]
    )
    assert result.document == {
        "Version": "2012-10-17",
        "Statement": [ALLOW, {**ALLOW, "Sid": "two"}],
    }
    assert len(result.not_applied) == 3
    assert "AWSLambdaBasicExecutionRole" in result.not_applied[0]
    assert "S3ReadPolicy" in result.not_applied[1]
    assert "Condition" in result.not_applied[2]


def test_a_deny_it_cannot_evaluate_drops_everything() -> None:
    deny = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {}}
    result = inline_policy({"Statement": [ALLOW, deny]})
    assert result.document is None
    assert "Deny" in result.not_applied[0]


def test_nothing_applicable_is_no_document() -> None:
    assert inline_policy("AWSLambda_FullAccess").document is None


TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.11
      Policies:
        - Statement:
            - Effect: Allow
              Action: lambda:GetFunctionConfiguration
              Resource: !Sub arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:other
  Named:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.11
      Role: arn:aws:iam::123456789012:role/mine
      Policies:
        - Statement: [{Effect: Allow, Action: "*", Resource: "*"}]
"""


def test_the_plan_gives_a_function_with_policies_a_role_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "fn").mkdir()
    (tmp_path / "fn" / "app.py").write_text("def handler(e, c): return e\n")
    path = tmp_path / "template.yaml"
    path.write_text(TEMPLATE)
    plan = build_plan(parse_template(TEMPLATE), path, stack_name="s")
    reader, named = sorted(plan.functions, key=lambda fn: fn.logical_id != "Reader")
    assert reader.role == f"arn:aws:iam::123456789012:role/{reader.name}-role"
    assert reader.settings([])["Role"] == reader.role
    assert reader.role_policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "lambda:GetFunctionConfiguration",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:other",
            }
        ],
    }
    assert named.role == "arn:aws:iam::123456789012:role/mine" and named.role_policy is None
    assert any(
        n.logical_id == "Named" and n.property == "Policies" and "names its Role" in n.message
        for n in plan.notices
    )
