"""Writing what a reader validated into the store, all or nothing.

Every batch goes to a staging table as it is read, so memory stays flat; only when the reader
has finished without a problem are the staged rows merged (upsert by id) into the real tables,
in the same transaction. A problem anywhere means the unit of work rolls back and the store is
as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from momentum.contact.models import Contact
from momentum.db.bulk import Staging
from momentum.deal.models import Deal, DealStageEntry
from momentum.deal.repository import DealRepository
from momentum.importers.models import ImportRun

if TYPE_CHECKING:
    from momentum.importers import Reader
from momentum.meeting.models import Meeting
from momentum.meeting.repository import MeetingRepository
from momentum.rep.models import Rep
from momentum.rep.repository import RepRepository

# canonical field -> store column, per table
REP_FIELDS = {
    "rep_id": "id",
    "name": "name",
    "email": "email",
    "team": "team",
    "manager_id": "manager_id",
    "timezone": "timezone",
    "country": "country",
}
DEAL_FIELDS = {
    "deal_id": "id",
    "name": "name",
    "account": "account",
    "owner_id": "owner_id",
    "created_at": "opened_at",
    "stage": "stage",
    "amount": "amount",
    "currency": "currency",
    "outcome": "outcome",
    "closed_at": "closed_at",
}
MEETING_FIELDS = {
    "meeting_id": "id",
    "deal_id": "deal_id",
    "start": "start_at",
    "end": "end_at",
    "booked_at": "booked_at",
    "status": "status",
    "agenda": "agenda",
    "homework": "homework",
}
FIELDS = {"reps": REP_FIELDS, "deals": DEAL_FIELDS, "meetings": MEETING_FIELDS}


@dataclass
class ImportSummary:
    format: str
    sources: list[str]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    run_id: int | None = None


class StoreEntities:
    """What the store already holds, for a reader checking references (KnownEntities)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def reps(self) -> pl.DataFrame:
        return RepRepository(self.session).frame()

    def deal_owners(self, deal_ids: Sequence[str]) -> pl.DataFrame:
        # an id with a NUL is in no store (and PostgreSQL refuses to be asked about it); the
        # reader reports it as a problem of its row
        storable = [deal_id for deal_id in deal_ids if "\x00" not in deal_id]
        return DealRepository(self.session).owners_frame(storable)


def _store_columns(
    frame: pl.DataFrame, fields: dict[str, str], present: set[str], stamps: dict[str, datetime]
) -> pl.DataFrame:
    chosen = [pl.col(name).alias(column) for name, column in fields.items() if name in present]
    return frame.select(chosen).with_columns(
        [pl.lit(value).alias(name) for name, value in stamps.items()]
    )


def _merge_contacts(session: Session, contacts: pl.DataFrame, *, now: datetime) -> dict[str, int]:
    """Add each deal's contacts by e-mail; a known contact keeps its row and gets a name it
    lacked."""
    stage = Staging.create(session, Contact.__table__)  # type: ignore[arg-type]
    stage.add(
        session,
        contacts.select("deal_id", "name", "email").with_columns(pl.lit(now).alias("created_at")),
    )
    before = session.execute(select(func.count()).select_from(Contact)).scalar_one()
    named = session.execute(
        text(
            f"SELECT count(DISTINCT c.id) FROM {stage.name} s JOIN contact c "
            "ON c.deal_id = s.deal_id AND c.email = s.email "
            "WHERE c.name IS NULL AND s.name IS NOT NULL"
        )
    ).scalar_one()
    session.execute(
        text(
            f"INSERT INTO contact (deal_id, name, email, created_at) "
            f"SELECT deal_id, name, email, created_at FROM {stage.name} WHERE true "
            "ON CONFLICT (deal_id, email) DO UPDATE SET name = excluded.name "
            "WHERE contact.name IS NULL AND excluded.name IS NOT NULL"
        )
    )
    after = session.execute(select(func.count()).select_from(Contact)).scalar_one()
    read = stage.count(session)
    stage.drop(session)
    return {"read": read, "inserted": int(after - before), "updated": int(named)}


def _replace_stage_entries(session: Session, entries: Staging, deals: Staging) -> dict[str, int]:
    """Delete the stored stage entries of the deals read and of the deals the staged entries
    name (the staged ones are inserted once the deals are merged). Returns the counts:
    ``inserted`` the entries read that were not stored, ``removed`` the stored ones that are
    not in the history read."""
    same = "e.deal_id = s.deal_id AND e.stage = s.stage AND e.entered_at = s.entered_at"
    replaced = (
        f"FROM deal_stage_entry e WHERE (e.deal_id IN (SELECT id FROM {deals.name}) "
        f"OR e.deal_id IN (SELECT deal_id FROM {entries.name}))"
    )
    removed = session.execute(
        text(
            f"SELECT count(*) {replaced} AND NOT EXISTS "
            f"(SELECT 1 FROM {entries.name} s WHERE {same})"
        )
    ).scalar_one()
    inserted = session.execute(
        text(
            f"SELECT count(*) FROM {entries.name} s WHERE NOT EXISTS "
            f"(SELECT 1 FROM deal_stage_entry e WHERE {same})"
        )
    ).scalar_one()
    session.execute(
        text(
            "DELETE FROM deal_stage_entry WHERE "
            f"deal_id IN (SELECT id FROM {deals.name}) "
            f"OR deal_id IN (SELECT deal_id FROM {entries.name})"
        )
    )
    return {
        "read": entries.count(session),
        "inserted": int(inserted),
        "updated": 0,
        "removed": int(removed),
    }


