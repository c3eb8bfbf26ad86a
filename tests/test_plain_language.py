"""What a manager reads uses no bare jargon (issue 14.8): the terminal report, the HTML report
and the web dashboard never write "pp", and wherever they name a method (Wilson, Kaplan–Meier,
Holm, Benjamini–Hochberg) the same sentence or paragraph says in plain words what it means.

The text is cut into units a reader sees together (a terminal line of a wide console; an HTML
block element's text), and each unit that names a method must carry its explanation."""

from __future__ import annotations

import io
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from momentum.audit import presentation
from momentum.audit.html import render_html
from momentum.audit.result import AuditOptions, AuditResult
from momentum.audit.service import audit, read_files
from momentum.audit.terminal import render_terminal
from momentum.db.engine import Database
from momentum.demo.generator import generate
from momentum.importers.canonical import ReadOptions
from tests.review.team import ManagerSite, make_team

# each term, and the plain words (any of them) that must stand beside it
EXPLAINED = {
    "Wilson": ("very likely lies in",),
    "Kaplan": ("counted until",),
    "Holm": ("allowing for",),
    "Benjamini": ("false alarm",),
}
NEVER = re.compile(r"\bpp\b")  # "points" is written out, and said to be percentage points


def bare_jargon(units: list[str]) -> list[str]:
    """The units that write "pp" or name a method without saying what it means."""
    found = []
    for unit in units:
        if NEVER.search(unit):
            found.append(unit)
            continue
        for term, plain in EXPLAINED.items():
            if term in unit and not any(words in unit for words in plain):
                found.append(unit)
    return found


_BLOCKS = {
    "p", "div", "li", "td", "th", "caption", "figcaption", "title", "desc", "text", "tspan",
    "h1", "h2", "h3", "h4", "dt", "dd", "summary", "section", "tr", "table", "figure", "header",
    "footer", "main", "nav", "body", "details", "label", "option", "button",
}  # fmt: skip


class _Units(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.units: list[str] = []
        self.text: list[str] = []
        self.skipping = 0

    def flush(self) -> None:
        unit = " ".join("".join(self.text).split())
        if unit:
            self.units.append(unit)
        self.text = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self.skipping += 1
        if tag in _BLOCKS:
            self.flush()
        for name, value in attrs:  # what a screen reader or a tooltip says
            if name in ("aria-label", "title", "alt") and value:
                self.units.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self.skipping -= 1
        if tag in _BLOCKS:
            self.flush()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.text.append(data)


def html_units(html: str) -> list[str]:
    parser = _Units()
    parser.feed(html)
    parser.close()
    parser.flush()
    return parser.units


def terminal_units(result: AuditResult) -> list[str]:
    out = io.StringIO()
    render_terminal(result, Console(file=out, width=1000, color_system=None))
    return [" ".join(line.split()) for line in out.getvalue().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def demo_result(tmp_path_factory: pytest.TempPathFactory) -> AuditResult:
    """The demo team's audit with a before/after comparison: findings (Benjamini–Hochberg),
    a comparison (Holm), close rates with intervals (Wilson), the time-to-meeting-two curve
    (Kaplan–Meier)."""
    folder: Path = tmp_path_factory.mktemp("demo")
    generate(folder, deals=800, seed=7, as_of=date(2026, 11, 26))
    data = read_files([folder], format=None, read=ReadOptions())
    return audit(data, AuditOptions(compare_at=date(2026, 8, 15)))


def test_the_terminal_report_explains_its_methods(demo_result: AuditResult) -> None:
    units = terminal_units(demo_result)
    text = "\n".join(units)
    assert "Wilson" in text and "Holm" in text  # the test reads what it guards
    assert bare_jargon(units) == []


def test_the_html_report_explains_its_methods(demo_result: AuditResult) -> None:
    units = html_units(render_html(demo_result))
    text = "\n".join(units)
    for term in ("Wilson", "Kaplan", "Benjamini"):
        assert term in text, term
    assert bare_jargon(units) == []


def test_the_dashboard_explains_its_methods(database: Database) -> None:
    with database.unit_of_work() as session:
        make_team(session)
    maya = ManagerSite(database).signed_in("maya@seller.test")
    for path in ("/dashboard", "/dashboard?team=north", "/coaching"):
        page = maya.get(path)
        if page.status_code == 404 and path == "/coaching":
            continue
        assert page.status_code == 200, (path, page.text)
        assert bare_jargon(html_units(page.text)) == [], path


@pytest.mark.parametrize(
    "broken",
    [
        "Difference: -22 pp",
        "The interval is the 95 % Wilson score interval.",
        "<p>Kaplan–Meier estimate of the share of deals.</p>",
        "<figcaption>Adjusted with Holm's method.</figcaption>",
        "<p title='Benjamini–Hochberg adjusted'>q = 0.03</p>",
    ],
)
def test_the_guard_finds_bare_jargon(broken: str) -> None:
    assert bare_jargon(html_units(broken)) != []


def test_the_guard_fails_on_a_report_whose_explanation_is_lost(
    demo_result: AuditResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        presentation, "OVERLAP_NOTE", "Findings are adjusted with Benjamini–Hochberg."
    )
    units = html_units(render_html(demo_result))
    assert bare_jargon(units) == [
        "Findings are adjusted with Benjamini–Hochberg. The established findings concern "
        + next(u for u in units if u.startswith("Findings are adjusted")).split("concern ")[1]
    ]
