"""Datetimes as PRODUCT.md defines them: offset or Z is absolute; naive is the owner's wall
clock (first occurrence in a repeated hour, moved forward by the gap in a skipped one)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from momentum.importers.values import parse_instants
from momentum.localtime import localize
from tests.importers.helpers import read

NY = "America/New_York"


def instants(texts: list[str | None], zone: str = NY) -> list[datetime | None]:
    values = pl.Series("start", texts, dtype=pl.String)
    return parse_instants(values, pl.Series([zone] * len(texts))).to_list()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T10:00:00-05:00", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        ("2026-03-02T15:00:00Z", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        ("2026-03-02T15:00:00+0000", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        ("2026-03-02T20:30:00.250+05:30", datetime(2026, 3, 2, 15, 0, 0, 250000, tzinfo=UTC)),
        ("2026-03-02 15:00Z", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        # naive: the owner's wall clock (New York, EST = UTC-5 in early March)
        ("2026-03-02T10:00:00", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        ("2026-03-02 10:00", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        ("2026-03-02T10:00", datetime(2026, 3, 2, 15, 0, tzinfo=UTC)),
        # a date alone is local midnight
        ("2026-03-02", datetime(2026, 3, 2, 5, 0, tzinfo=UTC)),
        # in summer time the same wall clock is an hour earlier in UTC
        ("2026-07-02T10:00:00", datetime(2026, 7, 2, 14, 0, tzinfo=UTC)),
    ],
)
def test_iso_8601_forms(text: str, expected: datetime) -> None:
    assert instants([text]) == [expected]


def test_a_repeated_hour_means_its_first_occurrence() -> None:
    # 2026-11-01 01:30 happens twice in New York: first at EDT (UTC-4)
    assert instants(["2026-11-01T01:30:00"]) == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]


def test_a_skipped_hour_moves_forward_by_the_gap() -> None:
    # 2026-03-08 02:30 does not exist in New York; it becomes 03:30 EDT = 07:30 UTC
    assert instants(["2026-03-08T02:30:00"]) == [datetime(2026, 3, 8, 7, 30, tzinfo=UTC)]
    assert instants(["2026-03-08T03:30:00"]) == [datetime(2026, 3, 8, 7, 30, tzinfo=UTC)]


def test_a_skipped_half_hour_moves_forward_by_half_an_hour() -> None:
    # Lord Howe Island moves its clocks by 30 minutes: 02:15 local on 2026-10-04 is skipped
    moved = instants(["2026-10-04T02:15:00"], "Australia/Lord_Howe")
    assert moved == [datetime(2026, 10, 3, 15, 45, tzinfo=UTC)]  # 02:45 at +11:00


def test_each_row_uses_its_own_zone() -> None:
    values = pl.Series(["2026-03-02T10:00:00", "2026-03-02T10:00:00", "2026-03-02T10:00:00Z"])
    zones = pl.Series([NY, "Asia/Tokyo", "Asia/Tokyo"])
    assert parse_instants(values, zones).to_list() == [
        datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    ]


def test_unreadable_and_missing_values_are_null() -> None:
    assert instants([None, "next tuesday", "2026-13-01", "2026-03-02T10:00:00 EST"]) == [None] * 4


@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1)),
    st.sampled_from(
        [
            NY,
            "Europe/Berlin",
            "Australia/Sydney",
            "Asia/Kolkata",
            "UTC",
            "America/Sao_Paulo",
            "Australia/Lord_Howe",
        ]
    ),
)
def test_naive_times_match_zoneinfo_first_occurrence(moment: datetime, zone: str) -> None:
    moment = moment.replace(microsecond=0)
    assert instants([moment.isoformat()], zone) == [localize(moment, zone)]


def test_naive_times_in_files_are_in_the_owners_zone(write_files) -> None:
    folder = write_files(
        {
            "reps.csv": "rep_id,timezone\nr1,America/New_York\nr2,Asia/Tokyo\n",
            "deals.csv": "deal_id,owner_id,outcome,created_at\nd1,r1,open,2026-03-01\nd2,r2,open,2026-03-01\n",
            "meetings.csv": "meeting_id,deal_id,start,status\nm1,d1,2026-03-02 10:00,held\n"
            "m2,d2,2026-03-02 10:00,held\nm3,d2,2026-03-02T10:00:00Z,held\n",
        }
    )
    data = read(folder)
    assert data.meetings["start"].to_list() == [
        datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
    ]
    assert data.deals["created_at"].to_list() == [
        datetime(2026, 3, 1, 5, 0, tzinfo=UTC),
        datetime(2026, 2, 28, 15, 0, tzinfo=UTC),
    ]
    # end defaults to start + 30 minutes
    assert (data.meetings["end"] - data.meetings["start"]).dt.total_minutes().to_list() == [30] * 3


def test_reps_without_a_zone_use_the_configured_default(write_files) -> None:
    folder = write_files(
        {
            "reps.csv": "rep_id,timezone,country\nr1,,\n",
            "deals.csv": "deal_id,owner_id,outcome\nd1,r1,open\n",
            "meetings.csv": "meeting_id,deal_id,start,status\nm1,d1,2026-03-02 10:00,held\n",
        }
    )
    data = read(folder, default_timezone="Europe/Berlin", default_country="DE")
    assert data.reps.select("timezone", "country").row(0) == ("Europe/Berlin", "DE")
    assert data.meetings["start"].to_list() == [datetime(2026, 3, 2, 9, 0, tzinfo=UTC)]
