"""Vectorized parsing of the values canonical files hold: ISO 8601 instants and numbers.

Each parser returns the parsed column and leaves judging to the caller, which turns
``input present but parsed is null`` into a problem naming the row and column.

ISO 8601 is what Apache Arrow's parser accepts (its string-to-timestamp cast): a date
(``2026-03-02``), a date-time to the hour, minute, second or fraction with ``T`` or a space
(``2026-03-02 10:00``), and — making it absolute — ``Z`` or an offset ``±hh:mm``, ``±hhmm``,
``±hh``. Arrow parses ten million values in about a quarter of a second, several times
faster than the alternatives; its cast is all-or-nothing, so when a column holds a bad value
the column is split in halves until each bad value is found on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from momentum.canonical import UTC_TIME
from momentum.localtime import (
    EARLIEST_INSTANT,
    END_OF_INSTANTS,
    WALL_EARLIEST,
    WALL_LATEST,
    localize,
)

ISO_HINT = "expected an ISO 8601 date or date-time such as 2026-03-02T10:00:00-05:00"
_NAIVE = pl.Datetime("us")
_WITH_OFFSET = r"(?:Z|[+-]\d{2}(?::?\d{2})?)$"
_SMALLEST_SPLIT = 64
_PARALLEL_ROWS = 50_000  # below this, starting the work on another thread costs more
_PARSERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="momentum-times")


def _where(mask: pl.Series, values: pl.Series) -> pl.Series:
    """``values`` where ``mask`` holds, null elsewhere."""
    return pl.select(pl.when(mask).then(values)).to_series().alias(values.name)


def _cast(values: pa.Array, target: pa.DataType) -> pa.Array:
    """Arrow's cast, with every value it cannot read as null (found by halving)."""
    try:
        return pc.cast(values, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if len(values) <= _SMALLEST_SPLIT:
            return pa.array([_cast_one(value, target) for value in values], type=target)
        middle = len(values) // 2
        return pa.concat_arrays([_cast(values[:middle], target), _cast(values[middle:], target)])


def _cast_one(value: pa.Scalar, target: pa.DataType) -> object:
    try:
        return pc.cast(pa.array([value.as_py()], type=pa.string()), target)[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


@dataclass(frozen=True)
class Times:
    """One column of ISO 8601 text, read: ``absolute`` holds the UTC instant of each value
    written with ``Z`` or an offset, ``wall`` the wall-clock time of each value without one.
    A value that is in neither could not be read."""

    text: pl.Series
    absolute: pl.Series
    wall: pl.Series

    @property
    def unreadable(self) -> pl.Series:
        return self.text.is_not_null() & self.absolute.is_null() & self.wall.is_null()

    @property
    def naive(self) -> pl.Series:
        return self.wall.is_not_null()

    def without_far_wall_times(self) -> tuple[Times, pl.Series]:
        """These times with wall-clock values beyond any accepted instant left out (they
        cannot be put in a zone safely: a year-9999 time east of UTC is past Python's last
        year), and where they were."""
        far = (self.wall < WALL_EARLIEST) | (self.wall > WALL_LATEST)
        far = far.fill_null(False)
        if not far.any():
            return self, far
        return Times(self.text, self.absolute, _where(~far, self.wall)), far


def outside_instant_range(instants: pl.Series) -> pl.Series:
    """Where an instant is outside the accepted range (null where there is none)."""
    return ((instants < EARLIEST_INSTANT) | (instants >= END_OF_INSTANTS)).fill_null(False)


def read_times(values: pl.Series) -> Times:
    if values.dtype != pl.String:
        values = values.cast(pl.String)
    aware = values.str.contains(_WITH_OFFSET).fill_null(False) & (values.str.len_bytes() >= 13)
    utc, local = pa.timestamp("us", tz="UTC"), pa.timestamp("us")
    if aware.all():  # a file usually writes every time one way: one cast, no masking
        absolute, wall = _arrow(values, utc, UTC_TIME), _nulls(values, _NAIVE)
    elif not aware.any():
        absolute, wall = _nulls(values, UTC_TIME), _arrow(values, local, _NAIVE)
    else:
        absolute = _arrow(_where(aware, values), utc, UTC_TIME)
        wall = _arrow(_where(~aware, values), local, _NAIVE)
    return Times(values, absolute.alias(values.name), wall.alias(values.name))


def read_times_of(batch: pl.DataFrame, names: Sequence[str]) -> dict[str, Times]:
    """:func:`read_times` of several columns, two at a time: Arrow's cast of a column runs
    on one core and lets go of the interpreter while it does, so a second column can be
    parsed beside it (on two cores, a third less time for the meetings' three)."""
    if len(names) < 2 or batch.height < _PARALLEL_ROWS:
        return {name: read_times(batch[name]) for name in names}
    return dict(zip(names, _PARSERS.map(read_times, [batch[n] for n in names]), strict=True))


def _nulls(values: pl.Series, dtype: pl.DataType) -> pl.Series:
    return pl.repeat(None, len(values), dtype=dtype, eager=True).alias(values.name)


def _arrow(values: pl.Series, target: pa.DataType, dtype: pl.DataType) -> pl.Series:
    if values.null_count() == len(values):
        return _nulls(values, dtype)
    # large_string, which Arrow casts to timestamps directly (string views it cannot)
    parsed = _cast(values.to_arrow(compat_level=pl.CompatLevel.oldest()), target)
    return pl.Series(values.name, parsed).cast(dtype)


def to_instants(times: Times, zones: pl.Series) -> pl.Series:
    """UTC instants: absolute values as they are; wall-clock values in that row's zone — the
    first occurrence in a repeated hour, moved forward by the gap in a skipped one. Null
    where unreadable or where a wall-clock value has no zone."""
    if not times.naive.any():
        return times.absolute
    local = pl.DataFrame(
        {
            "naive": times.wall,
            "zone": zones,
            "i": pl.arange(0, len(zones), eager=True, dtype=pl.UInt32),
        }
    ).filter(pl.col("naive").is_not_null() & pl.col("zone").is_not_null())
    result = times.absolute
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
        result = result.scatter(part["i"], instant.cast(UTC_TIME))
    return result.alias(times.text.name)


def parse_instants(values: pl.Series, zones: pl.Series) -> pl.Series:
    """:func:`to_instants` of :func:`read_times`: UTC instants for ISO 8601 text."""
    return to_instants(read_times(values), zones)


# ------------------------------------------------------------------ amounts, exactly
AMOUNT_SCALE = 4  # digits after the point: the scale of deal.amount, NUMERIC(20, 4)
# All digits of an amount. PostgreSQL's NUMERIC(20, 4) holds 20; SQLite stores a NUMERIC
# value that is not a whole number as a binary float, which keeps 15 significant digits: the
# most that both read back exactly.
AMOUNT_DIGITS = 15
AMOUNT_TYPE = pl.Decimal(20, AMOUNT_SCALE)
# ASCII digits only: the regex engine's \d also takes other scripts' digits (١٢٣), which
# the decimal type would then turn into null without a word.
_PLAIN_NUMBER = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)$"
_SCIENTIFIC = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+$"
_DIGITS = r"^[+-]?0*([0-9]*)(?:\.([0-9]*?)0*)?$"  # the integer digits, the decimals that count


@dataclass(frozen=True)
class Amounts:
    """One column of decimal text, read exactly: ``values`` (``AMOUNT_TYPE``) holds each
    amount that fits the store; the masks say why the others do not."""

    values: pl.Series
    unreadable: pl.Series  # not a number
    too_precise: pl.Series  # more than AMOUNT_SCALE digits after the point
    too_large: pl.Series  # more than AMOUNT_DIGITS digits in all


def read_amounts(text: pl.Series) -> Amounts:
    """Exact decimal amounts from text such as ``12000.50``, ``-3`` or ``1.5E+6``: never
    through a binary float, so ``0.00001`` is not silently ``0`` and ``12345678901234.5678``
    not silently another number; what the store cannot hold exactly is reported instead."""
    if text.dtype != pl.String:
        text = text.cast(pl.String)
    plain = text.str.contains(_PLAIN_NUMBER).fill_null(False)
    if (text.is_not_null() & ~plain).any():  # 1.5E+6 is a number too (rare: looked for then)
        scientific = text.str.contains(_SCIENTIFIC).fill_null(False)
        if scientific.any():
            text = _put(text, scientific, _plain_decimals(text.filter(scientific)))
            plain = text.str.contains(_PLAIN_NUMBER).fill_null(False)
    # The digits that count are read only where there may be too many: a number of at most
    # AMOUNT_DIGITS characters with at most AMOUNT_SCALE bytes after its point fits.
    point = text.str.find(".", literal=True)
    long = (text.str.len_chars() > AMOUNT_DIGITS) | (
        text.str.len_bytes() - point - 1 > AMOUNT_SCALE
    ).fill_null(False)
    too_precise = pl.repeat(False, text.len(), dtype=pl.Boolean, eager=True)
    too_large = pl.repeat(False, text.len(), dtype=pl.Boolean, eager=True)
    maybe = plain & long
    if maybe.any():
        digits = text.filter(maybe).str.extract_groups(_DIGITS)
        whole = digits.struct.field("1").str.len_chars().fill_null(0)
        decimals = digits.struct.field("2").str.len_chars().fill_null(0)
        precise = decimals > AMOUNT_SCALE
        too_precise = _put(too_precise, maybe, precise)
        too_large = _put(too_large, maybe, ~precise & (whole + decimals > AMOUNT_DIGITS))
    fits = plain & ~too_precise & ~too_large
    values = _where(fits, text).cast(AMOUNT_TYPE, strict=False)
    return Amounts(
        values=values.alias(text.name),
        unreadable=text.is_not_null() & ~plain,
        too_precise=too_precise,
        too_large=too_large,
    )


def _plain_decimals(scientific: pl.Series) -> pl.Series:
    """``1.5E+6`` as ``1500000``; exponents far beyond any amount as 99 nines (too large)."""

    def plain(value: str) -> str:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        if abs(number.adjusted()) > 40:
            return "9" * 99 if number.adjusted() > 0 else "0." + "1" * 99
        return format(number, "f")

    return pl.Series([plain(v) for v in scientific.to_list()], dtype=pl.String)


# ------------------------------------------------------------------ values as people write them
# Exports and spreadsheets write dates the way their locale shows them, and amounts with
# thousands separators and decimal commas. These turn such text into the ISO 8601 and plain
# decimal text the checks above read. A value that cannot be turned is left as it was written,
# so the problem the checks report quotes the user's own text.

DATE_ORDERS = ("dmy", "mdy")
# 31/12/2026, 12.31.26, 31-12-2026 14:30, 12/31/2026 2:30 PM, 31/12/2026 14:30:05
_NUMERIC_DATE = (
    r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4}|\d{2})"
    r"(?:[ T,]+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?$"
)
_EXCEL_SERIAL = r"^\d{5}(?:\.\d+)?$"  # days since 1899-12-30: 10000 (1927) to 99999 (2173)
_MONTH_NAMES = ("%d-%b-%Y", "%d-%b-%y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y")
_EXCEL_EPOCH = pl.datetime(1899, 12, 30)
_NAIVE_ISO = "%Y-%m-%dT%H:%M:%S"


