"""The store read as frames: exactly the values stored, in the canonical types, as committed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from momentum.audit import store
from momentum.audit.store import MEETING_SOURCE, load_dataset
from momentum.canonical import DEAL_COLUMNS, MEETING_COLUMNS, REP_COLUMNS, STAGE_COLUMNS
from momentum.db.engine import Database
from momentum.deal.models import Deal, DealStageEntry, Outcome
from momentum.importers.models import ImportRun
from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange
from momentum.rep.models import Rep
from momentum.review.scope import restrict

T0 = datetime(2026, 3, 29, 0, 30, 15, 123456, tzinfo=ZoneInfo("Europe/Berlin"))  # DST day
KEYS = {
    "reps": "rep_id",
    "deals": "deal_id",
    "meetings": "meeting_id",
    "stages": ["deal_id", "entered_at"],
}
NO_NAMES = 1_100  # more deals without a name than a reader would look at to guess its type


def _utc(instant: datetime | None) -> datetime | None:
    return None if instant is None else instant.astimezone(UTC)


def _records() -> dict[str, list[dict[str, Any]]]:
    reps: list[dict[str, Any]] = [
        {"id": "r1", "name": "Zoë Ødegård", "email": "zoe@example.com", "team": "Nord",
         "manager_id": None, "timezone": "Europe/Berlin", "country": "DE"},
        {"id": "r2", "name": None, "email": None, "team": None, "manager_id": "r1",
         "timezone": "America/Los_Angeles", "country": None},
    ]  # fmt: skip
    deals: list[dict[str, Any]] = [
        {"id": f"d{n:04}", "name": None, "account": None, "owner_id": "r1", "opened_at": None,
         "stage": None, "amount": None, "currency": None, "outcome": Outcome.OPEN,
         "closed_at": None}
        for n in range(NO_NAMES)
    ]  # fmt: skip
    deals += [
        {"id": "d-won", "name": "Große Ausschreibung 🚀", "account": "Café \"Zürich\", AG",
         "owner_id": "r2", "opened_at": T0, "stage": "négociation",
         "amount": Decimal("1234.5678"), "currency": "EUR", "outcome": Outcome.WON,
         "closed_at": datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/Los_Angeles"))},
        {"id": "d-lost", "name": "line\nbreak", "account": "", "owner_id": "r2",
         "opened_at": T0 + timedelta(days=1), "stage": "demo", "amount": Decimal("1500"),
         "currency": "USD", "outcome": Outcome.LOST, "closed_at": T0 + timedelta(days=9)},
    ]  # fmt: skip
    meetings: list[dict[str, Any]] = [
        {"id": "m1", "deal_id": "d-won", "start_at": T0, "end_at": T0 + timedelta(hours=1),
         "booked_at": T0 - timedelta(days=3, microseconds=1), "status": MeetingStatus.HELD,
         "agenda": "Ziele, Zeitplan; ✓", "homework": None},
        {"id": "m2", "deal_id": "d-won", "start_at": T0 + timedelta(days=6),
         "end_at": T0 + timedelta(days=6, minutes=30), "booked_at": None,
         "status": MeetingStatus.NO_SHOW, "agenda": None, "homework": "send the 'deck'"},
        {"id": "m3", "deal_id": "d-lost", "start_at": T0 + timedelta(days=2),
         "end_at": T0 + timedelta(days=2, hours=1), "booked_at": T0,
         "status": MeetingStatus.SCHEDULED, "agenda": "", "homework": ""},
    ]  # fmt: skip
    stages = [
        {"deal_id": "d-won", "stage": "demo", "entered_at": T0},
        {"deal_id": "d-won", "stage": "négociation", "entered_at": T0 + timedelta(days=4)},
    ]
    return {"reps": reps, "deals": deals, "meetings": meetings, "stages": stages}


def _store(database: Database) -> dict[str, list[dict[str, Any]]]:
    records = _records()
    stamp = datetime(2026, 12, 1, tzinfo=UTC)
    with database.unit_of_work() as session:
        session.add_all(Rep(**r, created_at=stamp, updated_at=stamp) for r in records["reps"])
        session.flush()
        session.add_all(Deal(**d, created_at=stamp, updated_at=stamp) for d in records["deals"])
        session.flush()
        session.add_all(
            Meeting(**m, status_changed_at=stamp, created_at=stamp, updated_at=stamp)
            for m in records["meetings"]
        )
        session.add_all(DealStageEntry(**s) for s in records["stages"])
        session.flush()
        session.add_all(
            [
                ImportRun(format="salesforce", sources=[], started_at=stamp, finished_at=stamp,
                          counts={}, notes=[]),
                MeetingStatusChange(meeting_id="m1", to_status=MeetingStatus.HELD,
                                    changed_at=stamp, source="import:salesforce"),
                MeetingStatusChange(meeting_id="m2", to_status=MeetingStatus.HELD,
                                    changed_at=stamp, source="import:salesforce"),
                MeetingStatusChange(meeting_id="m2", to_status=MeetingStatus.NO_SHOW,
                                    changed_at=stamp, source="app"),
            ]
        )  # fmt: skip
    return records


def _frame(rows: list[dict[str, Any]], columns: dict[str, pl.DataType]) -> pl.DataFrame:
    def value(cell: Any) -> Any:
        if isinstance(cell, datetime):
            return _utc(cell)
        if isinstance(cell, Decimal):
            return float(cell)
        return str(cell) if isinstance(cell, Outcome | MeetingStatus) else cell

    return pl.DataFrame(
        [{name: value(cell) for name, cell in zip(columns, row.values(), strict=True)}
         for row in rows],
        schema=columns,
        orient="row",
    )  # fmt: skip


def test_the_frames_hold_exactly_what_was_stored(database: Database) -> None:
    records = _store(database)

    with database.unit_of_work(write=False) as session:
        data = load_dataset(session)

    assert_frame_equal(data.reps.sort("rep_id"), _frame(records["reps"], REP_COLUMNS))
    deals = _frame(records["deals"], DEAL_COLUMNS).sort("deal_id")
    assert_frame_equal(data.deals.sort("deal_id"), deals, check_exact=True)
    meetings = _frame(records["meetings"], MEETING_COLUMNS).with_columns(
        pl.Series(MEETING_SOURCE, ["salesforce", "app", None])
    )
    assert_frame_equal(data.meetings.sort("meeting_id"), meetings)
    assert data.stages is not None
    assert_frame_equal(data.stages, _frame(records["stages"], STAGE_COLUMNS))


def test_an_empty_store_gives_empty_frames_of_the_canonical_types(database: Database) -> None:
    with database.unit_of_work(write=False) as session:
        data = load_dataset(session)

    assert data.reps.schema == pl.Schema(REP_COLUMNS) and data.reps.height == 0
    assert data.deals.schema == pl.Schema(DEAL_COLUMNS) and data.deals.height == 0
    assert data.meetings.schema == pl.Schema(MEETING_COLUMNS) and data.meetings.height == 0
    assert data.stages is None


def test_the_frames_are_what_was_committed(database: Database) -> None:
    _store(database)
    with database.unit_of_work() as session:
        session.add(
            Rep(id="r3", timezone="UTC", created_at=datetime.now(UTC), updated_at=datetime.now(UTC))
        )
        session.flush()
        seen_before_commit = load_dataset(session).reps["rep_id"].sort().to_list()
    with database.unit_of_work(write=False) as session:
        seen_after = load_dataset(session).reps["rep_id"].sort().to_list()

    assert seen_before_commit == ["r1", "r2"]
    assert seen_after == ["r1", "r2", "r3"]


def test_a_write_committed_while_reading_is_in_no_frame(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(database)
    typed = store._typed

    def commit_a_deal_after_the_reps(
        frame: pl.DataFrame, columns: dict[str, pl.DataType]
    ) -> pl.DataFrame:
        if columns is REP_COLUMNS:
            stamp = datetime.now(UTC)
            with database.unit_of_work() as other:
                other.add(
                    Deal(id="d-new", owner_id="r1", outcome=Outcome.OPEN, created_at=stamp,
                         updated_at=stamp)
                )  # fmt: skip
        return typed(frame, columns)

    monkeypatch.setattr(store, "_typed", commit_a_deal_after_the_reps)
    with database.unit_of_work(write=False) as session:
        data = load_dataset(session)

    assert "d-new" not in data.deals["deal_id"].to_list()
    monkeypatch.undo()
    with database.unit_of_work(write=False) as session:
        assert "d-new" in load_dataset(session).deals["deal_id"].to_list()


def test_reading_some_owners_gives_what_restricting_the_whole_store_gives(
    database: Database,
) -> None:
    _store(database)

    with database.unit_of_work(write=False) as session:
        whole = load_dataset(session)
        for owners in ({"r2"}, {"r1"}, {"r1", "r2"}, {"nobody"}, set()):
            read = load_dataset(session, owners)
            restricted = restrict(whole, owners)
            for name, key in KEYS.items():  # the same rows, maybe in another order
                assert_frame_equal(
                    getattr(read, name).sort(key), getattr(restricted, name).sort(key)
                )
