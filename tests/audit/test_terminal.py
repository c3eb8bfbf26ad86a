"""The terminal report, read as a manager reads it: the worked example's numbers in each section."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console

from momentum.audit import presentation as p
from momentum.audit.result import AuditResult
from momentum.audit.terminal import render_terminal
from tests.audit.report_results import (
    HOSTILE,
    HOSTILE_FINDING,
    MARKUP,
    demo_result,
    empty_scope,
    hostile_copy,
    with_findings,
    worked_result,
)

ANSI = re.compile(r"\x1b\[")


def rendered(result: AuditResult, *, width: int = 80, terminal: bool = False) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=terminal,
        color_system="truecolor" if terminal else None,
        legacy_windows=False,
    )
    render_terminal(result, console)
    return out.getvalue()


def line_with(text: str, start: str) -> str:
    """The first line of ``text`` that starts with ``start``, spaces squeezed."""
    for line in text.splitlines():
        if line.startswith(start):
            return re.sub(r" {2,}", "  ", line.rstrip())
    raise AssertionError(f"no line starts with {start!r} in:\n{text}")


@pytest.fixture(scope="module")
def worked_folder(shared: Path) -> Path:
    return shared / "examples" / "worked"


@pytest.fixture(scope="module")
def worked(worked_folder: Path) -> AuditResult:
    return worked_result(worked_folder)


@pytest.fixture(scope="module")
def text(worked: AuditResult) -> str:
    return rendered(worked)


def test_funnel_counts_and_rates(text: str) -> None:
    assert line_with(text, "Meeting one held").startswith("Meeting one held  8  100 %  █")
    assert line_with(text, "Meeting two booked").startswith("Meeting two booked  7  88 %  █")
    assert line_with(text, "Meeting two held").startswith("Meeting two held  6  75 %  █")
    assert line_with(text, "Won ").startswith("Won  4  50 %  █")
    assert "Close rate after meeting one: 57 % (4 won, 3 lost, 1 still open)" in text
    assert "Booked on the spot 83 % · rescheduled 14 % · attendance 86 %" in text


def test_gap_against_the_target(text: str) -> None:
    assert "Business days: mean 4.5 · median 3.5 · 90th percentile 8.0" in text
    assert "Calendar days: mean 6.0 · median 3.5 · 90th percentile 11.5" in text
    assert "83 % of the 6 second meetings held came within the target of 5 business days." in text
    # gaps [3, 12, 4, 4, 3, 1]: columns at days 1, 3, 4 and 12, those at 3 and 4 twice as tall,
    # and the target line between day 5 and day 6
    lines = text[text.index("(target 5):") :].splitlines()[1:9]
    rows, axis, labels = lines[:6], lines[6], lines[7]
    assert rows[0].startswith("2 │")
    assert axis.startswith("0 └")
    columns = {m.group(): m.end() - 1 for m in re.finditer(r"\S+", labels)}
    assert list(columns) == [str(day) for day in range(13)]

    def filled(row: str) -> list[str]:
        return [label for label, at in columns.items() if row[at] == "█"]

    assert filled(rows[-1]) == ["1", "3", "4", "12"]
    assert filled(rows[0]) == ["3", "4"]
    assert filled(rows[2]) == ["3", "4"]
    assert filled(rows[3]) == ["1", "3", "4", "12"]
    assert {row.index("┆") for row in rows} == {columns["5"] + 1}


def test_close_rate_by_gap_with_intervals_and_nulls(text: str) -> None:
    assert line_with(text, "0-5") == "0-5  5  4  1  0  80 %  38 % – 96 %"
    assert line_with(text, "6-10") == "6-10  0  0  0  0  —  —"
    assert line_with(text, "11-20") == "11-20  1  0  1  0  0 %  0 % – 79 %"
    assert line_with(text, "21+") == "21+  0  0  0  0  —  —"
    assert line_with(text, "no meeting two") == "no meeting two  2  0  1  1  0 %  0 % – 79 %"


def test_reps_unmarked_where_nothing_is_established(text: str) -> None:
    reps = text[text.index("Reps ─") : text.index("Worst weeks ─")]
    order = [name for name in ("Kei Ito", "Ann Lee", "Bo Krause") if name in reps]
    # nothing is established on nine deals: by name, and no figure marked
    assert sorted(order, key=reps.index) == ["Ann Lee", "Bo Krause", "Kei Ito"]
    assert line_with(reps, "Kei Ito") == "Kei Ito  2  100 %  50 %  50 %  4.0  100 %  0 %"
    assert line_with(reps, "Ann Lee") == "Ann Lee  4  67 %  75 %  100 %  3.0  67 %  67 %"
    assert line_with(reps, "Team") == "Team  8  83 %  75 %  86 %  3.5  83 %  57 %"
    assert "▾" not in reps.replace("▾ marks a figure only where the audit established", "")
    assert "come first" in " ".join(reps.split())


def test_reps_marked_only_on_established_findings() -> None:
    result = demo_result()
    reps = rendered(result, width=120)
    reps = reps[reps.index("Reps ─") : reps.index("Worst weeks ─")]
    # Riley Chen's attendance (78 %) is the team's and Priya Nair's gap (9.5) is not
    # established to be longer: no marks; Liam O'Connor's established shortfalls are marked
    assert "▾" not in line_with(reps, "Riley Chen")
    assert "▾" not in line_with(reps, "Priya Nair")
    assert line_with(reps, "Liam O'Connor").split("  ")[2:] == [
        "9 %▾",
        "45 %▾",
        "47 %▾",
        "20.0",
        "0 %▾",
        "12 %",
    ]
    first = min(
        (f for f in result.findings if f.established and f.kind == "rep"),
        key=lambda f: f.rank or 0,
    )
    assert first.rep_id is not None
    names = [result.rep_names[rep.rep_id] for rep in result.by_rep]
    assert min(names, key=reps.index) == result.rep_names[first.rep_id]


def test_reps_are_never_named_on_findings_not_established(worked: AuditResult) -> None:
    text = " ".join(rendered(worked).split())
    section = text[text.index("Findings ─") :]
    section = section[: section.index("Before and after ─")]
    unnamed = [f for f in worked.findings if f.kind == "rep" and f.p_value is not None]
    assert unnamed and not any(f.established for f in unnamed)
    for name in ("Kei Ito", "Ann Lee", "Bo Krause", "(r1)", "(r2)", "(r3)"):
        assert name not in section
    assert (
        f"{len(unnamed)} comparisons of a rep with the rest of the team were past the "
        "practical bar but not established" in section
    )
    # the practices stay listed, apart
    assert "· Deals whose meeting two was booked after meeting one closed at 0 %" in section


def test_worst_weeks_rank_only_weeks_with_enough_deals(text: str) -> None:
    weeks = text[text.index("Worst weeks ─") : text.index("Findings ─")]
    assert line_with(weeks, "2026-W10") == "2026-W10  4  67 %▾  75 %  100 %  3.0  67 %  both"
    assert "2026-W11" not in weeks  # two deals with meeting one: too few to rank
    assert "of the 1 week with 3 or more deals" in " ".join(weeks.split())


def test_nine_deals_establish_no_finding_and_say_so(worked: AuditResult) -> None:
    text = " ".join(rendered(worked).split())
    section = text[text.index("Findings ─") :]
    assert "No established findings" in section
    assert all(f.rank is None for f in worked.findings)


def test_findings_ranked_with_evidence_and_playbook() -> None:
    result = demo_result()
    found = [f for f in result.findings if f.established]
    text = rendered(with_findings(result, result.findings[::-1]))  # ranked, whatever the order
    section = text[text.index("Findings ─") : text.index("comparisons of a rep with the rest")]
    section = " ".join(section.split())
    starts = [section.index(f"{f.rank}. {' '.join(f.text.split()[:6])}") for f in found]
    assert starts == sorted(starts) and len(starts) >= 5
    gap = section[section.index("1. Deals whose meeting two came more than 5") :]
    gap = gap[: gap.index("2. ")]
    assert "Measured on: close rate" in gap
    assert re.search(
        r"Deals whose meeting two came within 5 business days of meeting one: \d+ % "
        r"\(\d+ of \d+ closed deals; \d+ deals in all\)",
        gap,
    )
    assert re.search(r"Difference: -\d+ points \(95 % interval \[-\d+, -\d+\] points\)", gap)
    assert "Established: yes" in gap
    assert "Playbook: Shorten the gap. Hold meeting two within 3–5 business days" in gap
    assert re.search(
        r"Impact: about [\d.,]+ more deals won at the rate of deals whose meeting two came "
        r"within 5 business days of meeting one \(worth [A-Z]{3} [\d,]+",
        gap,
    )
    assert "Impacts overlap" in section


def test_before_and_after(text: str) -> None:
    section = text[text.index("Before and after ─") :]
    # held attempts of held + no-show: 3 of 3 before 9 March, 3 of 4 from then on (Newcombe)
    assert line_with(section, "Attendance at meeting two") == (
        "Attendance at meeting two  100 %  75 %  -25 points  [-70, +35]  no"
    )
    # on the spot: d1, d9 of d1, d2, d9 before; d3, d4, d8 of the same after (d7 unknown)
    assert line_with(section, "Booked on the spot") == (
        "Booked on the spot  67 %  100 %  +33 points  [-29, +79]  no"
    )
    # business-day gaps 3, 12, 1 before and 4, 4, 3 after: means 5.3 and 3.7
    assert re.fullmatch(
        r"Mean gap \(business days\)  5\.3  3\.7  -1\.7 days  \[-\d+\.\d, \+\d+\.\d\]  no",
        line_with(section, "Mean gap (business days)"),
    )


def test_no_compare_section_without_a_split(worked: AuditResult) -> None:
    assert "Before and after" not in rendered(replace(worked, compare=None))


def test_an_empty_scope_shows_dashes_not_errors(worked_folder: Path) -> None:
    text = rendered(empty_scope(worked_folder))
    assert "0 deals, 0 with meeting one" in text
    assert line_with(text, "Meeting two booked") == "Meeting two booked  0  —"
    assert "Close rate after meeting one: — (0 won, 0 lost, 0 still open)" in text
    assert "Booked on the spot — · rescheduled — · attendance —" in text
    assert "No meeting two was held, so there is no gap to show." in text
    assert "No deal with meeting one, so no rep to compare." in text
    assert "No established findings" in text


def test_fits_80_columns_and_is_plain_text_off_a_terminal(worked: AuditResult) -> None:
    for result in (worked, demo_result()):
        text = rendered(result)
        assert not ANSI.search(text)
        too_wide = [line for line in text.splitlines() if len(line) > 80]
        assert not too_wide


def test_colours_on_a_terminal(worked: AuditResult) -> None:
    text = rendered(worked, terminal=True)
    assert ANSI.search(text)
    assert "Kei Ito" in text


def test_user_text_is_never_markup(worked_folder: Path, tmp_path: Path) -> None:
    folder = hostile_copy(worked_folder, tmp_path)
    result = worked_result(folder)
    result = with_findings(result, [*result.findings, HOSTILE_FINDING])
    text = " ".join(rendered(result, width=200).split())
    assert HOSTILE in text  # shown as it is, a harmless string in a terminal
    assert MARKUP in text  # "[bold red]" printed, not applied
    assert "Kei $\\frac{1}{0}$ Ito" in text
    assert f"{HOSTILE} lost the only deal whose meeting two was rescheduled" in text
    assert f"The practice: Coaching {MARKUP}" in text
    assert f"Left out: {MARKUP}" in text
    assert str(folder) in text


def test_the_demo_finding_quoted_in_the_docs_is_what_the_report_prints() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "audit-report.md").read_text()
    quoted = docs[docs.index("then\n`momentum audit momentum-demo`) the first finding reads:") :]
    block = quoted[quoted.index("```\n") + 4 : quoted.index("\n```", quoted.index("```\n") + 4)]
    printed = " ".join(rendered(demo_result(), width=100).split())
    for line in block.splitlines():
        if "…" not in line:
            assert " ".join(line.split()) in printed, line


def test_an_as_of_before_the_data_ends_is_said(worked: AuditResult) -> None:
    """With --as-of in the past the report counted later meetings and called deals whose
    meeting one came after that date "less than 15 business days before" it, silently."""
    from dataclasses import replace

    assert worked.data_end is not None
    early = replace(worked, as_of=worked.data_end - timedelta(days=60))
    text = " ".join(rendered(early).split())
    assert "the data goes on after that date: later events are counted as they are" in text
    assert "the data goes on after" not in " ".join(rendered(worked).split())


def test_a_comparison_counts_every_deal_it_leaves_out(tmp_path: Path) -> None:
    """It said "67 deals pending before, 21 after, left out" while 72 and 22 were left out:
    the deals left out are the recent ones, pending or not."""
    from datetime import UTC, date, datetime

    from momentum.demo.generator import generate
    from tests.audit.report_results import audited

    generate(tmp_path / "demo", deals=400, seed=7, as_of=date(2026, 6, 30))
    result = audited(
        tmp_path / "demo",
        compare_at=date(2026, 6, 1),
        as_of=datetime(2026, 6, 30, 12, tzinfo=UTC),
    )
    compare = result.compare
    assert compare is not None
    left = [
        compare.before.deals_with_first_meeting - compare.known_before.deals_with_first_meeting,
        compare.after.deals_with_first_meeting - compare.known_after.deals_with_first_meeting,
    ]
    assert left[1] > 0
    text = " ".join(rendered(result).split())
    assert f"left out: {p.deals(left[0])} before the cut and {left[1]} after" in text


def test_one_deal_left_out_before_the_cut_is_singular(worked: AuditResult) -> None:
    compare = worked.compare
    assert compare is not None
    known = replace(
        compare.known_before,
        deals_with_first_meeting=compare.before.deals_with_first_meeting - 1,
    )
    text = " ".join(rendered(replace(worked, compare=replace(compare, known_before=known))).split())
    assert "left out: 1 deal before the cut and 0 after" in text
