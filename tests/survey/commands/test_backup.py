"""The restore drill: back up, restore into a fresh database, and find every published number
identical.

It runs on the database the suite runs on: on SQLite through ``assure360 backup`` and a copy
of the file (the documented restore); on PostgreSQL (TEST_DATABASE_URL) through the real
``pg_dump --format=custom`` and ``pg_restore`` into a new database, after checking that
``assure360 backup`` refuses and names pg_dump.
"""

from __future__ import annotations

import glob
import math
import os
import random
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import URL, make_url

from survey import create_app
from survey.models import Invitation, Organisation, SurveyRound
from survey.services.audit import COMMAND_LINE
from survey.services.exports import responses_export, results_export
from survey.services.results.arrays import analyse
from survey.services.results.dashboard import organisation_dashboard
from survey.services.rounds import questionnaire_for
from tests.survey.answering import save_answers
from tests.survey.stored import submit_released

#: responses per organisation and stakeholder group; 5 is the suppression threshold, so the
#: groups of 2 and 3 are hidden (and, through complementary suppression, some others with them)
DESIGN = {
    "01A": {"gp_practice": 6, "local_authority": 5, "healthwatch": 2},
    "02B": {"gp_practice": 7, "nhs_provider": 5},
    "03C": {"gp_practice": 5, "vcse": 3},
}


def _answers(rng: random.Random, survey_round: SurveyRound, group: str) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for item in questionnaire_for(survey_round).items_for(group):
        if item.is_text:
            if rng.random() < 0.5:
                answers[item.id] = {"text": f"comment {rng.randrange(1000)}"}
        elif rng.random() < 0.1:
            answers[item.id] = {"dont_know": True}
        else:
            answers[item.id] = {"score": rng.randint(1, 5)}
    return answers


def _two_years_of_answers(
    db: Any, make_round: Callable[..., Any], make_organisation: Callable[..., Any], make: Any
) -> tuple[list[int], Any]:
    """Last year's round (closed) and this year's, answered per :data:`DESIGN`; returns the
    round ids and one issued link nobody used."""
    rng = random.Random(360)
    organisations = {code: make_organisation(code=code) for code in DESIGN}
    rounds = [make_round(year=2040), make_round(year=2041)]
    for survey_round in rounds:
        for code, groups in DESIGN.items():
            for group, count in groups.items():
                for _ in range(count):
                    issued = make(
                        survey_round=survey_round, organisation=organisations[code], group=group
                    )
                    invitation = db.session.get(Invitation, issued.invitation.id)
                    answers = _answers(rng, survey_round, group)
                    save_answers(invitation, answers, resume_section=1)
                    submit_released(invitation, list(answers))
                    db.session.commit()
    unused = make(survey_round=rounds[1], organisation=organisations["01A"], group="vcse")
    rounds[0].close()
    db.session.commit()
    return [survey_round.id for survey_round in rounds], unused


