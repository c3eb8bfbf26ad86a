from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentum.coaching.models import CoachingNote
from momentum.user.models import User


class CoachingNoteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, note_id: int) -> CoachingNote | None:
        return self.session.get(CoachingNote, note_id)

    def add(self, note: CoachingNote) -> CoachingNote:
        self.session.add(note)
        self.session.flush()
        return note

    def delete(self, note: CoachingNote) -> None:
        self.session.delete(note)
        self.session.flush()

    def for_rep(self, rep_id: str) -> list[tuple[CoachingNote, str | None]]:
        """The rep's notes, newest first, each with its author's name (or email)."""
        rows = self.session.execute(
            select(CoachingNote, User.name, User.email)
            .outerjoin(User, User.id == CoachingNote.author_user_id)
            .where(CoachingNote.rep_id == rep_id)
            .order_by(CoachingNote.created_at.desc(), CoachingNote.id.desc())
        )
        return [(note, name or email) for note, name, email in rows]
