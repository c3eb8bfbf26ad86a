"""The built-in rules, registered the way your own rules are (docs/rules.md).

Each says, with ``context.recheck_at``, when the passing of time alone may change what it
finds on a deal, so the worker's sweeps skip the deals that neither changed nor fell due."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from pydantic import Field

from momentum import defaults
from momentum.flag.models import Severity
from momentum.meeting.definitions import BOOKED
from momentum.meeting.models import MeetingStatus
from momentum.next_step.models import Side
from momentum.next_step.schemas import parse_agenda
from momentum.rules.facts import DealFacts, MeetingFact
from momentum.rules.registry import (
    Finding,
    Rule,
    RuleContext,
    RuleOptions,
    RuleRegistry,
    TaskRequest,
)

# Upper bounds for the options (in the rules file and in Settings alike): beyond them a value
# is a typing slip, and dates computed from it leave the calendar.
MINUTES_A_DAY = 24 * 60
BUSINESS_DAYS_A_YEAR = 260
DAYS_IN_TEN_YEARS = 3650


class MeetingTwoNotBooked(Rule):
    """M1 held and no M2 booked within the grace after M1's end."""

    key = "meeting_two_not_booked"
    title = "Meeting two not booked"
    declares_recheck = True

    class Options(RuleOptions):
        grace_minutes: int = Field(
            default=defaults.ON_THE_SPOT_GRACE_MINUTES, ge=0, le=MINUTES_A_DAY
        )
        task_business_days: int = Field(default=1, ge=0, le=BUSINESS_DAYS_A_YEAR)
        alert: bool = True

    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
        options: MeetingTwoNotBooked.Options = context.options
        m1 = deal.first_meeting()
        if m1 is None:
            return None
        if any(a.status in BOOKED for a in deal.second_meeting_attempts()):
            return None
        deadline = m1.end_at + timedelta(minutes=options.grace_minutes)
        if context.now <= deadline:
            context.recheck_at(deadline)
            return None
        calendar = context.calendar(deal)
        return Finding(
            reason=f"Meeting one was held on {context.day(deal, m1.start_at)} and meeting two "
            "is not booked",
            severity=Severity.WARNING,
            task=TaskRequest(
                title=f"Book meeting two with {deal.label}",
                due_at=calendar.business_deadline(m1.end_at, options.task_business_days),
            ),
            since=deadline,
        )


class NoShow(Rule):
    """A no-show creates a task to rebook within 1 business day."""

    key = "no_show"
    title = "Buyer did not show up"
    declares_recheck = True

    class Options(RuleOptions):
        rebook_business_days: int = Field(default=1, ge=0, le=BUSINESS_DAYS_A_YEAR)
        alert: bool = True

    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
        options: NoShow.Options = context.options
        no_shows = [m for m in deal.meetings if m.status is MeetingStatus.NO_SHOW]
        if not no_shows:
            return None
        last = no_shows[-1]
        if any(
            m.start_at > last.start_at and m.status is not MeetingStatus.CANCELED
            for m in deal.meetings
        ):
            return None  # rebooked (or held since)
        return Finding(
            reason=f"The buyer did not show up on {context.day(deal, last.start_at)} and "
            "nothing is rebooked",
            severity=Severity.CRITICAL,
            task=TaskRequest(
                title=f"Rebook {deal.label} after the no-show",
                due_at=context.calendar(deal).business_deadline(
                    last.end_at, options.rebook_business_days
                ),
            ),
            since=last.end_at,
        )


class GapTooLong(Rule):
    """M2 booked more than the target business days after M1."""

    key = "gap_too_long"
    title = "Gap too long"
    declares_recheck = True

    class Options(RuleOptions):
        target_business_days: int = Field(
            default=defaults.TARGET_BUSINESS_DAYS, ge=0, le=BUSINESS_DAYS_A_YEAR
        )

    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
        options: GapTooLong.Options = context.options
        booked = deal.booked_second_meeting()
        if booked is None:
            return None
        m1, m2 = booked
        calendar = context.calendar(deal)
        gap = calendar.business_days_between(
            calendar.local_date(m1.start_at), calendar.local_date(m2.start_at)
        )
        if gap <= options.target_business_days:
            return None
        return Finding(
            reason=f"Meeting two is {gap} business days after meeting one "
            f"(target: {options.target_business_days})",
            severity=Severity.WARNING,
            since=m2.booked_at,
        )


