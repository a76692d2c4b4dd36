"""``assure360 users``: the set-password link goes by email, and to the terminal only on request."""

from __future__ import annotations

from pathlib import Path

from tests.survey.helpers import read_outbox, text_part


def _create(runner, *extra: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        args=["users", "create", "--email", "mo@example.nhs.uk", "--name", "Mo"]
        + ["--role", "manager", *extra]
    )


def test_users_create_emails_the_link_and_does_not_print_it(app, runner, db) -> None:
    result = _create(runner)
    assert result.exit_code == 0, result.output
    [email] = read_outbox(Path(app.config["MAIL_OUTBOX_DIR"]))
    assert email["To"] == "mo@example.nhs.uk"
    [link] = [word for word in text_part(email).split() if "/auth/set-password/" in word]
    assert "set-password link is emailed" in result.output
    assert "/auth/set-password/" not in result.output and link not in result.output


def test_users_create_prints_the_emailed_link_when_asked(app, runner, db) -> None:
    result = _create(runner, "--show-link")
    assert result.exit_code == 0, result.output
    [email] = read_outbox(Path(app.config["MAIL_OUTBOX_DIR"]))
    [link] = [word for word in text_part(email).split() if "/auth/set-password/" in word]
    assert link in result.output.split()


def test_users_reset_two_factor_removes_the_second_factor_and_audits_it(
    app, runner, db, make_user
) -> None:
    import pyotp
    from sqlalchemy import select

    from survey.models import AuditEvent, User
    from survey.services import two_factor

    user = make_user(role="manager")
    secret = pyotp.random_base32()
    user.totp_secret = two_factor.seal(secret)
    db.session.commit()
    result = runner.invoke(args=["users", "reset-two-factor", "--email", user.email.upper()])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert db.session.get(User, user.id).totp_secret is None
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "user.two_factor.reset")
    )
    assert event.channel == "cli"
    unknown = runner.invoke(args=["users", "reset-two-factor", "--email", "no@example.org"])
    assert unknown.exit_code != 0 and "there is no account for 'no@example.org'" in unknown.output
