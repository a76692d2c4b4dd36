"""sealed drafts, a sealed pending store, no start time, response tables a reader cannot order

Drafts' answers are sealed (AES-GCM under a key derived from SECRET_KEY) and lose their
timestamp; submitted responses wait sealed in ``pending_response`` for a release; invitations
lose ``started_at``. The response tables are rebuilt so that nothing left from before ties a
response to its invitation: on SQLite as WITHOUT ROWID tables keyed by the random id; on
PostgreSQL rewritten (fresh transaction ids instead of the submitting transaction's, dropped
columns' values gone) and clustered by the random id (storage order no longer the order of
submitting).

Revision ID: 9a2b7c4e1d05
Revises: 8e3f1a6c4d21
Create Date: 2026-12-04
"""

import json

import sqlalchemy as sa
from alembic import op

from survey.services.sealing import seal, unseal

# revision identifiers, used by Alembic.
revision = "9a2b7c4e1d05"
down_revision = "8e3f1a6c4d21"
branch_labels = None
depends_on = None


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _rewrite(table: str, column: str, kind: str, same_value: str) -> None:
    """PostgreSQL: rewrite every row of ``table`` now (new transaction id, dropped columns'
    values cleared, no dead rows). A type change whose USING is more than the bare column
    forces the rewrite; ``same_value`` computes the unchanged value."""
    op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE {kind} USING {same_value}')


def _response_tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table]:
    """The response tables as they stand, for SQLite's rebuild (CHECKs kept, no reflection)."""
    response = sa.Table(
        "response",
        metadata,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_group", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name="fk_response_organisation_id_organisation",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_round.id"],
            name="fk_response_round_id_survey_round",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_response"),
    )
    answer = sa.Table(
        "answer",
        metadata,
        sa.Column("response_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("dont_know", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(score IS NOT NULL AND dont_know = false AND text IS NULL)"
            " OR (score IS NULL AND dont_know = true AND text IS NULL)"
            " OR (score IS NULL AND dont_know = false AND text IS NOT NULL)",
            name="ck_answer_exactly_one_kind_of_answer",
        ),
        sa.CheckConstraint(
            "score IS NULL OR score BETWEEN 1 AND 10", name="ck_answer_score_in_range"
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response.id"],
            name="fk_answer_response_id_response",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("response_id", "item_id", name="pk_answer"),
    )
    return response, answer


def _rebuild_response_tables(*, with_rowid: bool) -> None:
    """SQLite: rebuild the response tables with or without a rowid."""
    for table in _response_tables(sa.MetaData()):
        with op.batch_alter_table(
            table.name,
            recreate="always",
            copy_from=table,
            table_kwargs={"sqlite_with_rowid": with_rowid},
        ):
            pass


def _seal_drafts() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT invitation_id, answers FROM partial_answers")).all()
    for invitation_id, answers in rows:
        stored = json.loads(answers) if isinstance(answers, str) else answers
        bind.execute(
            sa.text("UPDATE partial_answers SET sealed = :sealed WHERE invitation_id = :id"),
            {"sealed": seal(stored or {}, purpose=f"draft:{invitation_id}"), "id": invitation_id},
        )


def upgrade():
    op.create_table(
        "pending_response",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_round.id"],
            name=op.f("fk_pending_response_round_id_survey_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_response")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("partial_answers") as batch:
        batch.add_column(sa.Column("sealed", sa.LargeBinary(), nullable=True))
    _seal_drafts()
    with op.batch_alter_table("partial_answers") as batch:
        batch.alter_column("sealed", nullable=False)
        batch.drop_column("answers")
        batch.drop_column("updated_at")
    with op.batch_alter_table("invitation") as batch:
        batch.drop_column("started_at")
    if _postgres():
        _rewrite("partial_answers", "resume_section", "integer", "resume_section + 0")
        _rewrite("invitation", "round_id", "integer", "round_id + 0")
        _rewrite("response", "stakeholder_group", "varchar(64)", "stakeholder_group || ''")
        _rewrite("answer", "item_id", "varchar(64)", "item_id || ''")
        op.execute('CLUSTER "response" USING "pk_response"')
        op.execute('CLUSTER "answer" USING "pk_answer"')
    else:
        _rebuild_response_tables(with_rowid=False)


def _unseal_drafts() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT invitation_id, sealed FROM partial_answers")).all()
    for invitation_id, sealed in rows:
        answers = unseal(bytes(sealed), purpose=f"draft:{invitation_id}")
        bind.execute(
            sa.text("UPDATE partial_answers SET answers = :answers WHERE invitation_id = :id"),
            {"answers": json.dumps(answers), "id": invitation_id},
        )


def downgrade():
    # Pending responses cannot go back without a release: refuse rather than lose them.
    waiting = op.get_bind().execute(sa.text("SELECT count(*) FROM pending_response")).scalar()
    if waiting:
        raise RuntimeError(
            f"{waiting} submitted responses are still pending: release them"
            " (assure360 round publish) before downgrading"
        )
    op.drop_table("pending_response")
    if not _postgres():
        _rebuild_response_tables(with_rowid=True)
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("partial_answers") as batch:
        batch.add_column(sa.Column("answers", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=sa.func.now())
        )
    _unseal_drafts()
    with op.batch_alter_table("partial_answers") as batch:
        batch.alter_column("answers", nullable=False)
        batch.drop_column("sealed")
