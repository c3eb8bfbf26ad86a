"""Evaluating the rules: on the deals a unit of work changed, and on the worker's schedule.

For each (deal, rule) the engine compares the rule's finding with what is stored: a new
finding raises a flag (and the rule's one task) with since when its condition holds (the
finding's ``since``: a flag's age counts from it), a changed reason updates the flag, a finding
that went away clears the flag and closes the task. Open flags and tasks are unique per
(deal, rule) in the schema too, so re-evaluating never duplicates anything.

Each evaluated deal keeps when its rules are next due (the earliest ``context.recheck_at``
its rules asked for) and the latest change they saw, so a sweep can skip the deals that
neither changed nor fell due.
"""

from __future__ import annotations

import time as timer
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.db.engine import Database
from momentum.deal.changes import take_changed
from momentum.deal.repository import DealRepository
from momentum.flag.repository import DatedFlag, FlagRepository
from momentum.outbox.models import Channel, MessageKind
from momentum.outbox.service import OutboxService
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository
from momentum.rules.config import LoadedRules
from momentum.rules.facts import DealFacts, load_facts
from momentum.rules.registry import Finding, RuleContext
from momentum.rules.settings import RuleOverrideRepository
from momentum.task.repository import OpenedTask, TaskRepository
from momentum.worktime import WorkCalendar

PROGRESS_EVERY = 10_000  # deals: an evaluation this large reports its progress

# Told (deals evaluated so far, deals in the evaluation) during a large evaluation.
Progress = Callable[[int, int], None]


@dataclass
class EvaluationReport:
    deals: int = 0
    flags_raised: int = 0
    flags_updated: int = 0
    flags_cleared: int = 0
    tasks_opened: int = 0
    tasks_closed: int = 0
    alerts_queued: int = 0
    seconds: float = 0.0


