"""Vectorized parsing of the values canonical files hold: ISO 8601 instants, numbers, codes.

Each parser returns the parsed column and leaves judging to the caller, which turns
``input present but parsed is null`` into a problem naming the row and column.
"""

from __future__ import annotations

import polars as pl

from momentum.canonical import UTC_TIME
from momentum.localtime import localize

# Tried in order, each only on the values the ones before could not read.
_WITH_OFFSET = (
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%dT%H:%M%#z",
    "%Y-%m-%d %H:%M%#z",
)
_LOCAL = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)
ISO_HINT = "expected an ISO 8601 date or date-time such as 2026-03-02T10:00:00-05:00"


def _where(mask: pl.Series, values: pl.Series) -> pl.Series:
    """``values`` where ``mask`` holds, null elsewhere."""
    return pl.select(pl.when(mask).then(values)).to_series().alias(values.name)


def _cascade(values: pl.Series, formats: tuple[str, ...], dtype: pl.Datetime) -> pl.Series:
    result = pl.Series(values.name, [None] * len(values), dtype=dtype)
    pending = values
    for fmt in formats:
        if pending.null_count() == len(pending):
            break
        parsed = pending.str.to_datetime(fmt, strict=False, time_unit="us").cast(dtype)
        result = result.fill_null(parsed)
        pending = _where(result.is_null(), values)
    return result


def parse_instants(values: pl.Series, zones: pl.Series) -> pl.Series:
    """UTC instants for ISO 8601 text. A value with an offset or ``Z`` is absolute; a naive one
    (or a date alone, meaning midnight) is wall-clock time in that row's zone: the first
    occurrence in a repeated hour, moved forward by the gap in a skipped one.

    Rows whose text cannot be read, or whose zone is null, come back null.
    """
    if values.dtype != pl.String:
        values = values.cast(pl.String)
    absolute = _cascade(values, _WITH_OFFSET, UTC_TIME)
    naive_text = _where(absolute.is_null(), values)
    if naive_text.null_count() == len(naive_text):
        return absolute.alias(values.name)
    naive = _cascade(naive_text, _LOCAL, pl.Datetime("us"))
    local = pl.DataFrame(
        {"naive": naive, "zone": zones, "i": pl.arange(0, len(values), eager=True)}
    )
    local = local.filter(pl.col("naive").is_not_null() & pl.col("zone").is_not_null())
    pieces = [
        absolute.to_frame("instant").with_row_index("i").filter(pl.col("instant").is_not_null())
    ]
    for (zone_name,), part in local.partition_by("zone", as_dict=True).items():
        instant = (
            part["naive"]
            .dt.replace_time_zone(str(zone_name), ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
        )
        skipped = instant.is_null()
        if skipped.any():  # in the hour clocks skip: zoneinfo moves it forward by the gap
            fixed = [
                localize(moment, str(zone_name)) if missing else None
                for moment, missing in zip(part["naive"].to_list(), skipped.to_list(), strict=True)
            ]
            instant = instant.fill_null(pl.Series(fixed, dtype=UTC_TIME))
        pieces.append(
            pl.DataFrame({"i": part["i"].cast(pl.UInt32), "instant": instant.cast(UTC_TIME)})
        )
    merged = pl.concat(pieces, how="vertical")
    result = (
        pl.DataFrame({"i": pl.arange(0, len(values), eager=True, dtype=pl.UInt32)})
        .join(merged, on="i", how="left")
        .sort("i")["instant"]
    )
    return result.alias(values.name)


def parse_numbers(values: pl.Series) -> pl.Series:
    """Plain decimal numbers (``1234.5``, ``-3``); anything else, or not finite, is null."""
    parsed = values.cast(pl.Float64, strict=False)
    return _where(parsed.is_finite().fill_null(False), parsed)
