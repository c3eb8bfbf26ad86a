"""The weekly review: per rep, what happened to their second meetings in a week, against
their own previous four weeks, and the commitments made at the last review.

The figures come from the audit's facts (:func:`momentum.audit.facts.deal_facts`: the same
M1, M2, on-the-spot and gap as every report) over the store, narrowed to the viewer's scope.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

import polars as pl
from sqlalchemy.orm import Session

from momentum import defaults
from momentum.audit.facts import deal_facts
from momentum.audit.outcomes import observe
from momentum.canonical import Dataset
from momentum.clock import Clock
from momentum.errors import Conflict, InputError, NotFound, PermissionDenied
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.review import weeks
from momentum.review.models import CommitmentMetric, ReviewCommitment
from momentum.review.repository import CommitmentRepository, overdue_tasks
from momentum.review.schemas import (
    AT_LEAST,
    COUNTS,
    Baseline,
    CommitmentView,
    NewCommitment,
    RepReview,
    WeekFigures,
    WeeklyReview,
)
from momentum.review.scope import Scope, local_dates, resolve_scope, scoped_dataset
from momentum.user.models import Role
from momentum.user.schemas import Actor

PREVIOUS_WEEKS = 4


def _week_label(dates: pl.Expr) -> pl.Expr:
    """ISO week labels such as ``2026-W05``."""
    return dates.dt.strftime("%G-W%V")


def _count_by(frame: pl.DataFrame, **counts: pl.Expr) -> dict[tuple[str, str], dict[str, int]]:
    """``{(owner, week): {name: count}}`` of a frame with ``owner_id`` and ``week``."""
    if frame.height == 0:
        return {}
    grouped = frame.group_by("owner_id", "week").agg(
        *(expr.cast(pl.Int64).sum().alias(name) for name, expr in counts.items())
    )
    return {
        (row["owner_id"], row["week"]): {name: int(row[name] or 0) for name in counts}
        for row in grouped.iter_rows(named=True)
    }


class WeeklyFigures:
    """The review's counts for a run of weeks, per rep, from one read of the store."""

    def __init__(
        self,
        session: Session,
        data: Dataset,
        scope: Scope,
        *,
        first_week: str,
        last_week: str,
        target_days: int,
        grace: timedelta,
        as_of: datetime,
        default_timezone: str = "UTC",
    ) -> None:
        self.first_day = weeks.monday_of(first_week)
        self.end_day = weeks.days(last_week)[1]
        self.target_days = target_days
        self.as_of = as_of
        self.counts: dict[tuple[str, str], dict[str, int]] = {}
        zones = data.reps.select("rep_id", "timezone")
        self._add(self._first_and_second(data, grace, default_timezone))
        self._add(self._meetings(data, zones))
        self._add(self._outcomes(data, zones))
        self._add(self._slipped(session, scope, data, zones))

    def figures(self, rep_id: str, week: str) -> WeekFigures:
        return WeekFigures(week=week, **self.counts.get((rep_id, week), {}))

    def _add(self, found: dict[tuple[str, str], dict[str, int]]) -> None:
        for key, values in found.items():
            self.counts.setdefault(key, {}).update(values)

    def _in_range(self, column: str) -> pl.Expr:
        return pl.col(column).is_between(self.first_day, self.end_day, closed="left")

    def _utc_range(self) -> tuple[datetime, datetime]:
        """The weeks in UTC, a day wider on each side for every zone's local days."""
        start = datetime.combine(self.first_day - timedelta(days=1), time(), tzinfo=UTC)
        end = datetime.combine(self.end_day + timedelta(days=1), time(), tzinfo=UTC)
        return start, end

    def _first_and_second(
        self, data: Dataset, grace: timedelta, default_timezone: str
    ) -> dict[tuple[str, str], dict[str, int]]:
        facts = deal_facts(data, grace=grace, default_timezone=default_timezone)
        # outcomes not known yet, as the audit says them (its ``pending`` column)
        facts = observe(
            facts, as_of=self.as_of, window=defaults.OBSERVATION_BUSINESS_DAYS
        ).with_columns(pl.col("owner_id").cast(pl.String), pl.col("pending").fill_null(False))
        first = facts.filter(self._in_range("m1_date")).with_columns(
            _week_label(pl.col("m1_date")).alias("week")
        )
        booked = pl.col("m2_booked").fill_null(False)
        spot = pl.col("on_the_spot")
        found = _count_by(
            first,
            first_meetings=pl.col("deal_id").is_not_null(),
            on_the_spot=booked & spot.fill_null(False),
            booked_later=booked & spot.is_not_null() & ~spot.fill_null(True),
            booked_timing_unknown=booked & spot.is_null(),
            not_booked=~booked,
            pending=pl.col("pending"),
        )
        second = facts.filter(
            pl.col("m2_held").fill_null(False) & self._in_range("m2_date")
        ).with_columns(_week_label(pl.col("m2_date")).alias("week"))
        for key, values in _count_by(
            second,
            second_meetings_held=pl.col("deal_id").is_not_null(),
            gaps_beyond_target=pl.col("gap_business_days") > self.target_days,
        ).items():
            found.setdefault(key, {}).update(values)
        return found

    def _meetings(
        self, data: Dataset, zones: pl.DataFrame
    ) -> dict[tuple[str, str], dict[str, int]]:
        start, end = self._utc_range()
        meetings = (
            data.meetings.lazy()
            .filter(
                pl.col("status").is_in(["no_show", "rescheduled"]),
                pl.col("start") >= start,
                pl.col("start") < end,
            )
            .select("deal_id", "start", "status")
            .join(data.deals.lazy().select("deal_id", "owner_id"), on="deal_id")
            .join(zones.lazy(), left_on="owner_id", right_on="rep_id", how="left")
            .collect()
        )
        return self._weekly(
            meetings,
            "start",
            no_shows=pl.col("status") == "no_show",
            reschedules=pl.col("status") == "rescheduled",
        )

    def _outcomes(
        self, data: Dataset, zones: pl.DataFrame
    ) -> dict[tuple[str, str], dict[str, int]]:
        start, end = self._utc_range()
        closed = (
            data.deals.lazy()
            .filter(pl.col("closed_at") >= start, pl.col("closed_at") < end)
            .select("owner_id", "closed_at", "outcome")
            .join(zones.lazy(), left_on="owner_id", right_on="rep_id", how="left")
            .collect()
        )
        return self._weekly(
            closed, "closed_at", won=pl.col("outcome") == "won", lost=pl.col("outcome") == "lost"
        )

    def _slipped(
        self, session: Session, scope: Scope, data: Dataset, zones: pl.DataFrame
    ) -> dict[tuple[str, str], dict[str, int]]:
        """Deals that slipped: in a week, their next step (a task with a due date) was overdue
        at some moment and their stage did not change. Overdue runs from the task's due time (or
        its creation, if it was created past due) until it is done, the deal closes, or as-of.
        A stage change is an entry in the deal's stage history whose stage differs from the one
        before (as the audit's stage timeline reads it); a store without stage history knows
        of no change."""
        start, end = self._utc_range()
        rows = overdue_tasks(session, scope.owner_ids, since=start, until=min(end, self.as_of))
        tasks = pl.DataFrame(
            rows,
            schema={
                "owner_id": pl.String,
                "deal_id": pl.String,
                "due": pl.Datetime("us", "UTC"),
                "done": pl.Datetime("us", "UTC"),
                "closed": pl.Datetime("us", "UTC"),
            },
            orient="row",
        ).join(zones, left_on="owner_id", right_on="rep_id", how="left")
        if tasks.height == 0:
            return {}
        over = pl.min_horizontal("done", "closed", pl.lit(self.as_of, pl.Datetime("us", "UTC")))
        tasks = tasks.with_columns(over.alias("over"))
        # overdue in the week [monday, next monday) when it starts before its end and ends
        # after its start: the last overdue instant's local date is on or after the monday
        tasks = tasks.with_columns(
            local_dates(tasks["due"], tasks["timezone"]).alias("first_day"),
            local_dates(tasks["over"] - timedelta(microseconds=1), tasks["timezone"]).alias(
                "last_day"
            ),
        )
        mondays = pl.DataFrame(
            {"monday": pl.date_range(self.first_day, self.end_day, "1w", closed="left", eager=True)}
        )
        overdue = (
            tasks.join(mondays, how="cross")
            .filter(
                pl.col("first_day") < pl.col("monday") + timedelta(days=7),
                pl.col("last_day") >= pl.col("monday"),
            )
            .with_columns(_week_label(pl.col("monday")).alias("week"))
            .select("owner_id", "deal_id", "week")
        )
        slipped = overdue.join(self._stage_moves(data, zones), on=["deal_id", "week"], how="anti")
        if slipped.height == 0:
            return {}
        per_deal = slipped.group_by("owner_id", "week").agg(pl.col("deal_id").n_unique())
        return {
            (row["owner_id"], row["week"]): {"slipped": int(row["deal_id"])}
            for row in per_deal.iter_rows(named=True)
        }

    def _stage_moves(self, data: Dataset, zones: pl.DataFrame) -> pl.DataFrame:
        """(deal_id, week) of each week a deal's stage changed, in its owner's zone."""
        empty = pl.DataFrame(schema={"deal_id": pl.String, "week": pl.String})
        if data.stages is None:
            return empty
        moved = (pl.col("stage") != pl.col("stage").shift(1).over("deal_id")).fill_null(True)
        entries = (
            data.stages.filter(pl.col("entered_at") <= self.as_of)
            .sort("deal_id", "entered_at", maintain_order=True)
            .filter(moved)
            .join(data.deals.select("deal_id", "owner_id"), on="deal_id")
            .join(zones, left_on="owner_id", right_on="rep_id", how="left")
        )
        return self._localized(entries, "entered_at").select("deal_id", "week").unique()

    def _localized(self, frame: pl.DataFrame, instant: str) -> pl.DataFrame:
        if frame.height == 0:
            return frame.with_columns(pl.lit(None, dtype=pl.String).alias("week"))
        local = local_dates(frame[instant], frame["timezone"]).alias("_date")
        return (
            frame.with_columns(local)
            .filter(self._in_range("_date"))
            .with_columns(_week_label(pl.col("_date")).alias("week"))
        )

    def _weekly(
        self, frame: pl.DataFrame, instant: str, **counts: pl.Expr
    ) -> dict[tuple[str, str], dict[str, int]]:
        return _count_by(self._localized(frame, instant), **counts)


