"""Bad input never gives a 5xx or a stall: each case found by fuzzing, against a real
``snaplambda serve``, answered with an AWS-shaped 4xx that names the field, the value
and what is allowed, and the server answering normally right after."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import botocore.session
import httpx
import pytest
from botocore.exceptions import ClientError

from tests import rawhttp, zipbombs
from tests.support import Server, create, invoke, zip_files, zip_function

HEALTHY = "hostile-healthy"
_JSON_TARGETS = {
    "logs": "Logs_20140328",
    "cloudwatch": "GraniteServiceVersion20100801",
    "application-autoscaling": "AnyScaleFrontendService",
}


@pytest.fixture(scope="module")
def healthy(lam: Any) -> str:
    create(lam, HEALTHY, zip_function("basic"))
    lam.publish_version(FunctionName=HEALTHY)
    return HEALTHY


def assert_alive(server: Server, lam: Any, name: str = HEALTHY) -> None:
    """The server still answers: /health, and an invoke of a healthy function."""
    assert server.health()["status"] == "ok"
    out = invoke(lam, name, {"action": "echo", "value": 7})
    assert out["StatusCode"] == 200 and "FunctionError" not in out, out


def json_call(server: Server, service: str, operation: str, body: Any) -> httpx.Response:
    """A JSON-protocol call with any body (boto3 would refuse to send it)."""
    return httpx.post(
        server.endpoint + "/",
        content=body if isinstance(body, bytes) else json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"{_JSON_TARGETS[service]}.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
        timeout=30,
    )


def error_of(response: httpx.Response) -> tuple[str, str]:
    """(AWS error type, message) of an error response of either protocol."""
    body = response.json()
    kind = response.headers.get("x-amzn-errortype") or body.get("__type", "")
    return kind, body.get("message", "")


# -- 1. invalid UTF-8 in X-Amz-* headers ------------------------------------------------

_BAD = b"\xff\xfe\xc3("


@pytest.mark.parametrize(
    ("header", "member"),
    [
        (b"X-Amz-Invocation-Type", "invocationType"),
        (b"X-Amz-Log-Type", "logType"),
        (b"X-Amz-Client-Context", "clientContext"),
        (b"X-Amz-Date", "X-Amz-Date"),
        (b"X-Amzn-Trace-Id", "X-Amzn-Trace-Id"),
    ],
)
def test_invalid_utf8_header_on_invoke(
    server: Server, lam: Any, healthy: str, header: bytes, member: str
) -> None:
    path = f"/2015-03-31/functions/{healthy}/invocations".encode()
    response = rawhttp.request(server.port, "POST", path, {header: b"x" + _BAD}, b"{}")
    assert response.status == 400
    assert response.error_type == "ValidationException"
    assert response.json()["Type"] == "User"
    assert f"at '{member}'" in response.message
    assert "x\\xff\\xfe" in response.message and "valid UTF-8" in response.message
    assert_alive(server, lam)


@pytest.mark.parametrize(
    "headers",
    [
        {b"X-Amz-Target": b"Logs_20140328.Filter" + _BAD},
        {b"X-Amz-Target": b"Logs_20140328.DescribeLogGroups", b"X-Amz-Date": _BAD},
        {b"X-Amz-Target": b"GraniteServiceVersion20100801.ListMetrics", b"X-Amz-User-Agent": _BAD},
    ],
)
def test_invalid_utf8_header_on_json_protocols(
    server: Server, lam: Any, healthy: str, headers: dict[bytes, bytes]
) -> None:
    response = rawhttp.request(server.port, "POST", b"/", headers, b"{}")
    assert response.status == 400
    assert response.json()["__type"] == "ValidationException"
    assert "valid UTF-8" in response.message and "\\xff" in response.message
    assert_alive(server, lam)


def test_invalid_utf8_on_rest_routes_and_query(server: Server, lam: Any, healthy: str) -> None:
    response = rawhttp.request(
        server.port, "GET", f"/2015-03-31/functions/{healthy}".encode(), {b"X-Amz-Date": _BAD}
    )
    assert (response.status, response.error_type) == (400, "ValidationException")
    assert "at 'X-Amz-Date'" in response.message
    response = rawhttp.request(server.port, "GET", b"/2015-03-31/functions?Marker=%ff%fe")
    assert (response.status, response.error_type) == (400, "ValidationException")
    assert "query string" in response.message and "Marker=%ff%fe" in response.message
    assert_alive(server, lam)


# -- 3. wrong JSON types in the JSON-protocol APIs ------------------------------------

_SERVED = {
    "logs": [
        "FilterLogEvents",
        "GetLogEvents",
        "DescribeLogStreams",
        "DescribeLogGroups",
        "PutRetentionPolicy",
        "DeleteRetentionPolicy",
    ],
    "cloudwatch": ["GetMetricStatistics", "GetMetricData", "ListMetrics"],
    "application-autoscaling": [
        "RegisterScalableTarget",
        "DeregisterScalableTarget",
        "DescribeScalableTargets",
        "PutScheduledAction",
        "DeleteScheduledAction",
        "DescribeScheduledActions",
        "PutScalingPolicy",
        "DeleteScalingPolicy",
        "DescribeScalingPolicies",
        "DescribeScalingActivities",
    ],
}


def _wrong_value(type_name: str) -> Any:
    """A JSON value that is not of botocore's ``type_name``."""
    return {
        "string": ["not", "a", "string"],
        "integer": "abc",
        "long": "abc",
        "double": "abc",
        "float": "abc",
        "boolean": "yes",
        "timestamp": {"not": "a time"},
        "list": "x",
        "structure": "x",
        "map": ["x"],
    }[type_name]


