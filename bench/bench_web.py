"""Benchmark: the rep's pages on a large store, rendered by the app in process.

    .venv/bin/python -m bench.bench_web [--deals 100000] [--database sqlite|postgresql|both]
                                        [--requests 30]

Builds a fresh store with ``--deals`` open deals at every stage of the second-meeting funnel
over 50 reps (set-based inserts, not timed; about 2,000 deals and 3,000 meetings a rep), a
manager over ten of them, and a login for each. Then, signed in through the app (FastAPI's
TestClient: the whole app, its middleware and the database, without a network), it requests
each page ``--requests`` times, one after another, and reports p50/p95/p99 in milliseconds
and the error count:

- the rep's Today, their calendar week and month, a deal page, the lock-in form, and the
  lock-in POST (a new meeting two on a different deal each time: the booking, its invitation,
  its reminders and the rules' re-evaluation of that deal, committed);
- the manager's calendar week over their ten reps, and their team's.

Target (issue 15): p95 ≤ 150 ms, 0 errors. One JSON line per database is printed.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from bench._engine_data import DEFAULT_POSTGRES, insert_asset, insert_pipeline, scratch_database
from momentum.clock import FixedClock
from momentum.config import Settings
from momentum.db.engine import Database
from momentum.runtime import Engine
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from momentum.web.app import create_app

TARGET_P95_MS = 150.0
PASSWORD = "bench horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SLOT = re.compile(r'name="slot" value="([^"]+)"')


def _quantiles(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {
        "p50": round(statistics.median(samples), 1),
        "p95": round(cuts[94], 1),
        "p99": round(cuts[98], 1),
    }


def _prepare(database: Database, now: datetime) -> tuple[list[str], str]:
    """Users for rep001 and a manager (rep000) over rep001..rep010, team "north"; the deals
    of rep001 whose meeting one was held and nothing is booked (to lock in), and one deal."""
    with database.unit_of_work() as session:
        reports = [f"rep{i:03d}" for i in range(1, 11)]
        session.execute(
            text(
                "UPDATE rep SET manager_id = 'rep000', team = 'north' WHERE id IN ("
                + ", ".join(f"'{r}'" for r in reports)  # fixed ids, not input
                + ")"
            )
        )
        accounts = AccountService(session, clock=FixedClock(now))
        accounts.add_user(email="rep@bench.test", password=PASSWORD, role=Role.REP, rep_id="rep001")
        accounts.add_user(
            email="manager@bench.test", password=PASSWORD, role=Role.MANAGER, rep_id="rep000"
        )
        open_gaps = [
            row[0]
            for row in session.execute(
                text(
                    "SELECT d.id FROM deal d JOIN meeting m ON m.deal_id = d.id "
                    "WHERE d.owner_id = 'rep001' GROUP BY d.id "
                    "HAVING COUNT(*) = 1 AND MIN(m.status) = 'held' ORDER BY d.id"
                )
            )
        ]
        some_deal = session.execute(
            text(
                "SELECT deal_id FROM meeting m JOIN deal d ON d.id = m.deal_id "
                "WHERE d.owner_id = 'rep001' GROUP BY deal_id HAVING COUNT(*) = 2 "
                "ORDER BY deal_id LIMIT 1"
            )
        ).scalar_one()
    return open_gaps, some_deal


def _sign_in(client: TestClient, email: str) -> None:
    page = client.get("/login")
    token = _CSRF.search(page.text)
    assert token, "no CSRF token on the sign-in page"
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"signing in as {email} failed: {answer.status_code}")


def _time(requests: int, call: Callable[[int], int]) -> dict[str, Any]:
    samples, errors = [], 0
    for index in range(requests):
        started = time.perf_counter()
        status = call(index)
        samples.append((time.perf_counter() - started) * 1000)
        if status >= 400:
            errors += 1
    return {**_quantiles(samples), "errors": errors, "requests": requests}


def run(kind: str, deals: int, requests: int, postgres_url: str) -> dict[str, Any]:
    now = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    with scratch_database(kind, postgres_url) as database:
        started = time.perf_counter()
        shape = insert_pipeline(database, deals=deals, now=now)
        insert_asset(database, now=now)
        open_gaps, some_deal = _prepare(database, now)
        generated = time.perf_counter() - started
        settings = Settings(_env_file=None, database_url=database.url)  # type: ignore[call-arg]
        engine = Engine(settings, database=database, clock=FixedClock(now))
        app = create_app(settings, engine=engine)
        rep = TestClient(app, follow_redirects=False)
        manager = TestClient(app, follow_redirects=False)
        _sign_in(rep, "rep@bench.test")
        _sign_in(manager, "manager@bench.test")

        def get(client: TestClient, path: str) -> Callable[[int], int]:
            return lambda _index: client.get(path).status_code

        def lock_in(index: int) -> int:
            deal_id = open_gaps[index % len(open_gaps)]
            form = rep.get(f"/lock-in/{deal_id}")
            token, slots = _CSRF.search(form.text), _SLOT.findall(form.text)
            if form.status_code != 200 or token is None:
                return 500
            # a rep with ~100 meetings two in the coming days may have no free hour left in the
            # suggested days: then a time typed by hand, booked on "Book anyway"
            later = now + timedelta(days=6, minutes=15 * index)
            slot = slots[len(slots) // 2] if slots else later.isoformat()
            started = time.perf_counter()
            answer = rep.post(
                f"/lock-in/{deal_id}",
                data={
                    "csrf_token": token.group(1),
                    "slot": slot,
                    "seller": "Your ROI model",
                    "buyer": "Your numbers",
                    "homework": "Invite the CFO",
                    "location": "https://meet.example.test/bench",
                    "confirm": slot,  # booked even where the time has warnings
                },
            )
            lock_in.post_ms.append((time.perf_counter() - started) * 1000)  # type: ignore[attr-defined]
            return answer.status_code if answer.status_code == 303 else 500

        lock_in.post_ms = []  # type: ignore[attr-defined]
        day = now.date().isoformat()
        pages = {
            "rep today": get(rep, "/today"),
            "rep calendar week": get(rep, f"/calendar?date={day}"),
            "rep calendar month": get(rep, f"/calendar?view=month&date={day}"),
            "deal page": get(rep, f"/deals/{some_deal}"),
            "lock-in form": get(rep, f"/lock-in/{open_gaps[0]}"),
            "manager calendar week": get(manager, f"/calendar?date={day}"),
            "manager team week": get(manager, f"/calendar?date={day}&team=north"),
            "manager today": get(manager, "/today"),
        }
        results = {name: _time(requests, call) for name, call in pages.items()}
        booked = _time(min(requests, len(open_gaps)), lock_in)
        results["lock-in POST"] = {
            **_quantiles(lock_in.post_ms),  # type: ignore[attr-defined]
            "errors": booked["errors"],
            "requests": booked["requests"],
        }
        engine.close()
    return {
        "database": kind,
        "deals": deals,
        "shape": shape,
        "rep001_open_gaps": len(open_gaps),
        "generate_seconds": round(generated, 1),
        "pages_ms": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    for kind in kinds:
        result = run(kind, args.deals, args.requests, args.postgres)
        print(f"\n{kind}: {args.deals:,} deals, {args.requests} requests per page (ms)")
        print(
            f"  {'page':<24}{'p50':>8}{'p95':>8}{'p99':>8}  errors  target p95 ≤ {TARGET_P95_MS:.0f}"
        )
        for name, row in result["pages_ms"].items():
            verdict = "ok" if row["p95"] <= TARGET_P95_MS and row["errors"] == 0 else "MISSED"
            print(
                f"  {name:<24}{row['p50']:>8}{row['p95']:>8}{row['p99']:>8}"
                f"  {row['errors']:>6}  {verdict}"
            )
        print(json.dumps(result))


if __name__ == "__main__":
    main()
