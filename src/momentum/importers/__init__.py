"""Importers: one module per source format, each producing the canonical model.

A CSV export format is a :class:`Format`: how its files are recognised from their headers and
how they are mapped onto canonical tables (its ``build`` hook adds tables to the reader). The
one driver, :meth:`~momentum.importers.canonical.CanonicalReader.read`, then validates every
format the same way and in the same order. Adding a format is a module with a recogniser and a
builder, and one line in :data:`CSV_FORMATS`. Calendars (``.ics``) and mapping files are read
on top of, or instead of, those formats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import polars as pl

from momentum.canonical import Dataset
from momentum.errors import InputError, Problem
from momentum.importers import hubspot, ics, mapping, pipedrive, salesforce
from momentum.importers.canonical import CanonicalReader, KnownEntities, ReadOptions, Sink
from momentum.importers.csvfile import CsvFile
from momentum.importers.dateorder import settle_date_order
from momentum.importers.problems import ProblemLog
from momentum.importers.sources import Recogniser, Source, collect, recognise_momentum, skipped
from momentum.importers.tables import CanonicalTable, MappedTable
from momentum.importers.textfile import Encoding, readable_copy
from momentum.importers.values import DATE_ORDERS
from momentum.localtime import is_timezone

Builder = Callable[[CanonicalReader, dict[str, list[CsvFile]], ReadOptions], None]


def build_canonical(
    reader: CanonicalReader, files: dict[str, list[CsvFile]], options: ReadOptions
) -> None:
    """The canonical format: each file is the table its header (or its name) says. It is
    UTF-8 by definition: a file that is not is read as UTF-8, so each row with bytes that are
    not is reported, rather than the whole file read in a guessed code page."""
    for role in ("reps", "deals", "meetings", "stages"):
        for file in files.get(role, []):
            if file.encoding.detected:
                file.encoding = Encoding("utf-8", detected=False, cr_only=file.encoding.cr_only)
                file.source = readable_copy(file.path, file.encoding, file)
            getattr(reader.files, role).append(CanonicalTable(file))


@dataclass(frozen=True)
class Format:
    """A CSV export format."""

    name: str
    files: str  # what its files are, for messages
    recognise: Recogniser  # a file's lowercased headers -> the table it is, or None
    build: Builder  # adds the format's tables (and hooks) to the reader


CSV_FORMATS = (
    Format(
        "momentum",
        "reps, deals, meetings or deal_stages file (rep_id, deal_id, meeting_id, entered_at)",
        recognise_momentum,
        build_canonical,
    ),
    Format(
        "salesforce",
        "Opportunity, OpportunityHistory, Event, Task, Account, Contact or User export with "
        "API field names",
        salesforce.recognise,
        salesforce.build,
    ),
    Format(
        "hubspot",
        "deals or meetings export with HubSpot's column labels",
        hubspot.recognise,
        hubspot.build,
    ),
    Format(
        "pipedrive",
        "deals (Deal - …) or activities (Activity - …) export",
        pipedrive.recognise,
        pipedrive.build,
    ),
)
BY_NAME = {csv_format.name: csv_format for csv_format in CSV_FORMATS}
FORMATS = (*BY_NAME, "ics", "mapping")
NAMES = ", ".join(BY_NAME)


class Reader(Protocol):
    format: str
    problems: ProblemLog
    present: dict[str, set[str]]
    implied_reps: pl.DataFrame
    notes: list[str]

    def read(self, sink: Sink) -> None: ...
    def read_all(self) -> Dataset: ...


def open_reader(
    paths: Sequence[Path],
    *,
    format: str | None,
    options: ReadOptions,
    problems: ProblemLog,
    known: KnownEntities | None = None,
) -> Reader:
    """The reader for ``format`` over ``paths``; with no format, the one the files' headers
    show (a note says which). Raises ``InputError`` for unusable options and
    ``ValidationFailed`` if the files cannot even be told apart."""
    _check_options(format, options)
    loaded = mapping.load(options.mapping) if options.mapping is not None else None
    recognisers = {csv_format.name: csv_format.recognise for csv_format in CSV_FORMATS}
    skipped_files = problems.skipped
    sources = collect(paths, recognisers, problems, skipped_files)
    problems.raise_if_any()
    calendars = [source for source in sources if source.is_calendar]
    tables = [source for source in sources if not source.is_calendar]
    base: str | None
    if format == "mapping" or (format in (None, "ics") and loaded and loaded.tables):
        base = "mapping"
    else:
        base = _base_format(
            tables, None if format == "ics" else format, problems, paths, skipped_files
        )
    chosen = "ics" if calendars or format == "ics" else base or "momentum"
    if chosen == "ics" and not calendars:
        problems.add(Problem(", ".join(map(str, paths)), None, None, "holds no .ics calendar"))
    problems.raise_if_any()
    notes = list(skipped_files)
    if format is None and base != "mapping":
        named = [s.name for s in sources if s.is_calendar or s.roles]
        notes.append(f"detected format: {chosen} ({', '.join(named)})")
    crm = base not in (None, "momentum")  # an export whose times without an offset --timezone tells
    if options.timezone is not None and base == "momentum":
        notes.append(
            f"--timezone {options.timezone} is not used: in Momentum's own files a time "
            "without an offset is in the deal owner's time zone (reps.csv's timezone)"
        )
    elif options.timezone is not None and calendars:
        notes.append(
            f"--timezone {options.timezone} is "
            + ("used for the export's files only" if crm else "not used")
            + ": a calendar's time without a zone is taken as its owner's local time"
        )
    zone = options.timezone or (loaded.timezone if base == "mapping" and loaded else None)
    if zone is not None and crm:
        # the export's times are in the zone given: so are its owners, where nothing says
        # otherwise (a deal on 4 March in Berlin was counted on 3 March in UTC)
        options = replace(options, timezone=zone, default_timezone=zone)
    reader = CanonicalReader(
        options=options,
        problems=problems,
        known=known,
        format=chosen,
        notes=notes,
    )
    used = _build_base(reader, base, tables, options, loaded)
    for file in used:
        file.report_repeated(problems)
    mapped = [
        table
        for table in [
            *reader.files.reps,
            *reader.files.deals,
            *reader.files.meetings,
            *reader.files.stages,
        ]
        if isinstance(table, MappedTable)
    ]
    # dates in both orders are reported, and the rows read in the order most of them show,
    # so that what else is wrong with them is reported in the same run
    other_order = settle_date_order(mapped, problems)
    reader.notes.extend(note for file in used if (note := file.encoding_note))
    if chosen == "ics":
        ics.build(
            reader,
            [source.path for source in calendars],
            options,
            domains=loaded.domains if loaded else {},
            internal_domains=loaded.internal_domains if loaded else [],
        )
    if problems.total > other_order:
        problems.raise_if_any()
    return reader


def _check_options(format: str | None, options: ReadOptions) -> None:
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    if format == "mapping" and options.mapping is None:
        raise InputError("format mapping needs a mapping file (--mapping FILE)")
    if options.mapping is not None and format not in (None, "mapping", "ics"):
        raise InputError(
            f"--mapping describes the columns itself; it cannot be used with --format {format} "
            "(leave --format out)"
        )
    if options.date_order is not None and options.date_order not in DATE_ORDERS:
        raise InputError(f"date order must be dmy or mdy, not {options.date_order!r}")
    if options.timezone is not None and not is_timezone(options.timezone):
        raise InputError(
            f"unknown time zone {options.timezone!r} (expected an IANA name such as Europe/Berlin)"
        )


def _base_format(
    tables: list[Source],
    format: str | None,
    problems: ProblemLog,
    paths: Sequence[Path],
    notes: list[str],
) -> str | None:
    """The one format of the CSV files: the one named, or the one their headers show. A
    folder's files that are not one are skipped, each with a note in ``notes``."""
    if not tables:
        return None
    if format is not None:
        described = f"{BY_NAME[format].files} ({format})"
        for source in tables:
            if format in source.roles or source.csv is None or not source.csv.headers:
                continue
            if source.named:
                problems.add(Problem(str(source.path), 1, None, f"is not a {described}"))
            else:
                notes.append(skipped(source.path, f"the header is not that of a {format} file"))
        if not problems and not any(format in source.roles for source in tables):
            problems.add(Problem(", ".join(map(str, paths)), None, None, f"holds no {described}"))
        return format
    formats = []
    for source in tables:
        if source.roles:
            formats.append(next(name for name in BY_NAME if name in source.roles))
        elif source.csv is not None and source.csv.headers and source.named:
            problems.add(
                Problem(
                    str(source.path),
                    1,
                    None,
                    f"the header matches none of the formats {NAMES}; name the format "
                    "with --format, or describe the columns in a --mapping file",
                )
            )
        elif source.csv is not None and source.csv.headers:
            notes.append(skipped(source.path, f"the header matches none of the formats {NAMES}"))
    found = sorted(set(formats), key=list(BY_NAME).index)
    if len(found) > 1:
        described = "; ".join(
            f"{name}: {', '.join(s.name for s in tables if s.roles and next(iter(s.roles)) == name)}"
            for name in found
        )
        problems.add(
            Problem(
                ", ".join(s.name for s in tables),
                None,
                None,
                f"mix formats ({described}); import each format on its own",
            )
        )
    if not found and not problems:
        problems.add(
            Problem(
                ", ".join(map(str, paths)),
                None,
                None,
                f"holds no file whose header matches a format ({NAMES}); name the format "
                "with --format, or describe the columns in a --mapping file",
            )
        )
    return found[0] if found else None


def _build_base(
    reader: CanonicalReader,
    base: str | None,
    tables: list[Source],
    options: ReadOptions,
    loaded: mapping.Mapping | None,
) -> list[CsvFile]:
    files = [source.csv for source in tables if source.csv is not None]
    if base is None:
        return []
    if base == "mapping":
        if loaded is None or not loaded.tables:
            raise InputError(f"{options.mapping}: maps no table ([reps], [deals] or [meetings])")
        return mapping.build(reader, files, options, loaded)
    roles: dict[str, list[CsvFile]] = {}
    for source in tables:
        role = source.roles.get(base)
        if role is not None and source.csv is not None:
            roles.setdefault(role, []).append(source.csv)
    BY_NAME[base].build(reader, roles, options)
    return [file for found in roles.values() for file in found]


__all__ = [
    "CSV_FORMATS",
    "FORMATS",
    "Format",
    "KnownEntities",
    "ProblemLog",
    "ReadOptions",
    "Reader",
    "open_reader",
]
