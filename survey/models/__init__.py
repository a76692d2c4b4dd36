"""The data model, one module per aggregate; importing this package registers every table."""

from survey.models.assurance import (
    RATING_LABELS,
    ActionStatus,
    AssuranceAction,
    AssuranceRating,
    Rating,
)
from survey.models.audit import AuditEvent
from survey.models.heartbeat import WorkerHeartbeat
from survey.models.invited_count import InvitedCount
from survey.models.local_question import LocalQuestion
from survey.models.organisation import Organisation, OrganisationKind
from survey.models.organisation_reminder import OrganisationReminder
from survey.models.outbox import OutboxMessage, OutboxStatus
from survey.models.pending import PendingResponse
from survey.models.release import ResultsRelease
from survey.models.response import Response
from survey.models.round import RoundStatus, SurveyRound
from survey.models.scheduled import ScheduledRun
from survey.models.stakeholder import Invitation, InvitationStatus, Stakeholder
from survey.models.user import Role, User

__all__ = [
    "ActionStatus",
    "AssuranceAction",
    "AssuranceRating",
    "RATING_LABELS",
    "Rating",
    "AuditEvent",
    "Invitation",
    "InvitationStatus",
    "InvitedCount",
    "LocalQuestion",
    "Organisation",
    "OrganisationKind",
    "OrganisationReminder",
    "OutboxMessage",
    "OutboxStatus",
    "PendingResponse",
    "Response",
    "ResultsRelease",
    "Role",
    "RoundStatus",
    "ScheduledRun",
    "Stakeholder",
    "SurveyRound",
    "User",
    "WorkerHeartbeat",
]
