"""Errors Momentum raises on purpose, under one root.

    MomentumError                 root; every error has a stable ``code``
    ├── ConfigurationError        settings or a rules file that cannot be used   code "config"
    ├── InputError                input that cannot be used at all                code "input"
    │   └── ValidationFailed      rows that break the format, with each problem   code "invalid_rows"
    ├── NotFound                  an id that does not exist (or is not visible)   code "not_found"
    ├── PermissionDenied          an action outside what the user may do          code "forbidden"
    ├── Conflict                  a change the current state does not allow       code "conflict"
    ├── StoreError                the store cannot be used as asked
    │   ├── StoreUnavailable      cannot connect to it or open it                 code "store_unavailable"
    │   ├── StoreReadOnly         it refuses writes                               code "store_read_only"
    │   └── StoreBusy             another writer held it past the busy timeout    code "store_busy"
    └── OutputError               a file the user asked for cannot be written     code "output"

``cli/`` maps codes to exit codes and one-line messages; ``web/`` maps them to HTTP
statuses. Anything else that escapes is a bug, not a user mistake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with an input: where (file, spreadsheet row, column header) and why."""

    file: str
    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
            if self.column is not None:
                where += f":{self.column}"
        elif self.column is not None:
            where += f":{self.column}"
        return f"{where}: {self.reason}"


class MomentumError(Exception):
    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigurationError(MomentumError):
    code = "config"


class InputError(MomentumError):
    code = "input"


class ValidationFailed(InputError):
    """Some rows broke the format. Nothing was written."""

    code = "invalid_rows"

    def __init__(
        self, problems: Sequence[Problem], total: int | None = None, notes: Sequence[str] = ()
    ) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        self.notes = list(notes)  # files of a folder that were skipped, and why
        noun = "problem" if self.total == 1 else "problems"
        super().__init__(f"{self.total:,} {noun} found in the input")


class NotFound(MomentumError):
    code = "not_found"


class PermissionDenied(MomentumError):
    code = "forbidden"


class Conflict(MomentumError):
    code = "conflict"


class StoreError(MomentumError):
    code = "store"


class StoreUnavailable(StoreError):
    code = "store_unavailable"


class StoreReadOnly(StoreError):
    code = "store_read_only"


class StoreBusy(StoreError):
    code = "store_busy"


class OutputError(MomentumError):
    """An output file or folder cannot be written. Nothing was written."""

    code = "output"


def plain(error: Mapping[str, Any]) -> str:
    """One of pydantic's validation errors in plain words: a validator's own sentence, without
    pydantic's "Value error, " in front of it."""
    if error.get("type") == "value_error" and error.get("ctx", {}).get("error") is not None:
        return str(error["ctx"]["error"])
    return str(error["msg"])
