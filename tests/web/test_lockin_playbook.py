"""The lock-in form offers the playbook's templates (the starting playbook's until the team
has its own) and works without JavaScript; the booking records the playbook's revision; the
gap target it warns against is the one an administrator set."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from momentum.meeting.models import Meeting, MeetingStatus
from momentum.playbook.models import PlaybookKind
from momentum.playbook.schemas import NewPlaybookEntry, PlaybookText
from momentum.playbook.service import PlaybookService
from momentum.rules.settings import RuleSettingsService
from momentum.user.models import Role
from momentum.user.schemas import Actor
from tests.factories import make_meeting
from tests.web.conftest import Site, csrf_of

MANAGER = Actor(role=Role.MANAGER, rep_id="mgr")


def _options(page: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', page, re.S)
    assert select, f"no select {name}"
    return re.findall(r">([^<]+)</option>", select.group(0))


def test_the_lock_in_offers_the_playbook_s_current_templates(site: Site) -> None:
    with site.engine.database.unit_of_work() as session:
        make_meeting(
            session,
            deal=site.world.deal,
            start=datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
    ana = site.signed_in("ana")
    page = ana.get("/lock-in/D1").text
    # no playbook yet: the starting playbook's four agendas
    assert _options(page, "template")[:2] == [
        "Your numbers in an ROI model",
        "Meet the people who decide",
    ]
    assert "these are the starting playbook's" in page
    assert "A return-on-investment model built on your figures</textarea>" in page

    with site.engine.database.unit_of_work() as session:
        playbook = PlaybookService(session, clock=site.clock)
        playbook.start_with_defaults(MANAGER)
        roi = playbook.lock_in_templates().agendas[0]
        playbook.edit(
            MANAGER,
            int(roi.key),
            PlaybookText(
                title="Your numbers in an ROI model",
                body="Seller: The ROI model, version two\nBuyer: Volumes and costs",
            ),
        )
        playbook.add(
            MANAGER,
            NewPlaybookEntry(
                kind=PlaybookKind.HOMEWORK_TEMPLATE, title="Site visit", body="Book a site visit."
            ),
        )
        revision = playbook.revision()
    page = ana.get("/lock-in/D1").text
    assert _options(page, "template")[0] == "Your numbers in an ROI model (v2)"
    assert "The ROI model, version two</textarea>" in page
    assert "starting playbook" not in page
    assert _options(page, "homework_template")[-1] == "Site visit (v1)"

    # without JavaScript: "Use these templates" fills the agenda and the homework
    keys = re.findall(r'<option value="(\d+)"[^>]*data-homework="Book a site visit\."', page)
    shown = ana.post(
        "/lock-in/D1",
        data={
            "csrf_token": csrf_of(page),
            "template": roi.key,
            "homework_template": keys[0],
            "apply_template": "1",
        },
    )
    assert shown.status_code == 200
    assert "Book a site visit.</textarea>" in shown.text

    # booked from it: the meeting records the playbook's revision
    slots = re.findall(r'name="slot" value="([^"]+)"', shown.text)
    booked = ana.post(
        "/lock-in/D1",
        data={
            "csrf_token": csrf_of(shown.text),
            "slot": slots[0],
            "seller": "The ROI model, version two",
            "buyer": "Volumes and costs",
            "homework": "Book a site visit.",
            "attendee_email": "buyer@acme.test",
            "confirm": slots[0],
        },
    )
    assert booked.status_code == 303, booked.text
    with site.engine.database.unit_of_work(write=False) as session:
        meeting = session.scalars(
            select(Meeting).where(Meeting.deal_id == "D1", Meeting.start_at > site.clock.now())
        ).one()
        assert meeting.playbook_revision == revision


def test_the_lock_in_warns_against_the_target_an_administrator_set(site: Site) -> None:
    with site.engine.database.unit_of_work() as session:
        make_meeting(
            session,
            deal=site.world.deal,
            start=datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
        )
        RuleSettingsService(session, rules=site.engine.rules, clock=site.clock).set(
            Actor.system(), "gap_too_long", "target_business_days", "3"
        )
    ana = site.signed_in("ana")
    page = ana.get("/lock-in/D1").text
    checked = ana.post(
        "/lock-in/D1",
        data={
            "csrf_token": csrf_of(page),
            "when": "2026-03-10 10:00",  # Tuesday: 4 business days after Wednesday's meeting one
            "seller": "A model",
            "buyer": "Numbers",
            "homework": "Numbers",
            "attendee_email": "buyer@acme.test",
        },
    )
    assert checked.status_code == 200
    assert "4 business days after meeting one: beyond the target of 3" in checked.text
