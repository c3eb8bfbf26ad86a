"""Booked meetings: book, reschedule, cancel, mark held or no-show.

Every change locks the meeting row first (see :meth:`MeetingRepository.lock`), writes what it
changed, moves or withdraws the reminders and queues the iCalendar message, all in the
caller's unit of work. The dispatcher checks the meeting again, under the same lock, at the
moment it sends, so nothing goes out for a canceled, moved or past meeting.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.contact.schemas import Attendee
from momentum.contact.service import ContactService
from momentum.deal.changes import mark_changed
from momentum.deal.models import Deal
from momentum.deal.repository import DealRepository
from momentum.errors import Conflict, InputError, NotFound
from momentum.localtime import INSTANT_RANGE, WALL_EARLIEST, WALL_LATEST, exists, storable
from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange
from momentum.meeting.repository import MeetingRepository
from momentum.meeting.schemas import MeetingPage, MeetingState, MeetingView
from momentum.next_step.models import NextStepStatus
from momentum.next_step.repository import NextStepRepository
from momentum.outbox.models import Channel, MessageKind, OutboxMessage
from momentum.outbox.repository import OutboxRepository
from momentum.outbox.schemas import Send, SendDecision, Withdraw
from momentum.outbox.service import OutboxService
from momentum.paging import decode_cursor, encode_cursor, listing
from momentum.playbook.repository import PlaybookRepository
from momentum.reminder.models import ReminderKind
from momentum.reminder.repository import ReminderRepository
from momentum.reminder.schemas import ReminderPolicy
from momentum.reminder.service import ReminderPlan, ReminderService
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.timetext import when_short
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService
from momentum.worktime import CalendarPolicy

SOURCE = "app"


@dataclass
class Booking:
    meeting: Meeting
    reminders: ReminderPlan


def as_instant(value: datetime, tz: str, *, field: str = "start") -> datetime:
    """An aware instant; a naive ``value`` is wall-clock time in ``tz``. Outside the range
    the store accepts (the importers' too): an input error naming ``field``."""
    if value.tzinfo is None and WALL_EARLIEST <= value <= WALL_LATEST and not exists(value, tz):
        raise InputError(
            f"{field}: {value.isoformat(sep=' ', timespec='minutes')} does not exist in {tz}: "
            "the clocks go forward over it"
        )
    instant = storable(value, tz)
    if instant is None:
        raise InputError(
            f"{field}: {value.isoformat()} is outside the accepted range of instants "
            f"({INSTANT_RANGE})"
        )
    return instant


def _by_last_told(recipients: Sequence[str], told: Mapping[str, Meeting]) -> list[list[str]]:
    """``recipients`` in groups told the same: by the meeting their last invitation named
    (``told``), then those never sent one; each group in the recipients' order."""
    groups: dict[str | None, list[str]] = {}
    for address in recipients:
        last = told.get(address)
        groups.setdefault(last.id if last is not None else None, []).append(address)
    return list(groups.values())


# why a meeting cannot be moved, canceled or given an outcome
_NO_LONGER_BOOKED = {
    MeetingStatus.HELD: "was already marked held",
    MeetingStatus.NO_SHOW: "was already marked no-show",
    MeetingStatus.CANCELED: "was canceled",
    MeetingStatus.RESCHEDULED: "was moved: change the meeting at its new time",
}


def _still_booked(meeting: Meeting) -> Meeting:
    """``meeting``, if it may still be moved, canceled or given an outcome."""
    if meeting.status is not MeetingStatus.SCHEDULED:
        raise Conflict(f"meeting {meeting.id!r} {_NO_LONGER_BOOKED[meeting.status]}")
    return meeting


class MeetingService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        reminder_policy: ReminderPolicy | None = None,
        calendar_policy: CalendarPolicy | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.meetings = MeetingRepository(session)
        self.deals = DealRepository(session)
        self.reps = RepRepository(session)
        self.steps = NextStepRepository(session)
        self.scope = ScopeService(session)
        self.contacts = ContactService(session, clock=clock)
        self.outbox = OutboxService(session, clock=clock)
        self.reminders = ReminderService(
            session,
            clock=clock,
            policy=reminder_policy or ReminderPolicy(),
            calendar_policy=calendar_policy or CalendarPolicy(),
        )

    # --- reading ------------------------------------------------------------------------

    def visible_deal(self, actor: Actor, deal_id: str, *, lock: bool = False) -> Deal:
        deal = self.deals.lock(deal_id) if lock else self.deals.get(deal_id)
        if deal is None or not self.scope.may_see_owner(actor, deal.owner_id):
            raise NotFound(f"no deal {deal_id!r}")
        return deal

    def visible(self, actor: Actor, meeting_id: str, *, lock: bool = False) -> Meeting:
        meeting = self.meetings.lock(meeting_id) if lock else self.meetings.get(meeting_id)
        unknown = NotFound(f"no meeting {meeting_id!r}")
        if meeting is None:
            raise unknown
        try:
            self.visible_deal(actor, meeting.deal_id)
        except NotFound:
            raise unknown from None  # out of scope answers as unknown, without naming its deal
        return meeting

    def view(self, meeting: Meeting) -> MeetingView:
        return MeetingView.of(meeting, self.clock.now())

    def awaiting_outcome(self, actor: Actor) -> list[MeetingView]:
        owners = self.scope.visible_owner_ids(actor)
        return [self.view(m) for m in self.meetings.awaiting_outcome(owners, now=self.clock.now())]

    def upcoming(self, actor: Actor) -> list[MeetingView]:
        owners = self.scope.visible_owner_ids(actor)
        return [self.view(m) for m in self.meetings.upcoming(owners, now=self.clock.now())]

    def list_meetings(
        self,
        actor: Actor,
        *,
        deal_id: str | None = None,
        state: MeetingState | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> MeetingPage:
        """The meetings ``actor`` may see, by start; ``state`` as :class:`MeetingState` or a
        status ("upcoming", "awaiting_outcome", "held", ...)."""
        owners = self.scope.visible_owner_ids(actor)
        if deal_id is not None:
            self.visible_deal(actor, deal_id)
        name = listing("meetings", deal=deal_id, state=state)
        after = None
        if cursor:
            start, last_id = decode_cursor(cursor, name)
            if not isinstance(start, datetime) or not isinstance(last_id, str):
                raise InputError("the cursor is not one this list gave out")
            after = (start, last_id)
        now = self.clock.now()
        found = self.meetings.page(
            owners,
            deal_id=deal_id,
            state=state.value if state else None,
            now=now,
            after=after,
            limit=limit + 1,
        )
        last = found[limit - 1] if len(found) > limit else None
        return MeetingPage(
            items=[MeetingView.of(m, now) for m in found[:limit]],
            next_cursor=encode_cursor(name, last.start_at, last.id) if last else None,
        )

    def owner(self, deal: Deal) -> Rep:
        rep = self.reps.get(deal.owner_id)
        if rep is None:  # the foreign key makes this impossible
            raise NotFound(f"no rep {deal.owner_id!r}")
        return rep

    # --- booking ------------------------------------------------------------------------

    def book(
        self,
        actor: Actor,
        *,
        deal: Deal,
        rep: Rep,
        start: datetime,
        end: datetime,
        agenda: str | None,
        homework: str | None,
        value_asset_id: int | None,
        location: str | None = None,
        ical_uid: str | None = None,
        sequence: int = 0,
    ) -> Booking:
        """A new scheduled meeting with its invitation (with a ``sequence`` above 0, the
        update of the meeting ``ical_uid``) and its reminders, booked by ``actor``."""
        now = self.clock.now()
        if start <= now:
            raise Conflict("a meeting can only be booked in the future")
        recipients = self.contacts.emails_for(deal.id)
        if not recipients:
            raise Conflict(
                f"deal {deal.id!r} has no buyer contact: add the attendees' email addresses"
            )
        meeting = self.meetings.add(
            Meeting(
                id=f"m-{uuid.uuid4().hex}",
                deal_id=deal.id,
                start_at=start,
                end_at=end,
                booked_at=now,
                status=MeetingStatus.SCHEDULED,
                status_changed_at=now,
                agenda=agenda,
                homework=homework,
                location=location,
                sequence=sequence,
                ical_uid=ical_uid or f"momentum-{uuid.uuid4().hex}",
                playbook_revision=PlaybookRepository(self.session).revision(),
                created_at=now,
                updated_at=now,
            )
        )
        self._record(meeting, None, MeetingStatus.SCHEDULED, actor=actor)
        # a move: each recipient's update names the time they were last sent, so those told
        # different times (one update failed, say) get messages of their own; anyone added
        # since gets an invitation, not news of a move they never heard of
        told = OutboxRepository(self.session).last_told(ical_uid) if ical_uid else {}
        for part, group in enumerate(_by_last_told(recipients, told)):
            self._queue_ical(meeting, MessageKind.INVITATION, group, part=part)
        plan = self.reminders.plan(
            meeting=meeting, rep=rep, value_asset_id=value_asset_id, recipients=recipients
        )
        mark_changed(self.session, deal.id)
        return Booking(meeting=meeting, reminders=plan)

    def reschedule(
        self,
        actor: Actor,
        meeting_id: str,
        *,
        start: datetime,
        minutes: int | None = None,
        location: str | None = None,
        attendees: Sequence[Attendee] = (),
    ) -> Booking:
        """Move a booked meeting: the old one becomes ``rescheduled`` and points to a new one
        with the same iCalendar UID and the next SEQUENCE; its reminders move with it, and the
        update names the old time. ``location`` replaces the old place when given;
        ``attendees`` are added to the deal's buyer contacts, as a lock-in adds them (a
        meeting imported without any needs someone to send the update to)."""
        old = self._changeable(actor, meeting_id)
        deal = self.visible_deal(actor, old.deal_id)
        rep = self.owner(deal)
        start = as_instant(start, rep.timezone)
        duration = timedelta(minutes=minutes) if minutes else old.end_at - old.start_at
        place = " ".join((location or "").split()) or old.location
        if (start, start + duration, place) == (old.start_at, old.end_at, old.location):
            # not a move: the buyer would get an update, and the deal count as rescheduled
            raise Conflict(f"meeting {meeting_id!r} is already at that time and place")
        self.contacts.add_attendees(deal.id, attendees)
        value_asset_id = self._value_asset_of(old.id)
        self._set_status(old, MeetingStatus.RESCHEDULED, actor=actor)
        self.reminders.withdraw_for_meeting(
            old.id, reason=f"the meeting moved to {when_short(start, rep.timezone)}"
        )
        self.outbox.withdraw(
            reason="superseded by the rescheduled meeting's invitation",
            meeting_id=old.id,
            kinds=[MessageKind.INVITATION],
        )
        booking = self.book(
            actor,
            deal=deal,
            rep=rep,
            start=start,
            end=start + duration,
            agenda=old.agenda,
            homework=old.homework,
            value_asset_id=value_asset_id,
            location=place,
            ical_uid=old.ical_uid,
            sequence=old.sequence + 1,
        )
        old.rescheduled_to_id = booking.meeting.id
        step = self.steps.for_meeting(old.id)
        if step is not None and step.status is NextStepStatus.OPEN:
            step.meeting_id = booking.meeting.id
            step.due_at = booking.meeting.start_at
        self.session.flush()
        return booking

    def cancel(self, actor: Actor, meeting_id: str, *, reason: str | None = None) -> MeetingView:
        """Call it off: the reminders are withdrawn and the buyer gets METHOD:CANCEL. A
        meeting already canceled is left as it is (a repeat, decided under its lock)."""
        meeting = self.visible(actor, meeting_id, lock=True)
        if meeting.status is MeetingStatus.CANCELED:
            return self.view(meeting)
        _still_booked(meeting)
        meeting.sequence += 1
        self._set_status(meeting, MeetingStatus.CANCELED, actor=actor)
        why = reason or "the meeting was canceled"
        self.reminders.withdraw_for_meeting(meeting.id, reason=why)
        self.outbox.withdraw(reason=why, meeting_id=meeting.id, kinds=[MessageKind.INVITATION])
        self._close_step(meeting.id, NextStepStatus.CANCELED)
        # to everyone who had an invitation (it is in their calendars), each naming the time
        # it gave them; while none has gone out, to every contact, and the send decides (one
        # being sent now may still arrive)
        contacts = self.contacts.emails_for(meeting.deal_id)
        uid = meeting.ical_uid
        told = OutboxRepository(self.session).last_told(uid) if uid else {}
        if not told:
            self._queue_ical(meeting, MessageKind.CANCELLATION, contacts)
        invited = [a for a in contacts if a in told] + sorted(set(told).difference(contacts))
        for part, group in enumerate(_by_last_told(invited, told)):
            self._queue_ical(meeting, MessageKind.CANCELLATION, group, part=part)
        return self.view(meeting)

    def mark_held(self, actor: Actor, meeting_id: str) -> MeetingView:
        return self._mark_outcome(actor, meeting_id, MeetingStatus.HELD)

    def mark_no_show(self, actor: Actor, meeting_id: str) -> MeetingView:
        return self._mark_outcome(actor, meeting_id, MeetingStatus.NO_SHOW)

    # --- checks at send time --------------------------------------------------------------

    def check_ical_before_sending(self, message: OutboxMessage, meeting: Meeting) -> SendDecision:
        now = self.clock.now()
        if message.kind is MessageKind.CANCELLATION:
            repository = OutboxRepository(self.session)
            if (
                meeting.ical_uid
                and repository.last_invited(meeting.ical_uid, message.recipients) is not None
            ):
                return Send()
            return Withdraw("no invitation for this meeting had gone out")
        if meeting.status is not MeetingStatus.SCHEDULED:
            return Withdraw(f"the meeting was {meeting.status.replace('_', ' ')}")
        if meeting.start_at <= now:
            return Withdraw("the meeting has already started")
        if message.payload.get("sequence") != meeting.sequence:
            return Withdraw("superseded by a newer invitation")
        return Send()

    # --- internals ----------------------------------------------------------------------

    def _changeable(self, actor: Actor, meeting_id: str) -> Meeting:
        return _still_booked(self.visible(actor, meeting_id, lock=True))

    def _mark_outcome(self, actor: Actor, meeting_id: str, status: MeetingStatus) -> MeetingView:
        """The same outcome again (a retry, a second click) changes nothing: decided under
        the meeting's lock, so a repeat that waited for the first sees what it did."""
        meeting = self.visible(actor, meeting_id, lock=True)
        if meeting.status is status:
            return self.view(meeting)
        _still_booked(meeting)
        if meeting.start_at > self.clock.now():
            raise Conflict(f"meeting {meeting_id!r} has not started yet")
        self._set_status(meeting, status, actor=actor)
        self.reminders.withdraw_for_meeting(meeting.id, reason=f"the meeting was marked {status}")
        self.outbox.withdraw(
            reason="the meeting has taken place",
            meeting_id=meeting.id,
            kinds=[MessageKind.INVITATION],
        )
        self._close_step(
            meeting.id,
            NextStepStatus.DONE if status is MeetingStatus.HELD else NextStepStatus.CANCELED,
        )
        return self.view(meeting)

    def _set_status(self, meeting: Meeting, status: MeetingStatus, *, actor: Actor) -> None:
        now = self.clock.now()
        previous = meeting.status
        meeting.status = status
        meeting.status_changed_at = now
        meeting.updated_at = now
        self._record(meeting, previous, status, actor=actor)
        mark_changed(self.session, meeting.deal_id)
        self.session.flush()

    def _record(
        self,
        meeting: Meeting,
        before: MeetingStatus | None,
        after: MeetingStatus,
        *,
        actor: Actor,
    ) -> None:
        """Keep the change in the meeting's status history, with who made it: the signed-in
        user acting (none for the command line and the system)."""
        self.meetings.add_status_change(
            MeetingStatusChange(
                meeting_id=meeting.id,
                from_status=before,
                to_status=after,
                changed_at=self.clock.now(),
                source=SOURCE,
                changed_by_user_id=actor.user_id,
            )
        )

    def _close_step(self, meeting_id: str, status: NextStepStatus) -> None:
        step = self.steps.for_meeting(meeting_id)
        if step is not None and step.status is NextStepStatus.OPEN:
            step.status = status
            step.closed_at = self.clock.now()
            self.session.flush()

    def _value_asset_of(self, meeting_id: str) -> int | None:
        step = self.steps.for_meeting(meeting_id)
        if step is not None and step.value_asset_id is not None:
            return step.value_asset_id
        for reminder in ReminderRepository(self.session).for_meeting(meeting_id):
            if reminder.kind is ReminderKind.VALUE:
                return reminder.value_asset_id
        return None

    def _queue_ical(
        self,
        meeting: Meeting,
        kind: MessageKind,
        recipients: list[str],
        *,
        part: int = 0,
    ) -> None:
        """``part``: which of the messages for this change (one per group of recipients told
        the same, see :func:`_by_last_told`)."""
        method = "CANCEL" if kind is MessageKind.CANCELLATION else "REQUEST"
        payload: dict[str, Any] = {"method": method, "sequence": meeting.sequence}
        key = f"{kind}.{meeting.ical_uid}.{meeting.sequence}"
        self.outbox.enqueue(
            key=f"{key}.{part}" if part else key,
            channel=Channel.EMAIL,
            kind=kind,
            recipients=recipients,
            payload=payload,
            deal_id=meeting.deal_id,
            meeting_id=meeting.id,
        )
