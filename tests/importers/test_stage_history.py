"""Stage history: HubSpot's ``Date entered "…"`` columns, Salesforce's OpportunityHistory and
the canonical ``deal_stages.csv``, read into stage entries (deal, stage, entered at)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from momentum.audit.result import AuditOptions
from momentum.audit.service import audit, read_store
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import DealStageEntry
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from tests.importers.presets import NOW, problems_in, read_format


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# ----------------------------------------------------------------------------- HubSpot
HUBSPOT_DEALS = (
    "Record ID,Deal Name,Deal Stage,Close Date,Create Date,Deal owner,"
    'Date entered "Appointment Scheduled (Sales Pipeline)",'
    'Date entered "Qualified To Buy (Sales Pipeline)",'
    'Date exited "Qualified To Buy (Sales Pipeline)",'
    'Date entered "Closed Lost (Sales Pipeline)"\n'
    "1,Acme,Closed Lost,2026-03-15 10:00,2026-03-01 09:00,Ann,"
    "2026-03-01 09:00,2026-03-04 09:00,2026-03-15 10:00,2026-03-15 10:00\n"
    "2,Birch,Qualified To Buy,,2026-03-02 09:00,Ann,2026-03-02 09:00,2026-03-06 17:30,,\n"
    "3,Cobalt,Appointment Scheduled,,2026-03-03 09:00,Ann,,,,\n"
)


def test_hubspot_date_entered_columns_are_the_stage_history(write_files) -> None:
    folder = write_files({"deals.csv": HUBSPOT_DEALS})
    data = read_format(folder, timezone="Europe/Berlin")
    assert data.stages is not None
    # one pipeline: its name is left out, as the Deal Stage column leaves it out; a deal
    # that never entered a stage has no entry for it; "Date exited" columns are not entries
    assert data.stages.rows() == [
        ("1", "Appointment Scheduled", utc(2026, 3, 1, 8)),
        ("2", "Appointment Scheduled", utc(2026, 3, 2, 8)),
        ("1", "Qualified To Buy", utc(2026, 3, 4, 8)),
        ("2", "Qualified To Buy", utc(2026, 3, 6, 16, 30)),
        ("1", "Closed Lost", utc(2026, 3, 15, 9)),
    ]


def test_hubspot_headers_quoted_as_csv_quotes_them_are_read_as_written(write_files) -> None:
    """A spreadsheet that saves the export again quotes every header with a quote in it,
    doubling the quotes inside: the stages are the same."""
    header, rows = HUBSPOT_DEALS.split("\n", 1)
    quoted = ",".join(
        f'"{name.replace(chr(34), chr(34) * 2)}"' if '"' in name else name
        for name in header.split(",")
    )
    assert '"Date entered ""Closed Lost (Sales Pipeline)"""' in quoted
    data = read_format(write_files({"deals.csv": f"{quoted}\n{rows}"}), timezone="Europe/Berlin")
    assert data.stages is not None
    assert (
        data.stages.rows()
        == read_format(
            write_files({"deals.csv": HUBSPOT_DEALS}), timezone="Europe/Berlin"
        ).stages.rows()
    )  # type: ignore[union-attr]


def test_hubspot_stages_of_several_pipelines_keep_the_pipeline(write_files) -> None:
    deals = (
        "Record ID,Deal Name,Deal Stage,Deal owner,"
        'Date entered "Qualified (Sales)",Date entered "Qualified (Partners)"\n'
        "1,Acme,Qualified,Ann,2026-03-01,\n"
        "2,Birch,Qualified,Ann,,2026-03-02\n"
    )
    data = read_format(write_files({"deals.csv": deals}))
    assert data.stages is not None
    assert data.stages.select("deal_id", "stage").rows() == [
        ("1", "Qualified (Sales)"),
        ("2", "Qualified (Partners)"),
    ]


def test_a_hubspot_export_without_date_entered_columns_has_no_stage_history(
    write_files,
) -> None:
    deals = "Record ID,Deal Name,Deal Stage,Deal owner\n1,Acme,Qualified,Ann\n"
    assert read_format(write_files({"deals.csv": deals})).stages is None


