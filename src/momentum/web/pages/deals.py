"""My deals: the deals the user may see, with stage, next step, flags and risk; filtered and
sorted on the server from the query string (so it works without JavaScript)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from momentum.deal.schemas import DealQuery, DealSort, NextStepFilter, OutcomeFilter, RiskFilter
from momentum.user.models import Role
from momentum.user.service import ScopeService
from momentum.web.deps import DbSession, PageActor, engine_of
from momentum.web.nav import NavItem
from momentum.web.templating import render

router = APIRouter()
NAV = [
    NavItem("My deals", "/deals", order=30, roles=frozenset({Role.REP})),
    NavItem("Deals", "/deals", order=30, roles=frozenset({Role.MANAGER, Role.ADMIN})),
]
PAGE_SIZE = 50

SORT_LABELS = {
    DealSort.RISK: "Risk",
    DealSort.NEXT_STEP: "Next step",
    DealSort.AMOUNT: "Amount",
    DealSort.NAME: "Name",
    DealSort.CREATED: "Newest",
}
RISK_LABELS = {
    RiskFilter.ANY: "Any",
    RiskFilter.FLAGGED: "Flagged",
    RiskFilter.WARNING: "Warning or worse",
    RiskFilter.CRITICAL: "Critical",
    RiskFilter.NONE: "Not flagged",
}
OUTCOME_LABELS = {
    OutcomeFilter.OPEN: "Open",
    OutcomeFilter.WON: "Won",
    OutcomeFilter.LOST: "Lost",
    OutcomeFilter.ALL: "All",
}
NEXT_STEP_LABELS = {
    NextStepFilter.ANY: "Any",
    NextStepFilter.MISSING: "Missing",
    NextStepFilter.SET: "Set",
}


@router.get("/deals")
def deals_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    query: Annotated[DealQuery, Query()],
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    page = (
        engine_of(request).deals(session).list_deals(actor, query, cursor=cursor, limit=PAGE_SIZE)
    )
    reps = ScopeService(session).visible_reps(actor)
    chosen = query.model_dump(mode="json", exclude_defaults=True)
    next_link = (
        "/deals?" + urlencode({**chosen, "cursor": page.next_cursor}) if page.next_cursor else None
    )
    return render(
        request,
        "deals.html",
        {
            "page": page,
            "query": query,
            "first_page": cursor is None,
            "next_link": next_link,
            "first_link": "/deals?" + urlencode(chosen) if chosen else "/deals",
            "sorts": SORT_LABELS,
            "outcomes": OUTCOME_LABELS,
            "risks": RISK_LABELS,
            "next_steps": NEXT_STEP_LABELS,
            "sees_others": actor.role is not Role.REP,
            "reps": reps,
            "teams": sorted({rep.team for rep in reps if rep.team}),
        },
    )
