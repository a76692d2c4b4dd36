"""results releases: published snapshots of a round's results

Revision ID: b41d7e2a9c13
Revises: c4f7a9d2e813
Create Date: 2026-12-04

Rounds closed before this revision get their release from the mail worker's next loop (or
``assure360 round publish``); until then their pages say that no results are released yet.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b41d7e2a9c13"
down_revision = "c4f7a9d2e813"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "results_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("released_by", sa.String(length=200), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.Column("provisional_until", sa.Date(), nullable=True),
        sa.Column("format_version", sa.Integer(), nullable=False),
        sa.Column("table", sa.LargeBinary(), nullable=False),
        sa.Column("reliability", sa.LargeBinary(), nullable=False),
        sa.Column("extras", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_round.id"],
            name=op.f("fk_results_release_round_id_survey_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_results_release")),
        sa.UniqueConstraint("round_id", "number", name="one_number_per_round"),
    )
    with op.batch_alter_table("survey_round") as batch:
        batch.add_column(sa.Column("interim_release_every_days", sa.Integer(), nullable=True))
    # dashboards find an organisation's rounds with answers on every request
    op.create_index("ix_response_organisation_round", "response", ["organisation_id", "round_id"])


def downgrade():
    op.drop_index("ix_response_organisation_round", table_name="response")
    with op.batch_alter_table("survey_round") as batch:
        batch.drop_column("interim_release_every_days")
    op.drop_table("results_release")
