"""Signing in and out, the home address (``/``: the first page the user's role may open) and
``/favicon.ico``, which browsers ask for wherever a page names no icon (the API's JSON, a
chart opened alone)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from momentum.web.deps import DbSession, MaybeSignedIn, accounts, client_address
from momentum.web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE
from momentum.web.templating import render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a scheme): no open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_form(
    request: Request, *, next_path: str, email: str = "", error: str | None = None, status: int
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": next_path, "email": email, "error": error},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/login",
        max_age=3600,
    )
    return response


@router.get("/")
def home(request: Request, signed_in: MaybeSignedIn) -> Response:
    if signed_in is None:
        return RedirectResponse("/login", status_code=303)
    pages = [item for item in request.app.state.nav if item.visible_to(signed_in.actor.role)]
    return RedirectResponse(pages[0].path if pages else "/deals", status_code=303)


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return RedirectResponse("/static/favicon.svg", status_code=301)


@router.get("/login")
def login_page(request: Request, signed_in: MaybeSignedIn, next: str | None = None) -> Response:
    if signed_in is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next_path=safe_next(next), status=200)


@router.post("/login")
def login(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    def again(error: str, status: int) -> Response:
        """The form again, with what was typed (not the password) and why."""
        return _login_form(
            request, next_path=safe_next(next), email=email, error=error, status=status
        )

    if not email.strip() or not password:
        return again("Enter your email and your password.", 422)
    result = accounts(request, session).sign_in(
        email=email, password=password, client=client_address(request)
    )
    if result.throttled:
        response = again("Too many failed sign-ins: wait a few minutes and try again.", 429)
        response.headers["Retry-After"] = str(
            int(request.app.state.sign_in_policy.window.total_seconds())
        )
        return response
    if result.session_token is None:
        return again("That email and password do not match an active user.", 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        result.session_token,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=int(request.app.state.sign_in_policy.session_lifetime.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts(request, session).sign_out(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
