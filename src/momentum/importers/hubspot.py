"""HubSpot exports, with the label headers HubSpot writes ("Record ID", "Deal Stage", …).

Deals come from a deals export, meetings from a meetings (activities) export; the rules that
turn them into the canonical model are in docs/importers.md ("HubSpot"). A deals export's
``Date entered "<stage> (<pipeline>)"`` columns are the deals' stage history.
"""

from __future__ import annotations

import re

import polars as pl

from momentum.importers.canonical import CanonicalReader, ReadOptions
from momentum.importers.csvfile import CsvFile
from momentum.importers.tables import (
    Columns,
    Conventions,
    MappedTable,
    Rule,
    computed,
    first_listed,
    resolve_by_name,
    rule,
    truthy,
    value_map,
)

FORMAT = "hubspot"
DEFAULT_DATE_ORDER = "mdy"
OUTCOMES = {
    "scheduled": "scheduled",
    "completed": "held",
    "rescheduled": "rescheduled",
    "no show": "no_show",
    "no-show": "no_show",
    "canceled": "canceled",
    "cancelled": "canceled",
}
# the meeting outcomes as HubSpot shows them, for problems with a value it does not know
MEETING_OUTCOMES = "Scheduled, Completed, Rescheduled, No show or Canceled (HubSpot's outcomes)"
_ENTERED = re.compile(r'^date entered "(.*)"$', re.IGNORECASE)
_PIPELINE = re.compile(r"^(.*\S)\s*\(([^()]*)\)$")  # "Appointment Scheduled (Sales Pipeline)"


def recognise(headers: set[str]) -> str | None:
    if "record id" in headers and {"deal name", "deal stage"} <= headers:
        return "deals"
    if "record id" in headers and headers & {"meeting start time", "meeting outcome"}:
        return "meetings"
    return None


def _entered(file: CsvFile, word: str) -> list[str]:
    """The ``Date entered "Closed Won (Sales Pipeline)"`` columns of stages named ``word``."""
    return [
        header
        for header in file.headers
        if (match := _ENTERED.match(header.strip())) and word in match.group(1).lower()
    ]


def stage_columns(file: CsvFile) -> list[tuple[str, str]]:
    """Each ``Date entered "…"`` column of a deals export and the stage it dates. HubSpot
    names the stage with its pipeline in parentheses; when every column names the same
    pipeline, the stage is named without it (as the Deal Stage column names it)."""
    entered = [
        (header, match.group(1).strip())
        for header in file.headers
        if (match := _ENTERED.match(header.strip()))
    ]
    split = [_PIPELINE.match(name) for _, name in entered]
    pipelines = {match.group(2).strip() for match in split if match}
    if len(pipelines) == 1 and all(split):
        return [
            (header, match.group(1))
            for (header, _), match in zip(entered, split, strict=True)
            if match
        ]
    return entered


def stage_rules(header: str, stage: str) -> dict[str, Rule]:
    """The stage entries one ``Date entered`` column gives: a deal entered ``stage`` then."""
    return {
        "deal_id": rule("Record ID", required=True),
        "stage": computed(header, compute=lambda c: pl.lit(stage)),
        "entered_at": rule(header),
    }


