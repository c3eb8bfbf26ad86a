"""The live dashboard: ``momentum audit`` on the store for a scope (team, rep) and a period,
through the very same functions (:func:`momentum.audit.service.audit` over the store's
frames), so its figures equal ``momentum audit --json`` for the same scope and period.

Around the audit it adds what a live view needs: the deals behind every figure and finding.
Which weeks still have outcomes pending is the audit's own count (``AuditResult.weekly``, the
JSON's ``pending_by_week``), never a second one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import polars as pl
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentum.audit import result as metrics
from momentum.audit.charts import Chart, charts
from momentum.audit.facts import deal_facts
from momentum.audit.figures import RATE_COUNTS, with_first_meeting
from momentum.audit.result import AuditOptions, AuditResult
from momentum.audit.serialize import as_json
from momentum.audit.service import audit, figures_not_told, unknown_figures
from momentum.audit.store import load_dataset
from momentum.canonical import Dataset
from momentum.clock import Clock
from momentum.deal.models import Deal
from momentum.errors import InputError, NotFound
from momentum.meeting.models import Meeting, MeetingStatus
from momentum.rep.models import Rep
from momentum.review.cache import AuditCache
from momentum.review.scope import Scope, resolve_scope, restrict, scoped_dataset
from momentum.review.weeks import monday_of, week_of
from momentum.user.schemas import Actor

# The parts of a figure a manager can open, as deals of the audit's facts.
PARTS = ("numerator", "denominator", "rest")


# each rate of the report (by its JSON key) and the Figures field whose counts it is
FIGURE_FIELDS = {
    metrics.BOOKED.key: "booked",
    metrics.ON_THE_SPOT.key: "booked_on_the_spot",
    metrics.HELD.key: "held",
    metrics.RESCHEDULED.key: "rescheduled",
    metrics.ATTENDANCE.key: "attendance",
    metrics.CLOSE.key: "close",
    metrics.WITHIN_TARGET.key: "within_target",
}


def figure_filters(target_days: int) -> dict[str, tuple[pl.Expr, pl.Expr, pl.Expr]]:
    """Per rate key, which deals count in its numerator, its denominator, and the rest (the
    denominator's deals that missed). Attendance counts meetings: its deals are those with a
    meeting two attended, held or missed, and the rest those with a no-show."""
    counts = {
        **RATE_COUNTS,
        "within_target": (
            pl.col("m2_held") & (pl.col("gap_business_days") <= target_days),
            pl.col("m2_held"),
        ),
    }
    filters = {}
    for key, counted in FIGURE_FIELDS.items():
        numerator, denominator = (expr.cast(pl.Boolean) for expr in counts[counted])
        rest = denominator & ~numerator
        if counted == "attendance":
            rest = pl.col("no_show_attempts") > 0
        filters[key] = (numerator, denominator, rest)
    return filters


@dataclass(frozen=True)
class StoreFrames:
    """The whole store, read once for many views: its frames, each deal's facts (the audit's
    first and costliest step, the same in every view that has the deal) and when it was
    read."""

    read_at: datetime
    data: Dataset
    facts: pl.DataFrame
    unknown: dict[str, str]  # what the store's sources cannot tell (audit.unknown_figures)

    @classmethod
    def read(cls, session: Session, options: AuditOptions, now: datetime) -> StoreFrames:
        data = load_dataset(session)
        facts = deal_facts(data, grace=options.grace, default_timezone=options.default_timezone)
        return cls(now, data, facts, unknown_figures(data))


def store_unknown_figures(session: Session) -> dict[str, str]:
    """:func:`momentum.audit.service.unknown_figures` of the whole store, without reading
    it: whether any meeting is there, any a no-show, any with a booking time."""
    meetings = select(Meeting.id)
    return figures_not_told(
        meetings=session.scalar(select(meetings.exists())) or False,
        no_show=session.scalar(
            select(meetings.where(Meeting.status == MeetingStatus.NO_SHOW).exists())
        )
        or False,
        booking_time=session.scalar(select(meetings.where(Meeting.booked_at.is_not(None)).exists()))
        or False,
    )


def store_audit(
    session: Session,
    scope: Scope,
    options: AuditOptions,
    *,
    sources: Sequence[str] = ("store",),
    frames: StoreFrames | None = None,
) -> AuditResult:
    """The audit of the store's deals in ``scope``: ``momentum audit``'s own code path.
    ``frames`` is the whole store when already read (else the scope's rows are read now).
    Outcomes are as of now unless ``options`` say otherwise."""
    if options.as_of is None:
        options = replace(options, as_of=datetime.now(UTC))
    # what the sources cannot tell is told of the whole store, never of the scope's part
    if frames is None:
        data = scoped_dataset(session, scope)
        # only what the scope's own rows cannot tell needs the whole store asked
        partial = scope.owner_ids is not None and unknown_figures(data)
        unknown = store_unknown_figures(session) if partial else None
        return audit(data, options, sources=sources, unknown=unknown)
    owners = scope.owner_ids
    facts = frames.facts
    if owners is not None:  # the scope's deals, as restrict() keeps them
        facts = facts.filter(pl.col("owner_id").cast(pl.String).is_in(sorted(owners)))
    return audit(
        restrict(frames.data, owners),
        options,
        sources=sources,
        facts=facts,
        unknown=frames.unknown,
    )


class DealLink(BaseModel):
    deal_id: str
    label: str
    owner_id: str
    outcome: str


@dataclass
class View:
    """A view's audit; ``as_of`` is when the store was read for it. Cached, and shared by
    every viewer of the same deals and period, whatever their filters call them."""

    options: AuditOptions
    as_of: datetime
    result: AuditResult
    _charts: list[Chart] | None = field(default=None, repr=False)
    _drawing: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def charts(self) -> list[Chart]:
        """The report's charts, drawn once per view (the first to ask draws them; drawing
        takes a good part of a second, one chart at a time in the process)."""
        with self._drawing:
            if self._charts is None:
                self._charts = charts(self.result)
            return self._charts

    @property
    def report(self) -> dict[str, Any]:
        """The documented JSON object, as ``momentum audit --json`` writes it."""
        return as_json(self.result)

    @property
    def pending_weeks(self) -> set[str]:
        """The weeks of meeting one with deals whose outcome is pending, as the audit counts
        them (the JSON's ``pending_by_week``)."""
        return {week.week for week in self.result.weekly if week.pending}


@dataclass(frozen=True)
class Dashboard:
    """A view as one viewer asked for it: the scope they named (its label heads the page)
    and the view's audit."""

    scope: Scope
    view: View

    @property
    def options(self) -> AuditOptions:
        return self.view.options

    @property
    def as_of(self) -> datetime:
        return self.view.as_of

    @property
    def result(self) -> AuditResult:
        return self.view.result

    @property
    def charts(self) -> list[Chart]:
        return self.view.charts

    @property
    def report(self) -> dict[str, Any]:
        return self.view.report

    @property
    def pending_weeks(self) -> set[str]:
        return self.view.pending_weeks


class DashboardService:
    """``cache`` (the web app's) keeps the store's frames and each view a few seconds; without
    one every call reads the store."""

    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        defaults: AuditOptions,
        cache: AuditCache | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.defaults = defaults
        self.cache = cache or AuditCache(max_age=0)

    def options(self, *, since: date | None, until: date | None) -> AuditOptions:
        if since is not None and until is not None and since > until:
            raise InputError(f"the period starts ({since}) after it ends ({until})")
        return AuditOptions(
            target_days=self.defaults.target_days,
            grace=self.defaults.grace,
            since=since,
            until=until,
            default_timezone=self.defaults.default_timezone,
        )

    def dashboard(
        self,
        actor: Actor,
        *,
        team: str | None = None,
        rep: str | None = None,
        since: date | None = None,
        until: date | None = None,
        refresh: bool = False,
    ) -> Dashboard:
        """The view of ``actor``'s scope (narrowed to ``team`` or ``rep``) and period: from the
        cache when it has it, else computed (and with ``refresh``, from the store read
        again). Outcomes are as of when the store was read."""
        scope = resolve_scope(self.session, actor, team=team, rep_id=rep)
        options = self.options(since=since, until=until)

        def compute() -> View:
            frames = self.frames(refresh=refresh)
            as_of_read = replace(options, as_of=frames.read_at)
            result = store_audit(self.session, scope, as_of_read, frames=frames)
            return View(options=as_of_read, as_of=frames.read_at, result=result)

        # keyed by the deals, not the filters: a manager's "everyone" and their one team
        # share a view, each under its own heading
        key = ("dashboard", scope.owner_ids, options)
        return Dashboard(scope, self.cache.result(key, compute, refresh=refresh))

    def frames(self, *, refresh: bool = False) -> StoreFrames:
        """The whole store's frames and facts: from the cache when it has them, else read
        now."""
        return self.cache.frames(
            lambda: StoreFrames.read(self.session, self.defaults, self.clock.now()),
            refresh=refresh,
        )

    def deals_behind(
        self,
        dashboard: Dashboard,
        *,
        figure: str | None = None,
        part: str = "numerator",
        finding: str | None = None,
        week: str | None = None,
        rep: str | None = None,
        limit: int = 500,
    ) -> tuple[list[DealLink], int]:
        """The deals behind a figure (its numerator, its denominator, or the rest: counted in
        the denominator but not the numerator), optionally of one week or rep, or behind a
        finding; at most ``limit`` of them, with how many there are."""
        facts = with_first_meeting(dashboard.result.facts)
        if finding is not None:
            ids = finding_deal_ids(dashboard.result, finding)
        else:
            filters = figure_filters(dashboard.options.target_days)
            if not figure:
                raise InputError("figure: name a figure (figure=) or a finding (finding=)")
            if figure not in filters or part not in PARTS:
                raise NotFound(f"no figure {figure!r}")
            numerator, denominator, rest = filters[figure]
            chosen = {
                "numerator": denominator & numerator,
                "denominator": denominator,
                "rest": rest,
            }[part]
            if week is not None:
                chosen &= pl.col("week").cast(pl.String) == week_of(monday_of(week))
            if rep is not None:
                owners = dashboard.scope.owner_ids
                visible = rep in owners if owners is not None else self.session.get(Rep, rep)
                if not visible:
                    raise NotFound(f"no rep {rep!r}")  # outside the view, as if not there
                chosen &= pl.col("owner_id").cast(pl.String) == rep
            ids = facts.filter(chosen.fill_null(False))["deal_id"].to_list()
        return self.links(ids[:limit]), len(ids)

    def links(self, deal_ids: list[str]) -> list[DealLink]:
        found: dict[str, DealLink] = {}
        for start in range(0, len(deal_ids), 1000):
            for deal in self.session.scalars(
                select(Deal).where(Deal.id.in_(deal_ids[start : start + 1000]))
            ):
                found[deal.id] = DealLink(
                    deal_id=deal.id,
                    label=deal.account or deal.name or deal.id,
                    owner_id=deal.owner_id,
                    outcome=deal.outcome,
                )
        return [found[i] for i in deal_ids if i in found]


def finding_deal_ids(result: AuditResult, finding_id: str) -> list[str]:
    """The deals a finding is about, as the audit lists them (``deal_ids``)."""
    for item in result.findings:
        if item.id == finding_id:
            return item.deal_ids.to_list()
    raise NotFound(f"no finding {finding_id!r}")
