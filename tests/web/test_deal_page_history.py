"""The deal page's history, through the web app on a real store (both databases): who changed
a meeting's status, the next step a new one replaced, and how long a flag's condition has
held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from momentum.meeting.models import MeetingStatus
from tests.engine.conftest import NOW
from tests.factories import make_deal, make_meeting
from tests.web.conftest import Site, csrf_of

# NOW: Wednesday 4 March 2026, 10:00 UTC (11:00 in Berlin, where Ana works)


@pytest.fixture
def team(site: Site) -> Site:
    with site.engine.database.unit_of_work() as session:
        gap = make_deal(session, owner=site.world.rep, id="D4", account="Umbrella")
        # meeting one held twelve business days ago, meeting two never booked
        make_meeting(
            session,
            deal=gap,
            start=datetime(2026, 2, 16, 8, 0, tzinfo=UTC),
            status=MeetingStatus.HELD,
            id="d4-m1",
        )
    return site


def test_the_timeline_says_who_marked_the_meeting_a_no_show(team: Site) -> None:
    ana = team.signed_in("ana")
    page = ana.get("/deals/D1")
    answer = ana.post(
        "/meetings/outcome",
        data={
            "csrf_token": csrf_of(page.text),
            "meeting_id": "M-ana",
            "outcome": "no_show",
            "next": "",
        },
    )
    assert answer.status_code == 303
    page = ana.get("/deals/D1").text
    assert "Meeting one: scheduled → no show" in page
    assert "by ana@seller.test (app)" in page  # the timeline
    assert "(ana@seller.test, app)" in page  # the meeting's status history
    # the manager sees who did it too
    assert "by ana@seller.test (app)" in team.signed_in("mgr").get("/deals/D1").text


def test_a_second_task_supersedes_the_first_next_step(team: Site) -> None:
    ana = team.signed_in("ana")
    for title, due in (("Send the case study", "2026-03-05T10:00"), ("Call", "2026-03-09T10:00")):
        page = ana.get("/deals/D4")
        answer = ana.post(
            "/next-steps/task",
            data={"csrf_token": csrf_of(page.text), "deal_id": "D4", "title": title, "due": due},
        )
        assert answer.status_code == 303
    page = ana.get("/deals/D4").text
    assert "Next step superseded: task due Thu 5 Mar, 10:00 CET" in page
    assert "Next step set: task due Mon 9 Mar, 10:00 CET" in page
    assert "it replaces the open one" in page
    open_tasks = page[page.index("<h2>Open tasks</h2>") :]
    open_tasks = open_tasks[: open_tasks.index("</ul>")]
    assert "Call" in open_tasks and "Send the case study" not in open_tasks


def test_a_flag_shows_how_long_its_condition_has_held(team: Site) -> None:
    # the fixture's flag was raised at NOW without its condition's start, as flags were
    # before it was recorded: its age counts from its raising
    team.clock.set(NOW + timedelta(days=2))
    assert "(2 d, since 4 Mar)" in team.signed_in("ana").get("/deals/D1").text
    team.clock.set(NOW)
    team.engine.sweep()
    page = team.signed_in("ana").get("/deals/D4").text
    # meeting one ended 16 February 08:30 UTC; with the hour's grace, 16 days before now
    assert "Meeting one was held on Mon 16 Feb 2026 and meeting two is not booked" in page
    assert "(16 d, since 16 Feb)" in page
    assert "the condition holds since Mon 16 Feb, 10:30 CET" in page  # on the timeline


def test_the_booking_button_names_what_it_books(team: Site) -> None:
    with team.engine.database.unit_of_work() as session:
        later = make_deal(session, owner=team.world.rep, id="D5", account="Initech")
        for number, day in ((1, 9), (2, 12)):  # meetings one and two held, nothing booked
            make_meeting(
                session,
                deal=later,
                start=datetime(2026, 2, day, 9, 0, tzinfo=UTC),
                status=MeetingStatus.HELD,
                id=f"d5-m{number}",
            )
    ana = team.signed_in("ana")
    assert ">Lock in meeting two</a>" in ana.get("/deals/D4").text
    page = ana.get("/deals/D5").text
    assert ">Book the next meeting</a>" in page and "Lock in meeting two" not in page
    form = ana.get("/lock-in/D5").text  # the page it opens, and what it books
    assert "<h1>Book the next meeting" in form and "Book meeting two" not in form
    assert ">Book the meeting</button>" in form