def slashed_date_parts(values: pl.Series) -> pl.DataFrame:
    """The first two numbers of every ``31/12/2026``-style value (nulls elsewhere): the
    evidence for which of them is the day."""
    parts = values.str.extract_groups(_NUMERIC_DATE)
    return pl.DataFrame(
        {
            "first": parts.struct.field("1").cast(pl.Int32, strict=False),
            "second": parts.struct.field("2").cast(pl.Int32, strict=False),
        }
    )


def local_dates_to_iso(values: pl.Series, order: str) -> pl.Series:
    """ISO 8601 text for ``values`` written as day-first (``order="dmy"``) or month-first
    (``"mdy"``) numeric dates, with month names, or as Excel serial numbers; ISO text and
    anything unreadable are passed through unchanged. Each kind of value is worked on only
    where it occurs, so an export of ISO times costs almost nothing here."""
    text = values.str.strip_chars()
    result = text
    numeric = text.str.contains(_NUMERIC_DATE).fill_null(False)
    if numeric.any():
        result = _put(result, numeric, _numeric_to_iso(text.filter(numeric), order))
    serial = text.str.contains(_EXCEL_SERIAL).fill_null(False)
    if serial.any():
        days = text.filter(serial).cast(pl.Float64)
        moments = pl.select(
            _EXCEL_EPOCH + pl.duration(seconds=(pl.lit(days) * 86400).round(0).cast(pl.Int64))
        ).to_series()
        result = _put(result, serial, moments.dt.strftime(_NAIVE_ISO))
    named = (text.str.contains(r"[A-Za-z]{3}") & ~numeric & ~serial).fill_null(False)
    if named.any():
        words = text.filter(named)
        parsed = pl.select(
            pl.coalesce(
                [
                    pl.lit(words).str.to_date(fmt, strict=False).dt.strftime("%Y-%m-%d")
                    for fmt in _MONTH_NAMES
                ]
            )
        ).to_series()
        result = _put(result, named, parsed.fill_null(words))
    return result.alias(values.name)


