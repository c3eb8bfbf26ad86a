"""What the API's areas share: the problem document, the responses every route may give,
and the paging parameters."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field

from momentum.paging import MAX_PAGE


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

Cursor = Annotated[
    str | None,
    Query(max_length=1000, description="The previous page's `next_cursor`; unset: first page."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
