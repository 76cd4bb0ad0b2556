"""What SigV4 verification costs a warm invoke: ``python -m bench.auth [--rounds N]``
from the repository root.

Two servers run side by side, one with ``SNAPLAMBDA_AUTH=on`` and one with
``off``, each with the same no-op function kept warm.  Each round sends a batch of
signed warm invokes to each (alternating which goes first) with one boto3 client
per server, and keeps the batch's median; the report gives the median over rounds
of both and of their difference.  The gate's own cost is also timed in-process:
verifying one signed invoke request (a 100-byte body) with a warm signing-key
cache, without any server.  Results go to ``bench/results/auth.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config as BotoConfig
from botocore.credentials import Credentials

from snaplambda.api.authgate import AuthGate
from snaplambda.auth.keys import KeyStore
from snaplambda.auth.policy import NOTHING

from .server import ServeProcess

NOOP = "def handler(event, context):\n    return event\n"
RESULTS = Path(__file__).parent / "results" / "auth.json"


def _zip() -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", NOOP)
    return buf.getvalue()


def _client(server: ServeProcess) -> Any:
    import configparser

    key = ("x", "x")
    path = server.state_dir / "credentials"
    if path.exists():
        parser = configparser.ConfigParser()
        parser.read(path)
        key = (
            parser["snaplambda"]["aws_access_key_id"],
            parser["snaplambda"]["aws_secret_access_key"],
        )
    return boto3.client(
        "lambda",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        config=BotoConfig(retries={"total_max_attempts": 1}),
    )


def _batch(client: Any, size: int) -> float:
    times = []
    for _ in range(size):
        start = time.perf_counter()
        client.invoke(FunctionName="noop", Payload=b'{"a": 1}')["Payload"].read()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def end_to_end(rounds: int, batch: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        servers = {
            mode: ServeProcess(
                Path(tmp) / mode, Path(tmp) / f"{mode}.log", env={"SNAPLAMBDA_AUTH": mode}
            )
            for mode in ("on", "off")
        }
        for server in servers.values():
            server.start()
        try:
            clients = {mode: _client(server) for mode, server in servers.items()}
            for client in clients.values():
                client.create_function(
                    FunctionName="noop",
                    Runtime="python3.11",
                    Role="arn:aws:iam::123456789012:role/bench",
                    Handler="app.handler",
                    Code={"ZipFile": _zip()},
                )
                _batch(client, 20)  # cold start and warm-up
            medians: dict[str, list[float]] = {"on": [], "off": []}
            deltas = []
            for index in range(rounds):
                order = ("on", "off") if index % 2 == 0 else ("off", "on")
                got = {mode: _batch(clients[mode], batch) for mode in order}
                for mode, value in got.items():
                    medians[mode].append(value)
                deltas.append(got["on"] - got["off"])
        finally:
            for server in servers.values():
                server.stop()
    return {
        "warm_invoke_ms_auth_on": statistics.median(medians["on"]),
        "warm_invoke_ms_auth_off": statistics.median(medians["off"]),
        "difference_ms": statistics.median(deltas),
    }


def in_process(count: int) -> float:
    """Microseconds the gate spends on one signed invoke (inner app does nothing)."""
    secret = "s" * 40
    keys = KeyStore("123456789012", ("AKIABENCHBENCHBENCH0", secret), [], lambda f, r: NOTHING)
    body = b'{"payload": "' + b"x" * 86 + b'"}'
    url = "http://127.0.0.1:9070/2015-03-31/functions/noop/invocations"
    request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIABENCHBENCHBENCH0", secret), "lambda", "us-east-1").add_auth(request)
    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    headers.append((b"host", b"127.0.0.1:9070"))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/2015-03-31/functions/noop/invocations",
        "raw_path": b"/2015-03-31/functions/noop/invocations",
        "query_string": b"",
        "headers": headers,
    }
    passed = 0

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        nonlocal passed
        passed += 1

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        raise AssertionError(f"refused: {message}")

    gate = AuthGate(inner, keys, "us-east-1")

    async def run() -> float:
        await gate(dict(scope), receive, send)
        start = time.perf_counter()
        for _ in range(count):
            await gate(dict(scope), receive, send)
        return (time.perf_counter() - start) / count * 1e6

    micros = asyncio.run(run())
    assert passed == count + 1
    return micros


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    result: dict[str, float] = {"gate_us_per_request": in_process(5000)}
    print(f"gate, in process: {result['gate_us_per_request']:.1f} us per signed invoke")
    result.update(end_to_end(args.rounds, args.batch))
    print(
        f"warm invoke median: auth on {result['warm_invoke_ms_auth_on']:.3f} ms, "
        f"off {result['warm_invoke_ms_auth_off']:.3f} ms, "
        f"median difference {result['difference_ms']:+.3f} ms"
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
