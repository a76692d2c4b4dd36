"""organisation reminder: the one reminder a commissioner sends their non-responders per round

Revision ID: 8e3f1a6c4d21
Revises: 8e3f1a6c5d27
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "8e3f1a6c4d21"
down_revision = "8e3f1a6c5d27"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisation_reminder",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("sent_by", sa.Integer(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("emails", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "emails >= 0", name=op.f("ck_organisation_reminder_emails_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_reminder_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["survey_round.id"],
            name=op.f("fk_organisation_reminder_round_id_survey_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by"],
            ["user_account.id"],
            name=op.f("fk_organisation_reminder_sent_by_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "organisation_id", name=op.f("pk_organisation_reminder")
        ),
    )


def downgrade():
    op.drop_table("organisation_reminder")
