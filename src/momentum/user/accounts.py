"""Users, sign-in, browser sessions and personal API tokens.

Secrets (session cookies, API tokens) are random, handed out once, and stored as their
SHA-256: a copy of the store cannot be used to sign in. Failed sign-ins are counted in the
store, so the limit holds across every process serving the app.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from momentum.clock import Clock
from momentum.errors import Conflict, InputError, NotFound
from momentum.rep.repository import RepRepository
from momentum.user.models import ApiToken, Role, User, WebSession
from momentum.user.passwords import MIN_LENGTH, Passwords
from momentum.user.repository import UserRepository
from momentum.user.schemas import Actor, ApiTokenView, UserView

TOKEN_PREFIX = "mtm_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or not domain or " " in email or len(email) > 320:
        raise InputError(f"{email!r} is not an email address")
    return email


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How long a session lasts, how many failed sign-ins a window allows per email address
    (from anywhere) and per client address (for any email), and how passwords are hashed."""

    session_lifetime: timedelta = timedelta(hours=12)
    window: timedelta = timedelta(minutes=15)
    max_failures_per_email: int = 5
    max_failures_per_client: int = 20
    passwords: Passwords = field(default_factory=Passwords)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live browser session: who, and the token its forms must carry."""

    user: UserView
    actor: Actor
    session_hash: str
    csrf_token: str
    expires_at: datetime
    timezone: str | None  # the user's rep's zone, if linked to a rep


@dataclass(frozen=True, slots=True)
class SignInResult:
    """``session_token`` (for the cookie) when the sign-in worked; else why not."""

    session_token: str | None = None
    signed_in: SignedIn | None = None
    throttled: bool = False


class AccountService:
    def __init__(
        self, session: Session, *, clock: Clock, policy: SignInPolicy | None = None
    ) -> None:
        self.session = session
        self.clock = clock
        self.policy = policy or SignInPolicy()
        self.users = UserRepository(session)

    # --- users --------------------------------------------------------------------------

    def add_user(
        self,
        *,
        email: str,
        password: str,
        role: Role,
        rep_id: str | None = None,
        name: str | None = None,
    ) -> UserView:
        email = normalize_email(email)
        if self.users.by_email(email) is not None:
            raise Conflict(f"a user {email} already exists")
        if role in (Role.REP, Role.MANAGER) and rep_id is None:
            raise InputError(f"a {role} user must be linked to a rep: say which rep they are")
        if rep_id is not None and RepRepository(self.session).get(rep_id) is None:
            raise NotFound(f"no rep {rep_id!r}")
        user = self.users.add(
            User(
                email=email,
                name=name,
                password_hash=self.policy.passwords.hash(_checked_password(password)),
                role=role,
                rep_id=rep_id,
                active=True,
                created_at=self.clock.now(),
            )
        )
        return UserView.model_validate(user)

    def list_users(self) -> list[UserView]:
        return [UserView.model_validate(user) for user in self.users.all()]

    def user(self, email: str) -> User:
        user = self.users.by_email(normalize_email(email))
        if user is None:
            raise NotFound(f"no user {email}")
        return user

    def disable(self, email: str) -> UserView:
        """The user can no longer sign in; their sessions end and their tokens stop working."""
        user = self.user(email)
        user.active = False
        self.users.delete_sessions_of(user.id)
        self.session.flush()
        return UserView.model_validate(user)

    def enable(self, email: str) -> UserView:
        user = self.user(email)
        user.active = True
        self.session.flush()
        return UserView.model_validate(user)

    def set_password(self, email: str, password: str) -> UserView:
        """A new password; every session of the user ends."""
        user = self.user(email)
        user.password_hash = self.policy.passwords.hash(_checked_password(password))
        self.users.delete_sessions_of(user.id)
        self.users.clear_failed_sign_ins(user.email)
        self.session.flush()
        return UserView.model_validate(user)

    # --- sign-in and sessions -----------------------------------------------------------

    def sign_in(self, *, email: str, password: str, client: str) -> SignInResult:
        """Check the password and open a session, unless too many sign-ins failed lately
        for this email or from this client. A failure is recorded (the caller commits it)."""
        now = self.clock.now()
        email = email.strip().lower()[:320]
        client = client[:64]
        by_email, by_client = self.users.failed_sign_ins(
            since=now - self.policy.window, email=email, client=client
        )
        if (
            by_email >= self.policy.max_failures_per_email
            or by_client >= self.policy.max_failures_per_client
        ):
            return SignInResult(throttled=True)
        user = self.users.by_email(email)
        valid = self.policy.passwords.verify(user.password_hash if user else None, password)
        if user is None or not valid or not user.active:
            self.users.add_failed_sign_in(email=email, client=client, at=now)
            return SignInResult()
        if self.policy.passwords.needs_rehash(user.password_hash):
            user.password_hash = self.policy.passwords.hash(password)
        self.users.clear_failed_sign_ins(email)
        self.users.delete_failed_sign_ins_before(now - self.policy.window)
        self.users.delete_expired_sessions(now=now)
        token = secrets.token_urlsafe(32)
        web_session = WebSession(
            id=digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=now + self.policy.session_lifetime,
        )
        self.users.add_session(web_session)
        return SignInResult(
            session_token=token,
            signed_in=self._signed_in(web_session, user, self._rep_zone(user)),
        )

    def session_for(self, token: str) -> SignedIn | None:
        """The live session the cookie ``token`` names: not expired, its user active."""
        found = self.users.live_session(digest(token), now=self.clock.now())
        if found is None:
            return None
        web_session, user, timezone = found
        return self._signed_in(web_session, user, timezone)

    def sign_out(self, token: str) -> None:
        self.users.delete_session(digest(token))

    def _rep_zone(self, user: User) -> str | None:
        rep = RepRepository(self.session).get(user.rep_id) if user.rep_id else None
        return rep.timezone if rep else None

    @staticmethod
    def _signed_in(web_session: WebSession, user: User, timezone: str | None) -> SignedIn:
        """``user`` signed in, in their rep's zone ``timezone``."""
        return SignedIn(
            user=UserView.model_validate(user),
            actor=Actor.of(user),
            session_hash=web_session.id,
            csrf_token=web_session.csrf_token,
            expires_at=web_session.expires_at,
            timezone=timezone,
        )

    # --- API tokens ---------------------------------------------------------------------

    def create_token(self, email: str, *, name: str | None = None) -> tuple[ApiTokenView, str]:
        """A new personal token for ``email``'s user: its view, and the secret (shown once)."""
        user = self.user(email)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = self.users.add_token(
            ApiToken(
                user_id=user.id,
                name=name,
                token_hash=digest(secret),
                prefix=secret[:12],
                created_at=self.clock.now(),
            )
        )
        return ApiTokenView.of(token, user), secret

    def actor_for_token(self, secret: str) -> Actor | None:
        found = self.users.live_token(digest(secret))
        return Actor.of(found[1]) if found else None

    def tokens(self, email: str | None = None) -> list[ApiTokenView]:
        user_id = self.user(email).id if email else None
        return [ApiTokenView.of(token, user) for token, user in self.users.tokens(user_id)]

    def revoke_token(self, token_id: int) -> ApiTokenView:
        token = self.users.token(token_id)
        if token is None:
            raise NotFound(f"no token {token_id}")
        if token.revoked_at is None:
            token.revoked_at = self.clock.now()
            self.session.flush()
        user = self.users.get(token.user_id)
        assert user is not None  # the foreign key
        return ApiTokenView.of(token, user)


def _checked_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InputError(f"a password needs at least {MIN_LENGTH} characters")
    return password
