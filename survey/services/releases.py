"""Releasing pending responses into the response store, in shuffled batches.

Submitting writes a sealed pending response in the same transaction as the invitation's status
change. Releasing takes a round's pending responses, at least the round's suppression threshold
of them at a time (all of them once the round has closed), opens them, writes them into the
response store in random order and deletes them, in a transaction that touches no identity row.
It runs only at a results release point (:func:`survey.services.publication.publish_results`),
so the response store always holds exactly the responses of the round's latest release.
So the response store shares no transaction id with any invitation, and neither its keys nor
its physical order say more than which release a response came in.
"""

from __future__ import annotations

import random

from sqlalchemy import delete, func, select

from survey.extensions import affected_rows, db
from survey.models import PendingResponse, RoundStatus, SurveyRound
from survey.services import audit
from survey.services.errors import Assure360Error
from survey.services.responses import pending_purpose, store_response
from survey.services.sealing import unseal

#: the operating system's randomness: a seeded generator's order could be replayed
_random = random.SystemRandom()


def pending_count(survey_round: SurveyRound) -> int:
    """How many submitted responses of ``survey_round`` wait for a release."""
    return (
        db.session.scalar(select(func.count()).where(PendingResponse.round_id == survey_round.id))
        or 0
    )


class ReleaseTaken(Assure360Error):
    """Another release (a second worker, a close) took some of these pending responses first;
    roll back: that release stores them."""


def release_pending(
    survey_round: SurveyRound, *, everything: bool, actor: audit.Actor = audit.SYSTEM
) -> int:
    """Move the round's pending responses into the response store; returns how many.

    Nothing moves while fewer than the suppression threshold wait, unless ``everything`` (the
    round's close) or the round is closed. Call it in a transaction of its own: the caller must
    not have touched an identity row (an invitation, a stakeholder, a draft) in it. A pending
    response that does not open (``SealBroken``) stops the release with nothing moved, and so
    does a concurrent release of the same rows (``ReleaseTaken``): the caller rolls back.
    """
    pending = list(
        db.session.scalars(
            select(PendingResponse).where(PendingResponse.round_id == survey_round.id)
        )
    )
    closed = survey_round.status is RoundStatus.CLOSED
    too_few = len(pending) < survey_round.suppression_threshold
    if not pending or (too_few and not everything and not closed):
        return 0
    purpose = pending_purpose(survey_round.id)
    opened = [unseal(row.sealed, purpose=purpose) for row in pending]
    # Deleting first claims the rows: a concurrent release blocks here (PostgreSQL row locks;
    # SQLite writes one at a time) and then deletes fewer than it read.
    claimed = db.session.execute(
        delete(PendingResponse)
        .where(PendingResponse.id.in_([row.id for row in pending]))
        .execution_options(synchronize_session=False)
    )
    if affected_rows(claimed) != len(pending):
        raise ReleaseTaken(f"pending responses of round {survey_round.id} released elsewhere")
    for row in pending:
        db.session.expunge(row)
    _random.shuffle(opened)
    for payload in opened:
        organisation_id, group = int(payload["organisation_id"]), str(payload["group"])
        store_response(survey_round.id, organisation_id, group, payload["answers"])
    db.session.flush()
    audit.record(
        actor, "responses.release", target=f"round:{survey_round.id}", released=len(pending)
    )
    return len(pending)
