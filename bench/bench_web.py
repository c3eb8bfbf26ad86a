"""Benchmark: the web app under load, served by ``momentum serve`` on loopback.

    .venv/bin/python -m bench.bench_web [--deals 100000] [--database postgresql|sqlite]
                                        [--users 20] [--rounds 10] [--think 1.0]
                                        [--seconds 300] [--workers 1] [--reps 500]

Builds a fresh store (set-based inserts, not timed): ``--deals`` open deals at every stage of
the second-meeting funnel dealt to ``--reps`` reps (500: 200 open deals and about four
meetings a day each, a busy rep's book), and for the deals whose meeting two was held, the
later meetings of a long cycle (seven held, one coming), about 2.5 meetings a deal in all;
and the open task the rules give a deal whose meeting one was held with nothing booked. Then
it starts ``momentum serve --no-worker --workers N`` as a child process on a free port of 127.0.0.1
(configured through ``MOMENTUM_DATABASE_URL``, as an operator would), waits until it answers,
and signs in ``--users`` users at once, each in its own thread with its own client, cookie
jar and CSRF token: two managers (ten reps each, a team each) and the rest reps. Each opens
Today, the calendar and a deal once, not measured (a server in use has served them before).

Each user then runs ``--rounds`` rounds, stopping early after ``--seconds``, pausing before
each request as a person reads the page (uniformly 0.5 to 1.5 times ``--think`` seconds; 0:
no pause, which measures the server saturated rather than in use):

- a rep: Today, the calendar week, a deal page (a different one of theirs each round), the
  lock-in form of a deal whose meeting one was held with nothing booked, and the lock-in POST
  (a new meeting two: the booking, its invitation, its reminders and the rules' re-evaluation
  of that deal, committed);
- a manager: Today, the calendar week over their reps, their team's week, a deal page.

Reported: p50/p95/p99 in milliseconds per page (as the client saw it, network included), the
requests made and the errors (a status other than the expected one, or no answer within 60 s).
Target (issue 15): p95 ≤ 150 ms, 0 errors. One JSON line per database is printed. The child
is always stopped.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import bindparam, text

from bench._engine_data import (
    DEFAULT_POSTGRES,
    MEETING_COLUMNS,
    insert_asset,
    insert_pipeline,
    scratch_database,
    stamp,
)
from bench._serve import CSRF, PASSWORD, percentiles, serving, signed_in
from momentum.clock import SystemClock
from momentum.db.bulk import insert_rows
from momentum.db.engine import Database
from momentum.user.accounts import AccountService
from momentum.user.models import Role

TARGET_P95_MS = 150.0
# 100,000 open deals over 500 reps: 200 open deals and about four meetings a day each, a busy
# rep's book. (Over 50, each rep would hold 2,000 open deals and forty meetings a day.)
REPS = 500
LATER_HELD = 7  # held meetings after meeting two, on the deals whose meeting two was held
_SLOT = re.compile(r'name="slot" value="([^"]+)"')
# two managers, each over ten reps and a team of them
MANAGERS = {"rep000": ("north", range(1, 11)), "rep049": ("south", range(11, 21))}


def _quantiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0}
    return percentiles(samples)


def insert_later_meetings(database: Database, *, now: datetime, seed: int = 11) -> int:
    """For each deal whose meeting two was held: ``LATER_HELD`` held meetings between meeting
    two and now, and one scheduled in the coming three weeks. Returns how many."""
    rng = random.Random(seed)
    with database.unit_of_work() as session:
        held_twos = session.execute(
            text("SELECT deal_id, start_at FROM meeting WHERE id LIKE '%-m2' AND status = 'held'")
        ).all()
    rows = []
    for deal_id, m2_start in sorted(held_twos):
        m2 = m2_start if isinstance(m2_start, datetime) else datetime.fromisoformat(m2_start)
        m2 = m2.replace(tzinfo=UTC) if m2.tzinfo is None else m2
        span = (now - timedelta(hours=1) - m2) / (LATER_HELD + 1)
        starts = [(m2 + span * (n + 1), "held") for n in range(LATER_HELD)]
        starts.append((now + timedelta(days=rng.uniform(0.5, 20)), "scheduled"))
        for number, (start, status) in enumerate(starts, start=3):
            rows.append(
                (
                    f"{deal_id}-m{number}",
                    deal_id,
                    stamp(start),
                    stamp(start + timedelta(minutes=45)),
                    stamp(min(start, now) - timedelta(days=1)),
                    status,
                    stamp(now),
                    "Seller: Pricing\nBuyer: Security review",
                    None,
                    0,
                    None,
                    stamp(now),
                    stamp(now),
                )
            )
    with database.unit_of_work() as session:
        insert_rows(session, "meeting", MEETING_COLUMNS, rows)
    return len(rows)


def insert_tasks(database: Database, *, now: datetime) -> int:
    """The task the rules give every open deal whose meeting one was held with nothing
    booked since: book meeting two, due three days after meeting one. Returns how many."""
    with database.unit_of_work() as session:
        open_gaps = session.execute(
            text(
                "SELECT d.id, d.owner_id, d.account, MIN(m.start_at) FROM deal d "
                "JOIN meeting m ON m.deal_id = d.id GROUP BY d.id, d.owner_id, d.account "
                "HAVING COUNT(*) = 1 AND MIN(m.status) = 'held'"
            )
        ).all()
        rows = []
        for deal_id, owner_id, account, m1_start in sorted(open_gaps):
            m1 = m1_start if isinstance(m1_start, datetime) else datetime.fromisoformat(m1_start)
            rows.append(
                (
                    deal_id,
                    owner_id,
                    f"Book meeting two with {account}",
                    "meeting_two_not_booked",
                    stamp(m1.replace(tzinfo=UTC) + timedelta(days=3)),
                    "open",
                    stamp(now),
                )
            )
        insert_rows(
            session,
            "task",
            ["deal_id", "owner_id", "title", "rule", "due_at", "status", "created_at"],
            rows,
        )
    return len(rows)


@dataclass
class User:
    email: str
    rep_id: str
    manager: bool
    team: str | None = None
    deals: list[str] = field(default_factory=list)  # deal pages to open, in turn
    open_gaps: list[str] = field(default_factory=list)  # deals to lock meeting two in on


def prepare_users(database: Database, users: int) -> list[User]:
    """Two managers over ten reps each (one manager when fewer than ten users), the rest reps
    rep001, rep002, ...; a login for each, the deals they open and those they lock in on."""
    managers = list(MANAGERS)[: 2 if users >= 10 else 1]
    team = [
        User(f"{rep_id}@bench.test", rep_id, manager=True, team=MANAGERS[rep_id][0])
        for rep_id in managers
    ]
    team += [
        User(f"rep{n:03d}@bench.test", f"rep{n:03d}", manager=False)
        for n in range(1, users - len(managers) + 1)
    ]
    with database.unit_of_work() as session:
        for manager_id, (name, reports) in MANAGERS.items():
            session.execute(
                text("UPDATE rep SET manager_id = :manager, team = :team WHERE id = :rep"),
                [{"manager": manager_id, "team": name, "rep": f"rep{n:03d}"} for n in reports],
            )
        accounts = AccountService(session, clock=SystemClock())
        for user in team:
            role = Role.MANAGER if user.manager else Role.REP
            accounts.add_user(email=user.email, password=PASSWORD, role=role, rep_id=user.rep_id)
        for user in team:
            owners = (
                [f"rep{n:03d}" for n in MANAGERS[user.rep_id][1]] if user.manager else [user.rep_id]
            )
            user.deals = list(
                session.execute(
                    text(
                        "SELECT deal_id FROM meeting m JOIN deal d ON d.id = m.deal_id "
                        "WHERE d.owner_id IN :owners GROUP BY deal_id ORDER BY deal_id LIMIT 200"
                    ).bindparams(bindparam("owners", expanding=True)),
                    {"owners": owners},
                ).scalars()
            )
            if not user.manager:
                user.open_gaps = list(
                    session.execute(
                        text(
                            "SELECT d.id FROM deal d JOIN meeting m ON m.deal_id = d.id "
                            "WHERE d.owner_id = :rep GROUP BY d.id "
                            "HAVING COUNT(*) = 1 AND MIN(m.status) = 'held' ORDER BY d.id"
                        ),
                        {"rep": user.rep_id},
                    ).scalars()
                )
    return team


class Recorder:
    """Timings and errors per page, from every user's thread."""

    def __init__(self, think: float) -> None:
        self.think = think
        self.samples: dict[str, list[float]] = {}
        self.errors: dict[str, int] = {}
        self.statuses: dict[str, list[int]] = {}  # of the errors (0: no answer)
        self.lock = threading.Lock()

    def request(
        self, page: str, client: httpx.Client, method: str, path: str, expect: int, **kw: Any
    ) -> httpx.Response | None:
        time.sleep(random.uniform(0.5, 1.5) * self.think)  # the user reads, then clicks
        started = time.perf_counter()
        try:
            answer: httpx.Response | None = client.request(method, path, **kw)
        except httpx.HTTPError:
            answer = None
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.samples.setdefault(page, []).append(elapsed)
            self.errors.setdefault(page, 0)
            if answer is None or answer.status_code != expect:
                self.errors[page] += 1
                self.statuses.setdefault(page, []).append(answer.status_code if answer else 0)
        return answer if answer is not None and answer.status_code == expect else None

    def report(self) -> dict[str, dict[str, Any]]:
        return {
            page: {
                **_quantiles(times),
                "errors": self.errors[page],
                "requests": len(times),
                **({"error_statuses": self.statuses[page]} if page in self.statuses else {}),
            }
            for page, times in self.samples.items()
        }


