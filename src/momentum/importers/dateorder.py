"""The order of an export's numeric dates (``03/04/2026``): one for all its files, never decided
row by row.

An export comes from one locale, so its numeric dates are all day-first or all month-first:
the order given (``--date-order``), else the one that values which can be read only one way
show (``25/03/2026`` can only be day-first), else the format's default. An export whose values
show both orders is inconsistent: every value that can only be read the other way than most
of them is a problem, all of them in one run, each naming its file, row and column. The rows
are then read in the order most values show, so that whatever else is wrong is found in the
same run; a value reported here is not reported again as "not a date-time".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from momentum.importers.csvfile import ROW
from momentum.importers.problems import ProblemLog
from momentum.importers.tables import ORDER_NAMES, MappedTable
from momentum.importers.values import slashed_date_parts

ONLY = ("dmy", "mdy")  # the kinds of value that show an order; "either" shows none
_CELLS = {
    "_table": pl.Int64,
    ROW: pl.Int64,
    "_column": pl.Int64,
    "header": pl.String,
    "value": pl.String,
    "kind": pl.String,
}


def numeric_dates(table: MappedTable, index: int) -> pl.DataFrame:
    """The numeric dates of ``table``'s time columns that show an order (``kind`` ``dmy``:
    can only be day-first, ``mdy``: only month-first), and each column's first one that can
    be read either way (``either``); ``_table`` is ``index``, ``_column`` the column's place
    among the table's times."""
    file = table.file
    headers = table.times
    empty = pl.DataFrame(schema=_CELLS)
    if not headers or not file.headers:
        return empty  # no times, or a file whose header could not be read
    frame = file.scan().select(ROW, *[pl.col(file.position(h)).alias(h) for h in headers])
    try:
        data = frame.collect()
    except pl.exceptions.PolarsError:
        return empty  # the batches will say why the file cannot be read
    found = [empty]
    for column, header in enumerate(headers):
        values = data[header].str.strip_chars()
        first, second = pl.col("first"), pl.col("second")
        cells = (
            slashed_date_parts(values)
            .with_columns(data[ROW].cast(pl.Int64), values.alias("value"))
            .filter(first.is_not_null())
            .with_columns(
                pl.when((first > 12) & (second <= 12))
                .then(pl.lit("dmy"))
                .when((second > 12) & (first <= 12))
                .then(pl.lit("mdy"))
                .when((first <= 12) & (second <= 12))
                .then(pl.lit("either"))
                .alias("kind"),
                pl.lit(index).alias("_table"),
                pl.lit(column).alias("_column"),
                pl.lit(header).alias("header"),
            )
            .select(list(_CELLS))
            .cast(_CELLS)  # type: ignore[arg-type]
        )
        either = cells.filter(pl.col("kind") == "either").head(1)
        found += [cells.filter(pl.col("kind").is_in(ONLY)), either]
    return pl.concat(found)


def settle_date_order(tables: Sequence[MappedTable], problems: ProblemLog) -> int:
    """Give every table of one export whose order is not set the export's order of numeric
    dates (see the module's docstring), with a note saying how it was found. Returns how
    many values were reported for showing the other order than most (0: the export is
    consistent)."""
    pending = [table for table in tables if table.date_order is None and table.times]
    if not pending:
        return 0
    labels = [table.label for table in pending]
    cells = (
        pl.concat([numeric_dates(table, index) for index, table in enumerate(pending)])
        .sort("_table", ROW, "_column")
        .with_columns(pl.col("_table").replace_strict(range(len(labels)), labels).alias("_file"))
        # a file read as several tables (HubSpot's deals and their stage history) is one file
        .unique(["_file", ROW, "header", "kind"], keep="first", maintain_order=True)
    )
    sure = cells.filter(pl.col("kind").is_in(ONLY))
    counts = dict(sure.group_by("kind").len().iter_rows())
    reported = 0
    if len(counts) == 2:
        order = (
            "dmy"
            if counts["dmy"] > counts["mdy"]
            else "mdy"
            if counts["mdy"] > counts["dmy"]
            else sure["kind"][0]  # as many of each: the order the export shows first
        )
        reported = _report_other_order(sure, order, counts[order], labels, problems)
    else:
        defaults = {table.conventions.default_order for table in pending}
        order = next(iter(counts), sorted(defaults)[0])
    for table in pending:
        table.date_order = order
    if reported:
        return reported
    if counts:
        first = sure.row(0, named=True)
        pending[0].notes.append(
            f"dates are read {ORDER_NAMES[order]}: {first['_file']} row {first[ROW]}, "
            f"{first['header']} {first['value']!r} can only be read that way"
        )
    elif cells.height:
        first = cells.row(0, named=True)
        preset = pending[first["_table"]].conventions.preset
        pending[0].notes.append(
            f"dates such as {first['value']!r} ({first['_file']} row {first[ROW]}, "
            f"{first['header']}) can be read either way; they are read {ORDER_NAMES[order]}, "
            f"the {preset} default (choose with --date-order dmy or mdy)"
        )
    return reported


def _report_other_order(
    sure: pl.DataFrame, order: str, count: int, labels: list[str], problems: ProblemLog
) -> int:
    """Report every value of ``sure`` that can only be read the other way than ``order``,
    naming the first value read ``order`` (and how many more there are); each is explained
    to ``problems`` so that it is not reported again as not a date-time."""
    example = sure.filter(pl.col("kind") == order).row(0, named=True)
    other = sure.filter(pl.col("kind") != order)
    more = f" and {count - 1:,} other date{'s' if count > 2 else ''}" if count > 1 else ""

    def reason(record: dict[str, Any]) -> str:
        where = "" if record["_file"] == example["_file"] else f" of {example['_file']}"
        return (
            f"{record['value']!r} can only be {ORDER_NAMES[record['kind']]}, but row "
            f"{example[ROW]}{where} ({example['header']} {example['value']!r}){more} can only "
            f"be {ORDER_NAMES[order]}; an export uses one order (choose it with --date-order "
            "dmy or mdy)"
        )

    for label in dict.fromkeys(labels):
        in_file = other.filter(pl.col("_file") == label)
        for (header,), part in in_file.partition_by("header", as_dict=True).items():
            problems.add_rows(label, part, pl.lit(True), str(header), reason)
        problems.explain(label, in_file.select(ROW, "value"))
    return other.height
