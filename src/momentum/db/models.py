"""Every table, imported in one place so the metadata (and Alembic) sees them all."""

from momentum.coaching.models import CoachingNote
from momentum.contact.models import Contact
from momentum.db.base import Base
from momentum.deal.models import Deal, DealStageEntry, Outcome
from momentum.digest.models import ManagerDigest
from momentum.flag.models import Flag, Severity
from momentum.importers.models import ImportRun
from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange
from momentum.next_step.models import NextStep, NextStepKind, NextStepStatus, Side
from momentum.outbox.models import Channel, MessageKind, MessageStatus, OutboxMessage
from momentum.playbook.models import PlaybookEntry, PlaybookKind, PlaybookStep, PlaybookVersion
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus
from momentum.rep.models import Rep
from momentum.review.models import CommitmentMetric, ReviewCommitment
from momentum.rules.models import RuleOverride
from momentum.task.models import Task, TaskStatus
from momentum.user.models import ApiToken, Role, SignInAttempt, User, WebSession
from momentum.value_asset.models import ValueAsset, ValueAssetKind, ValueAssetVersion

__all__ = [
    "ApiToken",
    "Base",
    "Channel",
    "CoachingNote",
    "CommitmentMetric",
    "Contact",
    "Deal",
    "DealStageEntry",
    "Flag",
    "ImportRun",
    "ManagerDigest",
    "Meeting",
    "MeetingStatus",
    "MeetingStatusChange",
    "MessageKind",
    "MessageStatus",
    "NextStep",
    "NextStepKind",
    "NextStepStatus",
    "OutboxMessage",
    "Outcome",
    "PlaybookEntry",
    "PlaybookKind",
    "PlaybookStep",
    "PlaybookVersion",
    "Reminder",
    "ReminderKind",
    "ReminderStatus",
    "Rep",
    "ReviewCommitment",
    "Role",
    "RuleOverride",
    "Severity",
    "Side",
    "SignInAttempt",
    "Task",
    "TaskStatus",
    "User",
    "ValueAsset",
    "ValueAssetKind",
    "ValueAssetVersion",
    "WebSession",
]
