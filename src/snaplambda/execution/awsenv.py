"""What the AWS SDK inside an environment is told: where the platform's APIs are and
which credentials to sign with, so that ``boto3.client("lambda")`` with no
arguments reaches this platform (pure).

Lambda gives each function its execution role's temporary credentials; so does
snaplambda with authentication on (:func:`credential_environment`, made by the
key store).  With ``--auth off`` every environment gets one placeholder key pair
whose names say so: botocore refuses to send an unsigned request
(``NoCredentialsError``), and without these it would go looking for the host
user's own credentials and the EC2 instance metadata service.
"""

from __future__ import annotations

PLACEHOLDER_ACCESS_KEY_ID = "SNAPLAMBDA-NO-AUTH"
PLACEHOLDER_SECRET_ACCESS_KEY = "snaplambda-does-not-check-signatures"
PLACEHOLDER_SESSION_TOKEN = "snaplambda-no-auth"

OVERRIDABLE = frozenset({"AWS_ENDPOINT_URL"})
"""Set for every environment, but a function's own variable of the same name wins
(Lambda reserves the credential names, not this one)."""


def reachable_endpoint(host: str, port: int) -> str:
    """The URL a process on this machine reaches a server listening on ``host``
    at: a wildcard address is reached through loopback."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def sdk_environment(host: str, port: int) -> dict[str, str]:
    """The variables every environment gets for its SDK (the region is set with the
    other Lambda variables)."""
    return {
        "AWS_ENDPOINT_URL": reachable_endpoint(host, port),
        "AWS_ACCESS_KEY_ID": PLACEHOLDER_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": PLACEHOLDER_SECRET_ACCESS_KEY,
        "AWS_SESSION_TOKEN": PLACEHOLDER_SESSION_TOKEN,
    }


def credential_environment(access_key_id: str, secret: str, token: str) -> dict[str, str]:
    """The variables of a function role's temporary credentials."""
    return {
        "AWS_ACCESS_KEY_ID": access_key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": token,
    }
