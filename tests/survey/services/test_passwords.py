"""Password hashing on its own: Argon2id hashes that never contain the password, verification
that fails closed (wrong password, no account, a damaged hash), upgrades of weaker hashes, and
an unknown account taking as long to refuse as a wrong password."""

from __future__ import annotations

import time

import pytest
from argon2 import PasswordHasher

from survey.services.passwords import hash_password, needs_rehash, verify_password

PASSWORD = "correct horse battery staple"


def test_a_hash_is_argon2id_salted_and_never_holds_the_password() -> None:
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)

    assert first.startswith("$argon2id$") and second.startswith("$argon2id$")
    assert first != second  # a fresh salt each time: equal passwords do not show as equal
    assert PASSWORD not in first and "horse" not in first
    assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)


@pytest.mark.parametrize(
    "attempt", ["correct horse battery stapl", "Correct horse battery staple", " " + PASSWORD, ""]
)
def test_anything_but_the_exact_password_is_refused(attempt: str) -> None:
    assert verify_password(hash_password(PASSWORD), attempt) is False


def test_non_ascii_passwords_verify_exactly() -> None:
    stored = hash_password("crème brûlée £ 🙂 pass")
    assert verify_password(stored, "crème brûlée £ 🙂 pass")
    # the same letters composed differently are different bytes, so a different password
    assert not verify_password(stored, "cre\u0300me bru\u0302le\u0301e £ 🙂 pass")


@pytest.mark.parametrize("stored", [None, "", "not a hash", "$argon2id$v=19$m=1,t=1,p=1$bad"])
def test_no_account_or_a_damaged_hash_is_refused_not_an_error(stored: str | None) -> None:
    assert verify_password(stored, PASSWORD) is False


def test_no_account_is_refused_even_for_the_dummy_hash_password() -> None:
    # the unknown-account path verifies against a hidden dummy hash; knowing its password
    # must not sign anybody in
    assert verify_password(None, "no account has this password \x00") is False


def test_a_weaker_hash_still_verifies_and_is_flagged_for_upgrade() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)

    assert verify_password(weak, PASSWORD)
    assert needs_rehash(weak) is True
    assert needs_rehash(hash_password(PASSWORD)) is False


def test_an_unknown_account_takes_as_long_to_refuse_as_a_wrong_password() -> None:
    """Otherwise the sign-in page's timing would tell which addresses have accounts."""
    stored = hash_password(PASSWORD)

    def timed(stored_hash: str | None) -> float:
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            assert not verify_password(stored_hash, "a wrong password")
            runs.append(time.perf_counter() - start)
        return sorted(runs)[2]  # the median, against a busy machine

    wrong_password, no_account = timed(stored), timed(None)
    # Both run one Argon2 verification; skipping it would be thousands of times faster.
    assert no_account > wrong_password / 5
