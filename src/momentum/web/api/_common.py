"""What the API's areas share: the problem document, the responses every route may give,
the check that a body is sent as JSON, and the paging parameters."""

from __future__ import annotations

from email.message import Message
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from momentum.paging import MAX_PAGE
from momentum.web.deps import ApiActor


class ProblemField(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """An error, as RFC 9457 describes (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    code: str | None = Field(default=None, description="Momentum's stable error code.")
    errors: list[ProblemField] | None = Field(
        default=None, description="Each field that was wrong, and why."
    )


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": Problem,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        },
    }


# Every API route can answer these; routes add 404 and 409 where they apply.
COMMON: dict[int | str, dict[str, Any]] = {
    401: _problem("No valid token or session."),
    403: _problem("A browser session's change without its X-CSRF-Token."),
    422: _problem("The request's parameters or body are not valid."),
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: _problem("No such thing among what the caller may see.")
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: _problem("The change is not possible in the current state.")
}
# Every route that reads a JSON body can answer these too (see ``JsonBodies``).
JSON_BODY: dict[int | str, dict[str, Any]] = {
    400: _problem("The body is not valid JSON."),
    415: _problem("The body is not sent as JSON (`Content-Type: application/json`)."),
}


def _is_json(content_type: str) -> bool:
    """``application/json`` or an ``application/…+json`` type, parameters aside: what
    FastAPI reads as JSON."""
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


async def _json_bodies_only(request: Request, _caller: ApiActor) -> None:
    """A route that reads a JSON body refuses a body sent as anything else (plain text, a
    form, no ``Content-Type``) with 415, rather than as a body of the wrong shape (422); a
    caller who is not signed in hears only that. A body that says it is JSON and is not
    answers 400 (``web.errors``): FastAPI reads it before any dependency runs."""
    route = request.scope.get("route")
    if getattr(route, "body_field", None) is None or not await request.body():
        return
    content_type = request.headers.get("content-type", "")
    if not _is_json(content_type):
        media_type = content_type.split(";", 1)[0].strip()[:100]
        sent = f"not {media_type}" if media_type else "it had no Content-Type"
        raise HTTPException(
            415, detail=f"send the body as JSON, with Content-Type: application/json ({sent})"
        )


# The routers of the areas whose routes take a body add it: APIRouter(dependencies=...)
JsonBodies = Depends(_json_bodies_only)

Cursor = Annotated[
    str | None,
    Query(max_length=1000, description="The previous page's `next_cursor`; unset: first page."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
