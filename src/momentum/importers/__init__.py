"""Importers: one module per source format, each producing the canonical model.

``open_reader`` picks the reader for a format (or finds the format from the files' headers);
every reader validates as it reads, logs problems with file, row and column, and hands back
canonical frames in batches. Every format is read through the canonical checks
(:class:`~momentum.importers.canonical.CanonicalReader`) over tables that map its own columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

import polars as pl

from momentum.canonical import Dataset
from momentum.errors import InputError, Problem
from momentum.importers import hubspot, ics, mapping, pipedrive, salesforce
from momentum.importers.canonical import CanonicalFiles, CanonicalReader, KnownEntities, ReadOptions
from momentum.importers.csvfile import CsvFile
from momentum.importers.problems import ProblemLog
from momentum.importers.sources import CSV_FORMATS, Recogniser, Source, collect, recognise_momentum
from momentum.importers.tables import CanonicalTable, MappedTable, settle_date_order
from momentum.importers.values import DATE_ORDERS
from momentum.localtime import is_timezone

FORMATS = ("momentum", "salesforce", "hubspot", "pipedrive", "ics", "mapping")
RECOGNISERS: dict[str, Recogniser] = {
    "momentum": recognise_momentum,
    "salesforce": salesforce.recognise,
    "hubspot": hubspot.recognise,
    "pipedrive": pipedrive.recognise,
}
Builder = Callable[[CanonicalReader, dict[str, list[CsvFile]], ReadOptions], None]
BUILDERS: dict[str, Builder] = {
    "salesforce": salesforce.build,
    "hubspot": hubspot.build,
    "pipedrive": pipedrive.build,
}
TABLE_NAMES = {
    "salesforce": "Opportunity, Event, Task, Account, Contact or User export with API field names",
    "hubspot": "deals or meetings export with HubSpot's column labels",
    "pipedrive": "deals (Deal - …) or activities (Activity - …) export",
    "momentum": "reps, deals or meetings file (rep_id, deal_id, meeting_id)",
}


class Reader(Protocol):
    format: str
    problems: ProblemLog
    present: dict[str, set[str]]
    implied_reps: pl.DataFrame
    notes: list[str]

    def reps(self) -> pl.DataFrame: ...
    def deals(self) -> Iterator[pl.DataFrame]: ...
    def meetings(self) -> Iterator[pl.DataFrame]: ...
    def contacts(self) -> pl.DataFrame: ...
    def finish(self) -> None: ...
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
    if format == "momentum":
        files = CanonicalFiles.find(paths, problems)
        problems.raise_if_any()
        return CanonicalReader(files, options=options, problems=problems, known=known)
    loaded = mapping.load(options.mapping) if options.mapping is not None else None
    sources = collect(paths, RECOGNISERS, problems)
    problems.raise_if_any()
    calendars = [source for source in sources if source.is_calendar]
    tables = [source for source in sources if not source.is_calendar]
    base: str | None
    if format == "mapping" or (format in (None, "ics") and loaded and loaded.tables):
        base = "mapping"
    else:
        base = _base_format(tables, None if format == "ics" else format, problems, paths)
    chosen = "ics" if calendars or format == "ics" else base or "momentum"
    if chosen == "ics" and not calendars:
        problems.add(Problem(", ".join(map(str, paths)), None, None, "holds no .ics calendar"))
    problems.raise_if_any()
    notes = []
    if format is None and base != "mapping":
        named = [s.name for s in sources if s.is_calendar or s.roles]
        notes.append(f"detected format: {chosen} ({', '.join(named)})")
    reader = CanonicalReader(
        CanonicalFiles(),
        options=options,
        problems=problems,
        known=known,
        format=chosen,
        notes=notes,
    )
    used = _build_base(reader, base, tables, options, loaded)
    mapped = [
        table
        for table in [*reader.files.reps, *reader.files.deals, *reader.files.meetings]
        if isinstance(table, MappedTable)
    ]
    settle_date_order(mapped, problems)
    reader.notes.extend(note for file in used if (note := file.encoding_note))
    if chosen == "ics":
        ics.build(
            reader,
            [source.path for source in calendars],
            options,
            domains=loaded.domains if loaded else {},
            internal_domains=loaded.internal_domains if loaded else [],
        )
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
    tables: list[Source], format: str | None, problems: ProblemLog, paths: Sequence[Path]
) -> str | None:
    """The one format of the CSV files: the one named, or the one their headers show."""
    if not tables:
        return None
    if format is not None:
        for source in tables:
            if format not in source.roles and source.csv is not None and source.csv.headers:
                problems.add(
                    Problem(str(source.path), 1, None, f"is not a {TABLE_NAMES[format]} ({format})")
                )
        return format
    formats = []
    for source in tables:
        if source.roles:
            formats.append(next(name for name in CSV_FORMATS if name in source.roles))
        elif source.csv is not None and source.csv.headers and source.named:
            problems.add(
                Problem(
                    str(source.path),
                    1,
                    None,
                    "the header matches none of the formats momentum, salesforce, hubspot, "
                    "pipedrive; name the format with --format, or describe the columns in a "
                    "--mapping file",
                )
            )
    found = sorted(set(formats), key=CSV_FORMATS.index)
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
                "holds no file whose header matches a format (momentum, salesforce, hubspot, "
                "pipedrive); name the format with --format, or describe the columns in a "
                "--mapping file",
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
    if base == "momentum":
        for role in ("reps", "deals", "meetings"):
            for file in roles.get(role, []):
                getattr(reader.files, role).append(CanonicalTable(file))
    else:
        BUILDERS[base](reader, roles, options)
    return [file for found in roles.values() for file in found]


__all__ = ["FORMATS", "KnownEntities", "ProblemLog", "ReadOptions", "Reader", "open_reader"]
