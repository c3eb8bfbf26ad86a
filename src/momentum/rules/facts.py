"""What the rules know about a deal, loaded for many deals at once with a few set queries.

M1 and the meeting-two attempts are not worked out here: they come from
``momentum.meeting.definitions``, the definitions the audit reads too (held equal to its
frames by a test), so a rule and the audit can never disagree on which meeting is meeting
two.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from momentum.meeting.definitions import one_deal
from momentum.meeting.models import MeetingStatus
from momentum.rules.repository import FactsRepository

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class MeetingFact:
    id: str
    start_at: datetime
    end_at: datetime
    status: MeetingStatus
    booked_at: datetime | None
    agenda: str | None
    homework: str | None


@dataclass(slots=True)
class DealFacts:
    deal_id: str
    name: str | None
    account: str | None
    owner_id: str
    owner_timezone: str
    owner_country: str | None
    opened_at: datetime
    meetings: list[MeetingFact] = field(default_factory=list)  # by start
    has_task_step: bool = False  # an open next step that is a task with a due date
    has_manual_task: bool = False  # an open task a person set on the deal
    open_task_rules: set[str] = field(default_factory=set)  # rules with an open task here
    last_activity: datetime | None = None
    m1: MeetingFact | None = None  # from momentum.meeting.definitions
    attempts: list[MeetingFact] = field(default_factory=list)  # from the same
    changed_at: datetime = EPOCH  # the latest change to the deal, its meetings or its owner

    def note_activity(self, moment: datetime | None, now: datetime) -> None:
        if moment is None or moment > now:
            return
        if self.last_activity is None or moment > self.last_activity:
            self.last_activity = moment

    @property
    def label(self) -> str:
        return self.account or self.name or self.deal_id

    def first_meeting(self) -> MeetingFact | None:
        """M1: the earliest-starting held meeting."""
        return self.m1

    def second_meeting_attempts(self) -> list[MeetingFact]:
        """The meetings starting after M1's end, up to and including the first held one."""
        return self.attempts

    def booked_second_meeting(self) -> tuple[MeetingFact, MeetingFact] | None:
        """(M1, the meeting-two attempt still scheduled), when there is one."""
        m1 = self.first_meeting()
        if m1 is None:
            return None
        for attempt in self.attempts:
            if attempt.status is MeetingStatus.SCHEDULED:
                return m1, attempt
        return None

    def upcoming_meeting(self, now: datetime) -> MeetingFact | None:
        return next(
            (m for m in self.meetings if m.status is MeetingStatus.SCHEDULED and m.start_at > now),
            None,
        )


def load_facts(
    session: Session,
    deal_ids: Sequence[str] | None,
    *,
    now: datetime,
    open_task_rules: dict[str, set[str]],
) -> dict[str, DealFacts]:
    """The facts of the open deals among ``deal_ids`` (every open deal when ``None``), by id;
    ``open_task_rules`` gives, per deal, the rules with an open task on it."""
    store = FactsRepository(session)
    rows = store.open_deals(deal_ids)
    if not rows:
        return {}
    scope = None if deal_ids is None else [row[0] for row in rows]
    task_steps = store.task_step_deals(scope)
    manual_tasks = store.manual_task_deals(scope)
    activity = dict(store.activity(scope))
    aware = store.aware
    deals: dict[str, DealFacts] = {}
    for deal_id, name, account, owner_id, tz, country, opened, changed, owner_changed in rows:
        opened_at = aware(opened)  # created_at is NOT NULL
        facts = deals[deal_id] = DealFacts(
            deal_id=deal_id,
            name=name,
            account=account,
            owner_id=owner_id,
            owner_timezone=tz,
            owner_country=country,
            opened_at=opened_at,
            last_activity=opened_at,
            has_task_step=deal_id in task_steps,
            has_manual_task=deal_id in manual_tasks,
            open_task_rules=open_task_rules.get(deal_id) or set(),
            changed_at=max(aware(changed), aware(owner_changed)),
        )
        latest = activity.get(deal_id)
        if latest is not None:
            facts.note_activity(aware(latest), now)
    _load_meetings(deals, store.meetings(scope), aware, now)
    return deals


def _load_meetings(
    deals: dict[str, DealFacts], rows: list[Any], aware: Callable[[Any], datetime], now: datetime
) -> None:
    """Every deal's meetings (``rows`` by deal and start), its M1 and meeting-two attempts."""
    statuses = {status.value: status for status in MeetingStatus}
    facts: DealFacts | None = None
    for deal_id, mid, raw_start, raw_end, status, raw_booked, agenda, homework, changed in rows:
        if facts is None or facts.deal_id != deal_id:
            facts = deals.get(deal_id)
            if facts is None:
                continue
        start = aware(raw_start)
        end = start if raw_end is None else aware(raw_end)
        booked = None if raw_booked is None else aware(raw_booked)
        facts.meetings.append(
            MeetingFact(mid, start, end, statuses[status], booked, agenda, homework)
        )
        facts.changed_at = max(facts.changed_at, aware(changed))
        facts.note_activity(start, now)
        facts.note_activity(booked, now)
    for facts in deals.values():
        by_id = {meeting.id: meeting for meeting in facts.meetings}
        m1, attempts = one_deal(
            (m.id, m.start_at, m.end_at, m.status.value) for m in facts.meetings
        )
        facts.m1 = by_id[m1[0]] if m1 is not None else None
        facts.attempts = [by_id[attempt[0]] for attempt in attempts]
