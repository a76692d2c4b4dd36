"""Benchmark: loading a round's stored responses into the analysis engine's arrays.

Stores a synthetic round (250 organisations, ccg-360's scale items, realistic missingness) in
SQLite and, with --postgres-url, in PostgreSQL; then times
``survey.services.results.arrays.round_responses`` against the floor for the same data in the same
process: the raw driver fetching the same answer rows (no array building). Prints seconds, rows per
second and the ratio.

    .venv/bin/python benchmarks/bench_loading.py [--responses 200000] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from benchmarks._synthetic import make_round
from survey import create_app
from survey.extensions import db
from survey.models import Answer, Organisation, OrganisationKind, Response, SurveyRound
from survey.services.audit import COMMAND_LINE
from survey.services.results.arrays import round_responses
from survey.services.rounds import create_round, questionnaire_for

CHUNK = 50_000


def _store(n_responses: int) -> SurveyRound:
    today = date.today()
    survey_round = create_round(
        COMMAND_LINE,
        year=2030,
        questionnaire="ccg-360",
        opens_on=today,
        closes_on=today + timedelta(days=30),
    )
    questionnaire = questionnaire_for(survey_round)
    items = [item.id for item in questionnaire.items if item.kind == "scale"]
    groups = [group.id for group in questionnaire.stakeholder_groups]
    synthetic = make_round(
        n_orgs=250, n_responses=n_responses, n_items=len(items), n_groups=len(groups), seed=1
    )
    organisations = [
        Organisation(
            code=f"B{index:03d}", name=f"Bench {index}", kind=OrganisationKind.CCG, region="R"
        )
        for index in range(250)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    ids = [str(uuid.uuid4()) for _ in range(n_responses)]
    org_ids = [organisations[o].id for o in synthetic.organisation.tolist()]
    group_ids = [groups[g] for g in synthetic.group.tolist()]
    for start in range(0, n_responses, CHUNK):
        db.session.execute(
            insert(Response),
            [
                {
                    "id": ids[r],
                    "round_id": survey_round.id,
                    "organisation_id": org_ids[r],
                    "stakeholder_group": group_ids[r],
                }
                for r in range(start, min(start + CHUNK, n_responses))
            ],
        )
    rows, cols = np.nonzero(~np.isnan(synthetic.scores) | synthetic.dont_know)
    scores = synthetic.scores[rows, cols]
    dont_know = synthetic.dont_know[rows, cols]
    for start in range(0, len(rows), CHUNK):
        stop = min(start + CHUNK, len(rows))
        db.session.execute(
            Answer.__table__.insert(),
            [
                {
                    "response_id": ids[rows[i]],
                    "item_id": items[cols[i]],
                    "score": None if dont_know[i] else int(scores[i]),
                    "dont_know": bool(dont_know[i]),
                    "text": None,
                }
                for i in range(start, stop)
            ],
        )
    db.session.commit()
    return survey_round


def _raw_fetch(url: str, round_id: int) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        result = connection.exec_driver_sql(
            "SELECT a.response_id, a.item_id, a.score, a.dont_know FROM answer a "
            "JOIN response r ON r.id = a.response_id "
            f"WHERE r.round_id = {int(round_id)} AND a.text IS NULL"
        )
        count = len(result.fetchall())
    engine.dispose()
    return count


def run(url: str, label: str, n_responses: int) -> None:
    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        started = time.perf_counter()
        survey_round = _store(n_responses)
        stored = time.perf_counter() - started
        round_id = survey_round.id
        db.session.expire_all()
        started = time.perf_counter()
        answers = _raw_fetch(url, round_id)
        floor = time.perf_counter() - started
        started = time.perf_counter()
        arrays = round_responses(db.session.get(SurveyRound, round_id))
        loaded = time.perf_counter() - started
    print(f"{label}: stored {n_responses:,} responses / {answers:,} answers in {stored:.1f} s")
    print(f"  raw driver fetch (floor)   {floor:7.2f} s  {answers / floor:12,.0f} answers/s")
    print(
        f"  round_responses -> arrays  {loaded:7.2f} s  {answers / loaded:12,.0f} answers/s  "
        f"shape {arrays.scores.shape}"
    )
    print(f"  ratio adapter / floor      {loaded / floor:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=200_000)
    parser.add_argument(
        "--postgres-url", help="a PostgreSQL server URL; a database bench_loading is created on it"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'bench.sqlite'}", "SQLite", args.responses)
    if args.postgres_url:
        server = make_url(args.postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS bench_loading"))
            connection.execute(text("CREATE DATABASE bench_loading"))
        try:
            run(
                server.set(database="bench_loading").render_as_string(hide_password=False),
                "PostgreSQL",
                args.responses,
            )
        finally:
            with admin.connect() as connection:
                connection.execute(text("DROP DATABASE IF EXISTS bench_loading WITH (FORCE)"))
            admin.dispose()


if __name__ == "__main__":
    main()
