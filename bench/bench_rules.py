"""Benchmark: the rules over many open deals, as the worker and the app run them.

    .venv/bin/python -m bench.bench_rules [--deals 100000] [--database sqlite|postgresql|both]
        [--due 1000] [--runs 3]

Builds a fresh store with ``--deals`` open deals at every stage of the second-meeting funnel
(set-based inserts, not timed), then times, each in its own unit of work (commit included):

1. the first evaluation: a sweep that finds every deal new, as after a large import (raises
   every flag and task: the heaviest write; its progress lines go to stderr);
2. a sweep where nothing changed or fell due (what the worker pays every few minutes);
3. a sweep where ``--due`` deals fell due;
4. one change: meeting two locked in through ``NextStepService`` on one deal, in its own
   unit of work; the rule engine hooked into it reports how many deals it re-evaluated (it
   must be 1) and how long its rules took.

Each database is measured ``--runs`` times, each on a fresh store: a shared machine's speed
drifts by a third within minutes, so one run says little. The verdict is on the median.
Targets (issue 12): first evaluation <= 15 s, a sweep with nothing to do <= 0.5 s, one
change <= 50 ms. Prints a summary and one JSON line per database (every run, the medians).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bench._engine_data import DEFAULT_POSTGRES, insert_asset, insert_pipeline, scratch_database
from momentum.clock import FixedClock
from momentum.config import Settings
from momentum.db.engine import Database
from momentum.deal.models import Deal, Outcome
from momentum.flag.models import Flag
from momentum.next_step.schemas import LockIn
from momentum.rules.engine import EvaluationReport
from momentum.runtime import Engine
from momentum.user.schemas import Actor

TARGETS = {"first_evaluation": 15.0, "idle_sweep": 0.5, "one_change": 0.05}  # seconds


def _progress(done: int, total: int) -> None:
    print(f"  rules: {done:,} of {total:,} deals evaluated", file=sys.stderr, flush=True)


def _timed(database: Database, work: Callable[[Any], EvaluationReport]) -> dict[str, Any]:
    started = time.perf_counter()
    with database.unit_of_work() as session:
        report = work(session)
    return {
        "seconds": round(time.perf_counter() - started, 4),  # the unit of work, commit included
        "deals": report.deals,
        "flags_raised": report.flags_raised,
        "flags_updated": report.flags_updated,
        "flags_cleared": report.flags_cleared,
        "tasks_opened": report.tasks_opened,
        "tasks_closed": report.tasks_closed,
    }


def _fall_due(database: Database, count: int, now: datetime) -> None:
    """``count`` open deals whose rules are due now (as if a deadline of theirs passed)."""
    with database.unit_of_work() as session:
        ids = session.scalars(
            select(Deal.id).where(Deal.outcome == Outcome.OPEN).order_by(Deal.id).limit(count)
        ).all()
        session.execute(update(Deal).where(Deal.id.in_(ids)).values(rules_due_at=now))


def _one_change(database: Database, engine: Engine, now: datetime) -> dict[str, Any]:
    """Lock in meeting two on a deal whose M1 was held and nothing is booked."""
    captured: list[EvaluationReport] = []
    evaluate = engine.rule_engine.evaluate

    def recording(session: Any, deal_ids: Any = None, **options: Any) -> EvaluationReport:
        report = evaluate(session, deal_ids, **options)
        captured.append(report)
        return report

    with database.unit_of_work(write=False) as session:
        deal_id = session.scalars(
            select(Flag.deal_id)
            .join(Deal, Deal.id == Flag.deal_id)
            .where(Flag.rule == "meeting_two_not_booked", Flag.cleared_at.is_(None))
            .order_by(Deal.owner_id, Deal.id)
            .limit(1)
        ).one()
    lock_in = LockIn.model_validate(
        {
            "start": (now + timedelta(days=3)).isoformat(),
            "agenda": [{"side": "seller", "text": "ROI"}, {"side": "buyer", "text": "Data"}],
            "buyer_homework": "Invite the plant manager",
        }
    )
    engine.rule_engine.evaluate = recording  # type: ignore[method-assign]
    started = time.perf_counter()
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(Actor.system(), deal_id, lock_in)
    elapsed = time.perf_counter() - started
    engine.rule_engine.evaluate = evaluate  # type: ignore[method-assign]
    [report] = captured
    return {
        "deal": deal_id,
        "deals_re_evaluated": report.deals,
        "seconds": round(report.seconds, 4),  # the rules, in the unit of work
        "unit_of_work_seconds": round(elapsed, 4),
        "tasks_closed": report.tasks_closed,
        "flags_cleared": report.flags_cleared,
    }


def run(kind: str, deals: int, due: int, postgres_url: str) -> dict[str, Any]:
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    clock = FixedClock(now)
    with scratch_database(kind, postgres_url) as database:
        started = time.perf_counter()
        shape = insert_pipeline(database, deals=deals, now=now)
        insert_asset(database, now=now)
        generated = time.perf_counter() - started
        engine = Engine(
            Settings(_env_file=None, database_url=database.url),  # type: ignore[call-arg]
            database=database,
            clock=clock,
        )
        rules = engine.rule_engine
        first = _timed(database, lambda s: rules.sweep(s, progress=_progress))
        idle = _timed(database, rules.sweep)
        _fall_due(database, due, now)
        some_due = _timed(database, rules.sweep)
        change = _one_change(database, engine, now)
    return {
        "database": kind,
        "open_deals": deals,
        "shape": shape,
        "generate_seconds": round(generated, 2),
        "first_evaluation": first,
        "idle_sweep": idle,
        "due_sweep": some_due,
        "one_change": change,
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 4),
        "min": round(min(values), 4),
        "max": round(max(values), 4),
    }


def _figure(spread: dict[str, float]) -> str:
    return f"{spread['median']:7.3f} s (runs {spread['min']:.3f}-{spread['max']:.3f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_rules", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--deals", type=int, default=100_000, help="open deals (default 100000)")
    parser.add_argument("--due", type=int, default=1_000, help="deals due in the third sweep")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3, help="fresh stores per database (default 3)")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES, help="an admin URL; a scratch database is made"
    )
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for kind in kinds:
        runs = [
            run(kind, args.deals, args.due, args.postgres_url) for _ in range(max(1, args.runs))
        ]
        spreads = {
            name: _spread([r[name]["seconds"] for r in runs])
            for name in ("first_evaluation", "idle_sweep", "due_sweep", "one_change")
        }
        verdicts = {
            name: "ok" if spreads[name]["median"] <= limit else "SLOWER THAN TARGET"
            for name, limit in TARGETS.items()
        }
        last = runs[-1]
        first, idle, some_due = last["first_evaluation"], last["idle_sweep"], last["due_sweep"]
        print(
            f"rules on {kind}: {last['open_deals']:,} open deals "
            f"({last['shape']['meetings']:,} meetings), {len(runs)} fresh store(s)"
        )
        print(
            f"  first evaluation       : {_figure(spreads['first_evaluation'])}  "
            f"({first['deals']:,} deals; {first['flags_raised']:,} flags, "
            f"{first['tasks_opened']:,} tasks raised)  target <= 15 s: "
            f"{verdicts['first_evaluation']}"
        )
        print(
            f"  sweep, nothing to do   : {_figure(spreads['idle_sweep'])}  "
            f"({idle['deals']} deals evaluated)  target <= 0.5 s: {verdicts['idle_sweep']}"
        )
        print(
            f"  sweep, {args.due:,} fell due : {_figure(spreads['due_sweep'])}  "
            f"({some_due['deals']:,} deals evaluated, {some_due['flags_updated']:,} reasons "
            f"restated)"
        )
        print(
            f"  one change (a lock-in) : {spreads['one_change']['median'] * 1000:7.1f} ms of rules "
            f"({', '.join(str(r['one_change']['deals_re_evaluated']) for r in runs)} deal(s) "
            f"re-evaluated; unit of work {last['one_change']['unit_of_work_seconds'] * 1000:.0f} "
            f"ms)  target <= 50 ms: {verdicts['one_change']}"
        )
        summary = {"database": kind, "open_deals": args.deals, **spreads, "runs": runs}
        print(json.dumps(summary), flush=True)  # one line per database, for bench/__main__.py
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
