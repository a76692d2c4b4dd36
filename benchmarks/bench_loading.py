"""Benchmark: loading a round's stored responses into the analysis engine's arrays.

Stores a synthetic national round (210 organisations, ccg-360's scale items, realistic
missingness; responses packed as the response store packs them, ``survey.services.packing``)
in SQLite and, with --postgres-url, in PostgreSQL, at each size asked for; then times, in the
same process, ``survey.services.results.arrays.round_responses`` (loading) and
``analysis.analyse_round`` on what it loaded (the engine), best of --repeat; then publishing a
results release of the round (``publish_results``) and a commissioner's dashboard GET served
from it. Prints seconds and the multiples issue #11 sets: loading <= 1x the engine at 8.4k
responses and <= 2x at 200k, a release <= 3x the engine, a dashboard GET <= 100 ms. On main
before packing, with one row per answer, loading was 13.6x / 31x / 113x at
8.4k / 50k / 200k responses.

    .venv/bin/python benchmarks/bench_loading.py [--responses 8400 200000] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from flask import Flask
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from analysis import analyse_round
from benchmarks._synthetic import make_round
from survey import create_app
from survey.extensions import db
from survey.models import Organisation, OrganisationKind, Response, Role, SurveyRound, User
from survey.services.audit import COMMAND_LINE
from survey.services.packing import DONT_KNOW, FORMAT_VERSION, NO_ANSWER, scale_columns
from survey.services.passwords import hash_password
from survey.services.publication import publish_results
from survey.services.results.arrays import round_responses
from survey.services.rounds import create_round, questionnaire_for

CHUNK = 20_000
PASSWORD = "benchmark password 1"
ORGANISATIONS = 210


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
    items = scale_columns(questionnaire)
    groups = [group.id for group in questionnaire.stakeholder_groups]
    synthetic = make_round(
        n_orgs=ORGANISATIONS,
        n_responses=n_responses,
        n_items=len(items),
        n_groups=len(groups),
        seed=1,
    )
    organisations = [
        Organisation(
            code=f"B{index:03d}", name=f"Bench {index}", kind=OrganisationKind.CCG, region="R"
        )
        for index in range(ORGANISATIONS)
    ]
    db.session.add_all(organisations)
    db.session.flush()
    codes = np.where(
        synthetic.dont_know,
        DONT_KNOW,
        np.where(np.isnan(synthetic.scores), NO_ANSWER, np.nan_to_num(synthetic.scores)),
    ).astype(np.uint8)
    # nobody answers an item the questionnaire does not ask their group
    asked = np.array(
        [[item.shown_to(group) for item in questionnaire.scale_items] for group in groups]
    )
    codes[~asked[synthetic.group]] = NO_ANSWER
    org_ids = [organisations[o].id for o in synthetic.organisation.tolist()]
    group_ids = [groups[g] for g in synthetic.group.tolist()]
    for start in range(0, n_responses, CHUNK):
        db.session.execute(
            insert(Response),
            [
                {
                    "id": str(uuid.uuid4()),
                    "round_id": survey_round.id,
                    "organisation_id": org_ids[r],
                    "stakeholder_group": group_ids[r],
                    "format_version": FORMAT_VERSION,
                    "scale_answers": codes[r].tobytes(),
                    "other_answers": None,
                }
                for r in range(start, min(start + CHUNK, n_responses))
            ],
        )
    db.session.commit()
    return survey_round


def _best_of(repeat: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def _publish(round_id: int) -> object:
    release = publish_results(COMMAND_LINE, db.session.get_one(SurveyRound, round_id))
    db.session.commit()
    return release


def _dashboard_gets(app: Flask, round_id: int, repeat: int) -> tuple[float, float]:
    """A commissioner's dashboard GET through the app: the first in this process (unpacks the
    release, draws its charts) and the best of ``repeat`` after it."""
    organisation = db.session.scalars(select(Organisation).order_by(Organisation.code)).first()
    assert organisation is not None
    email = f"bench{round_id}@example.org"
    db.session.add(
        User(
            email=email,
            name="Bench",
            role=Role.COMMISSIONER,
            organisation_id=organisation.id,
            password_hash=hash_password(PASSWORD),
        )
    )
    db.session.commit()
    client = app.test_client()
    signed_in = client.post("/auth/login", data={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.status_code
    path = f"/results/{organisation.code}?round={round_id}"

    def get() -> object:
        reply = client.get(path)
        assert reply.status_code == 200, reply.status_code
        return reply

    first, _reply = _best_of(1, get)
    warm, _reply = _best_of(repeat, get)
    return first, warm


def run(url: str, label: str, n_responses: int, repeat: int) -> None:
    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "INTERIM_RELEASES_PER_DAY": 1_000,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        started = time.perf_counter()
        survey_round = _store(n_responses)
        stored = time.perf_counter() - started
        round_id = survey_round.id

        def load() -> object:
            db.session.expire_all()
            return round_responses(db.session.get_one(SurveyRound, round_id))

        loaded, arrays = _best_of(repeat, load)
        engine, _table = _best_of(
            repeat, lambda: analyse_round(arrays, None, threshold=5, comment_threshold=10)
        )
        db.session.get_one(SurveyRound, round_id).open()
        db.session.commit()
        released, _release = _best_of(repeat, lambda: _publish(round_id))
        first_get, warm_get = _dashboard_gets(app, round_id, repeat)
    print(f"{label}, {n_responses:,} responses (stored in {stored:.1f} s):")
    print(f"  round_responses (loading)  {loaded:7.3f} s  shape {arrays.scores.shape}")
    print(f"  analyse_round (engine)     {engine:7.3f} s")
    print(f"  loading / engine           {loaded / engine:7.2f}x (<= 1x at 8.4k, 2x at 200k)")
    print(
        f"  publish_results (release)  {released:7.3f} s = {released / engine:.2f}x engine (<= 3x)"
    )
    print(f"  dashboard GET, first       {1000 * first_get:7.1f} ms (unpack, draw charts)")
    print(f"  dashboard GET, after it    {1000 * warm_get:7.1f} ms (<= 100 ms at 200k)")


def _postgres(url: str, n_responses: int, repeat: int) -> None:
    server = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS bench_loading"))
        connection.execute(text("CREATE DATABASE bench_loading"))
    try:
        run(
            server.set(database="bench_loading").render_as_string(hide_password=False),
            "PostgreSQL",
            n_responses,
            repeat,
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS bench_loading WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, nargs="+", default=[8_400, 200_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres-url", help="a PostgreSQL server URL; a database bench_loading is created on it"
    )
    args = parser.parse_args()
    for n_responses in args.responses:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.sqlite'}"
            run(url, "SQLite", n_responses, args.repeat)
        if args.postgres_url:
            _postgres(args.postgres_url, n_responses, args.repeat)


if __name__ == "__main__":
    main()
