"""The dashboard and the audit API in the web app, on both databases: the API answers what
`momentum audit --json` prints for the same scope and period, the page shows the figures and
opens the deals behind them, pending weeks are marked, and scope is enforced (404); it says
when its figures were read and reads them again on "Refresh"."""

from __future__ import annotations

import html
import json
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from momentum.audit.findings import PLAYBOOK
from momentum.audit.store import load_dataset
from momentum.db.engine import Database
from momentum.playbook.models import PlaybookStep
from momentum.playbook.service import PlaybookService
from momentum.rep.models import Rep
from momentum.review import dashboard
from momentum.web.app import create_app
from tests.factories import make_deal, make_meeting
from tests.review.outcomes import PENDING_BY_WEEK, add_pending_in_other_weeks, import_demo
from tests.review.team import HELD, NOW, ManagerSite, at, make_team
from tests.waiting import wait_until
from tests.web.conftest import csrf_of


@pytest.fixture
def site(database: Database) -> ManagerSite:
    with database.unit_of_work() as session:
        make_team(session)
    return ManagerSite(database)


def test_the_api_answers_what_momentum_audit_prints(
    site: ManagerSite, database: Database, tmp_path: Path
) -> None:
    maya = site.signed_in("maya@seller.test")
    as_of = ["--as-of", NOW.isoformat()]  # the app's clock
    for query, args in (
        ("team=north", ["--team", "north"]),
        (
            "rep=ana&since=2026-03-01&until=2026-03-08",
            ["--rep", "ana", "--since", "2026-03-01", "--until", "2026-03-08"],
        ),
    ):
        answer = maya.get(f"/api/v1/audit?{query}")
        assert answer.status_code == 200, answer.text
        printed = subprocess.run(
            [sys.executable, "-m", "momentum", "audit", "--json", "-", *as_of, *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "MOMENTUM_DATABASE_URL": database.url},
            check=True,
        )
        assert answer.json() == json.loads(printed.stdout)
    assert maya.get("/api/v1/audit?team=south").status_code == 404
    assert maya.get("/api/v1/audit?rep=cy").status_code == 404


def test_the_page_opens_the_deals_behind_each_figure(site: ManagerSite) -> None:
    maya = site.signed_in("maya@seller.test")
    page = maya.get("/dashboard?team=north")
    assert page.status_code == 200, page.text
    assert 'data-figure="second_meeting.booked_on_the_spot_rate"' in page.text
    assert "pending: 3" in page.text  # 2026-W10
    assert '<p class="sub">Team north · ' in page.text  # names as written
    one = maya.get("/dashboard?rep=ana")
    assert '<p class="sub">Rep Ana Rep (ana) · ' in one.text
    cards = dict(re.findall(r'data-figure="([^"]+)">(.*?)</div>\s*</div>', page.text, re.S))
    assert re.search(r"</a> meetings ·", cards["second_meeting.attendance_rate"])
    assert " not rescheduled</a>" in cards["second_meeting.reschedule_rate"]  # not "missed"
    assert " lost</a>" in cards["close_rate_after_first_meeting"]
    deals = maya.get(
        "/dashboard/deals?team=north&figure=second_meeting.booked_on_the_spot_rate&part=numerator"
    )
    assert deals.status_code == 200
    assert "/deals/D1" in deals.text and "/deals/D5" in deals.text and "/deals/D2" not in deals.text
    assert "<td>Ana Rep</td>" in deals.text  # owners by name, as on every page
    of_ana = maya.get(
        "/dashboard/deals?team=north&figure=second_meeting.booked_on_the_spot_rate&of_rep=ana"
    )
    assert "the deals counted, Ana Rep</h1>" in of_ana.text
    missed = maya.get("/dashboard/deals?team=north&figure=second_meeting.attendance_rate&part=rest")
    assert "the deals with a no-show at meeting two</h1>" in missed.text
    assert "The figure counts meetings; a deal with several is listed once." in missed.text
    assert maya.get("/dashboard?team=south").status_code == 404
    assert maya.get("/dashboard/deals?figure=nonsense").status_code == 404
    spot = "/dashboard/deals?figure=second_meeting.booked_on_the_spot_rate"
    assert maya.get(f"{spot}&of_rep=cy").status_code == 404  # another team's rep
    assert maya.get(f"{spot}&of_rep=nobody").status_code == 404
    assert site.signed_in("admin@seller.test").get(f"{spot}&of_rep=nobody").status_code == 404
    bad_week = maya.get(f"{spot}&week=garbage")
    assert bad_week.status_code == 422 and "is not an ISO week" in bad_week.text
    assert maya.get(f"{spot}&week=2026-W10").status_code == 200
    unnamed = maya.get("/dashboard/deals?team=north")  # neither a figure nor a finding
    assert unnamed.status_code == 422 and "name a figure" in unnamed.text
    assert maya.get("/dashboard/deals?figure=no.such.figure").status_code == 404
    assert maya.get("/dashboard?since=yesterday").status_code == 422
    ana = site.signed_in("ana@seller.test")
    assert ana.get("/dashboard?rep=cy").status_code == 404
    # the view of maya's "rep=ana" is ana's whole scope: shared, under ana's own heading
    assert '<p class="sub">Everyone you can see · ' in ana.get("/dashboard").text
    assert '<p class="sub">Rep Ana Rep (ana) · ' in maya.get("/dashboard?rep=ana").text


