"""``momentum import``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from momentum.cli.common import (
    DateOrderOption,
    FormatOption,
    MappingOption,
    TimezoneOption,
    app_errors,
    console,
    load_settings,
    open_store,
    print_notes,
    read_options,
    removed_if_failed,
)

if TYPE_CHECKING:
    from momentum.db.engine import Database
    from momentum.importers.canonical import ReadOptions
    from momentum.importers.store import ImportSummary


def estimate_rows(paths: list[Path]) -> int:
    """Line count of the deals and meetings files under ``paths``: the progress bar's total."""
    total = 0
    for path in paths:
        files = sorted(path.glob("*.[ct]sv")) if path.is_dir() else [path]
        for file in files:
            if file.name.lower() == "reps.csv" or not file.is_file():
                continue
            with file.open("rb") as handle:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
            total += max(lines - 1, 0)
    return total


def print_summary(summary: ImportSummary) -> None:
    table = Table(title=f"Imported ({summary.format})", title_justify="left")
    table.add_column("table")
    for column in ("read", "inserted", "updated"):
        table.add_column(column, justify="right")
    for name, counts in summary.counts.items():
        table.add_row(name, *(f"{counts[c]:,}" for c in ("read", "inserted", "updated")))
    console.print(table)
    print_notes(summary.notes)


def run_import(
    paths: list[Path],
    format: str | None,
    *,
    mapping: Path | None = None,
    date_order: str | None = None,
    timezone: str | None = None,
) -> ImportSummary:
    settings = load_settings()
    database = open_store(settings)
    options = read_options(settings, mapping=mapping, date_order=date_order, timezone=timezone)
    try:
        return _import(database, paths, format, options)
    finally:
        database.dispose()  # its connections closed now, not whenever they are collected


def _import(
    database: Database, paths: list[Path], format: str | None, options: ReadOptions
) -> ImportSummary:
    from momentum.clock import SystemClock
    from momentum.importers.service import import_files

    if not console.is_terminal:
        return import_files(database, paths, format=format, options=options, clock=SystemClock())
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("importing", total=estimate_rows(paths) or None)

        def advance(table: str, rows: int) -> None:
            progress.update(task, advance=rows, description=f"importing {table}")

        return import_files(
            database,
            paths,
            format=format,
            options=options,
            clock=SystemClock(),
            on_progress=advance,
        )


def register(app: typer.Typer) -> None:
    @app.command("import")
    def import_command(
        paths: Annotated[
            list[Path],
            typer.Argument(help="Folders or files to import.", show_default=False, readable=False),
        ],
        format: FormatOption = None,
        mapping: MappingOption = None,
        date_order: DateOrderOption = None,
        timezone: TimezoneOption = None,
    ) -> None:
        """Import CRM history into the store: canonical CSVs, Salesforce, HubSpot or Pipedrive
        exports, calendars (.ics), or any export described by a --mapping file. Every row is
        checked first; nothing is written unless all of them are valid. Re-importing updates
        rows by id."""
        with (
            app_errors(on_bad_input="nothing was imported; the store is unchanged"),
            removed_if_failed(load_settings()),
        ):
            summary = run_import(
                paths, format, mapping=mapping, date_order=date_order, timezone=timezone
            )
            print_summary(summary)
