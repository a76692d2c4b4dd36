"""``round status`` and ``mail bounces``: what a survey manager reads on the command line."""

from __future__ import annotations

from tests.survey.mail.helpers import queue_invitations


def test_status_and_bounces_commands(runner, db, make_round, make_organisation, tmp_path) -> None:
    survey_round = make_round()
    queue_invitations(db, survey_round, [make_organisation(code="ZZZ").id], 2)
    bounces = tmp_path / "bounces.csv"
    bounces.write_text("email\nperson1@example.org\nnobody@example.org\n")

    marked = runner.invoke(args=["mail", "bounces", str(survey_round.id), str(bounces)])
    assert marked.exit_code == 0, marked.output
    assert "1 marked undeliverable" in marked.output and "nobody@example.org" in marked.output

    status = runner.invoke(args=["round", "status", str(survey_round.id), "--stakeholders"])
    assert status.exit_code == 0, status.output
    assert "undeliverable         1" in status.output
    assert "queued                1" in status.output
    assert "person1@example.org" in status.output
    assert "ZZZ" in status.output and "0%" in status.output

    missing = runner.invoke(
        args=["mail", "bounces", str(survey_round.id), str(tmp_path / "none.csv")]
    )
    assert missing.exit_code == 1 and "cannot read" in missing.output
    no_column = tmp_path / "wrong.csv"
    no_column.write_text("address\nx@example.org\n")
    assert (
        runner.invoke(args=["mail", "bounces", str(survey_round.id), str(no_column)]).exit_code == 1
    )
