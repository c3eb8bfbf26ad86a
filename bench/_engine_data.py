"""Data generators and store helpers shared by the engine's benchmarks.

Rows go in with set-based inserts (``momentum.db.bulk``), not through the services: the
benchmarks time the dispatcher and the rule engine, not the generators.
"""

from __future__ import annotations

import os
import random
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from momentum.db.bulk import insert_rows
from momentum.db.engine import Database

DEFAULT_POSTGRES = os.environ.get(
    "MOMENTUM_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
ZONES = [
    ("Europe/Berlin", "DE"),
    ("America/New_York", "US"),
    ("Europe/London", "GB"),
    ("Asia/Tokyo", "JP"),
    ("Australia/Sydney", "AU"),
    ("America/Sao_Paulo", "BR"),
    ("Asia/Kolkata", "IN"),
    ("Europe/Paris", None),
]
# A rules file under which every day and hour is open for buyers: benchmarks must not depend
# on when they are run.
ALWAYS_OPEN = (
    "[calendar]\nweekend = []\nquiet_hours_start = 00:00:00\nquiet_hours_end = 00:00:00\n"
    "[reminders]\nsend_at = 00:00:00\n"
)


def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@contextmanager
def scratch_database(kind: str, postgres_url: str = DEFAULT_POSTGRES) -> Iterator[Database]:
    """A fresh, migrated store that is thrown away afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="momentum-bench-") as folder:
            database = Database(f"sqlite:///{Path(folder) / 'bench.db'}")
            try:
                yield database
            finally:
                database.dispose()
        return
    url = make_url(postgres_url)
    name = f"momentum_bench_{uuid.uuid4().hex[:10]}"

    def admin() -> psycopg.Connection:
        return psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database,
            autocommit=True,
        )

    with admin() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        # A benchmark killed mid-statement leaves the server running that statement for a
        # client that is gone (up to a quarter of an hour, seen), loading every later run.
        connection.execute(f"ALTER DATABASE \"{name}\" SET statement_timeout = '5min'")
    database = Database(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        database.dispose()
        with admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def insert_team(
    database: Database, *, reps: int, now: datetime, holidays: bool = True
) -> list[tuple[str, str, str | None]]:
    """``reps`` reps across ZONES; without ``holidays``, none has a holiday country."""
    team = []
    for index in range(reps):
        tz, country = ZONES[index % len(ZONES)]
        team.append((f"rep{index:03d}", tz, country if holidays else None))
    with database.unit_of_work() as session:
        insert_rows(
            session,
            "rep",
            [
                "id",
                "name",
                "email",
                "manager_id",
                "timezone",
                "country",
                "created_at",
                "updated_at",
            ],
            [
                (
                    rep_id,
                    f"Rep {rep_id}",
                    f"{rep_id}@seller.test",
                    None,
                    tz,
                    country,
                    stamp(now),
                    stamp(now),
                )
                for rep_id, tz, country in team
            ],
        )
    return team


def insert_asset(database: Database, *, now: datetime) -> int:
    with database.unit_of_work() as session:
        insert_rows(
            session,
            "value_asset",
            ["id", "title", "kind", "summary", "url", "tags", "active", "created_at"],
            [
                (
                    1,
                    "What plants like yours saved",
                    "data_point",
                    "Three plants cut changeover time by 31 % in a quarter.",
                    "https://example.test/changeover",
                    "manufacturing",
                    True,
                    stamp(now),
                )
            ],
        )
    return 1


DEAL_COLUMNS = [
    "id",
    "name",
    "account",
    "owner_id",
    "opened_at",
    "outcome",
    "created_at",
    "updated_at",
]
MEETING_COLUMNS = [
    "id",
    "deal_id",
    "start_at",
    "end_at",
    "booked_at",
    "status",
    "status_changed_at",
    "agenda",
    "homework",
    "sequence",
    "ical_uid",
    "created_at",
    "updated_at",
]


def insert_due_reminders(database: Database, *, reminders: int, now: datetime) -> int:
    """``reminders`` reminders (a value reminder and a confirmation per meeting two), all due
    now, each with its outbox message, for meetings two days ahead. Returns how many."""
    meetings = reminders // 2
    # No holiday countries: on a public holiday (run on Thanksgiving, a sixth of the reps are
    # in the US) reminders rightly wait for the next business day, and the benchmark would
    # measure the calendar instead of the dispatcher.
    team = insert_team(database, reps=12, now=now, holidays=False)
    insert_asset(database, now=now)
    start = now + timedelta(days=2)
    deals, contacts, meeting_rows, reminder_rows, messages = [], [], [], [], []
    for index in range(meetings):
        rep_id = team[index % len(team)][0]
        deal_id = f"deal{index:06d}"
        meeting_id = f"m{index:06d}"
        deals.append(
            (
                deal_id,
                f"Deal {index}",
                f"Account {index}",
                rep_id,
                stamp(now - timedelta(days=9)),
                "open",
                stamp(now),
                stamp(now),
            )
        )
        contacts.append(
            (index + 1, deal_id, f"Buyer {index}", f"buyer{index}@buyer.test", stamp(now))
        )
        meeting_rows.append(
            (
                meeting_id,
                deal_id,
                stamp(start),
                stamp(start + timedelta(minutes=45)),
                stamp(now - timedelta(days=3)),
                "scheduled",
                stamp(now),
                "Seller: ROI model\nBuyer: Your numbers",
                "Read the case study",
                0,
                f"momentum-bench-{index:06d}",
                stamp(now),
                stamp(now),
            )
        )
        for offset, (kind, message_kind) in enumerate(
            (("value", "value_reminder"), ("confirmation", "confirmation"))
        ):
            reminder_id = 2 * index + offset + 1
            reminder_rows.append(
                (
                    reminder_id,
                    meeting_id,
                    kind,
                    stamp(now - timedelta(minutes=1)),
                    "pending",
                    1 if kind == "value" else None,
                    stamp(now),
                    stamp(now),
                )
            )
            messages.append(
                (
                    reminder_id,
                    f"{kind}-reminder.bench{reminder_id:07d}",
                    "email",
                    message_kind,
                    f'["buyer{index}@buyer.test"]',
                    f'{{"reminder_id": {reminder_id}}}',
                    deal_id,
                    meeting_id,
                    reminder_id,
                    "pending",
                    stamp(now - timedelta(minutes=1)),
                    0,
                    stamp(now),
                    stamp(now),
                )
            )
    with database.unit_of_work() as session:
        insert_rows(session, "deal", DEAL_COLUMNS, deals)
        insert_rows(session, "contact", ["id", "deal_id", "name", "email", "created_at"], contacts)
        insert_rows(session, "meeting", MEETING_COLUMNS, meeting_rows)
        insert_rows(
            session,
            "reminder",
            [
                "id",
                "meeting_id",
                "kind",
                "due_at",
                "status",
                "value_asset_id",
                "created_at",
                "updated_at",
            ],
            reminder_rows,
        )
        insert_rows(
            session,
            "outbox_message",
            [
                "id",
                "key",
                "channel",
                "kind",
                "recipients",
                "payload",
                "deal_id",
                "meeting_id",
                "reminder_id",
                "status",
                "due_at",
                "attempts",
                "created_at",
                "updated_at",
            ],
            messages,
        )
    return len(messages)


def insert_pipeline(
    database: Database, *, deals: int, now: datetime, reps: int = 50, seed: int = 7
) -> dict[str, int]:
    """``deals`` open deals at every stage of the second-meeting funnel (see the shares
    below), with the meetings that put them there, dealt at random to ``reps`` reps."""
    rng = random.Random(seed)
    team = insert_team(database, reps=reps, now=now)
    deal_rows, meeting_rows = [], []
    shape = {"no meeting": 0, "m1 only": 0, "m2 booked": 0, "m2 no-show": 0, "m2 held": 0}
    for index in range(deals):
        rep_id = team[rng.randrange(len(team))][0]
        deal_id = f"deal{index:07d}"
        opened = now - timedelta(days=rng.uniform(1, 120))
        deal_rows.append(
            (
                deal_id,
                f"Deal {index}",
                f"Account {index % 9973}",
                rep_id,
                stamp(opened),
                "open",
                stamp(now),
                stamp(now),
            )
        )
        roll = rng.random()
        if roll < 0.20:
            shape["no meeting"] += 1
            continue
        m1_start = opened + timedelta(days=rng.uniform(0, 3))
        if m1_start >= now:
            m1_start = now - timedelta(hours=2)

        def meeting(
            number: int,
            start: datetime,
            status: str,
            agenda: bool = True,
            homework: bool = True,
            deal_id: str = deal_id,
        ) -> None:
            meeting_rows.append(
                (
                    f"{deal_id}-m{number}",
                    deal_id,
                    stamp(start),
                    stamp(start + timedelta(minutes=30)),
                    stamp(min(start, now) - timedelta(days=rng.uniform(0.01, 2))),
                    status,
                    stamp(now),
                    "Seller: ROI model\nBuyer: Your numbers" if agenda else None,
                    "Read the case study" if homework else None,
                    0,
                    None,
                    stamp(now),
                    stamp(now),
                )
            )

        meeting(1, m1_start, "held")
        if roll < 0.50:
            shape["m1 only"] += 1
        elif roll < 0.75:
            shape["m2 booked"] += 1
            meeting(
                2,
                now + timedelta(days=rng.uniform(0.5, 12)),
                "scheduled",
                rng.random() < 0.8,
                rng.random() < 0.7,
            )
        elif roll < 0.85:
            shape["m2 no-show"] += 1
            meeting(
                2,
                min(m1_start + timedelta(days=rng.uniform(1, 10)), now - timedelta(hours=1)),
                "no_show",
            )
        else:
            shape["m2 held"] += 1
            meeting(
                2,
                min(m1_start + timedelta(days=rng.uniform(1, 10)), now - timedelta(hours=1)),
                "held",
            )
    with database.unit_of_work() as session:
        insert_rows(session, "deal", DEAL_COLUMNS, deal_rows)
        insert_rows(session, "meeting", MEETING_COLUMNS, meeting_rows)
        insert_rows(
            session,
            "contact",
            ["id", "deal_id", "name", "email", "created_at"],
            [
                (i + 1, row[0], None, f"buyer{i}@buyer.test", stamp(now))
                for i, row in enumerate(deal_rows)
            ],
        )
    shape["meetings"] = len(meeting_rows)
    return shape