def baseline(previous: list[WeekFigures]) -> Baseline:
    spot = sum(w.on_the_spot for w in previous)
    known = spot + sum(w.booked_later for w in previous)
    return Baseline(
        weeks=[w.week for w in previous],
        per_week={
            name: sum(getattr(w, name) for w in previous) / len(previous) if previous else 0.0
            for name in COUNTS
        },
        on_the_spot_rate=spot / known if known else None,
    )


def check(commitment: ReviewCommitment, figures: WeekFigures | None) -> CommitmentView:
    """Whether a commitment was kept: from the week's figures when it names a metric and a
    target (``figures`` is None while the week is not over: it waits for them), else as the
    manager marked it."""
    view = CommitmentView(
        id=commitment.id,
        rep_id=commitment.rep_id,
        week=commitment.week,
        text=commitment.text,
        metric=commitment.metric,
        target=commitment.target,
        kept=commitment.kept,
        how="manager" if commitment.kept is not None else "open",
        created_at=commitment.created_at,
    )
    if commitment.metric is None or commitment.target is None:
        return view
    if figures is None:
        return view.model_copy(update={"how": "awaiting_figures"})
    actual = figures.value(commitment.metric)
    if actual is None:
        return view
    kept = (
        actual >= commitment.target
        if commitment.metric in AT_LEAST
        else actual <= commitment.target
    )
    return view.model_copy(update={"kept": kept, "how": "figures", "actual": actual})


