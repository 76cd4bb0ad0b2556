import os


def handler(event, context):
    return {"worker": True, "stage": os.environ.get("STAGE"), "memory": context.memory_limit_in_mb}
