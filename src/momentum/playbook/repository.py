"""Every query on the playbook."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentum.meeting.models import Meeting
from momentum.playbook.models import PlaybookEntry, PlaybookKind, PlaybookStep, PlaybookVersion


class PlaybookRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def entry(self, entry_id: int) -> PlaybookEntry | None:
        return self.session.get(PlaybookEntry, entry_id)

    def add_entry(self, entry: PlaybookEntry) -> PlaybookEntry:
        self.session.add(entry)
        self.session.flush()
        return entry

    def add_version(self, version: PlaybookVersion) -> PlaybookVersion:
        self.session.add(version)
        self.session.flush()
        return version

    def revision(self) -> int | None:
        """The newest version's id: the playbook as it stands now (None while it is empty)."""
        found = self.session.execute(select(func.max(PlaybookVersion.id))).scalar()
        return int(found) if found is not None else None

    def places_taken(self) -> set[tuple[PlaybookKind, PlaybookStep | None]]:
        """The kinds (and steps, for talk tracks) the team has ever written for, retired
        entries included."""
        rows = self.session.execute(select(PlaybookEntry.kind, PlaybookEntry.step).distinct())
        return {(kind, step) for kind, step in rows}

    def current(
        self,
        *,
        kind: PlaybookKind | None = None,
        step: PlaybookStep | None = None,
        revision: int | None = None,
        include_retired: bool = False,
    ) -> list[tuple[PlaybookEntry, PlaybookVersion]]:
        """Each entry with its newest version (as of ``revision`` when given), oldest entry
        first."""
        newest = select(
            PlaybookVersion.entry_id, func.max(PlaybookVersion.id).label("version_id")
        ).group_by(PlaybookVersion.entry_id)
        if revision is not None:
            newest = newest.where(PlaybookVersion.id <= revision)
        latest = newest.subquery()
        query = (
            select(PlaybookEntry, PlaybookVersion)
            .join(latest, latest.c.entry_id == PlaybookEntry.id)
            .join(PlaybookVersion, PlaybookVersion.id == latest.c.version_id)
            .order_by(PlaybookEntry.id)
        )
        if kind is not None:
            query = query.where(PlaybookEntry.kind == kind)
        if step is not None:
            query = query.where(PlaybookEntry.step == step)
        if not include_retired:
            query = query.where(PlaybookEntry.retired.is_(False))
        return [(entry, version) for entry, version in self.session.execute(query)]

    def versions(self, entry_id: int) -> list[PlaybookVersion]:
        """Every version of an entry, newest first."""
        return list(
            self.session.scalars(
                select(PlaybookVersion)
                .where(PlaybookVersion.entry_id == entry_id)
                .order_by(PlaybookVersion.number.desc())
            )
        )

    def latest_version(self, entry_id: int) -> PlaybookVersion | None:
        query = (
            select(PlaybookVersion)
            .where(PlaybookVersion.entry_id == entry_id)
            .order_by(PlaybookVersion.number.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def uses_per_version(self, entry_id: int) -> dict[int, int]:
        """How many meetings were booked with each version of the entry in the playbook: those
        whose recorded revision is at or after the version and before the entry's next one."""
        ids = sorted(v.id for v in self.versions(entry_id))
        uses: dict[int, int] = {}
        for index, version_id in enumerate(ids):
            query = select(func.count()).where(Meeting.playbook_revision >= version_id)
            if index + 1 < len(ids):
                query = query.where(Meeting.playbook_revision < ids[index + 1])
            uses[version_id] = int(self.session.execute(query).scalar_one())
        return uses

    def lock_entry(self, entry_id: int) -> PlaybookEntry | None:
        """The entry, row-locked on PostgreSQL, so two edits number their versions in turn."""
        return self.session.scalars(
            select(PlaybookEntry)
            .where(PlaybookEntry.id == entry_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
