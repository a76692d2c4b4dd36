"""The thin slice of a whole round: CLI setup, emailed link, answers through the web, export."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from survey.models import Invitation, InvitationStatus, Response
from survey.services.responses import stored_answers
from tests.survey.helpers import answer_everything, csrf_token, links_in, read_outbox
from tests.survey.microdata_file import read_microdata
from tests.survey.stored import release_all

ORGANISATIONS = """code,name,kind,region,area
01A,NHS Alpha Integrated Care Board,ccg,Midlands,Area 1
02B,NHS Beta Integrated Care Board,ccg,Midlands,Area 1
"""

STAKEHOLDERS = """\ufeffEmail , NAME,Employer, group ,Assesses
pat.jones@example.org,Pat Jones,Alpha Surgery,gp_practice,01A
lee.council@example.org,Lee Smith,Midshire Council,local_authority,01A;02B
,,,,
"""


def _run(runner, *args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def test_a_round_from_cli_to_one_anonymous_response(
    app, runner, client, db, tmp_path: Path
) -> None:
    (tmp_path / "orgs.csv").write_text(ORGANISATIONS)
    (tmp_path / "people.csv").write_text(STAKEHOLDERS, encoding="utf-8")
    _run(runner, "organisations", "import", str(tmp_path / "orgs.csv"))
    created = _run(
        runner,
        "round",
        "create",
        "--year",
        "2030",
        "--questionnaire",
        "ccg-360",
        "--opens",
        "2020-01-01",
        "--closes",
        "2099-12-31",
    )
    round_id = created.output.split()[2].rstrip(":")
    _run(runner, "round", "open", round_id)
    preview = _run(
        runner, "stakeholders", "import", round_id, str(tmp_path / "people.csv"), "--yes"
    )
    assert "2 new stakeholder(s)" in preview.output and "3 new invitation(s)" in preview.output
    issued = _run(runner, "invitations", "issue", round_id)
    assert "3 invitation(s) in 2 email(s)" in issued.output

    messages = {message["To"]: message for message in read_outbox(tmp_path / "outbox")}
    assert set(messages) == {"pat.jones@example.org", "lee.council@example.org"}
    assert len(links_in(messages["lee.council@example.org"])) == 2  # one email, two links
    [link] = links_in(messages["pat.jones@example.org"])
    path = link.removeprefix("http://localhost")

    start = client.get(path)
    assert start.status_code == 200
    assert "NHS Alpha Integrated Care Board" in start.get_data(as_text=True)
    answer_everything(client, path, choice="4", comment="Clear about its plans.")
    check = client.get(f"{path}/check")
    submitted = client.post(
        f"{path}/check", data={"csrf_token": csrf_token(check.get_data(as_text=True))}
    )
    assert submitted.status_code == 302
    assert "Survey complete" in client.get(path).get_data(as_text=True)

    with app.app_context():
        release_all(db)
        [response] = db.session.scalars(select(Response)).all()
        assert response.stakeholder_group == "gp_practice"
        answers = stored_answers(response)
        scores = {item: answer["score"] for item, answer in answers.items() if "score" in answer}
        comments = [answer["text"] for answer in answers.values() if "text" in answer]
        assert scores and set(scores.values()) == {4}
        assert comments and set(comments) == {"Clear about its plans."}
        statuses = sorted(s.value for s in db.session.scalars(select(Invitation.status)))
        assert statuses == [
            InvitationStatus.COMPLETED.value,
            InvitationStatus.ISSUED.value,
            InvitationStatus.ISSUED.value,
        ]

    exported = _run(runner, "export", "responses", round_id, "-o", str(tmp_path / "out.csv"))
    assert "wrote" in exported.output
    text = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    file = read_microdata(text)
    # one response is a cell of one: the microdata leave it out and say so
    assert "overall_relationship" in file.header and file.rows == []
    assert (file.notes["Left out"], file.notes["Suppression threshold"]) == ("1", "5")
    assert "pat.jones" not in text and "Clear about its plans." not in text


def test_a_bad_stakeholder_file_names_row_and_column_and_loads_nothing(
    app, runner, db, tmp_path: Path
) -> None:
    (tmp_path / "orgs.csv").write_text(ORGANISATIONS)
    _run(runner, "organisations", "import", str(tmp_path / "orgs.csv"))
    created = _run(
        runner,
        "round",
        "create",
        "--year",
        "2031",
        "--questionnaire",
        "ccg-360",
        "--opens",
        "2020-01-01",
        "--closes",
        "2099-12-31",
    )
    round_id = created.output.split()[2].rstrip(":")
    (tmp_path / "bad.csv").write_text(
        "email,name,group,assesses\n"
        "good@example.org,Good Person,gp_practice,01A\n"
        "not-an-email,Bad Email,gp_practice,01A\n"
        "x@example.org,Unknown Group,astronauts,01A\n"
        "y@example.org,Unknown Org,gp_practice,99Z\n"
        "good@example.org,Good Again,gp_practice,01A\n"
    )
    result = runner.invoke(
        args=["stakeholders", "import", round_id, str(tmp_path / "bad.csv"), "--yes"]
    )
    assert result.exit_code == 1
    assert "row 3, column 'email'" in result.output
    assert "row 4, column 'group'" in result.output and "astronauts" in result.output
    assert "row 5, column 'assesses'" in result.output and "99Z" in result.output
    assert "row 6, column 'assesses'" in result.output and "row 2" in result.output
    assert "nothing was loaded" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
        assert db.session.scalar(select(func.count()).select_from(Response)) == 0
