"""In Debian's Chromium, a rep marks a meeting's outcome where the product puts it: held from
Today's "How did it go?" list, no-show from the deal page; each page shows the change (the
meeting leaves the list, its badge and status history say what it became), and the store
holds it, recorded as set in the app."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from momentum.db.engine import Database
from momentum.deal.models import Deal
from momentum.meeting.models import Meeting, MeetingStatus, MeetingStatusChange
from momentum.runtime import Engine
from tests.engine.conftest import NOW
from tests.factories import make_meeting
from tests.web.conftest import USERS
from tests.web.test_rep_browser import browser, live, pytestmark, signed_in_page, smtp_server

__all__ = ["browser", "live", "pytestmark", "smtp_server"]  # fixtures and the skip, shared


def stored(database: Database, meeting_id: str) -> tuple[MeetingStatus, list[str]]:
    with database.unit_of_work(write=False) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        sources = session.scalars(
            select(MeetingStatusChange.source)
            .where(MeetingStatusChange.meeting_id == meeting_id)
            .order_by(MeetingStatusChange.id)
        ).all()
        return meeting.status, list(sources)


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_a_rep_marks_outcomes_from_today_and_from_the_deal_page(
    live: tuple[str, Engine], browser, database: Database
) -> None:  # type: ignore[no-untyped-def]
    base, _ = live
    # Acme's meeting one (d1-m1) started 40 minutes ago, for 30 minutes; a second meeting
    # started 8 minutes ago, after it
    with database.unit_of_work() as session:
        deal = session.get(Deal, "D1")
        assert deal is not None
        make_meeting(session, deal=deal, id="d1-m2", start=NOW - timedelta(minutes=8))
    page = signed_in_page(browser, base, USERS["ana"][0])

    awaiting = page.locator("#awaiting-h ~ ul li.row")
    assert page.inner_text("#awaiting-h .count") == "2"
    # told apart by their time in the rep's zone (Berlin; NOW is 11:00 there)
    first = awaiting.filter(has_text="10:20–10:50")
    assert first.count() == 1
    first.locator("button[value=held]").click()
    page.wait_for_url("**/today?done=held**")
    assert "Marked held." in page.inner_text("[role=status]")
    assert page.inner_text("#awaiting-h .count") == "1"
    assert awaiting.filter(has_text="10:20–10:50").count() == 0
    assert "Meeting two" in awaiting.filter(has_text="10:52–11:22").inner_text()
    assert stored(database, "d1-m1") == (MeetingStatus.HELD, ["app"])

    page.goto("/deals/D1")
    card = page.locator("article.card", has=page.locator("h3", has_text="Meeting one"))
    assert card.locator(".badge").inner_text() == "held"
    card.locator("summary").click()
    assert "→ held (ana@seller.test, app)" in card.locator(".history").inner_text()  # who, what
    waiting = page.locator("article.card.state-awaiting_outcome")
    assert waiting.count() == 1
    assert waiting.locator("h3").inner_text() == "Meeting two"
    waiting.locator("button[value=no_show]").click()
    page.wait_for_url("**/deals/D1?done=no_show")
    assert "Marked no-show: rebook it." in page.content()
    assert page.locator("article.card.state-awaiting_outcome").count() == 0
    assert page.locator("article.card .badge", has_text="no show").count() == 1
    assert stored(database, "d1-m2") == (MeetingStatus.NO_SHOW, ["app"])

    page.goto("/today")
    assert page.inner_text("#awaiting-h .count") == "0"
    assert "No meeting waits for its outcome." in page.content()
    page.context.close()