class RuleEngine:
    def __init__(self, rules: LoadedRules, *, clock: Clock, slack_enabled: bool = False) -> None:
        self.rules = rules
        self.clock = clock
        channels = rules.config.alerts.channels
        self.alert_channels = [
            Channel(c) for c in channels if c == "email" or (c == "slack" and slack_enabled)
        ]

    # --- entry points ---------------------------------------------------------------------

    def evaluate(
        self,
        session: Session,
        deal_ids: Sequence[str] | None = None,
        *,
        progress: Progress | None = None,
    ) -> EvaluationReport:
        """Evaluate every enabled rule on ``deal_ids`` (every open deal when ``None``);
        ``progress`` hears every :data:`PROGRESS_EVERY` deals of a large evaluation."""
        started = timer.perf_counter()
        now = self.clock.now()
        ids = None if deal_ids is None else sorted(set(deal_ids))
        session.flush()
        flags_repo = FlagRepository(session)
        tasks_repo = TaskRepository(session)
        stored_flags = flags_repo.open_flags(ids)
        open_flags = {(d, r): (i, reason) for d, r, i, reason, _ in stored_flags}
        undated = {i for _, _, i, _, lacks_since in stored_flags if lacks_since}
        open_tasks = {(d, r): i for d, r, i in tasks_repo.open_rule_tasks(ids)}
        asking: dict[str, set[str]] = {}
        for deal_id, rule_key in open_tasks:
            asking.setdefault(deal_id, set()).add(rule_key)
        facts = load_facts(session, ids, now=now, open_task_rules=asking)
        # The administrators' settings, read at every evaluation: every process applies them.
        overrides_repo = RuleOverrideRepository(session)
        overrides = overrides_repo.values()

        report = EvaluationReport(deals=len(facts))
        # One calendar per owner zone and country, and one label per day, for every rule.
        calendars: dict[tuple[str, str | None], WorkCalendar] = {}
        days: dict[date, str] = {}
        plan = [
            (
                rule.key,
                rule.evaluate,
                rule.declares_recheck,
                options.alert and bool(self.alert_channels),
                RuleContext(
                    now=now,
                    options=options,
                    calendar_policy=self.rules.config.calendar,
                    _calendars=calendars,
                    _days=days,
                ),
            )
            for rule, options in self.rules.enabled(overrides)
        ]
        # Alerts go out for fresh conditions only: importing a year of history pages nobody.
        fresh_since = now - timedelta(hours=self.rules.config.alerts.max_age_hours)
        this_round = _Round(
            plan=plan,
            unfired=open_flags,
            unasked=open_tasks,
            fresh_since=fresh_since,
            undated=undated,
        )
        large = len(facts) >= PROGRESS_EVERY
        raised, new_tasks = this_round.evaluate(
            facts.values(), now=now, progress=progress if large else None
        )
        # counted as written: a concurrent evaluation may have raised some of them first
        report.flags_raised = flags_repo.raise_many(raised, raised_at=now)
        report.tasks_opened = tasks_repo.insert_many(new_tasks, created_at=now)
        deals_repo = DealRepository(session)
        deals_repo.set_rules_due(this_round.due)
        deals_repo.settle_closed(ids)
        if overrides_repo.values() != overrides:
            # The settings changed while this round ran on the old ones; the change marked
            # every open deal due, which the line above may have overwritten: mark them again.
            deals_repo.mark_open_due(now)

        # Whatever did not fire this round clears: the condition went away, the deal closed,
        # or the rule was switched off.
        clear_flags = [flag_id for flag_id, _ in this_round.unfired.values()]
        close_tasks = list(this_round.unasked.values())
        flags_repo.clear_many(clear_flags, now=now)
        flags_repo.set_reasons(this_round.reasons)
        flags_repo.set_condition_since(this_round.dated)
        tasks_repo.close_many(close_tasks, now=now, reason="its condition cleared")
        report.flags_updated = len(this_round.reasons)
        report.flags_cleared = len(clear_flags)
        report.tasks_closed = len(close_tasks)
        report.alerts_queued = self._alert_flags(session, this_round.raised_findings)
        report.seconds = timer.perf_counter() - started
        return report

    def evaluate_changed(self, session: Session) -> EvaluationReport | None:
        """Re-evaluate the deals this unit of work marked as changed (and only those)."""
        changed = take_changed(session)
        if not changed:
            return None
        return self.evaluate(session, sorted(changed))

    def sweep(
        self, session: Session, *, full: bool = False, progress: Progress | None = None
    ) -> EvaluationReport:
        """The scheduled run: the deals that changed or fell due (every open deal when
        ``full``), then alerts for tasks that fell due."""
        ids = None if full else DealRepository(session).due_for_rules(self.clock.now())
        report = self.evaluate(session, ids, progress=progress)
        report.alerts_queued += self.alert_due_tasks(session)
        return report

    def attach(self, database: Database) -> None:
        """Evaluate the changed deals in every unit of work on ``database``, just before it
        commits, in the same transaction."""

        def before_commit(session: Session) -> None:
            self.evaluate_changed(session)

        event.listen(database.sessions, "before_commit", before_commit)

    # --- alerts ---------------------------------------------------------------------------

    def _recipients(self, reps: dict[str, Rep], owner_id: str) -> list[str]:
        owner = reps.get(owner_id)
        found: list[str] = []
        if owner is not None and owner.email:
            found.append(owner.email)
        if owner is not None and owner.manager_id and self.rules.config.alerts.notify_manager:
            manager = reps.get(owner.manager_id)
            if manager is not None and manager.email and manager.email not in found:
                found.append(manager.email)
        return found

    def _queue_alerts(self, session: Session, items: list[tuple[str, str, dict[str, Any]]]) -> int:
        """(key stem, owner, payload) per alert, on every alert channel, each at most once."""
        if not items or not self.alert_channels:
            return 0
        reps = {rep.id: rep for rep in RepRepository(session).all()}
        rows: list[dict[str, Any]] = []
        for stem, owner_id, payload in items:
            owner = reps.get(owner_id)
            payload = {**payload, "owner_id": owner_id, "owner_name": owner.name if owner else None}
            for channel in self.alert_channels:
                recipients = self._recipients(reps, owner_id) if channel is Channel.EMAIL else []
                if channel is Channel.EMAIL and not recipients:
                    continue
                rows.append(
                    {
                        "key": f"alert.{stem}.{channel}",
                        "channel": channel,
                        "kind": MessageKind.ALERT,
                        "recipients": recipients,
                        "payload": payload,
                        "deal_id": payload.get("deal_id"),
                    }
                )
        return OutboxService(session, clock=self.clock).enqueue_once(rows)

    def _alert_flags(
        self,
        session: Session,
        findings: dict[tuple[str, str], tuple[DealFacts, Finding]],
    ) -> int:
        """Alerts for the flags just raised whose condition is fresh (not imported history):
        the round keeps only those, and none where there is no channel to alert on."""
        if not findings:
            return 0
        ids = FlagRepository(session).open_ids(set(findings))
        items: list[tuple[str, str, dict[str, Any]]] = []
        for (deal_id, rule_key), (deal, finding) in sorted(findings.items()):
            flag_id = ids[(deal_id, rule_key)]
            rule = self.rules.registry.get(rule_key)
            items.append(
                (
                    f"flag.{flag_id}",
                    deal.owner_id,
                    {
                        "topic": "flagged",
                        "flag_id": flag_id,
                        "rule": rule_key,
                        "rule_title": rule.title if rule else rule_key,
                        "reason": finding.reason,
                        "severity": str(finding.severity),
                        "deal_id": deal.deal_id,
                        "deal_label": deal.label,
                        "task": finding.task.title if finding.task else None,
                    },
                )
            )
        return self._queue_alerts(session, items)

    def alert_due_tasks(self, session: Session) -> int:
        """One alert per open task that fell due recently (never twice: the key is the
        task's)."""
        if not self.rules.config.alerts.task_due:
            return 0
        now = self.clock.now()
        since = now - timedelta(hours=self.rules.config.alerts.max_age_hours)
        items: list[tuple[str, str, dict[str, Any]]] = []
        for task, deal in TaskRepository(session).overdue_open(now=now, since=since):
            items.append(
                (
                    f"task-due.{task.id}",
                    task.owner_id,
                    {
                        "topic": "task_due",
                        "task_id": task.id,
                        "title": task.title,
                        "due_at": task.due_at.isoformat(),
                        "deal_id": task.deal_id,
                        "deal_label": (deal.account or deal.name or deal.id) if deal else None,
                    },
                )
            )
        return self._queue_alerts(session, items)