def test_the_page_says_how_old_its_figures_are_and_refreshes_them(
    site: ManagerSite, database: Database
) -> None:
    with database.unit_of_work() as session:
        maya = session.get(Rep, "maya")
        assert maya is not None
        maya.timezone = "Asia/Tokyo"
    client = site.signed_in("maya@seller.test")
    page = client.get("/dashboard?team=north")
    assert "Figures as of 18:00" in page.text  # NOW is 09:00 UTC, 18:00 in Tokyo
    refresh = re.search(r'<a href="([^"]+)" rel="nofollow">Refresh</a>', page.text)
    assert refresh is not None
    assert "6 with meeting one held" in page.text
    with database.unit_of_work() as session:
        ana = session.get(Rep, "ana")
        assert ana is not None
        deal = make_deal(session, owner=ana, id="NEW")
        make_meeting(session, deal=deal, start=at(3, 9), status=HELD)
    assert "6 with meeting one held" in client.get("/dashboard?team=north").text  # kept
    site.clock.advance(timedelta(minutes=5))
    answer = client.get(html.unescape(refresh.group(1)))
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard?team=north"
    page = client.get(answer.headers["location"])
    assert "7 with meeting one held" in page.text
    assert "Figures as of 18:05" in page.text


def test_the_charts_come_as_images_of_the_view(site: ManagerSite) -> None:
    maya = site.signed_in("maya@seller.test")
    page = maya.get("/dashboard?team=north&since=2026-03-01")
    sources = [html.unescape(s) for s in re.findall(r'<img src="([^"]+)"', page.text)]
    assert len(sources) == 6
    assert all(s.endswith("?team=north&since=2026-03-01") for s in sources)
    drawn = 0
    for source in sources:
        chart = maya.get(source)
        assert chart.status_code == 200
        assert chart.headers["content-type"].startswith("image/svg+xml")
        assert chart.text.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in chart.text
        drawn += "nothing to draw" not in chart.text
    assert drawn >= 4
    assert "From meeting one to won" in maya.get("/dashboard/charts/funnel.svg?rep=ana").text
    one_rep = maya.get("/dashboard?rep=ana").text
    assert len(re.findall(r'<img src="', one_rep)) == 5 and "charts/reps.svg" not in one_rep
    assert maya.get("/dashboard/charts/funnel.svg?team=south").status_code == 404
    assert maya.get("/dashboard/charts/nonsense.svg").status_code == 404
    ana = site.signed_in("ana@seller.test")
    assert ana.get("/dashboard/charts/funnel.svg?rep=cy").status_code == 404


def test_the_store_is_read_once_the_server_starts(
    site: ManagerSite, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """``momentum serve`` reads the store's frames as it starts, so the first dashboard finds
    them read; an app made without it (as in the other tests) reads nothing until asked."""
    reads: list[object] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args)
        return load_dataset(*args, **kwargs)

    monkeypatch.setattr(dashboard, "load_dataset", counted)
    caplog.set_level(logging.INFO, logger="momentum.dashboard")
    with TestClient(site.app):
        assert reads == []
    site.app = create_app(site.engine.settings, engine=site.engine, read_frames_at_start=True)
    with TestClient(site.app):  # starts the app
        wait_until(lambda: "read the store's frames" in caplog.text, 30, step=0.05)
        assert "read the store's frames (8 deals, " in caplog.text
        page = site.signed_in("maya@seller.test").get("/dashboard?team=north")
        assert page.status_code == 200 and "6 with meeting one held" in page.text
        assert len(reads) == 1


def _pending_marks(page: str) -> dict[str, int]:
    """The weeks the page marks pending, with their counts."""
    return {
        week: int(count)
        for week, count in re.findall(
            r'<th scope="row">(\d{4}-W\d\d) <span class="pending"[^>]*>pending: (\d+)</span>', page
        )
    }


