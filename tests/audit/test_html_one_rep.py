"""The HTML report of one rep's deals (``momentum audit --rep ID --html FILE``, or one calendar):
the Reps section names the rep and shows their figures, says there is no other rep to compare
with, and draws no chart; "no rep to compare" is kept for a report without a deal with meeting
one."""

from __future__ import annotations

from pathlib import Path

import pytest
from markupsafe import escape

from momentum.audit import presentation as p
from momentum.audit.html import render_html
from momentum.audit.result import AuditOptions, AuditResult
from momentum.audit.service import audit, read_files
from momentum.importers.canonical import ReadOptions
from momentum.review.scope import restrict
from tests.audit.report_results import AS_OF, HOSTILE, hostile_copy
from tests.audit.test_html import Page

NO_REP = "No deal with meeting one, so no rep to compare."
CAPTION = "The rep's figures"


def _audit(folder: Path, owners: set[str] | None) -> AuditResult:
    data = restrict(read_files([folder], format=None, read=ReadOptions()), owners)
    return audit(data, AuditOptions(as_of=AS_OF), sources=[str(folder)])


@pytest.fixture(scope="module")
def folder(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worked example, rep r1 named like an attack."""
    return hostile_copy(shared / "examples" / "worked", tmp_path_factory.mktemp("one-rep"))


@pytest.fixture(scope="module")
def one_rep(folder: Path) -> AuditResult:
    """Rep r1's deals alone, as ``--rep r1`` reads them from the store."""
    return _audit(folder, {"r1"})


def test_one_rep_is_named_with_their_figures(one_rep: AuditResult) -> None:
    assert [rep.rep_id for rep in one_rep.by_rep] == ["r1"]
    html = render_html(one_rep)
    page = Page(html)
    (section,) = (s for s in page.all("section") if s.attrs.get("id") == "reps")
    text = section.content().replace("\xa0", " ")
    assert NO_REP not in page.root.content()
    assert "There is no other rep to compare with" in text
    assert HOSTILE in text  # named, as text
    assert not section.all("figure")  # no chart of one rep against itself
    assert "figure-reps" not in html
    # r1's four deals of the worked example: attendance is unknown, as no meeting of theirs
    # is a no-show (the audit cannot tell the source records them)
    row = [HOSTILE, "r1", "4", "67 %", "75 %", "unknown", "3.0", "67 %", "67 %"]
    assert page.table(CAPTION) == [
        ["Rep", "Id", "Deals with meeting one", *(m.heading for m in p.KEY_METRICS)],
        row,
    ]
    # the only rep's figures are the team's
    team = [text for text, _ in p.metric_cells(one_rep.team, None, p.KEY_METRICS)]
    assert row[2:] == [p.count(one_rep.team.deals_with_first_meeting), *team]


def test_the_rep_name_is_escaped(one_rep: AuditResult) -> None:
    html = render_html(one_rep)
    assert HOSTILE not in html
    start = html.index('<section id="reps"')
    reps = html[start : html.index("</section>", start)]
    assert reps.count(escape(HOSTILE)) == 2  # in the sentence and the table


def test_no_deal_with_meeting_one_still_says_so(folder: Path) -> None:
    empty = _audit(folder, {"nobody"})
    page = Page(render_html(empty))
    assert NO_REP in page.root.content()
    assert CAPTION not in page.root.content()


def test_unknown_attendance_is_said_in_plain_words(one_rep: AuditResult) -> None:
    """No meeting of r1's is a no-show: the note says so in words, not with the status's
    token."""
    (note,) = [n for n in p.unknown_notes(one_rep) if "attendance" in n]
    assert "no_show" not in note
    assert note.startswith("No meeting in the data is marked as a no-show")
    text = Page(render_html(one_rep)).root.content()
    assert "no_show" not in text
