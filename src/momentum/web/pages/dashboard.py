"""The live dashboard: the audit on the store for a scope (team, rep) and a period, with the
report's charts and findings; pending weeks marked; every figure and finding opens its
deals.

Findings are listed as the HTML report lists them: the established ones ranked, the others
apart and never ranked (:func:`finding_cards`, the ``manager/_findings.html`` partial, which
coaching uses too). The pending weeks are the audit's own (``AuditResult.weekly``), so they
equal the JSON's ``pending_by_week``.

The page carries the figures; its charts come as images of their own
(``/dashboard/charts/KEY.svg``), so the page does not wait for them: drawing a view's charts
takes about a second, one chart at a time in the process, where its figures take a tenth. The
numbers each chart draws are in the page's cards and tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from momentum.audit import presentation as p
from momentum.audit import result as metrics
from momentum.audit.findings import PLAYBOOK
from momentum.audit.serialize import finding_json, group_from_json
from momentum.errors import NotFound
from momentum.playbook.models import PlaybookStep
from momentum.playbook.schemas import PlaybookItem
from momentum.review.dashboard import PARTS
from momentum.review.scope import visible_reps
from momentum.user.models import Role
from momentum.web.deps import DbSession, PageActor
from momentum.web.nav import NavItem
from momentum.web.pages._manager import dashboard_service, day, link, talk_tracks
from momentum.web.templating import render

router = APIRouter()
NAV = [NavItem("Dashboard", "/dashboard", order=10, roles=frozenset({Role.MANAGER, Role.ADMIN}))]
# what a figure counts, where it is not deals (the card says so; its links open deals)
UNITS = {metrics.ATTENDANCE.key: "meetings"}
# what the rest of a figure's deals are called, where "missed" would mislead
REST = {metrics.RESCHEDULED.key: "not rescheduled", metrics.CLOSE.key: "lost"}
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
# the report's charts (momentum.audit.charts), by key, with their titles
CHARTS = {
    "funnel": "From meeting one to won",
    "gaps": "Business days from meeting one to meeting two",
    "close-rate": "Close rate by gap between the meetings",
    "reps": "Reps against the team",
    "weekly": "Week by week (by the week of meeting one)",
    "survival": "Time to meeting two",
}
NOTHING_TO_DRAW = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="576" height="40" role="img">'
    '<text x="0" y="24" font-family="sans-serif" font-size="14">{title}: nothing to draw '
    "for this scope and period.</text></svg>"
)

Text = Annotated[str | None, Query(max_length=200)]


def finding_cards(
    findings: Iterable[dict[str, Any]], tracks: Mapping[PlaybookStep, PlaybookItem]
) -> list[dict[str, Any]]:
    """Findings (their JSON, :func:`momentum.audit.serialize.finding_json`) with what the
    report shows beside them, in its words (:mod:`momentum.audit.presentation`): the playbook
    step's title, the difference with its 95 % interval, and what is compared: each side's
    counts and the deals left out (a rep's rate in a finding counts only deals whose outcome is
    known, so it can differ from the same rep's rate in the figures). Beside the report's
    built-in advice, the team's own talk track for the finding's step (``tracks``, from
    :meth:`PlaybookService.talk_tracks`), or None where the team has not written one."""
    cards = []
    for finding in findings:
        practice = PLAYBOOK.get(finding["playbook"])
        evidence = finding["evidence"]
        shortfall = (
            f"{p.difference(evidence['difference'], 'rate')}, 95 % interval "
            f"{p.interval(evidence['ci95'], 'rate')}"
        )
        compared = p.comparison(
            group_from_json(evidence["group"]),
            group_from_json(evidence["reference"]),
            evidence["difference"],
            evidence["ci95"],
            evidence["left_out"],
        )
        cards.append(
            {
                **finding,
                "playbook_title": p.playbook_step(finding["playbook"]),
                "shortfall": shortfall,
                "compared": compared,
                "talk_track": tracks.get(practice.talk_track) if practice else None,
            }
        )
    return cards


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
    tracks = talk_tracks(request, session)
    return render(
        request,
        "manager/dashboard.html",
        {
            "board": board,
            "result": result,
            "scope": scope,
            "cards": [(metric, metric.rate(result.team)) for metric in CARDS if metric.rate],
            "units": UNITS,
            "rest": REST,
            "week_rates": WEEK_RATES,
            "pending_sentence": p.pending_sentence(result) if result.pending else "",
            "charts": [
                (key, title, link(f"/dashboard/charts/{key}.svg", **scope))
                for key, title in CHARTS.items()
                if key != "reps" or len(result.by_rep) > 1  # one rep: nothing to set against
            ],
            "established": finding_cards((finding_json(f) for f in p.established(result)), tracks),
            "others": finding_cards((finding_json(f) for f in p.not_established(result)), tracks),
            "overlap": p.overlap_sentence(result) if p.established(result) else "",
            "unnamed": p.unnamed_reps_sentence(result),
            "rep_names": {r.id: r.name or r.id for r in reps},
            "teams": sorted({r.team for r in reps if r.team}),
            "reps": reps,
            "deals_link": lambda **more: link("/dashboard/deals", **scope, **more),
            "api_link": link("/api/v1/audit", **scope),
            "refresh_link": link("/dashboard", **scope, refresh=1),
            "percent": p.percent,
        },
    )


@router.get("/dashboard/charts/{key}.svg")
def dashboard_chart(
    request: Request,
    session: DbSession,
    actor: PageActor,
    key: Annotated[str, Path(max_length=40)],
    team: Text = None,
    rep: Text = None,
    since: Text = None,
    until: Text = None,
) -> Response:
    """One of the view's charts, as SVG (drawn with the others on the view's first ask)."""
    if key not in CHARTS:
        raise NotFound(f"no chart {key!r}")
    board = dashboard_service(request, session).dashboard(
        actor, team=team, rep=rep, since=day(since, "since"), until=day(until, "until")
    )
    drawn = next((chart.svg for chart in board.charts if chart.key == key), None)
    svg = str(drawn) if drawn is not None else NOTHING_TO_DRAW.format(title=escape(CHARTS[key]))
    return Response(svg, media_type="image/svg+xml")


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
    names = {r.id: r.name or r.id for r in visible_reps(session, actor)}
    note = ""
    if finding is not None:
        title = next(
            (f.text for f in board.result.findings if f.id == finding), f"Finding {finding}"
        )
    else:
        label = next((m.label for m in CARDS if m.key == figure), figure or "")
        title = {
            "numerator": f"{label}: the deals counted",
            "denominator": f"{label}: every deal it is out of",
            "rest": f"{label}: the deals " + REST.get(figure or "", "that missed"),
        }[part]
        if figure == metrics.ATTENDANCE.key:  # it counts meetings; a deal may have several
            title = {
                "numerator": f"{label}: the deals with a meeting two attended",
                "denominator": f"{label}: the deals with a meeting two held or missed",
                "rest": f"{label}: the deals with a no-show at meeting two",
            }[part]
            note = "The figure counts meetings; a deal with several is listed once."
        if week:
            title += f", week {week}"
        if of_rep:
            title += f", {names.get(of_rep, f'rep {of_rep}')}"
    return render(
        request,
        "manager/dashboard_deals.html",
        {
            "title": title,
            "deals": deals,
            "total": total,
            "rep_names": names,
            "note": note,
            "back": link("/dashboard", team=team, rep=rep, since=since, until=until),
        },
    )
