"""Publishing results: a round's results are computed at release points and stored.

A release point is the close of a round, or an interim release that a manager triggers (at
most ``INTERIM_RELEASES_PER_DAY`` a day, one unless configured). :func:`publish_results`
computes the round's table with the engine, its local questions and the comments that may be
shown, and stores them as a :class:`ResultsRelease`; every page, export and report reads the
round's latest release (:func:`latest_release`, :func:`release_table`), so between releases
nothing changes and every process serves the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import func, select

from analysis import DomainReliability, RoundTable, domain_reliability
from survey.extensions import db
from survey.models import (
    PendingResponse,
    Response,
    ResultsRelease,
    RoundStatus,
    SurveyRound,
    User,
)
from survey.models.types import utcnow
from survey.services import audit, release_format
from survey.services.clock import uk_datetime
from survey.services.errors import RoundStateError
from survey.services.memo import memoised
from survey.services.release_format import Table
from survey.services.releases import release_pending
from survey.services.results.arrays import analyse, other_answers, round_responses
from survey.services.results.comments import (
    CommentBlock,
    Comments,
    no_comments,
    round_comments,
)
from survey.services.results.local import LocalResult, local_results


def empty_table() -> RoundTable:
    """A table with no rows: what a round without a release shows."""
    return release_format.empty(RoundTable)


@dataclass(frozen=True)
class _Contents:
    """What a release stores, computed from one load of the round's answers."""

    responses: int
    table: RoundTable
    reliability: DomainReliability
    extras: dict[str, Any]


def _contents(survey_round: SurveyRound) -> _Contents:
    """The round's results table, alpha, local questions and comments, from one load of its
    scale answers and one read of its other answers."""
    responses, others = round_responses(survey_round), other_answers(survey_round)
    count = len(responses.organisation)
    table, reliability = (
        (
            analyse(survey_round, responses),
            domain_reliability(responses, threshold=survey_round.suppression_threshold),
        )
        if count
        else (empty_table(), release_format.empty(DomainReliability))
    )
    local = {
        code: [asdict(result) for result in results]
        for code, results in local_results(survey_round, others).items()
    }
    comments = round_comments(survey_round, others=others)
    return _Contents(
        responses=count,
        table=table,
        reliability=reliability,
        extras={"local": local, "comments": {code: asdict(c) for code, c in comments.items()}},
    )


# -- publishing ------------------------------------------------------------------------------

_CHANNELS = {"cli": "the command line", "system": "the schedule"}


def _released_by(actor: audit.Actor) -> str:
    """Who the round page says released the results: the account's email, or the channel."""
    user = db.session.get(User, actor.user_id) if actor.user_id is not None else None
    return user.email if user is not None else _CHANNELS.get(actor.channel, actor.channel)


def latest_release(survey_round: SurveyRound | None) -> ResultsRelease | None:
    if survey_round is None:
        return None
    return db.session.scalar(
        select(ResultsRelease)
        .where(ResultsRelease.round_id == survey_round.id)
        .order_by(ResultsRelease.number.desc())
        .limit(1)
    )


def latest_releases(rounds: list[SurveyRound]) -> dict[int, ResultsRelease]:
    """Each round's latest release, by round id (rounds without one are left out), in one
    query."""
    if not rounds:
        return {}
    newest = (
        select(ResultsRelease.round_id, func.max(ResultsRelease.number).label("number"))
        .where(ResultsRelease.round_id.in_([r.id for r in rounds]))
        .group_by(ResultsRelease.round_id)
        .subquery()
    )
    found = db.session.scalars(
        select(ResultsRelease).join(
            newest,
            (ResultsRelease.round_id == newest.c.round_id)
            & (ResultsRelease.number == newest.c.number),
        )
    )
    return {release.round_id: release for release in found}


def releases_of(survey_round: SurveyRound) -> list[ResultsRelease]:
    """The round's releases, newest first."""
    return list(
        db.session.scalars(
            select(ResultsRelease)
            .where(ResultsRelease.round_id == survey_round.id)
            .order_by(ResultsRelease.number.desc())
        )
    )


def _interim_allowance() -> int:
    return int(current_app.config.get("INTERIM_RELEASES_PER_DAY", 1))


def _interim_releases_since(survey_round: SurveyRound, since: datetime) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                ResultsRelease.round_id == survey_round.id,
                ResultsRelease.kind == "interim",
                ResultsRelease.released_at > since,
            )
        )
        or 0
    )


def interim_released_recently(survey_round: SurveyRound) -> bool:
    """Whether the round had an interim release in the last 24 hours."""
    return _interim_releases_since(survey_round, utcnow() - timedelta(days=1)) > 0


def _check_interim(survey_round: SurveyRound, now: datetime) -> None:
    if survey_round.status is not RoundStatus.OPEN:
        raise RoundStateError(
            f"round {survey_round.id} is {survey_round.status.value}: interim releases are "
            "made during fieldwork (a closed round's results are released at its close)"
        )
    recent = _interim_releases_since(survey_round, now - timedelta(days=1))
    allowed = _interim_allowance()
    if recent >= allowed:
        raise RoundStateError(
            f"round {survey_round.id} already had {recent} interim release(s) in the last 24 "
            f"hours (at most {allowed} a day: INTERIM_RELEASES_PER_DAY)"
        )


