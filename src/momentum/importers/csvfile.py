"""Reading a CSV file as column batches of strings, with row numbers as a spreadsheet shows them.

Polars does the reading (fast, streaming, BOM and CRLF and quoted newlines handled). When it
refuses a file, a slower pass with the standard library finds out where and why, so the user
gets ``file:row: reason`` instead of a parser's internal message.
"""

from __future__ import annotations

import csv
import functools
import mmap
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from momentum.errors import Problem
from momentum.importers.problems import ProblemLog
from momentum.importers.textfile import Encoding, detect_encoding, readable_copy, sniff_separator

ROW = "_row"  # the spreadsheet row number of each record; the header is row 1
# The longest row a CSV file may have, in bytes. Every field the store keeps fits in it many
# times over (docs/data-format.md, "Limits"); a longer row is refused before a parser reads
# the file, so one runaway line cannot take the memory of a thousand rows.
MAX_ROW_BYTES = 1 << 20
csv.field_size_limit(MAX_ROW_BYTES * 2)  # the slow pass reads the values the fast reader could


class Unreadable(Exception):
    """The file cannot be read as CSV; the problems saying why are already logged."""


def unescape_formula(values: pl.Expr) -> pl.Expr:
    """A value a spreadsheet (or ``momentum export``) kept from being run as a formula with a
    leading apostrophe (``'=SUM(A1)``) reads as what it says: one apostrophe is removed."""
    return (
        pl.when(values.str.contains(r"^'+\s*[=+\-@\t\r]"))
        .then(values.str.slice(1))
        .otherwise(values)
    )


def _normal(header: str) -> str:
    return header.strip().lstrip("\ufeff").strip().lower()


