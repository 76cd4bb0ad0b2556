"""Events the benchmark functions are invoked with."""

from __future__ import annotations

import json
from typing import Any


def http_api_v2(path: str, query: str = "", method: str = "GET") -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) request event, as Mangum expects."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "host": "bench.execute-api.us-east-1.amazonaws.com",
            "user-agent": "snaplambda-bench",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "domainName": "bench.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "snaplambda-bench",
            },
            "requestId": "bench",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "isBase64Encoded": False,
    }


def encode(event: Any) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()