@lru_cache(maxsize=4096)
def _agenda_gap(agenda: str | None) -> str | None:
    """What a meeting's agenda lacks ("no agenda", or nothing for one side), or ``None``.
    Cached by text: agendas are mostly a few templates, and a sweep reads every booked
    meeting two's."""
    items = parse_agenda(agenda)
    if not items:
        return "no agenda"
    sides = {side for side, _ in items if side is not None}
    if len(sides) == 1:
        only = next(iter(sides))
        other = "buyer" if only is Side.SELLER else "seller"
        return f"nothing on the agenda for the {other}"
    return None


class MeetingTwoIncomplete(Rule):
    """M2 with no agenda (or a one-sided one), or no buyer homework."""

    key = "meeting_two_incomplete"
    title = "Meeting two has no agenda or homework"
    declares_recheck = True

    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
        booked = deal.booked_second_meeting()
        if booked is None:
            return None
        m2 = booked[1]
        missing: list[str] = []
        agenda_gap = _agenda_gap(m2.agenda)
        if agenda_gap is not None:
            missing.append(agenda_gap)
        if not (m2.homework or "").strip():
            missing.append("no buyer homework")
        if not missing:
            return None
        return Finding(
            reason=f"Meeting two on {context.day(deal, m2.start_at)} has " + " and ".join(missing),
            severity=Severity.INFO,
            since=m2.booked_at,
        )


class NextStepMissing(Rule):
    """Every open deal has a next step: a future meeting, or a task with a due date."""

    key = "next_step_missing"
    title = "No next step"
    declares_recheck = True

    class Options(RuleOptions):
        business_days: int = Field(default=1, ge=0, le=BUSINESS_DAYS_A_YEAR)

    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
        options: NextStepMissing.Options = context.options
        # The cheap checks first; the meetings are scanned only when none of them holds.
        asked = deal.open_task_rules  # another rule's open task is a next step too
        if deal.has_task_step or deal.has_manual_task or len(asked) > (self.key in asked):
            return None
        # One pass over the meetings (by start): a future one still scheduled is a next step;
        # otherwise the clock runs from the end of the last one that took place (or was
        # missed), or from the deal's opening.
        now = context.now
        last_past: MeetingFact | None = None
        for meeting in deal.meetings:
            if meeting.start_at > now:
                if meeting.status is MeetingStatus.SCHEDULED:
                    context.recheck_at(meeting.start_at)  # then it is no longer ahead
                    return None
            elif meeting.status is not MeetingStatus.CANCELED:
                last_past = meeting
        reference = deal.opened_at if last_past is None else last_past.end_at
        calendar = context.calendar(deal)
        deadline = calendar.business_deadline(reference, options.business_days)
        if now <= deadline:
            context.recheck_at(deadline)
            return None
        since = "it was opened" if last_past is None else "its last meeting"
        return Finding(
            reason=f"Nothing is booked or due since {since} on {context.day(deal, reference)}",
            severity=Severity.WARNING,
            task=TaskRequest(title=f"Set the next step for {deal.label}", due_at=deadline),
            since=deadline,
        )


class Stalled(Rule):
    """No activity for N days."""

    key = "stalled"
    title = "Stalled"
    declares_recheck = True

    class Options(RuleOptions):
        days: int = Field(default=defaults.STALLED_DAYS, ge=1, le=DAYS_IN_TEN_YEARS)

    def evaluate(self, deal: DealFacts, context: RuleContext) -> Finding | None:
        options: Stalled.Options = context.options
        last = deal.last_activity or deal.opened_at
        quiet = context.now - last
        allowed = timedelta(days=options.days)
        if quiet <= allowed:
            context.recheck_at(last + allowed)
            return None
        context.recheck_at(last + timedelta(days=quiet.days + 1))  # the reason's count of days
        ahead = next((m.start_at for m in deal.meetings if m.start_at > context.now), None)
        if ahead is not None:  # a meeting that starts is activity
            context.recheck_at(ahead)
        return Finding(
            reason=f"No activity for {quiet.days} days (since {context.day(deal, last)})",
            severity=Severity.WARNING,
            since=last + allowed,
        )


BUILTIN_RULES: tuple[type[Rule], ...] = (
    MeetingTwoNotBooked,
    NoShow,
    GapTooLong,
    MeetingTwoIncomplete,
    NextStepMissing,
    Stalled,
)


def register(registry: RuleRegistry) -> None:
    for rule in BUILTIN_RULES:
        registry.add(rule())
