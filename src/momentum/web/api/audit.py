"""``GET /api/v1/audit``: the audit of the caller's scope, narrowed to a team or rep and a
period: exactly the JSON ``momentum audit --json`` writes for the same scope and period."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from momentum.audit.serialize import to_json
from momentum.web.api._common import COMMON, NOT_FOUND
from momentum.web.deps import ApiActor, DbSession
from momentum.web.pages._manager import dashboard_service

router = APIRouter(tags=["audit"], responses=COMMON)


@router.get(
    "/audit",
    summary="The audit's figures for a scope and period",
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        **NOT_FOUND,
    },
)
def audit_json(
    request: Request,
    session: DbSession,
    actor: ApiActor,
    team: Annotated[str | None, Query(max_length=200)] = None,
    rep: Annotated[str | None, Query(max_length=200)] = None,
    since: date | None = None,
    until: date | None = None,
) -> Response:
    """The JSON object of ``momentum audit --json`` (deals, the second-meeting funnel, close
    rates, per rep, per week, findings) over the deals the caller may see, of ``team`` or
    ``rep`` when given, whose first meeting's local date is within [since, until]."""
    board = dashboard_service(request, session).dashboard(
        actor, team=team, rep=rep, since=since, until=until
    )
    return Response(to_json(board.result), media_type="application/json")
