"""``momentum export``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from momentum.cli.common import app_errors, console, load_settings, open_store


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        folder: Annotated[
            Path,
            typer.Argument(
                help="Folder to write reps.csv, deals.csv, meetings.csv and deal_stages.csv into."
            ),
        ],
    ) -> None:
        """Write the store as canonical CSVs (UTF-8, times in UTC) that `momentum import`
        reads back unchanged. Text that a spreadsheet would run as a formula gets a leading
        apostrophe. Existing reps.csv, deals.csv, meetings.csv and deal_stages.csv in FOLDER
        are replaced together once all four are written (a symbolic link by the file, not followed);
        if anything fails, none is (see docs/export.md)."""
        from momentum.export.service import export_store

        with app_errors():
            summary = export_store(open_store(load_settings(), existing=True), folder)
            for name, rows in summary.rows.items():
                console.print(f"wrote {rows:,} rows to {summary.folder / name}", soft_wrap=True)
