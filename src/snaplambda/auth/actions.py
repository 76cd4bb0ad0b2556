"""Which IAM action and resource each API request is (pure).

Lambda's REST operations are told by method and path; JSON-protocol ones by
``X-Amz-Target``.  The resource is the function's ARN (qualified when the request
names a version or alias, as in AWS) where the operation acts on one function,
the layer's ARN for layers, the role's for role policies (``iam:PutRolePolicy``
...), the log group a CloudWatch Logs request's body names, and ``*`` otherwise.
Requests that match no AWS operation (snaplambda's own ``/_snaplambda``
endpoints, unknown paths) are the action ``snaplambda:<Method>`` on ``*``, so
only keys that allow them (or ``*``) may make them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

#: X-Amz-Target prefix -> IAM service prefix.
TARGET_SERVICES = {
    "Logs_20140328": "logs",
    "GraniteServiceVersion20100801": "cloudwatch",
    "AnyScaleFrontendService": "application-autoscaling",
    "AWSEvents": "events",
}

_FN = r"/(?P<name>[^/]+)"
#: (method, path pattern, action); the first match wins.
_REST: list[tuple[str, re.Pattern[str], str]] = [
    (m, re.compile(p), a)
    for m, p, a in [
        ("POST", r"/2015-03-31/functions/?", "CreateFunction"),
        ("GET", r"/2015-03-31/functions/?", "ListFunctions"),
        ("GET", rf"/2015-03-31/functions{_FN}", "GetFunction"),
        ("DELETE", rf"/2015-03-31/functions{_FN}", "DeleteFunction"),
        ("POST", rf"/2015-03-31/functions{_FN}/invocations", "InvokeFunction"),
        ("GET", rf"/2015-03-31/functions{_FN}/configuration", "GetFunctionConfiguration"),
        ("PUT", rf"/2015-03-31/functions{_FN}/configuration", "UpdateFunctionConfiguration"),
        ("PUT", rf"/2015-03-31/functions{_FN}/code", "UpdateFunctionCode"),
        ("POST", rf"/2015-03-31/functions{_FN}/versions", "PublishVersion"),
        ("GET", rf"/2015-03-31/functions{_FN}/versions", "ListVersionsByFunction"),
        ("POST", rf"/2015-03-31/functions{_FN}/aliases", "CreateAlias"),
        ("GET", rf"/2015-03-31/functions{_FN}/aliases", "ListAliases"),
        ("GET", rf"/2015-03-31/functions{_FN}/aliases/[^/]+", "GetAlias"),
        ("PUT", rf"/2015-03-31/functions{_FN}/aliases/[^/]+", "UpdateAlias"),
        ("DELETE", rf"/2015-03-31/functions{_FN}/aliases/[^/]+", "DeleteAlias"),
        ("PUT", rf"/2017-10-31/functions{_FN}/concurrency", "PutFunctionConcurrency"),
        ("DELETE", rf"/2017-10-31/functions{_FN}/concurrency", "DeleteFunctionConcurrency"),
        ("GET", rf"/2019-09-30/functions{_FN}/concurrency", "GetFunctionConcurrency"),
        ("PUT", rf"/2019-09-25/functions{_FN}/event-invoke-config", "PutFunctionEventInvokeConfig"),
        (
            "POST",
            rf"/2019-09-25/functions{_FN}/event-invoke-config",
            "UpdateFunctionEventInvokeConfig",
        ),
        ("GET", rf"/2019-09-25/functions{_FN}/event-invoke-config", "GetFunctionEventInvokeConfig"),
        (
            "DELETE",
            rf"/2019-09-25/functions{_FN}/event-invoke-config",
            "DeleteFunctionEventInvokeConfig",
        ),
        (
            "GET",
            rf"/2019-09-25/functions{_FN}/event-invoke-config/list",
            "ListFunctionEventInvokeConfigs",
        ),
        (
            "PUT",
            rf"/2019-09-30/functions{_FN}/provisioned-concurrency",
            "PutProvisionedConcurrencyConfig",
        ),
        (
            "GET",
            rf"/2019-09-30/functions{_FN}/provisioned-concurrency",
            "GetProvisionedConcurrencyConfig",
        ),
        (
            "DELETE",
            rf"/2019-09-30/functions{_FN}/provisioned-concurrency",
            "DeleteProvisionedConcurrencyConfig",
        ),
        ("GET", r"/2016-08-19/account-settings/?", "GetAccountSettings"),
        ("GET", r"/2018-10-31/layers/?", "ListLayers"),
        ("POST", r"/2018-10-31/layers/(?P<layer>[^/]+)/versions", "PublishLayerVersion"),
        ("GET", r"/2018-10-31/layers/(?P<layer>[^/]+)/versions", "ListLayerVersions"),
        ("GET", r"/2018-10-31/layers/(?P<layer>[^/]+)/versions/(?P<lv>\d+)", "GetLayerVersion"),
        (
            "DELETE",
            r"/2018-10-31/layers/(?P<layer>[^/]+)/versions/(?P<lv>\d+)",
            "DeleteLayerVersion",
        ),
        ("POST", r"/2017-03-31/tags/(?P<arn>.+)", "TagResource"),
        ("DELETE", r"/2017-03-31/tags/(?P<arn>.+)", "UntagResource"),
        ("GET", r"/2017-03-31/tags/(?P<arn>.+)", "ListTags"),
        ("PUT", r"/2026-snaplambda/role-policies/(?P<role>.+)", "iam:PutRolePolicy"),
        ("GET", r"/2026-snaplambda/role-policies/(?P<role>.+)", "iam:GetRolePolicy"),
        ("DELETE", r"/2026-snaplambda/role-policies/(?P<role>.+)", "iam:DeleteRolePolicy"),
    ]
]


@dataclass(frozen=True)
class Operation:
    """An API request as IAM sees it."""

    action: str
    resource: str


def function_resource(ref: str, qualifier: str | None, region: str, account: str) -> str:
    """The ARN a function reference (name, partial or full ARN, with an optional
    ``:qualifier``) denotes.

    >>> function_resource("f:prod", None, "us-east-1", "123456789012")
    'arn:aws:lambda:us-east-1:123456789012:function:f:prod'
    """
    parts = ref.split(":")
    if ref.startswith("arn:") and len(parts) >= 7:
        region, account, parts = parts[3] or region, parts[4] or account, parts[6:]
    elif len(parts) >= 3 and parts[1] == "function":
        account, parts = parts[0], parts[2:]
    name = parts[0]
    qualifier = qualifier or (parts[1] if len(parts) > 1 else None)
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def log_group_resource(body: Mapping[str, Any], region: str, account: str) -> str:
    """The log group a CloudWatch Logs request names (``logGroupName``, or
    ``logGroupIdentifier``: a name or an ARN), as IAM names it
    (``arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*``); ``*`` when it names none."""
    name = body.get("logGroupName") or body.get("logGroupIdentifier")
    if not isinstance(name, str) or not name:
        return "*"
    if name.startswith("arn:"):
        return name if name.endswith(":*") else f"{name}:*"
    return f"arn:aws:logs:{region}:{account}:log-group:{name}:*"


def operation_of(
    method: str,
    path: str,
    qualifier: str | None,
    target: str | None,
    region: str,
    account: str,
    body: Mapping[str, Any] | None = None,
) -> Operation:
    """The IAM action and resource of one request (``path`` decoded; ``body``, the
    JSON body of a JSON-protocol request, names a Logs request's log group)."""
    if target:
        prefix, _, name = target.partition(".")
        service = TARGET_SERVICES.get(prefix, prefix.lower())
        resource = "*"
        if service == "logs" and body is not None:
            resource = log_group_resource(body, region, account)
        return Operation(f"{service}:{name}", resource)
    for verb, pattern, action in _REST:
        found = pattern.fullmatch(path) if verb == method else None
        if found is None:
            continue
        groups = found.groupdict()
        if "name" in groups:
            resource = function_resource(groups["name"], qualifier, region, account)
        elif "role" in groups:
            role = groups["role"]
            arn = role if role.startswith("arn:") else f"arn:aws:iam::{account}:role/{role}"
            return Operation(action, arn)
        elif "arn" in groups:
            resource = unquote(groups["arn"])
        elif "layer" in groups:
            resource = f"arn:aws:lambda:{region}:{account}:layer:{groups['layer']}"
            if groups.get("lv"):
                resource += f":{groups['lv']}"
        else:
            resource = "*"
        return Operation(f"lambda:{action}", resource)
    return Operation(f"snaplambda:{method.capitalize()}", "*")
