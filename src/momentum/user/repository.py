from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from momentum.rep.models import Rep
from momentum.user.models import ApiToken, SignInAttempt, User, WebSession


class UserRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)

    def by_email(self, email: str) -> User | None:
        return self.session.scalars(select(User).where(User.email == email)).first()

    def all(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.email)))

    def names(self, user_ids: Collection[int]) -> dict[int, str]:
        """Each user's name (or email, for one without a name), by id; an unknown id is left
        out."""
        if not user_ids:
            return {}
        rows = self.session.execute(
            select(User.id, User.name, User.email).where(User.id.in_(sorted(user_ids)))
        )
        return {user_id: name or email for user_id, name, email in rows}

    def add(self, user: User) -> User:
        self.session.add(user)
        self.session.flush()
        return user

    # --- sessions -----------------------------------------------------------------------

    def add_session(self, web_session: WebSession) -> None:
        self.session.add(web_session)
        self.session.flush()

    def live_session(
        self, session_hash: str, *, now: datetime
    ) -> tuple[WebSession, User, str | None] | None:
        """The session, its user and the user's rep's zone (read on every request, in one
        query), if the session has not expired and the user is active."""
        row = self.session.execute(
            select(WebSession, User, Rep.timezone)
            .join(User, User.id == WebSession.user_id)
            .outerjoin(Rep, Rep.id == User.rep_id)
            .where(WebSession.id == session_hash, WebSession.expires_at > now, User.active)
        ).first()
        return (row[0], row[1], row[2]) if row else None

    def delete_session(self, session_hash: str) -> None:
        self.session.execute(delete(WebSession).where(WebSession.id == session_hash))

    def delete_sessions_of(self, user_id: int) -> None:
        self.session.execute(delete(WebSession).where(WebSession.user_id == user_id))

    def delete_expired_sessions(self, *, now: datetime) -> None:
        self.session.execute(delete(WebSession).where(WebSession.expires_at <= now))

    # --- tokens -------------------------------------------------------------------------

    def add_token(self, token: ApiToken) -> ApiToken:
        self.session.add(token)
        self.session.flush()
        return token

    def token(self, token_id: int) -> ApiToken | None:
        return self.session.get(ApiToken, token_id)

    def live_token(self, token_hash: str) -> tuple[ApiToken, User] | None:
        row = self.session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None), User.active)
        ).first()
        return (row[0], row[1]) if row else None

    def tokens(self, user_id: int | None) -> list[tuple[ApiToken, User]]:
        query = (
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .order_by(User.email, ApiToken.id)
        )
        if user_id is not None:
            query = query.where(ApiToken.user_id == user_id)
        return [(token, user) for token, user in self.session.execute(query).all()]

    # --- failed sign-ins ----------------------------------------------------------------

    def add_failed_sign_in(self, *, email: str, client: str, at: datetime) -> None:
        self.session.add(SignInAttempt(email=email, client=client, at=at))
        self.session.flush()

    def failed_sign_ins(self, *, since: datetime, email: str, client: str) -> tuple[int, int]:
        """Failed sign-ins since ``since``: for ``email`` (from anywhere), and from ``client``."""
        by_email = self.session.scalar(
            select(func.count())
            .select_from(SignInAttempt)
            .where(SignInAttempt.email == email, SignInAttempt.at > since)
        )
        by_client = self.session.scalar(
            select(func.count())
            .select_from(SignInAttempt)
            .where(SignInAttempt.client == client, SignInAttempt.at > since)
        )
        return int(by_email or 0), int(by_client or 0)

    def clear_failed_sign_ins(self, email: str) -> None:
        self.session.execute(delete(SignInAttempt).where(SignInAttempt.email == email))

    def delete_failed_sign_ins_before(self, before: datetime) -> None:
        self.session.execute(delete(SignInAttempt).where(SignInAttempt.at <= before))
