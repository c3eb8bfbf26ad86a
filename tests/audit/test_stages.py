"""The stage timeline: time in each stage, where open deals are stuck, where lost deals were lost
from; worked out by hand on a small case, in the JSON, the terminal and the HTML report, and
the same from the store (SQLite and PostgreSQL) as from the files."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from rich.console import Console

from momentum.audit.html import render_html
from momentum.audit.result import AuditOptions, AuditResult, StageFigures, StageTimeline
from momentum.audit.service import audit, read_files, read_store
from momentum.audit.terminal import render_terminal
from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.export.service import export_store
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from momentum.review.scope import restrict

AS_OF = datetime(2026, 3, 31, tzinfo=UTC)
REPS = "rep_id,name,timezone\nr1,Ann,UTC\n"
DEALS = (
    "deal_id,owner_id,outcome,stage,closed_at\n"
    "d1,r1,won,Closed Won,2026-03-20T00:00:00Z\n"
    "d2,r1,lost,Closed Lost,2026-03-15T00:00:00Z\n"
    "d3,r1,open,Proposal,\n"
    "d4,r1,open,Discovery,\n"
    "d5,r1,lost,Discovery,2026-03-25T00:00:00Z\n"
    "d6,r1,open,Discovery,\n"
    "d7,r1,won,Discovery,2026-04-05T00:00:00Z\n"
)
MEETINGS = "meeting_id,deal_id,start,status\nm1,d1,2026-03-02T10:00:00Z,held\n"
STAGES = (
    "deal_id,stage,entered_at\n"
    "d1,Discovery,2026-03-01T00:00:00Z\n"
    "d1,Proposal,2026-03-05T00:00:00Z\n"
    "d1,Closed Won,2026-03-20T00:00:00Z\n"
    "d2,Discovery,2026-03-01T00:00:00Z\n"
    "d2,Discovery,2026-03-03T00:00:00Z\n"
    "d2,Proposal,2026-03-09T00:00:00Z\n"
    "d2,Closed Lost,2026-03-15T00:00:00Z\n"
    "d3,Discovery,2026-03-02T00:00:00Z\n"
    "d3,Proposal,2026-03-04T00:00:00Z\n"
    "d4,Discovery,2026-03-28T00:00:00Z\n"
    "d5,Discovery,2026-03-10T12:00:00Z\n"
    "d6,Discovery,2026-04-02T00:00:00Z\n"
    "d7,Discovery,2026-03-01T00:00:00Z\n"
)
# Worked out by hand, as of 31 March:
# - d1 (won): Discovery 1→5 March (4 days), Proposal 5→20 March (15); Closed Won is its close.
# - d2 (lost): the second Discovery entry is no move; Discovery 1→9 March (8), Proposal 9→15
#   March (6); lost from Proposal.
# - d3 (open): Discovery 2→4 March (2); in Proposal since 4 March: 27 days, stuck.
# - d4 (open): in Discovery since 28 March: 3 days, not stuck.
# - d5 (lost, no closing entry): Discovery from 10 March noon to its close on 25 March (14.5);
#   lost from Discovery.
# - d6: its only entry is after the as-of: no history yet.
# - d7: closed after the as-of, so still open then: in Discovery since 1 March (30 days), stuck.
# Discovery: ended stays 4, 8, 2, 14.5 (median 6.0); Proposal: 15, 6 (median 10.5).
EXPECTED = StageTimeline(
    stalled_days=14,
    deals=6,
    open_deals=3,
    lost_deals=2,
    stages=(
        StageFigures(
            "Discovery", deals=6, stays_ended=4, median_days=6.0, open_now=2, stuck=1, lost_from=1
        ),
        StageFigures(
            "Proposal", deals=3, stays_ended=2, median_days=10.5, open_now=1, stuck=1, lost_from=1
        ),
    ),
)


def worked(write_files, *, stages: str | None = STAGES) -> Path:  # type: ignore[no-untyped-def]
    """The small case's folder; without a stage history when ``stages`` is None."""
    files = {"reps.csv": REPS, "deals.csv": DEALS, "meetings.csv": MEETINGS}
    if stages is None:
        return write_files(files, folder="without-stages")
    return write_files({**files, "deal_stages.csv": stages}, folder="with-stages")


def audited(folder: Path) -> AuditResult:
    return audit(read_files([folder], format=None, read=ReadOptions()), AuditOptions(as_of=AS_OF))


def test_the_timeline_of_a_small_case_worked_out_by_hand(write_files) -> None:
    assert audited(worked(write_files)).stages == EXPECTED


def test_the_json_has_the_stages_and_null_without_a_stage_history(write_files) -> None:
    report = audited(worked(write_files)).report
    assert report["stages"] == {
        "stalled_days": 14,
        "deals": 6,
        "open_deals": 3,
        "lost_deals": 2,
        "by_stage": [
            {
                "stage": "Discovery",
                "deals": 6,
                "stays_ended": 4,
                "median_days": 6.0,
                "open_now": 2,
                "stuck": 1,
                "lost_from": 1,
            },
            {
                "stage": "Proposal",
                "deals": 3,
                "stays_ended": 2,
                "median_days": 10.5,
                "open_now": 1,
                "stuck": 1,
                "lost_from": 1,
            },
        ],
    }
    without = audited(worked(write_files, stages=None)).report
    assert "stages" in without and without["stages"] is None
    json.dumps(report)  # plain JSON values


