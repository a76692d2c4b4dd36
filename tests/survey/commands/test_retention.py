"""``assure360 retention``: the daily purge, and its dry run that purges nothing."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from survey.models import Stakeholder
from tests.survey.mail.helpers import queue_invitations


def _stakeholders(db) -> int:  # type: ignore[no-untyped-def]
    return int(db.session.scalar(select(func.count()).select_from(Stakeholder)) or 0)


def test_the_dry_run_lists_what_is_due_and_purges_nothing(
    runner, db, make_round, make_organisation
) -> None:
    today = date.today()
    due = make_round(opens_on=today - timedelta(days=200), closes_on=today - timedelta(days=100))
    kept = make_round(opens_on=today - timedelta(days=60), closes_on=today - timedelta(days=30))
    organisation = make_organisation()
    for survey_round in (due, kept):
        queue_invitations(db, survey_round, [organisation.id], 2, prefix=f"r{survey_round.id}-")
        survey_round.close()
    db.session.commit()

    dry = runner.invoke(args=["retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"round {due.id} (" in dry.output and "2 stakeholder(s)" in dry.output
    assert "kept 90 days" in dry.output and f"round {kept.id} (" not in dry.output
    assert "1 round(s) would be purged; nothing was purged" in dry.output
    assert _stakeholders(db) == 4

    purged = runner.invoke(args=["retention"])
    assert purged.exit_code == 0, purged.output
    assert f"1 round(s) purged\n  round {due.id}: 2 stakeholder(s)" in purged.output
    assert _stakeholders(db) == 2  # the other round's identities are still within retention
