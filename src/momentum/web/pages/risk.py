"""Deals at risk: open flags grouped by rule with reason, age, owner and amount; sorted by
risk, amount or age; narrowed to a team or rep; the rule's task handed to another rep."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from momentum.review.risk import RiskBoardService, RiskQuery, RiskSort
from momentum.review.scope import visible_reps
from momentum.user.models import Role
from momentum.web.deps import DbSession, PageActor, engine_of
from momentum.web.nav import NavItem
from momentum.web.pages._manager import link, rule_titles
from momentum.web.pages._rep import back_to
from momentum.web.templating import render

router = APIRouter()
NAV = [NavItem("At risk", "/risk", order=25, roles=frozenset({Role.MANAGER, Role.ADMIN}))]
SORTS = {RiskSort.RISK: "Risk", RiskSort.AMOUNT: "Amount", RiskSort.AGE: "Age"}


def _service(request: Request, session: DbSession) -> RiskBoardService:
    engine = engine_of(request)
    return RiskBoardService(session, clock=engine.clock, titles=rule_titles(engine))


@router.get("/risk")
def risk_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    query: Annotated[RiskQuery, Query()],
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    board = _service(request, session).board(actor, query)
    reps = visible_reps(session, actor)
    chosen = query.model_dump(mode="json", exclude_defaults=True)
    here = link("/risk", **chosen)

    def page_link(rule: str, page: int) -> str:
        """Another page of one rule's flags, in the same scope and order."""
        return link("/risk", **(chosen | {"rule": rule, "page": page}))

    return render(
        request,
        "manager/risk.html",
        {
            "board": board,
            "scope": {"team": query.team, "rep": query.rep},
            "sorts": SORTS,
            "teams": sorted({r.team for r in reps if r.team}),
            "reps": reps,
            "here": here,
            "page_link": page_link,
            "assigns": actor.role in (Role.MANAGER, Role.ADMIN),
            "notice": "The task has its new owner." if done == "assigned" else None,
        },
    )


@router.post("/risk/tasks/{task_id}/assign")
def assign_task(
    request: Request,
    session: DbSession,
    actor: PageActor,
    task_id: int,
    rep_id: Annotated[str, Form(max_length=200)],
    back: Annotated[str, Form(max_length=500)] = "/risk",
) -> Response:
    _service(request, session).assign(actor, task_id, to_rep_id=rep_id)
    target = back if back.startswith("/risk") and not back.startswith("//") else "/risk"
    return RedirectResponse(back_to(target, "/risk", done="assigned"), status_code=303)