def publish_results(
    actor: audit.Actor, survey_round: SurveyRound, *, kind: str = "interim"
) -> ResultsRelease:
    """Compute and store the round's results as its next release (audited).

    ``kind`` is "interim" (fieldwork open; at most ``INTERIM_RELEASES_PER_DAY`` in 24 hours) or
    "close" (the round has closed). A release point is also the only time submitted responses
    leave the sealed pending store: an interim release first moves them into the response store
    if at least the suppression threshold wait (else they wait for the next one), the close
    moves all of them. So the response store, and the anonymous microdata read from it, hold
    exactly the responses of the latest release. Run it in a transaction that has touched no
    identity row (:func:`~survey.services.releases.release_pending`).
    """
    now = utcnow()
    if kind == "interim":
        _check_interim(survey_round, now)
    elif kind != "close" or survey_round.status is not RoundStatus.CLOSED:
        raise RoundStateError(f"round {survey_round.id} cannot have a {kind!r} release now")
    release_pending(survey_round, everything=kind == "close", actor=actor)
    return _store_release(actor, survey_round, kind, now)


def republish(actor: audit.Actor, survey_round: SurveyRound, reason: str) -> ResultsRelease | None:
    """Publish the round again at once, outside the daily allowance, after a change that must
    show everywhere now (a raised threshold); nothing when nothing was published yet. It
    releases no pending response: the same responses as the latest release, shown anew."""
    if latest_release(survey_round) is None:
        return None
    kind = "close" if survey_round.status is RoundStatus.CLOSED else "interim"
    return _store_release(actor, survey_round, kind, utcnow(), reason=reason)


def _store_release(
    actor: audit.Actor,
    survey_round: SurveyRound,
    kind: str,
    now: datetime,
    reason: str | None = None,
) -> ResultsRelease:
    contents = _contents(survey_round)
    last = latest_release(survey_round)
    release = ResultsRelease(
        round_id=survey_round.id,
        number=(last.number if last else 0) + 1,
        released_at=now,
        kind=kind,
        released_by=_released_by(actor),
        responses=contents.responses,
        provisional_until=survey_round.closes_on if kind == "interim" else None,
        format_version=release_format.FORMAT_VERSION,
        table=release_format.pack(contents.table),
        reliability=release_format.pack(contents.reliability),
        extras=contents.extras,
    )
    db.session.add(release)
    db.session.flush()
    audit.record(
        actor,
        "results.release",
        target=f"round:{survey_round.id}",
        number=release.number,
        kind=kind,
        responses=release.responses,
        **({"reason": reason} if reason else {}),
    )
    return release


def closed_rounds_unpublished() -> list[SurveyRound]:
    """Closed rounds with responses, released or pending, that have no close release."""
    closed = select(ResultsRelease.round_id).where(ResultsRelease.kind == "close")
    answered = select(Response.round_id).union(select(PendingResponse.round_id))
    return list(
        db.session.scalars(
            select(SurveyRound)
            .where(
                SurveyRound.status == RoundStatus.CLOSED,
                SurveyRound.id.in_(answered),
                SurveyRound.id.not_in(closed),
            )
            .order_by(SurveyRound.id)
        )
    )


# -- reading a release -----------------------------------------------------------------------

#: releases remembered per part (a national round's table is ~100 MB unpacked)
_MEMO_SIZE = 8

T = TypeVar("T")


def _memoised(release: ResultsRelease, part: str, read: Callable[[], T]) -> T:
    """``read()`` of a part of the release, once per process (a release never changes, and its
    stored parts are deferred columns, so a memoised part costs no read of its column)."""
    return memoised(f"release.{part}", (release.id,), _MEMO_SIZE, read)


def _unpacked(release: ResultsRelease, kind: type[Table], column: str) -> Table:
    """A stored table of the release, unpacked once per process."""
    return _memoised(
        release,
        kind.__name__,
        lambda: release_format.unpack(kind, getattr(release, column), release.format_version),
    )


def release_table(release: ResultsRelease | None) -> RoundTable:
    """The release's results table (empty before the round's first release)."""
    if release is None:
        return empty_table()
    return _unpacked(release, RoundTable, "table")


def release_reliability(release: ResultsRelease | None) -> DomainReliability:
    """The release's Cronbach's alpha per organisation (and whole round) and domain."""
    if release is None:
        return release_format.empty(DomainReliability)
    return _unpacked(release, DomainReliability, "reliability")


def release_local(release: ResultsRelease | None) -> dict[str, list[LocalResult]]:
    """The release's local questions' results per organisation code, read once per process
    (shared: not to be changed)."""
    if release is None:
        return {}
    return _memoised(
        release,
        "local",
        lambda: {
            code: [LocalResult(**result) for result in results]
            for code, results in release.extras.get("local", {}).items()
        },
    )


def _release_comments(release: ResultsRelease) -> dict[str, Comments]:
    return {
        code: Comments(
            **{**stored, "blocks": tuple(CommentBlock(**block) for block in stored["blocks"])}
        )
        for code, stored in release.extras.get("comments", {}).items()
    }


def release_comments(
    release: ResultsRelease | None, survey_round: SurveyRound, code: str
) -> Comments:
    """One organisation's comments as the release published them (none before a release); the
    release's comments are read once per process."""
    published = (
        _memoised(release, "comments", lambda: _release_comments(release))
        if release is not None
        else {}
    )
    return published.get(code) or no_comments(survey_round)


def as_of(release: ResultsRelease | None) -> str:
    """ "Results as of <release>, N responses" (and "provisional: ..." before the close)."""
    if release is None:
        return "No results have been released yet."
    text = f"Results as of {uk_datetime(release.released_at)}, {release.responses} responses"
    if release.provisional_until is not None:
        text += f" (provisional: fieldwork open until {release.provisional_until:%-d %B %Y})"
    return text
