"""Sealed answers: unreadable without SECRET_KEY, bound to their row, rotated keys still open."""

from __future__ import annotations

import pytest
from flask import Flask

from survey import create_app
from survey.services.sealing import SealBroken, seal, unseal

ANSWERS = {"overall_relationship": {"score": 4}, "overall_comments": {"text": "Named Person"}}


def _app(app: Flask, **overrides: object) -> Flask:
    return create_app({**app.config, **overrides})


def test_a_sealed_draft_opens_to_what_was_saved_and_reads_as_nothing(app: Flask) -> None:
    with app.app_context():
        sealed = seal(ANSWERS, purpose="draft:7")
        assert unseal(sealed, purpose="draft:7") == ANSWERS
    assert b"Named Person" not in sealed and b"overall" not in sealed
    assert b"score" not in sealed


def test_the_same_answers_seal_differently_each_time(app: Flask) -> None:
    """A random nonce: equal drafts cannot be spotted as equal by comparing stored values."""
    with app.app_context():
        assert seal(ANSWERS, purpose="draft:7") != seal(ANSWERS, purpose="draft:7")


def test_a_value_moved_to_another_row_or_tampered_with_does_not_open(app: Flask) -> None:
    with app.app_context():
        sealed = seal(ANSWERS, purpose="draft:7")
        with pytest.raises(SealBroken, match="draft:8"):
            unseal(sealed, purpose="draft:8")
        flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
        with pytest.raises(SealBroken):
            unseal(flipped, purpose="draft:7")
        with pytest.raises(SealBroken, match="unknown format 9"):
            unseal(b"\x09" + sealed[1:], purpose="draft:7")


def test_another_key_cannot_open_it_but_a_rotated_key_still_does(app: Flask) -> None:
    with app.app_context():
        sealed = seal(ANSWERS, purpose="pending:3")
    with _app(app, SECRET_KEY="a-different-deployment").app_context():
        with pytest.raises(SealBroken, match="SECRET_KEY"):
            unseal(sealed, purpose="pending:3")
    rotated = _app(app, SECRET_KEY="the-new-key", SECRET_KEY_FALLBACKS=[app.config["SECRET_KEY"]])
    with rotated.app_context():
        assert unseal(sealed, purpose="pending:3") == ANSWERS