def test_a_stalled_window_of_its_own(write_files) -> None:
    data = read_files([worked(write_files)], format=None, read=ReadOptions())
    timeline = audit(data, AuditOptions(as_of=AS_OF, stalled_days=28)).stages
    assert timeline is not None
    # only d7 (30 days) has been in its stage more than 28 days; d3 (27) has not
    assert [(stage.stage, stage.stuck) for stage in timeline.stages] == [
        ("Discovery", 1),
        ("Proposal", 0),
    ]


def test_the_terminal_report_says_where_deals_stop_moving(write_files) -> None:
    console = Console(width=100, record=True, color_system=None)
    render_terminal(audited(worked(write_files)), console)
    text = console.export_text()
    assert "Stages: where deals stop moving" in text
    assert "Deals spend longest in Proposal: a median of 10.5 days (2 stays ended)." in text
    assert (
        "2 of 3 open deals have been in the same stage for more than 14 days: Discovery (1) and "
        "Proposal (1)." in text
    )
    assert "The 2 lost deals were lost from Discovery (1) and Proposal (1)." in text
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert rows["Discovery"] == ["6", "6.0", "(4)", "2", "1", "1"]
    assert rows["Proposal"] == ["3", "10.5", "(2)", "1", "1", "1"]
    bare = Console(width=100, record=True, color_system=None)
    render_terminal(audited(worked(write_files, stages=None)), bare)
    assert "Stages" not in bare.export_text()


def test_the_html_report_has_the_stage_section_with_escaped_names(write_files) -> None:
    stages = STAGES.replace("Proposal", "<b>Proposal</b>")
    deals_file = worked(write_files, stages=stages)
    html = render_html(audited(deals_file))
    assert '<section id="stages" aria-labelledby="stages-heading">' in html
    assert "<b>Proposal</b>" not in html
    assert "&lt;b&gt;Proposal&lt;/b&gt;" in html
    assert '<td class="num">6.0 (4)</td>' in html
    assert 'id="stages"' not in render_html(audited(worked(write_files, stages=None)))


def _import(database: Database, folder: Path) -> None:
    import_files(database, [folder], format=None, options=ReadOptions(), clock=FixedClock(AS_OF))


def test_the_store_gives_the_same_timeline_and_an_import_replaces_it(
    database: Database, write_files, tmp_path: Path
) -> None:
    folder = worked(write_files)
    _import(database, folder)
    _import(database, folder)  # importing again replaces the entries, it does not add them
    options = AuditOptions(as_of=AS_OF)
    assert audit(read_store(database), options).report == audited(folder).report
    # the export writes deal_stages.csv; it reads back to the same timeline
    export_store(database, tmp_path / "out")
    assert audited(tmp_path / "out").stages == EXPECTED
    again = import_files(
        database, [tmp_path / "out"], format=None, options=ReadOptions(), clock=FixedClock(AS_OF)
    )
    assert again.counts["stage_entries"] == {"read": 13, "inserted": 0, "updated": 0}
    # a new history for d4 replaces d4's entries; the other deals' stay
    later = write_files(
        {"deal_stages.csv": "deal_id,stage,entered_at\nd4,Proposal,2026-03-10T00:00:00Z\n"},
        folder="later",
    )
    _import(database, later)
    timeline = audit(read_store(database), options).stages
    assert timeline is not None
    assert [(s.stage, s.deals, s.open_now, s.stuck) for s in timeline.stages] == [
        ("Discovery", 5, 1, 1),  # d4 left Discovery: its entry there is gone
        ("Proposal", 4, 2, 2),  # d4 in Proposal since 10 March: 21 days, stuck
    ]


def test_an_empty_store_has_no_stage_history(database: Database, write_files) -> None:
    _import(database, worked(write_files, stages=None))
    assert audit(read_store(database), AuditOptions(as_of=AS_OF)).report["stages"] is None


def test_a_period_and_a_scope_keep_their_deals_stages(write_files) -> None:
    data = read_files([worked(write_files)], format=None, read=ReadOptions())
    # d1 is the only deal with meeting one (2 March): the period keeps its stays only
    period = audit(data, AuditOptions(as_of=AS_OF, since=date(2026, 3, 1))).stages
    assert period is not None
    assert [(s.stage, s.deals, s.median_days) for s in period.stages] == [
        ("Discovery", 1, 4.0),
        ("Proposal", 1, 15.0),
    ]
    # a scope of reps (the web app's) keeps its deals' entries, and none of the others
    assert restrict(data, {"r1"}).stages is not None
    nobody = restrict(data, {"r9"}).stages
    assert nobody is not None and nobody.height == 0


def test_a_history_of_closes_only_has_no_stage_to_show(write_files) -> None:
    closes = "deal_id,stage,entered_at\nd1,Closed Won,2026-03-20T00:00:00Z\n"
    result = audited(worked(write_files, stages=closes))
    assert result.stages == StageTimeline(
        stalled_days=14, deals=0, open_deals=0, lost_deals=0, stages=()
    )
    console = Console(width=100, record=True, color_system=None)
    render_terminal(result, console)
    assert (
        "The stage history shows no deal in a stage it worked in (before its close) as of this "
        "audit." in console.export_text()
    )
