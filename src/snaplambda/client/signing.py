"""Signing the client's requests with SigV4, as boto3 would, so the CLI works
against a server with authentication on.

Credentials are looked for, in order, in ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` (/ ``AWS_SESSION_TOKEN``), in the shared-credentials
file ``AWS_SHARED_CREDENTIALS_FILE`` names (profile ``AWS_PROFILE``, else
``snaplambda``), and in the credentials file ``snaplambda serve`` made in its
state directory (``SNAPLAMBDA_STATE_DIR``, else ``.snaplambda``).  The user's own
``~/.aws`` is not read unless named: its keys are AWS's, not this platform's.
Without credentials requests go unsigned (a server with ``--auth off``).
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Generator, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, quote

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

#: X-Amz-Target prefixes and the signing name of their service.
_TARGET_SERVICES = {"Logs_20140328": "logs", "GraniteServiceVersion20100801": "monitoring"}


def find_credentials(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The credentials to sign with (see the module's docstring), or ``None``."""
    env = os.environ if environ is None else environ
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return Credentials(
            env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env.get("AWS_SESSION_TOKEN")
        )
    profile = env.get("AWS_PROFILE") or "snaplambda"
    named = env.get("AWS_SHARED_CREDENTIALS_FILE")
    state = Path(env.get("SNAPLAMBDA_STATE_DIR") or ".snaplambda") / "credentials"
    for path in ([Path(named)] if named else []) + [state]:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path)
            section = parser[profile if named else "snaplambda"]
            return Credentials(
                section["aws_access_key_id"].strip(),
                section["aws_secret_access_key"].strip(),
                section.get("aws_session_token"),
            )
        except (configparser.Error, KeyError, OSError):
            continue
    return None


class SigV4Signer(httpx.Auth):
    """An httpx auth flow that signs each request for the platform."""

    requires_request_body = True

    def __init__(self, credentials: Credentials, region: str = "us-east-1") -> None:
        self.credentials = credentials
        self.region = region

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        # The query in SigV4's own encoding (a space is %20, not httpx's '+'), so the
        # bytes sent are the bytes signed.
        if request.url.query:
            pairs = parse_qsl(request.url.query.decode(), keep_blank_values=True)
            encoded = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
            request.url = request.url.copy_with(query=encoded.encode())
        target = request.headers.get("x-amz-target", "")
        service = _TARGET_SERVICES.get(target.partition(".")[0], "lambda")
        signed = {
            name: value
            for name, value in request.headers.items()
            if name.lower() == "content-type" or name.lower().startswith("x-amz-")
        }
        aws = AWSRequest(request.method, str(request.url), data=request.content, headers=signed)
        SigV4Auth(self.credentials, service, self.region).add_auth(aws)
        for name, value in aws.headers.items():
            request.headers[name] = value
        yield request