def _put(target: pl.Series, mask: pl.Series, values: pl.Series) -> pl.Series:
    """``target`` with the rows where ``mask`` holds replaced by ``values`` (in order)."""
    return target.scatter(mask.arg_true(), values)


def _numeric_to_iso(text: pl.Series, order: str) -> pl.Series:
    parts = text.str.extract_groups(_NUMERIC_DATE).struct.unnest()
    day, month = ("1", "2") if order == "dmy" else ("2", "1")
    iso = parts.select(
        year=pl.when(pl.col("3").str.len_chars() == 2)
        .then(
            pl.when(pl.col("3").cast(pl.Int32) < 70)
            .then("20" + pl.col("3"))
            .otherwise("19" + pl.col("3"))
        )
        .otherwise(pl.col("3")),
        hour=pl.col("4").cast(pl.Int32, strict=False),
        meridiem=pl.col("7").str.to_lowercase(),
        rest=pl.col(month).str.zfill(2) + "-" + pl.col(day).str.zfill(2) + "T",
        minutes=pl.col("5").fill_null("00") + ":" + pl.col("6").fill_null("00"),
    ).select(
        pl.col("year")
        + "-"
        + pl.col("rest")
        + pl.when(pl.col("meridiem") == "p")
        .then(pl.col("hour") % 12 + 12)
        .when(pl.col("meridiem") == "a")
        .then(pl.col("hour") % 12)
        .otherwise(pl.col("hour").fill_null(0))
        .cast(pl.String)
        .str.zfill(2)
        + ":"
        + pl.col("minutes")
    )["year"]
    valid = iso.str.to_datetime(_NAIVE_ISO, strict=False).is_not_null()
    return pl.select(pl.when(valid).then(iso).otherwise(text)).to_series()


