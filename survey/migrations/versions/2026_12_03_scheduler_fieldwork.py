"""scheduler: claimed scheduled runs, and automatic fieldwork per round

Revision ID: 8e3f1a6c5d27
Revises: 2c9aa667872e
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8e3f1a6c5d27"
down_revision = "2c9aa667872e"
branch_labels = None
depends_on = None


def upgrade():
    # Rounds made before the scheduler were run by hand: they stay so (new rounds default on).
    with op.batch_alter_table("survey_round") as batch:
        batch.add_column(
            sa.Column("auto_fieldwork", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "scheduled_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_round.id"],
            name=op.f("fk_scheduled_run_round_id_survey_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduled_run")),
        sa.UniqueConstraint("job", "round_id", "day", name="uq_scheduled_run_claim"),
    )


def downgrade():
    op.drop_table("scheduled_run")
    with op.batch_alter_table("survey_round") as batch:
        batch.drop_column("auto_fieldwork")
