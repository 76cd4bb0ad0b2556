"""SAM templates to deploy plans: pure, no server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from snaplambda.sam.model import EventInvokeConfig, LayerRef
from snaplambda.sam.naming import physical_name
from snaplambda.sam.plan import build_plan
from snaplambda.sam.template import (
    TemplateError,
    find_template,
    merge_globals,
    parse_overrides,
    parse_template,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for sub in ("fn", "other", "layer/python"):
        (tmp_path / sub).mkdir(parents=True)
    (tmp_path / "fn" / "app.py").write_text("def handler(e, c): return e\n")
    (tmp_path / "code.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    return tmp_path


def plan_of(project: Path, text: str, **kwargs: Any) -> Any:
    path = project / "template.yaml"
    path.write_text(text)
    return build_plan(parse_template(text), path, **kwargs)


BASIC = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
  Size: {Type: Number, Default: 512}
  Names: {Type: CommaDelimitedList, Default: "a,b"}
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    Timeout: 7
    Environment: {Variables: {STAGE: !Ref Stage, SHARED: global, PORT: 8080}}
    Layers: [arn:aws:lambda:us-east-1:123456789012:layer:shared:3]
Resources:
  Lib:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layer/, CompatibleRuntimes: [python3.12]}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      MemorySize: !Ref Size
      Timeout: 9
      AutoPublishAlias: live
      ReservedConcurrentExecutions: 3
      Layers: [!Ref Lib]
      Environment:
        Variables:
          SHARED: own
          SUB: !Sub "${Stage}-${AWS::Region}-${AWS::AccountId}-${AWS::StackName}"
          SUBVARS: !Sub ["${X}/${!Literal}", {X: !Ref Other}]
          ARN: !GetAtt Other.Arn
          JOINED: !Join ["+", [!Select [1, !Ref Names], !Ref Stage]]
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnFailure: {Type: Lambda, Destination: !Ref Other}
      Events:
        Get: {Type: Api, Properties: {Path: /, Method: get}}
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 2}
      Tracing: Active
  Other:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-other"
      CodeUri: code.zip
      Runtime: python3.11
      EphemeralStorage: {Size: 1024}
      Architectures: [arm64]
      Description: the other one
      Environment: {Variables: {OWN: "1"}}
  Queue:
    Type: AWS::SQS::Queue
"""


def test_globals_merge_and_intrinsics(project: Path) -> None:
    plan = plan_of(project, BASIC, stack_name="st", region="eu-west-1", account_id="999")
    [layer] = plan.layers
    assert (layer.name, layer.code.path, layer.compatible_runtimes) == (
        "Lib",
        project / "layer",
        ("python3.12",),
    )
    fn, other = plan.functions
    # No FunctionName: CloudFormation's <stack>-<LogicalId>-<SUFFIX>.
    assert (fn.name, fn.handler, fn.runtime, fn.memory_size, fn.timeout) == (
        physical_name("st", "Fn"),
        "app.handler",
        "python3.12",
        512,
        9,
    )
    assert fn.environment == {
        "STAGE": "dev",
        "SHARED": "own",
        "PORT": "8080",
        "SUB": "dev-eu-west-1-999-st",
        "SUBVARS": "st-other/${Literal}",
        "ARN": "arn:aws:lambda:eu-west-1:999:function:st-other",
        "JOINED": "b+dev",
    }
    # Global layers come first, then the function's own.
    assert fn.layers == ("arn:aws:lambda:us-east-1:123456789012:layer:shared:3", LayerRef("Lib"))
    assert (fn.auto_publish_alias, fn.reserved_concurrency) == ("live", 3)
    assert fn.event_invoke_config == EventInvokeConfig(
        maximum_retry_attempts=0, on_failure="arn:aws:lambda:eu-west-1:999:function:st-other"
    )
    assert other.name == "st-other" and other.code.path == project / "code.zip"
    assert (other.ephemeral_storage, other.architectures, other.description) == (
        1024,
        ("arm64",),
        "the other one",
    )
    assert other.environment == {"STAGE": "dev", "SHARED": "global", "PORT": "8080", "OWN": "1"}
    assert other.timeout == 7 and other.memory_size == 128 and other.auto_publish_alias is None
    skipped = {(s.logical_id, s.type) for s in plan.skipped}
    assert skipped == {("Queue", "AWS::SQS::Queue"), ("Fn.Events.Get", "event Api")}
    notices = {(n.logical_id, n.property): n.message for n in plan.notices}
    assert ("Fn", "ProvisionedConcurrencyConfig") not in notices
    assert (fn.provisioned_concurrency, other.provisioned_concurrency) == (2, None)
    assert (fn.snap_start, other.snap_start) == ("None", "None")
    # Tracing is applied as TracingConfig, and every function carries SAM's tag.
    assert ("Fn", "Tracing") not in notices
    assert fn.settings([])["TracingConfig"] == {"Mode": "Active"}
    assert other.settings([])["TracingConfig"] == {"Mode": "PassThrough"}
    assert fn.tags == other.tags == {"lambda:createdBy": "SAM"}


