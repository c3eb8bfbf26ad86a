"""What the audit concludes: rep outliers, honest findings, outcomes not known yet."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest

from momentum.audit.findings import findings
from momentum.audit.presentation import interval
from momentum.audit.result import AuditOptions
from momentum.audit.serialize import as_json, to_json
from momentum.audit.service import NO_NO_SHOWS, audit, read_files
from momentum.importers.canonical import ReadOptions
from tests.audit.report_results import HOSTILE_FINDING, demo_result
from tests.audit.teams import WEAK, Team, steady_team, team_facts

BAR = 0.10


@pytest.mark.parametrize("step", sorted(WEAK))
def test_a_planted_weak_rep_is_found_at_every_step_and_ranked_in_the_top_five(step: str) -> None:
    facts = team_facts(Team(weak_rep="r03", weak_step=step), np.random.default_rng(7))
    found = findings(facts, target_days=5, min_difference=BAR)
    planted = [f for f in found if f.kind == "rep" and f.rep_id == "r03" and f.step == step]
    assert planted and planted[0].established, [f.text for f in found if f.established]
    assert planted[0].rank is not None and planted[0].rank <= 5
    # a rep is never named for a deviation that is not established
    assert all(f.rep_id == "r03" for f in found if f.kind == "rep" and f.established)


def test_teams_without_a_planted_difference_rarely_name_a_rep() -> None:
    rng = np.random.default_rng(2026)
    teams = 200
    named = 0
    for _ in range(teams):
        found = findings(
            team_facts(Team(reps=10, deals_per_rep=40), rng), target_days=5, min_difference=BAR
        )
        named += any(f.kind == "rep" and f.established for f in found)
    assert named / teams <= 0.05, named


def test_every_finding_is_on_one_metric_and_counts_what_it_describes() -> None:
    result = demo_result()
    for f in result.findings:
        # the headline quotes the two rates the evidence and the impact are computed from
        g, r = f.group.rate, f.reference.rate
        assert f"{round(g.value * 100)} %" in f.text and f"{round(r.value * 100)} %" in f.text
        if f.metric == "close rate" or f.step == "close":
            assert f.group.unit == "closed deals"  # the interval's counts are closed deals
        if f.established:
            assert f.impact == pytest.approx(abs(f.difference) * g.denominator, abs=0.01)
    never = next(f for f in result.findings if f.id == "no_second_meeting")
    # compared with every booked deal, not only those whose meeting two was held
    booked = result.facts.filter("window_closed", "m2_booked")
    assert never.reference.deals == booked.height


def test_established_findings_come_first_ranked_and_the_others_unranked() -> None:
    result = demo_result()
    ranks = [f.rank for f in result.findings]
    established = [f for f in result.findings if f.established]
    assert ranks[: len(established)] == list(range(1, len(established) + 1))
    assert all(rank is None for rank in ranks[len(established) :])
    impacts = [f.impact for f in established]
    assert impacts == sorted(impacts, reverse=True)
    # a rep far off on a step ranks among the team's findings, by what is at stake
    assert any(f.kind == "rep" for f in established[:10])


def test_significance_and_its_display_agree() -> None:
    for f in demo_result().findings:
        if f.established:
            assert f.ci95 is not None
            shown = interval(f.ci95, "rate")
            assert "[0," not in shown and ", 0]" not in shown and "-0]" not in shown


def test_the_report_says_impacts_overlap() -> None:
    report = demo_result().report
    overlap = report["findings_overlap"]
    assert "do not add up" in overlap["note"]
    behind = {d for f in report["findings"] if f["established"] for d in f["deal_ids"]}
    assert overlap["distinct_deals"] == len(behind)


@pytest.mark.parametrize(
    "ids", [["d2", "d10", "Müller & Söhne"], ['say "hi"', "back\\slash", "bell\x07", "d1"], []]
)
def test_the_json_lists_each_findings_deals_as_they_are(ids: list[str]) -> None:
    # ids that need no escaping are joined as text; the others go through the JSON encoder
    demo = demo_result()
    result = replace(
        demo,
        findings=[replace(HOSTILE_FINDING, deal_ids=pl.Series(ids, dtype=pl.String))],
        facts=demo.facts.head(len(ids)).with_columns(deal_id=pl.Series(ids, dtype=pl.String)),
    )
    written = orjson.loads(to_json(result))
    assert written["findings"][0]["deal_ids"] == ids
    assert written == as_json(result)


def test_each_finding_has_its_deals_and_money_per_currency() -> None:
    report = demo_result().report
    gap = next(f for f in report["findings"] if f["id"] == "gap_too_long")
    assert len(gap["deal_ids"]) == gap["evidence"]["group"]["deals"]
    assert gap["money"] and all(m["amount"] > 0 for m in gap["money"])
    assert [m["currency"] for m in gap["money"]] == sorted(m["currency"] for m in gap["money"])


def test_a_source_without_no_shows_has_unknown_attendance(write_files) -> None:  # type: ignore[no-untyped-def]
    folder = write_files(
        {
            "deals.csv": "deal_id,owner_id,outcome\nd1,r1,open\n",
            "reps.csv": "rep_id\nr1\n",
            "meetings.csv": "meeting_id,deal_id,start,status\n"
            "m1,d1,2026-03-02T10:00:00Z,held\nm2,d1,2026-03-04T10:00:00Z,held\n",
        }
    )
    result = audit(read_files([folder], format=None, read=ReadOptions()), AuditOptions())
    assert result.team.attendance.value is None
    assert result.report["second_meeting"]["attendance_rate"] is None
    assert result.report["unknown"] == {
        "attendance": NO_NO_SHOWS,
        "booked_on_the_spot": result.unknown["booked_on_the_spot"],
    }


def test_a_steady_team_shows_no_change_at_any_cut_date(tmp_path: Path) -> None:
    as_of = date(2026, 11, 27)
    folder = steady_team(tmp_path / "team", as_of=as_of, seed=2)
    meetings = (folder / "meetings.csv").read_text()
    assert ",scheduled\n" in meetings  # the data ends while second meetings are still ahead
    data = read_files([folder], format=None, read=ReadOptions())
    for cut in (date(2026, 6, 1), date(2026, 9, 1), date(2026, 10, 15), date(2026, 11, 2)):
        options = AuditOptions(compare_at=cut, as_of=datetime(2026, 11, 27, 18, tzinfo=UTC))
        compared = audit(data, options).compare
        assert compared is not None
        changed = [c.metric.key for c in compared.differences if c.significant]
        assert changed == [], (cut, changed)
    # counted as they stand, the recent deals seem to hold meeting two far less often: the
    # drop a comparison of every deal reported, which is only outcomes not known yet
    assert compared.after.held.value < compared.before.held.value - 0.15
    assert audit(data, options).pending > 0


def test_finding_prints_its_deals_as_csv(tmp_path: Path) -> None:
    from momentum.demo.generator import generate

    folder = tmp_path / "demo"
    generate(folder, deals=800, seed=7, as_of=date(2026, 11, 26))
    reps = list(csv.DictReader(io.StringIO((folder / "reps.csv").read_text())))
    with (folder / "reps.csv").open("w", newline="") as handle:  # names a spreadsheet would run
        writer = csv.DictWriter(handle, fieldnames=list(reps[0]))
        writer.writeheader()
        writer.writerows({**rep, "name": f"@SUM(1+1) {rep['name']}"} for rep in reps)
    run = [sys.executable, "-m", "momentum", "audit", str(folder)]
    printed = subprocess.run([*run, "--finding", "gap_too_long"], capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    rows = list(csv.DictReader(io.StringIO(printed.stdout)))
    assert rows and set(rows[0]) == {
        "deal_id",
        "rep_id",
        "rep_name",
        "outcome",
        "amount",
        "currency",
        "meeting_one",
    }
    assert all(row["meeting_one"].endswith("Z") for row in rows)
    assert all(row["rep_name"].startswith("'@SUM(1+1) ") for row in rows)
    amounts = [row["amount"] for row in rows if row["amount"]]
    assert amounts and not any(amount.endswith(".0") for amount in amounts)  # as export writes
    unknown = subprocess.run([*run, "--finding", "nope"], capture_output=True, text=True)
    assert unknown.returncode == 66 and "no finding 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
