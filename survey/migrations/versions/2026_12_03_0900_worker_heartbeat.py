"""worker heartbeat: when each mail worker last ran

Revision ID: 5a9c2e7d1b03
Revises: 3c5e8a1f2b47
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5a9c2e7d1b03"
down_revision = "3c5e8a1f2b47"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_heartbeat")),
    )


def downgrade():
    op.drop_table("worker_heartbeat")
