"""My deals in real Chromium at 1280 px and at phone width: a risk pill and an amount stay on
one line (they wrapped as "warnin / g" and "22,700 / USD"), and on a phone every row shows its
flags and risk without the table scrolling inside its box (they were off-screen to the right),
while the page itself never scrolls sideways. Screenshots go to ``$MOMENTUM_SCREENSHOTS`` when
it is set.

Without /usr/bin/chromium these tests skip, saying so; CI sets MOMENTUM_REQUIRE_BROWSER=1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from momentum.clock import SystemClock
from momentum.db.engine import Database
from momentum.flag.models import Severity
from momentum.flag.repository import FlagRepository
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from tests.engine.world import make_world
from tests.factories import make_deal
from tests.web.conftest import PASSWORD, POLICY
from tests.web.live import momentum_env, serving

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# The text of an element as the lines the browser laid it out on.
LINES = """element => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const tops = new Set([...range.getClientRects()].filter(r => r.width > 0)
    .map(r => Math.round(r.top)));
  return tops.size;
}"""


@pytest.fixture
def server(tmp_path: Path, sqlite_database: Database) -> Iterator[str]:
    """Ana's deals as the demo has them: long names and accounts, amounts in the tens of
    thousands, several flags with long names on one deal."""
    with sqlite_database.unit_of_work() as session:
        world = make_world(session)
        flags = []
        for number in range(6):
            deal = make_deal(
                session,
                owner=world.rep,
                id=f"W{number}",
                name=f"Northwind Manufacturing analytics suite expansion {number}",
                account="Northwind Manufacturing",
            )
            deal.amount, deal.currency, deal.stage = 22700, "USD", "Negotiation"  # type: ignore[assignment]
            flags += [
                (deal.id, "meeting_two_not_booked", "meeting two is not booked", Severity.WARNING),
                (deal.id, "no_next_step", "no next step since meeting one", Severity.WARNING),
                (deal.id, "gap_too_long", "meeting two 9 business days out", Severity.INFO),
            ]
        FlagRepository(session).insert_many(flags, raised_at=SystemClock().now())
        accounts = AccountService(session, clock=SystemClock(), policy=POLICY)
        accounts.add_user(email="ana@seller.test", password=PASSWORD, role=Role.REP, rep_id="ana")
    with serving(env=momentum_env(sqlite_database.url), cwd=tmp_path) as base:
        yield base


def _signed_in_page(browser: Any, base: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{base}/login?next=%2Fdeals")
    page.get_by_label("Email").fill("ana@seller.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/deals")
    return page


@pytest.mark.slow
def test_pills_and_amounts_stay_on_one_line_and_a_phone_sees_flags_and_risk(
    chromium: Path, server: str
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            for viewport in (DESKTOP, PHONE):
                page = _signed_in_page(browser, server, viewport)
                rows = page.locator("#deals tbody tr")
                assert rows.count() >= 6
                row = page.locator("#deals tbody tr", has_text="expansion 0")
                risk = row.locator(".badge.risk-warning")
                amount = row.locator("td.num")
                assert risk.evaluate(LINES) == 1, f"the risk pill wraps at {viewport['width']}"
                assert amount.evaluate(LINES) == 1, f"the amount wraps at {viewport['width']}"
                assert "22,700 USD" in amount.inner_text()
                for badge in row.locator(".badge").all():
                    assert badge.evaluate(LINES) == 1, badge.inner_text()
                width = viewport["width"]
                assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
                # nothing of the row is hidden to the right, in the page or in the table's box
                for cell in (risk, row.locator(".badge.severity-info"), amount):
                    box = cell.bounding_box()
                    assert box is not None and box["x"] + box["width"] <= width, cell.inner_text()
                scroll = page.locator(".table-scroll")
                assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), (
                    f"the table scrolls inside its box at {width}"
                )
                if folder := os.environ.get("MOMENTUM_SCREENSHOTS"):
                    shot = Path(folder) / f"deals-{width}.png"
                    page.screenshot(path=str(shot), full_page=True)
                page.context.close()
        finally:
            browser.close()
