"""The identity STS reports while there is no key store, and the account it names."""

from __future__ import annotations

import pytest

from snaplambda.api.identity import Identity, account_root
from snaplambda.config import from_environ


def test_every_key_and_no_key_is_the_accounts_root() -> None:
    resolve = account_root("210987654321")
    root = Identity("210987654321", "210987654321", "arn:aws:iam::210987654321:root")
    assert resolve("AKIDONE") == resolve("AKIDTWO") == resolve(None) == root


def test_the_account_comes_from_the_environment() -> None:
    assert from_environ({}).account_id == "123456789012"
    assert from_environ({"SNAPLAMBDA_ACCOUNT_ID": "210987654321"}).account_id == "210987654321"


@pytest.mark.parametrize("value", ["12345", "12345678901a", "\uff11" * 12, ""])
def test_an_account_id_is_twelve_digits(value: str) -> None:
    with pytest.raises(ValueError, match="expected 12 digits"):
        from_environ({"SNAPLAMBDA_ACCOUNT_ID": value})
