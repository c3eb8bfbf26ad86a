"""Which files were given, and which format and table each one is, told from its header.

A folder stands for the files in it (``.csv``, ``.tsv``, ``.txt``, ``.ics``); a calendar is told
by its suffix or its first line, a CSV by its header row, which each preset recognises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from momentum.errors import Problem
from momentum.importers.csvfile import CsvFile
from momentum.importers.problems import ProblemLog

TABLE_SUFFIXES = {".csv", ".tsv", ".txt"}
CALENDAR_SUFFIXES = {".ics", ".ical", ".ifb", ".icalendar"}
OTHER_SUFFIXES = {".json", ".xlsx", ".xls", ".xml", ".zip", ".ods"}

# A recogniser gets a file's headers, lowercased and stripped, and names the table it is.
Recogniser = Callable[[set[str]], str | None]


# a canonical file named as its table is that table even when its header lacks the key column
CANONICAL_NAMES = {"reps.csv": "reps", "deals.csv": "deals", "meetings.csv": "meetings"}


def recognise_momentum(headers: set[str]) -> str | None:
    for column, role in (("meeting_id", "meetings"), ("deal_id", "deals"), ("rep_id", "reps")):
        if column in headers:
            return role
    return None


@dataclass
class Source:
    path: Path
    named: bool  # named on the command line, rather than found in a folder
    csv: CsvFile | None = None  # None for a calendar
    roles: dict[str, str] = field(default_factory=dict)  # format -> table, for CSV files

    @property
    def is_calendar(self) -> bool:
        return self.csv is None

    @property
    def name(self) -> str:
        return self.path.name


def _is_calendar(path: Path) -> bool:
    if path.suffix.lower() in CALENDAR_SUFFIXES:
        return True
    try:
        with path.open("rb") as handle:
            head = handle.read(64).lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \r\n\t")
    except OSError:
        return False
    return head.upper().startswith(b"BEGIN:VCALENDAR") or head.startswith(b"B\x00E\x00G\x00I\x00N")


def collect(
    paths: Sequence[Path], recognisers: dict[str, Recogniser], problems: ProblemLog
) -> list[Source]:
    """Every file under ``paths``, CSVs with their headers read and recognised."""
    found: list[Source] = []
    for path in paths:
        if path.is_dir():
            children = sorted(
                child
                for child in path.iterdir()
                if child.is_file()
                and child.suffix.lower() in TABLE_SUFFIXES | CALENDAR_SUFFIXES
                and not child.name.startswith(".")
            )
            if not children:
                problems.add(Problem(str(path), None, None, "holds no .csv or .ics file"))
            found += [_source(child, named=False) for child in children]
        elif path.is_file() and path.suffix.lower() in OTHER_SUFFIXES:
            problems.add(
                Problem(
                    str(path),
                    None,
                    None,
                    f"is a {path.suffix.lower()[1:].upper()} file; momentum reads CSV exports "
                    "and .ics calendars (export or save it as CSV)",
                )
            )
        elif path.is_file():
            found.append(_source(path, named=True))
        else:
            problems.add(Problem(str(path), None, None, "does not exist"))
    for source in found:
        if source.csv is not None:
            headers = source.csv.read_headers(problems)
            normal = {header.strip().lstrip("\ufeff").strip().lower() for header in headers}
            source.roles = {
                name: role
                for name, recognise in recognisers.items()
                if headers and (role := recognise(normal)) is not None
            }
            named = CANONICAL_NAMES.get(source.name.lower())
            if headers and named and (not source.roles or "momentum" in source.roles):
                source.roles["momentum"] = named
    return found


def _source(path: Path, *, named: bool) -> Source:
    if _is_calendar(path):
        return Source(path, named)
    return Source(path, named, csv=CsvFile.sniffed(path))


def describe(sources: Sequence[Source]) -> str:
    return ", ".join(source.name for source in sources)
