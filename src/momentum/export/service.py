"""Writing the store as canonical CSVs that ``momentum import`` reads back as they were."""

from __future__ import annotations

import csv
import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from momentum.cells import neutralise
from momentum.db.engine import Database
from momentum.errors import InputError, OutputError
from momentum.export.files import OutputFiles, PendingFile
from momentum.export.repository import (
    DEAL_COLUMNS,
    MEETING_COLUMNS,
    REP_COLUMNS,
    STAGE_COLUMNS,
    STAGE_ORDER,
    ExportRepository,
)

FILES = {
    "reps.csv": (
        ("rep_id", "name", "email", "team", "manager_id", "timezone", "country"),
        REP_COLUMNS,
    ),
    "deals.csv": (
        (
            "deal_id",
            "name",
            "account",
            "owner_id",
            "created_at",
            "stage",
            "amount",
            "currency",
            "outcome",
            "closed_at",
        ),
        DEAL_COLUMNS,
    ),
    "meetings.csv": (
        ("meeting_id", "deal_id", "start", "end", "booked_at", "status", "agenda", "homework"),
        MEETING_COLUMNS,
    ),
    "deal_stages.csv": (("deal_id", "stage", "entered_at"), STAGE_COLUMNS),
}
ORDERS = {"deal_stages.csv": STAGE_ORDER}


@dataclass
class ExportSummary:
    folder: Path
    rows: dict[str, int] = field(default_factory=dict)


def cell(value: Any) -> str | None:
    """One value as the canonical format writes it: instants in UTC with ``Z``, amounts as
    plain decimals, enumerations by value, text neutralised against formulas."""
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value.astimezone(UTC)
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        return f"{text}.{moment.microsecond:06d}Z" if moment.microsecond else f"{text}Z"
    if isinstance(value, Decimal):
        plain = format(value.normalize(), "f")
        return plain
    if isinstance(value, enum.Enum):
        return str(value.value)
    return neutralise(str(value))


def export_store(
    database: Database, folder: Path, *, on_progress: Callable[[str, int], None] | None = None
) -> ExportSummary:
    """Write ``reps.csv``, ``deals.csv``, ``meetings.csv`` and ``deal_stages.csv`` (the
    stage history; only its header when the store has none) into ``folder`` (created if
    needed), streaming each table into a temporary file beside its target. Existing files of
    those names are replaced together once all are complete (``export.files``); if anything
    fails, none is."""
    _make_folder(folder)
    summary = ExportSummary(folder)
    with OutputFiles() as outputs:
        pending = {name: outputs.reserve(folder / name) for name in FILES}
        with database.unit_of_work(write=False) as session:
            repository = ExportRepository(session)
            for name, (headers, columns) in FILES.items():
                rows = repository.rows(columns, order=ORDERS.get(name, ()))
                summary.rows[name] = _write(pending[name], headers, rows, name, on_progress)
        outputs.commit()
    return summary


def _make_folder(folder: Path) -> None:
    try:
        if folder.exists() and not folder.is_dir():
            raise InputError(f"{folder}: is a file; expected a folder to write the CSVs into")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the folder {folder}: {exc.strerror or exc}") from None


def _write(
    pending: PendingFile,
    headers: Sequence[str],
    rows: Iterator[Sequence[Any]],
    name: str,
    on_progress: Callable[[str, int], None] | None,
) -> int:
    count = 0
    with pending.writing(newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(headers)
        for row in rows:
            writer.writerow([cell(value) for value in row])
            count += 1
            if on_progress and count % 10_000 == 0:
                on_progress(name, 10_000)
    return count
