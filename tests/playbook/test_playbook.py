"""The playbook on both databases: managers write, reps read, every edit keeps the previous
version, and a booking and its reminders record the revision they used."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from momentum.clock import FixedClock
from momentum.db.engine import Database
from momentum.errors import Conflict, NotFound, PermissionDenied
from momentum.playbook.models import PlaybookKind, PlaybookStep
from momentum.playbook.schemas import NewPlaybookEntry, PlaybookText
from momentum.playbook.service import PlaybookService
from momentum.user.models import Role
from momentum.user.schemas import Actor
from tests.review.team import NOW

MANAGER = Actor(role=Role.MANAGER, rep_id="maya", user_id=None)
REP = Actor(role=Role.REP, rep_id="ana")


def test_the_built_in_playbook_fills_only_the_places_left_empty(database: Database) -> None:
    with database.unit_of_work() as session:
        playbook = PlaybookService(session, clock=FixedClock(NOW))
        mine = playbook.add(
            MANAGER,
            NewPlaybookEntry(
                kind=PlaybookKind.TALK_TRACK, step=PlaybookStep.LOCK_IN, title="Ours", body="Ask."
            ),
        )
        missing = playbook.missing_defaults()
        assert PlaybookStep.LOCK_IN not in {new.step for new in missing}
        assert {PlaybookKind.AGENDA_TEMPLATE, PlaybookKind.HOMEWORK_TEMPLATE} <= {
            new.kind for new in missing
        }
        added = playbook.start_with_defaults(MANAGER)
        assert len(added) == len(missing)
        assert playbook.talk_track(PlaybookStep.LOCK_IN) == playbook.item(mine.entry_id)
        assert playbook.missing_defaults() == []
        # a place the team retired stays empty: it is not filled again
        playbook.retire(MANAGER, mine.entry_id)
        assert playbook.missing_defaults() == []
        assert playbook.start_with_defaults(MANAGER) == []
        assert playbook.talk_track(PlaybookStep.LOCK_IN) is None


def test_edits_keep_every_version(database: Database) -> None:
    fixed = FixedClock(NOW)
    with database.unit_of_work() as session:
        playbook = PlaybookService(session, clock=fixed)
        assert playbook.revision() is None
        started = playbook.start_with_defaults(MANAGER)
        assert {item.step for item in started if item.kind is PlaybookKind.TALK_TRACK} == set(
            PlaybookStep
        )
        assert playbook.start_with_defaults(MANAGER) == []  # only once
        assert playbook.missing_defaults() == []
        track = playbook.talk_track(PlaybookStep.LOCK_IN)
        assert track is not None and track.version == 1
        before = playbook.revision()
    with database.unit_of_work() as session:
        playbook = PlaybookService(session, clock=fixed)
        edited = playbook.edit(
            MANAGER, track.entry_id, PlaybookText(title="Lock it in", body="  Two slots.  ")
        )
        assert (edited.version, edited.title, edited.body) == (2, "Lock it in", "Two slots.")
        same = playbook.edit(
            MANAGER, track.entry_id, PlaybookText(title="Lock it in", body="Two slots.")
        )
        assert same.version == 2  # nothing changed, no version added
        assert playbook.revision() == edited.version_id
        assert [v.version for v in playbook.history(track.entry_id)] == [2, 1]
        # the playbook as it stood before the edit
        old = playbook.entries(kind=PlaybookKind.TALK_TRACK, revision=before)
        assert [i.title for i in old if i.entry_id == track.entry_id] == [track.title]
        with pytest.raises(PermissionDenied):
            playbook.edit(REP, track.entry_id, PlaybookText(title="x", body="y"))
        with pytest.raises(NotFound):
            playbook.edit(MANAGER, 10_000, PlaybookText(title="x", body="y"))
        # a step has one talk track: a second is refused, naming the one to edit
        second = NewPlaybookEntry(
            kind=PlaybookKind.TALK_TRACK, step=PlaybookStep.LOCK_IN, title="Other", body="b"
        )
        with pytest.raises(Conflict, match="has a talk track already, “Lock it in”: edit it"):
            playbook.add(MANAGER, second)
        playbook.retire(MANAGER, track.entry_id)
        assert playbook.talk_track(PlaybookStep.LOCK_IN) is None
        assert [v.version for v in playbook.history(track.entry_id)] == [2, 1]
        assert playbook.add(MANAGER, second).title == "Other"  # once retired, a new one


def test_a_talk_track_names_its_step() -> None:
    with pytest.raises(ValidationError):
        NewPlaybookEntry(kind=PlaybookKind.TALK_TRACK, title="t", body="b")
    with pytest.raises(ValidationError):
        PlaybookText(title="   ", body="b")


def test_a_booking_and_its_reminders_record_the_revision(database: Database, make_engine) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from momentum.meeting.models import Meeting
    from momentum.reminder.models import Reminder
    from tests.engine.test_next_step import ANA, LOCK_IN
    from tests.engine.world import make_world

    engine = make_engine()
    with database.unit_of_work() as session:
        make_world(session)
        playbook = PlaybookService(session, clock=engine.clock)
        playbook.start_with_defaults(MANAGER)
        track = playbook.talk_track(PlaybookStep.LOCK_IN)
        assert track is not None
        edited = playbook.edit(MANAGER, track.entry_id, PlaybookText(title="New", body="Words"))
    with database.unit_of_work() as session:
        engine.next_steps(session).lock_in_next_meeting(ANA, "D1", LOCK_IN)
    with database.unit_of_work(write=False) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.playbook_revision == edited.version_id
        revisions = {r.playbook_revision for r in session.scalars(select(Reminder))}
        assert revisions == {edited.version_id}
        # the playbook that booking used reads the edited talk track
        used = PlaybookService(session, clock=engine.clock).entries(
            step=PlaybookStep.LOCK_IN, revision=meeting.playbook_revision
        )
        assert [item.title for item in used] == ["New"]


def test_agenda_templates_split_into_the_two_sides(database: Database) -> None:
    with database.unit_of_work() as session:
        playbook = PlaybookService(session, clock=FixedClock(NOW))
        playbook.start_with_defaults(MANAGER)
        agendas = playbook.lock_in_templates().agendas
    assert [a.title for a in agendas][:2] == [
        "Your numbers in an ROI model",
        "Meet the people who decide",
    ]
    assert agendas[1].seller == [
        "A short recap of meeting one for those who missed it",
        "Answers to open questions",
    ]
    assert agendas[1].buyer == ["The stakeholders who sign off, and what each needs to see"]


def test_the_lock_in_offers_the_current_templates_or_the_starting_ones(
    database: Database,
) -> None:
    fixed = FixedClock(NOW)
    with database.unit_of_work() as session:
        playbook = PlaybookService(session, clock=fixed)
        # no playbook yet: the starting playbook's templates, unsaved, no revision
        offered = playbook.lock_in_templates()
        assert offered.revision is None
        assert [a.key for a in offered.agendas] == ["start-5", "start-6", "start-7", "start-8"]
        assert {a.version for a in offered.agendas} == {None}
        assert offered.homework[0].text.startswith("Send the three figures")
        # a playbook of talk tracks only still offers the starting templates
        playbook.add(
            MANAGER,
            NewPlaybookEntry(
                kind=PlaybookKind.TALK_TRACK, step=PlaybookStep.LOCK_IN, title="T", body="B"
            ),
        )
        assert playbook.lock_in_templates().agendas[0].key == "start-5"
        # the team's own templates, at their newest version, once there are any
        agenda = playbook.add(
            MANAGER,
            NewPlaybookEntry(
                kind=PlaybookKind.AGENDA_TEMPLATE,
                title="Pilot plan",
                body="Seller: A pilot plan\nBuyer: The pilot's success criteria\nA shared date",
            ),
        )
        homework = playbook.add(
            MANAGER,
            NewPlaybookEntry(
                kind=PlaybookKind.HOMEWORK_TEMPLATE, title="Criteria", body="Write them down."
            ),
        )
        playbook.edit(
            MANAGER,
            agenda.entry_id,
            PlaybookText(title="Pilot plan", body="Seller: A signed pilot plan\nBuyer: Criteria"),
        )
        offered = playbook.lock_in_templates()
        assert [(a.key, a.version, a.seller, a.buyer) for a in offered.agendas] == [
            (str(agenda.entry_id), 2, ["A signed pilot plan"], ["Criteria"])
        ]
        assert [(h.key, h.text) for h in offered.homework] == [
            (str(homework.entry_id), "Write them down.")
        ]
        assert offered.revision == playbook.revision()
        # a line that names no side goes with what the seller brings
        playbook.retire(MANAGER, agenda.entry_id)
        with pytest.raises(Conflict, match="is retired: it can no longer be edited"):
            playbook.edit(MANAGER, agenda.entry_id, PlaybookText(title="Late", body="Too late"))
        playbook.add(
            MANAGER,
            NewPlaybookEntry(kind=PlaybookKind.AGENDA_TEMPLATE, title="Free", body="Just talk"),
        )
        assert playbook.lock_in_templates().agendas[0].seller == ["Just talk"]
