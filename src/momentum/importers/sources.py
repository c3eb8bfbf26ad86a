"""Which files were given, and which format and table each one is, told from its header.

A folder stands for the files in it (``.csv``, ``.tsv``, ``.txt``, ``.ics``); a calendar is told
by its suffix or its first line, a CSV by its header row, which each preset recognises.

A path is the file it names, never a pattern. A file named on the command line that cannot be
read as a text export (a named pipe, a symbolic link that loops, a binary file, UTF-16 without
a byte-order mark) is a problem; the same file in a folder is skipped with a note naming it and
why, and the rest of the folder is read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from momentum.errors import Problem
from momentum.importers.csvfile import CsvFile
from momentum.importers.problems import ProblemLog
from momentum.importers.textfile import not_text

TABLE_SUFFIXES = {".csv", ".tsv", ".txt"}
CALENDAR_SUFFIXES = {".ics", ".ical", ".ifb", ".icalendar"}
OTHER_SUFFIXES = {".json", ".xlsx", ".xls", ".xml", ".zip", ".ods"}

# A recogniser gets a file's headers, lowercased and stripped, and names the table it is.
Recogniser = Callable[[set[str]], str | None]


# a canonical file named as its table is that table even when its header lacks the key column
CANONICAL_NAMES = {
    "reps.csv": "reps",
    "deals.csv": "deals",
    "meetings.csv": "meetings",
    "deal_stages.csv": "stages",
}


def recognise_momentum(headers: set[str]) -> str | None:
    if {"deal_id", "entered_at"} <= headers and "meeting_id" not in headers:
        return "stages"
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


SKIPPED = "skipped "  # how a note about a file in a folder that is not read starts


def skipped(path: Path, reason: str) -> str:
    return f"{SKIPPED}{path}: {reason}"


def _unusable(path: Path) -> str | None:
    """Why ``path`` (which is not a folder) cannot be read as an export, or None if it can."""
    try:
        status = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link that loops back on itself"
        if exc.errno == errno.ENOENT and path.is_symlink():
            return f"is a symbolic link to {os.readlink(path)}, which does not exist"
        if exc.errno == errno.ENOENT:
            return "does not exist"
        return f"cannot be read: {exc.strerror}"
    mode = status.st_mode
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a file; save what it gives to a file and name that"
    if stat.S_ISREG(mode) and status.st_size == 0:
        return "is empty; expected a header row"
    if not stat.S_ISREG(mode):
        return "is not a regular file (a device or a socket)"
    if path.suffix.lower() in OTHER_SUFFIXES:
        return (
            f"is a {path.suffix.lower()[1:].upper()} file; momentum reads CSV exports "
            "and .ics calendars (export or save it as CSV)"
        )
    try:
        return not_text(path)
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"


def _folder(path: Path, problems: ProblemLog, notes: list[str]) -> list[Source]:
    """The files of a folder that can be read; a note for each other one, naming it."""
    found = []
    try:
        children = sorted(child for child in path.iterdir() if not child.name.startswith("."))
    except OSError as exc:
        problems.add(Problem(str(path), None, None, f"cannot be read: {exc.strerror}"))
        return []
    passed: list[tuple[Path, str]] = []
    refused = 0  # files of a table's own name that cannot be read: each a problem
    for child in children:
        if child.is_dir() and not child.is_symlink():
            continue  # a folder's folders are not read: only what is named or directly in it
        suffix = child.suffix.lower()
        if suffix not in TABLE_SUFFIXES | CALENDAR_SUFFIXES:
            continue  # a README, a workbook, an expected.json: not given to be read
        if (reason := _unusable(child)) is not None:
            if child.name.lower() in CANONICAL_NAMES:  # the table itself: not to be passed over
                problems.add(Problem(str(child), None, None, reason))
                refused += 1
            else:
                passed.append((child, reason))
        else:
            found.append(_source(child, named=False))
    if found:
        notes.extend(skipped(child, reason) for child, reason in passed)
        return found
    for child, reason in passed:  # nothing is left to read: what was passed over is why
        problems.add(Problem(str(child), None, None, reason))
    what = "holds no .csv or .ics file"
    readable = passed or refused
    problems.add(Problem(str(path), None, None, f"{what} that can be read" if readable else what))
    return found


def collect(
    paths: Sequence[Path],
    recognisers: dict[str, Recogniser],
    problems: ProblemLog,
    notes: list[str] | None = None,
) -> list[Source]:
    """Every file under ``paths``, CSVs with their headers read and recognised. Files of a
    folder that cannot be read are left out, each with a note in ``notes`` saying why."""
    notes = [] if notes is None else notes
    found: list[Source] = []
    for path in paths:
        if path.is_dir():
            found += _folder(path, problems, notes)
        elif (reason := _unusable(path)) is not None:
            problems.add(Problem(str(path), None, None, reason))
        else:
            found.append(_source(path, named=True))
    found = _once(found, notes)
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


def _once(sources: list[Source], notes: list[str]) -> list[Source]:
    """Each file once: a folder and a file in it, a path given twice, or a link to a file
    given too would otherwise make every row a duplicate of itself."""
    seen: dict[Path, Source] = {}
    for source in sources:
        real = source.path.resolve()
        if real in seen:
            first = seen[real]
            same = first.path == source.path
            twice = "is given twice" if same else f"is the same file as {first.path}"
            notes.append(f"{source.path} {twice}: read once")
            first.named |= source.named  # named on the command line: its problems are errors
            continue
        seen[real] = source
    return list(seen.values())


def _source(path: Path, *, named: bool) -> Source:
    if _is_calendar(path):
        return Source(path, named)
    return Source(path, named, csv=CsvFile.sniffed(path))


def describe(sources: Sequence[Source]) -> str:
    return ", ".join(source.name for source in sources)
