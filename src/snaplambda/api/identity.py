"""Who a caller is: the identity STS ``GetCallerIdentity`` reports for an access key.

snaplambda has no key store yet: it checks no signature and enforces no policy, so
every access key can do everything.  The default resolver therefore answers, for
any key (and for an unsigned request), the account's root user - the AWS principal
that has exactly that power - in AWS's own shape for root credentials: ``UserId``
is the account id and ``Arn`` is ``arn:aws:iam::<account>:root``.  Naming a made-up
IAM user per key instead would claim a user that no IAM API here can show and whose
(absent) policies would not match what the key may do.

A key store replaces :func:`account_root` with its own :data:`IdentityResolver`
(key -> user or role), wired where the API application is built; nothing else
changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    """The principal behind a request, as ``GetCallerIdentity`` reports it."""

    user_id: str
    account: str
    arn: str


IdentityResolver = Callable[[str | None], Identity]
"""Maps the access key id a request was signed with (``None``: unsigned) to its
identity."""


def account_root(account_id: str) -> IdentityResolver:
    """The resolver used while there is no key store: every caller is ``account_id``'s
    root user.

    >>> account_root("123456789012")("AKIDEXAMPLE").arn
    'arn:aws:iam::123456789012:root'
    """
    root = Identity(user_id=account_id, account=account_id, arn=f"arn:aws:iam::{account_id}:root")

    def resolve(access_key_id: str | None) -> Identity:
        return root

    return resolve
