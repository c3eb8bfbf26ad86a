"""What every command shares: settings, the store, the console, and error reporting.

Heavy libraries (Polars, SQLAlchemy, pydantic) are imported inside the functions that need
them, so ``momentum --help`` answers at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from momentum.errors import ConfigurationError, MomentumError, ValidationFailed

if TYPE_CHECKING:
    from momentum.config import Settings
    from momentum.db.engine import Database
    from momentum.importers.canonical import ReadOptions

# The exit codes (sysexits.h), documented in ``momentum --help`` and docs/configuration.md.
EXIT_CODES = {
    "invalid_rows": 65,
    "input": 65,
    "not_found": 66,
    "store_unavailable": 69,
    "output": 73,
    "store_busy": 75,
    "store_read_only": 77,
    "config": 78,
}


class _Output(Console):
    def on_broken_pipe(self) -> None:
        """A reader that stopped early (``momentum audit | head``) is no error: the rest is
        dropped and the command goes on (Rich would exit 1, saying nothing)."""
        self.quiet = True
        _drop_the_rest()


def _drop_the_rest() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # the exit's flush too
    os.close(devnull)


console = _Output(highlight=False)
errors = Console(stderr=True, highlight=False)


def load_settings() -> Settings:
    from pydantic import ValidationError

    from momentum.config import Settings
    from momentum.errors import plain

    try:
        return Settings()
    except ValidationError as exc:
        details = "; ".join(
            f"MOMENTUM_{'_'.join(str(p) for p in e['loc']).upper()}: {plain(e)}"
            for e in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {details}") from exc


def open_store(settings: Settings, *, existing: bool = False) -> Database:
    """The store; with ``existing``, a SQLite file that is not there yet is refused rather
    than made (a command that reads the store would report on an empty one, and leave it)."""
    from momentum.db.engine import Database, sqlite_file
    from momentum.errors import StoreUnavailable

    path = sqlite_file(settings.database_url)
    if existing and path is not None and not path.exists():
        raise StoreUnavailable(
            f"there is no store at {path}: `momentum import` makes one from your exports "
            "(or set MOMENTUM_DATABASE_URL to your store)"
        )
    return Database(settings.database_url)


@contextmanager
def reader_may_stop() -> Iterator[None]:
    """What is written to standard output directly (JSON, CSV) for a pipe that may close
    early: as for the console's output, the rest is dropped and the command still succeeds
    (Click would exit 1, saying nothing)."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _drop_the_rest()


@contextmanager
def removed_if_failed(settings: Settings) -> Iterator[None]:
    """Run a command that may make the store's SQLite file: if it fails, a file it made is
    removed, and the folders made for it, so a refused import leaves no empty store behind."""
    from momentum.db.engine import sqlite_file

    path = sqlite_file(settings.database_url)
    made = path is not None and not path.exists()
    folders = [] if path is None else [f for f in path.absolute().parents if not f.exists()]
    try:
        yield
    except BaseException:
        if made and path is not None:
            for leftover in (
                path,
                Path(f"{path}-wal"),
                Path(f"{path}-shm"),
                Path(f"{path}-journal"),
            ):
                leftover.unlink(missing_ok=True)
            for folder in folders:  # the deepest first; one something else wrote to stays
                with suppress(OSError):
                    folder.rmdir()
        raise


# How files are read: the options ``momentum import`` and ``momentum audit PATH…`` share.
FORMAT_HELP = (
    "Input format: momentum (canonical CSVs), salesforce, hubspot, pipedrive or ics. "
    "Default: found from the files' headers."
)
MAPPING_HELP = (
    "A TOML file saying which column holds which field, for exports of any other CRM "
    "(see docs/importers.md); with .ics files, it maps attendee domains to accounts."
)
DATE_ORDER_HELP = (
    "How numeric dates such as 03/04/2026 are written: dmy (day first) or mdy (month first). "
    "Default: found from each file, else the format's usual order."
)
TIMEZONE_HELP = (
    "IANA time zone the export's times without an offset are in (HubSpot and Pipedrive write "
    "the account's or user's zone). Default: each deal owner's time zone."
)