def rep_round(record: Recorder, client: httpx.Client, user: User, index: int) -> None:
    record.request("today", client, "GET", "/today", 200)
    record.request("calendar week", client, "GET", "/calendar", 200)
    if user.deals:
        record.request(
            "deal page", client, "GET", f"/deals/{user.deals[index % len(user.deals)]}", 200
        )
    if index >= len(user.open_gaps):
        return  # every open gap of this rep's is locked in (tiny stores)
    deal_id = user.open_gaps[index]
    form = record.request("lock-in form", client, "GET", f"/lock-in/{deal_id}", 200)
    token = CSRF.search(form.text) if form is not None else None
    if form is None or token is None:
        return
    slots = _SLOT.findall(form.text)
    # a rep with many meetings two in the coming days may have no free hour left in the
    # suggested days: then a time of their own, booked on "Book anyway"
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=6, minutes=15 * index)
    slot = slots[len(slots) // 2] if slots else later.isoformat()
    record.request(
        "lock-in POST",
        client,
        "POST",
        f"/lock-in/{deal_id}",
        303,
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


def manager_round(record: Recorder, client: httpx.Client, user: User, index: int) -> None:
    record.request("manager today", client, "GET", "/today", 200)
    record.request("manager calendar week", client, "GET", "/calendar", 200)
    record.request("manager team week", client, "GET", f"/calendar?team={user.team}", 200)
    if user.deals:
        deal_id = user.deals[index % len(user.deals)]
        record.request("manager deal page", client, "GET", f"/deals/{deal_id}", 200)


def warm_up(client: httpx.Client, user: User) -> None:
    """The user's pages once, not measured, as a server in use has served them before: what
    is measured is the server at work, not its first requests (templates compiled, the
    connection pool filled)."""
    pages = ["/today", "/calendar"] + [f"/deals/{deal_id}" for deal_id in user.deals[:1]]
    for path in pages:
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"warming up: {path} answered {answer.status_code}")


def load(
    base: str, team: list[User], rounds: int, seconds: float, think: float
) -> tuple[Recorder, float]:
    """Every user in its own thread, signed in first, then ``rounds`` rounds at once."""
    record = Recorder(think)
    clients = [signed_in(base, user.email) for user in team]
    for user, client in zip(team, clients, strict=True):
        warm_up(client, user)
    start = threading.Barrier(len(team))
    stop_at = [0.0]

    def work(user: User, client: httpx.Client) -> None:
        start.wait()
        run_round = manager_round if user.manager else rep_round
        for index in range(rounds):
            if time.monotonic() > stop_at[0]:
                return
            run_round(record, client, user, index)

    threads = [
        threading.Thread(target=work, args=pair, daemon=True)
        for pair in zip(team, clients, strict=True)
    ]
    stop_at[0] = time.monotonic() + seconds
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for client in clients:
        client.close()
    return record, wall


def run(
    kind: str,
    deals: int,
    *,
    users: int = 20,
    rounds: int = 10,
    seconds: float = 300,
    think: float = 1.0,
    workers: int = 1,
    reps: int = REPS,
    postgres_url: str = DEFAULT_POSTGRES,
) -> dict[str, Any]:
    now = datetime.now(UTC).replace(microsecond=0)
    with scratch_database(kind, postgres_url) as database:
        started = time.perf_counter()
        shape = insert_pipeline(database, deals=deals, now=now, reps=reps)
        shape["meetings"] += insert_later_meetings(database, now=now)
        shape["tasks"] = insert_tasks(database, now=now)
        insert_asset(database, now=now)
        team = prepare_users(database, users)
        if kind == "postgresql":
            with database.unit_of_work() as session:
                session.execute(text("ANALYZE"))
        generated = time.perf_counter() - started
        with (
            tempfile.TemporaryDirectory(prefix="momentum-bench-web-") as folder,
            serving(database.url, Path(folder), workers=workers) as (base, log_path),
        ):
            record, wall = load(base, team, rounds, seconds, think)
            if any(record.errors.values()):  # the server's side of the errors
                print(log_path.read_text()[-20_000:], file=sys.stderr)
    pages = record.report()
    return {
        "database": kind,
        "deals": deals,
        "reps": reps,
        "meetings": shape["meetings"],
        "shape": shape,
        "users": users,
        "rounds": rounds,
        "think_seconds": think,
        "server_processes": workers,
        "generate_seconds": round(generated, 1),
        "load_seconds": round(wall, 1),
        "requests": sum(row["requests"] for row in pages.values()),
        "errors": sum(row["errors"] for row in pages.values()),
        "pages_ms": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20, help="concurrent signed-in users (≥ 2)")
    parser.add_argument("--rounds", type=int, default=10, help="rounds of pages per user")
    parser.add_argument("--seconds", type=float, default=300, help="stop starting rounds after")
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean pause before each request, seconds"
    )
    parser.add_argument(
        "--reps", type=int, default=REPS, help=f"reps the deals are dealt to (≥ 50; {REPS})"
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument(
        "--workers", type=int, default=1, help="processes of momentum serve (its --workers)"
    )
    args = parser.parse_args()
    if args.users < 2:
        parser.error("--users: at least 2 (a manager and a rep)")
    if args.reps < max(50, args.users):
        parser.error("--reps: at least 50 (rep049 manages a team) and at least --users")
    result = run(
        args.database,
        args.deals,
        users=args.users,
        rounds=args.rounds,
        seconds=args.seconds,
        think=args.think,
        workers=args.workers,
        reps=args.reps,
        postgres_url=args.postgres,
    )
    print(
        f"\n{args.database}: {args.deals:,} deals, {result['meetings']:,} meetings, "
        f"{args.users} concurrent users (think {args.think} s), {result['requests']} requests in "
        f"{result['load_seconds']} s (ms)"
    )
    print(f"  {'page':<24}{'p50':>8}{'p95':>8}{'p99':>8}  errors  target p95 ≤ {TARGET_P95_MS:.0f}")
    for name, row in result["pages_ms"].items():
        verdict = "ok" if row["p95"] <= TARGET_P95_MS and row["errors"] == 0 else "MISSED"
        print(
            f"  {name:<24}{row['p50']:>8}{row['p95']:>8}{row['p99']:>8}"
            f"  {row['errors']:>6}  {verdict}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
