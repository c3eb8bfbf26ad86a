"""A TOML mapping file for exports no preset knows; here the real Maven CRM sample."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from momentum.audit.result import AuditOptions
from momentum.audit.service import audit
from momentum.errors import InputError
from momentum.importers.mapping import load
from tests.importers.presets import problems_in, read_format

MAVEN = """
# The Maven Analytics "CRM Sales Opportunities" sample
timezone = "America/Chicago"

[reps]
file = "sales_teams.csv"
[reps.columns]
rep_id = "sales_agent"
team = "regional_office"

[deals]
file = "sales_pipeline.csv"
[deals.columns]
deal_id = "opportunity_id"
owner_id = "sales_agent"
account = "account"
stage = "deal_stage"
outcome = "deal_stage"
created_at = "engage_date"
closed_at = "close_date"
amount = "close_value"
[deals.values.outcome]
Won = "won"
Lost = "lost"
Engaging = "open"
Prospecting = "open"
[deals.fixed]
currency = "USD"
"""


def test_the_maven_sample_through_a_mapping_file(shared, tmp_path: Path) -> None:
    mapping = tmp_path / "maven.toml"
    mapping.write_text(MAVEN, encoding="utf-8")
    folder = shared / "data/real/crm/maven-crm-sales-opportunities"
    data = read_format([folder], mapping=mapping)
    assert (
        data.notes[0]
        == "mapping maven.toml: reps from sales_teams.csv; deals from sales_pipeline.csv"
    )
    assert (data.reps.height, data.deals.height) == (35, 8800)
    # the README's counts: Won 4,238, Lost 2,473, Engaging 1,589 + Prospecting 500 open
    assert dict(data.deals.group_by("outcome").len().iter_rows()) == {
        "won": 4238,
        "lost": 2473,
        "open": 2089,
    }
    deals = {row["deal_id"]: row for row in data.deals.iter_rows(named=True)}
    # By hand, row 2: 1C1I7A6R, Moses Frase, Cancity, Won, engaged 2016-10-20, closed
    # 2017-03-01, 1054: dates are midnight in Chicago (CDT -5 in October, CST -6 in March).
    first = deals["1C1I7A6R"]
    assert (first["owner_id"], first["account"], first["amount"], first["currency"]) == (
        "Moses Frase",
        "Cancity",
        1054.0,
        "USD",
    )
    assert first["created_at"] == datetime(2016, 10, 20, 5, 0, tzinfo=UTC)
    assert first["closed_at"] == datetime(2017, 3, 1, 6, 0, tzinfo=UTC)
    # Row 13: KWVA7VR1, Lost on 2017-03-18 with a close value of 0
    assert (deals["KWVA7VR1"]["outcome"], deals["KWVA7VR1"]["amount"]) == ("lost", 0.0)
    # Row 8302: 6CWZFOHJ, Prospecting, no engage or close date: left empty, never imputed
    prospect = deals["6CWZFOHJ"]
    assert (prospect["outcome"], prospect["created_at"], prospect["closed_at"]) == (
        "open",
        None,
        None,
    )
    assert data.reps.filter(pl.col("rep_id") == "Anna Snelling")["team"].to_list() == ["Central"]


def test_a_value_the_map_does_not_know_is_reported(write_files, tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[deals.columns]\ndeal_id = "id"\nowner_id = "rep"\noutcome = "state"\n'
        '[deals.values.outcome]\nActive = "open"\n',
        encoding="utf-8",
    )
    folder = write_files({"export.csv": "id,rep,state\n1,ann,Active\n2,ann,Pending\n"})
    assert problems_in(folder, mapping=mapping) == [
        "export.csv:3:state: must be one of Active (as [deals.values.outcome] maps them) or "
        "open, won, lost, not 'Pending'"
    ]


def test_columns_can_be_joined_and_values_defaulted(write_files, tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[deals.columns]\ndeal_id = ["first", "last"]\noutcome = "state"\n'
        '[deals.values.outcome]\n"Signed" = "won"\n"*" = "open"\n'
        '[deals.fixed]\nowner_id = "team"\n',
        encoding="utf-8",
    )
    folder = write_files({"export.csv": "first,last,state\nAda,Byron,Talking\nAlan,T,Pending\n"})
    data = read_format(folder, mapping=mapping)
    assert data.deals.select("deal_id", "owner_id", "outcome").rows() == [
        ("Ada Byron", "team", "open"),
        ("Alan T", "team", "open"),
    ]


def test_a_date_and_a_time_in_two_columns_are_read_as_one_value(
    write_files, tmp_path: Path
) -> None:
    """The documented ``start = ["date", "time"]``: a day-first or month-first date was made
    ISO before the time was joined to it, and no row could be read."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'timezone = "Europe/Berlin"\n[deals.columns]\ndeal_id = "id"\noutcome = "state"\n'
        '[deals.fixed]\nowner_id = "r1"\n[meetings.columns]\nmeeting_id = "mid"\n'
        'deal_id = "deal"\nstart = ["date", "time"]\nstatus = "result"\n',
        encoding="utf-8",
    )
    for order, day in (
        ("dmy", "04.03.2026"),
        ("mdy", "03/04/2026"),
        ("mdy", "2026-03-04"),
        ("dmy", "04 Mar 2026"),
        ("dmy", "4-Mar-2026"),
        ("dmy", "46085"),  # an Excel date number
    ):
        folder = write_files(
            {
                "deals.csv": "id,state\nd1,open\n",
                "meetings.csv": f"mid,deal,date,time,result\nm1,d1,{day},14:30,held\n",
            }
        )
        data = read_format(folder, mapping=mapping, date_order=order)
        assert data.meetings["start"].to_list() == [datetime(2026, 3, 4, 13, 30, tzinfo=UTC)]
    for order, day, time in (("mdy", "03/04/2026", "2:30 PM"), ("dmy", "04.03.2026", "14.30")):
        folder = write_files(
            {
                "deals.csv": "id,state\nd1,open\n",
                "meetings.csv": f"mid,deal,date,time,result\nm1,d1,{day},{time},held\n",
            }
        )
        data = read_format(folder, mapping=mapping, date_order=order)
        assert data.meetings["start"].to_list() == [datetime(2026, 3, 4, 13, 30, tzinfo=UTC)]
    folder = write_files(
        {
            "deals.csv": "id,state\nd1,open\n",
            "meetings.csv": "mid,deal,date,time,result\nm1,d1,04.03.2026,25:00,held\n",
        }
    )
    assert problems_in(folder, mapping=mapping, date_order="dmy")[0].endswith(
        "meetings.csv:2:date: '04.03.2026 25:00' is not a date-time: expected an ISO 8601 "
        "date-time such as 2026-03-02T10:00:00-05:00, a day-first date such as 31/12/2026 "
        "14:30, or an Excel date number"
    )