def _plain(value: Any) -> Any:
    """NaN equal to NaN (a hidden number must stay hidden), everything else as it is."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if hasattr(value, "__dataclass_fields__"):
        return _plain(vars(value))
    return value


def _published(db: Any, round_ids: list[int]) -> dict[str, Any]:
    """Every number the rounds publish: the analysis table, both exports, each dashboard."""
    numbers: dict[str, Any] = {}
    for round_id in round_ids:
        survey_round = db.session.get(SurveyRound, round_id)
        numbers[f"table {round_id}"] = _plain(list(analyse(survey_round).rows()))
        results = results_export(COMMAND_LINE, survey_round, "csv").decode("utf-8-sig")
        numbers[f"results.csv {round_id}"] = [
            line for line in results.splitlines() if not line.startswith("# Data as of")
        ]
        numbers[f"responses.csv {round_id}"] = responses_export(COMMAND_LINE, survey_round)
        for organisation in db.session.scalars(select(Organisation).order_by(Organisation.code)):
            board = organisation_dashboard(organisation, survey_round)
            numbers[f"dashboard {round_id} {organisation.code}"] = _plain(
                [
                    board.group_rates,
                    board.domain_rows,
                    board.item_sections,
                    board.heatmap_rows,
                    sorted(c for block in board.comments for c in block.comments),
                    board.comments_hidden,
                ]
            )
    return numbers


def _count_numbers(numbers: dict[str, Any]) -> tuple[int, int]:
    """(numbers shown, cells hidden) in the analysis tables."""
    shown = hidden = 0
    for key, rows in numbers.items():
        if key.startswith("table "):
            for row in rows:
                if row["suppressed"]:
                    hidden += 1
                elif row["positive"] != "NaN":
                    shown += 1
    return shown, hidden


# -- backing up and restoring -------------------------------------------------------------------


@contextmanager
def _sqlite_drill(runner: Any, tmp_path: Path) -> Iterator[str]:
    """``assure360 backup`` while the app runs; then the restore: copy the file into place."""
    backup = tmp_path / "backups" / "assure360-backup.sqlite"
    backup.parent.mkdir()
    result = runner.invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "integrity check ok" in result.output
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 1  # never overwritten
    restored = tmp_path / "restored" / "assure360.sqlite"
    restored.parent.mkdir()
    shutil.copyfile(backup, restored)
    yield f"sqlite:///{restored}"


def _pg_tool(name: str) -> str:
    """The newest installed PostgreSQL client ``name`` (pg_dump must not be older than the
    server)."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]),
    )
    tool = found[-1] if found else shutil.which(name)
    assert tool, f"{name} is not installed"
    return tool


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL command-line tools, and their environment."""
    options = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
    options += ["-U", url.username or "postgres"]
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    return options, environment


@contextmanager
def _postgres_drill(runner: Any, app: Flask, tmp_path: Path) -> Iterator[str]:
    """The documented PostgreSQL backup and restore: pg_dump -Fc, pg_restore into a new
    database (dropped afterwards)."""
    refused = runner.invoke(args=["backup", str(tmp_path / "x.sqlite")])
    assert refused.exit_code == 1 and "pg_dump --format=custom" in refused.output
    source = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    assert source.database
    options, environment = _libpq(source)
    dump = tmp_path / "assure360.dump"
    subprocess.run(
        [_pg_tool("pg_dump"), *options, "--format=custom", "--file", str(dump), source.database],
        check=True,
        env=environment,
        capture_output=True,
    )
    name = f"{source.database}_restored"
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        subprocess.run(
            [_pg_tool("pg_restore"), *options, "--exit-on-error", "--no-owner", "-d", name]
            + [str(dump)],
            check=True,
            env=environment,
            capture_output=True,
        )
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _app_on(app: Flask, url: str, **overrides: Any) -> Flask:
    """A second application, configured as ``app`` but on the database at ``url``."""
    keys = ("TESTING", "SECRET_KEY", "MAIL_BACKEND", "MAIL_OUTBOX_DIR", "PUBLIC_BASE_URL")
    settings = {key: app.config[key] for key in keys}
    settings.update(SERVER_NAME="localhost", RATELIMIT_ENABLED=False)
    settings.update(SQLALCHEMY_DATABASE_URI=url, **overrides)
    return create_app(settings)


def _close(restored: Flask, db: Any) -> None:
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_restored_backup_publishes_every_number_identically(
    app: Flask,
    db: Any,
    runner: Any,
    make_round: Callable[..., Any],
    make_organisation: Callable[..., Any],
    make_invitation: Callable[..., Any],
    tmp_path: Path,
) -> None:
    round_ids, unused = _two_years_of_answers(db, make_round, make_organisation, make_invitation)
    before = _published(db, round_ids)
    shown, hidden = _count_numbers(before)
    assert shown > 100 and hidden > 10  # a drill over real numbers and real suppression

    sqlite = app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    drill = _sqlite_drill(runner, tmp_path) if sqlite else _postgres_drill(runner, app, tmp_path)
    with drill as restored_url:
        restored = _app_on(app, restored_url)
        try:
            with restored.app_context():
                after = _published(db, round_ids)
            # A link issued before the backup works on the restored copy, with the same key.
            assert restored.test_client().get(unused.path).status_code == 200
        finally:
            _close(restored, db)
        other_key = _app_on(app, restored_url, SECRET_KEY="not-the-key-the-links-were-made-with")
        try:
            assert other_key.test_client().get(unused.path).status_code == 404
        finally:
            _close(other_key, db)

    assert after.keys() == before.keys()
    for key in before:
        assert after[key] == before[key], key
