"""Hostile names render as text, never as markup, on the rep's pages: Today, My deals, the deal
page and the calendar, on both databases.

The names come from the real Salesforce export in shared/data/real (its descriptions hold an
``<img onerror>`` attack, quotes and ampersands, embedding marks, 146 characters of combining
marks), imported as the deals' names and accounts. That export has no ``<script>`` and no
right-to-left override, so those, a template expression and a 300-character name are added
here as generated deals."""

from __future__ import annotations

import csv
import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.deal.models import Deal
from momentum.importers.canonical import ReadOptions
from momentum.importers.service import import_files
from momentum.rep.models import Rep
from tests.engine.conftest import NOW
from tests.factories import make_deal, make_meeting
from tests.web.conftest import PASSWORD, USERS, Site
from tests.web.test_rep_browser import CHROMIUM, browser, live, smtp_server

__all__ = ["browser", "live", "smtp_server"]  # the browser tests' fixtures, shared

REAL = "data/real/crm/salesforce-apex-recipes/Opportunities.csv"
MAPPING = """\
[deals.columns]
deal_id = ["name", "closedate"]
name = "description"
account = "description"
stage = "StageName"
amount = "amount"
[deals.fixed]
owner_id = "ana"
outcome = "open"
"""
GENERATED = [
    '<script>alert("x")</script>',
    '"><svg/onload=alert(1)>',
    "\u202eexe.doc",  # a right-to-left override
    "{{ 7*7 }}{% raw %}",
    "</textarea><b>bold</b>",
    'O\'Brien & "Sons"',
    "Long " + "name " * 60,
]
HOSTILE = re.compile(r"[<>\"'&{}]|[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def real_names(shared: Path) -> list[str]:
    """The hostile descriptions of the real export (as the import stores them: trimmed)."""
    with (shared / REAL).open(encoding="utf-8", newline="") as handle:
        names = {row["description"].strip() for row in csv.DictReader(handle)}
    return sorted(n for n in names if HOSTILE.search(n) or len(n) > 100)


@pytest.fixture
def hostile(site: Site, database: Database, shared: Path, tmp_path: Path) -> list[str]:
    """Ana's store with the real export's deals and the generated ones, each with a meeting
    that waits for its outcome today; the hostile names."""
    mapping = tmp_path / "apex.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    import_files(
        database,
        [shared / REAL],
        format=None,
        options=ReadOptions(mapping=mapping),
        clock=FixedClock(NOW),
    )
    names = real_names(shared)
    assert "<img src=x onerror=alert('hi') />" in names
    assert "\u202a\u202atest\u202a" in names
    with database.unit_of_work() as session:
        for number, name in enumerate(GENERATED):
            make_deal(session, owner=site.world.rep, id=f"H{number}", name=name, account=name)
        deals = session.scalars(select(Deal).where(Deal.name.in_(names + GENERATED))).all()
        for number, deal in enumerate(deals):
            start = NOW - timedelta(hours=3) + timedelta(minutes=number)
            make_meeting(session, deal=deal, id=f"hostile-{number}", start=start)
    return names + GENERATED


def named_deals(database: Database, names: list[str]) -> list[tuple[str, str]]:
    with database.unit_of_work(write=False) as session:
        found = session.execute(select(Deal.id, Deal.name).where(Deal.name.in_(names))).all()
        return [(deal_id, name) for deal_id, name in found if name is not None]


def all_deal_pages(client: TestClient) -> str:
    """Every page of My deals, following its next links."""
    pages, url = [], "/deals"
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.text
        pages.append(page.text)
        more = re.search(r'href="(/deals\?[^"]*cursor=[^"]+)"', page.text)
        url = more.group(1).replace("&amp;", "&") if more else ""
    return "\n".join(pages)


def assert_escaped(html: str, names: list[str], where: str) -> None:
    # the only script elements are the app's own files (its CSP forbids inline script)
    assert re.findall(r"<script(?![^>]*\bsrc=\"/static/)", html, re.IGNORECASE) == [], where
    assert "<img src=x" not in html and "<svg" not in html.lower(), where
    assert "<b>bold</b>" not in html and "</textarea><b>" not in html, where
    for name in names:
        assert str(escape(name)) in html, (where, name)


def test_hostile_names_are_escaped_on_every_page_of_the_rep(
    site: Site, database: Database, hostile: list[str]
) -> None:
    ana = site.signed_in("ana")
    today = ana.get("/today")
    assert today.status_code == 200
    assert_escaped(today.text, hostile, "today")
    assert_escaped(all_deal_pages(ana), hostile, "deals")
    calendar = ana.get(f"/calendar?date={NOW.date().isoformat()}")
    assert calendar.status_code == 200
    assert_escaped(calendar.text, [], "calendar")
    # a week's day shows its first meetings; the day view lists them all
    day = ana.get(f"/calendar?view=day&date={NOW.date().isoformat()}")
    assert day.status_code == 200
    assert_escaped(day.text, hostile, "calendar day")
    deals = named_deals(database, hostile)
    assert len(deals) >= len(hostile)  # the real export repeats one of its names
    for deal_id, name in deals:
        page = ana.get(f"/deals/{quote(deal_id, safe='')}")
        assert page.status_code == 200, (deal_id, page.text)
        assert_escaped(page.text, [name], f"deal {deal_id}")


@pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("MOMENTUM_REQUIRE_BROWSER"),
    reason="Chromium is not installed (Debian: apt-get install chromium): browser tests skipped",
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_in_the_browser_hostile_names_run_nothing_and_read_as_written(
    live: tuple[str, object], browser, database: Database
) -> None:  # type: ignore[no-untyped-def]
    """Chromium runs none of the names (no alert opens) and shows each as its text."""
    base, _ = live
    with database.unit_of_work() as session:
        ana = session.get(Rep, "ana")
        assert ana is not None
        for number, name in enumerate(GENERATED):
            deal = make_deal(session, owner=ana, id=f"H{number}", name=name, account=name)
            start = NOW - timedelta(hours=3) + timedelta(minutes=number)
            make_meeting(session, deal=deal, id=f"hostile-{number}", start=start)
    context = browser.new_context(base_url=base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto("/login")
    page.fill("input[name=email]", USERS["ana"][0])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")
    for path in ("/today", "/deals", f"/calendar?date={NOW.date().isoformat()}", "/deals/H0"):
        page.goto(path)
        shown = page.inner_text("main")
        for name in GENERATED if path != "/deals/H0" else GENERATED[:1]:
            assert " ".join(name.split()) in " ".join(shown.split()), (path, name)
        assert page.locator("main svg[onload], main img[onerror], main b").count() == 0, path
    assert dialogs == []
    context.close()
