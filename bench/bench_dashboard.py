"""Benchmark: the manager's dashboard on a store of 1,000,000 meetings, served by a real
``momentum serve`` on loopback to ten managers at once.

    .venv/bin/python -m bench.bench_dashboard [--meetings 1000000] [--requests 30]
                                              [--seconds 300] [--think 0] [--store DIR]
                                              [--cache-seconds S] [--workers N]

The store (not timed) is the canonical benchmark folder (``bench/generate.py``) imported into
a fresh SQLite store with ``momentum import``, then its deals dealt out to 50 reps in 5 teams
of 10, with 10 managers over 5 reps each (two per team), a sign-in for each manager and for an
administrator. Then ``momentum serve --no-worker --workers N`` starts on a free port of
127.0.0.1; each of its processes reads the store's frames once it starts (their times, from
its log, are reported), and once they have:

1. the administrator signs in and opens the whole team's dashboard (every rep, every deal):
   the **first render** (the whole team's audit, computed for the first time);
2. the 10 managers, signed in, each on their own thread and connection, request
   ``--requests`` views each (at most ``--seconds`` in all): their team or one of their reps,
   over the whole history, the first half of 2026 or its third quarter, in an order drawn from
   a fixed seed, with a pause of ``--think`` seconds on average before each (none by default:
   ten managers asking as fast as they are answered). After each page, its charts (images of
   their own) are fetched one after another, as a browser would. Reported: the pages'
   p50/p95/p99 in milliseconds over all of them, per kind of view, and split by whether the
   view (scope and period) was asked for the first time; and, apart, how long the charts took
   after their page.

A view counts as an error unless its page answers 200 with the dashboard's figures on it and
each of its charts 200. One JSON
line is printed. The server is always stopped. Targets (issue 16): first render ≤ 2 s, p95 ≤
300 ms after it, 0 errors.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench._serve import PASSWORD, percentiles, serving, signed_in
from bench.generate import ZONES, generate
from bench.measure import MOMENTUM, check, run
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.user.accounts import AccountService
from momentum.user.models import Role

TARGET_FIRST_S = 2.0
TARGET_P95_MS = 300.0
REPS, TEAM_SIZE, MANAGERS, REPORTS = 50, 10, 10, 5
PERIODS = {
    "all": {},
    "2026-H1": {"since": "2026-01-01", "until": "2026-06-30"},
    "2026-Q3": {"since": "2026-07-01", "until": "2026-09-30"},
}
_IMAGE = re.compile(r'<img src="([^"]+)"')
FIGURES = 'data-figure="'  # on every rendered dashboard
_FRAMES_READ = re.compile(r"read the store's frames \(.*\) in ([0-9.]+) s")


def rep_id(index: int) -> str:
    return f"r{index:05d}"


def team_of(index: int) -> str:
    return f"team{index // TEAM_SIZE + 1}"


def manager_id(number: int) -> str:
    return f"mgr{number:02d}"


def reports_of(number: int) -> list[int]:
    """The reps (by index) of manager ``number`` (1..10): five of one team."""
    return list(range((number - 1) * REPORTS, number * REPORTS))


def build_store(meetings: int, folder: Path) -> str:
    """A SQLite store of ``meetings`` meetings shaped as above; its URL."""
    data = generate(meetings)
    url = f"sqlite:///{folder / 'momentum.db'}"
    check(run([*MOMENTUM, "import", str(data)], env={"MOMENTUM_DATABASE_URL": url}, cwd=folder))
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(folder / "momentum.db") as db:
        # the generator's deals are "d<n>": rep n mod 50 owns deal n
        db.execute(
            "UPDATE deal SET owner_id = printf('r%05d', CAST(substr(id, 2) AS INTEGER) % ?)",
            (REPS,),
        )
        db.execute("DELETE FROM rep WHERE id NOT IN (SELECT DISTINCT owner_id FROM deal)")
        db.executemany(  # a small folder has fewer than 50 reps
            "INSERT OR IGNORE INTO rep (id, name, timezone, country, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(rep_id(i), f"Rep {i}", *ZONES[i % len(ZONES)], stamp, stamp) for i in range(REPS)],
        )
        db.executemany(
            "INSERT INTO rep (id, name, email, timezone, created_at, updated_at) "
            "VALUES (?, ?, ?, 'Europe/Berlin', ?, ?)",
            [
                (manager_id(n), f"Manager {n}", f"{manager_id(n)}@bench.test", stamp, stamp)
                for n in range(1, MANAGERS + 1)
            ],
        )
        for number in range(1, MANAGERS + 1):
            for index in reports_of(number):
                db.execute(
                    "UPDATE rep SET team = ?, manager_id = ? WHERE id = ?",
                    (team_of(index), manager_id(number), rep_id(index)),
                )
    database = Database(url)
    with database.unit_of_work() as session:
        accounts = AccountService(session, clock=FixedClock(now))
        accounts.add_user(email="head@bench.test", password=PASSWORD, role=Role.ADMIN)
        for number in range(1, MANAGERS + 1):
            accounts.add_user(
                email=f"{manager_id(number)}@bench.test",
                password=PASSWORD,
                role=Role.MANAGER,
                rep_id=manager_id(number),
            )
    database.dispose()
    return url


def plan(number: int, requests: int) -> list[tuple[str, str, dict[str, str]]]:
    """Manager ``number``'s views in order: (kind, period, query)."""
    rng = random.Random(number)
    views: list[tuple[str, str, dict[str, str]]] = []
    for _ in range(requests):
        period = rng.choice(list(PERIODS))
        if rng.random() < 0.3:
            scope = {"team": team_of(reports_of(number)[0])}
            kind = "team"
        else:
            scope = {"rep": rep_id(rng.choice(reports_of(number)))}
            kind = "rep"
        views.append((kind, period, {**scope, **PERIODS[period]}))
    return views


