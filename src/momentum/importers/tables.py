"""Where a canonical table's rows come from: a canonical CSV, a CRM export's columns, or frames.

The canonical checks (:class:`~momentum.importers.canonical.CanonicalReader`) read every format
through this one interface. A table hands out batches of canonical-named text columns plus
``_row`` (the spreadsheet row of the source file), and says which source header to name when a
field is wrong, so a problem in a HubSpot export reads ``deals.csv:7:Close Date: …``.

- :class:`CanonicalTable`: a ``reps.csv``/``deals.csv``/``meetings.csv`` as PRODUCT.md defines.
- :class:`MappedTable`: any other export, each canonical field computed from source columns
  (dates and amounts as the export's locale writes them are turned into ISO and plain decimals).
- :class:`FrameTable`: rows already built in memory (calendars, generated deals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Protocol

import polars as pl

from momentum.errors import Problem
from momentum.importers.csvfile import ROW, CsvFile
from momentum.importers.problems import ProblemLog
from momentum.importers.values import (
    EITHER_WAY,
    ISO_HINT,
    amount_evidence,
    local_amounts_to_decimal,
    local_dates_to_iso,
)

ORDER_NAMES = {"dmy": "day-first", "mdy": "month-first"}
MARK_NAMES = {",": "comma", ".": "point"}
AMOUNT_HINT = "expected e.g. 12000.50"
# times a problem may quote after a preset converted them: each comes with ``_<name>_written``
WRITTEN_TIMES = ("start", "end")


class Table(Protocol):
    label: str
    zone: str | None  # naive times are in this zone; None: in the deal owner's zone
    notes: list[str]

    def open(
        self, fields: Sequence[str], required: Sequence[str], problems: ProblemLog
    ) -> list[str] | None:
        """Read what must be known before the rows; the fields this table gives, or ``None``
        when it cannot be read (the problems saying why are logged)."""
        ...

    def batches(self, batch_rows: int, problems: ProblemLog) -> Iterator[pl.DataFrame]:
        """Canonical-named text columns and ``_row``; raises ``Unreadable`` after logging."""
        ...

    def column(self, name: str) -> str:
        """The header a problem about canonical field ``name`` names."""
        ...

    def time_hint(self) -> str:
        """What a date-time in this table should look like."""
        ...

    def amount_hint(self) -> str:
        """What an amount in this table should look like."""
        ...

    def may_hold_nul(self) -> bool:
        """Whether a value may hold the character NUL (``False``: none needs searching)."""
        ...


class CsvTable:
    """What the tables read from a CSV file share."""

    zone: str | None = None
    # canonical field -> the values it takes in the source's words, for problems to name
    vocabulary: Mapping[str, str] = MappingProxyType({})

    def __init__(self, file: CsvFile) -> None:
        self.file = file
        self.label = file.label
        self.notes: list[str] = []

    def _has_header(self, problems: ProblemLog) -> bool:
        return bool(self.file.headers or self.file.read_headers(problems))

    def amount_hint(self) -> str:
        return AMOUNT_HINT

    def may_hold_nul(self) -> bool:
        return self.file.holds_nul

    def _note_amount_read_either_way(self, amounts: pl.DataFrame, decimal: str, why: str) -> bool:
        """Note the first of ``amounts`` (``_row``, ``header``, ``value``) that the other
        decimal mark would read otherwise (``8,500``: 8500 or 8.5): what it is read as, and
        why. Whether there was one."""
        read = local_amounts_to_decimal(pl.col("value"), decimal)
        either = (  # the few that look either way first: reading every amount is slow
            amounts.filter(pl.col("value").str.contains(EITHER_WAY))
            .filter(read.str.contains(r"^[+-]?\d+(\.\d+)?$"))
            .head(1)
        )
        if not either.height:
            return False
        row, header, value, number = either.select(
            ROW, "header", pl.col("value").str.strip_chars(), read
        ).row(0)
        self.notes.append(
            f"amounts in {self.label} such as {value!r} (row {row}, {header}) can be read "
            f"either way; the decimal mark is taken to be a {MARK_NAMES[decimal]} ({why}), so "
            f"it is read as {Decimal(number).normalize():f}"
        )
        return True


class CanonicalTable(CsvTable):
    """A canonical CSV: its headers are the canonical field names."""

    def __init__(self, file: CsvFile) -> None:
        super().__init__(file)
        self._columns: dict[str, str] = {}

    def open(
        self, fields: Sequence[str], required: Sequence[str], problems: ProblemLog
    ) -> list[str] | None:
        if not self._has_header(problems):
            return None
        before = problems.total
        self._columns = self.file.columns(fields, required, problems)
        if problems.total > before:
            return None
        return list(self._columns)

    def batches(self, batch_rows: int, problems: ProblemLog) -> Iterator[pl.DataFrame]:
        noted = "amount" not in self._columns
        for batch in self.file.batches(self._columns, batch_rows, problems):
            if not noted:  # a plain number such as 8.500 is 8.5, which may not be what was meant
                amounts = batch.select(ROW, pl.lit("amount").alias("header"), value="amount")
                plain = amounts.filter(pl.col("value").str.contains(r"^[+-]?[0-9]+\.[0-9]+$"))
                noted = self._note_amount_read_either_way(
                    plain, ".", "as the canonical format writes it"
                )
            yield batch

    def column(self, name: str) -> str:
        return name

    def time_hint(self) -> str:
        return ISO_HINT


@dataclass
class FrameTable:
    """Rows already in canonical shape (text, ``_row``), built when the reader gets to them."""

    label: str
    build: Callable[[], pl.DataFrame]
    headers: dict[str, str] = field(default_factory=dict)  # canonical field -> source name
    zone: str | None = None
    notes: list[str] = field(default_factory=list)
    hint: str = ISO_HINT
    _frame: pl.DataFrame | None = None

    def open(
        self, fields: Sequence[str], required: Sequence[str], problems: ProblemLog
    ) -> list[str] | None:
        self._frame = self.build()
        return [name for name in fields if name in self._frame.columns]

    def batches(self, batch_rows: int, problems: ProblemLog) -> Iterator[pl.DataFrame]:
        frame = self._frame if self._frame is not None else self.build()
        yield from frame.iter_slices(batch_rows)

    def column(self, name: str) -> str:
        return self.headers.get(name, name)

    def time_hint(self) -> str:
        return self.hint

    def amount_hint(self) -> str:
        return AMOUNT_HINT

    def may_hold_nul(self) -> bool:
        return True


Columns = Callable[[str], pl.Expr]


@dataclass(frozen=True)
class Rule:
    """How one canonical field is computed from source columns.

    ``headers`` are the columns it reads (matched ignoring case); the first present one is
    named in problems. ``compute`` gets a lookup from header to expression (a missing optional
    header reads as null) and returns the field's text; by default it is the first present
    header's text. The field is given when any of its headers is present; a ``required``
    rule whose headers are all missing is a problem.
    """

    headers: tuple[str, ...]
    compute: Callable[[Columns], pl.Expr] | None = None
    required: bool = False
    blame: str | None = None


def rule(*headers: str, required: bool = False, blame: str | None = None) -> Rule:
    return Rule(tuple(headers), required=required, blame=blame)


def computed(
    *headers: str,
    compute: Callable[[Columns], pl.Expr],
    required: bool = False,
    blame: str | None = None,
) -> Rule:
    return Rule(tuple(headers), compute=compute, required=required, blame=blame)


@dataclass
class Conventions:
    """How an export writes what is not ISO: the order of numeric dates, the decimal mark."""

    date_order: str | None = None  # None: found from the file, else ``default_order``
    default_order: str = "mdy"
    decimal: str | None = None  # None: found from the file, else by its separator
    preset: str = "this format"


class MappedTable(CsvTable):
    """A CRM export: each canonical field computed from the export's own columns."""

    def __init__(
        self,
        file: CsvFile,
        rules: dict[str, Rule],
        *,
        times: Sequence[str] = (),
        joined_times: Mapping[str, Sequence[str]] | None = None,
        amounts: Sequence[str] = (),
        conventions: Conventions | None = None,
        zone: str | None = None,
        after: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
        adds: dict[str, str] | None = None,
    ) -> None:
        """``times`` are the headers of time columns, each read as a date and time;
        ``joined_times`` the fields whose date and time are written in several columns
        (``start = ["date", "time"]``), read once joined, as written."""
        super().__init__(file)
        self.rules = rules
        self.zone = zone
        self.after = after
        self.adds = adds or {}  # fields ``after`` computes -> the header problems name
        self.conventions = conventions or Conventions()
        self.times = [h for h in (file.header(name) for name in times) if h is not None]
        self._joined = {
            name: [h for h in (file.header(header) for header in headers) if h is not None]
            for name, headers in (joined_times or {}).items()
        }
        self._amounts = [h for h in (file.header(name) for name in amounts) if h is not None]
        self._given: dict[str, Rule] = {}
        # when not given, set by momentum.importers.dateorder.settle_date_order
        self.date_order = self.conventions.date_order
        self._decimal = self.conventions.decimal
        self._decimal_why = ""  # set by :meth:`_decide_decimal_mark`

    # -------------------------------------------------------------- reading
    def open(
        self, fields: Sequence[str], required: Sequence[str], problems: ProblemLog
    ) -> list[str] | None:
        if not self._has_header(problems):
            return None
        before = problems.total
        for name, spec in self.rules.items():
            present = [h for h in spec.headers if self.file.header(h) is not None]
            if present or not spec.headers:  # no headers: a value for every row
                self._given[name] = spec
            elif spec.required:
                problems.add(Problem(self.label, 1, spec.headers[0], "required column is missing"))
        if problems.total > before:
            return None
        if self._amounts:
            self._decide_decimal_mark()
        if problems.total > before:
            return None
        given = [*self._given, *self.adds]
        return [name for name in given if not name.startswith("_") and name in fields]

    def batches(self, batch_rows: int, problems: ProblemLog) -> Iterator[pl.DataFrame]:
        written = (self.file.header(h) for spec in self._given.values() for h in spec.headers)
        # the headers as the file writes them ("Amount " for the rule's "Amount")
        needed = sorted({h for h in written if h is not None}, key=self.file.headers.index)
        names = {header: f"h{i}" for i, header in enumerate(needed)}
        order = self.date_order or self.conventions.default_order
        decimal = self._decimal or ","
        amounts = [
            local_amounts_to_decimal(pl.col(names[h]), decimal).alias(names[h])
            for h in self._amounts
            if h in names
        ]
        times = [names[h] for h in self.times if h in names]
        joined = {
            name: [names[h] for h in headers if h in names]
            for name, headers in self._joined.items()
        }

        def converted(batch: pl.DataFrame) -> pl.DataFrame:
            dates = [local_dates_to_iso(batch[name], order) for name in times]
            kept = [batch[name].alias(f"{name}_raw") for name in times]  # as written
            for name, columns in joined.items():  # "02/11/2017" and "2:30 PM" read as one
                # read whole where a numeric date is ("03/04/2026 2:30 PM"); else each part as
                # a date where it is one ("4 Mar 2026", 46085), a date alone then ending at its
                # day, and the time column completing it
                parts = [
                    local_dates_to_iso(batch[c], order).str.replace(r"T00:00:00$", "")
                    for c in columns
                ]
                by_part, written = (
                    pl.select(pl.concat_str(values, separator=" ", ignore_nulls=True)).to_series()
                    for values in (parts, [batch[c] for c in columns])
                )
                whole = local_dates_to_iso(written, order)
                text = pl.select(
                    pl.when(whole != written).then(whole).otherwise(by_part)
                ).to_series()
                dates.append(text.alias(f"_joined_{name}"))
                kept.append(written.alias(f"_joined_{name}_raw"))
            return batch.with_columns(*dates, *amounts, *kept)

        def lookup(name: str) -> pl.Expr:
            header = self.file.header(name)
            return pl.col(names[header]) if header in names else pl.lit(None, pl.String)

        def output(name: str, spec: Rule) -> pl.Expr:
            if name in joined:
                value = pl.col(f"_joined_{name}")
            else:
                value = spec.compute(lookup) if spec.compute else lookup(self._first(spec))
            return (value if name.startswith("_") else value.cast(pl.String)).alias(name)

        def as_written(name: str) -> pl.Expr:
            """A time as its file writes it, for problems to quote: the column they name."""
            header = self.file.header(self.column(name))
            raw = f"{names[header]}_raw" if header in names and names[header] in times else None
            raw = f"_joined_{name}_raw" if name in joined else raw
            return (pl.col(raw) if raw else pl.lit(None, pl.String)).alias(f"_{name}_written")

        outputs = [output(name, spec) for name, spec in self._given.items()]
        outputs += [as_written(name) for name in self._given if name in WRITTEN_TIMES]
        for batch in self.file.batches({names[h]: h for h in needed}, batch_rows, problems):
            mapped = converted(batch).select(ROW, *outputs)
            yield self.after(mapped) if self.after else mapped

    def column(self, name: str) -> str:
        if name in self.adds:
            return self.adds[name]
        spec = self._given.get(name) or self.rules.get(name)
        if spec is None:
            return name
        if spec.blame:
            return spec.blame
        return self.file.header(self._first(spec)) or spec.headers[0]

    def time_hint(self) -> str:
        order = ORDER_NAMES[self.date_order or self.conventions.default_order]
        example = "31/12/2026 14:30" if order == "day-first" else "12/31/2026 2:30 PM"
        return (
            f"expected an ISO 8601 date-time such as 2026-03-02T10:00:00-05:00, a {order} date "
            f"such as {example}, or an Excel date number"
        )

    def amount_hint(self) -> str:
        if self._decimal != ",":
            return AMOUNT_HINT
        return (
            "expected e.g. 12000,50 or 12.000,50; the decimal mark is taken to be a comma: "
            f"{self._decimal_why}"
        )

    def _first(self, spec: Rule) -> str:
        return next((h for h in spec.headers if self.file.header(h)), spec.headers[0])

    # -------------------------------------------------------------- conventions
    def _decide_decimal_mark(self) -> None:
        """The decimal mark for the whole file: the one given, else what its amounts show
        beyond doubt (the majority, if they disagree), else a comma in semicolon-separated
        files, else a point; a note names an amount the other mark would read otherwise."""
        frame = pl.concat(
            self.file.scan().select(
                ROW,
                pl.lit(header).alias("header"),
                pl.col(self.file.position(header)).alias("value"),
            )
            for header in self._amounts
        )
        try:
            amounts = frame.collect()
        except pl.exceptions.PolarsError:
            return  # the batches will say why the file cannot be read
        if self._decimal is not None:
            why = f"the {self.conventions.preset} decimal setting"
        else:
            comma, point = amount_evidence(amounts["value"])
            if comma.sum() != point.sum():
                self._decimal = "," if comma.sum() > point.sum() else "."
                row, header, value = amounts.filter(comma if self._decimal == "," else point).row(0)
                why = f"row {row}, {header} {value.strip()!r} can only be read that way"
            else:
                self._decimal = "," if self.file.separator == ";" else "."
                separated = "semicolon" if self.file.separator == ";" else "comma"
                why = f"the file is {separated}-separated"
        self._decimal_why = why
        self._note_amount_read_either_way(amounts, self._decimal, why)


