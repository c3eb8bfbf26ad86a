"""What the rules know about a deal, loaded for many deals at once with a few set queries.

M1 and the meeting-two attempts are not worked out here: they come from
``momentum.meeting.definitions``, the frames the audit reads too, so a rule and the audit can
never disagree on which meeting is meeting two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import polars as pl
from sqlalchemy.orm import Session

from momentum.meeting.definitions import first_meetings, in_order, second_meeting_attempts
from momentum.meeting.models import MeetingStatus
from momentum.rules.repository import FactsRepository, utc_reader

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BOOKED = frozenset(
    {MeetingStatus.SCHEDULED, MeetingStatus.HELD, MeetingStatus.NO_SHOW, MeetingStatus.RESCHEDULED}
)


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
    session: Session, deal_ids: Sequence[str] | None, *, now: datetime
) -> dict[str, DealFacts]:
    """Facts for the open deals among ``deal_ids`` (every open deal when ``None``)."""
    store = FactsRepository(session)
    utc = utc_reader(session)
    deals: dict[str, DealFacts] = {}
    for row in store.open_deals(deal_ids):
        deal_id, name, account, owner_id, tz, country, opened, created = row
        opened_at = utc(opened) or utc(created)
        assert opened_at is not None  # created_at is NOT NULL
        deals[deal_id] = DealFacts(
            deal_id=deal_id,
            name=name,
            account=account,
            owner_id=owner_id,
            owner_timezone=tz,
            owner_country=country,
            opened_at=opened_at,
            last_activity=opened_at,
        )
    if not deals:
        return deals
    scope = None if deal_ids is None else list(deals)
    statuses = {status.value: status for status in MeetingStatus}
    for deal_id, mid, raw_start, raw_end, status, raw_booked, agenda, homework in store.meetings(
        scope
    ):
        facts = deals.get(deal_id)
        if facts is None:
            continue
        start, booked = utc(raw_start), utc(raw_booked)
        assert start is not None
        facts.meetings.append(
            MeetingFact(
                mid, start, utc(raw_end) or start, statuses[status], booked, agenda, homework
            )
        )
        facts.note_activity(start, now)
        facts.note_activity(booked, now)
    _mark_first_and_second_meetings(deals)
    for deal_id in store.task_step_deals(scope):
        if deal_id in deals:
            deals[deal_id].has_task_step = True
    for deal_id in store.manual_task_deals(scope):
        if deal_id in deals:
            deals[deal_id].has_manual_task = True
    for deal_id, moment in store.activity(scope):
        if deal_id in deals:
            deals[deal_id].note_activity(utc(moment), now)
    return deals


def _mark_first_and_second_meetings(deals: dict[str, DealFacts]) -> None:
    """Each deal's M1 and meeting-two attempts, by the shared definitions."""
    meetings = {m.id: m for facts in deals.values() for m in facts.meetings}
    if not meetings:
        return
    owner = [deal_id for deal_id, facts in deals.items() for _ in facts.meetings]
    values = list(meetings.values())
    micro = timedelta(microseconds=1)  # instants as integers: far cheaper into Polars
    frame = pl.DataFrame(
        {
            "deal_id": owner,
            "meeting_id": list(meetings),
            "start": [(m.start_at - EPOCH) // micro for m in values],
            "end": [(m.end_at - EPOCH) // micro for m in values],
            "status": [m.status.value for m in values],
        },
        schema={
            "deal_id": pl.String,
            "meeting_id": pl.String,
            "start": pl.Int64,
            "end": pl.Int64,
            "status": pl.String,
        },
    )
    ordered = in_order(frame).lazy()
    firsts = first_meetings(ordered).collect()
    for deal_id, m1_id in zip(firsts["deal_id"].to_list(), firsts["m1_id"].to_list(), strict=True):
        deals[deal_id].m1 = meetings[m1_id]
    attempts = (
        second_meeting_attempts(ordered)
        .group_by("deal_id", maintain_order=True)
        .agg(pl.col("meeting_id"))
        .collect()
    )
    for deal_id, ids in zip(
        attempts["deal_id"].to_list(), attempts["meeting_id"].to_list(), strict=True
    ):
        deals[deal_id].attempts = [meetings[i] for i in ids]
