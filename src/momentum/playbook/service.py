"""The playbook: managers and administrators write it, everyone reads it, and no edit is ever
lost. The revision (the newest version's id) is what bookings and reminders record."""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.errors import Conflict, NotFound, PermissionDenied
from momentum.next_step.models import Side
from momentum.next_step.schemas import parse_agenda
from momentum.playbook.defaults import STARTING_PLAYBOOK
from momentum.playbook.models import PlaybookEntry, PlaybookKind, PlaybookStep, PlaybookVersion
from momentum.playbook.repository import PlaybookRepository
from momentum.playbook.schemas import (
    STEP_TITLES,
    AgendaChoice,
    HomeworkChoice,
    LockInTemplates,
    NewPlaybookEntry,
    PlaybookItem,
    PlaybookText,
    PlaybookVersionView,
)
from momentum.user.models import Role
from momentum.user.schemas import Actor


def _item(entry: PlaybookEntry, version: PlaybookVersion) -> PlaybookItem:
    return PlaybookItem(
        entry_id=entry.id,
        kind=entry.kind,
        step=entry.step,
        retired=entry.retired,
        version_id=version.id,
        version=version.number,
        title=version.title,
        body=version.body,
        author_user_id=version.author_user_id,
        edited_at=version.created_at,
    )