def value_map(
    values: pl.Expr, mapping: dict[str, str], *, default: pl.Expr | None = None
) -> pl.Expr:
    """``values`` translated through ``mapping`` (keys matched ignoring case and spaces around);
    values not in it become ``default`` (by default: left as they are, so the checks report
    them)."""
    keys = {key.strip().lower(): value for key, value in mapping.items()}
    lowered = values.str.strip_chars().str.to_lowercase()
    return lowered.replace_strict(
        list(keys), list(keys.values()), default=values if default is None else default
    )


def truthy(values: pl.Expr) -> pl.Expr:
    """CRM checkbox text as a boolean: true/yes/1/x/done are true, anything else false."""
    words = ["true", "yes", "1", "x", "y", "done"]
    return values.str.strip_chars().str.to_lowercase().is_in(words).fill_null(False)


def first_listed(values: pl.Expr) -> pl.Expr:
    """The first of several values an export lists in one cell (``123;456``)."""
    return values.str.split(";").list.first().str.strip_chars().replace("", None)


def resolve_by_name(
    frame: pl.DataFrame, column: str, deals: pl.DataFrame, *, label: str, notes: list[str]
) -> pl.DataFrame:
    """``column`` holds deal names: replace each name that belongs to exactly one deal by that
    deal's id; names of no deal, or of several, stay as written (the checks report them)."""
    names = (
        deals.filter(pl.col("name").is_not_null())
        .with_columns(pl.col("name").str.strip_chars().str.to_lowercase().alias("_key"))
        .group_by("_key")
        .agg(pl.col("deal_id").first(), pl.len().alias("_n"))
    )
    shared = names.filter(pl.col("_n") > 1)
    unique = names.filter(pl.col("_n") == 1).select("_key", pl.col("deal_id").alias("_id"))
    joined = frame.with_columns(pl.col(column).str.to_lowercase().alias("_key")).join(
        unique, on="_key", how="left", maintain_order="left"
    )
    if shared.height and joined["_key"].is_in(shared["_key"].implode()).any():
        notes.append(
            f"{label}: some deal names belong to several deals and cannot be told apart; "
            "export the deal IDs with the activities"
        )
    return joined.with_columns(pl.coalesce("_id", column).alias(column)).drop("_key", "_id")


