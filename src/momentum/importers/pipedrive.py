"""Pipedrive exports: deals (``Deal - …`` headers) and activities (``Activity - …`` headers).

Only activities of type meeting become meetings; the rules are in docs/importers.md
("Pipedrive").
"""

from __future__ import annotations

import polars as pl

from momentum.importers.canonical import CanonicalReader, ReadOptions
from momentum.importers.csvfile import ROW, CsvFile
from momentum.importers.tables import (
    Columns,
    Conventions,
    LeftOut,
    MappedTable,
    Rule,
    computed,
    resolve_by_name,
    rule,
    truthy,
    value_map,
)

FORMAT = "pipedrive"
DEFAULT_DATE_ORDER = "dmy"
STATUSES = {"open": "open", "won": "won", "lost": "lost"}
# a deal's status as Pipedrive writes it, for problems with a value it does not know
DEAL_STATUSES = "open, won, lost or deleted (Pipedrive's deal statuses)"


def recognise(headers: set[str]) -> str | None:
    if "activity - id" in headers and ("activity - due date" in headers):
        return "activities"
    if "deal - id" in headers and "deal - status" in headers:
        return "deals"
    return None


def deal_rules() -> dict[str, Rule]:
    def closed_at(c: Columns) -> pl.Expr:
        status = c("Deal - Status").str.strip_chars().str.to_lowercase()
        return (
            pl.when(status == "won")
            .then(pl.coalesce(c("Deal - Won time"), c("Deal - Close date")))
            .when(status == "lost")
            .then(pl.coalesce(c("Deal - Lost time"), c("Deal - Close date")))
        )

    return {
        "deal_id": rule("Deal - ID", required=True),
        "name": rule("Deal - Title"),
        "account": rule("Deal - Organization", "Organization - Name"),
        "owner_id": rule("Deal - Owner", required=True),
        "created_at": rule("Deal - Deal created"),
        "stage": rule("Deal - Stage"),
        "amount": rule("Deal - Value"),
        "currency": rule("Deal - Currency"),
        "outcome": computed(
            "Deal - Status",
            compute=lambda c: value_map(c("Deal - Status"), STATUSES),
            required=True,
        ),
        "closed_at": computed(
            "Deal - Won time",
            "Deal - Lost time",
            "Deal - Close date",
            "Deal - Status",
            compute=closed_at,
            blame="Deal - Won time",
        ),
        "_deleted": computed(
            "Deal - Status",
            compute=lambda c: c("Deal - Status").str.strip_chars().str.to_lowercase(),
        ),
    }


def activity_rules(file: CsvFile) -> dict[str, Rule]:
    def start(c: Columns) -> pl.Expr:
        date, time = c("Activity - Due date"), c("Activity - Due time")
        clock = time.str.extract(r"^(\d{1,2}:\d{2}(?::\d{2})?)")
        padded = pl.when(clock.str.len_chars() == 4).then("0" + clock).otherwise(clock)
        return (
            # the due date (read as ISO, perhaps with a midnight time) on the due time's clock
            pl.when(padded.is_not_null() & date.str.contains(r"^\d{4}-\d{2}-\d{2}(T00:00:00)?$"))
            .then(date.str.slice(0, 10) + "T" + padded)
            .otherwise(date)
        )

    def end(c: Columns) -> pl.Expr:
        duration = c("Activity - Duration").str.extract_groups(r"^(\d{1,3}):(\d{2})(?::\d{2})?$")
        minutes = duration.struct.field("1").cast(
            pl.Int64, strict=False
        ) * 60 + duration.struct.field("2").cast(pl.Int64, strict=False)
        began = start(c).str.to_datetime(strict=False, time_unit="us")
        return (began + pl.duration(minutes=minutes)).dt.strftime("%Y-%m-%dT%H:%M:%S")

    deal_headers = ("Deal - ID", "Activity - Deal ID", "Activity - Deal", "Deal - Title")
    return {
        "meeting_id": rule("Activity - ID", required=True),
        "deal_id": computed(
            *deal_headers,
            compute=lambda c: pl.coalesce(
                c("Deal - ID"), c("Activity - Deal ID"), c("Activity - Deal"), c("Deal - Title")
            ),
            required=True,
        ),
        "start": computed(
            "Activity - Due date", "Activity - Due time", compute=start, required=True
        ),
        "end": computed(
            "Activity - Duration", "Activity - Due date", "Activity - Due time", compute=end
        ),
        "booked_at": rule("Activity - Add time"),
        "status": computed(
            "Activity - Done",
            compute=lambda c: (
                pl.when(truthy(c("Activity - Done")))
                .then(pl.lit("held"))
                .otherwise(pl.lit("scheduled"))
            ),
        ),
        "_type": rule("Activity - Type"),
        "_by_id": computed(
            "Deal - ID",
            "Activity - Deal ID",
            compute=lambda c: pl.coalesce(c("Deal - ID"), c("Activity - Deal ID")),
        ),
    }


