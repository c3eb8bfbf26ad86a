"""The manager's week in Debian's Chromium (Playwright, loopback): open the dashboard and the
deals behind a figure, run the weekly review, record a commitment and see it checked in the
next week's review, print the review, edit a talk track and see the new version where talk
tracks are used — the coaching page's talk track for the rep's weakest step (the lock-in form
shows none) — and recorded by the next lock-in's booking."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import uvicorn

from momentum.contact.models import Contact
from momentum.db.engine import Database
from momentum.flag.models import Severity
from momentum.flag.repository import FlagRepository
from momentum.next_step.models import Side
from momentum.next_step.schemas import AgendaItem, LockIn
from momentum.user.models import Role
from momentum.user.schemas import Actor
from tests.engine.conftest import free_port
from tests.engine.world import make_asset
from tests.factories import make_rep
from tests.review.team import (
    NOW,
    PASSWORD,
    ManagerSite,
    ana_books_later_in_january,
    make_team,
)
from tests.waiting import wait_until

CHROMIUM = Path("/usr/bin/chromium")
# CI sets MOMENTUM_REQUIRE_BROWSER: there a missing chromium fails these tests instead
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("MOMENTUM_REQUIRE_BROWSER"),
    reason="Debian's chromium is not installed (apt-get install chromium)",
)


@pytest.fixture
def live(database: Database) -> Iterator[tuple[str, ManagerSite]]:
    with database.unit_of_work() as session:
        make_team(session)
        session.add(Contact(deal_id="D3", email="buyer@d3.test", name="Dee", created_at=NOW))
        make_asset(session)
        # a rep whose name is longer than a phone is wide (the rep pickers list it)
        make_rep(session, id="lee", name="Lee " + "Longname-" * 15, manager_id="maya")
        ana_books_later_in_january(session)
    site = ManagerSite(database)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(site.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started, 30, step=0.05), "the app did not start"
    try:
        yield f"http://127.0.0.1:{port}", site
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_manager_s_week_in_the_browser(live: tuple[str, ManagerSite]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, site = live
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{base}/login")
            page.fill("input[name=email]", "maya@seller.test")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")

            # the dashboard, and the deals behind "booked on the spot"
            page.goto(f"{base}/dashboard?team=north")
            expect(page.locator("h1")).to_have_text("Dashboard")
            expect(page.locator("#weekly")).to_contain_text("pending: 3")
            charts = page.locator("figure.chart img")
            expect(charts).to_have_count(6)
            for index in range(6):  # each chart arrived and is drawn (not a broken image)
                charts.nth(index).scroll_into_view_if_needed()
                page.wait_for_function(
                    "img => img.complete && img.naturalWidth > 0",
                    arg=charts.nth(index).element_handle(),
                )
            card = page.locator('[data-figure="second_meeting.booked_on_the_spot_rate"]')
            card.locator(".value a").click()
            expect(page.locator("h1")).to_contain_text("Booked on the spot")
            expect(page.locator("#deals-behind")).to_contain_text("D1 Ltd")
            expect(page.locator("#deals-behind")).to_contain_text("D5 Ltd")

            # on a phone, wide tables scroll by themselves: the page does not scroll sideways
            page.set_viewport_size({"width": 390, "height": 844})
            for path in (
                "/dashboard?team=north",
                "/review?week=2026-W09",
                "/coaching/ana",
                "/risk",
                "/calendar",
            ):
                page.goto(f"{base}{path}")
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
                    path
                )
            page.set_viewport_size({"width": 1280, "height": 900})

            # the weekly review of 2026-W09, held in 2026-W10: a commitment for 2026-W10
            site.clock.set(NOW - timedelta(days=7))
            page.goto(f"{base}/review?week=2026-W09")
            form = page.locator("#rep-ana form.commit-form")
            form.locator("input[name=text]").fill("Book half of second meetings on the spot")
            form.locator("select[name=metric]").select_option("on_the_spot_rate")
            # a target refused: back to the form, which still holds what was typed
            form.locator("input[name=target]").fill("half")
            form.locator("button[type=submit]").click()
            expect(page.locator("h1")).to_contain_text("422")
            page.click("text=Back to the form")
            expect(form.locator("input[name=text]")).to_have_value(
                "Book half of second meetings on the spot"
            )
            expect(form.locator("input[name=target]")).to_have_value("half")
            form.locator("input[name=target]").fill("50%")
            form.locator("button[type=submit]").click()
            expect(page.locator("#rep-ana .commitments-next")).to_contain_text(
                "Book half of second meetings on the spot"
            )
            # the print stylesheet leaves the forms out
            page.emulate_media(media="print")
            expect(page.locator("#rep-ana form.commit-form")).to_be_hidden()
            # better and worse are in black on paper: the word is printed beside the arrow
            expect(page.locator("#rep-ana .mark-word").first).to_have_css("position", "static")
            page.emulate_media(media="screen")

            # the next week's review shows it kept, from the figures
            site.clock.set(NOW)
            page.click("text=Next week →")
            expect(page.locator("h1")).to_contain_text("2026-W10")
            expect(page.locator("#rep-ana .commitments-checked")).to_contain_text("kept")

            # a new version of the lock-in talk track
            page.goto(f"{base}/playbook")
            page.click("text=Start from the built-in playbook")
            page.click("text=Book meeting two before we hang up")
            page.fill("textarea[name=body]", "Offer Tuesday 10:00 or Wednesday 14:00.")
            page.click("text=Save as version 2")
            expect(page.locator("#current")).to_have_text("Offer Tuesday 10:00 or Wednesday 14:00.")
            entry_url = page.url

            # the lock-in form shows no talk track: the talk track is used on the coaching
            # page, for the rep's weakest step (Ana books on the spot less often than Bo)
            page.goto(f"{base}/coaching/ana")
            expect(page.locator("#weakest-h + p")).to_contain_text("Booked before meeting one")
            talk_track = page.locator("#talk-track")
            expect(talk_track).to_have_attribute("data-version", "2")
            expect(talk_track).to_contain_text("Offer Tuesday 10:00 or Wednesday 14:00.")
            trend = page.locator("#trend-chart img")
            trend.scroll_into_view_if_needed()
            page.wait_for_function(  # the chart arrived and is drawn (not a broken image)
                "img => img.complete && img.naturalWidth > 0", arg=trend.element_handle()
            )

            # Ana locks in meeting two on D3: the booking records the playbook it used
            with site.engine.database.unit_of_work() as session:
                site.engine.next_steps(session).lock_in_next_meeting(
                    Actor(role=Role.REP, rep_id="ana"),
                    "D3",
                    LockIn(
                        start=datetime(2026, 3, 16, 14, 0),
                        agenda=[AgendaItem(side=Side.SELLER, text="The model")],
                        buyer_homework="Volumes",
                    ),
                )
            page.goto(entry_url)
            expect(page.locator('#versions tr[data-version="2"] td.num')).to_have_text("1")
            expect(page.locator('#versions tr[data-version="1"] td.num')).to_have_text("0")
        finally:
            browser.close()


def test_a_manager_edits_an_agenda_template_and_the_next_lock_in_offers_it(
    live: tuple[str, ManagerSite],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from momentum.meeting.models import Meeting
    from momentum.playbook.service import PlaybookService

    base, site = live
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            page.goto(f"{base}/login")
            page.fill("input[name=email]", "maya@seller.test")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")

            # the manager edits the ROI agenda template: version 2
            page.goto(f"{base}/playbook")
            page.click("text=Start from the built-in playbook")
            page.click("a:text-is('Your numbers in an ROI model')")
            page.fill(
                "textarea[name=body]",
                "Seller: An ROI model on your figures, with a payback date\n"
                "Buyer: Volumes, cost per unit and hours spent",
            )
            page.click("text=Save as version 2")
            expect(page.locator("#current")).to_contain_text("with a payback date")

            # the next lock-in on Ana's deal offers version 2; the script fills the agenda
            page.goto(f"{base}/lock-in/D3")
            template = page.locator("select[name=template]")
            expect(template.locator("option").first).to_have_text(
                "Your numbers in an ROI model (v2)"
            )
            template.select_option(label="Meet the people who decide (v1)")
            expect(page.locator("textarea[name=seller]")).to_have_value(
                re.compile("^A short recap")
            )
            template.select_option(label="Your numbers in an ROI model (v2)")
            expect(page.locator("textarea[name=seller]")).to_have_value(
                "An ROI model on your figures, with a payback date"
            )
            expect(page.locator("textarea[name=buyer]")).to_have_value(
                "Volumes, cost per unit and hours spent"
            )
            page.locator("select[name=homework_template]").select_option(
                label="Homework: Your numbers in an ROI model (v1)"
            )
            page.fill("input[name=when]", "2026-03-13T11:00")
            page.click(".submit-bar button.primary")
            if page.locator(".confirm-bar").count():
                page.click(".confirm-bar button.primary")
            page.wait_for_url("**/deals/D3?done=booked")
        finally:
            browser.close()

    with site.engine.database.unit_of_work(write=False) as session:
        revision = PlaybookService(session, clock=site.clock).revision()
        booked = session.query(Meeting).filter(Meeting.deal_id == "D3").all()
        [meeting] = [m for m in booked if m.start_at > site.clock.now()]
        assert meeting.agenda is not None and "with a payback date" in meeting.agenda
        assert (
            meeting.homework
            == "Send the three figures we agreed (volumes, cost per unit, hours spent)."
        )
        assert meeting.playbook_revision == revision


def test_wide_tables_become_one_card_per_row_on_a_phone(
    live: tuple[str, ManagerSite], database: Database
) -> None:
    """At risk and Settings: on a phone each row reads as a card, every cell in view, instead
    of a table scrolling sideways in its box (the amount and the task were off to the right)."""
    from playwright.sync_api import sync_playwright

    base, _ = live
    with database.unit_of_work() as session:
        FlagRepository(session).insert_many(
            [("D3", "no_show", "the buyer did not show up on Tue 3 Mar 2026", Severity.CRITICAL)],
            raised_at=NOW,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/login")
            page.fill("input[name=email]", "admin@seller.test")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            for path in ("/risk", "/settings"):
                page.goto(f"{base}{path}")
                assert path != "/risk" or "did not show up" in page.content()
                tables = page.locator("table.stacked")
                assert tables.count() >= 1, path
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                for index in range(tables.count()):
                    assert tables.nth(index).evaluate(
                        "t => t.parentElement.scrollWidth <= t.parentElement.clientWidth + 1"
                    ), f"a table scrolls inside its box on {path}"
                    cells = tables.nth(index).locator("td").all()
                    for cell in cells[:40]:
                        box = cell.bounding_box()
                        assert box is None or box["x"] + box["width"] <= 390, (
                            path,
                            cell.inner_text(),
                        )
        finally:
            browser.close()