@dataclass(eq=False)
class CsvFile:
    """A delimited text file. ``path`` is what the user named; ``source`` is what is read (the
    same file, or a UTF-8 copy of one written in another encoding)."""

    path: Path
    separator: str = ","
    label: str = ""
    headers: list[str] = field(default_factory=list)
    encoding: Encoding = field(default_factory=lambda: Encoding("utf-8", detected=False))
    source: Path = field(init=False)
    repeated: list[tuple[str, int, int]] = field(default_factory=list)  # name, 1st and 2nd column

    def __post_init__(self) -> None:
        if not self.label:
            self.label = str(self.path)
        self.source = self.path

    @functools.cached_property
    def holds_nul(self) -> bool:
        """Whether any byte of the text read is 0, as the character NUL alone is in UTF-8:
        one search of the file's bytes, so the values of a file without one (every real
        export) need no search each."""
        try:
            with self.source.open("rb") as handle:
                if os.fstat(handle.fileno()).st_size == 0:
                    return False
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    return data.find(b"\x00") >= 0
        except OSError:
            return True  # not known: every value is searched

    @classmethod
    def sniffed(cls, path: Path) -> CsvFile:
        """A file as exported by a CRM or saved by Excel: its encoding and separator are found
        from its bytes. Unreadable paths are left for :meth:`read_headers` to report."""
        file = cls(path)
        try:
            file.encoding = detect_encoding(path)
            file.source = readable_copy(path, file.encoding, file)
            file.separator = sniff_separator(file.source)
        except OSError:
            pass
        return file

    @property
    def encoding_note(self) -> str | None:
        """What a person should be told about how the file was read, if anything."""
        if self.encoding.detected:
            return f"{self.label} is not UTF-8; it was read as {self.encoding.name} (detected)"
        if not self.encoding.is_utf8:
            return f"{self.label} was read as {self.encoding.name} (it starts with that byte-order mark)"
        return None

    def read_headers(self, problems: ProblemLog) -> list[str]:
        """The header row, as written; logs a problem and returns [] if there is none."""
        try:
            with self.source.open("rb") as handle:
                if not handle.read(1):
                    problems.add(Problem(self.label, None, None, "is empty; expected a header row"))
                    return []
            long_row = too_long_row(self.source, self.label, self.separator)
        except OSError as exc:
            problems.add(Problem(self.label, None, None, f"cannot be read: {exc.strerror}"))
            return []
        if long_row is not None:
            problems.add(long_row)
            return []
        try:
            parsed = pl.read_csv(
                self.source, n_rows=0, infer_schema=False, separator=self.separator, glob=False
            ).columns
        except pl.exceptions.PolarsError as exc:
            self._explain(exc, problems)
            return []
        written = self._written_names()
        # Polars keeps a quoted header's doubled quotes ("Date entered ""X""" stays so) and
        # renames repeated names; the columns are taken by position, so the names as written
        # are those of the csv module's reading of the row, which has as many
        self.headers = written if len(written) == len(parsed) else parsed
        self.repeated = self._repeated_names(written)
        return self.headers

    def _written_names(self) -> list[str]:
        """The header row as written, read by the csv module ([] if it cannot read it: the
        reader will say what is wrong with the row)."""
        with self.source.open(encoding="utf-8-sig", errors="replace", newline="") as text:
            try:
                return next(csv.reader(text, delimiter=self.separator), [])
            except csv.Error:
                return []

    @staticmethod
    def _repeated_names(names: list[str]) -> list[tuple[str, int, int]]:
        """Header names written twice (ignoring case and surrounding spaces), which Polars
        would quietly rename: each with the columns (from 1) it is in."""
        first: dict[str, int] = {}
        repeated = []
        for index, name in enumerate(names, start=1):
            key = _normal(name)
            if key and key in first:
                repeated.append((name.strip(), first[key], index))
            first.setdefault(key, index)
        return repeated

    def report_repeated(self, problems: ProblemLog) -> None:
        """A header name written twice is a problem: which of the two holds the field?"""
        for name, first, second in self.repeated:
            problems.add(
                Problem(
                    self.label,
                    1,
                    name,
                    f"the header names this column twice (columns {first} and {second}); "
                    "rename or remove one",
                )
            )

    def header(self, name: str) -> str | None:
        """The header written for ``name`` (matched ignoring case and surrounding spaces)."""
        key = _normal(name)
        return next((header for header in self.headers if _normal(header) == key), None)

    def columns(
        self, wanted: Sequence[str], required: Sequence[str], problems: ProblemLog
    ) -> dict[str, str]:
        """Map each wanted field to the header that holds it (matched ignoring case and
        surrounding spaces). Missing required fields and ambiguous headers are problems."""
        found: dict[str, str] = {}
        seen: dict[str, str] = {}
        for header in self.headers:
            key = _normal(header)
            if key in seen and key in wanted:
                problems.add(Problem(self.label, 1, header, f"column {key!r} appears twice"))
            seen.setdefault(key, header)
        for name in wanted:
            if name in seen:
                found[name] = seen[name]
            elif name in required:
                problems.add(Problem(self.label, 1, name, "required column is missing"))
        return found

    def batches(
        self, columns: dict[str, str], batch_rows: int, problems: ProblemLog
    ) -> Iterator[pl.DataFrame]:
        """Batches of the chosen columns (renamed to their field names), values stripped and
        empty strings as nulls, plus ``_row``. Rows with nothing in them are skipped.

        Raises :class:`Unreadable` after logging why, when the file is not valid CSV.
        """
        selected = {field: self.position(header) for field, header in columns.items()}
        last = 1  # the last row handed over
        try:
            for batch in self._cleaned_batches(self.scan(), selected, batch_rows):
                last = batch[ROW].max() or last  # type: ignore[assignment]
                yield batch
        except pl.exceptions.NoDataError:
            return  # a header and nothing else: no rows
        except pl.exceptions.PolarsError as exc:
            broken = self._explain(exc, problems)
            # The rows Polars did not hand over, up to the first whose structure is wrong, are
            # read all the same (bytes that are not UTF-8, each already a problem naming its
            # row and column, as U+FFFD): an id on such a row still exists for the rows that
            # refer to it, and their other problems are reported in the same run.
            if broken is None or broken > last + 1:
                rest = self.scan(lossy=True, rows=None if broken is None else broken - 2)
                try:
                    yield from self._cleaned_batches(
                        rest.filter(pl.col(ROW) > last), selected, batch_rows
                    )
                except pl.exceptions.PolarsError as again:
                    raise Unreadable(str(again)) from again
            if broken is not None:  # what follows a broken row cannot be told apart
                raise Unreadable(str(exc)) from exc

    @staticmethod
    def _cleaned_batches(
        frame: pl.LazyFrame, selected: dict[str, str], batch_rows: int
    ) -> Iterator[pl.DataFrame]:
        raw = frame.select(
            pl.col(ROW), *(pl.col(source) for source in dict.fromkeys(selected.values()))
        )
        cleaned = [
            pl.col(source).str.strip_chars().replace("", None).alias(name)
            for name, source in selected.items()
        ]
        # Cleaning happens per batch, eagerly: in the lazy query it would stop Polars from
        # streaming, and the whole file would be read into memory at once.
        for batch in raw.collect_batches(chunk_size=batch_rows):
            # one chunk: the streaming reader hands a batch over in dozens of pieces,
            # and every check and gather on it would pay for them
            batch = batch.rechunk().select(pl.col(ROW), *cleaned)
            if cleaned:
                batch = batch.filter(pl.any_horizontal(pl.col(list(selected)).is_not_null()))
            quoted = _quoted(batch, list(selected))  # rare: skip the regex
            if quoted:
                batch = batch.with_columns(unescape_formula(pl.col(n)).alias(n) for n in quoted)
            yield batch

    def position(self, header: str) -> str:
        """The name :meth:`scan` gives the column under ``header``."""
        return f"column_{self.headers.index(header) + 1}"

    def scan(self, *, lossy: bool = False, rows: int | None = None) -> pl.LazyFrame:
        """Every column as text, named ``column_1``…, plus ``_row``; the header row skipped.
        With ``lossy``, bytes that are not UTF-8 are read as U+FFFD instead of refused; with
        ``rows``, only that many records are read: those before the first row of the wrong
        width, so the ragged rows after them, which Polars parses ahead, are let through."""
        return pl.scan_csv(
            self.source,
            has_header=False,
            skip_rows=1,
            new_columns=[f"column_{i + 1}" for i in range(len(self.headers))],
            infer_schema=False,
            separator=self.separator,
            row_index_name=ROW,
            row_index_offset=2,
            truncate_ragged_lines=rows is not None,
            glob=False,  # a path is the file it names: "deals[1].csv" is not a pattern
            encoding="utf8-lossy" if lossy else "utf8",
            n_rows=rows,
        )

    def _explain(self, exc: Exception, problems: ProblemLog) -> int | None:
        """Log why Polars refused the file: found exactly by the slow pass, or else its words.
        Returns the first row that cannot be read (the rows before it can), or None when the
        file is valid CSV but for bytes that are not UTF-8."""
        before = problems.total
        broken = self._locate_problems(problems)
        if problems.total == before:
            first_line = (str(exc).strip().splitlines() or [""])[0]
            problems.add(Problem(self.label, None, None, f"cannot be read as CSV: {first_line}"))
            return 2
        return broken

    def _locate_problems(self, problems: ProblemLog) -> int | None:
        """The slow, exact pass: invalid UTF-8, rows with more or fewer fields than the header,
        unclosed quotes. Returns the first row whose structure (not only its bytes) is wrong."""
        broken: int | None = None
        width = len(self.headers) or None
        with self.source.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as text:
            reader = csv.reader(text, delimiter=self.separator, strict=True)
            row = 0
            try:
                for row, record in enumerate(reader, start=1):
                    if width is None:
                        width = len(record)
                    if len(record) > width or 0 < len(record) < width:
                        broken = broken or row
                        problems.add(
                            Problem(
                                self.label,
                                row,
                                None,
                                f"has {len(record)} fields but the header has {width}",
                            )
                        )
                    for index, value in enumerate(record):
                        if any("\udc80" <= char <= "\udcff" for char in value):
                            column = (
                                self.headers[index]
                                if index < len(self.headers)
                                else f"field {index + 1}"
                            )
                            problems.add(
                                Problem(
                                    self.label,
                                    row,
                                    column,
                                    f"{as_written(value)} is not valid UTF-8 text "
                                    "(save the file as UTF-8)",
                                )
                            )
            except csv.Error as exc:
                broken = broken or row + 1
                problems.add(Problem(self.label, row + 1, None, _csv_reason(exc)))
        return broken


