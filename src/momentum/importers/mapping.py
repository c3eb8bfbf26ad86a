"""A mapping file (TOML) that describes any other CRM's export: which column holds which field,
how its status and outcome values read, how it writes dates, which time zone it is in.

The reference, with a complete example, is in docs/importers.md ("Mapping file").
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from momentum.canonical import (
    DEAL_COLUMNS,
    MEETING_COLUMNS,
    MEETING_STATUSES,
    OUTCOMES,
    REP_COLUMNS,
    REQUIRED,
)
from momentum.errors import InputError
from momentum.importers.canonical import STATUS_SPELLINGS, CanonicalReader, ReadOptions
from momentum.importers.csvfile import CsvFile
from momentum.importers.tables import Columns, Conventions, MappedTable, Rule, value_map
from momentum.importers.values import DATE_ORDERS
from momentum.localtime import is_timezone

FORMAT = "mapping"
TABLES = {"reps": REP_COLUMNS, "deals": DEAL_COLUMNS, "meetings": MEETING_COLUMNS}
TIMES = {"created_at", "closed_at", "start", "end", "booked_at"}
_TOP = {"date_order", "timezone", "decimal", "calendar", *TABLES}
_TABLE_KEYS = {"file", "columns", "values", "fixed"}
DEFAULT = "*"  # the value-map key for "any other value"


@dataclass
class TableMapping:
    table: str
    file: str | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)  # field -> source headers
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    fixed: dict[str, str] = field(default_factory=dict)

    def headers(self) -> list[str]:
        return [header for headers in self.columns.values() for header in headers]

    def fits(self, file: CsvFile) -> bool:
        if self.file is not None:
            return fnmatch.fnmatch(file.path.name.lower(), self.file.lower())
        needed = [
            header
            for name in REQUIRED[self.table]
            for header in self.columns.get(name, [])
            if name not in self.fixed
        ]
        return bool(self.columns) and all(file.header(header) for header in needed)


@dataclass
class Mapping:
    path: Path
    tables: dict[str, TableMapping]
    date_order: str | None = None
    timezone: str | None = None
    decimal: str | None = None
    domains: dict[str, str] = field(default_factory=dict)  # e-mail domain -> account
    internal_domains: list[str] = field(default_factory=list)


def load(path: Path) -> Mapping:
    """Read and check a mapping file; every mistake is an :class:`InputError` naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: is not valid TOML: {exc}") from exc

    def fail(where: str, reason: str) -> InputError:
        return InputError(f"{path}: {where}: {reason}")

    unknown = sorted(set(data) - _TOP)
    if unknown:
        raise fail(unknown[0], f"unknown key; expected {', '.join(sorted(_TOP))}")
    mapping = Mapping(path, {})
    order = data.get("date_order")
    if order is not None and order not in DATE_ORDERS:
        raise fail("date_order", f"must be dmy or mdy, not {order!r}")
    mapping.date_order = order
    zone = data.get("timezone")
    if zone is not None and (not isinstance(zone, str) or not is_timezone(zone)):
        raise fail("timezone", f"unknown time zone {zone!r} (expected an IANA name)")
    mapping.timezone = zone
    decimal = data.get("decimal")
    if decimal is not None and decimal not in (",", "."):
        raise fail("decimal", f'must be "," or ".", not {decimal!r}')
    mapping.decimal = decimal
    calendar = data.get("calendar", {})
    if not isinstance(calendar, dict) or set(calendar) - {"domains", "internal_domains"}:
        raise fail("[calendar]", "may hold only domains and internal_domains")
    mapping.domains = {str(k).lower(): str(v) for k, v in calendar.get("domains", {}).items()}
    mapping.internal_domains = [str(d).lower() for d in calendar.get("internal_domains", [])]
    for table, fields in TABLES.items():
        if table in data:
            mapping.tables[table] = _table(table, fields, data[table], fail)
    return mapping