# one mark followed by three digits: 8,500 is 8500 with a decimal point, 8.5 with a decimal comma
EITHER_WAY = r"^\D*\d{1,3}[.,]\d{3}\D*$"


def amount_evidence(values: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Where an amount shows a decimal comma, and where a decimal point, beyond doubt: both
    marks in one value (the last is the decimal), one mark not followed by exactly three
    digits (``12,5``, ``1234.50``), or one mark grouping thousands twice (``1,234,567``: the
    decimal is the other)."""
    text = values.str.replace_all(r"[^\d.,]", "")
    comma = (
        text.str.contains(r"\.\d*,\d*$")
        | text.str.contains(r"^\d*,(\d{1,2}|\d{4,})$")
        | text.str.contains(r"^\d{1,3}(\.\d{3}){2,}$")
    )
    point = (
        text.str.contains(r",\d*\.\d*$")
        | text.str.contains(r"^\d*\.(\d{1,2}|\d{4,})$")
        | text.str.contains(r"^\d{1,3}(,\d{3}){2,}$")
    )
    return comma.fill_null(False), point.fill_null(False)


def local_amounts_to_decimal(values: pl.Expr, decimal: str) -> pl.Expr:
    """Plain decimal text for amounts written with a currency sign or code, spaces or
    apostrophes, thousands separators and ``decimal`` (``","`` or ``"."``) as the decimal
    mark; ``(1,234.50)`` is negative. Anything else is passed through unchanged."""
    text = values.str.strip_chars()
    negative = text.str.contains(r"^\(.*\)$")
    cleaned = text.str.replace_all(r"[\s\u00a0\u202f'’()]|^[A-Za-z]{3}|[A-Za-z]{3}$", "")
    cleaned = cleaned.str.replace_all(r"[$€£¥₹]", "")
    thousands = "." if decimal == "," else ","
    grouped = rf"^[-+]?\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d+)?$"
    plain = rf"^[-+]?\d+(\{decimal}\d+)?$"
    fits = cleaned.str.contains(grouped) | cleaned.str.contains(plain)
    number = cleaned.str.replace_all(rf"\{thousands}", "").str.replace(rf"\{decimal}", ".")
    number = pl.when(negative).then("-" + number.str.strip_chars_start("+-")).otherwise(number)
    return pl.when(fits).then(number).otherwise(text)
