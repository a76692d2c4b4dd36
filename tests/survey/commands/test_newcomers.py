"""What a newcomer meets first: help without any configuration, every error of a questionnaire
at once, the demo's progress and links, and a stakeholder's link printed on purpose."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select

from survey.demo import DEMO_PASSWORD
from survey.models import AuditEvent, Organisation, ResultsRelease, SurveyRound, User
from survey.services.audit import COMMAND_LINE
from survey.services.errors import DeadLink
from survey.services.links import find_link


def _without_configuration(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "ASSURE360_DEMO")}
    env["FLASK_DEBUG"] = "0"
    code = "from survey.commands import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_help_and_questionnaire_check_work_before_secret_key_is_set(tmp_path: Path) -> None:
    top = _without_configuration("--help")
    assert top.returncode == 0, top.stderr
    for name in ("invitations", "questionnaire", "demo", "db", "run"):
        assert f"\n  {name} " in top.stdout
    sub = _without_configuration("invitations", "link", "--help")
    assert sub.returncode == 0 and "--reissue" in sub.stdout
    check = _without_configuration("questionnaire", "check", "ccg-360")
    assert check.returncode == 0 and check.stdout.endswith("OK\n")
    # a command that needs the application still says what is missing
    needs_app = _without_configuration("round", "list")
    assert needs_app.returncode == 1 and "SECRET_KEY is not set" in needs_app.stderr


def test_questionnaire_check_lists_every_problem_of_a_file(runner: Any, tmp_path: Path) -> None:
    text = resources.files("questionnaires").joinpath("bundled", "ccg-360.yaml").read_text()
    text = text.replace("version: 1", "version: one", 1)
    text = text.replace("scale: agreement", "scale: agreeement", 1)
    text = text.replace("- id: gp_practice", "- id: gp_practice\n    colour: red", 1)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)

    result = runner.invoke(args=["questionnaire", "check", str(broken)])

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[:3] == [
        f"{broken}: version: input should be a valid integer, unable to parse string as an "
        "integer (got 'one')",
        f"{broken}: stakeholder_groups[0]: unknown key 'colour' (allowed: id, name, description)",
        f"{broken}: sections[0].items[1].scale: unknown scale 'agreeement' "
        "(known: agreement, relationship)",
    ]
    assert lines[3] == f"Error: 3 problems in {broken}"


def test_the_demo_shows_progress_and_unused_links_of_different_groups(
    runner: Any, app: Any
) -> None:
    app.config["PUBLIC_BASE_URL"] = "http://127.0.0.1:5050"

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert "creating the database" in result.output
    assert result.output.count(": stakeholders, invitations and responses") == 6
    _, _, tail = result.output.partition("Unused survey links")
    links = [line.strip() for line in tail.splitlines() if line.startswith("    http")]
    groups = [
        line.strip() for line in tail.splitlines() if line.startswith("  ") and " about " in line
    ]
    assert len(links) == 4 and len(set(groups)) == 4
    assert all(link.startswith("http://127.0.0.1:5050/s/") for link in links)


def test_the_demo_commissioner_sees_released_results_of_three_years(
    runner: Any, app: Any, db: Any, client: Any
) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    kinds = db.session.execute(
        select(SurveyRound.year, ResultsRelease.kind)
        .join(ResultsRelease, ResultsRelease.round_id == SurveyRound.id)
        .order_by(SurveyRound.year, SurveyRound.id)
    ).all()
    this_year = max(year for year, _ in kinds)
    assert [kind for _, kind in kinds] == ["close"] * 4 + ["interim"] * 2
    assert {year for year, _ in kinds} == {this_year - 2, this_year - 1, this_year}

    page = client.get("/auth/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    signed_in = client.post(
        "/auth/login",
        data={
            "csrf_token": token.group(1),
            "email": "commissioner@demo.example.org",
            "password": DEMO_PASSWORD,
        },
    )
    assert signed_in.status_code == 302
    code = db.session.scalar(
        select(Organisation.code)
        .join(User, User.organisation_id == Organisation.id)
        .where(User.email == "commissioner@demo.example.org")
    )
    dashboard = client.get(f"/results/{code}")
    shown = dashboard.get_data(as_text=True)
    assert dashboard.status_code == 200
    assert "Results as of" in shown and "No results have been released yet" not in shown
    assert "provisional: fieldwork open until" in shown.lower()
    assert all(str(year) in shown for year in range(this_year - 2, this_year + 1))


def test_a_manager_prints_and_reissues_one_stakeholders_link(
    runner: Any, db: Any, make_invitation: Any
) -> None:
    issued = make_invitation(email="ann@example.org")
    invitation = issued.invitation
    args = ["invitations", "link", str(invitation.round_id), "--email", "ann@example.org"]
    args += ["--organisation", invitation.organisation.code]

    shown = runner.invoke(args=args)
    assert shown.exit_code == 0, shown.output
    assert shown.output.strip() == issued.link

    reissued = runner.invoke(args=[*args, "--reissue"])
    assert reissued.exit_code == 0 and reissued.output.strip() != issued.link
    db.session.rollback()
    try:
        find_link(issued.link.rsplit("/", 1)[1], invitation.survey_round.opens_on)
        raise AssertionError("the old link still works")
    except DeadLink:
        pass
    actions = db.session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.target == f"invitation:{invitation.id}",
            AuditEvent.channel == COMMAND_LINE.channel,
        )
    ).all()
    assert "invitation.link_shown" in actions and "invitation.reissue" in actions

    unknown = runner.invoke(args=[*args[:4], "bob@example.org", *args[5:]])
    assert unknown.exit_code == 1 and "bob@example.org has no invitation" in unknown.output


def test_make_demo_takes_a_port_and_its_links_follow_it() -> None:
    root = Path(__file__).resolve().parents[3]
    planned = subprocess.run(
        ["make", "-n", "-C", str(root), "demo", "PORT=5050"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert planned.returncode == 0, planned.stderr
    seed, serve = [line for line in planned.stdout.splitlines() if "bin/assure360" in line]
    assert "PUBLIC_BASE_URL=http://127.0.0.1:5050" in seed and "demo --reset" in seed
    assert "PUBLIC_BASE_URL=http://127.0.0.1:5050" in serve and "--port 5050" in serve
