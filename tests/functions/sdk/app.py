"""A function that uses the runtime's AWS SDK the way functions on Lambda do: a
client made with no arguments, which must reach the platform that runs it."""

import importlib
import importlib.metadata
import json
import os
import sys

import boto3
import botocore


def _importable(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def handler(event, context):
    action = event.get("action", "describe")
    if action == "describe":
        credentials = boto3.Session().get_credentials()
        return {
            "boto3": [boto3.__version__, boto3.__file__],
            "botocore": [botocore.__version__, botocore.__file__],
            "metadata": importlib.metadata.version("boto3"),
            "deps": {
                name: getattr(importlib.import_module(name), "__file__", None)
                for name in ("s3transfer", "jmespath", "dateutil", "six", "urllib3")
            },
            "sysPath": sys.path,
            "accessKey": credentials.access_key if credentials else None,
            "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
            "region": boto3.Session().region_name,
            # The platform's own dependencies must stay invisible to functions.
            "leaks": [n for n in ("httpx", "starlette", "snaplambda", "orjson") if _importable(n)],
        }
    client = boto3.client("lambda")
    if action == "list":
        names = []
        for page in client.get_paginator("list_functions").paginate():
            names += [f["FunctionName"] for f in page["Functions"]]
        return {"names": sorted(names), "endpoint": client.meta.endpoint_url}
    if action == "invoke":
        response = client.invoke(
            FunctionName=event["target"], Payload=json.dumps(event["payload"])
        )
        return {
            "status": response["StatusCode"],
            "payload": json.loads(response["Payload"].read()),
            "executed": response["ExecutedVersion"],
        }
    if action == "missing":
        try:
            client.get_function(FunctionName=event["target"])
        except client.exceptions.ResourceNotFoundException as exc:
            return {"error": exc.response["Error"]["Code"], "message": str(exc)}
        return {"error": None}
    if action == "unserved":
        # Services snaplambda does not serve answer from it, too: never real AWS.
        from botocore.exceptions import ClientError

        errors = {}
        for service, call in (("s3", "list_buckets"), ("ssm", "describe_parameters")):
            try:
                getattr(boto3.client(service), call)()
            except ClientError as exc:
                errors[service] = [exc.response["Error"]["Code"], exc.response["ResponseMetadata"]["HTTPStatusCode"]]
        return errors
    raise ValueError(f"unknown action {action!r}")