def _table(table: str, fields: dict[str, Any], spec: Any, fail: Any) -> TableMapping:
    if not isinstance(spec, dict):
        raise fail(f"[{table}]", "must be a table")
    unknown = sorted(set(spec) - _TABLE_KEYS)
    if unknown:
        raise fail(
            f"[{table}] {unknown[0]}", f"unknown key; expected {', '.join(sorted(_TABLE_KEYS))}"
        )
    result = TableMapping(table, file=spec.get("file"))
    for key in ("columns", "values", "fixed"):
        for name in spec.get(key, {}):
            if name not in fields:
                raise fail(
                    f"[{table}.{key}] {name}",
                    f"is not a {table} field; expected one of {', '.join(fields)}",
                )
    for name, headers in spec.get("columns", {}).items():
        listed = [headers] if isinstance(headers, str) else headers
        if (
            not isinstance(listed, list)
            or not listed
            or not all(isinstance(header, str) for header in listed)
        ):
            raise fail(f"[{table}.columns] {name}", "must name a column, or a list of columns")
        result.columns[name] = list(listed)
    for name, values in spec.get("values", {}).items():
        if not isinstance(values, dict):
            raise fail(f"[{table}.values.{name}]", "must be a table of value = field value")
        result.values[name] = {str(k): str(v) for k, v in values.items()}
        if name in CHOICES:  # said once, of the file, rather than on every row it maps
            for written, meant in result.values[name].items():
                spelled = meant.strip().lower()
                if STATUS_SPELLINGS.get(spelled, spelled) not in CHOICES[name]:
                    raise fail(
                        f"[{table}.values.{name}] {written}",
                        f"{meant!r} is not one of {', '.join(CHOICES[name])}",
                    )
    result.fixed = {name: str(value) for name, value in spec.get("fixed", {}).items()}
    for name in REQUIRED[table]:
        if name not in result.columns and name not in result.fixed:
            raise fail(
                f"[{table}]",
                f"maps no column to {name}, which is required; add it under "
                f"[{table}.columns] or give one value for every row under [{table}.fixed]",
            )
    return result


def rules(spec: TableMapping) -> dict[str, Rule]:
    result: dict[str, Rule] = {}
    for name, headers in spec.columns.items():
        values = spec.values.get(name)

        def compute(
            c: Columns, headers: list[str] = headers, values: dict[str, str] | None = values
        ) -> pl.Expr:
            text = (
                c(headers[0])
                if len(headers) == 1
                else pl.concat_str([c(h) for h in headers], separator=" ", ignore_nulls=True)
            )
            if not values:
                return text
            default = values.get(DEFAULT)
            mapped = {k: v for k, v in values.items() if k != DEFAULT}
            return value_map(text, mapped, default=None if default is None else pl.lit(default))

        result[name] = Rule(tuple(headers), compute=compute, required=True)
    for name, value in spec.fixed.items():
        result[name] = Rule((), compute=_constant(value), blame=name)
    return result


# the values a canonical field with a fixed set takes
CHOICES = {"outcome": OUTCOMES, "status": MEETING_STATUSES}


def vocabulary(table: str, spec: TableMapping) -> dict[str, str]:
    """The values each mapped field with a fixed set takes, in the export's words: the ones
    ``[<table>.values.<field>]`` maps, and the canonical ones, which pass as they are."""
    described = {}
    for name, values in spec.values.items():
        if name in CHOICES and values and DEFAULT not in values:
            written = ", ".join(values)
            described[name] = (
                f"{written} (as [{table}.values.{name}] maps them) or {', '.join(CHOICES[name])}"
            )
    return described


def _constant(value: str) -> Callable[[Columns], pl.Expr]:
    return lambda c: pl.lit(value)


def build(
    reader: CanonicalReader,
    files: list[CsvFile],
    options: ReadOptions,
    mapping: Mapping,
) -> list[CsvFile]:
    """Add a table for every file each mapped table fits; returns the files used."""
    conventions = Conventions(
        date_order=options.date_order or mapping.date_order,
        decimal=mapping.decimal,
        preset="mapping file's",
    )
    used: list[CsvFile] = []
    read_from: list[str] = []
    for table, spec in mapping.tables.items():
        fitting = [file for file in files if spec.fits(file)]
        if not fitting:
            where = (
                f"named {spec.file!r}"
                if spec.file
                else f"with the columns {', '.join(spec.headers())}"
            )
            raise InputError(f"{mapping.path}: [{table}]: none of the files given is one {where}")
        for file in fitting:
            times = [h for name, hs in spec.columns.items() if name in TIMES for h in hs]
            joined = {n: hs for n, hs in spec.columns.items() if n in TIMES and len(hs) > 1}
            amounts = spec.columns.get("amount", [])
            mapped = MappedTable(
                file,
                rules(spec),
                times=times,
                joined_times=joined,
                amounts=amounts,
                conventions=conventions,
                zone=options.timezone or mapping.timezone,
            )
            mapped.vocabulary = vocabulary(table, spec)
            getattr(reader.files, table).append(mapped)
            used.append(file)
        read_from.append(f"{table} from {', '.join(file.path.name for file in fitting)}")
    reader.notes.append(f"mapping {mapping.path.name}: {'; '.join(read_from)}")
    return used