def _members() -> Iterator[tuple[str, str, str, str]]:
    session = botocore.session.get_session()
    for service, operations in _SERVED.items():
        model = session.get_service_model(service)
        for operation in operations:
            shape = model.operation_model(operation).input_shape
            for member, member_shape in shape.members.items():
                yield service, operation, member, member_shape.type_name


@pytest.mark.parametrize(("service", "operation", "member", "type_name"), list(_members()))
def test_every_member_of_the_wrong_type_is_a_serialization_exception(
    server: Server, service: str, operation: str, member: str, type_name: str
) -> None:
    value = _wrong_value(type_name)
    response = json_call(server, service, operation, {member: value})
    assert response.status_code == 400, response.text
    kind, message = error_of(response)
    assert kind == "SerializationException", message
    assert f"at '{member}'" in message
    assert json.dumps(value, separators=(",", ":"))[:20].strip('"') in message


@pytest.mark.parametrize(
    ("service", "operation", "body", "path", "value"),
    [
        (
            "logs",
            "FilterLogEvents",
            {"logGroupName": "/aws/lambda/x", "limit": "abc"},
            "limit",
            "abc",
        ),
        ("logs", "FilterLogEvents", {"logGroupName": ["/aws/lambda/x"]}, "logGroupName", "["),
        ("logs", "FilterLogEvents", {"logStreamNames": [{"a": 1}]}, "logStreamNames.1", "{"),
        ("logs", "GetLogEvents", {"logGroupName": {"nested": {"x": [1]}}}, "logGroupName", "{"),
        ("cloudwatch", "ListMetrics", {"Dimensions": "x"}, "Dimensions", "x"),
        ("cloudwatch", "ListMetrics", {"Dimensions": [{"Name": 5}]}, "Dimensions.1.Name", "5"),
        (
            "cloudwatch",
            "GetMetricData",
            {"MetricDataQueries": [{"Id": "a", "MetricStat": {"Metric": {"Dimensions": {}}}}]},
            "MetricDataQueries.1.MetricStat.Metric.Dimensions",
            "{",
        ),
        (
            "application-autoscaling",
            "PutScalingPolicy",
            {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": "70"}},
            "TargetTrackingScalingPolicyConfiguration.TargetValue",
            "70",
        ),
        (
            "application-autoscaling",
            "DescribeScheduledActions",
            {"ScheduledActionNames": 3},
            "ScheduledActionNames",
            "3",
        ),
    ],
)
def test_nested_wrong_types(
    server: Server,
    lam: Any,
    healthy: str,
    service: str,
    operation: str,
    body: Any,
    path: str,
    value: str,
) -> None:
    response = json_call(server, service, operation, body)
    assert response.status_code == 400, response.text
    kind, message = error_of(response)
    assert kind == "SerializationException"
    assert f"Value '{value}" in message and f"at '{path}'" in message and "must be" in message
    assert_alive(server, lam)


def test_bodies_that_are_not_json_objects(server: Server, lam: Any, healthy: str) -> None:
    for body in (b"[1, 2]", b'"text"', b"{", b'{"limit": NaN}', b'{"limit": 1e400}', b"\xff"):
        response = json_call(server, "logs", "FilterLogEvents", body)
        assert response.status_code == 400, (body, response.text)
        assert error_of(response)[0] == "SerializationException"
    assert_alive(server, lam)


# -- 4. out-of-range numbers -------------------------------------------------------------

_HUGE = 2**70  # beyond 64 bits: orjson reads it as a float


@pytest.mark.parametrize(
    ("service", "operation", "body", "kind", "path"),
    [
        (
            "logs",
            "FilterLogEvents",
            {"logGroupName": "/aws/lambda/x", "limit": -1},
            "InvalidParameterException",
            "limit",
        ),
        (
            "logs",
            "FilterLogEvents",
            {"logGroupName": "/aws/lambda/x", "limit": 10001},
            "InvalidParameterException",
            "limit",
        ),
        (
            "logs",
            "FilterLogEvents",
            {"logGroupName": "/aws/lambda/x", "limit": 1e20},
            "InvalidParameterException",
            "limit",
        ),
        (
            "logs",
            "FilterLogEvents",
            {"logGroupName": "/aws/lambda/x", "startTime": _HUGE},
            "InvalidParameterException",
            "startTime",
        ),
        (
            "logs",
            "GetLogEvents",
            {"logGroupName": "/aws/lambda/x", "logStreamName": "s", "endTime": -5},
            "InvalidParameterException",
            "endTime",
        ),
        (
            "logs",
            "DescribeLogStreams",
            {"logGroupName": "/aws/lambda/x", "limit": 0},
            "InvalidParameterException",
            "limit",
        ),
        (
            "cloudwatch",
            "GetMetricStatistics",
            {"StartTime": 1e20, "EndTime": 1, "Period": 60},
            "InvalidParameterValue",
            "StartTime",
        ),
        (
            "cloudwatch",
            "GetMetricStatistics",
            {"StartTime": 0, "EndTime": 1, "Period": _HUGE},
            "InvalidParameterValue",
            "Period",
        ),
        (
            "cloudwatch",
            "GetMetricStatistics",
            {"StartTime": 0, "EndTime": 1, "Period": -60},
            "InvalidParameterValue",
            "Period",
        ),
        (
            "application-autoscaling",
            "PutScheduledAction",
            {"StartTime": 1e300},
            "ValidationException",
            "StartTime",
        ),
        (
            "application-autoscaling",
            "RegisterScalableTarget",
            {"MinCapacity": 2**40},
            "ValidationException",
            "MinCapacity",
        ),
    ],
)
def test_out_of_range_numbers_in_json_protocols(
    server: Server, service: str, operation: str, body: Any, kind: str, path: str
) -> None:
    response = json_call(server, service, operation, body)
    assert response.status_code == 400, response.text
    got, message = error_of(response)
    assert got == kind, message
    assert f"at '{path}'" in message and "Member must" in message


@pytest.mark.parametrize(
    "path",
    [
        "/_snaplambda/metrics/{f}?minutes=1e20",
        "/_snaplambda/metrics/{f}?minutes=" + "9" * 40,
        "/_snaplambda/metrics/{f}?minutes=-1",
        "/_snaplambda/metrics/{f}?minutes=NaN",
        "/_snaplambda/metrics/{f}?period=0",
        "/_snaplambda/metrics/{f}?period=Infinity",
        "/_snaplambda/metrics/{f}?minutes=" + str(2**64),
        "/_snaplambda/traces?limit=abc",
        "/_snaplambda/traces?limit=" + "9" * 30,
        "/_snaplambda/traces?limit=-3",
        "/2015-03-31/functions?MaxItems=1e20",
        "/2015-03-31/functions?MaxItems=-1",
        "/2015-03-31/functions?MaxItems=" + "9" * 25,
        "/2018-10-31/layers/x/versions/" + "9" * 30,
        "/2018-10-31/layers?MaxItems=0",
        "/2019-09-30/functions/{f}/provisioned-concurrency?List=ALL&MaxItems=" + "9" * 30,
        "/2019-09-25/functions/{f}/event-invoke-config/list?MaxItems=NaN",
    ],
)
def test_out_of_range_numbers_in_query_parameters(
    server: Server, lam: Any, healthy: str, path: str
) -> None:
    response = httpx.get(server.endpoint + path.format(f=healthy), timeout=30)
    assert 400 <= response.status_code < 500, response.text
    kind, message = error_of(response)
    assert kind.endswith("Exception") and message


@pytest.mark.parametrize(
    ("method", "path", "body", "member"),
    [
        ("PUT", "/2015-03-31/functions/{f}/configuration", {"MemorySize": 1e20}, "memorySize"),
        ("PUT", "/2015-03-31/functions/{f}/configuration", {"MemorySize": _HUGE}, "memorySize"),
        ("PUT", "/2015-03-31/functions/{f}/configuration", {"Timeout": -1}, "timeout"),
        ("PUT", "/2015-03-31/functions/{f}/configuration", {"Timeout": 2**64}, "timeout"),
        (
            "PUT",
            "/2015-03-31/functions/{f}/configuration",
            {"EphemeralStorage": {"Size": 1e308}},
            "ephemeralStorage",
        ),
        (
            "PUT",
            "/2017-10-31/functions/{f}/concurrency",
            {"ReservedConcurrentExecutions": _HUGE},
            "reservedConcurrentExecutions",
        ),
        (
            "PUT",
            "/2017-10-31/functions/{f}/concurrency",
            {"ReservedConcurrentExecutions": 2**62},
            "reservedConcurrentExecutions",
        ),
        (
            "PUT",
            "/2019-09-30/functions/{f}/provisioned-concurrency?Qualifier=1",
            {"ProvisionedConcurrentExecutions": 2**63},
            "provisionedConcurrentExecutions",
        ),
        (
            "PUT",
            "/2019-09-25/functions/{f}/event-invoke-config",
            {"MaximumRetryAttempts": 2**64},
            "maximumRetryAttempts",
        ),
        (
            "PUT",
            "/2019-09-25/functions/{f}/event-invoke-config",
            {"MaximumEventAgeInSeconds": -1e20},
            "maximumEventAgeInSeconds",
        ),
        ("POST", "/_snaplambda/dlq/redrive", {"Ids": [1e300]}, "Ids"),
    ],
)
def test_out_of_range_numbers_in_rest_bodies(
    server: Server, lam: Any, healthy: str, method: str, path: str, body: Any, member: str
) -> None:
    response = httpx.request(
        method, server.endpoint + path.format(f=healthy), content=json.dumps(body), timeout=30
    )
    assert 400 <= response.status_code < 500, response.text
    kind, message = error_of(response)
    assert kind.endswith("Exception") and member.lower() in message.lower(), message
    assert_alive(server, lam)


# -- 7. the HTTP parser's own errors, and slow clients ---------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (b"NOT A REQUEST\r\n\r\n", 400, "Invalid method"),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, "Content-Length"),
        (
            b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            400,
            "Content-Length",
        ),
        (
            b"POST /2015-03-31/functions/f/invocations HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
            400,
            "chunk size",
        ),
        (b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", 400, "header"),
        (b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n", 431, "32768 bytes"),
        (b"GET /health HTTP/1.1\r\n" + b"X-Many: a\r\n" * 4000 + b"\r\n", 431, "32768 bytes"),
        (
            b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n",
            413,
            "smaller than 83886080 bytes",
        ),
    ],
)
def test_parser_errors_are_aws_shaped(
    server: Server, lam: Any, healthy: str, raw: bytes, status: int, words: str
) -> None:
    response = rawhttp.send(server.port, raw)
    assert response.status == status
    assert response.headers["content-type"] == "application/json"
    assert response.error_type in (
        "BadRequestException",
        "RequestHeaderFieldsTooLargeException",
        "RequestEntityTooLargeException",
    )
    assert response.json()["Type"] == "User"
    assert words.lower() in response.message.lower(), response.message
    assert_alive(server, lam)


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server that gives a request's head 8 seconds and its body 3."""
    srv = Server(
        tmp_path_factory.mktemp("impatient") / "state",
        env={"SNAPLAMBDA_HTTP_HEAD_TIMEOUT": "8", "SNAPLAMBDA_HTTP_BODY_TIMEOUT": "3"},
    ).start()
    yield srv
    srv.stop()


def _pending(sock: socket.socket) -> bool:
    """Whether the server has sent or closed anything on ``sock`` yet (without waiting)."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return False
    finally:
        sock.setblocking(True)
    return True


def test_slow_clients_are_cut_and_others_answered(impatient: Server) -> None:
    lam = impatient.client("lambda")
    create(lam, HEALTHY, zip_function("basic"))
    slow = []
    for i in range(20):
        sock = socket.create_connection(("127.0.0.1", impatient.port), timeout=60)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + str(i).encode())
        slow.append(sock)
    # A healthy client is answered while all 20 heads are still incomplete ...
    assert_alive(impatient, lam)
    assert not any(_pending(sock) for sock in slow)
    # ... and each slow one is then answered 408 and closed by the server.
    for sock in slow:
        with sock:
            response = rawhttp.parse(rawhttp.read_all(sock))
        assert response.status == 408
        assert response.error_type == "RequestTimeoutException"
        assert "request line and headers" in response.message


def test_a_trickling_body_is_cut(impatient: Server) -> None:
    lam = impatient.client("lambda")
    create(lam, HEALTHY, zip_function("basic"))
    before = impatient.health()
    with socket.create_connection(("127.0.0.1", impatient.port), timeout=60) as sock:
        sock.sendall(
            f"POST /2015-03-31/functions/{HEALTHY}/invocations HTTP/1.1\r\nHost: x\r\n"
            "Content-Length: 1000\r\n\r\n{".encode()
        )
        response = rawhttp.parse(rawhttp.read_all(sock))
    assert (response.status, response.error_type) == (408, "RequestTimeoutException")
    assert "request body was not complete within 3 seconds" in response.message
    assert_alive(impatient, lam)
    # Nothing ran with the cut body: the only invocation since is assert_alive's.
    after = impatient.health()
    ran = after["coldStarts"] + after["warmStarts"] - before["coldStarts"] - before["warmStarts"]
    assert ran == 1


# -- 2. handlers that could not be a module of the package ----------------------------------

_ROLE = "arn:aws:iam::123456789012:role/test"


@pytest.mark.parametrize(
    ("handler", "shown"),
    [
        ("app\x00.handler", "app\\x00.handler"),
        ("../app.handler", "../app.handler"),
        ("..\\app.handler", "..\\app.handler"),
        ("dir\\app.handler", "dir\\app.handler"),
        ("/etc/app.handler", "/etc/app.handler"),
        ("dir/../../app.handler", "dir/../../app.handler"),
    ],
)
def test_handler_outside_the_package_is_refused(
    server: Server, lam: Any, healthy: str, handler: str, shown: str
) -> None:
    client = server.client("lambda", validate=False)
    calls = [
        lambda: client.create_function(
            FunctionName="hostile-handler",
            Runtime="python3.11",
            Role=_ROLE,
            Handler=handler,
            Code={"ZipFile": zip_function("basic")},
        ),
        lambda: client.update_function_configuration(FunctionName=healthy, Handler=handler),
    ]
    for call in calls:
        with pytest.raises(ClientError) as caught:
            call()
        error = caught.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Code"] == "ValidationException"
        assert error["Error"]["Message"].startswith(
            f"1 validation error detected: Value '{shown}' at 'handler' failed to satisfy "
            "constraint: Member must "
        )
    assert lam.get_function_configuration(FunctionName=healthy)["Handler"] == "app.handler"
    assert_alive(server, lam)


def test_handler_with_whitespace_gets_awss_message(server: Server, lam: Any, healthy: str) -> None:
    with pytest.raises(ClientError) as caught:
        lam.update_function_configuration(FunctionName=healthy, Handler="app handler")
    assert caught.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value 'app handler' at 'handler' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [^\\s]+",
    }


def test_a_handler_in_a_package_directory_works(server: Server, lam: Any) -> None:
    code = zip_files({"src/app.py": "def handler(event, context):\n    return {'from': 'src'}\n"})
    create(lam, "hostile-subdir", code, handler="src/app.handler")
    assert invoke(lam, "hostile-subdir")["Body"] == {"from": "src"}


# -- 5. archive entries the filesystem cannot hold, overlapping entries ------------------------


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ({"pkg/" + "n" * 300 + ".py": "x = 1"}, "is 303 bytes; at most 255 are allowed"),
        ({"/".join(["d" * 250] * 5) + "/m.py": "x"}, "at most 1024 are allowed"),
    ],
)
def test_names_too_long_are_refused(
    server: Server, lam: Any, healthy: str, files: dict[str, str], words: str
) -> None:
    code = zip_files({**files, "app.py": "def handler(e, c):\n    return 1\n"})
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        create(lam, "hostile-long-name", code)
    message = caught.value.response["Error"]["Message"]
    assert words in message and str(server.state_dir) not in message
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        lam.publish_layer_version(LayerName="hostile-long", Content={"ZipFile": code})
    assert words in caught.value.response["Error"]["Message"]
    assert not list((server.state_dir / "code").glob(".staging-*"))
    assert_alive(server, lam)


def test_overlapping_entries_are_refused(server: Server, lam: Any, healthy: str) -> None:
    bomb = zipbombs.overlapping(200)  # 200 MiB unzipped from a few KiB
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as caught:
        create(lam, "hostile-bomb", bomb)
    assert "overlap in the archive" in caught.value.response["Error"]["Message"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.publish_layer_version(LayerName="hostile-bomb", Content={"ZipFile": bomb})
    assert_alive(server, lam)


# -- 6. checking a huge archive never blocks the event loop ---------------------------------


def test_a_huge_archive_is_checked_while_others_are_answered(
    server: Server, lam: Any, healthy: str
) -> None:
    zipped = zipbombs.many_entries(590_000)
    assert len(zipped) < 50 * 1024 * 1024
    body = {
        "FunctionName": "hostile-huge",
        "Runtime": "python3.11",
        "Role": _ROLE,
        "Handler": "app.handler",
        "Code": {"ZipFile": base64.b64encode(zipped).decode()},
    }
    answered_during_check = []
    with ThreadPoolExecutor(1) as pool:
        upload = pool.submit(
            httpx.post, server.endpoint + "/2015-03-31/functions", json=body, timeout=600
        )
        while not upload.done():
            if server.health()["archivesBeingChecked"] == 0:
                continue
            # The loop answered /health while the check ran; an invoke in between two
            # such answers ran during the check too.
            out = invoke(lam, healthy, {"during": "check"})
            if server.health()["archivesBeingChecked"] > 0:
                answered_during_check.append(out["StatusCode"])
        response = upload.result()
    assert answered_during_check and set(answered_during_check) == {200}
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "InvalidParameterValueException"
    assert response.json()["message"] == (
        "Refused zip: it has 590000 entries; at most 100000 are allowed"
    )
    assert_alive(server, lam)


# -- 8. ARNs of another region or account --------------------------------------------------


def test_another_regions_arn_is_not_reachable(server: Server, lam: Any, healthy: str) -> None:
    arn = f"arn:aws:lambda:us-west-2:123456789012:function:{healthy}"
    for call in (
        lambda: lam.get_function(FunctionName=arn),
        lambda: lam.invoke(FunctionName=arn, Payload=b"{}"),
        lambda: lam.get_alias(FunctionName=arn, Name="live"),
    ):
        with pytest.raises(lam.exceptions.ResourceNotFoundException) as caught:
            call()
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        assert caught.value.response["Error"]["Message"] == (
            "Functions from 'us-west-2' are not reachable in this region ('us-east-1')"
        )


@pytest.mark.parametrize(
    ("call", "action"),
    [
        (lambda lam, f: lam.invoke(FunctionName=f, Payload=b"{}"), "InvokeFunction"),
        (lambda lam, f: lam.get_function(FunctionName=f), "GetFunction"),
        (
            lambda lam, f: lam.get_function_configuration(FunctionName=f),
            "GetFunctionConfiguration",
        ),
        (
            lambda lam, f: lam.update_function_configuration(FunctionName=f, Timeout=5),
            "UpdateFunctionConfiguration",
        ),
        (lambda lam, f: lam.delete_function(FunctionName=f), "DeleteFunction"),
        (lambda lam, f: lam.list_versions_by_function(FunctionName=f), "ListVersionsByFunction"),
    ],
)
def test_another_accounts_arn_is_access_denied(
    server: Server, lam: Any, healthy: str, call: Any, action: str
) -> None:
    for name in (
        f"arn:aws:lambda:us-east-1:999999999999:function:{healthy}",
        f"999999999999:function:{healthy}",
    ):
        with pytest.raises(ClientError) as caught:
            call(lam, name)
        error = caught.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert error["Error"]["Code"] == "AccessDeniedException"
        assert error["Error"]["Message"] == (
            f"User: arn:aws:iam::123456789012:root is not authorized to perform: "
            f"lambda:{action} on resource: arn:aws:lambda:us-east-1:999999999999:function:"
            f"{healthy} because no resource-based policy allows the lambda:{action} action"
        )
    own = f"arn:aws:lambda:us-east-1:123456789012:function:{healthy}"
    assert lam.get_function(FunctionName=own)["Configuration"]["FunctionName"] == healthy
    assert_alive(server, lam)


# -- 9. code nothing references is removed from the code store -----------------------------


def _key(code: bytes) -> str:
    return hashlib.sha256(code).hexdigest()


def _handler_zip(value: int) -> bytes:
    return zip_files({"app.py": f"def handler(event, context):\n    return {value}\n"})


def test_code_is_removed_when_nothing_references_it(server: Server, lam: Any) -> None:
    store = server.state_dir / "code"
    name = "hostile-gc"
    v1, v2, v3 = _handler_zip(1), _handler_zip(2), _handler_zip(3)
    create(lam, name, v1)
    lam.publish_version(FunctionName=name)  # version 1 keeps v1's code
    lam.update_function_code(FunctionName=name, ZipFile=v2)
    assert (store / _key(v1)).is_dir() and (store / _key(v2)).is_dir()
    lam.update_function_code(FunctionName=name, ZipFile=v3)
    assert not (store / _key(v2)).exists() and not (store / ".sizes" / _key(v2)).exists()
    assert invoke(lam, name)["Body"] == 3
    assert invoke(lam, name, Qualifier="1")["Body"] == 1
    lam.delete_function(FunctionName=name, Qualifier="1")
    assert not (store / _key(v1)).exists()
    lam.delete_function(FunctionName=name)
    assert not (store / _key(v3)).exists()


def test_layer_code_stays_while_a_function_uses_it(server: Server, lam: Any) -> None:
    store = server.state_dir / "code"
    content = zip_files({"python/helper.py": "VALUE = 42\n"})
    layer = lam.publish_layer_version(LayerName="hostile-gc-layer", Content={"ZipFile": content})
    code = zip_files({"app.py": "import helper\ndef handler(e, c):\n    return helper.VALUE\n"})
    create(lam, "hostile-gc-user", code, Layers=[layer["LayerVersionArn"]])
    lam.delete_layer_version(LayerName="hostile-gc-layer", VersionNumber=layer["Version"])
    assert (store / _key(content)).is_dir()  # the function keeps the layer it has
    assert invoke(lam, "hostile-gc-user")["Body"] == 42
    lam.delete_function(FunctionName="hostile-gc-user")
    assert not (store / _key(content)).exists() and not (store / _key(code)).exists()


def test_a_refused_upload_leaves_no_code(server: Server, lam: Any) -> None:
    store = server.state_dir / "code"
    code = _handler_zip(4)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        create(lam, "hostile-gc-refused", code, runtime="python2.7")
    assert not (store / _key(code)).exists()


def test_unreferenced_code_is_removed_at_startup(tmp_path: Path) -> None:
    srv = Server(tmp_path / "state").start()
    try:
        lam = srv.client("lambda")
        code = _handler_zip(5)
        create(lam, "kept", code)
    finally:
        srv.stop()
    orphan = srv.state_dir / "code" / ("ab" * 32)
    orphan.mkdir()
    (orphan / "app.py").write_text("x = 1")
    srv = Server(srv.state_dir).start()
    try:
        assert not orphan.exists()
        assert (srv.state_dir / "code" / _key(code)).is_dir()
        assert invoke(srv.client("lambda"), "kept")["Body"] == 5
    finally:
        srv.stop()


@pytest.mark.parametrize("token", ["f/abc", "f/" + "9" * 25, "b/-1", "zz", "9" * 30])
def test_bad_log_page_tokens(server: Server, lam: Any, healthy: str, token: str) -> None:
    invoke(lam, healthy)  # the log group exists
    group = f"/aws/lambda/{healthy}"
    for operation, extra in (("GetLogEvents", {"logStreamName": "s"}), ("FilterLogEvents", {})):
        body = {"logGroupName": group, "nextToken": token, **extra}
        response = json_call(server, "logs", operation, body)
        assert response.status_code == 400, (operation, response.text)
        kind, message = error_of(response)
        assert kind == "InvalidParameterException" and "nextToken is invalid" in message
