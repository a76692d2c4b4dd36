"""retention: invited counts kept after identities are purged, retention period per round

Revision ID: 3c5e8a1f2b47
Revises: 7b1d2c9e4f10
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3c5e8a1f2b47"
down_revision = "7b1d2c9e4f10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "invited_count",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_group", sa.String(length=64), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_invited_count_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_round.id"],
            name=op.f("fk_invited_count_round_id_survey_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "organisation_id", "stakeholder_group", name=op.f("pk_invited_count")
        ),
    )
    with op.batch_alter_table("survey_round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("retention_days", sa.Integer(), nullable=False, server_default="90")
        )
        batch_op.add_column(sa.Column("identities_purged_at", sa.DateTime(), nullable=True))
        batch_op.create_check_constraint("retention_days_not_negative", "retention_days >= 0")
    # Two steps for a NOT NULL column: the default filled existing rows, the model sets new ones.
    with op.batch_alter_table("survey_round", schema=None) as batch_op:
        batch_op.alter_column("retention_days", server_default=None)


def downgrade():
    with op.batch_alter_table("survey_round", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_survey_round_retention_days_not_negative"), type_="check")
        batch_op.drop_column("identities_purged_at")
        batch_op.drop_column("retention_days")
    op.drop_table("invited_count")
