"""The terminal report, read as a manager reads it: the worked example's numbers in each section."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from momentum.audit.result import AuditResult
from momentum.audit.terminal import render_terminal
from tests.audit.report_results import (
    HOSTILE,
    HOSTILE_FINDING,
    MARKUP,
    WORKED_FINDINGS,
    demo_result,
    empty_scope,
    hostile_copy,
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
def worked(shared: Path) -> AuditResult:
    return worked_result(shared / "examples" / "worked")


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
    assert line_with(text, "no M2 held") == "no M2 held  2  0  1  1  0 %  0 % – 79 %"


def test_reps_who_need_coaching_come_first(text: str) -> None:
    reps = text[text.index("Reps ─") : text.index("Worst weeks ─")]
    order = [name for name in ("Kei Ito", "Ann Lee", "Bo Krause") if name in reps]
    assert sorted(order, key=reps.index) == ["Kei Ito", "Ann Lee", "Bo Krause"]
    # Kei Ito (r3): held 1 of 2, attendance 1 of 2, median gap 4.0 > 3.5, close 0 of 2
    assert line_with(reps, "Kei Ito") == "Kei Ito  2  100 %  50 %▾  50 %▾  4.0▾  100 %  0 %▾"
    assert line_with(reps, "Ann Lee") == "Ann Lee  4  67 %▾  75 %  100 %  3.0  67 %▾  67 %"
    assert line_with(reps, "Team") == "Team  8  83 %  75 %  86 %  3.5  83 %  57 %"


def test_worst_weeks_rank_only_weeks_with_enough_deals(text: str) -> None:
    weeks = text[text.index("Worst weeks ─") : text.index("Findings ─")]
    assert line_with(weeks, "2026-W10") == "2026-W10  4  67 %▾  75 %  100 %  3.0  67 %  both"
    assert "2026-W11" not in weeks  # two deals with meeting one: too few to rank
    assert "of the 1 week with 3 or more deals" in " ".join(weeks.split())


def test_findings_ranked_with_evidence_and_playbook(worked: AuditResult) -> None:
    shuffled = replace(worked, report={**worked.report, "findings": WORKED_FINDINGS[::-1]})
    text = " ".join(rendered(shuffled).split())
    findings = text[text.index("Findings ─") :]
    first = findings.index("1. 17 % of second meetings were booked after the first")
    second = findings.index("2. 1 of 6 second meetings came more than 5 business days")
    third = findings.index("3. 1 of 7 second meetings was a no-show (attendance 86 %)")
    assert first < second < third
    assert (
        "Evidence: Booked later: 1 · Booked with known time: 6 · Booked later share: 17 % · "
        "Close rate booked later: 0 % · Close rate on the spot: 60 %" in findings
    )
    assert (
        "Playbook: Lock in meeting two on the spot. Agree the date, time and agenda of "
        "meeting two before meeting one ends." in findings
    )
    assert "Playbook: Shorten the gap." in findings
    assert "Playbook: Confirm with value." in findings


def test_before_and_after(text: str) -> None:
    section = text[text.index("Before and after ─") :]
    assert line_with(section, "Attendance at meeting two") == (
        "Attendance at meeting two  100 %  75 %  -25 pp  [-70, +35] pp  no"
    )
    assert line_with(section, "Booked on the spot") == (
        "Booked on the spot  67 %  100 %  +33 pp  [-29, +79] pp  no"
    )
    assert line_with(section, "Median gap (business days)") == (
        "Median gap (business days)  3.0  4.0  +1.0 days  —  —"
    )


def test_no_compare_section_without_a_split(worked: AuditResult) -> None:
    report = {k: v for k, v in worked.report.items() if k != "compare"}
    assert "Before and after" not in rendered(replace(worked, report=report))


def test_an_empty_scope_shows_dashes_not_errors(worked: AuditResult) -> None:
    text = rendered(empty_scope(worked))
    assert "0 deals, 0 with meeting one" in text
    assert line_with(text, "Meeting two booked") == "Meeting two booked  0  —"
    assert "Close rate after meeting one: — (0 won, 0 lost, 0 still open)" in text
    assert "Booked on the spot — · rescheduled — · attendance —" in text
    assert "No meeting two was held, so there is no gap to show." in text
    assert "No deal with meeting one, so no rep to compare." in text
    assert "No findings" in text


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


def test_user_text_is_never_markup(shared: Path, tmp_path: Path) -> None:
    folder = hostile_copy(shared / "examples" / "worked", tmp_path)
    result = worked_result(folder, findings=[*WORKED_FINDINGS, HOSTILE_FINDING])
    text = " ".join(rendered(result, width=200).split())
    assert HOSTILE in text  # shown as it is, a harmless string in a terminal
    assert MARKUP in text  # "[bold red]" printed, not applied
    assert f"{HOSTILE} lost the only deal whose meeting two was rescheduled" in text
    assert f"Coach {MARKUP} on an agenda" in text
    assert str(folder) in text
