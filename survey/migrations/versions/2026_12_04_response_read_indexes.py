"""publishing: packed answers in a covering index, other answers indexed, tables uncompressed

A covering index of packed answers by cell (SQLite), an index of the responses that have open
or local answers, and releases' packed tables stored without TOAST compression (PostgreSQL).

Revision ID: 5e2c8b1d7a44
Revises: b41d7e2a9c13
Create Date: 2026-12-04

Publishing a national round (200,000 responses) on SQLite spent most of its load looking up the
table once per response by its random key; ``ix_response_cells`` holds what the load reads, in
key order within a cell (the order of the engine's sums, so the same figures to the last
digit). ``ix_response_others`` finds the responses whose comments and local answers are read.
A release's tables are already compressed (Zstandard): PostgreSQL's own compression of them
found nothing to gain and took 0.2 s of the 200,000-response release (16 MB) to find it out.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5e2c8b1d7a44"
down_revision = "b41d7e2a9c13"
branch_labels = None
depends_on = None

_CELLS = ["round_id", "organisation_id", "stakeholder_group", "id", "scale_answers"]
_WHERE = sa.text("other_answers IS NOT NULL")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _storage(kind: str) -> None:
    for column in ("table", "reliability"):
        op.execute(f'ALTER TABLE results_release ALTER COLUMN "{column}" SET STORAGE {kind}')


def upgrade():
    if _sqlite():
        op.create_index("ix_response_cells", "response", _CELLS)
    else:
        _storage("EXTERNAL")  # out of line, never compressed again
    op.create_index(
        "ix_response_others",
        "response",
        ["round_id", "organisation_id"],
        sqlite_where=_WHERE,
        postgresql_where=_WHERE,
    )


def downgrade():
    op.drop_index("ix_response_others", table_name="response")
    if _sqlite():
        op.drop_index("ix_response_cells", table_name="response")
    else:
        _storage("EXTENDED")
