"""answers packed into their response: one byte per scale item, the rest as JSON; no answer table

Each response gets ``format_version`` (1), ``scale_answers`` (one byte per scale item of its
round's questionnaire, in the questionnaire's order: 0 no answer, 1-10 the score, 255 don't
know) and ``other_answers`` (open text, local questions and anything else, item id -> answer,
as saved; NULL when none). Every answer row is converted, then the answer table is dropped; the
downgrade rebuilds it from the packed values. Both directions carry their own copy of format 1,
so they keep doing what they did when written whatever ``survey.services.packing`` becomes.

The response table stays keyed and stored by its random id: on SQLite rebuilt WITHOUT ROWID; on
PostgreSQL clustered by the key again (the conversion's updates leave new row versions).

Revision ID: c4f7a9d2e813
Revises: 9a2b7c4e1d05
Create Date: 2026-12-04
"""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
import yaml
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4f7a9d2e813"
down_revision = "9a2b7c4e1d05"
branch_labels = None
depends_on = None

NO_ANSWER, DONT_KNOW = 0, 255
CHUNK = 10_000

_response = sa.table(
    "response",
    sa.column("id", sa.String()),
    sa.column("round_id", sa.Integer()),
    sa.column("format_version", sa.SmallInteger()),
    sa.column("scale_answers", sa.LargeBinary()),
    sa.column("other_answers", sa.JSON(none_as_null=True)),
)
_answer = sa.table(
    "answer",
    sa.column("response_id", sa.String()),
    sa.column("item_id", sa.String()),
    sa.column("score", sa.Integer()),
    sa.column("dont_know", sa.Boolean()),
    sa.column("text", sa.Text()),
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _scale_columns(definition: str) -> list[str]:
    """Format 1's columns: the scale items (``kind`` absent or "scale") of the round's stored
    questionnaire, in section order, as ``Questionnaire.scale_items`` lists them."""
    data = yaml.safe_load(definition or "")
    sections = data.get("sections") if isinstance(data, dict) else None
    return [
        str(item["id"])
        for section in sections or []
        for item in section.get("items") or []
        if item.get("kind", "scale") == "scale"
    ]


def _rounds() -> list[tuple[int, list[str]]]:
    rows = op.get_bind().execute(sa.text("SELECT id, questionnaire_definition FROM survey_round"))
    return [(round_id, _scale_columns(definition)) for round_id, definition in rows]


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _response_table(metadata: sa.MetaData, *, packed: bool) -> sa.Table:
    """The response table with or without its packed answers, for SQLite's rebuild."""
    columns: list[Any] = [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("stakeholder_group", sa.String(length=64), nullable=False),
    ]
    if packed:
        columns += [
            sa.Column("format_version", sa.SmallInteger(), nullable=False),
            sa.Column("scale_answers", sa.LargeBinary(), nullable=False),
            sa.Column("other_answers", sa.JSON(), nullable=True),
            sa.CheckConstraint("format_version = 1", name="ck_response_known_format_version"),
        ]
    return sa.Table(
        "response",
        metadata,
        *columns,
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


def _rebuild_response(*, packed: bool) -> None:
    """SQLite: rebuild the response table as defined, keyed and stored by its random id."""
    with op.batch_alter_table(
        "response",
        recreate="always",
        copy_from=_response_table(sa.MetaData(), packed=packed),
        table_kwargs={"sqlite_with_rowid": False},
    ):
        pass


def _pack_round(round_id: int, columns: list[str]) -> None:
    bind = op.get_bind()
    position = {item_id: index for index, item_id in enumerate(columns)}
    ids = bind.execute(
        sa.text("SELECT id FROM response WHERE round_id = :round"), {"round": round_id}
    ).scalars()
    scale = {response_id: bytearray(len(columns)) for response_id in ids}
    other: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    answers = bind.execute(
        sa.text(
            "SELECT a.response_id, a.item_id, a.score, a.dont_know, a.text FROM answer a"
            " JOIN response r ON r.id = a.response_id WHERE r.round_id = :round"
        ).execution_options(stream_results=True),
        {"round": round_id},
    )
    for response_id, item_id, score, dont_know, text in answers:
        if dont_know:
            value: dict[str, Any] = {"dont_know": True}
        elif score is not None:
            value = {"score": int(score)}
        else:
            value = {"text": text}
        if item_id in position and "text" not in value:
            scale[response_id][position[item_id]] = DONT_KNOW if dont_know else int(score)
        else:
            other[response_id][item_id] = value
    rows = [
        {
            "key": response_id,
            "format_version": 1,
            "scale_answers": bytes(codes),
            "other_answers": other.get(response_id),
        }
        for response_id, codes in sorted(scale.items())
    ]
    update = (
        sa.update(_response)
        .where(_response.c.id == sa.bindparam("key"))
        .values(
            format_version=sa.bindparam("format_version"),
            scale_answers=sa.bindparam("scale_answers"),
            other_answers=sa.bindparam("other_answers"),
        )
    )
    for chunk in _chunks(rows):
        bind.execute(update, chunk)


def upgrade():
    op.add_column("response", sa.Column("format_version", sa.SmallInteger(), nullable=True))
    op.add_column("response", sa.Column("scale_answers", sa.LargeBinary(), nullable=True))
    op.add_column("response", sa.Column("other_answers", sa.JSON(), nullable=True))
    for round_id, columns in _rounds():
        _pack_round(round_id, columns)
    op.drop_table("answer")
    if _postgres():
        op.alter_column("response", "format_version", nullable=False)
        op.alter_column("response", "scale_answers", nullable=False)
        op.create_check_constraint("known_format_version", "response", "format_version = 1")
        op.execute('CLUSTER "response" USING "pk_response"')
    else:
        _rebuild_response(packed=True)


def _unpack_round(round_id: int, columns: list[str]) -> None:
    bind = op.get_bind()
    responses = bind.execute(
        sa.select(_response.c.id, _response.c.scale_answers, _response.c.other_answers)
        .where(_response.c.round_id == round_id)
        .execution_options(stream_results=True)
    )
    rows: list[dict[str, Any]] = []
    for response_id, scale, other in responses:
        for item_id, code in zip(columns, bytes(scale), strict=True):
            if code != NO_ANSWER:
                value = {"dont_know": True} if code == DONT_KNOW else {"score": code}
                rows.append(_answer_row(response_id, item_id, value))
        for item_id, value in (other or {}).items():
            rows.append(_answer_row(response_id, item_id, value))
    for chunk in _chunks(rows):
        bind.execute(sa.insert(_answer), chunk)


def _answer_row(response_id: str, item_id: str, value: dict[str, Any]) -> dict[str, Any]:
    dont_know = bool(value.get("dont_know"))
    score = None if dont_know or "score" not in value else int(value["score"])
    text = None if dont_know or score is not None else str(value.get("text") or "")
    return {
        "response_id": response_id,
        "item_id": item_id,
        "score": score,
        "dont_know": dont_know,
        "text": text,
    }


def downgrade():
    op.create_table(
        "answer",
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
        sqlite_with_rowid=False,
    )
    for round_id, columns in _rounds():
        _unpack_round(round_id, columns)
    if _postgres():
        op.drop_constraint(op.f("ck_response_known_format_version"), "response", type_="check")
        for column in ("format_version", "scale_answers", "other_answers"):
            op.drop_column("response", column)
        op.execute('CLUSTER "answer" USING "pk_answer"')
    else:
        _rebuild_response(packed=False)
