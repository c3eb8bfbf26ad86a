"""Every way a canonical file can be wrong, with the exact message the user gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from momentum.errors import ValidationFailed
from tests.importers.helpers import DEALS, REPS, problems_of, read


def test_a_clean_folder_reads(write_files) -> None:
    folder = write_files(
        {
            "reps.csv": REPS,
            "deals.csv": DEALS,
            "meetings.csv": "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,held\n",
        }
    )
    data = read(folder)
    assert data.reps["rep_id"].to_list() == ["r1", "r2"]
    assert data.deals["deal_id"].to_list() == ["d1", "d2"]
    assert data.meetings["meeting_id"].to_list() == ["m1"]


@pytest.mark.parametrize(
    ("meetings", "expected"),
    [
        (
            "meeting_id,deal_id,start,status\n,d1,2026-03-02T10:00:00Z,held\n",
            "meetings.csv:2:meeting_id: is required",
        ),
        (
            "meeting_id,deal_id,start,status\nm1,,2026-03-02T10:00:00Z,held\n",
            "meetings.csv:2:deal_id: is required",
        ),
        ("meeting_id,deal_id,start,status\nm1,d1,,held\n", "meetings.csv:2:start: is required"),
        (
            "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,\n",
            "meetings.csv:2:status: is required",
        ),
        (
            "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,done\n",
            "meetings.csv:2:status: must be one of scheduled, held, no_show, canceled, "
            "rescheduled, not 'done'",
        ),
        (
            "meeting_id,deal_id,start,status\nm1,d9,2026-03-02T10:00:00Z,held\n",
            "meetings.csv:2:deal_id: 'd9' is not a deal_id in {deals}",
        ),
        (
            "meeting_id,deal_id,start,status\nm1,d1,03/02/2026 10:00,held\n",
            "meetings.csv:2:start: '03/02/2026 10:00' is not a date-time: expected an ISO 8601 "
            "date or date-time such as 2026-03-02T10:00:00-05:00",
        ),
        (
            "meeting_id,deal_id,start,end,status\nm1,d1,2026-03-02T10:00:00Z,2026-03-02T09:00:00Z,held\n",
            "meetings.csv:2:end: '2026-03-02T09:00:00Z' is before the start '2026-03-02T10:00:00Z'",
        ),
        (
            "meeting_id,deal_id,start,booked_at,status\nm1,d1,2026-03-02T10:00:00Z,2026-02-30,held\n",
            "meetings.csv:2:booked_at: '2026-02-30' is not a date-time: expected an ISO 8601 "
            "date or date-time such as 2026-03-02T10:00:00-05:00",
        ),
        (
            "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,held\nm1,d2,2026-03-03T10:00:00Z,held\n",
            "meetings.csv:3:meeting_id: 'm1' is already used on row 2",
        ),
        (
            "deal_id,start,status\nd1,2026-03-02T10:00:00Z,held\n",
            "meetings.csv:1:meeting_id: required column is missing",
        ),
    ],
)
def test_meeting_problems(write_files, meetings: str, expected: str) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": meetings})
    expected = expected.format(deals=folder / "deals.csv")
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [expected]


@pytest.mark.parametrize(
    ("deals", "expected"),
    [
        ("deal_id,owner_id,outcome\n,r1,open\n", "deals.csv:2:deal_id: is required"),
        ("deal_id,owner_id,outcome\nd1,,open\n", "deals.csv:2:owner_id: is required"),
        ("deal_id,owner_id,outcome\nd1,r1,\n", "deals.csv:2:outcome: is required"),
        (
            "deal_id,owner_id,outcome\nd1,r1,pending\n",
            "deals.csv:2:outcome: must be one of open, won, lost, not 'pending'",
        ),
        (
            "deal_id,owner_id,outcome\nd1,r1,won\n",
            "deals.csv:2:closed_at: is required when outcome is won",
        ),
        (
            "deal_id,owner_id,outcome,closed_at\nd1,r1,lost,yesterday\n",
            "deals.csv:2:closed_at: 'yesterday' is not a date-time: expected an ISO 8601 date or "
            "date-time such as 2026-03-02T10:00:00-05:00",
        ),
        (
            "deal_id,owner_id,outcome,amount\nd1,r1,open,12k\n",
            "deals.csv:2:amount: '12k' is not a number (expected e.g. 12000.50)",
        ),
        (
            "deal_id,owner_id,outcome,currency\nd1,r1,open,dollars\n",
            "deals.csv:2:currency: 'DOLLARS' is not a three-letter currency code",
        ),
        (
            "deal_id,owner_id,outcome\nd1,r7,open\n",
            "deals.csv:2:owner_id: 'r7' is not a rep_id in {reps}",
        ),
        (
            "deal_id,owner_id,outcome\nd1,r1,open\nd1,r2,open\n",
            "deals.csv:3:deal_id: 'd1' is already used on row 2",
        ),
        ("deal_id,outcome\nd1,open\n", "deals.csv:1:owner_id: required column is missing"),
    ],
)
def test_deal_problems(write_files, deals: str, expected: str) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": deals})
    expected = expected.format(reps=folder / "reps.csv")
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [expected]


@pytest.mark.parametrize(
    ("reps", "expected"),
    [
        ("rep_id,timezone\n,UTC\n", "reps.csv:2:rep_id: is required"),
        (
            "rep_id,timezone\nr1,Mars/Olympus\n",
            "reps.csv:2:timezone: unknown time zone 'Mars/Olympus' (expected an IANA name such as "
            "Europe/Berlin)",
        ),
        (
            "rep_id,country\nr1,XX\n",
            "reps.csv:2:country: no public-holiday calendar for country 'XX' (expected an ISO "
            "3166-1 alpha-2 code such as DE)",
        ),
        (
            "rep_id,email\nr1,ann-at-example\n",
            "reps.csv:2:email: 'ann-at-example' is not an e-mail address",
        ),
        ("rep_id,manager_id\nr1,r9\n", "reps.csv:2:manager_id: 'r9' is not a rep_id"),
        (
            "rep_id,manager_id\nr1,r1\n",
            "reps.csv:2:manager_id: 'r1' makes a loop of managers (r1 → r1)",
        ),
        ("rep_id\nr1\nr1\n", "reps.csv:3:rep_id: 'r1' is already used on row 2"),
        ("name\nAnn\n", "reps.csv:1:rep_id: required column is missing"),
    ],
)
def test_rep_problems(write_files, reps: str, expected: str) -> None:
    folder = write_files({"reps.csv": reps})
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [expected]


def test_reps_above_each_other_are_reported_on_each_of_their_rows(write_files) -> None:
    """Scope follows managers transitively: a loop would put each rep over the other."""
    folder = write_files({"reps.csv": "rep_id,manager_id\nr1,r2\nr2,r3\nr3,r2\nr4,r1\n"})
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [
        "reps.csv:3:manager_id: 'r3' makes a loop of managers (r2 → r3 → r2)",
        "reps.csv:4:manager_id: 'r2' makes a loop of managers (r3 → r2 → r3)",
    ]


def test_an_unknown_time_zone_is_one_problem_even_with_deals_and_meetings(write_files) -> None:
    """The deals' and meetings' times are still checked, as if the zone were left empty (the
    zone once reached Polars and ended the run with its own traceback)."""
    folder = write_files(
        {
            "reps.csv": "rep_id,timezone\nr1,Mars/Olympus\n",
            "deals.csv": "deal_id,owner_id,created_at,outcome\nd1,r1,2026-01-05T10:00:00,open\n",
            "meetings.csv": "meeting_id,deal_id,start,status\nm1,d1,2026-01-06T10:00:00,held\n",
        }
    )
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [
        "reps.csv:2:timezone: unknown time zone 'Mars/Olympus' (expected an IANA name such as "
        "Europe/Berlin)"
    ]


def test_every_problem_is_reported_in_file_order(write_files) -> None:
    folder = write_files(
        {
            "reps.csv": REPS,
            "deals.csv": "deal_id,owner_id,outcome\nd1,r1,open\nd2,r1,maybe\nd3,,open\n",
            "meetings.csv": "meeting_id,deal_id,start,status\nm1,d1,soon,held\nm2,d1,2026-03-02,nope\n",
        }
    )
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [
        "deals.csv:3:outcome: must be one of open, won, lost, not 'maybe'",
        "deals.csv:4:owner_id: is required",
        "meetings.csv:2:start: 'soon' is not a date-time: expected an ISO 8601 date or "
        "date-time such as 2026-03-02T10:00:00-05:00",
        "meetings.csv:3:status: must be one of scheduled, held, no_show, canceled, "
        "rescheduled, not 'nope'",
    ]


def test_only_the_first_fifty_are_kept_but_all_are_counted(write_files) -> None:
    rows = "".join(f"m{i},d1,2026-03-02T10:00:00Z,bogus\n" for i in range(120))
    folder = write_files(
        {
            "reps.csv": REPS,
            "deals.csv": DEALS,
            "meetings.csv": "meeting_id,deal_id,start,status\n" + rows,
        }
    )
    with pytest.raises(ValidationFailed) as failure:
        read(folder)
    assert failure.value.total == 120
    assert len(failure.value.problems) == 50
    assert str(failure.value.problems[0]).endswith(
        "meetings.csv:2:status: must be one of "
        "scheduled, held, no_show, canceled, "
        "rescheduled, not 'bogus'"
    )
    assert failure.value.problems[-1].row == 51


def test_problems_are_found_across_batches(write_files) -> None:
    rows = (
        "".join(f"m{i},d1,2026-03-02T10:00:00Z,held\n" for i in range(30))
        + "m3,d1,2026-03-02,held\n"
    )
    folder = write_files(
        {
            "reps.csv": REPS,
            "deals.csv": DEALS,
            "meetings.csv": "meeting_id,deal_id,start,status\n" + rows,
        }
    )
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder, batch_rows=7)] == [
        "meetings.csv:32:meeting_id: 'm3' is already used on row 5"
    ]


def test_rows_are_numbered_as_a_spreadsheet_shows_them(write_files) -> None:
    """A quoted field with line breaks is still one row; blank lines are rows too."""
    meetings = (
        "meeting_id,deal_id,start,status,agenda\n"
        'm1,d1,2026-03-02T10:00:00Z,held,"line one\nline two\nline three"\n'
        "\n"
        "m2,d1,2026-03-02T10:00:00Z,wat,\n"
    )
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": meetings})
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [
        "meetings.csv:4:status: must be one of scheduled, held, no_show, canceled, "
        "rescheduled, not 'wat'"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,held,extra\n",
            "meetings.csv:2: has 5 fields but the header has 4",
        ),
        (
            'meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,"held\n',
            "meetings.csv:2: a quoted field is opened but never closed",
        ),
        (
            b"meeting_id,deal_id,start,status,agenda\nm1,d1,2026-03-02T10:00:00Z,held,Caf\xe9\n",
            "meetings.csv:2:agenda: 'Caf\\xe9' is not valid UTF-8 text (save the file as UTF-8)",
        ),
        ("", "meetings.csv: is empty; expected a header row"),
    ],
)
def test_files_that_are_not_valid_csv(write_files, content: str | bytes, expected: str) -> None:
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": content})
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [expected]


def test_excel_style_files_read(write_files) -> None:
    """BOM, CRLF, quoted newlines, headers in another case, extra columns, trailing blank rows."""
    meetings = (
        "\ufeffMeeting_ID , Deal_ID,Start,Status,Notes\r\n"
        'm1,d1,2026-03-02T10:00:00Z,Held,"multi\r\nline"\r\n'
        "m2,d1, 2026-03-03T10:00:00Z ,NO-SHOW,\r\n"
        ",,,,\r\n\r\n"
    )
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": meetings})
    data = read(folder)
    assert data.meetings.select("meeting_id", "status").rows() == [
        ("m1", "held"),
        ("m2", "no_show"),
    ]


def test_optional_columns_may_be_missing(write_files) -> None:
    folder = write_files(
        {
            "deals.csv": "deal_id,owner_id,outcome\nd1,r1,open\n",
            "meetings.csv": "meeting_id,deal_id,start,status\nm1,d1,2026-03-02,held\n",
        }
    )
    data = read(folder)
    assert data.reps.rows() == [("r1", None, None, None, None, "UTC", None)]
    assert data.meetings["agenda"].to_list() == [None]


def test_a_file_is_told_by_its_header(write_files) -> None:
    folder = write_files(
        {
            "my-team.csv": REPS,
            "q1-deals.csv": DEALS,
            "calls.csv": "meeting_id,deal_id,start,status\nm1,d1,2026-03-02,held\n",
        }
    )
    data = read([folder / "my-team.csv", folder / "q1-deals.csv", folder / "calls.csv"])
    assert data.meetings.height == 1 and data.reps.height == 2


def test_unknown_files_and_folders(write_files, tmp_path: Path) -> None:
    folder = write_files({"notes.csv": "a,b\n1,2\n"})
    assert problems_of([tmp_path / "nope", folder]) == [f"{tmp_path}/nope: does not exist"]
    assert problems_of([folder / "notes.csv"]) == [
        f"{folder}/notes.csv:1: is not a reps, deals, meetings or deal_stages file (rep_id, deal_id, "
        "meeting_id, entered_at) (momentum)"
    ]
    assert problems_of([folder]) == [
        f"{folder}: holds no reps, deals, meetings or deal_stages file (rep_id, deal_id, "
        "meeting_id, entered_at) (momentum)"
    ]


def test_a_deals_file_with_problems_does_not_make_every_meeting_s_deal_unknown(
    write_files,
) -> None:  # type: ignore[no-untyped-def]
    """A missing owner_id column gave one line for it and one per meeting: "'d1' is not a
    deal_id in deals.csv", though d1 is there."""
    meetings = "meeting_id,deal_id,start,status\nm1,d1,2026-03-02,held\nm2,d2,2026-03-03,held\n"
    folder = write_files(
        {
            "reps.csv": REPS,
            "deals.csv": "deal_id,outcome,closed_at\nd1,won,2026-03-20\nd2,open,\n",
            "meetings.csv": meetings,
        }
    )
    assert problems_of(folder) == [f"{folder}/deals.csv:1:owner_id: required column is missing"]
    # with the deals file whole, an unknown deal is still named
    folder = write_files(
        {"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": meetings + "m3,d9,2026-03-04,held\n"}
    )
    assert problems_of(folder) == [
        f"{folder}/meetings.csv:4:deal_id: 'd9' is not a deal_id in {folder}/deals.csv"
    ]
    # ... and so it is beside a deal's bad value: that deal is read, and known
    deals = DEALS.replace("d2,r2,open,", "d2,r2,maybe,")
    folder = write_files(
        {"reps.csv": REPS, "deals.csv": deals, "meetings.csv": meetings + "m3,d9,2026-03-04,held\n"}
    )
    assert [p.removeprefix(f"{folder}/") for p in problems_of(folder)] == [
        "deals.csv:3:outcome: must be one of open, won, lost, not 'maybe'",
        f"meetings.csv:4:deal_id: 'd9' is not a deal_id in {folder}/deals.csv",
    ]


def test_an_amount_with_three_decimals_is_read_as_written_and_noted(write_files) -> None:
    # the canonical format writes plain numbers: 8.500 is 8.5, which a file written where a
    # point groups thousands did not mean; the user is told
    deals = "deal_id,owner_id,outcome,amount\nd1,r1,open,12000\nd2,r1,open,8.500\n"
    folder = write_files({"reps.csv": REPS, "deals.csv": deals})
    data = read(folder)
    assert data.deals["amount"].to_list() == [12000.0, 8.5]
    assert data.notes == [
        f"amounts in {folder}/deals.csv such as '8.500' (row 3, amount) can be read either way; "
        "the decimal mark is taken to be a point (as the canonical format writes it), so it is "
        "read as 8.5"
    ]
