"""Coaching one rep: their funnel against the rest of their team, with intervals; the audit's
findings that name them; twelve weeks of trend; their deals at risk; the playbook's talk
track for their weakest step; and the manager's private notes.

The figures are the audit's (the dashboard's code path) over the rep's team within the
viewer's scope. The funnel compares the deals the audit's findings compare: those whose
observation window has closed (:mod:`momentum.audit.outcomes`), so the table and the findings
on one page give the same counts. The findings are the audit's, as its report lists them: the established ones
ranked, then the others, never ranked; where the audit has a finding on a step for the rep, its
verdict (which allows for every comparison made) says whether the rep's gap there is
established, and only an established gap is ever the place to start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import polars as pl
from sqlalchemy.orm import Session

from momentum.audit import result as metrics
from momentum.audit.figures import grouped, rate_counts
from momentum.audit.result import AuditOptions, AuditResult, Finding, Rate
from momentum.audit.serialize import finding_json
from momentum.audit.stats import newcombe, wilson
from momentum.clock import Clock
from momentum.coaching.models import CoachingNote
from momentum.coaching.repository import CoachingNoteRepository
from momentum.coaching.schemas import (
    CoachingProfile,
    NewNote,
    NoteView,
    StepComparison,
    TrendWeek,
)
from momentum.errors import NotFound
from momentum.playbook.models import PlaybookStep
from momentum.playbook.service import PlaybookService
from momentum.rep.repository import RepRepository
from momentum.review import weeks
from momentum.review.dashboard import store_audit
from momentum.review.risk import RiskBoardService, RiskQuery, RiskRow
from momentum.review.scope import Scope, resolve_scope
from momentum.user.models import Role
from momentum.user.schemas import Actor
from momentum.user.service import ScopeService

TREND_WEEKS = 12
DEALS_TO_TALK_ABOUT = 10

HOMEWORK_KEY = "second_meeting.homework_rate"
# (rate key, Figures field, label, playbook step, higher is better)
STEPS = (
    (metrics.BOOKED.key, "booked", "Meeting two booked", PlaybookStep.LOCK_IN, True),
    (
        metrics.ON_THE_SPOT.key,
        "booked_on_the_spot",
        "Booked before meeting one ended",
        PlaybookStep.LOCK_IN,
        True,
    ),
    (
        metrics.WITHIN_TARGET.key,
        "within_target",
        "Held within the target gap",
        PlaybookStep.SHORTEN_THE_GAP,
        True,
    ),
    (
        metrics.ATTENDANCE.key,
        "attendance",
        "Buyer attended meeting two",
        PlaybookStep.CONFIRM_WITH_VALUE,
        True,
    ),
    (metrics.RESCHEDULED.key, "rescheduled", "Rescheduled", PlaybookStep.SELL_THE_MEETING, False),
    (metrics.HELD.key, "held", "Meeting two held", PlaybookStep.SELL_THE_MEETING, True),
    (HOMEWORK_KEY, "homework", "Meeting two with buyer homework", PlaybookStep.HOMEWORK, True),
)
# the audit's rep findings by step (momentum.audit.findings.steps), where the key differs from
# the Figures field a coaching step compares
FINDING_STEPS = {"booked_on_the_spot": "on_the_spot"}
HOMEWORK = (
    pl.col("m2_homework").fill_null(False),
    pl.col("m2_booked") & pl.col("m2_homework").is_not_null(),
)


def _counts(facts: pl.DataFrame, target_days: int) -> dict[str, Rate]:
    counts = rate_counts(facts, target_days=target_days)
    numerator, denominator = HOMEWORK
    homework = facts.filter(pl.col("m1_start").is_not_null()).select(
        numerator.cast(pl.Int64).sum().alias("n"), denominator.cast(pl.Int64).sum().alias("d")
    )
    counts["homework"] = Rate(int(homework["n"][0] or 0), int(homework["d"][0] or 0))
    return counts


def compare_steps(
    rep: pl.DataFrame,
    team: pl.DataFrame,
    *,
    target_days: int,
    findings: Sequence[Finding] = (),
) -> list[StepComparison]:
    """Each step, the rep's rate against the team's. A gap is established when the 95 %
    interval of the difference (Newcombe) lies wholly on the worse side; but where the audit
    has a finding about the rep on that step (``findings``: the audit's findings that name
    the rep), the finding's verdict decides, as it allows for every comparison made."""
    rep_counts, team_counts = _counts(rep, target_days), _counts(team, target_days)
    verdicts = {finding.step: finding.established for finding in findings}
    steps = []
    for key, field, label, step, higher in STEPS:
        mine = (rep_counts[field].numerator, rep_counts[field].denominator)
        theirs = (team_counts[field].numerator, team_counts[field].denominator)
        mine_rate, team_rate = rep_counts[field].value, team_counts[field].value
        interval = wilson(*mine)
        behind = None
        established = False
        if mine_rate is not None and team_rate is not None:
            behind = (team_rate - mine_rate) if higher else (mine_rate - team_rate)
            difference = newcombe(theirs, mine)  # the rep's rate minus the team's
            if difference is not None:
                established = difference[1] < 0 if higher else difference[0] > 0
            established = verdicts.get(FINDING_STEPS.get(field, field), established)
        steps.append(
            StepComparison(
                key=key,
                label=label,
                step=step,
                higher_is_better=higher,
                rep=mine,
                rep_rate=mine_rate,
                rep_interval=interval,
                team=theirs,
                team_rate=team_rate,
                team_interval=wilson(*theirs),
                behind=behind,
                established=established,
            )
        )
    return steps