def _dated(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows with a date (a deal that never entered the stage has none); rows without a
    Record ID are the deals table's problem, reported there once."""
    return frame.filter(pl.col("entered_at").is_not_null() & pl.col("deal_id").is_not_null())


def deal_rules(file: CsvFile) -> dict[str, Rule]:
    won_entered, lost_entered = _entered(file, "won"), _entered(file, "lost")

    def outcome(c: Columns) -> pl.Expr:
        stage = c("Deal Stage").str.to_lowercase()
        closed_won = c("Is Closed Won")
        closed = c("Is Deal Closed?")
        return (
            pl.when(truthy(closed_won) | (closed_won.is_null() & stage.str.contains("won")))
            .then(pl.lit("won"))
            .when(truthy(closed) | (closed.is_null() & stage.str.contains("lost")))
            .then(pl.lit("lost"))
            .when(stage.is_not_null())
            .then(pl.lit("open"))
        )

    def closed_at(c: Columns) -> pl.Expr:
        result = outcome(c)
        won = pl.coalesce(c("Close Date"), *[c(h) for h in won_entered])
        lost = pl.coalesce(c("Close Date"), *[c(h) for h in lost_entered])
        return pl.when(result == "won").then(won).when(result == "lost").then(lost)

    return {
        "deal_id": rule("Record ID", required=True),
        "name": rule("Deal Name"),
        "account": rule("Associated Company", "Associated Company (Primary)", "Company name"),
        "owner_id": rule("Deal owner", required=True),
        "created_at": rule("Create Date"),
        "stage": rule("Deal Stage"),
        "amount": rule("Amount"),
        "currency": rule("Currency", "Deal currency code"),
        "outcome": computed(
            "Deal Stage", "Is Closed Won", "Is Deal Closed?", compute=outcome, required=True
        ),
        "closed_at": computed("Close Date", *won_entered, *lost_entered, compute=closed_at),
    }


def meeting_rules(file: CsvFile) -> dict[str, Rule]:
    def status(c: Columns) -> pl.Expr:
        return value_map(c("Meeting outcome"), OUTCOMES).fill_null(pl.lit("scheduled"))

    deal = "Associated Deal IDs" if file.header("Associated Deal IDs") else None
    return {
        "meeting_id": rule("Record ID", required=True),
        "deal_id": computed(
            "Associated Deal IDs",
            "Associated Deal",
            "Associated Deals",
            compute=lambda c: (
                first_listed(c("Associated Deal IDs"))
                if deal
                else first_listed(pl.coalesce(c("Associated Deal"), c("Associated Deals")))
            ),
            required=True,
        ),
        "start": computed(
            "Meeting start time",
            "Activity date",
            compute=lambda c: pl.coalesce(c("Meeting start time"), c("Activity date")),
            required=True,
        ),
        "end": rule("Meeting end time"),
        "booked_at": rule("Create date"),
        "status": computed("Meeting outcome", "Record ID", compute=status, blame="Meeting outcome"),
        "agenda": rule("Meeting description", "Meeting Body"),
    }


def build(reader: CanonicalReader, files: dict[str, list[CsvFile]], options: ReadOptions) -> None:
    conventions = Conventions(
        date_order=options.date_order, default_order=DEFAULT_DATE_ORDER, preset="HubSpot"
    )
    for file in files.get("deals", []):
        rules = deal_rules(file)
        times = [h for name in ("created_at", "closed_at") for h in rules[name].headers]
        reader.files.deals.append(
            MappedTable(
                file,
                rules,
                times=times,
                amounts=["Amount"],
                conventions=conventions,
                zone=options.timezone,
            )
        )
        for header, stage in stage_columns(file):
            reader.files.stages.append(
                MappedTable(
                    file,
                    stage_rules(header, stage),
                    times=[header],
                    conventions=conventions,
                    zone=options.timezone,
                    after=_dated,
                )
            )
    for file in files.get("meetings", []):
        by_name = not file.header("Associated Deal IDs")
        reader.keep_deal_directory |= by_name

        def named_deals(frame: pl.DataFrame, label: str = file.label) -> pl.DataFrame:
            return resolve_by_name(
                frame, "deal_id", reader.deal_directory(), label=label, notes=reader.notes
            )

        table = MappedTable(
            file,
            meeting_rules(file),
            times=["Meeting start time", "Activity date", "Meeting end time", "Create date"],
            conventions=conventions,
            zone=options.timezone,
            after=named_deals if by_name else None,
        )
        table.vocabulary = {"status": MEETING_OUTCOMES}
        reader.files.meetings.append(table)