def test_owners_of_an_export_whose_zone_is_given_are_in_that_zone(
    write_files, tmp_path: Path
) -> None:
    """Midnight in Berlin is 23:00 UTC the day before: an owner left in UTC moved every
    date-only meeting back a day, and Friday to Monday read as two business days."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        'timezone = "Europe/Berlin"\n[deals.columns]\ndeal_id = "id"\noutcome = "state"\n'
        'owner_id = "owner"\n[meetings.columns]\nmeeting_id = "mid"\ndeal_id = "deal"\n'
        'start = "date"\nstatus = "result"\n',
        encoding="utf-8",
    )
    folder = write_files(
        {
            "deals.csv": "id,state,owner\nd1,open,Ann\n",
            "meetings.csv": "mid,deal,date,result\nm1,d1,06.03.2026,held\nm2,d1,09.03.2026,held\n",
        }
    )
    data = read_format(folder, mapping=mapping, date_order="dmy")
    assert data.reps.select("rep_id", "timezone").rows() == [("Ann", "Europe/Berlin")]
    assert any("the time zone of the export's times, Europe/Berlin" in n for n in data.notes)
    gap = audit(data, AuditOptions(as_of=datetime(2026, 6, 1, tzinfo=UTC))).facts
    assert gap["gap_business_days"].to_list() == [1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[deals\n", "is not valid TOML: "),
        (
            "colour = 1\n",
            "colour: unknown key; expected calendar, date_order, deals, decimal, "
            "meetings, reps, timezone",
        ),
        ('date_order = "ymd"\n', "date_order: must be dmy or mdy, not 'ymd'"),
        (
            'timezone = "Mars/Base"\n',
            "timezone: unknown time zone 'Mars/Base' (expected an IANA name)",
        ),
        (
            '[deals.columns]\ndeal_id = "id"\nowner = "rep"\n',
            "[deals.columns] owner: is not a deals field; expected one of deal_id, name, account, "
            "owner_id, created_at, stage, amount, currency, outcome, closed_at",
        ),
        (
            '[deals.columns]\ndeal_id = "id"\noutcome = "state"\n',
            "[deals]: maps no column to owner_id, which is required; add it under [deals.columns] "
            "or give one value for every row under [deals.fixed]",
        ),
        (
            "[deals.columns]\ndeal_id = 3\n",
            "[deals.columns] deal_id: must name a column, or a list of columns",
        ),
        (  # said once, of the file, not on each of the thousands of rows it maps
            '[deals.columns]\ndeal_id = "id"\nowner_id = "rep"\noutcome = "state"\n'
            '[deals.values.outcome]\nWon = "victory"\nLost = "Lost"\n',
            "[deals.values.outcome] Won: 'victory' is not one of open, won, lost",
        ),
        (
            '[meetings.columns]\nmeeting_id = "id"\ndeal_id = "d"\nstart = "s"\nstatus = "st"\n'
            '[meetings.values.status]\nDone = "No-Show"\nMaybe = "perhaps"\n',
            "[meetings.values.status] Maybe: 'perhaps' is not one of scheduled, held",
        ),
    ],
)
def test_mistakes_in_a_mapping_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as failure:
        load(path)
    assert failure.value.message.startswith(f"{path}: {message}")


def test_a_mapping_whose_file_is_not_given(write_files, tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[deals]\nfile = "deals-*.csv"\n[deals.columns]\ndeal_id = "id"\nowner_id = "rep"\n'
        'outcome = "state"\n',
        encoding="utf-8",
    )
    folder = write_files({"export.csv": "id,rep,state\n1,ann,won\n"})
    with pytest.raises(InputError) as failure:
        read_format(folder, mapping=mapping)
    assert failure.value.message == (
        f"{mapping}: [deals]: none of the files given is one named 'deals-*.csv'"
    )


def test_the_documented_example_is_a_valid_mapping_file(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs/importers.md"
    text = docs.read_text(encoding="utf-8")
    example = text.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "example.toml"
    path.write_text(example, encoding="utf-8")
    mapping = load(path)
    assert sorted(mapping.tables) == ["deals", "meetings", "reps"]
    assert mapping.domains == {"cancity.example": "Cancity"}
    assert mapping.tables["meetings"].columns["start"] == ["date", "time"]


DEALS_WITH_AMOUNTS = '[deals.columns]\ndeal_id = "id"\nowner_id = "rep"\noutcome = "state"\n'
DEALS_WITH_AMOUNTS += 'amount = "value"\n'


def test_a_decimal_mark_the_mapping_gives_is_said_where_an_amount_could_be_read_otherwise(
    write_files, tmp_path: Path
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('decimal = ","\n' + DEALS_WITH_AMOUNTS, encoding="utf-8")
    folder = write_files({"export.csv": 'id,rep,state,value\n1,ann,open,"8,500"\n'})
    data = read_format(folder, mapping=mapping)
    assert data.deals["amount"].to_list() == [8.5]
    assert (
        f"amounts in {folder}/export.csv such as '8,500' (row 2, value) can be read either way; "
        "the decimal mark is taken to be a comma (the mapping file's decimal setting), so it is "
        "read as 8.5"
    ) in data.notes  # after it: the owners made reps with the defaults


def test_an_amount_that_does_not_fit_the_mapping_s_decimal_mark_is_a_problem(
    write_files, tmp_path: Path
) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('decimal = ","\n' + DEALS_WITH_AMOUNTS, encoding="utf-8")
    folder = write_files({"export.csv": 'id,rep,state,value\n1,ann,open,"1,234,567"\n'})
    assert problems_in(folder, mapping=mapping) == [
        "export.csv:2:value: '1,234,567' is not a number (expected e.g. 12000,50 or 12.000,50; "
        "the decimal mark is taken to be a comma: the mapping file's decimal setting)"
    ]
