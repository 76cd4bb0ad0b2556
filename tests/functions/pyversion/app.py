import os
import sys


def handler(event, context):
    return {
        "versionInfo": list(sys.version_info[:3]),
        "executionEnv": os.environ.get("AWS_EXECUTION_ENV"),
        "pid": os.getpid(),
    }
