"""The sales calendar: a week (Monday to Sunday), a month or a day of meetings in the viewer's
zone, each with its place in its deal; meeting two's business-day gap from meeting one, marked
beyond the target; deals with meeting one held and no meeting two booked as open gaps; the
weekends and the reps' public holidays. A manager narrows it to a rep or a team.

A week or month shows each day's first meetings (``DAY_LIMIT``) and how many more there are;
the day view shows them all."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.deal.models import Outcome
from momentum.errors import NotFound
from momentum.localtime import localize, zone
from momentum.meeting.schemas import MeetingState, meeting_state
from momentum.rep.models import Rep
from momentum.schedule.positions import Place, meeting_name, meeting_numbers, places_of
from momentum.schedule.repository import ScheduleRepository
from momentum.schedule.slots import deal_label_of, holiday_name
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService
from momentum.worktime import CalendarPolicy, WorkCalendar

OPEN_GAP_LOOKBACK_DAYS = 42  # how far before the view an unanswered meeting one still shows
OPEN_GAP_LIMIT = 50  # open gaps listed, the latest meetings one first


class Mode(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"
    DAY = "day"


# meetings shown in a day's cell, the earliest first (the day view has them all)
DAY_LIMIT = {Mode.WEEK: 12, Mode.MONTH: 5}


@dataclass
class CalendarMeeting:
    id: str
    deal_id: str
    deal_label: str
    owner_id: str
    owner_name: str
    start: datetime  # in the viewer's zone
    end: datetime
    state: MeetingState
    place: Place
    gap_business_days: int | None = None  # meeting two: business days after meeting one
    over_target: bool = False
    open_gap: bool = False  # meeting one held, no meeting two booked
    number: int = 1  # 1, 2, then 3, 4… for later meetings (positions.meeting_numbers)

    @property
    def name(self) -> str:
        return meeting_name(self.number)


@dataclass
class CalendarDay:
    day: date
    in_range: bool  # False for the days a month grid shows of the months around it
    is_today: bool
    weekend: bool
    holidays: list[str]  # "Good Friday (DE: Ana, Bo)"
    meetings: list[CalendarMeeting] = field(default_factory=list)
    total: int = 0  # the day's meetings, shown or not

    @property
    def more(self) -> int:
        """The meetings of the day beyond those shown (the day view shows them)."""
        return self.total - len(self.meetings)

    @property
    def shaded(self) -> bool:
        return self.weekend or bool(self.holidays)


@dataclass
class OpenGap:
    deal_id: str
    deal_label: str
    owner_name: str
    meeting_one_id: str
    meeting_one_start: datetime  # in the viewer's zone
    business_days: int  # since meeting one, in the owner's calendar
    over_target: bool


@dataclass
class SalesCalendar:
    mode: Mode
    tz: str
    anchor: date
    first: date
    last: date  # inclusive
    previous: date
    next: date
    weeks: list[list[CalendarDay]]
    open_gaps: list[OpenGap]  # the latest OPEN_GAP_LIMIT
    open_gaps_total: int
    reps: list[Rep]  # whom the viewer may filter on
    teams: list[str]
    rep_id: str | None
    team: str | None
    target_business_days: int

    @property
    def title(self) -> str:
        if self.mode is Mode.MONTH:
            return f"{self.anchor:%B %Y}"
        if self.mode is Mode.DAY:
            return f"{self.anchor:%A %-d %B %Y}"
        return f"{self.first:%-d %b} – {self.last:%-d %b %Y}"


class SalesCalendarService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        calendar_policy: CalendarPolicy,
        target_business_days: int,
    ) -> None:
        self.session = session
        self.clock = clock
        self.calendar_policy = calendar_policy
        self.target = target_business_days
        self.repository = ScheduleRepository(session)
        self.scope = ScopeService(session)

    def view(
        self,
        actor: Actor,
        *,
        tz: str,
        anchor: date | None = None,
        mode: Mode = Mode.WEEK,
        rep_id: str | None = None,
        team: str | None = None,
    ) -> SalesCalendar:
        now = self.clock.now()
        today = now.astimezone(zone(tz)).date()
        anchor = anchor or today
        visible = self.scope.visible_owner_ids(actor)
        reps = self.repository.reps(visible)
        owners = self._narrow(visible, reps, rep_id, team)
        shown_reps = [r for r in reps if owners is None or r.id in owners]
        first, last, previous, following = _range(mode, anchor)
        dates = [first + timedelta(days=n) for n in range((last - first).days + 2)]
        midnights = [localize(datetime.combine(d, time(0)), tz) for d in dates]
        start, end = midnights[0], midnights[-1]
        lookback = start - timedelta(days=OPEN_GAP_LOOKBACK_DAYS)
        firsts, counts = self.repository.first_of_each_day(owners, midnights, DAY_LIMIT.get(mode))
        totals = dict(zip(dates[:-1], counts, strict=True))
        deal_ids = {row.deal_id for row in firsts}
        local = zone(tz)
        rows = self.repository.open_gap_candidate_rows(owners, lookback, end)
        open_deals = {row[1] for row in rows}  # the candidates are open deals
        rows += self.repository.meeting_rows(sorted(deal_ids - open_deals))
        places = places_of(rows)
        rep_by_id = {r.id: r for r in reps}
        calendars: dict[str, WorkCalendar] = {}

        def calendar_of(rep_id: str) -> WorkCalendar:
            if rep_id not in calendars:
                rep = rep_by_id.get(rep_id)
                calendars[rep_id] = WorkCalendar(
                    tz=rep.timezone if rep else "UTC",
                    country=rep.country if rep else None,
                    policy=self.calendar_policy,
                )
            return calendars[rep_id]

        def owner_name(rep_id: str) -> str:
            owner = rep_by_id.get(rep_id)
            return (owner.name or owner.id) if owner else rep_id

        days = self._days(first, last, mode, anchor, today, shown_reps, calendar_of)
        by_day = {d.day: d for week in days for d in week}
        for local_day, total in totals.items():
            if local_day in by_day:
                by_day[local_day].total = total
        for row in firsts:
            deal_places = places.get(row.deal_id)
            place = deal_places.places.get(row.id) if deal_places else None
            if row.outcome is Outcome.OPEN:
                open_deals.add(row.deal_id)
            shown = CalendarMeeting(
                id=row.id,
                deal_id=row.deal_id,
                deal_label=deal_label_of(account=row.account, name=row.name, deal_id=row.deal_id),
                owner_id=row.owner_id,
                owner_name=owner_name(row.owner_id),
                start=row.start_at.astimezone(local),
                end=row.end_at.astimezone(local),
                state=meeting_state(row, now),
                place=place or Place.MEETING_ONE,
            )
            if place is Place.MEETING_TWO:
                shown.number = 2
            elif place is Place.LATER:
                shown.number = meeting_numbers(deal_places)[row.id]
            if deal_places is not None and deal_places.m1_start is not None:
                if place is Place.MEETING_TWO:
                    work = calendar_of(row.owner_id)
                    shown.gap_business_days = work.business_days_between(
                        work.local_date(deal_places.m1_start), work.local_date(row.start_at)
                    )
                    shown.over_target = shown.gap_business_days > self.target
                if row.id == deal_places.m1_id and deal_places.open_gap:
                    shown.open_gap = row.outcome is Outcome.OPEN
            day = by_day.get(shown.start.date())
            if day is not None:
                day.meetings.append(shown)
        open_gaps = sorted(
            (
                (p.m1_start, deal_id, p)
                for deal_id, p in places.items()
                if p.open_gap
                and deal_id in open_deals
                and p.m1_start is not None
                and lookback <= p.m1_start < end
            ),
            reverse=True,
        )
        gap_deals = self.repository.deal_labels([d for _, d, _ in open_gaps[:OPEN_GAP_LIMIT]])
        gaps = []
        for m1_start, deal_id, deal_places in open_gaps[:OPEN_GAP_LIMIT]:
            deal = gap_deals[deal_id]
            if deal.outcome is not Outcome.OPEN:
                continue
            assert deal_places.m1_id is not None
            work = calendar_of(deal.owner_id)
            since = work.business_days_between(work.local_date(m1_start), work.local_date(now))
            gaps.append(
                OpenGap(
                    deal_id=deal_id,
                    deal_label=deal_label_of(account=deal.account, name=deal.name, deal_id=deal_id),
                    owner_name=owner_name(deal.owner_id),
                    meeting_one_id=deal_places.m1_id,
                    meeting_one_start=m1_start.astimezone(local),
                    business_days=max(since, 0),
                    over_target=since > self.target,
                )
            )
        return SalesCalendar(
            mode=mode,
            tz=tz,
            anchor=anchor,
            first=first,
            last=last,
            previous=previous,
            next=following,
            weeks=days,
            open_gaps=gaps,
            open_gaps_total=len(open_gaps),
            reps=reps,
            teams=sorted({r.team for r in reps if r.team}),
            rep_id=rep_id,
            team=team,
            target_business_days=self.target,
        )

    def _narrow(
        self,
        visible: frozenset[str] | None,
        reps: list[Rep],
        rep_id: str | None,
        team: str | None,
    ) -> frozenset[str] | None:
        owners = visible
        if rep_id:
            if rep_id not in {r.id for r in reps}:  # ``reps`` are the visible ones
                raise NotFound(f"no rep {rep_id!r} among the reps you can see")
            owners = frozenset([rep_id])
        if team:
            members = frozenset(r.id for r in reps if r.team == team)
            if not members:
                raise NotFound(f"no team {team!r} among the reps you can see")
            owners = members if owners is None else owners & members
        return owners

    def _days(
        self,
        first: date,
        last: date,
        mode: Mode,
        anchor: date,
        today: date,
        reps: list[Rep],
        calendar_of: Callable[[str], WorkCalendar],
    ) -> list[list[CalendarDay]]:
        weekend_days = {
            i
            for i, name in enumerate(
                ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
            )
            if name in self.calendar_policy.weekend
        }
        countries: dict[str, list[str]] = {}
        for rep in reps:
            country = calendar_of(rep.id).country
            if country:
                countries.setdefault(country, []).append(rep.name or rep.id)
        weeks: list[list[CalendarDay]] = []
        day = first
        while day <= last:
            week: list[CalendarDay] = []
            for _ in range(1 if mode is Mode.DAY else 7):
                names = []
                for country, who in sorted(countries.items()):
                    name = holiday_name(country, day)
                    if name:
                        people = "" if len(reps) <= 1 else f": {', '.join(who)}"
                        names.append(f"{name} ({country}{people})")
                week.append(
                    CalendarDay(
                        day=day,
                        in_range=mode is not Mode.MONTH or day.month == anchor.month,
                        is_today=day == today,
                        weekend=day.weekday() in weekend_days,
                        holidays=names,
                    )
                )
                day += timedelta(days=1)
            weeks.append(week)
        return weeks


def _range(mode: Mode, anchor: date) -> tuple[date, date, date, date]:
    """(first day shown, last day shown, an anchor for the period before, for the one after)."""
    if mode is Mode.DAY:
        return anchor, anchor, anchor - timedelta(days=1), anchor + timedelta(days=1)
    if mode is Mode.WEEK:
        first = anchor - timedelta(days=anchor.weekday())
        return (
            first,
            first + timedelta(days=6),
            anchor - timedelta(days=7),
            anchor + timedelta(days=7),
        )
    month_start = anchor.replace(day=1)
    next_month = (month_start + timedelta(days=32)).replace(day=1)
    first = month_start - timedelta(days=month_start.weekday())
    last_of_month = next_month - timedelta(days=1)
    last = last_of_month + timedelta(days=6 - last_of_month.weekday())
    previous = (month_start - timedelta(days=1)).replace(day=1)
    return first, last, previous, next_month