LISTED_ROWS = 10  # rows a note names of those it counts


class LeftOut:
    """Rows of one file that are left out on purpose, counted with their first rows."""

    def __init__(self) -> None:
        self.found: dict[str, tuple[int, list[int]]] = {}

    def drop(self, frame: pl.DataFrame, mask: pl.Expr, what: str) -> pl.DataFrame:
        """``frame`` without the rows where ``mask`` holds, which are counted as ``what``."""
        flagged = frame.with_columns(mask.fill_null(False).alias("_out"))
        gone = flagged.filter(pl.col("_out"))
        if gone.height:
            count, rows = self.found.get(what, (0, []))
            rows = rows + gone[ROW].head(LISTED_ROWS - len(rows)).to_list()
            self.found[what] = (count + gone.height, rows)
        return flagged.filter(~pl.col("_out")).drop("_out")

    def parts(self) -> list[str]:
        """Each kind in words: "3 deleted rows (IsDeleted) were left out (rows 2, 5, 9)";
        one alone, "1 of the deleted rows (IsDeleted) was left out (row 6)"."""
        return [
            (f"1 of the {what} was left out (row {rows[0]})")
            if count == 1
            else (
                f"{count} {what} were left out (rows {', '.join(map(str, rows))}"
                f"{', …' if count > len(rows) else ''})"
            )
            for what, (count, rows) in self.found.items()
        ]
