"""Files as Excel and people write them: encodings, separators, locale dates and amounts."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from momentum.importers.textfile import detect_encoding, sniff_separator
from momentum.importers.values import (
    amount_evidence,
    local_amounts_to_decimal,
    local_dates_to_iso,
)
from tests.importers.presets import problems_in, read_format

HEADER = "Record ID,Deal Name,Deal Stage,Amount,Close Date,Deal owner\n"


def dates(values: list[str | None], order: str) -> list[str | None]:
    return local_dates_to_iso(pl.Series(values, dtype=pl.String), order).to_list()


def amounts(values: list[str | None], decimal: str) -> list[str | None]:
    return (
        pl.select(local_amounts_to_decimal(pl.lit(pl.Series(values, dtype=pl.String)), decimal))
        .to_series()
        .to_list()
    )


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("31/12/2026", "dmy", "2026-12-31T00:00:00"),
        ("12/31/2026", "mdy", "2026-12-31T00:00:00"),
        ("03/04/2026", "dmy", "2026-04-03T00:00:00"),
        ("03/04/2026", "mdy", "2026-03-04T00:00:00"),
        ("31.12.26 14:30", "dmy", "2026-12-31T14:30:00"),
        ("12/31/2026 2:30 PM", "mdy", "2026-12-31T14:30:00"),
        ("12/31/2026 12:05 am", "mdy", "2026-12-31T00:05:00"),
        ("1-3-2026 9:05:07", "dmy", "2026-03-01T09:05:07"),
        ("15-Mar-2026", "dmy", "2026-03-15"),
        ("Mar 15, 2026", "mdy", "2026-03-15"),
        # Excel serial dates count days from 1899-12-30; the fraction is the time of day
        ("46083", "dmy", "2026-03-02T00:00:00"),
        ("46083.75", "mdy", "2026-03-02T18:00:00"),
        # ISO text and what cannot be read pass through, so problems quote the user's text
        ("2026-03-02T10:00:00-05:00", "dmy", "2026-03-02T10:00:00-05:00"),
        ("31/02/2026", "dmy", "31/02/2026"),
        ("13/13/2026", "mdy", "13/13/2026"),
        ("soon", "dmy", "soon"),
    ],
)
def test_dates_as_locales_write_them(text: str, order: str, expected: str) -> None:
    assert dates([text], order) == [expected]


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("1.234,56", ",", "1234.56"),
        ("1 234,56 €", ",", "1234.56"),
        ("\u00a0€ 12,5", ",", "12.5"),
        ("(1.000,00)", ",", "-1000.00"),
        ("1,234.56", ".", "1234.56"),
        ("USD 1,234", ".", "1234"),
        ("$12.50", ".", "12.50"),
        ("1'234.50", ".", "1234.50"),
        ("-3", ".", "-3"),
        # a number that does not fit the file's decimal mark is left for the checks to report
        ("1.234,56", ".", "1.234,56"),
        ("12k", ",", "12k"),
    ],
)
def test_amounts_with_thousands_separators_and_decimal_commas(
    text: str, decimal: str, expected: str
) -> None:
    assert amounts([text], decimal) == [expected]


def evidence(values: list[str | None]) -> tuple[list[bool], list[bool]]:
    comma, point = amount_evidence(pl.Series(values, dtype=pl.String))
    return comma.to_list(), point.to_list()


def test_the_decimal_mark_is_what_the_amounts_show_beyond_doubt() -> None:
    # "1,234" could be either; "12,5" and "1.234,50" can only have a decimal comma
    assert evidence(["1,234", "12,5", "1.234,50", None]) == (
        [False, True, True, False],
        [False, False, False, False],
    )
    assert evidence(["1,234.50", "9.99", "1.234"]) == ([False] * 3, [True, True, False])
    # a mark that groups thousands twice can only be a thousands separator
    assert evidence(["1,234,567", "1.234.567", "$12,000,000"]) == (
        [False, True, False],
        [True, False, True],
    )


@pytest.mark.parametrize(
    ("content", "encoding", "name"),
    [
        ("Café;Zürich\n".encode(), "utf-8", "UTF-8"),
        ("\ufeffCafé;Zürich\n".encode("utf-8"), "utf-8-sig", "UTF-8 with BOM"),
        ("Café;Zürich\n".encode("utf-16"), "utf-16", "UTF-16"),
        ("Café;Zürich;Straße;naïve;€ 12\n".encode("cp1252"), "cp1252", "Windows-1252"),
    ],
)
def test_encodings_are_told_by_bom_validity_or_guess(
    tmp_path, content: bytes, encoding: str, name: str
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    found = detect_encoding(path)
    assert (found.codec, found.name) == (encoding, name)
    assert found.detected == (encoding == "cp1252")


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2;3\n", ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ('"a;x",b,c\n1,2,3\n', ","),
        ("single\nvalue\n", ","),
    ],
)
def test_separators_are_sniffed(tmp_path, text: str, separator: str) -> None:
    path = tmp_path / "x.csv"
    path.write_text(text, encoding="utf-8")
    assert sniff_separator(path) == separator


def test_a_windows_1252_export_is_read_and_the_encoding_is_said(write_files) -> None:
    text = (
        "Record ID;Deal Name;Deal Stage;Amount;Close Date;Deal owner\r\n"
        "1;Café Zürich;Closed Won;1.234,50;20/03/2026;Renée\r\n"
    )
    folder = write_files({"deals.csv": text.encode("cp1252")})
    data = read_format(folder)
    assert data.deals.select("name", "owner_id", "amount").row(0) == (
        "Café Zürich",
        "Renée",
        1234.5,
    )
    assert f"{folder}/deals.csv is not UTF-8; it was read as Windows-1252 (detected)" in data.notes


def test_a_utf16_export_with_tabs_and_quoted_newlines(write_files) -> None:
    text = (
        "Record ID\tDeal Name\tDeal Stage\tAmount\tClose Date\tDeal owner\r\n"
        '1\t"Acme\r\nsecond line"\tClosed Won\t12\t2026-03-20\tAnn\r\n'
        "2\tBirch\tClosed Won\t\t\tAnn\r\n"
    )
    folder = write_files({"deals.csv": text.encode("utf-16")})
    assert problems_in(folder) == [
        # the quoted line break keeps the rows as a spreadsheet numbers them
        "deals.csv:3:Close Date: is required when outcome is won"
    ]


def test_trailing_empty_rows_are_ignored(write_files) -> None:
    folder = write_files({"deals.csv": HEADER + "1,Acme,Qualified,,,Ann\n,,,,,\n\n,,,,,\n"})
    assert read_format(folder).deals.height == 1


def test_an_export_uses_one_date_order_never_decided_row_by_row(write_files) -> None:
    deals = HEADER + "1,A,Closed Won,,25/03/2026,Ann\n2,B,Closed Won,,03/25/2026,Ann\n"
    folder = write_files({"deals.csv": deals})
    assert problems_in(folder) == [
        "deals.csv:3:Close Date: '03/25/2026' can only be month-first, but row 2 (Close Date "
        "'25/03/2026') can only be day-first; an export uses one order (choose it with "
        "--date-order dmy or mdy)"
    ]


def test_the_order_found_in_one_file_holds_for_the_others(write_files) -> None:
    deals = HEADER + "1,A,Closed Won,,25/03/2026,Ann\n"
    meetings = "Record ID,Meeting start time,Meeting outcome,Associated Deal IDs\n7,03/04/2026,Completed,1\n"
    folder = write_files({"deals.csv": deals, "meetings.csv": meetings})
    assert read_format(folder).meetings["start"].to_list() == [
        datetime(2026, 4, 3, 0, 0, tzinfo=UTC)
    ]


def test_ambiguous_dates_take_the_format_s_default_and_say_so(write_files) -> None:
    folder = write_files({"deals.csv": HEADER + "1,A,Closed Won,,03/04/2026,Ann\n"})
    data = read_format(folder)
    assert data.deals["closed_at"].to_list() == [datetime(2026, 3, 4, tzinfo=UTC)]
    assert (
        f"dates such as '03/04/2026' ({folder}/deals.csv row 2, Close Date) can be read either "
        "way; they are read month-first, the HubSpot default (choose with --date-order dmy or mdy)"
    ) in data.notes  # after it: the owners made reps with the defaults


def test_a_date_order_given_is_followed_and_what_does_not_fit_is_a_problem(write_files) -> None:
    deals = HEADER + "1,A,Closed Won,,03/04/2026,Ann\n2,B,Closed Won,,03/25/2026,Ann\n"
    folder = write_files({"deals.csv": deals})
    assert problems_in(folder, date_order="dmy") == [
        "deals.csv:3:Close Date: '03/25/2026' is not a date-time: expected an ISO 8601 "
        "date-time such as 2026-03-02T10:00:00-05:00, a day-first date such as "
        "31/12/2026 14:30, or an Excel date number"
    ]


def test_amounts_that_could_be_read_either_way_follow_the_separator(write_files) -> None:
    deals = "Record ID;Deal Name;Deal Stage;Amount;Deal owner\n1;A;Qualified;1.234;Ann\n"
    folder = write_files({"deals.csv": deals})
    data = read_format(folder)
    assert data.deals["amount"].to_list() == [1234.0]  # the point groups thousands
    assert (
        f"amounts in {folder}/deals.csv such as '1.234' (row 2, Amount) can be read either way; "
        "the decimal mark is taken to be a comma (the file is semicolon-separated), so it is "
        "read as 1234"
    ) in data.notes  # after it: the owners made reps with the defaults


# A deals file of each preset whose amounts are written in column {amount}
PRESET_DEALS = {
    "hubspot": (
        "deals.csv",
        "Record ID,Deal Name,Deal Stage,Amount,Deal owner",
        "{i},D{i},Qualified,{amount},Ann",
    ),
    "salesforce": (
        "Opportunity.csv",
        "Id,Name,StageName,Amount,CloseDate,IsClosed,IsWon,OwnerId",
        "006A{i},D{i},Qualification,{amount},2026-06-30,false,false,005U1",
    ),
    "pipedrive": (
        "deals.csv",
        "Deal - ID,Deal - Title,Deal - Value,Deal - Status,Deal - Owner",
        "{i},D{i},{amount},Open,Ann",
    ),
}
PRESET_AMOUNT_COLUMNS = {"hubspot": "Amount", "salesforce": "Amount", "pipedrive": "Deal - Value"}


def preset_deals(format: str, amounts: list[str], separator: str = ",") -> tuple[str, str]:
    name, header, row = PRESET_DEALS[format]
    rows = [row.replace(",", separator).format(i=i, amount=a) for i, a in enumerate(amounts, 1)]
    return name, "\n".join([header.replace(",", separator), *rows]) + "\n"


@pytest.mark.parametrize("format", list(PRESET_DEALS))
def test_an_amount_read_either_way_is_noted_when_another_decides_the_mark(
    write_files, format: str
) -> None:
    # "8,5" can only have a decimal comma, so "8,500" is 8.5 in this file: the user is told
    name, deals = preset_deals(format, ["8,500", "8,5"], separator=";")
    folder = write_files({name: deals})
    data = read_format(folder, format=format)
    assert data.deals["amount"].to_list() == [8.5, 8.5]
    column = PRESET_AMOUNT_COLUMNS[format]
    assert (
        f"amounts in {folder}/{name} such as '8,500' (row 2, {column}) can be read either way; "
        f"the decimal mark is taken to be a comma (row 3, {column} '8,5' can only be read that "
        "way), so it is read as 8.5"
    ) in data.notes


@pytest.mark.parametrize("format", list(PRESET_DEALS))
def test_thousands_grouped_twice_are_read_right_whatever_the_separator(
    write_files, format: str
) -> None:
    # "1,234,567" can only group thousands with its commas: the decimal mark is a point, even
    # in a semicolon-separated file (whose default would be a comma)
    name, deals = preset_deals(format, ["8,500", "1,234,567", "12,000"], separator=";")
    folder = write_files({name: deals})
    data = read_format(folder, format=format)
    assert data.deals["amount"].to_list() == [8500.0, 1234567.0, 12000.0]
    column = PRESET_AMOUNT_COLUMNS[format]
    assert (
        f"amounts in {folder}/{name} such as '8,500' (row 2, {column}) can be read either way; "
        f"the decimal mark is taken to be a point (row 3, {column} '1,234,567' can only be read "
        "that way), so it is read as 8500"
    ) in data.notes


def test_an_amount_that_does_not_fit_a_decimal_comma_says_what_was_expected(write_files) -> None:
    _, deals = preset_deals("hubspot", ["2,5", "1,234,567", "3,5"], separator=";")
    folder = write_files({"deals.csv": deals})
    assert problems_in(folder) == [
        "deals.csv:3:Amount: '1,234,567' is not a number (expected e.g. 12000,50 or 12.000,50; "
        "the decimal mark is taken to be a comma: row 2, Amount '2,5' can only be read that way)"
    ]
