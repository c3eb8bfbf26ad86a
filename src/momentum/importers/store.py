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
from momentum.deal.models import Deal
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
        return RepRepository(self.session).zones_frame()

    def deal_owners(self, deal_ids: Sequence[str]) -> pl.DataFrame:
        return DealRepository(self.session).owners_frame(deal_ids)


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
    stamps = {"created_at": now, "updated_at": now}
    rep_stage = Staging.create(session, Rep.__table__)  # type: ignore[arg-type]
    deal_stage = Staging.create(session, Deal.__table__)  # type: ignore[arg-type]
    meeting_stage = Staging.create(session, Meeting.__table__)  # type: ignore[arg-type]

    problems = reader.problems

    def keep(staging: Staging, frame: pl.DataFrame) -> None:
        if not problems:  # once anything is wrong nothing will be written; just keep checking
            staging.add(session, frame)

    reps = reader.reps()
    for batch in reader.deals():
        keep(deal_stage, _store_columns(batch, DEAL_FIELDS, reader.present["deals"], stamps))
        if on_progress:
            on_progress("deals", batch.height)
    all_reps = pl.concat([reps, reader.implied_reps])
    rep_present = reader.present["reps"] | {"rep_id", "timezone", "country"}
    keep(rep_stage, _store_columns(all_reps, REP_FIELDS, rep_present, stamps))
    for batch in reader.meetings():
        keep(
            meeting_stage,
            _store_columns(
                batch,
                MEETING_FIELDS,
                reader.present["meetings"] | {"end"},
                {**stamps, "status_changed_at": now},
            ),
        )
        if on_progress:
            on_progress("meetings", batch.height)
    contacts = reader.contacts()
    reader.finish()

    summary = ImportSummary(format=reader.format, sources=sources)
    rep_columns = [REP_FIELDS[f] for f in REP_FIELDS if f in rep_present] + list(stamps)
    deal_columns = [DEAL_FIELDS[f] for f in DEAL_FIELDS if f in reader.present["deals"]] + list(
        stamps
    )
    meeting_columns = (
        [MEETING_FIELDS[f] for f in MEETING_FIELDS if f in reader.present["meetings"] | {"end"}]
        + list(stamps)
        + ["status_changed_at"]
    )
    meetings = MeetingRepository(session)
    meetings.capture_staged_status_changes(
        meeting_stage.name, now=now, source=f"import:{reader.format}"
    )
    for name, stage, columns in (
        ("reps", rep_stage, rep_columns),
        ("deals", deal_stage, deal_columns),
        ("meetings", meeting_stage, meeting_columns),
    ):
        inserted, updated = stage.merge(session, key="id", columns=columns, keep=("created_at",))
        summary.counts[name] = {
            "read": stage.count(session),
            "inserted": inserted,
            "updated": updated,
        }
        stage.drop(session)
    meetings.persist_captured_status_changes()
    if contacts.height:
        summary.counts["contacts"] = _merge_contacts(session, contacts, now=now)
    if implied := reader.implied_reps.height:
        were = "rep was" if implied == 1 else "reps were"
        summary.notes.append(
            f"{implied} {were} not in a reps file and {'was' if implied == 1 else 'were'} "
            "created from the deals' owner_id with the default time zone"
        )
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