def build(reader: CanonicalReader, files: dict[str, list[CsvFile]], options: ReadOptions) -> None:
    conventions = Conventions(
        date_order=options.date_order, default_order=DEFAULT_DATE_ORDER, preset="Pipedrive"
    )
    for file in files.get("deals", []):

        def without_deleted(frame: pl.DataFrame, label: str = file.label) -> pl.DataFrame:
            if "_deleted" not in frame.columns:
                return frame
            deleted = frame.filter(pl.col("_deleted") == "deleted")
            if deleted.height:
                reader.notes.append(
                    f"{label}: {deleted.height} deleted "
                    f"{'deal was' if deleted.height == 1 else 'deals were'} left out "
                    f"(row{'' if deleted.height == 1 else 's'} {_rows(deleted)})"
                )
            return frame.filter((pl.col("_deleted") != "deleted") | pl.col("_deleted").is_null())

        table = MappedTable(
            file,
            deal_rules(),
            times=["Deal - Deal created", "Deal - Won time", "Deal - Lost time"],
            amounts=["Deal - Value"],
            conventions=conventions,
            zone=options.timezone,
            after=without_deleted,
        )
        table.vocabulary = {"outcome": DEAL_STATUSES}
        reader.files.deals.append(table)
    for file in files.get("activities", []):
        reader.keep_deal_directory = True
        meetings = MeetingsOnly(reader, file)
        reader.files.meetings.append(
            MappedTable(
                file,
                activity_rules(file),
                times=[
                    "Activity - Due date",
                    "Activity - Add time",
                    "Activity - Marked as done time",
                ],
                conventions=conventions,
                zone=options.timezone,
                after=meetings,
            )
        )
        reader.summaries.append(meetings.note)


class MeetingsOnly:
    """Keeps the activities of type meeting that are on a deal; a deal named by its title is
    found among the deals read."""

    def __init__(self, reader: CanonicalReader, file: CsvFile) -> None:
        self.reader = reader
        self.file = file
        self.left_out = LeftOut()

    def __call__(self, frame: pl.DataFrame) -> pl.DataFrame:
        if "_type" in frame.columns:
            kind = pl.col("_type").str.strip_chars().str.to_lowercase()
            frame = self.left_out.drop(
                frame, kind.is_null() | (kind != "meeting"), "activities that are not meetings"
            )
        frame = self.left_out.drop(frame, pl.col("deal_id").is_null(), "meetings on no deal")
        by_id = pl.col("_by_id").is_not_null() if "_by_id" in frame.columns else pl.lit(False)
        if frame.filter(~by_id).height:
            resolved = resolve_by_name(
                frame,
                "deal_id",
                self.reader.deal_directory(),
                label=self.file.label,
                notes=self.reader.notes,
            )
            frame = frame.with_columns(
                pl.when(by_id).then(pl.col("deal_id")).otherwise(resolved["deal_id"])
            )
        return frame

    def note(self) -> str | None:
        parts = self.left_out.parts()
        return f"{self.file.label}: {'; '.join(parts)}" if parts else None


def _rows(frame: pl.DataFrame, most: int = 5) -> str:
    rows = [str(row) for row in frame[ROW].head(most).to_list()]
    return ", ".join(rows) + (", …" if frame.height > most else "")