def test_the_pending_weeks_are_those_of_the_audit_json(
    site: ManagerSite, database: Database
) -> None:
    """The page marks exactly the weeks, and the counts, of the JSON's ``pending_by_week``
    (a deal whose meeting two is scheduled months on, a window lengthened by a holiday or
    not over yet in the rep's time zone: pending for the audit, so on the page)."""
    with database.unit_of_work() as session:
        add_pending_in_other_weeks(session)
    admin = site.signed_in("admin@seller.test")
    answer = admin.get("/api/v1/audit").json()
    by_week = {w["week"]: w["pending"] for w in answer["pending_by_week"] if w["pending"]}
    assert by_week == PENDING_BY_WEEK
    assert _pending_marks(admin.get("/dashboard").text) == by_week
    maya = site.signed_in("maya@seller.test")
    north = maya.get("/api/v1/audit?team=north").json()["pending_by_week"]
    marks = _pending_marks(maya.get("/dashboard?team=north").text)
    assert marks == {w["week"]: w["pending"] for w in north if w["pending"]}


def _ids(page: str, list_id: str) -> list[str]:
    found = re.search(rf'<(?:ol|ul)[^>]* id="{list_id}">(.*?)</(?:ol|ul)>', page, re.S)
    return re.findall(r'data-finding="([^"]+)"', found.group(1)) if found else []


def test_findings_not_established_are_listed_apart_and_not_ranked(
    site: ManagerSite, database: Database, tmp_path: Path
) -> None:
    import_demo(database, tmp_path / "demo")
    admin = site.signed_in("admin@seller.test")
    findings = admin.get("/api/v1/audit").json()["findings"]
    established = [
        f["id"] for f in sorted(findings, key=lambda f: f["rank"] or 0) if f["established"]
    ]
    # as in the report: only those past the practical bar (with a test) are listed apart,
    # and only the practices: a rep is never named on a finding that is not established
    near = [f for f in findings if not f["established"] and f["evidence"]["p_value"] is not None]
    others = [f["id"] for f in near if f["kind"] == "practice"]
    unnamed = [f for f in near if f["kind"] == "rep"]
    assert established and unnamed and len(established) + len(near) < len(findings)
    page = admin.get("/dashboard").text
    assert _ids(page, "findings-established") == established  # ranked, by impact
    assert _ids(page, "findings-not-established") == others
    if others:
        assert '<h3 id="findings-not-established-h">Not established</h3>' in page
        assert "once every comparison made is allowed for" in page
    listed = set(re.findall(r'data-finding="([^"]+)"', page))
    assert listed == {*established, *others}  # the rest stand out nowhere
    for finding in unnamed:
        assert str(escape(finding["text"])) not in page
    # ... but counted, in the report's words
    assert re.search(rf"{len(unnamed)} comparisons? of a rep with the rest of the team", page)
    # each established finding shows what it compares: a rep's rate there counts only deals
    # whose outcome is known, so it may differ from the rep's row in the figures
    for finding in (f for f in findings if f["established"]):
        item = page[page.index(f'data-finding="{finding["id"]}"') :]
        item = item[: item.index("</li>")]
        for side in ("group", "reference"):
            numbers = finding["evidence"][side]
            counted = f"({numbers['numerator']} of {numbers['denominator']} {numbers['unit']}"
            assert counted in item, (finding["id"], side)
        assert f"<dd>{escape(finding['evidence']['left_out'])}</dd>" in item
    end = page.index("Not established") if others else page.index('id="weekly-h"')
    ranked = page[page.index('id="findings-established"') : end]
    for finding in findings:
        if not finding["established"]:
            assert str(escape(finding["text"])) not in ranked


def test_each_established_finding_shows_the_teams_talk_track_for_its_step(
    site: ManagerSite, database: Database, tmp_path: Path
) -> None:
    import_demo(database, tmp_path / "demo")
    admin = site.signed_in("admin@seller.test")
    findings = [f for f in admin.get("/api/v1/audit").json()["findings"] if f["established"]]
    assert findings

    def item(page: str, finding: dict[str, Any]) -> str:
        found = page[page.index(f'data-finding="{finding["id"]}"') :]
        return found[: found.index("</li>")]

    page = admin.get("/dashboard").text
    for finding in findings:  # none written yet: the page says so, and where to write one
        assert "The playbook has no talk track for this step yet" in item(page, finding)

    admin.post("/playbook/start", data={"csrf_token": csrf_of(admin.get("/playbook").text)})
    with database.unit_of_work(write=False) as session:
        tracks = PlaybookService(session, clock=site.clock).talk_tracks()
    assert len(tracks) == len(PlaybookStep)
    page = admin.get("/dashboard").text
    for finding in findings:
        track = tracks[PLAYBOOK[finding["playbook"]].talk_track]
        shown = item(page, finding)
        assert f'<a href="/playbook/{track.entry_id}">{escape(track.title)}</a>' in shown