def test_snapstart_and_provisioned_concurrency_are_applied(project: Path) -> None:
    plan = plan_of(
        project,
        """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
      AutoPublishAlias: live
      SnapStart: {ApplyOn: PublishedVersions}
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 1}
""",
    )
    [fn] = plan.functions
    assert fn.settings([])["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    assert fn.provisioned_concurrency == 1
    assert not plan.notices


def test_provisioned_concurrency_needs_an_alias(project: Path) -> None:
    with pytest.raises(
        TemplateError, match=r"Fn, property ProvisionedConcurrencyConfig.*AutoPublishAlias"
    ):
        plan_of(
            project,
            """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 1}
""",
        )


def test_parameter_overrides_and_defaults(project: Path) -> None:
    plan = plan_of(project, BASIC, parameters=parse_overrides(["Stage=prod Size=1024"]))
    assert plan.functions[0].environment["STAGE"] == "prod"
    assert plan.functions[0].memory_size == 1024
    # The directory's name, made a valid stack name.
    assert plan.stack_name == project.name.replace("_", "-")
    assert parse_overrides(["ParameterKey=A,ParameterValue=x=y", "B=2"]) == {"A": "x=y", "B": "2"}
    with pytest.raises(TemplateError, match="must be KEY=VALUE"):
        parse_overrides(["oops"])
    with pytest.raises(TemplateError, match="Nope, which the template's Parameters do not"):
        plan_of(project, BASIC, parameters={"Nope": "1"})
    with pytest.raises(TemplateError, match="Parameter Size is a Number; 'big' is not"):
        plan_of(project, BASIC, parameters={"Size": "big"})


def test_settings_reset_what_the_template_does_not_set(project: Path) -> None:
    fn = plan_of(project, BASIC).functions[1]
    settings = fn.settings(["arn:layer"])
    assert settings["Layers"] == ["arn:layer"]
    assert settings["EphemeralStorage"] == {"Size": 1024}
    assert settings["Environment"]["Variables"]["OWN"] == "1"


FN = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
{extra}
  Table:
    Type: AWS::DynamoDB::Table
"""


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "      Environment: {Variables: {T: !Ref Table}}",
            "Resource Fn, property Environment.Variables.T: !Ref Table cannot be resolved: it "
            "is a AWS::DynamoDB::Table",
        ),
        (
            "      Environment: {Variables: {T: !GetAtt Table.Arn}}",
            "Resource Fn, property Environment.Variables.T: !GetAtt Table.Arn cannot be resolved",
        ),
        (
            "      Description: !Sub '${Missing}'",
            "Resource Fn, property Description: !Sub ${...} Missing names no parameter",
        ),
        (
            "      Description: !If [C, a, b]",
            "Resource Fn, property Description: !If is not supported",
        ),
        ("      MemorySize: lots", "Resource Fn, property MemorySize: expected an integer"),
        ("      Layers: [!Ref Table]", "Resource Fn, property Layers[0]: !Ref Table cannot"),
        ("      Layers: [not-an-arn]", "Resource Fn, property Layers[0]: expected a layer"),
        ("      CodeUri: s3://bucket/key.zip", "property CodeUri: code in S3"),
        ("      CodeUri: nowhere/", "property CodeUri: no directory or .zip"),
        ("      PackageType: Image", "property PackageType: only Zip packages"),
        (
            "      EventInvokeConfig: {DestinationConfig: {OnFailure: {Type: SQS}}}",
            "a Destination ARN is required",
        ),
    ],
)
def test_errors_name_resource_and_property(project: Path, extra: str, message: str) -> None:
    with pytest.raises(TemplateError) as info:
        plan_of(project, FN.replace("{extra}", extra))
    assert message in str(info.value)


def test_missing_required_and_parameters(project: Path) -> None:
    with pytest.raises(TemplateError, match="Resource Fn: Handler is required"):
        plan_of(project, FN.replace("      Handler: app.handler\n", "").replace("{extra}", ""))
    text = "Parameters: {P: {Type: String}}\n" + FN.replace("{extra}", "")
    with pytest.raises(TemplateError, match="Parameter P has no Default"):
        plan_of(project, text)
    with pytest.raises(TemplateError, match="no Resources"):
        parse_template("Parameters: {}\n")
    with pytest.raises(TemplateError, match="not valid YAML"):
        parse_template("Resources: [\n")


def test_short_tags_and_json_templates() -> None:
    doc = parse_template(
        "Resources:\n  A: {Type: X, Properties: {R: !Ref P, G: !GetAtt B.Arn, "
        "S: !Sub '${P}', J: !Join [',', [a, b]]}}\n"
    )
    assert doc["Resources"]["A"]["Properties"] == {
        "R": {"Ref": "P"},
        "G": {"Fn::GetAtt": ["B", "Arn"]},
        "S": {"Fn::Sub": "${P}"},
        "J": {"Fn::Join": [",", ["a", "b"]]},
    }
    assert parse_template('{"Resources": {"A": {"Type": "X"}}}', json_format=True)


def test_merge_globals_rules() -> None:
    merged = merge_globals(
        {"Timeout": 3, "Environment": {"Variables": {"A": "1", "B": "1"}}, "Layers": ["g"]},
        {"Timeout": 5, "Environment": {"Variables": {"B": "2"}}, "Layers": ["f"]},
    )
    assert merged == {
        "Timeout": 5,
        "Environment": {"Variables": {"A": "1", "B": "2"}},
        "Layers": ["g", "f"],
    }
    # An intrinsic is a value, not a map to merge into.
    assert merge_globals({"D": {"Ref": "X"}}, {"D": {"Fn::Sub": "y"}}) == {"D": {"Fn::Sub": "y"}}


def test_find_template(tmp_path: Path) -> None:
    assert find_template(tmp_path / "t.yml") == tmp_path / "t.yml"
    assert find_template(tmp_path) is None
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    assert find_template(tmp_path) == tmp_path / "template.yaml"
    assert find_template(tmp_path / "code.zip") is None


MAPPED = """
Globals:
  Function:
    Tags: {team: core}
    LoggingConfig: {LogFormat: JSON}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
      Tracing: Disabled
      Tags: {stage: dev}
      LoggingConfig: {ApplicationLogLevel: DEBUG, LogGroup: /custom/group}
      Role: arn:aws:iam::123456789012:role/own
      AutoPublishAlias: live
      VersionDescription: from the template
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: python3.12
      Role: !GetAtt PlainRole.Arn
  PlainRole:
    Type: AWS::IAM::Role
"""


def test_properties_map_to_the_lambda_api(project: Path) -> None:
    plan = plan_of(project, MAPPED, stack_name="st")
    fn, plain = plan.functions
    settings = fn.settings([])
    assert settings["TracingConfig"] == {"Mode": "PassThrough"}  # Disabled: Lambda's default
    assert settings["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "DEBUG",
        "SystemLogLevel": "INFO",
        "LogGroup": "/custom/group",
    }
    assert settings["Role"] == "arn:aws:iam::123456789012:role/own"
    assert fn.tags == {"team": "core", "stage": "dev", "lambda:createdBy": "SAM"}
    assert fn.version_description == "from the template"
    # A role of the template is not deployed: the platform's role stays, and it is said.
    assert "Role" not in plain.settings([])
    # What the template does not set is Lambda's default, so a redeploy resets it.
    assert plain.settings([])["LoggingConfig"] == {
        "LogFormat": "JSON",
        "ApplicationLogLevel": "INFO",
        "SystemLogLevel": "INFO",
        "LogGroup": f"/aws/lambda/{plain.name}",
    }
    [basic] = plan_of(project, FN.replace("{extra}", "")).functions
    assert basic.settings([])["LoggingConfig"] == {
        "LogFormat": "Text",
        "LogGroup": f"/aws/lambda/{basic.name}",
    }
    notices = {(n.logical_id, n.property): n.message for n in plan.notices}
    assert "PlainRole" in notices[("Plain", "Role")]
    assert ("Fn", "Tags") not in notices and ("Fn", "LoggingConfig") not in notices


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("      Tracing: Sometimes", "property Tracing: 'Sometimes' must be Active, PassThrough"),
        ("      LoggingConfig: {Format: JSON}", "Format is not a LoggingConfig member"),
        ("      Tags: [a, b]", "property Tags: expected a mapping"),
    ],
)
def test_mapped_property_errors(project: Path, extra: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        plan_of(project, FN.replace("{extra}", extra))


def test_requirements_make_a_build(project: Path) -> None:
    (project / "fn" / "requirements.txt").write_text("aws-lambda-powertools\n")
    (project / "layer" / "requirements.txt").write_text("six\n")
    (project / "built").mkdir()
    (project / "built" / "requirements.txt").write_text("six\n")
    plan = plan_of(
        project,
        """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: fn/, Handler: app.handler, Runtime: python3.12}
  Zipped:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: code.zip, Handler: app.handler, Runtime: python3.12}
  Raw:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layer/}
  Built:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: built/, RetentionPolicy: Retain}
    Metadata: {BuildMethod: python3.13}
