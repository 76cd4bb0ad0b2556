"""The IAM action of each Lambda REST operation that takes a FunctionName, for the
``AccessDeniedException`` an ARN of another account gets (AWS names the action)."""

from __future__ import annotations

#: (method, route path) -> action; the routes are those of the *_api modules.
_ACTIONS = {
    ("GET", "/2015-03-31/functions/{name}"): "GetFunction",
    ("DELETE", "/2015-03-31/functions/{name}"): "DeleteFunction",
    ("GET", "/2015-03-31/functions/{name}/configuration"): "GetFunctionConfiguration",
    ("PUT", "/2015-03-31/functions/{name}/configuration"): "UpdateFunctionConfiguration",
    ("PUT", "/2015-03-31/functions/{name}/code"): "UpdateFunctionCode",
    ("PUT", "/2017-10-31/functions/{name}/concurrency"): "PutFunctionConcurrency",
    ("DELETE", "/2017-10-31/functions/{name}/concurrency"): "DeleteFunctionConcurrency",
    ("GET", "/2019-09-30/functions/{name}/concurrency"): "GetFunctionConcurrency",
    ("POST", "/2015-03-31/functions/{name}/versions"): "PublishVersion",
    ("GET", "/2015-03-31/functions/{name}/versions"): "ListVersionsByFunction",
    ("POST", "/2015-03-31/functions/{name}/aliases"): "CreateAlias",
    ("GET", "/2015-03-31/functions/{name}/aliases"): "ListAliases",
    ("GET", "/2015-03-31/functions/{name}/aliases/{alias}"): "GetAlias",
    ("PUT", "/2015-03-31/functions/{name}/aliases/{alias}"): "UpdateAlias",
    ("DELETE", "/2015-03-31/functions/{name}/aliases/{alias}"): "DeleteAlias",
    ("PUT", "/2019-09-30/functions/{name}/provisioned-concurrency"): (
        "PutProvisionedConcurrencyConfig"
    ),
    ("GET", "/2019-09-30/functions/{name}/provisioned-concurrency"): (
        "GetProvisionedConcurrencyConfig"
    ),
    ("DELETE", "/2019-09-30/functions/{name}/provisioned-concurrency"): (
        "DeleteProvisionedConcurrencyConfig"
    ),
    ("PUT", "/2019-09-25/functions/{name}/event-invoke-config"): "PutFunctionEventInvokeConfig",
    ("POST", "/2019-09-25/functions/{name}/event-invoke-config"): (
        "UpdateFunctionEventInvokeConfig"
    ),
    ("GET", "/2019-09-25/functions/{name}/event-invoke-config"): "GetFunctionEventInvokeConfig",
    ("DELETE", "/2019-09-25/functions/{name}/event-invoke-config"): (
        "DeleteFunctionEventInvokeConfig"
    ),
    ("GET", "/2019-09-25/functions/{name}/event-invoke-config/list"): (
        "ListFunctionEventInvokeConfigs"
    ),
}

INVOKE = "InvokeFunction"


def action_of(method: str, route_path: str | None) -> str:
    """The IAM action of a request, by its method and matched route."""
    return _ACTIONS.get((method, route_path or ""), "InvokeFunction")
