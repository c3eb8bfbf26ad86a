"""The manager's pages in the web app, on both databases: the weekly review (commitments
recorded and checked, print stylesheet, CSV), deals at risk (assign), coaching (notes), the
playbook (managers edit, reps read) — and nobody opens another team's page (404)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from momentum.db.engine import Database
from momentum.flag.models import Flag, Severity
from momentum.rep.models import Rep
from momentum.task.models import Task, TaskStatus
from tests.factories import make_deal
from tests.review.outcomes import import_demo
from tests.review.team import NOW, ManagerSite, make_team
from tests.web.conftest import csrf_of

MAYA, SAM, ANA, CY, ADMIN = (
    "maya@seller.test",
    "sam@seller.test",
    "ana@seller.test",
    "cy@seller.test",
    "admin@seller.test",
)


@pytest.fixture
def site(database: Database) -> ManagerSite:
    with database.unit_of_work() as session:
        make_team(session)
        session.add(
            Flag(
                deal_id="D3",
                rule="meeting_two_not_booked",
                reason="Meeting one was held and <b>meeting two</b> is not booked",
                severity=Severity.CRITICAL,
                raised_at=NOW - timedelta(days=4),
            )
        )
        session.add(
            Task(
                deal_id="D3",
                owner_id="ana",
                title="Book meeting two with D3 Ltd",
                rule="meeting_two_not_booked",
                due_at=NOW,
                status=TaskStatus.OPEN,
                created_at=NOW - timedelta(days=4),
            )
        )
    return ManagerSite(database)


def _commit(client: Any, page: str, **fields: str) -> Any:
    """Record a commitment of Ana's for 2026-W10 from the review ``page``."""
    data = {"csrf_token": csrf_of(page), "rep_id": "ana", "week": "2026-W10", **fields}
    return client.post("/review/commitments", data=data)


