"""mail delivery: link nonces, reminder schedules and counts, one-click opt-out URLs

Revision ID: 7b1d2c9e4f10
Revises: 624e55c83024
Create Date: 2026-11-25

NOT NULL columns are added in two steps (with a server default, then without it), and the
stakeholders' first invitation time is filled in from their invitations' issue times.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b1d2c9e4f10"
down_revision = "624e55c83024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_nonce", sa.String(length=64), nullable=True))

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unsubscribe_url", sa.String(length=500), nullable=True))

    with op.batch_alter_table("stakeholder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invited_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("reminders_sent", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_reminded_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("stakeholder", schema=None) as batch_op:
        batch_op.alter_column("reminders_sent", server_default=None)
    op.execute(
        "UPDATE stakeholder SET invited_at = (SELECT MIN(invitation.issued_at) FROM invitation "
        "WHERE invitation.stakeholder_id = stakeholder.id)"
    )

    with op.batch_alter_table("survey_round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reminder_days_after_invitation",
                sa.JSON(),
                nullable=False,
                server_default="[7, 14]",
            )
        )
        batch_op.add_column(
            sa.Column("reminder_days_before_close", sa.JSON(), nullable=False, server_default="[2]")
        )
        batch_op.add_column(
            sa.Column("reminder_limit", sa.Integer(), nullable=False, server_default="3")
        )
    with op.batch_alter_table("survey_round", schema=None) as batch_op:
        batch_op.alter_column("reminder_days_after_invitation", server_default=None)
        batch_op.alter_column("reminder_days_before_close", server_default=None)
        batch_op.alter_column("reminder_limit", server_default=None)
        batch_op.create_check_constraint(
            op.f("ck_survey_round_reminder_limit_not_negative"), "reminder_limit >= 0"
        )


def downgrade():
    with op.batch_alter_table("survey_round", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_survey_round_reminder_limit_not_negative"), type_="check")
        batch_op.drop_column("reminder_limit")
        batch_op.drop_column("reminder_days_before_close")
        batch_op.drop_column("reminder_days_after_invitation")

    with op.batch_alter_table("stakeholder", schema=None) as batch_op:
        batch_op.drop_column("last_reminded_at")
        batch_op.drop_column("reminders_sent")
        batch_op.drop_column("invited_at")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("unsubscribe_url")

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("token_nonce")
