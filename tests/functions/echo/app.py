import os

VERSION = "v1"


def handler(event, context):
    return {"version": VERSION, "greeting": os.environ.get("GREETING"), "event": event}
