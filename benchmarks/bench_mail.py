"""Outbox delivery throughput against a bare smtplib loop, both into a local aiosmtpd sink.

Run from the repository root:

    .venv/bin/python -m benchmarks.bench_mail                 # 20,000 invitations, SQLite file
    .venv/bin/python -m benchmarks.bench_mail --count 2000 --database-url postgresql+psycopg://...

It seeds one open round with COUNT stakeholders (one invitation each), queues their invitation
emails with ``issue_invitations`` (rendering both templates, one outbox row each), then measures:

  * ours       ``deliver_due`` over SMTP: per message a claim committed before sending, the
               SMTP transaction, and the outcome committed (the crash-safe outbox protocol);
  * bare       one smtplib connection sending the same messages (built beforehand) in a loop,
               with no database at all: the ceiling for this machine and sink.

Target: ours >= 0.5x bare messages/second. Loopback only; the sink (a separate process) counts
and discards.
"""

from __future__ import annotations

import argparse
import email.policy
import smtplib
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from survey import create_app
from survey.extensions import db
from survey.mail import deliver_due
from survey.mail.backends import build_message
from survey.models import (
    Invitation,
    Organisation,
    OrganisationKind,
    OutboxMessage,
    OutboxStatus,
    Stakeholder,
    SurveyRound,
)
from survey.services.audit import COMMAND_LINE
from survey.services.invitations import issue_invitations
from survey.services.rounds import create_round
from tests.smtp import SmtpSink

#: CRLF line ends, as smtplib's send_message writes them (sendmail sends bytes as they are)
SMTP_POLICY = email.policy.compat32.clone(linesep="\r\n")


def _seed(count: int) -> int:
    today = date.today()
    survey_round = create_round(
        COMMAND_LINE,
        year=today.year,
        questionnaire="ccg-360",
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=30),
    )
    survey_round.open()
    organisation = Organisation(
        code="B001", name="NHS Benchshire ICB", kind=OrganisationKind.CCG, region="Midlands"
    )
    db.session.add(organisation)
    db.session.flush()
    db.session.execute(
        insert(Stakeholder),
        [
            {
                "round_id": survey_round.id,
                "email": f"person{n}@example.org",
                "name": f"Person {n}",
                "employer": "",
                "group": "gp_practice",
            }
            for n in range(count)
        ],
    )
    ids = db.session.scalars(
        select(Stakeholder.id).where(Stakeholder.round_id == survey_round.id)
    ).all()
    db.session.execute(
        insert(Invitation),
        [
            {"round_id": survey_round.id, "stakeholder_id": sid, "organisation_id": organisation.id}
            for sid in ids
        ],
    )
    db.session.commit()
    return survey_round.id


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument(
        "--claim-size", type=int, default=1, help="MAIL_CLAIM_SIZE for our sender (default 1)"
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL server URL (a database assure360_bench_mail is made)"
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    admin = None
    if args.database_url:
        from sqlalchemy import create_engine

        admin = create_engine(args.database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "assure360_bench_mail"'))
            connection.execute(text('CREATE DATABASE "assure360_bench_mail"'))
        url = (
            make_url(args.database_url)
            .set(database="assure360_bench_mail")
            .render_as_string(hide_password=False)
        )
    else:
        url = f"sqlite:///{folder / 'bench.sqlite'}"
    # The sink runs in a process of its own, so that it does not compete with the sender for
    # this process's GIL (it would slow whichever sender does more Python work).
    sink = subprocess.Popen(
        [sys.executable, "-m", "tests.smtp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert sink.stdout is not None and sink.stdin is not None
    port = int(sink.stdout.readline())

    def accepted() -> int:
        assert sink.stdout is not None and sink.stdin is not None
        sink.stdin.write("count\n")
        sink.stdin.flush()
        return int(sink.stdout.readline())

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": url,
            "PUBLIC_BASE_URL": "https://survey.example.nhs.uk",
            **SmtpSink(port=port).config(),
            "MAIL_CLAIM_SIZE": args.claim_size,
        }
    )
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            round_id = _seed(args.count)
            started = time.perf_counter()
            issued = issue_invitations(COMMAND_LINE, db.session.get_one(SurveyRound, round_id))
            db.session.commit()
            queue_seconds = time.perf_counter() - started
            print(
                f"queued   {issued.emails:>7} invitation emails in {queue_seconds:6.2f} s  "
                f"({issued.emails / queue_seconds:8.0f} /s)"
            )

            # the bare loop's messages: the same rows, built up front (not timed)
            rows = db.session.execute(
                select(
                    OutboxMessage.recipient,
                    OutboxMessage.subject,
                    OutboxMessage.text_body,
                    OutboxMessage.html_body,
                    OutboxMessage.unsubscribe_url,
                )
            ).all()
            prepared = [
                (
                    recipient,
                    build_message(
                        sender=app.config["MAIL_SENDER"],
                        reply_to=None,
                        recipient=recipient,
                        subject=subject,
                        text=text_body,
                        html=html,
                        unsubscribe_url=unsubscribe,
                    ).as_bytes(policy=SMTP_POLICY),
                )
                for recipient, subject, text_body, html, unsubscribe in rows
            ]
            db.session.rollback()

            before = accepted()
            started = time.perf_counter()
            report = deliver_due(app.config)
            ours = time.perf_counter() - started
            assert report.sent == args.count, report
            assert accepted() - before == args.count
            sent = db.session.scalar(
                select(func.count()).where(OutboxMessage.status == OutboxStatus.SENT)
            )
            assert sent == args.count

            before = accepted()
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as connection:
                for recipient, data in prepared:
                    connection.sendmail(app.config["MAIL_SENDER"], [recipient], data)
            bare = time.perf_counter() - started
            assert accepted() - before == args.count

            ours_rate, bare_rate = args.count / ours, args.count / bare
            print(
                f"ours     {args.count:>7} messages in {ours:6.2f} s  ({ours_rate:8.0f} /s)  "
                f"[{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}, "
                f"MAIL_CLAIM_SIZE={args.claim_size}]"
            )
            print(
                f"bare     {args.count:>7} messages in {bare:6.2f} s  ({bare_rate:8.0f} /s)  "
                "[smtplib, one connection, no database]"
            )
            print(f"ratio    {ours_rate / bare_rate:.2f}  (target >= 0.50)")
            db.session.remove()
            db.engine.dispose()
    finally:
        sink.stdin.close()
        sink.wait(30)
        sink.stdout.close()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(
                    text('DROP DATABASE IF EXISTS "assure360_bench_mail" WITH (FORCE)')
                )
            admin.dispose()


if __name__ == "__main__":
    main()
