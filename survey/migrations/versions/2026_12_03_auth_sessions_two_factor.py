"""auth: a session epoch per account (sessions end server-side) and TOTP two-factor

Revision ID: 7d41c9e2a6f0
Revises: 5a9c2e7d1b03
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7d41c9e2a6f0"
down_revision = "5a9c2e7d1b03"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("totp_secret", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_secret")
        batch.drop_column("session_epoch")