_Plan = list[
    tuple[str, Callable[[DealFacts, RuleContext], Finding | None], bool, bool, RuleContext]
]


@dataclass
class _Round:
    """One evaluation's comparison of findings with what is stored. What is left in
    ``unfired`` and ``unasked`` at the end did not fire: it clears."""

    plan: _Plan  # (rule key, its evaluate, declares_recheck, whether it alerts, its context)
    unfired: dict[tuple[str, str], tuple[int, str]]  # (deal, rule) -> open flag's id, reason
    unasked: dict[tuple[str, str], int]  # (deal, rule) -> open rule task's id
    fresh_since: datetime  # a raised flag alerts if its condition became true since then
    undated: set[int] = field(default_factory=set)  # open flags stored without their since
    reasons: list[tuple[int, str]] = field(default_factory=list)  # flags whose reason changed
    dated: list[tuple[int, datetime]] = field(
        default_factory=list
    )  # (flag id, since when its condition holds) for open flags stored without it
    raised_findings: dict[tuple[str, str], tuple[DealFacts, Finding]] = field(
        default_factory=dict
    )  # the raised flags whose rule alerts, of a fresh condition
    due: list[tuple[str, datetime | None, datetime]] = field(
        default_factory=list
    )  # (deal, when its rules are next due, the latest change they saw) per deal evaluated

    def evaluate(
        self, deals: Collection[DealFacts], *, now: datetime, progress: Progress | None
    ) -> tuple[list[DatedFlag], list[OpenedTask]]:
        """Every rule on ``deals``: the flags to raise and the tasks to open."""
        unfired, unasked = self.unfired, self.unasked
        raised: list[DatedFlag] = []
        new_tasks: list[OpenedTask] = []
        for count, deal in enumerate(deals, 1):
            deal_id = deal.deal_id
            due: datetime | None = None
            for rule_key, evaluate, declares_recheck, alert, context in self.plan:
                finding = evaluate(deal, context)
                asked = context.take_recheck() if declares_recheck else now
                if asked is not None and (due is None or asked < due):
                    due = asked
                if finding is None:
                    if deal.open_task_rules:
                        deal.open_task_rules.discard(rule_key)
                    continue
                key = (deal_id, rule_key)
                stored = unfired.pop(key, None)
                if stored is None:
                    raised.append(
                        (deal_id, rule_key, finding.reason, finding.severity, finding.since)
                    )
                    if alert and (finding.since is None or finding.since >= self.fresh_since):
                        self.raised_findings[key] = (deal, finding)
                else:
                    if stored[1] != finding.reason:
                        self.reasons.append((stored[0], finding.reason))
                    if finding.since is not None and stored[0] in self.undated:
                        self.dated.append((stored[0], min(finding.since, now)))
                task = finding.task
                if task is None:
                    deal.open_task_rules.discard(rule_key)
                    continue
                deal.open_task_rules.add(rule_key)
                if unasked.pop(key, None) is None:
                    new_tasks.append((deal_id, deal.owner_id, task.title, rule_key, task.due_at))
            self.due.append((deal_id, due, deal.changed_at))
            if progress is not None and (count % PROGRESS_EVERY == 0 or count == len(deals)):
                progress(count, len(deals))
        return raised, new_tasks
