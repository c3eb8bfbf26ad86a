from __future__ import annotations

from sqlalchemy.orm import Session

from momentum.user.models import User


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)
