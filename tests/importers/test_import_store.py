"""``momentum import`` into a real store: all or nothing, idempotent, updates by id."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select, text

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.db.models import Deal, ImportRun, Meeting, MeetingStatus, MeetingStatusChange, Rep
from momentum.errors import ValidationFailed
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files

REPS = "rep_id,name,timezone,country,manager_id\nr1,Ann,America/New_York,US,\nr2,Bo,Europe/Berlin,DE,r1\n"
DEALS = (
    "deal_id,name,owner_id,outcome,closed_at,amount,currency\n"
    "d1,Acme,r1,won,2026-03-20,12000.50,usd\nd2,Birch,r2,open,,,\n"
)
MEETINGS = (
    "meeting_id,deal_id,start,end,booked_at,status,agenda,homework\n"
    "m1,d1,2026-03-02 10:00,2026-03-02 10:45,2026-02-25 09:00,held,Discovery,\n"
    "m2,d1,2026-03-05T10:00:00-05:00,,2026-03-02T11:45:00-05:00,scheduled,ROI model,Send volumes\n"
    "m3,d2,2026-03-04T09:00:00Z,,,scheduled,,\n"
)
T1 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


def load(database: Database, paths: list[Path], at: datetime = T1):  # type: ignore[no-untyped-def]
    return import_files(
        database, paths, format="momentum", options=ReadOptions(batch_rows=2), clock=FixedClock(at)
    )


def snapshot(database: Database) -> dict[str, list[tuple[object, ...]]]:
    tables = ("rep", "deal", "meeting", "meeting_status_change", "import_run")
    with database.engine.connect() as connection:
        return {
            t: sorted(map(tuple, connection.execute(text(f"SELECT * FROM {t}")).all()), key=repr)
            for t in tables
        }


def test_a_folder_is_imported_with_utc_times(database: Database, write_files) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": MEETINGS})
    summary = load(database, [folder])
    assert summary.counts == {
        "reps": {"read": 2, "inserted": 2, "updated": 0},
        "deals": {"read": 2, "inserted": 2, "updated": 0},
        "meetings": {"read": 3, "inserted": 3, "updated": 0},
    }
    with database.unit_of_work(write=False) as session:
        m1 = session.get(Meeting, "m1")
        assert m1 is not None
        assert (m1.start_at, m1.end_at) == (
            datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
            datetime(2026, 3, 2, 15, 45, tzinfo=UTC),
        )
        assert m1.booked_at == datetime(2026, 2, 25, 14, 0, tzinfo=UTC)
        m2 = session.get(Meeting, "m2")
        assert m2 is not None and m2.end_at == datetime(2026, 3, 5, 15, 30, tzinfo=UTC)
        assert (m2.agenda, m2.homework, m2.status) == (
            "ROI model",
            "Send volumes",
            MeetingStatus.SCHEDULED,
        )
        d1 = session.get(Deal, "d1")
        assert d1 is not None
        assert (d1.amount, d1.currency, d1.closed_at) == (
            Decimal("12000.5"),
            "USD",
            datetime(2026, 3, 20, 4, 0, tzinfo=UTC),
        )
        r2 = session.get(Rep, "r2")
        assert r2 is not None and (r2.manager_id, r2.timezone, r2.country) == (
            "r1",
            "Europe/Berlin",
            "DE",
        )
        changes = session.scalars(
            select(MeetingStatusChange).order_by(MeetingStatusChange.meeting_id)
        ).all()
        assert [(c.meeting_id, c.from_status, c.to_status, c.source) for c in changes] == [
            ("m1", None, MeetingStatus.HELD, "import:momentum"),
            ("m2", None, MeetingStatus.SCHEDULED, "import:momentum"),
            ("m3", None, MeetingStatus.SCHEDULED, "import:momentum"),
        ]
        run = session.scalars(select(ImportRun)).one()
        assert run.counts["meetings_inserted"] == 3 and run.format == "momentum"


def test_reimporting_the_same_files_changes_nothing(database: Database, write_files) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": MEETINGS})
    load(database, [folder])
    before = snapshot(database)
    summary = load(database, [folder], at=T2)
    assert {t: (c["inserted"], c["updated"]) for t, c in summary.counts.items()} == {
        "reps": (0, 0),
        "deals": (0, 0),
        "meetings": (0, 0),
    }
    after = snapshot(database)
    assert after["meeting"] == before["meeting"] and after["deal"] == before["deal"]
    assert after["meeting_status_change"] == before["meeting_status_change"]


def test_an_updated_file_updates_by_id_and_logs_status_changes(
    database: Database, write_files
) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": MEETINGS})
    load(database, [folder])
    update = write_files(
        {
            "meetings.csv": (
                "meeting_id,deal_id,start,status\n"
                "m2,d1,2026-03-05T10:00:00-05:00,held\n"
                "m3,d2,2026-03-04T09:00:00Z,scheduled\n"
                "m4,d2,2026-03-09 09:00,scheduled\n"
            )
        },
        folder="update",
    )
    summary = load(database, [update / "meetings.csv"], at=T2)
    assert summary.counts["meetings"] == {"read": 3, "inserted": 1, "updated": 1}
    with database.unit_of_work(write=False) as session:
        m2, m3, m4 = (session.get(Meeting, i) for i in ("m2", "m3", "m4"))
        assert m2 is not None and m3 is not None and m4 is not None
        assert (m2.status, m2.status_changed_at) == (MeetingStatus.HELD, T2)
        assert m3.status_changed_at == T1  # unchanged status keeps its time
        # columns the update did not carry are kept, not wiped
        assert (m2.agenda, m2.booked_at) == ("ROI model", datetime(2026, 3, 2, 16, 45, tzinfo=UTC))
        # a naive time in a meetings-only file is in the stored owner's zone (Berlin)
        assert m4.start_at == datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
        latest = session.scalars(
            select(MeetingStatusChange)
            .where(MeetingStatusChange.changed_at == T2)
            .order_by(MeetingStatusChange.meeting_id)
        ).all()
        assert [(c.meeting_id, c.from_status, c.to_status) for c in latest] == [
            ("m2", MeetingStatus.SCHEDULED, MeetingStatus.HELD),
            ("m4", None, MeetingStatus.SCHEDULED),
        ]


def test_a_bad_row_anywhere_leaves_the_store_untouched(database: Database, write_files) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": MEETINGS})
    load(database, [folder])
    before = snapshot(database)
    good_rows = "".join(f"x{i},d1,2026-04-0{1 + i % 9}T10:00:00Z,held\n" for i in range(40))
    bad = write_files(
        {
            "deals.csv": DEALS.replace("d2,Birch,r2,open", "d2,Birch,r2,lost")
            + "d3,Cobalt,r1,open,,,\n",
            "meetings.csv": "meeting_id,deal_id,start,status\n"
            + good_rows
            + "x99,d3,whenever,held\n",
        },
        folder="bad",
    )
    with pytest.raises(ValidationFailed) as failure:
        load(database, [bad], at=T2)
    assert [str(p).removeprefix(f"{bad}/") for p in failure.value.problems] == [
        "deals.csv:3:closed_at: is required when outcome is lost",
        "meetings.csv:42:start: 'whenever' is not a date-time: expected an ISO 8601 date or "
        "date-time such as 2026-03-02T10:00:00-05:00",
    ]
    assert snapshot(database) == before


def test_meetings_may_refer_to_deals_already_in_the_store(database: Database, write_files) -> None:
    load(database, [write_files({"reps.csv": REPS, "deals.csv": DEALS})])
    more = write_files(
        {
            "meetings.csv": "meeting_id,deal_id,start,status\nm9,d2,2026-03-02,held\n"
            "m10,d404,2026-03-02,held\n"
        },
        folder="more",
    )
    with pytest.raises(ValidationFailed) as failure:
        load(database, [more])
    assert [str(p).removeprefix(f"{more}/") for p in failure.value.problems] == [
        "meetings.csv:3:deal_id: 'd404' is not a deal_id in deals.csv (none was given)"
    ]


def test_owners_without_a_reps_file_become_reps_with_the_defaults(
    database: Database, write_files
) -> None:
    folder = write_files({"deals.csv": "deal_id,owner_id,outcome\nd1,ann,open\nd2,bo,open\n"})
    summary = load(database, [folder])
    assert summary.counts["reps"]["inserted"] == 2
    assert summary.notes == [
        "2 reps were not in a reps file and were created from the deals' owner_id column with the "
        "default time zone, UTC, and no public holidays (a reps file, or "
        "MOMENTUM_DEFAULT_TIMEZONE and MOMENTUM_DEFAULT_COUNTRY, can set them)"
    ]
    with database.unit_of_work(write=False) as session:
        assert [(r.id, r.timezone) for r in session.scalars(select(Rep).order_by(Rep.id))] == [
            ("ann", "UTC"),
            ("bo", "UTC"),
        ]


def test_what_the_rows_showed_is_noted_in_the_summary(database: Database, write_files) -> None:
    deals = "deal_id,owner_id,outcome,amount\nd1,r1,open,1\nd2,r1,open,2\nd3,r1,open,8.500\n"
    folder = write_files({"reps.csv": REPS, "deals.csv": deals})
    summary = load(database, [folder])  # two rows a batch: the note comes from the second
    assert summary.notes == [
        f"amounts in {folder}/deals.csv such as '8.500' (row 4, amount) can be read either way; "
        "the decimal mark is taken to be a point (as the canonical format writes it), so it is "
        "read as 8.5"
    ]
