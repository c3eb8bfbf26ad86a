"""Errors to HTTP: the API answers ``application/problem+json`` (RFC 9457), pages an error
page. A domain error's ``code`` picks the status; an id outside the caller's scope is a
``NotFound`` like any unknown id, so both answer 404 with the same words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from polars.exceptions import PanicException
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from momentum.errors import MomentumError, ValidationFailed, plain
from momentum.web.deps import CsrfRefused, SignInRequired
from momentum.web.security import HEADERS
from momentum.web.templating import render

API_PREFIX = "/api/"
PROBLEM_JSON = "application/problem+json"

STATUS_OF_CODE = {
    "not_found": 404,
    "forbidden": 403,
    "conflict": 409,
    "input": 422,
    "invalid_rows": 422,
    "config": 500,
    "output": 500,
    "store_unavailable": 503,
    "store_busy": 503,
    "store_read_only": 503,
}


def problem(status: int, detail: str, *, code: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _page(request: Request, status: int, detail: str) -> Response:
    return render(
        request,
        "error.html",
        {
            "status": status,
            "title": HTTPStatus(status).phrase,
            "detail": detail,
            "back": _came_from(request) if 400 <= status < 500 else None,
            "form": request.method == "POST",
        },
        status_code=status,
    )


def _came_from(request: Request) -> str | None:
    """The page of this app the request came from (its path and query), for a link back to
    it: a refused form's page, where the browser still holds what was typed."""
    referrer = urlsplit(request.headers.get("referer", ""))
    here = request.url
    if (referrer.scheme, referrer.netloc) != (here.scheme, here.netloc):
        return None
    if not referrer.path.startswith("/") or referrer.path.startswith("//"):
        return None
    back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return None if back == here.path + (f"?{here.query}" if here.query else "") else back


def _answer(request: Request, status: int, detail: str, **extra: Any) -> Response:
    if _is_api(request):
        return problem(status, detail, **extra)
    return _page(request, status, detail)


def _field(location: Sequence[Any]) -> str:
    """A field as the caller named it: ``limit`` of the body, ``query.sort``; a form field
    called ``body`` (a coaching note's) keeps its name."""
    parts = list(location[1:]) if location[:1] == ("body",) and len(location) > 1 else location
    return ".".join(str(part) for part in parts)


def _not_json(error: Mapping[str, Any], body: Any) -> str:
    """Why a body that says it is JSON is not, and where: FastAPI's ``json_invalid`` error
    carries the parser's reason and the character it stopped at (``loc`` is ``body``, then
    that offset)."""
    reason = str(error.get("ctx", {}).get("error") or "it cannot be read")
    position = error["loc"][-1] if error.get("loc") else None
    if not isinstance(position, int) or not isinstance(body, str):
        return f"the body is not valid JSON: {reason}"
    line = body.count("\n", 0, position) + 1
    column = position - body.rfind("\n", 0, position)
    return f"the body is not valid JSON: {reason} (line {line}, column {column})"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MomentumError)
    async def on_domain_error(request: Request, exc: MomentumError) -> Response:
        status = STATUS_OF_CODE.get(exc.code, 400)
        extra: dict[str, Any] = {"code": exc.code}
        if isinstance(exc, ValidationFailed):
            extra["errors"] = [
                {"field": str(p).removesuffix(f": {p.reason}"), "reason": p.reason}
                for p in exc.problems
            ]
        if status == 500:  # a configuration problem: say so, without its details
            return _answer(request, 500, "the server is misconfigured", code=exc.code)
        if status == 503:  # the store's trouble (busy, read-only, down): not its address
            return _answer(
                request, 503, "the store is busy or unavailable: try again shortly", code=exc.code
            )
        return _answer(request, status, exc.message, **extra)

    @app.exception_handler(SignInRequired)
    async def on_sign_in_required(request: Request, exc: SignInRequired) -> Response:
        if _is_api(request):
            return problem(
                401,
                "sign in, or send a personal token as Authorization: Bearer",
                code="sign_in",
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def on_csrf_refused(request: Request, exc: CsrfRefused) -> Response:
        return _answer(
            request,
            403,
            "the form's security token is missing or out of date: reload the page and try again",
            code="csrf",
        )

    @app.exception_handler(RequestValidationError)
    async def on_invalid_request(request: Request, exc: RequestValidationError) -> Response:
        not_json = next((e for e in exc.errors() if e["type"] == "json_invalid"), None)
        if not_json is not None:  # said it was JSON, and is not: not a wrong field (422)
            detail = _not_json(not_json, exc.body)
            return _answer(request, 400, detail, code="invalid_json")
        errors = [
            {
                "field": _field(error["loc"]),
                "reason": plain(error),
            }
            for error in exc.errors()
        ]
        if _is_api(request):
            detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
            return _answer(request, 422, detail, code="invalid_request", errors=errors)
        # a page names the field as its address or form does: "page", not "query.page"
        detail = "; ".join(f"{e['field'].removeprefix('query.')}: {e['reason']}" for e in errors)
        return _page(request, 422, detail)

    @app.exception_handler(HTTPException)
    async def on_http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
            # a body said to be JSON, in bytes that are no text: FastAPI's 400 says only
            # "There was an error parsing the body"
            detail = "the body is not valid JSON: its bytes are not UTF-8 text"
            return _answer(request, 400, detail, code="invalid_json")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404:
            detail = "nothing here" if detail == "Not Found" else detail
        # the status's own name: not_found, method_not_allowed, bad_request, ...
        code = HTTPStatus(exc.status_code).name.lower()
        response = _answer(request, exc.status_code, detail, code=code)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def on_out_of_range(request: Request, exc: Exception) -> Response:
        # A date or a number in the address or the form beyond what a date or the store
        # holds (`?date=9999-12-31`, an id of 23 digits, a crafted cursor): the caller's
        # mistake, not ours. Python says so with OverflowError, PostgreSQL with a data error.
        return _answer(
            request, 422, "a date or a number in the request is out of range", code="input"
        )

    app.add_exception_handler(OverflowError, on_out_of_range)
    app.add_exception_handler(DataError, on_out_of_range)

    @app.exception_handler(Exception)
    async def on_bug(request: Request, exc: Exception) -> Response:
        # Logged by the server with its traceback; the caller gets no internals. This answer
        # is made outside the other middleware, so it carries the security headers itself.
        response = _answer(
            request, 500, "something went wrong on our side; it has been logged", code="bug"
        )
        for name, value in HEADERS.items():
            response.headers[name.decode()] = value.decode()
        response.headers["cache-control"] = "no-store"
        return response


# Forms and API bodies are small (a lock-in with fifty attendees is a few kilobytes).
MAX_BODY_BYTES = 1_000_000


class BodiesAreSmall:
    """ASGI middleware: a request that declares a body larger than ``MAX_BODY_BYTES``
    answers 413 without it being read (a problem for the API and pages alike)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                detail = f"the request's body is larger than {MAX_BODY_BYTES:,} bytes"
                await problem(413, detail, code="too_large")(scope, receive, send)
                return
        await self.app(scope, receive, send)


class PanicsAreBugs:
    """ASGI middleware: a panic inside Polars (``PanicException``, a ``BaseException``)
    becomes an ordinary error, so the caller gets the error page and the server logs it like
    any bug, rather than a bare 500."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except PanicException as panic:
            raise RuntimeError(f"a library panicked: {panic}") from panic
