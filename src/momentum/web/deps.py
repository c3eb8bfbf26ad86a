"""Request dependencies: one unit of work per request, who is asking, and the CSRF check.

``DbSession`` is the request's unit of work: it commits after the route returns and before
the response goes out, and rolls back if the route raises. ``CurrentUser`` is the signed-in
browser user (pages redirect to sign-in without one); ``ApiActor`` is whoever calls the API,
by personal token or by browser session. Scope is never applied here: services take the
:class:`~momentum.user.schemas.Actor` and check it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from momentum.runtime import Engine
from momentum.user.accounts import AccountService, SignedIn, SignInPolicy
from momentum.user.schemas import Actor
from momentum.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SAFE_METHODS,
    SESSION_COOKIE,
    same_token,
)


class SignInRequired(Exception):
    """No live session: pages send the browser to sign in, the API answers 401."""


class CsrfRefused(Exception):
    """A state-changing request without the form's CSRF token: 403."""


def engine_of(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def sign_in_policy(request: Request) -> SignInPolicy:
    policy: SignInPolicy = request.app.state.sign_in_policy
    return policy


def _unit_of_work(request: Request) -> Iterator[Session]:
    database = engine_of(request).database
    with database.unit_of_work(write=request.method not in SAFE_METHODS) as session:
        yield session


DbSession = Annotated[Session, Depends(_unit_of_work, scope="function")]


def accounts(request: Request, session: Session) -> AccountService:
    return AccountService(session, clock=engine_of(request).clock, policy=sign_in_policy(request))


def _signed_in(request: Request, session: DbSession) -> SignedIn | None:
    token = request.cookies.get(SESSION_COOKIE)
    found = accounts(request, session).session_for(token) if token else None
    request.state.signed_in = found
    return found


MaybeSignedIn = Annotated[SignedIn | None, Depends(_signed_in)]


def _current_user(signed_in: MaybeSignedIn) -> SignedIn:
    if signed_in is None:
        raise SignInRequired()
    return signed_in


CurrentUser = Annotated[SignedIn, Depends(_current_user)]


def _page_actor(user: CurrentUser) -> Actor:
    return user.actor


PageActor = Annotated[Actor, Depends(_page_actor)]


async def verify_csrf(request: Request, signed_in: MaybeSignedIn) -> None:
    """Every page route's guard (the app adds it to each page router): a state-changing
    request must carry the session's CSRF token (form field ``csrf_token`` or header
    ``X-CSRF-Token``); signing in carries the sign-in form's, and nothing else may change
    anything without a session."""
    if request.method in SAFE_METHODS:
        return
    form = await request.form()
    submitted = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if signed_in is not None:
        expected: str | None = signed_in.csrf_token
    elif request.url.path == "/login":
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    else:
        raise SignInRequired()
    if not same_token(submitted, expected):
        raise CsrfRefused()


# How the API is called, as its OpenAPI description says (neither refuses by itself).
_TOKEN = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A personal token (`momentum token create --email EMAIL`), sent as "
    "`Authorization: Bearer <token>`.",
)
_SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description="The browser's session after signing in; a call that changes anything also "
    "sends the session's CSRF token in `X-CSRF-Token`.",
)


def _api_actor(
    request: Request,
    session: DbSession,
    token: Annotated[HTTPAuthorizationCredentials | None, Depends(_TOKEN)],
    cookie: Annotated[str | None, Depends(_SESSION)],
) -> Actor:
    """A personal token (``Authorization: Bearer …``), else the browser session; a browser
    session's state-changing calls must send ``X-CSRF-Token``."""
    service = accounts(request, session)
    if token is not None:
        actor = service.actor_for_token(token.credentials.strip())
        if actor is None:
            raise SignInRequired()
        return actor
    signed_in = service.session_for(cookie) if cookie else None
    if signed_in is None:
        raise SignInRequired()
    if request.method not in SAFE_METHODS and not same_token(
        request.headers.get(CSRF_HEADER), signed_in.csrf_token
    ):
        raise CsrfRefused()
    return signed_in.actor


ApiActor = Annotated[Actor, Depends(_api_actor)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"