def test_an_unreadable_date_entered_names_its_file_row_and_column(write_files) -> None:
    deals = HUBSPOT_DEALS.replace("2026-03-06 17:30", "next Tuesday")
    folder = write_files({"deals.csv": deals})
    [problem] = problems_in(folder)
    assert problem.startswith(
        "deals.csv:3:Date entered \"Qualified To Buy (Sales Pipeline)\": 'next Tuesday' is "
        "not a date-time"
    )


# ----------------------------------------------------------------------------- Salesforce
HISTORY = (
    '"Id","OpportunityId","CreatedById","CreatedDate","StageName","Amount","IsDeleted"\r\n'
    '"0081","0065e000004DDDDDD1","005","2023-01-09 16:00:00","Prospecting","125000.00","0"\r\n'
    '"0082","0065e000004DDDDDD1","005","2023-01-20 10:00:00","Proposal/Price Quote","1","0"\r\n'
    '"0083","0065e000004DDDDDD1","005","2023-02-20 18:00:00","Closed Won","125000.00","0"\r\n'
    '"0084","0065e000004DDDDDD3","005","2023-01-30 19:30:00","Qualification","64000.00","0"\r\n'
    '"0085","0065e000004DDDDDD9","005","2023-01-30 19:30:00","Qualification","64000.00","1"\r\n'
)


def weekly_export_with_history(shared: Path, tmp_path: Path, history: str) -> Path:
    folder = tmp_path / "export"
    shutil.copytree(shared / "examples" / "salesforce-weekly-export", folder)
    (folder / "README.md").unlink()
    (folder / "OpportunityHistory.csv").write_text(history, encoding="cp1252", newline="")
    return folder


def test_opportunity_history_gives_the_stage_history(shared: Path, tmp_path: Path) -> None:
    folder = weekly_export_with_history(shared, tmp_path, HISTORY)
    data = read_format(folder)
    assert data.stages is not None
    # CreatedDate is UTC, as the weekly export writes every date-time; the deleted row
    # (of an opportunity the export no longer has) is left out, with a note
    assert data.stages.rows() == [
        ("0065e000004DDDDDD1", "Prospecting", utc(2023, 1, 9, 16)),
        ("0065e000004DDDDDD1", "Proposal/Price Quote", utc(2023, 1, 20, 10)),
        ("0065e000004DDDDDD1", "Closed Won", utc(2023, 2, 20, 18)),
        ("0065e000004DDDDDD3", "Qualification", utc(2023, 1, 30, 19, 30)),
    ]
    assert (
        f"{folder}/OpportunityHistory.csv: 1 of the deleted rows (IsDeleted) was left out (row 6)"
        in (data.notes)
    )


def test_opportunity_history_of_an_unknown_opportunity_is_a_problem(
    shared: Path, tmp_path: Path
) -> None:
    history = HISTORY.replace('"0084","0065e000004DDDDDD3"', '"0084","0065e000004XXXXXX7"')
    history = history.replace('"2023-01-20 10:00:00"', '"20.01.2023 um 10"')
    folder = weekly_export_with_history(shared, tmp_path, history)
    problems = problems_in(folder)
    assert problems[0].startswith(
        "OpportunityHistory.csv:3:CreatedDate: '20.01.2023 um 10' is not a date-time"
    )
    assert problems[1] == (
        "OpportunityHistory.csv:5:OpportunityId: '0065e000004XXXXXX7' is not an Id in "
        "Opportunity.csv"
    )


# ----------------------------------------------------------------------------- canonical
REPS = "rep_id,timezone\nr1,America/New_York\n"
DEALS = "deal_id,owner_id,outcome\nd1,r1,open\nd2,r1,open\n"


def test_deal_stages_csv_reads_naive_times_in_the_owners_zone(write_files) -> None:
    stages = (
        "deal_id,stage,entered_at\n"
        "d1,Discovery,2026-03-02 09:00\n"
        "d1,Proposal,2026-03-09T10:00:00Z\n"
        "d2,Discovery,2026-03-03\n"
    )
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "deal_stages.csv": stages})
    data = read_format(folder, format="momentum")
    assert data.stages is not None
    assert data.stages.rows() == [
        ("d1", "Discovery", utc(2026, 3, 2, 14)),  # 09:00 EST
        ("d1", "Proposal", utc(2026, 3, 9, 10)),
        ("d2", "Discovery", utc(2026, 3, 3, 5)),  # midnight EST
    ]