def quantiles(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "count": 0}
    return {**percentiles(samples), "count": len(samples)}


def managers_at_once(base: str, requests: int, seconds: float, think: float) -> dict[str, Any]:
    clients = [
        signed_in(base, f"{manager_id(n)}@bench.test", timeout=120) for n in range(1, MANAGERS + 1)
    ]
    seen: set[tuple[tuple[str, str], ...]] = set()
    lock = threading.Lock()
    samples: list[tuple[str, bool, float]] = []  # (kind, first time asked, ms)
    errors: list[str] = []
    charts_ms: list[float] = []  # after each page, until its last chart arrived
    stop_at = time.monotonic() + seconds
    start = threading.Barrier(MANAGERS)

    def manager(number: int, client: httpx.Client) -> None:
        pauses = random.Random(-number)
        start.wait()
        for kind, _period, query in plan(number, requests):
            if time.monotonic() > stop_at:
                return
            time.sleep(pauses.uniform(0, 2 * think))  # reading the last view
            key = tuple(sorted(query.items()))
            with lock:
                first = key not in seen
                seen.add(key)
            began = time.perf_counter()
            drawn_ms = None
            try:
                answer = client.get("/dashboard", params=query)
                ok = answer.status_code == 200 and FIGURES in answer.text
                problem = f"{answer.status_code} for {query}"
                elapsed = (time.perf_counter() - began) * 1000
                if ok:  # then its charts, as a browser would
                    for source in _IMAGE.findall(answer.text):
                        chart = client.get(html.unescape(source))
                        if chart.status_code != 200:
                            ok, problem = False, f"{chart.status_code} for {source}"
                    drawn_ms = (time.perf_counter() - began) * 1000 - elapsed
            except httpx.HTTPError as error:
                ok, problem = False, f"{type(error).__name__} for {query}"
                elapsed = (time.perf_counter() - began) * 1000
            with lock:
                samples.append((kind, first, elapsed))
                if drawn_ms is not None:
                    charts_ms.append(drawn_ms)
                if not ok:
                    errors.append(problem)

    threads = [
        threading.Thread(target=manager, args=(n, client))
        for n, client in enumerate(clients, start=1)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    for client in clients:
        client.close()
    return {
        "all": quantiles([ms for _, _, ms in samples]),
        "views": {
            kind: quantiles([ms for k, _, ms in samples if k == kind]) for kind in ("team", "rep")
        },
        "first_asked": quantiles([ms for _, first, ms in samples if first]),
        "asked_again": quantiles([ms for _, first, ms in samples if not first]),
        "charts_after_page": quantiles(charts_ms),
        "errors": len(errors),
        "error_examples": errors[:5],
        "requests": len(samples),
        "wall_seconds": round(wall, 1),
    }


def frames_read(log: Path, workers: int) -> list[float]:
    """Wait until each of the server's ``workers`` processes has read the store's frames (as
    ``momentum serve`` does once it starts), and return how long each read took (seconds),
    as the server logs them."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "reading the store's frames failed" in text:
            raise RuntimeError(f"the server could not read the store:\n{text[-3000:]}")
        seconds = [float(s) for s in _FRAMES_READ.findall(text)]
        if len(seconds) >= workers:
            return seconds
        time.sleep(0.2)
    raise RuntimeError("the server did not read the store's frames within 600 s")


def bench(
    meetings: int,
    requests: int,
    seconds: float,
    think: float,
    store: Path | None,
    cache_seconds: float | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="momentum-dashbench-") as name:
        folder = store or Path(name)
        began = time.perf_counter()
        if store is not None and (store / "momentum.db").exists():
            url = f"sqlite:///{store / 'momentum.db'}"
        else:
            folder.mkdir(parents=True, exist_ok=True)
            url = build_store(meetings, folder)
        with sqlite3.connect(folder / "momentum.db") as db:
            stored = db.execute("SELECT count(*) FROM meeting").fetchone()[0]
            deals = db.execute("SELECT count(*) FROM deal").fetchone()[0]
        built = time.perf_counter() - began
        cache = (
            {}
            if cache_seconds is None
            else {"MOMENTUM_DASHBOARD_CACHE_SECONDS": f"{cache_seconds}"}
        )
        with serving(url, folder, workers=workers, env=cache) as (base, log):
            read_seconds = frames_read(log, workers)
            head = signed_in(base, "head@bench.test", timeout=120)
            began = time.perf_counter()
            first = head.get("/dashboard")
            first_seconds = time.perf_counter() - began
            first_ok = first.status_code == 200 and FIGURES in first.text
            again = head.get("/dashboard")  # the same view, from the cache
            head.close()
            load = managers_at_once(base, requests, seconds, think)
    return {
        "meetings": stored,
        "deals": deals,
        "reps": REPS,
        "managers": MANAGERS,
        "think_seconds": think,
        "cache_seconds": cache_seconds,
        "build_seconds": round(built, 1),
        "workers": workers,
        "frames_read_at_start_seconds": read_seconds,
        "first_render_seconds": round(first_seconds, 2),
        "first_render_ok": first_ok,
        "first_render_again_ms": round(again.elapsed.total_seconds() * 1000, 1),
        "page_kib": round(len(first.content) / 1024),
        "managers_ms": load,
        "errors": load["errors"] + (0 if first_ok else 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--meetings", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=30, help="views per manager")
    parser.add_argument("--seconds", type=float, default=300, help="at most this long")
    parser.add_argument(
        "--think",
        type=float,
        default=0.0,
        help="mean pause of a manager between two views, drawn evenly from 0 to twice it",
    )
    parser.add_argument(
        "--store",
        type=Path,
        help="keep the store in this folder, and use the one already there (for profiling)",
    )
    parser.add_argument(
        "--cache-seconds",
        type=float,
        help="the server's dashboard_cache_seconds (default: the setting's default)",
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="server processes (momentum serve --workers)"
    )
    args = parser.parse_args()
    result = bench(
        args.meetings,
        args.requests,
        args.seconds,
        args.think,
        args.store,
        args.cache_seconds,
        args.workers,
    )
    print(json.dumps(result), flush=True)
    verdict = (
        result["first_render_seconds"] <= TARGET_FIRST_S
        and result["managers_ms"]["all"]["p95"] <= TARGET_P95_MS
        and result["errors"] == 0
    )
    print(
        f"first render {result['first_render_seconds']} s (≤ {TARGET_FIRST_S:.0f}), "
        f"p95 {result['managers_ms']['all']['p95']} ms (≤ {TARGET_P95_MS:.0f}), "
        f"{result['errors']} errors: {'met' if verdict else 'MISSED'}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
