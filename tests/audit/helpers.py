from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from momentum.audit.result import AuditOptions, AuditResult
from momentum.audit.service import audit, read_files
from momentum.importers.canonical import ReadOptions

REPS = (
    "rep_id,timezone,country\n"
    "ny,America/New_York,US\nber,Europe/Berlin,DE\ntyo,Asia/Tokyo,JP\nutc,UTC,\n"
)


def run(folder: Path | list[Path], **options: Any) -> AuditResult:
    paths = folder if isinstance(folder, list) else [folder]
    if "grace" in options and isinstance(options["grace"], int):
        options["grace"] = timedelta(minutes=options["grace"])
    data = read_files(paths, format=None, read=ReadOptions())
    return audit(data, AuditOptions(**options))


def report(folder: Path | list[Path], **options: Any) -> dict[str, Any]:
    return run(folder, **options).report


def one_deal(
    write_files: Any,
    meetings: str,
    *,
    owner: str = "ny",
    outcome: str = "open",
    closed_at: str = "",
) -> Path:
    """A folder with the standard reps, one deal d1 and the given meeting rows
    (``id,start,end,booked_at,status`` each)."""
    return write_files(
        {
            "reps.csv": REPS,
            "deals.csv": f"deal_id,owner_id,outcome,closed_at\nd1,{owner},{outcome},{closed_at}\n",
            "meetings.csv": "meeting_id,start,end,booked_at,status,deal_id\n"
            + "".join(f"{row},d1\n" for row in meetings.strip().splitlines()),
        }
    )


def facts_row(folder: Path, **options: Any) -> dict[str, Any]:
    result = run(folder, **options)
    return result.facts.row(0, named=True)


D = date
