import os
import sys
import time

INIT_PID = os.getpid()
LOADED_AT = time.time()


def handler(event, context):
    action = event.get("action")
    if action == "print":
        for i in range(event.get("lines", 1)):
            print(f"line {i}")
    if action == "raise":
        raise ValueError(event.get("message", "boom"))
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "exit":
        sys.exit(event.get("code", 0))
    return {
        "event": event,
        "pid": os.getpid(),
        "initPid": INIT_PID,
        "cwd": os.getcwd(),
        "sysPath": sys.path,
        "env": {
            k: v
            for k, v in os.environ.items()
            if k.startswith(("AWS_", "LAMBDA_", "_"))
            or k in ("TZ", "TMPDIR", "PATH", "LANG", "MY_VAR")
        },
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "aws_request_id": context.aws_request_id,
            "log_group_name": context.log_group_name,
            "log_stream_name": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
            "identity": [
                context.identity.cognito_identity_id,
                context.identity.cognito_identity_pool_id,
            ],
            "client_context": None
            if context.client_context is None
            else {
                "custom": context.client_context.custom,
                "env": context.client_context.env,
                "app_title": getattr(context.client_context.client, "app_title", None),
            },
            "types": {
                "memory_limit_in_mb": type(context.memory_limit_in_mb).__name__,
                "function_version": type(context.function_version).__name__,
                "remaining": type(context.get_remaining_time_in_millis()).__name__,
            },
        },
        "modules": sorted(
            m
            for m in sys.modules
            if m.split(".")[0] in ("starlette", "uvicorn", "orjson", "snaplambda", "typer")
        ),
    }
