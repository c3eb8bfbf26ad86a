"""Real Chromium (Debian's, never a downloaded build) against a real ``momentum serve``:
signing in, My deals, its filters and signing out work with JavaScript off and on, and
the pages break no rule of their Content-Security-Policy.

Without /usr/bin/chromium these tests skip, saying so; CI sets MOMENTUM_REQUIRE_BROWSER=1
(and installs the package), where a missing browser fails them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from momentum.clock import SystemClock
from momentum.db.engine import Database
from momentum.flag.models import Severity
from momentum.flag.repository import FlagRepository
from momentum.user.accounts import AccountService
from momentum.user.models import Role
from tests.engine.world import make_world
from tests.web.conftest import PASSWORD, POLICY
from tests.web.live import momentum_env, serving


@pytest.fixture
def server(tmp_path: Path, sqlite_database: Database) -> Iterator[str]:
    with sqlite_database.unit_of_work() as session:
        make_world(session)
        FlagRepository(session).insert_many(
            [("D1", "no_next_step", "no next step since meeting one", Severity.WARNING)],
            raised_at=SystemClock().now(),
        )
        accounts = AccountService(session, clock=SystemClock(), policy=POLICY)
        accounts.add_user(email="ana@seller.test", password=PASSWORD, role=Role.REP, rep_id="ana")
    with serving(env=momentum_env(sqlite_database.url), cwd=tmp_path) as base:
        yield base


@pytest.mark.slow
@pytest.mark.parametrize("javascript", [False, True], ids=["js-off", "js-on"])
def test_sign_in_open_my_deals_filter_and_sign_out(
    chromium: Path, server: str, javascript: bool
) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        try:
            context = browser.new_context(java_script_enabled=javascript)
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{server}/deals")
            assert page.url.endswith("/login?next=%2Fdeals")
            page.get_by_label("Email").fill("ana@seller.test")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{server}/deals")
            assert page.get_by_role("heading", name="My deals").is_visible()
            table = page.locator("#deals")
            assert table.get_by_role("link", name="Acme rollout").is_visible()
            assert "Globex" not in page.content()
            assert table.get_by_text("no next step", exact=True).is_visible()
            page.get_by_label("Risk").select_option("none")
            page.get_by_role("button", name="Apply").click()
            page.wait_for_url("**/deals?*risk=none*")
            assert page.get_by_text("No deals match.").is_visible()
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{server}/login")
            page.goto(f"{server}/deals")
            assert "/login" in page.url
        finally:
            browser.close()
    assert problems == []
