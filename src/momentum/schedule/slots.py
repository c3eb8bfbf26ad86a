"""When meeting two could be: slots 3–5 business days after meeting one, in the rep's working
hours (their own where an administrator set them, else the policy's 9:00–17:00), clear of the
rep's other meetings, weekends and holidays, shown in the rep's and the buyer's zones; and the
warnings (never a refusal) for a time the rep picks by hand.

Meeting one is the deal's M1 when it was held; when locking in from a meeting one that has
not been marked yet (the rep is still in it, or just left), that meeting; with neither, or
once its window has passed, the slots are the next business days from tomorrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from pydantic import BaseModel, Field, model_validator
from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.models import Deal
from momentum.errors import NotFound
from momentum.localtime import zone
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.schedule.positions import places_of
from momentum.schedule.repository import ScheduleRepository
from momentum.timetext import time_of_day, when_short
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService
from momentum.worktime import CalendarPolicy, WorkCalendar


class SlotPolicy(BaseModel):
    """Where suggested slots fall (and what counts as working hours, the rep's and the
    buyer's, in the warnings)."""

    day_start: time = Field(default=time(9, 0), description="The working day starts.")
    day_end: time = Field(default=time(17, 0), description="The working day ends.")
    step_minutes: int = Field(default=60, ge=15, le=240, description="Between two suggestions.")
    earliest_business_days: int = Field(
        default=3, ge=1, description="Business days after meeting one of the first suggestion."
    )

    @model_validator(mode="after")
    def _day_is_a_day(self) -> SlotPolicy:
        if self.day_end <= self.day_start:
            raise ValueError("day_end must be after day_start")
        return self


def deal_label(deal: Deal) -> str:
    return deal_label_of(account=deal.account, name=deal.name, deal_id=deal.id)


def deal_label_of(*, account: str | None, name: str | None, deal_id: str) -> str:
    """What a deal is called (its account, else its name, else its id), from the plain values
    of a row, for a page that reads rows rather than deals."""
    return account or name or deal_id


@lru_cache(maxsize=512)
def _holidays(country: str, year: int) -> dict[date, str]:
    return dict(holidays.country_holidays(country, years=[year]).items())


def holiday_name(country: str | None, day: date) -> str | None:
    """The public holiday on ``day`` in ``country`` (the ``holidays`` package), if any."""
    if not country:
        return None
    return _holidays(country.upper(), day.year).get(day)


@dataclass
class Slot:
    start: datetime
    end: datetime
    rep_time: str  # "Tue 10 Mar, 14:00 CET (Europe/Berlin)"
    buyer_times: list[str]  # the same instant in each known buyer zone
    rep_clock: str  # "14:00 CET", on a page that already names the day and the zone
    # "08:00 EDT", one per buyer zone other than the rep's; "Fri 00:30 JST" on another day
    buyer_clocks: list[str]
    business_days: int | None  # after meeting one
    warnings: list[str] = field(default_factory=list)


@dataclass
class SlotDay:
    day: date
    business_days: int | None
    slots: list[Slot]


@dataclass
class Suggestions:
    deal: Deal
    rep: Rep
    buyer_zones: list[str]
    meeting_one: Meeting | None
    target_business_days: int
    days: list[SlotDay]
    later: bool = False  # meeting two took place: this books a later meeting


class SlotService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        calendar_policy: CalendarPolicy,
        target_business_days: int,
        policy: SlotPolicy | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.calendar_policy = calendar_policy
        self.target = target_business_days
        self.policy = policy or SlotPolicy()
        self.repository = ScheduleRepository(session)
        self.scope = ScopeService(session)

    # --- the deal and its meeting one ---------------------------------------------------

    def deal_and_rep(self, actor: Actor, deal_id: str) -> tuple[Deal, Rep]:
        deal = self.repository.deals([deal_id]).get(deal_id)
        if deal is None or not self.scope.may_see_owner(actor, deal.owner_id):
            raise NotFound(f"no deal {deal_id!r}")
        rep = RepRepository(self.session).get(deal.owner_id)
        if rep is None:
            raise NotFound(f"no rep {deal.owner_id!r}")
        return deal, rep

    def meeting_one(self, deal_id: str) -> Meeting | None:
        """The meeting the next booking's gap is measured from (see :meth:`gap_from`)."""
        return self.gap_from(deal_id)[0]

    def gap_from(self, deal_id: str) -> tuple[Meeting | None, bool]:
        """The meeting the next booking's gap is measured from, and whether meeting two took
        place (then what is booked next is a later meeting, and no gap to meeting one is
        measured: ``None``). Else the deal's M1 if held; else its latest scheduled meeting
        that has already started (meeting one, not marked yet); else ``None``."""
        meetings = self.repository.meetings_of(deal_id)
        rows = ((m.id, m.deal_id, m.start_at, m.end_at, str(m.status)) for m in meetings)
        places = places_of(rows).get(deal_id)
        if places is not None and places.m1_id is not None:
            held = {m.id for m in meetings if m.status is MeetingStatus.HELD}
            if any(attempt in held for attempt in places.attempts):
                return None, True
            return next(m for m in meetings if m.id == places.m1_id), False
        now = self.clock.now()
        started = [m for m in meetings if m.status is MeetingStatus.SCHEDULED and m.start_at <= now]
        return (started[-1] if started else None), False

    def booked_ahead(self, deal_id: str) -> Meeting | None:
        """The deal's booked meeting still to come, if any (it is the deal's next step: a
        lock-in moves or cancels it rather than book another)."""
        now = self.clock.now()
        return next(
            (
                m
                for m in self.repository.meetings_of(deal_id)
                if m.status is MeetingStatus.SCHEDULED and m.start_at > now
            ),
            None,
        )

    def buyer_zones(self, deal_id: str) -> list[str]:
        zones: list[str] = []
        for contact in self.repository.contacts_of(deal_id):
            if contact.timezone and contact.timezone not in zones:
                zones.append(contact.timezone)
        return zones

    # --- suggestions --------------------------------------------------------------------

    def suggest(
        self,
        actor: Actor,
        deal_id: str,
        *,
        minutes: int = 30,
        days: int | None = None,
        buyer_zones: Sequence[str] | None = None,
    ) -> Suggestions:
        """The slots to offer; the buyer's zones are those on file unless ``buyer_zones``
        names them (a form being filled in, as :meth:`check`)."""
        deal, rep = self.deal_and_rep(actor, deal_id)
        calendar = self._calendar(rep)
        now = self.clock.now()
        one, later = self.gap_from(deal_id)
        zones = list(buyer_zones) if buyer_zones else self.buyer_zones(deal_id)
        today = calendar.local_date(now)
        wanted = days or max(1, self.target - self.policy.earliest_business_days + 1)
        chosen: list[date] = []
        if one is not None:
            first_day = calendar.local_date(one.end_at)
            day = calendar.add_business_days(first_day, self.policy.earliest_business_days)
            while calendar.business_days_between(first_day, day) <= self.target:
                if day >= today and len(chosen) < wanted:
                    chosen.append(day)
                day = calendar.add_business_days(day, 1)
        if not chosen:  # no meeting one, or its window has passed: the next business days
            day = calendar.add_business_days(today + timedelta(days=1), 0)
            while len(chosen) < wanted:
                chosen.append(day)
                day = calendar.add_business_days(day, 1)
        window_start = calendar.at(chosen[0], time(0, 0))
        window_end = calendar.at(chosen[-1] + timedelta(days=1), time(0, 0))
        busy = self.repository.busy_between(rep.id, window_start, window_end)
        day_start, day_end = self.working_hours(rep)
        found: list[SlotDay] = []
        for day in chosen:
            slots: list[Slot] = []
            clock_time = datetime.combine(day, day_start)
            last = datetime.combine(day, day_end) - timedelta(minutes=minutes)
            while clock_time <= last:
                start = calendar.at(day, clock_time.time())
                end = start + timedelta(minutes=minutes)
                clock_time += timedelta(minutes=self.policy.step_minutes)
                if start <= now or any(m.start_at < end and m.end_at > start for m in busy):
                    continue
                slots.append(self._slot(rep, calendar, one, zones, start, end, busy=()))
            found.append(
                SlotDay(
                    day=day,
                    business_days=(
                        calendar.business_days_between(calendar.local_date(one.end_at), day)
                        if one is not None
                        else None
                    ),
                    slots=slots,
                )
            )
        return Suggestions(
            deal=deal,
            rep=rep,
            buyer_zones=zones,
            meeting_one=one,
            target_business_days=self.target,
            days=found,
            later=later,
        )

    def check(
        self,
        actor: Actor,
        deal_id: str,
        start: datetime,
        *,
        minutes: int = 30,
        ignore_meeting_id: str | None = None,
        buyer_zones: Sequence[str] | None = None,
    ) -> Slot:
        """A time picked by hand, with everything worth a second look about it; the buyer's
        zones are those on file unless ``buyer_zones`` names them (a form being filled in)."""
        _, rep = self.deal_and_rep(actor, deal_id)
        return self.check_for(
            rep,
            self.meeting_one(deal_id),
            deal_id,
            start,
            minutes=minutes,
            ignore_meeting_id=ignore_meeting_id,
            buyer_zones=buyer_zones,
        )

    def check_for(
        self,
        rep: Rep,
        one: Meeting | None,
        deal_id: str,
        start: datetime,
        *,
        minutes: int = 30,
        ignore_meeting_id: str | None = None,
        buyer_zones: Sequence[str] | None = None,
    ) -> Slot:
        """:meth:`check` on a deal the caller has read already, with :meth:`deal_and_rep`
        (its owner, ``rep``) and :meth:`meeting_one` (``one``)."""
        calendar = self._calendar(rep)
        end = start + timedelta(minutes=minutes)
        busy = [
            m for m in self.repository.busy_between(rep.id, start, end) if m.id != ignore_meeting_id
        ]
        zones = list(buyer_zones) if buyer_zones else self.buyer_zones(deal_id)
        slot = self._slot(rep, calendar, one, zones, start, end, busy=busy)
        if start <= self.clock.now():
            slot.warnings.insert(0, "this time has passed: pick one in the future")
        return slot

    def working_hours(self, rep: Rep) -> tuple[time, time]:
        """The rep's working day (local times): theirs where an administrator set it, else
        the policy's."""
        if rep.work_start is not None and rep.work_end is not None:
            return rep.work_start, rep.work_end
        return self.policy.day_start, self.policy.day_end

    # --- internals ----------------------------------------------------------------------

    def _calendar(self, rep: Rep) -> WorkCalendar:
        return WorkCalendar(tz=rep.timezone, country=rep.country, policy=self.calendar_policy)

    def _slot(
        self,
        rep: Rep,
        calendar: WorkCalendar,
        one: Meeting | None,
        zones: list[str],
        start: datetime,
        end: datetime,
        *,
        busy: Sequence[Meeting],
    ) -> Slot:
        day = calendar.local_date(start)
        who = rep.name or rep.id
        warnings: list[str] = []
        if not calendar.is_business_day(day):
            name = holiday_name(calendar.country, day)
            if name:
                warnings.append(f"{day:%A %-d %B} is a public holiday ({name}) for {who}")
            else:
                warnings.append(f"{day:%A} is not a business day for {who}")
        business_days = None
        if one is not None:
            business_days = calendar.business_days_between(calendar.local_date(one.end_at), day)
            if business_days > self.target:
                warnings.append(
                    f"{business_days} business days after meeting one: beyond the target of "
                    f"{self.target}"
                )
        local_start = calendar.local(start).time().replace(tzinfo=None)
        local_end = calendar.local(end).time().replace(tzinfo=None)
        day_start, day_end = self.working_hours(rep)
        if local_start < day_start or local_end > day_end or calendar.local_date(end) != day:
            warnings.append(
                f"outside {who}'s working hours ({day_start:%H:%M}–{day_end:%H:%M} {rep.timezone})"
            )
        for meeting in busy:
            warnings.append(
                f"overlaps {who}'s meeting at {time_of_day(meeting.start_at, rep.timezone)}"
            )
        for tz in zones:
            local = start.astimezone(zone(tz))
            if (
                local.time() < self.policy.day_start
                or (local + (end - start)).time() > self.policy.day_end
                or (local + (end - start)).date() != local.date()
            ):
                warnings.append(
                    f"outside the buyer's working hours ({self.policy.day_start:%H:%M}–"
                    f"{self.policy.day_end:%H:%M}): {time_of_day(start, tz)} for the buyer ({tz})"
                )
            if local.weekday() >= 5:
                warnings.append(f"a {local:%A} for the buyer ({tz})")
        return Slot(
            start=start,
            end=end,
            rep_time=when_short(start, rep.timezone),
            buyer_times=[when_short(start, tz) for tz in zones if tz != rep.timezone],
            rep_clock=time_of_day(start, rep.timezone),
            buyer_clocks=[_clock(start, tz, rep.timezone) for tz in zones if tz != rep.timezone],
            business_days=business_days,
            warnings=warnings,
        )


def _clock(instant: datetime, tz: str, rep_tz: str) -> str:
    """The time of ``instant`` in ``tz``, with its weekday when that is not the rep's day: the
    slot list names only the rep's days."""
    local, reps = instant.astimezone(zone(tz)), instant.astimezone(zone(rep_tz))
    clock = time_of_day(instant, tz)
    return clock if local.date() == reps.date() else f"{local:%a} {clock}"
