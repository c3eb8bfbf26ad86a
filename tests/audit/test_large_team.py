"""A team of hundreds of reps: the reports show the reps who most need coaching, not a wall."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from bench.generate import generate
from rich.console import Console

from momentum.audit.html import render_html
from momentum.audit.presentation import MAX_REPS_SHOWN
from momentum.audit.result import AuditOptions, AuditResult
from momentum.audit.service import audit, read_files
from momentum.audit.terminal import render_terminal
from momentum.importers.canonical import ReadOptions


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    folder: Path = generate(60_000, seed=5, root=tmp_path_factory.mktemp("team"))
    return audit(read_files([folder], format=None, read=ReadOptions()), AuditOptions())


def test_the_terminal_lists_the_reps_to_coach_and_says_how_many_more(result: AuditResult) -> None:
    reps = len(result.report["by_rep"])
    assert reps > 100
    out = io.StringIO()
    render_terminal(result, Console(file=out, width=100, color_system=None))
    text = out.getvalue()
    assert f"The {MAX_REPS_SHOWN} of {reps} reps who most need coaching" in text
    assert len(text.splitlines()) < 250


def test_the_html_draws_the_reps_to_coach_and_tabulates_them_all(result: AuditResult) -> None:
    page = render_html(result)
    reps = len(result.report["by_rep"])
    section = page[page.index("Reps against the team") :]
    assert f"The {MAX_REPS_SHOWN} of {reps} reps who most need coaching" in section
    rows = re.findall(r"<td[^>]*>r\d{5}</td>", section)
    assert len(set(rows)) == reps
