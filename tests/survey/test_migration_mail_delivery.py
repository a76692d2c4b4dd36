"""The mail delivery migration (7b1d2c9e4f10): up with data in place, and back down."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from survey import create_app
from survey.extensions import db

BEFORE = "624e55c83024"


def test_upgrade_fills_in_invitation_times_and_downgrade_removes_the_columns(
    tmp_path: Path,
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.sqlite'}",
        }
    )
    with app.app_context():
        try:
            upgrade(revision=BEFORE)
            with db.engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO organisation (id, code, name, kind, region) "
                        "VALUES (1, 'A', 'A', 'ccg', 'R');"
                    )
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO survey_round (id, year, title, questionnaire_id, "
                        "questionnaire_version, questionnaire_definition, opens_on, closes_on, "
                        "status, suppression_threshold, comment_threshold, created_at) "
                        "VALUES (1, 2026, 't', 'q', 1, '', '2026-01-01', '2026-02-01', 'open', "
                        "5, 10, '2026-01-01 00:00:00')"
                    )
                )
                connection.execute(
                    sa.text(
                        'INSERT INTO stakeholder (id, round_id, email, name, employer, "group", '
                        "created_at) VALUES (1, 1, 'a@example.org', 'A', '', 'g', "
                        "'2026-01-01 00:00:00')"
                    )
                )
                connection.execute(
                    sa.text(
                        "INSERT INTO invitation (id, round_id, stakeholder_id, organisation_id, "
                        "status, created_at, issued_at) VALUES (1, 1, 1, 1, 'issued', "
                        "'2026-01-01 00:00:00', '2026-01-03 09:00:00')"
                    )
                )
            upgrade()
            with db.engine.connect() as connection:
                row = connection.execute(
                    sa.text("SELECT invited_at, reminders_sent, last_reminded_at FROM stakeholder")
                ).one()
                assert (str(row[0])[:19], row[1], row[2]) == ("2026-01-03 09:00:00", 0, None)
                limits = connection.execute(
                    sa.text(
                        "SELECT reminder_days_after_invitation, reminder_days_before_close, "
                        "reminder_limit FROM survey_round"
                    )
                ).one()
                assert limits == ("[7, 14]", "[2]", 3)
            downgrade(revision=BEFORE)
            columns = {c["name"] for c in sa.inspect(db.engine).get_columns("stakeholder")}
            assert "invited_at" not in columns and "reminders_sent" not in columns
            assert "token_nonce" not in {
                c["name"] for c in sa.inspect(db.engine).get_columns("invitation")
            }
            upgrade()
        finally:
            db.engine.dispose()
