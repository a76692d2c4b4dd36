"""Link tokens: derived from a stored nonce with the secret key, looked up by hash only."""

from __future__ import annotations

import base64

import pytest

from survey.services.tokens import (
    hash_from_link_token,
    link_token_for,
    new_link,
    new_nonce,
    opt_out_token,
    stakeholder_from_opt_out_token,
)

KEY = "test-secret-key"


def test_a_nonce_has_at_least_128_random_bits_and_never_repeats() -> None:
    nonces = {new_nonce() for _ in range(1000)}
    assert len(nonces) == 1000
    for nonce in list(nonces)[:20]:
        assert len(base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))) * 8 >= 128


def test_the_link_is_rebuilt_from_its_nonce_and_found_by_its_hash() -> None:
    made = new_link(KEY)
    again = link_token_for(KEY, made.nonce)
    assert again == made
    assert hash_from_link_token(KEY, made.token) == made.token_hash
    assert made.nonce not in made.token  # the nonce alone (a database leak) is not the link


def test_another_key_or_nonce_gives_another_link() -> None:
    made = new_link(KEY)
    assert link_token_for("another-key", made.nonce).token_hash != made.token_hash
    assert link_token_for(KEY, new_nonce()).token_hash != made.token_hash
    assert hash_from_link_token("another-key", made.token) is None


@pytest.mark.parametrize("bad", ["", "x" * 500, "abc.def", "é.x", "NQ.aaaa"])
def test_made_up_tokens_are_refused(bad: str) -> None:
    assert hash_from_link_token(KEY, bad) is None
    assert stakeholder_from_opt_out_token(KEY, bad) is None


def test_opt_out_tokens_name_their_stakeholder_and_are_not_link_tokens() -> None:
    token = opt_out_token(KEY, 42)
    assert stakeholder_from_opt_out_token(KEY, token) == 42
    assert stakeholder_from_opt_out_token("another-key", token) is None
    assert hash_from_link_token(KEY, token) is None  # a different salt: not usable as a survey link
    made = new_link(KEY)
    assert stakeholder_from_opt_out_token(KEY, made.token) is None
