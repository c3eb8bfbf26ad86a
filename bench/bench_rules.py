"""Benchmark: the rules over many open deals, and one change re-evaluating only its deal.

    .venv/bin/python -m bench.bench_rules [--deals 100000] [--database sqlite|postgresql|both]

Builds a fresh store with ``--deals`` open deals at every stage of the second-meeting funnel
(set-based inserts, not timed), then times:

1. the first full evaluation (raises every flag and task: the heaviest write);
2. a second full evaluation (nothing changed: what the worker's scheduled sweep costs);
3. one change: a meeting two locked in through ``NextStepService`` on one deal, in its own unit
   of work. The rule engine hooked into that unit of work reports how many deals it
   re-evaluated (it must be 1) and how long the whole unit took.

Each database is measured ``--runs`` times (default 3), each on a fresh store: a shared machine's
speed drifts by a third within minutes, so one run says little. The verdict is on the median.

Target (issue 5): a full evaluation of 100,000 open deals in at most 5 s. Prints a summary
and one JSON line per database (every run, and the medians).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench._engine_data import DEFAULT_POSTGRES, insert_asset, insert_pipeline, scratch_database
from momentum.clock import FixedClock
from momentum.config import Settings
from momentum.db.engine import Database
from momentum.next_step.schemas import LockIn
from momentum.rules.engine import EvaluationReport, RuleEngine
from momentum.runtime import Engine
from momentum.user.schemas import Actor

TARGET_SECONDS = 5.0


def _summary(report: EvaluationReport) -> dict[str, Any]:
    return {
        "deals": report.deals,
        "seconds": round(report.seconds, 3),
        "flags_raised": report.flags_raised,
        "flags_cleared": report.flags_cleared,
        "tasks_opened": report.tasks_opened,
        "tasks_closed": report.tasks_closed,
        "alerts_queued": report.alerts_queued,
    }


def run(kind: str, deals: int, postgres_url: str) -> dict[str, Any]:
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
        first = _timed_sweep(database, engine.rule_engine)
        second = _timed_sweep(database, engine.rule_engine)
        change = _one_change(database, engine, now)
    return {
        "database": kind,
        "open_deals": deals,
        "shape": shape,
        "generate_seconds": round(generated, 2),
        "first_full_evaluation": first,
        "second_full_evaluation": second,
        "one_change": change,
    }


def _timed_sweep(database: Database, rule_engine: RuleEngine) -> dict[str, Any]:
    started = time.perf_counter()
    with database.unit_of_work() as session:
        report = rule_engine.evaluate(session)
    summary = _summary(report)
    summary["seconds_with_commit"] = round(time.perf_counter() - started, 3)
    return summary


def _one_change(database: Database, engine: Engine, now: datetime) -> dict[str, Any]:
    """Lock in meeting two on a deal whose M1 was held and nothing is booked."""
    captured: list[EvaluationReport] = []
    evaluate = engine.rule_engine.evaluate

    def recording(session: Any, deal_ids: Any = None) -> EvaluationReport:
        report = evaluate(session, deal_ids)
        captured.append(report)
        return report

    engine.rule_engine.evaluate = recording  # type: ignore[method-assign]
    with database.unit_of_work(write=False) as session:
        flagged = engine.deals(session).at_risk(Actor.system())
    deal_id = next(
        entry.deal.id
        for entry in flagged
        if any(reason.rule == "meeting_two_not_booked" for reason in entry.reasons)
    )
    lock_in = LockIn.model_validate(
        {
            "start": (now + timedelta(days=3)).isoformat(),
            "agenda": [{"side": "seller", "text": "ROI"}, {"side": "buyer", "text": "Data"}],
            "buyer_homework": "Invite the plant manager",
        }
    )
    started = time.perf_counter()
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(Actor.system(), deal_id, lock_in)
    elapsed = time.perf_counter() - started
    engine.rule_engine.evaluate = evaluate  # type: ignore[method-assign]
    [report] = captured
    return {
        "deal": deal_id,
        "deals_re_evaluated": report.deals,
        "rule_seconds": round(report.seconds, 4),
        "unit_of_work_seconds": round(elapsed, 4),
        "tasks_closed": report.tasks_closed,
        "flags_cleared": report.flags_cleared,
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), 3),
        "min": round(min(values), 3),
        "max": round(max(values), 3),
    }


def _figure(spread: dict[str, float]) -> str:
    return f"{spread['median']:6.2f} s (runs {spread['min']:.2f}-{spread['max']:.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_rules", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--deals", type=int, default=100_000, help="open deals (default 100000)")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=3, help="fresh stores per database (default 3)")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES, help="an admin URL; a scratch database is made"
    )
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for kind in kinds:
        runs = [run(kind, args.deals, args.postgres_url) for _ in range(max(1, args.runs))]
        last = runs[-1]
        first = _spread([r["first_full_evaluation"]["seconds"] for r in runs])
        second = _spread([r["second_full_evaluation"]["seconds"] for r in runs])
        change = _spread([r["one_change"]["rule_seconds"] for r in runs])
        verdict = (
            "ok"
            if max(first["median"], second["median"]) <= TARGET_SECONDS
            else "SLOWER THAN TARGET"
        )
        raised = last["first_full_evaluation"]
        print(
            f"rules on {kind}: {last['open_deals']:,} open deals "
            f"({last['shape']['meetings']:,} meetings), {len(runs)} fresh stores"
        )
        print(
            f"  first full evaluation : {_figure(first)}  ({raised['flags_raised']:,} flags, "
            f"{raised['tasks_opened']:,} tasks raised)"
        )
        print(
            f"  second full evaluation: {_figure(second)}  (nothing changed: "
            f"{last['second_full_evaluation']['flags_raised']} raised, "
            f"{last['second_full_evaluation']['flags_cleared']} cleared)"
        )
        print(
            f"  one change (a lock-in): "
            f"{', '.join(str(r['one_change']['deals_re_evaluated']) for r in runs)} deal(s) "
            f"re-evaluated, median {change['median'] * 1000:.1f} ms of rules; "
            f"{last['one_change']['tasks_closed']} task closed, "
            f"{last['one_change']['flags_cleared']} flags cleared"
        )
        print(f"  target: full evaluation <= {TARGET_SECONDS:.0f} s (median): {verdict}")
        summary = {
            "database": kind,
            "open_deals": args.deals,
            "first_full_evaluation_seconds": first,
            "second_full_evaluation_seconds": second,
            "one_change_rule_seconds": change,
            "runs": runs,
        }
        print(json.dumps(summary), flush=True)  # one line per database, for bench/__main__.py
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
