"""What every command shares: settings, the store, the console, and error reporting.

Heavy libraries (Polars, SQLAlchemy, pydantic) are imported inside the functions that need
them, so ``momentum --help`` answers at once.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

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

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)


def load_settings() -> Settings:
    from pydantic import ValidationError

    from momentum.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        details = "; ".join(
            f"MOMENTUM_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {details}") from exc


def open_store(settings: Settings) -> Database:
    from momentum.db.engine import Database

    return Database(settings.database_url)


def read_options(settings: Settings, *, for_audit: bool = False) -> ReadOptions:
    from momentum.importers.canonical import ReadOptions

    return ReadOptions(
        default_timezone=settings.default_timezone,
        default_country=settings.default_country,
        batch_rows=settings.audit_batch_rows if for_audit else settings.import_batch_rows,
        text_presence_only=for_audit,
        deal_rows=for_audit,
    )


def report(error: MomentumError, *, consequence: str = "") -> int:
    """Print ``error`` for a person (each input problem on its own line); its exit code."""
    message = error.message
    if isinstance(error, ValidationFailed):
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