class WeeklyReviewService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        target_days: int = defaults.TARGET_BUSINESS_DAYS,
        grace: timedelta = timedelta(minutes=defaults.ON_THE_SPOT_GRACE_MINUTES),
        default_timezone: str = "UTC",
    ) -> None:
        self.session = session
        self.clock = clock
        self.target_days = target_days
        self.grace = grace
        self.default_timezone = default_timezone
        self.commitments = CommitmentRepository(session)

    def review(
        self,
        actor: Actor,
        *,
        week: str | None = None,
        team: str | None = None,
        rep_id: str | None = None,
    ) -> WeeklyReview:
        """The review of ``week`` (the last complete one by default) for every rep in scope."""
        now = self.clock.now()
        week = weeks.week_of(weeks.monday_of(week)) if week else weeks.last_complete(now)
        under_way = weeks.week_of(now.date())
        if week > under_way:  # ISO weeks with four-digit years sort as text
            raise InputError(
                f"week {week} has not begun: a review is of a week that is over, or of the "
                f"week under way ({under_way})"
            )
        scope = resolve_scope(self.session, actor, team=team, rep_id=rep_id)
        first = weeks.shift(week, -PREVIOUS_WEEKS)
        counted = WeeklyFigures(
            self.session,
            scoped_dataset(self.session, scope),
            scope,
            first_week=first,
            last_week=week,
            target_days=self.target_days,
            grace=self.grace,
            as_of=now,
            default_timezone=self.default_timezone,
        )
        next_week = weeks.shift(week, 1)
        # a week still under way has no figures to judge a commitment by yet: it stays open
        complete = week <= weeks.last_complete(now)
        reps = self._reps(scope)
        made = self.commitments.for_weeks([r.id for r in reps], [week, next_week])
        entries = []
        for rep in reps:
            this = counted.figures(rep.id, week)
            previous = [
                counted.figures(rep.id, weeks.shift(week, -back))
                for back in range(1, PREVIOUS_WEEKS + 1)
            ]
            entries.append(
                RepReview(
                    rep_id=rep.id,
                    name=rep.name or rep.id,
                    team=rep.team,
                    week=this,
                    previous=previous,
                    baseline=baseline(previous),
                    commitments_checked=[
                        check(c, this if complete else None)
                        for c in made
                        if c.rep_id == rep.id and c.week == week
                    ],
                    commitments_next=[
                        check(c, None) for c in made if c.rep_id == rep.id and c.week == next_week
                    ],
                )
            )
        monday, end = weeks.days(week)
        return WeeklyReview(
            week=week,
            starts=monday,
            ends=end - timedelta(days=1),
            next_week=next_week,
            complete=complete,
            commitments_open=next_week in weeks.open_for_commitments(now),
            target_days=self.target_days,
            as_of=now,
            reps=entries,
        )

    def _reps(self, scope: Scope) -> list[Rep]:
        reps = RepRepository(self.session)
        found = reps.all() if scope.owner_ids is None else reps.many(sorted(scope.owner_ids))
        return sorted(found, key=lambda rep: ((rep.name or rep.id).lower(), rep.id))

    # --- commitments ----------------------------------------------------------------------

    def commit(self, actor: Actor, rep_id: str, *, week: str, new: NewCommitment) -> CommitmentView:
        """Record a rep's commitment for ``week`` (the week after the one reviewed): the
        week under way or the next one, nothing over and nothing further ahead."""
        _require_reviewer(self.session, actor, rep_id)
        week = weeks.week_of(weeks.monday_of(week))
        under_way, following = weeks.open_for_commitments(self.clock.now())
        if week not in (under_way, following):
            when = "is over" if week < under_way else "has not come up for review yet"
            raise Conflict(
                f"week {week} {when}: a commitment is for the week under way ({under_way}, "
                f"recorded at the review of {weeks.shift(under_way, -1)}) or the next one "
                f"({following}, at the review of {under_way})"
            )
        if new.metric is not None and new.target is None:
            raise InputError("target: a commitment on a figure needs a target")
        if new.metric is CommitmentMetric.ON_THE_SPOT_RATE and (new.target or 0) > 1:
            raise InputError("target: an on-the-spot rate target is a share between 0 and 1")
        commitment = self.commitments.add(
            ReviewCommitment(
                rep_id=rep_id,
                week=week,
                text=" ".join(new.text.split()),
                metric=new.metric,
                target=new.target if new.metric is not None else None,
                kept=None,
                made_by_user_id=actor.user_id,
                created_at=self.clock.now(),
            )
        )
        return check(commitment, None)

    def mark(self, actor: Actor, commitment_id: int, *, kept: bool | None) -> CommitmentView:
        """The manager's word on a commitment without a metric (``None`` takes it back):
        kept, any day of its week or after; not kept, once its week is over."""
        commitment = self._visible(actor, commitment_id)
        if commitment.metric is not None:
            raise Conflict("a commitment on a figure is checked from the figures")
        now = self.clock.now()
        if kept is not None and commitment.week > weeks.week_of(now.date()):
            raise Conflict(f"week {commitment.week} has not begun: nothing can be kept yet")
        if kept is False and commitment.week > weeks.last_complete(now):
            # done is done any day; missed only once the week is over
            raise Conflict(
                f"week {commitment.week} is not over yet: the commitment can still be kept"
            )
        commitment.kept = kept
        commitment.checked_at = self.clock.now() if kept is not None else None
        self.session.flush()
        return check(commitment, None)

    def withdraw(self, actor: Actor, commitment_id: int) -> None:
        self.commitments.delete(self._visible(actor, commitment_id))

    def _visible(self, actor: Actor, commitment_id: int) -> ReviewCommitment:
        commitment = self.commitments.get(commitment_id)
        if commitment is None:
            raise NotFound(f"no commitment {commitment_id}")
        try:
            _require_reviewer(self.session, actor, commitment.rep_id)
        except NotFound:
            raise NotFound(f"no commitment {commitment_id}") from None
        return commitment


