"""Reminders to the buyer before a booked meeting: planned on booking, moved on a reschedule,
withdrawn on a cancellation, and checked once more at the moment they would be sent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.outbox.models import Channel, MessageKind
from momentum.outbox.schemas import Defer, Send, SendDecision, Withdraw
from momentum.outbox.service import OutboxService
from momentum.playbook.repository import PlaybookRepository
from momentum.reminder.models import Reminder, ReminderKind, ReminderStatus
from momentum.reminder.repository import ReminderRepository
from momentum.reminder.schemas import ReminderPolicy
from momentum.value_asset.repository import ValueAssetRepository
from momentum.worktime import CalendarPolicy, WorkCalendar

if TYPE_CHECKING:
    from momentum.rep.models import Rep

MESSAGE_KIND = {
    ReminderKind.VALUE: MessageKind.VALUE_REMINDER,
    ReminderKind.CONFIRMATION: MessageKind.CONFIRMATION,
}


@dataclass
class ReminderPlan:
    reminders: list[Reminder] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def work_calendar(rep: Rep, policy: CalendarPolicy) -> WorkCalendar:
    return WorkCalendar(tz=rep.timezone, country=rep.country, policy=policy)


class ReminderService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        policy: ReminderPolicy,
        calendar_policy: CalendarPolicy,
    ) -> None:
        self.session = session
        self.clock = clock
        self.policy = policy
        self.calendar_policy = calendar_policy
        self.reminders = ReminderRepository(session)
        self.outbox = OutboxService(session, clock=clock)

    def slots(self, meeting: Meeting, rep: Rep) -> dict[ReminderKind, datetime]:
        """When each reminder goes out: ``send_at`` local time, N business days before the
        meeting's local date in the owner's calendar, never in quiet hours."""
        calendar = work_calendar(rep, self.calendar_policy)
        return {
            ReminderKind.VALUE: calendar.slot_before(
                meeting.start_at, self.policy.value_business_days, self.policy.send_at
            ),
            ReminderKind.CONFIRMATION: calendar.slot_before(
                meeting.start_at, self.policy.confirmation_business_days, self.policy.send_at
            ),
        }

    def plan(
        self, *, meeting: Meeting, rep: Rep, value_asset_id: int | None, recipients: list[str]
    ) -> ReminderPlan:
        """A value reminder and a confirmation for ``meeting``, each with its outbox message.

        A reminder whose time has already passed when the meeting is booked is left out (the
        invitation has only just gone out), and so is a value reminder with no asset to carry,
        or one the buyers already had for this meeting before it was moved (the same content
        again would be a duplicate: it goes only to those who did not have it; the
        confirmation names the new time, so it goes to everyone again).
        """
        now = self.clock.now()
        plan = ReminderPlan()
        revision = PlaybookRepository(self.session).revision()
        carried = (
            ValueAssetRepository(self.session).latest_version(value_asset_id)
            if value_asset_id is not None
            else None
        )
        for kind, due_at in self.slots(meeting, rep).items():
            if kind is ReminderKind.VALUE and value_asset_id is None:
                plan.skipped.append("no value reminder: the value-asset library is empty")
                continue
            to = recipients
            if kind is ReminderKind.VALUE and meeting.ical_uid and meeting.sequence > 0:
                # a move (a first booking has no earlier meeting to have sent it for)
                had = self.reminders.sent_to_in_chain(meeting.ical_uid, kind)
                to = [address for address in recipients if address not in had]
                if not to:
                    plan.skipped.append(
                        "no value reminder: the buyer had it before the meeting moved"
                    )
                    continue
            if due_at <= now or due_at >= meeting.start_at:
                plan.skipped.append(
                    f"no {kind} reminder: its time ({due_at:%Y-%m-%d %H:%M} UTC) had passed "
                    f"when the meeting was booked"
                )
                continue
            reminder = self.reminders.add(
                Reminder(
                    meeting_id=meeting.id,
                    kind=kind,
                    due_at=due_at,
                    status=ReminderStatus.PENDING,
                    value_asset_id=value_asset_id if kind is ReminderKind.VALUE else None,
                    value_asset_version_id=(
                        carried.id if carried is not None and kind is ReminderKind.VALUE else None
                    ),
                    playbook_revision=revision,
                    created_at=now,
                    updated_at=now,
                )
            )
            self.outbox.enqueue(
                key=f"{kind}-reminder.{uuid.uuid4().hex}",
                channel=Channel.EMAIL,
                kind=MESSAGE_KIND[kind],
                recipients=to,
                payload={"reminder_id": reminder.id},
                due_at=due_at,
                deal_id=meeting.deal_id,
                meeting_id=meeting.id,
                reminder_id=reminder.id,
            )
            plan.reminders.append(reminder)
        return plan

    def withdraw_for_meeting(self, meeting_id: str, *, reason: str) -> list[int]:
        """Withdraw the meeting's pending reminders and their messages."""
        ids = self.reminders.withdraw_pending(meeting_id, reason=reason, now=self.clock.now())
        if ids:
            self.outbox.withdraw(reason=reason, reminder_ids=ids)
        return ids

    def check_before_sending(
        self, reminder: Reminder | None, meeting: Meeting, rep: Rep
    ) -> SendDecision:
        """The last word, taken under the meeting's lock just before the message goes out."""
        now = self.clock.now()
        if reminder is None:
            return Withdraw("the reminder no longer exists")
        if reminder.status is not ReminderStatus.PENDING:
            return Withdraw(f"the reminder is {reminder.status}")
        if meeting.status is not MeetingStatus.SCHEDULED:
            return Withdraw(f"the meeting was {meeting.status.replace('_', ' ')}")
        if meeting.start_at <= now:
            return Withdraw("the meeting has already started")
        calendar = work_calendar(rep, self.calendar_policy)
        if not calendar.may_contact_buyer(now):
            later = calendar.next_contact_time(now)
            if later >= meeting.start_at:
                return Withdraw("no business hours are left before the meeting")
            return Defer(later, "outside business hours in the owner's calendar")
        return Send()

    def mark(self, reminder: Reminder, status: ReminderStatus, reason: str | None = None) -> None:
        reminder.status = status
        reminder.status_reason = reason
        reminder.updated_at = self.clock.now()
        self.session.flush()
