"""The live dashboard: the audit on the store for a scope (team, rep) and a period, with the
report's charts and findings; pending weeks marked; every figure and finding opens its
deals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from momentum.audit import presentation as p
from momentum.audit import result as metrics
from momentum.audit.serialize import finding_json
from momentum.review.dashboard import PARTS
from momentum.review.scope import visible_reps
from momentum.user.models import Role
from momentum.web.deps import DbSession, PageActor
from momentum.web.nav import NavItem
from momentum.web.pages._manager import dashboard_service, day, link
from momentum.web.templating import render

router = APIRouter()
NAV = [NavItem("Dashboard", "/dashboard", order=10, roles=frozenset({Role.MANAGER, Role.ADMIN}))]
# the figures shown as cards, each opening its deals
CARDS = (
    metrics.BOOKED,
    metrics.ON_THE_SPOT,
    metrics.HELD,
    metrics.WITHIN_TARGET,
    metrics.ATTENDANCE,
    metrics.RESCHEDULED,
    metrics.CLOSE,
)
WEEK_RATES = (metrics.ON_THE_SPOT, metrics.HELD, metrics.WITHIN_TARGET, metrics.ATTENDANCE)

Text = Annotated[str | None, Query(max_length=200)]


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    session: DbSession,
    actor: PageActor,
    team: Text = None,
    rep: Text = None,
    since: Text = None,
    until: Text = None,
    refresh: Text = None,
) -> Response:
    """``refresh`` (the page's "Refresh" link) reads the store again for this view, then
    shows the view at its own address."""
    service = dashboard_service(request, session)
    scope = {"team": team, "rep": rep, "since": since, "until": until}
    board = service.dashboard(
        actor,
        team=team,
        rep=rep,
        since=day(since, "since"),
        until=day(until, "until"),
        refresh=bool(refresh),
    )
    if refresh:
        return RedirectResponse(link("/dashboard", **scope), status_code=303)
    result = board.result
    reps = visible_reps(session, actor)
    return render(
        request,
        "manager/dashboard.html",
        {
            "board": board,
            "result": result,
            "scope": scope,
            "cards": [(metric, metric.rate(result.team)) for metric in CARDS if metric.rate],
            "week_rates": WEEK_RATES,
            "weeks": {w.week: w for w in board.weeks},
            "charts": board.charts,
            "findings": [finding_json(f) for f in result.findings],
            "rep_names": {r.id: r.name or r.id for r in reps},
            "teams": sorted({r.team for r in reps if r.team}),
            "reps": reps,
            "deals_link": lambda **more: link("/dashboard/deals", **scope, **more),
            "api_link": link("/api/v1/audit", **scope),
            "refresh_link": link("/dashboard", **scope, refresh=1),
            "percent": p.percent,
        },
    )


@router.get("/dashboard/deals")
def dashboard_deals(
    request: Request,
    session: DbSession,
    actor: PageActor,
    team: Text = None,
    rep: Text = None,
    since: Text = None,
    until: Text = None,
    figure: Text = None,
    part: Annotated[str, Query(pattern="^(" + "|".join(PARTS) + ")$")] = "numerator",
    finding: Text = None,
    week: Text = None,
    of_rep: Text = None,
) -> Response:
    service = dashboard_service(request, session)
    board = service.dashboard(
        actor, team=team, rep=rep, since=day(since, "since"), until=day(until, "until")
    )
    deals, total = service.deals_behind(
        board, figure=figure, part=part, finding=finding, week=week, rep=of_rep
    )
    if finding is not None:
        title = next(
            (f.text for f in board.result.findings if f.id == finding), f"Finding {finding}"
        )
    else:
        label = next((m.label for m in CARDS if m.key == figure), figure or "")
        title = {
            "numerator": f"{label}: the deals counted",
            "denominator": f"{label}: every deal it is out of",
            "rest": f"{label}: the deals that missed",
        }[part]
        if week:
            title += f", week {week}"
        if of_rep:
            title += f", rep {of_rep}"
    return render(
        request,
        "manager/dashboard_deals.html",
        {
            "title": title,
            "deals": deals,
            "total": total,
            "back": link("/dashboard", team=team, rep=rep, since=since, until=until),
        },
    )