class PlaybookService:
    def __init__(self, session: Session, *, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.playbook = PlaybookRepository(session)

    # --- reading: everyone ----------------------------------------------------------------

    def revision(self) -> int | None:
        """The playbook as it stands: what a booking or a reminder made now records."""
        return self.playbook.revision()

    def entries(
        self,
        *,
        kind: PlaybookKind | None = None,
        step: PlaybookStep | None = None,
        revision: int | None = None,
    ) -> list[PlaybookItem]:
        """The entries in use (as of ``revision`` when given), each at its newest version."""
        return [
            _item(entry, version)
            for entry, version in self.playbook.current(kind=kind, step=step, revision=revision)
        ]

    def talk_track(self, step: PlaybookStep) -> PlaybookItem | None:
        """The talk track for ``step``, if one is written (a step has at most one; one
        written twice before that rule, the first)."""
        found = self.entries(kind=PlaybookKind.TALK_TRACK, step=step)
        return found[0] if found else None

    def talk_tracks(self) -> dict[PlaybookStep, PlaybookItem]:
        """Each step's talk track, for the steps that have one."""
        tracks: dict[PlaybookStep, PlaybookItem] = {}
        for item in self.entries(kind=PlaybookKind.TALK_TRACK):
            if item.step is not None:
                tracks.setdefault(item.step, item)  # the first, as talk_track() gives
        return tracks

    def lock_in_templates(self) -> LockInTemplates:
        """What the lock-in form offers: the current version of each agenda and homework
        template. Where the playbook has none of a kind (a team that has not written one, or
        has not started from the built-in playbook yet), the starting playbook's, unsaved."""
        agendas = [
            _agenda_choice(str(item.entry_id), item.title, item.body, item.version)
            for item in self.entries(kind=PlaybookKind.AGENDA_TEMPLATE)
        ] or [
            _agenda_choice(f"start-{index}", new.title, new.body, None)
            for index, new in enumerate(STARTING_PLAYBOOK)
            if new.kind is PlaybookKind.AGENDA_TEMPLATE
        ]
        homework = [
            HomeworkChoice(
                key=str(item.entry_id), title=item.title, text=item.body, version=item.version
            )
            for item in self.entries(kind=PlaybookKind.HOMEWORK_TEMPLATE)
        ] or [
            HomeworkChoice(key=f"start-{index}", title=new.title, text=new.body, version=None)
            for index, new in enumerate(STARTING_PLAYBOOK)
            if new.kind is PlaybookKind.HOMEWORK_TEMPLATE
        ]
        return LockInTemplates(agendas=agendas, homework=homework, revision=self.revision())

    def item(self, entry_id: int) -> PlaybookItem:
        entry = self.playbook.entry(entry_id)
        version = self.playbook.latest_version(entry_id) if entry else None
        if entry is None or version is None:
            raise NotFound(f"no playbook entry {entry_id}")
        return _item(entry, version)

    def history(self, entry_id: int) -> list[PlaybookVersionView]:
        """Every version of an entry, newest first."""
        versions = self.playbook.versions(entry_id)
        if not versions:
            raise NotFound(f"no playbook entry {entry_id}")
        return [
            PlaybookVersionView(
                version_id=v.id,
                version=v.number,
                title=v.title,
                body=v.body,
                author_user_id=v.author_user_id,
                created_at=v.created_at,
            )
            for v in versions
        ]

    def bookings_per_version(self, entry_id: int) -> dict[int, int]:
        """Meetings booked while each version of the entry was the current one, by version
        id: what an experiment on the playbook compares."""
        return self.playbook.uses_per_version(entry_id)

    # --- writing: managers and administrators ---------------------------------------------

    def add(self, actor: Actor, new: NewPlaybookEntry) -> PlaybookItem:
        """A new entry. A step has one talk track (coaching and the lock-in show it): a second
        is refused, and the first is edited instead, which keeps its versions."""
        _require_editor(actor)
        if new.kind is PlaybookKind.TALK_TRACK and new.step is not None:
            written = self.talk_track(new.step)
            if written is not None:
                raise Conflict(
                    f"the step “{STEP_TITLES[new.step]}” has a talk track already, "
                    f"“{written.title}”: edit it (its earlier versions are kept), or retire "
                    "it first"
                )
        now = self.clock.now()
        entry = self.playbook.add_entry(
            PlaybookEntry(kind=new.kind, step=new.step, retired=False, created_at=now)
        )
        version = self.playbook.add_version(
            PlaybookVersion(
                entry_id=entry.id,
                number=1,
                title=new.title,
                body=new.body,
                author_user_id=actor.user_id,
                created_at=now,
            )
        )
        return _item(entry, version)

    def edit(self, actor: Actor, entry_id: int, text: PlaybookText) -> PlaybookItem:
        """A new version of the entry; the previous ones stay as they were. An edit that
        changes nothing adds no version."""
        _require_editor(actor)
        entry = self.playbook.lock_entry(entry_id)
        latest = self.playbook.latest_version(entry_id) if entry else None
        if entry is None or latest is None:
            raise NotFound(f"no playbook entry {entry_id}")
        if entry.retired:  # nothing offers it any more: a new version would never be used
            raise Conflict(f"“{latest.title}” is retired: it can no longer be edited")
        if (latest.title, latest.body) == (text.title, text.body):
            return _item(entry, latest)
        version = self.playbook.add_version(
            PlaybookVersion(
                entry_id=entry.id,
                number=latest.number + 1,
                title=text.title,
                body=text.body,
                author_user_id=actor.user_id,
                created_at=self.clock.now(),
            )
        )
        return _item(entry, version)

    def retire(self, actor: Actor, entry_id: int) -> PlaybookItem:
        """Out of use; its versions stay, for the bookings that used them."""
        _require_editor(actor)
        entry = self.playbook.lock_entry(entry_id)
        if entry is None:
            raise NotFound(f"no playbook entry {entry_id}")
        entry.retired = True
        self.session.flush()
        return self.item(entry_id)

    def missing_defaults(self) -> list[NewPlaybookEntry]:
        """The starting playbook's entries whose place the team has never filled: the talk
        track of a step that never had one, the templates of a kind it never wrote. A place
        the team retired stays empty: that was its choice."""
        taken = self.playbook.places_taken()
        kinds = {kind for kind, _ in taken}
        return [
            new
            for new in STARTING_PLAYBOOK
            if (
                (new.kind, new.step) not in taken
                if new.kind is PlaybookKind.TALK_TRACK
                else new.kind not in kinds
            )
        ]

    def start_with_defaults(self, actor: Actor) -> list[PlaybookItem]:
        """The starting playbook where the team has left a place empty
        (:meth:`missing_defaults`); what the team wrote is never changed."""
        _require_editor(actor)
        return [self.add(actor, new) for new in self.missing_defaults()]


def _agenda_choice(key: str, title: str, body: str, version: int | None) -> AgendaChoice:
    lines = parse_agenda(body)
    return AgendaChoice(
        key=key,
        title=title,
        seller=[text for side, text in lines if side is not Side.BUYER],
        buyer=[text for side, text in lines if side is Side.BUYER],
        version=version,
    )


def _require_editor(actor: Actor) -> None:
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise PermissionDenied("only managers and administrators edit the playbook")