def weakest(steps: list[StepComparison]) -> StepComparison | None:
    """The step the rep is established to be furthest behind on; none when no gap is
    established (a gap that could be chance is no place to start)."""
    behind = [s for s in steps if s.established and s.behind is not None and s.behind > 0]
    if not behind:
        return None
    return max(behind, key=lambda s: s.behind or 0.0)


def rep_findings(result: AuditResult, rep_id: str) -> list[Finding]:
    """The audit's findings about the rep in its order: the established ones by rank, then
    the others. The page shows only the established ones (a rep is named on nothing else);
    the others still tell the steps' verdicts, so a step the audit did not establish is never
    where to start."""
    return [finding for finding in result.findings if finding.rep_id == rep_id]


class CoachingService:
    def __init__(
        self,
        session: Session,
        *,
        clock: Clock,
        defaults: AuditOptions,
        rule_titles: Mapping[str, str] | None = None,
    ) -> None:
        self.session = session
        self.clock = clock
        self.defaults = defaults
        self.rule_titles = rule_titles
        self.notes = CoachingNoteRepository(session)

    def profile(self, actor: Actor, rep_id: str) -> CoachingProfile:
        resolve_scope(self.session, actor, rep_id=rep_id)  # NotFound outside the scope
        rep = RepRepository(self.session).get(rep_id)
        if rep is None:  # " " or " r1": resolve_scope reads them as no rep, or as "r1"
            raise NotFound(f"no rep {rep_id!r}")
        now = self.clock.now()
        this_week = weeks.week_of(now.date())
        since = weeks.monday_of(weeks.shift(this_week, -(TREND_WEEKS - 1)))
        until = now.date()
        options = AuditOptions(
            target_days=self.defaults.target_days,
            grace=self.defaults.grace,
            observation_days=self.defaults.observation_days,
            since=since,
            until=until,
            default_timezone=self.defaults.default_timezone,
            as_of=now,
        )
        result = store_audit(self.session, self._team_scope(actor, rep_id, rep.team), options)
        facts = result.facts.with_columns(pl.col("owner_id").cast(pl.String))
        mine = facts.filter(pl.col("owner_id") == rep_id)
        # the deals the audit's findings compare (momentum.audit.service.audit)
        known = facts.filter(pl.col("window_closed"))
        findings = rep_findings(result, rep_id)
        steps = compare_steps(
            known.filter(pl.col("owner_id") == rep_id),
            known.filter(pl.col("owner_id") != rep_id),
            target_days=options.target_days,
            findings=findings,
        )
        worst = weakest(steps)
        playbook = PlaybookService(self.session, clock=self.clock)
        return CoachingProfile(
            rep_id=rep_id,
            name=rep.name or rep_id,
            team=rep.team,
            since=since,
            until=until,
            left_out=mine.filter(
                pl.col("m1_start").is_not_null() & ~pl.col("window_closed")
            ).height,
            observation_days=options.observation_days,
            steps=steps,
            weakest=worst,
            talk_track=playbook.talk_track(worst.step) if worst else None,
            findings=[finding_json(f) for f in findings if f.established],
            trend=self._trend(mine, options.target_days, since),
            team_trend=self._trend(
                facts.filter(pl.col("owner_id") != rep_id), options.target_days, since
            ),
            deals=self._deals(actor, rep_id),
            notes=self.notes_for(actor, rep_id) if _reads_notes(actor, rep_id) else None,
        )

    def _team_scope(self, actor: Actor, rep_id: str, team: str | None) -> Scope:
        """The rep's team as far as the viewer sees it (the viewer's scope for a rep with no
        team); a rep viewer is compared with nobody but themselves."""
        if team is not None:
            try:
                return resolve_scope(self.session, actor, team=team)
            except NotFound:
                pass
        return (
            resolve_scope(self.session, actor)
            if actor.role is not Role.REP
            else Scope(frozenset([rep_id]), rep_id=rep_id)
        )

    def _trend(self, facts: pl.DataFrame, target_days: int, since: date) -> list[TrendWeek]:
        """Twelve weeks by the week of meeting one: first meetings counted over all of
        ``facts``, rates over the deals the funnel compares (observation window closed), and
        the others, too recent to compare, counted."""
        known = facts.filter(pl.col("window_closed"))
        blocks = {str(week): b for week, b in grouped(known, "week", target_days=target_days)}
        counted = {
            row["week"]: (int(row["deals"]), int(row["recent"]))
            for row in facts.filter(pl.col("m1_start").is_not_null())
            .group_by(pl.col("week").cast(pl.String))
            .agg(pl.len().alias("deals"), (~pl.col("window_closed")).sum().alias("recent"))
            .iter_rows(named=True)
        }
        trend = []
        for offset in range(TREND_WEEKS):
            week = weeks.week_of(since + timedelta(weeks=offset))
            block = blocks.get(week)
            deals, waiting = counted.get(week, (0, 0))
            trend.append(
                TrendWeek(
                    week=week,
                    deals_with_first_meeting=deals,
                    recent=waiting,
                    booked_on_the_spot_rate=block.booked_on_the_spot.value if block else None,
                    booked_rate=block.booked.value if block else None,
                    within_target_rate=block.within_target.value if block else None,
                    held_rate=block.held.value if block else None,
                )
            )
        return trend

    def _deals(self, actor: Actor, rep_id: str) -> list[RiskRow]:
        board = RiskBoardService(
            self.session, clock=self.clock, titles=self.rule_titles, limit=DEALS_TO_TALK_ABOUT
        ).board(actor, RiskQuery(rep=rep_id))
        rows = [row for group in board.groups for row in group.rows]
        rows.sort(key=lambda r: (r.severity != "critical", r.severity != "warning", r.since))
        return rows[:DEALS_TO_TALK_ABOUT]

    # --- notes: managers over the rep and administrators only ------------------------------

    def notes_for(self, actor: Actor, rep_id: str) -> list[NoteView]:
        self._require_note_reader(actor, rep_id)
        return [
            NoteView(
                id=note.id,
                rep_id=note.rep_id,
                body=note.body,
                author_user_id=note.author_user_id,
                author=author,
                created_at=note.created_at,
            )
            for note, author in self.notes.for_rep(rep_id)
        ]

    def add_note(self, actor: Actor, rep_id: str, new: NewNote) -> NoteView:
        self._require_note_reader(actor, rep_id)
        note = self.notes.add(
            CoachingNote(
                rep_id=rep_id,
                author_user_id=actor.user_id,
                body=new.body.strip().replace("\r\n", "\n"),
                created_at=self.clock.now(),
            )
        )
        return NoteView(
            id=note.id,
            rep_id=rep_id,
            body=note.body,
            author_user_id=actor.user_id,
            author=None,
            created_at=note.created_at,
        )

    def delete_note(self, actor: Actor, note_id: int) -> None:
        note = self.notes.get(note_id)
        try:
            if note is None:
                raise NotFound("")
            self._require_note_reader(actor, note.rep_id)
        except NotFound:
            raise NotFound(f"no note {note_id}") from None
        self.notes.delete(note)

    def _require_note_reader(self, actor: Actor, rep_id: str) -> None:
        """Notes are private to managers over the rep and administrators: anyone else, the
        rep included, is told there is no such thing (404), as for any id out of scope."""
        if (
            not _reads_notes(actor, rep_id)
            or not ScopeService(self.session).may_see_owner(actor, rep_id)
            or RepRepository(self.session).get(rep_id) is None
        ):
            raise NotFound(f"no coaching notes for rep {rep_id!r}")


def _reads_notes(actor: Actor, rep_id: str) -> bool:
    """Managers and administrators read a rep's notes; a manager who also sells, not the
    notes about themselves (their own coaching page shows without them)."""
    if actor.role is Role.MANAGER:
        return actor.rep_id != rep_id
    return actor.role is Role.ADMIN
