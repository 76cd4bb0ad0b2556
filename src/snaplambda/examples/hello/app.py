"""The demo function: a little init work, then a greeting that shows its context."""

import json
import os
import time
from typing import Any

STARTED = time.time()
COUNTER = {"invocations": 0}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    COUNTER["invocations"] += 1
    print(f"hello from {context.function_name}: invocation {COUNTER['invocations']}")
    return {
        "message": f"Hello, {event.get('name', 'world')}!",
        "requestId": context.aws_request_id,
        "invocationsInThisEnvironment": COUNTER["invocations"],
        "initializationType": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"],
        "remainingMs": context.get_remaining_time_in_millis(),
        "echo": json.loads(json.dumps(event)),
    }
