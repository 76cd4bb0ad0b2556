import os


def handler(event, context):
    keys = ("STAGE", "SHARED", "GREETING", "WHERE", "WORKER", "WORKER_ARN")
    return {
        "env": {k: os.environ.get(k) for k in keys},
        "memory": context.memory_limit_in_mb,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "event": event,
    }
