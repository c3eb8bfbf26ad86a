"""A team of many reps: the reports show the reps who most need coaching, not a wall."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from momentum.audit.html import render_html
from momentum.audit.presentation import MAX_REPS_SHOWN
from momentum.audit.result import AuditResult
from momentum.audit.terminal import render_terminal
from tests.audit.helpers import run

REPS = MAX_REPS_SHOWN + 1  # one more than the reports draw


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    """One deal per rep, each with a meeting one held."""
    folder: Path = tmp_path_factory.mktemp("team")
    ids = [f"r{n:05d}" for n in range(REPS)]
    (folder / "reps.csv").write_text("rep_id,timezone\n" + "".join(f"{r},UTC\n" for r in ids))
    (folder / "deals.csv").write_text(
        "deal_id,owner_id,outcome\n" + "".join(f"d{r},{r},open\n" for r in ids)
    )
    (folder / "meetings.csv").write_text(
        "meeting_id,deal_id,start,status\n"
        + "".join(f"m{r},d{r},2026-03-02T10:00:00Z,held\n" for r in ids)
    )
    return run(folder)


def test_the_terminal_lists_the_reps_to_coach_and_says_how_many_more(result: AuditResult) -> None:
    assert len(result.by_rep) == REPS
    out = io.StringIO()

    render_terminal(result, Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert f"The first {MAX_REPS_SHOWN} of {REPS} reps" in text
    reps_section = text[text.index("Reps ─") : text.index("Worst weeks ─")]
    assert len(re.findall(r"^r\d{5}", reps_section, re.M)) == MAX_REPS_SHOWN


def test_the_html_draws_the_reps_to_coach_and_tabulates_them_all(result: AuditResult) -> None:
    page = render_html(result)
    section = page[page.index("Reps against the team") :]
    assert f"The first {MAX_REPS_SHOWN} of {REPS} reps" in section
    rows = re.findall(r"<td[^>]*>r\d{5}</td>", section)
    assert len(set(rows)) == REPS