def _require_reviewer(session: Session, actor: Actor, rep_id: str) -> None:
    """Managers over the rep and administrators record and mark commitments."""
    resolve_scope(session, actor, rep_id=rep_id)  # NotFound outside the scope
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("only managers and administrators record commitments")


CSV_COLUMNS = ("rep_id", "rep", "team", "week", *COUNTS, "on_the_spot_rate")


def review_csv(review: WeeklyReview) -> str:
    """The review as CSV: per rep, the week's figures (``week_complete`` is "no" for the week
    under way: its figures so far) and the previous four weeks' average per week, then the
    commitments checked this week."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            *CSV_COLUMNS,
            *(f"{name}_previous_4_weeks_avg" for name in COUNTS),
            "on_the_spot_rate_previous_4_weeks",
            "commitments_kept",
            "commitments_missed",
            "commitments_open",
            "week_complete",  # last: added after the others, whose places stay
        ]
    )
    for rep in review.reps:
        week = rep.week
        checked = rep.commitments_checked
        writer.writerow(
            _cells(
                [
                    rep.rep_id,
                    rep.name,
                    rep.team or "",
                    review.week,
                    *(getattr(week, name) for name in COUNTS),
                    week.on_the_spot_rate,
                    *(rep.baseline.per_week[name] for name in COUNTS),
                    rep.baseline.on_the_spot_rate,
                    sum(1 for c in checked if c.kept is True),
                    sum(1 for c in checked if c.kept is False),
                    sum(1 for c in checked if c.kept is None),
                    "yes" if review.complete else "no",
                ]
            )
        )
    return buffer.getvalue()


def _cells(values: Iterable[object]) -> list[str]:
    """Text cells; a formula-looking cell is quoted so a spreadsheet shows it as text."""
    cells = []
    for value in values:
        if value is None:
            cells.append("")
        elif isinstance(value, float):
            cells.append(f"{value:.4g}")
        else:
            text = str(value)
            cells.append("'" + text if text[:1] in ("=", "+", "-", "@") else text)
    return cells