""",
    )
    fn, zipped = plan.functions
    assert fn.build is not None and zipped.build is None
    assert (fn.build.source, fn.build.runtime, fn.build.prefix) == (
        project / "fn",
        "python3.12",
        "",
    )
    raw, built = plan.layers
    # SAM builds a layer only with a BuildMethod, into python/.
    assert raw.build is None and not raw.retain
    assert built.build is not None and built.retain
    assert (built.build.runtime, built.build.prefix) == ("python3.13", "python")
    assert built.build.requirements == project / "built" / "requirements.txt"
    notices = {(n.logical_id, n.property): n.message for n in plan.notices}
    assert "no Metadata BuildMethod" in notices[("Raw", "requirements.txt")]


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        (
            "{BuildMethod: makefile}",
            "Resource Lib, Metadata BuildMethod: makefile is not supported",
        ),
        ("{BuildMethod: nodejs20.x}", "'nodejs20.x' is not supported by snaplambda"),
    ],
)
def test_build_methods_that_are_refused(project: Path, metadata: str, message: str) -> None:
    text = (
        "Resources:\n  Lib:\n    Type: AWS::Serverless::LayerVersion\n"
        f"    Properties: {{ContentUri: layer/}}\n    Metadata: {metadata}\n"
    )
    with pytest.raises(TemplateError, match=message):
        plan_of(project, text)


def test_outputs_are_kept_for_after_the_deploy(project: Path) -> None:
    plan = plan_of(
        project,
        FN.replace("{extra}", "")
        + "Outputs:\n  Arn: {Value: !GetAtt Fn.Arn, Description: the function}\n",
        stack_name="st",
    )
    [output] = plan.outputs
    assert (output.key, output.value) == ("Arn", {"Fn::GetAtt": ["Fn", "Arn"]})
    assert not plan.notices
