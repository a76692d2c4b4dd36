"""drafts move into their invitation's row

A draft (sealed answers and the section to resume at) was a row of ``partial_answers`` beside
its invitation. It is now two columns of the invitation, so a respondent page that locks the
invitation's row reads its current draft in the same query (``SELECT ... FOR UPDATE`` on
PostgreSQL returns the locked row's latest version, not a joined table's), and the submit that
completes the invitation clears the draft in the same UPDATE. A CHECK keeps drafts only on open
invitations. Open invitations' drafts are copied as they are, still sealed under the same
purpose; a draft left on a completed or revoked invitation was due for deletion and is dropped.

Revision ID: 3d9f6b2a8c51
Revises: 5e2c8b1d7a44
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3d9f6b2a8c51"
down_revision = "5e2c8b1d7a44"
branch_labels = None
depends_on = None

_OPEN_DRAFT = (
    "(sealed_draft IS NULL AND resume_section IS NULL)"
    " OR (sealed_draft IS NOT NULL AND resume_section IS NOT NULL"
    " AND status IN ('issued', 'started'))"
)


def _partial_answers_table() -> None:
    op.create_table(
        "partial_answers",
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("resume_section", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_partial_answers_invitation_id_invitation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("invitation_id", name=op.f("pk_partial_answers")),
    )


def upgrade():
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("sealed_draft", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("resume_section", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE invitation SET"
        " sealed_draft = (SELECT sealed FROM partial_answers p"
        " WHERE p.invitation_id = invitation.id),"
        " resume_section = (SELECT resume_section FROM partial_answers p"
        " WHERE p.invitation_id = invitation.id)"
        " WHERE id IN (SELECT invitation_id FROM partial_answers)"
        " AND status IN ('issued', 'started')"
    )
    op.drop_table("partial_answers")
    with op.batch_alter_table("invitation") as batch:
        batch.create_check_constraint("draft_only_while_open", _OPEN_DRAFT)


def downgrade():
    _partial_answers_table()
    op.execute(
        "INSERT INTO partial_answers (invitation_id, sealed, resume_section)"
        " SELECT id, sealed_draft, resume_section FROM invitation WHERE sealed_draft IS NOT NULL"
    )
    with op.batch_alter_table("invitation") as batch:
        batch.drop_constraint(op.f("ck_invitation_draft_only_while_open"), type_="check")
        batch.drop_column("resume_section")
        batch.drop_column("sealed_draft")
