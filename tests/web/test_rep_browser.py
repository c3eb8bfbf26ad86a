"""In Debian's Chromium (Playwright for Python, never a downloaded browser), against the app
served by uvicorn on loopback: a rep signs in, sees Today, locks in meeting two from meeting
one in three steps at most, and the invitation reaches an SMTP server (aiosmtpd) with its
LOCATION and a time that names its zone; then moves it (same UID, SEQUENCE + 1). The calendar
is driven with the keyboard. Screenshots at 1280 px and phone size go to
``$MOMENTUM_SCREENSHOTS`` when it is set."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from icalendar import Calendar

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.meeting.models import MeetingStatus
from momentum.runtime import Engine
from momentum.user.accounts import AccountService
from momentum.web.app import create_app
from tests.engine.conftest import NOW, SmtpServer, engine_settings, free_port
from tests.engine.conftest import smtp_server as smtp_server
from tests.engine.world import make_world
from tests.factories import make_deal, make_meeting
from tests.waiting import wait_until
from tests.web.conftest import PASSWORD, USERS

CHROMIUM = Path("/usr/bin/chromium")
# CI sets MOMENTUM_REQUIRE_BROWSER: there a missing chromium fails these tests instead
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("MOMENTUM_REQUIRE_BROWSER"),
    reason="Chromium is not installed (Debian: apt-get install chromium): browser tests skipped",
)
PHONE = {"width": 390, "height": 844}
LINK = "https://meet.example.test/acme-two?pwd=" + "Xq7" * 60
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def live(database: Database, smtp_server: SmtpServer) -> Iterator[tuple[str, Engine]]:
    """The app on a free loopback port, its engine (a fixed clock) sending to ``smtp_server``."""
    engine = Engine(
        engine_settings(database, smtp_server), database=database, clock=FixedClock(NOW)
    )
    with database.unit_of_work() as session:
        world = make_world(session)
        make_meeting(session, deal=world.deal, start=NOW - timedelta(minutes=40), id="d1-m1")
        gap = make_deal(session, owner=world.rep, id="D3", account="Initech")
        make_meeting(
            session,
            deal=gap,
            start=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
        accounts = AccountService(session, clock=engine.clock)
        for email, role, rep in USERS.values():
            accounts.add_user(email=email, password=PASSWORD, role=role, rep_id=rep)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(engine.settings, engine=engine),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    if not wait_until(lambda: server.started, 20, step=0.05):
        raise RuntimeError("the app did not start")
    try:
        yield f"http://127.0.0.1:{port}", engine
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


def signed_in_page(browser, base: str, email: str):  # type: ignore[no-untyped-def]
    """A page of a new desktop-sized context, signed in as ``email``, on Today."""
    context = browser.new_context(viewport=DESKTOP, base_url=base)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/today")
    return page


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("MOMENTUM_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def event_of(message):  # type: ignore[no-untyped-def]
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    [event] = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    return event


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_rep_locks_in_meeting_two_and_moves_it_in_the_browser(
    live: tuple[str, Engine], browser, smtp_server: SmtpServer
) -> None:  # type: ignore[no-untyped-def]
    base, engine = live
    page = signed_in_page(browser, base, USERS["ana"][0])
    assert "How did it go?" in page.content()
    shoot(page, "today-1280")

    # step 1: from meeting one, awaiting its outcome on Today
    page.click("#awaiting-h ~ ul a.button:has-text('Lock in meeting two')")
    page.wait_for_url("**/lock-in/D1")
    shoot(page, "lockin-1280")
    # step 2: pick the first suggested slot, say where, give the buyer's zone, book
    first_slot = page.locator("input[name=slot]").first
    page.locator("label.slot").first.click()
    assert first_slot.is_checked()
    first_time = page.locator("label.slot .slot-rep").first.inner_text()
    page.fill("input[name=location]", LINK)  # one long word: the deal page wraps it
    page.fill("input[name=contact_tz]", "America/New_York")
    page.select_option(
        "select[name=template]", label="A demo on your own case"
    )  # the script fills the agenda
    assert "walkthrough" in page.input_value("textarea[name=seller]")
    page.click("button.primary")
    # 09:00 in Berlin is 04:00 for a buyer in New York: step 3, a second look, then book
    page.wait_for_selector("#warnings")
    assert (
        "outside the buyer's working hours (09:00–17:00): 04:00 EDT for the buyer (America/New_York)"
        in page.inner_text("#warnings")
    )
    shoot(page, "lockin-warnings-1280")
    assert first_time in page.locator("label.slot .slot-rep").first.inner_text()
    page.click(".confirm-bar button.primary")
    page.wait_for_url("**/deals/D1?done=booked")
    assert "Meeting two is booked" in page.content()
    shoot(page, "deal-1280")

    assert engine.dispatcher(worker_id="browser-test").drain().sent == 1
    [invite] = smtp_server.messages
    event = event_of(invite)
    assert str(event["LOCATION"]) == LINK
    assert invite["Subject"].endswith("EDT (America/New_York)")  # the buyer's zone, named
    uid, sequence = str(event["UID"]), int(event["SEQUENCE"])

    # move it: same UID, next SEQUENCE, the update names the old time
    page.click("a:has-text('Move meeting two')")
    page.wait_for_url("**/meetings/reschedule**")
    page.locator("label.slot:not(.has-warning)").nth(1).click()
    page.click("button.primary")
    page.wait_for_url("**/deals/D1?done=moved")
    assert engine.dispatcher(worker_id="browser-test").drain().sent == 1
    update = smtp_server.messages[-1]
    moved = event_of(update)
    assert str(moved["UID"]) == uid and int(moved["SEQUENCE"]) == sequence + 1
    assert update["Subject"].startswith("Moved: ") and "(was " in update["Subject"]

    # the calendar, with the keyboard only: Tab into the grid lands on a day (not on every
    # meeting of the week before it), arrows between days, Tab to a meeting, Enter
    page.goto("/calendar?date=2026-03-09")
    shoot(page, "calendar-week-1280")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.day || ''"):
            break
    landed = page.evaluate("document.activeElement.dataset.day || ''")
    assert landed == page.evaluate(
        "(document.querySelector('.day.today') || document.querySelector('[data-day]')).dataset.day"
    )
    # every tab stop of the grid is one day or its meetings: today's, in this month
    page.goto("/calendar?view=month&date=2026-03-01")
    landed = page.evaluate("document.querySelector('.day.today').dataset.day")
    stops = page.evaluate(
        "Array.from(document.querySelectorAll('[data-day], [data-day] a[href]'))"
        ".filter(e => e.tabIndex >= 0).map(e => e.closest('[data-day]').dataset.day)"
    )
    assert set(stops) == {landed}, stops
    page.goto("/calendar?date=2026-03-09")
    page.locator("[data-day='2026-03-09']").focus()
    target = page.locator(".day a.chip.m2.state-upcoming").first
    day = target.evaluate("chip => chip.closest('[data-day]').dataset.day")
    for _ in range(int(day[-2:]) - 9):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.day") == day
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('m2')")
    page.keyboard.press("Shift+Tab")  # back to the day
    assert page.evaluate("document.activeElement.dataset.day") == day
    for _ in range(page.locator(f"[data-day='{day}'] a.chip").count()):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('state-upcoming')"):
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**/deals/D1")
    page.goto("/calendar?date=2026-03-09")
    page.keyboard.press("PageDown")
    page.wait_for_url("**date=2026-03-16**")
    # in the week view, down is next week's same day, focused there
    page.locator("[data-day='2026-03-18']").focus()
    page.keyboard.press("ArrowDown")
    page.wait_for_url("**date=2026-03-23**#day-2026-03-25")
    page.wait_for_function("document.activeElement.dataset.day === '2026-03-25'")

    page.goto("/calendar?view=month&date=2026-04-01")
    shoot(page, "calendar-month-1280")
    phone = browser.new_context(viewport=PHONE, base_url=base)  # type: ignore[attr-defined]
    phone.add_cookies(page.context.cookies())
    small = phone.new_page()
    for path, name in (
        ("/today", "today-phone"),
        ("/calendar?date=2026-03-09", "calendar-week-phone"),
        ("/calendar?view=month&date=2026-03-01", "calendar-month-phone"),
        ("/deals/D1", "deal-phone"),
        ("/lock-in/D3", "lockin-phone"),
    ):
        small.goto(path)
        assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        shoot(small, name)
    phone.close()
    page.context.close()
