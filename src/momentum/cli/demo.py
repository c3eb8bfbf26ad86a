"""``momentum demo``."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from momentum.cli.audit import audit_options, audit_store, show
from momentum.cli.common import app_errors, console, load_settings
from momentum.cli.importing import print_summary, run_import


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo_command(
        deals: Annotated[int, typer.Option("--deals", min=1, help="How many deals.")] = 800,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 7,
        out: Annotated[Path, typer.Option("--out", help="Folder for the CSVs.")] = Path(
            "momentum-demo"
        ),
        as_of: Annotated[
            str | None,
            typer.Option(
                "--as-of",
                help="The demo's today (YYYY-MM-DD); history ends here and "
                "later meetings are upcoming. Default: today.",
                show_default=False,
            ),
        ] = None,
    ) -> None:
        """Write a realistic demo team (12 reps in 8 time zones, six months of deals and
        meetings) as canonical CSVs, import it into the store, and audit it (terminal report,
        and an HTML report in the --out folder). The same --seed and --as-of give the same
        files."""
        from momentum.clock import SystemClock
        from momentum.demo.generator import generate

        with app_errors(on_bad_input="nothing was imported; the store is unchanged"):
            today = _as_of(as_of) or SystemClock().now().date()
            files = generate(out, deals=deals, seed=seed, as_of=today)
            console.print(
                f"wrote {files.reps} reps, {files.deals:,} deals and "
                f"{files.meetings:,} meetings to {files.folder}/"
            )
            print_summary(run_import([out], "momentum"))
            report = out / "audit.html"
            settings = load_settings()
            show(audit_store(settings, audit_options(settings)), html_out=report)
            console.print(
                f"\nThe demo team's audit is above; the HTML report is {report}", soft_wrap=True
            )