def too_long_row(
    path: Path, label: str, separator: str = ",", limit: int = MAX_ROW_BYTES
) -> Problem | None:
    """A problem naming the first row of ``path`` longer than ``limit`` bytes, or ``None``.

    The file is mapped, not read: from the start of a line, the next line break must come
    within ``limit`` bytes; the search then jumps to the last line break in those bytes (no
    line between can be too long), so a few bytes of each ``limit`` are all it looks at. A
    long line is a long row; its row number is its line number, unless a quoted field earlier
    in the file spans lines (then the standard library's reader, holding at most ``limit``
    bytes of a field, counts the rows up to it).
    """
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= limit:
                return None
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                start = 0  # where the current line starts, in bytes from the top
                while size - start > limit:
                    if data.find(b"\n", start, start + limit + 1) < 0:
                        line = data[:start].count(b"\n") + 1
                        quoted = data.find(b'"', 0, start) >= 0
                        return _long_row(path, label, separator, limit, line, quoted)
                    start = data.rfind(b"\n", start, start + limit + 1) + 1
    except OSError:
        return None  # reading the file says why
    return None


def _long_row(
    path: Path, label: str, separator: str, limit: int, line: int, quoted: bool
) -> Problem:
    row = line
    if quoted:  # rows and lines differ: count the rows up to the long one
        previous = csv.field_size_limit(limit)
        try:
            with path.open(encoding="utf-8-sig", errors="replace", newline="") as text:
                reader = csv.reader(text, delimiter=separator)
                row = 0
                try:
                    for row, _ in enumerate(reader, start=1):  # noqa: B007
                        if reader.line_num >= line:
                            break
                except csv.Error:
                    row += 1
        finally:
            csv.field_size_limit(previous)
    return Problem(
        label,
        row,
        None,
        f"is longer than {limit // (1 << 20)} MiB; a row may have at most {limit:,} bytes "
        "(is a quote missing, or a whole document in one cell?)",
    )


def as_written(value: str) -> str:
    """A value read with ``surrogateescape`` as the file has it: bytes that are not UTF-8 shown
    as ``\\xe9``, so the user can find them."""
    return f"'{value.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')}'"


def _csv_reason(exc: csv.Error) -> str:
    message = str(exc)
    if "unexpected end of data" in message or "EOF" in message:
        return "a quoted field is opened but never closed"
    return f"is not valid CSV: {message}"


def _quoted(batch: pl.DataFrame, names: list[str]) -> list[str]:
    """The columns where some value starts with ``'`` (one query, the columns in parallel)."""
    if not names or batch.height == 0:
        return []
    found = batch.select(pl.col(names).str.starts_with("'").any()).row(0, named=True)
    return [name for name in names if found[name]]