def test_the_weekly_review_records_and_checks_commitments(site: ManagerSite) -> None:
    maya = site.signed_in(MAYA)
    site.clock.set(NOW - timedelta(days=7))  # at the review of 2026-W09, in 2026-W10
    page = maya.get("/review?week=2026-W09")
    assert page.status_code == 200
    assert 'id="rep-ana"' in page.text and 'id="rep-cy"' not in page.text
    assert "/static/manager.css" in page.text
    answer = _commit(
        maya,
        page.text,
        text="Half of second meetings on the spot",
        metric="on_the_spot_rate",
        target="50%",
        back="/review?week=2026-W09",
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/review?week=2026-W09"
    _commit(maya, page.text, text="Call the CFO")
    assert "Half of second meetings on the spot" in maya.get("/review?week=2026-W09").text
    site.clock.set(NOW)
    after = maya.get("/review")  # the last complete week: 2026-W10
    assert "Weekly review · 2026-W10" in after.text
    assert re.search(
        r"Half of second meetings on the spot\s*<span class=\"kept\">kept</span>", after.text
    )
    call = re.search(r'data-commitment="(\d+)">Call the CFO', after.text)
    assert call is not None
    maya.post(
        f"/review/commitments/{call.group(1)}/mark",
        data={"csrf_token": csrf_of(after.text), "kept": "no"},
    )
    assert re.search(
        r"Call the CFO\s*<span class=\"missed\">not kept</span>", maya.get("/review").text
    )
    # without the form's token nothing changes
    refused = maya.post(
        "/review/commitments", data={"rep_id": "ana", "week": "2026-W11", "text": "x"}
    )
    assert refused.status_code == 403
    download = maya.get("/review.csv")
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    ana = next(row for row in rows if row["rep_id"] == "ana")
    assert (ana["first_meetings"], ana["commitments_kept"], ana["commitments_missed"]) == (
        "3",
        "1",
        "1",
    )


@pytest.mark.parametrize(
    ("metric", "target", "problem"),
    [
        ("slipped", "-3", "is not a number of 0 or more"),
        ("on_the_spot_rate", "-5%", "is not a number of 0 or more"),
        ("no_shows", "nan", "is not a number of 0 or more"),
        ("no_shows", "inf", "is not a number of 0 or more"),
        ("no_shows", "50%", "is not a count"),
        ("no_shows", "1.5", "is not a count"),
        ("on_the_spot_rate", "150", "is not a share of at most 100 %"),
        ("on_the_spot_rate", "101%", "is not a share of at most 100 %"),
        ("nope", "2", "is not a figure the review checks"),
        ("", "2", "choose the figure the target is for"),
        ("slipped", "abc", "is not a number"),
    ],
)
def test_a_commitment_s_wrong_target_comes_back_as_a_422(
    site: ManagerSite, metric: str, target: str, problem: str
) -> None:
    maya = site.signed_in(MAYA)
    page = maya.get("/review?week=2026-W09")
    answer = _commit(maya, page.text, text="Fewer slipped deals", metric=metric, target=target)
    assert answer.status_code == 422, answer.text[:300]
    assert problem in html.unescape(answer.text)


def test_a_refused_form_links_back_to_the_page_it_was_on(site: ManagerSite) -> None:
    maya = site.signed_in(MAYA)
    page = maya.get("/review?week=2026-W09")
    for referrer, back in (
        ("http://testserver/review?week=2026-W09", "/review?week=2026-W09"),
        ("https://elsewhere.example/review", None),  # another site's page: no link to it
        ("", None),
    ):
        data = {"csrf_token": csrf_of(page.text), "rep_id": "ana", "week": "2026-W10"}
        answer = maya.post(
            "/review/commitments",
            data={**data, "text": "x", "metric": "slipped", "target": "abc"},
            headers={"referer": referrer},
        )
        assert answer.status_code == 422
        link = re.search(r'<a href="([^"]*)" data-back>Back to the form</a>', answer.text)
        assert (link and html.unescape(link.group(1))) == back, referrer
        assert ('src="/static/back.js"' in answer.text) == (back is not None)


@pytest.mark.parametrize("target", ["60", "60%", "60 %", "0.6"])
def test_a_share_target_is_read_as_a_percentage_or_a_fraction(
    site: ManagerSite, target: str
) -> None:
    maya = site.signed_in(MAYA)
    site.clock.set(NOW - timedelta(days=7))  # in 2026-W10, the week committed for
    page = maya.get("/review?week=2026-W09")
    answer = _commit(
        maya, page.text, text="More on the spot", metric="on_the_spot_rate", target=target
    )
    assert answer.status_code == 303, answer.text[:300]
    shown = maya.get("/review?week=2026-W09").text
    assert 'More on the spot <span class="sub">(second meetings booked on the spot' in shown
    assert "target 60%; checked from the figures" in shown


def test_nobody_opens_another_team_s_pages(site: ManagerSite) -> None:
    cy, sam, ana = site.signed_in(CY), site.signed_in(SAM), site.signed_in(ANA)
    assert cy.get("/review?rep=ana").status_code == 404
    assert cy.get("/review?team=north").status_code == 404
    assert cy.get("/review.csv?rep=ana").status_code == 404
    assert cy.get("/coaching/ana").status_code == 404
    assert sam.get("/coaching/ana").status_code == 404
    assert sam.get("/coaching/ana/trend.svg").status_code == 404
    assert sam.get("/risk?rep=ana").status_code == 404
    page = sam.get("/coaching/cy")
    assert (
        sam.post(
            "/coaching/ana/notes", data={"csrf_token": csrf_of(page.text), "body": "x"}
        ).status_code
        == 404
    )
    # a rep sees their own review and coaching page, but never the notes about them
    own = ana.get("/coaching/ana")
    assert own.status_code == 200 and "Coaching notes" not in own.text
    assert (
        ana.post(
            "/coaching/ana/notes", data={"csrf_token": csrf_of(own.text), "body": "x"}
        ).status_code
        == 404
    )
    assert 'id="rep-ana"' in ana.get("/review").text


def test_coaching_notes_and_the_talk_track(site: ManagerSite) -> None:
    maya = site.signed_in(MAYA)
    playbook = maya.get("/playbook")
    maya.post("/playbook/start", data={"csrf_token": csrf_of(playbook.text)})
    page = maya.get("/coaching/ana")
    assert page.status_code == 200
    assert "the last twelve weeks, so a rate here can differ from the dashboard" in page.text
    assert 'data-step="second_meeting.booked_on_the_spot_rate"' in page.text
    assert "Meeting one was held and &lt;b&gt;meeting two&lt;/b&gt; is not booked" in page.text
    # the twelve-week chart, an image of its own: inlined, its styles would be stripped by
    # the page's Content-Security-Policy (no inline styles)
    assert "<svg" not in page.text
    assert '<img src="/coaching/ana/trend.svg"' in page.text
    image = maya.get("/coaching/ana/trend.svg")
    assert image.headers["content-type"].startswith("image/svg+xml")
    chart = image.text  # Ana's line, the team's, her pending weeks shaded
    assert 'id="chart-trend-booked-on-the-spot-mine"' in chart
    assert 'id="chart-trend-booked-on-the-spot-others"' in chart
    assert 'id="chart-trend-held-pending-2026-W10"' in chart
    assert "<script" not in chart
    maya.post(
        "/coaching/ana/notes",
        data={"csrf_token": csrf_of(page.text), "body": "Practise <the> two-slot close"},
    )
    empty = maya.post("/coaching/ana/notes", data={"csrf_token": csrf_of(page.text)})
    assert empty.status_code == 422 and "body: Field required" in empty.text  # was ": Field…"
    again = maya.get("/coaching/ana")
    assert "Practise &lt;the&gt; two-slot close" in again.text
    note = re.search(r'data-note="(\d+)"', again.text)
    assert note is not None
    admin = site.signed_in(ADMIN)
    assert "Practise &lt;the&gt; two-slot close" in admin.get("/coaching/ana").text
    maya.post(f"/coaching/notes/{note.group(1)}/delete", data={"csrf_token": csrf_of(again.text)})
    assert "two-slot close" not in maya.get("/coaching/ana").text


def test_a_manager_who_sells_has_a_coaching_page_without_notes_about_themselves(
    site: ManagerSite,
) -> None:
    maya = site.signed_in(MAYA)
    own = maya.get("/coaching/maya")  # the dashboard's rep table links to it
    assert own.status_code == 200 and "Coaching notes" not in own.text
    answer = maya.post("/coaching/maya/notes", data={"csrf_token": csrf_of(own.text), "body": "x"})
    assert answer.status_code == 404
    assert "Coaching notes" in site.signed_in(ADMIN).get("/coaching/maya").text


def test_deals_at_risk_and_a_task_reassigned(site: ManagerSite) -> None:
    maya = site.signed_in(MAYA)
    page = maya.get("/risk?sort=amount")
    assert page.status_code == 200
    assert "Meeting two not booked" in page.text and "&lt;b&gt;meeting two&lt;/b&gt;" in page.text
    task = re.search(r'action="/risk/tasks/(\d+)/assign"', page.text)
    assert task is not None
    token = csrf_of(page.text)
    assert (
        maya.post(
            f"/risk/tasks/{task.group(1)}/assign", data={"csrf_token": token, "rep_id": "cy"}
        ).status_code
        == 404
    )
    # bo could not open ana's deal, so the task is not his to take, nor offered to him
    refused = maya.post(
        f"/risk/tasks/{task.group(1)}/assign", data={"csrf_token": token, "rep_id": "bo"}
    )
    assert refused.status_code == 409 and "Bo Rep cannot open D3 Ltd (D3)" in refused.text
    form = page.text[page.text.index(task.group(0)) :].split("</form>")[0]
    assert 'value="maya"' in form and 'value="bo"' not in form
    moved = maya.post(
        f"/risk/tasks/{task.group(1)}/assign",
        data={"csrf_token": token, "rep_id": "maya", "back": "/risk?sort=amount"},
    )
    assert moved.headers["location"] == "/risk?sort=amount&done=assigned"
    assert "The task has its new owner." in maya.get(moved.headers["location"]).text
    assert "Maya Manager, due" in maya.get("/risk").text
    assert site.signed_in(ANA).get("/risk").status_code == 200  # her own deals only
    # the deal's owner sees on the deal who has the task now
    assert " · given to Maya Manager</span>" in site.signed_in(ANA).get("/deals/D3").text


def test_the_playbook_keeps_versions_and_reps_only_read(site: ManagerSite) -> None:
    maya = site.signed_in(MAYA)
    page = maya.get("/playbook")
    maya.post("/playbook/start", data={"csrf_token": csrf_of(page.text)})
    listing = maya.get("/playbook").text
    entry = re.search(r'data-entry="(\d+)"', listing)
    assert entry is not None
    entry_page = maya.get(f"/playbook/{entry.group(1)}")
    maya.post(
        f"/playbook/{entry.group(1)}",
        data={"csrf_token": csrf_of(entry_page.text), "title": "Two slots", "body": "Offer two."},
    )
    edited = maya.get(f"/playbook/{entry.group(1)}").text
    assert 'data-version="2"' in edited and 'data-version="1"' in edited and "Offer two." in edited
    stepless = maya.post(
        "/playbook",
        data={"csrf_token": csrf_of(edited), "kind": "talk_track", "title": "t", "body": "b"},
    )  # a talk track names its step, in words, without pydantic's
    assert stepless.status_code == 422
    assert "<p>a talk track is written for a step</p>" in stepless.text
    # a bad value in the address is named as the address names it
    paged = maya.get("/risk?page=0")
    assert paged.status_code == 422 and "<p>page: " in paged.text
    mistyped = maya.get("/risk?rule=gap_to_long")
    assert mistyped.status_code == 422 and "&#39;gap_to_long&#39; is not a rule" in mistyped.text
    ana = site.signed_in(ANA)
    read = ana.get("/playbook")
    assert (
        read.status_code == 200
        and "Two slots" in read.text
        and "Add to the playbook" not in read.text
    )
    assert (
        ana.post(
            f"/playbook/{entry.group(1)}",
            data={"csrf_token": csrf_of(read.text), "title": "Mine", "body": "mine"},
        ).status_code
        == 403
    )


def test_the_value_asset_page_keeps_versions_for_managers_and_reps_read(
    site: ManagerSite,
) -> None:
    maya = site.signed_in(MAYA)
    page = maya.get("/playbook")
    fields = {
        "title": "What plants like yours saved",
        "kind": "data_point",
        "summary": "Three plants cut changeover time by 31 %.",
        "url": "https://example.test/changeover",
        "tags": "manufacturing",
    }
    added = maya.post("/playbook/assets/new", data={"csrf_token": csrf_of(page.text), **fields})
    assert added.status_code == 303
    found = re.search(r'data-asset="(\d+)"', maya.get("/playbook").text)
    assert found is not None
    url = f"/playbook/assets/{found.group(1)}"
    asset_page = maya.get(url)
    assert 'data-version="1"' in asset_page.text and 'data-version="2"' not in asset_page.text
    edited = maya.post(
        url,
        data={
            "csrf_token": csrf_of(asset_page.text),
            **fields,
            "summary": "Five plants cut <b>changeover</b> time by 27 %.",
        },
    )
    assert edited.status_code == 303 and edited.headers["location"] == url
    versions = maya.get(url).text
    assert 'data-version="2"' in versions and 'data-version="1"' in versions
    assert "Three plants cut changeover time by 31 %." in versions  # the previous version
    assert "Five plants cut &lt;b&gt;changeover&lt;/b&gt; time by 27 %." in versions
    bad = maya.post(url, data={"csrf_token": csrf_of(versions), **fields, "url": "javascript:1"})
    assert bad.status_code == 422

    ana = site.signed_in(ANA)
    read = ana.get(url)
    assert read.status_code == 200 and "Five plants cut" in read.text
    assert 'id="versions"' not in read.text and "Save as a new version" not in read.text
    refused = ana.post(url, data={"csrf_token": csrf_of(read.text), **fields})
    assert refused.status_code == 403
    assert maya.get("/playbook/assets/10000").status_code == 404


def test_a_rule_with_more_flags_than_a_page_is_paged(database: Database) -> None:
    with database.unit_of_work() as session:
        make_team(session)
        ana = session.get(Rep, "ana")
        assert ana is not None
        for n in range(201):
            deal = make_deal(session, owner=ana, id=f"R{n:03d}", account=f"Risky {n:03d}")
            session.add(
                Flag(
                    deal_id=deal.id,
                    rule="gap_too_long",
                    reason="Meeting two is too far from meeting one",
                    severity=Severity.WARNING,
                    raised_at=NOW - timedelta(days=1, minutes=n),  # R200 the oldest
                )
            )
    maya = ManagerSite(database).signed_in(MAYA)
    first = maya.get("/risk?sort=age").text
    assert "201 deals" in first and "1–200 shown" in first and "Page 1 of 2" in first
    assert "Risky 200" in first and "Risky 000" not in first
    assert 'href="/risk?sort=age&amp;rule=gap_too_long&amp;page=2" rel="next"' in first
    second = maya.get("/risk?sort=age&rule=gap_too_long&page=2").text
    assert "201–201 shown" in second and "Risky 000" in second and "Risky 200" not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_commitments_are_for_the_week_under_way_or_the_next_only(site: ManagerSite) -> None:
    """NOW is in 2026-W11: the review of 2026-W10 records for 2026-W11, that of 2026-W11 for
    2026-W12. Any other review once offered the form too and recorded a commitment for a week
    long over (or one no review has come to yet): it offers none, and a post is refused."""
    maya = site.signed_in(MAYA)
    for week, open_for in (("2026-W10", "2026-W11"), ("2026-W11", "2026-W12")):
        page = maya.get(f"/review?week={week}").text
        assert f'name="week" value="{open_for}"' in page and "commitments-closed" not in page
        answer = _commit(maya, page, week=open_for, text=f"Call the CFO in {open_for}")
        assert answer.status_code == 303, answer.text[:300]
    for week in ("2025-W30", "2026-W09"):
        page = maya.get(f"/review?week={week}").text
        assert 'action="/review/commitments"' not in page
        assert "Commitments are recorded at the review of the last complete week" in page
    for week in ("2026-W12", "2026-W20"):  # not begun: no review, and no link to one
        answer = maya.get(f"/review?week={week}")
        assert answer.status_code == 422 and f"week {week} has not begun" in answer.text
    under_way = maya.get("/review?week=2026-W11").text
    assert "Next week →" not in under_way and 'id="under-way"' in under_way
    assert "(worse)" not in under_way and "(better)" not in under_way  # figures so far
    over = maya.get("/review?week=2026-W10").text
    assert "Next week →" in over and 'id="under-way"' not in over
    for week, why in (
        ("2025-W31", "week 2025-W31 is over"),
        ("2026-W10", "week 2026-W10 is over"),
        ("2026-W13", "week 2026-W13 has not come up for review yet"),
    ):
        page = maya.get("/review").text
        answer = _commit(maya, page, week=week, text="Book on the spot")
        assert answer.status_code == 409, (week, answer.text[:300])
        assert why in html.unescape(answer.text)
        assert "the week under way (2026-W11" in html.unescape(answer.text)
    assert "Book on the spot" not in maya.get("/review?week=2026-W09").text
    # a rep's own review offers no form either (managers and administrators record)
    assert 'action="/review/commitments"' not in site.signed_in(ANA).get("/review").text


def test_a_figure_commitment_waits_for_its_week_to_end(site: ManagerSite) -> None:
    """In the week under way (NOW is in 2026-W11) a commitment on a figure shows its figure
    and target and says when it is checked; only one without a figure can be marked."""
    maya = site.signed_in(MAYA)
    page = maya.get("/review?week=2026-W10").text
    for fields in (
        {"text": "Book 60% on the spot", "metric": "on_the_spot_rate", "target": "60%"},
        {"text": "Call the CFO"},
    ):
        _commit(maya, page, week="2026-W11", **fields)
    under_way = maya.get("/review?week=2026-W11").text
    spot = re.search(r'data-commitment="(\d+)">Book 60% on the spot(.*?)</li>', under_way, re.S)
    call = re.search(r'data-commitment="(\d+)">Call the CFO(.*?)</li>', under_way, re.S)
    assert spot is not None and call is not None
    assert "checked from the figures when the week is over" in spot.group(2)
    assert "booked on the spot (share, at least): target 60%" in spot.group(2)
    assert "/mark" not in spot.group(2) and "not marked" not in spot.group(2)
    assert f"/review/commitments/{call.group(1)}/mark" in call.group(2)
    assert "not marked" in call.group(2)
    # kept, it can be any day; not kept, only once the week is over
    assert ">Kept</button>" in call.group(2) and ">Not kept</button>" not in call.group(2)
    mark = f"/review/commitments/{call.group(1)}/mark"
    refused = maya.post(mark, data={"kept": "no", "csrf_token": csrf_of(under_way)})
    assert refused.status_code == 409
    assert "week 2026-W11 is not over yet" in html.unescape(refused.text)
    assert maya.post(mark, data={"kept": "yes", "csrf_token": csrf_of(under_way)}).is_redirect
    # one for next week cannot be kept before its week begins
    _commit(maya, under_way, week="2026-W12", text="Call the CTO")
    ahead = re.search(
        r'data-commitment="(\d+)">Call the CTO', maya.get("/review?week=2026-W11").text
    )
    assert ahead is not None
    early = maya.post(
        f"/review/commitments/{ahead.group(1)}/mark",
        data={"kept": "yes", "csrf_token": csrf_of(under_way)},
    )
    assert early.status_code == 409 and "week 2026-W12 has not begun" in html.unescape(early.text)


def test_the_review_marks_better_and_worse_in_words_too(site: ManagerSite) -> None:
    page = site.signed_in(MAYA).get("/review?week=2026-W10&rep=ana").text
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', page, re.S))
    # no-shows rose (1 against 0 before): worse; first meetings rose: better
    assert '<span class="worse">↑ more<span class="mark-word"> (worse)</span>' in rows["No-shows"]
    assert (
        '<span class="better">↑<span class="mark-word"> (better)</span>' in rows["First meetings"]
    )
    # outcomes not known yet rose, but neither way is better: no mark
    assert "Outcome not known yet" in rows
    assert "better" not in rows["Outcome not known yet"]
    assert "worse" not in rows["Outcome not known yet"]
    # a week across the new year names both years
    first = site.signed_in(MAYA).get("/review?week=2026-W01").text
    assert "Mon 29 Dec 2025 – Sun 4 Jan 2026" in first


def test_coaching_never_names_a_rep_on_a_finding_not_established(
    site: ManagerSite, database: Database, tmp_path: Path
) -> None:
    """A rep is named only on established findings: the audit's others about a rep are
    nowhere on their coaching page (where to start: tests/coaching)."""
    import_demo(database, tmp_path / "demo")
    admin = site.signed_in(ADMIN)
    audit = admin.get("/api/v1/audit").json()["findings"]
    seen = 0
    for rep in [f"r{n:02d}" for n in range(1, 13)]:
        others = [f for f in audit if f["rep_id"] == rep and not f["established"]]
        if not others:
            continue
        seen += len(others)
        page = admin.get(f"/coaching/{rep}").text
        for finding in others:
            assert str(escape(finding["text"])) not in page, (rep, finding["text"])
    assert seen  # the demo has findings about reps that are not established