def test_deal_stages_csv_problems_name_file_row_and_column(write_files) -> None:
    stages = (
        "deal_id,stage,entered_at\n"
        "d1,Discovery,\n"
        "d9,Discovery,2026-03-02\n"
        "d2,,2026-03-02\n"
        "d2,Proposal,someday\n"
    )
    folder = write_files({"reps.csv": REPS, "deals.csv": DEALS, "deal_stages.csv": stages})
    assert problems_in(folder, format="momentum") == [
        "deal_stages.csv:2:entered_at: is required",
        "deal_stages.csv:3:deal_id: 'd9' is not a deal_id in deals.csv",
        "deal_stages.csv:4:stage: is required",
        "deal_stages.csv:5:entered_at: 'someday' is not a date-time: expected an ISO 8601 "
        "date or date-time such as 2026-03-02T10:00:00-05:00",
    ]


# ----------------------------------------------------------------------------- the store
def _stored_entries(database: Database) -> list[tuple[str, str, datetime]]:
    with database.unit_of_work(write=False) as session:
        entries = session.scalars(
            select(DealStageEntry).order_by(DealStageEntry.deal_id, DealStageEntry.entered_at)
        )
        return [(e.deal_id, e.stage, e.entered_at.astimezone(UTC)) for e in entries]


def test_a_hubspot_export_stores_its_stage_history(database: Database, write_files) -> None:
    folder = write_files({"deals.csv": HUBSPOT_DEALS})
    options = ReadOptions(timezone="Europe/Berlin", now=NOW)
    import_files(database, [folder], format=None, options=options, clock=FixedClock(NOW))
    assert _stored_entries(database) == [
        ("1", "Appointment Scheduled", utc(2026, 3, 1, 8)),
        ("1", "Qualified To Buy", utc(2026, 3, 4, 8)),
        ("1", "Closed Lost", utc(2026, 3, 15, 9)),
        ("2", "Appointment Scheduled", utc(2026, 3, 2, 8)),
        ("2", "Qualified To Buy", utc(2026, 3, 6, 16, 30)),
    ]
    # a later export where deal 2 moved back: its entries are the new file's
    moved = HUBSPOT_DEALS.replace("2026-03-02 09:00,2026-03-06 17:30,,", "2026-03-09 09:00,,,")
    folder = write_files({"deals.csv": moved}, folder="later")
    summary = import_files(database, [folder], format=None, options=options, clock=FixedClock(NOW))
    # deal 1's three entries were stored already; deal 2's one is new, its two old ones go
    assert summary.counts["stage_entries"] == {"read": 4, "inserted": 1, "updated": 0}
    assert (
        "2 stored stage entries of these deals are not in the stage history read and were removed"
        in summary.notes
    )
    assert [entry for entry in _stored_entries(database) if entry[0] == "2"] == [
        ("2", "Appointment Scheduled", utc(2026, 3, 9, 8)),
    ]


def test_the_weekly_export_with_its_history_end_to_end(
    database: Database, shared: Path, tmp_path: Path
) -> None:
    folder = weekly_export_with_history(shared, tmp_path, HISTORY)
    import_files(
        database, [folder], format=None, options=ReadOptions(now=NOW), clock=FixedClock(NOW)
    )
    assert [entry[:2] for entry in _stored_entries(database)] == [
        ("0065e000004DDDDDD1", "Prospecting"),
        ("0065e000004DDDDDD1", "Proposal/Price Quote"),
        ("0065e000004DDDDDD1", "Closed Won"),
        ("0065e000004DDDDDD3", "Qualification"),
    ]
    timeline = audit(read_store(database), AuditOptions(as_of=utc(2023, 3, 1))).stages
    assert timeline is not None
    # deal 1 won: Prospecting 9 Jan 16:00 → 20 Jan 10:00 (10.75 days), Proposal until its
    # closing entry on 20 Feb 18:00 (31 days 8 hours); deal 3 lost with no closing entry:
    # Qualification from 30 Jan 19:30 until its close, 10 Feb at midnight in Mexico City
    # (06:00 UTC): 10 days 10.5 hours, and lost from there. Deal 3's history starts at
    # Qualification, so on average deals meet it as early as Prospecting.
    assert [(s.stage, s.median_days, s.lost_from) for s in timeline.stages] == [
        ("Prospecting", 10.75, 0),
        ("Qualification", 10.4375, 1),
        ("Proposal/Price Quote", 31 + 8 / 24, 0),
    ]