# A value an option cannot take is a wrong command line (exit 2), as a date --since cannot
# read is; what the files hold is checked by the readers (exit 65).
def _known_format(value: str | None) -> str | None:
    from momentum.importers import FORMATS

    if value is not None and value not in FORMATS:
        raise typer.BadParameter(f"{value!r} is not a format; expected one of {', '.join(FORMATS)}")
    return value


def _known_date_order(value: str | None) -> str | None:
    from momentum.importers.values import DATE_ORDERS

    if value is not None and value not in DATE_ORDERS:
        raise typer.BadParameter(f"{value!r} is not a date order; expected dmy or mdy")
    return value


def _known_zone(value: str | None) -> str | None:
    from momentum.localtime import is_timezone

    if value is not None and not is_timezone(value):
        raise typer.BadParameter(
            f"{value!r} is not a time zone; expected an IANA name such as Europe/Berlin"
        )
    return value


FormatOption = Annotated[
    str | None,
    typer.Option("--format", "-f", help=FORMAT_HELP, show_default=False, callback=_known_format),
]
# Paths are checked by the readers, which say what is wrong with each in the words of every
# other input problem (exit 65), rather than by Typer as a usage error (exit 2).
MappingOption = Annotated[
    Path | None,
    typer.Option("--mapping", help=MAPPING_HELP, show_default=False, readable=False),
]
DateOrderOption = Annotated[
    str | None,
    typer.Option(
        "--date-order", help=DATE_ORDER_HELP, show_default=False, callback=_known_date_order
    ),
]
TimezoneOption = Annotated[
    str | None,
    typer.Option("--timezone", help=TIMEZONE_HELP, show_default=False, callback=_known_zone),
]


def read_options(
    settings: Settings,
    *,
    for_audit: bool = False,
    mapping: Path | None = None,
    date_order: str | None = None,
    timezone: str | None = None,
) -> ReadOptions:
    """How files are read: the settings' defaults, and the reading options given."""
    from momentum.importers.canonical import ReadOptions

    return ReadOptions(
        default_timezone=settings.default_timezone,
        default_country=settings.default_country,
        batch_rows=settings.audit_batch_rows if for_audit else settings.import_batch_rows,
        text_presence_only=for_audit,
        deal_rows=for_audit,
        mapping=mapping,
        date_order=date_order,
        timezone=timezone,
    )


def print_notes(notes: list[str]) -> None:
    """Notes on how the files were read (detected format, encoding, files skipped), on
    standard error: standard output is the command's result."""
    for note in notes:
        errors.print(f"note: {escape(note)}", soft_wrap=True)


def report(error: MomentumError, *, consequence: str = "") -> int:
    """Print ``error`` for a person (each input problem on its own line); its exit code."""
    message = error.message
    if isinstance(error, ValidationFailed):
        print_notes(error.notes)
        for problem in error.problems:
            errors.print(escape(str(problem)), soft_wrap=True)
        hidden = error.total - len(error.problems)
        if hidden > 0:
            errors.print(f"… and {hidden:,} more problems not shown")
        if consequence:
            message = f"{message}; {consequence}"
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return EXIT_CODES.get(error.code, 1)


@contextmanager
def app_errors(*, on_bad_input: str = "") -> Iterator[None]:
    """Turn a MomentumError into its message and exit code: never a traceback for a user's
    mistake. ``on_bad_input`` says what did not happen because of bad rows."""
    try:
        yield
    except MomentumError as error:
        sys.exit(report(error, consequence=on_bad_input))
    except KeyboardInterrupt:
        errors.print("interrupted; the step that was running was rolled back")
        sys.exit(130)