class StoreSink:
    """Stages what the reader hands over, batch by batch, so memory stays flat; once anything
    is wrong it keeps nothing (nothing will be written) and the reader goes on checking."""

    def __init__(self, session: Session, reader: Reader, *, now: datetime) -> None:
        self.session = session
        self.reader = reader
        self.now = now
        self.stamps = {"created_at": now, "updated_at": now}
        self.staging = {
            name: Staging.create(session, model.__table__)  # type: ignore[arg-type]
            for name, model in (("reps", Rep), ("deals", Deal), ("meetings", Meeting))
        }
        self.stage_entries: Staging | None = None  # created when the source has a stage history
        self.contact_frame: pl.DataFrame | None = None
        self.on_progress: Callable[[str, int], None] | None = None

    def present(self, table: str) -> set[str]:
        """The canonical fields the files gave for ``table`` (always the ones the reader
        fills in)."""
        always = {
            "reps": {"rep_id", "timezone", "country"},
            # a deal's close goes with its outcome, which every deals file gives: a file
            # without the column has only open deals (won and lost ones need it), and a
            # deal reopened so loses its old close
            "deals": {"closed_at"},
            "meetings": {"end"},
        }
        return self.reader.present[table] | always[table]

    def _keep(self, table: str, frame: pl.DataFrame, stamps: dict[str, datetime]) -> None:
        if not self.reader.problems:
            self.staging[table].add(
                self.session, _store_columns(frame, FIELDS[table], self.present(table), stamps)
            )
        if self.on_progress and table != "reps":
            self.on_progress(table, frame.height)

    def deals(self, batch: pl.DataFrame) -> None:
        self._keep("deals", batch, self.stamps)

    def reps(self, reps: pl.DataFrame) -> None:
        self._keep("reps", reps, self.stamps)

    def meetings(self, batch: pl.DataFrame) -> None:
        self._keep("meetings", batch, {**self.stamps, "status_changed_at": self.now})

    def stages(self, batch: pl.DataFrame) -> None:
        if self.stage_entries is None:
            self.stage_entries = Staging.create(self.session, DealStageEntry.__table__)  # type: ignore[arg-type]
        if not self.reader.problems:
            self.stage_entries.add(self.session, batch.select("deal_id", "stage", "entered_at"))

    def contacts(self, contacts: pl.DataFrame) -> None:
        self.contact_frame = contacts

    def merge(self, summary: ImportSummary) -> None:
        """Merge every stage into its table (and log meeting status changes). With a stage
        history, the stage entries of every deal read (or named by an entry) are replaced by
        the ones read."""
        if self.reader.present["stages"] and self.stage_entries is None:  # no rows at all
            self.stage_entries = Staging.create(self.session, DealStageEntry.__table__)  # type: ignore[arg-type]
        stage_counts: dict[str, int] | None = None
        if self.stage_entries is not None:
            stage_counts = _replace_stage_entries(
                self.session, self.stage_entries, self.staging["deals"]
            )
            if removed := stage_counts.pop("removed"):
                summary.notes.append(
                    f"{removed:,} stored stage entries of these deals are not in the stage "
                    "history read and were removed"
                )
        meetings = MeetingRepository(self.session)
        meetings.capture_staged_status_changes(
            self.staging["meetings"].name, now=self.now, source=f"import:{self.reader.format}"
        )
        for table, stage in self.staging.items():
            fields = FIELDS[table]
            columns = [fields[f] for f in fields if f in self.present(table)] + list(self.stamps)
            if table == "meetings":
                columns.append("status_changed_at")
            # a calendar tells a booking time by the versions of the event it holds: a later
            # one holding only an update or a cancellation tells none, or a later one
            earliest = ("booked_at",) if table == "meetings" and self.reader.format == "ics" else ()
            inserted, updated = stage.merge(
                self.session, key="id", columns=columns, keep=("created_at",), earliest=earliest
            )
            summary.counts[table] = {
                "read": stage.count(self.session),
                "inserted": inserted,
                "updated": updated,
            }
            stage.drop(self.session)
        meetings.persist_captured_status_changes()
        if self.stage_entries is not None and stage_counts is not None:
            self.session.execute(
                text(
                    f"INSERT INTO deal_stage_entry (deal_id, stage, entered_at) "
                    f"SELECT deal_id, stage, entered_at FROM {self.stage_entries.name} "
                    "ORDER BY deal_id, entered_at"
                )
            )
            self.stage_entries.drop(self.session)
            summary.counts["stage_entries"] = stage_counts
        if self.contact_frame is not None and self.contact_frame.height:
            summary.counts["contacts"] = _merge_contacts(
                self.session, self.contact_frame, now=self.now
            )


def import_into_store(
    session: Session,
    reader: Reader,
    *,
    now: datetime,
    sources: list[str],
    on_progress: Callable[[str, int], None] | None = None,
) -> ImportSummary:
    """Read everything ``reader`` gives, then merge it; raises ``ValidationFailed`` (and writes
    nothing) when any row is wrong."""
    sink = StoreSink(session, reader, now=now)
    sink.on_progress = on_progress
    reader.read(sink)
    summary = ImportSummary(format=reader.format, sources=sources)
    sink.merge(summary)
    summary.notes.extend(reader.notes)
    run = ImportRun(
        format=reader.format,
        sources=sources,
        started_at=now,
        finished_at=now,
        counts={f"{t}_{k}": v for t, c in summary.counts.items() for k, v in c.items()},
        notes=summary.notes,
    )
    session.add(run)
    session.flush()
    summary.run_id = run.id
    return summary
