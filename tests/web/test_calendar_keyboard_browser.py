"""In Debian's Chromium: after Page Up / Page Down the calendar's new page has the focus on the
corresponding day (the same weekday, the same date of the month), so the arrow keys go on
working without tabbing back into the grid."""

from __future__ import annotations

import os

import pytest

from momentum.runtime import Engine
from tests.engine.conftest import smtp_server as smtp_server
from tests.web.conftest import USERS
from tests.web.test_rep_browser import CHROMIUM, browser, live, signed_in_page

__all__ = ["browser", "live", "smtp_server"]

# CI sets MOMENTUM_REQUIRE_BROWSER: there a missing chromium fails these tests instead
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("MOMENTUM_REQUIRE_BROWSER"),
    reason="Chromium is not installed (Debian: apt-get install chromium): browser tests skipped",
)


def day(page, iso: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-day='{iso}']")


def focused_day(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.evaluate("document.activeElement.dataset.day || ''"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_page_up_and_down_keep_the_focus_on_the_corresponding_day(
    live: tuple[str, Engine], browser
) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    base, _engine = live
    page = signed_in_page(browser, base, USERS["ana"][0])

    # the week: Thursday 12 March, Page Down, Thursday 19 March; the arrows still work
    page.goto("/calendar?date=2026-03-11")
    page.locator("[data-day='2026-03-11']").focus()
    page.keyboard.press("ArrowRight")
    assert focused_day(page) == "2026-03-12"
    page.keyboard.press("PageDown")
    page.wait_for_url("**date=2026-03-18**")
    expect(day(page, "2026-03-19")).to_be_focused()
    page.keyboard.press("ArrowRight")
    assert focused_day(page) == "2026-03-20"
    # and back: Friday 20 March, Page Up, Friday 13 March, the grid's one tab stop
    page.keyboard.press("PageUp")
    page.wait_for_url("**date=2026-03-11**")
    expect(day(page, "2026-03-13")).to_be_focused()
    # a week view has no week below: down goes on into next week, on Friday 20 March
    page.keyboard.press("ArrowDown")
    page.wait_for_url("**date=2026-03-18**#day-2026-03-20")
    expect(day(page, "2026-03-20")).to_be_focused()
    stops = page.evaluate(
        "Array.from(document.querySelectorAll('[data-day]'))"
        ".filter(e => e.tabIndex >= 0).map(e => e.dataset.day)"
    )
    assert stops == ["2026-03-20"]

    # the month: 31 March, Page Down, 30 April (April is shorter), Page Up, 30 March
    page.goto("/calendar?view=month&date=2026-03-01")
    page.locator("[data-day='2026-03-31']").focus()
    page.keyboard.press("PageDown")
    page.wait_for_url("**date=2026-04-01**")
    expect(day(page, "2026-04-30")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    assert focused_day(page) == "2026-04-29"
    page.keyboard.press("PageUp")
    page.wait_for_url("**date=2026-03-01**")
    expect(day(page, "2026-03-29")).to_be_focused()

    # with nothing focused, Page Down starts from the grid's tab stop (the first day here)
    page.goto("/calendar?date=2026-03-09")
    page.keyboard.press("PageDown")
    page.wait_for_url("**date=2026-03-16**")
    expect(day(page, "2026-03-16")).to_be_focused()

    # a day view: left and right go to the days around it; up and down have nowhere to go
    page.goto("/calendar?view=day&date=2026-03-11")
    page.locator("[data-day='2026-03-11']").focus()
    page.keyboard.press("ArrowDown")
    assert focused_day(page) == "2026-03-11"
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**date=2026-03-12**")
    expect(day(page, "2026-03-12")).to_be_focused()
    page.context.close()
